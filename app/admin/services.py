"""Platform-admin actions on accounts: suspend, unsuspend, grant and revoke admin rights.

They sit here rather than in accounts/ because only the admin pages perform them; each writes
an audit event (who, what, when, which object) in the caller's transaction and never commits.
"""
from __future__ import annotations

from app.accounts.auth import end_all_sessions
from app.accounts.models import User
from app.core.audit import record_event
from app.errors import DomainError
from app.i18n import _l


def _require_other(user: User, by: User, message: object) -> None:
    if user.id == by.id:
        raise DomainError(message)


def suspend_user(*, user: User, by: User) -> None:
    """Suspend an account and end all its sessions at once (S13). Raises DomainError."""
    _require_other(user, by, _l("You cannot suspend your own account."))
    if user.is_suspended:
        raise DomainError(_l("This account is already suspended."))
    user.is_suspended = True
    end_all_sessions(user)
    record_event(actor=by, action="user.suspended", object_type="user", object_id=user.id)


def unsuspend_user(*, user: User, by: User) -> None:
    """Lift a suspension. Raises DomainError."""
    if not user.is_suspended:
        raise DomainError(_l("This account is not suspended."))
    user.is_suspended = False
    record_event(actor=by, action="user.unsuspended", object_type="user", object_id=user.id)


def grant_admin(*, user: User, by: User) -> None:
    """Make a user a platform admin. Raises DomainError."""
    _require_other(user, by, _l("You cannot change your own administrator rights."))
    if user.is_admin:
        raise DomainError(_l("This user is already an administrator."))
    if user.is_suspended or not user.is_verified:
        raise DomainError(_l("Only active accounts with a confirmed email address can become administrators."))
    user.is_admin = True
    record_event(actor=by, action="user.admin_granted", object_type="user", object_id=user.id)


def revoke_admin(*, user: User, by: User) -> None:
    """Take platform admin rights away; never your own, so at least one admin always remains."""
    _require_other(user, by, _l("You cannot change your own administrator rights."))
    if not user.is_admin:
        raise DomainError(_l("This user is not an administrator."))
    user.is_admin = False
    record_event(actor=by, action="user.admin_revoked", object_type="user", object_id=user.id)
