"""Demo concepts (issue 5 item 7): 40+ concepts in four languages over the demo challenges, made
as the site would have made them (eligible teams within limits, one concept per person and
challenge, submitted before the deadline, fingerprints that verify, files that exist)."""
from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import (
    Concept,
    ConceptAttachment,
    ConceptExtension,
    ConceptMember,
    ConceptState,
    ConceptVersion,
    ConceptVersionFile,
    TeamInvitation,
)
from app.concepts.permissions import public_level
from app.concepts.services.common import eligibility_problem, max_team_size
from app.core.files import document_path
from app.core.timeutil import utcnow
from app.db import db
from app.demo import DEMO_PASSWORD
from app.demo.concepts import version_fingerprint
from app.mail.models import OutboxMessage

S = ChallengeState
TAKES_CONCEPTS = {S.OPEN, S.CLOSED, S.JUDGING, S.RESULTS, S.ARCHIVED}


def _load(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) or 0
                for m in (User, Concept, ConceptMember, ConceptVersion, ConceptVersionFile, ConceptAttachment,
                          TeamInvitation, ConceptExtension)}


def test_the_demo_has_forty_real_concepts_that_keep_the_rules(app: Flask) -> None:
    _load(app, "--if-empty")
    now = utcnow()
    with app.test_request_context():
        concepts = db.session.scalars(select(Concept)).all()
        assert len(concepts) >= 40
        assert {c.language for c in concepts} == {"da", "nb", "sv", "en"}
        states = Counter(c.state for c in concepts)
        assert states[ConceptState.DRAFT] >= 5
        assert states[ConceptState.SUBMITTED] >= 20
        assert states[ConceptState.WITHDRAWN] >= 3
        reopened = [c for c in concepts if c.state == ConceptState.DRAFT and c.submitted_version_no]
        assert reopened  # editing again while version 1 counts
        assert any(len(c.versions) == 2 and c.submitted_version_no == 2 for c in concepts)  # resubmitted
        assert {len(c.members) for c in concepts} >= {1, 2, 3, 4}
        per_challenge = Counter(c.challenge.slug for c in concepts)
        assert len(per_challenge) >= 6

        seen: set[tuple[int, int]] = set()
        for c in concepts:
            challenge = c.challenge
            assert effective_state(challenge, now) in TAKES_CONCEPTS, c.title
            assert c.title, c.id
            assert c.summary, c.title
            assert c.body_md.count("\n\n") >= 1, c.title
            assert 1 <= len(c.members) <= max_team_size(challenge), c.title
            assert c.owner_id == c.members[0].user_id
            for m in c.members:
                assert m.challenge_id == c.challenge_id
                assert m.user.is_demo
                assert m.user.is_verified
                assert eligibility_problem(m.user, challenge) is None, (c.title, m.user.email)
                if c.state != ConceptState.WITHDRAWN:  # one live concept per person per challenge
                    assert (m.user_id, c.challenge_id) not in seen, (c.title, m.user.email)
                    seen.add((m.user_id, c.challenge_id))
            assert challenge.opens_at <= c.created_at <= now
            for v in c.versions:
                assert challenge.opens_at < v.submitted_at < challenge.deadline_at, c.title  # in time
                assert v.submitted_at <= now
                assert v.licence in challenge.accepted_licences
                assert set(v.member_ids) == {m.user_id for m in c.members}
                assert v.fingerprint == version_fingerprint(v, c.id), c.title  # it verifies
                assert len(v.fingerprint) == 64
                for f in v.files:
                    data = document_path(app.config["UPLOAD_DIR"], f.content_hash).read_bytes()
                    assert hashlib.sha256(data).hexdigest() == f.content_hash
                    assert len(data) == f.size
                    assert data.startswith(b"%PDF-")
                    assert data.rstrip().endswith(b"%%EOF")
            if c.state == ConceptState.SUBMITTED:
                assert c.submitted_version_no == c.versions[-1].number
                assert c.current_version() is not None
            if c.state == ConceptState.WITHDRAWN:
                assert c.withdrawn_at
                assert c.withdrawn_at < challenge.deadline_at
            for a in c.attachments:
                assert document_path(app.config["UPLOAD_DIR"], a.content_hash).is_file()

        # The special cases the pages need.
        [ineligible] = [c for c in concepts if c.ineligible_reason]
        assert ineligible.is_entered
        assert ineligible.ineligible_by_id
        [extended] = [c for c in concepts if c.extension_until]
        assert extended.extensions[0].reason
        assert extended.is_writable(now, 0)  # still writing after the challenge's deadline
        assert effective_state(extended.challenge, now) is S.CLOSED
        pending = [i for c in concepts for i in c.invitations if i.is_usable(now)]
        assert len(pending) == 1
        assert not any(c.has_member(db.session.scalar(select(User).where(User.email == pending[0].email)))
                       for c in concepts if c.challenge_id == pending[0].concept.challenge_id)
        assert sum(1 for c in concepts if c.versions and c.versions[-1].files) >= 3
        published = [c for c in concepts if public_level(c)]
        assert {public_level(c) for c in published} == {"full", "summary"}
        assert any(m.show_name_publicly for c in published for m in c.members)

        # The journey starts on the open challenge: a new student may start a concept there.
        open_challenge = db.session.scalar(select(Challenge).where(Challenge.slug == "mindre-pap-i-papircontaineren"))
        assert effective_state(open_challenge, now) is S.OPEN
        assert per_challenge["mindre-pap-i-papircontaineren"] >= 4
        # Nothing was emailed while loading.
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.both_databases
def test_loading_twice_adds_no_concepts(app: Flask) -> None:
    _load(app, "--if-empty")
    before = _counts(app)
    assert "nothing added" in _load(app)
    assert _counts(app) == before


def test_demo_students_log_in_and_see_their_concepts(app: Flask, client, login) -> None:
    _load(app, "--if-empty")
    login("sofie@demo.example.org", password=DEMO_PASSWORD)
    with app.app_context():
        concept = db.session.scalar(select(Concept).where(Concept.title == "Sorteringsguiden sidder på låget"))
        concept_id, challenge_slug = concept.id, concept.challenge.slug
    assert challenge_slug == "mindre-pap-i-papircontaineren"
    if "concepts.overview" in app.view_functions:
        page = client.get(f"/concepts/{concept_id}")
        assert page.status_code == 200
        assert "Sorteringsguiden sidder på låget" in page.get_data(as_text=True)
