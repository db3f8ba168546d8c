"""The lifecycle state machine: every (from, to) pair both ways, time-driven steps on read and in
SQL (a Hypothesis test over random timelines), the periodic task, and who may change state (S21)."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.lifecycle import TIME_DRIVEN, TRANSITIONS, effective_state, state_clause
from app.challenges.models import Challenge, ChallengeState, Follow, StateTransition
from app.core.audit import AuditEvent
from app.core.timeutil import clock, utcnow
from app.db import db
from app.errors import DomainError
from app.organisations.models import Organisation

S = ChallengeState


def _counts(challenge_id: int) -> tuple[int, int]:
    rows = db.session.scalar(select(func.count()).select_from(StateTransition)
                             .where(StateTransition.challenge_id == challenge_id))
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "challenge", AuditEvent.object_id == challenge_id))
    return rows or 0, audits or 0


def _in(app: Flask, locale: str, text: str, **values: Any) -> str:
    """`text` as the app translates it for `locale` (emails go out in the recipient's language)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(locale):
        return gettext(text, **values)


def _follow(app: Flask, user_id: int, challenge_id: int) -> None:
    with app.app_context():
        db.session.add(Follow(user_id=user_id, challenge_id=challenge_id))
        db.session.commit()


# ---------------------------------------------------------------- the table, both ways
@pytest.mark.both_databases
def test_every_pair_of_states_is_allowed_exactly_when_the_table_says(app: Flask, make_org, make_challenge) -> None:
    org = make_org()
    for frm, to in product(S, S):
        made = make_challenge(frm.value, org=org)
        with app.app_context():
            challenge = db.session.get(Challenge, made["id"])
            actor = db.session.get(User, org["owner_id"])
            before = _counts(challenge.id)
            expected = to in TRANSITIONS[frm] and (frm, to) not in TIME_DRIVEN
            try:
                lifecycle.transition(challenge, to, actor=actor, now=utcnow(), reason="The budget was withdrawn.")
            except DomainError:
                assert not expected, f"{frm} -> {to} was refused but the table allows it"
                # Refused: nothing changed, nothing pending in the session (S21).
                assert challenge.state == frm
                assert not [o for o in db.session.new if isinstance(o, (StateTransition, AuditEvent))]
                db.session.rollback()
                assert db.session.get(Challenge, made["id"]).state == frm
                assert _counts(made["id"]) == before
            else:
                assert expected, f"{frm} -> {to} was allowed but the table does not allow it"
                db.session.commit()
                challenge = db.session.get(Challenge, made["id"])
                assert challenge.state == to
                assert _counts(challenge.id) == (before[0] + 1, before[1] + 1)
                row = db.session.scalars(select(StateTransition).where(
                    StateTransition.challenge_id == challenge.id)).one()
                assert (row.from_state, row.to_state, row.actor_id) == (frm.value, to.value, actor.id)
                event = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == challenge.id,
                                                                    AuditEvent.object_type == "challenge")).one()
                assert event.action == f"challenge.{to.value}"
                assert event.actor_id == actor.id
            db.session.remove()


def test_the_table_has_no_way_back_and_nothing_leaves_the_end_states() -> None:
    order = list(S)
    for frm, targets in TRANSITIONS.items():
        for to in targets:
            assert to is S.CANCELLED or order.index(to) > order.index(frm), f"{frm} -> {to} goes backwards"
    assert TRANSITIONS[S.ARCHIVED] == frozenset()
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert S.CANCELLED not in TRANSITIONS[S.RESULTS]  # results stand: no cancelling after them


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_cancelling_needs_a_reason(app: Flask, make_challenge, reason: str | None) -> None:
    made = make_challenge("open")
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        with pytest.raises(DomainError) as info:
            lifecycle.transition(challenge, S.CANCELLED, actor=None, now=utcnow(), reason=reason)
        assert info.value.field == "reason"
        db.session.rollback()
        assert db.session.get(Challenge, made["id"]).state == S.OPEN


