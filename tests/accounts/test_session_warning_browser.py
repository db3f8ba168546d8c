"""The session-expiry warning in a real browser (A07, R07; WCAG 2.2.1): with a 90-second idle
timeout it appears a minute ahead as a non-modal alert dialog that takes focus, Esc dismisses it
and gives focus back, "Stay logged in" by keyboard extends the session on the server and re-arms,
and when time runs out it says so. The page's JavaScript clock is moved by Playwright; the server's
session stays on real time (a few seconds of the 90)."""
from __future__ import annotations

from datetime import timedelta

import pytest

PASSWORD = "correct horse battery staple"
IDLE = 90
WARNING = "Your session is about to end"


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _active(page) -> str:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return (el.closest('.session-warning') ? 'warning:' : '') + (el.dataset.action || el.id || el.tagName);
    }""")


@pytest.mark.browser
def test_warning_by_keyboard(app, live_server, browser, make_user, axe_check) -> None:
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(seconds=IDLE)
    make_user("timer@example.org")
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        page.clock.install()
        _log_in(page, live_server, "timer@example.org")
        page.goto(live_server + "/account/")
        dialog = page.get_by_role("alertdialog", name=WARNING)
        assert dialog.count() == 0
        page.locator("#institution").focus()

        page.clock.fast_forward(25_000)  # 65 s left: not yet
        assert dialog.count() == 0
        page.clock.fast_forward(6_000)   # 59 s left: at least 20 s ahead (A07), here 60
        dialog.wait_for()
        # Announced: an alert dialog, named and described, that takes focus on its first action.
        assert "logged out" in page.locator("#" + dialog.get_attribute("aria-describedby")).inner_text()
        assert _active(page) == "warning:stay"
        assert dialog.get_by_role("button", name="Log out").is_visible()
        assert page.locator(".session-warning [data-when]").inner_text().strip()
        axe_check(page, "session warning shown")

        # Not a trap: Shift+Tab leaves it; Esc dismisses it and focus goes back where it was.
        page.keyboard.press("Shift+Tab")
        assert not _active(page).startswith("warning:")
        dialog.get_by_role("button", name="Stay logged in").focus()
        page.keyboard.press("Escape")
        assert dialog.count() == 0
        assert _active(page) == "institution"

        # A new page load is activity: the warning comes again a minute before the new end.
        page.reload()
        page.locator("#institution").focus()
        page.clock.fast_forward(31_000)
        dialog.wait_for()
        assert _active(page) == "warning:stay"
        with page.expect_response(lambda r: r.url.endswith("/account/session/extend")) as info:
            page.keyboard.press("Enter")
        response = info.value
        assert response.status == 200
        assert IDLE - 10 <= response.json()["idle_seconds"] <= IDLE
        dialog.wait_for(state="detached")
        assert "You are still logged in." in page.locator("#flash").inner_text()  # role=status: announced
        assert _active(page) == "institution"

        # Re-armed from the server's answer.
        page.clock.fast_forward(25_000)
        assert dialog.count() == 0
        page.clock.fast_forward(6_000)
        dialog.wait_for()

        # Time runs out (on the page's clock): it says so and offers to log in again, without taking focus.
        page.locator("#institution").focus()
        page.clock.fast_forward(61_000)
        ended = page.get_by_role("alert").filter(has_text="Your session has ended")
        ended.wait_for()
        assert ended.get_by_role("link", name="Log in again").is_visible()
        axe_check(page, "session ended")
    finally:
        context.close()


@pytest.mark.browser
def test_the_page_works_without_javascript(app, live_server, browser, make_user) -> None:
    make_user("nojs@example.org")
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, "nojs@example.org")
        page.goto(live_server + "/account/")
        assert page.get_by_role("alertdialog").count() == 0  # the template's content is inert
        page.locator("#institution").fill("Works without JS")
        with page.expect_navigation():
            page.get_by_role("button", name="Save profile").click()
        assert page.locator("#institution").input_value() == "Works without JS"
    finally:
        context.close()
