"""The page cache for anonymous readers, and HTTP caching of public pages (issue 13).

A public page (a view marked `@public_page`) asked for by a reader who is not logged in is rendered
once per URL, language, time zone and host, kept in Flask-Caching's backend (in-process memory by
default, Redis when REDIS_URL is set, shared by every host) and served from there until something
it shows changes. Three things end an entry:

- the *generation*: one number for the whole site, bumped after the commit of any transaction that
  wrote a table public pages read (never before the commit, never for a rollback: see `_watch`).
  It lives in Redis when there is Redis, else in a file under instance/ that every worker on the
  host stats, so a change made in one worker is seen by all of them at their next request;
- time: the next moment a page changes by the clock alone (a challenge opening or closing, asked
  of the features through `time_bound_requested`), or sooner when the page says so
  (`changes_at`, e.g. a countdown's next minute), and PAGE_CACHE_SECONDS at most;
- the backend's own bound on its size (PAGE_CACHE_ENTRIES in memory; a TTL on every Redis key).

Nothing private can enter: only anonymous GETs of marked views, answered 200, that set no cookie,
generated no CSRF token, flashed nothing and were not marked `g.private_response`. A backend that
fails (Redis down) makes pages render without the cache for a few seconds, never a 500, and
`/healthz` reports "degraded" (`health()`).

Every anonymous public page, cached or not, carries a strong ETag, `Cache-Control: public,
max-age=PAGE_MAX_AGE` (shorter when the page changes sooner) and answers a matching
`If-None-Match` with 304, so a proxy in front (README: nginx micro-caching) can serve it too.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from blinker import Namespace
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.http import parse_etags

from app.core.timeutil import as_utc, clock
from app.extensions import cache

log = logging.getLogger("concept_arena.pagecache")

F = TypeVar("F", bound=Callable[..., Any])

_signals = Namespace()
# Sent when a page is about to be stored: each receiver returns the next moment (aware datetime,
# or None) at which a public page may change by the clock alone, e.g. the next challenge opening.
time_bound_requested = _signals.signal("time-bound-requested")

# Tables that no public page reads: writes to them never end a cached page. A table missing here
# ends them all (over-invalidation is safe; a table wrongly listed here would serve stale pages).
# search_changes is not here on purpose: the search worker marks its queue rows applied in the
# commit after it wrote the index, and that commit ends the search pages rendered before.
# jury_seats and judging_conflicts are not here either: after the results the challenge page shows
# the jury as each juror chose to be listed (a juror may change it then) and how many times jurors
# stood aside (a juror may still declare a conflict then). tests/core/test_pagecache_changes.py.
# Rounds, score sheets and scores are not here either: the published results show distributions
# read from them (scoring ends before results today, but a public page must not rely on that).
PRIVATE_TABLES = frozenset({
    "user_sessions", "terms_acceptances", "outbox_messages", "audit_events",
    "invitations", "team_invitations", "jury_invitations", "round_jurors", "round_entries",
    "judging_assignments", "ranking_ballots", "judging_reminders", "follows", "alembic_version",
})
# Session keys that do not change what a public page shows to a reader who is not logged in.
NEUTRAL_SESSION_KEYS = frozenset({"lang", "csrf_token", "_permanent", "_fresh", "_id"})
# Headers the cache never keeps: each response gets its own (security headers are added later).
_NOT_KEPT = frozenset({"set-cookie", "content-length", "cache-control", "etag", "expires", "date", "age",
                       "content-security-policy", "x-content-type-options", "referrer-policy",
                       "cross-origin-opener-policy", "x-frame-options", "permissions-policy",
                       "strict-transport-security"})
MAX_QUERY_LENGTH = 2048  # longer query strings are answered, but never stored
MAX_QUERY_ITEMS = 24
MAX_IF_NONE_MATCH = 4096  # a longer If-None-Match header is ignored: the full page is sent
FAILURE_PAUSE_SECONDS = 5.0  # after a backend failure, pages skip the cache this long
_DML = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.I)
_DIRTY = "pagecache_dirty"
_GENERATION = "page_cache_generation"  # on g: the generation this request has read


def public_page(view: F) -> F:
    """A view whose page is the same for every reader who is not logged in: such readers are served
    from the cache. It wraps the view itself, so decorators above it (rate limits) still apply."""
    @functools.wraps(view)
    def _cached_view(*args: Any, **kwargs: Any) -> Any:
        if not _anonymous_reader():
            return view(*args, **kwargs)
        found = _serve_cached()
        if found is not None:
            return found
        return _store(current_app.make_response(view(*args, **kwargs)))

    _cached_view._public_page = True  # type: ignore[attr-defined]
    return _cached_view  # type: ignore[return-value]


def changes_at(moment: datetime | None) -> None:
    """Tell the cache that the page being rendered changes by itself at `moment` (e.g. a countdown)."""
    if moment is None:
        return
    at = as_utc(moment).timestamp()
    g.page_changes_at = min(getattr(g, "page_changes_at", at), at)


# ---------------------------------------------------------------- the generation
class _FileGeneration:
    """The generation as a file's identity (inode and modification time, in nanoseconds).

    A bump sets the time to now (or one nanosecond past the time it had), two system calls; on a
    file system that keeps coarser times, where that may not change what stat() says, os.replace()
    gives the file a new inode instead (a write and a rename: a bump follows every commit)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self) -> str:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.bump()
            st = os.stat(self.path)
        return f"{st.st_ino:x}.{st.st_mtime_ns:x}"

    def bump(self) -> None:
        try:
            before = os.stat(self.path).st_mtime_ns
            stamp = max(time.time_ns(), before + 1)
            os.utime(self.path, ns=(stamp, stamp))
            if os.stat(self.path).st_mtime_ns != before:
                return
        except FileNotFoundError:
            pass
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{time.monotonic_ns()}")
        tmp.write_text(str(time.time_ns()))
        os.replace(tmp, self.path)


