"""Who may do what in judging: pure predicates for views and templates (S16, S17, P09, P10).

A juror acts through their seat (queries.active_seat); staff of the posting organisation manage
the jury but, unless they also sit on it, see the decision and never individual sheets.
"""
from __future__ import annotations

from app.challenges.models import Challenge, ChallengeState
from app.challenges.permissions import is_staff_of_challenge
from app.judging.models import JurySeat
from app.organisations.permissions import AnyUser

# The challenge states in which jurors read and score.
SCORING_STATES = frozenset({ChallengeState.JUDGING})
# The states in which the jury area is open to its members at all (read-only after judging).
JURY_STATES = frozenset({ChallengeState.CLOSED, ChallengeState.JUDGING, ChallengeState.RESULTS,
                         ChallengeState.ARCHIVED})


def can_manage_jury(user: AnyUser, challenge: Challenge) -> bool:
    """Staff of the posting organisation invite and remove jurors and name chairs."""
    return is_staff_of_challenge(user, challenge)


def is_chair(seat: JurySeat | None) -> bool:
    """An active seat with the chair's role."""
    return seat is not None and seat.is_active and seat.is_chair


def is_juror(seat: JurySeat | None) -> bool:
    return seat is not None and seat.is_active


def can_view_decision(user: AnyUser, challenge: Challenge, seat: JurySeat | None) -> bool:
    """The chair and the organisation's staff see the decision; other jurors do not."""
    return is_chair(seat) or is_staff_of_challenge(user, challenge)


def hides_identities(challenge: Challenge) -> bool:
    """In a blind challenge every juror, the chair included, sees labels, never teams (S19)."""
    return bool(challenge.is_blind)
