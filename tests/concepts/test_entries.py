"""Organisers' view of concepts (issue 5, part E1): counts before the deadline, the entered
concepts after it, one entry and its files, ineligibility, extensions and the dashboard counts.

Checklist: S17 (role x object matrix), S23 (CSRF on the POSTs), S31 (filters), S37 (downloads),
P08 (no emails on organisers' pages), R03 (an extended team stays hidden until its own deadline).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptExtension, ConceptVersion, ConceptVersionFile
from app.core.audit import AuditEvent
from app.core.timeutil import as_utc, clock
from app.db import db
from app.mail.models import OutboxMessage


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


# ---------------------------------------------------------------- helpers (also used by test_exports.py)
def entries_url(challenge: dict[str, Any]) -> str:
    return f"/challenges/{challenge['slug']}/entries"


def entry_url(concept: dict[str, Any]) -> str:
    return f"{entries_url(concept['challenge'])}/{concept['id']}"


def add_file(app: Flask, concept_id: int, name: str = "plan.pdf", data: bytes = b"%PDF-1.4 hello") -> int:
    """Give the counting version a stored file, as the submit flow would; returns its id."""
    from app.core.files import document_path

    digest = hashlib.sha256(data).hexdigest()
    path = document_path(app.config["UPLOAD_DIR"], digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        item = ConceptVersionFile(version_id=version.id, position=len(version.files), filename=name,
                                  content_hash=digest, mimetype="application/pdf", size=len(data))
        db.session.add(item)
        db.session.commit()
        return item.id


def fetch(client: Any, url: str) -> int:
    """GET `url`, read and close the response (downloads hold a file open); returns the status."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def deadline_of(app: Flask, challenge: dict[str, Any]) -> datetime:
    with app.app_context():
        return as_utc(db.session.get(Challenge, challenge["id"]).deadline_at)


def after_deadline(app: Flask, challenge: dict[str, Any], extra: timedelta = timedelta(minutes=1)) -> None:
    clock.set(deadline_of(app, challenge) + extra)


