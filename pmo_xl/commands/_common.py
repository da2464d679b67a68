"""What several commands need from a loaded book: its calendar, its status date.

One place, so ``schedule``, ``rollup`` and ``validate`` count working days the same way.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .. import schema
from ..errors import NotAPmoWorkbook, NotAWorkbook, PmoError

if TYPE_CHECKING:
    from ..engine.calendar import Calendar
    from ..model import Book


def calendar_for(book: "Book") -> "Calendar":
    """The project's working-day calendar (SPEC §3): ``WorkWeek`` minus ``tblHolidays``
    and the ``HolidayCountry`` public holidays.

    Working day 1 (time 0 of the schedule) is the first working day on or after
    ``StartDate``; without one, the earliest plan Start, else ``StatusDate``, else today.
    An unusable WorkWeek or HolidayCountry is a :class:`~pmo_xl.errors.PmoError` naming
    the setting.
    """
    from ..engine.calendar import to_date
    from ..engine.finance import project_calendar

    shared = _shared_calendar(book)
    if shared is not None:
        return shared
    settings = dict(book.settings)
    start = _day(settings.get("StartDate"))
    if start is None:
        plan = book.tables.get("tblPlan")
        if plan is not None and "Start" in plan.frame.columns:
            starts = plan.frame["Start"].dropna()
            if len(starts):
                start = to_date(starts.min())
    if start is not None:
        settings["StartDate"] = start
    holidays = book.tables.get("tblHolidays")
    frame = holidays.frame if holidays is not None else None
    # the country's holidays cost ~1 ms to look up: one Calendar per distinct set of
    # inputs, handed out as a copy (a Calendar only ever *replaces* its attributes, so
    # copies never share a change)
    key = repr((
        settings.get("StartDate"), None if start is not None else settings.get("StatusDate"),
        settings.get("WorkWeek"), settings.get("HolidayCountry"),
        None if frame is None or "Date" not in frame else frame["Date"].tolist(),
        None if start is not None else _dt.date.today(),  # the fallback start
    ))
    cached = _CALENDARS.get(key)
    if cached is None:
        cached = project_calendar(settings, frame)
        if len(_CALENDARS) >= 64:
            _CALENDARS.clear()
        _CALENDARS[key] = cached
    return copy.copy(cached)


def _shared_calendar(book: "Book") -> "Calendar | None":
    """:func:`calendar_for` in its common case, where its inputs are the rules' (a usable
    StartDate, the reader's dates in tblHolidays, WorkWeek and HolidayCountry as text):
    the very arguments ``project_calendar`` would give ``Calendar``, built once for the
    rules (``RuleContext.calendar``) and the roll-up (None: take the long way)."""
    import numpy as np

    from ..engine._columns import column_array
    from ..engine.rules._context import shared_calendar

    settings = book.settings
    start = _day(settings.get("StartDate"))
    if start is None or not 1678 < start.year < 2262:  # (finance._day's own range)
        return None
    workweek = settings.get("WorkWeek") or "1111100"
    country = settings.get("HolidayCountry") or None
    if type(workweek) is not str or (country is not None and type(country) is not str):
        return None
    table = book.tables.get("tblHolidays")
    holidays: list[Any] = []
    if table is not None and "Date" in table.frame.columns:
        column = column_array(table.frame, "Date")  # (its array: no Series built, ~50 µs cold)
        if not isinstance(column.dtype, np.dtype) or column.dtype.kind != "M" or column.ndim != 1:  # (naive datetimes only)
            return None
        dates = np.asarray(column)
        # what project_calendar makes of them: datetime64[D], NaT skipped, as dates
        holidays = dates[~np.isnat(dates)].astype("datetime64[D]").tolist()
        if any(type(d) is not _dt.date for d in holidays):
            return None
    try:
        return shared_calendar(start, workweek, holidays, country)
    except ValueError:
        return None  # (the long way raises the PmoError naming the setting)


#: calendar_for's calendars by their inputs (a process reading many workbooks of one
#: country builds each calendar once).
_CALENDARS: dict[str, "Calendar"] = {}


def require_plan(book: "Book") -> None:
    """Refuse a workbook without tblPlan (its Plan sheet deleted or renamed): there is
    nothing to schedule and no earned value without the plan, so ``schedule`` and
    ``rollup`` stop with a :class:`~pmo_xl.errors.NotAPmoWorkbook` naming the file
    instead of reporting an empty schedule or made-up figures (``validate`` reports it as
    WB001/WB002; ``pmo-xl upgrade`` puts the sheet back)."""
    plan = book.tables.get("tblPlan")
    if plan is None or not plan.present:
        raise NotAPmoWorkbook(
            "no table tblPlan (sheet Plan): nothing to schedule or roll up; restore the sheet "
            "(pmo-xl upgrade adds it back)",
            path=book.path,
        )


def refuse_newer_template(book: "Book") -> None:
    """Refuse to write into a workbook made by a newer template version: this pmo-xl does
    not know what that version owns, so writing could damage it (``validate`` reports it
    as WB006; reading and reporting are still allowed)."""
    version = book.template_version
    if isinstance(version, (int, float)) and version > schema.TEMPLATE_VERSION:
        raise PmoError(
            f"template version {version:g} is newer than this pmo-xl (version {schema.TEMPLATE_VERSION}); "
            "nothing was written — upgrade pmo-xl to write into this workbook",
            path=book.path,
        )


def status_date_of(book: "Book", override: Any = None) -> _dt.date | None:
    """``override`` (a date or ISO text) if given, else the book's ``StatusDate``."""
    if override is not None:
        return parse_status_date(override)
    return _day(book.settings.get("StatusDate"))


