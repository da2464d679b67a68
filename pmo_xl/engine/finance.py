"""Actuals vs budget, planned value, earned value and the roll-up tables (SPEC §5).

Pure functions on the reader's DataFrames (columns as declared in :mod:`pmo_xl.schema`,
index = Excel row numbers, dates datetime64, numbers float, IDs nullable Int64), the
project settings and a working-day calendar. The one entry point is :func:`rollup`.

How money is placed in time (details and sources in ``docs/finance.md``):

* **Actual cost** (AC): timesheet Hours × the person's Rate, plus tblCosts Amount, for
  rows dated on or before the status date. Later (or undated) rows are listed in
  ``after_status_date`` and not counted.
* **Budget phasing**: every tblBudget line is spread evenly over working days — a line
  with a Period over that month's working days; a task line without Period over the
  task's baseline working days (its planned Start..Finish when it has no baseline); a
  project-level line without Period over the project's baseline window (earliest
  Baseline Start .. latest Baseline Finish, else StartDate .. PlannedFinish). A window
  without a working day puts the whole amount on the first working day after it.
* **PV** = phased budget on working days ≤ status date; **BAC** = Σ Amount.
* **EV** = Σ task budget × the task's % complete; project-level lines are level of
  effort, EV = their PV.

Everything is vectorised: the budget is phased over an array of working days
(difference arrays + cumulative sums), actuals are grouped by pandas' own group-sum
kernel on code arrays, and the tables are read (and the result frames built) as arrays;
the result tables are built when first read (a portfolio takes by month and by category
as rows from their columns, and builds no frame).
"""

from __future__ import annotations

import datetime as _dt
import functools
import gc
import math
import re
from dataclasses import dataclass, field
from itertools import chain, compress
from typing import Any, Iterable, Mapping, Protocol

import numpy as np
import pandas as pd

try:  # the kernel of DataFrame.groupby(...).sum() (see _group_sums)
    from pandas._libs.groupby import group_sum as _group_sum_kernel
except ImportError:  # pragma: no cover
    _group_sum_kernel = None

try:  # pandas >= 3: a frame straight from its blocks (see _result_frame)
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
    from pandas.core.construction import sanitize_array as _sanitize_array
except ImportError:  # pragma: no cover - pandas 2: DataFrame(dict)
    _from_blocks = None

from pmo_xl._native import python_class
from pmo_xl.errors import PmoError
from pmo_xl.engine import quiet_numbers
from pmo_xl.engine._columns import column_array, positions
from pmo_xl.engine.evm import COST_KEYS, EVM, RagThresholds, _num, compute_evm, cost_metrics, rag
from pmo_xl.schema import LISTS, TABLES

# Masks are tested with np.count_nonzero: on short arrays .any()/.all() cost more (docs/performance.md).

DEFAULT_CATEGORY = "Labour"
#: Task-ID key of project-level amounts in grouped frames (task IDs are whole numbers).
PROJECT_KEY = -0.5
NO_CATEGORY = "(no category)"
PROJECT_LEVEL = "(project level)"
NOT_IN_PLAN = "(not in plan)"
ON_SUMMARY = " (booked on the summary)"
#: Changes whose cost impact is drawn from a reserve (Closed only when it was approved:
#: it has an Implemented Date or a tblBudget line whose Source is its CR ID).
DRAWING_STATUSES = ("Approved", "Implemented")
RESERVES = (("Contingency", "ContingencyReserve"), ("Management Reserve", "ManagementReserve"))


class WorkCalendar(Protocol):
    """What the roll-up needs from :class:`pmo_xl.engine.calendar.Calendar`."""

    def is_working(self, d: _dt.date) -> bool: ...


def project_calendar(settings: Mapping[str, Any], holidays: pd.DataFrame | None = None):
    """The project's :class:`~pmo_xl.engine.calendar.Calendar` from its settings
    (StartDate, WorkWeek, HolidayCountry) and ``tblHolidays``."""
    from pmo_xl.engine.calendar import Calendar

    start = _first(_day(settings.get("StartDate")), _day(settings.get("StatusDate")))
    if start is None:
        start = np.datetime64(_dt.date.today(), "D")
    dates = [] if holidays is None or "Date" not in holidays else list(_days(holidays["Date"]))
    try:
        return Calendar(
            start.astype(object),
            workweek=settings.get("WorkWeek") or "1111100",
            holidays=[d.astype(object) for d in dates if not np.isnat(d)],
            country=settings.get("HolidayCountry") or None,
        )
    except ValueError as e:
        raise PmoError(f"Project calendar: {e}") from None


# --------------------------------------------------------------------------- values


def _day(value: Any) -> np.datetime64 | None:
    """A date-like value (date, datetime, Timestamp, ISO text) as datetime64[D]; None if empty."""
    if value is None:
        return None
    kind = type(value)
    if (kind is _dt.date or kind is _dt.datetime) and 1678 < value.year < 2262:  # (pd.Timestamp's result, directly)
        return np.datetime64(value if kind is _dt.date else value.date(), "D")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return np.datetime64(ts.date(), "D")


def _values(column: Any) -> Any:
    """A column's values: a Series' (Index's) array (numpy or extension array), or the array itself
    (the roll-up reads its tables' columns as arrays, see :class:`_Table`)."""
    return column._values if isinstance(column, (pd.Series, pd.Index)) else column


def _series(column: Any) -> pd.Series:
    return column if isinstance(column, pd.Series) else pd.Series(column, copy=False)


def _days(series: pd.Series | Any) -> np.ndarray:
    """A date column (a Series or its array) as datetime64[D] (NaT kept)."""
    a = _values(series)
    if len(a) == 0:
        return np.array([], dtype="datetime64[D]")
    if isinstance(a.dtype, np.dtype) and a.dtype.kind == "M":  # the reader's dates: numpy's cast
        return _as_days(a._ndarray if type(a) is _DATETIMES else np.asarray(a))  # (np.asarray: ~1.5 µs of pandas)
    series = _series(series)
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, errors="coerce")
    return series.to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))


_DATETIMES = pd.arrays.DatetimeArray
#: Each finer datetime64 type's count per day (the reader's dates are datetime64[us]).
_PER_DAY = {np.dtype(f"datetime64[{unit}]"): n for unit, n in
            (("s", 86_400), ("ms", 86_400_000), ("us", 86_400_000_000), ("ns", 86_400_000_000_000))}
_NAT = np.iinfo(np.int64).min


def _as_days(d: np.ndarray) -> np.ndarray:
    """``d.astype("datetime64[D]")`` (a new array): a long column of seconds to nanoseconds
    by floor division of its integers, which is numpy's cast (5,000 dates: ~4 µs instead of ~25)."""
    per_day = _PER_DAY.get(d.dtype)
    if per_day is None or len(d) < 1_000:
        return d.astype("datetime64[D]")
    i = d.view(np.int64)
    lowest = i.min()
    if lowest < _NAT + per_day:  # NaT, or a date within a day of it, where numpy's cast overflows
        nat = i == _NAT
        if np.count_nonzero(i[~nat] < _NAT + per_day):
            return d.astype("datetime64[D]")  # (the same answer as numpy, overflow included)
        out = np.floor_divide(i, per_day)
        out[nat] = _NAT  # NaT stays NaT
        return out.view("datetime64[D]")
    return np.floor_divide(i, per_day).view("datetime64[D]")


def _floats(series: pd.Series | Any) -> np.ndarray:
    """A number column (a Series or its array) as float64, NaN for blanks (a new array)."""
    a = _values(series)
    if a.dtype.kind in "fiu":  # already numbers (float64, Int64): no to_numeric pass
        if isinstance(a, np.ndarray):
            return a.astype(np.float64)  # (what Series.to_numpy(float, copy=True) gives)
        if type(a) in _MASKED:  # (what its to_numpy(float, na_value=nan) does, without its checks)
            out = a._data.astype(np.float64)
            out[a._mask] = np.nan
            return out
        return a.to_numpy(dtype=float, na_value=np.nan, copy=True)
    return pd.to_numeric(_series(series), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray)


def _zero_nan(x: np.ndarray) -> np.ndarray:
    """``np.nan_to_num(x)`` of a float array (NaN → 0, ±inf → ± the largest float): the
    usual case without an infinity in two passes instead of its six."""
    if np.count_nonzero(np.isinf(x)):
        return np.nan_to_num(x)
    return np.where(np.isnan(x), 0.0, x)


def _numbers(series: pd.Series | Any) -> np.ndarray:
    """``_zero_nan(_floats(series))``: a float64 column without NaN or infinity (the usual
    one) is only copied (one test instead of the conversion's copy and three passes)."""
    a = _values(series)
    if type(a) is np.ndarray and a.dtype == np.float64 and np.count_nonzero(np.isfinite(a)) == len(a):
        return a.copy()
    return _zero_nan(_floats(series))


def _texts(series: pd.Series, empty: str = "") -> pd.Series:
    """Stripped text, ``empty`` for blanks."""
    if isinstance(series.dtype, pd.StringDtype):  # the reader's text columns: str or missing
        # Python's str.strip() removes exactly what pandas' .str.strip() does (checked on
        # every code point); big columns are stripped once per distinct value
        if len(series) < 2_000:
            out = [(v.strip() or empty) if isinstance(v, str) else empty for v in series.tolist()]
            return pd.Series(out, index=series.index, dtype=object, name=series.name)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        table = np.array([(v.strip() or empty) for v in uniques.tolist()] + [empty], dtype=object)
        return pd.Series(table[codes], index=series.index, dtype=object, name=series.name)
    s = series.astype("string").str.strip().fillna("")
    if empty:
        s = s.mask(s == "", empty)
    return s.astype(object)


def _pylist(a: Any) -> list[Any]:
    """``Series(a).tolist()``, except that an Arrow text column gives None for a blank (its
    own list: ~5 µs instead of ~15 for 200 values)."""
    pa_array = getattr(a, "_pa_array", None)
    if pa_array is not None and isinstance(a.dtype, pd.StringDtype):
        return pa_array.to_pylist()
    return a.tolist()


def _text_list(series: pd.Series | Any, empty: str = "") -> list[str]:
    """``_texts(series, empty).tolist()``; a small column of text (or blanks) in plain
    Python. ``series``: a Series or its array."""
    a = _values(series)
    if len(a) < 2_000:
        if isinstance(a.dtype, pd.StringDtype):  # str or missing
            return [(v.strip() or empty) if type(v) is str else empty for v in _pylist(a)]
        if a.dtype == object:
            values = a.tolist()
            # str or a blank (None, NaN, NA) only: what astype("string").str.strip() does to them
            if all(type(v) is str or v is None or v is pd.NA or (type(v) is float and v != v) for v in values):
                return [(v.strip() or empty) if type(v) is str else empty for v in values]
    return _texts(_series(series), empty).tolist()


def _notna_list(series: pd.Series | Any) -> list[bool]:
    """``series.notna().tolist()`` for a small column (one scalar test per value; dates
    by numpy). ``series``: a Series or its array."""
    a = _values(series)
    if isinstance(a.dtype, np.dtype) and a.dtype.kind == "M":
        return (~np.isnat(np.asarray(a))).tolist()
    if isinstance(a.dtype, pd.StringDtype) and getattr(a, "_pa_array", None) is not None:  # Arrow text: null is its only blank
        return [v is not None for v in a._pa_array.to_pylist()]
    isna = pd.isna
    return [type(v) is str or not isna(v) for v in a.tolist()]


