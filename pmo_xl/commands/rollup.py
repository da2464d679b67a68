"""``rollup``: actuals vs budget and earned value at the status date (SPEC §5, §8).

>>> money = rollup_book(book)                 # doctest: +SKIP
>>> money.evm.cpi, money.rag                  # doctest: +SKIP
(0.8929, 'Red')

The JSON of one file is ``money.to_dict()``: ``status_date``, ``currency``, ``evm: {bac,
pv, ev, ac, cv, sv, cpi, spi, eac, eac_ac_plus_remaining, eac_cpi_spi, etc, vac, tcpi, es,
sv_t, spi_t, ieac_t}``, ``rag``, ``by_category``, ``by_month``, ``by_task``,
``by_person``, ``reserves`` (and ``after_status_date``, ``unrated_people``,
``planned_duration``, ``actual_time``, ``notes``). ``--format csv`` prints the
``by_task`` records (same keys as the JSON; with several files a ``path`` column first).
``--write`` stores the Rollup sheet (tblEVM, by task/category/month/person, reserves,
change statistics) and points the Dashboard's chart names at the rows written.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import for_each_file, print_heading

if TYPE_CHECKING:
    from ..engine.evm import RagThresholds
    from ..engine.finance import RollupResult
    from ..engine.rules._context import RuleContext
    from ..model import Book


def validation_errors(book: "Book", status_date: Any = None) -> int | None:
    """Error findings of ``book`` (they bar a Green RAG) — ``validate_book(book,
    status_date).errors``, counted by the rules alone (DCMA checks are no findings, and
    the warning-only checks are skipped); None when the validator is not available in
    this installation."""
    try:
        from ..engine.rules import count_errors
    except ImportError:  # pragma: no cover - the validator ships with pmo_xl
        return None
    from ..config import thresholds_for
    from ._common import parse_status_date

    status_date = parse_status_date(status_date)  # (None stays None)
    thresholds_for(book)  # the organisation's lists stored in the workbook (as validate_book)
    return count_errors(book, status_date)


def rollup_book(
    book: "Book",
    status_date: Any = None,
    *,
    error_count: int | None = None,
    thresholds: "RagThresholds | None" = None,
    context: "RuleContext | None" = None,
) -> "RollupResult":
    """EVM, roll-up tables and RAG of ``book`` at ``status_date`` (default: StatusDate,
    else today). ``error_count`` is the number of validation errors for the RAG; None
    runs the validator to count them. ``context``: the rule context that validated
    ``book`` (as the portfolio has it), whose coded columns the roll-up takes instead of
    coding them again; the result is the same without it."""
    from ..engine.cpm import collector_paused

    with collector_paused():  # tens of thousands of objects that live on: see collector_paused
        return _rollup_book(book, status_date, error_count, thresholds, context)


def _rollup_book(book: "Book", status_date: Any, error_count: int | None, thresholds: "RagThresholds | None",
                 context: "RuleContext | None" = None) -> "RollupResult":
    from ..engine.finance import rollup
    from ._common import calendar_for, require_plan, status_date_of

    from ..config import stored_config

    require_plan(book)
    thresholds = thresholds or stored_config(book).rag_thresholds()  # stored by pmo-xl new --config
    day = status_date_of(book, status_date)
    if error_count is None:
        error_count = validation_errors(book, day) or 0
    # (the roll-up takes the book's TableData as they are: each table's frame is read there)
    return rollup(book.tables, book.settings, calendar_for(book), day, error_count, thresholds,
                  person_codes=_person_codes(book, context))


def _person_codes(book: "Book", context: "RuleContext | None") -> Any:
    """tblTimesheet's Person codes from the rule context that validated ``book`` (None
    without one, when the column was changed since it was coded, or when the context's
    timesheet rows are not the book's: the validator dropped empty rows — its rows keep
    the book's index object only when it took every row of this very frame)."""
    if context is None or context.book is not book or not context.has("tblTimesheet"):
        return None
    if context.frame("tblTimesheet").index is not book.tables["tblTimesheet"].frame.index:
        return None
    if not context.unchanged_since_coded("tblTimesheet", "Person"):
        return None
    try:
        return context.codes("tblTimesheet", "Person")
    except KeyError:  # (not a text column)
        return None


def rollup_file(path: str | Path, status_date: Any = None, *, write: bool = False, wait: float | None = None) -> dict[str, Any]:
    """The SPEC §8 fields of one workbook; ``write`` also stores the Rollup sheet
    (holding the workbook's pmo-xl lock from read to save)."""
    from ..engine.cpm import collector_paused
    from ..io.reader import load

    with collector_paused():  # the book, the roll-up, the sheet's cells: see collector_paused
        if not write:
            return rollup_book(load(path), status_date).to_dict()
        from ._common import book_for_writing
        from .results import change_stats_rows, write_results

        with book_for_writing(path, wait) as book:
            result = rollup_book(book, status_date)
            stats = change_stats_rows(book.frame("tblChanges"), result.status_date)
            write_results(path, rollup=result, change_stats=stats)
        return result.to_dict()


