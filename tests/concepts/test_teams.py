"""Teams (issue 5, part B): invitations by email, joining, leaving, removing, the size limit and who sees the team.

Checklist rows: S17 (teams and invitations in the role-by-object matrix), S20 (extra fields on
accept are ignored), S23 (CSRF on every team POST), S28 (team name and invitee email escaped),
P08 (each member's own name consent). The race for the last place is in test_teams_race.py (S22).
"""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.concepts.models import Concept, ConceptMember, MemberRole, TeamInvitation
from app.core.audit import AuditEvent
from app.core.timeutil import clock, utcnow
from app.db import db
from app.organisations.services import token_hash

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------- helpers
def client_for(app, email: str) -> FlaskClient:
    """A fresh browser, logged in as `email` through the real form."""
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client


def post(client: FlaskClient, url: str, data: dict | None = None):
    token = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def team_url(concept_id: int) -> str:
    return f"/concepts/{concept_id}/team"


def invite(client: FlaskClient, concept_id: int, email: str):
    return post(client, f"{team_url(concept_id)}/invite", {"email": email})


def invitation_path(smtp_sink, send_outbox, email: str) -> str:
    send_outbox()
    messages = smtp_sink.to(email)
    assert messages, f"no mail to {email}"
    link = next(u for u in smtp_sink.links(messages[-1]) if "/team-invitations/" in u)
    return re.sub(r"^https?://[^/]+", "", link)


def seed_invitation(app, concept_id: int, email: str, *, days: int = 7) -> str:
    """An invitation row written straight into the database; returns its token."""
    token = uuid.uuid4().hex + uuid.uuid4().hex
    with app.app_context():
        concept = db.session.get(Concept, concept_id)
        db.session.add(TeamInvitation(concept_id=concept_id, email=email.lower(), token_hash=token_hash(token),
                                      invited_by_id=concept.owner_id, created_at=utcnow(),
                                      expires_at=utcnow() + timedelta(days=days)))
        db.session.commit()
    return token


