"""Every URL rule of the judging feature, in one list: the route inventory reads here.

The endpoint of each rule is its view's name unless the options give one. One block per topic,
in the order a challenge goes through them.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.judging.views import conflicts, home, ranking, scoring

bp = Blueprint("judging", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
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
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)
