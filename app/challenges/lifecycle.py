"""The challenge lifecycle as an explicit state machine: the one module that changes `state`.

draft -> scheduled (published, not yet open) -> open -> closed (deadline passed) -> judging
-> results -> archived; cancel from any state before results, with a reason. A challenge imported
into the archive takes one recorded step, draft -> archived (`record_import`).

Time-driven steps (scheduled -> open at `opens_at`, open -> closed at `deadline_at`) are computed
on read from the clock by `effective_state`, so correctness never waits for a cron job; the
periodic task `flask challenges tick` records them (`record_due_transitions`). Every recorded
step writes a StateTransition row and an audit event.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.challenges import signals
from app.challenges.models import Challenge, ChallengeState, StateTransition
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError
from app.i18n import _l
from app.organisations.models import Organisation, OrganisationStatus

S = ChallengeState

# Every allowed step, and nothing else (tests walk this table both ways).
TRANSITIONS: dict[ChallengeState, frozenset[ChallengeState]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.OPEN, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.OPEN, S.CANCELLED}),
    S.OPEN: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.JUDGING, S.CANCELLED}),
    S.JUDGING: frozenset({S.RESULTS, S.CANCELLED}),
    S.RESULTS: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
    S.CANCELLED: frozenset(),
}
# The steps the clock takes by itself; the others need a person (an organiser or an admin).
TIME_DRIVEN = frozenset({(S.SCHEDULED, S.OPEN), (S.OPEN, S.CLOSED)})
CANCELLABLE = frozenset(s for s, targets in TRANSITIONS.items() if S.CANCELLED in targets)
PUBLIC_STATES = frozenset(S) - {S.DRAFT}
# Nothing more happens in these (no dates to come, no email to follow): the challenge page offers
# results instead of "follow" and "add the dates to your calendar" (issue 12). None is time-driven,
# so the stored state tells.
FINISHED_STATES = frozenset({S.RESULTS, S.ARCHIVED, S.CANCELLED})


def effective_state(challenge: Challenge, now: datetime) -> ChallengeState:
    """The state at `now`, with due time-driven steps applied (pure: writes nothing)."""
    state = ChallengeState(challenge.state)
    if state is S.SCHEDULED and challenge.opens_at is not None and now >= challenge.opens_at:
        state = S.OPEN
    if state is S.OPEN and challenge.deadline_at is not None and now >= challenge.deadline_at:
        state = S.CLOSED
    return state


def state_clause(state: ChallengeState, now: datetime) -> ColumnElement[bool]:
    """SQL condition for "effective state is `state` at `now`", matching effective_state()."""
    c = Challenge
    opened = and_(c.opens_at.is_not(None), c.opens_at <= now)
    deadline_passed = and_(c.deadline_at.is_not(None), c.deadline_at <= now)
    if state is S.SCHEDULED:
        return and_(c.state == S.SCHEDULED, ~opened)
    if state is S.OPEN:
        return and_(or_(c.state == S.OPEN, and_(c.state == S.SCHEDULED, opened)), ~deadline_passed)
    if state is S.CLOSED:
        return or_(c.state == S.CLOSED,
                   and_(deadline_passed, or_(c.state == S.OPEN, and_(c.state == S.SCHEDULED, opened))))
    return c.state == state


def public_clause() -> ColumnElement[bool]:
    """Challenges anyone may see: published (never a draft) by an approved organisation."""
    return and_(Challenge.state != S.DRAFT, Challenge.published_at.is_not(None),
                Challenge.organisation_id.in_(select(Organisation.id).where(
                    Organisation.status == OrganisationStatus.APPROVED)))


def accepts_concepts(challenge: Challenge, now: datetime) -> bool:
    return effective_state(challenge, now) is S.OPEN


def can_transition(challenge: Challenge, to: ChallengeState, now: datetime) -> bool:
    return ChallengeState(to) in TRANSITIONS[effective_state(challenge, now)]


class TransitionConflictError(DomainError):
    """Someone else (another worker, host or the periodic task) recorded a step first."""


def _record(challenge: Challenge, to: ChallengeState, *, actor: Any | None, now: datetime,
            reason: str | None) -> None:
    from_state = ChallengeState(challenge.state)
    # A conditional UPDATE, so that two workers or hosts (or a request and the periodic task)
    # racing to record the same step write it once: the loser matches no row and backs off.
    result = db.session.execute(
        update(Challenge).where(Challenge.id == challenge.id, Challenge.state == from_state.value)
        .values(state=to.value, state_changed_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(challenge)
        raise TransitionConflictError(_l("This challenge changed a moment ago. Please reload the page and try again."))
    set_committed_value(challenge, "state", to)
    set_committed_value(challenge, "state_changed_at", now)
    db.session.add(StateTransition(challenge_id=challenge.id, from_state=from_state.value, to_state=to.value,
                                   actor_id=getattr(actor, "id", None), reason=reason, at=now))
    record_event(actor=actor, action=f"challenge.{to.value}", object_type="challenge", object_id=challenge.id,
                 details={"from": from_state.value, "to": to.value, **({"reason": reason} if reason else {})})
    signals.state_changed.send(challenge, from_state=from_state, to_state=to, actor=actor, now=now)


def catch_up(challenge: Challenge, *, now: datetime) -> ChallengeState:
    """Record the time-driven steps that are due (actor: the clock). Returns the state now."""
    while True:
        current = ChallengeState(challenge.state)
        target = effective_state(challenge, now)
        if target is current:
            return current
        step = S.OPEN if current is S.SCHEDULED else S.CLOSED
        try:
            _record(challenge, step, actor=None, now=now, reason=None)
        except TransitionConflictError:
            continue  # another worker recorded it; the refreshed row tells where we are


def transition(challenge: Challenge, to: ChallengeState, *, actor: Any, now: datetime,
               reason: str | None = None) -> None:
    """Move `challenge` to `to` if the lifecycle allows it from its state at `now`. Raises DomainError."""
    to = ChallengeState(to)
    catch_up(challenge, now=now)
    current = ChallengeState(challenge.state)
    if to not in TRANSITIONS[current]:
        raise DomainError(_l("A challenge cannot go from “%(from)s” to “%(to)s”.",
                             **{"from": _label(current), "to": _label(to)}))
    if to is S.CANCELLED and not (reason and reason.strip()):
        raise DomainError(_l("Please give a reason for cancelling."), field="reason")
    if (current, to) in TIME_DRIVEN:
        raise DomainError(_l("This step happens by itself at the time set in the timeline."))
    _record(challenge, to, actor=actor, now=now, reason=reason.strip() if reason else None)


def record_import(challenge: Challenge, *, actor: Any | None, now: datetime) -> None:
    """Record an imported challenge's one step, draft -> archived (services/archive.py). Raises DomainError.

    An earlier challenge brought into the archive ran somewhere else: it was never scheduled, open
    or judged here, so it does not walk the table above. This is the only way into `archived`
    besides the table, and only for a new, flushed challenge marked imported.
    """
    if challenge.imported_at is None or ChallengeState(challenge.state) is not S.DRAFT:
        raise DomainError(_l("Only a new imported challenge can go straight into the archive."))
    _record(challenge, S.ARCHIVED, actor=actor, now=now, reason=None)


def record_due_transitions(*, now: datetime) -> int:
    """The periodic task: record every due time-driven step. Returns how many challenges moved."""
    due = db.session.scalars(select(Challenge).where(or_(
        and_(Challenge.state == S.SCHEDULED, Challenge.opens_at <= now),
        and_(Challenge.state == S.OPEN, Challenge.deadline_at <= now),
        false()))).all()
    for challenge in due:
        catch_up(challenge, now=now)
    return len(due)


def _label(state: ChallengeState) -> str:
    from app.challenges.models import CHALLENGE_STATE_LABELS

    return str(CHALLENGE_STATE_LABELS[state])
