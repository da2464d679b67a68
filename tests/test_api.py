"""The Python API of SPEC §8: a handful of verbs over the same engine as the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

import pmo_xl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _cli_json(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "pmo_xl", *args, "--format", "json"], capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_verbs_equal_the_command_line(tmp_path):
    book = pmo_xl.load(EXAMPLE)
    report = pmo_xl.validate(book)
    plan = pmo_xl.schedule(book)
    money = pmo_xl.rollup(book)

    assert isinstance(report.frame, pd.DataFrame)
    assert list(report.frame.columns) == ["Severity", "Rule", "Sheet", "Cell", "Key", "Message", "Hint"]
    cli_validate = _cli_json("validate", str(EXAMPLE))["files"][0]
    assert cli_validate["summary"] == report.to_dict()["summary"]
    assert cli_validate["findings"] == report.to_dict()["findings"]

    cli_schedule = _cli_json("schedule", str(EXAMPLE))["files"][0]
    assert cli_schedule["critical_path"] == plan.to_dict()["critical_path"]
    assert cli_schedule["project_finish"] == plan.to_dict()["project_finish"]

    cli_rollup = _cli_json("rollup", str(EXAMPLE))["files"][0]
    assert cli_rollup["evm"] == json.loads(json.dumps(money.to_dict()["evm"]))
    assert cli_rollup["rag"] == money.to_dict()["rag"]


def test_verbs_accept_a_path_and_write_is_lossless(tmp_path):
    target = tmp_path / "p.xlsx"
    shutil.copy(EXAMPLE, target)
    report = pmo_xl.validate(target)
    plan = pmo_xl.schedule(target)
    money = pmo_xl.rollup(target)
    pmo_xl.write(target, report, plan, money)

    back = pmo_xl.load(target)
    assert len(back.frame("tblFindings")) == len(report.findings)
    assert len(back.frame("tblSchedule")) == len(plan.tasks)
    evm = back.frame("tblEVM").set_index("Metric")["Value"]
    assert abs(evm["BAC"] - money.evm.bac) < 0.01
    # The user's tables are untouched.
    before = pmo_xl.load(EXAMPLE)
    pd.testing.assert_frame_equal(back.frame("tblTimesheet"), before.frame("tblTimesheet"))


def test_changes_verb_adds_a_request(tmp_path):
    target = tmp_path / "p.xlsx"
    shutil.copy(EXAMPLE, target)
    register = pmo_xl.changes(target, user="tester")
    result = register.add(**{"Title": "Extra report", "Requested By": "Ann"})
    text = json.dumps(result, default=str)
    assert "CR-" in text
    back = pmo_xl.load(target)
    assert "Extra report" in set(back.frame("tblChanges")["Title"])


def test_portfolio_verb_iterates_projects(tmp_path):
    folder = tmp_path / "projects"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "a.xlsx")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    result = pmo_xl.portfolio(folder, jobs=1)
    rows = list(result)
    assert [r["project_code"] for r in rows] == [pmo_xl.load(EXAMPLE).settings["ProjectCode"]]
    assert abs(rows[0]["bac"] - pmo_xl.rollup(EXAMPLE).evm.bac) < 0.01
    assert [Path(f["path"]).name for f in result.failed] == ["broken.xlsx"]
