"""The macro-enabled template (`pmo-xl new X.xlsm`): VBA project, codenames, xlwings.conf,
Dashboard buttons — checked with oletools' olevba, olefile, openpyxl, python-calamine and
LibreOffice (which imports the VBA project into Basic and binds the buttons to it)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings
from click.testing import CliRunner
from lxml import etree
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from pmo_xl import schema
from pmo_xl.cli import cli
from pmo_xl.commands.new import new_workbook
from pmo_xl.io import vba, xlsm
from pmo_xl.io.reader import load
from pmo_xl.io.template import build_workbook
from support.files import zip_parts

ROOT = Path(__file__).resolve().parents[1]
XLWINGS_BAS = Path(xlwings.__file__).parent / "xlwings.bas"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_workbook(tmp_path_factory.mktemp("xlsm") / "PMO_Template.xlsm", {"project_name": "CRM roll-out"})


def _macros(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    assert parser.detect_vba_macros()
    return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n")


# --------------------------------------------------------------------------- the VBA project


def test_olevba_extracts_xlwings_module_exactly(book: Path) -> None:
    code = _macros(book)["xlwings"]
    assert _crlf(code) == _crlf(XLWINGS_BAS.read_text(encoding="cp1252"))
    assert code.startswith('Attribute VB_Name = "xlwings"')


def test_pmo_module_calls_runpython_for_every_button(book: Path) -> None:
    code = _crlf(_macros(book)["PMO"])
    assert code == _crlf(xlsm.pmo_module_source())
    subs = re.findall(r"^Sub (\w+)\(\)\n    RunPython \"(.+)\"\nEnd Sub$", code, re.M)
    assert subs == [
        ("ValidatePlan", "import pmo_udfs; pmo_udfs.validate_workbook()"),
        ("RefreshRollup", "import pmo_udfs; pmo_udfs.refresh_rollup()"),
        ("RefreshSchedule", "import pmo_udfs; pmo_udfs.refresh_schedule()"),
        ("NewChangeRequest", "import pmo_udfs; pmo_udfs.new_change_request()"),
        ("DecideChangeRequest", "import pmo_udfs; pmo_udfs.decide_change_request()"),
        ("RefreshAll", "import pmo_udfs; pmo_udfs.refresh_all()"),
    ]


def test_codenames_have_document_modules(book: Path) -> None:
    parts = zip_parts(book)
    wb = etree.fromstring(parts["xl/workbook.xml"])
    assert wb.find("m:workbookPr", NS).get("codeName") == "ThisWorkbook"
    codes = []
    for i in range(1, len(wb.find("m:sheets", NS)) + 1):
        sheet = etree.fromstring(parts[f"xl/worksheets/sheet{i}.xml"])
        codes.append(sheet.find("m:sheetPr", NS).get("codeName"))
    assert codes == [f"Sheet{i}" for i in range(1, len(schema.SHEETS) + 2)]
    macros = _macros(book)
    for code in ["ThisWorkbook", *codes]:
        assert f'Attribute VB_Name = "{code}"' in macros[code]
        assert "Attribute VB_PredeclaredId = True" in macros[code]
    assert vba.WORKBOOK_BASE in macros["ThisWorkbook"]
    assert set(macros) == {"ThisWorkbook", *codes, "xlwings", "Dictionary", "PMO"}


def test_project_streams(book: Path) -> None:
    streams = vba.read_cfb(zip_parts(book)["xl/vbaProject.bin"])
    assert {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/PMO", "VBA/xlwings"} <= set(streams)
    project = streams["PROJECT"].decode("cp1252")
    assert "\r\nModule=xlwings\r\n" in project and "\r\nModule=PMO\r\n" in project
    assert "\r\nClass=Dictionary\r\n" in project and "\r\nDocument=ThisWorkbook/&H00000000\r\n" in project


def test_buttons_run_the_pmo_subs(book: Path) -> None:
    parts = zip_parts(book)
    vml = next(v for k, v in parts.items() if k.startswith("xl/drawings/vmlDrawing")).decode()
    assert re.findall(r"<x:FmlaMacro>\[0\]!([\w.]+)</x:FmlaMacro>", vml) == [m.qualified for m in xlsm.MACROS]
    # the buttons are on the Dashboard
    rels = parts["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert "vmlDrawing" in rels
    captions = re.findall(r"<font[^>]*>([^<]+)</font>", vml)
    assert captions == [m.caption for m in xlsm.MACROS]


def test_content_type_is_macro_enabled(book: Path) -> None:
    types = zip_parts(book)["[Content_Types].xml"].decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in types


# --------------------------------------------------------------------------- readers


def test_openpyxl_keep_vba(book: Path) -> None:
    wb = openpyxl.load_workbook(book, keep_vba=True)
    assert wb.sheetnames == [s.name for s in schema.SHEETS] + [xlsm.CONFIG_SHEET]
    conf = wb[xlsm.CONFIG_SHEET]
    assert conf.sheet_state == "hidden"
    assert [(r[0].value, r[1].value) for r in conf.iter_rows(min_row=1, max_row=len(xlsm.CONFIG))] == list(xlsm.CONFIG)
    assert conf["A2"].value is None  # xlwings reads A1 down to the first empty cell
    assert "xl/vbaProject.bin" in wb.vba_archive.namelist()
    assert wb["Dashboard"].sheet_state == "visible"


def test_calamine_and_pmo_reader(book: Path) -> None:
    wb = CalamineWorkbook.from_path(str(book))
    assert wb.sheet_names[-1] == xlsm.CONFIG_SHEET
    assert wb.get_sheet_by_name(xlsm.CONFIG_SHEET).to_python()[0] == ["UDF Modules", "pmo_udfs"]
    loaded = load(book)
    assert not [i for i in loaded.issues if getattr(i, "severity", "error") == "error"]
    assert loaded.settings["ProjectName"] == "CRM roll-out"


def test_libreoffice_imports_the_macros_and_binds_the_buttons(book: Path, soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import convert

    ods = convert(book, tmp_path, "ods")
    with zipfile.ZipFile(ods) as z:
        names = z.namelist()
        library = [n for n in names if n.startswith("Basic/") and n.endswith("/PMO.xml")]
        assert library, f"no PMO module in LibreOffice's Basic libraries: {[n for n in names if 'Basic' in n]}"
        pmo = z.read(library[0]).decode()
        lib = library[0].split("/")[1]
        modules = {n.split("/")[2][:-4] for n in names if n.startswith(f"Basic/{lib}/") and not n.endswith("-lb.xml")}
        content = z.read("content.xml").decode()
        dictionary = z.read(f"Basic/{lib}/Dictionary.xml").decode()
    for m in xlsm.MACROS:
        assert f"Sub {m.sub}()" in pmo
        assert f"RunPython &quot;{m.python}&quot;" in pmo
        assert f"vnd.sun.star.script:{lib}.PMO.{m.sub}?" in content
    assert {"xlwings", "PMO", "Dictionary", "ThisWorkbook", "Sheet1"} <= modules
    assert 'script:moduleType="class"' in dictionary


# --------------------------------------------------------------------------- build


def test_build_is_deterministic(tmp_path: Path) -> None:
    a = build_workbook(tmp_path / "a.xlsm")
    b = build_workbook(tmp_path / "b.xlsm")
    assert a.read_bytes() == b.read_bytes()


def test_xlsx_template_has_no_vba(tmp_path: Path) -> None:
    parts = zip_parts(build_workbook(tmp_path / "plain.xlsx"))
    assert "xl/vbaProject.bin" not in parts
    assert b"codeName" not in parts["xl/workbook.xml"]
    assert not any(k.startswith("xl/drawings/vmlDrawing") for k in parts)


def test_cli_new_xlsm(tmp_path: Path) -> None:
    target = tmp_path / "Project.xlsm"
    result = CliRunner().invoke(cli, ["new", str(target), "--project", "Alpha"])
    assert result.exit_code == 0, result.output
    assert "PMO" in _macros(target)


def test_committed_xlsm_template_is_current(tmp_path: Path) -> None:
    committed = ROOT / "workbooks" / "PMO_Template.xlsm"
    assert committed.exists(), "run `pmo-xl new workbooks/PMO_Template.xlsm --force`"
    fresh = new_workbook(tmp_path / "PMO_Template.xlsm", {})
    old, new = zip_parts(committed), zip_parts(fresh)
    hint = "run `pmo-xl new workbooks/PMO_Template.xlsm --force`"
    assert sorted(old) == sorted(new), f"workbooks/PMO_Template.xlsm is stale: {hint}"
    stale = [n for n in new if old[n] != new[n] and n != "xl/vbaProject.bin"]
    assert not stale, f"workbooks/PMO_Template.xlsm is stale ({', '.join(stale)}): {hint}"
    # The VBA project: our own modules must be current. The xlwings and Dictionary modules
    # are copied from whichever xlwings is installed when the template is built (so they
    # always match the user's add-in); another xlwings release must not make CI fail, so
    # for those two the committed copy need only be a whole xlwings module.
    committed_vba, fresh_vba = vba.read_cfb(old["xl/vbaProject.bin"]), vba.read_cfb(new["xl/vbaProject.bin"])
    assert sorted(committed_vba) == sorted(fresh_vba), hint
    from_xlwings = {"xlwings", "Dictionary"}
    ours = [n.split("/", 1)[1] for n in fresh_vba if n.startswith("VBA/") and n.split("/", 1)[1] not in
            from_xlwings | {"dir", "_VBA_PROJECT", "__SRP_0", "__SRP_1", "__SRP_2", "__SRP_3"}]
    assert "PMO" in ours and "ThisWorkbook" in ours
    for name in ours:
        assert vba.module_source(committed_vba, name) == vba.module_source(fresh_vba, name), f"module {name}: {hint}"
    committed_xlwings = vba.module_source(committed_vba, "xlwings")
    assert committed_xlwings.startswith('Attribute VB_Name = "xlwings"') and "Function RunPython(" in committed_xlwings


def test_writing_results_keeps_the_vba_project(book: Path, tmp_path: Path) -> None:
    target = tmp_path / "Written.xlsm"
    target.write_bytes(book.read_bytes())
    result = CliRunner().invoke(cli, ["validate", str(target), "--write"])
    assert result.exit_code in (0, 1), result.output
    before, after = zip_parts(book), zip_parts(target)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert "macroEnabled.main+xml" in after["[Content_Types].xml"].decode()
    n = [s.name for s in schema.SHEETS].index("Validation") + 1
    part = f"xl/worksheets/sheet{n}.xml"
    assert after[part] != before[part]  # the Validation sheet was rewritten...
    assert f'codeName="Sheet{n}"'.encode() in after[part]  # ...keeping its code name
    assert _macros(target)["PMO"] == _macros(book)["PMO"]


def test_macro_buttons_stand_beside_the_lite_buttons(book: Path) -> None:
    """Column L: one form button per macro, on the row of the xlwings Lite shape of the
    same script (column K), never over it."""
    from pmo_xl.io import template as tpl

    parts = zip_parts(book)
    vml = next(v for k, v in parts.items() if k.startswith("xl/drawings/vmlDrawing")).decode()
    anchors = [[int(x) for x in a.split(",")] for a in re.findall(r"<x:Anchor>([^<]+)</x:Anchor>", vml)]
    drawing = etree.fromstring(next(v for k, v in parts.items() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", k)))
    xdr = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
    shapes = {}
    for anchor in drawing.iter(f"{{{xdr}}}twoCellAnchor"):
        sp = anchor.find(f"{{{xdr}}}sp")
        if sp is not None:
            name = sp.find(f"{{{xdr}}}nvSpPr/{{{xdr}}}cNvPr").get("name")
            shapes[name] = (int(anchor.find(f"{{{xdr}}}from/{{{xdr}}}col").text),
                            int(anchor.find(f"{{{xdr}}}from/{{{xdr}}}row").text),
                            int(anchor.find(f"{{{xdr}}}to/{{{xdr}}}col").text),
                            int(anchor.find(f"{{{xdr}}}to/{{{xdr}}}row").text))
    lite = {b.script: b for b in tpl.LITE_BUTTONS}
    assert [m.script for m in xlsm.MACROS] == [b.script for b in tpl.LITE_BUTTONS]
    for m, (left_col, _, top_row, _, right_col, _, bottom_row, _) in zip(xlsm.MACROS, anchors):
        b = lite[m.script]
        assert m.caption == b.caption
        s_left, s_top, s_right, s_bottom = shapes[b.shape]
        assert left_col == right_col == tpl.MACRO_COL and s_right == tpl.ACTION_COL < left_col  # side by side
        assert (top_row, bottom_row) == (s_top, s_bottom), m.sub  # row for row
