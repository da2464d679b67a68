"""The registration parts: ``xl/workbook.xml``, ``*.rels``, ``[Content_Types].xml``,
``docProps/app.xml``. Each class edits its part in place with lxml and touches only the
elements pmo_xl registers; everything else in the part is kept as it was.
"""

from __future__ import annotations

import re

from lxml import etree

from . import CT, EXT_PROPS, MAIN, PKG_REL, REL, VT, parse_xml, q, relative_target, resolve_target, to_bytes

_WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _place(root: etree._Element, el: etree._Element, order: tuple[str, ...], ns: str) -> etree._Element:
    """Insert ``el`` among ``root``'s children at its schema position."""
    name = etree.QName(el).localname
    later = set(order[order.index(name) + 1 :])
    for child in root:
        if _local(child) in later:
            child.addprevious(el)
            return el
    root.append(el)
    return el


class Rels:
    """A relationships part."""

    def __init__(self, data: bytes | None, source_part: str, name: str) -> None:
        self.source = source_part
        self.name = name
        self.created = data is None
        self.root = (
            parse_xml(data, name) if data is not None else etree.Element(q("Relationships", PKG_REL), nsmap={None: PKG_REL})
        )
        self.dirty = self.created

    def items(self) -> list[tuple[str, str, str, bool]]:
        """(id, type, resolved target, external) of every relationship."""
        out = []
        for el in self.root.iter(q("Relationship", PKG_REL)):
            external = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            out.append((el.get("Id", ""), el.get("Type", ""), target if external else resolve_target(self.source, target), external))
        return out

    def new_id(self) -> str:
        used = {el.get("Id") for el in self.root.iter(q("Relationship", PKG_REL))}
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        return f"rId{n}"

    def add(self, rel_type: str, part: str) -> str:
        rid = self.new_id()
        etree.SubElement(
            self.root, q("Relationship", PKG_REL), Id=rid, Type=rel_type, Target=relative_target(self.source, part)
        )
        self.dirty = True
        return rid

    def remove(self, rid: str) -> None:
        for el in list(self.root.iter(q("Relationship", PKG_REL))):
            if el.get("Id") == rid:
                self.root.remove(el)
                self.dirty = True

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)


class ContentTypes:
    """``[Content_Types].xml``."""

    def __init__(self, data: bytes) -> None:
        self.root = parse_xml(data, "[Content_Types].xml")
        self.dirty = False

    def override(self, part: str, content_type: str) -> None:
        name = "/" + part
        for el in self.root.iter(q("Override", CT)):
            if el.get("PartName", "").lower() == name.lower():
                if el.get("ContentType") != content_type:
                    el.set("ContentType", content_type)
                    self.dirty = True
                return
        etree.SubElement(self.root, q("Override", CT), PartName=name, ContentType=content_type)
        self.dirty = True

    def remove(self, part: str) -> None:
        name = "/" + part
        for el in list(self.root.iter(q("Override", CT))):
            if el.get("PartName", "").lower() == name.lower():
                self.root.remove(el)
                self.dirty = True

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)


