"""The portfolio record's short float and date columns in plain Python
(``portfolio._plain_values``) against ``plain_column``, and ``_latest`` against the code
it replaced (tests/support/h4_before.py), on random columns: NaN, infinities, -0.0,
float32, every datetime unit, NaT, years outside Python's dates, pandas' date arrays,
lengths around the 512-value limit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from pmo_xl.commands import portfolio as P
from pmo_xl.io.portfolio_book import plain_column
from tests.support import h4_before as before

floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(-0.0), st.just(float("nan")))
sizes = st.one_of(st.integers(0, 12), st.sampled_from([511, 512, 513]))


def _same(got: list | None, want: list | None) -> None:
    assert (got is None) == (want is None)
    if got is None:
        return
    assert len(got) == len(want)
    for u, v in zip(got, want):
        assert type(u) is type(v)
        assert u is v or u == v or (u != u and v != v)
        if type(u) is float:
            assert np.signbit(u) == np.signbit(v)


@settings(max_examples=200, deadline=None)
@given(sizes, floats, st.sampled_from([np.float64, np.float32]), st.data())
def test_float_columns(n: int, fill: float, dtype: type, data: st.DataObject) -> None:
    values = data.draw(st.lists(floats, min_size=min(n, 12), max_size=min(n, 12)))
    with np.errstate(over="ignore"):  # (float32 of a large float: inf, as plain_column sees it)
        a = np.array(values + [fill] * (n - len(values)), dtype=dtype)
    _same(P._plain_values(a), plain_column(a))


days = st.one_of(st.none(), st.integers(-800_000, 3_000_000), st.integers(-20_000, 40_000))


@settings(max_examples=300, deadline=None)
@given(sizes, st.lists(days, max_size=12), st.sampled_from(["s", "ms", "us", "ns", "D"]), st.booleans())
def test_date_columns(n: int, offsets: list[int | None], unit: str, as_pandas: bool) -> None:
    offsets = (offsets + [None] * n)[:n] if offsets else [None] * n
    cells = [np.datetime64("NaT") if d is None else np.datetime64("1970-01-01", "D") + d for d in offsets]
    try:
        a = np.array(cells, dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    except OverflowError:
        return
    if as_pandas:
        if unit not in ("s", "ms", "us", "ns"):
            return
        try:
            a = pd.array(a)  # a DatetimeArray (pandas' date column)
        except Exception:
            return
    _same(P._plain_values(a), plain_column(a))


@settings(max_examples=300, deadline=None)
@given(st.lists(days, max_size=10), st.sampled_from(["s", "ms", "us", "ns"]))
def test_latest(offsets: list[int | None], unit: str) -> None:
    cells = [np.datetime64("NaT") if d is None else np.datetime64("1970-01-01", "D") + d for d in offsets]
    a = np.array(cells, dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    try:
        frame = pd.DataFrame({"Baseline Finish": a})
    except Exception:
        return
    got, want = P._latest(frame, "Baseline Finish"), before.latest(frame, "Baseline Finish")
    assert got == want and type(got) is type(want)


def test_latest_edges() -> None:
    empty = pd.DataFrame({"Baseline Finish": np.array([], dtype="datetime64[us]")})
    assert P._latest(empty, "Baseline Finish") is None
    blank = pd.DataFrame({"Baseline Finish": np.array(["NaT", "NaT"], dtype="datetime64[us]")})
    assert P._latest(blank, "Baseline Finish") is None
    text = pd.DataFrame({"Baseline Finish": pd.Series([dt.date(2025, 1, 2), None], dtype=object)})
    assert P._latest(text, "Baseline Finish") == before.latest(text, "Baseline Finish") == dt.date(2025, 1, 2)
    assert P._latest(pd.DataFrame({"X": [1]}), "Baseline Finish") is None
