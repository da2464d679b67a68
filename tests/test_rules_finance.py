"""FN rules on the clean project: one broken thing, one finding at its cell."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from pmo_xl.engine.rules import run_rules
from support.books import make_book
from support.rulecheck import broken, findings, where


def ts_add(**row):
    return lambda t: t["timesheet"].append(row)


def setrow(table, i, **values):
    def mutate(t):
        t[table][i].update({k.replace("_", " "): v for k, v in values.items()})
    return mutate


# timesheet rows 5..10 (Ann x5 on task 3, Bob row 10); new timesheet rows start at 11
CASES = [
    ("FN001", ts_add(Date="2026-01-08", Person="Bob", **{"Task ID": 99}, Hours=2.0), [("Timesheet", "C11", "99")]),
    ("FN002", ts_add(Date="2026-01-08", Person="Zed", **{"Task ID": 3}, Hours=2.0), [("Timesheet", "B11", "Zed")]),
    ("FN003", setrow("costs", 0, Task_ID=42), [("Costs", "B5", "42")]),
    ("FN004", setrow("resources", 1, Rate=None), [("Resources", "C6", "Bob")]),
    ("FN005", ts_add(Date="2026-01-08", Person="Bob", **{"Task ID": 3}, Hours=-2.0), [("Timesheet", "D11", "3")]),
    ("FN006", ts_add(Date="2026-01-06", Person="Ann", **{"Task ID": 3}, Hours=17.0), [("Timesheet", "D6", "Ann")]),
    ("FN007", setrow("costs", 0, Amount=-450.0), [("Costs", "F5", "3")]),
    ("FN008", setrow("budget", 2, Amount=-10.0), [("Budget", "D7", "4")]),
    ("FN009", ts_add(Date="2026-01-12", Person="Bob", **{"Task ID": 4}, Hours=2.0), [("Timesheet", "A11", "4")]),
    ("FN010", lambda t: (t["plan_rows"][2].update({"Actual Finish": pd.Timestamp("2026-01-08")})),
     [("Timesheet", "A9", "3"), ("Timesheet", "A10", "3")]),
    ("FN011", ts_add(Date="2026-01-09", Person="Bob", **{"Task ID": 3}, Hours=4.0), [("Timesheet", "A11", "3")]),
    ("FN012", lambda t: t["budget"].pop(2) and t["budget"].pop(3),  # task 4 loses both lines...
     []),
    ("FN013", setrow("budget", 3, Task_ID=77), [("Budget", "A8", "77")]),
    ("FN014", ts_add(Date="2026-01-08", Person="Bob", **{"Task ID": 1}, Hours=1.0), [("Timesheet", "C11", "1")]),
    ("FN015", setrow("budget", 0, Category="Labor"), [("Budget", "B5", "3")]),
    ("FN016", ts_add(Date="2026-01-02", Person="Bob", **{"Task ID": 3}, Hours=1.0), [("Timesheet", "A11", "3")]),
    ("FN017", ts_add(Date="2026-01-07", Person="Ann", **{"Task ID": 3}, Hours=2.0), [("Timesheet", "D7", "Ann")]),
    ("FN018", setrow("budget", 1, Period="2026-01-15"), [("Budget", "C6", "3")]),
]


@pytest.mark.parametrize("rule,mutate,expected", [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_rule_fires_at_its_cell(rule, mutate, expected):
    fs = findings(broken(mutate), rule)
    assert where(fs) == expected, [f.message for f in fs]
    assert findings(broken(), rule) == []


def test_fn012_actuals_without_budget():
    def mutate(t):
        t["budget"] = [b for b in t["budget"] if b.get("Task ID") != 3]
    fs = findings(broken(mutate), "FN012")
    assert where(fs) == [("Plan", "A7", "3")]
    assert "44 hours" in fs[0].message and "450.00 costs" in fs[0].message


def test_fn006_sums_per_person_and_day():
    # two rows of 12.5 on one day: neither above 24 alone
    t = broken(lambda t: t["timesheet"].extend([
        {"Date": "2026-01-08", "Person": "Bob", "Task ID": 3, "Hours": 12.5},
        {"Date": "2026-01-08", "Person": "Bob", "Task ID": 3, "Hours": 12.0, "Note": "night"},
    ]))
    fs = findings(t, "FN006")
    assert where(fs) == [("Timesheet", "D11", "Bob")]
    assert "24.5 hours on 2026-01-08 (2 rows" in fs[0].message
    # exactly 24 is allowed
    t["timesheet"][-1]["Hours"] = 11.5
    assert findings(t, "FN006") == []


def test_fn011_differs_when_any_field_differs():
    t = broken(lambda t: t["timesheet"].append({"Date": "2026-01-09", "Person": "Bob", "Task ID": 3, "Hours": 3.0}))
    assert findings(t, "FN011") == []


def test_fn008_reductions_from_a_change_are_fine():
    t = broken(setrow("budget", 4, Amount=-500.0))  # Source CR-0001
    assert findings(t, "FN008") == []


def test_fn009_uses_the_status_date_override():
    assert findings(broken(), "FN009", status_date="2026-01-07") != []
    assert findings(broken(), "FN009", status_date="2026-01-09") == []


def big_book(n_tasks: int = 5000, n_rows: int = 200_000, seed: int = 1):
    """5,000 tasks (ten a day, each day's tasks after the previous day's), the first
    2,000 done; 200,000 timesheet rows by 1,000 people on the tasks of their day."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2026-01-05", periods=n_tasks // 10 + 20)
    done_days = 200
    plan = []
    for i in range(1, n_tasks + 1):
        k = (i - 1) // 10
        d = days[k]
        row = {"ID": i, "WBS": str(i), "Task": f"T{i}", "Type": "Task", "Owner": "P1", "Duration": 1.0,
               "Start": d, "Finish": d, "Predecessors": str(i - 10) if i > 10 else None,
               "Constraint": "ASAP", "Baseline Start": d, "Baseline Finish": d, "% Complete": 0.0,
               "Status": "Not Started"}
        if k < done_days:
            row.update({"% Complete": 1.0, "Status": "Complete", "Actual Start": d, "Actual Finish": d})
        plan.append(row)
    people = np.array([f"P{i}" for i in range(1, 1001)], dtype=object)
    day = rng.integers(0, done_days, n_rows)
    ts = pd.DataFrame({
        "Date": days[day],
        "Person": people[rng.integers(0, len(people), n_rows)],
        "Task ID": (day * 10 + rng.integers(1, 11, n_rows)).astype(float),
        "Hours": rng.integers(1, 4, n_rows).astype(float),
        "Note": rng.integers(0, 10**9, n_rows).astype(str),  # tells repeated bookings apart
    })
    book = make_book(plan_rows=plan, resources=[{"Person": p, "Rate": 50.0} for p in people],
                     budget=[{"Task ID": i, "Category": "Labour", "Amount": 100.0} for i in range(1, n_tasks + 1)],
                     settings={"StatusDate": days[done_days - 1].date()})
    ts.index = pd.RangeIndex(5, 5 + n_rows)
    book.tables["tblTimesheet"].frame = ts
    return book


def test_5000_tasks_200000_timesheet_rows_give_no_false_finding():
    # (its speed is measured by benchmarks/run.py's large validate, not here)
    fs = run_rules(big_book())
    rules = {f.rule for f in fs}
    assert not rules & {"FN001", "FN002", "FN006", "FN009", "FN010", "PL020", "PL029"}, rules
