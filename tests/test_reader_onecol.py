"""A table only one column wide is read with its values (fastexcel rejects the column
range "E:E"; it used to be read as an empty table: a user who deleted tblHolidays' Name
column silently lost every holiday)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pmo_xl

TEMPLATE = Path(__file__).parent / "fixtures" / "templates" / "v1.xlsx"
DAYS = [dt.datetime(2026, 4, 3), dt.datetime(2026, 4, 6), dt.datetime(2026, 5, 1)]
NAMES = ["Good Friday", "Easter Monday", "Labour Day"]


def _holidays_book(path: Path, keep: str) -> Path:
    """The template with three holidays in tblHolidays (E3:F4 in the template), cut down
    to its ``keep`` column ("Date" in E, or "Name" moved to E)."""
    wb = openpyxl.load_workbook(TEMPLATE)
    ws = wb["Project"]
    table = ws.tables["tblHolidays"]
    assert table.ref == "E3:F4"
    ws["E3"] = keep
    ws["F3"] = None
    for i, (day, name) in enumerate(zip(DAYS, NAMES)):
        cell = ws.cell(4 + i, 5, day if keep == "Date" else name)
        if keep == "Date":
            cell.number_format = "yyyy-mm-dd"
    table.ref = "E3:E6"
    table.tableColumns = [c for c in table.tableColumns if c.name == keep]
    table.tableColumns[0].id = 1
    if table.autoFilter is not None:
        table.autoFilter.ref = "E3:E6"
    wb.save(path)
    return path


def test_one_column_date_table_keeps_its_values(tmp_path: Path) -> None:
    book = pmo_xl.load(_holidays_book(tmp_path / "dates.xlsx", "Date"))
    holidays = book.table("tblHolidays")
    assert holidays.ref == "E3:E6" and holidays.present
    assert list(holidays.frame.index) == [4, 5, 6]
    assert list(holidays.frame["Date"]) == [pd.Timestamp(d) for d in DAYS]
    assert holidays.frame["Name"].isna().all()
    assert holidays.where(5, "Date") == "Project!E5"
    missing = [s for s in book.structure if s.kind == "column" and s.name == "Name"]
    assert len(missing) == 1 and missing[0].severity == "warning"


def test_one_column_text_table_keeps_its_values(tmp_path: Path) -> None:
    book = pmo_xl.load(_holidays_book(tmp_path / "names.xlsx", "Name"))
    holidays = book.table("tblHolidays")
    assert list(holidays.frame.index) == [4, 5, 6]
    assert list(holidays.frame["Name"]) == NAMES
    assert holidays.frame["Date"].isna().all()
    assert any(s.kind == "column" and s.name == "Date" and s.severity == "error" for s in book.structure)


@pytest.mark.parametrize("keep", ["Date", "Name"])
def test_one_column_table_reads_like_the_same_column_of_a_wider_table(tmp_path: Path, keep: str) -> None:
    """The one-column read gives what the two-column read of the template gives."""
    one = pmo_xl.load(_holidays_book(tmp_path / "one.xlsx", keep)).table("tblHolidays").frame
    wb = openpyxl.load_workbook(TEMPLATE)
    ws = wb["Project"]
    for i, (day, name) in enumerate(zip(DAYS, NAMES)):
        ws.cell(4 + i, 5, day).number_format = "yyyy-mm-dd"
        ws.cell(4 + i, 6, name)
    ws.tables["tblHolidays"].ref = "E3:F6"
    if ws.tables["tblHolidays"].autoFilter is not None:
        ws.tables["tblHolidays"].autoFilter.ref = "E3:F6"
    wb.save(tmp_path / "two.xlsx")
    two = pmo_xl.load(tmp_path / "two.xlsx").table("tblHolidays").frame
    pd.testing.assert_series_equal(one[keep], two[keep], check_exact=True)
