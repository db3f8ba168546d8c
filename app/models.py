"""Imports every model so that metadata and relationships are complete (Alembic reads this)."""
from app.accounts.models import TermsAcceptance, User, UserSession  # noqa: F401
from app.challenges.models import (  # noqa: F401
    Announcement,
    Challenge,  # noqa: F401
    ChallengeAttachment,
    ChallengeSDG,
    ChangeLogEntry,
    Criterion,
    Follow,
    Question,
    StateTransition,
    Tag,
)
from app.concepts.models import (  # noqa: F401
    Concept,
    ConceptAttachment,
    ConceptExtension,
    ConceptMember,
    ConceptVersion,
    ConceptVersionFile,
    TeamInvitation,
)
from app.core.audit import AuditEvent  # noqa: F401
from app.mail.models import OutboxMessage  # noqa: F401
from app.organisations.models import Invitation, Membership, Organisation  # noqa: F401
