"""What organisers do with a challenge's state on the manage page.

`lifecycle` is the state machine; this module is the organisers' side of it: which steps the
manage page offers (closed -> judging -> results -> archived, and cancel with a reason; the clock
takes the time-driven steps and the editor publishes). What followers hear about a recorded step
is in `notices`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from app.challenges import lifecycle, signals
from app.challenges.models import Challenge, ChallengeState
from app.errors import DomainError
from app.i18n import _l

S = ChallengeState

# Steps an organiser takes on the manage page. Publishing (draft -> scheduled/open) belongs to the
# editor, which checks that the challenge is complete; the clock opens and closes submissions.
MANUAL_TARGETS = frozenset({S.JUDGING, S.RESULTS, S.ARCHIVED, S.CANCELLED})

def manual_steps(challenge: Challenge, now: datetime) -> list[ChallengeState]:
    """The steps the manage page offers from the effective state at `now`, cancel last."""
    current = lifecycle.effective_state(challenge, now)
    allowed = [s for s in S if s in lifecycle.TRANSITIONS[current] and s in MANUAL_TARGETS
               and (current, s) not in lifecycle.TIME_DRIVEN]
    return sorted(allowed, key=lambda s: s is S.CANCELLED)


def change_state(*, challenge: Challenge, to: ChallengeState | str, by: Any, now: datetime,
                 reason: str | None = None) -> None:
    """An organiser's step on the manage page (S21: only what the lifecycle allows). Raises DomainError."""
    try:
        target = S(to)
    except ValueError:
        raise DomainError(_l("That is not a state a challenge can be in.")) from None
    current = lifecycle.effective_state(challenge, now)
    if current is S.DRAFT and target in (S.SCHEDULED, S.OPEN):
        raise DomainError(_l("Publish the challenge from its editor: it checks that the brief, timeline "
                             "and rubric are complete."))
    if target not in MANUAL_TARGETS and target in lifecycle.TRANSITIONS[current]:
        raise DomainError(_l("This step happens by itself at the time set in the timeline."))
    reason = (reason or "").strip() or None
    if target in lifecycle.TRANSITIONS[current]:
        # Features above this one may refuse a step (concepts: no judging while an extension runs).
        for _receiver, refusal in signals.step_requested.send(challenge, target=target, now=now):
            if refusal is not None:
                raise DomainError(refusal)
    lifecycle.transition(challenge, target, actor=by, now=now, reason=reason)
    if target is S.CANCELLED:
        challenge.cancel_reason = reason
