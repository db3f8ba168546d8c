"""`init_app` is the one place that wires the admin feature into an app."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.admin.views import bp

    app.register_blueprint(bp)
