"""The demo mailbox and the admin outbox page in a real browser: axe-core WCAG 2.1 A/AA, and the
verification-style link in a message is a working link (issue 3 item 5, R10)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.db import db
from app.mail.models import OutboxMessage

pytestmark = pytest.mark.browser
PASSWORD = "a long browser test password"


def test_demo_mailbox_pages_are_accessible_and_links_work(
        app: Flask, live_server: str, page: Any, axe_check: Callable[[Any, str], None],
        send_outbox: Callable[[], int]) -> None:
    app.config.update(DEMO_MODE=True, MAIL_BACKEND="mailbox")
    page.goto(live_server + "/dev/mailbox/")
    axe_check(page, "empty demo mailbox")
    with app.app_context():
        db.session.add(OutboxMessage(
            to_addr="reader@example.org", subject="Please confirm your email address", template="raw",
            locale="en", body_text=f"Hello,\n\nOpen this link:\n{live_server}/accessibility\n\n"
                                   "Elsewhere: https://evil.example/\n"))
        db.session.commit()
    assert send_outbox() == 1
    page.goto(live_server + "/dev/mailbox/")
    axe_check(page, "demo mailbox with a message")
    assert page.locator("h1").count() == 1
    page.get_by_role("link", name="Please confirm your email address").click()
    page.wait_for_load_state()
    axe_check(page, "demo mailbox message")
    assert page.locator("h1").inner_text() == "Please confirm your email address"
    assert page.get_by_role("link", name="https://evil.example/").count() == 0
    page.get_by_role("link", name=f"{live_server}/accessibility").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server}/accessibility"


def test_admin_outbox_page_is_accessible(app: Flask, live_server: str, page: Any,
                                         axe_check: Callable[[Any, str], None], make_user: Callable[..., int],
                                         queue: Callable[..., int], send_outbox: Callable[[], int],
                                         smtp_rejecting: Any) -> None:
    sink_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = smtp_rejecting.port
    queue("bounce@example.org", subject="Bounced")
    send_outbox()
    app.config["MAIL_PORT"] = sink_port
    queue("waiting@example.org", subject="Waiting")
    make_user("root@example.org", admin=True, password=PASSWORD)
    page.goto(live_server + "/account/login")
    page.fill("input[name=email]", "root@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server + "/admin/outbox")
    assert page.locator("h1").inner_text() == "Outbox"
    axe_check(page, "admin outbox")
    page.get_by_role("button", name="Send again").click()
    page.wait_for_load_state()
    assert "queued again" in page.content()
    axe_check(page, "admin outbox after a retry")
