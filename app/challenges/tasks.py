"""The periodic task: record the time-driven lifecycle steps that are due (open at `opens_at`,
close at `deadline_at`). Correctness never waits for it - every read computes the effective
state from the clock - but the history, the audit log and the followers' emails do.

`flask challenges tick` runs it once (cron, systemd timer); `flask serve` (make run) runs it every
minute in a daemon thread beside the outbox sender.
"""
from __future__ import annotations

import logging
import threading
from typing import NamedTuple

from flask import Flask

from app.challenges import signals
from app.challenges.lifecycle import record_due_transitions
from app.core.background import BackgroundLoop, run_periodic, start_background_loop
from app.core.timeutil import utcnow
from app.db import db

log = logging.getLogger("concept_arena.challenges")

TICK_INTERVAL = 60.0


class TickResult(NamedTuple):
    moved: int   # challenges whose time-driven step was recorded
    other: int   # the features' own due work (judging: reminders sent, results published)


def tick(app: Flask) -> TickResult:
    """Record every due time-driven step and the features' due work in one transaction."""
    with app.app_context():
        try:
            now = utcnow()
            moved = record_due_transitions(now=now)
            # Features above do their own due work in the same transaction (judging: reminders).
            other = sum(int(done or 0) for _receiver, done in signals.tick_requested.send(app, now=now))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    if moved:
        log.info("challenges: recorded due state changes for %s challenge(s)", moved)
    if other:
        log.info("challenges: the features did %s due thing(s) (reminders, results)", other)
    return TickResult(moved, other)


def run_ticker(app: Flask, *, interval: float = TICK_INTERVAL, stop: threading.Event | None = None,
               iterations: int = 0) -> None:
    """Tick every `interval` seconds until `stop` is set (or `iterations` ticks ran)."""
    run_periodic(lambda: tick(app), name="challenge-ticker", interval=interval, stop=stop, iterations=iterations)


BackgroundTicker = BackgroundLoop


def start_background_ticker(app: Flask, *, interval: float = TICK_INTERVAL) -> BackgroundLoop:
    """Run the periodic task in a daemon thread beside `flask serve`. Started once per app."""
    return start_background_loop(app, name="challenge-ticker", job=lambda: tick(app), interval=interval)
