"""Sign-up, verification and the end-to-end path through the real SMTP sink."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app.db import db


@pytest.mark.both_databases
def test_signup_verify_through_smtp_then_login(signup_data, client, post_form, send_outbox, smtp_sink, user_row) -> None:
    response = post_form("/account/signup", signup_data(email="  Nora@Example.ORG "))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/signup/sent")
    assert "Check your inbox" in client.get("/account/signup/sent").get_data(as_text=True)

    user = user_row("nora@example.org")  # stored trimmed and lower-cased
    assert user is not None
    assert user.email_verified_at is None
    assert user.locale == "en"

    assert send_outbox() == 1
    [message] = smtp_sink.to("nora@example.org")
    links = [u for u in smtp_sink.links(message) if "/account/verify/" in u]
    assert links
    assert links[0].startswith("http://localhost/account/verify/")
    path = links[0].removeprefix("http://localhost")

    # S24: opening the link only shows a button; nothing changes on GET.
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my email address" in page.get_data(as_text=True)
    assert user_row("nora@example.org").email_verified_at is None
    response = post_form(path, {}, page=path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login")
    assert user_row("nora@example.org").email_verified_at is not None

    response = post_form("/account/login", {"email": "nora@example.org", "password": "lingonberry trail map"})
    assert response.status_code == 302
    assert "Your account" in client.get("/account/").get_data(as_text=True)


def test_signup_records_terms_language_and_optin(signup_data, app, client, post_form, user_row) -> None:
    # P04: acceptance rows for both documents; newsletter consent only when ticked.
    from app.accounts.models import TermsAcceptance

    post_form("/language", {"lang": "sv", "next": "/"}, page="/")
    post_form("/account/signup", signup_data(email="sven@example.org"))
    user = user_row("sven@example.org")
    assert user.locale == "sv"
    assert user.newsletter_opt_in is False
    assert user.institution == "NTNU"
    assert str(user.participant_kind) == "student"
    with app.app_context():
        rows = db.session.scalars(select(TermsAcceptance).where(TermsAcceptance.user_id == user.id)).all()
        assert {(r.document, r.version) for r in rows} == {("terms", app.config["TERMS_VERSION"]),
                                                          ("privacy", app.config["PRIVACY_VERSION"])}
        assert all(r.accepted_at is not None for r in rows)

    post_form("/account/signup", signup_data(email="news@example.org", newsletter="y"))
    assert user_row("news@example.org").newsletter_opt_in is True


def test_signup_form_has_separate_unchecked_optin_and_terms_links(client) -> None:
    # P04, P07
    html = client.get("/account/signup").get_data(as_text=True)
    newsletter = html[html.index('id="newsletter"') - 200: html.index('id="newsletter"') + 200]
    assert 'type="checkbox"' in newsletter
    assert "checked" not in newsletter
    terms = html[html.index('id="accept_terms"') - 200: html.index('id="accept_terms"') + 200]
    assert "checked" not in terms
    assert 'href="/terms"' in html
    assert 'href="/privacy"' in html
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="name"' in html
    assert 'autocomplete="organization"' in html
    assert "at least 12 characters" in html  # the length hint is visible
    for kind in ("Student", "Young professional", "Startup", "Organisation staff", "Other"):
        assert kind in html


def test_signup_errors_keep_input_and_answer_400(signup_data, client, post_form, user_row) -> None:
    data = signup_data(email="not-an-email", display_name="Kari", institution="Oslo Met", accept_terms=None,
                       newsletter="y", participant_kind="startup")
    response = post_form("/account/signup", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert 'value="not-an-email"' in html
    assert 'value="Kari"' in html
    assert 'value="Oslo Met"' in html
    assert "Enter an email address in the form" in html
    assert "Accept the terms of use and the privacy notice" in html
    assert 'aria-invalid="true"' in html
    startup = html[html.index('value="startup"') - 120: html.index('value="startup"') + 40]
    assert "checked" in startup
    assert user_row("not-an-email") is None


@pytest.mark.parametrize(("password", "ok", "message"), [
    ("short12", False, "Use at least 12 characters."),               # S01: 7 characters
    ("password1234", False, "too common"),                            # S01: on the common list
    ("aaaaaaaaaaaaaaaa", False, "too common"),
    ("x" * 1025, False, "at most 1024 characters"),
    (("Ålen åt äpplen; örnen flög över ängen. " * 4)[:128], True, None),  # S01: 128 characters with åäö
])
def test_password_policy_on_signup(signup_data, client, post_form, user_row, password, ok, message) -> None:
    response = post_form("/account/signup", signup_data(email="pw@example.org", password=password))
    if ok:
        assert len(password) == 128
        assert response.status_code == 302
        # S01: the long passphrase logs in, exactly as typed.
        response = post_form("/account/login", {"email": "pw@example.org", "password": password})
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert user_row("pw@example.org") is None


def test_password_64_characters_of_spaces_and_symbols_are_kept(signup_data, client, post_form) -> None:
    # S01, S02: 64 characters work, leading and trailing spaces are part of the password.
    password = "  " + "Ørnen & ulven, 7 ganger rundt fjorden; så hjem igjen!!" + " " * 8
    assert len(password) == 64
    assert post_form("/account/signup", signup_data(email="sp@example.org", password=password)).status_code == 302
    stripped = post_form("/account/login", {"email": "sp@example.org", "password": password.strip()})
    assert stripped.status_code == 400
    assert post_form("/account/login", {"email": "sp@example.org", "password": password}).status_code == 302


@pytest.mark.both_databases
def test_signup_with_existing_email_looks_the_same_and_warns_the_owner(signup_data, strip_tokens, 
        client, post_form, make_user, outbox, user_row) -> None:
    # S05: same redirect and same page; the owner gets a notice, no second account, no verify mail.
    make_user("owner@example.org", display_name="Owner")
    known = post_form("/account/signup", signup_data(email="OWNER@example.org"))
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = post_form("/account/signup", signup_data(email="fresh@example.org"))
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert strip_tokens(known_page) == strip_tokens(unknown_page)

    [notice] = outbox(to="owner@example.org")
    assert notice["template"] == "accounts/signup_existing"
    assert "http://localhost/account/login" in notice["text"]
    assert "http://localhost/account/password/forgot" in notice["text"]
    assert user_row("owner@example.org").display_name == "Owner"
    assert [m["template"] for m in outbox(to="fresh@example.org")] == ["accounts/verify"]


def test_signup_existing_email_runs_the_hasher(signup_data, client, post_form, make_user, monkeypatch) -> None:
    # S05: the password hasher runs for a known address too (same order of time). The spy wraps
    # argon2-cffi's PasswordHasher.hash and calls through.
    from argon2 import PasswordHasher

    calls = []
    real = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, pw, **kw: calls.append(1) or real(self, pw, **kw))
    make_user("twice@example.org")
    calls.clear()
    post_form("/account/signup", signup_data(email="twice@example.org"))
    assert len(calls) == 1
    post_form("/account/signup", signup_data(email="once@example.org"))
    assert len(calls) == 2


@pytest.mark.parametrize("name", ["Eve\r\nBcc: victim@example.org", "Eve\nBcc:x@example.org", "Eve\u202egnp.exe"])
def test_display_name_is_one_clean_line(signup_data, client, post_form, user_row, outbox, name) -> None:
    # S33: CR/LF and other control characters never reach a stored name or an email header.
    response = post_form("/account/signup", signup_data(email="eve@example.org", display_name=name))
    assert response.status_code == 302
    stored = user_row("eve@example.org").display_name
    assert "\r" not in stored
    assert "\n" not in stored
    assert "\u202e" not in stored
    assert stored.startswith("Eve")
    [mail] = outbox(to="eve@example.org")
    assert "\n" not in mail["subject"]
    assert "Bcc" not in mail["subject"]


def test_display_name_longer_than_80_is_refused(signup_data, client, post_form, user_row) -> None:
    response = post_form("/account/signup", signup_data(email="long@example.org", display_name="N" * 81))
    assert response.status_code == 400
    assert "N" * 81 in response.get_data(as_text=True)
    assert user_row("long@example.org") is None


def test_signup_without_csrf_is_refused(signup_data, client, user_row) -> None:
    # S23
    response = client.post("/account/signup", data=signup_data(email="nocsrf@example.org"))
    assert response.status_code == 400
    assert user_row("nocsrf@example.org") is None


def test_verification_links_bad_expired_reused(signup_data, client, post_form, link_in, user_row) -> None:
    from datetime import timedelta

    from app.core.timeutil import clock

    post_form("/account/signup", signup_data(email="v@example.org"))
    path = link_in("v@example.org", "accounts/verify")
    # Signed, not encrypted: the address itself is not in the URL (logs, browser history).
    payload = path.rsplit("/", 1)[1].split(".")[0]
    assert b"v@example.org" not in base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    # Forged or mangled token: a clear 400 page on GET and POST.
    assert client.get(path[:-3] + "abc").status_code == 400
    assert client.get("/account/verify/nonsense").status_code == 400
    assert post_form("/account/verify/nonsense", {}, page="/account/signup").status_code == 400
    # S07: verify links expire after 48 hours.
    clock.advance(timedelta(hours=48, minutes=1))
    response = client.get(path)
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    clock.reset()
    # Used once, then dead.
    assert post_form(path, {}, page=path).status_code == 302
    assert client.get(path).status_code == 400
    assert post_form(path, {}, page="/account/signup").status_code == 400
    assert user_row("v@example.org").email_verified_at is not None


def test_unverified_user_logs_in_sees_notice_and_can_resend(client, post_form, make_user, login, outbox) -> None:
    make_user("unv@example.org", verified=False)
    response = login("unv@example.org")
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Please confirm your email address" in page
    profile = client.get("/account/").get_data(as_text=True)
    assert "Send the link again" in profile
    response = post_form("/account/verification/resend", {}, page="/account/")
    assert response.status_code == 302
    assert [m["template"] for m in outbox(to="unv@example.org")] == ["accounts/verify"]
    assert client.get("/account/verification/resend").status_code == 405


def test_signups_per_address_are_capped_but_mistakes_do_not_count(post_form, make_user, signup_data,
                                                                  outbox) -> None:
    # No flooding an inbox with "someone tried to sign up" notices; typos on the form are free.
    make_user("target@example.org")
    for _ in range(6):
        assert post_form("/account/signup", signup_data(email="target@example.org", password="short")).status_code == 400
    for _ in range(5):
        assert post_form("/account/signup", signup_data(email="target@example.org")).status_code == 302
    assert post_form("/account/signup", signup_data(email="Target@example.org")).status_code == 429
    assert len(outbox(to="target@example.org")) == 5
    assert post_form("/account/signup", signup_data(email="other@example.org")).status_code == 302