def _group_sums(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Column sums of ``values`` (rows × k, or one column) per code 0..n-1 (codes < 0
    skipped, NaN skipped, an empty group sums to 0): the numbers of
    ``DataFrame(values).groupby(keys).sum()`` when ``codes`` are the keys' ranks
    (what pandas numbers the groups by), without building a frame, hashing the keys and
    an index (~20 µs instead of ~300 µs).

    The last digit depends on how pandas adds: its cython kernel adds a group's rows in
    row order with Kahan compensation; pandas ≥ 3.1 adds groups whose rows come sorted by
    group (and no NaN) with ``np.add.reduceat`` instead. Both are reproduced here with
    the same calls on the same memory layout (a frame's block is columns × rows)."""
    one = values.ndim == 1
    codes = np.asarray(codes, dtype=np.intp)
    if (len(codes) and codes[0] >= 0 and _sorted_groups_by_reduceat()
            and not np.count_nonzero(codes[1:] < codes[:-1])):
        block = np.ascontiguousarray((values[None, :] if one else values.T), dtype=np.float64)
        if not np.count_nonzero(np.isnan(block)):
            out = np.zeros((block.shape[0], n), dtype=np.float64)
            starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))  # (np.r_: ~5 µs of Python)
            out[:, codes[starts]] = np.add.reduceat(block, starts, axis=1)
            return out[0] if one else out.T
    # the kernel adds row after row whatever the memory layout: the rows as they are
    rows = np.asarray(values[:, None] if one else values, dtype=np.float64)
    try:
        sums = np.zeros((n, rows.shape[1]), dtype=np.float64)
        _group_sum_kernel(sums, np.zeros(n, dtype=np.int64), rows, codes, None, min_count=0)
    except Exception:  # pragma: no cover - a pandas whose kernel is not callable so: its group-by
        ok = codes >= 0
        sums = (pd.DataFrame(rows[ok]).groupby(codes[ok]).sum()
                .reindex(range(n), fill_value=0.0).to_numpy(dtype=np.float64))
    return sums[:, 0] if one else sums


def _unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(x, return_inverse=True)`` of a float array without NaN: halves of whole
    numbers over a short span by a table of that span, else by hashing (only the distinct
    values sorted); no full sort of the keys (5,000 keys: ~15 µs instead of ~60). (0.0
    and -0.0 are one key either way; which of them stands for it may differ.)"""
    if len(x):  # task IDs (whole numbers) and PROJECT_KEY (-0.5): doubled, a table over their span
        y = x * 2.0
        lo, hi = float(y.min()), float(y.max())
        if math.isfinite(lo) and math.isfinite(hi) and hi - lo <= 4 * len(x) + 1024:
            at = y - lo
            pos = at.astype(np.intp)
            if np.count_nonzero(pos == at) == len(pos):
                present = np.zeros(int(hi - lo) + 1, dtype=bool)
                present[pos] = True
                rank = np.cumsum(present, dtype=np.intp) - 1
                return (np.flatnonzero(present) + lo) / 2.0, rank[pos]
    inverse, distinct = pd.factorize(x)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order), dtype=np.intp)
    return distinct[order], rank[inverse]


@functools.cache
def _sorted_groups_by_reduceat() -> bool:
    """Whether this pandas sums groups of rows sorted by group with np.add.reduceat (a
    probe on five numbers whose two sums differ in the last digit)."""
    x = np.array([447.9, 258.86, 1090.56, 614.61, 994.34])
    by_pandas = float(pd.Series(x).groupby(np.zeros(5, dtype=np.intp)).sum().iloc[0])
    return by_pandas == float(np.add.reduceat(x, [0])[0])


def _setting_number(settings: Mapping[str, Any], name: str, default: float = 0.0) -> float:
    v: Any = settings.get(name)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


def _frame(tables: Mapping[str, Any], name: str) -> pd.DataFrame:
    """Table ``name`` (a DataFrame or a :class:`~pmo_xl.model.TableData`), with every
    contract column present (missing ones empty)."""
    return _table(tables, name).frame


@functools.cache
def _headers(name: str) -> tuple[str, ...]:
    return tuple(TABLES[name].headers)


class _Table:
    """A table's frame and its columns by name as arrays (numpy or extension arrays), by
    :func:`~pmo_xl.engine._columns.column_array` with the headers' positions found once
    (~40 columns are read per roll-up)."""

    __slots__ = ("frame", "_pos")

    def __init__(self, frame: pd.DataFrame, pos: dict[Any, int] | None = None):
        self.frame = frame
        # (Arrow's list of text headers: half Index.tolist's cost)
        self._pos = pos if pos is not None else positions(frame, _pylist(frame.columns._values))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def index(self) -> pd.Index:
        return self.frame.index

    def __getitem__(self, name: str) -> Any:
        return column_array(self.frame, name, self._pos)


def _table(tables: Mapping[str, Any], name: str) -> _Table:
    """:func:`_frame` of ``tables`` as a :class:`_Table`."""
    t = tables.get(name)
    # (a frame's getattr looks for a column of that name first: ~50 µs on text headers)
    df = t if t is None or isinstance(t, pd.DataFrame) else getattr(t, "frame", t)
    headers = _headers(name)
    if df is None:
        return _Table(pd.DataFrame({h: pd.Series(dtype=object) for h in headers}))
    names = _pylist(df.columns._values)  # (Arrow's list of text headers: half Index.tolist's cost)
    pos = positions(df, names)
    missing = [h for h in headers if h not in (pos if pos is not None else names)]
    if missing:
        return _Table(df.reindex(columns=[*df.columns, *missing]))
    return _Table(df, pos)


def _plain(v: Any) -> Any:
    """JSON-ready scalar: None for NaN/NaT/NA, ISO text for dates, Python numbers."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else str(v.astype("datetime64[D]"))
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


def snake(header: str) -> str:
    """A table header as a JSON key: ``% Spent`` → ``pct_spent``, ``Cum PV`` → ``cum_pv``."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower().replace("%", "pct")).strip("_")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A roll-up table as JSON records: snake_case keys, plain values."""
    keys = [snake(str(c)) for c in frame.columns]
    columns = [_plain_column(frame[c]) for c in frame.columns]
    return [dict(zip(keys, row)) for row in zip(*columns)]


def _plain_column(s: pd.Series) -> list[Any]:
    """A column as a list of JSON-ready values (vectorised :func:`_plain`)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime("%Y-%m-%d")
        return text.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return [bool(v) for v in s]
    if pd.api.types.is_float_dtype(s):
        a = s.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(a), a.astype(object), None).tolist()
    if pd.api.types.is_integer_dtype(s):
        missing = s.isna().to_numpy().tolist()
        values = s.to_numpy(dtype="int64", na_value=0).tolist()
        return [None if m else v for v, m in zip(values, missing)]
    # text (str, or NaN for a blank) and finite floats as they are; anything else by _plain
    isfinite = math.isfinite
    return [v if (t := type(v)) is str or (t is float and isfinite(v)) else _plain(v) for v in s.tolist()]


def _int_ids(ids: np.ndarray) -> pd.arrays.IntegerArray:
    """Float task IDs (NaN = none) as a nullable Int64 array."""
    missing = np.isnan(ids)
    return pd.arrays.IntegerArray(np.where(missing, 0, ids).astype(np.int64), missing)


def _variance(budget: np.ndarray, ac: np.ndarray) -> dict[str, np.ndarray]:
    """Variance = Budget − AC; % Spent = AC / Budget (None when the budget is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        spent = np.where(np.abs(budget) > 1e-9, ac / np.where(budget == 0, 1, budget), np.nan)
    return {"Variance": budget - ac, "% Spent": np.where(np.isnan(spent), None, spent.astype(object))}


# --------------------------------------------------------------------------- calendar axis


@dataclass
class DayAxis:
    """Every calendar day from ``lo`` to ``hi`` and which of them are working days.

    ``wcum[i]`` = working days among ``days[0..i]``; ``W(d)`` = working days on or before
    ``d`` — the cumulative working-day index used for all phasing.
    """

    days: np.ndarray  # datetime64[D]
    working: np.ndarray  # bool
    wcum: np.ndarray  # int64
    wdays: np.ndarray  # datetime64[D] of the working days, in order

    @classmethod
    def build(cls, calendar: WorkCalendar, lo: np.datetime64, hi: np.datetime64) -> "DayAxis":
        days = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
        indices_of = getattr(calendar, "indices_of", None)
        if callable(indices_of):  # pmo_xl's Calendar: one vectorised call
            # index_of(d) is the index of the last working day on or before d, so d is a
            # working day exactly when its index is above the previous day's
            idx = np.asarray(indices_of(np.concatenate([days[:1] - np.timedelta64(1, "D"), days])), dtype=float)
            working = np.diff(idx) > 0
        else:
            working = np.fromiter((calendar.is_working(d) for d in days.astype(object)), dtype=bool, count=len(days))
        return cls(days, working, np.cumsum(working, dtype=np.int64), days[working])

    @property
    def total(self) -> int:
        return int(self.wcum[-1]) if len(self.wcum) else 0

    def W(self, dates: np.ndarray) -> np.ndarray:
        """Working days on or before each date (dates outside the axis are clamped)."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        pos = (dates - self.days[0]).astype(np.int64)
        out = self.wcum[np.minimum(np.maximum(pos, 0), len(self.days) - 1)]  # (np.clip: ~8 µs of dispatch)
        return np.where(pos < 0, 0, out)

    def W_at(self, date: np.datetime64) -> int:
        """``int(W(np.array([date]))[0])``: one date's W by Python arithmetic (no ufunc
        dispatch on one-element arrays); NaT is before the axis, 0."""
        pos = int(np.datetime64(date, "D").view(np.int64)) - int(self.days[0].view(np.int64))
        return 0 if pos < 0 else int(self.wcum[min(pos, len(self.days) - 1)])

    def spread(self, starts: np.ndarray, ends: np.ndarray, snap: str = "after") -> tuple[np.ndarray, np.ndarray]:
        """Each window [start, end] as (working days before it, working days in it ≥ 1).

        A window without a working day is moved to one day: the first working day after
        its start (``snap="after"``) or the last one on or before its end (``"before"``).
        """
        before = self.W(starts - np.timedelta64(1, "D"))
        n = self.W(ends) - before
        empty = n <= 0
        if np.count_nonzero(empty):
            if snap == "before":
                last = self.W(ends)
                snapped = np.where(last > 0, last - 1, before)
            else:
                snapped = np.where(before < self.total, before, self.total - 1)
            before = np.where(empty, snapped, before)
            n = np.where(empty, 1, n)
        return before.astype(np.int64), n.astype(np.int64)


def _fraction(before: np.ndarray, n: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Share of each line (rows) phased by working index ``w`` (columns)."""
    # np.clip by its two ufuncs (its dispatch costs ~8 µs); no NaN or -0.0 here (n >= 1)
    return np.minimum(np.maximum((np.asarray(w, dtype=float)[None, :] - before[:, None]) / n[:, None], 0.0), 1.0)


