"""Organisers' concept pages (issue 5, part E1): entries (counts before the deadline, the entered
concepts after it), one entry with its files, ineligibility, per-team extensions, CSV and ZIP exports.

Reading is for the organisation's staff and platform admins (can_review_entries); changing
(ineligibility, extensions) is for the organisation's staff only, as with running the challenge
(S18). A user who may not know the challenge exists gets 404; one who may see it, 403 (S17).
"""
from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from app.accounts.models import PARTICIPANT_KIND_LABELS, ParticipantKind
from app.challenges.models import LICENCE_SHORT, Challenge, Licence
from app.challenges.permissions import is_staff_of_challenge
from app.challenges.views._load import visible_challenge
from app.concepts import signals
from app.concepts.forms.entries import EligibleForm, EntryFilterForm, ExtensionForm, IneligibleForm
from app.concepts.models import Concept, ConceptVersion, ConceptVersionFile, reference
from app.concepts.permissions import can_review_entries
from app.concepts.services import entries
from app.concepts.services.common import ConceptError, eligibility_problem, grace_seconds
from app.core.downloads import as_download, send_stored_document, send_stored_image
from app.core.markdown import render_markdown
from app.core.pagination import page_args, paginate
from app.core.timeutil import clock
from app.core.web import http_status, render_error
from app.db import db
from app.i18n import _
from app.organisations.models import COUNTRY_LABELS

PER_PAGE = 25
ZIP_SPOOL_BYTES = 32 * 1024 * 1024


def licence_label(value: str | None) -> str:
    try:
        return str(LICENCE_SHORT[Licence(value)])
    except (ValueError, KeyError):
        return value or ""


def kind_label(value: str | None) -> str:
    try:
        return str(PARTICIPANT_KIND_LABELS[ParticipantKind(value)])
    except (ValueError, KeyError):
        return value or ""


def country_label(value: str | None) -> str:
    if not value:
        return ""
    for code, label in COUNTRY_LABELS.items():
        if str(getattr(code, "value", code)) == value:
            return str(label)
    return value


def _entries_challenge(slug: str, *, may: Any) -> Challenge:
    """visible_challenge, then the features above may refuse the organisers' view of the entries
    (judging: a member of the challenge's blind jury), with a 403 that says why."""
    challenge = visible_challenge(slug, may=may)
    for _receiver, refusal in signals.entries_requested.send(challenge, user=current_user):
        if refusal is not None:
            abort(make_response(*render_error(403, str(refusal))))
    return challenge


def _helpers() -> dict[str, Any]:
    return {"reference": entries.reference, "licence_label": licence_label, "kind_label": kind_label,
            "country_label": country_label}


# ---------------------------------------------------------------- loading and permission
def _entry(challenge: Challenge, concept_id: int) -> ConceptVersion:
    """The counting version of a readable entry; 404 for drafts, withdrawn, too early or another challenge."""
    version = entries.entry_version(challenge, concept_id, clock.now())
    if version is None:
        abort(404)
    return version


# ---------------------------------------------------------------- the list
@login_required
def entries_page(slug: str) -> Any:
    challenge = _entries_challenge(slug, may=can_review_entries)
    now = clock.now()
    drafts, submitted = entries.counts_for(challenge)
    context: dict[str, Any] = {"challenge": challenge, "drafts": drafts, "submitted": submitted,
                               "is_staff": is_staff_of_challenge(current_user, challenge), **_helpers()}
    if not entries.challenge_deadline_passed(challenge, now):
        readable_from = (challenge.deadline_at + timedelta(seconds=grace_seconds())
                         if challenge.deadline_at is not None else None)
        return render_template("concepts/entries.html", readable=False, readable_from=readable_from, **context)
    languages, tags = entries.filter_options(challenge, now)
    form = EntryFilterForm(formdata=request.args, languages=languages, tags=tags)
    extended = entries.running_extensions(challenge, now)
    if not form.validate():
        # S31: an unknown filter or sort value is a request error shown at its field; nothing is queried.
        return render_template("concepts/entries.html", readable=True, form=form, pagination=None,
                               extended=extended, filters=None, page_args={}, **context), 400
    filters = form.filters()
    pagination = paginate(entries.filtered_entries(challenge, filters, now), per_page=PER_PAGE)
    return render_template("concepts/entries.html", readable=True, form=form, pagination=pagination,
                           extended=extended, filters=filters, page_args=page_args(), **context)


# ---------------------------------------------------------------- one entry
def _render_entry(challenge: Challenge, version: ConceptVersion, form: IneligibleForm | None = None,
                  status: int = 200, refused: str | None = None) -> Any:
    concept = version.concept
    members = entries.member_users(version)
    return render_template(
        "concepts/entry.html", challenge=challenge, concept=concept, version=version,
        body=render_markdown(version.body_md, top=3), members=members,
        fits={u.id: eligibility_problem(u, challenge) is None for u in members},
        versions=entries.version_count(concept), form=form or IneligibleForm(formdata=None),
        eligible_form=EligibleForm(formdata=None), refused=refused,
        is_staff=is_staff_of_challenge(current_user, challenge), **_helpers()), status


@login_required
def entry(slug: str, concept_id: int) -> Any:
    challenge = _entries_challenge(slug, may=can_review_entries)
    return _render_entry(challenge, _entry(challenge, concept_id))


