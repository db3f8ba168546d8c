"""The chair's table as CSV and XLSX (issue 10, item 8): formula-safe (S30, app/core/exports.py),
blind where the challenge is (S19: no team column, no member names), and audited (P10)."""
from __future__ import annotations

from app.accounts.models import User
from app.core.audit import record_event
from app.core.exports import csv_bytes, xlsx_bytes
from app.judging.services.table import Table, export_rows

FORMATS = ("csv", "xlsx")


def export_table(*, table: Table, by: User, fmt: str) -> tuple[bytes, str]:
    """The file's bytes and its name; records the export in the audit log (P10). Raises ValueError
    for an unknown format."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    rows = export_rows(table)
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows, sheet_title=f"Round {table.round_position}")
    record_event(actor=by, action="judging.export", object_type="challenge", object_id=table.challenge_id,
                 details={"format": fmt, "round": table.round_position, "basis": str(table.basis),
                          "rows": max(len(rows) - 1, 0)})
    name = f"{table.slug}-round-{table.round_position}-{table.basis}.{fmt}"
    return data, name
