"""pmo_xl: the standard PMO workbook as a live tool.

A handful of verbs, each returning plain data (SPEC §8 "Python API")::

    import pmo_xl
    book = pmo_xl.load("project.xlsx")               # typed tables + settings, cell addresses kept
    report = pmo_xl.validate(book)                    # findings (DataFrame), DCMA checks, summary
    plan = pmo_xl.schedule(book)                      # per-task dates, floats, critical path
    money = pmo_xl.rollup(book, status_date=None)     # EVM, roll-up tables, RAG
    pmo_xl.write("project.xlsx", report, plan, money) # lossless, atomic
    register = pmo_xl.changes("project.xlsx")         # add / set_status / decide / list
    for row in pmo_xl.portfolio("projects/", jobs=2): ...

Every verb that takes a ``book`` also accepts a path. Results have ``to_dict()`` equal to
the command line's JSON. Heavy libraries are imported lazily, on first use of a verb.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import PmoError

if TYPE_CHECKING:
    from .commands.change import ChangeRegister
    from .commands.validate import ValidationReport
    from .engine.cpm import ScheduleResult
    from .engine.finance import RollupResult
    from .model import Book

__all__ = [
    "__version__",
    "PmoError",
    "load",
    "validate",
    "schedule",
    "rollup",
    "write",
    "changes",
    "portfolio",
]


def load(path: str | os.PathLike[str]) -> "Book":
    """Read a PMO workbook into typed tables and settings (see :class:`pmo_xl.model.Book`)."""
    from .io.reader import load as _load

    return _load(path)


def _book(book_or_path: Any) -> "Book":
    if isinstance(book_or_path, (str, os.PathLike)):
        return load(book_or_path)
    return book_or_path


def validate(book: Any, status_date: Any = None) -> "ValidationReport":
    """Every finding (``.frame`` is a DataFrame), the DCMA 14-point checks and a summary."""
    from .commands.validate import validate_book
    from .engine import quiet_numbers

    with quiet_numbers():
        return validate_book(_book(book), status_date)


def schedule(book: Any, status_date: Any = None) -> "ScheduleResult":
    """The critical path method on tblPlan: early/late dates, floats, critical path(s)."""
    from .commands.schedule import schedule_book
    from .engine import quiet_numbers

    with quiet_numbers():
        return schedule_book(_book(book), status_date)


def rollup(book: Any, status_date: Any = None) -> "RollupResult":
    """Actuals vs budget and earned value at the status date, roll-up tables and RAG."""
    from .commands.rollup import rollup_book
    from .engine import quiet_numbers

    with quiet_numbers():
        return rollup_book(_book(book), status_date)


def write(path: str | os.PathLike[str], *results: Any, book: Any = None) -> Any:
    """Store validate/schedule/rollup results in their sheets: lossless, atomic."""
    from .commands.results import write as _write

    return _write(path, *results, book=book)


def changes(path: str | os.PathLike[str], **options: Any) -> "ChangeRegister":
    """The change register of one workbook: ``add``, ``set_status``, ``decide``, ``list``…"""
    from .commands.change import ChangeRegister

    return ChangeRegister(path, **options)


def portfolio(*paths: Any, jobs: int | None = None, status_date: Any = None) -> Any:
    """One record per project workbook found in folders/globs (see ``pmo-xl portfolio``)."""
    from .commands.portfolio import portfolio as _portfolio

    return _portfolio(list(paths), jobs=jobs, status_date=status_date)
