"""Two "Start a concept" clicks at once (two tabs, a double click) make one concept (S22).

Each request has its own session and database connection; a barrier releases them together. On
PostgreSQL the challenge row lock (rules.lock_challenge) serialises the slot check and the
insert; on SQLite writers queue behind BEGIN IMMEDIATE.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.concepts.models import Concept, ConceptMember
from app.db import db

# On SQLite and PostgreSQL: row locks under concurrency.
pytestmark = pytest.mark.both_databases

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TABS = 6


def _client(app: Any, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client, CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)


def test_parallel_starts_make_one_concept(app: Any, make_challenge: Any, make_user: Any) -> None:
    challenge = make_challenge("open")
    user_id = make_user("eager@example.org", participant_kind="student")
    sessions = [_client(app, "eager@example.org") for _ in range(TABS)]
    barrier = threading.Barrier(TABS)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def start(client: FlaskClient, token: str) -> None:
        try:
            barrier.wait(timeout=30)
            status = client.post(f"/challenges/{challenge['slug']}/concepts/new",
                                 data={"csrf_token": token}).status_code
            with lock:
                statuses.append(status)
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=s) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert Counter(statuses) == Counter({303: 1, 409: TABS - 1})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Concept)
                                 .where(Concept.challenge_id == challenge["id"])) == 1
        assert db.session.scalar(select(func.count()).select_from(ConceptMember)
                                 .where(ConceptMember.user_id == user_id)) == 1
