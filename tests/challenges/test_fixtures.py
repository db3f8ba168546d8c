"""The challenge fixtures give the state they promise (other challenge tests build on them)."""
from __future__ import annotations

import pytest

from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState
from app.core.timeutil import utcnow
from app.db import db

# On SQLite and PostgreSQL: the fixtures every PostgreSQL test builds on.
pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize("state", [s.value for s in ChallengeState if s is not ChallengeState.CANCELLED])
def test_make_challenge_state_is_effective(app, make_challenge, state) -> None:
    made = make_challenge(state)
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        assert effective_state(challenge, utcnow()) == ChallengeState(state)
        assert sum(c.weight for c in challenge.criteria) == 100
