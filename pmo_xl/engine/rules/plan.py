"""PL — plan logic: dates, calendar, predecessors, WBS, progress, status date, CPM.

Dates are compared as the project calendar counts them (:mod:`pmo_xl.engine.calendar`);
links are parsed by :mod:`pmo_xl.engine.links`; cycles and the earliest start the logic
allows come from the CPM engine (:mod:`pmo_xl.engine.cpm`), computed once per book.
"""

from __future__ import annotations

import re
from bisect import bisect_left

import numpy as np
import pandas as pd

from ... import schema
from ...model import Finding
from ..links import _parse_text, parse_predecessors
from . import checks, declare
from ._context import RuleContext, fmt, fmt_pct

# Masks are tested with np.count_nonzero and their positions taken with .nonzero()[0]: on
# short arrays .any()/.all() and np.flatnonzero cost more (docs/performance.md).

P = "tblPlan"

declare("PL001", "error", "Finish before start",
        "A task's Finish is before its Start.",
        ("Plan!H12: task 7 finishes on 2026-03-02, before it starts on 2026-03-05.",
         "Correct Start or Finish."))
declare("PL002", "warning", "Duration disagrees with the calendar",
        "A task's Duration is not the number of working days from Start to Finish (both "
        "included) on the project calendar (WorkWeek, tblHolidays, HolidayCountry).",
        ("Plan!F12: task 7 lasts 5 working days from 2026-03-02 to 2026-03-09 (6 working days on the project calendar).",
         "Make Duration match Start and Finish, or correct the dates (Finish = WORKDAY(Start, Duration - 1))."))
declare("PL003", "error", "Milestone with duration",
        "A Milestone has a Duration other than 0.",
        ("Plan!F15: milestone 10 has a duration of 3 working days.",
         "A milestone takes no time: set Duration to 0 (and Finish = Start), or make it a Task."))
declare("PL004", "error", "Malformed predecessor",
        "A part of Predecessors is not a link ID[FS|SS|FF|SF][±N] (or names the same task twice).",
        ("Plan!I9: task 5 predecessor '3XS': link type 'XS' is not one of FS, SS, FF, SF.",
         "Write links as 3, 5SS+2, 7FF-1, 9SF (lags in working days)."))
declare("PL005", "error", "Unknown predecessor",
        "Predecessors names a task ID that is not in the plan.",
        ("Plan!I9: task 5 depends on task 99, which is not in the plan.",
         "Use an existing task ID, or remove the link."))
declare("PL006", "error", "Self predecessor",
        "A task lists itself as its own predecessor.",
        ("Plan!I9: task 5 lists itself as a predecessor.",
         "Remove the task's own ID from its Predecessors."))
declare("PL007", "error", "Dependency cycle",
        "Predecessor links form a loop, so no schedule exists. The finding names the loop's task IDs.",
        ("Plan!I9: dependency cycle 5 → 8 → 12 → 5.",
         "Break the loop: one of these links is the wrong way round or not needed."))
declare("PL008", "error", "WBS parent missing",
        "A WBS code's parent (its prefix: 1.2 for 1.2.3) is not in the plan.",
        ("Plan!B14: WBS 2.3.1 has no parent 2.3 in the plan.",
         "Add the parent row (a Summary), or correct the WBS code."))
declare("PL009", "error", "Malformed WBS",
        "A WBS code is not numbers separated by dots (1, 1.2, 1.2.3).",
        ("Plan!B14: WBS '1.a' is not of the form 1, 1.2, 1.2.3.",
         "Use whole numbers separated by dots."))
declare("PL010", "warning", "Summary dates do not span its children",
        "A Summary row starts after its earliest child or finishes before its latest child "
        "(children = rows whose WBS starts with the summary's WBS).",
        ("Plan!G3: summary 2 starts on 2026-02-02 but its child 4 starts on 2026-01-26.",
         "Make the summary's Start the earliest child Start and its Finish the latest child Finish."))
declare("PL011", "warning", "Parent is not a summary",
        "A row has children in the WBS but its Type is not Summary: its work would be counted twice.",
        ("Plan!D3: task 2 (WBS 1.1) has children (1.1.1…) but its Type is Task.",
         "Set Type to Summary, or correct the children's WBS."))
declare("PL012", "error", "% complete out of range",
        "% Complete is below 0 % or above 100 % (a fraction 0..1 shown as percent; 50 typed "
        "into a percent cell reads as 5000 %).",
        ("Plan!N8: task 4 is 5000 % complete.",
         "Type the percentage with its sign (50%), or a fraction (0.5)."))
declare("PL013", "warning", "100 % complete but not Complete",
        "% Complete is 100 % but Status is not Complete.",
        ("Plan!N8: task 4 is 100 % complete but its Status is In Progress.",
         "Set Status to Complete (and Actual Finish), or correct % Complete."))
declare("PL014", "warning", "Complete without actual finish",
        "Status is Complete but Actual Finish is empty, or % Complete is below 100 %.",
        ("Plan!P8: task 4 is Complete but has no Actual Finish.",
         "Enter the Actual Finish date and 100 % complete."))
declare("PL015", "warning", "In progress without actual start",
        "A task is In Progress (or partly complete) but has no Actual Start.",
        ("Plan!O8: task 4 is In Progress but has no Actual Start.",
         "Enter the date work started."))
