"""tblRollupTask built when read with its sums per task ID (finance._task_rollup): the
cheap guard (``_task_rollup_may_fail``) says "may fail" whenever the exact one on the
sums (``_task_table_fails``) does, and an Arrow text column kept for later
(``_kept_texts``) gives the list ``_text_list`` gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine import finance as F
from pmo_xl.engine.calendar import Calendar
from support.frames import frame

D = dt.date
MON = D(2026, 3, 2)

amounts = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 1e300, -1e306, 1.7e308, np.inf, -np.inf, np.nan]))
ids = st.one_of(st.integers(1, 6).map(float), st.sampled_from([np.nan, 2.0**63, -(2.0**64), 1e20, 3.5]))
codes = st.one_of(st.sampled_from(["1", "1.1", "1.2", "2", "", "1.²", "١", "1" * 700, "1.1" * 300]), st.text(max_size=3))


def lines_and_actuals(data) -> tuple:
    n, m = data.draw(st.integers(0, 6)), data.draw(st.integers(0, 8))
    task = np.array(data.draw(st.lists(ids, min_size=n, max_size=n)), dtype=float)
    lines = F._Budget(np.array(data.draw(st.lists(amounts, min_size=n, max_size=n)), dtype=float), task,
                      np.array(["Labour"] * n, dtype=object), np.full(n, np.datetime64("2026-03-02")),
                      np.full(n, np.datetime64("2026-03-02")), np.zeros(n, dtype=bool), np.full(n, -1))
    line_pv = np.array(data.draw(st.lists(amounts, min_size=n, max_size=n)), dtype=float)
    line_ev = np.array(data.draw(st.lists(amounts, min_size=n, max_size=n)), dtype=float)
    counted = F.Actuals(np.ones(m, dtype=bool), np.full(m, np.datetime64("2026-03-02")),
                        np.array(data.draw(st.lists(ids, min_size=m, max_size=m)), dtype=float),
                        np.zeros(m, dtype=np.intp), np.zeros(m, dtype=np.intp),
                        np.array(data.draw(st.lists(amounts, min_size=m, max_size=m)), dtype=float),
                        np.array(data.draw(st.lists(amounts, min_size=m, max_size=m)), dtype=float),
                        np.array(["Ann"], dtype=object), np.array(["Labour"], dtype=object))
    return lines, line_pv, line_ev, counted


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_the_cheap_guard_covers_the_exact_one(data) -> None:
    lines, line_pv, line_ev, counted = lines_and_actuals(data)
    plan_ids = data.draw(st.lists(ids, max_size=4))
    wbs = data.draw(st.lists(codes, min_size=len(plan_ids), max_size=len(plan_ids)))
    plan = frame("tblPlan", [{"WBS": w, "Task": "t"} for w in wbs])
    plan["ID"] = np.array(plan_ids, dtype=float)
    tasks = F._task_windows(plan)
    wbs_rows = F._text_list(plan["WBS"])
    with np.errstate(all="ignore"):
        dkeys, dmat = F._task_sums(lines, line_pv, line_ev, counted)
        exact = F._task_table_fails(wbs_rows, tasks, dkeys, dmat)
        cheap = F._task_rollup_may_fail(wbs_rows, tasks, lines, line_pv, line_ev, counted)
    assert cheap or not exact
    if not cheap:  # then the later build gives what building it from the sums gives
        with np.errstate(all="ignore"):
            want = F._task_table(wbs_rows, F._text_list(plan["Task"]), tasks, dkeys, dmat)
            got = F._task_rollup(wbs_rows, F._kept_texts(plan["Task"]), tasks, lines, line_pv, line_ev, counted)
        pd.testing.assert_frame_equal(got, want)


texts = st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["", " a ", "\u00a0b\u2003", "x"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=8), st.sampled_from(["str", "string", "object", "big"]))
def test_kept_texts_are_the_text_list(values, dtype) -> None:
    if dtype == "big":  # (_text_list strips each distinct value once from 2,000 rows on)
        values, dtype = (values or ["a"]) * (2_000 // max(len(values), 1) + 1), "str"
    column = pd.Series(pd.array(values, dtype=dtype), index=range(5, 5 + len(values)))
    kept = F._kept_texts(column)
    want = F._text_list(column)
    column.iloc[:] = "changed"  # (a write into the column after the roll-up)
    assert F._texts_of(kept) == want


def test_usual_roll_up_builds_by_task_when_read() -> None:
    plan = frame("tblPlan", [
        {"ID": 1, "WBS": "1", "Task": "Phase", "Start": MON, "Finish": D(2026, 3, 20)},
        {"ID": 2, "WBS": "1.1", "Task": "Build", "Start": MON, "Finish": D(2026, 3, 13), "% Complete": 0.5},
    ])
    budget = frame("tblBudget", [{"Task ID": 2, "Amount": 1000.0}, {"Amount": 50.0}])
    tables = {"tblPlan": plan, "tblBudget": budget}
    r = F.rollup(tables, {"StartDate": MON, "StatusDate": D(2026, 3, 10)}, Calendar(MON))
    assert type(r.__dict__["by_task"]) is F._Later and r.__dict__["by_task"].fn is F._task_rollup
    plan.loc[6, "Task"] = "changed"
    assert r.by_task["Task"].tolist() == ["Phase", "Build", "(project level)"]


@pytest.mark.parametrize("amount, how", [(1e295, F._task_rollup), (5e306, F._task_table), (3e307, None)])
def test_huge_amounts_take_the_exact_check(amount, how) -> None:
    plan = frame("tblPlan", [{"ID": 1, "WBS": "1", "Task": "Build", "Start": MON, "Finish": D(2026, 3, 13)}])
    budget = frame("tblBudget", [{"Task ID": 1, "Amount": amount}])
    r = F.rollup({"tblPlan": plan, "tblBudget": budget}, {"StartDate": MON, "StatusDate": D(2026, 3, 10)},
                 Calendar(MON))
    v = r.__dict__["by_task"]
    # lazy by the cheap guard; lazy by the exact one on the sums; or built in rollup()
    assert (v.fn if type(v) is F._Later else None) is how
    assert r.by_task["Budget"].tolist() == [amount]
