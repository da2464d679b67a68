"""CR rules on distinct values: the log's Action/Field, the budget's Source and the
affected tasks read once per distinct text, against the row-by-row versions they
replaced (frozen in ``support.changes_before``) and ``parse_task_ids``, on random
registers, logs and budgets (odd spellings, blanks, unknown and repeated CR IDs)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.changes import parse_task_ids
from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.changes import T, _against_log, _budget_sources, _orphan_log, _task_ids
from pmo_xl.errors import RefusedChange
from support import changes_before as before
from support.books import make_book, task

_load_families()

CRS = [None, "CR-0001", "CR-0002", "CR-0003", "CR-0009", "cr-0002", "Original", " CR-0001 "]
STATUSES = [None, "Approved", "Implemented", "Closed", "Draft", "Rejected", "Under Review"]
ACTIONS = [None, "Added", "added", " Add ", "Status", "Decided", "Edit"]
FIELDS = [None, "Status", "status ", " STATUS", "Cost Impact", ""]

register_st = st.lists(st.fixed_dictionaries({
    "CR ID": st.sampled_from(CRS), "Status": st.sampled_from(STATUSES),
    "Cost Impact": st.sampled_from([None, 0.0, 100.0]),
}), max_size=6)
log_st = st.lists(st.fixed_dictionaries({
    "Timestamp": st.sampled_from([None, "2026-01-05T10:00", "2026-01-06T09:00", "2026-01-05T10:00"]),
    "CR ID": st.sampled_from(CRS), "Action": st.sampled_from(ACTIONS), "Field": st.sampled_from(FIELDS),
    "New Value": st.sampled_from(STATUSES + [" Approved "]),
}), max_size=10)
budget_st = st.lists(st.fixed_dictionaries({
    "Task ID": st.just(1), "Category": st.just("Labour"), "Amount": st.just(1.0), "Source": st.sampled_from(CRS),
}), max_size=6)


def _tuples(findings):
    return [(f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint) for f in findings]


@settings(max_examples=300, deadline=None)
@given(register_st, log_st, budget_st)
def test_log_and_budget_checks_match_row_by_row(register, log, budget):
    book = make_book(plan_rows=[task(1)], changes=register, changelog=log, budget=budget)
    ctx = RuleContext(book)
    rows = ctx.rows(T).tolist()
    ids = ctx.array(T, "CR ID").tolist()
    status = ctx.array(T, "Status").tolist()
    approved = [s in ("Approved", "Implemented") for s in status]
    cost = ctx.array(T, "Cost Impact")
    assert _tuples(_budget_sources(ctx, rows, ids, status, approved, cost)) == \
        _tuples(before._budget_sources(ctx, rows, ids, status, approved, cost))
    assert _tuples(_against_log(ctx, rows, ids, status)) == _tuples(before._against_log(ctx, rows, ids, status))
    reg = ctx.frame(T)
    assert _tuples(_orphan_log(ctx, reg)) == _tuples(before._orphan_log(ctx, reg))


PARTS = ["1", "2", "0", "07", "12", ",", ";", " ", "\t", "\u00a0", "\u2003", "x", "-1", "1.0", "1e2", "١", "+3",
         "\n", "00", "1_0", "\x1c", "9" * 20]


def _read(parse, text):
    try:
        return parse(text)
    except RefusedChange as exc:
        return exc.message


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PARTS), min_size=1, max_size=6).map("".join))
def test_task_ids_is_parse_task_ids(text):
    assert _read(_task_ids, text) == _read(parse_task_ids, text)