@pytest.fixture
def scenario(app: Flask, make_challenge: Callable[..., dict[str, Any]],
             make_concept: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """An open challenge with a submitted concept (2 people, one file), a draft and a withdrawn one."""
    challenge = make_challenge("open")
    submitted = make_concept("submitted", challenge=challenge, members=2, title="Submitted idea")
    file_id = add_file(app, submitted["id"])
    return {"challenge": challenge, "submitted": submitted, "file_id": file_id,
            "draft": make_concept("draft", challenge=challenge, title="Draft never sent"),
            "withdrawn": make_concept("withdrawn", challenge=challenge, title="Withdrawn idea")}


# ---------------------------------------------------------------- S17: who may read what
ROLES = ("anonymous", "student", "team member", "other staff", "staff before", "staff after", "admin")


def _become(role: str, s: dict[str, Any], app: Flask, login: Callable[..., Any], make_user: Callable[..., int],
            make_org: Callable[..., dict[str, Any]]) -> None:
    if role != "staff before":
        after_deadline(app, s["challenge"])
    if role == "student":
        email = "student-e1@example.org"
        make_user(email, participant_kind="student")
        login(email)
    elif role == "team member":
        login(s["submitted"]["members"][1])
    elif role == "other staff":
        login(make_org()["owner"])
    elif role in ("staff before", "staff after"):
        login(s["challenge"]["org"]["editor"])
    elif role == "admin":
        make_user("admin-e1@example.org", admin=True)
        login("admin-e1@example.org")


# status codes: list, entry, file, csv, zip, extensions page, mark ineligible (POST)
EXPECTED = {
    "anonymous": (302, 302, 302, 302, 302, 302, 302),
    "student": (403, 403, 403, 403, 403, 403, 403),
    "team member": (403, 403, 403, 403, 403, 403, 403),
    "other staff": (403, 403, 403, 403, 403, 403, 403),
    "staff before": (200, 404, 404, 409, 409, 200, 404),
    "staff after": (200, 200, 200, 200, 200, 200, 302),
    "admin": (200, 200, 200, 200, 200, 403, 403),  # admins read; only the organisation's staff decide (S18)
}


@pytest.mark.parametrize("role", ROLES)
def test_s17_matrix(app, client, login, post_form, make_user, make_org, scenario, role) -> None:
    # S17: anonymous, another student, a teammate, another organisation's staff, the own staff
    # before and after the deadline, and a platform admin, on every organiser endpoint.
    s = scenario
    _become(role, s, app, login, make_user, make_org)
    base = entries_url(s["challenge"])
    got = (fetch(client, base), fetch(client, entry_url(s["submitted"])),
           fetch(client, f"{entry_url(s['submitted'])}/files/{s['file_id']}/plan.pdf"),
           fetch(client, base + ".csv"), fetch(client, base + ".zip"),
           fetch(client, f"/challenges/{s['challenge']['slug']}/extensions"),
           post_form(f"{entry_url(s['submitted'])}/ineligible", {"reason": "Late"}, page="/").status_code)
    assert got == EXPECTED[role]
    if role == "anonymous":
        assert "/account/login" in client.get(base).headers["Location"]
    with app.app_context():
        concept = db.session.get(Concept, s["submitted"]["id"])
        assert concept.is_ineligible is (role == "staff after")


@pytest.mark.both_databases
@pytest.mark.parametrize("role", ["staff after", "admin"])
def test_drafts_and_withdrawn_concepts_are_never_shown(app, client, login, make_user, make_org, scenario,
                                                       role) -> None:
    # S17: drafts never submitted and withdrawn concepts stay with the team, even after the deadline.
    s = scenario
    _become(role, s, app, login, make_user, make_org)
    html = client.get(entries_url(s["challenge"])).get_data(as_text=True)
    assert "Submitted idea" in html
    assert "Draft never sent" not in html
    assert "Withdrawn idea" not in html
    assert f"C-{s['draft']['id']}" not in html
    assert f"C-{s['withdrawn']['id']}" not in html
    for key in ("draft", "withdrawn"):
        assert client.get(entry_url(s[key])).status_code == 404


def test_a_draft_challenge_is_404_for_outsiders(app, client, login, make_user, make_challenge) -> None:
    draft = make_challenge("draft")
    make_user("nosy-e1@example.org")
    login("nosy-e1@example.org")
    assert client.get(entries_url(draft)).status_code == 404
    assert client.get(f"/challenges/{draft['slug']}/extensions").status_code == 404


def test_another_challenges_concept_is_404(app, client, login, make_challenge, make_concept, scenario) -> None:
    other = make_concept("submitted", challenge=make_challenge("open", org=scenario["challenge"]["org"]))
    after_deadline(app, scenario["challenge"], timedelta(days=30))
    login(scenario["challenge"]["org"]["owner"])
    assert client.get(f"{entries_url(scenario['challenge'])}/{other['id']}").status_code == 404


@pytest.mark.both_databases
def test_counts_only_before_the_deadline(client, login, scenario) -> None:
    # Issue 5: "before the deadline ... the organisation sees counts only".
    login(scenario["challenge"]["org"]["owner"])
    html = client.get(entries_url(scenario["challenge"])).get_data(as_text=True)
    assert "Submitted idea" not in html
    assert "Draft never sent" not in html
    counts = re.search(r"Concepts submitted</dt><dd>(\d+)</dd>\s*<dt>Drafts not submitted</dt><dd>(\d+)", html)
    assert counts
    assert counts.groups() == ("1", "1")
    assert "not readable yet" in html


@pytest.mark.both_databases
def test_the_list_shows_the_counting_version(app, client, login, scenario) -> None:
    # The organisers see the frozen version, never the live draft (edited after reopening).
    with app.app_context():
        concept = db.session.get(Concept, scenario["submitted"]["id"])
        concept.title = "Secret draft edit"
        concept.state = "draft"  # reopened to edit; version 1 still counts
        db.session.commit()
    after_deadline(app, scenario["challenge"])
    login(scenario["challenge"]["org"]["owner"])
    html = client.get(entries_url(scenario["challenge"])).get_data(as_text=True)
    assert "Submitted idea" in html
    assert "Secret draft edit" not in html
    page = client.get(entry_url(scenario["submitted"])).get_data(as_text=True)
    assert "Submitted idea" in page
    assert "Secret draft edit" not in page
    assert "plan.pdf" in page
    assert "CC BY 4.0" in page


def test_the_entry_page_names_the_team_without_emails(app, client, login, scenario) -> None:
    # P08: organisers see display names and profile facts for eligibility, never email addresses.
    after_deadline(app, scenario["challenge"])
    login(scenario["challenge"]["org"]["owner"])
    html = client.get(entry_url(scenario["submitted"])).get_data(as_text=True)
    for email in scenario["submitted"]["members"]:
        assert email not in html
        assert f"Person {email.split('@')[0]}" in html
    assert "Student" in html


def test_a_file_download_has_safe_headers_and_is_rechecked(app, client, login, scenario) -> None:
    # S37: attachment with filename*, nosniff, sandbox, no-store; the URL alone is no key.
    after_deadline(app, scenario["challenge"])
    login(scenario["challenge"]["org"]["owner"])
    url = f"{entry_url(scenario['submitted'])}/files/{scenario['file_id']}/plan.pdf"
    response = client.get(url)
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert data == b"%PDF-1.4 hello"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    wrong_name = client.get(url.replace("plan.pdf", "other.pdf"))
    assert wrong_name.status_code == 302
    assert wrong_name.headers["Location"].endswith("/plan.pdf")
    assert client.get(url.replace(f"/files/{scenario['file_id']}/", "/files/999999/")).status_code == 404
    logout(client)
    assert fetch(client, url) == 302


def logout(client: Any) -> None:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True))
    client.post("/account/logout", data={"csrf_token": match.group(1) if match else ""})


