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
    @click.option("--entries", "entries_only", is_flag=True,
                  help="Rebuild only the jury's entries index (the public index is left as it is).")
    def rebuild(entries_only: bool) -> None:
        """Build new indexes from the database aside and swap them in (searches keep answering):
        the public index and the jury's entries index."""
        started = time.perf_counter()
        if entries_only:
            entries = indexing.rebuild_entries()
            click.echo(f"Indexed {entries} jury entries in {time.perf_counter() - started:.1f} s.")
            return
        count = indexing.rebuild()
        entries = indexing.entries_backend().count()
        click.echo(f"Indexed {count} public documents and {entries} jury entries "
                   f"in {time.perf_counter() - started:.1f} s.")

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
        try:
            entries = indexing.check_entries()
        except indexing.IndexUnavailableError as exc:
            click.echo(f"The jury's entries index cannot be read: {exc}. Run `flask search rebuild --entries`.")
            sys.exit(2)
        click.echo(f"Jury entries in the database: {entries.public}; in the entries index: {entries.indexed}.")
        for key in sorted(entries.missing)[:50]:
            click.echo(f"  missing from the entries index: {key}")
        for key in sorted(entries.extra)[:50]:
            click.echo(f"  in the entries index but no longer an entry jurors may search: {key}")
        if not drift.ok or not entries.ok:
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
