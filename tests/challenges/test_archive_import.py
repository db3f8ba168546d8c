"""Archive import (issue 11, item 7 and "Bad input"): earlier challenges from a JSONL file, through
`flask archive import` and the owners' upload page, with a dry run that lists every refused line.

Every refusal reason; the dry run creating nothing; the import creating archived, public, imported
challenges that the public list, page and organisation page show; the organisation override;
duplicates within the file and against the database; the command's exit status; who may use the
upload page (S17, S18) and its CSRF (S23); a 100 MB line refused without being held in memory;
script in every field rendered inert (S28).
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.challenges import lifecycle
from app.challenges.models import Challenge, ChallengeState, StateTransition
from app.challenges.services.archive import MAX_LINE_BYTES, import_archive, plan_archive
from app.core.audit import AuditEvent
from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError
from app.organisations.models import Organisation

S = ChallengeState
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "archive-example.jsonl"


# ---------------------------------------------------------------- helpers
def line(org: str | None, **changes: Any) -> dict[str, Any]:
    """A valid archive line for organisation slug `org`; a change to None removes that key."""
    obj: dict[str, Any] = {
        "organisation": org, "title": "Færre fejlsorteringer i affaldsrummet",
        "summary": "Hvordan sorterer beboerne i etageboliger rigtigt?",
        "body_md": "## Baggrund\n\nFor meget plast i madaffaldet.", "language": "da",
        "tags": ["affald", "genbrug"], "sdgs": [11, 12], "opened": "2022-02-01", "closed": "2022-04-04",
        "prize": "75000.50", "currency": "DKK", "url": "https://aarhusby.example.org/udfordringer/affald",
        "winners": ["Sorteringsvennen", "Affaldsambassadører"],
    }
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not None}


def jsonl(*objs: Any) -> bytes:
    return b"".join((o if isinstance(o, bytes) else json.dumps(o, ensure_ascii=False).encode()) + b"\n"
                    for o in objs)


def plan_of(app: Flask, data: bytes, **kwargs: Any) -> tuple[list[str], dict[int, list[str]]]:
    """(titles that would be created, {line: reasons as text}) for `data`."""
    with app.test_request_context():
        plan = plan_archive(stream=io.BytesIO(data), now=clock.now(), **kwargs)
        return ([c.title for c in plan.challenges],
                {r.line: [str(reason) for reason in r.reasons] for r in plan.refused})


def count(app: Flask, model: Any = Challenge, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def imported(app: Flask) -> list[Challenge]:
    with app.app_context():
        rows = list(db.session.scalars(select(Challenge).where(Challenge.imported_at.is_not(None))
                                       .order_by(Challenge.id)))
        db.session.expunge_all()
        return rows


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- the plan: a valid line, and every refusal
def test_a_valid_line_is_planned_and_the_dry_run_creates_nothing(app: Flask, make_org) -> None:
    org = make_org()
    titles, refused = plan_of(app, jsonl(line(org["slug"])))
    assert titles == ["Færre fejlsorteringer i affaldsrummet"]
    assert refused == {}
    assert count(app) == 0
    assert count(app, AuditEvent) == 0


def _long(n: int) -> str:
    return "a" * n


# (what to do to a valid line, a part of the reason that must be given)
REFUSALS: list[tuple[str, Any, str]] = [
    ("broken json", b'{"title": "Unfinished', "not valid JSON"),
    ("trailing garbage", b'{"title": "x"} extra', "not valid JSON"),
    ("NaN is not JSON", b'{"sdgs": [NaN]}', "not valid JSON"),
    ("deep nesting", b"[" * 200_000, "not valid JSON"),
    ("huge number", b'{"sdgs": [' + b"9" * 5000 + b"]}", "not valid JSON"),
    ("not utf-8", b'{"title": "\xff\xfe"}', "not UTF-8"),
    ("an array", b"[1, 2, 3]", "not an object"),
    ("a string", b'"just text"', "not an object"),
    ("a number", b"42", "not an object"),
    ("duplicate key", b'{"title": "a", "title": "b"}', "appears twice"),
    ("missing keys", {"summary": None, "opened": None}, "Missing keys: summary, opened"),
    ("unknown keys", {"deadline": "2022-04-04", "jury": []}, "Unknown keys: deadline, jury"),
    ("title not text", {"title": 5}, "“title” must be text"),
    ("tags not a list", {"tags": "affald, genbrug"}, "“tags” must be a list of texts"),
    ("tags of numbers", {"tags": [1, 2]}, "“tags” must be a list of texts"),
    ("sdgs as text", {"sdgs": ["11"]}, "whole numbers from 1 to 17"),
    ("sdgs as booleans", {"sdgs": [True]}, "whole numbers from 1 to 17"),
    ("sdgs as fractions", {"sdgs": [11.5]}, "whole numbers from 1 to 17"),
    ("winners not a list", {"winners": "Sorteringsvennen"}, "“winners” must be a list of texts"),
    ("prize as a number", {"prize": 75000}, "“prize” must be a decimal number written as text"),
    ("org not text", {"organisation": ["x"]}, "“organisation” must be text"),
    ("unknown organisation", {"organisation": "no-such-kommune"}, "No organisation has the address name"),
    ("bad language", {"language": "fi"}, "The language “fi” is not one we accept"),
    ("language upper case", {"language": "DA"}, "The language “DA” is not one we accept"),
    ("impossible date", {"opened": "2022-02-30"}, "“opened” must be a date written as YYYY-MM-DD"),
    ("date in another format", {"closed": "04/04/2022"}, "“closed” must be a date written as YYYY-MM-DD"),
    ("date with time", {"closed": "2022-04-04T12:00:00"}, "“closed” must be a date"),
    ("ancient date", {"opened": "1850-01-01"}, "before 1900"),
    ("closed before opened", {"opened": "2022-04-04", "closed": "2022-02-01"}, "must be after “opened”"),
    ("closed the day it opened", {"closed": "2022-02-01"}, "must be after “opened”"),
    ("closed in the future", {"opened": "2022-02-01", "closed": "2999-01-01"}, "is not in the past"),
    ("prize with separators", {"prize": "75.000,00"}, "“prize” must be an amount"),
    ("negative prize", {"prize": "-5"}, "“prize” must be an amount"),
    ("prize in exponent form", {"prize": "1e5"}, "“prize” must be an amount"),
    ("too many decimals", {"prize": "10.001"}, "more decimals than DKK"),
    ("prize too large", {"prize": "30000000"}, "The prize is larger than"),
    ("prize without currency", {"currency": None}, "A prize needs its “currency”"),
    ("unknown currency", {"currency": "USD"}, "The currency “USD” is not one we accept"),
    ("sdg zero", {"sdgs": [0, 3]}, "0 is not one of them"),
    ("sdg eighteen", {"sdgs": [18]}, "18 is not one of them"),
    ("empty title", {"title": "   "}, "“title” is empty"),
    ("empty body", {"body_md": ""}, "“body_md” is empty"),
    ("title too long", {"title": _long(201)}, "“title” is too long: 201 characters, at most 200"),
    ("summary too long", {"summary": _long(501)}, "“summary” is too long: 501 characters, at most 500"),
    ("body too long", {"body_md": _long(20_001)}, "“body_md” is too long: 20001 characters, at most 20000"),
    ("tag too long", {"tags": [_long(41)]}, "a tag has at most 40 characters"),
    ("tag without letters", {"tags": ["!!!"]}, "needs at least one letter or digit"),
    ("too many tags", {"tags": [f"tag {i}" for i in range(11)]}, "There are 11 tags: at most 10"),
    ("url not http", {"url": "javascript:alert(1)"}, "“url” must be the address of the original page"),
    ("url ftp", {"url": "ftp://example.org/x"}, "“url” must be the address"),
    ("url without host", {"url": "https:///path"}, "“url” must be the address"),
    ("url with credentials", {"url": "https://user:secret@example.org/"}, "“url” must be the address"),
    ("url with a space", {"url": "https://example.org/a b"}, "“url” must be the address"),
    ("url too long", {"url": "https://example.org/" + _long(500)}, "“url” is too long"),
    ("too many winners", {"winners": [f"Winner {i}" for i in range(21)]}, "There are 21 winners: at most 20"),
    ("winner too long", {"winners": [_long(201)]}, "at most 200 characters"),
    ("empty winner", {"winners": [" "]}, "has an empty title"),
]


@pytest.mark.parametrize(("change", "reason"), [(c, r) for _n, c, r in REFUSALS], ids=[n for n, _c, _r in REFUSALS])
def test_every_bad_line_is_refused_with_its_reason(app: Flask, make_org, change: Any, reason: str) -> None:
    org = make_org()
    bad = change if isinstance(change, bytes) else line(org["slug"], **change)
    titles, refused = plan_of(app, jsonl(bad, line(org["slug"], title="A good line after it")))
    assert titles == ["A good line after it"]  # one bad line never stops the rest
    assert list(refused) == [1]
    assert any(reason in r for r in refused[1]), refused[1]


def test_a_line_lists_every_problem_it_has(app: Flask, make_org) -> None:
    org = make_org()
    _titles, refused = plan_of(app, jsonl(line(org["slug"], language="fi", sdgs=[19], prize="x", extra=1)))
    text = " | ".join(refused[1])
    for part in ("Unknown keys: extra", "“fi”", "19 is not one of them", "“prize” must be an amount"):
        assert part in text


def test_an_organisation_awaiting_approval_cannot_import(app: Flask, make_org) -> None:
    pending = make_org(status="pending")
    _titles, refused = plan_of(app, jsonl(line(pending["slug"])))
    assert "is not an approved organisation" in refused[1][0]


def test_line_numbers_count_blank_lines_and_a_bom_is_ignored(app: Flask, make_org) -> None:
    org = make_org()
    data = b"\xef\xbb\xbf" + jsonl(line(org["slug"], title="First")) + b"\n   \n" + b"{broken\n" \
        + jsonl(line(org["slug"], title="Fifth"))
    titles, refused = plan_of(app, data)
    assert titles == ["First", "Fifth"]
    assert list(refused) == [4]


def test_reading_stops_after_the_line_limit(app: Flask, make_org) -> None:
    org = make_org()
    data = jsonl(*(line(org["slug"], title=f"Challenge {i}") for i in range(1, 6)))
    titles, refused = plan_of(app, data, max_lines=3)
    assert titles == ["Challenge 1", "Challenge 2", "Challenge 3"]
    assert list(refused) == [4]
    assert "more than 3 lines" in refused[4][0]


class _EndlessLine(io.RawIOBase):
    """`size` bytes of one line made on the fly (never stored), then a newline and `tail`."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = b"\n" + tail
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self.left:
            n = min(len(view), self.left)
            view[:n] = b"a" * n
            self.left -= n
        else:
            n = min(len(view), len(self.tail))
            view[:n] = self.tail[:n]
            self.tail = self.tail[n:]
        self.read_bytes += n
        return n


