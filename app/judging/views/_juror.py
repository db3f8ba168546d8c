"""Loading for a juror's own pages: the round by its number and an entry by its label, with the
one rule of what a juror may open (queries.readable_concept_ids: in the round, assigned, not
conflicted; S17, P09). Until the juror has declared their conflicts, every page that shows
concept content sends them to the declaration first."""
from __future__ import annotations

from typing import NoReturn

from flask import abort, flash, make_response, redirect, url_for

from app.challenges.models import Challenge
from app.core.web import render_error
from app.i18n import _
from app.judging import permissions, queries
from app.judging.models import JudgingRound, JurySeat
from app.judging.views._load import jury_challenge
from app.judging.views.rounds import round_or_404


def refuse(code: int, message: str) -> NoReturn:
    """Answer `code` with a page that says why, in words."""
    abort(make_response(*render_error(code, message)))


def juror_round(slug: str, number: int) -> tuple[Challenge, JurySeat, JudgingRound]:
    """The challenge, the juror's seat and the round they sit in; 404 without a seat, outside the
    jury's states, for an unknown round or one the juror is not in; a redirect to the conflict
    declaration until it is done (P09)."""
    challenge, seat = jury_challenge(slug)
    if challenge.state not in permissions.JURY_STATES:
        abort(404)
    if seat.conflicts_declared_at is None:
        flash(_("Declare your conflicts of interest first: no entry is shown before you have."), "info")
        abort(redirect(url_for("judging.conflicts", slug=slug), 303))
    judging_round = round_or_404(challenge.id, number)
    if not queries.sits_in_round(seat.id, judging_round.id):
        abort(404)
    return challenge, seat, judging_round


def readable_entry(challenge: Challenge, seat: JurySeat, judging_round: JudgingRound, label: str) -> queries.Entry:
    """The entry `label` names, if this juror may open it in this round: 404 for an unknown label
    or an entry not in the round; 403, saying why, when it is conflicted or not assigned."""
    entry = queries.entry_by_label(challenge.id, label)
    if entry is None or entry.concept_id not in set(queries.round_concept_ids(judging_round.id)):
        abort(404)
    if entry.concept_id not in queries.readable_concept_ids(seat, judging_round):
        if entry.concept_id in queries.conflicted_concept_ids(seat.id):
            refuse(403, _("You have a conflict of interest with %(label)s, so it is not shown to you.",
                          label=entry.label))
        refuse(403, _("%(label)s is not assigned to you in this round.", label=entry.label))
    return entry
