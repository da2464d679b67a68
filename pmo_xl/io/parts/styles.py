"""``xl/styles.xml``: the few formats pmo_xl needs, appended without renumbering.

Existing entries (number formats, fonts, fills, borders, cell formats) are never changed
or moved: pmo_xl only appends. Before appending it looks for an identical entry and
reuses it, so the formats it appended on an earlier save are found again and styles.xml
does not grow from one save to the next.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from . import parse_xml, q, to_bytes

#: Row fills for generated tables (Excel's "Good / Bad / Neutral" palette).
FILLS: dict[str, str] = {
    "critical": "FFFFC7CE",
    "fail": "FFFFC7CE",
    "error": "FFFFC7CE",
    "pass": "FFC6EFCE",
    "warning": "FFFFEB9C",
    "info": "FFDDEBF7",
}

BUILTIN_FORMATS: dict[str, int] = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
    "0.00E+00": 11, "# ?/?": 12, "# ??/??": 13, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16,
    "mmm-yy": 17, "h:mm AM/PM": 18, "h:mm:ss AM/PM": 19, "h:mm": 20, "h:mm:ss": 21,
    "m/d/yy h:mm": 22, "mm:ss": 45, "[h]:mm:ss": 46, "mmss.0": 47, "##0.0E+0": 48, "@": 49,
}
_DATE_IDS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_STRIP = re.compile(r'"[^"]*"|\\.|\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]|_.|\*.')

_MINIMAL = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
          "tableStyles", "colors", "extLst")


def is_date_format(code: str) -> bool:
    """True when an Excel number format shows a date or time."""
    bare = _STRIP.sub("", code.split(";")[0])
    return bool(re.search(r"[dmyhs]", bare, re.IGNORECASE)) and "general" not in bare.lower()


def _sig(el: etree._Element) -> tuple:
    """Structural signature of an element (tag, attributes, children), namespace-blind."""
    return (
        etree.QName(el).localname,
        tuple(sorted((etree.QName(k).localname, v) for k, v in el.attrib.items())),
        tuple(_sig(c) for c in el if isinstance(c.tag, str)),
    )


class StyleBook:
    """Find-or-append cell formats in ``styles.xml``."""

    def __init__(self, data: bytes | None) -> None:
        self.created = data is None
        self.root = parse_xml(data if data is not None else _MINIMAL, "xl/styles.xml")
        self.dirty = self.created
        self._cache: dict[tuple, int] = {}
        self._sigs: dict[str, dict[tuple, int]] = {}  # section -> signature -> first index

    # ------------------------------------------------------------------ structure
    def _section(self, name: str) -> etree._Element:
        el = self.root.find(q(name))
        if el is None:
            el = etree.Element(q(name))
            later = _ORDER[_ORDER.index(name) + 1 :]
            anchor = next((c for c in self.root if isinstance(c.tag, str) and etree.QName(c).localname in later), None)
            if anchor is None:
                self.root.append(el)
            else:
                anchor.addprevious(el)
        return el

    def _find_or_append(self, section: str, el: etree._Element) -> int:
        sec = self._section(section)
        sigs = self._sigs.get(section)
        if sigs is None:  # the section's signatures once (only this class edits the tree)
            sigs = self._sigs[section] = {}
            for i, c in enumerate(c for c in sec if isinstance(c.tag, str)):
                sigs.setdefault(_sig(c), i)
        sig = _sig(el)
        found = sigs.get(sig)
        if found is not None:
            return found
        n = sum(1 for c in sec if isinstance(c.tag, str))
        sec.append(el)
        sec.set("count", str(n + 1))
        sigs[sig] = n
        self.dirty = True
        return n

    # ------------------------------------------------------------------ parts of a format
    def num_fmt_id(self, code: str | None) -> int:
        if not code or code == "General":
            return 0
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        sec = self.root.find(q("numFmts"))
        ids = [int(n.get("numFmtId", "0")) for n in (sec if sec is not None else [])]
        for n in sec if sec is not None else []:
            if n.get("formatCode") == code:
                return int(n.get("numFmtId", "0"))
        sec = self._section("numFmts")
        new_id = max([163, *ids]) + 1
        etree.SubElement(sec, q("numFmt"), numFmtId=str(new_id), formatCode=code)
        sec.set("count", str(len(sec)))
        self.dirty = True
        return new_id

    def _font_id(self, bold: bool, link: bool, title: bool) -> int:
        if not (bold or link or title):
            return 0
        fonts = self._section("fonts")
        base = next((c for c in fonts if isinstance(c.tag, str)), None)
        font = copy.deepcopy(base) if base is not None else etree.Element(q("font"))
        for child in list(font):
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name in ("b", "u") or (link and name == "color") or (title and name == "sz"):
                font.remove(child)
        if bold or title:
            font.insert(0, etree.Element(q("b")))
        if link:
            font.append(etree.Element(q("u")))
            font.append(etree.Element(q("color"), rgb="FF0563C1"))
        if title:
            font.append(etree.Element(q("sz"), val="13"))
        return self._find_or_append("fonts", font)

    def _fill_id(self, fill: str | None) -> int:
        if not fill:
            return 0
        rgb = FILLS[fill]
        el = etree.Element(q("fill"))
        pattern = etree.SubElement(el, q("patternFill"), patternType="solid")
        etree.SubElement(pattern, q("fgColor"), rgb=rgb)
        etree.SubElement(pattern, q("bgColor"), indexed="64")
        return self._find_or_append("fills", el)

    # ------------------------------------------------------------------ public
    def xf(
        self,
        num_format: str | None = None,
        *,
        bold: bool = False,
        fill: str | None = None,
        link: bool = False,
        title: bool = False,
        wrap: bool = False,
    ) -> int:
        """Index in ``cellXfs`` of a format with these properties (appended if new)."""
        key = (num_format, bold, fill, link, title, wrap)
        if key in self._cache:
            return self._cache[key]
        if not any(key):
            self._cache[key] = 0
            return 0
        num_id = self.num_fmt_id(num_format)
        font_id = self._font_id(bold, link, title)
        fill_id = self._fill_id(fill)
        xf = etree.Element(q("xf"))
        xf.set("numFmtId", str(num_id))
        xf.set("fontId", str(font_id))
        xf.set("fillId", str(fill_id))
        xf.set("borderId", "0")
        xf.set("xfId", "0")
        if num_id:
            xf.set("applyNumberFormat", "1")
        if font_id:
            xf.set("applyFont", "1")
        if fill_id:
            xf.set("applyFill", "1")
        if wrap:
            xf.set("applyAlignment", "1")
            etree.SubElement(xf, q("alignment"), wrapText="1", vertical="top")
        index = self._find_or_append("cellXfs", xf)
        self._cache[key] = index
        return index

    def is_date_style(self, index: int) -> bool:
        """Does cell format ``index`` show a date?"""
        xfs = [c for c in self._section("cellXfs") if isinstance(c.tag, str)]
        if not 0 <= index < len(xfs):
            return False
        num_id = int(xfs[index].get("numFmtId", "0"))
        if num_id in _DATE_IDS:
            return True
        sec = self.root.find(q("numFmts"))
        for n in sec if sec is not None else []:
            if int(n.get("numFmtId", "-1")) == num_id:
                return is_date_format(n.get("formatCode", ""))
        return False

    def to_bytes(self) -> bytes:
        return to_bytes(self.root)


__all__ = ["FILLS", "StyleBook", "is_date_format"]
