"""Conflict flags: raised by the platform when judging starts, decided by the chair (P09, S19)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.concepts.models import Concept, ConceptMember
from app.core.audit import AuditEvent
from app.db import db
from app.judging import queries
from app.judging.models import Conflict, EntryLabel, JudgingRound, JurySeat
from app.judging.services.flags import flag_conflicts, flag_conflicts_for_seat, is_public_mail_domain
from app.organisations.models import Membership, Role


def _juror(app: Flask, make_user: Callable[..., int], challenge_id: int, email: str, **fields: Any) -> int:
    uid = make_user(email, **fields)
    with app.app_context():
        seat = JurySeat(challenge_id=challenge_id, user_id=uid)
        db.session.add(seat)
        db.session.commit()
        return seat.id


def _flags(app: Flask, challenge_id: int) -> list[dict[str, Any]]:
    with app.app_context():
        return [{"seat": c.seat_id, "concept": c.concept_id, "status": c.status, "kinds": c.flag["kinds"],
                 "detail": c.flag["detail"], "id": c.id}
                for c in db.session.scalars(select(Conflict).where(Conflict.challenge_id == challenge_id,
                                                                   Conflict.origin == "flagged"))]


def _run(app: Flask, challenge_id: int) -> int:
    with app.app_context():
        raised = flag_conflicts(db.session.get(Challenge, challenge_id))
        db.session.commit()
        return raised


@pytest.mark.parametrize(("domain", "public"), [("gmail.com", True), ("GMX.de", True), ("gmx.net", True),
                                                ("proton.me", True), ("mail.dk", True), ("dtu.dk", False)])
def test_public_mail_providers(domain: str, public: bool) -> None:
    assert is_public_mail_domain(domain) is public


def test_each_kind_of_flag(app: Flask, make_judging: Callable[..., Any], make_user: Callable[..., int],
                           make_org: Callable[..., Any], make_challenge: Callable[..., Any],
                           make_concept: Callable[..., Any]) -> None:
    """P09: same domain (not a public provider), same institution (case and spaces aside), same
    organisation, one team in an earlier challenge; a flag per juror and concept, never twice."""
    made = make_judging(concepts=2, jurors=0, members=1)
    cid = made["challenge"]["id"]
    a, b = made["concepts"]
    with app.app_context():
        member_a = db.session.scalar(select(User).where(User.email == a["owner"]))
        member_b = db.session.scalar(select(User).where(User.email == b["owner"]))
        member_a.email = "lead@kommune-x.dk"
        member_a.institution = "Aarhus  Universitet"
        member_b.email = "lead-b@gmail.com"
        db.session.commit()
        member_b_id = member_b.id
    domain_seat = _juror(app, make_user, cid, "boss@kommune-x.dk")
    inst_seat = _juror(app, make_user, cid, "j2@gmail.com", institution="aarhus universitet")
    public_seat = _juror(app, make_user, cid, "j3@gmail.com")
    org = make_org()
    org_seat = _juror(app, make_user, cid, "j4@other.example")
    earlier_seat = _juror(app, make_user, cid, "j5@third.example")
    with app.app_context():
        org_juror = db.session.scalar(select(JurySeat).where(JurySeat.id == org_seat)).user_id
        db.session.add_all([Membership(organisation_id=org["id"], user_id=org_juror, role=Role.EDITOR),
                            Membership(organisation_id=org["id"], user_id=member_b_id, role=Role.EDITOR)])
        db.session.commit()
        earlier_juror = db.session.get(JurySeat, earlier_seat).user_id
    old = make_challenge("archived")
    old_concept = make_concept("submitted", challenge=old, members=1)
    with app.app_context():
        db.session.add_all([ConceptMember(concept_id=old_concept["id"], challenge_id=old["id"], user_id=earlier_juror),
                            ConceptMember(concept_id=old_concept["id"], challenge_id=old["id"], user_id=member_b_id)])
        db.session.commit()
    _run(app, cid)
    found = {(f["seat"], f["concept"]): f for f in _flags(app, cid)}
    assert found[(domain_seat, a["id"])]["kinds"] == ["email_domain"]
    assert found[(domain_seat, a["id"])]["detail"]["email_domain"] == "kommune-x.dk"
    assert found[(inst_seat, a["id"])]["kinds"] == ["institution"]
    assert found[(org_seat, b["id"])]["kinds"] == ["organisation"]
    assert found[(earlier_seat, b["id"])]["kinds"] == ["former_teammate"]
    assert (public_seat, b["id"]) not in found  # both on gmail.com: says nothing
    assert len(found) == 4
    assert all(f["status"] == "suggested" for f in found.values())
    assert _run(app, cid) == 0  # never twice
    assert len(_flags(app, cid)) == 4
    # A juror who joins later gets their own flags (the jury helper calls this).
    late = _juror(app, make_user, cid, "late@kommune-x.dk")
    with app.app_context():
        assert flag_conflicts_for_seat(db.session.get(JurySeat, late)) == 1
        db.session.commit()


def _flagged_setup(app: Flask, make_judging: Callable[..., Any], blind: bool) -> tuple[dict[str, Any], int]:
    """The juror and a member of the first entry name one institution (spelled differently)."""
    made = make_judging(concepts=2, jurors=1, blind=blind)
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == made["concepts"][0]["members"][1]))
        member.institution = "Secret Institute of Design"
        juror = db.session.scalar(select(User).where(User.email == made["jurors"][0]))
        juror.institution = "secret institute of design"
        db.session.commit()
    _run(app, made["challenge"]["id"])
    flag = next(f for f in _flags(app, made["challenge"]["id"])
                if f["seat"] == made["seat_ids"][made["jurors"][0]] and f["concept"] == made["concepts"][0]["id"])
    return made, flag["id"]


def test_chair_confirms_a_flag_and_the_juror_loses_the_concept(app: Flask, client: FlaskClient,
                                                               make_judging: Callable[..., Any],
                                                               login: Callable[..., Any],
                                                               post_form: Callable[..., Any]) -> None:
    """P09: a confirmed flag is in force (readable_concept_ids drops it); the decision is audited."""
    made, flag_id = _flagged_setup(app, make_judging, blind=False)
    login(made["chair"])
    url = f"/challenges/{made['slug']}/jury/conflicts/review"
    page = client.get(url).get_data(as_text=True)
    assert "Same institution or company: Secret Institute of Design" in page  # not blind: the detail shows
    response = post_form(url, {"conflict": str(flag_id), "decision": "confirm", "note": "They work together"})
    assert response.status_code == 302
    with app.app_context():
        conflict = db.session.get(Conflict, flag_id)
        assert conflict.status == "confirmed"
        assert conflict.decision_note == "They work together"
        seat = db.session.get(JurySeat, conflict.seat_id)
        assert made["concepts"][0]["id"] not in queries.readable_concept_ids(
            seat, db.session.get(JudgingRound, made["round_id"]))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.conflict_confirmed"))
        assert event.object_id == flag_id
    response = post_form(url, {"conflict": str(flag_id), "decision": "dismiss"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Conflict, flag_id).status == "dismissed"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.conflict_dismissed"))


def test_blind_flag_page_shows_no_identity(app: Flask, client: FlaskClient, make_judging: Callable[..., Any],
                                           login: Callable[..., Any]) -> None:
    """S19: in a blind challenge the chair sees label, title, juror and kind, never what matched
    or a team's name or member."""
    made, _flag_id = _flagged_setup(app, make_judging, blind=True)
    with app.app_context():
        db.session.scalar(select(EntryLabel).where(EntryLabel.concept_id == made["concepts"][1]["id"])).mentions = \
            ["Someone"]
        db.session.commit()
        teams = [c.team_name for c in db.session.scalars(select(Concept).where(
            Concept.id.in_([c["id"] for c in made["concepts"]])))]
    login(made["chair"])
    page = client.get(f"/challenges/{made['slug']}/jury/conflicts/review").get_data(as_text=True)
    assert "Same institution or company" in page
    assert made["labels"][made["concepts"][0]["id"]] in page
    for hidden in ["Secret Institute of Design", "example.org", "Someone", *teams,
                   *made["concepts"][0]["members"], *made["concepts"][1]["members"]]:
        assert hidden.lower() not in page.lower(), hidden
    assert made["labels"][made["concepts"][1]["id"]] in page.split("Entries that may identify their team")[1]


