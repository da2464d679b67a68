"""SPEC §5 reference case, through the whole roll-up (tables → EVM), with the real
project calendar, and through the bare formulas."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.evm import EVM_KEYS, compute_evm
from pmo_xl.engine.finance import rollup

EXPECTED = {
    "bac": 4000,
    "pv": 3000,
    "ev": 2500,
    "ac": 2800,
    "cv": -300,
    "sv": -500,
    "cpi": 0.8929,
    "spi": 0.8333,
    "eac": 4480,
    "etc": 1680,
    "vac": -480,
    "tcpi": 1.25,
    "eac_cpi_spi": 4816,
    "es": 2.5,
    "spi_t": 0.8333,
    "ieac_t": 4.8,
}


def reference_tables(first: dt.date, cal: Calendar, ac_split: tuple[float, ...] = (2800.0,)):
    """Four 1-day tasks on consecutive working days from ``first``, 1000 each."""
    days = [pd.Timestamp(cal.date_of(i)) for i in range(1, 5)]
    ids = pd.array([1, 2, 3, 4], dtype="Int64")
    plan = pd.DataFrame(
        {
            "ID": ids,
            "WBS": ["1", "2", "3", "4"],
            "Task": ["A", "B", "C", "D"],
            "Type": "Task",
            "Duration": 1.0,
            "Start": days,
            "Finish": days,
            "Baseline Start": days,
            "Baseline Finish": days,
            "% Complete": [1.0, 1.0, 0.5, 0.0],
        },
        index=range(5, 9),
    )
    budget = pd.DataFrame(
        {"Task ID": ids, "Category": "Labour", "Period": pd.NaT, "Amount": 1000.0, "Source": "Original"},
        index=range(5, 9),
    )
    costs = pd.DataFrame(
        {
            "Date": [days[i % 3] for i in range(len(ac_split))],
            "Task ID": pd.array([1 + i % 3 for i in range(len(ac_split))], dtype="Int64"),
            "Category": "Contractors",
            "Amount": list(ac_split),
        },
        index=range(5, 5 + len(ac_split)),
    )
    return {"tblPlan": plan, "tblBudget": budget, "tblCosts": costs}, days


def check(evm: dict) -> None:
    assert set(evm) == set(EVM_KEYS)
    for key, value in EXPECTED.items():
        assert evm[key] == pytest.approx(value, abs=5e-5), key
    assert evm["sv_t"] == pytest.approx(2.5 - 3)
    assert evm["eac_ac_plus_remaining"] == pytest.approx(2800 + 4000 - 2500)


@pytest.mark.parametrize(
    "first, holidays, ac_split",
    [
        (dt.date(2026, 3, 2), (), (2800.0,)),  # Monday..Thursday
        (dt.date(2026, 3, 5), (), (1000.0, 1800.0)),  # Thursday, Friday, (weekend), Monday, Tuesday
        (dt.date(2026, 3, 5), (dt.date(2026, 3, 9),), (700.0, 700.0, 1400.0)),  # a holiday inside
    ],
)
def test_reference_case_through_the_rollup(first, holidays, ac_split):
    cal = Calendar(first, holidays=holidays)
    tables, days = reference_tables(first, cal, ac_split)
    settings = {"StartDate": first, "StatusDate": days[2], "Currency": "EUR"}
    result = rollup(tables, settings, cal)
    out = json.loads(json.dumps(result.to_dict()))
    check(out["evm"])
    assert out["status_date"] == days[2].date().isoformat()
    assert result.planned_duration == 4
    assert result.actual_time == 3


def test_status_date_argument_overrides_the_setting():
    first = dt.date(2026, 3, 2)
    cal = Calendar(first)
    tables, days = reference_tables(first, cal)
    result = rollup(tables, {"StartDate": first, "StatusDate": days[3]}, cal, status_date=days[2])
    check(result.to_dict()["evm"])


def test_reference_case_from_the_formulas():
    m = compute_evm(4000, 3000, 2500, 2800, cum_pv=[1000, 2000, 3000, 4000], at=3)
    check(m.to_dict())
