"""`pmo-xl demo`: the example CRM roll-out (make_demo) and the workbook it becomes.

The generated plan is checked against the engine itself (calendar, CPM, links, change
workflow), and the workbook by real readers (openpyxl). No timing assertions here; the
large build is measured by hand (see the module docstring of pmo_xl.demo).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.cli import cli
from pmo_xl.commands.demo import demo_workbook
from pmo_xl.demo import DemoProject, make_demo
from pmo_xl.engine import changes as engine_changes
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import schedule_plan
from pmo_xl.engine.links import parse_predecessors
from pmo_xl.errors import PmoError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


@pytest.fixture(scope="module")
def demo() -> DemoProject:
    return make_demo(1)


def calendar_of(p: DemoProject) -> Calendar:
    s = p.settings
    return Calendar(s["StartDate"], s["WorkWeek"], [r["Date"] for r in p.rows["tblHolidays"]], s["HolidayCountry"])


def defect_rows(p: DemoProject, table: str, column: str | None = None) -> set[int]:
    return {d["index"] for d in p.defects if d["table"] == table and (column is None or d["column"] == column)}


def as_date(value) -> dt.date:
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


# --------------------------------------------------------------------------- contract


def test_rows_are_keyed_by_the_schema_headers(demo):
    assert set(demo.rows) == set(schema.INPUT_TABLES)
    for name, data in demo.rows.items():
        headers = schema.table(name).headers
        if isinstance(data, pd.DataFrame):
            assert list(data.columns) == headers, name
        else:
            assert all(list(r) == headers for r in data), name
    assert set(demo.settings) == {s.name for s in schema.SETTINGS}
    assert demo.settings["TemplateVersion"] == schema.TEMPLATE_VERSION


def test_settings_are_plausible(demo):
    s = demo.settings
    assert s["ProjectCode"] == "CRM-0001"
    assert s["StartDate"] < s["StatusDate"] < s["PlannedFinish"]
    assert s["HolidayCountry"] in ("DE", "GB") and s["Currency"] in ("EUR", "GBP")
    assert s["ContingencyReserve"] > s["ManagementReserve"] > 0
    plan = demo.frame("tblPlan")
    assert s["PlannedFinish"] == max(plan["Baseline Finish"])
    assert s["StartDate"] == min(plan["Baseline Start"])
    # the status date is mid-project: some work done, some ahead
    assert (plan["Status"] == "Complete").any() and (plan["Status"] == "Not Started").any()


# --------------------------------------------------------------------------- determinism


def assert_same(a: DemoProject, b: DemoProject) -> None:
    assert a.settings == b.settings
    assert a.defects == b.defects
    for name in a.rows:
        fa, fb = a.frame(name), b.frame(name)
        pd.testing.assert_frame_equal(fa, fb, check_dtype=True)


def test_same_seed_same_project():
    assert_same(make_demo(7), make_demo(7))
    assert_same(make_demo(3, tasks=120, timesheet_rows=3000), make_demo(3, tasks=120, timesheet_rows=3000))


def test_different_seeds_differ_and_codes_are_unique():
    projects = [make_demo(seed) for seed in range(1, 9)]
    codes = [p.settings["ProjectCode"] for p in projects]
    assert len(set(codes)) == len(codes)
    assert make_demo(-1).settings["ProjectCode"] not in codes
    for a, b in zip(projects, projects[1:]):
        assert a.settings["StartDate"] != b.settings["StartDate"] or a.settings["ProjectName"] != b.settings["ProjectName"]
        assert list(a.frame("tblPlan")["Duration"]) != list(b.frame("tblPlan")["Duration"])
        assert a.frame("tblTimesheet")["Hours"].sum() != b.frame("tblTimesheet")["Hours"].sum()
    assert len({p.settings["ProjectName"] for p in projects}) > 2
    assert len({tuple(p.frame("tblResources")["Person"]) for p in projects}) == len(projects)


# --------------------------------------------------------------------------- the counts


def link_types(plan: pd.DataFrame) -> Counter:
    out: Counter = Counter()
    for text in plan["Predecessors"]:
        links, _ = parse_predecessors(text)
        for link in links:
            out[link.type] += 1
            if link.lag > 0:
                out["lag"] += 1
            if link.lag < 0:
                out["lead"] += 1
    return out


def test_default_size_and_shape(demo):
    plan = demo.frame("tblPlan")
    assert 40 <= len(plan) and 55 <= len(plan) <= 65
    types = plan["Type"].value_counts()
    assert types["Summary"] >= 9 and types["Milestone"] >= 9 and types["Task"] >= 25
    assert (plan.loc[plan["Type"] == "Milestone", "Duration"] == 0).all()
    phases = plan.loc[~plan["WBS"].str.contains(r"\."), "Task"].tolist()
    assert phases[0] == "Initiation" and "Data migration" in phases and "Testing" in phases and "Go-live" in phases
    links = link_types(plan)
    assert all(links[t] > 0 for t in ("FS", "SS", "FF", "SF", "lag", "lead"))
    assert links["FS"] / sum(links[t] for t in ("FS", "SS", "FF", "SF")) >= 0.8
    assert set(plan["Constraint"]) >= {"ASAP", "SNET", "FNLT"}
    assert plan.loc[plan["Constraint"] != "ASAP", "Constraint Date"].notna().all()

    people = demo.frame("tblResources")
    assert 6 <= len(people) <= 10
    assert people["Role"].nunique() >= 6
    assert 500 <= len(demo.rows["tblTimesheet"]) and 1000 <= len(demo.rows["tblTimesheet"]) <= 1300

    costs = demo.frame("tblCosts")
    assert {"Software", "Contractors", "Travel", "Hardware"} <= set(costs["Category"])

    changes = demo.frame("tblChanges")
    assert len(changes) >= 8 and changes["Status"].nunique() >= 4
    assert changes["Rationale"].notna().all()


@pytest.mark.parametrize("seed", [2, 5, 11])
def test_sizes_scale(seed):
    p = make_demo(seed, tasks=300, timesheet_rows=20000)
    assert len(p.rows["tblPlan"]) == 300
    assert len(p.rows["tblTimesheet"]) == 20000
    plan = p.frame("tblPlan")
    assert plan["WBS"].str.count(r"\.").max() == 2  # work packages appear in big plans
    assert plan["WBS"].is_unique and plan["ID"].is_unique


# --------------------------------------------------------------------------- plan logic


def check_plan(p: DemoProject) -> None:
    """The plan is internally consistent apart from the planted defects."""
    plan = p.frame("tblPlan")
    cal = calendar_of(p)
    status_date = p.settings["StatusDate"]
    wrong_finish = defect_rows(p, "tblPlan", "Finish")
    pct_defect = defect_rows(p, "tblPlan", "% Complete") | defect_rows(p, "tblPlan", "Status")
    for i, r in plan.iterrows():
        if i in wrong_finish:
            assert r["Finish"] < r["Start"]
            continue
        assert r["Start"] <= r["Finish"], r["ID"]
        assert r["Baseline Start"] <= r["Baseline Finish"]
        if r["Type"] == "Milestone":
            assert r["Start"] == r["Finish"] and r["Duration"] == 0
        else:
            assert r["Duration"] == cal.networkdays(r["Start"], r["Finish"]), r["ID"]
            assert cal.is_working(r["Start"]) and cal.is_working(r["Finish"])
        for a in ("Actual Start", "Actual Finish"):
            assert r[a] is None or r[a] <= status_date
        if i in pct_defect:
            continue
        status, pct = r["Status"], r["% Complete"]
        if status == "Complete":
            assert pct == 1 and r["Actual Start"] == r["Start"] and r["Actual Finish"] == r["Finish"] <= status_date
        elif status == "In Progress":
            assert 0 < pct < 1 and r["Actual Start"] == r["Start"] <= status_date < r["Finish"] and r["Actual Finish"] is None
        else:
            assert status == "Not Started" and pct == 0 and r["Start"] > status_date and r["Actual Start"] is None
    # summaries span their children
    for _, s in plan[plan["Type"] == "Summary"].iterrows():
        kids = plan[plan["WBS"].str.startswith(s["WBS"] + ".")]
        assert s["Start"] == kids["Start"].min()
        rest = kids.drop(index=list(wrong_finish), errors="ignore")["Finish"].max()
        if kids.index.isin(wrong_finish).any():  # it spans the true finish of the defect row
            assert s["Finish"] >= rest
        else:
            assert s["Finish"] == rest
    # owners everywhere but the planted gap
    no_owner = set(plan.index[plan["Owner"].isna() & (plan["Type"] != "Summary")])
    assert no_owner == defect_rows(p, "tblPlan", "Owner")


def test_plan_is_consistent(demo):
    check_plan(demo)


def test_plan_dates_are_the_engines_critical_path_dates():
    """The plan is the CPM forward pass (engine.cpm, with progress at the status date) on
    the workbook's own calendar: every row but the planted finish-before-start matches."""
    for seed, tasks in ((1, None), (4, None), (9, 1500)):
        p = make_demo(seed, tasks=tasks, timesheet_rows=600)
        plan = p.frame("tblPlan")
        result = schedule_plan(plan, calendar_of(p), p.settings["StatusDate"]).to_dict()
        by_id = plan.set_index("ID")
        wrong = {d["key"] for d in p.defects if d["table"] == "tblPlan" and d["column"] == "Finish"}
        mismatched = {
            t["id"]
            for t in result["tasks"]
            if (t["early_start"], t["early_finish"])
            != (by_id.loc[t["id"], "Start"].isoformat(), by_id.loc[t["id"], "Finish"].isoformat())
        }
        assert mismatched == wrong
        assert result["project_finish"] == max(plan["Finish"]).isoformat()


