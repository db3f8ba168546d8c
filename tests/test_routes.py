"""Cross-cutting checks over every route in app.url_map, so a route added tomorrow is covered today.

S16 complete mediation, S23 CSRF on every state-changing method, S24 no state change on GET,
S25 security headers, P06 one cookie and no third-party requests, A02/A11 a static accessibility
lint of every page. The crawl fills URL arguments from seeded data (the demo content plus an
invitation, an outbox row and an audit event) and fake tokens.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from app import create_app
from app.core.audit import record_event
from app.core.timeutil import utcnow
from app.db import db
from app.demo import DEMO_PASSWORD, load_demo
from app.mail.models import OutboxMessage, OutboxStatus
from app.organisations.models import Invitation, Membership, Role
from app.organisations.services import token_hash as invitation_token_hash
from app.search import indexing

# S16: every endpoint an anonymous visitor may use, and why. Anything else must refuse an
# anonymous request (302 to the login page, 401, 403, 404, or 405 for a method it lacks).
PUBLIC: dict[str, str] = {
    "static": "the site's own CSS and JavaScript",
    "pages.home": "the front page",
    "pages.accessibility": "the accessibility statement must be reachable by everyone (A11)",
    "pages.privacy": "the privacy notice must be readable before signing up (P07)",
    "pages.terms": "the terms must be readable before signing up (P04)",
    "pages.favicon": "the site's icon",
    "pages.healthz": "monitoring probe; reveals only ok/degraded flags and counts (R13)",
    "pages.set_language": "anyone may choose the language; it changes only their session or own profile",
    "accounts.login": "the way in",
    "accounts.signup": "the way to get an account",
    "accounts.signup_sent": "'check your inbox' page after sign-up; shows no account data",
    "accounts.forgot_password": "password reset request; answers the same for any address (S05)",
    "accounts.forgot_password_sent": "'check your inbox' page after a reset request",
    "accounts.reset_password": "the emailed token is the credential (S07)",
    "accounts.verify_email": "the emailed token is the credential (S07)",
    "accounts.confirm_email_change": "the emailed token is the credential; re-authentication happened "
                                     "when the change was asked for (S04, S07)",
    "accounts.logout": "harmless for an anonymous visitor: there is no session to end",
    "organisations.index": "public list of approved organisations",
    "organisations.detail": "public page of an approved organisation, with its controller contact (P07)",
    "organisations.logo": "public logo of an approved organisation",
    "organisations.invitation": "the emailed token is the credential; accepting needs an account",
    "challenges.index": "public list of published challenges; drafts never listed",
    "challenges.detail": "public challenge page; a draft is 404 except for its organisation's staff",
    "challenges.cover": "cover image of a challenge the visitor may see (same check as the page)",
    "challenges.attachment": "briefing file of a challenge the visitor may see; permission re-checked "
                             "on every fetch, drafts 404 (S37)",
    # Issue 5, part B: team invitation links from email.
    "concepts.team_invitation": "the emailed token is the credential; unknown tokens 404, accepting needs an account",
    # Issue 10, the jury: invitation links from email.
    "judging.invitation": "the emailed token is the credential (S07); unknown tokens 404, used ones 410, "
                          "accepting needs an account",
    # Issue 5, part E2: published concepts after results; 404 for anything public_level() refuses.
    "concepts.published": "list of a challenge's published concepts after results (licence and setting respected)",
    "concepts.public": "one published concept after results: its counting version, consenting names only (P08)",
    "concepts.public_file": "file of a published concept under an open licence; re-checked per fetch (S37)",
    "concepts.public_cover": "cover image of a published concept under an open licence",
    # Issue 10, D2: the latest winners across the platform (final decisions of public challenges only).
    "judging.winners": "public list of published winners; names only with consent (P08)",
    "search.search": "public archive search; documents.py decides what the index holds (S32)",
    # Issue 11, item 9: open data, the same public index as the search page.
    "feeds.search_atom": "Atom feed of a saved search: only what the public index holds (S32)",
    "api.search": "open-data JSON of the public search, the same results as /search (S32)",
    "api.search_schema": "the JSON Schema of the search API's answers",
    "api.not_found": "a JSON 404 for any other address under /api/v1",
    "feeds.challenges_atom": "Atom feed of published challenges; drafts never appear",
    "feeds.organisation_atom": "Atom feed of an approved organisation's published challenges",
    "feeds.tag_atom": "Atom feed of published challenges with a topic",
    "feeds.deadlines_ics": "iCalendar of public deadlines; drafts never appear",
    "feeds.challenge_ics": "iCalendar of one public challenge's dates; 404 for drafts",
}
# Public only in demo mode (the local mailbox of `make run`); 404 otherwise, as in these tests.
DEMO_ONLY = {"mail.mailbox", "mail.mailbox_message"}

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
FAKE_TOKEN = "not-a-real-token.abc123"
INVITE_TOKEN = "seeded-invitation-token-for-the-crawl"
# Arguments that differ per endpoint: a live invitation, so its pages are crawled for real.
ENDPOINT_VALUES: dict[str, dict[str, Any]] = {
    "organisations.invitation": {"token": INVITE_TOKEN},
    "organisations.accept_invitation": {"token": INVITE_TOKEN},
    "organisations.decline_invitation": {"token": INVITE_TOKEN},
}


# ---------------------------------------------------------------- seeding and crawling
@dataclass
class Seeds:
    values: dict[str, Any]
    admin: str
    owner: str  # owner of the organisation whose slug the crawl uses
    student: str
    challenge_owner: str  # owner of the organisation posting the challenge the crawl uses
    chair: str  # chair of that challenge's jury
    juror: str  # a juror (not the chair) of it


# Rules under /challenges/<slug> get a real challenge: the demo's blind challenge in judging, so
# that its pages (the jury's among them) are rendered for real, not 404 for an unknown slug.
CHALLENGE_SLUG = "fran-skolbank-till-arbetsliv"


def _seed(app: Flask) -> Seeds:
    with app.app_context():
        ctx = load_demo()
        fjordvik = ctx.orgs["fjordvik"]
        pending = ctx.orgs["nordhavn"]
        editor = db.session.scalar(select(Membership).where(Membership.organisation_id == fjordvik.id,
                                                            Membership.role == Role.EDITOR))
        invitation = Invitation(organisation_id=fjordvik.id, email="invitee@example.org", role=Role.EDITOR,
                                token_hash=invitation_token_hash(INVITE_TOKEN), invited_by_id=ctx.users["ingrid"].id,
                                created_at=utcnow(), expires_at=utcnow() + timedelta(days=7))
        message = OutboxMessage(to_addr="freja@demo.example.org", subject="Hello", body_text="Hello",
                                template="seed", status=OutboxStatus.FAILED, created_at=utcnow(),
                                next_attempt_at=utcnow())
        db.session.add_all([invitation, message])
        db.session.flush()
        event = record_event(actor=ctx.users["admin"], action="seed", object_type="organisation",
                             object_id=fjordvik.id)
        db.session.flush()
        values = {
            "slug": fjordvik.slug, "organisation_id": fjordvik.id, "org_id": pending.id,
            "user_id": ctx.users["freja"].id, "membership_id": editor.id if editor else 1,
            "invitation_id": invitation.id, "message_id": message.id, "event_id": event.id,
            "token": FAKE_TOKEN, "filename": "css/app.css", "number": 1, "label": "C-001",
        }
        db.session.commit()
        return Seeds(values=values, admin=ctx.users["admin"].email, owner=ctx.users["ingrid"].email,
                     student=ctx.users["freja"].email, challenge_owner=ctx.users["karin"].email,
                     chair=ctx.users["ulla"].email, juror=ctx.users["anders"].email)


# The demo and the rows above take seconds to write, and a dozen tests here (and the route
# inventory's reflow test) start from them: on SQLite each worker seeds once, into a directory of
# its own, and every test that asks for `seeds` starts from a copy of that database and its files
# (uploads, index), as it starts from a copy of the migrated database (tests/conftest.py). The
# PostgreSQL variant, if a test ever runs one, seeds its own.
_SEEDED: dict[str, tuple[Path, Seeds]] = {}
_SEEDED_DIRS = ("SEARCH_INDEX_DIR", "UPLOAD_DIR", "MAILBOX_DIR")


def _seeded_copy(config: dict[str, Any], template: Path, factory: pytest.TempPathFactory) -> tuple[Path, Seeds]:
    key = str(template)
    if key not in _SEEDED:
        where = factory.mktemp("seeded")
        shutil.copyfile(template, where / "test.sqlite")
        config = {**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{where / 'test.sqlite'}",
                  **{name: str(where / name.lower()) for name in _SEEDED_DIRS}}
        seeded_app = create_app(config)
        made = _seed(seeded_app)
        indexing.forget_backend(seeded_app)
        with seeded_app.app_context():
            db.session.remove()
            db.engine.dispose()
        _SEEDED[key] = (where, made)
    return _SEEDED[key]


@pytest.fixture
def app_config(app_config: dict[str, Any], database: dict[str, Any], request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """For a test that uses `seeds` on SQLite: its database and files are a copy of the seeded ones."""
    if "seeds" in request.fixturenames and database["kind"] == "sqlite":
        where, _ = _seeded_copy(app_config, database["template"], tmp_path_factory)
        shutil.copyfile(where / "test.sqlite", app_config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        for name in _SEEDED_DIRS:
            if (where / name.lower()).exists():
                shutil.copytree(where / name.lower(), app_config[name], dirs_exist_ok=True)
    return app_config


@pytest.fixture
def seeds(app: Flask, database: dict[str, Any]) -> Seeds:
    if database["kind"] == "sqlite":
        return _SEEDED[str(database["template"])][1]
    return _seed(app)


@dataclass(frozen=True)
class Target:
    endpoint: str
    url: str
    methods: frozenset[str]


def _value(rule: Rule, name: str, seeds: Seeds) -> Any:
    if name in ENDPOINT_VALUES.get(rule.endpoint, {}):
        return ENDPOINT_VALUES[rule.endpoint][name]
    if name == "slug" and rule.rule.startswith("/challenges/<slug>"):
        return CHALLENGE_SLUG
    if name in seeds.values:
        return seeds.values[name]
    if isinstance(rule._converters.get(name), IntegerConverter) or name.endswith("_id"):
        return 1
    return "x"


def targets(app: Flask, seeds: Seeds) -> list[Target]:
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            values = {name: _value(rule, name, seeds) for name in rule.arguments}
            url = url_for(rule.endpoint, **values)
            found.append(Target(rule.endpoint, url, frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return sorted(found, key=lambda t: t.url)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(client: FlaskClient) -> str:
    # Public pages carry no token for readers who are not logged in (issue 13): the login form does.
    match = CSRF_RE.search(client.get("/").get_data(as_text=True)) \
        or CSRF_RE.search(client.get("/account/login").get_data(as_text=True))
    assert match
    return match.group(1)


def sign_in(app: Flask, email: str, password: str = DEMO_PASSWORD) -> tuple[FlaskClient, list[TestResponse]]:
    """A new client logged in through the real form; also returns the responses seen on the way."""
    client = app.test_client()
    page = client.get("/account/login")
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, "no login form"
    response = client.post("/account/login", data={"email": email, "password": password,
                                                   "csrf_token": match.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client, [page, response]


def crawl_get(client: FlaskClient, app: Flask, seeds: Seeds, **headers: str) -> Iterator[tuple[Target, TestResponse]]:
    for target in targets(app, seeds):
        if "GET" in target.methods:
            response = client.get(target.url, headers=headers)
            response.get_data()  # buffer it, then release files (static) at once
            response.close()
            yield target, response


def is_html(response: TestResponse) -> bool:
    return response.mimetype == "text/html"


# ---------------------------------------------------------------- S16
def _refused(app: Flask, response: TestResponse, method: str, allowed: frozenset[str]) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 405:
        return method not in allowed
    if response.status_code in (302, 303):
        with app.test_request_context():
            login = url_for("accounts.login")
        return urlsplit(response.headers["Location"]).path == login
    return False


def test_allowlist_names_only_existing_endpoints(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC) - endpoints == set(), "stale PUBLIC entries: remove them"
    assert DEMO_ONLY - endpoints == set()


def anonymous_access_problems(app: Flask, seeds: Seeds) -> list[str]:
    client = app.test_client()
    token = csrf_of(client)
    problems = []
    for target in targets(app, seeds):
        if target.endpoint in PUBLIC:
            continue
        for method in ("GET", *UNSAFE):
            if method not in target.methods and method != "GET":
                continue
            data = {"csrf_token": token} if method != "GET" else None
            response = client.open(target.url, method=method, data=data)
            if not _refused(app, response, method, target.methods):
                problems.append(f"{method} {target.url} ({target.endpoint}) -> {response.status_code}")
    return problems


def test_every_route_is_public_or_refuses_anonymous_users(app, seeds) -> None:
    # S16: a new route without an access check fails here the day it is written.
    problems = anonymous_access_problems(app, seeds)
    assert problems == [], "reachable anonymously but not in PUBLIC:\n" + "\n".join(problems)


def test_a_route_without_a_check_is_caught(app, seeds) -> None:
    # S16: the crawl itself works: a route someone forgot to protect is reported.
    @app.route("/_test/leaky/<int:user_id>", methods=["GET", "POST"])
    def _leaky(user_id: int) -> str:
        return "all the data"

    problems = anonymous_access_problems(app, seeds)
    assert any(p.startswith("GET /_test/leaky/") for p in problems)
    assert any(p.startswith("POST /_test/leaky/") for p in problems)


# What a public GET of the crawl answers an anonymous visitor when it is not a 200 page, and why.
# The crawl fills `slug` with the organisation's, so challenge-level pages find no challenge.
PUBLIC_NOT_200: dict[str, int] = {
    "accounts.reset_password": 400,        # a fake token: the "this link is not valid" page
    "accounts.verify_email": 400,
    "accounts.confirm_email_change": 400,
    "concepts.team_invitation": 404,       # unknown team invitation tokens are 404
    "judging.invitation": 404,             # unknown jury invitation tokens are 404
    "challenges.cover": 404,               # the crawl's challenge (in judging) has no cover image
    "challenges.attachment": 404,          # nor a briefing file with id 1
    "concepts.published": 404,             # nothing is published before the results
    "concepts.public": 404,
    "concepts.public_file": 404,
    "concepts.public_cover": 404,
    "feeds.tag_atom": 404,                 # no topic "x"
    "api.not_found": 404,                  # /api/v1/x is no API address
    "organisations.logo": 404,             # the demo organisation has no logo
}


def test_public_routes_answer_anonymous_users_without_error(app, seeds) -> None:
    client = app.test_client()
    seen = set()
    for target, response in crawl_get(client, app, seeds):
        if target.endpoint in PUBLIC:
            seen.add(target.endpoint)
            assert response.status_code == PUBLIC_NOT_200.get(target.endpoint, 200), target
    public_gets = {rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.endpoint in PUBLIC and "GET" in (rule.methods or ())}
    assert seen == public_gets  # every public GET route was crawled
    assert set(PUBLIC_NOT_200) <= seen


# ---------------------------------------------------------------- S23
def _unsafe_targets(app: Flask, seeds: Seeds) -> list[tuple[Target, str]]:
    return [(t, m) for t in targets(app, seeds) for m in UNSAFE if m in t.methods]


def csrf_problems(client: FlaskClient, app: Flask, seeds: Seeds) -> tuple[int, list[str]]:
    checked, problems = 0, []
    for target, method in _unsafe_targets(app, seeds):
        for kwargs in ({"data": {"anything": "1"}}, {"json": {"anything": 1}}, {}):
            response = client.open(target.url, method=method, **kwargs)
            if response.status_code != 400 or "sent from another site" not in response.get_data(as_text=True):
                problems.append(f"{method} {target.url} {list(kwargs)} -> {response.status_code}")
        checked += 1
    return checked, problems


def test_every_state_change_needs_a_csrf_token_anonymous(app, seeds) -> None:
    # S23
    checked, problems = csrf_problems(app.test_client(), app, seeds)
    assert problems == []
    assert checked >= 3


def test_every_state_change_needs_a_csrf_token_logged_in(app, seeds) -> None:
    # S23: as the most privileged user, so no check hides behind a 403.
    client, _ = sign_in(app, seeds.admin)
    checked, problems = csrf_problems(client, app, seeds)
    assert problems == []
    assert checked >= 3
    assert client.get("/account/").status_code == 200  # still logged in: nothing was done


def test_a_csrf_exempt_route_is_caught(app, seeds) -> None:
    # S23: the check itself works.
    from app.extensions import csrf

    @app.route("/_test/exempt", methods=["POST"])
    @csrf.exempt
    def _exempt() -> str:
        return "changed"

    _, problems = csrf_problems(app.test_client(), app, seeds)
    assert any("/_test/exempt" in p for p in problems)


# ---------------------------------------------------------------- S24
# Audit actions that record a read (P10): an export, a juror's opening of a concept or a file.
READ_RECORD = re.compile(r"(\.export(_\w+)?|_opened)$")


def snapshot(app: Flask) -> dict[str, str]:
    """Row count and a digest of the content of every table (the outbox included)."""
    result = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            rows = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}')).all()
            if table.name == "audit_events":
                # P10 asks for a record of every read of submissions and every export: those rows
                # are the one thing a GET writes (and only those).
                rows = [row for row in rows if not READ_RECORD.search(row._mapping["action"])]
            result[table.name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
        db.session.remove()
    return result


def test_get_requests_change_nothing(app, seeds) -> None:
    # S24
    before = snapshot(app)
    seen = 0
    for _target, _response in crawl_get(app.test_client(), app, seeds):
        seen += 1
    assert snapshot(app) == before, "an anonymous GET changed the database"
    for email in (seeds.admin, seeds.owner, seeds.challenge_owner, seeds.chair, seeds.juror):
        client, _ = sign_in(app, email)
        before = snapshot(app)
        for target, response in crawl_get(client, app, seeds):
            # A page (200), a refusal (403, or 404 for ids the crawl guessed), a bad-token page (400,
            # only for the fake tokens), or a redirect that is not to the login page (signed in).
            status = response.status_code
            assert status in {200, 302, 400, 403, 404}, (email, target, status)
            assert status != 400 or FAKE_TOKEN in target.url, (email, target)
            if status == 302:
                assert urlsplit(response.headers["Location"]).path != "/account/login", (email, target)
        assert snapshot(app) == before, f"a GET as {email} changed the database"
    assert seen >= 20


# ---------------------------------------------------------------- S25
def assert_security_headers(response: TestResponse, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                 "frame-ancestors 'none'", "form-action 'self'"):
        assert part in csp, (where, csp)
    assert "unsafe-inline" not in csp, where
    assert "unsafe-eval" not in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in {"strict-origin-when-cross-origin", "no-referrer", "same-origin"}, where
    assert h.get("Cross-Origin-Opener-Policy") == "same-origin", where


def test_security_headers_on_every_response(app, seeds) -> None:
    # S25: every GET route, anonymous and as admin, plus a 404 and a 500 page.
    @app.route("/_test/boom")
    def _boom() -> str:
        raise RuntimeError("boom")

    anonymous = app.test_client()
    for target, response in crawl_get(anonymous, app, seeds):
        assert_security_headers(response, f"anonymous {target.url}")
    admin, _ = sign_in(app, seeds.admin)
    for target, response in crawl_get(admin, app, seeds):
        assert_security_headers(response, f"admin {target.url}")
        if target.endpoint == "static":  # the same file for everyone: cacheable (core/assets.py)
            assert response.headers["Cache-Control"].startswith("public, max-age="), target.url
            continue
        assert "no-store" in response.headers.get("Cache-Control", ""), target.url  # S27
    for client in (anonymous, admin):
        missing = client.get("/no/such/page")
        assert missing.status_code == 404
        assert_security_headers(missing, "404")
        crashed = client.get("/_test/boom")
        assert crashed.status_code == 500
        assert_security_headers(crashed, "500")


# ---------------------------------------------------------------- P06
class _AssetParser(HTMLParser):
    """Collects URLs the browser would fetch by itself (not plain <a href> links)."""

    FETCHING = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
                "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
                "embed": ("src",), "object": ("data",), "track": ("src",), "input": ("src",),
                "form": ("action",), "frame": ("src",)}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    # <link rel="canonical"> and rel="alternate" (feeds) name an address; browsers do not fetch them.
    NOT_FETCHED_RELS = {"canonical", "alternate"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link" and set((dict(attrs).get("rel") or "").lower().split()) <= self.NOT_FETCHED_RELS \
                and dict(attrs).get("rel"):
            return
        for name, value in attrs:
            if name in self.FETCHING.get(tag, ()) and value:
                self.urls.extend(part.strip().split(" ")[0] for part in value.split(",")) \
                    if name == "srcset" else self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)


def external_fetches(html: str) -> list[str]:
    parser = _AssetParser()
    parser.feed(html)
    bad = []
    for url in parser.urls:
        parts = urlsplit(url.strip())
        if url.strip().startswith("//") or parts.netloc or (parts.scheme and parts.scheme != "data") \
                or "url(" in url:
            bad.append(url)
    return bad


def _cookie_names(responses: list[TestResponse]) -> set[str]:
    return {header.split("=", 1)[0].strip() for r in responses for header in r.headers.getlist("Set-Cookie")}


def test_only_the_session_cookie_and_no_third_party_requests(app, seeds) -> None:
    # P06
    responses: list[TestResponse] = []
    anonymous = app.test_client()
    responses += [r for _, r in crawl_get(anonymous, app, seeds)]
    responses.append(anonymous.post("/language", data={"lang": "nb", "next": "/"},
                                    headers={"Origin": "http://localhost"}))
    responses += [r for _, r in crawl_get(anonymous, app, seeds)]
    for email in (seeds.student, seeds.admin):
        client, seen = sign_in(app, email)
        responses += seen
        responses += [r for _, r in crawl_get(client, app, seeds)]
        responses.append(client.post("/language", data={"lang": "sv", "next": "/", "csrf_token": csrf_of(client)}))
        responses.append(client.post("/account/logout", data={"csrf_token": csrf_of(client)}))
    names = _cookie_names(responses)
    assert names == {app.config["SESSION_COOKIE_NAME"]}, names
    for response in responses:
        if is_html(response):
            assert external_fetches(response.get_data(as_text=True)) == [], response.request.path


def test_external_fetch_detector_catches_third_party_assets() -> None:
    html = ('<a href="https://www.digg.se/">ok</a><img src="data:image/png;base64,AA">'
            '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/css">'
            '<img srcset="/a.png 1x, https://img.example/b.png 2x">'
            '<link rel="canonical" href="https://concept-arena.example/challenges/x">')
    assert external_fetches(html) == ["https://cdn.example/x.js", "//fonts.example/css", "https://img.example/b.png"]


# ---------------------------------------------------------------- A02 / A11
FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary", "iframe"}
LABELLABLE = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


class _A11yParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title = ""
        self._in_title = False
        self.headings: list[int] = []
        self.focusables: list[dict[str, str]] = []
        self.controls: list[tuple[str, dict[str, str], bool]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self._label_depth = 0
        self.positive_tabindex: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v or "") for k, v in attr_list}
        attrs["_tag"] = tag
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        tabindex = attrs.get("tabindex")
        if tabindex and tabindex.lstrip("-").isdigit() and int(tabindex) > 0:
            self.positive_tabindex.append(f"<{tag} tabindex={tabindex}>")
        hidden_input = tag == "input" and attrs.get("type", "text").lower() == "hidden"
        focusable = (tag in FOCUSABLE and not hidden_input and "disabled" not in attrs
                     and not (tag == "a" and "href" not in attrs))
        if (focusable and tabindex != "-1") or (tabindex and tabindex.isdigit()):
            self.focusables.append(attrs)
        if tag in LABELLABLE and not (tag == "input" and attrs.get("type", "text").lower() in UNLABELLED_INPUTS):
            self.controls.append((tag, attrs, self._label_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "label" and self._label_depth:
            self._label_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def a11y_problems(html: str, languages: tuple[str, ...]) -> tuple[list[str], str]:
    p = _A11yParser()
    p.feed(html)
    problems = []
    if p.lang not in languages:
        problems.append(f"<html lang> is {p.lang!r}")
    title = " ".join(p.title.split())
    if not title or title.startswith("·") or not title.split("·")[0].strip():
        problems.append(f"empty <title> {title!r}")
    if p.headings.count(1) != 1:
        problems.append(f"{p.headings.count(1)} <h1> elements")
    for before, after in zip(p.headings, p.headings[1:], strict=False):
        if after > before + 1:
            problems.append(f"heading jumps from h{before} to h{after}")
    for tag, attrs, wrapped in p.controls:
        if not (wrapped or attrs.get("aria-label", "").strip() or attrs.get("aria-labelledby")
                or (attrs.get("id") and attrs["id"] in p.label_for)):
            problems.append(f"unlabelled <{tag} name={attrs.get('name')!r}>")
    problems += [f"positive tabindex {t}" for t in p.positive_tabindex]
    first = p.focusables[0] if p.focusables else {}
    if not (first.get("_tag") == "a" and first.get("href") == "#main" and "skip-link" in first.get("class", "")):
        problems.append(f"first focusable element is not the skip link: {first}")
    if "main" not in p.ids:
        problems.append("no element with id=main for the skip link")
    duplicates = {i for i in p.ids if p.ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids {sorted(duplicates)}")
    if "/accessibility" not in p.links:
        problems.append("no link to the accessibility statement (A11)")
    return problems, title


@pytest.mark.parametrize(("lang", "demo_mode"), [("en", False), ("da", True)])
def test_every_page_passes_the_static_accessibility_lint(app, seeds, lang, demo_mode) -> None:
    # A02, A11: every GET page, anonymous and signed in as each kind of user (in demo mode the
    # local mailbox pages exist too).
    app.config["DEMO_MODE"] = demo_mode
    languages = app.config["LANGUAGES"]
    problems: list[str] = []
    linted = 0
    clients = [("anonymous", app.test_client())]
    clients += [(who, sign_in(app, email)[0]) for who, email in
                (("student", seeds.student), ("owner", seeds.owner), ("admin", seeds.admin),
                 ("challenge owner", seeds.challenge_owner), ("chair", seeds.chair))]
    for who, client in clients:
        titles: dict[str, str] = {}
        for target, response in crawl_get(client, app, seeds, **{"Accept-Language": lang}):
            if not is_html(response) or 300 <= response.status_code < 400 or response.status_code >= 500:
                continue
            found, title = a11y_problems(response.get_data(as_text=True), languages)
            problems += [f"{who} {target.url} ({response.status_code}): {p}" for p in found]
            linted += 1
            if response.status_code == 200:
                other = titles.setdefault(title, target.endpoint)
                if other != target.endpoint:
                    problems.append(f"{who}: {target.endpoint} and {other} share the title {title!r}")
    assert problems == [], "\n".join(problems)
    assert linted >= 20


def test_the_lint_catches_common_mistakes() -> None:
    page = ('<html lang="xx"><title> · Concept Arena</title><a href="/x">first</a>'
            '<a class="skip-link" href="#main">skip</a><h1>A</h1><h3>C</h3><h1>B</h1>'
            '<input name="q"><input type="hidden" name="t"><label>Wrapped <input name="w"></label>'
            '<label for="s">S</label><select id="s"></select><textarea aria-label="x"></textarea>'
            '<div tabindex="2"></div><main id="m"></main>')
    problems, _ = a11y_problems(page, ("en", "da"))
    text_ = "\n".join(problems)
    for expected in ("<html lang> is 'xx'", "empty <title>", "2 <h1> elements", "h1 to h3",
                     "unlabelled <input name='q'>", "positive tabindex", "not the skip link",
                     "no element with id=main", "accessibility statement"):
        assert expected in text_
    assert "name='w'" not in text_
    assert "<select" not in text_
    assert "<textarea" not in text_
