"""Fixtures for judging tests: a challenge in judging with entries, a jury and a first round,
built straight into the database the way the services leave it, so that access-rule tests do not
depend on the flows they are not about. Journey tests use the real forms instead."""
from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import EntryLabel, JudgingRound, JurySeat, RoundEntry, RoundJuror


@pytest.fixture
def make_judging(app: Flask, make_user: Callable[..., int], make_challenge: Callable[..., dict[str, Any]],
                 make_concept: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """make_judging(concepts=3, jurors=2, blind=False, state="judging", members=2, **challenge_fields) -> dict.

    A challenge in `state` with `concepts` submitted entries (teams of `members`), a chair and
    `jurors` further jurors (all active seats), labels drawn in a shuffled order and a first,
    open rubric round with every juror and entry (every juror scores everything). Returns
    {"challenge": make_challenge dict, "slug", "concepts": [make_concept dicts], "chair": email,
    "jurors": [emails], "seat_ids": {email: seat id}, "round_id", "labels": {concept id: label},
    "staff": owner email}.
    """
    def _make(concepts: int = 3, jurors: int = 2, blind: bool = False, state: str = "judging",
              members: int = 2, **fields: Any) -> dict[str, Any]:
        challenge = make_challenge(state, is_blind=blind, **fields)
        made = [make_concept("submitted", challenge=challenge, members=members) for _ in range(concepts)]
        tag = uuid.uuid4().hex[:6]
        emails = [f"chair-{tag}@example.org"] + [f"juror{i}-{tag}@example.org" for i in range(1, jurors + 1)]
        user_ids = [make_user(e, display_name=("Chair " if i == 0 else f"Juror {i} ") + tag)
                    for i, e in enumerate(emails)]
        with app.app_context():
            now = utcnow()
            seats = [JurySeat(challenge_id=challenge["id"], user_id=uid, is_chair=(i == 0), joined_at=now)
                     for i, uid in enumerate(user_ids)]
            db.session.add_all(seats)
            numbers = list(range(1, concepts + 1))
            random.Random(challenge["id"]).shuffle(numbers)
            db.session.add_all([EntryLabel(challenge_id=challenge["id"], concept_id=c["id"], number=n, mentions=[])
                                for c, n in zip(made, numbers, strict=True)])
            rnd = JudgingRound(challenge_id=challenge["id"], position=1, name="Round 1", criterion_ids=[],
                               deadline_at=now.replace(microsecond=0) + timedelta(days=7))
            db.session.add(rnd)
            db.session.flush()
            db.session.add_all([RoundJuror(round_id=rnd.id, seat_id=s.id) for s in seats])
            db.session.add_all([RoundEntry(round_id=rnd.id, concept_id=c["id"]) for c in made])
            db.session.commit()
            return {"challenge": challenge, "slug": challenge["slug"], "concepts": made, "chair": emails[0],
                    "jurors": emails[1:], "seat_ids": {e: s.id for e, s in zip(emails, seats, strict=True)},
                    "round_id": rnd.id, "labels": {c["id"]: f"C-{n:03d}" for c, n in zip(made, numbers, strict=True)},
                    "staff": challenge["org"]["owner"], "editor": challenge["org"]["editor"]}
    return _make


# -- results (D2): decisions, sheets and publication straight into the database ---------------

@pytest.fixture
def decide(app: Flask) -> Callable[..., int]:
    """decide(challenge_id, [(concept_id, "prize"|"mention", position, prize_minor, citation)],
    final=True, no_winner_reason=None, report_md="") -> decision id. The chair's decision page
    writes these rows; tests of what follows it write them directly."""
    from app.judging.models import Decision, DecisionState, Placement

    def _decide(challenge_id: int, placements: list[tuple[int, str, int, int, str]] | None = None, *,
                final: bool = True, no_winner_reason: str | None = None, report_md: str = "") -> int:
        with app.app_context():
            row = Decision(challenge_id=challenge_id, state=DecisionState.FINAL if final else DecisionState.DRAFT,
                           no_winner_reason=no_winner_reason, report_md=report_md,
                           finalised_at=utcnow() if final else None)
            row.placements = [Placement(concept_id=cid, kind=kind, position=pos, prize_minor=amount, citation=text)
                              for cid, kind, pos, amount, text in placements or []]
            db.session.add(row)
            db.session.commit()
            return row.id
    return _decide


@pytest.fixture
def score_sheet(app: Flask) -> Callable[..., int]:
    """score_sheet(round_id, seat_id, concept_id, {criterion position: value}, comment="", note="",
    submitted=True) -> sheet id."""
    from sqlalchemy import select

    from app.challenges.models import Criterion
    from app.judging.models import JudgingRound, Score, ScoreSheet, SheetState

    def _sheet(round_id: int, seat_id: int, concept_id: int, values: dict[int, int], *, comment: str = "",
               note: str = "", criterion_comment: str = "", submitted: bool = True) -> int:
        with app.app_context():
            rnd = db.session.get(JudgingRound, round_id)
            criteria = {c.position: c for c in db.session.scalars(
                select(Criterion).where(Criterion.challenge_id == rnd.challenge_id))}
            now = utcnow()
            sheet = ScoreSheet(round_id=round_id, seat_id=seat_id, concept_id=concept_id, overall_comment=comment,
                               private_note=note, state=SheetState.SUBMITTED if submitted else SheetState.DRAFT,
                               submitted_at=now if submitted else None)
            sheet.scores = [Score(criterion_id=criteria[pos].id, value=value, comment=criterion_comment)
                            for pos, value in values.items()]
            db.session.add(sheet)
            db.session.commit()
            return sheet.id
    return _sheet


@pytest.fixture
def publish_now(app: Flask) -> Callable[..., None]:
    """publish_now(challenge_id, at=None): the results step through the service (the clock's way)."""
    from app.challenges.models import Challenge
    from app.judging.services.results import publish_results

    def _publish(challenge_id: int, at: Any = None) -> None:
        with app.app_context():
            publish_results(challenge=db.session.get(Challenge, challenge_id), by=None, now=at or utcnow())
            db.session.commit()
    return _publish