def rollup_files(
    paths: Iterable[str | Path], status_date: Any = None, write: bool = False, jobs: int | None = 1
) -> list[dict[str, Any]]:
    """SPEC §8 ``files`` entries; an unreadable file is ``ok: false`` with its error and
    the other files are still rolled up."""
    if status_date is not None:
        from ._common import parse_status_date

        status_date = parse_status_date(status_date)  # a usage error, before any file
    return for_each_file(paths, functools.partial(rollup_file, status_date=status_date, write=write), jobs, "Rolling up")


# --------------------------------------------------------------------------- csv


def by_task_columns() -> list[str]:
    from .. import schema
    from ..engine.finance import snake

    return [snake(h) for h in schema.TABLES["tblRollupTask"].headers]


def render_csv(files: list[dict[str, Any]]) -> str:
    """The ``by_task`` records as CSV (keys as in the JSON); with several files, a
    ``path`` column first. Files that could not be read contribute no rows."""
    import csv
    import io

    columns = by_task_columns()
    several = len(files) > 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((["path"] if several else []) + columns)
    for entry in files:
        if not entry["ok"]:
            continue
        for rec in entry["by_task"]:
            row = ["" if rec.get(c) is None else rec.get(c) for c in columns]
            writer.writerow(([entry["path"]] if several else []) + row)
    return out.getvalue()


# --------------------------------------------------------------------------- text

_RAG_STYLE = {"Green": "bold green", "Amber": "bold yellow", "Red": "bold red"}


def _money(v: Any) -> str:
    return "" if v is None else f"{v:,.0f}"


def _index(v: Any) -> str:
    return "" if v is None else f"{v:.2f}"


def _pct(v: Any) -> str:
    return "" if v is None else f"{v * 100:.0f}%"


#: The KPI block of the text output: (label, evm key, formatter).
KPIS = (("BAC", "bac", _money), ("PV", "pv", _money), ("EV", "ev", _money), ("AC", "ac", _money),
        ("CV", "cv", _money), ("SV", "sv", _money), ("CPI", "cpi", _index), ("SPI", "spi", _index),
        ("EAC", "eac", _money), ("VAC", "vac", _money))


def render_text(files: list[dict[str, Any]], *, console: Any = None) -> None:
    """Per file: the KPI block (RAG in colour), then the category and month tables."""
    from rich.markup import escape
    from rich.table import Table, box

    from . import text_console

    con = console or text_console(highlight=False, soft_wrap=True)
    for entry in files:
        if not print_heading(con, entry):
            continue
        e = entry["evm"]
        rag = entry["rag"]
        style = _RAG_STYLE.get(rag, "bold")
        con.print(f"  Status date {entry['status_date']} · amounts in {escape(entry['currency'])} · "
                  f"RAG [{style}]{rag}[/{style}]")
        kpi = Table.grid(padding=(0, 1))
        for _ in range(4):
            kpi.add_column(style="bold", no_wrap=True)
            kpi.add_column(justify="right", no_wrap=True)
        cells = []
        for label, key, fmt in KPIS:
            text = fmt(e.get(key))
            if key in ("cpi", "spi") and e.get(key) is not None:
                colour = "green" if e[key] >= 0.95 else ("yellow" if e[key] >= 0.90 else "red")
                text = f"[{colour}]{text}[/{colour}]"
            cells += [f"  {label}", text + "  "]
        cells += ["  RAG", f"[{style}]{rag}[/{style}]"]
        for i in range(0, len(cells), 8):
            row = cells[i:i + 8]
            kpi.add_row(*row, *[""] * (8 - len(row)))
        con.print(kpi)

        cat = Table(title="By cost category", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for h in ("Category", "Budget", "PV", "AC", "Variance", "% Spent"):
            cat.add_column(h, justify="left" if h == "Category" else "right", no_wrap=True)
        for r in entry["by_category"]:
            over = (r.get("ac") or 0) > (r.get("budget") or 0) + 0.005
            cat.add_row(escape(str(r["category"])), _money(r["budget"]), _money(r["pv"]), _money(r["ac"]),
                        _money(r["variance"]), _pct(r["pct_spent"]), style="red" if over else None)
        if entry["by_category"]:
            con.print(cat)

        month = Table(title="By month", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for h in ("Month", "PV", "EV", "AC", "Cum PV", "Cum EV", "Cum AC"):
            month.add_column(h, justify="left" if h == "Month" else "right", no_wrap=True)
        for r in entry["by_month"]:
            month.add_row(str(r["month"])[:7], _money(r["pv"]), _money(r["ev"]), _money(r["ac"]),
                          _money(r["cum_pv"]), _money(r["cum_ev"]), _money(r["cum_ac"]))
        if entry["by_month"]:
            con.print(month)
        for note in entry.get("notes", []):
            con.print(f"  [yellow]{escape(note)}[/yellow]")
        con.print()
