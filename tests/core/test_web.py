"""Headers, health and error pages shared by every feature."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from app import create_app
from app.accounts.decorators import admin_required
from app.core.timeutil import utcnow
from app.core.web import ERROR_TEXTS
from app.db import db
from app.extensions import limiter
from app.mail.models import OutboxMessage, OutboxStatus
from app.search import indexing


def test_security_headers_on_pages_and_errors(client) -> None:
    # S25
    for url, status in (("/", 200), ("/does-not-exist", 404)):
        response = client.get(url)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                     "frame-ancestors 'none'", "form-action 'self'"):
            assert part in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["Referrer-Policy"]


# ---------------------------------------------------------------- error pages
@pytest.fixture
def error_app(app: Flask) -> Flask:
    """The test app plus routes that exist only here: one that crashes, one tightly rate-limited,
    one for admins only (the real decorator)."""
    @app.route("/_test/boom")
    def _boom() -> str:
        raise RuntimeError("secret detail: password=hunter2")

    @app.route("/_test/limited")
    @limiter.limit("2 per minute")
    def _limited() -> str:
        return "ok"

    @app.route("/_test/admin-only")
    @admin_required
    def _admin_only() -> str:
        return "ok"

    app.config["MAX_CONTENT_LENGTH"] = 4096
    return app


def _trigger(code: int, client, make_user, login, csrf, headers: dict[str, str]):
    if code == 400:  # a form without its CSRF token
        return client.post("/language", data={"lang": "da"}, headers=headers)
    if code == 403:
        make_user("plain@example.org")
        login("plain@example.org")
        return client.get("/_test/admin-only", headers=headers)
    if code == 404:
        return client.get("/no/such/page", headers=headers)
    if code == 405:
        return client.get("/language", headers=headers)
    if code == 413:
        return client.post("/language", data={"lang": "da", "pad": "x" * 8192}, headers=headers)
    if code == 429:
        for _ in range(2):
            assert client.get("/_test/limited").status_code == 200
        return client.get("/_test/limited", headers=headers)
    if code == 500:
        return client.get("/_test/boom", headers=headers)
    raise AssertionError(code)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_error_pages_in_the_users_language(error_app, client, make_user, login, csrf, code, lang) -> None:
    response = _trigger(code, client, make_user, login, csrf, {"Accept-Language": lang})
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    title, _text = ERROR_TEXTS[code]
    with error_app.test_request_context(), force_locale(lang):
        expected_title = str(title)
    assert f"<h1>{expected_title}</h1>" in html  # translated once the catalogs have it
    assert html.count("<h1>") == 1
    assert 'href="/accessibility"' in html  # the full layout, footer included (A11)
    assert "Content-Security-Policy" in response.headers  # S25 on error pages too
    if code == 405:
        assert response.headers["Allow"]


def test_500_page_hides_the_exception(error_app, client, caplog) -> None:
    # S39: generic error page; the details go to the log only.
    response = client.get("/_test/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret detail", 'File "'):
        assert leak not in html
    assert "hunter2" in caplog.text  # logged for the operator


def test_bad_csrf_page_explains_what_happened(client) -> None:
    response = client.post("/language", data={"lang": "da", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "sent from another site" in response.get_data(as_text=True)


# ---------------------------------------------------------------- trusted hosts (S08)
@pytest.mark.parametrize("path", ["/", "/account/login", "/no-such-page", "/healthz"])
def test_untrusted_host_is_refused_with_a_400(client, path) -> None:
    # S08
    response = client.get(path, headers={"Host": "evil.example", "Accept-Language": "sv"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "evil.example" not in html
    assert '<html lang="sv">' in html
    assert "Content-Security-Policy" in response.headers


def test_untrusted_host_cannot_post_either(client, csrf) -> None:
    token = csrf("/")
    response = client.post("/language", data={"lang": "da", "csrf_token": token},
                           headers={"Host": "evil.example"})
    assert response.status_code == 400


# ---------------------------------------------------------------- /healthz (R13)
def test_healthz_reports_each_signal(app, client) -> None:
    # R13
    with app.app_context():
        indexing.rebuild()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "disk", "search_index", "outbox"}
    assert body["checks"]["database"]["ok"] is True


def _add_outbox(app: Flask, age: timedelta, status: OutboxStatus = OutboxStatus.PENDING) -> None:
    with app.app_context():
        created = utcnow() - age
        db.session.add(OutboxMessage(to_addr="a@example.org", subject="s", body_text="b", template="t",
                                     status=status, created_at=created, next_attempt_at=created))
        db.session.commit()


@pytest.mark.both_databases
def test_healthz_is_degraded_by_old_pending_mail(app, client) -> None:
    # R13: mail stuck for more than an hour: still serving (200), but a monitor can see it.
    with app.app_context():
        indexing.rebuild()
    _add_outbox(app, timedelta(minutes=5))
    assert client.get("/healthz").get_json()["status"] == "ok"
    _add_outbox(app, timedelta(hours=3))
    _add_outbox(app, timedelta(days=2), status=OutboxStatus.SENT)  # old sent mail is no signal
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["oldest_pending_seconds"] >= 3 * 3600


def test_healthz_is_degraded_by_an_unreadable_index(app, client) -> None:
    # R13/R08: an index directory with files but no table of contents cannot be opened.
    with app.app_context():
        indexing.rebuild()
    index = Path(app.config["SEARCH_INDEX_DIR"]) / "current"
    for toc in index.resolve().glob("*.toc"):
        toc.unlink()
    (index / "_MAIN_1.seg").write_bytes(b"broken")
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["search_index"]["ok"] is False


def test_healthz_is_503_when_the_database_fails(app_config, tmp_path) -> None:
    # R13: the database cannot be opened at all.
    config = {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}
    broken = create_app(config)
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "down"
        assert body["checks"]["database"]["ok"] is False
        assert "outbox" not in body["checks"]
        assert not re.search(r"Traceback|/missing/dir", response.get_data(as_text=True))
    finally:
        with broken.app_context():
            db.engine.dispose()


def test_the_site_has_a_favicon_and_an_app_icon(client) -> None:
    """Issue 12, item 6."""
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in html
    assert 'rel="apple-touch-icon"' in html
    assert 'rel="manifest"' in html
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    for src in ("/static/icons/site.webmanifest", "/static/icons/icon-192.png", "/static/icons/icon-512.png",
                "/static/icons/apple-touch-icon.png", "/static/icons/favicon.svg"):
        with client.get(src) as response:
            assert response.status_code == 200, src
