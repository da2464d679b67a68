"""Critical path method on plain data (SPEC §3). No I/O; see ``docs/schedule.md``.

Time model
    Time is a whole number of working days elapsed since the project start (time 0).
    A task with early start ``t`` and duration ``D`` occupies working days ``t+1 … t+D``
    (1-based, see :class:`~pmo_xl.engine.calendar.Calendar`), so its dates are
    ``date_of(t+1)`` … ``date_of(t+D)``. A milestone (D = 0) at time ``t`` is dated on
    working day ``t`` (the end of that day), or on day 1 when ``t = 0``.

Links (lag ``L`` in working days, negative = lead), successor ``s`` of predecessor ``p``:
    FS ``ES_s >= EF_p + L`` · SS ``ES_s >= ES_p + L`` · FF ``EF_s >= EF_p + L`` ·
    SF ``EF_s >= ES_p + L``.

Passes (Kelley & Walker 1959; PMBOK Guide 6th ed. §6.5.2.2):
    forward ``ES = max(0, link bounds, constraint)``, ``EF = ES + D``; project finish
    ``PF = max EF``; backward ``LF = min(PF, link bounds, constraint)``, ``LS = LF - D``;
    total float ``TF = LS - ES`` (= ``LF - EF``); free float ``FF = min over successors
    of the successor's slack on that link`` (``PF - EF`` without successors), capped by
    TF and never below 0; critical ``TF <= 0``.

Reference (SPEC §3): the 14-task network A..N is 41 working days long, critical path
A-B-F-I-K-L-N.
"""

from __future__ import annotations

import datetime as _dt
import gc
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress, repeat
from operator import itemgetter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from pmo_xl.engine._columns import column_array, positions
from pmo_xl.engine.links import Link, LinkProblem, _parse_text, parse_predecessors

# Masks are tested with np.count_nonzero: on short arrays .any()/.all() cost more (docs/performance.md).

if TYPE_CHECKING:
    import pandas as pd

    from pmo_xl.engine.calendar import Calendar

__all__ = [
    "CONSTRAINTS",
    "CpmTask",
    "ScheduleProblem",
    "ScheduleResult",
    "TaskSchedule",
    "schedule",
    "schedule_plan",
    "tasks_from_plan",
]

CONSTRAINTS: tuple[str, ...] = ("ASAP", "ALAP", "SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO")
_DATED = {"SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO"}
# constraints whose date, on a non-working day, moves to the next working day (the
# others to the previous one): "no earlier than" cannot be met on a holiday itself
_ROLL_FORWARD = {"SNET", "FNET", "MSO"}
#: at most this many critical paths are listed (parallel critical branches multiply)
MAX_CRITICAL_PATHS = 50

_FS, _SS, _FF, _SF = 0, 1, 2, 3
_TYPE_CODE = {"FS": _FS, "SS": _SS, "FF": _FF, "SF": _SF}
_NOT_STARTED, _IN_PROGRESS, _COMPLETE = 0, 1, 2


@dataclass
class CpmTask:
    """One row of the plan, in working-day units.

    ``constraint_day``, ``actual_start`` and ``actual_finish`` are 1-based working-day
    indices (:meth:`Calendar.index_of`). ``percent_complete`` is a fraction 0..1.
    """

    id: int
    duration: float = 0.0
    links: list[Link] = field(default_factory=list)
    type: str = "Task"  # Task / Milestone / Summary
    wbs: str = ""
    constraint: str = "ASAP"
    constraint_day: int | None = None
    percent_complete: float = 0.0
    actual_start: int | None = None
    actual_finish: int | None = None
    name: str = ""
    row: int | None = None  # Excel row of the plan line, for findings


@dataclass(frozen=True)
class ScheduleProblem:
    """Something in the plan the schedule had to ignore or approximate."""

    kind: str  # unknown_predecessor, self_link, cycle, bad_link, summary_link, ...
    task_id: int | None
    message: str
    text: str = ""
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "task_id": self.task_id, "message": self.message, "text": self.text}


@dataclass
class TaskSchedule:
    """CPM result of one task; times in working days elapsed (see module docstring)."""

    id: int
    type: str
    early_start: int
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int
    free_float: int
    critical: bool
    duration: int
    remaining: int
    status: str  # "not started" | "in progress" | "complete" | "summary"
    in_cycle: bool = False


