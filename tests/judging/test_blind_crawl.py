"""Blind judging (S19, S38, P09): a juror of a blind challenge never meets who is behind a concept.

The test logs in as each juror of a blind challenge (the chair too), follows every link of the
jury area it can reach from the juror's home and the challenge page (pages, files, exports), and
reads every email a juror receives; it fails on any member's name, email, institution, profile
link or the team's name, in bodies, headers (file names), and file bytes.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers_table import everyone, submit_sheets

from app.accounts.models import User
from app.challenges.tasks import tick
from app.concepts.models import Concept, ConceptMember
from app.core.timeutil import clock, utcnow
from app.db import db
from app.judging.models import JudgingRound, JurySeat

pytestmark = pytest.mark.both_databases


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.links.append(a["action"] or "")


def _identities(app: Flask, built: dict[str, Any]) -> list[str]:
    """Every string a blind juror must never see: names, emails, local parts, institutions,
    profile links and team names of every member of every entry."""
    found: set[str] = set()
    with app.app_context():
        for made in built["concepts"]:
            concept = db.session.get(Concept, made["id"])
            assert concept is not None
            if concept.team_name:
                found.add(concept.team_name)
            for member in db.session.query(ConceptMember).filter_by(concept_id=concept.id):
                user = db.session.get(User, member.user_id)
                assert user is not None
                found.update({user.display_name, user.email, user.email.split("@")[0]})
                if user.institution:
                    found.add(user.institution)
                found.update(user.links or [])
    return sorted(found)


def _make_identifiable(app: Flask, built: dict[str, Any]) -> None:
    """Give every member an institution and a profile link, so there is something to leak."""
    with app.app_context():
        for i, made in enumerate(built["concepts"]):
            for uid in made["member_ids"]:
                user = db.session.get(User, uid)
                assert user is not None
                user.institution = f"Hemlighetsfulla Akademien {i}{uid}"
                user.links = [f"https://example.net/profile-{uid}"]
        for seat in db.session.query(JurySeat).filter_by(challenge_id=built["challenge"]["id"]):
            seat.conflicts_declared_at = utcnow()
        db.session.commit()


def crawl(client: FlaskClient, starts: list[str], inside: Callable[[str], bool],
          limit: int = 400) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """GET every same-site link reachable from `starts` whose path `inside` accepts."""
    seen: dict[str, tuple[int, dict[str, str], bytes]] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        body = response.get_data()
        seen[url] = (response.status_code, dict(response.headers), body)
        if response.mimetype == "text/html":
            parser = _Links()
            parser.feed(body.decode("utf-8", "replace"))
            for href in parser.links:
                target = urljoin(url, href)
                parts = urlsplit(target)
                if parts.netloc and parts.netloc != "localhost":
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if inside(parts.path) and path not in seen:
                    queue.append(path)
        elif response.status_code in (301, 302, 303) and "Location" in response.headers:
            location = urlsplit(response.headers["Location"])
            if inside(location.path):
                queue.append(location.path + (f"?{location.query}" if location.query else ""))
    return seen


def _readable(body: bytes, headers: dict[str, str]) -> bytes:
    """The text a reader could see: an XLSX is a zip of XML parts, searched part by part."""
    if headers.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"\n".join(archive.read(name) for name in archive.namelist())
    return body


def _leaks(hidden: list[str], where: str, blob: bytes | str) -> list[str]:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    lowered = text.lower()
    return [f"{where}: {s!r}" for s in hidden if s and s.lower() in lowered]


@pytest.mark.parametrize("who", ["juror", "chair"])
def test_a_blind_jurors_pages_files_and_exports_name_nobody(
        app: Flask, make_judging: Callable[..., dict[str, Any]], login: Callable[..., Any],
        client: FlaskClient, who: str) -> None:
    """S19, S38: every page, file and export a juror of a blind challenge can reach."""
    built = make_judging(concepts=3, jurors=2, blind=True, members=2)
    _make_identifiable(app, built)
    hidden = _identities(app, built)
    # Every juror has scored every entry, so the other jurors' scores, the table, the charts and
    # the exports are all there to read.
    submit_sheets(app, built, {(email, i): [4, 3] for email in everyone(built) for i in range(3)})
    email = built["chair"] if who == "chair" else built["jurors"][0]
    login(email)
    slug = built["slug"]
    area = re.compile(rf"^(/jury($|/)|/challenges/{re.escape(slug)}/jury)")
    base = f"/challenges/{slug}/jury"
    starts = ["/jury", f"{base}/rounds/1", f"{base}/conflicts", f"{base}/me"]
    if who == "chair":
        starts += [f"{base}/table", f"{base}/table?basis=calibrated", f"{base}/table.csv", f"{base}/table.xlsx",
                   f"{base}/progress", f"{base}/rounds", f"{base}/conflicts/review", f"{base}/decision",
                   f"{base}/rounds/1/assignment"]
    seen = crawl(client, starts, lambda p: bool(area.match(p)))
    problems = []
    for url, (status, headers, body) in seen.items():
        assert status < 500, url
        problems += _leaks(hidden, url, _readable(body, headers))
        problems += _leaks(hidden, f"{url} headers", " ".join(f"{k}: {v}" for k, v in headers.items()))
    assert problems == []
    ok = [u for u, (status, _h, _b) in seen.items() if status == 200]
    if who == "chair":
        for page in starts:
            assert seen[page][0] == 200, page
    # The crawl really reached the jury's pages: home, the round, every sheet.
    for made in built["concepts"]:
        assert any(built["labels"][made["id"]] in u for u in ok), (built["labels"][made["id"]], ok)


def test_every_email_a_blind_juror_receives_names_nobody(
        app: Flask, make_judging: Callable[..., dict[str, Any]], login: Callable[..., Any],
        post_form: Callable[..., Any], logout: Callable[[], None], send_outbox: Callable[[], int],
        smtp_sink: Any) -> None:
    """S19: the invitation, the deadline reminders and the chair's reminder to jurors of a blind
    challenge, read in the SMTP sink, name no team, member or institution."""
    built = make_judging(concepts=3, jurors=2, blind=True, members=2)
    _make_identifiable(app, built)
    hidden = _identities(app, built)
    slug = built["slug"]
    with app.app_context():
        rnd = db.session.get(JudgingRound, built["round_id"])
        assert rnd is not None
        deadline = rnd.deadline_at
    # Staff invite one more juror; the chair reminds everyone; the clock brings both reminders.
    login(built["staff"])
    invited = post_form(f"/challenges/{slug}/jury/invite", {"email": "newjuror@example.net"},
                        page=f"/challenges/{slug}/jury")
    assert invited.status_code in (302, 303)
    logout()
    login(built["chair"])
    reminded = post_form(f"/challenges/{slug}/jury/progress/remind-everyone", {"round": 1},
                         page=f"/challenges/{slug}/jury/progress")
    assert reminded.status_code in (302, 303)
    try:
        for before in (timedelta(days=6), timedelta(hours=20)):
            clock.set(deadline - before)
            tick(app)
            send_outbox()  # at the clock's time: the queued mail is due then
    finally:
        clock.reset()
    send_outbox()
    jurors = [built["chair"], *built["jurors"], "newjuror@example.net"]
    received = [m for address in jurors for m in smtp_sink.to(address)]
    # The invitation; the chair's reminder and the clock's two to every juror with sheets left.
    assert len(received) == 1 + 3 * len(everyone(built))
    problems = []
    for message in received:
        text = f"{message['Subject']}\n{smtp_sink.text_of(message)}"
        for part in message.walk():
            if part.get_content_type() == "text/html":
                text += part.get_content()
        problems += _leaks(hidden, f"email {message['Subject']!r} to {message['To']}", text)
    assert problems == []


def test_the_crawl_finds_identities_where_judging_is_not_blind(
        app: Flask, make_judging: Callable[..., dict[str, Any]], login: Callable[..., Any],
        client: FlaskClient) -> None:
    """The check above can fail: the same crawl over an open (not blind) jury finds the teams."""
    built = make_judging(concepts=2, jurors=1, blind=False, members=2)
    _make_identifiable(app, built)
    hidden = _identities(app, built)
    login(built["chair"])
    slug = built["slug"]
    area = re.compile(rf"^(/jury($|/)|/challenges/{re.escape(slug)}/jury)")
    seen = crawl(client, ["/jury", f"/challenges/{slug}/jury/rounds/1"], lambda p: bool(area.match(p)))
    found = [leak for url, (_s, headers, body) in seen.items() for leak in _leaks(hidden, url, _readable(body, headers))]
    assert found
