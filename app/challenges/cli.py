"""`flask challenges tick`: record the lifecycle steps the clock has taken (see tasks.py)."""
from __future__ import annotations

import click
from flask import Flask

from app.challenges.tasks import tick


def register(app: Flask) -> None:
    @app.cli.group("challenges")
    def challenges() -> None:
        """Challenge maintenance."""

    @challenges.command("tick")
    def tick_command() -> None:
        """Record due time-driven state changes (opened, closed), email followers about them, and let the
        features do their due work (judging: deadline reminders, results due at their time)."""
        result = tick(app)
        click.echo(f"Recorded due state changes for {result.moved} challenge(s).")
        if result.other:
            click.echo(f"Did {result.other} other due thing(s): deadline reminders, results due.")
