"""The chair's assignment page of a round: everyone or k jurors per concept, each juror's load,
what could not be satisfied, and single pairs added or removed by hand (issue 10, item 3)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.challenges.models import ChallengeState
from app.core.timeutil import clock
from app.core.web import http_status, place_error
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.judging import assignment, permissions, queries
from app.judging.forms.assignments import AssignForm, PairForm
from app.judging.models import RoundState
from app.judging.services import assignments as service
from app.judging.services.rounds import labelled_entries
from app.judging.views._load import jury_challenge
from app.judging.views.rounds import round_or_404


def issue_text(issue: assignment.Issue, names: dict[int, str], labels: dict[int, str]) -> str:
    juror = names.get(issue.juror, _("this juror"))
    label = labels.get(issue.concept, _("this concept")) if issue.concept is not None else ""
    kind = issue.kind
    if kind is assignment.IssueKind.CONFLICT:
        return _("%(juror)s has a conflict of interest with %(label)s and cannot score it.", juror=juror, label=label)
    if kind is assignment.IssueKind.DUPLICATE:
        return _("%(juror)s already scores %(label)s.", juror=juror, label=label)
    if kind is assignment.IssueKind.NOT_ASSIGNED:
        return _("%(juror)s does not score %(label)s, so there is nothing to remove.", juror=juror, label=label)
    if kind is assignment.IssueKind.UNKNOWN_JUROR:
        return _("Choose a juror of this round.")
    if kind is assignment.IssueKind.UNKNOWN_CONCEPT:
        return _("Choose a concept of this round.")
    return _("%(juror)s has more concepts than they can take.", juror=juror)


def shortfall_text(short: assignment.Shortfall, labels: dict[int, str]) -> str:
    label = labels.get(short.concept, "")
    if short.reason is assignment.ShortReason.CONFLICTS:
        return _("%(label)s has %(got)d of %(wanted)d jurors: only %(eligible)d jurors of the round have no conflict "
                 "with it.", label=label, got=short.got, wanted=short.wanted, eligible=short.eligible)
    if short.reason is assignment.ShortReason.CAPACITY:
        return _("%(label)s has %(got)d of %(wanted)d jurors: the jurors without a conflict have no room left.",
                 label=label, got=short.got, wanted=short.wanted)
    return _("%(label)s has %(got)d of %(wanted)d jurors: add jurors by hand or run the automatic assignment "
             "again.", label=label, got=short.got, wanted=short.wanted)


def _render(challenge: Any, seat: Any, rnd: Any, *, assign_form: AssignForm | None = None,
            pair_form: PairForm | None = None, refused: str | None = None, status: int = 200) -> Any:
    seats = {s.id: s for s in queries.seats(challenge.id)}
    jurors = service.round_seat_ids(rnd)
    names = {sid: seats[sid].shown_name() for sid in jurors}
    entries = labelled_entries(challenge.id)
    labels = {cid: e.label for cid, e in entries.items()}
    state = service.check(rnd)
    in_round = sorted((entries[c] for c in queries.round_concept_ids(rnd.id) if c in entries), key=lambda e: e.number)
    if assign_form is None:
        assign_form = AssignForm(formdata=None, data={"mode": "everyone" if rnd.jurors_per_concept is None else "k",
                                                      "k": rnd.jurors_per_concept})
    if pair_form is None:
        pair_form = PairForm(formdata=None)
    pair_form.juror.choices = [(str(s), names[s]) for s in jurors]
    pair_form.entry.choices = [(e.label, f"{e.label} {e.title}") for e in in_round]
    by_juror = {s: sorted(labels.get(p.concept, "") for p in state.pairs if p.juror == s) for s in jurors}
    report = [shortfall_text(s, labels) for s in state.report.short]
    report += [_("%(label)s has more than %(k)d jurors, all added by hand.", label=labels.get(c, ""),
                 k=rnd.jurors_per_concept or 0) for c in state.report.overfull]
    issues = [issue_text(i, names, labels) for i in state.issues]
    return render_template(
        "judging/assignment.html", challenge=challenge, seat=seat, rnd=rnd, current=queries.current_round(challenge.id),
        jurors=jurors, names=names, loads=state.loads, by_juror=by_juror, counts=state.counts, labels=labels,
        in_round=in_round, report=report, issues=issues, balanced=state.report.balanced,
        min_load=state.report.min_load, max_load=state.report.max_load, assign_form=assign_form,
        pair_form=pair_form, refused=refused,
        can_change=ChallengeState(challenge.state) in permissions.SCORING_STATES and rnd.state == RoundState.OPEN), status


@login_required
def assignment_page(slug: str, number: int) -> Any:
    challenge, seat = jury_challenge(slug, chair=True)
    rnd = round_or_404(challenge.id, number)
    if request.method != "POST":
        return _render(challenge, seat, rnd)
    form = AssignForm()
    if not form.validate_on_submit():
        return _render(challenge, seat, rnd, assign_form=form, status=400)
    k = form.k.data if form.mode.data == "k" else None
    try:
        service.assign_round(challenge=challenge, judging_round=rnd, k=k, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _render(challenge, seat, rnd, assign_form=form, refused=place_error(form, exc), status=http_status(exc))
    db.session.commit()
    flash(_("The assignment is saved."), "success")
    return redirect(url_for("judging.assignment", slug=challenge.slug, number=rnd.position))


@login_required
def assignment_pair(slug: str, number: int) -> Any:
    challenge, seat = jury_challenge(slug, chair=True)
    rnd = round_or_404(challenge.id, number)
    form = PairForm()
    if not form.validate_on_submit():
        return _render(challenge, seat, rnd, pair_form=form, status=400)
    by_label = {e.label: cid for cid, e in labelled_entries(challenge.id).items()}
    seat_id = int(form.juror.data) if str(form.juror.data or "").isdigit() else -1
    concept_id = by_label.get(form.entry.data or "", -1)
    try:
        service.edit_pair(challenge=challenge, judging_round=rnd, seat_id=seat_id, concept_id=concept_id,
                          add=form.action.data == "add", by=current_user, now=clock.now())
    except service.AssignmentIssueError as exc:
        db.session.rollback()
        seats = {s.id: s.shown_name() for s in queries.seats(challenge.id)}
        labels = {cid: e.label for cid, e in labelled_entries(challenge.id).items()}
        form.juror.errors = [*form.juror.errors, issue_text(exc.issue, seats, labels)]
        return _render(challenge, seat, rnd, pair_form=form, status=http_status(exc))
    except DomainError as exc:
        db.session.rollback()
        return _render(challenge, seat, rnd, pair_form=form, refused=place_error(form, exc), status=http_status(exc))
    db.session.commit()
    flash(_("The assignment is changed."), "success")
    return redirect(url_for("judging.assignment", slug=challenge.slug, number=rnd.position))