# ---------------------------------------------------------------- filters and pagination (S31)
@pytest.fixture
def many(app: Flask, make_challenge, make_concept) -> dict[str, Any]:
    challenge = make_challenge("open")
    made = {
        "solo_en": make_concept("submitted", challenge=challenge, title="Alpha compost", language="en"),
        "team_sv": make_concept("submitted", challenge=challenge, members=3, title="Beta återvinning",
                                language="sv", summary="Sopsortering i trapphuset, med bilder."),
        "bad": make_concept("submitted", challenge=challenge, title="Gamma bins", language="en"),
    }
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == made["team_sv"]["id"]))
        version.tag_names = ["återvinning", "bins"]
        bad = db.session.get(Concept, made["bad"]["id"])
        bad.ineligible_at, bad.ineligible_reason = as_utc(version.submitted_at), "Outside the region"
        db.session.commit()
    return {"challenge": challenge, **made}


def _titles(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a></th>', html)


@pytest.mark.both_databases
def test_filters(app, client, login, many) -> None:
    after_deadline(app, many["challenge"])
    login(many["challenge"]["org"]["owner"])
    url = entries_url(many["challenge"])
    assert _titles(client.get(url + "?sort=title").get_data(as_text=True)) == [
        "Alpha compost", "Beta återvinning", "Gamma bins"]
    assert _titles(client.get(url + "?eligibility=ineligible").get_data(as_text=True)) == ["Gamma bins"]
    assert "Gamma bins" not in _titles(client.get(url + "?eligibility=eligible").get_data(as_text=True))
    assert _titles(client.get(url + "?language=sv").get_data(as_text=True)) == ["Beta återvinning"]
    assert _titles(client.get(url + "?tag=återvinning").get_data(as_text=True)) == ["Beta återvinning"]
    assert _titles(client.get(url + "?team=team").get_data(as_text=True)) == ["Beta återvinning"]
    assert _titles(client.get(url + "?team=individual&sort=title").get_data(as_text=True)) == [
        "Alpha compost", "Gamma bins"]
    assert _titles(client.get(url + "?q=TRAPPHUSET").get_data(as_text=True)) == ["Beta återvinning"]
    assert _titles(client.get(url + "?q=50%25").get_data(as_text=True)) == []
    html = client.get(url + "?q=nothing-like-this").get_data(as_text=True)
    assert "No entries match these filters." in html


@pytest.mark.parametrize("query", ["sort=drop+table", "eligibility=maybe", "language=xx", "tag=nope",
                                   "team=crowd", "q=" + "x" * 101])
def test_unknown_filter_values_are_400(app, client, login, many, query) -> None:
    # S31: an unknown value is a request error with a message, never a 500.
    after_deadline(app, many["challenge"])
    login(many["challenge"]["org"]["owner"])
    response = client.get(f"{entries_url(many['challenge'])}?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)


@pytest.mark.both_databases
@pytest.mark.parametrize(("page", "status"), [("abc", 400), ("0", 400), ("99", 404)])
def test_bad_page_numbers(app, client, login, many, page, status) -> None:
    after_deadline(app, many["challenge"])
    login(many["challenge"]["org"]["owner"])
    assert client.get(f"{entries_url(many['challenge'])}?page={page}").status_code == status


# ---------------------------------------------------------------- R03: an extension hides the entry
@pytest.mark.both_databases
def test_an_entry_with_a_running_extension_is_hidden_until_it_passes(app, client, login, make_concept,
                                                                     scenario) -> None:
    s = scenario
    deadline = deadline_of(app, s["challenge"])
    extended = make_concept("submitted", challenge=s["challenge"], title="Extended idea",
                            extension_until=deadline + timedelta(days=2))
    clock.set(deadline + timedelta(days=1))
    login(s["challenge"]["org"]["owner"])
    html = client.get(entries_url(s["challenge"])).get_data(as_text=True)
    assert "Submitted idea" in html
    assert "Extended idea" not in html
    assert f"C-{extended['id']}" in html
    assert "extension until" in html
    assert client.get(entry_url(extended)).status_code == 404
    assert "Extended idea" not in client.get(entries_url(s["challenge"]) + ".csv").get_data(as_text=True)
    clock.set(deadline + timedelta(days=2, seconds=1))
    logout(client)  # the session idled out while the clock moved on
    login(s["challenge"]["org"]["owner"])
    html = client.get(entries_url(s["challenge"])).get_data(as_text=True)
    assert "Extended idea" in html
    assert client.get(entry_url(extended)).status_code == 200


# ---------------------------------------------------------------- ineligibility
def test_marking_ineligible_needs_a_reason(app, client, login, post_form, scenario) -> None:
    after_deadline(app, scenario["challenge"])
    login(scenario["challenge"]["org"]["owner"])
    url = entry_url(scenario["submitted"])
    response = post_form(url + "/ineligible", {"reason": "   "}, page=url)
    assert response.status_code == 400
    assert "Give the reason" in response.get_data(as_text=True)
    response = post_form(url + "/ineligible", {"reason": "x" * 1001}, page=url)
    assert response.status_code == 400
    assert "at most 1000 characters" in response.get_data(as_text=True)
    response = client.post(url + "/ineligible", data={"reason": "No token"})
    assert response.status_code == 400  # S23
    with app.app_context():
        assert not db.session.get(Concept, scenario["submitted"]["id"]).is_ineligible


def test_marking_ineligible_tells_the_team(app, client, login, post_form, scenario, smtp_sink,
                                           send_outbox) -> None:
    s = scenario
    smtp_sink.clear()
    after_deadline(app, s["challenge"])
    login(s["challenge"]["org"]["owner"])
    url = entry_url(s["submitted"])
    response = post_form(url + "/ineligible", {"reason": "The team lives outside the region."}, page=url)
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Marked ineligible" in html
    assert "The team lives outside the region." in html
    assert "Ineligible" in client.get(entries_url(s["challenge"])).get_data(as_text=True)
    with app.app_context():
        concept = db.session.get(Concept, s["submitted"]["id"])
        assert concept.ineligible_reason == "The team lives outside the region."
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concept.ineligible",
                                                          AuditEvent.object_id == concept.id)) is not None
    send_outbox()
    for email in s["submitted"]["members"]:
        messages = smtp_sink.to(email)
        assert len(messages) == 1
        assert "The team lives outside the region." in smtp_sink.text_of(messages[0])
        assert f"C-{s['submitted']['id']}" in smtp_sink.text_of(messages[0])
    # The team sees the reason on its own page (part C's overview).
    logout(client)
    login(s["submitted"]["owner"])
    overview = client.get(f"/concepts/{s['submitted']['id']}")
    assert overview.status_code == 200
    assert "The team lives outside the region." in overview.get_data(as_text=True)
    # ... and marking eligible again clears it.
    logout(client)
    login(s["challenge"]["org"]["owner"])
    smtp_sink.clear()
    assert post_form(url + "/eligible", {}, page=url).status_code == 302
    with app.app_context():
        assert not db.session.get(Concept, s["submitted"]["id"]).is_ineligible
    # ... and the team hears of that too.
    send_outbox()
    for email in s["submitted"]["members"]:
        messages = smtp_sink.to(email)
        assert len(messages) == 1
        text = smtp_sink.text_of(messages[0])
        assert "takes part in the challenge again" in text
        assert f"C-{s['submitted']['id']}" in text
    # A second "eligible" changes nothing and sends nothing.
    assert post_form(url + "/eligible", {}, page=url).status_code == 302
    assert send_outbox() == 0


