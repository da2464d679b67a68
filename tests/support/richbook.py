"""A "rich" PMO workbook: the demo project in the macro-enabled template, plus what teams
add to it in real life (SPEC §9 "never lose data" fixtures).

:func:`build_rich_workbook` writes an ``.xlsm`` holding, besides the template's sheets,
tables, drop-downs, conditional formats, Dashboard charts and the demo data:

* the template's VBA project (xlwings module, ``PMO`` buttons module, code names) and its
  form buttons on the Dashboard, plus a user's form button on the Plan sheet;
* on Plan: a chart, a picture, a text box, cell comments, a user's data validation and
  conditional format, and a user-added column (``Risk Level``) at the right of tblPlan;
* on the sheets pmo_xl appends to (Budget, Changes, Change Log): a chart or a picture, cell
  comments, a user's data validation and a user's conditional format each;
* a user sheet (``Risks``) with its own table, a chart, a hyperlink, formulas reading
  tblPlan and the generated tblEVM, a workbook-scoped and a sheet-scoped defined name;
* a chartsheet (``Budget Chart``);
* a custom XML part (``customXml/item1.xml`` with its properties part), the way
  SharePoint / Office document properties store it;
* a pivot table on the user sheet ``Pivot`` over tblBudget (cache definition, records).

The first group is made through XlsxWriter while the template is built (a hook around the
template's macro step, so the extra sheets get VBA code names like the others); the user
column, the custom XML and the pivot table are grafted into the finished package by
editing its XML, as Excel would have saved them.

``USER_PARTS`` documents which of these parts pmo_xl must never touch; tests derive the
exact list from the package itself.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any
from unittest import mock

from lxml import etree

from .cells import col_number, letter as col_letter

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
M = f"{{{NS_MAIN}}}"

#: The column a team added at the right of tblPlan, and its values (one per plan row, cycled).
USER_PLAN_COLUMN = "Risk Level"
RISK_LEVELS = ("Low", "Medium", "High")

#: Sheets the builder adds beside the template's.
USER_SHEET = "Risks"
PIVOT_SHEET = "Pivot"
CHARTSHEET = "Budget Chart"

#: Text a user typed that looks like formulas; must stay text.
FORMULA_LIKE_NOTE = "=SUM(A1:A3) is not a formula"


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (0x1F, 0x38, 0x64)) -> bytes:
    """A small solid-colour PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- build


def build_rich_workbook(path: str | Path, seed: int = 1) -> Path:
    """Write the rich demo workbook to ``path`` (must end in ``.xlsm``) and return it."""
    from pmo_xl.demo import make_demo
    from pmo_xl.io import template

    path = Path(path)
    if path.suffix.lower() != ".xlsm":
        raise ValueError("the rich workbook is macro-enabled: give an .xlsm path")
    demo = make_demo(seed)
    n_plan = len(demo.rows["tblPlan"])
    n_budget = len(demo.rows["tblBudget"])

    original = template._macro_hook

    def hook(wb: Any, sheets: dict[str, Any]) -> None:
        _user_content(wb, sheets, n_plan, n_budget)
        original(wb, sheets)

    with mock.patch.object(template, "_macro_hook", hook):
        template.build_workbook(path, demo.settings, demo.rows, overwrite=True)
    _graft(path, n_plan)
    return path


