"""Fixtures for the public pages' tests."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"  # make_user's default
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def sign_in(app: Flask) -> Callable[..., FlaskClient]:
    """sign_in(email, password=PASSWORD) -> a new client (a new device) logged in through the real form."""
    def _sign_in(email: str, password: str = PASSWORD, **headers: Any) -> FlaskClient:
        client = app.test_client()
        match = _CSRF_RE.search(client.get("/account/login").get_data(as_text=True))
        assert match, "no csrf_token on the login page"
        response = client.post("/account/login", headers=headers,
                               data={"email": email, "password": password, "csrf_token": match.group(1)})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        return client
    return _sign_in