def _daily(before: np.ndarray, n: np.ndarray, amount: np.ndarray, total: int) -> np.ndarray:
    """Amount per working day (index k = working day k + 1), by a difference array."""
    diff = np.zeros(total + 2)
    rate = np.divide(amount, n, out=np.zeros_like(amount), where=n > 0)
    np.add.at(diff, before, rate)
    np.add.at(diff, np.minimum(before + n, total + 1), -rate)
    return np.cumsum(diff)[:total]


# --------------------------------------------------------------------------- result


@python_class  # (its instances keep a __dict__, read through _TableField)
@dataclass
class RollupResult:
    """Everything ``pmo-xl rollup`` reports for one workbook (SPEC §5, §8).

    The DataFrames have the headers of the Rollup sheet's tables (schema.TABLES);
    :meth:`to_dict` gives the JSON, :meth:`tables` the frames to write. The seven tables
    (and the notes, whose last one needs the unrated people's hours; and the EVM, PD and
    AT, which need the earned schedule's PV curve: :meth:`evm_values` reads the cost
    metrics without it) are built on their first read, from what :func:`rollup` had read
    (see :class:`_Later`;
    one whose building could fail or warn is built in :func:`rollup`);
    :meth:`table_columns` hands over by month's and by category's columns unbuilt.
    """

    status_date: _dt.date
    currency: str
    evm: EVM
    rag: str
    by_task: pd.DataFrame
    by_category: pd.DataFrame
    by_month: pd.DataFrame
    by_person: pd.DataFrame
    reserves: pd.DataFrame
    after_status_date: pd.DataFrame
    unrated_people: pd.DataFrame
    planned_duration: float | None = None  # working days, the earned schedule's PD
    actual_time: float | None = None  # working days, AT
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status_date": self.status_date.isoformat(),
            "currency": self.currency,
            "evm": self.evm.to_dict(),
            "rag": self.rag,
            "by_category": records(self.by_category),
            "by_month": records(self.by_month),
            "by_task": records(self.by_task),
            "by_person": records(self.by_person),
            "reserves": records(self.reserves),
            "after_status_date": records(self.after_status_date),
            "unrated_people": records(self.unrated_people),
            "planned_duration": _plain(self.planned_duration),
            "actual_time": _plain(self.actual_time),
            "notes": list(self.notes),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """The Rollup sheet's tables by name, columns as in the contract."""
        return {
            "tblEVM": self.evm.to_frame(),
            "tblRollupTask": self.by_task,
            "tblRollupCategory": self.by_category,
            "tblRollupMonth": self.by_month,
            "tblRollupPerson": self.by_person,
            "tblReserves": self.reserves,
        }

    def table_columns(self, name: str, *, text_lists: bool = False) -> dict[str, Any] | None:
        """Table ``name``'s columns by header, as the arrays its frame will hold (numpy or
        pandas arrays), while the table has not been read; None once it is a frame (read
        that). A portfolio turns by month and by category into rows without their frames.
        ``text_lists``: a text column as the list of its values (str, None for a blank:
        the Arrow column's ``to_pylist()``) instead of that column."""
        v = self.__dict__[name]
        if type(v) is not _Later or v.fn is not _result_frame:
            return None
        return {k: list(c.values) if text_lists and type(c) is _Texts else _column_values(c) for k, c in v.args[0].items()}

    def evm_values(self, *keys: str) -> list[float | None]:
        """``evm.to_dict()[key]`` of each key; the cost metrics
        (:data:`~pmo_xl.engine.evm.COST_KEYS`) without working out the earned schedule while
        the EVM has not been read (a portfolio reads only those)."""
        v = self.__dict__["evm"]
        if type(v) is _Later and v.fn is _EarnedSchedule.evm and all(k in COST_KEYS for k in keys):
            cost = v.args[0].cost
            return [_num(cost[k]) for k in keys]
        d = self.evm.to_dict()
        return [d[k] for k in keys]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (and copied) with every table built."""
        return {k: (getattr(self, k) if type(v) is _Later else v) for k, v in self.__dict__.items()}


class _Later:
    """A result table to build when it is first read: ``fn(*args)``. The arguments are
    the roll-up's own arrays and lists (nothing the caller can change afterwards), and
    ``fn`` cannot fail on them (see :func:`rollup`): reading the table gives the frame
    building it at once would have given."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Any, *args: Any):
        self.fn, self.args = fn, args


@python_class  # (a data descriptor: compiled classes have no __set__ slot)
class _TableField:
    """A :class:`RollupResult` table field (or its notes): a :class:`_Later` value is built
    on its first read and kept (a portfolio reads none of the seven frames, nor the notes;
    each costs ~0.03–0.4 ms)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        try:
            v = obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if type(v) is _Later:
            v = obj.__dict__[self.name] = _built(v)
        return v

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


for _name in ("by_task", "by_category", "by_month", "by_person", "reserves", "after_status_date", "unrated_people", "notes",
              "evm", "planned_duration", "actual_time"):
    setattr(RollupResult, _name, _TableField(_name))
del _name


# --------------------------------------------------------------------------- actuals


AFTER_COLUMNS = ["Table", "Row", "Date", "Person", "Task ID", "Category", "Hours", "Amount", "Reason"]


@dataclass
class Actuals:
    """Counted actual cost lines as arrays (timesheet rows first, then tblCosts rows).

    People and categories are integer codes into ``people`` / ``categories`` (each a
    distinct cleaned name): grouping 200,000 rows by a code costs a fraction of grouping
    them by text. ``person`` is -1 on tblCosts lines.
    """

    timesheet: np.ndarray  # bool: a timesheet row
    date: np.ndarray  # datetime64[D]
    task: np.ndarray  # float task ID, NaN = project level
    person: np.ndarray  # int code into people, -1 = a tblCosts line
    category: np.ndarray  # int code into categories
    hours: np.ndarray
    amount: np.ndarray
    people: np.ndarray  # object
    categories: np.ndarray  # object

    def totals(self, codes: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The codes (≥ 0) that occur, ascending, and the sums of ``columns`` per code (a row
        each): the numbers of pandas' group-by on the labels (see :func:`_group_sums`)."""
        n = int(codes.max()) + 1 if len(codes) else 0
        present = np.flatnonzero(np.bincount(codes, minlength=n))
        if len(columns) == 1:  # (one column: summed as the 1-column block it would be, without that copy)
            return present, _group_sums(codes, columns[0], n)[present][:, None]
        return present, _group_sums(codes, np.column_stack(columns), n)[present]


#: pandas' text dtype (``astype("str")``): str (pandas 3) or object (pandas 2).
_TEXT = pd.Series(["x"]).astype("str").dtype


def _arrow_text() -> Any:
    """The class that holds pandas 3's text columns (``_TEXT`` on Arrow), else None."""
    if getattr(_TEXT, "storage", None) != "pyarrow" or not isinstance(_TEXT, pd.StringDtype):
        return None
    try:
        import pyarrow as pa
        from pandas.arrays import ArrowStringArray
    except ImportError:  # pragma: no cover
        return None
    probe = ["a", None]
    made = ArrowStringArray(pa.array(probe, type=pa.large_string()), dtype=_TEXT)
    return (ArrowStringArray, pa) if made._pa_array.equals(pd.array(probe, dtype=_TEXT)._pa_array) else None


_ARROW_TEXT = _arrow_text()


class _Objects:
    """A result column of Python objects kept as object (the frame constructor would type
    a column of strings str): what ``pd.Series(values, dtype=object)`` gives a frame,
    without building the Series."""

    __slots__ = ("values",)

    def __init__(self, values: list[Any] | np.ndarray):
        self.values = np.array(values, dtype=object)


class _Texts:
    """A result column of text (str or None) kept as the list it is made of, typed by
    :func:`_text_column` when its frame is built or its array asked for: a portfolio
    takes the list itself (:meth:`RollupResult.table_columns`; a handful of names cost
    ~60 µs to put into Arrow cold)."""

    __slots__ = ("values", "text")

    def __init__(self, values: list[Any], text: bool = True):
        self.values, self.text = values, text

    def column(self) -> Any:
        return _text_column(self.values, self.text)


def _text_column(values: list[Any] | np.ndarray, text: bool = True) -> Any:
    """A frame column of text typed ``_TEXT``, else object (which a bare object array
    would not keep: pandas 3 types a column of strings str). ``values``: str or None."""
    if not text:
        return _Objects(values)
    if _ARROW_TEXT is not None:  # str/None straight into Arrow: pd.array's result, for half its cost
        cls, pa = _ARROW_TEXT
        if isinstance(values, np.ndarray):  # (one conversion path: Arrow's of a list)
            values = values.tolist()
        return cls(pa.array(values, type=pa.large_string()), dtype=_TEXT)
    return pd.array(values, dtype=_TEXT)


#: numpy types a frame column keeps as they are (DataFrame(dict) leaves them alone).
_KEPT = frozenset(np.dtype(t) for t in ("float64", "int64", "bool", "datetime64[s]"))
_EXTENSION = pd.api.extensions.ExtensionArray
_DATETIMELIKE = (pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray, pd.arrays.PeriodArray)


@functools.cache
def _column_index(names: tuple[str, ...]) -> pd.Index:
    """A result frame's columns (an Index is immutable, and costs ~15 µs to build)."""
    return pd.Index(list(names))


def _result_frame(data: dict[str, Any]) -> pd.DataFrame:
    """``pd.DataFrame(data)`` (equal-length columns, a RangeIndex) put together from its
    blocks: the constructor's checks, inference and block building cost ~40–150 µs a
    frame. Each column gets the type the constructor gives it: numbers, bools, dates[s]
    and extension arrays as they are, a Series its values, :class:`_Objects` object,
    anything else through pandas' own conversion of a column (sanitize_array);
    :class:`_Texts` by :func:`_text_column`."""
    if any(type(v) is _Texts for v in data.values()):
        data = {k: v.column() if type(v) is _Texts else v for k, v in data.items()}
    if _from_blocks is None:
        return _constructed(data)
    arrays = []
    for v in data.values():
        kind = type(v)
        if kind is _Objects:
            v = v.values
        elif kind is pd.Series:
            if not isinstance(v.index, pd.RangeIndex) or v.index.start != 0 or v.index.step != 1:
                return _constructed(data)
            v = v._values
        elif not ((kind is np.ndarray and v.dtype in _KEPT) or isinstance(v, _EXTENSION)):
            v = _sanitize_array(v, None)
        if v.ndim != 1 or isinstance(v, _DATETIMELIKE):
            return _constructed(data)
        arrays.append(v)
    n = len(arrays[0]) if arrays else 0
    by_dtype: dict[Any, list[int]] = {}
    blocks = []
    for k, a in enumerate(arrays):
        if len(a) != n:
            return _constructed(data)  # (its error)
        if type(a) is np.ndarray:  # numpy columns of one type share a block, as the constructor makes them
            by_dtype.setdefault(a.dtype, []).append(k)
        else:
            blocks.append((a, np.array([k], dtype=np.intp)))
    for ks in by_dtype.values():
        block = np.stack([arrays[k] for k in ks]) if len(ks) > 1 else arrays[ks[0]].reshape(1, -1)
        blocks.append((block, np.array(ks, dtype=np.intp)))
    # a view: the frames share the cached labels, never the Index object (its name can be set)
    return _from_blocks(blocks, index=pd.RangeIndex(n), columns=_column_index(tuple(data)).view())