def _user_content(wb: Any, sheets: dict[str, Any], n_plan: int, n_budget: int) -> None:
    """What a team adds in Excel, made with XlsxWriter on the template being built."""
    from pmo_xl.io.template import table_range

    bold = wb.add_format({"bold": True})
    amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    # -- Plan: chart, picture, text box, comments, button, user validation and CF
    plan = sheets["Plan"]
    r0, c0, r1, c1 = table_range("tblPlan", n_plan)
    user_col = c1 + 1  # the grafted "Risk Level" column
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "Duration",
            "categories": ["Plan", r0 + 1, c0 + 2, r0 + 12, c0 + 2],
            "values": ["Plan", r0 + 1, c0 + 5, r0 + 12, c0 + 5],
        }
    )
    chart.set_title({"name": "Durations of the first tasks"})
    plan.insert_chart(r1 + 4, 2, chart)
    plan.insert_image(r1 + 4, 10, "logo.png", {"image_data": io.BytesIO(png())})
    plan.insert_textbox(r1 + 22, 2, "Plan reviewed weekly by the PMO", {"width": 300, "height": 60})
    plan.write_comment(r0, c0 + 2, "Task names as agreed with the sponsor")
    plan.write_comment(r0 + 1, c0, "First task of the plan")
    plan.insert_button(r1 + 22, 10, {"macro": "PMO.ValidatePlan", "caption": "Check plan"})
    plan.data_validation(r0 + 1, user_col, r1, user_col, {"validate": "list", "source": list(RISK_LEVELS)})
    plan.conditional_format(
        r0 + 1, user_col, r1, user_col, {"type": "cell", "criteria": "==", "value": '"High"', "format": red}
    )
    plan.conditional_format(
        r0 + 1, c0 + 5, r1, c0 + 5, {"type": "cell", "criteria": ">", "value": 20, "format": amber}
    )

    # -- Budget: picture, comment, user validation / CF right of the table
    budget = sheets["Budget"]
    b0, bc0, b1, bc1 = table_range("tblBudget", n_budget)
    budget.insert_image(b0, bc1 + 3, "stamp.png", {"image_data": io.BytesIO(png(rgb=(0xC0, 0, 0)))})
    budget.write_comment(b0, bc0 + 3, "Amounts in the project currency")
    budget.write_string(b0, bc1 + 2, "Checked", bold)
    budget.data_validation(b0 + 1, bc1 + 2, b0 + 40, bc1 + 2, {"validate": "list", "source": ["Yes", "No"]})
    budget.conditional_format(
        b0 + 1, bc0 + 3, b1, bc0 + 3, {"type": "cell", "criteria": ">", "value": 50000, "format": red}
    )

    # -- Changes: chart, comment, text box, CF
    changes = sheets["Changes"]
    h0, hc0, _, hc1 = table_range("tblChanges", 0)
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"name": "Budget by line", "values": ["Budget", b0 + 1, bc0 + 3, b0 + 6, bc0 + 3]})
    changes.insert_chart(h0 + 30, hc1 + 2, chart)
    changes.write_comment(h0, hc0, "CR IDs are assigned by pmo-xl")
    changes.insert_textbox(h0 + 2, hc1 + 2, "Decisions: steering committee, Thursdays")
    changes.conditional_format(h0 + 1, hc0 + 8, h0 + 200, hc0 + 8, {"type": "data_bar"})

    # -- Change Log: comment, user validation right of the table
    log = sheets["Change Log"]
    g0, gc0, _, gc1 = table_range("tblChangeLog", 0)
    log.write_comment(g0, gc0, "Written by pmo-xl; never edit")
    log.write_string(g0, gc1 + 2, "Audited", bold)
    log.data_validation(g0 + 1, gc1 + 2, g0 + 500, gc1 + 2, {"validate": "list", "source": ["Yes", "No"]})

    # -- Dashboard: a team's own picture
    sheets["Dashboard"].insert_image("A40", "team.png", {"image_data": io.BytesIO(png(rgb=(0, 0x80, 0)))})

    # -- a user sheet with a table, chart, hyperlink, formulas and names
    risks = wb.add_worksheet(USER_SHEET)
    risks.write_string(0, 0, "Risk register (kept by the team)", bold)
    risks.add_table(
        2,
        0,
        5,
        3,
        {
            "name": "tblRisks",
            "columns": [{"header": h} for h in ("Risk", "Owner", "Score", "Note")],
            "data": [
                ["Vendor late", "Ann", 12, FORMULA_LIKE_NOTE],
                ["Data migration", "Bo", 20, "+44 20 7946 0000"],
                ["Key user leaves", "Cy", 6, "-not a number"],
            ],
        },
    )
    risks.write_string(7, 0, "Plan rows")
    risks.write_formula(7, 1, "=COUNTA(tblPlan[ID])", None, n_plan)
    risks.write_string(8, 0, "CPI (from Rollup)")
    risks.write_formula(8, 1, '=IFERROR(INDEX(tblEVM[Value],MATCH("CPI",tblEVM[Metric],0)),"")', None, "")
    risks.write_string(9, 0, "Budget")
    risks.write_formula(9, 1, "=SUM(tblBudget[Amount])", None, 0)
    risks.write_url(11, 0, "https://example.com/pmo/risk-policy", string="Risk policy")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Score", "categories": "=Risks!$A$4:$A$6", "values": "=Risks!$C$4:$C$6"})
    risks.insert_chart("F3", chart)
    wb.define_name("TopRiskScore", "=Risks!$C$4")
    wb.define_name("Risks!LocalNote", "=Risks!$D$4")

    pivot = wb.add_worksheet(PIVOT_SHEET)
    pivot.write_string(0, 0, "Budget by category (pivot table)", bold)

    # -- a chartsheet
    cs = wb.add_chartsheet(CHARTSHEET)
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Budget lines",
            "categories": ["Budget", b0 + 1, bc0 + 1, b0 + 12, bc0 + 1],
            "values": ["Budget", b0 + 1, bc0 + 3, b0 + 12, bc0 + 3],
        }
    )
    cs.set_chart(chart)


