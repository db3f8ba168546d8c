"""Briefing attachments of a challenge: upload, list, delete, download, through the real app.

S17/S18 (role x object matrix), S24 (GET changes nothing), S34 (size and count limits, friendly
413), S35 (type by name and content, zip bombs, entry paths), S36 (stored by hash, name as
metadata), S37 (download headers, permission re-checked on each fetch), R05 (a failed commit
leaves no row; the orphan file is swept).
"""
from __future__ import annotations

import gc
import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.challenges.models import Challenge, ChallengeAttachment
from app.core.audit import AuditEvent
from app.core.files import document_path, store_document, sweep_orphans
from app.core.timeutil import utcnow
from app.db import db

MB = 1024 * 1024


# ---------------------------------------------------------------- sample files
def pdf_bytes(text_: str = "Briefing") -> bytes:
    """A minimal valid one-page PDF (correct cross-reference table)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text_}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 90)).save(out, format="PNG")
    return out.getvalue()


DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
              'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
              'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
              'wordprocessingml.document.main+xml"/></Types>')


def docx_bytes(extra: dict[str, bytes] | None = None, *, bomb_mb: int = 0) -> bytes:
    """A small Word document built with zipfile; `bomb_mb` MB of zeros make it a zip bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", DOCX_TYPES)
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        if bomb_mb:
            with z.open("word/document.xml", "w") as fh:
                for _ in range(bomb_mb):
                    fh.write(b"\0" * MB)
        else:
            z.writestr("word/document.xml", "<document><body>Less cardboard in paper bins</body></document>")
        for name, data in (extra or {}).items():
            z.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>fetch('/account/')</script></body></html>"


# ---------------------------------------------------------------- helpers
def csrf_token(client: FlaskClient) -> str:
    import re

    found = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    # Public pages carry no token for readers who are not logged in (issue 13): the login form does.
    match = found.search(client.get("/").get_data(as_text=True)) \
        or found.search(client.get("/account/login").get_data(as_text=True))
    assert match
    return match.group(1)


def post_file(client: FlaskClient, slug: str, data: bytes | None, filename: str = "brief.pdf", *,
              token: str | None = None, **fields: str) -> Any:
    """POST the upload form as a browser does (the multipart body encoded up front)."""
    values: dict[str, Any] = {"csrf_token": token or csrf_token(client), **fields}
    if data is not None:
        values["attachment"] = FileStorage(stream=io.BytesIO(data), filename=filename,
                                           content_type="application/octet-stream")
    boundary, body = encode_multipart(values)
    return client.post(f"/challenges/{slug}/attachments", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def fetch(client: FlaskClient, url: str, method: str = "GET", **kwargs: Any) -> Any:
    """A request whose (possibly streamed file) body is read and the file closed at once."""
    response = client.open(url, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


def rows(app: Flask, challenge_id: int | None = None) -> list[ChallengeAttachment]:
    with app.app_context():
        stmt = select(ChallengeAttachment).order_by(ChallengeAttachment.id)
        if challenge_id is not None:
            stmt = stmt.where(ChallengeAttachment.challenge_id == challenge_id)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


def audit(app: Flask, action_prefix: str = "challenge.attachment") -> list[tuple[str, int | None, dict]]:
    with app.app_context():
        return [(e.action, e.actor_id, e.details) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(action_prefix)).order_by(AuditEvent.id))]


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"]) / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def table_digest(app: Flask) -> dict[str, str]:
    """Row count and content digest of every table (S24)."""
    result = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            found = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}')).all()
            result[table.name] = f"{len(found)}:{hashlib.sha256(repr(found).encode()).hexdigest()[:16]}"
        db.session.remove()
    return result


