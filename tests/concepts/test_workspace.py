"""The concept workspace: start, edit, autosave, version conflicts, the deadline at write time,
files and who may touch any of it (issue 5, part A)."""
from __future__ import annotations

import errno
import gc
import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.concepts.models import Concept, ConceptAttachment, ConceptMember, ConceptState, MemberRole
from app.core.timeutil import clock, utcnow
from app.db import db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def edit_url(cid: int) -> str:
    return f"/concepts/{cid}/edit"


def draft(version: int = 1, **fields: Any) -> dict[str, Any]:
    data = {"lock_version": str(version), "title": "Bins that talk", "summary": "Stickers show what goes where.",
            "body_md": "## Idea\n\nPictures beat words.", "language": "en", "tags": "recycling, schools",
            "cover_alt": "", "action": "save"}
    data.update(fields)
    return data


def load(app: Flask, cid: int) -> Concept:
    with app.app_context():
        concept = db.session.get(Concept, cid)
        assert concept is not None
        _ = [t.name for t in concept.tags], list(concept.attachments), list(concept.members)
        db.session.expunge_all()
        return concept


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1) or match.group(2)


@pytest.fixture
def post_multi(client: FlaskClient, csrf: Callable[[str], str]) -> Callable[..., Any]:
    """Like post_form, for forms with files: the multipart body is encoded up front (no temporary
    file left for the garbage collector, as a browser sends it)."""
    def _post(url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any) -> Any:
        values: dict[str, Any] = {"csrf_token": csrf(page or url)}
        for key, value in data.items():
            if isinstance(value, tuple):
                stream, name = value
                value = FileStorage(stream=stream, filename=name, content_type="application/octet-stream")
            values[key] = value
        boundary, body = encode_multipart(values)
        return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)
    return _post


