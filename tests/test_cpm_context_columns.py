"""The schedule read off the rule context's columns (``schedule_plan(..., columns=)``, what
``RuleContext.cpm`` does: arrays and text codes instead of the frame's columns, each
distinct Predecessors text parsed once) is the schedule of the frame itself — on random
plans (tests/test_cpm_columns.py's), every text column coded or not, rows without a
whole ID; and Predecessors parsed part by part (each part remembered) as before
(tests/support/links_before.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.engine import cpm, links
from pmo_xl.engine.rules._context import RuleContext, _codes_of, _normalise
from pmo_xl.model import Book, TableData
from support import links_before
from test_cpm_columns import ROW, calendar, fields_of, frame_of, result_of

TEXT_COLUMNS = [c.name for c in schema.TABLES["tblPlan"].columns if c.kind not in ("date", "datetime", "int", "number", "percent", "bool")]


def _normalised_plan(rows: list[dict]) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, tuple[np.ndarray, list[str]]]]:
    """The plan as the rule context holds it: frame, read-only arrays, codes of every text column."""
    codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    arrays: dict[str, np.ndarray] = {}
    pending: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    frame = _normalise(frame_of(rows, reader=True), schema.TABLES["tblPlan"], codes, arrays, pending)
    codes.update({name: _codes_of(values) for name, (values, _missing) in pending.items()})
    arrays = {name: arrays.get(name, frame[name].to_numpy()) for name in frame.columns}
    return frame, arrays, codes


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(ROW, min_size=0, max_size=14), coded=st.sets(st.sampled_from(TEXT_COLUMNS)),
       country=st.sampled_from([None, "DE"]),
       status=st.sampled_from([None, dt.date(2025, 12, 10), dt.date(2026, 1, 9), dt.date(2026, 2, 20)]))
def test_schedule_of_the_context_columns_is_the_frame_schedule(rows, coded, country, status):
    frame, arrays, codes = _normalised_plan(rows)
    columns = cpm.PlanColumns(arrays.__getitem__, lambda name: codes[name] if name in coded else None)
    new = cpm.schedule_plan(frame, calendar(country), status_date=status, columns=columns)
    old = cpm.schedule_plan(frame, calendar(country), status_date=status)
    assert result_of(new) == result_of(old)
    for t in new.tasks[:3]:  # the network kept for the what-if is the same too
        assert new.delayed_finish(t.id, 4) == old.delayed_finish(t.id, 4)
    plan, names, problems = cpm._plan_columns(frame, calendar(country), with_names=True, columns=columns)
    plan_old, names_old, problems_old = cpm._plan_columns(frame, calendar(country), with_names=True)
    # (a blank cell's links: () from the codes, [] from parse_predecessors(NaN): both none)
    plan.links, plan_old.links = list(map(tuple, plan.links)), list(map(tuple, plan_old.links))
    assert (fields_of(plan), names, problems) == (fields_of(plan_old), names_old, problems_old)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=14))
def test_rule_context_cpm_is_the_frame_schedule(rows):
    book = Book("t.xlsx", {"StartDate": dt.datetime(2025, 12, 15), "StatusDate": dt.datetime(2026, 1, 9)},
                tables={"tblPlan": TableData("tblPlan", "Plan", frame_of(rows, reader=True), {"ID": "A"})})
    for ask_codes in (False, True):
        ctx = RuleContext(book)
        if ctx.calendar is None or ctx.plan.empty:
            assert ctx.cpm is None
            return
        if ask_codes:  # the rules have coded the text columns first (as table_values does)
            for name in TEXT_COLUMNS:
                ctx.codes("tblPlan", name)
        plan = ctx.plan
        plan = plan[plan["ID"].notna()]
        assert result_of(ctx.cpm) == result_of(cpm.schedule_plan(plan, ctx.calendar, status_date=ctx.status_date))


PART = st.one_of(
    st.tuples(st.integers(0, 30), st.sampled_from(["", "FS", "ss", "Ff", "SF", "XX"]),
              st.sampled_from(["", "+2", "-1", "+5d", "- 3 days", "+1.5", "+2w", "+0"]), st.sampled_from(["", " ", "  "]))
    .map(lambda p: f"{p[3]}{p[0]}{p[3]}{p[1]}{p[2]}{p[3]}"),
    st.sampled_from(["", " ", "x", "4w", "1.5", "٣", "007", "3 FS + 2 d"]),
)


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(PART, min_size=1, max_size=5), separators=st.lists(st.sampled_from([",", ";", ", ", " ; "]), min_size=4, max_size=4))
def test_predecessors_parse_as_before(parts, separators):
    text = parts[0] + "".join(s + p for s, p in zip(separators, parts[1:]))
    for _ in range(2):  # parsed, then remembered
        got, problems = links.parse_predecessors(text)
        want, want_problems = links_before.parse_predecessors(text)
        assert [fields_of(link) for link in got] == [fields_of(link) for link in want]
        assert [fields_of(p) for p in problems] == [fields_of(p) for p in want_problems]
        assert [str(link) for link in got] == [str(link) for link in want]
