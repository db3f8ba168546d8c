"""Submitting a concept through the real forms: review, checklist, licence, the frozen version and its
fingerprint, receipts to every member, idempotency, deadlines, reopen/withdraw/restore (issue 5, part C)."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.concepts.models import (
    Concept,
    ConceptAttachment,
    ConceptState,
    ConceptVersion,
)
from app.core.audit import AuditEvent
from app.core.files import document_path
from app.core.timeutil import clock
from app.db import db
from app.mail.models import OutboxMessage

LOCK_RE = re.compile(r'name="lock_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="lock_version"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _form_values(html: str) -> dict[str, str]:
    lock = LOCK_RE.search(html)
    assert lock, "no lock_version in the submit page"
    return {"csrf_token": CSRF_RE.search(html).group(1), "lock_version": lock.group(1) or lock.group(2)}


def _submit_data(client, concept_id: int, **extra: str) -> dict[str, str]:
    page = client.get(f"/concepts/{concept_id}/submit")
    assert page.status_code == 200
    data = _form_values(page.get_data(as_text=True))
    data.update({"licence": "cc-by-4.0", "confirm_eligible": "y", "confirm_terms": "y"})
    data.update(extra)
    return data


def _manual_data(app, client, concept_id: int, **extra: str) -> dict[str, str]:
    """A submit form as a browser would post it when the page shows no form (a token from the page,
    the draft's lock_version from the database)."""
    page = client.get(f"/concepts/{concept_id}").get_data(as_text=True)
    data = {"csrf_token": CSRF_RE.search(page).group(1), "lock_version": str(_concept(app, concept_id).lock_version),
            "licence": "cc-by-4.0", "confirm_eligible": "y", "confirm_terms": "y"}
    data.update(extra)
    return data


def _logout(client) -> None:
    token = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    client.post("/account/logout", data={"csrf_token": token})


def _add_file(app, concept_id: int, name: str = "plan.pdf", content: bytes = PDF) -> str:
    digest = hashlib.sha256(content).hexdigest()
    with app.app_context():
        path = document_path(app.config["UPLOAD_DIR"], digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        db.session.add(ConceptAttachment(concept_id=concept_id, filename=name, content_hash=digest,
                                         mimetype="application/pdf", size=len(content)))
        db.session.commit()
    return digest


def _set(app, model, row_id: int, **values) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


def _versions(app, concept_id: int) -> list[ConceptVersion]:
    with app.app_context():
        rows = db.session.scalars(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id)
                                  .order_by(ConceptVersion.number)).all()
        for row in rows:
            _ = list(row.files)
        db.session.expunge_all()
        return list(rows)


def _concept(app, concept_id: int) -> Concept:
    with app.app_context():
        concept = db.session.get(Concept, concept_id)
        db.session.expunge(concept)
        return concept


# ---------------------------------------------------------------- the whole flow
@pytest.mark.both_databases
def test_submit_flow_freezes_a_version_and_mails_every_member_a_receipt(
        app, client, login, make_concept, smtp_sink, send_outbox) -> None:
    when = datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)
    clock.set(when - timedelta(minutes=5))
    made = make_concept("draft", members=2)
    _set(app, User, made["member_ids"][1], timezone="America/New_York", locale="sv")
    digest = _add_file(app, made["id"], "Plan ø.pdf")
    login(made["owner"])
    cid = made["id"]

    overview = client.get(f"/concepts/{cid}")
    assert overview.status_code == 200
    text = overview.get_data(as_text=True)
    assert f"C-{cid}" in text
    assert "Draft" in text
    assert "Ready to submit?" in text

    # A08: the review page shows what will be submitted before anything is frozen.
    review = client.get(f"/concepts/{cid}/submit").get_data(as_text=True)
    assert "What you will submit" in review
    assert "Plan ø.pdf" in review
    assert "Pictures beat words" in review
    data = _submit_data(client, cid)
    clock.set(when)
    response = client.post(f"/concepts/{cid}/submit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith(f"/concepts/{cid}/versions/1")

    [version] = _versions(app, cid)
    concept = _concept(app, cid)
    assert concept.state == ConceptState.SUBMITTED
    assert concept.submitted_version_no == 1
    assert concept.lock_version == int(data["lock_version"]) + 1
    assert concept.licence == "cc-by-4.0"
    assert version.source_lock_version == int(data["lock_version"])
    assert [f.content_hash for f in version.files] == [digest]
    assert version.total_bytes == len(PDF)
    # The fingerprint, computed here independently of the app's code.
    document = {"concept": f"C-{cid}", "version": 1, "title": concept.title, "summary": concept.summary,
                "body_md": concept.body_md, "language": "en", "licence": "cc-by-4.0",
                "team_name": concept.team_name,
                "files": [{"name": "Plan ø.pdf", "sha256": digest, "size": len(PDF)}]}
    expected = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()
    assert version.fingerprint == expected
    with app.app_context():
        assert db.session.get(Challenge, made["challenge"]["id"]).rubric_frozen_at is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "concept.submitted", AuditEvent.object_id == cid)) == 1

    page = client.get(response.headers["Location"])
    receipt = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your concept has been submitted." in receipt
    assert expected in receipt
    assert digest in receipt
    assert "2026-11-23 15:04:05 UTC" in receipt
    assert "json.dumps" in receipt

    assert send_outbox() == 2
    for email_addr, tz, locale in ((made["owner"], "Europe/Copenhagen", "en"),
                                   (made["members"][1], "America/New_York", "sv")):
        [msg] = smtp_sink.to(email_addr)
        body = smtp_sink.text_of(msg)
        assert expected in body
        assert digest in body
        assert "Plan ø.pdf" in body
        local = format_datetime(when, "long", tzinfo=ZoneInfo(tz), locale=locale)
        assert local in body, (local, body)
        assert f"/concepts/{cid}/versions/1" in body
    ny_body = smtp_sink.text_of(smtp_sink.to(made["members"][1])[0])
    assert "10:04:05" in ny_body  # 15:04:05 UTC is 10:04:05 in New York in November
    assert "America/New_York" in ny_body


