"""Submitting a concept: the checklist, the frozen numbered version with its SHA-256 fingerprint,
receipts to every team member, and reopening, withdrawing and restoring (issue 5, part C).

Every write here happens at the server's clock at the moment of the write (R03, S21): the
caller passes `now` from app.core.timeutil, never a time the browser sent. A submit is
idempotent on the draft's `lock_version` (R04, S22): the same form posted twice, or twenty times
at once, makes one version; the unique constraint (concept_id, source_lock_version) is the
database's backstop when two requests race past the check.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge, Licence
from app.concepts.models import Concept, ConceptState, ConceptVersion, ConceptVersionFile, reference
from app.concepts.services.common import (
    ConceptError,
    VersionConflictError,
    eligibility_problem,
    grace_seconds,
    lock_concept,
    max_team_size,
    require_writable,
    slot_problem,
)
from app.core.audit import record_event
from app.core.files import MIB, format_size
from app.core.timeutil import as_utc, zone
from app.db import db
from app.errors import Problem
from app.i18n import _l
from app.mail.services import MailError, RenderedMail, external_url, queue_mail, recipient_time, render_mail

MIN_TEAM_FOR_TEAMS_ONLY = 2


# ---------------------------------------------------------------- checklist
@dataclass(frozen=True)
class ChecklistItem:
    """One line of "what is missing before you can submit" (WCAG 3.3.4 review step, A08)."""

    key: str
    label: str
    done: bool
    # Where to fix it: "edit" (the workspace) or "team", plus the id of the field there.
    section: str = "edit"
    anchor: str = ""
    details: list[str] = field(default_factory=list)


def checklist(concept: Concept, challenge: Challenge | None = None) -> list[ChecklistItem]:
    """Everything a concept needs before it can be submitted, each marked done or not."""
    challenge = challenge or concept.challenge
    members = list(concept.members)
    items = [
        ChecklistItem("title", str(_l("A title")), bool((concept.title or "").strip()), "edit", "title"),
        ChecklistItem("summary", str(_l("A one-paragraph summary")), bool((concept.summary or "").strip()),
                      "edit", "summary"),
        ChecklistItem("body", str(_l("The concept itself")), bool((concept.body_md or "").strip()),
                      "edit", "body_md"),
        ChecklistItem("language", str(_l("The language the concept is written in")),
                      bool((concept.language or "").strip()), "edit", "language"),
    ]
    if not challenge.allow_individuals:
        items.append(ChecklistItem(
            "team_min", str(_l("At least %(num)d team members: this challenge does not accept entries by one "
                               "person", num=MIN_TEAM_FOR_TEAMS_ONLY)),
            len(members) >= MIN_TEAM_FOR_TEAMS_ONLY, "team"))
    limit = max_team_size(challenge)
    items.append(ChecklistItem(
        "team_max", str(_l("No more than %(num)d team members", num=limit)), len(members) <= limit, "team"))
    problems = []
    for member in members:
        reason = eligibility_problem(member.user, challenge)
        if reason:
            problems.append(str(_l("%(name)s: %(reason)s", name=member.user.display_name, reason=reason)))
    items.append(ChecklistItem("eligible", str(_l("Every team member may enter this challenge")), not problems,
                               "team", details=problems))
    files = list(concept.attachments)
    max_bytes = max(1, challenge.max_concept_file_mb) * MIB
    too_big = [a.filename for a in files if a.size > max_bytes]
    file_problems = [str(_l("%(name)s is larger than %(size)s", name=name, size=format_size(max_bytes)))
                     for name in too_big]
    if len(files) > challenge.max_concept_files:
        file_problems.insert(0, str(_l("%(count)d files; this challenge accepts at most %(num)d",
                                       count=len(files), num=challenge.max_concept_files)))
    items.append(ChecklistItem(
        "files", str(_l("Files within the limits: at most %(num)d files of at most %(size)s each",
                        num=challenge.max_concept_files, size=format_size(max_bytes))),
        not file_problems, "edit", "attachments", details=file_problems))
    return items


def checklist_complete(items: list[ChecklistItem]) -> bool:
    return all(item.done for item in items)


class ChecklistIncompleteError(ConceptError):
    """The concept is not ready to submit; `missing` lists what is not done."""

    kind = Problem.INVALID

    def __init__(self, missing: list[ChecklistItem]) -> None:
        super().__init__(_l("The concept is not ready to submit yet. Missing: %(items)s.",
                            items="; ".join(item.label for item in missing)))
        self.missing = missing


# ---------------------------------------------------------------- fingerprint
def fingerprint_document(version: ConceptVersion, concept_id: int) -> dict[str, Any]:
    """The canonical content a version's fingerprint is computed over (documented on the receipt page)."""
    return {
        "concept": reference(concept_id),
        "version": version.number,
        "title": version.title,
        "summary": version.summary,
        "body_md": version.body_md,
        "language": version.language,
        "licence": version.licence,
        "team_name": version.team_name,
        "files": [{"name": f.filename, "sha256": f.content_hash, "size": f.size} for f in version.files],
    }


