"""Reminders to jurors with sheets left (issue 10 item 5): one 7 days and one 1 day before a
round's deadline, sent by the periodic task, and the chair's "remind" press.

The periodic task may run on two hosts at once: each reminder is claimed by inserting its
ReminderSent row (unique per round, juror and kind) before its email is queued in the same
transaction, so the host that loses the race finds the row taken and sends nothing.

In a blind challenge the email names the challenge, the round, how much is left and the deadline,
never a concept, team, member or institution (S19); in fact no email here names a concept at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.challenges.models import Challenge, ChallengeState
from app.core.audit import record_event
from app.core.timeutil import as_utc, zone
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import JudgingRound, JurySeat, ReminderKind, ReminderSent, RoundMethod, RoundState
from app.mail.services import MailError, external_url, queue_mail, recipient_time

WEEK_BEFORE = timedelta(days=7)
DAY_BEFORE = timedelta(days=1)
# A juror is not reminded by the chair twice within this time (nor right after a deadline reminder).
REMIND_GAP = timedelta(hours=1)


@dataclass(frozen=True)
class DueReminder:
    seat: JurySeat
    round: JudgingRound
    kind: ReminderKind
    left: int


def round_url(challenge: Challenge, number: int) -> str:
    """The round's page for its jurors, on the canonical BASE_URL (S08)."""
    return external_url("judging.round", slug=challenge.slug, number=number)


def due_kind(deadline: datetime | None, now: datetime) -> ReminderKind | None:
    """Which deadline reminder is due now: the 1-day one within a day of the deadline, the 7-day
    one within a week; none without a deadline or once it has passed. Within a day the 7-day one
    is no longer sent (it would arrive together with the 1-day one)."""
    if deadline is None:
        return None
    remaining = as_utc(deadline) - now
    if remaining <= timedelta(0):
        return None
    if remaining <= DAY_BEFORE:
        return ReminderKind.DAY
    if remaining <= WEEK_BEFORE:
        return ReminderKind.WEEK
    return None


def due_reminders(now: datetime) -> list[DueReminder]:
    """The deadline reminders due now: every active juror of every open round of a challenge in
    judging whose deadline is at most 7 days away, with sheets (or a ballot) left, who has not had
    this kind of reminder for this round. Builds no email."""
    open_rounds = db.session.scalars(
        select(JudgingRound).join(Challenge, Challenge.id == JudgingRound.challenge_id)
        .where(JudgingRound.state == RoundState.OPEN, JudgingRound.deadline_at.is_not(None),
               JudgingRound.deadline_at > now, JudgingRound.deadline_at <= now + WEEK_BEFORE,
               Challenge.state == ChallengeState.JUDGING)
        .order_by(JudgingRound.id))
    due: list[DueReminder] = []
    for judging_round in open_rounds:
        kind = due_kind(judging_round.deadline_at, now)
        if kind is None or queries.sheets_locked(judging_round.challenge_id):
            continue
        already = set(db.session.scalars(select(ReminderSent.seat_id).where(
            ReminderSent.round_id == judging_round.id, ReminderSent.kind == kind.value)))
        for progress in queries.round_progress(judging_round):
            if progress.seat.is_active and progress.left > 0 and progress.seat.id not in already:
                due.append(DueReminder(seat=progress.seat, round=judging_round, kind=kind, left=progress.left))
    return due


def send_due_reminders(due: list[DueReminder], *, now: datetime) -> int:
    """Claim and queue each reminder (the row first, the email in the same transaction); one that
    another run claimed meanwhile is skipped. Returns how many were queued."""
    sent = 0
    for item in due:
        try:
            with db.session.begin_nested():
                db.session.add(ReminderSent(round_id=item.round.id, seat_id=item.seat.id, kind=item.kind.value,
                                            sent_at=now))
                db.session.flush()
        except IntegrityError:
            continue  # another host sent this one
        if _queue_reminder(item.seat, item.round, left=item.left):
            sent += 1
    return sent


def send_deadline_reminders(_sender: object, *, now: datetime, **_: object) -> int:
    """Receiver of challenges.signals.tick_requested: send the deadline reminders that are due."""
    return send_due_reminders(due_reminders(now), now=now)


