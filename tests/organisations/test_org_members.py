"""Members and invitations: the last-owner rule, token lifetimes, wrong accounts, reuse, audit."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from org_helpers import audit_actions, csrf_of
from sqlalchemy import func, select

from app.core.timeutil import clock
from app.db import db


def _memberships(app, org_id: int) -> dict[str, str]:
    from app.organisations.models import Membership

    with app.app_context():
        rows = db.session.scalars(select(Membership).where(Membership.organisation_id == org_id)).all()
        return {m.user.email: str(m.role) for m in rows}


def _membership_id(app, org_id: int, user_id: int) -> int:
    from app.organisations.models import Membership

    with app.app_context():
        return db.session.scalar(select(Membership.id).where(Membership.organisation_id == org_id,
                                                             Membership.user_id == user_id))


@pytest.fixture
def owned(client, make_user, login, make_org):
    """An approved organisation whose single owner is logged in on `client`."""
    owner = make_user("owner@example.org", display_name="Olga Owner")
    org = make_org("Tromsø kommune", owners=[owner], country="NO")
    login("owner@example.org")
    return {**org, "owner": owner, "members": f"/organisations/{org['slug']}/members"}


def _invite(client, owned, email: str, role: str = "editor", **extra: str):
    return client.post(f"{owned['members']}/invite",
                       data={"csrf_token": csrf_of(client, owned["members"]), "email": email, "role": role, **extra})


def _invitation_link(smtp_sink, send_outbox, email: str) -> str:
    send_outbox()
    messages = smtp_sink.to(email)
    assert messages, f"no mail to {email}"
    link = next(u for u in smtp_sink.links(messages[-1]) if "/invitations/" in u)
    return re.sub(r"^https?://[^/]+", "", link)


@pytest.mark.both_databases
def test_last_owner_can_be_neither_removed_nor_demoted(app, client, owned, db_state) -> None:
    own_id = _membership_id(app, owned["id"], owned["owner"])
    token = csrf_of(client, owned["members"])
    before = db_state()
    response = client.post(f"{owned['members']}/{own_id}/remove", data={"csrf_token": token})
    assert response.status_code == 400
    assert "at least one owner" in response.get_data(as_text=True)
    response = client.post(f"{owned['members']}/{own_id}/role", data={"csrf_token": token, "role": "editor"})
    assert response.status_code == 400
    assert "at least one owner" in response.get_data(as_text=True)
    assert db_state() == before


@pytest.mark.both_databases
def test_with_two_owners_one_may_step_down_and_then_is_the_last(app, client, owned, make_user) -> None:
    from app.organisations.models import Membership

    second = make_user("second@example.org")
    with app.app_context():
        db.session.add(Membership(organisation_id=owned["id"], user_id=second, role="owner"))
        db.session.commit()
    own_id = _membership_id(app, owned["id"], owned["owner"])
    second_id = _membership_id(app, owned["id"], second)
    token = csrf_of(client, owned["members"])
    assert client.post(f"{owned['members']}/{second_id}/role",
                       data={"csrf_token": token, "role": "editor"}).status_code == 302
    assert _memberships(app, owned["id"]) == {"owner@example.org": "owner", "second@example.org": "editor"}
    assert client.post(f"{owned['members']}/{own_id}/remove", data={"csrf_token": token}).status_code == 400
    assert client.post(f"{owned['members']}/{second_id}/remove", data={"csrf_token": token}).status_code == 302
    assert _memberships(app, owned["id"]) == {"owner@example.org": "owner"}
    actions = audit_actions(app)
    assert "membership.role_changed" in actions
    assert "membership.removed" in actions


def test_member_forms_ignore_mass_assignment(app, client, owned, make_user, make_org, db_state) -> None:
    # S20: organisation_id/user_id/status posted with the forms change nothing beyond the form's fields.
    other = make_org("Other")
    editor = make_user("ed@example.org")
    from app.organisations.models import Invitation, Membership

    with app.app_context():
        db.session.add(Membership(organisation_id=owned["id"], user_id=editor, role="editor"))
        db.session.commit()
    response = _invite(client, owned, "x@example.org", "editor", organisation_id=str(other["id"]),
                       invited_by_id="999", expires_at="2099-01-01", accepted_at="2020-01-01", token_hash="0" * 64)
    assert response.status_code == 302
    with app.app_context():
        inv = db.session.scalar(select(Invitation).where(Invitation.email == "x@example.org"))
        assert inv.organisation_id == owned["id"]
        assert inv.invited_by_id == owned["owner"]
        assert inv.accepted_at is None
        assert inv.token_hash != "0" * 64
        assert inv.expires_at - inv.created_at == timedelta(days=7)
    ed_id = _membership_id(app, owned["id"], editor)
    response = client.post(f"{owned['members']}/{ed_id}/role", data={
        "csrf_token": csrf_of(client, owned["members"]), "role": "editor", "user_id": str(owned["owner"]),
        "organisation_id": str(other["id"])})
    assert response.status_code == 302
    assert _memberships(app, owned["id"])["ed@example.org"] == "editor"
    assert _memberships(app, other["id"]) == {_email(app, other["owner"]): "owner"}
    before = db_state()
    bad = client.post(f"{owned['members']}/{ed_id}/role",
                      data={"csrf_token": csrf_of(client, owned["members"]), "role": "admin"})
    assert bad.status_code == 400
    assert db_state() == before


def _email(app, uid: int) -> str:
    from app.accounts.models import User

    with app.app_context():
        return db.session.get(User, uid).email


def test_invite_validation_and_existing_members(app, client, owned) -> None:
    response = _invite(client, owned, "not-an-email")
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    response = _invite(client, owned, "OWNER@example.org")
    assert response.status_code == 400
    assert "already a member" in response.get_data(as_text=True)
    response = _invite(client, owned, "a@example.org", role="admin")
    assert response.status_code == 400


@pytest.mark.both_databases
def test_reinviting_replaces_the_pending_invitation(app, client, owned, smtp_sink, send_outbox, make_user,
                                                    new_client) -> None:
    assert _invite(client, owned, "twice@example.org").status_code == 302
    first = _invitation_link(smtp_sink, send_outbox, "twice@example.org")
    smtp_sink.clear()
    assert _invite(client, owned, "twice@example.org", role="owner").status_code == 302
    second = _invitation_link(smtp_sink, send_outbox, "twice@example.org")
    assert first != second
    make_user("twice@example.org")
    invitee = new_client("twice@example.org")
    assert invitee.get(first).status_code == 400
    assert "withdrawn" in invitee.get(first).get_data(as_text=True)
    assert invitee.post(f"{second}/accept", data={"csrf_token": csrf_of(invitee, second)}).status_code == 302
    assert _memberships(app, owned["id"])["twice@example.org"] == "owner"


def test_expired_invitation_is_refused(app, client, owned, smtp_sink, send_outbox, make_user,
                                       new_client) -> None:
    assert _invite(client, owned, "late@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "late@example.org")
    make_user("late@example.org")
    clock.advance(timedelta(days=7, minutes=1))
    try:
        invitee = new_client("late@example.org")  # a fresh login: a week would end any session
        token = csrf_of(invitee, "/")
        page = invitee.get(link)
        assert page.status_code == 400
        assert "expired" in page.get_data(as_text=True)
        response = invitee.post(f"{link}/accept", data={"csrf_token": token})
        assert response.status_code == 400
    finally:
        clock.reset()
    assert "late@example.org" not in _memberships(app, owned["id"])


def test_revoked_invitation_is_refused(app, client, owned, smtp_sink, send_outbox, make_user,
                                       new_client) -> None:
    from app.organisations.models import Invitation

    assert _invite(client, owned, "gone@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "gone@example.org")
    with app.app_context():
        inv_id = db.session.scalar(select(Invitation.id).where(Invitation.email == "gone@example.org"))
    response = client.post(f"/organisations/{owned['slug']}/invitations/{inv_id}/revoke",
                           data={"csrf_token": csrf_of(client, owned["members"])})
    assert response.status_code == 302
    assert "invitation.revoked" in audit_actions(app)
    assert "There are no pending invitations" in client.get(owned["members"]).get_data(as_text=True)
    # Revoking twice is a clear refusal, not a crash.
    again = client.post(f"/organisations/{owned['slug']}/invitations/{inv_id}/revoke",
                        data={"csrf_token": csrf_of(client, owned["members"])})
    assert again.status_code == 400
    make_user("gone@example.org")
    invitee = new_client("gone@example.org")
    assert invitee.get(link).status_code == 400
    response = invitee.post(f"{link}/accept", data={"csrf_token": csrf_of(invitee, "/")})
    assert response.status_code == 400
    assert "gone@example.org" not in _memberships(app, owned["id"])


def test_wrong_account_cannot_accept(app, client, owned, smtp_sink, send_outbox, make_user, new_client,
                                     db_state) -> None:
    assert _invite(client, owned, "right@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "right@example.org")
    make_user("wrong@example.org")
    wrong = new_client("wrong@example.org")
    page = wrong.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "another address" in html
    assert "Accept and join" not in html
    before = db_state()
    response = wrong.post(f"{link}/accept", data={"csrf_token": csrf_of(wrong, "/")})
    assert response.status_code == 400
    assert "different email address" in response.get_data(as_text=True)
    assert wrong.post(f"{link}/decline", data={"csrf_token": csrf_of(wrong, "/")}).status_code == 400
    assert db_state() == before


def test_unverified_invitee_must_confirm_first(app, client, owned, smtp_sink, send_outbox, make_user,
                                               new_client) -> None:
    assert _invite(client, owned, "fresh@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "fresh@example.org")
    make_user("fresh@example.org", verified=False)
    fresh = new_client("fresh@example.org")
    response = fresh.post(f"{link}/accept", data={"csrf_token": csrf_of(fresh, "/")})
    assert response.status_code == 400
    assert "confirm your email address" in response.get_data(as_text=True)
    assert "fresh@example.org" not in _memberships(app, owned["id"])


@pytest.mark.both_databases
def test_used_invitation_cannot_be_reused_by_anyone_else(app, client, owned, smtp_sink, send_outbox,
                                                         make_user, new_client) -> None:
    assert _invite(client, owned, "first@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "first@example.org")
    make_user("first@example.org")
    first = new_client("first@example.org")
    assert first.post(f"{link}/accept", data={"csrf_token": csrf_of(first, link)}).status_code == 302
    # The same person again: told they are a member already.
    again = first.get(link)
    assert again.status_code == 302
    assert first.get(again.headers["Location"]).status_code == 200
    # Someone else, or nobody, with the used link: a clear 400 page.
    make_user("other@example.org")
    other = new_client("other@example.org")
    assert other.get(link).status_code == 400
    assert "already been used" in other.get(link).get_data(as_text=True)
    assert other.post(f"{link}/accept", data={"csrf_token": csrf_of(other, "/")}).status_code == 400
    assert new_client(None).get(link).status_code == 400
    assert _memberships(app, owned["id"]) == {"owner@example.org": "owner", "first@example.org": "editor"}


def test_decline(app, client, owned, smtp_sink, send_outbox, make_user, new_client) -> None:
    assert _invite(client, owned, "no@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "no@example.org")
    make_user("no@example.org")
    invitee = new_client("no@example.org")
    assert invitee.post(f"{link}/decline", data={"csrf_token": csrf_of(invitee, link)}).status_code == 302
    assert "invitation.declined" in audit_actions(app)
    assert invitee.get(link).status_code == 400
    assert "no@example.org" not in _memberships(app, owned["id"])


def test_unknown_tokens_are_404_and_anonymous_posts_go_to_login(client) -> None:
    for token in ("nope", "x" * 300, "%00"):
        assert client.get(f"/invitations/{token}").status_code == 404
    response = client.post("/invitations/nope/accept", data={"csrf_token": csrf_of(client, "/")})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_editor_sees_members_but_no_management(app, client, make_user, make_org, login, db_state) -> None:
    owner = make_user("own@example.org")
    editor = make_user("edit@example.org")
    org = make_org("Uppsala kommun", owners=[owner], editors=[editor], country="SE")
    login("edit@example.org")
    page = client.get(f"/organisations/{org['slug']}/members")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "own@example.org" in html
    assert "Only owners can" in html
    assert "Invite a colleague" not in html
    assert "/remove" not in html


def test_every_membership_change_is_audited(app, client, owned, smtp_sink, send_outbox, make_user,
                                            new_client) -> None:
    from app.core.audit import AuditEvent

    assert _invite(client, owned, "aud@example.org").status_code == 302
    link = _invitation_link(smtp_sink, send_outbox, "aud@example.org")
    make_user("aud@example.org")
    invitee = new_client("aud@example.org")
    assert invitee.post(f"{link}/accept", data={"csrf_token": csrf_of(invitee, link)}).status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.created"))
        assert event.actor_id is not None
        assert event.object_type == "membership"
        assert event.details["organisation_id"] == owned["id"]
        assert event.created_at is not None
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert count >= 3


class TestInviteRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "INVITE_LIMIT_PER_USER": "2 per hour"}

    def test_invitations_are_rate_limited_per_owner(self, app, client, owned, db_state) -> None:
        assert _invite(client, owned, "r1@example.org").status_code == 302
        assert _invite(client, owned, "r2@example.org").status_code == 302
        before = db_state()
        response = _invite(client, owned, "r3@example.org")
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)
        assert db_state() == before


def test_an_owner_who_leaves_is_sent_to_their_organisations(app, client, owned, make_user) -> None:
    from app.organisations.models import Membership

    second = make_user("co-owner@example.org")
    with app.app_context():
        db.session.add(Membership(organisation_id=owned["id"], user_id=second, role="owner"))
        db.session.commit()
    own_id = _membership_id(app, owned["id"], owned["owner"])
    response = client.post(f"{owned['members']}/{own_id}/remove", data={"csrf_token": csrf_of(client, owned["members"])})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organisations/mine")
    assert _memberships(app, owned["id"]) == {"co-owner@example.org": "owner"}
    assert client.get(owned["members"]).status_code == 404
