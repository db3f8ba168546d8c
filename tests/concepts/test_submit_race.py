"""Twenty identical submits at once give one version, one set of receipts, and the same receipt
for every response (S22, R04), against the threaded live server on SQLite and PostgreSQL."""
from __future__ import annotations

import http.client
import re
import threading
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from app.concepts.models import Concept, ConceptState, ConceptVersion
from app.db import db
from app.mail.models import OutboxMessage

# On SQLite and PostgreSQL: locking and the unique-constraint backstop under concurrency.
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


def test_twenty_identical_submits_at_once_make_one_version(app, live_server, make_concept) -> None:
    made = make_concept("draft", members=2)
    browser = Browser(live_server)
    _, _, page = browser.request("GET", "/account/login")
    status, _, _ = browser.request("POST", "/account/login", {"csrf_token": CSRF_RE.search(page).group(1),
                                                               "email": made["owner"], "password": PASSWORD})
    assert status == 302
    _, _, page = browser.request("GET", f"/concepts/{made['id']}/submit")
    lock = LOCK_RE.search(page)
    form = {"csrf_token": CSRF_RE.search(page).group(1), "lock_version": lock.group(1) or lock.group(2),
            "licence": "cc-by-4.0", "confirm_eligible": "y", "confirm_terms": "y"}

    barrier = threading.Barrier(RACERS)
    results: list[Any] = []
    lock_results = threading.Lock()

    def racer() -> None:
        mine = Browser(live_server)
        mine.cookies = dict(browser.cookies)  # the same logged-in session, like a double-clicking browser
        try:
            barrier.wait(timeout=20)
            status, headers, _ = mine.request("POST", f"/concepts/{made['id']}/submit", form)
            outcome: Any = (status, headers.get("Location", ""))
        except Exception as exc:  # noqa: BLE001  reported below
            outcome = exc
        with lock_results:
            results.append(outcome)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)

    assert len(results) == RACERS
    assert all(isinstance(r, tuple) for r in results), results
    statuses = {r[0] for r in results}
    locations = {urlsplit(r[1]).path for r in results}
    assert statuses == {302}, results
    assert locations == {f"/concepts/{made['id']}/versions/1"}  # every response: the same receipt
    with app.app_context():
        versions = db.session.scalar(select(func.count()).select_from(ConceptVersion)
                                     .where(ConceptVersion.concept_id == made["id"]))
        assert versions == 1
        concept = db.session.get(Concept, made["id"])
        assert concept.state == ConceptState.SUBMITTED
        assert concept.submitted_version_no == 1
        assert concept.lock_version == int(form["lock_version"]) + 1
        receipts = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.template == "concepts/receipt"))
        assert receipts == 2  # one per member, not one per request
