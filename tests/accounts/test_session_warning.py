"""The session-expiry warning's server side (A07, R07): every signed-in page says how long the
session has left, "Stay logged in" (accounts.extend_session) resets the idle clock but never the
absolute limit, and a form's CSRF token lasts as long as the session."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.timeutil import clock

IDLE = 2 * 3600
ABSOLUTE = 12 * 3600


def _expiry(html: str) -> tuple[int, int, int]:
    tag = re.search(r'<template id="session-warning"([^>]*)>', html)
    assert tag, "no session warning on the page"
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(1)))
    assert attrs["extend-url"] == "/account/session/extend"
    return int(attrs["idle-seconds"]), int(attrs["absolute-seconds"]), int(attrs["warn-seconds"])


def _extend(client, token: str):
    return client.post("/account/session/extend", headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_signed_in_pages_carry_the_seconds_left(client, logged_in) -> None:
    logged_in("user")
    for url in ("/", "/account/", "/my/concepts", "/challenges/"):
        html = client.get(url).get_data(as_text=True)
        idle, absolute, warn = _expiry(html)
        assert IDLE - 5 <= idle <= IDLE, url  # whole seconds, rounded down, on a busy machine
        assert ABSOLUTE - 5 <= absolute <= ABSOLUTE, url
        assert warn >= 20  # A07: at least 20 seconds ahead (60 by default)
        assert "/static/js/session.js" in html
        # The message and its controls, translated on the server; the button is a real button.
        assert 'role="alertdialog"' in html
        assert '<button type="button" class="button" data-action="stay">Stay logged in</button>' in html


def test_anonymous_pages_have_no_warning(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'id="session-warning"' not in html
    assert "session.js" not in html


def test_remembered_sessions_report_their_longer_limits(client, make_user, login) -> None:
    make_user("long@example.org")
    login("long@example.org", remember=True)
    idle, absolute, _warn = _expiry(client.get("/account/").get_data(as_text=True))
    assert 14 * 86400 - 5 <= idle <= 14 * 86400
    assert 30 * 86400 - 5 <= absolute <= 30 * 86400


def test_the_idle_figure_counts_down_from_the_last_request(client, logged_in) -> None:
    logged_in("user")
    client.get("/account/")
    clock.advance(timedelta(minutes=30))
    idle, absolute, _warn = _expiry(client.get("/account/").get_data(as_text=True))
    # The page load itself is activity: the idle clock starts again, the absolute one does not.
    assert IDLE - 5 <= idle <= IDLE
    assert absolute <= ABSOLUTE - 30 * 60


def test_extend_needs_a_session(client, csrf) -> None:
    # S16: anonymous gets 401 JSON (a fetch must not follow a redirect to the login page).
    token = csrf("/account/login")
    response = _extend(client, token)
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["login_url"] == "/account/login"


def test_extend_needs_csrf(client, logged_in) -> None:
    # S23
    logged_in("user")
    assert client.post("/account/session/extend").status_code == 400
    assert client.post("/account/session/extend", headers={"X-CSRFToken": "forged"}).status_code == 400


def test_extend_is_post_only(client, logged_in) -> None:
    # S24
    logged_in("user")
    assert client.get("/account/session/extend").status_code == 405


def test_stay_logged_in_resets_the_idle_clock(client, logged_in, csrf) -> None:
    # A07: the warning's button keeps a session alive that would otherwise end.
    logged_in("user")
    token = csrf("/account/")
    clock.advance(timedelta(hours=1, minutes=59))
    response = _extend(client, token)
    assert response.status_code == 200
    body = response.get_json()
    assert IDLE - 5 <= body["idle_seconds"] <= IDLE
    assert body["absolute_seconds"] <= ABSOLUTE - (IDLE - 60)
    assert body["expires_in"] == min(body["idle_seconds"], body["absolute_seconds"])
    clock.advance(timedelta(hours=1, minutes=59))  # 3 h 58 min after the page, 1 h 59 min after "stay"
    assert client.get("/account/").status_code == 200


def test_without_stay_the_idle_session_ends(client, logged_in, csrf) -> None:
    logged_in("user")
    token = csrf("/account/")
    clock.advance(timedelta(hours=2, minutes=1))
    response = _extend(client, token)
    assert response.status_code == 401
    assert client.get("/account/").status_code == 302


def test_stay_never_passes_the_absolute_limit(client, logged_in, csrf) -> None:
    logged_in("user")
    token = csrf("/account/")
    left = ABSOLUTE
    for _hour in range(11):
        clock.advance(timedelta(hours=1, minutes=5))
        response = _extend(client, token)
        assert response.status_code == 200
        body = response.get_json()
        assert body["absolute_seconds"] < left
        left = body["absolute_seconds"]
    # 11 h 55 min in: less idle time than the idle timeout is left, and extending does not add any.
    assert body["expires_in"] == body["absolute_seconds"] < IDLE
    clock.advance(timedelta(seconds=body["absolute_seconds"] + 1))
    assert _extend(client, token).status_code == 401


def test_a_form_loaded_long_ago_still_posts(client, logged_in, user_row) -> None:
    # A07, R07: WTF_CSRF_TIME_LIMIT is None, so the token lives as long as the session
    # (Flask-WTF's default of 3600 s would refuse this post).
    uid = logged_in("user", display_name="Before")
    html = client.get("/account/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    clock.advance(timedelta(hours=1, minutes=50))
    response = client.post("/account/", data={
        "csrf_token": token, "display_name": "After", "locale": "en", "timezone": "Europe/Copenhagen",
        "participant_kind": "student"})
    assert response.status_code == 302
    assert user_row(uid).display_name == "After"


def test_a_form_loaded_two_hours_ago_posts_after_stay(client, logged_in, user_row) -> None:
    # A07: "a form loaded 2 h earlier still submits while the session is valid".
    uid = logged_in("user", display_name="Before")
    html = client.get("/account/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    clock.advance(timedelta(hours=1, minutes=59))
    assert _extend(client, token).status_code == 200
    clock.advance(timedelta(hours=1))
    response = client.post("/account/", data={
        "csrf_token": token, "display_name": "Three hours later", "locale": "en",
        "timezone": "Europe/Copenhagen", "participant_kind": "student"})
    assert response.status_code == 302
    assert user_row(uid).display_name == "Three hours later"


def test_extend_works_while_new_terms_wait(app, client, logged_in, csrf) -> None:
    # The terms interstitial must not turn the JSON answer into a redirect.
    logged_in("user")
    token = csrf("/account/")
    app.config["TERMS_VERSION"] = "2099-01"
    assert client.get("/account/").status_code == 302
    assert _extend(client, token).status_code == 200
