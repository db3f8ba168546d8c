"""Periodic jobs in a daemon thread beside `flask serve` (the outbox sender, the challenge clock).

A failing pass (database down, bad configuration) is logged and tried again next time: the
loop, and the server beside it, live on. Production runs the same jobs from the CLI instead.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger("concept_arena.background")


def run_periodic(job: Callable[[], object], *, name: str, interval: float,
                 stop: threading.Event | None = None, iterations: int = 0) -> None:
    """Run `job` every `interval` seconds until `stop` is set (or `iterations` passes ran)."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        try:
            job()
        except Exception:  # noqa: BLE001  keep the loop (and the server beside it) alive
            log.exception("%s: the periodic job failed; trying again in %s s", name, interval)
        done += 1
        if iterations and done >= iterations:
            break
        stop.wait(interval)


@dataclass
class BackgroundLoop:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_background_loop(app: Flask, *, name: str, job: Callable[[], object], interval: float) -> BackgroundLoop:
    """Start `job` in a daemon thread, once per app and name (a second call returns the first loop)."""
    existing = app.extensions.get(f"background:{name}")
    if isinstance(existing, BackgroundLoop) and existing.thread.is_alive():
        return existing
    stop = threading.Event()
    thread = threading.Thread(target=run_periodic, args=(job,),
                              kwargs={"name": name, "interval": interval, "stop": stop}, name=name, daemon=True)
    handle = BackgroundLoop(thread=thread, stop_event=stop)
    app.extensions[f"background:{name}"] = handle
    thread.start()
    return handle
