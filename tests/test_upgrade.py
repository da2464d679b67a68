"""pmo-xl upgrade: older and incomplete layouts brought to the current template, losslessly."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

import pmo_xl
from pmo_xl import schema
from pmo_xl.cli import cli
from pmo_xl.commands.upgrade import upgrade_file
from pmo_xl.errors import PmoError
from pmo_xl.io.upgrade import UpgradeEditor, plan_upgrade, workbook_version
from support.files import zip_parts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "templates"
OLDER = FIXTURES / "older_layout.xlsm"
RELEASED = sorted(FIXTURES.glob("v*.xlsx"))


def _sheet_parts(path: Path) -> dict[str, str]:
    """sheet name -> its part, read with openpyxl's view of the package (independent of pmo_xl)."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        wb = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target").lstrip("/") for r in rels}
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    out = {}
    for s in wb.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        t = targets[s.get(ns)]
        out[s.get("name")] = t if t.startswith("xl/") else "xl/" + t
    return out


@pytest.fixture
def older(tmp_path: Path) -> Path:
    path = tmp_path / "older.xlsm"
    shutil.copyfile(OLDER, path)
    return path


@pytest.fixture
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("up") / "older.xlsm"
    shutil.copyfile(OLDER, path)
    result = upgrade_file(path)
    return path, result