declare("PL016", "warning", "Actual finish but not complete",
        "A task has an Actual Finish but its Status is not Complete or % Complete is below 100 %.",
        ("Plan!Q8: task 4 has an Actual Finish (2026-03-02) but its Status is In Progress.",
         "Set Status to Complete and % Complete to 100 %, or clear Actual Finish."))
declare("PL017", "warning", "Not started but has progress",
        "Status is Not Started (or empty) but % Complete is above 0 % or Actual Start is filled.",
        ("Plan!Q8: task 4 is Not Started but is 30 % complete.",
         "Set Status to In Progress, or correct the progress."))
declare("PL018", "error", "Actual finish before actual start",
        "Actual Finish is before Actual Start.",
        ("Plan!P8: task 4 actually finished on 2026-03-02, before it actually started on 2026-03-05.",
         "Correct the actual dates."))
declare("PL019", "error", "Actual date after the status date",
        "Actual Start or Actual Finish is after the status date: actuals cannot be in the future.",
        ("Plan!O8: task 4 Actual Start 2026-04-02 is after the status date 2026-03-31.",
         "Correct the date, or move the status date forward."))
declare("PL020", "warning", "Should have started",
        "A task was planned to start on or before the status date (the end of that day) but "
        "has not started (no Actual Start, 0 %, not On Hold or Cancelled).",
        ("Plan!G8: task 4 was planned to start on 2026-03-02 but has not started (status date 2026-03-31).",
         "Record its progress, or re-plan it (move Start after the status date)."))
declare("PL021", "warning", "Should have finished",
        "A started task was planned to finish on or before the status date but is not complete.",
        ("Plan!H8: task 4 was planned to finish on 2026-03-13 but is 40 % complete (status date 2026-03-31).",
         "Record its progress, or re-plan the remaining work (move Finish)."))
declare("PL022", "warning", "Missing owner",
        "A Task or Milestone has no Owner.",
        ("Plan!E8: task 4 has no owner.",
         "Name the person accountable for the task."))
declare("PL023", "warning", "Starts before the project",
        "A task starts before the project's StartDate.",
        ("Plan!G8: task 4 starts on 2025-12-15, before the project start 2026-01-05.",
         "Move the task, or correct StartDate on sheet Project."))
declare("PL024", "info", "Finishes after the planned finish",
        "A task finishes after the project's PlannedFinish.",
        ("Plan!H8: task 4 finishes on 2026-07-10, after the planned finish 2026-06-30.",
         "A slip? Re-plan, or raise a change request for the new finish."))
declare("PL025", "warning", "Missing baseline",
        "A Task or Milestone has no Baseline Start or Baseline Finish while others have one "
        "(when no task has a baseline, PL026 reports it once).",
        ("Plan!L8: task 4 has no baseline.",
         "Copy its planned dates into Baseline Start and Baseline Finish when it is approved."))
declare("PL026", "info", "Plan has no baseline",
        "No task has a baseline: variance, missed-task and BEI checks cannot be made.",
        ("The plan has no baseline (Baseline Start/Finish are empty on every task).",
         "Set the baseline: copy Start/Finish into Baseline Start/Finish once the plan is approved."))
declare("PL027", "error", "Constraint without date",
        "A dated constraint (SNET, SNLT, FNET, FNLT, MSO, MFO) has no Constraint Date.",
        ("Plan!K8: task 4 has constraint MSO but no Constraint Date.",
         "Enter the constraint's date, or set Constraint to ASAP."))
declare("PL028", "info", "Constraint date ignored",
        "A Constraint Date is filled on an ASAP/ALAP task: the date is ignored.",
        ("Plan!K8: task 4 has a Constraint Date but its constraint is ASAP, so the date is ignored.",
         "Clear the date, or choose the constraint it was meant for (SNET, MSO…)."))
declare("PL029", "warning", "Starts earlier than its logic allows",
        "A task not yet started is planned to start before the earliest date its "
        "predecessors and constraints allow (its CPM early start).",
        ("Plan!G8: task 4 starts on 2026-03-02 but its predecessors allow 2026-03-09 at the earliest.",
         "Move Start (and Finish) to the early start, or review the links (pmo-xl schedule)."))
declare("PL030", "info", "No status date",
        "The workbook has no StatusDate (and none was given): progress checks against the "
        "status date are skipped.",
        ("StatusDate is empty: progress and actuals are not checked against a status date.",
         "Fill in StatusDate on sheet Project, or pass --status-date."))

_WBS = re.compile(r"^\d+(\.\d+)*$")
_ALL_WBS = re.compile(r"(?:\d+(?:\.\d+)*\n)*\d+(?:\.\d+)*")  # WBS codes, one a line
_PARENTS = re.compile(r"^(.+)\.[^.\n]+$", re.M)  # the parent of each such code that has one
WORK_TYPES = ("Task", "Milestone")


