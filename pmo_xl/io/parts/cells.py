"""Cells: A1 references, date serials, and the XML of the values pmo_xl writes.

Text is written as **inline strings** (``t="inlineStr"``): pmo_xl never rewrites
``xl/sharedStrings.xml``, so a save cannot renumber the strings other sheets use. Excel
moves them to the shared-string table on its next save. Text is always text: a value such
as ``=1+1`` or ``@SUM(A1)`` is stored as an inline string, never as a formula. Only a
:class:`Formula` (which pmo_xl code builds itself) becomes a ``<f>`` element.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from ..package import column_index, column_letter

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
#: Text that escape_text() may change or that needs xml:space="preserve" (a superset).
_NOT_PLAIN = re.compile(r"[\x00-\x1f&<>\ufffe\uffff]|_x|^\s|\s\Z")
_SHEET_NEEDS_QUOTES = re.compile(r"[^A-Za-z0-9_.]|^\d|^[A-Za-z]{1,3}\d+$|^[RrCc]\d*$")

EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)


@dataclass(frozen=True)
class Formula:
    """A formula pmo_xl itself writes (never built from user text). No leading ``=``."""

    text: str


# One column-letter arithmetic for reader and writer (pmo_xl.io.package).
col_letter = column_letter
col_index = column_index


def split_ref(ref: str) -> tuple[int, int]:
    """``"C12"`` -> (column 3, row 12)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return col_index(m.group(1)), int(m.group(2))


def cell_ref(col: int, row: int) -> str:
    return f"{col_letter(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"A4:R60"`` -> (c1, r1, c2, r2); a single cell is a 1x1 range."""
    m = _RANGE.match(ref.strip())
    if not m:
        raise ValueError(f"not a range: {ref!r}")
    c1, r1 = col_index(m.group(1)), int(m.group(2))
    if m.group(3):
        c2, r2 = col_index(m.group(3)), int(m.group(4))
    else:
        c2, r2 = c1, r1
    return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)


def range_ref(c1: int, r1: int, c2: int, r2: int) -> str:
    a, b = cell_ref(c1, r1), cell_ref(c2, r2)
    return a if a == b else f"{a}:{b}"


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a formula or reference (``'Change Log'``)."""
    if _SHEET_NEEDS_QUOTES.search(name):
        return "'" + name.replace("'", "''") + "'"
    return name


def _enc(m: re.Match[str]) -> str:
    ch = m.group(0)
    return "_x005F_" if ch == "_" else f"_x{ord(ch):04X}_"


def encode_ooxml(text: str) -> str:
    """Characters XML cannot carry as OOXML ``_xHHHH_`` (and a literal ``_xHHHH_`` kept
    literal as ``_x005F_xHHHH_``), as Excel does."""
    return _ILLEGAL.sub(_enc, text)


def escape_text(text: str) -> str:
    """XML-escape text for element content, OOXML-encoding what XML cannot carry."""
    return escape(encode_ooxml(text))


def escape_attr(text: str) -> str:
    """Text for a double-quoted XML attribute; line breaks as OOXML ``_x000a_``."""
    text = escape_text(text.replace("\r\n", "\n")).replace('"', "&quot;")
    return text.replace("\n", "_x000a_").replace("\r", "_x000d_").replace("\t", "_x0009_")


def date_serial(value: dt.date | dt.datetime, date1904: bool = False) -> float | int:
    """Excel serial of a date/datetime in the workbook's date system.

    1900 system: day 1 = 1900-01-01, with Excel's phantom 1900-02-29 (serial 60), so
    dates from 1900-03-01 on count from 1899-12-30. 1904 system: day 0 = 1904-01-01.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        moment = value
    else:
        moment = dt.datetime(value.year, value.month, value.day)
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    delta = moment - epoch
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if not date1904 and moment < dt.datetime(1900, 3, 1):
        serial -= 1
    if serial < 0:
        raise ValueError(f"{value} is before the workbook's first date")
    return int(serial) if serial == int(serial) else serial


def normalize(value: Any) -> Any:
    """Plain Python value for what pandas/numpy hand us; None for empty (NaN, NaT, None, "")."""
    if value is None or (isinstance(value, str) and value == ""):
        return None  # an empty string is an empty cell, as Excel has it
    # pandas/numpy scalars, without importing them
    mod = type(value).__module__
    if mod.startswith(("numpy", "pandas")):
        if type(value).__name__ in ("NaTType", "NAType"):
            return None
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        elif hasattr(value, "item"):
            value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Decimal):
        return None if not value.is_finite() else float(value)
    return value


def kind_of(value: Any) -> str:
    """'empty' | 'bool' | 'number' | 'date' | 'datetime' | 'formula' | 'text'."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, Formula):
        return "formula"
    return "text"


def number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))


def cell_tail(value: Any, kind: str, date1904: bool = False) -> str:
    """What follows ``<c r="A1" s="n"`` in the ``<c>`` element of a normalized, non-empty
    value of ``kind`` (:func:`kind_of`)."""
    if kind == "bool":
        return f' t="b"><v>{int(value)}</v></c>'
    if kind == "number":
        return f'><v>{number_text(value)}</v></c>'
    if kind in ("date", "datetime"):
        return f'><v>{number_text(date_serial(value, date1904))}</v></c>'
    if kind == "formula":
        return f'><f>{escape_text(value.text)}</f></c>'
    return text_tail(str(value))


def text_tail(text: str) -> str:
    """:func:`cell_tail` of a text cell (inline string, cut at Excel's 32,767 characters)."""
    if len(text) <= 32767 and not _NOT_PLAIN.search(text):  # nothing to escape, encode or preserve
        return f' t="inlineStr"><is><t>{text}</t></is></c>'
    if len(text) > 32767:
        text = text[:32767]
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f' t="inlineStr"><is><t{space}>{escape_text(text)}</t></is></c>'


def cell_xml(ref: str, value: Any, style: int = 0, date1904: bool = False) -> str:
    """The ``<c>`` element for a normalized value (empty string for an unstyled blank)."""
    s = f' s="{style}"' if style else ""
    kind = kind_of(value)
    if kind == "empty":
        return f'<c r="{ref}"{s}/>' if style else ""
    return f'<c r="{ref}"{s}{cell_tail(value, kind, date1904)}'
