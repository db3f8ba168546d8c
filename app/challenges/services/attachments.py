"""Briefing attachments of a challenge: the rules for adding and removing them (S34-S36).

The bytes are checked and stored by app.core.files (content-addressed, outside the web root);
this module adds the per-challenge rules (how many files, no duplicates) and the audit trail.
Services never commit: the view does, once.
"""
from __future__ import annotations

import os
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeAttachment
from app.core.audit import record_event
from app.core.files import store_document
from app.core.timeutil import utcnow
from app.db import db
from app.errors import DomainError
from app.i18n import _l, _n

# PDF, images and office documents (the list); no archives, no HTML, no scripts.
BRIEFING_TYPES = frozenset({"pdf", "png", "jpeg", "webp", "gif", "docx", "xlsx", "pptx", "odt", "ods", "odp"})
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_COUNT = 10


class LimitError(DomainError):
    """Too many files: the request was fine, the quota is full (status 400)."""


def attachment_count(challenge: Challenge) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ChallengeAttachment)
                                 .where(ChallengeAttachment.challenge_id == challenge.id)) or 0)


def add_challenge_attachment(*, challenge: Challenge, upload: Any, by: User, max_bytes: int, max_count: int,
                             upload_dir: str | os.PathLike[str]) -> ChallengeAttachment:
    """Check, store and attach an uploaded briefing file. Raises DomainError (UploadError for the file)."""
    # Lock the challenge row (PostgreSQL) so two uploads at once cannot both take the last place.
    db.session.execute(select(Challenge.id).where(Challenge.id == challenge.id).with_for_update())
    if attachment_count(challenge) >= max_count:
        raise LimitError(_n("A challenge can have at most %(num)d attachment. Delete one before adding another.",
                            "A challenge can have at most %(num)d attachments. Delete one before adding another.",
                            max_count), field="attachment")
    stored = store_document(upload, allowed=BRIEFING_TYPES, max_bytes=max_bytes, upload_dir=upload_dir)
    duplicate = db.session.scalar(select(ChallengeAttachment).where(
        ChallengeAttachment.challenge_id == challenge.id, ChallengeAttachment.content_hash == stored.content_hash))
    if duplicate is not None:
        raise DomainError(_l("This file is already attached, as “%(name)s”.", name=duplicate.filename),
                          field="attachment")
    attachment = ChallengeAttachment(challenge_id=challenge.id, filename=stored.filename,
                                     content_hash=stored.content_hash, mimetype=stored.mimetype, size=stored.size,
                                     uploaded_by_id=by.id, created_at=utcnow())
    db.session.add(attachment)
    db.session.flush()
    record_event(actor=by, action="challenge.attachment_added", object_type="challenge", object_id=challenge.id,
                 details={"attachment_id": attachment.id, "filename": stored.filename, "size": stored.size,
                          "mimetype": stored.mimetype, "content_hash": stored.content_hash})
    return attachment


def delete_challenge_attachment(*, attachment: ChallengeAttachment, by: User) -> None:
    """Remove an attachment. The stored bytes may be shared by content; the orphan sweep removes them."""
    record_event(actor=by, action="challenge.attachment_deleted", object_type="challenge",
                 object_id=attachment.challenge_id,
                 details={"attachment_id": attachment.id, "filename": attachment.filename,
                          "content_hash": attachment.content_hash})
    db.session.delete(attachment)
