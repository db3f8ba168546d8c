"""`flask outbox send`, `flask outbox worker`, `flask outbox test-email`, and the background sender
that runs beside `flask serve` (R10)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.sender import start_background_sender


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_outbox_send_delivers_and_prints_counts(app: Flask, queue: Callable[..., int],
                                               row: Callable[[int], OutboxMessage], smtp_sink: Any) -> None:
    message_id = queue("cli@example.org")
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1; outbox now: 0 pending, 0 sending, 1 sent, 0 failed" in result.output
    assert row(message_id).status == OutboxStatus.SENT
    assert len(smtp_sink.to("cli@example.org")) == 1


def test_outbox_send_with_smtp_down_reports_and_does_not_crash(app: Flask, queue: Callable[..., int],
                                                              closed_port: int) -> None:
    # R10: SMTP down is an ordinary state, not an error.
    app.config["MAIL_PORT"] = closed_port
    queue()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 0; outbox now: 1 pending" in result.output


def test_outbox_worker_runs_batches(app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage],
                                   smtp_sink: Any) -> None:
    message_id = queue("worker@example.org")
    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--iterations", "2", "--interval", "0"])
    assert result.exit_code == 0, result.output
    assert "Outbox worker started" in result.output
    assert "sent 1;" in result.output
    assert "Outbox worker stopped." in result.output
    assert row(message_id).status == OutboxStatus.SENT


def test_outbox_test_email_queues_a_message(app: Flask, smtp_sink: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "test-email", "ops@example.org"])
    assert result.exit_code == 0, result.output
    assert "queued test email #1 to ops@example.org" in result.output
    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    assert len(smtp_sink.to("ops@example.org")) == 1
    # S33: the address is checked before anything is queued.
    bad = runner.invoke(args=["outbox", "test-email", "ops@example.org\r\nBcc: evil@example.org"])
    assert bad.exit_code == 2


def test_background_sender_delivers_and_survives_a_failing_batch(
        app: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage], smtp_sink: Any) -> None:
    # `make run`: the loop beside the server logs a broken batch and carries on.
    app.config["MAIL_BACKEND"] = "no-such-backend"
    message_id = queue("background@example.org")
    sender = start_background_sender(app, interval=0.05)
    try:
        assert start_background_sender(app) is sender  # once per app
        time.sleep(0.3)
        assert sender.thread.is_alive()
        assert row(message_id).status == OutboxStatus.PENDING
        app.config["MAIL_BACKEND"] = "smtp"
        assert _wait_for(lambda: row(message_id).status == OutboxStatus.SENT)
    finally:
        sender.stop()
    assert not sender.thread.is_alive()
    assert len(smtp_sink.to("background@example.org")) == 1
