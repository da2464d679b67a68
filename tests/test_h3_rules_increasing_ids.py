"""The rules skip ``np.unique`` when the plan's task IDs are in increasing order (as plans
number them): each row is then its ID's first. Those fast paths must give what
``np.unique``'s first occurrences give, whatever the IDs (gaps, empty cells, repeats,
-0.0 and 0.0, inf, beyond 2**53), in order or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.data import _may_repeat
from pmo_xl.engine.rules.finance import _FirstRows
from pmo_xl.engine.rules.plan import _Plan
from support.books import make_book, task

VALUE = st.one_of(st.integers(-3, 40).map(float), st.sampled_from([np.nan, 0.0, -0.0, np.inf, 2.0 ** 53 + 2, 2.0 ** 62, 1.5]))


@st.composite
def ids(draw) -> np.ndarray:
    """Mostly increasing IDs (sorted, with gaps and empty cells), sometimes shuffled."""
    values = sorted(draw(st.lists(VALUE, max_size=14)), key=lambda v: (v != v, v))
    if draw(st.booleans()):
        values = draw(st.permutations(values))
    return np.array(values, dtype=float)


def _first_ks_before(values: np.ndarray) -> np.ndarray | None:
    ks = np.flatnonzero(~np.isnan(values))
    known = values[ks]
    if len(known) and not (np.isfinite(known).all() and np.abs(known).max() < 2.0 ** 62):
        return None
    return ks[np.sort(np.unique(known, return_index=True)[1])] if len(ks) else ks


def _plan_rows(values: np.ndarray) -> list[dict]:
    """Plan rows with these task IDs (NaN: an empty ID cell)."""
    plan = []
    for k, tid in enumerate(values.tolist()):
        r = task(1, f"{k + 1}", f"T{k}", start="2026-01-05", finish="2026-01-09")
        r["ID"] = None if tid != tid else tid
        plan.append(r)
    return plan


def _context_of(values: np.ndarray) -> RuleContext:
    """A context whose plan's ID column is exactly these floats, inf and 1.5 included (a
    real context: the compiled rules take no stand-in object)."""
    book = make_book(plan_rows=_plan_rows(np.full(len(values), np.nan)))
    table = book.tables["tblPlan"]
    table.frame = table.frame.assign(ID=values)
    ctx = RuleContext(book, None)
    got = ctx.array("tblPlan", "ID")
    assert np.array_equal(got, values, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(values))
    return ctx


@settings(max_examples=300, deadline=None)
@given(ids())
def test_first_ks_is_np_unique_first_occurrences(values):
    got = _Plan(_context_of(values)).first_ks()
    want = _first_ks_before(values)
    assert (got is None) == (want is None)
    if want is not None:
        assert got.tolist() == want.tolist()


@settings(max_examples=150, deadline=None)
@given(ids())
def test_first_rows_are_plan_by_id(values):
    plan = _plan_rows(values)
    try:
        pb = RuleContext(make_book(plan_rows=plan), None).plan_by_id
    except Exception as exc:  # (IDs pandas cannot make int64 of: the same error both ways)
        try:
            _FirstRows(RuleContext(make_book(plan_rows=plan), None))
        except Exception as mine:
            assert type(mine) is type(exc)
            return
        raise AssertionError("no error") from exc
    got = _FirstRows(RuleContext(make_book(plan_rows=plan), None))
    assert got.index.tolist() == pb.index.tolist()
    assert got.row.tolist() == pb["row"].tolist()


@settings(max_examples=200, deadline=None)
@given(ids())
def test_may_repeat_on_increasing_ids(values):
    ctx = _context_of(values)
    present = values[~np.isnan(values)]
    assert _may_repeat(ctx, "tblPlan", "ID") == (len(np.unique(present)) < len(present))
