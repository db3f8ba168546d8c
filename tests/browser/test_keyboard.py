"""Keyboard only (A03, A04): sign up, confirm and log in with Tab, Shift+Tab, Enter, Space and
typing; every Tab stop shows a visible focus indicator, and a failed submit puts focus on the
error summary."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import NEW_PASSWORD

pytestmark = pytest.mark.browser

FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]"

# Each focusable element's outline and box-shadow while it is not focused, remembered per page.
_BASELINE_JS = """sel => {
  window.__caBaseline = new Map();
  for (const el of document.querySelectorAll(sel)) {
    const s = getComputedStyle(el);
    window.__caBaseline.set(el, [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join('|'));
  }
}"""

_ACTIVE_JS = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  const now = [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join('|');
  const before = window.__caBaseline ? window.__caBaseline.get(el) : undefined;
  const label = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.name ? '[name=' + el.name + ']' : '') + ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '"';
  return {label, now, before, visibleOutline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== 'none'};
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab only, checking the focus indicator at each stop."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.stops: list[str] = []

    def arrived(self) -> None:
        """Call on each new page: remember how every control looks before it has focus."""
        self.page.wait_for_load_state()
        self.page.evaluate(_BASELINE_JS, FOCUSABLE)

    def _check_focus(self) -> dict[str, Any]:
        info = self.page.evaluate(_ACTIVE_JS)
        assert info["before"] is not None, f"focus went to an element that is not focusable: {info['label']}"
        # A04: the focused element looks different (outline or box-shadow), and visibly so.
        assert info["now"] != info["before"], f"no visible focus change on {info['label']} ({self.page.url})"
        assert info["visibleOutline"] or info["shadow"], f"no outline or shadow on {info['label']}"
        self.stops.append(info["label"])
        return info

    def tab_to(self, selector: str, *, back: bool = False, limit: int = 60) -> None:
        """Press Tab (Shift+Tab with back=True) until the focused element matches `selector`."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            self._check_focus()
            if self.page.evaluate("sel => document.activeElement.matches(sel)", selector):
                return
        raise AssertionError(f"{selector} not reached with {'Shift+' if back else ''}Tab on {self.page.url}; "
                             f"stops: {self.stops[-limit:]}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def follow(self, key: str) -> None:
        """Press a key that loads a new page (a link, a submit button), then remember its controls."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.arrived()


def test_sign_up_confirm_and_log_in_by_keyboard_only(
        live_server: str, new_page: Callable[..., Any], smtp_sink: Any, send_outbox: Callable[[], int]) -> None:
    page = new_page("en")
    kb = Keyboard(page)
    address = "keyboard@example.org"
    page.goto(live_server + "/")
    kb.arrived()

    # The skip link is the first stop and lands on <main> (A02, 2.4.1).
    kb.tab_to("a.skip-link", limit=1)
    kb.tab_to(".account-nav a[href='/account/signup']")
    kb.follow("Enter")

    # A failed submit (A04, 3.3.1): focus moves to the error summary, which links to the fields.
    kb.tab_to("main button[type=submit]")
    kb.follow("Enter")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary a").count() >= 3

    kb.type_into("input[name=email]", address)
    kb.type_into("input[name=display_name]", "Kim Keyboard")
    kb.type_into("input[name=password]", NEW_PASSWORD)
    # A radio group is one Tab stop; the arrow keys move within it and select (A09).
    kb.tab_to("input[name=participant_kind]")
    kb.press("ArrowDown")
    assert page.evaluate("document.activeElement.checked")
    kb.tab_to("input[name=accept_terms]")
    kb.press("Space")
    assert page.is_checked("input[name=accept_terms]")
    # Shift+Tab goes back in reading order: from the terms box to the institution field, then forward again.
    kb.tab_to("input[name=institution]", back=True, limit=3)
    kb.tab_to("input[name=accept_terms]", limit=1)
    kb.tab_to("main button[type=submit]")
    kb.follow("Enter")
    assert page.url.endswith("/account/signup/sent")

    send_outbox()
    [mail] = smtp_sink.to(address)
    [link] = [u for u in smtp_sink.links(mail) if "/account/verify/" in u]
    page.goto(link)  # following the link in the email
    kb.arrived()
    kb.tab_to("main button[type=submit]")
    kb.follow("Space")
    assert "/account/login" in page.url

    kb.type_into("input[name=email]", address)
    kb.type_into("input[name=password]", NEW_PASSWORD)
    kb.tab_to("main button[type=submit]")
    kb.follow("Enter")
    assert page.url.rstrip("/") == live_server
    assert page.locator(".account-nav a[href='/account/']").is_visible()
    # Every Tab stop on the way had a visible focus indicator (checked in tab_to).
    assert len(kb.stops) > 15
