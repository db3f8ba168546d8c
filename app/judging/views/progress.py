"""The chair's view of the jury's progress (issue 10 item 5): per round and juror, sheets submitted,
drafts and not started out of what they may read (or the ballot of a ranking round), conflicts
declared, last activity; and the "remind" buttons.

Chair only (403 for another juror, 404 without a seat: S17). No concept is listed, so nothing on
the page can name a team in a blind challenge (S19). A fixed number of queries per round whatever
the number of jurors and concepts.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.challenges.models import Challenge
from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.errors import DomainError
from app.i18n import _, _n
from app.judging import queries
from app.judging.forms.progress import RemindEveryoneForm, RemindJurorForm
from app.judging.models import JudgingRound, JurySeat
from app.judging.services import reminders
from app.judging.views._load import jury_challenge


def _round(challenge: Challenge, number: int | None) -> JudgingRound:
    found = db.session.scalar(select(JudgingRound).where(JudgingRound.challenge_id == challenge.id,
                                                         JudgingRound.position == number))
    if found is None:
        abort(404)
    return found


def _render(challenge: Challenge, status: int = 200) -> tuple[str, int]:
    now = clock.now()
    sections = [(r, queries.round_progress(r)) for r in queries.rounds(challenge.id)]
    last = queries.last_reminded({p.seat.id for _r, rows in sections for p in rows})
    locked = queries.sheets_locked(challenge.id)
    return render_template("judging/progress.html", challenge=challenge, sections=sections, last_reminded=last,
                           remindable=lambda r: not locked and reminders.round_remindable(r, now),
                           form=RemindEveryoneForm()), status


@login_required
def progress(slug: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    return _render(challenge)


@login_required
def remind(slug: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    form = RemindJurorForm()
    if not form.validate_on_submit():
        flash(_("That reminder could not be sent. Please use the buttons on this page."), "error")
        return _render(challenge, 400)
    judging_round = _round(challenge, form.round.data)
    seat = db.session.get(JurySeat, form.seat.data)
    if seat is None or seat.challenge_id != challenge.id:
        abort(404)
    try:
        reminders.remind_juror(judging_round=judging_round, seat=seat, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render(challenge, http_status(exc))
    db.session.commit()
    flash(_("%(name)s has been sent a reminder.", name=seat.shown_name()), "success")
    return redirect(url_for(".progress", slug=challenge.slug), code=303)


@login_required
def remind_everyone(slug: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    form = RemindEveryoneForm()
    if not form.validate_on_submit():
        flash(_("That reminder could not be sent. Please use the buttons on this page."), "error")
        return _render(challenge, 400)
    judging_round = _round(challenge, form.round.data)
    try:
        reminded, skipped = reminders.remind_everyone(judging_round=judging_round, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render(challenge, http_status(exc))
    db.session.commit()
    if reminded:
        flash(_n("%(num)d juror has been sent a reminder.", "%(num)d jurors have been sent a reminder.", reminded),
              "success")
    if skipped:
        flash(_n("%(num)d juror was reminded less than an hour ago and was not reminded again.",
                 "%(num)d jurors were reminded less than an hour ago and were not reminded again.", skipped),
              "info" if reminded else "error")
    return redirect(url_for(".progress", slug=challenge.slug), code=303)