def test_a_100_mb_line_is_refused_quickly_without_being_held_in_memory(app: Flask, make_org) -> None:
    """Bad input: the line is skimmed in pieces of at most MAX_LINE_BYTES, and the line after it is read."""
    org = make_org()
    raw = _EndlessLine(100 * 1024 * 1024, jsonl(line(org["slug"], title="After the long line")))
    stream = io.BufferedReader(raw, buffer_size=64 * 1024)
    with app.test_request_context():
        tracemalloc.start()
        started = time.perf_counter()
        plan = plan_archive(stream=stream, now=clock.now())
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert [c.title for c in plan.challenges] == ["After the long line"]
        assert [(r.line, str(r.reasons[0])) for r in plan.refused] == [(1, "The line is longer than 1 MB.")]
    assert raw.read_bytes > 100 * 1024 * 1024  # it was read to its end ...
    assert peak < 6 * MAX_LINE_BYTES  # ... a piece at a time, never whole
    assert elapsed < 10  # about 0.1 s here; generous for a shared machine


def test_an_unknown_override_is_refused_for_the_whole_file(app: Flask, make_org) -> None:
    make_org()
    with app.test_request_context(), pytest.raises(DomainError, match="No organisation has the address name"):
        plan_archive(stream=io.BytesIO(b""), now=clock.now(), organisation_override="nowhere")


