"""The live xlwings book: an open workbook (xlwings ``Book``) <-> :class:`~pmo_xl.model.Book`.

The Excel scripts (``udfs/pmo_udfs.py``) read a workbook that is open in Excel through
xlwings' object model instead of from a file. This module is that adapter, and nothing
else: it knows cells, tables and names, never earned value or critical paths.

* :func:`table_from_values` / :func:`frame_from_values`: a table's cell values as xlwings
  hands them over (a 2-D list, header row first; numbers as floats, dates as datetimes —
  or as date serials in xlwings Lite/Server —, empty cells as None) -> the typed frame
  the engine expects, with exactly the reader's coercion (:func:`pmo_xl.io.reader.coerce`)
  so a workbook read live and read from its file give the same frames.
* :class:`LiveBook` wraps an xlwings ``Book`` (or any object with the same API subset,
  e.g. ``tests/support/fakebook.py``): :meth:`LiveBook.read` reads every table once
  (``sheet.tables[name].range`` value) and every setting once
  (``book.names[name].refers_to_range``); :meth:`LiveBook.write_blocks` writes a
  generated sheet's :class:`~pmo_xl.io.writer.TableBlock` s, one value write per table
  (``table.resize`` + ``range.value = rows``), row colours as the file writer's
  (:data:`pmo_xl.io.parts.styles.FILLS`); :meth:`LiveBook.append_rows` and
  :meth:`LiveBook.set_cells` mirror :class:`~pmo_xl.io.writer.WorkbookEditor`'s methods
  of the same names, so a change-register edit is applied the same way to a file and to
  a live book.

xlwings API used (documented at https://docs.xlwings.org/en/stable/api/): ``book.sheets``
(iterable, ``[name]``), ``sheet.name``, ``sheet.tables`` (iterable, ``[name]``,
``add(source, name)``), ``sheet.range(address)``, ``Table.name / range /
header_row_range / data_body_range / resize(range)``, ``Range.value / options(ndim=2) /
resize / row / column / rows.count / columns.count / clear_contents() / color / offset``,
``book.names[name].refers_to_range / refers_to``, ``book.names.add(name, refers_to)``.

Text written into cells is prefixed with an apostrophe when Excel would otherwise turn it
into a formula (``=``, ``+``, ``-``, ``@``) or a number/date (``1.2``, ``2026-01-05``):
Excel stores the text, without the apostrophe (SPEC §9 "text is never turned into
formulas").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .. import schema
from ..errors import PmoError
from ..model import Book, CellIssue, StructureIssue, TableData
from .package import column_letter
from .parts.cells import normalize
from .parts.styles import FILLS
from .reader import (
    _Bad,
    _quote,
    _typed_series,
    cell_issue_text,
    coerce,
    empty_frame,
    missing_column_issue,
    missing_name_issue,
    missing_sheet_issues,
    missing_table,
    setting_value,
)

__all__ = [
    "LiveBook",
    "book_from_tables",
    "cell_value",
    "frame_from_values",
    "rows_of",
    "table_from_values",
    "FILL_COLOURS",
]

#: Row colours of generated tables, as hex strings (xlwings Lite accepts only these).
FILL_COLOURS: dict[str, str] = {k: "#" + v[-6:] for k, v in FILLS.items()}

_LOOKS_PARSED = re.compile(
    r"^\s*(?:[+-]?[\d.,]+%?(?:[eE][+-]?\d+)?|\d{1,4}[-/.]\d{1,2}.*|\d{1,2}:\d{2}.*|TRUE|FALSE|#.*)\s*$",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- values in


def _norm(header: Any) -> str:
    return " ".join(str(header).split()).casefold() if header is not None else ""


def _rows2d(values: Any) -> list[list[Any]]:
    """xlwings gives a scalar for one cell and a flat list for one row/column (unless
    ``ndim=2``); this always returns rows of cells."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if not values:
        return []
    if not isinstance(values[0], (list, tuple)):
        return [list(values)]  # one row (a header row alone, or ndim=1)
    return [list(r) for r in values]


