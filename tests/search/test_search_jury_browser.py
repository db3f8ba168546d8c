"""The jury search in a browser (A01, A04, A09): from the juror's home to the search by keyboard,
results with highlighted snippets, no results, a syntax error and the list of every entry; axe-core
(WCAG 2.1 AA) on each state, in English at 1280 px and Swedish at 320 px, with no sideways
scrolling at 320 px. A blind challenge, so the page is seen as blind jurors see it."""
from __future__ import annotations

from typing import Any

import pytest
import search_jury_fixtures
from sqlalchemy import select

from app.accounts.models import User
from app.concepts.models import ConceptVersion
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JurySeat
from app.search import indexing

make_judging = search_jury_fixtures.make_judging  # the judging tests' fixture

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


def _tab_to(page: Any, selector: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


@pytest.mark.browser
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("sv", 320)])
def test_a_juror_searches_the_entries_by_keyboard(app: Any, live_server: str, browser: Any, axe_check: Any,
                                                  make_judging: Any, lang: str, width: int) -> None:
    j = make_judging(concepts=3, blind=True, language="sv")
    juror = j["jurors"][0]
    texts = [("Skolorna sorterar avfallet", "Eleverna sorterar avfall på skolgården varje dag, i färgade kärl."),
             ("Cykelbanor till alla skolor", "Säkra cykelbanor från bostadsområdena till skolan."),
             ("Ensamhet bland äldre", "Frivilliga besöker äldre i kommunen varje vecka.")]
    with app.app_context():
        db.session.scalar(select(User).where(User.email == juror)).locale = lang
        db.session.get(JurySeat, j["seat_ids"][juror]).conflicts_declared_at = utcnow()
        for made, (title, summary) in zip(j["concepts"], texts, strict=True):
            version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == made["id"]))
            version.title, version.summary, version.language = title, summary, "sv"
            version.body_md = f"## Idén\n\n{summary} " * 20
        db.session.commit()
        indexing.rebuild()
    context = browser.new_context(locale={"en": "en-GB", "sv": "sv-SE"}[lang],
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    where = f"{lang} {width}px"
    search_url = f"/challenges/{j['slug']}/jury/search"
    try:
        _log_in(page, live_server, juror)
        page.goto(live_server + "/jury")
        assert page.locator("html").get_attribute("lang") == lang
        _tab_to(page, f"a[href='{search_url}']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith(search_url)
        _check(page, axe_check, f"{where} every entry", width)
        assert page.locator("ol.results li").count() == 3

        _tab_to(page, "#jury-q")
        page.keyboard.type("sortera")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("ol.results li").count() == 1           # "sorterar", in title and summary
        assert page.locator(".result-snippet mark").count() >= 1
        assert page.locator(".result-count[role=status]").count() == 1
        _check(page, axe_check, f"{where} results", width)

        page.goto(live_server + search_url + "?q=kvxnothing")
        assert page.locator("ol.results").count() == 0
        _check(page, axe_check, f"{where} no results", width)

        page.goto(live_server + search_url + "?q=%22unclosed")
        assert page.locator("#jury-q[aria-invalid=true]").count() == 1
        _check(page, axe_check, f"{where} syntax error", width)

        page.goto(live_server + search_url + "?q=cykelbanor")
        link = page.locator("ol.results h3 a").first
        with page.expect_navigation():
            link.click()
        assert "/jury/rounds/1/C-" in page.url
    finally:
        context.close()
