"""actuals(): when every line is dated on or before the status date, the counted lines
are the arrays themselves (no masked copies); the same lines as the masked path gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pmo_xl.engine.finance import actuals, rollup
from support.frames import frame

PEOPLE = ["Ana", " Bo ", "Cy", "Dee", None, ""]
FIELDS = ("timesheet", "date", "task", "person", "category", "hours", "amount")


def _tables(ts_rows, co_rows):
    day0 = dt.date(2026, 3, 2)
    timesheet = frame("tblTimesheet", [
        {"Date": None if d is None else np.datetime64(day0 + dt.timedelta(d)), "Person": p, "Task ID": t, "Hours": h}
        for d, p, t, h in ts_rows])
    costs = frame("tblCosts", [
        {"Date": None if d is None else np.datetime64(day0 + dt.timedelta(d)), "Task ID": t, "Category": c, "Amount": a}
        for d, t, c, a in co_rows])
    resources = frame("tblResources", [{"Person": "Ana", "Rate": 100.0}, {"Person": "Bo", "Rate": 80.0, "Category": "Contractors"},
                                       {"Person": "Cy"}])
    return timesheet, costs, resources


day = st.one_of(st.none(), st.integers(0, 40))
task = st.one_of(st.none(), st.integers(1, 5))
hours = st.one_of(st.just(float("nan")), st.floats(-10, 10, allow_nan=False))


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(day, st.sampled_from(PEOPLE), task, hours), max_size=12),
       st.lists(st.tuples(day, task, st.sampled_from(["Travel", None, " "]), hours), max_size=5),
       st.integers(0, 45))
def test_counted_lines_are_the_masked_lines_of_a_later_status(ts_rows, co_rows, cut):
    timesheet, costs, resources = _tables(ts_rows, co_rows)
    late = np.datetime64("2030-01-01")  # every dated line counted: the arrays themselves (undated: masked)
    status = np.datetime64(dt.date(2026, 3, 2) + dt.timedelta(cut))
    all_in, excluded_all, _ = actuals(timesheet, costs, resources, late)
    part, _, _ = actuals(timesheet, costs, resources, status)
    dated = ~np.isnat(all_in.date) if len(all_in.date) else np.zeros(0, dtype=bool)
    keep = all_in.date <= status
    for name in FIELDS:
        a, b = getattr(all_in, name), getattr(part, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a[keep], b, err_msg=name)
    assert dated.all()
    assert len(excluded_all) == sum(d is None for d, *_ in ts_rows) + sum(d is None for d, *_ in co_rows)


def test_every_line_counted_gives_no_line_after_the_status_date_and_the_same_sums():
    timesheet, costs, resources = _tables([(0, "Ana", 1, 8.0), (1, " Bo ", 2, 4.0), (2, "Cy", None, 5.0)],
                                          [(3, None, "Travel", 250.0)])
    tables = {"tblResources": resources, "tblTimesheet": timesheet, "tblCosts": costs}
    r = rollup(tables, {"StartDate": dt.date(2026, 3, 2), "StatusDate": dt.date(2026, 3, 31)})
    assert len(r.after_status_date) == 0
    assert list(r.after_status_date.columns) == ["Table", "Row", "Date", "Person", "Task ID", "Category", "Hours",
                                                 "Amount", "Reason"]
    assert r.evm.ac == 8 * 100 + 4 * 80 + 250
    assert r.unrated_people["Person"].tolist() == ["Cy"]
