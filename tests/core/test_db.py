"""SQLite settings and write transactions (R01), UTC timestamps on both backends."""
from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from app.db import configure_sqlite, db


def test_sqlite_connection_pragmas(app) -> None:
    # R01
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-only settings")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def _contender(url: str, rounds: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = create_engine(url)
    configure_sqlite(engine)
    failures = 0
    for i in range(rounds):
        try:
            with engine.begin() as conn:  # outside a request: BEGIN IMMEDIATE
                n = conn.execute(text("SELECT count(*) FROM counter")).scalar()
                conn.execute(text("INSERT INTO counter (n) VALUES (:n)"), {"n": n + i})
        except Exception:  # noqa: BLE001
            failures += 1
    engine.dispose()
    queue.put(failures)


def test_concurrent_read_then_write_transactions_never_see_locked(tmp_path: Path) -> None:
    # R01: 16 processes x 40 read-then-insert transactions; plain BEGIN failed 602/640 here.
    url = f"sqlite:///{tmp_path / 'contention.sqlite'}"
    engine = create_engine(url)
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_contender, args=(url, 40, queue)) for _ in range(16)]
    for p in procs:
        p.start()
    failures = sum(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert failures == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM counter")).scalar() == 16 * 40
    engine.dispose()


@pytest.mark.both_databases
def test_timestamps_come_back_aware_utc(app, make_user) -> None:
    from app.accounts.models import User

    uid = make_user("tz@example.org")
    with app.app_context():
        user = db.session.get(User, uid)
        assert user.created_at.tzinfo is not None
        assert user.created_at.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - user.created_at).total_seconds()) < 120


@pytest.mark.both_databases
def test_the_next_test_starts_from_an_empty_database_with_ids_from_one(app, database, make_user) -> None:
    # The harness's isolation: whatever a test wrote, the next one sees an empty database whose ids
    # start at 1 (on PostgreSQL the `app` fixture's reset after each test; on SQLite a fresh copy
    # of the migrated template, which no test writes to).
    from app.accounts.models import User

    make_user("first@example.org")
    make_user("second@example.org")
    with app.app_context():
        if database["kind"] == "postgres":
            with db.engine.begin() as conn:  # what the `app` fixture does after every test
                conn.exec_driver_sql(database["reset"])
            url = database["url"]
        else:
            url = f"sqlite:///{database['template']}"
        engine = create_engine(url)
        with engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                assert conn.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar() == 0, table.name
            if database["kind"] == "postgres":  # never on the template: it stays empty
                new_id = conn.execute(insert(User).values(
                    email="again@example.org", password_hash="x", display_name="again",
                    timezone="Europe/Copenhagen").returning(User.id)).scalar()
                assert new_id == 1
        engine.dispose()
