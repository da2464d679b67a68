"""The roll-up's fast paths against what they stand for: dates to days by integer floor
division (numpy's cast), a clean float column only copied, the int64-range test by the
extremes, the actual cost lines without per-line rate flags when everyone has a rate,
and the AC per month with the month test on the table of days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pmo_xl.engine import finance as F
from support.frames import frame
from support.s5roll_before import _actuals as actuals_before

SETTINGS = hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAT = np.iinfo(np.int64).min


# --------------------------------------------------------------------------- _as_days


@SETTINGS
@given(st.sampled_from(["s", "ms", "us", "ns", "m", "h", "D", "W"]),
       st.lists(st.one_of(st.integers(NAT + 1, np.iinfo(np.int64).max), st.integers(-10**17, 10**17),
                          st.just(NAT)), max_size=40),
       st.sampled_from([0, 5, 1_000, 1_500]))
def test_as_days_is_numpys_cast(unit, values, pad):
    # (pad: long columns take the floor division)
    ints = np.array(values + [values[0] if values else 0] * pad, dtype=np.int64)
    d = ints.view(f"datetime64[{unit}]")
    got, want = F._as_days(d), d.astype("datetime64[D]")
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    assert not np.shares_memory(got, d)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_as_days_within_a_day_of_nat_is_numpys_cast_overflow_included(unit):
    # numpy's cast overflows for a date within a day of the int64 minimum (1677-09-21 in
    # nanoseconds, pd.Timestamp.min): the long-column path must give what it gives
    per_day = F._PER_DAY[np.dtype(f"datetime64[{unit}]")]
    for near in ([NAT + 1], [NAT + per_day - 1, NAT], [NAT + per_day, NAT]):
        ints = np.array(near + [0] * 1_200, dtype=np.int64)
        d = ints.view(f"datetime64[{unit}]")
        np.testing.assert_array_equal(F._as_days(d).view(np.int64), d.astype("datetime64[D]").view(np.int64))


def test_days_of_the_readers_dates_column_and_series():
    s = pd.Series(pd.to_datetime(["2026-03-02 13:00", None, "1969-12-31 23:59"] * 400)).astype("datetime64[us]")
    want = s.to_numpy().astype("datetime64[D]")
    for column in (s, s._values):
        np.testing.assert_array_equal(F._days(column).view(np.int64), want.view(np.int64))
    assert F._days(s.iloc[:0]).dtype == np.dtype("datetime64[D]")


# --------------------------------------------------------------------------- _numbers, _castable


floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(-0.0), st.just(0.0))


@SETTINGS
@given(st.lists(floats, max_size=30), st.sampled_from(["float", "Int64", "object", "series"]))
def test_numbers_is_zero_nan_of_floats(values, kind):
    if kind == "Int64":
        column = pd.array([None if v != v or abs(v) > 2**53 else int(v) for v in values], dtype="Int64")
    elif kind == "object":
        column = pd.Series([str(v) if i % 3 == 0 else v for i, v in enumerate(values)], dtype=object)
    else:
        a = np.array(values, dtype=float)
        column = pd.Series(a) if kind == "series" else a
    got, want = F._numbers(column), F._zero_nan(F._floats(column))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    if isinstance(column, np.ndarray):
        assert not np.shares_memory(got, column)


@SETTINGS
@given(st.lists(st.one_of(floats, st.sampled_from([2.0**63, -(2.0**63), np.nextafter(2.0**63, 0), -np.nextafter(2.0**63, 0)])),
                max_size=20))
def test_castable_is_the_absolute_value_test(values):
    ids = np.array(values, dtype=float)
    assert F._castable(ids) == (not np.count_nonzero(np.abs(ids) >= 2.0**63))


# --------------------------------------------------------------------------- _actuals


PEOPLE = ["Ana", " Ana", "Bo", "Cy", "Dee", None, "  "]
RESOURCES = {
    "rated": [{"Person": "Ana", "Rate": 100.0}, {"Person": "Bo", "Rate": 80.0, "Category": "Contractors"},
              {"Person": "Cy", "Rate": 60.0}, {"Person": "Dee", "Rate": 0.0}],
    "some unrated": [{"Person": "Ana", "Rate": 100.0}, {"Person": "Bo"}, {"Person": "Cy", "Rate": 60.0}],
    "none": [],
}


def _person_codes(person: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The Person codes as the rule context makes them: stripped texts by first appearance, -1 for a blank."""
    seen: dict[str, int] = {}
    codes = [seen.setdefault(v.strip(), len(seen)) if isinstance(v, str) and v.strip() else -1 for v in person.tolist()]
    return np.array(codes, dtype=np.int64), list(seen)


@SETTINGS
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 60)), st.sampled_from(PEOPLE),
                          st.one_of(st.none(), st.integers(1, 4)), st.one_of(st.just(float("nan")), st.floats(-8, 8))),
                max_size=14),
       st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 60)), st.floats(0, 500)), max_size=4),
       st.sampled_from(sorted(RESOURCES)), st.booleans(), st.integers(0, 70))
def test_actuals_are_the_previous_ones(ts_rows, co_rows, resources, coded, cut):
    day0 = dt.date(2026, 3, 2)

    def date(d):
        return None if d is None else np.datetime64(day0 + dt.timedelta(d))

    timesheet = frame("tblTimesheet", [{"Date": date(d), "Person": p, "Task ID": t, "Hours": h} for d, p, t, h in ts_rows])
    costs = frame("tblCosts", [{"Date": date(d), "Amount": a, "Category": "Travel"} for d, a in co_rows])
    people = frame("tblResources", RESOURCES[resources])
    status = np.datetime64(day0 + dt.timedelta(cut))
    codes = _person_codes(timesheet["Person"]) if coded else None
    got = F._actuals(timesheet, costs, people, status, True, None, codes)
    want = actuals_before(timesheet, costs, people, status, True, None, codes)
    for name in ("timesheet", "date", "task", "person", "category", "hours", "amount", "people", "categories"):
        a, b = getattr(got[0], name), getattr(want[0], name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    pd.testing.assert_frame_equal(F._built(got[1]), F._built(want[1]))
    pd.testing.assert_frame_equal(F._built(got[2]), F._built(want[2]))
    assert got[3].sums()[0] == want[3].sums()[0]
    np.testing.assert_array_equal(got[3].hours(), want[3].hours())


# --------------------------------------------------------------------------- AC per month


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 400), st.floats(0, 1_000)), min_size=1, max_size=30), st.integers(0, 420))
def test_ac_per_month_is_the_group_by_on_months(costs_rows, cut):
    day0 = dt.date(2025, 1, 1)
    costs = frame("tblCosts", [{"Date": np.datetime64(day0 + dt.timedelta(d)), "Amount": a, "Category": "Travel"}
                               for d, a in costs_rows])
    status = day0 + dt.timedelta(cut)
    r = F.rollup({"tblCosts": costs}, {"StartDate": day0, "StatusDate": status})
    month = r.by_month
    dates = costs["Date"].to_numpy().astype("datetime64[D]")
    counted = costs[dates <= np.datetime64(status)]
    want = counted["Amount"].groupby(counted["Date"].dt.to_period("M")).sum()
    got = {pd.Timestamp(m).to_period("M"): v for m, v in zip(month["Month"], month["AC"]) if v == v}
    for period, total in want.items():
        assert got.pop(period) == total
    assert all(v == 0 for v in got.values())