# --------------------------------------------------------------------------- timesheet, money


def check_timesheet(p: DemoProject, rows: int | None = None) -> None:
    ts = p.frame("tblTimesheet")
    if rows is not None:
        assert len(ts) == rows
    plan = p.frame("tblPlan").set_index("ID")
    status_date = p.settings["StatusDate"]
    bad = defect_rows(p, "tblTimesheet")
    ok = ts.drop(index=list(bad))
    assert not ok["Task ID"].isin(plan.index[plan["Type"] != "Task"]).any()  # no milestones or summaries
    assert ok["Task ID"].isin(plan.index).all()
    dates = ok["Date"].dt.date
    assert (dates <= status_date).all()
    task = plan.loc[ok["Task ID"]]
    assert (dates.to_numpy() >= task["Actual Start"].to_numpy()).all()
    finished = task["Actual Finish"].notna().to_numpy()
    assert (dates.to_numpy()[finished] <= task["Actual Finish"].to_numpy()[finished]).all()
    assert ((ts["Hours"] > 0) & (ts["Hours"] % 0.5 == 0)).all()
    capacity = p.frame("tblResources").set_index("Person")["Capacity"].fillna(8).clip(upper=8)
    per_day = ts.groupby(["Date", "Person"])["Hours"].sum()
    assert (per_day.to_numpy() <= capacity.loc[per_day.index.get_level_values("Person")].to_numpy()).all()
    assert ts["Person"].isin(capacity.index).all()
    cal = calendar_of(p)
    assert all(cal.is_working(d) for d in set(dates))