def members_of(app, concept_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(select(ConceptMember).where(ConceptMember.concept_id == concept_id)).all()
        return {m.user.email: str(m.role) for m in rows}


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def email() -> str:
    return f"mate-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture
def setup(app, make_concept, make_challenge):
    def _make(members: int = 1, state: str = "draft", **challenge_fields):
        fields = {"allow_teams": True, "max_team_size": 3, **challenge_fields}
        challenge = make_challenge("open", **fields)
        made = make_concept(state, challenge=challenge, members=members)
        made["lead"] = client_for(app, made["owner"])
        return made
    return _make


# ---------------------------------------------------------------- the journey
@pytest.mark.both_databases
def test_invite_by_email_then_sign_up_and_accept(app, setup, smtp_sink, send_outbox, make_user) -> None:
    made = setup()
    cid = made["id"]
    address = email()
    response = invite(made["lead"], cid, address)
    assert response.status_code == 302
    path = invitation_path(smtp_sink, send_outbox, address)
    text = smtp_sink.text_of(smtp_sink.to(address)[-1])
    with app.app_context():
        concept = db.session.get(Concept, cid)
        assert concept.challenge.title in text
        assert concept.team_name in text
        invitation = db.session.scalar(select(TeamInvitation).where(TeamInvitation.concept_id == cid))
        # Stored only as its SHA-256: the token in the link is nowhere in the database.
        token = path.rsplit("/", 1)[1]
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in invitation.token_hash
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert f"Person {made['owner'].split('@')[0]}" in text

    # An anonymous visitor is told to log in or sign up with that address, and comes back here.
    anon = app.test_client()
    page = anon.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/account/signup" in html
    assert "/account/login?next=" in html
    assert "Cache-Control" in page.headers
    assert "no-store" in page.headers["Cache-Control"]

    make_user(address, display_name="New Mate", participant_kind="student")
    mate = client_for(app, address)
    assert mate.get(team_url(cid)).status_code == 404  # not yet on the team
    page = mate.get(path)
    assert page.status_code == 200
    assert "Accept and join the team" in page.get_data(as_text=True)
    smtp_sink.clear()
    response = post(mate, f"{path}/accept")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(team_url(cid))
    assert members_of(app, cid) == {made["owner"]: "owner", address: "member"}
    with app.app_context():
        member = db.session.scalar(select(ConceptMember).where(ConceptMember.concept_id == cid,
                                                               ConceptMember.role == MemberRole.MEMBER))
        assert member.challenge_id == made["challenge"]["id"]
        assert member.show_name_publicly is False  # P08: off until they opt in
    assert mate.get(team_url(cid)).status_code == 200
    # The lead is told.
    send_outbox()
    assert any("New Mate" in smtp_sink.text_of(m) for m in smtp_sink.to(made["owner"]))

    # Idempotent: accepting again changes nothing; the link now leads to the team page.
    response = post(mate, f"{path}/accept")
    assert response.status_code == 302
    assert members_of(app, cid) == {made["owner"]: "owner", address: "member"}
    assert mate.get(path).status_code == 302
    assert {"team_invitation.created", "team_invitation.accepted", "concept_member.joined"} <= set(actions(app))


@pytest.mark.both_databases
def test_team_page_shows_roles_places_and_pending_invitations(app, setup) -> None:
    made = setup(members=2)
    invite(made["lead"], made["id"], "pending@example.org")
    html = made["lead"].get(team_url(made["id"])).get_data(as_text=True)
    assert "Team lead" in html
    assert "Team member" in html
    assert "2 of 3 places taken, 1 invitation pending" in html
    assert "pending@example.org" in html
    assert "Withdraw" in html
    assert "Send the invitation" not in html  # full, counting the pending invitation
    mate = client_for(app, made["members"][1])
    html = mate.get(team_url(made["id"])).get_data(as_text=True)
    assert "pending@example.org" in html
    assert "Withdraw" not in html
    assert "Remove" not in html
    assert "Leave the team" in html


# ---------------------------------------------------------------- links that no longer work
@pytest.mark.both_databases
def test_expired_revoked_declined_and_unknown_links(app, setup, make_user) -> None:
    made = setup()
    cid = made["id"]
    addresses = [email() for _ in range(3)]
    for a in addresses:
        make_user(a, participant_kind="student")
    expired, revoked, declined = (seed_invitation(app, cid, a) for a in addresses)
    clients = [client_for(app, a) for a in addresses]

    # Revoked by the lead.
    with app.app_context():
        inv_id = db.session.scalar(select(TeamInvitation.id).where(TeamInvitation.email == addresses[1]))
    assert post(made["lead"], f"{team_url(cid)}/invitations/{inv_id}/revoke").status_code == 302
    response = clients[1].get(f"/team-invitations/{revoked}")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    assert post(clients[1], f"/team-invitations/{revoked}/accept").status_code == 410
    # Revoking twice is refused clearly.
    assert post(made["lead"], f"{team_url(cid)}/invitations/{inv_id}/revoke").status_code == 409

    # Declined by the invitee; accepting afterwards is refused.
    assert post(clients[2], f"/team-invitations/{declined}/decline").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(TeamInvitation.declined_at).where(
            TeamInvitation.email == addresses[2])) is not None
    assert post(clients[2], f"/team-invitations/{declined}/accept").status_code == 410

    # Expired after 7 days (server clock).
    clock.advance(timedelta(days=7, seconds=1))
    try:
        clients[0] = client_for(app, addresses[0])  # the old session has expired too
        response = clients[0].get(f"/team-invitations/{expired}")
        assert response.status_code == 410
        assert "expired" in response.get_data(as_text=True)
        assert post(clients[0], f"/team-invitations/{expired}/accept").status_code == 410
    finally:
        clock.reset()

    assert app.test_client().get("/team-invitations/not-a-token").status_code == 404
    assert post(clients[0], "/team-invitations/not-a-token/accept").status_code == 404
    assert post(clients[0], f"/team-invitations/{'x' * 300}/accept").status_code == 404
    assert members_of(app, cid) == {made["owner"]: "owner"}
    assert {"team_invitation.revoked", "team_invitation.declined"} <= set(actions(app))


def test_someone_elses_invitation_is_refused(app, setup, make_user) -> None:  # S17
    made = setup()
    invited, other = email(), email()
    make_user(invited)
    make_user(other)
    token = seed_invitation(app, made["id"], invited)
    stranger = client_for(app, other)
    page = stranger.get(f"/team-invitations/{token}")
    assert page.status_code == 403
    assert "another address" in page.get_data(as_text=True)
    assert "Accept and join" not in page.get_data(as_text=True)
    assert post(stranger, f"/team-invitations/{token}/accept").status_code == 403
    assert post(stranger, f"/team-invitations/{token}/decline").status_code == 403
    assert members_of(app, made["id"]) == {made["owner"]: "owner"}
    # Still usable by the right person.
    assert post(client_for(app, invited), f"/team-invitations/{token}/accept").status_code == 302


