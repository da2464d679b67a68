"""The DCMA checks on numpy arrays (pmo_xl.engine.dcma) give exactly what the pandas
version gave (tests/support/dcma_pandas.py) on random plans: every check's value,
pass/fail, detail and task list."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine import dcma
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import schedule_plan
from support import dcma_pandas

START = dt.date(2026, 1, 5)
DAY = st.one_of(st.none(), st.integers(-5, 40).map(lambda n: pd.Timestamp(START) + pd.Timedelta(days=n)))
ROW = st.fixed_dictionaries({
    "ID": st.one_of(st.none(), st.integers(1, 14).map(float), st.just(2.5)),
    "WBS": st.one_of(st.none(), st.sampled_from(["1", "1.1", "1.2", "1.1.1", "2", "2.1", "3.1.2"])),
    "Type": st.sampled_from([None, "Task", "Milestone", "Summary", "Other"]),
    "Owner": st.sampled_from([None, "Ann"]),
    "Duration": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 3.0, 50.0, 2.5])),
    "Start": DAY, "Finish": DAY,
    "Predecessors": st.one_of(st.none(), st.sampled_from(["1", "2", "3, 4SS+2", "5FF-1", "7SF", "1, 2, 3", "x",
                                                          "9+3", "4, 4", "13SS-2", "20"])),
    "Constraint": st.sampled_from([None, "ASAP", "MSO", "FNLT", "SNET", "ALAP"]),
    "Constraint Date": DAY,
    "Baseline Finish": DAY,
    "% Complete": st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])),
    "Actual Start": DAY, "Actual Finish": DAY,
    "Status": st.sampled_from([None, "Complete", "Cancelled", "In Progress", "Not Started"]),
})
DATES = ["Start", "Finish", "Constraint Date", "Baseline Finish", "Actual Start", "Actual Finish"]
ROW_EMPTY = {"ID": None, "WBS": None, "Type": None, "Owner": None, "Duration": None, "Predecessors": None,
             "Constraint": None, "% Complete": None, "Status": None, **{name: None for name in DATES}}


def plan_frame(rows: list[dict]) -> pd.DataFrame:
    """A plan as the rule context hands it over: float numbers, datetime64[ns] dates,
    text as objects with NaN for an empty cell, index = Excel rows."""
    frame = pd.DataFrame(rows, index=range(4, 4 + len(rows)))
    for name in ("ID", "Duration", "% Complete"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    for name in DATES:
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
    for name in ("WBS", "Type", "Owner", "Predecessors", "Constraint", "Status"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
    return frame


def same(plan: pd.DataFrame, status: dt.date | None, budget: pd.DataFrame | None, planned: dt.date | None) -> None:
    cal = Calendar(START)
    cpm = schedule_plan(plan[plan["ID"].notna()], cal, status_date=status) if len(plan) else None
    kwargs = dict(status_date=status, budget=budget, planned_finish=planned, calendar=cal)
    fast = dcma.assess(plan, cpm, **kwargs)
    slow = dcma_pandas.assess(plan, cpm, **kwargs)
    assert [(c.check, c.name, c.value, c.threshold, c.passed, c.detail, c.tasks) for c in fast] == \
        [(c.check, c.name, c.value, c.threshold, c.passed, c.detail, c.tasks) for c in slow]


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=14),
       status=st.one_of(st.none(), st.integers(0, 30).map(lambda n: START + dt.timedelta(days=n))),
       budget=st.one_of(st.none(), st.lists(st.one_of(st.none(), st.integers(1, 14)), max_size=6)),
       planned=st.one_of(st.none(), st.just(dt.date(2026, 2, 20))))
def test_numpy_checks_are_the_pandas_checks(rows, status, budget, planned):
    frame = None if budget is None else pd.DataFrame({"Task ID": pd.Series(budget, dtype=float)})
    same(plan_frame(rows), status, frame, planned)


def test_an_empty_plan():
    frame = plan_frame([{**ROW_EMPTY, "ID": 1.0}]).iloc[:0]
    same(frame, START, None, None)


def test_columns_pandas_compares_take_its_path():
    # text in a date column, integer IDs, a Duration of objects: pandas compares those
    rows = [{"ID": 1, "Type": "Milestone", "Duration": 0, "Start": pd.Timestamp(START), "Predecessors": None},
            {"ID": 2, "Type": "Task", "Duration": 3, "Start": pd.Timestamp(START), "Predecessors": "1"},
            {"ID": 2, "Type": "Task", "Duration": 3, "Start": pd.Timestamp(START), "Predecessors": "1"},
            {"ID": 3, "Type": "Milestone", "Duration": 0, "Start": pd.Timestamp(START), "Predecessors": "2"}]
    plan = plan_frame([{**ROW_EMPTY, **r} for r in rows])
    plan["ID"] = plan["ID"].astype("int64")
    plan["Duration"] = plan["Duration"].astype(object)
    plan["Start"] = plan["Start"].astype(object)
    same(plan, START, None, None)