def _column_values(v: Any) -> Any:
    """A :func:`_result_frame` column's values as an array (numpy or pandas): the values
    its frame column holds, lists (of None: an empty month) as object."""
    kind = type(v)
    if kind is _Texts:
        v = v.column()
        kind = type(v)
    if kind is _Objects:
        return v.values
    if kind is pd.Series:
        return v._values
    return v if isinstance(v, (np.ndarray, _EXTENSION)) else np.array(v, dtype=object)


def _constructed(data: dict[str, Any]) -> pd.DataFrame:
    """``pd.DataFrame(data)``, :class:`_Objects` as object Series."""
    return pd.DataFrame({k: pd.Series(v.values, dtype=object) if type(v) is _Objects else v for k, v in data.items()})


def _resource_people(resources: pd.DataFrame) -> dict[str, tuple[float, str, str]]:
    """tblResources in plain Python (a handful of rows): each person's first row as
    (Rate, Category — Labour when empty —, Role), by cleaned name, in row order."""
    person = resources["Person"]
    out: dict[str, tuple[float, str, str]] = {}
    for p, h, r, c, role in zip(_text_list(person), _notna_list(person), _floats(resources["Rate"]).tolist(),
                                _text_list(resources["Category"], DEFAULT_CATEGORY), _text_list(resources["Role"])):
        if h and p not in out:
            out[p] = (r, c, role)
    return out


def actuals(
    timesheet: pd.DataFrame,
    costs: pd.DataFrame,
    resources: pd.DataFrame,
    status: np.datetime64,
    *,
    int_task_ids: bool = False,
    people_table: Mapping[str, tuple[float, str, str]] | None = None,
) -> tuple[Actuals, pd.DataFrame, pd.DataFrame]:
    """Actual cost lines, split at the status date (end of that day).

    Returns ``(counted, excluded, unrated)``: ``counted`` the :class:`Actuals` dated on or
    before the status date, one line per timesheet row (Amount = Hours × Rate, SPEC §2
    tblTimesheet; Category = the person's, default Labour) and per tblCosts row;
    ``excluded`` the other lines as a frame with columns Table, Row (Excel row), Date,
    Person, Task ID (float, NaN = project level; nullable Int64 with ``int_task_ids``),
    Category, Hours, Amount, Reason;
    ``unrated`` the people with counted hours but no rate (their cost is 0).
    ``people_table``: :func:`_resource_people` of ``resources``, when already read.
    """
    counted, excluded, unrated, _ = _actuals(timesheet, costs, resources, status, int_task_ids, people_table)
    return counted, _built(excluded), _built(unrated)


def _built(table: Any) -> Any:
    """A table, built now if it is a :class:`_Later` (the cyclic collector paused, as in
    rollup_book: the objects made live on and make no cycle; see cpm.collector_paused;
    numpy's floating-point warnings off, as in the roll-up itself: the caller may be any
    code, and pmo_xl's warning filter sees only its own lines)."""
    if type(table) is not _Later:
        return table
    with quiet_numbers():
        if not gc.isenabled():
            return table.fn(*table.args)
        gc.disable()
        try:
            return table.fn(*table.args)
        finally:
            gc.enable()


def _castable(ids: np.ndarray) -> bool:
    """Whether :func:`_int_ids` takes these float IDs without a warning (NaN or in int64's
    range: |id| < 2**63). By the extremes, which np.fmin/np.fmax find skipping NaN (NaN
    when every ID is: castable), without the temporaries of ``np.abs(ids) >= 2**63``."""
    if not len(ids):
        return True
    return not (np.fmax.reduce(ids) >= 2.0**63 or np.fmin.reduce(ids) <= -(2.0**63))


def _actuals(
    timesheet: pd.DataFrame,
    costs: pd.DataFrame,
    resources: pd.DataFrame,
    status: np.datetime64,
    int_task_ids: bool = False,
    people_table: Mapping[str, tuple[float, str, str]] | None = None,
    person_codes: tuple[np.ndarray, list[str]] | None = None,
) -> tuple[Actuals, Any, Any, np.ndarray]:
    """:func:`actuals`, the two frames as :class:`_Later` (built when read), and the
    unrated frame's Hours column. ``person_codes``: see :func:`rollup`."""
    if people_table is None:
        people_table = _resource_people(resources)
    rate = {p: r for p, (r, _, _) in people_table.items()}
    category = {p: c for p, (_, c, _) in people_table.items()}

    # clean and look up each distinct name once (200,000 rows have a few dozen people);
    # names that clean to the same text share one code, blanks are the name ""
    # (a blank name: no rate, the default category)
    shared = _shared_person_codes(timesheet["Person"], person_codes)
    if shared is not None:  # the validator's codes (hashing 5,000 names cold: ~0.15 ms)
        codes, names = shared
    else:
        codes, distinct = pd.factorize(timesheet["Person"], use_na_sentinel=True)
        names = _text_list(distinct) + [""]  # (its values: str, or what the column holds)
    slot_rate = np.array([rate.get(n, np.nan) for n in names[:-1]] + [np.nan], dtype=float)
    slot_cat = [category.get(n, DEFAULT_CATEGORY) for n in names[:-1]] + [DEFAULT_CATEGORY]
    person_of: dict[str, int] = {}  # the distinct cleaned names in order of appearance
    name_code = np.array([person_of.setdefault(n, len(person_of)) for n in names], dtype=np.intp)
    people = np.array(list(person_of), dtype=object)
    blank = len(codes) > 0 and int(codes.min()) < 0  # a row without a name (code -1: the appended slot)
    if len(person_of) == len(names) and not blank:  # every name distinct once cleaned: its code is its person
        person = np.asarray(codes, dtype=np.intp)
    else:
        person = name_code[codes]  # code -1 picks the appended slot
    cost_cat = _text_list(costs["Category"], NO_CATEGORY)
    category_of: dict[str, int] = {}
    cat_code = np.array([category_of.setdefault(c, len(category_of)) for c in slot_cat + cost_cat], dtype=np.intp)
    categories = np.array(list(category_of), dtype=object)
    n_slots = len(slot_cat)

    # (rates cleaned per name, then taken per row: the same values as cleaning every row's)
    row_rate = _zero_nan(slot_rate)[codes]
    unrated_slot = np.isnan(slot_rate)
    # every name met has a rate (the usual case): no line is unrated, no per-line flags
    rated = not blank and not np.count_nonzero(unrated_slot[:-1])
    hours = _numbers(timesheet["Hours"])
    n_ts, n_co = len(timesheet), len(costs)
    is_ts = np.concatenate([np.ones(n_ts, dtype=bool), np.zeros(n_co, dtype=bool)])
    date = np.concatenate([_days(timesheet["Date"]), _days(costs["Date"])])
    task = np.concatenate([_floats(timesheet["Task ID"]), _floats(costs["Task ID"])])
    all_person = np.concatenate([person, np.full(n_co, -1, dtype=np.intp)])
    all_cat = np.concatenate([cat_code[:n_slots][codes], cat_code[n_slots:]])
    all_hours = np.concatenate([hours, np.zeros(n_co)])
    all_amount = np.concatenate([hours * row_rate, _numbers(costs["Amount"])])

    ok = date <= status  # NaT compares False
    if np.count_nonzero(ok) == len(ok):  # every line counted (the usual case): the arrays themselves, no masked copies
        counted = Actuals(is_ts, date, task, all_person, all_cat, all_hours, all_amount, people, categories)
    else:
        counted = Actuals(is_ts[ok], date[ok], task[ok], all_person[ok], all_cat[ok], all_hours[ok], all_amount[ok],
                          people, categories)
    # (the arrays are the roll-up's own; _int_ids of IDs out of int64's range warns: built now)
    excluded: Any = _Later(_excluded, ~ok, timesheet.index.to_numpy(), costs.index.to_numpy(), date, task, all_person,
                      all_cat, all_hours, all_amount, people, categories, int_task_ids)
    if int_task_ids and not _castable(task):
        excluded = _built(excluded)

    if rated:
        unrated_person, unrated_hours = np.zeros(0, dtype=np.intp), np.zeros(0)
    else:
        unrated_line = np.concatenate([unrated_slot[codes], np.zeros(n_co, dtype=bool)])
        flagged = unrated_line[ok] & (counted.hours != 0)
        unrated_person, unrated_hours = counted.person[flagged], counted.hours[flagged]
    # (who they are and their hours are worked out when the table or the roll-up's notes are read)
    booked = _Unrated(people, person_of, rate, unrated_person, unrated_hours, n_ts > 0 and not n_co)
    return counted, excluded, _Later(booked.frame), booked


class _Unrated:
    """The people whose counted hours have no rate (``person``, ``hours``: those lines),
    from the roll-up's own arrays and dicts: :meth:`frame` the table, :meth:`hours` the
    Hours per person (each worked out when asked)."""

    __slots__ = ("people", "person_of", "rate", "person", "booked", "text")

    def __init__(self, people: np.ndarray, person_of: dict[str, int], rate: dict[str, float], person: np.ndarray,
                 hours: np.ndarray, text: bool):
        self.people, self.person_of, self.rate, self.person, self.booked, self.text = people, person_of, rate, person, hours, text

    def sums(self) -> tuple[list[str], np.ndarray]:
        """The people (sorted, as the group-by on names orders them) and their hours."""
        who = sorted(set(self.people[self.person].tolist()))
        if not who:
            return who, np.zeros(0)
        rank = np.zeros(len(self.people), dtype=np.intp)
        rank[[self.person_of[p] for p in who]] = np.arange(len(who))
        return who, _group_sums(rank[self.person], self.booked, len(who))

    def hours(self) -> np.ndarray:
        return self.sums()[1]

    def frame(self) -> pd.DataFrame:
        who, hours = self.sums()
        if not who:  # typed as pandas' group-by of no row types it (Person as the column would be)
            return _no_unrated_frame(self.text)
        return _unrated_frame(who, hours, [("no rate" if p in self.rate else "not in tblResources") for p in who])


def _shared_person_codes(person: Any, person_codes: tuple[np.ndarray, list[str]] | None) -> tuple[np.ndarray, list[str]] | None:
    """The timesheet's Person codes and names as :func:`_actuals` numbers them, taken from
    ``person_codes`` (``(codes, texts)``: stripped texts numbered by first appearance, -1
    for a blank, one code per row) when they can stand for ``pd.factorize`` of the column:
    the reader's Arrow text (where stripping is :func:`_text_list`'s), one code per row,
    and no blank text (a blank cell is missing, so "" is the last name as there); else None."""
    if person_codes is None:
        return None
    codes, texts = person_codes
    a = _values(person)
    pa_array = getattr(a, "_pa_array", None)
    if (pa_array is None or not isinstance(a.dtype, pd.StringDtype) or len(codes) != len(a)
            or int(np.count_nonzero(codes < 0)) != pa_array.null_count):
        return None
    return codes, [*texts, ""]  # (code -1 picks the blank name, last)


