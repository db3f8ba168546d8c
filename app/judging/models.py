"""Judging: the jury of a challenge, its rounds, conflicts, assignments, score sheets, rankings and
the decision.

A juror is a seat (JurySeat) on one challenge's jury; everything a juror does hangs off the seat,
so removing a juror (removed_at) keeps their sheets in the record, marked. Concepts are judged
through their frozen submitted version; jurors know them by a stable pseudonymous label
(EntryLabel: "C-017"), never by the database id, so a blind jury cannot count or guess entries.

Rules of one row live here; rules across tables live in services/.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import User
from app.challenges.models import Challenge
from app.concepts.models import Concept, ConceptVersion
from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db
from app.i18n import _l


def entry_label(number: int) -> str:
    """The label a jury knows an entry by: "C-017" (zero-padded, three digits at least)."""
    return f"C-{number:03d}"


class JurySeat(db.Model):
    """A user's place on a challenge's jury. Removal is a mark, never a delete (scores stay)."""

    __tablename__ = "jury_seats"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the published jury list shows; the juror chooses (defaults to the display name).
    public_name: Mapped[str | None] = mapped_column(String(120))
    public_title: Mapped[str | None] = mapped_column(String(160))
    show_publicly: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set once the juror has been through the list of entries and declared their conflicts (P09):
    # no concept content is shown before.
    conflicts_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_reason: Mapped[str | None] = mapped_column(String(1000))

    challenge: Mapped[Challenge] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    def shown_name(self) -> str:
        return self.public_name or self.user.display_name


class JuryInvitation(db.Model):
    """Staff's invitation to sit on a jury, sent by email; hashed, expiring, single use (S07)."""

    __tablename__ = "jury_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    as_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    challenge: Mapped[Challenge] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return (self.accepted_at is None and self.declined_at is None and self.revoked_at is None
                and now < self.expires_at)

    @classmethod
    def usable_clause(cls, now: datetime) -> ColumnElement[bool]:
        """SQL condition matching is_usable(now)."""
        return and_(cls.accepted_at.is_(None), cls.declined_at.is_(None), cls.revoked_at.is_(None),
                    cls.expires_at > now)


