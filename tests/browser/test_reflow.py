"""Reflow (A05, WCAG 1.4.10 and 1.4.12): at 320 CSS px nothing scrolls sideways, signed out and
signed in, with form errors shown, and with the WCAG text-spacing override applied."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import log_in, submit

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
# WCAG 1.4.12's text-spacing bookmarklet, as a stylesheet.
TEXT_SPACING = ("* { line-height: 1.5 !important; letter-spacing: 0.12em !important; "
                "word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }")

_OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && getComputedStyle(el).position !== 'absolute') {
      wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 8)};
}"""


def assert_no_sideways_scroll(page: Any, label: str) -> None:
    m = page.evaluate(_OVERFLOW_JS)
    assert m["scrollWidth"] <= m["innerWidth"], (
        f"[{label}] {page.url} scrolls sideways at {m['innerWidth']} px: scrollWidth {m['scrollWidth']}, "
        f"too wide: {m['wide']}")


@pytest.mark.parametrize("lang", ["en", "da"])  # Danish has the longer words
def test_main_pages_reflow_at_320_px(lang: str, live_server: str, new_page: Callable[..., Any],
                                     make_user: Callable[..., int], shot: Callable[..., Any]) -> None:
    make_user("narrow@example.org", display_name="Narrow Screen", locale=lang)
    page = new_page(lang, viewport=NARROW)
    for path in ("/", "/account/login", "/account/signup", "/account/password/forgot", "/accessibility",
                 "/privacy", "/terms", "/organisations/", "/no-such-page"):
        page.goto(live_server + path)
        assert_no_sideways_scroll(page, f"{lang}, signed out {path}")
    page.goto(live_server + "/account/signup")
    submit(page)
    assert_no_sideways_scroll(page, f"{lang}, sign-up with errors")
    shot(page, f"reflow 320px {lang}: sign-up with errors")

    log_in(page, live_server, "narrow@example.org")
    for path in ("/", "/account/", "/account/password", "/account/email", "/organisations/new"):
        page.goto(live_server + path)
        assert_no_sideways_scroll(page, f"{lang}, signed in {path}")
    page.goto(live_server + "/")
    shot(page, f"reflow 320px {lang}: home signed in")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_text_spacing_override_does_not_overflow(lang: str, live_server: str,
                                                 new_page: Callable[..., Any]) -> None:
    # bypass_csp: our CSP (rightly) refuses injected styles; a user's stylesheet is not bound by it.
    page = new_page(lang, viewport=NARROW, bypass_csp=True)
    for path in ("/", "/account/signup"):
        page.goto(live_server + path)
        page.add_style_tag(content=TEXT_SPACING)
        assert_no_sideways_scroll(page, f"text spacing {lang} {path}")