def test_ineligible_mail_is_in_the_members_language(app, client, login, post_form, make_challenge,
                                                    make_concept) -> None:
    from app.accounts.models import User

    challenge = make_challenge("open")
    concept = make_concept("submitted", challenge=challenge, members=["svensk-e1@example.org"])
    with app.app_context():
        db.session.get(User, concept["owner_id"]).locale = "sv"
        db.session.commit()
    after_deadline(app, challenge)
    login(challenge["org"]["owner"])
    url = entry_url(concept)
    assert post_form(url + "/ineligible", {"reason": "Skäl"}, page=url).status_code == 302
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == "svensk-e1@example.org"))
        assert message.locale == "sv"
        assert "Skäl" in message.body_text


# ---------------------------------------------------------------- extensions
def _extension_post(post_form: Callable[..., Any], challenge: dict[str, Any], concept: str, until: str,
                    reason: str = "Illness in the team") -> Any:
    url = f"/challenges/{challenge['slug']}/extensions"
    return post_form(url, {"concept": concept, "until": until, "reason": reason}, page=url)


def _local(app: Flask, challenge: dict[str, Any], delta: timedelta) -> str:
    zone = ZoneInfo("Europe/Copenhagen")
    return (deadline_of(app, challenge) + delta).astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def test_granting_an_extension(app, client, login, post_form, scenario, smtp_sink, send_outbox) -> None:
    s = scenario
    smtp_sink.clear()
    login(s["challenge"]["org"]["owner"])
    response = _extension_post(post_form, s["challenge"], f"c-{s['draft']['id']}", _local(app, s["challenge"],
                               timedelta(days=3)))
    assert response.status_code == 302, response.get_data(as_text=True)
    deadline = deadline_of(app, s["challenge"])
    with app.app_context():
        concept = db.session.get(Concept, s["draft"]["id"])
        assert as_utc(concept.extension_until) == (deadline + timedelta(days=3)).replace(second=0, microsecond=0)
        assert db.session.scalar(select(ConceptExtension).where(ConceptExtension.concept_id == concept.id))
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concept.extension_granted"))
    html = client.get(f"/challenges/{s['challenge']['slug']}/extensions").get_data(as_text=True)
    assert f"C-{s['draft']['id']}" in html
    assert "Illness in the team" in html
    assert "Draft never sent" not in html  # reference and team only, never the content
    send_outbox()
    assert len(smtp_sink.to(s["draft"]["owner"])) == 1
    assert "Illness in the team" in smtp_sink.text_of(smtp_sink.to(s["draft"]["owner"])[0])