# ---------------------------------------------------------------- time-driven steps
@pytest.mark.both_databases
def test_time_driven_steps_happen_on_read_without_writing(app: Flask, make_challenge) -> None:
    made = make_challenge("scheduled")
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        opens, deadline = challenge.opens_at, challenge.deadline_at
    second = timedelta(seconds=1)
    for moment, expected in [(opens - second, S.SCHEDULED), (opens, S.OPEN), (deadline - second, S.OPEN),
                             (deadline, S.CLOSED), (deadline + timedelta(days=30), S.CLOSED)]:
        clock.set(moment)
        with app.app_context():
            challenge = db.session.get(Challenge, made["id"])
            assert effective_state(challenge, utcnow()) is expected
            assert lifecycle.accepts_concepts(challenge, utcnow()) is (expected is S.OPEN)
            for state in S:
                ids = set(db.session.scalars(select(Challenge.id).where(state_clause(state, utcnow()))))
                assert (made["id"] in ids) is (state is expected), (moment, state)
            assert challenge.state == S.SCHEDULED  # reading wrote nothing
            assert _counts(made["id"]) == (0, 0)
            db.session.remove()


_BASE = datetime(2031, 3, 30, 12, 0, tzinfo=UTC)
# A small grid, so equal instants (the boundaries) come up often, plus microseconds around them.
_moments = st.builds(lambda hours, micro: _BASE + timedelta(hours=hours, microseconds=micro),
                     st.integers(-3, 3), st.sampled_from([0, 0, 1, -1, 999_999]))
_timelines = st.lists(st.tuples(st.sampled_from(list(S)), st.none() | _moments, st.none() | _moments),
                      min_size=1, max_size=8)


def _org_id(app: Flask, make_org: Callable[..., dict[str, Any]]) -> int:
    with app.app_context():
        existing = db.session.scalar(select(Organisation.id).limit(1))
    return existing if existing is not None else make_org()["id"]


@pytest.mark.both_databases
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timelines=_timelines, now=_moments)
def test_state_clause_agrees_with_effective_state(app: Flask, make_org, timelines, now: datetime) -> None:
    """Hypothesis: for random stored states, timelines (with gaps and ties) and clock times, the SQL
    filter used by lists and feeds picks exactly the rows whose effective state it names."""
    org_id = _org_id(app, make_org)
    with app.app_context():
        rows = [Challenge(organisation_id=org_id, slug=f"h-{i}", title="t", state=state, opens_at=opens,
                          deadline_at=deadline) for i, (state, opens, deadline) in enumerate(timelines)]
        db.session.add_all(rows)
        db.session.flush()
        ids = [c.id for c in rows]
        for state in S:
            in_sql = set(db.session.scalars(select(Challenge.id).where(Challenge.id.in_(ids),
                                                                       state_clause(state, now))))
            in_python = {c.id for c in rows if effective_state(c, now) is state}
            assert in_sql == in_python, (state, now, timelines)
        db.session.rollback()
        db.session.remove()


