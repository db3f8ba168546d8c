"""Admin: access rules, reviewing applications, finding and managing users, the audit log."""
from __future__ import annotations

import pytest
from org_helpers import audit_actions, csrf_of
from sqlalchemy import select

from app.db import db

GET_PAGES = ("/admin/", "/admin/organisations", "/admin/organisations/{org}", "/admin/users",
             "/admin/users/{user}", "/admin/audit")
POSTS = ("/admin/organisations/{org}/approve", "/admin/organisations/{org}/reject",
         "/admin/users/{user}/suspend", "/admin/users/{user}/unsuspend", "/admin/users/{user}/grant-admin",
         "/admin/users/{user}/revoke-admin")


@pytest.fixture
def pending(make_user, make_org):
    applicant = make_user("applicant@example.org", display_name="Appl Icant")
    org = make_org("Göteborgs Stad", owners=[applicant], status="pending", country="SE")
    return {"org": org["id"], "user": applicant, "slug": org["slug"]}


def _urls(templates, pending):
    return [t.format(org=pending["org"], user=pending["user"]) for t in templates]


def test_anonymous_is_sent_to_login(client, pending, db_state) -> None:
    before = db_state()
    token = csrf_of(client, "/")
    for url in _urls(GET_PAGES, pending):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"]
    for url in _urls(POSTS, pending):
        response = client.post(url, data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"]
    assert db_state() == before


def test_normal_user_gets_403_and_nothing_changes(client, logged_in, pending, db_state) -> None:
    logged_in("user")
    token = csrf_of(client, "/")
    before = db_state()
    for url in _urls(GET_PAGES, pending):
        assert client.get(url).status_code == 403, url
    for url in _urls(POSTS, pending):
        assert client.post(url, data={"csrf_token": token, "reason": "x"}).status_code == 403, url
    assert db_state() == before
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_admin_sees_every_page(client, logged_in, pending) -> None:
    logged_in("admin")
    for url in _urls(GET_PAGES, pending):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
        assert response.get_data(as_text=True).count("<h1") == 1
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Göteborgs Stad" in dashboard
    assert "Applications waiting for review" in dashboard


def test_admin_posts_need_csrf(client, logged_in, pending, db_state) -> None:
    # S23
    logged_in("admin")
    before = db_state()
    for url in _urls(POSTS, pending):
        assert client.post(url, data={"reason": "x"}).status_code == 400, url
    assert db_state() == before


def test_approve_writes_audit_and_emails(app, client, logged_in, pending, send_outbox, smtp_sink) -> None:
    from app.core.audit import AuditEvent
    from app.organisations.models import Organisation

    admin_id = logged_in("admin")
    page = f"/admin/organisations/{pending['org']}"
    response = client.post(f"{page}/approve", data={"csrf_token": csrf_of(client, page)})
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organisation, pending["org"])
        assert org.status == "approved"
        assert org.reviewed_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.approved"))
        assert (event.actor_id, event.object_type, event.object_id) == (admin_id, "organisation", org.id)
        assert event.created_at is not None
    send_outbox()
    assert len(smtp_sink.to("applicant@example.org")) == 1
    # Deciding twice is refused, without a second email.
    again = client.post(f"{page}/approve", data={"csrf_token": csrf_of(client, page)})
    assert again.status_code == 409
    assert "already been decided" in again.get_data(as_text=True)
    assert audit_actions(app).count("organisation.approved") == 1


def test_reject_needs_a_reason_and_tells_the_applicant(app, client, logged_in, pending, send_outbox,
                                                       smtp_sink, db_state) -> None:
    from app.organisations.models import Organisation

    logged_in("admin")
    page = f"/admin/organisations/{pending['org']}"
    before = db_state()
    response = client.post(f"{page}/reject", data={"csrf_token": csrf_of(client, page), "reason": "   "})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert client.post(f"{page}/reject", data={"csrf_token": csrf_of(client, page),
                                               "reason": "x" * 501}).status_code == 400
    assert db_state() == before
    response = client.post(f"{page}/reject", data={"csrf_token": csrf_of(client, page),
                                                   "reason": "We could not verify the organisation.",
                                                   "status": "approved"})
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organisation, pending["org"])
        assert org.status == "rejected"
        assert org.review_note == "We could not verify the organisation."
    assert "organisation.rejected" in audit_actions(app)
    send_outbox()
    (mail,) = smtp_sink.to("applicant@example.org")
    assert "We could not verify the organisation." in smtp_sink.text_of(mail)


@pytest.mark.both_databases
def test_status_filter_and_pages(client, logged_in, pending, make_org) -> None:
    make_org("Approved One")
    logged_in("admin")
    assert "Göteborgs Stad" in client.get("/admin/organisations").get_data(as_text=True)
    approved = client.get("/admin/organisations?status=approved").get_data(as_text=True)
    assert "Approved One" in approved
    assert "Göteborgs Stad" not in approved
    everything = client.get("/admin/organisations?status=all").get_data(as_text=True)
    assert "Approved One" in everything
    assert "Göteborgs Stad" in everything
    for query in ("status=deleted", "status=pending'--", "page=x", "page=0"):
        assert client.get(f"/admin/organisations?{query}").status_code == 400, query
    assert client.get("/admin/organisations?page=2").status_code == 404