@dataclass
class ScheduleResult:
    """The schedule of one plan. ``to_dict()`` is the SPEC §8 ``schedule`` JSON."""

    tasks: list[TaskSchedule]
    project_start: int  # time of the project start (0, or earlier when actuals are earlier)
    project_finish: int  # forecast finish: max early finish
    critical_paths: list[list[int]]
    cycles: list[list[int]]
    problems: list[ScheduleProblem]
    calendar: Calendar | None = None
    status_day: int | None = None
    # the task objects (None when scheduled from the plan's columns) and schedule()'s arguments
    _inputs: tuple[list[CpmTask] | None, dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    _network: _Network | None = field(default=None, repr=False, compare=False)
    _times: _Times | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ summary figures
    @property
    def duration_days(self) -> int:
        """Working days from the project start to the forecast finish."""
        return self.project_finish - self.project_start

    @property
    def critical_path(self) -> list[int]:
        """The most critical path (lowest float, latest finish): task IDs in order."""
        return self.critical_paths[0] if self.critical_paths else []

    def task(self, task_id: int) -> TaskSchedule:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    # ------------------------------------------------------------------ dates
    def start_date(self, t: TaskSchedule, late: bool = False) -> Any:
        """The calendar date of a task's (early or late) start."""
        return self._date(t.late_start if late else t.early_start, t.late_finish if late else t.early_finish, True)

    def finish_date(self, t: TaskSchedule, late: bool = False) -> Any:
        """The calendar date of a task's (early or late) finish."""
        return self._date(t.late_start if late else t.early_start, t.late_finish if late else t.early_finish, False)

    def _date(self, start: int, finish: int, want_start: bool) -> Any:
        cal = self._need_calendar()
        if finish == start:  # zero duration: dated on its day (day 1 at time 0)
            return cal.date_of(start if start != 0 else 1)
        return cal.date_of(start + 1) if want_start else cal.date_of(finish)

    def _need_calendar(self) -> Calendar:
        if self.calendar is None:
            raise ValueError("this schedule was computed without a calendar: dates are not available")
        return self.calendar

    @property
    def project_start_date(self) -> Any:
        return self._need_calendar().date_of(self.project_start + 1)

    @property
    def project_finish_date(self) -> Any:
        cal = self._need_calendar()
        return cal.date_of(self.project_finish if self.project_finish != self.project_start else self.project_start + 1)

    # ------------------------------------------------------------------ output
    def date_columns(self) -> dict[str, np.ndarray]:
        """Early/late start/finish of every task as ``datetime64[D]`` arrays (vectorised)."""
        cal = self._need_calendar()

        def pair(start: np.ndarray, finish: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            zero = finish == start
            start_day = np.where(zero, np.where(start == 0, 1, start), start + 1)
            finish_day = np.where(zero, start_day, finish)
            return cal.dates_of(start_day), cal.dates_of(finish_day)

        def col(name: str) -> np.ndarray:
            return np.array([getattr(t, name) for t in self.tasks], dtype=np.int64)

        es, ef = pair(col("early_start"), col("early_finish"))
        ls, lf = pair(col("late_start"), col("late_finish"))
        return {"early_start": es, "early_finish": ef, "late_start": ls, "late_finish": lf}

    def to_dict(self) -> dict[str, Any]:
        """SPEC §8 ``schedule`` entry: ISO dates when a calendar is known, else times."""
        if self.calendar is not None:
            dates = {k: np.datetime_as_string(v, unit="D").tolist() for k, v in self.date_columns().items()}
            project_start: Any = self.project_start_date.isoformat()
            project_finish: Any = self.project_finish_date.isoformat()
        else:
            dates = {k: [getattr(t, k) for t in self.tasks] for k in ("early_start", "early_finish", "late_start", "late_finish")}
            project_start, project_finish = self.project_start, self.project_finish
        return {
            "project_start": project_start,
            "project_finish": project_finish,
            "duration_days": self.duration_days,
            "critical_path": self.critical_path,
            "critical_paths": self.critical_paths,
            "tasks": [
                {
                    "id": t.id,
                    "early_start": dates["early_start"][k],
                    "early_finish": dates["early_finish"][k],
                    "late_start": dates["late_start"][k],
                    "late_finish": dates["late_finish"][k],
                    "total_float": t.total_float,
                    "free_float": t.free_float,
                    "critical": t.critical,
                }
                for k, t in enumerate(self.tasks)
            ],
            "cycles": self.cycles,
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per task: times, dates (when a calendar is known), floats, flags."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "ID": [t.id for t in self.tasks],
                "Type": [t.type for t in self.tasks],
                "ES": [t.early_start for t in self.tasks],
                "EF": [t.early_finish for t in self.tasks],
                "LS": [t.late_start for t in self.tasks],
                "LF": [t.late_finish for t in self.tasks],
                "Total Float": [t.total_float for t in self.tasks],
                "Free Float": [t.free_float for t in self.tasks],
                "Critical": [t.critical for t in self.tasks],
                "Status": [t.status for t in self.tasks],
            }
        )
        if self.calendar is not None:
            for key, values in self.date_columns().items():
                frame[key.replace("_", " ").title()] = pd.to_datetime(values)
        return frame

    # ------------------------------------------------------------------ what-if
    def delay(self, task_id: int, days: int) -> ScheduleResult:
        """Re-run the schedule with ``days`` more working days of (remaining) work on
        ``task_id`` — the DCMA critical path test delays a critical task and expects the
        project finish to move by the same amount.

        The tasks' network (IDs, links, summaries, constraints) is the one this result
        was computed from; only the passes run again."""
        if self._inputs is None:
            raise ValueError("this result cannot be re-run")
        tasks, kwargs = self._inputs
        extra = dict(kwargs.get("extra") or {})
        extra[task_id] = extra.get(task_id, 0) + int(days)
        if self._network is None:
            if tasks is None:
                raise ValueError("this result cannot be re-run")
            return schedule(tasks, **{**kwargs, "extra": extra})
        # same tasks, same network: only the passes depend on the durations
        problems = list(kwargs["problems"])
        inputs = (tasks, {**kwargs, "extra": extra})
        return _passes(self._network, kwargs["status_day"], kwargs["calendar"], problems + self._network.problems, extra, inputs)

    def delayed_finish(self, task_id: int, days: int) -> int:
        """``delay(task_id, days).project_finish``, computing only what the finish needs
        (the DCMA critical path test asks for nothing else)."""
        if self._inputs is None or self._network is None:
            return self.delay(task_id, days).project_finish
        _tasks, kwargs = self._inputs
        extra = dict(kwargs.get("extra") or {})
        extra[task_id] = extra.get(task_id, 0) + int(days)
        if self._times is not None:
            finish = _finish_after_delay(self._network, self._times, task_id, extra[task_id])
            if finish is not None:
                return finish
        return _project_finish(self._network, kwargs["status_day"], extra)


# ====================================================================== building tasks
def tasks_from_plan(frame: pd.DataFrame, calendar: Calendar) -> tuple[list[CpmTask], list[ScheduleProblem]]:
    """CPM tasks from a typed ``tblPlan`` frame (reader output, index = Excel rows).

    Dates become working-day indices through ``calendar``. A constraint date on a
    non-working day moves to the next working day for SNET/FNET/MSO and to the previous
    one for SNLT/FNLT/MFO. A missing Duration is taken from Start..Finish (NETWORKDAYS)
    when both are there. ``Status = Complete`` without a % Complete counts as 100 %.
    Rows without an ID are skipped (validation reports them).

    The tasks are :func:`_plan_columns`' columns, one :class:`CpmTask` per row.
    """
    plan, names, problems = _plan_columns(frame, calendar, with_names=True)
    durations = [d or 0.0 for d in plan.duration]
    pcts = [min(max(p or 0.0, 0.0), 1.0) for p in plan.percent_complete]
    links = [list(v) for v in plan.links]
    # positional, in field order: id, duration, links, type, wbs, constraint,
    # constraint_day, percent_complete, actual_start, actual_finish, name, row
    tasks = list(map(CpmTask, plan.id, durations, links, plan.type, plan.wbs, plan.constraint, plan.constraint_day,
                     pcts, plan.actual_start, plan.actual_finish, names, plan.row))
    return tasks, problems


@dataclass
class _Tasks:
    """The tasks as columns, plan order: :class:`CpmTask`'s fields but the name (the
    schedule never reads it). What the engine works on; :func:`schedule_plan` makes it
    from the plan's columns without a task object in between."""

    id: list[int]
    duration: list[float | None]  # None: no duration (0 days)
    links: list[Sequence[Link]]
    type: list[str]
    wbs: list[str]
    constraint: list[str]
    constraint_day: list[int | None]
    percent_complete: list[float | None]  # not clamped yet (None: 0)
    actual_start: list[int | None]
    actual_finish: list[int | None]
    row: list[int | None]

    @classmethod
    def of(cls, tasks: Sequence[CpmTask]) -> _Tasks:
        return cls(*([getattr(t, name) for t in tasks] for name in _TASK_FIELDS))

    def take(self, keep: list[int]) -> _Tasks:
        """The tasks at positions ``keep``, in that order."""
        return _Tasks(*([values[k] for k in keep] for values in map(self.__getattribute__, _TASK_FIELDS)))


_TASK_FIELDS = ("id", "duration", "links", "type", "wbs", "constraint", "constraint_day", "percent_complete",
                "actual_start", "actual_finish", "row")


def _plan_columns(frame: pd.DataFrame, calendar: Calendar, with_names: bool = False,
                  columns: PlanColumns | None = None) -> tuple[_Tasks, list[str], list[ScheduleProblem]]:
    """The plan's tasks as columns (:class:`_Tasks`), their names (when ``with_names``)
    and the problems found on the way (:func:`tasks_from_plan` says what is read how).
    ``columns``: the frame's columns as arrays and codes, when the caller has them
    (:func:`schedule_plan`).

    Whole columns are converted at once: numbers and dates by numpy, text once per
    distinct value, and every date that needs a working-day index in one
    :meth:`Calendar.indices_of` call per kind of rounding; a column only the missing
    Durations or the dated constraints need is read only when there are some.
    """
    problems: list[ScheduleProblem] = []
    n = len(frame)
    rows = frame.index.tolist()
    # each column by position (None: a repeated header), or the caller's arrays
    where: _Where = positions(frame) if columns is None else columns
    ids = _numbers(frame, "ID", where)
    durations = _numbers(frame, "Duration", where)
    pcts = _numbers(frame, "% Complete", where)
    kinds = _texts(frame, "Type", _kind_of, where)
    cons = _texts(frame, "Constraint", _constraint_of, where)
    wbs = _texts(frame, "WBS", None, where)
    names = _texts(frame, "Task", None, where) if with_names else []
    # (each row's code of its distinct Predecessors text, when the caller has them)
    coded = columns.codes("Predecessors") if columns is not None else None
    preds = _column(frame, "Predecessors", where) if coded is None else coded[0].tolist()

    # ---- the rows that make tasks (a whole ID), and their dates as datetime64[D] -------
    kept = list(compress(range(n), [v is not None and v.is_integer() for v in ids]))
    m = len(kept)
    if m < n:  # the columns at the kept rows only (all of them: the usual case)
        ids, durations, pcts, kinds, cons, wbs, preds, rows = (
            [values[k] for k in kept] for values in (ids, durations, pcts, kinds, cons, wbs, preds, rows))
        if with_names:
            names = [names[k] for k in kept]
    at = np.array(kept, dtype=np.intp) if m < n else None  # (None: every row)
    distinct_cons = set(cons)
    dated = not distinct_cons.isdisjoint(_DATED)
    is_dated = np.fromiter(map(_DATED.__contains__, cons), bool, m) if dated else None
    # Start..Finish only where the Duration is missing (a Task), constraint dates only
    # where the constraint needs one: a column of anything but dates is read only there
    span_days: list[Any] | None = None
    if None in durations:
        span_need = np.array([d is None and c == "Task" for d, c in zip(durations, kinds)], dtype=bool)
        starts = _day_array(frame, "Start", at, span_need, where)
        finishes = _day_array(frame, "Finish", at, span_need, where)
        # spans: NETWORKDAYS(start, finish) = index(finish) - index(start - 1 day)
        spans = span_need & ~np.isnat(starts) & ~np.isnat(finishes)
        spans[spans] = finishes[spans] >= starts[spans]
        if np.count_nonzero(spans):
            span_days = [None] * m
            days = calendar.indices_of(finishes[spans]) - calendar.indices_of(starts[spans] - np.timedelta64(1, "D"))
            for j, d in zip(np.flatnonzero(spans).tolist(), days.tolist()):
                span_days[j] = float(int(d))
    nat = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    constraint_dates = _day_array(frame, "Constraint Date", at, is_dated, where) if dated else nat
    actual_starts = _day_array(frame, "Actual Start", at, None, where)
    actual_finishes = _day_array(frame, "Actual Finish", at, None, where)

    # ---- whole columns through the calendar ------------------------------------------
    # working-day indices, by rounding of a non-working day: "forward" =
    # index_of(next_working(d)) for SNET/FNET/MSO dates and actual starts, "backward" =
    # index_of(d) for the other constraint dates and actual finishes
    if dated:
        has_date = is_dated & ~np.isnat(constraint_dates)
        rolls_forward = np.fromiter(map(_ROLL_FORWARD.__contains__, cons), bool, m)
        c_forward, c_backward = has_date & rolls_forward, has_date & ~rolls_forward
    else:
        c_forward = c_backward = np.zeros(m, dtype=bool)
    has_start, has_finish = ~np.isnat(actual_starts), ~np.isnat(actual_finishes)
    # each output an object array of None, its indices put in by mask (Python ints, as
    # .tolist() gives them), instead of a Python loop over the dated rows; one
    # indices_of call for both roundings
    cday_at = np.full(m, None, dtype=object)
    astart_at = np.full(m, None, dtype=object)
    afinish_at = np.full(m, None, dtype=object)
    parts = ((c_forward, constraint_dates, cday_at, True), (has_start, actual_starts, astart_at, True),
             (c_backward, constraint_dates, cday_at, False), (has_finish, actual_finishes, afinish_at, False))
    wanted = [values[mask] for mask, values, _out, _ahead in parts]
    if sum(len(w) for w in wanted):
        ahead = np.concatenate([np.full(len(w), part[3]) for w, part in zip(wanted, parts)])
        index = calendar.indices_of(np.concatenate(wanted), forward=ahead).astype(np.int64, copy=False)
        i = 0
        for (mask, _values, out, _ahead), w in zip(parts, wanted):
            out[mask] = index[i:i + len(w)]
            i += len(w)
    cday, astart, afinish = cday_at.tolist(), astart_at.tolist(), afinish_at.tolist()

    # ---- links, problems (in row order), the columns ----------------------------------
    links: list[Sequence[Link]] = []
    bad_links: dict[int, Sequence[LinkProblem]] = {}
    if coded is not None:  # codes: each distinct text parsed once, handed to its rows
        parsed = [*map(_parse_text, coded[1]), ((), ())]  # (-1: blank)
        links = [parsed[c][0] for c in preds]
        if any(wrong for _found, wrong in parsed):
            bad_links = {j: parsed[c][1] for j, c in enumerate(preds) if parsed[c][1]}
    else:
        for j, v in enumerate(preds):
            found: Sequence[Link]
            wrong: Sequence[LinkProblem]
            if type(v) is str:  # parse_predecessors' own cache: its tuples, shared (read only)
                found, wrong = _parse_text(v)
            elif v is None:
                links.append(())
                continue
            else:
                found, wrong = parse_predecessors(v)
            links.append(found)
            if wrong:
                bad_links[j] = wrong
    task_ids = list(map(int, cast("list[float]", ids)))  # (None is not in the kept rows)
    if distinct_cons != {"ASAP"} or bad_links:
        # the rows with something to report: a bad link or a constraint other than ASAP
        flagged = sorted(set(bad_links).union(compress(range(m), map("ASAP".__ne__, cons))))
        for j in flagged:
            task_id = task_ids[j]
            row = rows[j]
            for p in bad_links.get(j, ()):
                problems.append(ScheduleProblem("bad_link", task_id, f"task {task_id}: {p.message}", p.text, row))
            constraint = cons[j]
            if constraint == "ASAP":
                pass
            elif constraint not in CONSTRAINTS:
                problems.append(
                    ScheduleProblem("bad_constraint", task_id, f"task {task_id}: unknown constraint {constraint!r}, ASAP used", constraint, row)
                )
                cons[j] = "ASAP"
            elif constraint in _DATED and cday[j] is None:
                problems.append(
                    ScheduleProblem("constraint_date_missing", task_id, f"task {task_id}: {constraint} needs a Constraint Date; ASAP used", "", row)
                )
                cons[j] = "ASAP"
    if None in pcts:  # "Complete" without a % Complete: the Status column only then
        statuses = _texts(frame, "Status", _is_complete, where)
        if m < n:
            statuses = [statuses[k] for k in kept]
        pcts = [(1.0 if s else 0.0) if p is None else p for p, s in zip(pcts, statuses)]
    if span_days is not None:
        durations = [d if s is None else s for d, s in zip(durations, span_days)]
    if set(map(type, rows)) - {int}:
        rows = [r if type(r) is int else (int(r) if isinstance(r, (int, np.integer)) else None) for r in rows]
    plan = _Tasks(task_ids, durations, links, kinds, wbs, cons, cday, pcts, astart, afinish, rows)
    return plan, names, problems


_KINDS = {"task": "Task", "milestone": "Milestone", "summary": "Summary"}
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


# what a text column's cleaned cell (:func:`_text`: stripped, None when empty) stands for
def _kind_of(v: str | None) -> str:
    return _KINDS.get((v or "Task").lower(), v or "Task")


def _constraint_of(v: str | None) -> str:
    return (v or "ASAP").upper()


def _or_empty(v: str | None) -> str:
    return v or ""


def _is_complete(v: str | None) -> bool:
    return (v or "").lower() == "complete"


def _days_of(dates: list[_dt.date]) -> np.ndarray:
    """``datetime64[D]`` of dates (by ordinal: numpy converts date objects slowly)."""
    return (np.array([d.toordinal() for d in dates], dtype=np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]")


class PlanColumns:
    """A normalised plan's columns as the rule context holds them: ``array(name)`` is
    ``frame[name].to_numpy()`` (every schema column of ``tblPlan``: numbers float64,
    dates datetime64[ns], texts stripped objects with NaN for blank), ``codes(name)``
    a text column as ``(codes, texts)`` (``texts[codes[k]]`` is row k's text, -1 blank)
    or None when the caller has not coded it (its array is read then).
    The CPM reads them instead of the frame (no column looked up, no text hashed twice)."""

    __slots__ = ("array", "codes")

    def __init__(self, array: Callable[[str], np.ndarray],
                 codes: Callable[[str], tuple[np.ndarray, list[str]] | None]) -> None:
        self.array, self.codes = array, codes


#: how a column is found: its position in the frame, or the caller's arrays
_Where = dict[Any, int] | PlanColumns | None


def _values(frame: pd.DataFrame, name: Hashable, where: _Where = None) -> Any:
    """The column's array (:func:`~pmo_xl.engine._columns.column_array`); None when the
    column is missing. ``where``: the frame's :func:`~pmo_xl.engine._columns.positions`,
    when the caller reads many columns, or the plan's :class:`PlanColumns`."""
    if isinstance(where, PlanColumns):
        return where.array(cast(str, name))  # (the plan's columns: named by the schema)
    if where is not None:
        return column_array(frame, name, where) if name in where else None
    return column_array(frame, name) if name in frame.columns else None


def _column(frame: pd.DataFrame, name: str, where: _Where = None) -> list[Any]:
    values = _values(frame, name, where)  # Series.tolist() is its values' tolist()
    return values.tolist() if values is not None else [None] * len(frame)


def _numbers(frame: pd.DataFrame, name: str, where: _Where = None) -> list[float | None]:
    """:func:`_number` of every cell of a column (numpy for a numeric column)."""
    import pandas as pd

    values = _values(frame, name, where)
    if values is None:
        return [None] * len(frame)
    if (values.dtype.kind in "fiu" if isinstance(values.dtype, np.dtype)  # (pandas' dtype tests cost ~10 µs)
            else pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype)):
        if isinstance(values, np.ndarray):  # what Series.to_numpy(float, na_value=nan) gives
            values = values.astype(float, copy=False).tolist()
        else:
            values = values.to_numpy(dtype=float, na_value=np.nan).tolist()
        return [None if v != v else v for v in values]
    return [_number(v) for v in values.tolist()]


def _texts(frame: pd.DataFrame, name: str, meaning: Callable[[str | None], Any] | None,
           where: _Where = None) -> list[Any]:
    """``meaning(_text(v))`` of every cell ``v`` of a column, computed once per distinct
    value (``meaning`` None: the text, "" when empty). :func:`_text` is ``str.strip`` for
    text (what pandas' ``.str.strip`` runs on objects; Arrow's ``utf8_trim_whitespace``
    strips the same characters, tests/test_cpm_fast.py)."""
    coded = where.codes(name) if type(where) is PlanColumns else None
    if coded is not None:  # stripped texts already, and coded: one meaning per text
        codes, texts = coded
        of = [*texts, None] if meaning is None else [*map(meaning, texts), meaning(None)]
        if meaning is None:
            of[-1] = ""
        return [of[c] for c in codes.tolist()]
    values = _column(frame, name, where)
    kinds = set(map(type, values))
    if meaning is None:
        if kinds == {str}:  # text in every cell (WBS codes, names: all distinct): strip in C
            return list(map(str.strip, values))
        meaning = _or_empty
    distinct = set(values) if kinds <= _PLAIN_CELLS else ()
    if distinct and (float not in kinds or 0.0 not in distinct):
        # text, empty cells, NaN: no two of them are equal with different texts (as 1,
        # 1.0 and True or 0.0 and -0.0 are), so one dict keyed by value maps them in C
        by_value = {v: meaning(_text(v)) for v in distinct}
        return list(map(by_value.__getitem__, values))
    seen: dict[Any, Any] = {}
    out: list[Any] = []
    for v in values:
        key = (type(v), v)
        try:
            t = seen[key]
        except KeyError:
            t = seen[key] = meaning(_text(v))
        except TypeError:  # unhashable
            t = meaning(_text(v))
        out.append(t)
    return out


_PLAIN_CELLS = {str, type(None), float}


def _day_array(frame: pd.DataFrame, name: str, at: np.ndarray | None, need: np.ndarray | None,
               where: _Where = None) -> np.ndarray:
    """The column's cells at positions ``at`` (None: every row) as ``datetime64[D]`` (NaT
    when empty): a date column by numpy; any other column by :func:`to_date` (which
    rejects what is not a date), and only the cells where ``need`` is True."""
    import pandas as pd

    size = len(frame) if at is None else len(at)
    column = _values(frame, name, where)
    if column is not None and size and (
            column.dtype.kind == "M" if isinstance(column.dtype, np.dtype)  # (pandas' dtype test costs ~5 µs)
            else pd.api.types.is_datetime64_dtype(column.dtype)):  # naive datetimes: whole days in bulk
        values = np.asarray(column)
        days = (values if at is None else values[at]).astype("datetime64[D]")
        if values.dtype == _NANOSECONDS:  # years 1677..2262 at most: always a date
            return days
        ok = days[~np.isnat(days)]
        if not ok.size or (ok.min() >= np.datetime64("0001-01-01") and ok.max() <= np.datetime64("9999-12-31")):
            return days
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
    if column is None or not size:
        return out
    from pmo_xl.engine.calendar import to_date

    cells = frame[name].to_numpy(dtype=object)
    values = (cells if at is None else cells[at]).tolist()
    wanted = range(size) if need is None else np.flatnonzero(need).tolist()
    dates = [(j, d) for j in wanted if (d := to_date(values[j])) is not None]
    if dates:
        out[[j for j, _d in dates]] = _days_of([d for _j, d in dates])
    return out


_NANOSECONDS = np.dtype("datetime64[ns]")


def _whole_of(value: float | None) -> int | None:
    if value is None or not value.is_integer():
        return None
    return int(value)


def schedule_plan(frame: pd.DataFrame, calendar: Calendar, status_date: Any = None,
                  columns: PlanColumns | None = None) -> ScheduleResult:
    """:func:`tasks_from_plan` + :func:`schedule`: the whole plan, dated by ``calendar``
    (from the plan's columns straight to the passes: no :class:`CpmTask` is made).
    ``columns`` (optional): ``frame``'s columns as :class:`PlanColumns`, when ``frame``
    is a normalised plan whose arrays the caller holds (the rule context)."""
    from pmo_xl.engine.calendar import to_date

    with collector_paused():
        plan, _names, problems = _plan_columns(frame, calendar, columns=columns)  # the tasks as columns: no task objects
        status = to_date(status_date)
        status_day = calendar.index_of(status) if status is not None else None
        return _schedule(plan, None, status_day, calendar, problems, {})


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a plan's objects are made.

    A 5,000-task plan makes some 50,000 small objects (tasks, links, results, findings)
    that live on; each full collection on the way re-scans every live object of the
    process (the loaded workbook included): ~40 ms per validation of the big workbook,
    ~230 ms when it has 178,000 findings. Nothing here makes reference cycles, so the
    collector is only paused (if it was on), never left off. Used by the schedule, the
    rules and the DCMA checks.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _whole(value: Any) -> int | None:
    out = _number(value)
    if out is None or not out.is_integer():
        return None
    return int(out)


def _days(duration: float) -> int:
    """Whole working days: half up, and a positive duration is at least 1 day."""
    if duration is None or not duration > 0:
        return 0
    return max(1, int(math.floor(duration + 0.5)))


# ====================================================================== the engine
def schedule(
    tasks: Sequence[CpmTask],
    status_day: int | None = None,
    calendar: Calendar | None = None,
    problems: Iterable[ScheduleProblem] = (),
    extra: dict[int, int] | None = None,
) -> ScheduleResult:
    """Forward and backward pass over ``tasks`` (see the module docstring).

    Args:
        tasks: the plan; IDs unique (a repeated ID is reported and ignored).
        status_day: the status (data) date as a 1-based working-day index: work up to the
            end of that day is done. None: no status date (not-started tasks are not held
            back; in-progress tasks continue from their actual start).
        calendar: turns times into dates in the result (optional).
        problems: problems found while building the tasks, carried into the result.
        extra: ``{task_id: days}`` added to a task's (remaining) duration — what-if.
    """
    tasks = list(tasks)
    return _schedule(_Tasks.of(tasks), tasks, status_day, calendar, list(problems), dict(extra or {}))


def _schedule(plan: _Tasks, tasks: list[CpmTask] | None, status_day: int | None, calendar: Calendar | None,
              problems: list[ScheduleProblem], extra: dict[int, int]) -> ScheduleResult:
    """:func:`schedule` of the tasks as columns (``tasks``: the task objects, if any)."""
    inputs = (tasks, {"status_day": status_day, "calendar": calendar, "problems": list(problems), "extra": extra})
    network = _network(plan)
    return _passes(network, status_day, calendar, problems + network.problems, extra, inputs)


@dataclass
class _Network:
    """What :func:`schedule` derives from the tasks alone (IDs, summaries, links, cycles,
    topological order, constraints): a what-if on durations re-runs only the passes."""

    tasks: _Tasks  # unique IDs, plan order
    is_summary: list[bool]
    leaves_of: dict[int, list[int]]  # summary -> its leaf tasks
    spans: list[tuple[int, list[int]]]  # (summary, the leaves and summaries right under it), bottom-up
    incoming: list[list[tuple[int, int, int]]]  # (pred, type, lag) between leaf tasks
    outgoing: list[list[tuple[int, int, int]]]  # (succ, type, lag)
    order: list[int]
    cycles: list[list[int]]
    in_cycle: list[bool]
    cons: list[str]
    cday: list[int | None]
    problems: list[ScheduleProblem]  # found while building it


def _network(tasks: Sequence[CpmTask] | _Tasks) -> _Network:
    plan = tasks if isinstance(tasks, _Tasks) else _Tasks.of(tasks)
    problems: list[ScheduleProblem] = []

    # ---- unique IDs --------------------------------------------------------------
    pos = dict(zip(plan.id, range(len(plan.id))))
    if len(pos) < len(plan.id):  # a repeated ID: the first one is kept
        pos = {}
        keep: list[int] = []
        for k, task_id in enumerate(plan.id):
            if task_id in pos:
                problems.append(ScheduleProblem("duplicate_id", task_id, f"task ID {task_id} is used twice; the second is ignored", row=plan.row[k]))
                continue
            pos[task_id] = len(keep)
            keep.append(k)
        plan = plan.take(keep)
    ids, wbs, rows = plan.id, plan.wbs, plan.row
    n = len(ids)

    # ---- summaries: span their children, links expand to their leaf tasks --------
    is_summary = [k == "Summary" for k in plan.type]
    leaves_of: dict[int, list[int]] = {i: [] for i in compress(range(n), is_summary)}
    kids_of: dict[int, list[int]] = {i: [] for i in leaves_of}  # the leaves and summaries right under each
    spans: list[tuple[int, list[int]]] = []
    if leaves_of:
        by_wbs = {code: i for i, code in enumerate(wbs) if code}
        above: dict[str, list[int]] = {}  # WBS code -> the summaries at it and above it, deepest first

        def summaries_from(code: str) -> list[int]:
            """The summaries of ``code`` and its ancestors' codes (1.2 -> 1), memoised."""
            chain: list[str] = []  # codes not known yet, deepest first
            got = above.get(code)
            while got is None:
                chain.append(code)
                cut = code.rfind(".")
                if cut < 0:
                    got = []
                    break
                code = code[:cut]
                got = above.get(code)
            for c in reversed(chain):
                j = by_wbs.get(c)
                if j is not None and is_summary[j]:
                    got = [j, *got]
                above[c] = got
            return got

        # the leaf tasks by parent code (1.2.3 -> 1.2), then each group goes to the
        # summaries of its parent's code and above it (deepest first: 1.2 -> 1) at once
        groups: dict[str, list[int]] = {}
        for i, code in enumerate(wbs):
            if not code or is_summary[i]:
                continue
            cut = code.rfind(".")
            if cut >= 0:
                parent = code[:cut]
                group = groups.get(parent)
                if group is None:
                    groups[parent] = [i]
                else:
                    group.append(i)
        for parent, group in groups.items():
            got = summaries_from(parent)
            for j in got:
                leaves_of[j].extend(group)
            if got:
                kids_of[got[0]].extend(group)
    for j in list(leaves_of):
        if not leaves_of[j]:
            problems.append(
                ScheduleProblem("empty_summary", ids[j], f"summary task {ids[j]} has no tasks under it (WBS {wbs[j]!r}); scheduled as a task", row=rows[j])
            )
            is_summary[j] = False
            del leaves_of[j]
        elif plan.constraint[j] not in ("ASAP", "ALAP"):
            problems.append(
                ScheduleProblem("summary_constraint", ids[j], f"summary task {ids[j]}: its {plan.constraint[j]} constraint is ignored (summaries span their tasks)", row=rows[j])
            )
    if leaves_of:
        # a summary spans its leaves = its own leaves and the summaries right under it
        # (their own spans): computed bottom-up, deepest WBS codes first, each value is
        # read once per level instead of once per summary above it
        for j in leaves_of:
            cut = wbs[j].rfind(".")
            if cut >= 0:
                got = summaries_from(wbs[j][:cut])
                if got:  # (an ancestor of a summary with tasks has them too: never empty)
                    kids_of[got[0]].append(j)
        spans = [(j, kids_of[j]) for j in sorted(leaves_of, key=lambda j: -wbs[j].count("."))]

    # ---- edges -------------------------------------------------------------------
    into: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]  # (pred, type, lag) of each leaf task
    for s, links in enumerate(plan.links):
        for link in links:
            p = pos.get(link.pred)
            if p is None:
                problems.append(ScheduleProblem("unknown_predecessor", ids[s], f"task {ids[s]}: predecessor {link.pred} does not exist; link ignored", str(link), rows[s]))
                continue
            if p == s:
                problems.append(ScheduleProblem("self_link", ids[s], f"task {ids[s]} is its own predecessor; link ignored", str(link), rows[s]))
                continue
            if not is_summary[p] and not is_summary[s]:  # the common case: two leaf tasks
                into[s].append((p, _TYPE_CODE[link.type], int(link.lag)))
                continue
            p_ends = leaves_of[p] if is_summary[p] else [p]
            s_ends = leaves_of[s] if is_summary[s] else [s]
            if set(p_ends) & set(s_ends):
                problems.append(ScheduleProblem("summary_link", ids[s], f"task {ids[s]}: a link between a summary and its own tasks ({link.pred}) is ignored", str(link), rows[s]))
                continue
            for b in s_ends:
                into[b].extend((a, _TYPE_CODE[link.type], int(link.lag)) for a in p_ends)

    def graph(into: list[list[tuple[int, int, int]]]) -> tuple[list[list[tuple[int, int, int]]], list[list[tuple[int, int, int]]], list[int]]:
        # each task's links once, by (pred, type, lag); a predecessor's by (succ, type, lag)
        incoming = [sorted(set(links)) if len(links) > 1 else links for links in into]
        outgoing: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        forward = True
        for b, links in enumerate(incoming):
            for a, k, lag in links:
                outgoing[a].append((b, k, lag))
                if a > b:
                    forward = False
        # every edge from an earlier task to a later one: plan order is a topological
        # order and, being the smallest permutation, the one Kahn's min-heap gives
        return incoming, outgoing, (list(range(n)) if forward else _kahn(n, outgoing, incoming))

    incoming, outgoing, order = graph(into)
    in_cycle = [False] * n
    cycles: list[list[int]] = []
    if len(order) < n:  # Kahn's order misses the tasks of a loop: find the loops, cut them
        comp = _tarjan(n, [[b for b, _k, _l in out] for out in outgoing])
        comp_size: dict[int, int] = {}
        for c in comp:
            comp_size[c] = comp_size.get(c, 0) + 1
        in_cycle = [comp_size[c] > 1 for c in comp]
        members: dict[int, list[int]] = {}
        for i in range(n):
            if in_cycle[i]:
                members.setdefault(comp[i], []).append(ids[i])
        for loop in sorted(sorted(m) for m in members.values()):
            cycles.append(loop)
            problems.append(
                ScheduleProblem("cycle", loop[0], "tasks " + ", ".join(map(str, loop)) + " depend on each other in a loop; the links among them are ignored")
            )
        incoming, outgoing, order = graph([[e for e in links if comp[e[0]] != comp[b]] for b, links in enumerate(incoming)])
        if len(order) < n:  # cannot happen once the loops are cut; keep every task anyway
            placed = set(order)
            order.extend(i for i in range(n) if i not in placed)

    cons = [c if c in CONSTRAINTS else "ASAP" for c in plan.constraint]
    cday = plan.constraint_day
    for i in compress(range(n), map(_DATED.__contains__, cons)):
        if cday[i] is None:
            problems.append(ScheduleProblem("constraint_date_missing", ids[i], f"task {ids[i]}: {cons[i]} without a constraint day; ASAP used", row=rows[i]))
            cons[i] = "ASAP"
    return _Network(plan, is_summary, leaves_of, spans, incoming, outgoing, order, cycles, in_cycle, cons, cday, problems)


