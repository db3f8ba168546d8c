"""Score sheets: one juror's scores for one concept in one round (A09, S21, S22).

Saving follows the concept workspace's rules: a hidden `lock_version` says which version of the
sheet the form was loaded from, and a save from a stale tab is refused (nothing is overwritten and
the view shows both versions, so nothing typed is lost). A save may be partial; a submit needs a
score for every criterion of the round; a submitted sheet may still be changed, and stays
submitted, until the round closes, its deadline passes or the decision is final.

One row per round, seat and concept whatever the number of requests (S22): the seat row is
locked first (PostgreSQL `FOR UPDATE`; SQLite writers are serialised by BEGIN IMMEDIATE) and the
unique constraint is the backstop of a get-or-create that retries; a repeat of the save that
made the current version (a double click, twenty identical submits) is no conflict.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.challenges.models import Challenge
from app.core.audit import record_event
from app.core.timeutil import as_utc
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import permissions, queries
from app.judging.models import JudgingRound, JurySeat, RoundState, Score, ScoreSheet, SheetState
from app.judging.services.conflicts import lock_seat

MAX_COMMENT_CHARS = 5000


class SheetError(DomainError):
    """A refused save; `errors` maps form field names to messages when several fields are wrong."""

    def __init__(self, message: object, *, errors: Mapping[str, object] | None = None,
                 field: str | None = None, kind: Problem | None = None) -> None:
        super().__init__(message, field=field, kind=kind)
        self.errors = dict(errors or {})


class SheetConflictError(SheetError):
    """The sheet was saved since this form was loaded (two tabs)."""

    kind = Problem.CONFLICT


@dataclass
class SheetInput:
    """Everything the sheet form may set: raw score texts ("" for none) and comments, by criterion."""

    scores: dict[int, str] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    overall_comment: str = ""
    private_note: str = ""


def read_only_reason(challenge: Challenge, judging_round: JudgingRound, now: datetime) -> Any | None:
    """Why the round's sheets and ballots cannot be changed now, or None if they can."""
    if queries.sheets_locked(challenge.id):
        return _l("The jury's decision is final, so sheets can no longer be changed.")
    if challenge.state not in permissions.SCORING_STATES:
        return _l("This challenge is not being judged at the moment, so sheets cannot be changed.")
    if judging_round.state == RoundState.CLOSED:
        return _l("This round is closed, so its sheets can no longer be changed.")
    if judging_round.deadline_at is not None and as_utc(now) >= as_utc(judging_round.deadline_at):
        return _l("The deadline of this round has passed, so its sheets can no longer be changed.")
    return None


