"""The admin pages a person can read (issue 12, item 7) in a real browser: the overview, the audit
log and the outbox, in English and Danish at 1280 and 320 px, in every state an admin reaches
(filtered, a bad filter, after a retry): axe finds nothing (A01), nothing scrolls sideways at 320 px
(A05, WCAG 1.4.10), and screenshots go to test-artifacts/ for people to look at."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.core.audit import record_event
from app.core.timeutil import utcnow
from app.db import db
from app.mail.models import OutboxMessage, OutboxStatus

from .conftest import log_in, submit

pytestmark = pytest.mark.browser

LONG_WORD = "https://example.org/" + "a-very-long-path-without-any-spaces/" * 6
LONG_TEXT = ("The organisation could not be verified: the registration number given does not match the "
             "public register, and the contact address bounced. ") * 3


@pytest.fixture
def admin_world(app: Flask, make_user: Callable[..., int], make_concept: Callable[..., dict[str, Any]]) -> None:
    from app.accounts.models import User

    make_user("root@example.org", display_name="Ada Admin", admin=True)
    concept = make_concept("submitted")
    challenge = concept["challenge"]
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == "root@example.org"))
        lead = db.session.get(User, concept["owner_id"])
        owner = db.session.get(User, challenge["org"]["owner_id"])
        now = utcnow()
        events = [
            (owner, "organisation.applied", "organisation", challenge["org"]["id"], {"name": "Testby Kommune"}),
            (admin, "organisation.approved", "organisation", challenge["org"]["id"], {"name": "Testby Kommune"}),
            (owner, "challenge.amended", "challenge", challenge["id"],
             {"fields": ["summary", "deadline_at"], "reason": LONG_TEXT, "change_id": 4,
              "old": {"summary": "Old summary", "deadline_at": "2026-05-01T12:00:00+00:00"},
              "new": {"summary": LONG_WORD, "deadline_at": "2026-05-08T12:00:00+00:00"}}),
            (owner, "challenge.open", "challenge", challenge["id"], {"from": "scheduled", "to": "open"}),
            (lead, "concept.submitted", "concept", concept["id"],
             {"version": 1, "fingerprint": "f" * 64, "challenge_id": challenge["id"]}),
            (owner, "jury_invitation.created", "jury_invitation", 3, {"challenge_id": challenge["id"], "as_chair": True}),
            (admin, "user.suspended", "user", lead.id, {}),
            (None, "user.create_admin", "user", admin.id, {}),
            (admin, "some.future_code", "gadget", 9, {"note": LONG_WORD}),
        ]
        for i, (actor, action, object_type, object_id, details) in enumerate(events):
            event = record_event(actor=actor, action=action, object_type=object_type, object_id=object_id,
                                 details=details)
            event.created_at = now - timedelta(minutes=len(events) - i)
        for i, (status, error) in enumerate(((OutboxStatus.FAILED, "550 5.1.1 <" + "x" * 60 + "@example.org>: "
                                              "Recipient address rejected: User unknown in virtual mailbox table"),
                                             (OutboxStatus.PENDING, "421 4.7.0 Try again later"),
                                             (OutboxStatus.SENT, None))):
            db.session.add(OutboxMessage(
                to_addr=f"a-rather-long-address-{i}@kommune.example.org", subject="Your concept was received: "
                "Sorting made simple, with stickers on every bin", body_text="Hello", template="t",
                status=status, attempts=3 if status == OutboxStatus.FAILED else 1, last_error=error,
                created_at=now - timedelta(hours=i), next_attempt_at=now + timedelta(minutes=5),
                sent_at=now if status == OutboxStatus.SENT else None))
        db.session.commit()


def _no_sideways_scroll(page: Any, label: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"[{label}] {page.url} scrolls sideways: {width} > {inner}"


# Each language once, at one of the two widths (the suite's time budget; both widths and both
# languages are still covered).
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("da", 320)])
def test_admin_pages_pass_axe_and_reflow(admin_world: None, live_server: str, new_page: Callable[..., Any],
                                         audit: Callable[..., None], lang: str, width: int) -> None:
    page = new_page(lang, viewport={"width": width, "height": 900})
    log_in(page, live_server, "root@example.org")

    def check(path: str, label: str, status: int = 200) -> None:
        response = page.goto(live_server + path)
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        name = f"admin {label} {lang} {width}"
        audit(page, name, lang=lang)
        if width == 320:
            _no_sideways_scroll(page, name)

    check("/admin/", "overview")
    check("/admin/audit", "audit log")
    check("/admin/audit?action=challenge.amended", "audit log filtered by action")
    check("/admin/audit?actor=root%40example.org&date_from=2000-01-01", "audit log filtered by actor and date")
    check("/admin/audit?action=challenge.open&object_id=abc&date_from=2026-02-30", "audit log bad filter", 400)
    check("/admin/audit?page=9", "audit log past the last page", 400)
    check("/admin/outbox", "outbox")
    check("/admin/outbox?state=failed&recipient=kommune", "outbox filtered")
    check("/admin/outbox?state=bounced&recipient=kommune", "outbox bad filter", 400)
    page.goto(live_server + "/admin/outbox?state=failed")
    submit(page, "main table form")
    assert "/admin/outbox" in page.url
    assert page.locator(".flash-success").count() == 1
    audit(page, f"admin outbox after a retry {lang} {width}", lang=lang)
    if width == 320:
        _no_sideways_scroll(page, "outbox after a retry")


def test_audit_filter_form_by_keyboard_keeps_its_values(admin_world: None, live_server: str,
                                                        new_page: Callable[..., Any]) -> None:
    page = new_page("da", viewport={"width": 320, "height": 900})
    log_in(page, live_server, "root@example.org")
    page.goto(live_server + "/admin/audit")
    page.get_by_label("Handling").select_option("organisation.approved")
    page.get_by_label("Hvem").fill("nobody@example.org")
    with page.expect_navigation():
        page.get_by_label("Hvem").press("Enter")
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#actor-error").count() == 1
    assert page.get_by_label("Handling").input_value() == "organisation.approved"  # the rest is kept
    page.get_by_label("Hvem").fill("root@example.org")
    page.get_by_label("Handling").select_option("")
    with page.expect_navigation():
        page.get_by_label("Hvem").press("Enter")
    assert page.locator("#error-summary").count() == 0
    # Ada approved, suspended and used a future code; the command line's event has no actor.
    assert page.locator("table.audit-table tbody tr").count() == 3
