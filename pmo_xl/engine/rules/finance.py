"""FN — finance: resources, budget, timesheet and costs against the plan and each other.

Vectorised with pandas: a 200,000-row timesheet is checked with column operations; Python
only loops over the rows that have a finding.
"""

from __future__ import annotations

import builtins
from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from ... import schema
from ...model import Finding
from . import checks, declare
from ._context import RuleContext, fmt, fmt_dates
from .data import choice_findings

# Masks are tested with np.count_nonzero and their positions taken with .nonzero()[0]: on
# short arrays .any()/.all() and np.flatnonzero cost more (docs/performance.md).

declare(
    "FN001", "error", "Timesheet on unknown task",
    "A timesheet row books hours on a Task ID that is not in tblPlan: the hours count in no task.",
    ("Timesheet!C41: task 99 is not in the plan.",
     "Book the hours on an existing task ID (tblPlan column ID)."),
)
declare(
    "FN002", "error", "Timesheet by unknown person",
    "A timesheet row names a person who is not in tblResources: the hours have no rate and no cost.",
    ("Timesheet!B41: 'J. Smith' is not in tblResources.",
     "Use the person's name exactly as on sheet Resources, or add the person there."),
)
declare(
    "FN003", "error", "Cost on unknown task",
    "A cost row names a Task ID that is not in tblPlan (leave it blank for a project-level cost).",
    ("Costs!B7: task 99 is not in the plan.",
     "Use an existing task ID, or leave Task ID blank for a project-level cost."),
)
declare(
    "FN004", "warning", "Person without rate",
    "A person in tblResources has no hourly rate: their hours cost nothing in the actuals.",
    ("Resources!C6: 'Ann Lee' has no rate (120 hours booked).",
     "Enter the person's cost per hour in the project currency."),
)
declare(
    "FN005", "error", "Negative hours",
    "A timesheet row has negative hours (corrections are made by editing the original row).",
    ("Timesheet!D88 (Hours) is -4.",
     "Correct the original booking instead of booking negative hours."),
)
declare(
    "FN006", "error", "More than 24 hours a day",
    "One person's timesheet hours on one date add up to more than 24.",
    ("Ann Lee books 26 hours on 2026-03-02 (3 rows, from Timesheet!D40).",
     "Check the date and hours of these bookings."),
)
declare(
    "FN007", "warning", "Negative cost",
    "A cost row has a negative amount (a credit note?). Allowed, but worth a look.",
    ("Costs!F12 (Amount) is -500.",
     "If it is a credit, say so in Description; otherwise correct the amount."),
)
declare(
    "FN008", "warning", "Negative budget line",
    "A budget line has a negative amount and does not come from a change request.",
    ("Budget!D9 (Amount) is -2000 (Source 'Original').",
     "Budget reductions come from approved change requests (Source = the CR ID)."),
)
declare(
    "FN009", "warning", "Booking after the status date",
    "A timesheet or cost row is dated after the status date: it is left out of the actuals (AC).",
    ("Timesheet!A120 is dated 2026-04-02, after the status date 2026-03-31.",
     "Move the status date forward, or correct the booking's date."),
)
declare(
    "FN010", "warning", "Booking after the task finished",
    "Hours are booked on a completed task after its Actual Finish.",
    ("Timesheet!A77: hours on 2026-03-10 on task 12, which finished on 2026-03-06.",
     "Book the hours on the task that was worked on, or correct the Actual Finish."),
)
declare(
    "FN011", "warning", "Duplicate booking",
    "Two timesheet rows have the same date, person, task and hours (often a copy-paste).",
    ("Timesheet!A90 repeats Timesheet row 89 (2026-03-02, Ann Lee, task 12, 8 hours).",
     "Delete the duplicate, or add a Note telling the two bookings apart."),
)
declare(
    "FN012", "warning", "Actuals on a task without budget",
    "A task has hours or costs booked but no line in tblBudget, so its cost variance and "
    "earned value cannot be judged.",
    ("Task 14 has actuals (36 hours, 1,200.00 costs) but no budget line.",
     "Add a budget line for the task in tblBudget."),
)
declare(
    "FN013", "error", "Budget on unknown task",
    "A budget line names a Task ID that is not in tblPlan (leave it blank for a project-level line).",
    ("Budget!A14: task 77 is not in the plan.",
     "Use an existing task ID, or leave Task ID blank for a project-level line."),
)
declare(
    "FN014", "warning", "Booking on a summary task",
    "Hours or costs are booked on a summary row; roll-ups add the children, so they may be counted twice or lost.",
    ("Timesheet!C33: task 3 is a summary task.",
     "Book on the detailed task (a Task or Milestone row)."),
)
declare(
    "FN015", "error", "Unknown cost category",
    "A budget or cost line has a Category that is not in the list of cost categories.",
    ("Budget!B9 (Category) is 'Labor', not one of Labour, Contractors, Hardware, Software, Travel, Training, Other.",
     "Pick a category from the drop-down."),
)
declare(
    "FN016", "warning", "Booking before the project start",
    "A timesheet or cost row is dated before the project's StartDate.",
    ("Timesheet!A5 is dated 2025-12-20, before the project start 2026-01-05.",
     "Correct the date, or the project's StartDate."),
)
declare(
    "FN017", "info", "Over capacity",
    "A person books more hours on a day than their Capacity (default HoursPerDay), but not more than 24.",
    ("Ann Lee books 11 hours on 2026-03-02, over a capacity of 8 (from Timesheet!D40).",
     "Overtime? Fine if intended; otherwise check the bookings."),
)
declare(
    "FN018", "warning", "Budget period not a month start",
    "A budget line's Period is not the first day of a month (the budget is phased by month).",
    ("Budget!C8 (Period) is 2026-03-15, not the first day of a month.",
     "Use the first day of the month, e.g. 2026-03-01 (shown as 2026-03)."),
)


