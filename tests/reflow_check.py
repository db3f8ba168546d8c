"""Reflow at 320 CSS px (A05, WCAG 1.4.10 and 1.4.12), checked on every page and state that an
axe check reaches: `axe_check` (tests/conftest.py) calls `check_narrow` after its own run."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
  // Inside a box that scrolls or clips, an element cannot widen the page.
  const contained = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  let outermost = null;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && getComputedStyle(el).position !== 'absolute'
        && !contained(el)) {
      wide.push(name(el));
      outermost = outermost || el;
    }
  }
  // The outermost too-wide element's ancestors with their widths: where the width comes from.
  const chain = [];
  for (let el = outermost; el && el !== document.documentElement; el = el.parentElement) {
    chain.push(name(el) + ' ' + Math.round(el.getBoundingClientRect().width));
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
                  wide: wide.slice(0, 8), chain: chain.slice(0, 8), clipped: clipped.slice(0, 8)};
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
        f"{where} scrolls sideways: scrollWidth {m['scrollWidth']}, too wide: {m['wide']}, "
        f"the first of them and its ancestors: {m['chain']}")
    assert not m["clipped"], f"{where}: table cells cut off: {m['clipped']}"


def check_narrow(page: Any, label: str, run_axe: Callable[[Any, str, dict[str, Any]], None]) -> None:
    """Narrow the page to 320 px (unless it is that narrow already), check that it reflows with and
    without the text-spacing override, run axe's width-dependent rules there, and give the page
    its own size back."""
    size = page.viewport_size
    narrowed = bool(size) and size["width"] > NARROW["width"]
    if narrowed:
        page.set_viewport_size(NARROW)
    try:
        assert_reflows(page, label)
        assert_reflows(page, label, spacing=True)
        if narrowed:
            run_axe(page, f"axe violations at 320 px on [{label}]", AXE_AT_320)
    finally:
        if narrowed:
            page.set_viewport_size(size)
