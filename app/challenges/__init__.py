"""Challenges: posting, the rubric, the lifecycle, questions and answers, following.

`init_app` is the one place that wires the feature into an app: its blueprint (every URL rule is
in routes.py), its template helpers, its CLI and its listeners. Imports stay inside the function
so that importing a model never pulls in the views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.challenges import cli, templating
    from app.challenges.routes import bp
    from app.challenges.services.notices import tell_followers
    from app.organisations import signals as organisation_signals

    app.register_blueprint(bp)
    templating.init_app(app)
    organisation_signals.page_requested.connect(templating.organisation_page_context)
    cli.register(app)
    cli.register_archive(app)
    if not event.contains(Session, "before_flush", tell_followers):
        event.listen(Session, "before_flush", tell_followers)
