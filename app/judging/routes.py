"""Every URL rule of the judging feature, in one list: the route inventory reads here.

The endpoint of each rule is its view's name unless the options give one. One block per topic,
in the order a challenge goes through them.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.judging.views import results

bp = Blueprint("judging", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    # views/results.py
    ("/challenges/<slug>/jury/publish", results.publish, {"methods": ["POST"]}),
    ("/winners", results.winners, {"methods": ["GET"]}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)
