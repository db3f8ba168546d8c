"""Organisers' view of concepts (issue 5, part E1): counts before the deadline, the entered
concepts after it, one entry and its files, ineligibility, and the dashboard counts (S17, P08, R03)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.concepts.models import Concept, ConceptVersion, ConceptVersionFile
from app.core.audit import AuditEvent
from app.core.timeutil import clock, utcnow
from app.db import db
from app.mail.models import OutboxMessage


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


def entries_url(challenge: dict[str, Any]) -> str:
    return f"/challenges/{challenge['slug']}/entries"


def entry_url(concept: dict[str, Any]) -> str:
    return f"{entries_url(concept['challenge'])}/{concept['id']}"


def add_file(app: Flask, concept_id: int, upload_dir: str, name: str = "plan.pdf",
             data: bytes = b"%PDF-1.4 hello") -> int:
    """Give the counting version a stored file, as the submit flow would."""
    from app.core.files import document_path

    digest = hashlib.sha256(data).hexdigest()
    path = document_path(upload_dir, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        item = ConceptVersionFile(version_id=version.id, position=len(version.files), filename=name,
                                  content_hash=digest, mimetype="application/pdf", size=len(data))
        db.session.add(item)
        db.session.commit()
        return item.id


def after_deadline(challenge: dict[str, Any], app: Flask, extra: timedelta = timedelta(minutes=1)) -> None:
    with app.app_context():
        from app.challenges.models import Challenge

        deadline = db.session.get(Challenge, challenge["id"]).deadline_at
    clock.set(deadline + extra)


@pytest.fixture
def closed_setup(make_challenge: Callable[..., dict[str, Any]],
                 make_concept: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """An open challenge with one submitted, one draft and one withdrawn concept."""
    challenge = make_challenge("open")
    return {"challenge": challenge,
            "submitted": make_concept("submitted", challenge=challenge, members=2, title="Submitted idea"),
            "draft": make_concept("draft", challenge=challenge, title="Draft never sent"),
            "withdrawn": make_concept("withdrawn", challenge=challenge, title="Withdrawn idea")}


def test_staff_see_counts_only_before_the_deadline(client, login, closed_setup) -> None:
    # S17: before the deadline the organisation sees counts only.
    ch = closed_setup["challenge"]
    login(ch["org"]["owner"])
    response = client.get(entries_url(ch))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Submitted idea" not in html and "Draft never sent" not in html
    assert "not readable yet" in html
    assert client.get(entry_url(closed_setup["submitted"])).status_code == 404


def test_staff_see_entered_concepts_after_the_deadline(app, client, login, closed_setup) -> None:
    ch = closed_setup["challenge"]
    after_deadline(ch, app)
    login(ch["org"]["editor"])
    html = client.get(entries_url(ch)).get_data(as_text=True)
    assert "Submitted idea" in html
    assert "Draft never sent" not in html and "Withdrawn idea" not in html
    assert f"C-{closed_setup['submitted']['id']}" in html
    response = client.get(entry_url(closed_setup["submitted"]))
    assert response.status_code == 200
    assert client.get(entry_url(closed_setup["draft"])).status_code == 404
    assert client.get(entry_url(closed_setup["withdrawn"])).status_code == 404
