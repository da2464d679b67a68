"""Actuals, budget phasing, EVM edge cases, roll-ups, reserves and RAG (SPEC §5).

Property tests build random small projects and check the roll-up against a slow,
obvious re-implementation (day by day, row by row) and against its own invariants.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.evm import EVM_KEYS, RagThresholds, compute_evm, earned_schedule, rag
from pmo_xl.engine.finance import PROJECT_LEVEL, records, rollup, snake
from pmo_xl.schema import TABLES
from support.frames import frame

D = dt.date
T = pd.Timestamp


def task(i, wbs, start, finish, bs=None, bf=None, pct=0.0, **kw):
    return {
        "ID": i,
        "WBS": wbs,
        "Task": f"T{i}",
        "Type": "Task",
        "Start": start,
        "Finish": finish,
        "Baseline Start": bs,
        "Baseline Finish": bf,
        "% Complete": pct,
        **kw,
    }


def working_days(cal, a, b):
    out, d = [], a
    while d <= b:
        if cal.is_working(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def assert_json_plain(result) -> dict:
    text = json.dumps(result.to_dict(), allow_nan=False)
    return json.loads(text)


# --------------------------------------------------------------------------- phasing


MON = D(2026, 3, 2)  # a Monday


def test_period_line_is_spread_over_that_months_working_days():
    cal = Calendar(MON, holidays=[D(2026, 3, 16)])
    budget = frame("tblBudget", [{"Category": "Hardware", "Period": D(2026, 3, 1), "Amount": 2100.0}])
    status = D(2026, 3, 18)
    r = rollup({"tblBudget": budget}, {"StartDate": MON, "StatusDate": status}, cal)
    month = working_days(cal, D(2026, 3, 1), D(2026, 3, 31))
    assert len(month) == 21  # 22 weekdays minus the holiday
    done = [d for d in month if d <= status]
    assert r.evm.pv == pytest.approx(2100.0 * len(done) / len(month))
    assert r.evm.bac == 2100.0
    # project level: level of effort, EV = PV
    assert r.evm.ev == pytest.approx(r.evm.pv)
    # a Period typed mid-month still means that month
    budget2 = budget.assign(Period=pd.to_datetime(["2026-03-17"]))
    r2 = rollup({"tblBudget": budget2}, {"StartDate": MON, "StatusDate": status}, cal)
    assert r2.evm.pv == pytest.approx(r.evm.pv)


def test_task_line_uses_the_baseline_then_the_planned_dates():
    cal = Calendar(MON)
    plan = frame(
        "tblPlan",
        [
            # baseline Mon 2 .. Fri 13 (10 working days), planned later
            task(1, "1", T("2026-03-09"), T("2026-03-20"), T("2026-03-02"), T("2026-03-13"), pct=0.4),
            # no baseline: planned Mon 2 .. Wed 4 (3 working days)
            task(2, "2", T("2026-03-02"), T("2026-03-04"), pct=1.0),
            # baseline start only: incomplete baseline -> planned dates
            task(3, "3", T("2026-03-05"), T("2026-03-06"), T("2026-03-02"), None),
        ],
    )
    budget = frame(
        "tblBudget",
        [
            {"Task ID": 1, "Category": "Labour", "Amount": 1000.0},
            {"Task ID": 2, "Category": "Labour", "Amount": 300.0},
            {"Task ID": 3, "Category": "Software", "Amount": 200.0},
        ],
    )
    status = D(2026, 3, 5)  # Thursday: 4 days of task 1, all of task 2, 1 of 2 of task 3
    r = rollup({"tblPlan": plan, "tblBudget": budget}, {"StartDate": MON, "StatusDate": status}, cal)
    assert r.evm.pv == pytest.approx(1000 * 4 / 10 + 300 + 200 * 1 / 2)
    assert r.evm.ev == pytest.approx(1000 * 0.4 + 300 * 1.0 + 0)
    rows = {row["task_id"]: row for row in records(r.by_task)}
    assert rows[1]["pv"] == pytest.approx(400)
    assert rows[3]["pv"] == pytest.approx(100)


def test_project_level_line_over_the_baseline_window_else_start_to_planned_finish():
    cal = Calendar(MON, holidays=[D(2026, 3, 4)])
    plan = frame(
        "tblPlan",
        [
            task(1, "1", T("2026-03-02"), T("2026-03-03"), T("2026-03-03"), T("2026-03-05")),
            task(2, "2", T("2026-03-06"), T("2026-03-10"), T("2026-03-06"), T("2026-03-10")),
        ],
    )
    budget = frame("tblBudget", [{"Category": "Other", "Amount": 600.0}])
    status = D(2026, 3, 6)
    s = {"StartDate": MON, "PlannedFinish": D(2026, 3, 31), "StatusDate": status}
    r = rollup({"tblPlan": plan, "tblBudget": budget}, s, cal)
    window = working_days(cal, D(2026, 3, 3), D(2026, 3, 10))  # 3, 5, 6, 9, 10 (4th a holiday)
    assert len(window) == 5
    assert r.evm.pv == pytest.approx(600 * 3 / 5)
    # without baselines: StartDate .. PlannedFinish
    plan_nb = plan.assign(**{"Baseline Start": pd.NaT, "Baseline Finish": pd.NaT})
    r2 = rollup({"tblPlan": plan_nb, "tblBudget": budget}, s, cal)
    window2 = working_days(cal, MON, D(2026, 3, 31))
    done2 = [d for d in window2 if d <= status]
    assert r2.evm.pv == pytest.approx(600 * len(done2) / len(window2))


def test_window_without_a_working_day_goes_to_the_next_working_day():
    cal = Calendar(MON)
    plan = frame("tblPlan", [task(1, "1", T("2026-03-07"), T("2026-03-08"), T("2026-03-07"), T("2026-03-08"))])
    budget = frame("tblBudget", [{"Task ID": 1, "Category": "Labour", "Amount": 500.0}])
    s = {"StartDate": MON}
    assert rollup({"tblPlan": plan, "tblBudget": budget}, s, cal, status_date=D(2026, 3, 8)).evm.pv == 0
    assert rollup({"tblPlan": plan, "tblBudget": budget}, s, cal, status_date=D(2026, 3, 9)).evm.pv == 500


# --------------------------------------------------------------------------- actuals


def test_actuals_split_at_the_status_date_rates_and_categories():
    cal = Calendar(MON)
    resources = frame(
        "tblResources",
        [
            {"Person": "Ana", "Role": "Dev", "Rate": 100.0, "Category": "Labour"},
            {"Person": "Bo", "Role": "Contractor", "Rate": 80.0, "Category": "Contractors"},
            {"Person": "Cy", "Role": "Intern"},  # no rate
        ],
    )
    timesheet = frame(
        "tblTimesheet",
        [
            {"Date": T("2026-03-02"), "Person": "Ana", "Task ID": 1, "Hours": 8.0},
            {"Date": T("2026-03-03"), "Person": " Bo ", "Task ID": 1, "Hours": 4.0},
            {"Date": T("2026-03-03"), "Person": "Cy", "Task ID": 1, "Hours": 5.0},
            {"Date": T("2026-03-03"), "Person": "Dee", "Task ID": 1, "Hours": 2.0},  # not in resources
            {"Date": T("2026-03-06"), "Person": "Ana", "Task ID": 1, "Hours": 8.0},  # after status
            {"Date": None, "Person": "Ana", "Task ID": 1, "Hours": 1.0},  # undated
        ],
    )
    costs = frame(
        "tblCosts",
        [
            {"Date": T("2026-03-04"), "Category": "Travel", "Amount": 250.0},
            {"Date": T("2026-04-01"), "Task ID": 1, "Category": "Hardware", "Amount": 999.0},
        ],
    )
    tables = {"tblResources": resources, "tblTimesheet": timesheet, "tblCosts": costs}
    r = rollup(tables, {"StartDate": MON, "StatusDate": D(2026, 3, 4)}, cal)
    assert r.evm.ac == pytest.approx(8 * 100 + 4 * 80 + 250)
    out = assert_json_plain(r)
    after = out["after_status_date"]
    assert sorted((a["table"], a["row"], a["reason"]) for a in after) == [
        ("tblCosts", 6, "after status date"),
        ("tblTimesheet", 9, "after status date"),
        ("tblTimesheet", 10, "no date"),
    ]
    assert {a["date"] for a in after} == {"2026-03-06", "2026-04-01", None}
    unrated = {u["person"]: (u["hours"], u["reason"]) for u in out["unrated_people"]}
    assert unrated == {"Cy": (5.0, "no rate"), "Dee": (2.0, "not in tblResources")}
    cats = {c["category"]: c["ac"] for c in out["by_category"]}
    assert cats == {"Labour": 800.0, "Contractors": 320.0, "Travel": 250.0}
    people = {p["person"]: (p["hours"], p["cost"]) for p in out["by_person"]}
    assert people == {"Ana": (8, 800), "Bo": (4, 320), "Cy": (5, 0), "Dee": (2, 0)}
    tasks = {t["task"]: (t["ac"], t["hours"]) for t in out["by_task"]}
    assert tasks[PROJECT_LEVEL] == (250.0, 0.0)
    assert tasks["(not in plan)"] == (1120.0, 19.0)


# --------------------------------------------------------------------------- WBS roll-up


def test_wbs_summary_rows_levels_missing_parents_and_bookings_on_summaries():
    cal = Calendar(MON)
    day = T("2026-03-02")
    plan = frame(
        "tblPlan",
        [
            task(1, "1", day, day, Type="Summary"),
            task(2, "1.1", day, day),
            task(3, "1.2", day, day, Type="Summary"),
            task(4, "1.2.1", day, day),
            task(5, "1.10", day, day),
            task(6, "2.1", day, day),  # parent 2 missing
        ],
    )
    budget = frame(
        "tblBudget",
        [{"Task ID": i, "Category": "Labour", "Amount": 100.0 * i} for i in (1, 2, 4, 5, 6)],
    )
    r = rollup({"tblPlan": plan, "tblBudget": budget}, {"StartDate": MON, "StatusDate": D(2026, 3, 2)}, cal)
    rows = records(r.by_task)
    assert [(x["wbs"], x["level"], x["summary"]) for x in rows] == [
        ("1", 1, True),
        ("1", 2, False),  # the 100 booked on summary 1 itself
        ("1.1", 2, False),
        ("1.2", 2, True),
        ("1.2.1", 3, False),
        ("1.10", 2, False),
        ("2", 1, True),
        ("2.1", 2, False),
    ]
    budget_of = [x["budget"] for x in rows]
    assert budget_of == [100 + 200 + 400 + 500, 100, 200, 400, 400, 500, 600, 600]
    assert rows[6]["task_id"] is None and "not in plan" in rows[6]["task"]
    assert sum(x["budget"] for x in rows if not x["summary"]) == r.evm.bac


# --------------------------------------------------------------------------- reserves


def test_reserves_drawn_by_approved_changes_from_each_reserve():
    changes = frame(
        "tblChanges",
        [
            {"CR ID": "CR-0001", "Status": "Approved", "Funding": "Contingency", "Cost Impact": 1000.0},
            {"CR ID": "CR-0002", "Status": "Implemented", "Funding": "Management Reserve", "Cost Impact": 400.0},
            {"CR ID": "CR-0003", "Status": "Closed", "Funding": "Contingency", "Cost Impact": 300.0,
             "Implemented Date": T("2026-03-10")},
            {"CR ID": "CR-0004", "Status": "Closed", "Funding": "Contingency", "Cost Impact": 5000.0},  # rejected
            {"CR ID": "CR-0005", "Status": "Closed", "Funding": "Management Reserve", "Cost Impact": 50.0},
            {"CR ID": "CR-0006", "Status": "Submitted", "Funding": "Contingency", "Cost Impact": 777.0},
            {"CR ID": "CR-0007", "Status": "Approved", "Funding": "New Funding", "Cost Impact": 888.0},
        ],
    )
    budget = frame(
        "tblBudget",
        [
            {"Category": "Other", "Amount": 1000.0, "Source": "Original"},
            {"Category": "Other", "Amount": 50.0, "Source": "CR-0005"},  # approved then closed
        ],
    )
    s = {"StartDate": MON, "StatusDate": MON, "ContingencyReserve": 5000.0, "ManagementReserve": 2000.0}
    r = rollup({"tblChanges": changes, "tblBudget": budget}, s, Calendar(MON))
    assert records(r.reserves) == [
        {"reserve": "Contingency", "amount": 5000.0, "drawn": 1300.0, "remaining": 3700.0},
        {"reserve": "Management Reserve", "amount": 2000.0, "drawn": 450.0, "remaining": 1550.0},
    ]
    assert r.evm.bac == 1050.0  # lines added by changes count in BAC


# --------------------------------------------------------------------------- EVM edges


def test_divisions_by_zero_are_empty_not_errors():
    m = compute_evm(0, 0, 0, 0)
    d = m.to_dict()
    assert list(d) == list(EVM_KEYS)
    for k in ("cpi", "spi", "eac", "eac_cpi_spi", "etc", "vac", "tcpi", "es", "sv_t", "spi_t", "ieac_t"):
        assert d[k] is None, k
    assert d["cv"] == 0 and d["sv"] == 0 and d["eac_ac_plus_remaining"] == 0
    json.dumps(d, allow_nan=False)
    # BAC == AC: TCPI undefined; EV == 0 with AC > 0: CPI 0 and EAC undefined
    m = compute_evm(1000, 500, 0, 1000, cum_pv=[500, 1000], at=1)
    assert m.tcpi is None and m.cpi == 0 and m.eac is None and m.eac_cpi_spi is None
    assert m.es == 0 and m.spi_t == 0 and m.ieac_t is None
    # nothing elapsed yet: AT = 0
    m = compute_evm(1000, 0, 0, 0, cum_pv=[500, 1000], at=0)
    assert m.spi_t is None and m.sv_t == 0


def test_empty_workbook_rolls_up_to_zeros_and_nones():
    r = rollup({}, {"StartDate": MON, "StatusDate": MON}, Calendar(MON))
    out = assert_json_plain(r)
    assert out["evm"]["bac"] == 0 and out["evm"]["cpi"] is None
    assert out["by_task"] == [] and out["by_category"] == [] and out["by_person"] == []
    assert out["rag"] == "Amber"


def test_earned_schedule_interpolates_and_caps():
    curve = [0, 0, 100, 300, 300, 600]
    assert earned_schedule(curve, 200) == pytest.approx(3.5)
    assert earned_schedule(curve, 300) == pytest.approx(5.0)  # Lipke: whole days with PV <= EV
    assert earned_schedule(curve, 600) == 6
    assert earned_schedule(curve, 900) == 6
    assert earned_schedule([], 10) is None


# --------------------------------------------------------------------------- RAG


@pytest.mark.parametrize(
    "cpi, spi, errors, expected",
    [
        (1.0, 1.0, 0, "Green"),
        (0.95, 0.95, 0, "Green"),
        (1.0, 1.0, 3, "Amber"),
        (0.94, 1.2, 0, "Amber"),
        (0.90, 0.90, 0, "Amber"),
        (0.89, 1.0, 0, "Red"),
        (1.0, 0.5, 0, "Red"),
        (None, 1.0, 0, "Amber"),
        (None, None, 0, "Amber"),
        (None, 0.8, 0, "Red"),
    ],
)
def test_rag(cpi, spi, errors, expected):
    assert rag(cpi, spi, errors) == expected


def test_rag_thresholds_are_configurable_and_reach_the_rollup():
    assert rag(0.92, 0.92, 0, RagThresholds(green=0.9, amber=0.8)) == "Green"
    assert rag(0.85, 0.85, 0, RagThresholds(green=0.9, amber=0.8)) == "Amber"
    cal = Calendar(MON)
    budget = frame("tblBudget", [{"Category": "Other", "Amount": 100.0}])
    costs = frame("tblCosts", [{"Date": T("2026-03-02"), "Category": "Other", "Amount": 110.0}])
    s = {"StartDate": MON, "PlannedFinish": D(2026, 3, 2), "StatusDate": MON}
    tables = {"tblBudget": budget, "tblCosts": costs}
    assert rollup(tables, s, cal).rag == "Amber"  # CPI 0.909
    assert rollup(tables, s, cal, thresholds=RagThresholds(green=0.9)).rag == "Green"
    assert rollup(tables, s, cal, error_count=1, thresholds=RagThresholds(green=0.9)).rag == "Amber"


def test_snake_keys():
    assert snake("% Spent") == "pct_spent"
    assert snake("Cum PV") == "cum_pv"
    assert snake("Task ID") == "task_id"


# --------------------------------------------------------------------------- properties

CATS = ["Labour", "Contractors", "Hardware", "Travel"]
PEOPLE = {"Ana": (90.0, "Labour"), "Bo": (60.0, "Contractors"), "Cy": (None, "Labour")}


@st.composite
def projects(draw):
    start = D(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 700)))
    workweek = draw(st.sampled_from(["1111100", "1111110", "0111110", "1010101"]))
    holidays = draw(st.lists(st.integers(0, 120), max_size=6))
    cal = Calendar(start, workweek=workweek, holidays=[start + dt.timedelta(days=h) for h in holidays])
    n = draw(st.integers(1, 6))
    parents: list[int | None] = [None]
    for i in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))))
    wbs: list[str] = []
    children: dict[int | None, int] = {}
    for i, p in enumerate(parents):
        children[p] = children.get(p, 0) + 1
        wbs.append(str(children[p]) if p is None else f"{wbs[p]}.{children[p]}")
    plan_rows = []
    for i in range(n):
        a = start + dt.timedelta(days=draw(st.integers(0, 60)))
        b = a + dt.timedelta(days=draw(st.integers(0, 30)))
        base = draw(st.booleans())
        ba = a + dt.timedelta(days=draw(st.integers(-5, 5)))
        bb = ba + dt.timedelta(days=draw(st.integers(0, 20)))
        actual = draw(st.booleans())
        plan_rows.append(
            task(
                i + 1,
                wbs[i],
                T(a),
                T(b),
                T(ba) if base else None,
                T(bb) if base else None,
                pct=draw(st.floats(0, 1)),
                **({"Actual Start": T(a)} if actual else {}),
            )
        )
    ids = st.one_of(st.none(), st.integers(1, n), st.just(99))
    money = st.floats(0, 10_000, allow_nan=False).map(lambda x: round(x, 2))
    budget_rows = [
        {
            "Task ID": draw(ids),
            "Category": draw(st.sampled_from(CATS)),
            "Period": draw(st.one_of(st.none(), st.integers(0, 4).map(lambda k: T(start).to_period("M").to_timestamp() + pd.DateOffset(months=k)))),
            "Amount": draw(money),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    day = st.integers(-10, 150).map(lambda k: T(start + dt.timedelta(days=k)))
    timesheet_rows = [
        {
            "Date": draw(day),
            "Person": draw(st.sampled_from(["Ana", "Bo", "Cy", "Ghost"])),
            "Task ID": draw(st.one_of(st.integers(1, n), st.just(99))),
            "Hours": draw(st.floats(0, 10).map(lambda x: round(x, 2))),
        }
        for _ in range(draw(st.integers(0, 12)))
    ]
    cost_rows = [
        {"Date": draw(day), "Task ID": draw(ids), "Category": draw(st.sampled_from(CATS)), "Amount": draw(money)}
        for _ in range(draw(st.integers(0, 6)))
    ]
    resources = [{"Person": p, "Rate": r, "Category": c} for p, (r, c) in PEOPLE.items()]
    tables = {
        "tblPlan": frame("tblPlan", plan_rows),
        "tblBudget": frame("tblBudget", budget_rows),
        "tblTimesheet": frame("tblTimesheet", timesheet_rows),
        "tblCosts": frame("tblCosts", cost_rows),
        "tblResources": frame("tblResources", resources),
    }
    status = start + dt.timedelta(days=draw(st.integers(-5, 150)))
    s = {"StartDate": start, "PlannedFinish": start + dt.timedelta(days=90), "StatusDate": status}
    return tables, s, cal, status


def naive_windows(tables, settings, cal):
    """Each budget line's (amount, working days) by the SPEC §5 rules, day by day."""
    plan = tables["tblPlan"]
    by_id = {int(r["ID"]): r for _, r in plan.iterrows()}
    bs, bf = plan["Baseline Start"].dropna(), plan["Baseline Finish"].dropna()
    p_start = bs.min().date() if len(bs) else settings["StartDate"]
    p_end = bf.max().date() if len(bf) else settings["PlannedFinish"]
    out = []
    for _, line in tables["tblBudget"].iterrows():
        if pd.notna(line["Period"]):
            a = line["Period"].date().replace(day=1)
            b = (line["Period"] + pd.offsets.MonthEnd(0)).date()
        elif pd.notna(line["Task ID"]) and int(line["Task ID"]) in by_id:
            t = by_id[int(line["Task ID"])]
            if pd.notna(t["Baseline Start"]) and pd.notna(t["Baseline Finish"]):
                a, b = t["Baseline Start"].date(), t["Baseline Finish"].date()
            else:
                a, b = t["Start"].date(), t["Finish"].date()
        else:
            a, b = p_start, p_end
        days = working_days(cal, min(a, b), max(a, b))
        if not days:
            d = a
            while not cal.is_working(d):
                d += dt.timedelta(days=1)
            days = [d]
        out.append((float(line["Amount"]), days))
    return out