@dataclass
class _Times:
    """The passes' results, one list entry per task (Python ints: a numpy scalar per step
    costs more than the arithmetic while the passes walk task by task)."""

    dur: list[int]
    rem: list[int]
    state: list[int]
    es: list[int]
    ef: list[int]
    resume: list[int]  # when the remaining work starts
    ls: list[int]
    lf: list[int]
    finish: int  # project finish: max early finish of the leaf tasks
    leaves: list[int]
    status: int | None


def _times(network: _Network, status_day: int | None, extra: dict[int, int], late: bool = True) -> _Times:
    """Durations and progress, forward pass, backward pass (``late=False``: only when an
    ALAP task needs it — the project finish alone does not)."""
    plan, is_summary = network.tasks, network.is_summary
    outgoing, order = network.outgoing, network.order
    cons, cday = network.cons, network.cday
    n = len(plan.id)

    # ---- durations and progress ---------------------------------------------------
    dur = [0] * n
    rem = [0] * n
    state = [_NOT_STARTED] * n
    if n:  # column by column (map: no Python loop per task); summaries stay 0, not started
        adds = [int(extra.get(i, 0)) for i in plan.id] if extra else repeat(0, n)
        progress = zip(*map(_progress, plan.type, plan.duration, plan.percent_complete, plan.actual_start, plan.actual_finish, adds))
        state, dur, rem = (list(values) for values in progress)
        for j in network.leaves_of:
            state[j], dur[j], rem[j] = _NOT_STARTED, 0, 0
    status = None if status_day is None else int(status_day)

    # ---- forward pass --------------------------------------------------------------
    es = [0] * n
    ef = [0] * n
    resume = [0] * n  # when the remaining work starts

    def forward(alap_start: list[int] | None) -> None:
        _forward(network, order, dur, rem, state, status, es, ef, resume, alap_start)

    leaves = [i for i in range(n) if not is_summary[i]]
    forward(None)
    finish = max(map(ef.__getitem__, leaves), default=0)

    # ---- backward pass -------------------------------------------------------------
    ls = [0] * n
    lf = [0] * n

    def backward(project_finish: int) -> None:
        for i in reversed(order):
            if is_summary[i]:
                continue
            if state[i] == _COMPLETE:
                ls[i], lf[i] = es[i], ef[i]
                continue
            d = dur[i]
            late_finish = project_finish
            late_start = None
            for s, k, lag in outgoing[i]:
                if state[s] == _COMPLETE:
                    continue
                if state[s] == _IN_PROGRESS:
                    if k == _FS:
                        late_finish = min(late_finish, lf[s] - rem[s] - lag)
                    elif k == _FF:
                        late_finish = min(late_finish, lf[s] - lag)
                    elif k == _SF:
                        late_start = _min(late_start, lf[s] - lag)
                    continue
                if k == _FS:
                    late_finish = min(late_finish, ls[s] - lag)
                elif k == _SS:
                    late_start = _min(late_start, ls[s] - lag)
                elif k == _FF:
                    late_finish = min(late_finish, lf[s] - lag)
                else:
                    late_start = _min(late_start, lf[s] - lag)
            c = cons[i]
            if c in ("SNLT", "MSO"):
                late_start = _min(late_start, _start_bound(cday[i], d))
            elif c in ("FNLT", "MFO"):
                late_finish = min(late_finish, _finish_bound(cday[i]))
            if state[i] == _IN_PROGRESS:  # its start is history: only the finish is bounded
                lf[i] = late_finish
                ls[i] = es[i]
                continue
            if late_start is not None:
                late_finish = min(late_finish, late_start + d)
            lf[i] = late_finish
            ls[i] = late_finish - d

    alap = any(cons[i] == "ALAP" for i in leaves if state[i] == _NOT_STARTED)
    if late or alap:
        backward(finish)
    if alap:  # ALAP tasks start as late as their float allows: forward again from the late starts
        forward(list(ls))
        finish = max(map(ef.__getitem__, leaves), default=0)
        if late:
            backward(finish)
    return _Times(dur, rem, state, es, ef, resume, ls, lf, finish, leaves, status)


