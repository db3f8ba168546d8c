"""Answering a team invitation from My concepts, without the emailed link (S17: only the invitee)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.concepts.models import ConceptMember, TeamInvitation
from app.core.timeutil import utcnow
from app.db import db


def _invite(app: Any, concept_id: int, email: str) -> int:
    with app.app_context():
        now = utcnow()
        invitation = TeamInvitation(concept_id=concept_id, email=email, token_hash=email.ljust(64, "0")[:64],
                                    created_at=now, expires_at=now + timedelta(days=7))
        db.session.add(invitation)
        db.session.commit()
        return invitation.id


def _members(app: Any, concept_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(ConceptMember.user_id).where(ConceptMember.concept_id == concept_id)))


def test_invitee_joins_from_my_concepts(app, client, make_concept, make_user, login, post_form):
    made = make_concept("draft", members=1)
    uid = make_user("invitee-mine@example.org", participant_kind="student")
    inv = _invite(app, made["id"], "invitee-mine@example.org")
    login("invitee-mine@example.org")
    page = client.get("/my/concepts").get_data(as_text=True)
    assert f"/my/invitations/{inv}/accept" in page
    response = post_form(f"/my/invitations/{inv}/accept", {}, page="/my/concepts")
    assert response.status_code == 302
    assert uid in _members(app, made["id"])


def test_someone_else_cannot_answer_the_invitation(app, client, make_concept, make_user, login, post_form):  # S17
    made = make_concept("draft", members=1)
    inv = _invite(app, made["id"], "right-person@example.org")
    make_user("wrong-person@example.org", participant_kind="student")
    login("wrong-person@example.org")
    for answer in ("accept", "decline"):
        assert post_form(f"/my/invitations/{inv}/{answer}", {}, page="/my/concepts").status_code == 404
    assert _members(app, made["id"]) == {made["owner_id"]}
    with app.app_context():
        assert db.session.get(TeamInvitation, inv).declined_at is None


def test_decline_from_my_concepts(app, client, make_concept, make_user, login, post_form):
    made = make_concept("draft", members=1)
    make_user("decliner@example.org", participant_kind="student")
    inv = _invite(app, made["id"], "decliner@example.org")
    login("decliner@example.org")
    assert post_form(f"/my/invitations/{inv}/decline", {}, page="/my/concepts").status_code == 302
    with app.app_context():
        assert db.session.get(TeamInvitation, inv).declined_at is not None
    assert "/my/invitations/" not in client.get("/my/concepts").get_data(as_text=True)
