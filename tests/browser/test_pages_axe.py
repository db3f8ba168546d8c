"""axe-core (WCAG 2.1 A/AA) on every page built in issue 3, in each state a user can reach: empty
form, form with errors, after success, signed out, signed in, unverified, as owner, member and
admin (A01). Each failure names the page and the state; screenshots go to test-artifacts/."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import follow, log_in, submit

pytestmark = pytest.mark.browser

Audit = Callable[..., None]


def _link(smtp_sink: Any, address: str, part: str) -> str:
    links = [u for m in smtp_sink.to(address) for u in smtp_sink.links(m) if part in u]
    assert links, f"no email to {address} with a link containing {part}"
    return links[-1]


def test_signed_out_pages(live_server: str, new_page: Callable[..., Any], audit: Audit,
                          make_user: Callable[..., int], smtp_sink: Any, send_outbox: Callable[[], int]) -> None:
    make_user("forgetful@example.org")
    page = new_page("en")

    for path, label in (("/", "home"), ("/accessibility", "accessibility statement"),
                        ("/privacy", "privacy notice"), ("/terms", "terms of use"),
                        ("/organisations/", "organisations, none yet")):
        page.goto(live_server + path)
        audit(page, f"signed out: {label}")

    assert page.goto(live_server + "/no-such-page").status == 404
    audit(page, "signed out: error page 404")
    assert page.goto(live_server + "/account/verify/not-a-token").status == 400
    audit(page, "signed out: error page 400 (bad link)")

    # Sign-up's states are audited in test_journey.py, in English and Danish.
    for path, label in (("/account/login", "log in"), ("/account/password/forgot", "forgot password")):
        page.goto(live_server + path)
        audit(page, f"signed out: {label}, empty form")
        submit(page)
        assert page.locator("#error-summary").count() == 1, f"{label}: no error summary"
        audit(page, f"signed out: {label}, form with errors")

    page.fill("input[name=email]", "forgetful@example.org")
    submit(page)
    assert page.url.endswith("/account/password/forgot/sent")
    audit(page, "signed out: forgot password, link sent")

    send_outbox()
    page.goto(_link(smtp_sink, "forgetful@example.org", "/account/password/reset/"))
    audit(page, "signed out: reset password, empty form")
    page.fill("input[name=password]", "a new long password for me")
    page.fill("input[name=confirm]", "not the same password at all")
    submit(page)
    assert page.locator("#error-summary").count() == 1
    audit(page, "signed out: reset password, form with errors")


def test_account_pages_signed_in(live_server: str, new_page: Callable[..., Any], audit: Audit,
                                 make_user: Callable[..., int]) -> None:
    make_user("member@example.org", display_name="Maja Member")
    make_user("late@example.org", display_name="Lars Late", accepted_terms=False)
    make_user("unverified@example.org", display_name="Ulla Unverified", verified=False)

    page = new_page("en")
    log_in(page, live_server, "member@example.org")
    audit(page, "signed in: home")

    page.goto(live_server + "/account/")
    audit(page, "signed in: account page")
    page.fill("input[name=display_name]", "")
    submit(page, "main form.stacked")
    assert page.locator("#error-summary").count() == 1
    audit(page, "signed in: account page, form with errors")

    for path, label in (("/account/password", "change password"), ("/account/email", "change email")):
        page.goto(live_server + path)
        audit(page, f"signed in: {label}, empty form")
        submit(page, "main form.stacked")
        assert page.locator("#error-summary").count() == 1, f"{label}: no error summary"
        audit(page, f"signed in: {label}, form with errors")

    page.goto(live_server + "/organisations/mine")
    audit(page, "signed in: your organisations, none")
    page.goto(live_server + "/admin/")
    audit(page, "signed in, not admin: admin page refused")

    # P04: a user who has not accepted the current terms meets the interstitial first.
    late = new_page("en")
    log_in(late, live_server, "late@example.org")
    late.goto(live_server + "/account/")
    assert "/account/terms" in late.url
    audit(late, "signed in: accept the terms, empty form")
    submit(late, "main form.stacked")
    assert late.locator("#error-summary").count() == 1
    audit(late, "signed in: accept the terms, form with errors")

    unverified = new_page("en")
    log_in(unverified, live_server, "unverified@example.org")
    audit(unverified, "signed in, unverified: home (flash)")
    unverified.goto(live_server + "/account/")
    audit(unverified, "signed in, unverified: account page with notice")
    unverified.goto(live_server + "/organisations/new")
    audit(unverified, "signed in, unverified: organisation application refused")


def test_organisation_and_admin_pages(live_server: str, new_page: Callable[..., Any], audit: Audit,
                                      make_user: Callable[..., int], smtp_sink: Any,
                                      send_outbox: Callable[[], int]) -> None:
    make_user("owner@example.org", display_name="Olga Owner")
    make_user("admin@example.org", display_name="Ada Admin", admin=True)
    make_user("colleague@example.org", display_name="Cai Colleague")

    owner = new_page("en")
    log_in(owner, live_server, "owner@example.org")
    owner.goto(live_server + "/organisations/new")
    audit(owner, "owner: apply for an organisation, empty form")
    submit(owner, "main form.stacked")
    assert owner.locator("#error-summary").count() == 1
    audit(owner, "owner: apply for an organisation, form with errors")
    owner.fill("input[name=name]", "Testby Kommune")
    owner.check("input[name=kind][value=municipality]")
    owner.check("input[name=country][value=DK]")
    owner.fill("input[name=website]", "https://testby.example.dk")
    owner.fill("textarea[name=description]", "A small municipality by the sea.")
    owner.fill("input[name=contact_email]", "privacy@testby.example.dk")
    submit(owner, "main form.stacked")
    assert owner.locator("#error-summary").count() == 0, owner.locator("#error-summary").inner_text()
    slug_match = re.search(r"/organisations/([^/?#]+)$", owner.url)
    assert slug_match, owner.url
    slug = slug_match.group(1)
    audit(owner, "owner: organisation page, pending (flash)")
    owner.goto(live_server + "/organisations/mine")
    audit(owner, "owner: your organisations")

    admin = new_page("en")
    log_in(admin, live_server, "admin@example.org")
    for path, label in (("/admin/", "admin home"), ("/admin/organisations", "applications, pending"),
                        ("/admin/users", "users"), ("/admin/users?q=owner", "users, searched"),
                        ("/admin/outbox", "outbox")):
        admin.goto(live_server + path)
        audit(admin, f"admin: {label}")
    admin.goto(live_server + "/admin/users?q=owner")
    follow(admin, "main a[href^='/admin/users/']")
    audit(admin, "admin: user detail")
    admin.goto(live_server + "/admin/organisations")
    follow(admin, "main a[href^='/admin/organisations/']")
    audit(admin, "admin: application detail")
    submit(admin, "main form.stacked")  # reject without a reason
    assert admin.locator("#error-summary").count() == 1
    audit(admin, "admin: application detail, reject form with errors")
    submit(admin)  # approve
    audit(admin, "admin: applications after approving (flash)")
    admin.goto(live_server + "/admin/organisations?status=all")
    audit(admin, "admin: applications, all")
    admin.goto(live_server + "/admin/audit")
    audit(admin, "admin: audit log")

    owner.goto(f"{live_server}/organisations/{slug}")
    audit(owner, "owner: organisation page, approved")
    owner.goto(f"{live_server}/organisations/{slug}/edit")
    audit(owner, "owner: edit organisation, filled form")
    owner.fill("input[name=name]", "")
    submit(owner, "main form.stacked")
    assert owner.locator("#error-summary").count() == 1
    audit(owner, "owner: edit organisation, form with errors")
    owner.goto(f"{live_server}/organisations/{slug}/members")
    audit(owner, "owner: members, no invitations")
    submit(owner, "main form.stacked")  # invite with no address
    assert owner.locator("#error-summary").count() == 1
    audit(owner, "owner: members, invitation form with errors")
    owner.fill("input[name=email]", "colleague@example.org")
    submit(owner, "main form.stacked")
    audit(owner, "owner: members, invitation pending (flash)")

    send_outbox()
    invitation = _link(smtp_sink, "colleague@example.org", "/invitations/")
    stranger = new_page("en")
    stranger.goto(invitation)
    audit(stranger, "signed out: invitation")
    colleague = new_page("en")
    log_in(colleague, live_server, "colleague@example.org")
    colleague.goto(invitation)
    audit(colleague, "invitee: invitation")
    submit(colleague)  # accept
    audit(colleague, "member: after accepting the invitation (flash)")
    colleague.goto(f"{live_server}/organisations/{slug}/members")
    audit(colleague, "member (editor): members page")

    stranger.goto(live_server + "/organisations/")
    audit(stranger, "signed out: organisations list")
    stranger.goto(f"{live_server}/organisations/{slug}")
    audit(stranger, "signed out: organisation page")
    stranger.goto(f"{live_server}/organisations/{slug}/members")
    audit(stranger, "signed out: members page refused")


class TestDemoMailbox:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        """Demo mode: mail goes to the local mailbox, whose page exists only then."""
        return {**app_config, "DEMO_MODE": True, "MAIL_BACKEND": "mailbox"}

    def test_demo_mailbox(self, live_server: str, new_page: Callable[..., Any], audit: Audit,
                          send_outbox: Callable[[], int]) -> None:
        page = new_page("en")
        page.goto(live_server + "/dev/mailbox/")
        audit(page, "demo: mailbox, empty")
        page.goto(live_server + "/account/signup")
        page.fill("input[name=email]", "demo-newcomer@example.org")
        page.fill("input[name=display_name]", "Demo Newcomer")
        page.fill("input[name=password]", "a perfectly long demo password")
        page.check("input[name=participant_kind][value=startup]")
        page.check("input[name=accept_terms]")
        submit(page)
        assert send_outbox() == 1
        page.goto(live_server + "/dev/mailbox/")
        audit(page, "demo: mailbox, one message")
        follow(page, "main a[href^='/dev/mailbox/']")
        audit(page, "demo: mailbox message")
