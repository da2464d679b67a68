"""A stand-in for the subset of xlwings' object model the Excel scripts use, backed by a
real workbook's cells (loaded with openpyxl), so the scripts run here without Excel.

It is NOT a mock: it holds a grid of cells, tables and names and gives them back with the
value semantics xlwings documents, which the tests pin:

* reading (docs.xlwings.org "Data Structures Tutorial" and "Converters and Options"):
  a single cell is a scalar — ``float`` for any number (``1`` reads back ``1.0``),
  ``str`` for text, ``datetime.datetime`` for a date, ``bool``, ``None`` for an empty
  cell; a one-row or one-column range is a flat list unless ``options(ndim=2)``; a 2-D
  range is a list of row lists; ``options(ndim=1)`` makes a single cell a one-item list;
  ``options(expand="table")`` grows a range down and right while the next row/column
  holds values. ``dates_as_serials=True`` gives dates as date serials (floats), as
  custom functions receive them in xlwings Lite/Server.
* writing: a scalar fills every cell of the range; a flat list is a row; a list of rows
  writes a block from the top-left cell whatever the range's size (a ragged list is
  refused, as Excel needs a rectangle); ``None``/``""`` empty a cell; ``date`` becomes a
  ``datetime``; like Excel parsing a typed value, text starting with ``=``, ``+``, ``-``
  or ``@`` becomes a formula, text that looks like a number, a date or TRUE/FALSE becomes
  one, and a leading apostrophe keeps the rest as text. Values of any other type (numpy,
  pandas) are refused: the code under test must hand xlwings plain Python values.
* ``Range.color``: set with a ``"#RRGGBB"`` string, an ``(r, g, b)`` tuple or None; read as
  an ``(r, g, b)`` tuple or None. ``clear_contents()`` keeps colours.
* tables (``sheet.tables[name]``): ``range`` (header row included), ``header_row_range``,
  ``data_body_range``, ``resize(range)`` — Excel's ListObject.Resize: the header row must
  stay where it is; empty header cells of a widened table get ``Column1``… names —, and
  ``sheet.tables.add(source, name)``.
* ``book.names[name].refers_to`` / ``.refers_to_range`` (KeyError for an unknown name),
  ``book.names.add(name, refers_to)``; ``Book.caller()`` returns the book on which
  ``set_mock_caller()`` was called (xlwings' own testing hook).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator

from .cells import col_number, letter

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_EPOCH = dt.datetime(1899, 12, 30)


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """``"A3:R60"`` -> (row1, col1, row2, col2), 1-based."""
    parts = ref.replace("$", "").split(":")
    m1 = _CELL.match(parts[0])
    m2 = _CELL.match(parts[-1])
    if not m1 or not m2:
        raise ValueError(f"not a cell reference: {ref!r}")
    r1, c1 = int(m1.group(2)), col_number(m1.group(1))
    r2, c2 = int(m2.group(2)), col_number(m2.group(1))
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class Formula(str):
    """A formula written into a cell (the fake does not calculate; its value is None)."""


def _stored(value: Any) -> Any:
    """What Excel stores when ``value`` is written through xlwings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        if value == "":
            return None
        if value.startswith("'"):
            return value[1:] or None
        if value[0] in "=+-@" and not _NUMBER.match(value):
            return Formula(value)
        if _NUMBER.match(value):
            return float(value)
        m = _ISO.match(value)
        if m:
            return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE"
        return value
    raise TypeError(f"xlwings cannot write a {type(value).__name__} ({value!r}); convert it to a plain value")


def _hex(color: Any) -> str | None:
    if color is None:
        return None
    if isinstance(color, str):
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
            raise ValueError(f"not a colour: {color!r}")
        return color.upper()
    r, g, b = color
    return f"#{r:02X}{g:02X}{b:02X}"


# --------------------------------------------------------------------------- ranges


class _Count:
    def __init__(self, n: int) -> None:
        self.count = n

    def __len__(self) -> int:
        return self.count


