"""axe-core (WCAG 2.1 A/AA, A01) in a real Chromium on the challenge editor: the empty form, the
form with errors, the saved draft with its checklist and readability hint, the rubric page (empty,
with errors, after "Add another criterion") and the preview, in English and in Danish (chosen
with the language switcher). One <h1> and the page language on each (A02); the rubric rows are
fieldsets with legends (A09). Without JavaScript doing any of the work: the forms post."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from screenshots import screenshot

from app.core.timeutil import clock

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user gives every user
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def _open() -> Any:
        context = browser.new_context(locale="en-GB")
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def _submit(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()


@pytest.mark.parametrize("lang", ["en", "da"])
def test_editor_pages_have_no_axe_violations(app: Flask, live_server: str, open_page: Callable[[], Any],
                                             axe_check: Callable[[Any, str], None],
                                             make_org: Callable[..., dict[str, Any]], lang: str) -> None:
    clock.set(NOW)
    org = make_org()
    page = open_page()
    page.goto(live_server + "/account/login")
    page.fill("input[name=email]", org["owner"])
    page.fill("input[name=password]", PASSWORD)
    _submit(page, page.locator("main form button[type=submit]").first)
    if lang == "da":
        # The language switcher in the header, as a person would use it.
        _submit(page, page.get_by_role("button", name="Dansk"))
    assert page.locator("html").get_attribute("lang") == lang

    def check(label: str) -> None:
        axe_check(page, f"[{lang}] {label}")
        assert page.locator("h1").count() == 1, label
        assert page.locator("html").get_attribute("lang") == lang, label
        screenshot(page, f"editor-{label.replace(' ', '-')}-{lang}")

    page.goto(f"{live_server}/organisations/{org['slug']}/challenges/new")
    check("new empty")
    assert page.locator("fieldset:has(input[name=sdgs]) legend").count() == 1  # SDGs grouped (A09)

    save = page.locator("form.challenge-editor button[type=submit]")
    page.fill("input[name=title]", "Less cardboard in paper bins")
    page.fill("input[name=prize_amount]", "-5")
    page.fill("input[name=prize_count]", "3")
    page.fill("input[name=prize_split]", "60, 30")
    page.fill("input[name=opens_at]", "2027-02-01T09:00")
    page.fill("input[name=deadline_at]", "2027-01-20T12:00")
    page.fill("input[name=judging_ends_at]", "2027-03-20T12:00")
    page.fill("input[name=results_at]", "2027-04-01T12:00")
    _submit(page, save)
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#prize_amount-error").count() == 1
    assert page.locator("#deadline_at-error").count() == 1
    assert page.locator("input[name=title]").input_value() == "Less cardboard in paper bins"  # input kept
    check("new errors")

    page.fill("textarea[name=summary]", "Help residents sort cardboard correctly.")
    page.fill("textarea[name=problem_md]", "Residents put cardboard in the paper bins. The paper then cannot be "
                                           "recycled well. We want **simple** ideas that help people sort.")
    page.fill("input[name=prize_amount]", "50.000,00" if lang == "da" else "50,000.00")
    page.fill("input[name=prize_split]", "60, 30, 10")
    page.fill("input[name=deadline_at]", "2027-03-01T12:00")
    _submit(page, page.locator("form.challenge-editor button[type=submit]"))
    assert "/edit" in page.url
    check("edit draft")
    assert page.locator("text=LIX").count() >= 1

    page.goto(page.url.replace("/edit", "/rubric"))
    check("rubric empty")
    assert page.locator("fieldset.criterion > legend").count() == 2
    page.fill("input[name=criteria-0-name]", "Impact")
    page.fill("input[name=criteria-0-weight]", "60")
    page.fill("input[name=criteria-1-name]", "Feasibility")
    page.fill("input[name=criteria-1-weight]", "30")
    page.fill("input[name=criteria-1-scale_min]", "5")
    page.fill("input[name=criteria-1-scale_max]", "5")
    _submit(page, page.locator("form.rubric-editor .actions button[type=submit]").last)
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#criteria-1-scale_max-error").count() == 1
    assert page.locator("#weights-error").count() == 1  # 60 + 30: the sum is reported with the row errors
    check("rubric errors")

    page.locator("button[name=add_row]").click()  # rubric.js adds the row in place (tests/challenges/test_rubric_*)
    assert page.locator("fieldset.criterion > legend").count() == 3
    assert page.locator("input[name=criteria-0-name]").input_value() == "Impact"
    check("rubric added row")

    page.fill("input[name=criteria-1-scale_min]", "1")
    page.fill("input[name=criteria-1-weight]", "40")
    _submit(page, page.locator("form.rubric-editor .actions button[type=submit]").last)
    assert page.locator("#error-summary").count() == 0
    check("rubric saved")

    page.goto(page.url.replace("/rubric", "/preview"))
    assert page.locator(".preview-banner").count() == 1
    check("preview")