class WorkbookXml:
    """``xl/workbook.xml``: sheets, defined names, calculation properties."""

    def __init__(self, data: bytes, part: str) -> None:
        self.part = part
        self.root = parse_xml(data, part)
        self.dirty = False
        sheets = self.root.find(q("sheets"))
        if sheets is None:
            raise ValueError(f"{part} has no <sheets>")
        self.sheets_el = sheets

    def sheet_elements(self) -> list[etree._Element]:
        return [el for el in self.sheets_el if _local(el) == "sheet"]

    def next_sheet_id(self) -> int:
        return max([0, *(int(el.get("sheetId", "0") or 0) for el in self.sheet_elements())]) + 1

    def insert_sheet(self, index: int, name: str, sheet_id: int, rid: str, state: str = "visible") -> None:
        """Insert a sheet at position ``index``; sheet-scoped names, the active tab and
        the first visible tab that pointed at later sheets follow them."""
        el = etree.Element(q("sheet"), name=name, sheetId=str(sheet_id))
        if state != "visible":
            el.set("state", state)
        el.set(q("id", REL), rid)
        sheets = self.sheet_elements()
        if index >= len(sheets):
            if sheets:
                sheets[-1].addnext(el)
            else:
                self.sheets_el.append(el)
        else:
            sheets[index].addprevious(el)
        if index < len(sheets):
            names = self.root.find(q("definedNames"))
            for dn in names if names is not None else ():
                local = dn.get("localSheetId")
                if local is not None and local.isdigit() and int(local) >= index:
                    dn.set("localSheetId", str(int(local) + 1))
            for view in self.root.iter(q("workbookView")):
                for attr in ("activeTab", "firstSheet"):
                    value = view.get(attr)
                    if value is not None and value.isdigit() and int(value) >= index:
                        view.set(attr, str(int(value) + 1))
        self.dirty = True

    def set_defined_name(self, name: str, formula: str) -> None:
        """Create or change the workbook-scoped defined name ``name``."""
        names = self.root.find(q("definedNames"))
        if names is None:
            names = _place(self.root, etree.Element(q("definedNames")), _WORKBOOK_ORDER, MAIN)
        for dn in names:
            if _local(dn) == "definedName" and dn.get("localSheetId") is None and dn.get("name", "").lower() == name.lower():
                if dn.text != formula:
                    dn.text = formula
                    self.dirty = True
                return
        dn = etree.SubElement(names, q("definedName"), name=name)
        dn.text = formula
        self.dirty = True

    def full_calc_on_load(self) -> None:
        calc = self.root.find(q("calcPr"))
        if calc is None:
            calc = _place(self.root, etree.Element(q("calcPr")), _WORKBOOK_ORDER, MAIN)
            calc.set("calcId", "191029")
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self.dirty = True

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)


class AppXml:
    """``docProps/app.xml``: the sheet titles Excel lists in the file's properties."""

    def __init__(self, data: bytes, part: str) -> None:
        self.part = part
        self.root = parse_xml(data, part)
        self.dirty = False

    def insert_worksheet(self, position: int, name: str) -> bool:
        """Insert ``name`` as the ``position``-th worksheet title (0-based among worksheets).

        Returns False (and changes nothing) when the part does not have the usual
        HeadingPairs / TitlesOfParts shape or its counts do not add up.
        """
        heading = self.root.find(q("HeadingPairs", EXT_PROPS))
        titles = self.root.find(q("TitlesOfParts", EXT_PROPS))
        if heading is None or titles is None:
            return False
        hvec = heading.find(q("vector", VT))
        tvec = titles.find(q("vector", VT))
        if hvec is None or tvec is None:
            return False
        variants = [v for v in hvec if _local(v) == "variant"]
        pairs = []
        for i in range(0, len(variants) - 1, 2):
            label = variants[i].find(q("lpstr", VT))
            count = variants[i + 1].find(q("i4", VT))
            if label is None or count is None or not (count.text or "").strip().lstrip("-").isdigit():
                return False
            pairs.append((label.text or "", count))
        items = [t for t in tvec if _local(t) == "lpstr"]
        if sum(int(c.text) for _, c in pairs) != len(items):
            return False
        offset = 0
        for label, count in pairs:
            if re.fullmatch(r"(?i)worksheets", label.strip()):
                n = int(count.text)
                position = max(0, min(position, n))
                new = etree.Element(q("lpstr", VT))
                new.text = name
                at = offset + position
                if at < len(items):
                    items[at].addprevious(new)
                elif items:
                    items[-1].addnext(new)
                else:
                    tvec.append(new)
                count.text = str(n + 1)
                tvec.set("size", str(len(items) + 1))
                self.dirty = True
                return True
            offset += int(count.text)
        return False

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)
