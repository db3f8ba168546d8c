"""`flask files sweep`: remove uploaded files no row refers to, once older than UPLOAD_ORPHAN_TTL (R05)."""
from __future__ import annotations

import click
from flask import Flask

from app.core.sweep import orphan_ttl, sweep_uploads


def register(app: Flask) -> None:
    @app.cli.group("files")
    def files() -> None:
        """Stored uploads."""

    @files.command("sweep")
    def sweep_command() -> None:
        """Delete orphaned uploads (no database row refers to them) older than UPLOAD_ORPHAN_TTL."""
        removed = sweep_uploads(app)
        hours = orphan_ttl(app).total_seconds() / 3600
        click.echo(f"Removed {len(removed)} orphaned file(s) older than {hours:g} h.")
