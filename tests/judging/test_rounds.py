"""Starting judging (labels, round 1, flags) and the chair's rounds page (issue 10 items 4 and 6;
S16, S17, S19, S21, P09)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import (
    Conflict,
    EntryLabel,
    JudgingRound,
    JurySeat,
    RankingBallot,
    RoundEntry,
    Score,
    ScoreSheet,
    SheetState,
)


# ---------------------------------------------------------------- start of judging
@pytest.fixture
def closed_challenge(app: Flask, make_challenge: Callable[..., dict[str, Any]], make_concept: Callable[..., Any],
                     make_user: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    def _make(blind: bool = False, concepts: int = 3, **concept_fields: Any) -> dict[str, Any]:
        challenge = make_challenge("closed", is_blind=blind)
        made = [make_concept("submitted", challenge=challenge, members=2, **concept_fields) for _ in range(concepts)]
        draft = make_concept("draft", challenge=challenge)
        chair = make_user(display_name="Chair Person")
        juror = make_user()
        with app.app_context():
            db.session.add_all([JurySeat(challenge_id=challenge["id"], user_id=chair, is_chair=True),
                                JurySeat(challenge_id=challenge["id"], user_id=juror)])
            db.session.commit()
        return {"challenge": challenge, "concepts": made, "draft": draft}
    return _make


def _start(login: Callable[..., Any], post_form: Callable[..., Any], challenge: dict[str, Any]) -> Any:
    login(challenge["org"]["owner"])
    slug = challenge["slug"]
    return post_form(f"/challenges/{slug}/state", {"to": "judging"}, page=f"/challenges/{slug}/manage")


def test_judging_starts_through_the_manage_page(app: Flask, closed_challenge: Callable[..., dict[str, Any]],
                                                login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """Closed -> judging on the manage page draws labels 1..n for the entered concepts only, opens
    round 1 with every juror and entry, and doing it twice changes nothing (S21)."""
    made = closed_challenge()
    response = _start(login, post_form, made["challenge"])
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        cid = made["challenge"]["id"]
        labels = db.session.scalars(select(EntryLabel).where(EntryLabel.challenge_id == cid)).all()
        assert sorted(lab.number for lab in labels) == [1, 2, 3]
        assert {lab.concept_id for lab in labels} == {c["id"] for c in made["concepts"]}
        rounds = db.session.scalars(select(JudgingRound).where(JudgingRound.challenge_id == cid)).all()
        assert len(rounds) == 1
        rnd = rounds[0]
        challenge = db.session.get(Challenge, cid)
        assert rnd.name == "Round 1"
        assert rnd.method == "rubric"
        assert rnd.deadline_at == challenge.judging_ends_at
        assert len(rnd.jurors) == 2
        assert len(rnd.entries) == 3
        from app.judging.services.rounds import start_judging

        start_judging(challenge, actor=None, now=utcnow())
        db.session.commit()
        assert db.session.scalar(select(func.count(EntryLabel.id)).where(EntryLabel.challenge_id == cid)) == 3
        assert db.session.scalar(select(func.count(JudgingRound.id)).where(JudgingRound.challenge_id == cid)) == 1
        assert db.session.scalar(select(func.count(RoundEntry.id)).where(RoundEntry.round_id == rnd.id)) == 3


def test_blind_labels_keep_what_names_the_team(app: Flask, closed_challenge: Callable[..., dict[str, Any]],
                                               login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """S19: in a blind challenge the label keeps the mentions of a member found in the submitted text."""
    made = closed_challenge(blind=True, concepts=2)
    with app.app_context():
        from app.concepts.models import ConceptVersion

        first = made["concepts"][0]
        member = db.session.scalar(select(User).where(User.email == first["members"][1]))
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == first["id"]))
        version.body_md = f"Written by {member.display_name} ({member.email})."
        db.session.commit()
        name, email = member.display_name, member.email
    assert _start(login, post_form, made["challenge"]).status_code == 302
    with app.app_context():
        labels = {lab.concept_id: lab.mentions for lab in db.session.scalars(select(EntryLabel))}
        assert name in labels[first["id"]]
        assert email in labels[first["id"]]
        assert labels[made["concepts"][1]["id"]] == []


# ---------------------------------------------------------------- helpers
def _submit_scores(app: Flask, made: dict[str, Any], values: dict[int, int], *, round_id: int | None = None,
                   jurors: list[str] | None = None) -> None:
    """Every given juror submits a sheet for each concept with `values[concept id]` on every criterion."""
    with app.app_context():
        rnd = db.session.get(JudgingRound, round_id or made["round_id"])
        criteria = rnd.criteria()
        for email in jurors or made["jurors"]:
            for cid, value in values.items():
                sheet = ScoreSheet(round_id=rnd.id, seat_id=made["seat_ids"][email], concept_id=cid,
                                   state=SheetState.SUBMITTED, submitted_at=utcnow())
                sheet.scores = [Score(criterion_id=c.id, value=value) for c in criteria]
                db.session.add(sheet)
        db.session.commit()


def _deadline(days: int = 5) -> str:
    from zoneinfo import ZoneInfo

    return (utcnow() + timedelta(days=days)).astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%Y-%m-%dT%H:%M")


def _next_round_data(app: Flask, made: dict[str, Any], **changes: Any) -> dict[str, Any]:
    with app.app_context():
        challenge = db.session.get(Challenge, made["challenge"]["id"])
        criteria = [str(c.id) for c in challenge.criteria]
    data: dict[str, Any] = {"name": "Shortlist", "method": "rubric", "criteria": criteria, "deadline": _deadline(),
                            "jurors": [str(s) for s in made["seat_ids"].values()], "advance": "rank", "top_n": "2",
                            "basis": "raw"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _rounds(app: Flask, challenge_id: int) -> list[JudgingRound]:
    with app.app_context():
        found = db.session.scalars(select(JudgingRound).where(JudgingRound.challenge_id == challenge_id)
                                   .order_by(JudgingRound.position)).all()
        for r in found:
            _ = (r.entries, r.jurors)
        db.session.expunge_all()
        return list(found)


# ---------------------------------------------------------------- the rounds page
def test_chair_advances_the_top_two_by_rank(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                            login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """The top 2 of round 1 by raw score go to round 2; round 1 closes; the step is audited."""
    made = make_judging(concepts=4, jurors=2)
    ids = [c["id"] for c in made["concepts"]]
    _submit_scores(app, made, {ids[0]: 2, ids[1]: 5, ids[2]: 4, ids[3]: 1})
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds"
    page = client.get(url).get_data(as_text=True)
    assert made["labels"][ids[1]] in page
    response = post_form(url, _next_round_data(app, made, top_n="2"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    first, second = _rounds(app, made["challenge"]["id"])
    assert first.state == "closed"
    assert first.closed_at is not None
    assert second.position == 2
    assert second.name == "Shortlist"
    assert second.criterion_ids == []
    assert {e.concept_id for e in second.entries} == {ids[1], ids[2]}
    assert len(second.jurors) == 3
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.round_added")) is not None
    assert "Shortlist" in client.get(url).get_data(as_text=True)


def test_chair_advances_by_calibrated_rank(app: Flask, make_judging: Callable[..., Any],
                                                 login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """Advancing by calibrated rank (each juror's scale evened out) goes through the same form."""
    made = make_judging(concepts=3, jurors=2)
    ids = [c["id"] for c in made["concepts"]]
    harsh, lenient = made["jurors"]
    _submit_scores(app, made, {ids[0]: 1, ids[1]: 2, ids[2]: 3}, jurors=[harsh])
    _submit_scores(app, made, {ids[0]: 5, ids[1]: 4, ids[2]: 3}, jurors=[lenient])
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds"
    assert post_form(url, _next_round_data(app, made, top_n="1", basis="calibrated")).status_code == 302
    second = _rounds(app, made["challenge"]["id"])[1]
    assert len(second.entries) == 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.round_added")
                                 ).details["top_n"] == 1


