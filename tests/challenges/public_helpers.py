"""Helpers for the public challenge tests (tests/challenges/test_public*.py and tests/feeds)."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeSDG, Tag
from app.db import db

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def client_as(app: Flask, email: str | None) -> FlaskClient:
    """A fresh client, logged in through the real form as `email` (or anonymous for None)."""
    client = app.test_client()
    if email is None:
        return client
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True))
    assert token
    response = client.post("/account/login", data={"email": email, "password": PASSWORD,
                                                   "csrf_token": token.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def csrf_token(client: FlaskClient, url: str = "/") -> str:
    # Public pages carry no token for readers who are not logged in (issue 13): the login form does.
    match = CSRF_RE.search(client.get(url).get_data(as_text=True)) \
        or (url == "/" and CSRF_RE.search(client.get("/account/login").get_data(as_text=True)))
    assert match, "no csrf_token"
    return match.group(1)


def tag(app: Flask, challenge: dict[str, Any], *slugs: str, sdgs: tuple[int, ...] = ()) -> None:
    """Give a challenge topics (created on first use) and SDGs."""
    with app.app_context():
        row = db.session.get(Challenge, challenge["id"])
        for slug in slugs:
            found = db.session.scalar(select(Tag).where(Tag.slug == slug)) or Tag(slug=slug, name=slug.title())
            row.tags.append(found)
        row.sdgs = [ChallengeSDG(goal=g) for g in sdgs]
        db.session.commit()