#: The years a status date may have: those of the dates the reader accepts in a workbook
#: (a StatusDate cell of 9999-12-31 is a cell issue; the same date given on the command
#: line would set the schedule and the S-curve counting working days to the year 9999).
STATUS_YEARS = (1900, 2199)


def parse_status_date(value: Any, what: str = "--status-date") -> _dt.date | None:
    """:func:`parse_date`, refusing a date outside :data:`STATUS_YEARS` (PmoError)."""
    day = parse_date(value, what)
    if day is not None and not STATUS_YEARS[0] <= day.year <= STATUS_YEARS[1]:
        raise PmoError(f"{what} {day.isoformat()} is outside the years {STATUS_YEARS[0]}–{STATUS_YEARS[1]}")
    return day


def parse_date(value: Any, what: str = "date") -> _dt.date | None:
    """A date from a date, datetime or ``YYYY-MM-DD`` text; PmoError for anything else."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PmoError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None
    day = _day(value)
    if day is None:
        raise PmoError(f"{what} {value!r} is not a date (use YYYY-MM-DD)")
    return day


def _day(value: Any) -> _dt.date | None:
    from ..engine.calendar import to_date

    try:
        return to_date(value)
    except TypeError:
        return None


@contextlib.contextmanager
def writing(path: str | Path, wait: float | None = None) -> Iterator[Path]:
    """Hold the workbook's pmo-xl lock (:func:`pmo_xl.io.lock.workbook_lock`) around a
    read-compute-save; a missing file or a folder where the lock cannot be created is a
    :class:`~pmo_xl.errors.PmoError` (so a batch goes on with the other files)."""
    from ..io.lock import workbook_lock

    target = Path(path)
    if target.is_dir():
        raise NotAWorkbook("is a folder, not a workbook file", path=str(target))
    if not target.is_file():
        raise NotAWorkbook("file not found", path=str(target))
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(workbook_lock(target, wait=wait))
        except OSError as exc:
            raise PmoError(f"cannot lock the workbook for writing: {exc.strerror or exc}", path=str(target)) from None
        yield target


@contextlib.contextmanager
def book_for_writing(path: str | Path, wait: float | None = None) -> Iterator["Book"]:
    """The workbook read under its lock, ready for a read-compute-save: every ``--write``
    path goes through here, so none can skip the lock or write into a newer template."""
    from ..io.reader import load

    with writing(path, wait):
        book = load(path)
        refuse_newer_template(book)
        yield book