def _unrated_frame(who: list[str], hours: np.ndarray, reasons: list[str]) -> pd.DataFrame:
    return _result_frame({"Person": _text_column(who), "Hours": hours, "Reason": _text_column(reasons)})


def _no_unrated_frame(text: bool) -> pd.DataFrame:
    return _result_frame({"Person": _text_column([], text), "Hours": np.zeros(0), "Reason": np.zeros(0)})


def _excluded(
    late: np.ndarray,
    ts_rows: np.ndarray,
    co_rows: np.ndarray,
    date: np.ndarray,
    task: np.ndarray,
    person: np.ndarray,
    category: np.ndarray,
    hours: np.ndarray,
    amount: np.ndarray,
    people: np.ndarray,
    categories: np.ndarray,
    int_task_ids: bool = False,
) -> pd.DataFrame:
    """The lines after the status date (or undated): timesheet rows, then tblCosts rows,
    with the column types pandas gives the two tables' frames stacked (text as str when
    the column has a value from a non-empty table, Person object beside tblCosts' None)."""
    n_ts, n_co = len(ts_rows), len(co_rows)
    ts_late = late[:n_ts]
    co_late = late[n_ts:]
    ts_idx, co_idx = np.flatnonzero(ts_late), n_ts + np.flatnonzero(co_late)
    idx = np.concatenate([ts_idx, co_idx])
    if not n_co:
        rows = ts_rows[ts_late]
    elif ts_rows.dtype == co_rows.dtype:
        rows = np.concatenate([ts_rows[ts_late], co_rows[co_late]])
    else:  # (an empty table's index can be typed otherwise): pandas' stacking
        rows = pd.concat([pd.Series(ts_rows[ts_late]), pd.Series(co_rows[co_late])], ignore_index=True).array
    ts_people = people[person[ts_idx]]
    late_date = date[idx]
    reason = ["no date" if undated else "after status date" for undated in np.isnat(late_date).tolist()]
    return _result_frame({
        "Table": _text_column(["tblTimesheet"] * len(ts_idx) + ["tblCosts"] * len(co_idx)),
        "Row": rows,
        "Date": late_date.astype("datetime64[s]"),
        "Person": _text_column([*ts_people.tolist(), *[None] * len(co_idx)], n_ts > 0 and not n_co),
        "Task ID": _int_ids(task[idx]) if int_task_ids else task[idx],
        "Category": _text_column(categories[category[idx]].tolist(), n_ts > 0),
        "Hours": hours[idx],
        "Amount": amount[idx],
        "Reason": _text_column(reason),
    })


# --------------------------------------------------------------------------- windows


@dataclass
class _Tasks:
    """The plan's tasks (the first row of each task ID), as arrays in plan order."""

    keep: np.ndarray  # bool per plan row: the first row of a task ID
    ids: np.ndarray  # float task IDs
    start: np.ndarray  # datetime64[D] phasing window (baseline, else planned dates)
    end: np.ndarray
    pct: np.ndarray  # % complete, 0 when empty
    actual_start: np.ndarray
    actual_finish: np.ndarray
    planned_start: np.ndarray
    ascending: bool = False  # the IDs in strictly ascending order

    def find(self, ids: np.ndarray) -> np.ndarray:
        """Each ID's position among the tasks, -1 when it is no task (NaN included)."""
        ids = np.asarray(ids, dtype=float)
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.intp)
        if self.ascending:  # (their stable argsort is 0, 1, 2...: the IDs are their own sorted order)
            pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        else:
            order = np.argsort(self.ids, kind="stable")
            pos = order[np.minimum(np.searchsorted(self.ids[order], ids), len(order) - 1)]
        return np.where(self.ids[pos] == ids, pos, -1)


#: The plan's date columns the roll-up reads.
_PLAN_DATES = ("Baseline Start", "Baseline Finish", "Start", "Finish", "Actual Start", "Actual Finish")


def _task_windows(plan: pd.DataFrame, dates: Mapping[str, np.ndarray] | None = None) -> _Tasks:
    """Per task ID: the phasing window (baseline, else planned dates), % complete, and the
    dates its progress is attributed to (actual start .. actual finish). ``dates``: the
    plan's date columns as datetime64[D] (:data:`_PLAN_DATES`), when already read."""
    if dates is None:
        dates = {c: _days(plan[c]) for c in _PLAN_DATES}
    ids = _floats(plan["ID"])
    keep = ~np.isnan(ids)
    ascending = bool(np.count_nonzero(keep) == len(keep) and not np.count_nonzero(ids[1:] <= ids[:-1]))
    if ascending:  # every row is its ID's first (a usual plan): the columns as they are, no copies
        rows: Any = slice(None)
    else:
        if np.count_nonzero(keep):  # the first row of each ID
            first = np.zeros(len(ids), dtype=bool)
            first[np.unique(ids, return_index=True)[1]] = True
            keep &= first
        rows = keep
    bs, bf = dates["Baseline Start"][rows], dates["Baseline Finish"][rows]
    s, f = dates["Start"][rows], dates["Finish"][rows]
    has_baseline = ~np.isnat(bs) & ~np.isnat(bf)
    start = np.where(has_baseline, bs, np.where(np.isnat(s), f, s))
    end = np.where(has_baseline, bf, np.where(np.isnat(f), s, f))
    lo, hi = np.minimum(start, end), np.maximum(start, end)  # both NaT, or both dates
    pct = _numbers(plan["% Complete"])[rows]
    return _Tasks(keep, ids[rows], lo, hi, pct, dates["Actual Start"][rows], dates["Actual Finish"][rows], s, ascending)


def _first(*values: Any) -> Any:
    """The first value that is not None (np.datetime64 values can be falsy)."""
    return next((v for v in values if v is not None), None)


def _project_window(
    plan: pd.DataFrame, settings: Mapping[str, Any], dates: Mapping[str, np.ndarray] | None = None
) -> tuple[np.datetime64 | None, np.datetime64 | None]:
    """Earliest Baseline Start .. latest Baseline Finish, else StartDate .. PlannedFinish,
    else the plan's planned dates (``dates``: the plan's date columns, when already read)."""

    def extreme(col: str, reduce: np.ufunc) -> np.datetime64 | None:
        """The column's earliest (np.fmin) or latest (np.fmax) date: fmin/fmax skip NaT,
        so the dates are not masked first (NaT: none)."""
        if not len(plan):
            return None
        d = dates[col] if dates is not None else _days(plan[col])
        found = reduce.reduce(d)
        return None if np.isnat(found) else found

    # the first of each that is not None (a fallback worked out only when needed)
    start = extreme("Baseline Start", np.fmin)
    if start is None:
        start = _day(settings.get("StartDate"))
        if start is None:
            start = extreme("Start", np.fmin)
    end = extreme("Baseline Finish", np.fmax)
    if end is None:
        end = _day(settings.get("PlannedFinish"))
        if end is None:
            end = extreme("Finish", np.fmax)
    if start is None:
        start = end
    if end is None:
        end = start
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end


# --------------------------------------------------------------------------- WBS


def _wbs_key(wbs: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in wbs.split("."))


_NUMBERED_WBS = re.compile(r"[0-9]+(?:\.[0-9]+)*")
#: Codes joined by newlines, all of them numbered (one match for a whole plan).
_ALL_NUMBERED = re.compile(r"[0-9]+(?:\.[0-9]+)*(?:\n[0-9]+(?:\.[0-9]+)*)*")


def _wbs_sorted(codes: Iterable[str]) -> list[str]:
    """``sorted(codes, key=_wbs_key)``, each distinct part keyed once."""
    codes = list(codes)
    if all(map(_NUMBERED_WBS.fullmatch, codes)):  # only numbers: the keys order as the numbers do
        return sorted(codes, key=lambda w: tuple(map(int, w.split("."))))
    part_key: dict[str, tuple] = {}

    def key(wbs: str) -> tuple:
        out = []
        for p in wbs.split("."):
            k = part_key.get(p)
            if k is None:
                k = part_key[p] = (0, int(p), "") if p.isdigit() else (1, 0, p)
            out.append(k)
        return tuple(out)

    return sorted(codes, key=key)


def _wbs_prefixes(wbs: str) -> list[str]:
    """The codes of a WBS code's ancestors, outermost first: ``1.2.3`` → ``1``, ``1.2``."""
    parts = wbs.split(".")
    out = []
    a = parts[0]
    for p in parts[1:]:
        out.append(a)
        a = f"{a}.{p}"
    return out


def _memo_prefixes(memo: dict[str, list[str]], wbs: str) -> list[str]:
    """``_wbs_prefixes(wbs)`` kept in ``memo``: a code's list is its parent's plus the parent."""
    pre = memo.get(wbs)
    if pre is None:
        parent = wbs.rpartition(".")[0] if "." in wbs else None
        if parent is not None and parent in memo:  # the common case: the parent came first
            pre = memo[wbs] = [*memo[parent], parent]
            return pre
        chain = [wbs]  # wbs and its parents up to the first one known (or without a parent)
        while chain[-1] not in memo and "." in chain[-1]:
            chain.append(chain[-1].rpartition(".")[0])
        if chain[-1] not in memo:
            memo[chain[-1]] = []
        for code, parent in zip(reversed(chain[:-1]), reversed(chain[1:])):
            memo[code] = [*memo[parent], parent]
        pre = memo[wbs]
    return pre


