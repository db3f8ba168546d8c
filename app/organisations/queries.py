"""Read queries of the organisations feature that pages and other features use."""
from __future__ import annotations

from sqlalchemy import Select, select

from app.db import db
from app.organisations.models import Membership, Organisation, OrganisationStatus


def approved_organisations(*, kind: str | None = None, country: str | None = None) -> Select[tuple[Organisation]]:
    """Approved organisations, by name, optionally of one kind and country (for paginate())."""
    stmt = select(Organisation).where(Organisation.status == OrganisationStatus.APPROVED)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if country:
        stmt = stmt.where(Organisation.country == country)
    return stmt.order_by(Organisation.name, Organisation.id)


def first_approved(limit: int) -> list[Organisation]:
    """The first `limit` approved organisations by name (the home page)."""
    return list(db.session.scalars(select(Organisation).where(Organisation.status == OrganisationStatus.APPROVED)
                                   .order_by(Organisation.name).limit(limit)))


def memberships_of(user_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).join(Membership.organisation)
                                   .where(Membership.user_id == user_id).order_by(Organisation.name)))


def organisation_by_slug(slug: str) -> Organisation | None:
    """The organisation with this slug, whatever its status (callers check who may see it)."""
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))
