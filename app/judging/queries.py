"""Reads for judging pages and other features: seats, conflicts, what a juror may see, and a
round's scores as the pure aggregation's input (a fixed number of queries whatever the size)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.challenges.models import Challenge
from app.concepts.models import Concept
from app.db import db
from app.judging import aggregate
from app.judging.models import (
    CONFLICT_IN_FORCE,
    Assignment,
    Conflict,
    Decision,
    EntryLabel,
    JudgingRound,
    JurySeat,
    RoundEntry,
    RoundJuror,
    Score,
    ScoreSheet,
    SheetState,
)


def active_seat(user_id: int | None, challenge_id: int) -> JurySeat | None:
    """The user's seat on the challenge's jury, unless they were removed."""
    if user_id is None:
        return None
    return db.session.scalar(select(JurySeat).where(
        JurySeat.user_id == user_id, JurySeat.challenge_id == challenge_id, JurySeat.removed_at.is_(None)))


def seats_of_user(user_id: int) -> list[JurySeat]:
    """Every active seat of the user, with its challenge (the juror's home)."""
    return list(db.session.scalars(
        select(JurySeat).where(JurySeat.user_id == user_id, JurySeat.removed_at.is_(None))
        .options(joinedload(JurySeat.challenge).joinedload(Challenge.organisation))
        .order_by(JurySeat.joined_at.desc(), JurySeat.id.desc())))


def seats(challenge_id: int, *, include_removed: bool = False) -> list[JurySeat]:
    stmt = (select(JurySeat).where(JurySeat.challenge_id == challenge_id)
            .options(joinedload(JurySeat.user)).order_by(JurySeat.id))
    if not include_removed:
        stmt = stmt.where(JurySeat.removed_at.is_(None))
    return list(db.session.scalars(stmt))


def rounds(challenge_id: int) -> list[JudgingRound]:
    return list(db.session.scalars(select(JudgingRound).where(JudgingRound.challenge_id == challenge_id)
                                   .order_by(JudgingRound.position)))


def current_round(challenge_id: int) -> JudgingRound | None:
    """The last round (the one being scored, or the final one once judging is over)."""
    return db.session.scalar(select(JudgingRound).where(JudgingRound.challenge_id == challenge_id)
                             .order_by(JudgingRound.position.desc()).limit(1))


def labels(challenge_id: int) -> dict[int, str]:
    """{concept id: "C-017"} for the challenge's entries."""
    rows = db.session.execute(select(EntryLabel.concept_id, EntryLabel.number)
                              .where(EntryLabel.challenge_id == challenge_id))
    return {cid: EntryLabel(number=n).label for cid, n in rows}


def decision(challenge_id: int) -> Decision | None:
    """The jury's decision for the challenge, if one was started."""
    return db.session.scalar(select(Decision).where(Decision.challenge_id == challenge_id))


def sheets_locked(challenge_id: int) -> bool:
    """Once the decision is final every sheet and ballot of the challenge is read-only (S21)."""
    found = decision(challenge_id)
    return found is not None and found.is_final


def conflicted_concept_ids(seat_id: int) -> set[int]:
    """The concepts a conflict in force keeps this juror away from (P09)."""
    return set(db.session.scalars(select(Conflict.concept_id).where(
        Conflict.seat_id == seat_id, Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))))


def round_concept_ids(round_id: int) -> list[int]:
    return list(db.session.scalars(select(RoundEntry.concept_id).where(RoundEntry.round_id == round_id)
                                   .order_by(RoundEntry.concept_id)))


def readable_concept_ids(seat: JurySeat, judging_round: JudgingRound) -> set[int]:
    """The concepts of the round this juror may open: in the round, assigned to them (every entry
    when the round assigns everyone) and not conflicted. Empty for a juror not in the round."""
    in_round = db.session.scalar(select(RoundJuror.id).where(
        RoundJuror.round_id == judging_round.id, RoundJuror.seat_id == seat.id))
    if in_round is None or not seat.is_active:
        return set()
    entries = set(round_concept_ids(judging_round.id))
    if judging_round.jurors_per_concept is not None:
        entries &= set(db.session.scalars(select(Assignment.concept_id).where(
            Assignment.round_id == judging_round.id, Assignment.seat_id == seat.id)))
    return entries - conflicted_concept_ids(seat.id)


def round_scores(judging_round: JudgingRound, *, submitted_only: bool = True,
                 seat_ids: Iterable[int] | None = None) -> aggregate.RoundScores:
    """The round's sheets as the aggregation's input: every juror of the round (removed ones too:
    their submitted scores stay in the record), every entry, the scores of submitted sheets
    (or all sheets), conflicts as recusals and the assignment when the round has one.
    Six queries whatever the number of concepts, jurors and criteria."""
    criteria = judging_round.criteria()
    seat_rows = list(db.session.scalars(select(RoundJuror.seat_id).where(RoundJuror.round_id == judging_round.id)))
    if seat_ids is not None:
        wanted = set(seat_ids)
        seat_rows = [s for s in seat_rows if s in wanted]
    concept_rows = db.session.execute(
        select(Concept.id, Concept.submitted_at).join(RoundEntry, RoundEntry.concept_id == Concept.id)
        .where(RoundEntry.round_id == judging_round.id)).all()
    criterion_ids = [c.id for c in criteria]
    score_stmt = (select(ScoreSheet.seat_id, ScoreSheet.concept_id, Score.criterion_id, Score.value)
                  .join(Score, Score.sheet_id == ScoreSheet.id)
                  .where(ScoreSheet.round_id == judging_round.id, Score.value.is_not(None),
                         Score.criterion_id.in_(criterion_ids)))
    if submitted_only:
        score_stmt = score_stmt.where(ScoreSheet.state == SheetState.SUBMITTED)
    seat_set = set(seat_rows)
    scores = [aggregate.Score(juror_id=s, concept_id=c, criterion_id=k, value=float(v))
              for s, c, k, v in db.session.execute(score_stmt) if s in seat_set]
    recusals = {(s, c) for s, c in db.session.execute(
        select(Conflict.seat_id, Conflict.concept_id).where(
            Conflict.challenge_id == judging_round.challenge_id,
            Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))) if s in seat_set}
    assignments = None
    if judging_round.jurors_per_concept is not None:
        assignments = {(s, c) for s, c in db.session.execute(
            select(Assignment.seat_id, Assignment.concept_id).where(Assignment.round_id == judging_round.id))
            if s in seat_set}
    return aggregate.RoundScores(
        criteria=tuple(aggregate.Criterion(id=c.id, weight=float(c.weight), scale_min=float(c.scale_min),
                                           scale_max=float(c.scale_max)) for c in criteria),
        jurors=tuple(aggregate.Juror(id=s) for s in sorted(seat_rows)),
        concepts=tuple(aggregate.Concept(id=cid, tie_key=submitted_at) for cid, submitted_at in concept_rows),
        scores=tuple(scores), recusals=frozenset(recusals),
        assignments=frozenset(assignments) if assignments is not None else None)