def test_timesheet_is_plausible(demo):
    check_timesheet(demo)
    ts = demo.frame("tblTimesheet")
    months = ts["Date"].dt.to_period("M").nunique()
    assert months >= 3
    # most people work most days they book, and the whole team books
    assert ts["Person"].nunique() == len(demo.rows["tblResources"])


def test_budget_and_costs(demo):
    budget = demo.frame("tblBudget")
    plan = demo.frame("tblPlan").set_index("ID")
    period = budget["Period"].dropna()
    assert len(period) >= 3 and all(d.day == 1 for d in period)
    assert (budget["Task ID"].isna() & budget["Period"].isna()).any()  # a project-level line
    task_lines = budget.dropna(subset=["Task ID"])
    assert task_lines["Period"].isna().any()
    assert task_lines["Task ID"].isin(plan.index[plan["Type"] == "Task"]).all()
    assert set(budget["Category"]) <= set(schema.LISTS["CostCategory"]) and budget["Category"].nunique() >= 5
    assert (budget["Amount"] > 0).all()

    costs = demo.frame("tblCosts")
    bad = defect_rows(demo, "tblCosts")
    ok = costs.drop(index=list(bad))
    assert (ok["Date"] <= demo.settings["StatusDate"]).all()
    on_task = ok.dropna(subset=["Task ID"])
    starts = plan.loc[on_task["Task ID"].astype(int), "Actual Start"].to_numpy()
    assert all(s is not None and d >= s for d, s in zip(on_task["Date"], starts))
    assert (ok["Amount"] > 0).all()


