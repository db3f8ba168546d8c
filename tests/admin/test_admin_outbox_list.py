"""The outbox page lists messages, not only counts (issue 12, item 7): recipient, subject, state,
attempts, last error and times in the viewer's zone; a filter by state and recipient (S31); pages;
the retry button still works behind CSRF (S23)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.mail.models import OutboxMessage, OutboxStatus

XSS = '<script>alert("x")</script>'


@pytest.fixture
def outbox(app: Flask) -> Callable[..., int]:
    """outbox(to, subject, status, attempts=0, last_error=None, created=...) -> id of a row added as the sender leaves it."""
    def _add(to: str, subject: str = "Hello", status: OutboxStatus = OutboxStatus.PENDING, attempts: int = 0,
             last_error: str | None = None, created: datetime | None = None) -> int:
        created = created or datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
        with app.app_context():
            row = OutboxMessage(to_addr=to, subject=subject, body_text="Hello", template="test_email",
                                status=status, attempts=attempts, last_error=last_error, created_at=created,
                                next_attempt_at=created + timedelta(minutes=5),
                                sent_at=created + timedelta(minutes=1) if status == OutboxStatus.SENT else None)
            db.session.add(row)
            db.session.commit()
            return row.id
    return _add


def _rows(html: str) -> str:
    return html[html.index("<tbody>"):html.index("</tbody>")] if "<tbody>" in html else ""


@pytest.mark.both_databases
def test_messages_are_listed_with_their_state_and_filtered(client: FlaskClient, logged_in: Callable[..., int],
                                                           outbox: Callable[..., int]) -> None:
    failed = outbox("bounce@example.org", "Your receipt", OutboxStatus.FAILED, 3, "550 5.1.1 no such user " + "x" * 300)
    outbox("waiting@example.org", "Please confirm", OutboxStatus.PENDING, 1, "421 try later")
    outbox("done@example.org", "Welcome", OutboxStatus.SENT, 1)
    outbox("under_score@example.org", "Underscore", OutboxStatus.SENT, 1)
    # Summer time in Copenhagen: 10:00 UTC is 12:00 for the viewer.
    logged_in("admin", timezone="Europe/Copenhagen")
    html = client.get("/admin/outbox").get_data(as_text=True)
    rows = _rows(html)
    assert rows.count("<tr>") == 4
    for text in ("bounce@example.org", "Your receipt", "550 5.1.1 no such user", "waiting@example.org",
                 "421 try later", "done@example.org", "Failed", "Waiting", "Sent"):
        assert text in rows, text
    assert "12:00" in rows  # created, in the viewer's zone
    assert "12:05" in rows  # next attempt of the waiting message
    assert f'action="/admin/outbox/{failed}/retry"' in rows
    assert rows.count("/retry") == 1  # only failed messages offer a retry
    assert re.search(r"<dt>Failed</dt>\s*<dd><a href=\"/admin/outbox\?state=failed\">1<", html)

    only_failed = _rows(client.get("/admin/outbox?state=failed").get_data(as_text=True))
    assert only_failed.count("<tr>") == 1
    assert "bounce@example.org" in only_failed
    by_recipient = _rows(client.get("/admin/outbox?recipient=WAITING@").get_data(as_text=True))
    assert by_recipient.count("<tr>") == 1
    assert "waiting@example.org" in by_recipient
    # LIKE wildcards are literal (S31): "_" finds only the address with an underscore.
    assert _rows(client.get("/admin/outbox?recipient=_").get_data(as_text=True)).count("<tr>") == 1
    assert _rows(client.get("/admin/outbox?recipient=%25").get_data(as_text=True)) == ""
    both = client.get("/admin/outbox?state=sent&recipient=done").get_data(as_text=True)
    assert _rows(both).count("<tr>") == 1
    assert "1 message" in both


@pytest.mark.parametrize(("query", "field"), [
    ({"state": "bounced"}, "state"), ({"state": "failed' OR 1=1 --"}, "state"), ({"recipient": "x" * 300}, "recipient"),
])
def test_bad_filter_values_are_a_400_at_the_field(client, logged_in, outbox, query, field) -> None:
    outbox("kept@example.org")
    logged_in("admin")
    kept = {"state": "pending", "recipient": "kept@"}
    kept = {k: v for k, v in kept.items() if k not in query}
    response = client.get("/admin/outbox", query_string={**kept, **query})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'id="error-summary"' in html
    assert "<tbody>" not in html
    if "recipient" in kept:
        assert 'value="kept@"' in html
    if "state" in kept:
        assert '<option selected value="pending">' in html


@pytest.mark.parametrize("page", ["abc", "0", "²", "3"])
def test_bad_pages_are_a_400_with_the_filter_kept(client, logged_in, outbox, page) -> None:
    outbox("kept@example.org")
    logged_in("admin")
    response = client.get("/admin/outbox", query_string={"recipient": "kept", "page": page})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="/admin/outbox?recipient=kept">' in html
    assert 'value="kept"' in html


@pytest.mark.both_databases
def test_pages(client, logged_in, outbox) -> None:
    for i in range(53):
        outbox(f"r{i:02d}@example.org", created=datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=i))
    logged_in("admin")
    first = client.get("/admin/outbox?state=pending").get_data(as_text=True)
    assert _rows(first).count("<tr>") == 50
    assert "r52@example.org" in first  # newest first
    assert "/admin/outbox?page=2&amp;state=pending" in first or "/admin/outbox?state=pending&amp;page=2" in first
    second = _rows(client.get("/admin/outbox?state=pending&page=2").get_data(as_text=True))
    assert second.count("<tr>") == 3
    assert "r00@example.org" in second


def test_retry_still_needs_csrf_and_works(app, client, logged_in, outbox, csrf) -> None:
    failed = outbox("bounce@example.org", "Your receipt", OutboxStatus.FAILED, 3, "550 no")
    logged_in("admin")
    assert client.post(f"/admin/outbox/{failed}/retry").status_code == 400
    response = client.post(f"/admin/outbox/{failed}/retry", data={"csrf_token": csrf("/admin/outbox?state=failed")})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(OutboxMessage, failed).status == OutboxStatus.PENDING


def test_values_are_escaped(client, logged_in, outbox) -> None:
    """(S28) An address, subject or error carrying markup is shown as text."""
    outbox(f"x{XSS}@example.org", XSS, OutboxStatus.FAILED, 1, XSS)
    logged_in("admin")
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;script&gt;" in html


def test_in_danish(client, logged_in, outbox) -> None:
    outbox("a@example.org", status=OutboxStatus.FAILED, attempts=2, last_error="550")
    logged_in("admin", locale="da")
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "Modtager indeholder" in html
    assert "1 meddelelse" in html


@pytest.mark.parametrize("role", ["anonymous", "user", "owner"])
def test_wrong_users_are_refused(client: FlaskClient, logged_in: Callable[..., int], make_org: Any,
                                 make_user: Callable[..., int], login: Callable[..., Any], role: str) -> None:
    if role == "user":
        logged_in("user")
    elif role == "owner":
        owner = make_user("owner@example.org")
        make_org("Fjordvik Kommune", owners=[owner])
        login("owner@example.org")
    for url in ("/admin/outbox", "/admin/outbox?state=failed", "/admin/outbox?state=bogus"):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302
            assert "/account/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, url
