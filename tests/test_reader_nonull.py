"""The reader's shortcuts for columns without an empty cell (whole-number IDs, dates)
give what the general path gives, on random Arrow columns."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io import reader as rd
from pmo_xl.io.package import Package

_NOWHERE = Path(__file__).with_name("no such workbook.xlsx")


def _reader() -> rd._Reader:
    """A reader of no workbook (an empty package: these paths never read it). Its exact
    route, the cell-by-cell read, then fails with NotAWorkbook: :func:`_column` reports
    that as "EXACT". (Not a subclass replacing ``_exact_column``: a compiled reader cannot
    be subclassed, and calls its own methods directly.)"""
    return rd._Reader(path=_NOWHERE, pkg=Package(_NOWHERE, zipfile.ZipFile(io.BytesIO(), "w")), date1904=False)


def _column(reader: rd._Reader, *args: Any) -> Any:
    try:
        return reader._column(*args)
    except NotAWorkbook as exc:  # the exact route, with no workbook to read
        assert "cannot be read" in str(exc)
        return "EXACT"


def _general_date(arr: pa.Array, kind: str) -> Any:
    stamps = arr.to_numpy(zero_copy_only=False).astype(rd.DATE_DTYPE)
    if rd._out_of_years(stamps):
        return "EXACT"
    return rd._midnight(stamps) if kind == "date" else stamps


ms = st.integers(-3_000_000_000_000, 8_000_000_000_000)  # about 1875..2223


@settings(max_examples=300, deadline=None)
@given(values=st.lists(ms, min_size=1, max_size=40), kind=st.sampled_from(["date", "datetime"]),
       unit=st.sampled_from(["ms", "us", "s"]))
def test_dates_without_empty_cells(values: list[int], kind: str, unit: str) -> None:
    scale = {"ms": 1, "us": 1000, "s": 1}[unit]
    raw = [v * scale if unit != "s" else v // 1000 for v in values]
    arr = pa.array(raw, type=pa.timestamp(unit))
    rows = np.arange(4, 4 + len(arr))
    got = _column(_reader(), "t", "S", "Start", kind, 1, arr, rows)
    want = _general_date(arr, kind)
    if isinstance(want, str):
        assert isinstance(got, str) and got == want
    else:
        assert got.dtype == want.dtype and np.array_equal(got.view("int64"), want.view("int64"))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.integers(-10**6, 10**6).map(float), st.floats(-1e6, 1e6, allow_nan=False),
                                 st.sampled_from([2.0**63, -(2.0**63), 1e300])), min_size=1, max_size=30))
def test_ints_without_empty_cells(values: list[float]) -> None:
    arr = pa.array(values, type=pa.float64())
    rows = np.arange(4, 4 + len(arr))
    fast, slow = _reader(), _reader()
    try:
        got = _column(fast, "t", "S", "ID", "int", 1, arr, rows)
    except (TypeError, ValueError, OverflowError) as exc:
        got = type(exc)
    # the general path: the same column with one empty cell appended, then that cell dropped
    with_null = pa.array(values + [None], type=pa.float64())
    try:
        want = _column(slow, "t", "S", "ID", "int", 1, with_null, np.arange(4, 5 + len(arr)))[:-1]
    except (TypeError, ValueError, OverflowError) as exc:
        want = type(exc)
    if isinstance(want, type):
        assert got is want
        return
    pd.testing.assert_extension_array_equal(got, want)
    assert [(i.cell, i.message) for i in fast.issues] == [(i.cell, i.message) for i in slow.issues]
