"""The role-by-object matrix for every juror route (S16, S17, P09), and the blind sweep (S19, S38):
a juror of a blind challenge visits every page and file of theirs and finds no team identity."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.concepts.models import Concept, ConceptVersion, ConceptVersionFile
from app.core.audit import AuditEvent
from app.core.files import document_path
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import (
    Conflict,
    ConflictOrigin,
    ConflictStatus,
    JudgingRound,
    JurySeat,
    RoundEntry,
    RoundJuror,
    RoundMethod,
)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pdf(author: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": author, "/Creator": author, "/Title": "Plan"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _docx(author: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("docProps/core.xml", f'<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="y">'
                   f"<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>"
                   "</cp:coreProperties>")
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="z"><w:body><w:p><w:r>'
                   "<w:t>Our plan</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


def _attach(app, concept_id: int, files: list[tuple[str, str, bytes]]) -> None:
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        for position, (name, mimetype, data) in enumerate(files):
            digest = hashlib.sha256(data).hexdigest()
            path = document_path(app.config["UPLOAD_DIR"], digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            db.session.add(ConceptVersionFile(version_id=version.id, position=position, filename=name,
                                              content_hash=digest, mimetype=mimetype, size=len(data)))
        db.session.commit()


def _token(client) -> str:
    return (CSRF_RE.search(client.get("/").get_data(as_text=True))
            or CSRF_RE.search(client.get("/account/login").get_data(as_text=True))).group(1)


def _logout(client) -> None:
    client.post("/account/logout", data={"csrf_token": _token(client)})


@pytest.fixture
def matrix(app, make_judging, make_user) -> dict[str, Any]:
    """A challenge in judging with 2 entries (a PDF on the first), a rubric round 1 and a ranking round
    2; jurors: plain, conflicted with the first entry, not in either round; and a juror of another
    challenge. Everyone on the jury has declared."""
    j = make_judging(concepts=2, jurors=3)
    other = make_judging(concepts=1, jurors=1)
    plain, conflicted, outsider = j["jurors"]
    first = j["concepts"][0]["id"]
    _attach(app, first, [("team-plan.pdf", "application/pdf", _pdf("Someone"))])
    with app.app_context():
        now = utcnow()
        for seat_id in [*j["seat_ids"].values(), *other["seat_ids"].values()]:
            db.session.get(JurySeat, seat_id).conflicts_declared_at = now
        db.session.add(Conflict(challenge_id=j["challenge"]["id"], seat_id=j["seat_ids"][conflicted],
                                concept_id=first, origin=ConflictOrigin.DECLARED, status=ConflictStatus.DECLARED,
                                reason="Colleague"))
        outsider_link = db.session.scalar(select(RoundJuror).where(RoundJuror.seat_id == j["seat_ids"][outsider]))
        db.session.delete(outsider_link)
        ranking = JudgingRound(challenge_id=j["challenge"]["id"], position=2, name="Final", method=RoundMethod.RANKING,
                               criterion_ids=[], deadline_at=now.replace(microsecond=0) + timedelta(days=7))
        db.session.add(ranking)
        db.session.flush()
        db.session.add_all([RoundJuror(round_id=ranking.id, seat_id=j["seat_ids"][e])
                            for e in (j["chair"], plain, conflicted)])
        db.session.add_all([RoundEntry(round_id=ranking.id, concept_id=c["id"]) for c in j["concepts"]])
        db.session.commit()
    participant = f"participant-{j['slug']}@example.org"
    make_user(participant)
    admin = f"admin-{j['slug']}@example.org"
    make_user(admin, admin=True)
    return {"j": j, "roles": {
        "participant": participant, "team member": j["concepts"][0]["members"][1],
        "juror of another challenge": other["jurors"][0], "conflicted juror": conflicted,
        "juror not in the round": outsider, "juror": plain, "chair": j["chair"],
        "organisation editor": j["editor"], "admin": admin}}


NOT_ON_JURY = {"participant", "team member", "juror of another challenge", "organisation editor", "admin"}


def _routes(j: dict) -> dict[str, str]:
    label = j["labels"][j["concepts"][0]["id"]]
    base = f"/challenges/{j['slug']}/jury"
    return {"conflicts": f"{base}/conflicts", "round": f"{base}/rounds/1", "sheet": f"{base}/rounds/1/{label}",
            "file": f"{base}/rounds/1/{label}/files/0", "ranking": f"{base}/rounds/2/ranking"}


def _expected_get(role: str, route: str) -> int:
    if role in NOT_ON_JURY:
        return 404
    if role == "juror not in the round":
        return 200 if route == "conflicts" else 404
    if role == "conflicted juror" and route in ("sheet", "file"):
        return 403
    return 200


def test_get_matrix(app, client, login, matrix) -> None:
    """S16, S17, P09: anonymous to the login page; nobody off the jury learns the pages exist (404);
    a conflicted juror is refused the entry and its file (403); a juror not in a round does not see
    it (404); juror and chair read."""
    routes = _routes(matrix["j"])
    for route, url in routes.items():
        response = client.get(url)
        assert response.status_code == 302, ("anonymous", route)
        assert "/account/login" in response.headers["Location"]
    for role, email in matrix["roles"].items():
        login(email)
        assert client.get("/jury").status_code == 200, role
        for route, url in routes.items():
            response = client.get(url)
            response.get_data()
            response.close()  # a download holds its file open until closed
            assert response.status_code == _expected_get(role, route), (role, route, response.status_code)
            assert "no-store" in response.headers.get("Cache-Control", ""), (role, route)
        _logout(client)


def _post_data(route: str, j: dict) -> dict[str, str]:
    if route == "conflicts":
        return {"confirm_all": "y"}
    if route == "sheet":
        return {"lock_version": "0", "action": "save"}
    labels = sorted(j["labels"].values())
    return {"lock_version": "0", "action": "save", f"rank_{labels[1]}": "1"}


def _expected_post(role: str, route: str) -> int:
    if role in NOT_ON_JURY:
        return 404
    if role == "juror not in the round":
        return 303 if route == "conflicts" else 404
    if role == "conflicted juror" and route == "sheet":
        return 403
    return 303


def test_post_matrix(app, client, login, matrix) -> None:
    """S16, S17, P09: the same rule for every write; only juror and chair save a sheet."""
    j = matrix["j"]
    routes = {k: v for k, v in _routes(j).items() if k in ("conflicts", "sheet", "ranking")}
    token = _token(client)
    for route, url in routes.items():
        response = client.post(url, data={"csrf_token": token, **_post_data(route, j)})
        assert response.status_code in (302, 400), ("anonymous", route)
    for role, email in matrix["roles"].items():
        login(email)
        for route, url in routes.items():
            data = {"csrf_token": _token(client), **_post_data(route, j)}
            response = client.post(url, data=data)
            expected = _expected_post(role, route)
            if role in ("juror", "chair") and response.status_code == 409:
                expected = 409  # a second post of the matrix from the same juror, lock_version 0 again
            assert response.status_code == expected, (role, route, response.status_code)
        _logout(client)


def test_file_download_is_audited_and_never_cached(app, client, login, matrix) -> None:
    """P10, S27: a juror's download is an audit event (seat, concept, round) and never cached; in a
    challenge that is not blind the team's own file name is kept."""
    j = matrix["j"]
    login(matrix["roles"]["juror"])
    response = client.get(_routes(j)["file"])
    response.get_data()
    response.close()
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "team-plan.pdf" in response.headers["Content-Disposition"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.file_opened"))
        assert event.object_id == j["concepts"][0]["id"]
        assert event.details["seat_id"] == j["seat_ids"][matrix["roles"]["juror"]]
        assert event.details["round_id"] == j["round_id"]
    assert client.get(_routes(j)["file"].replace("/files/0", "/files/7")).status_code == 404


def test_blind_sweep_finds_no_team_identity(app, client, login, make_judging) -> None:
    """S19, S38, P09: a juror of a blind challenge visits home, conflicts, round, every sheet and
    downloads every file: no team name, member name, email or institution in any body, header or
    file (after metadata stripping); files have neutral names."""
    j = make_judging(concepts=2, blind=True)
    juror = j["jurors"][0]
    hidden: list[str] = []
    with app.app_context():
        for c in j["concepts"]:
            concept = db.session.get(Concept, c["id"])
            hidden.append(concept.team_name)
            for m in concept.members:
                user = db.session.get(User, m.user_id)
                user.institution = f"Institute of {user.display_name}"
                hidden += [user.display_name, user.email, user.institution]
        db.session.commit()
    for c in j["concepts"]:
        name = hidden[1]
        _attach(app, c["id"], [(f"{hidden[0]} plan.pdf", "application/pdf", _pdf(f"{name} {hidden[3]}")),
                               (f"{name}.docx", DOCX, _docx(f"{name} <{hidden[2]}>"))])
    login(juror)
    base = f"/challenges/{j['slug']}/jury"
    pages = ["/jury", f"{base}/conflicts"]
    token = CSRF_RE.search(client.get(f"{base}/conflicts").get_data(as_text=True)).group(1)
    seen = [client.post(f"{base}/conflicts", data={"csrf_token": token, "confirm_all": "y"},
                        follow_redirects=True)]
    pages += [f"{base}/rounds/1"]
    for label in j["labels"].values():
        pages += [f"{base}/rounds/1/{label}", f"{base}/rounds/1/{label}/files/0", f"{base}/rounds/1/{label}/files/1"]
    for url in pages:
        response = client.get(url)
        response.get_data()
        response.close()
        assert response.status_code == 200, url
        seen.append(response)
    # an error page too: a submit with missing scores names no one
    label = next(iter(j["labels"].values()))
    html = client.get(f"{base}/rounds/1/{label}").get_data(as_text=True)
    seen.append(client.post(f"{base}/rounds/1/{label}", data={
        "csrf_token": CSRF_RE.search(html).group(1), "lock_version": "0", "action": "submit"}))
    assert seen[-1].status_code == 400
    downloads = 0
    for response in seen:
        blob = response.get_data() + str(response.headers).encode()
        if response.mimetype != "text/html":
            downloads += 1
            disposition = response.headers["Content-Disposition"]
            assert re.search(r'filename=C-\d{3}-[12]\.(pdf|docx)', disposition), disposition
            if response.mimetype == DOCX:
                with zipfile.ZipFile(io.BytesIO(response.get_data())) as z:
                    blob += b"".join(z.read(n) for n in z.namelist())
        for marker in hidden:
            assert marker.encode() not in blob, (marker, response.request.path if response.request else "")
    assert downloads == 4