@pytest.mark.both_databases
def test_user_search_escapes_wildcards(client, logged_in, make_user) -> None:
    # S31: LIKE wildcards in q are literal; the query is a bound parameter.
    make_user("percent@example.org", display_name="100% sure")
    make_user("under_score@example.org", display_name="Under Score")
    make_user("plain@example.org", display_name="Plain Person")
    logged_in("admin")

    def found(q: str) -> set[str]:
        response = client.get("/admin/users", query_string={"q": q})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return {e for e in ("percent@", "under_score@", "plain@") if e in html}

    assert found("%") == {"percent@"}
    assert found("_") == {"under_score@"}
    assert found("PLAIN") == {"plain@"}
    assert found("Person") == {"plain@"}
    assert found("example.org") == {"percent@", "under_score@", "plain@"}
    assert found("' OR 1=1 --") == set()
    assert found("\\") == set()
    assert client.get("/admin/users", query_string={"q": "x" * 101}).status_code == 400
    assert client.get("/admin/users?page=abc").status_code == 400


def test_suspension_ends_the_users_sessions(app, client, logged_in, make_user, new_client) -> None:
    # S13: suspending logs the user out everywhere, at once.
    from app.accounts.models import User, UserSession

    victim = make_user("victim@example.org")
    victim_client = new_client("victim@example.org")
    assert victim_client.get("/organisations/mine").status_code == 200
    admin_id = logged_in("admin")
    page = f"/admin/users/{victim}"
    response = client.post(f"{page}/suspend", data={"csrf_token": csrf_of(client, page)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, victim).is_suspended
        assert db.session.scalars(select(UserSession).where(UserSession.user_id == victim)).all() == []
    after = victim_client.get("/organisations/mine")
    assert after.status_code == 302
    assert "/account/login" in after.headers["Location"]
    assert "user.suspended" in audit_actions(app)
    # An admin cannot suspend themselves.
    own = f"/admin/users/{admin_id}"
    response = client.post(f"{own}/suspend", data={"csrf_token": csrf_of(client, own)})
    assert response.status_code == 400
    assert "your own account" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(User, admin_id).is_suspended
    # Lifting the suspension.
    response = client.post(f"{page}/unsuspend", data={"csrf_token": csrf_of(client, page)})
    assert response.status_code == 302
    assert "user.unsuspended" in audit_actions(app)
    assert new_client("victim@example.org").get("/organisations/mine").status_code == 200


def test_grant_and_revoke_admin(app, client, logged_in, make_user, new_client) -> None:
    from app.accounts.models import User

    helper = make_user("helper@example.org")
    admin_id = logged_in("admin")
    page = f"/admin/users/{helper}"
    assert client.post(f"{page}/grant-admin", data={"csrf_token": csrf_of(client, page)}).status_code == 302
    assert new_client("helper@example.org").get("/admin/").status_code == 200
    assert client.post(f"{page}/revoke-admin", data={"csrf_token": csrf_of(client, page)}).status_code == 302
    assert new_client("helper@example.org").get("/admin/").status_code == 403
    own = f"/admin/users/{admin_id}"
    assert client.post(f"{own}/revoke-admin", data={"csrf_token": csrf_of(client, own)}).status_code == 400
    with app.app_context():
        assert db.session.get(User, admin_id).is_admin
    actions = audit_actions(app)
    assert "user.admin_granted" in actions
    assert "user.admin_revoked" in actions


@pytest.mark.both_databases
def test_audit_log_filters(app, client, logged_in, pending, make_user) -> None:
    other = make_user("o@example.org")
    logged_in("admin")
    page = f"/admin/users/{other}"
    client.post(f"{page}/suspend", data={"csrf_token": csrf_of(client, page)})
    page = f"/admin/organisations/{pending['org']}"
    client.post(f"{page}/approve", data={"csrf_token": csrf_of(client, page)})
    html = client.get("/admin/audit").get_data(as_text=True)
    html = html[html.index("<tbody>"):]
    assert html.index("Organisation approved") < html.index("Account suspended")  # newest first
    only = client.get("/admin/audit?action=user.suspended").get_data(as_text=True)
    assert "Organisation approved</span>" not in only
    assert "Account suspended</span>" in only
    by_type = client.get("/admin/audit?object_type=organisation").get_data(as_text=True)
    assert "Account suspended</span>" not in by_type
    for query in ("action=nope", "object_type=users;--", "page=-3", "page=x", "page=2"):
        assert client.get(f"/admin/audit?{query}").status_code == 400, query
