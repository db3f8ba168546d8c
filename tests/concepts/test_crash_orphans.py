"""A crash between the file write and the database commit (R05, issue 5 "Reliability"): the bytes are
on disk but no row names them, so nobody can see or fetch them, and the sweep removes them once
they are older than the TTL, while files that rows name stay."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.concepts.models import Concept, ConceptAttachment
from app.core.files import document_path, store_document
from app.core.sweep import sweep_uploads
from app.core.timeutil import clock, utcnow
from app.db import db

# On SQLite and PostgreSQL: a rolled-back transaction and the sweep's query over file columns.
pytestmark = pytest.mark.both_databases

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CRASH_PDF = PDF.replace(b"Catalog", b"Catalog /Crash true")


def _token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _attachment_rows(app: Flask, concept_id: int) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(ConceptAttachment)
                                     .where(ConceptAttachment.concept_id == concept_id)) or 0)


def test_store_then_rollback_leaves_an_invisible_orphan_the_sweep_removes(app: Flask, make_concept: Any) -> None:
    made = make_concept("draft")
    upload_dir = app.config["UPLOAD_DIR"]
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        kept = store_document(FileStorage(BytesIO(PDF), filename="kept.pdf"), allowed=("pdf",), max_bytes=1 << 20,
                              upload_dir=upload_dir)
        db.session.add(ConceptAttachment(concept_id=concept.id, filename=kept.filename, content_hash=kept.content_hash,
                                         mimetype=kept.mimetype, size=kept.size))
        db.session.commit()
        # The crash: the file is written, the row flushed, and the transaction never commits.
        lost = store_document(FileStorage(BytesIO(CRASH_PDF), filename="lost.pdf"), allowed=("pdf",),
                              max_bytes=1 << 20, upload_dir=upload_dir)
        db.session.add(ConceptAttachment(concept_id=concept.id, filename=lost.filename, content_hash=lost.content_hash,
                                         mimetype=lost.mimetype, size=lost.size))
        db.session.flush()
        db.session.rollback()
    orphan = document_path(upload_dir, lost.content_hash)
    assert orphan.is_file()  # on disk ...
    assert _attachment_rows(app, made["id"]) == 1  # ... but no row, so no URL to it

    assert sweep_uploads(app) == []  # young: a request in flight may still commit it
    assert orphan.is_file()
    clock.set(utcnow() + timedelta(hours=24, minutes=1))
    try:
        assert sweep_uploads(app) == [lost.content_hash]
    finally:
        clock.reset()
    assert not orphan.exists()
    assert document_path(upload_dir, kept.content_hash).is_file()  # referenced: kept however old


def test_a_crash_in_the_upload_request_leaves_nothing_visible(app: Flask, client: Any, make_concept: Any,
                                                              login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    made = make_concept("draft")
    login(made["owner"])
    edit = f"/concepts/{made['id']}/edit"
    token = _token(client.get(edit).get_data(as_text=True))

    def crash() -> None:
        raise RuntimeError("the process died between the file write and the commit")

    monkeypatch.setattr(db.session, "commit", crash)
    try:
        response = client.post(f"/concepts/{made['id']}/attachments",
                               data={"csrf_token": token, "lock_version": "1",
                                     "attachment": (BytesIO(CRASH_PDF), "secret-plan.pdf")},
                               content_type="multipart/form-data")
        assert response.status_code == 500
    except RuntimeError:
        pass  # the test app propagates the exception: the request died
    monkeypatch.undo()
    with app.app_context():
        db.session.remove()

    digest = hashlib.sha256(CRASH_PDF).hexdigest()
    orphan = document_path(app.config["UPLOAD_DIR"], digest)
    assert orphan.is_file()
    assert _attachment_rows(app, made["id"]) == 0
    with app.app_context():
        assert db.session.get(Concept, made["id"]).lock_version == 1  # the draft did not move either
    page = client.get(edit).get_data(as_text=True)
    assert "secret-plan.pdf" not in page
    for attachment_id in (1, 2, 3):  # no row, so no id that leads to the bytes
        assert client.get(f"/concepts/{made['id']}/attachments/{attachment_id}/secret-plan.pdf").status_code == 404

    clock.set(utcnow() + timedelta(days=2))
    try:
        assert digest in sweep_uploads(app)
    finally:
        clock.reset()
    assert not orphan.exists()
