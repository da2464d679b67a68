"""`pmo-xl validate` on real workbooks (template builder + reader): JSON shape, JUnit,
text, exit codes, a bad file among good ones, --status-date, --write."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli
from pmo_xl.commands.validate import validate_files
from pmo_xl.io.reader import load
from support.books import clean_tables, write_workbook
from support.rulecheck import broken


def T(t, tid):
    return next(r for r in t["plan_rows"] if r["ID"] == tid)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("books")
    clean = write_workbook(d / "clean.xlsx", clean_tables())
    bad = write_workbook(d / "bad.xlsx", broken(lambda t: T(t, 4).update(Finish="2026-01-09")))
    junk = d / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    return {"clean": str(clean), "bad": str(bad), "junk": str(junk)}


def run(*args):
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def test_clean_workbook_json_exit_0(books):
    r = run(books["clean"], "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    (f,) = data["files"]
    assert set(f) == {"path", "ok", "error", "findings", "summary", "dcma"}
    assert (f["ok"], f["error"], f["findings"]) == (True, None, [])
    assert f["summary"] == {"error": 0, "warning": 0, "info": 0}
    assert [c["check"] for c in f["dcma"]] == list(range(1, 15))
    assert all(set(c) == {"check", "name", "value", "threshold", "passed"} for c in f["dcma"])


def test_errors_exit_1_with_the_exact_cell(books):
    r = run(books["bad"], "--format", "json")
    assert r.exit_code == 1
    (f,) = json.loads(r.output)["files"]
    book = load(books["bad"])
    plan = book.frame("tblPlan")
    row = int(plan.index[plan["ID"] == 4][0])
    pl001 = [x for x in f["findings"] if x["rule"] == "PL001"]
    assert pl001 == [{
        "severity": "error", "rule": "PL001", "sheet": "Plan",
        "cell": book.table("tblPlan").cell(row, "Finish"), "key": "4",
        "message": f"Plan!{book.table('tblPlan').cell(row, 'Finish')}: task 4 finishes on 2026-01-09, "
                   "before it starts on 2026-01-12.",
        "hint": "Correct Start or Finish.",
    }]
    assert f["summary"]["error"] == sum(1 for x in f["findings"] if x["severity"] == "error") >= 1


def test_a_bad_file_among_good_ones_exit_2(books):
    r = run(books["clean"], books["junk"], books["bad"], "--format", "json")
    assert r.exit_code == 2
    files = json.loads(r.output)["files"]
    assert [x["ok"] for x in files] == [True, False, True]
    assert files[1]["error"] and "Traceback" not in files[1]["error"]
    assert set(files[1]) == {"path", "ok", "error"}
    assert files[2]["summary"]["error"] >= 1


def test_missing_file_is_unreadable_not_a_crash(books, tmp_path):
    r = run(str(tmp_path / "nope.xlsx"), books["clean"], "--format", "json")
    assert r.exit_code == 2
    files = json.loads(r.output)["files"]
    assert files[0]["ok"] is False and files[1]["ok"] is True


def test_junit_is_well_formed(books):
    r = run(books["clean"], books["bad"], books["junk"], "--format", "junit")
    assert r.exit_code == 2
    root = ET.fromstring(r.output)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [books["clean"], books["bad"], books["junk"]]
    clean, bad, junk = suites
    assert clean.get("failures") == "0" and len(clean.findall("testcase")) == int(clean.get("tests")) > 70
    failed = [c.get("name") for c in bad.findall("testcase") if c.find("failure") is not None]
    assert "PL001 Finish before start" in failed
    failure = next(c for c in bad.findall("testcase") if c.get("name").startswith("PL001")).find("failure")
    assert "task 4 finishes on 2026-01-09" in failure.text
    assert junk.find("testcase/error") is not None
    assert int(root.get("failures")) == int(bad.get("failures")) and root.get("errors") == "1"


def test_text_output_plain_when_piped(books):
    r = run(books["bad"])
    assert r.exit_code == 1
    assert "\x1b[" not in r.output  # no colour codes when not a terminal
    assert "Plan" in r.output and "PL001" in r.output and "DCMA 14-point" in r.output
    assert "errors," in r.output.splitlines()[-2] or "errors," in r.output


def test_status_date_option(books):
    r = run(books["clean"], "--format", "json", "--status-date", "2026-01-13")
    f = json.loads(r.output)["files"][0]
    assert {x["rule"] for x in f["findings"]} >= {"PL020"}  # Build should have started on 01-12
    assert run(books["clean"], "--status-date", "13/01/2026").exit_code == 2


def test_no_path_is_bad_usage():
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 2


def test_validate_files_api(books):
    files = validate_files([books["clean"]], "2026-01-09")
    assert files[0]["ok"] and files[0]["summary"] == {"error": 0, "warning": 0, "info": 0}


def test_write_stores_findings_in_the_validation_sheet(books, tmp_path):
    path = write_workbook(tmp_path / "w.xlsx", broken(lambda t: T(t, 4).update(Finish="2026-01-09")))
    r = run(str(path), "--write", "--format", "json")
    assert r.exit_code == 1
    findings = json.loads(r.output)["files"][0]["findings"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Validation"]
    table = ws.tables["tblFindings"]
    cells = ws[table.ref]
    header = [c.value for c in cells[0]]
    assert header[:4] == ["Severity", "Rule", "Sheet", "Cell"]
    rows = [[c.value for c in row] for row in cells[1:]]
    assert [(x[1], x[3]) for x in rows] == [(x["rule"], x["cell"]) for x in findings]
    assert "tblDCMA" in ws.tables
    # the user's data did not move
    assert load(path).frame("tblPlan").shape == load(books["bad"]).frame("tblPlan").shape
