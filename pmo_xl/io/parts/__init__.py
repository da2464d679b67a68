"""One module per OOXML part that pmo_xl writes or edits (XlsxWriter-style).

``zipper``     the zip container: raw copy of untouched entries, deflate of edited ones
``cells``      cell references, date serials, cell XML for the values pmo_xl writes
``styles``     ``xl/styles.xml``: append-only formats, reused across saves
``worksheet``  generated sheets (streamed) and surgical edits of user sheets
``table``      ``xl/tables/tableN.xml``
``workbook``   ``xl/workbook.xml``, relationships, ``[Content_Types].xml``, ``docProps/app.xml``

Everything here works on bytes and lxml trees; nothing of earned value or CPM.
"""

from __future__ import annotations

import posixpath

from lxml import etree

from ..package import rels_part, resolve_target  # noqa: F401 - re-exported for the parts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
EXT_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
XM = "http://schemas.microsoft.com/office/excel/2006/main"

REL_WORKSHEET = REL + "/worksheet"
REL_TABLE = REL + "/table"
REL_STYLES = REL + "/styles"
REL_CALC_CHAIN = REL + "/calcChain"
REL_OFFICE_DOC = REL + "/officeDocument"
REL_OFFICE_DOC_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
REL_EXT_PROPS = REL + "/extended-properties"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"


def q(tag: str, ns: str = MAIN) -> str:
    """Clark name ``{ns}tag``."""
    return f"{{{ns}}}{tag}"


def parse_xml(data: bytes, part: str = "") -> etree._Element:
    """Parse a part for editing: DTDs refused, namespaces kept as stored (no strict mapping)."""
    from ..package import parse_xml as safe_parse

    return safe_parse(data, part=part, transitional=False)


def to_bytes(root: etree._Element) -> bytes:
    """Serialize a part with the standard declaration Excel writes."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def relative_target(source_part: str, part: str) -> str:
    """The relative target that points from ``source_part`` to ``part``."""
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")
