"""Concepts: a team's private draft, its members and files, and the frozen versions it submits.

The draft (Concept, ConceptAttachment) is only ever shown to its team. What organisers, juries
and, after results, the public see is a ConceptVersion: a frozen copy made at each submit, with
its own list of files (ConceptVersionFile) and a SHA-256 fingerprint. The stored bytes are
content-addressed (app.core.files), so a file removed from the draft stays readable through
the versions that name it.

Rules of one row live here; rules across tables (team size, one concept per person and
challenge, the deadline at the moment of the write) live in the services.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import User
from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState, Tag
from app.core.files import STORED_FILE
from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db
from app.i18n import _l


def reference(concept_id: int) -> str:
    """The reference organisers and teams quote for a concept: "C-42"."""
    return f"C-{concept_id}"


class ConceptState(enum.StrEnum):
    DRAFT = "draft"            # being edited; an earlier submitted version may still count
    SUBMITTED = "submitted"    # frozen: the current content is the last submitted version
    WITHDRAWN = "withdrawn"    # taken back by the team; never shown to anyone else


CONCEPT_STATE_LABELS = {
    ConceptState.DRAFT: _l("Draft"),
    ConceptState.SUBMITTED: _l("Submitted"),
    ConceptState.WITHDRAWN: _l("Withdrawn"),
}


class MemberRole(enum.StrEnum):
    OWNER = "owner"      # started the concept; manages the team
    MEMBER = "member"


MEMBER_ROLE_LABELS = {MemberRole.OWNER: _l("Team lead"), MemberRole.MEMBER: _l("Team member")}

# Challenge states in which a concept's team may still write (before its own deadline).
WRITABLE_CHALLENGE_STATES = frozenset({ChallengeState.OPEN, ChallengeState.CLOSED})

concept_tags = Table(
    "concept_tags",
    db.metadata,
    Column("concept_id", ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Concept(db.Model):
    __tablename__ = "concepts"
    __table_args__ = (
        CheckConstraint("lock_version >= 1", name="lock_version_positive"),
        CheckConstraint("state IN ('draft', 'submitted', 'withdrawn')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_name: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(1000), default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    licence: Mapped[str | None] = mapped_column(String(24))
    cover_image_hash: Mapped[str | None] = mapped_column(String(64), info=STORED_FILE)
    cover_image_alt: Mapped[str | None] = mapped_column(String(250))
    state: Mapped[ConceptState] = mapped_column(String(10), default=ConceptState.DRAFT, index=True)
    # Raised by every saved change: the version check that keeps two tabs from overwriting each
    # other, and the key that makes a repeated submit of the same content idempotent (R04).
    lock_version: Mapped[int] = mapped_column(default=1)
    # The version that counts: the last one submitted, kept while the team reopens and edits.
    submitted_version_no: Mapped[int | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A documented extension for this team only (ConceptExtension keeps the history).
    extension_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ineligible_reason: Mapped[str | None] = mapped_column(String(1000))
    ineligible_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ineligible_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    members: Mapped[list[ConceptMember]] = relationship(back_populates="concept", cascade="all, delete-orphan",
                                                        order_by="ConceptMember.id")
    attachments: Mapped[list[ConceptAttachment]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="ConceptAttachment.id")
    versions: Mapped[list[ConceptVersion]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="ConceptVersion.number")
    invitations: Mapped[list[TeamInvitation]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="TeamInvitation.id")
    extensions: Mapped[list[ConceptExtension]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="ConceptExtension.id")
    tags: Mapped[list[Tag]] = relationship(secondary=concept_tags, order_by="Tag.slug")

    # -- rules of this row ---------------------------------------------------------------------

    def has_member(self, user: Any) -> bool:
        uid = getattr(user, "id", None)
        return uid is not None and any(m.user_id == uid for m in self.members)

    def member_for(self, user: Any) -> ConceptMember | None:
        uid = getattr(user, "id", None)
        return next((m for m in self.members if m.user_id == uid), None)

    def is_owner(self, user: Any) -> bool:
        uid = getattr(user, "id", None)
        return uid is not None and self.owner_id == uid

    # Entered and ineligible, in Python (on a row) and in SQL (Concept.is_entered in a where clause),
    # side by side; tests/concepts/test_rules_agree.py checks that the two agree.
    @hybrid_property
    def is_entered(self) -> bool:
        """A submitted version counts: the concept is in the competition (unless withdrawn)."""
        return self.submitted_version_no is not None and self.state != ConceptState.WITHDRAWN

    @is_entered.inplace.expression
    @classmethod
    def _is_entered_expression(cls) -> ColumnElement[bool]:
        return and_(cls.submitted_version_no.is_not(None), cls.state != ConceptState.WITHDRAWN)

    @hybrid_property
    def is_ineligible(self) -> bool:
        return self.ineligible_at is not None

    @is_ineligible.inplace.expression
    @classmethod
    def _is_ineligible_expression(cls) -> ColumnElement[bool]:
        return cls.ineligible_at.is_not(None)

    def deadline(self) -> datetime | None:
        """The team's deadline: the challenge's, or this team's extension if later."""
        base = self.challenge.deadline_at
        if self.extension_until is not None and (base is None or self.extension_until > base):
            return self.extension_until
        return base

    def write_closes_at(self, grace_seconds: int) -> datetime | None:
        deadline = self.deadline()
        return None if deadline is None else deadline + timedelta(seconds=max(0, grace_seconds))

    def is_writable(self, now: datetime, grace_seconds: int) -> bool:
        """May the team change, submit or withdraw at `now` (server clock, at the moment of the write)?"""
        if effective_state(self.challenge, now) not in WRITABLE_CHALLENGE_STATES:
            return False
        closes = self.write_closes_at(grace_seconds)
        return closes is None or now < closes

    def is_editable(self, now: datetime, grace_seconds: int) -> bool:
        """May the draft's text and files be changed now? Writable, and a draft (not submitted or
        withdrawn). services.workspace.require_editable refuses with the reason when it is not."""
        return self.state == ConceptState.DRAFT and self.is_writable(now, grace_seconds)

    def deadline_passed(self, now: datetime, grace_seconds: int) -> bool:
        """Past the team's own deadline (and grace): the entry is final and organisers may read it."""
        closes = self.write_closes_at(grace_seconds)
        if closes is None:
            return effective_state(self.challenge, now) not in WRITABLE_CHALLENGE_STATES
        return now >= closes

    def current_version(self) -> ConceptVersion | None:
        if self.submitted_version_no is None:
            return None
        return next((v for v in self.versions if v.number == self.submitted_version_no), None)

    def display_team_name(self) -> str:
        return self.team_name or ""


