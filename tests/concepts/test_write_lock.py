"""Where SQLite's write lock is held in a deadline rush (bench/rush.py, R01): the workspace loads the
user and the draft, checks the file and writes it to disk while another writer holds the lock, and
waits for the lock only to write its rows (app.db.locks_before_writing, lock_for_write)."""
from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.concepts.models import Concept
from app.core.audit import AuditEvent
from app.core.files import document_path
from app.core.timeutil import utcnow
from app.db import WriteWithoutLockError, db, lock_for_write

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% write lock\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _hold_write_lock(app: Flask) -> sqlite3.Connection:
    """Another writer: a connection of its own that holds the write lock until it rolls back."""
    conn = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_file_is_stored_while_another_writer_holds_the_lock(app: Flask, client: FlaskClient,
                                                              csrf: Callable[[str], str], login: Any,
                                                              make_concept: Callable[..., dict[str, Any]]) -> None:
    info = make_concept()
    login(info["owner"])
    url = f"/concepts/{info['id']}/edit"
    boundary, body = encode_multipart({
        "csrf_token": csrf(url), "lock_version": "1", "title": "Bins that talk", "summary": "Stickers.",
        "body_md": "## Idea", "language": "en", "tags": "", "cover_alt": "", "action": "save",
        "attachment": FileStorage(stream=BytesIO(PDF), filename="plan.pdf", content_type="application/pdf")})
    target = document_path(app.config["UPLOAD_DIR"], hashlib.sha256(PDF).hexdigest())
    responses: list[Any] = []
    post = threading.Thread(target=lambda: responses.append(
        client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")))
    holder = _hold_write_lock(app)
    try:
        post.start()
        for _ in range(300):  # at most 6 s, well inside the request's 10 s wait for the lock
            if target.exists():
                break
            time.sleep(0.02)
        stored_while_locked = target.exists()
        waiting_for_the_lock = post.is_alive()
    finally:
        holder.rollback()
        holder.close()
        post.join(timeout=30)
    assert stored_while_locked, "the file was not stored while another writer held the lock"
    assert waiting_for_the_lock  # its rows still waited for the lock
    assert responses[0].status_code == 303
    with app.app_context():
        concept = db.session.get(Concept, info["id"])
        assert [a.filename for a in concept.attachments] == ["plan.pdf"]
        assert concept.title == "Bins that talk"
        assert concept.lock_version == 3  # the text, then the file, in one commit


def test_a_write_before_the_lock_in_a_marked_view_is_refused(app: Flask) -> None:
    row = {"actor_label": "test", "action": "test.write", "object_type": "test", "object_id": 1,
           "details": {}, "created_at": utcnow()}
    # concepts.edit is marked locks_before_writing: its transactions begin as reads.
    with app.test_request_context("/concepts/1/edit", method="POST"):
        with pytest.raises(WriteWithoutLockError):
            db.session.execute(insert(AuditEvent), [row])
        db.session.rollback()
        lock_for_write()
        db.session.execute(insert(AuditEvent), [row])
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.action)) == "test.write"
        db.session.remove()
