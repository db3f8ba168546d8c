"""A juror's round and score sheets (issue 10 item 5; A09, S17, S19, S21, S22, S38, P09, P10).

The sheet page shows the frozen submitted version beside the sheet. Every opening of a sheet and
every file download is an audit event (P10). Anchoring: a juror sees the other jurors' submitted
scores on a concept (as "Juror 1", "Juror 2") only once their own sheet is submitted; the chair
sees everyone's, with names, at any time. In a blind challenge nothing here names a team (S19):
labels and titles only, neutral file names and files without their author metadata (S38).
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.challenges.models import Challenge
from app.concepts.models import ConceptVersion, ConceptVersionFile
from app.core.audit import record_event
from app.core.downloads import as_download, send_stored_document
from app.core.files import document_path
from app.core.metadata import MetadataError, neutral_filename, strip_author_metadata
from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.i18n import _
from app.judging import permissions, queries
from app.judging.forms.scoring import is_radio_scale, sheet_form_class
from app.judging.models import JudgingRound, JurySeat, RoundMethod, ScoreSheet
from app.judging.services.scoring import (
    SheetConflictError,
    SheetError,
    comment_field,
    read_only_reason,
    save_sheet,
    score_field,
)
from app.judging.views._juror import juror_round, readable_entry, refuse


# ---------------------------------------------------------------- helpers
def juror_file_name(challenge: Challenge, label: str, item: ConceptVersionFile) -> str:
    """The name a juror downloads a file under: in a blind challenge "C-017-1.pdf", saying nothing
    about who made it (S38); otherwise the team's own file name."""
    if not permissions.hides_identities(challenge):
        return item.filename
    ext = neutral_filename(0, item.position, item.filename).rsplit(".", 1)[-1]  # the cleaned extension
    return f"{label}-{item.position + 1}.{ext}"


def _version(entry: queries.Entry) -> ConceptVersion | None:
    return db.session.get(ConceptVersion, entry.version_id) if entry.version_id is not None else None


def _initial(sheet: ScoreSheet | None, criteria: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"lock_version": sheet.lock_version if sheet is not None else 0}
    stored = {s.criterion_id: s for s in sheet.scores} if sheet is not None else {}
    for c in criteria:
        score = stored.get(c.id)
        data[score_field(c.id)] = "" if score is None or score.value is None else str(score.value)
        data[comment_field(c.id)] = score.comment if score is not None else ""
    if sheet is not None:
        data["overall_comment"] = sheet.overall_comment
        data["private_note"] = sheet.private_note
    return data


def _set_version(form: Any, version: int) -> None:
    # IntegerField renders its raw input while it has one; the new version must win.
    form.lock_version.data = version
    form.lock_version.raw_data = None


def _others(seat: JurySeat, judging_round: JudgingRound, concept_id: int,
            own: ScoreSheet | None) -> list[dict[str, Any]] | None:
    """The other jurors' sheets this viewer may see (anchoring rule), or None while hidden."""
    chair = permissions.is_chair(seat)
    if not chair and (own is None or not own.is_submitted):
        return None
    rows = []
    number = 0
    for sheet in queries.concept_sheets(judging_round.id, concept_id):
        if sheet.seat_id == seat.id or (not chair and not sheet.is_submitted):
            continue
        number += 1
        rows.append({
            "name": sheet.seat.shown_name() if chair else _("Juror %(num)d", num=number),
            "removed": not sheet.seat.is_active, "submitted": sheet.is_submitted,
            "values": {s.criterion_id: s.value for s in sheet.scores},
            "note": sheet.private_note,
        })
    return rows


def _page(challenge: Challenge, seat: JurySeat, judging_round: JudgingRound, entry: queries.Entry, form: Any,
          sheet: ScoreSheet | None, *, status: int = 200, notice: str | None = None,
          conflict: ScoreSheet | None = None) -> tuple[str, int]:
    version = _version(entry)
    blind = permissions.hides_identities(challenge)
    members: list[str] = []
    if not blind and version is not None:
        names = queries.display_names(version.member_ids or [])
        members = [names[u] for u in version.member_ids or [] if u in names]
    criteria = judging_round.criteria()
    return render_template(
        "judging/sheet.html", challenge=challenge, seat=seat, round=judging_round, entry=entry, version=version,
        form=form, sheet=sheet, criteria=criteria, is_radio_scale=is_radio_scale, score_field=score_field,
        comment_field=comment_field, blind=blind, members=members,
        team_name=None if blind else (version.team_name if version is not None else None),
        files=[(f, juror_file_name(challenge, entry.label, f)) for f in (version.files if version else [])],
        readonly=read_only_reason(challenge, judging_round, clock.now()),
        scored=judging_round.method == RoundMethod.RUBRIC, notice=notice, conflict=conflict,
        others=_others(seat, judging_round, entry.concept_id, sheet), is_chair=permissions.is_chair(seat),
    ), status


