"""Organisation rules: applications and their review, profile edits, members and invitations.

Services check everything, then change; they never commit (the view does, once). Every
membership change and every review writes an audit event in the same transaction.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from slugify import slugify
from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError
from app.i18n import _l
from app.mail.services import external_url, queue_mail

from .models import (
    ROLE_LABELS,
    Country,
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
)
from .permissions import can_manage_members, membership_of

DEFAULT_TIMEZONES = {
    Country.DK: "Europe/Copenhagen",
    Country.NO: "Europe/Oslo",
    Country.SE: "Europe/Stockholm",
}
FALLBACK_TIMEZONE = "Europe/Copenhagen"
# Paths under /organisations/ that a slug must never shadow.
RESERVED_SLUGS = frozenset({"new", "mine"})
SLUG_MAX = 100

LAST_OWNER = _l("An organisation must always have at least one owner. Make another member an owner first.")
ONLY_OWNERS = _l("Only owners of this organisation can manage its members.")


def default_timezone(country: str) -> str:
    """The time zone an organisation gets when none is chosen: the country's, else the platform's."""
    return DEFAULT_TIMEZONES.get(country, FALLBACK_TIMEZONE)  # type: ignore[call-overload]


def unique_slug(name: str) -> str:
    """A URL slug for `name` that no organisation uses yet: base, base-2, base-3 ..."""
    base = slugify(name, max_length=SLUG_MAX, word_boundary=True) or "organisation"
    taken = set(db.session.scalars(select(Organisation.slug).where(
        or_(Organisation.slug == base, Organisation.slug.startswith(base + "-", autoescape=True)))))
    taken |= RESERVED_SLUGS
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_choices(kind: str, country: str) -> None:
    if kind not in set(OrganisationKind) or country not in set(Country):
        raise DomainError(_l("Please choose one of the listed options."))


def apply_for_organisation(*, applicant: User, name: str, kind: str, country: str, website: str | None,
                           description: str | None, contact_email: str, timezone: str | None,
                           logo_hash: str | None, now: datetime) -> Organisation:
    """Create a pending organisation owned by the applicant and tell the admins. Raises DomainError."""
    if not applicant.is_verified:
        raise DomainError(_l("Please confirm your email address before registering an organisation."))
    _check_choices(kind, country)
    organisation = Organisation(
        slug=unique_slug(name), name=name.strip(), kind=OrganisationKind(kind), country=Country(country),
        website=website or None, description=description or None,
        contact_email=contact_email.strip().lower(), timezone=timezone or default_timezone(country),
        logo_hash=logo_hash, status=OrganisationStatus.PENDING, created_by_id=applicant.id, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    db.session.add(Membership(organisation_id=organisation.id, user_id=applicant.id, role=Role.OWNER,
                              created_at=now))
    record_event(actor=applicant, action="organisation.applied", object_type="organisation",
                 object_id=organisation.id, details={"name": organisation.name})
    admins = db.session.scalars(select(User).where(User.is_admin.is_(True), User.is_suspended.is_(False))
                                .order_by(User.id)).all()
    for admin in admins:
        queue_mail(to=admin.email, template="organisations/application_received", locale=admin.locale,
                   subject=_l("New organisation application: %(name)s", name=organisation.name),
                   organisation=organisation, applicant_name=applicant.display_name,
                   review_url=external_url("admin.organisation_detail", org_id=organisation.id))
    return organisation


def update_organisation(*, organisation: Organisation, by: User, name: str, kind: str, country: str,
                        website: str | None, description: str | None, contact_email: str,
                        timezone: str | None, logo_hash: str | None, remove_logo: bool = False) -> list[str]:
    """Change the profile (the slug stays, so links keep working); returns the changed fields."""
    _check_choices(kind, country)
    new = {"name": name.strip(), "kind": kind, "country": country, "website": website or None,
           "description": description or None, "contact_email": contact_email.strip().lower(),
           "timezone": timezone or default_timezone(country)}
    if logo_hash:
        new["logo_hash"] = logo_hash
    elif remove_logo:
        new["logo_hash"] = None
    changed = [key for key, value in new.items() if getattr(organisation, key) != value]
    for key in changed:
        setattr(organisation, key, new[key])
    if changed:
        record_event(actor=by, action="organisation.updated", object_type="organisation",
                     object_id=organisation.id, details={"fields": changed})
    return changed


def _recipients_of_decision(organisation: Organisation) -> list[User]:
    applicant = db.session.get(User, organisation.created_by_id) if organisation.created_by_id else None
    if applicant is not None:
        return [applicant]
    return [m.user for m in organisation.memberships if m.role == Role.OWNER]


def _require_pending(organisation: Organisation) -> None:
    if organisation.status != OrganisationStatus.PENDING:
        raise DomainError(_l("This application has already been decided."))


def approve_organisation(*, organisation: Organisation, by: User, now: datetime) -> None:
    """Approve a pending application and email the applicant. Raises DomainError."""
    _require_pending(organisation)
    organisation.status = OrganisationStatus.APPROVED
    organisation.reviewed_at = now
    organisation.review_note = None
    record_event(actor=by, action="organisation.approved", object_type="organisation",
                 object_id=organisation.id, details={"name": organisation.name})
    for user in _recipients_of_decision(organisation):
        queue_mail(to=user.email, template="organisations/approved", locale=user.locale,
                   subject=_l("%(name)s is now on Concept Arena", name=organisation.name),
                   organisation=organisation, recipient_name=user.display_name,
                   organisation_url=external_url("organisations.detail", slug=organisation.slug),
                   members_url=external_url("organisations.members", slug=organisation.slug))


def reject_organisation(*, organisation: Organisation, by: User, reason: str, now: datetime) -> None:
    """Reject a pending application with a reason the applicant is told. Raises DomainError."""
    _require_pending(organisation)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Please give a reason: the applicant will read it."), field="reason")
    organisation.status = OrganisationStatus.REJECTED
    organisation.reviewed_at = now
    organisation.review_note = reason[:500]
    record_event(actor=by, action="organisation.rejected", object_type="organisation",
                 object_id=organisation.id, details={"name": organisation.name, "reason": reason[:500]})
    for user in _recipients_of_decision(organisation):
        queue_mail(to=user.email, template="organisations/rejected", locale=user.locale,
                   subject=_l("Your application for %(name)s was not approved", name=organisation.name),
                   organisation=organisation, recipient_name=user.display_name, reason=reason[:500])


# ---------------------------------------------------------------- members and invitations
def token_hash(token: str) -> str:
    """Invitation tokens are stored only as their SHA-256: a database leak hands out no invitations."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(token: str) -> Invitation | None:
    """The invitation a token from an email belongs to, if any."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def invitation_problem(invitation: Invitation, now: datetime) -> str | None:
    """Why an invitation can no longer be used (a translated message), or None if it can."""
    if invitation.revoked_at is not None:
        return str(_l("This invitation was withdrawn by the organisation."))
    if invitation.accepted_at is not None:
        return str(_l("This invitation has already been used."))
    if invitation.declined_at is not None:
        return str(_l("This invitation was declined."))
    if now >= invitation.expires_at:
        return str(_l("This invitation has expired. Ask the organisation to invite you again."))
    return None


def _lock(organisation: Organisation) -> None:
    # Two owners demoting each other at once must not leave the organisation without one:
    # lock the organisation row (PostgreSQL; SQLite writes are serialised by BEGIN IMMEDIATE).
    db.session.execute(select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())


def _owner_count(organisation: Organisation) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation.id, Membership.role == Role.OWNER)) or 0


def invite_member(*, organisation: Organisation, by: User, email: str, role: str, now: datetime,
                  ttl: timedelta) -> Invitation:
    """Invite an email address with a role; an earlier pending invitation to it is replaced.

    Raises DomainError.
    """
    if not can_manage_members(by, organisation):
        raise DomainError(ONLY_OWNERS)
    if role not in set(Role):
        raise DomainError(_l("Please choose one of the listed options."), field="role")
    email = email.strip().lower()
    member_emails = {m.user.email.lower() for m in organisation.memberships}
    if email in member_emails:
        raise DomainError(_l("This person is already a member of the organisation."), field="email")
    for earlier in organisation.invitations:
        if earlier.email == email and earlier.is_usable(now):
            earlier.revoked_at = now
    token = secrets.token_urlsafe(32)
    invitation = Invitation(organisation_id=organisation.id, email=email, role=Role(role),
                            token_hash=token_hash(token), invited_by_id=by.id, created_at=now,
                            expires_at=now + ttl)
    db.session.add(invitation)
    db.session.flush()
    invitee = db.session.scalar(select(User).where(User.email == email))
    queue_mail(to=email, template="organisations/invitation",
               locale=invitee.locale if invitee is not None and invitee.locale else by.locale,
               subject=_l("Invitation to join %(name)s on Concept Arena", name=organisation.name),
               organisation=organisation, inviter_name=by.display_name, role_label=ROLE_LABELS[Role(role)],
               accept_url=external_url("organisations.invitation", token=token), days=max(1, ttl.days))
    record_event(actor=by, action="invitation.created", object_type="invitation", object_id=invitation.id,
                 details={"organisation_id": organisation.id, "role": str(role)})
    return invitation


def revoke_invitation(*, invitation: Invitation, by: User, now: datetime) -> None:
    """Withdraw a pending invitation. Raises DomainError."""
    if not can_manage_members(by, invitation.organisation):
        raise DomainError(ONLY_OWNERS)
    if not invitation.is_usable(now):
        raise DomainError(_l("This invitation is no longer pending."))
    invitation.revoked_at = now
    record_event(actor=by, action="invitation.revoked", object_type="invitation", object_id=invitation.id,
                 details={"organisation_id": invitation.organisation_id})


def change_member_role(*, membership: Membership, role: str, by: User) -> bool:
    """Give a member another role; the last owner cannot be demoted. Returns whether it changed.

    Raises DomainError.
    """
    organisation = membership.organisation
    if not can_manage_members(by, organisation):
        raise DomainError(ONLY_OWNERS)
    if role not in set(Role):
        raise DomainError(_l("Please choose one of the listed options."), field="role")
    if membership.role == role:
        return False
    if membership.role == Role.OWNER:
        _lock(organisation)
        if _owner_count(organisation) <= 1:
            raise DomainError(LAST_OWNER)
    previous = str(membership.role)
    membership.role = Role(role)
    record_event(actor=by, action="membership.role_changed", object_type="membership", object_id=membership.id,
                 details={"organisation_id": organisation.id, "user_id": membership.user_id,
                          "from": previous, "to": str(role)})
    return True


def remove_member(*, membership: Membership, by: User) -> None:
    """Remove a member; the last owner can never be removed. Raises DomainError."""
    organisation = membership.organisation
    if not can_manage_members(by, organisation):
        raise DomainError(ONLY_OWNERS)
    if membership.role == Role.OWNER:
        _lock(organisation)
        if _owner_count(organisation) <= 1:
            raise DomainError(LAST_OWNER)
    record_event(actor=by, action="membership.removed", object_type="membership", object_id=membership.id,
                 details={"organisation_id": organisation.id, "user_id": membership.user_id,
                          "role": str(membership.role)})
    organisation.memberships.remove(membership)
    db.session.delete(membership)


def _check_invitee(invitation: Invitation, user: User, now: datetime) -> None:
    problem = invitation_problem(invitation, now)
    if problem:
        raise DomainError(problem)
    if user.email.strip().lower() != invitation.email.strip().lower():
        raise DomainError(_l("This invitation was sent to a different email address. Log in with the "
                             "account that uses that address, or ask the organisation to invite this one."))
    if not user.is_verified:
        raise DomainError(_l("Please confirm your email address first: we sent you a link. Then open "
                             "this invitation again."))


def accept_invitation(*, invitation: Invitation, user: User, now: datetime) -> tuple[Membership, bool]:
    """Join the organisation with the invited role; returns (membership, created).

    Idempotent: accepting again, or when already a member, changes nothing. Raises DomainError.
    """
    organisation = invitation.organisation
    existing = membership_of(user, organisation)
    if existing is not None and (invitation.accepted_at is not None or invitation.is_usable(now)) \
            and user.email.strip().lower() == invitation.email:
        if invitation.accepted_at is None:
            invitation.accepted_at = now
            record_event(actor=user, action="invitation.accepted", object_type="invitation",
                         object_id=invitation.id, details={"organisation_id": organisation.id,
                                                           "already_member": True})
        return existing, False
    _check_invitee(invitation, user, now)
    membership = Membership(organisation_id=organisation.id, user_id=user.id, role=Role(invitation.role),
                            created_at=now)
    organisation.memberships.append(membership)
    invitation.accepted_at = now
    db.session.flush()
    record_event(actor=user, action="invitation.accepted", object_type="invitation", object_id=invitation.id,
                 details={"organisation_id": organisation.id})
    record_event(actor=user, action="membership.created", object_type="membership", object_id=membership.id,
                 details={"organisation_id": organisation.id, "user_id": user.id,
                          "role": str(invitation.role), "invitation_id": invitation.id})
    return membership, True


def decline_invitation(*, invitation: Invitation, user: User, now: datetime) -> None:
    """Decline an invitation addressed to the user. Raises DomainError."""
    _check_invitee(invitation, user, now)
    invitation.declined_at = now
    record_event(actor=user, action="invitation.declined", object_type="invitation", object_id=invitation.id,
                 details={"organisation_id": invitation.organisation_id})
