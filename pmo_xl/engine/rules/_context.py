"""What every rule reads: the book, normalised frames, the calendar, links and CPM (lazily).

Rules never re-parse or re-compute what another rule needs: the context computes each
piece once (predecessor links, the CPM result…) and caches it.
"""

from __future__ import annotations

import datetime as _dt
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ... import schema
from ...model import Book, Finding, TableData
from ..calendar import Calendar, to_date

#: Types the reader could not coerce are reported once (DT001/DT002); other rules see
#: an empty cell there.


def fmt(value: Any) -> str:
    """A value as a person would write it in a message: dates ISO, 12 not 12.0."""
    if value is None:
        return ""
    kind = type(value)  # the common exact types first (messages are built by the thousand)
    if kind is str:
        return value
    if kind is int:  # task IDs and counts (bool is not exactly int: it takes the long way)
        return str(value)
    if kind is pd.Timestamp:  # never NaT (its own type)
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat(sep=" ")
    if kind is float:
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        if pd.isna(value):
            return ""
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
        return f"{float(value):g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def fmt_dates(dates: pd.Series) -> list[str]:
    """:func:`fmt` of every value of a datetime column (at once when all are whole days)."""
    if _at_midnight(dates) and not dates.isna().any():
        return np.datetime_as_string(dates.to_numpy(), unit="D").tolist()
    return [fmt(v) for v in dates.tolist()]


def fmt_pct(value: float) -> str:
    return f"{value * 100:g} %"


