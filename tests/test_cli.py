"""The command skeleton: help, version, plain errors, lazy imports."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from pmo_xl import __version__
from pmo_xl.cli import cli

SUBCOMMANDS = ("new", "demo", "info", "validate", "schedule", "rollup", "change", "portfolio", "upgrade")


def test_help_lists_every_command_of_the_spec():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_command_is_usage_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2


def test_cli_import_stays_light():
    """`pmo-xl --help` must start fast: no pandas, numpy, openpyxl or lxml at import."""
    code = (
        "import sys, pmo_xl.cli, pmo_xl;"
        "heavy = [m for m in ('pandas','numpy','openpyxl','lxml','xlsxwriter','python_calamine','fastexcel','rich','xlwings') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_file_is_one_line_exit_2(tmp_path):
    missing = tmp_path / "nope.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "pmo_xl", "info", str(missing)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "nope.xlsx" in proc.stderr


def test_jobs_keeps_order_and_isolates_bad_files(tmp_path):
    """--jobs N runs files in worker processes; entries keep the order of the paths."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "workbooks"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"junk")
    paths = [str(root / "Example_Project.xlsx"), str(bad), str(root / "PMO_Template.xlsx")]
    serial = CliRunner().invoke(cli, ["info", *paths, "--format", "json"])
    parallel = CliRunner().invoke(cli, ["info", *paths, "--format", "json", "--jobs", "2"])
    assert serial.exit_code == parallel.exit_code == 2
    assert json.loads(serial.output) == json.loads(parallel.output)
    assert [f["ok"] for f in json.loads(parallel.output)["files"]] == [True, False, True]