class ConceptMember(db.Model):
    __tablename__ = "concept_members"
    __table_args__ = (
        UniqueConstraint("concept_id", "user_id"),
        Index("ix_concept_members_challenge_user", "challenge_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    # Copied from the concept so "one concept per person and challenge" is one indexed query.
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(String(10), default=MemberRole.MEMBER)
    # P08: a member's name is published with a winning concept only when they opted in.
    show_name_publicly: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    concept: Mapped[Concept] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class ConceptAttachment(db.Model):
    """A file in the draft. Stored by content hash; the name is cleaned metadata only (S36)."""

    __tablename__ = "concept_attachments"
    __table_args__ = (UniqueConstraint("concept_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), index=True, info=STORED_FILE)
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    concept: Mapped[Concept] = relationship(back_populates="attachments")


class ConceptVersion(db.Model):
    """A submitted, frozen copy of a concept. Numbered from 1; the concept's submitted_version_no counts."""

    __tablename__ = "concept_versions"
    __table_args__ = (
        UniqueConstraint("concept_id", "number", name="uq_concept_versions_number"),
        # One version per saved state of the draft: twenty identical submits make one row (S22, R04).
        UniqueConstraint("concept_id", "source_lock_version", name="uq_concept_versions_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    source_lock_version: Mapped[int] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_name: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    body_md: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    licence: Mapped[str] = mapped_column(String(24))
    cover_image_hash: Mapped[str | None] = mapped_column(String(64), info=STORED_FILE)
    cover_image_alt: Mapped[str | None] = mapped_column(String(250))
    tag_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The user ids on the team at submit time (names are looked up, so an erased account stays erased).
    member_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # SHA-256 over the canonical content and the files' hashes (see services.fingerprint).
    fingerprint: Mapped[str] = mapped_column(String(64))
    total_bytes: Mapped[int] = mapped_column(default=0)

    concept: Mapped[Concept] = relationship(back_populates="versions")
    files: Mapped[list[ConceptVersionFile]] = relationship(back_populates="version", cascade="all, delete-orphan",
                                                           order_by="ConceptVersionFile.position")


class ConceptVersionFile(db.Model):
    __tablename__ = "concept_version_files"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("concept_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), index=True, info=STORED_FILE)
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column()

    version: Mapped[ConceptVersion] = relationship(back_populates="files")


class TeamInvitation(db.Model):
    """The team lead's invitation to join a concept, sent by email; single use, expiring, revocable."""

    __tablename__ = "team_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    concept: Mapped[Concept] = relationship(back_populates="invitations")

    # "Pending": not yet answered, not withdrawn, not expired. The rule in Python and in SQL, side
    # by side; tests/concepts/test_rules_agree.py checks that the two agree.
    def is_usable(self, now: datetime) -> bool:
        """Can the invitee still accept or decline it at `now`?"""
        return (self.accepted_at is None and self.declined_at is None and self.revoked_at is None
                and now < self.expires_at)

    @classmethod
    def usable_clause(cls, now: datetime) -> ColumnElement[bool]:
        """SQL condition matching is_usable(now)."""
        return and_(cls.accepted_at.is_(None), cls.declined_at.is_(None), cls.revoked_at.is_(None),
                    cls.expires_at > now)


class ConceptExtension(db.Model):
    """An organiser's documented extension of the deadline for one team."""

    __tablename__ = "concept_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(1000))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    concept: Mapped[Concept] = relationship(back_populates="extensions")
