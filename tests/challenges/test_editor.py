"""The challenge editor: create, edit, rubric, preview, publish, amendments after publishing.

Through the real app: the test client posts the real forms with CSRF tokens, on SQLite and
PostgreSQL; emails go through the outbox to the real SMTP sink.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from app.challenges.models import Challenge, ChallengeState, ChangeLogEntry, Criterion, Follow, Tag
from app.core.audit import AuditEvent
from app.core.timeutil import clock
from app.db import db
from app.mail.models import OutboxMessage

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
TITLE = "Less cardboard in paper bins"
PROBLEM = ("Residents put cardboard in the paper bins. The paper then cannot be recycled well. "
           "We want simple ideas that help people sort cardboard at home and near the bins.")


@pytest.fixture
def now(app: Flask) -> datetime:
    """The clock frozen at a known moment (set before anyone logs in, so sessions stay fresh)."""
    clock.set(NOW)
    return NOW


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid editor form as a browser would send it; None drops a field (unticked box)."""
    data: dict[str, Any] = {
        "title": TITLE, "summary": "Help residents sort cardboard correctly.", "problem_md": PROBLEM,
        "background_md": "Cardboard makes up **a third** of the paper bins by volume.", "language": "en",
        "tags": "Recycling, Waste & Environment", "sdgs": ["11", "12"], "cover_alt": "",
        "prize_amount": "50000", "currency": "DKK", "prize_count": "3", "prize_split": "60, 30, 10",
        "eligibility": ["student", "startup"], "allow_individuals": "y", "allow_teams": "y",
        "max_team_size": "4", "timezone": "Europe/Copenhagen", "opens_at": "2027-02-01T09:00",
        "deadline_at": "2027-03-01T12:00", "judging_ends_at": "2027-03-20T12:00",
        "results_at": "2027-04-01T12:00", "reason": "",
        # Concept settings at the model's defaults, so edits of fixture challenges change nothing material.
        "accepted_licences": ["cc-by-4.0", "reserved-summary"], "concept_publication": "winners",
        "max_concept_files": "5", "max_concept_file_mb": "10",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def rubric_data(rows: list[tuple[str, str, str, str, str]], **extra: Any) -> dict[str, Any]:
    """(name, weight, min, max, anchors) rows as the rubric page posts them."""
    data: dict[str, Any] = {"rows": str(len(rows))}
    for i, (name, weight, low, high, anchors) in enumerate(rows):
        data.update({f"criteria-{i}-name": name, f"criteria-{i}-description": f"About {name}",
                     f"criteria-{i}-weight": weight, f"criteria-{i}-scale_min": low,
                     f"criteria-{i}-scale_max": high, f"criteria-{i}-anchors": anchors})
    data.update(extra)
    return data


GOOD_RUBRIC = [("Impact", "50", "1", "5", "1: No effect\n5: Large effect"), ("Feasibility", "30", "0", "10", ""),
               ("Originality", "20", "1", "5", "")]


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def field_error(html: str, field_id: str) -> str:
    """The text of the error shown at a field (its id-error paragraph); '' if none."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def get_challenge(app: Flask, slug: str) -> dict[str, Any]:
    with app.app_context():
        c = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
        assert c is not None
        return {
            "id": c.id, "title": c.title, "summary": c.summary, "state": str(c.state), "prize_minor": c.prize_minor,
            "currency": c.currency, "prize_count": c.prize_count, "prize_split": c.prize_split,
            "eligibility": c.eligibility, "tags": [t.slug for t in c.tags], "sdgs": c.sdg_numbers,
            "opens_at": c.opens_at, "deadline_at": c.deadline_at, "judging_ends_at": c.judging_ends_at,
            "results_at": c.results_at, "published_at": c.published_at, "organisation_id": c.organisation_id,
            "rubric_frozen_at": c.rubric_frozen_at, "created_by_id": c.created_by_id, "language": c.language,
            "allow_individuals": c.allow_individuals, "allow_teams": c.allow_teams,
            "max_team_size": c.max_team_size, "cover_image_hash": c.cover_image_hash,
            "cover_image_alt": c.cover_image_alt, "problem_md": c.problem_md, "timezone": c.timezone,
            "criteria": [(k.name, k.weight, k.scale_min, k.scale_max, k.anchors) for k in c.criteria],
        }


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def create_draft(client: FlaskClient, post_form: Callable[..., Any], app: Flask) -> Callable[..., str]:
    """create_draft(org_slug, **overrides) -> slug of a draft made through the form (already logged in)."""
    def _create(org_slug: str, **overrides: Any) -> str:
        url = f"/organisations/{org_slug}/challenges/new"
        response = post_form(url, form_data(**overrides))
        assert response.status_code == 302, field_errors_of(html_of(response))
        return response.headers["Location"].split("/challenges/")[1].split("/")[0]
    return _create


def field_errors_of(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", m) for m in re.findall(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)]


# ---------------------------------------------------------------- the whole journey
@pytest.mark.both_databases
@pytest.mark.parametrize("role", ["owner", "editor"])
def test_create_edit_rubric_preview_publish(role: str, app: Flask, client: FlaskClient, now: datetime,
                                            make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                            post_form: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org[role])
    page = client.get(f"/organisations/{org['slug']}/challenges/new")
    assert page.status_code == 200
    assert "Europe/Copenhagen" in html_of(page)  # the zone is named next to the timeline

    slug = create_draft(org["slug"])
    saved = get_challenge(app, slug)
    assert saved["state"] == "draft"
    assert saved["published_at"] is None
    assert saved["prize_minor"] == 5_000_000
    assert saved["currency"] == "DKK"
    assert saved["prize_count"] == 3
    assert saved["prize_split"] == [60, 30, 10]
    assert saved["eligibility"] == ["student", "startup"]
    assert saved["tags"] == ["recycling", "waste-environment"]  # slugified with python-slugify
    assert saved["sdgs"] == [11, 12]
    # Local Copenhagen times -> UTC: winter time is UTC+1.
    assert saved["opens_at"] == datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    assert saved["deadline_at"] == datetime(2027, 3, 1, 11, 0, tzinfo=UTC)
    assert saved["results_at"] == datetime(2027, 4, 1, 10, 0, tzinfo=UTC)  # summer time from 28 March: UTC+2

    # The edit page shows the saved values in the organisation's zone, and the readability hint.
    edit = html_of(client.get(f"/challenges/{slug}/edit"))
    assert 'value="2027-03-01T12:00"' in edit
    assert 'value="50000"' in edit
    assert "LIX score" in edit
    assert "Readability of the brief" in edit
    assert "Missing:" in edit  # no rubric yet: the publish checklist says so

    response = post_form(f"/challenges/{slug}/edit", form_data(summary="Help residents sort their cardboard."))
    assert response.status_code == 302
    assert get_challenge(app, slug)["summary"] == "Help residents sort their cardboard."

    rubric_page = client.get(f"/challenges/{slug}/rubric")
    assert rubric_page.status_code == 200
    assert html_of(rubric_page).count("<legend>Criterion ") == 2  # no criteria yet: two empty rows
    response = post_form(f"/challenges/{slug}/rubric", rubric_data(GOOD_RUBRIC))
    assert response.status_code == 302
    assert get_challenge(app, slug)["criteria"] == [
        ("Impact", 50, 1, 5, {"1": "No effect", "5": "Large effect"}), ("Feasibility", 30, 0, 10, {}),
        ("Originality", 20, 1, 5, {})]
    assert html_of(client.get(f"/challenges/{slug}/rubric")).count("<legend>Criterion ") == 5  # 3 + 2 empty

    preview = client.get(f"/challenges/{slug}/preview")
    body = html_of(preview)
    assert preview.status_code == 200
    assert "Preview – not published" in body
    assert "<strong>a third</strong>" in body  # Markdown rendered
    assert "Feasibility" in body
    assert "No effect" in body
    assert body.count("<h1") == 1

    response = post_form(f"/challenges/{slug}/publish", {}, page=f"/challenges/{slug}/edit")
    assert response.status_code == 302
    published = get_challenge(app, slug)
    assert published["state"] == "scheduled"  # opens on 1 February, in the future
    assert published["published_at"] == now
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == published["id"],
                                                                          AuditEvent.object_type == "challenge")))
    assert {"challenge.created", "challenge.updated", "challenge.rubric_saved", "challenge.scheduled",
            "challenge.published"} <= actions


def test_publishing_when_the_opening_has_come_opens_at_once(app: Flask, client: FlaskClient, now: datetime,
                                                          make_org: Callable[..., dict[str, Any]],
                                                          login: Callable[..., Any], post_form: Callable[..., Any],
                                                          create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"], opens_at="2027-01-01T09:00")
    post_form(f"/challenges/{slug}/rubric", rubric_data(GOOD_RUBRIC))
    assert post_form(f"/challenges/{slug}/publish", {}, page=f"/challenges/{slug}/edit").status_code == 302
    assert get_challenge(app, slug)["state"] == "open"


def test_publish_refused_with_a_checklist_of_what_is_missing(app: Flask, client: FlaskClient, now: datetime,
                                                             make_org: Callable[..., dict[str, Any]],
                                                             login: Callable[..., Any], post_form: Callable[..., Any],
                                                             create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"], summary="", prize_amount="")
    response = post_form(f"/challenges/{slug}/publish", {}, page=f"/challenges/{slug}/edit")
    html = html_of(response)
    assert response.status_code == 400
    assert "Missing:</strong> A summary for lists" in html
    assert "Missing:</strong> Prize money" in html
    assert "Missing:</strong> Judging criteria whose weights add up to 100 percent (now 0)" in html
    assert "Done:</strong> A title" in html
    assert get_challenge(app, slug)["state"] == "draft"
    assert get_challenge(app, slug)["published_at"] is None


def test_publish_refused_when_the_deadline_has_passed(app: Flask, client: FlaskClient,
                                                      make_org: Callable[..., dict[str, Any]],
                                                      make_challenge: Callable[..., dict[str, Any]],
                                                      login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    clock.set(NOW)
    challenge = make_challenge("draft", opens_at=NOW - timedelta(days=20), deadline_at=NOW - timedelta(days=1),
                               judging_ends_at=NOW + timedelta(days=5), results_at=NOW + timedelta(days=6))
    login(challenge["org"]["owner"])
    response = post_form(f"/challenges/{challenge['slug']}/publish", {}, page=f"/challenges/{challenge['slug']}/edit")
    assert response.status_code == 400
    assert "Missing:</strong> A submission deadline in the future" in html_of(response)
    assert get_challenge(app, challenge["slug"])["state"] == "draft"


# ---------------------------------------------------------------- money in the reader's locale
@pytest.mark.parametrize(("locale", "typed", "minor"), [
    ("da", "50.000,00", 5_000_000), ("en", "50,000.00", 5_000_000), ("da", "1.234,5", 123_450),
    ("sv", "50 000", 5_000_000), ("nb", "12 500,75", 1_250_075), ("en", "0.5", 50),
])
def test_prize_money_is_typed_in_the_locale(locale: str, typed: str, minor: int, app: Flask, now: datetime,
                                           make_org: Callable[..., dict[str, Any]], make_user: Callable[..., int],
                                           login: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    with app.app_context():
        from app.accounts.models import User

        db.session.scalar(select(User).where(User.email == org["owner"])).locale = locale
        db.session.commit()
    login(org["owner"])
    slug = create_draft(org["slug"], prize_amount=typed)
    assert get_challenge(app, slug)["prize_minor"] == minor


@pytest.mark.parametrize(("locale", "typed", "message"), [
    ("en", "50.000,00", "Enter the prize money as a number"),    # Danish grouping in English is refused
    ("da", "50,000.00", "Skriv præmiesummen som et tal"),      # the Danish catalog's message
    ("en", "-5", "cannot be negative"),
    ("en", "lots", "Enter the prize money as a number"),
    ("en", "1e6", "Enter the prize money as a number"),
    ("en", "10.555", "at most 2 decimals"),
    ("en", "30,000,000", "can be at most"),
])
def test_bad_prize_money_is_refused_at_the_field(locale: str, typed: str, message: str, app: Flask, now: datetime,
                                                 client: FlaskClient, make_org: Callable[..., dict[str, Any]],
                                                 login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    org = make_org()
    with app.app_context():
        from app.accounts.models import User

        db.session.scalar(select(User).where(User.email == org["owner"])).locale = locale
        db.session.commit()
    login(org["owner"])
    response = post_form(f"/organisations/{org['slug']}/challenges/new", form_data(prize_amount=typed))
    html = html_of(response)
    assert response.status_code == 400
    assert message in field_error(html, "prize_amount")
    assert f'value="{TITLE}"' in html  # the other input is kept
    assert count(app, Challenge, Challenge.organisation_id == org["id"]) == 0


# ---------------------------------------------------------------- bad input: 400, message at the field, input kept
BAD_INPUT = [
    ({"currency": "USD"}, "currency", "Choose one of the listed currencies"),
    ({"prize_amount": "-5000"}, "prize_amount", "cannot be negative"),
    ({"deadline_at": "2027-01-31T12:00"}, "deadline_at", "must be after the opening"),
    ({"deadline_at": "2027-01-05T12:00", "opens_at": "2027-01-01T12:00"}, "deadline_at", "in the past"),
    ({"judging_ends_at": "2027-03-01T11:00"}, "judging_ends_at", "Judging must end after the submission deadline"),
    ({"results_at": "2027-03-19T12:00"}, "results_at", "when judging ends or later"),
    ({"deadline_at": "2027-13-01T12:00"}, "deadline_at", "Enter a date and time"),
    ({"problem_md": "x" * 20_001}, "problem_md", "Problem statement: at most 20000 characters (you wrote 20001)"),
    ({"background_md": "y" * 25_000}, "background_md", "Background: at most 20000 characters (you wrote 25000)"),
    ({"summary": "s" * 501}, "summary", "at most 500 characters"),
    ({"title": ""}, "title", "Enter a title"),
    ({"prize_split": "60, 30"}, "prize_split", "one percentage for each of the 3 prizes"),
    ({"prize_split": "60, 30, 20"}, "prize_split", "they add up to 110"),
    ({"prize_split": "sixty"}, "prize_split", "Enter whole percentages"),
    ({"prize_count": "0"}, "prize_count", "from 1 to 10"),
    ({"tags": ",".join(f"tag{i}" for i in range(11))}, "tags", "at most 10 tags"),
    ({"tags": "a" * 41}, "tags", "at most 40 characters"),
    ({"tags": "!!!"}, "tags", "at least one letter or digit"),
    ({"eligibility": None}, "eligibility", "at least one group"),
    ({"eligibility": ["everyone-else"]}, "eligibility", "Choose from the listed groups"),
    ({"allow_individuals": None, "allow_teams": None}, "allow_individuals", "individuals, teams or both"),
    ({"max_team_size": "1"}, "max_team_size", "at least 2 people"),
    ({"language": "de"}, "language", "Choose one of the listed languages"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Choose one of the listed time zones"),
    ({"sdgs": ["18"]}, "sdgs", "Choose goals from the list"),
    # R03: 02:30 on the last Sunday of March does not exist in Copenhagen (clocks go 02:00 -> 03:00).
    ({"deadline_at": "2027-03-28T02:30", "judging_ends_at": "2027-04-10T12:00", "results_at": "2027-04-20T12:00"},
     "deadline_at", "does not exist in Europe/Copenhagen"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT,
                         ids=[f"{f}-{i}" for i, (_o, f, _m) in enumerate(BAD_INPUT)])
def test_bad_input_gets_a_message_at_the_field(overrides: dict[str, Any], field: str, message: str, app: Flask,
                                               now: datetime, client: FlaskClient,
                                               make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                               post_form: Callable[..., Any]) -> None:
    org = make_org()
    login(org["editor"])
    data = form_data(**overrides)
    response = post_form(f"/organisations/{org['slug']}/challenges/new", data)
    html = html_of(response)
    assert response.status_code == 400
    assert message in field_error(html, field), field_errors_of(html)
    assert 'class="error-summary"' in html
    # Check-box groups link to their first box, so the link lands on a control.
    assert f'href="#{field}"' in html or f'href="#{field}-0"' in html and f'id="{field}-0"' in html
    if field != "title":
        assert f'value="{TITLE}"' in html
    if field not in ("prize_amount", "currency"):
        assert 'value="50000"' in html
    if "deadline_at" not in overrides:
        assert 'value="2027-03-01T12:00"' in html
    assert count(app, Challenge, Challenge.organisation_id == org["id"]) == 0


def test_bad_input_on_edit_keeps_the_input_and_the_database(app: Flask, now: datetime, client: FlaskClient,
                                                            make_org: Callable[..., dict[str, Any]],
                                                            login: Callable[..., Any], post_form: Callable[..., Any],
                                                            create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    before = get_challenge(app, slug)
    response = post_form(f"/challenges/{slug}/edit", form_data(title="A better title", currency="GBP",
                                                              deadline_at="2027-01-20T12:00"))
    html = html_of(response)
    assert response.status_code == 400
    assert "Choose one of the listed currencies" in field_error(html, "currency")
    assert "must be after the opening" in field_error(html, "deadline_at")
    assert 'value="A better title"' in html
    assert 'value="2027-01-20T12:00"' in html
    assert get_challenge(app, slug) == before


def test_a_deadline_in_the_past_is_refused_on_edit(app: Flask, now: datetime, client: FlaskClient,
                                                   make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                                   post_form: Callable[..., Any],
                                                   create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    response = post_form(f"/challenges/{slug}/edit", form_data(opens_at="2026-12-01T09:00",
                                                              deadline_at="2027-01-09T12:00"))
    assert response.status_code == 400
    assert "in the past" in field_error(html_of(response), "deadline_at")
    assert get_challenge(app, slug)["deadline_at"] == datetime(2027, 3, 1, 11, 0, tzinfo=UTC)


@pytest.mark.both_databases
def test_autumn_overlap_means_the_first_moment(app: Flask, now: datetime, make_org: Callable[..., dict[str, Any]],
                                              login: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    # R03: 02:30 on 31 October 2027 happens twice in Copenhagen; the first (summer time, UTC+2) is meant.
    slug = create_draft(org["slug"], opens_at="2027-10-01T09:00", deadline_at="2027-10-31T02:30",
                        judging_ends_at="2027-11-10T12:00", results_at="2027-11-20T12:00")
    assert get_challenge(app, slug)["deadline_at"] == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


@pytest.mark.both_databases
def test_timeline_in_another_zone(app: Flask, now: datetime, make_org: Callable[..., dict[str, Any]],
                                  login: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"], timezone="Europe/Helsinki")
    saved = get_challenge(app, slug)
    assert saved["timezone"] == "Europe/Helsinki"
    assert saved["deadline_at"] == datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # Helsinki is UTC+2 in winter


# ---------------------------------------------------------------- S28, S29: script in Markdown and titles is inert
class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"{tag} {name}={value}")
        if tag == "script" and not dict(attrs).get("src", "").startswith("/static/"):
            self.bad.append("inline script")


def test_script_in_markdown_and_title_is_rendered_inert(app: Flask, now: datetime, client: FlaskClient,
                                                        make_org: Callable[..., dict[str, Any]],
                                                        login: Callable[..., Any],
                                                        create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    payload = ('<script>alert("x")</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) '
               '<a href="javascript:alert(2)">a</a> **still bold**')
    slug = create_draft(org["slug"], title='<script>alert("t")</script> Bins', problem_md=payload,
                        background_md=payload, summary='<b onmouseover="alert(3)">hi</b>',
                        tags="<script>x</script>, ok")
    for url in (f"/challenges/{slug}/preview", f"/challenges/{slug}/edit", f"/challenges/{slug}/rubric"):
        html = html_of(client.get(url))
        parser = _Scripts()
        parser.feed(html)
        assert parser.bad == [], (url, parser.bad)
        assert "<script>alert" not in html
    preview = html_of(client.get(f"/challenges/{slug}/preview"))
    assert "<strong>still bold</strong>" in preview
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Bins" in preview  # the title is escaped text


# ---------------------------------------------------------------- rubric
def test_rubric_weights_must_add_up_to_100(app: Flask, now: datetime, client: FlaskClient,
                                          make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                          post_form: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    rows = [("Impact", "50", "1", "5", ""), ("Feasibility", "40", "1", "5", "")]
    response = post_form(f"/challenges/{slug}/rubric", rubric_data(rows))
    html = html_of(response)
    assert response.status_code == 400
    assert "they add up to 90" in field_error(html, "weights")
    assert 'value="Impact"' in html
    assert 'value="Feasibility"' in html
    assert 'value="40"' in html
    assert get_challenge(app, slug)["criteria"] == []
    # The sum is reported together with a row's own error, so one round trip shows both.
    rows = [("Impact", "50", "1", "5", ""), ("Feasibility", "40", "3", "2", "")]
    html = html_of(post_form(f"/challenges/{slug}/rubric", rubric_data(rows)))
    assert "they add up to 90" in field_error(html, "weights")
    assert "greater than the lowest" in field_error(html, "criteria-1-scale_max")


@pytest.mark.parametrize(("row", "field", "message"), [
    (("Impact", "100", "5", "5", ""), "criteria-0-scale_max", "must be greater than the lowest (5)"),
    (("Impact", "100", "5", "1", ""), "criteria-0-scale_max", "must be greater than the lowest"),
    (("Impact", "100", "1", "5", "7: Too high"), "criteria-0-anchors", "Level 7 is not on the scale 1 to 5"),
    (("Impact", "100", "1", "5", "1: a\n1: b"), "criteria-0-anchors", "Level 1 has more than one text"),
    (("Impact", "100", "1", "5", "just text"), "criteria-0-anchors", "one level per line"),
    (("Impact", "0", "1", "5", ""), "criteria-0-weight", "from 1 to 100"),
    (("Impact", "", "1", "5", ""), "criteria-0-weight", "Enter a weight"),
    (("Impact", "abc", "1", "5", ""), "criteria-0-weight", "from 1 to 100"),
    (("Impact", "100", "", "5", ""), "criteria-0-scale_min", "Enter the lowest score"),
])
def test_rubric_rows_are_checked_at_the_field(row: tuple[str, ...], field: str, message: str, app: Flask,
                                              now: datetime, client: FlaskClient,
                                              make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                              post_form: Callable[..., Any],
                                              create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    response = post_form(f"/challenges/{slug}/rubric", rubric_data([row]))  # type: ignore[list-item]
    html = html_of(response)
    assert response.status_code == 400
    assert message in field_error(html, field), field_errors_of(html)
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert get_challenge(app, slug)["criteria"] == []


def test_rubric_rows_without_a_name_are_dropped_and_one_criterion_is_needed(
        app: Flask, now: datetime, client: FlaskClient, make_org: Callable[..., dict[str, Any]],
        login: Callable[..., Any], post_form: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    response = post_form(f"/challenges/{slug}/rubric", rubric_data([("", "", "1", "5", ""), ("", "30", "9", "2", "")]))
    assert response.status_code == 400
    assert "Add at least one criterion" in field_error(html_of(response), "criteria")
    rows = [("Impact", "100", "1", "5", ""), ("", "50", "3", "1", "nonsense")]  # the blank row's junk is ignored
    assert post_form(f"/challenges/{slug}/rubric", rubric_data(rows)).status_code == 302
    assert get_challenge(app, slug)["criteria"] == [("Impact", 100, 1, 5, {})]


def test_add_another_criterion_without_javascript(app: Flask, now: datetime, client: FlaskClient,
                                                  make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                                  post_form: Callable[..., Any],
                                                  create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"])
    rows = [("Impact", "60", "1", "5", "1: Weak"), ("", "", "1", "5", "")]
    response = post_form(f"/challenges/{slug}/rubric", rubric_data(rows, add_row="1"))
    html = html_of(response)
    assert response.status_code == 200
    assert html.count("<legend>Criterion ") == 3
    assert 'name="criteria-2-name"' in html
    assert 'value="Impact"' in html
    assert "1: Weak" in html
    assert 'name="rows" value="3"' in html
    assert get_challenge(app, slug)["criteria"] == []  # nothing saved yet
    # A9: each criterion is a fieldset with a legend, every control labelled.
    assert html.count('<label for="criteria-2-weight">') == 1


def test_rubric_keeps_criterion_ids_and_ignores_foreign_ones(app: Flask, now: datetime, client: FlaskClient,
                                                            make_challenge: Callable[..., dict[str, Any]],
                                                            login: Callable[..., Any],
                                                            post_form: Callable[..., Any]) -> None:
    ours = make_challenge("draft")
    theirs = make_challenge("draft")
    with app.app_context():
        our_ids = [c.id for c in db.session.get(Challenge, ours["id"]).criteria]
        their_id = db.session.get(Challenge, theirs["id"]).criteria[0].id
    login(ours["org"]["owner"])
    data = rubric_data([("Impact, revised", "70", "1", "5", ""), ("Stolen", "30", "1", "5", "")],
                       **{"criteria-0-criterion_id": str(our_ids[0]), "criteria-1-criterion_id": str(their_id)})
    assert post_form(f"/challenges/{ours['slug']}/rubric", data).status_code == 302
    with app.app_context():
        criteria = db.session.get(Challenge, ours["id"]).criteria
        assert criteria[0].id == our_ids[0]
        assert criteria[0].name == "Impact, revised"
        assert criteria[1].id not in (their_id, our_ids[1])
        # S20: the other challenge's criterion is untouched.
        assert db.session.get(Criterion, their_id).challenge_id == theirs["id"]
        assert db.session.get(Criterion, their_id).name == "Impact"


# ---------------------------------------------------------------- S21: a frozen rubric changes only by amendment
def test_frozen_rubric_needs_a_reason_and_is_logged(app: Flask, now: datetime, client: FlaskClient,
                                                    make_challenge: Callable[..., dict[str, Any]],
                                                    login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("open", rubric_frozen_at=NOW - timedelta(days=1))
    slug = challenge["slug"]
    login(challenge["org"]["editor"])
    before = get_challenge(app, slug)
    rows = [("Impact", "50", "1", "5", ""), ("Feasibility", "50", "1", "5", "")]
    page = html_of(client.get(f"/challenges/{slug}/rubric"))
    assert "The criteria are frozen" in page

    response = post_form(f"/challenges/{slug}/rubric", rubric_data(rows))
    assert response.status_code == 400
    assert "frozen" in field_error(html_of(response), "reason")
    assert get_challenge(app, slug)["criteria"] == before["criteria"]
    assert count(app, ChangeLogEntry, ChangeLogEntry.challenge_id == challenge["id"]) == 0

    response = post_form(f"/challenges/{slug}/rubric", rubric_data(rows, reason="Feasibility matters as much."))
    assert response.status_code == 302
    assert [c[:2] for c in get_challenge(app, slug)["criteria"]] == [("Impact", 50), ("Feasibility", 50)]
    with app.app_context():
        entry = db.session.scalar(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == challenge["id"]))
        assert entry.is_rubric_amendment
        assert entry.reason == "Feasibility matters as much."
        assert "Impact (60%" in entry.changes["rubric"]["old"]
        assert "Impact (50%" in entry.changes["rubric"]["new"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "challenge.rubric_amended"))
        assert event.object_id == challenge["id"]
        assert event.details["frozen"] is True


def test_rubric_locked_once_judging_starts(app: Flask, now: datetime, client: FlaskClient,
                                           make_challenge: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                           post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("judging", rubric_frozen_at=NOW - timedelta(days=20))
    login(challenge["org"]["owner"])
    page = client.get(f"/challenges/{challenge['slug']}/rubric")
    assert page.status_code == 200
    assert "can no longer change" in html_of(page)
    before = get_challenge(app, challenge["slug"])
    response = post_form(f"/challenges/{challenge['slug']}/rubric",
                         rubric_data([("Impact", "100", "1", "5", "")], reason="Simpler"))
    assert response.status_code == 400
    assert get_challenge(app, challenge["slug"])["criteria"] == before["criteria"]


# ---------------------------------------------------------------- edits after publishing
def _follow(app: Flask, make_user: Callable[..., int], locale: str, **target: int) -> str:
    email = f"follower-{locale}-{len(target)}-{next(iter(target.values()))}@example.org"
    uid = make_user(email, locale=locale)
    with app.app_context():
        db.session.add(Follow(user_id=uid, **target))
        db.session.commit()
    return email


def test_amendment_after_publishing_is_logged_and_emailed_in_each_language(
        app: Flask, now: datetime, client: FlaskClient, make_challenge: Callable[..., dict[str, Any]],
        make_user: Callable[..., int], login: Callable[..., Any], post_form: Callable[..., Any],
        send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    challenge = make_challenge("open")
    slug, cid = challenge["slug"], challenge["id"]
    danish = _follow(app, make_user, "da", challenge_id=cid)
    english = _follow(app, make_user, "en", organisation_id=challenge["org"]["id"])
    login(challenge["org"]["owner"])
    page = html_of(client.get(f"/challenges/{slug}/edit"))
    assert "Reason for the change" in page
    new_deadline = "2027-02-01T12:00"  # a week later than the fixture's 24 January, before judging ends

    # Without a reason: refused at the reason field, nothing saved, nothing sent.
    edit_url = f"/challenges/{slug}/edit"
    data = _current_form(client, edit_url, deadline_at=new_deadline, prize_amount="75000")
    response = post_form(edit_url, data)
    assert response.status_code == 400
    assert "Please give a reason" in field_error(html_of(response), "reason")
    assert count(app, ChangeLogEntry, ChangeLogEntry.challenge_id == cid) == 0
    assert count(app, OutboxMessage) == 0

    data["reason"] = "The holidays delayed the kick-off."
    assert post_form(edit_url, data).status_code == 302
    saved = get_challenge(app, slug)
    assert saved["deadline_at"] == datetime(2027, 2, 1, 11, 0, tzinfo=UTC)
    assert saved["prize_minor"] == 7_500_000
    with app.app_context():
        entry = db.session.scalar(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == cid))
        assert entry.reason == "The holidays delayed the kick-off."
        assert not entry.is_rubric_amendment
        assert set(entry.changes) == {"deadline_at", "prize"}
        # Display values in the challenge's language (English here), for the public change log.
        assert "50,000" in entry.changes["prize"]["old"]
        assert "75,000" in entry.changes["prize"]["new"]
        assert "(Europe/Copenhagen)" in entry.changes["deadline_at"]["new"]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "challenge.amended", AuditEvent.object_id == cid)) == 1
        locales = dict(db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.locale)).all())
    assert locales == {danish: "da", english: "en"}  # the editor, who made the change, gets none

    assert send_outbox() == 2
    da_mail, en_mail = smtp_sink.to(danish)[0], smtp_sink.to(english)[0]
    # Babel puts no-break spaces in amounts; compare with plain ones.
    da_text, en_text = (smtp_sink.text_of(m).replace("\xa0", " ") for m in (da_mail, en_mail))
    assert "75.000 kr." in da_text
    assert "50.000 kr." in da_text
    assert "DKK 75,000" in en_text
    assert "DKK 50,000" in en_text
    assert "1. feb. 2027 12.00 (Europe/Copenhagen)" in da_text
    assert "Feb 1, 2027, 12:00 (Europe/Copenhagen)" in en_text
    assert "The holidays delayed the kick-off." in en_text
    assert f"http://localhost/challenges/{slug}" in en_text
    da_html = da_mail.get_body(preferencelist=("html",)).get_content()
    assert 'lang="da"' in da_html
    assert "75.000" in da_html
    assert "Før:" in da_html  # the Danish catalog's "Before:"


def _current_form(client: FlaskClient, url: str, **overrides: Any) -> dict[str, Any]:
    """The edit form as the page shows it (what a browser would send back), with changes."""
    html = html_of(client.get(url))
    data: dict[str, Any] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        if name in ("csrf_token", "lang", "next"):
            continue
        data[name] = value.replace("&amp;", "&")
    for name, value in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"', html):
        data.setdefault(value, name)
    checked: dict[str, list[str]] = {}
    for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        value = re.search(r'value="([^"]*)"', tag)
        if " checked" in tag:
            checked.setdefault(name, []).append(value.group(1) if value else "y")
        data.pop(name, None)
    data.update({k: v if len(v) > 1 or k in ("sdgs", "eligibility") else v[0] for k, v in checked.items()})
    for tag in re.findall(r'<input[^>]*type="radio"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        if " checked" in tag:
            data[name] = re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip("\r\n").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        for option in re.findall(r"<option[^>]*>", options):
            if " selected" in option:
                data[name] = re.search(r'value="([^"]*)"', option).group(1)  # type: ignore[union-attr]
    data.update(overrides)
    return data


def test_cosmetic_edit_after_publishing_needs_no_reason(app: Flask, now: datetime, client: FlaskClient,
                                                        make_challenge: Callable[..., dict[str, Any]],
                                                        make_user: Callable[..., int], login: Callable[..., Any],
                                                        post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("open")
    _follow(app, make_user, "en", challenge_id=challenge["id"])
    login(challenge["org"]["editor"])
    url = f"/challenges/{challenge['slug']}/edit"
    response = post_form(url, _current_form(client, url, summary="Help residents sort cardboard correctly!"))
    assert response.status_code == 302, field_errors_of(html_of(response))
    assert get_challenge(app, challenge["slug"])["summary"] == "Help residents sort cardboard correctly!"
    assert count(app, ChangeLogEntry) == 0
    assert count(app, OutboxMessage) == 0


def test_rubric_change_after_publishing_emails_followers(app: Flask, now: datetime, client: FlaskClient,
                                                         make_challenge: Callable[..., dict[str, Any]],
                                                         make_user: Callable[..., int], login: Callable[..., Any],
                                                         post_form: Callable[..., Any], send_outbox: Callable[[], int],
                                                         smtp_sink: Any) -> None:
    challenge = make_challenge("scheduled")
    follower = _follow(app, make_user, "en", challenge_id=challenge["id"])
    login(challenge["org"]["owner"])
    url = f"/challenges/{challenge['slug']}/rubric"
    rows = [("Impact", "70", "1", "5", ""), ("Feasibility", "30", "1", "5", "")]
    assert post_form(url, rubric_data(rows)).status_code == 400  # published: a reason is needed
    assert post_form(url, rubric_data(rows, reason="Impact counts most.")).status_code == 302
    assert send_outbox() == 1
    text = smtp_sink.text_of(smtp_sink.to(follower)[0])
    assert "Judging criteria" in text
    assert "Impact (70%, scale 1 to 5)" in text
    assert "Impact counts most." in text


def test_after_the_deadline_rules_are_locked_but_texts_can_change(app: Flask, now: datetime, client: FlaskClient,
                                                                  make_challenge: Callable[..., dict[str, Any]],
                                                                  login: Callable[..., Any],
                                                                  post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("closed")
    login(challenge["org"]["owner"])
    url = f"/challenges/{challenge['slug']}/edit"
    page = html_of(client.get(url))
    assert "The deadline has passed" in page
    assert 'name="prize_amount"' not in page
    before = get_challenge(app, challenge["slug"])
    data = _current_form(client, url, summary="Thank you for 87 concepts!", prize_amount="1",
                         deadline_at="2027-12-01T12:00", reason="sneaky")
    assert post_form(url, data).status_code == 302
    after = get_challenge(app, challenge["slug"])
    assert after["summary"] == "Thank you for 87 concepts!"
    assert (after["prize_minor"], after["deadline_at"]) == (before["prize_minor"], before["deadline_at"])
    assert count(app, ChangeLogEntry) == 0


@pytest.mark.parametrize("state", ["archived", "cancelled"])
def test_archived_and_cancelled_challenges_are_read_only(state: str, app: Flask, now: datetime, client: FlaskClient,
                                                         make_challenge: Callable[..., dict[str, Any]],
                                                         login: Callable[..., Any],
                                                         post_form: Callable[..., Any]) -> None:
    challenge = make_challenge(state)
    login(challenge["org"]["owner"])
    url = f"/challenges/{challenge['slug']}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert "can no longer be edited" in html_of(page)
    assert 'name="title"' not in html_of(page)
    response = post_form(url, form_data(title="Changed"), page=url)
    assert response.status_code == 409
    assert get_challenge(app, challenge["slug"])["title"] != "Changed"


# ---------------------------------------------------------------- S20: no mass assignment
def test_extra_fields_are_ignored_on_create_and_edit(app: Flask, now: datetime, client: FlaskClient,
                                                     make_org: Callable[..., dict[str, Any]],
                                                     make_challenge: Callable[..., dict[str, Any]],
                                                     login: Callable[..., Any], post_form: Callable[..., Any],
                                                     create_draft: Callable[..., str]) -> None:
    org, other = make_org(), make_challenge("draft")
    login(org["owner"])
    extra = {"state": "open", "published_at": "2027-01-01T00:00:00+00:00", "organisation_id": str(other["org"]["id"]),
             "rubric_frozen_at": "2027-01-01T00:00:00+00:00", "created_by_id": "1", "slug": other["slug"],
             "id": str(other["id"]), "prize_minor": "1", "cover_image_hash": "a" * 64}
    slug = create_draft(org["slug"], **extra)
    saved = get_challenge(app, slug)
    assert saved["state"] == "draft"
    assert saved["published_at"] is None
    assert saved["rubric_frozen_at"] is None
    assert saved["organisation_id"] == org["id"]
    assert saved["created_by_id"] == org["owner_id"]
    assert slug != other["slug"]
    assert saved["prize_minor"] == 5_000_000
    assert saved["cover_image_hash"] is None

    response = post_form(f"/challenges/{slug}/edit", form_data(**extra))
    assert response.status_code == 302
    assert get_challenge(app, slug) == saved
    # The other organisation's challenge ("a prize for someone else") cannot be reached at all.
    other_before = get_challenge(app, other["slug"])
    assert post_form(f"/challenges/{other['slug']}/edit", form_data(prize_amount="1"),
                     page=f"/challenges/{slug}/edit").status_code == 404
    assert get_challenge(app, other["slug"]) == other_before


# ---------------------------------------------------------------- cover image
def test_cover_image_needs_a_text_alternative(app: Flask, now: datetime, client: FlaskClient,
                                              make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                              post_form: Callable[..., Any]) -> None:
    org = make_org()
    login(org["owner"])
    url = f"/organisations/{org['slug']}/challenges/new"
    data = form_data(cover=(io.BytesIO(png_bytes()), "cover.png"))
    response = post_form(url, data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Describe the cover image" in field_error(html_of(response), "cover_alt")

    data = form_data(cover=(io.BytesIO(png_bytes()), "cover.png"), cover_alt="Paper bins full of cardboard")
    response = post_form(url, data, content_type="multipart/form-data")
    assert response.status_code == 302
    slug = response.headers["Location"].split("/challenges/")[1].split("/")[0]
    saved = get_challenge(app, slug)
    assert re.fullmatch(r"[0-9a-f]{64}", saved["cover_image_hash"] or "")
    assert saved["cover_image_alt"] == "Paper bins full of cardboard"
    cover = client.get(f"/challenges/{slug}/cover")
    assert cover.status_code == 200
    assert cover.mimetype == "image/png"
    assert cover.headers["X-Content-Type-Options"] == "nosniff"
    assert 'alt="Paper bins full of cardboard"' in html_of(client.get(f"/challenges/{slug}/preview"))

    # Emptying the text alternative while the image stays is refused.
    response = post_form(f"/challenges/{slug}/edit", form_data(cover_alt=""))
    assert response.status_code == 400
    assert "Describe the cover image" in field_error(html_of(response), "cover_alt")
    response = post_form(f"/challenges/{slug}/edit", form_data(cover_alt="", remove_cover="y"))
    assert response.status_code == 302
    assert get_challenge(app, slug)["cover_image_hash"] is None


def test_a_file_that_is_not_an_image_is_refused_as_cover(app: Flask, now: datetime, client: FlaskClient,
                                                         make_org: Callable[..., dict[str, Any]],
                                                         login: Callable[..., Any],
                                                         post_form: Callable[..., Any]) -> None:
    org = make_org()
    login(org["owner"])
    data = form_data(cover=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "cover.png"), cover_alt="A cover")
    response = post_form(f"/organisations/{org['slug']}/challenges/new", data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Only PNG, JPEG or WebP" in field_error(html_of(response), "cover")
    assert f'value="{TITLE}"' in html_of(response)


def test_an_oversized_cover_is_refused_at_the_field(app: Flask, now: datetime, client: FlaskClient,
                                                    make_org: Callable[..., dict[str, Any]], login: Callable[..., Any],
                                                    post_form: Callable[..., Any]) -> None:
    import os

    app.config["COVER_MAX_BYTES"] = 20_000  # S34
    org = make_org()
    login(org["owner"])
    noise = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(noise, format="PNG")
    assert len(noise.getvalue()) > 20_000
    data = form_data(cover=(io.BytesIO(noise.getvalue()), "cover.png"), cover_alt="Noise")
    response = post_form(f"/organisations/{org['slug']}/challenges/new", data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "larger than" in field_error(html_of(response), "cover")
    assert f'value="{TITLE}"' in html_of(response)
    assert count(app, Challenge, Challenge.organisation_id == org["id"]) == 0


@pytest.mark.both_databases
def test_tags_are_shared_rows(app: Flask, now: datetime, make_org: Callable[..., dict[str, Any]],
                              login: Callable[..., Any], create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    create_draft(org["slug"], tags="Genbrug, Affald og miljø, genbrug")
    create_draft(org["slug"], tags="GENBRUG")
    with app.app_context():
        assert sorted(db.session.scalars(select(Tag.slug))) == ["affald-og-miljo", "genbrug"]


def test_readability_hint_is_computed_from_the_saved_brief(app: Flask, now: datetime, client: FlaskClient,
                                                           make_org: Callable[..., dict[str, Any]],
                                                           login: Callable[..., Any],
                                                           create_draft: Callable[..., str]) -> None:
    org = make_org()
    login(org["owner"])
    slug = create_draft(org["slug"], problem_md="Short.", background_md="")
    assert "Write at least ten words" in html_of(client.get(f"/challenges/{slug}/edit"))
    long_words = ("Implementeringsstrategiernes kommunikationsudfordringer vanskeliggør organisationsændringer "
                  "betragteligt. ") * 5
    slug = create_draft(org["slug"], problem_md=long_words, background_md="")
    html = html_of(client.get(f"/challenges/{slug}/edit"))
    assert re.search(r"<dt>LIX score</dt><dd>\d+</dd>", html)
    assert "<dt>Words</dt><dd>25</dd>" in html
    assert "<dt>Sentences</dt><dd>5</dd>" in html
    assert "Very difficult" in html
    assert "Scandinavian readability index" in html


# ---------------------------------------------------------------- S17, S18: who may do what
ROLES = ["anonymous", "stranger", "other_staff", "admin", "editor", "owner"]


@pytest.fixture
def as_role(app: Flask, client: FlaskClient, make_org: Callable[..., dict[str, Any]], make_user: Callable[..., int],
            login: Callable[..., Any]) -> Callable[[str, dict[str, Any]], None]:
    def _as(role: str, org: dict[str, Any]) -> None:
        if role == "anonymous":
            return
        if role in ("owner", "editor"):
            login(org[role])
        elif role == "other_staff":
            login(make_org()["owner"])  # S18: staff of another organisation
        else:
            email = f"{role}-{org['slug']}@example.org"
            make_user(email, admin=(role == "admin"))
            login(email)
    return _as


def _expected(role: str, *, visible_to_all: bool) -> int:
    if role == "anonymous":
        return 302  # to the login page
    if role in ("owner", "editor"):
        return 200
    return 403 if visible_to_all else 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", ["draft", "open"])
def test_role_matrix_for_editor_pages(role: str, state: str, app: Flask, now: datetime, client: FlaskClient,
                                      make_challenge: Callable[..., dict[str, Any]],
                                      as_role: Callable[[str, dict[str, Any]], None]) -> None:
    challenge = make_challenge(state)
    as_role(role, challenge["org"])
    expected = _expected(role, visible_to_all=(state == "open"))
    for page in ("edit", "rubric", "preview"):
        response = client.get(f"/challenges/{challenge['slug']}/{page}")
        assert response.status_code == expected, (page, role, state)
        if expected == 302:
            assert "/account/login" in response.headers["Location"]
        if expected == 200:
            assert response.headers["Cache-Control"] == "no-store"  # S27


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_for_changes(role: str, app: Flask, now: datetime, client: FlaskClient, csrf: Callable[[str], str],
                                 make_challenge: Callable[..., dict[str, Any]],
                                 as_role: Callable[[str, dict[str, Any]], None]) -> None:
    challenge = make_challenge("draft")
    slug = challenge["slug"]
    as_role(role, challenge["org"])
    token = csrf("/")
    before = get_challenge(app, slug)
    expected = {"anonymous": 302, "owner": None, "editor": None}.get(role, 404)
    posts = {
        f"/challenges/{slug}/edit": form_data(title="Taken over"),
        f"/challenges/{slug}/rubric": rubric_data([("Hijack", "100", "1", "5", "")]),
        f"/challenges/{slug}/publish": {},
    }
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": token})
        if expected is None:
            assert response.status_code == 302, url  # staff may: each change is made, then a redirect
        else:
            assert response.status_code == expected, (url, role)
    if expected is not None:
        assert get_challenge(app, slug) == before  # nothing changed


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("org_status", ["approved", "pending"])
def test_role_matrix_for_create(role: str, org_status: str, app: Flask, now: datetime, client: FlaskClient,
                                csrf: Callable[[str], str],
                                make_org: Callable[..., dict[str, Any]],
                                as_role: Callable[[str, dict[str, Any]], None]) -> None:
    org = make_org(status=org_status)
    as_role(role, org)
    url = f"/organisations/{org['slug']}/challenges/new"
    if role == "anonymous":
        expected = 302
    elif role in ("owner", "editor"):
        expected = 200 if org_status == "approved" else 403  # staff of a pending organisation wait for approval
    elif role == "admin" or org_status == "approved":
        expected = 403  # they can see the organisation, but may not post for it
    else:
        expected = 404
    assert client.get(url).status_code == expected
    token = csrf("/")
    response = client.post(url, data={**form_data(), "csrf_token": token})
    assert response.status_code == (302 if expected == 200 else expected)
    assert count(app, Challenge, Challenge.organisation_id == org["id"]) == (1 if expected == 200 else 0)


def test_unknown_slugs_are_404(app: Flask, now: datetime, client: FlaskClient, make_org: Callable[..., dict[str, Any]],
                               login: Callable[..., Any]) -> None:
    org = make_org()
    login(org["owner"])
    assert client.get("/organisations/nowhere/challenges/new").status_code == 404
    for page in ("edit", "rubric", "preview"):
        assert client.get(f"/challenges/nowhere/{page}").status_code == 404


def test_publish_without_csrf_is_refused(app: Flask, now: datetime, client: FlaskClient,
                                         make_challenge: Callable[..., dict[str, Any]],
                                         login: Callable[..., Any]) -> None:
    challenge = make_challenge("draft")
    login(challenge["org"]["owner"])
    assert client.post(f"/challenges/{challenge['slug']}/publish").status_code == 400  # S23
    assert get_challenge(app, challenge["slug"])["state"] == ChallengeState.DRAFT.value


def test_a_new_challenge_defaults_to_the_authors_language(app: Flask, client: FlaskClient,
                                                          make_org: Callable[..., dict[str, Any]],
                                                          login: Callable[..., Any]) -> None:
    org = make_org()
    login(org["owner"])
    html = client.get(f"/organisations/{org['slug']}/challenges/new", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert re.search(r"<option[^>]* selected value=\"da\">", html)  # a Danish municipality
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/language", data={"lang": "sv", "csrf_token": token})
    html = client.get(f"/organisations/{org['slug']}/challenges/new").get_data(as_text=True)
    assert re.search(r"<option[^>]* selected value=\"sv\">", html)
