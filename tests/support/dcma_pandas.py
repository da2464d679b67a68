"""The DCMA checks as they were written with pandas operations (pmo_xl.engine.dcma before
its numpy fast path): the reference ``tests/test_dcma_fast.py`` compares against.
Nothing but the imports changed."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from pmo_xl.schema import HARD_CONSTRAINTS
from pmo_xl.engine.cpm import collector_paused
from pmo_xl.engine.links import parse_predecessors



@dataclass(frozen=True)
class DcmaThresholds:
    """Pass limits of the 14 checks (percentages are 0..100). Defaults: the pamphlet's."""

    logic_max: float = 5.0
    leads_max: float = 0.0
    lags_max: float = 5.0
    fs_min: float = 90.0
    hard_constraints_max: float = 5.0
    high_float_days: int = 44
    high_float_max: float = 5.0
    negative_float_max: float = 0.0
    high_duration_days: int = 44
    high_duration_max: float = 5.0
    invalid_dates_max: int = 0
    resources_max: float = 0.0
    missed_max: float = 5.0
    critical_path_delay: int = 600
    cpli_min: float = 0.95
    bei_min: float = 0.95


@dataclass
class DcmaCheck:
    """One check's result. ``passed`` None = not applicable (``detail`` says why)."""

    check: int
    name: str
    value: float | None
    threshold: str
    passed: bool | None
    detail: str = ""
    tasks: list[int] = field(default_factory=list)  # the task IDs the check flags

    def to_dict(self) -> dict[str, Any]:
        """SPEC §8: ``{check, name, value, threshold, passed}``."""
        return {"check": self.check, "name": self.name, "value": self.value,
                "threshold": self.threshold, "passed": self.passed}


@dataclass(frozen=True)
class _Meta:
    check: int
    name: str
    threshold: Callable[[DcmaThresholds], str]
    measures: str


def _pct_le(attr: str) -> Callable[[DcmaThresholds], str]:
    return lambda t: f"≤ {_n(getattr(t, attr))} %" if getattr(t, attr) else "0 %"


DCMA_CHECKS: tuple[_Meta, ...] = (
    _Meta(1, "Logic", _pct_le("logic_max"), "% of incomplete tasks without a predecessor or a successor (the project's start and finish milestones excepted)"),
    _Meta(2, "Leads", _pct_le("leads_max"), "% of relationships (into incomplete tasks) with a lead (negative lag)"),
    _Meta(3, "Lags", _pct_le("lags_max"), "% of relationships with a positive lag"),
    _Meta(4, "Relationship types", lambda t: f"≥ {_n(t.fs_min)} % FS", "% of relationships that are finish-to-start"),
    _Meta(5, "Hard constraints", _pct_le("hard_constraints_max"), "% of incomplete tasks with MSO, MFO, SNLT or FNLT"),
    _Meta(6, "High float", lambda t: f"≤ {_n(t.high_float_max)} % over {t.high_float_days} d", "% of incomplete tasks with total float over 44 working days"),
    _Meta(7, "Negative float", _pct_le("negative_float_max"), "% of incomplete tasks with negative total float"),
    _Meta(8, "High duration", lambda t: f"≤ {_n(t.high_duration_max)} % over {t.high_duration_days} d", "% of incomplete tasks with a duration over 44 working days"),
    _Meta(9, "Invalid dates", lambda t: f"≤ {t.invalid_dates_max}" if t.invalid_dates_max else "0", "incomplete tasks with a forecast Start/Finish before the status date and no actual, or an actual after it"),
    _Meta(10, "Resources", _pct_le("resources_max"), "% of incomplete tasks (duration > 0) with no Owner and no budget line"),
    _Meta(11, "Missed tasks", _pct_le("missed_max"), "% of tasks due by the status date (baseline finish) not finished by their baseline finish"),
    _Meta(12, "Critical path test", lambda t: f"slip = {t.critical_path_delay} d", "delay a critical task by N working days: the forecast finish must move by N"),
    _Meta(13, "CPLI", lambda t: f"≥ {_n(t.cpli_min)}", "(critical path length + project total float to PlannedFinish) / critical path length"),
    _Meta(14, "BEI", lambda t: f"≥ {_n(t.bei_min)}", "tasks completed / tasks with baseline finish ≤ status date"),
)
_META = {m.check: m for m in DCMA_CHECKS}


