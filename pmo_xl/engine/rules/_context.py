"""What every rule reads: the book, normalised frames, the calendar, links and CPM (lazily).

Rules never re-parse or re-compute what another rule needs: the context computes each
piece once (predecessor links, the CPM result…) and caches it.
"""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any, Final

import numpy as np
import pandas as pd

from ... import schema
from ...model import Book, Finding, TableData
from ..calendar import Calendar, to_date

# Masks are tested with np.count_nonzero: on short arrays .any()/.all() cost more (docs/performance.md).

try:  # (pandas' Arrow strings need it; absent on some platforms, where there are none)
    import pyarrow as pa
except ImportError:  # pragma: no cover
    pa = None

try:  # pandas >= 3: a frame straight from its blocks (see _frame_of)
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - pandas 2
    _from_blocks = None

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
    return f"{float(value) * 100:g} %"  # a Python float: 1e308 * 100 is inf, not numpy's overflow warning


#: A lazy attribute not computed yet (None is a value: no calendar, no CPM…).
_UNSET: Final = object()


class RuleContext:
    """The book under validation, with cached derived data for the rules."""

    def __init__(self, book: Book, status_date: Any = None, *, errors_only: bool = False) -> None:
        self.book = book
        #: Only the error findings are wanted (counting them for the RAG): checks whose
        #: findings are all warnings or info, and need costly data (the CPM), may skip.
        self.errors_only = errors_only
        self._status_override = _safe_date(status_date) if status_date is not None else None
        # the caches, filled as the rules ask
        self._frame_cache: dict[str, pd.DataFrame] = {}
        self._sources: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
        self._codes_cache: dict[tuple[str, str], tuple[np.ndarray, list[str]]] = {}
        #: Text columns whose codes are made when a rule first asks: (values, missing).
        self._pending_codes: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._array_cache: dict[tuple[str, str], np.ndarray] = {}
        self._rows_cache: dict[str, np.ndarray] = {}
        # the properties below, each computed on first use (_UNSET until then)
        self._status_date: Any = _UNSET
        self._status_ts: Any = _UNSET
        self._start_date: Any = _UNSET
        self._calendar: Any = _UNSET
        self._issue_cells: Any = _UNSET
        self._plan: Any = _UNSET
        self._task_ids: Any = _UNSET
        self._plan_by_id: Any = _UNSET
        self._links: Any = _UNSET
        self._cpm: Any = _UNSET

    # ------------------------------------------------------------------ settings
    def setting(self, name: str) -> Any:
        v = self.book.settings.get(name)
        try:
            if v is not None and pd.isna(v):
                return None
        except (TypeError, ValueError):
            pass
        return v

    @property
    def status_date(self) -> _dt.date | None:
        if self._status_date is _UNSET:
            self._status_date = self._make_status_date()
        return self._status_date

    def _make_status_date(self) -> _dt.date | None:
        if self._status_override is not None:
            return self._status_override
        return _safe_date(self.setting("StatusDate"))

    @property
    def status_ts(self) -> pd.Timestamp | None:
        if self._status_ts is _UNSET:
            self._status_ts = self._make_status_ts()
        return self._status_ts

    def _make_status_ts(self) -> pd.Timestamp | None:
        return pd.Timestamp(self.status_date) if self.status_date else None

    @property
    def start_date(self) -> _dt.date | None:
        if self._start_date is _UNSET:
            self._start_date = self._make_start_date()
        return self._start_date

    def _make_start_date(self) -> _dt.date | None:
        return _safe_date(self.setting("StartDate"))

    @property
    def calendar(self) -> Calendar | None:
        """The project calendar, or None when StartDate/WorkWeek/HolidayCountry are unusable
        (those are reported by the structure and data rules)."""
        if self._calendar is _UNSET:
            self._calendar = self._make_calendar()
        return self._calendar

    def _make_calendar(self) -> Calendar | None:
        start = self.start_date
        if start is None:
            # (the earliest plan Start off the column's array: min of the days, as
            # Series.min().date() gives it)
            starts = self.array("tblPlan", "Start")
            starts = starts[~np.isnat(starts)]
            if not len(starts):
                return None
            start = starts.min().astype("datetime64[D]").item()
        if self.has("tblHolidays"):
            days = self.array("tblHolidays", "Date")
            holidays = days[~np.isnat(days)].astype("datetime64[D]").tolist()  # (to_date of each Timestamp)
        else:
            holidays = []
        try:
            return shared_calendar(start, self.setting("WorkWeek") or "1111100", holidays, self.setting("HolidayCountry"))
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
        got = self._frame_cache.get(name)  # (asked a hundred times a workbook: made once)
        return got if got is not None else self._frames(name)

    def _frames(self, name: str) -> pd.DataFrame:
        if name not in self._frame_cache:
            codes: dict[str, tuple[np.ndarray, list[str]]] = {}
            columns: dict[str, np.ndarray] = {}
            pending: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            source = self.table(name).frame
            self._frame_cache[name] = _normalise(source, schema.TABLES[name], codes, columns, pending)
            self._array_cache.update({(name, column): v for column, v in columns.items()})
            self._codes_cache.update({(name, column): v for column, v in codes.items()})
            self._pending_codes.update({(name, column): v for column, v in pending.items()})
            if name in _SOURCES_KEPT:
                self._sources[name] = (source, {c: _arrow_data(source, c) for c in _SOURCES_KEPT[name]})
        return self._frame_cache[name]

    def unchanged_since_coded(self, name: str, column: str) -> bool:
        """True when ``column`` of the book's table ``name`` is still the very Arrow text
        this context coded (same frame, same immutable Arrow data), so another engine may
        take its :meth:`codes` for it: an edit of the book after validation (a new frame,
        a column assigned in place) makes it False. Kept for the columns of
        :data:`_SOURCES_KEPT` only."""
        kept = self._sources.get(name)
        if kept is None or column not in kept[1] or kept[1][column] is None:
            return False
        frame = self.book.tables[name].frame if name in self.book.tables else None
        return frame is kept[0] and _arrow_data(frame, column) is kept[1][column]

    def _text_codes(self, name: str, column: str) -> tuple[np.ndarray, list[str]] | None:
        """:meth:`codes`, None for a column that is not text."""
        self.frame(name)
        key = (name, column)
        got = self._codes_cache.get(key)
        if got is None and key in self._pending_codes:
            got = self._codes_cache[key] = _codes_of(self._pending_codes.pop(key)[0])
        return got

    def codes(self, name: str, column: str) -> tuple[np.ndarray, list[str]]:
        """A text column of :meth:`frame` as ``(codes, uniques)``: ``uniques[codes[k]]`` is
        row k's text, code -1 an empty cell (``pd.factorize`` without hashing the column
        again: the normaliser saw each distinct value once). KeyError for a column that
        is not text."""
        got = self._text_codes(name, column)
        if got is None:
            raise KeyError((name, column))
        return got

    def isin(self, name: str, column: str, values: Any) -> np.ndarray:
        """``frame(name)[column].isin(values)`` as a bool array (on the distinct texts for
        a text column)."""
        got = self._text_codes(name, column)
        if got is None:
            return self.frame(name)[column].isin(values).to_numpy()
        codes, texts = got
        wanted = set(values)
        return np.array([t in wanted for t in texts] + [False], dtype=bool)[codes]

    def isna(self, name: str, column: str) -> np.ndarray:
        """``frame(name)[column].isna()`` as a bool array (from the codes for a text column)."""
        key = (name, column)
        self.frame(name)
        waiting = self._pending_codes.get(key)
        if waiting is not None:
            return waiting[1].copy()
        if key not in self._codes_cache:
            values = self.array(name, column)
            if values.dtype.kind == "f":
                return np.isnan(values)
            if values.dtype.kind == "M":
                return np.isnat(values)
            return pd.isna(values)
        return self._codes_cache[key][0] < 0

    def array(self, name: str, column: str) -> np.ndarray:
        """``frame(name)[column].to_numpy()``, read-only, taken once per column (float64,
        datetime64[ns] or object: a rule's per-row work is on these, not on Series)."""
        key = (name, column)
        got = self._array_cache.get(key)
        if got is None:
            got = self.frame(name)[column].to_numpy()
            if got.flags.writeable:  # pandas 2 hands out a writable view of the frame
                got = got.view()
                got.flags.writeable = False
            self._array_cache[key] = got
        return got

    def rows(self, name: str) -> np.ndarray:
        """``frame(name).index.to_numpy()`` (the Excel rows), read-only, taken once."""
        got = self._rows_cache.get(name)
        if got is None:
            got = self.frame(name).index.to_numpy()
            if got.flags.writeable:
                got = got.view()
                got.flags.writeable = False
            self._rows_cache[name] = got
        return got

    @property
    def issue_cells(self) -> set[tuple[str, int, str]]:
        """(table, row, column) of every cell the reader could not type (reported by DT)."""
        if self._issue_cells is _UNSET:
            self._issue_cells = self._make_issue_cells()
        return self._issue_cells

    def _make_issue_cells(self) -> set[tuple[str, int, str]]:
        return {(i.table, int(i.row), i.column) for i in self.book.issues}

    # ------------------------------------------------------------------ plan
    @property
    def plan(self) -> pd.DataFrame:
        if self._plan is _UNSET:
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> pd.DataFrame:
        return self.frame("tblPlan")

    @property
    def task_ids(self) -> set[int]:
        if self._task_ids is _UNSET:
            self._task_ids = self._make_task_ids()
        return self._task_ids

    def _make_task_ids(self) -> set[int]:
        ids = self.array("tblPlan", "ID")
        return {int(v) for v in ids[~np.isnan(ids)].tolist()}

    @property
    def plan_by_id(self) -> pd.DataFrame:
        """Plan rows by task ID (first row of a duplicated ID), with ``row`` = Excel row."""
        if self._plan_by_id is _UNSET:
            self._plan_by_id = self._make_plan_by_id()
        return self._plan_by_id

    def _make_plan_by_id(self) -> pd.DataFrame:
        plan = self.plan
        ids = self.array("tblPlan", "ID")
        known = np.flatnonzero(~np.isnan(ids))
        whole = ids[known]
        if (_from_blocks is None or not len(known) or not np.isfinite(whole).all() or (whole == 0).any()
                or np.abs(whole).max() >= 2.0 ** 53 or (whole != np.floor(whole)).any()):
            p = plan[plan["ID"].notna()]  # the pandas way (and its errors) for what is not a plain ID
            p = p.assign(row=p.index)
            p = p[~p["ID"].duplicated()]
            return p.set_index(p["ID"].astype("int64"))
        # whole numbers a float holds exactly: np.unique's first occurrences are pandas'
        # first of each duplicated ID; the frame built once from the column arrays
        keep = known[np.sort(np.unique(whole, return_index=True)[1])]
        columns = [self.array("tblPlan", c)[keep] for c in plan.columns] + [self.rows("tblPlan")[keep]]
        index = pd.Index(ids[keep].astype(np.int64), name="ID")
        return _frame_of(columns, [*plan.columns, "row"], index)

    @property
    def links(self) -> dict[int, tuple[list[Any], list[Any]]]:
        """Excel row -> (links, problems) of its Predecessors (``pmo_xl.engine.links``)."""
        if self._links is _UNSET:
            self._links = self._make_links()
        return self._links

    def _make_links(self) -> dict[int, tuple[list[Any], list[Any]]]:
        from ..links import parse_predecessors

        present = ~self.isna("tblPlan", "Predecessors")
        rows = self.rows("tblPlan")[present].tolist()
        return {int(row): parse_predecessors(v) for row, v in zip(rows, self.array("tblPlan", "Predecessors")[present].tolist())}

    @property
    def cpm(self) -> Any:
        """The CPM result for the plan (None when there is no calendar or no task)."""
        if self._cpm is _UNSET:
            self._cpm = self._make_cpm()
        return self._cpm

    def _make_cpm(self) -> Any:
        from ..cpm import PlanColumns, schedule_plan

        cal = self.calendar
        if cal is None or self.plan.empty:
            return None
        plan = self.plan
        # the schedule of the rows the reader typed: a malformed ID or duplicate is DT's
        # (every row has an ID in a sound plan: no filtered copy then, and the CPM reads
        # this context's arrays, and the text codes the rules have made, not the frame)
        has_id = pd.notna(self.array("tblPlan", "ID"))
        if has_id.all():
            columns = PlanColumns(lambda name: self.array("tblPlan", name), lambda name: self._codes_cache.get(("tblPlan", name)))
            return schedule_plan(plan, cal, status_date=self.status_date, columns=columns)
        return schedule_plan(plan[has_id], cal, status_date=self.status_date)

    # ------------------------------------------------------------------ findings
    def finding(
        self,
        rule_id: str,
        table: str,
        row: Any,  # an Excel row (a Python or a numpy integer), None for no cell
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

    def where(self, table: str, row: Any, column: str) -> str:
        """``Plan!G12`` for messages (the sheet alone when the column is missing)."""
        return self.table(table).where(int(row), column)


#: Calendars by the exact arguments they were made of (see :func:`shared_calendar`).
_CALENDARS: dict[tuple[Any, ...], Calendar] = {}


def shared_calendar(start: _dt.date, workweek: Any, holidays: list[_dt.date], country: Any) -> Calendar:
    """``Calendar(start, workweek=workweek, holidays=holidays, country=country)``, made
    once per distinct set of arguments and handed out as a copy (a Calendar only ever
    *replaces* its attributes, so copies never share a change): the rules' calendar and
    the roll-up's (``commands._common.calendar_for``) of one workbook are built once.
    ``holidays`` are ``datetime.date``; ValueError as the constructor raises it."""
    # (the types are part of the key: 1111100 and 1111100.0 are equal but not the same WorkWeek)
    key = (start, type(workweek), workweek, type(country), country, tuple(holidays))
    try:
        cached = _CALENDARS.get(key)
    except TypeError:  # (an unhashable setting: no sharing)
        return Calendar(start, workweek=workweek, holidays=holidays, country=country)
    if cached is None:
        cached = Calendar(start, workweek=workweek, holidays=holidays, country=country)
        if len(_CALENDARS) >= 64:
            _CALENDARS.clear()
        _CALENDARS[key] = cached
    return copy.copy(cached)


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
    arrays: dict[str, np.ndarray] | None = None,
    pending: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """``codes`` (optional) receives each text column as ``(codes, uniques)`` (see
    :meth:`RuleContext.codes`); ``arrays`` (optional) may receive columns of the result
    as read-only arrays (see :meth:`RuleContext.array`); with ``pending`` (optional),
    plain text columns go there as ``(values, missing)`` instead of to ``codes``, to be
    coded on demand (:func:`_codes_of`)."""
    if len(frame) == 0:
        key = (spec.name, tuple(frame.columns), tuple(str(t) for t in frame.dtypes), type(frame.index).__name__, str(frame.index.dtype),
               frame.index.name)
        got = _EMPTY.get(key)
        if got is None:
            empty_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
            if len(_EMPTY) >= 256:  # the key holds the user's extra headers: bounded
                _EMPTY.clear()
            got = _EMPTY[key] = (_normalised(frame, spec, empty_codes), empty_codes)
        if codes is not None:
            codes.update({k: (c.copy(), list(u)) for k, (c, u) in got[1].items()})
        return got[0].copy()
    return _normalised(frame, spec, codes, arrays, pending)


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
    arrays: dict[str, np.ndarray] | None = None,
    pending: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """``pending`` (optional): text columns whose codes are not made yet receive
    ``(values, missing)`` there instead of going to ``codes`` (see :func:`_codes_of`)."""
    # Each dtype's block filled in place (one float64, one datetime64[ns], one object
    # block, as the DataFrame constructor consolidates them), the frame built from them
    # once: a table is a dozen columns of a few hundred rows, where each pandas
    # operation's fixed cost (tens of µs) is the whole cost.
    n = len(frame)
    m, position = _positions(frame.columns)
    if n == 0 or len(position) != m:  # (repeated headers: as pandas makes them)
        return _normalised_by_pandas(frame, spec, codes)
    layout = _layout(spec)
    arrays_of = _column_arrays(frame, m)
    numbers = np.empty((len(layout.groups["f"]), n), dtype=np.float64)
    dates = np.empty((len(layout.groups["M"]), n), dtype="datetime64[ns]")
    width = len(layout.groups["O"])
    # (made when a column other than the plain Arrow texts needs it: when none does, the
    # texts' own conversion is the block, see _fill_texts)
    objects: Any = None if width else np.empty((0, n), dtype=object)  # (an array by the time the block is cut below)
    text_codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    text_present: list[np.ndarray] = []  # where the object columns have a value
    text_missing: list[np.ndarray] = []  # (or where they have none)
    raw_dates: list[tuple[int, Any, bool, str]] = []  # the reader's dates, checked together below
    short_texts: list[tuple[int, Any, Any]] = []  # the reader's Arrow texts, converted together below
    for col, (group, j) in zip(spec.columns, layout.slots):
        k = position.get(col.name)
        a = arrays_of[k] if k is not None else None
        if group == "M":
            if a is None:
                dates[j] = np.datetime64("NaT")
            elif isinstance(a.dtype, np.dtype) and a.dtype.kind == "M" and a.dtype == _US:
                raw_dates.append((j, np.asarray(a).view(np.int64), col.kind == "date", col.name))
            else:
                values = _date_values(a, n, col.kind == "date")
                dates[j] = values if values is not None else _date_column(frame[col.name], n, col.kind == "date").to_numpy()
        elif group == "f":
            values = _number_values(a, n)
            numbers[j] = values if values is not None else pd.to_numeric(frame[col.name], errors="coerce").astype("float64").to_numpy()
        elif (col.kind != "bool" and a is not None
              and (type(a) is _ARROW_TEXT or (isinstance(a.dtype, pd.StringDtype) and getattr(a.dtype, "storage", "") == "pyarrow"))
              and (n <= _SMALL or n - a.__arrow_array__().null_count <= _SMALL)):  # (few texts: a long column of notes)
            short_texts.append((j, col, a.__arrow_array__()))
        else:
            if objects is None:
                objects = np.empty((width, n), dtype=object)
            if col.kind == "bool":
                s = frame[col.name] if a is not None else pd.Series([None] * n, index=frame.index, dtype=object)
                objects[j] = s.astype(object).to_numpy()
                text_present.append(pd.notna(objects[j]))
            elif a is None:
                objects[j] = np.nan
                text_codes[col.name] = (np.full(n, -1, dtype=np.int64), [])
            else:
                objects[j], text_codes[col.name] = _text_values(frame, col.name, a, n, objects[j])
                text_present.append(text_codes[col.name][0] >= 0)
    full = False  # a column known to have a value on every row: no row is blank
    if raw_dates:
        full = _fill_dates(dates, raw_dates, frame)
    done: list[tuple[Any, int, np.ndarray]] = []  # (column, row, missing) of the texts left uncoded
    if short_texts:
        objects, filled_texts, full_text = _fill_texts(objects, width, short_texts)
        full = full or full_text
        for j, col, missing in filled_texts:
            if missing is None:  # not already plain text: value by value
                objects[j], text_codes[col.name] = _text_values(frame, col.name, arrays_of[position[col.name]], n)
                text_present.append(text_codes[col.name][0] >= 0)
            else:
                done.append((col, j, missing))
                text_missing.append(missing)
    index = frame.index
    filled = None if full else _any_value(numbers, dates, text_present, text_missing, n)
    if filled is not None and np.count_nonzero(filled) < len(filled):
        numbers, dates, objects = numbers[:, filled], dates[:, filled], objects[:, filled]
        text_codes = {k: (c[filled], u) for k, (c, u) in text_codes.items()}
        done = [(col, j, missing[filled]) for col, j, missing in done]
        index = index[filled]
    for col, j, missing in done:
        if pending is not None:
            pending[col.name] = (objects[j], missing)
        else:
            text_codes[col.name] = _codes_of(objects[j])
    if codes is not None:
        codes.update(text_codes)
    blocks = {"f": numbers, "M": dates, "O": objects}
    if _from_blocks is None:  # pandas 2
        return _frame_of([blocks[g][j] for g, j in layout.slots], layout.headers, index, arrays)
    if arrays is not None:
        for col, (group, j) in zip(spec.columns, layout.slots):
            view = blocks[group][j]
            view.flags.writeable = False
            arrays[col.name] = view
    return _frame_from_blocks([(blocks[g], p) for g, p in layout.placements], index, _columns(layout.headers))


_US = np.dtype("datetime64[us]")
#: The reader's Arrow text array (its dtype is always Arrow text: no dtype properties to ask)
_ARROW_TEXT = getattr(pd.arrays, "ArrowStringArray", None)

#: id of a frame's column labels (their ``str`` array) -> (that array, how many, label ->
#: position): the reader's frames of one table shape share the array of one Index (its
#: layout's), so the labels are listed once, not per table (``Index.tolist`` costs
#: tens of µs cold).
_POSITIONS: dict[int, tuple[Any, int, dict[str, int]]] = {}


def _positions(columns: pd.Index) -> tuple[int, dict[str, int]]:
    """How many labels ``columns`` has and the position of each (the last of a repeat)."""
    if not isinstance(columns.dtype, pd.StringDtype):  # (an object Index: a new array each time)
        headers = columns.tolist()
        return len(headers), dict(zip(headers, range(len(headers))))
    values = columns.array  # (an Index never changes its array)
    got = _POSITIONS.get(id(values))
    if got is None or got[0] is not values:
        headers = columns.tolist()
        if len(_POSITIONS) > 256:  # frames made on the fly (tests): keep the cache small
            _POSITIONS.clear()
        got = _POSITIONS[id(values)] = (values, len(headers), dict(zip(headers, range(len(headers)))))
    return got[1], got[2]


class _Layout:
    """Where each column of a table goes: its dtype's block ("f", "M" or "O") and its row
    there; the blocks in the order of their first column (as the constructor makes them)."""

    def __init__(self, spec: schema.Table) -> None:
        self.headers = spec.headers
        self.groups: dict[str, list[int]] = {"f": [], "M": [], "O": []}
        self.slots: list[tuple[str, int]] = []
        order: list[str] = []
        for k, col in enumerate(spec.columns):
            group = _GROUP.get(col.kind, "O")
            if group not in order:
                order.append(group)
            self.slots.append((group, len(self.groups[group])))
            self.groups[group].append(k)
        self.placements = [(g, np.array(self.groups[g], dtype=np.intp)) for g in order]


_GROUP = {"date": "M", "datetime": "M", "int": "f", "number": "f", "percent": "f"}
_LAYOUTS: dict[int, tuple[schema.Table, _Layout]] = {}


def _layout(spec: schema.Table) -> _Layout:
    got = _LAYOUTS.get(id(spec))
    if got is None or got[0] is not spec:
        if len(_LAYOUTS) > 256:  # tables made on the fly (tests): keep the cache small
            _LAYOUTS.clear()
        got = _LAYOUTS[id(spec)] = (spec, _Layout(spec))
    return got[1]


try:  # a datetime block handed over as pandas' own array: the constructor's re-check skipped
    from pandas.core.arrays import DatetimeArray as _DatetimeArray
except ImportError:  # pragma: no cover
    _DatetimeArray = None


def _block(values: np.ndarray) -> Any:
    if _DatetimeArray is not None and values.dtype.kind == "M":
        return _DatetimeArray._simple_new(values, dtype=values.dtype)
    return values


try:  # the blocks of a normalised table made as pandas' constructor makes them (see below)
    from pandas._libs.internals import BlockPlacement as _Placement
    from pandas.core.internals.blocks import DatetimeLikeBlock as _DatesBlock, NumpyBlock as _NumpyBlock
    from pandas.core.internals.managers import BlockManager as _Manager
except ImportError:  # pragma: no cover - other pandas
    _Manager = None


def _frame_from_blocks(blocks: list[tuple[np.ndarray, np.ndarray]], index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """``create_dataframe_from_blocks`` of 2-D float64, datetime64[ns] and object blocks
    (and their column positions): the same blocks and manager, made without its checks
    and type dispatch (they hold by construction here; ~half its cost, tens of µs a table
    cold)."""
    if _Manager is None or _from_blocks is None:  # pragma: no cover - other pandas
        return _from_blocks([(_block(b), p) for b, p in blocks], index=index, columns=columns)
    made = [_DatesBlock(_block(b), ndim=2, placement=_Placement(p)) if b.dtype.kind == "M" else _NumpyBlock(b, ndim=2, placement=_Placement(p))
            for b, p in blocks]
    manager = _Manager(made, [columns, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(manager, manager.axes)


def _fill_dates(dates: np.ndarray, raw: list[tuple[int, np.ndarray, bool, str]], frame: pd.DataFrame) -> bool:
    """The reader's dates (datetime64[us], as int64) into their rows of ``dates``, checked
    together: within what nanoseconds hold, whole days for a ``date`` column (when they
    are not, each column is taken on its own, :func:`_date_values`). True when every one
    of these cells has a date."""
    ints = np.stack([a for _, a, _, _ in raw]) if len(raw) > 1 else raw[0][1].reshape(1, -1)
    known = ints != _NAT
    every = bool(np.count_nonzero(known) == known.size)  # (a bool, not numpy's: it is returned)
    clean = ints if every else np.where(known, ints, 0)  # (day 0, 1970-01-01, passes every test)
    lo, hi = _NS_BOUNDS["us"]
    ok = lo <= clean.min() and clean.max() <= hi
    if ok:
        whole = [r for r, (_, _, date, _) in enumerate(raw) if date]
        part = clean[whole] if len(whole) < len(raw) else clean
        day = _PER_DAY["us"]  # (a floor division is several times faster than numpy's %)
        ok = not len(part) or not np.count_nonzero((part // day) * day != part)
    if not ok:  # the rare dates: column by column
        for j, a, date, name in raw:
            values = _date_values(a.view(_US), len(a), date)
            dates[j] = values if values is not None else _date_column(frame[name], len(a), date).to_numpy()
        return False
    rows = [j for j, _, _, _ in raw]
    if rows == list(range(len(dates))):  # (every date column: multiplied straight into the block)
        np.multiply(clean, 1000, out=dates.view(np.int64))  # astype("datetime64[ns]") of what is within bounds (several times faster)
        if not every:
            dates.view(np.int64)[~known] = _NAT
        return every
    ns = clean * 1000
    if not every:
        ns[~known] = _NAT
    dates.view(np.int64)[rows] = ns
    return every


def _fill_texts(objects: np.ndarray | None, width: int,
                texts: list[tuple[int, Any, Any]]) -> tuple[np.ndarray, list[tuple[int, Any, np.ndarray | None]], bool]:
    """Arrow text columns already plain (no blank, nothing to strip at either end) into
    their rows of ``objects`` with one conversion for all. Returns the object block
    (``width`` rows; made here when ``objects`` is None, i.e. when these texts are all its
    rows, in order), ``(row, column, missing)`` for each, ``missing`` None for a column
    to take value by value, and True when one of them has a text on every row."""
    chunks = [c.chunk(0) if c.num_chunks == 1 else c.combine_chunks() for _, _, c in texts]
    kind = chunks[0].type
    if kind not in (_LARGE, _STRING) or len({c.type for c in chunks}) > 1:
        block = np.empty((width, len(chunks[0])), dtype=object) if objects is None else objects
        return block, [(j, col, None) for j, col, _ in texts], False
    combined = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
    n = len(chunks[0])
    m = len(combined)
    validity, offsets, data = combined.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64 if kind == _LARGE else np.int32, count=m + 1, offset=combined.offset * (8 if kind == _LARGE else 4))
    starts, ends = offsets[:-1], offsets[1:]
    nonempty = ends > starts
    if data is None or not len(data):
        plain = np.zeros(m, dtype=bool)
    else:
        # a value is plain when its first and last bytes are printable ASCII other than a
        # space: str.strip would keep it as it is (anything else goes value by value)
        # (both ends of every value in one gather: an empty value's positions are clipped
        # into the buffer, nonempty says False for it)
        # (bytes 33..126: byte - 33 below 94, wrapping around in uint8; two ufuncs, not a
        # table lookup's gather)
        edges = np.frombuffer(data, dtype=np.uint8).take(np.concatenate((starts, ends - 1)), mode="clip")
        edges = np.subtract(edges, 33, out=edges) < 94
        plain = nonempty & edges[:m] & edges[m:]
    missing = None
    if combined.null_count:
        bits = np.frombuffer(validity, dtype=np.uint8)
        missing = ~np.unpackbits(bits, count=combined.offset + m, bitorder="little")[combined.offset:].view(bool)
        plain |= missing
        missing = missing.reshape(len(chunks), n)
    if np.count_nonzero(plain) == m:  # (every column plain: no reduction by column)
        ok = [True] * len(chunks)
    else:
        ok = plain.reshape(len(chunks), n).all(axis=1).tolist()
    # (a plain column without an empty cell has a text on every row)
    full = any(k and not c.null_count for k, c in zip(ok, chunks))
    values = combined.to_numpy(zero_copy_only=False).reshape(len(chunks), n)
    if missing is not None:
        values[missing] = np.nan
    if objects is None:  # (the conversion is the block: no second one filled by a copy)
        objects = values
    else:
        objects[[j for j, _, _ in texts]] = values
    none = np.zeros(n, dtype=bool)
    return objects, [(j, col, (missing[r] if missing is not None else none) if ok[r] else None) for r, (j, col, _) in enumerate(texts)], full


_LARGE, _STRING = (pa.large_string(), pa.string()) if pa is not None else (None, None)


#: Columns whose source data a context remembers, so that another engine can tell its
#: codes still stand for the book (:meth:`RuleContext.unchanged_since_coded`): the roll-up
#: takes the timesheet's Person codes from the validator.
_SOURCES_KEPT: dict[str, tuple[str, ...]] = {"tblTimesheet": ("Person",)}


def _arrow_data(frame: pd.DataFrame, column: str) -> Any:
    """The immutable Arrow data behind a column (None when it has none or is missing)."""
    from .._columns import column_array

    try:
        return getattr(column_array(frame, column), "_pa_array", None)
    except KeyError:
        return None


def _codes_of(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``(codes, texts)`` of a column of stripped texts (NaN for blank): texts numbered by
    first appearance, code -1 an empty cell (as the normaliser numbers them)."""
    seen: dict[str, int] = {}
    codes = np.array([seen.setdefault(v, len(seen)) if v.__class__ is str else -1 for v in values.tolist()], dtype=np.int64)
    return codes, list(seen)


def _any_value(numbers: np.ndarray, dates: np.ndarray, present: list[np.ndarray], missing: list[np.ndarray], n: int) -> np.ndarray:
    """Rows with at least one value (``present``: where object columns have one,
    ``missing``: where others have none)."""
    filled = np.zeros(n, dtype=bool)
    if len(numbers):
        filled |= ~np.isnan(numbers).all(axis=0)
    if len(dates):
        filled |= ~np.isnat(dates).all(axis=0)
    for p in present:
        filled |= p
    for m in missing:
        filled |= ~m
    return filled


def _text_values(frame: pd.DataFrame, name: str, a: Any, n: int, out: np.ndarray | None = None) -> tuple[np.ndarray, tuple[np.ndarray, list[str]]]:
    """A text column's values (stripped, NaN for blank) and ``(codes, texts)``, value by
    value (into ``out`` when it is given and the route can)."""
    if isinstance(a.dtype, pd.StringDtype) and getattr(a.dtype, "storage", "") == "pyarrow":
        if n <= _ARROW_MIN:  # (Arrow's list has None where Series.tolist has NaN: both blank)
            return _small_text_values(a.__arrow_array__().to_pylist())
        return _arrow_text_values(a, out)
    if isinstance(a.dtype, pd.StringDtype) and n <= _SMALL:
        return _small_text_values(frame[name].tolist())
    t, _, got = _text(frame[name])
    return t.to_numpy(), got


def _column_arrays(frame: pd.DataFrame, m: int) -> list[Any]:
    """Each column's array, as ``DataFrame._get_column_array`` gives it (the numpy array
    or the extension array; a naive datetime column as its datetime64 array), without
    building a Series: read off the frame's blocks (1 µs a table, against 1 µs a column
    by pandas' accessor, 7 µs by a Series); pandas' accessor where the blocks are not
    what they are in pandas 2 and 3."""
    try:
        out: list[Any] = [None] * m
        found = 0  # (the manager's blocks all have the index's length: only coverage to check)
        for block in frame._mgr.blocks:  # (the placement's attribute, not its Python property)
            values = block.values
            if type(values) is not np.ndarray and values.ndim == 1:  # (an extension array: one column, no list of positions made)
                out[block._mgr_locs.as_array[0]] = values
                found += 1
                continue
            locs = block._mgr_locs.as_array.tolist()
            if not isinstance(values, np.ndarray) and isinstance(values.dtype, np.dtype):
                values = np.asarray(values)  # (a naive DatetimeArray/TimedeltaArray: its ndarray)
            for r, k in enumerate(locs):
                out[k] = values[r]
            found += len(locs)
        if found != m or type(None) in map(type, out):
            raise ValueError
        return out
    except (AttributeError, TypeError, ValueError, IndexError):  # pragma: no cover - other pandas
        column_array = getattr(frame, "_get_column_array", None) or (lambda k: _values_of(frame.iloc[:, k]))
        return [column_array(k) for k in range(m)]


def _values_of(s: pd.Series) -> Any:
    """What ``DataFrame._get_column_array`` gives: the numpy array or the extension array."""
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


def _date_values(a: Any, n: int, date: bool) -> np.ndarray | None:
    """A date column (its array, None when the table lacks it) as ``datetime64[ns]``
    values, as :func:`_date_column` makes them; None when it is not the reader's naive
    datetimes, whole days for a ``date``, that nanoseconds can hold."""
    if a is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if isinstance(a.dtype, np.dtype) and a.dtype.kind == "M":  # naive: the reader's dates
        values = np.asarray(a)
        unit = np.datetime_data(values.dtype)[0]
        per_day = _PER_DAY.get(unit)
        if per_day is not None:
            ints = values.view("int64")
            ints = ints[ints != _NAT]
            lo, hi = _NS_BOUNDS[unit]
            if not len(ints) or ((not date or not np.count_nonzero(ints % per_day)) and lo <= ints.min() and ints.max() <= hi):
                return values.astype("datetime64[ns]")  # a copy (of ns too)
    return None


def _number_values(a: Any, n: int) -> np.ndarray | None:
    """A number column (its array, None when the table lacks it) as float64 values, as
    ``pd.to_numeric(…).astype("float64")`` makes them; None for other than float64/Int64."""
    if a is None:
        return np.full(n, np.nan)
    if a.dtype == np.float64:
        return np.array(a, dtype=np.float64)  # a copy
    if isinstance(a.dtype, pd.Int64Dtype):  # the reader's IDs
        data, mask = getattr(a, "_data", None), getattr(a, "_mask", None)
        if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):  # (its arrays: 3x faster)
            values = data.astype(np.float64)
            if np.count_nonzero(mask):
                values[mask] = np.nan
            return values
        return a.to_numpy(dtype=np.float64, na_value=np.nan)
    return None


_NAT = np.iinfo(np.int64).min
#: _NS_LO, _NS_HI in each unit, as integers (every ns value is within)
_NS_BOUNDS = {unit: (int(_NS_LO.astype(f"datetime64[{unit}]").view("int64")), int(_NS_HI.astype(f"datetime64[{unit}]").view("int64")))
              for unit in ("s", "ms", "us")} | {"ns": (_NAT + 1, np.iinfo(np.int64).max)}
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _frame_of(columns: list[np.ndarray], headers: list[str], index: pd.Index,
              arrays: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The frame of these columns (object, float64 or datetime64[ns] arrays), built from
    one block per dtype (as the DataFrame constructor would consolidate them). ``arrays``
    (optional) receives each column as a read-only view of its block."""
    if _from_blocks is None:  # pandas 2
        return pd.DataFrame({h: pd.Series(a, index=index, dtype=a.dtype) for h, a in zip(headers, columns)}, index=index)
    by_dtype: dict[Any, list[int]] = {}
    for k, a in enumerate(columns):
        by_dtype.setdefault(a.dtype, []).append(k)
    blocks = []
    for ks in by_dtype.values():
        block = np.stack([columns[k] for k in ks]) if len(ks) > 1 else columns[ks[0]].reshape(1, -1)
        blocks.append((block, np.array(ks, dtype=np.intp)))
        if arrays is not None:
            for j, k in enumerate(ks):
                view = block[j]
                view.flags.writeable = False
                arrays[headers[k]] = view
    return _from_blocks(blocks, index=index, columns=_columns(headers))


_COLUMNS: dict[tuple[str, ...], pd.Index] = {}


def _columns(headers: list[str]) -> pd.Index:
    """The column index of a normalised table (an Index is immutable: built once)."""
    key = tuple(headers)
    if key not in _COLUMNS:
        _COLUMNS[key] = pd.Index(headers)
    return _COLUMNS[key]


def _normalised_by_pandas(
    frame: pd.DataFrame,
    spec: schema.Table,
    codes: dict[str, tuple[np.ndarray, list[str]]] | None = None,
) -> pd.DataFrame:
    """:func:`_normalised` with pandas operations, column by column (empty tables, and
    the reference the fast route is tested against)."""
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
            s = _date_column(s, n, col.kind == "date")
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


def _date_column(s: pd.Series, n: int, date: bool) -> pd.Series:
    """A date column as ``datetime64[ns]``: parsed, naive, whole days for a ``date``."""
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", format="mixed") if n else pd.Series([], index=s.index, dtype="datetime64[ns]")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    if date and not _at_midnight(s):  # the reader's dates already are
        s = s.dt.normalize()
    return _within_ns_range(s).astype("datetime64[ns]")


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
    numbered: dict[str, int] = {}
    for k, v in enumerate(uniques.astype(object).tolist()):
        text = v.strip() if isinstance(v, str) else fmt(v).strip()
        values[k] = text if text else np.nan
        present[k] = bool(text)
        if text:
            canonical[k] = numbered.setdefault(text, len(numbered))
    values[-1] = np.nan
    return pd.Series(values[codes], index=s.index, dtype=object), present[codes], (canonical[codes], list(numbered))


#: Up to this many rows a text column is stripped and coded in plain Python: the
#: pandas/Arrow path costs ~0.3 ms a column whatever its length (a dozen small tables
#: with a dozen text columns each).
_SMALL = 2_000


def _small_text(s: pd.Series) -> tuple[pd.Series, np.ndarray, tuple[np.ndarray, list[str]]]:
    """:func:`_text` of a short column of the reader's text (``str`` dtype): the same
    values, presence and codes (texts numbered by first appearance)."""
    values, (codes, texts) = _small_text_values(s.tolist())
    return pd.Series(values, index=s.index, dtype=object), codes >= 0, (codes, texts)


#: Up to this many rows a text column is stripped value by value (:func:`_small_text_values`);
#: longer ones of Arrow strings are dictionary-encoded first (:func:`_arrow_text_values`).
_ARROW_MIN = 64


def _arrow_text_values(a: Any, out: np.ndarray | None = None) -> tuple[np.ndarray, tuple[np.ndarray, list[str]]]:
    """:func:`_small_text_values` of an Arrow string column's array, stripping each distinct value
    once: Arrow's dictionary lists them in order of first appearance, so the stripped
    texts are numbered as value by value. ``out`` (optional): where the values go."""
    chunked = a.__arrow_array__()
    array = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
    encoded = array.dictionary_encode(null_encoding="encode")  # an empty cell: None in the dictionary
    seen: dict[str, int] = {"": 0}  # blank is code 0 here, -1 once shifted
    canonical = np.array([seen.setdefault(v.strip() if v is not None else "", len(seen)) for v in encoded.dictionary.to_pylist()],
                         dtype=np.int64)
    canonical -= 1
    indices = encoded.indices.to_numpy()
    if len(canonical) and len(seen) == len(canonical) + 1 and canonical[0] == 0:  # distinct texts, none blank: codes are the indices
        codes = indices.astype(np.int64)
    else:
        codes = canonical[indices]
    texts = list(seen)[1:]
    lookup = np.empty(len(texts) + 1, dtype=object)
    lookup[:-1] = texts
    lookup[-1] = np.nan  # code -1
    # ("wrap" takes -1 as "raise" does, the last slot, but into ``out`` without a temporary copy)
    return np.take(lookup, codes, out=out, mode="wrap"), (codes, texts)


def _small_text_values(values: list[Any]) -> tuple[np.ndarray, tuple[np.ndarray, list[str]]]:
    """Stripped texts (NaN for blank or not text) as objects, and ``(codes, texts)``."""
    seen: dict[str, int] = {"": 0}  # blank is code 0 here, -1 once shifted
    codes = np.array([seen.setdefault(v.strip() if v.__class__ is str else "", len(seen)) for v in values], dtype=np.int64)
    codes -= 1
    texts = list(seen)[1:]
    lookup = np.empty(len(texts) + 1, dtype=object)
    lookup[:-1] = texts
    lookup[-1] = np.nan  # code -1
    return lookup[codes], (codes, texts)