def _progress(kind: str, duration: float | None, percent_complete: float | None, actual_start: int | None,
              actual_finish: int | None, add: int) -> tuple[int, int, int]:
    """(state, duration, remaining) of a leaf task with ``add`` more days of work."""
    if kind == "Milestone":
        d = 0
    else:  # _days(duration), inline: called for every task of every pass
        if duration is not None and duration > 0:
            d = int(math.floor(duration + 0.5))
            if d < 1:
                d = 1
        else:
            d = 0
    # min(max(pct, 0), 1), max(0, x) by comparisons (NaN and -0.0 kept as min/max keep
    # them): builtin calls were half of this function's time
    pct = float(percent_complete or 0.0)
    if pct < 0.0:
        pct = 0.0
    elif pct > 1.0:
        pct = 1.0
    if pct >= 1.0 or actual_finish is not None:
        return _COMPLETE, d, 0
    if pct > 0.0 or actual_start is not None:
        left = math.ceil(d * (1.0 - pct) - 1e-9)
        return _IN_PROGRESS, d + add, (left if left > 0 else 0) + add
    d += add
    if d < 0:
        d = 0
    return _NOT_STARTED, d, d


def _forward(
    network: _Network,
    nodes: Iterable[int],
    dur: list[int],
    rem: list[int],
    state: list[int],
    status: int | None,
    es: list[int],
    ef: list[int],
    resume: list[int],
    alap_start: list[int] | None,
) -> None:
    """The forward pass over ``nodes`` (in topological order), in place."""
    is_summary, incoming = network.is_summary, network.incoming
    cons, cday = network.cons, network.cday
    astart, afinish = network.tasks.actual_start, network.tasks.actual_finish
    for i in nodes:
        if is_summary[i]:
            continue
        d = dur[i]
        st = state[i]
        if st == _NOT_STARTED:  # the most common case first; _network_start inline
            start = 0 if status is None or status < 0 else status
            for p, k, lag in incoming[i]:
                if k == _FS:
                    b = ef[p] + lag
                elif k == _SS:
                    b = es[p] + lag
                elif k == _FF:
                    b = ef[p] + lag - d
                else:
                    b = es[p] + lag - d
                if b > start:
                    start = b
            c = cons[i]
            if c != "ASAP":
                if c in ("SNET", "MSO"):
                    start = max(start, _start_bound(cday[i], d))
                elif c in ("FNET", "MFO"):
                    start = max(start, _finish_bound(cday[i]) - d)
                if alap_start is not None and c == "ALAP":
                    start = max(start, alap_start[i])
            es[i] = start
            ef[i] = start + d
            resume[i] = start
            continue
        started, finished = astart[i], afinish[i]
        if st == _COMPLETE:
            if started is not None:
                es[i] = int(started - 1)
                ef[i] = int(finished) if finished is not None else es[i] + d
            elif finished is not None:
                ef[i] = int(finished)
                es[i] = ef[i] - d
            else:  # 100 % without actual dates: where the network puts it
                es[i] = _network_start(i, d, incoming, es, ef, 0)
                ef[i] = es[i] + d
            ef[i] = max(ef[i], es[i])
            resume[i] = ef[i]
            continue
        # in progress
        done = dur[i] - rem[i]
        if started is not None:
            es[i] = int(started - 1)
        else:  # started, date unknown: where the network puts it, not after the status date
            es[i] = _network_start(i, d, incoming, es, ef, 0)
            if status is not None:
                es[i] = min(es[i], max(0, status - done))
        # the rest of the work starts after the status date (or, without one,
        # right after the work done), never before the actual start
        r = es[i] + done if status is None else max(es[i], status)
        f = 0
        for p, k, lag in incoming[i]:  # retained logic: FS holds the rest of the work,
            if k == _FS:  # FF/SF hold its finish; SS is met (it has started)
                r = max(r, ef[p] + lag)
            elif k == _FF:
                f = max(f, ef[p] + lag)
            elif k == _SF:
                f = max(f, es[p] + lag)
        resume[i] = r
        ef[i] = max(r + rem[i], f)