def _n(x: float) -> str:
    return f"{x:g}"


def _ids(values: Any, limit: int = 10) -> str:
    ids = [str(int(v)) for v in _plain(values)]
    more = f" … (+{len(ids) - limit})" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _result(check: int, t: DcmaThresholds, value: float | None, passed: bool | None, detail: str,
            tasks: Any = ()) -> DcmaCheck:
    m = _META[check]
    v = None if value is None else round(float(value), 4)
    return DcmaCheck(check, m.name, v, m.threshold(t), passed, detail, [int(x) for x in _plain(tasks)])


def _plain(values: Any) -> Any:
    """A Series or array as a list of Python scalars at once (iterating one boxes each)."""
    return values.tolist() if isinstance(values, (pd.Series, pd.Index, np.ndarray)) else values


def _na(check: int, t: DcmaThresholds, why: str) -> DcmaCheck:
    return _result(check, t, None, None, f"not applicable: {why}")


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole


def assess(
    plan: pd.DataFrame,
    cpm: Any = None,
    *,
    status_date: _dt.date | None = None,
    budget: pd.DataFrame | None = None,
    planned_finish: _dt.date | None = None,
    calendar: Any = None,
    thresholds: DcmaThresholds | None = None,
) -> list[DcmaCheck]:
    """The 14 checks on a typed ``tblPlan`` frame.

    Args:
        plan: tblPlan (dates as datetime64, numbers as float).
        cpm: the :class:`pmo_xl.engine.cpm.ScheduleResult` of the plan (checks 6, 7,
            12, 13 are not applicable without it).
        status_date: the data date (checks 9, 11, 14 need it).
        budget: tblBudget (check 10 counts a task with a budget line as resourced).
        planned_finish: the project's ``PlannedFinish`` (check 13's total float).
        calendar: the project calendar (check 13 counts working days to PlannedFinish).
    """
    with collector_paused():
        return _assess(plan, cpm, status_date, budget, planned_finish, calendar, thresholds or DcmaThresholds())


def _assess(plan: pd.DataFrame, cpm: Any, status_date: _dt.date | None, budget: pd.DataFrame | None,
            planned_finish: _dt.date | None, calendar: Any, t: DcmaThresholds) -> list[DcmaCheck]:
    p = _prepare(plan)
    inc = p[p["_incomplete"]]
    status = pd.Timestamp(status_date) if status_date else None
    links = _links(p)
    out = [
        _logic(p, inc, t, cpm, links),
        *_relationships(p, inc, t, links),
        _share(5, t, inc, inc["Constraint"].isin(list(HARD_CONSTRAINTS)), t.hard_constraints_max,
               "with a hard constraint"),
        *_floats(inc, t, cpm),
        _share(8, t, inc, inc["Duration"] > t.high_duration_days, t.high_duration_max,
               f"longer than {t.high_duration_days} working days"),
        _invalid_dates(p, inc, t, status),
        _resources(inc, t, budget),
        _missed(p, t, status),
        _critical_path_test(p, t, cpm),
        _cpli(t, cpm, planned_finish, calendar),
        _bei(p, t, status),
    ]
    return sorted(out, key=lambda c: c.check)


def _prepare(plan: pd.DataFrame) -> pd.DataFrame:
    p = plan[plan["ID"].notna()].copy()
    p = p[~p["ID"].duplicated()]
    p["ID"] = p["ID"].astype("int64")
    typ = p["Type"].fillna("Task")
    status = p["Status"].fillna("")
    finished = p["Actual Finish"].notna() | (status == "Complete") | (p["% Complete"].fillna(0) >= 1)
    p["_work"] = typ.isin(["Task", "Milestone"]) & (status != "Cancelled")
    p["_finished"] = finished
    p["_incomplete"] = p["_work"] & ~finished
    p["_type"] = typ
    return p


