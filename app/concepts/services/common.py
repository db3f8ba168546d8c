"""Rules every concept service shares: the write window, eligibility, one concept per person.

Services never commit; they lock the rows they judge (PostgreSQL `FOR UPDATE`; SQLite's write
lock, app.db.lock_for_write) before they check and write, so two requests at once cannot both pass
a check.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import format_datetime
from sqlalchemy import func, inspect, select

from app.accounts.models import ParticipantKind, User
from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState, Eligibility
from app.challenges.permissions import is_staff_of_challenge
from app.concepts.models import Concept, ConceptMember, ConceptState
from app.db import db, lock_for_write
from app.errors import DomainError, Problem
from app.i18n import _l


class ConceptError(DomainError):
    """A refused concept action; its `kind` says what sort of refusal (app.errors.Problem)."""


class DeadlinePassedError(ConceptError):
    """The write came after the team's deadline (and grace), by the server's clock (S21, R03)."""

    kind = Problem.CONFLICT


class VersionConflictError(ConceptError):
    """Someone saved the draft since this form was loaded (two tabs, two teammates)."""

    kind = Problem.CONFLICT


def grace_seconds() -> int:
    """Seconds after a deadline during which writes are still accepted (SUBMISSION_GRACE_SECONDS)."""
    return max(0, int(current_app.config.get("SUBMISSION_GRACE_SECONDS", 0)))


def lock_concept(concept: Concept) -> None:
    """Lock the concept row until commit and read it again (PostgreSQL `FOR UPDATE`; on SQLite the
    write lock, app.db.lock_for_write)."""
    lock_for_write()
    db.session.flush()  # the refresh below would drop changes not yet written (a save earlier in the transaction)
    mapper = inspect(Concept)
    db.session.refresh(concept, [c.key for c in mapper.column_attrs], with_for_update=True)
    # What hangs off the row is read again when next used, except its challenge (challenge_id never
    # changes), which a full refresh would make the lock load a second time.
    db.session.expire(concept, [r.key for r in mapper.relationships if r.key != "challenge"])


def lock_challenge(challenge: Challenge) -> None:
    lock_for_write()
    db.session.execute(select(Challenge.id).where(Challenge.id == challenge.id).with_for_update())


def require_writable(concept: Concept, now: datetime) -> None:
    """Raises DeadlinePassedError unless the team may still write at `now`."""
    if concept.is_writable(now, grace_seconds()):
        return
    state = effective_state(concept.challenge, now)
    deadline = concept.deadline()
    if state in (ChallengeState.OPEN, ChallengeState.CLOSED) and deadline is not None:
        raise DeadlinePassedError(_l("The deadline passed at %(when)s, so this change was not saved. Your text is "
                                "still below: copy it if you want to keep it.",
                                when=format_datetime(deadline, "short")))
    raise DeadlinePassedError(_l("This challenge is not open for concepts, so this change was not saved. Your "
                            "text is still below: copy it if you want to keep it."))


def eligibility_problem(user: User, challenge: Challenge) -> str | None:
    """Why `user` may not enter `challenge`, as a sentence to show them, or None if they may."""
    if is_staff_of_challenge(user, challenge):
        return str(_l("You work for the organisation that posts this challenge, so you cannot enter it."))
    allowed = set(challenge.eligibility or [Eligibility.ANYONE.value])
    if Eligibility.ANYONE.value in allowed:
        return None
    kind = str(user.participant_kind or ParticipantKind.OTHER)
    if kind in allowed:
        return None
    from app.challenges.models import ELIGIBILITY_LABELS
    names = ", ".join(str(ELIGIBILITY_LABELS[Eligibility(e)]).lower()
                      for e in challenge.eligibility if e in Eligibility.__members__.values())
    return str(_l("This challenge is open to %(who)s only. Your participant profile says you are not one of "
                  "them; if that is wrong, update your profile.", who=names))


def max_team_size(challenge: Challenge) -> int:
    return max(1, challenge.max_team_size) if challenge.allow_teams else 1


def active_concept_count(user_id: int, challenge_id: int, exclude_concept_id: int | None = None) -> int:
    """Concepts of this challenge the user is on that are not withdrawn."""
    q = (select(func.count()).select_from(ConceptMember).join(Concept, Concept.id == ConceptMember.concept_id)
         .where(ConceptMember.user_id == user_id, ConceptMember.challenge_id == challenge_id,
                Concept.state != ConceptState.WITHDRAWN))
    if exclude_concept_id is not None:
        q = q.where(ConceptMember.concept_id != exclude_concept_id)
    return int(db.session.scalar(q) or 0)


def slot_problem(user: User, challenge: Challenge, exclude_concept_id: int | None = None) -> str | None:
    """"A person is on at most one concept per challenge unless the challenge allows more."""
    if challenge.allow_multiple_concepts:
        return None
    if active_concept_count(user.id, challenge.id, exclude_concept_id) > 0:
        return str(_l("You are already on a concept for this challenge, and this challenge allows one concept "
                      "per person. Withdraw or leave that concept first."))
    return None
