"""queue_mail(): render an email in the recipient's language and add it to the outbox.

The row is added to the caller's session, so it commits or rolls back with the change that
caused it (R10). A sender delivers it later (app/mail/sender.py).
"""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from app.core.timeutil import utcnow
from app.db import db

from .models import OutboxMessage, OutboxStatus


class MailError(ValueError):
    """An email that must not be sent as asked (bad address, header injection)."""


def _single_line(value: str, limit: int) -> str:
    # S33: no CR/LF (or other control characters) ever reaches a header.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(cleaned.split())[:limit]


def queue_mail(*, to: str, template: str, locale: str | None, subject: Any, **context: Any) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` (and `.html` if present) in `locale`; add to the outbox.

    `subject` may be a lazy string: it is translated inside the recipient's locale. Links in
    the context must be built with `external_url()` (the configured BASE_URL, never the Host header).
    Raises MailError for an address with control characters.
    """
    if any(ord(ch) < 32 for ch in to) or "@" not in to:
        raise MailError("invalid recipient address")
    languages = current_app.config["LANGUAGES"]
    locale = locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject_text = _single_line(str(subject), 200)
        context = {**context, "subject": subject_text, "base_url": current_app.config["BASE_URL"]}
        body_text = render_template(f"mail/{template}.txt", **context)
        try:
            body_html: str | None = render_template(f"mail/{template}.html", **context)
        except Exception as exc:  # noqa: BLE001  the HTML part is optional
            if type(exc).__name__ != "TemplateNotFound":
                raise
            body_html = None
    message = OutboxMessage(to_addr=to, subject=subject_text, body_text=body_text, body_html=body_html,
                            template=template, locale=locale, status=OutboxStatus.PENDING,
                            next_attempt_at=utcnow(), created_at=utcnow())
    db.session.add(message)
    return message


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link on the canonical BASE_URL, whatever Host the request came with (S08)."""
    from flask import url_for

    path = url_for(endpoint, _external=False, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path