def _links(p: pd.DataFrame) -> pd.DataFrame:
    """One row per parsed link: succ, pred, type, lag (malformed parts are PL004's)."""
    succ: list[int] = []
    pred: list[int] = []
    kind: list[str] = []
    lag: list[int] = []
    for tid, text in zip(p["ID"].tolist(), p["Predecessors"].tolist()):  # by column: one frame built at once
        if text is None or (isinstance(text, float) and text != text):
            continue
        for link in parse_predecessors(text)[0]:
            succ.append(int(tid))
            pred.append(link.pred)
            kind.append(link.type)
            lag.append(link.lag)
    if not succ:
        return pd.DataFrame([], columns=["succ", "pred", "type", "lag"])
    return pd.DataFrame({"succ": succ, "pred": pred, "type": kind, "lag": lag})


def _share(check: int, t: DcmaThresholds, inc: pd.DataFrame, flagged: pd.Series, limit: float, what: str) -> DcmaCheck:
    if inc.empty:
        return _na(check, t, "no incomplete task")
    n = int(flagged.sum())
    value = _pct(n, len(inc))
    detail = f"{n} of {len(inc)} incomplete tasks {what}"
    if n:
        detail += f": {_ids(inc.loc[flagged, 'ID'])}"
    return _result(check, t, value, value <= limit + 1e-9, detail, inc.loc[flagged, "ID"])


def _logic(p: pd.DataFrame, inc: pd.DataFrame, t: DcmaThresholds, cpm: Any, links: pd.DataFrame) -> DcmaCheck:
    if inc.empty:
        return _na(1, t, "no incomplete task")
    # (isin on the arrays themselves: a list of 5,000 boxed IDs costs more than the test)
    links = links[links["pred"].isin(p["ID"].to_numpy()) & (links["pred"] != links["succ"])]
    succs, preds = links["succ"].to_numpy(), links["pred"].to_numpy()
    has_pred = inc["ID"].isin(succs)
    has_succ = inc["ID"].isin(preds)
    # summaries pass their links on to their children (SPEC §3): a child of a linked
    # summary has that logic too
    has_pred |= _inherits(p, inc, set(succs.tolist()))
    has_succ |= _inherits(p, inc, set(preds.tolist()))
    excepted: list[int] = []
    mile = inc["_type"] == "Milestone"
    starts = inc[mile & ~has_pred & has_succ]
    ends = inc[mile & ~has_succ & has_pred]
    if not starts.empty:
        excepted.append(int(starts.sort_values("Start")["ID"].iloc[0]))
    if not ends.empty:
        excepted.append(int(ends.sort_values("Finish")["ID"].iloc[-1]))
    flagged = (~has_pred | ~has_succ) & ~inc["ID"].isin(excepted)
    n = int(flagged.sum())
    value = _pct(n, len(inc))
    detail = f"{n} of {len(inc)} incomplete tasks lack a predecessor or a successor"
    if n:
        no_p = inc.loc[flagged & ~has_pred, "ID"]
        no_s = inc.loc[flagged & ~has_succ, "ID"]
        parts = []
        if len(no_p):
            parts.append(f"no predecessor: {_ids(no_p)}")
        if len(no_s):
            parts.append(f"no successor: {_ids(no_s)}")
        detail += " (" + "; ".join(parts) + ")"
    if excepted:
        detail += f"; start/finish milestones excepted: {_ids(excepted)}"
    return _result(1, t, value, value <= t.logic_max + 1e-9, detail, inc.loc[flagged, "ID"])


def _inherits(p: pd.DataFrame, inc: pd.DataFrame, linked: set[int]) -> pd.Series:
    """True for tasks under a Summary that is in ``linked`` (by WBS prefix)."""
    summaries = p[(p["_type"] == "Summary") & p["ID"].isin(list(linked)) & p["WBS"].notna()]
    if summaries.empty:
        return pd.Series(False, index=inc.index)
    codes = set(summaries["WBS"].astype(str))
    # WBS w is under code c when it starts with c + ".": c is w cut at one of its dots
    under = [any(w[:i] in codes for i, ch in enumerate(w) if ch == ".")
             for w in inc["WBS"].fillna("").astype(str).tolist()]
    return pd.Series(under, index=inc.index, dtype=bool)


