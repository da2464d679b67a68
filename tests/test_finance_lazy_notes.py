"""The roll-up's notes (their last one needs the unrated people's hours) and its reserves
are worked out when read: the same as at roll-up time, whatever the caller does to its
tables afterwards; the reserves as they were computed at once; by category's texts kept as
a list until asked for; ``_notna_list`` of Arrow text."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine import finance as F
from pmo_xl.engine.calendar import Calendar
from support.frames import frame

D = dt.date
MON = D(2026, 3, 2)
SETTINGS = {"StartDate": MON, "StatusDate": D(2026, 3, 18), "ContingencyReserve": 1000, "ManagementReserve": 500}


def tables(hours: list[float], changes: list[dict]) -> dict[str, pd.DataFrame]:
    plan = frame("tblPlan", [{"ID": 1, "WBS": "1", "Task": "Build", "Type": "Task", "Start": MON, "Finish": D(2026, 3, 13)}])
    resources = frame("tblResources", [{"Person": "Ann", "Role": "Dev", "Rate": 50.0}, {"Person": "Bob", "Role": "QA"}])
    people = ["Ann", "Bob", "Cy"]
    timesheet = frame("tblTimesheet", [{"Date": D(2026, 3, 3 + i % 10), "Person": people[i % 3], "Task ID": 1, "Hours": h}
                                       for i, h in enumerate(hours)])
    budget = frame("tblBudget", [{"Task ID": 1, "Category": "Labour", "Amount": 1000.0, "Source": "CR-001"}])
    return {"tblPlan": plan, "tblResources": resources, "tblTimesheet": timesheet, "tblBudget": budget,
            "tblChanges": frame("tblChanges", changes)}


CHANGE = st.fixed_dictionaries({
    "CR ID": st.sampled_from(["CR-001", "CR-002", " CR-001 ", None]),
    "Status": st.sampled_from(["Closed", "Approved", "Implemented", "Draft", " Closed", None]),
    "Funding": st.sampled_from(["Contingency", "Management Reserve", " Contingency", None]),
    "Cost Impact": st.one_of(st.none(), st.floats(-1e6, 1e6)),
    "Implemented Date": st.sampled_from([None, D(2026, 3, 10)]),
})


def _reference_reserves(changes: pd.DataFrame, budget: pd.DataFrame, settings_: dict) -> pd.DataFrame:
    """tblReserves as the roll-up computed it at once before (frozen)."""
    status = F._text_list(changes["Status"])
    drawing = [s in F.DRAWING_STATUSES for s in status]
    closed = [i for i, s in enumerate(status) if s == "Closed"]
    if closed:
        sources = set(F._text_list(budget["Source"]))
        cr = F._text_list(changes["CR ID"])
        implemented = F._notna_list(changes["Implemented Date"])
        for i in closed:
            drawing[i] = implemented[i] or cr[i] in sources
    funding = F._text_list(changes["Funding"])
    impact = F._zero_nan(F._floats(changes["Cost Impact"]))
    amounts, drawns = [], []
    for name, setting in F.RESERVES:
        amounts.append(F._setting_number(settings_, setting))
        drawns.append(float(impact[np.array([d and f == name for d, f in zip(drawing, funding)], dtype=bool)].sum()))
    return F._reserves_frame(np.array(amounts), np.array(drawns))


def _reference_notes(r: F.RollupResult, hours: np.ndarray) -> list[str]:
    """The notes as rollup() made them at once: its own, then the unrated one."""
    notes = list(r.__dict__["notes"].args[0])
    if np.sum(hours) != 0:
        notes.append(f"{len(hours)} person(s) booked hours without a rate: their hours cost 0.")
    return notes


@settings(max_examples=60, deadline=None)
@given(hours=st.lists(st.sampled_from([8.0, -8.0, 0.0, 0.1, 0.2, -0.3, 4.5]), max_size=12),
       changes=st.lists(CHANGE, max_size=6))
def test_notes_and_reserves_read_later_are_those_of_the_roll_up_time(hours, changes):
    t = tables(hours, changes)
    r = F.rollup(t, SETTINGS, Calendar(MON))
    assert type(r.__dict__["notes"]) is F._Later and type(r.__dict__["reserves"]) is F._Later
    want_reserves = _reference_reserves(t["tblChanges"], t["tblBudget"], SETTINGS)
    # (the table of the unrated people is the same when read first: test_finance_lazy)
    want_notes = _reference_notes(r, F._built(r.__dict__["unrated_people"])["Hours"].to_numpy())
    # the caller changes its tables in place before reading the result
    if len(t["tblTimesheet"]):
        t["tblTimesheet"].loc[5, "Hours"] = 123.0
    t["tblResources"].loc[5, "Rate"] = np.nan
    if len(t["tblChanges"]):
        t["tblChanges"].loc[5, "Status"] = "Approved"
        t["tblChanges"].loc[5, "Cost Impact"] = 7.0
        t["tblChanges"].loc[5, "Implemented Date"] = pd.Timestamp("2026-03-11")
    t["tblBudget"].loc[5, "Source"] = "CR-002"
    assert r.notes == want_notes and r.notes is r.notes
    pd.testing.assert_frame_equal(r.reserves, want_reserves, check_exact=True)


def test_the_unrated_note_as_before():
    r = F.rollup(tables([8.0, 4.0, 2.0], []), SETTINGS, Calendar(MON))
    assert r.notes[-1] == "2 person(s) booked hours without a rate: their hours cost 0."
    assert r.unrated_people["Person"].tolist() == ["Bob", "Cy"]
    # hours that add up to nothing: no note, the people still listed
    r = F.rollup(tables([8.0, 8.0, 0.0, 0.0, -8.0], []), SETTINGS, Calendar(MON))
    assert not any("without a rate" in n for n in r.notes)
    assert r.unrated_people["Person"].tolist() == ["Bob"]
    assert pickle.loads(pickle.dumps(r)).notes == r.notes


def test_notes_can_be_given():
    r = F.rollup(tables([8.0], []), SETTINGS, Calendar(MON))
    r.notes = ["mine"]
    assert r.notes == ["mine"] and r.to_dict()["notes"] == ["mine"]


def test_category_texts_kept_as_a_list_until_asked():
    r = F.rollup(tables([8.0, 4.0], []), SETTINGS, Calendar(MON))
    lists = r.table_columns("by_category", text_lists=True)
    arrays = r.table_columns("by_category")
    assert type(lists["Category"]) is list and all(type(v) is str for v in lists["Category"])
    frame = r.by_category  # built now
    column = frame["Category"]
    assert type(arrays["Category"]) is type(column.array) and pd.Series(arrays["Category"]).dtype == column.dtype
    assert lists["Category"] == column.tolist() == list(arrays["Category"])
    assert r.table_columns("by_category", text_lists=True) is None  # a frame now


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.none() | st.text(max_size=3), max_size=12),
       dtype=st.sampled_from(["str", "string[pyarrow]", "string", "object"]))
def test_notna_list_is_notna(values, dtype):
    column = pd.Series(values, dtype=dtype)
    assert F._notna_list(column) == column.notna().tolist()
    assert F._notna_list(column.array) == column.notna().tolist()


# --------------------------------------------------------------------------- the earned schedule when read


def _eager_evm(t: dict, settings_: dict = SETTINGS):
    """EVM, PD and AT as rollup() computed them at once before (its own steps)."""
    r = F.rollup(t, settings_, Calendar(MON))
    schedule = r.__dict__["evm"].args[0]
    cum_pv, at = F._earned_schedule_inputs(*schedule.args)
    from pmo_xl.engine.evm import compute_evm

    return compute_evm(*schedule.totals, cum_pv, at), (float(len(cum_pv)) if len(cum_pv) else None), at


@settings(max_examples=40, deadline=None)
@given(hours=st.lists(st.sampled_from([8.0, -8.0, 0.0, 4.5]), max_size=8),
       amounts=st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(0.0)), min_size=0, max_size=4),
       pct=st.floats(0, 1.5))
def test_evm_read_later_is_the_one_made_at_once(hours, amounts, pct):
    t = tables(hours, [])
    t["tblBudget"] = frame("tblBudget", [{"Task ID": 1, "Category": "Labour", "Amount": a} for a in amounts])
    t["tblPlan"].loc[5, "% Complete"] = pct
    want, pd_, at = _eager_evm(t)
    r = F.rollup(t, SETTINGS, Calendar(MON))
    assert type(r.__dict__["evm"]) is F._Later
    from pmo_xl.engine.evm import COST_KEYS, EVM_KEYS

    values = r.evm_values(*COST_KEYS)
    assert type(r.__dict__["evm"]) is F._Later  # the cost metrics without the earned schedule
    assert values == [want.to_dict()[k] for k in COST_KEYS]
    assert r.rag == F.rag(want.cpi, want.spi, 0, None)
    assert r.evm == want and r.planned_duration == pd_ and r.actual_time == at
    assert r.evm_values(*EVM_KEYS) == list(want.to_dict().values())
    assert pickle.loads(pickle.dumps(r)).evm == want


def test_cost_metrics_are_compute_evms():
    from pmo_xl.engine.evm import COST_KEYS, compute_evm, cost_metrics

    for bac, pv, ev, ac in [(4000, 3000, 2500, 2800), (0, 0, 0, 0), (1e308, -1e308, 1e308, 5.0), (None, 1, float("nan"), 2),
                            (100, float("inf"), 50, 0)]:
        m = compute_evm(bac, pv, ev, ac, [1000, 2000], at=1)
        assert cost_metrics(bac, pv, ev, ac) == {k: getattr(m, k) for k in COST_KEYS}


def test_curve_sums_that_could_overflow_are_worked_out_in_rollup():
    t = tables([8.0], [])
    t["tblBudget"] = frame("tblBudget", [{"Task ID": 1, "Category": "Labour", "Amount": 1.5e308},
                                         {"Task ID": 1, "Category": "Labour", "Amount": 1.5e308}])
    with np.errstate(all="ignore"):
        r = F.rollup(t, SETTINGS, Calendar(MON))
    assert r.__dict__["evm"].args[0]._inputs is not None  # computed in rollup()
    assert F._schedule_sums_bounded(np.array([1e6, -1e6])) and F._schedule_sums_bounded(np.zeros(0))
    assert not F._schedule_sums_bounded(np.array([np.nan])) and not F._schedule_sums_bounded(np.array([1e307] * 20))
