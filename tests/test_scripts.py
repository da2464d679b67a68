"""Button scripts (udfs/pmo_udfs.py) end to end on an open workbook.

The workbook is the demo project (``make_demo`` + ``build_workbook``), loaded cell by cell
into the xlwings stand-in of ``tests/support/fakebook.py``; each script runs on it and the
tests read back, through the same API, what it wrote, and compare it with what the
command line computes from the file (``validate_book``/``schedule_book``/``rollup_book``
on ``pmo_xl.load(path)``, ``pmo-xl change add|decide`` on a copy of the file).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil

import pandas as pd
import pytest

import pmo_udfs
from pmo_xl import schema
from pmo_xl.io.livebook import FILL_COLOURS, LiveBook, cell_value
from pmo_xl.io.reader import load
from support.fakebook import FakeBook


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    from pmo_xl.commands.demo import demo_workbook

    return demo_workbook(tmp_path_factory.mktemp("scripts") / "demo.xlsx")


@pytest.fixture(scope="module")
def cli_book(demo_path):
    return load(demo_path)


@pytest.fixture
def fb(demo_path):
    return FakeBook(demo_path)


def expected(value):
    """What a cell holds after pmo_xl writes ``value`` (pandas/Python) into it: text stays
    text, numbers are floats, dates are datetimes, empty is None."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    mod = type(value).__module__
    if mod.startswith(("numpy", "pandas")):
        if type(value).__name__ in ("NaTType", "NAType"):
            return None
        value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def table_values(fb, name):
    """(headers, data rows) of table ``name`` as the open workbook holds it."""
    t = fb.sheets[schema.TABLES[name].sheet].tables[name]
    rows = t.range.options(ndim=2).value
    return rows[0], rows[1:]


def assert_table(fb, name, frame_or_rows, headers=None):
    headers = headers or schema.TABLES[name].headers
    got_headers, got = table_values(fb, name)
    assert got_headers == headers
    if hasattr(frame_or_rows, "itertuples"):
        rows = list(frame_or_rows[headers].itertuples(index=False, name=None))
    else:
        rows = [list(r) for r in frame_or_rows]
    want = [[expected(v) for v in r] for r in rows]
    if not want:  # an empty table keeps one blank row
        assert got == [[None] * len(headers)]
        return
    assert len(got) == len(want)
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            assert a == (pytest.approx(b) if isinstance(b, float) else b)


# --------------------------------------------------------------------------- the stand-in


def test_fake_pins_xlwings_value_semantics(fb):
    ws = fb.sheets["Project"]
    ws.range("H1").value = 3
    assert ws.range("H1").value == 3.0 and isinstance(ws.range("H1").value, float)
    ws.range("H2").value = dt.date(2026, 1, 5)
    assert ws.range("H2").value == dt.datetime(2026, 1, 5)
    assert ws.range("H3").value is None
    ws.range("H1:J1").value = [1, "a", None]
    assert ws.range("H1:J1").value == [1.0, "a", None]  # one row: a flat list
    assert ws.range("H1:J1").options(ndim=2).value == [[1.0, "a", None]]
    assert ws.range("H1").options(ndim=1).value == [1.0]
    ws.range("H5:I6").value = 7
    assert ws.range("H5:I6").value == [[7.0, 7.0], [7.0, 7.0]]  # a scalar fills the range
    ws.range("H5").value = [[1, 2], [3, 4]]
    assert ws.range("H5").options(expand="table").value == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError):
        ws.range("H8").value = [[1, 2], [3]]
    with pytest.raises(TypeError):
        import numpy as np

        ws.range("H8").value = np.float64(1.5)
    # Excel's parsing of written text, and the apostrophe that keeps text as text
    ws.range("H9").value = "=SUM(1,2)"
    assert ws.range("H9").formula == "=SUM(1,2)" and ws.range("H9").value is None
    ws.range("H10").value = "1.5"
    assert ws.range("H10").value == 1.5
    ws.range("H11").value = "'1.5"
    assert ws.range("H11").value == "1.5"
    ws.range("H12").value = "-done"
    assert isinstance(fb.sheets["Project"].formulas.get((12, 8)), str)
    ws.range("H12").color = "#FFC7CE"
    assert ws.range("H12").color == (255, 199, 206)