def _relationships(p: pd.DataFrame, inc: pd.DataFrame, t: DcmaThresholds, links: pd.DataFrame) -> list[DcmaCheck]:
    links = links[links["succ"].isin(inc["ID"].to_numpy()) & links["pred"].isin(p["ID"].to_numpy())]
    if links.empty:
        why = "no relationship into an incomplete task"
        return [_na(2, t, why), _na(3, t, why), _na(4, t, why)]
    n = len(links)
    out = []
    for check, mask, limit, what in (
        (2, links["lag"] < 0, t.leads_max, "with a lead"),
        (3, links["lag"] > 0, t.lags_max, "with a lag"),
    ):
        k = int(mask.sum())
        value = _pct(k, n)
        detail = f"{k} of {n} relationships {what}"
        if k:
            detail += ": " + ", ".join(f"{a}→{b}" for a, b in zip(links.loc[mask, "pred"][:10], links.loc[mask, "succ"][:10]))
        out.append(_result(check, t, value, value <= limit + 1e-9, detail, sorted(set(links.loc[mask, "succ"]))))
    fs = links["type"] == "FS"
    value = _pct(int(fs.sum()), n)
    counts = links["type"].value_counts()
    mix = ", ".join(f"{k} {int(counts.get(k, 0))}" for k in ("FS", "SS", "FF", "SF") if counts.get(k, 0))
    out.append(_result(4, t, value, value >= t.fs_min - 1e-9, f"{int(fs.sum())} of {n} relationships are FS ({mix})",
                       sorted(set(links.loc[~fs, "succ"]))))
    return out


def _floats(inc: pd.DataFrame, t: DcmaThresholds, cpm: Any) -> list[DcmaCheck]:
    if cpm is None:
        why = "no schedule (no calendar or no task)"
        return [_na(6, t, why), _na(7, t, why)]
    if inc.empty:
        return [_na(6, t, "no incomplete task"), _na(7, t, "no incomplete task")]
    tf = {s.id: s.total_float for s in cpm.tasks}
    floats = inc["ID"].map(tf)
    known = floats.notna()
    sub = inc[known]
    f = floats[known]
    return [
        _share(6, t, sub, f > t.high_float_days, t.high_float_max, f"with total float over {t.high_float_days} working days"),
        _share(7, t, sub, f < 0, t.negative_float_max, "with negative total float"),
    ]