def test_the_receipt_file_downloads_with_safe_headers(app, client, login, make_concept) -> None:  # S37
    made = make_concept("draft")
    _add_file(app, made["id"], "Kørsel plan.pdf")
    login(made["owner"])
    client.post(f"/concepts/{made['id']}/submit", data=_submit_data(client, made["id"]))
    [version] = _versions(app, made["id"])
    f = version.files[0]
    url = f"/concepts/{made['id']}/versions/1/files/{f.id}/Kørsel plan.pdf"
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == PDF
    response.close()
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''K%C3%B8rsel%20plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert client.get(f"/concepts/{made['id']}/versions/1/files/{f.id}/other.pdf").status_code == 302
    _logout(client)
    replay = client.get(url)
    assert replay.status_code == 302
    assert "/account/login" in replay.headers["Location"]


# ---------------------------------------------------------------- R04 idempotent
@pytest.mark.both_databases
def test_the_same_form_posted_twice_makes_one_version_and_one_receipt(app, client, login, make_concept) -> None:
    made = make_concept("draft", members=2)
    login(made["owner"])
    data = _submit_data(client, made["id"])
    first = client.post(f"/concepts/{made['id']}/submit", data=data)
    second = client.post(f"/concepts/{made['id']}/submit", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_versions(app, made["id"])) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "concepts/receipt")) == 2
    fingerprint = _versions(app, made["id"])[0].fingerprint
    assert fingerprint in client.get(second.headers["Location"]).get_data(as_text=True)


# ---------------------------------------------------------------- bad input
def test_an_unknown_licence_is_refused_with_a_message(app, client, login, make_concept) -> None:
    made = make_concept("draft")
    login(made["owner"])
    response = client.post(f"/concepts/{made['id']}/submit",
                           data=_submit_data(client, made["id"], licence="public-domain-please"))
    assert response.status_code == 400
    assert "Choose one of the licences this challenge accepts." in response.get_data(as_text=True)
    # a licence that exists but this challenge does not accept
    response = client.post(f"/concepts/{made['id']}/submit",
                           data=_submit_data(client, made["id"], licence="cc-by-nc-4.0"))
    assert response.status_code == 400
    assert _versions(app, made["id"]) == []


def test_the_confirmations_are_required(app, client, login, make_concept) -> None:
    made = make_concept("draft")
    login(made["owner"])
    data = _submit_data(client, made["id"])
    del data["confirm_terms"]
    response = client.post(f"/concepts/{made['id']}/submit", data=data)
    assert response.status_code == 400
    assert "Confirm that your team accepts the terms of the challenge." in response.get_data(as_text=True)
    assert _versions(app, made["id"]) == []


