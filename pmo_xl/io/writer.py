"""The lossless workbook editor (SPEC §9 "never lose data").

pmo_xl never loads and re-saves a user's workbook with a general-purpose library (that
drops shapes, form controls and whatever else it does not model). It edits the zip
package part by part: the parts it owns are rewritten, every other part is copied as its
original compressed bytes.

What it owns (``docs/fidelity.md``):

* the generated sheets (Validation, Schedule, Rollup, and the hidden Lists), written whole
  with their tables (:meth:`WorkbookEditor.replace_sheet`);
* rows it appends and cells it edits in existing tables (tblChanges, tblChangeLog,
  tblBudget) (:meth:`WorkbookEditor.append_rows`, :meth:`WorkbookEditor.set_cells`), which
  rewrites that one sheet part and its table part;
* defined names it sets (:meth:`WorkbookEditor.set_defined_name`);
* the registration parts: ``[Content_Types].xml``, ``xl/workbook.xml`` and its
  relationships, ``xl/styles.xml`` (appended to, never renumbered), ``docProps/app.xml``.
  ``xl/calcChain.xml`` is dropped when cells change (Excel rebuilds it) and the workbook
  is flagged ``fullCalcOnLoad`` so Excel and LibreOffice recalculate on open.

Example::

    ed = WorkbookEditor.open("project.xlsx")
    ed.replace_sheet("Validation", [TableBlock("tblFindings", findings_frame)])
    ed.append_rows("tblChangeLog", [{"Timestamp": "2026-03-01T10:00:00Z", "CR ID": "CR-0001",
                                     "Action": "add", "User": "ana"}])
    ed.save()  # atomic, over the source

Text is written as inline strings and is never a formula, whatever it starts with.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from lxml import etree

from .. import schema
from ..errors import NotAWorkbook, PmoError
from .atomic import atomic_path, check_not_open
from .package import open_package
from .parts import (
    CT_STYLES,
    CT_TABLE,
    CT_WORKSHEET,
    REL_CALC_CHAIN,
    REL_STYLES,
    REL_TABLE,
    REL_WORKSHEET,
    REL,
    q,
    rels_part,
    to_bytes,
)
from .parts import parse_xml as _parse
from .parts.cells import (
    Formula,
    cell_ref,
    cell_tail,
    cell_xml,
    col_letter,
    kind_of,
    normalize,
    number_text,
    parse_range,
    quote_sheet,
    range_ref,
    split_ref,
    text_tail,
)
from .parts.styles import StyleBook, is_date_format
from .parts.table import table_xml, valid_table_name
from .parts.workbook import AppXml, ContentTypes, Rels, WorkbookXml
from .parts.worksheet import GeneratedSheet, SheetDoc, generated_sheet_xml, kept_elements
from .parts.zipper import Entry, SourceZip, ZipProblem, write_zip

__all__ = ["Formula", "TableBlock", "WorkbookEditor", "REPLACEABLE_SHEETS"]

#: Sheets :meth:`WorkbookEditor.replace_sheet` may rewrite: pmo_xl's own (SPEC §2).
REPLACEABLE_SHEETS: tuple[str, ...] = tuple(
    s.name for s in schema.SHEETS if s.owner in ("pmo", "hidden") and s.name != "Change Log"
)

DATE_FORMAT = schema.DEFAULT_FORMATS["date"]
DATETIME_FORMAT = schema.DEFAULT_FORMATS["datetime"]
_REL_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_NAME_OK = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")


_TRUE = cell_tail(True, "bool")
_FALSE = cell_tail(False, "bool")


def _float_texts(values: list[Any]) -> tuple[list[str], list[str]]:
    """A column of floats (and Nones) as (number texts, kinds): what :func:`number_text`
    gives for each finite value ("number"), "" for None, NaN and infinities ("empty"),
    computed in bulk: integral values below 1e16 as their int, the others by ``repr``."""
    import numpy as np

    a = np.array(values, dtype=float)  # None -> NaN
    finite = np.isfinite(a)
    whole = finite & (np.abs(a) < 1e16)
    whole[whole] = a[whole] == np.trunc(a[whole])
    out = np.full(len(a), "", dtype=object)
    out[whole] = list(map(str, a[whole].astype(np.int64).tolist()))
    rest = finite & ~whole
    out[rest] = list(map(repr, a[rest].tolist()))
    texts = out.tolist()
    kinds = np.where(finite, "number", "empty").tolist()
    return texts, kinds


@dataclass
class TableBlock:
    """One table of a generated sheet.

    ``rows``: a DataFrame, a list of dicts keyed by header, or a list of sequences in
    header order. ``headers`` defaults to the schema's columns for ``name`` (else the
    DataFrame's columns / the first dict's keys). ``anchor`` is the header row's first
    cell (default: the template's anchor, else below the previous block); ``title`` goes
    one row above it, bold. ``formats`` maps header -> Excel number format (default: the
    schema's). ``links[i]`` (e.g. ``"Plan!G12"``) makes row i's ``link_column`` cell
    (default "Cell", else the first column) an internal hyperlink. ``fills[i]`` colours
    row i: one of ``critical, pass, fail, error, warning, info`` (or None).
    """

    name: str
    rows: Any = ()
    title: str = ""
    anchor: str | None = None
    headers: Sequence[str] | None = None
    formats: Mapping[str, str] = field(default_factory=dict)
    links: Sequence[str | None] | None = None
    link_column: str | None = None
    fills: Sequence[str | None] | None = None
    widths: Mapping[str, float] = field(default_factory=dict)
    style: str = "TableStyleLight9"


@dataclass
class _Table:
    """A table found in the workbook (current state, including pending edits)."""

    name: str
    part: str
    sheet: str
    sheet_part: str
    root: etree._Element


class _Bytes:
    """A part whose new content is already serialized."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.dirty = True

    def to_bytes(self) -> bytes:
        return self.data


class _Tree:
    """A part held as an lxml tree (a table part, a user sheet)."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.dirty = False

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)


class WorkbookEditor:
    """Edit an .xlsx/.xlsm package in place, keeping every part pmo_xl does not own.

    Nothing is written until :meth:`save`. Open, edit, save; the editor may be saved
    again after further edits.
    """

    def __init__(self, path: Path, blob: bytes, infos: list[Any], workbook_part: str) -> None:
        self.path = path
        self._stat = _stat(path)
        self._src = SourceZip(blob, infos)
        self._order: list[str] = [i.filename for i in infos]
        self._parts: dict[str, Any] = {}  # name -> holder with .dirty / .to_bytes()
        self._removed: set[str] = set()
        self._lower = {n.lower(): n for n in self._order}
        self.workbook_part = workbook_part
        self._wb = WorkbookXml(self._raw_read(workbook_part), workbook_part)
        self._parts[workbook_part] = self._wb
        pr = self._wb.root.find(q("workbookPr"))
        self.date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true", "on")
        self._styles: StyleBook | None = None

    # ================================================================== opening

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> WorkbookEditor:
        """Open ``path`` (checked by :func:`pmo_xl.io.package.open_package`: zip bombs,
        unsafe names, DTDs, encrypted or non-workbook files give a :class:`NotAWorkbook`)."""
        path = Path(path)
        with open_package(path) as pkg:
            if pkg.strict:
                raise NotAWorkbook(
                    "a Strict Open XML workbook: pmo_xl writes only the usual Excel Workbook format; "
                    "save it as 'Excel Workbook (.xlsx)' first",
                    path=str(path),
                )
            infos = pkg.zip.infolist()
            workbook_part = pkg.workbook_part
        blob = path.read_bytes()
        try:
            editor = cls(path, blob, infos, workbook_part)
        except ZipProblem as exc:
            raise NotAWorkbook(f"the workbook is damaged: {exc}", path=str(path)) from None
        except ValueError as exc:  # a part without its required elements
            raise NotAWorkbook(f"the workbook is damaged: {exc}", path=str(path)) from None
        if _stat(path) != editor._stat:
            raise PmoError("the workbook changed on disk while it was being opened; try again", path=str(path))
        return editor

    # ================================================================== part access

    def _has(self, name: str) -> bool:
        return name in self._parts or (name in self._src.by_name and name not in self._removed)

    def _find(self, name: str) -> str | None:
        if self._has(name):
            return name
        found = self._lower.get(name.lower())
        return found if found and self._has(found) else None

    def _raw_read(self, name: str) -> bytes:
        from .package import MAX_TOTAL_SIZE

        info = self._src.by_name[name]
        if info.file_size > MAX_TOTAL_SIZE:
            raise NotAWorkbook(f"refused: part {name!r} is too large", path=str(self.path))
        import zipfile
        import zlib

        try:
            raw = self._src.raw(info)
        except ZipProblem as exc:  # a central directory that lies about the part's size or place
            raise NotAWorkbook(f"the workbook is damaged: {exc}", path=str(self.path)) from None
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                data = raw
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                d = zlib.decompressobj(-15)
                data = d.decompress(raw, info.file_size + 1)
            else:
                with zipfile.ZipFile(io.BytesIO(self._src.blob)) as zf:
                    data = zf.read(name)
        except zlib.error as exc:
            raise NotAWorkbook(f"the workbook is damaged: part {name!r} ({exc})", path=str(self.path)) from None
        if len(data) != info.file_size:
            raise NotAWorkbook(f"the workbook is damaged: part {name!r} has the wrong size", path=str(self.path))
        return data

    def _read(self, name: str) -> bytes:
        holder = self._parts.get(name)
        if holder is not None:
            return holder.to_bytes()
        return self._raw_read(name)

    def _xml(self, name: str) -> etree._Element:
        return _parse(self._read(name), name)

    def _tree(self, name: str) -> _Tree:
        holder = self._parts.get(name)
        if holder is None:
            holder = _Tree(self._xml(name))
            self._parts[name] = holder
        return holder

    def _put(self, name: str, data: bytes) -> None:
        self._parts[name] = _Bytes(data)
        self._removed.discard(name)
        if name not in self._order:
            self._order.append(name)
            self._lower[name.lower()] = name

    def _remove(self, name: str) -> None:
        self._parts.pop(name, None)
        self._removed.add(name)

    def _rels(self, part: str) -> Rels:
        name = rels_part(part)
        holder = self._parts.get(name)
        if holder is None:
            found = self._find(name)
            holder = Rels(self._read(found) if found else None, part, name)
            self._parts[name] = holder
            if found is None and name not in self._order:
                self._order.append(name)
        return holder

    def _content_types(self) -> ContentTypes:
        # the part's name as the zip spells it: the package check finds it in any case
        # ("[CONTENT_TYPES].XML"), and it is saved back under that name
        name = self._find("[Content_Types].xml") or "[Content_Types].xml"
        holder = self._parts.get(name)
        if holder is None:
            if not self._has(name):
                raise NotAWorkbook("the workbook is damaged: it has no [Content_Types].xml", path=str(self.path))
            holder = ContentTypes(self._read(name))
            self._parts[name] = holder
        return holder

    def _app(self) -> AppXml | None:
        for rid, rtype, target, external in self._rels("").items():
            if rtype.endswith("/extended-properties") and not external:
                found = self._find(target)
                if found is None:
                    return None
                holder = self._parts.get(found)
                if holder is None:
                    try:
                        holder = AppXml(self._read(found), found)
                    except (NotAWorkbook, ValueError):
                        return None
                    self._parts[found] = holder
                return holder
        return None

    @property
    def styles(self) -> StyleBook:
        if self._styles is None:
            rels = self._rels(self.workbook_part)
            part = next((t for _, ty, t, ext in rels.items() if ty == REL_STYLES and not ext), None)
            found = self._find(part) if part else None
            if found:
                self._styles = StyleBook(self._read(found))
                self._parts[found] = self._styles
            else:
                self._styles = StyleBook(None)
                name = "xl/styles.xml"
                self._parts[name] = self._styles
                self._order.append(name)
                rels.add(REL_STYLES, name)
                self._content_types().override(name, CT_STYLES)
        return self._styles

    # ================================================================== the workbook's structure

    def sheets(self) -> list[tuple[str, str, str]]:
        """(name, part, kind) of every sheet, in workbook order (kind: worksheet, chartsheet...)."""
        rels = {rid: (ty, t) for rid, ty, t, ext in self._rels(self.workbook_part).items() if not ext}
        out = []
        for el in self._wb.sheet_elements():
            rtype, target = rels.get(el.get(q("id", REL), ""), ("", ""))
            part = (self._find(target) or "") if target else ""
            out.append((el.get("name", ""), part, rtype.rsplit("/", 1)[-1]))
        return out

    def _sheet(self, name: str) -> tuple[str, str, str] | None:
        low = name.lower()
        return next((s for s in self.sheets() if s[0].lower() == low), None)

    def tables(self) -> dict[str, _Table]:
        """Every table of the workbook by lower-case display name."""
        out: dict[str, _Table] = {}
        for sheet, part, kind in self.sheets():
            if kind != "worksheet" or not part:
                continue
            if rels_part(part) not in self._parts and not self._find(rels_part(part)):
                continue
            for _, rtype, target, ext in self._rels(part).items():
                if rtype != REL_TABLE or ext:
                    continue
                found = self._find(target)
                if not found:
                    continue
                root = self._tree(found).root
                name = root.get("displayName") or root.get("name") or ""
                out.setdefault(name.lower(), _Table(name, found, sheet, part, root))
        return out

    def _table(self, name: str) -> _Table:
        t = self.tables().get(name.lower())
        if t is None:
            raise PmoError(f"the workbook has no table {name!r}", path=str(self.path))
        return t

    def _after_cell_edit(self, formulas_gone: bool) -> None:
        """Cells changed: ask Excel and LibreOffice to recalculate everything on open.

        When formula cells went away (a generated sheet replaced, a formula cell
        overwritten) the calculation chain is dropped: an entry pointing at a cell
        without a formula is what makes Excel "repair" a file, and Excel rebuilds the
        chain by itself. Adding cells keeps it.
        """
        self._wb.full_calc_on_load()
        if not formulas_gone:
            return
        rels = self._rels(self.workbook_part)
        for rid, rtype, target, ext in rels.items():
            if rtype == REL_CALC_CHAIN and not ext:
                rels.remove(rid)
                found = self._find(target)
                if found:
                    self._remove(found)
                    self._content_types().remove(found)

    # ================================================================== generated sheets

    def replace_sheet(
        self,
        name: str,
        blocks: Sequence[TableBlock],
        *,
        after: str | None = None,
        heading: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Write pmo_xl's sheet ``name`` (one of :data:`REPLACEABLE_SHEETS`) with ``blocks``.

        An existing sheet of that name is replaced: its cells, hyperlinks and table parts
        go; its tab properties (colour, VBA code name), views, print setup, drawings,
        comments and controls stay. A missing sheet is added in template order (or right
        after sheet ``after``). ``heading`` goes in A1 (bold, larger).
        """
        canonical = next((s for s in REPLACEABLE_SHEETS if s.lower() == name.lower()), None)
        if canonical is None:
            raise PmoError(
                f"pmo_xl writes only its own sheets ({', '.join(REPLACEABLE_SHEETS)}), not {name!r}",
                path=str(self.path),
            )
        existing = self._sheet(name)
        if existing is not None and existing[2] != "worksheet":
            raise PmoError(f"sheet {existing[0]!r} is a {existing[2]}, not a worksheet; rename it", path=str(self.path))
        if existing is not None and not existing[1]:
            raise NotAWorkbook(f"the workbook is damaged: sheet {existing[0]!r} has no part", path=str(self.path))
        sheet_name = existing[0] if existing else canonical

        tables = self.tables()
        mine = {k for k, t in tables.items() if existing and t.sheet_part == existing[1]}
        defined = {
            (dn.get("name") or "").lower()
            for dn in self._wb.root.iter(q("definedName"))
        }
        seen: set[str] = set()
        for block in blocks:
            low = block.name.lower()
            if not valid_table_name(block.name):
                raise PmoError(f"{block.name!r} is not a valid table name", path=str(self.path))
            if low in seen:
                raise PmoError(f"table {block.name!r} twice on sheet {sheet_name!r}", path=str(self.path))
            seen.add(low)
            if low in tables and low not in mine:
                raise PmoError(
                    f"table name {block.name!r} is already used on sheet {tables[low].sheet!r}",
                    path=str(self.path),
                )
            if low in defined:
                raise PmoError(f"table name {block.name!r} clashes with a defined name", path=str(self.path))

        # ---- the sheet part and its relationships
        if existing is not None:
            part = existing[1]
            old_root = self._xml(part)
            rels = self._rels(part)
            for rid, rtype, target, ext in rels.items():
                if rtype == REL_TABLE and not ext:
                    rels.remove(rid)
                    found = self._find(target)
                    if found:
                        self._remove(found)
                        self._content_types().remove(found)
                elif rtype == _REL_HYPERLINK:
                    rels.remove(rid)
            kept = kept_elements(old_root)
        else:
            part = self._free_name("xl/worksheets/sheet{}.xml")
            rels = self._rels(part)
            kept = {}
            self._add_sheet(sheet_name, part, after=after, hidden=hidden)

        # ---- cells and tables
        sheet = GeneratedSheet()
        if heading:
            sheet.put(1, 1, cell_xml("A1", heading, self.styles.xf(title=True)))
        next_id = max([0, *(int(t.root.get("id", "0") or 0) for k, t in tables.items() if k not in mine)]) + 1
        next_row = 3 if heading else 1
        taken: list[tuple[int, int, int, int, str]] = []
        for block in blocks:
            c1, r1, c2, r2, header_row = self._layout_block(sheet, block, next_row)
            for other in taken:
                if not (c2 < other[0] or c1 > other[2] or r2 < other[1] or r1 > other[3]):
                    raise PmoError(f"tables {other[4]!r} and {block.name!r} overlap on sheet {sheet_name!r}")
            taken.append((c1, r1, c2, r2, block.name))
            next_row = r2 + 3
            tpart = self._free_name("xl/tables/table{}.xml")
            headers = self._headers(block)
            ref = range_ref(c1, header_row, c2, r2)
            self._put(tpart, table_xml(next_id, block.name, ref, headers, style=block.style))
            tree = _Tree(_parse(self._parts[tpart].data, tpart))  # later edits see the new table
            tree.dirty = True
            self._parts[tpart] = tree
            next_id += 1
            self._content_types().override(tpart, CT_TABLE)
            sheet.table_rids.append(rels.add(REL_TABLE, tpart))
        self._put(part, generated_sheet_xml(sheet, kept))
        self._after_cell_edit(formulas_gone=existing is not None)

    def _free_name(self, pattern: str) -> str:
        n = 1
        while True:
            name = pattern.format(n)
            if name.lower() not in self._lower and not self._has(name):
                self._lower[name.lower()] = name
                return name
            n += 1

    def _add_sheet(self, name: str, part: str, *, after: str | None, hidden: bool) -> None:
        current = self.sheets()
        names = [s[0].lower() for s in current]
        if after is not None:
            if after.lower() not in names:
                raise PmoError(f"the workbook has no sheet {after!r} to put {name!r} after", path=str(self.path))
            index = names.index(after.lower()) + 1
        else:
            order = {n.lower(): i for i, n in enumerate(schema.SHEET_NAMES)}
            mine = order[name.lower()]
            index = next((i for i, n in enumerate(names) if n in order and order[n] > mine), len(names))
        ct = self._content_types()
        ct.override(part, CT_WORKSHEET)
        rid = self._rels(self.workbook_part).add(REL_WORKSHEET, part)
        self._wb.insert_sheet(index, name, self._wb.next_sheet_id(), rid, "hidden" if hidden else "visible")
        app = self._app()
        if app is not None:
            position = sum(1 for s in current[:index] if s[2] == "worksheet")
            app.insert_worksheet(position, name)

    def _headers(self, block: TableBlock) -> list[str]:
        if block.headers is not None:
            headers = [str(h) for h in block.headers]
        elif block.name in schema.TABLES:
            headers = schema.TABLES[block.name].headers
        elif hasattr(block.rows, "columns"):
            headers = [str(c) for c in block.rows.columns]
        elif block.rows and isinstance(block.rows[0], Mapping):
            headers = [str(k) for k in block.rows[0]]
        else:
            raise ValueError(f"table {block.name}: give headers")
        if not headers:
            raise ValueError(f"table {block.name}: no columns")
        if len({h.lower() for h in headers}) != len(headers):
            raise ValueError(f"table {block.name}: duplicate headers")
        return headers

    def _rows_of(self, block: TableBlock, headers: list[str]) -> list[tuple[Any, ...]]:
        rows = block.rows
        if rows is None:
            return []
        if hasattr(rows, "itertuples"):  # a DataFrame
            missing = [h for h in headers if h not in rows.columns]
            if missing:
                raise ValueError(f"table {block.name}: the frame lacks columns {missing}")
            return list(rows[headers].itertuples(index=False, name=None))
        out = []
        for r in rows:
            if isinstance(r, Mapping):
                unknown = set(r) - set(headers)
                if unknown:
                    raise ValueError(f"table {block.name}: unknown columns {sorted(unknown)}")
                out.append(tuple(r.get(h) for h in headers))
            else:
                r = tuple(r)
                if len(r) != len(headers):
                    raise ValueError(f"table {block.name}: a row has {len(r)} values for {len(headers)} columns")
                out.append(r)
        return out

    def _columns_of(self, block: TableBlock, headers: list[str]) -> tuple[list[list[Any]], int]:
        """The block's values column by column (as :meth:`_rows_of` has them by row), and
        the number of rows. A DataFrame's columns are taken whole (``tolist``: Python
        scalars, the values its rows would give once normalised)."""
        rows = block.rows
        if hasattr(rows, "itertuples"):  # a DataFrame
            missing = [h for h in headers if h not in rows.columns]
            if missing:
                raise ValueError(f"table {block.name}: the frame lacks columns {missing}")
            frame = rows[headers]
            return [frame.iloc[:, j].tolist() for j in range(len(headers))], len(frame)
        by_row = self._rows_of(block, headers)
        if not by_row:
            return [[] for _ in headers], 0
        return [list(c) for c in zip(*by_row)], len(by_row)

    def _layout_block(self, sheet: GeneratedSheet, block: TableBlock, next_row: int) -> tuple[int, int, int, int, int]:
        """Put one block's cells into ``sheet``; return its area (title row included) and
        its header row."""
        headers = self._headers(block)
        columns, n_rows = self._columns_of(block, headers)
        anchor = block.anchor
        if anchor is None:
            from .template import GENERATED_ANCHORS

            anchor = GENERATED_ANCHORS.get(block.name)
        if anchor is None:
            anchor = cell_ref(1, next_row + (1 if block.title else 0))
        c0, header_row = split_ref(anchor)
        top = header_row
        st = self.styles
        if block.title:
            if header_row < 2:
                raise PmoError(f"table {block.name!r}: no room for its title above {anchor}")
            top = header_row - 1
            sheet.put(c0, top, cell_xml(cell_ref(c0, top), block.title, st.xf(bold=True), self.date1904))
        spec = schema.TABLES.get(block.name)
        header_style = st.xf(bold=True)
        fmts: list[str | None] = []
        for j, h in enumerate(headers):
            col = c0 + j
            sheet.put(col, header_row, cell_xml(cell_ref(col, header_row), h, header_style))
            column = None
            if spec is not None and h in spec.headers:
                column = spec.column(h)
            fmt = block.formats.get(h) or (column.format if column is not None else None)
            fmts.append(None if fmt == "@" else fmt)
            width = block.widths.get(h) or (column.width if column is not None else 14)
            sheet.widths[col] = max(sheet.widths.get(col, 0), width)
        link_col = None
        if block.links is not None:
            lc = block.link_column or ("Cell" if "Cell" in headers else headers[0])
            if lc not in headers:
                raise ValueError(f"table {block.name}: no link column {lc!r}")
            link_col = headers.index(lc)
        cache: dict[tuple[Any, ...], int] = {}

        def style(fmt: str | None, fill: str | None, link: bool, kind: str) -> int:
            if kind in ("date", "datetime") and not (fmt and is_date_format(fmt)):
                fmt = DATE_FORMAT if kind == "date" else DATETIME_FORMAT
            key = (fmt, fill, link)
            got = cache.get(key)
            if got is None:
                got = cache[key] = st.xf(fmt, fill=fill, link=link)
            return got

        d1904 = self.date1904
        fills = block.fills
        links = block.links
        n_fills = 0 if fills is None else min(len(fills), n_rows)
        row_fill = list(fills[:n_fills]) + [None] * (n_rows - n_fills) if fills is not None else [None] * n_rows
        row_refs = [str(header_row + 1 + i) for i in range(n_rows)]
        # column by column: each cell's kind and the text its template slot takes (a
        # number's digits, else the whole cell tail), the same cells as normalize() +
        # kind_of() + cell_xml(); plain floats, ints, bools, text and blanks (nearly every
        # cell) are handled in bulk
        col_kinds: list[list[str]] = []
        col_vals: list[list[str]] = []
        for values in columns:
            types = set(map(type, values))
            blank = {t for t in types if t is type(None) or (
                t.__name__ in ("NAType", "NaTType") and t.__module__.startswith("pandas"))}
            types -= blank
            if types == {float} and blank <= {type(None)}:
                vals, kinds = _float_texts(values)
            elif types == {int}:
                vals = ["" if type(v) in blank else str(v) for v in values] if blank else list(map(str, values))
                kinds = ["number" if t else "empty" for t in vals]
            elif types == {bool}:
                vals = ["" if type(v) in blank else (_TRUE if v else _FALSE) for v in values]
                kinds = ["bool" if t else "empty" for t in vals]
            elif types <= {str}:
                texts = {v: text_tail(v) for v in dict.fromkeys(values) if type(v) is str and v}  # "": empty
                vals = [texts.get(v, "") if type(v) is str else "" for v in values]
                kinds = ["text" if t else "empty" for t in vals]
            else:
                vals, kinds = [], []
                for raw in values:
                    value = normalize(raw)
                    kind = kind_of(value)
                    kinds.append(kind)
                    vals.append("" if kind == "empty" else number_text(value) if kind == "number"
                                else cell_tail(value, kind, d1904))
            col_kinds.append(kinds)
            col_vals.append(vals)
        flags: list[bool] | None = None
        if link_col is not None and links is not None:
            flags = [bool(links[i]) if i < len(links) else False for i in range(n_rows)]
        link_flags = flags if flags is not None else [False] * n_rows
        # each row's shape: its fill, its link flag and its cells' kinds; one XML template
        # per distinct shape, the row's values put in with one str.format
        shapes = list(zip(row_fill, link_flags, *col_kinds))
        letters = [col_letter(c0 + j) for j in range(len(columns))]
        attrs: dict[tuple[Any, ...], str] = {}  # (column, style key) -> ' s="n"' or ""
        templates: dict[tuple[Any, ...], str] = {}
        for shape in dict.fromkeys(shapes):  # first seen row by row: styles numbered so
            fill, flag = shape[0], shape[1]
            pieces = []
            for j, kind in enumerate(shape[2:]):
                akey = (j, fill, flag and j == link_col, kind)
                a = attrs.get(akey)
                if a is None:
                    n = style(fmts[j], fill, akey[2], kind)
                    a = attrs[akey] = f' s="{n}"' if n else ""
                if kind == "empty":
                    if a:
                        pieces.append(f'<c r="{letters[j]}{{0}}"{a}/>')
                elif kind == "number":
                    pieces.append(f'<c r="{letters[j]}{{0}}"{a}><v>{{{j + 1}}}</v></c>')
                else:
                    pieces.append(f'<c r="{letters[j]}{{0}}"{a}{{{j + 1}}}')
            templates[shape] = "".join(pieces)
        if flags is not None:
            letter = letters[link_col]  # type: ignore[index]
            for i, flag in enumerate(flags):
                if flag:
                    sheet.links.append((letter + row_refs[i], _location(str(links[i]))))  # type: ignore[index]
        # row by row: one run of cells per row (the block's columns are contiguous)
        rows_map = sheet.rows
        first = header_row + 1
        for i, (shape, args) in enumerate(zip(shapes, zip(row_refs, *col_vals))):
            xml = templates[shape].format(*args)
            if xml:
                rows_map.setdefault(first + i, []).append((c0, xml))
        r = header_row + n_rows
        last = max(r, header_row + 1)  # an empty table keeps one blank data row
        sheet.max_row = max(sheet.max_row, last)
        sheet.max_col = max(sheet.max_col, c0 + len(headers) - 1)
        return c0, top, c0 + len(headers) - 1, last, header_row

    # ================================================================== user tables

    def append_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append ``rows`` (dicts keyed by header) to table ``table``; return their Excel rows.

        Blank rows at the bottom of the table are filled first; then the table grows: its
        ref and autofilter, the sheet's dimension, and the data validations / conditional
        formats that ran to its last data row grow with it, and a totals row moves down.
        Refused (nothing written) when the cells below the table hold anything, or a
        merged range or another table is in the way.
        """
        t = self._table(table)
        if not rows:
            return []
        tree = self._tree(t.part)
        root = tree.root
        doc = self._sheet_doc(t.sheet_part)
        c1, r1, c2, r2 = parse_range(root.get("ref", ""))
        totals = 1 if int(root.get("totalsRowCount", "0") or 0) else 0
        header_rows = 1 if int(root.get("headerRowCount", "1") or 1) else 0
        first = r1 + header_rows
        data_last = r2 - totals
        columns = self._columns(t)
        for row in rows:
            unknown = [k for k in row if k not in columns]
            if unknown:
                raise PmoError(f"table {t.name} has no column {unknown[0]!r}", path=str(self.path))
        calculated = self._calculated(root)
        # the first blank row at the bottom of the table's data
        start = first
        for r in range(data_last, first - 1, -1):
            occupied = [
                ref for ref in doc.occupied(c1, c2, r) if columns_at(columns, split_ref(ref)[0]) not in calculated
            ]
            if occupied:
                start = r + 1
                break
        new_rows = list(range(start, start + len(rows)))
        new_data_last = max(data_last, new_rows[-1])
        grow = new_data_last - data_last
        new_r2 = r2 + grow
        if new_r2 > 1_048_576:
            raise PmoError(f"table {t.name} would run past Excel's last row", path=str(self.path))
        if grow:
            self._check_room(t, doc, c1, c2, r2, new_r2)
            if totals and any(
                f.get("t") == "shared" for c in doc.cells_in(c1, c2, r2) for f in c.iterfind(q("f"))
            ):
                raise PmoError(f"table {t.name}: its totals row holds shared formulas; pmo_xl cannot move it", path=str(self.path))
        gone = False
        if grow and totals:
            gone = doc.move_cells(c1, c2, r2, new_r2)
        for r, values in zip(new_rows, rows):
            above = r - 1 if r - 1 >= first else None
            for header, col in columns.items():
                if header in values:
                    value = normalize(values[header])
                elif header in calculated:
                    value = Formula(calculated[header])
                else:
                    value = None
                gone |= self._write(doc, col, r, value, above)
        if grow:
            root.set("ref", range_ref(c1, r1, c2, new_r2))
            af = root.find(q("autoFilter"))
            if af is not None:
                af.set("ref", range_ref(c1, r1, c2, new_data_last))
            doc.grow_dimension(c1, r1, c2, new_r2)
            doc.extend_sqrefs(c1, c2, first, data_last, new_data_last)
            tree.dirty = True
            self._parts[doc.part].dirty = True
        self._after_cell_edit(gone)
        return new_rows

    def _check_room(self, t: _Table, doc: SheetDoc, c1: int, c2: int, r2: int, new_r2: int) -> None:
        """Refuse when rows r2+1..new_r2 of the table's columns are not free."""
        for r in range(r2 + 1, new_r2 + 1):
            taken = doc.occupied(c1, c2, r)
            if taken:
                raise PmoError(
                    f"cannot add rows to table {t.name}: cell {t.sheet}!{taken[0]} below it is not empty; "
                    "move what is below the table and try again",
                    path=str(self.path),
                )
        for a1, b1, a2, b2 in doc.merged():
            if not (a2 < c1 or a1 > c2 or b2 <= r2 or b1 > new_r2):
                raise PmoError(
                    f"cannot add rows to table {t.name}: merged cells {range_ref(a1, b1, a2, b2)} on sheet "
                    f"{t.sheet!r} are in the way",
                    path=str(self.path),
                )
        for other in self.tables().values():
            if other.sheet_part != t.sheet_part or other.part == t.part:
                continue
            a1, b1, a2, b2 = parse_range(other.root.get("ref", ""))
            if not (a2 < c1 or a1 > c2 or b2 <= r2 or b1 > new_r2):
                raise PmoError(
                    f"cannot add rows to table {t.name}: table {other.name} on sheet {t.sheet!r} is in the way",
                    path=str(self.path),
                )

    def set_cells(self, table: str, row: int, values: Mapping[str, Any]) -> None:
        """Change cells of data row ``row`` (Excel row number) of ``table``, by header."""
        t = self._table(table)
        root = self._tree(t.part).root
        c1, r1, c2, r2 = parse_range(root.get("ref", ""))
        first = r1 + (1 if int(root.get("headerRowCount", "1") or 1) else 0)
        last = r2 - (1 if int(root.get("totalsRowCount", "0") or 0) else 0)
        if not first <= row <= last:
            raise PmoError(f"row {row} is not a data row of table {t.name} (rows {first}-{last})", path=str(self.path))
        columns = self._columns(t)
        unknown = [k for k in values if k not in columns]
        if unknown:
            raise PmoError(f"table {t.name} has no column {unknown[0]!r}", path=str(self.path))
        doc = self._sheet_doc(t.sheet_part)
        gone = False
        for header, value in values.items():
            gone |= self._write(doc, columns[header], row, normalize(value), None)
        self._after_cell_edit(gone)

    def _sheet_doc(self, part: str) -> SheetDoc:
        holder = self._parts.get(part)
        if not isinstance(holder, _SheetHolder):
            try:
                holder = _SheetHolder(SheetDoc(self._xml(part), part))
            except ValueError as exc:  # a cell or row reference that is not one ("5C", r="x")
                raise NotAWorkbook(f"the workbook is damaged: {part}: {exc}", path=str(self.path)) from None
            self._parts[part] = holder
        return holder.doc

    def _columns(self, t: _Table) -> dict[str, int]:
        c1 = parse_range(t.root.get("ref", ""))[0]
        cols = t.root.find(q("tableColumns"))
        names = [c.get("name", "") for c in (cols if cols is not None else ()) if etree.QName(c).localname == "tableColumn"]
        return {n.replace("_x000a_", "\n"): c1 + i for i, n in enumerate(names)}

    @staticmethod
    def _calculated(root: etree._Element) -> dict[str, str]:
        out = {}
        cols = root.find(q("tableColumns"))
        for c in cols if cols is not None else ():
            f = c.find(q("calculatedColumnFormula"))
            if f is not None and f.text and f.get("array") not in ("1", "true"):
                out[c.get("name", "").replace("_x000a_", "\n")] = f.text
        return out

    def _write(self, doc: SheetDoc, col: int, row: int, value: Any, above: int | None) -> bool:
        """Write one cell; True when it held a formula before."""
        cell = doc.cell(col, row)
        if cell is None and value is None:
            if above is None:
                return False
            s_above = doc.style_of(col, above)
            if s_above is None:
                return False
            cell = doc.ensure_cell(col, row)
            cell.set("s", str(s_above))
            self._parts[doc.part].dirty = True
            return False
        had_formula = cell is not None and cell.find(q("f")) is not None
        style = None
        current = int(cell.get("s")) if cell is not None and cell.get("s") else None
        if current is None and above is not None:
            current = doc.style_of(col, above)
            style = current
        kind = kind_of(value)
        if kind in ("date", "datetime") and not (current is not None and self.styles.is_date_style(current)):
            style = self.styles.xf(DATE_FORMAT if kind == "date" else DATETIME_FORMAT)
        if cell is None:
            cell = doc.ensure_cell(col, row)
        doc.set_value(cell, value, style, self.date1904)
        self._parts[doc.part].dirty = True
        return had_formula

    # ================================================================== defined names

    def set_defined_name(self, name: str, ref: str) -> None:
        """Create or change the workbook-scoped name ``name`` (e.g. ``"Validation!$A$1"``)."""
        if not _NAME_OK.match(name) or not valid_table_name(name):
            raise PmoError(f"{name!r} is not a valid defined name", path=str(self.path))
        if name.lower() in self.tables():
            raise PmoError(f"defined name {name!r} clashes with a table name", path=str(self.path))
        self._wb.set_defined_name(name, ref[1:] if ref.startswith("=") else ref)

    # ================================================================== saving

    def changed_parts(self) -> list[str]:
        """Names of the parts the next save writes anew (the rest are copied raw)."""
        return [n for n in self._order if n in self._parts and self._parts[n].dirty and n not in self._removed]

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the package atomically to ``path`` (default: over the source file).

        Untouched parts are copied as their original compressed bytes. The file is
        written to a temporary file beside the target, fsynced and renamed over it; on
        any failure the target is left as it was.
        """
        target = Path(path) if path is not None else self.path
        check_not_open(target)
        same = target.exists() and self.path.exists() and os.path.samefile(target, self.path)
        if same and _stat(self.path) != self._stat:
            raise PmoError(
                "the workbook changed on disk since pmo_xl opened it (saved by someone else?); nothing was written",
                path=str(target),
            )
        entries = []
        for name in self._order:
            if name in self._removed:
                continue
            holder = self._parts.get(name)
            info = self._src.by_name.get(name)
            if isinstance(holder, Rels) and holder.created and not holder.items():
                continue  # looked for, never needed
            if holder is not None and (holder.dirty or info is None):
                entries.append(Entry(name, info, holder.to_bytes()))
            elif info is not None:
                entries.append(Entry(name, info))
        try:
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as fh:
                    write_zip(fh, self._src, entries)
        except ZipProblem as exc:
            raise PmoError(f"cannot write the workbook: {exc}", path=str(target)) from None
        except PermissionError as exc:
            raise PmoError(f"cannot write the workbook: permission denied ({exc.filename})", path=str(target)) from None
        if same:
            self._stat = _stat(self.path)
        return target


class _SheetHolder:
    """A user sheet edited cell by cell."""

    def __init__(self, doc: SheetDoc) -> None:
        self.doc = doc
        self.dirty = False

    def to_bytes(self) -> bytes:
        return to_bytes(self.doc.root)


def columns_at(columns: Mapping[str, int], col: int) -> str | None:
    for name, c in columns.items():
        if c == col:
            return name
    return None


def _location(target: str) -> str:
    """``Plan!G12`` / ``Change Log!A5`` -> a hyperlink location (sheet quoted if needed)."""
    if "!" not in target:
        return target
    sheet, cell = target.rsplit("!", 1)
    if sheet.startswith("'") and sheet.endswith("'"):
        return target
    return f"{quote_sheet(sheet)}!{cell}"


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