class _Plan:
    """The plan's columns taken out of the frame once per :func:`plan_rules` call: row k
    of every array is the frame's k-th row. A typical plan has 200 rows, where pandas'
    fixed cost per operation (Series, masks, ``.at``) outweighs the work, so the checks
    run on numpy arrays and Python lists and build a Finding only for a failing row."""

    def __init__(self, ctx: RuleContext) -> None:
        # the context's cached column arrays (``plan[col].to_numpy()``, shared with the
        # other rules): a Series per column cost more than most checks
        def column(col: str) -> np.ndarray:
            return ctx.array(P, col)

        self.rows: list[int] = ctx.rows(P).tolist()  # Excel rows
        self.n = len(self.rows)
        ids = column("ID")
        self.ids: list[float] = ids.tolist()
        self.id_arr = np.asarray(ids, dtype=float)
        self.text: dict[str, np.ndarray] = {}
        self.text_na: dict[str, np.ndarray] = {}
        for col in ("Type", "Owner", "Constraint", "Status", "WBS"):
            a = column(col)
            if a.dtype != object:
                a = a.astype(object)
            self.text[col], self.text_na[col] = a, ctx.isna(P, col)
        self.dates: dict[str, np.ndarray] = {}
        self.nat: dict[str, np.ndarray] = {}
        for col in ("Start", "Finish", "Constraint Date", "Baseline Start", "Baseline Finish", "Actual Start", "Actual Finish"):
            a = column(col)
            self.dates[col], self.nat[col] = a, np.isnat(a)
        self.dur = np.asarray(column("Duration"), dtype=float)
        self.pct = np.asarray(column("% Complete"), dtype=float)
        typ_na = self.text_na["Type"]
        # Type with an empty cell read as Task (as ``Type.fillna("Task")``)
        self._distinct: dict[str, set] = {}
        self._eq: dict[tuple[str, str], np.ndarray] = {}
        self.milestone = self.eq("Type", "Milestone")
        self.task = typ_na | self.eq("Type", "Task")
        self.summary = self.eq("Type", "Summary")
        self.work = self.task | self.milestone  # Type in WORK_TYPES
        self._by_id: list[tuple[int, int, int]] | None = None
        self._first_ks: np.ndarray | None = None

    def eq(self, col: str, *values: str) -> np.ndarray:
        """``text[col] == value`` (or any of ``values``), a new array: each comparison made
        once, and only for a value the column holds (its distinct values, a set)."""
        distinct = self._distinct.get(col)
        if distinct is None:
            distinct = self._distinct[col] = set(self.text[col].tolist())
        out = np.zeros(self.n, dtype=bool)
        for v in values:
            if v in distinct:
                got = self._eq.get((col, v))
                if got is None:
                    got = self._eq[(col, v)] = self.text[col] == v
                out |= got
        return out

    def typ(self, k: int) -> str:
        v = self.text["Type"][k]
        return "Task" if self.text_na["Type"][k] else v

    def ts(self, col: str, k: int) -> pd.Timestamp:
        """Row k's date as ``frame[col].at[row]`` gives it (for messages)."""
        return pd.Timestamp(self.dates[col][k])

    def by_id(self, ctx: RuleContext) -> list[tuple[int, int, int]]:
        """(task ID, Excel row, k) of each row of ``ctx.plan_by_id``, in its order: the
        first row of each distinct ID."""
        if self._by_id is None:
            ks = self.first_ks()
            if ks is None:
                pb = ctx.plan_by_id  # IDs int64 cannot hold: as the context makes them
                at = {row: k for k, row in enumerate(self.rows)}
                self._by_id = [(tid, int(row), at[row]) for tid, row in zip(pb.index.tolist(), pb["row"].tolist())]
            else:
                rows = self.rows
                self._by_id = [(tid, rows[k], k) for tid, k in zip(self.id_arr[ks].astype(np.int64).tolist(), ks.tolist())]
        return self._by_id

    def first_ks(self) -> np.ndarray | None:
        """The positions of :meth:`by_id`'s rows, the first row of each distinct ID
        (np.unique's first occurrences), in row order; None when int64 cannot hold the IDs."""
        if self._first_ks is None:
            ids = self.id_arr
            ks = (~np.isnan(ids)).nonzero()[0]
            known = ids[ks]
            if len(known) and not (np.count_nonzero(np.isfinite(known)) == len(known) and np.abs(known).max() < 2.0 ** 62):
                return None
            if len(known) < 2 or np.count_nonzero(known[1:] > known[:-1]) == len(known) - 1:  # IDs in increasing order (as plans
                self._first_ks = ks  # number them): each row is its ID's first, no np.unique
            else:
                self._first_ks = ks[np.sort(np.unique(known, return_index=True)[1])]
        return self._first_ks


def _cmp(values: np.ndarray, op: str, ts) -> np.ndarray:
    """``Series(values) <op> ts`` as a bool array (NaT compares False). numpy when ``ts``
    is a naive Timestamp nanoseconds can hold; pandas otherwise (its errors included)."""
    try:
        if ts.tzinfo is None:
            bound = ts.as_unit("ns").to_datetime64()
            return getattr(values, op)(bound)
    except (AttributeError, ValueError, OverflowError):
        pass
    return getattr(pd.Series(values), op)(ts).to_numpy(dtype=bool)


