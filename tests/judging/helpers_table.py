"""Shared by the table, exports and decision tests: submitted sheets straight into the database."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from app.challenges.models import Criterion
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import Score, ScoreSheet, SheetState
from app.judging.services.table import CACHE


def criteria_ids(app: Flask, challenge_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Criterion.id).where(Criterion.challenge_id == challenge_id)
                                       .order_by(Criterion.position)))


def submit_sheets(app: Flask, judging: dict, marks: Mapping[tuple[str, int], Sequence[int | None]],
                  *, state: SheetState = SheetState.SUBMITTED) -> None:
    """marks[(juror email, concept index)] = values per criterion in rubric order (None: not given)."""
    CACHE.clear()
    crit = criteria_ids(app, judging["challenge"]["id"])
    with app.app_context():
        now = utcnow()
        for n, ((email, index), values) in enumerate(marks.items()):
            sheet = ScoreSheet(round_id=judging["round_id"], seat_id=judging["seat_ids"][email],
                               concept_id=judging["concepts"][index]["id"], state=state,
                               updated_at=now + timedelta(microseconds=n),
                               submitted_at=now if state == SheetState.SUBMITTED else None)
            sheet.scores = [Score(criterion_id=k, value=v) for k, v in zip(crit, values, strict=True)]
            db.session.add(sheet)
        db.session.commit()


def everyone(judging: dict) -> list[str]:
    return [judging["chair"], *judging["jurors"]]