def table_from_values(
    values: Any,
    table_name: str,
    *,
    sheet: str | None = None,
    first_row: int = 1,
    first_col: int = 1,
    date1904: bool = False,
) -> tuple[TableData, list[CellIssue], list[StructureIssue]]:
    """A table's cells (header row first) -> ``(TableData, cell issues, structure issues)``.

    Columns are found by header (exact, then case/space-insensitive), in any order, as
    the reader does; contract columns the range lacks are empty (and a structure issue);
    extra columns are kept as they come. Every cell is coerced with the reader's
    :func:`~pmo_xl.io.reader.coerce`; a cell that does not fit is empty in the frame and
    a :class:`~pmo_xl.model.CellIssue` naming the cell. Fully blank rows are dropped.
    ``first_row``/``first_col`` (1-based) place the header row's first cell, so the frame's
    index is the Excel row numbers and ``letters`` the real column letters.
    """
    spec = schema.TABLES[table_name]
    sheet = sheet or spec.sheet
    rows = _rows2d(values)
    header = [("" if h is None else str(h)) for h in rows[0]] if rows else []
    body = rows[1:]
    position = {h: i for i, h in enumerate(header) if h}
    by_norm = {_norm(h): h for h in header if h}
    header_of: dict[str, str] = {}
    for c in spec.columns:
        h = c.name if c.name in position else by_norm.get(_norm(c.name))
        if h is not None:
            header_of[c.name] = h
    used = set(header_of.values())
    extras = [h for h in header if h and h not in used]
    letters = {name: column_letter(first_col + position[h]) for name, h in header_of.items()}
    letters.update({h: column_letter(first_col + position[h]) for h in extras})

    structure: list[StructureIssue] = []
    for c in spec.columns:
        if c.name not in header_of:
            cell = f"{column_letter(first_col + max(len(header), 1) - 1)}{first_row}"
            structure.append(missing_column_issue(table_name, c, sheet, cell))

    index = pd.Index(range(first_row + 1, first_row + 1 + len(body)), dtype="int64", name="row")
    issues: list[CellIssue] = []
    columns: dict[str, pd.Series] = {}
    for c in spec.columns:
        h = header_of.get(c.name)
        if h is None:
            columns[c.name] = _typed_series([None] * len(body), c.kind, index)
            continue
        j = position[h]
        out: list[Any] = []
        for r, row in zip(index, body):
            raw = row[j] if j < len(row) else None
            try:
                out.append(coerce(raw, c.kind, date1904))
            except _Bad as bad:
                out.append(bad.converted)
                cell = f"{column_letter(first_col + j)}{r}"
                text = cell_issue_text(sheet, cell, bad.message, c.kind)
                issues.append(CellIssue(sheet, cell, table_name, c.name, int(r), raw, c.kind, text))
        columns[c.name] = _typed_series(out, c.kind, index)
    for h in extras:
        j = position[h]
        columns[h] = pd.Series([None if (j >= len(row) or row[j] == "") else row[j] for row in body], dtype=object, index=index)

    frame = pd.DataFrame(columns, index=index)
    blank = frame.isna().all(axis=1).to_numpy().copy()
    if blank.any():
        blank &= ~frame.index.isin([i.row for i in issues])
        frame = frame.loc[~blank]
    if not len(frame):
        frame = empty_frame(spec, extras)
    last_col = first_col + max(len(header), 1) - 1
    ref = f"{column_letter(first_col)}{first_row}:{column_letter(last_col)}{first_row + max(len(body), 1)}"
    data = TableData(name=table_name, sheet=sheet, frame=frame, letters=letters, ref=ref, header_row=first_row)
    return data, issues, structure


def frame_from_values(values: Any, table_name: str, *, first_row: int = 1, first_col: int = 1) -> pd.DataFrame:
    """The typed frame of table ``table_name`` from its cells (header row first), as the
    reader types it (see :func:`table_from_values`).

    >>> frame_from_values([["ID", "Task", "Duration"], [1.0, "Design", 5.0]], "tblPlan")["ID"].tolist()
    [1]
    """
    return table_from_values(values, table_name, first_row=first_row, first_col=first_col)[0].frame


