"""The local demo mailbox (demo mode only) and the admin view of the outbox (R10)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.decorators import admin_required
from app.db import db
from app.errors import DomainError
from app.i18n import _, _l

from .forms import RetryForm
from .mailbox import linkify, list_messages, message_date, read_message
from .models import OutboxMessage, OutboxStatus
from .services import outbox_counts, retry_message

bp = Blueprint("mail", __name__)

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}
ADMIN_LIST_LIMIT = 50


# ---------------------------------------------------------------- demo mailbox
def _demo_only() -> None:
    # The page exists only in demo mode; elsewhere it is indistinguishable from any unknown URL.
    if not current_app.config.get("DEMO_MODE"):
        abort(404)
    g.private_response = True  # mail holds sign-in links: never cached


@bp.route("/dev/mailbox/", strict_slashes=False)
def mailbox() -> str:
    _demo_only()
    entries = list_messages(current_app.config["MAILBOX_DIR"])
    return render_template("mail/mailbox.html", entries=entries)


@bp.route("/dev/mailbox/<message_id>")
def mailbox_message(message_id: str) -> str:
    _demo_only()
    message = read_message(current_app.config["MAILBOX_DIR"], message_id)
    if message is None:
        abort(404)
    text_part = message.get_body(preferencelist=("plain",))
    text = text_part.get_content() if text_part is not None else ""
    has_html = message.get_body(preferencelist=("html",)) is not None
    headers = [(_("From"), message["From"]), (_("To"), message["To"]), (_("Subject"), message["Subject"]),
               (_("Message ID"), message["Message-ID"])]
    return render_template("mail/mailbox_message.html", message_id=message_id,
                           subject=str(message["Subject"] or ""), sent_at=message_date(message),
                           headers=[(label, str(value)) for label, value in headers if value is not None],
                           body=linkify(text, current_app.config["BASE_URL"]), has_html=has_html)


# ---------------------------------------------------------------- admin
@bp.route("/admin/outbox")
@admin_required
def outbox_admin() -> str:
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(ADMIN_LIST_LIMIT)).all()
    waiting = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(ADMIN_LIST_LIMIT)).all()
    return render_template("admin/outbox.html", counts=outbox_counts(), failed=failed, waiting=waiting,
                           status_labels=STATUS_LABELS, statuses=list(OutboxStatus), limit=ADMIN_LIST_LIMIT)


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@admin_required
def outbox_retry(message_id: int) -> Any:
    message = db.get_or_404(OutboxMessage, message_id)
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        retry_message(message=message, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The message to %(to)s is queued again and will be sent within a few moments.",
                to=message.to_addr), "success")
    return redirect(url_for(".outbox_admin"))
