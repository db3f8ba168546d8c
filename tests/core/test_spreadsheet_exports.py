"""The one formula-safe writer of CSV and XLSX exports (S30)."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from app.core.exports import csv_bytes, neutralise, xlsx_bytes


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "|", "%", "\t", "\r", "\0", "\n"])
def test_formula_and_control_leads_get_a_quote(lead: str) -> None:
    """S30: every lead defusedcsv names, and the control characters, start with ' afterwards."""
    assert neutralise(f"{lead}HYPERLINK(\"http://x\")").startswith("'")


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert neutralise(-12.5) == -12.5
    assert neutralise("-12.5") == "-12.5"
    assert neutralise("plain") == "plain"
    assert neutralise(None) is None


def test_csv_and_xlsx_read_back_inert() -> None:
    """S30: a title =HYPERLINK(...) is text in both files, never a formula."""
    rows = [["title", "score"], ['=HYPERLINK("http://x","y")', 71.5]]
    read = list(csv.reader(io.StringIO(csv_bytes(rows).decode("utf-8-sig"))))
    assert read[1][0].startswith("'=HYPERLINK")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows))).active
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=HYPERLINK")
    assert sheet.cell(row=2, column=2).value == 71.5
