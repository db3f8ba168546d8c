"""The submit step in a real browser: from the concept's overview to the receipt by keyboard alone
(Tab, Space, Enter; A03), and axe-core on the overview, submit and receipt pages in English and
Swedish (A01, A02, A08)."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
LOCALES = {"en": "en-GB", "sv": "sv-SE"}


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (a keyboard user's way through the page)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("sel => document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"{selector} not reached by Tab on {page.url}")


def _check(page: Any, axe_check: Any, label: str, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang, label
    assert page.locator("h1").count() == 1, label
    axe_check(page, f"{lang} {label}")


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_submit_by_keyboard_and_axe_on_every_page(app, live_server, browser, axe_check, make_concept,
                                                  lang) -> None:
    made = make_concept("draft", members=2)
    context = browser.new_context(locale=LOCALES[lang])
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, made["owner"])
        page.goto(f"{live_server}/concepts/{made['id']}")
        _check(page, axe_check, "overview, draft", lang)

        # A03: overview -> review page -> receipt with the keyboard only.
        _tab_to(page, f"a[href$='/concepts/{made['id']}/submit']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        _check(page, axe_check, "submit, review", lang)
        _tab_to(page, "input[name=licence]")
        page.keyboard.press("Space")
        assert page.locator("input[name=licence]:checked").count() == 1
        _tab_to(page, "input[name=confirm_eligible]")
        page.keyboard.press("Space")
        _tab_to(page, "input[name=confirm_terms]")
        page.keyboard.press("Space")
        _tab_to(page, "main form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"/concepts/{made['id']}/versions/1" in page.url
        assert page.locator("#flash").inner_text().strip()  # "Your concept has been submitted." (role=status)
        assert page.locator(".fingerprint").count() >= 1
        _check(page, axe_check, "receipt", lang)

        page.goto(f"{live_server}/concepts/{made['id']}")
        _check(page, axe_check, "overview, submitted", lang)

        # A withdraw without its confirmation: the error summary is checked too.
        page.goto(f"{live_server}/concepts/{made['id']}")
        _tab_to(page, f"form[action$='/concepts/{made['id']}/withdraw'] button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        _check(page, axe_check, "overview, withdraw without confirming", lang)
        assert page.locator(".error-summary").count() == 1
    finally:
        context.close()
