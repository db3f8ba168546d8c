"""The admin outbox page (R10 admin visibility): admins only, counts, failures, and an audited retry."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.db import db
from app.mail.models import OutboxMessage, OutboxStatus


def _fail_one(app: Flask, queue: Callable[..., int], send_outbox: Callable[[], int], smtp_rejecting: Any,
              to: str = "bounce@example.org") -> int:
    sink_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = smtp_rejecting.port
    message_id = queue(to, subject="Bounced message")
    send_outbox()
    app.config["MAIL_PORT"] = sink_port
    return message_id


def _audit_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retry")))
        db.session.expunge_all()
        return events


def test_anonymous_users_are_sent_to_login(app: Flask, client: FlaskClient, csrf: Callable[[str], str]) -> None:
    response = client.get("/admin/outbox")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    response = client.post("/admin/outbox/1/retry", data={"csrf_token": csrf("/")})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_non_admins_are_refused(app: Flask, client: FlaskClient, logged_in: Callable[..., int],
                                csrf: Callable[[str], str], queue: Callable[..., int],
                                send_outbox: Callable[[], int], smtp_rejecting: Any) -> None:
    message_id = _fail_one(app, queue, send_outbox, smtp_rejecting)
    logged_in("user")
    assert client.get("/admin/outbox").status_code == 403
    response = client.post(f"/admin/outbox/{message_id}/retry", data={"csrf_token": csrf("/")})
    assert response.status_code == 403
    assert _audit_events(app) == []


@pytest.mark.both_databases
def test_admin_sees_counts_and_failures_and_retry_is_audited(
        app: Flask, client: FlaskClient, logged_in: Callable[..., int], csrf: Callable[[str], str],
        queue: Callable[..., int], row: Callable[[int], OutboxMessage], send_outbox: Callable[[], int],
        smtp_rejecting: Any, smtp_sink: Any, closed_port: int) -> None:
    failed_id = _fail_one(app, queue, send_outbox, smtp_rejecting)
    sink_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = closed_port
    queue("waiting@example.org", subject="Still waiting")
    send_outbox()
    app.config["MAIL_PORT"] = sink_port
    admin_id = logged_in("admin")

    response = client.get("/admin/outbox")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Outbox</h1>" in html
    assert "bounce@example.org" in html
    assert "550" in html  # the last error
    assert "waiting@example.org" in html
    assert "Still waiting" in html
    counts = html[html.index('id="outbox-counts"'):]
    assert re.search(r"<dt>Failed</dt>\s*<dd><a href=\"/admin/outbox\?state=failed\">1<", counts)
    assert re.search(r"<dt>Waiting</dt>\s*<dd><a href=\"/admin/outbox\?state=pending\">1<", counts)
    assert f'action="/admin/outbox/{failed_id}/retry"' in html

    # Without a CSRF token the retry is refused and changes nothing.
    assert client.post(f"/admin/outbox/{failed_id}/retry").status_code == 400
    assert row(failed_id).status == OutboxStatus.FAILED

    response = client.post(f"/admin/outbox/{failed_id}/retry", data={"csrf_token": csrf("/admin/outbox")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/outbox")
    retried = row(failed_id)
    assert retried.status == OutboxStatus.PENDING
    assert retried.attempts == 0
    [event] = _audit_events(app)
    assert event.actor_id == admin_id
    assert event.object_type == "outbox_message"
    assert event.object_id == failed_id
    assert event.details["attempts"] == 1
    assert "queued again" in client.get("/admin/outbox").get_data(as_text=True)

    assert send_outbox() == 1
    assert row(failed_id).status == OutboxStatus.SENT
    assert len(smtp_sink.to("bounce@example.org")) == 1


@pytest.mark.both_databases
def test_only_failed_messages_can_be_retried(app: Flask, client: FlaskClient, logged_in: Callable[..., int],
                                             csrf: Callable[[str], str], queue: Callable[..., int],
                                             row: Callable[[int], OutboxMessage]) -> None:
    message_id = queue()
    logged_in("admin")
    response = client.post(f"/admin/outbox/{message_id}/retry", data={"csrf_token": csrf("/admin/outbox")},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Only failed messages can be sent again." in response.get_data(as_text=True)
    assert _audit_events(app) == []
    assert client.post("/admin/outbox/999999/retry",
                       data={"csrf_token": csrf("/admin/outbox")}).status_code == 404