@pytest.fixture
def as_member(login: Callable[..., Any], make_concept: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A concept (draft by default) with the client logged in as its team lead."""
    def _make(**kwargs: Any) -> dict[str, Any]:
        info = make_concept(**kwargs)
        login(info["owner"])
        return info
    return _make


# ---------------------------------------------------------------- start
@pytest.mark.both_databases
def test_start_on_an_open_challenge_makes_a_private_draft(app: Flask, client: FlaskClient, make_challenge: Any,
                                                        make_user: Any, login: Any, post_form: Any) -> None:
    challenge = make_challenge("open", language="da")
    make_user("starter@example.org", participant_kind="student", locale="sv")
    login("starter@example.org")
    page = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    assert f"/challenges/{challenge['slug']}/concepts/new" in page  # the "Start a concept" form, in Swedish
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    assert response.status_code == 303
    cid = int(re.search(r"/concepts/(\d+)/edit", response.headers["Location"]).group(1))
    with app.app_context():
        concept = db.session.get(Concept, cid)
        assert concept.state == ConceptState.DRAFT
        assert concept.title == ""
        assert concept.lock_version == 1
        assert concept.language == "sv"  # the person's language, one of the four
        member = db.session.scalars(select(ConceptMember).where(ConceptMember.concept_id == cid)).one()
        assert member.role == MemberRole.OWNER
        assert member.challenge_id == challenge["id"]
        assert concept.owner_id == member.user_id
    assert client.get(edit_url(cid)).status_code == 200
    # The challenge page now offers to continue, not to start another (one per person).
    page = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    assert f"/concepts/{cid}" in page


def test_language_falls_back_to_the_challenge_language(app: Flask, make_challenge: Any, make_user: Any,
                                                       login: Any, post_form: Any) -> None:
    challenge = make_challenge("open", language="nb")
    make_user("fi@example.org", locale="fi")
    login("fi@example.org")
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    cid = int(response.headers["Location"].rstrip("/").split("/")[-2])
    assert load(app, cid).language == "nb"


@pytest.mark.parametrize(("state", "status"), [("scheduled", 409), ("closed", 409), ("judging", 409),
                                                ("draft", 404)])
def test_start_refused_unless_open(app: Flask, make_challenge: Any, logged_in: Any, post_form: Any,
                                   state: str, status: int) -> None:
    challenge = make_challenge(state)
    logged_in("user", participant_kind="student")
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    assert response.status_code == status
    if status == 409:
        assert "accept" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Concept).where(Concept.challenge_id == challenge["id"])) is None


def test_start_refused_when_not_eligible_with_the_reason(client: FlaskClient, make_challenge: Any,
                                                         logged_in: Any, post_form: Any) -> None:
    challenge = make_challenge("open", eligibility=["student"])
    logged_in("user", participant_kind="startup")
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "students only" in html.lower()
    assert 'href="/account/"' in html  # the profile page, to correct the participant kind


def test_start_refused_for_an_unverified_account(app: Flask, make_challenge: Any, logged_in: Any,
                                                 post_form: Any) -> None:
    challenge = make_challenge("open")
    logged_in("unverified")
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    assert response.status_code == 403  # refused with the reason, not sent elsewhere
    assert "Confirm your email address first" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Concept).where(Concept.challenge_id == challenge["id"])) is None


def test_organisation_staff_cannot_start(make_challenge: Any, login: Any, post_form: Any,
                                         client: FlaskClient) -> None:
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    response = post_form(f"/challenges/{challenge['slug']}/concepts/new", page="/")
    assert response.status_code == 403
    assert "organisation" in response.get_data(as_text=True)
    assert "Start a concept" not in client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)


@pytest.mark.both_databases
def test_second_concept_refused_unless_allowed(app: Flask, make_challenge: Any, logged_in: Any,
                                               post_form: Any) -> None:
    one = make_challenge("open")
    logged_in("user")
    first = post_form(f"/challenges/{one['slug']}/concepts/new", page="/")
    assert first.status_code == 303
    again = post_form(f"/challenges/{one['slug']}/concepts/new", page="/")
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert "Continue your concept" in html
    assert first.headers["Location"].split("?")[0] in html
    many = make_challenge("open", allow_multiple_concepts=True)
    assert post_form(f"/challenges/{many['slug']}/concepts/new", page="/").status_code == 303
    assert post_form(f"/challenges/{many['slug']}/concepts/new", page="/").status_code == 303


def test_anonymous_start_goes_to_login_and_the_page_links_there(client: FlaskClient, make_challenge: Any,
                                                                 csrf: Any) -> None:
    challenge = make_challenge("open")
    page = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    assert f"/account/login?next=/challenges/{challenge['slug']}" in page.replace("%2F", "/")
    response = client.post(f"/challenges/{challenge['slug']}/concepts/new", data={"csrf_token": csrf("/")})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_closed_challenge_page_offers_no_start(client: FlaskClient, make_challenge: Any, logged_in: Any) -> None:
    challenge = make_challenge("closed")
    logged_in("user")
    assert "Start a concept" not in client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)


# ---------------------------------------------------------------- edit and save
def test_owner_and_teammate_edit_and_save(app: Flask, client: FlaskClient, make_concept: Any, login: Any,
                                          post_form: Any) -> None:
    info = make_concept(members=2)
    login(info["owner"])
    page = client.get(edit_url(info["id"]))
    assert page.status_code == 200
    assert 'name="lock_version"' in page.get_data(as_text=True)
    response = post_form(edit_url(info["id"]), draft(1, title="Lead's title"))
    assert response.status_code == 303
    concept = load(app, info["id"])
    assert (concept.title, concept.lock_version) == ("Lead's title", 2)
    assert sorted(t.name for t in concept.tags) == ["recycling", "schools"]
    client.post("/account/logout", data={"csrf_token": token_of(client.get("/").get_data(as_text=True))})
    login(info["members"][1])
    response = post_form(edit_url(info["id"]), draft(2, title="Mate's title", tags=""))
    assert response.status_code == 303
    concept = load(app, info["id"])
    assert (concept.title, concept.lock_version, concept.tags) == ("Mate's title", 3, [])


def test_saving_needs_no_title_but_refuses_too_long_text(app: Flask, as_member: Any, post_form: Any) -> None:
    info = as_member()
    assert post_form(edit_url(info["id"]), draft(1, title="")).status_code == 303
    long_body = "x" * 50_001
    response = post_form(edit_url(info["id"]), draft(2, body_md=long_body, title="t" * 201))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 200 characters" in html
    assert long_body in html
    assert load(app, info["id"]).lock_version == 2


def test_preview_button_saves_and_shows_the_rendered_text(app: Flask, client: FlaskClient, as_member: Any,
                                                          post_form: Any) -> None:
    info = as_member()
    response = post_form(edit_url(info["id"]), draft(1, body_md="## Heading here\n\n*soft*", action="preview"))
    assert response.status_code == 303
    assert "preview=1" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h3>Heading here</h3>" in html
    assert "<em>soft</em>" in html


@pytest.mark.parametrize("who", ["stranger", "other_team", "org_staff", "admin", "org_owner"])
def test_only_the_team_may_touch_the_workspace(app: Flask, client: FlaskClient, make_concept: Any,
                                               make_user: Any, login: Any, csrf: Any, who: str) -> None:
    # S17: anyone but the team gets a 404 on every workspace route, whoever they are.
    info = make_concept()
    with app.app_context():
        db.session.add(ConceptAttachment(concept_id=info["id"], filename="plan.pdf", content_hash="a" * 64,
                                         mimetype="application/pdf", size=10, created_at=utcnow()))
        db.session.commit()
        attachment_id = db.session.scalar(select(ConceptAttachment.id).where(ConceptAttachment.concept_id == info["id"]))
    if who == "stranger":
        email = "stranger@example.org"
        make_user(email)
    elif who == "other_team":
        email = make_concept(challenge=info["challenge"])["owner"]
    elif who == "org_staff":
        email = info["challenge"]["org"]["editor"]
    elif who == "org_owner":
        email = info["challenge"]["org"]["owner"]
    else:
        email = "root@example.org"
        make_user(email, admin=True)
    login(email)
    token = csrf("/")
    cid = info["id"]
    assert client.get(edit_url(cid)).status_code == 404
    assert client.post(edit_url(cid), data={**draft(1), "csrf_token": token}).status_code == 404
    assert client.post(f"/concepts/{cid}/autosave", data=draft(1), headers={"X-CSRFToken": token}).status_code == 404
    assert client.post(f"/concepts/{cid}/attachments", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/concepts/{cid}/attachments/{attachment_id}/delete",
                       data={"csrf_token": token}).status_code == 404
    assert client.get(f"/concepts/{cid}/attachments/{attachment_id}/plan.pdf").status_code == 404
    assert client.get(f"/concepts/{cid}/cover").status_code == 404
    concept = load(app, cid)
    assert concept.lock_version == 1
    assert len(concept.attachments) == 1


def test_anonymous_is_sent_to_login_or_refused(client: FlaskClient, make_concept: Any, csrf: Any) -> None:
    cid = make_concept()["id"]
    response = client.get(edit_url(cid))
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    token = csrf("/")
    auto = client.post(f"/concepts/{cid}/autosave", data=draft(1), headers={"X-CSRFToken": token})
    assert auto.status_code == 401
    assert auto.get_json()["ok"] is False


def test_mass_assignment_is_ignored(app: Flask, make_challenge: Any, as_member: Any, post_form: Any,
                                    client: FlaskClient) -> None:
    # S20: only the form's fields reach the concept.
    info = as_member()
    other = make_challenge("open")
    extra = {"state": "submitted", "owner_id": "999999", "challenge_id": str(other["id"]), "lock_version": "1",
             "submitted_version_no": "7", "extension_until": "2099-01-01T00:00", "licence": "none",
             "ineligible_reason": "x"}
    assert post_form(edit_url(info["id"]), {**draft(1), **extra}).status_code == 303
    token = token_of(client.get(edit_url(info["id"])).get_data(as_text=True))
    response = client.post(f"/concepts/{info['id']}/autosave", data={**draft(2), **extra, "lock_version": "2"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    concept = load(app, info["id"])
    assert concept.state == ConceptState.DRAFT
    assert concept.owner_id == info["owner_id"]
    assert concept.challenge_id == info["challenge"]["id"]
    assert concept.submitted_version_no is None
    assert concept.extension_until is None
    assert concept.licence == "cc-by-4.0"
    assert concept.ineligible_reason is None


# ---------------------------------------------------------------- autosave and conflicts
def test_autosave_saves_and_answers_json(app: Flask, client: FlaskClient, as_member: Any) -> None:
    info = as_member()
    html = client.get(edit_url(info["id"])).get_data(as_text=True)
    assert 'role="status" aria-live="polite"' in html
    assert "js/autosave.js" in html
    token = token_of(html)
    response = client.post(f"/concepts/{info['id']}/autosave", data=draft(1, body_md="autosaved words"),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["lock_version"] == 2
    assert body["message"].startswith("Saved at")
    assert "T" in body["saved_at"]
    assert load(app, info["id"]).body_md == "autosaved words"
    # Without the token: refused (S23).
    assert client.post(f"/concepts/{info['id']}/autosave", data=draft(2)).status_code == 400
    # Stale version: a conflict, nothing overwritten.
    stale = client.post(f"/concepts/{info['id']}/autosave", data=draft(1, body_md="older tab"),
                        headers={"X-CSRFToken": token})
    assert stale.status_code == 409
    assert stale.get_json()["conflict"] is True
    assert load(app, info["id"]).body_md == "autosaved words"
    bad = client.post(f"/concepts/{info['id']}/autosave", data=draft(2, summary="s" * 1001),
                      headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    assert "Not saved" in bad.get_json()["message"]


@pytest.mark.both_databases
def test_two_tabs_never_overwrite_each_other(app: Flask, client: FlaskClient, as_member: Any,
                                             post_form: Any) -> None:
    info = as_member()
    tab_a = client.get(edit_url(info["id"])).get_data(as_text=True)
    tab_b = client.get(edit_url(info["id"])).get_data(as_text=True)
    assert 'name="lock_version" type="hidden" value="1"' in tab_a
    assert tab_b
    assert post_form(edit_url(info["id"]), draft(1, body_md="Text from tab A")).status_code == 303
    response = post_form(edit_url(info["id"]), draft(1, body_md="Text from tab B"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Text from tab A" in html
    assert "Text from tab B" in html
    assert "Your version" in html
    assert "The saved version" in html
    assert "Keep mine" in html
    assert 'name="lock_version" type="hidden" value="2"' in html  # "Keep mine" builds on the saved version
    assert load(app, info["id"]).body_md == "Text from tab A"
    keep = post_form(edit_url(info["id"]), draft(2, body_md="Text from tab B"))
    assert keep.status_code == 303
    assert load(app, info["id"]).body_md == "Text from tab B"


@pytest.mark.both_databases
def test_own_autosave_in_flight_is_no_conflict(app: Flask, client: FlaskClient, as_member: Any,
                                               post_form: Any) -> None:
    # The page's autosave (or a file upload) lands just before the form it came from is sent: the
    # saved text equals the posted text, so saving with the older version loses nothing (found by
    # the browser journey: blur -> autosave, then "Save the draft" posted lock_version 1).
    info = as_member()
    token = token_of(client.get(edit_url(info["id"])).get_data(as_text=True))
    auto = client.post(f"/concepts/{info['id']}/autosave", data=draft(1, body_md="same words"),
                       headers={"X-CSRFToken": token})
    assert auto.status_code == 200
    assert post_form(edit_url(info["id"]), draft(1, body_md="same words")).status_code == 303
    assert load(app, info["id"]).lock_version == 3
    # Different text on the old version is still a conflict.
    assert post_form(edit_url(info["id"]), draft(1, body_md="other words")).status_code == 409
    assert load(app, info["id"]).body_md == "same words"


# ---------------------------------------------------------------- the deadline at the moment of the write
@pytest.fixture
def soon(make_challenge: Any, make_concept: Any, login: Any) -> dict[str, Any]:
    deadline = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    challenge = make_challenge("open", deadline_at=deadline)
    info = make_concept(challenge=challenge)
    login(info["owner"])
    info["deadline"] = deadline
    return info


def test_deadline_is_checked_at_write_time(app: Flask, client: FlaskClient, soon: dict[str, Any],
                                           post_form: Any) -> None:
    # R03, S21: the server's clock at the moment of the write decides; the text comes back.
    cid, deadline = soon["id"], soon["deadline"]
    token = token_of(client.get(edit_url(cid)).get_data(as_text=True))
    try:
        clock.set(deadline - timedelta(seconds=1))
        assert client.post(edit_url(cid), data={**draft(1, body_md="just in time"),
                                                "csrf_token": token}).status_code == 303
        clock.set(deadline)
        late_text = "Typed before the deadline, sent at it <b>kept</b>"
        response = client.post(edit_url(cid), data={**draft(2, body_md=late_text), "csrf_token": token})
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert "deadline passed" in html
        assert "Typed before the deadline, sent at it &lt;b&gt;kept&lt;/b&gt;" in html
        auto = client.post(f"/concepts/{cid}/autosave", data=draft(2), headers={"X-CSRFToken": token})
        assert auto.status_code == 409
        assert auto.get_json()["deadline"] is True
        page = client.get(edit_url(cid)).get_data(as_text=True)
        assert "The deadline has passed" in page
        assert 'id="concept-form"' not in page
        assert "just in time" in page
    finally:
        clock.reset()
    assert load(app, cid).body_md == "just in time"


def test_grace_seconds_after_the_deadline(app: Flask, client: FlaskClient, soon: dict[str, Any]) -> None:
    cid, deadline = soon["id"], soon["deadline"]
    app.config["SUBMISSION_GRACE_SECONDS"] = 30
    token = token_of(client.get(edit_url(cid)).get_data(as_text=True))
    try:
        clock.set(deadline + timedelta(seconds=29))
        assert client.post(edit_url(cid), data={**draft(1), "csrf_token": token}).status_code == 303
        clock.set(deadline + timedelta(seconds=30))
        assert client.post(edit_url(cid), data={**draft(2), "csrf_token": token}).status_code == 409
    finally:
        clock.reset()


def test_a_submitted_concept_is_read_only_until_reopened(app: Flask, client: FlaskClient, as_member: Any,
                                                         post_form: Any) -> None:
    info = as_member(state="submitted")
    html = client.get(edit_url(info["id"])).get_data(as_text=True)
    assert "has been submitted" in html
    assert 'id="concept-form"' not in html
    if "/reopen" in html:
        assert f'action="/concepts/{info["id"]}/reopen"' in html
    response = post_form(edit_url(info["id"]), draft(1, body_md="sneaky change"), page="/")
    assert response.status_code == 409
    assert "sneaky change" in response.get_data(as_text=True)
    assert load(app, info["id"]).body_md != "sneaky change"


# ---------------------------------------------------------------- XSS (S28)
class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(k == "src" for k, _v in attrs):
            self.problems.append("inline script")
        for key, value in attrs:
            if key.startswith("on"):
                self.problems.append(f"{tag} {key}")
            if key in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"{tag} {key}={value}")


def test_user_text_and_file_names_are_escaped(app: Flask, client: FlaskClient, as_member: Any,
                                              post_form: Any, post_multi: Any) -> None:
    info = as_member()
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    data = draft(1, title=payload, summary=payload, body_md=f"{payload}\n\n[x](javascript:alert(3))",
                 tags="<b onmouseover=alert(4)>", action="preview")
    data["attachment"] = (BytesIO(PDF), '<img src=x onerror=alert(5)>.pdf')
    response = post_multi(edit_url(info["id"]), data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    for url in (response.headers["Location"], edit_url(info["id"])):
        audit = _Audit()
        audit.feed(client.get(url).get_data(as_text=True))
        assert audit.problems == []
    # The conflict page shows the same text twice.
    conflict = post_form(edit_url(info["id"]), draft(1, title=payload, body_md=payload))
    assert conflict.status_code == 409
    audit = _Audit()
    audit.feed(conflict.get_data(as_text=True))
    assert audit.problems == []


# ---------------------------------------------------------------- files
def _with_file(data: dict[str, Any], content: bytes, name: str) -> dict[str, Any]:
    return {**data, "attachment": (BytesIO(content), name)}


def test_upload_through_the_form_and_download_with_safe_headers(app: Flask, client: FlaskClient,
                                                                 as_member: Any, post_form: Any, post_multi: Any) -> None:
    info = as_member()
    response = post_multi(edit_url(info["id"]), _with_file(draft(1), PDF, "Plan å.pdf"))
    assert response.status_code == 303
    concept = load(app, info["id"])
    assert concept.lock_version == 3  # the text, then the file
    item = concept.attachments[0]
    assert (item.filename, item.mimetype, item.size) == ("Plan å.pdf", "application/pdf", len(PDF))
    html = client.get(edit_url(info["id"])).get_data(as_text=True)
    assert f"/concepts/{info['id']}/attachments/{item.id}/" in html
    url = f"/concepts/{info['id']}/attachments/{item.id}/Plan å.pdf"
    download = client.get(url)
    assert download.status_code == 200
    assert download.data == PDF
    download.close()
    # S37: attachment with an RFC 6266 name, no sniffing, sandboxed, never cached.
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''Plan%20%C3%A5.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "no-store" in download.headers["Cache-Control"]  # the app's after_request keeps it "no-store"
    # Replay without a session: the URL is no bearer token.
    anonymous = app.test_client()
    replay = anonymous.get(url)
    assert replay.status_code == 302
    assert "/account/login" in replay.headers["Location"]


def test_js_upload_endpoint_answers_json_with_the_new_list(app: Flask, client: FlaskClient, as_member: Any) -> None:
    info = as_member()
    token = token_of(client.get(edit_url(info["id"])).get_data(as_text=True))
    response = client.post(f"/concepts/{info['id']}/attachments",
                           data={"csrf_token": token, "lock_version": "1", "attachment": (BytesIO(PDF), "deck.pdf")},
                           headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["lock_version"] == 2
    assert "deck.pdf" in body["html"]
    # Out of date page: the file is taken, but the page must not skip someone else's save.
    response = client.post(f"/concepts/{info['id']}/attachments",
                           data={"csrf_token": token, "lock_version": "1",
                                 "attachment": (BytesIO(PDF + b"% two"), "two.pdf")},
                           headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.get_json()["lock_version"] is None
    refused = client.post(f"/concepts/{info['id']}/attachments",
                          data={"csrf_token": token, "attachment": (BytesIO(b"<html></html>"), "x.pdf")},
                          headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "does not match" in refused.get_json()["message"]
    assert len(load(app, info["id"]).attachments) == 2


@pytest.mark.parametrize(("content", "name", "status", "words"), [
    (b"<!doctype html><script>alert(1)</script>", "report.pdf", 400, "does not match"),    # S35
    (b"", "empty.pdf", 400, "empty"),
    (b"MZ\x90\x00", "tool.exe", 400, "cannot be uploaded"),
])
def test_refused_files_keep_the_text(app: Flask, as_member: Any, post_form: Any, content: bytes, name: str,
                                     status: int, words: str, post_multi: Any) -> None:
    info = as_member()
    response = post_multi(edit_url(info["id"]), _with_file(draft(1, body_md="my precious words"), content, name))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert words in html
    assert "my precious words" in html
    assert "Your text was saved" in html
    assert 'name="lock_version" type="hidden" value="2"' in html  # the saved text's version
    concept = load(app, info["id"])
    assert concept.body_md == "my precious words"
    assert concept.attachments == []


def test_too_big_file_is_413_with_the_text_kept(app: Flask, make_challenge: Any, make_concept: Any, login: Any,
                                                 post_form: Any, post_multi: Any) -> None:
    # S34: per-file limit of the challenge (1 MB here) answers before the app-wide limit.
    info = make_concept(challenge=make_challenge("open", max_concept_file_mb=1))
    login(info["owner"])
    big = PDF + b"0" * (1024 * 1024)
    response = post_multi(edit_url(info["id"]), _with_file(draft(1, body_md="keep me"), big, "big.pdf"))
    assert response.status_code == 413
    assert "keep me" in response.get_data(as_text=True)
    assert load(app, info["id"]).attachments == []


@pytest.mark.both_databases
def test_file_count_limit_and_duplicates(app: Flask, make_challenge: Any, make_concept: Any, login: Any,
                                         post_form: Any, post_multi: Any) -> None:
    info = make_concept(challenge=make_challenge("open", max_concept_files=2))
    login(info["owner"])
    url = edit_url(info["id"])
    assert post_multi(url, _with_file(draft(1), PDF, "a.pdf")).status_code == 303
    dup = post_multi(url, _with_file(draft(3), PDF, "copy.pdf"))
    assert dup.status_code == 400
    assert "already attached" in dup.get_data(as_text=True)
    assert post_multi(url, _with_file(draft(4), PDF + b"%2", "b.pdf")).status_code == 303
    full = post_multi(url, _with_file(draft(6), PDF + b"%3", "c.pdf"))
    assert full.status_code == 400  # refused at the field, the text kept
    assert len(load(app, info["id"]).attachments) == 2


def test_path_parts_in_file_names_are_dropped(app: Flask, as_member: Any, post_form: Any, post_multi: Any) -> None:
    # S36: stored under its content hash; the name is cleaned metadata.
    info = as_member()
    response = post_multi(edit_url(info["id"]), _with_file(draft(1), PDF, "../../app\x07/..\\evil\u202e.pdf"))
    assert response.status_code == 303
    item = load(app, info["id"]).attachments[0]
    assert "/" not in item.filename
    assert "\\" not in item.filename
    assert ".." not in item.filename
    assert "\u202e" not in item.filename
    assert "\x07" not in item.filename
    assert item.filename.endswith(".pdf")
    from pathlib import Path

    stored = Path(app.config["UPLOAD_DIR"]) / "files" / item.content_hash[:2] / item.content_hash
    assert stored.read_bytes() == PDF


def test_disk_full_gives_a_friendly_507_and_keeps_the_draft(app: Flask, client: FlaskClient, as_member: Any,
                                                            post_form: Any, monkeypatch: pytest.MonkeyPatch, post_multi: Any) -> None:
    # R06: no partial row, the text saved, a page that says what happened.
    info = as_member()

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("app.core.files.write_atomically", full)
    response = post_multi(edit_url(info["id"]), _with_file(draft(1, body_md="survives a full disk"), PDF, "a.pdf"))
    assert response.status_code == 507
    html = response.get_data(as_text=True)
    assert "out of space" in html
    assert "survives a full disk" in html
    concept = load(app, info["id"])
    assert concept.body_md == "survives a full disk"
    assert concept.attachments == []
    token = token_of(client.get(edit_url(info["id"])).get_data(as_text=True))
    js = client.post(f"/concepts/{info['id']}/attachments",
                     data={"csrf_token": token, "lock_version": "2", "attachment": (BytesIO(PDF), "a.pdf")},
                     headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert js.status_code == 507
    assert js.get_json()["ok"] is False


def test_delete_an_attachment(app: Flask, client: FlaskClient, as_member: Any, post_form: Any, post_multi: Any) -> None:
    info = as_member()
    post_multi(edit_url(info["id"]), _with_file(draft(1), PDF, "a.pdf"))
    item = load(app, info["id"]).attachments[0]
    response = post_form(f"/concepts/{info['id']}/attachments/{item.id}/delete", {}, page=edit_url(info["id"]))
    assert response.status_code == 303
    concept = load(app, info["id"])
    assert concept.attachments == []
    assert concept.lock_version == 4


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_cover_image_needs_alt_text_and_is_team_only(app: Flask, client: FlaskClient, as_member: Any,
                                                      post_form: Any, post_multi: Any) -> None:
    info = as_member()
    url = edit_url(info["id"])
    no_alt = post_multi(url, {**draft(1), "cover": (BytesIO(_png()), "c.png")})
    assert no_alt.status_code == 400
    assert "Describe the cover image" in no_alt.get_data(as_text=True)
    ok = post_multi(url, {**draft(1, cover_alt="A red bin"), "cover": (BytesIO(_png()), "c.png")})
    assert ok.status_code == 303
    concept = load(app, info["id"])
    assert concept.cover_image_hash
    assert concept.cover_image_alt == "A red bin"
    image = client.get(f"/concepts/{info['id']}/cover")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert "no-store" in image.headers["Cache-Control"]
    assert app.test_client().get(f"/concepts/{info['id']}/cover").status_code == 302
    removed = post_form(url, {**draft(2, cover_alt="A red bin"), "remove_cover": "y"})
    assert removed.status_code == 303
    concept = load(app, info["id"])
    assert concept.cover_image_hash is None
    assert concept.cover_image_alt is None


# Werkzeug leaves the half-received part's SpooledTemporaryFile to the garbage collector when the
# body ends early (an anonymous file on POSIX); collect it here so its warning belongs to this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_truncated_upload_leaves_no_attachment(app: Flask, client: FlaskClient, as_member: Any, csrf: Any) -> None:
    # R05: the body ends inside the file part: no row and no stored file, never a 500.
    info = as_member()
    values: dict[str, Any] = {"csrf_token": csrf(edit_url(info["id"])), **draft(1)}
    values["attachment"] = FileStorage(stream=BytesIO(PDF * 50), filename="cut.pdf",
                                       content_type="application/pdf")
    boundary, body = encode_multipart(values)
    response = client.post(edit_url(info["id"]), data=body[: len(body) - 200],
                           content_type=f"multipart/form-data; boundary={boundary}")
    gc.collect()
    # Werkzeug's parser drops the whole cut-off form, token included: the CSRF check answers 400.
    assert response.status_code == 400
    concept = load(app, info["id"])
    assert concept.attachments == []
    assert concept.lock_version == 1  # nothing of the form was saved either
    from pathlib import Path

    files = Path(app.config["UPLOAD_DIR"]) / "files"
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))


def test_autosave_of_a_submitted_concept_is_refused_and_says_so(app: Flask, client: FlaskClient,
                                                                as_member: Any) -> None:
    info = as_member(state="submitted")
    token = token_of(client.get(edit_url(info["id"])).get_data(as_text=True))
    response = client.post(f"/concepts/{info['id']}/autosave", data=draft(1, body_md="late"),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 409
    assert response.get_json()["locked"] is True
    assert load(app, info["id"]).body_md != "late"
