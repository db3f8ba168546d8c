"""The mailbox backend and the demo mailbox page (issue 3 item 5): files under MAILBOX_DIR, a page
that exists only in demo mode, and message bodies that are escaped with only our own links live."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.core.timeutil import clock
from app.db import db
from app.mail.mailbox import is_own_url, linkify
from app.mail.models import OutboxMessage, OutboxStatus


@pytest.fixture
def demo(app: Flask) -> Flask:
    app.config.update(DEMO_MODE=True, MAIL_BACKEND="mailbox")
    return app


def _keys(client: FlaskClient) -> list[str]:
    html = client.get("/dev/mailbox/").get_data(as_text=True)
    return re.findall(r'href="/dev/mailbox/([0-9a-f-]+)"', html)


def test_mailbox_backend_writes_files_and_nothing_leaves_the_machine(
        demo: Flask, queue: Callable[..., int], row: Callable[[int], OutboxMessage],
        send_outbox: Callable[[], int], smtp_sink: Any) -> None:
    first, second = queue("one@example.org"), queue("two@example.org")
    assert send_outbox() == 2
    files = sorted(Path(demo.config["MAILBOX_DIR"]).glob("*.eml"))
    assert len(files) == 2
    assert row(first).status == OutboxStatus.SENT
    assert row(second).status == OutboxStatus.SENT
    assert smtp_sink.messages == []
    assert send_outbox() == 0
    assert len(list(Path(demo.config["MAILBOX_DIR"]).glob("*.eml"))) == 2
    assert b"Auto-Submitted: auto-generated" in files[0].read_bytes()


def test_demo_mailbox_lists_messages_newest_first_in_the_viewers_time_zone(
        demo: Flask, client: FlaskClient, queue: Callable[..., int], send_outbox: Callable[[], int]) -> None:
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    queue("older@example.org", subject="The older one")
    send_outbox()
    clock.advance(timedelta(minutes=5))
    queue("newer@example.org", subject="The newer one")
    send_outbox()
    response = client.get("/dev/mailbox")  # with or without the slash
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This is the demo mailbox" in html
    assert "Real deployments send real email" in html
    assert "Anyone who can open this site can read this page" in html
    assert html.index("newer@example.org") < html.index("older@example.org")
    assert html.index("The newer one") < html.index("The older one")
    # Europe/Copenhagen (the default zone) is UTC+1 in November.
    assert "10:05" in html
    assert "10:00" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_demo_mailbox_message_shows_headers_and_escaped_text_with_only_our_links_live(
        demo: Flask, client: FlaskClient, send_outbox: Callable[[], int]) -> None:
    body = ("Hello <b>you</b> & co.\n"
            "Verify: http://localhost/account/verify/abc?x=1&y=2.\n"
            "Not ours: https://evil.example/phish and http://localhost.evil.example/x\n"
            "Sneaky: http://localhost/\"><script>alert(1)</script>\n")
    with demo.app_context():
        db.session.add(OutboxMessage(to_addr="reader@example.org", subject="<i>Welcome</i>", body_text=body,
                                     body_html="<p>Hello</p><script>alert(2)</script>", template="raw",
                                     locale="en"))
        db.session.commit()
    assert send_outbox() == 1
    [key] = _keys(client)
    response = client.get(f"/dev/mailbox/{key}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    assert "reader@example.org" in main
    assert "&lt;i&gt;Welcome&lt;/i&gt;" in main
    assert "<i>" not in main
    assert "Hello &lt;b&gt;you&lt;/b&gt; &amp; co." in main
    assert '<a href="http://localhost/account/verify/abc?x=1&amp;y=2">' in main
    assert 'href="https://evil.example' not in main
    assert 'href="http://localhost.evil.example' not in main
    assert "https://evil.example/phish" in main
    assert "<script>" not in html
    assert "alert(2)" not in html  # the HTML part is never shown
    assert "also has an HTML version" in main
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_demo_mailbox_is_404_when_demo_mode_is_off(app: Flask, client: FlaskClient, queue: Callable[..., int],
                                                   send_outbox: Callable[[], int]) -> None:
    app.config.update(DEMO_MODE=True, MAIL_BACKEND="mailbox")
    queue()
    send_outbox()
    [key] = _keys(client)
    app.config["DEMO_MODE"] = False
    assert client.get("/dev/mailbox/").status_code == 404
    assert client.get("/dev/mailbox").status_code == 404
    assert client.get(f"/dev/mailbox/{key}").status_code == 404
    assert "/dev/mailbox" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("key", ["nope", "..%2F..%2Fsecret_key", "20261102090000000000-0000000001-deadbeef",
                                 "%2Fetc%2Fpasswd"])
def test_unknown_or_crafted_message_keys_are_404(demo: Flask, client: FlaskClient, key: str) -> None:
    assert client.get(f"/dev/mailbox/{key}").status_code == 404


def test_empty_demo_mailbox_says_so(demo: Flask, client: FlaskClient) -> None:
    html = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "No email yet" in html


@pytest.mark.parametrize(("url", "ours"), [
    ("http://localhost", True), ("http://localhost/", True), ("http://localhost/a?b=c", True),
    ("http://localhost.evil.example/", False), ("http://localhost@evil.example/", False),
    ("https://localhost/", False), ("http://localhost:8000/", False),
])
def test_only_links_on_base_url_are_ours(url: str, ours: bool) -> None:
    assert is_own_url(url, "http://localhost") is ours
    assert ("<a " in linkify(url, "http://localhost")) is ours
