"""Test harness: a real app per test on SQLite (temp file) and PostgreSQL (fresh database),
the test client, users and logins through the real forms, a real SMTP sink and a real browser."""
from __future__ import annotations

import asyncio
import copy
import email
import email.policy
import hashlib
import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, text
from sqlalchemy.util import LRUCache
from werkzeug.routing import Rule

from app import create_app
from app.challenges.models import Challenge, ChallengeState, Criterion
from app.concepts.models import Concept, ConceptMember, ConceptState, ConceptVersion, MemberRole
from app.core.timeutil import clock, utcnow
from app.db import db
from app.organisations.models import Membership, Organisation, OrganisationStatus, Role
from app.search import indexing

PASSWORD = "correct horse battery staple"
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- SMTP sink (real aiosmtpd)
class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    @staticmethod
    def text_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def links(self, msg: EmailMessage) -> list[str]:
        return re.findall(r"https?://[^\s<>\"]+", self.text_of(msg))


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()
    # aiosmtpd leaves its loop for the garbage collector; close it so -W error stays quiet.
    loop = getattr(controller, "loop", None)
    if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
        loop.close()


@pytest.fixture
def smtp_sink(_smtp_server: Inbox) -> Inbox:
    """A real SMTP server on 127.0.0.1; the app's MAIL_PORT points at it. Cleared per test."""
    _smtp_server.clear()
    return _smtp_server


# ---------------------------------------------------------------- the app, at test speed
# Every test builds its own app, and building one compiles a URL builder for each of its ~125
# rules: werkzeug writes a Python function per rule and compiles it (about 65 ms of the 75 ms
# create_app takes). The generated code depends only on the rule's text, parts and defaults, so
# the harness keeps the compiled functions of each worker and hands the same code to the same
# rule in the next app; the function reads the rule's converters through its `self` argument, so
# each app's rules still use their own. tests/test_harness.py checks the code is identical.
_URL_BUILDERS: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}
_compile_url_builder = Rule._compile_builder


def _cached_url_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    defaults = self.defaults or {}
    key = (self.rule, tuple(self._trace), append_unknown,
           tuple(sorted((str(k), type(v).__name__, repr(v), type(self._converters.get(k)).__name__)
                        for k, v in defaults.items())))
    builder = _URL_BUILDERS.get(key)
    if builder is None:
        builder = _URL_BUILDERS[key] = _compile_url_builder(self, append_unknown)
    return builder


_cached_url_builder.uncached = _compile_url_builder  # type: ignore[attr-defined]
Rule._compile_builder = _cached_url_builder  # type: ignore[method-assign]

# The other half of create_app's routing cost: parsing each rule's text into the matcher's parts
# (werkzeug's _parse_rule, a regex walk per rule and app). The parts depend on the text and the
# map's converter classes only; each app's rule gets copies of the converters, bound to its map.
_RULE_PARTS: dict[tuple[Any, ...], tuple[list[Any], list[tuple[bool, str]], list[tuple[str, Any]]]] = {}
_parse_rule = Rule._parse_rule


def _cached_parse_rule(self: Rule, rule: str) -> list[Any]:
    key = (rule, tuple(sorted(self.map.converters.items(), key=lambda item: item[0])))
    known = _RULE_PARTS.get(key)
    if known is None:
        trace_from, before = len(self._trace), set(self._converters)
        parts = list(_parse_rule(self, rule))
        known = _RULE_PARTS[key] = (parts, self._trace[trace_from:],
                                    [(n, c) for n, c in self._converters.items() if n not in before])
        return list(parts)
    parts, trace, converters = known
    self._trace.extend(trace)
    for name, converter in converters:
        mine = copy.copy(converter)
        mine.map = self.map
        self._converters[name] = mine
        self.arguments.add(name)
    return list(parts)


_cached_parse_rule.uncached = _parse_rule  # type: ignore[attr-defined]
Rule._parse_rule = _cached_parse_rule  # type: ignore[method-assign]


