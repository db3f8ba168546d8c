"""Rules kept in Python and in SQL side by side (issue 9) agree: "pending invitation"
(TeamInvitation.is_usable / usable_clause) and "entered" / "ineligible" (Concept.is_entered and
Concept.is_ineligible, hybrid properties), on every combination of the columns they read."""
from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.concepts.models import Concept, ConceptState, TeamInvitation
from app.core.timeutil import utcnow
from app.db import db

# On SQLite and PostgreSQL: the point is that the SQL half agrees with Python on each backend.
pytestmark = pytest.mark.both_databases


def test_python_and_sql_agree_on_pending(app: Flask, make_concept) -> None:
    made = make_concept("draft")
    now = utcnow()
    expected: dict[int, bool] = {}
    with app.app_context():
        for accepted, declined, revoked, expiry in itertools.product(
                (False, True), (False, True), (False, True), (-60, 0, 60)):
            invitation = TeamInvitation(
                concept_id=made["id"], email=f"{uuid.uuid4().hex[:8]}@example.org",
                token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), expires_at=now + timedelta(seconds=expiry),
                accepted_at=now if accepted else None, declined_at=now if declined else None,
                revoked_at=now if revoked else None)
            db.session.add(invitation)
            db.session.flush()
            expected[invitation.id] = invitation.is_usable(now)
        db.session.commit()
        in_sql = set(db.session.scalars(select(TeamInvitation.id).where(
            TeamInvitation.concept_id == made["id"], TeamInvitation.usable_clause(now))))
    assert in_sql == {i for i, usable in expected.items() if usable}
    assert len(in_sql) == 1  # only the unanswered, unwithdrawn invitation that expires later


def test_python_and_sql_agree_on_entered_and_ineligible(app: Flask, make_concept, make_challenge) -> None:
    challenge = make_challenge("open")
    made = [make_concept("draft", challenge=challenge)["id"] for _ in range(12)]
    combos = list(itertools.product((ConceptState.DRAFT, ConceptState.SUBMITTED, ConceptState.WITHDRAWN),
                                    (None, 1), (False, True)))
    with app.app_context():
        python: dict[str, set[int]] = {"entered": set(), "ineligible": set()}
        for concept_id, (state, version_no, ineligible) in zip(made, combos, strict=True):
            concept = db.session.get(Concept, concept_id)
            concept.state, concept.submitted_version_no = state, version_no
            concept.ineligible_at = utcnow() if ineligible else None
            if concept.is_entered:
                python["entered"].add(concept_id)
            if concept.is_ineligible:
                python["ineligible"].add(concept_id)
        db.session.commit()
        of_these = Concept.id.in_(made)
        entered = set(db.session.scalars(select(Concept.id).where(of_these, Concept.is_entered)))
        ineligible = set(db.session.scalars(select(Concept.id).where(of_these, Concept.is_ineligible)))
        eligible_entered = set(db.session.scalars(select(Concept.id).where(of_these, Concept.is_entered,
                                                                           ~Concept.is_ineligible)))
    assert entered == python["entered"]
    assert len(entered) == 4
    assert ineligible == python["ineligible"]
    assert len(ineligible) == 6
    assert eligible_entered == python["entered"] - python["ineligible"]
