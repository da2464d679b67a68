"""End to end: the demo workbook (template builder + reader) validated; every planted
defect of the demo's manifest is reported at its exact cell by its rule family, and no
other error appears."""

from __future__ import annotations

import datetime as dt

import pytest

from pmo_xl.commands.demo import demo_workbook
from pmo_xl.commands.validate import validate_book
from pmo_xl.demo import make_demo
from pmo_xl.io.reader import load


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_demo_defects_are_found_and_nothing_else_is_an_error(tmp_path, seed):
    path = demo_workbook(tmp_path / f"demo{seed}.xlsx", seed=seed)
    demo = make_demo(seed)
    assert demo.defects, "the demo plants defects"
    book = load(path)
    report = validate_book(book)
    expected_cells = set()
    for d in demo.defects:
        table = book.table(d["table"])
        row = table.header_row + 1 + d["index"]
        cell = table.cell(row, d["column"])
        hits = [f for f in report.findings if (f.sheet, f.cell) == (table.sheet, cell) and f.rule.startswith(d["rule"])]
        assert hits, f"{d['problem']} ({table.sheet}!{cell}) not reported; findings there: " + repr(
            [(f.rule, f.message) for f in report.findings if f.cell == cell])
        if d["key"] is not None:
            assert any(f.key == str(d["key"]) for f in hits), (d, hits)
        expected_cells.add((table.sheet, cell))
    stray = [f for f in report.findings if f.severity == "error" and (f.sheet, f.cell) not in expected_cells]
    assert stray == []
    assert report.summary["error"] >= 1 and len(report.dcma) == 14


@pytest.mark.parametrize("seed", [1, 3])
def test_without_dcma_the_findings_are_the_same(tmp_path, seed):
    """The portfolio validates with ``dcma=False``: the same findings, no DCMA checks."""
    path = demo_workbook(tmp_path / f"demo{seed}.xlsx", seed=seed)
    full = validate_book(load(path))
    bare = validate_book(load(path), dcma=False)
    assert len(full.dcma) == 14 and bare.dcma == []
    assert bare.findings == full.findings and bare.summary == full.summary
    assert bare.schedule is not None and bare.schedule.project_finish_date == full.schedule.project_finish_date


def test_a_context_of_the_caller_is_used_and_one_for_another_book_refused(tmp_path):
    from pmo_xl.engine.rules._context import RuleContext

    path = demo_workbook(tmp_path / "demo.xlsx", seed=2)
    book = load(path)
    ctx = RuleContext(book)
    report = validate_book(book, context=ctx)
    assert report.findings == validate_book(load(path)).findings
    assert ctx.cpm is report.schedule  # the caller's context is the one the rules ran on
    with pytest.raises(ValueError, match="another book"):
        validate_book(load(path), context=ctx)
    with pytest.raises(ValueError, match="another status date"):
        validate_book(book, "2020-01-06", context=ctx)
    dated = RuleContext(book, "2020-01-06")
    assert validate_book(book, "2020-01-06", context=dated).status_date == dt.date(2020, 1, 6)