@login_required
def mark_ineligible(slug: str, concept_id: int) -> Any:
    challenge = _entries_challenge(slug, may=is_staff_of_challenge)
    version = _entry(challenge, concept_id)
    form = IneligibleForm()
    if not form.validate_on_submit():
        return _render_entry(challenge, version, form, 400)
    try:
        entries.mark_ineligible(concept=version.concept, by=current_user, reason=form.reason.data, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, str(exc)]
            return _render_entry(challenge, _entry(challenge, concept_id), form, http_status(exc))
        return _render_entry(challenge, _entry(challenge, concept_id), form, http_status(exc), refused=str(exc))
    db.session.commit()
    flash(_("%(ref)s is marked ineligible. The team has been told why.", ref=reference(concept_id)),
          "success")
    return redirect(url_for(".entry", slug=challenge.slug, concept_id=concept_id))


@login_required
def mark_eligible(slug: str, concept_id: int) -> Any:
    challenge = _entries_challenge(slug, may=is_staff_of_challenge)
    version = _entry(challenge, concept_id)
    if not EligibleForm().validate_on_submit():
        return _render_entry(challenge, version, status=400)
    try:
        entries.mark_eligible(concept=version.concept, by=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        return _render_entry(challenge, _entry(challenge, concept_id), status=http_status(exc), refused=str(exc))
    db.session.commit()
    flash(_("%(ref)s is marked eligible again.", ref=reference(concept_id)), "success")
    return redirect(url_for(".entry", slug=challenge.slug, concept_id=concept_id))


@login_required
def entry_file(slug: str, concept_id: int, file_id: int, filename: str) -> Any:
    # Permission is checked on every fetch: the URL is no bearer token (S37).
    challenge = _entries_challenge(slug, may=can_review_entries)
    version = _entry(challenge, concept_id)
    item = next((f for f in version.files if f.id == file_id), None)
    if item is None:
        abort(404)
    if filename != item.filename:
        return redirect(entry_file_url(challenge, item))
    return send_stored_document(content_hash=item.content_hash, mimetype=item.mimetype, filename=item.filename,
                                what=f"File {item.id} of concept {concept_id}")


def entry_file_url(challenge: Challenge, item: ConceptVersionFile) -> str:
    return url_for("concepts.entry_file", slug=challenge.slug, concept_id=item.version.concept_id,
                   file_id=item.id, filename=item.filename)


@login_required
def entry_cover(slug: str, concept_id: int) -> Any:
    challenge = _entries_challenge(slug, may=can_review_entries)
    version = _entry(challenge, concept_id)
    if not version.cover_image_hash:
        abort(404)
    return send_stored_image(version.cover_image_hash)


# ---------------------------------------------------------------- extensions
def _render_extensions(challenge: Challenge, form: ExtensionForm, status: int = 200,
                       refused: str | None = None) -> Any:
    return render_template("concepts/extensions.html", challenge=challenge, form=form,
                           granted=entries.extensions_of(challenge), refused=refused, **_helpers()), status


@login_required
def extensions(slug: str) -> Any:
    challenge = _entries_challenge(slug, may=is_staff_of_challenge)
    form = ExtensionForm(timezone=challenge.timezone,
                         formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        return _render_extensions(challenge, form)
    if not form.validate():
        return _render_extensions(challenge, form, 400)
    concept = db.session.get(Concept, form.concept_id) if form.concept_id else None
    try:
        entries.grant_extension(challenge=challenge, concept=concept, by=current_user, until=form.until_utc,
                                reason=form.reason.data, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        target = {"concept": form.concept, "until": form.until, "reason": form.reason}.get(exc.field or "")
        if target is not None:
            target.errors = [*target.errors, str(exc)]
            return _render_extensions(challenge, form, http_status(exc))
        return _render_extensions(challenge, form, http_status(exc), refused=str(exc))
    db.session.commit()
    flash(_("%(ref)s has a new deadline. The team has been told by email.",
            ref=reference(form.concept_id or 0)), "success")
    return redirect(url_for(".extensions", slug=challenge.slug))


# ---------------------------------------------------------------- exports
def _export_entries(challenge: Challenge) -> list[ConceptVersion] | Any:
    now = clock.now()
    if not entries.challenge_deadline_passed(challenge, now):
        return None
    return entries.all_entries(challenge, now)


@login_required
def export_csv(slug: str) -> Any:
    challenge = _entries_challenge(slug, may=can_review_entries)
    versions = _export_entries(challenge)
    if versions is None:
        return render_error(409, _("Entries can be exported once the deadline has passed."))
    data = entries.build_csv(versions)
    entries.record_export(challenge=challenge, by=current_user, kind="csv", count=len(versions))
    db.session.commit()
    response = current_app.response_class(data, mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return as_download(response, f"{challenge.slug}-entries.csv")


@login_required
def export_zip(slug: str) -> Any:
    challenge = _entries_challenge(slug, may=can_review_entries)
    versions = _export_entries(challenge)
    if versions is None:
        return render_error(409, _("Entries can be exported once the deadline has passed."))
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES)  # noqa: SIM115 (send_file closes it)
    missing = entries.write_zip(spool, versions, upload_dir=current_app.config["UPLOAD_DIR"],
                                csv_name=f"{challenge.slug}-entries.csv")
    if missing:
        current_app.logger.error("Export of %s: stored files missing: %s", challenge.slug, ", ".join(missing))
    entries.record_export(challenge=challenge, by=current_user, kind="zip", count=len(versions))
    db.session.commit()
    spool.seek(0)
    name = f"{challenge.slug}-entries.zip"
    response = send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name,
                         max_age=None)
    return as_download(response, name)