def naive_ac(tables, status):
    rate = {p: r for p, (r, _) in PEOPLE.items()}
    total = 0.0
    excluded = 0
    for _, row in tables["tblTimesheet"].iterrows():
        if row["Date"].date() <= status:
            total += row["Hours"] * (rate.get(row["Person"]) or 0.0)
        else:
            excluded += 1
    for _, row in tables["tblCosts"].iterrows():
        if row["Date"].date() <= status:
            total += row["Amount"]
        else:
            excluded += 1
    return total, excluded


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_rollup_properties(project):
    tables, s, cal, status = project
    r = rollup(tables, s, cal)
    out = assert_json_plain(r)
    evm = out["evm"]
    approx = lambda x: pytest.approx(x, rel=1e-9, abs=1e-6)  # noqa: E731

    # BAC, PV and AC against the slow re-implementation
    lines = naive_windows(tables, s, cal)
    assert evm["bac"] == approx(sum(a for a, _ in lines))
    assert evm["pv"] == approx(sum(a * sum(d <= status for d in days) / len(days) for a, days in lines))
    ac, excluded = naive_ac(tables, status)
    assert evm["ac"] == approx(ac)
    assert len(out["after_status_date"]) == excluded
    assert all(a["date"] > status.isoformat() for a in out["after_status_date"])

    # category and leaf-task totals are the project totals
    for col, total in (("budget", "bac"), ("pv", "pv"), ("ac", "ac")):
        assert sum(c[col] for c in out["by_category"]) == approx(evm[total])
    leaves = [t for t in out["by_task"] if not t["summary"]]
    for col, total in (("budget", "bac"), ("pv", "pv"), ("ev", "ev"), ("ac", "ac")):
        assert sum(t[col] for t in leaves) == approx(evm[total])
    hours = sum(p["hours"] for p in out["by_person"])
    assert sum(t["hours"] for t in leaves) == approx(hours)
    counted_costs = sum(
        row["Amount"] for _, row in tables["tblCosts"].iterrows() if row["Date"].date() <= status
    )
    assert sum(p["cost"] for p in out["by_person"]) == approx(evm["ac"] - counted_costs)

    # summary rows sum their descendants
    by_wbs = {t["wbs"]: t for t in out["by_task"] if t["summary"]}
    for w, row in by_wbs.items():
        below = [t for t in leaves if t["wbs"] == w or t["wbs"].startswith(w + ".")]
        assert row["budget"] == approx(sum(t["budget"] for t in below))

    # S-curve: cumulative PV non-decreasing, ends at BAC; cumulative EV/AC at the status month
    months = out["by_month"]
    cum = [m["cum_pv"] for m in months]
    assert all(b >= a - 1e-6 for a, b in zip(cum, cum[1:]))
    assert cum[-1] == approx(evm["bac"])
    current = [m for m in months if m["month"][:7] == status.isoformat()[:7]][0]
    assert current["cum_ev"] == approx(evm["ev"])
    assert current["cum_ac"] == approx(evm["ac"])
    assert all(m["cum_ev"] is None for m in months if m["month"][:7] > status.isoformat()[:7])

    # % complete <= 1 -> EV <= BAC; PV after the project's end = BAC
    assert evm["ev"] <= evm["bac"] + 1e-6
    late = max(d for _, days in lines for d in days) + dt.timedelta(days=3) if lines else status
    r_late = rollup(tables, s, cal, status_date=late)
    assert r_late.evm.pv == approx(evm["bac"])
    assert r_late.evm.ev <= r_late.evm.bac + 1e-6
    if r_late.evm.es is not None and r_late.evm.ev == approx(r_late.evm.bac):
        assert r_late.evm.es == r_late.planned_duration
    # every number is finite
    for v in evm.values():
        assert v is None or math.isfinite(v)


