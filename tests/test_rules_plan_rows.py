"""PL rules row by row: the array checks of ``plan_rules`` against a plain per-row reading
of the rules (random plans: empty Type/Status/% Complete/dates, out-of-range percentages,
duplicated task IDs)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.plan import plan_rules
from support.books import make_book, task

_load_families()

DAYS = [None] + [f"2026-01-{d:02d}" for d in (5, 6, 7, 8, 9, 12, 13)]
TYPES = ["Task", "Milestone", "Summary", None]
STATUSES = ["Not Started", "In Progress", "Complete", "On Hold", "Cancelled", None]
PCTS = [None, -0.1, 0.0, 0.3, 1.0, 1.5]

row_st = st.fixed_dictionaries({
    "type": st.sampled_from(TYPES),
    "status": st.sampled_from(STATUSES),
    "pct": st.sampled_from(PCTS),
    "start": st.sampled_from(DAYS[1:]),
    "finish": st.sampled_from(DAYS[1:]),
    "duration": st.sampled_from([None, 0.0, 1.0, 3.0]),
    "a_s": st.sampled_from(DAYS),
    "a_f": st.sampled_from(DAYS),
    "id": st.integers(1, 12),
})

PROGRESS = {"PL001", "PL003", "PL012", "PL013", "PL014", "PL015", "PL016", "PL017", "PL018"}
LETTER = {"Finish": "H", "Duration": "F", "% Complete": "N", "Actual Start": "O", "Actual Finish": "P", "Status": "Q"}


def _plan(rows):
    return [task(r["id"], str(k + 1), start=r["start"], finish=r["finish"], duration=r["duration"],
                 type=r["type"], status=r["status"], pct=r["pct"], Actual_Start=r["a_s"], Actual_Finish=r["a_f"])
            for k, r in enumerate(rows)]


def _expected(rows):
    """(rule, cell) in plan_rules' order: each rule's rows in plan order."""
    out = []

    def each(rule, col, test):
        out.extend((rule, f"{LETTER[col]}{k + 5}") for k, r in enumerate(rows) if test(k, r))

    def day(v):
        return pd.Timestamp(v) if v else None

    def pct(r):
        return r["pct"]

    def work(r):
        return r["type"] != "Summary"

    def in_range(r):
        return pct(r) is not None and 0 <= pct(r) <= 1

    def done(r):
        return r["status"] in ("Complete", "Cancelled")

    each("PL001", "Finish", lambda k, r: day(r["finish"]) < day(r["start"]))
    each("PL003", "Duration", lambda k, r: r["type"] == "Milestone" and r["duration"] not in (None, 0))
    each("PL012", "% Complete", lambda k, r: pct(r) is not None and not 0 <= pct(r) <= 1)
    each("PL013", "% Complete", lambda k, r: work(r) and pct(r) == 1 and r["status"] is not None and not done(r))
    each("PL014", "Actual Finish", lambda k, r: work(r) and r["status"] == "Complete" and not r["a_f"])
    each("PL014", "% Complete", lambda k, r: work(r) and r["status"] == "Complete" and r["a_f"] and in_range(r) and pct(r) < 1)
    each("PL015", "Actual Start", lambda k, r: work(r) and not r["a_s"] and (
        r["status"] == "In Progress" or (in_range(r) and pct(r) > 0) or r["a_f"]))
    status_16 = [work(r) and bool(r["a_f"]) and r["status"] is not None and not done(r) for r in rows]
    each("PL016", "Status", lambda k, r: status_16[k])
    each("PL016", "% Complete", lambda k, r: work(r) and r["a_f"] and not done(r) and in_range(r) and pct(r) < 1
         and not status_16[k])
    each("PL017", "Status", lambda k, r: work(r) and r["status"] in (None, "Not Started") and not r["a_f"] and (
        (in_range(r) and pct(r) > 0) or r["a_s"]))
    each("PL018", "Actual Finish", lambda k, r: bool(r["a_s"] and r["a_f"]) and day(r["a_f"]) < day(r["a_s"]))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(row_st, min_size=1, max_size=12))
def test_progress_and_date_rules_match_a_row_by_row_reading(rows):
    book = make_book(plan_rows=_plan(rows), settings={"StatusDate": None})
    got = [(f.rule, f.cell) for f in plan_rules(RuleContext(book)) if f.rule in PROGRESS]
    assert got == _expected(rows)


def test_empty_type_is_a_task_and_a_duplicated_id_reports_its_first_row():
    rows = [task(1, "1", start="2026-01-05", finish="2026-01-09", duration=3, type=None, owner=None),
            task(2, "2", start="2026-01-12", preds="3"),
            task(3, "3", start="2026-01-13", preds="2"),
            task(3, "4", start="2026-01-14", preds="2")]
    fs = plan_rules(RuleContext(make_book(plan_rows=rows)))
    by_rule = {}
    for f in fs:
        by_rule.setdefault(f.rule, []).append((f.cell, f.key))
    assert by_rule["PL002"] == [("F5", "1")]  # an empty Type is checked as a Task
    assert by_rule["PL022"] == [("E5", "1")]
    assert by_rule["PL007"] == [("I6", "2")]  # the loop 2 → 3 → 2 through the first row of ID 3
    assert "dependency cycle 2 → 3 → 2" in [f.message for f in fs if f.rule == "PL007"][0]