# ---------------------------------------------------------------- the periodic task
@pytest.mark.both_databases
def test_tick_records_due_steps_once_and_tells_followers_once(app: Flask, make_challenge, make_user,
                                                              smtp_sink, send_outbox) -> None:
    scheduled, running, draft = make_challenge("scheduled"), make_challenge("open"), make_challenge("draft")
    follower = make_user("follower@example.org", locale="da", display_name="Freja")
    for made in (scheduled, running, draft):
        _follow(app, follower, made["id"])
    with app.app_context():
        deadline = db.session.get(Challenge, running["id"]).deadline_at
        titles = {m["slug"]: db.session.get(Challenge, m["id"]).title for m in (scheduled, running)}
    clock.set(deadline + timedelta(minutes=1))  # `running` has closed; `scheduled` has opened

    runner = app.test_cli_runner()
    result = runner.invoke(args=["challenges", "tick"])
    assert result.exit_code == 0, result.output
    assert "for 2 challenge(s)" in result.output
    with app.app_context():
        for made, frm, to in ((running, S.OPEN, S.CLOSED), (scheduled, S.SCHEDULED, S.OPEN)):
            challenge = db.session.get(Challenge, made["id"])
            assert challenge.state == to
            row = db.session.scalars(select(StateTransition).where(StateTransition.challenge_id == made["id"])).one()
            assert (row.from_state, row.to_state, row.actor_id) == (frm.value, to.value, None)
            event = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == made["id"],
                                                                AuditEvent.object_type == "challenge")).one()
            assert event.action == f"challenge.{to.value}"
            assert event.actor_id is None
        assert db.session.get(Challenge, draft["id"]).state == S.DRAFT

    again = runner.invoke(args=["challenges", "tick"])
    assert again.exit_code == 0
    assert "for 0 challenge(s)" in again.output
    send_outbox()
    mails = smtp_sink.to("follower@example.org")
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert len(subjects) == 2, subjects  # once each, however often the task runs; in Danish
    assert subjects == sorted([_in(app, "da", "Now open for concepts: %(title)s", title=titles[scheduled["slug"]]),
                               _in(app, "da", "Submissions closed: %(title)s", title=titles[running["slug"]])])
    assert all(m["Content-Language"] == "da" for m in mails)  # in the follower's language
    assert all(f"/challenges/{running['slug']}" in smtp_sink.text_of(m) for m in mails
               if titles[running["slug"]] in str(m["Subject"]))


def test_the_background_ticker_survives_a_broken_database(app: Flask, make_challenge) -> None:
    from sqlalchemy import text

    from app.challenges.tasks import run_ticker

    made = make_challenge("open")
    with app.app_context():
        clock.set(db.session.get(Challenge, made["id"]).deadline_at)
        db.session.execute(text("ALTER TABLE challenges RENAME TO challenges_gone"))
        db.session.commit()
    run_ticker(app, interval=0, iterations=1)  # the task fails inside; nothing escapes the loop
    with app.app_context():
        db.session.execute(text("ALTER TABLE challenges_gone RENAME TO challenges"))
        db.session.commit()
    run_ticker(app, interval=0, iterations=1)  # and the next pass does the work
    with app.app_context():
        assert db.session.get(Challenge, made["id"]).state == S.CLOSED


# ---------------------------------------------------------------- through the views
ROLES = ("anonymous", "user", "other_staff", "admin", "editor", "owner")


def _become(role: str, made: dict[str, Any], *, login, logged_in, make_org) -> None:
    if role == "anonymous":
        return
    if role in ("user", "admin"):
        logged_in(role)
    elif role == "other_staff":
        login(make_org()["owner"])  # S18: staff of another organisation
    else:
        login(made["org"][role])


@pytest.mark.parametrize("state", ["draft", "closed"])
@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_the_manage_page_and_change_state(app: Flask, client, post_form, login, logged_in, make_org,
                                                       make_challenge, role: str, state: str) -> None:
    made = make_challenge(state)
    _become(role, made, login=login, logged_in=logged_in, make_org=make_org)
    data = {"to": "judging"} if state == "closed" else {"to": "cancelled", "reason": "No budget after all."}
    page = client.get(f"/challenges/{made['slug']}/manage")
    response = post_form(f"/challenges/{made['slug']}/state", data, page="/")
    with app.app_context():
        now_state = db.session.get(Challenge, made["id"]).state
    if role in ("editor", "owner"):
        assert page.status_code == 200
        assert response.status_code == 302
        assert now_state == data["to"]
        return
    assert now_state == state  # S17, S18: nothing changed
    if role == "anonymous":
        assert page.status_code == 302
        assert "/account/login" in page.headers["Location"]
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    else:  # a draft is invisible (404); a published challenge is visible but not theirs to run (403)
        expected = 404 if state == "draft" else 403
        assert (page.status_code, response.status_code) == (expected, expected)


