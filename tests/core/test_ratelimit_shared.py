"""Rate limits shared by every worker and host when REDIS_URL is set (R11, S06)."""
from __future__ import annotations

import re
import uuid

from flask import Flask

from app import create_app

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _bad_login(app: Flask, email: str, ip: str) -> int:
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": email, "password": "wrong password here",
                                                   "csrf_token": token},
                           environ_base={"REMOTE_ADDR": ip})
    return response.status_code


def test_two_workers_share_the_per_account_login_limit(app_config, make_user, app, redis_url) -> None:
    # R11: the counter lives in Redis, so a second worker (here: a second app) sees the first's failures.
    # Flask-Limiter keeps the first key prefix it was given for the life of the process (the limiter
    # is a module-level extension), so the prefix is fixed and the accounts are new in each run.
    prefix = "ca-test-shared"
    config = {**app_config, "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix,
              "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes", "LOGIN_LIMIT_PER_IP": "1000 per 15 minutes"}
    email = f"shared-limit-{uuid.uuid4().hex[:8]}@example.org"
    make_user(email)
    worker_a, worker_b = create_app(config), create_app(config)
    statuses = [_bad_login(worker_a if i % 2 else worker_b, email, f"10.0.0.{i}")
                for i in range(10)]
    assert 429 not in statuses
    # The 11th failure, from yet another address and on either worker, is refused: per account (S06).
    assert _bad_login(worker_a, email, "10.0.1.1") == 429
    assert _bad_login(worker_b, email, "10.0.1.2") == 429
    # Another account from the same addresses is not blocked: the limit is per account.
    assert _bad_login(worker_b, "other-" + email, "10.0.0.1") != 429
    for worker in (worker_a, worker_b):
        with worker.app_context():
            from app.db import db

            db.engine.dispose()
