"""RollupResult tables built when first read (finance._Later): the same frames as built
at once, whatever the caller does to its tables afterwards; failures and warnings of
the builders still come from rollup() itself."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pmo_xl.engine import finance as F
from pmo_xl.engine.calendar import Calendar
from support.frames import frame

D = dt.date
MON = D(2026, 3, 2)
TABLE_FIELDS = ("by_task", "by_category", "by_month", "by_person", "reserves", "after_status_date", "unrated_people")
DEFERRED = ("by_task", "by_person", "reserves", "after_status_date", "unrated_people")


def project(wbs2: str = "1.1", budget_task: float = 2) -> dict[str, pd.DataFrame]:
    plan = frame("tblPlan", [
        {"ID": 1, "WBS": "1", "Task": "Phase", "Type": "Summary", "Start": MON, "Finish": D(2026, 3, 20)},
        {"ID": 2, "WBS": wbs2, "Task": "Build", "Type": "Task", "Start": MON, "Finish": D(2026, 3, 13), "% Complete": 0.5},
        {"ID": 3, "WBS": "1.2", "Task": "Test", "Type": "Task", "Start": D(2026, 3, 16), "Finish": D(2026, 3, 20)},
    ])
    budget = frame("tblBudget", [
        {"Task ID": budget_task, "Category": "Labour", "Amount": 1000.0, "Source": "CR-001"},
        {"Task ID": 3, "Category": "Hardware", "Amount": 500.0},
        {"Category": "Travel", "Period": D(2026, 3, 1), "Amount": 200.0},
    ])
    resources = frame("tblResources", [{"Person": "Ann", "Role": "Dev", "Rate": 50.0}, {"Person": "Bob", "Role": "QA"}])
    timesheet = frame("tblTimesheet", [
        {"Date": D(2026, 3, 3), "Person": "Ann", "Task ID": 2, "Hours": 8.0},
        {"Date": D(2026, 3, 4), "Person": "Bob", "Task ID": 2, "Hours": 4.0},
        {"Date": D(2026, 3, 5), "Person": "Cy", "Task ID": 9, "Hours": 2.0},
        {"Date": D(2026, 3, 30), "Person": "Ann", "Task ID": 3, "Hours": 6.0},
        {"Person": "Ann", "Task ID": 3, "Hours": 1.0},
    ])
    costs = frame("tblCosts", [
        {"Date": D(2026, 3, 6), "Category": "Travel", "Amount": 120.0},
        {"Date": D(2026, 4, 6), "Category": "Hardware", "Task ID": 3, "Amount": 80.0},
    ])
    changes = frame("tblChanges", [
        {"CR ID": "CR-001", "Status": "Closed", "Funding": "Contingency", "Cost Impact": 300.0},
        {"CR ID": "CR-002", "Status": "Approved", "Funding": "Management Reserve", "Cost Impact": 100.0},
    ])
    return {"tblPlan": plan, "tblBudget": budget, "tblResources": resources, "tblTimesheet": timesheet,
            "tblCosts": costs, "tblChanges": changes}


SETTINGS = {"StartDate": MON, "StatusDate": D(2026, 3, 18), "ContingencyReserve": 1000, "ManagementReserve": 500}


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.tolist() == b.dtypes.tolist()
    assert a.index.equals(b.index) and type(a.index) is type(b.index)
    for c in a.columns:
        x, y = a[c].tolist(), b[c].tolist()
        assert [type(v) for v in x] == [type(v) for v in y], c
        assert all(u is v or u == v or (u != u and v != v) for u, v in zip(x, y)), (c, x, y)


def eager(tables, settings=SETTINGS):
    """Every table of a roll-up, read at once."""
    r = F.rollup(tables, settings, Calendar(MON))
    return {f: getattr(r, f) for f in TABLE_FIELDS}


def test_deferred_tables_are_built_on_first_read_and_kept():
    r = F.rollup(project(), SETTINGS, Calendar(MON))
    for f in DEFERRED:
        assert type(r.__dict__[f]) is F._Later, f
    first = r.by_task
    assert r.by_task is first and type(r.__dict__["by_task"]) is pd.DataFrame
    want = eager(project())
    for f in TABLE_FIELDS:
        same(getattr(r, f), want[f])
    assert r.notes == F.rollup(project(), SETTINGS, Calendar(MON)).notes
    assert any("without a rate" in n for n in r.notes)


def test_tables_read_later_are_those_of_the_roll_up_time():
    tables = project()
    r = F.rollup(tables, SETTINGS, Calendar(MON))
    want = eager(project())
    # the caller changes its tables in place before reading the result
    tables["tblPlan"].loc[6, "WBS"] = "9.9"
    tables["tblPlan"].loc[6, "Task"] = "changed"
    tables["tblChanges"].loc[5, "Status"] = "Rejected"
    tables["tblChanges"].loc[6, "Cost Impact"] = 9e9
    tables["tblBudget"].loc[5, "Source"] = None
    tables["tblTimesheet"].loc[5, "Hours"] = 99.0
    tables["tblTimesheet"].loc[8, "Date"] = pd.Timestamp("2026-03-10")
    tables["tblResources"].loc[5, "Role"] = "Boss"
    for f in TABLE_FIELDS:
        same(getattr(r, f), want[f])


def test_pickle_and_copies_build_every_table():
    r = F.rollup(project(), SETTINGS, Calendar(MON))
    want = eager(project())
    for other in (pickle.loads(pickle.dumps(r)), copy.deepcopy(F.rollup(project(), SETTINGS, Calendar(MON)))):
        assert not any(type(v) is F._Later for v in other.__dict__.values())
        for f in TABLE_FIELDS:
            same(getattr(other, f), want[f])


def test_actuals_still_returns_frames():
    t = project()
    counted, excluded, unrated = F.actuals(t["tblTimesheet"], t["tblCosts"], t["tblResources"], np.datetime64("2026-03-18"))
    assert type(excluded) is pd.DataFrame and type(unrated) is pd.DataFrame
    assert excluded["Reason"].tolist() == ["after status date", "no date", "after status date"]
    assert unrated["Person"].tolist() == ["Bob", "Cy"]


def test_a_wbs_code_int_refuses_still_fails_in_rollup():
    # "²".isdigit() is True, int("²") raises: the WBS order fails as it always did, in rollup()
    with pytest.raises(ValueError):
        F.rollup(project(wbs2="1.²"), SETTINGS, Calendar(MON))
    assert F._task_table_fails(["1", "1.²"], F._task_windows(project()["tblPlan"]), np.array([2.0]), np.zeros((1, 5)))


def test_task_ids_out_of_int64_range_are_built_in_rollup_without_a_warning():
    """Such IDs make the tables that cast them to integers be built in rollup(), and numpy's
    warning on that cast is off there, as on every lazily built table: none reaches the
    caller, then or later (SPEC §9; a compiled module's warnings escape any filter)."""
    t = project()
    t["tblBudget"]["Task ID"] = t["tblBudget"]["Task ID"].astype(float)
    t["tblBudget"].loc[5, "Task ID"] = 1e20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = F.rollup(t, SETTINGS, Calendar(MON))
        assert type(r.__dict__["by_task"]) is pd.DataFrame  # built in rollup()
        r.by_task


def test_usual_plans_pass_the_guard():
    plan = project()["tblPlan"]
    tasks = F._task_windows(plan)
    assert not F._task_table_fails(["1", "1.1", "1.2"], tasks, np.array([-0.5, 2.0]), np.ones((2, 5)))
    assert F._task_table_fails(["1", "1.1"], tasks, np.array([np.inf]), np.ones((1, 5)))
    assert F._task_table_fails(["1", "1.1"], tasks, np.array([2.0]), np.full((1, 5), 5e307))
    assert F._task_table_fails(["1", "1.1"], tasks, np.array([2.0]), np.full((1, 5), np.nan))
    assert F._task_table_fails(["1" * 700], tasks, np.array([2.0]), np.ones((1, 5)))
    assert not F._task_table_fails(["1.1"] * 700, tasks, np.array([2.0]), np.ones((1, 5)))


def test_example_workbook_same_tables_read_now_or_later():
    from pmo_xl.io.reader import load
    from pmo_xl.commands._common import calendar_for, status_date_of

    path = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    book = load(path)
    day = status_date_of(book, None)
    later = F.rollup(book.tables, book.settings, calendar_for(book), day)
    now = F.rollup(book.tables, book.settings, calendar_for(book), day)
    built = {f: getattr(now, f) for f in TABLE_FIELDS}
    assert later.to_dict() == now.to_dict()
    for f in TABLE_FIELDS:
        same(getattr(later, f), built[f])
