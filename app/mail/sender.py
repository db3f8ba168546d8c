"""The outbox sender: claim due rows one at a time, deliver them, record the outcome (R10).

Claiming is one conditional UPDATE per row (status pending and due, or a `sending` claim whose
lease ran out), committed before anything is sent, so two senders - threads, processes or
gunicorn hosts - never send the same row twice while both are alive. A sender that dies in the
middle of a delivery leaves a claim that another sender takes over once the lease expires; that
is the one case in which a message may go out twice, and the lease is far longer than any send.

Temporary failures (refused connection, timeout, SMTP 4xx) are retried with exponential back-off;
a permanent rejection (SMTP 5xx) or MAIL_MAX_ATTEMPTS tries mark the row failed, for an admin to
see on /admin/outbox. The back-off is a persisted schedule (next_attempt_at), not an in-process
retry loop, so a retry library such as tenacity would not help here.
"""
from __future__ import annotations

import contextlib
import logging
import os
import secrets
import smtplib
import socket
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from app.core.background import BackgroundLoop, run_periodic, start_background_loop
from app.core.timeutil import utcnow
from app.db import db

from .mailbox import write_message
from .models import OutboxMessage, OutboxStatus
from .services import MailError, single_line, validate_recipient

log = logging.getLogger("concept_arena.mail")

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
MIN_LEASE = timedelta(minutes=5)
_T = OutboxMessage.__table__


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed tries: 1, 2, 4 ... minutes, at most an hour."""
    exponent = max(attempts - 1, 0)
    if exponent >= 12:  # 2**12 minutes is far beyond the cap; avoid huge numbers
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** exponent), BACKOFF_CAP)


class DeliveryError(Exception):
    """A delivery that did not happen; `permanent` says whether trying again could help."""

    def __init__(self, text: str, *, permanent: bool, connection_down: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent
        # The server could not be reached at all: the rest of the batch would fail the same way.
        self.connection_down = connection_down


@dataclass(frozen=True)
class Outgoing:
    id: int
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None
    locale: str
    attempts: int


# ---------------------------------------------------------------------------- building messages
def _sender_address(config: dict[str, Any]) -> str:
    addresses = getaddresses([config["MAIL_DEFAULT_SENDER"]])
    return addresses[0][1] if addresses and addresses[0][1] else "no-reply@localhost"


def _message_id_domain(config: dict[str, Any]) -> str:
    address = _sender_address(config)
    if "@" in address:
        return address.rpartition("@")[2]
    return urlsplit(config["BASE_URL"]).hostname or "localhost"


def build_message(config: dict[str, Any], item: Outgoing, *, now: datetime) -> EmailMessage:
    """The email for an outbox row: text part, optional HTML alternative. Raises MailError (S33)."""
    message = EmailMessage()
    # EmailMessage itself refuses CR/LF in any header value; the subject is also flattened and
    # the recipient re-validated here, for rows that did not come through queue_mail (S33).
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = Address(addr_spec=validate_recipient(item.to_addr))
    message["Subject"] = single_line(item.subject, 250)
    message["Date"] = format_datetime(now)
    # Short enough not to be folded onto a second line: <outbox id . 64 random bits @ our domain>.
    message["Message-ID"] = f"<{item.id}.{secrets.token_hex(8)}@{_message_id_domain(config)}>"
    # RFC 3834: tells auto-responders (out-of-office replies) not to answer; Exchange reads the X- one.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(item.body_text)
    if item.body_html:
        message.add_alternative(item.body_html, subtype="html")
    # After set_content, which drops Content-* headers.
    message["Content-Language"] = item.locale
    return message


# ---------------------------------------------------------------------------- backends
class _Backend:
    def send(self, message: EmailMessage, item: Outgoing, now: datetime) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


class MailboxBackend(_Backend):
    """Demo: keep each message as an .eml file under MAILBOX_DIR; nothing leaves the machine."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.directory = config["MAILBOX_DIR"]

    def send(self, message: EmailMessage, item: Outgoing, now: datetime) -> None:
        try:
            write_message(self.directory, message, outbox_id=item.id, when=now)
        except OSError as exc:
            raise DeliveryError(f"mailbox: {type(exc).__name__}: {exc.strerror or exc}", permanent=False,
                                connection_down=True) from exc