def test_cell_value_keeps_text_as_text(fb):
    ws = fb.sheets["Project"]
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@me", "1.2", "1.2.3", "2026-01-05", "TRUE", "#N/A", "10:30",
                 "'quoted", "plain text"):
        ws.range("H20").value = cell_value(text)
        assert ws.range("H20").value == text, text
        assert ws.range("H20").formula is None


# --------------------------------------------------------------------------- reading


def test_live_read_equals_the_file_read(fb, cli_book):
    live = LiveBook(fb).read()
    assert live.settings == cli_book.settings
    assert live.setting_cells == cli_book.setting_cells
    assert live.sheets == cli_book.sheets
    assert live.template_version == cli_book.template_version
    for name, t in cli_book.tables.items():
        lt = live.tables[name]
        pd.testing.assert_frame_equal(lt.frame, t.frame, obj=name)
        assert (lt.letters, lt.ref, lt.header_row, lt.present) == (t.letters, t.ref, t.header_row, t.present), name
    assert [i.message for i in live.issues] == [i.message for i in cli_book.issues]
    assert live.structure == cli_book.structure


def test_live_read_with_dates_as_serials(demo_path, cli_book):
    """xlwings Lite/Server hand dates over as serials; the frames are the same."""
    live = LiveBook(FakeBook(demo_path, dates_as_serials=True)).read()
    for name, t in cli_book.tables.items():
        pd.testing.assert_frame_equal(live.tables[name].frame, t.frame, obj=name)


def test_a_workbook_without_the_template_is_refused(tmp_path):
    import openpyxl

    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(path)
    message = pmo_udfs.validate_workbook(FakeBook(path))
    assert message.startswith("pmo-xl:") and "not a PMO workbook" in message


# --------------------------------------------------------------------------- generated sheets


def test_validate_workbook_writes_what_the_cli_finds(fb, cli_book):
    from pmo_xl.commands.results import validation_heading
    from pmo_xl.commands.validate import validate_book

    report = validate_book(cli_book)
    message = pmo_udfs.validate_workbook(fb)
    assert message == validation_heading(report)
    rows = [[f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint] for f in report.findings]
    assert rows and report.errors
    assert_table(fb, "tblFindings", rows)
    _, got = table_values(fb, "tblFindings")
    assert all(isinstance(r[4], str) for r in got if r[4] is not None)  # keys "12" stay text
    assert_table(fb, "tblDCMA", report.dcma_frame)
    ws = fb.sheets["Validation"]
    t = ws.tables["tblFindings"]
    for i, f in enumerate(report.findings):
        assert t.range.offset(1 + i, 0).resize(1, 1).color == _rgb(FILL_COLOURS[f.severity])
    assert ws.range("A1").value == message
    assert ws.range("A2").value.startswith(f"Findings: {report.errors} errors")


def _rgb(h):
    return (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16))


def test_refresh_schedule_writes_the_cli_schedule(fb, cli_book):
    from pmo_xl.commands.results import schedule_frame
    from pmo_xl.commands.schedule import schedule_book

    result = schedule_book(cli_book)
    message = pmo_udfs.refresh_schedule(fb)
    assert "-".join(str(i) for i in result.critical_path) in message
    frame = schedule_frame(result, cli_book.frame("tblPlan"))
    assert_table(fb, "tblSchedule", frame)
    t = fb.sheets["Schedule"].tables["tblSchedule"]
    colours = [t.range.offset(1 + i, 0).resize(1, 1).color for i in range(len(frame))]
    assert colours == [_rgb(FILL_COLOURS["critical"]) if c else None for c in frame["Critical"]]


def test_refresh_rollup_writes_the_cli_rollup(fb, cli_book):
    from pmo_xl.commands.results import change_stats_rows, chart_names
    from pmo_xl.commands.rollup import rollup_book

    result = rollup_book(cli_book)
    message = pmo_udfs.refresh_rollup(fb)
    assert f"RAG {result.rag}" in message
    for name, frame in result.tables().items():
        assert_table(fb, name, frame)
    assert_table(fb, "tblChangeStats", change_stats_rows(cli_book.frame("tblChanges"), result.status_date))
    for name, formula in chart_names(result).items():
        assert fb.names[name].refers_to == formula


