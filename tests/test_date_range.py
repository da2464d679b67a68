"""Dates outside the years pmo-xl schedules (a 9999-12-31 placeholder, a 2400 typo) are
reported at their cell and read as empty; no command crashes on them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import pmo_xl
from pmo_xl.cli import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


@pytest.fixture(scope="module")
def far_dates(tmp_path_factory) -> tuple[Path, str, str]:
    import datetime as dt

    path = tmp_path_factory.mktemp("dates") / "far.xlsx"
    shutil.copy(EXAMPLE, path)
    book = pmo_xl.load(path)
    plan = book.table("tblPlan")
    row = int(plan.frame.index[5])
    start_cell, cdate_cell = plan.cell(row, "Start"), plan.cell(row, "Constraint Date")
    wb = openpyxl.load_workbook(path)  # a test fixture, not a user's workbook
    wb["Plan"][start_cell] = dt.datetime(9999, 1, 1)
    wb["Plan"][cdate_cell] = dt.datetime(2400, 1, 1)
    wb.save(path)
    return path, start_cell, cdate_cell


def test_far_dates_are_cell_issues(far_dates):
    path, start_cell, cdate_cell = far_dates
    book = pmo_xl.load(path)
    issues = {i.cell: i for i in book.issues if i.sheet == "Plan"}
    assert "9999-01-01" in issues[start_cell].message
    assert "2400-01-01" in issues[cdate_cell].message
    row = int(start_cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert pd.isna(book.frame("tblPlan").loc[row, "Start"])


@pytest.mark.parametrize("command", ["validate", "schedule", "rollup"])
def test_far_dates_do_not_crash_commands(far_dates, command):
    path, start_cell, _ = far_dates
    r = CliRunner().invoke(cli, [command, str(path), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    entry = json.loads(r.output)["files"][0]
    assert entry["ok"] is True
    if command == "validate":
        assert any(f["cell"] == start_cell and f["sheet"] == "Plan" and f["rule"] == "DT001" for f in entry["findings"])


def test_rules_survive_frames_with_far_dates():
    """A frame built without the reader (Excel layer, scripts) never crashes the rules."""
    from pmo_xl.engine.rules._context import _within_ns_range

    s = pd.Series(np.array(["2025-01-01", "9999-01-01", "NaT"], dtype="datetime64[us]"))
    out = _within_ns_range(s).astype("datetime64[ns]")
    assert out.isna().tolist() == [False, True, True]