def score_field(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def comment_field(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


def parse_scores(criteria: list[Any], data: SheetInput, *, complete: bool) -> dict[int, int | None]:
    """The posted scores as numbers, checked against each criterion's scale; with `complete`,
    every criterion must have one. Raises SheetError naming every wrong field."""
    values: dict[int, int | None] = {}
    errors: dict[str, object] = {}
    for c in criteria:
        raw = (data.scores.get(c.id) or "").strip()
        if len(data.comments.get(c.id) or "") > MAX_COMMENT_CHARS:
            errors[comment_field(c.id)] = _l("At most %(max)d characters.", max=MAX_COMMENT_CHARS)
        if not raw:
            values[c.id] = None
            if complete:
                errors[score_field(c.id)] = _l("Give a score for “%(name)s” before you submit.", name=c.name)
            continue
        # ASCII digits only: int() would also take "٣" or "1_0".
        if re.fullmatch(r"-?[0-9]{1,9}", raw) is None:
            errors[score_field(c.id)] = _l("The score for “%(name)s” must be a whole number from %(lo)d to %(hi)d.",
                                           name=c.name, lo=c.scale_min, hi=c.scale_max)
            continue
        number = int(raw)
        if not c.scale_min <= number <= c.scale_max:
            errors[score_field(c.id)] = _l("The score for “%(name)s” must be a whole number from %(lo)d to %(hi)d.",
                                           name=c.name, lo=c.scale_min, hi=c.scale_max)
            continue
        values[c.id] = number
    for name, text in (("overall_comment", data.overall_comment), ("private_note", data.private_note)):
        if len(text or "") > MAX_COMMENT_CHARS:
            errors[name] = _l("At most %(max)d characters.", max=MAX_COMMENT_CHARS)
    if errors:
        message = (_l("Some criteria have no score yet: give every criterion a score, then submit.")
                   if complete and any(v is None for v in values.values())
                   else next(iter(errors.values())))
        raise SheetError(message, errors=errors)
    return values


def _same(sheet: ScoreSheet, values: Mapping[int, int | None], data: SheetInput, submit: bool) -> bool:
    """Does the stored sheet already hold exactly what is posted (a repeat of the save that made it)?"""
    if submit and not sheet.is_submitted:
        return False
    stored = {s.criterion_id: s for s in sheet.scores}
    for cid, value in values.items():
        score = stored.get(cid)
        if (score.value if score else None) != value \
                or (score.comment if score else "") != (data.comments.get(cid) or "").strip():
            return False
    return (sheet.overall_comment or "") == (data.overall_comment or "").strip() and \
        (sheet.private_note or "") == (data.private_note or "").strip()


def _get_or_create(*, seat: JurySeat, judging_round: JudgingRound, concept_id: int, version_id: int | None,
                   now: datetime) -> tuple[ScoreSheet, bool]:
    sheet = queries.sheet_of(judging_round.id, seat.id, concept_id)
    if sheet is not None:
        return sheet, False
    try:
        with db.session.begin_nested():
            sheet = ScoreSheet(round_id=judging_round.id, seat_id=seat.id, concept_id=concept_id,
                               version_id=version_id, state=SheetState.DRAFT, lock_version=1,
                               created_at=now, updated_at=now)
            db.session.add(sheet)
    except IntegrityError:
        # Another request made it between our look and our insert (the lock makes this rare).
        found = queries.sheet_of(judging_round.id, seat.id, concept_id)
        if found is None:
            raise
        return found, False
    return sheet, True


def save_sheet(*, seat: JurySeat, judging_round: JudgingRound, concept_id: int, version_id: int | None,
               base_version: int | None, data: SheetInput, submit: bool, by: User, now: datetime) -> ScoreSheet:
    """Save (or with `submit`, submit) the juror's sheet if nobody saved it since `base_version`
    (0 for a sheet not yet made). Raises SheetError (400, 403, 409) or SheetConflictError (409)."""
    challenge = seat.challenge
    reason = read_only_reason(challenge, judging_round, now)
    if reason is not None:
        raise SheetError(reason, kind=Problem.CONFLICT)
    lock_seat(seat)
    if concept_id not in queries.readable_concept_ids(seat, judging_round):
        raise SheetError(_l("You cannot score this entry: it is not assigned to you in this round, or you "
                            "have a conflict of interest with it."), kind=Problem.FORBIDDEN)
    criteria = judging_round.criteria()
    existing = queries.sheet_of(judging_round.id, seat.id, concept_id)
    current = existing.lock_version if existing is not None else 0
    if base_version is None or base_version != current:
        try:
            values = parse_scores(criteria, data, complete=False)
        except SheetError:
            values = None
        if existing is not None and values is not None and _same(existing, values, data, submit):
            return existing
        raise SheetConflictError(_l("This sheet was saved since you opened it (perhaps by you, in another tab). "
                                    "Nothing was overwritten: compare the two versions below."))
    complete = submit or (existing is not None and existing.is_submitted)
    values = parse_scores(criteria, data, complete=complete)
    sheet, created = _get_or_create(seat=seat, judging_round=judging_round, concept_id=concept_id,
                                    version_id=version_id, now=now)
    if not created and sheet.lock_version != current:
        # Made by a request that won the insert race: the same rule as a stale tab.
        if _same(sheet, values, data, submit):
            return sheet
        raise SheetConflictError(_l("This sheet was saved since you opened it (perhaps by you, in another tab). "
                                    "Nothing was overwritten: compare the two versions below."))
    stored = {s.criterion_id: s for s in sheet.scores}
    for c in criteria:
        score = stored.get(c.id)
        if score is None:
            score = Score(criterion_id=c.id)
            sheet.scores.append(score)
        score.value = values[c.id]
        score.comment = (data.comments.get(c.id) or "").strip()
    sheet.overall_comment = (data.overall_comment or "").strip()
    sheet.private_note = (data.private_note or "").strip()
    if version_id is not None:
        sheet.version_id = version_id
    if not created:
        sheet.lock_version = sheet.lock_version + 1
    sheet.updated_at = now
    if submit and not sheet.is_submitted:
        sheet.state = SheetState.SUBMITTED
        sheet.submitted_at = now
        db.session.flush()
        record_event(actor=by, action="judging.sheet_submitted", object_type="score_sheet", object_id=sheet.id,
                     details={"seat_id": seat.id, "concept_id": concept_id, "round_id": judging_round.id})
    db.session.flush()
    return sheet