def test_missing_sheet_tables_columns_names_and_dropdowns_are_added(upgraded: tuple[Path, dict]) -> None:
    path, result = upgraded
    assert result["changed"] and result["from_version"] is None and result["to_version"] == schema.TEMPLATE_VERSION
    added = {(c["kind"], c["name"]) for c in result["changes"]}
    for expected in [("sheet", "Costs"), ("table", "tblCosts"), ("table", "tblDCMA"),
                     ("column", "tblPlan[Constraint Date]"), ("column", "tblPlan[Baseline Start]"),
                     ("column", "tblPlan[Baseline Finish]"), ("column", "tblChanges[Funding]"),
                     ("name", "HolidayCountry"), ("name", "TemplateVersion"), ("name", "ManagementReserve"),
                     ("dropdown", "tblChanges[Priority]"), ("dropdown", "tblChanges[Funding]")]:
        assert expected in added
    book = pmo_xl.load(path)
    assert book.structure == []
    assert book.template_version == schema.TEMPLATE_VERSION
    assert book.settings["ManagementReserve"] == 0 and book.settings["HolidayCountry"] is None
    # the new sheet sits in template order; user sheets keep their place
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb.sheetnames == ["Dashboard", "Project", "Plan", "Resources", "Budget", "Timesheet", "Costs", "Changes",
                             "Change Log", "My Notes", "Validation", "Schedule", "Rollup", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    costs = wb["Costs"].tables["tblCosts"]
    assert costs.ref == "A3:G4" and [c.name for c in costs.tableColumns] == schema.TABLES["tblCosts"].headers
    # columns appended at the right end, after the team's own "Risk" column
    plan = wb["Plan"].tables["tblPlan"]
    names = [c.name for c in plan.tableColumns]
    assert names[-4:] == ["Risk", "Constraint Date", "Baseline Start", "Baseline Finish"]
    assert plan.ref == "A3:S8" and plan.autoFilter.ref == "A3:S8"
    assert [wb["Plan"].cell(3, c).value for c in (17, 18, 19)] == ["Constraint Date", "Baseline Start", "Baseline Finish"]
    assert len({c.id for c in plan.tableColumns}) == len(names)
    # the drop-downs read the Lists sheet by name
    dvs = {(str(d.sqref), d.formula1) for d in wb["Changes"].data_validations.dataValidation}
    assert ("G4:G1048576", "lst_Priority") in dvs and ("R4:R1048576", "lst_Funding") in dvs
    # the version: defined name and custom document property
    assert wb.custom_doc_props["TemplateVersion"].value == schema.TEMPLATE_VERSION
    sheet, cell = next(iter(wb.defined_names["TemplateVersion"].destinations))
    assert wb[sheet][cell.replace("$", "")].value == schema.TEMPLATE_VERSION


def test_user_data_columns_and_sheets_are_intact(upgraded: tuple[Path, dict]) -> None:
    path, _ = upgraded
    before, after = pmo_xl.load(OLDER), pmo_xl.load(path)
    for name in schema.INPUT_TABLES:
        old, new = before.tables[name], after.tables[name]
        if not old.present:
            continue
        kept = [c for c in old.frame.columns if c in old.letters]
        assert list(new.frame.index) == list(old.frame.index), name
        assert new.frame[kept].equals(old.frame[kept]), name
        assert {c: new.letters[c] for c in kept} == {c: old.letters[c] for c in kept}, name
    assert after.settings["ProjectCode"] == "WHM-24" and after.settings["StatusDate"] == before.settings["StatusDate"]
    # the team's column and text that looks like a formula, with openpyxl
    old_wb, new_wb = openpyxl.load_workbook(OLDER), openpyxl.load_workbook(path)
    for sheet in old_wb.sheetnames:
        old_ws, new_ws = old_wb[sheet], new_wb[sheet]
        for row in old_ws.iter_rows():
            for c in row:
                assert new_ws[c.coordinate].value == c.value, f"{sheet}!{c.coordinate}"
    assert new_wb["Plan"]["P5"].value == "low" and new_wb["Plan"]["O5"].value == "=not a formula"
    assert new_wb["Plan"]["O5"].data_type == "s"
    assert new_wb["My Notes"]["A2"].value == "Book the lift early."
    assert new_wb["My Notes"]["A2"].comment.text.startswith("Ana's note")
    assert new_wb["Plan"]["C5"].comment is not None


def test_parts_pmo_xl_does_not_own_are_byte_identical(upgraded: tuple[Path, dict]) -> None:
    path, _ = upgraded
    old, new = zip_parts(OLDER), zip_parts(path)
    assert set(old) <= set(new)
    sheets = _sheet_parts(OLDER)
    untouched = [p for p in old if p.startswith(("xl/charts/", "xl/drawings/", "xl/media/", "xl/comments", "xl/theme/"))]
    untouched += ["xl/vbaProject.bin", "xl/sharedStrings.xml", "docProps/core.xml"]
    for sheet in ("Dashboard", "Timesheet", "Change Log", "My Notes", "Schedule"):
        part = sheets[sheet]
        untouched.append(part)
        rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
        if rels in old:
            untouched.append(rels)
    assert len(untouched) >= 20
    for part in untouched:
        assert new[part] == old[part], part
    # the tables of untouched sheets too
    with zipfile.ZipFile(OLDER) as z:
        tables = [n for n in z.namelist() if n.startswith("xl/tables/")]
    same = [t for t in tables if new[t] == old[t]]
    assert len(same) >= len(tables) - 2  # only tblPlan and tblChanges grew


def test_opens_in_libreoffice_and_reads_with_calamine(upgraded: tuple[Path, dict], soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import convert

    path, _ = upgraded
    cal = CalamineWorkbook.from_path(str(path))
    assert "Costs" in cal.sheet_names
    rows = cal.get_sheet_by_name("Plan").to_python(skip_empty_area=False)
    assert rows[2][15:19] == ["Risk", "Constraint Date", "Baseline Start", "Baseline Finish"]
    assert [r[2] for r in rows[3:8]] == ["Warehouse move", "Plan the move", "Pack", "Move", "Done"]
    out = convert(path, tmp_path / "lo", "xlsx")
    wb = openpyxl.load_workbook(out)
    assert "Costs" in wb.sheetnames
    assert wb["Plan"]["S3"].value == "Baseline Finish" and wb["Plan"]["C6"].value == "Pack"
    assert "tblCosts" in wb["Costs"].tables


@pytest.mark.parametrize("released", RELEASED, ids=[p.name for p in RELEASED])
def test_every_released_version_upgrades_to_the_current(released: Path, tmp_path: Path) -> None:
    path = tmp_path / released.name
    shutil.copyfile(released, path)
    upgrade_file(path)
    book = pmo_xl.load(path)
    assert book.structure == [] and book.template_version == schema.TEMPLATE_VERSION


def test_a_current_workbook_is_not_written(tmp_path: Path) -> None:
    from pmo_xl.commands.demo import demo_workbook
    from pmo_xl.config import load_config
    from pmo_xl.io.template import build_workbook

    paths = [build_workbook(tmp_path / "fresh.xlsx"), demo_workbook(tmp_path / "demo.xlsx", seed=2),
             build_workbook(tmp_path / "org.xlsx", {"ProjectCode": "X"},
                            config=load_config(FIXTURES.parents[2] / "examples" / "pmo.toml"))]
    for path in paths:
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        result = CliRunner().invoke(cli, ["upgrade", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        entry = json.loads(result.stdout)["files"][0]
        assert entry["ok"] and not entry["changed"] and entry["changes"] == []
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before
        assert not [p for p in tmp_path.iterdir() if p.name.startswith((".", "~"))]


def test_second_upgrade_changes_nothing(upgraded: tuple[Path, dict]) -> None:
    path, _ = upgraded
    before = path.read_bytes()
    again = upgrade_file(path)
    assert again["changes"] == [] and not again["changed"]
    assert path.read_bytes() == before


def test_dry_run_lists_the_changes_and_writes_nothing(older: Path) -> None:
    before = older.read_bytes()
    result = CliRunner().invoke(cli, ["upgrade", str(older), "--dry-run", "--format", "json"])
    assert result.exit_code == 0, result.output
    dry = json.loads(result.stdout)["files"][0]
    assert dry["dry_run"] and not dry["changed"] and dry["changes"]
    assert older.read_bytes() == before
    text = CliRunner().invoke(cli, ["upgrade", str(older), "--dry-run"])
    assert "would be upgraded" in text.stdout and "add sheet Costs" in text.stdout
    assert older.read_bytes() == before
    real = upgrade_file(older)
    assert real["changes"] == dry["changes"]


def _with_version(src: Path, dst: Path, version: int) -> Path:
    shutil.copyfile(src, dst)
    ed = UpgradeEditor.open(dst)
    _, cell = workbook_version(ed)
    assert cell is not None
    sheet, ref = cell.split("!")
    _, doc = ed.sheet_doc(sheet)
    from pmo_xl.io.parts.cells import split_ref

    ed.set_existing_cell(doc, *split_ref(ref.replace("$", "")), version)
    ed.save()
    return dst


def test_a_newer_version_is_refused(tmp_path: Path) -> None:
    newer = _with_version(RELEASED[-1], tmp_path / "newer.xlsx", schema.TEMPLATE_VERSION + 1)
    before = newer.read_bytes()
    result = CliRunner().invoke(cli, ["upgrade", str(newer), str(RELEASED[-1])])
    assert result.exit_code == 2
    assert f"template version {schema.TEMPLATE_VERSION + 1} is newer" in result.stderr
    assert "Traceback" not in result.output
    assert newer.read_bytes() == before
    assert "current" in result.stdout  # the other file was still processed


def test_an_older_version_number_is_raised(tmp_path: Path) -> None:
    old = _with_version(RELEASED[-1], tmp_path / "v0.xlsx", 0)
    result = upgrade_file(old)
    assert [c["kind"] for c in result["changes"]] == ["version"] and result["from_version"] == 0
    assert pmo_xl.load(old).template_version == schema.TEMPLATE_VERSION


def test_refused_when_something_is_in_the_way(older: Path) -> None:
    ed = UpgradeEditor.open(older)
    _, doc = ed.sheet_doc("Plan")
    ed.put_cells(doc, [(18, 6, "someone's note", 0)])  # R6: where Baseline Start would go
    ed.save()
    before = older.read_bytes()
    with pytest.raises(PmoError, match=r"cannot add column\(s\) Constraint Date, Baseline Start, Baseline Finish "
                                       r"to table tblPlan on sheet 'Plan': cell R6 is not empty"):
        upgrade_file(older)
    assert older.read_bytes() == before


def test_plan_upgrade_in_memory_leaves_the_file(older: Path) -> None:
    before = older.read_bytes()
    ed = UpgradeEditor.open(older)
    plan = plan_upgrade(ed)
    assert plan.needed and ed.changed_parts()
    assert older.read_bytes() == before


def test_unreadable_file_is_an_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    result = CliRunner().invoke(cli, ["upgrade", str(bad), "--format", "json"])
    assert result.exit_code == 2
    entry = json.loads(result.stdout)["files"][0]
    assert not entry["ok"] and entry["error"]


def test_a_workbook_that_is_not_a_pmo_workbook_is_left_alone(tmp_path: Path) -> None:
    import xlsxwriter

    other = tmp_path / "budget.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("Sheet1").write("A1", "hello")
    wb.close()
    before = other.read_bytes()
    result = CliRunner().invoke(cli, ["upgrade", str(other)])
    assert result.exit_code == 2 and "not a PMO workbook" in result.stderr
    assert other.read_bytes() == before
