"""pmo-xl portfolio: one row per workbook of a folder, failures listed, the portfolio workbook.

The folder (built once per session): 39 small demo projects (different seeds), a copy of
one of them under another name (a duplicate ProjectCode), a truncated zip, a plain
XlsxWriter workbook that is not a PMO workbook, and an Excel lock file and a hidden temp
file that must be skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.commands.portfolio import (
    PROJECT_FIELDS,
    Portfolio,
    collect_paths,
    portfolio,
    portfolio_warnings,
    write_workbook,
)
from pmo_xl.errors import PmoError

SEEDS = list(range(101, 140))  # 39 projects
DUPLICATE = "zz-copy-of-first.xlsx"
PMO = str(Path(sys.executable).with_name("pmo-xl"))


def _demo(args: tuple[Path, int]) -> Path:
    from pmo_xl.commands.demo import demo_workbook

    folder, seed = args
    return demo_workbook(folder / f"project-{seed:03d}.xlsx", seed=seed, tasks=40, timesheet_rows=400)


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import xlsxwriter

    root = tmp_path_factory.mktemp("portfolio") / "projects"
    root.mkdir()
    with ProcessPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(_demo, [(root, s) for s in SEEDS]))
    shutil.copy(made[0], root / DUPLICATE)
    (root / "broken.xlsx").write_bytes(made[1].read_bytes()[:4000])  # a truncated zip
    wb = xlsxwriter.Workbook(str(root / "plain.xlsx"))
    wb.add_worksheet("Data").write_row(0, 0, ["Name", "Value"])
    wb.close()
    (root / "~$project-101.xlsx").write_bytes(b"\x00owner")  # Excel's lock file
    shutil.copy(made[2], root / ".project-103.xlsx.tmp1234.xlsx")  # a hidden temp file
    (root / "notes.txt").write_text("not a workbook")
    return root


@pytest.fixture(scope="session")
def in_process(folder: Path) -> Portfolio:
    return portfolio(folder, jobs=1)


@pytest.fixture(scope="session")
def cli_run(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("portfolio-out") / "portfolio.xlsx"
    proc = subprocess.run([PMO, "portfolio", str(folder), "--out", str(out), "--jobs", "2", "--format", "json"],
                          capture_output=True, text=True, timeout=600)
    return proc, out


# --------------------------------------------------------------------------- the rows


def test_one_row_per_project_and_the_unreadable_files_listed(folder: Path, in_process: Portfolio) -> None:
    assert len(in_process) == 40
    assert [f["path"] for f in in_process.failed] == [str(folder / "broken.xlsx"), str(folder / "plain.xlsx")]
    broken, plain = in_process.failed
    assert "damaged" in broken["error"]
    assert "not a PMO workbook" in plain["error"]
    paths = [p["path"] for p in in_process]
    assert paths == sorted(paths)  # deterministic order
    assert not any(Path(p).name.startswith(("~$", ".")) for p in paths)
    codes = {p["project_code"] for p in in_process}
    assert len(codes) == 39  # the copy repeats one code
    for p in in_process:
        assert set(p) == {k for k, _h, _kind in PROJECT_FIELDS}
        assert p["rag"] in ("Green", "Amber", "Red")


def test_figures_match_the_single_file_commands(in_process: Portfolio) -> None:
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.commands.schedule import schedule_book
    from pmo_xl.engine.changes import OPEN_STATUSES
    from pmo_xl.io.reader import load

    for i, row in enumerate(in_process):
        book = load(row["path"])
        money = rollup_book(book, error_count=0)
        assert row["bac"] == pytest.approx(money.evm.bac)
        assert row["ac"] == pytest.approx(money.evm.ac)
        assert row["ev"] == pytest.approx(money.evm.ev)
        assert row["status_date"] == book.settings["StatusDate"]
        assert row["project_code"] == book.settings["ProjectCode"]
        statuses = book.frame("tblChanges")["Status"]
        assert row["open_changes"] == int(statuses.isin(OPEN_STATUSES).sum())
        if i % 8 == 0:  # the slower checks on a sample
            from pmo_xl.commands.validate import validate_book

            report = validate_book(book)
            assert (row["errors"], row["warnings"]) == (report.summary["error"], report.summary["warning"])
            assert row["rag"] == rollup_book(book, error_count=report.errors).rag
            assert row["forecast_finish"] == schedule_book(book).project_finish_date
            baseline = book.frame("tblPlan")["Baseline Finish"].max().date()
            assert row["baseline_finish"] == baseline


def test_duplicate_project_code_is_warned(folder: Path, in_process: Portfolio) -> None:
    dup = [w for w in in_process.warnings if "used by 2 workbooks" in w]
    assert len(dup) == 1
    assert str(folder / DUPLICATE) in dup[0] and str(folder / "project-101.xlsx") in dup[0]


def test_cli_json_with_two_jobs_equals_the_in_process_run(cli_run, in_process: Portfolio) -> None:
    proc, _out = cli_run
    assert proc.returncode == 2, proc.stderr  # some files could not be read
    data = json.loads(proc.stdout)
    assert data == json.loads(json.dumps(in_process.to_dict()))
    assert set(data) == {"projects", "failed", "warnings"}
    assert "warning: ProjectCode" in proc.stderr
    assert "\x1b[" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_text_output_when_piped_is_plain(folder: Path) -> None:
    files = [str(folder / "project-104.xlsx"), str(folder / "project-105.xlsx")]
    proc = subprocess.run([PMO, "portfolio", *files, "--jobs", "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "CRM-0104" in proc.stdout and "CRM-0105" in proc.stdout
    assert "2 projects" in proc.stdout
    assert "\x1b[" not in proc.stdout + proc.stderr
    assert all(line.startswith("pmo-xl: warning: ") for line in proc.stderr.splitlines())


def test_status_date_override(folder: Path) -> None:
    day = dt.date(2025, 6, 30)
    result = portfolio([folder / "project-106.xlsx", folder / "project-107.xlsx"], jobs=1, status_date="2025-06-30")
    assert [p["status_date"] for p in result] == [day, day]
    with pytest.raises(PmoError, match="not a date"):
        portfolio([folder / "project-106.xlsx"], jobs=1, status_date="30/06/2025")


# --------------------------------------------------------------------------- the workbook


def test_workbook_reads_back_with_openpyxl_and_calamine(cli_run, in_process: Portfolio) -> None:
    import openpyxl
    from python_calamine import CalamineWorkbook

    _proc, out = cli_run
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Dashboard", "Projects", "Findings", "Changes", "Actuals by Month",
                             "Actuals by Category", "Issues"]
    tables = {name for ws in wb.worksheets for name in ws.tables}
    assert {"tblRAG", "tblChangesByStatus", "tblProjects", "tblAllFindings", "tblAllChanges", "tblActualsMonth",
            "tblActualsCategory", "tblIssues"} <= tables
    assert len(wb["Dashboard"]._charts) == 3

    cal = CalamineWorkbook.from_path(str(out))
    projects = cal.get_sheet_by_name("Projects").to_python()
    header = projects[0]
    assert header == [h for _k, h, _kind in PROJECT_FIELDS]
    rows = projects[1:]
    assert len(rows) == 40
    bac = header.index("BAC")
    assert [r[bac] for r in rows] == pytest.approx([p["bac"] for p in in_process])
    ws = wb["Projects"]
    assert [c.value for c in ws[2]][:2] == [in_process[0]["project_code"], in_process[0]["project_name"]]

    findings = cal.get_sheet_by_name("Findings").to_python()[1:]
    assert len(findings) == sum(len(d["findings"]) for d in in_process.details.values())
    assert len(findings) >= sum(p["errors"] + p["warnings"] for p in in_process)
    changes = cal.get_sheet_by_name("Changes").to_python()[1:]
    codes = {p["project_code"] for p in in_process}
    assert {r[0] for r in changes} <= codes and len({r[1] for r in changes}) == 40
    issues = cal.get_sheet_by_name("Issues").to_python()[1:]
    assert [r[0] for r in issues].count("failed") == 2


def test_workbook_opens_in_libreoffice_without_formula_errors(soffice: str, cli_run, in_process: Portfolio,
                                                              tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    _proc, out = cli_run
    values = recalculated_values(out, tmp_path)
    assert formula_errors(values) == []
    dash = values["Dashboard"]
    tiles = {dash[f"{col}4"]: dash.get(f"{col}5") for col in "ABCDEFGHIJK"}
    assert tiles["Projects"] == 40
    assert tiles["BAC"] == pytest.approx(sum(p["bac"] for p in in_process))
    assert tiles["CPI"] == pytest.approx(sum(p["ev"] for p in in_process) / sum(p["ac"] for p in in_process))
    assert tiles["Red"] == sum(p["rag"] == "Red" for p in in_process)


def test_text_is_never_a_formula_and_empty_values_stay_empty(tmp_path: Path) -> None:
    import openpyxl

    project = {k: None for k, _h, _kind in PROJECT_FIELDS}
    project.update(path="x.xlsx", project_code="=HYPERLINK(\"http://x\")", project_name="+1-2", rag="Red",
                   cpi=math.nan, errors=0, warnings=0, open_changes=0, bac=0.0, ev=0.0, ac=0.0)
    result = Portfolio([project], details={"x.xlsx": {"findings": [["error", "DT001", "Plan", "A1", "@k", "=1", ""]]}})
    out = write_workbook(result, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(out)
    row = [c for c in wb["Projects"][2]]
    assert (row[0].value, row[0].data_type) == ('=HYPERLINK("http://x")', "s")
    assert (row[1].value, row[1].data_type) == ("+1-2", "s")
    assert wb["Projects"].cell(2, 9).value is None  # CPI NaN: an empty cell
    assert [c.value for c in wb["Findings"][2]][-3:] == ["@k", "=1", None]
    assert not list(tmp_path.glob(".*tmp"))  # the atomic save left nothing behind


# --------------------------------------------------------------------------- files and warnings


def test_collect_paths(folder: Path, tmp_path: Path) -> None:
    paths, failed = collect_paths([folder])
    names = [p.name for p in paths]
    assert names == sorted(names) and len(names) == 42
    assert "~$project-101.xlsx" not in names and "notes.txt" not in names
    paths, _ = collect_paths([str(folder / "project-10[12].xlsx"), folder / "plain.xlsx"])
    assert [p.name for p in paths] == ["plain.xlsx", "project-101.xlsx", "project-102.xlsx"]
    paths, _ = collect_paths([folder], exclude=[folder / "plain.xlsx"])
    assert "plain.xlsx" not in [p.name for p in paths]
    _, failed = collect_paths([folder, tmp_path / "missing.xlsx"])
    assert failed == [{"path": str(tmp_path / "missing.xlsx"), "error": "no such file or folder"}]
    with pytest.raises(PmoError, match="no workbooks"):
        collect_paths([tmp_path])
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    shutil.copy(folder / "plain.xlsx", sub / "deep.xlsx")
    assert [p.name for p in collect_paths([tmp_path], recursive=True)[0]] == ["deep.xlsx"]


def test_warnings_for_codes_and_currencies() -> None:
    rows = [{"path": "a.xlsx", "project_code": "P1", "currency": "EUR"},
            {"path": "b.xlsx", "project_code": "P1", "currency": "USD"},
            {"path": "c.xlsx", "project_code": None, "currency": "EUR"},
            {"path": "d.xlsx", "project_code": "P2", "currency": "EUR"}]
    warnings = portfolio_warnings(rows)
    assert any("P1" in w and "a.xlsx, b.xlsx" in w for w in warnings)
    assert any(w.startswith("c.xlsx: no ProjectCode") for w in warnings)
    assert any("EUR, USD" in w for w in warnings)
    assert not any("P2" in w for w in warnings)
    assert portfolio_warnings(rows[3:]) == []


def test_cli_usage_errors(tmp_path: Path) -> None:
    proc = subprocess.run([PMO, "portfolio", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "no workbooks" in proc.stderr
    proc = subprocess.run([PMO, "portfolio", str(tmp_path), "--out", str(tmp_path / "nope" / "p.xlsx")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert os.listdir(tmp_path) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["Draft", "Approved", "Under Review", "Closed", "Deferred",
                                                      " Submitted ", "", "Bogus", "Withdrawn"])), max_size=25))
def test_status_counts_agree_with_the_change_statistics(statuses: list) -> None:
    import pandas as pd

    from pmo_xl import schema
    from pmo_xl.commands.portfolio import _count_statuses
    from pmo_xl.engine.changes import change_stats

    frame = pd.DataFrame({h: [None] * len(statuses) for h in schema.TABLES["tblChanges"].headers})
    frame["Status"] = pd.Series(statuses, dtype="object")
    assert _count_statuses(frame) == change_stats(frame, as_of=dt.date(2026, 1, 1))["by_status"]


def test_out_never_overwrites_a_project_workbook(tmp_path):
    """--out must not destroy data: an existing file needs --force, a project never goes."""
    import hashlib

    from click.testing import CliRunner

    from pmo_xl.cli import cli

    example = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    folder = tmp_path / "pf"
    folder.mkdir()
    for name in ("A.xlsx", "B.xlsx"):
        shutil.copy(example, folder / name)
    digest = hashlib.sha256((folder / "B.xlsx").read_bytes()).hexdigest()
    for extra in ([], ["--force"]):
        r = CliRunner().invoke(cli, ["portfolio", str(folder), "--out", str(folder / "B.xlsx"), *extra])
        assert r.exit_code == 2, r.output
        assert "B.xlsx" in r.output
        assert hashlib.sha256((folder / "B.xlsx").read_bytes()).hexdigest() == digest

    other = tmp_path / "old_portfolio.xlsx"
    other.write_bytes(b"an old report")
    r = CliRunner().invoke(cli, ["portfolio", str(folder), "--out", str(other)])
    assert r.exit_code == 2 and "--force" in r.output
    r = CliRunner().invoke(cli, ["portfolio", str(folder), "--out", str(other), "--force", "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert other.read_bytes()[:2] == b"PK"


def test_without_detail_the_rows_are_the_same_and_no_workbook_is_written(folder: Path, in_process: Portfolio,
                                                                        tmp_path: Path) -> None:
    lean = portfolio(folder, jobs=1, show_progress=False, detail=False)
    assert lean.projects == in_process.projects and lean.failed == in_process.failed
    assert lean.details == {} and in_process.details
    with pytest.raises(PmoError, match="without detail rows"):
        write_workbook(lean, tmp_path / "p.xlsx")
    assert not (tmp_path / "p.xlsx").exists()