def _wbs_tree(codes: list[str], node_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The WBS tree of the plan's codes (``codes`` in node order, ``node_of`` their
    positions; missing ancestors are appended to both, in the order they are met: each
    plan code's ancestors outermost first). Returns the (ancestor, node) pairs as two
    index arrays — node by node in node order, each node's ancestors outermost first —,
    each node's level (1 + its ancestors) and the nodes in WBS order."""
    n_plan = len(codes)
    # the usual plan: every code's parent is a code met before it, every part a number;
    # each node's ancestors and sort key are then its parent's plus one
    anc: list[list[int]] = []
    general = False  # found a code whose parent is not a code before it
    joined = "\n".join(codes)
    numbered = _ALL_NUMBERED.fullmatch(joined) is not None and joined.count("\n") == len(codes) - 1
    keys: list[tuple[int, ...]] = []
    for j, w in enumerate(codes):
        parent, dot, last = w.rpartition(".")
        if not dot:
            anc.append([])
            if numbered:
                keys.append((int(w),))
            continue
        p = node_of.get(parent)
        if p is None or p >= j:
            general = True  # the general way
            break
        anc.append([*anc[p], p])
        if numbered:
            keys.append(keys[p] + (int(last),))
    if general:
        prefixes: dict[str, list[str]] = {}  # WBS -> its ancestors' codes, outermost first
        for w in codes[:n_plan]:
            for a in _memo_prefixes(prefixes, w):
                if a not in node_of:
                    node_of[a] = len(codes)
                    codes.append(a)
        anc = [[node_of[a] for a in prefixes[w]] for w in codes]
        numbered = False
    depth = [len(a) for a in anc]
    anc_idx = np.fromiter(chain.from_iterable(anc), dtype=np.intp, count=sum(depth))
    node_idx = np.repeat(np.arange(len(codes), dtype=np.intp), depth)
    if numbered:  # (the numbers' order is _wbs_key's)
        order = sorted(range(len(codes)), key=keys.__getitem__)
    else:
        order = [node_of[w] for w in _wbs_sorted(codes)]
    return anc_idx, node_idx, np.array(depth, dtype=np.int64) + 1, order


def _by_task(plan: pd.DataFrame, tasks: _Tasks, dkeys: np.ndarray, dmat: np.ndarray) -> pd.DataFrame:
    """tblRollupTask: plan rows in WBS order, each summary row (a WBS with descendants)
    summing its own and its descendants' values; missing WBS parents are added as summary
    rows; amounts booked directly on a summary task get their own leaf row below it;
    tasks not in the plan and the project level come last. Leaf rows (Summary = False)
    add up to the project totals.

    ``dkeys`` are the task IDs (ascending, :data:`PROJECT_KEY` for the project level) that
    carry amounts, ``dmat`` their Budget, PV, EV, AC, Hours booked directly."""
    return _task_table(_text_list(plan["WBS"]), _text_list(plan["Task"]), tasks, dkeys, dmat)


def _task_table_fails(wbs: list[str], tasks: _Tasks, dkeys: np.ndarray, dmat: np.ndarray) -> bool:
    """Whether :func:`_task_table` could raise (or warn) on these: WBS parts that
    ``str.isdigit`` but ``int`` refuses (non-ASCII digits, very long numbers), task IDs
    out of int64's range, amounts whose sums could overflow. Cheap, and False on any
    usual plan."""
    if _wbs_or_ids_fail(wbs, tasks.ids) or not _castable(dkeys):
        return True
    # a total sums at most every row's values, a variance two totals
    largest = float(np.abs(dmat).max()) if dmat.size else 0.0
    return not largest * (2 * len(dmat) + 2) < 1e308  # (NaN: True)


def _task_sums(lines: _Budget, line_pv: np.ndarray, line_ev: np.ndarray, counted: Actuals) -> tuple[np.ndarray, np.ndarray]:
    """The task IDs that carry amounts (ascending, :data:`PROJECT_KEY` for the project
    level) and their Budget, PV, EV, AC, Hours booked directly (``dkeys``, ``dmat`` of
    :func:`_by_task`)."""
    key = np.where(lines.is_task, lines.task, PROJECT_KEY)
    a_key = np.where(np.isnan(counted.task), PROJECT_KEY, counted.task)
    dkeys, key_of = _unique_inverse(np.concatenate([key, a_key]))
    dmat = np.column_stack([
        _group_sums(key_of[:len(key)], np.column_stack([lines.amount, line_pv, line_ev]), len(dkeys)),
        _group_sums(key_of[len(key):], np.column_stack([counted.amount, counted.hours]), len(dkeys)),
    ])
    return dkeys, dmat


def _task_rollup(wbs: list[str], names: Any, tasks: _Tasks, lines: _Budget, line_pv: np.ndarray,
                 line_ev: np.ndarray, counted: Actuals) -> pd.DataFrame:
    """tblRollupTask from the roll-up's own arrays (``names``: :func:`_kept_texts`)."""
    return _task_table(wbs, _texts_of(names), tasks, *_task_sums(lines, line_pv, line_ev, counted))


def _task_rollup_may_fail(wbs: list[str], tasks: _Tasks, lines: _Budget, line_pv: np.ndarray,
                          line_ev: np.ndarray, counted: Actuals) -> bool:
    """:func:`_task_table_fails` of :func:`_task_sums` without those sums: True whenever
    that is (the task IDs are among the lines' and the actuals', and a sum is at most
    its rows' count times their largest value, twice for Kahan's rounding); False on
    any usual plan."""
    values = (lines.amount, line_pv, line_ev, counted.amount, counted.hours)
    ends = np.array([x for v in values if len(v) for x in (v.max(), v.min())], dtype=float)
    largest = float(np.abs(ends).max()) if len(ends) else 0.0  # (NaN stays NaN)
    rows = len(lines.amount) + len(counted.amount) + 1
    if not largest * 2 * rows * (2 * rows + 2) < 1e308:  # (NaN: True)
        return True
    return _wbs_or_ids_fail(wbs, tasks.ids) or not (_castable(lines.task) and _castable(counted.task))


def _kept_texts(column: Any) -> Any:
    """:func:`_text_list` of a text column, to take later (:func:`_texts_of`): an Arrow
    column's data as it is (immutable: writing into the column replaces it), else the list."""
    a = _values(column)
    pa_array = getattr(a, "_pa_array", None)
    if pa_array is not None and isinstance(a.dtype, pd.StringDtype):
        return pa_array
    return _text_list(column)


def _texts_of(kept: Any) -> list[str]:
    """The list :func:`_kept_texts` stands for (what :func:`_text_list` gives: str stripped, "" for a blank)."""
    if type(kept) is list:
        return kept
    return [(v.strip() or "") if type(v) is str else "" for v in kept.to_pylist()]


def _wbs_or_ids_fail(wbs: list[str], ids: np.ndarray) -> bool:
    """Whether some WBS part may ``str.isdigit`` but be refused by ``int`` (non-ASCII
    digits, very long numbers) or a task ID is out of int64's range."""
    joined = "".join(wbs)
    if not joined.isascii() or (len(joined) > 640 and max(map(len, wbs)) > 640):  # (640: the lowest int-digits limit)
        return True
    return not _castable(ids)


def _task_table(wbs_rows: list[str], name_rows: list[str], tasks: _Tasks, dkeys: np.ndarray, dmat: np.ndarray) -> pd.DataFrame:
    """:func:`_by_task` of the plan's WBS and Task texts (:func:`_text_list` of its columns)."""
    values = ["Budget", "PV", "EV", "AC", "Hours"]
    keep = tasks.keep.tolist()
    wbs = list(compress(wbs_rows, keep))
    names = list(compress(name_rows, keep))
    pid = tasks.ids.tolist()

    # one node per WBS code (plan rows first, then missing ancestors)
    node_of = dict(zip(wbs, range(len(wbs))))
    blank = "" in node_of  # plan rows without a WBS
    if not blank and len(node_of) == len(wbs):  # (the usual plan: every code once)
        codes, node_tid, node_name = list(wbs), list(pid), list(names)
    else:
        node_of = {}
        codes, node_tid, node_name = [], [], []
        for i, w in enumerate(wbs):
            if w and w not in node_of:
                node_of[w] = len(codes)
                codes.append(w)
                node_tid.append(pid[i])
                node_name.append(names[i])
    n_plan = len(codes)
    anc_idx, node_idx, level, order = _wbs_tree(codes, node_of)
    n_nodes = len(codes)
    node_name += [f"WBS {a} (not in plan)" for a in codes[n_plan:]]
    tid = np.array(node_tid + [np.nan] * (n_nodes - n_plan), dtype=float)
    has_child = np.zeros(n_nodes, dtype=bool)
    has_child[anc_idx] = True

    # each node's own values: the direct row of its task (nodes of missing ancestors: none)
    at = np.full(n_nodes, -1, dtype=np.intp)
    if len(dkeys) and n_nodes:
        pos = np.minimum(np.searchsorted(dkeys, tid), len(dkeys) - 1)
        at = np.where(dkeys[pos] == tid, pos, -1)
    own = np.zeros((n_nodes, len(values)))
    own[at >= 0] = dmat[at[at >= 0]]
    in_plan = np.zeros(len(dkeys), dtype=bool)  # direct rows shown on a plan node
    in_plan[at[at >= 0]] = True
    # a summary's total: its own values plus each descendant's, added in node order
    total = own.copy()
    if len(anc_idx):
        np.add.at(total, anc_idx, own[node_idx])

    # rows in WBS order: a summary's total, then (if it has amounts of its own) a leaf row
    # of those; any other node its own values. The values matrix is own | total | direct | zeros
    order_ = np.array(order, dtype=np.intp)
    leaf_too = has_child[order_] & (own != 0).any(axis=1)[order_]
    rep = np.repeat(order_, 1 + leaf_too)  # the node of each row
    second = np.zeros(len(rep), dtype=bool)  # the leaf row of a summary's own amounts
    second[np.cumsum(1 + leaf_too)[leaf_too] - 1] = True
    summary = has_child[rep] & ~second
    src = np.where(summary, n_nodes + rep, rep)
    row_name = np.array(node_name, dtype=object)[rep]
    for k in np.flatnonzero(second).tolist():
        row_name[k] = row_name[k] + ON_SUMMARY

    # plan rows without a WBS, tasks not in the plan, then the project level (Level 0, leaves)
    zero = 2 * n_nodes + len(dmat)
    more_tid: list[float] = []
    more_name: list[str] = []
    more_src: list[int] = []
    if blank:
        drow = {k: i for i, k in enumerate(dkeys.tolist())}
        for i, w in enumerate(wbs):
            if not w:
                t = pid[i]
                k = drow.get(t)
                more_src.append(2 * n_nodes + k if k is not None and not in_plan[k] else zero)
                if k is not None:
                    in_plan[k] = True
                more_tid.append(t)
                more_name.append(names[i])
    for k in np.flatnonzero(~in_plan & (dkeys != PROJECT_KEY)).tolist():
        more_src.append(2 * n_nodes + k)
        more_tid.append(dkeys[k])
        more_name.append(NOT_IN_PLAN)
    k = int(np.searchsorted(dkeys, PROJECT_KEY))
    if k < len(dkeys) and dkeys[k] == PROJECT_KEY:
        more_src.append(2 * n_nodes + k)
        more_tid.append(np.nan)
        more_name.append(PROJECT_LEVEL)

    m = len(more_src)
    mat = np.vstack([own, total, dmat, np.zeros((1, len(values)))])
    vals = mat[np.concatenate([src, np.array(more_src, dtype=np.intp)])]
    if len(rep) + m:
        wbs_col: Any = _text_column(np.concatenate([np.array(codes, dtype=object)[rep], np.full(m, "", dtype=object)]))
        name_col: Any = _text_column(np.concatenate([row_name, np.array(more_name, dtype=object)]))
    else:  # (as the constructor types an empty list)
        wbs_col = name_col = []
    return _result_frame({
        "Task ID": _int_ids(np.concatenate([tid[rep], np.array(more_tid, dtype=float)])),
        "WBS": wbs_col,
        "Task": name_col,
        "Level": np.concatenate([level[rep] + second, np.zeros(m, dtype=np.int64)]),
        "Summary": np.concatenate([summary, np.zeros(m, dtype=bool)]),
        **{v: vals[:, k] for k, v in enumerate(values)},
        **_variance(vals[:, 0], vals[:, 3]),
    })


# --------------------------------------------------------------------------- the roll-up


def _status(status_date: Any, settings: Mapping[str, Any], notes: list[str]) -> np.datetime64:
    d = _day(status_date) if status_date is not None else None
    if d is None:
        d = _day(settings.get("StatusDate"))
    if d is None:
        d = np.datetime64(_dt.date.today(), "D")
        notes.append("No status date (StatusDate is empty): today's date was used.")
    return d


def _category_order(names: Iterable[str]) -> list[str]:
    known = list(LISTS["CostCategory"])
    names = set(names)
    return [c for c in known if c in names] + sorted(n for n in names if n not in known)


@dataclass
class _Budget:
    """tblBudget as arrays: one entry per line, with its phasing window."""

    amount: np.ndarray
    task: np.ndarray  # float task ID, NaN = project level
    category: np.ndarray
    start: np.ndarray  # datetime64[D] window (before snapping to working days)
    end: np.ndarray
    known: np.ndarray  # bool: a task line whose task is in the plan
    at: np.ndarray  # the task's position in the plan's tasks, -1 = none
    before: np.ndarray | None = None  # working days before the line's first day
    n: np.ndarray | None = None  # working days the line is spread over (>= 1)
    _is_task: np.ndarray | None = field(default=None, repr=False, compare=False)  # see is_task

    @property
    def is_task(self) -> np.ndarray:
        """A task line (not a project-level one), worked out once."""
        if self._is_task is None:
            self._is_task = ~np.isnan(self.task)
        return self._is_task


def _budget_windows(
    budget: pd.DataFrame, tasks: _Tasks, window: tuple[np.datetime64, np.datetime64], notes: list[str]
) -> _Budget:
    """Each line's phasing window by the SPEC §5 rules: its Period's month; else its
    task's baseline (planned) dates; else the project window."""
    amount = _numbers(budget["Amount"])
    task = _floats(budget["Task ID"])
    start = np.full(len(budget), window[0], dtype="datetime64[D]")
    end = np.full(len(budget), window[1], dtype="datetime64[D]")
    is_task = ~np.isnan(task)
    at = tasks.find(task)
    known = at >= 0
    if np.count_nonzero(known):
        ts, te = tasks.start[at[known]], tasks.end[at[known]]
        dated = ~np.isnat(ts)
        idx = np.flatnonzero(known)[dated]
        start[idx], end[idx] = ts[dated], te[dated]
        if np.count_nonzero(dated) < len(dated):
            notes.append(f"{int((~dated).sum())} budget line(s) on tasks without dates were spread over the project window.")
    if np.count_nonzero(is_task & ~known):
        notes.append(
            f"{int((is_task & ~known).sum())} budget line(s) on tasks not in the plan were spread over the "
            "project window and earn no value."
        )
    period = _days(budget["Period"])
    has_period = ~np.isnat(period)
    month = period[has_period].astype("datetime64[M]")
    start[has_period] = month.astype("datetime64[D]")
    end[has_period] = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    category = np.array(_text_list(budget["Category"], NO_CATEGORY), dtype=object)
    return _Budget(amount, task, category, start, end, known, at, _is_task=is_task)  # (is_task: worked out above)


def _progress_windows(
    lines: _Budget, tasks: _Tasks, status: np.datetime64, fallback: np.datetime64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each task's earned value (budget × % complete; tasks with budget lines, ascending
    ID) and the dates it is attributed to for the S-curve: Actual Start (else Start, else
    the baseline start) .. Actual Finish, or the status date while the task is not finished."""
    line_task = lines.task[lines.known]
    if not np.count_nonzero(line_task[1:] <= line_task[:-1]):  # one line per task, by ID (no NaN here): np.unique's
        at, line_of = lines.at[lines.known], np.arange(len(line_task), dtype=np.intp)
    else:
        _ids, first, line_of = np.unique(line_task, return_index=True, return_inverse=True)
        at = lines.at[lines.known][first]  # (each line's task, found already)
    ev_task = _group_sums(line_of.reshape(-1), lines.amount[lines.known], len(at)) * tasks.pct[at]
    start = tasks.actual_start[at]
    for alt in (tasks.planned_start, tasks.start):
        start = np.where(np.isnat(start), alt[at], start)
    start = np.where(np.isnat(start), fallback, start)
    finish = tasks.actual_finish[at]
    end = np.where(np.isnat(finish) | (finish > status), status, finish)
    return ev_task, np.minimum(start, end), end


def _s_curve(
    axis: DayAxis,
    lines: _Budget,
    ev_task: np.ndarray,
    ev_before: np.ndarray,
    ev_n: np.ndarray,
    counted: Actuals,
    status: np.datetime64,
    ev: float,
    w_status: int | None = None,
) -> "_Later":
    """tblRollupMonth: PV, EV, AC per month and cumulative. PV runs to the end of the
    plan; EV and AC stop at the status month (later months are empty). EV per month:
    each task's earned value spread evenly over the working days of its progress window
    (:func:`_progress_windows`), level-of-effort lines as their PV. Its columns, made a
    frame when read (a portfolio takes them as rows: :meth:`RollupResult.table_columns`)."""
    before, n, amount = lines.before, lines.n, lines.amount
    assert before is not None and n is not None  # (spread on the axis by rollup())
    active = amount != 0
    if w_status is None:
        w_status = axis.W_at(status)
    # the earliest first day (each array's own minimum: no concatenated copy of the actuals' dates)
    firsts = [axis.wdays[before[active]], axis.wdays[ev_before], counted.date]
    start = min([d.min() for d in firsts if len(d)] + [status])
    ends = [status] + ([axis.wdays[int((before + n)[active].max()) - 1]] if np.count_nonzero(active) else [])
    this_month = status.astype("datetime64[M]")
    months = np.arange(
        start.astype("datetime64[M]"), max(ends).astype("datetime64[M]") + np.timedelta64(1, "M"), dtype="datetime64[M]"
    )
    w_end = axis.W((months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D"))
    cum_pv = amount @ _fraction(before, n, w_end) if len(amount) else np.zeros(len(months))
    w_ev = np.minimum(w_end, w_status)
    cum_ev = ev_task @ _fraction(ev_before, ev_n, w_ev) if len(ev_task) else np.zeros(len(months))
    loe = ~lines.is_task
    if np.count_nonzero(loe):
        cum_ev = cum_ev + amount[loe] @ _fraction(before[loe], n[loe], w_ev)
    # progress with no working day on or before the status date to sit on (a status date
    # before the first working day) is counted in the status month
    cum_ev = cum_ev + np.where(months >= this_month, ev - cum_ev[months == this_month].sum(), 0.0)
    # each day to its month once (200,000 day-to-month conversions cost ~5 ms): a table
    # over the days' span, else the distinct days; then the month's position on the axis
    # (the same sums as a group-by on the dates)
    day = counted.date.view(np.int64)
    first = int(day.min()) if len(day) else 0
    span = int(day.max()) - first + 1 if len(day) else 0
    if span <= 4 * len(day) + 400:
        day_codes, days = day - first, np.arange(first, first + span, dtype=np.int64)
    else:
        day_codes, days = pd.factorize(day)
    month_of_day = days.view("datetime64[D]").astype("datetime64[M]").view(np.int64) - months[:1].view(np.int64)
    # (months off the axis: -1, tested on the short table of days, not on every line)
    month_of_day = np.where((month_of_day >= 0) & (month_of_day < len(months)), month_of_day, -1)
    ac = _group_sums(month_of_day[day_codes], counted.amount, len(months))
    future = months > this_month

    def upto_status(a: np.ndarray) -> np.ndarray | list[None]:
        # NaN after the status month (pandas' float column of a list with None); all months
        # after it would be None only (cannot happen: the status month is on the axis)
        return np.where(future, np.nan, a) if np.count_nonzero(future) < len(future) else [None] * len(a)

    return _Later(_result_frame,
        {
            "Month": months.astype("datetime64[D]").astype("datetime64[s]"),
            "PV": _steps(cum_pv),
            "EV": upto_status(_steps(cum_ev)),
            "AC": upto_status(ac),
            "Cum PV": cum_pv,
            "Cum EV": upto_status(cum_ev),
            "Cum AC": upto_status(np.cumsum(ac)),
        }
    )


def _steps(cum: np.ndarray) -> np.ndarray:
    """``np.diff(cum, prepend=0.0)`` (the same subtractions, without its dispatch)."""
    return cum - np.concatenate(([0.0], cum[:-1]))


def _earned_schedule_inputs(
    axis: DayAxis, lines: _Budget, start_setting: np.datetime64 | None, w_status: int
) -> tuple[np.ndarray, float | None]:
    """Cumulative PV per working day from the project's first day (the earlier of
    StartDate and the first day carrying budget) to the last day carrying budget, and AT
    (working days from the first day through the status date)."""
    before, n = lines.before, lines.n
    assert before is not None and n is not None  # (spread on the axis by rollup())
    active = lines.amount != 0
    if not np.count_nonzero(active):
        return np.array([]), None
    origin = int(before[active].min())  # working days before day 1
    if start_setting is not None:
        origin = min(origin, axis.W_at(start_setting - np.timedelta64(1, "D")))
    last = int((before + n)[active].max())
    cum_pv = np.cumsum(_daily(before, n, lines.amount, axis.total))[origin:last]
    return cum_pv, float(max(w_status - origin, 0))


class _EarnedSchedule:
    """The earned schedule's inputs (:func:`_earned_schedule_inputs` of ``args``, the
    roll-up's own axis and budget lines), worked out once when first asked, and what is
    made of them: the EVM (``totals``: BAC, PV, EV, AC; ``cost``: their
    :func:`~pmo_xl.engine.evm.cost_metrics`), PD and AT. A portfolio reads only ``cost``."""

    __slots__ = ("args", "totals", "cost", "_inputs")
    _inputs: tuple[np.ndarray, float | None] | None

    def __init__(self, args: tuple[Any, ...], totals: tuple[float, float, float, float], cost: dict[str, float | None]):
        self.args, self.totals, self.cost, self._inputs = args, totals, cost, None

    def inputs(self) -> tuple[np.ndarray, float | None]:
        if self._inputs is None:
            self._inputs = _earned_schedule_inputs(*self.args)
        return self._inputs

    def evm(self) -> EVM:
        return compute_evm(*self.totals, *self.inputs())

    def planned_duration(self) -> float | None:
        cum_pv = self.inputs()[0]
        return float(len(cum_pv)) if len(cum_pv) else None

    def actual_time(self) -> float | None:
        return self.inputs()[1]


def _schedule_sums_bounded(amount: np.ndarray) -> bool:
    """Whether the PV curve's sums (:func:`_daily`, its running sum) stay finite: each is
    at most the lines' count times their largest amount (False for NaN: worked out now)."""
    if not len(amount):
        return True
    return bool(float(np.abs(amount).max()) * (len(amount) + 2) < 1e308)


