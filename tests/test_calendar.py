"""Working-day calendar: Excel WORKDAY/NETWORKDAYS semantics, indices, country holidays."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.calendar import Calendar, parse_workweek

MON = date(2025, 3, 3)  # a Monday


# ---------------------------------------------------------------- a naive reference
def naive_working(cal: Calendar, d: date) -> bool:
    return cal.weekmask[d.weekday()] and d not in set(cal.holidays)


def naive_add(cal: Calendar, d: date, n: int) -> date:
    step = 1 if n > 0 else -1
    left = abs(n)
    while left:
        d += timedelta(days=step)
        if naive_working(cal, d):
            left -= 1
    return d


def naive_networkdays(cal: Calendar, a: date, b: date) -> int:
    lo, hi = min(a, b), max(a, b)
    count = sum(naive_working(cal, lo + timedelta(days=k)) for k in range((hi - lo).days + 1))
    return count if a <= b else -count


workweeks = st.lists(st.sampled_from("01"), min_size=7, max_size=7).map("".join).filter(lambda w: "1" in w)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
holiday_sets = st.lists(days, max_size=12)


@st.composite
def calendars(draw):
    return Calendar(draw(days), draw(workweeks), draw(holiday_sets))


# ---------------------------------------------------------------- examples
def test_workweek_validation():
    assert parse_workweek("1111100") == [True] * 5 + [False] * 2
    for bad in ("111110", "11111000", "11111a0", "0000000", "", None):
        with pytest.raises(ValueError, match="WorkWeek"):
            Calendar(MON, bad)


def test_excel_workday_examples():
    cal = Calendar(MON, holidays=[date(2025, 3, 5)])
    fri, sat, sun = date(2025, 3, 7), date(2025, 3, 8), date(2025, 3, 9)
    assert cal.add(MON, 1) == date(2025, 3, 4)
    assert cal.add(MON, 2) == date(2025, 3, 6)  # skips the Wednesday holiday
    assert cal.add(fri, 1) == date(2025, 3, 10)
    assert cal.add(sat, 1) == date(2025, 3, 10)  # WORKDAY(Saturday, 1) = Monday
    assert cal.add(sun, -1) == fri
    assert cal.add(sat, 0) == sat  # WORKDAY(d, 0) = d
    assert cal.add(date(2025, 3, 10), -3) == date(2025, 3, 4)  # skips the holiday going back
    assert cal.networkdays(MON, fri) == 4
    assert cal.networkdays(fri, MON) == -4
    assert cal.networkdays(sat, sun) == 0
    assert cal.networkdays(MON, MON) == 1


def test_indices_start_on_a_weekend():
    cal = Calendar(date(2025, 3, 8))  # a Saturday: day 1 is Monday
    assert cal.first_day == date(2025, 3, 10)
    assert cal.date_of(1) == date(2025, 3, 10)
    assert cal.date_of(0) == date(2025, 3, 7)
    assert cal.date_of(-1) == date(2025, 3, 6)
    assert cal.index_of(date(2025, 3, 8)) == 0  # Saturday -> Friday's index
    assert cal.index_of(date(2025, 3, 14)) == 5
    assert cal.index_of(date(2025, 3, 16)) == 5  # Sunday -> Friday
    assert cal.next_working(date(2025, 3, 8)) == date(2025, 3, 10)
    assert cal.prev_working(date(2025, 3, 8)) == date(2025, 3, 7)
    assert cal.next_working(MON) == MON == cal.prev_working(MON)


def test_six_day_week_and_odd_workweek():
    cal = Calendar(MON, "1111110")
    assert cal.is_working(date(2025, 3, 8)) and not cal.is_working(date(2025, 3, 9))
    only_wed = Calendar(MON, "0010000")
    assert only_wed.date_of(1) == date(2025, 3, 5)
    assert only_wed.date_of(2) == date(2025, 3, 12)


def test_country_holidays_lazily_across_years():
    cal = Calendar(date(2025, 1, 2), country="FR")
    assert not cal.is_working(date(2025, 7, 14))  # Bastille Day, a Monday
    assert not cal.is_working(date(2040, 5, 1))  # a Tuesday, far beyond the first years
    assert cal.holiday_name(date(2040, 7, 14)) is not None
    assert cal.is_working(date(2040, 7, 16))
    # a long add crosses many years and still skips every 1 May on a weekday
    far = cal.add(date(2025, 1, 2), 2500)
    assert naive_networkdays(cal, date(2025, 1, 3), far) == 2500
    assert cal.index_of(cal.date_of(2000)) == 2000
    by = Calendar(date(2025, 1, 2), country="de-by")
    assert not by.is_working(date(2025, 1, 6))  # Epiphany in Bavaria only
    assert Calendar(date(2025, 1, 2), country="DE").is_working(date(2025, 1, 6))


def test_unknown_country_is_a_clear_value_error():
    with pytest.raises(ValueError, match="HolidayCountry 'XX'"):
        Calendar(MON, country="XX")
    assert Calendar(MON, country="  ").country is None


def test_holidays_accept_timestamps_and_skip_empties():
    cal = Calendar(pd.Timestamp("2025-03-03"), holidays=[pd.Timestamp("2025-03-04"), pd.NaT, None])
    assert cal.explicit_holidays == {date(2025, 3, 4)}
    assert cal.date_of(2) == date(2025, 3, 5)


def test_vectorised_forms_agree_with_scalar_ones():
    cal = Calendar(MON, holidays=[date(2025, 3, 5), date(2025, 4, 18)])
    idx = np.array([1, 2, 3, 30, np.nan, -4])
    got = cal.dates_of(idx)
    assert [None if np.isnat(g) else g.item() for g in got] == [
        None if np.isnan(i) else cal.date_of(int(i)) for i in idx
    ]
    dates = pd.Series([pd.Timestamp("2025-03-08"), pd.NaT, pd.Timestamp("2025-02-28")])
    back = cal.indices_of(dates)
    assert back[0] == cal.index_of(date(2025, 3, 8)) and np.isnan(back[1])
    assert back[2] == cal.index_of(date(2025, 2, 28)) == 0
    assert list(cal.indices_of([date(2025, 3, 6), None])[:1]) == [3.0]  # Wednesday is a holiday


# ---------------------------------------------------------------- properties
@settings(max_examples=150, deadline=None)
@given(calendars(), days, st.integers(-40, 40))
def test_add_agrees_with_a_day_by_day_loop(cal, d, n):
    assert cal.add(d, n) == naive_add(cal, d, n)


@settings(max_examples=150, deadline=None)
@given(calendars(), days, days)
def test_networkdays_agrees_with_a_day_by_day_loop(cal, a, b):
    assert cal.networkdays(a, b) == naive_networkdays(cal, a, b)


@settings(max_examples=150, deadline=None)
@given(calendars(), days, st.integers(1, 60))
def test_add_and_networkdays_are_inverse(cal, d, n):
    if not cal.is_working(d):
        d = cal.next_working(d)
    later = cal.add(d, n)
    assert cal.is_working(later)
    assert cal.networkdays(d, later) == n + 1
    assert cal.add(later, -n) == d


@settings(max_examples=150, deadline=None)
@given(calendars(), st.integers(-300, 300), days)
def test_date_of_index_of_round_trip(cal, i, d):
    assert cal.index_of(cal.date_of(i)) == i
    assert cal.is_working(cal.date_of(i))
    # any date maps to the index of its previous working day
    assert cal.date_of(cal.index_of(d)) == cal.prev_working(d)
    assert cal.date_of(1) == cal.first_day == cal.next_working(cal.start)


def test_docstring_examples():
    import doctest

    import pmo_xl.engine.calendar as module

    assert doctest.testmod(module).failed == 0


def test_to_date_of_a_datetime64_past_year_9999_is_no_date():
    """numpy gives an int for such a day, not a date: both builds refuse it the same way
    (the compiled one would otherwise fail on its own return type)."""
    from pmo_xl.engine.calendar import to_date
    from pmo_xl.engine.rules._context import _safe_date

    assert to_date(np.datetime64("2026-11-28")) == date(2026, 11, 28)
    with pytest.raises(TypeError, match="outside the years 1 to 9999"):
        to_date(np.datetime64("12000-01-01"))
    assert _safe_date(np.datetime64("12000-01-01")) is None
