"""The chair's rounds, assignment and conflict-flag pages in a real browser: empty, with an error,
filled; axe-core (WCAG 2.1 AA) in English and Norwegian Bokmål at 1280 and 320 px, and no
sideways scrolling at 320 px (A01, A04, A09; P09)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.db import db
from app.judging.services.flags import flag_conflicts

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _check(page: Any, axe_check: Any, label: str, width: int) -> None:
    assert page.locator("h1").count() == 1, label
    axe_check(page, label)
    if width <= 320:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{label}: scrolls sideways"


@pytest.mark.browser
# Each language and each width once (the suite stays under 8 minutes): English at 1280 px,
# Norwegian Bokmål, whose longer words find reflow problems first, at 320 px.
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("nb", 320)])
def test_chair_pages_in_a_browser(app: Any, live_server: str, browser: Any, axe_check: Any,
                                  make_judging: Any, lang: str, width: int) -> None:
    made = make_judging(concepts=3, jurors=2, blind=True)
    with app.app_context():
        db.session.scalar(select(User).where(User.email == made["chair"])).locale = lang
        db.session.commit()
    context = browser.new_context(locale={"en": "en-GB", "nb": "nb-NO"}[lang],
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    base = f"{live_server}/challenges/{made['slug']}/jury"
    try:
        _log_in(page, live_server, made["chair"])

        # Conflict flags: none yet, then the platform's flags (the jurors and the members here all
        # name one institution).
        page.goto(f"{base}/conflicts/review")
        assert page.locator("html").get_attribute("lang") == lang
        _check(page, axe_check, f"{lang} flags empty", width)
        with app.app_context():
            from app.challenges.models import Challenge

            emails = [made["chair"], *made["jurors"], *(m for c in made["concepts"] for m in c["members"])]
            for user in db.session.scalars(select(User).where(User.email.in_(emails))):
                user.institution = "Fjordvik Folkehøgskole"
            flag_conflicts(db.session.get(Challenge, made["challenge"]["id"]))
            db.session.commit()
        page.goto(f"{base}/conflicts/review")
        _check(page, axe_check, f"{lang} flags filled", width)
        first_form = page.locator("main form").first
        note = first_form.locator("input[name=note]")
        note.evaluate("el => el.removeAttribute('maxlength')")
        note.fill("x" * 1001)
        with page.expect_navigation():
            first_form.locator("button[value=confirm]").click()
        assert page.locator(".error-message").count() == 1
        _check(page, axe_check, f"{lang} flags error", width)
        page.locator("main form").first.locator("input[name=note]").fill("Same employer")
        with page.expect_navigation():
            page.locator("main form").first.locator("button[value=confirm]").click()
        _check(page, axe_check, f"{lang} flags decided", width)

        # Rounds: round 1 only, an error (no name), then round 2 opened by hand.
        page.goto(f"{base}/rounds")
        _check(page, axe_check, f"{lang} rounds", width)
        form = page.locator("form[action$='/jury/rounds']")
        form.locator("#name").fill("")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("#error-summary").count() == 1
        _check(page, axe_check, f"{lang} rounds error", width)
        form = page.locator("form[action$='/jury/rounds']")
        form.locator("#name").fill("Shortlist")
        form.locator("#deadline").fill("2099-03-01T12:00")
        form.locator("#advance-1").check()
        number = int(next(iter(made["labels"].values()))[2:])
        form.locator(f"#pick_{number}").check()
        form.locator(f"#note_{number}").fill("Bold idea")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("#error-summary").count() == 0, page.content()[:3000]
        _check(page, axe_check, f"{lang} rounds filled", width)

        # Assignment of round 1 (closed now: read-only) and round 2: everyone, an error, k = 1.
        page.goto(f"{base}/rounds/1/assignment")
        _check(page, axe_check, f"{lang} assignment closed", width)
        page.goto(f"{base}/rounds/2/assignment")
        _check(page, axe_check, f"{lang} assignment empty", width)
        form = page.locator("form[action$='/assignment']")
        form.locator("#mode-1").check()
        form.locator("#k").fill("0")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("#error-summary").count() == 1
        _check(page, axe_check, f"{lang} assignment error", width)
        form = page.locator("form[action$='/assignment']")
        form.locator("#mode-1").check()
        form.locator("#k").fill("1")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("form[action$='/assignment/pair']").count() == 1
        _check(page, axe_check, f"{lang} assignment filled", width)
    finally:
        context.close()
