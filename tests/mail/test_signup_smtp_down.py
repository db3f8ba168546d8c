"""R10 through a real user flow: with SMTP down, sign-up still succeeds and its mail waits in the
outbox; once SMTP is back, `flask outbox send` delivers it, with a link on BASE_URL (S08)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.core.timeutil import clock
from app.db import db
from app.mail.mailbox import is_own_url
from app.mail.models import OutboxMessage, OutboxStatus


def _outbox(app: Flask) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [(m.to_addr, str(m.status), m.attempts) for m in db.session.scalars(select(OutboxMessage))]


def test_signup_works_with_smtp_down_and_the_mail_follows_later(
        app: Flask, post_form: Callable[..., Any], smtp_sink: Any, closed_port: int,
        send_outbox: Callable[[], int]) -> None:
    # R10: SMTP at a closed port never breaks sign-up.
    app.config["MAIL_PORT"] = closed_port
    response = post_form("/account/signup", {
        "email": "newcomer@example.org", "display_name": "Newcomer", "password": "a long enough passphrase 42",
        "participant_kind": "student", "institution": "", "accept_terms": "y"}, follow_redirects=True)
    assert response.status_code == 200
    assert _outbox(app) == [("newcomer@example.org", OutboxStatus.PENDING, 0)]

    assert send_outbox() == 0  # SMTP still down: the mail waits
    assert _outbox(app) == [("newcomer@example.org", OutboxStatus.PENDING, 1)]

    clock.advance(timedelta(minutes=2))
    app.config["MAIL_PORT"] = smtp_sink.port
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1;" in result.output
    assert _outbox(app) == [("newcomer@example.org", OutboxStatus.SENT, 2)]
    [message] = smtp_sink.to("newcomer@example.org")
    links = smtp_sink.links(message)  # S08: every link is on BASE_URL
    assert links
    assert all(is_own_url(link, app.config["BASE_URL"]) for link in links)
    assert any("/account/verify/" in link for link in links)
