"""Fixtures for challenge tests: an approved organisation with staff, and challenges in any state."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.challenges.models import Challenge, ChallengeState, Criterion
from app.core.timeutil import utcnow
from app.db import db
from app.organisations.models import Membership, Organisation, OrganisationStatus, Role


@pytest.fixture
def make_org(app: Flask, make_user: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    """make_org(name=..., status="approved") -> {"id", "slug", "owner", "editor"} (emails of staff)."""
    def _make(name: str | None = None, *, status: str = "approved", country: str = "DK",
              kind: str = "municipality") -> dict[str, Any]:
        tag = uuid.uuid4().hex[:6]
        name = name or f"Testby Kommune {tag}"
        owner, editor = f"owner-{tag}@example.org", f"editor-{tag}@example.org"
        owner_id, editor_id = make_user(owner), make_user(editor)
        with app.app_context():
            org = Organisation(slug=f"testby-{tag}", name=name, kind=kind, country=country,
                               status=OrganisationStatus(status), contact_email=f"privacy-{tag}@example.org",
                               timezone="Europe/Copenhagen")
            db.session.add(org)
            db.session.flush()
            db.session.add_all([Membership(organisation_id=org.id, user_id=owner_id, role=Role.OWNER),
                                Membership(organisation_id=org.id, user_id=editor_id, role=Role.EDITOR)])
            db.session.commit()
            return {"id": org.id, "slug": org.slug, "owner": owner, "editor": editor,
                    "owner_id": owner_id, "editor_id": editor_id}
    return _make


@pytest.fixture
def make_challenge(app: Flask, make_org: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """make_challenge(state="open", org=None, **fields) -> {"id", "slug", "org": {...}}.

    The timeline is placed around the clock so that the stored state is the effective one:
    draft/scheduled open in 7 days; open closes in 14 days; closed/judging/results/archived
    closed 10 days ago. Two criteria (60/40, scale 1-5) make a complete rubric.
    """
    def _make(state: str = "open", org: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        org = org or make_org()
        now = utcnow()
        st = ChallengeState(state)
        if st in (ChallengeState.DRAFT, ChallengeState.SCHEDULED):
            opens = now + timedelta(days=7)
        elif st is ChallengeState.OPEN:
            opens = now - timedelta(days=7)
        else:
            opens = now - timedelta(days=40)
        deadline = opens + timedelta(days=21) if st is not ChallengeState.OPEN else now + timedelta(days=14)
        if st in (ChallengeState.CLOSED, ChallengeState.JUDGING, ChallengeState.RESULTS, ChallengeState.ARCHIVED):
            deadline = now - timedelta(days=10)
        tag = uuid.uuid4().hex[:6]
        values: dict[str, Any] = {
            "organisation_id": org["id"], "slug": f"challenge-{tag}", "title": f"Less cardboard in paper bins {tag}",
            "summary": "Help residents sort cardboard correctly.", "problem_md": "Cardboard ends up in paper bins.",
            "background_md": "", "language": "en", "prize_minor": 5_000_000, "currency": "DKK", "prize_count": 1,
            "prize_split": [100], "eligibility": ["anyone"], "opens_at": opens, "deadline_at": deadline,
            "judging_ends_at": deadline + timedelta(days=14), "results_at": deadline + timedelta(days=21),
            "state": st, "timezone": "Europe/Copenhagen",
            "published_at": None if st is ChallengeState.DRAFT else opens - timedelta(days=1),
            "created_by_id": org["owner_id"],
        }
        values.update(fields)
        with app.app_context():
            challenge = Challenge(**values)
            challenge.criteria = [
                Criterion(position=0, name="Impact", description="How much it helps", weight=60,
                          scale_min=1, scale_max=5),
                Criterion(position=1, name="Feasibility", description="Can it be done", weight=40,
                          scale_min=1, scale_max=5),
            ]
            db.session.add(challenge)
            db.session.commit()
            return {"id": challenge.id, "slug": challenge.slug, "org": org}
    return _make
