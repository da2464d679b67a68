"""Critical path method: SPEC §3 reference case, link types, constraints, progress,
summaries, cycles, properties on random networks."""

from __future__ import annotations

import random
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import CpmTask, schedule, schedule_plan, tasks_from_plan
from pmo_xl.engine.links import Link, parse_predecessors

MON = date(2025, 3, 3)  # a Monday: working day 1
CAL = Calendar(MON)
LETTERS = "ABCDEFGHIJKLMN"
REF_DURATIONS = [2, 10, 13, 12, 12, 7, 10, 16, 6, 12, 5, 8, 5, 3]
REF_PREDS = {"B": "A", "C": "A", "D": "A", "E": "B", "F": "B", "G": "D", "H": "D", "I": "F", "J": "CG", "K": "I",
             "L": "EK", "M": "H", "N": "JLM"}


def ref_id(letter: str) -> int:
    return LETTERS.index(letter) + 1


def reference_tasks() -> list[CpmTask]:
    return [
        CpmTask(ref_id(c), d, [Link(ref_id(p)) for p in REF_PREDS.get(c, "")])
        for c, d in zip(LETTERS, REF_DURATIONS)
    ]


def chain(*specs, **kw) -> list[CpmTask]:
    """tasks 1..n from (duration, "predecessor text") pairs."""
    return [CpmTask(i, d, parse_predecessors(p)[0], **kw) for i, (d, p) in enumerate(specs, start=1)]


# ---------------------------------------------------------------- SPEC §3 reference case
def test_spec_reference_case():
    r = schedule(reference_tasks(), calendar=CAL)
    assert r.duration_days == 41 and r.project_finish == 41
    assert r.critical_path == [ref_id(c) for c in "ABFIKLN"]
    assert r.critical_paths == [r.critical_path]
    total = {LETTERS[t.id - 1]: t.total_float for t in r.tasks}
    free = {LETTERS[t.id - 1]: t.free_float for t in r.tasks}
    assert {c: f for c, f in total.items() if f} == {"C": 11, "D": 2, "E": 6, "G": 2, "H": 3, "J": 2, "M": 3}
    assert {c: f for c, f in free.items() if f} == {"C": 9, "E": 6, "J": 2, "M": 3}
    assert {LETTERS[t.id - 1] for t in r.tasks if t.critical} == set("ABFIKLN")
    out = r.to_dict()
    assert out["project_start"] == "2025-03-03"
    assert out["project_finish"] == CAL.date_of(41).isoformat() == "2025-04-28"
    a = out["tasks"][0]
    assert (a["early_start"], a["early_finish"]) == ("2025-03-03", "2025-03-04")  # A: days 1-2
    assert out["cycles"] == [] and out["problems"] == []


def test_reference_case_through_the_plan_frame():
    frame = pd.DataFrame(
        {
            "ID": [ref_id(c) for c in LETTERS],
            "WBS": [str(i) for i in range(1, 15)],
            "Task": list(LETTERS),
            "Type": ["Task"] * 14,
            "Duration": [float(d) for d in REF_DURATIONS],
            "Start": [pd.Timestamp(MON)] * 14,
            "Finish": [pd.Timestamp(MON)] * 14,
            "Predecessors": [", ".join(str(ref_id(p)) for p in REF_PREDS.get(c, "")) or None for c in LETTERS],
            "Constraint": [None] * 14,
            "Constraint Date": [pd.NaT] * 14,
            "% Complete": [float("nan")] * 14,
            "Actual Start": [pd.NaT] * 14,
            "Actual Finish": [pd.NaT] * 14,
            "Status": [None] * 14,
        },
        index=range(5, 19),
    )
    r = schedule_plan(frame, CAL)
    assert r.duration_days == 41 and r.critical_path == [ref_id(c) for c in "ABFIKLN"]
    tasks, problems = tasks_from_plan(frame, CAL)
    assert problems == [] and tasks[0].row == 5


