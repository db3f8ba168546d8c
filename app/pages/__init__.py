"""`init_app` is the one place that wires the pages feature into an app."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.pages.views import bp

    app.register_blueprint(bp)
