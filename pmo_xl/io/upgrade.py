"""Bringing a workbook of an older or incomplete layout to the current template (SPEC §1, §9).

:class:`UpgradeEditor` is the :class:`~pmo_xl.io.writer.WorkbookEditor` plus the package
edits only an upgrade needs: a new user sheet, a table on an existing sheet, a column
appended to a table, a data validation (drop-down), a defined name with its labelled cell
on sheet Project, and the ``TemplateVersion`` custom document property. Each of them only
adds: no cell holding anything is overwritten, nothing is removed or reordered, and every
part it does not touch is copied byte for byte by the editor.

:func:`plan_upgrade` works out and applies, in memory, what the workbook lacks compared
with :mod:`pmo_xl.schema`, in template order:

1. sheets (new user sheets get their title, an empty table and its drop-downs; the
   Dashboard, which is the template's own artwork, is never invented: a note says so);
2. tables missing on an existing sheet (at the template's anchor when that area is free,
   else to the right of what the sheet holds);
3. columns missing from an existing table, appended at its right end (after any column a
   team added), refused with a clear message when the cells there are not free;
4. defined names: project settings (a labelled cell below the settings block, with the
   default), drop-down lists (``lst_…`` on the Lists sheet) and the Dashboard chart names;
5. drop-downs (list validations) on choice columns that have none;
6. the template version: the ``TemplateVersion`` cell and custom document property.

The caller saves (or, for a dry run, does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import schema
from ..errors import NotAPmoWorkbook, PmoError
from .parts import CT_TABLE, REL, REL_TABLE, VT, q, to_bytes
from .parts import parse_xml as _parse
from .parts.cells import cell_ref, cell_xml, col_letter, parse_range, quote_sheet, range_ref, split_ref
from .parts.table import table_xml
from .parts.worksheet import GeneratedSheet, SheetDoc, generated_sheet_xml
from .writer import WorkbookEditor, _Tree

__all__ = ["Change", "UpgradeEditor", "UpgradePlan", "plan_upgrade", "workbook_version"]

MAX_ROW = 1_048_576
REL_CUSTOM_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

#: CT_Worksheet child order (ECMA-376 §18.3.1.99): where a new element goes.
_SHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst",
)


@dataclass
class Change:
    """One thing an upgrade adds."""

    kind: str  # sheet | table | column | name | dropdown | version | note
    name: str
    sheet: str = ""
    where: str = ""  # cell or range, e.g. "S3" or "A3:G4"
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "sheet": self.sheet, "where": self.where, "detail": self.detail}

    def __str__(self) -> str:
        at = f" ({quote_sheet(self.sheet)}!{self.where})" if self.sheet and self.where else (f" (sheet {self.sheet})" if self.sheet else "")
        text = {"note": "note:", "version": "set"}.get(self.kind, f"add {self.kind}")
        return f"{text} {self.name}{at}" + (f": {self.detail}" if self.detail else "")


@dataclass
class UpgradePlan:
    from_version: int | None
    to_version: int = schema.TEMPLATE_VERSION
    changes: list[Change] = field(default_factory=list)

    @property
    def needed(self) -> bool:
        return any(c.kind != "note" for c in self.changes)


# =========================================================================== the editor


class UpgradeEditor(WorkbookEditor):
    """The workbook editor plus what an upgrade adds (never overwrites, never removes)."""

    # ------------------------------------------------------------------ reading

    def defined_name(self, name: str) -> str | None:
        """Formula of the workbook-scoped name ``name`` (case-insensitive), else None."""
        names = self._wb.root.find(q("definedNames"))
        for dn in names if names is not None else ():
            if isinstance(dn.tag, str) and dn.get("localSheetId") is None and (dn.get("name") or "").lower() == name.lower():
                return (dn.text or "").strip()
        return None

    def defined_names(self) -> set[str]:
        names = self._wb.root.find(q("definedNames"))
        return {(dn.get("name") or "").lower() for dn in (names if names is not None else ()) if isinstance(dn.tag, str)}

    def sheet_doc(self, sheet: str) -> tuple[str, SheetDoc]:
        found = self._sheet(sheet)
        if found is None or found[2] != "worksheet" or not found[1]:
            raise PmoError(f"the workbook has no worksheet {sheet!r}", path=str(self.path))
        return found[0], self._sheet_doc(found[1])

    def cell_value(self, sheet: str, ref: str) -> Any:
        """The value of one cell (number, text, bool) or None; shared strings resolved."""
        try:
            _, doc = self.sheet_doc(sheet)
        except PmoError:
            return None
        col, row = split_ref(ref.replace("$", ""))
        c = doc.cell(col, row)
        if c is None:
            return None
        t = c.get("t")
        if t == "inlineStr":
            return "".join(c.itertext())
        v = c.find(q("v"))
        if v is None or v.text is None:
            return None
        if t == "s":
            return self._shared_string(int(v.text))
        if t in ("str", "e"):
            return v.text
        if t == "b":
            return v.text.strip() in ("1", "true")
        try:
            n = float(v.text)
        except ValueError:
            return v.text
        return int(n) if n.is_integer() else n

    def _shared_string(self, index: int) -> str | None:
        if not hasattr(self, "_sst"):
            rels = self._rels(self.workbook_part)
            part = next((t for _, ty, t, ext in rels.items() if ty.endswith("/sharedStrings") and not ext), None)
            found = self._find(part) if part else None
            self._sst = _parse(self._read(found), found) if found else None
        if self._sst is None:
            return None
        items = [si for si in self._sst if isinstance(si.tag, str)]
        if index >= len(items):
            return None
        si = items[index]
        return "".join(t.text or "" for t in si.iter(q("t")) if etree.QName(t.getparent()).localname != "rPh")

    def used_area(self, doc: SheetDoc) -> tuple[int, int]:
        """(last column, last row) holding a cell with content (0, 0 when empty)."""
        last_c = last_r = 0
        for r, row in doc._rows.items():
            for c in row.iterchildren(q("c")):
                if SheetDoc.has_content(c):
                    last_c = max(last_c, split_ref(c.get("r"))[0])
                    last_r = max(last_r, r)
        return last_c, last_r

    def area_free(self, sheet_part: str, doc: SheetDoc, c1: int, r1: int, c2: int, r2: int) -> str | None:
        """None when the rectangle holds no content, no merged cell and no table; else why."""
        for r in range(r1, r2 + 1):
            taken = doc.occupied(c1, c2, r)
            if taken:
                return f"cell {taken[0]} is not empty"
        for a1, b1, a2, b2 in doc.merged():
            if not (a2 < c1 or a1 > c2 or b2 < r1 or b1 > r2):
                return f"merged cells {range_ref(a1, b1, a2, b2)} are in the way"
        for t in self.tables().values():
            if t.sheet_part != sheet_part:
                continue
            a1, b1, a2, b2 = parse_range(t.root.get("ref", ""))
            if not (a2 < c1 or a1 > c2 or b2 < r1 or b1 > r2):
                return f"table {t.name} is in the way"
        return None

    def _dirty(self, part: str) -> None:
        self._parts[part].dirty = True

    # ------------------------------------------------------------------ sheets

    def add_user_sheet(self, name: str, title: str, note: str, widths: dict[int, float], hidden: bool = False) -> str:
        """A new worksheet ``name`` in template order with a title (A1) and a note (A2)."""
        if self._sheet(name) is not None:
            raise PmoError(f"the workbook already has a sheet {name!r}", path=str(self.path))
        part = self._free_name("xl/worksheets/sheet{}.xml")
        sheet = GeneratedSheet()
        st = self.styles
        if title:
            sheet.put(1, 1, cell_xml("A1", title, st.xf(title=True)))
        if note:
            sheet.put(1, 2, cell_xml("A2", note, 0))
        sheet.widths.update(widths)
        self._put(part, generated_sheet_xml(sheet, {}))
        self._add_sheet(name, part, after=None, hidden=hidden)
        return part

    # ------------------------------------------------------------------ tables

    def add_table(self, sheet: str, name: str, headers: list[str], anchor: tuple[int, int], *,
                  title: str = "", style: str = "TableStyleMedium2", formats: list[str | None] | None = None) -> str:
        """An empty table (header row + one blank row) with its header at ``anchor``
        (column, row); ``title`` goes in the cell above when that cell is free."""
        sheet_name, doc = self.sheet_doc(sheet)
        part = doc.part
        c1, r1 = anchor
        c2, r2 = c1 + len(headers) - 1, r1 + 1
        why = self.area_free(part, doc, c1, r1, c2, r2)
        if why:
            raise PmoError(f"cannot add table {name} at {sheet_name}!{range_ref(c1, r1, c2, r2)}: {why}", path=str(self.path))
        if name.lower() in self.defined_names():
            raise PmoError(f"cannot add table {name}: a defined name of that name exists", path=str(self.path))
        st = self.styles
        if title and r1 > 1 and doc.cell(c1, r1 - 1) is None:
            doc.set_value(doc.ensure_cell(c1, r1 - 1), title, st.xf(bold=True), self.date1904)
        header_style = st.xf(bold=True)
        for j, h in enumerate(headers):
            doc.set_value(doc.ensure_cell(c1 + j, r1), h, header_style, self.date1904)
            fmt = formats[j] if formats else None
            if fmt and fmt != "@":
                doc.set_value(doc.ensure_cell(c1 + j, r2), None, st.xf(fmt), self.date1904)
        doc.grow_dimension(c1, r1 - (1 if title and r1 > 1 else 0), c2, r2)
        ref = range_ref(c1, r1, c2, r2)
        next_id = max([0, *(int(t.root.get("id", "0") or 0) for t in self.tables().values())]) + 1
        tpart = self._free_name("xl/tables/table{}.xml")
        self._put(tpart, table_xml(next_id, name, ref, headers, style=style))
        tree = _Tree(_parse(self._parts[tpart].data, tpart))
        tree.dirty = True
        self._parts[tpart] = tree
        self._content_types().override(tpart, CT_TABLE)
        rid = self._rels(part).add(REL_TABLE, tpart)
        parts_el = doc.root.find(q("tableParts"))
        if parts_el is None:
            parts_el = _place(doc.root, etree.Element(q("tableParts")))
        el = etree.SubElement(parts_el, q("tablePart"))
        el.set(q("id", REL), rid)
        parts_el.set("count", str(len([x for x in parts_el if isinstance(x.tag, str)])))
        self._dirty(part)
        return ref

    def free_anchor(self, sheet: str, preferred: tuple[int, int], width: int, title: bool) -> tuple[int, int]:
        """``preferred`` (column, header row) when the table (and its title row above,
        with ``title``) fits there, else the same row to the right of everything the
        sheet holds."""
        _, doc = self.sheet_doc(sheet)
        c, r = preferred
        top = max(1, r - 1) if title else r
        if self.area_free(doc.part, doc, c, top, c + width - 1, r + 1) is None:
            return preferred
        last_c, _ = self.used_area(doc)
        for t in self.tables().values():
            if t.sheet_part == doc.part:
                last_c = max(last_c, parse_range(t.root.get("ref", ""))[2])
        return last_c + 2, r

    # ------------------------------------------------------------------ columns

    def add_columns(self, table: str, headers: list[str], formats: list[str | None] | None = None) -> list[str]:
        """Append columns to the right end of ``table``: header cells (styled like the
        current last header), table ref, tableColumns and autofilter. Returns the header
        cells written. Refused when a cell of the new columns is not free."""
        t = self._table(table)
        tree = self._tree(t.part)
        root = tree.root
        doc = self._sheet_doc(t.sheet_part)
        c1, r1, c2, r2 = parse_range(root.get("ref", ""))
        n = len(headers)
        has_header = int(root.get("headerRowCount", "1") or 1) != 0
        why = self.area_free(t.sheet_part, doc, c2 + 1, r1, c2 + n, r2)
        if why:
            raise PmoError(
                f"cannot add column(s) {', '.join(headers)} to table {t.name} on sheet {t.sheet!r}: {why} "
                f"(columns {col_letter(c2 + 1)}:{col_letter(c2 + n)}); move it and run pmo-xl upgrade again",
                path=str(self.path),
            )
        if c2 + n > 16384:
            raise PmoError(f"table {t.name} would run past Excel's last column", path=str(self.path))
        header_style = doc.style_of(c2, r1) if has_header else None
        written = []
        first_data = r1 + (1 if has_header else 0)
        last_data = r2 - (1 if int(root.get("totalsRowCount", "0") or 0) else 0)
        for j, h in enumerate(headers):
            col = c2 + 1 + j
            if has_header:
                doc.set_value(doc.ensure_cell(col, r1), h, header_style, self.date1904)
                written.append(cell_ref(col, r1))
            fmt = formats[j] if formats else None
            if fmt and fmt != "@":
                style = self.styles.xf(fmt)
                for r in range(first_data, last_data + 1):
                    doc.set_value(doc.ensure_cell(col, r), None, style, self.date1904)
        cols = root.find(q("tableColumns"))
        existing = [c for c in cols if isinstance(c.tag, str)]
        next_id = max([0, *(int(c.get("id", "0") or 0) for c in existing)]) + 1
        anchor_el = existing[-1] if existing else None
        for j, h in enumerate(headers):
            el = etree.Element(q("tableColumn"), id=str(next_id + j), name=h.replace("\n", "_x000a_"))
            if anchor_el is not None:
                anchor_el.addnext(el)
            else:
                cols.append(el)
            anchor_el = el
        cols.set("count", str(len(existing) + n))
        root.set("ref", range_ref(c1, r1, c2 + n, r2))
        af = root.find(q("autoFilter"))
        if af is not None and af.get("ref"):
            a1, b1, _, b2 = parse_range(af.get("ref"))
            af.set("ref", range_ref(a1, b1, c2 + n, b2))
        doc.grow_dimension(c1, r1, c2 + n, r2)
        tree.dirty = True
        self._dirty(t.sheet_part)
        return written

    # ------------------------------------------------------------------ validations

    def has_validation(self, doc: SheetDoc, col: int, row: int) -> bool:
        """True when a data validation (classic or x14) covers cell (col, row)."""
        sqrefs = [el.get("sqref", "") for el in doc.root.iter(q("dataValidation"))]
        sqrefs += [el.text or "" for el in doc.root.iter("{http://schemas.microsoft.com/office/excel/2006/main}sqref")]
        for sqref in sqrefs:
            for piece in sqref.split():
                try:
                    a1, b1, a2, b2 = parse_range(piece)
                except ValueError:
                    continue
                if a1 <= col <= a2 and b1 <= row <= b2:
                    return True
        return False

    def add_list_validation(self, doc: SheetDoc, col: int, first_row: int, source: str, title: str, message: str) -> str:
        """A drop-down on column ``col`` from ``first_row`` to the sheet's last row."""
        dvs = doc.root.find(q("dataValidations"))
        if dvs is None:
            dvs = _place(doc.root, etree.Element(q("dataValidations")))
        sqref = range_ref(col, first_row, col, MAX_ROW)
        dv = etree.SubElement(dvs, q("dataValidation"), type="list", allowBlank="1", showInputMessage="1",
                              showErrorMessage="1", errorTitle=title[:32], error=message[:255], promptTitle=title[:32],
                              prompt="Pick from the list."[:255], sqref=sqref)
        etree.SubElement(dv, q("formula1")).text = source
        dvs.set("count", str(len([x for x in dvs if isinstance(x.tag, str)])))
        self._dirty(doc.part)
        return sqref

    # ------------------------------------------------------------------ cells, names, properties

    def put_cells(self, doc: SheetDoc, values: list[tuple[int, int, Any, int | None]]) -> None:
        """Write (column, row, value, style) into cells that hold nothing."""
        for col, row, value, style in values:
            c = doc.cell(col, row)
            if c is not None and SheetDoc.has_content(c):
                raise PmoError(f"cell {cell_ref(col, row)} is not empty; pmo-xl upgrade does not overwrite it",
                               path=str(self.path))
            doc.set_value(doc.ensure_cell(col, row), value, style, self.date1904)
        if values:
            cs = [v[0] for v in values]
            rs = [v[1] for v in values]
            doc.grow_dimension(min(cs), min(rs), max(cs), max(rs))
            self._dirty(doc.part)

    def set_existing_cell(self, doc: SheetDoc, col: int, row: int, value: Any) -> None:
        """Change the value of one pmo_xl-owned cell (the TemplateVersion), style kept."""
        doc.set_value(doc.ensure_cell(col, row), value, None, self.date1904)
        self._dirty(doc.part)

    def custom_property(self, name: str) -> Any:
        found = self._custom_part()
        if found is None:
            return None
        root = _parse(self._read(found), found)
        for p in root:
            if isinstance(p.tag, str) and p.get("name") == name:
                for v in p:
                    if isinstance(v.tag, str):
                        text = (v.text or "").strip()
                        return int(text) if etree.QName(v).localname in ("i4", "i8", "int") and text.lstrip("-").isdigit() else text
        return None

    def _custom_part(self) -> str | None:
        for _, rtype, target, ext in self._rels("").items():
            if rtype == REL_CUSTOM_PROPS and not ext:
                return self._find(target)
        return None

    def set_custom_property(self, name: str, value: int) -> None:
        """Create or change the integer custom document property ``name``
        (``docProps/custom.xml``; the part and its registration are added when missing)."""
        found = self._custom_part()
        if found is None:
            root = etree.Element(q("Properties", CUSTOM_NS), nsmap={None: CUSTOM_NS, "vt": VT})
            found = "docProps/custom.xml"
            if self._has(found):
                found = self._free_name("docProps/custom{}.xml")
            self._rels("").add(REL_CUSTOM_PROPS, found)
            self._content_types().override(found, CT_CUSTOM_PROPS)
        else:
            root = _parse(self._read(found), found)
        props = [p for p in root if isinstance(p.tag, str)]
        for p in props:
            if p.get("name") == name:
                for v in list(p):
                    p.remove(v)
                etree.SubElement(p, q("i4", VT)).text = str(value)
                break
        else:
            pid = max([1, *(int(p.get("pid", "1") or 1) for p in props)]) + 1
            p = etree.SubElement(root, q("property", CUSTOM_NS), fmtid=_FMTID, pid=str(pid), name=name)
            etree.SubElement(p, q("i4", VT)).text = str(value)
        self._put(found, to_bytes(root))