def _known(values: pd.Series, known: set) -> pd.Series:
    return values.isna() | values.isin(list(known))


class _Columns:
    """The columns a check reads, each taken out of ``ctx.frame(name)`` once, as a numpy
    array (:meth:`RuleContext.array`) or a list (``frame[column]`` costs ~10 µs, more than
    a rule on a small table); Task IDs factorised once."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self._lists: dict[tuple[str, str], list[Any]] = {}
        self._codes: dict[tuple[str, str], tuple[np.ndarray, list[Any]]] = {}
        self._exact: dict[tuple[str, str], bool] = {}

    def array(self, name: str, column: str) -> np.ndarray:
        return self.ctx.array(name, column)

    def list(self, name: str, column: str) -> list[Any]:
        key = (name, column)
        if key not in self._lists:
            self._lists[key] = self.ctx.frame(name)[column].tolist()
        return self._lists[key]

    # (``list`` below is the method above: the type is builtins.list)
    def people(self) -> builtins.list[Any]:
        """tblResources' Person as a list (a name or None), from the context's text codes
        (an Arrow string column's ``tolist`` costs more)."""
        key = ("tblResources", "Person")
        if key not in self._lists:
            try:
                codes, names = self.ctx.codes(*key)
            except KeyError:  # not a text column
                return self.list(*key)
            self._lists[key] = [names[c] if c >= 0 else None for c in codes.tolist()]
        return self._lists[key]

    def numbers(self, name: str, column: str) -> builtins.list[Any]:
        """``frame[column].tolist()`` of a float column, from its cached array."""
        a = self.array(name, column)
        return a.tolist() if a.dtype.kind == "f" else self.list(name, column)

    def codes(self, name: str, column: str) -> tuple[np.ndarray, builtins.list[Any]]:
        """``pd.factorize`` of a number column: (codes, distinct values as a list), -1 for NaN."""
        key = (name, column)
        if key not in self._codes:
            codes, uniques = _factorize_ids(self.array(name, column))
            self._codes[key] = (codes, uniques.tolist())
        return self._codes[key]

    def plain_sums_exact(self, name: str, column: str) -> bool:
        """:func:`_plain_sums_exact` of a whole column (then of any subset of it too)."""
        key = (name, column)
        if key not in self._exact:
            self._exact[key] = _plain_sums_exact(self.array(name, column))
        return self._exact[key]


class _FirstRows:
    """The columns of ``ctx.plan_by_id`` the checks read (the first plan row of each task
    ID): from the context's cached plan arrays when the IDs are plain whole numbers (as
    plan_by_id picks them: np.unique's first occurrences), else from plan_by_id itself.
    Building that frame cost more than the checks that read it."""

    def __init__(self, ctx: RuleContext) -> None:
        ids = ctx.array("tblPlan", "ID")
        keep = None
        if ids.dtype.kind == "f":
            known = (~np.isnan(ids)).nonzero()[0]
            whole = ids[known]
            if not len(known):
                keep = known
            elif (np.count_nonzero(np.isfinite(whole)) == len(whole) and not np.count_nonzero(whole == 0)
                  and np.abs(whole).max() < 2.0 ** 53 and np.count_nonzero(whole == np.floor(whole)) == len(whole)):
                # IDs in increasing order (as plans number them): each row is its ID's first
                increasing = np.count_nonzero(whole[1:] > whole[:-1]) == len(whole) - 1
                keep = known if increasing else known[np.sort(np.unique(whole, return_index=True)[1])]
        if keep is None:
            pb = ctx.plan_by_id
            self.index = pb.index.to_numpy()
            self.type = pb["Type"].to_numpy()
            self.status = pb["Status"].to_numpy()
            self.finish = pb["Actual Finish"].to_numpy()
            self.row = pb["row"].to_numpy()
        else:
            self.index = ids[keep].astype(np.int64)
            self.type = ctx.array("tblPlan", "Type")[keep]
            self.status = ctx.array("tblPlan", "Status")[keep]
            self.finish = ctx.array("tblPlan", "Actual Finish")[keep]
            self.row = ctx.rows("tblPlan")[keep]

    def row_of(self, task_id: int) -> int:
        """``plan_by_id.at[task_id, "row"]``."""
        return int(self.row[int((self.index == task_id).nonzero()[0][0])])


def _rows(frame: pd.DataFrame | None) -> TypeGuard[pd.DataFrame]:
    """``frame is not None and not frame.empty`` (without pandas' generic ``empty``)."""
    return frame is not None and len(frame.index) > 0 and len(frame.columns) > 0


@checks
def finance(ctx: RuleContext) -> list[Finding]:
    # Columns are taken out of the frames once (_Columns), as numpy arrays or lists; the
    # rules are numpy masks or loops over distinct values (a pandas mask or ``.at`` costs
    # more than the rule on a 5,000-row timesheet); findings are built for failing rows only.
    out: list[Finding] = []
    cols = _Columns(ctx)
    plan_present = ctx.has("tblPlan")
    ids = ctx.task_ids
    pb = _FirstRows(ctx)
    pb_index = pb.index
    summaries = set(pb_index[pb.type == "Summary"].tolist())
    ts = ctx.frame("tblTimesheet") if ctx.has("tblTimesheet") else None
    costs = ctx.frame("tblCosts") if ctx.has("tblCosts") else None
    budget = ctx.frame("tblBudget") if ctx.has("tblBudget") else None
    res = ctx.frame("tblResources") if ctx.has("tblResources") else None
    status = ctx.status_ts
    start = pd.Timestamp(ctx.start_date) if ctx.start_date else None
    # the timesheet's Task ID once as codes: 200,000 rows, a few thousand tasks
    ts_tasks = _factorize_ids(cols.array("tblTimesheet", "Task ID")) if _rows(ts) else None

    # ---- unknown tasks
    for name, frame, rid in (("tblTimesheet", ts, "FN001"), ("tblCosts", costs, "FN003"), ("tblBudget", budget, "FN013")):
        if not _rows(frame) or not plan_present:
            continue
        task = cols.array(name, "Task ID")
        if name == "tblTimesheet" and ts_tasks is not None:
            codes, tasks = ts_tasks  # as _known / isin, value by value on the distinct tasks
            distinct = tasks.tolist()
            bad = np.array([t not in ids for t in distinct] + [False], dtype=bool)[codes]  # last: empty (-1)
            on_summary = np.array([t in summaries for t in distinct] + [False], dtype=bool)[codes]
        else:  # the same on the distinct tasks of the table
            codes, distinct = cols.codes(name, "Task ID")
            bad = np.array([t not in ids for t in distinct] + [False], dtype=bool)[codes]
            on_summary = np.array([t in summaries for t in distinct] + [False], dtype=bool)[codes] if name != "tblBudget" else None
        where = ctx.table(name).where
        index = frame.index
        for k in bad.nonzero()[0].tolist():
            row, t = int(index[k]), task[k]
            out.append(ctx.finding(rid, name, row, "Task ID", t,
                                   f"{where(row, 'Task ID')}: task {fmt(t)} is not in the plan."))
        if on_summary is not None:
            for k in on_summary.nonzero()[0].tolist():
                row, t = int(index[k]), task[k]
                out.append(ctx.finding("FN014", name, row, "Task ID", t,
                                       f"{where(row, 'Task ID')}: task {fmt(t)} is a summary task."))

    # ---- categories
    for name, frame in (("tblBudget", budget), ("tblCosts", costs)):
        if _rows(frame):
            out.extend(choice_findings(ctx, "FN015", name, schema.TABLES[name].column("Category"), frame))

    # ---- people and rates
    res_people = cols.people() if res is not None else []
    people: set[str] = {p for p in res_people if type(p) is str}  # text: str or NaN
    if _rows(res) and not ctx.errors_only:  # FN004 is a warning
        rate = cols.array("tblResources", "Rate")
        no_rate = [k for k, p in enumerate(res_people) if type(p) is str and rate[k] != rate[k]]
        if no_rate:
            hours_by_person = _hours_by_person(ctx, ts, cols) if _rows(ts) else {}
        where = ctx.table("tblResources").where
        for k in no_rate:
            row = int(res.index[k])
            if ("tblResources", row, "Rate") in ctx.issue_cells:
                continue
            p = res_people[k]
            h = hours_by_person.get(p, 0.0)
            hours_note = f" ({fmt(h)} hours booked)" if h else ""
            out.append(ctx.finding("FN004", "tblResources", row, "Rate", p,
                                   f"{where(row, 'Rate')}: '{p}' has no rate{hours_note}."))

    if _rows(ts) and ts_tasks is not None:  # (ts_tasks: None only without timesheet rows)
        out.extend(_timesheet(ctx, cols, ts, ts_tasks, people, pb, status, start))
    if ctx.errors_only:  # FN007-FN009, FN012, FN016, FN018 (below) are warnings
        return out
    if _rows(costs):
        out.extend(_dated(ctx, cols, "tblCosts", costs, status, start))
        amount = cols.array("tblCosts", "Amount")
        task = cols.array("tblCosts", "Task ID")
        where = ctx.table("tblCosts").where
        for k in (amount < 0).nonzero()[0].tolist():
            row = int(costs.index[k])
            out.append(ctx.finding("FN007", "tblCosts", row, "Amount", task[k],
                                   f"{where(row, 'Amount')} (Amount) is {fmt(amount[k])}."))
    if _rows(budget):
        amount = cols.array("tblBudget", "Amount")
        task = cols.array("tblBudget", "Task ID")
        where = ctx.table("tblBudget").where
        for k in (amount < 0).nonzero()[0].tolist():
            source = cols.list("tblBudget", "Source")[k]
            src = source if type(source) is str else "Original"
            if src.upper().startswith("CR-"):
                continue
            row = int(budget.index[k])
            out.append(ctx.finding("FN008", "tblBudget", row, "Amount", task[k],
                                   f"{where(row, 'Amount')} (Amount) is {fmt(amount[k])} "
                                   f"(Source '{src}')."))
        period = cols.array("tblBudget", "Period")
        # .dt.day != 1: the day differs from its month's first day
        off = ~np.isnat(period) & (period.astype("datetime64[D]") != period.astype("datetime64[M]"))
        for k in off.nonzero()[0].tolist():
            row = int(budget.index[k])
            out.append(ctx.finding("FN018", "tblBudget", row, "Period", task[k],
                                   f"{where(row, 'Period')} (Period) is {fmt(pd.Timestamp(period[k]))}, "
                                   "not the first day of a month."))

    # ---- actuals without budget
    if plan_present and budget is not None:
        budgeted = {int(t) for t in cols.codes("tblBudget", "Task ID")[1]} if _rows(budget) else set()
        # only tasks with bookings, in the plan, without budget and not summaries can have a
        # finding: the sums below are computed only when there is one
        in_plan = set(pb_index.tolist())
        booked = set(ts_tasks[1].tolist()) if ts_tasks is not None else set()
        if _rows(costs):
            booked.update(cols.codes("tblCosts", "Task ID")[1])
        if any(t in in_plan and int(t) not in budgeted and int(t) not in summaries for t in booked):
            out.extend(_without_budget(ctx, ts, ts_tasks, costs, pb, budgeted, summaries))
    return out


def _without_budget(ctx: RuleContext, ts: pd.DataFrame | None, ts_tasks: tuple[np.ndarray, np.ndarray] | None,
                    costs: pd.DataFrame | None, pb: _FirstRows, budgeted: set[int], summaries: set[int]) -> list[Finding]:
    """FN012: tasks with actuals (hours or costs) but no budget line."""
    out = []
    hours = _hours_by_task(ts, ts_tasks) if ts is not None and ts_tasks is not None else pd.Series(dtype=float)
    spent = costs.groupby("Task ID")["Amount"].sum() if costs is not None and not costs.empty else pd.Series(dtype=float)
    with_actuals = (set(hours.index[hours != 0]) | set(spent.index[spent != 0])) & set(pb.index.tolist())
    for tid in sorted(int(t) for t in with_actuals if int(t) not in budgeted and int(t) not in summaries):
        parts = []
        if tid in hours.index and hours[tid]:
            parts.append(f"{fmt(hours[tid])} hours")
        if tid in spent.index and spent[tid]:
            parts.append(f"{spent[tid]:,.2f} costs")
        out.append(ctx.finding("FN012", "tblPlan", pb.row_of(tid), "ID", tid,
                               f"Task {tid} has actuals ({', '.join(parts)}) but no budget line."))
    return out


def _dated(ctx: RuleContext, cols: _Columns, name: str, frame: pd.DataFrame, status: pd.Timestamp | None,
           start: pd.Timestamp | None) -> list[Finding]:
    out = []
    d = cols.array(name, "Date")
    for rid, limit, word in (("FN009", status, "after the status date"), ("FN016", start, "before the project start")):
        if limit is None:
            continue
        bound = limit.to_datetime64()
        mask = d > bound if rid == "FN009" else d < bound  # NaT compares False
        if not np.count_nonzero(mask):
            continue
        limit_text = fmt(limit)
        where = ctx.table(name).where
        rows = frame.index[mask].tolist()
        tids = cols.array(name, "Task ID")[mask].tolist()
        for row, day, tid in zip(rows, fmt_dates(pd.Series(d[mask])), tids):
            out.append(ctx.finding(rid, name, row, "Date", tid,
                                   f"{where(row, 'Date')} is dated {day}, {word} {limit_text}."))
    return out


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
        for k in unknown[person].nonzero()[0].tolist():
            row, p = int(index[k]), persons[person[k]]
            out.append(ctx.finding("FN002", name, row, "Person", p,
                                   f"{where(row, 'Person')}: '{p}' is not in tblResources."))
    for k in (hours_ < 0).nonzero()[0].tolist():
        row = int(index[k])
        out.append(ctx.finding("FN005", name, row, "Hours", task[k],
                               f"{where(row, 'Hours')} (Hours) is {fmt(hours_[k])}."))

    # ---- hours per person per day (24 h, capacity)
    has_date = ~np.isnat(dates)
    days = dates.view("int64")  # NaT rows are masked out
    day_mask = has_person & has_date & ~np.isnan(hours_)
    every = np.count_nonzero(day_mask) == len(day_mask)  # the usual case: no row to mask out (200,000-row copies)
    d_person = person if every else person[day_mask]
    d_hours = hours_ if every else hours_[day_mask]
    pair = np.zeros(0, dtype=np.int64)
    if np.count_nonzero(day_mask):
        key, size = _person_day_keys(d_person, days if every else days[day_mask])
        capacity = _capacities(ctx, cols, persons) if ctx.has("tblResources") and not ctx.errors_only else None
        exact = cols.plain_sums_exact(name, "Hours") or _plain_sums_exact(d_hours)
        if exact and _small_range(size, len(key)) and _within_limits(key, size, d_person, d_hours, capacity):
            # no day over 24 hours or a capacity (the usual case): the slot numbers stand
            # for the (person, date) pairs, which the duplicate search below only compares
            pair = key
        else:
            pair = _day_findings(ctx, out, key, size, exact, d_person, d_hours, dates if every else dates[day_mask],
                                 index if every else index[day_mask], persons, capacity)

    if ctx.errors_only:  # FN009, FN016, FN010 and FN011 are warnings
        return out
    out.extend(_dated(ctx, cols, name, ts, status, start))

    # ---- after the task's actual finish
    if len(pb.index):
        finish = pb.finish
        done_at = ((pb.status == "Complete") & ~np.isnat(finish)).nonzero()[0]
        if done_at.size:
            # ts["Task ID"].map(done), on the distinct tasks: the position of each one's
            # finish in `finish`, the last slot NaT (not done, or no task)
            done = dict(zip(pb.index[done_at].tolist(), done_at.tolist()))
            codes, tasks = ts_tasks
            finish_or_nat = np.append(finish, np.array(["NaT"], dtype=finish.dtype))
            at = np.array([done.get(t, -1) for t in tasks.tolist()] + [-1], dtype=np.int64)
            fin = finish_or_nat[at[codes]]
            for k in (dates > fin).nonzero()[0].tolist():  # NaT compares False
                row = int(index[k])
                out.append(ctx.finding("FN010", name, row, "Date", task[k],
                                       f"{where(row, 'Date')}: hours on {fmt(pd.Timestamp(dates[k]))} on task "
                                       f"{fmt(task[k])}, which finished on {fmt(pd.Timestamp(fin[k]))}."))

    # ---- duplicates: same Date, Person, Task ID and Hours: same (person, date) pair,
    # Task ID and Hours, as one integer when it fits
    with_task = ~np.isnan(task if every else task[day_mask])
    full = day_mask.copy()
    full[day_mask] = with_task
    if every and np.count_nonzero(with_task) == len(with_task):  # nothing to mask out
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
        if not np.count_nonzero(key[1:] == key[:-1]):
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
        again = ts.iloc[full.nonzero()[0][dup.to_numpy()]][["Date", "Person", "Task ID", "Hours"]]
        for row, k, v in zip(keys.index[dup], _rows_of(keys[dup]), again.itertuples(index=False)):
            first = first_of.get(_key_of(k))
            out.append(ctx.finding("FN011", name, row, "Date", v[2],
                                   f"{where(int(row), 'Date')} repeats Timesheet row {first} "
                                   f"({fmt(v[0])}, {v[1]}, task {fmt(v[2])}, {fmt(v[3])} hours)."))
    return out


def _capacities(ctx: RuleContext, cols: _Columns, persons: list[str]) -> tuple[dict[str, float], float, np.ndarray]:
    """Each person's daily capacity: (by name, HoursPerDay for the others, by person code)."""
    hpd = ctx.setting("HoursPerDay")
    hpd = float(hpd) if isinstance(hpd, (int, float)) and hpd > 0 else 8.0
    cap: dict[str, float] = {}  # first row of each person, no capacity: HoursPerDay
    for p, c in zip(cols.people(), cols.numbers("tblResources", "Capacity")):
        if isinstance(p, str) and p not in cap:
            cap[p] = hpd if c != c else c
    return cap, hpd, np.array([float(cap.get(p, hpd)) for p in persons], dtype=float)


def _within_limits(key: np.ndarray, size: int, person: np.ndarray, hours: np.ndarray,
                   capacity: tuple[dict[str, float], float, np.ndarray] | None) -> bool:
    """True when no (person, day) slot (``key``, 0..size-1, person * span + day) books
    more than 24 hours or more than the person's capacity: FN006 and FN017 have nothing to
    report. (Exact sums only: the caller checks that the plain sums are pandas' sums.)"""
    sums = np.bincount(key, weights=hours, minlength=size)
    limit = None if capacity is None else np.minimum(capacity[2], 24.0)  # by person code
    over = (sums > (24.0 if limit is None or not len(limit) else float(limit.min()))).nonzero()[0]
    if not len(over):
        return True
    if limit is None:
        return False
    span = size // (int(person.max()) + 1)
    return not bool((sums[over] > limit[over // span]).any())


def _day_findings(ctx: RuleContext, out: list[Finding], key: np.ndarray, size: int, exact: bool, d_person: np.ndarray,
                  d_hours: np.ndarray, d_dates: np.ndarray, labels: np.ndarray, persons: list[str],
                  capacity: tuple[dict[str, float], float, np.ndarray] | None) -> np.ndarray:
    """FN006, FN017 (appended to ``out``) on the timesheet rows with a person, a date and
    hours (``key``: their (person, date) slots); returns each row's pair number."""
    name = "tblTimesheet"
    where = ctx.table(name).where
    # one integer per (person, date), numbered in order of first appearance as
    # groupby(["Person", "Date"], sort=False) numbers its groups
    if _small_range(size, len(key)):  # a table of (person, day) slots, no hashing
        pair, first_at = _first_seen(key, size)
    else:
        pair, _ = pd.factorize(key)
        seen = np.maximum.accumulate(pair)
        first_at = np.r_[True, pair[1:] > seen[:-1]].nonzero()[0]  # each pair's first row in `day`
    # the sums of groupby(["Person", "Date"], sort=False)
    if exact:
        hours = _bincount_sums(d_hours, pair, int(pair.max()) + 1)
    else:
        hours = pd.Series(d_hours).groupby(pair, sort=False).sum().to_numpy()
    rows = np.bincount(pair)
    if labels.size < 2 or np.count_nonzero(labels[1:] >= labels[:-1]) == labels.size - 1:  # Index.is_monotonic_increasing
        first = labels[first_at]
    else:  # the smallest row label of each pair (groupby(pair).min())
        first = np.full(len(first_at), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, pair, labels.astype(np.int64))
    pair_person = d_person[first_at]
    pair_date = d_dates[first_at]
    for k in (hours > 24).nonzero()[0].tolist():
        p, d, row = persons[pair_person[k]], pd.Timestamp(pair_date[k]), int(first[k])
        out.append(ctx.finding("FN006", name, row, "Hours", p,
                               f"{p} books {fmt(hours[k])} hours on {fmt(d)} ({int(rows[k])} rows, "
                               f"from {where(row, 'Hours')})."))
    if capacity is not None:  # FN017 is info
        cap, hpd, cap_by_person = capacity
        cap_of = cap_by_person[pair_person]
        for k in ((hours > cap_of) & (hours <= 24)).nonzero()[0].tolist():
            p, d, row = persons[pair_person[k]], pd.Timestamp(pair_date[k]), int(first[k])
            out.append(ctx.finding("FN017", name, row, "Hours", p,
                                   f"{p} books {fmt(hours[k])} hours on {fmt(d)}, over a capacity of "
                                   f"{fmt(cap.get(p, hpd))} (from {where(row, 'Hours')})."))
    return pair


_NS_PER_DAY = 86_400_000_000_000


def _person_day_key(person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One integer per (person code >= 0, date as int64 nanoseconds), different for
    different pairs: person * number of days + day, when the dates are whole days (as
    the normalised frame's are) — no hashing of the dates; else the dates' factorised
    codes take the days' place."""
    return _person_day_keys(person, days)[0]


def _person_day_keys(person: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`_person_day_key` with the number of possible keys (0 <= key < size)."""
    lo, hi = int(days.min()), int(days.max())
    if not np.count_nonzero(days % _NS_PER_DAY):
        span = (hi - lo) // _NS_PER_DAY + 1
        if span * (int(person.max()) + 1) < 2**62:
            return person.astype(np.int64) * span + (days - lo) // _NS_PER_DAY, span * (int(person.max()) + 1)
    day_codes, _ = pd.factorize(days)
    span = int(day_codes.max()) + 1
    return person.astype(np.int64) * span + day_codes, span * (int(person.max()) + 1)


def _small_range(size: int, n: int) -> bool:
    """Keys in 0..size-1 are numbered through a table of ``size`` slots (cheaper than
    hashing them) when the table is not much larger than the ``n`` keys."""
    return size <= 8 * n + 4096


def _first_seen(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(keys)[0]`` for integer keys in 0..size-1 (numbered in order of first
    appearance), through a table of ``size`` slots instead of a hash table; with each
    code's first position in ``keys``."""
    n = len(keys)
    first = np.full(size, n, dtype=np.int64)
    np.minimum.at(first, keys, np.arange(n, dtype=np.int64))
    first_at = np.sort(first[first < n])
    label = np.empty(size, dtype=np.int64)
    label[keys[first_at]] = np.arange(len(first_at), dtype=np.int64)
    return label[keys], first_at


def _factorize_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a float Task ID column: (codes, distinct values), -1 for NaN;
    through :func:`_first_seen` when the IDs (NaN aside) are whole numbers in a small range."""
    n = len(values)
    if n and values.dtype.kind == "f":
        present = ~np.isnan(values)  # (a cost or budget line without a task: code -1)
        every = np.count_nonzero(present) == n
        known = values if every else values[present]
        m = len(known)
        lo, hi = (known.min(), known.max()) if m else (np.nan, np.nan)
        if -2.0 ** 53 < lo <= hi < 2.0 ** 53 and _small_range(int(hi - lo) + 1, m):  # False for NaN
            keys = known.astype(np.int64)
            if np.count_nonzero(keys == known) == m:  # whole numbers (0.0 and -0.0 one ID, spelled as first seen)
                codes, first_at = _first_seen(keys - int(lo), int(hi - lo) + 1)
                if not every:
                    full = np.full(n, -1, dtype=np.int64)
                    full[present] = codes
                    codes = full
                return codes, known[first_at]
    return pd.factorize(values)


def _plain_sums_exact(values: np.ndarray) -> bool:
    """True when adding ``values`` (NaN skipped) in any order gives the exact total.

    pandas' groupby sums add a group's rows in order (compensated); when every value lies
    on a 1/1024 grid and the total is small, every partial sum is exact, so the plain
    sums of ``np.bincount`` are the same numbers, without hashing the groups again.
    """
    v = values[~np.isnan(values)]
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = v * 1024.0
        return bool(np.count_nonzero(np.isfinite(scaled)) == len(v) and np.count_nonzero(scaled == np.floor(scaled)) == len(v)
                    and np.abs(scaled).sum() < 2.0**52
                    and not np.count_nonzero(np.signbit(v) & (v == 0)))  # a lone -0.0 keeps its sign there


def _bincount_sums(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    ok = ~np.isnan(values)
    if np.count_nonzero(ok) == len(ok):  # no copies of 200,000 rows to drop none
        return np.bincount(groups, weights=values, minlength=n)
    return np.bincount(groups[ok], weights=values[ok], minlength=n)


def _hours_by_task(ts: pd.DataFrame, ts_tasks: tuple[np.ndarray, np.ndarray]) -> pd.Series:
    """``ts.groupby("Task ID")["Hours"].sum()`` (the same sums; tasks in order of appearance)."""
    hours = ts["Hours"].to_numpy()
    if not _plain_sums_exact(hours):
        return ts.groupby("Task ID")["Hours"].sum()
    task, tasks = ts_tasks
    ok = task >= 0
    return pd.Series(_bincount_sums(hours[ok], task[ok], len(tasks)), index=pd.Index(tasks, dtype=float), dtype=float)


def _hours_by_person(ctx: RuleContext, ts: pd.DataFrame, cols: _Columns) -> dict[str, float]:
    """``ts.groupby("Person")["Hours"].sum()`` on the person codes (the same sums), as a dict."""
    hours = cols.array("tblTimesheet", "Hours")
    if not cols.plain_sums_exact("tblTimesheet", "Hours"):
        return ts.groupby("Person")["Hours"].sum().to_dict()
    codes, persons = ctx.codes("tblTimesheet", "Person")
    ok = codes >= 0
    if np.count_nonzero(ok) < len(ok):
        hours, codes = hours[ok], codes[ok]
    return dict(zip(persons, _bincount_sums(hours, codes, len(persons)).tolist()))


def _rows_of(keys: pd.Series | pd.DataFrame) -> Any:
    return keys.tolist() if isinstance(keys, pd.Series) else keys.itertuples(index=False)


def _key_of(v: Any) -> Any:
    return v if isinstance(v, int) else tuple(v)
