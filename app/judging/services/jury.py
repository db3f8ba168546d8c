"""Jury rules: staff invite jurors by email, name chairs and remove jurors; invitees accept or
decline; each juror chooses how the published jury list names them (issue 10, item 1).

Invitations follow the team invitations (app/concepts/services/teams.py): the token travels only
in the email and is stored as its SHA-256; it is single use, expires (JURY_INVITATION_TTL, 7 days:
checklist row S07) and can be revoked. Unlike a team invitation, the accepting account's address
need not match the invited one (a juror may use a work address for the invitation and a private
account), so the token is the credential. Removal is a mark on the seat, never a delete: the
juror's sheets stay in the record. Every change writes an audit event; services never commit.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptMember, ConceptState
from app.concepts.services.common import lock_challenge
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import JudgingRound, JuryInvitation, JurySeat, RoundJuror, RoundState
from app.judging.services.flags import flag_conflicts_for_seat
from app.mail.services import external_url, queue_mail
from app.organisations.services import token_hash

REASON_MAX = 1000
PUBLIC_NAME_MAX = 120
PUBLIC_TITLE_MAX = 160

# The jury may change until the results are out; afterwards the published jury is the record (S21).
CHANGEABLE_STATES = frozenset({ChallengeState.DRAFT, ChallengeState.SCHEDULED, ChallengeState.OPEN,
                               ChallengeState.CLOSED, ChallengeState.JUDGING})


class JuryError(DomainError):
    """A jury rule refused the action."""


def _norm(email: str | None) -> str:
    return (email or "").strip().lower()


def invitation_ttl() -> timedelta:
    return current_app.config["JURY_INVITATION_TTL"]


def jury_changeable(challenge: Challenge, now: datetime) -> bool:
    """Whether jurors may still be invited, join, be removed or change role."""
    return effective_state(challenge, now) in CHANGEABLE_STATES


def _require_changeable(challenge: Challenge, now: datetime) -> None:
    state = effective_state(challenge, now)
    if state is ChallengeState.CANCELLED:
        raise JuryError(_l("This challenge was cancelled, so its jury can no longer change."), kind=Problem.CONFLICT)
    if state not in CHANGEABLE_STATES:
        raise JuryError(_l("The results of this challenge are published, so its jury can no longer change."),
                        kind=Problem.CONFLICT)


def find_invitation(token: str) -> JuryInvitation | None:
    """The jury invitation a token from an email belongs to, if any."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(JuryInvitation).where(JuryInvitation.token_hash == token_hash(token)))


def invitation_problem(invitation: JuryInvitation, now: datetime) -> str | None:
    """Why an invitation can no longer be used (a translated message), or None if it can."""
    if invitation.revoked_at is not None:
        return str(_l("This invitation was withdrawn by the organisers."))
    if invitation.accepted_at is not None:
        return str(_l("This invitation has already been used."))
    if invitation.declined_at is not None:
        return str(_l("This invitation was declined."))
    if now >= invitation.expires_at:
        return str(_l("This invitation has expired. Ask the organisers to invite you again."))
    if not jury_changeable(invitation.challenge, now):
        return str(_l("This challenge's jury can no longer change, so the invitation cannot be used."))
    return None


def pending_invitations(challenge: Challenge, now: datetime) -> list[JuryInvitation]:
    return list(db.session.scalars(
        select(JuryInvitation).where(JuryInvitation.challenge_id == challenge.id, JuryInvitation.usable_clause(now))
        .order_by(JuryInvitation.created_at, JuryInvitation.id)))


def active_chairs(challenge: Challenge) -> int:
    return int(db.session.scalar(select(func.count()).select_from(JurySeat).where(
        JurySeat.challenge_id == challenge.id, JurySeat.removed_at.is_(None), JurySeat.is_chair.is_(True))) or 0)


def active_seats(challenge: Challenge) -> int:
    return int(db.session.scalar(select(func.count()).select_from(JurySeat).where(
        JurySeat.challenge_id == challenge.id, JurySeat.removed_at.is_(None))) or 0)