class _RedisGeneration:
    """The generation as a Redis counter, shared by every host that uses the same Redis."""

    KEY = "generation"

    def current(self) -> str:
        return str(cache.get(self.KEY) or 0)

    def bump(self) -> None:
        cache.cache.inc(self.KEY)


class PageCache:
    def __init__(self, app: Flask) -> None:
        self.shared = bool(app.config.get("REDIS_URL"))
        self.generation: _FileGeneration | _RedisGeneration = _RedisGeneration() if self.shared else \
            _FileGeneration(Path(app.config["PAGE_CACHE_GENERATION_FILE"]
                                 or Path(app.instance_path) / "page-cache.generation"))
        self.failed_at = 0.0
        self._clock_bound: tuple[str, float, float] | None = None  # (generation, moment, asked at)

    # A failing backend never fails a page: the page renders without the cache for a while.
    def usable(self) -> bool:
        return bool(current_app.config["PAGE_CACHE"]) and time.monotonic() - self.failed_at > FAILURE_PAUSE_SECONDS

    def failed(self, exc: Exception) -> None:
        if time.monotonic() - self.failed_at > FAILURE_PAUSE_SECONDS:
            log.warning("page cache unavailable (%s: %s): pages render without it", type(exc).__name__, exc)
        self.failed_at = time.monotonic()

    def current(self) -> str:
        """The generation, read once per request (a page and its fragments ask several times: with
        Redis each read is a round trip); a commit in the request reads it again (bump)."""
        if has_app_context() and (known := g.get(_GENERATION)) is not None:
            return str(known)
        generation = self.generation.current()
        if has_app_context():
            setattr(g, _GENERATION, generation)
        return generation

    def key(self, kind: str, raw: str) -> str:
        return f"{kind}:{self.current()}:{hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()}"

    def fetch(self, key: str) -> dict[str, Any] | None:
        """The entry under `key` if it is still good at the clock's now (None: render)."""
        try:
            entry = cache.get(key)
        except Exception as exc:  # noqa: BLE001
            self.failed(exc)
            return None
        now = clock.now().timestamp()
        return entry if entry and entry["rendered"] <= now < entry["expires"] else None

    def keep(self, key: str, entry: dict[str, Any]) -> None:
        """Store `entry` (with "rendered" and "expires", clock times) until it expires."""
        lifetime = entry["expires"] - entry["rendered"]
        if lifetime <= 0:
            return
        try:
            cache.set(key, entry, timeout=max(1, int(lifetime) + 1))
        except Exception as exc:  # noqa: BLE001
            self.failed(exc)

    def clock_bound(self, now: float) -> float:
        """The features' next clock-driven change (`time_bound_requested`), asked once per generation
        and process, and again once that moment has come."""
        try:
            generation: str | None = self.current()
        except Exception as exc:  # noqa: BLE001  the cache is down: ask the features every time
            self.failed(exc)
            generation = None
        known = self._clock_bound
        if generation is not None and known is not None and known[0] == generation and known[2] <= now < known[1]:
            return known[1]
        ends = float("inf")
        for _receiver, bound in time_bound_requested.send(current_app._get_current_object(), now=clock.now()):
            if bound is not None:
                ends = min(ends, as_utc(bound).timestamp())
        if generation is not None:
            self._clock_bound = (generation, ends, now)
        return ends

    def bump(self) -> None:
        if has_app_context():
            g.pop(_GENERATION, None)
        try:
            self.generation.bump()
        except Exception as exc:  # noqa: BLE001  Redis down: entries still end by their TTL
            self.failed(exc)


