"""Browser helpers: pages in a chosen language, screenshots into test-artifacts/, and one call
that runs axe-core on what a page shows and saves what it looked like."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright sends Accept-Language from the context's locale: this is how a Danish browser arrives.
LOCALES = {"en": "en-GB", "da": "da-DK"}
NEW_PASSWORD = "lantern orbit pebble marmalade"
PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user gives every user


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(lang="en", **context_options): a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []

    def _new(lang: str = "en", **options: Any) -> Any:
        context = browser.new_context(locale=LOCALES.get(lang, lang), **options)
        # Fail in seconds, not Playwright's 30: every page here is local and small.
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """shot(page, name): a full-page screenshot in test-artifacts/ (git-ignored), for people to look at."""
    def _shot(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{_slug(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return _shot


NARROW = {"width": 320, "height": 640}
# WCAG 1.4.12's text-spacing bookmarklet, as a stylesheet.
TEXT_SPACING = ("* { line-height: 1.5 !important; letter-spacing: 0.12em !important; "
                "word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }")

# What a person at 320 px cannot read (A05, WCAG 1.4.10): the page scrolls sideways, or a table
# cell is cut off (hidden, or outside a box that clips it). A cell may lie outside a box that
# scrolls only if that box is a labelled region that takes keyboard focus, so that it can be
# scrolled without a mouse. The text-spacing override (WCAG 1.4.12) is applied as a constructed
# stylesheet, which a user's stylesheet is and our CSP (rightly) does not govern.
_REFLOW_JS = """(spacing) => {
  let sheet = null;
  if (spacing) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(spacing);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
  const width = window.innerWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const text = (el) => (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && getComputedStyle(el).position !== 'absolute') wide.push(name(el));
  }
  const clipped = [];
  for (const table of document.querySelectorAll('table')) {
    if (!table.getClientRects().length || table.closest('[hidden], details:not([open])')) continue;
    for (const cell of table.querySelectorAll('td, th')) {
      if (!text(cell)) continue;
      const r = cell.getBoundingClientRect();
      if (!r.width || !r.height) {
        if (getComputedStyle(cell).position !== 'absolute' && !cell.closest('thead')) {
          clipped.push(name(cell) + ' "' + text(cell) + '" is hidden');
        }
        continue;
      }
      for (let box = cell.parentElement; box && box !== document.body; box = box.parentElement) {
        const style = getComputedStyle(box);
        const ox = style.overflowX;
        if (ox === 'visible') continue;
        const b = box.getBoundingClientRect();
        if (style.clipPath !== 'none' || (b.width <= 1 && b.height <= 1)) break;  // visually hidden on purpose
        if (r.left >= b.left - 1 && r.right <= b.right + 1) continue;
        const scrolls = ox === 'auto' || ox === 'scroll';
        const labelled = box.getAttribute('role') === 'region'
          && (box.hasAttribute('aria-label') || box.hasAttribute('aria-labelledby'));
        if (!scrolls || !labelled || box.tabIndex < 0) {
          clipped.push(name(cell) + ' "' + text(cell) + '" is cut off by ' + name(box)
            + (scrolls ? ' (scrolls, but is not a labelled region with tabindex=0)' : ''));
        }
        break;
      }
    }
  }
  const result = {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
                  wide: wide.slice(0, 8), clipped: clipped.slice(0, 8)};
  if (sheet) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
  return result;
}"""


# The full rule set runs at the page's own width; at 320 px the rules whose outcome depends on the
# width (a whole run per state would double the browser tests' time).
# (WCAG 2.1 AA, as everywhere here: target-size is a WCAG 2.2 rule.)
AXE_AT_320 = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "color-contrast",
                                                    "link-in-text-block"]},
              "resultTypes": ["violations"]}


def assert_reflows(page: Any, label: str, *, spacing: bool = False) -> None:
    """At the page's current width: no sideways scrolling and no table cell cut off (A05)."""
    m = page.evaluate(_REFLOW_JS, TEXT_SPACING if spacing else "")
    where = f"[{label}{', text spacing 1.4.12' if spacing else ''}] {page.url} at {m['innerWidth']} px"
    assert m["scrollWidth"] <= m["innerWidth"], (
        f"{where} scrolls sideways: scrollWidth {m['scrollWidth']}, too wide: {m['wide']}")
    assert not m["clipped"], f"{where}: table cells cut off: {m['clipped']}"


@pytest.fixture
def audit(axe_check: Callable[[Any, str], None], shot: Callable[[Any, str], Path]) -> Callable[..., None]:
    """audit(page, "page, state"): axe WCAG 2.1 A/AA (A01) with the page and state in any failure,
    one <h1> and <html lang> (A02), then a screenshot named after the label.

    Every page and state audited is also checked for reflow (A05): at 320 CSS px (the page is
    narrowed for the check and given its own size back) nothing scrolls sideways, no table cell is
    cut off, with and without the text-spacing override, and axe finds nothing at that width
    either (the rules whose outcome depends on the width: scrolling regions, say, appear only there). So the reflow check reaches every page and
    state that the axe checks reach, signed out and in every role."""
    def _audit(page: Any, label: str, *, lang: str | None = None, screenshot: bool = True) -> None:
        axe_check(page, f"axe violations on [{label}]")
        h1 = page.locator("h1").count()
        assert h1 == 1, f"[{label}] {page.url}: {h1} <h1> elements"
        if lang:
            assert page.locator("html").get_attribute("lang") == lang, f"[{label}] <html lang> is not {lang}"
        if screenshot:
            _shot(page, label)
        size = page.viewport_size
        narrowed = bool(size) and size["width"] > NARROW["width"]
        if narrowed:
            page.set_viewport_size(NARROW)
        try:
            assert_reflows(page, label)
            assert_reflows(page, label, spacing=True)
            if narrowed:  # what a narrow screen changes: boxes that scroll must take focus
                axe_check(page, f"axe violations at 320 px on [{label}]", AXE_AT_320)
        finally:
            if narrowed:
                page.set_viewport_size(size)

    _shot = shot
    return _audit


def follow(page: Any, selector: str) -> None:
    """Click the first link or button matching `selector` and wait for the page it loads."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def submit(page: Any, form: str = "main form") -> None:
    """Press the submit button of the first `form` in the page and wait for the page it loads."""
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").first.click()


def log_in(page: Any, base: str, email_addr: str, password: str | None = None) -> None:
    """Log in through the real form in the browser."""
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email_addr)
    page.fill("input[name=password]", password or PASSWORD)
    submit(page)
    assert "/account/login" not in page.url, f"login as {email_addr} failed"
