"""Concept rules the challenge lifecycle must respect, registered on its step guards.

The challenges feature sits below concepts and never imports them; it asks every registered
guard before an organiser's step instead (app.challenges.state_actions.register_step_guard).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_datetime
from sqlalchemy import func, select

from app.challenges.models import Challenge, ChallengeState
from app.challenges.state_actions import register_step_guard
from app.core.timeutil import as_utc
from app.db import db
from app.i18n import _l

from .models import Concept
from .rules import grace_seconds


def last_extension_end(challenge: Challenge, now: datetime) -> datetime | None:
    """The latest team extension of `challenge` whose write window (with grace) is still open at `now`."""
    grace = timedelta(seconds=grace_seconds())
    latest = db.session.scalar(select(func.max(Concept.extension_until)).where(
        Concept.challenge_id == challenge.id, Concept.extension_until.is_not(None),
        Concept.extension_until > now - grace))
    return as_utc(latest) if latest is not None else None


@register_step_guard
def no_judging_during_extensions(challenge: Challenge, target: ChallengeState, now: datetime) -> Any:
    """Judging may not start while a team still has time to write under its extension."""
    if target is not ChallengeState.JUDGING:
        return None
    until = last_extension_end(challenge, now)
    if until is None:
        return None
    return _l("Judging cannot start yet: a team has an extended deadline until %(when)s. Start judging "
              "after that time.", when=format_datetime(until, "long"))