def canonical_json(document: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 text as is: the same bytes on every machine."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_fingerprint(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- helpers
def _require_member(concept: Concept, by: User) -> None:
    if not concept.has_member(by):
        raise ConceptError(_l("Only the team can do this."), kind=Problem.FORBIDDEN)


def version_by_source(concept_id: int, lock_version: int) -> ConceptVersion | None:
    """The version made from this saved state of the draft, if one was made (R04)."""
    return db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id,
                                                          ConceptVersion.source_lock_version == lock_version))


def _team_users(concept: Concept) -> list[User]:
    return [m.user for m in concept.members if m.user is not None and m.user.email]


def _queue_to_team(concept: Concept, *, template: str, subject: Any, **context: Any) -> None:
    for user in _team_users(concept):
        try:
            queue_mail(to=user.email, template=template, locale=user.locale, subject=subject, recipient=user,
                       concept=concept, reference=reference(concept.id), **context)
        except MailError:
            continue  # an address that cannot be written to never blocks the team's submit


# ---------------------------------------------------------------- submit
def _next_number(concept_id: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(ConceptVersion.number), 0))
                                 .where(ConceptVersion.concept_id == concept_id)) or 0) + 1


def _frozen(concept: Concept, *, by: User, now: datetime, base_version: int, licence: str,
            number: int) -> ConceptVersion:
    """The draft as version `number`, with its fingerprint (not added to the session)."""
    version = ConceptVersion(
        concept_id=concept.id, number=number, source_lock_version=base_version, submitted_at=now,
        submitted_by_id=by.id, team_name=concept.team_name, title=concept.title, summary=concept.summary,
        body_md=concept.body_md, language=concept.language, licence=licence,
        cover_image_hash=concept.cover_image_hash, cover_image_alt=concept.cover_image_alt,
        tag_names=[t.name for t in concept.tags], member_ids=[m.user_id for m in concept.members],
        fingerprint="", total_bytes=0)
    version.files = [ConceptVersionFile(position=i, filename=a.filename, content_hash=a.content_hash,
                                        mimetype=a.mimetype, size=a.size)
                     for i, a in enumerate(concept.attachments)]
    version.total_bytes = sum(f.size for f in version.files)
    version.fingerprint = compute_fingerprint(fingerprint_document(version, concept.id))
    return version


def _written_from(concept: Concept, version: ConceptVersion) -> tuple[Any, ...]:
    """Everything a receipt shows, besides the moment of the submit."""
    return (version.number, version.fingerprint, concept.challenge.title,
            tuple((u.id, u.email, u.locale, u.timezone, u.display_name) for u in _team_users(concept)))


def _receipts(concept: Concept, version: ConceptVersion, now: datetime) -> tuple[tuple[Any, ...], list[RenderedMail]]:
    """The team's receipts for `version`, rendered, and what they were written from."""
    users = _team_users(concept)
    written_from = _written_from(concept, version)
    url = external_url("concepts.version", concept_id=concept.id, number=version.number)
    mails = []
    for user in users:
        try:
            mails.append(render_mail(
                to=user.email, template="concepts/receipt", locale=user.locale,
                subject=_l("Receipt: %(title)s, version %(num)d", title=version.title, num=version.number),
                recipient=user, concept=concept, reference=reference(concept.id), version=version,
                submitted_local=recipient_time(now, user),
                submitted_utc=as_utc(now).strftime("%Y-%m-%d %H:%M:%S UTC"), zone_name=str(zone(user.timezone)),
                files=[{"name": f.filename, "size": format_size(f.size, user.locale or "en"),
                        "sha256": f.content_hash} for f in version.files],
                version_url=url))
        except MailError:
            continue  # an address that cannot be written to never blocks the team's submit
    return written_from, mails


