"""The outbox end to end (R10): SMTP down, back-off, recovery, permanent rejection, racing senders,
rollback, header injection (S33) and canonical links (S08). Real SMTP servers, real databases."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app import create_app
from app.core.timeutil import clock
from app.db import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.sender import backoff, send_pending
from app.mail.services import MailError, external_url, queue_mail

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _count(app: Flask, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0


def test_backoff_doubles_from_one_minute_and_stops_at_an_hour() -> None:
    # R10: 1, 2, 4 ... minutes, capped at one hour.
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff(1000) == timedelta(hours=1)


@pytest.mark.both_databases
def test_smtp_down_keeps_mail_pending_then_it_is_sent_once_when_smtp_is_back(
        app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage], send_outbox: Callable[[], int],
        smtp_sink: Any, closed_port: int) -> None:
    # R10: SMTP at a closed port never loses the mail; it waits, with back-off, and goes out once.
    clock.set(T0)
    app.config["MAIL_PORT"] = closed_port
    message_id = queue("ada@example.org")

    assert send_outbox() == 0
    first = row(message_id)
    assert first.status == OutboxStatus.PENDING
    assert first.attempts == 1
    assert first.next_attempt_at == T0 + timedelta(minutes=1)
    assert "connect to 127.0.0.1" in (first.last_error or "")
    assert first.claimed_by is None
    assert first.claimed_until is None

    # Not due yet: a second run does not try again before the back-off has passed.
    clock.advance(timedelta(seconds=30))
    assert send_outbox() == 0
    assert row(message_id).attempts == 1

    clock.advance(timedelta(seconds=31))
    assert send_outbox() == 0
    second = row(message_id)
    assert second.attempts == 2
    assert second.next_attempt_at == T0 + timedelta(seconds=61) + timedelta(minutes=2)

    # SMTP is back.
    app.config["MAIL_PORT"] = smtp_sink.port
    clock.advance(timedelta(minutes=2))
    assert send_outbox() == 1
    done = row(message_id)
    assert done.status == OutboxStatus.SENT
    assert done.sent_at == clock.now()
    assert done.last_error is None
    assert send_outbox() == 0
    received = smtp_sink.to("ada@example.org")
    assert len(received) == 1

    message = received[0]
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Subject"] == "Test email from Concept Arena"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith(">")
    assert message["Date"].datetime == clock.now()
    assert message["Content-Language"] == "en"
    assert message.get_content_type() == "multipart/alternative"
    assert "This is a test email from Concept Arena." in smtp_sink.text_of(message)
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert '<html lang="en">' in html.get_content()


@pytest.mark.both_databases
def test_gives_up_after_max_attempts(app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage],
                                     send_outbox: Callable[[], int], closed_port: int) -> None:
    # R10: temporary failures are retried MAIL_MAX_ATTEMPTS times, then the row is failed for an admin to see.
    clock.set(T0)
    app.config.update(MAIL_PORT=closed_port, MAIL_MAX_ATTEMPTS=3)
    message_id = queue()
    for attempt in (1, 2):
        send_outbox()
        current = row(message_id)
        assert (current.status, current.attempts) == (OutboxStatus.PENDING, attempt)
        clock.advance(timedelta(hours=1))
    send_outbox()
    failed = row(message_id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 3)
    assert "connect to" in (failed.last_error or "")
    clock.advance(timedelta(days=1))
    send_outbox()
    assert row(message_id).attempts == 3


@pytest.mark.both_databases
def test_permanent_rejection_fails_at_once(app: Flask, queue: Callable[..., int],
                                           row: Callable[[int], OutboxMessage], send_outbox: Callable[[], int],
                                           smtp_rejecting: Any) -> None:
    # R10: a 5xx answer is permanent: no retries, status failed with the server's answer.
    clock.set(T0)
    app.config["MAIL_PORT"] = smtp_rejecting.port
    message_id = queue("nobody@example.org")
    assert send_outbox() == 0
    failed = row(message_id)
    assert failed.status == OutboxStatus.FAILED
    assert failed.attempts == 1
    assert "550" in (failed.last_error or "")
    assert "No such user" in (failed.last_error or "")
    clock.advance(timedelta(days=1))
    assert send_outbox() == 0
    assert row(message_id).attempts == 1
    assert smtp_rejecting.delivered == 0


@pytest.mark.both_databases
def test_temporary_rejection_is_retried(app: Flask, queue: Callable[..., int],
                                        row: Callable[[int], OutboxMessage], send_outbox: Callable[[], int],
                                        smtp_busy: Any, smtp_sink: Any) -> None:
    # R10: a 4xx answer means "later": pending with back-off, delivered once the server accepts.
    clock.set(T0)
    app.config["MAIL_PORT"] = smtp_busy.port
    message_id = queue("busy@example.org")
    assert send_outbox() == 0
    waiting = row(message_id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert "451" in (waiting.last_error or "")
    assert waiting.next_attempt_at == T0 + timedelta(minutes=1)
    app.config["MAIL_PORT"] = smtp_sink.port
    clock.advance(timedelta(minutes=1))
    assert send_outbox() == 1
    assert len(smtp_sink.to("busy@example.org")) == 1


@pytest.mark.both_databases
def test_one_connection_failure_stops_the_batch(app: Flask, queue: Callable[..., int],
                                                send_outbox: Callable[[], int], closed_port: int) -> None:
    # With SMTP down, the sender does not wait for a timeout once per message: one try per batch.
    app.config["MAIL_PORT"] = closed_port
    for n in range(3):
        queue(f"p{n}@example.org")
    send_outbox()
    assert _count(app, OutboxMessage.attempts == 1) == 1
    assert _count(app, OutboxMessage.attempts == 0, OutboxMessage.status == OutboxStatus.PENDING) == 2


def test_last_error_and_logs_never_hold_the_smtp_password(
        app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage],
        send_outbox: Callable[[], int], caplog: pytest.LogCaptureFixture) -> None:
    # R10 / S33 hygiene: a server that echoes the credentials back must not put them in last_error.
    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from .conftest import free_port

    secret = "s3cret-Pa55word-xyz"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 Wrong password {password}")

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        app.config.update(MAIL_PORT=controller.port, MAIL_USERNAME="mailer", MAIL_PASSWORD=secret)
        message_id = queue()
        with caplog.at_level(logging.DEBUG, logger="concept_arena"):
            assert send_outbox() == 0
    finally:
        controller.stop()
        loop = getattr(controller, "loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
            loop.close()
    waiting = row(message_id)
    assert waiting.status == OutboxStatus.PENDING  # a login failure is configuration: retried, not failed
    assert "535" in (waiting.last_error or "")
    assert "***" in (waiting.last_error or "")
    assert secret not in (waiting.last_error or "")
    assert secret not in caplog.text


@pytest.mark.both_databases
def test_two_senders_racing_deliver_every_message_exactly_once(
        app: Flask, app_config: dict[str, Any], queue: Callable[..., int], smtp_sink: Any) -> None:
    # R10: two processes (here two apps with their own engines on the same database, each in its own
    # thread) run at the same moment; the conditional claim gives each message to exactly one.
    count = 24
    addresses = [f"race{n}@example.org" for n in range(count)]
    for address in addresses:
        queue(address)
    other = create_app(app_config)
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(application: Flask) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(send_pending(application, limit=count))
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in (app, other, app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with other.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert sum(results) == count
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == sorted(addresses)
    assert _count(app, OutboxMessage.status == OutboxStatus.SENT) == count
    assert _count(app, OutboxMessage.attempts != 1) == 0


@pytest.mark.both_databases
def test_a_live_claim_is_respected_and_an_expired_one_taken_over(
        app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage],
        send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    # R10: a sender that died mid-delivery leaves a claim; nobody touches it until the lease runs out.
    clock.set(T0)
    message_id = queue("lease@example.org")
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
            status=OutboxStatus.SENDING, claimed_by="host:1:dead", claimed_until=T0 + timedelta(minutes=5),
            attempts=1))
        db.session.commit()
    assert send_outbox() == 0
    assert row(message_id).claimed_by == "host:1:dead"
    clock.advance(timedelta(minutes=6))
    assert send_outbox() == 1
    done = row(message_id)
    assert (done.status, done.attempts) == (OutboxStatus.SENT, 2)
    assert len(smtp_sink.to("lease@example.org")) == 1


@pytest.mark.both_databases
def test_a_rollback_cancels_the_mail(app: Flask, send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    # R10: the mail is part of the caller's transaction.
    with app.app_context():
        queue_mail(to="gone@example.org", template="test_email", locale="en", subject="Never sent")
        db.session.rollback()
    assert _count(app) == 0
    assert send_outbox() == 0
    assert smtp_sink.messages == []


def test_queue_mail_renders_in_the_recipients_language(app: Flask, queue: Callable[..., int],
                                                       row: Callable[[int], OutboxMessage]) -> None:
    message = row(queue(locale="sv"))
    assert message.locale == "sv"
    assert message.body_html is not None
    assert '<html lang="sv">' in message.body_html
    # An unknown language falls back to the default rather than failing.
    assert row(queue(locale="xx")).locale == "en"


@pytest.mark.parametrize("address", [
    "victim@example.org\r\nBcc: evil@example.org",
    "victim@example.org\nBcc: evil@example.org",
    "victim@example.org, evil@example.org",
    "victim@example.org;evil@example.org",
    "Victim <victim@example.org>",
    "\"victim@example.org\" <evil@example.org>",
    "not-an-address",
    "",
])
def test_a_recipient_that_could_inject_headers_is_refused(app: Flask, address: str) -> None:
    # S33: the recipient is one plain address or nothing is queued.
    with app.app_context():
        with pytest.raises(MailError):
            queue_mail(to=address, template="test_email", locale="en", subject="Hello")
        db.session.rollback()
    assert _count(app) == 0


def test_a_subject_with_crlf_never_yields_an_extra_header(app: Flask, queue: Callable[..., int],
                                                          send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    # S33: a subject (often built from a user's display name) is flattened to one line.
    queue("victim@example.org", subject="Hello\r\nBcc: evil@example.org\r\n\r\nInjected body")
    assert send_outbox() == 1
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["Bcc"] is None
    assert message.get_all("Subject") == ["Hello Bcc: evil@example.org Injected body"]
    assert smtp_sink.to("evil@example.org") == []
    assert "Injected body" not in smtp_sink.text_of(message)


def test_rows_written_behind_queue_mail_are_still_safe(app: Flask, row: Callable[[int], OutboxMessage],
                                                       send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    # S33, defence in depth: the sender re-checks rows that did not come through queue_mail.
    with app.app_context():
        bad_to = OutboxMessage(to_addr="victim@example.org\r\nBcc: evil@example.org", subject="x",
                               body_text="x", template="raw", locale="en")
        bad_subject = OutboxMessage(to_addr="victim@example.org", subject="Hi\r\nBcc: evil@example.org",
                                    body_text="x", template="raw", locale="en")
        db.session.add_all([bad_to, bad_subject])
        db.session.commit()
        bad_to_id, bad_subject_id = bad_to.id, bad_subject.id
    assert send_outbox() == 1
    refused = row(bad_to_id)
    assert refused.status == OutboxStatus.FAILED
    assert "cannot build" in (refused.last_error or "")
    assert row(bad_subject_id).status == OutboxStatus.SENT
    assert [m.get_all("Subject") for m in smtp_sink.messages] == [["Hi Bcc: evil@example.org"]]
    assert all(m["Bcc"] is None for m in smtp_sink.messages)
    assert smtp_sink.to("evil@example.org") == []


def test_email_links_use_base_url_whatever_the_request_host(app: Flask) -> None:
    # S08: links in email come from BASE_URL, never from the Host of the request that caused them.
    with app.test_request_context("/", base_url="http://127.0.0.1:8000"):
        assert external_url("pages.home") == "http://localhost/"
        message = queue_mail(to="a@example.org", template="test_email", locale="en", subject="Links")
        assert "http://localhost/" in message.body_text
        assert "127.0.0.1" not in message.body_text
        db.session.rollback()


def test_an_internationalised_domain_is_sent_as_idna(app: Flask, queue: Callable[..., int],
                                                     row: Callable[[int], OutboxMessage]) -> None:
    assert row(queue("post@bjørn.example")).to_addr == "post@xn--bjrn-hra.example"
