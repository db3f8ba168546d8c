"""The whole judging journey of issue 10's "Done when", in one real browser, by keyboard alone
(A03): staff invite two jurors from the manage page's jury link (one has an account, the other
signs up from the emailed link, confirms the address from the verification email, logs in and
accepts); both declare conflicts (one a real conflict with one entry) and score every entry they
may read, blind; the chair reads the table raw and calibrated with its rank bands, records
placements that add up to the prize money with citations, finalises and publishes; the winners
show on the challenge page, /winners and the home page, and every member of every team has one
outcome email in their language in the SMTP sink. axe-core on a few pages on the way (A01);
English, 1280 px (the other widths and Bokmål are covered page by page elsewhere)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.db import db
from app.judging.services.table import CACHE

PASSWORD = "correct horse battery staple"


def _tab_to(page: Any, selector: str, limit: int = 150) -> None:
    """Press Tab until the focused element matches `selector`: it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def _enter(page: Any, locator: Any) -> None:
    """Focus a link or button and press Enter; wait for the next page."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _type(page: Any, locator: Any, text: str) -> None:
    locator.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _tick(page: Any, locator: Any) -> None:
    """Space on a focused checkbox or radio."""
    locator.focus()
    page.keyboard.press("Space")
    assert locator.is_checked()


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    _type(page, page.locator("main input[name=email]"), email)
    _type(page, page.locator("main input[name=password]"), PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _local(base: str, link: str) -> str:
    return base + re.sub(r"^https?://[^/]+", "", link)


def _main(page: Any) -> str:
    return page.locator("main").inner_text()


def _declare(page: Any, base: str, conflict_label: str | None) -> None:
    """From the juror's home, declare conflicts (optionally one real one) and confirm."""
    page.goto(base + "/jury")
    _enter(page, page.get_by_role("link", name=re.compile("Declare conflicts of interest")))
    if conflict_label:
        _tick(page, page.locator(f"#conflict_{conflict_label}"))
        _type(page, page.locator(f"#reason_{conflict_label}"), "My cousin is on this team")
    _tick(page, page.locator("#confirm_all"))
    _enter(page, page.get_by_role("button", name="Confirm my declaration"))
    assert "You confirmed your declaration" in _main(page)


def _score_all(page: Any, base: str, slug: str, labels: list[str], steps: int) -> None:
    """From the juror's home to the round, then every listed sheet: each criterion gets
    1 + `steps` by Space then ArrowRight on its radio group; a comment; submit."""
    page.goto(base + "/jury")
    _enter(page, page.get_by_role("link", name=re.compile("Open Round 1")))
    listed = sorted(page.locator("main table tbody th a").all_inner_texts())
    assert listed == sorted(labels)
    for n, label in enumerate(labels):
        page.goto(f"{base}/challenges/{slug}/jury/rounds/1")
        _enter(page, page.get_by_role("link", name=label, exact=True))
        groups = page.locator("fieldset.sheet-fields input[type=radio]").evaluate_all(
            "els => [...new Set(els.map(e => e.name))]")
        assert len(groups) == 2
        for i, name in enumerate(groups):
            page.locator(f"input[name={name}]").first.focus()
            page.keyboard.press("Space")
            for _ in range(min(4, steps + (n + i) % 2)):
                page.keyboard.press("ArrowRight")
        _type(page, page.locator("#overall_comment"), f"Comment on {label}: clear and doable.")
        _enter(page, page.locator("button[value=submit]"))
        assert page.locator(".error-summary").count() == 0, _main(page)[:800]


