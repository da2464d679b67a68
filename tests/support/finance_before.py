"""``pmo_xl.engine.rules.finance._timesheet`` before it skipped the (person, day) groups
when no day can be over 24 hours or a capacity, frozen as the reference the fast one is
tested against."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_xl.engine.rules._context import RuleContext, fmt
from pmo_xl.engine.rules.finance import (_bincount_sums, _Columns, _dated, _first_seen, _FirstRows, _key_of,
                                         _person_day_keys, _plain_sums_exact, _rows_of, _small_range)
from pmo_xl.model import Finding


def _timesheet(ctx: RuleContext, cols: _Columns, ts: pd.DataFrame, ts_tasks: tuple[np.ndarray, np.ndarray],
               people: set[str], pb: _FirstRows, status: pd.Timestamp | None,
               start: pd.Timestamp | None) -> list[Finding]:
    """Timesheet rules on 200,000 rows: Person as integer codes (:meth:`RuleContext.codes`),
    dates as integers, so grouping and duplicate search hash numbers, not strings."""
    name = "tblTimesheet"
    out: list[Finding] = []
    where = ctx.table(name).where
    index = ts.index.to_numpy()
    task = cols.array(name, "Task ID")
    hours_ = cols.array(name, "Hours")
    dates = cols.array(name, "Date")
    person, persons = ctx.codes(name, "Person")
    has_person = person >= 0
    if ctx.has("tblResources"):
        unknown = np.array([p not in people for p in persons] + [False], dtype=bool)  # last: empty (-1)
        for k in np.flatnonzero(unknown[person]).tolist():
            row, p = int(index[k]), persons[person[k]]
            out.append(ctx.finding("FN002", name, row, "Person", p,
                                   f"{where(row, 'Person')}: '{p}' is not in tblResources."))
    for k in np.flatnonzero(hours_ < 0).tolist():
        row = int(index[k])
        out.append(ctx.finding("FN005", name, row, "Hours", task[k],
                               f"{where(row, 'Hours')} (Hours) is {fmt(hours_[k])}."))

    # ---- hours per person per day (24 h, capacity)
    has_date = ~np.isnat(dates)
    days = dates.view("int64")  # NaT rows are masked out
    day_mask = has_person & has_date & ~np.isnan(hours_)
    every = bool(day_mask.all())  # the usual case: no row to mask out (200,000-row copies)
    d_person = person if every else person[day_mask]
    d_hours = hours_ if every else hours_[day_mask]
    pair = np.zeros(0, dtype=np.int64)
    if day_mask.any():
        # one integer per (person, date), numbered in order of first appearance as
        # groupby(["Person", "Date"], sort=False) numbers its groups
        key, size = _person_day_keys(d_person, days if every else days[day_mask])
        if _small_range(size, len(key)):  # a table of (person, day) slots, no hashing
            pair, first_at = _first_seen(key, size)
        else:
            pair, _ = pd.factorize(key)
            seen = np.maximum.accumulate(pair)
            first_at = np.flatnonzero(np.r_[True, pair[1:] > seen[:-1]])  # each pair's first row in `day`
        # the sums of groupby(["Person", "Date"], sort=False)
        if cols.plain_sums_exact(name, "Hours") or _plain_sums_exact(d_hours):
            hours = _bincount_sums(d_hours, pair, int(pair.max()) + 1)
        else:
            hours = pd.Series(d_hours).groupby(pair, sort=False).sum().to_numpy()
        rows = np.bincount(pair)
        labels = index if every else index[day_mask]
        if labels.size < 2 or bool((labels[1:] >= labels[:-1]).all()):  # Index.is_monotonic_increasing
            first = labels[first_at]
        else:  # the smallest row label of each pair (groupby(pair).min())
            first = np.full(len(first_at), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first, pair, labels.astype(np.int64))
        pair_person = d_person[first_at]
        pair_date = (dates if every else dates[day_mask])[first_at]
        for k in np.flatnonzero(hours > 24).tolist():
            p, d, row = persons[pair_person[k]], pd.Timestamp(pair_date[k]), int(first[k])
            out.append(ctx.finding("FN006", name, row, "Hours", p,
                                   f"{p} books {fmt(hours[k])} hours on {fmt(d)} ({int(rows[k])} rows, "
                                   f"from {where(row, 'Hours')})."))
        if ctx.has("tblResources") and not ctx.errors_only:  # FN017 is info
            hpd = ctx.setting("HoursPerDay")
            hpd = float(hpd) if isinstance(hpd, (int, float)) and hpd > 0 else 8.0
            cap: dict[str, float] = {}  # first row of each person, no capacity: HoursPerDay
            for p, c in zip(cols.people(), cols.numbers("tblResources", "Capacity")):
                if isinstance(p, str) and p not in cap:
                    cap[p] = hpd if c != c else c
            cap_by_person = np.array([float(cap.get(p, hpd)) for p in persons], dtype=float)
            cap_of = cap_by_person[pair_person]
            for k in np.flatnonzero((hours > cap_of) & (hours <= 24)).tolist():
                p, d, row = persons[pair_person[k]], pd.Timestamp(pair_date[k]), int(first[k])
                out.append(ctx.finding("FN017", name, row, "Hours", p,
                                       f"{p} books {fmt(hours[k])} hours on {fmt(d)}, over a capacity of "
                                       f"{fmt(cap.get(p, hpd))} (from {where(row, 'Hours')})."))

    if ctx.errors_only:  # FN009, FN016, FN010 and FN011 are warnings
        return out
    out.extend(_dated(ctx, cols, name, ts, status, start))

    # ---- after the task's actual finish
    if len(pb.index):
        finish = pb.finish
        done_at = np.flatnonzero((pb.status == "Complete") & ~np.isnat(finish))
        if done_at.size:
            # ts["Task ID"].map(done), on the distinct tasks: the position of each one's
            # finish in `finish`, the last slot NaT (not done, or no task)
            done = dict(zip(pb.index[done_at].tolist(), done_at.tolist()))
            codes, tasks = ts_tasks
            finish_or_nat = np.append(finish, np.array(["NaT"], dtype=finish.dtype))
            at = np.array([done.get(t, -1) for t in tasks.tolist()] + [-1], dtype=np.int64)
            fin = finish_or_nat[at[codes]]
            for k in np.flatnonzero(dates > fin).tolist():  # NaT compares False
                row = int(index[k])
                out.append(ctx.finding("FN010", name, row, "Date", task[k],
                                       f"{where(row, 'Date')}: hours on {fmt(pd.Timestamp(dates[k]))} on task "
                                       f"{fmt(task[k])}, which finished on {fmt(pd.Timestamp(fin[k]))}."))

    # ---- duplicates: same Date, Person, Task ID and Hours: same (person, date) pair,
    # Task ID and Hours, as one integer when it fits
    with_task = ~np.isnan(task if every else task[day_mask])
    full = day_mask.copy()
    full[day_mask] = with_task
    if every and with_task.all():  # nothing to mask out
        task_codes, task_values = ts_tasks[0], ts_tasks[1]
        pair_of_full = pair
    else:
        task_codes, task_values = ts_tasks[0][full], ts_tasks[1]
        pair_of_full = pair[with_task]
    sizes = [int(pair.max()) + 1 if pair.size else 1, len(task_values) or 1]
    if sizes[0] * sizes[1] < 2**62:
        # no (pair, task) repeated, no duplicate booking: one sort (faster than hashing)
        # spares hashing the hours and the rows
        key = np.sort(pair_of_full.astype(np.int64) * sizes[1] + task_codes)
        if not (key[1:] == key[:-1]).any():
            return out
    hour_codes, hour_values = pd.factorize(hours_[full])
    sizes.append(len(hour_values) or 1)
    if sizes[0] * sizes[1] * sizes[2] < 2**62:
        key = (pair_of_full.astype(np.int64) * sizes[1] + task_codes) * sizes[2] + hour_codes
        keys = pd.Series(key, index=ts.index[full])
    else:  # too many distinct values to pack: compare the columns
        keys = pd.DataFrame({"Date": days[full], "Person": person[full], "Task ID": task[full], "Hours": hours_[full]},
                            index=ts.index[full])
    dup = keys.duplicated(keep="first")
    if dup.any():
        firsts = keys[~dup & keys.duplicated(keep=False)]
        first_of = {_key_of(v): r for r, v in zip(firsts.index, _rows_of(firsts))}
        again = ts.iloc[np.flatnonzero(full)[dup.to_numpy()]][["Date", "Person", "Task ID", "Hours"]]
        for row, k, v in zip(keys.index[dup], _rows_of(keys[dup]), again.itertuples(index=False)):
            first = first_of.get(_key_of(k))
            out.append(ctx.finding("FN011", name, row, "Date", v[2],
                                   f"{where(int(row), 'Date')} repeats Timesheet row {first} "
                                   f"({fmt(v[0])}, {v[1]}, task {fmt(v[2])}, {fmt(v[3])} hours)."))
    return out