# ---------------------------------------------------------------- links and lags
@pytest.mark.parametrize(
    "link, es, ef",
    [
        ("2", 7, 10),  # FS: the working day after A's finish
        ("2FS+2", 9, 12),
        ("2FS-2", 5, 8),  # lead
        ("2SS", 2, 5),
        ("2SS+3", 5, 8),
        ("2FF", 4, 7),  # finishes with B (EF 7)
        ("2FF+1", 5, 8),
        ("2SF", 0, 3),  # finish no earlier than B's start (2): start floored at the project start
        ("2SF+4", 3, 6),
    ],
)
def test_each_link_type(link, es, ef):
    # 1: A (2 days) -> 2: B (5 days, ES 2 EF 7) -> 3: S (3 days) by the link under test
    r = schedule(chain((2, ""), (5, "1"), (3, link)), calendar=CAL)
    s = r.task(3)
    assert (s.early_start, s.early_finish) == (es, ef)
    assert r.project_finish == max(7, ef)
    # late dates respect every link too, with the project finish as the last bound
    b = r.task(2)
    for t in r.tasks:
        assert t.early_start <= t.late_start and t.late_finish <= r.project_finish
    assert s.total_float == r.project_finish - ef
    assert b.late_finish <= r.project_finish


def test_ss_link_drives_the_critical_path():
    r = schedule(chain((5, ""), (3, "1SS+2")), calendar=CAL)
    assert r.project_finish == 5
    assert [t.total_float for t in r.tasks] == [0, 0]
    assert r.critical_path == [1, 2]
    assert r.to_dict()["tasks"][1]["early_start"] == "2025-03-05"  # day 3


def test_dates_of_a_fs_link_skip_the_weekend():
    r = schedule(chain((5, ""), (3, "1")), calendar=CAL)
    t = r.to_dict()["tasks"]
    assert (t[0]["early_start"], t[0]["early_finish"]) == ("2025-03-03", "2025-03-07")
    assert (t[1]["early_start"], t[1]["early_finish"]) == ("2025-03-10", "2025-03-12")


# ---------------------------------------------------------------- milestones
def test_milestone_dating():
    tasks = [
        CpmTask(1, 0, type="Milestone"),  # kick-off at time 0: dated on day 1
        CpmTask(2, 5, [Link(1)]),
        CpmTask(3, 0, [Link(2)], type="Milestone"),  # on its predecessor's finish
        CpmTask(4, 2, [Link(3)]),  # the working day after
        CpmTask(5, 4, type="Milestone"),  # a milestone's duration is 0 whatever is typed
    ]
    r = schedule(tasks, calendar=CAL)
    d = {t["id"]: t for t in r.to_dict()["tasks"]}
    assert d[1]["early_start"] == d[1]["early_finish"] == "2025-03-03"
    assert d[3]["early_start"] == d[3]["early_finish"] == "2025-03-07"
    assert d[4]["early_start"] == "2025-03-10"
    assert r.task(5).early_finish == 0 and d[5]["early_finish"] == "2025-03-03"
    assert r.critical_path == [1, 2, 3, 4]


# ---------------------------------------------------------------- constraints
def with_constraint(kind: str, day: int | None, duration: int = 3) -> list[CpmTask]:
    """1: A (5 days) -> 2: B (``duration``) carrying the constraint."""
    return [CpmTask(1, 5), CpmTask(2, duration, [Link(1)], constraint=kind, constraint_day=day)]


@pytest.mark.parametrize(
    "kind, day, b_es, b_tf, a_tf",
    [
        ("SNET", 8, 7, 0, 2),  # B starts on day 8 at the earliest
        ("SNET", 2, 5, 0, 0),  # already met
        ("FNET", 12, 9, 0, 4),
        ("MSO", 10, 9, 0, 4),
        ("MFO", 9, 6, 0, 1),
        ("SNLT", 20, 5, 0, 0),  # met: no effect
        ("FNLT", 20, 5, 0, 0),
        # deadlines that cannot be met: negative float, dates are not moved
        ("SNLT", 4, 5, -2, -2),  # must start by day 4 (time 3), the network says time 5
        ("FNLT", 7, 5, -1, -1),
        ("MSO", 3, 5, -3, -3),
        ("MFO", 6, 5, -2, -2),
    ],
)
def test_constraints(kind, day, b_es, b_tf, a_tf):
    r = schedule(with_constraint(kind, day), calendar=CAL)
    a, b = r.task(1), r.task(2)
    assert b.early_start == b_es and b.early_finish == b_es + 3
    assert b.total_float == b_tf and a.total_float == a_tf
    assert a.critical == (a_tf <= 0) and b.critical == (b_tf <= 0)
    if b_tf < 0:
        assert r.critical_path == [1, 2]