def _finish_after_delay(network: _Network, base: _Times, task_id: int, add: int) -> int | None:
    """The project finish once ``task_id`` has ``add`` extra days (its whole extra), from
    the base passes: the forward pass again over that task and what follows it only (the
    rest keeps its dates). None when that shortcut does not apply (ALAP tasks move with
    the late dates; a summary or unknown task)."""
    plan, is_summary, outgoing, state = network.tasks, network.is_summary, network.outgoing, base.state
    try:
        at = plan.id.index(task_id)
    except ValueError:
        return None
    if is_summary[at] or ("ALAP" in network.cons and any(network.cons[i] == "ALAP" and state[i] == _NOT_STARTED for i in base.leaves)):
        return None
    dur, rem = list(base.dur), list(base.rem)
    _state, dur[at], rem[at] = _progress(plan.type[at], plan.duration[at], plan.percent_complete[at], plan.actual_start[at], plan.actual_finish[at], add)
    after = {at}
    stack = [at]
    while stack:
        for s, _k, _l in outgoing[stack.pop()]:
            if s not in after:
                after.add(s)
                stack.append(s)
    es, ef, resume = list(base.es), list(base.ef), list(base.resume)
    _forward(network, [i for i in network.order if i in after], dur, rem, state, base.status, es, ef, resume, None)
    finish = max(map(ef.__getitem__, base.leaves), default=0)
    start = min(0, min(map(es.__getitem__, base.leaves))) if base.leaves else 0
    return max(finish, start)


