"""Deadline reminders to jurors with sheets left (issue 10 item 5; S19): who is due and when under
a controlled clock, once each whatever the number of ticks or hosts, never after the deadline,
never to a removed juror or one with nothing left; the email in the juror's language and time
zone, linking to the round; and in a blind challenge naming no team, member or institution."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.challenges import signals
from app.challenges.tasks import tick
from app.concepts.models import Concept
from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError
from app.judging.models import JudgingRound, JurySeat, ReminderKind, ReminderSent, ScoreSheet
from app.judging.services import reminders
from app.mail.models import OutboxMessage

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def judged(app, make_judging):
    """A challenge in judging (3 concepts; chair and 3 jurors) whose round closes at DEADLINE:
    the first juror has submitted everything, the second has a draft, the third was removed."""
    clock.set(T0)

    def _make(**kwargs: Any) -> dict[str, Any]:
        built = make_judging(concepts=3, jurors=3, **kwargs)
        done, drafting, removed = built["jurors"]
        with app.app_context():
            db.session.get(JudgingRound, built["round_id"]).deadline_at = DEADLINE
            for c in built["concepts"]:
                db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][done],
                                          concept_id=c["id"], state="submitted"))
            db.session.add(ScoreSheet(round_id=built["round_id"], seat_id=built["seat_ids"][drafting],
                                      concept_id=built["concepts"][0]["id"], state="draft"))
            db.session.get(JurySeat, built["seat_ids"][removed]).removed_at = T0
            db.session.commit()
        return built
    return _make


def _needs_round_link(app) -> None:
    # The email links to the juror's round page, which the scoring branch builds.
    if "judging.round" not in app.view_functions:
        pytest.skip("judging.round lands with the scoring branch")


def _due(app, now: datetime) -> list[tuple[str, int, str, int]]:
    with app.app_context():
        return sorted((d.seat.user.email, d.round.position, d.kind.value, d.left) for d in reminders.due_reminders(now))


def _mails(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "judging/reminder")
                                       .order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_due_kind_follows_the_deadline() -> None:
    assert reminders.due_kind(None, T0) is None
    assert reminders.due_kind(DEADLINE, DEADLINE - timedelta(days=7, seconds=1)) is None
    assert reminders.due_kind(DEADLINE, DEADLINE - timedelta(days=7)) is ReminderKind.WEEK
    assert reminders.due_kind(DEADLINE, DEADLINE - timedelta(days=1, seconds=1)) is ReminderKind.WEEK
    assert reminders.due_kind(DEADLINE, DEADLINE - timedelta(days=1)) is ReminderKind.DAY
    assert reminders.due_kind(DEADLINE, DEADLINE - timedelta(seconds=1)) is ReminderKind.DAY
    assert reminders.due_kind(DEADLINE, DEADLINE) is None
    assert reminders.due_kind(DEADLINE, DEADLINE + timedelta(hours=1)) is None


def test_who_is_due_and_when(app, judged) -> None:
    """Only active jurors with sheets left: the chair (3 left) and the drafting juror (3 left, a
    draft is not submitted); never the one who is done, never the removed one; nothing more than
    7 days before the deadline, nothing after it."""
    built = judged()
    chair, drafting = built["chair"], built["jurors"][1]
    assert _due(app, DEADLINE - timedelta(days=8)) == []
    assert _due(app, DEADLINE - timedelta(days=7)) == sorted([(chair, 1, "7d", 3), (drafting, 1, "7d", 3)])
    assert _due(app, DEADLINE - timedelta(hours=12)) == sorted([(chair, 1, "1d", 3), (drafting, 1, "1d", 3)])
    assert _due(app, DEADLINE) == []
    assert _due(app, DEADLINE + timedelta(days=1)) == []


def test_a_sent_kind_is_not_due_again_but_the_next_one_is(app, judged) -> None:
    built = judged()
    with app.app_context():
        db.session.add(ReminderSent(round_id=built["round_id"], seat_id=built["seat_ids"][built["chair"]],
                                    kind="7d", sent_at=DEADLINE - timedelta(days=6)))
        db.session.commit()
    assert [d[0] for d in _due(app, DEADLINE - timedelta(days=5))] == [built["jurors"][1]]
    assert len(_due(app, DEADLINE - timedelta(hours=2))) == 2


def test_closed_rounds_other_states_and_final_decisions_send_nothing(app, judged) -> None:
    from app.judging.models import Decision

    built = judged()
    when = DEADLINE - timedelta(days=3)
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        rnd.state = "closed"
        db.session.commit()
    assert _due(app, when) == []
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        rnd.state = "open"
        db.session.add(Decision(challenge_id=built["challenge"]["id"], state="final"))
        db.session.commit()
    assert _due(app, when) == []
    other = judged(state="results")
    assert [d for d in _due(app, when) if d[0] in (other["chair"], *other["jurors"])] == []


def test_the_tick_receiver_is_connected(app) -> None:
    assert reminders.send_deadline_reminders in list(signals.tick_requested.receivers_for(object()))


@pytest.mark.both_databases
def test_two_ticks_send_each_reminder_once(app, judged) -> None:
    _needs_round_link(app)
    built = judged()
    clock.set(DEADLINE - timedelta(days=6))
    assert tick(app) >= 2
    tick(app)
    assert sorted(m.to_addr for m in _mails(app)) == sorted([built["chair"], built["jurors"][1]])
    clock.set(DEADLINE - timedelta(hours=20))
    tick(app)
    tick(app)
    assert len(_mails(app)) == 4
    clock.set(DEADLINE + timedelta(minutes=1))
    tick(app)
    assert len(_mails(app)) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 4


@pytest.mark.both_databases
def test_a_reminder_claimed_by_another_host_meanwhile_is_not_sent(app, judged) -> None:
    """Two hosts tick at once: both see the reminder due; the one whose insert loses to the
    unique constraint sends nothing, and the other reminders of its run still go out."""
    _needs_round_link(app)
    built = judged()
    now = DEADLINE - timedelta(days=2)
    with app.app_context():
        due = reminders.due_reminders(now)
        assert len(due) == 2
        # The other host's run happens between this one's read and its send (SQLite lets one
        # writer in at a time, so this run holds no transaction meanwhile).
        db.session.commit()
        chair_seat = built["seat_ids"][built["chair"]]

        def _other_host() -> None:
            with app.app_context():
                db.session.add(ReminderSent(round_id=built["round_id"], seat_id=chair_seat, kind="7d", sent_at=now))
                db.session.commit()

        other = threading.Thread(target=_other_host)
        other.start()
        other.join()
        assert reminders.send_due_reminders(due, now=now) == 1
        db.session.commit()
    assert [m.to_addr for m in _mails(app)] == [built["jurors"][1]]


def test_the_email_is_in_the_jurors_language_and_time_zone_and_links_to_the_round(
        app, judged, make_user, send_outbox, smtp_sink) -> None:
    _needs_round_link(app)
    built = judged()
    drafting = built["jurors"][1]
    with app.app_context():
        seat = db.session.get(JurySeat, built["seat_ids"][drafting])
        seat.user.locale, seat.user.timezone = "nb", "America/New_York"
        db.session.commit()
        challenge_title = seat.challenge.title
    clock.set(DEADLINE - timedelta(days=6))
    tick(app)
    mail = next(m for m in _mails(app) if m.to_addr == drafting)
    assert mail.locale == "nb"
    assert challenge_title in mail.subject
    assert "Påminnelse" in mail.subject
    assert "3 vurderingsskjemaer" in mail.body_text
    # 12:00 UTC on 10 March is 07:00 in New York (EST).
    assert "07:00" in mail.body_text
    assert "America/New_York" in mail.body_text
    base = app.config["BASE_URL"].rstrip("/")
    assert f"{base}/challenges/{built['slug']}/jury/rounds/1" in mail.body_text
    assert f'href="{base}/challenges/{built["slug"]}/jury/rounds/1"' in mail.body_html
    send_outbox()
    received = [m for m in smtp_sink.messages if m["To"] == drafting]
    assert len(received) == 1


def test_the_reminder_template_renders_a_ranking_round(app, judged) -> None:
    """The text for a ranking round speaks of the ranking, not of sheets (no link needed here:
    the template is rendered with a given URL)."""
    from app.mail.services import queue_mail

    built = judged()
    with app.app_context(), app.test_request_context():
        user = db.session.get(JurySeat, built["seat_ids"][built["chair"]]).user
        message = queue_mail(to=user.email, template="judging/reminder", locale="en", subject="s", recipient=user,
                             challenge_title="The challenge", round_name="Final", ranking=True, left=1,
                             deadline_local="", zone_name="", round_url="https://example.org/r")
        assert 'Your ranking for the round "Final" of the challenge "The challenge" is not submitted yet.' in \
            message.body_text
        assert "https://example.org/r" in message.body_text
        db.session.rollback()


def test_blind_reminders_name_no_team_member_or_institution(app, judged, send_outbox, smtp_sink) -> None:
    """S19: every reminder a juror of a blind challenge receives (by the tick and by the chair)
    carries only the challenge, the round, counts and the deadline."""
    _needs_round_link(app)
    built = judged(blind=True)
    with app.app_context():
        concepts = list(db.session.scalars(select(Concept).where(Concept.challenge_id == built["challenge"]["id"])))
        hidden: set[str] = set()
        for c in concepts:
            c.members[0].user.institution = f"Institute of {c.team_name}"
            hidden |= {c.team_name, c.title, c.members[0].user.institution}
            for m in c.members:
                hidden |= {m.user.email, m.user.display_name}
        db.session.commit()
        labels = set(built["labels"].values())
    clock.set(DEADLINE - timedelta(hours=3))
    tick(app)
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        seat = db.session.get(JurySeat, built["seat_ids"][built["jurors"][1]])
        clock.advance(timedelta(hours=2))
        reminders.remind_juror(judging_round=rnd, seat=seat, by=None, now=clock.now())
        db.session.commit()
    mails = _mails(app)
    assert len(mails) == 3
    send_outbox()
    texts = [m.subject + m.body_text + (m.body_html or "") for m in mails]
    texts += [str(m) for m in smtp_sink.messages]
    for text in texts:
        assert [h for h in hidden | labels if h and h in text] == []


@pytest.mark.both_databases
def test_two_hosts_sending_at_the_same_moment_send_once(app, judged) -> None:
    """The true race, on PostgreSQL: the other host has inserted its claim but not committed
    when this run inserts the same one; this run waits on the unique index, then finds the row
    taken and sends nothing for it. (SQLite lets one writer in at a time: nothing to race.)"""
    _needs_round_link(app)
    built = judged()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite has one writer at a time")
    now = DEADLINE - timedelta(days=2)
    claimed, go_on = threading.Event(), threading.Event()

    def _other_host() -> None:
        with app.app_context():
            due = [d for d in reminders.due_reminders(now) if d.seat.user.email == built["chair"]]
            assert reminders.send_due_reminders(due, now=now) == 1
            claimed.set()
            go_on.wait(5)
            db.session.commit()

    other = threading.Thread(target=_other_host)
    other.start()
    try:
        assert claimed.wait(5)
        with app.app_context():
            due = reminders.due_reminders(now)  # the uncommitted claim is invisible: both are due
            assert len(due) == 2
            threading.Timer(0.3, go_on.set).start()
            assert reminders.send_due_reminders(due, now=now) == 1
            db.session.commit()
    finally:
        go_on.set()
        other.join(5)
    assert sorted(m.to_addr for m in _mails(app)) == sorted([built["chair"], built["jurors"][1]])


@pytest.mark.both_databases
def test_two_presses_at_once_send_one_reminder(app, judged) -> None:
    """The chair's double click: the second press waits for the first and is refused by the
    one-hour limit (PostgreSQL; SQLite lets one writer in at a time)."""
    _needs_round_link(app)
    built = judged()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite has one writer at a time")
    seat_id = built["seat_ids"][built["jurors"][1]]
    now = DEADLINE - timedelta(days=2)
    clock.set(now)  # the audit event is stamped by the app's clock
    pressed, go_on = threading.Event(), threading.Event()

    def _first_press() -> None:
        with app.app_context():
            reminders.remind_juror(judging_round=db.session.get(JudgingRound, built["round_id"]),
                                   seat=db.session.get(JurySeat, seat_id), by=None, now=now)
            pressed.set()
            go_on.wait(5)
            db.session.commit()

    first = threading.Thread(target=_first_press)
    first.start()
    try:
        assert pressed.wait(5)
        with app.app_context():
            threading.Timer(0.3, go_on.set).start()
            with pytest.raises(DomainError, match="less than an hour ago"):
                reminders.remind_juror(judging_round=db.session.get(JudgingRound, built["round_id"]),
                                       seat=db.session.get(JurySeat, seat_id), by=None, now=now)
            db.session.rollback()
    finally:
        go_on.set()
        first.join(5)
    assert [m.to_addr for m in _mails(app)] == [built["jurors"][1]]
