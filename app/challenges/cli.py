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
        """Record due time-driven state changes (opened, closed) and email followers about them."""
        moved = tick(app)
        click.echo(f"Recorded due state changes for {moved} challenge(s).")
