"""The participant profile (issue 5 item 1): kind, institution, country, bio and links on the
account page; what eligibility reads; bad input answered with 400 and the typed values kept."""
from __future__ import annotations

import html as html_lib
import re

import pytest

from app.accounts.models import User
from app.challenges.models import Challenge
from app.concepts.services.common import eligibility_problem
from app.db import db


def _profile(**overrides):
    data = {"display_name": "Ada", "locale": "en", "timezone": "Europe/Oslo", "participant_kind": "student",
            "institution": "NTNU", "country": "NO", "bio": "I build things.\nMostly bikes.",
            "link_1": "https://ada.example.org", "link_2": "http://old.example.org/portfolio?x=1&y=2",
            "link_3": "", "newsletter": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [(v, html_lib.unescape(t)) for v, t in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))]


def test_saves_and_shows_the_participant_profile(client, post_form, logged_in, user_row) -> None:
    uid = logged_in("user")
    response = post_form("/account/", _profile())
    assert response.status_code == 302
    user = user_row(uid)
    assert (str(user.participant_kind), user.institution, user.country, user.bio, user.links) == (
        "student", "NTNU", "NO", "I build things.\nMostly bikes.",
        ["https://ada.example.org", "http://old.example.org/portfolio?x=1&y=2"])
    page = client.get("/account/").get_data(as_text=True)
    # The form, shown once, is filled with what was saved (issue 12: no summary above it).
    assert "I build things.\nMostly bikes.</textarea>" in page
    assert 'value="https://ada.example.org"' in page
    assert 'value="http://old.example.org/portfolio?x=1&amp;y=2"' in page
    assert ("NO", "Norway") in _options(page, "country")
    assert re.search(r'<option selected value="NO">|<option value="NO" selected>', page)


def test_clearing_the_optional_fields(post_form, logged_in, user_row) -> None:
    uid = logged_in("user", institution="Old", country="SE", bio="Old bio", links=["https://a.example.org"])
    assert post_form("/account/", _profile(institution="", country="", bio="", link_1="", link_2="")).status_code == 302
    user = user_row(uid)
    assert (user.institution, user.country, user.bio, user.links) == (None, None, None, [])


def test_nordic_countries_first_then_sorted_in_the_page_language(client, logged_in) -> None:
    logged_in("user", locale="sv")
    options = _options(client.get("/account/").get_data(as_text=True), "country")
    assert options[0][0] == ""
    assert [code for code, _name in options[1:6]] == ["DK", "NO", "SE", "FI", "IS"]
    assert options[1][1] == "Danmark"
    rest = [name for _code, name in options[6:]]
    codes = {code for code, _name in options}
    assert "Tyskland" in rest  # Germany, in Swedish
    assert rest.index("Albanien") < rest.index("Tyskland")
    assert {"EU", "UN", "ZZ", "001", "QO"}.isdisjoint(codes)
    assert len(codes) > 240


def test_kind_hint_explains_eligibility(client, logged_in) -> None:
    logged_in("user")
    page = client.get("/account/").get_data(as_text=True)
    assert "Some challenges are open only to students, young professionals or startups" in page
    # The same choices as at sign-up, organisation staff included (issue 12).
    for value in ("student", "young_professional", "startup", "organisation_staff", "other"):
        assert f'value="{value}"' in page


def test_organisation_staff_kept_for_whoever_has_it(client, post_form, logged_in, user_row) -> None:
    uid = logged_in("user", participant_kind="organisation_staff")
    assert 'value="organisation_staff"' in client.get("/account/").get_data(as_text=True)
    assert post_form("/account/", _profile(participant_kind="organisation_staff")).status_code == 302
    assert str(user_row(uid).participant_kind) == "organisation_staff"


def test_anyone_may_say_they_are_organisation_staff(post_form, logged_in, user_row) -> None:
    """Sign-up offers it, so the profile does too; it grants nothing (it keeps its holder from entering)."""
    uid = logged_in("user", participant_kind="student")
    response = post_form("/account/", _profile(participant_kind="organisation_staff", institution="Typed Inc"))
    assert response.status_code == 302
    assert str(user_row(uid).participant_kind) == "organisation_staff"