class FakeRange:
    def __init__(self, sheet: "FakeSheet", r1: int, c1: int, r2: int, c2: int, ndim: int | None = None,
                 expand: str | None = None) -> None:
        if min(r1, c1) < 1 or r2 < r1 or c2 < c1:
            raise ValueError(f"bad range {(r1, c1, r2, c2)}")
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = r1, c1, r2, c2
        self._ndim = ndim
        self._expand = expand

    # --- geometry
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def rows(self) -> _Count:
        return _Count(self.r2 - self.r1 + 1)

    @property
    def columns(self) -> _Count:
        return _Count(self.c2 - self.c1 + 1)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.r2 - self.r1 + 1, self.c2 - self.c1 + 1)

    @property
    def address(self) -> str:
        a = f"${letter(self.c1)}${self.r1}"
        if (self.r1, self.c1) == (self.r2, self.c2):
            return a
        return f"{a}:${letter(self.c2)}${self.r2}"

    def resize(self, row_size: int | None = None, column_size: int | None = None) -> "FakeRange":
        rows = self.shape[0] if row_size is None else row_size
        cols = self.shape[1] if column_size is None else column_size
        if rows < 1 or cols < 1:
            raise ValueError("resize needs at least one row and one column")
        return FakeRange(self.sheet, self.r1, self.c1, self.r1 + rows - 1, self.c1 + cols - 1)

    def offset(self, row_offset: int = 0, column_offset: int = 0) -> "FakeRange":
        return FakeRange(self.sheet, self.r1 + row_offset, self.c1 + column_offset,
                         self.r2 + row_offset, self.c2 + column_offset)

    def __getitem__(self, key: Any) -> "FakeRange":
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, int) for k in key)):
            raise TypeError("the stand-in supports range[row, column] with two integers")
        i, j = key
        return FakeRange(self.sheet, self.r1 + i, self.c1 + j, self.r1 + i, self.c1 + j)

    def options(self, ndim: int | None = None, expand: str | None = None, **kwargs: Any) -> "FakeRange":
        if kwargs:
            raise TypeError(f"the stand-in does not implement options {sorted(kwargs)}")
        return FakeRange(self.sheet, self.r1, self.c1, self.r2, self.c2, ndim=ndim, expand=expand)

    def _expanded(self) -> "FakeRange":
        if self._expand != "table":
            return self
        cells = self.sheet.cells
        r2, c2 = self.r1, self.c1
        while cells.get((self.r1, c2 + 1)) is not None:
            c2 += 1
        while cells.get((r2 + 1, self.c1)) is not None:
            r2 += 1
        return FakeRange(self.sheet, self.r1, self.c1, r2, c2)

    # --- values
    @property
    def value(self) -> Any:
        rng = self._expanded()
        get = self.sheet.read_cell
        grid = [[get(r, c) for c in range(rng.c1, rng.c2 + 1)] for r in range(rng.r1, rng.r2 + 1)]
        if self._ndim == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return [grid[0][0]] if self._ndim == 1 else grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if len(grid[0]) == 1:
            return [r[0] for r in grid]
        if self._ndim == 1:
            raise ValueError("ndim=1 of a 2-D range")
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        cells = self.sheet.cells
        formulas = self.sheet.formulas

        def put(r: int, c: int, v: Any) -> None:
            stored = _stored(v)
            formulas.pop((r, c), None)
            if isinstance(stored, Formula):
                formulas[(r, c)] = str(stored)
                cells.pop((r, c), None)
            elif stored is None:
                cells.pop((r, c), None)
            else:
                cells[(r, c)] = stored

        if isinstance(data, (list, tuple)):
            rows = [list(r) for r in data] if data and isinstance(data[0], (list, tuple)) else [list(data)]
            if len({len(r) for r in rows}) > 1:
                raise ValueError("rows of different lengths cannot be written to a range")
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    put(self.r1 + i, self.c1 + j, v)
        else:
            for r in range(self.r1, self.r2 + 1):
                for c in range(self.c1, self.c2 + 1):
                    put(r, c, data)

    @property
    def formula(self) -> Any:
        return self.sheet.formulas.get((self.r1, self.c1))

    def clear_contents(self) -> None:
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                self.sheet.cells.pop((r, c), None)
                self.sheet.formulas.pop((r, c), None)

    @property
    def color(self) -> tuple[int, int, int] | None:
        h = self.sheet.colours.get((self.r1, self.c1))
        return None if h is None else (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16))

    @color.setter
    def color(self, value: Any) -> None:
        h = _hex(value)
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                if h is None:
                    self.sheet.colours.pop((r, c), None)
                else:
                    self.sheet.colours[(r, c)] = h

    def __repr__(self) -> str:
        return f"<Range [{self.sheet.book.name}]{self.sheet.name}!{self.address}>"


# --------------------------------------------------------------------------- tables


class FakeTable:
    def __init__(self, sheet: "FakeSheet", name: str, ref: str) -> None:
        self.parent = sheet
        self.name = name
        self._r1, self._c1, self._r2, self._c2 = parse_ref(ref)

    @property
    def range(self) -> FakeRange:
        return FakeRange(self.parent, self._r1, self._c1, self._r2, self._c2)

    @property
    def header_row_range(self) -> FakeRange:
        return FakeRange(self.parent, self._r1, self._c1, self._r1, self._c2)

    @property
    def data_body_range(self) -> FakeRange | None:
        if self._r2 == self._r1:
            return None
        return FakeRange(self.parent, self._r1 + 1, self._c1, self._r2, self._c2)

    def resize(self, rng: FakeRange) -> None:
        if rng.sheet is not self.parent or rng.r1 != self._r1 or rng.c1 != self._c1:
            raise ValueError("ListObject.Resize: the header row must stay where it is")
        if rng.r2 < rng.r1 + 1:
            raise ValueError("ListObject.Resize: a table needs a data row")
        self._r2, self._c2 = rng.r2, rng.c2
        for k, c in enumerate(range(self._c1, self._c2 + 1), start=1):
            if self.parent.cells.get((self._r1, c)) in (None, ""):
                self.parent.cells[(self._r1, c)] = f"Column{k}"


