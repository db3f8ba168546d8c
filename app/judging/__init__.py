"""Judging: juries score concepts against the weighted rubric, blind where chosen; aggregation,
assignment of concepts to jurors, decisions and results (issue 10).

The pure parts know nothing of Flask or the database: `aggregate.py` (scores to rankings,
calibration, uncertainty, agreement) and `assignment.py` (which juror reads which concept).

`init_app` is the one place that wires the feature into an app: its blueprint (every URL rule is
in routes.py), its template helpers, and its receivers of the challenges and concepts features'
signals (the features below it, which never import this one). Imports stay inside the function
so that importing a model never pulls in the views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.challenges import signals as challenge_signals
    from app.concepts import signals as concept_signals
    from app.judging.routes import bp
    from app.judging.services import results
    from app.judging.services.jury import refuse_entries_to_blind_jurors
    from app.judging.services.reminders import send_deadline_reminders
    from app.judging.services.rounds import on_state_changed
    from app.judging.views import results as results_views
    from app.judging.views.home import jury_link_visible

    app.register_blueprint(bp)
    # Judging starts: labels, round 1 and conflict flags (services/rounds.py).
    challenge_signals.state_changed.connect(on_state_changed)
    # The periodic task sends the deadline reminders (7 days and 1 day before a round's deadline).
    challenge_signals.tick_requested.connect(send_deadline_reminders)
    # base.html's "Jury" link: shown to signed-in users with an active seat (one query, cached on g).
    app.add_template_global(jury_link_visible, "jury_link_visible")
    # Results (D2): no results without a final decision; the clock publishes at results_at;
    # participants hear their outcome; the `winners` publication setting asks for the placed.
    challenge_signals.step_requested.connect(results.refuse_results_without_decision)
    challenge_signals.tick_requested.connect(results.publish_due_results)
    challenge_signals.state_changed.connect(results.tell_participants)
    concept_signals.winners_requested.connect(results.awarded_concepts)
    # Blind juries: staff on the jury do not read the organisers' entries pages (S19).
    concept_signals.entries_requested.connect(refuse_entries_to_blind_jurors)
    for helper in results_views.HELPERS:
        app.add_template_global(helper)