class RuleContext:
    """The book under validation, with cached derived data for the rules."""

    def __init__(self, book: Book, status_date: Any = None, *, errors_only: bool = False) -> None:
        self.book = book
        #: Only the error findings are wanted (counting them for the RAG): checks whose
        #: findings are all warnings or info, and need costly data (the CPM), may skip.
        self.errors_only = errors_only
        self._status_override = _safe_date(status_date) if status_date is not None else None

    # ------------------------------------------------------------------ settings
    def setting(self, name: str) -> Any:
        v = self.book.settings.get(name)
        try:
            if v is not None and pd.isna(v):
                return None
        except (TypeError, ValueError):
            pass
        return v

    @cached_property
    def status_date(self) -> _dt.date | None:
        if self._status_override is not None:
            return self._status_override
        return _safe_date(self.setting("StatusDate"))

    @cached_property
    def status_ts(self) -> pd.Timestamp | None:
        return pd.Timestamp(self.status_date) if self.status_date else None

    @cached_property
    def start_date(self) -> _dt.date | None:
        return _safe_date(self.setting("StartDate"))

    @cached_property
    def calendar(self) -> Calendar | None:
        """The project calendar, or None when StartDate/WorkWeek/HolidayCountry are unusable
        (those are reported by the structure and data rules)."""
        start = self.start_date
        if start is None:
            plan = self.frame("tblPlan")
            starts = plan["Start"].dropna() if "Start" in plan else pd.Series([], dtype="datetime64[ns]")
            if starts.empty:
                return None
            start = starts.min().date()
        holidays = self.frame("tblHolidays")["Date"].dropna() if self.has("tblHolidays") else []
        try:
            return Calendar(
                start,
                workweek=self.setting("WorkWeek") or "1111100",
                holidays=list(holidays),
                country=self.setting("HolidayCountry"),
            )
        except ValueError:
            return None

    # ------------------------------------------------------------------ tables
    def has(self, name: str) -> bool:
        t = self.book.tables.get(name)
        return t is not None and t.present

    def table(self, name: str) -> TableData:
        t = self.book.tables.get(name)
        if t is None:
            spec = schema.TABLES[name]
            t = TableData(name, spec.sheet, pd.DataFrame(columns=spec.headers), {}, present=False)
        return t

    def frame(self, name: str) -> pd.DataFrame:
        """The table's frame, normalised: every schema column present, dates as
        ``datetime64``, numbers as float (NaN for empty), text stripped (NaN for blank);
        rows that are entirely empty are dropped."""
        return self._frames(name)

    @cached_property
    def _frame_cache(self) -> dict[str, pd.DataFrame]:
        return {}

    def _frames(self, name: str) -> pd.DataFrame:
        if name not in self._frame_cache:
            codes: dict[str, tuple[np.ndarray, list[str]]] = {}
            self._frame_cache[name] = _normalise(self.table(name).frame, schema.TABLES[name], codes)
            self._codes_cache.update({(name, column): v for column, v in codes.items()})
        return self._frame_cache[name]

    @cached_property
    def _codes_cache(self) -> dict[tuple[str, str], tuple[np.ndarray, list[str]]]:
        return {}

    def codes(self, name: str, column: str) -> tuple[np.ndarray, list[str]]:
        """A text column of :meth:`frame` as ``(codes, uniques)``: ``uniques[codes[k]]`` is
        row k's text, code -1 an empty cell (``pd.factorize`` without hashing the column
        again: the normaliser saw each distinct value once). KeyError for a column that
        is not text."""
        self.frame(name)
        return self._codes_cache[(name, column)]

    def isin(self, name: str, column: str, values: Any) -> np.ndarray:
        """``frame(name)[column].isin(values)`` as a bool array (on the distinct texts for
        a text column)."""
        key = (name, column)
        self.frame(name)
        if key not in self._codes_cache:
            return self.frame(name)[column].isin(values).to_numpy()
        codes, texts = self._codes_cache[key]
        wanted = set(values)
        return np.array([t in wanted for t in texts] + [False], dtype=bool)[codes]

    def isna(self, name: str, column: str) -> np.ndarray:
        """``frame(name)[column].isna()`` as a bool array (from the codes for a text column)."""
        key = (name, column)
        self.frame(name)
        if key not in self._codes_cache:
            return self.frame(name)[column].isna().to_numpy()
        return self._codes_cache[key][0] < 0

    @cached_property
    def issue_cells(self) -> set[tuple[str, int, str]]:
        """(table, row, column) of every cell the reader could not type (reported by DT)."""
        return {(i.table, int(i.row), i.column) for i in self.book.issues}

    # ------------------------------------------------------------------ plan
    @cached_property
    def plan(self) -> pd.DataFrame:
        return self.frame("tblPlan")

    @cached_property
    def task_ids(self) -> set[int]:
        return {int(v) for v in self.plan["ID"].dropna()}

    @cached_property
    def plan_by_id(self) -> pd.DataFrame:
        """Plan rows by task ID (first row of a duplicated ID), with ``row`` = Excel row."""
        p = self.plan[self.plan["ID"].notna()]
        p = p.assign(row=p.index)
        p = p[~p["ID"].duplicated()]
        return p.set_index(p["ID"].astype("int64"))

    @cached_property
    def links(self) -> dict[int, tuple[list[Any], list[Any]]]:
        """Excel row -> (links, problems) of its Predecessors (``pmo_xl.engine.links``)."""
        from ..links import parse_predecessors

        preds = self.plan["Predecessors"]
        return {int(row): parse_predecessors(v) for row, v in preds[preds.notna()].items()}

    @cached_property
    def cpm(self) -> Any:
        """The CPM result for the plan (None when there is no calendar or no task)."""
        from ..cpm import schedule_plan

        cal = self.calendar
        if cal is None or self.plan.empty:
            return None
        plan = self.plan
        # the schedule of the rows the reader typed: a malformed ID or duplicate is DT's
        return schedule_plan(plan[plan["ID"].notna()], cal, status_date=self.status_date)

    # ------------------------------------------------------------------ findings
    def finding(
        self,
        rule_id: str,
        table: str,
        row: int | None,
        column: str | None,
        key: Any,
        message: str,
        hint: str | None = None,
    ) -> Finding:
        r = _rules()[rule_id]
        t = self.book.tables.get(table)
        if t is None:
            t = self.table(table)
        cell = ""
        if row is not None and column:
            letter = t.letters.get(column)
            cell = f"{letter}{int(row)}" if letter else ""
        return Finding(r.severity, rule_id, t.sheet, cell, fmt(key), message, hint if hint is not None else r.hint)

    def where(self, table: str, row: int, column: str) -> str:
        """``Plan!G12`` for messages (the sheet alone when the column is missing)."""
        return self.table(table).where(int(row), column)


