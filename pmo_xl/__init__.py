"""pmo_xl: the standard PMO workbook as a live tool.

A handful of verbs, each returning plain data (SPEC §8 "Python API")::

    import pmo_xl
    book = pmo_xl.load("project.xlsx")   # typed tables + settings, cell addresses kept

Heavy libraries are imported lazily, on first use of a verb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import PmoError

if TYPE_CHECKING:
    from .model import Book

__all__ = ["__version__", "PmoError", "load"]


def load(path: Any) -> "Book":
    """Read a PMO workbook into typed tables and settings (see :class:`pmo_xl.model.Book`)."""
    from .io.reader import load as _load

    return _load(path)