def _project_finish(network: _Network, status_day: int | None, extra: dict[int, int]) -> int:
    """``schedule(...).project_finish`` without the floats, summaries and critical paths."""
    times = _times(network, status_day, extra, late=False)
    start = min(0, min(map(times.es.__getitem__, times.leaves))) if times.leaves else 0
    return max(times.finish, start)


def _passes(
    network: _Network,
    status_day: int | None,
    calendar: Calendar | None,
    problems: list[ScheduleProblem],
    extra: dict[int, int],
    inputs: tuple[list[CpmTask] | None, dict[str, Any]],
) -> ScheduleResult:
    """Durations, forward and backward passes, floats, summaries, critical paths."""
    is_summary = network.is_summary
    incoming, outgoing, order = network.incoming, network.outgoing, network.order
    ids = network.tasks.id
    n = len(ids)
    times = _times(network, status_day, extra)
    dur, rem, state, es, ef, resume, ls, lf = (
        times.dur, times.rem, times.state, times.es, times.ef, times.resume, times.ls, times.lf)
    finish, leaves, status = times.finish, times.leaves, times.status

    # ---- floats ------------------------------------------------------------------------
    total = [0 if state[i] == _COMPLETE else (lf[i] - ef[i] if state[i] == _IN_PROGRESS else ls[i] - es[i]) for i in range(n)]
    free = [0] * n
    for i in leaves:
        if state[i] == _COMPLETE:
            continue
        slack = finish - ef[i]
        for s, k, lag in outgoing[i]:
            if state[s] == _COMPLETE:
                continue
            if k == _FS:
                slack = min(slack, resume[s] - ef[i] - lag)
            elif k == _SS:
                if state[s] == _IN_PROGRESS:
                    continue
                slack = min(slack, es[s] - es[i] - lag)
            elif k == _FF:
                slack = min(slack, ef[s] - ef[i] - lag)
            else:
                slack = min(slack, ef[s] - es[i] - lag)
        free[i] = max(0, min(slack, total[i]))
    critical = [total[i] <= 0 and state[i] != _COMPLETE for i in range(n)]
    leaf_critical = [critical[i] and not is_summary[i] for i in range(n)]

    # ---- summaries span their leaves (bottom-up: min, max, any of the kids' spans) -------
    not_complete = _COMPLETE.__ne__
    for j, kids in network.spans:
        pick = _picker(kids)  # the kids' values of a list, as a tuple (C speed)
        es[j], ef[j] = min(pick(es)), max(pick(ef))
        ls[j], lf[j] = min(pick(ls)), max(pick(lf))
        kid_state = pick(state)
        open_ = list(map(not_complete, kid_state))  # floats of the work still to do (by compress: C speed)
        if any(open_):
            total[j] = min(compress(pick(total), open_))
            free[j] = min(compress(pick(free), open_))
        else:
            total[j] = free[j] = 0
        critical[j] = any(pick(critical))
        dur[j] = ef[j] - es[j]
        rem[j] = max(pick(rem))
        kid_states = set(kid_state)
        state[j] = _COMPLETE if kid_states == {_COMPLETE} else (_NOT_STARTED if kid_states == {_NOT_STARTED} else _IN_PROGRESS)

    # ---- critical paths -----------------------------------------------------------------
    paths = _critical_paths(ids, order, incoming, outgoing, es, ef, resume, state, leaf_critical, total)

    names = {_NOT_STARTED: "not started", _IN_PROGRESS: "in progress", _COMPLETE: "complete"}
    kinds = network.tasks.type
    # positional, in field order, column by column (map: no Python loop per task): id,
    # type, early/late start/finish, total/free float, critical, duration, remaining,
    # status, in_cycle
    out = list(map(
        TaskSchedule,
        ids,
        [k if k in ("Task", "Milestone", "Summary") else "Task" for k in kinds],
        es, ef, ls, lf, total, free, critical, dur, rem,
        ["summary" if summary else names[st] for summary, st in zip(is_summary, state)],
        network.in_cycle,
    ))
    start = min(0, min(map(es.__getitem__, leaves))) if leaves else 0
    return ScheduleResult(
        tasks=out,
        project_start=start,
        project_finish=max(finish, start),
        critical_paths=paths,
        cycles=network.cycles,
        problems=problems,
        calendar=calendar,
        status_day=status,
        _inputs=inputs,
        _network=network,
        _times=times,
    )


