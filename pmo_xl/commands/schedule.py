"""``schedule``: the critical path method on each workbook's plan (SPEC §3, §8).

>>> result = schedule_book(book)                 # doctest: +SKIP
>>> result.duration_days, result.critical_path   # doctest: +SKIP
(41, [1, 2, 6, 9, 11, 12, 14])

The JSON of one file is ``result.to_dict()``: ``project_start``, ``project_finish`` (ISO),
``duration_days``, ``critical_path``, ``critical_paths``, ``tasks: [{id, early_start,
early_finish, late_start, late_finish, total_float, free_float, critical}]``, plus
``cycles`` (dependency loops, task IDs) and ``problems`` (links or constraints the
schedule had to ignore). ``--write`` stores ``tblSchedule`` on the Schedule sheet.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import for_each_file, print_heading

if TYPE_CHECKING:
    from ..engine.cpm import ScheduleResult
    from ..model import Book


def schedule_book(book: "Book", status_date: Any = None) -> "ScheduleResult":
    """Early/late dates, floats and critical path(s) of ``book``'s plan on its calendar.

    ``status_date`` (a date or ``YYYY-MM-DD``) overrides the workbook's ``StatusDate``:
    completed tasks keep their actual dates, in-progress ones schedule their remaining
    work from it (SPEC §3).
    """
    from ..engine.cpm import schedule_plan
    from ._common import calendar_for, require_plan, status_date_of

    require_plan(book)
    return schedule_plan(book.frame("tblPlan"), calendar_for(book), status_date_of(book, status_date))


def schedule_file(path: str | Path, status_date: Any = None, *, write: bool = False, wait: float | None = None) -> dict[str, Any]:
    """The SPEC §8 fields of one workbook; ``write`` also stores the Schedule sheet
    (holding the workbook's pmo-xl lock from read to save)."""
    from ..io.reader import load

    if not write:
        return schedule_book(load(path), status_date).to_dict()
    from ._common import book_for_writing
    from .results import write_results

    with book_for_writing(path, wait) as book:
        result = schedule_book(book, status_date)
        write_results(path, schedule=result, plan=book.frame("tblPlan"))
    return result.to_dict()


def schedule_files(
    paths: Iterable[str | Path], status_date: Any = None, write: bool = False, jobs: int | None = 1
) -> list[dict[str, Any]]:
    """SPEC §8 ``files`` entries; an unreadable file is ``ok: false`` with its error and
    the other files are still scheduled."""
    if status_date is not None:
        from ._common import parse_status_date

        status_date = parse_status_date(status_date)  # a usage error, before any file
    return for_each_file(paths, functools.partial(schedule_file, status_date=status_date, write=write), jobs, "Scheduling")


# --------------------------------------------------------------------------- text


def render_text(files: list[dict[str, Any]], *, console: Any = None) -> None:
    """Per file: a compact table (critical rows highlighted on a terminal), the forecast
    finish, the critical path, loops and problems."""
    from rich.markup import escape
    from rich.table import Table, box

    from . import text_console

    con = console or text_console(highlight=False, soft_wrap=True)
    for entry in files:
        if not print_heading(con, entry):
            continue
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for header, justify in (("ID", "right"), ("Start", "left"), ("Finish", "left"), ("Late start", "left"),
                                ("Late finish", "left"), ("TF", "right"), ("FF", "right"), ("Crit", "center")):
            table.add_column(header, justify=justify, no_wrap=True, min_width=len(header))
        for t in entry["tasks"]:
            table.add_row(
                str(t["id"]), str(t["early_start"]), str(t["early_finish"]), str(t["late_start"]),
                str(t["late_finish"]), str(t["total_float"]), str(t["free_float"]), "yes" if t["critical"] else "",
                style="bold red" if t["critical"] else None,
            )
        if entry["tasks"]:
            con.print(table)
            con.print("  [dim]Start/Finish: early dates · TF/FF: total/free float (working days)[/dim]")
        else:
            con.print("  (no tasks)")
        con.print(f"  Project: {entry['project_start']} → [bold]{entry['project_finish']}[/bold]"
                  f" ({entry['duration_days']} working days)")
        paths = entry.get("critical_paths") or ([entry["critical_path"]] if entry["critical_path"] else [])
        for i, path in enumerate(paths):
            label = "Critical path" if len(paths) == 1 else f"Critical path {i + 1}"
            con.print(f"  {label}: [red]{'-'.join(str(x) for x in path)}[/red]")
        for cycle in entry.get("cycles", []):
            con.print(f"  [yellow]Dependency loop (ignored):[/yellow] {' → '.join(str(x) for x in cycle)}")
        for p in entry.get("problems", []):
            con.print(f"  [yellow]{escape(p['message'])}[/yellow]")
        con.print()
