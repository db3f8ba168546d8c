"""Conflict declaration (P09): the list of the challenge's entries (in a blind challenge label and
title only; otherwise with the team and its members), a checkbox and a reason per entry, and the
confirmation that the list is complete. Declarations are for good."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.i18n import _, _n
from app.judging import permissions, queries
from app.judging.forms.conflicts import declaration_form_class
from app.judging.services.conflicts import DeclarationError, declare_conflicts
from app.judging.views._load import jury_challenge


def _rows(challenge: Any, seat: Any) -> tuple[list[dict[str, Any]], list[queries.Entry]]:
    entries = queries.entries(challenge.id)
    in_force = queries.conflicts_of_seat(seat.id)
    blind = permissions.hides_identities(challenge)
    names = {} if blind else queries.display_names(uid for e in entries for uid in e.member_ids)
    rows = [{"entry": e, "conflict": in_force.get(e.concept_id),
             "team_name": None if blind else e.team_name,
             "members": [] if blind else [names[u] for u in e.member_ids if u in names]} for e in entries]
    return rows, [e for e in entries if e.concept_id not in in_force]


@login_required
def conflicts(slug: str) -> Any:
    challenge, seat = jury_challenge(slug)
    if challenge.state not in permissions.JURY_STATES:
        abort(404)
    rows, open_entries = _rows(challenge, seat)
    form = declaration_form_class(open_entries)()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            try:
                added = declare_conflicts(seat=seat, declarations=form.declarations(),
                                          confirm_all=bool(form.confirm_all.data), by=current_user, now=clock.now())
            except DeclarationError as exc:
                db.session.rollback()
                for name, message in exc.errors.items():
                    if name in form:
                        form[name].errors = [*form[name].errors, str(message)]
                if not exc.errors:
                    flash(str(exc), "error")
                status = http_status(exc)
            else:
                db.session.commit()
                if added:
                    flash(_n("Your conflict of interest has been recorded.",
                             "Your %(num)d conflicts of interest have been recorded.", added), "success")
                else:
                    flash(_("Thank you: you have declared your conflicts."), "success")
                return redirect(url_for("judging.conflicts", slug=slug), 303)
    first_round = next((r for r in queries.rounds(challenge.id) if queries.sits_in_round(seat.id, r.id)), None)
    return render_template("judging/conflicts.html", challenge=challenge, seat=seat, rows=rows, form=form,
                           blind=permissions.hides_identities(challenge), first_round=first_round), status
