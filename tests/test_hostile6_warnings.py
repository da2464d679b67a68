"""Huge numbers in a workbook (a date-formatted 1e308 in % Complete) give findings, not
numpy's "RuntimeWarning: overflow encountered" lines on stderr (SPEC §9: one plain line
or none, nothing from the internals)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import openpyxl

import pmo_xl

from pmo_xl.engine.rules._context import fmt_pct

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def test_fmt_pct_of_a_huge_numpy_value_warns_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fmt_pct(np.float64(1e308)) == "inf %"
        assert fmt_pct(np.float64(0.5)) == "50 %"


def test_validate_of_a_huge_percent_complete_prints_no_warning(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(EXAMPLE)
    for col in "NGH":  # % Complete, Start, Finish of one task
        wb["Plan"][f"{col}5"] = 1e308
        wb["Plan"][f"{col}5"].number_format = "yyyy-mm-dd"
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    env = {k: v for k, v in os.environ.items() if k != "PMO_XL_DEBUG"}
    env["PYTHONPATH"] = str(Path(pmo_xl.__file__).resolve().parents[1])  # the code under test
    for argv in (["validate"], ["rollup"]):
        run = subprocess.run([sys.executable, "-m", "pmo_xl", *argv, str(path)], capture_output=True, text=True, env=env)
        assert run.returncode in (0, 1), run.stderr
        assert "Warning" not in run.stderr and "Traceback" not in run.stderr, run.stderr


def _one(tmp_path: Path, sheet: str, ref: str) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE)
    wb[sheet][ref] = 1e308
    path = tmp_path / f"huge_{sheet}_{ref}.xlsx"
    wb.save(path)
    return path


def test_a_roll_up_overflowing_to_inf_prints_no_numpy_warning(tmp_path: Path) -> None:
    """% Complete 1e308 (EV = budget x 1e308: the engine's own lines) and a rate of 1e308
    (a cost sum overflowing inside numpy's reduction), alone and with --jobs 2."""
    paths = [str(_one(tmp_path, "Plan", "N5")), str(_one(tmp_path, "Resources", "C5"))]
    env = {k: v for k, v in os.environ.items() if k not in ("PMO_XL_DEBUG", "PYTHONWARNINGS")}
    env["PYTHONPATH"] = str(Path(pmo_xl.__file__).resolve().parents[1])
    for argv in (["rollup", paths[0]], ["rollup", paths[1]], ["rollup", "--jobs", "2", *paths]):
        run = subprocess.run([sys.executable, "-m", "pmo_xl", *argv], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr


def test_the_python_api_on_huge_numbers_warns_nothing(tmp_path: Path) -> None:
    """The same through the Python API, in a fresh interpreter where any RuntimeWarning not
    silenced by pmo_xl is an error: also in the native build, where a compiled module's
    warnings are attributed to its caller (docs/native.md)."""
    paths = [_one(tmp_path, "Plan", "N5"), _one(tmp_path, "Resources", "C5")]
    script = (
        "import sys, pmo_xl\n"
        "for path in sys.argv[1:]:\n"
        "    book = pmo_xl.load(path)\n"
        "    report = pmo_xl.validate(book)\n"
        "    money = pmo_xl.rollup(book)\n"
        "    plan = pmo_xl.schedule(book)\n"
        "    print(report.summary, money.evm.cpi, money.by_task.shape, money.by_month.shape, len(plan.tasks))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PMO_XL_DEBUG", "PYTHONWARNINGS")}
    env["PYTHONPATH"] = str(Path(pmo_xl.__file__).resolve().parents[1])
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", script, *map(str, paths)],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr
