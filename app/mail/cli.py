"""`flask outbox send` (one batch) and `flask outbox worker` (a loop until Ctrl+C)."""
from __future__ import annotations

import contextlib

import click
from flask import Flask
from flask.cli import AppGroup

from app.db import db
from app.i18n import _l

from .sender import run_worker, send_pending, status_counts
from .services import MailError, queue_mail


def _summary(app: Flask, sent: int) -> str:
    counts = status_counts(app)
    return (f"sent {sent}; outbox now: {counts['pending']} pending, {counts['sending']} sending, "
            f"{counts['sent']} sent, {counts['failed']} failed")


def register(app: Flask) -> None:
    outbox = AppGroup("outbox", help="The mail outbox: deliver queued email.")

    @outbox.command("send")
    @click.option("--limit", default=100, show_default=True, help="At most this many messages.")
    def send(limit: int) -> None:
        """Deliver the messages that are due, once, and print the counts."""
        sent = send_pending(app, limit=limit)
        click.echo(_summary(app, sent))

    @outbox.command("worker")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between batches.")
    @click.option("--iterations", default=0, hidden=True, help="Stop after this many batches (0: never).")
    def worker(interval: float, iterations: int) -> None:
        """Deliver due messages every few seconds until stopped with Ctrl+C."""
        click.echo(f"Outbox worker started ({app.config['MAIL_BACKEND']} backend, every {interval:g} s); "
                   "Ctrl+C stops it.")

        def report(sent: int) -> None:
            if sent:
                click.echo(_summary(app, sent))

        with contextlib.suppress(KeyboardInterrupt):
            run_worker(app, interval=interval, iterations=iterations, on_batch=report)
        click.echo("Outbox worker stopped.")

    @outbox.command("test-email")
    @click.argument("address")
    @click.option("--locale", default="en", show_default=True, help="Language of the message.")
    def test_email(address: str, locale: str) -> None:
        """Queue a test message to ADDRESS (then `flask outbox send` delivers it)."""
        try:
            message = queue_mail(to=address, template="test_email", locale=locale,
                                 subject=_l("Test email from Concept Arena"))
        except MailError as exc:
            db.session.rollback()
            raise click.BadParameter(str(exc), param_hint="ADDRESS") from exc
        db.session.commit()
        click.echo(f"queued test email #{message.id} to {message.to_addr}")

    app.cli.add_command(outbox)
