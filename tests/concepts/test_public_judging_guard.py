"""The lifecycle waits for extensions: an organiser cannot start judging (the step before the
public results) while a team's documented extension is still running (issue 5, item 4)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.challenges.models import Challenge, StateTransition
from app.concepts.models import Concept
from app.core.timeutil import utcnow
from app.db import db

# On SQLite and PostgreSQL: max(extension_until) against the clock in SQL.
pytestmark = pytest.mark.both_databases


def state_of(app: Flask, challenge_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Challenge, challenge_id).state)


def extend(app: Flask, concept_id: int, until: Any) -> None:
    with app.app_context():
        db.session.get(Concept, concept_id).extension_until = until
        db.session.commit()


def step(post_form: Callable[..., Any], slug: str, to: str, **extra: Any) -> Any:
    return post_form(f"/challenges/{slug}/state", {"to": to, **extra}, page=f"/challenges/{slug}/manage")


def test_judging_waits_until_the_last_extension_ends(app: Flask, client: FlaskClient, make_challenge,
                                                     make_concept, login, post_form) -> None:
    challenge = make_challenge("closed")
    first = make_concept("submitted", challenge=challenge)
    second = make_concept("submitted", challenge=challenge)
    extend(app, first["id"], utcnow() + timedelta(hours=2))
    extend(app, second["id"], utcnow() + timedelta(days=1, hours=3))
    login(challenge["org"]["owner"])

    response = step(post_form, challenge["slug"], "judging")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "a team has an extended deadline until" in page
    # The message names the last extension (the later of the two), in the viewer's time zone.
    with app.app_context():
        last = db.session.get(Concept, second["id"]).extension_until
        assert format_datetime(last, "long", tzinfo=ZoneInfo("Europe/Copenhagen"), locale="en").split(" at ")[0] \
            in page
        assert db.session.scalar(select(func.count()).select_from(StateTransition).where(
            StateTransition.challenge_id == challenge["id"], StateTransition.to_state == "judging")) == 0
    assert state_of(app, challenge["id"]) == "closed"

    # Once every extension has ended, judging may start.
    extend(app, first["id"], utcnow() - timedelta(hours=1))
    extend(app, second["id"], utcnow() - timedelta(minutes=5))
    response = step(post_form, challenge["slug"], "judging")
    assert response.status_code == 302
    assert state_of(app, challenge["id"]) == "judging"


def test_cancelling_is_not_held_up_by_an_extension(app: Flask, client: FlaskClient, make_challenge, make_concept,
                                                   login, post_form) -> None:
    challenge = make_challenge("closed")
    concept = make_concept("submitted", challenge=challenge)
    extend(app, concept["id"], utcnow() + timedelta(hours=2))
    login(challenge["org"]["owner"])
    response = step(post_form, challenge["slug"], "cancelled", reason="The sponsor withdrew.")
    assert response.status_code == 302
    assert state_of(app, challenge["id"]) == "cancelled"


def test_a_withdrawn_team_with_time_left_also_holds_judging(app: Flask, client: FlaskClient, make_challenge,
                                                            make_concept, login, post_form) -> None:
    # It may still restore its entry until its extended deadline.
    challenge = make_challenge("closed")
    concept = make_concept("withdrawn", challenge=challenge)
    extend(app, concept["id"], utcnow() + timedelta(hours=2))
    login(challenge["org"]["owner"])
    assert step(post_form, challenge["slug"], "judging").status_code == 409
    assert state_of(app, challenge["id"]) == "closed"