def test_chair_advances_by_hand_with_a_note_each(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                                 login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """A hand-picked concept needs a note; without one the form comes back (400) with what was typed."""
    made = make_judging(concepts=3, jurors=1)
    ids = [c["id"] for c in made["concepts"]]
    numbers = {cid: int(made["labels"][cid][2:]) for cid in ids}
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds"
    data = _next_round_data(app, made, advance="hand", top_n=None, name="Final picks",
                            **{f"pick_{numbers[ids[0]]}": "y", f"note_{numbers[ids[0]]}": "Bold and cheap",
                               f"pick_{numbers[ids[1]]}": "y"})
    response = post_form(url, data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Bold and cheap" in body
    assert "Final picks" in body
    assert f"Say why {made['labels'][ids[1]]} advances" in body
    assert len(_rounds(app, made["challenge"]["id"])) == 1
    data[f"note_{numbers[ids[1]]}"] = "The jury wants a second look"
    assert post_form(url, data).status_code == 302
    second = _rounds(app, made["challenge"]["id"])[1]
    assert {e.concept_id: e.note for e in second.entries} == {ids[0]: "Bold and cheap",
                                                             ids[1]: "The jury wants a second look"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"criteria": ["999999"]}, "Choose criteria from the rubric."),
    ({"criteria": ["abc"]}, "Choose criteria from the rubric."),
    ({"criteria": None}, "Choose at least one criterion for the round."),
    ({"deadline": "PAST"}, "The deadline is in the past."),
    ({"deadline": "not a date"}, "Enter a date and time"),
    ({"jurors": None}, "Choose at least one juror for the round."),
    ({"jurors": ["424242"]}, "Choose jurors from the list."),
    ({"top_n": "0"}, "Enter how many concepts advance, from 1 to 3."),
    ({"top_n": "4"}, "Enter how many concepts advance, from 1 to 3."),
    ({"top_n": "many"}, "Enter how many concepts advance, from 1 to 3."),
    ({"method": "ranking", "top_n": "1"}, "A ranking round needs from 2 to 12 concepts"),
    ({"method": "dice"}, "Choose how the round is judged."),
    ({"advance": "lottery"}, "Choose how concepts advance."),
    ({"name": " "}, "Give the round a name."),
])
def test_bad_next_round_input_is_a_form_error(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                                              post_form: Callable[..., Any], changes: dict[str, Any],
                                              message: str) -> None:
    """Bad input is a translated form error with a 4xx, nothing changes and the typed name stays."""
    made = make_judging(concepts=3, jurors=1)
    login(made["chair"])
    if changes.get("deadline") == "PAST":
        changes = {**changes, "deadline": _deadline(days=-1)}
    data = _next_round_data(app, made, **changes)
    data.setdefault("name", "Shortlist")
    response = post_form(f"/challenges/{made['slug']}/jury/rounds", data)
    assert 400 <= response.status_code < 500
    body = response.get_data(as_text=True)
    assert message in body
    if data["name"].strip():
        assert data["name"] in body
    assert len(_rounds(app, made["challenge"]["id"])) == 1