@checks
def plan_rules(ctx: RuleContext) -> list[Finding]:
    if not ctx.has(P):
        return []
    plan = ctx.plan
    if plan.empty:
        return []
    t = _Plan(ctx)
    out: list[Finding] = []
    out += _dates(ctx, t)
    out += _predecessors(ctx, t)
    out += _wbs(ctx, t)
    out += _progress(ctx, t)
    out += _status_date(ctx, t)
    out += _other(ctx, t)
    return out


def _f(ctx: RuleContext, rid: str, row: int, col: str, key, message: str, hint: str | None = None) -> Finding:
    return ctx.finding(rid, P, row, col, key, message, hint)


def _each(mask: np.ndarray) -> list[int]:
    """Positions of the True values (the failing rows), in row order."""
    return mask.nonzero()[0].tolist()


def _dates(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    start, finish = t.dates["Start"], t.dates["Finish"]
    bad = finish < start
    for k in _each(bad):
        row = rows[k]
        out.append(_f(ctx, "PL001", row, "Finish", ids[k],
                      f"{ctx.where(P, row, 'Finish')}: task {fmt(ids[k])} finishes on {fmt(t.ts('Finish', k))}, "
                      f"before it starts on {fmt(t.ts('Start', k))}."))
    dur = t.dur
    has_dur = ~np.isnan(dur)
    for k in _each(t.milestone & has_dur & (dur != 0)):
        row = rows[k]
        out.append(_f(ctx, "PL003", row, "Duration", ids[k],
                      f"{ctx.where(P, row, 'Duration')}: milestone {fmt(ids[k])} has a duration of "
                      f"{fmt(float(dur[k]))} working days."))
    cal = ctx.calendar
    check = t.task & has_dur & ~t.nat["Start"] & ~t.nat["Finish"] & ~bad
    if cal is not None and not ctx.errors_only and np.count_nonzero(check):  # PL002 is a warning
        sub = check.nonzero()[0]
        days = _networkdays(cal, start[sub], finish[sub])
        wrong = np.abs(days - dur[sub]) > 1e-9
        for k, n in zip(sub[wrong].tolist(), days[wrong].tolist()):
            row = rows[k]
            out.append(_f(ctx, "PL002", row, "Duration", ids[k],
                          f"{ctx.where(P, row, 'Duration')}: task {fmt(ids[k])} lasts {fmt(float(dur[k]))} working "
                          f"days from {fmt(t.ts('Start', k))} to {fmt(t.ts('Finish', k))} ({fmt(n)} working days on the "
                          "project calendar)."))
    return out


def _networkdays(cal, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vectorised NETWORKDAYS(a, b) for a <= b: index(b) - index(a - 1 day)."""
    before = (a - np.timedelta64(1, "D")).astype("datetime64[D]")
    # one indices_of call on both ends: its fixed cost (three busday passes) paid once
    both = cal.indices_of(np.concatenate([b.astype("datetime64[D]"), before]))
    return both[:len(b)] - both[len(b):]


def _predecessors(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    known = ctx.task_ids
    ids, rows = t.ids, t.rows
    backward = False  # a link from a task to a higher ID in the plan (see _cycles)
    # each Predecessors cell as ctx.links reads it (parse_predecessors), straight from the
    # parser's remembered texts: no dict of copied lists (ctx.links is for _cycles, rarely)
    present = ~ctx.isna(P, "Predecessors")
    cells = ctx.array(P, "Predecessors")[present].tolist()
    for k, value in zip(present.nonzero()[0].tolist(), cells):
        links, problems = _parse_text(value) if type(value) is str else parse_predecessors(value)
        row, tid = rows[k], ids[k]
        if not problems:
            own = int(tid) if links and tid == tid else None
            for link in links:
                if link.pred == own or link.pred not in known:
                    break
                if link.pred > tid:
                    backward = True
            else:
                continue  # the common case: nothing to report on this row
        backward = backward or any(link.pred > tid and link.pred in known for link in links)
        where = ctx.where(P, row, "Predecessors")
        for p in problems:
            out.append(_f(ctx, "PL004", row, "Predecessors", tid,
                          f"{where}: task {fmt(tid)} predecessor {p.message}."
                          if p.message.startswith(repr(p.text)) else
                          f"{where}: task {fmt(tid)} predecessor '{p.text}': {p.message}."))
        for link in links:
            if tid == tid and link.pred == int(tid):
                out.append(_f(ctx, "PL006", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} lists itself as a predecessor."))
            elif link.pred not in known:
                out.append(_f(ctx, "PL005", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} depends on task {link.pred}, which is not in the plan."))
    if backward:  # no link to a higher ID on any row: no loop (_cycles would find that out slower)
        out += _cycles(ctx, t)
    return out


def _cycles(ctx: RuleContext, t: _Plan) -> list[Finding]:
    """Loops in the links, by Tarjan's strongly connected components (iterative)."""
    links = ctx.links
    if not links:
        return []
    succ: dict[int, list[int]] = {}
    row_of = {tid: row for tid, row, _k in t.by_id(ctx)}  # the last row of a shared int64 ID, as to_dict()
    backward = False  # a link from a higher task ID to a lower one
    for tid, row in row_of.items():
        got = links.get(int(row))
        if got is None:
            continue
        for link in got[0]:
            if link.pred in row_of and link.pred != tid:
                succ.setdefault(link.pred, []).append(int(tid))
                if link.pred > tid:
                    backward = True
    out: list[Finding] = []
    # No loop without a backward link: when every edge pred -> tid has pred < tid, IDs
    # strictly increase along any path, so no path comes back to its first task (the
    # graph check is then skipped, its answer being known).
    if not backward or not _has_loop(succ):
        return out
    for comp in _strongly_connected(succ):
        if len(comp) < 2:
            continue
        cycle = _a_cycle(comp, succ)
        first = cycle[0]
        loop = " → ".join(str(t) for t in cycle + [first])
        # report on the task whose Predecessors closes the loop (the first task's, naming the last)
        row = int(row_of[first])
        out.append(_f(ctx, "PL007", row, "Predecessors", first,
                      f"{ctx.where(P, row, 'Predecessors')}: dependency cycle {loop}."))
    return out


def _has_loop(succ: dict[int, list[int]]) -> bool:
    """Kahn's algorithm: a graph has a loop when its tasks cannot all be ordered."""
    indegree: dict[int, int] = {}
    for ws in succ.values():
        for w in ws:
            indegree[w] = indegree.get(w, 0) + 1
    ready = [v for v in succ if v not in indegree]
    placed = 0
    while ready:
        v = ready.pop()
        placed += 1
        for w in succ.get(v, ()):
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    return placed < len(set(succ) | set(indegree))


def _strongly_connected(succ: dict[int, list[int]]) -> list[list[int]]:
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    nodes = sorted(set(succ) | {w for ws in succ.values() for w in ws})
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            children = succ.get(v, [])
            if i < len(children):
                work[-1] = (v, i + 1)
                w = children[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(sorted(comp))
    return comps


def _a_cycle(comp: list[int], succ: dict[int, list[int]]) -> list[int]:
    """One simple cycle through the smallest ID of a strongly connected component."""
    members = set(comp)
    start = comp[0]
    prev: dict[int, int] = {}
    queue = [start]
    seen = {start}
    while queue:  # breadth-first: the shortest loop back to start
        v = queue.pop(0)
        for w in succ.get(v, []):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return list(reversed(path))
            if w not in seen:
                seen.add(w)
                prev[w] = v
                queue.append(w)
    return comp


def _wbs(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    present = (~t.text_na["WBS"]).nonzero()[0]
    texts = t.text["WBS"][present].tolist()
    try:  # the normaliser's texts are str: only another value needs astype(str)'s text
        joined = "\n".join(texts)
    except TypeError:
        texts = [v if type(v) is str else str(v) for v in texts]
        joined = "\n".join(texts)
    # one regular expression on all the codes at once (the usual case: every code is
    # well formed); code by code only when one is not ("\n" in a code: also code by code)
    if joined.count("\n") == len(texts) - 1 and _ALL_WBS.fullmatch(joined):
        code_ks, code_list = present, texts
        has_child = set(_PARENTS.findall(joined))  # the codes' parents, one a line, at once
    else:
        good = [_WBS.match(v) is not None for v in texts]
        for k, text, ok in zip(present.tolist(), texts, good):
            if not ok:
                row = rows[k]
                out.append(_f(ctx, "PL009", row, "WBS", ids[k],
                              f"{ctx.where(P, row, 'WBS')}: WBS '{text}' is not of the form 1, 1.2, 1.2.3."))
        code_ks = present[np.array(good, dtype=bool)]
        code_list = [v for v, ok in zip(texts, good) if ok]
        has_child = {c.rpartition(".")[0] for c in code_list}
    has_child.discard("")
    ks = code_ks.tolist()
    known = set(code_list)
    # Python strings and sets: 5,000 look-ups, cheaper than rpartition/isin on Arrow text
    if not has_child <= known:  # only then the search for the rows missing a parent
        for j, code in enumerate(code_list):
            parent = code.rpartition(".")[0]
            if parent != "" and parent not in known:
                k = ks[j]
                row = rows[k]
                out.append(_f(ctx, "PL008", row, "WBS", ids[k],
                              f"{ctx.where(P, row, 'WBS')}: WBS {code} has no parent {parent} in the plan."))
    if ctx.errors_only:  # PL011 and PL010 (below) are warnings
        return out
    # children of each code: rows whose WBS starts with code + "."
    summary = t.summary[code_ks]
    others = (~summary).nonzero()[0].tolist()
    if not has_child.isdisjoint([code_list[j] for j in others]):  # only then the rows of PL011
        for j in [j for j in others if code_list[j] in has_child]:
            k, code = ks[j], code_list[j]
            row = rows[k]
            out.append(_f(ctx, "PL011", row, "Type", ids[k],
                          f"{ctx.where(P, row, 'Type')}: task {fmt(ids[k])} (WBS {code}) has children "
                          f"({code}.1…) but its Type is {t.typ(k)}."))
    if np.count_nonzero(summary):
        out += _summary_spans(ctx, t, code_ks, code_list, summary)
    return out


def _summary_spans(ctx: RuleContext, t: _Plan, code_ks: np.ndarray, code_list: list[str],
                   summary: np.ndarray) -> list[Finding]:
    """Summary Start/Finish against the earliest Start / latest Finish of the rows under
    it (every row whose WBS has the summary's WBS as a prefix; ties: the first row)
    (``code_ks[j]``: plan position of ``code_list[j]``; ``summary[j]``: a Summary row).

    In code point order the codes that start with ``S.`` are one run of the sorted codes
    (from ``S.`` up to ``S/``, "/" following "."), so each summary's earliest child is a
    minimum over a slice: one ``minimum.reduceat`` over the rows ranked by (Start, row),
    instead of a walk up every code's prefixes."""
    ids, rows = t.ids, t.rows
    order_list = sorted(range(len(code_list)), key=code_list.__getitem__)  # (stable: equal codes in row order)
    in_order = [code_list[j] for j in order_list]
    order = np.array(order_list, dtype=np.intp)
    js = summary.nonzero()[0]
    heads = [code_list[j] for j in js.tolist()]
    lo = np.array([bisect_left(in_order, h + ".") for h in heads], dtype=np.intp)
    hi = np.array([bisect_left(in_order, h + "/") for h in heads], dtype=np.intp)
    under = lo < hi  # the summary has rows under it
    if not np.count_nonzero(under):
        return []
    js, lo, hi = js[under], lo[under], hi[under]
    bounds = np.empty(2 * len(lo), dtype=np.intp)  # lo0, hi0, lo1, hi1…
    bounds[0::2], bounds[1::2] = lo, hi
    m = len(code_list)
    n_ks = np.arange(m)
    plan_rows = ctx.rows(P)[code_ks]
    rows_ascend = m < 2 or np.count_nonzero(plan_rows[1:] > plan_rows[:-1]) == m - 1  # (as the reader gives them)
    out: list[Finding] = []
    for col, sign, later in (("Start", 1, False), ("Finish", -1, True)):
        ns = t.dates[col].view("int64")[code_ks]
        has = ~t.nat[col][code_ks]
        # each row's rank by (Start, row, position) — by (-Finish, row, position) for the
        # latest Finish — the rows without a date last
        when = np.where(has, ns * sign, 0)
        # (rows in ascending order: a stable sort by date alone keeps the ties in row order)
        by = np.argsort(when, kind="stable") if rows_ascend else np.lexsort((n_ks, plan_rows, when))
        rank = np.empty(m, dtype=np.int64)
        rank[by] = n_ks
        rank[~has] = m
        best = np.minimum.reduceat(np.append(rank[order], m), bounds)[::2]
        child_of = np.full(m + 1, -1)
        child_of[:m] = by
        child = child_of[best]  # -1: no row under it has the date
        own_ns, own_has = ns[js], has[js]
        bad = (child >= 0) & own_has & ((own_ns < ns[child]) if later else (own_ns > ns[child]))
        verb = "finishes" if later else "starts"
        for j, c in zip(js[bad].tolist(), child[bad].tolist()):
            k, kc = int(code_ks[j]), int(code_ks[c])
            row = rows[k]
            out.append(_f(ctx, "PL010", row, col, ids[k],
                          f"{ctx.where(P, row, col)}: summary {fmt(ids[k])} {verb} on {fmt(t.ts(col, k))} but its "
                          f"child {fmt(ids[kc])} {verb} on {fmt(t.ts(col, kc))}."))
    return out


def _progress(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    pct, status, st_na = t.pct, t.text["Status"], t.text_na["Status"]
    as_na, af_na = t.nat["Actual Start"], t.nat["Actual Finish"]
    for k in _each((pct < 0) | (pct > 1)):
        row = rows[k]
        out.append(_f(ctx, "PL012", row, "% Complete", ids[k],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids[k])} is {fmt_pct(pct[k])} complete."))
    work = ~t.summary
    in_range = (pct >= 0) & (pct <= 1)
    is_complete, is_cancelled, in_progress = t.eq("Status", "Complete"), t.eq("Status", "Cancelled"), t.eq("Status", "In Progress")
    for k in _each(work & (pct == 1) & ~st_na & ~is_complete & ~is_cancelled):
        row = rows[k]
        out.append(_f(ctx, "PL013", row, "% Complete", ids[k],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids[k])} is 100 % complete but its Status is "
                      f"{status[k]}."))
    complete = work & is_complete
    for k in _each(complete & af_na):
        row = rows[k]
        out.append(_f(ctx, "PL014", row, "Actual Finish", ids[k],
                      f"{ctx.where(P, row, 'Actual Finish')}: task {fmt(ids[k])} is Complete but has no Actual Finish."))
    for k in _each(complete & ~af_na & in_range & (pct < 1)):
        row = rows[k]
        out.append(_f(ctx, "PL014", row, "% Complete", ids[k],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids[k])} is Complete but only "
                      f"{fmt_pct(pct[k])} complete."))
    started = work & (in_progress | (in_range & (pct > 0)) | ~af_na)
    for k in _each(started & as_na):
        row = rows[k]
        what = "In Progress" if in_progress[k] else (
            f"{fmt_pct(pct[k])} complete" if pct[k] > 0 else "finished")
        out.append(_f(ctx, "PL015", row, "Actual Start", ids[k],
                      f"{ctx.where(P, row, 'Actual Start')}: task {fmt(ids[k])} is {what} but has no Actual Start."))
    fin_not_done = work & ~af_na & ~st_na & ~(is_complete | is_cancelled)
    for k in _each(fin_not_done):
        row = rows[k]
        out.append(_f(ctx, "PL016", row, "Status", ids[k],
                      f"{ctx.where(P, row, 'Status')}: task {fmt(ids[k])} has an Actual Finish "
                      f"({fmt(t.ts('Actual Finish', k))}) but its Status is {status[k]}."))
    fin_low = work & ~af_na & ~is_complete & in_range & (pct < 1) & ~fin_not_done
    for k in _each(fin_low & ~is_cancelled):
        row = rows[k]
        out.append(_f(ctx, "PL016", row, "% Complete", ids[k],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids[k])} has an Actual Finish "
                      f"({fmt(t.ts('Actual Finish', k))}) but is {fmt_pct(pct[k])} complete."))
    not_started = work & (st_na | t.eq("Status", "Not Started"))
    moved = not_started & ((in_range & (pct > 0)) | ~as_na) & af_na
    for k in _each(moved):
        row = rows[k]
        what = f"is {fmt_pct(pct[k])} complete" if pct[k] > 0 else \
            f"has an Actual Start ({fmt(t.ts('Actual Start', k))})"
        label = status[k] if not st_na[k] else "without a Status"
        out.append(_f(ctx, "PL017", row, "Status", ids[k],
                      f"{ctx.where(P, row, 'Status')}: task {fmt(ids[k])} is {label} but {what}."))
    for k in _each(t.dates["Actual Finish"] < t.dates["Actual Start"]):
        row = rows[k]
        out.append(_f(ctx, "PL018", row, "Actual Finish", ids[k],
                      f"{ctx.where(P, row, 'Actual Finish')}: task {fmt(ids[k])} actually finished on "
                      f"{fmt(t.ts('Actual Finish', k))}, before it actually started on {fmt(t.ts('Actual Start', k))}."))
    return out


