"""The chair's table as CSV and XLSX: formula-safe (S30), blind (S19), audited (P10)."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from helpers_table import everyone, submit_sheets
from sqlalchemy import select

from app.concepts.models import Concept
from app.core.audit import AuditEvent
from app.db import db
from app.judging.services.table import CACHE

EVIL = '=HYPERLINK("http://evil.example/x","click")'


def _scored(app, make_judging, blind=False):
    j = make_judging(concepts=3, jurors=2, blind=blind)
    with app.app_context():
        db.session.get(Concept, j["concepts"][0]["id"]).title = EVIL
        db.session.commit()
    marks = {(email, c): (5 - c, 3) for c in range(3) for email in everyone(j)}
    submit_sheets(app, j, marks)
    return j


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _xlsx(response) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_csv_export_is_inert_and_audited(app, client, login, make_judging) -> None:
    """S30 + P10: a title =HYPERLINK(...) stays text; the export is an audit event."""
    j = _scored(app, make_judging)
    login(j["chair"])
    response = client.get(f"/challenges/{j['slug']}/jury/table.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"].count("no-store")
    rows = _csv(response)
    assert rows[0][:4] == ["label", "title", "team", "rank_raw"]
    titles = [r[1] for r in rows[1:]]
    assert f"'{EVIL}" in titles
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    assert len(rows) == 4
    assert rows[1][3] == "1"
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "judging.export")).all()
        assert [e.details["format"] for e in events] == ["csv"]
        assert events[0].object_id == j["challenge"]["id"]


@pytest.mark.both_databases
def test_xlsx_export_writes_user_text_as_strings(app, client, login, make_judging) -> None:
    """S30: the XLSX cell holding the title is a string, never a formula."""
    j = _scored(app, make_judging)
    login(j["chair"])
    response = client.get(f"/challenges/{j['slug']}/jury/table.xlsx?basis=calibrated")
    assert response.status_code == 200
    rows, sheet = _xlsx(response)
    assert rows[0][:3] == ["label", "title", "team"]
    evil_row = next(i for i, r in enumerate(rows, start=1) if str(r[1]).endswith(EVIL))
    cell = sheet.cell(row=evil_row, column=2)
    assert cell.data_type == "s"
    assert cell.value == f"'{EVIL}"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "judging.export"))["format"] \
            == "xlsx"


def test_blind_exports_hold_no_team_member_or_email(app, client, login, make_judging) -> None:
    """S19: a blind export has no team column and no member name, email or team name anywhere."""
    j = _scored(app, make_judging, blind=True)
    CACHE.clear()
    with app.app_context():
        teams = [db.session.get(Concept, c["id"]).team_name for c in j["concepts"]]
    hidden = [*teams, *(m for c in j["concepts"] for m in c["members"]), "Person ", "@example.org"]
    login(j["chair"])
    rows = _csv(client.get(f"/challenges/{j['slug']}/jury/table.csv"))
    xrows, _sheet = _xlsx(client.get(f"/challenges/{j['slug']}/jury/table.xlsx"))
    assert "team" not in rows[0]
    assert "team" not in xrows[0]
    text = repr(rows) + repr(xrows)
    for secret in hidden:
        assert secret not in text
    assert "Chair " in text  # the chair sees juror names (they are not what blind judging hides)
