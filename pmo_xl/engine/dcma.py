"""The DCMA 14-point schedule assessment (SPEC §4).

Source: Defense Contract Management Agency, *Earned Value Management System (EVMS)
Program Analysis Pamphlet* (DCMA-EA PAM 200.1, 2012), section 4 "14-Point Assessment"
(first published in the 2009 "DCMA 14 Point Assessment Metrics" memo).

Population: the *incomplete* detail tasks of the plan — Type Task or Milestone (summary
rows are not schedule activities), not Cancelled, not finished (no Actual Finish, Status
not Complete, % Complete below 100 %). Relationship checks (2–4) count the links into those
tasks. A check that cannot apply (no incomplete task, no status date, no baseline finish
before the status date, no critical task…) is *not applicable*: ``passed`` is None and
``detail`` says why — it is never counted as a pass.

=====  ======================  =========================================================
check  name                    value (threshold by default)
=====  ======================  =========================================================
1      Logic                   % incomplete tasks without predecessor or successor (≤ 5 %)
2      Leads                   % relationships with a negative lag (= 0 %)
3      Lags                    % relationships with a positive lag (≤ 5 %)
4      Relationship types      % relationships that are finish-to-start (≥ 90 %)
5      Hard constraints        % incomplete tasks with MSO, MFO, SNLT or FNLT (≤ 5 %)
6      High float              % incomplete tasks with total float > 44 days (≤ 5 %)
7      Negative float          % incomplete tasks with total float < 0 (= 0 %)
8      High duration           % incomplete tasks with duration > 44 days (≤ 5 %)
9      Invalid dates           number of incomplete tasks with a forecast date before the
                               status date and no actual, or an actual after it (= 0)
10     Resources               % incomplete tasks (duration > 0) with no Owner and no
                               budget line (= 0 %)
11     Missed tasks            % tasks with baseline finish ≤ status date not finished by
                               their baseline finish (≤ 5 %)
12     Critical path test      delaying a critical task by N days moves the forecast
                               finish by N days (N = 600 as in the pamphlet)
13     CPLI                    (critical path length + project total float) / critical
                               path length (≥ 0.95)
14     BEI                     tasks completed / tasks with baseline finish ≤ status
                               date (≥ 0.95)
=====  ======================  =========================================================

For check 1, the project's start milestone (a milestone without predecessors at the
project start) and finish milestone (a milestone without successors at the forecast
finish) are excluded, as the pamphlet's tools do: every network has one start and one end.
All durations and floats are in working days of the project calendar.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..schema import HARD_CONSTRAINTS
from .cpm import _values as _column_values
from .cpm import collector_paused
from .links import _parse_text, parse_predecessors

__all__ = ["DcmaCheck", "DcmaThresholds", "DCMA_CHECKS", "assess"]


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
    # The checks read plain numpy arrays and lists taken out of the frame once (see
    # _Plan): on a 200-task plan, pandas' fixed cost per operation (a boolean index, a
    # Series, an isin) was most of the time.
    p = _Plan(plan)
    status = pd.Timestamp(status_date) if status_date else None
    links = _links(p)
    inc = p.inc
    inc_ids = p.ids[inc]
    constraint = p.values("Constraint")[inc].tolist()
    state = {s.id: s for s in cpm.tasks} if cpm is not None else {}  # the CPM's tasks by ID, for checks 6, 7, 12
    out = [
        _logic(p, t, links),
        *_relationships(p, t, links),
        _share(5, t, inc_ids, np.array([c in HARD_CONSTRAINTS for c in constraint], dtype=bool),
               t.hard_constraints_max, "with a hard constraint"),
        *_floats(inc_ids, t, cpm, state),
        _share(8, t, inc_ids, p.compare("Duration", ">", t.high_duration_days)[inc], t.high_duration_max,
               f"longer than {t.high_duration_days} working days"),
        _invalid_dates(p, t, status),
        _resources(p, t, budget),
        _missed(p, t, status),
        _critical_path_test(p, t, cpm, state),
        _cpli(t, cpm, planned_finish, calendar),
        _bei(p, t, status),
    ]
    return sorted(out, key=lambda c: c.check)


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
}


class _Plan:
    """The rows the checks look at — tasks with an ID, the first row of a repeated ID —
    as arrays, in plan order (``_prepare`` of the pandas version, column by column).

    ``ids`` (int64), ``typ`` (Type, empty = Task), ``work`` (Task/Milestone not
    Cancelled), ``finished`` (Actual Finish, Status Complete or 100 %), ``inc`` (work not
    finished): boolean arrays over those rows. Other columns on demand, cached.
    """

    def __init__(self, plan: pd.DataFrame) -> None:
        self.frame = plan
        self._cache: dict[str, np.ndarray] = {}
        self._columns: dict[str, pd.Series] = {}
        self._arrays: dict[str, Any] = {}
        raw = self.array("ID")
        if raw.dtype.kind == "f":  # numpy for the reader's float IDs
            pos = np.flatnonzero(~np.isnan(raw))
            _, first = np.unique(raw[pos], return_index=True)  # first occurrences
            if len(first) < len(pos):
                pos = pos[np.sort(first)]
            ids = raw[pos].astype("int64")
        else:  # any other column: pandas' notna / duplicated / astype, as they were
            id_col = self.series("ID")
            pos = np.flatnonzero(id_col.notna().to_numpy())
            kept = id_col.iloc[pos]
            pos = pos[~kept.duplicated().to_numpy()]
            ids = id_col.iloc[pos].astype("int64").to_numpy()
        self.pos = pos
        self.ids = ids
        self.id_list: list[int] = ids.tolist()
        self.id_set = set(self.id_list)
        self.typ = _filled(self.values("Type"), self.missing("Type"), "Task")
        status = _filled(self.values("Status"), self.missing("Status"), "")
        self.finished = ~self.missing("Actual Finish") | (status == "Complete") | self._pct_done()
        self.work = ((self.typ == "Task") | (self.typ == "Milestone")) & (status != "Cancelled")
        self.inc = self.work & ~self.finished

    def series(self, name: str) -> pd.Series:
        """The frame's column (taken once: each ``frame[name]`` makes a new Series)."""
        out = self._columns.get(name)
        if out is None:
            out = self._columns[name] = self.frame[name]
        return out

    def array(self, name: str) -> Any:
        """``series(name).to_numpy()`` for a numpy-typed column (the frame's own array,
        without a Series: ~1 µs instead of ~15), else the Series' ``to_numpy()``."""
        out = self._arrays.get(name)
        if out is None:
            values = _column_values(self.frame, name)
            if values is None or not isinstance(values.dtype, np.dtype):
                values = self.series(name).to_numpy()
            out = self._arrays[name] = np.asarray(values)
        return out

    def values(self, name: str) -> np.ndarray:
        """The column's values of the rows (a numpy array; text as objects)."""
        out = self._cache.get(name)
        if out is None:
            out = self._cache[name] = self.array(name)[self.pos]
        return out

    def missing(self, name: str) -> np.ndarray:
        key = name + "\0na"
        out = self._cache.get(key)
        if out is None:
            values = self.values(name)
            kind = values.dtype.kind  # (numpy's own test for numbers and dates: pd.isna's, without its dispatch)
            out = self._cache[key] = np.isnan(values) if kind == "f" else np.isnat(values) if kind == "M" else np.asarray(pd.isna(values), dtype=bool)
        return out

    def _fast(self, name: str) -> bool:
        """A plain numpy number or naive datetime column (compared by numpy)."""
        values = _column_values(self.frame, name)
        dtype = values.dtype if values is not None else self.series(name).dtype
        return isinstance(dtype, np.dtype) and dtype.kind in "fiuM"

    def _pct_done(self) -> np.ndarray:
        if self._fast("% Complete"):
            return self.values("% Complete") >= 1  # NaN compares False, as fillna(0) does
        return (self.series("% Complete").iloc[self.pos].fillna(0) >= 1).to_numpy(dtype=bool)

    def compare(self, name: str, op: str, other: Any) -> np.ndarray:
        """``column <op> other`` (a scalar, or another column's name) over the rows; an
        empty cell compares False. Not a plain numpy column: pandas compares."""
        other_col = isinstance(other, str)
        if self._fast(name) and (not other_col or self._fast(other)):
            b = self.values(other) if other_col else other
            if isinstance(b, pd.Timestamp):
                b = b.to_datetime64()
            return _OPS[op](self.values(name), b)
        a = self.series(name).iloc[self.pos]
        b = self.series(other).iloc[self.pos] if other_col else other
        return np.asarray(_OPS[op](a, b).to_numpy(), dtype=bool)


