"""Twenty identical sheet submits at once make one sheet, and twenty identical ballots one ballot
(S22), against the threaded live server, on SQLite and PostgreSQL."""
from __future__ import annotations

import http.client
import re
import threading
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JudgingRound, JurySeat, RankingBallot, RoundMethod, Score, ScoreSheet

pytestmark = pytest.mark.both_databases

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCK_RE = re.compile(r'name="lock_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="lock_version"')
RACERS = 20


class Browser:
    """A minimal cookie-keeping HTTP client (one connection per request, so threads share nothing)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers), text
        finally:
            conn.close()


def _signed_in(live_server: str, email: str) -> Browser:
    browser = Browser(live_server)
    _, _, page = browser.request("GET", "/account/login")
    status, _, _ = browser.request("POST", "/account/login", {"csrf_token": CSRF_RE.search(page).group(1),
                                                               "email": email, "password": PASSWORD})
    assert status == 302
    return browser


def _race(live_server: str, browser: Browser, path: str, form: dict[str, str]) -> list[Any]:
    barrier = threading.Barrier(RACERS)
    results: list[Any] = []
    lock = threading.Lock()

    def racer() -> None:
        mine = Browser(live_server)
        mine.cookies = dict(browser.cookies)  # the same session, like a double-clicking browser
        try:
            barrier.wait(timeout=20)
            status, headers, _ = mine.request("POST", path, form)
            outcome: Any = (status, headers.get("Location", ""))
        except Exception as exc:  # noqa: BLE001  reported below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return results


def _ready(app, j: dict, email: str) -> None:
    with app.app_context():
        db.session.get(JurySeat, j["seat_ids"][email]).conflicts_declared_at = utcnow()
        db.session.commit()


def test_twenty_identical_sheet_submits_make_one_sheet(app, live_server, make_judging) -> None:
    """S22: twenty identical submits of a new sheet at once: every response is the redirect to the
    sheet, one ScoreSheet row, one score per criterion, submitted."""
    j = make_judging()
    juror = j["jurors"][0]
    _ready(app, j, juror)
    with app.app_context():
        cids = [c.id for c in db.session.get(JudgingRound, j["round_id"]).criteria()]
    label = j["labels"][j["concepts"][0]["id"]]
    path = f"/challenges/{j['slug']}/jury/rounds/1/{label}"
    browser = _signed_in(live_server, juror)
    _, _, page = browser.request("GET", path)
    lock = LOCK_RE.search(page)
    form = {"csrf_token": CSRF_RE.search(page).group(1), "lock_version": lock.group(1) or lock.group(2),
            "action": "submit", **{f"score_{cid}": "3" for cid in cids}, "overall_comment": "Same"}
    results = _race(live_server, browser, path, form)
    assert len(results) == RACERS
    assert all(isinstance(r, tuple) for r in results), results
    assert {r[0] for r in results} == {303}, results
    assert {urlsplit(r[1]).path for r in results} == {path}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 1
        assert db.session.scalar(select(func.count()).select_from(Score)) == len(cids)
        sheet = db.session.scalar(select(ScoreSheet))
        assert sheet.state == "submitted"
        assert sheet.lock_version == 1


def test_twenty_identical_ballots_make_one_ballot(app, live_server, make_judging) -> None:
    """S22: one ranking ballot per juror and round, whatever the number of identical submits."""
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    _ready(app, j, juror)
    with app.app_context():
        db.session.get(JudgingRound, j["round_id"]).method = RoundMethod.RANKING
        db.session.commit()
    path = f"/challenges/{j['slug']}/jury/rounds/1/ranking"
    browser = _signed_in(live_server, juror)
    _, _, page = browser.request("GET", path)
    lock = LOCK_RE.search(page)
    labels = sorted(j["labels"].values())
    form = {"csrf_token": CSRF_RE.search(page).group(1), "lock_version": lock.group(1) or lock.group(2),
            "action": "submit", **{f"rank_{label}": str(i) for i, label in enumerate(labels, 1)}}
    results = _race(live_server, browser, path, form)
    assert all(isinstance(r, tuple) for r in results), results
    assert {r[0] for r in results} == {303}, results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RankingBallot)) == 1
        ballot = db.session.scalar(select(RankingBallot))
        assert ballot.state == "submitted"
        assert sorted(ballot.ranks.values()) == [1, 2, 3]
