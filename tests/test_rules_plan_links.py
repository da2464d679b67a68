"""PL004-PL007 on random predecessor graphs: ``plan._predecessors`` (which skips the
cycle search when no link goes to a higher task ID) against the version that always
searched (frozen in ``support.plan_before``): loops, self links, unknown and malformed
predecessors, empty and repeated task IDs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.plan import _Plan, _predecessors
from support.books import make_book, task
from support.plan_before import _predecessors as _predecessors_before

_load_families()

LINK = st.one_of(st.integers(1, 9).map(str), st.sampled_from(["3SS+1", "2FF", "x", "0", "99", "4XS", "1, 1"]))
row_st = st.fixed_dictionaries({
    "id": st.one_of(st.integers(1, 8), st.none()),
    "preds": st.one_of(st.none(), st.lists(LINK, min_size=1, max_size=3).map(", ".join)),
})


def _tuples(findings):
    return [(f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint) for f in findings]


@settings(max_examples=300, deadline=None)
@given(st.lists(row_st, max_size=10))
def test_predecessor_checks_match_the_full_search(rows):
    plan = []
    for r in rows:
        row = task(1, preds=r["preds"])
        row["ID"] = r["id"]
        plan.append(row)
    ctx = RuleContext(make_book(plan_rows=plan))
    assert _tuples(_predecessors(ctx, _Plan(ctx))) == _tuples(_predecessors_before(ctx, _Plan(ctx)))


def test_a_loop_through_a_higher_id_is_found():
    plan = [task(1, preds="3"), task(2, preds="1"), task(3, preds="2"), task(4, preds="2")]
    ctx = RuleContext(make_book(plan_rows=plan))
    got = _tuples(_predecessors(ctx, _Plan(ctx)))
    assert [f[1] for f in got] == ["PL007"]
    assert got == _tuples(_predecessors_before(ctx, _Plan(ctx)))


start_st = st.fixed_dictionaries({
    "id": st.one_of(st.integers(1, 6), st.none()),
    "start": st.sampled_from(["2026-01-05", "2026-01-06", "2026-01-12", "2026-01-20"]),
    "preds": st.one_of(st.none(), st.integers(1, 6).map(str), st.just("2FS+5")),
    "actual": st.sampled_from([None, "2026-01-05"]),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(start_st, max_size=8), st.sampled_from([None, "2026-01-07"]))
def test_logic_start_matches_the_by_id_walk(rows, status_date):
    from pmo_xl.engine.rules.plan import _logic_start
    from support.plan_before import _logic_start as _logic_start_before

    plan = []
    for r in rows:
        row = task(1, start=r["start"], finish=r["start"], preds=r["preds"], Actual_Start=r["actual"],
                   status="In Progress" if r["actual"] else "Not Started")
        row["ID"] = r["id"]
        plan.append(row)
    ctx = RuleContext(make_book(plan_rows=plan, settings={"StatusDate": status_date}))
    t = _Plan(ctx)
    assert _tuples(_logic_start(ctx, t)) == _tuples(_logic_start_before(ctx, _Plan(ctx)))
    by_id = [(tid, row) for tid, row in zip(ctx.plan_by_id.index.tolist(), ctx.plan_by_id["row"].tolist())]
    assert [(tid, row) for tid, row, _k in t.by_id(ctx)] == by_id