def test_unverified_invitee_is_asked_to_confirm_first(app, setup, make_user) -> None:
    made = setup()
    address = email()
    make_user(address, verified=False)
    token = seed_invitation(app, made["id"], address)
    mate = client_for(app, address)
    page = mate.get(f"/team-invitations/{token}")
    assert "confirm your email address" in page.get_data(as_text=True)
    assert post(mate, f"/team-invitations/{token}/accept").status_code == 403
    assert address not in members_of(app, made["id"])


# ---------------------------------------------------------------- limits
@pytest.mark.both_databases
def test_team_size_at_invite_and_resending(app, setup, smtp_sink, send_outbox) -> None:
    made = setup(max_team_size=2)
    cid = made["id"]
    first = email()
    assert invite(made["lead"], cid, first).status_code == 302
    old_path = invitation_path(smtp_sink, send_outbox, first)
    response = invite(made["lead"], cid, email())
    assert response.status_code == 409
    assert "at most 2 people" in response.get_data(as_text=True)
    # Re-sending to the same address replaces the link and keeps one pending invitation.
    smtp_sink.clear()
    assert invite(made["lead"], cid, first.upper()).status_code == 302
    new_path = invitation_path(smtp_sink, send_outbox, first)
    assert new_path != old_path
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TeamInvitation).where(
            TeamInvitation.concept_id == cid, TeamInvitation.revoked_at.is_(None))) == 1
    assert app.test_client().get(old_path).status_code == 410
    assert app.test_client().get(new_path).status_code == 200
    # Already a member, bad address, individuals-only challenge.
    assert invite(made["lead"], cid, made["owner"]).status_code == 400
    assert invite(made["lead"], cid, "not an address").status_code == 400


def test_individual_challenges_have_no_team(app, setup) -> None:
    made = setup(allow_teams=False)
    response = invite(made["lead"], made["id"], email())
    assert response.status_code == 409
    assert "individuals" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_team_size_at_accept(app, setup, make_user) -> None:
    made = setup(max_team_size=2)
    a, b = email(), email()
    make_user(a)
    make_user(b)
    # Both invitations exist (the limit could have been lowered since they were sent).
    ta, tb = seed_invitation(app, made["id"], a), seed_invitation(app, made["id"], b)
    assert post(client_for(app, a), f"/team-invitations/{ta}/accept").status_code == 302
    late = client_for(app, b)
    assert "already full" in late.get(f"/team-invitations/{tb}").get_data(as_text=True)
    response = post(late, f"/team-invitations/{tb}/accept")
    assert response.status_code == 409
    assert "full" in response.get_data(as_text=True)
    assert set(members_of(app, made["id"])) == {made["owner"], a}


@pytest.mark.both_databases
def test_one_concept_per_person_and_challenge(app, setup, make_concept) -> None:
    made = setup()
    other = make_concept("draft", challenge=made["challenge"])
    token = seed_invitation(app, made["id"], other["owner"])
    busy = client_for(app, other["owner"])
    response = post(busy, f"/team-invitations/{token}/accept")
    assert response.status_code == 409
    assert "already on a concept" in response.get_data(as_text=True)
    assert other["owner"] not in members_of(app, made["id"])


@pytest.mark.both_databases
def test_more_concepts_per_person_when_the_challenge_allows(app, setup, make_concept) -> None:
    made = setup(allow_multiple_concepts=True)
    other = make_concept("draft", challenge=made["challenge"])
    token = seed_invitation(app, made["id"], other["owner"])
    assert post(client_for(app, other["owner"]), f"/team-invitations/{token}/accept").status_code == 302
    assert other["owner"] in members_of(app, made["id"])