def test_the_manage_page_offers_only_the_manual_steps(app: Flask, client, login, make_org, make_challenge) -> None:
    cases = {"draft": [], "scheduled": [], "open": [], "closed": ["judging"], "judging": ["results"],
             "results": ["archived"], "archived": []}
    org = make_org()
    login(org["owner"])
    for state, steps in cases.items():
        made = make_challenge(state, org=org)
        html = client.get(f"/challenges/{made['slug']}/manage").get_data(as_text=True)
        offered = [s for s in S if f'name="to" value="{s.value}"' in html and s is not S.CANCELLED]
        assert [s.value for s in offered] == steps, state
        cancellable = S.CANCELLED in TRANSITIONS[S(state)]
        assert ('name="to" value="cancelled"' in html) is cancellable, state
        assert 'value="scheduled"' not in html
        assert 'name="to" value="open"' not in html


@pytest.mark.both_databases
def test_a_refused_step_shows_the_page_with_409_and_changes_nothing(app: Flask, post_form, login,
                                                                    make_challenge) -> None:
    made = make_challenge("open")
    login(made["org"]["editor"])
    url, page = f"/challenges/{made['slug']}/state", f"/challenges/{made['slug']}/manage"
    for data in ({"to": "judging"}, {"to": "archived"}, {"to": "closed"}, {"to": "open"}, {"to": "nonsense"}):
        response = post_form(url, data, page=page)
        assert response.status_code == 409, data  # S21
        html = response.get_data(as_text=True)
        assert "That step was not taken" in html
        assert "Nothing was changed" in html
        assert "<h1>" in html
        assert html.count("<h1") == 1
    with app.app_context():
        assert db.session.get(Challenge, made["id"]).state == S.OPEN
        assert _counts(made["id"]) == (0, 0)

    draft = make_challenge("draft", org=made["org"])
    response = post_form(f"/challenges/{draft['slug']}/state", {"to": "scheduled"},
                         page=f"/challenges/{draft['slug']}/manage")
    assert response.status_code == 409
    assert "Publish the challenge from its editor" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_a_step_refused_after_the_clock_moved_changes_nothing(app: Flask, post_form, login, make_challenge) -> None:
    made = make_challenge("open")
    with app.app_context():
        clock.set(db.session.get(Challenge, made["id"]).deadline_at + timedelta(hours=1))
    login(made["org"]["owner"])  # after moving the clock: sessions expire after two idle hours
    # Closed by the clock: "archive" is still not a step from there; the closing is not recorded either.
    response = post_form(f"/challenges/{made['slug']}/state", {"to": "archived"},
                         page=f"/challenges/{made['slug']}/manage")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Challenge, made["id"]).state == S.OPEN
        assert _counts(made["id"]) == (0, 0)
    # Starting judging works, and records the clock's step first.
    response = post_form(f"/challenges/{made['slug']}/state", {"to": "judging"},
                         page=f"/challenges/{made['slug']}/manage")
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(StateTransition).where(StateTransition.challenge_id == made["id"])
                                  .order_by(StateTransition.id)).all()
        assert [(r.to_state, r.actor_id is None) for r in rows] == [("closed", True), ("judging", False)]


