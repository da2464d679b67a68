"""``load()`` on every real Excel-made file of the corpus never crashes: each file either
loads or is refused with a one-line NotAPmoWorkbook / NotAWorkbook naming the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pmo_xl.errors import NotAPmoWorkbook, NotAWorkbook
from pmo_xl.io.reader import load


def test_load_every_corpus_file(corpus: Path) -> None:
    files = sorted(p for p in corpus.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))
    assert len(files) >= 990
    failures: list[str] = []
    outcomes: dict[str, int] = {}
    for f in files:
        before = hashlib.sha256(f.read_bytes()).hexdigest()
        try:
            book = load(f)
            outcome = "loaded"
            assert book.sheets
        except (NotAPmoWorkbook, NotAWorkbook) as exc:
            outcome = type(exc).__name__
            message = str(exc)
            if "\n" in message or str(f) not in message:
                failures.append(f"{f.name}: message not one line naming the file: {message!r}")
        except Exception as exc:  # a crash: collect them all, then fail once
            failures.append(f"{f.name}: {type(exc).__name__}: {exc}")
            continue
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if hashlib.sha256(f.read_bytes()).hexdigest() != before:
            failures.append(f"{f.name}: file changed by reading it")
    assert not failures, "\n".join(failures[:50])
    # none of the corpus files is a PMO workbook; all of them are readable packages
    assert outcomes == {"NotAPmoWorkbook": len(files)}, outcomes


def test_non_workbook_corpus_files_are_refused(corpus: Path) -> None:
    """The corpus's VBA binaries (OLE files) and text files are refused in plain words."""
    others = sorted(p for p in corpus.iterdir() if p.suffix.lower() in (".bin", ".txt"))
    assert others
    for f in others:
        try:
            load(f)
        except NotAWorkbook as exc:
            assert "\n" not in str(exc) and str(f) in str(exc)
        else:  # pragma: no cover - a failure
            raise AssertionError(f"{f.name} loaded")


def test_every_corpus_table_reads(corpus: Path) -> None:
    """Every table in the corpus goes through the reader's bulk path (as all-text columns)
    without crashing; rows stay inside the table's data range."""
    from pmo_xl import schema
    from pmo_xl.io.package import open_package
    from pmo_xl.io.reader import _Reader

    failures: list[str] = []
    tables = 0
    for f in sorted(p for p in corpus.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm")):
        with open_package(f) as pkg:
            reader = _Reader(path=f, pkg=pkg, date1904=pkg.date1904)
            for part in pkg.tables_by_name().values():
                tables += 1
                spec = schema.Table(part.name, part.sheet, tuple(schema.Column(h, "text") for h in part.columns))
                try:
                    data = reader.read_table(spec, part)
                except Exception as exc:
                    failures.append(f"{f.name} {part.name}: {type(exc).__name__}: {exc}")
                    continue
                rows = list(data.frame.index)
                if rows and not (part.first_data_row <= rows[0] and rows[-1] <= part.last_data_row):
                    failures.append(f"{f.name} {part.name}: rows {rows[0]}..{rows[-1]} outside {part.ref}")
                if list(data.frame.columns) != list(part.columns):
                    failures.append(f"{f.name} {part.name}: columns {list(data.frame.columns)}")
    assert tables > 20
    assert not failures, "\n".join(failures[:50])