_STATES: WeakKeyDictionary[Flask, PageCache] = WeakKeyDictionary()


def _state(app: Flask | None = None) -> PageCache:
    return _STATES[app or current_app._get_current_object()]  # type: ignore[attr-defined]


def bump(app: Flask | None = None) -> None:
    """End every cached page (after a commit that changed what public pages show)."""
    _state(app).bump()


def health() -> dict[str, Any]:
    """For /healthz: whether the cache answers (a failed backend makes the site "degraded")."""
    state = _state()
    enabled = bool(current_app.config["PAGE_CACHE"])
    check: dict[str, Any] = {"ok": True, "enabled": enabled, "backend": "redis" if state.shared else "memory"}
    if not enabled:
        return check
    try:
        state.generation.current()
        cache.get("health")
    except Exception as exc:  # noqa: BLE001
        state.failed(exc)
        check.update(ok=False, error=type(exc).__name__)
    return check


# ---------------------------------------------------------------- which requests
def _anonymous_reader() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if not set(session.keys()) <= NEUTRAL_SESSION_KEYS:  # flashed messages, a half-done sign-in...
        return False
    return not current_user.is_authenticated


def _key(state: PageCache) -> str | None:
    query = request.query_string
    if len(query) > MAX_QUERY_LENGTH:
        return None
    items = sorted(request.args.items(multi=True))
    if len(items) > MAX_QUERY_ITEMS:
        return None
    raw = "\x1f".join((request.host, request.path, repr(items), str(get_locale()), str(get_timezone()),
                       request.headers.get("Accept", "")[:200]))
    return state.key("page", raw)


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _matches(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header or len(header) > MAX_IF_NONE_MATCH:
        return False
    return parse_etags(header).contains_weak(etag)


def _max_age(response: Response) -> int:
    """What the view asked for (a feed: longer), else PAGE_MAX_AGE."""
    asked = response.cache_control.max_age if response.cache_control.public else None
    return int(asked if asked is not None else current_app.config["PAGE_MAX_AGE"])


def _public_headers(response: Response, etag: str, changes: float, max_age: int) -> Response:
    # Browsers and proxies may keep it as long as it was asked, never past its next change by the clock.
    max_age = max(0, int(min(max_age, changes - clock.now().timestamp())))
    response.set_etag(etag)
    # A reader with a session (a chosen language, a sign-in form seen) may be sent their cookie
    # again: such a response is for their browser only, never for a shared cache in front.
    if session:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.add("Cookie")  # a logged-in reader gets another page
    response.vary.add("Accept-Language")
    return response


def _next_change(now: float) -> float:
    """The next moment the page changes by the clock alone: what it said (`changes_at`), and the
    features' next clock-driven change (`time_bound_requested`); infinity when none is known."""
    ends = _state().clock_bound(now)
    if (moment := getattr(g, "page_changes_at", None)) is not None:
        ends = min(ends, moment)
    return ends


# ---------------------------------------------------------------- serving and storing
def _serve_cached() -> Response | None:
    """Answer an anonymous reader of a public page from the cache (None: render it)."""
    state = _state()
    if not state.usable():
        return None
    try:
        key = _key(state)
    except Exception as exc:  # noqa: BLE001
        state.failed(exc)
        return None
    g.page_cache_key = key
    entry = state.fetch(key) if key else None
    if entry is None:
        return None
    if _matches(entry["etag"]):
        response = Response(status=304)
    else:
        response = Response(entry["body"], status=200, headers=entry["headers"])
    response.headers["X-Page-Cache"] = "hit"
    return _public_headers(response, entry["etag"], entry["changes"], entry["max_age"])


def _storable(response: Response) -> bool:
    return (response.status_code == 200 and not response.is_streamed and not response.direct_passthrough
            and "Set-Cookie" not in response.headers and not session.modified
            and "csrf_token" not in g and not getattr(g, "private_response", False)
            and len(response.get_data()) <= current_app.config["PAGE_CACHE_MAX_BYTES"])


def _store(response: Response) -> Response:
    """Keep an anonymous reader's public page, and give it its HTTP caching headers."""
    if not _storable(response):
        return response
    body = response.get_data()
    now = clock.now().timestamp()
    changes = _next_change(now)
    expires = min(now + int(current_app.config["PAGE_CACHE_SECONDS"]), changes)
    etag = _etag(body)
    max_age = _max_age(response)
    state = _state()
    key = getattr(g, "page_cache_key", None)
    if key and state.usable():
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_KEPT]
        state.keep(key, {"body": body, "headers": headers, "etag": etag, "rendered": now, "expires": expires,
                         "changes": changes, "max_age": max_age})
    response.headers["X-Page-Cache"] = "miss" if key and state.usable() else "off"
    _public_headers(response, etag, changes, max_age)
    if _matches(etag):
        response.status_code = 304
        response.set_data(b"")
    return response


