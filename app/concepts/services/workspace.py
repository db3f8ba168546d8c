"""The concept workspace: starting a draft, saving it (with a version check), and its files.

Every write here happens under a row lock and re-checks, with the server's clock at the moment
of the write, that the team may still write (rules.require_writable): a form loaded before the
deadline and posted after it is refused (S21, R03). Services never commit; the views do.

`lock_version` rises with every saved change, text or files, because it is also the key that
makes a repeated submit of the same state idempotent (R04): a file added after a submit is a
new state that a resubmit must freeze.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.lifecycle import effective_state
from app.challenges.models import CHALLENGE_LANGUAGES, Challenge, ChallengeState
from app.challenges.services.attachments import BRIEFING_TYPES
from app.challenges.services.editor import _tags_for as tags_for  # the one way tags become rows
from app.concepts.models import Concept, ConceptAttachment, ConceptMember, ConceptState, MemberRole
from app.concepts.services.common import (
    ConceptError,
    VersionConflictError,
    eligibility_problem,
    lock_challenge,
    lock_concept,
    require_writable,
    slot_problem,
)
from app.core.audit import record_event
from app.core.files import MIB, StoredFile, store_document
from app.core.markdown import MAX_MARKDOWN_CHARS
from app.db import db
from app.errors import Problem
from app.i18n import _l, _n

# PDF, images, slide decks and office documents: the same list as a challenge's briefing files.
CONCEPT_FILE_TYPES = BRIEFING_TYPES
MAX_TITLE_CHARS = 200
MAX_SUMMARY_CHARS = 1000
MAX_BODY_CHARS = MAX_MARKDOWN_CHARS
MAX_ALT_CHARS = 250


class NotEligibleError(ConceptError):
    """The person may not enter this challenge (profile, staff of the organisation, unverified)."""

    kind = Problem.FORBIDDEN


class SlotTakenError(ConceptError):
    """The person is already on a concept for this challenge and only one is allowed."""

    kind = Problem.CONFLICT


@dataclass
class DraftInput:
    """Everything the workspace form may set; nothing else reaches a concept from a request (S20)."""

    title: str = ""
    summary: str = ""
    body_md: str = ""
    language: str = "en"
    tags: list[tuple[str, str]] = field(default_factory=list)   # (slug, name)
    cover_hash: str | None = None     # a newly stored image; None keeps the current one
    cover_alt: str | None = None      # None keeps the current text
    remove_cover: bool = False


def default_language(user: User, challenge: Challenge) -> str:
    locale = (user.locale or "").split("_")[0].split("-")[0].lower()
    if locale in CHALLENGE_LANGUAGES:
        return locale
    return challenge.language if challenge.language in CHALLENGE_LANGUAGES else "en"


def start_problem(user: User, challenge: Challenge, now: datetime) -> ConceptError | None:
    """Why `user` may not start a concept on `challenge` now, or None if they may."""
    state = effective_state(challenge, now)
    if state is not ChallengeState.OPEN:
        if state in (ChallengeState.DRAFT, ChallengeState.SCHEDULED):
            return ConceptError(_l("This challenge does not accept concepts yet. Follow it to hear when it "
                                   "opens."), kind=Problem.CONFLICT)
        return ConceptError(_l("This challenge no longer accepts concepts: its deadline has passed."), kind=Problem.CONFLICT)
    if not user.is_verified:
        return NotEligibleError(_l("Confirm your email address first: open the link we emailed you, then "
                                   "start your concept."))
    problem = eligibility_problem(user, challenge)
    if problem:
        return NotEligibleError(problem)
    problem = slot_problem(user, challenge)
    if problem:
        return SlotTakenError(problem)
    return None


def existing_concept(user: User, challenge: Challenge) -> Concept | None:
    """The user's most recent concept on this challenge that is not withdrawn, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Concept).join(ConceptMember, ConceptMember.concept_id == Concept.id)
        .where(ConceptMember.user_id == user.id, ConceptMember.challenge_id == challenge.id,
               Concept.state != ConceptState.WITHDRAWN)
        .order_by(Concept.id.desc()).limit(1))


