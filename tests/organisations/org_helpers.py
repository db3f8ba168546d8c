"""Helpers shared by the organisation and admin tests (imported by name: tests have no packages)."""
from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from app.db import db

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def png_bytes(size: tuple[int, int] = (64, 48), *, exif_marker: str | None = None, fmt: str = "PNG",
              color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small real image, optionally with an EXIF Artist tag carrying `exif_marker`."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if exif_marker:
        exif = Image.Exif()
        exif[0x013B] = exif_marker  # Artist
        exif[0x010E] = exif_marker  # ImageDescription
        kwargs["exif"] = exif.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def csrf_of(client: FlaskClient, url: str = "/") -> str:
    # Public pages carry no token for readers who are not logged in (issue 13): the login form does.
    match = CSRF_RE.search(client.get(url).get_data(as_text=True)) \
        or (url == "/" and CSRF_RE.search(client.get("/account/login").get_data(as_text=True)))
    assert match, f"no csrf token on {url}"
    return match.group(1)


def audit_actions(app: Flask) -> list[str]:
    from app.core.audit import AuditEvent

    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- fixtures (re-exported by conftest.py)
@pytest.fixture
def make_org(app: Flask, make_user: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    """make_org(name, status="approved", owners=[uid], editors=[uid]) -> {"id", "slug", "owner"}."""
    from app.organisations.models import Membership, Organisation, Role
    from app.organisations.services import unique_slug

    def _make(name: str | None = None, *, status: str = "approved", owners: list[int] | None = None,
              editors: list[int] | None = None, kind: str = "municipality", country: str = "DK",
              **fields: Any) -> dict[str, Any]:
        name = name or f"Kommune {uuid.uuid4().hex[:6]}"
        if owners is None:
            owners = [make_user(f"owner-{uuid.uuid4().hex[:6]}@example.org")]
        with app.app_context():
            fields.setdefault("description", "We run a town.")
            fields.setdefault("contact_email", "privacy@example.dk")
            org = Organisation(slug=unique_slug(name), name=name, kind=kind, country=country, status=status,
                               created_by_id=owners[0] if owners else None, **fields)
            db.session.add(org)
            db.session.flush()
            for uid in owners:
                db.session.add(Membership(organisation_id=org.id, user_id=uid, role=Role.OWNER))
            for uid in editors or []:
                db.session.add(Membership(organisation_id=org.id, user_id=uid, role=Role.EDITOR))
            db.session.commit()
            return {"id": org.id, "slug": org.slug, "owner": owners[0] if owners else None}
    return _make


@pytest.fixture
def db_state(app: Flask) -> Callable[[], dict[str, Any]]:
    """A fingerprint of everything organisation actions can change, to prove a denial changed nothing."""
    from app.core.audit import AuditEvent
    from app.mail.models import OutboxMessage
    from app.organisations.models import Invitation, Membership, Organisation

    def _state() -> dict[str, Any]:
        with app.app_context():
            return {
                "orgs": sorted(db.session.execute(select(Organisation.id, Organisation.status, Organisation.name,
                                                         Organisation.logo_hash)).tuples().all()),
                "members": sorted(db.session.execute(select(Membership.organisation_id, Membership.user_id,
                                                            Membership.role)).tuples().all()),
                "invitations": sorted(db.session.execute(select(Invitation.id, Invitation.revoked_at,
                                                                Invitation.accepted_at)).tuples().all(),
                                      key=lambda r: r[0]),
                "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
                "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
            }
    return _state


@pytest.fixture
def new_client(app: Flask) -> Callable[[str | None], FlaskClient]:
    """new_client(email) -> another browser, logged in through the real form when email is given."""
    def _client(email_addr: str | None = None, password: str = PASSWORD) -> FlaskClient:
        other = app.test_client()
        if email_addr:
            response = other.post("/account/login", data={"email": email_addr, "password": password,
                                                           "csrf_token": csrf_of(other, "/account/login")})
            assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        return other
    return _client
