"""The template builder and ``pmo-xl new``: structure, fidelity, real readers, LibreOffice."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol

from pmo_xl import schema
from pmo_xl.cli import cli
from pmo_xl.commands.new import new_workbook
from pmo_xl.docs_gen import template_reference
from pmo_xl.errors import PmoError
from pmo_xl.io.template import (
    CHART_SERIES,
    GENERATED_ANCHORS,
    OPEN_CR_STATUSES,
    TABLE_ANCHORS,
    build_workbook,
    chart_name_formulas,
    list_name,
)
from support.files import zip_parts

ROOT = Path(__file__).resolve().parents[1]
D = dt.date

SETTINGS = {
    "ProjectName": "CRM roll-out",
    "ProjectCode": "CRM-2026",
    "ProjectManager": "Ann Lee",
    "StartDate": D(2026, 3, 2),
    "StatusDate": D(2026, 3, 31),
    "Currency": "EUR",
}

RESOURCES = [
    {"Person": "Ann", "Role": "Analyst", "Rate": 100, "Category": "Labour"},
    {"Person": "Bob", "Role": "Developer", "Rate": 80},
    {"Person": "Cy", "Role": "Tester", "Rate": 65.5},
]
TIMESHEET = [
    {"Date": D(2026, 3, 2), "Person": "Ann", "Task ID": 1, "Hours": 8},
    {"Date": D(2026, 3, 3), "Person": "Bob", "Task ID": 2, "Hours": 6.5},
    {"Date": D(2026, 3, 31), "Person": "Cy", "Task ID": 2, "Hours": 4, "Note": "=not a formula"},
    {"Date": D(2026, 4, 1), "Person": "Bob", "Task ID": 2, "Hours": 7},  # after the status date
    {"Date": D(2026, 3, 5), "Person": "Nobody", "Task ID": 2, "Hours": 3},  # no rate: costs 0
]
COSTS = [
    {"Date": D(2026, 3, 10), "Category": "Hardware", "Vendor": "Dell", "Amount": 1200, "Reference": "+INV-1"},
    {"Date": D(2026, 3, 31), "Task ID": 2, "Category": "Software", "Amount": 250.25},
    {"Date": D(2026, 5, 1), "Category": "Travel", "Amount": 300},  # after the status date
]
ROWS = {
    "tblPlan": [
        {"ID": 1, "WBS": "1", "Task": "Design", "Type": "Task", "Owner": "Ann", "Duration": 5,
         "Start": D(2026, 3, 2), "Finish": D(2026, 3, 6), "% Complete": 1, "Status": "Complete"},
        {"ID": 2, "WBS": "1.10", "Task": "=SUM(A1:A2)", "Owner": "Bob", "Duration": 10, "Predecessors": "1",
         "Start": D(2026, 3, 9), "Finish": D(2026, 3, 20), "% Complete": 0.5, "Status": "In Progress"},
        {"ID": 3, "WBS": "2", "Task": "Go-live", "Type": "Milestone", "Duration": 0,
         "Start": D(2026, 3, 20), "Finish": D(2026, 3, 20)},
        {"ID": 4, "WBS": "3", "Task": "Hypercare", "Owner": "Cy", "Duration": 10,
         "Start": D(2026, 4, 1), "Finish": D(2026, 4, 14), "Notes": "-later"},
    ],
    "tblResources": RESOURCES,
    "tblBudget": [
        {"Task ID": 1, "Category": "Labour", "Amount": 4000},
        {"Task ID": 2, "Category": "Labour", "Amount": 8000.5, "Period": D(2026, 3, 1)},
        {"Category": "Hardware", "Amount": 1500, "Note": "@servers"},
    ],
    "tblTimesheet": TIMESHEET,
    "tblCosts": COSTS,
    "tblChanges": [
        {"CR ID": "CR-0001", "Title": "More reports", "Requested By": "Sue", "Date Raised": D(2026, 3, 5),
         "Status": "Approved", "Cost Impact": 500},
        {"CR ID": "CR-0002", "Title": "@mention", "Requested By": "Tom", "Date Raised": D(2026, 3, 6),
         "Status": "Submitted"},
        {"CR ID": "CR-0003", "Title": "Drop module", "Requested By": "Tom", "Date Raised": D(2026, 3, 7),
         "Status": "Rejected"},
    ],
}
STATUS = SETTINGS["StatusDate"]


def expected_kpis() -> dict[str, float]:
    """The Dashboard's sums, computed here from the rows (SPEC §5: AC = hours × rate + costs)."""
    rate = {r["Person"]: r["Rate"] for r in RESOURCES}
    labour = sum(t["Hours"] * rate.get(t["Person"], 0) for t in TIMESHEET if t["Date"] <= STATUS)
    costs = sum(c["Amount"] for c in COSTS if c["Date"] <= STATUS)
    bac = sum(b["Amount"] for b in ROWS["tblBudget"])
    ac = labour + costs
    late = sum(
        1 for t in ROWS["tblPlan"]
        if t["Finish"] < STATUS and t.get("% Complete", 0) < 1 and t.get("Type") != "Summary"
    )
    statuses = [c["Status"] for c in ROWS["tblChanges"]]
    return {
        "bac": bac,
        "ac": ac,
        "variance": bac - ac,
        "spent": ac / bac,
        "hours": sum(t["Hours"] for t in TIMESHEET if t["Date"] <= STATUS),
        "late": late,
        "tasks": len(ROWS["tblPlan"]),
        "open": sum(1 for s in statuses if s in OPEN_CR_STATUSES),
        "raised": len(statuses),
    }


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("tpl") / "PMO_Template.xlsx")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("filled") / "Project.xlsx", SETTINGS, ROWS)


