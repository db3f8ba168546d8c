"""Forgotten and changed passwords: tokens (S07), notices (S09), sessions (S13), enumeration (S05)."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.timeutil import clock

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets
NEW = "a fresh and long passphrase"


def _forgot(post_form, email):
    return post_form("/account/password/forgot", {"email": email})


def _reset(post_form, path, password=NEW, confirm=None):
    return post_form(path, {"password": password, "confirm": confirm if confirm is not None else password}, page=path)


def test_forgot_password_answers_alike_for_known_and_unknown(client, post_form, make_user, outbox,
                                                             strip_tokens) -> None:
    # S05
    make_user("known@example.org")
    known = _forgot(post_form, "known@example.org")
    unknown = _forgot(post_form, "stranger@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert strip_tokens(known_page) == strip_tokens(unknown_page)
    assert [m["template"] for m in outbox()] == ["accounts/reset"]


def test_reset_flow_ends_sessions_and_notifies(app, client, post_form, make_user, link_in, outbox,
                                               user_row) -> None:
    # S07, S09, S13
    uid = make_user("reset@example.org")
    other = app.test_client()
    page = other.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert other.post("/account/login", data={"email": "reset@example.org", "password": PASSWORD,
                                              "csrf_token": token}).status_code == 302
    assert other.get("/account/").status_code == 200

    _forgot(post_form, "Reset@Example.org")
    path = link_in("reset@example.org", "accounts/reset")
    assert "60 minutes" in outbox(template="accounts/reset")[0]["text"]
    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    response = _reset(post_form, path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login")
    assert other.get("/account/").status_code == 302  # every session ended
    [notice] = outbox(template="accounts/password_changed")
    assert notice["to"] == "reset@example.org"
    assert post_form("/account/login", {"email": "reset@example.org", "password": PASSWORD}).status_code == 400
    assert post_form("/account/login", {"email": "reset@example.org", "password": NEW}).status_code == 302
    assert user_row(uid).password_hash.startswith("$argon2id$")


def test_reset_token_single_use(client, post_form, make_user, link_in) -> None:
    # S07: reuse fails.
    make_user("once@example.org")
    _forgot(post_form, "once@example.org")
    path = link_in("once@example.org", "accounts/reset")
    assert _reset(post_form, path).status_code == 302
    assert client.get(path).status_code == 400
    response = post_form(path, {"password": "yet another passphrase", "confirm": "yet another passphrase"},
                         page="/account/login")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_reset_token_expires_after_60_minutes(client, post_form, make_user, link_in) -> None:
    # S07: TTL follows the app clock.
    make_user("ttl@example.org")
    _forgot(post_form, "ttl@example.org")
    path = link_in("ttl@example.org", "accounts/reset")
    clock.advance(timedelta(minutes=59))
    assert client.get(path).status_code == 200
    clock.advance(timedelta(minutes=2))
    assert client.get(path).status_code == 400
    assert post_form(path, {"password": NEW, "confirm": NEW}, page="/account/login").status_code == 400


def test_tokens_are_purpose_bound(client, post_form, make_user, signup_data, link_in) -> None:
    # S07: a verification token is worthless on the reset and email-change routes, and back.
    post_form("/account/signup", signup_data(email="purpose@example.org"))
    verify_path = link_in("purpose@example.org", "accounts/verify")
    token = verify_path.rsplit("/", 1)[1]
    assert client.get(f"/account/password/reset/{token}").status_code == 400
    assert client.get(f"/account/email/confirm/{token}").status_code == 400
    _forgot(post_form, "purpose@example.org")
    reset_token = link_in("purpose@example.org", "accounts/reset").rsplit("/", 1)[1]
    assert client.get(f"/account/verify/{reset_token}").status_code == 400
    assert client.get(f"/account/email/confirm/{reset_token}").status_code == 400


def test_reset_token_dies_after_a_password_change(client, post_form, make_user, link_in, login) -> None:
    # S07: a link issued before the password changed no longer works.
    make_user("change@example.org")
    _forgot(post_form, "change@example.org")
    path = link_in("change@example.org", "accounts/reset")
    login("change@example.org")
    assert post_form("/account/password", {"current_password": PASSWORD, "new_password": NEW,
                                           "confirm": NEW}).status_code == 302
    post_form("/account/logout", {}, page="/")
    assert client.get(path).status_code == 400


def test_reset_form_errors_keep_the_page_and_answer_400(client, post_form, make_user, link_in) -> None:
    make_user("err@example.org")
    _forgot(post_form, "err@example.org")
    path = link_in("err@example.org", "accounts/reset")
    response = _reset(post_form, path, password="short", confirm="short")
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    response = _reset(post_form, path, password=NEW, confirm=NEW + "x")
    assert response.status_code == 400
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    response = _reset(post_form, path, password="password1234", confirm="password1234")
    assert response.status_code == 400
    assert "too common" in response.get_data(as_text=True)
    assert _reset(post_form, path).status_code == 302  # the link still works after mistakes


def test_forgot_form_error_keeps_input(post_form) -> None:
    response = _forgot(post_form, "no-at-sign")
    assert response.status_code == 400
    assert 'value="no-at-sign"' in response.get_data(as_text=True)


def test_forgot_password_rate_limited_per_account(app, client, post_form, make_user, outbox) -> None:
    # S06/R11 for resets: 5 per hour per address by default, then 429.
    make_user("many@example.org")
    for _ in range(5):
        assert _forgot(post_form, "many@example.org").status_code == 302
    response = _forgot(post_form, "MANY@example.org")
    assert response.status_code == 429
    assert len(outbox(template="accounts/reset")) == 5
    assert _forgot(post_form, "someone-else@example.org").status_code == 302


def test_forgot_password_rate_limited_per_ip(app, client, post_form, csrf) -> None:
    app.config["RESET_LIMIT_PER_IP"] = "3 per hour"
    for i in range(3):
        assert _forgot(post_form, f"p{i}@example.org").status_code == 302
    response = client.post("/account/password/forgot",
                           data={"email": "p9@example.org", "csrf_token": csrf("/account/password/forgot")},
                           headers={"X-Forwarded-For": "203.0.113.1"})
    assert response.status_code == 429


def test_change_password_requires_current_password(app, client, post_form, logged_in, outbox, user_row) -> None:
    # S04, S09
    uid = logged_in("user")
    before = user_row(uid).password_hash
    response = post_form("/account/password", {"current_password": "wrong password!", "new_password": NEW,
                                                "confirm": NEW})
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)
    response = post_form("/account/password", {"new_password": NEW, "confirm": NEW})
    assert response.status_code == 400
    assert user_row(uid).password_hash == before
    assert outbox(template="accounts/password_changed") == []

    response = post_form("/account/password", {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert user_row(uid).password_hash != before
    [notice] = outbox(template="accounts/password_changed")
    assert notice["to"] == user_row(uid).email
    assert client.get("/account/").status_code == 200  # this session stays


def test_change_password_policy(post_form, logged_in) -> None:
    # S01 on the change form.
    logged_in("user")
    response = post_form("/account/password", {"current_password": PASSWORD, "new_password": "tooshort",
                                                "confirm": "tooshort"})
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.get_data(as_text=True)


def test_password_pages_need_login(client) -> None:
    for url in ("/account/password", "/account/email", "/account/", "/account/terms"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"]


def test_wrong_current_password_is_throttled(post_form, logged_in, user_row) -> None:
    # S06 for re-authentication: a borrowed session cannot guess the password without limit.
    uid = logged_in("user")
    before = user_row(uid).password_hash
    for _ in range(10):
        response = post_form("/account/password", {"current_password": "guess guess guess", "new_password": NEW,
                                                    "confirm": NEW})
        assert response.status_code == 400
    response = post_form("/account/password", {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 429
    assert user_row(uid).password_hash == before


def test_email_change_requests_are_capped(post_form, logged_in, outbox) -> None:
    # Each request mails an address of the user's choosing: 5 per hour.
    logged_in("user")
    for i in range(5):
        assert post_form("/account/email", {"email": f"n{i}@example.org", "password": PASSWORD}).status_code == 302
    assert post_form("/account/email", {"email": "n9@example.org", "password": PASSWORD}).status_code == 429
    assert len(outbox(template="accounts/email_change_confirm")) == 5


def test_signed_in_only_posts_refuse_anonymous_cleanly(client, csrf) -> None:
    # The limits run before login_required; an anonymous POST must still just go to login.
    token = csrf("/account/login")
    for url in ("/account/verification/resend", "/account/password", "/account/email", "/account/",
                "/account/terms"):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"]


def test_email_links_use_the_configured_base_url(app, client, post_form, make_user, outbox) -> None:
    # S08: the link is built on BASE_URL, whatever Host the request came with.
    app.config["BASE_URL"] = "https://arena.example.org"
    make_user("host@example.org")
    response = client.post("/account/password/forgot", base_url="http://127.0.0.1",
                           data={"email": "host@example.org",
                                 "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(
                                     "/account/password/forgot", base_url="http://127.0.0.1").get_data(
                                     as_text=True)).group(1)})
    assert response.status_code == 302
    [mail] = outbox(template="accounts/reset")
    assert "https://arena.example.org/account/password/reset/" in mail["text"]
    assert "127.0.0.1" not in mail["text"]
    assert 'href="https://arena.example.org/account/password/reset/' in mail["html"]
    # An untrusted Host is refused outright.
    assert client.get("/account/password/forgot", headers={"Host": "evil.example"}).status_code == 400
