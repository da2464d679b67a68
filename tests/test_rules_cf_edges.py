"""CR/FN rules at the edges their numpy / plain-Python paths handle on their own: rows out of
order, repeated (person, day, task) with other hours, pre-1970 periods, empty log values."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import run_rules
from pmo_xl.engine.rules.finance import _person_day_key
from support.books import make_book
from support.rulecheck import broken, findings, where


def test_fn011_same_day_and_task_with_other_hours_is_no_duplicate():
    # Bob already books 4 hours on task 3 on 2026-01-09 (row 10)
    other = broken(lambda t: t["timesheet"].append(
        {"Date": "2026-01-09", "Person": "Bob", "Task ID": 3, "Hours": 2.0}))
    assert findings(other, "FN011") == []
    same = broken(lambda t: t["timesheet"].append(
        {"Date": "2026-01-09", "Person": "Bob", "Task ID": 3, "Hours": 4.0}))
    assert where(findings(same, "FN011")) == [("Timesheet", "A11", "3")]


def test_fn006_names_the_first_row_when_rows_are_out_of_order():
    tables = broken(lambda t: t["timesheet"].append(
        {"Date": "2026-01-06", "Person": "Ann", "Task ID": 3, "Hours": 17.0}))
    book = make_book(**tables)
    ts = book.tables["tblTimesheet"]
    book.tables["tblTimesheet"] = dataclasses.replace(ts, frame=ts.frame.iloc[::-1])
    fs = [f for f in run_rules(book) if f.rule == "FN006"]
    assert where(fs) == [("Timesheet", "D6", "Ann")]
    assert "(2 rows, from Timesheet!D6)" in fs[0].message


def test_fn018_period_before_1970():
    mid = broken(lambda t: t["budget"][1].update({"Period": "1969-12-15"}))
    assert where(findings(mid, "FN018")) == [("Budget", "C6", "3")]
    first = broken(lambda t: t["budget"][1].update({"Period": "1960-03-01"}))
    assert findings(first, "FN018") == []


def test_fn012_zero_hours_on_a_task_without_budget_is_no_actual():
    def mutate(t):
        t["budget"] = [b for b in t["budget"] if b.get("Task ID") != 5]
        t["timesheet"].append({"Date": "2026-01-08", "Person": "Bob", "Task ID": 5, "Hours": 0.0})
    assert findings(broken(mutate), "FN012") == []


def test_fn012_costs_only():
    def mutate(t):
        t["budget"] = [b for b in t["budget"] if b.get("Task ID") != 5]
        t["costs"].append({"Date": "2026-01-08", "Task ID": 5, "Category": "Software", "Amount": 1234.5})
    (f,) = findings(broken(mutate), "FN012")
    assert f.message == "Task 5 has actuals (1,234.50 costs) but no budget line."


def test_cr011_a_later_status_entry_without_value_does_not_hide_the_status():
    t = broken(lambda t: t["changelog"].append(
        {"Timestamp": "2026-01-09T10:00:00Z", "CR ID": "CR-0001", "Action": "Status", "Field": "status",
         "Old Value": "Approved", "New Value": None}))
    assert findings(t, "CR011") == []


def test_cr016_lower_case_source_counts_as_a_cr():
    t = broken(lambda t: t["budget"][4].update({"Source": "cr-0009"}))
    (f,) = findings(t, "CR016")
    assert f.message == "Budget!E9: Source cr-0009 is not in the change register."


def test_cr012_names_the_first_log_row_of_each_unknown_cr():
    def mutate(t):
        for _ in range(2):
            t["changelog"].append({"Timestamp": "2026-01-09T10:00:00Z", "CR ID": "CR-0007", "Action": "Added",
                                   "Field": "Title", "Old Value": None, "New Value": "Gone"})
    assert [f.cell for f in findings(broken(mutate), "CR012")] == ["B13"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(-40_000, 40_000), st.integers(0, 3)), min_size=1, max_size=60))
def test_person_day_key_groups_as_factorised_dates(rows):
    # (person, day, hour): the key numbers (person, date) pairs as the factorised dates do,
    # whole days or not (hour > 0 falls back), before and after 1970
    person = np.array([p for p, _, _ in rows], dtype=np.int64)
    days = np.array([d * 86_400_000_000_000 + h * 3_600_000_000_000 for _, d, h in rows], dtype=np.int64)
    day_codes, _ = pd.factorize(days)
    reference, _ = pd.factorize(person * (int(day_codes.max()) + 1) + day_codes)
    got, _ = pd.factorize(_person_day_key(person, days))
    assert got.tolist() == reference.tolist()
