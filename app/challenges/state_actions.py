"""What organisers do with a challenge's state, and what followers hear about it.

`lifecycle` is the state machine; this module is the organisers' side of it: which steps the
manage page offers (closed -> judging -> results -> archived, and cancel with a reason; the clock
takes the time-driven steps and the editor publishes), and the emails a recorded step sends.

The emails hang on the StateTransition row itself (a `before_flush` listener): whoever records
a step - a person on the manage page, the periodic task, or `lifecycle.catch_up` inside another
action - followers hear about it exactly once, in the same transaction, and a rollback takes the
email back with the row.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.i18n import _l

from . import lifecycle
from .follows import notify_followers
from .models import Challenge, ChallengeState, StateTransition

S = ChallengeState

# Steps an organiser takes on the manage page. Publishing (draft -> scheduled/open) belongs to the
# editor, which checks that the challenge is complete; the clock opens and closes submissions.
MANUAL_TARGETS = frozenset({S.JUDGING, S.RESULTS, S.ARCHIVED, S.CANCELLED})

# Checks that features above this one add to a manual step (concepts: no judging while a team's
# extension still runs). Each returns a refusal message, or None to let the step through. They
# are registered at import, so challenges never imports the features that build on it.
StepGuard = Callable[[Challenge, ChallengeState, datetime], Any]
STEP_GUARDS: list[StepGuard] = []


def register_step_guard(guard: StepGuard) -> StepGuard:
    """Add a check to every organiser's step (a decorator; registering twice adds it once)."""
    if guard not in STEP_GUARDS:
        STEP_GUARDS.append(guard)
    return guard


# A session.info flag that silences the notices below: the demo loader records a made-up past.
QUIET = "challenges.quiet_state_notices"

# Which recorded steps followers are told about: the email template of each.
NOTICES: dict[ChallengeState, str] = {
    S.OPEN: "challenges/opened",
    S.CLOSED: "challenges/closed",
    S.RESULTS: "challenges/results",
    S.CANCELLED: "challenges/cancelled",
}


def _subject(state: ChallengeState, title: str) -> Any:
    # Lazy: queue_mail translates it in each recipient's language.
    if state is S.OPEN:
        return _l("Now open for concepts: %(title)s", title=title)
    if state is S.CLOSED:
        return _l("Submissions closed: %(title)s", title=title)
    if state is S.RESULTS:
        return _l("Results published: %(title)s", title=title)
    return _l("Cancelled: %(title)s", title=title)


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
        for guard in STEP_GUARDS:
            refusal = guard(challenge, target, now)
            if refusal is not None:
                raise DomainError(refusal)
    lifecycle.transition(challenge, target, actor=by, now=now, reason=reason)
    if target is S.CANCELLED:
        challenge.cancel_reason = reason


def _was_public(challenge: Challenge, from_state: str) -> bool:
    # Followers of an organisation never hear about a draft they could not see.
    return challenge.published_at is not None and from_state != S.DRAFT.value


@event.listens_for(Session, "before_flush")
def _tell_followers(session: Session, flush_context: Any, instances: Any) -> None:
    """Queue the followers' email for each newly recorded step (once: the row is new only once)."""
    if session.info.get(QUIET):
        return
    for row in [obj for obj in session.new if isinstance(obj, StateTransition)]:
        state = S(row.to_state)
        template = NOTICES.get(state)
        if template is None:
            continue
        challenge = session.get(Challenge, row.challenge_id)
        if challenge is None or not _was_public(challenge, row.from_state):
            continue
        notify_followers(challenge, template=template, subject=_subject(state, challenge.title),
                         reason=row.reason, at=row.at, challenge_url=mail_url("challenges.detail",
                                                                              slug=challenge.slug))


def mail_url(endpoint: str, *, anchor: str | None = None, **values: Any) -> str:
    """An absolute link on the canonical BASE_URL (S08), with or without a request (the periodic
    task sends mail from a CLI command or a background thread, where url_for has no request)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return base + path + (f"#{anchor}" if anchor else "")