# ---------------------------------------------------------------- fragments
def cached_fragment(*parts: Any, caller: Callable[[], str]) -> Markup:
    """A part of a page that is the same for every reader, signed in or not, kept like public pages
    (same generation, same clock bounds), so that signed-in readers, who never get a cached page,
    still get its costly parts from the cache:

        {% call cached_fragment("challenge-body", challenge.id, state) %}...{% endcall %}

    `parts` must name everything the fragment shows besides public data and the reader's language
    and time zone; the fragment must not show anything about the reader."""
    return Markup(_cached("fragment", parts, lambda: str(caller())))


def cached_value(parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """What `compute` returns (plain, picklable data: ids, counts, choices), kept like public pages:
    for a query whose answer is the same for every reader until a public change or the clock."""
    return _cached("value", parts, compute)


def _cached(kind: str, parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    state = _state()
    if not state.usable():
        return compute()
    try:
        key = state.key(kind, repr((request.host if has_request_context() else "", parts, str(get_locale()),
                                    str(get_timezone()))))
    except Exception as exc:  # noqa: BLE001
        state.failed(exc)
        return compute()
    entry = state.fetch(key)
    if entry is not None:
        return entry["value"]
    value = compute()
    now = clock.now().timestamp()
    state.keep(key, {"value": value, "rendered": now,
                     "expires": min(now + int(current_app.config["PAGE_CACHE_SECONDS"]), _next_change(now))})
    return value


# ---------------------------------------------------------------- invalidation
def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """after_cursor_execute: a write to a table public pages read marks the connection."""
    match = _DML.match(statement)
    if match and match.group(1).lower() not in PRIVATE_TABLES:
        conn.info[_DIRTY] = True


def _begun(session: Session, _transaction: Any, connection: Any) -> None:
    session.info.setdefault("pagecache_connections", []).append(connection)


def _dirty(session: Session) -> bool:
    dirty = False
    for connection in session.info.pop("pagecache_connections", []):
        info = getattr(connection, "info", None)
        if info is not None and info.pop(_DIRTY, False):
            dirty = True
    return dirty


def _committed(session: Session) -> None:
    if _dirty(session):
        try:
            state = _state()
        except (RuntimeError, KeyError):  # no app (a bare script): nothing is cached here
            return
        state.bump()


def _rolled_back(session: Session) -> None:
    _dirty(session)  # the writes are gone: forget them


def _watch() -> None:
    """Connect the events once per process (every app shares the Session class and Engine)."""
    for target, name, fn in ((Engine, "after_cursor_execute", _note_write), (Session, "after_begin", _begun),
                             (Session, "after_commit", _committed), (Session, "after_rollback", _rolled_back)):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        config: dict[str, Any] = {
            "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_KEY_PREFIX": app.config["PAGE_CACHE_KEY_PREFIX"],
            # A Redis that does not answer must not hold a page up: fail fast, render without it.
            "CACHE_OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": app.config["PAGE_CACHE_ENTRIES"]}
    config["CACHE_DEFAULT_TIMEOUT"] = app.config["PAGE_CACHE_SECONDS"]
    cache.init_app(app, config=config)
    _STATES[app] = PageCache(app)
    app.add_template_global(cached_fragment)
    # A new process may run new code or settings (a deploy, a changed exchange rate): what the old
    # ones stored in a shared cache ends here.
    with app.app_context():
        _STATES[app].bump()
    _watch()
