"""Who may reach the team's overview, the submit step, receipts and submitted files (S17, S37).

Everything here is the team's: anyone else gets a 404 (they may not know the concept exists), an
anonymous visitor the login page. The overview alone sends an organiser after the deadline and
the public after results to the pages made for them.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.concepts.models import ConceptState, ConceptVersion, ConceptVersionFile
from app.core.files import document_path
from app.db import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PDF = b"%PDF-1.4\n% receipt test\n%%EOF\n"


def _with_file(app, concept_id: int) -> int:
    digest = hashlib.sha256(PDF).hexdigest()
    with app.app_context():
        path = document_path(app.config["UPLOAD_DIR"], digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        item = ConceptVersionFile(version_id=version.id, position=0, filename="plan.pdf", content_hash=digest,
                                  mimetype="application/pdf", size=len(PDF))
        db.session.add(item)
        db.session.commit()
        return item.id


def _urls(concept_id: int, file_id: int) -> list[tuple[str, str]]:
    base = f"/concepts/{concept_id}"
    return [("GET", base), ("GET", f"{base}/submit"), ("POST", f"{base}/submit"),
            ("GET", f"{base}/versions/1"), ("GET", f"{base}/versions/1/files/{file_id}/plan.pdf"),
            ("POST", f"{base}/reopen"), ("POST", f"{base}/withdraw"), ("POST", f"{base}/restore")]


def _token(client) -> str:
    return CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)


def _logout(client) -> None:
    client.post("/account/logout", data={"csrf_token": _token(client)})


def _state(app, concept_id: int) -> str:
    from app.concepts.models import Concept

    with app.app_context():
        return str(db.session.get(Concept, concept_id).state)


# S17: the role-by-object matrix for the team's pages, before the deadline.
@pytest.mark.parametrize("role", ["stranger", "other_team", "organiser", "other_org", "admin"])
def test_nobody_but_the_team_reaches_the_concept(app, client, login, make_user, make_org, make_concept,
                                                  role) -> None:
    made = make_concept("submitted", members=2)
    other = make_concept("draft", challenge=made["challenge"])
    file_id = _with_file(app, made["id"])
    if role == "stranger":
        email = "stranger-s17@example.org"
        make_user(email)
    elif role == "admin":
        email = "admin-s17@example.org"
        make_user(email, admin=True)
    elif role == "other_team":
        email = other["owner"]
    elif role == "organiser":
        email = made["challenge"]["org"]["owner"]
    else:
        email = make_org()["owner"]
    login(email)
    token = _token(client)
    for method, url in _urls(made["id"], file_id):
        data = {"csrf_token": token, "confirm_withdraw": "y", "licence": "cc-by-4.0", "lock_version": "1",
                "confirm_eligible": "y", "confirm_terms": "y"} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (role, method, url, response.status_code)
    assert _state(app, made["id"]) == ConceptState.SUBMITTED


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, make_concept) -> None:
    made = make_concept("submitted")
    file_id = _with_file(app, made["id"])
    for method, url in _urls(made["id"], file_id):
        response = client.open(url, method=method)
        if method == "POST":
            assert response.status_code == 400, (method, url)  # no CSRF token: refused first
            continue
        assert response.status_code == 302, (method, url)
        assert urlsplit(response.headers["Location"]).path == "/account/login"


def test_a_teammate_reaches_every_page(app, client, login, make_concept) -> None:
    made = make_concept("submitted", members=2)
    file_id = _with_file(app, made["id"])
    login(made["members"][1])
    for method, url in _urls(made["id"], file_id):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, url
            response.close()


def test_an_unknown_concept_version_or_file_is_404(app, client, login, make_concept) -> None:
    made = make_concept("submitted")
    other = make_concept("submitted")
    other_file = _with_file(app, other["id"])
    login(made["owner"])
    assert client.get("/concepts/999999").status_code == 404
    assert client.get(f"/concepts/{made['id']}/versions/2").status_code == 404
    # a file of another concept's version, through this concept's URL
    assert client.get(f"/concepts/{made['id']}/versions/1/files/{other_file}/plan.pdf").status_code == 404


def test_after_the_deadline_the_organiser_is_sent_to_the_entry_page(app, client, login, make_concept,
                                                                      make_challenge) -> None:
    made = make_concept("submitted", challenge=make_challenge("closed"))
    login(made["challenge"]["org"]["owner"])
    response = client.get(f"/concepts/{made['id']}")
    if "concepts.entry" in app.view_functions:
        assert response.status_code == 302
        assert f"/entries/{made['id']}" in response.headers["Location"]
    else:
        assert response.status_code == 404
    # ...but never to the team's receipts or files
    assert client.get(f"/concepts/{made['id']}/versions/1").status_code == 404


def test_a_withdrawn_concept_stays_hidden_from_the_organiser(app, client, login, make_concept,
                                                              make_challenge) -> None:
    made = make_concept("withdrawn", challenge=make_challenge("closed"))
    login(made["challenge"]["org"]["owner"])
    assert client.get(f"/concepts/{made['id']}").status_code == 404


def test_after_results_a_stranger_is_sent_to_the_public_page(app, client, login, make_user, make_concept,
                                                              make_challenge) -> None:
    made = make_concept("submitted", challenge=make_challenge("results", concept_publication="all"))
    make_user("reader@example.org")
    login("reader@example.org")
    response = client.get(f"/concepts/{made['id']}")
    if "concepts.public" in app.view_functions:
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/concepts/{made['id']}")
        assert "/challenges/" in response.headers["Location"]
    else:
        assert response.status_code == 404
    assert client.get(f"/concepts/{made['id']}/versions/1").status_code == 404
