"""Challenge routes: briefing attachments, managed by the organisation's staff, downloaded by
whoever may see the challenge (S17, S34-S37)."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.routing import BuildError

from app.challenges.models import Challenge, ChallengeAttachment
from app.challenges.permissions import can_edit_challenge, can_view_challenge
from app.challenges.services.attachments import (
    BRIEFING_TYPES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COUNT,
    add_challenge_attachment,
    delete_challenge_attachment,
)
from app.challenges.views._load import visible_challenge
from app.core.downloads import send_stored_document
from app.core.files import accepted_extensions, format_size
from app.core.web import http_status, safe_next
from app.db import db
from app.errors import DomainError
from app.i18n import _, _l, _n

# Room for the CSRF token and other small fields of the multipart form next to the file.
FORM_OVERHEAD = 256 * 1024
UPLOAD_ENDPOINTS = frozenset({"challenges.upload_attachment"})
# Downloads never run as a page of this site, even if a browser were talked into rendering one (S37).
ACCEPT = ",".join(accepted_extensions(BRIEFING_TYPES))


class AttachmentForm(FlaskForm):
    attachment = FileField(_l("File to attach"), validators=[FileRequired(_l("Choose a file to upload."))],
                           render_kw={"accept": ACCEPT})


def max_bytes() -> int:
    return int(current_app.config.get("CHALLENGE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_count() -> int:
    return int(current_app.config.get("CHALLENGE_ATTACHMENT_MAX_COUNT", DEFAULT_MAX_COUNT))


def limit_upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the CSRF check reads the body, so a request far over the file limit stops at the
    # app's friendly 413 page without being parsed (S34).
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = max_bytes() + FORM_OVERHEAD


def attachment_url(item: ChallengeAttachment) -> str:
    return url_for("challenges.attachment", slug=item.challenge.slug, attachment_id=item.id, filename=item.filename)


def attachment_panel(challenge: Challenge, form: AttachmentForm | None = None) -> dict[str, Any]:
    """What templates/challenges/_attachments_manage.html needs, for any page that includes it."""
    items = list(challenge.attachments)
    limit = max_count()
    left = max(limit - len(items), 0)
    hint = " ".join((
        _("Accepted: PDF, images (PNG, JPEG, WebP, GIF) and office documents (Word .docx, Excel .xlsx, "
          "PowerPoint .pptx, OpenDocument .odt, .ods, .odp)."),
        _("At most %(size)s per file.", size=format_size(max_bytes())),
        _n("A challenge can have %(num)d attachment.", "A challenge can have %(num)d attachments.", limit),
        _n("%(num)d more can be added.", "%(num)d more can be added.", left),
        _("Attachments are public once the challenge is published."),
    ))
    return {"items": items, "form": form or AttachmentForm(formdata=None), "max_count": limit,
            "full": left == 0, "hint": hint}


def _is_public(challenge: Challenge) -> bool:
    return can_view_challenge(None, challenge)


def _attachment_of(challenge: Challenge, attachment_id: int) -> ChallengeAttachment:
    item = db.session.get(ChallengeAttachment, attachment_id)
    if item is None or item.challenge_id != challenge.id:
        abort(404)
    return item


def _link(endpoint: str, **values: Any) -> str | None:
    """A URL if that page exists (the editor and public pages are built alongside these views)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _render_manage(challenge: Challenge, form: AttachmentForm, status: int = 200) -> Any:
    links = {"edit": _link("challenges.edit", slug=challenge.slug),
             "detail": _link("challenges.detail", slug=challenge.slug)}
    return render_template("challenges/attachments.html", challenge=challenge, form=form, links=links), status


def _back(challenge: Challenge) -> str:
    return safe_next(request.form.get("next"), url_for(".attachments", slug=challenge.slug))


@login_required
def attachments(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    return _render_manage(challenge, AttachmentForm(formdata=None))


@login_required
def upload_attachment(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return _render_manage(challenge, form, 400)
    try:
        item = add_challenge_attachment(challenge=challenge, upload=form.attachment.data, by=current_user,
                                        max_bytes=max_bytes(), max_count=max_count(),
                                        upload_dir=current_app.config["UPLOAD_DIR"])
    except DomainError as exc:
        db.session.rollback()
        form.attachment.errors = [*form.attachment.errors, str(exc)]
        return _render_manage(challenge, form, http_status(exc))
    name = item.filename
    db.session.commit()
    flash(_("“%(name)s” has been attached.", name=name), "success")
    return redirect(_back(challenge))


@login_required
def delete_attachment(slug: str, attachment_id: int) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    item = _attachment_of(challenge, attachment_id)
    name = item.filename
    delete_challenge_attachment(attachment=item, by=current_user)
    db.session.commit()
    flash(_("“%(name)s” has been deleted.", name=name), "success")
    return redirect(_back(challenge))


def attachment(slug: str, attachment_id: int, filename: str) -> Any:
    # Permission is checked on every fetch: the URL is no bearer token (S37).
    challenge = visible_challenge(slug)
    item = _attachment_of(challenge, attachment_id)
    if filename != item.filename:
        return redirect(attachment_url(item))
    return send_stored_document(content_hash=item.content_hash, mimetype=item.mimetype, filename=item.filename,
                                last_modified=item.created_at, public=_is_public(challenge),
                                what=f"Attachment {item.id} of challenge {challenge.id}")
