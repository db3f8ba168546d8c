"""Who may see and do what with a challenge: pure predicates for views and templates (S17, S18)."""
from __future__ import annotations

from app.challenges.models import Challenge, ChallengeState
from app.organisations.permissions import AnyUser, _is_admin, is_member, is_owner


def is_staff_of_challenge(user: AnyUser, challenge: Challenge) -> bool:
    """An owner or editor of the organisation that posts the challenge."""
    return is_member(user, challenge.organisation)


def can_view_challenge(user: AnyUser, challenge: Challenge) -> bool:
    """Published challenges of approved organisations are public; drafts only for the organisation's staff."""
    if is_staff_of_challenge(user, challenge):
        return True
    if challenge.state == ChallengeState.DRAFT or challenge.published_at is None:
        return False
    return challenge.organisation.is_approved or _is_admin(user)


def can_edit_challenge(user: AnyUser, challenge: Challenge) -> bool:
    """Only the organisation's owners and editors edit its challenges (admins do not)."""
    return is_staff_of_challenge(user, challenge)


def can_create_challenge(user: AnyUser, organisation: object) -> bool:
    """Staff of an approved organisation may create challenges for it."""
    return bool(getattr(organisation, "is_approved", False)) and is_member(user, organisation)  # type: ignore[arg-type]


def can_ask_question(user: AnyUser, challenge: Challenge) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and getattr(user, "is_verified", False))


def can_import_archive(user: AnyUser, organisation: object) -> bool:
    """Owners of an approved organisation, and platform admins, bring its earlier challenges into the archive."""
    return bool(getattr(organisation, "is_approved", False)) and (
        is_owner(user, organisation) or _is_admin(user))  # type: ignore[arg-type]