# --------------------------------------------------------------------------- grafting


def _graft(path: Path, n_plan: int) -> None:
    """Add what XlsxWriter cannot make: a user column inside tblPlan, custom XML, a pivot table."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    book = Parts(parts)
    _add_plan_column(book)
    _add_custom_xml(book)
    _add_pivot(book)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name in book.order:
            z.writestr(name, book.parts[name])
    tmp.replace(path)


class Parts:
    def __init__(self, parts: dict[str, bytes]):
        self.parts = parts
        self.order = list(parts)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.parts[name])

    def put(self, name: str, root: etree._Element | bytes) -> None:
        data = root if isinstance(root, bytes) else etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if name not in self.parts:
            self.order.append(name)
        self.parts[name] = data

    def content_type(self, part: str, ctype: str) -> None:
        ct = self.xml("[Content_Types].xml")
        etree.SubElement(ct, f"{{{NS_CT}}}Override", PartName="/" + part, ContentType=ctype)
        self.put("[Content_Types].xml", ct)

    def relate(self, rels_name: str, rtype: str, target: str) -> str:
        if rels_name in self.parts:
            rels = self.xml(rels_name)
        else:
            rels = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
        used = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship", Id=rid, Type=rtype, Target=target)
        self.put(rels_name, rels)
        return rid

    def sheet_part(self, sheet: str) -> str:
        wb = self.xml("xl/workbook.xml")
        rels = self.xml("xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target") for r in rels}
        for s in wb.iter(f"{M}sheet"):
            if s.get("name") == sheet:
                return "xl/" + targets[s.get(f"{{{NS_R}}}id")].lstrip("/").removeprefix("xl/")
        raise KeyError(sheet)

    def table_part(self, name: str) -> str:
        for part in self.parts:
            if part.startswith("xl/tables/") and part.endswith(".xml"):
                if self.xml(part).get("name") == name:
                    return part
        raise KeyError(name)


def _add_plan_column(book: Parts) -> None:
    """``Risk Level`` as a new last column of tblPlan, as Excel saves a column typed next to a table."""
    tpart = book.table_part("tblPlan")
    table = book.xml(tpart)
    first, last = table.get("ref").split(":")
    m1 = re.match(r"([A-Z]+)(\d+)", first)
    m2 = re.match(r"([A-Z]+)(\d+)", last)
    assert m1 and m2
    header_row, last_row = int(m1.group(2)), int(m2.group(2))
    new_col = col_number(m2.group(1)) + 1
    letter = col_letter(new_col)
    ref = f"{first}:{letter}{last_row}"
    table.set("ref", ref)
    af = table.find(f"{M}autoFilter")
    if af is not None:
        af.set("ref", ref)
    cols = table.find(f"{M}tableColumns")
    ids = [int(c.get("id")) for c in cols]
    etree.SubElement(cols, f"{M}tableColumn", id=str(max(ids) + 1), name=USER_PLAN_COLUMN)
    cols.set("count", str(len(cols)))
    book.put(tpart, table)

    spart = book.sheet_part("Plan")
    sheet = book.xml(spart)
    data = sheet.find(f"{M}sheetData")
    rows = {int(r.get("r")): r for r in data.findall(f"{M}row")}
    for r in range(header_row, last_row + 1):
        row = rows.get(r)
        if row is None:
            continue
        row.attrib.pop("spans", None)
        text = USER_PLAN_COLUMN if r == header_row else RISK_LEVELS[(r - header_row) % 3]
        style = None
        cells = row.findall(f"{M}c")
        if r == header_row and cells:
            style = cells[-1].get("s")  # the header format of the table's last column
        c = etree.SubElement(row, f"{M}c", r=f"{letter}{r}", t="inlineStr")
        if style:
            c.set("s", style)
        is_ = etree.SubElement(c, f"{M}is")
        etree.SubElement(is_, f"{M}t").text = text
    dim = sheet.find(f"{M}dimension")
    if dim is not None:
        d1, _, d2 = dim.get("ref").partition(":")
        m = re.match(r"([A-Z]+)(\d+)", d2 or d1)
        if m and col_number(m.group(1)) < new_col:
            dim.set("ref", f"{d1}:{letter}{m.group(2)}")
    book.put(spart, sheet)


CUSTOM_XML = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pmoMeta xmlns="urn:example:pmo-meta"><portfolio>Retail</portfolio><classification>Internal</classification></pmoMeta>"""