def test_organisation_staff_and_ineligible_people_cannot_join(app, setup, make_user) -> None:
    made = setup(eligibility=["startup"])
    staff = made["challenge"]["org"]["editor"]
    student = email()
    make_user(student, participant_kind="student")
    for address in (staff, student):
        token = seed_invitation(app, made["id"], address)
        response = post(client_for(app, address), f"/team-invitations/{token}/accept")
        assert response.status_code == 403
        assert ("work for the organisation" in response.get_data(as_text=True)
                or "open to startups only" in response.get_data(as_text=True))
    assert members_of(app, made["id"]) == {made["owner"]: "owner"}


def test_no_team_changes_after_the_deadline(app, setup, make_user) -> None:  # R03
    made = setup(members=2)
    cid = made["id"]
    address = email()
    make_user(address)
    token = seed_invitation(app, cid, address, days=30)
    with app.app_context():
        deadline = db.session.get(Concept, cid).challenge.deadline_at
        member_id = db.session.scalar(select(ConceptMember.id).where(ConceptMember.concept_id == cid,
                                                                     ConceptMember.role == "member"))
    clock.set(deadline + timedelta(seconds=1))
    try:
        # Sessions are timed by the same clock: log in after moving it.
        lead, mate, newcomer = (client_for(app, a) for a in (made["owner"], made["members"][1], address))
        assert invite(lead, cid, email()).status_code == 409
        response = post(newcomer, f"/team-invitations/{token}/accept")
        assert response.status_code == 409
        assert "deadline" in response.get_data(as_text=True)
        assert post(lead, f"{team_url(cid)}/members/{member_id}/remove").status_code == 409
        assert post(mate, f"{team_url(cid)}/leave").status_code == 409
        assert post(lead, f"{team_url(cid)}/name", {"team_name": "Late"}).status_code == 409
        html = lead.get(team_url(cid)).get_data(as_text=True)
        assert "deadline for this concept has passed" in html
        assert "Send the invitation" not in html
        # P08: consent about one's own name stays changeable.
        assert post(mate, f"{team_url(cid)}/consent", {"show_name_publicly": "y"}).status_code == 302
    finally:
        clock.reset()
    assert len(members_of(app, cid)) == 2


def test_withdrawn_concepts_take_no_team_changes(app, setup, make_user) -> None:
    made = setup(state="withdrawn")
    address = email()
    make_user(address)
    token = seed_invitation(app, made["id"], address)
    assert invite(made["lead"], made["id"], email()).status_code == 409
    assert post(client_for(app, address), f"/team-invitations/{token}/accept").status_code == 410


# ---------------------------------------------------------------- leaving, removing, the lead
def test_lead_removes_a_member_who_loses_access_at_once(app, setup, smtp_sink, send_outbox) -> None:
    made = setup(members=2)
    cid = made["id"]
    removed = made["members"][1]
    mate = client_for(app, removed)
    assert mate.get(team_url(cid)).status_code == 200
    with app.app_context():
        ids = dict(db.session.execute(select(ConceptMember.user_id, ConceptMember.id).where(
            ConceptMember.concept_id == cid)).tuples().all())
    assert post(made["lead"], f"{team_url(cid)}/members/{ids[made['owner_id']]}/remove").status_code == 409
    assert post(made["lead"], f"{team_url(cid)}/members/{ids[made['member_ids'][1]]}/remove").status_code == 302
    assert mate.get(team_url(cid)).status_code == 404
    assert members_of(app, cid) == {made["owner"]: "owner"}
    send_outbox()
    assert any("removed you" in smtp_sink.text_of(m) for m in smtp_sink.to(removed))
    assert "concept_member.removed" in actions(app)
    assert post(made["lead"], f"{team_url(cid)}/members/999999/remove").status_code == 404


def test_members_leave_and_the_lead_hands_over_first(app, setup) -> None:
    made = setup(members=3)
    cid = made["id"]
    mate = client_for(app, made["members"][1])
    assert post(mate, f"{team_url(cid)}/leave").status_code == 302
    assert mate.get(team_url(cid)).status_code == 404
    response = post(made["lead"], f"{team_url(cid)}/leave")
    assert response.status_code == 409
    assert "make another member the lead" in response.get_data(as_text=True)
    with app.app_context():
        other = db.session.scalar(select(ConceptMember.id).where(ConceptMember.concept_id == cid,
                                                                 ConceptMember.user_id == made["member_ids"][2]))
    assert post(made["lead"], f"{team_url(cid)}/members/{other}/lead").status_code == 302
    assert members_of(app, cid) == {made["owner"]: "member", made["members"][2]: "owner"}
    with app.app_context():
        assert db.session.get(Concept, cid).owner_id == made["member_ids"][2]
    assert post(made["lead"], f"{team_url(cid)}/leave").status_code == 302
    assert members_of(app, cid) == {made["members"][2]: "owner"}
    # The only member cannot leave (the concept would have nobody).
    last = client_for(app, made["members"][2])
    assert post(last, f"{team_url(cid)}/leave").status_code == 409
    assert {"concept_member.left", "concept.lead_changed"} <= set(actions(app))


