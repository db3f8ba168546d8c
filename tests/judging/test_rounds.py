"""Starting judging (labels, round 1, flags) and the chair's rounds page (issue 10 items 4 and 6;
S16, S17, S19, S21, P09)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import (
    Conflict,
    EntryLabel,
    JudgingRound,
    JurySeat,
    RankingBallot,
    RoundEntry,
    RoundJuror,
    Score,
    ScoreSheet,
    SheetState,
)


# ---------------------------------------------------------------- start of judging
@pytest.fixture
def closed_challenge(app: Flask, make_challenge: Callable[..., dict[str, Any]], make_concept: Callable[..., Any],
                     make_user: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    def _make(blind: bool = False, concepts: int = 3, **concept_fields: Any) -> dict[str, Any]:
        challenge = make_challenge("closed", is_blind=blind)
        made = [make_concept("submitted", challenge=challenge, members=2, **concept_fields) for _ in range(concepts)]
        draft = make_concept("draft", challenge=challenge)
        chair = make_user(display_name="Chair Person")
        juror = make_user()
        with app.app_context():
            db.session.add_all([JurySeat(challenge_id=challenge["id"], user_id=chair, is_chair=True),
                                JurySeat(challenge_id=challenge["id"], user_id=juror)])
            db.session.commit()
        return {"challenge": challenge, "concepts": made, "draft": draft}
    return _make


def _start(login: Callable[..., Any], post_form: Callable[..., Any], challenge: dict[str, Any]) -> Any:
    login(challenge["org"]["owner"])
    slug = challenge["slug"]
    return post_form(f"/challenges/{slug}/state", {"to": "judging"}, page=f"/challenges/{slug}/manage")


def test_judging_starts_through_the_manage_page(app: Flask, closed_challenge: Callable[..., dict[str, Any]],
                                                login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """Closed -> judging on the manage page draws labels 1..n for the entered concepts only, opens
    round 1 with every juror and entry, and doing it twice changes nothing (S21)."""
    made = closed_challenge()
    response = _start(login, post_form, made["challenge"])
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        cid = made["challenge"]["id"]
        labels = db.session.scalars(select(EntryLabel).where(EntryLabel.challenge_id == cid)).all()
        assert sorted(lab.number for lab in labels) == [1, 2, 3]
        assert {lab.concept_id for lab in labels} == {c["id"] for c in made["concepts"]}
        rounds = db.session.scalars(select(JudgingRound).where(JudgingRound.challenge_id == cid)).all()
        assert len(rounds) == 1
        rnd = rounds[0]
        challenge = db.session.get(Challenge, cid)
        assert rnd.name == "Round 1" and rnd.method == "rubric" and rnd.deadline_at == challenge.judging_ends_at
        assert len(rnd.jurors) == 2 and len(rnd.entries) == 3
        from app.judging.services.rounds import start_judging

        start_judging(challenge, actor=None, now=utcnow())
        db.session.commit()
        assert db.session.scalar(select(func.count(EntryLabel.id)).where(EntryLabel.challenge_id == cid)) == 3
        assert db.session.scalar(select(func.count(JudgingRound.id)).where(JudgingRound.challenge_id == cid)) == 1
        assert db.session.scalar(select(func.count(RoundEntry.id)).where(RoundEntry.round_id == rnd.id)) == 3


def test_blind_labels_keep_what_names_the_team(app: Flask, closed_challenge: Callable[..., dict[str, Any]],
                                               login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """S19: in a blind challenge the label keeps the mentions of a member found in the submitted text."""
    made = closed_challenge(blind=True, concepts=2)
    with app.app_context():
        from app.concepts.models import ConceptVersion

        first = made["concepts"][0]
        member = db.session.scalar(select(User).where(User.email == first["members"][1]))
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == first["id"]))
        version.body_md = f"Written by {member.display_name} ({member.email})."
        db.session.commit()
        name, email = member.display_name, member.email
    assert _start(login, post_form, made["challenge"]).status_code == 302
    with app.app_context():
        labels = {lab.concept_id: lab.mentions for lab in db.session.scalars(select(EntryLabel))}
        assert name in labels[first["id"]] and email in labels[first["id"]]
        assert labels[made["concepts"][1]["id"]] == []
