"""Challenge routes: the editor (create, edit, rubric, preview, publish) for an organisation's staff.

Every view loads the object (404 when the user may not know it exists), checks the permission
(403 when they may see it but not do this), calls one service and commits once (S17, S18).
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from app.challenges import lifecycle
from app.challenges.forms.editor import (
    TIME_FIELDS,
    ChallengeForm,
    ChallengeTextForm,
    CriterionForm,
    RubricForm,
    anchors_text,
    criterion_rows,
    money_example,
    money_input_value,
    row_action,
    row_count,
    rows_in_order,
    utc_to_local,
)
from app.challenges.models import CHALLENGE_STATE_LABELS, ELIGIBILITY_LABELS, SDG_LABELS, Challenge
from app.challenges.permissions import can_create_challenge, can_edit_challenge
from app.challenges.services import editor
from app.challenges.views._load import visible_challenge
from app.core.timeutil import clock
from app.core.uploads import UploadError, store_image
from app.core.web import flash_refusal
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.organisations import queries as organisation_queries
from app.organisations.forms import ActionForm
from app.organisations.models import Organisation
from app.organisations.permissions import can_view_organisation

# Room for the text fields of the editor next to the cover image itself.
FORM_OVERHEAD = 512 * 1024
DEFAULT_COVER_MAX_BYTES = 5 * 1024 * 1024
UPLOAD_ENDPOINTS = frozenset({"challenges.create", "challenges.edit"})


def _cover_max_bytes() -> int:
    return int(current_app.config.get("COVER_MAX_BYTES", DEFAULT_COVER_MAX_BYTES))


def limit_editor_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF reads the body: a larger request gets the app's 413 page (S34).
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = _cover_max_bytes() + FORM_OVERHEAD


# ---------------------------------------------------------------- loading and authorising
def _load_organisation(org_slug: str) -> Organisation:
    organisation = organisation_queries.organisation_by_slug(org_slug)
    if organisation is None or not can_view_organisation(current_user, organisation):
        abort(404)
    if not can_create_challenge(current_user, organisation):
        abort(403)
    g.private_response = True
    return organisation


def _store_cover(form: ChallengeTextForm) -> str | None:
    upload = form.cover.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return store_image(upload, max_bytes=_cover_max_bytes(), upload_dir=current_app.config["UPLOAD_DIR"])
    except UploadError as exc:
        exc.field = "cover"
        raise


def _initial(challenge: Challenge) -> dict[str, Any]:
    """What the edit form shows for a saved challenge: local times in its zone, amounts in this locale."""
    data: dict[str, Any] = {
        "title": challenge.title, "summary": challenge.summary, "problem_md": challenge.problem_md,
        "background_md": challenge.background_md, "language": challenge.language,
        "tags": ", ".join(t.name for t in challenge.tags), "sdgs": challenge.sdg_numbers,
        "cover_alt": challenge.cover_image_alt or "",
        "prize_amount": money_input_value(challenge.prize_minor, challenge.currency, str(get_locale() or "en"))
        if challenge.prize_minor else "",
        "currency": challenge.currency, "prize_count": challenge.prize_count,
        "prize_split": ", ".join(str(p) for p in challenge.prize_split or [100]),
        "eligibility": list(challenge.eligibility or []), "allow_individuals": challenge.allow_individuals,
        "allow_teams": challenge.allow_teams, "max_team_size": challenge.max_team_size,
        "accepted_licences": list(challenge.accepted_licences or []),
        "concept_publication": str(challenge.concept_publication),
        "max_concept_files": challenge.max_concept_files, "max_concept_file_mb": challenge.max_concept_file_mb,
        "allow_multiple_concepts": bool(challenge.allow_multiple_concepts),
        "is_blind": bool(challenge.is_blind),
        "timezone": challenge.timezone,
    }
    for name in TIME_FIELDS:
        data[name] = utc_to_local(getattr(challenge, name), challenge.timezone)
    return data


def _labels() -> dict[str, Any]:
    return {"STATE_LABELS": CHALLENGE_STATE_LABELS, "ELIGIBILITY_LABELS": ELIGIBILITY_LABELS,
            "SDG_LABELS": SDG_LABELS, "money_example": money_example(str(get_locale() or "en"))}


# Where each publish checklist item is fixed: the editor's field, or another page (None: not by the staff).
_PUBLISH_FIELDS = {"title": "title", "summary": "summary", "problem": "problem_md", "prize": "prize_amount",
                   "timeline": "opens_at", "deadline": "deadline_at", "eligibility": "eligibility-0",
                   "cover_alt": "cover_alt"}


def publish_panel(challenge: Challenge, now: Any) -> list[tuple[editor.PublishItem, str | None]]:
    """The publish checklist with a link to where each item is fixed (editor and manage pages)."""
    out: list[tuple[editor.PublishItem, str | None]] = []
    for item in editor.publish_items(challenge, now):
        if item.key == "rubric":
            link: str | None = url_for("challenges.rubric", slug=challenge.slug)
        elif item.key in _PUBLISH_FIELDS:
            link = f"{url_for('challenges.edit', slug=challenge.slug)}#{_PUBLISH_FIELDS[item.key]}"
        else:
            link = None
        out.append((item, link))
    return out


def _render_edit(challenge: Challenge, form: Any, status: int = 200, publish_failed: bool = False) -> Any:
    now = clock.now()
    mode = editor.edit_mode(challenge, now)
    state = lifecycle.effective_state(challenge, now)
    checklist = publish_panel(challenge, now) if state.value == "draft" else []
    return render_template(
        "challenges/edit_challenge.html", challenge=challenge, form=form, mode=mode.value, state=state,
        checklist=checklist, publish_failed=publish_failed, readability=editor.brief_readability(challenge),
        action_form=ActionForm(), zone=form.timezone.data if form is not None and "timezone" in form
        else challenge.timezone, **_labels()), status


# ---------------------------------------------------------------- create and edit
@login_required
def create(org_slug: str) -> Any:
    organisation = _load_organisation(org_slug)
    # A new challenge starts in the organisation's time zone and in the language its author uses.
    defaults = {"timezone": organisation.timezone, "language": _default_language(organisation)}
    form = ChallengeForm(data=None if request.method == "POST" else defaults,
                         current_timezone=organisation.timezone)
    status = 200
    if form.validate_on_submit():
        try:
            cover_hash = _store_cover(form)
            data = editor.ChallengeInput(**form.values(cover_hash))
            challenge = editor.create_challenge(organisation=organisation, by=current_user, data=data,
                                                  now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            status = flash_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("The draft has been saved. Next, add the judging criteria."), "success")
            return redirect(url_for(".edit", slug=challenge.slug))
    elif form.errors:
        status = 400
    return render_template("challenges/edit_new.html", organisation=organisation, form=form,
                           zone=form.timezone.data or organisation.timezone, **_labels()), status


def _default_language(organisation: Any) -> str:
    locale = str(get_locale() or "en")
    if locale != "en":
        return locale
    return {"DK": "da", "NO": "nb", "SE": "sv"}.get(str(organisation.country), "en")


@login_required
def edit(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    now = clock.now()
    mode = editor.edit_mode(challenge, now)
    if mode is editor.EditMode.READ_ONLY:
        if request.method == "POST":
            flash(_("This challenge is cancelled or archived and can no longer be edited."), "error")
            return _render_edit(challenge, None, 409)
        return _render_edit(challenge, None)
    form_class = ChallengeForm if mode is editor.EditMode.FULL else ChallengeTextForm
    form = form_class(data=None if request.method == "POST" else _initial(challenge),
                      current_timezone=challenge.timezone)
    status = 200
    if form.validate_on_submit():
        try:
            cover_hash = _store_cover(form)
            values = {**editor.ChallengeInput.from_challenge(challenge).__dict__, **form.values(cover_hash)}
            entry = editor.update_challenge(challenge=challenge, by=current_user,
                                              data=editor.ChallengeInput(**values),
                                              reason=form.reason.data if "reason" in form else None, now=now)
        except DomainError as exc:
            db.session.rollback()
            status = flash_refusal(form, exc)
        else:
            db.session.commit()
            if entry is not None:
                flash(_("The changes have been saved, added to the public change log and emailed to followers."),
                      "success")
            else:
                flash(_("The changes have been saved."), "success")
            return redirect(url_for(".edit", slug=challenge.slug))
    elif form.errors:
        status = 400
    return _render_edit(challenge, form, status)


# ---------------------------------------------------------------- rubric
def _existing_rows(challenge: Challenge) -> list[CriterionForm]:
    rows = [CriterionForm(prefix=f"criteria-{i}-", data={
        "criterion_id": str(c.id), "name": c.name, "description": c.description, "weight": c.weight,
        "scale_min": c.scale_min, "scale_max": c.scale_max, "anchors": anchors_text(c.anchors)})
        for i, c in enumerate(challenge.criteria)]
    return rows


def _empty_row(index: int) -> CriterionForm:
    return CriterionForm(prefix=f"criteria-{index}-")


def _rubric_texts() -> dict[str, str]:
    """What the rubric page says after a row button; `{n}`-style placeholders for rubric.js."""
    return {
        "added": _("Criterion %(number)s added.", number="{number}"),
        "moved": _("Criterion moved to position %(position)s of %(count)s. Save the judging criteria to keep "
                   "the new order.", position="{position}", count="{count}"),
        "removed": _("Criterion removed. Save the judging criteria to keep the change."),
        "first": _("This criterion is already first."),
        "last": _("This criterion is already last."),
        "full": _("Use at most %(max)d criteria.", max=editor.MAX_CRITERIA),
    }


def _fill(text: str, **values: int) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _render_rubric(challenge: Challenge, form: RubricForm, rows: list[CriterionForm], status: int = 200,
                   rubric_errors: dict[str, Any] | None = None, message: str | None = None) -> Any:
    now = clock.now()
    errors: list[tuple[str, str]] = []
    rubric_errors = rubric_errors or {}
    for key, message_ in rubric_errors.items():
        target = rows[0].weight.id if key == "weights" and rows else (rows[0].name.id if rows else "criteria")
        errors.append((target, str(message_)))
    for number, row in enumerate(rows, start=1):
        for fld in row:
            # "Criterion 2: Name: at most 120 characters": each row has a "Name", so say which row.
            errors.extend((fld.id, _("Criterion %(number)d: %(error)s", number=number, error=e)) for e in fld.errors)
    errors.extend(("reason", str(e)) for e in form.reason.errors)
    return render_template(
        "challenges/edit_rubric.html", challenge=challenge, form=form, rows=rows, errors=errors,
        rubric_errors={k: str(v) for k, v in rubric_errors.items()}, locked=editor.rubric_locked(challenge, now),
        needs_reason=editor.rubric_needs_reason(challenge), total=sum(c.weight for c in challenge.criteria),
        template_row=CriterionForm(prefix="criteria-__n__-"), max_rows=editor.MAX_CRITERIA,
        texts=_rubric_texts(), message=message, **_labels()), status


def _rearranged(challenge: Challenge, form: RubricForm, rows: list[CriterionForm], action: str, index: int) -> Any:
    """A row button without JavaScript: the rows as typed, one removed or moved; nothing is saved."""
    texts = _rubric_texts()
    order = list(range(len(rows)))
    if action == "remove_row":
        order.pop(index)
        message = texts["removed"]
    else:
        target = index - 1 if action == "move_up" else index + 1
        if not 0 <= target < len(rows):
            return _render_rubric(challenge, form, rows, message=texts["first" if target < 0 else "last"])
        order[index], order[target] = order[target], order[index]
        message = _fill(texts["moved"], position=target + 1, count=len(rows))
    rows = criterion_rows(rows_in_order(request.form, order), len(order)) or [_empty_row(0)]
    return _render_rubric(challenge, form, rows, message=message)


@login_required
def rubric(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    if request.method == "GET":
        rows = _existing_rows(challenge)
        rows += [_empty_row(len(rows)), _empty_row(len(rows) + 1)]
        return _render_rubric(challenge, RubricForm(formdata=None), rows)
    form = RubricForm()
    if not form.validate_on_submit():
        abort(400)
    rows = criterion_rows(request.form, row_count(form, len(challenge.criteria)))
    if "add_row" in request.form:
        # "Add another criterion": the same rows as typed, plus one more empty row (no JavaScript needed).
        if len(rows) >= editor.MAX_CRITERIA:
            return _render_rubric(challenge, form, rows, message=_rubric_texts()["full"])
        rows.append(_empty_row(len(rows)))
        return _render_rubric(challenge, form, rows, message=_fill(_rubric_texts()["added"], number=len(rows)))
    try:
        action = row_action(request.form, len(rows))
    except ValueError:
        abort(400)
    if action is not None and not editor.rubric_locked(challenge, clock.now()):
        return _rearranged(challenge, form, rows, *action)
    kept = [row for row in rows if not row.is_blank()]
    valid = all([row.validate() for row in kept])  # a list: every row is validated, every error shown
    inputs = [row.to_input() for row in kept]
    # The sum of the weights is reported together with the rows' own errors, once every weight is a number.
    problems = editor.rubric_problems(inputs) if all(isinstance(i.weight, int) for i in inputs) else {}
    if not valid or problems:
        return _render_rubric(challenge, form, rows, 400, problems)
    try:
        entry = editor.save_rubric(challenge=challenge, by=current_user, rows=inputs, reason=form.reason.data,
                                     now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, str(exc)]
            return _render_rubric(challenge, form, rows, 400)
        return _render_rubric(challenge, form, rows, 400, {exc.field or "criteria": exc.message})
    db.session.commit()
    if entry is not None:
        flash(_("The judging criteria have been amended; the change is in the public change log."), "success")
    else:
        flash(_("The judging criteria have been saved."), "success")
    return redirect(url_for(".rubric", slug=challenge.slug))


# ---------------------------------------------------------------- preview and publish
@login_required
def preview(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    now = clock.now()
    return render_template("challenges/preview.html", challenge=challenge, now=now,
                           state=lifecycle.effective_state(challenge, now), preview=True, **_labels())


@login_required
def publish(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        state = editor.publish_challenge(challenge=challenge, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        mode = editor.edit_mode(challenge, clock.now())
        form = None
        if mode is not editor.EditMode.READ_ONLY:
            form_class = ChallengeForm if mode is editor.EditMode.FULL else ChallengeTextForm
            form = form_class(formdata=None, data=_initial(challenge), current_timezone=challenge.timezone)
        return _render_edit(challenge, form, 400, publish_failed=True)
    db.session.commit()
    if state.value == "open":
        flash(_("The challenge is published and open for concepts."), "success")
    else:
        flash(_("The challenge is published. It opens for concepts at the time set in the timeline."), "success")
    return redirect(url_for(".edit", slug=challenge.slug))
