"""Read queries of the admin pages: platform counts, the lists an admin filters, a user's record."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from app.accounts.models import User
from app.admin.labels import REFERENCE_KEYS
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptVersion, reference
from app.core.audit import AuditEvent
from app.db import db
from app.mail.services import outbox_counts
from app.organisations.models import Membership, Organisation, OrganisationStatus


@dataclass(frozen=True)
class Overview:
    users: dict[str, int]  # total, verified, admins, suspended, new (created this month)
    organisations: dict[str, int]  # per status, zero included
    pending: list[Organisation]  # the oldest applications waiting, at most 10
    challenges: dict[str, int]  # per state, zero included
    concepts_this_month: int  # concepts with a version submitted since month_start
    mail: dict[str, int]  # outbox rows per status, zero included


def _count(stmt: Any) -> int:
    return db.session.scalar(stmt) or 0


def overview(*, month_start: datetime) -> Overview:
    """The platform's figures for the admin home; `month_start` is the month's first moment (UTC)."""
    by_status = dict(db.session.execute(
        select(Organisation.status, func.count()).group_by(Organisation.status)).tuples().all())
    users = {
        "total": _count(select(func.count()).select_from(User)),
        "verified": _count(select(func.count()).select_from(User).where(User.email_verified_at.is_not(None))),
        "admins": _count(select(func.count()).select_from(User).where(User.is_admin.is_(True))),
        "suspended": _count(select(func.count()).select_from(User).where(User.is_suspended.is_(True))),
        "new": _count(select(func.count()).select_from(User).where(User.created_at >= month_start)),
    }
    pending = db.session.scalars(select(Organisation).where(Organisation.status == OrganisationStatus.PENDING)
                                 .order_by(Organisation.created_at, Organisation.id).limit(10)).all()
    by_state = {str(state): count for state, count in db.session.execute(
        select(Challenge.state, func.count()).group_by(Challenge.state)).tuples()}
    concepts = _count(select(func.count(ConceptVersion.concept_id.distinct()))
                      .where(ConceptVersion.submitted_at >= month_start))
    return Overview(users, {s.value: by_status.get(s.value, 0) for s in OrganisationStatus}, list(pending),
                    {s.value: by_state.get(s.value, 0) for s in ChallengeState}, concepts, outbox_counts())


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


@dataclass(frozen=True)
class AuditFilters:
    """The audit log's filters, already checked by the form (S31); None means "any"."""
    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    since: datetime | None = None  # UTC, inclusive
    before: datetime | None = None  # UTC, exclusive


def audit_events(filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    """Audit events matching `filters`, newest first, for paginate()."""
    stmt = select(AuditEvent)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.created_at >= filters.since)
    if filters.before is not None:
        stmt = stmt.where(AuditEvent.created_at < filters.before)
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def find_actor(text: str) -> User | None:
    """The user an admin means by an email address or a user number (as the log's links write it)."""
    text = text.strip().lstrip("#")
    if text.isdigit() and len(text) <= 12:
        return db.session.get(User, int(text))
    return db.session.scalar(select(User).where(func.lower(User.email) == text.lower()))


@dataclass(frozen=True)
class Named:
    """What the log page needs to name an object: a name and, where it has one, its page."""
    name: str
    endpoint: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # shown beside the name: a user's email address


def _detail_refs(details: Any) -> Iterator[tuple[str, int]]:
    if isinstance(details, dict):
        for key, value in details.items():
            if key in REFERENCE_KEYS and isinstance(value, int) and not isinstance(value, bool):
                yield REFERENCE_KEYS[key][0], value


def audit_names(events: list[AuditEvent]) -> dict[tuple[str, int], Named]:
    """Names for the actors, objects and referenced ids of a page of events, keyed (kind, id).

    One query per kind of object, whatever the page length: users, concepts, challenges,
    organisations (a concept names its challenge, so concepts come before challenges).
    """
    wanted: dict[str, set[int]] = {"user": set(), "organisation": set(), "challenge": set(), "concept": set()}
    for event in events:
        if event.actor_id is not None:
            wanted["user"].add(event.actor_id)
        if event.object_type in wanted and event.object_id is not None:
            wanted[event.object_type].add(event.object_id)
        for kind, ref in _detail_refs(event.details):
            wanted[kind].add(ref)
    names: dict[tuple[str, int], Named] = {}
    if wanted["user"]:
        for uid, display_name, email in db.session.execute(
                select(User.id, User.display_name, User.email).where(User.id.in_(wanted["user"]))):
            names["user", uid] = Named(display_name or email, "admin.user_detail", {"user_id": uid},
                                       email if display_name and display_name != email else None)
    if wanted["concept"]:
        for cid, title, challenge_id in db.session.execute(
                select(Concept.id, Concept.title, Concept.challenge_id).where(Concept.id.in_(wanted["concept"]))):
            # An admin has no page of a team's concept: its name, and its challenge beside it.
            names["concept", cid] = Named(title or reference(cid), None, {"challenge_id": challenge_id})
            wanted["challenge"].add(challenge_id)
    if wanted["challenge"]:
        for cid, title, slug in db.session.execute(
                select(Challenge.id, Challenge.title, Challenge.slug).where(Challenge.id.in_(wanted["challenge"]))):
            names["challenge", cid] = Named(title, "challenges.detail", {"slug": slug})
    if wanted["organisation"]:
        for oid, name in db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted["organisation"]))):
            names["organisation", oid] = Named(name, "admin.organisation_detail", {"org_id": oid})
    return names