CUSTOM_XML_PROPS = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<ds:datastoreItem ds:itemID="{6C3E4F0A-3B8B-4F54-9A0E-2B4A2C1D7E11}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="urn:example:pmo-meta"/></ds:schemaRefs></ds:datastoreItem>"""


def _add_custom_xml(book: Parts) -> None:
    book.put("customXml/item1.xml", CUSTOM_XML)
    book.put("customXml/itemProps1.xml", CUSTOM_XML_PROPS)
    book.relate(
        "customXml/_rels/item1.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps",
        "itemProps1.xml",
    )
    book.content_type("customXml/itemProps1.xml", "application/vnd.openxmlformats-officedocument.customXmlProperties+xml")
    book.relate(
        "xl/_rels/workbook.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
        "../customXml/item1.xml",
    )
    ct = book.xml("[Content_Types].xml")
    if not any(d.get("Extension") == "xml" for d in ct.iter(f"{{{NS_CT}}}Default")):
        etree.SubElement(ct, f"{{{NS_CT}}}Default", Extension="xml", ContentType="application/xml")
        book.put("[Content_Types].xml", ct)


def _budget_rows(book: Parts) -> tuple[str, list[str]]:
    """(source range "A3:F40" of tblBudget, its distinct categories in order)."""
    table = book.xml(book.table_part("tblBudget"))
    ref = table.get("ref")
    sheet = book.xml(book.sheet_part("Budget"))
    first, last = ref.split(":")
    col = "B"  # Category: second column of the table
    r0 = int(re.sub(r"[A-Z]", "", first))
    r1 = int(re.sub(r"[A-Z]", "", last))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in book.parts:
        sst = book.xml("xl/sharedStrings.xml")
        shared = ["".join(si.itertext()) for si in sst.findall(f"{M}si")]
    cats: list[str] = []
    for c in sheet.iter(f"{M}c"):
        m = re.match(r"([A-Z]+)(\d+)", c.get("r"))
        if not m or m.group(1) != col or not r0 < int(m.group(2)) <= r1:
            continue
        if c.get("t") == "s":
            v = shared[int(c.findtext(f"{M}v"))]
        elif c.get("t") == "inlineStr":
            v = "".join(c.find(f"{M}is").itertext())
        else:
            v = c.findtext(f"{M}v") or ""
        if v and v not in cats:
            cats.append(v)
    return ref, cats


