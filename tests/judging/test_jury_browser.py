"""The jury in a real browser: staff invite a juror by keyboard alone, the invitee opens the link
from the SMTP sink, logs in and accepts; axe-core on the jury page (empty, with an error, with
seats and a removed juror), the removal page with an error, the invitation page and the juror's
own page, in English and Norwegian Bokmål, at 1280 and 320 px (A01, A02, A03, A05; S07)."""
from __future__ import annotations

import re
from typing import Any

import pytest

PASSWORD = "correct horse battery staple"
LOCALES = {"en": "en-GB", "nb": "nb-NO"}


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _no_sideways_scroll(page: Any, width: int, label: str) -> None:
    """Reflow (A05): nothing but a table's own scroll area is wider than the window."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide = [] if scroll <= width else page.evaluate(
        "w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className)", width)
    assert scroll <= width, f"{label}: the page is {scroll}px wide at {width}px: {wide}"


@pytest.mark.browser
# Each language and each width once (the suite stays under 8 minutes): English at 1280 px,
# Norwegian Bokmål, whose longer words find reflow problems first, at 320 px.
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("nb", 320)])
def test_invite_by_keyboard_and_accept_in_the_browser(app: Any, live_server: str, browser: Any, axe_check: Any,
                                                      make_challenge: Any, make_user: Any, smtp_sink: Any,
                                                      send_outbox: Any, lang: str, width: int) -> None:
    challenge = make_challenge("judging")
    slug = challenge["slug"]
    invitee = f"juror-{lang}-{width}@example.org"
    make_user(invitee, locale=lang, display_name="Jorunn Juror")
    staff_ctx = browser.new_context(locale=LOCALES[lang], viewport={"width": width, "height": 900})
    juror_ctx = browser.new_context(locale=LOCALES[lang], viewport={"width": width, "height": 900})
    for ctx in (staff_ctx, juror_ctx):
        ctx.set_default_timeout(8000)
    staff, juror = staff_ctx.new_page(), juror_ctx.new_page()
    try:
        _log_in(staff, live_server, challenge["org"]["owner"])
        staff.goto(f"{live_server}/challenges/{slug}/jury")
        assert staff.locator("html").get_attribute("lang") == lang
        axe_check(staff, f"{lang} {width} jury page, empty")
        _no_sideways_scroll(staff, width, "empty jury page")

        # By keyboard: a bad address first, then the real one as chair.
        email = staff.locator("#email")
        email.focus()
        staff.keyboard.type("not-an-address")
        with staff.expect_navigation():
            staff.keyboard.press("Enter")
        assert staff.locator("#error-summary a[href='#email']").count() == 1
        assert staff.locator("#email").get_attribute("aria-invalid") == "true"
        axe_check(staff, f"{lang} {width} jury page with an error")
        staff.locator("#email").focus()
        staff.keyboard.press("Control+A")
        staff.keyboard.type(invitee)
        staff.keyboard.press("Tab")
        assert staff.evaluate("document.activeElement.id") == "as_chair"
        staff.keyboard.press("Space")
        staff.keyboard.press("Tab")
        assert staff.evaluate("document.activeElement.type") == "submit"
        with staff.expect_navigation():
            staff.keyboard.press("Enter")
        assert invitee in staff.locator("main").inner_text()
        axe_check(staff, f"{lang} {width} jury page with a pending invitation")

        send_outbox()
        link = next(u for u in smtp_sink.links(smtp_sink.to(invitee)[-1]) if "/jury-invitations/" in u)
        path = re.sub(r"^https?://[^/]+", "", link)
        juror.goto(live_server + path)
        axe_check(juror, f"{lang} {width} invitation, anonymous")
        _no_sideways_scroll(juror, width, "invitation")
        with juror.expect_navigation():
            juror.locator("main a[href*='/account/login']").click()
        juror.locator("main input[name=email]").fill(invitee)
        juror.locator("main input[name=password]").fill(PASSWORD)
        with juror.expect_navigation():
            juror.locator("main form button[type=submit]").click()
        assert juror.url.endswith(path)  # back at the invitation after logging in
        axe_check(juror, f"{lang} {width} invitation, logged in")
        juror.locator("form[action$='/accept'] button[type=submit]").focus()
        with juror.expect_navigation():
            juror.keyboard.press("Enter")
        assert juror.url.endswith(f"/challenges/{slug}/jury/me")
        axe_check(juror, f"{lang} {width} the juror's own page")
        response = staff.goto(live_server + path)  # the used link, opened by someone else
        assert response.status == 410
        assert staff.locator("main form").count() == 0
        axe_check(staff, f"{lang} {width} used invitation")
        staff.goto(f"{live_server}/challenges/{slug}/jury")
        _no_sideways_scroll(juror, width, "my seat")
        juror.locator("#public_title").fill("Designer")
        with juror.expect_navigation():
            juror.locator("main form button[type=submit]").click()
        assert "Jorunn Juror</strong>, Designer" in juror.locator("main").inner_html()

        # With seats: the juror (chair) and a removed one.
        make_user(f"second-{lang}-{width}@example.org", display_name="Sigurd Second")
        staff.locator("#email").fill(f"second-{lang}-{width}@example.org")
        with staff.expect_navigation():
            staff.locator("form[action$='/jury/invite'] button[type=submit]").click()
        send_outbox()
        second = f"second-{lang}-{width}@example.org"
        link = next(u for u in smtp_sink.links(smtp_sink.to(second)[-1]) if "/jury-invitations/" in u)
        second_ctx = browser.new_context(locale=LOCALES[lang], viewport={"width": width, "height": 900})
        try:
            other = second_ctx.new_page()
            _log_in(other, live_server, second)
            other.goto(link.replace("http://localhost", live_server) if link.startswith("http://localhost") else link)
            with other.expect_navigation():
                other.locator("form[action$='/accept'] button[type=submit]").click()
        finally:
            second_ctx.close()
        staff.goto(f"{live_server}/challenges/{slug}/jury")
        remove = staff.locator("main a[href$='/remove']").last
        with staff.expect_navigation():
            remove.click()
        with staff.expect_navigation():
            staff.locator("main form button[type=submit]").click()
        assert staff.locator("#error-summary a[href='#reason']").count() == 1
        axe_check(staff, f"{lang} {width} removal with an error")
        staff.locator("#reason").fill("Took a job with an entrant")
        with staff.expect_navigation():
            staff.locator("main form button[type=submit]").click()
        assert "Took a job with an entrant" in staff.locator("main").inner_text()
        axe_check(staff, f"{lang} {width} jury page with seats and a removed juror")
        _no_sideways_scroll(staff, width, "jury page with seats")
    finally:
        staff_ctx.close()
        juror_ctx.close()
