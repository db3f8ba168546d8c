"""The team size limit holds when requests arrive at once (S22).

Each simulated person has their own browser session (a Flask test client logged in through the
real form) and their own database connection; a barrier releases all requests together. On
PostgreSQL the concept row lock (rules.lock_concept) serialises the check and the insert; on
SQLite writers queue behind BEGIN IMMEDIATE.
"""
from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.concepts.models import Concept, ConceptMember, TeamInvitation
from app.core.timeutil import utcnow
from app.db import db
from app.organisations.services import token_hash

# On SQLite and PostgreSQL: row locks and counts under concurrency.
pytestmark = pytest.mark.both_databases

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PEOPLE = 10


def _client(app, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client, CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)


def _race(requests: list[Any]) -> list[int]:
    """Run the callables at once; returns their status codes (errors are re-raised)."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(request: Any) -> None:
        try:
            barrier.wait(timeout=30)
            status = request()
            with lock:
                statuses.append(status)
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return statuses


def test_ten_accepts_for_one_free_place_let_exactly_one_in(app, make_concept, make_challenge, make_user) -> None:
    challenge = make_challenge("open", allow_teams=True, max_team_size=2)
    made = make_concept("draft", challenge=challenge, members=1)
    emails = [f"racer{i}-{uuid.uuid4().hex[:6]}@example.org" for i in range(PEOPLE)]
    tokens = []
    for address in emails:
        make_user(address, participant_kind="student")
        token = uuid.uuid4().hex * 2
        tokens.append(token)
        with app.app_context():
            # Written straight in: more invitations than places (the limit may have been lowered).
            db.session.add(TeamInvitation(concept_id=made["id"], email=address, token_hash=token_hash(token),
                                          invited_by_id=made["owner_id"], created_at=utcnow(),
                                          expires_at=utcnow() + timedelta(days=7)))
            db.session.commit()
    sessions = [_client(app, address) for address in emails]

    def accept(client: FlaskClient, csrf: str, token: str) -> Any:
        return lambda: client.post(f"/team-invitations/{token}/accept", data={"csrf_token": csrf}).status_code

    statuses = _race([accept(c, csrf, t) for (c, csrf), t in zip(sessions, tokens, strict=True)])
    assert Counter(statuses) == {302: 1, 409: PEOPLE - 1}, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConceptMember).where(
            ConceptMember.concept_id == made["id"])) == 2
        assert db.session.scalar(select(func.count()).select_from(TeamInvitation).where(
            TeamInvitation.concept_id == made["id"], TeamInvitation.accepted_at.is_not(None))) == 1
        db.session.remove()


def test_parallel_invites_never_overfill_the_team(app, make_concept, make_challenge) -> None:
    challenge = make_challenge("open", allow_teams=True, max_team_size=3)
    made = make_concept("draft", challenge=challenge, members=2)  # one free place
    sessions = [_client(app, made["owner"]) for _ in range(6)]

    def invite(client: FlaskClient, csrf: str, i: int) -> Any:
        return lambda: client.post(f"/concepts/{made['id']}/team/invite",
                                   data={"csrf_token": csrf, "email": f"new{i}@example.org"}).status_code

    statuses = _race([invite(c, csrf, i) for i, (c, csrf) in enumerate(sessions)])
    assert Counter(statuses) == {302: 1, 409: 5}, statuses
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        assert len([i for i in concept.invitations if i.is_usable(utcnow())]) == 1
        db.session.remove()


def test_one_person_accepting_two_teams_at_once_joins_one(app, make_concept, make_challenge, make_user) -> None:
    challenge = make_challenge("open", allow_teams=True, max_team_size=3)
    first, second = (make_concept("draft", challenge=challenge) for _ in range(2))
    address = f"double-{uuid.uuid4().hex[:6]}@example.org"
    user_id = make_user(address, participant_kind="student")
    tokens = []
    for made in (first, second):
        token = uuid.uuid4().hex * 2
        tokens.append(token)
        with app.app_context():
            db.session.add(TeamInvitation(concept_id=made["id"], email=address, token_hash=token_hash(token),
                                          invited_by_id=made["owner_id"], created_at=utcnow(),
                                          expires_at=utcnow() + timedelta(days=7)))
            db.session.commit()
    sessions = [_client(app, address) for _ in tokens]

    def accept(client: FlaskClient, csrf: str, token: str) -> Any:
        return lambda: client.post(f"/team-invitations/{token}/accept", data={"csrf_token": csrf}).status_code

    statuses = _race([accept(c, csrf, t) for (c, csrf), t in zip(sessions, tokens, strict=True)])
    assert Counter(statuses) == {302: 1, 409: 1}, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConceptMember).where(
            ConceptMember.user_id == user_id)) == 1
        db.session.remove()
