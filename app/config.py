"""Configuration: defaults read from the environment. No secret lives here or in git."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.core.money import DEFAULT_REFERENCE_CURRENCY, exchange_rates

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))

LANGUAGES = ("en", "da", "nb", "sv")
# The shipped SECRET_KEY placeholder some people copy into .env files: refused in production.
KNOWN_BAD_SECRETS = {"", "dev", "changeme", "secret", "change-me", "please-change-me"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen environment."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/secret_key."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting at once must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def local_base_url(host: str | None, port: str | int | None) -> str:
    """The address links point at when BASE_URL is not set: where `make run HOST=.. PORT=..` (or
    `flask serve --host --port`) serves. A wildcard host (0.0.0.0, ::) is reached as 127.0.0.1."""
    host = (host or "127.0.0.1").strip()
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{int(port) if port else 5000}"


def _local_hosts(host: str | None) -> list[str]:
    hosts = ["127.0.0.1", "localhost", "::1"]
    if host and host.strip() not in hosts and host.strip() not in ("0.0.0.0", "::"):
        hosts.append(host.strip())
    return hosts


def _prize_rates(reference: str) -> dict[str, Any]:
    try:
        return exchange_rates(reference, os.environ.get("PRIZE_EXCHANGE_RATES"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def load_config(env: str | None = None) -> dict[str, Any]:
    """Build the configuration dict for APP_ENV `development` (default, demo), `production` or `testing`."""
    env = env or os.environ.get("APP_ENV", "development")
    instance = INSTANCE
    production = env == "production"
    base_url = (os.environ.get("BASE_URL") or local_base_url(os.environ.get("HOST"), os.environ.get("PORT"))).rstrip("/")
    trusted = os.environ.get("TRUSTED_HOSTS")
    prize_reference = os.environ.get("PRIZE_REFERENCE_CURRENCY", DEFAULT_REFERENCE_CURRENCY).strip().upper()
    cfg: dict[str, Any] = {
        "ENV_NAME": env,
        "DEBUG": _env_bool("FLASK_DEBUG", False),
        "SECRET_KEY": _secret_key(instance) if not production else os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'concept_arena.sqlite'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(instance / "index")),
        # whoosh (embedded, one index per host) or postgres (full-text search in the shared database).
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND", "whoosh"),
        # A missing or corrupt index starts a rebuild in the background on the first search (R08).
        "SEARCH_AUTO_REBUILD": True,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance / "uploads")),
        # Stored files no row refers to are swept once older than this (R05): a file written by a
        # request that has not committed yet is always younger.
        "UPLOAD_ORPHAN_TTL": timedelta(seconds=int(os.environ.get("UPLOAD_ORPHAN_TTL", str(24 * 3600)))),
        "MAILBOX_DIR": os.environ.get("MAILBOX_DIR", str(instance / "mailbox")),
        # The canonical address used in every link we email; never the request's Host header (S08).
        "BASE_URL": base_url,
        "TRUSTED_HOSTS": [h.strip() for h in trusted.split(",") if h.strip()] if trusted
        else (None if production else _local_hosts(os.environ.get("HOST"))),
        # Demo mode: demo data, the local mailbox page and its backend. Never in production.
        "DEMO_MODE": _env_bool("DEMO_MODE", not production),
        # Mail
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "mailbox"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Concept Arena <no-reply@concept-arena.example>"),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "8")),
        # Rate limits (R11): memory by default, Redis shared across workers and hosts when set.
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # The page cache for anonymous readers (core/pagecache.py): memory per worker, or Redis
        # (REDIS_URL) shared by every host. PAGE_CACHE_SECONDS bounds an entry's life; pages also
        # end at every public change and at the next clock-driven one. PAGE_MAX_AGE is what
        # browsers and proxies in front are told (Cache-Control: public, max-age).
        "PAGE_CACHE": _env_bool("PAGE_CACHE", True),
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", "300")),
        "PAGE_CACHE_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES", "2000")),
        "PAGE_CACHE_MAX_BYTES": int(os.environ.get("PAGE_CACHE_MAX_BYTES", str(1024 * 1024))),
        # The generation every worker of this host stats (no Redis): beside the other instance files.
        "PAGE_CACHE_GENERATION_FILE": os.environ.get("PAGE_CACHE_GENERATION_FILE",
                                                     str(instance / "page-cache.generation")),
        "PAGE_MAX_AGE": int(os.environ.get("PAGE_MAX_AGE", "10")),
        "PAGE_CACHE_KEY_PREFIX": os.environ.get("PAGE_CACHE_KEY_PREFIX", "concept-arena:pages:"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "100 per 15 minutes"),
        "RESET_LIMIT_PER_ACCOUNT": os.environ.get("RESET_LIMIT_PER_ACCOUNT", "5 per hour"),
        "RESET_LIMIT_PER_IP": os.environ.get("RESET_LIMIT_PER_IP", "30 per hour"),
        # Open data (the search API, /search as JSON, the search feeds), per address, shared by all.
        "OPEN_DATA_LIMIT_PER_IP": os.environ.get("OPEN_DATA_LIMIT_PER_IP", "60 per minute"),
        # Number of reverse proxies in front of us; 0 means X-Forwarded-For is ignored (S06, R11).
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # Sessions (S11-S14, P06): one cookie, the session; server-side rows make logout final.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "ca_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "SESSION_IDLE_TIMEOUT": timedelta(hours=2),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "REMEMBER_IDLE_TIMEOUT": timedelta(days=14),
        "REMEMBER_ABSOLUTE_TIMEOUT": timedelta(days=30),
        "REMEMBER_COOKIE_NAME": "__no_remember_cookie",
        # CSRF tokens live as long as the session: a long form must not expire after an hour (A07).
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        # Above any per-file limit (a challenge may allow concept files up to tens of MB), so those
        # limits answer first with the form kept; this one stops absurd requests (S34).
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(64 * 1024 * 1024))),
        "LOGO_MAX_BYTES": 2 * 1024 * 1024,
        # Tokens (S07)
        "VERIFY_TOKEN_TTL": timedelta(hours=48),
        "RESET_TOKEN_TTL": timedelta(minutes=60),
        "EMAIL_CHANGE_TOKEN_TTL": timedelta(hours=24),
        "INVITATION_TTL": timedelta(days=7),
        "TEAM_INVITATION_TTL": timedelta(days=7),
        "JURY_INVITATION_TTL": timedelta(days=7),
        # Judging (issue 10): invitations one staff member may send a day (Flask-Limiter syntax).
        "JURY_INVITE_LIMIT_PER_USER": os.environ.get("JURY_INVITE_LIMIT_PER_USER", "100 per day"),
        # Concepts (issue 5): writes after a deadline are refused by the server's clock; a grace
        # of a few seconds forgives a slow upload that started in time (R03). 0 = none.
        "SUBMISSION_GRACE_SECONDS": int(os.environ.get("SUBMISSION_GRACE_SECONDS", "0")),
        # Comparing prizes across currencies on the public list (issue 12): fixed, indicative rates,
        # the value of one unit of each currency in the reference currency (app/core/money.py has the
        # defaults). PRIZE_EXCHANGE_RATES="DKK=0.134,NOK=0.085" changes some of them; every currency a
        # challenge may use needs one. Amounts are always shown in their own currency.
        "PRIZE_REFERENCE_CURRENCY": prize_reference,
        "PRIZE_EXCHANGE_RATES": _prize_rates(prize_reference),
        # Passwords (S01)
        "PASSWORD_MIN_LENGTH": int(os.environ.get("PASSWORD_MIN_LENGTH", "12")),
        "PASSWORD_MAX_LENGTH": 1024,
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", "47104")),
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "2")),
        # Terms and privacy notice versions (P04): bump to ask everyone to accept again.
        "TERMS_VERSION": os.environ.get("TERMS_VERSION", "2026-11"),
        "PRIVACY_VERSION": os.environ.get("PRIVACY_VERSION", "2026-11"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Europe/Copenhagen"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": LANGUAGES,
        # A directory for compiled templates (Jinja's bytecode cache), shared by every app and
        # worker process that uses it, so each template is compiled once instead of once per
        # process start; each entry is checked against the template's source, so an edit never serves stale
        # code. None: compile in memory. The test harness sets one per test worker.
        "TEMPLATE_CACHE_DIR": os.environ.get("TEMPLATE_CACHE_DIR") or None,
        # Who runs this site: named as the data controller (P07) and in the accessibility statement (A11).
        "PLATFORM_OPERATOR": os.environ.get("PLATFORM_OPERATOR", "Concept Arena"),
        "PLATFORM_CONTACT_EMAIL": os.environ.get("PLATFORM_CONTACT_EMAIL", "contact@concept-arena.example"),
        "PREFERRED_URL_SCHEME": "https" if base_url.startswith("https") else "http",
    }
    if env == "testing":
        cfg.update(TESTING=True, DEMO_MODE=False, MAIL_BACKEND="smtp")
    return cfg


def check_production(cfg: dict[str, Any]) -> None:
    """Refuse to start production with unsafe settings (S39). Raises ConfigError."""
    problems = []
    if cfg.get("DEBUG"):
        problems.append("DEBUG must be off")
    key = cfg.get("SECRET_KEY") or ""
    if key in KNOWN_BAD_SECRETS or len(key) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if not cfg.get("TRUSTED_HOSTS"):
        problems.append("TRUSTED_HOSTS must list the host names the site answers to")
    if not str(cfg.get("BASE_URL", "")).startswith("https://"):
        problems.append("BASE_URL must be the site's https:// address")
    if int(cfg.get("ARGON2_MEMORY_COST", 0)) < 47104 or int(cfg.get("ARGON2_TIME_COST", 0)) < 1:
        problems.append("ARGON2_MEMORY_COST must be at least 47104 (KiB) and ARGON2_TIME_COST at least 1")
    if cfg.get("DEMO_MODE"):
        problems.append("DEMO_MODE must be off")
    if not cfg.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE must be on")
    if problems:
        raise ConfigError("Unsafe production configuration: " + "; ".join(problems))
