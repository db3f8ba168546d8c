"""The whole journey: apply -> admin approves -> applicant emailed -> public page -> invite -> accept."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

from org_helpers import audit_actions, csrf_of, png_bytes
from sqlalchemy import select

from app.db import db


def _apply_data(csrf_token: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_token, "name": "Aarhus Kommune", "kind": "municipality", "country": "DK",
        "website": "https://www.aarhus.dk", "description": "The second largest city in Denmark.",
        "contact_email": "Privacy@Aarhus.dk", "timezone": "",
        "logo": (io.BytesIO(png_bytes()), "logo.png"),
    }
    data.update(overrides)
    return data


def test_apply_approve_invite_accept(app, client, make_user, login, new_client, smtp_sink, send_outbox) -> None:
    from app.organisations.models import Membership, Organisation

    make_user("ann@example.org", display_name="Ann Applicant")
    make_user("root@example.org", admin=True, display_name="Root Admin")
    login("ann@example.org")

    # Apply: the applicant becomes the owner of a pending organisation.
    response = client.post("/organisations/new", data=_apply_data(csrf_of(client, "/organisations/new")),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith("/organisations/aarhus-kommune")
    page = client.get("/organisations/aarhus-kommune").get_data(as_text=True)
    assert "Awaiting approval" in page
    assert "Aarhus Kommune" in page
    assert client.get("/organisations/aarhus-kommune/logo").status_code == 200
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.slug == "aarhus-kommune"))
        assert org.status == "pending"
        assert org.timezone == "Europe/Copenhagen"
        assert org.contact_email == "privacy@aarhus.dk"
        assert [(m.user.email, m.role) for m in org.memberships] == [("ann@example.org", "owner")]
        org_id = org.id

    # Pending: invisible to anonymous visitors, logo included; absent from the public list.
    stranger = new_client()
    assert stranger.get("/organisations/aarhus-kommune").status_code == 404
    assert stranger.get("/organisations/aarhus-kommune/logo").status_code == 404
    assert "Aarhus Kommune" not in stranger.get("/organisations/").get_data(as_text=True)

    # The admins are told, with a link on the canonical BASE_URL.
    send_outbox()
    admin_mail = smtp_sink.to("root@example.org")
    assert len(admin_mail) == 1
    assert f"http://localhost/admin/organisations/{org_id}" in smtp_sink.links(admin_mail[0])

    admin = new_client("root@example.org")
    review = admin.get(f"/admin/organisations/{org_id}")
    assert review.status_code == 200
    assert "Aarhus Kommune" in review.get_data(as_text=True)
    response = admin.post(f"/admin/organisations/{org_id}/approve",
                          data={"csrf_token": csrf_of(admin, f"/admin/organisations/{org_id}")})
    assert response.status_code == 302
    assert "organisation.approved" in audit_actions(app)

    # The applicant is emailed; the page is public now.
    smtp_sink.clear()
    send_outbox()
    approved = smtp_sink.to("ann@example.org")
    assert len(approved) == 1
    assert "Aarhus Kommune" in str(approved[0]["Subject"])
    link = next(u for u in smtp_sink.links(approved[0]) if u.endswith("/organisations/aarhus-kommune"))
    public = stranger.get(urlsplit(link).path)
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "Awaiting approval" not in html
    assert 'href="https://www.aarhus.dk" rel="nofollow noopener"' in html
    assert "privacy@aarhus.dk" in html
    assert "Challenges" in html
    assert 'alt="Logo of Aarhus Kommune"' in html
    assert "Aarhus Kommune" in stranger.get("/organisations/").get_data(as_text=True)

    # The owner invites a colleague by email, as editor.
    members_url = "/organisations/aarhus-kommune/members"
    response = client.post(f"{members_url}/invite", data={
        "csrf_token": csrf_of(client, members_url), "email": "Colleague@Example.org", "role": "editor"})
    assert response.status_code == 302
    assert "colleague@example.org" in client.get(members_url).get_data(as_text=True)

    smtp_sink.clear()
    send_outbox()
    invitation_mail = smtp_sink.to("colleague@example.org")
    assert len(invitation_mail) == 1
    invite_link = next(u for u in smtp_sink.links(invitation_mail[0]) if "/invitations/" in u)
    assert invite_link.startswith("http://localhost/invitations/")
    invite_path = urlsplit(invite_link).path

    # The colleague opens it first without an account: asked to log in or sign up, then comes back.
    colleague = new_client()
    first = colleague.get(invite_path)
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert "Aarhus Kommune" in text
    assert "Log in to answer" in text
    assert f"/account/login?next={invite_path}" in text.replace("%2F", "/")
    assert first.headers["Cache-Control"] == "no-store"

    make_user("colleague@example.org", display_name="Cole League")  # the new account
    colleague = new_client("colleague@example.org")
    page = colleague.get(invite_path)
    assert page.status_code == 200
    assert "Accept and join" in page.get_data(as_text=True)
    response = colleague.post(f"{invite_path}/accept", data={"csrf_token": csrf_of(colleague, invite_path)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organisations/aarhus-kommune")
    with app.app_context():
        roles = dict(db.session.execute(select(Membership.user_id, Membership.role)
                                        .where(Membership.organisation_id == org_id)).tuples().all())
        assert sorted(roles.values()) == ["editor", "owner"]
    assert colleague.get(members_url).status_code == 200
    assert "Cole League" in colleague.get(members_url).get_data(as_text=True)
    actions = audit_actions(app)
    for action in ("organisation.applied", "organisation.approved", "invitation.created",
                   "invitation.accepted", "membership.created"):
        assert action in actions

    # Accepting again is harmless: a message, no second membership.
    again = colleague.post(f"{invite_path}/accept", data={"csrf_token": csrf_of(colleague, members_url)})
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Membership).where(Membership.organisation_id == org_id)).all()) == 2


def test_your_organisations_page_lists_memberships(client, logged_in, make_org) -> None:
    uid = logged_in("user")
    make_org("Lunds universitet", owners=[uid], kind="university", country="SE", status="pending")
    page = client.get("/organisations/mine")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lunds universitet" in html
    assert "Awaiting approval" in html
    assert "Owner" in html
    assert 'href="/organisations/mine"' in client.get("/").get_data(as_text=True)


def test_your_organisations_needs_login(client) -> None:
    response = client.get("/organisations/mine")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
