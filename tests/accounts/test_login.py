"""Login, logout, sessions, throttling, redirects and security logging."""
from __future__ import annotations

import logging
import re
import time
import types
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.core.timeutil import clock
from app.db import db

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(post_form, email, password=PASSWORD, **extra):
    return post_form("/account/login", {"email": email, "password": password, **extra})


def test_login_logout_round_trip(client, post_form, make_user) -> None:
    make_user("kari@example.org")
    response = _login(post_form, "KARI@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/account/").get_data(as_text=True)
    assert "kari@example.org" in page
    response = post_form("/account/logout", {}, page="/account/")
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_wrong_password_and_unknown_email_answer_alike(client, post_form, make_user, strip_tokens) -> None:
    # S05: one message, same status, same page (tokens aside).
    make_user("known@example.org")
    known = _login(post_form, "known@example.org", "wrong password here")
    unknown = _login(post_form, "nobody@example.org", "wrong password here")
    assert known.status_code == unknown.status_code == 400
    known_html, unknown_html = known.get_data(as_text=True), unknown.get_data(as_text=True)
    assert "Email or password is incorrect." in known_html
    assert strip_tokens(known_html).replace("known@", "X@") == strip_tokens(unknown_html).replace("nobody@", "X@")
    # Input kept (the address), the password never echoed.
    assert 'value="known@example.org"' in known_html
    assert "wrong password here" not in known_html


def test_unknown_email_still_runs_the_hasher(client, post_form, monkeypatch) -> None:
    # S05: verify_password(None, pw) costs one argon2 verification. The spy wraps argon2-cffi.
    from argon2 import PasswordHasher

    calls = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, pw: calls.append(1) or real(self, h, pw))
    _login(post_form, "ghost@example.org", "some password 123")
    assert calls == [1]


def test_password_checked_exactly_as_typed(client, post_form, make_user) -> None:
    # S02
    password = "  Åsa  pass  phrase  "
    make_user("asa@example.org", password=password)
    for variant in (password.strip(), password.lower(), password.upper(), " ".join(password.split()),
                    password[:-1]):
        assert _login(post_form, "asa@example.org", variant).status_code == 400
    assert _login(post_form, "asa@example.org", password).status_code == 302


def test_hash_is_argon2id_with_asvs_params(app, client, post_form, signup_data, user_row) -> None:
    # S03: with the shipped defaults (the suite otherwise runs with cheap test parameters).
    from app.config import load_config

    defaults = load_config("development")
    app.config.update(ARGON2_MEMORY_COST=defaults["ARGON2_MEMORY_COST"], ARGON2_TIME_COST=defaults["ARGON2_TIME_COST"])
    post_form("/account/signup", signup_data(email="hash@example.org"))
    stored = user_row("hash@example.org").password_hash
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored
    assert int(match.group(1)) >= 47104
    assert int(match.group(2)) >= 1
    assert int(match.group(3)) == 1


def test_legacy_werkzeug_hash_is_upgraded_on_login(app, client, post_form, make_user, user_row) -> None:
    # S03: a seeded Werkzeug scrypt hash works once and is replaced by argon2id.
    from werkzeug.security import generate_password_hash

    from app.accounts.models import User

    uid = make_user("legacy@example.org")
    with app.app_context():
        db.session.get(User, uid).password_hash = generate_password_hash(PASSWORD, method="scrypt")
        db.session.commit()
    assert user_row(uid).password_hash.startswith("scrypt:")
    assert _login(post_form, "legacy@example.org", "not the password").status_code == 400
    assert user_row(uid).password_hash.startswith("scrypt:")
    assert _login(post_form, "legacy@example.org").status_code == 302
    assert user_row(uid).password_hash.startswith("$argon2id$")
    post_form("/account/logout", {}, page="/account/")
    assert _login(post_form, "legacy@example.org").status_code == 302


def test_remember_me_makes_a_remembered_session(app, client, post_form, make_user) -> None:
    from app.accounts.models import UserSession

    uid = make_user("mem@example.org")
    response = _login(post_form, "mem@example.org", remember="y")
    assert "Expires=" in response.headers["Set-Cookie"]
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == uid))
        assert row.remember is True
    # Remembered sessions outlive the 2-hour idle timeout.
    clock.advance(timedelta(hours=5))
    assert client.get("/account/").status_code == 200


