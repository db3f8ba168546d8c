"""The public challenge pages in a real browser: axe-core finds no WCAG 2.1 A/AA violation (A01) on
the list (filtered, empty, with a bad filter), the challenge page and the home page, in English
and Danish; the countdown script runs without errors and keeps the server's wording."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from public_helpers import tag

from app.challenges.models import Announcement, Challenge, ChangeLogEntry, Question, QuestionStatus
from app.core.timeutil import utcnow
from app.db import db

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "da": "da-DK"}  # Playwright sends Accept-Language from the context's locale


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def _open(lang: str) -> Any:
        context = browser.new_context(locale=LOCALES[lang])
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def seeded(app, make_org, make_challenge, make_user) -> dict[str, Any]:
    org = make_org("Fjordvik Kommune")
    rich = make_challenge("open", org=org, title="Less cardboard in paper bins", prize_minor=9_000_000,
                          prize_count=3, prize_split=[50, 30, 20], deadline_at=utcnow() + timedelta(days=3, hours=4),
                          background_md="## Why now\n\nThe new sorting rules start in **spring**.")
    make_challenge("scheduled", org=org, title="Green transport to the business park", language="da")
    make_challenge("results", org=org, title="Loneliness among the elderly")
    tag(app, rich, "waste", sdgs=(11, 12))
    asker = make_user("asker@example.org")
    with app.app_context():
        challenge = db.session.get(Challenge, rich["id"])
        challenge.criteria[0].anchors = {"1": "No effect", "5": "Transforms the city"}
        db.session.add_all([
            Question(challenge_id=rich["id"], asked_by_id=asker, body="May teams mix students and startups?",
                     status=QuestionStatus.ANSWERED, answer="Yes.", answered_at=utcnow()),
            Announcement(challenge_id=rich["id"], title="Webinar on Friday", body_md="Join us at noon."),
            ChangeLogEntry(challenge_id=rich["id"], reason="More time for teams.",
                           changes={"deadline_at": {"old": "1 March", "new": "8 March"}}),
        ])
        db.session.commit()
    return rich


@pytest.mark.parametrize("lang", ["en", "da"])
def test_public_challenge_pages_have_no_axe_violations(live_server, open_page, axe_check, seeded, lang) -> None:
    # A01
    page = open_page(lang)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path, label in (
            ("/", "home"),
            ("/challenges/", "list"),
            ("/challenges/?status=open&tag=waste&sdg=12&sort=prize", "list with filters"),
            ("/challenges/?country=other", "list with no results"),
            ("/challenges/?status=bogus&prize_min=abc", "list with bad filters"),
            (f"/challenges/{seeded['slug']}", "challenge page")):
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == lang, label
        axe_check(page, f"{lang} {label}")
    assert errors == []


def test_the_filter_form_works_without_javascript(live_server, browser, seeded) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/challenges/")
        page.locator("details.filter-panel > summary").click()  # the "Filter" disclosure, closed at first
        page.get_by_label("Status").select_option("open")
        page.get_by_role("button", name="Show challenges").click()
        page.wait_for_load_state()
        assert "status=open" in page.url
        assert page.get_by_role("heading", name="1 challenge").is_visible()
        page.get_by_role("link", name="Clear all filters").click()  # beside the chips
        page.wait_for_load_state()
        assert page.url.endswith("/challenges/")
        page.goto(live_server + f"/challenges/{seeded['slug']}")
        assert page.locator(".countdown-text").inner_text().startswith("Closes in 3 days, ")
    finally:
        context.close()


def test_the_countdown_script_keeps_the_wording(live_server, open_page, seeded) -> None:
    for lang, words in (("en", ("Closes in 3 days", "hour")), ("da", ("3 dage", "time"))):
        page = open_page(lang)
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(live_server + f"/challenges/{seeded['slug']}")
        page.wait_for_load_state("load")
        text = page.locator(".countdown-text").inner_text()
        assert all(w in text for w in words), (lang, text)
        assert errors == []
