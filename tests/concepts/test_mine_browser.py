"""My concepts and the participant profile in a real browser, in English and Swedish: axe-core
WCAG 2.1 A/AA on every state (empty, full with an invitation, profile with errors), one <h1>,
<html lang> (A01, A02)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.concepts.models import Concept, ConceptMember, ConceptState, MemberRole, TeamInvitation
from app.core.timeutil import utcnow
from app.db import db

PASSWORD = "correct horse battery staple"


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _check(page, axe_check, label: str, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang, label
    assert page.locator("h1").count() == 1, label
    axe_check(page, f"{lang} {label}")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_my_concepts_and_profile_pass_axe(app, live_server, browser, axe_check, make_user, make_concept,
                                          make_challenge, lang) -> None:
    email = f"axe-{uuid.uuid4().hex[:6]}@example.org"
    uid = make_user(email, participant_kind="student")
    context = browser.new_context(locale={"en": "en-GB", "sv": "sv-SE"}[lang])
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, email)
        page.goto(live_server + "/my/concepts")
        _check(page, axe_check, "my concepts, empty", lang)
        assert page.locator("main a[href='/challenges/']").count() >= 1

        concepts = [make_concept("draft"), make_concept("submitted"), make_concept("withdrawn"),
                    make_concept("submitted", challenge=make_challenge("results")), make_concept("draft", title="")]
        invited_to = make_concept("draft")
        with app.app_context():
            for c in concepts:
                db.session.add(ConceptMember(concept_id=c["id"], challenge_id=c["challenge"]["id"], user_id=uid,
                                             role=MemberRole.MEMBER))
            reopened = db.session.get(Concept, concepts[1]["id"])
            reopened.state = ConceptState.DRAFT
            finished = db.session.get(Concept, concepts[3]["id"])
            finished.ineligible_at = utcnow()
            finished.ineligible_reason = "Late team change."
            db.session.add(TeamInvitation(concept_id=invited_to["id"], email=email,
                                          token_hash=uuid.uuid4().hex, expires_at=utcnow() + timedelta(days=3)))
            db.session.commit()
        page.goto(live_server + "/my/concepts")
        assert page.locator("table.my-concepts").count() == 3  # drafts (one reopened), withdrawn, results
        _check(page, axe_check, "my concepts, full", lang)

        page.goto(live_server + "/account/")
        _check(page, axe_check, "profile", lang)
        page.locator("#link_1").fill("javascript:alert(1)")
        page.locator("#bio").fill("x" * 700)  # maxlength stops the browser at 600
        with page.expect_navigation():
            page.locator("main form.stacked button[type=submit]").click()
        assert page.locator("#error-summary").is_visible()
        assert page.locator("#link_1[aria-invalid=true]").count() == 1
        _check(page, axe_check, "profile with an error", lang)
    finally:
        context.close()
