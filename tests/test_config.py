"""Configuration safety: production refuses unsafe settings (S39) and demo accounts (S10), and its
session cookie is __Host-, Secure, HttpOnly, SameSite=Lax (S11)."""
from __future__ import annotations

import re
import secrets
import stat
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.config import ConfigError, _secret_key, load_config
from app.db import db
from app.demo import load_demo

SITE = "https://concept-arena.example"
PASSWORD = "correct horse battery staple"  # make_user's default
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Everything load_config reads that could leak in from the shell running the tests.
ENV_NAMES = ("APP_ENV", "FLASK_DEBUG", "SECRET_KEY", "TRUSTED_HOSTS", "BASE_URL", "DATABASE_URL", "DEMO_MODE",
             "MAIL_BACKEND", "REDIS_URL", "PROXY_HOPS", "SEARCH_INDEX_DIR", "UPLOAD_DIR", "MAILBOX_DIR",
             "MAIL_SERVER", "MAIL_PORT", "TERMS_VERSION", "PRIVACY_VERSION")


@pytest.fixture
def prod_env(monkeypatch: pytest.MonkeyPatch, app: Flask, app_config: dict, tmp_path) -> pytest.MonkeyPatch:
    """A safe production environment on the test database (the `app` fixture cleans it up)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("TRUSTED_HOSTS", "concept-arena.example")
    monkeypatch.setenv("BASE_URL", SITE)
    monkeypatch.setenv("DATABASE_URL", app_config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "prod-index"))
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "prod-uploads"))
    monkeypatch.setenv("MAILBOX_DIR", str(tmp_path / "prod-mailbox"))
    monkeypatch.setenv("MAIL_PORT", str(app_config["MAIL_PORT"]))
    return monkeypatch


@pytest.fixture
def make_prod_app(prod_env: pytest.MonkeyPatch) -> Iterator[Callable[[], Flask]]:
    built: list[Flask] = []

    def _make() -> Flask:
        application = create_app("production")
        built.append(application)
        return application

    yield _make
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _login(client, email: str, password: str):
    page = client.get("/account/login", base_url=SITE)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match
    # On HTTPS Flask-WTF also checks that the Referer is our own origin.
    return page, client.post("/account/login", base_url=SITE, headers={"Referer": f"{SITE}/account/login"},
                             data={"email": email, "password": password, "csrf_token": match.group(1)})


# ---------------------------------------------------------------- S39
def test_a_safe_production_configuration_starts(make_prod_app) -> None:
    prod = make_prod_app()
    assert prod.config["ENV_NAME"] == "production"
    assert prod.config["DEMO_MODE"] is False
    assert prod.config["DEBUG"] is False
    response = prod.test_client().get("/", base_url=SITE)
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000  # S25 under HTTPS


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("FLASK_DEBUG", "1", "DEBUG"),
    ("SECRET_KEY", None, "SECRET_KEY"),
    ("SECRET_KEY", "", "SECRET_KEY"),
    ("SECRET_KEY", "changeme", "SECRET_KEY"),
    ("SECRET_KEY", "dev", "SECRET_KEY"),
    ("SECRET_KEY", "too-short-a-secret", "SECRET_KEY"),
    ("TRUSTED_HOSTS", None, "TRUSTED_HOSTS"),
    ("TRUSTED_HOSTS", " , ", "TRUSTED_HOSTS"),
    ("BASE_URL", "http://concept-arena.example", "BASE_URL"),
    ("DEMO_MODE", "1", "DEMO_MODE"),
    ("ARGON2_MEMORY_COST", "1024", "ARGON2_MEMORY_COST"),  # S03: below ASVS Appendix C
])
def test_unsafe_production_settings_refuse_to_start(make_prod_app, prod_env, name, value, complaint) -> None:
    # S39
    if value is None:
        prod_env.delenv(name)
    else:
        prod_env.setenv(name, value)
    with pytest.raises(ConfigError, match=complaint):
        make_prod_app()


def test_production_errors_are_generic(make_prod_app) -> None:
    # S39: a forced exception gives the error page, never a traceback.
    prod = make_prod_app()

    @prod.route("/_test/boom")
    def _boom() -> str:
        raise ValueError("internal detail /srv/app/secret.py")

    response = prod.test_client().get("/_test/boom", base_url=SITE)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    for leak in ("Traceback", "ValueError", "internal detail", "secret.py"):
        assert leak not in html


# ---------------------------------------------------------------- S11
def _cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    name_value, *attrs = [part.strip() for part in header.split(";")]
    parsed = {}
    for attr in attrs:
        key, _, val = attr.partition("=")
        parsed[key.lower()] = val
    return name_value.split("=", 1)[0], parsed


def test_production_session_cookie_flags(make_prod_app, make_user) -> None:
    # S11
    make_user("cookie@example.org")
    prod = make_prod_app()
    client = prod.test_client()
    page, response = _login(client, "cookie@example.org", PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    headers = page.headers.getlist("Set-Cookie") + response.headers.getlist("Set-Cookie")
    assert headers
    for header in headers:
        name, attrs = _cookie_attributes(header)
        assert name == "__Host-session"
        assert "secure" in attrs
        assert "httponly" in attrs
        assert attrs.get("samesite") == "Lax"
        assert attrs.get("path") == "/"
        assert "domain" not in attrs  # required by the __Host- prefix
    assert client.get("/account/", base_url=SITE).status_code == 200


# ---------------------------------------------------------------- S10
def test_production_refuses_to_start_while_demo_accounts_exist(app, make_prod_app) -> None:
    # S10
    with app.app_context():
        load_demo()
        db.session.commit()
    with pytest.raises(ConfigError, match="demo accounts"):
        make_prod_app()


def test_a_fresh_production_database_has_no_accounts(make_prod_app) -> None:
    # S10: no default account; 'admin'/'admin' gets nobody in.
    prod = make_prod_app()
    with prod.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    client = prod.test_client()
    for email in ("admin", "admin@concept-arena.example", "admin@example.org"):
        _page, response = _login(client, email, "admin")
        assert response.status_code == 400  # the form again, with the error
        assert client.get("/account/", base_url=SITE).status_code == 302


def test_demo_command_refuses_production(make_prod_app) -> None:
    # S10: demo accounts are loaded only by the demo command, and never in production.
    prod = make_prod_app()
    result = prod.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "never" in result.output
    with prod.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


# ---------------------------------------------------------------- defaults
def test_development_defaults(monkeypatch, tmp_path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    cfg = load_config("development")
    assert cfg["DEMO_MODE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["WTF_CSRF_TIME_LIMIT"] is None  # A07: the token lives as long as the session
    assert 0 < cfg["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024
    assert cfg["BASE_URL"].startswith("http://127.0.0.1")
    prod = load_config("production")
    assert prod["SESSION_COOKIE_NAME"] == "__Host-session"
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["DEMO_MODE"] is False
    assert prod["TRUSTED_HOSTS"] is None  # must be given explicitly


def test_secret_key_is_generated_once_and_private(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _secret_key(tmp_path)
    assert len(first) >= 48
    assert _secret_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_base_url_follows_host_and_port_unless_set(monkeypatch) -> None:
    """Issue 12: `make run PORT=8000` puts :8000 in every emailed link and feed entry."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.delenv("HOST", raising=False)
    assert load_config()["BASE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert load_config()["BASE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.setenv("HOST", "192.168.1.20")
    cfg = load_config()
    assert cfg["BASE_URL"] == "http://192.168.1.20:8000"
    assert "192.168.1.20" in cfg["TRUSTED_HOSTS"]
    monkeypatch.setenv("BASE_URL", "https://arena.example.org/")
    assert load_config()["BASE_URL"] == "https://arena.example.org"
