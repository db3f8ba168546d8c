"""The search page in a real browser: axe-core finds no WCAG 2.1 A/AA violation (A01) in its
states (browsing, results with facets, facets chosen, no results, syntax error, degraded), in
English and Swedish, at 1280 and 320 px, with no sideways scrolling at 320 (A05); the facets are a
form that works without JavaScript."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from app.search import indexing

pytestmark = pytest.mark.browser

STATES = {
    "browsing the archive": "/search",
    "results with facets": "/search?q=skola",
    "facets chosen": "/search?q=skola&language=sv&country=SE",
    "no results": "/search?q=zzzyxw",
    "syntax error": '/search?q=%22skola',
    "did you mean": "/search?q=avfallsortring",
}


@pytest.fixture
def archive(app, make_org, make_challenge, make_concept) -> None:
    se = make_org("Sjöstad kommun", country="SE")
    dk = make_org("Ballerup Kommune", country="DK")
    make_challenge("open", org=se, language="sv", title="Tryggare skolvägar för alla barn",
                   summary="Hur kan fler barn gå eller cykla till skolan på egen hand?")
    ch = make_challenge("results", org=se, language="sv", concept_publication="all",
                        title="Mindre avfall i skolans matsal", summary="Avfallssortering och mindre matsvinn i skolan.")
    make_concept("submitted", challenge=ch, language="sv", title="Skolor som sorterar",
                 summary="Elever leder avfallssorteringen på varje skola.")
    make_challenge("archived", org=dk, language="da", title="Affaldssortering i boligområder",
                   summary="Hvordan sorterer flere beboere deres affald rigtigt?")
    with app.app_context():
        indexing.rebuild()


# Each language once, at one of the two widths (the suite's time budget).
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("sv", 320)])
def test_search_states_pass_axe_and_reflow(app, archive, live_server: str, new_page: Callable[..., Any],
                                          audit: Callable[..., None], lang: str, width: int) -> None:
    page = new_page(lang, viewport={"width": width, "height": 900})
    for label, path in STATES.items():
        page.goto(live_server + path)
        audit(page, f"search {lang} {width}: {label}", lang=lang)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"search {lang} {width} {label}: scrolls sideways by {overflow}px"
    # Degraded: the index is gone; the page answers from the database with a notice (R08).
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    page = new_page(lang, viewport={"width": width, "height": 900})
    page.goto(live_server + "/search?q=skolans")
    assert page.locator(".notice").count() >= 1
    audit(page, f"search {lang} {width}: degraded", lang=lang)


def test_facets_work_without_javascript(archive, live_server: str, new_page: Callable[..., Any]) -> None:
    page = new_page("en", java_script_enabled=False)
    page.goto(live_server + "/search?q=skola")
    page.locator(".search-facets input[name=language][value=sv]").check()
    with page.expect_navigation():
        page.locator(".search-facets button[type=submit]").click()
    assert "language=sv" in page.url
    assert page.locator(".chips a").count() == 1
    titles = page.locator(".result-title").all_inner_texts()
    assert titles
    assert all("Affald" not in t for t in titles)
    # the header box searches from any page
    page.goto(live_server + "/")
    page.fill("#site-search-q", "affald")
    with page.expect_navigation():
        page.locator(".site-search button").click()
    assert "q=affald" in page.url
    assert "Affaldssortering i boligområder" in page.locator(".results").inner_text()


@pytest.mark.parametrize(("lang", "width", "path"), [("en", 320, "/feeds/challenges.atom"),
                                                      ("sv", 1280, "/calendar/deadlines.ics")])
def test_the_subscribe_page_of_a_feed_passes_axe(live_server: str, new_page: Callable[..., Any],
                                                 audit: Callable[..., None], lang: str, width: int, path: str) -> None:
    """Issue 12, item 6: a feed or calendar link opened in a browser is a page a person can read."""
    page = new_page(lang, viewport={"width": width, "height": 900})
    page.goto(live_server + path)
    assert page.locator("#feed-url").input_value().endswith(path)
    audit(page, f"subscribe page {lang} {width}: {path}", lang=lang)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} at {width}: scrolls sideways by {overflow}px"
