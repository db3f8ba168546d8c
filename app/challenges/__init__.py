"""Challenges: posting, the rubric, the lifecycle, questions and answers, following.

`init_app` is the one place that wires the feature into an app: its blueprint (every URL rule is
in routes.py), its template helpers, its CLI and its listeners. Imports stay inside the function
so that importing a model never pulls in the views.
"""
from __future__ import annotations

from flask import Flask


def _check_prize_rates(app: Flask) -> None:
    """Every currency a challenge may use needs an exchange rate, or "Largest prize" would put its
    prizes last without a word (README: PRIZE_EXCHANGE_RATES). Raises ConfigError."""
    from app.challenges.models import CURRENCIES
    from app.config import ConfigError

    rates = app.config.get("PRIZE_EXCHANGE_RATES") or {}
    missing = [code for code in (*CURRENCIES, app.config.get("PRIZE_REFERENCE_CURRENCY", "EUR")) if code not in rates]
    if missing:
        raise ConfigError("PRIZE_EXCHANGE_RATES has no rate for " + ", ".join(missing))


def init_app(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.challenges import cli, templating
    from app.challenges.routes import bp
    from app.challenges.services.notices import tell_followers
    from app.core import pagecache
    from app.organisations import signals as organisation_signals

    _check_prize_rates(app)
    app.register_blueprint(bp)
    templating.init_app(app)
    organisation_signals.page_requested.connect(templating.organisation_page_context)
    pagecache.time_bound_requested.connect(templating.next_clock_change, app)
    cli.register(app)
    cli.register_archive(app)
    if not event.contains(Session, "before_flush", tell_followers):
        event.listen(Session, "before_flush", tell_followers)
