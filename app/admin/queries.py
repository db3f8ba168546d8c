"""Read queries of the admin pages: platform counts, the lists an admin filters, a user's record."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.db import db
from app.organisations.models import Membership, Organisation, OrganisationStatus


@dataclass(frozen=True)
class Overview:
    users: dict[str, int]  # total, verified, admins, suspended
    organisations: dict[str, int]  # per status, zero included
    pending: list[Organisation]  # the oldest applications waiting, at most 10


def _count(stmt: Any) -> int:
    return db.session.scalar(stmt) or 0


def overview() -> Overview:
    by_status = dict(db.session.execute(
        select(Organisation.status, func.count()).group_by(Organisation.status)).tuples().all())
    users = {
        "total": _count(select(func.count()).select_from(User)),
        "verified": _count(select(func.count()).select_from(User).where(User.email_verified_at.is_not(None))),
        "admins": _count(select(func.count()).select_from(User).where(User.is_admin.is_(True))),
        "suspended": _count(select(func.count()).select_from(User).where(User.is_suspended.is_(True))),
    }
    pending = db.session.scalars(select(Organisation).where(Organisation.status == OrganisationStatus.PENDING)
                                 .order_by(Organisation.created_at, Organisation.id).limit(10)).all()
    return Overview(users, {s.value: by_status.get(s.value, 0) for s in OrganisationStatus}, list(pending))


def organisations(status: str) -> Select[tuple[Organisation]]:
    """Organisations with `status` ("all" for every one), newest first, for paginate()."""
    stmt = select(Organisation)
    if status != "all":
        stmt = stmt.where(Organisation.status == status)
    return stmt.order_by(Organisation.created_at.desc(), Organisation.id.desc())


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (wildcards escaped; bound as a parameter)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users(q: str) -> Select[tuple[User]]:
    """Users whose email or display name contains `q` (all when empty), newest first, for paginate()."""
    stmt = select(User)
    if q:
        pattern = _like_pattern(q)
        stmt = stmt.where(or_(User.email.ilike(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\")))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


@dataclass(frozen=True)
class UserRecord:
    memberships: list[Membership]
    events: list[AuditEvent]  # the latest 20 audit events about the user


def user_record(user: User) -> UserRecord:
    memberships = db.session.scalars(select(Membership).join(Membership.organisation)
                                     .where(Membership.user_id == user.id).order_by(Organisation.name)).all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user",
                                                          AuditEvent.object_id == user.id)
                                .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(20)).all()
    return UserRecord(list(memberships), list(events))


def audit_values(column: Any) -> list[str]:
    """The distinct values of an audit-log column: the only filter values the log page accepts (S31)."""
    return list(db.session.scalars(select(column).distinct().order_by(column)))


def audit_events(*, action: str, object_type: str) -> Select[tuple[AuditEvent]]:
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