def _status_date(ctx: RuleContext, t: _Plan) -> list[Finding]:
    sd = ctx.status_ts
    if sd is None:
        r = ctx.finding("PL030", P, None, None, "",
                        "StatusDate is empty: progress and actuals are not checked against a status date.")
        cell = ctx.book.setting_cells.get("StatusDate", "")
        sheet, _, addr = cell.rpartition("!")
        r.sheet, r.cell, r.key = sheet or "Project", addr, "StatusDate"
        return [r]
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    when = f"status date {fmt(sd)}"
    for col in ("Actual Start", "Actual Finish"):
        for k in _each(_cmp(t.dates[col], "__gt__", sd)):
            row = rows[k]
            out.append(_f(ctx, "PL019", row, col, ids[k],
                          f"{ctx.where(P, row, col)}: task {fmt(ids[k])} {col} {fmt(t.ts(col, k))} is after the {when}."))
    st_na = t.text_na["Status"]
    pct = np.where(np.isnan(t.pct), 0.0, t.pct)  # fillna(0)
    work = ~t.summary
    idle = t.eq("Status", "On Hold", "Cancelled")
    not_started = work & ~idle & t.nat["Actual Start"] & t.nat["Actual Finish"] & (pct == 0) & \
        (st_na | t.eq("Status", "Not Started"))
    # the status date is the end of that day: work planned to start on it should have started
    for k in _each(not_started & _cmp(t.dates["Start"], "__le__", sd)):
        row = rows[k]
        out.append(_f(ctx, "PL020", row, "Start", ids[k],
                      f"{ctx.where(P, row, 'Start')}: task {fmt(ids[k])} was planned to start on "
                      f"{fmt(t.ts('Start', k))} but has not started ({when})."))
    open_ = work & ~idle & ~not_started & t.nat["Actual Finish"] & ~t.eq("Status", "Complete") & (pct < 1)
    for k in _each(open_ & _cmp(t.dates["Finish"], "__le__", sd)):
        row = rows[k]
        out.append(_f(ctx, "PL021", row, "Finish", ids[k],
                      f"{ctx.where(P, row, 'Finish')}: task {fmt(ids[k])} was planned to finish on "
                      f"{fmt(t.ts('Finish', k))} but is {fmt_pct(pct[k])} complete ({when})."))
    return out


