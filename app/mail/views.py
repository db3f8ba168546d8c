"""The local demo mailbox (demo mode only) and the admin view of the outbox (R10)."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.decorators import admin_required
from app.core.pagination import page_args
from app.db import db
from app.errors import DomainError
from app.i18n import _, _l, _n

from . import queries
from .forms import OutboxFilterForm, RetryForm
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
ADMIN_PER_PAGE = 50
_PAGE_RE = re.compile(r"[0-9]{1,6}")


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
def outbox_admin() -> Any:
    form = OutboxFilterForm(formdata=request.args,
                            states=[(status.value, STATUS_LABELS[status]) for status in OutboxStatus])
    context: dict[str, Any] = {"form": form, "pagination": None, "counts": outbox_counts(),
                               "status_labels": STATUS_LABELS, "statuses": list(OutboxStatus),
                               "page_args": page_args(),
                               "page_error": None}
    raw_page = request.args.get("page", "")
    # S31: the state comes from a list; a bad value is a 400 with the message at its field.
    if not form.validate():
        return render_template("admin/outbox.html", **context), 400
    if raw_page and (not _PAGE_RE.fullmatch(raw_page) or int(raw_page) < 1):
        context["page_error"] = _("The page number must be a whole number from 1 upwards.")
        return render_template("admin/outbox.html", **context), 400
    page = int(raw_page or 1)
    stmt = queries.outbox_messages(state=OutboxStatus(form.state.data) if form.state.data else None,
                                   recipient=form.recipient.data or "")
    pagination = db.paginate(stmt, page=page, per_page=ADMIN_PER_PAGE, error_out=False, count=True)
    if page > 1 and page > pagination.pages:
        context["page_error"] = _n("There is no page %(page)d: this list has only %(num)d page.",
                                   "There is no page %(page)d: this list has only %(num)d pages.",
                                   max(pagination.pages, 1), page=page)
        return render_template("admin/outbox.html", **context), 400
    context["pagination"] = pagination
    return render_template("admin/outbox.html", **context)


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