def book_from_tables(
    tables: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
    *,
    anchors: Mapping[str, str] | None = None,
    path: str = "(cells)",
) -> Book:
    """A :class:`~pmo_xl.model.Book` from cell values of some tables (the Excel functions'
    ranges); every other contract table is present and empty, settings get their
    defaults. ``anchors`` maps a table name to its header row's first cell (``"A3"``) so
    findings name the real cells."""
    from .package import split_cell

    book = Book(path=path, settings={}, sheets=[s.name for s in schema.SHEETS])
    for s in schema.SETTINGS:
        v = (settings or {}).get(s.name)
        book.settings[s.name] = s.default if v is None else v
    for name, spec in schema.TABLES.items():
        if name in tables:
            row, col = split_cell((anchors or {}).get(name, "A1"))
            data, issues, structure = table_from_values(tables[name], name, first_row=row, first_col=col)
            book.issues += issues
            book.structure += structure
        else:
            data = TableData(name=name, sheet=spec.sheet, frame=empty_frame(spec), present=True)
        book.tables[name] = data
    book.template_version = schema.TEMPLATE_VERSION
    return book


# --------------------------------------------------------------------------- values out


def cell_value(value: Any) -> Any:
    """A Python/pandas value as it must be written to a cell through xlwings: None for
    empty, datetimes for dates, plain numbers, and text that Excel would parse (a
    formula, a number, a date) prefixed with an apostrophe so it stays text."""
    value = normalize(value)
    if isinstance(value, str):
        if value[:1] in ("=", "+", "-", "@", "'") or _LOOKS_PARSED.match(value):
            return "'" + value
        return value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _headers_of(block: Any) -> list[str]:
    if block.headers is not None:
        return [str(h) for h in block.headers]
    if block.name in schema.TABLES:
        return schema.TABLES[block.name].headers
    if hasattr(block.rows, "columns"):
        return [str(c) for c in block.rows.columns]
    raise ValueError(f"table {block.name}: give headers")


def rows_of(rows: Any, headers: Sequence[str]) -> list[list[Any]]:
    """A DataFrame, a list of dicts keyed by header or a list of sequences -> rows of
    cell values (:func:`cell_value`) in ``headers`` order."""
    if rows is None:
        return []
    if hasattr(rows, "itertuples"):
        return [[cell_value(v) for v in r] for r in rows[list(headers)].itertuples(index=False, name=None)]
    out = []
    for r in rows:
        if isinstance(r, Mapping):
            out.append([cell_value(r.get(h)) for h in headers])
        else:
            out.append([cell_value(v) for v in r])
    return out


# --------------------------------------------------------------------------- the live book