_RULES: dict[str, Any] = {}


def _rules() -> dict[str, Any]:
    """The rule registry (imported once: findings are made by the thousand)."""
    if not _RULES:
        from . import RULES

        _RULES["registry"] = RULES
    return _RULES["registry"]


def _safe_date(v: Any) -> _dt.date | None:
    try:
        return to_date(v)
    except TypeError:
        if isinstance(v, str):
            try:
                return _dt.date.fromisoformat(v.strip()[:10])
            except ValueError:
                return None
        return None


#: Normalised empty tables by (table, columns, dtypes, index): a workbook has a dozen empty
#: generated tables, each ~1 ms to normalise; handed out as copies.
_EMPTY: dict[tuple[Any, ...], tuple[pd.DataFrame, dict[str, tuple[np.ndarray, list[str]]]]] = {}


def _normalise(
    frame: pd.DataFrame,
    spec: schema.Table,
    codes: dict[str, tuple[np.ndarray, list[str]]] | None = None,
) -> pd.DataFrame:
    """``codes`` (optional) receives each text column as ``(codes, uniques)`` (see
    :meth:`RuleContext.codes`)."""
    if len(frame) == 0:
        key = (spec.name, tuple(frame.columns), tuple(str(t) for t in frame.dtypes), type(frame.index).__name__, str(frame.index.dtype),
               frame.index.name)
        got = _EMPTY.get(key)
        if got is None:
            empty_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
            got = _EMPTY[key] = (_normalised(frame, spec, empty_codes), empty_codes)
        if codes is not None:
            codes.update({k: (c.copy(), list(u)) for k, (c, u) in got[1].items()})
        return got[0].copy()
    return _normalised(frame, spec, codes)


# The days a datetime64[ns] can hold, with a day's margin (1677-09-21 .. 2262-04-11).
_NS_LO, _NS_HI = np.datetime64("1677-09-22", "us"), np.datetime64("2262-04-10", "us")


def _within_ns_range(s: pd.Series) -> pd.Series:
    """Dates nanoseconds cannot hold (before 1677 or after 2262) as empty: the reader has
    already reported such a cell; a frame built elsewhere must not crash the rules."""
    if s.dtype == "datetime64[ns]" or not len(s):
        return s
    values = s.to_numpy()
    bad = (values < _NS_LO) | (values > _NS_HI)
    return s.mask(bad) if bad.any() else s


def _normalised(
    frame: pd.DataFrame,
    spec: schema.Table,
    codes: dict[str, tuple[np.ndarray, list[str]]] | None = None,
) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    text_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    n = len(frame)
    filled = np.zeros(n, dtype=bool)  # rows with at least one value
    for col in spec.columns:
        if col.name in frame.columns:
            s = frame[col.name]
        else:
            s = pd.Series([None] * n, index=frame.index, dtype=object)
        if col.kind in ("date", "datetime"):
            if not pd.api.types.is_datetime64_any_dtype(s):
                s = pd.to_datetime(s, errors="coerce", format="mixed") if n else pd.Series([], index=frame.index, dtype="datetime64[ns]")
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_localize(None)
            if col.kind == "date" and not _at_midnight(s):  # the reader's dates already are
                s = s.dt.normalize()
            s = _within_ns_range(s).astype("datetime64[ns]")
            filled |= s.notna().to_numpy()
        elif col.kind in ("int", "number", "percent"):
            s = pd.to_numeric(s, errors="coerce").astype("float64")
            filled |= s.notna().to_numpy()
        elif col.kind == "bool":
            s = s.astype(object)
            filled |= s.notna().to_numpy()
        else:
            s, present, text_codes[col.name] = _text(s)
            filled |= present
        out[col.name] = s
    df = pd.DataFrame(out, index=frame.index)
    if len(df) and not filled.all():
        df = df[filled]
        text_codes = {k: (c[filled], u) for k, (c, u) in text_codes.items()}
    if codes is not None:
        codes.update(text_codes)
    return df


