"""My concepts (/my/concepts): the signed-in user's concepts across challenges, grouped by state,
the team invitations waiting for them, only their own (S17), in a fixed number of queries."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from app.concepts.models import Concept, ConceptMember, ConceptState, MemberRole, TeamInvitation
from app.core.timeutil import utcnow
from app.db import db


def _join(app, concept: dict[str, Any], user_id: int) -> None:
    """Put `user_id` on the team of `concept` (make_concept makes fresh users for every team)."""
    with app.app_context():
        db.session.add(ConceptMember(concept_id=concept["id"], challenge_id=concept["challenge"]["id"],
                                     user_id=user_id, role=MemberRole.MEMBER))
        db.session.commit()


def _set(app, concept_id: int, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(Concept).where(Concept.id == concept_id).values(**values))
        db.session.commit()


def _title(app, concept_id: int) -> str:
    with app.app_context():
        return db.session.get(Concept, concept_id).title


def _group(html: str, name: str) -> str:
    """The table of one group ("" when the group is not shown)."""
    match = re.search(rf'<table class="my-concepts stack-table" id="my-{name}">(.*?)</table>', html, re.S)
    return match.group(1) if match else ""


def _invite(app, concept_id: int, email: str, **fields: Any) -> None:
    with app.app_context():
        values = {"concept_id": concept_id, "email": email, "token_hash": uuid.uuid4().hex,
                  "expires_at": utcnow() + timedelta(days=7)}
        values.update(fields)
        db.session.add(TeamInvitation(**values))
        db.session.commit()


def test_anonymous_is_sent_to_log_in(client) -> None:
    # S16
    response = client.get("/my/concepts")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_empty_state_links_to_open_challenges(client, logged_in) -> None:
    logged_in("user")
    response = client.get("/my/concepts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You have no concepts yet." in html
    assert 'href="/challenges/"' in html
    assert 'href="/my/concepts"' in html  # the nav link for signed-in users


@pytest.mark.both_databases
def test_concepts_are_grouped_by_state(app, client, logged_in, make_concept, make_challenge) -> None:
    uid = logged_in("user")
    draft = make_concept("draft")
    submitted = make_concept("submitted")
    withdrawn = make_concept("withdrawn")
    reopened = make_concept("submitted")
    _set(app, reopened["id"], state=ConceptState.DRAFT, lock_version=2)
    finished = make_concept("submitted", challenge=make_challenge("results"))
    _set(app, finished["id"], ineligible_at=utcnow(), ineligible_reason="The team lead works for the organiser.")
    untitled = make_concept("draft", title="")
    for concept in (draft, submitted, withdrawn, reopened, finished, untitled):
        _join(app, concept, uid)

    html = client.get("/my/concepts").get_data(as_text=True)
    drafts, subs, gone, results = (_group(html, n) for n in ("drafts", "submitted", "withdrawn", "results"))
    assert _title(app, draft["id"]) in drafts
    assert _title(app, reopened["id"]) in drafts
    assert "version 1 still counts" in drafts
    assert "Untitled concept" in drafts
    assert _title(app, submitted["id"]) in subs
    assert _title(app, withdrawn["id"]) in gone
    assert _title(app, finished["id"]) in results
    assert "Results published" in results
    assert "The team lead works for the organiser." in results
    for name, table in (("drafts", drafts), ("submitted", subs), ("withdrawn", gone)):
        assert "Results published" not in table, name
    # Each row: reference, challenge and organisation, team size.
    assert f"C-{draft['id']}" in drafts
    assert f'/challenges/{draft["challenge"]["slug"]}"' in drafts
    assert "2 people" in drafts  # the owner make_concept made, and the viewer


def test_a_draft_that_missed_the_deadline_says_so(app, client, logged_in, make_concept, make_challenge) -> None:
    uid = logged_in("user")
    late = make_concept("draft", challenge=make_challenge("closed"))
    _join(app, late, uid)
    assert "Not submitted before the deadline." in _group(client.get("/my/concepts").get_data(as_text=True),
                                                          "drafts")


@pytest.mark.both_databases
def test_only_the_users_own_concepts_are_listed(app, client, logged_in, make_concept) -> None:
    # S17: another team's drafts, submissions and withdrawn concepts never appear, not even their titles.
    uid = logged_in("user")
    mine = make_concept("draft")
    _join(app, mine, uid)
    others = [make_concept(state) for state in ("draft", "submitted", "withdrawn")]
    html = client.get("/my/concepts").get_data(as_text=True)
    assert _title(app, mine["id"]) in html
    for other in others:
        assert _title(app, other["id"]) not in html
        assert f"C-{other['id']}<" not in html


@pytest.mark.both_databases
def test_another_user_sees_none_of_them(app, client, logged_in, make_concept) -> None:
    # S17: the owner's concepts are not on a stranger's page.
    concept = make_concept("draft")
    logged_in("user")
    html = client.get("/my/concepts").get_data(as_text=True)
    assert _title(app, concept["id"]) not in html
    assert "You have no concepts yet." in html


@pytest.mark.both_databases
def test_pending_invitations_are_listed_first(app, client, logged_in, make_concept) -> None:
    email = f"invitee-{uuid.uuid4().hex[:6]}@example.org"
    logged_in("user", email_addr=email)
    waiting = make_concept("draft")
    _invite(app, waiting["id"], email)
    used = make_concept("draft")
    _invite(app, used["id"], email, accepted_at=utcnow())
    expired = make_concept("draft")
    _invite(app, expired["id"], email, expires_at=utcnow() - timedelta(minutes=1))
    revoked = make_concept("draft")
    _invite(app, revoked["id"], email, revoked_at=utcnow())
    for_someone_else = make_concept("draft")
    _invite(app, for_someone_else["id"], "someone-else@example.org")

    html = client.get("/my/concepts").get_data(as_text=True)
    assert "1 team invitation waiting for you" in html
    assert _title(app, waiting["id"]) in html
    for concept in (used, expired, revoked, for_someone_else):
        assert _title(app, concept["id"]) not in html


@contextmanager
def _count_statements(app):
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


@pytest.mark.both_databases
def test_query_count_is_flat(app, client, logged_in, make_concept, make_challenge) -> None:
    # P-style check: one query per kind of thing, not per concept.
    email = f"many-{uuid.uuid4().hex[:6]}@example.org"
    uid = logged_in("user", email_addr=email)
    org_challenge = make_challenge("open")

    def _add(n: int) -> None:
        for i in range(n):
            concept = make_concept(("draft", "submitted", "withdrawn")[i % 3], members=2,
                                   challenge=org_challenge if i % 2 else None)
            _join(app, concept, uid)
            _invite(app, concept["id"], email)

    _add(1)
    client.get("/my/concepts")  # warm up (first-request work)
    with _count_statements(app) as one:
        assert client.get("/my/concepts").status_code == 200
    _add(9)
    with _count_statements(app) as ten:
        html = client.get("/my/concepts").get_data(as_text=True)
    assert "10 team invitations waiting for you" in html
    assert len(ten) == len(one), "\n".join(ten)
    assert len(one) <= 8, "\n".join(one)