def test_a_ranking_round_is_ranked_by_schulze(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                                              client: FlaskClient, post_form: Callable[..., Any]) -> None:
    """A ranking round's submitted ballots (Schulze) decide who advances from it."""
    made = make_judging(concepts=3, jurors=2)
    ids = [c["id"] for c in made["concepts"]]
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds"
    _submit_scores(app, made, {ids[0]: 3, ids[1]: 4, ids[2]: 5})
    assert post_form(url, _next_round_data(app, made, method="ranking", top_n="3", criteria=None)).status_code == 302
    final = _rounds(app, made["challenge"]["id"])[1]
    assert final.method == "ranking"
    assert len(final.entries) == 3
    with app.app_context():
        for email in made["jurors"]:
            db.session.add(RankingBallot(round_id=final.id, seat_id=made["seat_ids"][email], state=SheetState.SUBMITTED,
                                         ranks={str(ids[0]): 1, str(ids[2]): 2, str(ids[1]): 3}))
        db.session.commit()
    assert "Place (Schulze method)" in client.get(url).get_data(as_text=True)
    assert post_form(url, _next_round_data(app, made, name="Winner", top_n="1")).status_code == 302
    last = _rounds(app, made["challenge"]["id"])[2]
    assert [e.concept_id for e in last.entries] == [ids[0]]


def test_rounds_cannot_change_outside_judging(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                                              post_form: Callable[..., Any]) -> None:
    """S21: once the challenge is in results the rounds page is read-only; a POST answers 409."""
    made = make_judging(concepts=3, jurors=1, state="results")
    login(made["chair"])
    response = post_form(f"/challenges/{made['slug']}/jury/rounds", _next_round_data(app, made))
    assert response.status_code == 409
    assert len(_rounds(app, made["challenge"]["id"])) == 1


# ---------------------------------------------------------------- who may open the chair's pages
ROLES = ["anonymous", "participant", "team member", "juror of another challenge", "conflicted juror", "juror",
         "chair", "organisation editor", "admin"]
EXPECTED = {"anonymous": 302, "participant": 404, "team member": 404, "juror of another challenge": 404,
            "conflicted juror": 403, "juror": 403, "chair": 200, "organisation editor": 404, "admin": 404}