def test_an_incomplete_checklist_is_refused_with_the_list(app, client, login, make_concept, make_challenge) -> None:
    challenge = make_challenge("open", allow_individuals=False)
    made = make_concept("draft", challenge=challenge, body_md="  ")
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}/submit").get_data(as_text=True)
    assert "Missing:" in page
    assert "The concept itself" in page
    assert "At least 2 team members" in page
    assert 'name="licence"' not in page  # the form appears once the checklist is complete
    data = _manual_data(app, client, made["id"])
    response = client.post(f"/concepts/{made['id']}/submit", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not ready to submit" in text
    assert "The concept itself" in text
    assert "At least 2 team members" in text
    assert _versions(app, made["id"]) == []


def test_an_ineligible_member_blocks_the_submit(app, client, login, make_concept, make_challenge) -> None:
    challenge = make_challenge("open", eligibility=["startup"])
    made = make_concept("draft", challenge=challenge)  # the fixture's people are students
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}/submit").get_data(as_text=True)
    assert "Every team member may enter this challenge" in page
    assert "open to startups only" in page


def test_extra_fields_are_ignored(app, client, login, make_concept) -> None:  # S20
    made = make_concept("draft")
    login(made["owner"])
    data = _submit_data(client, made["id"], state="withdrawn", submitted_version_no="7",
                        fingerprint="0" * 64, number="9", challenge_id="1", title="Hacked", owner_id="1")
    assert client.post(f"/concepts/{made['id']}/submit", data=data).status_code == 302
    [version] = _versions(app, made["id"])
    concept = _concept(app, made["id"])
    assert version.number == 1
    assert version.fingerprint != "0" * 64
    assert version.title != "Hacked"
    assert concept.state == ConceptState.SUBMITTED
    assert concept.submitted_version_no == 1
    assert concept.owner_id == made["owner_id"]


@pytest.mark.both_databases
def test_a_stale_form_is_refused_after_the_draft_changed(app, client, login, make_concept) -> None:
    made = make_concept("draft")
    login(made["owner"])
    data = _submit_data(client, made["id"])
    _set(app, Concept, made["id"], lock_version=int(data["lock_version"]) + 1, title="Changed in another tab")
    response = client.post(f"/concepts/{made['id']}/submit", data=data)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "review it again" in text
    assert "Changed in another tab" in text
    assert _versions(app, made["id"]) == []


@pytest.mark.parametrize("state", ["closed", "draft"])
def test_submitting_to_a_closed_or_draft_challenge_is_refused(app, client, login, make_concept, make_challenge,
                                                               state) -> None:
    made = make_concept("draft", challenge=make_challenge(state))
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}/submit")
    assert page.status_code == 200
    assert 'name="licence"' not in page.get_data(as_text=True)
    response = client.post(f"/concepts/{made['id']}/submit", data=_manual_data(app, client, made["id"]))
    assert response.status_code == 409
    assert _versions(app, made["id"]) == []


# ---------------------------------------------------------------- R03 deadline boundaries, S21
def _deadline_case(app, client, login, make_concept, make_challenge, deadline: datetime, at: datetime,
                   grace: int = 0):
    app.config["SUBMISSION_GRACE_SECONDS"] = grace
    clock.set(deadline - timedelta(minutes=10))
    challenge = make_challenge("open", deadline_at=deadline)
    made = make_concept("draft", challenge=challenge)
    login(made["owner"])
    data = _submit_data(client, made["id"])
    clock.set(at)
    return made, client.post(f"/concepts/{made['id']}/submit", data=data)


@pytest.mark.parametrize(("offset", "grace", "accepted"), [
    (-1, 0, True),      # T-1s
    (0, 0, False),      # T: refused
    (119, 120, True),   # inside the grace
    (120, 120, False),  # at the end of the grace
])
def test_deadline_boundaries(app, client, login, make_concept, make_challenge, offset, grace, accepted) -> None:
    deadline = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    try:
        made, response = _deadline_case(app, client, login, make_concept, make_challenge, deadline,
                                         deadline + timedelta(seconds=offset), grace)
    finally:
        clock.reset()
    if accepted:
        assert response.status_code == 302
        assert len(_versions(app, made["id"])) == 1
    else:
        assert response.status_code == 409
        text = response.get_data(as_text=True)
        assert "The deadline passed at" in text
        assert "so this change was not saved" in text
        assert "Pictures beat words at the bin." in text  # the text is still on the page to copy
        assert _versions(app, made["id"]) == []
        assert _concept(app, made["id"]).state == ConceptState.DRAFT


