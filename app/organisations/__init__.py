"""Organisations: applications, approval, members and roles, invitations, the public page.

`init_app` is the one place that wires the feature into an app.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.organisations.views import bp

    app.register_blueprint(bp)