def test_refresh_all_equals_the_three_scripts(demo_path):
    one, three = FakeBook(demo_path), FakeBook(demo_path)
    pmo_udfs.refresh_all(one)
    for script in (pmo_udfs.validate_workbook, pmo_udfs.refresh_schedule, pmo_udfs.refresh_rollup):
        script(three)
    for sheet in ("Validation", "Schedule", "Rollup"):
        assert one.sheets[sheet].cells == three.sheets[sheet].cells, sheet
        assert one.sheets[sheet].colours == three.sheets[sheet].colours, sheet


def test_a_shorter_result_clears_the_old_rows(fb):
    live = LiveBook(fb)
    from pmo_xl.io.writer import TableBlock

    junk = [["error", "XX", "Plan", f"A{i}", str(i), "old", "old"] for i in range(400)]
    live.write_blocks("Validation", [TableBlock("tblFindings", junk, fills=["error"] * 400)])
    assert len(table_values(fb, "tblFindings")[1]) == 400
    pmo_udfs.validate_workbook(fb)
    n = len(table_values(fb, "tblFindings")[1])
    assert n < 400
    t = fb.sheets["Validation"].tables["tblFindings"]
    below = t.range.offset(n + 1, 0).resize(400 - n, 7)
    assert all(v is None for r in below.value for v in r)
    assert below.color is None


def test_book_none_uses_the_calling_workbook(fb, monkeypatch):
    import xlwings

    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: fb))
    assert pmo_udfs.refresh_schedule().startswith("Schedule:")
    assert table_values(fb, "tblSchedule")[1][0][0] is not None


def test_no_calling_workbook_is_a_plain_error():
    from pmo_xl.errors import PmoError

    with pytest.raises(PmoError, match="no calling workbook"):
        pmo_udfs.validate_workbook()


# --------------------------------------------------------------------------- change requests

FORM_NAMES = (*pmo_udfs.NEW_CHANGE_FORM, *pmo_udfs.DECISION_FORM, pmo_udfs.FORM_RESULT_CELL)


def without_forms(fb):
    """The workbook as an older template made it: no form names."""
    for name in FORM_NAMES:
        fb.names._items.pop(name.lower(), None)
    return fb


def test_the_template_has_the_form_cells_the_scripts_read(fb):
    """Every name the change scripts read is one cell of sheet Changes, right of the
    register (so it can grow), and pmoStatus one cell of the Dashboard."""
    t = fb.sheets["Changes"].tables["tblChanges"].range
    for name in FORM_NAMES:
        rng = fb.names[name].refers_to_range
        assert rng is not None, name
        assert rng.sheet.name == "Changes" and rng.shape == (1, 1), name
        assert rng.column > t.column + t.columns.count, name
        assert rng.value is None, name  # the form starts empty
    status = fb.names[pmo_udfs.STATUS_CELL].refers_to_range
    assert status.sheet.name == "Dashboard" and status.shape == (1, 1)


def test_scripts_report_in_the_status_cell(fb):
    message = pmo_udfs.refresh_schedule(fb)
    assert fb.names[pmo_udfs.STATUS_CELL].refers_to_range.value == message


def _log_core(rows, headers):
    keep = [headers.index(h) for h in ("CR ID", "Action", "Field", "Old Value", "New Value")]
    return [[r[i] for i in keep] for r in rows]