def team_conflict(user: User, challenge: Challenge) -> bool:
    """The user is on a team with a concept (draft or submitted) in this challenge: a conflict of
    interest that keeps them off its jury."""
    return db.session.scalar(
        select(ConceptMember.id).join(Concept, Concept.id == ConceptMember.concept_id)
        .where(ConceptMember.user_id == user.id, ConceptMember.challenge_id == challenge.id,
               Concept.state != ConceptState.WITHDRAWN).limit(1)) is not None


def _email_locale(email: str, fallback: User | None) -> str | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.locale:
        return user.locale
    return fallback.locale if fallback is not None else None


def _seat_for(challenge: Challenge, user_id: int) -> JurySeat | None:
    return db.session.scalar(select(JurySeat).where(JurySeat.challenge_id == challenge.id,
                                                    JurySeat.user_id == user_id))


def _load_seat(challenge: Challenge, seat: JurySeat) -> JurySeat:
    if seat.challenge_id != challenge.id:
        raise JuryError(_l("This person is not on the jury."), kind=Problem.MISSING)
    db.session.refresh(seat)
    return seat


# ---------------------------------------------------------------- invitations
def invite_juror(*, challenge: Challenge, by: User, email: str, as_chair: bool, now: datetime) -> JuryInvitation:
    """Invite an email address to the jury. Raises JuryError (400 bad address; 409 already on the
    jury, already invited, or the jury can no longer change)."""
    lock_challenge(challenge)
    _require_changeable(challenge, now)
    email = _norm(email)
    if not email or "@" not in email or len(email) > 254:
        raise JuryError(_l("Enter an email address, such as name@example.org."), field="email")
    on_jury = db.session.scalar(
        select(JurySeat.id).join(User, User.id == JurySeat.user_id)
        .where(JurySeat.challenge_id == challenge.id, JurySeat.removed_at.is_(None), func.lower(User.email) == email))
    if on_jury is not None:
        raise JuryError(_l("%(email)s is already on this jury.", email=email), field="email", kind=Problem.CONFLICT)
    pending = db.session.scalar(
        select(JuryInvitation.id).where(JuryInvitation.challenge_id == challenge.id,
                                        func.lower(JuryInvitation.email) == email, JuryInvitation.usable_clause(now)))
    if pending is not None:
        raise JuryError(_l("%(email)s has already been invited and has not answered yet. Withdraw that "
                           "invitation first to send a new one.", email=email), field="email", kind=Problem.CONFLICT)
    ttl = invitation_ttl()
    token = secrets.token_urlsafe(32)
    invitation = JuryInvitation(challenge_id=challenge.id, email=email, as_chair=bool(as_chair),
                                token_hash=token_hash(token), invited_by_id=by.id, created_at=now,
                                expires_at=now + ttl)
    db.session.add(invitation)
    db.session.flush()
    subject = (_l("Invitation to chair the jury of %(challenge)s", challenge=challenge.title) if as_chair
               else _l("Invitation to the jury of %(challenge)s", challenge=challenge.title))
    queue_mail(to=email, template="judging/jury_invitation", locale=_email_locale(email, by), subject=subject,
               inviter_name=by.display_name, challenge_title=challenge.title,
               organisation_name=challenge.organisation.name, as_chair=bool(as_chair),
               accept_url=external_url("judging.invitation", token=token), days=max(1, ttl.days))
    record_event(actor=by, action="jury_invitation.created", object_type="jury_invitation", object_id=invitation.id,
                 details={"challenge_id": challenge.id, "as_chair": bool(as_chair)})
    return invitation


def revoke_invitation(*, challenge: Challenge, invitation: JuryInvitation, by: User, now: datetime) -> None:
    """Withdraw a pending invitation. Raises JuryError."""
    if invitation.challenge_id != challenge.id:
        raise JuryError(_l("This invitation is not for this challenge."), kind=Problem.MISSING)
    lock_challenge(challenge)
    db.session.refresh(invitation)
    if not invitation.is_usable(now):
        raise JuryError(_l("This invitation is no longer pending."), kind=Problem.CONFLICT)
    invitation.revoked_at = now
    record_event(actor=by, action="jury_invitation.revoked", object_type="jury_invitation", object_id=invitation.id,
                 details={"challenge_id": challenge.id})


