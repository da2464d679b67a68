"""``pmo-xl rollup``: the SPEC §5 reference case as a real workbook through the command
line (JSON, text, csv), bad files among good ones, --status-date, and --write on the demo
workbook read back by pmo_xl, openpyxl, python-calamine and LibreOffice (the Dashboard
tiles and charts follow the Rollup sheet; every other part unchanged). Also the
Validation sheet blocks (:func:`pmo_xl.commands.results.validation_blocks`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pmo_xl import load, schema
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.evm import EVM_KEYS
from pmo_xl.io.template import CHART_SERIES, GENERATED_ANCHORS, chart_name_formulas, build_workbook
from support.files import run, sheet_parts, strict_json, zip_parts

FIRST = dt.date(2026, 3, 5)  # a Thursday: the four days run over a weekend
CAL = Calendar(FIRST)
DAYS = [CAL.date_of(i) for i in range(1, 5)]

SPEC = {  # SPEC §5 reference case
    "bac": 4000, "pv": 3000, "ev": 2500, "ac": 2800, "cv": -300, "sv": -500, "cpi": 0.8929, "spi": 0.8333,
    "eac": 4480, "etc": 1680, "vac": -480, "tcpi": 1.25, "eac_cpi_spi": 4816, "es": 2.5, "spi_t": 0.8333,
    "ieac_t": 4.8,
}


def reference_book(path: Path, status: dt.date = DAYS[2]) -> Path:
    """Four 1-day tasks on consecutive working days, 1000 budget each, % complete 1, 1,
    0.5, 0, AC 2800 (two invoices), status date = day 3."""
    plan = [
        {"ID": i + 1, "WBS": str(i + 1), "Task": f"Task {'ABCD'[i]}", "Type": "Task", "Owner": "Ann", "Duration": 1,
         "Start": d, "Finish": d, "Baseline Start": d, "Baseline Finish": d, "% Complete": pct,
         "Predecessors": str(i) if i else None}
        for i, (d, pct) in enumerate(zip(DAYS, (1.0, 1.0, 0.5, 0.0)))
    ]
    budget = [{"Task ID": i + 1, "Category": "Labour", "Amount": 1000, "Source": "Original"} for i in range(4)]
    costs = [
        {"Date": DAYS[0], "Task ID": 1, "Category": "Contractors", "Amount": 1000, "Description": "Invoice 1"},
        {"Date": DAYS[2], "Task ID": 3, "Category": "Contractors", "Amount": 1800, "Description": "Invoice 2"},
    ]
    settings = {"ProjectName": "Reference", "ProjectCode": "REF", "StartDate": FIRST, "StatusDate": status,
                "Currency": "EUR"}
    return build_workbook(path, settings, {"tblPlan": plan, "tblBudget": budget, "tblCosts": costs})


def walk(value, path="$"):
    """Every scalar of a JSON value with its path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_book(tmp_path_factory.mktemp("ref") / "reference.xlsx")


# ------------------------------------------------------------------ the reference case


def test_reference_case_through_the_command_json(ref: Path) -> None:
    code, out, _ = run("rollup", str(ref), "--format", "json")
    assert code == 0
    f = strict_json(out)["files"][0]
    assert (f["path"], f["ok"], f["error"]) == (str(ref), True, None)
    assert f["status_date"] == DAYS[2].isoformat() and f["currency"] == "EUR"
    assert list(f["evm"]) == list(EVM_KEYS)
    for key, value in SPEC.items():
        assert f["evm"][key] == pytest.approx(value, abs=5e-5), key
    assert f["evm"]["sv_t"] == pytest.approx(-0.5)
    assert f["evm"]["eac_ac_plus_remaining"] == pytest.approx(2800 + 4000 - 2500)
    assert f["rag"] == "Red"  # CPI 0.89 < 0.90
    for key in ("by_category", "by_month", "by_task", "by_person", "reserves"):
        assert isinstance(f[key], list), key
    cats = {c["category"]: c for c in f["by_category"]}
    assert cats["Labour"]["budget"] == 4000 and cats["Contractors"]["ac"] == 2800
    tasks = {t["task_id"]: t for t in f["by_task"]}
    assert [tasks[i]["ev"] for i in (1, 2, 3, 4)] == [1000, 1000, 500, 0]
    assert [tasks[i]["ac"] for i in (1, 2, 3, 4)] == [1000, 0, 1800, 0]
    assert {r["reserve"] for r in f["reserves"]} == {"Contingency", "Management Reserve"}
    month = f["by_month"][-1]
    assert month["cum_pv"] == pytest.approx(4000) and month["month"] == "2026-03-01"
    for where, v in walk(f):  # ISO dates, plain numbers, no NaN
        assert not (isinstance(v, float) and not math.isfinite(v)), where
        if isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}", v):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v), where


