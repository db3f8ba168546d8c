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


def register_archive(app: Flask) -> None:
    """`flask archive import FILE.jsonl [--organisation SLUG] [--dry-run] [--strict]`."""
    from app.challenges.services.archive import ArchivePlan, import_archive, plan_archive
    from app.core.timeutil import clock
    from app.db import db
    from app.errors import DomainError

    def report(plan: ArchivePlan, *, dry_run: bool) -> None:
        for item in plan.challenges:
            verb = "would create" if dry_run else "created"
            click.echo(f"line {item.line}: {verb} “{item.title}” ({item.organisation.slug}, {item.language}, "
                       f"{item.opened.isoformat()} to {item.closed.isoformat()})")
        for refused in plan.refused:
            for reason in refused.reasons:
                click.echo(f"line {refused.line}: refused: {reason}", err=True)

    @app.cli.group("archive")
    def archive() -> None:
        """The public archive of earlier challenges."""

    @archive.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
    @click.option("--organisation", "organisation", metavar="SLUG",
                  help="Import every line for this approved organisation, whatever the line says.")
    @click.option("--dry-run", is_flag=True, help="Check the file and print what would be created; change nothing.")
    @click.option("--strict", is_flag=True, help="Create nothing unless every line is accepted.")
    def import_command(path: str, organisation: str | None, dry_run: bool, strict: bool) -> None:
        """Import earlier challenges from a JSONL file (one JSON object per line; see the README).

        Exit status: 0 when every line was accepted, 1 when some line was refused (the other lines
        are still imported, unless --strict or --dry-run), 2 when the file or --organisation is unusable.
        """
        now = clock.now()
        try:
            with open(path, "rb") as stream:
                plan = plan_archive(stream=stream, now=now, organisation_override=organisation)
                held_back = strict and bool(plan.refused)
                if not (dry_run or held_back):
                    stream.seek(0)
                    plan = import_archive(stream=stream, by=None, now=now, source=f"cli:{path}",
                                          organisation_override=organisation)
                    db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise UnusableInputError(str(exc)) from None
        except OSError as exc:
            raise UnusableInputError(f"Cannot read {path}: {exc.strerror}") from None
        changed = not (dry_run or held_back)
        report(plan, dry_run=not changed)
        if changed:
            click.echo(f"{len(plan.created)} challenge(s) created, {len(plan.refused)} line(s) refused.")
        else:
            why = " because some lines were refused (--strict)" if held_back else ""
            click.echo(f"{len(plan.challenges)} challenge(s) would be created, {len(plan.refused)} line(s) refused; "
                       f"nothing was changed{why}.")
        if plan.refused:
            raise SystemExit(1)


class UnusableInputError(click.ClickException):
    """The file or --organisation cannot be used at all: exit status 2, like a usage error."""

    exit_code = 2
