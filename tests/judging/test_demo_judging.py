"""Demo juries (issue 10 item 10): every demo challenge in results or archived has its jury,
scores, decision and winners; the one in judging is blind and partly scored; the logins name the
jurors' roles in words."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeState
from app.db import db
from app.judging import aggregate, queries
from app.judging.models import Conflict, ConflictStatus, ScoreSheet, SheetState

pytestmark = pytest.mark.both_databases


def test_demo_juries_give_a_non_trivial_ranking_and_winners(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "chair of “Från skolbänk till arbetsliv”" in result.output
    assert "juror of “Cutting food waste in campus canteens”" in result.output
    with app.app_context():
        # Judged on the platform (the archive's imported challenges were judged before it).
        ended = db.session.scalars(select(Challenge).where(
            Challenge.state.in_([ChallengeState.RESULTS, ChallengeState.ARCHIVED]),
            Challenge.imported_at.is_(None))).all()
        assert ended
        for challenge in ended:
            decision = queries.decision(challenge.id)
            assert decision is not None
            assert decision.is_final
            assert decision.placements, challenge.slug
            assert sum(p.prize_minor for p in decision.placements) == challenge.prize_minor
            assert len(queries.seats(challenge.id)) == 3
        judging = db.session.scalar(select(Challenge).where(Challenge.state == ChallengeState.JUDGING))
        assert judging is not None
        assert judging.is_blind
        assert queries.decision(judging.id) is None
        sheets = db.session.scalars(select(ScoreSheet).join(ScoreSheet.seat).where(
            ScoreSheet.round_id == queries.current_round(judging.id).id)).all()
        assert {SheetState.DRAFT, SheetState.SUBMITTED} == {s.state for s in sheets}
        statuses = set(db.session.scalars(select(Conflict.status).where(Conflict.challenge_id == judging.id)))
        assert statuses == {ConflictStatus.DECLARED, ConflictStatus.SUGGESTED}
        # A harsh and a lenient juror: calibration changes the scores, and some pair is close.
        data = queries.round_scores(queries.current_round(ended[0].id))
        result_ = aggregate.aggregate(data, resamples=200)
        raw, calibrated = result_.raw, result_.calibrated
        assert [e.score for e in raw.ranking.entries] != [e.score for e in calibrated.ranking.entries]
        assert any(r.uncertainty.close_calls for r in (raw, calibrated))
    second = app.test_cli_runner().invoke(args=["demo", "load"])
    assert second.exit_code == 0
    with app.app_context():
        assert all(len(queries.seats(c.id)) == 3 for c in db.session.scalars(select(Challenge).where(
            Challenge.state.in_([ChallengeState.RESULTS, ChallengeState.ARCHIVED]), Challenge.imported_at.is_(None))))
