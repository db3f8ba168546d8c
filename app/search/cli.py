"""`flask search rebuild | check | apply | work`."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup

from app.db import db
from app.search import indexing


def register(app: Flask) -> None:
    group = AppGroup("search", help="The search index: rebuild it, check it, apply queued changes.")

    @group.command("rebuild")
    def rebuild() -> None:
        """Build a new index from the database aside and swap it in (searches keep answering)."""
        started = time.perf_counter()
        count = indexing.rebuild()
        click.echo(f"Indexed {count} public documents in {time.perf_counter() - started:.1f} s.")

    @group.command("check")
    def check() -> None:
        """Compare the index with the database and report drift (exit code 1 when they differ)."""
        try:
            drift = indexing.check()
        except indexing.IndexUnavailableError as exc:
            click.echo(f"The index cannot be read: {exc}. Run `flask search rebuild`.")
            sys.exit(2)
        click.echo(f"Public in the database: {drift.public}; in the index: {drift.indexed}.")
        for key in sorted(drift.missing)[:50]:
            click.echo(f"  missing from the index: {key}")
        for key in sorted(drift.extra)[:50]:
            click.echo(f"  in the index but not public: {key}")
        if not drift.ok:
            click.echo("Drift found: `flask search apply` applies queued changes, `flask search rebuild` starts afresh.")
            sys.exit(1)
        click.echo("The index matches the database.")

    @group.command("apply")
    def apply() -> None:
        """Apply the queued index changes once and exit."""
        total = 0
        while n := indexing.apply_pending():
            total += n
        click.echo(f"Applied {total} queued changes.")

    @group.command("work")
    @click.option("--interval", default=1.0, type=float, help="Seconds between polls of the queue.")
    def work(interval: float) -> None:
        """Apply queued changes continuously (run one per host that holds a Whoosh index)."""
        click.echo("Applying search index changes; Ctrl+C stops.")
        try:
            while True:
                indexing.work_pass(app)
                time.sleep(interval)
        finally:
            db.session.remove()

    app.cli.add_command(group)
