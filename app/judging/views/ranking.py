"""A juror's ballot in a round decided by ranking (issue 10 item 4; S22): the round's entries
they may read, a rank from 1 to n each, Save and Submit. One ballot per juror and round."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.i18n import _
from app.judging import queries
from app.judging.forms.ranking import ranking_form_class
from app.judging.models import RoundMethod
from app.judging.services.ranking import rank_field, save_ballot
from app.judging.services.scoring import SheetConflictError, SheetError, read_only_reason
from app.judging.views._juror import juror_round


@login_required
def ranking(slug: str, number: int) -> Any:
    challenge, seat, judging_round = juror_round(slug, number)
    if judging_round.method != RoundMethod.RANKING:
        abort(404)
    entries = queries.entries(challenge.id, queries.readable_concept_ids(seat, judging_round))
    form_class = ranking_form_class(entries)
    ballot = queries.ballot_of(judging_round.id, seat.id)
    status, notice, stored_ranks = 200, None, None
    if request.method == "GET":
        ranks = {int(k): v for k, v in (ballot.ranks if ballot else {}).items()}
        data: dict[str, Any] = {"lock_version": ballot.lock_version if ballot else 0}
        data.update({rank_field(e.label): str(ranks[e.concept_id]) if e.concept_id in ranks else ""
                     for e in entries})
        form = form_class(formdata=None, data=data)
    else:
        form = form_class()
        if not form.validate_on_submit():
            status = 400
        else:
            submit = request.form.get("action") == "submit"
            try:
                save_ballot(seat=seat, judging_round=judging_round, base_version=form.lock_version.data,
                            raw=form.raw_ranks(), submit=submit, by=current_user, now=clock.now())
            except SheetConflictError as exc:
                db.session.rollback()
                ballot = queries.ballot_of(judging_round.id, seat.id)
                form.lock_version.data = ballot.lock_version if ballot else 0
                form.lock_version.raw_data = None
                stored_ranks = {int(k): v for k, v in (ballot.ranks if ballot else {}).items()}
                status, notice = 409, str(exc)
            except SheetError as exc:
                db.session.rollback()
                for name, message in exc.errors.items():
                    if name in form:
                        form[name].errors = [*form[name].errors, str(message)]
                status = http_status(exc)
                notice = str(exc) if not exc.errors or submit else None
                if submit and exc.errors:
                    notice = _("Your ranking was not submitted: fix the ranks marked below.")
            else:
                db.session.commit()
                flash(_("Your ranking has been submitted.") if submit else _("Your ranking has been saved."),
                      "success")
                return redirect(url_for("judging.ranking", slug=slug, number=number), 303)
    return render_template(
        "judging/ranking.html", challenge=challenge, seat=seat, round=judging_round, entries=entries, form=form,
        ballot=ballot, rank_field=rank_field, notice=notice, stored_ranks=stored_ranks,
        readonly=read_only_reason(challenge, judging_round, clock.now())), status