def test_cancelling_needs_a_reason_and_emails_followers_with_it(app: Flask, client, post_form, login, make_user,
                                                              make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    fan = make_user("fan@example.org", locale="sv")
    _follow(app, fan, made["id"])
    login(made["org"]["owner"])
    url, page = f"/challenges/{made['slug']}/state", f"/challenges/{made['slug']}/manage"

    response = post_form(url, {"to": "cancelled", "reason": "   "}, page=page)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="reason-error"' in html
    assert 'id="error-summary"' in html
    with app.app_context():
        assert db.session.get(Challenge, made["id"]).state == S.OPEN

    reason = "The school year changed and the pilot district withdrew."
    assert post_form(url, {"to": "cancelled", "reason": reason}, page=page).status_code == 302
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        assert challenge.state == S.CANCELLED
        assert challenge.cancel_reason == reason
        row = db.session.scalars(select(StateTransition).where(StateTransition.challenge_id == made["id"])).one()
        assert row.reason == reason
    html = client.get(page).get_data(as_text=True)
    assert reason in html
    assert "There is no step for you to take now." in html
    send_outbox()
    [mail] = smtp_sink.to("fan@example.org")
    assert str(mail["Subject"]) == _in(app, "sv", "Cancelled: %(title)s", title=challenge.title)
    assert mail["Content-Language"] == "sv"
    assert reason in smtp_sink.text_of(mail)


def test_judging_then_results_then_archive_and_followers_hear_of_the_results(
        app: Flask, client, post_form, login, make_user, make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("closed")
    fan = make_user("fan@example.org")
    with app.app_context():
        db.session.add(Follow(user_id=fan, organisation_id=made["org"]["id"]))  # follows the organisation
        db.session.commit()
    login(made["org"]["editor"])
    url, page = f"/challenges/{made['slug']}/state", f"/challenges/{made['slug']}/manage"
    for to in ("judging", "results", "archived"):
        if to == "results":  # judging refuses results without the jury's final decision (issue 10)
            from app.judging.models import Decision, DecisionState

            with app.app_context():
                db.session.add(Decision(challenge_id=made["id"], state=DecisionState.FINAL,
                                        no_winner_reason="No concept was entered."))
                db.session.commit()
        response = post_form(url, {"to": to}, page=page)
        assert response.status_code == 302, to
        assert client.get(response.headers["Location"]).status_code == 200
    html = client.get(page).get_data(as_text=True)
    assert html.count("<tr>") >= 4  # header + three steps in the history
    send_outbox()
    subjects = [str(m["Subject"]) for m in smtp_sink.to("fan@example.org")]
    assert len(subjects) == 1
    assert subjects[0].startswith("Results published:")


@pytest.mark.both_databases
def test_the_manage_page_shows_history_links_and_waiting_questions(app: Flask, client, login, make_challenge,
                                                                   make_user) -> None:
    from app.challenges.models import Question

    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name="Asker Person")
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        owner = db.session.get(User, made["org"]["owner_id"])
        lifecycle.catch_up(challenge, now=challenge.deadline_at + timedelta(seconds=1))  # by the clock
        lifecycle.transition(challenge, S.JUDGING, actor=owner, now=challenge.deadline_at + timedelta(days=1))
        db.session.add(Question(challenge_id=challenge.id, asked_by_id=asker, body="Can teams be mixed?"))
        db.session.commit()
        owner_name = owner.display_name
    login(made["org"]["owner"])
    html = client.get(f"/challenges/{made['slug']}/manage").get_data(as_text=True)
    assert "automatic" in html
    assert owner_name in html
    assert "Can teams be mixed?" in html
    assert "Asker Person" not in html  # the asker's name is not needed even here (P08)
    assert f'href="/challenges/{made["slug"]}/questions"' in html
    for endpoint in ("edit", "rubric", "preview", "attachments"):
        if f"challenges.{endpoint}" in app.view_functions:
            assert f'href="/challenges/{made["slug"]}/{endpoint}"' in html, endpoint


def test_the_background_ticker_starts_once_as_a_daemon_and_stops(app: Flask, make_challenge) -> None:
    from app.challenges.tasks import start_background_ticker

    made = make_challenge("open")
    with app.app_context():
        clock.set(db.session.get(Challenge, made["id"]).deadline_at)
    handle = start_background_ticker(app, interval=3600)
    try:
        assert handle.thread.daemon  # never keeps `flask serve` from exiting
        assert start_background_ticker(app) is handle  # one per app
        state = None
        for _ in range(100):  # its first pass runs at once; wait for it, at most 10 s
            with app.app_context():
                state = db.session.get(Challenge, made["id"]).state
                db.session.remove()
            if state == S.CLOSED:
                break
            time.sleep(0.1)
        assert state == S.CLOSED
    finally:
        handle.stop()
    assert not handle.thread.is_alive()


def test_a_request_without_a_step_gets_400_and_changes_nothing(app: Flask, post_form, login, make_challenge) -> None:
    made = make_challenge("closed")
    login(made["org"]["owner"])
    response = post_form(f"/challenges/{made['slug']}/state", {}, page=f"/challenges/{made['slug']}/manage")
    assert response.status_code == 400
    assert "Choose one of the steps below." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Challenge, made["id"]).state == S.CLOSED