# --------------------------------------------------------------------------- a real workbook


def test_demo_workbook_read_by_the_real_reader():
    from pathlib import Path

    from pmo_xl.io.reader import load

    path = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    book = load(str(path))
    # TableData values and calendar=None (built from the settings and tblHolidays)
    r = rollup(book.tables, book.settings, None)
    out = assert_json_plain(r)
    evm = out["evm"]
    status = _to_date(book.settings["StatusDate"])
    assert out["status_date"] == status.isoformat()

    ts, res, costs = book.frame("tblTimesheet"), book.frame("tblResources"), book.frame("tblCosts")
    rate = {str(p).strip(): r_ for p, r_ in zip(res["Person"], res["Rate"]) if pd.notna(r_)}
    ac = sum(
        h * rate.get(str(p).strip(), 0.0)
        for d, p, h in zip(ts["Date"], ts["Person"], ts["Hours"])
        if pd.notna(d) and d.date() <= status and pd.notna(h)
    ) + sum(a for d, a in zip(costs["Date"], costs["Amount"]) if pd.notna(d) and d.date() <= status and pd.notna(a))
    assert evm["ac"] == pytest.approx(ac)
    assert evm["bac"] == pytest.approx(book.frame("tblBudget")["Amount"].sum())
    leaves = [t for t in out["by_task"] if not t["summary"]]
    for col, total in (("budget", "bac"), ("pv", "pv"), ("ev", "ev"), ("ac", "ac")):
        assert sum(t[col] for t in leaves) == pytest.approx(evm[total])
        if col != "ev":
            assert sum(c[col] for c in out["by_category"]) == pytest.approx(evm[total])
    current = [m for m in out["by_month"] if m["month"][:7] == status.isoformat()[:7]][0]
    assert current["cum_ev"] == pytest.approx(evm["ev"]) and current["cum_ac"] == pytest.approx(evm["ac"])
    assert 0 < evm["pv"] < evm["bac"] and 0 < evm["es"] < r.planned_duration


def _to_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def test_rollup_tables_have_the_contract_columns():
    cal = Calendar(MON)
    plan = frame("tblPlan", [task(1, "1", T("2026-03-02"), T("2026-03-06"), pct=0.5)])
    budget = frame("tblBudget", [{"Task ID": 1, "Category": "Labour", "Amount": 100.0}])
    r = rollup({"tblPlan": plan, "tblBudget": budget}, {"StartDate": MON, "StatusDate": D(2026, 3, 4)}, cal)
    for name, df in r.tables().items():
        assert list(df.columns) == TABLES[name].headers, name
    assert r.to_dict()["evm"] == r.evm.to_dict()
    values = [None if pd.isna(v) else v for v in r.evm.to_frame()["Value"]]
    assert values == [r.evm.to_dict()[k] for k in EVM_KEYS]