def test_cost_performance_is_realistic(demo):
    """EV / AC of the labour lines lands in the calibrated band (the rate-less person's
    hours cost nothing, so allow some room)."""
    budget = demo.frame("tblBudget")
    plan = demo.frame("tblPlan").set_index("ID")
    labour = budget[(budget["Category"] == "Labour") & (budget["Source"] == "Original")]
    ev = (labour["Amount"].to_numpy() * plan.loc[labour["Task ID"].astype(int), "% Complete"].to_numpy()).sum()
    ts = demo.frame("tblTimesheet")
    rate = demo.frame("tblResources").set_index("Person")["Rate"].fillna(0)
    ac = (ts["Hours"] * ts["Person"].map(rate)).sum()
    assert 0.8 < ev / ac < 1.2


# --------------------------------------------------------------------------- change register


def check_register(p: DemoProject) -> None:
    changes = p.frame("tblChanges")
    log = p.frame("tblChangeLog")
    assert len(changes) >= 8 and changes["Status"].nunique() >= 4
    assert list(changes["CR ID"]) == [f"CR-{i:04d}" for i in range(1, len(changes) + 1)]
    assert set(changes["Status"]) <= set(schema.LISTS["CRStatus"])
    assert set(log["Action"]) <= set(engine_changes.ACTIONS)
    assert log["Timestamp"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert list(log["Timestamp"]) == sorted(log["Timestamp"])  # appended in time order
    for _, cr in changes.iterrows():
        mine = log[log["CR ID"] == cr["CR ID"]]
        assert (mine["Action"] == "Added").any(), cr["CR ID"]
        status_rows = mine[mine["Field"] == "Status"]
        assert status_rows.iloc[0]["Action"] == "Added" and status_rows.iloc[0]["New Value"] == "Draft"
        assert status_rows.iloc[-1]["New Value"] == cr["Status"], cr["CR ID"]
        # every move is one the workflow allows
        for old, new in zip(status_rows["Old Value"].iloc[1:], status_rows["New Value"].iloc[1:]):
            assert new in engine_changes.TRANSITIONS[old]
        assert mine["Timestamp"].min() >= cr["Date Raised"].isoformat()
    decided = changes[changes["Status"].isin(["Approved", "Rejected", "Deferred"])]
    assert decided["Decision By"].notna().all()
    missing_date = set(decided.index[decided["Decision Date"].isna()])
    assert missing_date == defect_rows(p, "tblChanges", "Decision Date")
    ok = decided.dropna(subset=["Decision Date"])
    assert (ok["Decision Date"] >= ok["Date Raised"]).all()
    assert (ok["Decision Date"] <= p.settings["StatusDate"]).all()
    # approved changes with a cost impact have their budget line (Source = CR ID)
    budget = p.frame("tblBudget")
    approved = changes[engine_changes.approved_mask(changes)]
    assert len(approved) >= 2
    for _, cr in approved.iterrows():
        lines = budget[budget["Source"] == cr["CR ID"]]
        if cr["Cost Impact"]:
            assert len(lines) == 1 and lines.iloc[0]["Amount"] == cr["Cost Impact"]
            assert str(int(lines.iloc[0]["Task ID"])) == cr["Affected Tasks"].split(",")[0].strip()
    assert set(budget["Source"]) - {"Original"} <= set(approved["CR ID"])


def test_register_matches_its_log(demo):
    check_register(demo)


# --------------------------------------------------------------------------- defects


def test_defects_manifest_points_at_the_planted_values(demo):
    assert 6 <= len(demo.defects) <= 10
    assert {d["rule"] for d in demo.defects} == {"DT", "PL", "FN", "CR"}
    for d in demo.defects:
        data = demo.rows[d["table"]]
        cell = data.iloc[d["index"]][d["column"]] if isinstance(data, pd.DataFrame) else data[d["index"]][d["column"]]
        if d["value"] is None:
            assert cell is None or pd.isna(cell)
        else:
            assert cell == d["value"], d
        key = schema.table(d["table"]).key
        if key is not None:
            row = data[d["index"]]
            assert row[key] == d["key"]
    plan = demo.frame("tblPlan")
    ids = set(plan["ID"])
    pred = next(d for d in demo.defects if d["column"] == "Predecessors")
    links, problems = parse_predecessors(pred["value"])
    assert not problems and any(link.pred not in ids for link in links)
    ts = next(d for d in demo.defects if d["table"] == "tblTimesheet")
    assert ts["value"] not in ids
    # one plan defect per row, so each is reported at its own cell
    plan_rows = [d["index"] for d in demo.defects if d["table"] == "tblPlan"]
    assert len(plan_rows) == len(set(plan_rows))


# --------------------------------------------------------------------------- invariants


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=-50, max_value=10_000),
    tasks=st.one_of(st.none(), st.integers(min_value=40, max_value=400)),
    rows=st.one_of(st.none(), st.integers(min_value=1, max_value=6000)),
)
def test_invariants_over_seeds_and_sizes(seed, tasks, rows):
    p = make_demo(seed, tasks=tasks, timesheet_rows=rows)
    if tasks is not None:
        assert len(p.rows["tblPlan"]) == tasks
    check_plan(p)
    check_timesheet(p, rows)
    check_register(p)
    assert 6 <= len(p.defects) <= 10
    links = link_types(p.frame("tblPlan"))
    assert all(links[t] > 0 for t in ("FS", "SS", "FF", "SF"))
    if rows is None:
        assert 6 <= len(p.rows["tblResources"]) <= 10


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        make_demo(1, tasks=39)
    with pytest.raises(ValueError):
        make_demo(1, timesheet_rows=0)


