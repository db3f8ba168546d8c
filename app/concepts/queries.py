"""Read queries of the concepts feature that pages and other features use (lists, counts, lookups)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.challenges.models import Challenge
from app.concepts.models import Concept, ConceptMember, ConceptVersion, TeamInvitation
from app.concepts.services.common import grace_seconds
from app.core.timeutil import as_utc
from app.db import db


def my_concepts(user_id: int) -> list[Concept]:
    """The user's concepts with challenge, organisation and team loaded: three queries, whatever the count."""
    return list(db.session.scalars(
        select(Concept).join(ConceptMember, ConceptMember.concept_id == Concept.id)
        .where(ConceptMember.user_id == user_id)
        .options(joinedload(Concept.challenge).joinedload(Challenge.organisation),
                 selectinload(Concept.members))
        .order_by(Concept.updated_at.desc(), Concept.id.desc())).unique())


def pending_invitations_to(email: str, now: datetime) -> list[TeamInvitation]:
    """Invitations addressed to `email` that can still be answered."""
    return list(db.session.scalars(
        select(TeamInvitation)
        .where(TeamInvitation.email == email.strip().lower(), TeamInvitation.usable_clause(now))
        .options(joinedload(TeamInvitation.concept).joinedload(Concept.challenge)
                 .joinedload(Challenge.organisation))
        .order_by(TeamInvitation.expires_at, TeamInvitation.id)).unique())


def entered_eligible_concepts(challenge: Challenge) -> list[Concept]:
    """The challenge's entered, eligible concepts with versions (without bodies) and members' names:
    the candidates for publication (permissions.public_level decides each). Three queries."""
    return list(db.session.scalars(
        select(Concept).where(Concept.challenge_id == challenge.id, Concept.is_entered, ~Concept.is_ineligible)
        .options(selectinload(Concept.versions).defer(ConceptVersion.body_md),
                 selectinload(Concept.members).joinedload(ConceptMember.user).load_only(User.display_name))
        .order_by(Concept.id)).all())


def last_extension_end(challenge: Challenge, now: datetime) -> datetime | None:
    """The latest team extension of `challenge` whose write window (with grace) is still open at `now`."""
    grace = timedelta(seconds=grace_seconds())
    latest = db.session.scalar(select(func.max(Concept.extension_until)).where(
        Concept.challenge_id == challenge.id, Concept.extension_until.is_not(None),
        Concept.extension_until > now - grace))
    return as_utc(latest) if latest is not None else None


def version_members(version: ConceptVersion) -> list[User]:
    """The accounts that were on the team when `version` was submitted, in the version's order."""
    ids = version.member_ids or []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[i] for i in ids if i in users]


def inviter_name(invitation: TeamInvitation) -> str:
    """The display name of whoever sent the invitation ("" when unknown or deleted)."""
    if not invitation.invited_by_id:
        return ""
    return db.session.scalar(select(User.display_name).where(User.id == invitation.invited_by_id)) or ""
