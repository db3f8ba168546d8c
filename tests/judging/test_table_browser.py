"""The chair's table and decision in a real browser: axe-core in English and Norwegian Bokmål at
1280 and 320 px, in every state a chair meets (empty round, partly scored, errors, final) (A01)."""
from __future__ import annotations

from typing import Any

import pytest
from helpers_table import everyone, submit_sheets

from app.judging.services.table import CACHE

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _check_both_widths(page: Any, axe_check: Any, label: str) -> None:
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        axe_check(page, f"{label} at {width} px")
        # Reflow (1.4.10): at 320 px only the wide tables scroll, inside their own region.
        if width == 320:
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{label}: the page scrolls sideways by {overflow} px"


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_chair_reads_the_table_and_records_the_decision(app: Any, live_server: str, browser: Any, axe_check: Any,
                                                        make_judging: Any, lang: str) -> None:
    j = make_judging(concepts=3, jurors=2, blind=True)
    CACHE.clear()
    context = browser.new_context(locale={"en": "en-GB", "nb": "nb-NO"}[lang])
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        _log_in(page, live_server, j["chair"])
        table = f"{live_server}/challenges/{j['slug']}/jury/table"
        page.goto(table)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").count() == 1
        _check_both_widths(page, axe_check, f"{lang} empty table")

        chair, a, b = everyone(j)
        submit_sheets(app, j, {(chair, 0): (5, 4), (a, 0): (4, 4), (b, 0): (5, 5), (chair, 1): (3, 2),
                               (a, 1): (2, None), (chair, 2): (1, 2), (b, 2): (2, 1)})
        page.goto(table)
        assert page.locator("table.deliberation tbody tr").count() == 3
        assert page.locator("svg[role=img] title").count() >= 3
        _check_both_widths(page, axe_check, f"{lang} partly scored table")
        page.locator("nav a[href*='basis=calibrated']").click()
        page.wait_for_load_state()
        assert "basis=calibrated" in page.url

        decision = f"{live_server}/challenges/{j['slug']}/jury/decision"
        page.goto(decision)
        _check_both_widths(page, axe_check, f"{lang} empty decision")
        label = j["labels"][j["concepts"][0]["id"]]
        page.locator("#placements-0-entry").select_option(label)
        page.locator("#placements-0-amount").fill("60000")
        page.locator("#placements-0-citation").fill("Clear and bold.")
        page.locator("button[value=finalise]").click()
        page.wait_for_load_state()
        assert page.locator("#error-summary").count() == 1
        assert page.locator("#placements-0-citation").input_value() == "Clear and bold."
        _check_both_widths(page, axe_check, f"{lang} decision with errors")

        page.locator("#placements-0-amount").fill("50000")
        page.locator("button[value=finalise]").click()
        page.wait_for_load_state()
        assert page.locator("#error-summary").count() == 0
        assert page.locator("#reason").count() == 1  # the unlock form: the decision is final
        _check_both_widths(page, axe_check, f"{lang} final decision")
    finally:
        context.close()
