"""The concept fixtures build what the services would: a team, and a frozen version when submitted."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.concepts.models import Concept, ConceptState
from app.concepts.permissions import can_view_entry, is_team_member, public_level
from app.core.timeutil import clock, utcnow
from app.db import db

# On SQLite and PostgreSQL: the fixtures every PostgreSQL test builds on.
pytestmark = pytest.mark.both_databases


def test_make_concept_submitted_with_team(app, make_concept, make_challenge):
    made = make_concept("submitted", members=3)
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        assert concept.state == ConceptState.SUBMITTED
        assert concept.is_entered
        assert concept.current_version().number == 1
        assert len(concept.members) == 3
        assert concept.owner_id == made["owner_id"]
        assert concept.is_writable(utcnow(), 0)


def test_deadline_boundaries_with_grace(app, make_concept):  # R03
    made = make_concept("submitted")
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        deadline = concept.challenge.deadline_at
        assert concept.is_writable(deadline - timedelta(seconds=1), 0)
        assert not concept.is_writable(deadline, 0)
        assert concept.is_writable(deadline + timedelta(seconds=59), 60)
        assert not concept.is_writable(deadline + timedelta(seconds=60), 60)
        assert not concept.deadline_passed(deadline - timedelta(seconds=1), 0)
        assert concept.deadline_passed(deadline, 0)


def test_organisers_see_entries_only_after_the_deadline(app, make_concept, make_user):  # S17
    made = make_concept("submitted")
    org = made["challenge"]["org"]
    with app.app_context():
        from app.accounts.models import User
        concept = db.session.get(Concept, made["id"])
        owner = db.session.scalar(db.select(User).where(User.email == org["owner"]))
        lead = db.session.get(User, made["owner_id"])
        assert is_team_member(lead, concept)
        assert not is_team_member(owner, concept)
        assert not can_view_entry(owner, concept, utcnow(), 0)
        assert can_view_entry(owner, concept, concept.challenge.deadline_at, 0)
        assert public_level(concept) is None
    clock.reset()
