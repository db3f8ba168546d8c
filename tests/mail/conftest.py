"""Mail fixtures: queue a message, read an outbox row, a closed port and an SMTP server that says 550."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app.db import db
from app.mail.models import OutboxMessage
from app.mail.services import queue_mail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def queue(app: Flask) -> Callable[..., int]:
    """queue(to, subject=..., locale="en") -> outbox id, committed as a view would."""
    def _queue(to: str = "someone@example.org", subject: str = "Test email from Concept Arena",
               locale: str = "en", template: str = "test_email") -> int:
        with app.app_context():
            message = queue_mail(to=to, template=template, locale=locale, subject=subject)
            db.session.commit()
            return message.id
    return _queue


@pytest.fixture
def row(app: Flask) -> Callable[[int], OutboxMessage]:
    """row(id) -> a detached snapshot of the outbox row as it is in the database now."""
    def _row(message_id: int) -> OutboxMessage:
        with app.app_context():
            message = db.session.get(OutboxMessage, message_id)
            assert message is not None
            db.session.expunge(message)
            return message
    return _row


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: SMTP is down."""
    return free_port()


class Rejecting:
    """An SMTP server that refuses every recipient for good (550), or for now (451)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.delivered = 0
        self.port = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        return self.code

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered += 1
        return "250 OK"


def _serve(handler: Rejecting) -> Iterator[Rejecting]:
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
        loop = getattr(controller, "loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
            loop.close()


@pytest.fixture
def smtp_rejecting() -> Iterator[Rejecting]:
    """A second, small aiosmtpd server that answers every RCPT with 550 (permanent)."""
    yield from _serve(Rejecting("550 5.1.1 No such user here"))


@pytest.fixture
def smtp_busy() -> Iterator[Rejecting]:
    """An aiosmtpd server that answers every RCPT with 451 (try again later)."""
    yield from _serve(Rejecting("451 4.3.0 Mailbox busy, try later"))