# Each test's app has its own engine, and SQLAlchemy keys its compiled-statement caches (the
# engine's, and each mapper's for the unit of work's INSERT and UPDATE) by the dialect object:
# every test compiled every statement it ran again, a fifth of the suite's time. Dialects of one
# class, paramstyle and server version compile a statement to the same SQL, so the harness keys
# the caches by those instead and shares one per worker. The SQL that runs is the same;
# tests/test_harness.py compares it with a fresh compile.
class DialectNeutralCache(MutableMapping[tuple[Any, ...], Any]):
    def __init__(self, size: int) -> None:
        self._lru: LRUCache[tuple[Any, ...], Any] = LRUCache(size)

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = key[0]
        return (type(dialect), dialect.paramstyle, dialect.server_version_info, dialect.compiler_linting,
                *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self._lru.get(self._key(key), default)

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self._lru[self._key(key)]

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._lru[self._key(key)] = value

    def __delitem__(self, key: tuple[Any, ...]) -> None:
        del self._lru[self._key(key)]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._lru)

    def __len__(self) -> int:
        return len(self._lru)


SQL_CACHE = DialectNeutralCache(5000)
_make_engine = SQLAlchemy._make_engine


def _engine_with_shared_cache(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any],
                              app: Flask) -> Any:
    engine = _make_engine(self, bind_key, options, app)
    engine._compiled_cache = SQL_CACHE
    for mapper in db.Model.registry.mappers:  # memoized per mapper: replaced once, kept
        if mapper.__dict__.get("_compiled_cache") is not SQL_CACHE:
            mapper.__dict__["_compiled_cache"] = SQL_CACHE
    return engine


SQLAlchemy._make_engine = _engine_with_shared_cache  # type: ignore[method-assign]


# ---------------------------------------------------------------- databases
def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


