"""The periodic upload sweep (CHECKLIST R05): remove stored documents that no row refers to.

A request stores a file first (atomically, under its content hash) and commits its row after;
a crash, a rollback or a refused form between the two leaves a file nobody can reach: no row,
so no URL. `sweep_uploads` deletes such orphans, and stale temporary files, once they are older
than UPLOAD_ORPHAN_TTL (default 24 h), so a file written moments ago by a request that has not
committed yet is never taken from under it. Identical content re-uploaded later gets its age
refreshed by app.core.files.store_document, for the same reason.

`flask files sweep` (app.core.cli) runs it once (cron, systemd timer); `flask serve` runs it every hour beside
the challenge clock.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, union

from app.core.background import BackgroundLoop, start_background_loop
from app.core.files import sweep_orphans
from app.core.timeutil import utcnow
from app.db import db

log = logging.getLogger("concept_arena.uploads")

SWEEP_INTERVAL = 3600.0
DEFAULT_ORPHAN_TTL = timedelta(hours=24)

def hash_columns() -> list[Any]:
    """Every mapped column that names stored bytes (marked info=STORED_FILE in its model)."""
    return [column for table in db.metadata.sorted_tables for column in table.columns
            if column.info.get("stored_file")]


def orphan_ttl(app: Flask) -> timedelta:
    """How old an unreferenced file must be before it is removed (UPLOAD_ORPHAN_TTL, seconds or timedelta)."""
    value = app.config.get("UPLOAD_ORPHAN_TTL", DEFAULT_ORPHAN_TTL)
    if not isinstance(value, timedelta):
        value = timedelta(seconds=float(value))
    return max(value, timedelta(0))


def referenced_hashes() -> set[str]:
    """Every content hash a row refers to (one query: a UNION over the hash columns)."""
    query = union(*(select(column.label("h")).where(column.is_not(None)) for column in hash_columns()))
    return {h for h in db.session.scalars(select(query.subquery().c.h)) if h}


def sweep_uploads(app: Flask, *, now: datetime | None = None) -> list[str]:
    """Delete unreferenced uploads older than the TTL; returns the names removed.

    The referenced set is read before the folder is listed: a file whose row commits after the
    read is younger than the TTL (store_document writes or touches it), so it is spared.
    """
    with app.app_context():
        try:
            referenced = referenced_hashes()
        finally:
            db.session.remove()
        removed = sweep_orphans(app.config["UPLOAD_DIR"], referenced, orphan_ttl(app), now=now or utcnow())
    if removed:
        log.info("uploads: removed %s orphaned file(s)", len(removed))
    return removed


def start_background_sweeper(app: Flask, *, interval: float = SWEEP_INTERVAL) -> BackgroundLoop:
    """Sweep every `interval` seconds in a daemon thread beside `flask serve`. Started once per app."""
    return start_background_loop(app, name="upload-sweeper", job=lambda: sweep_uploads(app), interval=interval)
