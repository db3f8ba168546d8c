"""S19: organisation staff who sit on a blind jury do not read the organisers' entries pages (they
show the teams); staff who are not on the jury, and staff on an open jury, still do."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JurySeat, RoundJuror


def _seat_staff(app: Flask, built: dict[str, Any], email: str) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        seat = JurySeat(challenge_id=built["challenge"]["id"], user_id=user.id, joined_at=utcnow(),
                        conflicts_declared_at=utcnow())
        db.session.add(seat)
        db.session.flush()
        db.session.add(RoundJuror(round_id=built["round_id"], seat_id=seat.id))
        db.session.commit()


@pytest.mark.parametrize("blind", [True, False])
def test_staff_on_a_blind_jury_cannot_open_the_entries(app: Flask, client: FlaskClient,
                                                       make_judging: Callable[..., dict[str, Any]],
                                                       login: Callable[..., Any], logout: Callable[[], None],
                                                       blind: bool) -> None:
    built = make_judging(concepts=2, jurors=1, blind=blind)
    _seat_staff(app, built, built["editor"])
    slug, concept = built["slug"], built["concepts"][0]
    team = f"Team {concept['owner'].split('-')[1].split('@')[0]}"
    urls = [f"/challenges/{slug}/entries", f"/challenges/{slug}/entries/{concept['id']}",
            f"/challenges/{slug}/entries.csv"]
    login(built["editor"])
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        if blind:
            assert response.status_code == 403, url
            assert "blind jury" in body
            assert team not in body
        else:
            assert response.status_code == 200, url
    # The jury's own pages stay open to them.
    assert client.get(f"/challenges/{slug}/jury/rounds/1").status_code == 200
    logout()
    # Staff not on the jury read the entries as before.
    login(built["staff"])
    for url in urls:
        assert client.get(url).status_code == 200, url
