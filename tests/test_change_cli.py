"""`pmo-xl change` end to end: real workbooks (template builder), real readers (openpyxl,
python-calamine), the workbook lock, refusals that leave the file byte-identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli
from pmo_xl.commands.change import default_user
from pmo_xl.errors import FileInUse
from pmo_xl.io import lock as lk
from support.files import zip_parts


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the lock


def test_lock_is_exclusive_and_released(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    with lk.workbook_lock(book, wait=0) as lock:
        assert lock == tmp_path / ".p.xlsx.pmo-lock"
        owner = lk.read_owner(lock)
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        with pytest.raises(FileInUse, match="in use by another pmo-xl process") as info:
            with lk.workbook_lock(book, wait=0.3):
                pass
        assert f"pid {os.getpid()}" in str(info.value) and "p.xlsx" in str(info.value)
    assert not lock.exists()
    with lk.workbook_lock(book, wait=0):  # free again
        pass


def test_second_writer_waits_then_gets_the_lock(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from pmo_xl.io.lock import workbook_lock\n"
         "with workbook_lock(sys.argv[1], wait=0):\n print('held', flush=True); time.sleep(0.8)",
         str(book)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with lk.workbook_lock(book, wait=10):
            waited = time.monotonic() - start
        assert 0.1 < waited < 9
    finally:
        holder.wait(timeout=10)


def test_stale_lock_of_dead_pid_is_broken(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = lk.lock_path(book)
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "time": "2020-01-01T00:00:00Z"}))
    with lk.workbook_lock(book, wait=0):
        assert lk.read_owner(lock)["pid"] == os.getpid()
    assert not lock.exists()


def test_lock_of_other_host_is_respected(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    lock = lk.lock_path(book)
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "time": "2026-11-27T18:00:00Z"}))
    with pytest.raises(FileInUse, match="pid 1 on elsewhere.example"):
        with lk.workbook_lock(book, wait=0.1):
            pass
    assert lock.exists()  # not ours: left alone


def test_excel_lock_is_reported_as_open_in_excel(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    (tmp_path / "~$p.xlsx").write_bytes(b"owner")
    with pytest.raises(FileInUse, match="open in Excel"):
        with lk.workbook_lock(book, wait=0):
            pass


def test_wait_from_environment(monkeypatch):
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "1.5")
    assert lk.default_wait() == 1.5
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "soon")
    assert lk.default_wait() == lk.DEFAULT_WAIT


def test_change_help_lists_subcommands():
    result = CliRunner().invoke(cli, ["change", "--help"])
    assert result.exit_code == 0
    for name in ("add", "set-status", "decide", "list", "show"):
        assert f"  {name} " in result.output


# --------------------------------------------------------------------------- end to end

START = dt.date(2026, 1, 5)
TODAY = dt.date.today()  # Date Raised of the CRs the session adds


@pytest.fixture()
def workbook(tmp_path) -> Path:
    from pmo_xl.io.template import build_workbook

    plan = [
        {"ID": i, "WBS": str(i), "Task": f"Task {i}", "Type": "Task", "Owner": "Ana", "Duration": 5,
         "Start": START + dt.timedelta(days=7 * (i - 1)), "Finish": START + dt.timedelta(days=7 * (i - 1) + 4),
         "Baseline Start": START + dt.timedelta(days=7 * (i - 1)),
         "Baseline Finish": START + dt.timedelta(days=7 * (i - 1) + 4)}
        for i in (1, 2, 3)
    ]
    budget = [{"Task ID": i, "Category": "Labour", "Amount": 1000.0 * i, "Source": "Original"} for i in (1, 2, 3)]
    path = tmp_path / "project.xlsx"
    build_workbook(
        path,
        {"ProjectName": "CRM", "ProjectCode": "CRM-1", "StartDate": START, "PlannedFinish": dt.date(2026, 1, 23),
         "ContingencyReserve": 50000, "ManagementReserve": 20000},
        {"tblPlan": plan, "tblBudget": budget},
    )
    return path


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def run_refused(path: Path, *args: str) -> str:
    """A refused command: exit 2, one line, and the file's bytes unchanged."""
    before = sha(path)
    proc = subprocess.run([sys.executable, "-m", "pmo_xl", *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert sha(path) == before
    assert not lk.lock_path(path).exists()
    return proc.stderr


def scripted_session(p: Path) -> None:
    u = ("--user", "ana")
    # CR-0001: full life, approved with a cost impact funded from Contingency
    cr1 = run("change", "add", p, "--title", "=SUM(A1)+1", "--requested-by", "@finance", "--type", "scope",
              "--priority", "High", "--rationale", "-needed for audit", "--affected-tasks", "2,3",
              "--funding", "Contingency", *u).strip()
    assert cr1 == "CR-0001"
    run("change", "set-status", p, cr1, "Submitted", *u)
    run("change", "set-status", p, cr1, "under review", "--note", "+board next week", *u)
    run("change", "decide", p, cr1, "approve", "--by", "Steering board", "--date", TODAY.isoformat(),
        "--cost-impact", "12000", "--schedule-impact", "4", *u)
    run("change", "set-status", p, cr1, "Implemented", "--date", (TODAY + dt.timedelta(days=3)).isoformat(), *u)
    run("change", "set-status", p, cr1, "Closed", *u)
    # CR-0002: rejected, then closed
    out = json.loads(run("change", "add", p, "--title", "Gold plating", "--requested-by", "Ben",
                         "--cost-impact", "900", "--format", "json", *u))
    cr2 = out["cr_id"]
    assert cr2 == "CR-0002" and out["change"]["status"] == "Draft"
    run("change", "set-status", p, cr2, "Submitted", *u)
    run("change", "set-status", p, cr2, "Under Review", *u)
    run("change", "decide", p, cr2, "reject", "--by", "Sponsor", "--note", "no value", *u)
    run("change", "set-status", p, cr2, "Closed", *u)
    # CR-0003: deferred, then resubmitted
    cr3 = run("change", "add", p, "--title", "Mobile app", "--requested-by", "Cleo",
              "--funding", "Management Reserve", *u).strip()
    run("change", "set-status", p, cr3, "Submitted", *u)
    run("change", "set-status", p, cr3, "Under Review", *u)
    run("change", "decide", p, cr3, "defer", "--by", "Sponsor", *u)
    run("change", "set-status", p, cr3, "Submitted", "--user", "bob")


def test_scripted_session_register_log_budget_consistent(workbook):
    from pmo_xl.io.reader import load

    p = workbook
    scripted_session(p)

    # refused moves: nothing written
    msg = run_refused(p, "change", "set-status", p, "CR-0001", "Submitted")
    assert "Closed is final" in msg
    msg = run_refused(p, "change", "set-status", p, "CR-0003", "Closed")
    assert "allowed from Submitted: Under Review, Withdrawn" in msg
    run("change", "set-status", p, "CR-0003", "Under Review")
    msg = run_refused(p, "change", "decide", p, "CR-0003", "approve", "--by", "Sponsor")
    assert "approval needs the Cost Impact" in msg
    run_refused(p, "change", "decide", p, "CR-0003", "approve", "--by", "X", "--date", "2020-01-01",
                "--cost-impact", "1", "--schedule-impact", "1")  # before Date Raised
    run_refused(p, "change", "set-status", p, "CR-0042", "Submitted")

    book = load(p)
    reg = book.frame("tblChanges")
    log = book.frame("tblChangeLog")
    budget = book.frame("tblBudget")
    by_id = {r["CR ID"]: r for _, r in reg.iterrows()}
    assert list(by_id) == ["CR-0001", "CR-0002", "CR-0003"]
    assert [by_id[c]["Status"] for c in by_id] == ["Closed", "Closed", "Under Review"]
    one = by_id["CR-0001"]
    assert one["Title"] == "=SUM(A1)+1" and one["Requested By"] == "@finance"
    assert one["Rationale"] == "-needed for audit"
    assert one["Type"] == "Scope" and one["Affected Tasks"] == "2, 3" and one["Funding"] == "Contingency"
    assert one["Cost Impact"] == 12000 and one["Schedule Impact"] == 4
    assert one["Decision By"] == "Steering board"
    assert pd_date(one["Decision Date"]) == TODAY
    assert pd_date(one["Implemented Date"]) == TODAY + dt.timedelta(days=3)
    assert pd_date(one["Date Raised"]) == dt.date.today()
    assert by_id["CR-0002"]["Decision Notes"] == "no value"

    # budget: the three original lines and one for CR-0001, on its first affected task
    assert len(budget) == 4
    added = budget[budget["Source"] == "CR-0001"]
    assert len(added) == 1
    line = added.iloc[0]
    assert (int(line["Task ID"]), line["Category"], line["Amount"], line["Note"]) == (2, "Other", 12000, "=SUM(A1)+1")
    assert (budget["Source"] == "CR-0002").sum() == 0

    # the log replays to the register: last Status per CR equals the register's Status
    assert set(log["Action"]) == {"Added", "Status", "Decision", "Note", "Budget"}
    for cr_id, row in by_id.items():
        mine = log[log["CR ID"] == cr_id]
        statuses = mine[mine["Field"] == "Status"]["New Value"].tolist()
        assert statuses[-1] == row["Status"]
        assert statuses[0] == "Draft"
        olds = mine[mine["Field"] == "Status"]["Old Value"].tolist()
        assert olds[1:] == statuses[:-1]  # each move starts where the previous ended
    assert log["Timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    bob = log[log["User"] == "bob"]
    assert bob[["CR ID", "Action", "Field", "Old Value", "New Value"]].values.tolist() == [
        ["CR-0003", "Status", "Status", "Deferred", "Submitted"]]
    assert set(log["User"]) == {"ana", "bob", default_user()}
    assert {"+board next week"} == set(log[log["Action"] == "Note"]["New Value"])
    n_log = len(log)

    # list / show
    listing = json.loads(run("change", "list", p, "--format", "json"))
    assert [c["cr_id"] for c in listing["changes"]] == ["CR-0001", "CR-0002", "CR-0003"]
    s = listing["stats"]
    assert s["by_status"]["Closed"] == 2 and s["by_status"]["Under Review"] == 1
    assert s["approved"] == {"count": 1, "cost_impact": 12000, "schedule_impact": 4}
    assert s["reserves_drawn"]["contingency"] == 12000 and s["reserves_drawn"]["management_reserve"] == 0
    assert s["reserves"][0] == {"reserve": "Contingency", "amount": 50000, "drawn": 12000, "remaining": 38000}
    assert "NaN" not in json.dumps(listing)
    only = json.loads(run("change", "list", p, "--status", "closed", "--format", "json"))
    assert [c["cr_id"] for c in only["changes"]] == ["CR-0001", "CR-0002"]
    shown = json.loads(run("change", "show", p, "cr-1", "--format", "json"))
    assert shown["change"]["affected_tasks"] == [2, 3]
    assert len(shown["history"]) == (log["CR ID"] == "CR-0001").sum()
    text = run("change", "show", p, "CR-0001")
    assert "=SUM(A1)+1" in text and "Steering board" in text
    text = run("change", "list", p)
    assert "CR-0003" in text and "Contingency" in text
    assert len(load(p).frame("tblChangeLog")) == n_log  # reading wrote nothing

    # real readers
    import openpyxl
    from python_calamine import CalamineWorkbook

    wb = openpyxl.load_workbook(p)
    ws = wb["Changes"]
    titles = [c for row in ws.iter_rows() for c in row if c.value == "=SUM(A1)+1"]
    assert titles and all(c.data_type == "s" for c in titles)
    assert "tblChangeLog" in wb["Change Log"].tables
    cal = CalamineWorkbook.from_path(str(p))
    rows = cal.get_sheet_by_name("Change Log").to_python()
    assert sum(1 for r in rows if "CR-0001" in r) == (log["CR ID"] == "CR-0001").sum()
    changes_cells = [v for r in cal.get_sheet_by_name("Changes").to_python() for v in r]
    assert "=SUM(A1)+1" in changes_cells and "@finance" in changes_cells


def pd_date(value):
    from pmo_xl.engine.changes import as_date

    return as_date(value)


def test_second_writer_gets_file_in_use(workbook):
    p = workbook
    run("change", "add", p, "--title", "T", "--requested-by", "R")
    with lk.workbook_lock(p, wait=0):
        before = sha(p)
        result = CliRunner().invoke(cli, ["change", "set-status", str(p), "CR-0001", "Submitted", "--wait", "0.2"])
        assert result.exit_code == 2
        assert "in use by another pmo-xl process" in result.output
        assert sha(p) == before


def test_excel_owner_file_blocks_writes(workbook):
    p = workbook
    (p.parent / f"~${p.name}").write_bytes(b"owner")
    msg = run_refused(p, "change", "add", p, "--title", "T", "--requested-by", "R")
    assert "open in Excel" in msg


def test_missing_decision_data_and_bad_input_write_nothing(workbook):
    p = workbook
    run("change", "add", p, "--title", "T", "--requested-by", "R")
    run_refused(p, "change", "add", p, "--title", "T", "--requested-by", "R", "--affected-tasks", "9")
    run_refused(p, "change", "add", p, "--title", "T", "--requested-by", "R", "--type", "Huge")
    run_refused(p, "change", "decide", p, "CR-0001", "approve", "--by", "B", "--cost-impact", "1",
                "--schedule-impact", "0")  # Draft cannot be decided
    run_refused(p, "change", "set-status", p, "CR-0001", "Approved")


def test_workbook_opens_in_libreoffice_without_formula_errors(workbook, soffice, tmp_path):
    from support.libreoffice import formula_errors, recalculated_values

    scripted_session(workbook)
    values = recalculated_values(workbook, tmp_path / "lo")
    assert formula_errors(values) == []
    assert "CR-0003" in str(values.get("Changes", {}))


def test_id_taken_by_the_log_only_is_not_reused(tmp_path):
    """CR-0007 was deleted from the register but its log rows remain: the next is CR-0008."""
    from pmo_xl.io.template import build_workbook

    p = tmp_path / "p.xlsx"
    log_rows = [{"Timestamp": "2026-01-02T09:00:00Z", "CR ID": c, "Action": "Added", "Field": "Status",
                 "Old Value": None, "New Value": "Draft", "User": "x"} for c in ("CR-0002", "CR-0007")]
    register = [{"CR ID": "CR-0002", "Title": "Kept", "Requested By": "R", "Date Raised": dt.date(2026, 1, 2),
                 "Status": "Draft"}]
    build_workbook(p, {"ProjectName": "X", "ProjectCode": "X", "StartDate": START},
                   {"tblChanges": register, "tblChangeLog": log_rows})
    assert run("change", "add", p, "--title", "New", "--requested-by", "R").strip() == "CR-0008"


def _sheet_parts(parts: dict[str, bytes], sheets: set[str]) -> set[str]:
    """The worksheet parts of the named sheets and the table parts they own."""
    import posixpath
    import re
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    wb = ET.fromstring(parts["xl/workbook.xml"])
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    out: set[str] = set()
    for sheet in wb.find("m:sheets", ns):
        if sheet.get("name") not in sheets:
            continue
        target = rels[sheet.get(f"{{{ns['r']}}}id")]
        part = posixpath.normpath(posixpath.join("xl", target)) if not target.startswith("/") else target[1:]
        out.add(part)
        rel_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        if rel_part in parts:
            out.add(rel_part)
            for r in ET.fromstring(parts[rel_part]):
                if re.search(r"/table$", r.get("Type", "")):
                    out.add(posixpath.normpath(posixpath.join(posixpath.dirname(part), r.get("Target"))))
    return out


def test_only_register_log_and_budget_parts_change(workbook):
    before = zip_parts(workbook)
    scripted_session(workbook)
    after = zip_parts(workbook)
    allowed = _sheet_parts(after, {"Changes", "Change Log", "Budget"}) | {
        "[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        "xl/sharedStrings.xml", "docProps/app.xml"}
    changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    assert changed - allowed == set()
    assert _sheet_parts(after, {"Changes", "Change Log", "Budget"}) & changed  # the edits did land
    assert set(before) <= set(after)


def test_demo_register_list_and_a_decision(tmp_path):
    """The demo project's register (played through the engine) lists and takes a decision."""
    from pmo_xl.commands.demo import demo_workbook
    from pmo_xl.io.reader import load

    p = demo_workbook(tmp_path / "demo.xlsx", seed=3)
    listing = json.loads(run("change", "list", p, "--as-of", "2030-01-01", "--format", "json"))
    s = listing["stats"]
    changes = listing["changes"]
    assert len(changes) >= 8 and s["total"] == len(changes)
    assert sum(s["by_status"].values()) == s["total"] and s["as_of"] == "2030-01-01"
    assert s["open"]["count"] == sum(c["status"] in ("Draft", "Submitted", "Under Review", "Deferred") for c in changes)
    assert sum(s["open"]["buckets"].values()) == sum(
        c["status"] in ("Draft", "Submitted", "Under Review", "Deferred") and c["date_raised"] is not None
        for c in changes)
    book = load(p)
    budget_before, log_before = len(book.frame("tblBudget")), len(book.frame("tblChangeLog"))
    review = [c for c in changes if c["status"] == "Under Review"]
    if not review:  # seed without one: take a CR to review first
        review = [c for c in changes if c["status"] == "Submitted"]
        need = run("change", "set-status", p, review[0]["cr_id"], "Under Review")
        assert "Under Review" in need
        log_before += 1
    target = review[0]
    run("change", "decide", p, target["cr_id"], "approve", "--by", "Sponsor", "--cost-impact", "4321",
        "--schedule-impact", "3", "--date", "2030-01-01")
    after = json.loads(run("change", "list", p, "--format", "json"))["stats"]
    assert after["approved"]["cost_impact"] == pytest.approx(s["approved"]["cost_impact"] + 4321)
    book = load(p)
    assert len(book.frame("tblBudget")) == budget_before + 1
    assert len(book.frame("tblChangeLog")) > log_before
    assert book.frame("tblBudget")["Source"].tolist()[-1] == target["cr_id"]


# --------------------------------------------------------------------------- organisation lists


@pytest.mark.parametrize("configured", [True, False])
def test_configured_lists_are_accepted_only_where_configured(tmp_path, configured):
    """A workbook stamped with a pmo.toml that extends the cost categories, CR types and
    priorities takes them in change add/decide; the standard workbook refuses them."""
    from pmo_xl.config import parse_config
    from pmo_xl.io.reader import load
    from pmo_xl.io.template import build_workbook

    cfg = parse_config({"lists": {"cost_categories": ["Facilities"], "cr_types": ["Regulatory"],
                                  "priorities": ["Urgent"]}})
    p = tmp_path / "org.xlsx"
    build_workbook(p, {"ProjectName": "P", "ProjectCode": "P-1", "StartDate": START},
                   {"tblBudget": [{"Category": "Labour", "Amount": 100.0}]}, config=cfg if configured else None)
    add = ("change", "add", p, "--title", "New office", "--requested-by", "Facility mgmt", "--type", "regulatory",
           "--priority", "URGENT", "--user", "ana")
    if not configured:
        assert "is not one of" in run_refused(p, *add)
        run("change", "add", p, "--title", "New office", "--requested-by", "Facility mgmt", "--user", "ana")
    else:
        run(*add)
    for status in ("Submitted", "Under Review"):
        run("change", "set-status", p, "CR-0001", status, "--user", "ana")
    decide = ("change", "decide", p, "CR-0001", "approve", "--by", "Board",
              "--cost-impact", "2500", "--schedule-impact", "0", "--category", "facilities", "--user", "ana")
    if not configured:
        assert "category 'facilities' is not one of" in run_refused(p, *decide)
        return
    run(*decide)
    book = load(p)
    change = book.frame("tblChanges").iloc[-1]
    assert (change["Type"], change["Priority"], change["Status"]) == ("Regulatory", "Urgent", "Approved")
    line = book.frame("tblBudget").iloc[-1]
    assert (line["Category"], line["Amount"], line["Source"]) == ("Facilities", 2500, "CR-0001")