def _receipts_before_the_lock(concept: Concept, *, by: User, now: datetime, base_version: int,
                              licence: str) -> tuple[tuple[Any, ...], list[RenderedMail]] | None:
    """The receipts rendered from the draft as read before the write lock (two templates per
    member: about a sixth of the CPU a submit spent holding SQLite's one write lock, measured with
    bench/rush.py). The submit uses them only if what they were written from is what it freezes
    under the lock; with the same lock_version that is the same draft, so rendering them again
    there is a safety net, not a path a submit normally takes."""
    if concept.state != ConceptState.DRAFT or concept.lock_version != base_version:
        return None  # refused or answered with the earlier version below: nothing to send
    draft = _frozen(concept, by=by, now=now, base_version=base_version, licence=licence,
                    number=_next_number(concept.id))
    return _receipts(concept, draft, now)


def submit_concept(*, concept: Concept, by: User, now: datetime, base_version: int,
                   licence: str) -> tuple[ConceptVersion, bool]:
    """Freeze the draft as a new numbered version; returns (version, created).

    Idempotent: a second submit of the same saved state returns the first version (created is
    False: no new row, no new email). Raises DeadlinePassedError (409) after the deadline,
    VersionConflictError (409) when the draft changed since the form was loaded,
    ChecklistIncompleteError (400), ConceptError for an unknown licence (400) or a withdrawn or
    already submitted concept (409).
    """
    _require_member(concept, by)
    early = _receipts_before_the_lock(concept, by=by, now=now, base_version=base_version, licence=licence)
    lock_concept(concept)
    existing = version_by_source(concept.id, base_version)
    if existing is not None:
        return existing, False
    require_writable(concept, now)
    challenge = concept.challenge
    if concept.state == ConceptState.WITHDRAWN:
        raise ConceptError(_l("This concept has been withdrawn. Restore it before you submit it."), kind=Problem.CONFLICT)
    if concept.lock_version != base_version:
        raise VersionConflictError(_l("The draft changed since you opened this page: review it again before "
                                      "you submit."))
    if concept.state == ConceptState.SUBMITTED:
        raise ConceptError(_l("This concept is already submitted. Reopen it to make changes."), kind=Problem.CONFLICT)
    missing = [item for item in checklist(concept, challenge) if not item.done]
    if missing:
        raise ChecklistIncompleteError(missing)
    accepted = set(challenge.accepted_licences or [])
    if licence not in accepted or licence not in Licence.__members__.values():
        raise ConceptError(_l("Choose one of the licences this challenge accepts."), field="licence")

    number = _next_number(concept.id)
    version = _frozen(concept, by=by, now=now, base_version=base_version, licence=licence, number=number)
    db.session.add(version)

    concept.state = ConceptState.SUBMITTED
    concept.submitted_version_no = number
    concept.submitted_at = now
    concept.licence = licence
    concept.lock_version += 1
    concept.updated_at = now
    if challenge.rubric_frozen_at is None:
        # From the first submission on, rubric changes are amendments with a reason (S21).
        challenge.rubric_frozen_at = now
    db.session.flush()  # the unique constraints speak here, inside the caller's try

    record_event(actor=by, action="concept.submitted", object_type="concept", object_id=concept.id,
                 details={"version": number, "fingerprint": version.fingerprint,
                          "files": len(version.files), "total_bytes": version.total_bytes})
    mails = early[1] if early is not None and early[0] == _written_from(concept, version) \
        else _receipts(concept, version, now)[1]
    for mail in mails:
        mail.queue()
    return version, True


# ---------------------------------------------------------------- reopen, withdraw, restore
# The states each step starts from; the overview's buttons (team_actions) and the services below
# read the same sets.
REOPENABLE = frozenset({ConceptState.SUBMITTED})
WITHDRAWABLE = frozenset({ConceptState.DRAFT, ConceptState.SUBMITTED})
RESTORABLE = frozenset({ConceptState.WITHDRAWN})