@pytest.mark.parametrize("data", [{"conflict": "999999", "decision": "confirm"}, {"conflict": "x", "decision": "confirm"},
                                  {"decision": "confirm"}, {"conflict": "FLAG", "decision": "maybe"},
                                  {"conflict": "FLAG", "decision": "confirm", "note": "x" * 1001}])
def test_bad_flag_decisions_change_nothing(app: Flask, make_judging: Callable[..., Any], login: Callable[..., Any],
                                           post_form: Callable[..., Any], data: dict[str, str]) -> None:
    made, flag_id = _flagged_setup(app, make_judging, blind=False)
    other, other_flag = _flagged_setup(app, make_judging, blind=False)
    login(made["chair"])
    data = {k: (str(flag_id) if v == "FLAG" else v) for k, v in data.items()}
    response = post_form(f"/challenges/{made['slug']}/jury/conflicts/review", data)
    assert response.status_code in (400, 404)
    if len(data.get("note", "")) > 1000:
        assert "x" * 1001 in response.get_data(as_text=True)  # nothing typed is lost
    # A flag of another challenge is not this chair's to decide.
    response = post_form(f"/challenges/{made['slug']}/jury/conflicts/review",
                         {"conflict": str(other_flag), "decision": "confirm"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Conflict, flag_id).status == "suggested"
        assert db.session.get(Conflict, other_flag).status == "suggested"


def test_judging_start_flags_conflicts(app: Flask, make_challenge: Callable[..., Any],
                                       make_concept: Callable[..., Any], make_user: Callable[..., int],
                                       login: Callable[..., Any], post_form: Callable[..., Any]) -> None:
    """P09: moving to judging on the manage page raises the flags."""
    challenge = make_challenge("closed")
    concept = make_concept("submitted", challenge=challenge, members=["lead@firm-y.no"])
    seat = _juror(app, make_user, challenge["id"], "chair@firm-y.no")
    with app.app_context():
        db.session.get(JurySeat, seat).is_chair = True
        db.session.commit()
    login(challenge["org"]["owner"])
    slug = challenge["slug"]
    assert post_form(f"/challenges/{slug}/state", {"to": "judging"}, page=f"/challenges/{slug}/manage").status_code == 302
    flags = _flags(app, challenge["id"])
    assert [(f["seat"], f["concept"], f["kinds"]) for f in flags] == [(seat, concept["id"], ["email_domain"])]


@pytest.mark.parametrize("domain", ["example.org", "demo.example.org", "EXAMPLE.com", "x.example.net"])
def test_reserved_example_domains_are_no_affiliation(domain: str) -> None:
    """P09: the demo's and the tests' addresses (RFC 2606) never flag everyone against everyone."""
    assert is_public_mail_domain(domain)
