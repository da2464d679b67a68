"""The change-register engine (SPEC §6) on hand-made frames: workflow, IDs, decisions,
budget lines, reserves, log rows, statistics."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from pmo_xl import schema
from pmo_xl.engine import changes as ch
from pmo_xl.errors import PmoError, RefusedChange

NOW = dt.datetime(2026, 11, 27, 18, 5, 0, tzinfo=dt.timezone.utc)
TODAY = dt.date(2026, 11, 27)
FIRST_ROW = 5  # Excel row of the first data row (header on row 4)


def register(*rows: dict) -> pd.DataFrame:
    headers = schema.TABLES["tblChanges"].headers
    frame = pd.DataFrame([{h: r.get(h) for h in headers} for r in rows], columns=headers)
    frame.index = range(FIRST_ROW, FIRST_ROW + len(rows))
    return frame


def log(*cr_ids: str) -> pd.DataFrame:
    headers = schema.TABLES["tblChangeLog"].headers
    frame = pd.DataFrame(
        [{"Timestamp": "2026-01-01T00:00:00Z", "CR ID": c, "Action": "Added", "Field": "Status",
          "Old Value": "", "New Value": "Draft", "User": "x"} for c in cr_ids],
        columns=headers,
    )
    frame.index = range(FIRST_ROW, FIRST_ROW + len(cr_ids))
    return frame


def cr(cr_id="CR-0001", status="Draft", **more) -> dict:
    base = {"CR ID": cr_id, "Title": "Add SSO", "Requested By": "Ana", "Date Raised": dt.date(2026, 10, 1),
            "Status": status}
    base.update({k.replace("_", " "): v for k, v in more.items()})
    return base


# --------------------------------------------------------------------------- workflow

ALLOWED = {
    ("Draft", "Submitted"), ("Submitted", "Under Review"),
    ("Under Review", "Approved"), ("Under Review", "Rejected"), ("Under Review", "Deferred"),
    ("Deferred", "Submitted"), ("Approved", "Implemented"), ("Implemented", "Closed"),
    ("Rejected", "Closed"),
    ("Draft", "Withdrawn"), ("Submitted", "Withdrawn"), ("Under Review", "Withdrawn"), ("Deferred", "Withdrawn"),
}
PAIRS = list(itertools.product(ch.STATUSES, ch.STATUSES))


def test_transition_table_is_exactly_the_spec():
    table = {(a, b) for a, moves in ch.TRANSITIONS.items() for b in moves}
    assert table == ALLOWED
    assert set(ch.TRANSITIONS) == set(schema.LISTS["CRStatus"])


def _move(current: str, target: str) -> ch.RegisterEdit:
    reg = register(cr(status=current, Cost_Impact=0, Schedule_Impact=0))
    if target in ch.DECISION_STATUSES:
        return ch.decide(reg, "CR-0001", target, by="Board", user="u", now=NOW)
    return ch.set_status(reg, "CR-0001", target, user="u", now=NOW)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_every_pair_of_statuses(current, target):
    if (current, target) in ALLOWED:
        edit = _move(current, target)
        assert edit.cells["Status"] == target
        assert edit.row == FIRST_ROW
        status_rows = [r for r in edit.log_rows if r["Field"] == "Status"]
        assert status_rows == [
            {"Timestamp": "2026-11-27T18:05:00Z", "CR ID": "CR-0001", "Action": edit.action, "Field": "Status",
             "Old Value": current, "New Value": target, "User": "u"}
        ]
    else:
        with pytest.raises(RefusedChange) as info:
            _move(current, target)
        message = str(info.value)
        assert f"{current} -> {target}" in message
        for allowed in ch.TRANSITIONS[current]:
            assert allowed in message
        if not ch.TRANSITIONS[current]:
            assert "final" in message


def test_refusal_is_a_pmo_error_with_exit_2():
    with pytest.raises(PmoError) as info:
        _move("Draft", "Closed")
    assert info.value.exit_code == 2
    assert "allowed from Draft: Submitted, Withdrawn" in str(info.value)


def test_set_status_to_a_decision_points_to_decide():
    reg = register(cr(status="Under Review"))
    with pytest.raises(RefusedChange, match="change decide"):
        ch.set_status(reg, "CR-0001", "Approved", user="u", now=NOW)


@pytest.mark.parametrize("spelling", ["under review", "Under-Review", "UNDER_REVIEW", " Under Review "])
def test_status_spellings(spelling):
    reg = register(cr(status="Submitted"))
    assert ch.set_status(reg, "CR-0001", spelling, user="u", now=NOW).cells == {"Status": "Under Review"}


def test_unknown_status_and_unknown_cr():
    reg = register(cr(status="Submitted"))
    with pytest.raises(RefusedChange, match="not one of"):
        ch.set_status(reg, "CR-0001", "Done", user="u", now=NOW)
    with pytest.raises(RefusedChange, match="CR-0009 is not in the register"):
        ch.set_status(reg, "cr-9", "Withdrawn", user="u", now=NOW)
    with pytest.raises(RefusedChange, match="not a CR ID"):
        ch.set_status(reg, "banana", "Withdrawn", user="u", now=NOW)


def test_duplicate_cr_in_register_is_refused():
    reg = register(cr(), cr())
    with pytest.raises(RefusedChange, match="rows 5, 6"):
        ch.set_status(reg, "CR-0001", "Submitted", user="u", now=NOW)


def test_implemented_sets_implemented_date_and_note_is_logged():
    reg = register(cr(status="Approved"))
    edit = ch.set_status(reg, "CR-0001", "Implemented", user="u", now=NOW, note="went live",
                         date=dt.date(2026, 11, 20))
    assert edit.cells == {"Status": "Implemented", "Implemented Date": dt.date(2026, 11, 20)}
    assert [(r["Action"], r["Field"], r["Old Value"], r["New Value"]) for r in edit.log_rows] == [
        ("Status", "Status", "Approved", "Implemented"),
        ("Status", "Implemented Date", "", "2026-11-20"),
        ("Note", "Note", "", "went live"),
    ]


# --------------------------------------------------------------------------- IDs


def test_first_id():
    assert ch.next_cr_id(register(), log()) == "CR-0001"


def test_id_after_gaps_is_highest_plus_one():
    reg = register(cr("CR-0001"), cr("CR-0007"), cr("CR-0003"))
    assert ch.next_cr_id(reg, log()) == "CR-0008"


def test_id_only_in_log_is_never_reused():
    reg = register(cr("CR-0002"))
    assert ch.next_cr_id(reg, log("CR-0001", "CR-0002", "CR-0011")) == "CR-0012"
    # deleted from the register entirely: the log still remembers
    assert ch.next_cr_id(register(), log("CR-0004")) == "CR-0005"


def test_malformed_ids_are_ignored_and_big_numbers_grow():
    reg = register(cr("CR-9999"), cr("oops"), cr(None), cr(" cr-0005 "))
    assert ch.next_cr_id(reg, log("CR-x")) == "CR-10000"


@given(st.lists(st.integers(min_value=1, max_value=50_000), max_size=20),
       st.lists(st.integers(min_value=1, max_value=50_000), max_size=20))
def test_next_id_is_above_every_id_ever_used(in_register, in_log):
    reg = register(*[cr(ch.format_cr_id(n)) for n in in_register])
    lg = log(*[ch.format_cr_id(n) for n in in_log])
    new = ch.next_cr_id(reg, lg)
    assert re.fullmatch(r"CR-\d{4,}", new)
    assert ch.cr_number(new) == max(in_register + in_log + [0]) + 1


# --------------------------------------------------------------------------- add


def test_add_row_and_log():
    reg = register(cr("CR-0003"))
    edit = ch.add(reg, log("CR-0004"), {
        "Title": "=HYPERLINK(\"x\")", "Requested By": "Ben", "Type": "cost", "Priority": "high",
        "Cost Impact": "12,000", "Schedule Impact": 5, "Affected Tasks": "5; 3,5",
        "Funding": "contingency", "Description": "", "Owner": "Cleo",
    }, user="ana", now=NOW, known_tasks=[3, 5, 7])
    row = edit.new_change
    assert edit.cr_id == row["CR ID"] == "CR-0005"
    assert row["Status"] == "Draft"
    assert row["Date Raised"] == TODAY
    assert row["Title"] == '=HYPERLINK("x")'  # kept as the text the user typed
    assert (row["Type"], row["Priority"], row["Funding"]) == ("Cost", "High", "Contingency")
    assert (row["Cost Impact"], row["Schedule Impact"], row["Affected Tasks"]) == (12000, 5, "5, 3")
    assert row["Description"] is None
    assert set(row) == set(schema.TABLES["tblChanges"].headers)
    fields = [r["Field"] for r in edit.log_rows]
    assert fields == ["Title", "Requested By", "Date Raised", "Type", "Priority", "Cost Impact",
                      "Schedule Impact", "Affected Tasks", "Funding", "Status", "Owner"]
    assert all(r["Action"] == "Added" and r["Old Value"] == "" and r["User"] == "ana" for r in edit.log_rows)
    assert {r["Field"]: r["New Value"] for r in edit.log_rows}["Date Raised"] == "2026-11-27"
    assert {r["Field"]: r["New Value"] for r in edit.log_rows}["Cost Impact"] == "12000"


@pytest.mark.parametrize(("fields", "match"), [
    ({"Requested By": "Ben"}, "needs a Title"),
    ({"Title": "T"}, "needs a Requested By"),
    ({"Title": "T", "Requested By": "B", "Type": "Cheap"}, "type 'Cheap' is not one of"),
    ({"Title": "T", "Requested By": "B", "Funding": "Piggy bank"}, "funding"),
    ({"Title": "T", "Requested By": "B", "Cost Impact": "lots"}, "not a number"),
    ({"Title": "T", "Requested By": "B", "Affected Tasks": "3, x"}, "'x' is not a task ID"),
    ({"Title": "T", "Requested By": "B", "Affected Tasks": "3, 99"}, "99 not in the plan"),
    ({"Title": "T", "Requested By": "B", "Status": "Approved"}, "not a field you can set"),
])
def test_add_refuses_bad_input(fields, match):
    with pytest.raises(RefusedChange, match=match):
        ch.add(register(), log(), fields, user="u", now=NOW, known_tasks=[3])


# --------------------------------------------------------------------------- decisions


def test_decision_needs_decider_and_defaults_date_to_today():
    reg = register(cr(status="Under Review", Cost_Impact=0, Schedule_Impact=0))
    with pytest.raises(RefusedChange, match="needs Decision By"):
        ch.decide(reg, "CR-0001", "reject", by=" ", user="u", now=NOW)
    edit = ch.decide(reg, "CR-0001", "reject", by="Board", user="u", now=NOW, note="not now")
    assert edit.cells == {"Status": "Rejected", "Decision By": "Board", "Decision Date": TODAY,
                          "Decision Notes": "not now"}
    assert {r["Action"] for r in edit.log_rows} == {"Decision"}
    assert edit.budget_rows == []


def test_decision_before_raised_is_refused():
    reg = register(cr(status="Under Review"))
    with pytest.raises(RefusedChange, match="before Date Raised 2026-10-01"):
        ch.decide(reg, "CR-0001", "defer", by="B", user="u", now=NOW, date=dt.date(2026, 9, 30))


@pytest.mark.parametrize("missing", ["Cost Impact", "Schedule Impact"])
def test_approval_needs_both_impacts(missing):
    present = {"Cost Impact": 10, "Schedule Impact": 2}
    present.pop(missing)
    reg = register(cr(status="Under Review", **{k.replace(" ", "_"): v for k, v in present.items()}))
    with pytest.raises(RefusedChange, match=f"approval needs the {missing}"):
        ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW)
    # given as options it goes through, zero allowed
    edit = ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW, cost_impact=0, schedule_impact=0)
    assert edit.cells["Status"] == "Approved"


def test_approval_takes_impacts_from_register_and_adds_budget_line():
    reg = register(cr(status="Under Review", Cost_Impact=12000.0, Schedule_Impact=4.0,
                      Affected_Tasks="7, 3", Funding="Contingency", Title="Extra reports"))
    edit = ch.decide(reg, "CR-0001", "approve", by="Board", user="u", now=NOW, date=dt.date(2026, 11, 2))
    assert "Cost Impact" not in edit.cells and "Schedule Impact" not in edit.cells
    assert edit.budget_rows == [{"Task ID": 7, "Category": "Other", "Period": None, "Amount": 12000,
                                 "Source": "CR-0001", "Note": "Extra reports"}]
    assert edit.log_rows[-1]["Action"] == "Budget"
    assert set(edit.budget_rows[0]) == set(schema.TABLES["tblBudget"].headers)


def test_approval_option_overrides_register_and_is_logged_and_project_level():
    reg = register(cr(status="Under Review", Cost_Impact=500, Schedule_Impact=1))
    edit = ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW, cost_impact="750.5",
                     category="hardware")
    assert edit.cells["Cost Impact"] == 750.5
    assert ("Decision", "Cost Impact", "500", "750.5") in [
        (r["Action"], r["Field"], r["Old Value"], r["New Value"]) for r in edit.log_rows]
    assert edit.budget_rows[0]["Task ID"] is None
    assert edit.budget_rows[0]["Category"] == "Hardware"
    assert edit.budget_rows[0]["Amount"] == 750.5


def test_zero_cost_approval_and_rejection_add_no_budget():
    reg = register(cr(status="Under Review", Cost_Impact=0, Schedule_Impact=3))
    assert ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW).budget_rows == []
    reg = register(cr(status="Under Review", Cost_Impact=900, Schedule_Impact=3))
    assert ch.decide(reg, "CR-0001", "reject", by="B", user="u", now=NOW).budget_rows == []


def test_edit_logs_changes_and_locks_impacts_after_decision():
    reg = register(cr(status="Submitted", Owner="Ana"), cr("CR-0002", status="Approved", Cost_Impact=1))
    edit = ch.edit(reg, "CR-0001", {"Owner": "Ben", "Title": "Add SSO", "Cost Impact": 3}, user="u", now=NOW)
    assert edit.cells == {"Cost Impact": 3, "Owner": "Ben"}  # unchanged Title not logged
    assert [(r["Action"], r["Field"], r["Old Value"], r["New Value"]) for r in edit.log_rows] == [
        ("Edit", "Cost Impact", "", "3"), ("Edit", "Owner", "Ana", "Ben")]
    with pytest.raises(RefusedChange, match="can no longer change"):
        ch.edit(reg, "CR-0002", {"Cost Impact": 5}, user="u", now=NOW)
    with pytest.raises(RefusedChange, match="set by the workflow"):
        ch.edit(reg, "CR-0001", {"Status": "Closed"}, user="u", now=NOW)


# --------------------------------------------------------------------------- statistics


def hand_made_register() -> pd.DataFrame:
    d = dt.date
    return register(
        cr("CR-0001", "Draft", Date_Raised=d(2026, 11, 20)),                       # open, 7 days
        cr("CR-0002", "Submitted", Date_Raised=d(2026, 10, 1)),                    # open, 57
        cr("CR-0003", "Under Review", Date_Raised=d(2026, 8, 1)),                  # open, 118
        cr("CR-0004", "Deferred", Date_Raised=d(2026, 9, 1), Decision_Date=d(2026, 9, 11)),  # open, 87
        cr("CR-0005", "Approved", Date_Raised=d(2026, 9, 1), Decision_Date=d(2026, 9, 21),
           Cost_Impact=10000, Schedule_Impact=5, Funding="Contingency"),           # cycle 20
        cr("CR-0006", "Implemented", Date_Raised=d(2026, 7, 1), Decision_Date=d(2026, 7, 5),
           Implemented_Date=d(2026, 8, 1), Cost_Impact=2500.5, Schedule_Impact=2,
           Funding="Management Reserve"),                                          # cycle 4
        cr("CR-0007", "Closed", Date_Raised=d(2026, 6, 1), Decision_Date=d(2026, 6, 30),
           Implemented_Date=d(2026, 7, 10), Cost_Impact=1000, Schedule_Impact=0,
           Funding="New Funding"),                                                 # cycle 29
        cr("CR-0008", "Closed", Date_Raised=d(2026, 6, 1), Decision_Date=d(2026, 6, 2),
           Cost_Impact=99999, Schedule_Impact=30, Funding="Contingency"),          # rejected then closed; cycle 1
        cr("CR-0009", "Rejected", Date_Raised=d(2026, 5, 1), Decision_Date=d(2026, 5, 31),
           Cost_Impact=7, Funding="Contingency"),                                  # cycle 30
        cr("CR-0010", "Withdrawn", Date_Raised=d(2026, 5, 1)),
    )


def test_stats_on_hand_made_register():
    s = ch.change_stats(hand_made_register(), as_of=TODAY)
    assert s["total"] == 10
    assert s["by_status"] == {"Draft": 1, "Submitted": 1, "Under Review": 1, "Approved": 1, "Rejected": 1,
                              "Deferred": 1, "Implemented": 1, "Closed": 2, "Withdrawn": 1}
    assert s["open"] == {"count": 4, "mean_days": (7 + 57 + 118 + 87) / 4, "max_days": 118,
                         "buckets": {"0-30": 1, "31-60": 1, "61-90": 1, "91+": 1}}
    # decided: 5 (20), 6 (4), 7 (29), 8 (1), 9 (30) -> mean 16.8, median 20
    assert s["decision_cycle"] == {"count": 5, "mean_days": 16.8, "median_days": 20}
    assert s["approved"] == {"count": 3, "cost_impact": 13500.5, "schedule_impact": 7}
    assert s["reserves_drawn"] == {"contingency": 10000, "management_reserve": 2500.5,
                                   "new_funding": 1000, "unfunded": 0}
    rows = dict(ch.stats_table(s))
    assert rows["Approved cost impact"] == 13500.5 and rows["Open CRs"] == 4


def test_stats_empty_register_has_no_nan():
    s = ch.change_stats(register(), as_of=TODAY)
    assert s["total"] == 0 and s["open"]["mean_days"] is None and s["decision_cycle"]["median_days"] is None
    assert s["approved"]["cost_impact"] == 0


def test_reserves_remaining():
    rows = ch.reserves(hand_made_register(), {"ContingencyReserve": 50000, "ManagementReserve": 2000})
    assert rows == [
        {"reserve": "Contingency", "amount": 50000, "drawn": 10000, "remaining": 40000},
        {"reserve": "Management Reserve", "amount": 2000, "drawn": 2500.5, "remaining": -500.5},
    ]


def test_history_and_records():
    lg = log("CR-0001", "CR-0002", "cr-0001")
    assert list(ch.history(lg, "CR-0001").index) == [FIRST_ROW, FIRST_ROW + 2]
    rec = ch.change_record(hand_made_register().loc[FIRST_ROW + 5])
    assert rec["cr_id"] == "CR-0006" and rec["date_raised"] == "2026-07-01"
    assert rec["cost_impact"] == 2500.5 and rec["affected_tasks"] == [] and rec["owner"] is None


def test_reader_typed_frames_datetime64_nan_and_na():
    """The reader gives datetime64 dates, float NaN for empty numbers, NA in text columns."""
    reg = register(cr(status="Under Review", Cost_Impact=250.0, Schedule_Impact=float("nan"),
                      Affected_Tasks=pd.NA, Decision_Date=pd.NaT))
    reg["Date Raised"] = pd.to_datetime(reg["Date Raised"])
    reg["Decision Date"] = pd.to_datetime(reg["Decision Date"])
    with pytest.raises(RefusedChange, match="Schedule Impact"):
        ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW)
    edit = ch.decide(reg, "CR-0001", "approve", by="B", user="u", now=NOW, schedule_impact=0)
    assert edit.cells["Schedule Impact"] == 0
    assert [r["Old Value"] for r in edit.log_rows if r["Field"] == "Decision Date"] == [""]
    assert edit.budget_rows[0]["Task ID"] is None and edit.budget_rows[0]["Amount"] == 250
    s = ch.change_stats(reg, as_of=TODAY)
    assert s["open"]["max_days"] == (TODAY - dt.date(2026, 10, 1)).days
    rec = ch.change_record(reg.loc[FIRST_ROW])
    assert rec["date_raised"] == "2026-10-01" and rec["schedule_impact"] is None and rec["decision_date"] is None


@given(st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=12),
       st.sampled_from([",", ", ", ";", " ", " ; "]))
def test_task_ids_round_trip(ids, sep):
    assert ch.parse_task_ids(sep.join(map(str, ids))) == ids


@given(st.text(max_size=30))
def test_task_ids_never_crash(text):
    try:
        ids = ch.parse_task_ids(text)
    except RefusedChange:
        return
    assert all(isinstance(i, int) and i >= 1 for i in ids)
