"""The chair's view of the jury's progress and its "remind" buttons (issue 10 item 5; S16, S17,
S19): who reaches it, what it counts, that it names no team in a blind challenge, that the remind
limit holds, and that it costs the same number of queries for 5 and 20 concepts."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from app.concepts.models import Concept
from app.core.audit import AuditEvent
from app.core.timeutil import clock, utcnow
from app.db import db
from app.judging import queries
from app.judging.models import (
    Assignment,
    Conflict,
    JudgingRound,
    JurySeat,
    RankingBallot,
    ReminderSent,
    RoundJuror,
    ScoreSheet,
)
from app.mail.models import OutboxMessage

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(client) -> str:
    return (CSRF_RE.search(client.get("/").get_data(as_text=True))
            or CSRF_RE.search(client.get("/account/login").get_data(as_text=True))).group(1)


def _url(slug: str, tail: str = "") -> str:
    return f"/challenges/{slug}/jury/progress{tail}"


def _needs_round_link(app) -> None:
    # The reminder email links to the juror's round page, built on the scoring branch.
    if "judging.round" not in app.view_functions:
        pytest.skip("judging.round lands with the scoring branch")


def _sheet(app, built: dict[str, Any], email: str, concept_index: int, state: str = "submitted") -> None:
    with app.app_context():
        db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][email],
                                  concept_id=built["concepts"][concept_index]["id"], state=state,
                                  updated_at=utcnow()))
        db.session.commit()


def _conflict(app, built: dict[str, Any], email: str, concept_index: int, status: str = "declared") -> None:
    with app.app_context():
        db.session.add(Conflict(challenge_id=built["challenge"]["id"], seat_id=built["seat_ids"][email],
                                concept_id=built["concepts"][concept_index]["id"], origin="declared", status=status))
        db.session.commit()


def _outbox(app, to: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        stmt = select(OutboxMessage).where(OutboxMessage.template == "judging/reminder")
        if to:
            stmt = stmt.where(OutboxMessage.to_addr == to)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


# ---------------------------------------------------------------- S16, S17: who reaches the page
ROLES = ["participant", "juror", "other_jury", "editor", "admin", "chair"]
EXPECTED = {"participant": 404, "juror": 403, "other_jury": 404, "editor": 404, "admin": 404, "chair": 200}


def _sign_in_as(role: str, built: dict[str, Any], make_user, make_judging, login) -> None:
    if role == "participant":
        email = built["concepts"][0]["members"][1]  # a member of a team with an entry
    elif role == "juror":
        email = built["jurors"][0]
    elif role == "other_jury":
        email = make_judging(concepts=1, jurors=1)["chair"]  # the chair of another challenge's jury
    elif role == "editor":
        email = built["editor"]  # organisation staff, not on the jury
    elif role == "admin":
        email = "admin-progress@example.org"
        make_user(email, admin=True)
    else:
        email = built["chair"]
    login(email)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_chair_sees_the_progress_page(app, client, login, make_user, make_judging, role) -> None:
    """S17: chair 200; a juror who is not chair 403 (may know the jury exists); anyone without a
    seat 404 (participant, organisation editor, admin, a juror of another challenge)."""
    built = make_judging(concepts=2, jurors=2)
    _sign_in_as(role, built, make_user, make_judging, login)
    response = client.get(_url(built["slug"]))
    assert response.status_code == EXPECTED[role], role
    if role == "chair":
        assert response.headers["Cache-Control"].startswith("no-store") or "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("role", ROLES[:-1])
def test_nobody_but_the_chair_can_press_remind(app, client, login, make_user, make_judging, role) -> None:
    """S17: the POSTs answer like the page and send nothing."""
    built = make_judging(concepts=2, jurors=2)
    _sign_in_as(role, built, make_user, make_judging, login)
    token = _token(client)
    seat = built["seat_ids"][built["jurors"][1]]
    one = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1, "seat": seat})
    everyone = client.post(_url(built["slug"], "/remind-everyone"), data={"csrf_token": token, "round": 1})
    assert (one.status_code, everyone.status_code) == (EXPECTED[role], EXPECTED[role]), role
    assert _outbox(app) == []


def test_anonymous_visitors_go_to_the_login_page_and_posts_need_a_token(app, client, make_judging) -> None:
    """S16: anonymous GET -> login page; POST without a CSRF token -> 400; with one -> login page."""
    built = make_judging(concepts=1, jurors=1)
    response = client.get(_url(built["slug"]))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"
    for tail in ("/remind", "/remind-everyone"):
        assert client.post(_url(built["slug"], tail), data={"round": 1, "seat": 1}).status_code == 400
        response = client.post(_url(built["slug"], tail), data={"round": 1, "seat": 1, "csrf_token": _token(client)})
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/account/login"
    assert _outbox(app) == []


# ---------------------------------------------------------------- what the page counts
def test_the_page_counts_submitted_drafts_and_not_started_out_of_what_each_juror_may_read(
        app, client, login, make_judging) -> None:
    built = make_judging(concepts=4, jurors=3)
    first, second, third = built["jurors"]
    _sheet(app, built, first, 0, "submitted")
    _sheet(app, built, first, 1, "draft")
    _conflict(app, built, first, 3)                 # first may read 3 of 4
    _sheet(app, built, first, 3, "submitted")       # a sheet on a conflicted concept does not count
    _conflict(app, built, second, 2, "suggested")   # a flag not confirmed keeps nothing away
    for i in range(4):
        _sheet(app, built, second, i, "submitted")
    with app.app_context():
        seat = db.session.get(JurySeat, built["seat_ids"][first])
        seat.conflicts_declared_at = utcnow()
        removed = db.session.get(JurySeat, built["seat_ids"][third])
        removed.removed_at = utcnow()
        db.session.commit()
        rnd = db.session.get(JudgingRound, built["round_id"])
        rows = {p.seat.user.email: p for p in queries.round_progress(rnd)}
        assert (rows[first].readable, rows[first].submitted, rows[first].drafts, rows[first].not_started,
                rows[first].left) == (3, 1, 1, 1, 2)
        assert (rows[second].submitted, rows[second].left) == (4, 0)
        assert rows[third].left == 0  # removed: never asked for anything
        assert rows[first].last_activity is not None
    login(built["chair"])
    html = client.get(_url(built["slug"])).get_data(as_text=True)
    assert "Round 1: Round 1" in html
    assert html.count("removed</span>") == 1
    assert "Removed from the jury" in html
    assert "Nothing left" in html
    # The chair, the first juror: Remind; the second (done) and the removed one: none.
    assert html.count('name="seat"') == 2
    assert f'value="{built["seat_ids"][third]}"' not in html
    assert "Remind everyone with sheets left" in html
    assert "Not yet" in html  # conflicts not declared by the others


def test_round_progress_agrees_with_the_one_readable_rule(app, make_judging) -> None:
    """P09: the page's bulk count and queries.readable_concept_ids give the same set sizes, also
    with a balanced assignment and conflicts in force."""
    built = make_judging(concepts=5, jurors=3)
    _conflict(app, built, built["jurors"][0], 0)
    _conflict(app, built, built["jurors"][1], 1, "confirmed")
    _conflict(app, built, built["jurors"][2], 2, "dismissed")
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        for assign in (False, True):
            if assign:
                rnd.jurors_per_concept = 2
                for i, email in enumerate([built["chair"], *built["jurors"]]):
                    for c in built["concepts"][i:i + 3]:
                        db.session.add(Assignment(round_id=rnd.id, seat_id=built["seat_ids"][email], concept_id=c["id"]))
                db.session.commit()
            for p in queries.round_progress(rnd):
                assert p.readable == len(queries.readable_concept_ids(p.seat, rnd)), (assign, p.seat.id)


def test_a_ranking_round_counts_the_ballot(app, client, login, make_judging) -> None:
    built = make_judging(concepts=3, jurors=2)
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        rnd.method = "ranking"
        db.session.add(RankingBallot(round_id=rnd.id, seat_id=built["seat_ids"][built["jurors"][0]],
                                     state="submitted", ranks={}, updated_at=utcnow()))
        db.session.add(RankingBallot(round_id=rnd.id, seat_id=built["seat_ids"][built["jurors"][1]],
                                     state="draft", ranks={}, updated_at=utcnow()))
        db.session.commit()
        left = {p.seat.user.email: p.left for p in queries.round_progress(rnd)}
    assert left == {built["chair"]: 1, built["jurors"][0]: 0, built["jurors"][1]: 1}
    login(built["chair"])
    html = client.get(_url(built["slug"])).get_data(as_text=True)
    assert "Concepts to rank" in html
    assert "Draft" in html


def test_a_challenge_without_rounds_says_so(app, client, login, make_judging) -> None:
    built = make_judging(concepts=1, jurors=1)
    with app.app_context():
        db.session.delete(db.session.get(JudgingRound, built["round_id"]))
        db.session.commit()
    login(built["chair"])
    response = client.get(_url(built["slug"]))
    assert response.status_code == 200
    assert "No round has been set up yet." in response.get_data(as_text=True)


def test_the_blind_progress_page_names_no_team(app, client, login, make_judging) -> None:
    """S19: in a blind challenge the chair's progress page shows no team name, member name,
    email or institution (it lists no concept at all)."""
    built = make_judging(concepts=3, jurors=2, blind=True)
    _sheet(app, built, built["jurors"][0], 0, "draft")
    with app.app_context():
        concepts = list(db.session.scalars(select(Concept).where(Concept.challenge_id == built["challenge"]["id"])))
        hidden = {c.team_name for c in concepts}
        for c in concepts:
            for m in c.members:
                hidden |= {m.user.email, m.user.display_name}
                if m.user.institution:
                    hidden.add(m.user.institution)
    login(built["chair"])
    html = client.get(_url(built["slug"])).get_data(as_text=True)
    assert [h for h in hidden if h and h in html] == []


# ---------------------------------------------------------------- bad input: never a 500
@pytest.mark.parametrize("data", [{}, {"round": "x", "seat": "1"}, {"round": "1"}, {"round": "1", "seat": "-3"},
                                  {"round": "1", "seat": "99999999999999999999"}])
def test_malformed_remind_posts_are_refused_with_400(app, client, login, make_judging, data) -> None:
    built = make_judging(concepts=1, jurors=1)
    login(built["chair"])
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": _token(client), **data})
    assert response.status_code == 400
    assert "could not be sent" in response.get_data(as_text=True)


def test_a_seat_or_round_of_another_challenge_is_404(app, client, login, make_judging) -> None:
    """S17: the chair cannot remind a juror of another jury through its seat id."""
    built = make_judging(concepts=1, jurors=1)
    other = make_judging(concepts=1, jurors=1)
    login(built["chair"])
    token = _token(client)
    assert client.post(_url(built["slug"], "/remind"), data={
        "csrf_token": token, "round": 1, "seat": other["seat_ids"][other["jurors"][0]]}).status_code == 404
    assert client.post(_url(built["slug"], "/remind"), data={
        "csrf_token": token, "round": 7, "seat": built["seat_ids"][built["jurors"][0]]}).status_code == 404
    assert client.post(_url(built["slug"], "/remind-everyone"), data={"csrf_token": token, "round": 7}).status_code == 404
    assert _outbox(app) == []


def test_reminding_a_juror_with_nothing_left_or_removed_is_refused(app, client, login, make_judging) -> None:
    built = make_judging(concepts=1, jurors=2)
    done, gone = built["jurors"]
    _sheet(app, built, done, 0, "submitted")
    with app.app_context():
        db.session.get(JurySeat, built["seat_ids"][gone]).removed_at = utcnow()
        db.session.commit()
    login(built["chair"])
    token = _token(client)
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1,
                                                                 "seat": built["seat_ids"][done]})
    assert response.status_code == 400
    assert "has nothing left to do in this round" in response.get_data(as_text=True)
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1,
                                                                 "seat": built["seat_ids"][gone]})
    assert response.status_code == 404
    assert _outbox(app) == []


def test_no_reminder_after_the_deadline_or_in_a_closed_round(app, client, login, make_judging) -> None:
    built = make_judging(concepts=1, jurors=1)
    login(built["chair"])
    token = _token(client)
    seat = built["seat_ids"][built["jurors"][0]]
    with app.app_context():
        db.session.get(JudgingRound, built["round_id"]).deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    html = client.get(_url(built["slug"])).get_data(as_text=True)
    assert 'name="seat"' not in html
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1, "seat": seat})
    assert response.status_code == 409
    assert "deadline has passed" in response.get_data(as_text=True)
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        rnd.deadline_at, rnd.state = utcnow() + timedelta(days=1), "closed"
        db.session.commit()
    response = client.post(_url(built["slug"], "/remind-everyone"), data={"csrf_token": token, "round": 1})
    assert response.status_code == 409
    assert _outbox(app) == []


# ---------------------------------------------------------------- the remind buttons
def test_remind_sends_at_once_is_audited_and_waits_an_hour(app, client, login, make_judging) -> None:
    _needs_round_link(app)
    built = make_judging(concepts=2, jurors=1)
    juror = built["jurors"][0]
    seat = built["seat_ids"][juror]
    login(built["chair"])
    token = _token(client)
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1, "seat": seat})
    assert response.status_code == 303
    assert "has been sent a reminder" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(_outbox(app, juror)) == 1
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == queries.REMINDED_ACTION)))
        assert [(e.object_type, e.object_id, e.details["round"], e.details["left"]) for e in events] == [
            ("jury_seat", seat, 1, 2)]
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 0
    # Again within the hour: a polite refusal, no second email.
    clock.set(utcnow() + timedelta(minutes=59))
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1, "seat": seat})
    assert response.status_code == 409
    assert "was reminded less than an hour ago" in response.get_data(as_text=True)
    assert len(_outbox(app, juror)) == 1
    clock.advance(timedelta(minutes=2))
    response = client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1, "seat": seat})
    assert response.status_code == 303
    assert len(_outbox(app, juror)) == 2


def test_remind_everyone_skips_those_done_and_those_just_reminded(app, client, login, make_judging) -> None:
    _needs_round_link(app)
    built = make_judging(concepts=2, jurors=3)
    done, recent, waiting = built["jurors"]
    _sheet(app, built, done, 0)
    _sheet(app, built, done, 1)
    login(built["chair"])
    token = _token(client)
    client.post(_url(built["slug"], "/remind"), data={"csrf_token": token, "round": 1,
                                                      "seat": built["seat_ids"][recent]})
    clock.set(utcnow() + timedelta(minutes=10))
    response = client.post(_url(built["slug"], "/remind-everyone"), data={"csrf_token": token, "round": 1})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 jurors have been sent a reminder." in html  # the chair and `waiting`
    assert "1 juror was reminded less than an hour ago" in html
    assert {m.to_addr for m in _outbox(app)} == {built["chair"], recent, waiting}
    assert len(_outbox(app, recent)) == 1
    assert _outbox(app, done) == []


# ---------------------------------------------------------------- a constant number of queries
@contextmanager
def _count_statements(app):
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def _fill(app, built: dict[str, Any]) -> None:
    """Sheets in every state, conflicts, a reminder: the page has something of each to count."""
    emails = [built["chair"], *built["jurors"]]
    with app.app_context():
        for j, email in enumerate(emails):
            for i, c in enumerate(built["concepts"]):
                if (i + j) % 3 == 0:
                    db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][email],
                                              concept_id=c["id"], state="submitted" if i % 2 else "draft"))
            db.session.add(Conflict(challenge_id=built["challenge"]["id"], seat_id=built["seat_ids"][email],
                                    concept_id=built["concepts"][j]["id"], origin="declared", status="declared"))
        db.session.get(JurySeat, built["seat_ids"][emails[-1]]).removed_at = utcnow()
        second = JudgingRound(challenge_id=built["challenge"]["id"], position=2, name="Final", method="ranking")
        db.session.add(second)
        db.session.flush()
        db.session.add_all([RoundJuror(round_id=second.id, seat_id=built["seat_ids"][e]) for e in emails])
        db.session.commit()


@pytest.mark.both_databases
def test_the_page_costs_the_same_queries_for_5_and_20_concepts(app, client, login, make_judging) -> None:
    small = make_judging(concepts=5, jurors=2)
    big = make_judging(concepts=20, jurors=6)
    _fill(app, small)
    _fill(app, big)
    login(small["chair"])
    client.get(_url(small["slug"]))  # warm up
    with _count_statements(app) as few:
        assert client.get(_url(small["slug"])).status_code == 200
    client.post("/account/logout", data={"csrf_token": _token(client)})
    login(big["chair"])
    client.get(_url(big["slug"]))
    with _count_statements(app) as many:
        html = client.get(_url(big["slug"])).get_data(as_text=True)
    assert "Round 2: Final" in html
    assert len(many) == len(few), "\n".join(many)