@dataclass(frozen=True)
class TeamActions:
    """What the team may do with its concept now, and why it may not restore it (if so)."""

    reopen: bool
    withdraw: bool
    restore: bool
    restore_problem: str | None


def team_actions(concept: Concept, by: User, now: datetime) -> TeamActions:
    """The steps reopen_concept, withdraw_concept and restore_concept would take for `by` at `now`."""
    writable = concept.is_writable(now, grace_seconds())
    state = ConceptState(concept.state)
    problem = restore_problem(concept, by) if writable and state in RESTORABLE else None
    return TeamActions(reopen=writable and state in REOPENABLE, withdraw=writable and state in WITHDRAWABLE,
                       restore=writable and state in RESTORABLE and problem is None, restore_problem=problem)


def _step_taken(concept: Concept, *, by: User, now: datetime, action: str, template: str | None = None,
                subject: Any = None) -> None:
    """After reopen, withdraw or restore: a new draft version, the audit entry, and (if given) the team's email."""
    concept.lock_version += 1
    concept.updated_at = now
    record_event(actor=by, action=action, object_type="concept", object_id=concept.id,
                 details={"counting_version": concept.submitted_version_no})
    if template is not None:
        _queue_to_team(concept, template=template, subject=subject, by_name=by.display_name, when=now,
                       overview_url=external_url("concepts.overview", concept_id=concept.id))


def reopen_concept(*, concept: Concept, by: User, now: datetime) -> bool:
    """Back to a draft the team can edit; the submitted version still counts. Returns False if it already was.

    Raises DeadlinePassedError after the deadline, ConceptError for a withdrawn concept.
    """
    _require_member(concept, by)
    lock_concept(concept)
    if concept.state == ConceptState.DRAFT:
        return False
    require_writable(concept, now)
    if concept.state not in REOPENABLE:
        raise ConceptError(_l("Only a submitted concept can be reopened."), kind=Problem.CONFLICT)
    concept.state = ConceptState.DRAFT
    _step_taken(concept, by=by, now=now, action="concept.reopened")
    return True


def withdraw_concept(*, concept: Concept, by: User, now: datetime) -> bool:
    """Take the concept out of the competition (only the team sees it afterwards). False if it already was.

    Raises DeadlinePassedError after the deadline.
    """
    _require_member(concept, by)
    lock_concept(concept)
    if concept.state not in WITHDRAWABLE:
        return False  # already withdrawn
    require_writable(concept, now)
    concept.state = ConceptState.WITHDRAWN
    concept.withdrawn_at = now
    _step_taken(concept, by=by, now=now, action="concept.withdrawn", template="concepts/withdrawn",
                subject=_l("Withdrawn: %(title)s", title=concept.title or reference(concept.id)))
    return True


def restore_problem(concept: Concept, by: User) -> str | None:
    """Why the team cannot restore this withdrawn concept (someone is on another concept), or None."""
    challenge = concept.challenge
    for member in concept.members:
        if member.user is None:
            continue
        problem = slot_problem(member.user, challenge, exclude_concept_id=concept.id)
        if problem:
            if member.user_id == by.id:
                return problem
            return str(_l("%(name)s is already on another concept for this challenge, and this challenge "
                          "allows one concept per person.", name=member.user.display_name))
    return None


def restore_concept(*, concept: Concept, by: User, now: datetime) -> bool:
    """A withdrawn concept becomes a draft again; a version submitted earlier counts again. False if not withdrawn.

    Raises DeadlinePassedError after the deadline, ConceptError (409) when a member is now on
    another concept of the challenge.
    """
    _require_member(concept, by)
    lock_concept(concept)
    if concept.state not in RESTORABLE:
        return False
    require_writable(concept, now)
    problem = restore_problem(concept, by)
    if problem:
        raise ConceptError(problem, kind=Problem.CONFLICT)
    concept.state = ConceptState.DRAFT
    concept.withdrawn_at = None
    _step_taken(concept, by=by, now=now, action="concept.restored", template="concepts/restored",
                subject=_l("Restored: %(title)s", title=concept.title or reference(concept.id)))
    return True
