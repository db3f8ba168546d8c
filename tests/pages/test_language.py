"""Language choice (issue item 6): profile, else the switcher (session), else Accept-Language.

Readers who are not logged in switch without a CSRF token (their pages are shared and cached,
issue 13): their browser's Origin says the form came from this site (S23, core/web.py)."""
from __future__ import annotations

import re

import pytest

from app.db import db

LANG_RE = re.compile(r'<html lang="([^"]*)"')
SAME_SITE = {"Origin": "http://localhost"}


def lang_of(response) -> str:
    match = LANG_RE.search(response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


@pytest.mark.parametrize(("header", "expected"), [
    (None, "en"),
    ("da", "da"),
    ("da-DK,da;q=0.9,en;q=0.5", "da"),
    ("nb-NO", "nb"),
    ("nb", "nb"),
    ("no", "nb"),          # browsers send "no" for Norwegian: Bokmål is what we have
    ("nn-NO,nn;q=0.9", "nb"),
    ("sv-FI", "sv"),
    ("sv-SE,en;q=0.3", "sv"),
    ("fr-FR,de;q=0.8", "en"),
    ("fr,sv;q=0.5,da;q=0.4", "sv"),
    ("en-GB", "en"),
    (";;;q=abc,,", "en"),  # garbage never breaks a page
])
def test_accept_language_picks_the_page_language(client, header, expected) -> None:
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert lang_of(response) == expected


def test_switcher_beats_accept_language_and_keeps_next(client) -> None:
    response = client.post("/language", data={"lang": "sv", "next": "/privacy"},
                           headers={"Accept-Language": "da", **SAME_SITE})
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy"
    assert lang_of(client.get("/privacy", headers={"Accept-Language": "da"})) == "sv"
    assert 'aria-current="true">Svenska</button>' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("code", ["xx", "DA", "da<script>", "", "en-GB", "nb_NO", "sv" * 200, "../etc"])
def test_unknown_or_malformed_language_is_a_400_page(client, code) -> None:
    response = client.post("/language", data={"lang": code}, headers={"Accept-Language": "da", **SAME_SITE})
    assert response.status_code == 400
    assert lang_of(response) == "da"
    assert "<h1>" in response.get_data(as_text=True)
    assert lang_of(client.get("/")) == "en"  # nothing was stored


def test_missing_language_field_and_get_are_refused(client) -> None:
    assert client.post("/language", data={}, headers=SAME_SITE).status_code == 400
    assert client.get("/language").status_code == 405


@pytest.mark.parametrize("headers", [
    {},  # no token and nothing that says where the form came from
    {"Origin": "https://evil.example"},
    {"Origin": "http://localhost:8080"},
    {"Origin": "null"},
    {"Referer": "https://evil.example/page"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example", "Referer": "http://localhost/"},
])
def test_a_switch_from_another_site_is_refused(client, headers) -> None:
    # S23: without a session there is no token; a request another site made is still refused.
    response = client.post("/language", data={"lang": "da"}, headers=headers)
    assert response.status_code == 400
    assert "sent from another site" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert lang_of(client.get("/")) == "en"


@pytest.mark.parametrize("headers", [
    SAME_SITE, {"Referer": "http://localhost/challenges/?q=x"}, {"Sec-Fetch-Site": "same-origin"}])
def test_a_switch_from_this_site_needs_no_session(client, headers) -> None:
    page = client.get("/")
    assert "Set-Cookie" not in page.headers
    assert 'name="csrf_token"' not in page.get_data(as_text=True)
    response = client.post("/language", data={"lang": "nb", "next": "/"}, headers=headers)
    assert response.status_code == 302
    assert "Set-Cookie" in response.headers  # the choice is the first thing kept for this visitor
    assert lang_of(client.get("/")) == "nb"


def test_a_wrong_token_is_refused_even_from_this_site(client) -> None:
    # A token that is sent is checked (S23), whatever the Origin says.
    response = client.post("/language", data={"lang": "da", "csrf_token": "forged"}, headers=SAME_SITE)
    assert response.status_code == 400


def test_a_signed_in_user_still_needs_the_token(client, make_user, login) -> None:
    # S23: signed-in users have a session, so their switcher carries the token, and must.
    make_user("token@example.org")
    login("token@example.org")
    assert client.post("/language", data={"lang": "da"}, headers=SAME_SITE).status_code == 400


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example", "https://evil.example/",
    "javascript:alert(1)", "/%2F%2Fevil.example", " //evil.example", "/ok\r\nSet-Cookie: x=1",
])
def test_switcher_never_redirects_off_site(client, target) -> None:
    # S26
    response = client.post("/language", data={"lang": "da", "next": target}, headers=SAME_SITE)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    assert "evil.example" not in location or location.startswith("/%2F")


def test_profile_language_beats_switcher_and_header(app, client, make_user, login, csrf, sign_in) -> None:
    uid = make_user("kari@example.org", locale="nb", timezone="Europe/Oslo")
    login("kari@example.org")
    assert lang_of(client.get("/", headers={"Accept-Language": "sv"})) == "nb"
    # The switcher changes the profile too, so the choice follows the user to other devices.
    response = client.post("/language", data={"lang": "da", "next": "/", "csrf_token": csrf("/")})
    assert response.status_code == 302
    with app.app_context():
        from app.accounts.models import User

        assert db.session.get(User, uid).locale == "da"
    # A second device: no session language, a Swedish browser; the profile wins.
    other = sign_in("kari@example.org", **{"Accept-Language": "sv"})
    assert lang_of(other.get("/", headers={"Accept-Language": "sv"})) == "da"


def test_user_without_profile_language_gets_the_session_choice(client, make_user, login, csrf) -> None:
    make_user("nolang@example.org", locale=None)
    login("nolang@example.org")
    assert lang_of(client.get("/", headers={"Accept-Language": "sv"})) == "sv"