def _filled(values: np.ndarray, missing: np.ndarray, fill: str) -> np.ndarray:
    """``fillna(fill)`` of a column's values, as objects."""
    out = values.astype(object)  # a copy
    out[missing] = fill
    return out


def _prepare(plan: pd.DataFrame) -> pd.DataFrame:
    """The pandas form of :class:`_Plan` (a frame with ``_work``, ``_finished``,
    ``_incomplete``, ``_type``): the reference the fast path is tested against."""
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


@dataclass
class _Links:
    """One entry per parsed link: succ, pred, type, lag (malformed parts are PL004's)."""

    succ: list[int]
    pred: list[int]
    type: list[str]
    lag: list[int]


def _links(p: _Plan) -> _Links:
    succ: list[int] = []
    pred: list[int] = []
    kind: list[str] = []
    lag: list[int] = []
    for tid, text in zip(p.id_list, p.values("Predecessors").tolist()):
        if type(text) is str:  # parse_predecessors' own cache, without its list copies
            got = _parse_text(text)[0]
        elif text is None or (isinstance(text, float) and text != text):
            continue
        else:
            got = parse_predecessors(text)[0]
        for link in got:
            succ.append(tid)
            pred.append(link.pred)
            kind.append(link.type)
            lag.append(link.lag)
    return _Links(succ, pred, kind, lag)


