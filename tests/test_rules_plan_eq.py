"""``_Plan.eq``: comparisons of the plan's text columns made once and only for the
values a column holds, against ``array == value`` on random columns (empty cells,
odd spellings, values absent from the column, several values at once)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.plan import _Plan
from support.books import make_book, task

_load_families()

STATUS = [None, "Complete", "Cancelled", "In Progress", "Not Started", "On Hold", "complete", " Complete"]
CONSTRAINT = [None, "ASAP", "ALAP", "SNET", "MSO", "mso", "FNLT"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STATUS), st.sampled_from(CONSTRAINT)), max_size=10),
       st.lists(st.tuples(st.sampled_from(["Status", "Constraint"]), st.lists(st.sampled_from(STATUS + CONSTRAINT[1:]), max_size=3)),
                max_size=6))
def test_eq_is_array_comparison(rows, asks):
    plan = [task(k + 1, status=s, Constraint=c) for k, (s, c) in enumerate(rows)]
    for row, (s, c) in zip(plan, rows):
        row["Status"], row["Constraint"] = s, c
    ctx = RuleContext(make_book(plan_rows=plan))
    t = _Plan(ctx)
    for col, values in asks:
        values = [v for v in values if v is not None]
        expected = np.zeros(t.n, dtype=bool)
        for v in values:
            expected |= t.text[col] == v
        got = t.eq(col, *values)
        assert got.tolist() == expected.tolist()
        got |= True  # a new array each time: the remembered comparisons stay as they are
        assert t.eq(col, *values).tolist() == expected.tolist()
