"""The schedule on the plan's columns (pmo_xl.engine.cpm: ``schedule_plan`` without task
objects, ``schedule`` through the same column engine) gives exactly the schedule the task
object version gave (tests/support/cpm_before.py): dates, floats, flags, critical paths,
cycles, problems and their messages, the what-if finishes — on random plans with
summaries, every link type, leads and lags, constraints, progress, repeated IDs, loops
and cells of the wrong type, typed as the reader types them and as the rule context
normalises them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine import cpm
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.links import Link
from support import cpm_before
from support.frames import PLAN_COLUMNS, PLAN_DATES, plan_frame

START = dt.date(2025, 12, 15)
DAY = st.one_of(st.none(), st.integers(-20, 80).map(lambda n: dt.datetime(2025, 12, 15) + dt.timedelta(days=n)))
LINK = st.tuples(st.integers(1, 16), st.sampled_from(["", "FS", "SS", "FF", "SF"]), st.sampled_from(["", "+2", "-1", "+5d", "-3"]))
PREDECESSORS = st.one_of(
    st.none(),
    st.lists(LINK, min_size=1, max_size=3).map(lambda parts: ", ".join(f"{i}{k}{lag}" for i, k, lag in parts)),
    st.sampled_from(["x", "4w", "3, 3", "", " 2 ", "1.5"]),
)
ROW = st.fixed_dictionaries({
    "ID": st.one_of(st.none(), st.integers(1, 14)),
    "WBS": st.sampled_from([None, "", "1", "1.1", "1.1.1", "1.1.2", "1.2", " 1.2.1 ", "2", "2.1", "2.1.1", "3"]),
    "Task": st.sampled_from([None, "Build", "  Test  ", ""]),
    "Type": st.sampled_from([None, "", "Task", "task", " milestone ", "Summary", "SUMMARY", "Other"]),
    "Duration": st.one_of(st.none(), st.sampled_from([0.0, 0.4, 1.0, 2.5, 3.0, 10.0, -1.0])),
    "Start": DAY, "Finish": DAY,
    "Predecessors": PREDECESSORS,
    "Constraint": st.sampled_from([None, "ASAP", "asap", "ALAP", "snet", "SNLT", "FNET", "FNLT", "MSO", "MFO", "XYZ"]),
    "Constraint Date": DAY,
    "% Complete": st.one_of(st.none(), st.sampled_from([0.0, 0.3, 0.5, 1.0, 1.5, -0.2])),
    "Actual Start": DAY, "Actual Finish": DAY,
    "Status": st.sampled_from([None, "Complete", "complete ", "In Progress"]),
})
DATES, COLUMNS = PLAN_DATES, PLAN_COLUMNS
frame_of = plan_frame  # (test_cpm_context_columns imports it from here)


def fields_of(value: Any) -> dict[str, Any]:
    """A dataclass instance's fields by name: what ``fields_of()`` gives of a Python one, and
    of a compiled one too (a native class has no ``__dict__``)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def result_of(result: Any) -> dict[str, Any]:
    """Everything a schedule result says, as plain values."""
    return {
        "dict": result.to_dict(),
        "tasks": [fields_of(t) for t in result.tasks],
        "problems": [(p.kind, p.task_id, p.message, p.text, p.row) for p in result.problems],
        "figures": (result.project_start, result.project_finish, result.duration_days, result.status_day,
                    result.critical_path, result.critical_paths, result.cycles),
    }


def same_schedule(new: Any, old: Any, status_day: int | None) -> None:
    assert result_of(new) == result_of(old)
    for t in new.tasks[:6]:
        for days in (0, 3, 600):
            assert new.delayed_finish(t.id, days) == old.delayed_finish(t.id, days)
    if new.tasks:
        t = new.tasks[len(new.tasks) // 2]
        assert result_of(new.delay(t.id, 7)) == result_of(old.delay(t.id, 7))


def calendar(country: str | None) -> Calendar:
    return Calendar(START, holidays=[dt.date(2025, 12, 31)], country=country)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(ROW, min_size=0, max_size=14), reader=st.booleans(), country=st.sampled_from([None, "DE"]),
       status=st.sampled_from([None, dt.date(2025, 12, 10), dt.date(2026, 1, 9), dt.date(2026, 2, 20)]))
