"""Related and similar in a real browser: the challenge page, a published concept's page and the
workspace's prior art, at 1280 and 320 CSS px, in English and Danish; axe-core finds no WCAG 2.1
A/AA violation (A01), nothing scrolls sideways at 320 px (A05), and the prior art opens with the
keyboard (A03)."""
from __future__ import annotations

from typing import Any

import pytest
from screenshots import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
LOCALES = {"en": "en-GB", "da": "da-DK"}
WIDTHS = (1280, 320)


@pytest.fixture
def seeded(make_challenge, make_concept, rebuild_index) -> dict[str, Any]:
    da = make_challenge("results", concept_publication="all", title="Mindre affald i skolerne",
                        summary="Hvordan kan eleverne i kommunens skoler sortere affald uden plastik?", language="da")
    sv = make_challenge("results", concept_publication="all", title="Mindre avfall i skolorna",
                        summary="Hur kan eleverna i kommunens skolor sortera avfall utan plast?", language="sv")
    make_challenge("archived", title="Affaldssortering på skolerne og i kommunens institutioner",
                   summary="Eleverne på kommunens skoler lærer at sortere affald.", language="da")
    concept = make_concept("submitted", challenge=da, title="Sorteringsspil for skolernes elever",
                           summary="Et spil lærer eleverne at sortere affald i skolegården.", language="da")
    make_concept("submitted", challenge=sv, title="Sorteringsspel för skolornas elever",
                 summary="Ett spel lär eleverna att sortera avfall på skolgården.", language="sv")
    open_ch = make_challenge("open", title="Skolegårde med mindre affald", language="da")
    draft = make_concept("draft", challenge=open_ch, title="Sorteringsspil for eleverne",
                         summary="Eleverne i skolerne lærer at sortere affald med et spil.", language="da")
    rebuild_index()
    return {"challenge": f"/challenges/{da['slug']}", "concept": f"/challenges/{da['slug']}/concepts/{concept['id']}",
            "workspace": f"/concepts/{draft['id']}/edit", "owner": draft["owner"]}


def _fits(page: Any, label: str) -> None:
    m = page.evaluate("() => ({w: document.documentElement.scrollWidth, i: window.innerWidth})")
    assert m["w"] <= m["i"], f"{label} scrolls sideways: {m}"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_related_sections_are_accessible_at_both_widths(browser, live_server, axe_check, seeded, lang) -> None:
    context = browser.new_context(locale=LOCALES[lang])
    context.set_default_timeout(8000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, heading in (("challenge", "#related-title"), ("concept", "#similar-title")):
                response = page.goto(live_server + seeded[name])
                assert response is not None, name
                assert response.status == 200, name
                assert page.locator("html").get_attribute("lang") == lang
                section = page.locator(f"section.related:has({heading})")
                assert section.is_visible(), name
                assert section.locator("a[lang]").count() >= 1, name
                label = f"{lang} {name} {width}px"
                _fits(page, label)
                axe_check(page, label)
                screenshot(page, f"related-{name}-{lang}-{width}")
        # The workspace: the prior art is closed, opens with the keyboard, and stays accessible open.
        page.goto(live_server + "/account/login")
        page.locator("main input[name=email]").fill(seeded["owner"])
        page.locator("main input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_server + seeded["workspace"])
            details = page.locator("details.prior-art")
            assert details.count() == 1
            assert details.get_attribute("open") is None
            label = f"{lang} workspace {width}px"
            axe_check(page, label + " closed")
            details.locator("summary").focus()
            page.keyboard.press("Enter")
            assert details.get_attribute("open") is not None
            assert details.locator("a").count() >= 1
            _fits(page, label)
            axe_check(page, label + " open")
            screenshot(page, f"related-workspace-{lang}-{width}")
    finally:
        context.close()
    assert errors == []