@pytest.mark.browser
def test_the_judging_journey_by_keyboard(app: Any, live_server: str, browser: Any, axe_check: Any,
                                         make_judging: Any, make_user: Any, smtp_sink: Any,
                                         send_outbox: Any) -> None:
    j = make_judging(concepts=3, jurors=0, blind=True, concept_publication="winners")
    slug, cid = j["slug"], j["challenge"]["id"]
    CACHE.clear()
    known, newcomer = f"astrid-{slug}@example.org", f"nils-{slug}@example.org"
    make_user(known, display_name="Astrid Known")
    with app.app_context():
        title = db.session.get(Challenge, cid).title
        # One team reads Norwegian Bokmål: their outcome email must be in it.
        nb_members = set(j["concepts"][0]["members"])
        for user in db.session.scalars(select(User).where(User.email.in_(nb_members))):
            user.locale = "nb"
        db.session.commit()
    members = [m for c in j["concepts"] for m in c["members"]]
    labels = sorted(j["labels"].values())

    contexts = []

    def new_page() -> Any:
        ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        return ctx.new_page()

    try:
        # -- Staff: from the manage page to the jury page, invite both jurors by keyboard.
        staff = new_page()
        _log_in(staff, live_server, j["staff"])
        staff.goto(f"{live_server}/challenges/{slug}/manage")
        _tab_to(staff, f"main a[href$='/challenges/{slug}/jury']")
        with staff.expect_navigation():
            staff.keyboard.press("Enter")
        assert staff.locator("h1").count() == 1
        for address in (known, newcomer):
            _type(staff, staff.locator("#email"), address)
            with staff.expect_navigation():
                staff.keyboard.press("Enter")
            assert address in _main(staff)
        axe_check(staff, "jury page with two pending invitations")
        send_outbox()

        def invitation_link(address: str) -> str:
            mail = smtp_sink.to(address)[-1]
            return _local(live_server, next(u for u in smtp_sink.links(mail) if "/jury-invitations/" in u))

        # -- The juror with an account: the link, log in from it, accept.
        astrid = new_page()
        astrid.goto(invitation_link(known))
        _enter(astrid, astrid.get_by_role("link", name="Log in to answer"))
        _type(astrid, astrid.locator("main input[name=email]"), known)
        _type(astrid, astrid.locator("main input[name=password]"), PASSWORD)
        with astrid.expect_navigation():
            astrid.keyboard.press("Enter")
        _enter(astrid, astrid.get_by_role("button", name="Accept and join the jury"))
        assert astrid.url.endswith(f"/challenges/{slug}/jury/me")

        # -- The newcomer: sign up from the link, confirm the address, log in, accept.
        nils = new_page()
        link = invitation_link(newcomer)
        nils.goto(link)
        axe_check(nils, "invitation, anonymous")
        _enter(nils, nils.get_by_role("link", name="Create an account"))
        _type(nils, nils.locator("#email"), newcomer)
        _type(nils, nils.locator("#display_name"), "Nils Newcomer")
        _type(nils, nils.locator("#password"), PASSWORD)
        _tick(nils, nils.locator("input[name=participant_kind]").first)
        _tick(nils, nils.locator("#accept_terms"))
        _enter(nils, nils.get_by_role("button", name="Create account"))
        assert "/signup/sent" in nils.url
        send_outbox()
        verify = next(u for u in smtp_sink.links(smtp_sink.to(newcomer)[-1]) if "/verify/" in u)
        nils.goto(_local(live_server, verify))
        _enter(nils, nils.locator("main form button[type=submit]"))
        assert "your email address is confirmed" in nils.locator("body").inner_text()
        _type(nils, nils.locator("main input[name=email]"), newcomer)
        _type(nils, nils.locator("main input[name=password]"), PASSWORD)
        with nils.expect_navigation():
            nils.keyboard.press("Enter")
        nils.goto(link)  # "log in and open this invitation again", as the page says
        _enter(nils, nils.get_by_role("button", name="Accept and join the jury"))
        assert nils.url.endswith(f"/challenges/{slug}/jury/me")
        # The header's Jury link leads to the juror's home.
        _enter(nils, nils.locator("header a[href$='/jury']"))
        assert "First, declare your conflicts of interest." in _main(nils)
        axe_check(nils, "juror home before the declaration")

        # -- Conflicts: Astrid has a real one with the first entry; Nils none.
        _declare(astrid, live_server, labels[0])
        _declare(nils, live_server, None)
        axe_check(nils, "conflicts declared")

        # -- Scoring, blind: a harsh and a lenient juror; Astrid never sees her conflicted entry.
        _score_all(astrid, live_server, slug, labels[1:], steps=0)
        assert astrid.goto(f"{live_server}/challenges/{slug}/jury/rounds/1/{labels[0]}").status in (403, 404)
        assert astrid.locator("button[value=submit]").count() == 0
        _score_all(nils, live_server, slug, labels, steps=3)
        axe_check(nils, "a submitted score sheet")
        # Blind: neither team names nor member names or addresses on the sheet.
        tags = [c["members"][0].split("@")[0].removeprefix("lead-") for c in j["concepts"]]
        hidden = [f"Team {t}" for t in tags] + [f"Person lead-{t}" for t in tags] + members
        assert not [h for h in hidden if h in nils.content()]
        nils.goto(live_server + "/jury")
        assert "Nothing left for you to do in this round." in _main(nils)

        # -- The chair: home -> table, raw and calibrated with bands, then the decision.
        chair = new_page()
        _log_in(chair, live_server, j["chair"])
        chair.goto(live_server + "/jury")
        _enter(chair, chair.get_by_role("link", name=re.compile("The chair’s pages")))
        assert chair.locator("h1").inner_text() == "Deliberation table"
        assert chair.locator("table.deliberation tbody tr").count() == 3
        assert chair.get_by_role("columnheader", name="Rank band").count() == 1
        axe_check(chair, "the chair's table")
        _enter(chair, chair.get_by_role("link", name="calibrated scores"))
        assert chair.get_by_role("link", name="calibrated scores").get_attribute("aria-current") == "page"
        _enter(chair, chair.get_by_role("link", name="raw scores"))
        assert chair.get_by_role("link", name="raw scores").get_attribute("aria-current") == "page"
        ranked = chair.locator("table.deliberation tbody th[scope=row]").all_inner_texts()
        winner, runner_up = (r.split(" · ")[0] for r in ranked[:2])

        _enter(chair, chair.get_by_role("navigation", name="Chair").get_by_role("link", name="Decision"))
        assert chair.locator("h1").inner_text() == "Jury decision"
        # The entry lists: type-ahead on the focused select picks the label.
        chair.locator("#placements-0-entry").focus()
        chair.keyboard.type(winner)
        assert chair.locator("#placements-0-entry").input_value() == winner
        _type(chair, chair.locator("#placements-0-amount"), "50000")
        _type(chair, chair.locator("#placements-0-citation"), "Simple, cheap and loved by residents.")
        chair.locator("#placements-1-entry").focus()
        chair.keyboard.type(runner_up)
        assert chair.locator("#placements-1-entry").input_value() == runner_up
        chair.locator("#placements-1-kind").focus()
        chair.keyboard.type("Honourable")
        assert chair.locator("#placements-1-kind").input_value() == "mention"
        _type(chair, chair.locator("#placements-1-citation"), "A charming idea worth trying.")
        axe_check(chair, "the decision page, filled in")
        _enter(chair, chair.get_by_role("button", name="Finalise the decision"))
        assert chair.locator("#error-summary").count() == 0, _main(chair)[:1500]
        assert "The decision is final" in _main(chair)
        _enter(chair, chair.locator(".publish-panel").get_by_role("button", name="Publish the results"))

        # -- The results: challenge page, /winners, home page.
        chair.goto(f"{live_server}/challenges/{slug}")
        page_text = _main(chair)
        assert "Simple, cheap and loved by residents." in page_text
        assert "A charming idea worth trying." in page_text
        axe_check(chair, "the challenge page in results")
        visitor = new_page()
        visitor.goto(live_server + "/winners")
        assert title in _main(visitor)
        assert visitor.locator(".winner-rows li").count() == 2
        axe_check(visitor, "winners")
        visitor.goto(live_server + "/")
        assert title in visitor.locator(".winner-rows").first.inner_text()

        # -- Every member of every team: one outcome email, in their language.
        send_outbox()
        for member in members:
            outcome = [m for m in smtp_sink.to(member) if title in str(m["Subject"])]
            assert len(outcome) == 1, (member, [str(m["Subject"]) for m in smtp_sink.to(member)])
            expected = "Resultatene av" if member in nb_members else "The results of"
            assert str(outcome[0]["Subject"]).startswith(expected), outcome[0]["Subject"]
    finally:
        for ctx in contexts:
            ctx.close()
