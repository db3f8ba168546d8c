"""The periodic task: record the time-driven lifecycle steps that are due (open at `opens_at`,
close at `deadline_at`). Correctness never waits for it - every read computes the effective
state from the clock - but the history, the audit log and the followers' emails do.

`flask challenges tick` runs it once (cron, systemd timer); `flask serve` (make run) runs it every
minute in a daemon thread beside the outbox sender.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask

from app.core.timeutil import utcnow
from app.db import db

from .lifecycle import record_due_transitions

log = logging.getLogger("concept_arena.challenges")

TICK_INTERVAL = 60.0


def tick(app: Flask) -> int:
    """Record every due time-driven step in one transaction; returns how many challenges moved."""
    with app.app_context():
        try:
            moved = record_due_transitions(now=utcnow())
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    if moved:
        log.info("challenges: recorded due state changes for %s challenge(s)", moved)
    return moved


def run_ticker(app: Flask, *, interval: float = TICK_INTERVAL, stop: threading.Event | None = None,
               iterations: int = 0) -> None:
    """Tick every `interval` seconds until `stop` is set (or `iterations` ticks ran). A failing
    tick (database down) is logged and tried again next time: the loop, and the server, live on."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        try:
            tick(app)
        except Exception:  # noqa: BLE001  keep the loop (and the server beside it) alive
            log.exception("challenges: the periodic task failed; trying again in %s s", interval)
        done += 1
        if iterations and done >= iterations:
            break
        stop.wait(interval)


@dataclass
class BackgroundTicker:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_background_ticker(app: Flask, *, interval: float = TICK_INTERVAL) -> BackgroundTicker:
    """Run the periodic task in a daemon thread beside `flask serve`. Started once per app."""
    existing = app.extensions.get("challenge_ticker")
    if isinstance(existing, BackgroundTicker) and existing.thread.is_alive():
        return existing
    stop = threading.Event()
    thread = threading.Thread(target=run_ticker, args=(app,), kwargs={"interval": interval, "stop": stop},
                              name="challenge-ticker", daemon=True)
    handle = BackgroundTicker(thread=thread, stop_event=stop)
    app.extensions["challenge_ticker"] = handle
    thread.start()
    return handle
