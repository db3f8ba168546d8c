"""Keeping the index true to committed data (STYLE §6, pitfall 3; R09).

After each flush, the rows that touch public documents are noted as (kind, id) and queued in
`search_changes` on the same connection, so the queue commits or rolls back with the change
itself (as the mail outbox does). After a commit the worker is woken; it applies the queue to the
index (indexing.py), so an index write never runs inside, or fails, a user's request.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeSDG, StateTransition
from app.concepts.models import Concept, ConceptMember, ConceptVersion
from app.core.timeutil import utcnow
from app.judging.models import Decision, EntryLabel
from app.organisations.models import Organisation
from app.search.models import IndexChange

# Set after a commit that queued something: the in-process worker wakes at once instead of
# waiting for its next poll (other processes' workers poll every SEARCH_POLL_SECONDS).
wake = threading.Event()
_QUEUED = "search_queued"


def _key(obj: Any) -> tuple[str, int] | None:
    if isinstance(obj, Challenge):
        return ("challenge", obj.id)
    if isinstance(obj, ChallengeSDG | StateTransition | Decision):
        return ("challenge", obj.challenge_id)
    if isinstance(obj, Concept):
        return ("concept", obj.id)
    if isinstance(obj, ConceptVersion | ConceptMember | EntryLabel):
        # An entry label decides the jury's entry document (documents.entry_document).
        return ("concept", obj.concept_id)
    if isinstance(obj, Organisation):
        return ("organisation", obj.id)
    if isinstance(obj, User):
        return ("user", obj.id)
    return None


def collect(session: Session, flush_context: Any) -> None:
    """after_flush: queue the keys this flush touched, on the flush's own connection."""
    # session.dirty also holds objects merely touched (a relationship loaded, a value set to what it
    # was): only a net change counts (the history is still the flush's own here).
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=True)]
    keys = {k for obj in (*session.new, *changed, *session.deleted)
            if (k := _key(obj)) is not None and k[1] is not None}
    if not keys:
        return
    now = utcnow()
    session.connection().execute(insert(IndexChange.__table__),
                                 [{"kind": kind, "ref_id": ref, "queued_at": now, "attempts": 0}
                                  for kind, ref in sorted(keys)])
    session.info[_QUEUED] = True


def after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        wake.set()


def after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def listen() -> None:
    """Connect the session events once per process (every app shares the Session class)."""
    for name, fn in (("after_flush", collect), ("after_commit", after_commit),
                     ("after_rollback", after_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
