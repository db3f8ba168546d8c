"""Every URL rule of the API, in one list: the route inventory reads here."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.api import views

bp = Blueprint("api", __name__, url_prefix="/api/v1")

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    ("/search", views.search, {"methods": ["GET"]}),
    ("/schemas/search.json", views.search_schema, {"methods": ["GET"]}),
    # Anything else under /api/v1 is a JSON 404, not the site's HTML page.
    ("/<path:anything>", views.not_found, {"methods": ["GET"]}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)

# Errors inside /api/v1 answer JSON too: a client that asked for data never gets an HTML page.
bp.register_error_handler(Exception, views.unexpected_error)
bp.register_error_handler(404, views.http_error)
bp.register_error_handler(405, views.http_error)
bp.register_error_handler(429, views.http_error)
