"""Organisations (municipalities, regions, companies, universities) and their staff."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.files import STORED_FILE
from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db
from app.i18n import _l


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    REGION = "region"
    COMPANY = "company"
    UNIVERSITY = "university"
    OTHER = "other"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.MUNICIPALITY: _l("Municipality"),
    OrganisationKind.REGION: _l("Region"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.UNIVERSITY: _l("University"),
    OrganisationKind.OTHER: _l("Other"),
}


class Country(enum.StrEnum):
    DK = "DK"
    NO = "NO"
    SE = "SE"
    OTHER = "other"


COUNTRY_LABELS = {
    Country.DK: _l("Denmark"),
    Country.NO: _l("Norway"),
    Country.SE: _l("Sweden"),
    Country.OTHER: _l("Other country"),
}


class OrganisationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


ORGANISATION_STATUS_LABELS = {
    OrganisationStatus.PENDING: _l("Awaiting approval"),
    OrganisationStatus.APPROVED: _l("Approved"),
    OrganisationStatus.REJECTED: _l("Rejected"),
}


class Role(enum.StrEnum):
    OWNER = "owner"
    EDITOR = "editor"


ROLE_LABELS = {Role.OWNER: _l("Owner"), Role.EDITOR: _l("Editor")}


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[OrganisationKind] = mapped_column(String(20))
    country: Mapped[Country] = mapped_column(String(8))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    # Public contact of the data controller for this organisation's challenges (P07).
    contact_email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    # Content hash of the stored, re-encoded logo (uploads live outside the web root).
    logo_hash: Mapped[str | None] = mapped_column(String(64), info=STORED_FILE)
    status: Mapped[OrganisationStatus] = mapped_column(String(12), default=OrganisationStatus.PENDING, index=True)
    review_note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation",
                                                         cascade="all, delete-orphan")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="organisation",
                                                         cascade="all, delete-orphan")

    @property
    def is_approved(self) -> bool:
        return self.status == OrganisationStatus.APPROVED


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An owner's invitation to join an organisation, sent by email; single use, expiring."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="invitations")

    def is_usable(self, now: datetime) -> bool:
        return (self.accepted_at is None and self.declined_at is None and self.revoked_at is None
                and now < self.expires_at)