def test_new_change_request_from_the_form_equals_change_add(fb, demo_path, tmp_path):
    from pmo_xl.commands.change import change_add

    fields = {"Title": "=Extra reports", "Requested By": "Finance", "Type": "Scope", "Priority": "High",
              "Cost Impact": 1200.0, "Schedule Impact": 3.0, "Affected Tasks": "5, 7", "Rationale": "Audit"}
    target = {v: k for k, v in pmo_udfs.NEW_CHANGE_FORM.items()}
    for header, value in fields.items():
        fb.names[target[header]].refers_to_range.value = cell_value(value)
    before_reg = table_values(fb, "tblChanges")[1]
    message = pmo_udfs.new_change_request(fb)

    copy = tmp_path / "copy.xlsx"
    shutil.copy(demo_path, copy)
    cli = change_add(copy, fields, user="x")
    assert message == f"{cli['cr_id']} added (Draft): =Extra reports"
    headers, reg = table_values(fb, "tblChanges")
    assert reg[: len(before_reg)] == before_reg
    new = dict(zip(headers, reg[-1]))
    assert new["CR ID"] == cli["cr_id"] and new["Title"] == "=Extra reports"  # text, not a formula
    assert new["Status"] == "Draft"
    want = load(copy).frame("tblChanges").iloc[-1]
    for h in headers:
        if h != "Date Raised":
            assert new[h] == expected(want[h]), h
    log_headers, log = table_values(fb, "tblChangeLog")
    cli_log = [[expected(v) for v in r] for r in load(copy).frame("tblChangeLog")[log_headers].itertuples(index=False, name=None)]
    assert _log_core(log, log_headers) == _log_core(cli_log, log_headers)
    # the form is cleared and tells what happened
    assert all(fb.names[n].refers_to_range.value is None for n in pmo_udfs.NEW_CHANGE_FORM)
    assert fb.names[pmo_udfs.FORM_RESULT_CELL].refers_to_range.value == message


def test_new_change_request_from_arguments_without_a_form(fb):
    message = pmo_udfs.new_change_request(fb, title="Portal", requested_by="Sales", cost_impact=500.0)
    assert "added (Draft): Portal" in message
    headers, reg = table_values(fb, "tblChanges")
    assert dict(zip(headers, reg[-1]))["Cost Impact"] == 500.0


def test_new_change_request_without_form_or_arguments_says_so(fb):
    without_forms(fb)
    before = table_values(fb, "tblChanges")
    message = pmo_udfs.new_change_request(fb)
    assert "no change-request form" in message and "frmTitle" in message
    assert fb.app.alerts and fb.app.alerts[-1][1] == message
    assert table_values(fb, "tblChanges") == before


def _under_review(cli_book):
    reg = cli_book.frame("tblChanges")
    return str(reg[reg["Status"] == "Under Review"]["CR ID"].iloc[0])


def test_decide_change_request_equals_change_decide(fb, cli_book, demo_path, tmp_path):
    from pmo_xl.commands.change import change_decide

    cr = _under_review(cli_book)
    form = {"frmCrId": cr, "frmDecision": "Approve", "frmDecisionBy": "Steering board",
            "frmDecisionDate": dt.date(2025, 10, 20), "frmDecisionCostImpact": 2500.0,
            "frmDecisionScheduleImpact": 4.0, "frmDecisionNotes": "ok"}
    for name, value in form.items():
        fb.names[name].refers_to_range.value = cell_value(value)
    before_budget = table_values(fb, "tblBudget")[1]
    message = pmo_udfs.decide_change_request(fb)

    copy = tmp_path / "copy.xlsx"
    shutil.copy(demo_path, copy)
    cli = change_decide(copy, cr, "Approve", "Steering board", dt.date(2025, 10, 20), "ok", 2500.0, 4.0, user="x")
    assert message == cli["message"]
    headers, reg = table_values(fb, "tblChanges")
    want = load(copy).frame("tblChanges")
    for (_, w), g in zip(want.iterrows(), reg):
        assert g == [expected(w[h]) for h in headers]
    budget = table_values(fb, "tblBudget")[1]
    assert budget[: len(before_budget)] == before_budget
    assert len(budget) == len(before_budget) + 1
    assert budget[-1] == [expected(v) for v in load(copy).frame("tblBudget").iloc[-1][schema.TABLES["tblBudget"].headers]]
    log_headers, log = table_values(fb, "tblChangeLog")
    cli_log = [[expected(v) for v in r] for r in load(copy).frame("tblChangeLog")[log_headers].itertuples(index=False, name=None)]
    assert _log_core(log, log_headers) == _log_core(cli_log, log_headers)