def test_the_override_supplies_and_replaces_every_organisation(app: Flask, make_org) -> None:
    org, other = make_org(), make_org()
    data = jsonl(line(None, title="No organisation given"), line(other["slug"], title="Another's line"),
                 line("no-such-kommune", title="An unknown one"))
    titles, refused = plan_of(app, data, organisation_override=org["slug"])
    assert (titles, refused) == (["No organisation given", "Another's line", "An unknown one"], {})
    _titles, refused = plan_of(app, data)
    assert "Missing keys: organisation" in refused[1][0]


def test_the_upload_page_imports_for_its_own_organisation_only(app: Flask, make_org) -> None:
    org, other = make_org(), make_org()
    with app.app_context():
        mine = db.session.get(Organisation, org["id"])
        data = jsonl(line(None, title="Without organisation"), line(org["slug"], title="Mine"),
                     line(other["slug"], title="Another's"))
        plan = plan_archive(stream=io.BytesIO(data), now=clock.now(), for_organisation=mine)
        assert [c.title for c in plan.challenges] == ["Without organisation", "Mine"]
        assert [r.line for r in plan.refused] == [3]
        assert "here you import challenges of" in str(plan.refused[0].reasons[0])


@pytest.mark.both_databases
def test_duplicates_within_the_file_and_against_the_database_are_refused(app: Flask, make_org,
                                                                         make_challenge) -> None:
    org = make_org()
    # Already there: a challenge run on the platform, opening that day in the organisation's zone
    # (late evening UTC is the next morning in Copenhagen).
    make_challenge("archived", org=org, title="Tryggere skoleveje",
                   opens_at=datetime(2021, 8, 31, 22, 30, tzinfo=UTC))
    data = jsonl(line(org["slug"], title="Bedre cykelparkering"),
                 line(org["slug"], title="  bedre   CYKELPARKERING "),      # same title, other spelling
                 line(org["slug"], title="Bedre cykelparkering", opened="2022-02-02"),  # another round
                 line(org["slug"], title="Tryggere skoleveje", opened="2021-09-01", closed="2021-10-01"))
    titles, refused = plan_of(app, data)
    assert titles == ["Bedre cykelparkering", "Bedre cykelparkering"]
    assert "is on line 1" in refused[2][0]
    assert "already has a challenge with this title that opened on 2021-09-01" in refused[4][0]


