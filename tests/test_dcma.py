"""DCMA 14-point: each check passes on the clean project and fails (or is not applicable)
on a small hand-made change of it. Incomplete tasks of the clean project: 4, 5 (5 days
each) and the finish milestone 6; relationships into them: 3→4, 4→5, 5→6 (all FS)."""

from __future__ import annotations

import pytest

from pmo_xl.commands.validate import validate_book
from pmo_xl.engine.dcma import DCMA_CHECKS, DcmaThresholds
from support.books import make_book
from support.rulecheck import broken


def T(t, tid):
    return next(r for r in t["plan_rows"] if r["ID"] == tid)


def dcma(tables, status_date=None, thresholds=None):
    report = validate_book(make_book(**tables), status_date, thresholds=thresholds)
    return {c.check: c for c in report.dcma}


def test_clean_project_passes_all_fourteen():
    checks = dcma(broken())
    assert sorted(checks) == list(range(1, 15))
    assert {n: c.passed for n, c in checks.items()} == {n: True for n in range(1, 15)}
    assert [c.name for c in checks.values()] == [m.name for m in DCMA_CHECKS]
    assert checks[1].value == 0 and "excepted: 6" in checks[1].detail
    assert checks[4].value == 100


def test_to_dict_is_exactly_the_spec_fields():
    d = dcma(broken())[13].to_dict()
    assert list(d) == ["check", "name", "value", "threshold", "passed"]
    assert d["check"] == 13 and d["value"] == 1.5 and d["threshold"] == "≥ 0.95"


def test_1_logic():
    t = broken(lambda t: T(t, 5).update(Predecessors=None))  # 4 loses its successor, 5 its predecessor
    c = dcma(t)[1]
    assert c.passed is False and c.value == pytest.approx(200 / 3, abs=1e-3) and c.tasks == [4, 5]
    assert "no predecessor: 5" in c.detail and "no successor: 4" in c.detail


@pytest.mark.parametrize("link,check,value", [("4FS-1", 2, 100 / 3), ("4FS+2", 3, 100 / 3), ("4SS", 4, 200 / 3)])
def test_2_3_4_relationships(link, check, value):
    c = dcma(broken(lambda t: T(t, 5).update(Predecessors=link)))[check]
    assert c.passed is False and c.value == pytest.approx(value, abs=1e-3)
    assert c.tasks == [5]


def test_5_hard_constraints():
    t = broken(lambda t: T(t, 5).update({"Constraint": "MSO", "Constraint Date": "2026-01-19"}))
    c = dcma(t)[5]
    assert (c.passed, c.tasks) == (False, [5]) and c.value == pytest.approx(100 / 3, abs=1e-3)
    # SNET is not a hard constraint
    t = broken(lambda t: T(t, 5).update({"Constraint": "SNET", "Constraint Date": "2026-01-19"}))
    assert dcma(t)[5].passed is True


def test_6_high_float_with_a_configured_limit():
    def parallel(t):
        t["plan_rows"].append({**T(t, 5), "ID": 7, "WBS": "1.6", "Task": "Docs", "Start": "2026-01-12",
                               "Finish": "2026-01-12", "Duration": 1, "Predecessors": "3",
                               "Baseline Start": "2026-01-12", "Baseline Finish": "2026-01-12"})
        T(t, 6)["Predecessors"] = "5, 7"
        t["budget"].append({"Task ID": 7, "Category": "Labour", "Amount": 100.0})
    checks = dcma(broken(parallel), thresholds=DcmaThresholds(high_float_days=3))
    assert (checks[6].passed, checks[6].tasks, checks[6].value) == (False, [7], 25.0)
    assert dcma(broken(parallel))[6].passed is True  # 9 days of float is under 44


def test_7_negative_float():
    t = broken(lambda t: T(t, 6).update({"Constraint": "MFO", "Constraint Date": "2026-01-21"}))
    c = dcma(t)[7]
    assert c.passed is False and set(c.tasks) >= {4, 5}


