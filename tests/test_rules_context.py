"""The rule context's numpy fast paths give what the pandas operations they replace give."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.engine.rules import _context
from pmo_xl.engine.rules._context import RuleContext, _normalised, _normalised_by_pandas
from pmo_xl.engine.rules.data import _may_repeat
from pmo_xl.model import Book, TableData
from pmo_xl.schema import Column, Table

SPEC = Table("tblT", "T", (
    Column("D", "date"),
    Column("T", "datetime"),
    Column("N", "number"),
    Column("I", "int"),
    Column("S", "text"),
    Column("C", "choice", choices="Status"),
    Column("B", "bool"),
    Column("Gone", "number"),
    Column("Lost", "text"),
    Column("When", "date"),
))

TEXTS = st.one_of(st.none(), st.sampled_from(["", " ", "a", " a", "a ", "b", "B", "\tc\n", "é ", "x y"]))
STAMPS = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1600, 1, 1), max_value=dt.datetime(2300, 1, 1)),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)).map(lambda d: dt.datetime(d.year, d.month, d.day)),
)
NUMBERS = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e9]), st.floats(allow_nan=True, width=64))
ROWS = st.tuples(STAMPS, STAMPS, NUMBERS, st.one_of(st.none(), st.integers(-5, 10**6)), TEXTS, TEXTS,
                 st.one_of(st.none(), st.booleans()), st.one_of(st.none(), st.sampled_from(["a", 3, 2.5])))


def _frame(rows: list[tuple], unit: str, text_dtype: str) -> pd.DataFrame:
    index = pd.Index(range(4, 4 + len(rows)), name="row")
    col = list(zip(*rows)) if rows else [()] * 8
    return pd.DataFrame({
        "D": pd.Series(list(col[0]), index=index, dtype="datetime64[us]").astype(f"datetime64[{unit}]")
        if unit == "us" or not any(v is not None and not dt.datetime(1678, 1, 1) < v < dt.datetime(2262, 1, 1) for v in col[0])
        else pd.Series(list(col[0]), index=index, dtype="datetime64[us]"),
        "T": pd.Series(list(col[1]), index=index, dtype="datetime64[us]"),
        "N": pd.Series(list(col[2]), index=index, dtype="float64"),
        "I": pd.Series(list(col[3]), index=index, dtype="Int64"),
        "S": pd.Series(list(col[4]), index=index, dtype=text_dtype),
        "C": pd.Series(list(col[5]), index=index, dtype=text_dtype),
        "B": pd.Series(list(col[6]), index=index, dtype=object),
        "When": pd.Series(list(col[7]), index=index, dtype=object),  # text and numbers in a date column
    }, index=index)


def _same(rows: list[tuple], unit: str, text_dtype: str) -> None:
    frame = _frame(rows, unit, text_dtype)
    fast_codes: dict = {}
    slow_codes: dict = {}
    fast = _normalised(frame, SPEC, fast_codes)
    slow = _normalised_by_pandas(frame, SPEC, slow_codes)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert list(fast.dtypes) == list(slow.dtypes) and fast.columns.dtype == slow.columns.dtype
    assert fast.index.equals(slow.index) and fast.index.name == slow.index.name
    for c in ("S", "C", "Lost"):  # NaN, not None, for an empty text (the same object kinds)
        assert [type(v) for v in fast[c].tolist()] == [type(v) for v in slow[c].tolist()]
    for c in ("S", "C"):  # and the texts, value by value (both routes share the short-column code)
        kept = frame.loc[fast.index, c].tolist()
        expected = [v.strip() if isinstance(v, str) and v.strip() else None for v in kept]
        assert [v if isinstance(v, str) else None for v in fast[c].tolist()] == expected
    assert fast_codes.keys() == slow_codes.keys()
    for k, (codes, texts) in fast_codes.items():
        assert np.array_equal(codes, slow_codes[k][0]) and texts == slow_codes[k][1], k


@settings(max_examples=400, deadline=None)
@given(st.lists(ROWS, max_size=12), st.sampled_from(["us", "ns", "s"]), st.sampled_from(["str", "object", "string[python]", "string[pyarrow]"]), st.booleans())
def test_fast_normalisation_is_the_pandas_one(rows, unit, text_dtype, arrow):
    saved = _context._ARROW_MIN
    _context._ARROW_MIN = 0 if arrow else saved  # Arrow's dictionary for short columns too
    try:
        _same(rows, unit, text_dtype)
    finally:
        _context._ARROW_MIN = saved


def test_fast_normalisation_of_a_long_text_column():  # above _SMALL: the factorising route
    rows = [(None, None, None, None, f" p{k % 7} ", "a" if k % 3 else None, None, None) for k in range(2_500)]
    _same(rows, "us", "str")


def _ctx_of(frame: pd.DataFrame) -> RuleContext:
    book = Book("t.xlsx", {}, tables={"tblPlan": TableData("tblPlan", "Plan", frame, {"ID": "A"})})
    return RuleContext(book)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(NUMBERS, TEXTS, STAMPS.filter(lambda v: v is None or dt.datetime(1678, 1, 1) < v < dt.datetime(2262, 1, 1))),
                min_size=1, max_size=10))
def test_arrays_and_repeats_match_pandas(rows):
    ids, wbs, starts = zip(*rows)
    frame = pd.DataFrame({"ID": pd.Series(ids, dtype="float64"), "WBS": pd.Series(wbs, dtype="str"),
                          "Start": pd.Series(starts, dtype="datetime64[us]")},
                         index=pd.Index(range(4, 4 + len(rows)), name="row"))
    ctx = _ctx_of(frame)
    plan = ctx.frame("tblPlan")
    assert np.array_equal(ctx.rows("tblPlan"), plan.index.to_numpy())
    for column in ("ID", "WBS", "Start", "Duration", "Task"):
        got = ctx.array("tblPlan", column)
        assert not got.flags.writeable
        pd.testing.assert_series_equal(pd.Series(got, index=plan.index, name=column, dtype=got.dtype), plan[column])
        assert np.array_equal(ctx.isna("tblPlan", column), plan[column].isna().to_numpy())
        present = plan[column][plan[column].notna()]
        if present.duplicated().any():
            assert _may_repeat(ctx, "tblPlan", column)


def test_arrays_are_cached_per_column():
    ctx = _ctx_of(pd.DataFrame({"ID": [1.0, 2.0]}, index=pd.Index([4, 5], name="row")))
    assert ctx.array("tblPlan", "ID") is ctx.array("tblPlan", "ID")
    with pytest.raises(ValueError):
        ctx.array("tblPlan", "ID")[0] = 3.0
    assert ctx.plan["ID"].tolist() == [1.0, 2.0]


def test_every_input_table_normalises_alike_when_empty_or_absent():
    for name in schema.INPUT_TABLES:
        spec = schema.TABLES[name]
        frame = pd.DataFrame({c.name: pd.Series([None], dtype=object) for c in spec.columns[:2]}, index=pd.Index([4], name="row"))
        pd.testing.assert_frame_equal(_normalised(frame, spec, {}), _normalised_by_pandas(frame, spec, {}), check_exact=True)


def _plan_by_id_by_pandas(plan: pd.DataFrame) -> pd.DataFrame:
    p = plan[plan["ID"].notna()]
    p = p.assign(row=p.index)
    p = p[~p["ID"].duplicated()]
    return p.set_index(p["ID"].astype("int64"))


IDS = st.one_of(st.none(), st.integers(1, 8).map(float), st.sampled_from([0.0, -0.0, 2.5, 2.0 ** 60, -3.0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(IDS, TEXTS, STAMPS.filter(lambda v: v is None or dt.datetime(1678, 1, 1) < v < dt.datetime(2262, 1, 1))),
                min_size=1, max_size=12))
def test_plan_by_id_task_ids_and_links_are_the_pandas_ones(rows):
    ids, preds, starts = zip(*rows)
    frame = pd.DataFrame({"ID": pd.Series(ids, dtype="float64"), "Predecessors": pd.Series(preds, dtype="str"),
                          "Start": pd.Series(starts, dtype="datetime64[us]"), "Task": "t"},
                         index=pd.Index(range(4, 4 + len(rows)), name="row"))
    ctx = _ctx_of(frame)
    plan = ctx.plan
    pd.testing.assert_frame_equal(ctx.plan_by_id, _plan_by_id_by_pandas(plan), check_exact=True)
    assert ctx.plan_by_id.columns.dtype == _plan_by_id_by_pandas(plan).columns.dtype
    assert ctx.task_ids == {int(v) for v in plan["ID"].dropna()}
    from pmo_xl.engine.links import parse_predecessors

    p = plan["Predecessors"]
    assert ctx.links == {int(row): parse_predecessors(v) for row, v in p[p.notna()].items()}
    assert list(ctx.links) == [int(r) for r in p[p.notna()].index]


def test_fast_normalisation_without_pandas_column_accessor(monkeypatch):
    monkeypatch.delattr(pd.DataFrame, "_get_column_array", raising=False)  # a pandas without it
    rows = [(dt.datetime(2026, 3, 2), None, 1.5, 3, " a", "b", True, "x"), (None, None, None, None, None, None, None, None),
            (dt.datetime(2026, 3, 3, 12), dt.datetime(2026, 3, 3, 12), None, None, "", "B ", None, 2.5)]
    for text_dtype in ("str", "object"):
        _same(rows, "us", text_dtype)
    _same(rows * 30, "us", "str")  # the Arrow route