def test_plan_schedule_is_the_task_object_schedule(rows, reader, country, status):
    frame = frame_of(rows, reader)
    new = cpm.schedule_plan(frame, calendar(country), status_date=status)
    old = cpm_before.schedule_plan(frame, calendar(country), status_date=status)
    same_schedule(new, old, new.status_day)
    # and the tasks themselves (tasks_from_plan builds them from the same columns)
    tasks, problems = cpm.tasks_from_plan(frame, calendar(country))
    old_tasks, old_problems = cpm_before.tasks_from_plan(frame, calendar(country))
    assert [fields_of(t) for t in tasks] == [fields_of(t) for t in old_tasks]
    assert [fields_of(p) for p in problems] == [fields_of(p) for p in old_problems]


@st.composite
def task_lists(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 16))
    out = []
    for _ in range(n):
        links = draw(st.lists(st.tuples(st.integers(1, n + 2), st.sampled_from(["FS", "FS", "SS", "FF", "SF"]),
                                        st.sampled_from([0, 0, 2, -1, -4])), max_size=3))
        out.append({
            "id": draw(st.integers(1, n + 1)),
            "duration": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 5.0, 12.0, -2.0, float("nan")])),
            "links": [Link(p, k, lag) for p, k, lag in links],
            "type": draw(st.sampled_from(["Task", "Task", "Task", "Milestone", "Summary", "Other"])),
            "wbs": draw(st.sampled_from(["", "1", "1.1", "1.1.1", "1.2", "2", "2.1", ".5", "1..2"])),
            "constraint": draw(st.sampled_from(["ASAP"] * 4 + ["ALAP", "SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO", "bad"])),
            "constraint_day": draw(st.one_of(st.none(), st.integers(-3, 40))),
            "percent_complete": draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.2, -0.1])),
            "actual_start": draw(st.one_of(st.none(), st.none(), st.integers(-2, 12))),
            "actual_finish": draw(st.one_of(st.none(), st.none(), st.none(), st.integers(1, 15))),
            "row": draw(st.one_of(st.none(), st.integers(4, 30))),
        })
    return out


@settings(max_examples=400, deadline=None)
@given(specs=task_lists(), status_day=st.sampled_from([None, -2, 0, 1, 6, 20]))
def test_task_schedule_is_the_task_object_schedule(specs, status_day):
    new = cpm.schedule([cpm.CpmTask(**s) for s in specs], status_day=status_day)
    old = cpm_before.schedule([cpm_before.CpmTask(**s) for s in specs], status_day=status_day)
    same_schedule(new, old, status_day)


def test_text_columns_of_any_cell_type():
    # numbers, booleans, 0.0 and -0.0 in text columns read as their text, like the
    # row-by-row reading did: 1, 1.0 and True, 0.0 and -0.0 are equal keys but not equal texts
    rows = [{"ID": 1, "WBS": 1, "Type": True, "Constraint": 0.0, "Duration": 2.0},
            {"ID": 2, "WBS": 1.0, "Type": "Summary", "Constraint": -0.0, "Duration": 2.0},
            {"ID": 3, "WBS": True, "Type": 1, "Constraint": "snet", "Duration": 1.0},
            {"ID": 4, "WBS": -0.0, "Type": float("nan"), "Constraint": None, "Duration": 1.0},
            {"ID": 5, "WBS": 0.0, "Type": None, "Constraint": float("nan"), "Duration": 1.0}]
    frame = pd.DataFrame(rows, index=range(5, 10))
    for name in ("WBS", "Type", "Constraint"):
        frame[name] = frame[name].astype(object)
    new = cpm.schedule_plan(frame, calendar(None))
    old = cpm_before.schedule_plan(frame, calendar(None))
    assert result_of(new) == result_of(old)
    tasks, _ = cpm.tasks_from_plan(frame, calendar(None))
    old_tasks, _ = cpm_before.tasks_from_plan(frame, calendar(None))
    assert [fields_of(t) for t in tasks] == [fields_of(t) for t in old_tasks]
    assert [t.wbs for t in tasks][:4] == ["1", "1.0", "True", "-0.0"]