def start_concept(*, challenge: Challenge, by: User, now: datetime) -> Concept:
    """Create a private draft with `by` as its team lead. Raises ConceptError (403/409)."""
    # Lock first: two parallel starts by the same person must not both pass the slot check.
    lock_challenge(challenge)
    problem = start_problem(by, challenge, now)
    if problem is not None:
        raise problem
    concept = Concept(challenge_id=challenge.id, owner_id=by.id, title="", summary="", body_md="",
                      language=default_language(by, challenge), state=ConceptState.DRAFT, lock_version=1,
                      created_at=now, updated_at=now)
    db.session.add(concept)
    db.session.flush()
    db.session.add(ConceptMember(concept_id=concept.id, challenge_id=challenge.id, user_id=by.id,
                                 role=MemberRole.OWNER, joined_at=now))
    db.session.flush()
    record_event(actor=by, action="concept.started", object_type="concept", object_id=concept.id,
                 details={"challenge_id": challenge.id})
    return concept


def require_editable(concept: Concept, now: datetime) -> None:
    """The draft may be changed now (Concept.is_editable), or this raises why not: DeadlinePassedError
    past the deadline, ConceptError for a submitted or withdrawn concept."""
    require_writable(concept, now)
    if concept.state == ConceptState.SUBMITTED:
        raise ConceptError(_l("This concept has been submitted, so it cannot be changed. Reopen it to make "
                              "changes and submit again before the deadline."), kind=Problem.CONFLICT)
    if concept.state == ConceptState.WITHDRAWN:
        raise ConceptError(_l("This concept has been withdrawn, so it cannot be changed."), kind=Problem.CONFLICT)


def _check_input(data: DraftInput) -> None:
    if len(data.title or "") > MAX_TITLE_CHARS:
        raise ConceptError(_l("The title is too long: at most %(max)d characters.", max=MAX_TITLE_CHARS),
                           field="title")
    if len(data.summary or "") > MAX_SUMMARY_CHARS:
        raise ConceptError(_l("The summary is too long: at most %(max)d characters.", max=MAX_SUMMARY_CHARS),
                           field="summary")
    if len(data.body_md or "") > MAX_BODY_CHARS:
        raise ConceptError(_l("The concept text is too long: at most %(max)d characters.", max=MAX_BODY_CHARS),
                           field="body_md")
    if data.language not in CHALLENGE_LANGUAGES:
        raise ConceptError(_l("Choose one of the listed languages."), field="language")
    if len(data.cover_alt or "") > MAX_ALT_CHARS:
        raise ConceptError(_l("At most %(max)d characters.", max=MAX_ALT_CHARS), field="cover_alt")


def _bump(concept: Concept, now: datetime) -> None:
    concept.lock_version = concept.lock_version + 1
    concept.updated_at = now


def _same_text(concept: Concept, data: DraftInput) -> bool:
    """Does the saved draft already hold exactly the posted text fields?"""
    if any((getattr(concept, name) or "") != (getattr(data, name) or "")
           for name in ("title", "summary", "body_md", "language")):
        return False
    return [t.slug for t in concept.tags] == sorted(slug for slug, _name in data.tags)


def save_draft(*, concept: Concept, by: User, now: datetime, base_version: int | None, data: DraftInput) -> Concept:
    """Save the team's draft if nobody saved since `base_version`.

    Raises DeadlinePassedError (409), VersionConflictError (409) or ConceptError.
    """
    lock_concept(concept)
    require_editable(concept, now)
    if base_version is None or (base_version != concept.lock_version and not _same_text(concept, data)):
        # A newer save whose text equals what is posted is no conflict: it is this page's own
        # autosave or file upload still in flight when the form was sent (nothing would be lost).
        raise VersionConflictError(_l("Someone saved this concept since you opened it (perhaps you, in another "
                                      "tab). Nothing was overwritten: compare the two versions below."))
    _check_input(data)
    has_cover = bool(data.cover_hash or (concept.cover_image_hash and not data.remove_cover))
    alt = concept.cover_image_alt if data.cover_alt is None else (data.cover_alt.strip() or None)
    if has_cover and not alt:
        raise ConceptError(_l("Describe the cover image in a sentence for people who cannot see it."),
                           field="cover_alt")
    # The tags are read before anything changes, so the save is one flush (one UPDATE) under the lock.
    new_tags = tags_for(data.tags) if [t.slug for t in concept.tags] != sorted(s for s, _n in data.tags) else None
    for name in ("title", "summary", "body_md", "language"):
        value = getattr(data, name) or ""
        if getattr(concept, name) != value:
            setattr(concept, name, value)
    if new_tags is not None:
        concept.tags = new_tags
    if data.cover_hash:
        concept.cover_image_hash = data.cover_hash
    elif data.remove_cover:
        concept.cover_image_hash = None
    concept.cover_image_alt = alt if concept.cover_image_hash else None
    _bump(concept, now)
    return concept


