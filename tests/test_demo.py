"""`flask demo load --if-empty` (issue item 9): demo content in four languages, loaded once."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import TermsAcceptance, User
from app.accounts.passwords import verify_password
from app.db import db
from app.demo import DEMO_PASSWORD
from app.organisations.models import Membership, Organisation, OrganisationStatus, Role

# On SQLite and PostgreSQL: thousands of inserts under every constraint, idempotent on a second run.
pytestmark = pytest.mark.both_databases

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCALE_ZONES = {"en": {"Europe/Copenhagen"}, "da": {"Europe/Copenhagen"}, "nb": {"Europe/Oslo"},
                "sv": {"Europe/Stockholm"}}


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        result = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (User, Organisation, Membership, TermsAcceptance)}
        db.session.remove()
    return result


def _load(app: Flask, *args: str):
    result = app.test_cli_runner().invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_load_fills_an_empty_database(app) -> None:
    result = _load(app, "--if-empty")
    assert f"password for all: {DEMO_PASSWORD}" in result.output
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert len(users) >= 10
        for user in users:
            assert user.email in result.output  # every login is printed
            assert user.is_demo
            assert user.is_verified
            assert user.timezone in LOCALE_ZONES[user.locale]
            assert verify_password(user.password_hash, DEMO_PASSWORD)
            accepted = {(a.document, a.version) for a in user.acceptances}
            assert ("terms", app.config["TERMS_VERSION"]) in accepted
            assert ("privacy", app.config["PRIVACY_VERSION"]) in accepted
        assert {u.locale for u in users} == {"en", "da", "nb", "sv"}
        assert sum(u.is_admin for u in users) == 1
        kinds = {u.participant_kind for u in users}
        assert {"student", "young_professional", "startup", "organisation_staff"} <= kinds
        assert len({u.password_hash for u in users}) == 1  # hashed once: fast

        orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
        assert {"Aarhusby Kommune", "Fjordvik kommune", "Sjöstad kommun", "Region Midtvest",
                "Nordic Technical University", "Grønn Logistikk AS", "Nordhavn Kommune"} <= set(orgs)
        assert {o.kind for o in orgs.values()} >= {"municipality", "region", "university", "company"}
        assert {o.country for o in orgs.values()} >= {"DK", "NO", "SE"}
        pending = [o for o in orgs.values() if o.status == OrganisationStatus.PENDING]
        assert [o.name for o in pending] == ["Nordhavn Kommune"]  # something for the admin to approve
        for org in orgs.values():
            assert org.description
            assert org.contact_email  # the controller's contact (P07)
            assert any(m.role == Role.OWNER for m in org.memberships)
        assert "Vi søger" in orgs["Aarhusby Kommune"].description  # each in its own language
        assert "Vi trenger" in orgs["Fjordvik kommune"].description
        assert "Vi söker" in orgs["Sjöstad kommun"].description
        roles = {m.role for m in db.session.scalars(select(Membership))}
        assert roles == {Role.OWNER, Role.EDITOR}


def test_a_second_run_changes_nothing(app) -> None:
    _load(app, "--if-empty")
    before = _counts(app)
    result = _load(app, "--if-empty")
    assert "already has users" in result.output
    assert _counts(app) == before
    result = _load(app)  # without --if-empty it is still idempotent
    assert "nothing added" in result.output
    assert _counts(app) == before


def test_if_empty_leaves_a_used_database_alone(app, make_user) -> None:
    make_user("real.person@example.org")
    result = _load(app, "--if-empty")
    assert "not loaded" in result.output
    assert _counts(app)["users"] == 1


def test_a_demo_user_logs_in_through_the_real_form(app, client) -> None:
    _load(app, "--if-empty")
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": "ingrid@demo.example.org",
                                                   "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="nb">' in home  # her profile language
    assert client.get("/organisations/fjordvik-kommune/members").status_code == 200  # she owns it
