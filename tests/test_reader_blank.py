"""A generated table whose sheet has no row element among its data rows is read as empty
without a bulk read of the sheet (``_Reader._blank_in_xml``): the book must be exactly
what the bulk read gives, whatever the generated sheets hold, and any sheet XML the text
scan is not sure of must go the bulk-read way."""

from __future__ import annotations

import dataclasses
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_xl.io import reader as rd

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
GENERATED_SHEETS = {"Validation": "xl/worksheets/sheet10.xml", "Schedule": "xl/worksheets/sheet11.xml",
                    "Rollup": "xl/worksheets/sheet12.xml"}


def _bulk_only(path: Path, monkeypatch: pytest.MonkeyPatch) -> rd.Book:
    """The reference: every table bulk-read, as before the shortcut (no sheet part is
    small enough for the text scan, so ``_blank_in_xml`` is False; a module setting, not a
    patched method, so that a compiled reader obeys it too)."""
    with monkeypatch.context() as m:
        m.setattr(rd, "_BLANK_CHECK_MAX", -1)
        return rd.load(path)


def _sheets_loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sheets the reader's fastexcel book is asked to load (in every load from now on)."""
    import fastexcel

    sheets: list[str] = []
    real = fastexcel.read_excel

    class Spy:
        def __init__(self, book: object) -> None:
            self.book = book

        def load_sheet(self, name: str, *args: object, **kwargs: object) -> object:
            sheets.append(name)
            return self.book.load_sheet(name, *args, **kwargs)  # type: ignore[attr-defined]

    monkeypatch.setattr(fastexcel, "read_excel", lambda *a, **k: Spy(real(*a, **k)))
    return sheets


def _assert_same(a: rd.Book, b: rd.Book) -> None:
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        ta, tb = a.tables[name], b.tables[name]
        assert (ta.letters, ta.ref, ta.header_row, ta.present, ta.sheet) == (tb.letters, tb.ref, tb.header_row, tb.present, tb.sheet)
        pd.testing.assert_frame_equal(ta.frame, tb.frame, check_exact=True, check_column_type=True, check_index_type=True)
        assert list(ta.frame.dtypes) == list(tb.frame.dtypes), name
    assert [dataclasses.astuple(i) for i in a.issues] == [dataclasses.astuple(i) for i in b.issues]
    assert [dataclasses.astuple(i) for i in a.structure] == [dataclasses.astuple(i) for i in b.structure]
    assert a.settings == b.settings and a.setting_cells == b.setting_cells


def _rewrite(src: Path, dst: Path, part: str, edit) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, edit(data) if info.filename == part else data)


def test_blank_generated_sheets_are_not_bulk_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # (fastexcel's loads are watched, not the reader's method: a compiled reader calls its
    # own methods directly)
    sheets = _sheets_loaded(monkeypatch)
    book = rd.load(EXAMPLE)
    assert sheets and not set(sheets) & set(GENERATED_SHEETS)
    assert all(len(book.tables[t]) == 0 and book.tables[t].present for t in rd._GENERATED)
    sheets.clear()
    _bulk_only(EXAMPLE, monkeypatch)  # (the reference does load them: the spy sees it)
    assert set(GENERATED_SHEETS) <= set(sheets)
    monkeypatch.undo()
    _assert_same(book, _bulk_only(EXAMPLE, monkeypatch))


CELL_VALUES = st.sampled_from([1.5, 0, "x", "", " ", True, "=1+1", '=""', "2024-01-02", None])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pokes=st.lists(
        st.tuples(st.sampled_from(sorted(GENERATED_SHEETS)), st.integers(2, 8), st.integers(1, 46), CELL_VALUES,
                  st.booleans()),
        max_size=6,
    )
)
def test_same_book_as_the_bulk_read(pokes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    wb = openpyxl.load_workbook(EXAMPLE)
    for sheet, row, col, value, style_only in pokes:
        cell = wb[sheet].cell(row, col)
        if style_only:  # a styled empty cell: a row element with nothing in it
            cell.number_format = "0.00"
        else:
            cell.value = value
    path = tmp_path / "poked.xlsx"
    wb.save(path)
    _assert_same(rd.load(path), _bulk_only(path, monkeypatch))


@pytest.mark.parametrize(
    "edit, known",
    [
        (lambda x: x, True),
        # spans before r: the scan is not sure, the bulk read decides
        (lambda x: x.replace(b'<row r="1" spans="1:44"', b'<row spans="1:44" r="1"'), False),
        # a row element in the data rows (empty): the bulk read decides
        (lambda x: x.replace(b"</sheetData>", b'<row r="4"/></sheetData>'), True),
        # a row in the data rows holding a number and a text
        (lambda x: x.replace(b"</sheetData>", b'<row r="4"><c r="A4"><v>7</v></c><c r="C4" t="inlineStr"><is><t>hi</t></is></c></row></sheetData>'), True),
        (lambda x: re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", x, flags=re.S), True),
        (lambda x: x.replace(b"<sheetData>", b"<sheetData><!-- <sheetData> -->"), False),
        (lambda x: x.replace(b"<sheetData>", b'<sheetData><!-- <row r="4"> -->'), True),
        # a strict-OOXML sheet: the bulk read decides
        (lambda x: x.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                             b"http://purl.oclc.org/ooxml/spreadsheetml/main"), False),
    ],
)
def test_sheet_xml_variants(edit, known: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "variant.xlsx"
    _rewrite(EXAMPLE, path, GENERATED_SHEETS["Rollup"], edit)
    _assert_same(rd.load(path), _bulk_only(path, monkeypatch))
    with rd.open_package(path) as pkg:
        reader = rd._Reader(path=path, pkg=pkg, date1904=pkg.date1904)
        assert (reader._row_numbers(GENERATED_SHEETS["Rollup"]) is not None) == known


def test_written_generated_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmo_xl.commands.rollup import rollup_file
    from pmo_xl.commands.validate import validate_file

    path = tmp_path / "written.xlsx"
    shutil.copy(EXAMPLE, path)
    validate_file(path, write=True)
    rollup_file(path, write=True)
    book = rd.load(path)
    assert len(book.tables["tblFindings"]) and len(book.tables["tblRollupTask"])
    _assert_same(book, _bulk_only(path, monkeypatch))