@pytest.mark.parametrize(("case", "message"), [
    ("before deadline", "must be after the challenge"),
    ("too late", "at most 14 days"),
    ("withdrawn", "was withdrawn"),
    ("other challenge", "no concept with this reference"),
    ("unknown", "no concept with this reference"),
    ("garbage ref", "like C-123"),
    ("no reason", "Give the reason"),
    ("no date", "Enter the new deadline"),
])
def test_extension_validation(app, client, login, post_form, make_challenge, make_concept, scenario, case,
                              message) -> None:
    s = scenario
    ch = s["challenge"]
    ref, until, reason = f"C-{s['submitted']['id']}", _local(app, ch, timedelta(days=2)), "Illness"
    if case == "before deadline":
        until = _local(app, ch, -timedelta(hours=1))
    elif case == "too late":
        until = _local(app, ch, timedelta(days=14, minutes=1))
    elif case == "withdrawn":
        ref = f"C-{s['withdrawn']['id']}"
    elif case == "other challenge":
        ref = f"C-{make_concept('submitted', challenge=make_challenge('open', org=ch['org']))['id']}"
    elif case == "unknown":
        ref = "C-99999999"
    elif case == "garbage ref":
        ref = "the green one"
    elif case == "no reason":
        reason = ""
    elif case == "no date":
        until = ""
    login(ch["org"]["owner"])
    response = _extension_post(post_form, ch, ref, until, reason)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ConceptExtension)) is None


