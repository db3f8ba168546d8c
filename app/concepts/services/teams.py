"""Team rules: invitations by email, joining, leaving, removing, the team name and name consent.

Modelled on organisation invitations (app/organisations/services.py): the token travels only in
the email and is stored as its SHA-256; an invitation is single use, expires and can be revoked.
Every change locks the concept row first (rules.lock_concept) so the team size limit and "one
concept per person and challenge" hold when requests arrive at once (S22). Services never
commit; each change writes an audit event in the same transaction.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import User
from app.concepts.models import Concept, ConceptMember, ConceptState, MemberRole, TeamInvitation
from app.concepts.services.common import (
    ConceptError,
    DeadlinePassedError,
    eligibility_problem,
    grace_seconds,
    lock_challenge,
    lock_concept,
    max_team_size,
    slot_problem,
)
from app.core.audit import record_event
from app.db import db
from app.errors import Problem
from app.i18n import _l
from app.mail.services import external_url, queue_mail
from app.organisations.services import token_hash

TEAM_NAME_MAX = 120
ONLY_LEAD = _l("Only the team lead can do this.")


@dataclass(frozen=True)
class TeamPlaces:
    """How full a team is: members plus pending invitations against the challenge's limit."""

    limit: int
    members: int
    pending: int

    @property
    def free(self) -> int:
        return max(0, self.limit - self.members - self.pending)


def _norm(email: str | None) -> str:
    return (email or "").strip().lower()


def invitation_ttl() -> timedelta:
    return current_app.config.get("TEAM_INVITATION_TTL", timedelta(days=7))