def _check_usable(invitation: JuryInvitation, user: User, now: datetime) -> None:
    problem = invitation_problem(invitation, now)
    if problem:
        raise JuryError(problem, kind=Problem.EXPIRED)
    if not user.is_verified:
        raise JuryError(_l("Please confirm your email address first: we sent you a link. Then open this "
                           "invitation again."), kind=Problem.FORBIDDEN)


def accept_invitation(*, invitation: JuryInvitation, user: User, now: datetime) -> tuple[JurySeat, bool]:
    """Take the seat the invitation offers; returns (seat, created). A removed juror's seat is
    reactivated; a juror who joins during judging sits on every open round.

    Raises JuryError (410 unusable, 403 unverified, 409 the user is on an entered team).
    """
    challenge = invitation.challenge
    lock_challenge(challenge)
    db.session.refresh(invitation)
    seat = _seat_for(challenge, user.id)
    if seat is not None and seat.is_active and invitation.accepted_by_id == user.id:
        return seat, False  # the same person pressing Accept twice
    _check_usable(invitation, user, now)
    if team_conflict(user, challenge):
        raise JuryError(_l("You are on a team that takes part in this challenge, so you cannot sit on its "
                           "jury: that would be a conflict of interest. Decline the invitation, or ask the "
                           "organisers what to do."), kind=Problem.CONFLICT)
    invitation.accepted_at, invitation.accepted_by_id = now, user.id
    created = True
    if seat is None:
        seat = JurySeat(challenge_id=challenge.id, user_id=user.id, is_chair=invitation.as_chair, joined_at=now)
        db.session.add(seat)
        db.session.flush()
        action = "jury_seat.joined"
    elif not seat.is_active:
        seat.removed_at = seat.removed_by_id = seat.removed_reason = None
        seat.is_chair = invitation.as_chair
        seat.joined_at = now
        action = "jury_seat.rejoined"
    else:
        # Already sitting on the jury: the invitation is used up and may make them chair.
        created = False
        seat.is_chair = seat.is_chair or invitation.as_chair
        action = "jury_seat.confirmed"
    open_rounds = list(db.session.scalars(select(JudgingRound.id).where(
        JudgingRound.challenge_id == challenge.id, JudgingRound.state == RoundState.OPEN)))
    if open_rounds:
        present = set(db.session.scalars(select(RoundJuror.round_id).where(
            RoundJuror.seat_id == seat.id, RoundJuror.round_id.in_(open_rounds))))
        db.session.add_all([RoundJuror(round_id=rid, seat_id=seat.id) for rid in open_rounds if rid not in present])
    db.session.flush()
    # A juror who joins once the entries are labelled is checked for likely conflicts like the rest (P09).
    flag_conflicts_for_seat(seat)
    record_event(actor=user, action="jury_invitation.accepted", object_type="jury_invitation",
                 object_id=invitation.id, details={"challenge_id": challenge.id})
    record_event(actor=user, action=action, object_type="jury_seat", object_id=seat.id,
                 details={"challenge_id": challenge.id, "user_id": user.id, "invitation_id": invitation.id,
                          "is_chair": seat.is_chair, "rounds": open_rounds})
    return seat, created


def decline_invitation(*, invitation: JuryInvitation, user: User, now: datetime) -> None:
    """Decline the invitation. Raises JuryError."""
    lock_challenge(invitation.challenge)
    db.session.refresh(invitation)
    problem = invitation_problem(invitation, now)
    if problem:
        raise JuryError(problem, kind=Problem.EXPIRED)
    invitation.declined_at = now
    record_event(actor=user, action="jury_invitation.declined", object_type="jury_invitation",
                 object_id=invitation.id, details={"challenge_id": invitation.challenge_id})


