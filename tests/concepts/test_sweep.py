"""The upload sweep (R05): every column that names stored bytes keeps its file; an orphan goes once
older than UPLOAD_ORPHAN_TTL, never before; `flask files sweep` and the `flask serve` loop run it."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.challenges.models import Challenge, ChallengeAttachment
from app.concepts.models import Concept, ConceptAttachment, ConceptVersionFile
from app.core.files import document_path
from app.core.sweep import (
    hash_columns,
    orphan_ttl,
    referenced_hashes,
    start_background_sweeper,
    sweep_uploads,
)
from app.core.timeutil import clock, utcnow
from app.db import db
from app.organisations.models import Organisation


def put(app: Flask, *, age: timedelta) -> str:
    """Store some bytes the way store_document does, `age` old by their modification time."""
    data = f"%PDF-1.4\n% {uuid.uuid4()}\n%%EOF\n".encode()
    digest = hashlib.sha256(data).hexdigest()
    path = document_path(app.config["UPLOAD_DIR"], digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = time.time() - age.total_seconds()
    os.utime(path, (stamp, stamp))
    return digest


def exists(app: Flask, digest: str) -> bool:
    return document_path(app.config["UPLOAD_DIR"], digest).is_file()


@pytest.mark.both_databases
def test_referenced_files_stay_and_old_orphans_go(app: Flask, make_concept: Any) -> None:  # R05
    old = timedelta(days=3)
    made = make_concept("submitted")
    refs = {name: put(app, age=old) for name in ("draft_file", "draft_cover", "version_cover", "version_file",
                                                  "briefing", "challenge_cover", "logo")}
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        version = concept.versions[0]
        db.session.add(ConceptAttachment(concept_id=concept.id, filename="a.pdf", content_hash=refs["draft_file"],
                                         mimetype="application/pdf", size=1))
        concept.cover_image_hash = refs["draft_cover"]
        version.cover_image_hash = refs["version_cover"]
        db.session.add(ConceptVersionFile(version_id=version.id, position=0, filename="a.pdf",
                                          content_hash=refs["version_file"], mimetype="application/pdf", size=1))
        challenge = db.session.get(Challenge, made["challenge"]["id"])
        db.session.add(ChallengeAttachment(challenge_id=challenge.id, filename="brief.pdf",
                                           content_hash=refs["briefing"], mimetype="application/pdf", size=1))
        challenge.cover_image_hash = refs["challenge_cover"]
        db.session.get(Organisation, challenge.organisation_id).logo_hash = refs["logo"]
        db.session.commit()
        assert set(refs.values()) <= referenced_hashes()
    # Every column that names stored bytes is marked for the sweep, and nothing else is.
    assert {f"{c.table.name}.{c.name}" for c in hash_columns()} == {
        "challenge_attachments.content_hash", "challenges.cover_image_hash", "organisations.logo_hash",
        "concept_attachments.content_hash", "concepts.cover_image_hash", "concept_versions.cover_image_hash",
        "concept_version_files.content_hash"}

    orphan_old = put(app, age=timedelta(hours=25))
    orphan_young = put(app, age=timedelta(minutes=5))  # a request still in flight may own it
    shard = Path(app.config["UPLOAD_DIR"]) / "files" / orphan_old[:2]
    stale_tmp, fresh_tmp = shard / ".tmp-stale", shard / ".tmp-fresh"
    stale_tmp.write_bytes(b"half")
    fresh_tmp.write_bytes(b"half")
    stamp = time.time() - timedelta(days=2).total_seconds()
    os.utime(stale_tmp, (stamp, stamp))

    removed = sweep_uploads(app)
    assert sorted(removed) == sorted([orphan_old, ".tmp-stale"])
    assert all(exists(app, h) for h in refs.values())
    assert not exists(app, orphan_old)
    assert exists(app, orphan_young)
    assert fresh_tmp.exists()
    assert not stale_tmp.exists()
    assert sweep_uploads(app) == []  # nothing more to do

    # A day later by the app's clock, the young orphan is old enough; referenced files still stay.
    clock.set(utcnow() + timedelta(hours=25))
    try:
        assert orphan_young in sweep_uploads(app)
    finally:
        clock.reset()
    assert all(exists(app, h) for h in refs.values())


def test_the_ttl_comes_from_the_config(app: Flask) -> None:
    assert orphan_ttl(app) == timedelta(hours=24)  # the default
    app.config["UPLOAD_ORPHAN_TTL"] = 3600  # seconds are accepted too
    assert orphan_ttl(app) == timedelta(hours=1)
    older, younger = put(app, age=timedelta(hours=2)), put(app, age=timedelta(minutes=30))
    assert sweep_uploads(app) == [older]
    assert exists(app, younger)


def test_flask_files_sweep(app: Flask) -> None:
    orphan = put(app, age=timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 orphaned file(s) older than 24 h." in result.output
    assert not exists(app, orphan)


def test_serve_runs_the_sweep_in_the_background(app: Flask) -> None:
    orphan = put(app, age=timedelta(days=2))
    loop = start_background_sweeper(app, interval=0.05)
    try:
        assert start_background_sweeper(app) is loop  # once per app
        deadline = time.monotonic() + 10
        while exists(app, orphan) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not exists(app, orphan)
    finally:
        loop.stop()
    assert not loop.thread.is_alive()