def test_no_extension_once_judging_started(app, client, login, post_form, make_challenge, make_concept) -> None:
    ch = make_challenge("judging")
    concept = make_concept("submitted", challenge=ch)
    login(ch["org"]["owner"])
    response = _extension_post(post_form, ch, f"C-{concept['id']}", "2099-01-01T12:00")
    assert response.status_code == 409
    assert "until judging starts" in response.get_data(as_text=True)


# ---------------------------------------------------------------- dashboard and manage page counts
@pytest.mark.both_databases
def test_dashboard_and_manage_page_counts(app, client, login, make_challenge, make_concept, scenario) -> None:
    s = scenario
    make_concept("submitted", challenge=s["challenge"])
    other = make_challenge("open", org=s["challenge"]["org"])
    make_concept("draft", challenge=other)
    make_concept("draft", challenge=other)
    login(s["challenge"]["org"]["owner"])
    html = client.get(f"/organisations/{s['challenge']['org']['slug']}/dashboard").get_data(as_text=True)

    def row(title: str) -> list[str]:
        start = html.index(title)
        return re.findall(r'<td [^>]*class="num">(\d+)</td>', html[start:html.index("</tr>", start)])

    with app.app_context():
        first_title = db.session.get(Challenge, s["challenge"]["id"]).title
        other_title = db.session.get(Challenge, other["id"]).title
    # followers, waiting, answered, drafts, submitted
    assert row(first_title)[-2:] == ["1", "2"]  # one draft; two submitted (withdrawn counted nowhere)
    assert row(other_title)[-2:] == ["2", "0"]
    manage = client.get(f"/challenges/{s['challenge']['slug']}/manage").get_data(as_text=True)
    assert "(2 submitted, 1 draft)" in manage
    assert f'href="/challenges/{s["challenge"]["slug"]}/entries"' in manage