def _share(check: int, t: DcmaThresholds, ids: np.ndarray, flagged: np.ndarray, limit: float, what: str) -> DcmaCheck:
    if not len(ids):
        return _na(check, t, "no incomplete task")
    n = int(np.count_nonzero(flagged))
    value = _pct(n, len(ids))
    detail = f"{n} of {len(ids)} incomplete tasks {what}"
    hit = ids[flagged].tolist()
    if n:
        detail += f": {_ids(hit)}"
    return _result(check, t, value, value <= limit + 1e-9, detail, hit)


def _logic(p: _Plan, t: DcmaThresholds, links: _Links) -> DcmaCheck:
    inc = p.inc
    inc_ids = p.ids[inc]
    if not len(inc_ids):
        return _na(1, t, "no incomplete task")
    known = p.id_set
    succs = set()
    preds = set()
    for s, q in zip(links.succ, links.pred):
        if q in known and q != s:
            succs.add(s)
            preds.add(q)
    inc_list = inc_ids.tolist()
    has_pred = np.array([i in succs for i in inc_list], dtype=bool)
    has_succ = np.array([i in preds for i in inc_list], dtype=bool)
    # summaries pass their links on to their children (SPEC §3): a child of a linked
    # summary has that logic too
    has_pred |= _inherited(p, succs)
    has_succ |= _inherited(p, preds)
    excepted: list[int] = []
    mile = p.typ[inc] == "Milestone"
    starts = np.flatnonzero(mile & ~has_pred & has_succ)
    ends = np.flatnonzero(mile & ~has_succ & has_pred)
    if len(starts):
        excepted.append(int(inc_ids[starts[_order_by(p, "Start", inc, starts)[0]]]))
    if len(ends):
        excepted.append(int(inc_ids[ends[_order_by(p, "Finish", inc, ends)[-1]]]))
    flagged = ~has_pred | ~has_succ
    for tid in excepted:
        flagged &= inc_ids != tid
    n = int(np.count_nonzero(flagged))
    value = _pct(n, len(inc_ids))
    detail = f"{n} of {len(inc_ids)} incomplete tasks lack a predecessor or a successor"
    if n:
        no_p = inc_ids[flagged & ~has_pred].tolist()
        no_s = inc_ids[flagged & ~has_succ].tolist()
        parts = []
        if len(no_p):
            parts.append(f"no predecessor: {_ids(no_p)}")
        if len(no_s):
            parts.append(f"no successor: {_ids(no_s)}")
        detail += " (" + "; ".join(parts) + ")"
    if excepted:
        detail += f"; start/finish milestones excepted: {_ids(excepted)}"
    return _result(1, t, value, value <= t.logic_max + 1e-9, detail, inc_ids[flagged].tolist())


