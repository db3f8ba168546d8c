"""Every URL rule of the judging feature, in one list: the route inventory reads here.

The endpoint of each rule is its view's name unless the options give one. One block per topic,
in the order a challenge goes through them.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.judging.views import (
    assignments,
    conflicts,
    flags,
    home,
    jury,
    progress,
    ranking,
    results,
    rounds,
    scoring,
)
from app.judging.views import decision as decision_views
from app.judging.views import table as table_views

bp = Blueprint("judging", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    # views/jury.py
    ("/challenges/<slug>/jury", jury.jury_page, {"endpoint": "jury"}),
    ("/challenges/<slug>/jury/invite", jury.invite, {"methods": ["POST"]}),
    ("/challenges/<slug>/jury/invitations/<int:invitation_id>/revoke", jury.revoke_invitation, {"methods": ["POST"]}),
    ("/challenges/<slug>/jury/seats/<int:seat_id>/chair", jury.make_chair, {"methods": ["POST"]}),
    ("/challenges/<slug>/jury/seats/<int:seat_id>/unchair", jury.end_chair, {"methods": ["POST"]}),
    ("/challenges/<slug>/jury/seats/<int:seat_id>/remove", jury.remove_juror, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/jury/me", jury.my_seat, {"methods": ["GET", "POST"]}),
    ("/jury-invitations/<token>", jury.invitation, {}),
    ("/jury-invitations/<token>/accept", jury.accept_invitation, {"methods": ["POST"]}),
    ("/jury-invitations/<token>/decline", jury.decline_invitation, {"methods": ["POST"]}),
    # views/home.py
    ("/jury", home.home, {}),
    # views/conflicts.py
    ("/challenges/<slug>/jury/conflicts", conflicts.conflicts, {"methods": ["GET", "POST"]}),
    # views/scoring.py
    ("/challenges/<slug>/jury/rounds/<int:number>", scoring.round_page, {"endpoint": "round"}),
    ("/challenges/<slug>/jury/rounds/<int:number>/<label>", scoring.sheet, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/jury/rounds/<int:number>/<label>/files/<int:position>", scoring.sheet_file, {}),
    # views/ranking.py
    ("/challenges/<slug>/jury/rounds/<int:number>/ranking", ranking.ranking, {"methods": ["GET", "POST"]}),
    # views/rounds.py
    ("/challenges/<slug>/jury/rounds", rounds.rounds, {"methods": ["GET", "POST"]}),
    # views/assignments.py
    ("/challenges/<slug>/jury/rounds/<int:number>/assignment", assignments.assignment_page,
     {"methods": ["GET", "POST"], "endpoint": "assignment"}),
    ("/challenges/<slug>/jury/rounds/<int:number>/assignment/pair", assignments.assignment_pair,
     {"methods": ["POST"]}),
    # views/flags.py
    ("/challenges/<slug>/jury/conflicts/review", flags.conflict_flags, {"methods": ["GET", "POST"]}),
    # views/progress.py
    ("/challenges/<slug>/jury/progress", progress.progress, {"methods": ["GET"]}),
    ("/challenges/<slug>/jury/progress/remind", progress.remind, {"methods": ["POST"]}),
    ("/challenges/<slug>/jury/progress/remind-everyone", progress.remind_everyone, {"methods": ["POST"]}),
    # views/table.py
    ("/challenges/<slug>/jury/table", table_views.table, {}),
    ("/challenges/<slug>/jury/table.csv", table_views.table_csv, {}),
    ("/challenges/<slug>/jury/table.xlsx", table_views.table_xlsx, {}),
    # views/decision.py
    ("/challenges/<slug>/jury/decision", decision_views.decision, {"methods": ["GET", "POST"]}),
    # views/results.py
    ("/challenges/<slug>/jury/publish", results.publish, {"methods": ["POST"]}),
    ("/winners", results.winners, {"methods": ["GET"]}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)
