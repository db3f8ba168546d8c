"""Fixtures for concept tests: concepts in any state, with a team, built straight into the database.

`make_concept` writes rows the way the services would leave them (a submitted concept has a
frozen version 1 with a real SHA-256 over its content), so access-rule tests do not depend on
the submit flow they are not about. Journey tests use the real forms instead.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.concepts.models import (
    Concept,
    ConceptMember,
    ConceptState,
    ConceptVersion,
    MemberRole,
)
from app.core.timeutil import utcnow
from app.db import db


@pytest.fixture
def make_concept(app: Flask, make_user: Callable[..., int],
                 make_challenge: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """make_concept(state="draft", challenge=None, members=1, **fields) -> dict.

    Returns {"id", "challenge": {...make_challenge...}, "owner": email, "members": [emails],
    "owner_id", "member_ids"}. `challenge` is a make_challenge() dict (default: a new open
    challenge); `members` is the team size including the owner, or a list of emails (first =
    owner). `state` is "draft", "submitted" (version 1 frozen) or "withdrawn" (after version 1).
    """
    def _make(state: str = "draft", challenge: dict[str, Any] | None = None, members: int | list[str] = 1,
              **fields: Any) -> dict[str, Any]:
        challenge = challenge or make_challenge("open")
        tag = uuid.uuid4().hex[:6]
        emails = members if isinstance(members, list) else [
            f"{'lead' if i == 0 else 'mate' + str(i)}-{tag}@example.org" for i in range(members)]
        ids = [make_user(e, display_name=f"Person {e.split('@')[0]}", participant_kind="student") for e in emails]
        now = utcnow()
        with app.app_context():
            values: dict[str, Any] = {
                "challenge_id": challenge["id"], "owner_id": ids[0], "team_name": f"Team {tag}",
                "title": f"Sorting made simple {tag}",
                "summary": "Stickers on every bin show what goes where, in pictures.",
                "body_md": "## The idea\n\nPictures beat words at the bin.", "language": "en",
                "licence": "cc-by-4.0", "state": ConceptState.DRAFT, "lock_version": 1,
                "created_at": now, "updated_at": now,
            }
            values.update(fields)
            concept = Concept(**values)
            db.session.add(concept)
            db.session.flush()
            for i, uid in enumerate(ids):
                db.session.add(ConceptMember(concept_id=concept.id, challenge_id=challenge["id"], user_id=uid,
                                             role=MemberRole.OWNER if i == 0 else MemberRole.MEMBER, joined_at=now))
            if state in ("submitted", "withdrawn"):
                content = f"{concept.title}\n{concept.summary}\n{concept.body_md}".encode()
                db.session.add(ConceptVersion(
                    concept_id=concept.id, number=1, source_lock_version=concept.lock_version, submitted_at=now,
                    submitted_by_id=ids[0], team_name=concept.team_name, title=concept.title,
                    summary=concept.summary, body_md=concept.body_md, language=concept.language,
                    licence=concept.licence or "cc-by-4.0", tag_names=[], member_ids=ids,
                    fingerprint=hashlib.sha256(content).hexdigest(), total_bytes=len(content)))
                concept.submitted_version_no = 1
                concept.submitted_at = now
                concept.state = ConceptState.SUBMITTED if state == "submitted" else ConceptState.WITHDRAWN
                if state == "withdrawn":
                    concept.withdrawn_at = now
            db.session.commit()
            return {"id": concept.id, "challenge": challenge, "owner": emails[0], "members": emails,
                    "owner_id": ids[0], "member_ids": ids}
    return _make
