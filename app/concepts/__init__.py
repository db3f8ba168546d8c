"""Concepts: a team's draft, its members and files, submission, and what organisers and the public see.

`init_app` is the one place that wires the feature into an app: its blueprint (every URL rule is
in routes.py), its template helpers, and its receivers of the challenges feature's signals (the
feature below it, which never imports this one). Imports stay inside the function so that
importing a model never pulls in the views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.challenges import signals
    from app.concepts import templating
    from app.concepts.routes import bp
    from app.concepts.services.entries import counts_for_dashboard, refuse_judging_during_extensions

    app.register_blueprint(bp)
    templating.init_app(app)
    signals.step_requested.connect(refuse_judging_during_extensions)
    signals.concept_counts_requested.connect(counts_for_dashboard)
