"""The rubric editor with JavaScript, in a real Chromium (issue 12, item 5): a criterion is added
without a reload (focus in its first field), moved by its buttons with the mouse and the keyboard
(focus stays on the moved button, the move is said in the status region), removed, and the order
on the page is what is saved. The name's counter says how many characters are left, and how many
too many, without cutting anything. axe at 320 px in Danish and at 1280 px in English; at 320 px
the rows reflow (no sideways scrolling)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from screenshots import screenshot
from sqlalchemy import select

from app.challenges.models import Challenge
from app.db import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user gives every user


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def _open() -> Any:
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def _navigate(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()


def _login(page: Any, base: str, email: str, lang: str) -> None:
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    _navigate(page, page.locator("main form button[type=submit]").first)
    if lang == "da":
        _navigate(page, page.get_by_role("button", name="Dansk"))  # the header's language switcher
    assert page.locator("html").get_attribute("lang") == lang


def _check(page: Any, axe_check: Callable[[Any, str], None], label: str, width: int) -> None:
    axe_check(page, label)
    assert page.locator("h1").count() == 1, label
    if width == 320:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, label
    screenshot(page, f"rubric-forms-{label.replace(' ', '-')}")


def _names(page: Any) -> list[str]:
    return page.eval_on_selector_all("[data-criteria] input[name$='-name']", "els => els.map(e => e.value)")


def _active(page: Any) -> str:
    return page.evaluate("(document.activeElement.name || '') + '=' + (document.activeElement.value || '')")


def test_rubric_rows_with_javascript_in_danish_at_320(app: Flask, live_server: str, open_page: Callable[[], Any],
                                                      axe_check: Callable[[Any, str], None],
                                                      make_challenge: Callable[..., dict[str, Any]]) -> None:
    made = make_challenge("draft")
    page = open_page()
    _login(page, live_server, made["org"]["owner"], "da")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server}/challenges/{made['slug']}/rubric")
    _check(page, axe_check, "da 320 rubric", 320)
    page.evaluate("window.__samePage = true")  # gone if anything reloads the page
    assert _names(page) == ["Impact", "Feasibility", "", ""]

    # Add: a fifth row, numbered, with focus in its name; no reload.
    page.locator("button[name=add_row]").click()
    assert _names(page) == ["Impact", "Feasibility", "", "", ""]
    assert page.evaluate("document.activeElement.id") == "criteria-4-name"
    assert page.locator("input[name=rows]").input_value() == "5"
    assert page.locator("#criteria-4-row > legend").inner_text().endswith("5")
    assert page.locator("label[for=criteria-4-weight]").count() == 1

    # The counter: what is left, then what is too many; nothing is cut.
    name = page.locator("#criteria-4-name")
    name.fill("x" * 100)
    assert page.locator("#criteria-4-name-limit .char-count").inner_text() == "20 tegn tilbage"
    name.fill("x" * 125)
    limit = page.locator("#criteria-4-name-limit")
    assert limit.locator(".char-count").inner_text() == "5 tegn for mange"
    assert "char-limit-over" in (limit.get_attribute("class") or "")
    assert len(name.input_value()) == 125
    # Said to a screen reader once the typing pauses (a polite status region next to the hint).
    expect(page.locator("#criteria-4-name-limit + [role=status]")).to_have_text("5 tegn for mange")
    name.fill("Originality")
    _check(page, axe_check, "da 320 rubric with a new row", 320)

    # Reorder: the mouse, then the keyboard on the same button; focus stays on it as the row moves.
    page.locator("#criteria-4-row button[name=move_up]").click()
    assert _names(page) == ["Impact", "Feasibility", "", "Originality", ""]
    assert _active(page) == "move_up=3"
    page.keyboard.press("Enter")
    assert _active(page) == "move_up=2"
    page.keyboard.press(" ")
    assert _names(page) == ["Impact", "Originality", "Feasibility", "", ""]
    assert _active(page) == "move_up=1"
    expect(page.locator("#rubric-status")).to_contain_text("2")
    assert page.locator("#criteria-1-name").input_value() == "Originality"  # renumbered with the row
    assert page.locator("#criteria-0-row button[name=move_up]").get_attribute("aria-disabled") == "true"
    assert page.locator("#criteria-1-row button[name=move_up]").get_attribute("aria-disabled") is None

    # Remove an empty row: focus goes to the row now in its place.
    page.locator("#criteria-3-row button[name=remove_row]").click()
    assert _names(page) == ["Impact", "Originality", "Feasibility", ""]
    assert page.evaluate("document.activeElement.id") == "criteria-3-name"
    assert page.locator("input[name=rows]").input_value() == "4"
    assert page.evaluate("window.__samePage") is True
    _check(page, axe_check, "da 320 rubric reordered", 320)

    page.fill("#criteria-0-weight", "50")
    page.fill("#criteria-1-weight", "20")
    page.fill("#criteria-2-weight", "30")
    _navigate(page, page.locator("form.rubric-editor .actions button[type=submit]").last)
    assert page.locator("#error-summary").count() == 0
    with app.app_context():
        challenge = db.session.scalar(select(Challenge).where(Challenge.slug == made["slug"]))
        assert challenge is not None
        assert [(c.name, c.weight) for c in challenge.criteria] == [("Impact", 50), ("Originality", 20),
                                                                     ("Feasibility", 30)]
    assert _names(page)[:3] == ["Impact", "Originality", "Feasibility"]


def test_rubric_editor_in_english_at_1280(app: Flask, live_server: str, open_page: Callable[[], Any],
                                          axe_check: Callable[[Any, str], None],
                                          make_challenge: Callable[..., dict[str, Any]]) -> None:
    made = make_challenge("open")  # published: a change needs a reason
    page = open_page()
    _login(page, live_server, made["org"]["owner"], "en")
    page.goto(f"{live_server}/challenges/{made['slug']}/rubric")
    _check(page, axe_check, "en 1280 rubric published", 1280)
    page.locator("button[name=add_row]").click()
    page.locator("#criteria-1-row button[name=move_down]").click()
    assert _names(page) == ["Impact", "", "Feasibility", "", ""]
    expect(page.locator("#rubric-status")).to_contain_text("position 3 of 5")
    # An over-long name is sent to the server as typed, and the message names the row and the field.
    page.fill("#criteria-0-name", "Impact on residents " * 7)
    _navigate(page, page.locator("form.rubric-editor .actions button[type=submit]").last)
    summary = page.locator("#error-summary").inner_text()
    assert "Criterion 1: Name: at most 120 characters (you wrote 139)." in summary
    assert page.locator("#criteria-0-name").input_value() == ("Impact on residents " * 7).strip()
    assert "too many" in page.locator("#criteria-0-name-limit .char-count").inner_text()
    _check(page, axe_check, "en 1280 rubric over-long name", 1280)