# ---------------------------------------------------------------- the import and the public pages
@pytest.mark.both_databases
def test_the_import_creates_archived_public_imported_challenges(app: Flask, make_org, client: FlaskClient) -> None:
    org = make_org()
    data = jsonl(line(org["slug"]), line(org["slug"], title="Ældre i eget hjem", prize=None, currency=None,
                                         url=None, winners=None, tags=["ældrepleje"], sdgs=[3]), b"[broken")
    now = clock.now()
    with app.test_request_context():
        plan = import_archive(stream=io.BytesIO(data), by=None, now=now, source="test")
        db.session.commit()
        assert [r.line for r in plan.refused] == [3]
    first, second = imported(app)
    assert first.state == S.ARCHIVED
    assert second.state == S.ARCHIVED
    assert first.published_at is not None
    assert first.imported_at is not None
    assert first.problem_md.startswith("## Baggrund")
    assert (first.prize_minor, first.currency) == (7_500_050, "DKK")
    assert second.currency == "DKK"  # without a prize: the organisation's country's currency
    assert first.source_url == "https://aarhusby.example.org/udfordringer/affald"
    assert first.imported_winners == ["Sorteringsvennen", "Affaldsambassadører"]
    # Noon in the organisation's zone (Copenhagen, winter: UTC+1).
    assert first.opens_at == datetime(2022, 2, 1, 11, 0, tzinfo=UTC)
    assert first.deadline_at == datetime(2022, 4, 4, 10, 0, tzinfo=UTC)  # summer time by April
    assert first.slug != second.slug
    with app.app_context():
        row = db.session.get(Challenge, first.id)
        assert [t.slug for t in row.tags] == ["affald", "genbrug"]
        assert row.sdg_numbers == [11, 12]
        assert db.session.scalar(select(func.count()).select_from(Challenge).where(
            lifecycle.public_clause(), Challenge.imported_at.is_not(None))) == 2
        steps = db.session.execute(select(StateTransition.from_state, StateTransition.to_state).where(
            StateTransition.challenge_id == first.id)).all()
        assert [tuple(s) for s in steps] == [("draft", "archived")]
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "archive.imported")).all()
        assert len(audit) == 1
        assert audit[0].details["created"] == [first.id, second.id]
        assert audit[0].details["refused_lines"] == [3]

    listed = html_of(client.get("/challenges/?status=archived"))
    assert "Færre fejlsorteringer i affaldsrummet" in listed
    assert "Ældre i eget hjem" in listed
    assert "From the archive" in listed
    page = client.get(f"/challenges/{first.slug}")
    assert page.status_code == 200
    html = html_of(page)
    assert "From the archive: imported by" in html
    assert 'href="https://aarhusby.example.org/udfordringer/affald" rel="external noopener"' in html
    assert "Sorteringsvennen" in html
    assert "Affaldsambassadører" in html
    for absent in ("Follow this challenge", "Log in to follow", "Add the dates to your calendar", "text/calendar",
                   "Take part", "Ask the organisers", "How concepts are judged", "Who may take part"):
        assert absent not in html, absent
    other = html_of(client.get(f"/challenges/{second.slug}"))
    assert "does not name the winners" in other
    assert "original challenge page" not in other
    organisation_page = client.get(f"/organisations/{org['slug']}")
    assert organisation_page.status_code == 200
    assert "Færre fejlsorteringer i affaldsrummet" in html_of(organisation_page)


