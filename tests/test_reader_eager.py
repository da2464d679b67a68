"""The reader's eager column-range loads give the columns a lazy fastexcel sheet gives,
at the same sheet columns (also for tables that do not start in column A and for ranges
reaching past the sheet's used range)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import pytest

from pmo_xl.io.package import column_letter, open_package
from pmo_xl.io.reader import _Reader
from pmo_xl.io.template import build_workbook
from test_reader import BASE_NAMES, make_book


def _lazy(path: Path, sheet: str, first_row: int, n: int, c0: int, c1: int) -> dict[int, object]:
    r = fastexcel.read_excel(str(path))
    try:
        s = r.load_sheet(sheet, header_row=None, skip_rows=first_row - 1, n_rows=n,
                         use_columns=f"{column_letter(c0)}:{column_letter(c1)}", schema_sample_rows=None)
    except fastexcel.ColumnNotFoundError:
        s = r.load_sheet(sheet, header_row=None, skip_rows=first_row - 1, n_rows=n, schema_sample_rows=None)
    b = s.to_arrow()
    return {i.absolute_index + 1: b.column(k) for k, i in enumerate(s.selected_columns) if c0 <= i.absolute_index + 1 <= c1}


def _same(path: Path, sheet: str, first_row: int, n: int, c0: int, c1: int) -> None:
    with open_package(path) as pkg:
        got = _Reader(path=path, pkg=pkg, date1904=pkg.date1904)._load_rows(sheet, first_row, n, c0, c1)
    want = _lazy(path, sheet, first_row, n, c0, c1)
    assert list(got) == list(want)
    for c in got:
        assert got[c].type == want[c].type and got[c].equals(want[c]), (sheet, c)


@pytest.mark.parametrize("c0,c1", [(2, 7), (3, 5), (1, 7), (2, 9), (4, 5)])
def test_table_not_in_column_a(tmp_path: Path, c0: int, c1: int) -> None:
    headers = ["Finish", "Task", "My Column", "ID", "Start", "WBS"]
    rows = [
        [dt.date(2026, 3, 3), "Kick-off", "keep me", 1, dt.date(2026, 3, 2), "1"],
        [dt.date(2026, 3, 9), "Design", 42, 2, dt.date(2026, 3, 4), "1.1"],
    ]
    f = make_book(tmp_path / "b.xlsx", {"tblPlan": ("Plan", "B5", headers, rows)}, BASE_NAMES)
    _same(f, "Plan", 6, 2, c0, c1)


def test_template_tables(tmp_path: Path) -> None:
    from pmo_xl.demo import make_demo

    demo = make_demo(seed=5)
    f = build_workbook(tmp_path / "d.xlsx", demo.settings, demo.rows)
    with open_package(f) as pkg:
        parts = list(pkg.tables_by_name().values())
    for t in parts:
        n = t.last_data_row - t.first_data_row + 1
        if n > 0:
            _same(f, t.sheet, t.first_data_row, n, t.first_cell[1], t.last_cell[1])
