"""Challenges, their rubric, attachments, public change log, questions, announcements and follows."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.files import STORED_FILE
from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db
from app.i18n import _l
from app.organisations.models import Organisation


class ChallengeState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    JUDGING = "judging"
    RESULTS = "results"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


CHALLENGE_STATE_LABELS = {
    ChallengeState.DRAFT: _l("Draft"),
    ChallengeState.SCHEDULED: _l("Opens soon"),
    ChallengeState.OPEN: _l("Open for concepts"),
    ChallengeState.CLOSED: _l("Closed"),
    ChallengeState.JUDGING: _l("Judging"),
    ChallengeState.RESULTS: _l("Results published"),
    ChallengeState.ARCHIVED: _l("Archived"),
    ChallengeState.CANCELLED: _l("Cancelled"),
}

CURRENCIES = ("DKK", "NOK", "SEK", "EUR")
SOURCE_URL_MAX = 500
CHALLENGE_LANGUAGES = ("en", "da", "nb", "sv")


class Eligibility(enum.StrEnum):
    STUDENT = "student"
    YOUNG_PROFESSIONAL = "young_professional"
    STARTUP = "startup"
    ANYONE = "anyone"


ELIGIBILITY_LABELS = {
    Eligibility.STUDENT: _l("Students"),
    Eligibility.YOUNG_PROFESSIONAL: _l("Young professionals"),
    Eligibility.STARTUP: _l("Startups"),
    Eligibility.ANYONE: _l("Anyone"),
}

class Licence(enum.StrEnum):
    """Licences a team may choose for publication; each challenge accepts some of them."""
    CC_BY = "cc-by-4.0"
    CC_BY_SA = "cc-by-sa-4.0"
    CC_BY_NC = "cc-by-nc-4.0"
    RESERVED_SUMMARY = "reserved-summary"


LICENCE_LABELS = {
    Licence.CC_BY: _l("CC BY 4.0: anyone may share and adapt the concept, with credit"),
    Licence.CC_BY_SA: _l("CC BY-SA 4.0: anyone may share and adapt it, with credit, under the same licence"),
    Licence.CC_BY_NC: _l("CC BY-NC 4.0: anyone may share and adapt it, with credit, but not commercially"),
    Licence.RESERVED_SUMMARY: _l("All rights reserved; the organiser may publish the title and summary"),
}
LICENCE_SHORT = {
    Licence.CC_BY: "CC BY 4.0",
    Licence.CC_BY_SA: "CC BY-SA 4.0",
    Licence.CC_BY_NC: "CC BY-NC 4.0",
    Licence.RESERVED_SUMMARY: _l("All rights reserved (summary may be published)"),
}
# The licences under which the whole concept (text and files) may be published; the others allow
# the title and summary only.
OPEN_LICENCES = frozenset({Licence.CC_BY, Licence.CC_BY_SA, Licence.CC_BY_NC})


class ConceptPublication(enum.StrEnum):
    """What becomes public once results are published (always within each concept's licence)."""
    NONE = "none"
    WINNERS = "winners"
    ALL = "all"


CONCEPT_PUBLICATION_LABELS = {
    ConceptPublication.NONE: _l("No concepts are published"),
    ConceptPublication.WINNERS: _l("The winning concepts are published"),
    ConceptPublication.ALL: _l("All eligible submitted concepts are published"),
}


# The 17 UN Sustainable Development Goals, by number (a fixed, translated list).
SDG_LABELS = {
    1: _l("No poverty"),
    2: _l("Zero hunger"),
    3: _l("Good health and well-being"),
    4: _l("Quality education"),
    5: _l("Gender equality"),
    6: _l("Clean water and sanitation"),
    7: _l("Affordable and clean energy"),
    8: _l("Decent work and economic growth"),
    9: _l("Industry, innovation and infrastructure"),
    10: _l("Reduced inequalities"),
    11: _l("Sustainable cities and communities"),
    12: _l("Responsible consumption and production"),
    13: _l("Climate action"),
    14: _l("Life below water"),
    15: _l("Life on land"),
    16: _l("Peace, justice and strong institutions"),
    17: _l("Partnerships for the goals"),
}

# The one set of display names for the fields a change-log entry may mention: the public page, the
# manage page and the followers' email all read these. Unknown keys are shown as they are.
CHANGE_FIELD_LABELS: dict[str, Any] = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "problem_md": _l("Problem statement"),
    "background_md": _l("Background"),
    "language": _l("Language"),
    "opens_at": _l("Opens for concepts"),
    "deadline_at": _l("Submission deadline"),
    "judging_ends_at": _l("Judging ends"),
    "results_at": _l("Results announced"),
    "prize": _l("Prize money"),
    "prize_minor": _l("Prize money"),
    "currency": _l("Currency"),
    "prize_count": _l("Number of prizes"),
    "prize_split": _l("Split of the prize money"),
    "eligibility": _l("Who may enter"),
    "allow_individuals": _l("Individuals may enter"),
    "allow_teams": _l("Teams may enter"),
    "max_team_size": _l("Largest team"),
    "accepted_licences": _l("Licences teams may choose"),
    "concept_publication": _l("What is published after the results"),
    "max_concept_files": _l("Most files per concept"),
    "max_concept_file_mb": _l("Largest file, in megabytes"),
    "allow_multiple_concepts": _l("A person may be on several concepts"),
    "timezone": _l("Time zone"),
    "rubric": _l("Judging criteria"),
    "criteria": _l("Judging criteria"),
}


