"""CSV and ZIP exports of a challenge's entries (issue 5, part E1): the same rules as the list
(entered, deadline passed, counting versions only; S17), formula-safe cells (S30), private
attachment downloads (S37), audit-logged."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from test_entries import add_file, after_deadline, entries_url

from app.concepts.models import Concept
from app.concepts.services.entries import csv_bytes
from app.core.audit import AuditEvent
from app.core.timeutil import clock
from app.db import db


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
def exported(app: Flask, make_challenge, make_concept) -> dict[str, Any]:
    challenge = make_challenge("open")
    made = {
        "formula": make_concept("submitted", challenge=challenge, members=2, title='=HYPERLINK("http://x")',
                                team_name="+Plus team"),
        "at": make_concept("submitted", challenge=challenge, title="Ordinary, with \"quotes\"\nand a newline",
                           team_name="@home", language="sv"),
        "tab": make_concept("submitted", challenge=challenge, title="\tTabbed", team_name="-minus"),
        "draft": make_concept("draft", challenge=challenge, title="Draft never sent"),
        "withdrawn": make_concept("withdrawn", challenge=challenge, title="Withdrawn idea"),
    }
    add_file(app, made["formula"]["id"], name="plan.pdf", data=b"%PDF-1.4 plan")
    add_file(app, made["formula"]["id"], name="../../etc/passwd.pdf", data=b"%PDF-1.4 sneaky")
    add_file(app, made["at"]["id"], name="Bilder åäö.pdf", data=b"%PDF-1.4 bilder")
    with app.app_context():
        db.session.get(Concept, made["at"]["id"]).ineligible_reason = "=1+1"
        db.session.commit()
    after_deadline(app, challenge)
    return {"challenge": challenge, **made}


def _download(client: Any, url: str) -> Any:
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM, for Excel
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.both_databases
def test_csv_has_one_row_per_entry_and_neutralises_formulas(app, client, login, exported) -> None:
    login(exported["challenge"]["org"]["owner"])
    response = _download(client, entries_url(exported["challenge"]) + ".csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"{exported['challenge']['slug']}-entries.csv" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = _rows(response.data)
    by_ref = {row["reference"]: row for row in rows}
    assert set(by_ref) == {f"C-{exported[k]['id']}" for k in ("formula", "at", "tab")}  # S17: no draft/withdrawn
    assert b"Draft never sent" not in response.data
    assert b"Withdrawn idea" not in response.data
    formula = by_ref[f"C-{exported['formula']['id']}"]
    # S30: a leading = + - @ TAB becomes text.
    assert formula["title"].startswith("'=HYPERLINK")
    assert formula["team_name"] == "'+Plus team"
    assert formula["team_size"] == "2"
    assert formula["files"] == "plan.pdf; ../../etc/passwd.pdf"
    assert formula["submitted_at_utc"].endswith("Z")
    assert len(formula["fingerprint"]) == 64
    assert formula["eligible"] == "yes"
    at = by_ref[f"C-{exported['at']['id']}"]
    assert at["team_name"] == "'@home"
    assert at["title"] == "Ordinary, with \"quotes\"\nand a newline"  # RFC 4180 quoting round-trips
    assert at["ineligible_reason"] == "'=1+1"
    assert at["language"] == "sv"
    tab = by_ref[f"C-{exported['tab']['id']}"]
    assert tab["title"].startswith("'\t")
    assert tab["team_name"] == "'-minus"
    assert b"\r\n" in response.data  # RFC 4180 line ends
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concepts.export_csv"))


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\0", "|", "%"])
def test_every_dangerous_lead_character_is_prefixed(lead) -> None:
    # S30, unit level: each character that starts a formula or a control sequence (NUL cannot be
    # stored in PostgreSQL, so this goes straight to the writer).
    data = csv_bytes([["title"], [f"{lead}cmd|' /C calc'!A0"], ["-12.5"], ["plain"]])
    rows = _rows(data)
    assert rows[0]["title"].startswith("'")
    assert rows[1]["title"] == "-12.5"  # a negative number stays a number
    assert rows[2]["title"] == "plain"


@pytest.mark.both_databases
def test_zip_holds_the_csv_files_and_text(app, client, login, exported) -> None:
    login(exported["challenge"]["org"]["editor"])
    response = client.get(entries_url(exported["challenge"]) + ".zip")
    data = response.get_data()
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert f"{exported['challenge']['slug']}-entries.zip" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert f"{exported['challenge']['slug']}-entries.csv" in names
        for name in names:
            assert not name.startswith("/")
            assert ".." not in name.split("/")
        ref = f"C-{exported['formula']['id']}"
        folder = next(n.split("/")[0] for n in names if n.startswith(ref + "-"))
        assert f"{folder}/plan.pdf" in names
        assert f"{folder}/passwd.pdf" in names  # the path parts are gone
        assert archive.read(f"{folder}/plan.pdf") == b"%PDF-1.4 plan"
        assert "=HYPERLINK" in archive.read(f"{folder}/concept.md").decode()
        at_folder = next(n.split("/")[0] for n in names if n.startswith(f"C-{exported['at']['id']}-"))
        assert f"{at_folder}/Bilder åäö.pdf" in names
        assert all("Draft never sent" not in n and "Withdrawn" not in n for n in names)
        assert not any(n.startswith((f"C-{exported['draft']['id']}-", f"C-{exported['withdrawn']['id']}-"))
                       for n in names)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concepts.export_zip"))


def test_exports_before_the_deadline_are_refused(app, client, login, make_challenge, make_concept) -> None:
    challenge = make_challenge("open")
    make_concept("submitted", challenge=challenge, title="Too early")
    login(challenge["org"]["owner"])
    for suffix in (".csv", ".zip"):
        response = _download(client, entries_url(challenge) + suffix)
        assert response.status_code == 409
        assert b"Too early" not in response.data