def test_start_constraint_on_a_milestone_dates_it_on_that_day():
    r = schedule(with_constraint("SNET", 8, duration=0), calendar=CAL)
    assert r.task(2).early_finish == 8
    assert r.to_dict()["tasks"][1]["early_start"] == CAL.date_of(8).isoformat()


def test_deadline_on_a_side_path_gives_it_negative_float():
    # 1 (10) -> 3 (2) is the long path; 2 (4) -> its FNLT day 3 is missed by 1 day
    tasks = [CpmTask(1, 10), CpmTask(2, 4, constraint="FNLT", constraint_day=3), CpmTask(3, 2, [Link(1), Link(2)])]
    r = schedule(tasks)
    assert r.project_finish == 12
    assert r.task(2).total_float == -1 and r.task(1).total_float == 0
    assert r.critical_paths[0] == [2]  # the most critical (most negative float) first
    assert [1, 3] in r.critical_paths


def test_alap_is_scheduled_late_without_moving_the_finish():
    # 1: A (5) -> 2: C (10);  A -> 3: B (3, ALAP) -> 4: D (1)
    tasks = [CpmTask(1, 5), CpmTask(2, 10, [Link(1)]), CpmTask(3, 3, [Link(1)], constraint="ALAP"),
             CpmTask(4, 1, [Link(3)])]
    r = schedule(tasks)
    assert r.project_finish == 15
    b, d = r.task(3), r.task(4)
    assert (b.early_start, b.early_finish) == (11, 14) == (b.late_start, b.late_finish)
    assert (d.early_start, d.early_finish) == (14, 15)  # its successor follows it
    assert r.task(1).free_float == 0
    alone = schedule([CpmTask(1, 8), CpmTask(2, 2, constraint="ALAP")])
    assert alone.task(2).early_start == 6 and alone.project_finish == 8


# ---------------------------------------------------------------- progress
def progress_chain(**b) -> list[CpmTask]:
    """1: A (4) -> 2: B (6) -> 3: C (2); A complete on days 1-5 (one day late)."""
    return [
        CpmTask(1, 4, percent_complete=1.0, actual_start=1, actual_finish=5),
        CpmTask(2, 6, [Link(1)], **b),
        CpmTask(3, 2, [Link(2)]),
    ]


def test_complete_task_keeps_actuals_and_not_started_waits_for_the_status_date():
    r = schedule(progress_chain(), status_day=7)
    a, b, c = r.task(1), r.task(2), r.task(3)
    assert (a.early_start, a.early_finish, a.status) == (0, 5, "complete")
    assert (a.total_float, a.critical) == (0, False)
    assert (b.early_start, b.early_finish) == (7, 13)  # not before the status date
    assert (c.early_start, c.early_finish) == (13, 15)
    assert r.critical_path == [2, 3]
    assert schedule(progress_chain()).task(2).early_start == 5  # without a status date


def test_in_progress_task_schedules_its_remaining_work_from_the_status_date():
    r = schedule(progress_chain(percent_complete=0.5, actual_start=6), status_day=7)
    b = r.task(2)
    assert b.status == "in progress" and b.remaining == 3
    assert (b.early_start, b.early_finish) == (5, 10)  # started day 6, 3 days left after day 7
    assert r.task(3).early_start == 10 and r.project_finish == 12
    assert (b.total_float, b.critical) == (0, True)
    assert r.critical_path == [2, 3]
    # no status date: the rest follows the work done
    assert schedule(progress_chain(percent_complete=0.5, actual_start=6)).task(2).early_finish == 11


def test_remaining_duration_rounds_up():
    r = schedule(progress_chain(percent_complete=0.4, actual_start=6), status_day=6)
    assert r.task(2).remaining == 4 and r.task(2).early_finish == 10