def test_new_session_at_login(client, post_form, make_user) -> None:
    # S12: a key planted before login is gone after, and the session cookie changed.
    make_user("fix@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    before = client.get_cookie("ca_session").value
    _login(post_form, "fix@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id")
    assert client.get_cookie("ca_session").value != before


def _replay(app, cookie_value):
    other = app.test_client()
    other.set_cookie("ca_session", cookie_value)
    return other.get("/account/")


def test_logout_ends_the_session_server_side(app, client, post_form, make_user) -> None:
    # S13: a copied cookie is worthless after logout.
    make_user("copy@example.org")
    _login(post_form, "copy@example.org")
    copied = client.get_cookie("ca_session").value
    assert _replay(app, copied).status_code == 200
    post_form("/account/logout", {}, page="/account/")
    response = _replay(app, copied)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, client, post_form, make_user) -> None:
    # S13: the password change ends every other session, not the one that made it.
    make_user("two@example.org")
    _login(post_form, "two@example.org")
    first = client.get_cookie("ca_session").value
    client.delete_cookie("ca_session")
    _login(post_form, "two@example.org")
    response = post_form("/account/password", {"current_password": PASSWORD,
                                                "new_password": "a brand new passphrase",
                                                "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    response = _replay(app, first)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_idle_and_absolute_timeouts(client, post_form, make_user) -> None:
    # S14: 2 hours idle, or 12 hours in all, and the user logs in again.
    make_user("idle@example.org")
    _login(post_form, "idle@example.org")
    clock.advance(timedelta(hours=1, minutes=50))
    assert client.get("/account/").status_code == 200
    clock.advance(timedelta(hours=2, minutes=1))
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]

    assert _login(post_form, "idle@example.org").status_code == 302
    for hour in range(11):
        clock.advance(timedelta(hours=1))
        assert client.get("/account/").status_code == 200, hour
    clock.advance(timedelta(minutes=55))
    assert client.get("/account/").status_code == 200  # 11 h 55 min: active all along
    clock.advance(timedelta(minutes=10))  # past 12 hours since login
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_logout_is_post_only_and_on_every_authenticated_page(client, logged_in) -> None:
    # S15
    logged_in("user")
    assert client.get("/account/logout").status_code == 405
    for url in ("/", "/account/", "/account/password", "/account/email", "/account/terms"):
        html = client.get(url).get_data(as_text=True)
        assert 'action="/account/logout"' in html, url
        form = html[html.index('action="/account/logout"') - 40: html.index('action="/account/logout"') + 200]
        assert 'method="post"' in form
        assert 'name="csrf_token"' in form


def test_logout_without_csrf_is_refused(app, client, logged_in) -> None:
    # S15, S23
    logged_in("user")
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/").status_code == 200


S26_CORPUS = ["//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
              "/%2F%2Fevil.example", "javascript:alert(1)", "https://evil.example/x", "///evil.example",
              "/\tevil.example", " //evil.example"]


@pytest.mark.parametrize("target", S26_CORPUS)
def test_login_next_stays_on_site(client, csrf, make_user, target) -> None:
    # S26: whether `next` comes in the query string or the form, the redirect stays here.
    make_user("next@example.org")
    token = csrf("/account/login")
    response = client.post(f"/account/login?next={target}",
                           data={"email": "next@example.org", "password": PASSWORD, "next": target,
                                 "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme == "", location
    assert parts.netloc == "", location
    assert not location.startswith(("//", "/\\")), location
    # Either the default page, or a path on this site ("/%2F%2Fevil.example" is a local 404).
    assert location == "/" or (location == target == "/%2F%2Fevil.example"), location


def test_login_next_to_a_local_page_is_honoured(client, post_form, make_user) -> None:
    make_user("local@example.org")
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "next=" in response.headers["Location"]
    login_page = response.headers["Location"]
    html = client.get(login_page).get_data(as_text=True)
    assert 'name="next"' in html
    assert 'value="/account/password"' in html
    response = post_form("/account/login", {"email": "local@example.org", "password": PASSWORD,
                                            "next": "/account/password"}, page=login_page)
    assert response.headers["Location"] == "/account/password"


def test_terms_next_stays_on_site(app, client, post_form, logged_in) -> None:
    # S26 on the terms interstitial's `next`.
    logged_in("user")
    app.config["TERMS_VERSION"] = "2099-01"
    for target in S26_CORPUS:
        response = post_form(f"/account/terms?next={target}", {"accept": "y", "next": target},
                             page="/account/terms")
        location = response.headers["Location"]
        assert urlsplit(location).netloc == "", location
        assert location == "/" or location == target == "/%2F%2Fevil.example", location


def test_security_events_logged_without_secrets(client, post_form, make_user, caplog) -> None:
    # S40: success and failure logged with time and actor; no password; CR/LF escaped.
    make_user("log@example.org")
    caplog.set_level(logging.INFO, logger="concept_arena.security")
    _login(post_form, "a\nFAKE@example.org", "secret-password-value")
    _login(post_form, "log@example.org", "another-secret-value")
    _login(post_form, "log@example.org")
    post_form("/account/logout", {}, page="/")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "concept_arena.security")
    assert "event=login_failed" in text
    assert "event=login_ok" in text
    assert "event=logout" in text
    assert "a\\nfake@example.org" in text.lower()
    assert "\nfake" not in text.lower()
    for secret in ("secret-password-value", "another-secret-value", PASSWORD):
        assert secret not in text
    assert all("time=" in r.getMessage() for r in caplog.records if r.name == "concept_arena.security")


# ---------------------------------------------------------------- S06: throttling
class _ShiftedTime(types.SimpleNamespace):
    """Stands in for the `time` module inside limits' memory storage: real time plus an offset."""

    def __init__(self) -> None:
        super().__init__(offset=0.0)

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name: str):  # sleep, monotonic, ... unchanged
        return getattr(time, name)


@pytest.fixture
def limiter_clock(monkeypatch):
    """S06 needs the rate-limit window to pass. Flask-Limiter's memory storage (the `limits`
    package) reads time.time(), not our app clock, so we shift the clock that storage sees."""
    import limits.storage.memory

    shifted = _ShiftedTime()
    monkeypatch.setattr(limits.storage.memory, "time", shifted)
    return shifted


def test_ten_failed_logins_then_429_per_account(client, post_form, make_user, limiter_clock) -> None:
    # S06: 10 failures per account in 15 minutes, then 429, even with the right password.
    make_user("brute@example.org")
    for _ in range(10):
        assert _login(post_form, "brute@example.org", "wrong guess 123456").status_code == 400
    response = _login(post_form, "brute@example.org")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Case and spaces do not make a new key.
    assert _login(post_form, " BRUTE@example.org").status_code == 429
    # A spoofed X-Forwarded-For does not reset it (no trusted proxy).
    response = client.post("/account/login", data={"email": "brute@example.org", "password": PASSWORD,
                                                   "csrf_token": _token(client)},
                           headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 429
    # Other accounts from the same address still work.
    make_user("bystander@example.org")
    assert _login(post_form, "bystander@example.org").status_code == 302
    post_form("/account/logout", {}, page="/")
    # After the window, the owner logs in again: temporary, not permanent.
    limiter_clock.offset = 15 * 60 + 5
    assert _login(post_form, "brute@example.org").status_code == 302


def _token(client, **kwargs):
    return CSRF_RE.search(client.get("/account/login", **kwargs).get_data(as_text=True)).group(1)


def test_successful_logins_do_not_count(client, post_form, make_user, limiter_clock) -> None:
    # S06 counts failed attempts only.
    make_user("often@example.org")
    for _ in range(12):
        assert _login(post_form, "often@example.org").status_code == 302
        post_form("/account/logout", {}, page="/")


def test_per_ip_limit_spoofed_forwarded_for_ignored(app, client, post_form, make_user, limiter_clock) -> None:
    # S06, R11: the per-IP limit keys on the socket address; X-Forwarded-For changes nothing.
    app.config["LOGIN_LIMIT_PER_IP"] = "5 per 15 minutes"
    for i in range(5):
        response = client.post("/account/login", data={"email": f"spray{i}@example.org", "password": "x" * 12,
                                                       "csrf_token": _token(client)},
                               headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert response.status_code == 400
    response = client.post("/account/login", data={"email": "spray9@example.org", "password": "x" * 12,
                                                   "csrf_token": _token(client)},
                           headers={"X-Forwarded-For": "198.51.100.77"})
    assert response.status_code == 429
    # Another client address is not affected.
    other = app.test_client()
    token = _token(other, environ_base={"REMOTE_ADDR": "192.0.2.50"})
    response = other.post("/account/login", data={"email": "spray9@example.org", "password": "x" * 12,
                                                  "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert response.status_code == 400
    limiter_clock.offset = 15 * 60 + 5
    make_user("later@example.org")
    assert _login(post_form, "later@example.org").status_code == 302


def test_suspended_user_cannot_log_in(app, client, post_form, make_user) -> None:
    from app.accounts.models import UserSession

    uid = make_user("gone@example.org", is_suspended=True)
    response = _login(post_form, "gone@example.org")
    assert response.status_code == 400
    assert "suspended" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == uid)) == 0
    # A wrong password still gets the generic message (nothing revealed without the password).
    assert "Email or password is incorrect" in _login(post_form, "gone@example.org", "nope" * 4).get_data(as_text=True)