def _by_category(lines: _Budget, line_pv: np.ndarray, counted: Actuals) -> "_Later":
    """tblRollupCategory: budget, PV, AC per cost category (hours at the person's); its
    columns, made a frame when read (as :func:`_s_curve`'s)."""
    labels = lines.category.tolist()
    names = sorted(set(labels))  # the group-by's groups, in its order
    code_of = {c: i for i, c in enumerate(names)}
    codes = np.array([code_of[c] for c in labels], dtype=np.intp)
    planned = dict(zip(names, _group_sums(codes, np.column_stack([lines.amount, line_pv]), len(names)).tolist()))
    present, ac = counted.totals(counted.category, counted.amount)
    spent = dict(zip(counted.categories[present].tolist(), ac[:, 0].tolist()))
    order = _category_order([*planned, *spent])
    budget = np.array([planned[c][0] if c in planned else 0.0 for c in order], dtype=float)
    pv = np.array([planned[c][1] if c in planned else 0.0 for c in order], dtype=float)
    ac = np.array([spent.get(c, 0.0) for c in order], dtype=float)
    return _Later(_result_frame, {"Category": _Texts(order, bool(order)), "Budget": budget, "PV": pv, "AC": ac,
                                  **_variance(budget, ac)})


def _by_person(
    resources: pd.DataFrame, counted: Actuals, people_table: Mapping[str, tuple[float, str, str]] | None = None
) -> pd.DataFrame:
    """tblRollupPerson: every person of tblResources, then anyone else who booked hours
    (``people_table``: :func:`_resource_people` of ``resources``, when already read)."""
    if people_table is None:
        people_table = _resource_people(resources)
    role_of = {p: role for p, (_, _, role) in people_table.items()}  # each person's first row
    ts = counted.timesheet
    k = int(np.count_nonzero(ts))
    if np.count_nonzero(ts[:k]) == k:  # the timesheet lines come first (as actuals() makes them): the first k
        ts = slice(0, k)
    present, sums = counted.totals(counted.person[ts], counted.hours[ts], counted.amount[ts])
    booked = dict(zip(counted.people[present].tolist(), sums.tolist()))
    others = sorted(p for p in booked if p not in role_of)
    person = [*role_of, *others]
    role = [*role_of.values(), *[""] * len(others)]
    hours = np.array([booked[p][0] if p in booked else 0.0 for p in person], dtype=float)
    cost = np.array([booked[p][1] if p in booked else 0.0 for p in person], dtype=float)
    # typed as tblResources' people stacked over the others would be (text only when both have rows)
    return _result_frame({
        "Person": _text_column(person, bool(role_of) and bool(others)),
        "Role": _text_column(role, bool(role_of)),
        "Hours": hours,
        "Cost": cost,
    })


