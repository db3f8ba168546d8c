"""The jury's decision: the chair records it; the organisation's staff read it (S21, issue 10 item 8).

Who sees what: a chair edits; staff of the organisation who are not on the jury (or sit on it
without the chair's role) read the decision, never sheets or jurors' scores (can_view_decision);
any other juror gets 403; everyone else 404.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from app.challenges.forms.editor import money_example, money_input_value
from app.challenges.models import ChallengeState
from app.challenges.views._load import visible_challenge
from app.core.timeutil import utcnow
from app.core.web import http_status
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.judging import permissions, queries
from app.judging.forms.decision import KIND_LABELS, DecisionForm, UnlockForm
from app.judging.models import Decision, PlacementKind
from app.judging.services import decision as service
from app.judging.services.table import entries_of

EXTRA_ROWS = 3


def _locale() -> str:
    return str(get_locale() or "en")


def _row_count(challenge: Any, decision: Decision | None) -> int:
    existing = len(decision.placements) if decision is not None else 0
    return max(challenge.prize_count + EXTRA_ROWS, existing + 2)


def _fill(form: DecisionForm, challenge: Any, decision: Decision | None, labels: dict[int, str]) -> None:
    """The form as stored, or the suggested split of the prize money for a new decision."""
    rows = _row_count(challenge, decision)
    while len(form.placements) < rows:
        form.placements.append_entry()
    locale = _locale()
    if decision is None:
        for i, amount in enumerate(challenge.prize_amounts_minor()):
            if i < rows:
                sub = form.placements[i].form
                sub.kind.data = PlacementKind.PRIZE.value
                sub.position.data = str(i + 1)
                sub.amount.data = money_input_value(amount, challenge.currency, locale) if amount else ""
        form.lock_version.data = ""
        return
    for i, placement in enumerate(decision.placements):
        sub = form.placements[i].form
        sub.entry.data = labels.get(placement.concept_id, "")
        sub.kind.data = str(placement.kind)
        sub.position.data = str(placement.position) if placement.kind == PlacementKind.PRIZE else ""
        sub.amount.data = (money_input_value(placement.prize_minor, challenge.currency, locale)
                           if placement.prize_minor else "")
        sub.citation.data = placement.citation
    form.no_winner.data = decision.no_winner_reason is not None
    form.no_winner_reason.data = decision.no_winner_reason or ""
    form.remainder_note.data = decision.remainder_note or ""
    form.report_md.data = decision.report_md
    form.lock_version.data = str(decision.lock_version)


def _choices(form: DecisionForm, entries: dict[str, Any]) -> None:
    choices = [SelectChoice("", _("Choose an entry"))] + [SelectChoice(label, f"{label} · {e.title}")
                                                          for label, e in entries.items()]
    for sub in form.placements:
        sub.form.entry.choices = choices


def _place(form: DecisionForm, exc: DomainError) -> None:
    """Show the refusal at its field (a placement row's field, or a field of the form)."""
    name = exc.field or ""
    if name.startswith("placements-"):
        _prefix, index, sub = name.split("-", 2)
        if index.isdigit() and int(index) < len(form.placements):
            target = getattr(form.placements[int(index)].form, sub, None)
            if target is not None:
                target.errors = [*target.errors, str(exc)]
                return
    if name and name in form and name != "placements":
        form[name].errors = [*form[name].errors, str(exc)]
        return
    g.decision_problem = str(exc)


def _problems(form: DecisionForm) -> list[tuple[str, str]]:
    """(field id, message) of every error, for the summary at the top."""
    found: list[tuple[str, str]] = []
    if getattr(g, "decision_problem", None):
        found.append(("placements-title", g.decision_problem))
    for name in ("no_winner", "no_winner_reason", "remainder_note", "report_md"):
        found += [(form[name].id, str(e)) for e in form[name].errors]
    for sub in form.placements:
        for field in sub.form:
            found += [(field.id, str(e)) for e in field.errors if isinstance(e, str)]
    if form.csrf_token.errors:
        found.append(("placements-title", _("The form had expired. Please send it again.")))
    return found


@login_required
def decision(slug: str) -> Any:
    challenge = visible_challenge(slug)
    g.private_response = True
    seat = queries.active_seat(current_user.id, challenge.id)
    chair = permissions.is_chair(seat)
    if not chair:
        if permissions.can_view_decision(current_user, challenge, seat):
            if request.method != "GET":
                abort(403)
            return _read_only(challenge)
        abort(403 if seat is not None else 404)
    record = queries.decision(challenge.id)
    by_concept = entries_of(challenge, None)
    entries = {label: by_concept[cid] for label, cid in service.final_round_entries(challenge).items()
               if cid in by_concept}
    labels = {cid: e.label for cid, e in by_concept.items()}
    form = DecisionForm(formdata=None) if request.method == "GET" else DecisionForm()
    unlock = UnlockForm(formdata=None) if request.method == "GET" or request.form.get("action") != "unlock" \
        else UnlockForm()
    status = 200
    if request.method == "GET":
        _fill(form, challenge, record, labels)
    else:
        action = request.form.get("action", "save")
        while len(form.placements) < _row_count(challenge, record):
            form.placements.append_entry()
        if action == "unlock":
            _fill(form, challenge, record, labels)
            if unlock.validate():
                try:
                    service.unlock_decision(challenge=challenge, by=current_user, reason=unlock.reason.data,
                                            now=utcnow())
                except DomainError as exc:
                    db.session.rollback()
                    unlock.reason.errors = [*unlock.reason.errors, str(exc)]
                    status = http_status(exc)
                else:
                    db.session.commit()
                    flash(_("The decision is unlocked. Score sheets can be changed again."), "success")
                    return redirect(url_for("judging.decision", slug=slug))
            else:
                status = 400
        elif form.validate():
            rows = [service.PlacementInput(row=i, label=sub.form.entry.data or "", kind=sub.form.kind.data or "",
                                           position=sub.form.position.data or "", amount=sub.form.amount.data or "",
                                           citation=sub.form.citation.data or "")
                    for i, sub in enumerate(form.placements)]
            try:
                service.save_decision(challenge=challenge, by=current_user, rows=rows,
                                      no_winner=bool(form.no_winner.data),
                                      no_winner_reason=form.no_winner_reason.data or "",
                                      remainder_note=form.remainder_note.data or "",
                                      report_md=form.report_md.data or "", lock_version=form.lock_version.data,
                                      locale=_locale(), now=utcnow(), finalise=action == "finalise")
            except DomainError as exc:
                db.session.rollback()
                _place(form, exc)
                status = http_status(exc)
            else:
                db.session.commit()
                flash(_("The decision is final. Every score sheet is now locked.") if action == "finalise"
                      else _("The decision is saved as a draft."), "success")
                return redirect(url_for("judging.decision", slug=slug))
        else:
            status = 400
        record = queries.decision(challenge.id)
    _choices(form, entries)
    return render_template("judging/decision.html", challenge=challenge, decision=record, form=form,
                           unlock=unlock, problems=_problems(form),
                           editable=challenge.state == ChallengeState.JUDGING, kind_labels=KIND_LABELS,
                           by_concept=by_concept, purse=challenge.prize_minor,
                           money_example=money_example(_locale())), status


def _read_only(challenge: Any) -> Any:
    record = queries.decision(challenge.id)
    return render_template("judging/decision.html", challenge=challenge, decision=record, form=None, unlock=None,
                           problems=[], editable=False, kind_labels=KIND_LABELS, by_concept=entries_of(challenge),
                           purse=challenge.prize_minor)
