"""S17/S18: role x object matrix for organisation pages, logos, members and invitations.

Every denial is checked to leave the database unchanged (memberships, invitations, audit, outbox).
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from org_helpers import csrf_of, png_bytes
from werkzeug.datastructures import FileStorage

from app.db import db

ACTORS = ("anonymous", "stranger", "editor_a", "owner_a", "owner_b", "admin")


@pytest.fixture
def world(app, make_user, make_org):
    from app.core.timeutil import utcnow
    from app.core.uploads import store_image
    from app.organisations.models import Invitation, Membership, Organisation
    from app.organisations.services import token_hash

    users = {name: make_user(f"{name.replace('_', '-')}@example.org", admin=(name == "admin"))
             for name in ACTORS if name != "anonymous"}
    org_a = make_org("Org A", status="pending", owners=[users["owner_a"]], editors=[users["editor_a"]])
    org_b = make_org("Org B", status="approved", owners=[users["owner_b"]])
    with app.app_context():
        a = db.session.get(Organisation, org_a["id"])
        a.logo_hash = store_image(FileStorage(io.BytesIO(png_bytes()), "a.png"), max_bytes=2_000_000,
                                  upload_dir=app.config["UPLOAD_DIR"])
        invitation = Invitation(organisation_id=a.id, email="invitee@example.org", role="editor",
                                token_hash=token_hash("tok-a"), expires_at=utcnow() + timedelta(days=7))
        db.session.add(invitation)
        db.session.commit()
        editor_membership = db.session.scalar(db.select(Membership.id).where(
            Membership.organisation_id == a.id, Membership.user_id == users["editor_a"]))
        owner_b_membership = db.session.scalar(db.select(Membership.id).where(
            Membership.organisation_id == org_b["id"]))
        return {"users": users, "a": org_a, "b": org_b, "invitation": invitation.id,
                "editor_membership": editor_membership, "owner_b_membership": owner_b_membership}


def _client_for(actor, new_client):
    return new_client(None if actor == "anonymous" else f"{actor.replace('_', '-')}@example.org")


# Expected status per actor for org A (pending). "login" = 302 to the login page.
GET_EXPECTED = {
    #                        anonymous  stranger editor_a owner_a owner_b admin
    "/organisations/{a}":         (404, 404, 200, 200, 404, 200),
    "/organisations/{a}/logo":    (404, 404, 200, 200, 404, 200),
    "/organisations/{a}/members": ("login", 404, 200, 200, 404, 200),
    "/organisations/{a}/edit":    ("login", 404, 200, 200, 404, 403),
}
# State-changing POSTs on org A: only owners of A may; editors and admins see A but may not (403).
POST_DENIED = ("login", 404, 403, None, 404, 403)


def _check(response, expected) -> None:
    if expected == "login":
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("actor", ACTORS)
def test_pending_organisation_matrix(world, new_client, db_state, actor) -> None:
    # S17, S18
    client = _client_for(actor, new_client)
    index = ACTORS.index(actor)
    slug = world["a"]["slug"]
    for template, expected in GET_EXPECTED.items():
        _check(client.get(template.format(a=slug)), expected[index])

    token = csrf_of(client, "/")
    posts = [
        (f"/organisations/{slug}/members/invite", {"email": "new@example.org", "role": "owner"}),
        (f"/organisations/{slug}/invitations/{world['invitation']}/revoke", {}),
        (f"/organisations/{slug}/members/{world['editor_membership']}/role", {"role": "owner"}),
        (f"/organisations/{slug}/members/{world['editor_membership']}/remove", {}),
        (f"/organisations/{slug}/edit", {"name": "Hijacked", "kind": "company", "country": "SE",
                                         "description": "x", "contact_email": "x@example.org"}),
    ]
    expected = POST_DENIED[index]
    if expected is None:  # the owner of A: every action goes through
        for url, data in posts:
            response = client.post(url, data={"csrf_token": token, **data})
            assert response.status_code == 302, (url, response.get_data(as_text=True)[:800])
        return
    for url, data in posts:
        before = db_state()
        response = client.post(url, data={"csrf_token": token, **data})
        edit_expected = expected
        if url.endswith("/edit") and actor == "editor_a":
            edit_expected = 302  # editors edit the profile
        _check(response, edit_expected)
        if edit_expected != 302:
            assert db_state() == before, url


@pytest.mark.parametrize("actor", ACTORS)
def test_approved_organisation_is_public_but_staff_pages_are_not(world, new_client, actor) -> None:
    # S17: an approved org's page and logo are public; members and edit stay with its staff.
    client = _client_for(actor, new_client)
    slug = world["b"]["slug"]
    assert client.get(f"/organisations/{slug}").status_code == 200
    expected_members = {"anonymous": "login", "owner_b": 200, "admin": 200}.get(actor, 404)
    _check(client.get(f"/organisations/{slug}/members"), expected_members)
    expected_edit = {"anonymous": "login", "owner_b": 200}.get(actor, 403)
    _check(client.get(f"/organisations/{slug}/edit"), expected_edit)


def test_owner_of_b_cannot_reach_a_membership_through_b(world, new_client, db_state) -> None:
    # S18: ids from another organisation behind one's own slug -> 404, nothing changes.
    client = _client_for("owner_b", new_client)
    slug_b = world["b"]["slug"]
    token = csrf_of(client, "/")
    before = db_state()
    for url in (f"/organisations/{slug_b}/members/{world['editor_membership']}/remove",
                f"/organisations/{slug_b}/members/{world['editor_membership']}/role",
                f"/organisations/{slug_b}/invitations/{world['invitation']}/revoke"):
        assert client.post(url, data={"csrf_token": token, "role": "owner"}).status_code == 404
    assert db_state() == before


def test_unknown_organisation_and_ids_are_404(world, new_client) -> None:
    client = _client_for("owner_a", new_client)
    token = csrf_of(client, "/")
    assert client.get("/organisations/no-such-org").status_code == 404
    assert client.get("/organisations/no-such-org/logo").status_code == 404
    slug = world["a"]["slug"]
    assert client.post(f"/organisations/{slug}/members/999999/remove", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/organisations/{slug}/invitations/999999/revoke",
                       data={"csrf_token": token}).status_code == 404


def test_logo_cache_headers(world, new_client, app) -> None:
    from app.organisations.models import Organisation

    owner = _client_for("owner_a", new_client)
    slug = world["a"]["slug"]
    pending = owner.get(f"/organisations/{slug}/logo")
    assert pending.status_code == 200
    assert "no-store" in pending.headers["Cache-Control"]
    assert "public" not in pending.headers["Cache-Control"]
    with app.app_context():
        org = db.session.get(Organisation, world["a"]["id"])
        org.status = "approved"
        db.session.commit()
        version = org.logo_hash[:16]
    anonymous = new_client(None)
    page = anonymous.get(f"/organisations/{slug}").get_data(as_text=True)
    assert f"/organisations/{slug}/logo?v={version}" in page
    public = anonymous.get(f"/organisations/{slug}/logo?v={version}")
    assert public.status_code == 200
    assert public.headers["Content-Type"] == "image/png"
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in public.headers["Cache-Control"]
    assert "public" in public.headers["Cache-Control"]
    assert anonymous.get(f"/organisations/{slug}/logo?v={version}",
                         headers={"If-None-Match": public.headers["ETag"]}).status_code == 304
    assert "max-age=3600" in anonymous.get(f"/organisations/{slug}/logo").headers["Cache-Control"]
    assert anonymous.get(f"/organisations/{world['b']['slug']}/logo").status_code == 404  # no logo