def find_team_invitation(token: str) -> TeamInvitation | None:
    """The team invitation a token from an email belongs to, if any."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(TeamInvitation).where(TeamInvitation.token_hash == token_hash(token)))


def invitation_problem(invitation: TeamInvitation, now: datetime) -> str | None:
    """Why an invitation can no longer be used (a translated message), or None if it can."""
    if invitation.revoked_at is not None:
        return str(_l("This invitation was withdrawn by the team lead."))
    if invitation.accepted_at is not None:
        return str(_l("This invitation has already been used."))
    if invitation.declined_at is not None:
        return str(_l("This invitation was declined."))
    if now >= invitation.expires_at:
        return str(_l("This invitation has expired. Ask the team lead to invite you again."))
    if invitation.concept.state == ConceptState.WITHDRAWN:
        return str(_l("The team has withdrawn this concept, so it takes no new members."))
    return None


def pending_invitations(concept: Concept, now: datetime) -> list[TeamInvitation]:
    return sorted((i for i in concept.invitations if i.is_usable(now)), key=lambda i: (i.created_at, i.id))


def _count_members(concept: Concept) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ConceptMember)
                                 .where(ConceptMember.concept_id == concept.id)) or 0)


def _count_pending(concept: Concept, now: datetime, except_email: str | None = None) -> int:
    q = (select(func.count()).select_from(TeamInvitation)
         .where(TeamInvitation.concept_id == concept.id, TeamInvitation.usable_clause(now)))
    if except_email:
        q = q.where(TeamInvitation.email != except_email)
    return int(db.session.scalar(q) or 0)


def team_places(concept: Concept, now: datetime) -> TeamPlaces:
    return TeamPlaces(limit=max_team_size(concept.challenge), members=_count_members(concept),
                      pending=_count_pending(concept, now))


def _lock(concept: Concept) -> None:
    lock_concept(concept)
    # The lock re-reads the row; the team and its invitations may have changed since they loaded.
    db.session.expire(concept, ["members", "invitations"])


def _require_lead(concept: Concept, user: User) -> None:
    if not (concept.is_owner(user) and concept.has_member(user)):
        raise ConceptError(ONLY_LEAD, kind=Problem.FORBIDDEN)


def _require_team_open(concept: Concept, now: datetime) -> None:
    """Raises ConceptError unless the team may still change (not withdrawn, before the deadline)."""
    if concept.state == ConceptState.WITHDRAWN:
        raise ConceptError(_l("This concept has been withdrawn, so its team can no longer change."), kind=Problem.CONFLICT)
    if not concept.is_writable(now, grace_seconds()):
        raise DeadlinePassedError(_l("The deadline for this concept has passed, so its team can no longer "
                                     "change."))


def _email_locale(email: str, fallback: User | None) -> str | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.locale:
        return user.locale
    return fallback.locale if fallback is not None else None


def team_label(concept: Concept) -> str:
    """The team's name, or the concept's title, or a neutral stand-in (for emails and headings)."""
    return concept.team_name or concept.title or str(_l("Team of concept C-%(id)s", id=concept.id))


# ---------------------------------------------------------------- invitations
def invite_team_member(*, concept: Concept, by: User, email: str, now: datetime) -> TeamInvitation:
    """Invite an email address to the team; an earlier pending invitation to it is replaced.

    Raises ConceptError (403 not the lead, 409 deadline/withdrawn/team full, 400 bad address).
    """
    _require_lead(concept, by)
    _lock(concept)
    _require_team_open(concept, now)
    email = _norm(email)
    if not email or "@" not in email or len(email) > 254:
        raise ConceptError(_l("Enter an email address, such as name@example.org."), field="email")
    limit = max_team_size(concept.challenge)
    if limit <= 1:
        raise ConceptError(_l("This challenge is for individuals: concepts cannot have a team."),
                           field="email", kind=Problem.CONFLICT)
    if any(_norm(m.user.email) == email for m in concept.members):
        raise ConceptError(_l("This person is already on the team."), field="email")
    # Re-sending to the same address replaces the pending invitation (new link, new expiry): the
    # old link stops working and the place it held is reused, so the count below excludes it.
    if _count_members(concept) + _count_pending(concept, now, except_email=email) >= limit:
        raise ConceptError(_l("The team is full: this challenge allows at most %(num)d people per team, "
                              "counting pending invitations. Withdraw an invitation first.", num=limit),
                           field="email", kind=Problem.CONFLICT)
    for earlier in concept.invitations:
        if _norm(earlier.email) == email and earlier.is_usable(now):
            earlier.revoked_at = now
            record_event(actor=by, action="team_invitation.replaced", object_type="team_invitation",
                         object_id=earlier.id, details={"concept_id": concept.id})
    ttl = invitation_ttl()
    token = secrets.token_urlsafe(32)
    invitation = TeamInvitation(concept_id=concept.id, email=email, token_hash=token_hash(token),
                                invited_by_id=by.id, created_at=now, expires_at=now + ttl)
    db.session.add(invitation)
    db.session.flush()
    challenge = concept.challenge
    queue_mail(to=email, template="concepts/team_invitation", locale=_email_locale(email, by),
               subject=_l("%(inviter)s invites you to a team for %(challenge)s", inviter=by.display_name,
                          challenge=challenge.title),
               inviter_name=by.display_name, challenge_title=challenge.title, team_name=concept.team_name or "",
               organisation_name=challenge.organisation.name,
               accept_url=external_url("concepts.team_invitation", token=token), days=max(1, ttl.days))
    record_event(actor=by, action="team_invitation.created", object_type="team_invitation",
                 object_id=invitation.id, details={"concept_id": concept.id})
    return invitation


def revoke_team_invitation(*, invitation: TeamInvitation, by: User, now: datetime) -> None:
    """Withdraw a pending invitation. Raises ConceptError."""
    concept = invitation.concept
    _require_lead(concept, by)
    _lock(concept)
    db.session.refresh(invitation)
    if not invitation.is_usable(now):
        raise ConceptError(_l("This invitation is no longer pending."), kind=Problem.CONFLICT)
    invitation.revoked_at = now
    record_event(actor=by, action="team_invitation.revoked", object_type="team_invitation",
                 object_id=invitation.id, details={"concept_id": concept.id})


def is_invitee(invitation: TeamInvitation, user: User) -> bool:
    return _norm(user.email) == _norm(invitation.email)


def _check_invitee(invitation: TeamInvitation, user: User, now: datetime) -> None:
    problem = invitation_problem(invitation, now)
    if problem:
        raise ConceptError(problem, kind=Problem.EXPIRED)
    if not is_invitee(invitation, user):
        raise ConceptError(_l("This invitation was sent to a different email address. Log in with the account "
                              "that uses that address, or ask the team lead to invite this one."), kind=Problem.FORBIDDEN)
    if not user.is_verified:
        raise ConceptError(_l("Please confirm your email address first: we sent you a link. Then open this "
                              "invitation again."), kind=Problem.FORBIDDEN)


def accept_team_invitation(*, invitation: TeamInvitation, user: User,
                           now: datetime) -> tuple[ConceptMember, bool]:
    """Join the team as a member; returns (member, created).

    Idempotent: accepting an invitation this user already accepted changes nothing.
    Raises ConceptError (410 unusable, 403 someone else's or not allowed to enter, 409 deadline,
    team full, or already on another concept of the challenge).
    """
    concept = invitation.concept
    # "One concept per person and challenge" spans concepts: take the challenge lock first, as
    # starting a concept does (workspace.start_concept), then the team's. Always in this order.
    lock_challenge(concept.challenge)
    _lock(concept)
    db.session.refresh(invitation)
    existing = concept.member_for(user)
    if existing is not None and is_invitee(invitation, user) and (
            invitation.accepted_by_id == user.id or invitation.is_usable(now)):
        if invitation.accepted_at is None:
            invitation.accepted_at, invitation.accepted_by_id = now, user.id
            record_event(actor=user, action="team_invitation.accepted", object_type="team_invitation",
                         object_id=invitation.id, details={"concept_id": concept.id, "already_member": True})
        return existing, False
    _check_invitee(invitation, user, now)
    _require_team_open(concept, now)
    challenge = concept.challenge
    problem = eligibility_problem(user, challenge)
    if problem:
        raise ConceptError(problem, kind=Problem.FORBIDDEN)
    problem = slot_problem(user, challenge, exclude_concept_id=concept.id)
    if problem:
        raise ConceptError(problem, kind=Problem.CONFLICT)
    limit = max_team_size(challenge)
    if _count_members(concept) >= limit:
        raise ConceptError(_l("The team is already full: this challenge allows at most %(num)d people per team. "
                              "Ask the team lead to make room.", num=limit), kind=Problem.CONFLICT)
    member = ConceptMember(concept_id=concept.id, challenge_id=concept.challenge_id, user_id=user.id,
                           role=MemberRole.MEMBER, joined_at=now)
    db.session.add(member)
    invitation.accepted_at, invitation.accepted_by_id = now, user.id
    db.session.flush()
    db.session.expire(concept, ["members"])
    record_event(actor=user, action="team_invitation.accepted", object_type="team_invitation",
                 object_id=invitation.id, details={"concept_id": concept.id})
    record_event(actor=user, action="concept_member.joined", object_type="concept_member", object_id=member.id,
                 details={"concept_id": concept.id, "user_id": user.id, "invitation_id": invitation.id})
    lead = concept.owner
    if lead is not None and lead.id != user.id:
        queue_mail(to=lead.email, template="concepts/team_invitation_accepted", locale=lead.locale,
                   subject=_l("%(name)s joined your team", name=user.display_name),
                   recipient_name=lead.display_name, member_name=user.display_name,
                   concept_title=concept.title or "", challenge_title=challenge.title,
                   team_url=external_url("concepts.team", concept_id=concept.id))
    return member, True


def decline_team_invitation(*, invitation: TeamInvitation, user: User, now: datetime) -> None:
    """Decline an invitation addressed to the user. Raises ConceptError."""
    concept = invitation.concept
    _lock(concept)
    db.session.refresh(invitation)
    _check_invitee(invitation, user, now)
    invitation.declined_at = now
    record_event(actor=user, action="team_invitation.declined", object_type="team_invitation",
                 object_id=invitation.id, details={"concept_id": concept.id})


# ---------------------------------------------------------------- members
def remove_team_member(*, concept: Concept, member: ConceptMember, by: User, now: datetime) -> None:
    """The lead removes a member, who loses access at once and is told by email. Raises ConceptError."""
    _require_lead(concept, by)
    _lock(concept)
    _require_team_open(concept, now)
    if member.concept_id != concept.id:
        raise ConceptError(_l("This person is not on the team."), kind=Problem.MISSING)
    if member.user_id == by.id or member.role == MemberRole.OWNER:
        raise ConceptError(_l("The team lead cannot be removed. Make someone else the lead first."), kind=Problem.CONFLICT)
    user = member.user
    record_event(actor=by, action="concept_member.removed", object_type="concept_member", object_id=member.id,
                 details={"concept_id": concept.id, "user_id": member.user_id})
    db.session.delete(member)
    db.session.flush()
    db.session.expire(concept, ["members"])
    queue_mail(to=user.email, template="concepts/team_member_removed", locale=user.locale,
               subject=_l("You are no longer on a team for %(challenge)s", challenge=concept.challenge.title),
               recipient_name=user.display_name, lead_name=by.display_name, concept_title=concept.title or "",
               team_name=concept.team_name or "", challenge_title=concept.challenge.title)


def leave_team(*, concept: Concept, user: User, now: datetime) -> None:
    """A member leaves the team. The lead cannot leave while others remain. Raises ConceptError."""
    member = concept.member_for(user)
    if member is None:
        raise ConceptError(_l("You are not on this team."), kind=Problem.MISSING)
    _lock(concept)
    _require_team_open(concept, now)
    member = concept.member_for(user)
    if member is None:
        raise ConceptError(_l("You are not on this team."), kind=Problem.MISSING)
    if member.role == MemberRole.OWNER or concept.owner_id == user.id:
        if len(concept.members) > 1:
            raise ConceptError(_l("You lead this team: make another member the lead before you leave."),
                               kind=Problem.CONFLICT)
        raise ConceptError(_l("You are the only member of this team. Withdraw the concept instead if you no "
                              "longer want to take part."), kind=Problem.CONFLICT)
    record_event(actor=user, action="concept_member.left", object_type="concept_member", object_id=member.id,
                 details={"concept_id": concept.id, "user_id": user.id})
    db.session.delete(member)
    db.session.flush()
    db.session.expire(concept, ["members"])


def make_team_lead(*, concept: Concept, member: ConceptMember, by: User, now: datetime) -> None:
    """The lead hands the lead role to another member. Raises ConceptError."""
    _require_lead(concept, by)
    _lock(concept)
    _require_team_open(concept, now)
    if member.concept_id != concept.id:
        raise ConceptError(_l("This person is not on the team."), kind=Problem.MISSING)
    if member.user_id == by.id:
        return
    for m in concept.members:
        m.role = MemberRole.OWNER if m.id == member.id else MemberRole.MEMBER
    concept.owner_id = member.user_id
    record_event(actor=by, action="concept.lead_changed", object_type="concept", object_id=concept.id,
                 details={"from_user_id": by.id, "to_user_id": member.user_id})


def rename_team(*, concept: Concept, by: User, team_name: str | None, now: datetime) -> bool:
    """The lead sets the team name (part of what is submitted); returns whether it changed. Raises ConceptError."""
    _require_lead(concept, by)
    _lock(concept)
    _require_team_open(concept, now)
    name = " ".join((team_name or "").split()) or None
    if name is not None and len(name) > TEAM_NAME_MAX:
        raise ConceptError(_l("The team name can be at most %(num)d characters long.", num=TEAM_NAME_MAX),
                           field="team_name")
    if name == concept.team_name:
        return False
    if concept.state == ConceptState.SUBMITTED:
        # The name is frozen with the submitted version: change it with the rest of the concept.
        raise ConceptError(_l("The team name is part of the submitted concept. Reopen the concept to change it, "
                              "then submit again."), field="team_name", kind=Problem.CONFLICT)
    concept.team_name = name
    # A saved change: raise the version so the next submit freezes the new name.
    concept.lock_version += 1
    concept.updated_at = now
    record_event(actor=by, action="concept.team_renamed", object_type="concept", object_id=concept.id,
                 details={"team_name": name or ""})
    return True


def set_name_consent(*, concept: Concept, user: User, show: bool) -> bool:
    """A member's own choice to have their name published with the concept (P08); returns whether it changed.

    Allowed at any time, also after the deadline: it is consent about one's own name.
    Raises ConceptError.
    """
    member = concept.member_for(user)
    if member is None:
        raise ConceptError(_l("You are not on this team."), kind=Problem.MISSING)
    show = bool(show)
    if member.show_name_publicly == show:
        return False
    member.show_name_publicly = show
    record_event(actor=user, action="concept_member.name_consent", object_type="concept_member",
                 object_id=member.id, details={"concept_id": concept.id, "show_name_publicly": show})
    return True