@pytest.mark.parametrize("day, pv, spi", [(1, 1000, 2.5), (2, 2000, 1.25), (4, 4000, 0.625)])
def test_status_date_override(ref: Path, day: int, pv: float, spi: float) -> None:
    code, out, _ = run("rollup", str(ref), "--format", "json", "--status-date", DAYS[day - 1].isoformat())
    assert code == 0
    f = strict_json(out)["files"][0]
    assert f["status_date"] == DAYS[day - 1].isoformat()
    assert f["evm"]["pv"] == pytest.approx(pv) and f["evm"]["spi"] == pytest.approx(spi)
    ac = 1000 + (1800 if day >= 3 else 0)  # the second invoice is dated day 3
    assert f["evm"]["ac"] == pytest.approx(ac)


def test_text_output(ref: Path) -> None:
    code, out, _ = run("rollup", str(ref))
    assert code == 0 and "\x1b[" not in out
    assert "RAG" in out and "Red" in out
    assert re.search(r"CPI\s+0\.89", out) and re.search(r"SPI\s+0\.83", out)
    assert re.search(r"BAC\s+4,000", out) and re.search(r"EAC\s+4,480", out)
    assert "By cost category" in out and "By month" in out and "2026-03" in out


def test_csv_output_parses(ref: Path, tmp_path: Path) -> None:
    code, out, _ = run("rollup", str(ref), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    _, js, _ = run("rollup", str(ref), "--format", "json")
    by_task = strict_json(js)["files"][0]["by_task"]
    assert len(rows) == len(by_task) == 4
    assert list(rows[0]) == list(by_task[0])
    assert [float(r["budget"]) for r in rows] == [t["budget"] for t in by_task]
    assert [r["task"] for r in rows] == ["Task A", "Task B", "Task C", "Task D"]
    # several files: a path column first, a bad file contributes no rows and exits 2
    other = reference_book(tmp_path / "other.xlsx", DAYS[3])
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    code, out, err = run("rollup", str(ref), str(junk), str(other), "--format", "csv")
    assert code == 2 and str(junk) in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[0] == "path"
    assert [r["path"] for r in rows] == [str(ref)] * 4 + [str(other)] * 4
    assert float(rows[7]["ev"]) == 0 and float(rows[2]["ev"]) == 500


def test_a_bad_file_among_good_ones(ref: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello")
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "not a PMO workbook"
    wb.save(plain)
    code, out, _ = run("rollup", str(junk), str(ref), str(plain), "--format", "json")
    assert code == 2
    files = strict_json(out)["files"]
    assert [f["ok"] for f in files] == [False, True, False]
    assert all(isinstance(f["error"], str) and f["error"] for f in files if not f["ok"])
    assert files[1]["evm"]["cpi"] == pytest.approx(0.8929, abs=5e-5)
    code, out, _ = run("rollup", str(junk), str(ref))
    assert code == 2 and "error: " in out and "4,480" in out


def test_an_empty_workbook_gives_empty_values_not_errors(tmp_path: Path) -> None:
    p = build_workbook(tmp_path / "empty.xlsx", {"ProjectCode": "E", "StartDate": FIRST, "StatusDate": DAYS[1]})
    code, out, _ = run("rollup", str(p), "--format", "json")
    assert code == 0
    evm = strict_json(out)["files"][0]["evm"]
    assert evm["bac"] == 0 and evm["cpi"] is None and evm["spi"] is None


# ------------------------------------------------------------------ --write on the demo workbook


OWNED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
         "xl/sharedStrings.xml", "docProps/app.xml", "xl/calcChain.xml"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo workbook, then ``rollup --write`` on a copy (JSON kept)."""
    from pmo_xl.commands.demo import demo_workbook

    folder = tmp_path_factory.mktemp("demo")
    src = demo_workbook(folder / "before.xlsx", seed=3)
    out = folder / "after.xlsx"
    out.write_bytes(src.read_bytes())
    code, js, err = run("rollup", str(out), "--write", "--format", "json")
    assert code == 0, err
    return {"src": src, "out": out, "json": strict_json(js)["files"][0]}


def test_write_changes_only_the_rollup_sheet(demo: dict) -> None:
    src, out = demo["src"], demo["out"]
    before, after = zip_parts(src), zip_parts(out)
    mine = sheet_parts(src, "Rollup") | sheet_parts(out, "Rollup")
    kept = [n for n in before if n not in OWNED | mine]
    for must in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml"):
        assert must in kept
    assert len(kept) > 15
    for name in kept:
        assert after.get(name) == before[name], f"{name} changed"
    assert set(after) - set(before) <= mine


def test_chart_names_point_at_the_rows_written(demo: dict) -> None:
    f = demo["json"]
    wb = openpyxl.load_workbook(demo["out"])
    expected = chart_name_formulas({"tblRollupMonth": len(f["by_month"]), "tblRollupCategory": len(f["by_category"])})
    for name in CHART_SERIES:
        assert "=" + wb.defined_names[name].attr_text == expected[name], name
    rollup = wb["Rollup"]
    assert rollup.tables["tblRollupMonth"].ref.endswith(str(3 + len(f["by_month"])))
    # e.g. chart_CumPV = Rollup!$AC$4:$AC$13: the cells hold the cumulative PV
    rng = wb.defined_names["chart_CumPV"].attr_text.split("!")[1].replace("$", "")
    values = [c[0].value for c in rollup[rng]]
    assert values == pytest.approx([m["cum_pv"] for m in f["by_month"]])


def test_write_reads_back_with_pmo_xl(demo: dict) -> None:
    f = demo["json"]
    book = load(demo["out"])
    assert not [i for i in book.issues if schema.TABLES[i.table].sheet == "Rollup"]
    for name, anchor in GENERATED_ANCHORS.items():
        if schema.TABLES[name].sheet == "Rollup":
            t = book.table(name)
            assert t.present and t.ref.split(":")[0] == anchor, name
    evm = book.frame("tblEVM")
    values = dict(zip(evm["Metric"], evm["Value"]))
    for metric in ("BAC", "PV", "EV", "AC", "CPI", "SPI", "EAC", "VAC", "TCPI"):
        assert values[metric] == pytest.approx(f["evm"][metric.lower()]), metric
    month = book.frame("tblRollupMonth")
    assert [d.date().isoformat() for d in month["Month"]] == [m["month"] for m in f["by_month"]]
    for col, key in (("PV", "pv"), ("Cum PV", "cum_pv"), ("Cum EV", "cum_ev"), ("Cum AC", "cum_ac")):
        got = [None if pd.isna(v) else v for v in month[col]]
        assert got == pytest.approx([m[key] for m in f["by_month"]]), col
    cat = book.frame("tblRollupCategory")
    assert list(cat["Category"]) == [c["category"] for c in f["by_category"]]
    assert list(cat["AC"]) == pytest.approx([c["ac"] for c in f["by_category"]])
    task = book.frame("tblRollupTask")
    assert len(task) == len(f["by_task"])
    assert list(task["Budget"]) == pytest.approx([t["budget"] for t in f["by_task"]])
    assert [None if pd.isna(v) else int(v) for v in task["Task ID"]] == [t["task_id"] for t in f["by_task"]]
    person = book.frame("tblRollupPerson")
    assert list(person["Hours"]) == pytest.approx([p["hours"] for p in f["by_person"]])
    res = book.frame("tblReserves")
    assert list(res["Drawn"]) == pytest.approx([r["drawn"] for r in f["reserves"]])
    stats = book.frame("tblChangeStats")
    got = dict(zip(stats["Metric"], stats["Value"]))
    assert got["Total CRs"] == len(book.frame("tblChanges").dropna(how="all"))
    # rolling up the written file again gives the same figures
    _, js, _ = run("rollup", str(demo["out"]), "--format", "json")
    assert strict_json(js)["files"][0]["evm"] == f["evm"]


def test_write_reads_back_with_openpyxl_and_calamine(demo: dict) -> None:
    f = demo["json"]
    wb = openpyxl.load_workbook(demo["out"])
    ws = wb["Rollup"]
    for name in ("tblEVM", "tblRollupTask", "tblRollupCategory", "tblRollupMonth", "tblRollupPerson",
                 "tblReserves", "tblChangeStats"):
        assert ws.tables[name].ref.split(":")[0] == GENERATED_ANCHORS[name]
    assert [ws.cell(r, 1).value for r in range(4, 4 + len(EVM_KEYS))][:4] == ["BAC", "PV", "EV", "AC"]
    assert ws["B4"].value == pytest.approx(f["evm"]["bac"])
    # over-budget lines are filled red, the others not
    first = openpyxl.utils.cell.coordinate_from_string(GENERATED_ANCHORS["tblRollupCategory"])
    col = openpyxl.utils.cell.column_index_from_string(first[0])
    for i, c in enumerate(f["by_category"]):
        cell = ws.cell(4 + i, col)
        assert cell.value == c["category"]
        assert (cell.fill.fgColor.rgb == "FFFFC7CE") == (c["ac"] > c["budget"]), c
    over = [t for t in f["by_task"] if t["ac"] > t["budget"]]
    assert over, "the demo has over-budget tasks"
    wb_cal = CalamineWorkbook.from_path(str(demo["out"]))
    rows = wb_cal.get_sheet_by_name("Rollup").to_python()
    flat = [v for row in rows for v in row]
    assert "CPI" in flat and f["rag"] in " ".join(str(v) for v in flat)
    evm_rows = {row[0]: row[1] for row in rows if row and row[0] in ("CPI", "SPI", "EAC")}
    assert evm_rows["CPI"] == pytest.approx(f["evm"]["cpi"])


def test_dashboard_in_libreoffice_shows_the_rollup(demo: dict, soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    e = demo["json"]["evm"]
    values = recalculated_values(demo["out"], tmp_path)
    assert formula_errors(values) == []
    d = values["Dashboard"]
    assert d["B5"] == pytest.approx(e["bac"])  # =SUM(tblBudget[Amount])
    assert d["D5"] == pytest.approx(e["ac"])  # actual cost from the input tables agrees
    assert d["G5"] == pytest.approx(e["cpi"]) and d["H5"] == pytest.approx(e["spi"])
    assert d["B8"] == pytest.approx(e["pv"]) and d["C8"] == pytest.approx(e["ev"])
    assert d["D8"] == pytest.approx(e["eac"]) and d["E8"] == pytest.approx(e["vac"])


def test_reference_dashboard_in_libreoffice(ref: Path, soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    path = tmp_path / "ref.xlsx"
    path.write_bytes(ref.read_bytes())
    assert run("rollup", str(path), "--write")[0] == 0
    assert run("schedule", str(path), "--write")[0] == 0
    values = recalculated_values(path, tmp_path / "lo")
    assert formula_errors(values) == []
    d = values["Dashboard"]
    assert (d["B5"], d["D5"]) == (4000, 2800)
    assert d["G5"] == pytest.approx(0.8929, abs=5e-5) and d["H5"] == pytest.approx(0.8333, abs=5e-5)
    assert (d["B8"], d["C8"]) == (pytest.approx(3000), pytest.approx(2500))
    assert d["D8"] == pytest.approx(4480) and d["E8"] == pytest.approx(-480)


# ------------------------------------------------------------------ the Validation sheet blocks


def test_validation_blocks_link_every_cell_and_colour_rows(demo: dict, tmp_path: Path) -> None:
    from pmo_xl.commands.results import write_results
    from pmo_xl.commands.validate import validate_book

    path = tmp_path / "v.xlsx"
    path.write_bytes(demo["out"].read_bytes())
    report = validate_book(load(path))
    assert report.findings and report.dcma
    write_results(path, validation=report)
    wb = openpyxl.load_workbook(path)
    ws = wb["Validation"]
    assert ws.tables["tblFindings"].ref.split(":")[0] == GENERATED_ANCHORS["tblFindings"]
    assert ws.tables["tblDCMA"].ref.split(":")[0] == GENERATED_ANCHORS["tblDCMA"]
    fills = {"error": "FFFFC7CE", "warning": "FFFFEB9C", "info": "FFDDEBF7"}
    linked = 0
    for i, f in enumerate(report.findings):
        r = 4 + i
        assert [ws.cell(r, c).value for c in (1, 2, 3)] == [f.severity, f.rule, f.sheet or None]
        assert ws.cell(r, 1).fill.fgColor.rgb == fills[f.severity]
        link = ws.cell(r, 4).hyperlink
        if f.cell and f.sheet in wb.sheetnames:
            linked += 1
            assert link is not None, f
            sheet, cell = link.location.rsplit("!", 1)
            assert sheet.strip("'") == f.sheet and cell == f.cell
            wb[f.sheet][cell]  # the target exists
        else:
            assert link is None or link.location is None
    assert linked > 0
    for i, c in enumerate(report.dcma):
        r = 4 + i
        text = ws.cell(r, 13).value
        assert text == {True: "PASS", False: "FAIL", None: "N/A"}[c.passed]
        colour = ws.cell(r, 9).fill.fgColor.rgb
        assert colour == {True: "FFC6EFCE", False: "FFFFC7CE", None: "00000000"}[c.passed]
    s = report.summary
    assert ws["A2"].value == f"Findings: {s['error']} errors, {s['warning']} warnings, {s['info']} info"
    # the Rollup written before is still there, the findings read back with pmo_xl
    back = load(path)
    assert len(back.frame("tblFindings")) == len(report.findings)
    assert len(back.frame("tblEVM")) == len(EVM_KEYS)


def test_python_api_write_stores_all_three_sheets(ref: Path, tmp_path: Path) -> None:
    from pmo_xl.commands.results import write
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.commands.schedule import schedule_book
    from pmo_xl.commands.validate import validate_book
    from pmo_xl.errors import PmoError

    path = tmp_path / "api.xlsx"
    path.write_bytes(ref.read_bytes())
    book = load(path)
    report, plan, money = validate_book(book), schedule_book(book), rollup_book(book)
    write(path, report, plan, money)
    back = load(path)
    assert len(back.frame("tblSchedule")) == 4 and list(back.frame("tblSchedule")["Task"])[0] == "Task A"
    values = dict(zip(back.frame("tblEVM")["Metric"], back.frame("tblEVM")["Value"]))
    assert values["EAC"] == pytest.approx(4480)
    assert len(back.frame("tblFindings")) == len(report.findings)
    assert back.table("tblChangeStats").present
    with pytest.raises(PmoError, match="cannot store"):
        write(path, book)
