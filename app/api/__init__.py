"""The JSON read API (open data): `/api/v1/...`, read from the features, never written through.

It reads search (the same results as the /search page, serialised by app/search/serialise.py)
and no feature imports it. init_app registers its blueprint; the schema of each answer is a JSON
Schema file beside this module, served at /api/v1/schemas/<name>.json (docs/search-api.md).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.api.routes import bp

    app.register_blueprint(bp)