# --------------------------------------------------------------------------- the workbook


def table_rows(path: Path) -> dict[str, int]:
    import openpyxl
    from openpyxl.utils import range_boundaries

    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for name, ref in ws.tables.items():
            _, top, _, bottom = range_boundaries(ref)
            out[name] = bottom - top  # data rows (an empty table keeps one blank row)
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_cli_demo_end_to_end(tmp_path):
    out = tmp_path / "demo.xlsx"
    result = CliRunner().invoke(cli, ["demo", str(out), "--seed", "3", "--tasks", "80", "--timesheet-rows", "900"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "Created" in result.output
    p = make_demo(3, tasks=80, timesheet_rows=900)
    counts = table_rows(out)
    for name, data in p.rows.items():
        assert counts[name] == len(data), name
    import openpyxl

    wb = openpyxl.load_workbook(out)
    sheet, cell = next(wb.defined_names["ProjectCode"].destinations)
    assert wb[sheet][cell.replace("$", "")].value == "CRM-0003"
    # refuses to overwrite without --force, then does with it
    again = CliRunner().invoke(cli, ["demo", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    forced = CliRunner().invoke(cli, ["demo", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert table_rows(out)["tblPlan"] == len(make_demo(1).rows["tblPlan"])


def test_cli_rejects_too_few_tasks(tmp_path):
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "x.xlsx"), "--tasks", "10"])
    assert result.exit_code == 2
    with pytest.raises(PmoError):
        demo_workbook(tmp_path / "y.xlsx", tasks=10)


def test_workbook_values_read_back(tmp_path):
    import openpyxl

    path = demo_workbook(tmp_path / "demo.xlsx", seed=2)
    p = make_demo(2)
    wb = openpyxl.load_workbook(path)
    ws = wb["Plan"]
    table = ws.tables["tblPlan"]
    from openpyxl.utils import range_boundaries

    left, top, _, _ = range_boundaries(table.ref)
    headers = [c.value for c in ws[top]][left - 1:]
    first = {h: ws.cell(top + 1, left + k).value for k, h in enumerate(headers) if h}
    want = p.rows["tblPlan"][0]
    assert first["Task"] == want["Task"] and first["WBS"] == want["WBS"]
    assert as_date(first["Start"]) == want["Start"]


def test_workbook_is_deterministic(tmp_path):
    a = demo_workbook(tmp_path / "a.xlsx", seed=4)
    b = demo_workbook(tmp_path / "b.xlsx", seed=4)
    assert parts(a) == parts(b)


def test_example_project_is_up_to_date(tmp_path):
    """workbooks/Example_Project.xlsx is `pmo-xl demo` with the defaults; rebuild it with
    `.venv/bin/pmo-xl demo workbooks/Example_Project.xlsx --force` when this fails."""
    assert EXAMPLE.exists(), f"{EXAMPLE} is missing"
    fresh = demo_workbook(tmp_path / "Example_Project.xlsx")
    stored, built = parts(EXAMPLE), parts(fresh)
    assert sorted(stored) == sorted(built)
    stale = [name for name in built if stored[name] != built[name]]
    assert not stale, f"stale parts {stale}: rebuild with .venv/bin/pmo-xl demo workbooks/Example_Project.xlsx --force"
