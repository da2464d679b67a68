"""CR rules: the register and its log. CR-0001 (Approved) is on Changes row 5, CR-0002
(Draft) on row 6; the log's rows start at Change Log row 5."""

from __future__ import annotations

import pytest

from support.rulecheck import broken, findings, where


def cr(i, **values):
    def mutate(t):
        t["changes"][i].update({k.replace("_", " "): v for k, v in values.items()})
    return mutate


CASES = [
    ("CR001", cr(1, CR_ID="CR2"), [("Changes", "A6", "CR2")]),
    ("CR002", cr(1, CR_ID="CR-0001"), [("Changes", "A6", "CR-0001")]),
    ("CR003", cr(1, Status="Done"), [("Changes", "M6", "CR-0002")]),
    ("CR004", cr(0, Decision_Date=None), [("Changes", "P5", "CR-0001")]),
    ("CR005", cr(0, Decision_By=None), [("Changes", "O5", "CR-0001")]),
    ("CR006", cr(0, Decision_Date="2026-01-05"), [("Changes", "P5", "CR-0001")]),
    ("CR007", cr(0, Rationale=None), [("Changes", "H5", "CR-0001")]),
    ("CR008", cr(0, Affected_Tasks="4, 99"), [("Changes", "K5", "CR-0001")]),
    ("CR009", cr(0, Affected_Tasks="build"), [("Changes", "K5", "CR-0001")]),
    ("CR010", lambda t: t.update(changelog=[r for r in t["changelog"] if r["CR ID"] != "CR-0002"]),
     [("Changes", "A6", "CR-0002")]),
    ("CR011", cr(1, Status="Submitted", Rationale="why"), [("Changes", "M6", "CR-0002")]),
    ("CR012", lambda t: t["changelog"].append(
        {"Timestamp": "2026-01-09T08:00:00Z", "CR ID": "CR-0003", "Action": "Added", "Field": "Title", "New Value": "x"}),
     [("Change Log", "B13", "CR-0003")]),
    ("CR013", cr(0, Schedule_Impact=None), [("Changes", "J5", "CR-0001")]),
    ("CR015", cr(0, Implemented_Date="2026-01-07"), [("Changes", "R5", "CR-0001")]),
    ("CR016", lambda t: t["budget"][4].update({"Source": "CR-0002"}), [("Budget", "E9", "CR-0002")]),
    ("CR017", lambda t: t["budget"].pop(4), [("Changes", "I5", "CR-0001")]),
]


@pytest.mark.parametrize("rule,mutate,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_at_its_cell(rule, mutate, expected):
    fs = findings(broken(mutate), rule)
    assert where(fs) == expected, [f.message for f in fs]
    assert findings(broken(), rule) == []


def test_cr014_implemented_without_date():
    def mutate(t):
        t["changes"][0]["Status"] = "Implemented"
        t["changelog"].append({"Timestamp": "2026-01-09T10:00:00Z", "CR ID": "CR-0001", "Action": "Status",
                               "Field": "Status", "Old Value": "Approved", "New Value": "Implemented"})
    fs = findings(broken(mutate))
    assert where(fs) == [("Changes", "R5", "CR-0001")] and fs[0].rule == "CR014"


def test_cr011_hand_edited_decision_is_an_error_and_names_the_logged_status():
    (f,) = findings(broken(cr(0, Status="Rejected")), "CR011")
    assert f.severity == "error"
    assert "Rejected" in f.message and "Under Review" not in f.message and "Approved" in f.message


def test_cr011_latest_entry_by_timestamp_not_row_order():
    # a log row appended out of order (older timestamp) does not hide the newer status
    t = broken(lambda t: t["changelog"].append(
        {"Timestamp": "2026-01-07T12:00:00Z", "CR ID": "CR-0001", "Action": "Status", "Field": "Status",
         "Old Value": "Draft", "New Value": "Submitted"}))
    assert findings(t, "CR011") == []


def test_cr011_decided_without_any_status_entry():
    t = broken(lambda t: t.update(changelog=[r for r in t["changelog"]
                                             if not (r["CR ID"] == "CR-0001" and r["Field"] == "Status")]))
    assert where(findings(t, "CR011")) == [("Changes", "M5", "CR-0001")]


def test_cr016_unapproved_source():
    t = broken(lambda t: t["budget"][4].update({"Source": "CR-0002"}))
    (f,) = findings(t, "CR016")
    assert "Draft, not approved" in f.message
