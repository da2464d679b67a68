"""Cells the Rust readers cannot take: a column fastexcel refuses to type as one (a
duration among numbers or texts) is read cell by cell, and a reader's panic (a
date-formatted number far outside Excel's dates) is a clear per-file error, never a
crash of the command or of a portfolio's batch."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io.reader import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _edited(tmp_path: Path, name: str, edit) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE)
    edit(wb)
    out = tmp_path / name
    wb.save(out)
    return out


def _duration(ws, ref: str, hours: float) -> None:
    ws[ref] = dt.timedelta(hours=hours)
    ws[ref].number_format = "[h]:mm:ss"


def test_a_duration_among_numbers_is_a_cell_issue_and_the_column_keeps_its_values(tmp_path):
    plain = load(EXAMPLE).frame("tblTimesheet")
    path = _edited(tmp_path, "duration.xlsx", lambda wb: _duration(wb["Timesheet"], "D6", 30))
    book = load(path)
    hours = book.frame("tblTimesheet")["Hours"]
    issues = [i for i in book.issues if i.cell == "D6"]
    assert len(issues) == 1 and issues[0].sheet == "Timesheet" and issues[0].raw == dt.timedelta(hours=30)
    assert "expected a number" in issues[0].message
    assert hours.isna().tolist() == [r == 6 for r in hours.index]  # only the duration is lost
    same = hours.index != 6
    assert hours[same].tolist() == plain["Hours"][same].tolist()
    for column in ("Date", "Person", "Task ID", "Note"):  # the other columns as before
        assert book.frame("tblTimesheet")[column].equals(plain[column])


def test_a_duration_in_a_text_column_is_read_cell_by_cell(tmp_path):
    def edit(wb):
        _duration(wb["Timesheet"], "E5", 2)
        wb["Timesheet"]["E7"] = "on site"

    book = load(_edited(tmp_path, "note.xlsx", edit))
    notes = book.frame("tblTimesheet")["Note"]
    assert notes[7] == "on site"
    assert [i.cell for i in book.issues if i.sheet == "Timesheet"] == []
    assert notes[5] == "2:00:00"  # the duration's own text, not fastexcel's "1900-01-01 02:00:00"


def _far_date(wb) -> None:
    ws = wb["Timesheet"]
    ws["A5"] = -1e20
    ws["A5"].number_format = "yyyy-mm-dd"


def test_a_reader_panic_is_a_clear_error(tmp_path):
    path = _edited(tmp_path, "far.xlsx", _far_date)
    before = path.read_bytes()
    with pytest.raises(NotAWorkbook, match="Timesheet.*cannot be read"):
        load(path)
    assert path.read_bytes() == before


def test_a_reader_panic_is_exit_2_and_a_failed_entry_in_a_portfolio(tmp_path):
    far = _edited(tmp_path, "far.xlsx", _far_date)
    (tmp_path / "ok.xlsx").write_bytes(EXAMPLE.read_bytes())
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "validate", str(far), "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "panicked at" not in run.stderr  # (Rust's own note is dropped: pmo_xl/io/rust_notes.py)
    entry = json.loads(run.stdout)["files"][0]
    assert entry["ok"] is False and "cannot be read" in entry["error"]
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "portfolio", str(tmp_path), "--jobs", "2",
                          "--format", "json"], capture_output=True, text=True)
    assert "Traceback" not in run.stderr
    result = json.loads(run.stdout)
    assert [p["path"] for p in result["projects"]] == [str(tmp_path / "ok.xlsx")]
    assert [f["path"] for f in result["failed"]] == [str(far)]
