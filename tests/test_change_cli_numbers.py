"""``--cost-impact`` and ``--schedule-impact`` refuse ``nan`` and ``inf`` (click's float
took them, and a NaN impact then read as "not given"): exit 2, the workbook untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


@pytest.mark.parametrize("option", ["--cost-impact", "--schedule-impact"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_a_non_finite_impact_is_a_usage_error(tmp_path: Path, option: str, value: str) -> None:
    book = tmp_path / "p.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    for args in (["add", "--title", "T", "--requested-by", "Ann"], ["decide", "CR-001", "approve", "--by", "Ann"]):
        run = subprocess.run([sys.executable, "-m", "pmo_xl", "change", args[0], str(book), *args[1:], option, value],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert f"'{value}' is not a finite number" in run.stderr
        assert book.read_bytes() == EXAMPLE.read_bytes()


def test_a_finite_impact_is_still_taken(tmp_path: Path) -> None:
    book = tmp_path / "p.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "change", "add", str(book), "--title", "T",
                          "--requested-by", "Ann", "--cost-impact", "-2500.5", "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
