"""Profile, email change, the terms interstitial and the admin CLI."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.timeutil import clock
from app.db import db

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets


def _profile(**overrides):
    data = {"display_name": "Ada", "locale": "da", "timezone": "Europe/Oslo", "participant_kind": "startup",
            "institution": "Ada ApS", "newsletter": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------- profile
def test_profile_shows_and_saves_every_field(client, post_form, logged_in, user_row) -> None:
    uid = logged_in("user", display_name="Before")
    html = client.get("/account/").get_data(as_text=True)
    assert 'value="Before"' in html
    for zone in ("Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm", "Europe/Helsinki", "Europe/London",
                 "Europe/Berlin", "UTC"):
        assert f'value="{zone}"' in html
    for code, name in (("en", "English"), ("da", "Dansk"), ("nb", "Norsk bokmål"), ("sv", "Svenska")):
        # Endonyms, each marked with its language (WCAG 3.1.2).
        assert re.search(rf'<option lang="{code}"( selected)? value="{code}">{name}</option>', html), code
    assert 'href="/account/password"' in html
    assert 'href="/account/email"' in html

    response = post_form("/account/", _profile())
    assert response.status_code == 302
    user = user_row(uid)
    assert (user.display_name, user.locale, user.timezone, str(user.participant_kind), user.institution,
            user.newsletter_opt_in) == ("Ada", "da", "Europe/Oslo", "startup", "Ada ApS", True)
    # The page now speaks Danish (language from the profile).
    assert 'lang="da"' in client.get("/account/").get_data(as_text=True)[:200]


def test_newsletter_withdrawn_as_easily_as_given(post_form, logged_in, user_row) -> None:
    # P04: one untick and save.
    uid = logged_in("user", newsletter_opt_in=True)
    assert post_form("/account/", _profile(newsletter=None, locale="en")).status_code == 302
    assert user_row(uid).newsletter_opt_in is False


@pytest.mark.parametrize(("field", "value", "message"), [
    ("timezone", "Mars/Olympus", "Not a valid choice"),
    ("timezone", "Europe/Nowhere", "Not a valid choice"),
    ("locale", "xx", "Not a valid choice"),
    ("participant_kind", "emperor", "Not a valid choice"),
    ("display_name", "", "Enter your name."),
    ("display_name", "\r\n\t", "Enter your name."),
    ("display_name", "Z" * 81, "Display name: at most 80 characters (you wrote 81)."),
])
def test_profile_errors_keep_input_and_answer_400(post_form, logged_in, user_row, field, value, message) -> None:
    uid = logged_in("user", display_name="Kept")
    response = post_form("/account/", _profile(**{field: value, "institution": "Typed Inc"}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Typed Inc"' in html
    assert user_row(uid).display_name == "Kept"


def test_profile_keeps_an_unlisted_valid_timezone(client, logged_in) -> None:
    logged_in("user", timezone="America/Sao_Paulo")
    html = client.get("/account/").get_data(as_text=True)
    assert 'selected value="America/Sao_Paulo"' in html or 'value="America/Sao_Paulo" selected' in html


def test_profile_name_cleaned_of_control_characters(post_form, logged_in, user_row) -> None:
    # S33
    uid = logged_in("user")
    assert post_form("/account/", _profile(display_name="Mallory\r\nBcc: x@example.org")).status_code == 302
    assert user_row(uid).display_name == "Mallory Bcc: x@example.org"


# ---------------------------------------------------------------- email change
def _change_email(post_form, new, password=PASSWORD):
    return post_form("/account/email", {"email": new, "password": password})


def test_change_email_full_flow(client, post_form, logged_in, link_in, outbox, user_row) -> None:
    # S04, S07, S09
    uid = logged_in("user", email_addr="old@example.org")
    response = _change_email(post_form, " New@Example.org ")
    assert response.status_code == 302
    assert user_row(uid).email == "old@example.org"  # nothing changes before the link is used
    [confirm] = outbox(template="accounts/email_change_confirm")
    assert confirm["to"] == "new@example.org"
    path = link_in("new@example.org", "accounts/email_change_confirm")
    page = client.get(path)
    assert page.status_code == 200
    assert "new@example.org" in page.get_data(as_text=True)
    assert user_row(uid).email == "old@example.org"  # S24: GET changes nothing
    response = post_form(path, {}, page=path)
    assert response.status_code == 302
    assert user_row(uid).email == "new@example.org"
    [notice] = outbox(template="accounts/email_changed_notice")
    assert notice["to"] == "old@example.org"
    assert "new@example.org" in notice["text"]
    # Single use: the old address is gone, so the link is dead.
    assert client.get(path).status_code == 400
    # Log in with the new address.
    post_form("/account/logout", {}, page="/")
    assert post_form("/account/login", {"email": "new@example.org", "password": PASSWORD}).status_code == 302


def test_change_email_requires_current_password(post_form, logged_in, outbox, user_row) -> None:
    # S04
    uid = logged_in("user", email_addr="keep@example.org")
    response = _change_email(post_form, "other@example.org", password="not my password")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your current password is not correct." in html
    assert 'value="other@example.org"' in html
    assert _change_email(post_form, "other@example.org", password="").status_code == 400
    assert outbox(template="accounts/email_change_confirm") == []
    assert user_row(uid).email == "keep@example.org"


@pytest.mark.both_databases
def test_change_email_to_taken_address_looks_the_same(client, post_form, make_user, logged_in, outbox,
                                                      strip_tokens) -> None:
    # S05 on email change: same answer, nothing sent, nothing leaked.
    make_user("taken@example.org")
    logged_in("user")
    taken = _change_email(post_form, "taken@example.org")
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    free = _change_email(post_form, "free@example.org")
    free_page = client.get(free.headers["Location"]).get_data(as_text=True)
    assert taken.status_code == free.status_code == 302
    assert strip_tokens(taken_page).replace("taken@", "X@") == strip_tokens(free_page).replace("free@", "X@")
    assert outbox(to="taken@example.org") == []
    assert len(outbox(to="free@example.org")) == 1


def test_email_change_link_expires_and_dies_with_password_change(client, post_form, logged_in, link_in) -> None:
    # S07: 24 hours; void after a password change.
    logged_in("user")
    _change_email(post_form, "later@example.org")
    path = link_in("later@example.org", "accounts/email_change_confirm")
    clock.advance(timedelta(hours=24, minutes=1))
    assert client.get(path).status_code == 400
    clock.reset()
    assert client.get(path).status_code == 200
    post_form("/account/password", {"current_password": PASSWORD, "new_password": "brand new passphrase",
                                    "confirm": "brand new passphrase"})
    assert client.get(path).status_code == 400


@pytest.mark.both_databases
def test_email_change_confirm_when_address_taken_meanwhile(client, post_form, logged_in, make_user, link_in,
                                                          user_row) -> None:
    uid = logged_in("user", email_addr="mine@example.org")
    _change_email(post_form, "race@example.org")
    path = link_in("race@example.org", "accounts/email_change_confirm")
    make_user("race@example.org")
    response = post_form(path, {}, page=path)
    assert response.status_code == 400
    assert user_row(uid).email == "mine@example.org"


def test_email_change_same_address_refused(post_form, logged_in) -> None:
    logged_in("user", email_addr="same@example.org")
    response = _change_email(post_form, "SAME@example.org")
    assert response.status_code == 400
    assert "already your email address" in response.get_data(as_text=True)


# ---------------------------------------------------------------- terms interstitial (P04)
def test_new_terms_version_interstitial_before_any_action(app, client, post_form, logged_in, user_row) -> None:
    from app.accounts.models import TermsAcceptance

    uid = logged_in("user")
    app.config["TERMS_VERSION"] = "2099-01"
    app.config["PRIVACY_VERSION"] = "2099-02"
    for url in ("/", "/account/", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/account/terms?next=")
    # A POST elsewhere is held up too, and changes nothing.
    response = post_form("/account/", _profile(display_name="Sneaky"), page="/account/terms")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/terms")
    assert user_row(uid).display_name != "Sneaky"

    page = client.get("/account/terms?next=/account/password")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/terms"' in html
    assert 'href="/privacy"' in html
    # Not ticked: 400 and the page again.
    assert post_form("/account/terms?next=/account/password", {"next": "/account/password"},
                     page="/account/terms").status_code == 400
    response = post_form("/account/terms?next=/account/password", {"accept": "y", "next": "/account/password"},
                         page="/account/terms")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200
    with app.app_context():
        rows = db.session.execute(select(TermsAcceptance.document, TermsAcceptance.version)
                                  .where(TermsAcceptance.user_id == uid)).all()
    assert {("terms", "2099-01"), ("privacy", "2099-02")} <= set(rows)


def test_logout_works_from_the_interstitial(app, client, post_form, logged_in) -> None:
    logged_in("user")
    app.config["TERMS_VERSION"] = "2099-01"
    assert post_form("/account/logout", {}, page="/account/terms").status_code == 302
    assert client.get("/account/").status_code == 302


# ---------------------------------------------------------------- CLI (S10)
def test_cli_create_admin_and_promote(app) -> None:
    from app.accounts.models import TermsAcceptance, User
    from app.core.audit import AuditEvent

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.org", "--password", "admin passphrase 2026"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
        assert user.is_admin
        assert user.is_verified
        assert user.password_hash.startswith("$argon2id$")
        assert db.session.scalar(select(func.count()).select_from(TermsAcceptance)
                                 .where(TermsAcceptance.user_id == user.id)) == 2
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == user.id)) == \
            "user.create_admin"

    # Promote an existing account; no password needed.
    with app.app_context():
        db.session.add(User(email="member@example.org", password_hash="x", display_name="Member"))
        db.session.commit()
    result = runner.invoke(args=["users", "create-admin", "member@example.org"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == "member@example.org"))
        assert member.is_admin
        assert member.password_hash == "x"
        assert "user.promote_admin" in db.session.scalars(select(AuditEvent.action)).all()


def test_cli_create_admin_refuses_weak_or_missing_password(app) -> None:
    from app.accounts.models import User

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "weak@example.org", "--password", "password1234"])
    assert result.exit_code != 0
    assert "too common" in result.output
    # No terminal and no --password: refused, with a clear message.
    result = runner.invoke(args=["users", "create-admin", "quiet@example.org"], input="")
    assert result.exit_code != 0
    assert "--password" in result.output
    result = runner.invoke(args=["users", "create-admin", "not-an-email", "--password", "admin passphrase 2026"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_cli_admin_can_log_in(app, post_form) -> None:
    app.test_cli_runner().invoke(args=["users", "create-admin", "root@example.org", "--password",
                                       "admin passphrase 2026"])
    assert post_form("/account/login", {"email": "root@example.org",
                                        "password": "admin passphrase 2026"}).status_code == 302


def test_the_saved_message_is_in_the_language_just_chosen_and_the_form_shows_once(client, post_form,
                                                                                 logged_in) -> None:
    """Issue 12, item 5: switching to Danish in the profile says "saved" in Danish; the page shows
    the profile as one form, not a summary followed by the same fields."""
    logged_in("user")
    page = client.get("/account/").get_data(as_text=True)
    assert page.count('name="display_name"') == 1
    assert "participant-profile" not in page
    form = {"display_name": "Dorte", "locale": "da", "timezone": "Europe/Copenhagen",
            "participant_kind": "student", "institution": "", "country": "", "bio": "",
            "link_1": "", "link_2": "", "link_3": ""}
    response = post_form("/account/", form)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'lang="da"' in html
    assert "Din profil er gemt." in html
    assert "Your profile has been saved." not in html