def _place(root: etree._Element, el: etree._Element) -> etree._Element:
    """Insert ``el`` among a worksheet's children at its schema position."""
    name = etree.QName(el).localname
    later = set(_SHEET_ORDER[_SHEET_ORDER.index(name) + 1:])
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in later:
            child.addprevious(el)
            return el
    root.append(el)
    return el


# =========================================================================== the plan


def workbook_version(ed: UpgradeEditor) -> tuple[int | None, str | None]:
    """(template version, "Sheet!A1" of its cell) as the workbook records it."""
    from .package import parse_reference

    formula = ed.defined_name("TemplateVersion")
    if formula is None:
        prop = ed.custom_property("TemplateVersion")
        return (prop if isinstance(prop, int) else None), None
    target = parse_reference(formula)
    if target is None:
        try:
            return int(float(formula.lstrip("="))), None
        except (ValueError, OverflowError):  # not a number, NaN, or 1E+400 (infinity)
            return None, None
    sheet, cell = target
    value = ed.cell_value(sheet, cell)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    version = value if isinstance(value, int) and not isinstance(value, bool) else None
    return version, f"{sheet}!{cell}"


def plan_upgrade(ed: UpgradeEditor) -> UpgradePlan:
    """Apply to ``ed`` (in memory) everything the workbook lacks; return what was added.

    Raises :class:`PmoError` for a workbook of a newer template version, and when an
    addition would have to overwrite something (nothing is saved then).
    """
    from .template import CHART_SERIES, SETTINGS_FIRST_ROW, TABLE_ANCHORS, list_name

    names = ed.defined_names()
    tables = ed.tables()
    if not any(t.lower() in tables for t in schema.TABLES) and not any(s.name.lower() in names for s in schema.SETTINGS):
        raise NotAPmoWorkbook(
            "not a PMO workbook (no tblPlan table and no ProjectCode name): pmo-xl upgrade only upgrades "
            "workbooks made from the PMO template",
            path=str(ed.path),
        )
    version, version_cell = workbook_version(ed)
    if version is not None and version > schema.TEMPLATE_VERSION:
        raise PmoError(
            f"template version {version if version < 10**6 else f'{float(version):g}'} is newer than this pmo-xl "
            f"(version {schema.TEMPLATE_VERSION}); "
            "upgrade pmo-xl instead",
            path=str(ed.path),
        )
    plan = UpgradePlan(version)
    add = plan.changes.append
    st = ed.styles
    present = {s[0].lower() for s in ed.sheets()}

    # ---- 1. sheets
    for sheet in schema.SHEETS:
        if sheet.name.lower() in present:
            continue
        if sheet.name == "Dashboard":
            add(Change("note", "Dashboard", detail="the workbook has no Dashboard sheet; copy it from a fresh "
                       "template (pmo-xl new) if the team wants one"))
            continue
        widths: dict[int, float] = {}
        for tname in sheet.tables:
            c0, _ = split_ref(TABLE_ANCHORS[tname])
            for i, col in enumerate(schema.TABLES[tname].columns):
                widths[c0 + i] = col.width
        if sheet.name == "Project":
            widths.update({1: 22, 2: 18, 3: 56})
        if len(sheet.tables) == 1:
            title = schema.TABLES[sheet.tables[0]].title or sheet.name
        else:
            title = sheet.name
        note = sheet.purpose if sheet.owner != "hidden" else "Drop-down sources (maintained by pmo-xl; the template reads them by name)"
        ed.add_user_sheet(sheet.name, "" if sheet.name == "Lists" else title, note if sheet.name != "Lists" else "",
                          widths, hidden=sheet.owner == "hidden")
        add(Change("sheet", sheet.name, sheet.name))
        present.add(sheet.name.lower())
        if sheet.name == "Lists":
            _, doc = ed.sheet_doc("Lists")
            ed.put_cells(doc, [(1, 1, note, 0)])

    # ---- 2. tables
    tables = ed.tables()
    for sheet in schema.SHEETS:
        for tname in sheet.tables:
            if tname.lower() in tables:
                continue
            spec = schema.TABLES[tname]
            real_sheet = ed._sheet(sheet.name)
            if real_sheet is None or real_sheet[2] != "worksheet":
                continue
            preferred = split_ref(TABLE_ANCHORS[tname])
            # as the template: a table title above the header on multi-table sheets and on
            # Project (holidays); a single-table sheet has its note there instead
            title = spec.title if len(sheet.tables) > 1 or sheet.name == "Project" else ""
            anchor = ed.free_anchor(sheet.name, preferred, len(spec.columns), bool(title))
            generated = sheet.name in schema.GENERATED_SHEETS
            ref = ed.add_table(sheet.name, tname, spec.headers, anchor, title=title,
                               style="TableStyleLight9" if generated else "TableStyleMedium2",
                               formats=[c.format for c in spec.columns])
            add(Change("table", tname, real_sheet[0], ref))
            tables = ed.tables()

    # ---- 3. columns
    for tname, spec in schema.TABLES.items():
        t = tables.get(tname.lower())
        if t is None:
            continue
        have = {_norm(h) for h in ed._columns(t)}
        missing = [c for c in spec.columns if _norm(c.name) not in have]
        if not missing:
            continue
        cells = ed.add_columns(t.name, [c.name for c in missing], [c.format for c in missing])
        for c, ref in zip(missing, cells or [""] * len(missing)):
            add(Change("column", f"{tname}[{c.name}]", t.sheet, ref))
        tables = ed.tables()

    # ---- 4a. drop-down lists (Lists sheet) before anything refers to them
    names = ed.defined_names()
    lists_sheet = ed._sheet("Lists")
    for key, items in schema.LISTS.items():
        lname = list_name(key)
        if lname.lower() in names or lists_sheet is None:
            continue
        sheet_name, doc = ed.sheet_doc("Lists")
        last_c, _ = ed.used_area(doc)
        col = max(1, last_c + 1) if last_c else 1
        ed.put_cells(doc, [(col, 2, key, st.xf(bold=True))] + [(col, 3 + i, item, 0) for i, item in enumerate(items)])
        letter = col_letter(col)
        ed.set_defined_name(lname, f"{quote_sheet(sheet_name)}!${letter}$3:${letter}${2 + len(items)}")
        add(Change("name", lname, sheet_name, f"{letter}3:{letter}{2 + len(items)}"))
        names.add(lname.lower())

    # ---- 4b. settings
    missing_settings = [s for s in schema.SETTINGS if s.name.lower() not in names]
    if missing_settings and ed._sheet("Project") is not None:
        sheet_name, doc = ed.sheet_doc("Project")
        _, last_r = _used_rows(doc, 1, 3)
        row = max(SETTINGS_FIRST_ROW, last_r + 1)
        for s in missing_settings:
            value: Any = schema.TEMPLATE_VERSION if s.name == "TemplateVersion" else s.default
            fmt = schema.DEFAULT_FORMATS.get(s.kind) if s.kind in ("date", "int") else None
            if s.kind == "number" and "Reserve" in s.name:
                fmt = schema.MONEY
            style = st.xf(fmt, fill=None) if fmt else 0
            cells = [(1, row, s.label + (" *" if s.required else ""), st.xf(bold=True)), (2, row, value, style)]
            about = s.help + (" (read-only)" if s.read_only else "")
            if about:
                cells.append((3, row, about, 0))
            ed.put_cells(doc, cells)
            ed.set_defined_name(s.name, f"{quote_sheet(sheet_name)}!$B${row}")
            add(Change("name", s.name, sheet_name, f"B{row}", "" if value is None else f"default {value}"))
            row += 1
        names = ed.defined_names()

    # ---- 4c. Dashboard chart names (the charts read them)
    for cname, (tname, column) in CHART_SERIES.items():
        if cname.lower() in names:
            continue
        t = tables.get(tname.lower())
        if t is None:
            continue
        cols = ed._columns(t)
        if column not in cols:
            continue
        c1, r1, c2, r2 = parse_range(t.root.get("ref", ""))
        letter = col_letter(cols[column])
        formula = f"{quote_sheet(t.sheet)}!${letter}${r1 + 1}:${letter}${max(r2, r1 + 1)}"
        ed.set_defined_name(cname, formula)
        add(Change("name", cname, t.sheet, f"{letter}{r1 + 1}:{letter}{max(r2, r1 + 1)}"))
    names = ed.defined_names()

    # ---- 5. drop-downs on choice columns
    for tname in schema.INPUT_TABLES:
        if tname == "tblChangeLog":
            continue
        t = tables.get(tname.lower())
        if t is None:
            continue
        spec = schema.TABLES[tname]
        cols = {_norm(h): c for h, c in ed._columns(t).items()}
        _, r1, _, _ = parse_range(t.root.get("ref", ""))
        first = r1 + (1 if int(t.root.get("headerRowCount", "1") or 1) else 0)
        doc = ed._sheet_doc(t.sheet_part)
        for column in spec.columns:
            if column.kind != "choice" or not column.choices or _norm(column.name) not in cols:
                continue
            lname = list_name(column.choices)
            if lname.lower() not in names:
                continue
            col = cols[_norm(column.name)]
            if ed.has_validation(doc, col, first):
                continue
            items = schema.LISTS[column.choices]
            sqref = ed.add_list_validation(doc, col, first, lname, column.name, f"Pick one of: {', '.join(items)}.")
            add(Change("dropdown", f"{tname}[{column.name}]", t.sheet, sqref))

    # ---- 6. version
    if version != schema.TEMPLATE_VERSION and version_cell is not None:
        sheet, cell = version_cell.split("!")
        sheet = sheet.strip("'").replace("''", "'")
        _, doc = ed.sheet_doc(sheet)
        col, row = split_ref(cell.replace("$", ""))
        ed.set_existing_cell(doc, col, row, schema.TEMPLATE_VERSION)
        add(Change("version", "TemplateVersion", sheet, cell.replace("$", ""),
                   f"{'unknown' if version is None else version} -> {schema.TEMPLATE_VERSION}"))
    if ed.custom_property("TemplateVersion") != schema.TEMPLATE_VERSION:
        ed.set_custom_property("TemplateVersion", schema.TEMPLATE_VERSION)
        add(Change("version", "TemplateVersion", detail=f"document property set to {schema.TEMPLATE_VERSION}"))
    if plan.needed:
        ed._after_cell_edit(False)  # recalculate on open: formulas may now find new tables
    return plan


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", str(header)).strip().lower()


def _used_rows(doc: SheetDoc, c1: int, c2: int) -> tuple[int, int]:
    """(first, last) row with content in columns c1..c2 (0, 0 when none)."""
    rows = [r for r in doc._rows if doc.occupied(c1, c2, r)]
    return (min(rows), max(rows)) if rows else (0, 0)