@pytest.fixture
def attach(app: Flask) -> Callable[..., dict[str, Any]]:
    """attach(challenge, data, filename) -> {"id", "url", "hash"}: an attachment made as the service does."""
    def _attach(challenge: dict[str, Any], data: bytes | None = None, filename: str = "Brief.pdf") -> dict[str, Any]:
        data = pdf_bytes(filename) if data is None else data
        with app.app_context():
            stored = store_document(FileStorage(stream=io.BytesIO(data), filename=filename), allowed={"pdf", "png"},
                                    max_bytes=5 * MB, upload_dir=app.config["UPLOAD_DIR"])
            item = ChallengeAttachment(challenge_id=challenge["id"], filename=stored.filename,
                                       content_hash=stored.content_hash, mimetype=stored.mimetype,
                                       size=stored.size, uploaded_by_id=challenge["org"]["owner_id"],
                                       created_at=utcnow())
            db.session.add(item)
            db.session.commit()
            with app.test_request_context():
                from flask import url_for

                url = url_for("challenges.attachment", slug=challenge["slug"], attachment_id=item.id,
                              filename=item.filename)
            return {"id": item.id, "url": url, "hash": stored.content_hash, "data": data}
    return _attach


@pytest.fixture
def small_limits(app: Flask) -> None:
    app.config["CHALLENGE_ATTACHMENT_MAX_BYTES"] = 1 * MB
    app.config["CHALLENGE_ATTACHMENT_MAX_COUNT"] = 3


