"""Every URL rule of the search feature, in one list: the route inventory reads here."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.search import jury_views, views

bp = Blueprint("search", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    ("/search", views.search, {"methods": ["GET"]}),
    # jury_views.py: a juror searches the entries they may open (issue 11 item 6)
    ("/challenges/<slug>/jury/search", jury_views.jury_search, {"methods": ["GET"], "endpoint": "jury"}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)

# A limited JSON answer (Flask-Limiter's on_breach) keeps its own type, not the HTML page.
bp.register_error_handler(429, views.too_many_requests)