def _picker(indices: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """``pick(values) == tuple(values[i] for i in indices)``, by ``operator.itemgetter``."""
    get = itemgetter(*indices)
    return get if len(indices) > 1 else (lambda values: (get(values),))


def _min(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _start_bound(day: int | None, duration: int) -> int:
    """Early-start time of a start constraint on working day ``day``: the task occupies
    that day, so it starts at ``day - 1``; a milestone is dated at the end of its day."""
    bound = _finish_bound(day)
    return bound - 1 if duration > 0 else bound


def _finish_bound(day: int | None) -> int:
    """Early-finish time of a finish constraint on working day ``day`` (its end). The day
    of a dated constraint is never None (:func:`_network` makes it ASAP then)."""
    if day is None:
        raise ValueError("a dated constraint without its day")
    return int(day)


def _network_start(i: int, d: int, incoming: list[list[tuple[int, int, int]]], es: list[int], ef: list[int], floor: int) -> int:
    start = floor
    for p, k, lag in incoming[i]:
        if k == _FS:
            b = int(ef[p]) + lag
        elif k == _SS:
            b = int(es[p]) + lag
        elif k == _FF:
            b = int(ef[p]) + lag - d
        else:
            b = int(es[p]) + lag - d
        if b > start:
            start = b
    return start


def _tarjan(n: int, succ: list[list[int]]) -> list[int]:
    """Strongly connected component number of each node (iterative Tarjan, O(n + m))."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp = [-1] * n
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, k = work[-1]
            if k < len(succ[v]):
                work[-1] = (v, k + 1)
                w = succ[v][k]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp


def _kahn(n: int, outgoing: list[list[tuple[int, int, int]]], incoming: list[list[tuple[int, int, int]]]) -> list[int]:
    """Kahn's topological order, ties in plan order so results are stable. The tasks of
    a loop (and those after it) are missing from it."""
    import heapq

    indegree = [len(incoming[i]) for i in range(n)]
    ready = [i for i in range(n) if indegree[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for s, _k, _l in outgoing[i]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(ready, s)
    return order


def _critical_paths(
    ids: list[int],
    order: list[int],
    incoming: list[list[tuple[int, int, int]]],
    outgoing: list[list[tuple[int, int, int]]],
    es: list[int],
    ef: list[int],
    resume: list[int],
    state: list[int],
    critical: list[bool],
    total: list[int],
) -> list[list[int]]:
    """Chains of critical tasks joined by driving links (the link that sets the
    successor's date in the forward pass), from a task no critical link drives to one
    that drives no critical task. Most critical first (lowest float, then latest finish)."""

    def driving(p: int, s: int, k: int, lag: int) -> bool:
        if state[s] == _IN_PROGRESS:
            if k == _FS:
                return int(ef[p]) + lag == int(resume[s])
            if k == _FF:
                return int(ef[p]) + lag == int(ef[s])
            if k == _SF:
                return int(es[p]) + lag == int(ef[s])
            return False
        if k == _FS:
            return int(ef[p]) + lag == int(es[s])
        if k == _SS:
            return int(es[p]) + lag == int(es[s])
        if k == _FF:
            return int(ef[p]) + lag == int(ef[s])
        return int(es[p]) + lag == int(ef[s])

    nexts: dict[int, list[int]] = {}
    has_prev: set[int] = set()
    for p in order:
        if not critical[p]:
            continue
        for s, k, lag in outgoing[p]:
            if critical[s] and state[s] != _COMPLETE and driving(p, s, k, lag):
                nexts.setdefault(p, []).append(s)
                has_prev.add(s)
    starts = [i for i in order if critical[i] and i not in has_prev]
    paths: list[list[int]] = []
    cap = MAX_CRITICAL_PATHS * 4  # enumerate a few more than listed, then keep the most critical
    for root in starts:
        path = [root]
        stack = [0]
        while stack and len(paths) < cap:
            node = path[-1]
            kids = nexts.get(node, [])
            k = stack[-1]
            if not kids and k == 0:
                paths.append(list(path))
                stack[-1] = 1
            if k < len(kids):
                stack[-1] = k + 1
                path.append(kids[k])
                stack.append(0)
            else:
                path.pop()
                stack.pop()
        if len(paths) >= cap:
            break
    paths.sort(key=lambda p: (min(int(total[i]) for i in p), -int(ef[p[-1]]), [ids[i] for i in p]))
    return [[ids[i] for i in p] for p in paths[:MAX_CRITICAL_PATHS]]