class SMTPBackend(_Backend):
    """SMTP through smtplib: one connection per batch, opened at the first message."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None
        self.envelope_from = _sender_address(config)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        host, port, timeout = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), float(cfg["MAIL_TIMEOUT"])
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        try:
            if cfg.get("MAIL_USE_SSL"):
                connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
            try:
                if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
                    connection.starttls(context=context)
                if cfg.get("MAIL_USERNAME"):
                    connection.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            except BaseException:
                _quietly_close(connection)
                raise
        except (smtplib.SMTPException, OSError) as exc:
            # Refused, timed out, TLS or login failure: a matter of configuration or an outage,
            # never of this message, so it is always worth trying again later.
            raise DeliveryError(f"connect to {host}:{port}: {_describe(exc)}", permanent=False,
                                connection_down=True) from exc
        return connection

    def send(self, message: EmailMessage, item: Outgoing, now: datetime) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message, from_addr=self.envelope_from, to_addrs=[str(message["To"])])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise DeliveryError(_describe(exc), permanent=bool(codes) and all(500 <= c < 600 for c in codes)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self.connection = None
            raise DeliveryError(_describe(exc), permanent=False) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            raise DeliveryError(_describe(exc), permanent=500 <= exc.smtp_code < 600) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. the address needs SMTPUTF8
            raise DeliveryError(_describe(exc), permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:  # timeout, reset: the connection is gone
            _quietly_close(self.connection)
            self.connection = None
            raise DeliveryError(_describe(exc), permanent=False) from exc

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(self.connection)
            self.connection = None


def _quietly_close(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        connection.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_decode(msg)}" for code, msg in exc.recipients.values()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _decode(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


BACKENDS: dict[str, Callable[[dict[str, Any]], _Backend]] = {"smtp": SMTPBackend, "mailbox": MailboxBackend}


def _backend(config: dict[str, Any]) -> _Backend:
    name = config.get("MAIL_BACKEND", "smtp")
    if name not in BACKENDS:
        raise ValueError(f"MAIL_BACKEND must be one of {sorted(BACKENDS)}, not {name!r}")
    return BACKENDS[name](config)


def _redact(text: str, config: dict[str, Any]) -> str:
    # last_error is shown to admins and logged: no secret may reach it.
    for secret in (config.get("MAIL_PASSWORD"),):
        if secret:
            text = text.replace(str(secret), "***")
    return single_line(text, 500)


# ---------------------------------------------------------------------------- the batch
def _due(now: datetime) -> ColumnElement[bool]:
    return or_(and_(_T.c.status == OutboxStatus.PENDING.value, _T.c.next_attempt_at <= now),
               and_(_T.c.status == OutboxStatus.SENDING.value, _T.c.claimed_until < now))


def _claim(message_id: int, token: str, lease: timedelta) -> Outgoing | None:
    """Claim one row in one conditional UPDATE and commit; None if another sender has it."""
    now = utcnow()
    result = db.session.execute(
        update(_T).where(_T.c.id == message_id, _due(now))
        .values(status=OutboxStatus.SENDING.value, claimed_by=token, claimed_until=now + lease,
                attempts=_T.c.attempts + 1))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        select(_T.c.id, _T.c.to_addr, _T.c.subject, _T.c.body_text, _T.c.body_html, _T.c.locale,
               _T.c.attempts).where(_T.c.id == message_id)).one()
    db.session.commit()
    return Outgoing(id=row.id, to_addr=row.to_addr, subject=row.subject, body_text=row.body_text,
                    body_html=row.body_html, locale=row.locale or "en", attempts=row.attempts)


def _finish(message_id: int, token: str, **values: Any) -> None:
    """Record the outcome, only while the claim is still ours."""
    result = db.session.execute(update(_T).where(_T.c.id == message_id, _T.c.claimed_by == token)
                                .values(claimed_by=None, claimed_until=None, **values))
    if result.rowcount != 1:
        log.warning("outbox message %s: claim lost before the outcome was recorded", message_id)
    db.session.commit()


def _fail(config: dict[str, Any], item: Outgoing, token: str, error: DeliveryError) -> str:
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 8))
    text = _redact(error.text, config)
    now = utcnow()
    if error.permanent or item.attempts >= max_attempts:
        _finish(item.id, token, status=OutboxStatus.FAILED.value, last_error=text, next_attempt_at=now)
        log.error("outbox message %s failed for good after %s attempt(s)%s", item.id, item.attempts,
                  " (permanent rejection)" if error.permanent else "")
        return OutboxStatus.FAILED.value
    when = now + backoff(item.attempts)
    _finish(item.id, token, status=OutboxStatus.PENDING.value, last_error=text, next_attempt_at=when)
    log.warning("outbox message %s: temporary failure on attempt %s; next attempt at %s",
                item.id, item.attempts, when.isoformat())
    return OutboxStatus.PENDING.value


def _sender_token() -> str:
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def send_pending(app: Flask, *, limit: int = 100) -> int:
    """Deliver up to `limit` due outbox messages; returns how many were sent.

    Runs in its own app context (and so its own database session), whatever the caller holds.
    """
    with app.app_context():
        try:
            return _send_batch(app, limit)
        finally:
            db.session.remove()


def _send_batch(app: Flask, limit: int) -> int:
    config = app.config
    lease = max(MIN_LEASE, timedelta(seconds=6 * float(config["MAIL_TIMEOUT"])))
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", 8))
    token = _sender_token()
    ids = list(db.session.scalars(select(_T.c.id).where(_due(utcnow()))
                                  .order_by(_T.c.next_attempt_at, _T.c.id).limit(limit)))
    db.session.commit()
    if not ids:
        return 0
    backend = _backend(config)
    sent = 0
    try:
        for message_id in ids:
            item = _claim(message_id, token, lease)
            if item is None:
                continue
            if item.attempts > max_attempts:
                # Taken over from a sender that died mid-delivery, once too often.
                _fail(config, item, token, DeliveryError("gave up: the sender stopped during delivery",
                                                         permanent=True))
                continue
            now = utcnow()
            try:
                message = build_message(config, item, now=now)
            except (MailError, ValueError) as exc:
                _fail(config, item, token, DeliveryError(f"cannot build the message: {exc}", permanent=True))
                continue
            try:
                backend.send(message, item, now)
            except DeliveryError as exc:
                _fail(config, item, token, exc)
                if exc.connection_down:
                    break  # the rest would fail the same way; their turn comes next batch
                continue
            _finish(item.id, token, status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None)
            sent += 1
    finally:
        backend.close()
    if sent:
        log.info("outbox: sent %s message(s)", sent)
    return sent


def status_counts(app: Flask) -> dict[str, int]:
    """Rows per status, for the CLI."""
    with app.app_context():
        try:
            rows = db.session.execute(select(_T.c.status, func.count()).group_by(_T.c.status)).all()
            counts = {s.value: 0 for s in OutboxStatus}
            counts.update({str(status): count for status, count in rows})
            return counts
        finally:
            db.session.remove()


# ---------------------------------------------------------------------------- loops
def run_worker(app: Flask, *, interval: float = 2.0, iterations: int = 0,
               stop: threading.Event | None = None,
               on_batch: Callable[[int], None] | None = None) -> None:
    """Send batches every `interval` seconds until `stop` is set (or `iterations` batches ran)."""
    def batch() -> None:
        sent = send_pending(app)
        if on_batch is not None:
            on_batch(sent)

    run_periodic(batch, name="outbox-sender", interval=interval, stop=stop, iterations=iterations)


BackgroundSender = BackgroundLoop


def start_background_sender(app: Flask, *, interval: float = 2.0) -> BackgroundLoop:
    """Run the sender in a daemon thread beside `flask serve` (make run). Started once per app."""
    return start_background_loop(app, name="outbox-sender", job=lambda: send_pending(app), interval=interval)