def _invalid_dates(p: pd.DataFrame, inc: pd.DataFrame, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(9, t, "no status date")
    work = p[p["_work"]]
    forecast_start = inc["Actual Start"].isna() & (inc["Start"] < status)
    forecast_finish = inc["Actual Finish"].isna() & (inc["Finish"] < status)
    future = (work["Actual Start"] > status) | (work["Actual Finish"] > status)
    flagged = sorted(set(inc.loc[forecast_start | forecast_finish, "ID"].tolist()) | set(work.loc[future, "ID"].tolist()))
    n = len(flagged)
    detail = (f"{int((forecast_start | forecast_finish).sum())} tasks with a forecast date before the status date "
              f"and no actual, {int(future.sum())} with an actual date after it")
    if n:
        detail += f": {_ids(flagged)}"
    return _result(9, t, n, n <= t.invalid_dates_max, detail, flagged)


def _resources(inc: pd.DataFrame, t: DcmaThresholds, budget: pd.DataFrame | None) -> DcmaCheck:
    pop = inc[inc["Duration"].fillna(0) > 0]
    if pop.empty:
        return _na(10, t, "no incomplete task with a duration")
    budgeted = set() if budget is None or budget.empty else set(budget["Task ID"].dropna().astype("int64"))
    flagged = pop["Owner"].isna() & ~pop["ID"].isin(list(budgeted))
    n = int(flagged.sum())
    value = _pct(n, len(pop))
    detail = f"{n} of {len(pop)} incomplete tasks have no owner and no budget"
    if n:
        detail += f": {_ids(pop.loc[flagged, 'ID'])}"
    return _result(10, t, value, value <= t.resources_max + 1e-9, detail, pop.loc[flagged, "ID"])


def _missed(p: pd.DataFrame, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(11, t, "no status date")
    due = p[p["_work"] & p["Baseline Finish"].notna() & (p["Baseline Finish"] <= status)]
    if due.empty:
        return _na(11, t, "no task has a baseline finish on or before the status date")
    on_time = due["Actual Finish"].notna() & (due["Actual Finish"] <= due["Baseline Finish"])
    missed = ~on_time
    n = int(missed.sum())
    value = _pct(n, len(due))
    detail = f"{n} of {len(due)} tasks due by the status date were not finished by their baseline finish"
    if n:
        detail += f": {_ids(due.loc[missed, 'ID'])}"
    return _result(11, t, value, value <= t.missed_max + 1e-9, detail, due.loc[missed, "ID"])


def _critical_path_test(p: pd.DataFrame, t: DcmaThresholds, cpm: Any) -> DcmaCheck:
    if cpm is None:
        return _na(12, t, "no schedule (no calendar or no task)")
    if cpm.cycles:
        return _na(12, t, "the plan has dependency cycles (PL007)")
    state = {s.id: s for s in cpm.tasks}
    incomplete = set(p.loc[p["_incomplete"], "ID"].tolist())
    candidates = [tid for tid in cpm.critical_path if tid in incomplete and state[tid].status != "summary"]
    if not candidates:
        candidates = sorted(
            (s.id for s in cpm.tasks if s.critical and s.id in incomplete and s.status != "summary"),
            key=lambda i: (state[i].early_start, i),
        )
    if not candidates:
        return _na(12, t, "no incomplete critical task")
    tid = candidates[0]
    n = t.critical_path_delay
    # the finish of the delayed schedule (a ScheduleResult computes only that)
    finish = cpm.delayed_finish(tid, n) if hasattr(cpm, "delayed_finish") else cpm.delay(tid, n).project_finish
    slip = finish - cpm.project_finish
    ok = slip == n
    detail = (f"delaying critical task {tid} by {n} working days moves the forecast finish by {slip}"
              + ("" if ok else " — the critical path is broken (constraints, missing logic or a lead hold the finish)"))
    return _result(12, t, slip, ok, detail, [] if ok else [tid])


def _cpli(t: DcmaThresholds, cpm: Any, planned_finish: _dt.date | None, calendar: Any) -> DcmaCheck:
    """CPLI = (CPL + TF) / CPL; CPL = working days from the status date (or the project
    start) to the forecast finish, TF = working days from the forecast finish to
    PlannedFinish (negative when the forecast is later)."""
    if cpm is None:
        return _na(13, t, "no schedule (no calendar or no task)")
    if planned_finish is None or calendar is None:
        return _na(13, t, "no PlannedFinish to measure the project's total float against")
    start = max(cpm.project_start, cpm.status_day or 0)
    cpl = cpm.project_finish - start
    if cpl <= 0:
        return _na(13, t, "no remaining critical path (the project is complete at the status date)")
    tf = calendar.index_of(planned_finish) - cpm.project_finish
    value = (cpl + tf) / cpl
    detail = (f"critical path length {cpl} working days, total float to PlannedFinish "
              f"{planned_finish.isoformat()} {tf:+d} days")
    return _result(13, t, value, value >= t.cpli_min - 1e-9, detail)


def _bei(p: pd.DataFrame, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(14, t, "no status date")
    work = p[p["_work"]]
    due = work["Baseline Finish"].notna() & (work["Baseline Finish"] <= status)
    if not due.any():
        return _na(14, t, "no task has a baseline finish on or before the status date")
    done = work["_finished"] & (work["Actual Finish"].isna() | (work["Actual Finish"] <= status))
    value = int(done.sum()) / int(due.sum())
    detail = f"{int(done.sum())} tasks completed / {int(due.sum())} tasks with baseline finish ≤ {status.date().isoformat()}"
    return _result(14, t, value, value >= t.bei_min - 1e-9, detail)