def _norm(v: object) -> object:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time() else v
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def openpyxl_cells(path: Path) -> dict[str, dict[str, object]]:
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            c.coordinate: _norm(c.value) for row in ws.iter_rows() for c in row if _norm(c.value) is not None
        }
    return out


def calamine_cells(path: Path) -> dict[str, dict[str, object]]:
    from openpyxl.utils import get_column_letter

    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in wb.sheet_names:
        grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = {
            f"{get_column_letter(c + 1)}{r + 1}": _norm(v)
            for r, row in enumerate(grid)
            for c, v in enumerate(row)
            if _norm(v) is not None
        }
    return out


def table_rows(path: Path, table: str) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.TABLES[table].sheet]
    tbl = ws.tables[table]
    rows = list(ws[tbl.ref])
    headers = [c.value for c in rows[0]]
    return [{h: c.value for h, c in zip(headers, r)} for r in rows[1:]]


# --------------------------------------------------------------------------- structure


def test_sheets_tables_headers_and_anchors(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == list(schema.SHEET_NAMES)
    assert wb["Lists"].sheet_state == "hidden"
    assert all(wb[s].sheet_state == "visible" for s in schema.SHEET_NAMES if s != "Lists")
    found = {}
    for ws in wb.worksheets:
        for name in ws.tables:
            tbl = ws.tables[name]
            found[name] = (ws.title, tbl.ref, [c.name for c in tbl.tableColumns])
    assert set(found) == set(schema.TABLES)
    for name, t in schema.TABLES.items():
        sheet, ref, headers = found[name]
        assert sheet == t.sheet
        assert headers == t.headers
        ws = wb[sheet]
        assert [c.value for c in ws[ref][0]] == t.headers, name
        assert ref.split(":")[0] == TABLE_ANCHORS[name]
        assert len(ws[ref]) == 2, f"{name}: an empty table has exactly one blank data row"


def test_generated_tables_side_by_side_never_overlap() -> None:
    by_sheet: dict[str, list[tuple[int, int, str]]] = {}
    for name, anchor in GENERATED_ANCHORS.items():
        letters, _ = coordinate_from_string(anchor)
        c0 = column_index_from_string(letters)
        by_sheet.setdefault(schema.TABLES[name].sheet, []).append((c0, c0 + len(schema.TABLES[name].columns) - 1, name))
    assert set(GENERATED_ANCHORS) == {t for s in schema.SHEETS if s.name in schema.GENERATED_SHEETS for t in s.tables}
    for spans in by_sheet.values():
        spans.sort()
        for (a0, a1, a), (b0, b1, b) in zip(spans, spans[1:]):
            assert b0 > a1 + 1, f"{a} and {b} must keep an empty column between them"


def test_defined_names_settings_lists_and_charts(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    ws = wb["Project"]
    for s in schema.SETTINGS:
        sheet, cell = names[s.name].split("!")
        assert sheet == "Project"
        row = int(cell.split("$")[2])
        assert ws[f"A{row}"].value.rstrip(" *") == s.label
        assert ws[cell.replace("$", "")].value == s.default
    for key, items in schema.LISTS.items():
        sheet, rng = names[list_name(key)].split("!")
        assert [c[0].value for c in wb[sheet][rng.replace("$", "")]] == list(items)
    for name, formula in chart_name_formulas().items():
        assert "=" + names[name] == formula
    assert wb.custom_doc_props["TemplateVersion"].value == schema.TEMPLATE_VERSION


def test_data_validation_for_every_column(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    for name in schema.INPUT_TABLES:
        if name == "tblChangeLog":
            continue
        t = schema.TABLES[name]
        ws = wb[t.sheet]
        anchor_row = int(coordinate_from_string(TABLE_ANCHORS[name])[1])
        c0 = column_index_from_string(coordinate_from_string(TABLE_ANCHORS[name])[0])
        by_col = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                min_col, min_row, max_col, max_row = range_boundaries(rng.coord)
                if min_col == max_col and min_row == anchor_row + 1:
                    by_col[min_col] = dv
        for i, col in enumerate(t.columns):
            dv = by_col.get(c0 + i)
            if col.kind == "text" and not col.help:
                continue
            assert dv is not None, f"{name}[{col.name}] has no data validation"
            assert dv.showInputMessage and dv.prompt, f"{name}[{col.name}] has no input message"
            if col.help:
                assert col.help in dv.prompt
            if col.kind == "choice":
                assert dv.type == "list" and dv.formula1 == list_name(col.choices)
            elif col.kind == "date":
                assert dv.type == "date"
            elif col.kind == "percent":
                assert dv.type == "decimal" and dv.operator in (None, "between")  # OOXML default: between
                assert (float(dv.formula1), float(dv.formula2)) == (0, 1)
            elif col.kind == "int":
                assert dv.type == "whole"
                if col.minimum is not None:
                    assert float(dv.formula1) == col.minimum
            elif col.kind == "number" and col.minimum is not None:
                assert dv.type == "decimal" and float(dv.formula1) == col.minimum


def test_formats_freeze_panes_and_conditional_formats(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    plan = wb["Plan"]
    assert plan.freeze_panes == "D4"
    assert wb["Timesheet"].freeze_panes == "A4"
    widths = {c: d.width for d in plan.column_dimensions.values() for c in range(d.min, d.max + 1)}
    formats = {c: d.number_format for d in plan.column_dimensions.values() for c in range(d.min, d.max + 1)}
    for i, col in enumerate(schema.TABLES["tblPlan"].columns):
        assert abs(widths[i + 1] - col.width) < 1, col.name
        if col.kind == "date":  # the column format covers rows the user adds
            assert formats[i + 1] == col.format
    def rules(ws):
        return [r for cf in ws.conditional_formatting for r in cf.rules]
    late = [r.formula[0] for r in rules(plan)]
    assert any("StatusDate" in f and "<1" in f for f in late)
    over = [r.formula[0] for r in rules(wb["Rollup"])]
    assert any(">N(" in f for f in over)
    changes = {r.formula[0].strip('"') for r in rules(wb["Changes"])}
    assert {"Approved", "Rejected"} <= changes


def test_committed_docs_are_current() -> None:
    assert (ROOT / "docs" / "template.md").read_text(encoding="utf-8") == template_reference()


# --------------------------------------------------------------------------- determinism


def test_build_is_deterministic(tmp_path: Path) -> None:
    a = build_workbook(tmp_path / "a.xlsx", SETTINGS, ROWS)
    b = build_workbook(tmp_path / "b.xlsx", SETTINGS, ROWS)
    assert a.read_bytes() == b.read_bytes()


def test_committed_template_is_current(tmp_path: Path) -> None:
    committed = ROOT / "workbooks" / "PMO_Template.xlsx"
    assert committed.exists(), "run `make workbooks`"
    fresh = new_workbook(tmp_path / "PMO_Template.xlsx", {})
    old, new = zip_parts(committed), zip_parts(fresh)
    assert sorted(old) == sorted(new), "workbooks/PMO_Template.xlsx is stale: run `make workbooks`"
    stale = [n for n in new if old[n] != new[n]]
    assert not stale, f"workbooks/PMO_Template.xlsx is stale ({', '.join(stale)}): run `make workbooks`"


# --------------------------------------------------------------------------- rows and text


def test_rows_round_trip(filled: Path) -> None:
    for name, rows in ROWS.items():
        back = table_rows(filled, name)
        assert len(back) == len(rows)
        for want, got in zip(rows, back):
            for header in schema.TABLES[name].headers:
                w, g = want.get(header), got[header]
                if isinstance(g, dt.datetime):
                    g = g.date()
                assert g == w, f"{name}[{header}]"


def test_text_that_looks_like_a_formula_stays_text(filled: Path) -> None:
    wb = openpyxl.load_workbook(filled)
    ws = wb["Plan"]
    assert ws["C5"].value == "=SUM(A1:A2)" and ws["C5"].data_type == "s"
    assert ws["B5"].value == "1.10" and ws["B5"].data_type == "s"
    texts = {c.value for row in wb["Costs"].iter_rows() for c in row if c.data_type == "s"}
    assert "+INV-1" in texts
    with zipfile.ZipFile(filled) as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode()
    assert "<f>SUM(A1:A2)</f>" not in sheet


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
                .filter(lambda s: s.strip() != ""), min_size=1, max_size=5))
def test_any_text_reads_back_identically(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "t.xlsx"
    rows = [{"ID": i + 1, "WBS": str(i + 1), "Task": text, "Notes": "=" + text} for i, text in enumerate(texts)]
    build_workbook(path, rows={"tblPlan": rows}, overwrite=True)
    back = table_rows(path, "tblPlan")
    assert [r["Task"] for r in back] == texts
    assert [r["Notes"] for r in back] == ["=" + t for t in texts]
    cal = calamine_cells(path)["Plan"]
    assert [cal[f"C{4 + i}"] for i in range(len(texts))] == texts


def test_dataframe_rows_with_missing_values(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2026-03-02", None, "2026-03-04"]),
            "Person": ["Ann", None, "Bob"],
            "Task ID": pd.array([1, None, 3], dtype="Int64"),
            "Hours": [8.0, np.nan, 2.5],
        }
    )
    path = build_workbook(tmp_path / "df.xlsx", rows={"tblTimesheet": df})
    back = table_rows(path, "tblTimesheet")
    assert back[0] == {"Date": dt.datetime(2026, 3, 2), "Person": "Ann", "Task ID": 1, "Hours": 8, "Note": None}
    assert all(v is None for v in back[1].values())
    assert back[2]["Task ID"] == 3 and back[2]["Hours"] == 2.5


@pytest.mark.parametrize("which", ["template", "filled"])
def test_openpyxl_and_calamine_read_the_same(which: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(which)
    a, b = openpyxl_cells(path), calamine_cells(path)
    assert list(a) == list(b)
    for sheet in a:
        assert a[sheet] == b[sheet], sheet


# --------------------------------------------------------------------------- refusals


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "p.xlsx"
    target.write_bytes(b"precious")
    with pytest.raises(PmoError, match="already exists"):
        build_workbook(target)
    assert target.read_bytes() == b"precious"
    build_workbook(target, overwrite=True)
    assert zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir()] == ["p.xlsx"]  # no temp file left behind


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"settings": {"Nonsense": 1}}, "unknown setting"),
        ({"settings": {"StartDate": "2026-02-30"}}, "not a date"),
        ({"settings": {"HoursPerDay": "eight"}}, "not a number"),
        ({"rows": {"tblNope": []}}, "unknown table"),
        ({"rows": {"tblPlan": [{"ID": 1, "Colour": "red"}]}}, "no column"),
    ],
)
def test_bad_input_is_a_plain_error(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(PmoError, match=message):
        build_workbook(tmp_path / "x.xlsx", **kwargs)
    assert not list(tmp_path.iterdir())


def test_macro_enabled_is_the_same_template_plus_vba(tmp_path: Path) -> None:
    # the .xlsm itself is tested in tests/test_xlsm.py
    xlsx, xlsm = zip_parts(build_workbook(tmp_path / "x.xlsx")), zip_parts(build_workbook(tmp_path / "x.xlsm"))
    assert "xl/vbaProject.bin" in xlsm and "xl/vbaProject.bin" not in xlsx
    assert set(xlsx) - set(xlsm) == set()


def test_new_command(tmp_path: Path) -> None:
    target = tmp_path / "New.xlsx"
    runner = CliRunner()
    args = ["new", str(target), "--project", "CRM", "--code", "CRM-1", "--start", "2026-03-02", "--currency", "usd"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(target)
    values = {n: wb.defined_names[n].attr_text for n in ("ProjectName", "StartDate", "Currency")}
    cell = {k: wb["Project"][v.split("!")[1].replace("$", "")].value for k, v in values.items()}
    assert cell == {"ProjectName": "CRM", "StartDate": dt.datetime(2026, 3, 2), "Currency": "USD"}
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "already exists" in again.output
    assert runner.invoke(cli, [*args, "--force"]).exit_code == 0
    bad = runner.invoke(cli, ["new", str(tmp_path / "b.xlsx"), "--start", "02/03/2026"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    assert not (tmp_path / "b.xlsx").exists()


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_empty_template_without_errors(soffice: str, template: Path,
                                                                    tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    values = recalculated_values(template, tmp_path)
    assert formula_errors(values) == []
    dash = values["Dashboard"]
    assert dash["B5"] == 0 and dash["D5"] == 0  # BAC and AC of an empty project


@pytest.mark.libreoffice
def test_libreoffice_computes_the_dashboard_kpis(soffice: str, filled: Path, tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    values = recalculated_values(filled, tmp_path)
    assert formula_errors(values) == []
    dash = values["Dashboard"]
    want = expected_kpis()
    got = {
        "bac": dash["B5"], "ac": dash["D5"], "variance": dash["E5"], "spent": dash["F5"],
        "tasks": dash["F8"], "late": dash["G8"], "hours": dash["H8"], "open": dash["I5"], "raised": dash["I8"],
    }
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-9), (key, got[key], value)
    assert dash["C5"] in (dt.datetime(2026, 3, 31), STATUS)
    # the change-request block counts every status
    counts = {dash[f"B{r}"]: dash[f"C{r}"] for r in range(30, 30 + len(schema.LISTS["CRStatus"]))}
    assert counts == {s: sum(c["Status"] == s for c in ROWS["tblChanges"]) for s in schema.LISTS["CRStatus"]}
    # CPI and SPI stay empty until pmo-xl rollup writes tblEVM
    assert "G5" not in dash or dash["G5"] in ("", None)


@pytest.mark.libreoffice
def test_libreoffice_reads_evm_tiles_from_rollup(soffice: str, tmp_path: Path) -> None:
    from support.libreoffice import formula_errors, recalculated_values

    evm = [{"Metric": m, "Value": v} for m, v in (("PV", 3000), ("EV", 2500), ("CPI", 0.8929), ("SPI", 0.8333))]
    path = build_workbook(tmp_path / "evm.xlsx", SETTINGS, {"tblEVM": evm})
    values = recalculated_values(path, tmp_path / "lo")
    assert formula_errors(values) == []
    dash = values["Dashboard"]
    assert (dash["G5"], dash["H5"], dash["B8"], dash["C8"]) == (0.8929, 0.8333, 3000, 2500)
    assert dash.get("D8") in (None, "")  # EAC not computed: empty, not an error


def test_chart_names_follow_row_counts() -> None:
    f = chart_name_formulas({"tblRollupMonth": 12})
    table, column = CHART_SERIES["chart_CumPV"]
    assert table == "tblRollupMonth"
    letters, row = coordinate_from_string(TABLE_ANCHORS[table])
    col = openpyxl.utils.get_column_letter(column_index_from_string(letters) + schema.TABLES[table].headers.index(column))
    assert f["chart_CumPV"] == f"=Rollup!${col}${row + 1}:${col}${row + 12}"
    assert chart_name_formulas()["chart_CumPV"] == f"=Rollup!${col}${row + 1}:${col}${row + 1}"


@pytest.mark.slow
def test_large_timesheet_is_written(tmp_path: Path) -> None:
    """200,000 timesheet rows (the large project of SPEC §9), every row in its place."""
    import numpy as np
    import pandas as pd

    n = 200_000
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "Date": pd.Timestamp("2026-03-02") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "Person": rng.choice(["Ann", "Bob", "Cy", "Dee"], n),
            "Task ID": rng.integers(1, 60, n),
            "Hours": rng.integers(1, 17, n) / 2,
            "Note": rng.choice(["", "=x", "support"], n),
        }
    )
    path = build_workbook(tmp_path / "big.xlsx", SETTINGS, {"tblTimesheet": df})
    wb = CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name("Timesheet").to_python(skip_empty_area=False)
    assert grid[2][:5] == schema.TABLES["tblTimesheet"].headers
    body = grid[3 : 3 + n]
    assert len(body) == n
    assert [r[3] for r in body[:100]] == df["Hours"].head(100).tolist()
    assert [r[4] for r in body[:100]] == df["Note"].head(100).tolist()  # "=x" stays text
    assert body[-1][0] == df["Date"].iloc[-1].date()


# --------------------------------------------------------------------------- change form, buttons, status


XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
DML = "http://schemas.openxmlformats.org/drawingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def test_change_form_is_the_one_the_scripts_read() -> None:
    import pmo_udfs

    from pmo_xl.engine.changes import DECISIONS
    from pmo_xl.io import template as tpl

    assert {f.name: f.header for f in tpl.NEW_REQUEST_FORM} == pmo_udfs.NEW_CHANGE_FORM
    assert [f.name for f in tpl.DECISION_FORM] == list(pmo_udfs.DECISION_FORM)
    assert tpl.FORM_RESULT_NAME == pmo_udfs.FORM_RESULT_CELL and tpl.STATUS_NAME == pmo_udfs.STATUS_CELL
    assert {c.lower() for c in tpl.DECISION_CHOICES} == set(DECISIONS)
    assert {b.script: b.binding for b in tpl.LITE_BUTTONS} == pmo_udfs.BUTTONS


def test_change_form_names_are_single_input_cells_with_validations(template: Path) -> None:
    from pmo_xl.io import template as tpl

    wb = openpyxl.load_workbook(template)
    ws = wb["Changes"]
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    last_col = range_boundaries(ws.tables["tblChanges"].ref)[2]
    validations = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            validations[rng.coord] = dv
    cells = tpl.form_cells()
    assert set(cells) == {f.name for f in tpl.NEW_REQUEST_FORM + tpl.DECISION_FORM} | {tpl.FORM_RESULT_NAME}
    for field in tpl.NEW_REQUEST_FORM + tpl.DECISION_FORM:
        sheet, ref = names[field.name].split("!")
        assert sheet == "Changes" and ":" not in ref, field.name  # one cell, workbook level
        cell = ref.replace("$", "")
        assert cell == cells[field.name]
        col, row = column_index_from_string(coordinate_from_string(cell)[0]), coordinate_from_string(cell)[1]
        assert col > last_col + 1, f"{field.name} must be right of tblChanges, one column apart"
        assert ws.cell(row, col - 1).value.rstrip(" *") == field.label  # labelled
        assert ws[cell].value is None and ws[cell].fill.fgColor.rgb.endswith("FFF2CC")  # an empty input cell
        dv = validations[cell]
        assert dv.showInputMessage and dv.prompt, field.name
        if field.kind == "choice":
            assert dv.type == "list"
            want = list_name(field.choices) if isinstance(field.choices, str) else '"' + ",".join(field.choices) + '"'
            assert dv.formula1 == want, field.name
        elif field.kind == "date":
            assert dv.type == "date"
        elif field.kind == "number":
            assert dv.type == "decimal"
    by_name = {f.name: f for f in tpl.NEW_REQUEST_FORM + tpl.DECISION_FORM}
    assert by_name["frmType"].choices == "CRType" and by_name["frmPriority"].choices == "Priority"
    assert by_name["frmFunding"].choices == "Funding" and by_name["frmDecision"].choices == ("Approve", "Reject", "Defer")
    assert by_name["frmDecisionDate"].kind == "date" and by_name["frmCostImpact"].kind == "number"
    assert names[tpl.FORM_RESULT_NAME] == f"Changes!${cells[tpl.FORM_RESULT_NAME][0]}${cells[tpl.FORM_RESULT_NAME][1:]}"
    # nothing of the form is below the register: it can grow to the last row
    used = {c.coordinate for row in ws.iter_rows(min_row=5) for c in row[:last_col] if c.value is not None}
    assert not used


def test_the_register_grows_past_the_form_and_readers_ignore_it(tmp_path: Path) -> None:
    from pmo_xl.io import template as tpl
    from pmo_xl.io.reader import load
    from pmo_xl.io.writer import WorkbookEditor

    path = build_workbook(tmp_path / "p.xlsx", SETTINGS, ROWS)
    rows = [{"CR ID": f"CR-{i:04d}", "Title": f"t{i}", "Requested By": "x", "Date Raised": D(2026, 3, 9),
             "Status": "Draft"} for i in range(4, 64)]
    ed = WorkbookEditor.open(path)
    ed.append_rows("tblChanges", rows)
    ed.save()
    book = load(path)
    assert book.frame("tblChanges")["CR ID"].tolist() == [f"CR-{i:04d}" for i in range(1, 64)]
    assert not book.structure and not book.issues
    wb = openpyxl.load_workbook(path)
    ws = wb["Changes"]
    assert ws.tables["tblChanges"].ref == f"A3:R{3 + 63}"
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    for name, cell in tpl.form_cells().items():  # the form stays where it was, untouched
        assert names[name] == f"Changes!${cell[0]}${cell[1:]}"
        assert ws[cell].value is None


def _drawing_shapes(path: Path) -> dict[str, dict[str, object]]:
    """Named shapes of the Dashboard's drawing: name -> hyperlink target, anchor, text box?"""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        wb_rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        wb_xml = etree.fromstring(z.read("xl/workbook.xml"))
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main", "r": REL}
        rid = wb_xml.xpath("//m:sheet[@name='Dashboard']/@r:id", namespaces=ns)[0]
        sheet = "xl/" + next(r.get("Target") for r in wb_rels if r.get("Id") == rid)
        sheet_rels = etree.fromstring(z.read(sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"))
        drawing = next(r.get("Target") for r in sheet_rels if r.get("Type").endswith("/drawing"))
        drawing = "xl/" + drawing.replace("../", "")
        root = etree.fromstring(z.read(drawing))
        rels = etree.fromstring(z.read(drawing.replace("drawings/", "drawings/_rels/") + ".rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for anchor in root.iter(f"{{{XDR}}}twoCellAnchor"):
        sp = anchor.find(f"{{{XDR}}}sp")
        if sp is None:
            continue
        c_nv = sp.find(f"{{{XDR}}}nvSpPr/{{{XDR}}}cNvPr")
        link = c_nv.find(f"{{{DML}}}hlinkClick")
        corner = {k: [int(anchor.find(f"{{{XDR}}}{k}/{{{XDR}}}{p}").text) for p in ("col", "colOff", "row", "rowOff")]
                  for k in ("from", "to")}
        out[c_nv.get("name")] = {
            "target": targets.get(link.get(f"{{{REL}}}id")) if link is not None else None,
            "from": corner["from"], "to": corner["to"],
            "txBox": sp.find(f"{{{XDR}}}nvSpPr/{{{XDR}}}cNvSpPr").get("txBox"),
            "text": "".join(sp.itertext()),
        }
    return out


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_lite_buttons_are_named_shapes_covering_their_linked_cells(tmp_path: Path, suffix: str) -> None:
    import pmo_udfs

    from pmo_xl.io import template as tpl

    shapes = _drawing_shapes(build_workbook(tmp_path / f"t{suffix}"))
    bound = {}
    for ref in pmo_udfs.BUTTONS.values():  # "[btnValidate]Dashboard!K4"
        shape, target = ref[1:].split("]")
        bound[shape] = target
    assert set(bound) <= set(shapes)
    for b in tpl.LITE_BUTTONS:
        s = shapes[b.shape]
        assert s["target"] == "#" + bound[b.shape] == f"#Dashboard!{b.cell}"
        assert s["text"] == b.caption and s["txBox"] is None  # a shape, not a text box
        row, col = xl_cell_to_rowcol(b.cell)
        fc, _, fr, froff = s["from"]
        tc, _, tr, _ = s["to"]
        # the linked cell is hidden behind the shape: its top edge, down past its bottom
        assert (fc, fr, froff) == (col, row, 0) and tc == col and tr > row, b.shape


def test_status_cell_and_print_area(template: Path) -> None:
    from pmo_xl.io import template as tpl

    wb = openpyxl.load_workbook(template)
    ws = wb["Dashboard"]
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    cell = f"{openpyxl.utils.get_column_letter(tpl.ACTION_COL + 1)}{tpl.STATUS_ROW + 1}"
    assert names[tpl.STATUS_NAME] == f"Dashboard!${cell[0]}${cell[1:]}"
    assert any(cell in m for m in ws.merged_cells.ranges)  # a box of several rows
    assert ws[cell].value is None
    # printed: the dashboard (A:I, down past the change-request block), not the buttons
    c1, r1, c2, r2 = range_boundaries(ws.print_area.split("!")[1].replace("$", ""))
    total_row = max(r for r in range(1, 60) if ws[f"B{r}"].value == "Total")
    assert (c1, r1, c2) == (1, 1, 9) and r2 >= total_row
    # and the register without the form beside it
    c1, r1, c2, r2 = range_boundaries(wb["Changes"].print_area.split("!")[1].replace("$", ""))
    assert (c1, r1, c2) == (1, 1, range_boundaries(wb["Changes"].tables["tblChanges"].ref)[2]) and r2 > 1_000_000
