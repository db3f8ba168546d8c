"""Spreadsheet exports that cannot run formulas (S30): the one rule every CSV and XLSX export uses.

A cell a spreadsheet would read as a formula or a command (`= + - @ | %` leading, as defusedcsv
defines them, numbers such as "-12.5" excepted) or that starts with a control character (a tab,
carriage return, line feed or NUL, which some programs strip before reading the rest as a
formula) gets a `'` prefix. CSV is written by defusedcsv's writer (RFC 4180: CRLF, doubled
quotes) with the control leads handled here; XLSX cells from users are written as strings,
never as formulas, after the same neutralisation, so both files read alike.
"""
from __future__ import annotations

import csv as std_csv
import io
from collections.abc import Iterable
from typing import Any

# defusedcsv keeps its rule in a private function; using it here (and only here) means CSV and
# XLSX exports cannot drift apart from the library's definition. tests/core/test_spreadsheet_exports.py pins it.
from defusedcsv.csv import _escape as _defused_escape

CONTROL_LEADS = ("\t", "\r", "\0", "\n")


def neutralise(value: Any) -> Any:
    """A cell value made inert for a spreadsheet: numbers and None unchanged, text prefixed with
    `'` when it would start a formula or with a control character."""
    if isinstance(value, str) and value.startswith(CONTROL_LEADS):
        return "'" + value
    return _defused_escape(value)


def csv_bytes(rows: Iterable[list[Any]]) -> bytes:
    """Rows as CSV: RFC 4180 (CRLF, quotes doubled), UTF-8 with a BOM for Excel, formula-safe (S30)."""
    from defusedcsv import csv as safe_csv

    out = io.StringIO(newline="")
    writer = safe_csv.writer(out, dialect="excel", quoting=std_csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[list[Any]], *, sheet_title: str = "Sheet") -> bytes:
    """Rows as an XLSX workbook: numbers as numbers, every text cell as a string (never a formula),
    neutralised as in CSV (S30)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = sheet_title[:31] or "Sheet"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            safe = neutralise(value)
            cell = sheet.cell(row=r, column=c)
            if isinstance(safe, str):
                cell.value = safe
                cell.data_type = TYPE_STRING  # openpyxl would otherwise read "=..." as a formula
            else:
                cell.value = safe
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
