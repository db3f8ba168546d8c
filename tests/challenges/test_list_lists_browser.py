"""The challenge list in a real browser (issue 12, item 4): on a phone (Danish, 320 px) the filters
are a closed "Filter" disclosure, so the first challenge is on the first screen, and the page never
scrolls sideways, closed or open; on a wide screen (English, 1280 px) the filters stand beside the
results, the chosen ones as chips above them, and a chip removes its filter. axe-core (WCAG 2.1
A/AA) on every state, one <h1> and the page's language (A01, A02, A05)."""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from screenshots import screenshot
from werkzeug.datastructures import FileStorage

from app.challenges.models import Challenge, Tag
from app.core.timeutil import utcnow
from app.core.uploads import store_image
from app.db import db
from app.organisations.models import Organisation

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "da": "da-DK"}


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def _open(lang: str, width: int, **options: Any) -> Any:
        context = browser.new_context(locale=LOCALES[lang], viewport={"width": width, "height": 720}, **options)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def audit(axe_check: Callable[[Any, str], None]) -> Callable[..., None]:
    """axe, one <h1>, the page's language, no sideways scrolling at 320 px; then a screenshot."""
    def _audit(page: Any, label: str, *, lang: str, width: int) -> None:
        axe_check(page, f"axe violations on [{label}]")
        assert page.locator("h1").count() == 1, label
        assert page.locator("html").get_attribute("lang") == lang, label
        if width <= 320:
            assert page.evaluate("document.documentElement.scrollWidth") <= width, label
        screenshot(page, re.sub(r'[^a-z0-9]+', '-', label.lower()))
    return _audit


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (640, 360)) -> FileStorage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return FileStorage(io.BytesIO(buffer.getvalue()), "picture.png")


@pytest.fixture
def catalogue(app, make_org, make_challenge) -> dict[str, Any]:
    aarhus = make_org("Aarhus Kommune", country="DK")
    bergen = make_org("Bergen kommune", country="NO", kind="university")
    malmo = make_org("Malmö stad", country="SE")
    made = {
        "affald": make_challenge("open", org=aarhus, title="Mindre pap i papircontainerne", language="da",
                                 summary="Hjælp beboerne med at sortere pap rigtigt.", prize_minor=7_500_000,
                                 currency="DKK", deadline_at=utcnow() + timedelta(days=5)),
        "eldre": make_challenge("open", org=bergen, title="Færre ensomme eldre", language="nb",
                                summary="Hvordan når vi eldre som bor alene?", prize_minor=15_000_000,
                                currency="NOK", deadline_at=utcnow() + timedelta(days=9)),
        "aldre": make_challenge("scheduled", org=malmo, title="Digitalt stöd för äldre", language="sv",
                                summary="Enklare vardag med digitala tjänster.", prize_minor=20_000_000, currency="SEK"),
        "campus": make_challenge("closed", org=aarhus, title="Less food waste on campus", language="en",
                                 prize_minor=1_000_000, currency="EUR"),
        "cancelled": make_challenge("cancelled", org=malmo, title="Inställd utmaning", language="sv",
                                    cancel_reason="Ingen budget"),
    }
    with app.app_context():
        tags = {slug: Tag(slug=slug, name=name) for slug, name in (
            ("affald", "affald"), ("genbrug", "Genbrug"), ("eldre", "Eldre"), ("aldre", "Äldre"),
            ("food-waste", "food waste"))}
        for key, slugs in (("affald", ["affald", "genbrug"]), ("eldre", ["eldre"]), ("aldre", ["aldre"]),
                           ("campus", ["food-waste"])):
            db.session.get(Challenge, made[key]["id"]).tags = [tags[s] for s in slugs]
        for key, colour in (("affald", (20, 110, 70)), ("eldre", (150, 70, 30)), ("campus", (30, 60, 140))):
            row = db.session.get(Challenge, made[key]["id"])
            row.cover_image_hash = store_image(_png(colour), max_bytes=4_000_000, upload_dir=app.config["UPLOAD_DIR"])
            row.cover_image_alt = {"affald": "Papcontainere i en gård", "eldre": "En eldre mann ved et vindu",
                                   "campus": "Students sorting food waste"}[key]
        for org, colour in ((aarhus, (11, 79, 138)), (bergen, (160, 30, 40))):
            db.session.get(Organisation, org["id"]).logo_hash = store_image(
                _png(colour, (96, 96)), max_bytes=4_000_000, upload_dir=app.config["UPLOAD_DIR"])
        db.session.commit()
    return made


