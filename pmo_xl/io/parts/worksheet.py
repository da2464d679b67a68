"""Worksheets: generated sheets written by streaming, and surgical edits of user sheets.

A generated sheet (Validation, Schedule, Rollup) is written whole as a string, row by row:
no DOM is built for its cells. What a user may have added to it that pmo_xl does not
generate — sheet properties (tab colour, VBA code name), view settings, print setup,
drawings, comments, controls — is carried over from the sheet it replaces.

A user sheet (Changes, Change Log, Budget) is edited in place with lxml: only the cells
pmo_xl writes change; every other element stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import MAIN, REL, XM, q
from .cells import (
    cell_ref,
    date_serial,
    escape_attr,
    encode_ooxml,
    kind_of,
    number_text,
    parse_range,
    range_ref,
    split_ref,
)

#: Elements of a replaced generated sheet that are kept (CT_Worksheet order). Conditional
#: formats and data validations stay: the template lays them over whole columns of the
#: generated tables (e.g. severity colours), which are rewritten at the same anchors.
KEPT_BEFORE_DATA = ("sheetPr", "sheetViews")
KEPT_BESIDE_DATA = ("conditionalFormatting", "dataValidations")
KEPT_AFTER_DATA = (
    "printOptions", "pageMargins", "pageSetup", "headerFooter", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
)
_ALLOWED_NS = {None, MAIN, REL}


@dataclass
class GeneratedSheet:
    """What goes into a generated sheet: cells by row, column widths, links, tables."""

    rows: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell, location)
    table_rids: list[str] = field(default_factory=list)
    max_col: int = 1
    max_row: int = 1

    def put(self, col: int, row: int, xml: str) -> None:
        if not xml:
            return
        self.rows.setdefault(row, []).append((col, xml))
        self.max_col = max(self.max_col, col)
        self.max_row = max(self.max_row, row)


def _clean_copy(el: etree._Element) -> str:
    """An element of an old sheet as text, without attributes of extension namespaces
    (their mc:Ignorable declaration lived on the old root)."""
    el = etree.fromstring(etree.tostring(el))
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        for key in list(node.attrib):
            ns = etree.QName(key).namespace
            if ns not in _ALLOWED_NS:
                del node.attrib[key]
    for node in list(el.iter()):
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).namespace not in (MAIN, REL) or etree.QName(node).localname == "extLst":
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    etree.cleanup_namespaces(el)
    text = etree.tostring(el, encoding="unicode")
    return text


def kept_elements(old: etree._Element | None) -> dict[str, str]:
    """The parts of an old generated sheet that the new one carries over."""
    kept: dict[str, str] = {}
    if old is None:
        return kept
    for child in old:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != MAIN:
            continue
        name = etree.QName(child).localname
        if name in KEPT_BEFORE_DATA or name in KEPT_BESIDE_DATA or name in KEPT_AFTER_DATA:
            if name == "sheetViews":
                for view in child:
                    if isinstance(view.tag, str):
                        view.attrib.pop("tabSelected", None)
            kept[name] = kept.get(name, "") + _clean_copy(child)  # conditionalFormatting repeats
    return kept


def generated_sheet_xml(sheet: GeneratedSheet, kept: dict[str, str]) -> bytes:
    """Serialize a generated sheet, streaming its rows."""
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
    ]
    if "sheetPr" in kept:
        out.append(kept["sheetPr"])
    out.append(f'<dimension ref="{range_ref(1, 1, sheet.max_col, sheet.max_row)}"/>')
    out.append(kept.get("sheetViews", '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'))
    out.append('<sheetFormatPr defaultRowHeight="15"/>')
    if sheet.widths:
        out.append("<cols>")
        for col in sorted(sheet.widths):
            out.append(f'<col min="{col}" max="{col}" width="{sheet.widths[col]:.6g}" customWidth="1"/>')
        out.append("</cols>")
    out.append("<sheetData>")
    for row in sorted(sheet.rows):
        cells = sheet.rows[row]
        if len(cells) > 1:
            cells.sort(key=lambda c: c[0])
        out.append(f'<row r="{row}">')
        out.extend(xml for _, xml in cells)
        out.append("</row>")
    out.append("</sheetData>")
    for name in KEPT_BESIDE_DATA:
        if name in kept:
            out.append(kept[name])
    if sheet.links:
        out.append("<hyperlinks>")
        for ref, location in sheet.links:
            out.append(
                f'<hyperlink ref="{ref}" location="{escape_attr(location)}" display="{escape_attr(location)}"/>'
            )
        out.append("</hyperlinks>")
    if "pageMargins" not in kept:
        kept = dict(kept)
        kept["pageMargins"] = (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        )
    for name in KEPT_AFTER_DATA:
        if name in kept:
            out.append(kept[name])
    if sheet.table_rids:
        out.append(f'<tableParts count="{len(sheet.table_rids)}">')
        out.extend(f'<tablePart r:id="{rid}"/>' for rid in sheet.table_rids)
        out.append("</tableParts>")
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


# ====================================================================== user sheets


class SheetDoc:
    """A user worksheet held as an lxml tree, for cell-level edits."""

    def __init__(self, root: etree._Element, part: str) -> None:
        self.root = root
        self.part = part
        data = root.find(q("sheetData"))
        if data is None:
            raise ValueError(f"{part} has no sheetData")
        self.data = data
        self._rows: dict[int, etree._Element] = {}
        last = 0
        for row in data.iterchildren(q("row")):
            r = int(row.get("r") or last + 1)
            row.set("r", str(r))
            last = r
            self._rows[r] = row
            col = 0
            for c in row.iterchildren(q("c")):
                ref = c.get("r")
                if ref:
                    col = split_ref(ref)[0]
                else:
                    col += 1
                    c.set("r", cell_ref(col, r))

    # ---------------------------------------------------------------- reading
    def row(self, r: int) -> etree._Element | None:
        return self._rows.get(r)

    def cell(self, col: int, r: int) -> etree._Element | None:
        row = self._rows.get(r)
        if row is None:
            return None
        ref = cell_ref(col, r)
        for c in row.iterchildren(q("c")):
            if c.get("r") == ref:
                return c
        return None

    @staticmethod
    def has_content(c: etree._Element) -> bool:
        return any(isinstance(ch.tag, str) and etree.QName(ch).localname in ("v", "is", "f") for ch in c)

    def occupied(self, c1: int, c2: int, r: int) -> list[str]:
        """References of cells with content in columns c1..c2 of row r."""
        row = self._rows.get(r)
        if row is None:
            return []
        found = []
        for c in row.iterchildren(q("c")):
            col = split_ref(c.get("r"))[0]
            if c1 <= col <= c2 and self.has_content(c):
                found.append(c.get("r"))
        return found

    def cells_in(self, c1: int, c2: int, r: int) -> list[etree._Element]:
        row = self._rows.get(r)
        if row is None:
            return []
        return [c for c in row.iterchildren(q("c")) if c1 <= split_ref(c.get("r"))[0] <= c2]

    def move_cells(self, c1: int, c2: int, src: int, dst: int) -> bool:
        """Move the cells of columns c1..c2 from row ``src`` to the empty row ``dst``
        (a table's totals row moving down). True when a formula cell moved."""
        moved = False
        for c in self.cells_in(c1, c2, src):
            col = split_ref(c.get("r"))[0]
            moved |= c.find(q("f")) is not None
            c.getparent().remove(c)
            slot = self.ensure_cell(col, dst)
            c.set("r", cell_ref(col, dst))
            slot.addprevious(c)
            slot.getparent().remove(slot)
        row = self._rows.get(src)
        if row is not None:
            row.attrib.pop("spans", None)
        return moved

    def merged(self) -> list[tuple[int, int, int, int]]:
        mc = self.root.find(q("mergeCells"))
        if mc is None:
            return []
        return [parse_range(m.get("ref")) for m in mc.iterchildren(q("mergeCell")) if m.get("ref")]

    # ---------------------------------------------------------------- writing
    def ensure_cell(self, col: int, r: int) -> etree._Element:
        row = self._rows.get(r)
        if row is None:
            row = etree.Element(q("row"), r=str(r))
            after = [n for n in self._rows if n > r]
            if after:
                self._rows[min(after)].addprevious(row)
            else:
                self.data.append(row)
            self._rows[r] = row
        row.attrib.pop("spans", None)
        ref = cell_ref(col, r)
        for c in row.iterchildren(q("c")):
            cc = split_ref(c.get("r"))[0]
            if cc == col:
                return c
            if cc > col:
                new = etree.Element(q("c"), r=ref)
                c.addprevious(new)
                return new
        new = etree.SubElement(row, q("c"), r=ref)
        return new

    @staticmethod
    def set_value(c: etree._Element, value: Any, style: int | None, date1904: bool) -> None:
        """Replace the content of cell ``c`` (style kept unless ``style`` is given)."""
        for child in list(c):
            c.remove(child)
        c.attrib.pop("t", None)
        c.attrib.pop("cm", None)
        c.attrib.pop("vm", None)
        if style is not None:
            if style:
                c.set("s", str(style))
            else:
                c.attrib.pop("s", None)
        kind = kind_of(value)
        if kind == "empty":
            return
        if kind == "bool":
            c.set("t", "b")
            etree.SubElement(c, q("v")).text = str(int(value))
        elif kind == "number":
            etree.SubElement(c, q("v")).text = number_text(value)
        elif kind in ("date", "datetime"):
            etree.SubElement(c, q("v")).text = number_text(date_serial(value, date1904))
        elif kind == "formula":
            etree.SubElement(c, q("f")).text = value.text
        else:
            text = str(value)[:32767]
            c.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(c, q("is")), q("t"))
            t.text = encode_ooxml(text)
            if text != text.strip() or "\n" in text:
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    def grow_dimension(self, c1: int, r1: int, c2: int, r2: int) -> None:
        dim = self.root.find(q("dimension"))
        if dim is None or not dim.get("ref"):
            return
        try:
            a1, b1, a2, b2 = parse_range(dim.get("ref"))
        except ValueError:
            return
        dim.set("ref", range_ref(min(a1, c1), min(b1, r1), max(a2, c2), max(b2, r2)))

    def extend_sqrefs(self, c1: int, c2: int, first: int, old_last: int, new_last: int) -> None:
        """Ranges of data validations and conditional formats that ended on the table's
        old last row (within its columns) are stretched to its new last row."""

        def stretch(sqref: str) -> str:
            parts = []
            for piece in sqref.split():
                try:
                    a1, b1, a2, b2 = parse_range(piece)
                except ValueError:
                    parts.append(piece)
                    continue
                if b2 == old_last and first <= b1 <= old_last and a1 >= c1 and a2 <= c2:
                    piece = range_ref(a1, b1, a2, new_last)
                parts.append(piece)
            return " ".join(parts)

        for el in self.root.iter(q("dataValidation"), q("conditionalFormatting")):
            if el.get("sqref"):
                el.set("sqref", stretch(el.get("sqref")))
        for el in self.root.iter(f"{{{XM}}}sqref"):
            if el.text:
                el.text = stretch(el.text)

    def style_of(self, col: int, r: int) -> int | None:
        c = self.cell(col, r)
        if c is None or c.get("s") is None:
            return None
        return int(c.get("s"))


__all__ = ["GeneratedSheet", "SheetDoc", "generated_sheet_xml", "kept_elements"]
