"""The admin overview shows platform figures (issue 12, item 7): challenges by state, concepts
submitted and accounts made this month, organisations and mail waiting (linked to their lists),
each figure in a definition list, numbers per locale; only platform admins reach any admin page."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from app.core.timeutil import clock
from app.db import db
from app.mail.models import OutboxMessage, OutboxStatus

ADMIN_PAGES = ("/admin/", "/admin/audit", "/admin/audit?action=x", "/admin/outbox", "/admin/outbox?state=x",
               "/admin/users", "/admin/organisations")


def _figure(html: str, label: str) -> str:
    """The <dd> text right after the <dt> named `label` (links and hidden texts stripped)."""
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert match, f"no figure {label!r}"
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1))
    return re.sub(r"<[^>]+>", "", text).strip()


@pytest.fixture
def platform(app: Flask, make_user: Callable[..., int], make_org: Callable[..., Any]) -> dict[str, Any]:
    from test_admin_audit_log import _challenge, _concept

    from app.challenges.models import Challenge, ChallengeState
    from app.concepts.models import ConceptVersion

    clock.set(datetime(2026, 6, 15, 12, 0, tzinfo=UTC))
    owner = make_user("owner@example.org")
    org = make_org("Fjordvik Kommune", owners=[owner])
    make_org("Nordhavn Kommune", status="pending")
    make_org("Søby Kommune", status="pending")
    open_ids = [_challenge(app, org["id"], owner)["id"] for _ in range(3)]
    closed = _challenge(app, org["id"], owner)["id"]
    with app.app_context():
        db.session.get(Challenge, closed).state = ChallengeState.CLOSED
        db.session.commit()
    now = clock.now()
    for i, when in enumerate((now - timedelta(days=1), now - timedelta(days=2), now - timedelta(days=40))):
        student = make_user(f"s{i}@example.org")
        concept = _concept(app, open_ids[0], student, f"Concept {i}")
        with app.app_context():
            db.session.add(ConceptVersion(concept_id=concept, number=1, source_lock_version=1, submitted_at=when,
                                          submitted_by_id=student, team_name="T", title="T", summary="S",
                                          body_md="B", language="en", licence="cc-by-4.0", tag_names=[],
                                          member_ids=[student], fingerprint="0" * 64, total_bytes=3))
            db.session.commit()
    with app.app_context():
        for status, n in ((OutboxStatus.PENDING, 2), (OutboxStatus.SENDING, 1), (OutboxStatus.FAILED, 1234)):
            db.session.add_all([OutboxMessage(to_addr="a@example.org", subject="s", body_text="b", template="t",
                                              status=status, created_at=now, next_attempt_at=now)
                                for _ in range(n)])
        db.session.commit()
    return {"org": org}


def test_platform_figures(client, logged_in, platform) -> None:
    logged_in("admin")
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _figure(html, "Open for concepts") == "3"
    assert _figure(html, "Closed") == "1"
    assert _figure(html, "Draft") == "0"
    assert _figure(html, "Concepts submitted") == "2"  # the one from 40 days ago is last month
    assert _figure(html, "Organisations waiting for approval") == "2"
    assert _figure(html, "Emails waiting to be sent") == "3"
    assert _figure(html, "Emails that could not be delivered") == "1,234"
    assert 'href="/admin/organisations?status=pending"' in html
    assert 'href="/admin/outbox?state=failed"' in html
    assert 'href="/admin/outbox?state=pending"' in html
    assert "This month (since June 1, 2026)" in html
    # Accounts made this month: the owner, three students, the staff of the pending organisations, the admin.
    assert int(_figure(html, "New accounts")) >= 5
    for heading in ("Waiting for you", "Challenges by state", "Users", "Organisations"):
        assert f">{heading}</h2>" in html


def test_figures_in_danish(client, logged_in, platform) -> None:
    logged_in("admin", locale="da")
    html = client.get("/admin/").get_data(as_text=True)
    assert _figure(html, "E-mails, der ikke kunne leveres") == "1.234"
    assert "Denne måned (siden 1. juni 2026)" in html


@pytest.mark.parametrize("role", ["anonymous", "user", "unverified", "owner"])
def test_only_platform_admins_reach_the_admin_pages(client, logged_in, make_user, make_org, login, role) -> None:
    if role in ("user", "unverified"):
        logged_in(role)
    elif role == "owner":
        owner = make_user("owner@example.org")
        make_org("Fjordvik Kommune", owners=[owner])
        login("owner@example.org")
    for url in ADMIN_PAGES:
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, url
            assert "/account/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, url
            assert "Organisations waiting for approval" not in response.get_data(as_text=True)
