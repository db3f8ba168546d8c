"""The jury search page: /challenges/<slug>/jury/search (issue 11 item 6).

Loaded as every juror's page is (judging.views._load.jury_challenge: 404 to anyone without an
active seat on this challenge's jury, the organisation's staff included; never cached), open in
the jury's states, and only after the juror has declared their conflicts (as the round pages).
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.i18n import _
from app.judging import permissions
from app.judging.views._load import jury_challenge
from app.search.documents import ENTRY_STATES
from app.search.forms import read_params
from app.search.jury import run_jury_search


@login_required
def jury_search(slug: str) -> Any:
    challenge, seat = jury_challenge(slug)
    if challenge.state not in permissions.JURY_STATES:
        abort(404)
    if seat.conflicts_declared_at is None:
        flash(_("Declare your conflicts of interest first: no entry is shown before you have."), "info")
        return redirect(url_for("judging.conflicts", slug=slug), 303)
    params = read_params(request.args)
    # Only the box and the page matter here: no facets, and relevance is the only order.
    params.errors = {k: v for k, v in params.errors.items() if k in ("q", "page")}
    params.filters, params.sort = {}, "relevance"
    # Entry documents exist while the challenge is in judging or results (documents.ENTRY_STATES);
    # before and after, the page says so instead of searching.
    searchable = challenge.state in ENTRY_STATES
    page = run_jury_search(challenge, seat, params) if searchable else None
    status = 400 if params.errors or (page is not None and page.syntax_error) else 200
    return render_template("search/jury.html", challenge=challenge, seat=seat, page=page, params=params,
                           blind=permissions.hides_identities(challenge)), status
