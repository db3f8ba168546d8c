"""The jury (issue 10, item 1): staff invite jurors by email, name chairs and remove jurors; the
invitee answers the emailed link (signing up from it if need be); each juror chooses how the
published jury list names them.

Checklist rows: S07 (hashed, expiring, single-use invitation tokens), S16 (anonymous visitors are
sent to log in; the invitation link is the one public page), S17 (the role-by-object matrix of
every jury route), S20 (accepting reads nothing but the token), S21 (no jury changes after the
results), S22 (one seat per person and challenge; duplicate invitations), S23 (CSRF on every POST).
"""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.timeutil import clock, utcnow
from app.db import db
from app.judging.models import JudgingRound, JuryInvitation, JurySeat, RoundJuror, RoundState
from app.organisations.services import token_hash

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------- helpers
def client_for(app, email: str, password: str = PASSWORD) -> FlaskClient:
    """A fresh browser, logged in as `email` through the real form."""
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client


def post(client: FlaskClient, url: str, data: dict | None = None):
    token = (CSRF_RE.search(client.get("/").get_data(as_text=True))
            or CSRF_RE.search(client.get("/account/login").get_data(as_text=True))).group(1)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def jury_url(slug: str) -> str:
    return f"/challenges/{slug}/jury"


def invite(client: FlaskClient, slug: str, email: str, chair: bool = False):
    data = {"email": email}
    if chair:
        data["as_chair"] = "y"
    return post(client, f"{jury_url(slug)}/invite", data)


def invitation_path(smtp_sink, send_outbox, email: str) -> str:
    send_outbox()
    messages = smtp_sink.to(email)
    assert messages, f"no mail to {email}"
    link = next(u for u in smtp_sink.links(messages[-1]) if "/jury-invitations/" in u)
    return re.sub(r"^https?://[^/]+", "", link)


def seed_invitation(app, challenge_id: int, email: str, *, as_chair: bool = False, days: int = 7) -> str:
    """An invitation row written straight into the database; returns its token."""
    token = uuid.uuid4().hex + uuid.uuid4().hex
    with app.app_context():
        db.session.add(JuryInvitation(challenge_id=challenge_id, email=email.lower(), as_chair=as_chair,
                                      token_hash=token_hash(token), created_at=utcnow(),
                                      expires_at=utcnow() + timedelta(days=days)))
        db.session.commit()
    return token


def seats_of(app, challenge_id: int) -> dict[str, tuple[bool, bool]]:
    """{email: (is_chair, removed)} of every seat of the challenge."""
    with app.app_context():
        rows = db.session.scalars(select(JurySeat).where(JurySeat.challenge_id == challenge_id)).all()
        return {s.user.email: (s.is_chair, s.removed_at is not None) for s in rows}


def seat_id(app, challenge_id: int, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(JurySeat.id).join(User, User.id == JurySeat.user_id).where(
            JurySeat.challenge_id == challenge_id, User.email == email))


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def invitation_count(app, challenge_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JuryInvitation).where(
            JuryInvitation.challenge_id == challenge_id))


def new_email(prefix: str = "juror") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


