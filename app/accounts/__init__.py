"""Accounts: users, sign-up, login and server-side sessions, tokens, the profile and privacy.

`init_app` is the one place that wires the feature into an app.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.accounts import auth, cli
    from app.accounts.views import bp, session_expiry_context

    auth.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(session_expiry_context)
    cli.register(app)