def test_a_deadline_on_a_dst_change_day_shows_both_zones(app, client, login, make_concept, make_challenge) -> None:
    # 2026-10-25: Europe leaves summer time at 01:00 UTC. 02:30 in Stockholm is then 01:30 UTC,
    # which is 03:30 in Helsinki (UTC+2 after the change).
    deadline = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    clock.set(deadline - timedelta(hours=1))
    try:
        challenge = make_challenge("open", deadline_at=deadline, timezone="Europe/Stockholm")
        made = make_concept("draft", challenge=challenge)
        _set(app, User, made["owner_id"], timezone="Europe/Helsinki")
        login(made["owner"])
        text = client.get(f"/concepts/{made['id']}").get_data(as_text=True)
        assert "2:30" in text
        assert "3:30" in text
        assert "Central European Standard Time" in text
        assert "Eastern European Standard Time" in text
        clock.set(deadline - timedelta(seconds=1))
        data = _submit_data(client, made["id"])
        assert client.post(f"/concepts/{made['id']}/submit", data=data).status_code == 302
    finally:
        clock.reset()


def test_no_submit_withdraw_or_reopen_after_the_deadline(app, client, login, make_concept, make_challenge) -> None:
    deadline = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    clock.set(deadline - timedelta(days=1))
    try:
        challenge = make_challenge("open", deadline_at=deadline)
        submitted = make_concept("submitted", challenge=challenge)
        draft = make_concept("draft", challenge=challenge)
        withdrawn = make_concept("withdrawn", challenge=challenge)
        clock.set(deadline + timedelta(minutes=1))
        login(submitted["owner"])
        token = CSRF_RE.search(client.get(f"/concepts/{submitted['id']}").get_data(as_text=True)).group(1)
        assert client.post(f"/concepts/{submitted['id']}/reopen", data={"csrf_token": token}).status_code == 409
        assert client.post(f"/concepts/{submitted['id']}/withdraw",
                           data={"csrf_token": token, "confirm_withdraw": "y"}).status_code == 409
        page = client.get(f"/concepts/{submitted['id']}").get_data(as_text=True)
        assert "Reopen to edit" not in page
        assert "Withdraw the concept" not in page
        assert _concept(app, submitted["id"]).state == ConceptState.SUBMITTED
        _logout(client)
        login(draft["owner"])
        assert client.post(f"/concepts/{draft['id']}/submit",
                           data=_manual_data(app, client, draft["id"])).status_code == 409
        assert _versions(app, draft["id"]) == []
        _logout(client)
        login(withdrawn["owner"])
        token = CSRF_RE.search(client.get(f"/concepts/{withdrawn['id']}").get_data(as_text=True)).group(1)
        assert client.post(f"/concepts/{withdrawn['id']}/restore", data={"csrf_token": token}).status_code == 409
        assert _concept(app, withdrawn["id"]).state == ConceptState.WITHDRAWN
    finally:
        clock.reset()


# ---------------------------------------------------------------- reopen, withdraw, restore
@pytest.mark.both_databases
def test_reopen_keeps_the_counting_version_and_a_resubmit_adds_version_2(app, client, login, make_concept) -> None:
    made = make_concept("draft")
    login(made["owner"])
    cid = made["id"]
    assert client.post(f"/concepts/{cid}/submit", data=_submit_data(client, cid)).status_code == 302
    token = CSRF_RE.search(client.get(f"/concepts/{cid}").get_data(as_text=True)).group(1)
    assert client.post(f"/concepts/{cid}/reopen", data={"csrf_token": token}).status_code == 302
    concept = _concept(app, cid)
    assert concept.state == ConceptState.DRAFT
    assert concept.submitted_version_no == 1
    assert concept.is_entered
    text = client.get(f"/concepts/{cid}").get_data(as_text=True)
    assert "Version 1, submitted at" in text
    assert "still counts unless you submit again" in text
    _set(app, Concept, cid, title="Sorting made simpler", lock_version=concept.lock_version + 1)
    assert client.post(f"/concepts/{cid}/submit", data=_submit_data(client, cid)).status_code == 302
    versions = _versions(app, cid)
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].title == "Sorting made simpler"
    assert versions[0].fingerprint != versions[1].fingerprint
    assert _concept(app, cid).submitted_version_no == 2


