"""DCMA's numpy tests for empty cells (``_Plan.missing``) and budgeted task IDs
(``_budget_ids``) against the pandas expressions they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from pmo_xl.engine import dcma

_floats = st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), max_size=30)
_days = st.lists(st.one_of(st.none(), st.integers(-20_000, 40_000)), max_size=30)


def _plan(numbers: list, days: list, texts: list) -> pd.DataFrame:
    n = max(len(numbers), len(days), len(texts))
    pad = lambda xs: list(xs) + [None] * (n - len(xs))  # noqa: E731
    dates = [np.datetime64("NaT", "ns") if d is None else np.datetime64(d, "D").astype("datetime64[ns]") for d in pad(days)]
    return pd.DataFrame({
        "ID": np.arange(1, n + 1, dtype=np.float64),
        "Duration": np.array([np.nan if v is None else v for v in pad(numbers)], dtype=np.float64),
        "Start": np.array(dates, dtype="datetime64[ns]"),
        "Owner": np.array([np.nan if t is None else t for t in pad(texts)], dtype=object),
        "Type": np.full(n, np.nan, dtype=object), "Status": np.full(n, np.nan, dtype=object),
        "Actual Finish": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "% Complete": np.full(n, np.nan),
    })


@settings(max_examples=150, deadline=None)
@given(_floats, _days, st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=30))
def test_missing_is_pd_isna(numbers, days, texts):
    p = dcma._Plan(_plan(numbers, days, texts))
    for name in ("Duration", "Start", "Owner", "Actual Finish"):
        got = p.missing(name)
        assert got.dtype == bool
        assert got.tolist() == pd.isna(p.values(name)).tolist()


@settings(max_examples=150, deadline=None)
@given(_floats)
def test_budget_ids_float(values):
    ids = [None if v is None else float(int(v)) for v in values]
    budget = pd.DataFrame({"Task ID": np.array([np.nan if v is None else v for v in ids], dtype=np.float64), "Amount": 1.0})
    assert dcma._budget_ids(budget, "Task ID") == set(budget["Task ID"].dropna().astype("int64").tolist())


def test_budget_ids_other_dtypes():
    for column in (pd.array([1, None, 3], dtype="Int64"), np.array([1, np.nan, 2.0], dtype=object), np.array([4, 5], dtype=np.int64)):
        budget = pd.DataFrame({"Task ID": column})
        assert dcma._budget_ids(budget, "Task ID") == set(budget["Task ID"].dropna().astype("int64").tolist())


def test_budget_ids_missing_column():
    import pytest

    with pytest.raises(KeyError):
        dcma._budget_ids(pd.DataFrame({"Amount": [1.0]}), "Task ID")
