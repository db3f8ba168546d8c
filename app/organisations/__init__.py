"""Organisations: applications, approval, members and roles, invitations, the public page.

`init_app` is the one place that wires the feature into an app.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.organisations.views import bp, logo_url

    app.register_blueprint(bp)
    # App-wide: challenge cards on the home page and the challenge list show the organisation's logo.
    app.add_template_global(logo_url)
