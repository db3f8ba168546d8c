"""The page cache and HTTP caching of public pages (issue 13; S23, S27, P06).

Readers who are not logged in get no cookie and no token on public pages; those pages are kept
per URL, language and time zone until a commit changes what they show, or the clock does; they
carry a strong ETag and answer If-None-Match with 304; logged-in pages stay no-store.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import create_app
from app.challenges.models import Challenge
from app.core import pagecache
from app.core.timeutil import clock, utcnow
from app.db import db
from app.extensions import cache


def generation(app: Flask) -> str:
    with app.app_context():
        return pagecache._state(app).generation.current()


def entries(app: Flask) -> int:
    with app.app_context():
        return len(cache.cache._cache)  # SimpleCache's own store: the bound is the library's


@pytest.fixture
def challenge(make_challenge):
    return make_challenge("open")


# ---------------------------------------------------------------- no session for anonymous readers
def test_a_new_visitor_gets_no_cookie_and_no_token(app, challenge) -> None:
    # P06 / issue 13 item 1: `curl -I` of the home page, and every public page, as a new visitor.
    for url in ("/", "/challenges/", f"/challenges/{challenge['slug']}", "/organisations/",
                f"/organisations/{challenge['org']['slug']}", "/winners", "/search?q=cardboard",
                "/feeds/challenges.atom", "/privacy"):
        for method in ("GET", "HEAD"):
            response = app.test_client().open(url, method=method)
            assert response.status_code == 200, url
            assert "Set-Cookie" not in response.headers, (method, url)
            assert 'name="csrf_token"' not in response.get_data(as_text=True), url


def test_forms_that_need_a_token_still_get_one(app) -> None:
    # S23: the sign-in form issues its token (and so its session) when it is asked for.
    client = app.test_client()
    response = client.get("/account/login")
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert "Set-Cookie" in response.headers
    assert "X-Page-Cache" not in response.headers  # not a public page: never stored


# ---------------------------------------------------------------- hits, ETags, 304
def test_the_second_reader_gets_the_stored_page(app, challenge) -> None:
    url = f"/challenges/{challenge['slug']}"
    first = app.test_client().get(url)
    second = app.test_client().get(url)
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert not first.headers["ETag"].startswith("W/")
    assert second.headers["Content-Type"].startswith("text/html")
    for response in (first, second):
        assert response.cache_control.public
        assert response.cache_control.max_age == app.config["PAGE_MAX_AGE"]
        assert {"Cookie", "Accept-Language"} <= set(response.vary)
        assert "Content-Security-Policy" in response.headers  # security headers on a stored page too (S25)


def test_if_none_match_answers_304_and_bad_headers_get_the_page(app, challenge) -> None:
    url = f"/challenges/{challenge['slug']}"
    etag = app.test_client().get(url).headers["ETag"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"nope", {etag}'}, {"If-None-Match": "*"}):
        response = app.test_client().get(url, headers=headers)
        assert response.status_code == 304, headers
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
    for bad in ('"other"', "garbage ,,, \x7f", '"' + "a" * 5000 + '"', ", ".join(f'"e{i}"' for i in range(800)),
                etag.strip('"')[:-1], f"W/{etag}x"):
        response = app.test_client().get(url, headers={"If-None-Match": bad})
        assert response.status_code == 200, bad[:40]
        assert b"</html>" in response.get_data()


def test_a_change_makes_a_new_etag(app, challenge) -> None:
    url = f"/challenges/{challenge['slug']}"
    etag = app.test_client().get(url).headers["ETag"]
    with app.app_context():
        db.session.get(Challenge, challenge["id"]).title = "Cardboard, sorted at last"
        db.session.commit()
    response = app.test_client().get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Cardboard, sorted at last" in response.get_data(as_text=True)
    assert response.headers["ETag"] != etag


# ---------------------------------------------------------------- logged-in and private pages
def test_logged_in_readers_are_never_served_or_stored(app, client, challenge, make_user, login) -> None:
    # S27: authenticated responses are no-store and Vary: Cookie; they neither read nor fill the cache.
    url = f"/challenges/{challenge['slug']}"
    app.test_client().get(url)  # stored for anonymous readers
    make_user("reader@example.org", display_name="Rikke Reader")
    login("reader@example.org")
    response = client.get(url)
    assert "X-Page-Cache" not in response.headers
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.vary
    assert "Log out" in response.get_data(as_text=True)
    assert "Log out" not in app.test_client().get(url).get_data(as_text=True)


def test_a_flashed_message_is_shown_to_its_reader_only(app, client, challenge, make_user, login, logout) -> None:
    url = f"/challenges/{challenge['slug']}"
    make_user("flash@example.org")
    login("flash@example.org")
    logout()  # flashes "You have been logged out" for the next page
    seen = client.get(url)
    assert "X-Page-Cache" not in seen.headers
    assert "logged out" in seen.get_data(as_text=True).lower()
    assert "logged out" not in app.test_client().get(url).get_data(as_text=True).lower()


# ---------------------------------------------------------------- keys
def test_languages_and_parameter_order(app, challenge) -> None:
    url = "/challenges/"
    danish = app.test_client().get(url, headers={"Accept-Language": "da"})
    swedish = app.test_client().get(url, headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert danish.headers["X-Page-Cache"] == swedish.headers["X-Page-Cache"] == "miss"
    assert 'lang="da"' in danish.get_data(as_text=True)
    assert 'lang="sv"' in swedish.get_data(as_text=True)
    assert app.test_client().get(url, headers={"Accept-Language": "da-DK"}).headers["X-Page-Cache"] == "hit"
    huge = app.test_client().get(url, headers={"Accept-Language": "x" * 10_000})
    assert huge.status_code == 200
    assert 'lang="en"' in huge.get_data(as_text=True)
    assert app.test_client().get(url + "?q=bins&sort=newest").headers["X-Page-Cache"] == "miss"
    assert app.test_client().get(url + "?sort=newest&q=bins").headers["X-Page-Cache"] == "hit"


def test_odd_query_strings_never_grow_the_cache_without_bound(app_config, database) -> None:
    app = create_app({**app_config, "PAGE_CACHE_ENTRIES": 20})
    for i in range(80):
        assert app.test_client().get(f"/challenges/?x={i}&x={i}&junk{i}=1").status_code == 200
    assert entries(app) <= 21
    many = "&".join(f"p{i}=1" for i in range(40))
    long = "q=" + "a" * 3000
    for query in (many, long):
        response = app.test_client().get(f"/challenges/?{query}")
        assert response.status_code in (200, 400)
        assert response.headers.get("X-Page-Cache") != "hit"
        if response.status_code == 200:
            assert response.headers["X-Page-Cache"] == "off"  # answered, never stored


# ---------------------------------------------------------------- the generation
def test_the_generation_moves_after_the_commit_and_never_for_a_rollback(app, challenge) -> None:
    before = generation(app)
    seen_at_commit: list[str] = []

    def _during(_session) -> None:
        seen_at_commit.append(pagecache._state(app).generation.current())

    with app.app_context():
        row = db.session.get(Challenge, challenge["id"])
        row.title = "A title that was never saved"
        db.session.flush()
        db.session.rollback()
    assert generation(app) == before
    event.listen(Session, "before_commit", _during)
    try:
        with app.app_context():
            db.session.get(Challenge, challenge["id"]).title = "A title that was saved"
            db.session.commit()
    finally:
        event.remove(Session, "before_commit", _during)
    assert seen_at_commit == [before]  # not bumped before the commit...
    assert generation(app) != before  # ...but after it


def test_private_writes_leave_public_pages_alone(app, challenge, make_user, login, client) -> None:
    url = f"/challenges/{challenge['slug']}"
    make_user("private@example.org")
    app.test_client().get(url)
    before = generation(app)
    login("private@example.org")  # a session row, an audit event: nothing public
    client.get("/account/")
    assert generation(app) == before
    assert app.test_client().get(url).headers["X-Page-Cache"] == "hit"


def test_the_clock_ends_a_page_when_a_challenge_opens(app, make_challenge) -> None:
    # Issue 13 item 2: an entry lasts no longer than the next clock-driven change.
    scheduled = make_challenge("scheduled")
    url = f"/challenges/{scheduled['slug']}"
    with app.app_context():
        opens = db.session.scalar(select(Challenge.opens_at).where(Challenge.id == scheduled["id"]))
    first = app.test_client().get(url)
    assert first.headers["X-Page-Cache"] == "miss"
    assert app.test_client().get(url).headers["X-Page-Cache"] == "hit"
    clock.set(opens + timedelta(seconds=1))
    opened = app.test_client().get(url)
    assert opened.headers["X-Page-Cache"] == "miss"
    assert opened.get_data() != first.get_data()


def test_a_countdown_page_lasts_no_longer_than_its_next_minute(app, make_challenge) -> None:
    open_ = make_challenge("open", deadline_at=utcnow() + timedelta(hours=5, minutes=30, seconds=20))
    url = f"/challenges/{open_['slug']}"
    app.config["PAGE_MAX_AGE"] = 600  # so that the countdown is what bounds it
    clock.set(utcnow())
    response = app.test_client().get(url)
    assert "5 hours, 30 minutes" in response.get_data(as_text=True)
    assert 0 < response.cache_control.max_age <= 21
    clock.set(clock.now() + timedelta(seconds=25))
    later = app.test_client().get(url)
    assert later.headers["X-Page-Cache"] == "miss"
    assert "5 hours, 29 minutes" in later.get_data(as_text=True)


# ---------------------------------------------------------------- Redis: shared, and down
def test_two_hosts_share_the_cache_and_its_generation(app_config, database, make_challenge, redis_url) -> None:
    config = {**app_config, "REDIS_URL": redis_url, "PAGE_CACHE_KEY_PREFIX": f"ca-test-{uuid.uuid4().hex}:"}
    host_a, host_b = create_app(config), create_app(config)
    try:
        slug = make_challenge("open")["slug"]
        url = f"/challenges/{slug}"
        assert host_a.test_client().get(url).headers["X-Page-Cache"] == "miss"
        assert host_b.test_client().get(url).headers["X-Page-Cache"] == "hit"  # stored by the other host
        with host_a.app_context():
            db.session.scalar(select(Challenge).where(Challenge.slug == slug)).title = "Renamed on host A"
            db.session.commit()
        seen = host_b.test_client().get(url)
        assert seen.headers["X-Page-Cache"] == "miss"
        assert "Renamed on host A" in seen.get_data(as_text=True)
    finally:
        for host in (host_a, host_b):
            with host.app_context():
                db.engine.dispose()


def test_a_cache_that_is_down_costs_the_cache_not_the_page(app_config, database, make_challenge) -> None:
    # Issue 13, bad input: Redis down -> pages render without it, never a 500; /healthz "degraded".
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:9/0"})
    try:
        slug = make_challenge("open")["slug"]
        for url in ("/", f"/challenges/{slug}", f"/challenges/{slug}"):
            response = app.test_client().get(url)
            assert response.status_code == 200
            assert response.headers.get("X-Page-Cache") != "hit"
            assert "ETag" in response.headers
        health = app.test_client().get("/healthz")
        assert health.status_code == 200
        assert health.json["status"] == "degraded"
        assert health.json["checks"]["page_cache"]["ok"] is False
        with app.app_context():
            db.session.scalar(select(Challenge).where(Challenge.slug == slug)).title = "Saved while Redis is down"
            db.session.commit()  # the bump fails quietly: the commit stands
        assert "Saved while Redis is down" in app.test_client().get(f"/challenges/{slug}").get_data(as_text=True)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_healthz_says_ok_with_the_memory_cache(app) -> None:
    check = app.test_client().get("/healthz").json["checks"]["page_cache"]
    assert check == {"ok": True, "enabled": True, "backend": "memory"}



# ---------------------------------------------------------------- static files
def test_static_files_have_hashed_urls_cached_for_a_year(app, client, make_user, login) -> None:
    html = app.test_client().get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', html)
    assert css, "the stylesheet's URL carries its content hash"
    assert re.search(r'src="/static/js/app\.js\?v=[0-9a-f]{12}"', html)
    assert css.group(2) == hashlib.sha256((Path(app.static_folder) / "css/app.css").read_bytes()).hexdigest()[:12]
    assert _static(app.test_client(), css.group(1)) == (200, "public, max-age=31536000, immutable")
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        assert _static(app.test_client(), url) == (200, "public, max-age=300"), url
    # Signed in, static files are still nobody's: cacheable, not no-store (S27 is about pages).
    make_user("static@example.org")
    login("static@example.org")
    assert _static(client, css.group(1)) == (200, "public, max-age=31536000, immutable")
    assert _static(app.test_client(), "/static/css/nope.css?v=1")[0] == 404


def _static(client, url: str) -> tuple[int, str | None]:
    response = client.get(url)
    response.close()  # a static response holds its file open
    return response.status_code, response.headers.get("Cache-Control")


def test_a_forged_or_odd_language_choice_is_ignored(app) -> None:
    # Issue 13, bad input: the choice lives in the signed session; a forged one is no session at all.
    name = app.config["SESSION_COOKIE_NAME"]
    forged = app.test_client()
    forged.set_cookie(name, "eyJsYW5nIjoiZGEifQ.forged.signature")
    response = forged.get("/", headers={"Accept-Language": "sv"})
    assert response.status_code == 200
    assert 'lang="sv"' in response.get_data(as_text=True)  # the header decides, not the forged cookie
    # A validly signed session naming a language we do not have falls back the same way.
    with app.test_request_context():
        signed = app.session_interface.get_signing_serializer(app).dumps({"lang": "xx<script>"})
    odd = app.test_client()
    odd.set_cookie(name, signed)
    page = odd.get("/challenges/", headers={"Accept-Language": "da"})
    assert page.status_code == 200
    assert 'lang="da"' in page.get_data(as_text=True)
    assert "xx&lt;script" not in page.get_data(as_text=True)


def test_every_bump_of_the_generation_file_is_a_new_generation(tmp_path) -> None:
    # Bumps follow each other within microseconds (a commit each): the file's time moves by at
    # least a nanosecond every time, and a missing file is made again.
    gen = pagecache._FileGeneration(tmp_path / "gen" / "page-cache.generation")
    seen = [gen.current()]
    for _ in range(200):
        gen.bump()
        seen.append(gen.current())
    assert len(set(seen)) == len(seen)
    (tmp_path / "gen" / "page-cache.generation").unlink()
    assert gen.current() not in seen
