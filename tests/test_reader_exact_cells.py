"""The reader's exact cell values from the fastexcel book it already has open
(``_Reader.cells``) against python-calamine's, on random cells of every type: numbers,
texts ("" and look-alikes of numbers, booleans and dates), booleans, date/time/datetime
formatted numbers (1900 and 1904 systems, serials around Excel's phantom leap day, years
past 9999), durations, errors, formulas' cached values, rich and inline strings. Then whole
loads of the template with such cells in its tables and settings, against the same load
with every exact value read by python-calamine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from python_calamine import CalamineWorkbook

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io import reader as rd
from pmo_xl.io.package import open_package

TEMPLATE = Path(__file__).resolve().parents[1] / "workbooks" / "PMO_Template.xlsx"

texts = st.one_of(
    st.text(max_size=8).filter(lambda s: not ILLEGAL_CHARACTERS_RE.search(s) and not s.startswith(("=", "{"))),
    st.sampled_from(["", " ", "1", "1.5e3", "true", "FALSE", "next week", "2024-05-06", "2024-05-06 00:00:00",
                     "2024-05-06T10:00:00", "1900-01-01 12:00:00.500", "Täsk ✓", "#N/A", "a\nb"]),
)
serials = st.one_of(
    st.floats(-10, 3_000_000, allow_nan=False),
    st.integers(0, 70).map(float),
    st.sampled_from([0.0, 0.5, 0.999999999, 1.0, 59.5, 60.0, 60.5, 61.0, 45418.0, 45418.5625, 2_958_465.0, 2_958_466.0,
                     2_958_466.75, 1e20, -693_593.0, -693_594.5, -700_000.0, -1e6, -5.25]),
)
formats = st.sampled_from(["yyyy-mm-dd", "hh:mm:ss", "yyyy-mm-dd hh:mm:ss.000", "d-mmm", "mm:ss", "[h]:mm", "0.00", "General"])
numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**9, 10**9).map(float),
                    st.sampled_from([0.0, -0.0, 1.0, 0.1 + 0.2, 1e20, 5e-324]))
# (kind, value, format) as XlsxWriter writes it
cell = st.one_of(
    st.tuples(st.just("number"), numbers, st.none()),
    st.tuples(st.just("string"), texts, st.none()),
    st.tuples(st.just("bool"), st.booleans(), st.none()),
    st.tuples(st.just("serial"), serials, formats),
    st.tuples(st.just("datetime"), st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)), formats),
    st.tuples(st.just("error"), st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!"]), st.none()),
    st.tuples(st.just("formula"), st.one_of(numbers, texts, st.booleans()), st.none()),
    st.tuples(st.just("rich"), st.tuples(texts, texts), st.none()),
    st.tuples(st.just("blank"), st.none(), formats),
    st.none(),
)


def _book(path: Path, columns: list[list[Any]], date1904: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("S")
    bold = wb.add_format({"bold": True})
    fmts: dict[str, Any] = {}

    def fmt(f: str | None) -> Any:
        if f is None:
            return None
        if f not in fmts:
            fmts[f] = wb.add_format({"num_format": f})
        return fmts[f]

    ws.write_string(0, 0, "head")
    for c, values in enumerate(columns):
        for r, spec in enumerate(values, start=2):
            if spec is None:
                continue
            kind, value, f = spec
            if kind == "number":
                ws.write_number(r, c, value)
            elif kind == "string":
                ws.write_string(r, c, value)
            elif kind == "bool":
                ws.write_boolean(r, c, value)
            elif kind == "serial":
                ws.write_number(r, c, value, fmt(f))
            elif kind == "datetime":
                ws.write_datetime(r, c, value, fmt(f))
            elif kind == "error":
                ws.write_formula(r, c, "=NA()", None, value)
            elif kind == "formula":
                ws.write_formula(r, c, "=A1", None, value)
            elif kind == "rich":
                if value[0] and value[1]:
                    ws.write_rich_string(r, c, value[0], bold, value[1])
                else:
                    ws.write_string(r, c, value[0] + value[1])
            else:
                ws.write_blank(r, c, None, fmt(f))
    wb.close()


def _inline_strings(path: Path) -> None:
    """The workbook's shared strings turned into inline strings (as some writers do)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    if "xl/sharedStrings.xml" not in parts:
        return
    import re

    shared = re.findall(rb"<si>(.*?)</si>", parts["xl/sharedStrings.xml"], re.S)
    sheet = parts["xl/worksheets/sheet1.xml"]

    def inline(m: re.Match[bytes]) -> bytes:
        return m.group(1) + b' t="inlineStr"' + m.group(2) + b"><is>" + shared[int(m.group(3))] + b"</is></c>"

    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'(<c r="[A-Z]+\d+")((?: s="\d+")?) t="s"><v>(\d+)</v></c>', inline, sheet)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _same(got: Any, want: Any) -> bool:
    got = None if got == "" else got
    want = None if want == "" else want
    if isinstance(want, float) and isinstance(got, float) and math.isnan(want):
        return math.isnan(got)
    return type(got) is type(want) and got == want and (not isinstance(want, float) or math.copysign(1, got) == math.copysign(1, want))