def _role_email(role: str, made: dict[str, Any], other: dict[str, Any], app: Flask,
                make_user: Callable[..., int]) -> str | None:
    if role == "anonymous":
        return None
    if role == "participant":
        email = f"participant-{made['slug']}@example.org"
        make_user(email)
        return email
    if role == "team member":
        return made["concepts"][0]["members"][1]
    if role == "juror of another challenge":
        return other["chair"]
    if role == "conflicted juror":
        email = made["jurors"][1]
        with app.app_context():
            db.session.add(Conflict(challenge_id=made["challenge"]["id"], seat_id=made["seat_ids"][email],
                                    concept_id=made["concepts"][0]["id"], origin="declared", status="declared",
                                    reason="My neighbour"))
            db.session.commit()
        return email
    if role == "juror":
        return made["jurors"][0]
    if role == "chair":
        return made["chair"]
    if role == "organisation editor":
        return made["editor"]
    email = f"admin-{made['slug']}@example.org"
    make_user(email, admin=True)
    return email


@pytest.mark.parametrize("role", ROLES)
def test_only_the_chair_opens_the_chair_pages(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                              make_user: Callable[..., int], login: Callable[..., Any],
                                              csrf: Callable[[str], str], role: str) -> None:
    """S16, S17, P09: rounds, assignment and conflict flags answer the chair only; jurors (conflicted
    or not) get 403, anyone without a seat on this jury 404 (they cannot tell the page exists), and
    a refused POST changes nothing."""
    made = make_judging(concepts=2, jurors=2)
    other = make_judging(concepts=1, jurors=1)
    email = _role_email(role, made, other, app, make_user)
    if email is not None:
        login(email)
    base = f"/challenges/{made['slug']}/jury"
    for url in (f"{base}/rounds", f"{base}/rounds/1/assignment", f"{base}/conflicts/review"):
        response = client.get(url)
        assert response.status_code == EXPECTED[role], (url, response.status_code)
        if role == "anonymous":
            assert "/account/login" in response.headers["Location"]
        if EXPECTED[role] == 200:
            assert response.headers.get("Cache-Control", "").startswith(("no-store", "private"))
    if role == "chair":
        return
    token = csrf("/")
    posts = {f"{base}/rounds": _next_round_data(app, made),
             f"{base}/rounds/1/assignment": {"mode": "k", "k": "1"},
             f"{base}/rounds/1/assignment/pair": {"juror": "1", "entry": "C-001", "action": "add"},
             f"{base}/conflicts/review": {"conflict": "1", "decision": "confirm"}}
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == EXPECTED[role], (url, response.status_code)
    assert len(_rounds(app, made["challenge"]["id"])) == 1
    with app.app_context():
        assert _rounds(app, made["challenge"]["id"])[0].jurors_per_concept is None


def test_an_unknown_round_is_404(client: FlaskClient, make_judging: Callable[..., Any],
                                 login: Callable[..., Any]) -> None:
    made = make_judging(concepts=2, jurors=1)
    login(made["chair"])
    assert client.get(f"/challenges/{made['slug']}/jury/rounds/7/assignment").status_code == 404
    assert client.get(f"/challenges/{made['slug']}/jury/rounds/0/assignment").status_code == 404


def test_no_entries_no_round(app: Flask, make_challenge: Callable[..., dict[str, Any]], login: Callable[..., Any],
                             post_form: Callable[..., Any]) -> None:
    """A challenge with no entry enters judging without a round (there is nothing to judge)."""
    challenge = make_challenge("closed")
    assert _start(login, post_form, challenge).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(JudgingRound.id))
                                 .where(JudgingRound.challenge_id == challenge["id"])) == 0


def test_a_broken_ballot_is_a_message_not_a_crash(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                                  login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """A stored ranking with a gap cannot be combined: the chair gets a 409 and a sentence."""
    made = make_judging(concepts=3, jurors=1)
    ids = [c["id"] for c in made["concepts"]]
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/rounds"
    assert post_form(url, _next_round_data(app, made, method="ranking", top_n="3", criteria=None)).status_code == 302
    final = _rounds(app, made["challenge"]["id"])[1]
    with app.app_context():
        db.session.add(RankingBallot(round_id=final.id, seat_id=made["seat_ids"][made["jurors"][0]],
                                     state=SheetState.SUBMITTED, ranks={str(ids[0]): 1, str(ids[1]): 3, "x": 2}))
        db.session.commit()
    assert client.get(url).status_code == 200
    response = post_form(url, _next_round_data(app, made, name="Winner", top_n="1"))
    assert response.status_code == 409
    assert "does not fit this round" in response.get_data(as_text=True)
