"""The newcomer's journey in a real browser, in English and in Danish: sign up, confirm the email
from the SMTP sink, log in, and axe-core on every page on the way (A01), with no violations."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from .conftest import NEW_PASSWORD, follow, submit

pytestmark = pytest.mark.browser



def in_language(app: Flask, lang: str, text: str) -> str:
    """`text` as the catalog for `lang` has it (tests/test_i18n.py checks the catalogs are complete)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return gettext(text)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_sign_up_verify_log_in_with_no_axe_violations(
        lang: str, app: Flask, live_server: str, new_page: Callable[..., Any], audit: Callable[..., None],
        smtp_sink: Any, send_outbox: Callable[[], int]) -> None:
    page = new_page(lang)
    address = f"newcomer-{lang}@example.org"

    page.goto(live_server + "/")
    audit(page, f"journey {lang}: home, signed out", lang=lang)

    follow(page, ".account-nav a[href='/account/signup']")
    audit(page, f"journey {lang}: sign-up, empty", lang=lang)
    assert page.locator("h1").inner_text() == in_language(app, lang, "Sign up")
    assert page.locator(f".language-switcher button[value={lang}]").get_attribute("aria-current") == "true"

    submit(page)  # nothing filled in
    assert page.locator("#error-summary").is_visible()
    audit(page, f"journey {lang}: sign-up, with errors", lang=lang)

    page.fill("input[name=email]", address)
    page.fill("input[name=display_name]", f"Newcomer {lang}")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.check("input[name=participant_kind][value=student]")
    page.check("input[name=accept_terms]")
    submit(page)
    assert page.url.endswith("/account/signup/sent")
    audit(page, f"journey {lang}: sign-up, mail sent", lang=lang)

    # The confirmation mail goes through the outbox and a real SMTP server, in the user's language.
    assert send_outbox() >= 1
    [mail] = smtp_sink.to(address)
    assert mail["Content-Language"] == lang
    [link] = [u for u in smtp_sink.links(mail) if "/account/verify/" in u]
    assert link.startswith(live_server)
    page.goto(link)
    audit(page, f"journey {lang}: confirm email", lang=lang)
    submit(page)
    assert "/account/login" in page.url
    audit(page, f"journey {lang}: log in, after confirming (flash)", lang=lang)

    page.fill("input[name=email]", address)
    page.fill("input[name=password]", "not the password at all")
    submit(page)
    assert page.locator("#error-summary").is_visible()
    audit(page, f"journey {lang}: log in, wrong password", lang=lang)

    page.fill("input[name=password]", NEW_PASSWORD)
    submit(page)
    assert page.url.rstrip("/") == live_server
    assert page.locator(".account-nav form button").is_visible()  # "Log out": signed in
    audit(page, f"journey {lang}: home, signed in", lang=lang)

    follow(page, ".account-nav a[href='/account/']")
    assert page.url.endswith("/account/")
    audit(page, f"journey {lang}: account page", lang=lang)

    follow(page, ".account-nav form button")
    assert page.locator(".account-nav a[href='/account/login']").is_visible()
    audit(page, f"journey {lang}: home, after logging out (flash)", lang=lang)