def test_an_imported_challenge_cannot_be_followed(app: Flask, make_org, client: FlaskClient, logged_in) -> None:
    org = make_org()
    with app.test_request_context():
        plan = import_archive(stream=io.BytesIO(jsonl(line(org["slug"]))), by=None, now=clock.now(), source="t")
        slug = plan.created[0].slug
        db.session.commit()
    logged_in()
    token = csrf_from(client, f"/challenges/{slug}")
    assert client.post(f"/challenges/{slug}/follow", data={"csrf_token": token}).status_code == 404


def test_only_a_new_imported_challenge_goes_straight_to_the_archive(app: Flask, make_challenge) -> None:
    made = make_challenge("draft")
    with app.test_request_context():
        challenge = db.session.get(Challenge, made["id"])
        with pytest.raises(DomainError, match="Only a new imported challenge"):
            lifecycle.record_import(challenge, actor=None, now=clock.now())


# ---------------------------------------------------------------- the command
def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["archive", "import", *args])


@pytest.mark.both_databases
def test_the_command_dry_run_import_and_exit_status(app: Flask, make_org, tmp_path: Path) -> None:
    org = make_org()
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(line(org["slug"]), line(org["slug"], title="Second")))
    result = _cli(app, str(good), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "line 1: would create “Færre fejlsorteringer i affaldsrummet”" in result.output
    assert "nothing was changed" in result.output
    assert count(app) == 0
    result = _cli(app, str(good))
    assert result.exit_code == 0, result.output
    assert "2 challenge(s) created, 0 line(s) refused" in result.output
    assert count(app, Challenge, Challenge.imported_at.is_not(None)) == 2
    again = _cli(app, str(good))  # the same file twice: every line is already there
    assert again.exit_code == 1
    assert "line 2: refused:" in again.output
    assert "already has a challenge" in again.output
    assert count(app) == 2

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(jsonl(line(org["slug"], title="Third"), b"{oops"))
    strict = _cli(app, str(mixed), "--strict")
    assert strict.exit_code == 1
    assert "because some lines were refused (--strict)" in strict.output
    assert count(app) == 2
    partial = _cli(app, str(mixed))
    assert partial.exit_code == 1  # refused lines, even though the good one was imported
    assert "line 2: refused: The line is not valid JSON." in partial.output
    assert count(app) == 3


def test_the_command_override_and_unusable_input(app: Flask, make_org, tmp_path: Path) -> None:
    org = make_org()
    path = tmp_path / "archive.jsonl"
    path.write_bytes(jsonl(line(None), line("no-such-kommune", title="Second")))
    result = _cli(app, str(path), "--organisation", org["slug"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(db.session.scalars(select(Challenge.organisation_id))) == {org["id"]}
    unknown = _cli(app, str(path), "--organisation", "nowhere")
    assert unknown.exit_code == 2
    assert "No organisation has the address name “nowhere”" in unknown.output
    missing = _cli(app, str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 2


def test_the_example_file_imports_without_a_refusal(app: Flask) -> None:
    # The demo loads it (app/demo/archive.py): every line fits the demo organisations.
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    rows = imported(app)
    lines = [json.loads(raw) for raw in EXAMPLE.read_text(encoding="utf-8").splitlines() if raw.strip()]
    assert 8 <= len(rows) == len(lines) <= 12
    assert {r.language for r in rows} == {"da", "nb", "sv", "en"}
    assert all(len(obj["body_md"].split()) >= 200 for obj in lines)
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert again.exit_code == 0
    assert "nothing added" in again.output
    assert len(imported(app)) == len(rows)


# ---------------------------------------------------------------- the upload page
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHECKED_RE = re.compile(r'name="checked"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="checked"')


def csrf_from(client: FlaskClient, url: str) -> str:
    # Public pages carry no token for readers who are not logged in (issue 13): the login form does.
    match = CSRF_RE.search(html_of(client.get(url))) \
        or (url == "/" and CSRF_RE.search(html_of(client.get("/account/login"))))
    assert match, url
    return match.group(1)


def _upload(client: FlaskClient, slug: str, data: bytes, *, token: str | None = None,
            name: str = "archive.jsonl") -> Any:
    # The body is built in memory: the test client would spool a large one to a temporary file
    # that a refused request leaves unclosed.
    boundary, body = encode_multipart({
        "csrf_token": token if token is not None else csrf_from(client, "/"),
        "file": FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/jsonl")})
    return client.post(f"/organisations/{slug}/archive/check", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _checked(html: str) -> str:
    match = CHECKED_RE.search(html)
    assert match, "no checked reference"
    return match.group(1) or match.group(2)


def test_who_may_use_the_upload_page(app: Flask, make_org, make_user, login, logout, client: FlaskClient) -> None:
    """S17, S18: owners and admins; editors 403; others (and another organisation's owner) 404."""
    org, other = make_org(), make_org()
    pending = make_org(status="pending")
    admin = "admin-archive@example.org"
    make_user(admin, admin=True)
    stranger = "stranger-archive@example.org"
    make_user(stranger)
    url = f"/organisations/{org['slug']}/archive"
    data = jsonl(line(org["slug"]))

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert urlsplit(anonymous.headers["Location"]).path == "/account/login"
    assert _upload(client, org["slug"], data).status_code == 302
    expected = {org["owner"]: 200, admin: 200, org["editor"]: 403, other["owner"]: 404, stranger: 404}
    for email, status in expected.items():
        login(email)
        assert client.get(url).status_code == status, email
        refused_post = _upload(client, org["slug"], data)
        assert refused_post.status_code == (200 if status == 200 else status), email
        import_post = client.post(f"{url}/import", data={"csrf_token": csrf_from(client, "/"), "checked": "x"})
        assert import_post.status_code == (400 if status == 200 else status), email
        logout()
    login(pending["owner"])
    assert client.get(f"/organisations/{pending['slug']}/archive").status_code == 403
    logout()
    assert count(app) == 0  # nobody imported anything: a check never creates


def test_the_dashboard_links_to_the_upload_page_for_owners(app: Flask, make_org, login, logout,
                                                           client: FlaskClient) -> None:
    org = make_org()
    link = f'href="/organisations/{org["slug"]}/archive"'
    login(org["owner"])
    assert link in html_of(client.get(f"/organisations/{org['slug']}/dashboard"))
    logout()
    login(org["editor"])
    assert link not in html_of(client.get(f"/organisations/{org['slug']}/dashboard"))


@pytest.mark.both_databases
def test_check_then_import_without_choosing_the_file_again(app: Flask, make_org, login, client: FlaskClient) -> None:
    org = make_org()
    login(org["owner"])
    data = jsonl(line(org["slug"]), line(org["slug"], title="Ældre i eget hjem", language="xx"), b"[1]",
                 line(None, title="Uden organisation"))
    checked = _upload(client, org["slug"], data)
    assert checked.status_code == 200
    html = html_of(checked)
    assert "2 challenges would be created." in html
    assert "2 lines are refused." in html
    assert "<caption id=\"archive-planned-caption\">" in html
    assert '<th scope="row" lang="da">' in html
    assert "The language “xx” is not one we accept" in html
    assert "not an object" in html
    assert "<th scope=\"row\">2</th>" in html
    assert "<th scope=\"row\">3</th>" in html
    assert "75.000,50" in html or "75,000.50" in html
    assert count(app) == 0  # the dry run created nothing
    reference = _checked(html)

    done = client.post(f"/organisations/{org['slug']}/archive/import",
                       data={"csrf_token": csrf_from(client, "/"), "checked": reference})
    assert done.status_code == 302
    page = html_of(client.get(done.headers["Location"]))
    assert "2 challenges were imported into the archive." in page
    assert "2 lines were refused" in page
    assert [c.title for c in imported(app)] == ["Færre fejlsorteringer i affaldsrummet", "Uden organisation"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.imported"))
        assert event is not None
        assert event.actor_id == org["owner_id"]
        assert event.object_id == org["id"]
        assert db.session.scalar(select(Challenge.created_by_id).limit(1)) == org["owner_id"]
    assert "Imported so far" in page
    assert "Uden organisation" in page

    # Sending the reference again imports nothing twice: every line is already in the archive.
    again = client.post(f"/organisations/{org['slug']}/archive/import",
                        data={"csrf_token": csrf_from(client, "/"), "checked": reference})
    assert again.status_code == 302
    assert "0 challenges were imported" in html_of(client.get(again.headers["Location"]))
    assert count(app) == 2


def test_the_checked_reference_is_bound_to_the_user_organisation_and_time(app: Flask, make_org, make_user, login,
                                                                           logout, client: FlaskClient) -> None:
    org, other = make_org(), make_org()
    admin = "admin-bound@example.org"
    make_user(admin, admin=True)
    login(org["owner"])
    reference = _checked(html_of(_upload(client, org["slug"], jsonl(line(org["slug"])))))

    def send(slug: str, value: str) -> Any:
        return client.post(f"/organisations/{slug}/archive/import",
                           data={"csrf_token": csrf_from(client, "/"), "checked": value})

    assert send(org["slug"], reference[:-3] + "abc").status_code == 400  # tampered
    logout()
    login(other["owner"])
    assert send(other["slug"], reference).status_code == 400  # another organisation's page
    logout()
    login(admin)
    assert send(org["slug"], reference).status_code == 400  # another user
    logout()
    clock.advance(timedelta(hours=2))
    login(org["owner"])
    expired = send(org["slug"], reference)
    assert expired.status_code == 400
    assert "more than an hour old" in html_of(expired)
    assert count(app) == 0


def test_the_checked_file_must_still_be_there_unchanged(app: Flask, make_org, login, client: FlaskClient) -> None:
    from app.core.files import document_path

    org = make_org()
    login(org["owner"])
    data = jsonl(line(org["slug"]))
    reference = _checked(html_of(_upload(client, org["slug"], data)))
    path = document_path(app.config["UPLOAD_DIR"], hashlib.sha256(data).hexdigest())
    assert path.read_bytes() == data
    path.write_bytes(data.replace(b"2022-02-01", b"2021-02-01"))  # changed behind our back
    response = client.post(f"/organisations/{org['slug']}/archive/import",
                           data={"csrf_token": csrf_from(client, "/"), "checked": reference})
    assert response.status_code == 410
    assert "no longer here" in html_of(response)
    assert count(app) == 0


def test_the_upload_needs_a_file_and_refuses_empty_and_large_ones(app: Flask, make_org, login,
                                                                  client: FlaskClient) -> None:
    org = make_org()
    login(org["owner"])
    url = f"/organisations/{org['slug']}/archive/check"
    nothing = client.post(url, data={"csrf_token": csrf_from(client, "/")}, content_type="multipart/form-data")
    assert nothing.status_code == 400
    html = html_of(nothing)
    assert 'href="#file"' in html
    assert 'aria-describedby="file-hint file-error"' in html
    assert "Choose a JSONL file to check." in html
    empty = _upload(client, org["slug"], b"\n\n")
    assert empty.status_code == 400
    assert "The file is empty." in html_of(empty)
    app.config["ARCHIVE_UPLOAD_MAX_BYTES"] = 1024 * 1024
    started = time.perf_counter()
    big = _upload(client, org["slug"], b"x" * (1024 * 1024 + 10))
    assert big.status_code == 413
    assert "larger than 1 MB" in html_of(big)
    huge = _upload(client, org["slug"], b"x" * (3 * 1024 * 1024))
    assert huge.status_code == 413  # stopped before the form is read (S34)
    assert time.perf_counter() - started < 10
    assert count(app) == 0


def test_the_upload_and_import_need_a_csrf_token(app: Flask, make_org, login, client: FlaskClient) -> None:
    """S23"""
    org = make_org()
    login(org["owner"])
    data = jsonl(line(org["slug"]))
    response = _upload(client, org["slug"], data, token="")
    assert response.status_code == 400
    assert "sent from another site" in html_of(response)
    reference = _checked(html_of(_upload(client, org["slug"], data)))
    response = client.post(f"/organisations/{org['slug']}/archive/import", data={"checked": reference})
    assert response.status_code == 400
    assert "sent from another site" in html_of(response)
    assert count(app) == 0


# ---------------------------------------------------------------- S28: script in every field is inert
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


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_every_field_is_rendered_inert(app: Flask, make_org, login, client: FlaskClient) -> None:
    """S28: title, summary, body, tags, winners, the original URL and the file name, on every page showing them."""
    org = make_org()
    login(org["owner"])
    evil = line(org["slug"], title=f"Bins {XSS}", summary=f"Sum {XSS}",
                body_md=f"{XSS}\n\n[click](javascript:alert(2)) <a href=\"javascript:alert(3)\">a</a>",
                tags=["<b onmouseover=alert(4)>tag</b>"], winners=[f"Winner {XSS}"],
                url='https://example.org/"><script>alert(5)</script>')
    refused = line(org["slug"], title=f"Refused {XSS}", language=f"{XSS}", organisation=f"x{XSS}")
    checked = _upload(client, org["slug"], jsonl(evil, refused), name=f'{XSS}.jsonl')
    assert checked.status_code == 200
    pages = {"check": html_of(checked)}
    client.post(f"/organisations/{org['slug']}/archive/import",
                data={"csrf_token": csrf_from(client, "/"), "checked": _checked(pages["check"])})
    (row,) = imported(app)
    pages["detail"] = html_of(client.get(f"/challenges/{row.slug}"))
    pages["list"] = html_of(client.get("/challenges/?status=archived"))
    pages["organisation"] = html_of(client.get(f"/organisations/{org['slug']}"))
    pages["archive page"] = html_of(client.get(f"/organisations/{org['slug']}/archive"))
    for name, html in pages.items():
        parser = _Scripts()
        parser.feed(html)
        assert parser.bad == [], (name, parser.bad)
        assert "<script>alert" not in html, name
    assert "&lt;script&gt;alert" in pages["detail"]


def test_the_staff_pages_of_an_imported_challenge_render(app: Flask, make_org, login, client: FlaskClient) -> None:
    """No rubric, no concepts, no timeline after the deadline: the manage and edit pages still work."""
    org = make_org()
    with app.test_request_context():
        plan = import_archive(stream=io.BytesIO(jsonl(line(org["slug"]))), by=None, now=clock.now(), source="t")
        slug = plan.created[0].slug
        db.session.commit()
    login(org["owner"])
    for url in (f"/challenges/{slug}", f"/challenges/{slug}/manage", f"/challenges/{slug}/edit",
                f"/organisations/{org['slug']}/dashboard"):
        assert client.get(url).status_code == 200, url
    assert "Færre fejlsorteringer i affaldsrummet" in html_of(client.get(f"/organisations/{org['slug']}/dashboard"))