# ---------------------------------------------------------------- uploading
@pytest.mark.both_databases
def test_editor_attaches_a_pdf_a_png_and_a_docx(app, client, login, make_challenge) -> None:
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    page = client.get(f"/challenges/{challenge['slug']}/attachments")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No files are attached yet." in html
    assert '<label for="attachment">' in html
    assert 'accept=".pdf,' in html
    assert "At most 20 MB per file." in html
    for data, name in ((pdf_bytes(), "Brief.pdf"), (png_bytes(), "Map of the bins.png"), (docx_bytes(), "Rules.docx")):
        response = post_file(client, challenge["slug"], data, name)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        assert urlsplit(response.headers["Location"]).path == f"/challenges/{challenge['slug']}/attachments"
    found = rows(app, challenge["id"])
    assert [(r.filename, r.mimetype) for r in found] == [
        ("Brief.pdf", "application/pdf"), ("Map of the bins.png", "image/png"),
        ("Rules.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    assert all(r.uploaded_by_id == challenge["org"]["editor_id"] for r in found)
    for r in found:
        assert document_path(app.config["UPLOAD_DIR"], r.content_hash).is_file()
    events = audit(app)
    assert [e[0] for e in events] == ["challenge.attachment_added"] * 3
    assert events[0][1] == challenge["org"]["editor_id"]
    assert events[0][2]["filename"] == "Brief.pdf"
    html = client.get(f"/challenges/{challenge['slug']}/attachments").get_data(as_text=True)
    assert "has been attached" in html
    for expected in ("Brief.pdf", "PDF document", "PNG image", "Word document", "Map of the bins.png"):
        assert expected in html
    assert f"{found[0].size / 1024:.0f} kB" in html or f"{found[0].size} byte" in html
    assert html.count(">Delete<") == 3


def test_sizes_are_formatted_per_locale(app, client, login, make_challenge, attach) -> None:
    challenge = make_challenge("open")
    attach(challenge, pdf_bytes("x" * (MB + MB // 2)), "Brief.pdf")
    login(challenge["org"]["owner"])
    page = f"/challenges/{challenge['slug']}/attachments"
    assert "1.5 MB" in client.get(page).get_data(as_text=True)
    client.post("/language", data={"lang": "da", "next": "/", "csrf_token": csrf_token(client)})
    html = client.get(page).get_data(as_text=True)
    assert 'lang="da"' in html
    assert "1,5 MB" in html


@pytest.mark.parametrize(("data", "filename", "message"), [
    (HTML, "brief.pdf", "does not match its name: it is not a real PDF document"),
    (b"<svg onload=alert(1)></svg>", "map.png", "not a real PNG image"),
    (docx_bytes(bomb_mb=30), "brief.docx", "unpacks to far more data"),
    (docx_bytes({"../../x": b"x"}), "brief.docx", "unsafe name"),
    (b"", "empty.pdf", "The file is empty"),
    (pdf_bytes(), "brief.html", "Files of type .html cannot be uploaded"),
    (None, "", "Choose a file to upload."),
])
def test_refused_files_get_a_clear_message_and_nothing_is_stored(app, client, login, make_challenge,
                                                                  data, filename, message) -> None:
    # S35 (and S34 for the empty file): 400, the page again with the message at the field.
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    started = time.perf_counter()
    response = post_file(client, challenge["slug"], data, filename)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error-summary"' in html
    assert 'aria-invalid="true"' in html
    assert "<title>Error:" in html
    assert rows(app) == []
    assert stored_files(app) == []
    assert audit(app) == []
    assert elapsed < 2  # the zip bomb is refused from its directory, without unpacking 30 MB


def test_a_path_in_the_file_name_is_only_metadata(app, client, login, make_challenge) -> None:
    # S36: "../../app.pdf" is stored under its hash inside UPLOAD_DIR; the name is cleaned.
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    assert post_file(client, challenge["slug"], pdf_bytes(), "../../app.pdf").status_code == 302
    assert post_file(client, challenge["slug"], b"print('hi')", "../../app.py").status_code == 400
    (item,) = rows(app)
    assert item.filename == "app.pdf"
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert stored_files(app) == [upload_dir / "files" / item.content_hash[:2] / item.content_hash]
    assert not (upload_dir.parent / "app.pdf").exists()
    assert not (upload_dir.parent / "app.py").exists()


def test_an_oversize_file_gets_413_with_a_friendly_page(app, client, login, make_challenge, small_limits) -> None:
    # S34: just over the file limit -> the form again with the limit; far over -> the app's 413 page.
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    just_over = b"%PDF-1.4\n" + b"0" * MB
    response = post_file(client, challenge["slug"], just_over, "big.pdf")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is larger than 1 MB" in html
    assert '<label for="attachment">' in html
    far_over = b"%PDF-1.4\n" + b"0" * (2 * MB)
    response = post_file(client, challenge["slug"], far_over, "huge.pdf")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<h1>Too large</h1>" in html
    assert "Please choose a smaller file." in html
    assert rows(app) == []
    assert stored_files(app) == []


@pytest.mark.both_databases
def test_the_number_of_files_is_limited(app, client, login, make_challenge, small_limits) -> None:
    # S34: per-challenge file count.
    challenge = make_challenge("open")
    login(challenge["org"]["owner"])
    for i in range(3):
        assert post_file(client, challenge["slug"], pdf_bytes(f"part {i}"), f"part-{i}.pdf").status_code == 302
    response = post_file(client, challenge["slug"], pdf_bytes("one more"), "more.pdf")
    assert response.status_code == 400
    assert "A challenge can have at most 3 attachments. Delete one before adding another." in \
        response.get_data(as_text=True)
    assert len(rows(app)) == 3
    html = client.get(f"/challenges/{challenge['slug']}/attachments").get_data(as_text=True)
    assert "This challenge has the most attachments allowed (3)." in html
    assert 'name="attachment"' not in html


@pytest.mark.both_databases
def test_the_same_file_is_attached_once(app, client, login, make_challenge) -> None:
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    assert post_file(client, challenge["slug"], pdf_bytes(), "Brief.pdf").status_code == 302
    response = post_file(client, challenge["slug"], pdf_bytes(), "Copy of brief.pdf")
    assert response.status_code == 400
    assert "This file is already attached, as “Brief.pdf”." in response.get_data(as_text=True)
    assert len(rows(app)) == 1
    assert len(stored_files(app)) == 1


# Werkzeug leaves the half-received part's SpooledTemporaryFile for the garbage collector when the
# multipart body ends early (its parser swallows the error); on POSIX such a file is anonymous, so
# nothing stays on disk. Collect it here so its ResourceWarning belongs to this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_truncated_upload_leaves_no_trace(app, client, login, make_challenge) -> None:
    # R05: an interrupted multipart body -> 400, no row, no file, no temporary file.
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])
    boundary, body = encode_multipart({"csrf_token": csrf_token(client), "attachment": FileStorage(
        stream=io.BytesIO(pdf_bytes()), filename="brief.pdf", content_type="application/pdf")})
    response = client.post(f"/challenges/{challenge['slug']}/attachments", data=body[: len(body) // 2],
                           content_type=f"multipart/form-data; boundary={boundary}")
    gc.collect()
    assert response.status_code == 400
    assert rows(app) == []
    assert stored_files(app) == []


@pytest.mark.both_databases
def test_a_failed_commit_leaves_no_row_and_the_orphan_is_swept(app, client, login, make_challenge) -> None:
    # R05: the file is written, then the database refuses the commit: no row points anywhere, and
    # the content-addressed file is removed by the sweep once it is older than the grace period.
    challenge = make_challenge("open")
    login(challenge["org"]["editor"])

    def mark(session: Session, flush_context: Any) -> None:
        if any(isinstance(o, ChallengeAttachment) for o in session.new):
            session.info["attachment_pending"] = True

    def refuse(session: Session) -> None:
        if session.info.pop("attachment_pending", False):
            raise RuntimeError("the database went away")

    event.listen(Session, "after_flush", mark)
    event.listen(Session, "before_commit", refuse)
    try:
        response = post_file(client, challenge["slug"], pdf_bytes(), "brief.pdf")
    finally:
        event.remove(Session, "after_flush", mark)
        event.remove(Session, "before_commit", refuse)
    assert response.status_code == 500
    assert rows(app) == []
    assert audit(app) == []
    (orphan,) = stored_files(app)
    with app.app_context():
        referenced = set(db.session.scalars(select(ChallengeAttachment.content_hash)))
    assert sweep_orphans(app.config["UPLOAD_DIR"], referenced, timedelta(hours=1)) == []  # too young
    assert sweep_orphans(app.config["UPLOAD_DIR"], referenced, timedelta(hours=1),
                         now=utcnow() + timedelta(hours=2)) == [orphan.name]
    assert stored_files(app) == []


# ---------------------------------------------------------------- deleting
def test_staff_delete_an_attachment(app, client, login, make_challenge, attach) -> None:
    challenge = make_challenge("draft")
    first, second = attach(challenge, pdf_bytes("one"), "One.pdf"), attach(challenge, pdf_bytes("two"), "Two.pdf")
    login(challenge["org"]["owner"])
    page = f"/challenges/{challenge['slug']}/attachments"
    response = client.post(f"{page}/{first['id']}/delete", data={"csrf_token": csrf_token(client), "next": page})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == page
    assert [r.id for r in rows(app)] == [second["id"]]
    assert [(a, d["filename"]) for a, _, d in audit(app)] == [("challenge.attachment_deleted", "One.pdf")]
    assert "“One.pdf” has been deleted." in client.get(page).get_data(as_text=True)
    assert fetch(client, first["url"]).status_code == 404
    # The bytes stay until the sweep (content may be shared); then only the referenced file remains.
    assert len(stored_files(app)) == 2
    with app.app_context():
        referenced = set(db.session.scalars(select(ChallengeAttachment.content_hash)))
    sweep_orphans(app.config["UPLOAD_DIR"], referenced, timedelta(0), now=utcnow() + timedelta(seconds=5))
    assert [p.name for p in stored_files(app)] == [second["hash"]]
    # An outside `next` is ignored (S26).
    response = client.post(f"{page}/{second['id']}/delete",
                           data={"csrf_token": csrf_token(client), "next": "https://evil.example/"})
    assert urlsplit(response.headers["Location"]).path == page


def test_an_attachment_is_reached_only_through_its_own_challenge(app, client, login, make_challenge,
                                                                 attach) -> None:
    # S17: staff of challenge A cannot delete or fetch B's attachment through A's address.
    org = make_challenge("open")["org"]
    mine = make_challenge("open", org=org)
    theirs = make_challenge("draft")
    other = attach(theirs)
    login(org["owner"])
    response = client.post(f"/challenges/{mine['slug']}/attachments/{other['id']}/delete",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    assert client.get(f"/challenges/{mine['slug']}/attachments/{other['id']}/Brief.pdf").status_code == 404
    assert len(rows(app)) == 1


# ---------------------------------------------------------------- downloading (S37)
@pytest.mark.parametrize(("filename", "ascii_name", "encoded"), [
    ("Brief.pdf", "Brief.pdf", "Brief.pdf"),
    ("Årsrapport – Ørestad.pdf", "Arsrapport _ _restad.pdf", "%C3%85rsrapport%20%E2%80%93%20%C3%98restad.pdf"),
])
def test_download_headers(app, client, make_challenge, attach, filename, ascii_name, encoded) -> None:
    # S37: attachment disposition with RFC 6266 filename*, nosniff, CSP sandbox, the stored type.
    challenge = make_challenge("open")
    item = attach(challenge, pdf_bytes(), filename)
    response = fetch(client, item["url"])
    assert response.status_code == 200
    assert response.data == item["data"]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{encoded}" in disposition
    assert ascii_name in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in [part.strip() for part in csp.split(";")]
    assert "default-src 'self'" in csp
    cache = response.headers["Cache-Control"]
    assert "public" in cache
    assert "no-store" not in cache
    assert response.headers["ETag"].strip('"') == item["hash"]
    again = fetch(client, item["url"], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_wrong_name_in_the_address_redirects_to_the_right_one(app, client, make_challenge, attach) -> None:
    challenge = make_challenge("open")
    item = attach(challenge, pdf_bytes(), "Brief.pdf")
    response = client.get(f"/challenges/{challenge['slug']}/attachments/{item['id']}/something-else.html")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == item["url"]


def test_a_lost_file_is_a_404_not_a_500(app, client, make_challenge, attach) -> None:
    challenge = make_challenge("open")
    item = attach(challenge)
    document_path(app.config["UPLOAD_DIR"], item["hash"]).unlink()
    assert fetch(client, item["url"]).status_code == 404


def test_replaying_a_download_address_without_a_session(app, client, login, make_challenge, attach) -> None:
    # S37: the address is no bearer token: a draft's file is 404 without the staff session, every time.
    draft, published = make_challenge("draft"), make_challenge("open")
    hidden, public = attach(draft, pdf_bytes("draft")), attach(published, pdf_bytes("public"))
    login(draft["org"]["editor"])
    private = fetch(client, hidden["url"])
    assert private.status_code == 200
    assert "no-store" in private.headers["Cache-Control"]
    stranger = app.test_client()
    assert fetch(stranger, hidden["url"]).status_code == 404
    assert fetch(stranger, public["url"]).status_code == 200
    assert fetch(stranger, hidden["url"]).status_code == 404  # and again: nothing was cached for it


# ---------------------------------------------------------------- the role x object matrix (S17, S18)
ACTORS = ("anonymous", "stranger", "other_org_owner", "editor", "owner", "admin")
STAFF = {"editor", "owner"}


@pytest.fixture
def world(app, make_user, make_org, make_challenge, attach) -> dict[str, Any]:
    org = make_org()
    other = make_org()
    emails = {"editor": org["editor"], "owner": org["owner"], "other_org_owner": other["owner"],
              "stranger": "stranger@example.org", "admin": "admin@example.org"}
    make_user(emails["stranger"])
    make_user(emails["admin"], admin=True)
    challenges = {state: make_challenge(state, org=org) for state in ("open", "draft")}
    items = {state: attach(c, pdf_bytes(state), f"{state}.pdf") for state, c in challenges.items()}
    return {"emails": emails, "challenges": challenges, "items": items}


def _expect(actor: str, state: str, action: str) -> set[int]:
    if actor in STAFF:
        return {302} if action in ("upload", "delete") else {200}
    if action == "download":
        return {200} if state == "open" else {404}
    if actor == "anonymous":
        return {302}  # to the login page: nothing is revealed, nothing is done
    return {403} if state == "open" else {404}


@pytest.mark.parametrize("state", ["open", "draft"])
@pytest.mark.parametrize("actor", ACTORS)
def test_role_matrix(app, client, login, world, actor, state) -> None:
    # S17, S18: each role against a published and a draft challenge, for every attachment action.
    if actor != "anonymous":
        login(world["emails"][actor])
    challenge, item = world["challenges"][state], world["items"][state]
    slug = challenge["slug"]
    before = table_digest(app)
    token = csrf_token(client)
    results = {
        "manage": client.get(f"/challenges/{slug}/attachments").status_code,
        "download": fetch(client, item["url"]).status_code,
        "upload": post_file(client, slug, pdf_bytes(f"new {actor}"), "new.pdf", token=token).status_code,
        "delete": client.post(f"/challenges/{slug}/attachments/{item['id']}/delete",
                              data={"csrf_token": token}).status_code,
    }
    for action, status in results.items():
        assert status in _expect(actor, state, action), (actor, state, action, status)
    if actor in STAFF:
        assert [r.filename for r in rows(app, challenge["id"])] == ["new.pdf"]
        assert [a for a, _, _ in audit(app)] == ["challenge.attachment_added", "challenge.attachment_deleted"]
    else:
        assert table_digest(app) == before  # a refusal changes nothing (no row, no audit, no outbox)
        files = [p.name for p in stored_files(app)]
        assert sorted(files) == sorted(i["hash"] for i in world["items"].values())


def test_anonymous_users_are_sent_to_log_in(app, client, world) -> None:
    slug = world["challenges"]["open"]["slug"]
    response = client.get(f"/challenges/{slug}/attachments")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"


def test_unknown_challenge_or_attachment_is_404(app, client, login, world) -> None:
    login(world["emails"]["owner"])
    slug = world["challenges"]["open"]["slug"]
    assert client.get("/challenges/no-such-challenge/attachments").status_code == 404
    assert client.get("/challenges/no-such-challenge/attachments/1/x.pdf").status_code == 404
    assert client.get(f"/challenges/{slug}/attachments/999999/x.pdf").status_code == 404
    assert client.post(f"/challenges/{slug}/attachments/999999/delete",
                       data={"csrf_token": csrf_token(client)}).status_code == 404


def test_upload_and_delete_need_a_csrf_token(app, client, login, world) -> None:
    # S23
    login(world["emails"]["owner"])
    slug, item = world["challenges"]["open"]["slug"], world["items"]["open"]
    assert post_file(client, slug, pdf_bytes("x"), "x.pdf", token="forged").status_code == 400
    assert client.post(f"/challenges/{slug}/attachments/{item['id']}/delete").status_code == 400
    assert len(rows(app)) == 2


def test_get_requests_change_nothing(app, client, login, world) -> None:
    # S24: the management page, downloads (full, conditional, wrong name) and HEAD, as staff and anonymous.
    for who in ("owner", None):
        viewer = app.test_client()
        if who:
            token = csrf_token(viewer)
            viewer.post("/account/login", data={"email": world["emails"][who],
                                                 "password": "correct horse battery staple", "csrf_token": token})
        before = table_digest(app)
        files = stored_files(app)
        for state in ("open", "draft"):
            slug, item = world["challenges"][state]["slug"], world["items"][state]
            viewer.get(f"/challenges/{slug}/attachments")
            fetch(viewer, item["url"])
            fetch(viewer, item["url"], "HEAD")
            fetch(viewer, item["url"], headers={"Range": "bytes=0-9"})
            viewer.get(f"/challenges/{slug}/attachments/{item['id']}/other.pdf")
        assert table_digest(app) == before
        assert stored_files(app) == files


# ---------------------------------------------------------------- the partials
def test_public_partial_lists_links_types_and_sizes(app, make_challenge, attach) -> None:
    challenge = make_challenge("open")
    empty = make_challenge("open")
    item = attach(challenge, png_bytes(), "Map.png")
    with app.test_request_context():
        row = db.session.get(Challenge, challenge["id"])
        html = render_template("challenges/_attachments_public.html", challenge=row)
        assert f'href="{item["url"]}"' in html
        assert "PNG image" in html
        assert "byte" in html
        assert "<h2" in html
        assert render_template("challenges/_attachments_public.html",
                               challenge=db.session.get(Challenge, empty["id"])).strip() == ""


def test_manage_partial_renders_on_another_page_of_the_blueprint(app, make_challenge, attach) -> None:
    # The editor page includes it: it needs only `challenge` (the form comes from attachment_panel).
    challenge = make_challenge("draft")
    attach(challenge)
    with app.test_request_context(f"/challenges/{challenge['slug']}/edit"):
        row = db.session.get(Challenge, challenge["id"])
        html = render_template("challenges/_attachments_manage.html", challenge=row)
    assert 'name="csrf_token"' in html
    assert 'id="csrf_token"' not in html  # several forms on one page: no duplicate ids
    assert '<label for="attachment">' in html
    assert f'action="/challenges/{challenge["slug"]}/attachments"' in html
    assert f'name="next" value="/challenges/{challenge["slug"]}/edit"' in html  # back to the editor afterwards
    assert ">Delete<" in html
