"""`flask users ...`: the first admin is made here, never by a default account (S10)."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--password", default=None,
              help="Password for a new account. Without it, you are asked twice (needs a terminal).")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
def create_admin_command(email: str, password: str | None, display_name: str | None) -> None:
    """Create a verified platform admin EMAIL, or make the existing account EMAIL an admin."""
    from .services import create_admin, user_by_email

    exists = user_by_email(email) is not None
    if not exists and password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("No terminal to ask for a password: pass --password.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    try:
        user, created = create_admin(email=email, password=None if exists else password,
                                     display_name=display_name, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if created:
        click.echo(f"Created admin account {user.email} (user #{user.id}).")
    else:
        note = " The password was left unchanged." if password is not None else ""
        click.echo(f"{user.email} (user #{user.id}) is now a platform admin.{note}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
