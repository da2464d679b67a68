"""The lossless editor (SPEC §9): only pmo_xl's parts change, everything else byte-identical,
and real readers (openpyxl, python-calamine, LibreOffice) see exactly what was written."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from python_calamine import CalamineWorkbook

from pmo_xl.errors import PmoError
from pmo_xl.io.template import build_workbook
from pmo_xl.io.writer import TableBlock, WorkbookEditor

# ------------------------------------------------------------------ a PMO-like workbook


def _png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_rich_workbook(path: Path, vba: Path | None) -> Path:
    """Dashboard with chart, image, textbox, button and formulas; tables with data
    validation, conditional formats and comments; an old Validation sheet; a VBA project."""
    import io

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00"})
    red = wb.add_format({"bg_color": "#FFC7CE"})

    dash = wb.add_worksheet("Dashboard")
    budget = wb.add_worksheet("Budget")
    timesheet = wb.add_worksheet("Timesheet")
    changes = wb.add_worksheet("Changes")
    log = wb.add_worksheet("Change Log")
    validation = wb.add_worksheet("Validation")
    lists = wb.add_worksheet("Lists")

    dash.write("A1", "Budget", bold)
    dash.write_formula("B1", "=SUM(tblBudget[Amount])", money, 0)
    dash.write("A2", "CPI")
    dash.write_formula("B2", '=IFERROR(INDEX(tblEVM[Value],MATCH("CPI",tblEVM[Metric],0)),"")', None, "")
    dash.write("A3", "Open CRs")
    dash.write_formula("B3", '=COUNTIF(tblChanges[Status],"Submitted")', None, 1)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=Budget!$B$2:$B$4", "values": "=Budget!$D$2:$D$4"})
    dash.insert_chart("D2", chart)
    dash.insert_image("D20", "dot.png", {"image_data": io.BytesIO(_png())})
    dash.insert_textbox("H20", "Press the button to refresh")
    if vba is not None:
        dash.insert_button("L2", {"macro": "RefreshAll", "caption": "Refresh"})
    dash.write_comment("A1", "Total of tblBudget")

    budget.add_table(
        "A1:F4",
        {
            "name": "tblBudget",
            "columns": [{"header": h} for h in ("Task ID", "Category", "Period", "Amount", "Source", "Note")],
            "data": [
                [1, "Labour", dt.datetime(2026, 1, 1), 1000, "Original", "start"],
                [2, "Hardware", dt.datetime(2026, 2, 1), 250.5, "Original", ""],
                [None, "Other", None, 99, "Original", "=not a formula"],
            ],
        },
    )
    budget.set_column("C:C", 11, date)
    budget.set_column("D:D", 12, money)
    budget.data_validation("B2:B4", {"validate": "list", "source": "=Lists!$A$1:$A$3"})
    budget.conditional_format("D2:D4", {"type": "cell", "criteria": ">", "value": 500, "format": red})
    budget.write_comment("D2", "Approved by the board")
    budget.write("H1", "Notes beside the table stay")

    timesheet.add_table(
        "A1:E51",
        {
            "name": "tblTimesheet",
            "columns": [{"header": h} for h in ("Date", "Person", "Task ID", "Hours", "Note")],
            "data": [[dt.datetime(2026, 1, 5) + dt.timedelta(days=i), "Ana", 1, 7.5, ""] for i in range(50)],
        },
    )

    headers = ("CR ID", "Title", "Status", "Cost Impact", "Decision Date", "Decision Notes")
    changes.add_table(
        "A1:F3",
        {
            "name": "tblChanges",
            "columns": [{"header": h} for h in headers],
            "data": [["CR-0001", "More servers", "Submitted", 5000, None, ""], ["CR-0002", "Training", "Draft", 800, None, ""]],
        },
    )
    changes.set_column("E:E", 11, date)
    log.add_table(
        "A1:D2",
        {
            "name": "tblChangeLog",
            "columns": [{"header": h} for h in ("Timestamp", "CR ID", "Action", "New Value")],
            "data": [["2026-01-02T09:00:00Z", "CR-0001", "add", ""]],
        },
    )
    validation.add_table(
        "A1:B3",
        {"name": "tblFindings", "columns": [{"header": "Severity"}, {"header": "Message"}], "data": [["error", "old"], ["info", "old"]]},
    )
    for i, v in enumerate(("Labour", "Hardware", "Other")):
        lists.write(i, 0, v)
    lists.print_area("A1:A3")  # a sheet-scoped name (localSheetId) after the inserted sheet
    wb.define_name("StatusDate", "=Lists!$A$1")
    if vba is not None:
        wb.add_vba_project(str(vba))
    wb.close()
    return path


EVM = pd.DataFrame(
    {"Metric": ["PV", "EV", "AC", "CPI", "SPI"], "Value": [3000.0, 2500.0, 2800.0, 0.8929, 0.8333], "Description": ["planned", "earned", "actual", "=EV/AC", "-"]}
)
MONTHS = pd.DataFrame(
    {
        "Month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "PV": [1000.0, 2000.0],
        "EV": [900.0, 1600.0],
        "AC": [950.0, 1850.0],
        "Cum PV": [1000.0, 3000.0],
        "Cum EV": [900.0, 2500.0],
        "Cum AC": [950.0, 2800.0],
    }
)
FINDINGS = pd.DataFrame(
    {
        "Severity": ["error", "warning", "info"],
        "Rule": ["PL001", "DT002", "FN003"],
        "Sheet": ["Plan", "Change Log", "Budget"],
        "Cell": ["G4", "A2", "D3"],
        "Key": ["1", "CR-0001", ""],
        "Message": ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0"],
        "Hint": ["-fix it", "  spaced  ", "line1\nline2"],
    }
)


def _edit(path: Path) -> Path:
    ed = WorkbookEditor.open(path)
    ed.replace_sheet(
        "Validation",
        [
            TableBlock(
                "tblFindings",
                FINDINGS,
                title="Findings",
                anchor="A3",
                links=["Plan!G4", "Change Log!A2", "Budget!D3"],
                fills=["error", "warning", "info"],
            ),
            TableBlock("tblDCMA", [[1, "Logic", 0.0, "<= 5%", "pass", "ok"]], title="DCMA", anchor="I3", fills=["pass"]),
        ],
        heading="Validation",
    )
    ed.replace_sheet(
        "Rollup",
        [TableBlock("tblEVM", EVM, anchor="A3"), TableBlock("tblRollupMonth", MONTHS, anchor="E3")],
    )
    rows = ed.append_rows(
        "tblBudget",
        [{"Task ID": 3, "Category": "Travel", "Period": dt.date(2026, 3, 1), "Amount": 1200, "Source": "CR-0001", "Note": "=2*3"}],
    )
    assert rows == [5]
    assert ed.append_rows(
        "tblChangeLog",
        [
            {"Timestamp": "2026-03-01T10:00:00Z", "CR ID": "CR-0001", "Action": "status", "New Value": "=HYPERLINK(\"x\")"},
            {"Timestamp": "2026-03-01T10:00:01Z", "CR ID": "CR-0001", "Action": "decide", "New Value": "@Approved"},
        ],
    ) == [3, 4]
    ed.set_cells("tblChanges", 2, {"Status": "Approved", "Decision Date": dt.date(2026, 3, 1), "Decision Notes": "-ok"})
    ed.set_defined_name("pmoLastRun", "Validation!$A$1")
    out = path.with_name("edited" + path.suffix)
    ed.save(out)
    return out


OWNED = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "docProps/app.xml",
}


def _parts(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: i for i in zf.infolist()}


def _read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def _sheet_part(path: Path, sheet: str) -> str:
    from pmo_xl.io.package import open_package

    with open_package(path) as pkg:
        ref = pkg.sheet(sheet)
        assert ref is not None
        return ref.part


def _table_parts(path: Path, sheet: str) -> set[str]:
    from pmo_xl.io.package import open_package

    with open_package(path) as pkg:
        ref = pkg.sheet(sheet)
        return {t.part for t in pkg.tables(ref)} if ref else set()


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("rich")
    src = make_rich_workbook(folder / "project.xlsm", corpus.parent / "excel-made" / "vbaProject01.bin")
    return src, _edit(src)


def test_untouched_parts_are_identical(rich: tuple[Path, Path]) -> None:
    src, out = rich
    before, after = _parts(src), _parts(out)
    edited = {_sheet_part(src, s) for s in ("Validation", "Budget", "Change Log", "Changes")}
    edited |= _table_parts(src, "Validation") | _table_parts(src, "Budget") | _table_parts(src, "Change Log")
    edited |= {f"xl/worksheets/_rels/{Path(p).name}.rels" for p in edited if "/worksheets/" in p}
    allowed = OWNED | edited
    assert "xl/vbaProject.bin" in before and "xl/drawings/drawing1.xml" in before
    kept = [n for n in before if n not in allowed]
    assert len(kept) > 15  # charts, drawings, images, comments, VML, VBA, other sheets...
    for name in kept:
        assert name in after, f"{name} was dropped"
        assert _read(out, name) == _read(src, name), f"{name} changed"
        # copied raw: the same compressed entry
        assert (after[name].CRC, after[name].compress_size, after[name].date_time) == (
            before[name].CRC,
            before[name].compress_size,
            before[name].date_time,
        ), name
    # the shared strings of other sheets are never rewritten
    assert _read(out, "xl/sharedStrings.xml") == _read(src, "xl/sharedStrings.xml")
    # the old Validation tables are gone, and their content types with them
    ct = _read(out, "[Content_Types].xml").decode()
    for part in _table_parts(src, "Validation"):
        if part not in _table_parts(out, "Validation"):
            assert part not in after and f"/{part}" not in ct
    for name in after:
        if name.endswith((".xml", ".rels", ".vml")):
            etree.fromstring(_read(out, name))  # well-formed


def test_readers_see_what_was_written(rich: tuple[Path, Path]) -> None:
    _, out = rich
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Dashboard", "Budget", "Timesheet", "Changes", "Change Log", "Validation", "Rollup", "Lists"]
    v = wb["Validation"]
    assert v["A1"].value == "Validation" and v["A2"].value == "Findings"
    assert [c.value for c in v[3][:7]] == list(FINDINGS.columns)
    got = [[c.value for c in row[:7]] for row in v.iter_rows(min_row=4, max_row=6)]
    assert got == [[None if x == "" else x for x in row] for row in FINDINGS.values.tolist()]  # "" = empty cell
    assert v["D4"].hyperlink.location == "Plan!G4"
    assert v["D5"].hyperlink.location == "'Change Log'!A2"
    assert v["A4"].fill.fgColor.rgb == "FFFFC7CE"
    assert v.tables["tblFindings"].ref == "A3:G6" and v.tables["tblDCMA"].ref == "I3:N4"
    r = wb["Rollup"]
    assert r.tables["tblEVM"].ref == "A3:C8" and r.tables["tblRollupMonth"].ref == "E3:K5"
    assert [r.cell(4 + i, 2).value for i in range(5)] == EVM["Value"].tolist()
    assert r["E4"].value == dt.datetime(2026, 1, 1) and r["E4"].is_date
    b = wb["Budget"]
    assert b.tables["tblBudget"].ref == "A1:F5"
    assert [c.value for c in b[5][:6]] == [3, "Travel", dt.datetime(2026, 3, 1), 1200, "CR-0001", "=2*3"]
    assert b["C5"].data_type == "d" or b["C5"].is_date
    assert b["H1"].value == "Notes beside the table stay"
    assert b["D5"].number_format == "#,##0.00"  # the column's format carried to the new row
    assert "B2:B5" in str(b.data_validations.dataValidation[0].sqref)
    assert any("D2:D5" in str(cf.sqref) for cf in b.conditional_formatting)
    log = wb["Change Log"]
    assert log.tables["tblChangeLog"].ref == "A1:D4"
    assert [log.cell(r, 4).value for r in (3, 4)] == ['=HYPERLINK("x")', "@Approved"]
    assert all(log.cell(r, 4).data_type == "s" for r in (3, 4))
    ch = wb["Changes"]
    assert [c.value for c in ch[2]] == ["CR-0001", "More servers", "Approved", 5000, dt.datetime(2026, 3, 1), "-ok"]
    assert wb.defined_names["pmoLastRun"].attr_text == "Validation!$A$1"
    assert wb.calculation.fullCalcOnLoad
    # the sheet-scoped print area still belongs to Lists after Rollup was inserted before it
    assert wb["Lists"].print_area is not None

    cal = CalamineWorkbook.from_path(str(out))
    rows = cal.get_sheet_by_name("Validation").to_python()
    assert [row[:7] for row in rows[3:6]] == FINDINGS.values.tolist()
    budget = cal.get_sheet_by_name("Budget").to_python()
    assert budget[4][:6] == [3.0, "Travel", dt.date(2026, 3, 1), 1200.0, "CR-0001", "=2*3"]
    rollup = cal.get_sheet_by_name("Rollup").to_python()
    assert rollup[0][4] == "Month" and rollup[1][4] == dt.date(2026, 1, 1)  # calamine starts at the first used row


def test_app_properties_stay_consistent(rich: tuple[Path, Path]) -> None:
    _, out = rich
    root = etree.fromstring(_read(out, "docProps/app.xml"))
    vt = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
    titles = [t.text for t in root.iter(f"{vt}lpstr")]
    assert "Rollup" in titles
    counts = [int(i.text) for i in root.iter(f"{vt}i4")]
    vector = next(root.iter(f"{vt}vector"))
    assert sum(counts) == len(titles) - len(counts)  # HeadingPairs labels are lpstr too
    assert vector is not None
    sheets = titles[len(counts) : len(counts) + 8]
    assert sheets == ["Dashboard", "Budget", "Timesheet", "Changes", "Change Log", "Validation", "Rollup", "Lists"]


def test_libreoffice_opens_and_recalculates(rich: tuple[Path, Path], soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    _, out = rich
    values = recalculated_values(out, tmp_path)
    assert values["Dashboard"]["B1"] == pytest.approx(1000 + 250.5 + 99 + 1200)
    assert values["Dashboard"]["B2"] == pytest.approx(0.8929)
    assert values["Dashboard"]["B3"] == 0  # CR-0001 is Approved now
    assert values["Validation"]["F4"] == "=1+1"
    assert values["Budget"]["F5"] == "=2*3"
    assert values["Rollup"]["F5"] == 2000
    assert formula_errors(values) == []


def test_template_dashboard_recalculates_from_written_rollup(tmp_path: Path, soffice: str) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    src = build_workbook(tmp_path / "t.xlsx", {"ProjectName": "CRM", "ProjectCode": "CRM-1", "StartDate": dt.date(2026, 1, 5)})
    ed = WorkbookEditor.open(src)
    ed.replace_sheet("Rollup", [TableBlock("tblEVM", EVM)], heading="Rollup")
    ed.append_rows("tblBudget", [{"Category": "Labour", "Amount": 4000}, {"Category": "Other", "Amount": 250}])
    ed.save()
    values = recalculated_values(src, tmp_path / "lo")
    dash = values["Dashboard"]
    assert dash["B5"] == 4250  # =SUM(tblBudget[Amount])
    assert dash["G5"] == pytest.approx(0.8929)  # CPI tile reads tblEVM
    assert formula_errors(values) == []


# ------------------------------------------------------------------ behaviour


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    return build_workbook(tmp_path / "p.xlsx", {"ProjectName": "P", "ProjectCode": "P1", "StartDate": dt.date(2026, 1, 5)})


def test_styles_are_appended_once_and_reused(template: Path) -> None:
    base = etree.fromstring(_read(template, "xl/styles.xml"))

    def counts(root: etree._Element) -> dict[str, int]:
        return {etree.QName(c).localname: len(c) for c in root if len(c)}

    def run() -> None:
        ed = WorkbookEditor.open(template)
        ed.replace_sheet("Rollup", [TableBlock("tblRollupMonth", MONTHS, fills=["critical", None])])
        ed.save()

    run()
    first = _read(template, "xl/styles.xml")
    root = etree.fromstring(first)
    # existing entries unchanged and in place
    for section in ("numFmts", "fonts", "fills", "borders", "cellXfs"):
        old = base.find(f"{{*}}{section}")
        new = root.find(f"{{*}}{section}")
        if old is not None:
            assert [etree.tostring(c) for c in old] == [etree.tostring(c) for c in new][: len(old)]
    run()
    assert _read(template, "xl/styles.xml") == first  # nothing new the second time
    assert counts(root) == counts(etree.fromstring(first))


def test_replacing_twice_keeps_one_set_of_tables(template: Path) -> None:
    for n in (3, 5):
        ed = WorkbookEditor.open(template)
        ed.replace_sheet("Schedule", [TableBlock("tblSchedule", [[i, "1", "t", 1, None, None, None, None, 0, 0, True] for i in range(n)])])
        ed.save()
    wb = openpyxl.load_workbook(template)
    assert list(wb["Schedule"].tables) == ["tblSchedule"]
    assert wb["Schedule"].tables["tblSchedule"].ref == "A3:K8"
    with zipfile.ZipFile(template) as zf:
        tables = [n for n in zf.namelist() if n.startswith("xl/tables/")]
        ct = zf.read("[Content_Types].xml").decode()
    assert len(tables) == len(set(tables))
    assert all(f"/{t}" in ct for t in tables)
    assert ct.count("/xl/tables/") == len(tables)
    ids = [etree.fromstring(_read(template, t)).get("id") for t in tables]
    assert len(set(ids)) == len(ids)


def test_append_refuses_to_overwrite_content_below(template: Path, tmp_path: Path) -> None:
    ed = WorkbookEditor.open(template)
    ed.append_rows("tblChangeLog", [{"Timestamp": "t1", "CR ID": "CR-0001", "Action": "add"}])  # fills the blank row
    ed.save()
    doc = etree.fromstring(_read(template, _sheet_part(template, "Change Log")))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    data = doc.find("m:sheetData", ns)
    row = etree.SubElement(data, f"{{{ns['m']}}}row", r="5")
    c = etree.SubElement(row, f"{{{ns['m']}}}c", r="B5", t="inlineStr")
    etree.SubElement(etree.SubElement(c, f"{{{ns['m']}}}is"), f"{{{ns['m']}}}t").text = "user note"
    blocked = tmp_path / "blocked.xlsx"
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(blocked, "w", zipfile.ZIP_DEFLATED) as zout:
        part = _sheet_part(template, "Change Log")
        for info in zin.infolist():
            zout.writestr(info, etree.tostring(doc) if info.filename == part else zin.read(info))
    before = blocked.read_bytes()
    ed = WorkbookEditor.open(blocked)
    with pytest.raises(PmoError, match="B5"):
        ed.append_rows("tblChangeLog", [{"CR ID": "CR-0002"}])
    with pytest.raises(PmoError, match="no column"):
        ed.append_rows("tblChangeLog", [{"Nope": 1}])
    with pytest.raises(PmoError, match="not a data row"):
        ed.set_cells("tblChangeLog", 99, {"Action": "x"})
    with pytest.raises(PmoError, match="only its own sheets"):
        ed.replace_sheet("Plan", [])
    with pytest.raises(PmoError, match="already used"):
        ed.replace_sheet("Validation", [TableBlock("tblPlan", [], headers=["A"])])
    assert blocked.read_bytes() == before


def test_dates_follow_the_1904_system(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "d1904.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet("Changes")
    ws.add_table("A1:B2", {"name": "tblChanges", "columns": [{"header": "CR ID"}, {"header": "Decision Date"}], "data": [["CR-0001", None]]})
    wb.close()
    ed = WorkbookEditor.open(path)
    ed.set_cells("tblChanges", 2, {"Decision Date": dt.date(2026, 3, 1)})
    ed.replace_sheet("Schedule", [TableBlock("tblX", [[dt.date(2000, 1, 1), dt.datetime(2026, 1, 2, 12, 0)]], headers=["D", "T"])])
    ed.save()
    wb2 = openpyxl.load_workbook(path)
    assert wb2.epoch == openpyxl.utils.datetime.CALENDAR_MAC_1904
    assert wb2["Changes"]["B2"].value == dt.datetime(2026, 3, 1)
    assert wb2["Schedule"]["A2"].value == dt.datetime(2000, 1, 1)
    assert wb2["Schedule"]["B2"].value == dt.datetime(2026, 1, 2, 12, 0)
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Schedule").to_python()
    assert cal[1][0] == dt.date(2000, 1, 1)


def test_failed_save_leaves_the_original(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmo_xl.io import writer

    before = template.read_bytes()
    ed = WorkbookEditor.open(template)
    ed.replace_sheet("Validation", [TableBlock("tblFindings", FINDINGS)])

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_zip", boom)
    with pytest.raises(OSError):
        ed.save()
    assert template.read_bytes() == before
    assert [p.name for p in template.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_refuses_a_file_changed_since_open(template: Path) -> None:
    ed = WorkbookEditor.open(template)
    ed.set_defined_name("pmoX", "Plan!$A$1")
    data = template.read_bytes()
    template.write_bytes(data + b"")  # rewritten by someone else (new mtime)
    import os
    import time

    os.utime(template, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.raises(PmoError, match="changed on disk"):
        ed.save()


def test_excel_lock_file_refused(template: Path) -> None:
    ed = WorkbookEditor.open(template)
    (template.parent / ("~$" + template.name)).write_text("x")
    with pytest.raises(PmoError, match="open in Excel"):
        ed.save()


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1, max_size=40
)


@settings(max_examples=25, deadline=None)
@given(values=st.lists(_TEXT, min_size=1, max_size=5))
def test_any_text_round_trips_as_text(tmp_path_factory: pytest.TempPathFactory, values: list[str]) -> None:
    folder = tmp_path_factory.mktemp("hyp")
    path = folder / "h.xlsx"
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Change Log")
    ws.add_table("A1:B2", {"name": "tblChangeLog", "columns": [{"header": "CR ID"}, {"header": "New Value"}], "data": [["CR-1", "x"]]})
    wb.close()
    ed = WorkbookEditor.open(path)
    ed.replace_sheet("Validation", [TableBlock("tblT", [[v] for v in values], headers=["Text"])])
    ed.append_rows("tblChangeLog", [{"CR ID": "CR-1", "New Value": v} for v in values])
    ed.set_cells("tblChangeLog", 2, {"New Value": values[0]})
    ed.save()
    cal = CalamineWorkbook.from_path(str(path))
    assert [r[0] for r in cal.get_sheet_by_name("Validation").to_python()[1:]] == values
    log = cal.get_sheet_by_name("Change Log").to_python()
    assert [r[1] for r in log[1:]] == [values[0], *values]
    # openpyxl (which does not decode _xHHHH_ in inline strings) on plain text
    wb2 = openpyxl.load_workbook(path)
    for r, v in enumerate(values, start=2):
        cell = wb2["Validation"].cell(r, 1)
        assert cell.data_type == "s"
        if v.isprintable() and "_x" not in v:
            assert cell.value == v


def test_replaced_sheet_keeps_the_template_conditional_formats(template: Path) -> None:
    ed = WorkbookEditor.open(template)
    ed.replace_sheet("Validation", [TableBlock("tblFindings", FINDINGS), TableBlock("tblDCMA", [])], heading="Validation")
    ed.save()
    ws = openpyxl.load_workbook(template)["Validation"]
    ranges = {str(cf.sqref) for cf in ws.conditional_formatting}
    assert "A4:A1048576" in ranges  # severity colours over the Severity column
    assert ws.tables["tblFindings"].ref == "A3:G6" and ws.tables["tblDCMA"].ref == "I3:N4"  # template anchors


def test_new_sheet_position_and_visibility(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("Sheet1", "Sheet2", "Sheet3"):
        wb.add_worksheet(name).write("A1", name)
    wb.worksheets()[2].activate()
    wb.close()
    ed = WorkbookEditor.open(path)
    ed.replace_sheet("Schedule", [TableBlock("tblSchedule", [])], after="Sheet1")
    ed.replace_sheet("Lists", [TableBlock("tblLists", [["a"]], headers=["Values"])], hidden=True)
    ed.save()
    wb2 = openpyxl.load_workbook(path)
    assert wb2.sheetnames == ["Sheet1", "Schedule", "Sheet2", "Sheet3", "Lists"]
    assert wb2["Lists"].sheet_state == "hidden"
    assert wb2.active.title == "Sheet3"  # the active tab followed its sheet
    with pytest.raises(PmoError, match="no sheet"):
        WorkbookEditor.open(path).replace_sheet("Rollup", [], after="Nope")


def test_append_moves_a_totals_row_down(tmp_path: Path, soffice: str) -> None:
    import xlsxwriter
    from support.libreoffice import recalculated_values

    path = tmp_path / "totals.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Budget")
    ws.add_table(
        "A1:B4",
        {
            "name": "tblBudget",
            "total_row": True,
            "columns": [{"header": "Category", "total_string": "Total"}, {"header": "Amount", "total_function": "sum"}],
            "data": [["Labour", 100], ["Other", 20]],
        },
    )
    ws.write("D1", "beside")
    # XlsxWriter's own total cell reads "[Amount]", which LibreOffice cannot resolve
    ws.write_formula("B4", "=SUBTOTAL(109,tblBudget[Amount])", None, 120)
    wb.close()
    ed = WorkbookEditor.open(path)
    assert ed.append_rows("tblBudget", [{"Category": "Travel", "Amount": 3}, {"Category": "=x", "Amount": 4}]) == [4, 5]
    ed.save()
    wb2 = openpyxl.load_workbook(path)
    ws2 = wb2["Budget"]
    assert ws2.tables["tblBudget"].ref == "A1:B6"
    assert ws2.tables["tblBudget"].autoFilter.ref == "A1:B5"
    assert [[c.value for c in row] for row in ws2.iter_rows(min_row=2, max_row=6, max_col=2)] == [
        ["Labour", 100], ["Other", 20], ["Travel", 3], ["=x", 4], ["Total", "=SUBTOTAL(109,tblBudget[Amount])"]
    ]
    assert ws2["D1"].value == "beside"
    values = recalculated_values(path, tmp_path / "lo")
    assert values["Budget"]["B6"] == 127