def test_an_unknown_kind_is_refused_and_the_form_kept(post_form, logged_in, user_row) -> None:
    uid = logged_in("user", participant_kind="student")
    response = post_form("/account/", _profile(participant_kind="jury_president", institution="Typed Inc"))
    assert response.status_code == 400
    assert 'value="Typed Inc"' in response.get_data(as_text=True)
    assert str(user_row(uid).participant_kind) == "student"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("link_1", "javascript:alert(1)", "Only web addresses that start with https:// or http:// can be added."),
    ("link_2", "JavaScript:alert(document.cookie)", "Only web addresses that start with https:// or http://"),
    ("link_3", "data:text/html,<script>alert(1)</script>", "Only web addresses that start with https://"),
    ("link_1", "ftp://files.example.org/cv.pdf", "Only web addresses that start with https:// or http://"),
    ("link_1", "vbscript:msgbox", "Only web addresses that start with https:// or http://"),
    ("link_1", "example.org", "Only web addresses that start with https:// or http://"),
    ("link_1", "https://", "Enter a full web address, for example https://example.org."),
    ("link_1", "https://localhost", "Enter a full web address"),
    ("link_1", "https://exa mple.org", "A link cannot contain spaces or line breaks."),
    ("link_1", "https://bank.example@evil.example", "A link cannot contain a user name or password."),
    ("link_1", "https://example.org:99999999/", "Enter a full web address"),
    ("link_1", "https://example.org/" + "a" * 300, "A link has at most 300 characters."),
    ("bio", "x" * 601, "About you (optional): at most 600 characters (you wrote 601)."),
    ("institution", "y" * 161, "Institution or company (optional): at most 160 characters (you wrote 161)."),
    ("country", "XX", "Choose a country from the list."),
    ("country", "EU", "Choose a country from the list."),
    ("country", "<script>", "Choose a country from the list."),
    ("participant_kind", "emperor", "Not a valid choice"),
])
def test_bad_input_is_refused_with_400_and_kept(post_form, logged_in, user_row, field, value, message) -> None:
    uid = logged_in("user", institution="Before", bio="Before")
    data = _profile(**{field: value})
    if field != "institution":
        data["institution"] = "Typed Inc"
    if field != "bio":
        data["bio"] = "Typed bio"
    response = post_form("/account/", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert html_lib.escape(message, quote=False) in page or message in page
    assert 'id="error-summary"' in page
    assert ('value="Typed Inc"' in page) if field != "institution" else True
    assert ("Typed bio</textarea>" in page) if field != "bio" else True
    if field.startswith("link_"):
        assert f'value="{html_lib.escape(value)}"' in page  # what was typed stays, to correct it
        # Never rendered as a link.
        assert f'href="{html_lib.escape(value)}"' not in page
    user = user_row(uid)
    assert (user.institution, user.bio, user.links) == ("Before", "Before", [])


def test_bio_is_plain_text(client, post_form, logged_in, user_row) -> None:
    uid = logged_in("user")
    bio = "<b>bold</b> & <script>alert(1)</script>\u202eevil\x07"
    assert post_form("/account/", _profile(bio=bio)).status_code == 302
    assert user_row(uid).bio == "<b>bold</b> & <script>alert(1)</script>evil"  # bidi override, BEL removed
    page = client.get("/account/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in page


def test_no_mass_assignment(app, post_form, logged_in, user_row) -> None:
    # S20: fields the form does not have change nothing.
    uid = logged_in("user", email_addr="mass@example.org")
    before = user_row(uid)
    response = post_form("/account/", _profile(is_admin="1", is_suspended="1", email="evil@example.org",
                                               email_verified_at="", password_hash="x", id="1",
                                               is_demo="1", links=["javascript:alert(1)"],
                                               created_at="2000-01-01", session_key="x"))
    assert response.status_code == 302
    after = user_row(uid)
    assert (after.is_admin, after.is_suspended, after.is_demo, after.email, after.password_hash, after.id,
            after.email_verified_at, after.created_at) == (
        False, False, False, "mass@example.org", before.password_hash, uid, before.email_verified_at,
        before.created_at)
    assert after.links == ["https://ada.example.org", "http://old.example.org/portfolio?x=1&y=2"]


def test_eligibility_reads_the_saved_kind(app, post_form, logged_in, make_challenge) -> None:
    uid = logged_in("user")
    challenge = make_challenge("open", eligibility=["student"])
    assert post_form("/account/", _profile(participant_kind="startup")).status_code == 302
    with app.app_context():
        problem = eligibility_problem(db.session.get(User, uid), db.session.get(Challenge, challenge["id"]))
        assert problem is not None
        assert "update your profile" in problem
    assert post_form("/account/", _profile(participant_kind="student")).status_code == 302
    with app.app_context():
        assert eligibility_problem(db.session.get(User, uid), db.session.get(Challenge, challenge["id"])) is None


def test_profile_requires_login_and_csrf(client, logged_in, user_row) -> None:
    # S16, S23
    response = client.get("/account/")
    assert response.status_code == 302
    uid = logged_in("user", institution="Before")
    assert client.post("/account/", data=_profile(institution="No token")).status_code == 400
    assert user_row(uid).institution == "Before"
