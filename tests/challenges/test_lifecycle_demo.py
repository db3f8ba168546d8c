"""Demo challenges (issue item 8): every lifecycle state in four languages, as promised at the
moment of loading, with a consistent recorded history; loading twice adds nothing and sends nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.challenges.lifecycle import TRANSITIONS, effective_state
from app.challenges.models import (
    Announcement,
    Challenge,
    ChallengeState,
    ChangeLogEntry,
    Follow,
    Question,
    QuestionStatus,
    StateTransition,
)
from app.core.timeutil import utcnow
from app.db import db
from app.demo import DEMO_PASSWORD
from app.mail.models import OutboxMessage

S = ChallengeState
CURRENCY = {"DK": "DKK", "NO": "NOK", "SE": "SEK", "other": "EUR"}
PROMISED = {
    "mindre-pap-i-papircontaineren": ("Aarhusby Kommune", "da", S.OPEN),
    "mindre-ensomhet-blant-eldre": ("Fjordvik kommune", "nb", S.OPEN),
    "fran-skolbank-till-arbetsliv": ("Sjöstad kommun", "sv", S.JUDGING),
    "groen-transport-til-erhvervsparken": ("Region Midtvest", "da", S.RESULTS),
    "campus-food-waste": ("Nordic Technical University", "en", S.RESULTS),
    "den-siste-kilometeren": ("Grønn Logistikk AS", "nb", S.ARCHIVED),
    "et-levende-bymidte-om-vinteren": ("Aarhusby Kommune", "da", S.DRAFT),
    "digitala-tjanster-for-aldre": ("Sjöstad kommun", "sv", S.SCHEDULED),
    "trygga-skolvagar": ("Sjöstad kommun", "sv", S.CLOSED),
    "hurtigbat-hele-aret": ("Fjordvik kommune", "nb", S.CANCELLED),
}


def _load(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Challenge, StateTransition, Question, Announcement, ChangeLogEntry, Follow, OutboxMessage)}


def test_the_demo_has_a_challenge_in_every_state_and_language(app: Flask) -> None:
    _load(app, "--if-empty")
    now = utcnow()
    with app.app_context():
        challenges = {c.slug: c for c in db.session.scalars(select(Challenge))}
        assert set(PROMISED) <= set(challenges)
        assert {effective_state(c, now) for c in challenges.values()} == set(S)  # all states
        assert {c.language for c in challenges.values()} == {"da", "nb", "sv", "en"}
        for slug, (org_name, language, state) in PROMISED.items():
            c = challenges[slug]
            assert (c.organisation.name, c.language) == (org_name, language), slug
            assert effective_state(c, now) is state, slug
            assert c.state == state, slug  # recorded: the periodic task has nothing to catch up
            assert c.currency == CURRENCY[c.organisation.country], slug
            assert sum(c.prize_split) == 100, slug
            assert len(c.prize_split) == c.prize_count, slug
            assert c.prize_minor > 0
            assert sum(k.weight for k in c.criteria) == 100, slug
            assert all(k.anchors for k in c.criteria), slug
            assert 2 <= len(c.criteria) <= 4
            assert c.summary, slug
            brief = f"{c.problem_md.strip()}\n\n{c.background_md.strip()}"
            assert brief.count("\n\n") >= 2, slug  # a brief of a few paragraphs
            assert c.tags, slug
            assert c.sdgs, slug
            assert c.opens_at < c.deadline_at < c.judging_ends_at < c.results_at, slug
            assert (c.published_at is None) is (state is S.DRAFT), slug
            history = db.session.scalars(select(StateTransition).where(StateTransition.challenge_id == c.id)
                                         .order_by(StateTransition.at, StateTransition.id)).all()
            # A walk through the table, from draft to where it stands now.
            walked = [S.DRAFT] + [S(t.to_state) for t in history]
            assert [S(t.from_state) for t in history] == walked[:-1], slug
            assert all(b in TRANSITIONS[a] for a, b in zip(walked, walked[1:], strict=False)), slug
            assert walked[-1] is state, slug
            assert all(t.at <= now for t in history), slug
        # One open now and one closing within days.
        assert challenges["mindre-pap-i-papircontaineren"].deadline_at > now + timedelta(days=14)
        closing = challenges["mindre-ensomhet-blant-eldre"].deadline_at
        assert now + timedelta(hours=12) < closing < now + timedelta(days=4)
        assert challenges["hurtigbat-hele-aret"].cancel_reason
        # Q&A, an announcement, a change-log entry and followers.
        answered = db.session.scalar(select(func.count()).select_from(Question)
                                     .where(Question.status == QuestionStatus.ANSWERED))
        assert answered >= 8
        assert db.session.scalar(select(func.count()).select_from(Question)
                                 .where(Question.status == QuestionStatus.PENDING)) >= 1
        assert db.session.scalar(select(func.count()).select_from(Announcement)) >= 3
        [entry] = db.session.scalars(select(ChangeLogEntry)).all()
        assert entry.changes["deadline_at"]["old"]
        assert entry.reason
        assert db.session.scalar(select(func.count()).select_from(Follow)) >= 15
        # Loading recorded a past, and told nobody about it.
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.both_databases
def test_loading_twice_adds_nothing_and_the_tick_finds_nothing_due(app: Flask) -> None:
    _load(app, "--if-empty")
    before = _counts(app)
    assert "nothing added" in _load(app)
    assert "already has users" in _load(app, "--if-empty")
    assert _counts(app) == before
    result = app.test_cli_runner().invoke(args=["challenges", "tick"])
    assert "for 0 challenge(s)" in result.output
    assert _counts(app) == before


def test_the_demo_pages_work_for_visitors_and_staff(app: Flask, client, login) -> None:
    _load(app, "--if-empty")
    anonymous = app.test_client()
    for slug, (_org, _lang, state) in PROMISED.items():
        assert anonymous.get(f"/challenges/{slug}").status_code == (404 if state is S.DRAFT else 200), slug
    html = anonymous.get("/challenges/mindre-pap-i-papircontaineren").get_data(as_text=True)
    assert "Må vi bruge renovationsselskabets data" in html  # answered: public
    assert "Will you accept concepts written in English?" not in html  # waiting: not public
    assert "Freja" not in html
    assert "freja@" not in html

    login("mette@demo.example.org", password=DEMO_PASSWORD)  # owner of Aarhusby Kommune
    manage = client.get("/challenges/mindre-pap-i-papircontaineren/manage").get_data(as_text=True)
    assert "Will you accept concepts written in English?" in manage
    dashboard = client.get("/organisations/aarhusby-kommune/dashboard")
    assert dashboard.status_code == 200
    assert "Et levende bymidte om vinteren" in dashboard.get_data(as_text=True)