challenge_tags = Table(
    "challenge_tags",
    db.metadata,
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)  # lower-case, used in URLs and filters
    name: Mapped[str] = mapped_column(String(60))

    @property
    def label(self) -> str:
        """The name as shown: a capital first letter however it was typed ("affald" -> "Affald");
        the rest as written, so "IoT" stays "IoT"."""
        return self.name[:1].upper() + self.name[1:]


class Challenge(db.Model):
    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("prize_minor >= 0", name="prize_not_negative"),
        CheckConstraint("prize_count >= 1", name="prize_count_positive"),
        CheckConstraint("max_team_size >= 1", name="team_size_positive"),
        CheckConstraint("currency IN ('DKK', 'NOK', 'SEK', 'EUR')", name="currency_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    problem_md: Mapped[str] = mapped_column(Text, default="")
    background_md: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="en", index=True)
    cover_image_hash: Mapped[str | None] = mapped_column(String(64), info=STORED_FILE)
    cover_image_alt: Mapped[str | None] = mapped_column(String(250))
    # Money in integer minor units of `currency` (STYLE: never floats).
    prize_minor: Mapped[int] = mapped_column(default=0, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="DKK")
    prize_count: Mapped[int] = mapped_column(default=1)
    # Percentages of the prize money per place, summing to 100: [60, 30, 10].
    prize_split: Mapped[list[int]] = mapped_column(JSON, default=lambda: [100])
    eligibility: Mapped[list[str]] = mapped_column(JSON, default=lambda: [Eligibility.ANYONE.value])
    allow_individuals: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_teams: Mapped[bool] = mapped_column(Boolean, default=True)
    max_team_size: Mapped[int] = mapped_column(default=5)
    # A person may be on several concepts of this challenge only when this is set.
    allow_multiple_concepts: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    accepted_licences: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: [Licence.CC_BY.value, Licence.RESERVED_SUMMARY.value],
        server_default='["cc-by-4.0", "reserved-summary"]')
    concept_publication: Mapped[ConceptPublication] = mapped_column(
        String(10), default=ConceptPublication.WINNERS, server_default="winners")
    max_concept_files: Mapped[int] = mapped_column(default=5, server_default="5")
    max_concept_file_mb: Mapped[int] = mapped_column(default=10, server_default="10")
    # Blind judging (S19): jurors never learn who is behind a concept. Fixed once the first
    # concept is submitted (rubric_frozen_at), like the rubric.
    is_blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The timeline, stored in UTC; shown in the organisation's (or the viewer's) time zone.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    judging_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The state as last recorded. Time-driven steps (scheduled->open->closed) are computed on read
    # by lifecycle.effective_state(); the periodic task records them.
    state: Mapped[ChallengeState] = mapped_column(String(12), default=ChallengeState.DRAFT, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(1000))
    # Set when the first concept is submitted: the rubric can then change only by amendment (S21).
    rubric_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # An earlier challenge brought into the archive (services/archive.py): it never ran here, so it
    # has no rubric, concepts or jury; the original page and the winners' titles come with it.
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_url: Mapped[str | None] = mapped_column(String(SOURCE_URL_MAX))
    imported_winners: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    organisation: Mapped[Organisation] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(back_populates="challenge", cascade="all, delete-orphan",
                                                     order_by="Criterion.position")
    tags: Mapped[list[Tag]] = relationship(secondary=challenge_tags, order_by="Tag.slug")
    sdgs: Mapped[list[ChallengeSDG]] = relationship(cascade="all, delete-orphan", order_by="ChallengeSDG.goal")
    attachments: Mapped[list[ChallengeAttachment]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ChallengeAttachment.id")

    @property
    def sdg_numbers(self) -> list[int]:
        return [s.goal for s in self.sdgs]

    @property
    def is_imported(self) -> bool:
        return self.imported_at is not None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.state != ChallengeState.DRAFT

    def prize_amounts_minor(self) -> list[int]:
        """Each prize in minor units, per the split; rounding goes to the first prize."""
        split = self.prize_split or [100]
        amounts = [self.prize_minor * pct // 100 for pct in split]
        if amounts:
            amounts[0] += self.prize_minor - sum(amounts)
        return amounts


class ChallengeSDG(db.Model):
    __tablename__ = "challenge_sdgs"
    __table_args__ = (CheckConstraint("goal BETWEEN 1 AND 17", name="goal_range"),)

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    goal: Mapped[int] = mapped_column(Integer, primary_key=True)


class Criterion(db.Model):
    """A judging criterion of the rubric: weights of a challenge sum to 100."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
        CheckConstraint("scale_min < scale_max", name="scale_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    weight: Mapped[int] = mapped_column()
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    # Optional anchor text per level: {"1": "No evidence", "5": "Convincing evidence"}.
    anchors: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    challenge: Mapped[Challenge] = relationship(back_populates="criteria")


class ChallengeAttachment(db.Model):
    """A briefing file; bytes live under UPLOAD_DIR by content hash, served only through a view."""

    __tablename__ = "challenge_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # cleaned original name, metadata only (S36)
    content_hash: Mapped[str] = mapped_column(String(64), info=STORED_FILE)
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="attachments")


class StateTransition(db.Model):
    """Every recorded lifecycle step: who (None = the clock), from, to, when, why."""

    __tablename__ = "challenge_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChangeLogEntry(db.Model):
    """A public record of a change to a published challenge's rules, deadline, prize or rubric."""

    __tablename__ = "challenge_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    # What changed, as {"field": {"old": ..., "new": ...}} with display-ready values.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(1000))
    is_rubric_amendment: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    MERGED = "merged"
    DECLINED = "declined"


QUESTION_STATUS_LABELS = {
    QuestionStatus.PENDING: _l("Waiting for an answer"),
    QuestionStatus.ANSWERED: _l("Answered"),
    QuestionStatus.MERGED: _l("Merged with another question"),
    QuestionStatus.DECLINED: _l("Declined"),
}


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    # The asker is never shown publicly: only the question and the organiser's answer are (P08).
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(String(2000))
    status: Mapped[QuestionStatus] = mapped_column(String(10), default=QuestionStatus.PENDING, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    challenge: Mapped[Challenge] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])


class Announcement(db.Model):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Follow(db.Model):
    """A user follows a challenge or an organisation (exactly one of the two)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "challenge_id"),
        UniqueConstraint("user_id", "organisation_id", name="uq_follows_user_id_organisation"),
        CheckConstraint("(challenge_id IS NULL) <> (organisation_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                        index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
