"""DT rules (driven by the schema) and WB rules (from the reader's structure issues)."""

from __future__ import annotations

import pytest

from pmo_xl import schema
from pmo_xl.engine.rules.data import OWNED_ELSEWHERE
from pmo_xl.model import CellIssue, StructureIssue
from support.rulecheck import broken, findings, where


def setv(table, i, **values):
    def mutate(t):
        t[table][i].update({k.replace("_", " "): v for k, v in values.items()})
    return mutate


CASES = [
    ("DT003", setv("plan_rows", 3, Task=None), [("Plan", "C8", "4")]),
    ("DT003", setv("timesheet", 0, Person=None), [("Timesheet", "B5", "3")]),
    ("DT004", setv("plan_rows", 4, Constraint="asap"), [("Plan", "J9", "5")]),
    ("DT004", setv("changes", 0, Priority="Urgent"), [("Changes", "G5", "CR-0001")]),
    ("DT005", setv("plan_rows", 4, ID=4), [("Plan", "A9", "4")]),
    ("DT005", setv("plan_rows", 4, WBS="1.3"), [("Plan", "B9", "5")]),
    ("DT005", setv("resources", 1, Person="Ann"), [("Resources", "A6", "Ann")]),
    ("DT006", setv("plan_rows", 4, Duration=-1), [("Plan", "F9", "5")]),
    ("DT006", setv("resources", 0, Rate=-5.0), [("Resources", "C5", "Ann")]),
]


@pytest.mark.parametrize("rule,mutate,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_at_its_cell(rule, mutate, expected):
    fs = findings(broken(mutate), rule)
    assert where(fs) == expected, [f.message for f in fs]
    assert findings(broken(), rule) == []


def test_dt004_hint_names_the_right_spelling():
    (f,) = findings(broken(setv("plan_rows", 4, Constraint="asap")), "DT004")
    assert "'asap'" in f.message and f.hint == "Pick a value from the drop-down: 'ASAP'."


def test_dt005_names_the_first_row():
    (f,) = findings(broken(setv("plan_rows", 4, ID=4)), "DT005")
    assert "already used on row 8" in f.message


def test_columns_with_a_dedicated_rule_are_not_reported_twice():
    # a bad CR status is CR003, not DT004; negative hours FN005, not DT006
    t = broken(setv("changes", 1, Status="Done"))
    assert "DT004" not in [f.rule for f in findings(t) if f.cell == "M6"]
    assert "CR003" in [f.rule for f in findings(t) if f.cell == "M6"]
    t = broken(setv("timesheet", 0, Hours=-8.0))
    assert {f.rule for f in findings(t) if f.cell == "D5"} == {"FN005"}
    for (table, column, _), rid in OWNED_ELSEWHERE.items():
        assert column in schema.TABLES[table].headers and rid[:2] != "DT"


def test_dt001_wrong_type_from_the_reader_and_no_double_report():
    t = broken(setv("plan_rows", 3, Start=None))
    issue = CellIssue("Plan", "G8", "tblPlan", "Start", 8, "next week", "date", "not a date")
    fs = findings(t, issues=[issue])
    assert [(f.rule, f.cell, f.key) for f in fs if f.cell == "G8"] == [("DT001", "G8", "4")]
    assert fs[0].message == "Plan!G8 holds the text 'next week', expected a date."
    assert fs[0].severity == "error"


def test_dt002_date_typed_as_text_is_a_warning():
    issue = CellIssue("Plan", "G8", "tblPlan", "Start", 8, "2026-01-12", "date", "date as text")
    fs = [f for f in findings(broken(), issues=[issue]) if f.cell == "G8"]
    assert [(f.rule, f.severity) for f in fs] == [("DT002", "warning")]


def test_dt008_dt009_settings():
    t = broken()
    t["settings"].update({"ProjectCode": "  ", "WorkWeek": "11111", "Currency": "euro", "HoursPerDay": 30})
    fs = findings(t)
    got = {(f.rule, f.key) for f in fs if f.rule in ("DT008", "DT009")}
    assert got == {("DT008", "ProjectCode"), ("DT009", "WorkWeek"), ("DT009", "Currency"), ("DT009", "HoursPerDay")}
    ww = next(f for f in fs if f.key == "WorkWeek")
    assert ww.sheet == "Project" and ww.cell.startswith("C")


def test_dt009_unknown_holiday_country():
    t = broken()
    t["settings"]["HolidayCountry"] = "XX"
    assert [f.key for f in findings(t, "DT009")] == ["HolidayCountry"]


def test_wb_rules_from_structure_issues():
    issues = [
        StructureIssue("sheet", "Timesheet", message=""),
        StructureIssue("table", "tblCosts", sheet="Costs"),
        StructureIssue("column", "Baseline Finish", sheet="Plan", message="Table tblPlan has no column 'Baseline Finish'."),
        StructureIssue("name", "StartDate", sheet="Project"),
        StructureIssue("name", "StatusDate", sheet="Project"),
        StructureIssue("version", "TemplateVersion", sheet="Project", cell="C17"),
    ]
    fs = findings(broken(), structure=issues)
    got = [(f.rule, f.sheet, f.key) for f in fs if f.rule.startswith("WB")]
    assert sorted(got) == sorted([
        ("WB001", "Timesheet", "Timesheet"), ("WB002", "Costs", "tblCosts"), ("WB003", "Plan", "Baseline Finish"),
        ("WB004", "Project", "StartDate"), ("WB005", "Project", "StatusDate"), ("WB007", "Project", "TemplateVersion"),
    ])
    sev = {f.rule: f.severity for f in fs}
    assert sev["WB004"] == "error" and sev["WB005"] == "warning"


def test_wb006_newer_template():
    fs = findings(broken(), template_version=schema.TEMPLATE_VERSION + 1)
    assert [(f.rule, f.key) for f in fs] == [("WB006", "TemplateVersion")]
    assert findings(broken(), "WB006") == []
