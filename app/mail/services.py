"""queue_mail(): render an email in the recipient's language and add it to the outbox (render_mail
and RenderedMail.queue() are its two halves, for a caller that renders before it takes a lock).

The row is added to the caller's session, so it commits or rolls back with the change that
caused it (R10). A sender delivers it later (app/mail/sender.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from typing import Any

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import func, select

from app.core.audit import record_event
from app.core.timeutil import as_utc, utcnow, zone
from app.db import db
from app.errors import DomainError
from app.i18n import _l

from .models import OutboxMessage, OutboxStatus


class MailError(ValueError):
    """An email that must not be sent as asked (bad address, header injection)."""


# Characters that are legal in some quoted address forms but never needed by our recipients, and
# that let a value escape its header (S33): list separators, quoting, comments, routes.
_ADDRESS_FORBIDDEN = set(',;<>"()[]\\:')


def single_line(value: str, limit: int) -> str:
    """`value` on one line of at most `limit` characters: safe in a header (S33)."""
    # S33: no CR/LF (or other control characters) ever reaches a header.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(cleaned.split())[:limit]


def validate_recipient(address: str) -> str:
    """`address` as one plain addr-spec, safe in a To header (domain in IDNA form). Raises MailError (S33)."""
    if not isinstance(address, str) or not address or len(address) > 254:
        raise MailError("invalid recipient address")
    if any(not ch.isprintable() or ch.isspace() for ch in address) or _ADDRESS_FORBIDDEN & set(address):
        raise MailError("invalid recipient address")
    local, sep, domain = address.rpartition("@")
    if not sep or not local or not domain or "@" in local:
        raise MailError("invalid recipient address")
    if not domain.isascii():
        # An internationalised domain travels as IDNA, so no SMTPUTF8 support is needed.
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise MailError("invalid recipient address") from exc
        address = f"{local}@{domain}"
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, MessageError) as exc:
        raise MailError("invalid recipient address") from exc
    if parsed.addr_spec != address:
        raise MailError("invalid recipient address")
    return address


@dataclass(frozen=True)
class RenderedMail:
    """An email rendered for one recipient, not yet in the outbox: `queue()` adds it."""

    to: str
    subject: str
    body_text: str
    body_html: str | None
    template: str
    locale: str

    def queue(self) -> OutboxMessage:
        now = utcnow()
        message = OutboxMessage(to_addr=self.to, subject=self.subject, body_text=self.body_text,
                                body_html=self.body_html, template=self.template[:80], locale=self.locale,
                                status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)
        db.session.add(message)
        return message


def render_mail(*, to: str, template: str, locale: str | None, subject: Any, **context: Any) -> RenderedMail:
    """Render `templates/mail/<template>.txt` (and `.html` if present) in `locale`.

    `subject` may be a lazy string: it is translated inside the recipient's locale, and flattened
    to one line (S33). Links in the context must be built with `external_url()` (the configured
    BASE_URL, never the Host header, S08). The templates extend `mail/_base.txt` / `mail/_base.html`
    and receive the context plus `subject`, `base_url` and `lang`.
    Raises MailError for an address that is not one plain addr-spec.
    """
    to = validate_recipient(to)
    locale = recipient_locale(locale)
    with force_locale(locale):
        subject_text = single_line(str(subject), 200)
        context = {**context, "subject": subject_text, "base_url": current_app.config["BASE_URL"],
                   "lang": locale}
        body_text = render_template(f"mail/{template}.txt", **context)
        try:
            body_html: str | None = render_template(f"mail/{template}.html", **context)
        except TemplateNotFound as exc:  # the HTML part is optional, but not a broken include in it
            if exc.name != f"mail/{template}.html":
                raise
            body_html = None
    return RenderedMail(to=to, subject=subject_text, body_text=body_text, body_html=body_html,
                        template=template, locale=locale)


def queue_mail(*, to: str, template: str, locale: str | None, subject: Any, **context: Any) -> OutboxMessage:
    """Render an email (render_mail) and add it to the outbox, in the caller's transaction."""
    return render_mail(to=to, template=template, locale=locale, subject=subject, **context).queue()


def external_url(endpoint: str, *, anchor: str | None = None, **values: Any) -> str:
    """An absolute link on the canonical BASE_URL (S08), whatever Host the request came with, and
    also without a request (the periodic task sends mail from a CLI command or a background thread)."""
    from flask import has_request_context, url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        path = url_for(endpoint, _external=False, **values)
    else:
        path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return base + path + (f"#{anchor}" if anchor else "")


def recipient_locale(locale: str | None) -> str:
    """The language an email to someone is written in: theirs if we have it, else the default."""
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def recipient_time(value: datetime | None, recipient: Any) -> str:
    """A moment for an email, in the recipient's own time zone and language (not the sender's)."""
    if value is None:
        return ""
    return babel_format_datetime(as_utc(value), "long", tzinfo=zone(getattr(recipient, "timezone", None)),
                                 locale=recipient_locale(getattr(recipient, "locale", None)))


def outbox_counts() -> dict[str, int]:
    """How many outbox rows are in each status (every status present, zero if none)."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in rows:
        counts[str(status)] = count
    return counts


def retry_message(*, message: OutboxMessage, by: Any) -> None:
    """Put a failed message back in the queue, due now, and audit who did it. Raises DomainError."""
    if message.status != OutboxStatus.FAILED:
        raise DomainError(_l("Only failed messages can be sent again."))
    previous = {"attempts": message.attempts, "last_error": message.last_error}
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_by = None
    message.claimed_until = None
    record_event(actor=by, action="outbox.retry", object_type="outbox_message", object_id=message.id,
                 details=previous)
