"""The project's working-day calendar (SPEC §3).

Working days come from ``WorkWeek`` (7 characters for Monday..Sunday, ``1`` = working,
default ``1111100``), minus the explicit holidays of ``tblHolidays`` and, when a
``HolidayCountry`` is set, that country's public holidays from the ``holidays`` package
(computed lazily, year by year, as dates are asked for).

Two ways of counting, both as in Excel:

* :meth:`Calendar.add` is ``WORKDAY(d, n)``: the date ``n`` working days after ``d``
  (``d`` itself does not count and need not be a working day; ``n < 0`` goes back,
  ``n == 0`` returns ``d`` unchanged).
* :meth:`Calendar.networkdays` is ``NETWORKDAYS(a, b)``: the working days from ``a`` to
  ``b``, both included; negative when ``b < a``.

The schedule engine counts time as **working-day indices** from the project start:
working day 1 is the first working day on or after ``start`` (:meth:`date_of` /
:meth:`index_of`). The arithmetic is numpy's ``busday_*`` family, so whole columns of
dates convert at once (:meth:`dates_of`, :meth:`indices_of`).

>>> from datetime import date
>>> cal = Calendar(date(2025, 1, 3), holidays=[date(2025, 1, 7)])   # a Friday
>>> cal.date_of(1), cal.date_of(2), cal.date_of(3)
(datetime.date(2025, 1, 3), datetime.date(2025, 1, 6), datetime.date(2025, 1, 8))
>>> cal.index_of(date(2025, 1, 5))        # a Sunday: the index of the Friday before
1
>>> cal.add(date(2025, 1, 3), 2), cal.networkdays(date(2025, 1, 3), date(2025, 1, 8))
(datetime.date(2025, 1, 8), 3)
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Iterable
from typing import Any

import numpy as np

# Masks are tested with np.count_nonzero: on short arrays .any()/.all() cost more (docs/performance.md).

__all__ = ["Calendar", "parse_workweek", "to_date"]

_DAY = np.timedelta64(1, "D")
# holidays are computed for at least this many years around a date that is asked for, so
# that the busday calendar is rebuilt rarely
_YEAR_MARGIN = 2


def parse_workweek(workweek: Any) -> list[bool]:
    """``"1111100"`` -> ``[True]*5 + [False]*2``; ValueError with a plain message otherwise."""
    text = "" if workweek is None else str(workweek).strip()
    if len(text) != 7 or any(ch not in "01" for ch in text):
        raise ValueError(
            f"WorkWeek {workweek!r} is not 7 characters of 0 and 1 for Monday..Sunday "
            "(1 = working day), e.g. 1111100"
        )
    if "1" not in text:
        raise ValueError(f"WorkWeek {workweek!r} has no working day: at least one character must be 1")
    return [ch == "1" for ch in text]


def to_date(value: Any) -> _dt.date | None:
    """A ``date`` from a date, datetime, pandas Timestamp or numpy datetime64; None for
    empty values (None, NaT, NaN)."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):  # includes pandas.Timestamp
        if value != value:  # NaT
            return None
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        day = value.astype("datetime64[D]").item()  # (an int past year 9999: no date)
        if isinstance(day, _dt.date):
            return day
        raise TypeError(f"not a date: {value!r} is outside the years 1 to 9999")
    try:
        if value != value:  # float NaN, pandas.NA raises -> TypeError below
            return None
    except TypeError:
        return None
    raise TypeError(f"not a date: {value!r}")


