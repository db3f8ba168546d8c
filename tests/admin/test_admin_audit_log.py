"""The audit log a person can read (issue 12, item 7): names and links for actors and objects,
translated action phrases, readable details, filters that refuse bad values at their field (S31),
a constant number of queries per page, and logged values escaped (S28)."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event

from app.admin.labels import ACTION_LABELS, OBJECT_TYPE_LABELS
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptState
from app.core.audit import record_event
from app.core.timeutil import utcnow
from app.db import db

APP_DIR = Path(__file__).resolve().parents[2] / "app"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _challenge(app: Flask, org_id: int, owner_id: int, title: str = "Less cardboard in paper bins") -> dict[str, Any]:
    now = utcnow()
    with app.app_context():
        challenge = Challenge(
            organisation_id=org_id, slug=f"challenge-{uuid.uuid4().hex[:6]}", title=title,
            summary="Help residents sort cardboard.", problem_md="Cardboard in paper bins.", background_md="",
            language="en", prize_minor=5_000_000, currency="DKK", prize_count=1, prize_split=[100],
            eligibility=["anyone"], opens_at=now - timedelta(days=7), deadline_at=now + timedelta(days=14),
            judging_ends_at=now + timedelta(days=28), results_at=now + timedelta(days=35),
            state=ChallengeState.OPEN, timezone="Europe/Copenhagen", published_at=now - timedelta(days=8),
            created_by_id=owner_id)
        db.session.add(challenge)
        db.session.commit()
        return {"id": challenge.id, "slug": challenge.slug}


def _concept(app: Flask, challenge_id: int, owner_id: int, title: str) -> int:
    now = utcnow()
    with app.app_context():
        concept = Concept(challenge_id=challenge_id, owner_id=owner_id, team_name="Team Bin", title=title,
                          summary="Stickers on every bin.", body_md="Pictures.", language="en",
                          licence="cc-by-4.0", state=ConceptState.DRAFT, lock_version=1, created_at=now,
                          updated_at=now)
        db.session.add(concept)
        db.session.commit()
        return concept.id


def _log(app: Flask, actor_id: int | None, action: str, object_type: str, object_id: int | None,
         details: dict[str, Any] | None = None, at: datetime | None = None) -> int:
    from app.accounts.models import User

    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        event = record_event(actor=actor, action=action, object_type=object_type, object_id=object_id,
                             details=details)
        if at is not None:
            event.created_at = at
        db.session.commit()
        return event.id


@pytest.fixture
def world(app: Flask, make_user: Callable[..., int], make_org: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """An admin, an owner with an organisation and a challenge, a student with a concept, and their events."""
    admin = make_user("root@example.org", display_name="Ada Admin", admin=True)
    owner = make_user("owner@example.org", display_name="Olga Owner")
    student = make_user("student@example.org", display_name="Sami Student")
    org = make_org("Fjordvik Kommune", owners=[owner])
    challenge = _challenge(app, org["id"], owner)
    concept = _concept(app, challenge["id"], student, "Bins that talk")
    _log(app, owner, "organisation.applied", "organisation", org["id"], {"name": "Fjordvik Kommune"})
    _log(app, admin, "organisation.approved", "organisation", org["id"], {"name": "Fjordvik Kommune"})
    _log(app, owner, "challenge.open", "challenge", challenge["id"], {"from": "scheduled", "to": "open"})
    _log(app, student, "concept.submitted", "concept", concept,
         {"version": 1, "fingerprint": "ab" * 32, "members": [student]})
    _log(app, admin, "user.suspended", "user", student)
    _log(app, owner, "jury_invitation.created", "jury_invitation", 77,
         {"challenge_id": challenge["id"], "as_chair": True})
    _log(app, None, "mystery.thing", "gadget", 5, {"note": "from the future"})
    return {"admin": admin, "owner": owner, "student": student, "org": org, "challenge": challenge,
            "concept": concept}


def _table(html: str) -> str:
    return html[html.index("<tbody>"):html.index("</tbody>")]


def _as_admin(client: FlaskClient, login: Callable[..., Any]) -> None:
    login("root@example.org")


def test_actors_and_objects_are_named_with_links(client, login, world) -> None:
    _as_admin(client, login)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    rows = _table(response.get_data(as_text=True))
    # Actors: a user's admin page, by name, with the email address beside it.
    assert f'<a href="/admin/users/{world["owner"]}">Olga Owner</a>' in rows
    assert "owner@example.org" in rows
    assert f'<a href="/admin/users/{world["admin"]}">Ada Admin</a>' in rows
    # Objects: the organisation's admin page, the challenge's page, the user's admin page.
    assert f'<a href="/admin/organisations/{world["org"]["id"]}">Fjordvik Kommune</a>' in rows
    assert f'<a href="/challenges/{world["challenge"]["slug"]}">Less cardboard in paper bins</a>' in rows
    assert f'<a href="/admin/users/{world["student"]}">Sami Student</a>' in rows
    # A concept is named, with its challenge's page beside it (an admin has no page of a team's concept).
    assert "Bins that talk" in rows
    # A referenced id in the details is named too (challenge_id of the jury invitation).
    invitation_row = rows[rows.index("Jury invitation sent"):]
    assert f'href="/challenges/{world["challenge"]["slug"]}"' in invitation_row
    # An object without a page links to every event about it.
    assert 'href="/admin/audit?object_type=jury_invitation&amp;object_id=77"' in rows
    # The platform acting on its own, and an unknown code shown as it is.
    assert "The platform" in rows
    assert "mystery.thing" in rows
    assert "gadget" in rows


def test_actions_are_translated_phrases(client, login, world) -> None:
    _as_admin(client, login)
    rows = _table(client.get("/admin/audit").get_data(as_text=True))
    for phrase in ("Organisation applied to join", "Organisation approved", "Challenge opened",
                   "Concept submitted", "Account suspended", "Jury invitation sent"):
        assert phrase in rows, phrase
    assert ">organisation.approved<" not in rows
    # Details as readable pairs: labels for known keys, booleans in words, lists joined.
    assert "<dt>From</dt>" in rows
    assert "<dt>Version</dt>" in rows
    assert "Yes" in rows


def test_actions_in_danish(client, login, world, make_user) -> None:
    make_user("dansk@example.org", admin=True, locale="da", display_name="Dorte Dansk")
    login("dansk@example.org")
    response = client.get("/admin/audit")
    html = response.get_data(as_text=True)
    assert '<html lang="da"' in html
    rows = _table(html)
    assert "Organisation godkendt" in rows
    assert "Udfordring åbnet" in rows
    assert "Konto suspenderet" in rows
    assert "Platformen" in rows
    assert "mystery.thing" in rows  # unknown codes stay as they are in every language


def test_every_action_code_written_in_app_has_a_phrase() -> None:
    """Grep record_event(...) across app/: every literal action code has a translated phrase, and
    the codes built at run time (challenge.<state>, concepts.export_<kind>, jury_seat.<...>) too."""
    codes: set[str] = set()
    for path in APP_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"record_event\((.*?)\)\n", text, re.S):
            codes.update(re.findall(r'action=(?:[^,"]*?)"([a-z_]+\.[a-z_]+)"', call.group(1)))
            codes.update(re.findall(r'else "([a-z_]+\.[a-z_]+)"', call.group(1)))
        codes.update(re.findall(r'action(?:=| = )"([a-z_]+\.[a-z_]+)"', text))
        codes.update(re.findall(r'_ACTION = "([a-z_]+\.[a-z_]+)"', text))
    codes.update(f"challenge.{state.value}" for state in ChallengeState)
    codes.update({"concepts.export_csv", "concepts.export_zip"})
    assert len(codes) > 60  # the grep itself works
    assert "organisation.approved" in codes
    assert "jury_seat.rejoined" in codes
    assert "concept.reopened" in codes
    missing = sorted(codes - set(ACTION_LABELS))
    assert missing == [], f"audit action codes without a phrase in app/admin/labels.py: {missing}"
    types = set()
    for path in APP_DIR.rglob("*.py"):
        types.update(re.findall(r'object_type="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert sorted(types - set(OBJECT_TYPE_LABELS)) == []


@pytest.mark.both_databases
def test_filters(client, login, world, app) -> None:
    _as_admin(client, login)
    long_ago = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    _log(app, world["owner"], "organisation.updated", "organisation", world["org"]["id"], {"fields": ["name"]},
         at=long_ago)

    def rows(query: dict[str, Any]) -> str:
        response = client.get("/admin/audit", query_string=query)
        assert response.status_code == 200, (query, response.status_code)
        html = response.get_data(as_text=True)
        return _table(html) if "<tbody>" in html else ""

    by_owner = rows({"actor": "owner@example.org"})
    assert "Challenge opened" in by_owner
    assert "Organisation approved" not in by_owner
    assert rows({"actor": str(world["admin"])}).count("<tr>") == 2
    assert rows({"actor": f"#{world['admin']}"}).count("<tr>") == 2
    assert rows({"actor": "OWNER@example.org"}) == by_owner
    only = rows({"action": "organisation.approved"})
    assert only.count("<tr>") == 1
    assert "Organisation approved" in only
    org_events = rows({"object_type": "organisation", "object_id": str(world["org"]["id"])})
    assert org_events.count("<tr>") == 3
    assert rows({"object_type": "user"}).count("<tr>") == 1
    january = rows({"date_from": "2026-01-15", "date_to": "2026-01-15"})
    assert january.count("<tr>") == 1
    assert "Organisation details changed" in january
    assert rows({"date_to": "2026-01-14"}) == ""
    assert "Organisation details changed" not in rows({"date_from": "2026-01-16"})
    # Filters combine, and the pager keeps them (stable URLs).
    # What the form sends: every field, the unused ones empty.
    assert rows({"actor": "owner@example.org", "action": "", "object_type": "", "object_id": "", "date_from": "",
                 "date_to": ""}) == by_owner
    combined = rows({"actor": "owner@example.org", "object_type": "organisation"})
    assert combined.count("<tr>") == 2
    # A known code with no events yet is a valid, empty filter.
    response = client.get("/admin/audit?action=challenge.cancelled")
    assert response.status_code == 200
    assert "No events match these filters." in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_pages_have_stable_urls(client, login, app, make_user) -> None:
    admin = make_user("root@example.org", display_name="Ada Admin", admin=True)
    base = datetime(2026, 5, 1, tzinfo=UTC)
    for i in range(55):
        _log(app, admin, "user.suspended", "user", admin, {"n": i}, at=base + timedelta(minutes=i))
    _log(app, admin, "outbox.retry", "outbox_message", 1, at=base)
    _as_admin(client, login)
    first = client.get("/admin/audit?action=user.suspended").get_data(as_text=True)
    assert _table(first).count("<tr>") == 50
    assert 'href="/admin/audit?page=2&amp;action=user.suspended"' in first or \
        'href="/admin/audit?action=user.suspended&amp;page=2"' in first
    second = client.get("/admin/audit?action=user.suspended&page=2").get_data(as_text=True)
    assert _table(second).count("<tr>") == 5
    assert "Email sent again" not in _table(second)
    # Same URL, same rows: the order is total (time, then id).
    assert client.get("/admin/audit?action=user.suspended&page=2").get_data(as_text=True).count("<tr>") == \
        second.count("<tr>")


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"action": "nope"}, "action", "choose one of the options in the list"),
    ({"action": "user.suspended'--"}, "action", "choose one of the options in the list"),
    ({"object_type": "users;--"}, "object_type", "choose one of the options in the list"),
    ({"object_type": "user", "object_id": "abc"}, "object_id", "Enter a whole number from 1 upwards."),
    ({"object_type": "user", "object_id": "-4"}, "object_id", "Enter a whole number from 1 upwards."),
    ({"object_type": "user", "object_id": "99999999999999999999"}, "object_id", "Enter a whole number"),
    ({"object_id": "3"}, "object_id", "Choose the type of object too."),
    ({"actor": "nobody@example.org"}, "actor", "No account has this email address or number."),
    ({"actor": "x" * 300}, "actor", ""),
    ({"date_from": "31/12/2026"}, "date_from", "Enter a date as year-month-day"),
    ({"date_to": "2026-02-30"}, "date_to", "Enter a date as year-month-day"),
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to", "must not be before the first day"),
])
def test_bad_filter_values_are_a_400_at_the_field(client, login, world, query, field, message) -> None:
    """(S31) A bad value: 400, the message at its field, the rest of the filter kept, never a 500."""
    _as_admin(client, login)
    kept = {"actor": "owner@example.org", "action": "challenge.open"}
    kept = {k: v for k, v in kept.items() if k not in query}
    response = client.get("/admin/audit", query_string={**kept, **query})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    error = html[html.index(f'id="{field}-error"'):]
    error = error[:error.index("</p>")]
    assert error.count("Error:") == 1  # one message at the field, not the same one twice
    assert 'id="error-summary"' in html
    assert "<tbody>" not in html  # nothing was queried with a half-valid filter
    if "actor" in kept:
        assert 'value="owner@example.org"' in html
    if "action" in kept:
        assert '<option selected value="challenge.open">' in html


@pytest.mark.parametrize("page", ["x", "0", "-1", "1.5", "²", "9999999"])
def test_bad_page_numbers_are_a_400_with_a_way_back(client, login, world, page) -> None:
    _as_admin(client, login)
    response = client.get("/admin/audit", query_string={"action": "challenge.open", "page": page})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="/admin/audit?action=challenge.open">' in html  # the first page, filter kept
    assert '<option selected value="challenge.open">' in html


def test_past_the_last_page_is_a_400_naming_the_last(client, login, world) -> None:
    _as_admin(client, login)
    response = client.get("/admin/audit?page=3")
    assert response.status_code == 400
    assert "There is no page 3: this list has only 1 page." in response.get_data(as_text=True)


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.both_databases
def test_queries_per_page_do_not_grow_with_the_page(app, client, login, make_user, make_org) -> None:
    admin = make_user("root@example.org", display_name="Ada Admin", admin=True)
    owner = make_user("owner@example.org", display_name="Olga Owner")
    org = make_org("Fjordvik Kommune", owners=[owner])
    challenge = _challenge(app, org["id"], owner)

    def add_events(n: int) -> None:
        for i in range(n):
            user = make_user(f"u{uuid.uuid4().hex[:8]}@example.org")
            concept = _concept(app, challenge["id"], user, f"Concept {i}")
            _log(app, user, "concept.submitted", "concept", concept, {"challenge_id": challenge["id"]})
            _log(app, admin, "user.suspended", "user", user, {"user_id": user})
            _log(app, owner, "organisation.updated", "organisation", org["id"], {"organisation_id": org["id"]})

    _as_admin(client, login)

    def statements() -> int:
        client.get("/admin/audit")  # warm: the session's user is loaded the same way each time
        with count_statements(app) as seen:
            assert client.get("/admin/audit").status_code == 200
        return len(seen)

    add_events(2)
    few = statements()
    add_events(14)  # a full page of 50 rows, with 16 different users, concepts and actors
    many = statements()
    assert few == many, f"{few} statements for 6 events, {many} for 48"
    assert many <= 16


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        self.handlers += [name for name, value in attrs if name.startswith("on")]
        self.handlers += [name for name, value in attrs if value and value.strip().lower().startswith("javascript:")]


def test_logged_values_are_escaped(app, client, login, make_user, make_org) -> None:
    """(S28) Names, details keys and values, long values and unknown codes from the log are text."""
    admin = make_user("root@example.org", display_name="Ada Admin", admin=True)
    evil = make_user("evil@example.org", display_name=XSS)
    org = make_org(f"Org {XSS}", owners=[evil])
    _log(app, evil, "organisation.applied", "organisation", org["id"], {"name": XSS, XSS: [XSS, {"k": XSS}],
                                                                        "long": XSS * 20})
    _log(app, admin, f"x.{XSS}", XSS[:40], 3, {"reason": "javascript:alert(1)"})
    _as_admin(client, login)
    baseline = _Scripts()
    baseline.feed(client.get("/admin/users").get_data(as_text=True))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;script&gt;" in html
    parser = _Scripts()
    parser.feed(html)
    assert parser.scripts == baseline.scripts  # only the site's own scripts
    assert parser.handlers == []
