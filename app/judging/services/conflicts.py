"""A juror's own conflict declarations (P09): before any concept content is shown, the juror goes
through the list of entries and declares each conflict with a reason, then confirms that the list
is complete (JurySeat.conflicts_declared_at).

A declaration is for good: a juror may add one later, never take one back, so that nobody can
read a concept, score it and then "undeclare". Flags the platform raises for the chair are
another origin (services/flags.py); a declared conflict stands beside them.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import Conflict, ConflictOrigin, ConflictStatus, JurySeat

MAX_REASON_CHARS = 1000


class DeclarationError(DomainError):
    """A refused declaration; `errors` maps form field names to messages (several at once)."""

    def __init__(self, message: object, *, errors: Mapping[str, object] | None = None,
                 field: str | None = None, kind: Problem | None = None) -> None:
        super().__init__(message, field=field, kind=kind)
        self.errors = dict(errors or {})


def lock_seat(seat: JurySeat) -> None:
    """Lock the seat row until commit: one juror's writes run one at a time (PostgreSQL; SQLite
    writers are already serialised by BEGIN IMMEDIATE, app.db)."""
    db.session.execute(select(JurySeat.id).where(JurySeat.id == seat.id).with_for_update())
    db.session.refresh(seat)


def declare_conflicts(*, seat: JurySeat, declarations: Mapping[int, str], confirm_all: bool,
                      by: User, now: datetime) -> int:
    """Record the juror's new conflicts ({concept id: reason}) and, with `confirm_all`, that the
    list is complete. Returns how many conflicts were new. Raises DeclarationError."""
    lock_seat(seat)
    if not seat.is_active:
        raise DeclarationError(_l("You are no longer on this jury."), kind=Problem.FORBIDDEN)
    labels = queries.labels(seat.challenge_id)
    unknown = [cid for cid in declarations if cid not in labels]
    if unknown:
        raise DeclarationError(_l("One of the entries you chose is not an entry of this challenge. Reload the "
                                  "page and try again."), kind=Problem.MISSING)
    errors: dict[str, object] = {}
    for cid, reason in declarations.items():
        text = (reason or "").strip()
        if not text:
            errors[f"reason_{labels[cid]}"] = _l("Say in a few words why you have a conflict with %(label)s.",
                                                 label=labels[cid])
        elif len(text) > MAX_REASON_CHARS:
            errors[f"reason_{labels[cid]}"] = _l("At most %(max)d characters.", max=MAX_REASON_CHARS)
    if seat.conflicts_declared_at is None and not confirm_all:
        errors["confirm_all"] = _l("Confirm that you have declared all your conflicts before you go on.")
    if errors:
        raise DeclarationError(next(iter(errors.values())), errors=errors)

    existing = set(db.session.scalars(select(Conflict.concept_id).where(
        Conflict.seat_id == seat.id, Conflict.origin == ConflictOrigin.DECLARED)))
    added = 0
    for cid, reason in declarations.items():
        if cid in existing:
            continue  # declared before: it stands as it was (never changed, never taken back)
        try:
            with db.session.begin_nested():
                db.session.add(Conflict(challenge_id=seat.challenge_id, seat_id=seat.id, concept_id=cid,
                                        origin=ConflictOrigin.DECLARED, status=ConflictStatus.DECLARED,
                                        reason=reason.strip(), created_at=now))
        except IntegrityError:
            continue  # the same declaration from a second tab at the same moment
        added += 1
        record_event(actor=by, action="judging.conflict_declared", object_type="concept", object_id=cid,
                     details={"seat_id": seat.id, "challenge_id": seat.challenge_id})
    if confirm_all and seat.conflicts_declared_at is None:
        seat.conflicts_declared_at = now
        record_event(actor=by, action="judging.conflicts_confirmed", object_type="jury_seat", object_id=seat.id,
                     details={"challenge_id": seat.challenge_id, "declared": added})
    db.session.flush()
    return added
