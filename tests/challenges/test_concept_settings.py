"""The organiser's concept settings in the challenge editor (issue 5): accepted licences, what is
published after the results, file limits and several concepts per person.

Through the real editor form with CSRF tokens, on SQLite and PostgreSQL: validation at the field
with the typed values kept, persistence, the change log after publishing, and the public page.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.challenges.models import Challenge, ChangeLogEntry
from app.core.timeutil import clock
from app.db import db

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
TITLE = "Less cardboard in paper bins"


@pytest.fixture
def now(app: Flask) -> datetime:
    clock.set(NOW)
    return NOW


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid editor form; None drops a field (an unticked box sends nothing)."""
    data: dict[str, Any] = {
        "title": TITLE, "summary": "Help residents sort cardboard correctly.",
        "problem_md": "Residents put cardboard in the paper bins.", "background_md": "", "language": "en",
        "tags": "", "cover_alt": "", "prize_amount": "50000", "currency": "DKK", "prize_count": "1",
        "prize_split": "100", "eligibility": ["anyone"], "allow_individuals": "y", "allow_teams": "y",
        "max_team_size": "4", "timezone": "Europe/Copenhagen", "opens_at": "2027-02-01T09:00",
        "deadline_at": "2027-03-01T12:00", "judging_ends_at": "2027-03-20T12:00",
        "results_at": "2027-04-01T12:00", "reason": "",
        "accepted_licences": ["cc-by-4.0", "reserved-summary"], "concept_publication": "winners",
        "max_concept_files": "5", "max_concept_file_mb": "10",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def settings(app: Flask, **where: Any) -> dict[str, Any]:
    with app.app_context():
        stmt = select(Challenge)
        for name, value in where.items():
            stmt = stmt.where(getattr(Challenge, name) == value)
        c = db.session.scalars(stmt).one()
        return {"accepted_licences": list(c.accepted_licences), "concept_publication": str(c.concept_publication),
                "max_concept_files": c.max_concept_files, "max_concept_file_mb": c.max_concept_file_mb,
                "allow_multiple_concepts": c.allow_multiple_concepts, "slug": c.slug}


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ---------------------------------------------------------------- saving
@pytest.mark.both_databases
def test_settings_are_saved_and_shown_again(app: Flask, now: datetime, client: FlaskClient, make_org,
                                            login, post_form) -> None:
    org = make_org()
    login(org["editor"])
    new_page = html_of(client.get(f"/organisations/{org['slug']}/challenges/new"))
    # The defaults: CC BY and "all rights reserved", winners published, 5 files of 10 MB.
    assert re.search(r'<input[^>]*checked[^>]*value="cc-by-4.0"|<input[^>]*value="cc-by-4.0"[^>]*checked', new_page)
    assert "names are shown only if they agreed to it" in new_page
    response = post_form(f"/organisations/{org['slug']}/challenges/new", form_data(
        accepted_licences=["cc-by-sa-4.0", "cc-by-nc-4.0"], concept_publication="all", max_concept_files="0",
        max_concept_file_mb="50", allow_multiple_concepts="y"))
    assert response.status_code == 302, html_of(response)[:3000]
    saved = settings(app, organisation_id=org["id"])
    assert saved["accepted_licences"] == ["cc-by-sa-4.0", "cc-by-nc-4.0"]
    assert saved["concept_publication"] == "all"
    assert saved["max_concept_files"] == 0          # text only is allowed
    assert saved["max_concept_file_mb"] == 50
    assert saved["allow_multiple_concepts"] is True

    page = html_of(client.get(f"/challenges/{saved['slug']}/edit"))
    assert re.search(r'<input[^>]*value="all"[^>]*checked|<input[^>]*checked[^>]*value="all"', page)
    assert re.search(r'name="max_concept_files"[^>]*value="0"|value="0"[^>]*name="max_concept_files"', page)
    # Unticking the box on edit turns it off again.
    response = post_form(f"/challenges/{saved['slug']}/edit", form_data(
        accepted_licences=["cc-by-sa-4.0"], concept_publication="none", max_concept_files="3",
        max_concept_file_mb="1"))
    assert response.status_code == 302, html_of(response)[:3000]
    saved = settings(app, organisation_id=org["id"])
    assert saved["accepted_licences"] == ["cc-by-sa-4.0"]
    assert saved["concept_publication"] == "none"
    assert (saved["max_concept_files"], saved["max_concept_file_mb"]) == (3, 1)
    assert saved["allow_multiple_concepts"] is False


BAD = [
    ({"accepted_licences": None}, "accepted_licences", "at least one licence"),
    ({"accepted_licences": ["gpl-3.0"]}, "accepted_licences", "Choose from the listed licences"),
    ({"concept_publication": "everything"}, "concept_publication", "Choose what is published"),
    ({"max_concept_files": "21"}, "max_concept_files", "from 0 to 20"),
    ({"max_concept_files": "-1"}, "max_concept_files", "from 0 to 20"),
    ({"max_concept_files": "many"}, "max_concept_files", "from 0 to 20"),
    ({"max_concept_files": ""}, "max_concept_files", "from 0 to 20"),
    ({"max_concept_file_mb": "51"}, "max_concept_file_mb", "from 1 to 50 megabytes"),
    ({"max_concept_file_mb": "0"}, "max_concept_file_mb", "from 1 to 50 megabytes"),
    ({"max_concept_file_mb": "2.5"}, "max_concept_file_mb", "from 1 to 50 megabytes"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD, ids=[f"{f}-{i}" for i, (_o, f, _m) in enumerate(BAD)])
def test_bad_settings_get_a_message_at_the_field_and_keep_the_input(
        overrides: dict[str, Any], field: str, message: str, app: Flask, now: datetime, client: FlaskClient,
        make_org, login, post_form) -> None:
    org = make_org()
    login(org["owner"])
    response = post_form(f"/organisations/{org['slug']}/challenges/new",
                         form_data(max_concept_file_mb="33", **{k: v for k, v in overrides.items()
                                                                if k != "max_concept_file_mb"})
                         if "max_concept_file_mb" not in overrides else form_data(**overrides))
    html = html_of(response)
    assert response.status_code == 400
    assert message in field_error(html, field), html[:200]
    assert 'class="error-summary"' in html
    assert f'href="#{field}"' in html or f'href="#{field}-0"' in html and f'id="{field}-0"' in html
    assert f'value="{TITLE}"' in html                       # what was typed is kept
    if field != "max_concept_file_mb":
        assert re.search(r'name="max_concept_file_mb"[^>]*value="33"|value="33"[^>]*name="max_concept_file_mb"',
                         html)
    assert count(app, Challenge, Challenge.organisation_id == org["id"]) == 0


# ---------------------------------------------------------------- after publishing
def test_a_change_after_publishing_needs_a_reason_and_is_logged(app: Flask, now: datetime, client: FlaskClient,
                                                                make_challenge, login, post_form) -> None:
    challenge = make_challenge("open")
    login(challenge["org"]["owner"])
    url = f"/challenges/{challenge['slug']}/edit"
    # Send the fixture's values back unchanged (times as local times in the challenge's zone).
    with app.app_context():
        c = db.session.get(Challenge, challenge["id"])
        timeline = {name: getattr(c, name).astimezone(ZoneInfo(c.timezone)).strftime("%Y-%m-%dT%H:%M")
                    for name in ("opens_at", "deadline_at", "judging_ends_at", "results_at")}
        base = form_data(title=c.title, problem_md=c.problem_md, max_team_size=str(c.max_team_size), **timeline)
    response = post_form(url, {**base, "concept_publication": "all", "accepted_licences": ["cc-by-4.0"]})
    assert response.status_code == 400
    html = html_of(response)
    assert "Please give a reason" in field_error(html, "reason")
    assert "What is published after the results" in field_error(html, "reason")
    assert settings(app, id=challenge["id"])["concept_publication"] == "winners"

    response = post_form(url, {**base, "concept_publication": "all", "accepted_licences": ["cc-by-4.0"],
                               "reason": "The sponsor wants every idea shared."})
    assert response.status_code == 302, html_of(response)[:3000]
    saved = settings(app, id=challenge["id"])
    assert saved["concept_publication"] == "all"
    assert saved["accepted_licences"] == ["cc-by-4.0"]
    with app.app_context():
        entry = db.session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == challenge["id"])).one()
        assert set(entry.changes) == {"concept_publication", "accepted_licences"}
        assert entry.changes["concept_publication"]["new"] == "All eligible submitted concepts are published"
        assert "CC BY 4.0" in entry.changes["accepted_licences"]["new"]
    public = html_of(client.get(f"/challenges/{challenge['slug']}"))
    assert "The sponsor wants every idea shared." in public
    assert "What is published after the results" in public  # the change log names the field


