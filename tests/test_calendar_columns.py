"""``Calendar.indices_of`` with a ``forward`` mask (both roundings in one call, as the
CPM reads constraint and actual dates) is, date by date, ``index_of(next_working(d))``
where the mask is True and ``index_of(d)`` elsewhere — with holidays of a country whose
years are added as dates reach them, dates before the start and empty dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.calendar import Calendar

DAYS = st.one_of(st.none(), st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2034, 12, 31)))
HOLIDAYS = [dt.date(2025, 12, 24), dt.date(2026, 5, 4), dt.date(2027, 1, 1)]


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2028, 12, 31)),
       cells=st.lists(st.tuples(DAYS, st.booleans()), min_size=1, max_size=25),
       country=st.sampled_from([None, "DE", "US"]), workweek=st.sampled_from(["1111100", "0111111", "1010100"]))
def test_indices_of_with_a_forward_mask_is_index_of_date_by_date(start, cells, country, workweek):
    days = [d for d, _f in cells]
    ahead = np.array([f for _d, f in cells], dtype=bool)
    fast = Calendar(start, workweek, HOLIDAYS, country).indices_of(np.array(days, dtype="datetime64[D]"), forward=ahead)
    slow = Calendar(start, workweek, HOLIDAYS, country)  # one date at a time
    expected = [float("nan") if d is None else float(slow.index_of(slow.next_working(d) if f else d)) for d, f in cells]
    assert np.array_equal(fast, np.array(expected), equal_nan=True)
    # and the two roundings alone are unchanged
    for roll in ("backward", "forward"):
        alone = Calendar(start, workweek, HOLIDAYS, country).indices_of(np.array(days, dtype="datetime64[D]"), roll=roll)
        want = [float("nan") if d is None else float(slow.index_of(slow.next_working(d) if roll == "forward" else d)) for d in days]
        assert np.array_equal(alone, np.array(want), equal_nan=True)


def test_indices_of_without_dates():
    cal = Calendar(dt.date(2025, 3, 3))
    assert np.isnan(cal.indices_of(np.array([None, None], dtype="datetime64[D]"), forward=np.array([True, False]))).all()
    assert cal.indices_of(np.array([], dtype="datetime64[D]")).shape == (0,)