class Calendar:
    """Working days of a project: weekly pattern, explicit holidays, a country's holidays.

    Args:
        start: the project's ``StartDate``; working day 1 is the first working day on or
            after it.
        workweek: 7 characters Mon..Sun, ``1`` = working (validated: ValueError); a
            setting read as a number (1111100) is its text.
        holidays: explicit non-working dates (``tblHolidays``); empties are skipped.
        country: ISO 3166 code (optionally ``CC-SUBDIV``, e.g. ``DE-BY``) whose public
            holidays are non-working; an unknown code raises ValueError.

    ``copy.copy`` of a calendar is an independent calendar (a Calendar only ever replaces
    its attributes) made without computing anything again.
    """

    workweek: str
    weekmask: list[bool]
    explicit_holidays: frozenset[_dt.date]
    country: str | None
    _subdiv: str | None
    _country_holidays: dict[_dt.date, str]
    _years: tuple[int, int] | None  # country years computed, inclusive
    start: _dt.date
    _busdaycal: Any  # numpy.busdaycalendar
    first_day: _dt.date

    def __init__(
        self,
        start: _dt.date,
        workweek: Any = "1111100",
        holidays: Iterable[Any] = (),
        country: Any = None,
        *,
        _copy_of: Calendar | None = None,
    ) -> None:
        if _copy_of is not None:  # (__copy__: the same attributes)
            self.workweek, self.weekmask = _copy_of.workweek, _copy_of.weekmask
            self.explicit_holidays = _copy_of.explicit_holidays
            self.country, self._subdiv = _copy_of.country, _copy_of._subdiv
            self._country_holidays, self._years = _copy_of._country_holidays, _copy_of._years
            self.start, self._busdaycal, self.first_day = _copy_of.start, _copy_of._busdaycal, _copy_of.first_day
            return
        start_date = to_date(start)
        if start_date is None:
            raise ValueError("the calendar needs a start date (StartDate is empty)")
        self.workweek = str(workweek).strip()
        self.weekmask = parse_workweek(self.workweek)
        self.explicit_holidays = frozenset(
            d for d in (to_date(h) for h in holidays) if d is not None
        )
        self.country = None
        self._subdiv = None
        if country is not None and str(country).strip():
            self.country, self._subdiv = _country_code(str(country).strip())
        self._country_holidays = {}
        self._years = None
        self.start = start_date
        if self.country is not None:
            self._cover_years(start_date.year - 1, start_date.year + _YEAR_MARGIN)
        else:
            self._rebuild()
        self.first_day = self.next_working(start_date)

    def __copy__(self) -> Calendar:
        return Calendar(self.start, _copy_of=self)

    # ------------------------------------------------------------------ holidays

    def _cover_years(self, lo: int, hi: int) -> None:
        """Make sure the country's holidays of years lo..hi are in the busday calendar."""
        if self._years is not None:
            lo = min(lo, self._years[0])
            hi = max(hi, self._years[1])
            if (lo, hi) == self._years:
                return
        lo, hi = max(lo, 1), min(hi, 9998)
        self._country_holidays = dict(_country_table(self.country, self._subdiv, lo, hi))
        self._years = (lo, hi)
        self._rebuild()

    def _rebuild(self) -> None:
        days = sorted(self.explicit_holidays | set(self._country_holidays))
        self._busdaycal = np.busdaycalendar(
            weekmask=self.weekmask, holidays=np.array(days, dtype="datetime64[D]")
        )

    def _cover(self, *days: np.datetime64 | _dt.date) -> bool:
        """Extend the country holidays to the years of ``days``; True if it changed."""
        if self.country is None or self._years is None:
            return False
        years = [(d if isinstance(d, _dt.date) else np.datetime64(d, "D").item()).year for d in days]
        lo, hi = min(years), max(years)
        if lo >= self._years[0] and hi <= self._years[1]:
            return False
        self._cover_years(lo - _YEAR_MARGIN, hi + _YEAR_MARGIN)
        return True

    def _cover_array(self, arr: np.ndarray) -> bool:
        """:meth:`_cover` of an array's dates; True if it changed."""
        if self.country is None or arr.size == 0:
            return False
        valid = arr[~np.isnat(arr)]
        if valid.size:
            return self._cover(valid.min(), valid.max())
        return False

    @property
    def holidays(self) -> list[_dt.date]:
        """Every non-working holiday known so far (explicit and country), sorted."""
        return sorted(self.explicit_holidays | set(self._country_holidays))

    def holiday_name(self, d: _dt.date) -> str | None:
        """The country holiday's name for ``d`` (None if it is not one)."""
        self._cover(d)
        return self._country_holidays.get(d)

    # ------------------------------------------------------------------ single dates
    def is_working(self, d: _dt.date) -> bool:
        """True if ``d`` is a working day."""
        d = _as_date(d)
        self._cover(d)
        return bool(np.is_busday(np.datetime64(d, "D"), busdaycal=self._busdaycal))

    def next_working(self, d: _dt.date) -> _dt.date:
        """``d`` if it is a working day, else the first working day after it."""
        return self._roll(_as_date(d), "forward")

    def prev_working(self, d: _dt.date) -> _dt.date:
        """``d`` if it is a working day, else the last working day before it."""
        return self._roll(_as_date(d), "backward")

    def _roll(self, d: _dt.date, roll: str) -> _dt.date:
        self._cover(d)
        while True:
            out = np.busday_offset(np.datetime64(d, "D"), 0, roll=roll, busdaycal=self._busdaycal)
            if not self._cover(out):
                return out.item()

    def add(self, d: _dt.date, n: int) -> _dt.date:
        """Excel ``WORKDAY(d, n)``: ``n`` working days after ``d`` (before it when n < 0).

        ``d`` itself is not counted and need not be a working day; ``n == 0`` returns ``d``.
        """
        d = _as_date(d)
        n = int(n)
        if n == 0:
            return d
        self._cover(d)
        roll = "backward" if n > 0 else "forward"
        while True:
            out = np.busday_offset(np.datetime64(d, "D"), n, roll=roll, busdaycal=self._busdaycal)
            if not self._cover(out):
                return out.item()

    def networkdays(self, a: _dt.date, b: _dt.date) -> int:
        """Excel ``NETWORKDAYS(a, b)``: working days from ``a`` to ``b`` inclusive;
        negative (minus the count from ``b`` to ``a``) when ``b < a``."""
        a, b = _as_date(a), _as_date(b)
        self._cover(a, b)
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        count = np.busday_count(
            np.datetime64(lo, "D"), np.datetime64(hi, "D") + _DAY, busdaycal=self._busdaycal
        )
        return sign * int(count)

    def date_of(self, i: int) -> _dt.date:
        """The date of working day ``i`` (1-based, day 1 = :attr:`first_day`).

        ``i <= 0`` counts back before the start: day 0 is the last working day before
        :attr:`first_day`, day -1 the one before that.
        """
        return self.add(self.first_day, int(i) - 1)

    def index_of(self, d: _dt.date) -> int:
        """The 1-based working-day index of ``d`` (inverse of :meth:`date_of`).

        For a non-working day, the index of the previous working day (so a Saturday has
        Friday's index; a date before the first working day gets 0 or less).
        """
        d = self.prev_working(_as_date(d))
        self._cover(d, self.first_day)
        return int(
            np.busday_count(np.datetime64(self.first_day, "D"), np.datetime64(d, "D"), busdaycal=self._busdaycal)
        ) + 1

    # ------------------------------------------------------------------ whole columns
    def dates_of(self, indices: Iterable[float] | np.ndarray) -> np.ndarray:
        """Vectorised :meth:`date_of`: an array of ``datetime64[D]`` (NaT for NaN)."""
        idx = np.asarray(indices, dtype=float)
        out = np.full(idx.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(idx)
        if not np.count_nonzero(ok):
            return out
        offsets = idx[ok].astype(np.int64) - 1
        first = np.datetime64(self.first_day, "D")
        while True:
            res = np.busday_offset(first, offsets, roll="forward", busdaycal=self._busdaycal)
            if self.country is None:
                break
            before = self._years
            self._cover_array(res)
            if self._years == before:
                break
        out[ok] = res
        return out

    def indices_of(self, dates: Iterable[Any] | np.ndarray, roll: str = "backward",
                   forward: np.ndarray | None = None) -> np.ndarray:
        """Vectorised :meth:`index_of`: a float array (NaN for empty dates).

        ``roll="forward"`` gives ``index_of(next_working(d))`` instead: a non-working day
        takes the index of the working day after it. ``forward``, a boolean array like
        ``dates``: the forward rounding where it is True, the backward one elsewhere
        (two kinds of dates in one call).
        """
        if roll not in ("backward", "forward"):
            raise ValueError(f"roll must be 'backward' or 'forward', not {roll!r}")
        arr = _to_datetime64(dates)
        ok = ~np.isnat(arr)
        everywhere = np.count_nonzero(ok) == ok.size
        if not everywhere and not np.count_nonzero(ok):
            return np.full(arr.shape, np.nan)
        valid = arr if everywhere else arr[ok]
        self._cover_array(valid)
        self._cover(self.first_day)
        if forward is not None:
            roll = "backward"
        day = np.busday_offset(valid, 0, roll=roll, busdaycal=self._busdaycal)
        if self._cover_array(day):  # rolled into a year whose holidays were not known: again
            day = np.busday_offset(valid, 0, roll=roll, busdaycal=self._busdaycal)
        first = np.datetime64(self.first_day, "D")
        index = np.busday_count(first, day, busdaycal=self._busdaycal) + 1
        if forward is not None:
            # index_of(next_working(d)) = index_of(d) + 1 on a non-working day: the working
            # day after the one before it
            ahead = forward if everywhere else forward[ok]
            index[ahead] += ~np.is_busday(valid[ahead], busdaycal=self._busdaycal)
        if everywhere:
            return index.astype(float)
        out = np.full(arr.shape, np.nan)
        out[ok] = index
        return out

    def __repr__(self) -> str:
        extra = f", country={self.country!r}" if self.country else ""
        return (
            f"Calendar(start={self.start.isoformat()}, workweek={self.workweek!r}, "
            f"holidays={len(self.explicit_holidays)}{extra})"
        )


def _country_code(code: str) -> tuple[str, str | None]:
    """``HolidayCountry`` text -> (country, subdivision or None); ValueError when the
    holidays package does not know it."""
    country, _, subdiv = code.upper().partition("-")
    try:
        _country_table(country, subdiv or None, 2000, 2000)
    except NotImplementedError:
        raise ValueError(
            f"HolidayCountry {code!r} is not a country the holidays package knows "
            "(use an ISO 3166 alpha-2 code such as FR, DE, US, or CC-SUBDIV such as DE-BY)"
        ) from None
    return country, subdiv or None


@functools.lru_cache(maxsize=64)
def _country_table(country: str, subdiv: str | None, lo: int, hi: int) -> tuple[tuple[_dt.date, str], ...]:
    """A country's public holidays of years lo..hi as (date, name) pairs.

    Memoised: the ``holidays`` package takes ~1 ms to build a country's years, and every
    calendar of a portfolio (and the three of one workbook: rules, schedule, roll-up) asks
    for the same ones. A tuple, so no caller can change what the next one gets.
    Raises NotImplementedError for a country or subdivision the package does not know.
    """
    import holidays as _holidays

    return tuple(_holidays.country_holidays(country, subdiv=subdiv, years=range(lo, hi + 1)).items())


def _as_date(d: Any) -> _dt.date:
    out = to_date(d)
    if out is None:
        raise ValueError("a date is required here (the value is empty)")
    return out


def _to_datetime64(values: Iterable[Any] | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]")
    try:  # pandas Series / DatetimeIndex
        arr = np.asarray(values)
        if np.issubdtype(arr.dtype, np.datetime64):
            return arr.astype("datetime64[D]")
    except (TypeError, ValueError):
        pass
    items = [to_date(v) for v in values]
    return np.array([np.datetime64(v, "D") if v is not None else np.datetime64("NaT") for v in items],
                    dtype="datetime64[D]")