def test_complete_with_actual_finish_only_and_pct_without_dates():
    r = schedule([CpmTask(1, 4, actual_finish=6), CpmTask(2, 3, [Link(1)], percent_complete=1.0)], status_day=9)
    assert (r.task(1).early_start, r.task(1).early_finish) == (2, 6)
    assert (r.task(2).early_start, r.task(2).early_finish, r.task(2).status) == (6, 9, "complete")
    assert r.critical_paths == []  # nothing left to do


def test_an_actual_start_before_the_project_start_extends_it():
    r = schedule([CpmTask(1, 5, percent_complete=0.2, actual_start=-1)], status_day=1, calendar=CAL)
    assert r.project_start == -2 and r.to_dict()["project_start"] == CAL.date_of(-1).isoformat()


# ---------------------------------------------------------------- summaries
def test_summaries_span_their_tasks_and_links_apply_to_their_tasks():
    tasks = [
        CpmTask(1, 99, type="Summary", wbs="1"),
        CpmTask(2, 3, wbs="1.1"),
        CpmTask(3, 4, [Link(2)], wbs="1.2"),
        CpmTask(4, 2, [Link(1)], wbs="2"),  # after the whole of summary 1
        CpmTask(5, 0, [Link(4)], type="Summary", wbs="3"),  # its tasks follow 4
        CpmTask(6, 0, type="Summary", wbs="3.1"),
        CpmTask(7, 1, wbs="3.1.1"),
        CpmTask(8, 2, wbs="3.2"),
    ]
    r = schedule(tasks, calendar=CAL)
    assert (r.task(1).early_start, r.task(1).early_finish, r.task(1).status) == (0, 7, "summary")
    assert r.task(4).early_start == 7
    assert r.task(7).early_start == r.task(8).early_start == 9
    assert (r.task(5).early_start, r.task(5).early_finish) == (9, 11)
    assert (r.task(6).early_start, r.task(6).early_finish) == (9, 10)
    assert r.task(5).total_float == 0 and r.task(6).total_float == 1
    assert r.critical_path == [2, 3, 4, 8]  # summaries are not on it
    assert r.problems == []


def test_summary_oddities_are_reported():
    tasks = [
        CpmTask(1, 2, type="Summary", wbs="1", constraint="MSO", constraint_day=5),
        CpmTask(2, 3, [Link(1)], wbs="1.1"),  # a link to its own summary
        CpmTask(3, 4, type="Summary", wbs="2"),  # nothing under it
    ]
    r = schedule(tasks)
    assert {p.kind for p in r.problems} == {"summary_link", "empty_summary", "summary_constraint"}
    assert r.task(3).early_finish == 4  # scheduled as a task


# ---------------------------------------------------------------- bad networks
def test_cycles_are_reported_and_the_rest_is_scheduled():
    tasks = chain((2, "3"), (3, "1"), (4, "2"), (5, "3"), (1, ""), (2, "7"), (2, "6"))
    r = schedule(tasks)
    assert r.cycles == [[1, 2, 3], [6, 7]]
    assert [p.kind for p in r.problems] == ["cycle", "cycle"]
    assert "1, 2, 3" in r.problems[0].message
    assert r.task(4).early_start == r.task(3).early_finish  # still follows 3
    assert r.task(5).early_finish == 1
    assert r.task(1).in_cycle and not r.task(4).in_cycle


def test_unknown_and_self_links_are_ignored_and_reported():
    r = schedule(chain((2, "9, 1"), (3, "1")))
    kinds = [(p.kind, p.task_id, p.text) for p in r.problems]
    assert kinds == [("unknown_predecessor", 1, "9"), ("self_link", 1, "1")]
    assert r.project_finish == 5


def test_duplicate_ids_are_reported():
    r = schedule([CpmTask(1, 2), CpmTask(1, 5)])
    assert [p.kind for p in r.problems] == ["duplicate_id"] and r.project_finish == 2


