"""Applying the queue to the index, rebuilding it, and checking it against the database.

Every write holds the backend's lock and reads the database *inside* it, in a fresh transaction,
so two workers never write an older state over a newer one (R09): whoever holds the lock reads
what is committed now. A row is marked applied only after its documents were written; a failed
write leaves it queued, retried with backoff, so nothing is lost.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, func, select, update

from app.core import pagecache
from app.core.timeutil import utcnow
from app.db import db, lock_for_write, reads_before_writing
from app.search.backends import IndexUnavailableError, SearchBackend
from app.search.documents import (
    documents_for,
    entry_doc_ids,
    entry_documents,
    entry_documents_for,
    public_doc_ids,
    public_documents,
)
from app.search.models import IndexChange

log = logging.getLogger("concept_arena.search")
KEEP_APPLIED = timedelta(hours=1)


# One backend per configuration, shared by the apps of a process (tests build many apps); a
# Whoosh backend keeps one searcher per thread.
_BACKENDS: dict[tuple[str, str], SearchBackend] = {}
_BACKENDS_LOCK = threading.Lock()


def backend_for(app: Flask) -> SearchBackend:
    kind = app.config.get("SEARCH_BACKEND", "whoosh")
    where = app.config["SEARCH_INDEX_DIR"] if kind == "whoosh" else app.config["SQLALCHEMY_DATABASE_URI"]
    key = (kind, str(where))
    with _BACKENDS_LOCK:
        if key not in _BACKENDS:
            if kind == "whoosh":
                from app.search.backends.whoosh import WhooshBackend
                _BACKENDS[key] = WhooshBackend(where)
            elif kind == "postgres":
                from app.search.backends.postgres import PostgresBackend
                _BACKENDS[key] = PostgresBackend(str(where))
            else:
                raise RuntimeError(f"SEARCH_BACKEND={kind!r} is not known: use whoosh or postgres")
        return _BACKENDS[key]


def forget_backend(app: Flask) -> None:
    """Close and drop the app's backend (its searchers' open files): for an app that is done."""
    kind = app.config.get("SEARCH_BACKEND", "whoosh")
    where = app.config["SEARCH_INDEX_DIR"] if kind == "whoosh" else app.config["SQLALCHEMY_DATABASE_URI"]
    with _BACKENDS_LOCK:
        found = _BACKENDS.pop((kind, str(where)), None)
    close = getattr(found, "close", None)
    if close is not None:
        close()


def backend() -> SearchBackend:
    return backend_for(current_app._get_current_object())  # type: ignore[attr-defined]


def _pending(limit: int) -> list[IndexChange]:
    now = utcnow()
    return list(db.session.scalars(
        select(IndexChange).where(IndexChange.applied_at.is_(None),
                                  (IndexChange.not_before.is_(None)) | (IndexChange.not_before <= now))
        .order_by(IndexChange.id).limit(limit)))


def _write(rows: list[IndexChange]) -> None:
    """Write what the rows touch to both indexes; the caller holds both locks (`_writing`)."""
    keys = {(r.kind, r.ref_id) for r in rows}
    changes = documents_for(keys)
    backend().write(list(changes.upserts.values()), sorted(changes.deletes))
    _write_entries(keys)


def _mark_applied(ids: list[int]) -> None:
    db.session.execute(update(IndexChange).where(IndexChange.id.in_(ids)).values(applied_at=utcnow()))


def _fail(rows: list[IndexChange], exc: BaseException) -> None:
    now = utcnow()
    for r in rows:
        r.attempts += 1
        r.not_before = now + timedelta(seconds=min(300, 2 ** r.attempts))
        r.last_error = f"{type(exc).__name__}: {exc}"[:500]


def apply_pending(*, batch: int = 500, lock_timeout: float = 2.0) -> int:
    """Write the queued changes to the index. Returns how many queue rows were applied; 0 when
    another process holds the lock (the rows wait for the next pass). A missing index starts a
    rebuild instead (R08)."""
    db.session.commit()  # a fresh transaction inside the lock sees what is committed now
    try:
        with _writing(lock_timeout), reads_before_writing():
            rows = _pending(batch)
            if not rows:
                db.session.rollback()
                return 0
            try:
                _write(rows)
            except IndexUnavailableError:
                raise
            except Exception as exc:  # noqa: BLE001  one bad row must not block the queue
                db.session.rollback()
                log.warning("search: a batch of %s changes failed (%r); applying them one by one", len(rows), exc)
                return _one_by_one(rows)
            lock_for_write()
            _mark_applied([r.id for r in rows])
            db.session.commit()
            return len(rows)
    except TimeoutError:
        db.session.rollback()
        return 0
    except IndexUnavailableError:
        db.session.rollback()
        request_rebuild(current_app._get_current_object())  # type: ignore[attr-defined]
        return 0


def _one_by_one(rows: list[IndexChange]) -> int:
    done = 0
    for r in rows:
        row = db.session.get(IndexChange, r.id)
        if row is None:
            continue
        try:
            _write([row])
        except IndexUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            row = db.session.get(IndexChange, r.id)
            if row is not None:
                lock_for_write()
                _fail([row], exc)
                db.session.commit()
            log.exception("search: change %s (%s %s) failed; it is retried later", r.id, r.kind, r.ref_id)
            continue
        lock_for_write()
        _mark_applied([row.id])
        db.session.commit()
        done += 1
    return done


def prune() -> int:
    """Forget applied rows after an hour (a rebuild replays only what changed while it ran)."""
    result = db.session.execute(delete(IndexChange).where(IndexChange.applied_at < utcnow() - KEEP_APPLIED))
    db.session.commit()
    return result.rowcount or 0


def rebuild() -> int:
    """Build a new index from the database aside and swap it in; searches keep answering from the
    old one meanwhile. What changes during the build is replayed into the new index before the
    swap completes. Returns the number of documents."""
    db.session.commit()
    start = db.session.scalar(select(func.max(IndexChange.id))) or 0
    db.session.commit()

    def replay() -> None:
        db.session.commit()
        rows = list(db.session.scalars(select(IndexChange).where(IndexChange.id > start)))
        if rows:
            # The public lock is held by the swap; the entries lock is taken after it, as everywhere.
            with entries_backend().writing(timeout=60.0):
                _write(rows)
            lock_for_write()
            _mark_applied([r.id for r in rows])
        db.session.commit()

    with reads_before_writing():  # reading every public document must not hold up requests' writes
        count = backend().rebuild(public_documents, replay=replay)
    db.session.commit()
    pagecache.bump()  # search pages answered from the old index end with it
    log.info("search: rebuilt the index with %s documents", count)
    entries = rebuild_entries()
    log.info("search: rebuilt the jury's entries index with %s documents", entries)
    return count


@dataclass(frozen=True)
class Drift:
    missing: set[str]      # public in the database, absent from the index
    extra: set[str]        # in the index, not public (any of these is a leak to fix at once)
    indexed: int
    public: int

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra


def check() -> Drift:
    """Compare the index with the database."""
    expected = public_doc_ids()
    present = backend().doc_ids()
    return Drift(missing=expected - present, extra=present - expected, indexed=len(present), public=len(expected))


# ------------------------------------------------------------------ the jury's entries index (item 6)
# Entry documents (documents.entry_document) go to a second backend of the same kind, never to the
# public one (S32): for Whoosh a second index at SEARCH_ENTRIES_INDEX_DIR (SEARCH_INDEX_DIR/entries
# by default); for PostgreSQL the same backend class over its own table, `PostgresBackend(scope=
# "entries")`. The same queue keeps it true: every write of a batch writes both, under both locks,
# always taken public first, entries second (a rebuild of the entries index takes only its own).
def entries_backend_for(app: Flask) -> SearchBackend:
    kind = app.config.get("SEARCH_BACKEND", "whoosh")
    if kind == "whoosh":
        where = app.config.get("SEARCH_ENTRIES_INDEX_DIR") or os.path.join(app.config["SEARCH_INDEX_DIR"], "entries")
    else:
        where = app.config["SQLALCHEMY_DATABASE_URI"]
    key = (f"{kind}:entries", str(where))
    with _BACKENDS_LOCK:
        if key not in _BACKENDS:
            if kind == "whoosh":
                from app.search.backends.entries import EntriesWhooshBackend
                _BACKENDS[key] = EntriesWhooshBackend(where, public_root=app.config["SEARCH_INDEX_DIR"])
            elif kind == "postgres":
                from app.search.backends.postgres import PostgresBackend
                _BACKENDS[key] = PostgresBackend(str(where), scope="entries")
            else:
                raise RuntimeError(f"SEARCH_BACKEND={kind!r} is not known: use whoosh or postgres")
        return _BACKENDS[key]


def entries_backend() -> SearchBackend:
    return entries_backend_for(current_app._get_current_object())  # type: ignore[attr-defined]


@contextmanager
def _writing(timeout: float) -> Iterator[None]:
    """Both indexes' locks, public first (the one order, so two writers never deadlock)."""
    with ExitStack() as stack:
        stack.enter_context(backend().writing(timeout=timeout))
        stack.enter_context(entries_backend().writing(timeout=timeout))
        yield


