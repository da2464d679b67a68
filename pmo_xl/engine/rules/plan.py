"""PL — plan logic: dates, calendar, predecessors, WBS, progress, status date, CPM.

Dates are compared as the project calendar counts them (:mod:`pmo_xl.engine.calendar`);
links are parsed by :mod:`pmo_xl.engine.links`; cycles and the earliest start the logic
allows come from the CPM engine (:mod:`pmo_xl.engine.cpm`), computed once per book.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ... import schema
from ...model import Finding
from . import checks, declare
from ._context import RuleContext, fmt, fmt_pct

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
WORK_TYPES = ("Task", "Milestone")


def _typ(plan: pd.DataFrame) -> pd.Series:
    return plan["Type"].fillna("Task")


@checks
def plan_rules(ctx: RuleContext) -> list[Finding]:
    if not ctx.has(P):
        return []
    plan = ctx.plan
    if plan.empty:
        return []
    out: list[Finding] = []
    out += _dates(ctx, plan)
    out += _predecessors(ctx, plan)
    out += _wbs(ctx, plan)
    out += _progress(ctx, plan)
    out += _status_date(ctx, plan)
    out += _other(ctx, plan)
    return out


def _f(ctx: RuleContext, rid: str, row: int, col: str, key, message: str, hint: str | None = None) -> Finding:
    return ctx.finding(rid, P, row, col, key, message, hint)


def _dates(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    ids, typ = plan["ID"], _typ(plan)
    start, finish = plan["Start"], plan["Finish"]
    bad = finish < start
    for row in plan.index[bad]:
        out.append(_f(ctx, "PL001", row, "Finish", ids.at[row],
                      f"{ctx.where(P, row, 'Finish')}: task {fmt(ids.at[row])} finishes on {fmt(finish.at[row])}, "
                      f"before it starts on {fmt(start.at[row])}."))
    dur = plan["Duration"]
    mile = (typ == "Milestone") & dur.notna() & (dur != 0)
    for row in plan.index[mile]:
        out.append(_f(ctx, "PL003", row, "Duration", ids.at[row],
                      f"{ctx.where(P, row, 'Duration')}: milestone {fmt(ids.at[row])} has a duration of "
                      f"{fmt(dur.at[row])} working days."))
    cal = ctx.calendar
    check = (typ == "Task") & dur.notna() & start.notna() & finish.notna() & ~bad
    if cal is not None and not ctx.errors_only and check.any():  # PL002 is a warning
        sub = plan[check]
        days = _networkdays(cal, sub["Start"], sub["Finish"])
        wrong = np.abs(days - sub["Duration"].to_numpy()) > 1e-9
        for row, n in zip(sub.index[wrong], days[wrong]):
            out.append(_f(ctx, "PL002", row, "Duration", ids.at[row],
                          f"{ctx.where(P, row, 'Duration')}: task {fmt(ids.at[row])} lasts {fmt(dur.at[row])} working "
                          f"days from {fmt(start.at[row])} to {fmt(finish.at[row])} ({fmt(n)} working days on the "
                          "project calendar)."))
    return out


def _networkdays(cal, a: pd.Series, b: pd.Series) -> np.ndarray:
    """Vectorised NETWORKDAYS(a, b) for a <= b: index(b) - index(a - 1 day)."""
    before = (a - pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]")
    return cal.indices_of(b.to_numpy().astype("datetime64[D]")) - cal.indices_of(before)


def _predecessors(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    known = ctx.task_ids
    id_of = dict(zip(plan.index.tolist(), plan["ID"].tolist()))
    for row, (links, problems) in ctx.links.items():
        tid = id_of[row]
        own = int(tid) if links and pd.notna(tid) else None
        if not problems and all(link.pred != own and link.pred in known for link in links):
            continue  # the common case: nothing to report on this row
        where = ctx.where(P, row, "Predecessors")
        for p in problems:
            out.append(_f(ctx, "PL004", row, "Predecessors", tid,
                          f"{where}: task {fmt(tid)} predecessor {p.message}."
                          if p.message.startswith(repr(p.text)) else
                          f"{where}: task {fmt(tid)} predecessor '{p.text}': {p.message}."))
        for link in links:
            if pd.notna(tid) and link.pred == int(tid):
                out.append(_f(ctx, "PL006", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} lists itself as a predecessor."))
            elif link.pred not in known:
                out.append(_f(ctx, "PL005", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} depends on task {link.pred}, which is not in the plan."))
    out += _cycles(ctx)
    return out


def _cycles(ctx: RuleContext) -> list[Finding]:
    """Loops in the links, by Tarjan's strongly connected components (iterative)."""
    pb = ctx.plan_by_id
    succ: dict[int, list[int]] = {}
    row_of = pb["row"].to_dict()
    for tid, row in row_of.items():
        for link in ctx.links.get(int(row), ([], []))[0]:
            if link.pred in row_of and link.pred != tid:
                succ.setdefault(link.pred, []).append(int(tid))
    out: list[Finding] = []
    if not _has_loop(succ):
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


