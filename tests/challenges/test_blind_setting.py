"""The blind-judging setting in the challenge editor: chosen before the first submission, fixed
after it (S19, S21)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.services import editor
from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.db import db
from app.errors import DomainError

FORM = {
    "title": "Less cardboard in paper bins", "summary": "Help residents sort cardboard correctly.",
    "problem_md": "Residents put cardboard in the paper bins.", "background_md": "", "language": "en",
    "tags": "", "cover_alt": "", "prize_amount": "50000", "currency": "DKK", "prize_count": "1",
    "prize_split": "100", "eligibility": ["anyone"], "allow_individuals": "y", "allow_teams": "y",
    "max_team_size": "4", "timezone": "Europe/Copenhagen", "opens_at": "2027-02-01T09:00",
    "deadline_at": "2027-03-01T12:00", "judging_ends_at": "2027-03-20T12:00", "results_at": "2027-04-01T12:00",
    "reason": "", "accepted_licences": ["cc-by-4.0", "reserved-summary"], "concept_publication": "winners",
    "max_concept_files": "5", "max_concept_file_mb": "10",
}


def _blind(app: Flask, challenge_id: int) -> bool:
    with app.app_context():
        return bool(db.session.get(Challenge, challenge_id).is_blind)


def test_blind_judging_is_chosen_in_the_editor(app: Flask, client: FlaskClient, make_challenge: Any, login: Any,
                                               post_form: Any) -> None:
    challenge = make_challenge("draft")
    login(challenge["org"]["editor"])
    url = f"/challenges/{challenge['slug']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="is_blind"' in page
    assert "Blind judging" in page
    response = post_form(url, {**FORM, "is_blind": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _blind(app, challenge["id"])
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.updated")
                                   .order_by(AuditEvent.id.desc())).first()
        assert "is_blind" in event.details["fields"]


def test_blind_judging_is_fixed_after_the_first_submission(app: Flask, client: FlaskClient, make_challenge: Any,
                                                           login: Any, post_form: Any) -> None:
    """S21: once a concept is submitted the box is shown disabled with the reason, and neither the
    form nor the service changes the setting."""
    challenge = make_challenge("draft", is_blind=True, rubric_frozen_at=utcnow() - timedelta(days=1))
    login(challenge["org"]["editor"])
    url = f"/challenges/{challenge['slug']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'id="is_blind" disabled checked' in page
    assert "it can no longer change" in page
    # Saving other changes keeps the setting (the disabled box is carried by a hidden field).
    assert post_form(url, {**FORM, "is_blind": "y", "summary": "New words."}).status_code == 302
    assert _blind(app, challenge["id"])
    # A hand-made request that drops it is refused at the field, with what was typed kept.
    response = post_form(url, {**FORM, "summary": "Typed again."})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Blind judging is fixed once the first concept has been submitted." in body
    assert "Typed again." in body
    assert _blind(app, challenge["id"])


def test_the_service_refuses_a_change_after_the_first_submission(app: Flask, make_challenge: Any) -> None:
    challenge = make_challenge("open", rubric_frozen_at=utcnow() - timedelta(days=1))
    with app.app_context():
        row = db.session.get(Challenge, challenge["id"])
        owner = db.session.get(User, challenge["org"]["owner_id"])
        data = editor.ChallengeInput.from_challenge(row)
        data.is_blind = True
        with pytest.raises(DomainError) as caught:
            editor.update_challenge(challenge=row, by=owner, data=data, reason="", now=utcnow())
        assert caught.value.field == "is_blind"
        db.session.rollback()
        assert not db.session.get(Challenge, challenge["id"]).is_blind