def test_withdraw_needs_confirmation_then_mails_the_team_and_restore_brings_it_back(
        app, client, login, make_concept) -> None:  # A08
    made = make_concept("submitted", members=2)
    login(made["owner"])
    cid = made["id"]
    token = CSRF_RE.search(client.get(f"/concepts/{cid}").get_data(as_text=True)).group(1)
    refused = client.post(f"/concepts/{cid}/withdraw", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Tick the box" in refused.get_data(as_text=True)
    assert _concept(app, cid).state == ConceptState.SUBMITTED
    done = client.post(f"/concepts/{cid}/withdraw", data={"csrf_token": token, "confirm_withdraw": "y"})
    assert done.status_code == 302
    concept = _concept(app, cid)
    assert concept.state == ConceptState.WITHDRAWN
    assert concept.withdrawn_at is not None
    assert not concept.is_entered
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "concepts/withdrawn")) == 2
    text = client.get(f"/concepts/{cid}").get_data(as_text=True)
    assert "This concept is withdrawn" in text
    assert "Restore the concept" in text
    assert client.post(f"/concepts/{cid}/restore", data={"csrf_token": token}).status_code == 302
    concept = _concept(app, cid)
    assert concept.state == ConceptState.DRAFT
    assert concept.withdrawn_at is None
    assert concept.is_entered


@pytest.mark.both_databases
def test_restore_is_refused_when_a_member_joined_another_concept(app, client, login, make_concept) -> None:
    made = make_concept("withdrawn", members=2)
    other = make_concept("draft", challenge=made["challenge"], members=[f"x-{made['members'][1]}"])
    with app.app_context():
        from app.concepts.models import ConceptMember
        db.session.add(ConceptMember(concept_id=other["id"], challenge_id=made["challenge"]["id"],
                                     user_id=made["member_ids"][1]))
        db.session.commit()
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}").get_data(as_text=True)
    assert "is already on another concept" in page
    assert "Restore the concept" not in page
    token = CSRF_RE.search(page).group(1)
    assert client.post(f"/concepts/{made['id']}/restore", data={"csrf_token": token}).status_code == 409
    assert _concept(app, made["id"]).state == ConceptState.WITHDRAWN


def test_the_overview_shows_the_organisers_reason_for_ineligibility(app, client, login, make_concept) -> None:
    made = make_concept("submitted")
    _set(app, Concept, made["id"], ineligible_reason="Not about cardboard at all.",
         ineligible_at=datetime(2026, 1, 1, tzinfo=UTC))
    login(made["owner"])
    text = client.get(f"/concepts/{made['id']}").get_data(as_text=True)
    assert "marked this concept as ineligible" in text
    assert "Not about cardboard at all." in text


def test_a_teammate_sees_the_overview_and_can_submit(app, client, login, make_concept) -> None:
    made = make_concept("draft", members=2)
    login(made["members"][1])
    assert client.get(f"/concepts/{made['id']}").status_code == 200
    assert client.post(f"/concepts/{made['id']}/submit", data=_submit_data(client, made["id"])).status_code == 302
    assert _versions(app, made["id"])[0].submitted_by_id == made["member_ids"][1]


@pytest.mark.both_databases
def test_the_unique_constraint_backstop_returns_the_first_receipt(app, client, login, make_concept,
                                                                  monkeypatch) -> None:  # S22, R04
    # Two requests that both passed the "already submitted?" check (the race the lock prevents):
    # the database refuses the second version and the view answers with the first one's receipt.
    made = make_concept("draft")
    login(made["owner"])
    data = _submit_data(client, made["id"])
    assert client.post(f"/concepts/{made['id']}/submit", data=data).status_code == 302
    _set(app, Concept, made["id"], state=ConceptState.DRAFT, lock_version=int(data["lock_version"]))
    monkeypatch.setattr("app.concepts.services.submission.version_by_source", lambda *_args: None)
    response = client.post(f"/concepts/{made['id']}/submit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/concepts/{made['id']}/versions/1")
    assert len(_versions(app, made["id"])) == 1