def _reader(path: Path, pkg: Any) -> rd._Reader:
    return rd._Reader(path=path, pkg=pkg, date1904=pkg.date1904)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(columns=st.lists(st.lists(cell, min_size=1, max_size=12), min_size=1, max_size=3), date1904=st.booleans(),
       inline=st.booleans(), with_text=st.booleans())
@example(columns=[[("serial", 1.5, "[h]:mm"), ("string", "x", None)]], date1904=False, inline=False, with_text=False)
@example(columns=[[("string", "next week", None), ("datetime", dt.datetime(2024, 5, 6), "yyyy-mm-dd"),
                   ("error", "#N/A", None), ("formula", "", None), ("bool", True, None), ("number", 1.0, None)]],
         date1904=False, inline=True, with_text=True)
def test_cells_as_python_calamine(tmp_path: Path, columns: list[list[Any]], date1904: bool, inline: bool, with_text: bool) -> None:
    path = tmp_path / "cells.xlsx"
    _book(path, columns, date1904)
    if inline:
        _inline_strings(path)
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python(skip_empty_area=False)
    except OverflowError:  # python-calamine's own read fails (a duration of 1e20 days): nothing to compare
        return
    with open_package(path) as pkg:
        reader = _reader(path, pkg)
        for c, values in enumerate(columns):
            first, n = 2, len(values) + 2  # from the row above the cells to the one below
            text = None
            if with_text:  # the column's bulk read, as _exact_column hands it over when it is text
                try:
                    arr = reader._load_rows("S", first, n, c + 1, c + 1).get(c + 1)
                except NotAWorkbook:  # a mix fastexcel cannot type (a duration among others): no exact path
                    continue
                if arr is not None and str(arr.type) in ("string", "large_string") and len(arr) == n:
                    text = arr.to_pylist()
            got = reader.cells("S", first, n, c + 1, text)
            want = [rows[r][c] if r < len(rows) and c < len(rows[r]) else None for r in range(first - 1, first - 1 + n)]
            if got is None:  # python-calamine reads it: for a duration, or a column outside fastexcel's used range
                duration = any(v is not None and v[0] in ("serial", "datetime") and v[2] == "[h]:mm" for v in values)
                assert duration or all(_same(w, None) for w in want), "only a duration or an empty column may need python-calamine"
                continue
            assert len(got) == n
            for i in range(n):
                assert _same(got[i], want[i]), (i, got[i], want[i])


# ---- whole loads of the template


def _calamine_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # no fastexcel route: ``_Reader.cells`` answers None, python-calamine reads the cells (a
    # module setting, not a patched method, so that a compiled reader obeys it too)
    monkeypatch.setattr(rd, "_FAST_CELLS", [False])


def _snapshot(book: Any) -> Any:
    tables = {}
    for name, t in book.tables.items():
        frame = t.frame
        tables[name] = (frame, [type(v) for c in range(frame.shape[1]) if frame.dtypes.iloc[c] == object for v in frame.iloc[:, c]])
    issues = [(dataclasses.astuple(i), [type(x) for x in dataclasses.astuple(i)]) for i in book.issues]
    settings_ = [(k, repr(v), type(v)) for k, v in book.settings.items()]
    return tables, issues, settings_, [dataclasses.astuple(s) for s in book.structure], book.template_version


