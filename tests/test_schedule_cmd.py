"""``pmo-xl schedule``: SPEC §3 reference network through a real workbook and the command
line (JSON, text), bad files among good ones, --status-date, and --write read back by
pmo_xl, openpyxl, python-calamine and LibreOffice with every other part unchanged."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pmo_xl import load
from pmo_xl.engine.calendar import Calendar
from pmo_xl.io.template import build_workbook
from support.files import run, sheet_parts, strict_json, zip_parts

MON = dt.date(2025, 3, 3)  # a Monday
LETTERS = "ABCDEFGHIJKLMN"
DURATIONS = [2, 10, 13, 12, 12, 7, 10, 16, 6, 12, 5, 8, 5, 3]
PREDS = {"B": "A", "C": "A", "D": "A", "E": "B", "F": "B", "G": "D", "H": "D", "I": "F", "J": "CG", "K": "I",
         "L": "EK", "M": "H", "N": "JLM"}
TOTAL_FLOAT = {"C": 11, "D": 2, "E": 6, "G": 2, "H": 3, "J": 2, "M": 3}
FREE_FLOAT = {"C": 9, "E": 6, "J": 2, "M": 3}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ident(letter: str) -> int:
    return LETTERS.index(letter) + 1


def reference_rows() -> list[dict]:
    """SPEC §3: the 14-task network, every task dated on the first day (the schedule
    computes the dates; the plan's own Start/Finish do not drive it)."""
    return [
        {
            "ID": ident(c), "WBS": str(ident(c)), "Task": f"Task {c}", "Type": "Task", "Owner": "Ann",
            "Duration": d, "Start": MON, "Finish": MON,
            "Predecessors": ", ".join(str(ident(p)) for p in PREDS.get(c, "")) or None,
        }
        for c, d in zip(LETTERS, DURATIONS)
    ]


def reference_book(path: Path, **settings) -> Path:
    return build_workbook(path, {"ProjectName": "Reference", "ProjectCode": "REF", "StartDate": MON, **settings},
                          {"tblPlan": reference_rows()})


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_book(tmp_path_factory.mktemp("ref") / "reference.xlsx")


# ------------------------------------------------------------------ the reference network


def test_reference_network_through_the_command_json(ref: Path) -> None:
    code, out, _ = run("schedule", str(ref), "--format", "json")
    assert code == 0
    files = strict_json(out)["files"]
    assert len(files) == 1
    f = files[0]
    assert (f["path"], f["ok"], f["error"]) == (str(ref), True, None)
    assert f["duration_days"] == 41
    assert f["critical_path"] == [ident(c) for c in "ABFIKLN"]
    assert f["critical_paths"] == [f["critical_path"]]
    cal = Calendar(MON)
    assert f["project_start"] == MON.isoformat()
    assert f["project_finish"] == cal.date_of(41).isoformat()
    tasks = {LETTERS[t["id"] - 1]: t for t in f["tasks"]}
    assert set(tasks) == set(LETTERS)
    assert {c: t["total_float"] for c, t in tasks.items() if t["total_float"]} == TOTAL_FLOAT
    assert {c: t["free_float"] for c, t in tasks.items() if t["free_float"]} == FREE_FLOAT
    assert {c for c, t in tasks.items() if t["critical"]} == set("ABFIKLN")
    for t in f["tasks"]:
        assert set(t) == {"id", "early_start", "early_finish", "late_start", "late_finish", "total_float",
                          "free_float", "critical"}
        assert isinstance(t["id"], int) and isinstance(t["critical"], bool)
        assert isinstance(t["total_float"], int) and isinstance(t["free_float"], int)
        for k in ("early_start", "early_finish", "late_start", "late_finish"):
            assert ISO.match(t[k]), (k, t[k])
        # a task's late dates are its early dates moved by its total float
        d = dt.date.fromisoformat
        assert cal.index_of(d(t["late_finish"])) - cal.index_of(d(t["early_finish"])) == t["total_float"]
    # B follows A: A occupies days 1-2, B starts on day 3
    assert tasks["A"]["early_finish"] == cal.date_of(2).isoformat()
    assert tasks["B"]["early_start"] == cal.date_of(3).isoformat()


def test_text_output_is_plain_when_piped(ref: Path) -> None:
    code, out, _ = run("schedule", str(ref))
    assert code == 0
    assert "\x1b[" not in out  # no colour codes when not on a terminal
    assert "Critical path: 1-2-6-9-11-12-14" in out
    assert f"→ {Calendar(MON).date_of(41).isoformat()}" in out and "41 working days" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s*\d+\s+\d{4}-", line)]
    assert len(rows) == 14
    crit = {int(r[0]) for r in rows if r[-1] == "yes"}
    assert crit == {ident(c) for c in "ABFIKLN"}


def test_as_a_subprocess(ref: Path) -> None:
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-m", "pmo_xl", "schedule", "--format", "json", str(ref)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert strict_json(proc.stdout)["files"][0]["duration_days"] == 41


# ------------------------------------------------------------------ bad input


def test_a_bad_file_among_good_ones(ref: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a zip file")
    missing = tmp_path / "missing.xlsx"
    code, out, _ = run("schedule", str(ref), str(junk), str(missing), str(ref), "--format", "json")
    assert code == 2
    files = strict_json(out)["files"]
    assert [f["ok"] for f in files] == [True, False, False, True]
    for f in files[1:3]:
        assert isinstance(f["error"], str) and f["error"] and "Traceback" not in f["error"]
        assert set(f) == {"path", "ok", "error"}
    assert files[3]["duration_days"] == 41
    code, out, _ = run("schedule", str(junk), str(ref))
    assert code == 2 and "error: " in out and "Critical path: 1-2-6-9-11-12-14" in out


def test_a_bad_status_date_is_a_usage_error(ref: Path) -> None:
    code, out, err = run("schedule", str(ref), "--status-date", "2025-13-01")
    assert code == 2 and "2025-13-01" in err and "YYYY-MM-DD" in err and out == ""


def test_a_plan_with_a_loop_reports_it(tmp_path: Path) -> None:
    rows = reference_rows()[:3]
    rows[0]["Predecessors"] = "2"  # A <- B <- A
    p = build_workbook(tmp_path / "loop.xlsx", {"ProjectCode": "L", "StartDate": MON}, {"tblPlan": rows})
    code, out, _ = run("schedule", str(p), "--format", "json")
    assert code == 0
    f = strict_json(out)["files"][0]
    assert sorted(f["cycles"][0]) == [1, 2]
    code, out, _ = run("schedule", str(p))
    assert "Dependency loop" in out


def test_an_empty_plan(tmp_path: Path) -> None:
    p = build_workbook(tmp_path / "empty.xlsx", {"ProjectCode": "E", "StartDate": MON})
    code, out, _ = run("schedule", str(p), "--format", "json")
    assert code == 0
    f = strict_json(out)["files"][0]
    assert f["tasks"] == [] and f["duration_days"] == 0 and f["critical_path"] == []


# ------------------------------------------------------------------ progress and the status date


def progress_book(path: Path, status: dt.date) -> tuple[Path, Calendar]:
    cal = Calendar(dt.date(2026, 3, 2))
    rows = [
        {"ID": 1, "WBS": "1", "Task": "Build", "Type": "Task", "Owner": "A", "Duration": 10, "Start": cal.date_of(1),
         "Finish": cal.date_of(10), "Actual Start": cal.date_of(1), "% Complete": 0.2, "Status": "In Progress"},
        {"ID": 2, "WBS": "2", "Task": "Test", "Type": "Task", "Owner": "A", "Duration": 5, "Start": cal.date_of(11),
         "Finish": cal.date_of(15), "Predecessors": "1"},
    ]
    settings = {"ProjectCode": "S", "StartDate": cal.date_of(1), "StatusDate": status}
    return build_workbook(path, settings, {"tblPlan": rows}), cal


@pytest.mark.parametrize("status_day, override_day", [(5, 10), (5, 3), (12, 6)])
def test_status_date_override(tmp_path: Path, status_day: int, override_day: int) -> None:
    """An in-progress task's remaining work (80 % of 10 days) runs from the status date;
    --status-date replaces the workbook's StatusDate."""
    cal = Calendar(dt.date(2026, 3, 2))
    path, cal = progress_book(tmp_path / "p.xlsx", cal.date_of(status_day))
    for args, day in (([], status_day), (["--status-date", cal.date_of(override_day).isoformat()], override_day)):
        code, out, _ = run("schedule", str(path), "--format", "json", *args)
        assert code == 0
        f = strict_json(out)["files"][0]
        finish = cal.index_of(dt.date.fromisoformat(f["project_finish"]))
        assert finish == day + 8 + 5, args
        assert f["tasks"][0]["early_start"] == cal.date_of(1).isoformat()  # the actual start stays


# ------------------------------------------------------------------ --write


OWNED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
         "xl/sharedStrings.xml", "docProps/app.xml"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("write")
    src = reference_book(folder / "before.xlsx")
    out = folder / "after.xlsx"
    out.write_bytes(src.read_bytes())
    code, _, err = run("schedule", str(out), "--write", "--format", "json")
    assert code == 0, err
    return src, out


def test_write_changes_only_the_schedule_sheet(written: tuple[Path, Path]) -> None:
    src, out = written
    before, after = zip_parts(src), zip_parts(out)
    mine = sheet_parts(src, "Schedule") | sheet_parts(out, "Schedule")
    kept = [n for n in before if n not in OWNED | mine]
    assert any(n.startswith("xl/charts/") for n in kept) and any(n.startswith("xl/drawings/") for n in kept)
    for name in kept:
        assert after.get(name) == before[name], f"{name} changed"
    assert set(after) - set(before) <= mine


def test_write_reads_back_with_pmo_xl(written: tuple[Path, Path]) -> None:
    _, out = written
    table = load(out).table("tblSchedule")
    frame = table.frame
    assert table.present and table.ref.startswith("A3:") and len(frame) == 14
    assert list(frame["ID"]) == list(range(1, 15))
    assert list(frame["Task"]) == [f"Task {c}" for c in LETTERS]
    assert list(frame["Duration"]) == DURATIONS
    code, js, _ = run("schedule", str(out), "--format", "json")
    tasks = strict_json(js)["files"][0]["tasks"]  # scheduling the written file changes nothing
    for (_, row), t in zip(frame.iterrows(), tasks):
        assert row["Early Start"].date().isoformat() == t["early_start"]
        assert row["Early Finish"].date().isoformat() == t["early_finish"]
        assert row["Late Start"].date().isoformat() == t["late_start"]
        assert row["Late Finish"].date().isoformat() == t["late_finish"]
        assert (row["Total Float"], row["Free Float"]) == (t["total_float"], t["free_float"])
        assert bool(row["Critical"]) is t["critical"]
    assert not [i for i in load(out).issues if i.table == "tblSchedule"]


def test_write_reads_back_with_openpyxl_and_calamine(written: tuple[Path, Path]) -> None:
    _, out = written
    wb = openpyxl.load_workbook(out)
    ws = wb["Schedule"]
    assert ws.tables["tblSchedule"].ref == "A3:K17"
    assert [c.value for c in ws[3]][:11] == ["ID", "WBS", "Task", "Duration", "Early Start", "Early Finish",
                                              "Late Start", "Late Finish", "Total Float", "Free Float", "Critical"]
    critical = {ident(c) for c in "ABFIKLN"}
    for r in range(4, 18):
        task_id = ws.cell(r, 1).value
        is_crit = ws.cell(r, 11).value
        assert is_crit is (task_id in critical)
        fill = ws.cell(r, 1).fill.fgColor.rgb
        assert (fill == "FFFFC7CE") is is_crit, (task_id, fill)  # critical rows highlighted
        assert ws.cell(r, 5).is_date
    assert ws["H17"].value == dt.datetime.combine(Calendar(MON).date_of(41), dt.time())
    assert wb.sheetnames[0] == "Dashboard" and "Schedule" in wb.sheetnames
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Schedule").to_python()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "ID")
    assert rows[header + 1][:4] == [1.0, "1", "Task A", 2.0] or rows[header + 1][:4] == [1, "1", "Task A", 2]
    assert rows[header + 14][7] == Calendar(MON).date_of(41)


def test_write_opens_in_libreoffice_without_formula_errors(written: tuple[Path, Path], soffice: str,
                                                            tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    _, out = written
    values = recalculated_values(out, tmp_path)
    assert formula_errors(values) == []
    s = values["Schedule"]
    assert s["A4"] == 1 and s["K4"] is True
    assert s["I6"] == 11  # C's total float
    assert values["Dashboard"]["F8"] == 14  # the Tasks tile still counts the plan


def test_writing_twice_gives_one_table(written: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = written
    again = tmp_path / "again.xlsx"
    again.write_bytes(out.read_bytes())
    assert run("schedule", str(again), "--write")[0] == 0
    wb = openpyxl.load_workbook(again)
    assert list(wb["Schedule"].tables) == ["tblSchedule"]
    def tables(path: Path) -> list[str]:
        return [n for n in zipfile.ZipFile(path).namelist() if n.startswith("xl/tables/")]
    assert len(tables(again)) == len(tables(out))


def test_no_nan_anywhere_in_json(tmp_path: Path) -> None:
    rows = reference_rows()
    rows[3]["Duration"] = None  # taken from Start..Finish
    rows[4]["Predecessors"] = "99"  # unknown: ignored and reported
    p = build_workbook(tmp_path / "odd.xlsx", {"ProjectCode": "O", "StartDate": MON}, {"tblPlan": rows})
    code, out, _ = run("schedule", str(p), "--format", "json")
    assert code == 0
    f = strict_json(out)["files"][0]
    assert any("99" in pr["message"] for pr in f["problems"])
    for t in f["tasks"]:
        assert all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in t.values())
    pd.DataFrame(f["tasks"])  # a table, one row per task


def test_write_goes_on_past_missing_and_locked_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmo_xl.io.lock import workbook_lock

    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "0")
    good = reference_book(tmp_path / "good.xlsx")
    busy = reference_book(tmp_path / "busy.xlsx")
    before = busy.read_bytes()
    with workbook_lock(busy):
        code, out, _ = run("schedule", str(tmp_path / "nowhere" / "x.xlsx"), str(busy), str(good),
                           "--write", "--format", "json")
    assert code == 2
    files = strict_json(out)["files"]
    assert [f["ok"] for f in files] == [False, False, True]
    assert "not found" in files[0]["error"] and "in use" in files[1]["error"]
    assert busy.read_bytes() == before  # nothing written to the locked file
    assert len(load(good).frame("tblSchedule")) == 14


@pytest.mark.parametrize("setting, value, words", [("WorkWeek", "0000000", "WorkWeek"),
                                                    ("HolidayCountry", "XX", "HolidayCountry")])
def test_an_unusable_calendar_setting_is_a_plain_error(tmp_path: Path, ref: Path, setting: str, value: str,
                                                       words: str) -> None:
    bad = reference_book(tmp_path / "bad.xlsx", **{setting: value})
    code, out, _ = run("schedule", str(bad), str(ref), "--format", "json")
    assert code == 2
    files = strict_json(out)["files"]
    assert files[0]["ok"] is False and words in files[0]["error"] and value in files[0]["error"]
    assert files[1]["ok"] is True


def test_calendar_for_reuses_a_calendar_but_hands_out_independent_copies(tmp_path: Path) -> None:
    """calendar_for builds one calendar per distinct set of inputs (the country lookup is
    the slow part) and returns copies: extending one copy's holiday years or changing the
    book's settings never leaks into another book's calendar."""
    from pmo_xl.commands._common import calendar_for

    book = load(reference_book(tmp_path / "a.xlsx", HolidayCountry="DE"))
    a, b = calendar_for(book), calendar_for(book)
    assert a is not b
    fresh = Calendar(a.start, workweek=a.workweek, country="DE")
    days = [MON + dt.timedelta(days=i) for i in range(800)]
    assert [a.is_working(d) for d in days] == [fresh.is_working(d) for d in days]
    a.add(MON, 5000)  # covers later years in a only
    assert b.holidays == fresh.holidays
    assert a.holidays != b.holidays
    book.settings["HolidayCountry"] = "FR"
    c = calendar_for(book)
    assert c.country == "FR" and c.is_working(dt.date(2025, 7, 14)) is False
    assert calendar_for(book).is_working(dt.date(2025, 10, 3)) is True  # German Unity Day
    book.settings["HolidayCountry"] = "DE"
    assert calendar_for(book).is_working(dt.date(2025, 10, 3)) is False
