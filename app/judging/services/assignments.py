"""Who scores what in a round: everyone (the default) or k jurors per concept, assigned by
`judging.assignment.assign` and adjusted by the chair by hand (issue 10, item 3).

Conflicts in force are never assigned; pairs the chair added by hand are kept as fixed pairs
when the automatic assignment runs again. The page reads the state back through
`assignment.check_assignment`, which gives every juror's load and what is short.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from app.challenges.models import Challenge
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import assignment, queries
from app.judging.models import (
    CONFLICT_IN_FORCE,
    Assignment,
    AssignmentSource,
    Conflict,
    JudgingRound,
    RoundJuror,
    RoundState,
)
from app.judging.services.rounds import require_scoring


def round_seat_ids(judging_round: JudgingRound) -> list[int]:
    """The active jurors of the round, by seat id."""
    active = {s.id for s in queries.seats(judging_round.challenge_id)}
    return sorted(s for s in db.session.scalars(select(RoundJuror.seat_id).where(RoundJuror.round_id == judging_round.id))
                  if s in active)


def conflicts_in_force(challenge_id: int) -> set[tuple[int, int]]:
    return {(s, c) for s, c in db.session.execute(select(Conflict.seat_id, Conflict.concept_id).where(
        Conflict.challenge_id == challenge_id, Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE])))}


def current_pairs(judging_round: JudgingRound) -> dict[tuple[int, int], str]:
    """{(seat id, concept id): source} of the round's stored assignment."""
    return {(s, c): str(src) for s, c, src in db.session.execute(
        select(Assignment.seat_id, Assignment.concept_id, Assignment.source)
        .where(Assignment.round_id == judging_round.id))}


def check(judging_round: JudgingRound) -> assignment.AssignmentCheck:
    """Loads, counts and the report of the round as it stands (every pair when everyone scores)."""
    seats = round_seat_ids(judging_round)
    concepts = queries.round_concept_ids(judging_round.id)
    conflicts = conflicts_in_force(judging_round.challenge_id)
    if judging_round.jurors_per_concept is None:
        pairs = [(s, c) for s in seats for c in concepts if (s, c) not in conflicts]
    else:
        pairs = [p for p in current_pairs(judging_round) if p[0] in seats and p[1] in concepts]
    return assignment.check_assignment(pairs, jurors=seats, concepts=concepts, conflicts=conflicts,
                                       k=judging_round.jurors_per_concept)


def _require_open(challenge: Challenge, judging_round: JudgingRound) -> None:
    require_scoring(challenge)
    if judging_round.state != RoundState.OPEN:
        raise DomainError(_l("This round is closed: its assignment can no longer change."), kind=Problem.CONFLICT)


def assign_round(*, challenge: Challenge, judging_round: JudgingRound, k: int | None, by: Any,
                 now: datetime) -> assignment.AssignmentCheck:
    """Everyone scores everything (k None: the stored pairs go), or k jurors per concept by
    `assignment.assign`, keeping the chair's hand-made pairs. Raises DomainError."""
    _require_open(challenge, judging_round)
    seats = round_seat_ids(judging_round)
    concepts = queries.round_concept_ids(judging_round.id)
    if k is not None and not 1 <= k <= max(1, len(seats)):
        raise DomainError(_l("Enter a number of jurors per concept from 1 to %(max)d (the jurors of this round).",
                             max=max(1, len(seats))), field="k")
    conflicts = conflicts_in_force(challenge.id)
    if k is None:
        db.session.execute(delete(Assignment).where(Assignment.round_id == judging_round.id))
        judging_round.jurors_per_concept = None
    else:
        fixed = [p for p, src in current_pairs(judging_round).items()
                 if src == AssignmentSource.MANUAL and p[0] in seats and p[1] in concepts and p not in conflicts]
        try:
            result = assignment.assign(seats, concepts, k=k, conflicts=conflicts, fixed=fixed)
        except assignment.AssignmentInputError as exc:
            raise DomainError(_l("The assignment could not be made from these pairs. Remove the pairs you added "
                                 "by hand and try again."), field="k") from exc
        db.session.execute(delete(Assignment).where(Assignment.round_id == judging_round.id))
        manual = set(fixed)
        db.session.add_all([Assignment(round_id=judging_round.id, seat_id=p.juror, concept_id=p.concept,
                                       source=AssignmentSource.MANUAL if tuple(p) in manual else AssignmentSource.AUTO,
                                       created_at=now) for p in sorted(result.pairs)])
        judging_round.jurors_per_concept = k
    db.session.flush()
    record_event(actor=by, action="judging.assignment_made", object_type="judging_round", object_id=judging_round.id,
                 details={"challenge_id": challenge.id, "k": k})
    return check(judging_round)


class AssignmentIssueError(DomainError):
    """The chair's change breaks a rule of the assignment; `issue` says which."""

    def __init__(self, issue: assignment.Issue) -> None:
        super().__init__(issue.kind.value, kind=Problem.CONFLICT if issue.kind in (
            assignment.IssueKind.CONFLICT, assignment.IssueKind.DUPLICATE,
            assignment.IssueKind.NOT_ASSIGNED) else Problem.INVALID)
        self.issue = issue


def edit_pair(*, challenge: Challenge, judging_round: JudgingRound, seat_id: int, concept_id: int, add: bool,
              by: Any, now: datetime) -> assignment.AssignmentCheck:
    """Add (source manual) or remove one juror-concept pair. Raises AssignmentIssueError or DomainError."""
    _require_open(challenge, judging_round)
    if judging_round.jurors_per_concept is None:
        raise DomainError(_l("Every juror scores every entry in this round. Choose a number of jurors per concept "
                             "first."), kind=Problem.CONFLICT)
    seats = round_seat_ids(judging_round)
    concepts = queries.round_concept_ids(judging_round.id)
    pair = (seat_id, concept_id)
    result = assignment.edit_assignment(list(current_pairs(judging_round)), add=[pair] if add else [],
                                        remove=[] if add else [pair], jurors=seats, concepts=concepts,
                                        conflicts=conflicts_in_force(challenge.id), k=judging_round.jurors_per_concept)
    if result.issues:
        raise AssignmentIssueError(result.issues[0])
    if add:
        db.session.add(Assignment(round_id=judging_round.id, seat_id=seat_id, concept_id=concept_id,
                                  source=AssignmentSource.MANUAL, created_at=now))
    else:
        db.session.execute(delete(Assignment).where(Assignment.round_id == judging_round.id,
                                                    Assignment.seat_id == seat_id, Assignment.concept_id == concept_id))
    db.session.flush()
    record_event(actor=by, action="judging.assignment_edited", object_type="judging_round", object_id=judging_round.id,
                 details={"challenge_id": challenge.id, "seat_id": seat_id, "concept_id": concept_id,
                          "change": "add" if add else "remove"})
    return result
