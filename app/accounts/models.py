"""Users, their server-side sessions and their acceptance of the terms."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db
from app.i18n import _l


class ParticipantKind(enum.StrEnum):
    STUDENT = "student"
    YOUNG_PROFESSIONAL = "young_professional"
    STARTUP = "startup"
    ORGANISATION_STAFF = "organisation_staff"
    OTHER = "other"


PARTICIPANT_KIND_LABELS = {
    ParticipantKind.STUDENT: _l("Student"),
    ParticipantKind.YOUNG_PROFESSIONAL: _l("Young professional"),
    ParticipantKind.STARTUP: _l("Startup"),
    ParticipantKind.ORGANISATION_STAFF: _l("Organisation staff"),
    ParticipantKind.OTHER: _l("Other"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and trimmed; uniqueness is case-insensitive by construction.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    participant_kind: Mapped[ParticipantKind] = mapped_column(
        String(24), default=ParticipantKind.OTHER)
    institution: Mapped[str | None] = mapped_column(String(160))
    # The participant profile (issue 5): shown to teammates and, for eligibility, to organisers.
    country: Mapped[str | None] = mapped_column(String(2))
    bio: Mapped[str | None] = mapped_column(String(600))
    links: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set on accounts loaded by `flask demo load`; production refuses to start while any exist (S10).
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    newsletter_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", cascade="all, delete-orphan")
    acceptances: Mapped[list[TermsAcceptance]] = relationship(back_populates="user",
                                                              cascade="all, delete-orphan")

    # The server-side session this object was loaded through (set by the user loader and at login).
    session_key = None  # not a column
    session_info = None  # (created_at, remember) of that session, set with session_key; not a column

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.is_suspended

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie: the key of a server-side session row,
        # so that logout, a password change or suspension end the session for good (S13).
        if not self.session_key:
            raise RuntimeError("user has no server-side session")
        return self.session_key

    def password_fingerprint(self) -> str:
        """Changes whenever the password does; tokens carry it so they die with the old password (S07)."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:20]

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the random key in the cookie: a database leak does not hand out live sessions.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(back_populates="sessions")


class TermsAcceptance(db.Model):
    """Which version of the terms or privacy notice a user accepted, and when (P04)."""

    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "document", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    document: Mapped[str] = mapped_column(String(20))  # "terms" or "privacy"
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="acceptances")
