"""Concept routes, part C: the team's overview of a concept, the review-and-submit step, the
receipts of submitted versions and their files, and reopen, withdraw and restore (issue 5).

Every page here is the team's: anyone else gets a 404 (S17), except that the overview sends an
organiser (after the deadline) or the public (after results) to the page they may read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.challenges.lifecycle import effective_state
from app.challenges.models import LICENCE_LABELS, LICENCE_SHORT, Licence
from app.concepts import queries
from app.concepts.forms.submission import ActionForm, SubmitForm, WithdrawForm
from app.concepts.models import (
    CONCEPT_STATE_LABELS,
    Concept,
    ConceptState,
    ConceptVersion,
    ConceptVersionFile,
    reference,
)
from app.concepts.permissions import can_view_entry, is_team_member, public_level
from app.concepts.services.common import ConceptError, VersionConflictError, grace_seconds
from app.concepts.services.identity import draft_mentions
from app.concepts.services.submission import (
    ChecklistIncompleteError,
    ChecklistItem,
    canonical_json,
    checklist,
    checklist_complete,
    fingerprint_document,
    reopen_concept,
    restore_concept,
    submit_concept,
    team_actions,
    version_by_source,
    withdraw_concept,
)
from app.concepts.views._load import concept_or_404, team_concept
from app.core.downloads import send_stored_document
from app.core.formatting import Countdown, duration_text
from app.core.timeutil import as_utc, clock
from app.core.web import http_status
from app.db import db, locks_before_writing
from app.i18n import _


# ---------------------------------------------------------------- loading
def _version_of(concept: Concept, number: int) -> ConceptVersion:
    version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept.id,
                                                             ConceptVersion.number == number))
    if version is None:
        abort(404)
    return version


def _licence_label(value: str | None) -> str:
    if value and value in Licence.__members__.values():
        return str(LICENCE_SHORT[Licence(value)])
    return value or ""


# ---------------------------------------------------------------- page context
def _countdown(deadline: datetime | None, now: datetime) -> Countdown | None:
    if deadline is None or as_utc(deadline) <= now:
        return None
    target = as_utc(deadline)
    return Countdown(_("Your deadline is in %(time)s", time=duration_text(target - now)),
                         _("Your deadline is in %(time)s", time="{time}"), target)


def _checklist_links(concept: Concept, items: list[ChecklistItem]) -> list[tuple[ChecklistItem, str | None]]:
    out = []
    for item in items:
        if item.section == "team":
            link = url_for("concepts.team", concept_id=concept.id)
        else:
            link = url_for("concepts.edit", concept_id=concept.id)
            if link and item.anchor:
                link = f"{link}#{item.anchor}"
        out.append((item, link))
    return out


def _context(concept: Concept) -> dict[str, Any]:
    now = clock.now()
    grace = grace_seconds()
    challenge = concept.challenge
    writable = concept.is_writable(now, grace)
    state = ConceptState(concept.state)
    items = checklist(concept, challenge)
    actions = team_actions(concept, current_user, now)
    return {
        "concept": concept, "challenge": challenge, "reference": reference(concept.id),
        "state": state, "state_label": CONCEPT_STATE_LABELS[state], "deadline": concept.deadline(),
        "closes_at": concept.write_closes_at(grace), "grace": grace, "writable": writable,
        "countdown": _countdown(concept.deadline(), now) if writable else None,
        "checklist": _checklist_links(concept, items), "ready": checklist_complete(items),
        "versions": list(reversed(concept.versions)), "counting": concept.current_version(),
        "reopened": state == ConceptState.DRAFT and concept.submitted_version_no is not None,
        "can_reopen": actions.reopen, "can_withdraw": actions.withdraw, "can_restore": actions.restore,
        "restore_problem": actions.restore_problem,
        "links": {"edit": url_for("concepts.edit", concept_id=concept.id),
                  "team": url_for("concepts.team", concept_id=concept.id),
                  "submit": url_for("concepts.submit", concept_id=concept.id),
                  "challenge": url_for("challenges.detail", slug=challenge.slug),
                  "mine": url_for("concepts.mine")},
        "licence_label": _licence_label,
    }


def _render_overview(concept: Concept, *, withdraw_form: WithdrawForm | None = None, refused: str | None = None,
                     status: int = 200) -> tuple[str, int]:
    ctx = _context(concept)
    return render_template("concepts/overview.html", **ctx, action_form=ActionForm(formdata=None),
                           withdraw_form=withdraw_form or WithdrawForm(formdata=None), refused=refused), status


# ---------------------------------------------------------------- overview
@login_required
def overview(concept_id: int) -> Any:
    concept = concept_or_404(concept_id)
    if not is_team_member(current_user, concept):
        now, grace = clock.now(), grace_seconds()
        slug = concept.challenge.slug
        if can_view_entry(current_user, concept, now, grace):
            return redirect(url_for("concepts.entry", slug=slug, concept_id=concept.id))
        if public_level(concept) is not None:
            return redirect(url_for("concepts.public", slug=slug, concept_id=concept.id))
        abort(404)
    return _render_overview(concept)


# ---------------------------------------------------------------- submit
def _render_submit(concept: Concept, form: SubmitForm, *, refused: str | None = None,
                   missing: list[ChecklistItem] | None = None, status: int = 200) -> tuple[str, int]:
    ctx = _context(concept)
    members = [m.user for m in concept.members if m.user is not None]
    # Blind judging (S19): warn the team when its own text or files name one of its members.
    mentions = draft_mentions(concept, upload_dir=current_app.config["UPLOAD_DIR"]) \
        if concept.challenge.is_blind else []
    return render_template("concepts/submit.html", **ctx, form=form, refused=refused, missing=missing or [],
                           members=members, mentions=mentions), status


def _submit_form(concept: Concept, formdata: Any = None) -> SubmitForm:
    accepted = list(concept.challenge.accepted_licences or [])
    if formdata is None:
        licence = concept.licence if concept.licence in accepted else (accepted[0] if len(accepted) == 1 else None)
        form = SubmitForm(formdata=None, lock_version=concept.lock_version, licence=licence)
    else:
        form = SubmitForm()
    form.set_licences(accepted)
    return form


@locks_before_writing
@login_required
def submit(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    if request.method != "POST":
        return _render_submit(concept, _submit_form(concept))
    form = _submit_form(concept, formdata=True)
    if not form.validate_on_submit():
        return _render_submit(concept, form, status=400)
    base_version = int(form.lock_version.data)
    try:
        # Only the fields of the form reach the service: nothing else posted is read (S20).
        version, created = submit_concept(concept=concept, by=current_user, now=clock.now(),
                                          base_version=base_version, licence=form.licence.data)
    except ChecklistIncompleteError as exc:
        db.session.rollback()
        return _render_submit(concept, form, refused=str(exc), missing=exc.missing, status=http_status(exc))
    except VersionConflictError as exc:
        db.session.rollback()
        form.lock_version.data = concept.lock_version  # the page now shows the current draft
        return _render_submit(concept, form, refused=str(exc), status=http_status(exc))
    except ConceptError as exc:
        db.session.rollback()
        return _render_submit(concept, form, refused=str(exc), status=http_status(exc))
    except IntegrityError:
        # Another request made the version for this same saved state first (S22): show its receipt.
        db.session.rollback()
        existing = version_by_source(concept_id, base_version)
        if existing is None:
            raise
        number = existing.number
    else:
        number = version.number
        db.session.commit()
        if not created:
            current_app.logger.info("concept %s: repeated submit of version %s", concept_id, number)
    flash(_("Your concept has been submitted."), "success")
    return redirect(url_for("concepts.version", concept_id=concept_id, number=number))


# ---------------------------------------------------------------- receipts
@login_required
def version(concept_id: int, number: int) -> Any:
    concept = team_concept(concept_id)
    item = _version_of(concept, number)
    members = queries.version_members(item)
    document = fingerprint_document(item, concept.id)
    now = clock.now()
    return render_template(
        "concepts/version.html", concept=concept, challenge=concept.challenge, version=item,
        reference=reference(concept.id), members=members, canonical=canonical_json(document),
        counts=concept.submitted_version_no == item.number and concept.state != ConceptState.WITHDRAWN,
        licence_label=_licence_label(item.licence), licence_long=LICENCE_LABELS.get(item.licence, item.licence),
        state_label=CONCEPT_STATE_LABELS[ConceptState(concept.state)],
        overview_url=url_for("concepts.overview", concept_id=concept.id),
        challenge_url=url_for("challenges.detail", slug=concept.challenge.slug),
        challenge_state=effective_state(concept.challenge, now), deadline=concept.deadline(),
        writable=concept.is_writable(now, grace_seconds()),
        submitted_utc=as_utc(item.submitted_at).strftime("%Y-%m-%d %H:%M:%S UTC"))


@login_required
def version_file(concept_id: int, number: int, file_id: int, filename: str) -> Any:
    # The team only, checked on every fetch: the URL is no bearer token (S37).
    concept = team_concept(concept_id)
    item = _version_of(concept, number)
    stored = db.session.get(ConceptVersionFile, file_id)
    if stored is None or stored.version_id != item.id:
        abort(404)
    if filename != stored.filename:
        return redirect(url_for("concepts.version_file", concept_id=concept_id, number=number, file_id=file_id,
                                filename=stored.filename))
    return send_stored_document(content_hash=stored.content_hash, mimetype=stored.mimetype,
                                filename=stored.filename, last_modified=item.submitted_at,
                                what=f"Concept {concept_id} version {number} file {file_id}")


# ---------------------------------------------------------------- reopen, withdraw, restore
def _act(concept_id: int, service: Any, done_message: str, form: Any) -> Any:
    concept = team_concept(concept_id)
    if not form.validate_on_submit():
        status = 400
        withdraw_form = form if isinstance(form, WithdrawForm) else None
        return _render_overview(concept, withdraw_form=withdraw_form, status=status)
    try:
        changed = service(concept=concept, by=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        return _render_overview(concept, refused=str(exc), status=http_status(exc))
    db.session.commit()
    if changed:
        flash(done_message, "success")
    target = "concepts.edit" if service is reopen_concept else "concepts.overview"
    return redirect(url_for(target, concept_id=concept_id))


@login_required
def reopen(concept_id: int) -> Any:
    return _act(concept_id, reopen_concept,
                _("Your concept is open for changes. The version you submitted still counts unless you submit "
                  "again before the deadline."), ActionForm())


@login_required
def withdraw(concept_id: int) -> Any:
    return _act(concept_id, withdraw_concept,
                _("Your concept has been withdrawn. Nobody outside your team will see it."), WithdrawForm())


@login_required
def restore(concept_id: int) -> Any:
    return _act(concept_id, restore_concept, _("Your concept has been restored as a draft."), ActionForm())
