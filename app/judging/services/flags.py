"""Likely conflicts of interest, flagged by the platform for the chair to confirm or dismiss (P09).

A flag is a Conflict with origin "flagged" and status "suggested" until the chair decides. It is
raised for a juror and an entered concept when a team member and the juror share
- an email domain that is not a public mail provider (PUBLIC_MAIL_DOMAINS),
- an institution or company in their profiles (compared without case and extra spaces),
- membership of an organisation on the platform,
- a concept in an earlier, other challenge (they were on one team).

`flag_conflicts` runs when judging starts; `flag_conflicts_for_seat` is what the jury's
invitation flow calls when a juror joins later. Both are idempotent: one flag row per juror and
concept, whose kinds are refreshed while it waits; a decided flag is never reopened.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptMember
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import Conflict, ConflictOrigin, ConflictStatus, FlagKind, JurySeat
from app.organisations.models import Membership, Organisation

# Addresses anyone can get: sharing one of these domains says nothing about an affiliation.
# A name ending in ".*" stands for the provider under every top-level domain (gmx.de, gmx.net, ...).
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "outlook.dk", "hotmail.com", "hotmail.dk", "hotmail.se",
    "hotmail.no", "live.com", "live.dk", "live.se", "live.no", "msn.com", "yahoo.com", "yahoo.dk", "yahoo.se",
    "yahoo.no", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
    "pm.me", "gmx.*", "web.de", "mail.dk", "jubii.dk", "ofir.dk", "get2net.dk", "stofanet.dk", "online.no",
    "telia.com", "telia.se", "telia.no", "bredband.net", "spray.se", "yandex.com", "mail.com", "zoho.com",
    "fastmail.com", "tutanota.com", "hey.com",
})
# The chair decides flags while the jury prepares and judges.
DECIDING_STATES = frozenset({ChallengeState.CLOSED, ChallengeState.JUDGING})


# RFC 2606 reserves these for examples: the demo's and the tests' addresses share them without
# sharing an employer, so they are no more telling than a public provider.
RESERVED_EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


def is_public_mail_domain(domain: str) -> bool:
    domain = domain.strip().lower()
    if domain in PUBLIC_MAIL_DOMAINS:
        return True
    if any(domain == d or domain.endswith("." + d) for d in RESERVED_EXAMPLE_DOMAINS):
        return True
    head = domain.split(".", 1)[0]
    return f"{head}.*" in PUBLIC_MAIL_DOMAINS


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if not domain or is_public_mail_domain(domain) else domain


def _institution(value: str | None) -> str | None:
    text = " ".join((value or "").split()).casefold()
    return text or None


def _entered_concepts(challenge_id: int) -> list[Concept]:
    return list(db.session.scalars(select(Concept).where(
        Concept.challenge_id == challenge_id, Concept.is_entered, ~Concept.is_ineligible).order_by(Concept.id)))


def _matches(juror: User, member: User, juror_orgs: dict[int, str], member_orgs: set[int],
             shared_challenges: dict[tuple[int, int], str]) -> dict[str, str]:
    found: dict[str, str] = {}
    domain = _domain(juror.email)
    if domain is not None and domain == _domain(member.email):
        found[FlagKind.EMAIL_DOMAIN.value] = domain
    inst = _institution(juror.institution)
    if inst is not None and inst == _institution(member.institution):
        found[FlagKind.INSTITUTION.value] = " ".join((member.institution or "").split())
    shared = sorted(set(juror_orgs) & member_orgs)
    if shared:
        found[FlagKind.ORGANISATION.value] = juror_orgs[shared[0]]
    title = shared_challenges.get((juror.id, member.id))
    if title is not None:
        found[FlagKind.FORMER_TEAMMATE.value] = title
    return found


def flag_conflicts(challenge: Challenge, *, seats: list[JurySeat] | None = None) -> int:
    """Raise or refresh the suggested flags of `seats` (default: every active seat) against every
    entered, eligible concept. Returns how many new flags it raised. A fixed number of queries."""
    seats = [s for s in (seats if seats is not None else queries.seats(challenge.id)) if s.is_active]
    concepts = _entered_concepts(challenge.id)
    if not seats or not concepts:
        return 0
    concept_ids = [c.id for c in concepts]
    members: dict[int, list[User]] = defaultdict(list)
    for concept_id, user in db.session.execute(
            select(ConceptMember.concept_id, User).join(User, User.id == ConceptMember.user_id)
            .where(ConceptMember.concept_id.in_(concept_ids)).order_by(ConceptMember.id)):
        members[concept_id].append(user)
    juror_ids = {s.user_id for s in seats}
    member_ids = {u.id for us in members.values() for u in us}
    everyone = juror_ids | member_ids
    orgs: dict[int, dict[int, str]] = defaultdict(dict)
    for user_id, org_id, org_name in db.session.execute(
            select(Membership.user_id, Membership.organisation_id, Organisation.name)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.user_id.in_(everyone))):
        orgs[user_id][org_id] = org_name
    # Earlier teams: (juror, member) pairs who were members of one concept of another challenge.
    earlier: dict[int, list[int]] = defaultdict(list)  # concept id -> user ids
    titles: dict[int, str] = {}
    for concept_id, user_id, title in db.session.execute(
            select(ConceptMember.concept_id, ConceptMember.user_id, Challenge.title)
            .join(Challenge, Challenge.id == ConceptMember.challenge_id)
            .where(ConceptMember.user_id.in_(everyone), ConceptMember.challenge_id != challenge.id)):
        earlier[concept_id].append(user_id)
        titles[concept_id] = title
    shared_challenges: dict[tuple[int, int], str] = {}
    for concept_id, users in earlier.items():
        for j in users:
            if j in juror_ids:
                for m in users:
                    if m != j and m in member_ids:
                        shared_challenges.setdefault((j, m), titles[concept_id])
    existing = {(c.seat_id, c.concept_id, c.origin): c for c in db.session.scalars(
        select(Conflict).where(Conflict.challenge_id == challenge.id, Conflict.seat_id.in_([s.id for s in seats])))}
    raised = 0
    for seat in seats:
        juror = seat.user
        for concept in concepts:
            kinds: dict[str, str] = {}
            for member in members.get(concept.id, []):
                if member.id == juror.id:
                    continue
                for kind, detail in _matches(juror, member, orgs.get(juror.id, {}), set(orgs.get(member.id, {})),
                                             shared_challenges).items():
                    kinds.setdefault(kind, detail)
            if not kinds:
                continue
            flag = {"kinds": [k.value for k in FlagKind if k.value in kinds], "detail": kinds}
            current = existing.get((seat.id, concept.id, ConflictOrigin.FLAGGED.value))
            if current is None:
                db.session.add(Conflict(challenge_id=challenge.id, seat_id=seat.id, concept_id=concept.id,
                                        origin=ConflictOrigin.FLAGGED, status=ConflictStatus.SUGGESTED, flag=flag))
                raised += 1
            elif current.status == ConflictStatus.SUGGESTED and current.flag != flag:
                current.flag = flag
    db.session.flush()
    return raised


def flag_conflicts_for_seat(seat: JurySeat) -> int:
    """The flags of one juror who joined after judging started (the jury's invitation flow)."""
    return flag_conflicts(seat.challenge, seats=[seat])


def flagged_conflict(challenge: Challenge, conflict_id: int) -> Conflict:
    """A flag of this challenge. Raises DomainError (MISSING) for anything else."""
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or conflict.challenge_id != challenge.id or conflict.origin != ConflictOrigin.FLAGGED:
        raise DomainError(_l("This flag does not exist."), kind=Problem.MISSING)
    return conflict


def decide_flag(*, conflict: Conflict, confirm: bool, note: str, by: Any, now: datetime) -> Conflict:
    """The chair confirms (the conflict is then in force) or dismisses a flag; audited.
    A decided flag may be decided again (a slip of the hand), and each decision is recorded."""
    challenge = db.session.get(Challenge, conflict.challenge_id)
    if challenge is None or ChallengeState(challenge.state) not in DECIDING_STATES:
        raise DomainError(_l("Judging is over: conflict flags can no longer be decided."), kind=Problem.CONFLICT)
    status = ConflictStatus.CONFIRMED if confirm else ConflictStatus.DISMISSED
    previous = str(conflict.status)
    conflict.status = status
    conflict.decided_by_id = getattr(by, "id", None)
    conflict.decided_at = now
    conflict.decision_note = (note or "").strip()[:1000] or None
    db.session.flush()
    record_event(actor=by, action="judging.conflict_confirmed" if confirm else "judging.conflict_dismissed",
                 object_type="conflict", object_id=conflict.id,
                 details={"challenge_id": conflict.challenge_id, "seat_id": conflict.seat_id,
                          "concept_id": conflict.concept_id, "kinds": list(conflict.flag.get("kinds", [])),
                          "from": previous, "note": conflict.decision_note})
    return conflict
