"""Language choice (issue item 6): profile, else the switcher (session), else Accept-Language."""
from __future__ import annotations

import re

import pytest

from app.db import db

LANG_RE = re.compile(r'<html lang="([^"]*)"')


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


def test_switcher_beats_accept_language_and_keeps_next(client, csrf) -> None:
    token = csrf("/")
    response = client.post("/language", data={"lang": "sv", "next": "/privacy", "csrf_token": token},
                           headers={"Accept-Language": "da"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy"
    assert lang_of(client.get("/privacy", headers={"Accept-Language": "da"})) == "sv"
    assert 'aria-current="true">Svenska</button>' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("code", ["xx", "DA", "da<script>", "", "en-GB", "nb_NO", "sv" * 200, "../etc"])
def test_unknown_or_malformed_language_is_a_400_page(client, csrf, code) -> None:
    token = csrf("/")
    response = client.post("/language", data={"lang": code, "csrf_token": token},
                           headers={"Accept-Language": "da"})
    assert response.status_code == 400
    assert lang_of(response) == "da"
    assert "<h1>" in response.get_data(as_text=True)
    assert lang_of(client.get("/")) == "en"  # nothing was stored


def test_missing_language_field_and_get_are_refused(client, csrf) -> None:
    assert client.post("/language", data={"csrf_token": csrf("/")}).status_code == 400
    assert client.get("/language").status_code == 405
    assert client.post("/language", data={"lang": "da"}).status_code == 400  # no CSRF token (S23)


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example", "https://evil.example/",
    "javascript:alert(1)", "/%2F%2Fevil.example", " //evil.example", "/ok\r\nSet-Cookie: x=1",
])
def test_switcher_never_redirects_off_site(client, csrf, target) -> None:
    # S26
    response = client.post("/language", data={"lang": "da", "next": target, "csrf_token": csrf("/")})
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
