"""The public pages in a real browser: axe-core finds no WCAG 2.1 A/AA violation (A01), in English
and after switching to Danish with the language buttons, also by keyboard."""
from __future__ import annotations

import pytest

from app.db import db
from app.demo import load_demo

PATHS = ("/", "/accessibility", "/privacy", "/terms", "/no-such-page")


@pytest.mark.browser
def test_public_pages_have_no_axe_violations(app, live_server, page, axe_check) -> None:
    # A01, A11
    with app.app_context():
        load_demo()  # the home page lists organisations
        db.session.commit()
    for path in PATHS:
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == "en"
        axe_check(page, f"en {path}")
    page.goto(live_server + "/privacy")
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_url(live_server + "/privacy")  # `next` brought us back
    assert page.locator("html").get_attribute("lang") == "da"
    for path in PATHS:
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == "da"
        axe_check(page, f"da {path}")


@pytest.mark.browser
def test_language_switch_and_skip_link_by_keyboard(live_server, page) -> None:
    # A03: the skip link is the first Tab stop and moves focus to the main content; the language
    # buttons work with the keyboard.
    page.goto(live_server + "/terms")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("button", name="Svenska").focus()
    # The URL is /terms#main before and after (browsers keep the fragment on redirect), so waiting
    # for a load state could return before the redirected page arrived: wait for its language.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator('html[lang="sv"]').wait_for(state="attached")
    assert page.url.split("#")[0] == live_server + "/terms"