def _queue_reminder(seat: JurySeat, judging_round: JudgingRound, *, left: int) -> bool:
    user = seat.user
    if not user.email:
        return False
    challenge = judging_round.challenge
    ranking = judging_round.method == RoundMethod.RANKING
    subject = (_l("Reminder: your ranking for “%(challenge)s” is waiting", challenge=challenge.title) if ranking
               else _l("Reminder: score sheets are waiting for you in “%(challenge)s”", challenge=challenge.title))
    try:
        queue_mail(to=user.email, template="judging/reminder", locale=user.locale, subject=subject,
                   recipient=user, challenge_title=challenge.title, round_name=judging_round.name,
                   ranking=ranking, left=left, deadline_local=recipient_time(judging_round.deadline_at, user),
                   zone_name=str(zone(user.timezone)) if judging_round.deadline_at else "",
                   round_url=round_url(challenge, judging_round.position))
    except MailError:
        return False
    return True


def remind_juror(*, judging_round: JudgingRound, seat: JurySeat, by: object, now: datetime) -> int:
    """The chair's "remind": email one juror of the round now, audited. Returns how much is left.
    Raises DomainError when the juror is removed, not in the round, has nothing left, or was
    reminded less than an hour ago."""
    progress = next((p for p in queries.round_progress(judging_round) if p.seat.id == seat.id), None)
    if progress is None or not seat.is_active:
        raise DomainError(_l("This juror is not on this round's jury."), kind=Problem.MISSING)
    _lock_seats([seat.id])
    _check_remindable(judging_round, progress, queries.last_reminded([seat.id]).get(seat.id), now)
    _send_now(judging_round, progress, by=by)
    return progress.left


def remind_everyone(*, judging_round: JudgingRound, by: object, now: datetime) -> tuple[int, int]:
    """The chair's "remind everyone with sheets left": returns (reminded, skipped because they
    were reminded less than an hour ago). Raises DomainError when nobody has anything left."""
    waiting = [p for p in queries.round_progress(judging_round) if p.seat.is_active and p.left > 0]
    if not waiting:
        raise DomainError(_l("Nobody on this round's jury has sheets left."))
    _check_round(judging_round, now)
    _lock_seats([p.seat.id for p in waiting])
    last = queries.last_reminded([p.seat.id for p in waiting])
    reminded = skipped = 0
    for progress in waiting:
        when = last.get(progress.seat.id)
        if when is not None and now - when < REMIND_GAP:
            skipped += 1
            continue
        _send_now(judging_round, progress, by=by)
        reminded += 1
    return reminded, skipped


def round_remindable(judging_round: JudgingRound, now: datetime) -> bool:
    """Whether the chair may remind this round's jurors at all: open, in judging, before the
    deadline (the page shows the buttons only then; the sheets being locked is checked apart)."""
    return (judging_round.state == RoundState.OPEN and judging_round.challenge.state == ChallengeState.JUDGING
            and (judging_round.deadline_at is None or as_utc(judging_round.deadline_at) > now))


def _lock_seats(seat_ids: list[int]) -> None:
    # Two presses at once (a double click, two chairs) must not both pass the one-hour check:
    # the second waits here for the first to commit, then sees its audit event (PostgreSQL;
    # SQLite already lets one writer in at a time).
    db.session.execute(select(JurySeat.id).where(JurySeat.id.in_(seat_ids)).order_by(JurySeat.id).with_for_update())


def _check_round(judging_round: JudgingRound, now: datetime) -> None:
    if judging_round.state != RoundState.OPEN or judging_round.challenge.state != ChallengeState.JUDGING:
        raise DomainError(_l("This round is closed: there is nothing to remind anyone of."), kind=Problem.CONFLICT)
    if judging_round.deadline_at is not None and as_utc(judging_round.deadline_at) <= now:
        raise DomainError(_l("This round's deadline has passed."), kind=Problem.CONFLICT)
    if queries.sheets_locked(judging_round.challenge_id):
        raise DomainError(_l("The decision is final: the sheets are locked."), kind=Problem.CONFLICT)


def _check_remindable(judging_round: JudgingRound, progress: queries.JurorProgress, last: datetime | None,
                      now: datetime) -> None:
    if progress.left == 0:
        raise DomainError(_l("%(name)s has nothing left to do in this round.", name=progress.seat.shown_name()))
    _check_round(judging_round, now)
    if last is not None and now - last < REMIND_GAP:
        raise DomainError(_l("%(name)s was reminded less than an hour ago. Please wait before you remind them again.",
                             name=progress.seat.shown_name()), kind=Problem.CONFLICT)


def _send_now(judging_round: JudgingRound, progress: queries.JurorProgress, *, by: object) -> None:
    _queue_reminder(progress.seat, judging_round, left=progress.left)
    record_event(actor=by, action=queries.REMINDED_ACTION, object_type="jury_seat", object_id=progress.seat.id,
                 details={"round": judging_round.position, "left": progress.left})