class FakeTables:
    def __init__(self, sheet: "FakeSheet") -> None:
        self._sheet = sheet
        self._items: dict[str, FakeTable] = {}

    def __iter__(self) -> Iterator[FakeTable]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> FakeTable:
        for t in self._items.values():
            if t.name.lower() == name.lower():
                return t
        raise KeyError(name)

    def add(self, source: FakeRange, name: str) -> FakeTable:
        book = self._sheet.book
        if any(t.name.lower() == name.lower() for s in book.sheets for t in s.tables):
            raise ValueError(f"a table named {name} exists")
        t = FakeTable(self._sheet, name, source.address)
        self._items[name.lower()] = t
        return t


# --------------------------------------------------------------------------- sheets, names, book


class FakeSheet:
    def __init__(self, book: "FakeBook", name: str) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.colours: dict[tuple[int, int], str] = {}
        self.tables = FakeTables(self)

    def read_cell(self, r: int, c: int) -> Any:
        v = self.cells.get((r, c))
        if self.book.dates_as_serials and isinstance(v, dt.datetime):
            delta = v - _EPOCH
            return delta.days + delta.seconds / 86400
        return v

    def range(self, cell1: Any, cell2: Any = None) -> FakeRange:
        def corner(x: Any) -> tuple[int, int, int, int]:
            if isinstance(x, tuple):
                return x[0], x[1], x[0], x[1]
            if isinstance(x, FakeRange):
                return x.r1, x.c1, x.r2, x.c2
            return parse_ref(x)

        a = corner(cell1)
        b = corner(cell2) if cell2 is not None else a
        return FakeRange(self, min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))

    def __getitem__(self, ref: str) -> FakeRange:
        return self.range(ref)

    def __repr__(self) -> str:
        return f"<Sheet [{self.book.name}]{self.name}>"


class FakeSheets:
    def __init__(self) -> None:
        self._items: list[FakeSheet] = []

    def __iter__(self) -> Iterator[FakeSheet]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: Any) -> FakeSheet:
        if isinstance(key, int):
            return self._items[key]
        for s in self._items:
            if s.name.lower() == str(key).lower():
                return s
        raise KeyError(key)


class FakeName:
    def __init__(self, book: "FakeBook", name: str, refers_to: str) -> None:
        self._book = book
        self.name = name
        self.refers_to = refers_to

    @property
    def refers_to_range(self) -> FakeRange | None:
        text = self.refers_to.lstrip("=")
        if "!" not in text:
            return None
        sheet, ref = text.rsplit("!", 1)
        sheet = sheet.strip("'").replace("''", "'")
        try:
            return self._book.sheets[sheet].range(ref)
        except (KeyError, ValueError):
            return None


class FakeNames:
    def __init__(self, book: "FakeBook") -> None:
        self._book = book
        self._items: dict[str, FakeName] = {}

    def __iter__(self) -> Iterator[FakeName]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._items

    def __getitem__(self, name: str) -> FakeName:
        return self._items[name.lower()]

    def add(self, name: str, refers_to: str) -> FakeName:
        n = FakeName(self._book, name, refers_to if refers_to.startswith("=") else "=" + refers_to)
        self._items[name.lower()] = n
        return n


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[tuple[str, str]] = []

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: Any = None) -> str:
        self.alerts.append((title or "", prompt))
        return "ok"


class FakeBook:
    """An open workbook: the cells, tables and defined names of the file at ``path``."""

    _caller: "FakeBook | None" = None

    def __init__(self, path: str | Path, *, dates_as_serials: bool = False) -> None:
        import openpyxl

        self.fullname = str(path)
        self.name = Path(path).name
        self.dates_as_serials = dates_as_serials
        self.sheets = FakeSheets()
        self.names = FakeNames(self)
        self.app = FakeApp()
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            sheet = FakeSheet(self, ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if v is None or v == "":
                        continue
                    if isinstance(v, bool):
                        pass
                    elif isinstance(v, (int, float)):
                        v = float(v)
                    elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                        v = dt.datetime(v.year, v.month, v.day)
                    elif isinstance(v, dt.time):
                        v = (v.hour * 3600 + v.minute * 60 + v.second) / 86400
                    sheet.cells[(cell.row, cell.column)] = v
            for name, ref in ws.tables.items():
                sheet.tables._items[name.lower()] = FakeTable(sheet, name, ref)
            self.sheets._items.append(sheet)
        for name, dn in wb.defined_names.items():
            self.names.add(name, "=" + dn.attr_text)

    # xlwings' testing hook: Book.caller() returns the mock caller
    def set_mock_caller(self) -> None:
        type(self)._caller = self

    @classmethod
    def caller(cls) -> "FakeBook":
        if cls._caller is None:
            raise RuntimeError("no mock caller set")
        return cls._caller

    def __repr__(self) -> str:
        return f"<Book [{self.name}]>"