# ---------------------------------------------------------------- the round
@login_required
def round_page(slug: str, number: int) -> Any:
    challenge, seat, judging_round = juror_round(slug, number)
    readable = queries.readable_concept_ids(seat, judging_round)
    entries = queries.entries(challenge.id, readable)
    sheets = queries.sheets_of_seat(seat.id, judging_round.id)
    progress = next((p for p in queries.juror_rounds(seat) if p.round.id == judging_round.id), None)
    ballot = queries.ballot_of(judging_round.id, seat.id) if judging_round.method == RoundMethod.RANKING else None
    return render_template(
        "judging/round.html", challenge=challenge, seat=seat, round=judging_round, entries=entries,
        sheets=sheets, progress=progress, ballot=ballot,
        readonly=read_only_reason(challenge, judging_round, clock.now()))


# ---------------------------------------------------------------- the sheet
@login_required
def sheet(slug: str, number: int, label: str) -> Any:
    challenge, seat, judging_round = juror_round(slug, number)
    entry = readable_entry(challenge, seat, judging_round, label)
    form_class = sheet_form_class(judging_round.criteria())
    existing = queries.sheet_of(judging_round.id, seat.id, entry.concept_id)
    if request.method == "GET":
        record_event(actor=current_user, action="judging.concept_opened", object_type="concept",
                     object_id=entry.concept_id, details={"seat_id": seat.id, "round_id": judging_round.id,
                                                          "challenge_id": challenge.id})
        db.session.commit()
        return _page(challenge, seat, judging_round, entry,
                     form_class(formdata=None, data=_initial(existing, judging_round.criteria())), existing)
    form = form_class()
    if judging_round.method != RoundMethod.RUBRIC:
        return _page(challenge, seat, judging_round, entry, form, existing, status=409,
                     notice=_("This round is decided by ranking: rank the entries on the ranking page."))
    if not form.validate_on_submit():
        return _page(challenge, seat, judging_round, entry, form, existing, status=400)
    submit = request.form.get("action") == "submit"
    try:
        saved = save_sheet(seat=seat, judging_round=judging_round, concept_id=entry.concept_id,
                           version_id=entry.version_id, base_version=form.lock_version.data,
                           data=form.sheet_input(), submit=submit, by=current_user, now=clock.now())
    except SheetConflictError as exc:
        db.session.rollback()
        stored = queries.sheet_of(judging_round.id, seat.id, entry.concept_id)
        _set_version(form, stored.lock_version if stored is not None else 0)
        return _page(challenge, seat, judging_round, entry, form, stored, status=409, notice=str(exc),
                     conflict=stored)
    except SheetError as exc:
        db.session.rollback()
        placed = False
        for name, message in exc.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, str(message)]
                placed = True
        return _page(challenge, seat, judging_round, entry, form, existing, status=http_status(exc),
                     notice=None if placed and not submit else str(exc))
    submitted = saved.is_submitted
    db.session.commit()
    if submit:
        flash(_("Your sheet for %(label)s has been submitted. You can still change it until the round's deadline.",
                label=entry.label), "success")
    elif submitted:
        flash(_("Your changes to the submitted sheet for %(label)s have been saved. It stays submitted.",
                label=entry.label), "success")
    else:
        flash(_("Your draft sheet for %(label)s has been saved. Submit it when every criterion has a score.",
                label=entry.label), "success")
    return redirect(url_for("judging.sheet", slug=slug, number=number, label=entry.label), 303)


# ---------------------------------------------------------------- the files of the frozen version
@login_required
def sheet_file(slug: str, number: int, label: str, position: int) -> Any:
    challenge, seat, judging_round = juror_round(slug, number)
    entry = readable_entry(challenge, seat, judging_round, label)
    version = _version(entry)
    item = next((f for f in (version.files if version else []) if f.position == position), None)
    if item is None:
        refuse(404, _("%(label)s has no such file.", label=entry.label))
    record_event(actor=current_user, action="judging.file_opened", object_type="concept", object_id=entry.concept_id,
                 details={"seat_id": seat.id, "round_id": judging_round.id, "challenge_id": challenge.id,
                          "position": position})
    db.session.commit()
    name = juror_file_name(challenge, entry.label, item)
    if not permissions.hides_identities(challenge):
        return send_stored_document(content_hash=item.content_hash, mimetype=item.mimetype, filename=name,
                                    what=f"File {item.position} of {entry.label}")
    try:
        data = document_path(current_app.config["UPLOAD_DIR"], item.content_hash).read_bytes()
    except (ValueError, OSError):
        current_app.logger.error("File %s of %s: stored file is missing", item.position, entry.label)
        refuse(404, _("%(label)s has no such file.", label=entry.label))
    try:
        clean = strip_author_metadata(data, item.mimetype)
    except MetadataError as exc:
        current_app.logger.warning("File %s of %s could not be cleaned: %s", item.position, entry.label, exc)
        refuse(409, _("This file could not be cleaned of its author's details, so it is not shown in a blind "
                      "challenge. Tell the chair: they can ask the organisers for a clean copy."))
    response = Response(clean, mimetype=item.mimetype)
    return as_download(response, name)
