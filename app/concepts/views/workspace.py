"""Concept routes, part A: the workspace. Start a concept, edit and autosave the draft, its cover
image and files (issue 5; S17, S20, S21, S34-S37, R03, R05-R07, A06, A07).

The workspace is the team's: anyone else gets a 404, whoever they are (S17). Text is never lost:
every refusal re-renders what was posted (a deadline passed, a version conflict, a refused file),
and a refused file never stops the text of the form from being saved.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time
from flask_login import current_user, login_required

from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState
from app.challenges.permissions import is_staff_of_challenge
from app.challenges.views._load import visible_challenge
from app.concepts import signals
from app.concepts.forms.workspace import AutosaveForm, DraftForm, DraftTextForm, UploadForm
from app.concepts.models import Concept, ConceptAttachment
from app.concepts.permissions import can_edit_concept, is_team_lead, is_team_member
from app.concepts.services.common import (
    ConceptError,
    DeadlinePassedError,
    VersionConflictError,
    grace_seconds,
)
from app.concepts.services.workspace import (
    NotEligibleError,
    SlotTakenError,
    attach_concept_file,
    delete_concept_attachment,
    existing_concept,
    max_file_bytes,
    max_file_count,
    save_draft,
    start_concept,
    store_concept_file,
)
from app.concepts.views._load import team_concept
from app.core.downloads import send_stored_document, send_stored_image
from app.core.files import format_size
from app.core.markdown import plain_text, render_markdown
from app.core.timeutil import clock
from app.core.uploads import UploadError, store_image
from app.core.web import http_status, place_error
from app.db import db, locks_before_writing
from app.i18n import _, _n
from app.i18n_setup import LANGUAGE_NAMES

DEFAULT_COVER_MAX_BYTES = 5 * 1024 * 1024
# Downloads never run as a page of this site, even if a browser were talked into rendering one (S37).


def _cover_max_bytes() -> int:
    return int(current_app.config.get("COVER_MAX_BYTES", DEFAULT_COVER_MAX_BYTES))


def _disk_message() -> str:
    return _("The server could not store the file just now (it may be out of space). Your text was saved; "
             "please try the file again later.")


# ---------------------------------------------------------------- loading and authorising
def _attachment_of(concept: Concept, attachment_id: int) -> ConceptAttachment:
    item = db.session.get(ConceptAttachment, attachment_id)
    if item is None or item.concept_id != concept.id:
        abort(404)
    return item


def _is_editable(concept: Concept) -> bool:
    return can_edit_concept(current_user, concept, clock.now(), grace_seconds())


# ---------------------------------------------------------------- template helpers
def draft_file_url(item: ConceptAttachment) -> str:
    return url_for("concepts.draft_file", concept_id=item.concept_id, attachment_id=item.id, filename=item.filename)


def concept_cover_url(concept: Concept) -> str | None:
    if not concept.cover_image_hash:
        return None
    return url_for("concepts.cover", concept_id=concept.id, v=concept.cover_image_hash[:16])


def attachments_panel(concept: Concept) -> dict[str, Any]:
    """What templates/concepts/_workspace_attachments.html needs."""
    items = list(concept.attachments)
    limit = max_file_count(concept.challenge)
    left = max(limit - len(items), 0)
    hint = " ".join((
        _("Accepted: PDF, images (PNG, JPEG, WebP, GIF), slide decks (PowerPoint .pptx, OpenDocument .odp) and "
          "documents (Word .docx, Excel .xlsx, OpenDocument .odt, .ods)."),
        _("At most %(size)s per file.", size=format_size(max_file_bytes(concept.challenge))),
        _n("A concept can have %(num)d file.", "A concept can have %(num)d files.", limit),
        _n("%(num)d more can be added.", "%(num)d more can be added.", left),
    ))
    return {"items": items, "max_count": limit, "full": left == 0, "hint": hint,
            "editable": _is_editable(concept)}


def concept_start_panel(challenge: Challenge) -> dict[str, Any] | None:
    """The "Start a concept" block of a challenge page: what this visitor can do, if anything."""
    if effective_state(challenge, clock.now()) is not ChallengeState.OPEN:
        return None
    if not current_user.is_authenticated:
        return {"kind": "login", "login_url": url_for("accounts.login", next=request.path),
                "signup_url": url_for("accounts.signup")}
    if is_staff_of_challenge(current_user, challenge):
        return None
    concept = existing_concept(current_user, challenge)
    if concept is not None and not challenge.allow_multiple_concepts:
        return {"kind": "continue",
                "url": url_for("concepts.overview", concept_id=concept.id)}
    return {"kind": "start", "url": url_for("concepts.start", slug=challenge.slug),
            "continue_url": url_for("concepts.edit", concept_id=concept.id) if concept is not None else None}


def _initial(concept: Concept) -> dict[str, Any]:
    return {"lock_version": concept.lock_version, "title": concept.title, "summary": concept.summary,
            "body_md": concept.body_md, "language": concept.language,
            "tags": ", ".join(t.name for t in concept.tags), "cover_alt": concept.cover_image_alt or ""}


def _set_version(form: DraftTextForm, version: int) -> None:
    # IntegerField renders its raw input while it has one; the new version must win.
    form.lock_version.data = version
    form.lock_version.raw_data = None


def _links(concept: Concept) -> dict[str, str | None]:
    return {
        "overview": url_for("concepts.overview", concept_id=concept.id),
        "team": url_for("concepts.team", concept_id=concept.id),
        "submit": url_for("concepts.submit", concept_id=concept.id),
        "reopen": url_for("concepts.reopen", concept_id=concept.id),
        "restore": url_for("concepts.restore", concept_id=concept.id),
        "challenge": url_for("challenges.detail", slug=concept.challenge.slug),
    }


PRIOR_ART_LIMIT = 6
PRIOR_ART_BODY_CHARS = 1500


def _prior_art(concept: Concept) -> list[Any]:
    """Published concepts and past challenges like the saved draft (its title, summary and the
    start of its body), so a team sees prior art before it submits. Asked of search through
    signals.prior_art_requested; the text is only a query, never stored."""
    text = " ".join(filter(None, (concept.title, concept.summary,
                                  plain_text(concept.body_md)[:PRIOR_ART_BODY_CHARS])))
    if not text.strip():
        return []
    found = [hit for _receiver, hits in signals.prior_art_requested.send(
        concept, text=text, language=concept.language or "en", limit=PRIOR_ART_LIMIT) for hit in hits or ()]
    return found[:PRIOR_ART_LIMIT]


def _render_edit(concept: Concept, form: DraftForm | None, status: int = 200, *, notice: str | None = None,
                 preview: bool = False) -> tuple[str, int]:
    now = clock.now()
    writable = concept.is_writable(now, grace_seconds())
    editable = can_edit_concept(current_user, concept, now, grace_seconds())
    if form is None and editable:
        form = DraftForm(formdata=None, data=_initial(concept))
    return render_template(
        "concepts/edit.html", concept=concept, form=form if (editable or form is not None) else None,
        editable=editable, writable=writable, notice=notice, preview=preview,
        preview_html=render_markdown(concept.body_md, top=3) if preview else None,
        deadline=concept.deadline(), panel=attachments_panel(concept), links=_links(concept),
        is_lead=is_team_lead(current_user, concept), language_names=LANGUAGE_NAMES,
        upload_max_bytes=max_file_bytes(concept.challenge), cover_url=concept_cover_url(concept),
        draft_file_url=draft_file_url, prior_art=_prior_art(concept) if editable else []), status


def _render_conflict(concept: Concept, form: DraftForm, exc: ConceptError) -> tuple[str, int]:
    # "Keep mine" posts what was typed again, on top of the version that is saved now.
    _set_version(form, concept.lock_version)
    file_dropped = any(getattr(f.data, "filename", "") for f in (form.cover, form.attachment)) \
        if isinstance(form, DraftForm) else False
    return render_template(
        "concepts/conflict.html", concept=concept, form=form, message=str(exc), file_dropped=file_dropped,
        saved_tags=", ".join(t.name for t in concept.tags), language_names=LANGUAGE_NAMES,
        links=_links(concept)), 409


# ---------------------------------------------------------------- start
@login_required
def start(slug: str) -> Any:
    challenge = visible_challenge(slug)
    g.private_response = True
    try:
        concept = start_concept(challenge=challenge, by=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        existing = existing_concept(current_user, challenge) if isinstance(exc, SlotTakenError) else None
        return render_template(
            "concepts/start_refused.html", challenge=challenge, message=str(exc),
            profile_url=url_for("accounts.profile") if isinstance(exc, NotEligibleError) else None,
            existing_url=url_for("concepts.edit", concept_id=existing.id) if existing is not None else None,
        ), http_status(exc)
    db.session.commit()
    flash(_("Your draft has been created. Only your team can see it; it is saved every time you save the form."),
          "success")
    return redirect(url_for("concepts.edit", concept_id=concept.id), 303)


# ---------------------------------------------------------------- edit
def _store_cover(form: DraftForm) -> str | None:
    upload = form.cover.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return store_image(upload, max_bytes=_cover_max_bytes(), upload_dir=current_app.config["UPLOAD_DIR"])


def _stored(field: Any, concept: Any, what: str, store: Callable[[], Any]) -> tuple[Any, int]:
    """Store one uploaded file of the form before the write lock: (what `store` returned, 0), or
    (None, the status to answer with) with the refusal shown at its field; the text is saved anyway."""
    try:
        return store(), 0
    except (ConceptError, UploadError) as exc:
        field.errors = [*field.errors, str(exc)]
        return None, http_status(exc)
    except OSError as exc:
        current_app.logger.error("Concept %s: storing %s failed: %s", concept.id, what, exc)
        field.errors = [*field.errors, _disk_message()]
        return None, 507


@locks_before_writing
@login_required
def edit(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    if request.method == "GET":
        return _render_edit(concept, None, preview=request.args.get("preview") == "1")
    form = DraftForm()
    if not form.validate_on_submit():
        return _render_edit(concept, form, 400)
    now = clock.now()
    status = 200
    notices: list[str] = []
    # The files are checked and stored (outside the write lock) before the text is saved, as part of
    # the same save, but a refused file never stops the text from being saved.
    cover_hash, refused = _stored(form.cover, concept, "the cover image", lambda: _store_cover(form))
    status = max(status, refused)
    stored = None
    upload = form.attachment.data
    if upload is not None and getattr(upload, "filename", ""):
        stored, refused = _stored(form.attachment, concept, "an attachment", lambda: store_concept_file(
            concept=concept, upload=upload, now=now, upload_dir=current_app.config["UPLOAD_DIR"]))
        status = max(status, refused)
    try:
        save_draft(concept=concept, by=current_user, now=now, base_version=form.lock_version.data,
                   data=form.draft_input(cover_hash, bool(form.remove_cover.data)))
    except VersionConflictError as exc:
        db.session.rollback()
        return _render_conflict(concept, form, exc)
    except ConceptError as exc:
        db.session.rollback()
        notice = place_error(form, exc)
        return _render_edit(concept, form, http_status(exc), notice=notice)
    attached = None
    if stored is not None:
        try:
            # Refused before it changes anything: the text above is still saved.
            attached = attach_concept_file(concept=concept, stored=stored, by=current_user, now=now).filename
        except ConceptError as exc:
            form.attachment.errors = [*form.attachment.errors, str(exc)]
            status = max(status, http_status(exc))
    version = concept.lock_version
    db.session.commit()
    _set_version(form, version)
    if attached is not None:
        flash(_("“%(name)s” has been attached.", name=attached), "success")

    if status >= 400:
        notices.append(_("Your text was saved. The file below was not: please choose it again."))
        return _render_edit(concept, form, status, notice=" ".join(notices))
    # concept_id, not concept.id: the committed concept would be loaded again just for its id.
    if request.form.get("action") == "preview":
        flash(_("Saved. The preview is below the form."), "success")
        return redirect(url_for("concepts.edit", concept_id=concept_id, preview=1, _anchor="preview"), 303)
    flash(_("Saved at %(time)s.", time=format_time(now, "short")), "success")
    return redirect(url_for("concepts.edit", concept_id=concept_id), 303)


# ---------------------------------------------------------------- autosave (JSON, for autosave.js)
def _json(status: int, **body: Any) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _not_saved(reason: str) -> str:
    return _("Not saved: %(reason)s. Your text is still here; copy it or try again.", reason=reason.rstrip(". "))


@locks_before_writing
def autosave(concept_id: int) -> Any:
    # A script cannot follow a redirect to the login page usefully: say so in JSON (A07).
    if not current_user.is_authenticated:
        return _json(401, ok=False, message=_("Not saved: you are logged out. Your text is still here; copy it, "
                                              "log in in another tab and try again."))
    concept = db.session.get(Concept, concept_id)
    if concept is None or not is_team_member(current_user, concept):
        return _json(404, ok=False, message=_("Page not found"))
    g.private_response = True
    form = AutosaveForm()
    if not form.validate():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        first = next(iter(errors.values()))[0]
        return _json(400, ok=False, errors=errors, message=_not_saved(first))
    now = clock.now()
    try:
        save_draft(concept=concept, by=current_user, now=now, base_version=form.lock_version.data,
                   data=form.draft_input())
    except VersionConflictError as exc:
        db.session.rollback()
        return _json(409, ok=False, conflict=True, message=str(exc))
    except DeadlinePassedError as exc:
        db.session.rollback()
        return _json(409, ok=False, deadline=True, message=str(exc))
    except ConceptError as exc:
        db.session.rollback()
        # 409: submitted or withdrawn meanwhile; the page's script stops saving.
        return _json(http_status(exc), ok=False, field=exc.field, locked=http_status(exc) == 409,
                     message=_not_saved(str(exc)))
    db.session.commit()
    return _json(200, ok=True, lock_version=concept.lock_version, saved_at=now.isoformat(),
                 message=_("Saved at %(time)s", time=format_time(now, "short")))


# ---------------------------------------------------------------- files
def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@locks_before_writing
@login_required
def upload(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    form = UploadForm()
    base = form.lock_version.data if form.validate_on_submit() else None
    file = form.attachment.data
    status, message = 200, ""
    item = None
    if file is None or not getattr(file, "filename", ""):
        status, message = 400, _("Choose a file to upload.")
    else:
        try:
            now = clock.now()
            stored = store_concept_file(concept=concept, upload=file, now=now,
                                        upload_dir=current_app.config["UPLOAD_DIR"])
            item = attach_concept_file(concept=concept, stored=stored, by=current_user, now=now)
        except (ConceptError, UploadError) as exc:
            db.session.rollback()
            status, message = http_status(exc), str(exc)
        except OSError as exc:
            db.session.rollback()
            current_app.logger.error("Concept %s: storing an attachment failed: %s", concept.id, exc)
            status, message = 507, _("The server could not store the file just now (it may be out of space). "
                                     "Please try again later.")
    if item is not None:
        name = item.filename
        db.session.commit()
        message = _("“%(name)s” has been attached.", name=name)
    if not _wants_json():
        flash(message, "success" if item is not None else "error")
        return redirect(url_for("concepts.edit", concept_id=concept.id), 303)
    if item is None:
        return _json(status, ok=False, message=message)
    # The page's version moves on only if nobody else saved in between; otherwise its next save
    # must meet the version check (and show both versions).
    in_sync = base is not None and base + 1 == concept.lock_version
    html = render_template("concepts/_workspace_attachments.html", concept=concept, panel=attachments_panel(concept),
                           draft_file_url=draft_file_url)
    return _json(200, ok=True, message=message, lock_version=concept.lock_version if in_sync else None, html=html)


@login_required
def delete_attachment(concept_id: int, attachment_id: int) -> Any:
    concept = team_concept(concept_id)
    item = _attachment_of(concept, attachment_id)
    name = item.filename
    try:
        delete_concept_attachment(concept=concept, attachment=item, by=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("concepts.edit", concept_id=concept.id), 303)
    db.session.commit()
    flash(_("“%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("concepts.edit", concept_id=concept.id, _anchor="files"), 303)


@login_required
def draft_file(concept_id: int, attachment_id: int, filename: str) -> Any:
    # Permission is checked on every fetch: the URL is no bearer token (S37).
    concept = team_concept(concept_id)
    item = _attachment_of(concept, attachment_id)
    if filename != item.filename:
        return redirect(draft_file_url(item))
    return send_stored_document(content_hash=item.content_hash, mimetype=item.mimetype, filename=item.filename,
                                last_modified=item.created_at,
                                what=f"Attachment {item.id} of concept {concept.id}")


@login_required
def cover(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    if not concept.cover_image_hash:
        abort(404)
    return send_stored_image(concept.cover_image_hash)