class LiveBook:
    """An open workbook seen through xlwings (``xw.Book``, or a stand-in with its API)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._tables: dict[str, Any] | None = None
        self._sheets: dict[str, Any] | None = None

    # ------------------------------------------------------------------ finding things
    @property
    def path(self) -> str:
        for attr in ("fullname", "name"):
            try:
                value = getattr(self.book, attr)
            except Exception:  # a closed or remote book
                continue
            if value:
                return str(value)
        return "(open workbook)"

    def _sheet_map(self) -> dict[str, Any]:
        """Sheet objects by lower-case name (one pass over ``book.sheets``)."""
        if self._sheets is None:
            self._sheets = {s.name.lower(): s for s in self.book.sheets}
        return self._sheets

    def sheet(self, name: str) -> Any:
        s = self._sheet_map().get(name.lower())
        if s is None:
            raise PmoError(f"the workbook has no sheet {name!r}", path=self.path)
        return s

    def tables(self) -> dict[str, Any]:
        """Table objects by lower-case name, wherever they are (as the reader finds them)."""
        if self._tables is None:
            found: dict[str, Any] = {}
            for s in self._sheet_map().values():
                for t in s.tables:
                    found.setdefault(t.name.lower(), t)
            self._tables = found
        return self._tables

    def table(self, name: str) -> Any:
        t = self.tables().get(name.lower())
        if t is None:
            spec = schema.TABLES.get(name)
            where = f" (sheet {spec.sheet})" if spec else ""
            raise PmoError(f"the workbook has no table {name}{where}; run `pmo-xl upgrade` to add it", path=self.path)
        return t

    def name_range(self, name: str) -> Any | None:
        """The cell a workbook-level defined name refers to, or None (no such name, or a
        name that is not a range)."""
        try:
            return self.book.names[name].refers_to_range
        except Exception:  # xlwings raises KeyError / a COM error / None for non-ranges
            return None

    # ------------------------------------------------------------------ reading
    def read(self) -> Book:
        """Every contract table and setting, read once, typed as the reader types them.

        What the workbook lacks becomes a :class:`~pmo_xl.model.StructureIssue` and an
        empty stand-in, exactly as :func:`pmo_xl.io.reader.load` reports it.
        """
        sheet_names = [s.name for s in self.book.sheets]
        book = Book(path=self.path, settings={}, sheets=sheet_names)
        tables = self.tables()
        names_found = [s.name for s in schema.SETTINGS if self.name_range(s.name) is not None]
        if not any(n.lower() in tables for n in schema.TABLES) and not names_found:
            from ..errors import NotAPmoWorkbook

            raise NotAPmoWorkbook("not a PMO workbook: no tblPlan table and no ProjectCode name", path=self.path)
        book.structure += missing_sheet_issues(sheet_names)
        self._read_settings(book)
        book.config = self.stored_config()
        for name, spec in schema.TABLES.items():
            t = tables.get(name.lower())
            if t is None:
                issue, book.tables[name] = missing_table(name, spec)
                book.structure.append(issue)
                continue
            rng = t.range
            data, issues, structure = table_from_values(
                rng.options(ndim=2).value, name, sheet=t.parent.name if hasattr(t, "parent") else spec.sheet,
                first_row=rng.row, first_col=rng.column,
            )
            book.tables[name] = data
            book.issues += issues
            book.structure += structure
        self._check_version(book)
        return book

    def _read_settings(self, book: Book) -> None:
        for s in schema.SETTINGS:
            rng = self.name_range(s.name)
            value: Any = None
            if rng is None:
                book.structure.append(missing_name_issue(s))
            else:
                sheet = rng.sheet.name
                cell = rng.address.replace("$", "").split(":")[0]
                book.setting_cells[s.name] = f"{_quote(sheet)}!{cell}"
                raw = rng.value
                if isinstance(raw, list):  # a name on several cells: its first
                    raw = _rows2d(raw)[0][0]
                value = setting_value(s, raw, sheet, cell, rng.row, book.issues)
            book.settings[s.name] = s.default if value is None else value

    def stored_config(self) -> Any:
        """The organisation settings the open workbook carries (``pmo-xl new --config``):
        its ``cfg…`` names (RAG and DCMA thresholds) and, when it has them, the extended
        drop-down lists (``lst_CostCategory``…), read from the cells as they are now — a
        never-saved or edited workbook included. The standard's settings when it has no
        ``cfg…`` name, exactly as :func:`pmo_xl.config.read_stored` reads a file, so the
        live and the file paths judge a workbook by the same limits."""
        import dataclasses

        from ..config import EXTENSIBLE_LISTS, OrgConfig, config_from_values, stored_names

        values: dict[str, Any] = {}
        for name in stored_names():
            rng = self.name_range(name)
            if rng is None:
                continue
            raw = rng.value
            if isinstance(raw, (list, tuple)):  # a name on several cells: its first
                rows = _rows2d(raw)
                raw = rows[0][0] if rows and rows[0] else None
            values[name] = raw
        if not values:
            return OrgConfig()
        cfg = config_from_values(values, source=self.path)
        extra: dict[str, tuple[str, ...]] = {}
        for key in EXTENSIBLE_LISTS.values():
            rng = self.name_range("lst_" + key)
            if rng is None:
                continue
            items = [v for row in _rows2d(rng.options(ndim=2).value) for v in row]
            standard = {x.lower() for x in schema.LISTS[key]}
            add = tuple(x for x in items if isinstance(x, str) and x and x.lower() not in standard)
            if add:
                extra[key] = add
        return dataclasses.replace(cfg, extra_lists=extra)

    def _check_version(self, book: Book) -> None:
        if self.name_range("TemplateVersion") is None:
            return
        v = book.settings.get("TemplateVersion")
        version = int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() else None
        book.template_version = version
        if version is None or version < 1:
            book.structure.append(StructureIssue(kind="version", name="TemplateVersion", sheet="Project",
                                                 message=f"unknown template version {v!r}; this pmo-xl reads version {schema.TEMPLATE_VERSION}"))
        elif version > schema.TEMPLATE_VERSION:
            book.structure.append(StructureIssue(kind="version", name="TemplateVersion", sheet="Project",
                                                 message=f"template version {version} is newer than this pmo-xl ({schema.TEMPLATE_VERSION}): upgrade pmo-xl"))

    def value(self, name: str) -> Any:
        """The value of the cell a defined name refers to (None when there is no such name)."""
        rng = self.name_range(name)
        return None if rng is None else rng.value

    # ------------------------------------------------------------------ writing
    # sheets / replace_sheet / set_defined_name / save are WorkbookEditor's interface, so
    # pmo_xl.commands.results.write_results(..., editor=LiveBook(book)) stores results in
    # a live book through the very code that stores them in a file.
    def sheets(self) -> list[tuple[str, str, str]]:
        """(name, part, kind) of every sheet, as :meth:`WorkbookEditor.sheets` (no parts)."""
        return [(s.name, "", "worksheet") for s in self._sheet_map().values()]

    def replace_sheet(self, name: str, blocks: Sequence[Any], *, heading: str | None = None, **_: Any) -> None:
        """:meth:`WorkbookEditor.replace_sheet` on a live book: :meth:`write_blocks`."""
        self.write_blocks(name, blocks, heading=heading)

    def save(self) -> str:
        """Nothing to do: every write went straight to the open workbook."""
        return self.path

    def write_blocks(self, sheet_name: str, blocks: Iterable[Any], heading: str | None = None) -> None:
        """Write a generated sheet's tables (:class:`~pmo_xl.io.writer.TableBlock` s):
        each table resized to its rows and written in one value write, its title on the
        row above, row fills as colours, ``heading`` in A1. A table the workbook lacks is
        created at its template anchor (:data:`pmo_xl.io.template.GENERATED_ANCHORS`)."""
        from .template import TABLE_ANCHORS

        ws = self.sheet(sheet_name)
        if heading is not None:
            ws.range("A1").value = cell_value(heading)
        for block in blocks:
            headers = _headers_of(block)
            rows = rows_of(block.rows, headers)
            t = self.tables().get(block.name.lower())
            if t is None:
                anchor = block.anchor or TABLE_ANCHORS.get(block.name, "A3")
                top = ws.range(anchor)
                top.resize(max(len(rows), 1) + 1, len(headers)).clear_contents()
                t = ws.tables.add(source=top.resize(max(len(rows), 1) + 1, len(headers)), name=block.name)
                self.tables()[block.name.lower()] = t
            self._write_table(ws, t, headers, rows, block)

    def _write_table(self, ws: Any, t: Any, headers: list[str], rows: list[list[Any]], block: Any) -> None:
        top = t.range[0, 0] if hasattr(t.range, "__getitem__") else t.range.resize(1, 1)
        old = t.data_body_range
        old_rows = old.rows.count if old is not None else 0
        old_cols = t.range.columns.count
        n = max(len(rows), 1)  # a table keeps one (blank) data row, as in Excel
        width = len(headers)
        t.resize(top.resize(n + 1, width))
        # what the old table covered and the new one does not: cleared, uncoloured
        if old_rows > n:
            leftover = top.offset(n + 1, 0).resize(old_rows - n, max(old_cols, width))
            leftover.clear_contents()
            leftover.color = None
        if old_cols > width:
            right = top.offset(0, width).resize(n + 1, old_cols - width)
            right.clear_contents()
        top.resize(1, width).value = [headers]
        body = top.offset(1, 0).resize(n, width)
        if rows:
            body.value = rows
        else:
            body.clear_contents()
        body.color = None
        fills = list(block.fills or [])
        i = 0
        while i < len(fills):  # one colour call per run of equal fills
            f = fills[i]
            j = i
            while j + 1 < len(fills) and fills[j + 1] == f:
                j += 1
            if f in FILL_COLOURS:
                top.offset(1 + i, 0).resize(j - i + 1, width).color = FILL_COLOURS[f]
            i = j + 1
        if block.title and top.row > 1:
            ws.range((top.row - 1, top.column)).value = cell_value(block.title)

    def append_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append ``rows`` (dicts keyed by header) below table ``table`` and grow it;
        a blank last row (an empty table's placeholder) is filled first. Returns the
        Excel rows written. Refused when the cells below the table are not empty."""
        if not rows:
            return []
        t = self.table(table)
        headers = [str(h) for h in t.header_row_range.options(ndim=1).value]
        unknown = sorted({k for r in rows for k in r} - set(headers))
        if unknown:
            raise PmoError(f"table {t.name} has no column {unknown[0]!r}", path=self.path)
        top = t.range[0, 0] if hasattr(t.range, "__getitem__") else t.range.resize(1, 1)
        body = t.data_body_range
        n_old = body.rows.count if body is not None else 0
        first_free = n_old
        if n_old:
            last = body.options(ndim=2).value[-n_old:]
            while first_free > 0 and all(v is None or v == "" for v in last[first_free - 1]):
                first_free -= 1
        n_new = first_free + len(rows)
        if n_new > n_old:
            below = top.offset(n_old + 1, 0).resize(n_new - n_old, len(headers))
            if any(v is not None and v != "" for r in _rows2d(below.options(ndim=2).value) for v in r):
                raise PmoError(f"cannot grow table {t.name}: the cells below it ({below.address}) are not empty", path=self.path)
            t.resize(top.resize(n_new + 1, len(headers)))
        block = top.offset(1 + first_free, 0).resize(len(rows), len(headers))
        block.value = [[cell_value(r.get(h)) for h in headers] for r in rows]
        return [top.row + 1 + first_free + i for i in range(len(rows))]

    def set_cells(self, table: str, row: int, values: Mapping[str, Any]) -> None:
        """Change cells of data row ``row`` (Excel row number) of ``table``, by header."""
        t = self.table(table)
        headers = [str(h) for h in t.header_row_range.options(ndim=1).value]
        top = t.range
        first, last = top.row + 1, top.row + top.rows.count - 1
        if not first <= row <= last:
            raise PmoError(f"row {row} is not a data row of table {t.name} (rows {first}-{last})", path=self.path)
        ws = t.parent if hasattr(t, "parent") else None
        for header, value in values.items():
            if header not in headers:
                raise PmoError(f"table {t.name} has no column {header!r}", path=self.path)
            cell = (row, top.column + headers.index(header))
            (ws.range(cell) if ws is not None else top.offset(row - top.row, headers.index(header)).resize(1, 1)).value = cell_value(value)

    def set_defined_name(self, name: str, formula: str) -> None:
        """Create or change the workbook-level name ``name`` (``"=Rollup!$Y$4:$Y$9"``)."""
        refers_to = formula if formula.startswith("=") else "=" + formula
        try:
            self.book.names[name].refers_to = refers_to
        except Exception:  # no such name yet
            self.book.names.add(name, refers_to)

    def clear(self, names: Iterable[str]) -> None:
        """Empty the cells the given defined names refer to (those that exist)."""
        for name in names:
            rng = self.name_range(name)
            if rng is not None:
                rng.clear_contents()

    def put(self, name: str, value: Any) -> bool:
        """Write ``value`` into the cell of defined name ``name``; False if there is none."""
        rng = self.name_range(name)
        if rng is None:
            return False
        rng.value = cell_value(value)
        return True