def test_the_challenge_state_does_not_matter_without_deadline(app) -> None:
    # A challenge without deadline is readable once it is no longer open (effective state).
    from app.concepts.services.entries import challenge_deadline_passed

    with app.app_context():
        challenge = Challenge(state=ChallengeState.JUDGING, deadline_at=None)
        assert challenge_deadline_passed(challenge, clock.now())


# ---------------------------------------------------------------- cover, pagination, eligibility facts
def test_the_cover_of_the_counting_version(app, client, login, make_user, scenario) -> None:
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.core.uploads import store_image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, "PNG")
    buffer.seek(0)
    digest = store_image(FileStorage(buffer, filename="cover.png"), max_bytes=1_000_000,
                         upload_dir=app.config["UPLOAD_DIR"])
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(
            ConceptVersion.concept_id == scenario["submitted"]["id"]))
        version.cover_image_hash, version.cover_image_alt = digest, "A green square"
        db.session.commit()
    after_deadline(app, scenario["challenge"])
    url = entry_url(scenario["submitted"]) + "/cover"
    make_user("cover-student@example.org")
    login("cover-student@example.org")
    assert fetch(client, url) == 403  # S17
    logout(client)
    login(scenario["challenge"]["org"]["owner"])
    assert 'alt="A green square"' in client.get(entry_url(scenario["submitted"])).get_data(as_text=True)
    response = client.get(url)
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert data.startswith(b"\x89PNG")
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.both_databases
def test_pages_of_entries(app, client, login, make_challenge, make_concept, monkeypatch) -> None:
    import app.concepts.views.entries as views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    challenge = make_challenge("open")
    for n in range(3):
        make_concept("submitted", challenge=challenge, title=f"Idea {n}")
    after_deadline(app, challenge)
    login(challenge["org"]["owner"])
    first = client.get(entries_url(challenge) + "?sort=title").get_data(as_text=True)
    assert _titles(first) == ["Idea 0", "Idea 1"]
    assert f'href="/challenges/{challenge["slug"]}/entries?page=2&amp;sort=title"' in first
    second = client.get(entries_url(challenge) + "?sort=title&page=2").get_data(as_text=True)
    assert _titles(second) == ["Idea 2"]


def test_the_entry_says_whether_each_member_fits_the_eligibility(app, client, login, make_challenge,
                                                                  make_concept) -> None:
    from app.accounts.models import User

    challenge = make_challenge("open", eligibility=["student"])
    concept = make_concept("submitted", challenge=challenge, members=2)
    with app.app_context():
        user = db.session.get(User, concept["member_ids"][1])
        user.participant_kind, user.institution, user.country = "startup", "Sortera AB", "SE"
        db.session.commit()
    after_deadline(app, challenge)
    login(challenge["org"]["owner"])
    html = client.get(entry_url(concept)).get_data(as_text=True)
    assert "Sortera AB" in html
    assert "Startup" in html
    assert html.count("No: the profile does not match who may enter") == 1


@pytest.mark.both_databases
def test_the_grace_period_keeps_entries_closed(app, client, login, scenario) -> None:
    # R03: during the grace period teams may still write, so organisers still see counts only.
    app.config["SUBMISSION_GRACE_SECONDS"] = 60
    deadline = deadline_of(app, scenario["challenge"])
    clock.set(deadline + timedelta(seconds=30))
    login(scenario["challenge"]["org"]["owner"])
    html = client.get(entries_url(scenario["challenge"])).get_data(as_text=True)
    assert "Submitted idea" not in html
    assert fetch(client, entry_url(scenario["submitted"])) == 404
    clock.set(deadline + timedelta(seconds=60))
    assert "Submitted idea" in client.get(entries_url(scenario["challenge"])).get_data(as_text=True)
    assert fetch(client, entry_url(scenario["submitted"])) == 200