def _write_entries(keys: Iterable[tuple[str, int]]) -> None:
    """The entry documents the keys touch; nothing is written when none is (most changes)."""
    changes = entry_documents_for(keys)
    if changes.upserts or changes.deletes:
        entries_backend().write(list(changes.upserts.values()), sorted(changes.deletes))


def rebuild_entries() -> int:
    """Build the entries index afresh from the database and swap it in, replaying what changed
    meanwhile (into this index only: the queue rows stay as they are for the public one)."""
    db.session.commit()
    start = db.session.scalar(select(func.max(IndexChange.id))) or 0
    db.session.commit()

    def replay() -> None:
        db.session.commit()
        keys = {(r.kind, r.ref_id) for r in db.session.scalars(select(IndexChange).where(IndexChange.id > start))}
        if keys:
            _write_entries(keys)
        db.session.commit()

    with reads_before_writing():
        count = entries_backend().rebuild(entry_documents, replay=replay)
    db.session.commit()
    return count


def check_entries() -> Drift:
    """Compare the entries index with the database (`public` counts the entries that should be there)."""
    expected = entry_doc_ids()
    present = entries_backend().doc_ids()
    return Drift(missing=expected - present, extra=present - expected, indexed=len(present), public=len(expected))


# ------------------------------------------------------------------ the automatic rebuild (R08)
_rebuilding = threading.Lock()
last_rebuild_thread: threading.Thread | None = None   # tests wait for it