def test_only_the_lead_manages_the_team(app, setup) -> None:  # S17
    made = setup(members=2)
    cid = made["id"]
    mate = client_for(app, made["members"][1])
    invite(made["lead"], cid, "someone@example.org")
    with app.app_context():
        inv = db.session.scalar(select(TeamInvitation.id).where(TeamInvitation.concept_id == cid))
        lead_member = db.session.scalar(select(ConceptMember.id).where(ConceptMember.concept_id == cid,
                                                                       ConceptMember.role == "owner"))
    before = (members_of(app, cid), actions(app))
    for url, data in ((f"{team_url(cid)}/invite", {"email": "x@example.org"}),
                      (f"{team_url(cid)}/invitations/{inv}/revoke", None),
                      (f"{team_url(cid)}/members/{lead_member}/remove", None),
                      (f"{team_url(cid)}/members/{lead_member}/lead", None),
                      (f"{team_url(cid)}/name", {"team_name": "Hijacked"})):
        assert post(mate, url, data).status_code == 403, url
    assert (members_of(app, cid), actions(app)) == before


# ---------------------------------------------------------------- name and consent
def test_team_name_and_name_consent(app, setup) -> None:  # P08
    made = setup(members=2)
    cid = made["id"]
    assert post(made["lead"], f"{team_url(cid)}/name", {"team_name": "  The  Sorters "}).status_code == 302
    response = post(made["lead"], f"{team_url(cid)}/name", {"team_name": "x" * 121})
    assert response.status_code == 400
    with app.app_context():
        concept = db.session.get(Concept, cid)
        assert concept.team_name == "The Sorters"
    mate = client_for(app, made["members"][1])
    assert post(mate, f"{team_url(cid)}/consent", {"show_name_publicly": "y"}).status_code == 302
    with app.app_context():
        rows = dict(db.session.execute(select(ConceptMember.user_id, ConceptMember.show_name_publicly).where(
            ConceptMember.concept_id == cid)).tuples().all())
    assert rows == {made["owner_id"]: False, made["member_ids"][1]: True}
    assert post(mate, f"{team_url(cid)}/consent", {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ConceptMember.show_name_publicly).where(
            ConceptMember.user_id == made["member_ids"][1])) is False


def test_team_name_of_a_submitted_concept_waits_for_reopening(app, setup) -> None:
    made = setup(state="submitted")
    response = post(made["lead"], f"{team_url(made['id'])}/name", {"team_name": "Renamed"})
    assert response.status_code == 409
    assert "Reopen" in response.get_data(as_text=True)


# ---------------------------------------------------------------- S17 matrix, S20, S23, S28
@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_team_page_is_the_teams_only(app, setup, make_user, state) -> None:  # S17
    made = setup(members=2, state=state)
    cid = made["id"]
    lead = made.pop("lead")
    org = made["challenge"]["org"]
    admin = email()
    make_user(admin, admin=True)
    outsider = email()
    make_user(outsider)
    other_team = setup()
    anon = app.test_client()
    assert anon.get(team_url(cid)).status_code == 302  # to the login page
    with app.app_context():
        deadline = db.session.get(Concept, cid).challenge.deadline_at
    for when in (None, deadline + timedelta(days=1)):  # before and after the deadline
        clock.set(when)
        try:
            for who in (outsider, org["owner"], org["editor"], admin, other_team["owner"]):
                c = client_for(app, who)
                assert c.get(team_url(cid)).status_code == 404, who
                assert post(c, f"{team_url(cid)}/invite", {"email": email()}).status_code == 404, who
                assert post(c, f"{team_url(cid)}/consent", {"show_name_publicly": "y"}).status_code == 404
                assert post(c, f"{team_url(cid)}/leave").status_code == 404
            assert client_for(app, made["owner"]).get(team_url(cid)).status_code == 200
            assert client_for(app, made["members"][1]).get(team_url(cid)).status_code == 200
        finally:
            clock.reset()
    # Another team's invitation id through this team's URL is not found.
    token = seed_invitation(app, other_team["id"], email())
    with app.app_context():
        foreign = db.session.scalar(select(TeamInvitation.id).where(TeamInvitation.token_hash == token_hash(token)))
    assert post(lead, f"{team_url(cid)}/invitations/{foreign}/revoke").status_code == 404
    assert post(other_team["lead"], f"{team_url(cid)}/invitations/{foreign}/revoke").status_code == 404