def test_plan_frame_problems_and_constraint_dates_on_weekends():
    frame = pd.DataFrame(
        {
            "ID": [1, 2, 3, None],
            "WBS": ["1", "2", "3", "4"],
            "Task": ["a", "b", "c", "no id"],
            "Type": ["Task", "Task", "Milestone", "Task"],
            "Duration": [3.0, float("nan"), 0.0, 1.0],
            "Start": [pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-03"), pd.NaT, pd.NaT],
            "Finish": [pd.Timestamp("2025-03-05"), pd.Timestamp("2025-03-12"), pd.NaT, pd.NaT],
            "Predecessors": [None, "1FS+1w, 77", "2", None],
            "Constraint": ["SNET", "FNLT", "MSO", None],
            "Constraint Date": [pd.Timestamp("2025-03-08"), pd.Timestamp("2025-03-16"), pd.NaT, pd.NaT],
            "% Complete": [None, None, None, None],
            "Actual Start": [pd.NaT] * 4,
            "Actual Finish": [pd.NaT] * 4,
            "Status": [None] * 4,
        },
        index=[5, 6, 7, 8],
    )
    tasks, problems = tasks_from_plan(frame, CAL)
    assert [t.id for t in tasks] == [1, 2, 3]
    assert tasks[0].constraint_day == 6  # Saturday 8 March -> Monday 10 (day 6)
    assert tasks[1].constraint_day == 10  # Sunday 16 March -> Friday 14 (day 10)
    assert tasks[1].duration == 8  # from Start..Finish
    assert tasks[2].constraint == "ASAP"
    assert [(p.kind, p.row) for p in problems] == [("bad_link", 6), ("constraint_date_missing", 7)]
    r = schedule_plan(frame, CAL, status_date=None)
    assert r.task(1).early_start == 5
    assert [p.kind for p in r.problems] == ["bad_link", "constraint_date_missing", "unknown_predecessor"]


def test_plan_progress_columns():
    frame = pd.DataFrame(
        {
            "ID": [1, 2],
            "WBS": ["1", "2"],
            "Type": ["Task", "Task"],
            "Duration": [4.0, 6.0],
            "Predecessors": [None, "1"],
            "% Complete": [float("nan"), 0.5],
            "Actual Start": [pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")],
            "Actual Finish": [pd.NaT, pd.NaT],
            "Status": ["Complete", "In Progress"],
        }
    )
    r = schedule_plan(frame, CAL, status_date=date(2025, 3, 11))
    assert r.task(1).status == "complete" and r.task(1).early_finish == 4
    assert r.task(2).early_start == 5 and r.task(2).early_finish == 7 + 3


# ---------------------------------------------------------------- what-if (DCMA critical path test)
def test_delay_moves_the_finish_by_the_delay_on_the_critical_path():
    r = schedule(reference_tasks())
    assert r.delay(ref_id("F"), 10).project_finish == 51
    assert r.delay(ref_id("C"), 5).project_finish == 41  # within its 11 days of float
    assert r.delay(ref_id("C"), 15).project_finish == 45
    assert r.project_finish == 41  # the original is untouched


# ---------------------------------------------------------------- random networks
@st.composite
def networks(draw, types=("FS",), lags=(0, 0)):
    n = draw(st.integers(1, 30))
    tasks = []
    for i in range(1, n + 1):
        preds = draw(st.lists(st.integers(1, i - 1), max_size=3, unique=True)) if i > 1 else []
        links = [Link(p, draw(st.sampled_from(types)), draw(st.integers(*lags))) for p in preds]
        tasks.append(CpmTask(i, draw(st.integers(0, 15)), links))
    return tasks


def check_links_hold(r, tasks):
    by_id = {t.id: t for t in r.tasks}
    for task in tasks:
        s = by_id[task.id]
        for link in task.links:
            p = by_id[link.pred]
            for (ps, pf, ss, sf) in ((p.early_start, p.early_finish, s.early_start, s.early_finish),
                                     (p.late_start, p.late_finish, s.late_start, s.late_finish)):
                lhs, rhs = {"FS": (ss, pf), "SS": (ss, ps), "FF": (sf, pf), "SF": (sf, ps)}[link.type]
                assert lhs >= rhs + link.lag


def check_general_properties(r, tasks):
    assert r.critical_paths, "at least one critical path"
    for t in r.tasks:
        assert 0 <= t.early_start <= t.late_start
        assert t.early_finish <= t.late_finish <= r.project_finish
        assert t.early_finish - t.early_start == t.duration == t.late_finish - t.late_start
        assert t.total_float >= 0 and 0 <= t.free_float <= t.total_float
        assert t.critical == (t.total_float == 0)
    assert max(t.early_finish for t in r.tasks) == r.project_finish
    check_links_hold(r, tasks)


@settings(max_examples=150, deadline=None)
@given(networks())
def test_random_fs_networks(tasks):
    r = schedule(tasks)
    check_general_properties(r, tasks)
    durations = {t.id: t.duration for t in tasks}
    for path in r.critical_paths:
        assert sum(durations[i] for i in path) == r.project_finish
        assert r.task(path[0]).early_start == 0 and r.task(path[-1]).early_finish == r.project_finish
        assert all(r.task(i).critical for i in path)


@settings(max_examples=150, deadline=None)
@given(networks(types=("FS", "SS", "FF", "SF"), lags=(-3, 4)))
def test_random_networks_with_every_link_type_and_lag(tasks):
    r = schedule(tasks)
    check_general_properties(r, tasks)
    for path in r.critical_paths:
        assert r.task(path[-1]).late_finish == r.project_finish or r.task(path[-1]).early_finish == r.project_finish


def test_a_5000_task_network_runs():
    rng = random.Random(7)
    tasks = []
    for i in range(1, 5001):
        k = rng.randint(0, 3) if i > 1 else 0
        preds = {rng.randint(max(1, i - 60), i - 1) for _ in range(k)}
        tasks.append(CpmTask(i, rng.randint(0, 20), [Link(p, rng.choice("FS FS FS SS FF SF".split()), rng.randint(-2, 3)) for p in preds]))
    tasks[10].links.append(Link(4000))  # a loop 11 -> 4000 -> 11, reported
    tasks[3999].links.append(Link(11))
    r = schedule(tasks, calendar=CAL)
    assert len(r.tasks) == 5000 and r.critical_path
    assert any({11, 4000} <= set(c) for c in r.cycles)
    assert len(r.to_dict()["tasks"]) == 5000


@st.composite
def messy_plans(draw):
    """Anything a user can type: constraints, progress, summaries, loops, bad IDs."""
    n = draw(st.integers(1, 25))
    tasks = []
    for i in range(1, n + 1):
        preds = draw(st.lists(st.integers(1, n + 2), max_size=3, unique=True))
        links = [Link(p, draw(st.sampled_from(("FS", "SS", "FF", "SF"))), draw(st.integers(-5, 5))) for p in preds]
        constraint = draw(st.sampled_from(("ASAP", "ALAP", "SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO")))
        pct = draw(st.sampled_from((0.0, 0.0, 0.3, 1.0)))
        actual_start = draw(st.none() | st.integers(-3, 30))
        tasks.append(
            CpmTask(
                i,
                draw(st.floats(0, 20)),
                links,
                type=draw(st.sampled_from(("Task", "Task", "Milestone", "Summary"))),
                wbs=".".join(str(draw(st.integers(1, 3))) for _ in range(draw(st.integers(1, 3)))),
                constraint=constraint,
                constraint_day=draw(st.none() | st.integers(-5, 60)),
                percent_complete=pct,
                actual_start=actual_start,
                actual_finish=draw(st.none() | st.integers(0, 40)) if pct == 1.0 else None,
            )
        )
    return tasks


@settings(max_examples=200, deadline=None)
@given(messy_plans(), st.none() | st.integers(0, 30))
def test_any_plan_schedules_without_raising(tasks, status_day):
    r = schedule(tasks, status_day=status_day, calendar=CAL)
    out = r.to_dict()
    assert [t["id"] for t in out["tasks"]] == [t.id for t in r.tasks]
    ids = {t.id for t in tasks}
    assert all(set(c) <= ids and len(c) > 1 for c in r.cycles)
    assert all(p.kind and p.message for p in r.problems)
    assert r.project_start <= r.project_finish
    for t in r.tasks:
        assert t.free_float >= 0
        if t.status != "summary":
            assert t.critical == (t.total_float <= 0 and t.status != "complete")
        elif t.critical:
            assert t.total_float <= 0
    frame = r.to_frame()
    assert len(frame) == len(r.tasks) and frame["Early Start"].notna().all()