def _at_midnight(s: pd.Series) -> bool:
    """True when every value of a naive datetime column is a whole day (or NaT)."""
    if not pd.api.types.is_datetime64_dtype(s.dtype):
        return False
    unit = np.datetime_data(s.dtype)[0]
    per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}.get(unit)
    if per_day is None:
        return False
    values = s.to_numpy().view("int64")
    return bool((values[~np.isnat(s.to_numpy())] % per_day == 0).all())


def _text(s: pd.Series) -> tuple[pd.Series, np.ndarray, tuple[np.ndarray, list[str]]]:
    """A text column as objects: stripped, NaN for blank; a number or date typed into it
    as a person would write it (:func:`fmt`). Also returns where it has a value and the
    column factorised (codes, distinct texts).

    Works on the distinct values (``pd.factorize``): a 200,000-row timesheet has a few
    hundred people, so each is stripped once and the column is one ``take``.
    """
    if len(s) <= _SMALL and isinstance(s.dtype, pd.StringDtype):
        return _small_text(s)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if isinstance(uniques.dtype, pd.StringDtype):  # the reader's text: strip while it is Arrow
        # (Arrow's trim and str.strip remove the same characters, so once is enough)
        stripped = uniques.str.strip()
        present = np.append(np.asarray(stripped != "", dtype=bool), False)
        values = np.append(stripped.to_numpy(dtype=object), np.nan)
        values[~present] = np.nan
        canonical, texts = pd.factorize(values, use_na_sentinel=True)  # first appearance, as below
        return (pd.Series(values[codes], index=s.index, dtype=object), present[codes],
                (canonical[codes], list(texts)))
    values = np.empty(len(uniques) + 1, dtype=object)  # the last slot is for the empties (-1)
    present = np.zeros(len(uniques) + 1, dtype=bool)
    canonical = np.full(len(uniques) + 1, -1, dtype=np.int64)  # code of the stripped text
    texts: dict[str, int] = {}
    for k, v in enumerate(uniques.astype(object).tolist()):
        text = v.strip() if isinstance(v, str) else fmt(v).strip()
        values[k] = text if text else np.nan
        present[k] = bool(text)
        if text:
            canonical[k] = texts.setdefault(text, len(texts))
    values[-1] = np.nan
    return pd.Series(values[codes], index=s.index, dtype=object), present[codes], (canonical[codes], list(texts))


#: Up to this many rows a text column is stripped and coded in plain Python: the
#: pandas/Arrow path costs ~0.3 ms a column whatever its length (a dozen small tables
#: with a dozen text columns each).
_SMALL = 2_000


def _small_text(s: pd.Series) -> tuple[pd.Series, np.ndarray, tuple[np.ndarray, list[str]]]:
    """:func:`_text` of a short column of the reader's text (``str`` dtype): the same
    values, presence and codes (texts numbered by first appearance)."""
    nan = np.nan
    texts: dict[str, int] = {}
    values: list[Any] = []
    canonical: list[int] = []
    for v in s.tolist():
        text = v.strip() if type(v) is str else ""
        if text:
            values.append(text)
            canonical.append(texts.setdefault(text, len(texts)))
        else:
            values.append(nan)
            canonical.append(-1)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    codes = np.array(canonical, dtype=np.int64)
    return pd.Series(out, index=s.index, dtype=object), codes >= 0, (codes, list(texts))
