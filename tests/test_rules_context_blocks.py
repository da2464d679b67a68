"""The rule context's block-wise normalisation: Arrow texts converted together when plain,
codes made on demand, the reader's dates checked together — all as the pandas route."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules._context import _normalised
from pmo_xl.schema import Column, Table
from support.normalised import assert_normalised_as_pandas, plan_context

SPEC = Table("tblT", "T", (
    Column("S", "text"),
    Column("D", "date"),
    Column("C", "choice", choices="Status"),
    Column("N", "number"),
    Column("U", "text"),
    Column("T", "datetime"),
    Column("Gone", "text"),
))

# plain texts (kept as they are), and texts a strip changes or that are blank: first/last
# characters of every kind (spaces, Unicode spaces, control characters, accents)
PLAIN = st.sampled_from(["a", "b", "B", "x y", "a-1", "~", "!z!"])
ODD = st.sampled_from(["", " ", " a", "a ", "\tc\n", "é", "é ", "a\xa0", "\x1cb", "\u3000x", "x\x85", "\x7f", "a\x00"])
TEXT = st.one_of(st.none(), PLAIN, PLAIN, ODD, st.text(max_size=3))
STAMP = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1600, 1, 1), max_value=dt.datetime(2300, 1, 1)),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)).map(lambda d: dt.datetime(d.year, d.month, d.day)),
)
ROW = st.tuples(TEXT, STAMP, TEXT, st.one_of(st.none(), st.floats(width=64)), TEXT, STAMP)


def _frame(rows: list[tuple], sliced: bool) -> pd.DataFrame:
    cols = list(zip(*rows))
    index = pd.Index(range(4, 4 + len(rows)), name="row")

    def text(values: tuple) -> pd.Series:
        if sliced:  # an Arrow array that is a slice of a longer one (offsets not from 0)
            array = pa.array(["pad", *values, "pad"], type=pa.large_string()).slice(1, len(values))
            return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([array])), index=index, dtype="str")
        return pd.Series(list(values), index=index, dtype="str")

    return pd.DataFrame({
        "S": text(cols[0]),
        "D": pd.Series(list(cols[1]), index=index, dtype="datetime64[us]"),
        "C": text(cols[2]),
        "N": pd.Series(list(cols[3]), index=index, dtype="float64"),
        "U": text(cols[4]),
        "T": pd.Series(list(cols[5]), index=index, dtype="datetime64[us]"),
    }, index=index)


def _check(frame: pd.DataFrame) -> None:
    slow, slow_codes = assert_normalised_as_pandas(frame, SPEC, ("S", "C", "U", "Gone"))
    # the context: codes on demand, isna/isin before and after they are made
    with plan_context(frame, SPEC) as ctx:
        plan = ctx.frame("tblPlan")
        pd.testing.assert_frame_equal(plan, slow, check_exact=True)
        for c in ("S", "C", "U", "Gone"):
            assert np.array_equal(ctx.isna("tblPlan", c), slow[c].isna().to_numpy())
            assert np.array_equal(ctx.isin("tblPlan", c, ["a", "B", "x y"]), slow[c].isin(["a", "B", "x y"]).to_numpy())
            codes, texts = ctx.codes("tblPlan", c)
            assert np.array_equal(codes, slow_codes[c][0]) and texts == slow_codes[c][1]
            assert np.array_equal(ctx.isna("tblPlan", c), slow[c].isna().to_numpy())
            got = ctx.array("tblPlan", c)
            assert not got.flags.writeable and [type(v) for v in got.tolist()] == [type(v) for v in slow[c].tolist()]


@settings(max_examples=400, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12), st.booleans())
def test_block_normalisation_is_the_pandas_one(rows, sliced):
    _check(_frame(rows, sliced))


@settings(max_examples=30, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=4), st.integers(2_001, 2_600))
def test_long_columns_of_few_texts(rows, n):  # above _SMALL rows: notes (mostly empty) converted alike
    rows = [rows[k % len(rows)] if k % 50 == 0 else (None, None, rows[k % len(rows)][2], None, None, None) for k in range(n)]
    _check(_frame(rows, False))


def test_plain_texts_and_whole_days_keep_their_values():
    rows = [("a", dt.datetime(2026, 3, 2), "B", 1.0, None, dt.datetime(2026, 3, 2, 10, 30)),
            (None, None, None, None, None, None),
            ("x y", None, "a", None, "~", None)]
    frame = _frame(rows, False)
    _check(frame)
    out = _normalised(frame, SPEC, {})
    assert out.index.tolist() == [4, 6]
    assert out["S"].tolist() == ["a", "x y"] and out["D"].dtype == "datetime64[ns]"
    assert out["T"].tolist() == [pd.Timestamp("2026-03-02 10:30"), pd.NaT]


def test_column_arrays_are_pandas_column_arrays():
    from pmo_xl.engine.rules._context import _column_arrays

    index = pd.Index([4, 5, 6], name="row")
    frames = [
        pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": pd.array([1, None, 3], dtype="Int64"), "c": ["x", None, "z"],
                      "d": pd.to_datetime(["2026-01-01", None, "2026-01-03"]), "e": [3.0, 4.0, 5.0],
                      "f": pd.to_datetime(["2026-01-01", None, "2026-01-03"]).tz_localize("UTC"), "g": [True, None, False],
                      "h": pd.Categorical(["p", "q", "p"]), "i": pd.Series(["u", "v", "w"], dtype="str")}, index=index),
    ]
    frames.append(frames[0][["e", "d", "a", "c"]].copy())  # consolidated blocks in another order
    frames.append(pd.concat([frames[0][["a"]], frames[0][["e", "d"]]], axis=1))  # not consolidated
    for frame in frames:
        got = _column_arrays(frame, frame.shape[1])
        for k in range(frame.shape[1]):
            want = frame._get_column_array(k)
            assert type(got[k]) is type(want) or (isinstance(got[k], np.ndarray) and want.dtype.kind == "M"), frame.columns[k]
            assert got[k].dtype == want.dtype
            pd.testing.assert_series_equal(pd.Series(got[k]), pd.Series(want))