def _add_pivot(book: Parts) -> None:
    """A pivot table "sum of Amount by Category" over tblBudget on the Pivot sheet.

    Written the way Excel saves one that has not been refreshed since: cache definition
    with shared items for the row field, cache records, and the pivot table definition with
    its rendered location (Excel and LibreOffice re-render it on refresh).
    """
    ref, cats = _budget_rows(book)
    headers = ("Task ID", "Category", "Period", "Amount", "Source", "Note")
    n_rec = int(re.sub(r"[A-Z]", "", ref.split(":")[1])) - int(re.sub(r"[A-Z]", "", ref.split(":")[0]))
    fields = []
    for h in headers:
        if h == "Category":
            items = "".join(f'<s v="{_xml_attr(c)}"/>' for c in cats)
            fields.append(f'<cacheField name="{h}" numFmtId="0"><sharedItems count="{len(cats)}">{items}</sharedItems></cacheField>')
        elif h == "Amount":
            fields.append(f'<cacheField name="{h}" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" minValue="0" maxValue="1000000000"/></cacheField>')
        else:
            fields.append(f'<cacheField name="{h}" numFmtId="0"><sharedItems containsBlank="1"/></cacheField>')
    cache = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pivotCacheDefinition xmlns="{NS_MAIN}" xmlns:r="{NS_R}" r:id="rId1" refreshOnLoad="1" '
        f'refreshedBy="PMO" refreshedDate="46000.5" createdVersion="6" refreshedVersion="6" minRefreshableVersion="3" recordCount="0">'
        f'<cacheSource type="worksheet"><worksheetSource name="tblBudget"/></cacheSource>'
        f'<cacheFields count="{len(fields)}">{"".join(fields)}</cacheFields></pivotCacheDefinition>'
    ).encode()
    records = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pivotCacheRecords xmlns="{NS_MAIN}" xmlns:r="{NS_R}" count="0"/>'
    ).encode()
    items = "".join(f'<item x="{i}"/>' for i in range(len(cats))) + '<item t="default"/>'
    pfields = []
    for h in headers:
        if h == "Category":
            pfields.append(f'<pivotField axis="axisRow" showAll="0"><items count="{len(cats) + 1}">{items}</items></pivotField>')
        elif h == "Amount":
            pfields.append('<pivotField dataField="1" showAll="0"/>')
        else:
            pfields.append('<pivotField showAll="0"/>')
    row_items = "".join(f'<i><x v="{i}"/></i>' if i else "<i><x/></i>" for i in range(len(cats))) + '<i t="grand"><x/></i>'
    last_row = 3 + len(cats) + 1
    table = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<pivotTableDefinition xmlns="{NS_MAIN}" name="ptBudgetByCategory" cacheId="1" applyNumberFormats="0" '
        'applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0" '
        'applyWidthHeightFormats="1" dataCaption="Values" updatedVersion="6" minRefreshableVersion="3" '
        'useAutoFormatting="1" itemPrintTitles="1" createdVersion="6" indent="0" outline="1" outlineData="1" '
        'multipleFieldFilters="0">'
        f'<location ref="A3:B{last_row}" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>'
        f'<pivotFields count="{len(headers)}">{"".join(pfields)}</pivotFields>'
        f'<rowFields count="1"><field x="1"/></rowFields>'
        f'<rowItems count="{len(cats) + 1}">{row_items}</rowItems>'
        '<colItems count="1"><i/></colItems>'
        '<dataFields count="1"><dataField name="Sum of Amount" fld="3" baseField="0" baseItem="0"/></dataFields>'
        '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1" showRowStripes="0" '
        'showColStripes="0" showLastColumn="1"/></pivotTableDefinition>'
    ).encode()
    book.put("xl/pivotCache/pivotCacheDefinition1.xml", cache)
    book.put("xl/pivotCache/pivotCacheRecords1.xml", records)
    book.put("xl/pivotTables/pivotTable1.xml", table)
    book.relate(
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotCacheRecords",
        "pivotCacheRecords1.xml",
    )
    book.relate(
        "xl/pivotTables/_rels/pivotTable1.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotCacheDefinition",
        "../pivotCache/pivotCacheDefinition1.xml",
    )
    spart = book.sheet_part(PIVOT_SHEET)
    book.relate(
        "xl/worksheets/_rels/" + spart.rsplit("/", 1)[1] + ".rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotTable",
        "../pivotTables/pivotTable1.xml",
    )
    rid = book.relate(
        "xl/_rels/workbook.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotCacheDefinition",
        "pivotCache/pivotCacheDefinition1.xml",
    )
    wb = book.xml("xl/workbook.xml")
    caches = etree.Element(f"{M}pivotCaches")
    etree.SubElement(caches, f"{M}pivotCache", cacheId="1").set(f"{{{NS_R}}}id", rid)
    # pivotCaches sits after calcPr (and definedNames) in CT_Workbook's sequence
    anchor = wb.find(f"{M}calcPr")
    if anchor is None:
        anchor = wb.find(f"{M}definedNames")
    anchor.addnext(caches)
    book.put("xl/workbook.xml", wb)
    base = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    book.content_type("xl/pivotCache/pivotCacheDefinition1.xml", base + "pivotCacheDefinition+xml")
    book.content_type("xl/pivotCache/pivotCacheRecords1.xml", base + "pivotCacheRecords+xml")
    book.content_type("xl/pivotTables/pivotTable1.xml", base + "pivotTable+xml")


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
