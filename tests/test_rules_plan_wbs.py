"""PL008-PL011 (WBS codes, summaries spanning their children): the one-regex check and
the sorted-codes search of ``plan._wbs`` against the walk over every code's prefixes it
replaced (frozen in ``support.plan_wbs_before``), on random plans: malformed, duplicated,
missing and empty codes, Unicode digits, summaries without children or dates, ties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.plan import _Plan, _wbs
from support.books import make_book, task
from support.plan_before import _wbs as _wbs_before

_load_families()

DAYS = [None, "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-09", "2026-01-12"]
CODES = ["1", "1.1", "1.2", "1.1.1", "1.1.2", "1.10", "1.2.1", "2", "2.1", "2.1.1", "10", "10.1", "01", "01.1",
         "3.1", "3.1.1", "1.a", "1..2", "1.", ".1", "x", " ", "", None, "١", "١.١", "1²", "1.1\n", "1\n1"]


def _tuples(findings):
    return [(f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint) for f in findings]


def _rows(draw_rows):
    plan = []
    for k, r in enumerate(draw_rows):
        start = r["start"] or "2026-01-05"
        row = task(r["id"], r["wbs"] if r["wbs"] is not None else "", type=r["type"] or "Task", start=start,
                   finish=r["finish"] or start, duration=1.0)
        row["WBS"] = r["wbs"]
        row["Type"] = r["type"]
        row["Start"], row["Finish"] = r["start"], r["finish"]
        plan.append(row)
    return plan


row_st = st.fixed_dictionaries({
    "id": st.integers(1, 30),
    "wbs": st.sampled_from(CODES),
    "type": st.sampled_from(["Summary", "Summary", "Task", "Milestone", None]),
    "start": st.sampled_from(DAYS),
    "finish": st.sampled_from(DAYS),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(row_st, max_size=25), st.booleans(), st.randoms(use_true_random=False))
def test_wbs_checks_match_the_prefix_walk(rows, errors_only, rnd):
    book = make_book(plan_rows=_rows(rows))
    if rnd.random() < 0.3:  # Excel rows not in ascending order (ties then broken by row)
        frame = book.tables["tblPlan"].frame
        labels = list(frame.index)
        rnd.shuffle(labels)
        frame.index = labels
    ctx = RuleContext(book, errors_only=errors_only)
    assert _tuples(_wbs(ctx, _Plan(ctx))) == _tuples(_wbs_before(ctx, _Plan(ctx)))


def test_empty_plan_and_no_code():
    for rows in ([], [{"id": 1, "wbs": None, "type": "Summary", "start": None, "finish": None}]):
        ctx = RuleContext(make_book(plan_rows=_rows(rows)))
        assert _wbs(ctx, _Plan(ctx)) == _wbs_before(ctx, _Plan(ctx)) == []


def test_a_deep_tree_with_ties():
    rows = [{"id": k + 1, "wbs": c, "type": t, "start": s, "finish": f} for k, (c, t, s, f) in enumerate([
        ("1", "Summary", "2026-01-07", "2026-01-07"), ("1.1", "Summary", "2026-01-06", "2026-01-09"),
        ("1.1.1", "Task", "2026-01-05", "2026-01-12"), ("1.1.2", "Task", "2026-01-05", "2026-01-12"),
        ("1.2", "Task", "2026-01-05", None), ("1.1", "Summary", None, None), ("2", "Summary", "2026-01-05", "2026-01-05"),
        ("2.1.1", "Task", "2026-01-06", "2026-01-06"), ("1.10", "Task", "2026-01-05", "2026-01-12")])]
    ctx = RuleContext(make_book(plan_rows=_rows(rows)))
    got = _tuples(_wbs(ctx, _Plan(ctx)))
    assert got == _tuples(_wbs_before(ctx, _Plan(ctx)))
    assert [f[1] for f in got].count("PL010") >= 4


def test_ties_go_to_the_first_excel_row_when_rows_are_not_in_order():
    rows = [{"id": k + 1, "wbs": c, "type": t, "start": s, "finish": s} for k, (c, t, s) in enumerate([
        ("1", "Summary", "2026-01-07"), ("1.1", "Task", "2026-01-05"), ("1.2", "Task", "2026-01-05")])]
    book = make_book(plan_rows=_rows(rows))
    book.tables["tblPlan"].frame.index = [5, 9, 7]  # 1.2 sits above 1.1
    ctx = RuleContext(book)
    got = _tuples(_wbs(ctx, _Plan(ctx)))
    assert got == _tuples(_wbs_before(ctx, _Plan(ctx)))
    assert [f[5] for f in got if f[3].startswith("G")] == ["Plan!G5: summary 1 starts on 2026-01-07 but its child 3 starts on 2026-01-05."]
