"""Browser helpers: pages in a chosen language, screenshots into test-artifacts/, and one call
that runs axe-core on what a page shows and saves what it looked like."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reflow_check import NARROW, assert_reflows  # noqa: F401  (for tests/browser/test_reflow.py)
from screenshots import screenshot

# Playwright sends Accept-Language from the context's locale: this is how a Danish browser arrives.
LOCALES = {"en": "en-GB", "da": "da-DK"}
NEW_PASSWORD = "lantern orbit pebble marmalade"
PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user gives every user


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(lang="en", **context_options): a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []

    def _new(lang: str = "en", **options: Any) -> Any:
        context = browser.new_context(locale=LOCALES.get(lang, lang), **options)
        # Fail in seconds, not Playwright's 30: every page here is local and small.
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """shot(page, name): a full-page screenshot in test-artifacts/ (git-ignored), for people to look
    at; not under CI=true unless SCREENSHOTS=1 (tests/conftest.py)."""
    def _shot(page: Any, name: str) -> Path:
        return screenshot(page, _slug(name))
    return _shot


@pytest.fixture
def audit(axe_check: Callable[[Any, str], None], shot: Callable[[Any, str], Path]) -> Callable[..., None]:
    """audit(page, "page, state"): axe WCAG 2.1 A/AA (A01) with the page and state in any failure,
    one <h1> and <html lang> (A02), then a screenshot named after the label.

    axe_check also checks the page's reflow at 320 px (tests/reflow_check.py)."""
    def _audit(page: Any, label: str, *, lang: str | None = None, screenshot: bool = True) -> None:
        axe_check(page, f"axe violations on [{label}]")
        h1 = page.locator("h1").count()
        assert h1 == 1, f"[{label}] {page.url}: {h1} <h1> elements"
        if lang:
            assert page.locator("html").get_attribute("lang") == lang, f"[{label}] <html lang> is not {lang}"
        if screenshot:
            _shot(page, label)

    _shot = shot
    return _audit


def follow(page: Any, selector: str) -> None:
    """Click the first link or button matching `selector` and wait for the page it loads."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def submit(page: Any, form: str = "main form") -> None:
    """Press the submit button of the first `form` in the page and wait for the page it loads."""
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").first.click()


def log_in(page: Any, base: str, email_addr: str, password: str | None = None) -> None:
    """Log in through the real form in the browser."""
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email_addr)
    page.fill("input[name=password]", password or PASSWORD)
    submit(page)
    assert "/account/login" not in page.url, f"login as {email_addr} failed"