def rollup(
    tables: Mapping[str, Any],
    settings: Mapping[str, Any],
    calendar: WorkCalendar | None = None,
    status_date: Any = None,
    error_count: int = 0,
    thresholds: RagThresholds | None = None,
    *,
    person_codes: tuple[np.ndarray, list[str]] | None = None,
) -> RollupResult:
    """Actuals vs budget and earned value at the status date (SPEC §5).

    ``tables`` maps table names (tblPlan, tblResources, tblBudget, tblTimesheet, tblCosts,
    tblChanges, tblHolidays) to DataFrames as the reader gives them (or to
    ``TableData``); missing tables count as empty. ``settings`` holds the project
    settings (StartDate, PlannedFinish, StatusDate, Currency, ContingencyReserve,
    ManagementReserve…). ``calendar`` tells working days
    (:class:`pmo_xl.engine.calendar.Calendar`; None builds it from the settings and
    tblHolidays with :func:`project_calendar`). ``status_date`` overrides the StatusDate
    setting (today when both are empty). ``error_count`` is the number of validation
    errors (they bar a Green RAG). ``thresholds`` are the RAG limits.
    ``person_codes`` (optional): tblTimesheet's Person column as the validator coded it
    (:meth:`pmo_xl.engine.rules._context.RuleContext.codes`: ``(codes, texts)``, one code
    per row of the table), so the names are not hashed again; used only where they give
    the very codes the roll-up makes itself.
    """
    notes: list[str] = []
    status = _status(status_date, settings, notes)
    if calendar is None:
        calendar = project_calendar(settings, _frame(tables, "tblHolidays"))
    # the tables' columns are read as arrays (see _Table)
    plan = _table(tables, "tblPlan")
    budget = _table(tables, "tblBudget")
    resources = _table(tables, "tblResources")

    people_table = _resource_people(resources)
    # the tables nobody may read (a portfolio reads by month and by category) are built when
    # read, from the roll-up's own arrays and lists (see _Later)
    counted, excluded, unrated, unrated_hours = _actuals(_table(tables, "tblTimesheet"), _table(tables, "tblCosts"),
                                                          resources, status, True, people_table, person_codes)

    # ---- windows in calendar days
    plan_dates = {c: _days(plan[c]) for c in _PLAN_DATES}
    tasks = _task_windows(plan, plan_dates)
    start_setting = _day(settings.get("StartDate"))
    pstart, pend = _project_window(plan, settings, plan_dates)
    pstart = _first(pstart, start_setting, status)
    pend = _first(pend, pstart)
    lines = _budget_windows(budget, tasks, (pstart, pend), notes)
    ev_task, ev_start, ev_end = _progress_windows(lines, tasks, status, pstart)

    # ---- the working-day axis, and every window as (working days before, working days in)
    extra = [status, pstart, pend] + ([start_setting] if start_setting is not None else [])
    everything = np.concatenate([lines.start, lines.end, ev_start, np.array(extra, dtype="datetime64[D]")])
    axis = DayAxis.build(calendar, everything.min(), everything.max() + np.timedelta64(31, "D"))
    if axis.total == 0:
        raise PmoError("The project calendar has no working day: check WorkWeek and the holidays.")
    lines.before, lines.n = axis.spread(lines.start, lines.end, "after")
    ev_before, ev_n = axis.spread(ev_start, ev_end, "before")
    w_status = axis.W_at(status)

    # ---- PV, EV, AC
    line_pv = lines.amount * _fraction(lines.before, lines.n, np.array([w_status]))[:, 0]
    pct = np.zeros(len(lines.amount))
    pct[lines.known] = tasks.pct[lines.at[lines.known]]
    line_ev = np.where(lines.known, lines.amount * pct, np.where(lines.is_task, 0.0, line_pv))
    bac, pv = float(lines.amount.sum()), float(line_pv.sum())
    ev, ac = float(line_ev.sum()), float(counted.amount.sum())  # (pandas' Series.sum is numpy's)
    cost = cost_metrics(bac, pv, ev, ac)
    # the earned schedule (a PV curve per working day) when read, unless its sums could overflow
    schedule = _EarnedSchedule((axis, lines, start_setting, w_status), (bac, pv, ev, ac), cost)
    if not _schedule_sums_bounded(lines.amount):
        schedule.inputs()

    # by task, and its sums per task ID, when read; unless building it could fail: then now
    wbs = _text_list(plan["WBS"])
    if not _task_rollup_may_fail(wbs, tasks, lines, line_pv, line_ev, counted):
        by_task: Any = _Later(_task_rollup, wbs, _kept_texts(plan["Task"]), tasks, lines, line_pv, line_ev, counted)
    else:  # (the exact check, on the sums)
        dkeys, dmat = _task_sums(lines, line_pv, line_ev, counted)
        by_task = _Later(_task_table, wbs, _text_list(plan["Task"]), tasks, dkeys, dmat)
        if _task_table_fails(wbs, tasks, dkeys, dmat):
            by_task = _built(by_task)
    # (a _Later field is built when read: see _TableField)
    return RollupResult(
        status_date=status.astype(object),
        currency=str(settings.get("Currency") or "EUR"),
        evm=_Later(_EarnedSchedule.evm, schedule),  # type: ignore[arg-type]
        rag=rag(cost["cpi"], cost["spi"], error_count, thresholds),
        by_task=by_task,
        by_category=_by_category(lines, line_pv, counted),
        by_month=_s_curve(axis, lines, ev_task, ev_before, ev_n, counted, status, ev, w_status),
        by_person=_Later(_by_person, None, counted, people_table),
        reserves=_Later(_reserves_later, *_reserve_inputs(_table(tables, "tblChanges"), budget, settings)),
        after_status_date=excluded,
        unrated_people=unrated,
        planned_duration=_Later(_EarnedSchedule.planned_duration, schedule),  # type: ignore[arg-type]
        actual_time=_Later(_EarnedSchedule.actual_time, schedule),  # type: ignore[arg-type]
        notes=_Later(_with_unrated_note, notes, unrated_hours),  # type: ignore[arg-type]
    )


def _with_unrated_note(notes: list[str], unrated: _Unrated) -> list[str]:
    """The roll-up's notes, then the one on hours without a rate (when they add up to
    something: :class:`_Unrated` works them out when the notes are read)."""
    hours = unrated.hours()
    if np.sum(hours) != 0:  # (Series.sum of a float column: numpy's)
        return [*notes, f"{len(hours)} person(s) booked hours without a rate: their hours cost 0."]
    return notes


def _reserves(changes: pd.DataFrame, budget: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    """tblReserves: each reserve's amount (settings), drawn by approved changes funded
    from it (Cost Impact of changes Approved, Implemented, or Closed after approval —
    i.e. with an Implemented Date or a budget line whose Source is the CR ID), remaining."""
    return _reserves_frame(*_reserve_amounts(changes, budget, settings))


def _reserve_amounts(changes: pd.DataFrame, budget: pd.DataFrame, settings: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Each reserve's amount and what approved changes drew from it (:func:`_reserves`)."""
    return _drawn(*_reserve_inputs(changes, budget, settings))


def _reserve_inputs(changes: pd.DataFrame, budget: pd.DataFrame, settings: Mapping[str, Any]) -> tuple[Any, ...]:
    """What :func:`_drawn` reads of the tables and settings, as the roll-up's own values
    (text columns by :func:`_kept_texts`), so the reserves can be worked out when read."""
    implemented = _values(changes["Implemented Date"])
    if isinstance(implemented, np.ndarray) and implemented.dtype.kind == "M":
        implemented = implemented.copy()  # (the reader's dates: a copy, tested when needed)
    else:
        implemented = _notna_list(implemented)
    return (_kept_texts(changes["Status"]), _kept_texts(budget["Source"]), _kept_texts(changes["CR ID"]), implemented,
            _kept_texts(changes["Funding"]), _numbers(changes["Cost Impact"]),
            np.array([_setting_number(settings, setting) for _, setting in RESERVES]))


def _drawn(status: Any, sources: Any, cr: Any, implemented: Any, funding: Any, impact: np.ndarray,
           amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reserves' amounts and what was drawn from each (:func:`_reserve_inputs`' values)."""
    status = _texts_of(status)
    drawing = [s in DRAWING_STATUSES for s in status]
    closed = [i for i, s in enumerate(status) if s == "Closed"]
    if closed:  # approved before it was closed: implemented, or funded by a budget line
        sources = set(_texts_of(sources))
        cr = _texts_of(cr)
        if type(implemented) is not list:
            implemented = _notna_list(implemented)
        for i in closed:
            drawing[i] = implemented[i] or cr[i] in sources
    funding = _texts_of(funding)
    drawns = [float(impact[np.array([d and f == name for d, f in zip(drawing, funding)], dtype=bool)].sum())
              for name, _ in RESERVES]
    return amounts, np.array(drawns)


def _reserves_later(*inputs: Any) -> pd.DataFrame:
    """tblReserves from :func:`_reserve_inputs`' values."""
    return _reserves_frame(*_drawn(*inputs))


def _reserves_frame(amount: np.ndarray, drawn: np.ndarray) -> pd.DataFrame:
    columns = (_text_column([name for name, _ in RESERVES]), amount, drawn, amount - drawn)
    return _result_frame(dict(zip(_headers("tblReserves"), columns)))