def test_after_the_deadline_the_settings_are_locked(app: Flask, now: datetime, client: FlaskClient, make_challenge,
                                                    login, post_form) -> None:
    challenge = make_challenge("closed")
    login(challenge["org"]["owner"])
    url = f"/challenges/{challenge['slug']}/edit"
    page = html_of(client.get(url))
    assert 'name="accepted_licences"' not in page
    with app.app_context():
        title = db.session.get(Challenge, challenge["id"]).title
    response = post_form(url, {"title": title, "summary": "Thanks!", "language": "en",
                               "concept_publication": "all", "accepted_licences": ["cc-by-nc-4.0"],
                               "max_concept_files": "20"})
    assert response.status_code == 302
    saved = settings(app, id=challenge["id"])
    assert saved["concept_publication"] == "winners"
    assert saved["accepted_licences"] == ["cc-by-4.0", "reserved-summary"]
    assert saved["max_concept_files"] == 5


# ---------------------------------------------------------------- the public page
def test_the_public_page_names_the_licences_and_the_publication(client: FlaskClient, make_challenge) -> None:
    challenge = make_challenge("open", accepted_licences=["cc-by-sa-4.0", "reserved-summary"],
                               concept_publication="all")
    page = html_of(client.get(f"/challenges/{challenge['slug']}"))
    assert "Licences and publication" in page
    assert "CC BY-SA 4.0" in page
    assert "All rights reserved (summary may be published)" in page
    assert "CC BY-NC 4.0" not in page
    assert "All eligible submitted concepts are published" in page
    # Before the results there is nothing to read yet.
    assert f"/challenges/{challenge['slug']}/concepts\"" not in page
