"""The organisers' concept pages in a real browser, in English and Swedish: axe-core WCAG 2.1 A/AA
(A01) on entries (counts only, list, filter error), one entry (with and without an error, marked
ineligible) and extensions (empty, error, granted); one <h1> and <html lang> on each (A02)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.challenges.models import Challenge
from app.concepts.models import ConceptVersion
from app.core.timeutil import as_utc, utcnow
from app.db import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/account/login" not in page.url


def _check(page: Any, axe_check: Any, label: str, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang, label
    assert page.locator("h1").count() == 1, label
    axe_check(page, f"{lang} {label}")


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").first.click()


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_organiser_concept_pages_pass_axe(app, live_server, browser, axe_check, make_challenge, make_concept,
                                          lang) -> None:
    closed = make_challenge("closed")
    org = closed["org"]
    entered = make_concept("submitted", challenge=closed, members=3, title="Pant på pappkartong")
    make_concept("submitted", challenge=closed, title="Sorting stickers", language="sv")
    make_concept("draft", challenge=closed, title="Never sent")
    late = make_concept("draft", challenge=closed, title="Still writing")
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == entered["id"]))
        version.tag_names = ["cardboard", "deposit"]
        version.body_md = "## Plan\n\n- Collect\n- Pay back\n\n[More](https://example.org)"
        deadline = as_utc(db.session.get(Challenge, closed["id"]).deadline_at)
        db.session.commit()
    opened = make_challenge("open", org=org)
    make_concept("submitted", challenge=opened)

    context = browser.new_context(locale={"en": "en-GB", "sv": "sv-SE"}[lang])
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, org["owner"])
        page.goto(f"{live_server}/challenges/{opened['slug']}/entries")
        _check(page, axe_check, "entries, counts only", lang)

        base = f"{live_server}/challenges/{closed['slug']}"
        page.goto(base + "/extensions")
        _check(page, axe_check, "extensions, empty", lang)
        _submit(page, "main form.stacked")
        assert page.locator("#error-summary").count() == 1
        _check(page, axe_check, "extensions, errors", lang)
        until = max(deadline + timedelta(days=12), utcnow() + timedelta(days=1))
        page.fill("input[name=concept]", f"C-{late['id']}")
        page.fill("input[name=until]", until.astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%Y-%m-%dT%H:%M"))
        page.fill("textarea[name=reason]", "Illness in the team")
        _submit(page, "main form.stacked")
        assert page.locator("#error-summary").count() == 0
        _check(page, axe_check, "extensions, granted", lang)

        page.goto(base + "/entries")
        assert page.locator("table.entries-table tbody tr").count() == 2
        _check(page, axe_check, "entries, list", lang)
        page.goto(base + "/entries?sort=nonsense")
        assert page.locator("#error-summary").count() == 1
        _check(page, axe_check, "entries, filter error", lang)

        page.goto(f"{base}/entries/{entered['id']}")
        _check(page, axe_check, "entry", lang)
        _submit(page, "form[action$='/ineligible']")
        assert page.locator("#error-summary").count() == 1
        _check(page, axe_check, "entry, missing reason", lang)
        page.fill("textarea[name=reason]", "Outside the region")
        _submit(page, "form[action$='/ineligible']")
        assert page.locator(".badge-ineligible").count() >= 1
        _check(page, axe_check, "entry, ineligible", lang)
    finally:
        context.close()
