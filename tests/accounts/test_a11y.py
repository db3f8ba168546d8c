"""axe-core (WCAG 2.1 A/AA) on every accounts page, in each state a person can reach (A01, A02)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets


def _check(page, axe_check, label: str) -> None:
    axe_check(page, label)
    assert page.locator("h1").count() == 1, label
    assert page.locator("html").get_attribute("lang") == "en", label
    assert page.title().endswith("· Concept Arena"), label


def _submit(page) -> None:
    page.locator("main form.stacked button[type=submit], main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_anonymous_pages_and_their_error_states(page, live_server, axe_check, app) -> None:
    base = live_server
    for path, label in (("/account/signup", "sign-up"), ("/account/login", "login"),
                        ("/account/password/forgot", "forgot password"), ("/account/signup/sent", "sign-up sent"),
                        ("/account/password/forgot/sent", "reset sent"), ("/account/verify/bad", "bad link 400"),
                        ("/account/password/reset/bad", "bad reset link 400")):
        page.goto(base + path)
        _check(page, axe_check, f"{label}, empty")
    for path, label in (("/account/signup", "sign-up"), ("/account/login", "login"),
                        ("/account/password/forgot", "forgot password")):
        page.goto(base + path)
        _submit(page)
        assert page.locator("#error-summary").is_visible(), label
        _check(page, axe_check, f"{label}, with errors")
    page.goto(base + "/account/login")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong password 123")
    _submit(page)
    assert "Email or password is incorrect." in page.locator("#error-summary").inner_text()
    _check(page, axe_check, "login, wrong password")


def test_signed_in_pages_and_their_error_states(page, live_server, axe_check, app, make_user, outbox) -> None:
    base = live_server
    make_user("axe@example.org", verified=False)
    page.goto(base + "/account/login")
    page.get_by_label("Email address").fill("axe@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me logged in").check()
    _submit(page)
    assert "/account/login" not in page.url
    _check(page, axe_check, "home, unverified notice")

    for path, label in (("/account/", "profile, unverified"), ("/account/password", "change password"),
                        ("/account/email", "change email")):
        page.goto(base + path)
        _check(page, axe_check, label)
    page.goto(base + "/account/")
    page.get_by_label("Display name").fill("")
    page.get_by_label("Time zone").select_option("Europe/Helsinki")
    _submit_form(page, "/account/")
    assert page.locator("#error-summary").is_visible()
    _check(page, axe_check, "profile, with errors")
    for path in ("/account/password", "/account/email"):
        page.goto(base + path)
        _submit(page)
        assert page.locator("#error-summary").is_visible()
        _check(page, axe_check, f"{path}, with errors")

    # The email-change confirmation page, reached from the emailed link.
    page.goto(base + "/account/email")
    page.get_by_label("New email address").fill("axe2@example.org")
    page.get_by_label("Current password").fill(PASSWORD)
    _submit(page)
    text = outbox(template="accounts/email_change_confirm")[-1]["text"]
    link = next(word for word in text.split() if "/account/email/confirm/" in word)
    page.goto(link)
    _check(page, axe_check, "confirm email change")

    # The terms interstitial, empty and with its error.
    app.config["TERMS_VERSION"] = "2099-01"
    page.goto(base + "/account/")
    assert "/account/terms" in page.url
    _check(page, axe_check, "terms interstitial")
    _submit_form(page, "/account/terms")
    _check(page, axe_check, "terms interstitial, with errors")


def _submit_form(page, action: str) -> None:
    page.locator(f"main form[action='{action}'] button[type=submit]").click()
    page.wait_for_load_state()


def test_verify_and_reset_pages(page, live_server, axe_check, make_user, post_form, outbox, client) -> None:
    make_user("reset-axe@example.org")
    post_form("/account/password/forgot", {"email": "reset-axe@example.org"})
    text = outbox(template="accounts/reset")[-1]["text"]
    link = next(word for word in text.split() if "/account/password/reset/" in word)
    page.goto(link)
    _check(page, axe_check, "reset form")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("other")
    _submit(page)
    _check(page, axe_check, "reset form, with errors")

    post_form("/account/signup", {"email": "verify-axe@example.org", "display_name": "V", "password":
                                  "lingonberry trail map", "participant_kind": "other", "accept_terms": "y"})
    text = outbox(template="accounts/verify")[-1]["text"]
    link = next(word for word in text.split() if "/account/verify/" in word)
    page.goto(link)
    _check(page, axe_check, "verify confirmation")