class EntryLabel(db.Model):
    """An entry's stable pseudonym within its challenge's judging ("C-017"), drawn in random order
    when judging starts so that it reveals neither the submission order nor the database id.

    `mentions` holds what the blind check found when the label was drawn: the strings of the
    frozen version (text or files) that name a member, their email or institution, shown to the
    chair as "identifies itself"."""

    __tablename__ = "entry_labels"
    __table_args__ = (
        UniqueConstraint("challenge_id", "number"),
        UniqueConstraint("concept_id"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)

    concept: Mapped[Concept] = relationship()

    @property
    def label(self) -> str:
        return entry_label(self.number)


class RoundMethod(enum.StrEnum):
    RUBRIC = "rubric"      # every juror fills a score sheet per concept
    RANKING = "ranking"    # every juror ranks the shortlist; Schulze combines the rankings


ROUND_METHOD_LABELS = {
    RoundMethod.RUBRIC: _l("Score sheets against the rubric"),
    RoundMethod.RANKING: _l("Each juror ranks the shortlist (Schulze method)"),
}


class RoundState(enum.StrEnum):
    OPEN = "open"          # jurors score
    CLOSED = "closed"      # the chair has advanced concepts to the next round, or decided


class JudgingRound(db.Model):
    """One round of judging (longlist, shortlist, final): its jurors, criteria and deadline."""

    __tablename__ = "judging_rounds"
    __table_args__ = (
        UniqueConstraint("challenge_id", "position"),
        CheckConstraint("method IN ('rubric', 'ranking')", name="method_known"),
        CheckConstraint("state IN ('open', 'closed')", name="state_known"),
        CheckConstraint("jurors_per_concept IS NULL OR jurors_per_concept >= 1", name="k_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(120))
    method: Mapped[RoundMethod] = mapped_column(String(10), default=RoundMethod.RUBRIC)
    # The criteria this round scores, as Criterion ids; empty means the whole rubric.
    criterion_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None: every juror of the round scores every unconflicted entry; k: balanced assignment.
    jurors_per_concept: Mapped[int | None] = mapped_column()
    state: Mapped[RoundState] = mapped_column(String(10), default=RoundState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    challenge: Mapped[Challenge] = relationship()
    jurors: Mapped[list[RoundJuror]] = relationship(back_populates="round", cascade="all, delete-orphan")
    entries: Mapped[list[RoundEntry]] = relationship(back_populates="round", cascade="all, delete-orphan")

    def criteria(self) -> list[Any]:
        """The rubric's criteria this round scores, in rubric order."""
        chosen = set(self.criterion_ids or [])
        return [c for c in self.challenge.criteria if not chosen or c.id in chosen]


class RoundJuror(db.Model):
    __tablename__ = "round_jurors"
    __table_args__ = (UniqueConstraint("round_id", "seat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"), index=True)

    round: Mapped[JudgingRound] = relationship(back_populates="jurors")
    seat: Mapped[JurySeat] = relationship()


class RoundEntry(db.Model):
    """A concept in a round: all eligible entries in the first; those advanced in the next ones."""

    __tablename__ = "round_entries"
    __table_args__ = (UniqueConstraint("round_id", "concept_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    # Why it is here when the chair advanced it by hand rather than by rank.
    note: Mapped[str | None] = mapped_column(String(1000))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[JudgingRound] = relationship(back_populates="entries")
    concept: Mapped[Concept] = relationship()


class AssignmentSource(enum.StrEnum):
    EVERYONE = "everyone"  # the default: every juror scores every unconflicted entry
    AUTO = "auto"          # judging.assignment.assign
    MANUAL = "manual"      # the chair's hand edit


class Assignment(db.Model):
    """Which juror reads which concept in a round."""

    __tablename__ = "judging_assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "seat_id", "concept_id"),
        Index("ix_judging_assignments_round_concept", "round_id", "concept_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"))
    source: Mapped[AssignmentSource] = mapped_column(String(10), default=AssignmentSource.EVERYONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    seat: Mapped[JurySeat] = relationship()


class ConflictOrigin(enum.StrEnum):
    DECLARED = "declared"    # the juror said so
    FLAGGED = "flagged"      # the platform suspects it; the chair confirms or dismisses


class ConflictStatus(enum.StrEnum):
    DECLARED = "declared"    # in force, by the juror's own word
    SUGGESTED = "suggested"  # a flag waiting for the chair
    CONFIRMED = "confirmed"  # in force, by the chair
    DISMISSED = "dismissed"  # the chair found no conflict


# A conflict in force keeps the juror away from the concept for good.
CONFLICT_IN_FORCE = frozenset({ConflictStatus.DECLARED, ConflictStatus.CONFIRMED})


class FlagKind(enum.StrEnum):
    EMAIL_DOMAIN = "email_domain"
    INSTITUTION = "institution"
    ORGANISATION = "organisation"
    FORMER_TEAMMATE = "former_teammate"


FLAG_KIND_LABELS = {
    FlagKind.EMAIL_DOMAIN: _l("Same email domain"),
    FlagKind.INSTITUTION: _l("Same institution or company"),
    FlagKind.ORGANISATION: _l("Member of the same organisation"),
    FlagKind.FORMER_TEAMMATE: _l("On one team in an earlier challenge"),
}


class Conflict(db.Model):
    """A conflict of interest between a juror and a concept (P09), declared or flagged."""

    __tablename__ = "judging_conflicts"
    __table_args__ = (
        UniqueConstraint("seat_id", "concept_id", "origin", name="uq_judging_conflicts_seat_concept_origin"),
        CheckConstraint("origin IN ('declared', 'flagged')", name="origin_known"),
        CheckConstraint("status IN ('declared', 'suggested', 'confirmed', 'dismissed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    origin: Mapped[ConflictOrigin] = mapped_column(String(10))
    status: Mapped[ConflictStatus] = mapped_column(String(10))
    # The juror's reason when declared; for a flag, its kinds (FlagKind values) and what matched,
    # e.g. {"kinds": ["email_domain"], "detail": "example.org"} (shown to the chair only).
    reason: Mapped[str | None] = mapped_column(String(1000))
    flag: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    seat: Mapped[JurySeat] = relationship()

    @property
    def in_force(self) -> bool:
        return self.status in CONFLICT_IN_FORCE


class SheetState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ScoreSheet(db.Model):
    """One juror's scores for one concept in one round: one row whatever the number of saves (S22)."""

    __tablename__ = "score_sheets"
    __table_args__ = (
        UniqueConstraint("round_id", "seat_id", "concept_id"),
        CheckConstraint("lock_version >= 1", name="lock_version_positive"),
        CheckConstraint("state IN ('draft', 'submitted')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"), index=True)
    # The frozen version the juror read and scored.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("concept_versions.id", ondelete="SET NULL"))
    state: Mapped[SheetState] = mapped_column(String(10), default=SheetState.DRAFT)
    # Raised by every save: two tabs on one sheet cannot overwrite each other (as for drafts).
    lock_version: Mapped[int] = mapped_column(default=1)
    # Released to the team with the results (never with the juror's name).
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    # Read by the jury only.
    private_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    seat: Mapped[JurySeat] = relationship()
    version: Mapped[ConceptVersion | None] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="sheet", cascade="all, delete-orphan",
                                               order_by="Score.criterion_id")

    @property
    def is_submitted(self) -> bool:
        return self.state == SheetState.SUBMITTED


class Score(db.Model):
    """A criterion's score on a sheet (None until the juror gives one) and the juror's comment."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    value: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class RankingBallot(db.Model):
    """A juror's ranking of a ranking round's shortlist: {concept id: rank}, 1 is best."""

    __tablename__ = "ranking_ballots"
    __table_args__ = (
        UniqueConstraint("round_id", "seat_id"),
        CheckConstraint("lock_version >= 1", name="lock_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"), index=True)
    ranks: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    state: Mapped[SheetState] = mapped_column(String(10), default=SheetState.DRAFT)
    lock_version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    seat: Mapped[JurySeat] = relationship()


class ReminderKind(enum.StrEnum):
    WEEK = "7d"
    DAY = "1d"


class ReminderSent(db.Model):
    """The deadline reminders already sent, so the periodic task sends each once (the chair's
    "remind" presses are audit events, not rows here)."""

    __tablename__ = "judging_reminders"
    __table_args__ = (UniqueConstraint("round_id", "seat_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("jury_seats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(4))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DecisionState(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class Decision(db.Model):
    """The jury's decision for a challenge: placements with prizes and citations, or no winner."""

    __tablename__ = "judging_decisions"
    __table_args__ = (
        UniqueConstraint("challenge_id"),
        CheckConstraint("state IN ('draft', 'final')", name="state_known"),
        CheckConstraint("lock_version >= 1", name="lock_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    state: Mapped[DecisionState] = mapped_column(String(10), default=DecisionState.DRAFT)
    # Set when the challenge ends without winners: the public reason.
    no_winner_reason: Mapped[str | None] = mapped_column(String(1000))
    # Where prize money does not add up to the purse: what happens to the rest (published).
    remainder_note: Mapped[str | None] = mapped_column(String(1000))
    # A short public report from the jury, shown with the results.
    report_md: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship()
    placements: Mapped[list[Placement]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="Placement.position")

    @property
    def is_final(self) -> bool:
        return self.state == DecisionState.FINAL


class PlacementKind(enum.StrEnum):
    PRIZE = "prize"
    MENTION = "mention"    # honourable mention, no prize money


class Placement(db.Model):
    __tablename__ = "judging_placements"
    __table_args__ = (
        UniqueConstraint("decision_id", "concept_id"),
        CheckConstraint("prize_minor >= 0", name="prize_not_negative"),
        CheckConstraint("kind IN ('prize', 'mention')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("judging_decisions.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"))
    kind: Mapped[PlacementKind] = mapped_column(String(10), default=PlacementKind.PRIZE)
    # 1 for the first prize; mentions are ordered after the prizes.
    position: Mapped[int] = mapped_column(default=1)
    prize_minor: Mapped[int] = mapped_column(default=0)
    citation: Mapped[str] = mapped_column(Text, default="")

    decision: Mapped[Decision] = relationship(back_populates="placements")
    concept: Mapped[Concept] = relationship()
