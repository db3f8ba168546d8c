"""Two workers recording the same due step at once write it once (several gunicorn hosts, S22)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.challenges import lifecycle
from app.challenges.models import Challenge, ChallengeState, StateTransition
from app.core.timeutil import utcnow
from app.db import db

# On SQLite and PostgreSQL: racing conditional UPDATE claims.
pytestmark = pytest.mark.both_databases


def test_racing_tickers_record_a_due_step_once(app, app_config, make_challenge) -> None:
    made = make_challenge("open")
    workers = [create_app(app_config) for _ in range(4)]
    later = utcnow() + timedelta(days=30)  # past the deadline: open -> closed is due
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def tick(worker) -> None:
        try:
            with worker.app_context():
                # On PostgreSQL every worker reads "open" before any writes: the real race. On
                # SQLite a write transaction holds the database lock from BEGIN IMMEDIATE, so the
                # workers queue instead and each must see the step already recorded.
                if db.engine.dialect.name == "postgresql":
                    challenge = db.session.get(Challenge, made["id"])
                    barrier.wait(timeout=10)
                else:
                    barrier.wait(timeout=10)
                    challenge = db.session.get(Challenge, made["id"])
                lifecycle.catch_up(challenge, now=later)
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()
    assert not errors, errors
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(StateTransition).where(
            StateTransition.challenge_id == made["id"], StateTransition.to_state == "closed"))
        assert rows == 1
        assert db.session.get(Challenge, made["id"]).state == ChallengeState.CLOSED
