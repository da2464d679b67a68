"""The roll-up's task, progress and project windows and ``DayAxis.W_at`` against the code
they replaced (tests/support/h4_before.py, ``DayAxis.W``) on random plans and budgets:
IDs ascending (the fast paths), unordered, repeated or missing, empty and one-row plans,
dates missing, one budget line per task or several."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from pmo_xl.engine import finance as F
from pmo_xl.engine.calendar import Calendar
from tests.support import h4_before as before

DAY0 = np.datetime64("2025-01-01", "D")
ids_st = st.one_of(
    st.integers(0, 30).map(lambda n: [float(i + 1) for i in range(n)]),  # ascending: the usual plan
    st.lists(st.one_of(st.integers(-3, 12).map(float), st.just(float("nan")), st.just(-0.0)), max_size=14),
)
day_st = st.one_of(st.none(), st.integers(-40, 400))


def _dates(days: list[int | None]) -> np.ndarray:
    return np.array([np.datetime64("NaT") if d is None else DAY0 + d for d in days], dtype="datetime64[ns]")


@st.composite
def plans(draw: st.DrawFn) -> pd.DataFrame:
    ids = draw(ids_st)
    n = len(ids)
    cols = {"ID": np.array(ids, dtype=float)}
    for c in F._PLAN_DATES:
        cols[c] = _dates(draw(st.lists(day_st, min_size=n, max_size=n)))
    cols["% Complete"] = np.array(draw(st.lists(st.one_of(st.just(float("nan")), st.floats(0, 1)), min_size=n,
                                                max_size=n)), dtype=float)
    return pd.DataFrame(cols)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True) if a.dtype.kind in "fc" else (a.astype("i8") == b.astype("i8")).all()


def _windows(plan: pd.DataFrame) -> tuple[F._Tasks, F._Tasks]:
    dates = {c: F._days(plan[c]) for c in F._PLAN_DATES}
    new = F._task_windows(plan, dates)
    old = before.task_windows(plan, {c: F._days(plan[c]) for c in F._PLAN_DATES})
    return new, old


@settings(max_examples=300, deadline=None)
@given(plans(), st.lists(st.one_of(st.integers(-4, 35).map(float), st.just(float("nan"))), max_size=12))
def test_task_windows_and_find(plan: pd.DataFrame, queries: list[float]) -> None:
    new, old = _windows(plan)
    for name in ("keep", "ids", "start", "end", "pct", "actual_start", "actual_finish", "planned_start"):
        _same(getattr(new, name), getattr(old, name))
    q = np.array(queries, dtype=float)
    assert np.array_equal(new.find(q), before.find(old, q))
    assert new.find(q).dtype == before.find(old, q).dtype


@settings(max_examples=300, deadline=None)
@given(plans(), st.data())
def test_progress_windows(plan: pd.DataFrame, data: st.DataObject) -> None:
    new, old = _windows(plan)
    known_ids = [v for v in plan["ID"].tolist() if v == v]
    one_each = data.draw(st.booleans())
    if one_each:  # one line per task, in ID order (the fast path)
        task_ids = sorted(set(known_ids))
    else:
        task_ids = data.draw(st.lists(st.one_of(st.sampled_from(known_ids or [1.0]), st.just(float("nan")),
                                                st.integers(50, 52).map(float)), max_size=12))
    m = len(task_ids)
    budget = pd.DataFrame({
        "Task ID": np.array(task_ids, dtype=float),
        "Amount": np.array(data.draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(-0.0), st.just(float("nan"))),
                                              min_size=m, max_size=m)), dtype=float),
        "Period": _dates(data.draw(st.lists(st.one_of(st.none(), st.none(), st.integers(0, 300)), min_size=m, max_size=m))),
        "Category": pd.Series(["Labour"] * m, dtype=object),
    })
    window = (DAY0, DAY0 + 365)
    lines = F._budget_windows(budget, new, window, [])
    old_lines = F._budget_windows(budget, old, window, [])  # (find on unordered IDs: the argsort way)
    for name in ("start", "end", "known", "at", "is_task"):
        _same(getattr(lines, name), getattr(old_lines, name))
    status, fallback = DAY0 + data.draw(st.integers(-10, 400)), DAY0 + 3
    got = F._progress_windows(lines, new, status, fallback)
    want = before.progress_windows(old_lines, old, status, fallback)
    for a, b in zip(got, want):
        _same(a, b)
        if a.dtype.kind == "f":  # (-0.0 kept)
            assert np.signbit(a).tolist() == np.signbit(b).tolist()


@settings(max_examples=300, deadline=None)
@given(plans(), st.one_of(st.none(), st.integers(-50, 500)), st.one_of(st.none(), st.integers(-50, 500)))
def test_project_window(plan: pd.DataFrame, start: int | None, finish: int | None) -> None:
    setting = {"StartDate": None if start is None else dt.date(2025, 1, 1) + dt.timedelta(days=start),
               "PlannedFinish": None if finish is None else dt.date(2025, 1, 1) + dt.timedelta(days=finish)}
    dates = {c: F._days(plan[c]) for c in F._PLAN_DATES}
    got = F._project_window(plan, setting, dates)
    want = before.project_window(plan, setting, dates)
    assert got == want or (repr(got) == repr(want))
    assert [type(v) for v in got] == [type(v) for v in want]


@settings(max_examples=300, deadline=None)
@given(st.integers(-5, 60), st.integers(0, 90), st.one_of(st.none(), st.integers(-200, 200)),
       st.sampled_from(["1111100", "0000011", "1000000"]))
def test_w_at(lo: int, length: int, offset: int | None, week: str) -> None:
    axis = F.DayAxis.build(Calendar(dt.date(2025, 1, 1), workweek=week), DAY0 + lo, DAY0 + lo + length)
    day = np.datetime64("NaT", "D") if offset is None else DAY0 + offset
    assert axis.W_at(day) == int(axis.W(np.array([day]))[0])
    assert type(axis.W_at(day)) is int
