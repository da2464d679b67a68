"""A whole-number column (tblBudget Task ID, tblPlan ID...) holding a number past what
an int64 takes (1e20, date-formatted or typed as text) is a cell issue at its cell, not
an OverflowError out of the int array ("internal error", exit 2, for every command)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli
from pmo_xl.io.reader import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _with(tmp_path: Path, sheet: str, ref: str, value: object, fmt: str | None) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[sheet][ref] = value
    if fmt:
        wb[sheet][ref].number_format = fmt
    out = tmp_path / "big.xlsx"
    wb.save(out)
    return out


CASES = [
    ("Budget", "A5", 1e20, "yyyy-mm-dd"),
    ("Budget", "A5", -1e20, None),
    ("Budget", "A5", "1e20", None),
    ("Timesheet", "C5", 1e308, "yyyy-mm-dd"),
    ("Costs", "B5", 2.0**63, None),
]


@pytest.mark.parametrize(("sheet", "ref", "value", "fmt"), CASES)
def test_a_huge_whole_number_is_a_cell_issue(tmp_path: Path, sheet: str, ref: str, value: object, fmt: str | None) -> None:
    book = load(_with(tmp_path, sheet, ref, value, fmt))
    issues = [i for i in book.issues if i.sheet == sheet and i.cell == ref]
    assert len(issues) == 1 and issues[0].message.endswith("expected a whole number"), issues


@pytest.mark.parametrize("argv", [["info"], ["validate"], ["rollup"], ["change", "list"]])
def test_the_commands_report_it_and_do_not_fail(tmp_path: Path, argv: list[str]) -> None:
    path = _with(tmp_path, "Budget", "A5", 1e20, "yyyy-mm-dd")
    before = path.read_bytes()
    result = CliRunner().invoke(cli, [*argv, str(path)])
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before
    if argv == ["validate"]:
        assert "Budget!A5 holds 100000000000000000000" in result.output
