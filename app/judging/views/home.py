"""The juror's home (/jury): each challenge they sit on, what waits for them there, and a
progress bar per round (issue 10 item 1). Only their own seats: a juror sees no other jury."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, render_template
from flask_login import current_user, login_required

from app.judging import permissions, queries
from app.judging.models import JurySeat


@dataclass
class SeatSummary:
    seat: JurySeat
    rounds: list[queries.RoundProgress]
    open: bool          # the jury area is open (closed, judging, results, archived)
    labelled: bool      # entries have labels (judging has started)


@login_required
def home() -> Any:
    g.private_response = True
    summaries = []
    for seat in queries.seats_of_user(current_user.id):
        open_ = seat.challenge.state in permissions.JURY_STATES
        labelled = open_ and queries.has_labels(seat.challenge_id)
        rounds = queries.juror_rounds(seat) if labelled and seat.conflicts_declared_at is not None else []
        summaries.append(SeatSummary(seat=seat, rounds=rounds, open=open_, labelled=labelled))
    return render_template("judging/home.html", summaries=summaries)


def jury_link_visible() -> bool:
    """Template global for base.html: does the signed-in user hold an active seat? One query per
    request at most (cached on g)."""
    if not getattr(current_user, "is_authenticated", False):
        return False
    if "_jury_link" not in g:
        g._jury_link = queries.has_active_seat(current_user.id)
    return bool(g._jury_link)