def test_a_wbs_deeper_than_the_recursion_limit():
    # summaries are found by walking up the WBS codes: no recursion
    deep = ".".join(["1"] * 3000)
    tasks = [cpm.CpmTask(1, 0, type="Summary", wbs="1"), cpm.CpmTask(2, 3.0, wbs=deep)]
    result = cpm.schedule(tasks)
    assert [t.early_finish for t in result.tasks] == [3, 3]


def test_random_demo_plans():
    """Demo plans (the shape of real workbooks: summaries, milestones, SS/FF/SF links with
    lags, progress, constraints), changed at random: loops, leads, other link types, bad
    cells, constraints, status dates. Their dates are Python dates (not a date column)."""
    from pmo_xl.demo import make_demo

    rng = random.Random(7)
    for seed in range(1, 9):
        demo = make_demo(seed, tasks=rng.choice([40, 120, 200]), timesheet_rows=5)
        plan = demo.frame("tblPlan").copy()
        plan.index = range(5, 5 + len(plan))
        n = len(plan)
        preds = plan["Predecessors"].astype(object).tolist()
        for k in rng.sample(range(n), n // 8):
            a, b = rng.randrange(1, n + 3), rng.randrange(1, n + 3)
            preds[k] = rng.choice([f"{a}", f"{a}SS-2, {b}FF+1", f"{a}SF", f"{a}FS-3", None, "bad", float(a)])
        plan["Predecessors"] = preds
        cons = plan["Constraint"].astype(object).tolist()
        dates = plan["Constraint Date"].astype(object).tolist()
        for k in rng.sample(range(n), n // 10):
            cons[k] = rng.choice(["ALAP", "MSO", "FNLT", "SNET", "MFO", "SNLT", "FNET"])
            dates[k] = rng.choice([None, plan["Start"].iloc[k], plan["Finish"].iloc[rng.randrange(n)]])
        plan["Constraint"], plan["Constraint Date"] = cons, dates
        cal = Calendar(demo.settings["StartDate"], holidays=[dt.date(2026, 5, 1)], country=rng.choice([None, "DE"]))
        status = rng.choice([None, demo.settings.get("StatusDate"), dt.date(2026, 9, 1)])
        same_schedule(cpm.schedule_plan(plan, cal, status), cpm_before.schedule_plan(plan, cal, status), None)


def test_dates_outside_the_nanosecond_years():
    # a datetime64[us] column holds years a datetime64[ns] one cannot (1500, 2500): read
    # as dates like any other; a row without an ID leaves the rest at their positions
    rows = [{"ID": 1, "Duration": None, "Start": dt.datetime(2025, 12, 15), "Finish": dt.datetime(2026, 1, 9),
             "Constraint": "SNET", "Constraint Date": dt.datetime(2500, 1, 4), "Actual Start": dt.datetime(1500, 3, 2)},
            {"ID": None, "Duration": 2.0, "Actual Finish": dt.datetime(2026, 1, 2)},
            {"ID": 3, "Duration": 2.0, "Predecessors": "1", "Constraint": "FNLT", "Constraint Date": dt.datetime(2026, 2, 2),
             "Actual Start": dt.datetime(2025, 12, 16)}]
    frame = pd.DataFrame(rows, index=[5, 6, 7], columns=COLUMNS)
    for name in DATES:
        frame[name] = pd.Series([r.get(name) for r in rows], index=frame.index, dtype="datetime64[us]")
    for status in (None, dt.date(2026, 1, 5)):
        new = cpm.schedule_plan(frame, calendar("DE"), status)
        old = cpm_before.schedule_plan(frame, calendar("DE"), status)
        assert result_of(new) == result_of(old)
    assert [fields_of(t) for t in cpm.tasks_from_plan(frame, calendar(None))[0]] == \
        [fields_of(t) for t in cpm_before.tasks_from_plan(frame, calendar(None))[0]]
