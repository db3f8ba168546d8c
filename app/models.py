"""Every mapped model in one tuple, so that metadata and relationships are complete before the
first query and Alembic's autogenerate sees every table (create_app calls `register_models`)."""
from __future__ import annotations

from app.accounts.models import TermsAcceptance, User, UserSession
from app.challenges.models import (
    Announcement,
    Challenge,
    ChallengeAttachment,
    ChallengeSDG,
    ChangeLogEntry,
    Criterion,
    Follow,
    Question,
    StateTransition,
    Tag,
)
from app.concepts.models import (
    Concept,
    ConceptAttachment,
    ConceptExtension,
    ConceptMember,
    ConceptVersion,
    ConceptVersionFile,
    TeamInvitation,
)
from app.core.audit import AuditEvent
from app.judging.models import (
    Assignment,
    Conflict,
    Decision,
    EntryLabel,
    JudgingRound,
    JuryInvitation,
    JurySeat,
    Placement,
    RankingBallot,
    ReminderSent,
    RoundEntry,
    RoundJuror,
    Score,
    ScoreSheet,
)
from app.mail.models import OutboxMessage
from app.organisations.models import Invitation, Membership, Organisation
from app.search.models import IndexChange

MODELS: tuple[type, ...] = (
    User, UserSession, TermsAcceptance, AuditEvent, OutboxMessage, Organisation, Membership, Invitation,
    Challenge, Criterion, ChallengeAttachment, ChallengeSDG, ChangeLogEntry, StateTransition, Question,
    Announcement, Follow, Tag, Concept, ConceptMember, ConceptAttachment, ConceptVersion, ConceptVersionFile,
    TeamInvitation, ConceptExtension, JurySeat, JuryInvitation, EntryLabel, JudgingRound, RoundJuror,
    RoundEntry, Assignment, Conflict, ScoreSheet, Score, RankingBallot, ReminderSent, Decision, Placement,
    IndexChange,
)


def register_models() -> tuple[type, ...]:
    """Every model class; relationships between them resolve once all are mapped."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    return MODELS
