"""The chair's progress page in a real browser: a partly scored round with a removed juror, a
reminder sent and one refused; axe-core in English and Norwegian Bokmål at 1280 and 320 px (A01),
and the remind button reached and pressed by keyboard (A03)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JurySeat, ScoreSheet
from app.mail.models import OutboxMessage

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_chair_follows_progress_and_reminds_a_juror(app: Any, live_server: str, browser: Any, axe_check: Any,
                                                       make_judging: Any, lang: str) -> None:
    built = make_judging(concepts=3, jurors=3, blind=True)
    drafting, done, removed = built["jurors"]
    with app.app_context():
        for i, c in enumerate(built["concepts"]):
            db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][done],
                                      concept_id=c["id"], state="submitted"))
            if i == 0:
                db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][drafting],
                                          concept_id=c["id"], state="draft"))
        db.session.get(JurySeat, built["seat_ids"][removed]).removed_at = utcnow()
        chair = db.session.get(JurySeat, built["seat_ids"][built["chair"]])
        chair.user.locale = lang
        chair.conflicts_declared_at = utcnow()
        db.session.commit()
    context = browser.new_context(locale={"en": "en-GB", "nb": "nb-NO"}[lang])
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        _log_in(page, live_server, built["chair"])
        url = f"{live_server}/challenges/{built['slug']}/jury/progress"
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("h1").count() == 1
            axe_check(page, f"{lang} {width}px progress")
            # Reflow (A05-style): at 320 px the page itself does not scroll sideways.
            if width == 320:
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        if "judging.round" not in app.view_functions:
            pytest.skip("pressing Remind needs judging.round (the scoring branch) for the email's link")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
        # Keyboard only: Tab to the drafting juror's Remind button (the chair's own row comes first), Enter.
        name = {"en": "Remind", "nb": "Påminn"}[lang]
        button = page.get_by_role("button", name=name).nth(1)
        for _ in range(60):
            page.keyboard.press("Tab")
            if button.evaluate("el => el === document.activeElement"):
                break
        else:
            pytest.fail("the Remind button is not reachable by Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(".flash-success").count() == 1
        axe_check(page, f"{lang} reminded")
        with page.expect_navigation():
            page.get_by_role("button", name=name).nth(1).click()
        assert page.locator(".flash-error").count() == 1
        axe_check(page, f"{lang} refused")
        with app.app_context():
            sent = list(db.session.scalars(select(OutboxMessage.to_addr).where(
                OutboxMessage.template == "judging/reminder")))
        assert sent == [drafting]
    finally:
        context.close()
