"""Demo data: `flask demo load [--if-empty]` fills an empty database with fictional content.

Every demo account is verified, has accepted the current terms, is marked `is_demo` (a
production app refuses to start while any exist, S10) and shares one printed password.

Demo content lives here, one module per feature (accounts, organisations, challenges, concepts,
judging, and the archive of earlier challenges),
never inside a feature. The loader runs their sections in order inside one transaction; a later
feature adds a module with a function `(ctx: DemoContext) -> None` and lists it in `_sections`
(for example challenges that use `ctx.orgs["fjordvik"]` and `ctx.users["ingrid"]`). Sections
find-or-create by natural key (email, slug), so loading twice adds nothing. The made-up past they
record (challenges that opened and closed) sends nobody an email: whatever the features queued
while loading is taken out of the outbox again before the commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import click
from flask import Flask, current_app
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.core.timeutil import utcnow
from app.db import db
from app.mail.models import OutboxMessage
from app.organisations.models import Organisation

DEMO_PASSWORD = "arena-demo-2026"


@dataclass
class DemoContext:
    password_hash: str
    now: datetime
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    # (email, what to try with it), printed at the end in this order.
    logins: list[tuple[str, str]] = field(default_factory=list)
    created: int = 0


def _sections() -> list[Callable[[DemoContext], None]]:
    """The sections, in order; later ones use what earlier ones put in the context."""
    from app.demo import accounts, archive, challenges, concepts, judging, organisations

    return [accounts.load_users, organisations.load_organisations, challenges.load_challenges,
            concepts.load_concepts, judging.load_judging, archive.load_archive]


def load_demo(*, password: str = DEMO_PASSWORD) -> DemoContext:
    """Add the demo content to the current session (the caller commits). Idempotent."""
    ctx = DemoContext(password_hash=hash_password(password), now=utcnow())
    queued_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    for section in _sections():
        section(ctx)
    db.session.flush()
    # The demo's history is the past: nobody is told about it now.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > queued_before))
    return ctx


def init_app(app: Flask) -> None:
    """`flask demo load`: refused in production (S10)."""
    @app.cli.group("demo")
    def demo() -> None:
        """Demo content for trying Concept Arena locally."""

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Do nothing if the database already has any user.")
    def load(if_empty: bool) -> None:
        """Load fictional organisations and demo users (one shared, printed password)."""
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("Demo data is never loaded in production (S10).")
        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("The database already has users: demo data not loaded.")
            return
        try:
            ctx = load_demo()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if ctx.created:
            click.echo(f"Demo data loaded ({ctx.created} new users, organisations, challenges and concepts).")
        else:
            click.echo("Demo data was already there: nothing added.")
        click.echo("")
        click.echo(f"Log in at {current_app.config['BASE_URL']}/account/login with one of these "
                   f"(password for all: {DEMO_PASSWORD}):")
        width = max(len(email) for email, _ in ctx.logins)
        for email, role in ctx.logins:
            click.echo(f"  {email.ljust(width)}  {role}")