def test_on_a_phone_the_filters_are_a_closed_disclosure(live_server, open_page, audit, catalogue) -> None:
    page = open_page("da", 320)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/challenges/")
    panel = page.locator("details.filter-panel")
    assert panel.evaluate("d => d.open") is False
    assert not page.get_by_label("Land").is_visible()
    # The first challenge starts on the first screen (720 px high), not below ten filter fields.
    first_card = page.locator(".challenge-card").first
    assert first_card.bounding_box()["y"] < 720
    assert "Inställd utmaning" not in page.locator("main").inner_text()  # cancelled: only on request
    # The cover and its alt text, the logo (decorative) next to the organisation's name.
    assert page.get_by_role("img", name="Papcontainere i en gård").is_visible()
    assert page.locator(".card-logo").first.get_attribute("alt") == ""
    audit(page, "lists da 320 filters closed", lang="da", width=320)

    page.locator("details.filter-panel > summary").click()
    assert panel.evaluate("d => d.open") is True
    assert page.get_by_label("Land").is_visible()
    audit(page, "lists da 320 filters open", lang="da", width=320)

    page.get_by_label("Land").select_option("DK")
    page.get_by_label("Sorter efter").select_option("prize")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis udfordringer").click()
    assert "country=DK" in page.url
    chips = page.get_by_role("list", name="Valgte filtre")
    assert chips.get_by_role("link").count() == 1
    assert "75.000\u00a0kr." in page.locator(".challenge-card").first.inner_text()
    audit(page, "lists da 320 filters chosen", lang="da", width=320)

    page.goto(live_server + "/challenges/?country=DK&prize_min=abc")
    assert panel.evaluate("d => d.open") is True  # the field to correct is shown
    audit(page, "lists da 320 bad amount", lang="da", width=320)
    assert errors == []


def test_on_a_wide_screen_the_filters_stand_beside_the_results(live_server, open_page, audit, catalogue) -> None:
    page = open_page("en", 1280)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/challenges/?status=all&country=DK&sort=prize")
    panel = page.locator("details.filter-panel")
    assert panel.evaluate("d => d.open") is True  # opened by disclosure.js on a wide screen
    filters, results = panel.bounding_box(), page.locator(".list-results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]  # side by side
    assert abs(filters["y"] - results["y"]) < 5
    chips = page.get_by_role("list", name="Chosen filters")
    assert chips.get_by_role("link", name="Remove filter: Country: Denmark").is_visible()
    assert page.get_by_role("heading", name="2 challenges").is_visible()
    cards = page.locator(".challenge-card h3").all_inner_texts()
    assert cards == ["Mindre pap i papircontainerne", "Less food waste on campus"]  # DKK 75,000 > EUR 10,000
    assert "DKK\u00a075,000" in page.locator(".challenge-card").first.inner_text()
    audit(page, "lists en 1280 filters chosen", lang="en", width=1280)

    with page.expect_navigation():
        chips.get_by_role("link", name="Remove filter: Country: Denmark").click()
    assert "country" not in page.url
    assert "sort=prize" in page.url
    assert page.get_by_role("heading", name="5 challenges").is_visible()  # status=all: the cancelled one too
    with page.expect_navigation():
        page.get_by_role("link", name="Clear all filters").click()
    assert page.get_by_role("heading", name="4 challenges").is_visible()
    topic = page.get_by_label("Topic")
    assert topic.locator("optgroup[label='Norsk bokmål'][lang=nb] option").all_inner_texts() == ["Eldre"]
    assert topic.locator("optgroup[label='Svenska'][lang=sv] option").all_inner_texts() == ["Äldre"]
    assert topic.locator("optgroup[label='Dansk'] option").all_inner_texts() == ["Affald", "Genbrug"]
    audit(page, "lists en 1280 no filter", lang="en", width=1280)
    assert errors == []


def test_without_javascript_the_disclosure_still_opens(live_server, open_page, catalogue) -> None:
    page = open_page("en", 1280, java_script_enabled=False)
    page.goto(live_server + "/challenges/")
    assert page.locator("details.filter-panel").get_attribute("open") is None
    page.locator("details.filter-panel > summary").click()
    page.get_by_label("Country").select_option("NO")
    with page.expect_navigation():
        page.get_by_role("button", name="Show challenges").click()
    assert page.get_by_role("heading", name="1 challenge").is_visible()
