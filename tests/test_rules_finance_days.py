"""FN006, FN017 (hours a person books on a day) and FN011 (duplicate bookings): the
timesheet check that skips the (person, day) groups when no day can be over 24 hours or
a capacity, against the version that always grouped (frozen in
``support.finance_before``), on random timesheets: capacities and HoursPerDay, fractional
hours whose sums are not exact, empty cells, repeated rows, rows out of order."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules import _load_families
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.finance import _Columns, _factorize_ids, _FirstRows, _timesheet
from support import finance_before as before
from support.books import make_book, task

_load_families()

booking_st = st.fixed_dictionaries({
    "Date": st.sampled_from([None, "2026-01-05", "2026-01-06", "2026-01-07"]),
    "Person": st.sampled_from([None, "Ann", "Bob", "Cy"]),
    "Task ID": st.sampled_from([None, 1, 2]),
    "Hours": st.sampled_from([None, 1.0, 4.0, 8.0, 9.5, 16.0, 25.0, 0.1, 0.7]),
})
people_st = st.lists(st.fixed_dictionaries({
    "Person": st.sampled_from(["Ann", "Bob", "Cy"]), "Rate": st.just(10.0),
    "Capacity": st.sampled_from([None, 4.0, 8.0, 30.0, 0.0]),
}), max_size=3)


def _tuples(findings):
    return [(f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint) for f in findings]


@settings(max_examples=300, deadline=None)
@given(st.lists(booking_st, max_size=14), people_st, st.sampled_from([None, 6, 8]), st.booleans(), st.booleans())
def test_timesheet_checks_match_the_full_grouping(bookings, people, hpd, errors_only, shuffled):
    book = make_book(plan_rows=[task(1), task(2)], timesheet=bookings, resources=people,
                     settings={"HoursPerDay": hpd, "StatusDate": "2026-01-09"})
    if shuffled and bookings:
        frame = book.tables["tblTimesheet"].frame
        frame.index = list(frame.index)[::-1]
    got = []
    for fn in (_timesheet, before._timesheet):
        ctx = RuleContext(book, errors_only=errors_only)
        cols = _Columns(ctx)
        tasks = _factorize_ids(cols.array("tblTimesheet", "Task ID"))
        people_set = {p for p in cols.people() if isinstance(p, str)}
        status = ctx.status_ts
        start = pd.Timestamp(ctx.start_date) if ctx.start_date else None
        ts = ctx.frame("tblTimesheet")
        got.append(_tuples(fn(ctx, cols, ts, tasks, people_set, _FirstRows(ctx), status, start)) if len(ts) else [])
    assert got[0] == got[1]
