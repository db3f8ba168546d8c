"""Issue 12 in a real browser: the ready draft's main action, the receipt with its technical part
collapsed, the manage page of a draft with Publish disabled and its reason, and the challenge page
with its contents list. axe-core WCAG 2.1 A/AA on each (A01), in English at 1280 px and Danish at
320 px, where nothing scrolls sideways (WCAG 1.4.10) and the contents list starts closed."""
from __future__ import annotations

from typing import Any

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser

CASES = [("en", 1280), ("da", 320)]


def _fits(page: Any, width: int, label: str) -> None:
    if width <= 320:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{label} scrolls sideways"


@pytest.fixture
def world(make_challenge: Any, make_concept: Any) -> dict[str, Any]:
    challenge = make_challenge("open", background_md="# Why now\n\nThe new sorting rules start in **spring**.\n\n"
                                                     "## What we tried\n\nLeaflets.")
    return {
        "challenge": challenge,
        "draft": make_concept("draft", challenge=challenge, members=2),
        "submitted": make_concept("submitted", members=2),
        "unready": make_challenge("draft", summary=""),
    }


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_main_actions_and_contents_in_a_browser(live_server: str, new_page: Any, audit: Any, world: dict[str, Any],
                                                lang: str, width: int) -> None:
    viewport = {"width": width, "height": 900}
    tag = f"actions {lang} {width}"

    # The ready draft: "Review and submit" is the one primary button; no Withdraw beside it.
    student = new_page(lang, viewport=viewport)
    log_in(student, live_server, world["draft"]["owner"])
    student.goto(f"{live_server}/concepts/{world['draft']['id']}")
    main_action = student.locator(".main-action a.button")
    assert main_action.count() == 1
    assert main_action.get_attribute("href").endswith(f"/concepts/{world['draft']['id']}/submit")
    assert student.locator("main .concept-actions").count() == 0
    assert student.locator("details.concept-give-up").get_attribute("open") is None
    audit(student, f"{tag}: overview of a ready draft", lang=lang)
    _fits(student, width, "overview")

    # The receipt: what was received and what happens next first; the hashes collapsed.
    owner = new_page(lang, viewport=viewport)
    log_in(owner, live_server, world["submitted"]["owner"])
    owner.goto(f"{live_server}/concepts/{world['submitted']['id']}/versions/1")
    technical = owner.locator("details.technical")
    assert technical.get_attribute("open") is None
    assert not owner.locator("code.fingerprint").first.is_visible()
    assert owner.locator("#next-title").is_visible()
    audit(owner, f"{tag}: receipt, technical part collapsed", lang=lang)
    _fits(owner, width, "receipt")
    owner.locator("details.technical > summary").click()
    assert owner.locator("code.fingerprint").first.is_visible()
    audit(owner, f"{tag}: receipt, technical part open", lang=lang)
    _fits(owner, width, "receipt opened")

    # The manage page of an incomplete draft: Publish is disabled, the reason beside it.
    staff = new_page(lang, viewport=viewport)
    log_in(staff, live_server, world["unready"]["org"]["owner"])
    staff.goto(f"{live_server}/challenges/{world['unready']['slug']}/manage")
    button = staff.locator(".publish-action button[type=submit]")
    assert button.is_disabled()
    assert button.get_attribute("aria-describedby") == "publish-reason"
    assert staff.locator("#publish-reason a[href$='/edit#summary']").is_visible()
    audit(staff, f"{tag}: manage, publish disabled", lang=lang)
    _fits(staff, width, "manage")

    # The challenge page: a contents list after the title, closed on a narrow screen.
    visitor = new_page(lang, viewport=viewport)
    visitor.goto(f"{live_server}/challenges/{world['challenge']['slug']}")
    contents = visitor.locator("nav.page-contents")
    assert contents.count() == 1
    assert contents.locator("a[href='#brief-title']").count() == 1
    details = contents.locator("details")
    if width <= 320:
        assert details.get_attribute("open") is None
        box = contents.bounding_box()
        assert box is not None
        assert box["height"] < 80
    else:
        assert details.get_attribute("open") is not None
        assert contents.locator("a[href='#timeline-title']").is_visible()
    # The user's "# Why now" is an <h3>, smaller than the page's own section headings.
    sizes = visitor.evaluate("""() => [
        parseFloat(getComputedStyle(document.querySelector('#background-title')).fontSize),
        parseFloat(getComputedStyle(document.querySelector('.prose h3')).fontSize)]""")
    assert sizes[1] < sizes[0]
    audit(visitor, f"{tag}: challenge page with contents", lang=lang)
    _fits(visitor, width, "challenge page")