def _wbs(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    ids, wbs, typ = plan["ID"], plan["WBS"], _typ(plan)
    present = wbs.dropna().astype(str)
    ok = present.str.match(_WBS)
    for row in present.index[~ok]:
        out.append(_f(ctx, "PL009", row, "WBS", ids.at[row],
                      f"{ctx.where(P, row, 'WBS')}: WBS '{present.at[row]}' is not of the form 1, 1.2, 1.2.3."))
    codes = present[ok]
    code_list = codes.tolist()
    known = set(code_list)
    # Python strings and sets: 5,000 look-ups, cheaper than rpartition/isin on Arrow text
    parent_list = [c.rpartition(".")[0] for c in code_list]
    orphan = np.array([p != "" and p not in known for p in parent_list], dtype=bool)
    for k in np.flatnonzero(orphan).tolist():
        row = codes.index[k]
        out.append(_f(ctx, "PL008", row, "WBS", ids.at[row],
                      f"{ctx.where(P, row, 'WBS')}: WBS {code_list[k]} has no parent {parent_list[k]} in the plan."))
    if ctx.errors_only:  # PL011 and PL010 (below) are warnings
        return out
    # children of each code: rows whose WBS starts with code + "."
    has_child = {p for p in parent_list if p != ""}
    parent_of_some = np.array([c in has_child for c in code_list], dtype=bool)
    for row in codes.index[parent_of_some & (typ.reindex(codes.index) != "Summary").to_numpy()]:
        out.append(_f(ctx, "PL011", row, "Type", ids.at[row],
                      f"{ctx.where(P, row, 'Type')}: task {fmt(ids.at[row])} (WBS {codes.at[row]}) has children "
                      f"({codes.at[row]}.1…) but its Type is {typ.at[row]}."))
    summaries = codes[typ.reindex(codes.index) == "Summary"]
    if not summaries.empty:
        out += _summary_spans(ctx, plan, codes, summaries)
    return out


def _summary_spans(ctx: RuleContext, plan: pd.DataFrame, codes: pd.Series, summary_rows: pd.Series) -> list[Finding]:
    """Summary Start/Finish against the earliest Start / latest Finish of the rows under
    it (every row whose WBS has the summary's WBS as a prefix; ties: the first row), in
    one pass over the codes."""
    ids = plan["ID"]
    summaries = set(summary_rows)
    rows = codes.index.tolist()
    starts = plan.loc[codes.index, "Start"]
    finishes = plan.loc[codes.index, "Finish"]
    start_ns = starts.to_numpy().view("int64").tolist()  # Python ints: cheap to index
    finish_ns = finishes.to_numpy().view("int64").tolist()
    has_start, has_finish = starts.notna().to_numpy().tolist(), finishes.notna().to_numpy().tolist()
    first: dict[str, tuple[int, int, int]] = {}  # summary code -> (start, row, k) of its earliest child
    last: dict[str, tuple[int, int, int]] = {}  # summary code -> (-finish, row, k) of its latest child
    for k, (row, code) in enumerate(zip(rows, codes.tolist())):
        ancestor = code
        while True:
            cut = ancestor.rfind(".")
            if cut < 0:
                break
            ancestor = ancestor[:cut]
            if ancestor not in summaries:
                continue
            if has_start[k]:
                key = (start_ns[k], row, k)
                if ancestor not in first or key < first[ancestor]:
                    first[ancestor] = key
            if has_finish[k]:
                key = (-finish_ns[k], row, k)
                if ancestor not in last or key < last[ancestor]:
                    last[ancestor] = key
    if not first and not last:
        return []
    out: list[Finding] = []
    own = plan.loc[summary_rows.index, ["ID", "Start", "Finish"]]
    summary = list(zip(summary_rows.index.tolist(), summary_rows.tolist(), range(len(own)),
                       own["Start"].to_numpy().view("int64").tolist(), own["Start"].notna().to_numpy().tolist(),
                       own["Finish"].to_numpy().view("int64").tolist(), own["Finish"].notna().to_numpy().tolist()))
    for row, code, j, s, has_s, _f_, _has_f in summary:
        child = first.get(code)
        if child is None or not has_s or not s > start_ns[child[2]]:
            continue
        tid = own["ID"].iat[j]
        out.append(_f(ctx, "PL010", row, "Start", tid,
                      f"{ctx.where(P, row, 'Start')}: summary {fmt(tid)} starts on {fmt(own['Start'].iat[j])} but its "
                      f"child {fmt(ids.at[child[1]])} starts on {fmt(starts.iat[child[2]])}."))
    for row, code, j, _s, _has_s, f, has_f in summary:
        child = last.get(code)
        if child is None or not has_f or not f < finish_ns[child[2]]:
            continue
        tid = own["ID"].iat[j]
        out.append(_f(ctx, "PL010", row, "Finish", tid,
                      f"{ctx.where(P, row, 'Finish')}: summary {fmt(tid)} finishes on {fmt(own['Finish'].iat[j])} but its "
                      f"child {fmt(ids.at[child[1]])} finishes on {fmt(finishes.iat[child[2]])}."))
    return out


def _progress(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    ids, typ = plan["ID"], _typ(plan)
    pct, status = plan["% Complete"], plan["Status"]
    a_s, a_f = plan["Actual Start"], plan["Actual Finish"]
    for row in plan.index[(pct < 0) | (pct > 1)]:
        out.append(_f(ctx, "PL012", row, "% Complete", ids.at[row],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids.at[row])} is {fmt_pct(pct.at[row])} complete."))
    work = typ != "Summary"
    in_range = pct.between(0, 1)
    for row in plan.index[work & (pct == 1) & status.notna() & (status != "Complete") & (status != "Cancelled")]:
        out.append(_f(ctx, "PL013", row, "% Complete", ids.at[row],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids.at[row])} is 100 % complete but its Status is "
                      f"{status.at[row]}."))
    complete = work & (status == "Complete")
    for row in plan.index[complete & a_f.isna()]:
        out.append(_f(ctx, "PL014", row, "Actual Finish", ids.at[row],
                      f"{ctx.where(P, row, 'Actual Finish')}: task {fmt(ids.at[row])} is Complete but has no Actual Finish."))
    for row in plan.index[complete & a_f.notna() & in_range & (pct < 1)]:
        out.append(_f(ctx, "PL014", row, "% Complete", ids.at[row],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids.at[row])} is Complete but only "
                      f"{fmt_pct(pct.at[row])} complete."))
    started = work & ((status == "In Progress") | (in_range & (pct > 0)) | a_f.notna())
    for row in plan.index[started & a_s.isna()]:
        what = "In Progress" if status.at[row] == "In Progress" else (
            f"{fmt_pct(pct.at[row])} complete" if pd.notna(pct.at[row]) and pct.at[row] > 0 else "finished")
        out.append(_f(ctx, "PL015", row, "Actual Start", ids.at[row],
                      f"{ctx.where(P, row, 'Actual Start')}: task {fmt(ids.at[row])} is {what} but has no Actual Start."))
    fin_not_done = work & a_f.notna() & status.notna() & ~status.isin(["Complete", "Cancelled"])
    for row in plan.index[fin_not_done]:
        out.append(_f(ctx, "PL016", row, "Status", ids.at[row],
                      f"{ctx.where(P, row, 'Status')}: task {fmt(ids.at[row])} has an Actual Finish "
                      f"({fmt(a_f.at[row])}) but its Status is {status.at[row]}."))
    fin_low = work & a_f.notna() & (status.isna() | (status != "Complete")) & in_range & (pct < 1) & ~fin_not_done
    for row in plan.index[fin_low & (status != "Cancelled")]:
        out.append(_f(ctx, "PL016", row, "% Complete", ids.at[row],
                      f"{ctx.where(P, row, '% Complete')}: task {fmt(ids.at[row])} has an Actual Finish "
                      f"({fmt(a_f.at[row])}) but is {fmt_pct(pct.at[row])} complete."))
    not_started = work & (status.isna() | (status == "Not Started"))
    moved = not_started & ((in_range & (pct > 0)) | a_s.notna()) & a_f.isna()
    for row in plan.index[moved]:
        what = f"is {fmt_pct(pct.at[row])} complete" if pd.notna(pct.at[row]) and pct.at[row] > 0 else \
            f"has an Actual Start ({fmt(a_s.at[row])})"
        label = status.at[row] if pd.notna(status.at[row]) else "without a Status"
        out.append(_f(ctx, "PL017", row, "Status", ids.at[row],
                      f"{ctx.where(P, row, 'Status')}: task {fmt(ids.at[row])} is {label} but {what}."))
    for row in plan.index[a_f < a_s]:
        out.append(_f(ctx, "PL018", row, "Actual Finish", ids.at[row],
                      f"{ctx.where(P, row, 'Actual Finish')}: task {fmt(ids.at[row])} actually finished on "
                      f"{fmt(a_f.at[row])}, before it actually started on {fmt(a_s.at[row])}."))
    return out


