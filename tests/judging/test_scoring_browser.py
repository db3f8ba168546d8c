"""A juror's journey by keyboard alone (A03): declare conflicts, open an entry, submit a sheet with
a missing score (errors shown), fix it, submit; then the sheet read-only after the deadline. axe-core
(WCAG 2.1 AA) on every state, in English and Norwegian Bokmål, at 1280 and 320 px (A01, A09)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JudgingRound, JurySeat, ScoreSheet

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def _press_enter(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.browser
# Each language and each width once (the suite stays under 8 minutes): English at 1280 px,
# Norwegian Bokmål, whose longer words find reflow problems first, at 320 px.
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("nb", 320)])
def test_a_juror_scores_by_keyboard(app: Any, live_server: str, browser: Any, axe_check: Any, make_judging: Any,
                                    lang: str, width: int) -> None:
    j = make_judging(concepts=2, blind=True)
    juror = j["jurors"][0]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == juror))
        user.locale = lang
        db.session.commit()
        criteria = [c.id for c in db.session.get(JudgingRound, j["round_id"]).criteria()]
    context = browser.new_context(locale={"en": "en-GB", "nb": "nb-NO"}[lang],
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    where = f"{lang} {width}px"
    try:
        _log_in(page, live_server, juror)
        page.goto(live_server + "/jury")
        assert page.locator("html").get_attribute("lang") == lang
        axe_check(page, f"{where} home")

        # Home -> the declaration, by keyboard.
        _tab_to(page, f"a[href$='/challenges/{j['slug']}/jury/conflicts']")
        _press_enter(page)
        axe_check(page, f"{where} conflicts")
        first = sorted(j["labels"].values())[0]
        _tab_to(page, f"#conflict_{first}")
        page.keyboard.press("Space")
        _tab_to(page, f"#reason_{first}")
        page.keyboard.type("A former colleague is on the team")
        _tab_to(page, "#confirm_all")
        page.keyboard.press("Space")
        _tab_to(page, "main form button[type=submit]")
        _press_enter(page)
        with app.app_context():
            assert db.session.get(JurySeat, j["seat_ids"][juror]).conflicts_declared_at is not None
        axe_check(page, f"{where} conflicts declared")

        # The round: only the entry without a conflict is listed.
        _tab_to(page, "main a[href$='/jury/rounds/1']")
        _press_enter(page)
        axe_check(page, f"{where} round")
        other = sorted(j["labels"].values())[1]
        assert page.locator(f"main a:has-text('{first}')").count() == 0
        _tab_to(page, f"main a[href$='/rounds/1/{other}']")
        _press_enter(page)
        axe_check(page, f"{where} sheet")

        # Submit with no scores: errors shown, tied to the fields.
        _tab_to(page, "button[value=submit]")
        _press_enter(page)
        assert page.locator(".error-summary").count() == 1
        axe_check(page, f"{where} sheet with errors")

        # Score each criterion (Space picks the focused radio, arrows move within the group).
        for cid in criteria:
            _tab_to(page, f"input[name=score_{cid}]")
            page.keyboard.press("Space")
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            _tab_to(page, f"#comment_{cid}")
            page.keyboard.type("Well argued.")
        _tab_to(page, "#overall_comment")
        page.keyboard.type("A clear idea.")
        _tab_to(page, "button[value=submit]")
        _press_enter(page)
        with app.app_context():
            sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.seat_id == j["seat_ids"][juror]))
            assert sheet is not None
            assert sheet.state == "submitted"
            assert sorted(s.value for s in sheet.scores) == [3, 3]
        axe_check(page, f"{where} sheet submitted")

        # After the deadline: read-only, with the reason.
        with app.app_context():
            db.session.get(JudgingRound, j["round_id"]).deadline_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
        page.reload()
        assert page.locator("button[value=submit]").count() == 0
        assert page.locator("fieldset.sheet-fields[disabled]").count() == 1
        axe_check(page, f"{where} sheet read-only")
        # No horizontal scrolling at 320 px (WCAG 1.4.10 reflow).
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), where
    finally:
        context.close()
