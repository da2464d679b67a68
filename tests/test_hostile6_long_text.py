"""A cell of 32,767 characters quoted in an error message is cut to its first characters:
the message stays a short line (it was the whole cell, 32 KB on stderr)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli
from pmo_xl.errors import PmoError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"
LONG = "x" * 32767


def test_a_long_quoted_value_is_cut_and_a_short_one_kept() -> None:
    err = PmoError(f"CR-0008 has status {LONG!r}, which is not a register status", path="a.xlsx")
    assert str(err) == f"a.xlsx: CR-0008 has status '{'x' * 60}…', which is not a register status"
    assert str(PmoError("status 'Draft' is fine")) == "status 'Draft' is fine"


@pytest.mark.parametrize(("sheet", "ref", "argv"), [
    ("Changes", "M11", ["change", "decide", "{f}", "CR-0008", "approve", "--by", "B", "--cost-impact", "1", "--schedule-impact", "1"]),
    ("Project", "B14", ["schedule", "{f}"]),  # HolidayCountry
])
def test_the_command_line_message_stays_short(tmp_path: Path, sheet: str, ref: str, argv: list[str]) -> None:
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[sheet][ref] = LONG
    path = tmp_path / "long.xlsx"
    wb.save(path)
    result = CliRunner().invoke(cli, [a.format(f=path) for a in argv])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("pmo-xl: ") and result.stderr.count("\n") == 1
    assert len(result.stderr) < 400 and "x" * 60 + "…" in result.stderr, result.stderr[:500]
