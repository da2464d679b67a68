"""pmo-xl new --from projects.csv --out FOLDER: one workbook per row, bad rows by line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

import pmo_xl
from pmo_xl.cli import cli
from pmo_xl.commands.stamp import parse_date, read_projects_csv, safe_file_stem, stamp_projects
from pmo_xl.config import read_stored
from pmo_xl.errors import PmoError

ROOT = Path(__file__).resolve().parents[1]

CSV = """ProjectCode,ProjectName,ProjectManager,Sponsor,StartDate,PlannedFinish,Currency
CRM-2026,CRM roll-out,Ana Lopez,Ben Carter,2026-03-02,2026-12-18,usd
ERP-UPG,ERP upgrade,Chris Dunn,Dana Evans,01.04.2026,,
,No code,X,Y,2026-01-01,,
WEB-REL,"Website, relaunch",Eva Fischer,Frank Gray,"4 May 2026",30/11/2026,
"""


def _write(tmp_path: Path, text: str, name: str = "projects.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_three_good_rows_and_a_bad_one(tmp_path: Path) -> None:
    csv = _write(tmp_path, CSV)
    result = CliRunner().invoke(cli, ["new", "--from", str(csv), "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 2
    files = json.loads(result.stdout)["files"]
    assert [f["ok"] for f in files] == [True, True, False, True]
    bad = files[2]
    assert bad["line"] == 4 and bad["path"] is None and "ProjectCode is empty" in bad["error"]
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == ["CRM-2026.xlsx", "ERP-UPG.xlsx", "WEB-REL.xlsx"]

    crm = pmo_xl.load(tmp_path / "out" / "CRM-2026.xlsx")
    assert crm.settings["ProjectCode"] == "CRM-2026" and crm.settings["ProjectName"] == "CRM roll-out"
    assert crm.settings["ProjectManager"] == "Ana Lopez" and crm.settings["Sponsor"] == "Ben Carter"
    assert crm.settings["StartDate"] == dt.date(2026, 3, 2) and crm.settings["PlannedFinish"] == dt.date(2026, 12, 18)
    assert crm.settings["Currency"] == "USD"
    web = pmo_xl.load(tmp_path / "out" / "WEB-REL.xlsx")
    assert web.settings["ProjectName"] == "Website, relaunch"
    assert web.settings["StartDate"] == dt.date(2026, 5, 4) and web.settings["PlannedFinish"] == dt.date(2026, 11, 30)
    erp = tmp_path / "out" / "ERP-UPG.xlsx"
    assert pmo_xl.load(erp).settings["StartDate"] == dt.date(2026, 4, 1)
    # real dates, not text: openpyxl and calamine see date cells
    wb = openpyxl.load_workbook(erp)
    sheet, cell = next(iter(wb.defined_names["StartDate"].destinations))
    assert wb[sheet][cell.replace("$", "")].value == dt.datetime(2026, 4, 1)
    rows = CalamineWorkbook.from_path(str(erp)).get_sheet_by_name("Project").to_python(skip_empty_area=False)
    assert dt.date(2026, 4, 1) in [v.date() if isinstance(v, dt.datetime) else v for r in rows for v in r]


def test_text_output_reports_lines(tmp_path: Path) -> None:
    csv = _write(tmp_path, CSV)
    result = CliRunner().invoke(cli, ["new", "--from", str(csv), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "line 4: ProjectCode is empty" in result.stderr
    assert result.stdout.count("Created ") == 3 and "3 workbook(s) created, 1 row(s) failed" in result.stdout


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("ERP/1,Bad,,,2026-01-01", "cannot be a file name"),
        ("CON,Bad,,,2026-01-01", "device name"),
        ("A1,Bad,,,2026-13-01", "StartDate"),
        ("A2,Bad,,,next monday", "not a date"),
        ("A3,Bad,,,03/04/2026", "ambiguous"),
        ("OK-1,dup,,,2026-01-01", "repeats line 2"),
        ("A4,Bad,,,2026-01-01,extra", "values for 5 columns"),
    ],
)
def test_each_bad_row(tmp_path: Path, row: str, words: str) -> None:
    csv = _write(tmp_path, "ProjectCode,ProjectName,ProjectManager,Sponsor,StartDate\nOK-1,Good,,,2026-01-05\n" + row + "\n")
    files = stamp_projects(csv, tmp_path / "out")
    assert files[0]["ok"] and not files[1]["ok"]
    assert files[1]["line"] == 3 and files[1]["error"].startswith("line 3: ") and words in files[1]["error"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["OK-1.xlsx"]


def test_existing_files_need_force_and_config_applies(tmp_path: Path) -> None:
    csv = _write(tmp_path, "project code;Project Name;start date\nP1;One;2026-02-02\n", encoding="cp1252")
    first = stamp_projects(csv, tmp_path / "o")
    assert first[0]["ok"]
    again = stamp_projects(csv, tmp_path / "o")
    assert not again[0]["ok"] and "--force" in again[0]["error"]
    cfg_path = ROOT / "examples" / "pmo.toml"
    result = CliRunner().invoke(cli, ["new", "--from", str(csv), "--out", str(tmp_path / "o"), "--force",
                                      "--config", str(cfg_path), "--currency", "GBP"])
    assert result.exit_code == 0, result.output
    book = pmo_xl.load(tmp_path / "o" / "P1.xlsx")
    assert book.settings["Currency"] == "GBP"  # a command-line default beats the organisation's
    assert book.settings["HolidayCountry"] == "DE"  # from pmo.toml
    stored = read_stored(tmp_path / "o" / "P1.xlsx")
    assert stored is not None and "Facilities" in stored.lists["CostCategory"]


def test_example_projects_csv(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "--from", str(ROOT / "examples" / "projects.csv"), "--out", str(tmp_path),
                                      "--config", str(ROOT / "examples" / "pmo.toml")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CRM-2026.xlsx", "ERP-UPG.xlsx", "WEB-REL.xlsx"]
    assert pmo_xl.load(tmp_path / "ERP-UPG.xlsx").settings["HolidayCountry"] == "GB"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("ProjectName,StartDate\nX,2026-01-01\n", "no ProjectCode column"),
        ("ProjectCode,Budget\nX,5\n", "unknown column 'Budget'"),
        ("ProjectCode,TemplateVersion\nX,1\n", "set by pmo-xl"),
        ("ProjectCode,projectcode\nX,Y\n", "twice"),
    ],
)
def test_bad_csv_is_one_plain_error(tmp_path: Path, text: str, words: str) -> None:
    csv = _write(tmp_path, text)
    with pytest.raises(PmoError, match=words):
        read_projects_csv(csv)
    result = CliRunner().invoke(cli, ["new", "--from", str(csv), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output


def test_usage_errors(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["new"])
    assert r.exit_code == 2 and "PATH" in r.output
    r = CliRunner().invoke(cli, ["new", "--from", "x.csv"])
    assert r.exit_code == 2 and "--out" in r.output
    r = CliRunner().invoke(cli, ["new", str(tmp_path / "a.xlsx"), "--out", str(tmp_path)])
    assert r.exit_code == 2


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
@settings(max_examples=100, deadline=None)
def test_date_formats_round_trip(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d.%m.%Y")) == day
    assert parse_date(day.strftime("%d %b %Y")) == day
    assert parse_date(day.strftime("%B %d, %Y")) == day
    slash = day.strftime("%d/%m/%Y")
    if day.day > 12:
        assert parse_date(slash) == day
        assert parse_date(day.strftime("%m/%d/%Y")) == day
    elif day.day != day.month:
        with pytest.raises(ValueError, match="ambiguous"):
            parse_date(slash)


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_safe_names_are_usable_file_names(tmp_path_factory: pytest.TempPathFactory, code: str) -> None:
    try:
        stem = safe_file_stem(code)
    except ValueError:
        return
    assert stem == code
    folder = tmp_path_factory.mktemp("n")
    (folder / (stem + ".xlsx")).write_bytes(b"x")
    assert [p.name for p in folder.iterdir()] == [stem + ".xlsx"]