def test_12_critical_path_test_fails_when_a_constraint_drives_criticality():
    # a side task with a deadline it cannot meet (FNLT) has the lowest float: it is the
    # most critical, yet delaying it does not move the finish by the same amount
    def side(t):
        t["plan_rows"].append({**T(t, 5), "ID": 7, "WBS": "1.6", "Task": "Permit", "Start": "2026-01-12",
                               "Finish": "2026-01-12", "Duration": 1, "Predecessors": "3", "Constraint": "FNLT",
                               "Constraint Date": "2026-01-09", "Baseline Start": "2026-01-12",
                               "Baseline Finish": "2026-01-12"})
        T(t, 6)["Predecessors"] = "5, 7"
    c = dcma(broken(side))[12]
    assert c.passed is False and c.value != 600 and c.tasks == [7]
    assert "broken" in c.detail


def test_8_high_duration_with_a_configured_limit():
    c = dcma(broken(), thresholds=DcmaThresholds(high_duration_days=4))[8]
    assert (c.passed, c.tasks) == (False, [4, 5])
    assert dcma(broken())[8].passed is True


def test_9_invalid_dates():
    c = dcma(broken(), status_date="2026-01-13")[9]  # Build should have started on 01-12
    assert (c.passed, c.value, c.tasks) == (False, 1, [4])
    t = broken(lambda t: T(t, 3).update({"Actual Finish": "2026-01-12"}))  # an actual in the future
    c = dcma(t)[9]
    assert (c.passed, c.tasks) == (False, [3])
    assert dcma(broken(lambda t: t["settings"].update(StatusDate=None)))[9].passed is None


def test_10_resources():
    def mutate(t):
        T(t, 5)["Owner"] = None
        t["budget"] = [b for b in t["budget"] if b.get("Task ID") != 5]
    c = dcma(broken(mutate))[10]
    assert (c.passed, c.value, c.tasks) == (False, 50.0, [5])
    # an owner or a budget line is enough
    assert dcma(broken(lambda t: T(t, 5).update(Owner=None)))[10].passed is True


def test_11_missed_tasks():
    c = dcma(broken(lambda t: T(t, 3).update({"Baseline Finish": "2026-01-08"})))[11]
    assert (c.passed, c.value, c.tasks) == (False, 50.0, [3])
    c = dcma(broken(lambda t: t["settings"].update(StatusDate="2026-01-02")))[11]
    assert c.passed is None and c.detail.startswith("not applicable")


def test_12_critical_path_test_moves_the_finish():
    c = dcma(broken())[12]
    assert (c.passed, c.value) == (True, 600)
    c = dcma(broken(), thresholds=DcmaThresholds(critical_path_delay=7))[12]
    assert (c.passed, c.value) == (True, 7)


def test_12_not_applicable_when_everything_is_done():
    def finish_all(t):
        for r in t["plan_rows"]:
            if r["Type"] != "Summary":
                r.update({"Status": "Complete", "% Complete": 1.0, "Actual Start": r["Start"], "Actual Finish": r["Finish"]})
        t["settings"]["StatusDate"] = "2026-01-23"
    checks = dcma(broken(finish_all))
    assert checks[12].passed is None and checks[1].passed is None and checks[14].value == 1.0


def test_13_cpli():
    # remaining critical path 10 days (status 01-09 to finish 01-23), PlannedFinish 01-16: float -5
    c = dcma(broken(lambda t: t["settings"].update(PlannedFinish="2026-01-16")))[13]
    assert (c.passed, c.value) == (False, 0.5)
    assert dcma(broken(lambda t: t["settings"].update(PlannedFinish=None)))[13].passed is None


def test_14_bei():
    t = broken(lambda t: T(t, 3).update({"Status": "In Progress", "% Complete": 0.5, "Actual Finish": None}))
    c = dcma(t)[14]
    assert (c.passed, c.value) == (False, 0.5)
    assert dcma(broken(lambda t: t["settings"].update(StatusDate=None)))[14].passed is None
    # the status date override counts
    assert dcma(broken(), status_date="2026-01-16")[14].value == pytest.approx(2 / 3, abs=1e-4)


def test_thresholds_show_in_the_result():
    checks = dcma(broken(), thresholds=DcmaThresholds(logic_max=2, bei_min=0.9))
    assert checks[1].threshold == "≤ 2 %" and checks[14].threshold == "≥ 0.9"
