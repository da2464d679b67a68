"""Every Excel-made workbook of the corpus survives a pmo_xl write: a generated sheet is
added, every original part stays byte-identical after decompression, and openpyxl and
python-calamine read the result (a sample also opens in LibreOffice)."""

from __future__ import annotations

import os
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

FINDINGS = [
    ["error", "PL001", "Plan", "G4", "1", "=1+1", "Fix the start"],
    ["warning", "DT002", "Budget", "C9", "", "-5", "@hint"],
]
#: What openpyxl and LibreOffice give back: an empty string is an empty cell.
EXPECTED = [[None if v == "" else v for v in row] for row in FINDINGS]
HEADERS = ["Severity", "Rule", "Sheet", "Cell", "Key", "Message", "Hint"]
LIBREOFFICE_SAMPLE = (
    "macro01.xlsm",
    "button07.xlsm",
    "chartsheet01.xlsx",
    "chart_bar01.xlsx",
    "image01.xlsx",
    "comment01.xlsx",
    "textbox01.xlsx",
    "table01.xlsx",
    "data_validation01.xlsx",
    "cond_format01.xlsx",
    "defined_name01.xlsx",
)


def _workbooks(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))


def check_one(src: str, outdir: str) -> str | None:
    """Write one corpus file; return None when all is well, else what went wrong."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    from pmo_xl.io.writer import TableBlock, WorkbookEditor

    src_path = Path(src)
    out = Path(outdir) / src_path.name
    try:
        ed = WorkbookEditor.open(src_path)
        ed.replace_sheet(
            "Validation",
            [TableBlock("tblFindings", FINDINGS, headers=HEADERS, title="Findings", anchor="A3", links=["Plan!G4", None])],
            heading="Validation",
        )
        ed.set_defined_name("pmoWritten", "Validation!$A$1")
        ed.save(out)
        with zipfile.ZipFile(src_path) as a, zipfile.ZipFile(out) as b:
            names = set(b.namelist())
            for info in a.infolist():
                if info.filename in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/app.xml"):
                    continue
                if info.filename not in names:
                    return f"{info.filename} dropped"
                if a.read(info) != b.read(info.filename):
                    return f"{info.filename} changed"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(out)
        ws = wb["Validation"]
        got = [[c.value for c in row[:7]] for row in ws.iter_rows(min_row=4, max_row=5)]
        if got != EXPECTED:
            return f"openpyxl read {got}"
        if ws.tables["tblFindings"].ref != "A3:G5":
            return f"table ref {ws.tables['tblFindings'].ref}"
        if wb.sheetnames[-1] != "Validation" or wb.defined_names["pmoWritten"].attr_text != "Validation!$A$1":
            return f"sheets {wb.sheetnames}"
        cal = CalamineWorkbook.from_path(str(out))
        rows = cal.get_sheet_by_name("Validation").to_python()
        if [r[:7] for r in rows[3:5]] != FINDINGS:
            return f"calamine read {rows}"
        for other in cal.sheet_names:  # every original sheet still reads
            cal.get_sheet_by_name(other).to_python()
    except Exception as exc:  # noqa: BLE001 - collected and reported per file
        return f"{type(exc).__name__}: {exc}"
    finally:
        out.unlink(missing_ok=True)
    return None


def test_every_corpus_workbook_survives_a_write(corpus: Path, tmp_path: Path) -> None:
    files = _workbooks(corpus)
    assert len(files) >= 990
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(check_one, [str(f) for f in files], [str(tmp_path)] * len(files), chunksize=16))
    failures = {f.name: r for f, r in zip(files, results) if r is not None}
    assert failures == {}


@pytest.mark.parametrize("name", LIBREOFFICE_SAMPLE)
def test_corpus_sample_opens_in_libreoffice(corpus: Path, soffice: str, tmp_path: Path, name: str) -> None:
    from support.libreoffice import convert

    from pmo_xl.io.writer import TableBlock, WorkbookEditor

    src = corpus / name
    if not src.exists():
        pytest.fail(f"corpus file {name} is missing")
    out = tmp_path / src.name
    ed = WorkbookEditor.open(src)
    ed.replace_sheet("Validation", [TableBlock("tblFindings", FINDINGS, headers=HEADERS, anchor="A3")])
    ed.save(out)
    converted = convert(out, tmp_path / "lo")
    import openpyxl

    wb = openpyxl.load_workbook(converted, read_only=True)
    assert "Validation" in wb.sheetnames
    rows = list(wb["Validation"].iter_rows(min_row=4, max_row=5, max_col=7, values_only=True))
    assert [list(r) for r in rows] == EXPECTED
    wb.close()


def test_sample_covers_the_kinds_of_parts(corpus: Path) -> None:
    """The LibreOffice sample has a VBA project, a chartsheet, drawings and comments."""
    kinds = set()
    for name in LIBREOFFICE_SAMPLE:
        with zipfile.ZipFile(corpus / name) as zf:
            for n in zf.namelist():
                for kind in ("vbaProject", "chartsheets/", "drawings/", "comments", "tables/", "media/"):
                    if kind in n:
                        kinds.add(kind)
    assert kinds == {"vbaProject", "chartsheets/", "drawings/", "comments", "tables/", "media/"}


def append_one(src: str, outdir: str) -> str:
    """Append a row to the first table of a corpus file and edit it: "ok", "no table",
    or what went wrong."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries
    from python_calamine import CalamineWorkbook

    from pmo_xl.errors import PmoError
    from pmo_xl.io.writer import WorkbookEditor

    src_path = Path(src)
    out = Path(outdir) / src_path.name
    try:
        ed = WorkbookEditor.open(src_path)
        tables = ed.tables()
        if not tables:
            return "no table"
        t = next(iter(tables.values()))
        cols = list(ed._columns(t))
        try:
            rows = ed.append_rows(t.name, [{cols[0]: "=1+1", cols[-1]: 42}])
        except PmoError as exc:
            return f"refused: {exc}"
        ed.set_cells(t.name, rows[0], {cols[-1]: "@x"})
        owned = {t.part, t.sheet_part, "[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/calcChain.xml"}
        ed.save(out)
        with zipfile.ZipFile(src_path) as a, zipfile.ZipFile(out) as b:
            for info in a.infolist():
                if info.filename not in owned and a.read(info) != b.read(info.filename):
                    return f"{info.filename} changed"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(out)
        ws = wb[t.sheet]
        c1, _, c2, last = range_boundaries(ws.tables[t.name].ref)
        if last < rows[0]:
            return f"table ref {ws.tables[t.name].ref} misses row {rows[0]}"
        got = (ws.cell(rows[0], c1).value, ws.cell(rows[0], c2).value)
        if got != ("=1+1", "@x") or ws.cell(rows[0], c1).data_type != "s":
            return f"openpyxl read {got}"
        cal = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(t.sheet).to_python()
        if not any(r and "=1+1" in r and "@x" in r for r in cal):
            return "calamine does not see the new row"
    except Exception as exc:  # noqa: BLE001 - collected and reported per file
        return f"{type(exc).__name__}: {exc}"
    finally:
        out.unlink(missing_ok=True)
    return "ok"


def test_corpus_tables_take_appended_rows(corpus: Path, tmp_path: Path) -> None:
    """Every corpus table grows by a row (those with a totals row too)."""
    files = [f for f in _workbooks(corpus) if f.name.startswith(("table", "autofilter", "quote_name", "button", "data_valid"))]
    results = {f.name: append_one(str(f), str(tmp_path)) for f in files}
    failures = {k: r for k, r in results.items() if r not in ("ok", "no table")}
    assert failures == {}
    assert sum(r == "ok" for r in results.values()) >= 35
