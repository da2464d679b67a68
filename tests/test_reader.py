"""The reader: tables by name, columns by header, typed frames indexed by Excel row,
cells that do not fit their column as CellIssues, structure problems as StructureIssues.

Workbooks are written with XlsxWriter (tables via ``add_table``); expected values come
from what the test wrote, or from openpyxl for real Excel-made files."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pmo_xl
from pmo_xl import schema
from pmo_xl.errors import NotAPmoWorkbook
from pmo_xl.io import reader as rd
from pmo_xl.io.package import open_package
from pmo_xl.io.reader import load

Table = tuple[str, str, list[str], list[list[Any]]]  # sheet, top-left, headers, rows


class F:
    """A formula with its cached value, for :func:`make_book`."""

    def __init__(self, formula: str, value: Any) -> None:
        self.formula, self.value = formula, value


def make_book(
    path: Path,
    tables: dict[str, Table],
    names: dict[str, tuple[str, str, Any]] | None = None,
    *,
    date_1904: bool = False,
    extra_sheets: tuple[str, ...] = (),
    vba: Path | None = None,
) -> Path:
    """A workbook with the given tables ({name: (sheet, "A3", headers, rows)}) and
    defined names ({name: (sheet, "B4", value)})."""
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date_1904, "strings_to_numbers": False})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheets: dict[str, Any] = {}

    def sheet(name: str) -> Any:
        if name not in sheets:
            sheets[name] = wb.add_worksheet(name)
        return sheets[name]

    def put(ws: Any, r: int, c: int, v: Any) -> None:
        if v is None:
            return
        if isinstance(v, F):
            ws.write_formula(r, c, v.formula, None, v.value)
        elif isinstance(v, (dt.date, dt.datetime)):
            ws.write_datetime(r, c, v, datef)
        elif isinstance(v, bool):
            ws.write_boolean(r, c, v)
        elif isinstance(v, (int, float)):
            ws.write_number(r, c, v)
        else:
            ws.write_string(r, c, v)

    for name, (sheet_name, anchor, headers, rows) in tables.items():
        ws = sheet(sheet_name)
        r0, c0 = xlsxwriter.utility.xl_cell_to_rowcol(anchor)
        n = max(len(rows), 1)
        ws.add_table(r0, c0, r0 + n, c0 + len(headers) - 1, {"name": name, "columns": [{"header": h} for h in headers]})
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                put(ws, r0 + 1 + i, c0 + j, v)
    for name, (sheet_name, cell, value) in (names or {}).items():
        ws = sheet(sheet_name)
        r, c = xlsxwriter.utility.xl_cell_to_rowcol(cell)
        put(ws, r, c, value)
        quoted = f"'{sheet_name}'" if " " in sheet_name else sheet_name
        wb.define_name(name, f"={quoted}!${xlsxwriter.utility.xl_col_to_name(c)}${r + 1}")
    for extra in extra_sheets:
        sheet(extra).write("A1", "user notes")
    if vba is not None:
        wb.add_vba_project(str(vba))
    wb.close()
    return path


PLAN = schema.TABLES["tblPlan"].headers

BASE_NAMES = {
    "ProjectName": ("Project", "B4", "CRM roll-out"),
    "ProjectCode": ("Project", "B5", "CRM-2026"),
    "StartDate": ("Project", "B8", dt.date(2026, 3, 2)),
    "TemplateVersion": ("Project", "B17", 1),
}


def plan_row(**values: Any) -> list[Any]:
    base = {"ID": 1, "WBS": "1", "Task": "Kick-off", "Start": dt.date(2026, 3, 2), "Finish": dt.date(2026, 3, 3)}
    base.update(values)
    return [base.get(h) for h in PLAN]


def plan_book(path: Path, rows: list[list[Any]], headers: list[str] | None = None, **kw: Any) -> Path:
    return make_book(path, {"tblPlan": ("Plan", "A3", headers or PLAN, rows)}, BASE_NAMES, **kw)


def issue_at(book: Any, where: str) -> Any:
    found = [i for i in book.issues if f"{i.sheet}!{i.cell}" == where]
    assert len(found) == 1, (where, book.issues)
    return found[0]


# --------------------------------------------------------------------------- layout


def test_columns_in_any_order_extra_columns_and_sheets(tmp_path: Path) -> None:
    headers = ["Finish", "Task", "My Column", "ID", "Start", "WBS"]
    rows = [
        [dt.date(2026, 3, 3), "Kick-off", "keep me", 1, dt.date(2026, 3, 2), "1"],
        [dt.date(2026, 3, 9), "Design", 42, 2, dt.date(2026, 3, 4), "1.1"],
    ]
    f = make_book(tmp_path / "order.xlsx", {"tblPlan": ("Plan", "B5", headers, rows)}, BASE_NAMES, extra_sheets=("Notes",))
    book = pmo_xl.load(f)
    plan = book.table("tblPlan")
    assert list(plan.frame.columns) == PLAN + ["My Column"]
    assert list(plan.frame.index) == [6, 7]
    assert plan.frame.loc[7, "Task"] == "Design"
    assert plan.frame.loc[6, "ID"] == 1
    assert plan.frame.loc[7, "Start"] == pd.Timestamp("2026-03-04")
    assert list(plan.frame["My Column"]) == ["keep me", "42"]  # a mixed user column is read as text
    assert plan.letters["Finish"] == "B" and plan.letters["WBS"] == "G" and plan.letters["My Column"] == "D"
    assert plan.where(7, "Start") == "Plan!F7"
    assert plan.ref == "B5:G7" and plan.header_row == 5 and plan.present
    assert "Notes" in book.sheets
    missing = {s.name for s in book.structure if s.kind == "column"}
    assert missing == set(PLAN) - set(headers)
    assert str(plan.frame["Notes"].dtype) == str(pd.Series([], dtype=rd.TEXT_DTYPE).dtype)
    assert plan.frame["Constraint Date"].dtype == rd.DATE_DTYPE


def test_missing_table_sheet_and_name(tmp_path: Path) -> None:
    names = dict(BASE_NAMES)
    del names["ProjectCode"]
    f = make_book(tmp_path / "missing.xlsx", {"tblPlan": ("Plan", "A3", PLAN, [plan_row()])}, names)
    book = load(f)
    kinds = {(s.kind, s.name) for s in book.structure}
    assert ("table", "tblCosts") in kinds
    assert ("sheet", "Costs") in kinds
    assert ("name", "ProjectCode") in kinds
    costs = book.table("tblCosts")
    assert not costs.present and len(costs) == 0
    assert list(costs.frame.columns) == schema.TABLES["tblCosts"].headers
    assert costs.frame["Amount"].dtype == "float64"
    assert costs.frame["Task ID"].dtype == "Int64"
    assert costs.frame["Date"].dtype == rd.DATE_DTYPE
    # defaults for missing optional names; None for a missing required one
    assert book.settings["Currency"] == "EUR"
    assert book.settings["HoursPerDay"] == 8
    assert book.settings["ProjectCode"] is None
    assert book.settings["StartDate"] == dt.date(2026, 3, 2)
    assert book.setting_cells["StartDate"] == "Project!B8"
    severity = {s.name: s.severity for s in book.structure}
    assert severity["ProjectCode"] == "error" and severity["Currency"] == "warning"
    assert severity["tblCosts"] == "error" and severity["tblSchedule"] == "warning"


def test_not_a_pmo_workbook(tmp_path: Path) -> None:
    f = make_book(tmp_path / "other.xlsx", {"Sales": ("Data", "A1", ["Region", "Amount"], [["EU", 3]])})
    with pytest.raises(NotAPmoWorkbook) as err:
        load(f)
    assert str(err.value) == f"{f}: not a PMO workbook: no tblPlan table and no ProjectCode name"


def test_only_a_name_is_enough_to_be_a_pmo_workbook(tmp_path: Path) -> None:
    f = make_book(tmp_path / "names.xlsx", {}, {"ProjectCode": ("Project", "B5", "X-1")})
    book = load(f)
    assert book.settings["ProjectCode"] == "X-1"
    assert not book.table("tblPlan").present


# --------------------------------------------------------------------------- types


def test_text_in_date_column_is_a_cell_issue(tmp_path: Path) -> None:
    rows = [plan_row(ID=1), plan_row(ID=2, WBS="2", Start="next week"), plan_row(ID=3, WBS="3")]
    book = load(plan_book(tmp_path / "bad.xlsx", rows))
    frame = book.frame("tblPlan")
    assert pd.isna(frame.loc[5, "Start"])
    assert frame.loc[4, "Start"] == pd.Timestamp("2026-03-02") and frame.loc[6, "Start"] == pd.Timestamp("2026-03-02")
    issue = issue_at(book, "Plan!G5")
    assert (issue.table, issue.column, issue.row, issue.raw, issue.expected) == ("tblPlan", "Start", 5, "next week", "date")
    assert issue.message == "Plan!G5 holds the text 'next week', expected a date"
    assert len(book.issues) == 1


def test_iso_date_text_is_read_and_reported(tmp_path: Path) -> None:
    rows = [plan_row(Start="2026-03-01"), plan_row(ID=2, WBS="2", Finish=" 2026-04-30 ")]
    book = load(plan_book(tmp_path / "iso.xlsx", rows))
    frame = book.frame("tblPlan")
    assert frame.loc[4, "Start"] == pd.Timestamp("2026-03-01")
    assert frame.loc[5, "Finish"] == pd.Timestamp("2026-04-30")
    assert "a date typed as text" in issue_at(book, "Plan!G4").message
    assert issue_at(book, "Plan!H5").raw == " 2026-04-30 "


@pytest.mark.parametrize("date_1904", [False, True])
def test_serial_numbers_and_date_cells_in_date_columns(tmp_path: Path, date_1904: bool) -> None:
    epoch = dt.date(1904, 1, 1) if date_1904 else dt.date(1899, 12, 30)
    rows = [plan_row(Start=46100, Finish=dt.date(2026, 3, 20)), plan_row(ID=2, WBS="2", Start=46100.75)]
    book = load(plan_book(tmp_path / "serial.xlsx", rows, date_1904=date_1904))
    assert book.date1904 is date_1904
    frame = book.frame("tblPlan")
    expected = pd.Timestamp(epoch + dt.timedelta(days=46100))
    assert frame.loc[4, "Start"] == expected
    assert frame.loc[5, "Start"] == expected  # normalised
    assert frame.loc[4, "Finish"] == pd.Timestamp("2026-03-20")
    assert book.settings["StartDate"] == dt.date(2026, 3, 2)
    assert not book.issues


def test_serials_mixed_with_date_cells_and_text(tmp_path: Path) -> None:
    rows = [plan_row(Start=46100), plan_row(ID=2, WBS="2", Start=dt.date(2026, 5, 1)), plan_row(ID=3, WBS="3", Start=True)]
    book = load(plan_book(tmp_path / "mixed.xlsx", rows, date_1904=True))
    frame = book.frame("tblPlan")
    assert frame.loc[4, "Start"] == pd.Timestamp(dt.date(1904, 1, 1) + dt.timedelta(days=46100))
    assert frame.loc[5, "Start"] == pd.Timestamp("2026-05-01")
    assert pd.isna(frame.loc[6, "Start"])
    assert issue_at(book, "Plan!G6").message == "Plan!G6 holds TRUE, expected a date"


def test_wbs_numbers_become_their_text(tmp_path: Path) -> None:
    rows = [plan_row(ID=i + 1, WBS=w) for i, w in enumerate([1, 1.2, 3, "1.2.3", 10.5])]
    frame = load(plan_book(tmp_path / "wbs.xlsx", rows)).frame("tblPlan")
    assert list(frame["WBS"]) == ["1", "1.2", "3", "1.2.3", "10.5"]
    only_numbers = [plan_row(ID=i + 1, WBS=w) for i, w in enumerate([1, 2.1, 3])]
    frame = load(plan_book(tmp_path / "wbs2.xlsx", only_numbers)).frame("tblPlan")
    assert list(frame["WBS"]) == ["1", "2.1", "3"]


def test_int_columns(tmp_path: Path) -> None:
    rows = [plan_row(ID=3.0), plan_row(ID=3.5, WBS="2"), plan_row(ID=7, WBS="3")]
    book = load(plan_book(tmp_path / "ints.xlsx", rows))
    frame = book.frame("tblPlan")
    assert frame["ID"].dtype == "Int64"
    assert frame.loc[4, "ID"] == 3 and pd.isna(frame.loc[5, "ID"]) and frame.loc[6, "ID"] == 7
    assert issue_at(book, "Plan!A5").message == "Plan!A5 holds the number 3.5, expected a whole number"

    rows = [plan_row(ID="x"), plan_row(ID="12", WBS="2"), plan_row(ID=4, WBS="3")]
    book = load(plan_book(tmp_path / "ints2.xlsx", rows))
    frame = book.frame("tblPlan")
    assert pd.isna(frame.loc[4, "ID"]) and frame.loc[5, "ID"] == 12 and frame.loc[6, "ID"] == 4
    assert issue_at(book, "Plan!A4").message == "Plan!A4 holds the text 'x', expected a whole number"
    assert "a number typed as text" in issue_at(book, "Plan!A5").message


def test_percent_and_numbers(tmp_path: Path) -> None:
    rows = [plan_row(**{"% Complete": 0.5, "Duration": 3}), plan_row(ID=2, WBS="2", **{"% Complete": 50, "Duration": "three"})]
    book = load(plan_book(tmp_path / "pct.xlsx", rows))
    frame = book.frame("tblPlan")
    assert list(frame["% Complete"]) == [0.5, 50.0]  # the validator judges the range
    assert frame["Duration"].dtype == "float64"
    assert frame.loc[4, "Duration"] == 3.0 and math.isnan(frame.loc[5, "Duration"])
    assert issue_at(book, "Plan!F5").expected == "number"


def test_formulas_give_cached_values(tmp_path: Path) -> None:
    rows = [
        plan_row(Duration=F("=H4-G4", 1), Task=F('="Kick"&"-off"', "Kick-off"), Finish=F("=G4+1", 46084)),
    ]
    frame = load(plan_book(tmp_path / "formulas.xlsx", rows)).frame("tblPlan")
    assert frame.loc[4, "Duration"] == 1.0
    assert frame.loc[4, "Task"] == "Kick-off"
    assert frame.loc[4, "Finish"] == pd.Timestamp("2026-03-03")


def test_empty_table_and_blank_rows(tmp_path: Path) -> None:
    book = load(plan_book(tmp_path / "empty.xlsx", []))
    frame = book.frame("tblPlan")
    assert len(frame) == 0 and list(frame.columns) == PLAN
    assert frame["Start"].dtype == rd.DATE_DTYPE and frame["ID"].dtype == "Int64"
    assert book.table("tblPlan").present

    rows = [plan_row(), [None] * len(PLAN), plan_row(ID=2, WBS="2"), [None] * len(PLAN)]
    frame = load(plan_book(tmp_path / "blank.xlsx", rows)).frame("tblPlan")
    assert list(frame.index) == [4, 6]


def test_row_with_only_a_bad_value_is_kept(tmp_path: Path) -> None:
    rows = [plan_row(), [None] * 6 + ["soon"] + [None] * (len(PLAN) - 7)]
    book = load(plan_book(tmp_path / "onlybad.xlsx", rows))
    assert list(book.frame("tblPlan").index) == [4, 5]
    assert issue_at(book, "Plan!G5").raw == "soon"


def test_sheet_name_with_space_is_quoted(tmp_path: Path) -> None:
    headers = schema.TABLES["tblChangeLog"].headers
    f = make_book(tmp_path / "log.xlsx", {"tblChangeLog": ("Change Log", "A3", headers, [["2026-03-02T10:00:00Z", "CR-0001", 5]])}, BASE_NAMES)
    book = load(f)
    log = book.table("tblChangeLog")
    assert log.frame.loc[4, "Action"] == "5"
    assert log.where(4, "Action") == "Change Log!C4"
    assert not book.issues


def test_settings_are_typed(tmp_path: Path) -> None:
    names = dict(BASE_NAMES)
    names.update(
        {
            "StatusDate": ("Project", "B10", "2026-06-30"),
            "HoursPerDay": ("Project", "B12", 7.5),
            "WorkWeek": ("Project", "B13", 1111100),
            "ContingencyReserve": ("Project", "B15", "lots"),
        }
    )
    book = load(make_book(tmp_path / "settings.xlsx", {"tblPlan": ("Plan", "A3", PLAN, [plan_row()])}, names))
    s = book.settings
    assert s["StatusDate"] == dt.date(2026, 6, 30)
    assert s["HoursPerDay"] == 7.5
    assert s["WorkWeek"] == "1111100"
    assert s["ContingencyReserve"] == 0  # default, with an issue
    assert s["TemplateVersion"] == 1 and book.template_version == 1
    assert "typed as text" in issue_at(book, "Project!B10").message
    assert issue_at(book, "Project!B15").message == "Project!B15 (ContingencyReserve) holds the text 'lots', expected a number"


@pytest.mark.parametrize("version", [2, "v1"])
def test_unknown_or_newer_template_version(tmp_path: Path, version: Any) -> None:
    names = dict(BASE_NAMES)
    names["TemplateVersion"] = ("Project", "B17", version)
    book = load(make_book(tmp_path / "v.xlsx", {"tblPlan": ("Plan", "A3", PLAN, [plan_row()])}, names))
    assert [s.kind for s in book.structure if s.name == "TemplateVersion"] == ["version"]


def test_xlsm(tmp_path: Path, corpus: Path) -> None:
    f = plan_book(tmp_path / "macro.xlsm", [plan_row()], vba=corpus / "vbaProject01.bin")
    with open_package(f) as pkg:
        assert pkg.has("xl/vbaProject.bin")
    book = load(f)
    assert book.frame("tblPlan").loc[4, "Task"] == "Kick-off"


def test_real_excel_table_with_calculated_column(corpus: Path) -> None:
    """An Excel-saved table whose last column is a formula: cached values, as openpyxl sees them."""
    path = corpus / "table34.xlsx"
    with open_package(path) as pkg:
        part = pkg.table("Table1")
        kinds = ("text", "int", "number", "number")
        spec = schema.Table("Table1", part.sheet, tuple(schema.Column(h, k) for h, k in zip(part.columns, kinds)))
        reader = rd._Reader(path=path, pkg=pkg, date1904=pkg.date1904)
        data = reader.read_table(spec, part)
    ws = openpyxl.load_workbook(path, data_only=True)[part.sheet]
    r0, c0 = part.first_data_row, part.first_cell[1]
    expected = {
        h: [ws.cell(row=r, column=c0 + j).value for r in range(r0, part.last_data_row + 1)] for j, h in enumerate(part.columns)
    }
    assert list(data.frame.index) == list(range(r0, part.last_data_row + 1))
    for h in part.columns:
        assert list(data.frame[h]) == expected[h], h
    assert not reader.issues


def test_real_excel_1904_workbook(corpus: Path) -> None:
    with open_package(corpus / "date_1904_02.xlsx") as pkg:
        assert pkg.date1904


# --------------------------------------------------------------------------- coercion


# The years pmo-xl accepts in a date column (later ones are reported: tests/test_date_range.py).
dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2199, 12, 31))
numbers = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "" and not s.startswith(("=", "_x")))


@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), numbers), st.one_of(st.none(), texts), st.one_of(st.none(), st.integers(-(10**9), 10**9))),
        min_size=1,
        max_size=12,
    ),
    date_1904=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip_of_typed_values(tmp_path: Path, rows: list[tuple[Any, ...]], date_1904: bool) -> None:
    """Dates, numbers, texts and whole numbers written by XlsxWriter read back equal."""
    f = tmp_path / f"rt{abs(hash((tuple(rows), date_1904)))}.xlsx"
    table_rows = [[r[0], r[1], r[2], r[3], "x"] for r in rows]  # "x": no row is fully blank
    headers = ["Date", "Amount", "Description", "Task ID", "Category"]
    make_book(f, {"tblCosts": ("Costs", "A3", headers, table_rows)}, BASE_NAMES, date_1904=date_1904)
    book = load(f)
    frame = book.frame("tblCosts")
    assert list(frame.index) == list(range(4, 4 + len(rows)))
    for (d, n, t, i), (_, got) in zip(rows, frame.iterrows()):
        assert (pd.isna(got["Date"]) if d is None else got["Date"] == pd.Timestamp(d))
        # XlsxWriter stores numbers with 16 significant digits
        assert (pd.isna(got["Amount"]) if n is None else got["Amount"] == pytest.approx(n, rel=1e-15))
        assert (pd.isna(got["Description"]) if t is None else got["Description"] == t)
        assert (pd.isna(got["Task ID"]) if i is None else got["Task ID"] == i)
    assert not book.issues


@given(value=st.one_of(numbers, st.integers(-(10**14), 10**14)))
def test_number_text_matches_general_format(value: float) -> None:
    text = rd.number_text(value)
    assert float(text) == pytest.approx(value, rel=1e-14)
    assert not text.endswith(".0")


@given(d=st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 30)), date1904=st.booleans())
def test_serial_conversion_round_trip(d: dt.datetime, date1904: bool) -> None:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    serial = (d - epoch) / dt.timedelta(days=1)
    if serial < 0:
        return
    got = rd.excel_serial_to_datetime(serial, date1904)
    assert abs(got - d) < dt.timedelta(milliseconds=1)


# --------------------------------------------------------------------------- template round trip


def test_template_round_trip(tmp_path: Path) -> None:
    from pmo_xl.io import template
    rows = {
        "tblPlan": [
            {"ID": 1, "WBS": "1", "Task": "Kick-off", "Type": "Milestone", "Owner": "Ann", "Duration": 0,
             "Start": dt.date(2026, 3, 2), "Finish": dt.date(2026, 3, 2), "Constraint": "ASAP", "% Complete": 1.0,
             "Status": "Complete", "Notes": "=not a formula"},
            {"ID": 2, "WBS": "1.1", "Task": "Design", "Type": "Task", "Owner": "Bob", "Duration": 5,
             "Start": dt.date(2026, 3, 3), "Finish": dt.date(2026, 3, 9), "Predecessors": "1",
             "Baseline Start": dt.date(2026, 3, 3), "Baseline Finish": dt.date(2026, 3, 9), "% Complete": 0.25},
        ],
        "tblTimesheet": [
            {"Date": dt.date(2026, 3, 3), "Person": "Bob", "Task ID": 2, "Hours": 7.5, "Note": "+1 day"},
        ],
        "tblResources": [{"Person": "Bob", "Role": "Analyst", "Rate": 85.5, "Category": "Labour", "Capacity": 8}],
    }
    settings = {"ProjectName": "Round trip", "ProjectCode": "RT-1", "StartDate": dt.date(2026, 3, 2)}
    f = template.build_workbook(tmp_path / "rt.xlsx", settings, rows)
    book = load(f)
    assert not book.issues
    assert not [s for s in book.structure if s.severity == "error"], book.structure
    assert book.template_version == schema.TEMPLATE_VERSION
    assert book.settings["ProjectCode"] == "RT-1" and book.settings["StartDate"] == dt.date(2026, 3, 2)
    for name, records in rows.items():
        spec = schema.TABLES[name]
        frame = book.frame(name)
        assert len(frame) == len(records), name
        for (_, got), rec in zip(frame.iterrows(), records):
            for col in spec.columns:
                want = rec.get(col.name)
                have = got[col.name]
                if want is None:
                    assert pd.isna(have), (name, col.name, have)
                elif col.kind == "date":
                    assert have == pd.Timestamp(want), (name, col.name)
                else:
                    assert have == want, (name, col.name, have, want)


def test_strict_ooxml_workbook(tmp_path: Path) -> None:
    """The same workbook in strict-OOXML namespaces reads the same."""
    import zipfile

    from pmo_xl.io import package as pk

    src = plan_book(tmp_path / "t.xlsx", [plan_row(), plan_row(ID=2, WBS="1.1", Start="soon")])
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(strict, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            data = data.replace(pk.NS_MAIN.encode(), pk.STRICT_MAIN.encode()).replace(pk.NS_R.encode(), pk.STRICT_R.encode())
            zout.writestr(info.filename, data)
    a, b = load(src), load(strict)
    pd.testing.assert_frame_equal(a.frame("tblPlan"), b.frame("tblPlan"))
    assert a.settings == b.settings
    assert [i.message for i in a.issues] == [i.message for i in b.issues] == ["Plan!G5 holds the text 'soon', expected a date"]