def _status_date(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    sd = ctx.status_ts
    if sd is None:
        r = ctx.finding("PL030", P, None, None, "",
                        "StatusDate is empty: progress and actuals are not checked against a status date.")
        cell = ctx.book.setting_cells.get("StatusDate", "")
        sheet, _, addr = cell.rpartition("!")
        r.sheet, r.cell, r.key = sheet or "Project", addr, "StatusDate"
        return [r]
    out: list[Finding] = []
    ids, typ = plan["ID"], _typ(plan)
    when = f"status date {fmt(sd)}"
    for col in ("Actual Start", "Actual Finish"):
        for row in plan.index[plan[col] > sd]:
            out.append(_f(ctx, "PL019", row, col, ids.at[row],
                          f"{ctx.where(P, row, col)}: task {fmt(ids.at[row])} {col} {fmt(plan.at[row, col])} is after the {when}."))
    status, pct = plan["Status"], plan["% Complete"].fillna(0)
    work = typ != "Summary"
    idle = status.isin(["On Hold", "Cancelled"])
    not_started = work & ~idle & plan["Actual Start"].isna() & plan["Actual Finish"].isna() & (pct == 0) & \
        (status.isna() | (status == "Not Started"))
    # the status date is the end of that day: work planned to start on it should have started
    for row in plan.index[not_started & (plan["Start"] <= sd)]:
        out.append(_f(ctx, "PL020", row, "Start", ids.at[row],
                      f"{ctx.where(P, row, 'Start')}: task {fmt(ids.at[row])} was planned to start on "
                      f"{fmt(plan.at[row, 'Start'])} but has not started ({when})."))
    open_ = work & ~idle & ~not_started & plan["Actual Finish"].isna() & (status != "Complete") & (pct < 1)
    for row in plan.index[open_ & (plan["Finish"] <= sd)]:
        out.append(_f(ctx, "PL021", row, "Finish", ids.at[row],
                      f"{ctx.where(P, row, 'Finish')}: task {fmt(ids.at[row])} was planned to finish on "
                      f"{fmt(plan.at[row, 'Finish'])} but is {fmt_pct(pct.at[row])} complete ({when})."))
    return out


def _other(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    ids, typ = plan["ID"], _typ(plan)
    if not ctx.errors_only:  # PL022-PL026 are warnings and info
        out += _owner_and_baseline(ctx, plan, ids, typ)
    cons = plan["Constraint"]
    dated = cons.isin(list(schema.DATED_CONSTRAINTS))
    for row in plan.index[dated & plan["Constraint Date"].isna()]:
        if (P, int(row), "Constraint Date") in ctx.issue_cells:
            continue
        out.append(_f(ctx, "PL027", row, "Constraint Date", ids.at[row],
                      f"{ctx.where(P, row, 'Constraint Date')}: task {fmt(ids.at[row])} has constraint {cons.at[row]} "
                      "but no Constraint Date."))
    loose = (cons.isna() | cons.isin(["ASAP", "ALAP"])) & plan["Constraint Date"].notna()
    for row in plan.index[loose] if not ctx.errors_only else ():  # PL028 is info
        c = cons.at[row] if pd.notna(cons.at[row]) else "ASAP"
        out.append(_f(ctx, "PL028", row, "Constraint Date", ids.at[row],
                      f"{ctx.where(P, row, 'Constraint Date')}: task {fmt(ids.at[row])} has a Constraint Date but its "
                      f"constraint is {c}, so the date is ignored."))
    out += _logic_start(ctx, plan)
    return out


def _owner_and_baseline(ctx: RuleContext, plan: pd.DataFrame, ids: pd.Series, typ: pd.Series) -> list[Finding]:
    """PL022-PL026: owner, project start and planned finish, baseline."""
    out: list[Finding] = []
    work = typ.isin(WORK_TYPES)
    for row in plan.index[work & plan["Owner"].isna()]:
        out.append(_f(ctx, "PL022", row, "Owner", ids.at[row], f"{ctx.where(P, row, 'Owner')}: task {fmt(ids.at[row])} has no owner."))
    if ctx.start_date:
        sd = pd.Timestamp(ctx.start_date)
        for row in plan.index[plan["Start"] < sd]:
            out.append(_f(ctx, "PL023", row, "Start", ids.at[row],
                          f"{ctx.where(P, row, 'Start')}: task {fmt(ids.at[row])} starts on {fmt(plan.at[row, 'Start'])}, "
                          f"before the project start {fmt(sd)}."))
    pf = ctx.setting("PlannedFinish")
    try:
        pf = pd.Timestamp(pf) if pf is not None else None
    except (TypeError, ValueError):
        pf = None
    if pf is not None and not pd.isna(pf):
        for row in plan.index[plan["Finish"] > pf]:
            out.append(_f(ctx, "PL024", row, "Finish", ids.at[row],
                          f"{ctx.where(P, row, 'Finish')}: task {fmt(ids.at[row])} finishes on {fmt(plan.at[row, 'Finish'])}, "
                          f"after the planned finish {fmt(pf)}."))
    has_base = plan["Baseline Start"].notna() | plan["Baseline Finish"].notna()
    if work.any() and not has_base[work].any():
        out.append(ctx.finding("PL026", P, None, None, "",
                               "The plan has no baseline (Baseline Start/Finish are empty on every task)."))
    else:
        no_base = work & (plan["Baseline Start"].isna() | plan["Baseline Finish"].isna())
        for row in plan.index[no_base]:
            col = "Baseline Start" if pd.isna(plan.at[row, "Baseline Start"]) else "Baseline Finish"
            out.append(_f(ctx, "PL025", row, col, ids.at[row],
                          f"{ctx.where(P, row, col)}: task {fmt(ids.at[row])} has no baseline."))
    return out


def _logic_start(ctx: RuleContext, plan: pd.DataFrame) -> list[Finding]:
    """Start < CPM early start, for tasks not yet started (their Start is a forecast)."""
    if ctx.errors_only:  # PL029 is a warning: no schedule needed to count errors
        return []
    res = ctx.cpm
    if res is None or res.calendar is None:
        return []
    cal = res.calendar
    es = {t.id: (t.early_start, t.early_finish) for t in res.tasks if t.status == "not started" and not t.in_cycle}
    pb = ctx.plan_by_id
    typ = pb["Type"].fillna("Task")
    cand = pb[typ.isin(WORK_TYPES) & pb["Actual Start"].isna() & pb["Start"].notna() & pb.index.isin(list(es))]
    if ctx.status_ts is not None:  # a start already past is PL020's: the schedule moves it after the status date
        cand = cand[cand["Start"] > ctx.status_ts]
    if cand.empty:
        return []
    times = np.array([es[int(i)] for i in cand.index], dtype=float)
    day = np.where(times[:, 0] == times[:, 1], np.maximum(times[:, 0], 1), times[:, 0] + 1)
    early = pd.to_datetime(cal.dates_of(day))
    late = cand["Start"].to_numpy() < early.to_numpy()
    out = []
    sub = cand[late]
    for tid, row, start, e in zip(sub.index.tolist(), sub["row"].tolist(), _day_texts(sub["Start"]), _day_texts(early[late])):
        out.append(_f(ctx, "PL029", row, "Start", tid,
                      f"{ctx.where(P, row, 'Start')}: task {tid} starts on {start} but its predecessors "
                      f"and constraints allow {e} at the earliest."))
    return out


def _day_texts(values: pd.Series | pd.Index) -> list[str]:
    """``fmt`` of each value of a datetime column, the dates at midnight (nearly all)
    written by numpy at once; any other value (a time of day, NaT) by ``fmt``."""
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"):
        return [fmt(v) for v in values.tolist()]
    a = values.to_numpy()
    days = a.astype("datetime64[D]")
    out = np.datetime_as_string(days, unit="D").tolist()
    other = np.isnat(a) | (a - days >= np.timedelta64(1, "s"))
    if other.any():
        for k in np.flatnonzero(other).tolist():
            out[k] = fmt(values[k] if isinstance(values, pd.Index) else values.iloc[k])
    return out
