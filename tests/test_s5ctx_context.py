"""The rule context's normalisation when a table's text columns are all plain Arrow texts
(their one conversion is the object block), checked against the pandas route, with the
context's isna/codes/arrays on top."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.schema import Column, Table
from support.normalised import assert_normalised_as_pandas, plan_context

#: every object column a text the frame has (no bool, none missing)
SPEC = Table("tblT", "T", (
    Column("S", "text"),
    Column("N", "number"),
    Column("C", "choice", choices="Status"),
    Column("U", "text"),
))
TEXTS = ("S", "C", "U")

PLAIN = st.sampled_from(["a", "b", "B", "x y", "a-1", "~", "!z!"])
ODD = st.sampled_from(["", " ", " a", "a ", "\tc\n", "é", "é ", "a\xa0", "\x1cb", "\u3000x", "x\x85", "\x7f", "a\x00"])
TEXT = st.one_of(st.none(), PLAIN, PLAIN, PLAIN, ODD, st.text(max_size=3))
ROW = st.tuples(TEXT, st.one_of(st.none(), st.floats(width=64)), TEXT, TEXT)


#: the reader's text dtype (pandas 2: Arrow strings as pandas 2 has them; its reader gives objects)
STR = "str" if int(pd.__version__.split(".")[0]) >= 3 else pd.StringDtype("pyarrow")


def _text(values: list, index: pd.Index, kind: pa.DataType, sliced: bool) -> pd.Series:
    if sliced:  # a slice of a longer Arrow array (offsets not from 0)
        array = pa.array(["pad", *values, "pad"], type=kind).slice(1, len(values))
    else:
        array = pa.array(values, type=kind)
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([array])), index=index, dtype=STR)


def _frame(rows: list[tuple], kinds: tuple[pa.DataType, ...], sliced: bool) -> pd.DataFrame:
    cols = list(zip(*rows))
    index = pd.Index(range(4, 4 + len(rows)), name="row")
    return pd.DataFrame({
        "S": _text(list(cols[0]), index, kinds[0], sliced),
        "N": pd.Series(list(cols[1]), index=index, dtype="float64"),
        "C": _text(list(cols[2]), index, kinds[1], sliced),
        "U": _text(list(cols[3]), index, kinds[2], sliced),
    }, index=index)


def _check(frame: pd.DataFrame) -> None:
    slow, slow_codes = assert_normalised_as_pandas(frame, SPEC, TEXTS)
    with plan_context(frame, SPEC) as ctx:
        plan = ctx.frame("tblPlan")
        pd.testing.assert_frame_equal(plan, slow, check_exact=True)
        for c in TEXTS:
            missing = ctx.isna("tblPlan", c)
            assert np.array_equal(missing, slow[c].isna().to_numpy())
            got = ctx.array("tblPlan", c)
            assert not got.flags.writeable and [type(v) for v in got.tolist()] == [type(v) for v in slow[c].tolist()]
            codes, texts = ctx.codes("tblPlan", c)
            assert np.array_equal(codes, slow_codes[c][0]) and texts == slow_codes[c][1]
            assert np.array_equal(ctx.isna("tblPlan", c), slow[c].isna().to_numpy())
        pd.testing.assert_frame_equal(ctx.frame("tblPlan"), slow, check_exact=True)  # nothing above wrote into it


LARGE = (pa.large_string(),) * 3
KINDS = st.sampled_from([LARGE, (pa.string(),) * 3, (pa.large_string(), pa.string(), pa.large_string())])


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12), KINDS, st.booleans())
def test_text_block_is_the_pandas_one(rows, kinds, sliced):
    _check(_frame(rows, kinds, sliced))


@settings(max_examples=20, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=4), st.integers(2_001, 2_300))
def test_long_table_of_few_texts(rows, n):  # above _SMALL rows: only mostly-empty columns go the block's way
    rows = [rows[k % len(rows)] if k % 50 == 0 else (None, 1.0, None, None) for k in range(n)]
    _check(_frame(rows, LARGE, False))


def test_edge_tables():
    _check(_frame([("a", 1.0, "b", "c")], LARGE, False))  # one row, all plain
    _check(_frame([(None, None, None, None), ("a", None, None, None)], LARGE, False))  # all-missing columns, a blank row
    _check(_frame([(" a", None, "b ", "")] * 3, LARGE, True))  # nothing plain


DATED = Table("tblD", "D", (Column("D", "date"), Column("S", "text"), Column("U", "text")))


def test_a_blank_row_is_dropped_when_no_column_is_full():
    # the blank row (5): a date column with a gap, a plain text column with a gap, a column
    # with no empty cell that is not plain (its "  " strips to blank)
    index = pd.Index([4, 5, 6], name="row")
    frame = pd.DataFrame({
        "D": pd.Series([dt.datetime(2026, 1, 2), None, dt.datetime(2026, 1, 5)], index=index, dtype="datetime64[us]"),
        "S": _text(["a", None, "b"], index, pa.large_string(), False),
        "U": _text(["x", "  ", "y"], index, pa.large_string(), False),
    }, index=index)
    slow, _ = assert_normalised_as_pandas(frame, DATED, ("S", "U"))
    assert slow.index.tolist() == [4, 6]
    full = frame.assign(D=pd.Series([dt.datetime(2026, 1, 2)] * 3, index=index, dtype="datetime64[us]"))
    assert assert_normalised_as_pandas(full, DATED, ("S", "U"))[0].index.tolist() == [4, 5, 6]