# ---------------------------------------------------------------- files
def max_file_bytes(challenge: Challenge) -> int:
    return max(1, int(challenge.max_concept_file_mb or 1)) * MIB


def max_file_count(challenge: Challenge) -> int:
    return max(0, int(challenge.max_concept_files or 0))


def attachment_count(concept: Concept) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ConceptAttachment)
                                 .where(ConceptAttachment.concept_id == concept.id)) or 0)


def _require_room(concept: Concept, challenge: Challenge, now: datetime) -> None:
    """The draft may take one more file now. Raises DeadlinePassedError or ConceptError."""
    require_editable(concept, now)
    limit = max_file_count(challenge)
    if attachment_count(concept) >= limit:
        raise ConceptError(_n("A concept can have at most %(num)d file. Delete one before adding another.",
                              "A concept can have at most %(num)d files. Delete one before adding another.",
                              limit), field="attachment")


def store_concept_file(*, concept: Concept, upload: Any, now: datetime,
                       upload_dir: str | os.PathLike[str]) -> StoredFile:
    """Check an uploaded file and store it by its hash, before any lock (S34-S36); attach_concept_file
    then adds it to the draft.

    Raises ConceptError or DeadlinePassedError (a draft that cannot take the file now: nothing is
    stored), UploadError (400/413); OSError when the disk fails.
    """
    # Reading, checking, hashing and writing (fsync) the file happen outside the write lock: a
    # deadline rush queues on the few row writes, not on the disk. This first look spares storing
    # a file that would be refused; attach_concept_file checks again under the lock, and a file
    # stored for a post refused there is an orphan that the sweep removes (R05).
    challenge = concept.challenge
    _require_room(concept, challenge, now)
    return store_document(upload, allowed=CONCEPT_FILE_TYPES, max_bytes=max_file_bytes(challenge),
                          upload_dir=upload_dir)


def attach_concept_file(*, concept: Concept, stored: StoredFile, by: User, now: datetime) -> ConceptAttachment:
    """Attach a file stored by store_concept_file to the draft. Raises ConceptError or
    DeadlinePassedError before it changes anything (the caller may still commit other changes)."""
    challenge = concept.challenge
    lock_concept(concept)
    _require_room(concept, challenge, now)
    duplicate = db.session.scalar(select(ConceptAttachment).where(
        ConceptAttachment.concept_id == concept.id, ConceptAttachment.content_hash == stored.content_hash))
    if duplicate is not None:
        raise ConceptError(_l("This file is already attached, as “%(name)s”.", name=duplicate.filename),
                           field="attachment")
    item = ConceptAttachment(concept_id=concept.id, filename=stored.filename, content_hash=stored.content_hash,
                             mimetype=stored.mimetype, size=stored.size, uploaded_by_id=by.id, created_at=now)
    db.session.add(item)
    _bump(concept, now)
    db.session.flush()
    record_event(actor=by, action="concept.attachment_added", object_type="concept", object_id=concept.id,
                 details={"attachment_id": item.id, "filename": stored.filename, "size": stored.size,
                          "mimetype": stored.mimetype, "content_hash": stored.content_hash})
    return item


def delete_concept_attachment(*, concept: Concept, attachment: ConceptAttachment, by: User, now: datetime) -> None:
    """Remove a file from the draft; submitted versions keep their own copy by content hash."""
    lock_concept(concept)
    require_editable(concept, now)
    record_event(actor=by, action="concept.attachment_deleted", object_type="concept", object_id=concept.id,
                 details={"attachment_id": attachment.id, "filename": attachment.filename,
                          "content_hash": attachment.content_hash})
    db.session.delete(attachment)
    _bump(concept, now)