def _other(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    if not ctx.errors_only:  # PL022-PL026 are warnings and info
        out += _owner_and_baseline(ctx, t)
    cons, cons_na = t.text["Constraint"], t.text_na["Constraint"]
    cd_na = t.nat["Constraint Date"]
    dated = t.eq("Constraint", *schema.DATED_CONSTRAINTS)
    for k in _each(dated & cd_na):
        row = rows[k]
        if (P, int(row), "Constraint Date") in ctx.issue_cells:
            continue
        out.append(_f(ctx, "PL027", row, "Constraint Date", ids[k],
                      f"{ctx.where(P, row, 'Constraint Date')}: task {fmt(ids[k])} has constraint {cons[k]} "
                      "but no Constraint Date."))
    if not ctx.errors_only:  # PL028 is info
        loose = (cons_na | t.eq("Constraint", "ASAP", "ALAP")) & ~cd_na
        for k in _each(loose):
            row = rows[k]
            c = cons[k] if not cons_na[k] else "ASAP"
            out.append(_f(ctx, "PL028", row, "Constraint Date", ids[k],
                          f"{ctx.where(P, row, 'Constraint Date')}: task {fmt(ids[k])} has a Constraint Date but its "
                          f"constraint is {c}, so the date is ignored."))
    out += _logic_start(ctx, t)
    return out


def _owner_and_baseline(ctx: RuleContext, t: _Plan) -> list[Finding]:
    """PL022-PL026: owner, project start and planned finish, baseline."""
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    work = t.work
    for k in _each(work & t.text_na["Owner"]):
        row = rows[k]
        out.append(_f(ctx, "PL022", row, "Owner", ids[k], f"{ctx.where(P, row, 'Owner')}: task {fmt(ids[k])} has no owner."))
    if ctx.start_date:
        sd = pd.Timestamp(ctx.start_date)
        for k in _each(_cmp(t.dates["Start"], "__lt__", sd)):
            row = rows[k]
            out.append(_f(ctx, "PL023", row, "Start", ids[k],
                          f"{ctx.where(P, row, 'Start')}: task {fmt(ids[k])} starts on {fmt(t.ts('Start', k))}, "
                          f"before the project start {fmt(sd)}."))
    pf = ctx.setting("PlannedFinish")
    try:
        pf = pd.Timestamp(pf) if pf is not None else None
    except (TypeError, ValueError):
        pf = None
    if pf is not None and not pd.isna(pf):
        late = _each(_cmp(t.dates["Finish"], "__gt__", pf))
        planned = fmt(pf)
        # (often many rows: their dates written at once)
        for k, finish in zip(late, _day_texts(t.dates["Finish"][late]) if late else ()):
            row = rows[k]
            out.append(_f(ctx, "PL024", row, "Finish", ids[k],
                          f"{ctx.where(P, row, 'Finish')}: task {fmt(ids[k])} finishes on {finish}, "
                          f"after the planned finish {planned}."))
    bs_na, bf_na = t.nat["Baseline Start"], t.nat["Baseline Finish"]
    n_work = np.count_nonzero(work)
    if n_work and np.count_nonzero(work & bs_na & bf_na) == n_work:  # no work row has a baseline
        out.append(ctx.finding("PL026", P, None, None, "",
                               "The plan has no baseline (Baseline Start/Finish are empty on every task)."))
    else:
        for k in _each(work & (bs_na | bf_na)):
            row = rows[k]
            col = "Baseline Start" if bs_na[k] else "Baseline Finish"
            out.append(_f(ctx, "PL025", row, col, ids[k],
                          f"{ctx.where(P, row, col)}: task {fmt(ids[k])} has no baseline."))
    return out


def _logic_start(ctx: RuleContext, t: _Plan) -> list[Finding]:
    """Start < CPM early start, for tasks not yet started (their Start is a forecast)."""
    if ctx.errors_only:  # PL029 is a warning: no schedule needed to count errors
        return []
    res = ctx.cpm
    if res is None or res.calendar is None:
        return []
    cal = res.calendar
    es = {task.id: (task.early_start, task.early_finish) for task in res.tasks if task.status == "not started" and not task.in_cycle}
    if not es:
        return []
    ok = t.work & t.nat["Actual Start"] & ~t.nat["Start"]
    if ctx.status_ts is not None:  # a start already past is PL020's: the schedule moves it after the status date
        ok &= _cmp(t.dates["Start"], "__gt__", ctx.status_ts)
    firsts = t.first_ks()
    if firsts is None:
        ok_list = ok.tolist()
        cand = [(tid, row, k) for tid, row, k in t.by_id(ctx) if ok_list[k] and tid in es]
    else:  # by_id's rows that pass, without making the list of every row
        ks = firsts[ok[firsts]]
        rows = t.rows
        cand = [(tid, rows[k], k) for tid, k in zip(t.id_arr[ks].astype(np.int64).tolist(), ks.tolist()) if tid in es]
    if not cand:
        return []
    times = np.array([es[tid] for tid, _row, _k in cand], dtype=float)
    day = np.where(times[:, 0] == times[:, 1], np.maximum(times[:, 0], 1), times[:, 0] + 1)
    early = cal.dates_of(day)
    start = t.dates["Start"][[k for _tid, _row, k in cand]]
    late = start < early
    if not np.count_nonzero(late):
        return []
    out = []
    picked = [c for c, is_late in zip(cand, late.tolist()) if is_late]
    for (tid, row, _k), s, e in zip(picked, _day_texts(start[late]), _day_texts(early[late])):
        out.append(_f(ctx, "PL029", row, "Start", tid,
                      f"{ctx.where(P, row, 'Start')}: task {tid} starts on {s} but its predecessors "
                      f"and constraints allow {e} at the earliest."))
    return out


def _day_texts(values: np.ndarray) -> list[str]:
    """``fmt`` of each value of a datetime array as its Timestamp, the dates at midnight
    (nearly all) written by numpy at once; any other value (a time of day, NaT) by ``fmt``."""
    days = values.astype("datetime64[D]")
    out = np.datetime_as_string(days, unit="D").tolist()
    other = np.isnat(values) | (values - days >= np.timedelta64(1, "s"))
    if np.count_nonzero(other):
        for k in other.nonzero()[0].tolist():
            out[k] = fmt(pd.Timestamp(values[k]))
    return out