def request_rebuild(app: Flask, *, entries_only: bool = False) -> threading.Thread | None:
    """Start a rebuild in a background thread, unless one is already running in this process.
    `entries_only`: only the jury's entries index is missing or broken (a few hundred documents,
    not the whole archive)."""
    if not app.config.get("SEARCH_AUTO_REBUILD", True) or not _rebuilding.acquire(blocking=False):
        return None

    def run() -> None:
        try:
            with app.app_context():
                try:
                    rebuild_entries() if entries_only else rebuild()
                except Exception:  # noqa: BLE001  logged; the next search asks again
                    log.exception("search: the automatic rebuild failed")
                finally:
                    db.session.remove()
        finally:
            _rebuilding.release()

    global last_rebuild_thread
    thread = threading.Thread(target=run, name="search-rebuild", daemon=True)
    last_rebuild_thread = thread
    thread.start()
    return thread


def rebuilding() -> bool:
    return _rebuilding.locked()


def health(app: Flask) -> tuple[str, dict[str, Any]]:
    """Receiver of pages.signals.health_requested: can the index answer, and is the queue moving?
    An index that cannot answer starts the rebuild on its own (R08)."""
    status = dict(backend_for(app).status())
    if not status.get("ok"):
        request_rebuild(app)
    status["rebuilding"] = rebuilding()
    try:
        oldest = db.session.scalar(select(func.min(IndexChange.queued_at)).where(IndexChange.applied_at.is_(None)))
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        status["oldest_pending_seconds"] = round(age)
        status["ok"] = bool(status.get("ok")) and age < 600
    except Exception:  # noqa: BLE001  the database check reports that failure
        db.session.rollback()
    return "search_index", status


def work_pass(app: Flask) -> Any:
    """One pass of the background worker: apply the queue, or start a rebuild when the index is
    missing or broken, and forget old applied rows."""
    with app.app_context():
        try:
            if not backend().status().get("ok"):
                request_rebuild(app)
                return 0
            if not entries_backend().status().get("ok"):
                request_rebuild(app, entries_only=True)
                return 0
            applied = apply_pending()
            if applied == 0:
                prune()
            return applied
        finally:
            db.session.remove()


def start_background_indexer(app: Flask, interval: float = 1.0) -> Any:
    """The worker in a daemon thread beside `flask serve` (production runs `flask search work`)."""
    from app.core.background import start_background_loop
    return start_background_loop(app, name="search-indexer", job=lambda: work_pass(app), interval=interval)