# fastexcel's bulk read refuses some mixes in one column (TRUE/FALSE or a duration among
# numbers, texts and dates: the workbook "cannot be read", both ways): booleans and
# durations are rare here, the cell test above has them everywhere
openpyxl_values = st.one_of(
    st.floats(-1e7, 1e7), st.integers(-10**6, 10**6), st.sampled_from([0.0, 1.0, 0.5, 45000.25, 1e20]), texts, st.none(),
    st.datetimes(dt.datetime(1850, 1, 1), dt.datetime(2300, 1, 1)).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
    st.dates(dt.date(1899, 1, 1), dt.date(2300, 1, 1)), st.times().map(lambda t: t.replace(microsecond=0)),
    st.sampled_from(["=1/0", '=""', "=1+1"]),
)
_common = st.tuples(openpyxl_values, st.sampled_from([None, None, "yyyy-mm-dd", "hh:mm", "yyyy-mm-dd hh:mm", "0.00"]))
_rare = st.tuples(st.booleans(), st.none()) | st.tuples(st.floats(0, 1e4), st.just("[h]:mm"))
poke = st.integers(0, 199).flatmap(lambda i: _rare if i == 0 else _common)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(costs=st.lists(st.lists(poke, min_size=7, max_size=7), min_size=1, max_size=6),
       plan=st.lists(st.lists(poke, min_size=18, max_size=18), min_size=1, max_size=3),
       project=st.lists(poke, min_size=14, max_size=14), date1904=st.booleans())
def test_load_as_with_python_calamine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, costs: list[list[Any]],
                                      plan: list[list[Any]], project: list[Any], date1904: bool) -> None:
    wb = openpyxl.load_workbook(TEMPLATE)
    if date1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for sheet, table, rows in (("Costs", "tblCosts", costs), ("Plan", "tblPlan", plan)):
        ws = wb[sheet]
        tab = ws.tables[table]
        first_col, last_col = tab.ref.split(":")
        tab.ref = f"{first_col}:{''.join(ch for ch in last_col if ch.isalpha())}{3 + len(rows)}"
        for r, values in enumerate(rows, start=4):
            for c, (value, fmt) in enumerate(values, start=1):
                ws.cell(r, c).value = value
                if fmt:
                    ws.cell(r, c).number_format = fmt
    for r, (value, fmt) in enumerate(project, start=4):
        wb["Project"].cell(r, 2).value = value
        if fmt:
            wb["Project"].cell(r, 2).number_format = fmt
    path = tmp_path / "book.xlsx"
    wb.save(path)

    def load() -> Any:
        try:
            return _snapshot(rd.load(path))
        except BaseException as exc:  # the same failure both ways (a panic of the Rust readers included)
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            return ("EXC", type(exc).__name__, str(exc))

    fast = load()
    with monkeypatch.context() as m:
        _calamine_only(m)
        slow = load()
    if fast[0] == "EXC" or slow[0] == "EXC":
        assert fast[:2] == slow[:2]
        return
    assert fast[1:] == slow[1:]
    assert list(fast[0]) == list(slow[0])
    for name in fast[0]:
        (a, ta), (b, tb) = fast[0][name], slow[0][name]
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert ta == tb
        assert list(a.dtypes) == list(b.dtypes) and np.array_equal(a.index, b.index)


def test_typical_settings_read_without_python_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The template's settings and its tables need no python-calamine read."""
    import python_calamine

    opened: list[str] = []

    class Fail:  # (python-calamine itself watched: a compiled reader calls its own methods directly)
        @staticmethod
        def from_path(path: str) -> Any:
            opened.append(path)
            raise AssertionError(f"python-calamine read of {path}")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Fail)
    book = rd.load(TEMPLATE)
    assert book.settings and not opened
    with monkeypatch.context() as m:  # (the watch works: without the fastexcel route it sees the read)
        _calamine_only(m)
        with pytest.raises(NotAWorkbook, match="python-calamine read of"):
            rd.load(TEMPLATE)
    assert opened


def test_an_older_fastexcel_reads_the_exact_cells_with_python_calamine(monkeypatch):
    """The fastexcel route needs the typed reads with cell errors of fastexcel 0.21 on; with
    an older release the same values come from python-calamine."""
    from pmo_xl.io import reader as R

    path = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    new = R.load(path)
    monkeypatch.setattr(R, "_FAST_CELLS", [False])
    old = R.load(path)
    assert [i.message for i in old.issues] == [i.message for i in new.issues] and old.issues
    assert old.settings == new.settings
    for name, table in new.tables.items():
        assert old.tables[name].frame.equals(table.frame), name
