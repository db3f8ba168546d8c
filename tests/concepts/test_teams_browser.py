"""Teams in a real browser: the lead invites by email, the invitee opens the link from the SMTP
sink, logs in and joins; axe-core on the team page (with an error summary), the invitation page and
the page for a used link, in English and Swedish (A01, A02)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.concepts.models import ConceptMember
from app.db import db

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str, next_path: str = "") -> None:
    page.goto(base + "/account/login" + (f"?next={next_path}" if next_path else ""))
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_invite_and_join_in_the_browser(app: Any, live_server: str, browser: Any, axe_check: Any,
                                        make_challenge: Any, make_concept: Any, make_user: Any,
                                        smtp_sink: Any, send_outbox: Any, lang: str) -> None:
    challenge = make_challenge("open", allow_teams=True, max_team_size=3)
    made = make_concept("draft", challenge=challenge, members=1)
    invitee = f"joiner-{lang}@example.org"
    make_user(invitee, locale=lang, participant_kind="student", display_name="Joiner")
    locale = {"en": "en-GB", "sv": "sv-SE"}[lang]
    lead_ctx, mate_ctx = browser.new_context(locale=locale), browser.new_context(locale=locale)
    for ctx in (lead_ctx, mate_ctx):
        ctx.set_default_timeout(8000)
    lead, mate = lead_ctx.new_page(), mate_ctx.new_page()
    try:
        _log_in(lead, live_server, made["owner"])
        lead.goto(f"{live_server}/concepts/{made['id']}/team")
        assert lead.locator("html").get_attribute("lang") == lang
        axe_check(lead, f"{lang} team page")

        # A bad address: the error summary names the field and links to it.
        lead.locator("#email").fill("not-an-address")
        with lead.expect_navigation():
            lead.locator("form[action$='/team/invite'] button[type=submit]").click()
        assert lead.locator("#error-summary").count() == 1
        assert lead.locator("#error-summary a[href='#email']").count() == 1
        axe_check(lead, f"{lang} team page with an error")

        lead.locator("#email").fill(invitee)
        with lead.expect_navigation():
            lead.locator("form[action$='/team/invite'] button[type=submit]").click()
        assert invitee in lead.locator("main").inner_text()

        send_outbox()
        link = next(u for u in smtp_sink.links(smtp_sink.to(invitee)[-1]) if "/team-invitations/" in u)
        path = re.sub(r"^https?://[^/]+", "", link)
        mate.goto(live_server + path)
        axe_check(mate, f"{lang} invitation, anonymous")
        with mate.expect_navigation():
            mate.locator("main a[href*='/account/login']").click()
        mate.locator("main input[name=email]").fill(invitee)
        mate.locator("main input[name=password]").fill(PASSWORD)
        with mate.expect_navigation():
            mate.locator("main form button[type=submit]").click()
        assert mate.url.endswith(path)  # back at the invitation after logging in
        axe_check(mate, f"{lang} invitation, invitee")
        with mate.expect_navigation():
            mate.locator("form[action$='/accept'] button[type=submit]").click()
        assert mate.url.endswith(f"/concepts/{made['id']}/team")
        assert "Joiner" in mate.locator("main").inner_text()
        axe_check(mate, f"{lang} team page as a member")
        with app.app_context():
            assert db.session.scalar(select(ConceptMember.role).where(
                ConceptMember.concept_id == made["id"], ConceptMember.user_id != made["owner_id"])) == "member"

        # The used link, opened by the lead (another account): a clear page, no buttons.
        response = lead.goto(live_server + path)
        assert response.status == 410
        assert lead.locator("main form").count() == 0
        axe_check(lead, f"{lang} used invitation")
    finally:
        lead_ctx.close()
        mate_ctx.close()
