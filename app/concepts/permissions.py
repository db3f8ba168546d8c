"""Who may see and do what with a concept: pure predicates for views and templates (S17).

The rules, from issue 5:
- a draft, and the live workspace of any concept, is seen only by its team;
- before the team's deadline the organisation sees counts only;
- after it, the organisation's staff (and platform admins) see the *submitted version* of an
  entered concept; withdrawn concepts and never-submitted drafts stay with the team;
- after results, entered and eligible concepts become public according to the challenge's
  publication setting and the concept's licence (the whole concept, or the summary only).
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from app.challenges.models import OPEN_LICENCES, ChallengeState, ConceptPublication
from app.challenges.permissions import is_staff_of_challenge
from app.concepts import signals
from app.concepts.models import Concept
from app.organisations.permissions import AnyUser, _is_admin

RESULT_STATES = frozenset({ChallengeState.RESULTS, ChallengeState.ARCHIVED})


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_team_member(user: AnyUser, concept: Concept) -> bool:
    return _authenticated(user) and concept.has_member(user)


def is_team_lead(user: AnyUser, concept: Concept) -> bool:
    return _authenticated(user) and concept.is_owner(user) and concept.has_member(user)


def can_edit_concept(user: AnyUser, concept: Concept, now: datetime, grace_seconds: int) -> bool:
    """Team members edit the draft's text and files while it is a draft and their deadline has not passed."""
    return is_team_member(user, concept) and concept.is_editable(now, grace_seconds)


def can_manage_team(user: AnyUser, concept: Concept, now: datetime, grace_seconds: int) -> bool:
    """The team lead invites and removes members, before the deadline."""
    return is_team_lead(user, concept) and concept.is_writable(now, grace_seconds)


def can_review_entries(user: AnyUser, challenge: Any) -> bool:
    """The organisation's staff and platform admins may read entered concepts (once their deadline passed)."""
    return is_staff_of_challenge(user, challenge) or _is_admin(user)


def can_view_entry(user: AnyUser, concept: Concept, now: datetime, grace_seconds: int) -> bool:
    """May `user` read the counting submitted version as an organiser (not as the team)?"""
    return (can_review_entries(user, concept.challenge) and concept.is_entered
            and concept.deadline_passed(now, grace_seconds))


def public_level(concept: Concept, *, winner_ids: Collection[int] | None = None) -> str | None:
    """What the public may read of this concept: "full", "summary" or None (nothing). Under the
    `winners` setting only placed concepts: `winner_ids` when the caller has them (a list page asks
    once), else asked of judging through `signals.winners_requested`."""
    challenge = concept.challenge
    if ChallengeState(challenge.state) not in RESULT_STATES or not concept.is_entered or concept.is_ineligible:
        return None
    if not challenge.organisation.is_approved:
        return None
    if challenge.concept_publication == ConceptPublication.WINNERS:
        if winner_ids is None:
            winner_ids = winner_concept_ids(challenge)
        if concept.id not in winner_ids:
            return None
    elif challenge.concept_publication != ConceptPublication.ALL:
        return None
    version = concept.current_version()
    if version is None:
        return None
    return "full" if version.licence in OPEN_LICENCES else "summary"


def winner_concept_ids(challenge: Any) -> set[int]:
    """The concepts judging placed (prizes and mentions), asked through the named signal."""
    found: set[int] = set()
    for _receiver, ids in signals.winners_requested.send(challenge):
        found |= set(ids or ())
    return found


def can_view_concept(user: AnyUser, concept: Concept, now: datetime, grace_seconds: int) -> bool:
    """Any read access at all: the team, an organiser after the deadline, or the public after results."""
    return (is_team_member(user, concept) or can_view_entry(user, concept, now, grace_seconds)
            or public_level(concept) is not None)
