"""DT rules on the context's arrays: the row keys, the "no repeat" and "all in the list"
shortcuts and the required-value check against the pandas readings they replace, on
random tables (empty cells, blanks, repeated and odd texts, cells the reader could not
type, keys that are dates)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext, fmt
from pmo_xl.engine.rules.data import _all_allowed, _may_repeat, _required, _row_keys, row_key
from pmo_xl.model import CellIssue
from support.books import make_book, task

_load_families()

TEXTS = [None, "", "  ", "Task", "Summary", "Milestone", "task", " Task ", "Ann", "Bob", "1.1", "1.2", "1.1"]
DAYS = [None, "2026-01-05", "2026-01-06", "2026-01-07"]

plan_st = st.lists(st.fixed_dictionaries({
    "id": st.one_of(st.none(), st.integers(1, 8)),
    "wbs": st.sampled_from(TEXTS),
    "type": st.sampled_from(TEXTS),
    "owner": st.sampled_from(TEXTS),
    "task": st.sampled_from(TEXTS),
}), max_size=12)
people_st = st.lists(st.fixed_dictionaries({"Person": st.sampled_from(TEXTS), "Rate": st.sampled_from([None, 1.0, -2.0])}), max_size=6)
holidays_st = st.lists(st.fixed_dictionaries({"Date": st.sampled_from(DAYS), "Name": st.sampled_from(TEXTS)}), max_size=5)


def _book(plan, people, holidays, issue_rows):
    rows = []
    for r in plan:
        row = task(r["id"] or 1, "1")
        row.update({"ID": r["id"], "WBS": r["wbs"], "Type": r["type"], "Owner": r["owner"], "Task": r["task"]})
        rows.append(row)
    issues = [CellIssue("Plan", "", "tblPlan", column, 5 + k, "x", "text", "m") for k, column in issue_rows]
    return make_book(plan_rows=rows, resources=people, holidays=holidays, issues=issues)


def _same(a, b):
    """Equal lists, NaN equal to NaN, each value of the same type."""
    return [(type(v), repr(v)) for v in a] == [(type(v), repr(v)) for v in b]


@settings(max_examples=200, deadline=None)
@given(plan_st, people_st, holidays_st, st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["Task", "WBS", "ID"])), max_size=4))
def test_array_readings_match_pandas(plan, people, holidays, issue_rows):
    ctx = RuleContext(_book(plan, people, holidays, issue_rows))
    for name in ("tblPlan", "tblResources", "tblHolidays"):
        frame = ctx.frame(name)
        spec = schema.TABLES[name]
        positions = np.arange(len(frame))[::-1]
        k = row_key(name)
        assert _same(_row_keys(ctx, name, positions), frame[k].iloc[positions].tolist())
        for col in spec.columns:
            s = frame[col.name]
            if col.unique:
                repeats = bool(s[s.notna()].duplicated().any())
                assert _may_repeat(ctx, name, col.name) == repeats or (repeats is False and col.kind in ("date", "number", "int"))
            if col.kind == "choice":
                allowed = schema.LISTS[col.choices]
                assert _all_allowed(ctx.array(name, col.name), allowed) == (not (s.notna() & ~s.isin(allowed)).any())
            if col.required:
                expected = [(name, col.name, row, fmt(frame[k].at[row]) if k else "") for row in s.index[s.isna()]
                            if (name, int(row), col.name) not in ctx.issue_cells]
                got = [(name, col.name, int(f.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), f.key) for f in _required(ctx, name, col)]
                assert got == [(n, c, int(r), key) for n, c, r, key in expected]


def test_all_allowed_on_numbers_and_nan_only():
    assert _all_allowed(np.array([np.nan, float("nan")], dtype=object), ["Task"])
    assert not _all_allowed(np.array([1.0, 2.0]), ["Task"])
    assert not _all_allowed(np.array(["Task", "Other"], dtype=object), ["Task"])
    assert _all_allowed(np.array([], dtype=object), ["Task"])
    assert pd.isna(np.nan)


raw_st = st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 9)), st.sampled_from([None, "a", " b ", "CR-0001"]),
                            st.sampled_from([None, "2026-01-05"]), st.sampled_from([None, 1.5, 2.0])), max_size=8)


@settings(max_examples=200, deadline=None)
@given(raw_st, st.integers(0, 14), st.sampled_from(["ID", "Text", "Day", "Number", "Gone"]), st.booleans())
def test_raw_key_is_at(rows, row, k, shifted):
    from pmo_xl.engine.rules.data import _raw_key

    frame = pd.DataFrame({
        "ID": pd.array([r[0] for r in rows], dtype="Int64"),
        "Text": pd.Series([r[1] for r in rows], dtype="str"),
        "Day": pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object)),
        "Number": pd.Series([r[3] for r in rows], dtype="float64"),
    })
    frame.index = pd.Index(range(5, 5 + len(rows))) if shifted else pd.Index([5 + 2 * j for j in range(len(rows))], name="row")
    expected = fmt(frame.at[row, k]) if k in frame.columns and row in frame.index else ""
    assert _raw_key(frame, k, row) == expected
    assert _raw_key(frame, None, row) == ""
