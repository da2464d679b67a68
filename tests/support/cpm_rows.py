"""``tasks_from_plan`` as it was before its columns were converted at once
(pmo_xl.engine.cpm): the reference ``tests/test_cpm_fast.py`` compares against.
Nothing but the imports changed."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import _DATED, _ROLL_FORWARD, CONSTRAINTS, CpmTask, ScheduleProblem
from pmo_xl.engine.links import parse_predecessors


def tasks_from_plan(frame: pd.DataFrame, calendar: Calendar) -> tuple[list[CpmTask], list[ScheduleProblem]]:
    """CPM tasks from a typed ``tblPlan`` frame (reader output, index = Excel rows).

    Dates become working-day indices through ``calendar``. A constraint date on a
    non-working day moves to the next working day for SNET/FNET/MSO and to the previous
    one for SNLT/FNLT/MFO. A missing Duration is taken from Start..Finish (NETWORKDAYS)
    when both are there. ``Status = Complete`` without a % Complete counts as 100 %.
    Rows without an ID are skipped (validation reports them).

    Whole columns are converted at once: numbers and dates by numpy, text once per
    distinct value, and every date that needs a working-day index in one
    :meth:`Calendar.indices_of` call per kind of rounding.
    """
    from pmo_xl.engine.calendar import to_date

    problems: list[ScheduleProblem] = []
    n = len(frame)
    rows = frame.index.tolist()
    ids = _numbers(frame, "ID")
    durations = _numbers(frame, "Duration")
    pcts = _numbers(frame, "% Complete")
    kinds = _texts(frame, "Type")
    constraints = _texts(frame, "Constraint")
    statuses = _texts(frame, "Status")
    wbs = _texts(frame, "WBS")
    names = _texts(frame, "Task")
    preds = _column(frame, "Predecessors")
    starts, finishes = _dates(frame, "Start"), _dates(frame, "Finish")
    constraint_dates = _dates(frame, "Constraint Date")
    actual_starts, actual_finishes = _dates(frame, "Actual Start"), _dates(frame, "Actual Finish")

    # ---- per distinct value: types, constraints, "Complete" ---------------------------
    kind_of = {v: _KINDS.get((v or "Task").lower(), v or "Task") for v in set(kinds)}
    kinds = [kind_of[v] for v in kinds]
    constraint_of = {v: (v or "ASAP").upper() for v in set(constraints)}
    constraints = [constraint_of[v] for v in constraints]
    complete_of = {v: (v or "").lower() == "complete" for v in set(statuses)}

    # ---- row by row: what needs no calendar, and the dates to convert ---------------
    tasks: list[CpmTask] = []
    spans: list[tuple[int, _dt.date, _dt.date]] = []  # (task, start, finish): duration from the dates
    # (task, field, date) whose working-day index is wanted, by rounding of a non-working
    # day: "forward" = index_of(next_working(d)), "backward" = index_of(d)
    forward: list[tuple[int, str, _dt.date]] = []
    backward: list[tuple[int, str, _dt.date]] = []
    dated = {"forward": forward, "backward": backward}
    for k in range(n):
        task_id = _whole_of(ids[k])
        if task_id is None:
            continue
        row = rows[k]
        j = len(tasks)
        kind = kinds[k]
        duration = durations[k]
        if duration is None and kind == "Task":
            start, finish = to_date(starts[k]), to_date(finishes[k])
            if start is not None and finish is not None and finish >= start:
                spans.append((j, start, finish))
        links, link_problems = parse_predecessors(preds[k])
        for p in link_problems:
            problems.append(ScheduleProblem("bad_link", task_id, f"task {task_id}: {p.message}", p.text, row))
        constraint = constraints[k]
        if constraint == "ASAP":
            pass
        elif constraint not in CONSTRAINTS:
            problems.append(
                ScheduleProblem("bad_constraint", task_id, f"task {task_id}: unknown constraint {constraint!r}, ASAP used", constraint, row)
            )
            constraint = "ASAP"
        elif constraint in _DATED:
            when = to_date(constraint_dates[k])
            if when is None:
                problems.append(
                    ScheduleProblem("constraint_date_missing", task_id, f"task {task_id}: {constraint} needs a Constraint Date; ASAP used", "", row)
                )
                constraint = "ASAP"
            else:
                (forward if constraint in _ROLL_FORWARD else backward).append((j, "constraint_day", when))
        pct = pcts[k]
        if pct is None:
            pct = 1.0 if complete_of[statuses[k]] else 0.0
        actual_start = actual_starts[k]
        if actual_start is not None and (actual_start := to_date(actual_start)):
            forward.append((j, "actual_start", actual_start))
        actual_finish = actual_finishes[k]
        if actual_finish is not None and (actual_finish := to_date(actual_finish)):
            backward.append((j, "actual_finish", actual_finish))
        tasks.append(
            CpmTask(  # positional, in field order (faster than keywords for 5,000 tasks)
                task_id,
                duration or 0.0,  # id, duration (from Start..Finish below when they are there)
                links,
                kind,
                wbs[k] or "",
                constraint,
                None,  # constraint_day, actual_start, actual_finish: set below from the dates
                min(max(pct, 0.0), 1.0),  # percent_complete
                None,
                None,
                names[k] or "",
                row if type(row) is int else (int(row) if isinstance(row, (int, np.integer)) else None),
            )
        )

    # ---- whole columns through the calendar ------------------------------------------
    if spans:  # NETWORKDAYS(start, finish) = index(finish) - index(start - 1 day)
        first = _days_of([a for _, a, _ in spans])
        last = _days_of([b for _, _, b in spans])
        days = calendar.indices_of(last) - calendar.indices_of(first - np.timedelta64(1, "D"))
        for (j, _a, _b), d in zip(spans, days.tolist()):
            tasks[j].duration = float(int(d))
    for roll, items in dated.items():
        if not items:
            continue
        index = calendar.indices_of(_days_of([d for _, _, d in items]), roll=roll)
        for (j, name, _d), i in zip(items, index.tolist()):
            setattr(tasks[j], name, int(i))
    return tasks, problems


_KINDS = {"task": "Task", "milestone": "Milestone", "summary": "Summary"}
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def _days_of(dates: list[_dt.date]) -> np.ndarray:
    """``datetime64[D]`` of dates (by ordinal: numpy converts date objects slowly)."""
    return (np.array([d.toordinal() for d in dates], dtype=np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]")


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _numbers(frame: pd.DataFrame, name: str) -> list[float | None]:
    """:func:`_number` of every cell of a column (numpy for a numeric column)."""
    import pandas as pd

    if name not in frame.columns:
        return [None] * len(frame)
    s = frame[name]
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        values = s.to_numpy(dtype=float, na_value=np.nan).tolist()
        return [None if v != v else v for v in values]
    return [_number(v) for v in s.tolist()]


def _texts(frame: pd.DataFrame, name: str) -> list[str | None]:
    """:func:`_text` of every cell of a column: a column of text (Arrow, or objects that
    are all strings) stripped at once, any other once per distinct value."""
    import pandas as pd

    if name in frame.columns:
        s = frame[name]
        if isinstance(s.dtype, pd.StringDtype) or (s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "string"):
            return [t if isinstance(t, str) and t else None for t in s.str.strip().tolist()]
    seen: dict[Any, str | None] = {}
    out = []
    for v in _column(frame, name):
        key = (type(v), v)
        try:
            t = seen[key]
        except KeyError:
            t = seen[key] = _text(v)
        except TypeError:  # unhashable
            t = _text(v)
        out.append(t)
    return out


def _dates(frame: pd.DataFrame, name: str) -> list[Any]:
    """A date column as ``date``/None (numpy for a datetime column); other columns as
    they are, for :func:`to_date` to read (or reject) where they are used."""
    import pandas as pd

    if name not in frame.columns:
        return [None] * len(frame)
    s = frame[name]
    if pd.api.types.is_datetime64_dtype(s.dtype):  # naive datetimes: Timestamp.date() in bulk
        days = s.to_numpy().astype("datetime64[D]")
        ok = days[~np.isnat(days)]
        if not ok.size or (ok.min() >= np.datetime64("0001-01-01") and ok.max() <= np.datetime64("9999-12-31")):
            return days.tolist()  # datetime.date, None for NaT
    return s.tolist()


def _whole_of(value: float | None) -> int | None:
    if value is None or not value.is_integer():
        return None
    return int(value)


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
