"""The declarative base, the SQLAlchemy extension and SQLite connection settings (R01)."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


from flask_sqlalchemy import SQLAlchemy  # noqa: E402

db = SQLAlchemy(model_class=Base)

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Per DBAPI connection, reset by every BEGIN: does this transaction hold SQLite's write lock, and
# must it take it with lock_for_write() before it writes (a view marked locks_before_writing)?
_WRITE_LOCKED = "sqlite_write_locked"
_WRITES_NEED_LOCK = "sqlite_writes_need_lock"
_WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
BUSY_TIMEOUT_MS = 10_000
_POLL_FIRST_S, _POLL_MAX_S = 0.0005, 0.002


class WriteWithoutLockError(RuntimeError):
    """A view marked locks_before_writing wrote before its service called lock_for_write()."""


def locks_before_writing(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose services call lock_for_write() (through lock_concept or lock_challenge) before
    they check and write. On SQLite its transactions then begin as reads, so the write lock is held
    only from that call to the commit, not for the whole request (loading the user, the concept and
    the form, hashing and storing an upload); the rush of a deadline queues on a few row writes.
    A write before the call raises WriteWithoutLockError instead of racing. PostgreSQL: no effect."""
    view.locks_before_writing = True  # type: ignore[attr-defined]
    return view


def _view_locks_before_writing() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "locks_before_writing", False))


_READS_FIRST: ContextVar[bool] = ContextVar("sqlite_reads_first", default=False)


@contextmanager
def reads_before_writing() -> Iterator[None]:
    """Outside a request, for a job that reads much and writes little (the search index's rebuild
    and worker): on SQLite its transactions begin as reads and take the write lock with
    lock_for_write() just before they write, so requests' writes never wait behind its reading and
    index writing (a missing index's rebuild held the lock for over the 10 s busy timeout in a
    deadline rush: bench/rush.py saw 500s). A write before lock_for_write() raises, as in a view
    marked locks_before_writing. PostgreSQL: no effect."""
    token = _READS_FIRST.set(True)
    try:
        yield
    finally:
        _READS_FIRST.reset(token)


def _begin_mode() -> str:
    # Writes take the write lock up front, so concurrent writers queue on busy_timeout instead
    # of failing with "database is locked" when a read transaction tries to upgrade (measured:
    # 602 of 640 failed with plain BEGIN, none with BEGIN IMMEDIATE). Reads stay concurrent, and
    # so does a marked view until lock_for_write() ends its read and takes the lock.
    if _READS_FIRST.get():
        return "BEGIN"
    if has_request_context() and (request.method in READ_ONLY_METHODS or _view_locks_before_writing()):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def lock_for_write() -> None:
    """Hold SQLite's write lock from now to the commit; PostgreSQL: nothing (callers lock rows).

    In a transaction that began as a read (a view marked locks_before_writing), the read ends here
    and a BEGIN IMMEDIATE transaction starts: it wrote nothing (writes before this raise), objects
    already loaded stay in the session, and what the caller judges must be read again after this
    call (lock_concept refreshes the concept), as after a row lock on PostgreSQL.
    """
    conn = db.session.connection()
    if conn.dialect.name != "sqlite" or conn.info.get(_WRITE_LOCKED):
        return
    conn.exec_driver_sql("COMMIT")
    _begin_immediate(conn)
    conn.info[_WRITE_LOCKED] = True


def _begin_immediate(conn: Any) -> None:
    """BEGIN IMMEDIATE, asked again every millisecond or two while another writer holds the lock,
    for at most the busy timeout.

    SQLite's own busy handler sleeps ever longer between its tries (up to 100 ms each), so in a
    rush a waiting writer keeps missing the moments the lock is free while newer ones take it:
    waits of a second and more at the tail (bench/rush.py measured p99 0.9 s with it, 0.3 s so).
    """
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = _POLL_FIRST_S
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:  # "database is locked"
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys, synchronous=NORMAL and BEGIN IMMEDIATE for writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that our BEGIN is the one that runs.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = _begin_mode()
        if mode == "BEGIN IMMEDIATE":
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql(mode)
        conn.info[_WRITE_LOCKED] = mode == "BEGIN IMMEDIATE"
        conn.info[_WRITES_NEED_LOCK] = not conn.info[_WRITE_LOCKED] and (
            _READS_FIRST.get() or request.method not in READ_ONLY_METHODS)

    @event.listens_for(engine, "before_cursor_execute")
    def _guard(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # An upgrade from a read would race (and may fail with "database is locked"): refuse it.
        if (conn.info.get(_WRITES_NEED_LOCK) and not conn.info.get(_WRITE_LOCKED)
                and statement.lstrip()[:7].upper().startswith(_WRITE_PREFIXES)):
            where = request.endpoint if has_request_context() else "a background job"
            raise WriteWithoutLockError(f"{where}: a write before lock_for_write(): {statement[:80]}")
