"""Who may see and do what with an organisation: pure predicates for views and templates (S17, S18)."""
from __future__ import annotations

from typing import TypeAlias

from flask_login import AnonymousUserMixin

from app.accounts.models import User

from .models import Membership, Organisation, Role

AnyUser: TypeAlias = User | AnonymousUserMixin | None


def _user_id(user: AnyUser) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def _is_admin(user: AnyUser) -> bool:
    return _user_id(user) is not None and bool(getattr(user, "is_admin", False))


def membership_of(user: AnyUser, organisation: Organisation) -> Membership | None:
    """The user's membership of the organisation, if any."""
    uid = _user_id(user)
    if uid is None:
        return None
    return next((m for m in organisation.memberships if m.user_id == uid), None)


def is_member(user: AnyUser, organisation: Organisation) -> bool:
    """An owner or editor of the organisation."""
    return membership_of(user, organisation) is not None


def is_owner(user: AnyUser, organisation: Organisation) -> bool:
    """An owner of the organisation."""
    membership = membership_of(user, organisation)
    return membership is not None and membership.role == Role.OWNER


def can_view_organisation(user: AnyUser, organisation: Organisation) -> bool:
    """Approved organisations are public; pending and rejected ones only for members and admins."""
    return organisation.is_approved or is_member(user, organisation) or _is_admin(user)


def can_edit_organisation(user: AnyUser, organisation: Organisation) -> bool:
    """Owners and editors edit the profile."""
    return is_member(user, organisation)


def can_view_members(user: AnyUser, organisation: Organisation) -> bool:
    """The member list is for the organisation's staff and platform admins."""
    return is_member(user, organisation) or _is_admin(user)


def can_manage_members(user: AnyUser, organisation: Organisation) -> bool:
    """Only owners invite, revoke, change roles and remove; admins and editors only look."""
    return is_owner(user, organisation)
