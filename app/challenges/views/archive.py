"""Challenge routes: the archive upload page, where an organisation's owners (and platform admins)
bring its earlier challenges into the public archive from a JSONL file.

"Check the file" stores the upload by content hash (services/archive.py) and shows the dry run;
"Import" sends back only a signed reference to that file, bound to the organisation and the user
and valid for an hour, so nobody picks the file twice and nobody imports a file they did not check.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from itsdangerous import BadSignature

from app.accounts.tokens import ClockSerializer
from app.challenges import queries
from app.challenges.forms.archive import ArchiveFileForm, ArchiveImportForm
from app.challenges.permissions import can_import_archive
from app.challenges.services import archive
from app.core.pagecache import public_page
from app.core.timeutil import clock
from app.core.web import flash_refusal
from app.db import db
from app.errors import DomainError
from app.i18n import _, _n
from app.organisations import queries as organisation_queries
from app.organisations.models import Organisation
from app.organisations.permissions import _is_admin, is_member

# Room for the CSRF token next to the file in the multipart body.
FORM_OVERHEAD = 64 * 1024
UPLOAD_ENDPOINTS = frozenset({"challenges.archive_check"})


def max_bytes() -> int:
    return int(current_app.config.get("ARCHIVE_UPLOAD_MAX_BYTES", archive.UPLOAD_MAX_BYTES))


def limit_archive_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF reads the body: a larger request gets the app's 413 page (S34).
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = max_bytes() + FORM_OVERHEAD


def _load(slug: str) -> Organisation:
    organisation = organisation_queries.organisation_by_slug(slug)
    # Like the dashboard: only the organisation's staff (and admins) learn the page exists; its
    # editors may see it exists but not import (S17, S18).
    if organisation is None or not (is_member(current_user, organisation) or _is_admin(current_user)):
        abort(404)
    if not can_import_archive(current_user, organisation):
        abort(403)
    g.private_response = True
    return organisation


def _serializer() -> ClockSerializer:
    return ClockSerializer(current_app.config["SECRET_KEY"], salt="concept-arena/archive-check")


def _reference(organisation: Organisation, content_hash: str, filename: str) -> str:
    return _serializer().dumps({"h": content_hash, "o": organisation.id, "u": current_user.id, "n": filename})


def _read_reference(organisation: Organisation, token: str) -> dict[str, Any] | None:
    try:
        payload = _serializer().loads(token, max_age=archive.CHECKED_FILE_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or payload.get("o") != organisation.id or payload.get("u") != current_user.id \
            or not isinstance(payload.get("h"), str):
        return None
    return payload


def _render(organisation: Organisation, form: ArchiveFileForm, *, plan: archive.ArchivePlan | None = None,
            import_form: ArchiveImportForm | None = None, filename: str | None = None, status: int = 200) -> Any:
    return render_template(
        "challenges/archive_import.html", organisation=organisation, form=form, plan=plan, import_form=import_form,
        filename=filename, imported=queries.imported_challenges(organisation),
        max_mb=max(max_bytes() // (1024 * 1024), 1), max_lines=archive.MAX_LINES), status


@login_required
@public_page
def archive_page(slug: str) -> Any:
    organisation = _load(slug)
    return _render(organisation, ArchiveFileForm())


@login_required
def archive_check(slug: str) -> Any:
    organisation = _load(slug)
    form = ArchiveFileForm()
    if not form.validate_on_submit():
        return _render(organisation, form, status=400)
    upload = form.file.data
    filename = (getattr(upload, "filename", "") or "")[:150]
    try:
        content_hash = archive.keep_checked_file(stream=upload.stream, upload_dir=current_app.config["UPLOAD_DIR"],
                                                 max_bytes=max_bytes())
        with archive.open_checked_file(upload_dir=current_app.config["UPLOAD_DIR"],
                                       content_hash=content_hash) as stream:
            plan = archive.plan_archive(stream=stream, now=clock.now(), for_organisation=organisation)
    except DomainError as exc:
        db.session.rollback()
        return _render(organisation, form, status=flash_refusal(form, exc))
    finally:
        upload.close()  # a large upload is a temporary file: give it back now, not to the garbage collector
    import_form = ArchiveImportForm(formdata=None, checked=_reference(organisation, content_hash, filename))
    return _render(organisation, form, plan=plan, import_form=import_form, filename=filename)


@login_required
def archive_import(slug: str) -> Any:
    organisation = _load(slug)
    form = ArchiveImportForm()
    payload = _read_reference(organisation, form.checked.data or "") if form.validate_on_submit() else None
    if payload is None:
        if form.csrf_token.errors:
            flash(_("The form had expired. Please send it again."), "error")
        else:
            flash(_("The checked file could not be found again: it may be more than an hour old. Choose the "
                    "file and check it again."), "error")
        return _render(organisation, ArchiveFileForm(formdata=None), status=400)
    try:
        stream = archive.open_checked_file(upload_dir=current_app.config["UPLOAD_DIR"], content_hash=payload["h"])
        plan = archive.import_archive(stream=stream, by=current_user, now=clock.now(),
                                      source=f"upload:{payload['h']}", for_organisation=organisation)
    except DomainError as exc:
        db.session.rollback()
        file_form = ArchiveFileForm(formdata=None)
        return _render(organisation, file_form, status=flash_refusal(file_form, exc))
    db.session.commit()
    created, refused = len(plan.created), len(plan.refused)
    message = _n("%(num)d challenge was imported into the archive.",
                 "%(num)d challenges were imported into the archive.", created)
    if refused:
        message += " " + _n("%(num)d line was refused and created nothing.",
                            "%(num)d lines were refused and created nothing.", refused)
    flash(message, "success" if created else "error")
    return redirect(url_for(".archive_page", slug=organisation.slug))
