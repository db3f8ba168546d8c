"""Following challenges and organisations, and telling followers about changes (through the outbox)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from app.accounts.models import User
from app.challenges.lifecycle import FINISHED_STATES
from app.challenges.models import Challenge, ChallengeState, Follow
from app.db import db
from app.errors import DomainError
from app.i18n import _l
from app.mail.services import queue_mail
from app.organisations.models import Organisation


def followers_of(challenge: Challenge) -> list[User]:
    """Verified, active users who follow the challenge or its organisation (each once)."""
    following = select(Follow.user_id).where(or_(Follow.challenge_id == challenge.id,
                                                 Follow.organisation_id == challenge.organisation_id))
    return list(db.session.scalars(
        select(User).where(User.id.in_(following), User.email_verified_at.is_not(None),
                           User.is_suspended.is_(False)).order_by(User.id)))


def notify_followers(challenge: Challenge, *, template: str, subject: Any, exclude: User | None = None,
                     **context: Any) -> int:
    """Queue `mail/<template>` to every follower in their own language. Returns how many were queued."""
    count = 0
    for user in followers_of(challenge):
        if exclude is not None and user.id == exclude.id:
            continue
        queue_mail(to=user.email, template=template, locale=user.locale, subject=subject,
                   challenge=challenge, recipient=user, **context)
        count += 1
    return count


def follow(*, user: User, challenge: Challenge | None = None, organisation: Organisation | None = None) -> Follow:
    """Follow a challenge or an organisation (exactly one); following again changes nothing.

    Raises DomainError for a challenge that has ended (results, archived or cancelled).
    """
    if (challenge is None) == (organisation is None):
        raise ValueError("follow exactly one challenge or organisation")
    target = (Follow.challenge_id == challenge.id) if challenge is not None else (
        Follow.organisation_id == organisation.id)  # type: ignore[union-attr]
    existing = db.session.scalar(select(Follow).where(Follow.user_id == user.id, target))
    if existing is not None:
        return existing
    if challenge is not None and ChallengeState(challenge.state) in FINISHED_STATES:
        raise DomainError(_l("This challenge has ended, so there is nothing more to follow. Its results stay on "
                             "its page."))
    row = Follow(user_id=user.id, challenge_id=challenge.id if challenge is not None else None,
                 organisation_id=organisation.id if organisation is not None else None)
    db.session.add(row)
    return row


def unfollow(*, user: User, challenge: Challenge | None = None, organisation: Organisation | None = None) -> bool:
    """Stop following; returns whether there was anything to stop (unfollowing twice is harmless)."""
    if (challenge is None) == (organisation is None):
        raise ValueError("unfollow exactly one challenge or organisation")
    target = (Follow.challenge_id == challenge.id) if challenge is not None else (
        Follow.organisation_id == organisation.id)  # type: ignore[union-attr]
    existing = db.session.scalar(select(Follow).where(Follow.user_id == user.id, target))
    if existing is None:
        return False
    db.session.delete(existing)
    return True
