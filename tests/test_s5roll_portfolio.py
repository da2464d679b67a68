"""The record's conversions against their references: a text column by
:func:`~pmo_xl.io.portfolio_book.plain_column` (Arrow text, pandas' other text types), the
CR counts by the change statistics on the reader's Arrow text, the latest date by pandas
(dates in and out of Python's years)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pmo_xl import schema
from pmo_xl.commands import portfolio as P
from pmo_xl.engine.changes import change_stats
from pmo_xl.io.portfolio_book import plain, plain_column
from support.portfolio_rows import latest_by_pandas

texts = st.lists(st.one_of(st.none(), st.sampled_from(["Draft", " Approved ", "", "x", "Ünïcode", "Closed"])), max_size=15)
TEXT_TYPES = ["str", "string", "object", "large_string[pyarrow]"]


def _text_array(values: list, kind: str):
    if kind == "object":
        return pd.array(values, dtype=object)
    if kind == "large_string[pyarrow]":
        pytest.importorskip("pyarrow")
        return pd.array(values, dtype=pd.ArrowDtype(__import__("pyarrow").large_string()))
    return pd.array(values, dtype=kind)


@settings(max_examples=120, deadline=None)
@given(texts, st.sampled_from(TEXT_TYPES))
def test_text_columns_are_plain_columns(values, kind):
    a = _text_array(values, kind)
    got, want = P._plain_values(a), plain_column(a)
    if want is None:  # (the value-by-value way)
        want = [plain(v) for v in np.asarray(a, dtype=object).tolist()]
        got = got if got is not None else [plain(v) for v in np.asarray(a, dtype=object).tolist()]
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


@settings(max_examples=120, deadline=None)
@given(texts, st.sampled_from(["str", "object", "string"]))
def test_status_counts_of_each_text_type_agree_with_the_change_statistics(statuses, kind):
    frame = pd.DataFrame({h: [None] * len(statuses) for h in schema.TABLES["tblChanges"].headers})
    frame["Status"] = pd.Series(statuses, dtype=kind)
    want = change_stats(frame.astype({"Status": object}), as_of=dt.date(2026, 1, 1))["by_status"]
    got = P._count_statuses(frame)
    assert got == want and list(got) == list(want)


def test_status_counts_without_a_status_column_or_rows():
    empty = {s: 0 for s in P._count_statuses(pd.DataFrame({"Status": []}))}
    assert P._count_statuses(pd.DataFrame({"Title": ["a"]})) == empty
    assert P._count_statuses(pd.DataFrame({"Status": ["Bogus", np.nan]}))["(other)"] == 1


@pytest.mark.filterwarnings("ignore:Discarding nonzero nanoseconds")  # (the pandas reference's, on wrapped ns)
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-800_000, 3_000_000), st.integers(-20_000, 40_000)), max_size=8),
       st.sampled_from(["s", "us", "ns"]))
def test_latest_is_the_pandas_maximum(offsets, unit):
    cells = [np.datetime64("NaT") if d is None else np.datetime64("1970-01-01", "D") + d for d in offsets]
    try:
        a = np.array(cells, dtype="datetime64[D]").astype(f"datetime64[{unit}]")
        frame = pd.DataFrame({"Baseline Finish": a})
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        return
    got = P._latest(frame, "Baseline Finish")
    want = latest_by_pandas(frame, "Baseline Finish")
    assert got == want and type(got) is type(want)
    assert P._latest(frame, "Missing") is None
