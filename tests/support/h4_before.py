"""``pmo_xl.engine.finance``'s task windows, progress windows and project window before
their fast paths for a plan in ID order (one budget line per task, fallbacks worked out
only when needed), frozen as the reference the fast ones are tested against."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from pmo_xl.engine.finance import _day, _days, _first, _floats, _group_sums, _Tasks, _zero_nan


def find(tasks: _Tasks, ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, dtype=float)
    if not len(tasks.ids):
        return np.full(len(ids), -1, dtype=np.intp)
    order = np.argsort(tasks.ids, kind="stable")
    pos = order[np.minimum(np.searchsorted(tasks.ids[order], ids), len(order) - 1)]
    return np.where(tasks.ids[pos] == ids, pos, -1)


def task_windows(plan: Any, dates: Mapping[str, np.ndarray]) -> _Tasks:
    ids = _floats(plan["ID"])
    keep = ~np.isnan(ids)
    if keep.any():
        first = np.zeros(len(ids), dtype=bool)
        first[np.unique(ids, return_index=True)[1]] = True
        keep &= first
    bs, bf = dates["Baseline Start"][keep], dates["Baseline Finish"][keep]
    s, f = dates["Start"][keep], dates["Finish"][keep]
    has_baseline = ~np.isnat(bs) & ~np.isnat(bf)
    start = np.where(has_baseline, bs, np.where(np.isnat(s), f, s))
    end = np.where(has_baseline, bf, np.where(np.isnat(f), s, f))
    lo, hi = np.minimum(start, end), np.maximum(start, end)
    pct = _zero_nan(_floats(plan["% Complete"])[keep])
    return _Tasks(keep, ids[keep], lo, hi, pct, dates["Actual Start"][keep], dates["Actual Finish"][keep], s)


def progress_windows(lines: Any, tasks: _Tasks, status: np.datetime64,
                     fallback: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids, first, line_of = np.unique(lines.task[lines.known], return_index=True, return_inverse=True)
    at = lines.at[lines.known][first]
    ev_task = _group_sums(line_of.reshape(-1), lines.amount[lines.known], len(ids)) * tasks.pct[at]
    start = tasks.actual_start[at]
    for alt in (tasks.planned_start, tasks.start):
        start = np.where(np.isnat(start), alt[at], start)
    start = np.where(np.isnat(start), fallback, start)
    finish = tasks.actual_finish[at]
    end = np.where(np.isnat(finish) | (finish > status), status, finish)
    return ev_task, np.minimum(start, end), end


def project_window(plan: Any, settings: Mapping[str, Any],
                   dates: Mapping[str, np.ndarray] | None = None) -> tuple[Any, Any]:
    def extreme(col: str, fn: Any) -> Any:
        if not len(plan):
            d = np.array([], dtype="datetime64[D]")
        else:
            d = dates[col] if dates is not None else _days(plan[col])
        d = d[~np.isnat(d)]
        return fn(d) if len(d) else None

    start = _first(extreme("Baseline Start", np.min), _day(settings.get("StartDate")), extreme("Start", np.min))
    end = _first(extreme("Baseline Finish", np.max), _day(settings.get("PlannedFinish")), extreme("Finish", np.max))
    if start is None:
        start = end
    if end is None:
        end = start
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end


def latest(frame: Any, column: str) -> Any:
    """``pmo_xl.commands.portfolio._latest`` before it took numpy's fmax (NaT skipped)."""
    import datetime as _dt

    from pmo_xl.engine._columns import column_array
    from pmo_xl.io.portfolio_book import plain

    if column not in frame.columns:
        return None
    a = column_array(frame, column)
    if isinstance(a.dtype, np.dtype) and a.dtype.kind == "M" and a.ndim == 1:
        dates = np.asarray(a)
        dates = dates[~np.isnat(dates)]
        if not len(dates):
            return None
        day = dates.max().astype("datetime64[D]")
        if np.datetime64("0001-01-01") <= day <= np.datetime64("9999-12-31"):
            return day.astype(object)
    finishes = frame[column].dropna()
    if not len(finishes):
        return None
    out = plain(finishes.max())
    return out.date() if isinstance(out, _dt.datetime) else out
