"""The exact route's shortcuts against what they replace: the datetime column built from
microseconds (``_stamps``) against numpy's own conversion, the one pattern that reads
fastexcel's cell reports against the two it replaces, and a date cell typed in
``_exact_column`` without :func:`coerce` against :func:`coerce`."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pmo_xl.io import reader as rd
from pmo_xl.io.package import Package

naive = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), naive), max_size=40))
@example([])
@example([None])
@example([dt.datetime.min, dt.datetime.max, dt.datetime(1970, 1, 1), dt.datetime(1969, 12, 31, 23, 59, 59, 999999)])
def test_stamps_as_numpy_converts(values: list[dt.datetime | None]) -> None:
    got = rd._stamps(values)
    want = np.array(values, dtype=rd.DATE_DTYPE)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.view("int64").tolist() == want.view("int64").tolist()
    assert got.flags.writeable


@pytest.mark.filterwarnings("ignore::UserWarning")  # numpy on an aware datetime
def test_stamps_aware_datetime_falls_back_to_numpy() -> None:
    aware = dt.datetime(2024, 5, 6, 12, tzinfo=dt.timezone.utc)
    values = [dt.datetime(2024, 5, 6), None, aware]
    try:
        want = np.array(values, dtype=rd.DATE_DTYPE)
    except Exception as exc:  # whatever numpy does with it, the shortcut does too
        try:
            rd._stamps(values)
        except Exception as got:
            assert type(got) is type(exc)
        else:
            raise AssertionError("numpy refused it, _stamps did not")
    else:
        assert rd._stamps(values).view("int64").tolist() == want.view("int64").tolist()


def test_typed_array_dates() -> None:
    values = [dt.datetime(2025, 2, 17), None, dt.datetime(1900, 1, 1, 6, 30, 0, 5)]
    got = rd._typed_array(values, "date")
    assert got.dtype == np.dtype(rd.DATE_DTYPE)
    assert got.view("int64").tolist() == np.array(values, dtype=rd.DATE_DTYPE).view("int64").tolist()


# ---- fastexcel's reports: the two patterns the one replaced

_OLD_NOT_BOOL = re.compile(r"Expected boolean but got '(String|DateTime|Error)\(")
_OLD_SERIAL = re.compile(
    r"Expected boolean but got 'DateTime\(ExcelDateTime \{ value: ([^,]+), datetime_type: DateTime, "
    r"is_1904: (?:true|false) \}\)'?\Z"
)


def _old(detail: str) -> object:
    """What cells() made of one report before: None = give up, "text", "error" or the serial text."""
    m = _OLD_NOT_BOOL.match(detail)
    if m is None:
        return None
    if m.group(1) == "DateTime":
        m = _OLD_SERIAL.match(detail)
        return None if m is None else m.group(1)
    return "text" if m.group(1) == "String" else "error"


def _new(detail: str) -> object:
    m = rd._NOT_BOOL.match(detail)
    if m is None:
        return None
    kind, serial = m.groups()
    if serial is not None:
        return serial
    return "text" if kind == "String" else "error"


_values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(alphabet="0123456789.e-+, })'", max_size=12),
)
_reports = st.one_of(
    st.builds(lambda v, t, y, tail: f"Expected boolean but got 'DateTime(ExcelDateTime {{ value: {v}, datetime_type: {t}, is_1904: {y} }})" + tail,
              _values, st.sampled_from(["DateTime", "TimeDelta", "Date"]), st.sampled_from(["true", "false", "maybe"]),
              st.sampled_from(["", "'", "''", " ", "'x"])),
    st.builds(lambda kind, body: f"Expected boolean but got '{kind}({body}", st.sampled_from(["String", "Error", "DateTime", "Float", "Bool", "DurationIso"]),
              st.text(max_size=20)),
    st.text(max_size=40),
)


@settings(max_examples=500, deadline=None)
@given(_reports)
@example("Expected boolean but got 'DateTime(ExcelDateTime { value: 45705.0, datetime_type: DateTime, is_1904: false })")
@example("Expected boolean but got 'DateTime(ExcelDateTime { value: 0.5, datetime_type: TimeDelta, is_1904: false })'")
@example("Expected boolean but got 'String(\"next week\")")
@example("Expected boolean but got 'Error(Div0)")
def test_one_pattern_reads_reports_as_the_two_did(detail: str) -> None:
    assert _new(detail) == _old(detail)


# ---- a date cell typed without coerce


_NOWHERE = Path(__file__).with_name("no such workbook.xlsx")


def _reader_of(raws: list, date1904: bool) -> rd._Reader:
    """A reader whose exact cells are given: ``raws`` down column A from row 4, as
    python-calamine's read of sheet Costs (a reader of no workbook: fastexcel has nothing
    to open, so the exact route reads these; not a subclass replacing ``cells``: a compiled
    reader cannot be subclassed)."""
    reader = rd._Reader(path=_NOWHERE, pkg=Package(_NOWHERE, zipfile.ZipFile(io.BytesIO(), "w")), date1904=date1904)
    reader._exact_sheets["Costs"] = ((0, 0), [[] for _ in range(3)] + [[raw] for raw in raws])
    return reader


_raws = st.lists(
    st.one_of(st.none(), st.just(""), st.dates(), naive, st.floats(-10, 3e6), st.text(max_size=6),
              st.booleans(), st.times()),
    min_size=1, max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_raws, st.sampled_from(["date", "datetime"]), st.booleans())
@example([dt.date(1899, 12, 31), dt.date(1900, 1, 1), dt.date(2199, 12, 31), dt.date(2200, 1, 1), None], "date", False)
def test_exact_column_as_coerce_types_each_cell(raws: list, kind: str, date1904: bool) -> None:
    reader = _reader_of(raws, date1904)
    rows = np.arange(4, 4 + len(raws), dtype="int64")
    got = reader._exact_column("tblCosts", "Costs", "Date", kind, 1, rows)
    want_issues: list = []
    out = []
    for row, raw in zip(rows.tolist(), raws):
        if raw is None or raw == "":
            out.append(None)
            continue
        try:
            out.append(rd.coerce(raw, kind, date1904))
        except rd._Bad as bad:
            out.append(bad.converted)
            want_issues.append((row, raw, bad.message))
    want = rd._typed_array(out, kind)
    assert got.dtype == want.dtype
    assert got.view("int64").tolist() == want.view("int64").tolist()
    assert [(i.row, i.raw, i.message) for i in reader.issues] == [
        (row, raw, rd.cell_issue_text("Costs", f"A{row}", message, kind)) for row, raw, message in want_issues
    ]
