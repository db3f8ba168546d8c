"""Helpers for the accounts tests: sign-up data, the outbox, comparable pages."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import db
from app.mail.models import OutboxMessage

LINK_RE = re.compile(r"https?://[^\s<>\"]+")


def _signup_data(**overrides: Any) -> dict[str, Any]:
    data = {"email": "new@example.org", "display_name": "Nora Nordmann", "password": "lingonberry trail map",
            "participant_kind": "student", "institution": "NTNU", "accept_terms": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _strip_tokens(html: str) -> str:
    """A page without its CSRF tokens and the session warning's seconds left (a second may pass
    between two requests), so two responses can be compared (S05)."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)
    html = re.sub(r'(data-[a-z-]*seconds=")\d+"', r'\1"', html)
    return re.sub(r'(value=")[^"]+("[^>]*name="csrf_token")', r'\1\2', html)


@pytest.fixture
def signup_data() -> Callable[..., dict[str, Any]]:
    """signup_data(email=..., newsletter="y", accept_terms=None) -> a valid sign-up form, adjusted."""
    return _signup_data


@pytest.fixture
def strip_tokens() -> Callable[[str], str]:
    return _strip_tokens


@pytest.fixture
def outbox(app: Flask) -> Callable[..., list[dict[str, Any]]]:
    """outbox(to=None, template=None) -> queued messages (as dicts), oldest first."""
    def _read(to: str | None = None, template: str | None = None) -> list[dict[str, Any]]:
        with app.app_context():
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            if to:
                stmt = stmt.where(OutboxMessage.to_addr == to)
            if template:
                stmt = stmt.where(OutboxMessage.template == template)
            return [{"to": m.to_addr, "subject": m.subject, "text": m.body_text, "html": m.body_html,
                     "template": m.template, "locale": m.locale} for m in db.session.scalars(stmt)]
    return _read


@pytest.fixture
def link_in(outbox: Callable[..., list[dict[str, Any]]]) -> Callable[[str, str], str]:
    """link_in(to, template) -> the path of the first link under /account/ in the latest such email."""
    def _link(to: str, template: str) -> str:
        messages = outbox(to=to, template=template)
        assert messages, f"no {template} email to {to}"
        for url in LINK_RE.findall(messages[-1]["text"]):
            if "/account/" in url and ("/verify/" in url or "/reset/" in url or "/confirm/" in url):
                assert url.startswith("http://localhost/"), url  # BASE_URL, not the Host header (S08)
                return url.removeprefix("http://localhost")
        raise AssertionError(f"no token link in {template}")
    return _link


@pytest.fixture
def user_row(app: Flask) -> Callable[..., Any]:
    """user_row(email or id) -> a detached snapshot of the User row (or None)."""
    from app.accounts.models import User

    def _row(key: str | int) -> Any:
        with app.app_context():
            if isinstance(key, int):
                user = db.session.get(User, key)
            else:
                user = db.session.scalar(select(User).where(User.email == key))
            if user is not None:
                db.session.expunge(user)
            return user
    return _row
