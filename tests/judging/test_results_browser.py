"""The results in a real browser (A01): the Winners page empty, the chair publishing from the
challenge page by keyboard, the challenge page in results (winners, jury, jury report with its
distribution tables, the formula), the Winners page filled and the home page; axe-core WCAG 2.1
A/AA on each, in English and Norwegian Bokmål, at 1280 and 320 px (reflow: no sideways scrolling)."""
from __future__ import annotations

from typing import Any

import pytest

from app.challenges.models import Challenge
from app.db import db

PASSWORD = "correct horse battery staple"
WIDTHS = (1280, 320)


def _check(page: Any, axe_check: Any, label: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        axe_check(page, f"{label} at {width}px")
        assert page.locator("h1").count() == 1, label
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{label} scrolls sideways at {width}px"


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_results_pages_in_a_browser(app: Any, live_server: str, browser: Any, axe_check: Any, make_judging: Any,
                                    make_user: Any, decide: Any, score_sheet: Any, lang: str) -> None:
    context = browser.new_context(locale={"en": "en-GB", "nb": "nb-NO"}[lang])
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/winners")
        assert page.locator("html").get_attribute("lang") == lang
        _check(page, axe_check, f"{lang} winners (empty)")

        made = make_judging(concepts=3, jurors=2, members=2, concept_publication="winners")
        cid = made["challenge"]["id"]
        first, mention, _unplaced = (c["id"] for c in made["concepts"])
        for i, email in enumerate([made["chair"], *made["jurors"]]):
            score_sheet(made["round_id"], made["seat_ids"][email], first, {0: 3 + i % 3, 1: 4}, comment=f"Note {i}")
        decide(cid, [(first, "prize", 1, 3_000_000, "Clear and cheap."), (mention, "mention", 2, 0, "Charming.")])
        with app.app_context():
            from sqlalchemy import select

            from app.accounts.models import User

            db.session.scalar(select(User).where(User.email == made["chair"])).locale = lang
            db.session.commit()
            title = db.session.get(Challenge, cid).title

        # The chair publishes from the challenge page, by keyboard.
        page.goto(f"{live_server}/account/login")
        page.locator("main input[name=email]").fill(made["chair"])
        page.locator("main input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"{live_server}/challenges/{made['slug']}")
        button = page.locator(".publish-panel button[type=submit]")
        _check(page, axe_check, f"{lang} challenge in judging, chair")
        button.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith(f"/challenges/{made['slug']}")
        assert page.locator("#results-title").count() == 1
        assert page.locator("table.distribution").count() == 2
        assert page.locator("[data-tie-breaker]").count() == 4
        _check(page, axe_check, f"{lang} challenge in results")

        page.goto(f"{live_server}/winners")
        assert page.locator(".winner-rows li").count() == 2
        assert title in page.locator("main").inner_text()
        _check(page, axe_check, f"{lang} winners (filled)")

        page.goto(f"{live_server}/")
        assert page.locator(".winner-rows li").count() == 2
        _check(page, axe_check, f"{lang} home with winners")
    finally:
        context.close()
