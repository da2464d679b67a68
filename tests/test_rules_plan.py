"""PL rules: each broken on the clean project gives exactly its finding, at its cell."""

from __future__ import annotations

import pytest

from support.books import clean_tables, make_book, task
from support.rulecheck import broken, findings, where


def T(tables, tid):
    return next(r for r in tables["plan_rows"] if r["ID"] == tid)


def setv(tid, **values):
    def mutate(t):
        T(t, tid).update({k.replace("_", " ").replace("pct", "% Complete"): v for k, v in values.items()})
    return mutate


def add_task(row):
    return lambda t: t["plan_rows"].append(row)


# (rule, mutation, expected [(sheet, cell, key)]) — task k is on Excel row 4 + k
CASES = [
    ("PL001", setv(4, Finish="2026-01-09"), [("Plan", "H8", "4")]),
    ("PL002", setv(4, Duration=4), [("Plan", "F8", "4")]),
    ("PL003", setv(6, Duration=2), [("Plan", "F10", "6")]),
    ("PL004", setv(5, Predecessors="4XS"), [("Plan", "I9", "5")]),
    ("PL005", setv(5, Predecessors="4, 99"), [("Plan", "I9", "5")]),
    ("PL006", setv(5, Predecessors="4, 5"), [("Plan", "I9", "5")]),
    ("PL007", setv(4, Predecessors="3, 5"), [("Plan", "I8", "4")]),
    ("PL008", setv(5, WBS="2.4"), [("Plan", "B9", "5")]),
    ("PL009", setv(5, WBS="1.x"), [("Plan", "B9", "5")]),
    ("PL010", setv(1, Finish="2026-01-22", Duration=14), [("Plan", "H5", "1")]),
    ("PL011", add_task(task(7, "1.4.1", start="2026-01-19", finish="2026-01-19", preds="5")), [("Plan", "D9", "5")]),
    ("PL012", setv(4, pct=50.0), [("Plan", "N8", "4")]),
    ("PL013", setv(4, pct=1.0, Status="In Progress", Actual_Start="2026-01-09"), [("Plan", "N8", "4")]),
    ("PL014", setv(3, Actual_Finish=None), [("Plan", "P7", "3")]),
    ("PL015", setv(4, Status="In Progress"), [("Plan", "O8", "4")]),
    ("PL016", setv(3, Status="In Progress"), [("Plan", "Q7", "3")]),
    ("PL017", setv(4, pct=0.3), [("Plan", "Q8", "4")]),
    ("PL018", setv(3, Actual_Start="2026-01-07", Actual_Finish="2026-01-06"), [("Plan", "P7", "3")]),
    ("PL019", setv(3, Actual_Finish="2026-01-12"), [("Plan", "P7", "3")]),
    ("PL020", setv(4, Start="2026-01-08", Duration=7), [("Plan", "G8", "4")]),
    ("PL022", setv(5, Owner=None), [("Plan", "E9", "5")]),
    ("PL023", setv(2, Start="2026-01-02", Finish="2026-01-02", Actual_Start="2026-01-02", Actual_Finish="2026-01-02"),
     [("Plan", "G6", "2")]),
    ("PL024", setv(6, Start="2026-02-02", Finish="2026-02-02"), [("Plan", "H10", "6")]),
    ("PL025", setv(5, Baseline_Finish=None), [("Plan", "M9", "5")]),
    ("PL027", setv(5, Constraint="MSO"), [("Plan", "K9", "5")]),
    ("PL028", setv(5, Constraint_Date="2026-01-19"), [("Plan", "K9", "5")]),
    ("PL029", setv(6, Start="2026-01-22", Finish="2026-01-22"), [("Plan", "G10", "6")]),
]


def test_the_clean_project_has_no_finding():
    assert findings(broken()) == []


@pytest.mark.parametrize("rule,mutate,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_at_its_cell(rule, mutate, expected):
    fs = findings(broken(mutate), rule)
    assert where(fs) == expected, [f.message for f in fs]
    assert all(f.message and f.hint for f in fs)
    assert findings(broken(), rule) == []


def test_pl021_started_but_late_to_finish():
    t = broken(setv(4, Status="In Progress", pct=0.4, Actual_Start="2026-01-12"))
    fs = findings(t, "PL021", status_date="2026-01-20")
    assert where(fs) == [("Plan", "H8", "4")]
    assert "40 % complete" in fs[0].message
    # on time: the status date is before the planned finish
    assert findings(t, "PL021", status_date="2026-01-15") == []
    assert where(findings(t, "PL021", status_date="2026-01-16")) == [("Plan", "H8", "4")]


def test_pl020_not_flagged_on_hold_or_after_the_status_date():
    assert findings(broken(setv(4, Start="2026-01-08", Duration=7, Status="On Hold")), "PL020") == []
    assert findings(broken(), "PL020", status_date="2026-01-09") == []  # Build starts on Monday 01-12
    # the status date is the end of its day: Build should have started by the end of 01-12
    assert where(findings(broken(), "PL020", status_date="2026-01-12")) == [("Plan", "G8", "4")]


def test_pl007_names_the_cycle():
    t = broken(setv(3, Predecessors="2, 5"))
    (f,) = findings(t, "PL007")
    assert "3 → 4 → 5 → 3" in f.message
    assert (f.cell, f.key) == ("I7", "3")


def test_pl002_uses_the_project_calendar():
    # a holiday on Wednesday 2026-01-14 makes Build 4 working days long
    t = broken(lambda t: t["holidays"].append({"Date": "2026-01-14", "Name": "Local"}))
    assert where(findings(t, "PL002")) == [("Plan", "F8", "4")]
    # a 4-day work week: Friday is off
    t = broken()
    t["settings"]["WorkWeek"] = "1111000"
    fs = findings(t, "PL002")
    assert ("Plan", "F7", "3") in where(fs) and ("Plan", "F8", "4") in where(fs)


def test_pl026_once_when_no_task_has_a_baseline():
    def strip(t):
        for r in t["plan_rows"]:
            r["Baseline Start"] = r["Baseline Finish"] = None
    t = broken(strip)
    fs = findings(t)
    assert [f.rule for f in fs] == ["PL026"]
    assert fs[0].sheet == "Plan" and fs[0].severity == "info"


def test_pl030_without_status_date():
    t = broken()
    t["settings"]["StatusDate"] = None
    fs = findings(t, "PL030")
    assert len(fs) == 1 and fs[0].key == "StatusDate"
    # --status-date overrides the empty setting
    assert findings(t, "PL030", status_date="2026-01-09") == []


def test_pl029_only_for_tasks_not_started():
    # Build already started early: its Start is an actual, not a forecast
    t = broken(setv(4, Start="2026-01-08", Duration=7, Status="In Progress", pct=0.2, Actual_Start="2026-01-08"))
    fs = findings(t, "PL029")
    assert "4" not in [f.key for f in fs]
    # its remaining work (80 % of 7 days from the status date) pushes Test out
    assert where(fs) == [("Plan", "G9", "5"), ("Plan", "G10", "6")]


def test_pl010_start_of_summary():
    fs = findings(broken(setv(1, Start="2026-01-06", Duration=14)), "PL010")
    assert where(fs) == [("Plan", "G5", "1")]
    assert "child 2" in fs[0].message
