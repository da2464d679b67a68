"""FN rules read the first plan row of each task ID from the context's cached arrays
(``_FirstRows``); that must be exactly what ``RuleContext.plan_by_id`` holds, whatever
the IDs (repeated, empty, zero, negative, beyond 2**53)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.finance import _FirstRows
from support.books import make_book, task

ID = st.one_of(st.none(), st.integers(1, 8), st.sampled_from([0, -3, 2 ** 53 + 1, 2 ** 60]))
ROW = st.tuples(ID, st.sampled_from(["Task", "Summary", "Milestone", None]),
                st.sampled_from(["Complete", "In Progress", None]),
                st.sampled_from([None, "2026-01-07", "2026-01-09"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=12))
def test_first_rows_are_plan_by_id(rows):
    plan = []
    for k, (tid, typ, status, finish) in enumerate(rows):
        r = task(1, f"{k + 1}", f"T{k}", type=typ or "Task", start="2026-01-05", finish="2026-01-09", status=status)
        r["ID"], r["Type"], r["Actual Finish"] = tid, typ, finish
        plan.append(r)
    ctx = RuleContext(make_book(plan_rows=plan), None)
    got = _FirstRows(ctx)
    pb = RuleContext(make_book(plan_rows=plan), None).plan_by_id
    assert got.index.tolist() == pb.index.tolist()
    assert got.index.dtype == pb.index.dtype
    assert got.row.tolist() == pb["row"].tolist()
    for mine, theirs in ((got.type, pb["Type"]), (got.status, pb["Status"]), (got.finish, pb["Actual Finish"])):
        assert list(map(str, mine.tolist())) == list(map(str, theirs.to_numpy().tolist()))
        assert mine.dtype == theirs.to_numpy().dtype
    for tid in got.index.tolist():
        assert got.row_of(tid) == pb.at[tid, "row"]
