"""The judging fixture builds what the services would: seats, labels, a first round."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from app.db import db
from app.judging import queries
from app.judging.models import JudgingRound


def test_make_judging_builds_a_jury_and_a_first_round(app: Flask, make_judging: Callable[..., dict[str, Any]]) -> None:
    built = make_judging(concepts=4, jurors=2, blind=True)
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        assert rnd is not None
        assert rnd.challenge.is_blind
        seats = queries.seats(built["challenge"]["id"])
        assert len(seats) == 3
        assert seats[0].is_chair
        assert not seats[1].is_chair
        labels = queries.labels(built["challenge"]["id"])
        assert labels == built["labels"]
        assert sorted(labels.values()) == ["C-001", "C-002", "C-003", "C-004"]
        assert queries.readable_concept_ids(seats[1], rnd) == {c["id"] for c in built["concepts"]}
        data = queries.round_scores(rnd)
        assert len(data.concepts) == 4
        assert len(data.jurors) == 3
        assert data.scores == ()