def test_a_refused_decision_writes_nothing(fb, cli_book):
    reg = cli_book.frame("tblChanges")
    draft = str(reg[reg["Status"] == "Draft"]["CR ID"].iloc[0])
    before = {n: table_values(fb, n) for n in ("tblChanges", "tblChangeLog", "tblBudget")}
    message = pmo_udfs.decide_change_request(fb, cr_id=draft, decision="Approve", decision_by="Me",
                                             cost_impact=1.0, schedule_impact=0.0)
    assert message.startswith("pmo-xl:") and draft in message
    assert {n: table_values(fb, n) for n in before} == before


def test_decision_needs_a_cr_id(fb):
    message = pmo_udfs.decide_change_request(fb, decision="Approve")
    assert "frmCrId" in message


def test_an_empty_form_is_refused_and_writes_nothing(fb):
    before = {n: table_values(fb, n) for n in ("tblChanges", "tblChangeLog")}
    message = pmo_udfs.new_change_request(fb)
    assert message == "pmo-xl: a new change request needs a Title"
    assert fb.names[pmo_udfs.FORM_RESULT_CELL].refers_to_range.value == message
    assert {n: table_values(fb, n) for n in before} == before


def test_a_refused_request_keeps_the_form(fb):
    fb.names["frmTitle"].refers_to_range.value = "Portal"
    fb.names["frmRequestedBy"].refers_to_range.value = "Sales"
    fb.names["frmType"].refers_to_range.value = "Huge"
    message = pmo_udfs.new_change_request(fb)
    assert "type 'Huge' is not one of" in message
    assert fb.names["frmTitle"].refers_to_range.value == "Portal"  # nothing to type again


# --------------------------------------------------------------------------- organisation settings


@pytest.fixture(scope="module")
def configured_path(tmp_path_factory):
    from pmo_xl.config import parse_config
    from pmo_xl.demo import make_demo
    from pmo_xl.io.template import build_workbook

    demo = make_demo(1)
    cfg = parse_config({"lists": {"cost_categories": ["Facilities"], "cr_types": ["Regulatory"]},
                        "thresholds": {"rag_green": 1.5, "rag_amber": 1.2, "dcma": {"high_float_days": 21}}})
    return build_workbook(tmp_path_factory.mktemp("cfg") / "org.xlsx", demo.settings, demo.rows, config=cfg)


def test_a_never_saved_workbook_uses_its_own_settings(configured_path):
    """The live read takes the cfg… names and lists from the open workbook's cells: a
    workbook never saved (no file behind it) or edited since is judged by what it holds."""
    from pmo_xl.config import read_stored, thresholds_for

    fb = FakeBook(configured_path)
    fb.fullname, fb.name = "Book1", "Book1"  # never saved
    live = thresholds_for(LiveBook(fb).read())
    stored = read_stored(configured_path)
    assert live.rag == stored.rag_thresholds() and live.dcma == stored.dcma_thresholds()
    assert live.lists == stored.lists and "Facilities" in live.lists["CostCategory"]
    # an edit in the open workbook counts at once
    fb.names["cfgRagGreen"].refers_to_range.value = 1.7
    assert thresholds_for(LiveBook(fb).read()).rag.green == 1.7
    # the same script result as from the file: RAG by the stored limits
    from pmo_xl.commands.rollup import rollup_book

    assert f"RAG {rollup_book(load(configured_path)).rag}" in pmo_udfs.refresh_rollup(FakeBook(configured_path))


def test_the_form_takes_the_organisation_lists(configured_path):
    fb = FakeBook(configured_path)
    fb.fullname = "Book1"
    for name, value in {"frmTitle": "Audit trail", "frmRequestedBy": "Compliance", "frmType": "regulatory"}.items():
        fb.names[name].refers_to_range.value = value
    message = pmo_udfs.new_change_request(fb)
    assert "added (Draft): Audit trail" in message
    headers, reg = table_values(fb, "tblChanges")
    assert dict(zip(headers, reg[-1]))["Type"] == "Regulatory"
    standard = FakeBook(configured_path)
    for name in [n for n in list(standard.names._items) if n.startswith("cfg")]:  # no stored settings
        standard.names._items.pop(name)
    standard.names["frmTitle"].refers_to_range.value = "Audit trail"
    standard.names["frmRequestedBy"].refers_to_range.value = "Compliance"
    standard.names["frmType"].refers_to_range.value = "Regulatory"
    assert "is not one of" in pmo_udfs.new_change_request(standard)