def test_accept_ignores_extra_fields(app, setup, make_user, make_concept) -> None:  # S20
    made = setup()
    other = make_concept("draft")
    address = email()
    uid = make_user(address)
    token = seed_invitation(app, made["id"], address)
    response = post(client_for(app, address), f"/team-invitations/{token}/accept",
                    {"role": "owner", "concept_id": str(other["id"]), "user_id": str(made["owner_id"]),
                     "challenge_id": "1", "show_name_publicly": "y"})
    assert response.status_code == 302
    assert members_of(app, made["id"]) == {made["owner"]: "owner", address: "member"}
    assert address not in members_of(app, other["id"])
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        assert concept.owner_id == made["owner_id"]
        assert concept.member_for(db.session.get(User, uid)).show_name_publicly is False


def test_team_posts_need_a_csrf_token(app, setup) -> None:  # S23
    made = setup(members=2)
    cid = made["id"]
    token = seed_invitation(app, cid, email())
    for url in (f"{team_url(cid)}/invite", f"{team_url(cid)}/leave", f"{team_url(cid)}/consent",
                f"{team_url(cid)}/name", f"{team_url(cid)}/invitations/1/revoke",
                f"{team_url(cid)}/members/1/remove", f"{team_url(cid)}/members/1/lead",
                f"/team-invitations/{token}/accept", f"/team-invitations/{token}/decline"):
        assert made["lead"].post(url, data={"email": "a@example.org", "team_name": "x"}).status_code == 400, url
    assert members_of(app, cid) == {made["owner"]: "owner", made["members"][1]: "member"}


XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def test_team_name_and_invitee_email_are_escaped(app, setup, make_user, smtp_sink, send_outbox) -> None:  # S28
    made = setup()
    cid = made["id"]
    assert post(made["lead"], f"{team_url(cid)}/name", {"team_name": XSS}).status_code == 302
    html = made["lead"].get(team_url(cid)).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)" in html
    # A hostile address is refused by the form and echoed escaped.
    response = invite(made["lead"], cid, XSS + "@example.org")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    # The invitation page and the HTML email show the team name as text.
    address = email()
    make_user(address)
    assert invite(made["lead"], cid, address).status_code == 302
    path = invitation_path(smtp_sink, send_outbox, address)
    page = client_for(app, address).get(path).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    message = smtp_sink.to(address)[-1]
    html_part = message.get_body(preferencelist=("html",)).get_content()
    assert "<script>alert(1)" not in html_part
    assert "<img src=x" not in html_part


def test_invitation_email_in_the_invitees_language(app, setup, make_user) -> None:
    from app.mail.models import OutboxMessage

    made = setup()
    known, unknown = email(), email()
    make_user(known, locale="sv")
    assert invite(made["lead"], made["id"], known).status_code == 302
    assert invite(made["lead"], made["id"], unknown).status_code == 302
    with app.app_context():
        locales = dict(db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.locale).where(
            OutboxMessage.template == "concepts/team_invitation")).tuples().all())
    # The invitee's language if the address has an account, else the inviter's (English here).
    assert locales == {known: "sv", unknown: "en"}


class TestInviteRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "TEAM_INVITE_LIMIT_PER_USER": "2 per hour"}

    def test_invitations_are_rate_limited_per_lead(self, app, setup) -> None:
        # Invitations email any address with text a participant chose: no bulk mail through teams.
        made = setup(max_team_size=10)
        assert invite(made["lead"], made["id"], email()).status_code == 302
        assert invite(made["lead"], made["id"], email()).status_code == 302
        response = invite(made["lead"], made["id"], email())
        assert response.status_code == 429
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(TeamInvitation)) == 2
