"""The reader's shortcuts agree with the plain computations they replace: the Arrow
buffer test for empty text, the numpy widening of timestamps, the numpy conversion of
exact date columns, and one bulk read shared by the tables of a sheet over the same rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.io import reader as rd
from pmo_xl.io.package import open_package

TEXTS = st.lists(st.one_of(st.none(), st.just(""), st.text(max_size=3)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(values=TEXTS, large=st.booleans(), cut=st.tuples(st.integers(0, 12), st.integers(0, 12)))
def test_has_empty_text_is_equal_to_empty_string(values, large, cut):
    arr = pa.array(values, type=pa.large_string() if large else pa.string())
    start = min(cut[0], len(values))
    arr = arr.slice(start, cut[1])
    expected = bool(pc.any(pc.equal(arr, "")).as_py() or False)
    assert rd._has_empty_text(arr) is expected


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-2_208_988_800_000, 7_258_118_400_000)), max_size=10),
    unit=st.sampled_from(["s", "ms", "us"]),
)
def test_timestamps_widen_like_arrow_cast(values, unit):
    arr = pa.array(values, type=pa.timestamp(unit))
    fast = arr.to_numpy(zero_copy_only=False).astype(rd.DATE_DTYPE)
    plain = arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False).astype(rd.DATE_DTYPE)
    assert fast.dtype == plain.dtype and np.array_equal(fast, plain, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2199, 12, 31))), max_size=10))
def test_exact_dates_convert_like_to_datetime(values):
    plain = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").astype(rd.DATE_DTYPE).to_numpy()
    fast = rd._typed_array(values, "date")
    assert fast.dtype == plain.dtype and np.array_equal(fast, plain, equal_nan=True)


def _two_tables_on_one_sheet(path: Path) -> Path:
    """Two one-sheet tables over the same rows (as the Rollup sheet has), with mixed
    columns, an extra column and blank rows, plus a third table over other rows."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("Rollup")
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    evm = [["CPI", 1.1, "x"], [None, None, None], ["SPI", "n/a", 3]]
    cat = [["Build", dt.datetime(2026, 3, 2), 12.5, 4], ["Run", "next week", None, "7"], [None, None, None, None]]
    for r, row in enumerate(evm):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(3 + r, c, v)
    for r, row in enumerate(cat):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(3 + r, 4 + c, v, datef)
            elif v is not None:
                ws.write(3 + r, 4 + c, v)
    ws.add_table(2, 0, 5, 2, {"name": "tblEVM", "columns": [{"header": h} for h in ("Metric", "Value", "Mine")]})
    ws.add_table(2, 4, 5, 7, {"name": "tblRollupCategory", "columns": [{"header": h} for h in ("Category", "Start", "Hours", "Tasks")]})
    ws.write(10, 0, "CPI")
    ws.add_table(9, 0, 10, 1, {"name": "tblChangeStats", "columns": [{"header": h} for h in ("Metric", "Value")]})
    wb.close()
    return path


def test_shared_sheet_load_gives_each_table_its_own_read(tmp_path: Path) -> None:
    f = _two_tables_on_one_sheet(tmp_path / "shared.xlsx")
    names = ("tblEVM", "tblRollupCategory", "tblChangeStats")
    kinds = {
        "tblEVM": (("Metric", "text"), ("Value", "number"), ("Description", "text")),  # "Mine" is extra
        "tblRollupCategory": (("Category", "choice"), ("Start", "date"), ("Hours", "number"), ("Tasks", "int")),
        "tblChangeStats": (("Metric", "text"), ("Value", "number")),
    }
    specs = {n: schema.Table(n, "Rollup", tuple(schema.Column(h, k) for h, k in kinds[n])) for n in names}
    with open_package(f) as pkg:
        alone = rd._Reader(path=f, pkg=pkg, date1904=pkg.date1904)
        one_by_one = {n: alone.read_table(specs[n], pkg.table(n)) for n in names}
        shared = rd._Reader(path=f, pkg=pkg, date1904=pkg.date1904)
        shared.share_loads([pkg.table(n) for n in names])
        assert len(shared._spans) == 1
        together = {n: shared.read_table(specs[n], pkg.table(n)) for n in names}
    assert len(shared._loaded) == 1
    for n in names:
        a, b = one_by_one[n], together[n]
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        assert a.letters == b.letters and a.ref == b.ref and a.header_row == b.header_row
    assert alone.issues == shared.issues and alone.structure == shared.structure
    evm = together["tblEVM"].frame
    assert evm["Mine"].dtype == object and list(evm.index) == [4, 6]
    assert any(i.cell == "F5" for i in shared.issues)  # "next week" in a date column