# ---------------------------------------------------------------- the journey
@pytest.mark.both_databases
def test_invite_sign_up_from_the_link_accept_and_choose_the_listing(app, make_judging, smtp_sink,
                                                                   send_outbox) -> None:  # S07, S16
    made = make_judging(concepts=2, jurors=1)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    page = staff.get(jury_url(slug))
    assert page.status_code == 200
    assert made["chair"] in page.get_data(as_text=True)
    address = new_email("newcomer")
    response = invite(staff, slug, address)
    assert response.status_code == 302
    assert address in staff.get(jury_url(slug)).get_data(as_text=True)  # listed as pending

    path = invitation_path(smtp_sink, send_outbox, address)
    text = smtp_sink.text_of(smtp_sink.to(address)[-1])
    with app.app_context():
        invitation = db.session.scalar(select(JuryInvitation).where(JuryInvitation.challenge_id == cid))
        title, org = invitation.challenge.title, invitation.challenge.organisation.name
        token = path.rsplit("/", 1)[1]
        # S07: stored only as its SHA-256, a week to live.
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        assert invitation.as_chair is False
    assert title in text
    assert org in text
    assert "http://localhost/jury-invitations/" in text  # built on BASE_URL (external_url)

    # An anonymous visitor sees what it is and is asked to log in or sign up, then come back.
    anon = app.test_client()
    page = anon.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert title in html
    assert org in html
    assert "Juror" in html
    assert "/account/signup" in html
    assert re.search(r'href="/account/login\?next=(%2F|/)jury-invitations(%2F|/)' + re.escape(token), html)
    assert "need not use the address" in html
    assert "no-store" in page.headers["Cache-Control"]
    assert post(anon, f"{path}/accept").status_code == 302  # to the login page
    assert seats_of(app, cid).get(address) is None

    # Sign up from the link, confirm the address, log in with `next` and land on the invitation.
    newcomer = app.test_client()
    signup = newcomer.get("/account/signup")
    data = {"email": address, "display_name": "Nina Newcomer", "password": PASSWORD, "participant_kind": "other",
            "institution": "", "accept_terms": "y", "csrf_token": CSRF_RE.search(signup.get_data(as_text=True)).group(1)}
    assert newcomer.post("/account/signup", data=data).status_code == 302
    send_outbox()
    verify = next(u for m in smtp_sink.to(address) for u in smtp_sink.links(m) if "/account/verify/" in u)
    verify = re.sub(r"^https?://[^/]+", "", verify)
    token_page = newcomer.get(verify).get_data(as_text=True)
    assert newcomer.post(verify, data={"csrf_token": CSRF_RE.search(token_page).group(1)}).status_code == 302
    login_page = newcomer.get(f"/account/login?next={path}").get_data(as_text=True)
    response = newcomer.post(f"/account/login?next={path}", data={
        "email": address, "password": PASSWORD, "next": path, "csrf_token": CSRF_RE.search(login_page).group(1)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(path)
    page = newcomer.get(path)
    assert page.status_code == 200
    assert "Accept and join the jury" in page.get_data(as_text=True)
    assert newcomer.get(f"{jury_url(slug)}/me").status_code == 404  # no seat yet

    # Accept: a seat, a place in the open round, and the juror's own page with a welcome.
    response = post(newcomer, f"{path}/accept", {"as_chair": "y", "challenge_id": "1"})  # S20: ignored
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{jury_url(slug)}/me")
    page = newcomer.get(f"{jury_url(slug)}/me")
    assert page.status_code == 200
    assert "Welcome to the jury" in page.get_data(as_text=True)
    assert seats_of(app, cid)[address] == (False, False)
    new_seat = seat_id(app, cid, address)
    with app.app_context():
        assert db.session.scalar(select(RoundJuror.id).where(RoundJuror.round_id == made["round_id"],
                                                             RoundJuror.seat_id == new_seat)) is not None
        invitation = db.session.get(JuryInvitation, invitation.id)
        assert invitation.accepted_at is not None

    # The juror chooses the published name and title; the preview shows how it reads.
    response = post(newcomer, f"{jury_url(slug)}/me", {"public_name": "Dr. Nina Newcomer",
                                                        "public_title": "Designer, Fjordvik", "show_publicly": "y"})
    assert response.status_code == 302
    html = newcomer.get(f"{jury_url(slug)}/me").get_data(as_text=True)
    assert "<strong>Dr. Nina Newcomer</strong>, Designer, Fjordvik" in html
    assert post(newcomer, f"{jury_url(slug)}/me", {"public_name": "", "public_title": ""}).status_code == 302
    html = newcomer.get(f"{jury_url(slug)}/me").get_data(as_text=True)
    assert "You will not be named in the published jury list." in html
    with app.app_context():
        seat = db.session.get(JurySeat, new_seat)
        assert (seat.public_name, seat.public_title, seat.show_publicly) == (None, None, False)

    # Single use: a replay by someone else is refused; the same person pressing again changes nothing.
    assert post(newcomer, f"{path}/accept").status_code == 302
    assert len([e for e in seats_of(app, cid) if e == address]) == 1
    assert app.test_client().get(path).status_code == 410
    assert {"jury_invitation.created", "jury_invitation.accepted", "jury_seat.joined",
            "jury_seat.listing_changed"} <= set(actions(app))


def test_a_replayed_link_is_refused_for_another_account(app, make_judging, make_user) -> None:  # S07
    made = make_judging(concepts=1, jurors=0)
    first, second = new_email(), new_email()
    make_user(first)
    make_user(second)
    token = seed_invitation(app, made["challenge"]["id"], first)
    assert post(client_for(app, first), f"/jury-invitations/{token}/accept").status_code == 302
    replay = client_for(app, second)
    page = replay.get(f"/jury-invitations/{token}")
    assert page.status_code == 410
    assert "already been used" in page.get_data(as_text=True)
    assert "Accept and join" not in page.get_data(as_text=True)
    assert post(replay, f"/jury-invitations/{token}/accept").status_code == 410
    assert post(replay, f"/jury-invitations/{token}/decline").status_code == 410
    assert second not in seats_of(app, made["challenge"]["id"])


def test_any_account_may_accept_and_is_told_so(app, make_judging, make_user) -> None:
    made = make_judging(concepts=1, jurors=0)
    other = new_email("private")
    make_user(other, display_name="Private Address")
    token = seed_invitation(app, made["challenge"]["id"], new_email("work"), as_chair=True)
    client = client_for(app, other)
    html = client.get(f"/jury-invitations/{token}").get_data(as_text=True)
    assert "Chair of the jury" in html
    assert "Accepting gives this account the seat" in html
    assert other in html
    assert post(client, f"/jury-invitations/{token}/accept").status_code == 302
    assert seats_of(app, made["challenge"]["id"])[other] == (True, False)


def test_expired_revoked_declined_and_unknown_links(app, make_judging, make_user) -> None:  # S07
    made = make_judging(concepts=1, jurors=0)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    addresses = [new_email() for _ in range(3)]
    for a in addresses:
        make_user(a)
    expired, revoked, declined = (seed_invitation(app, cid, a) for a in addresses)

    with app.app_context():
        inv_id = db.session.scalar(select(JuryInvitation.id).where(JuryInvitation.email == addresses[1]))
    assert post(staff, f"{jury_url(slug)}/invitations/{inv_id}/revoke").status_code == 302
    client = client_for(app, addresses[1])
    response = client.get(f"/jury-invitations/{revoked}")
    assert response.status_code == 410
    assert "withdrawn by the organisers" in response.get_data(as_text=True)
    assert post(client, f"/jury-invitations/{revoked}/accept").status_code == 410
    assert post(staff, f"{jury_url(slug)}/invitations/{inv_id}/revoke").status_code == 409  # twice

    client = client_for(app, addresses[2])
    assert post(client, f"/jury-invitations/{declined}/decline").status_code == 302
    response = client.get(f"/jury-invitations/{declined}")
    assert response.status_code == 410
    assert "was declined" in response.get_data(as_text=True)
    assert post(client, f"/jury-invitations/{declined}/accept").status_code == 410

    clock.advance(timedelta(days=7, seconds=1))
    try:
        client = client_for(app, addresses[0])
        response = client.get(f"/jury-invitations/{expired}")
        assert response.status_code == 410
        assert "has expired" in response.get_data(as_text=True)
        assert post(client, f"/jury-invitations/{expired}/accept").status_code == 410
    finally:
        clock.reset()

    response = app.test_client().get("/jury-invitations/not-a-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)
    assert post(client, "/jury-invitations/not-a-token/accept").status_code == 404
    assert post(client, f"/jury-invitations/{'x' * 300}/accept").status_code == 404
    assert app.test_client().get(f"/jury-invitations/{'x' * 3000}").status_code == 404
    assert not set(addresses) & set(seats_of(app, cid))
    assert {"jury_invitation.revoked", "jury_invitation.declined"} <= set(actions(app))


# ---------------------------------------------------------------- refusals
@pytest.mark.both_databases
def test_duplicate_invitations_and_jurors_already_seated_are_refused(app, make_judging, smtp_sink,
                                                                    send_outbox) -> None:  # S22
    made = make_judging(concepts=1, jurors=1)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    address = new_email()
    assert invite(staff, slug, address).status_code == 302
    response = invite(staff, slug, address.upper())
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "has already been invited" in html
    assert f'value="{address}"' in html  # the form keeps what was typed
    response = invite(staff, slug, made["jurors"][0])
    assert response.status_code == 409
    assert "is already on this jury" in response.get_data(as_text=True)
    assert invitation_count(app, cid) == 1
    send_outbox()
    assert len(smtp_sink.to(address)) == 1
    assert smtp_sink.to(made["jurors"][0]) == []


@pytest.mark.parametrize("state", ["results", "archived", "cancelled"])
def test_no_invitations_after_the_results_or_once_cancelled(app, make_judging, make_user, state) -> None:  # S21
    made = make_judging(concepts=1, jurors=1, state=state)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    page = staff.get(jury_url(slug))
    assert page.status_code == 200
    assert "The jury can no longer change" in page.get_data(as_text=True)
    assert 'action="/challenges/' + slug + '/jury/invite"' not in page.get_data(as_text=True)
    response = invite(staff, slug, new_email())
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert ("cancelled" in text) if state == "cancelled" else ("results of this challenge are published" in text)
    juror = seat_id(app, cid, made["jurors"][0])
    assert post(staff, f"{jury_url(slug)}/seats/{juror}/remove", {"reason": "Late"}).status_code == 409
    assert post(staff, f"{jury_url(slug)}/seats/{juror}/chair").status_code == 409
    assert invitation_count(app, cid) == 0
    assert seats_of(app, cid)[made["jurors"][0]] == (False, False)
    # An invitation sent earlier can no longer be used either.
    address = new_email()
    make_user(address)
    token = seed_invitation(app, cid, address)
    assert client_for(app, address).get(f"/jury-invitations/{token}").status_code == 410


@pytest.mark.parametrize("state", ["draft", "open", "closed"])
def test_invitations_before_judging(app, make_judging, make_user, state) -> None:
    made = make_judging(concepts=0, jurors=0, state=state)
    slug, cid = made["slug"], made["challenge"]["id"]
    with app.app_context():  # no round yet before judging
        db.session.execute(JudgingRound.__table__.delete().where(JudgingRound.challenge_id == cid))
        db.session.commit()
    staff = client_for(app, made["staff"])
    address = new_email()
    make_user(address)
    assert invite(staff, slug, address, chair=True).status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(JuryInvitation).where(JuryInvitation.challenge_id == cid))
        invitation.token_hash = token_hash("known-token-" + state)
        db.session.commit()
    juror = client_for(app, address)
    assert post(juror, f"/jury-invitations/known-token-{state}/accept").status_code == 302
    assert seats_of(app, cid)[address] == (True, False)
    assert juror.get(f"{jury_url(slug)}/me").status_code == 200  # also on a draft challenge


def test_a_member_of_an_entered_team_cannot_accept(app, make_judging) -> None:
    made = make_judging(concepts=1, jurors=0)
    member = made["concepts"][0]["members"][1]
    token = seed_invitation(app, made["challenge"]["id"], member)
    client = client_for(app, member)
    page = client.get(f"/jury-invitations/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "conflict of interest" in html
    assert "Accept and join the jury" not in html
    response = post(client, f"/jury-invitations/{token}/accept")
    assert response.status_code == 409
    assert "conflict of interest" in response.get_data(as_text=True)
    assert member not in seats_of(app, made["challenge"]["id"])
    assert post(client, f"/jury-invitations/{token}/decline").status_code == 302  # declining is fine


def test_unverified_accounts_confirm_first(app, make_judging, make_user) -> None:
    made = make_judging(concepts=1, jurors=0)
    address = new_email()
    make_user(address, verified=False)
    token = seed_invitation(app, made["challenge"]["id"], address)
    client = client_for(app, address)
    assert "confirm your email address" in client.get(f"/jury-invitations/{token}").get_data(as_text=True)
    assert post(client, f"/jury-invitations/{token}/accept").status_code == 403
    assert address not in seats_of(app, made["challenge"]["id"])


# ---------------------------------------------------------------- chairs and removal
def test_the_last_chair_stays_until_another_is_named(app, make_judging) -> None:
    made = make_judging(concepts=1, jurors=1)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    chair, juror = seat_id(app, cid, made["chair"]), seat_id(app, cid, made["jurors"][0])
    response = post(staff, f"{jury_url(slug)}/seats/{chair}/unchair")
    assert response.status_code == 409
    assert "the jury’s only chair" in response.get_data(as_text=True).replace("&#39;", "’").replace("'", "’")
    response = post(staff, f"{jury_url(slug)}/seats/{chair}/remove", {"reason": "Moved abroad"})
    assert response.status_code == 409
    assert "Name another chair before removing them" in response.get_data(as_text=True)
    assert seats_of(app, cid)[made["chair"]] == (True, False)

    assert post(staff, f"{jury_url(slug)}/seats/{juror}/chair").status_code == 302
    assert post(staff, f"{jury_url(slug)}/seats/{chair}/unchair").status_code == 302
    assert seats_of(app, cid) == {made["chair"]: (False, False), made["jurors"][0]: (True, False)}
    assert post(staff, f"{jury_url(slug)}/seats/{juror}/chair").status_code == 302  # already: no change
    assert {"jury_seat.chair_named", "jury_seat.chair_ended"} <= set(actions(app))


@pytest.mark.both_databases
def test_removal_keeps_the_seat_and_ends_access_at_once(app, make_judging, make_user) -> None:
    made = make_judging(concepts=1, jurors=2)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    address = made["jurors"][0]
    seat = seat_id(app, cid, address)
    juror = client_for(app, address)
    assert juror.get(f"{jury_url(slug)}/me").status_code == 200

    page = staff.get(f"{jury_url(slug)}/seats/{seat}/remove")
    assert page.status_code == 200
    assert "Reason for the removal" in page.get_data(as_text=True)
    assert post(staff, f"{jury_url(slug)}/seats/{seat}/remove", {"reason": "Works for a competing firm"}).status_code == 302
    assert juror.get(f"{jury_url(slug)}/me").status_code == 404  # the same session, at once
    with app.app_context():
        row = db.session.get(JurySeat, seat)
        owner_id = db.session.scalar(select(User.id).where(User.email == made["staff"]))
        assert row is not None
        assert row.removed_at is not None
        assert (row.removed_by_id, row.removed_reason) == (owner_id, "Works for a competing firm")
        # The round still lists the seat: its sheets stay in the record.
        assert db.session.scalar(select(RoundJuror.id).where(RoundJuror.seat_id == seat)) is not None
    html = staff.get(jury_url(slug)).get_data(as_text=True)
    assert "removed: their scores stay in the record" in html
    assert "Works for a competing firm" in html
    assert post(staff, f"{jury_url(slug)}/seats/{seat}/remove", {"reason": "again"}).status_code == 409
    assert post(staff, f"{jury_url(slug)}/seats/{seat}/chair").status_code == 409
    assert "jury_seat.removed" in actions(app)

    # Invited again, they accept and the same seat comes back, its removal cleared.
    assert invite(staff, slug, address).status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(JuryInvitation).where(JuryInvitation.challenge_id == cid))
        invitation.token_hash = token_hash("rejoin-token")
        # A second round opened while they were away: they sit on it too; a closed one stays as it was.
        closed = JudgingRound(challenge_id=cid, position=2, name="Closed", criterion_ids=[], state=RoundState.CLOSED)
        opened = JudgingRound(challenge_id=cid, position=3, name="Open", criterion_ids=[], state=RoundState.OPEN)
        db.session.add_all([closed, opened])
        db.session.commit()
        closed_id, opened_id = closed.id, opened.id
    assert post(juror, "/jury-invitations/rejoin-token/accept").status_code == 302
    assert juror.get(f"{jury_url(slug)}/me").status_code == 200
    with app.app_context():
        row = db.session.get(JurySeat, seat)
        assert (row.removed_at, row.removed_by_id, row.removed_reason) == (None, None, None)
        assert db.session.scalar(select(func.count()).select_from(JurySeat).where(
            JurySeat.challenge_id == cid, JurySeat.user_id == row.user_id)) == 1
        rounds = set(db.session.scalars(select(RoundJuror.round_id).where(RoundJuror.seat_id == seat)))
        assert opened_id in rounds
        assert made["round_id"] in rounds
        assert closed_id not in rounds
    assert "jury_seat.rejoined" in actions(app)


def test_removing_the_only_juror_who_is_chair_is_allowed(app, make_judging) -> None:
    made = make_judging(concepts=1, jurors=0)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    chair = seat_id(app, cid, made["chair"])
    assert post(staff, f"{jury_url(slug)}/seats/{chair}/remove", {"reason": "Declined after all"}).status_code == 302
    assert seats_of(app, cid) == {made["chair"]: (True, True)}


# ---------------------------------------------------------------- bad input
def test_bad_input_gives_4xx_with_the_form_refilled(app, make_judging, make_challenge) -> None:
    made = make_judging(concepts=1, jurors=1)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    response = invite(staff, slug, "")
    assert response.status_code == 400
    assert "Enter the juror" in response.get_data(as_text=True)
    assert 'id="email-error"' in response.get_data(as_text=True)
    response = invite(staff, slug, "not-an-address")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="not-an-address"' in html
    assert 'aria-invalid="true"' in html
    response = invite(staff, slug, "a" * 250 + "@example.org")
    assert response.status_code == 400
    assert invitation_count(app, cid) == 0

    seat = seat_id(app, cid, made["jurors"][0])
    response = post(staff, f"{jury_url(slug)}/seats/{seat}/remove", {"reason": "   "})
    assert response.status_code == 400
    assert "Give the reason for the removal" in response.get_data(as_text=True)
    long_reason = "Too long. " * 101
    response = post(staff, f"{jury_url(slug)}/seats/{seat}/remove", {"reason": long_reason})
    assert response.status_code == 400
    assert long_reason.strip() in response.get_data(as_text=True)
    assert seats_of(app, cid)[made["jurors"][0]] == (False, False)

    juror = client_for(app, made["jurors"][0])
    response = post(juror, f"{jury_url(slug)}/me", {"public_name": "N" * 121, "public_title": "T", "show_publicly": "y"})
    assert response.status_code == 400
    assert "N" * 121 in response.get_data(as_text=True)
    assert "has not been saved" in response.get_data(as_text=True)

    # Ids that do not exist or belong to another challenge: 404, never a 500.
    other = make_judging(concepts=1, jurors=1)
    foreign_seat = seat_id(app, other["challenge"]["id"], other["jurors"][0])
    for url in (f"{jury_url(slug)}/seats/999999/remove", f"{jury_url(slug)}/seats/{foreign_seat}/remove",
                f"{jury_url(slug)}/seats/{foreign_seat}/chair", f"{jury_url(slug)}/invitations/999999/revoke"):
        assert post(staff, url, {"reason": "x"}).status_code == 404, url
    assert staff.get(f"{jury_url(slug)}/seats/{foreign_seat}/remove").status_code == 404
    assert staff.get("/challenges/no-such-challenge/jury").status_code == 404


def test_jury_posts_need_a_csrf_token(app, make_judging) -> None:  # S23
    made = make_judging(concepts=1, jurors=1)
    slug, cid = made["slug"], made["challenge"]["id"]
    staff = client_for(app, made["staff"])
    seat = seat_id(app, cid, made["jurors"][0])
    token = seed_invitation(app, cid, new_email())
    with app.app_context():
        inv_id = db.session.scalar(select(JuryInvitation.id).where(JuryInvitation.challenge_id == cid))
    for url, data in ((f"{jury_url(slug)}/invite", {"email": new_email()}),
                      (f"{jury_url(slug)}/invitations/{inv_id}/revoke", {}),
                      (f"{jury_url(slug)}/seats/{seat}/chair", {}),
                      (f"{jury_url(slug)}/seats/{seat}/remove", {"reason": "No token"}),
                      (f"/jury-invitations/{token}/accept", {}),
                      (f"/jury-invitations/{token}/decline", {})):
        assert staff.post(url, data=data).status_code == 400, url
    juror = client_for(app, made["jurors"][0])
    assert juror.post(f"{jury_url(slug)}/me", data={"public_name": "X"}).status_code == 400
    assert seats_of(app, cid)[made["jurors"][0]] == (False, False)
    assert invitation_count(app, cid) == 1


def test_invitation_email_in_the_invitees_language(app, make_judging, make_user, smtp_sink, send_outbox) -> None:
    made = make_judging(concepts=1, jurors=0)
    slug = made["slug"]
    with app.app_context():
        db.session.scalar(select(User).where(User.email == made["staff"])).locale = "da"
        db.session.commit()
    staff = client_for(app, made["staff"])
    norwegian = new_email("nb")
    make_user(norwegian, locale="nb")
    stranger = new_email("none")
    assert invite(staff, slug, norwegian, chair=True).status_code == 302
    assert invite(staff, slug, stranger).status_code == 302
    send_outbox()
    nb = smtp_sink.to(norwegian)[-1]
    assert "juryleder" in str(nb["Subject"]).lower() or "jury" in str(nb["Subject"]).lower()
    assert "invitasjonen" in smtp_sink.text_of(nb).lower()
    da = smtp_sink.to(stranger)[-1]  # no account: the inviter's language
    assert "invitationen" in smtp_sink.text_of(da).lower()


# ---------------------------------------------------------------- the access matrix (S16, S17)
@pytest.fixture
def matrix(app, make_judging, make_user) -> dict[str, Any]:
    """One challenge in judging; a client per role; ids to act on."""
    made = make_judging(concepts=1, jurors=2)
    other = make_judging(concepts=1, jurors=1)
    cid = made["challenge"]["id"]
    participant, admin = new_email("participant"), new_email("admin")
    make_user(participant, participant_kind="student")
    make_user(admin, admin=True)
    roles = {
        "anonymous": app.test_client(),
        "participant": client_for(app, participant),
        "team member": client_for(app, made["concepts"][0]["members"][1]),
        "juror of another challenge": client_for(app, other["jurors"][0]),
        "juror": client_for(app, made["jurors"][0]),
        "chair": client_for(app, made["chair"]),
        "org editor": client_for(app, made["editor"]),
        "org owner": client_for(app, made["staff"]),
        "admin": client_for(app, admin),
    }
    token = seed_invitation(app, cid, new_email("pending"))
    with app.app_context():
        inv_id = db.session.scalar(select(JuryInvitation.id).where(JuryInvitation.challenge_id == cid))
    return {"made": made, "roles": roles, "slug": made["slug"], "cid": cid, "token": token, "inv_id": inv_id,
            "seat": seat_id(app, cid, made["jurors"][1])}


STAFF = {"org editor", "org owner"}
JURORS = {"juror", "chair"}


def _expect_staff(role: str, ok: int) -> int:
    if role == "anonymous":
        return 302
    return ok if role in STAFF else 403


def _expect_grower(role: str, ok: int) -> int:
    """The jury page, inviting and withdrawing an invitation: staff and the jury's chair."""
    return ok if role == "chair" else _expect_staff(role, ok)


@pytest.mark.parametrize("role", ["anonymous", "participant", "team member", "juror of another challenge",
                                  "juror", "chair", "org editor", "org owner", "admin"])
def test_access_matrix_of_every_jury_route(app, matrix, role) -> None:  # S16, S17
    """The jury page, inviting and withdrawing invitations: the organisation's owners and editors
    and the jury's chair. Naming chairs and removing jurors: staff only (403 to everyone else who
    sees the challenge, the chair and the platform admin included; anonymous to the login page).
    The juror's own page: an active seat (404 to everyone else). The invitation link: anyone."""
    client, slug, cid = matrix["roles"][role], matrix["slug"], matrix["cid"]
    seat, inv_id, token = matrix["seat"], matrix["inv_id"], matrix["token"]
    before = (seats_of(app, cid), invitation_count(app, cid))

    assert client.get(jury_url(slug)).status_code == _expect_grower(role, 200)
    assert client.get(f"{jury_url(slug)}/seats/{seat}/remove").status_code == _expect_staff(role, 200)
    for url, data in ((f"{jury_url(slug)}/seats/{seat}/chair", {}),
                      (f"{jury_url(slug)}/seats/{seat}/unchair", {}),
                      (f"{jury_url(slug)}/seats/{seat}/remove", {"reason": "Matrix"})):
        if role in STAFF:
            continue  # staff actions are tested for what they do, above; one of them below
        response = post(client, url, data)
        assert response.status_code == _expect_staff(role, 302), (role, url)
    if role not in STAFF | {"chair"}:
        for url, data in ((f"{jury_url(slug)}/invite", {"email": new_email()}),
                          (f"{jury_url(slug)}/invitations/{inv_id}/revoke", {})):
            assert post(client, url, data).status_code == _expect_grower(role, 302), (role, url)
    assert (seats_of(app, cid), invitation_count(app, cid)) == before  # nothing changed
    if role in STAFF | {"chair"}:  # owners, editors and the chair alike
        assert post(client, f"{jury_url(slug)}/invite", {"email": new_email()}).status_code == 302
        assert invitation_count(app, cid) == before[1] + 1

    me = f"{jury_url(slug)}/me"
    expected = 302 if role == "anonymous" else (200 if role in JURORS else 404)
    assert client.get(me).status_code == expected
    response = post(client, me, {"public_name": "Matrix", "show_publicly": "y"})
    assert response.status_code == (302 if role == "anonymous" or role in JURORS else 404)
    if role == "anonymous":
        assert "/account/login" in response.headers["Location"]

    # The invitation page: the token is the credential, whoever holds it.
    response = client.get(f"/jury-invitations/{token}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    if role == "anonymous":
        response = post(client, f"/jury-invitations/{token}/accept")
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]


def test_staff_pages_answer_404_when_the_challenge_is_hidden(app, make_judging) -> None:  # S17
    made = make_judging(concepts=0, jurors=1, state="draft")
    juror = client_for(app, made["jurors"][0])
    assert juror.get(jury_url(made["slug"])).status_code == 404  # a draft: they may not know it exists
    assert client_for(app, made["staff"]).get(jury_url(made["slug"])).status_code == 200


def test_manage_page_links_to_the_jury(app, make_judging) -> None:
    made = make_judging(concepts=0, jurors=0)
    html = client_for(app, made["staff"]).get(f"/challenges/{made['slug']}/manage").get_data(as_text=True)
    assert f'href="/challenges/{made["slug"]}/jury"' in html


class TestInviteRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "JURY_INVITE_LIMIT_PER_USER": "2 per hour"}

    def test_invitations_are_rate_limited_per_staff_member(self, app, make_judging) -> None:
        made = make_judging(concepts=0, jurors=0)
        staff = client_for(app, made["staff"])
        assert invite(staff, made["slug"], new_email()).status_code == 302
        assert invite(staff, made["slug"], new_email()).status_code == 302
        assert invite(staff, made["slug"], new_email()).status_code == 429
        assert invitation_count(app, made["challenge"]["id"]) == 2


def test_a_chair_invites_jurors_but_names_no_chair(app, make_judging) -> None:  # S16
    """The chair grows the jury from the jury page; an "as chair" box they forge is ignored, and
    the chair's page offers no chair or removal buttons (those are the organisation's)."""
    made = make_judging(concepts=0, jurors=1)
    chair = client_for(app, made["chair"])
    page = chair.get(jury_url(made["slug"])).get_data(as_text=True)
    assert 'name="as_chair"' not in page
    assert "/unchair" not in page
    assert "/remove" not in page
    email = new_email()
    assert post(chair, f"{jury_url(made['slug'])}/invite", {"email": email, "as_chair": "y"}).status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(JuryInvitation).where(JuryInvitation.email == email))
        assert invitation is not None
        assert not invitation.as_chair