def _order_by(p: _Plan, name: str, rows: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Positions in ``which`` (indices into the rows selected by ``rows``) in the order
    of ``DataFrame.sort_values(name)``: numpy's default (quick)sort of the dates, empty
    cells last — the very sort pandas runs (``nargsort``)."""
    values = p.values(name)[rows][which]
    if values.dtype.kind != "M":  # not a plain date column: let pandas sort it
        series = p.series(name).iloc[p.pos[rows][which]].reset_index(drop=True)
        return series.sort_values().index.to_numpy()
    nat = np.isnat(values)
    idx = np.arange(len(values))
    return np.concatenate([idx[~nat][values[~nat].argsort(kind="quicksort")], idx[nat]])


def _inherited(p: _Plan, linked: set[int]) -> np.ndarray:
    """:func:`_inherits` on the arrays: True for incomplete tasks under a linked Summary."""
    summary = p.typ == "Summary"
    if not summary.any():
        return np.zeros(int(np.count_nonzero(p.inc)), dtype=bool)
    wbs_missing = p.missing("WBS")
    wbs = p.values("WBS")
    codes = {str(w) for w, tid, s, na in zip(wbs.tolist(), p.id_list, summary.tolist(), wbs_missing.tolist())
             if s and not na and tid in linked}
    if not codes:
        return np.zeros(int(np.count_nonzero(p.inc)), dtype=bool)
    inc = p.inc
    words = ["" if na else str(w) for w, na in zip(wbs[inc].tolist(), wbs_missing[inc].tolist())]
    return np.array(_under(words, codes), dtype=bool)


def _under(words: list[str], codes: set[str]) -> list[bool]:
    # WBS w is under code c when it starts with c + ".": c is w cut at one of its dots
    return [any(w[:i] in codes for i, ch in enumerate(w) if ch == ".") for w in words]


def _inherits(p: pd.DataFrame, inc: pd.DataFrame, linked: set[int]) -> pd.Series:
    """True for tasks under a Summary that is in ``linked`` (by WBS prefix)."""
    summaries = p[(p["_type"] == "Summary") & p["ID"].isin(list(linked)) & p["WBS"].notna()]
    if summaries.empty:
        return pd.Series(False, index=inc.index)
    codes = set(summaries["WBS"].astype(str))
    under = _under(inc["WBS"].fillna("").astype(str).tolist(), codes)
    return pd.Series(under, index=inc.index, dtype=bool)


def _relationships(p: _Plan, t: DcmaThresholds, links: _Links) -> list[DcmaCheck]:
    inc_set = set(p.ids[p.inc].tolist())
    known = p.id_set
    keep = [s in inc_set and q in known for s, q in zip(links.succ, links.pred)]
    succ = [v for v, k in zip(links.succ, keep) if k]
    pred = [v for v, k in zip(links.pred, keep) if k]
    kind = [v for v, k in zip(links.type, keep) if k]
    lag = [v for v, k in zip(links.lag, keep) if k]
    if not succ:
        why = "no relationship into an incomplete task"
        return [_na(2, t, why), _na(3, t, why), _na(4, t, why)]
    n = len(succ)
    out = []
    for check, mask, limit, what in (
        (2, [x < 0 for x in lag], t.leads_max, "with a lead"),
        (3, [x > 0 for x in lag], t.lags_max, "with a lag"),
    ):
        k = sum(mask)
        value = _pct(k, n)
        detail = f"{k} of {n} relationships {what}"
        if k:
            pairs = [(a, b) for a, b, m in zip(pred, succ, mask) if m][:10]
            detail += ": " + ", ".join(f"{a}→{b}" for a, b in pairs)
        out.append(_result(check, t, value, value <= limit + 1e-9, detail,
                           sorted({b for b, m in zip(succ, mask) if m})))
    counts = {k: kind.count(k) for k in ("FS", "SS", "FF", "SF")}
    fs = counts["FS"]
    value = _pct(fs, n)
    mix = ", ".join(f"{k} {counts[k]}" for k in ("FS", "SS", "FF", "SF") if counts[k])
    out.append(_result(4, t, value, value >= t.fs_min - 1e-9, f"{fs} of {n} relationships are FS ({mix})",
                       sorted({b for b, k in zip(succ, kind) if k != "FS"})))
    return out


def _floats(inc_ids: np.ndarray, t: DcmaThresholds, cpm: Any, state: dict[int, Any]) -> list[DcmaCheck]:
    if cpm is None:
        why = "no schedule (no calendar or no task)"
        return [_na(6, t, why), _na(7, t, why)]
    if not len(inc_ids):
        return [_na(6, t, "no incomplete task"), _na(7, t, "no incomplete task")]
    pairs = [(i, f) for i in inc_ids.tolist() if i in state and (f := state[i].total_float) is not None and f == f]
    ids = np.array([i for i, _f in pairs], dtype=np.int64)
    f = np.array([x for _i, x in pairs], dtype=float)
    return [
        _share(6, t, ids, f > t.high_float_days, t.high_float_max, f"with total float over {t.high_float_days} working days"),
        _share(7, t, ids, f < 0, t.negative_float_max, "with negative total float"),
    ]


def _invalid_dates(p: _Plan, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(9, t, "no status date")
    inc, work = p.inc, p.work
    forecast = inc & (
        (p.missing("Actual Start") & p.compare("Start", "<", status))
        | (p.missing("Actual Finish") & p.compare("Finish", "<", status))
    )
    future = work & (p.compare("Actual Start", ">", status) | p.compare("Actual Finish", ">", status))
    flagged = sorted(set(p.ids[forecast].tolist()) | set(p.ids[future].tolist()))
    n = len(flagged)
    detail = (f"{int(np.count_nonzero(forecast))} tasks with a forecast date before the status date "
              f"and no actual, {int(np.count_nonzero(future))} with an actual date after it")
    if n:
        detail += f": {_ids(flagged)}"
    return _result(9, t, n, n <= t.invalid_dates_max, detail, flagged)


def _resources(p: _Plan, t: DcmaThresholds, budget: pd.DataFrame | None) -> DcmaCheck:
    pop = p.inc & p.compare("Duration", ">", 0)  # an empty Duration is 0: not in it
    n_pop = int(np.count_nonzero(pop))
    if not n_pop:
        return _na(10, t, "no incomplete task with a duration")
    budgeted = set() if budget is None or not len(budget.index) or not len(budget.columns) else _budget_ids(budget, "Task ID")
    ids = p.ids[pop]
    owner_missing = p.missing("Owner")[pop]
    flagged = owner_missing & np.array([i not in budgeted for i in ids.tolist()], dtype=bool)
    n = int(np.count_nonzero(flagged))
    value = _pct(n, n_pop)
    detail = f"{n} of {n_pop} incomplete tasks have no owner and no budget"
    hit = ids[flagged].tolist()
    if n:
        detail += f": {_ids(hit)}"
    return _result(10, t, value, value <= t.resources_max + 1e-9, detail, hit)


def _budget_ids(budget: pd.DataFrame, name: str) -> set[int]:
    """``set(budget[name].dropna().astype("int64"))`` (numpy for a float column, read
    off the frame without a Series)."""
    values = _column_values(budget, name)
    if values is not None and values.dtype == np.float64:
        return set(values[~np.isnan(values)].astype("int64").tolist())
    column = budget[name]
    return set(column.dropna().astype("int64").tolist())


def _missed(p: _Plan, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(11, t, "no status date")
    due = p.work & ~p.missing("Baseline Finish") & p.compare("Baseline Finish", "<=", status)
    n_due = int(np.count_nonzero(due))
    if not n_due:
        return _na(11, t, "no task has a baseline finish on or before the status date")
    on_time = ~p.missing("Actual Finish") & p.compare("Actual Finish", "<=", "Baseline Finish")
    missed = due & ~on_time
    n = int(np.count_nonzero(missed))
    value = _pct(n, n_due)
    detail = f"{n} of {n_due} tasks due by the status date were not finished by their baseline finish"
    hit = p.ids[missed].tolist()
    if n:
        detail += f": {_ids(hit)}"
    return _result(11, t, value, value <= t.missed_max + 1e-9, detail, hit)


def _critical_path_test(p: _Plan, t: DcmaThresholds, cpm: Any, state: dict[int, Any]) -> DcmaCheck:
    if cpm is None:
        return _na(12, t, "no schedule (no calendar or no task)")
    if cpm.cycles:
        return _na(12, t, "the plan has dependency cycles (PL007)")
    incomplete = set(p.ids[p.inc].tolist())
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


def _bei(p: _Plan, t: DcmaThresholds, status: pd.Timestamp | None) -> DcmaCheck:
    if status is None:
        return _na(14, t, "no status date")
    work = p.work
    due = work & ~p.missing("Baseline Finish") & p.compare("Baseline Finish", "<=", status)
    if not due.any():
        return _na(14, t, "no task has a baseline finish on or before the status date")
    done = work & p.finished & (p.missing("Actual Finish") | p.compare("Actual Finish", "<=", status))
    n_done, n_due = int(np.count_nonzero(done)), int(np.count_nonzero(due))
    value = n_done / n_due
    detail = f"{n_done} tasks completed / {n_due} tasks with baseline finish ≤ {status.date().isoformat()}"
    return _result(14, t, value, value >= t.bei_min - 1e-9, detail)
