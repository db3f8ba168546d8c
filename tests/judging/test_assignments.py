"""The chair's assignment page: everyone, k jurors per concept (judging.assignment.assign with
conflicts in force and hand-made pairs), loads, the report, and single pairs by hand (issue 10
item 3; P09: a conflicted pair is never assigned; S16)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.db import db
from app.judging import queries
from app.judging.models import Assignment, Conflict, JudgingRound, JurySeat


def _pairs(app: Flask, round_id: int) -> dict[tuple[int, int], str]:
    with app.app_context():
        return {(a.seat_id, a.concept_id): a.source for a in db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_id))}


def _conflict(app: Flask, made: dict[str, Any], email: str, concept_id: int, status: str = "declared") -> None:
    with app.app_context():
        db.session.add(Conflict(challenge_id=made["challenge"]["id"], seat_id=made["seat_ids"][email],
                                concept_id=concept_id, origin="declared" if status == "declared" else "flagged",
                                status=status, reason="Neighbour"))
        db.session.commit()


def test_k_jurors_per_concept_respects_conflicts_and_balances(app: Flask, client: FlaskClient,
                                                             make_judging: Callable[..., Any],
                                                             login: Callable[..., Any],
                                                             post_form: Callable[..., Any]) -> None:
    """k = 2 of 4 jurors on 6 concepts: 12 places, loads 3 each, never the conflicted pair (P09)."""
    made = make_judging(concepts=6, jurors=3)
    first = made["concepts"][0]["id"]
    _conflict(app, made, made["jurors"][0], first)
    _conflict(app, made, made["jurors"][1], first, status="confirmed")
    _conflict(app, made, made["jurors"][2], made["concepts"][1]["id"], status="suggested")  # not in force
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds/1/assignment"
    page = client.get(url).get_data(as_text=True)
    assert "Every juror scores every entry" in page
    response = post_form(url, {"mode": "k", "k": "2"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    pairs = _pairs(app, made["round_id"])
    assert len(pairs) == 12
    assert set(pairs.values()) == {"auto"}
    assert (made["seat_ids"][made["jurors"][0]], first) not in pairs
    assert (made["seat_ids"][made["jurors"][1]], first) not in pairs
    loads = {s: sum(1 for p in pairs if p[0] == s) for s in made["seat_ids"].values()}
    assert sorted(loads.values()) == [3, 3, 3, 3]
    with app.app_context():
        rnd = db.session.get(JudgingRound, made["round_id"])
        assert rnd.jurors_per_concept == 2
        seat = db.session.get(JurySeat, made["seat_ids"][made["jurors"][2]])
        readable = queries.readable_concept_ids(seat, rnd)
        assert readable == {c for s, c in pairs if s == seat.id}
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.assignment_made"))
    page = client.get(url).get_data(as_text=True)
    assert "2 jurors per concept." in page
    assert "Loads from 3 to 3 concepts." in page
    assert "Nothing: every concept has its jurors" in page


def test_the_report_says_what_could_not_be_satisfied(app: Flask, client: FlaskClient,
                                                     make_judging: Callable[..., Any], login: Callable[..., Any],
                                                     post_form: Callable[..., Any]) -> None:
    """A concept with fewer unconflicted jurors than k is reported in words."""
    made = make_judging(concepts=2, jurors=1)
    first = made["concepts"][0]["id"]
    _conflict(app, made, made["jurors"][0], first)
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds/1/assignment"
    assert post_form(url, {"mode": "k", "k": "2"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    label = made["labels"][first]
    assert f"{label} has 1 of 2 jurors: only 1 jurors of the round have no conflict with it." in page


def test_chair_adds_and_removes_pairs_by_hand(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                              login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """Pairs by hand are stored as manual, loads follow, a conflicted or duplicate pair is refused
    with a sentence, and a new automatic run keeps the manual pairs."""
    made = make_judging(concepts=3, jurors=2)
    ids = [c["id"] for c in made["concepts"]]
    juror = made["jurors"][0]
    seat = made["seat_ids"][juror]
    _conflict(app, made, juror, ids[2])
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds/1/assignment"
    pair_url = f"{url}/pair"
    # Before k is chosen there is nothing to edit by hand.
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][ids[0]], "action": "add"}, page=url)
    assert response.status_code == 409
    assert post_form(url, {"mode": "k", "k": "1"}).status_code == 302
    pairs = _pairs(app, made["round_id"])
    assigned = {c for s, c in pairs if s == seat}
    target = next(c for c in ids[:2] if c not in assigned)
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][target], "action": "add"}, page=url)
    assert response.status_code == 302
    assert _pairs(app, made["round_id"])[(seat, target)] == "manual"
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][target], "action": "add"}, page=url)
    assert response.status_code == 409
    assert f"already scores {made['labels'][target]}" in response.get_data(as_text=True)
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][ids[2]], "action": "add"}, page=url)
    assert response.status_code == 409
    assert "has a conflict of interest with" in response.get_data(as_text=True)
    assert (seat, ids[2]) not in _pairs(app, made["round_id"])
    for bad in ({"juror": "abc", "entry": "C-001", "action": "add"}, {"juror": str(seat), "entry": "C-999", "action": "add"},
                {"juror": str(seat), "entry": made["labels"][target], "action": "swap"}):
        response = post_form(pair_url, bad, page=url)
        assert 400 <= response.status_code < 500, bad
    # Running the automatic assignment again keeps the hand-made pair.
    assert post_form(url, {"mode": "k", "k": "1"}).status_code == 302
    assert _pairs(app, made["round_id"])[(seat, target)] == "manual"
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][target], "action": "remove"}, page=url)
    assert response.status_code == 302
    assert (seat, target) not in _pairs(app, made["round_id"])
    response = post_form(pair_url, {"juror": str(seat), "entry": made["labels"][target], "action": "remove"}, page=url)
    assert response.status_code == 409
    assert "so there is nothing to remove" in response.get_data(as_text=True)
    # Back to everyone: the stored pairs go.
    assert post_form(url, {"mode": "everyone"}).status_code == 302
    assert _pairs(app, made["round_id"]) == {}


def test_bad_k_is_a_form_error(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                               post_form: Callable[..., Any]) -> None:
    made = make_judging(concepts=2, jurors=1)
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds/1/assignment"
    for data, message in (({"mode": "k", "k": "0"}, "Enter how many jurors read each concept"),
                          ({"mode": "k", "k": "x"}, "Enter how many jurors read each concept"),
                          ({"mode": "k", "k": "3"}, "from 1 to 2"),
                          ({"mode": "lots"}, "Choose who scores what.")):
        response = post_form(url, data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True)
    assert _pairs(app, made["round_id"]) == {}


def test_a_closed_round_cannot_be_reassigned(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                                             post_form: Callable[..., Any]) -> None:
    """S21: once a round is closed its assignment is fixed (409, nothing stored)."""
    made = make_judging(concepts=2, jurors=1)
    with app.app_context():
        db.session.get(JudgingRound, made["round_id"]).state = "closed"
        db.session.commit()
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds/1/assignment"
    assert post_form(url, {"mode": "k", "k": "1"}).status_code == 409
    assert _pairs(app, made["round_id"]) == {}
