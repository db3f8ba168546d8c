"""What followers hear when a challenge's state changes.

The emails hang on the StateTransition row itself (a `before_flush` listener, connected by
app.challenges.init_app): whoever records a step - a person on the manage page, the periodic task,
or `lifecycle.catch_up` inside another action - followers hear about it exactly once, in the same
transaction, and a rollback takes the email back with the row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.challenges.models import Challenge, ChallengeState, StateTransition
from app.challenges.services.follows import notify_followers
from app.i18n import _l
from app.mail.services import external_url

S = ChallengeState

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


def _was_public(challenge: Challenge, from_state: str) -> bool:
    # Followers of an organisation never hear about a draft they could not see.
    return challenge.published_at is not None and from_state != S.DRAFT.value


def tell_followers(session: Session, flush_context: Any, instances: Any) -> None:
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
                         reason=row.reason, at=row.at, challenge_url=external_url("challenges.detail",
                                                                              slug=challenge.slug))