# ---------------------------------------------------------------- seats
def set_chair(*, challenge: Challenge, seat: JurySeat, chair: bool, by: User, now: datetime) -> bool:
    """Name a juror chair, or make a chair an ordinary juror; returns whether it changed.
    Raises JuryError (409 removed juror, the last chair, or the jury can no longer change)."""
    lock_challenge(challenge)
    _require_changeable(challenge, now)
    seat = _load_seat(challenge, seat)
    if not seat.is_active:
        raise JuryError(_l("This juror was removed from the jury. Invite them again first."), kind=Problem.CONFLICT)
    if seat.is_chair == chair:
        return False
    if not chair and active_chairs(challenge) <= 1:
        raise JuryError(_l("%(name)s is the jury's only chair. Name another chair first.",
                           name=seat.user.display_name), kind=Problem.CONFLICT)
    seat.is_chair = chair
    record_event(actor=by, action="jury_seat.chair_named" if chair else "jury_seat.chair_ended",
                 object_type="jury_seat", object_id=seat.id,
                 details={"challenge_id": challenge.id, "user_id": seat.user_id})
    return True


def remove_juror(*, challenge: Challenge, seat: JurySeat, by: User, reason: str, now: datetime) -> None:
    """Remove a juror: they lose access at once; their seat and sheets stay in the record, marked.
    Raises JuryError (400 no reason; 409 already removed, the last chair, or too late)."""
    lock_challenge(challenge)
    _require_changeable(challenge, now)
    seat = _load_seat(challenge, seat)
    reason = (reason or "").strip()
    if not reason:
        raise JuryError(_l("Give the reason for the removal: it stays in the record."), field="reason")
    if len(reason) > REASON_MAX:
        raise JuryError(_l("The reason can be at most %(num)d characters long.", num=REASON_MAX), field="reason")
    if not seat.is_active:
        raise JuryError(_l("This juror has already been removed."), kind=Problem.CONFLICT)
    if seat.is_chair and active_chairs(challenge) <= 1 and active_seats(challenge) > 1:
        raise JuryError(_l("%(name)s is the jury's only chair. Name another chair before removing them.",
                           name=seat.user.display_name), kind=Problem.CONFLICT)
    seat.removed_at, seat.removed_by_id, seat.removed_reason = now, by.id, reason
    record_event(actor=by, action="jury_seat.removed", object_type="jury_seat", object_id=seat.id,
                 details={"challenge_id": challenge.id, "user_id": seat.user_id, "reason": reason})


def set_public_listing(*, seat: JurySeat, user: User, public_name: str | None, public_title: str | None,
                       show_publicly: bool) -> bool:
    """The juror's own choice of how the published jury list names them; returns whether it changed.
    Raises JuryError."""
    if seat.user_id != user.id or not seat.is_active:
        raise JuryError(_l("You are not on this jury."), kind=Problem.MISSING)
    name = " ".join((public_name or "").split()) or None
    title = " ".join((public_title or "").split()) or None
    if name is not None and len(name) > PUBLIC_NAME_MAX:
        raise JuryError(_l("The name can be at most %(num)d characters long.", num=PUBLIC_NAME_MAX),
                        field="public_name")
    if title is not None and len(title) > PUBLIC_TITLE_MAX:
        raise JuryError(_l("The title can be at most %(num)d characters long.", num=PUBLIC_TITLE_MAX),
                        field="public_title")
    show = bool(show_publicly)
    if (seat.public_name, seat.public_title, seat.show_publicly) == (name, title, show):
        return False
    seat.public_name, seat.public_title, seat.show_publicly = name, title, show
    record_event(actor=user, action="jury_seat.listing_changed", object_type="jury_seat", object_id=seat.id,
                 details={"challenge_id": seat.challenge_id, "show_publicly": show})
    return True


def refuse_entries_to_blind_jurors(challenge: Challenge, *, user: Any, **_extra: Any) -> Any:
    """concepts.signals.entries_requested: staff who sit on a blind jury do not read the organisers'
    entries pages, which show the teams (S19); they judge through the jury's pages."""
    if not challenge.is_blind:
        return None
    if queries.active_seat(getattr(user, "id", None), challenge.id) is None:
        return None
    return _l("You sit on this challenge's blind jury, so the organisers' entries pages, which show "
              "the teams, are closed to you. Read the entries through the jury's pages.")