def _base_config(url: str, tmp: Path, mail_port: int, template_cache: Path) -> dict[str, Any]:
    return {
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": url,
        "SEARCH_INDEX_DIR": str(tmp / "index"),
        "PAGE_CACHE_GENERATION_FILE": str(tmp / "page-cache.generation"),
        # Tests that need the automatic rebuild turn it on and wait for its thread (R08).
        "SEARCH_AUTO_REBUILD": False,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "MAILBOX_DIR": str(tmp / "mailbox"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mail_port,
        "MAIL_TIMEOUT": 5.0,
        "BASE_URL": "http://localhost",
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
        "RATELIMIT_STORAGE_URI": "memory://",
        "DEMO_MODE": False,
        # Cheap hashes keep a login at a millisecond; tests of the real cost set it back (S03).
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_TIME_COST": 1,
        # Compiled templates shared by every app of this worker: a new app per test would otherwise
        # compile each template it renders again (50-170 ms for a page's first render).
        "TEMPLATE_CACHE_DIR": str(template_cache),
    }


@pytest.fixture(scope="session")
def _template_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Jinja bytecode cache per worker (each xdist worker has its own base temp dir)."""
    return tmp_path_factory.mktemp("jinja-bytecode")


# Which backends a test runs on. A test runs on SQLite and on PostgreSQL when its behaviour depends
# on the database: constraints, locking and races, migrations, SQL query semantics (filters,
# sorting, pagination, aggregates and GROUP BY counts, idempotent inserts, conditional UPDATE
# claims), time zones stored and read back. Mark it `@pytest.mark.both_databases` (per test, or
# `pytestmark` for a module). Every other test (pages, forms, i18n, Markdown, files, headers,
# permissions over rows it made itself) runs once, on SQLite: the PostgreSQL variant of an
# unmarked test is deselected in pytest_collection_modifyitems below, and browser tests always run
# on SQLite only. When in doubt, mark it: the PostgreSQL pass is mandatory under CI=true.
BOTH_DATABASES = "both_databases"


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             _smtp_server: Inbox, _template_cache: Path) -> Iterator[dict[str, Any]]:
    """A migrated database per backend and worker; each test gets a clean copy of it."""
    kind = request.param
    tmp = tmp_path_factory.mktemp(f"db-{kind}")
    if kind == "sqlite":
        template = tmp / "template.sqlite"
        app = create_app(_base_config(f"sqlite:///{template}", tmp, _smtp_server.port, _template_cache))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield {"kind": kind, "template": template}
        return
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but does not answer at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL tests skipped")
    name = f"ca_test_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A commit here waits for its WAL flush to disk (4-6 ms on these machines, hundreds of times
        # per test with seeded data). The test database is thrown away after the run, so nothing is
        # lost by not waiting: visibility, locking and constraints are the same (synchronous_commit
        # only decides when COMMIT returns, never what other transactions see).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    app = create_app(_base_config(url, tmp, _smtp_server.port, _template_cache))
    with app.app_context():
        upgrade()
        from app.search.backends.postgres import PG_ONLY_TABLES
        reset = _postgres_reset_sql([t.name for t in db.metadata.sorted_tables], extra=PG_ONLY_TABLES)
        db.engine.dispose()
    try:
        yield {"kind": kind, "url": url, "reset": reset}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_reset_sql(tables: list[str], extra: tuple[str, ...] = ()) -> str:
    """One statement that empties every table and restarts every sequence, as
    `TRUNCATE <all> RESTART IDENTITY CASCADE` would, at a fraction of its cost: TRUNCATE takes an
    exclusive lock on and makes new files for every table and index, used or not, while a DELETE
    of a table the test never wrote to costs next to nothing. Foreign-key triggers are off for the
    transaction (session_replication_role = replica, we connect as a superuser), and the tables go
    children first anyway. Sequences restart at their start value, so ids are as in a fresh
    database (tests may rely on them). `extra` tables live outside the models (the PostgreSQL
    search backend's): emptied when they exist (a test may have dropped one, R08)."""
    deletes = "\n".join(f'  DELETE FROM "{t}";' for t in reversed(tables))
    deletes += "".join(f"\n  IF to_regclass('{t}') IS NOT NULL THEN DELETE FROM \"{t}\"; END IF;" for t in extra)
    return f"""DO $reset$ BEGIN
  SET LOCAL session_replication_role = replica;
{deletes}
  PERFORM setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, start_value, false)
    FROM pg_sequences WHERE last_value IS NOT NULL;
END $reset$"""


@pytest.fixture
def app_config(database: dict[str, Any], tmp_path: Path, _smtp_server: Inbox,
               _template_cache: Path) -> dict[str, Any]:
    if database["kind"] == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(database["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = database["url"]
    return _base_config(url, tmp_path, _smtp_server.port, _template_cache)


@pytest.fixture
def app(app_config: dict[str, Any], database: dict[str, Any]) -> Iterator[Flask]:
    """The app built by the factory, with the real migrations applied (once per session, copied)."""
    clock.reset()
    application = create_app(app_config)
    yield application
    clock.reset()
    indexing.forget_backend(application)  # close the searchers' files before the temp dir goes
    with application.app_context():
        db.session.remove()
        if database["kind"] == "postgres":
            with db.engine.begin() as conn:
                conn.exec_driver_sql(database["reset"])
        db.engine.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """A Redis that answers (127.0.0.1:6379, mandatory under CI=true), else the test skips with one line."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required under CI=true at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: test skipped")
    return REDIS_URL


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# ---------------------------------------------------------------- helpers
def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


@pytest.fixture
def csrf(client: FlaskClient) -> Callable[[str], str]:
    """csrf("/account/login") -> a CSRF token read from that page, as a browser would. Public pages
    carry no token for readers who are not logged in (issue 13): a page without one gives the login form's."""
    def _csrf(url: str = "/") -> str:
        html = client.get(url).get_data(as_text=True)
        if not CSRF_RE.search(html):
            html = client.get("/account/login").get_data(as_text=True)
        return csrf_from(html)
    return _csrf


@pytest.fixture
def post_form(client: FlaskClient, csrf: Callable[[str], str]) -> Callable[..., Any]:
    """post_form(url, data, page=url): GET the page for its token, then POST like a browser."""
    def _post(url: str, data: dict[str, Any] | None = None, page: str | None = None, **kwargs: Any) -> Any:
        payload = dict(data or {})
        payload.setdefault("csrf_token", csrf(page or url))
        return client.post(url, data=payload, **kwargs)
    return _post


_HASHES: dict[str, str] = {}


def password_hash_for(password: str) -> str:
    from argon2 import PasswordHasher

    if password not in _HASHES:  # the tests' cost (see _base_config); the app never rehashes it
        _HASHES[password] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)
    return _HASHES[password]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """make_user("a@example.org", admin=False, verified=True, ...) -> user id."""
    from app.accounts.models import TermsAcceptance, User

    def _make(email_addr: str | None = None, *, password: str = PASSWORD, verified: bool = True,
              admin: bool = False, display_name: str | None = None, locale: str | None = None,
              timezone: str = "Europe/Copenhagen", accepted_terms: bool = True, **fields: Any) -> int:
        from app.core.timeutil import utcnow

        email_addr = (email_addr or f"user-{uuid.uuid4().hex[:8]}@example.org").lower()
        with app.app_context():
            user = User(email=email_addr, password_hash=password_hash_for(password),
                        display_name=display_name or email_addr.split("@")[0], locale=locale,
                        timezone=timezone, is_admin=admin,
                        email_verified_at=utcnow() if verified else None, **fields)
            db.session.add(user)
            db.session.flush()
            uid = user.id  # read before the commit expires it (after it, a query to load it again)
            if accepted_terms:
                for doc, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION")):
                    db.session.add(TermsAcceptance(user_id=uid, document=doc, version=app.config[key]))
            db.session.commit()
            return uid
    return _make


@pytest.fixture
def login(client: FlaskClient, post_form: Callable[..., Any]) -> Callable[..., Any]:
    """login(email, password=PASSWORD): through the real login form; asserts it worked."""
    def _login(email_addr: str, password: str = PASSWORD, remember: bool = False) -> Any:
        data = {"email": email_addr, "password": password}
        if remember:
            data["remember"] = "y"
        response = post_form("/account/login", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response
    return _login


@pytest.fixture
def logout(client: FlaskClient, csrf: Callable[[str], str]) -> Callable[[], None]:
    """End the test client's session through the real form (a second login() needs it first)."""
    def _logout() -> None:
        client.post("/account/logout", data={"csrf_token": csrf("/")})
    return _logout


@pytest.fixture
def logged_in(make_user: Callable[..., int], login: Callable[..., Any]) -> Callable[..., int]:
    """logged_in(role) with role in {"user", "admin", "unverified"} -> user id, client logged in."""
    def _as(role: str = "user", email_addr: str | None = None, **kwargs: Any) -> int:
        email_addr = email_addr or f"{role}-{uuid.uuid4().hex[:6]}@example.org"
        uid = make_user(email_addr, admin=(role == "admin"), verified=(role != "unverified"), **kwargs)
        login(email_addr)
        return uid
    return _as


@pytest.fixture
def send_outbox(app: Flask) -> Callable[[], int]:
    """Run the outbox sender once, as `flask outbox send` does; returns how many were sent."""
    def _send() -> int:
        from app.mail.sender import send_pending

        with app.app_context():
            return send_pending(app)
    return _send


# ---------------------------------------------------------------- browser (Playwright + Debian Chromium)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Chromium is required under CI=true: apt-get install -y chromium")
        pytest.skip("no Chromium at /usr/bin/chromium: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


# axe-core (570 kB) handed to each page through Playwright's pipe cost 45-60 ms per page audited,
# most of it the transfer. The live server serves it too, with a year's caching, so the browser
# loads it from its own cache (and V8 from its code cache) after the first time in a context. The
# path is the harness's, outside the app: no rule of the app answers it.
AXE_PATH = "/__test-harness/axe.min.js"


def _live_wsgi(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    from axe_playwright_python.base import AXE_SCRIPT

    body = AXE_SCRIPT.encode()
    headers = [("Content-Type", "text/javascript; charset=utf-8"), ("Content-Length", str(len(body))),
               ("Cache-Control", "public, max-age=31536000, immutable")]

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == AXE_PATH:
            start_response("200 OK", headers)
            return [body]
        # Read the whole response and close it here: werkzeug's development server leaves a
        # static file open when the browser drops the connection mid-response (a page that
        # navigates on), and the ResourceWarning then fails whichever test is running.
        result = wsgi_app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
    return serve


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on 127.0.0.1:<free port> in a thread; yields the base URL."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, _live_wsgi(app), threaded=True)
    base = f"http://127.0.0.1:{srv.server_port}"
    app.config["BASE_URL"] = base
    # A short poll: shutdown() waits for the serving loop to look again (0.5 s by default).
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield base
    srv.shutdown()
    thread.join(timeout=5)
    srv.server_close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    pg = context.new_page()
    yield pg
    context.close()


WCAG21AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"]}


@pytest.fixture
def axe_check() -> Callable[[Any, str], None]:
    """axe_check(page, label): axe-core WCAG 2.1 A/AA on what the page shows now; no violations.
    Then the same state at 320 CSS px (A05): no sideways scrolling, no table cell cut off, with
    and without the 1.4.12 text spacing, and axe's width-dependent rules (tests/reflow_check.py);
    so every page and state an axe check reaches, in any test, is checked for reflow too."""
    from axe_playwright_python.base import AXE_SCRIPT, AxeResults
    from playwright.sync_api import Error as PlaywrightError
    from reflow_check import check_narrow

    def _run(pg: Any, label: str, options: dict[str, Any]) -> None:
        # axe-core (570 kB) is injected once per document, not before every run: the run at 320 px
        # and later checks of the same document (a dialog opened, a field filled) reuse it. Only
        # the violations come back (the report reads nothing else).
        if not pg.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
            try:  # from the live server (and the browser's cache); a page of any other origin gets it piped
                pg.add_script_tag(url=AXE_PATH)
            except PlaywrightError:
                pg.evaluate(AXE_SCRIPT)
        violations = pg.evaluate("(options) => axe.run(document, options).then(r => r.violations)", options)
        result = AxeResults({"violations": violations})
        assert result.violations_count == 0, f"{label} {pg.url}\n{result.generate_report()}"

    def _check(pg: Any, label: str = "") -> None:
        _run(pg, label, WCAG21AA)
        check_narrow(pg, label.removeprefix("axe violations on ").strip("[]") or pg.url, _run)
    return _check


def runs_on_postgres(item: pytest.Item) -> bool:
    """The rule above: marked both_databases, and not a browser test (those drive the whole stack
    once, on SQLite)."""
    return item.get_closest_marker(BOTH_DATABASES) is not None and item.get_closest_marker("browser") is None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the PostgreSQL variant of every test that does not depend on the database."""
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("database") == "postgres" and not runs_on_postgres(item):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # The browser tests first: they are the longest (5-35 s each), and two workers that end on
    # them wait for each other at the end of the run; short tests last keep both busy to the end.
    # A stable sort, so the rest keeps pytest's order (which groups the PostgreSQL variants).
    items[:] = sorted(keep, key=lambda item: item.get_closest_marker("browser") is None)


# -- organisations and challenges (shared by challenge, concept and later features' tests) --

@pytest.fixture
def make_org(app: Flask, make_user: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    """make_org(name=..., status="approved") -> {"id", "slug", "owner", "editor"} (emails of staff)."""
    def _make(name: str | None = None, *, status: str = "approved", country: str = "DK",
              kind: str = "municipality") -> dict[str, Any]:
        tag = uuid.uuid4().hex[:6]
        name = name or f"Testby Kommune {tag}"
        owner, editor = f"owner-{tag}@example.org", f"editor-{tag}@example.org"
        owner_id, editor_id = make_user(owner), make_user(editor)
        with app.app_context():
            org = Organisation(slug=f"testby-{tag}", name=name, kind=kind, country=country,
                               status=OrganisationStatus(status), contact_email=f"privacy-{tag}@example.org",
                               timezone="Europe/Copenhagen")
            db.session.add(org)
            db.session.flush()
            db.session.add_all([Membership(organisation_id=org.id, user_id=owner_id, role=Role.OWNER),
                                Membership(organisation_id=org.id, user_id=editor_id, role=Role.EDITOR)])
            made = {"id": org.id, "slug": org.slug, "owner": owner, "editor": editor,
                    "owner_id": owner_id, "editor_id": editor_id}
            db.session.commit()
            return made
    return _make


@pytest.fixture
def make_challenge(app: Flask, make_org: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """make_challenge(state="open", org=None, **fields) -> {"id", "slug", "org": {...}}.

    The timeline is placed around the clock so that the stored state is the effective one:
    draft/scheduled open in 7 days; open closes in 14 days; closed/judging/results/archived
    closed 10 days ago. Two criteria (60/40, scale 1-5) make a complete rubric.
    """
    def _make(state: str = "open", org: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        org = org or make_org()
        now = utcnow()
        st = ChallengeState(state)
        if st in (ChallengeState.DRAFT, ChallengeState.SCHEDULED):
            opens = now + timedelta(days=7)
        elif st is ChallengeState.OPEN:
            opens = now - timedelta(days=7)
        else:
            opens = now - timedelta(days=40)
        deadline = opens + timedelta(days=21) if st is not ChallengeState.OPEN else now + timedelta(days=14)
        if st in (ChallengeState.CLOSED, ChallengeState.JUDGING, ChallengeState.RESULTS, ChallengeState.ARCHIVED):
            deadline = now - timedelta(days=10)
        tag = uuid.uuid4().hex[:6]
        values: dict[str, Any] = {
            "organisation_id": org["id"], "slug": f"challenge-{tag}", "title": f"Less cardboard in paper bins {tag}",
            "summary": "Help residents sort cardboard correctly.", "problem_md": "Cardboard ends up in paper bins.",
            "background_md": "", "language": "en", "prize_minor": 5_000_000, "currency": "DKK", "prize_count": 1,
            "prize_split": [100], "eligibility": ["anyone"], "opens_at": opens, "deadline_at": deadline,
            "judging_ends_at": deadline + timedelta(days=14), "results_at": deadline + timedelta(days=21),
            "state": st, "timezone": "Europe/Copenhagen",
            "published_at": None if st is ChallengeState.DRAFT else opens - timedelta(days=1),
            "created_by_id": org["owner_id"],
        }
        values.update(fields)
        with app.app_context():
            challenge = Challenge(**values)
            challenge.criteria = [
                Criterion(position=0, name="Impact", description="How much it helps", weight=60,
                          scale_min=1, scale_max=5),
                Criterion(position=1, name="Feasibility", description="Can it be done", weight=40,
                          scale_min=1, scale_max=5),
            ]
            db.session.add(challenge)
            db.session.flush()
            made = {"id": challenge.id, "slug": challenge.slug, "org": org}
            db.session.commit()
            return made
    return _make


# -- concepts (shared by concept, judging and later features' tests) --

@pytest.fixture
def make_concept(app: Flask, make_user: Callable[..., int],
                 make_challenge: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """make_concept(state="draft", challenge=None, members=1, **fields) -> dict.

    Returns {"id", "challenge": {...make_challenge...}, "owner": email, "members": [emails],
    "owner_id", "member_ids"}. `challenge` is a make_challenge() dict (default: a new open
    challenge); `members` is the team size including the owner, or a list of emails (first =
    owner). `state` is "draft", "submitted" (version 1 frozen) or "withdrawn" (after version 1).
    """
    def _make(state: str = "draft", challenge: dict[str, Any] | None = None, members: int | list[str] = 1,
              **fields: Any) -> dict[str, Any]:
        challenge = challenge or make_challenge("open")
        tag = uuid.uuid4().hex[:6]
        emails = members if isinstance(members, list) else [
            f"{'lead' if i == 0 else 'mate' + str(i)}-{tag}@example.org" for i in range(members)]
        ids = [make_user(e, display_name=f"Person {e.split('@')[0]}", participant_kind="student") for e in emails]
        now = utcnow()
        with app.app_context():
            values: dict[str, Any] = {
                "challenge_id": challenge["id"], "owner_id": ids[0], "team_name": f"Team {tag}",
                "title": f"Sorting made simple {tag}",
                "summary": "Stickers on every bin show what goes where, in pictures.",
                "body_md": "## The idea\n\nPictures beat words at the bin.", "language": "en",
                "licence": "cc-by-4.0", "state": ConceptState.DRAFT, "lock_version": 1,
                "created_at": now, "updated_at": now,
            }
            values.update(fields)
            concept = Concept(**values)
            db.session.add(concept)
            db.session.flush()
            for i, uid in enumerate(ids):
                db.session.add(ConceptMember(concept_id=concept.id, challenge_id=challenge["id"], user_id=uid,
                                             role=MemberRole.OWNER if i == 0 else MemberRole.MEMBER, joined_at=now))
            if state in ("submitted", "withdrawn"):
                content = f"{concept.title}\n{concept.summary}\n{concept.body_md}".encode()
                db.session.add(ConceptVersion(
                    concept_id=concept.id, number=1, source_lock_version=concept.lock_version, submitted_at=now,
                    submitted_by_id=ids[0], team_name=concept.team_name, title=concept.title,
                    summary=concept.summary, body_md=concept.body_md, language=concept.language,
                    licence=concept.licence or "cc-by-4.0", tag_names=[], member_ids=ids,
                    fingerprint=hashlib.sha256(content).hexdigest(), total_bytes=len(content)))
                concept.submitted_version_no = 1
                concept.submitted_at = now
                concept.state = ConceptState.SUBMITTED if state == "submitted" else ConceptState.WITHDRAWN
                if state == "withdrawn":
                    concept.withdrawn_at = now
            made = {"id": concept.id, "challenge": challenge, "owner": emails[0], "members": emails,
                    "owner_id": ids[0], "member_ids": ids}
            db.session.commit()
            return made
    return _make
