"""The template builder: the standard PMO workbook, written with XlsxWriter from the schema.

Everything here is driven by :mod:`pmo_xl.schema` (sheets, tables, columns, lists,
settings); no header list is spelled out in this module. The workbook is laid out as:

* every sheet: row 1 a title, row 2 a one-line note (or the title of each table on the
  multi-table sheets), row 3 the header row of its table(s) (``HEADER_ROW``); data from
  row 4. An empty table keeps one blank data row (XlsxWriter, like Excel, needs one).
* the sheets with several generated tables (Validation, Rollup) place them **side by
  side** with one empty column between them, all with their header on row 3, so the
  Rollup writer can give every table any number of rows without one running into
  another. :data:`TABLE_ANCHORS` holds the top-left (header) cell of every table and
  :data:`GENERATED_ANCHORS` those of the generated ones: whoever rewrites a generated
  sheet must put each table back at its anchor.
* Dashboard charts are bound to workbook-level defined names (:data:`CHART_SERIES`,
  ``chart_Month``, ``chart_CumPV``...), not to fixed ranges: a chart series on a fixed
  range is either stuck to one row or padded with empty categories. The template defines
  each name as the data body of its generated table; the Rollup writer redefines them to
  the exact rows it wrote (:func:`chart_name_formulas`), so the Dashboard's chart parts
  never change. LibreOffice 7.4 renders such charts (checked: a structured reference
  ``tblRollupMonth[Cum PV]`` as the name's formula does *not* render in LibreOffice,
  hence explicit ranges).

Output is deterministic (fixed document dates; XlsxWriter fixes the zip timestamps), so
building twice gives byte-identical parts: ``tests/test_template.py`` uses that to check
the committed ``workbooks/PMO_Template.xlsx`` is current.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from .. import schema
from ..errors import PmoError
from .atomic import atomic_path, check_not_open

if TYPE_CHECKING:
    import pandas as pd

    from ..config import OrgConfig
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

# --------------------------------------------------------------------------- layout

#: Excel row (1-based) of every table's header row; data starts on the next row.
HEADER_ROW = 3
_HDR = HEADER_ROW - 1  # 0-based
_MAX_ROW = 1_048_575  # 0-based last row: validation and conditional formats cover it all

#: Top-left cell (the header row) of every table.
TABLE_ANCHORS: dict[str, str] = {
    "tblHolidays": "E3",
    "tblPlan": "A3",
    "tblResources": "A3",
    "tblBudget": "A3",
    "tblTimesheet": "A3",
    "tblCosts": "A3",
    "tblChanges": "A3",
    "tblChangeLog": "A3",
    # generated: side by side, one empty column between tables
    "tblFindings": "A3",  # A:G
    "tblDCMA": "I3",  # I:N
    "tblSchedule": "A3",  # A:K
    "tblEVM": "A3",  # A:C
    "tblRollupTask": "E3",  # E:P
    "tblRollupCategory": "R3",  # R:W
    "tblRollupMonth": "Y3",  # Y:AE
    "tblRollupPerson": "AG3",  # AG:AJ
    "tblReserves": "AL3",  # AL:AO
    "tblChangeStats": "AQ3",  # AQ:AR
}

#: Anchors the writer of the generated sheets (Validation, Schedule, Rollup) must honour.
GENERATED_ANCHORS: dict[str, str] = {
    name: TABLE_ANCHORS[name]
    for sheet in schema.SHEETS
    if sheet.name in schema.GENERATED_SHEETS
    for name in sheet.tables
}

#: The settings block on sheet Project: labels in column A, values in column B, from row 4.
SETTINGS_LABEL_COL = "A"
SETTINGS_VALUE_COL = "B"
SETTINGS_FIRST_ROW = HEADER_ROW + 1

#: Chart series names (workbook scope) -> (table, column) they stand for.
CHART_SERIES: dict[str, tuple[str, str]] = {
    "chart_Month": ("tblRollupMonth", "Month"),
    "chart_CumPV": ("tblRollupMonth", "Cum PV"),
    "chart_CumEV": ("tblRollupMonth", "Cum EV"),
    "chart_CumAC": ("tblRollupMonth", "Cum AC"),
    "chart_Category": ("tblRollupCategory", "Category"),
    "chart_CatBudget": ("tblRollupCategory", "Budget"),
    "chart_CatAC": ("tblRollupCategory", "AC"),
}

#: Change-request statuses that count as open on the Dashboard (not yet done or dropped).
OPEN_CR_STATUSES = schema.OPEN_CR_STATUSES  # awaiting a decision

#: tblEVM metrics the Dashboard reads (MATCH on tblEVM[Metric], case-insensitive).
DASHBOARD_EVM_METRICS = ("PV", "EV", "CPI", "SPI", "EAC", "VAC")

# --------------------------------------------------------------------------- Dashboard actions

#: Dashboard rows 4-15 (0-based 3-14: the KPI tiles, the note, the top of the charts) all
#: have this height (points), so the buttons beside them, one every two rows, are evenly
#: spaced.
DASHBOARD_ROW_PT = 24
_DASH_FIRST, _DASH_LAST = 3, 14  # 0-based rows of that height

#: Column (0-based) of the xlwings Lite / Server buttons (K) and of the .xlsm's form
#: buttons running the VBA macros (L, :mod:`pmo_xl.io.xlsm`).
ACTION_COL = 10
MACRO_COL = 11
ACTION_COL_WIDTH = 27  # characters
#: Every button: pixels, placed from the top-left of its row, one every two rows from row 4.
BUTTON_WIDTH, BUTTON_HEIGHT, BUTTON_X_OFFSET = 180, 44, 7
BUTTON_FIRST_ROW = 3  # 0-based (row 4)


@dataclass(frozen=True)
class Button:
    """A Dashboard button of xlwings Lite / Server: a shape named ``shape`` whose hyperlink
    selects ``cell`` (which the shape covers); ``@script(button="[shape]Dashboard!cell")``
    in :mod:`pmo_udfs` (``BUTTONS``) binds ``script`` to it."""

    shape: str
    cell: str
    caption: str
    script: str

    @property
    def binding(self) -> str:
        """As ``pmo_udfs.BUTTONS`` spells it: ``[btnValidate]Dashboard!K4``."""
        return f"[{self.shape}]Dashboard!{self.cell}"


def _button_cell(i: int) -> str:
    return xl_rowcol_to_cell(BUTTON_FIRST_ROW + 2 * i, ACTION_COL)


#: The xlwings Lite / Server buttons, in Dashboard order (the .xlsm's macros follow it).
LITE_BUTTONS: tuple[Button, ...] = tuple(
    Button(shape, _button_cell(i), caption, script)
    for i, (shape, caption, script) in enumerate((
        ("btnValidate", "Validate plan", "validate_workbook"),
        ("btnRollup", "Refresh roll-up", "refresh_rollup"),
        ("btnSchedule", "Refresh schedule", "refresh_schedule"),
        ("btnNewChange", "New change request", "new_change_request"),
        ("btnDecideChange", "Decide change request", "decide_change_request"),
        ("btnRefreshAll", "Refresh all", "refresh_all"),
    ))
)

#: The Dashboard cell where the scripts report their outcome (defined name ``pmoStatus``):
#: under the buttons, merged over STATUS_ROWS rows (and over column L in the .xlsm).
STATUS_NAME = "pmoStatus"
STATUS_ROW = BUTTON_FIRST_ROW + 2 * 6 + 1  # 0-based: row 17; its label on row 16
STATUS_ROWS = 5

# --------------------------------------------------------------------------- change form


@dataclass(frozen=True)
class FormField:
    """One input cell of the change-request form (a workbook-level defined name)."""

    name: str
    label: str
    kind: str = "text"  # text | choice | number | date
    choices: str | tuple[str, ...] | None = None  # a LISTS key (drop-down), or the items
    help: str = ""
    required: bool = False
    num_format: str | None = None
    header: str | None = None  # the tblChanges column it fills (new requests)


def _register_field(name: str, header: str, help: str = "", required: bool = False) -> FormField:
    """A new-request field typed as its tblChanges column."""
    col = schema.TABLES["tblChanges"].column(header)
    return FormField(name, header, col.kind, col.choices, help or col.help, required, col.format, header)


#: New change request (``pmo_udfs.new_change_request``, as ``pmo-xl change add``).
NEW_REQUEST_FORM: tuple[FormField, ...] = (
    _register_field("frmTitle", "Title", "A short name for the change.", required=True),
    _register_field("frmRequestedBy", "Requested By", "Who asks for the change.", required=True),
    _register_field("frmDescription", "Description", "What changes."),
    _register_field("frmType", "Type"),
    _register_field("frmPriority", "Priority"),
    _register_field("frmRationale", "Rationale", "Why it is needed."),
    _register_field("frmCostImpact", "Cost Impact", "Estimated cost (project currency); negative = saving."),
    _register_field("frmScheduleImpact", "Schedule Impact", "Working days; negative = earlier."),
    _register_field("frmAffectedTasks", "Affected Tasks"),
    _register_field("frmFunding", "Funding", "Which reserve pays if approved."),
    _register_field("frmOwner", "Owner", "Who takes the request forward."),
)

#: The decisions the form offers (``pmo-xl change decide`` verbs).
DECISION_CHOICES = ("Approve", "Reject", "Defer")

#: Decision on a change request Under Review (``pmo_udfs.decide_change_request``).
DECISION_FORM: tuple[FormField, ...] = (
    FormField("frmCrId", "CR ID", help="The request to decide, e.g. CR-0004 (status Under Review).",
              required=True),
    FormField("frmDecision", "Decision", "choice", DECISION_CHOICES, "Approve, Reject or Defer.", required=True),
    FormField("frmDecisionBy", "Decision By", help="Who decided (a person or the board).", required=True),
    FormField("frmDecisionDate", "Decision Date", "date", help="Empty = today; not before Date Raised.",
              num_format="yyyy-mm-dd"),
    FormField("frmDecisionNotes", "Decision Notes", help="Conditions or reasons; kept in the register."),
    FormField("frmDecisionCostImpact", "Cost Impact", "number",
              help="Needed to approve unless already in the register (0 allowed); adds a budget line.",
              num_format="#,##0.00"),
    FormField("frmDecisionScheduleImpact", "Schedule Impact", "number",
              help="Working days; needed to approve unless already in the register (0 allowed).", num_format="0"),
)

#: Free-text fields shown as taller boxes.
_TALL_FIELDS = frozenset({"frmDescription", "frmRationale", "frmDecisionNotes"})

#: Where the change scripts report (read-only look), under the decision form.
FORM_RESULT_NAME = "frmResult"

#: The form's place: right of tblChanges with one empty column between: labels, input
#: cells, help; headers on the table's header row.
_CHANGES_LAST_COL = xl_cell_to_rowcol(TABLE_ANCHORS["tblChanges"])[1] + len(schema.TABLES["tblChanges"].columns) - 1
FORM_LABEL_COL = _CHANGES_LAST_COL + 2  # 0-based (T)
FORM_VALUE_COL = FORM_LABEL_COL + 1  # U
FORM_HELP_COL = FORM_LABEL_COL + 2  # V
NEW_REQUEST_ROW = _HDR  # 0-based header row of the new-request block (row 3)
DECISION_ROW = NEW_REQUEST_ROW + len(NEW_REQUEST_FORM) + 3  # row 17
FORM_RESULT_ROW = DECISION_ROW + len(DECISION_FORM) + 3  # row 27


def form_cells() -> dict[str, str]:
    """Every form name -> its cell on sheet Changes (``"U4"``), result cell included."""
    out = {}
    for first, fields in ((NEW_REQUEST_ROW, NEW_REQUEST_FORM), (DECISION_ROW, DECISION_FORM)):
        for i, f in enumerate(fields):
            out[f.name] = xl_rowcol_to_cell(first + 1 + i, FORM_VALUE_COL)
    out[FORM_RESULT_NAME] = xl_rowcol_to_cell(FORM_RESULT_ROW, FORM_VALUE_COL)
    return out


#: Fixed document dates: the template is byte-for-byte reproducible.
DOCUMENT_DATE = dt.datetime(2026, 1, 1, 0, 0, 0)

_LIST_PREFIX = "lst_"

_INPUT_STYLE = "Table Style Medium 2"
_GENERATED_STYLE = "Table Style Light 9"

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()


def list_name(list_key: str) -> str:
    """Workbook-scoped defined name of a drop-down list, e.g. ``lst_TaskType``."""
    return _LIST_PREFIX + list_key


def table_range(name: str, n_rows: int) -> tuple[int, int, int, int]:
    """0-based (first_row, first_col, last_row, last_col) of table ``name`` holding
    ``n_rows`` data rows (at least one: an empty table keeps one blank row)."""
    row, col = xl_cell_to_rowcol(TABLE_ANCHORS[name])
    ncols = len(schema.TABLES[name].columns)
    return row, col, row + max(n_rows, 1), col + ncols - 1


def table_ref(name: str, n_rows: int) -> str:
    """A1 range of table ``name`` (header row included), e.g. ``"A3:R60"``."""
    r0, c0, r1, c1 = table_range(name, n_rows)
    return f"{xl_rowcol_to_cell(r0, c0)}:{xl_rowcol_to_cell(r1, c1)}"


def _quote_sheet(sheet: str) -> str:
    return f"'{sheet}'" if not sheet.replace("_", "").isalnum() else sheet


def column_data_range(table_name: str, column: str, n_rows: int) -> str:
    """Absolute range of one column's data body, e.g. ``=Rollup!$AC$4:$AC$15``."""
    t = schema.TABLES[table_name]
    r0, c0, r1, _ = table_range(table_name, n_rows)
    letter = xl_col_to_name(c0 + t.headers.index(column))
    return f"={_quote_sheet(t.sheet)}!${letter}${r0 + 2}:${letter}${r1 + 1}"


def chart_name_formulas(n_rows: Mapping[str, int] | None = None) -> dict[str, str]:
    """Formula of every chart series name for tables of ``n_rows`` data rows.

    The Rollup writer calls this with the row counts it wrote and stores the result as
    the workbook's ``definedName`` elements, so the Dashboard's charts follow the data.
    """
    n_rows = n_rows or {}
    return {
        name: column_data_range(table, column, n_rows.get(table, 0))
        for name, (table, column) in CHART_SERIES.items()
    }


# --------------------------------------------------------------------------- values


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if type(v).__name__ in ("NAType", "NaTType"):  # pandas.NA, pandas.NaT
        return True
    try:  # numpy NaN scalars
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def _excel_serial(v: dt.date) -> float:
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        delta = v - _EXCEL_EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return v.toordinal() - _EXCEL_EPOCH_ORDINAL


def _parse_setting(setting: schema.Setting, value: Any) -> Any:
    if _is_missing(value) or value == "":
        return None
    if setting.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise PmoError(f"setting {setting.name}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if setting.kind in ("number", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(str(value).strip())
            except ValueError:
                raise PmoError(f"setting {setting.name}: {value!r} is not a number") from None
        return int(value) if setting.kind == "int" or float(value).is_integer() else float(value)
    return str(value)


# --------------------------------------------------------------------------- formats


class _Formats:
    """Every cell format of the template, created once (XlsxWriter shares them)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._num: dict[str, Format] = {}
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F3864"})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self.table_title = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        # Explicit header colours: LibreOffice does not draw table styles, Excel lets cell
        # formats win over them, so both show the same header.
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#1F3864",
                                     "font_color": "#FFFFFF", "border": 1, "border_color": "#8EA9DB"})
        self.label = wb.add_format({"bold": True})
        self.help = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.read_only = wb.add_format({"bg_color": "#EDEDED", "font_color": "#595959", "num_format": "0"})
        self.late = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.over = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.good = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.grey = wb.add_format({"bg_color": "#EDEDED", "font_color": "#595959"})
        self.blue = wb.add_format({"bg_color": "#DDEBF7", "font_color": "#1F3864"})
        self.critical = wb.add_format({"bold": True, "font_color": "#C00000"})
        # dashboard
        tile = {"border": 1, "border_color": "#BFBFBF", "bg_color": "#F2F6FC"}
        self.tile_label = wb.add_format({**tile, "bold": True, "font_size": 9, "font_color": "#595959",
                                         "align": "center", "valign": "vcenter", "bottom": 0,
                                         "text_wrap": True})
        self.tile_value = {
            fmt: wb.add_format({**tile, "bold": True, "font_size": 16, "font_color": "#1F3864",
                                "align": "center", "top": 0, "num_format": fmt})
            for fmt in ("#,##0", "#,##0.0", "0%", "0.00", "0", "yyyy-mm-dd")
        }
        self.block_header = wb.add_format({"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1})
        self.block_cell = wb.add_format({"border": 1, "border_color": "#BFBFBF"})
        self.block_total = wb.add_format({"bold": True, "border": 1, "border_color": "#BFBFBF"})
        self.panel_title = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "font_color": "#7F6000", "border": 1,
                                          "border_color": "#BF9000"})
        self.panel = wb.add_format({"bg_color": "#FFF2CC", "text_wrap": True, "valign": "top", "left": 1, "right": 1,
                                    "border_color": "#BF9000"})
        self.panel_last = wb.add_format({"bg_color": "#FFF2CC", "text_wrap": True, "valign": "top", "left": 1,
                                         "right": 1, "bottom": 1, "border_color": "#BF9000"})
        self.subtitle = wb.add_format({"font_color": "#595959"})
        # results the scripts write (pmoStatus, frmResult): boxed, grey, wrapped
        self.result = wb.add_format({"bg_color": "#F2F2F2", "font_color": "#1F3864", "border": 1,
                                     "border_color": "#BFBFBF", "text_wrap": True, "valign": "top"})
        self.link = wb.add_format({"font_color": "#0563C1", "underline": 1})

    def setting(self, num_format: str | None, wrap: bool = False) -> Format:
        """A settings (or form) input cell: shaded and boxed so it reads as "type here"."""
        key = "setting:" + (num_format or "") + (":wrap" if wrap else "")
        if key not in self._num:
            props: dict[str, Any] = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF", "align": "left"}
            if num_format:
                props["num_format"] = num_format
            if wrap:
                props.update(text_wrap=True, valign="top")
            self._num[key] = self.wb.add_format(props)
        return self._num[key]

    def number(self, num_format: str | None) -> Format | None:
        if not num_format:
            return None
        if num_format not in self._num:
            self._num[num_format] = self.wb.add_format({"num_format": num_format})
        return self._num[num_format]


# --------------------------------------------------------------------------- builder


def build_workbook(
    path: str | Path,
    settings: Mapping[str, Any] | None = None,
    rows: Mapping[str, Sequence[Mapping[str, Any]] | pd.DataFrame] | None = None,
    *,
    overwrite: bool = False,
    config: OrgConfig | None = None,
) -> Path:
    """Write the standard PMO workbook to ``path`` (atomically) and return the path.

    ``settings``: values for the defined names of :data:`schema.SETTINGS` (defaults for
    the missing ones; dates as :class:`datetime.date` or ISO text). ``rows``: data for
    tables keyed by table name, each a list of dicts keyed by header or a DataFrame;
    None/NaN/NaT give an empty cell. Strings are always written as text, never as
    formulas. Refuses to replace an existing file unless ``overwrite``.

    ``config`` (a parsed ``pmo.toml``, :class:`pmo_xl.config.OrgConfig`): its organisation
    defaults fill the settings the caller leaves empty, its extended lists feed the
    drop-downs, and its thresholds are stored on the Lists sheet (``cfg…`` names) so the
    workbook carries them. Without it the workbook is the standard template, unchanged.

    >>> build_workbook("Project.xlsx", {"ProjectName": "CRM roll-out"})  # doctest: +SKIP
    PosixPath('Project.xlsx')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    macros = suffix == ".xlsm"
    if not macros and suffix != ".xlsx":
        raise PmoError(f"{path.name}: the template is an .xlsx (or .xlsm) file, not {path.suffix or 'no extension'}")
    if path.exists() and not overwrite:
        raise PmoError(f"{path} already exists; use --force to replace it")
    if path.exists():
        check_not_open(path)
    if not path.parent.is_dir():
        raise PmoError(f"{path.parent}: no such folder")

    settings = dict(settings or {})
    if config is not None:
        for name, value in config.setting_defaults().items():
            if _is_missing(settings.get(name)) or settings.get(name) == "":
                settings[name] = value
    values = _settings_values(settings)
    data = _table_rows(rows or {})

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
                "use_future_functions": False,
            },
        )
        try:
            builder = _Builder(wb, values, data, config, macros=macros)
            builder.build()
            if macros:
                _macro_hook(wb, builder.sheets)
        finally:
            with warnings.catch_warnings():
                # chart series on workbook-level names ("[0]!chart_CumPV") are not ranges
                # XlsxWriter can cache; Excel and LibreOffice resolve them on open.
                warnings.filterwarnings("ignore", message="Unknown worksheet reference")
                wb.close()
        name_button_shapes(tmp, {f"#Dashboard!{b.cell}": b.shape for b in LITE_BUTTONS})
    return path


_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_DML = "http://schemas.openxmlformats.org/drawingml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def name_button_shapes(path: str | Path, names: Mapping[str, str]) -> int:
    """Give the Dashboard's button shapes their names, in the written file at ``path``.

    XlsxWriter (3.3) names every text box ``TextBox N`` and has no option for a shape's
    name, which xlwings Lite binds a button by. So the shapes whose hyperlink goes to a
    target of ``names`` (``{"#Dashboard!K4": "btnValidate"}``) are renamed here, made
    plain rounded rectangles (a shape rather than a text box: clicking it follows the
    link instead of editing the text), and the drawing part is written back. Every other
    part is copied byte for byte. Returns how many shapes were named.
    """
    from lxml import etree

    from .parts.zipper import Entry, SourceZip, write_zip

    path = Path(path)
    blob = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        infos = z.infolist()
        parts = {i.filename: i for i in infos}
        changed: dict[str, bytes] = {}
        count = 0
        for name in parts:
            if not (name.startswith("xl/drawings/drawing") and name.endswith(".xml")):
                continue
            rels_name = name.replace("xl/drawings/", "xl/drawings/_rels/") + ".rels"
            if rels_name not in parts:
                continue
            rels = etree.fromstring(z.read(rels_name))
            targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{_PKG_REL}}}Relationship")}
            root = etree.fromstring(z.read(name))
            hit = 0
            for sp in root.iter(f"{{{_XDR}}}sp"):
                c_nv = sp.find(f"{{{_XDR}}}nvSpPr/{{{_XDR}}}cNvPr")
                link = c_nv.find(f"{{{_DML}}}hlinkClick") if c_nv is not None else None
                shape = names.get(targets.get(link.get(f"{{{_REL}}}id"), "")) if link is not None else None
                if shape is None:
                    continue
                c_nv.set("name", shape)
                sp_pr = sp.find(f"{{{_XDR}}}nvSpPr/{{{_XDR}}}cNvSpPr")
                if sp_pr is not None and "txBox" in sp_pr.attrib:
                    del sp_pr.attrib["txBox"]
                geom = sp.find(f"{{{_XDR}}}spPr/{{{_DML}}}prstGeom")
                if geom is not None:
                    geom.set("prst", "roundRect")
                hit += 1
            if hit:
                changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                count += hit
    if changed:
        source = SourceZip(blob, infos)
        entries = [Entry(i.filename, info=i, data=changed.get(i.filename)) for i in infos]
        with open(path, "wb") as fh:
            write_zip(fh, source, entries)
    return count


def _macro_hook(wb: Workbook, sheets: dict[str, Worksheet]) -> None:
    """The macro-enabled (.xlsm) template: VBA project, xlwings.conf sheet, Dashboard
    buttons (:mod:`pmo_xl.io.xlsm`)."""
    from .xlsm import add_macros

    add_macros(wb, sheets)


def _settings_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(settings) - set(schema.SETTINGS_BY_NAME))
    if unknown:
        raise PmoError(f"unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for s in schema.SETTINGS:
        if s.read_only:
            values[s.name] = s.default
            continue
        v = _parse_setting(s, settings.get(s.name))
        values[s.name] = s.default if v is None else v
    return values


def _table_rows(rows: Mapping[str, Any]) -> dict[str, tuple[int, dict[str, list[Any]]]]:
    """{table: (n_rows, {header: values})}, checked against the schema."""
    out: dict[str, tuple[int, dict[str, list[Any]]]] = {}
    for name, data in rows.items():
        if name not in schema.TABLES:
            raise PmoError(f"unknown table {name!r}")
        headers = schema.TABLES[name].headers
        if hasattr(data, "columns") and hasattr(data, "to_dict"):  # a DataFrame
            cols = [str(c) for c in data.columns]
            bad = [c for c in cols if c not in headers]
            if bad:
                raise PmoError(f"{name} has no column(s) {', '.join(map(repr, bad))}")
            n = len(data)
            columns = {h: data[h].tolist() if h in cols else [None] * n for h in headers}
        else:
            records = list(data)
            n = len(records)
            seen: set[str] = set()
            for rec in records:
                seen.update(rec.keys())
            bad = sorted(seen - set(headers))
            if bad:
                raise PmoError(f"{name} has no column(s) {', '.join(map(repr, bad))}")
            columns = {h: [rec.get(h) for rec in records] for h in headers}
        out[name] = (n, columns)
    return out


class _Builder:
    """Writes one workbook; one ``_write_<sheet>`` method per kind of sheet."""

    def __init__(self, wb: Workbook, settings: dict[str, Any], data: dict[str, tuple[int, dict[str, list[Any]]]],
                 config: OrgConfig | None = None, *, macros: bool = False):
        self.wb = wb
        self.config = config
        self.macros = macros
        self.lists: dict[str, tuple[str, ...]] = config.lists if config is not None else dict(schema.LISTS)
        self.settings = settings
        self.data = data
        self.f = _Formats(wb)
        self.sheets: dict[str, Worksheet] = {}

    def n_rows(self, table: str) -> int:
        return self.data.get(table, (0, {}))[0]

    # ------------------------------------------------------------------ outline

    def build(self) -> None:
        wb = self.wb
        wb.set_properties(
            {
                "title": "PMO project workbook",
                "subject": "Project plan, actuals, earned value and change register",
                "author": "pmo-xl",
                "company": "PMO",
                "keywords": "PMO, plan, EVM, change register",
                "comments": f"Standard PMO workbook, template version {schema.TEMPLATE_VERSION}",
                "created": DOCUMENT_DATE,
            }
        )
        wb.set_custom_property("TemplateVersion", schema.TEMPLATE_VERSION)
        for sheet in schema.SHEETS:
            self.sheets[sheet.name] = wb.add_worksheet(sheet.name)
        self._write_lists()
        self._write_project()
        for sheet in schema.SHEETS:
            if sheet.name in ("Dashboard", "Project", "Lists"):
                continue
            self._write_table_sheet(sheet)
        self._define_chart_names()
        self._write_dashboard()
        self.sheets["Dashboard"].activate()

    # ------------------------------------------------------------------ Lists

    def _write_lists(self) -> None:
        ws = self.sheets["Lists"]
        ws.write_string(0, 0, "Drop-down sources (maintained by pmo-xl; the template reads them by name)", self.f.note)
        for col, (key, items) in enumerate(self.lists.items()):
            ws.write_string(1, col, key, self.f.label)
            for i, item in enumerate(items):
                ws.write_string(2 + i, col, item)
            letter = xl_col_to_name(col)
            self.wb.define_name(list_name(key), f"=Lists!${letter}$3:${letter}${2 + len(items)}")
            ws.set_column(col, col, max(12, max(len(x) for x in items) + 2))
        if self.config is not None:
            self._write_stored_config(ws)
        ws.hide()

    def _write_stored_config(self, ws: Worksheet) -> None:
        """The organisation settings (pmo.toml) as a labelled block with ``cfg…`` names,
        read back by :func:`pmo_xl.config.thresholds_for`."""
        from ..config import STORED_FIRST_ROW, STORED_LABEL_COL

        assert self.config is not None
        c = STORED_LABEL_COL - 1  # 0-based label column; values one to the right
        ws.write_string(STORED_FIRST_ROW - 2, c, "Organisation settings (pmo.toml)", self.f.label)
        ws.write_string(STORED_FIRST_ROW - 2, c + 1, "Value", self.f.label)
        letter = xl_col_to_name(c + 1)
        for i, (name, label, value) in enumerate(self.config.stored()):
            row = STORED_FIRST_ROW - 1 + i
            ws.write_string(row, c, label)
            if isinstance(value, str):
                ws.write_string(row, c + 1, value)
            else:
                ws.write_number(row, c + 1, value)
            self.wb.define_name(name, f"=Lists!${letter}${row + 1}")
        ws.set_column(c, c, 34)
        ws.set_column(c + 1, c + 1, 12)

    # ------------------------------------------------------------------ Project

    def _write_project(self) -> None:
        ws = self.sheets["Project"]
        f = self.f
        ws.write_string(0, 0, "Project settings", f.title)
        ws.write_string(1, 0, "Fill in the values in column B; pmo-xl and the Dashboard read them by name.", f.note)
        for col, text in enumerate(("Setting", "Value", "About")):
            ws.write_string(_HDR, col, text, f.header)
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 56)
        ws.set_column(3, 3, 3)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        vcol = xl_cell_to_rowcol(SETTINGS_VALUE_COL + "1")[1]
        for i, s in enumerate(schema.SETTINGS):
            row = _HDR + 1 + i
            ws.write_string(row, 0, s.label + (" *" if s.required else ""), f.label)
            num_format = schema.DEFAULT_FORMATS.get(s.kind) if s.kind != "text" else None
            if s.kind == "number":
                num_format = schema.MONEY if "Reserve" in s.name else None  # General: 8, 7.5
            fmt = f.read_only if s.read_only else f.setting(num_format)
            value = self.settings.get(s.name)
            if value is None:
                ws.write_blank(row, vcol, None, fmt)
            elif isinstance(value, dt.date):
                ws.write_number(row, vcol, _excel_serial(value), fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(row, vcol, value, fmt)
            else:
                ws.write_string(row, vcol, str(value), fmt)
            about = s.help + (" (read-only)" if s.read_only else "")
            if about:
                ws.write_string(row, 2, about, f.help)
            cell = f"Project!${SETTINGS_VALUE_COL}${row + 1}"
            self.wb.define_name(s.name, "=" + cell)
            self._setting_validation(ws, row, vcol, s)
        ws.write_string(_HDR + 2 + len(schema.SETTINGS), 0, "* required", f.note)
        self._write_table("tblHolidays", ws, _INPUT_STYLE)
        r, c = xl_cell_to_rowcol(TABLE_ANCHORS["tblHolidays"])
        ws.write_string(r - 1, c, schema.TABLES["tblHolidays"].title, f.table_title)

    def _setting_validation(self, ws: Worksheet, row: int, col: int, s: schema.Setting) -> None:
        opts: dict[str, Any] = {"input_title": s.label[:32], "input_message": (s.help or s.label)[:255]}
        if s.read_only:
            opts.update(validate="integer", criteria="==", value=s.default,
                        error_title="Read-only", error_message="The template version is set by pmo-xl.")
        elif s.kind == "date":
            opts.update(validate="date", criteria=">=", value=dt.date(1900, 1, 1),
                        error_message="Enter a date, e.g. 2026-03-31.")
        elif s.kind in ("number", "int"):
            opts.update(validate="decimal", criteria=">=", value=0, error_message="Enter a number ≥ 0.")
        elif s.name == "WorkWeek":
            opts.update(validate="length", criteria="==", value=7,
                        error_message="Seven characters Mon..Sun, 1 = working day, e.g. 1111100.")
        elif s.name == "Currency":
            opts.update(validate="length", criteria="==", value=3, error_message="A 3-letter ISO 4217 code, e.g. EUR.")
        else:
            opts.update(validate="any")
        ws.data_validation(row, col, row, col, opts)

    # ------------------------------------------------------------------ table sheets

    def _write_table_sheet(self, sheet: schema.Sheet) -> None:
        ws = self.sheets[sheet.name]
        f = self.f
        generated = sheet.name in schema.GENERATED_SHEETS
        if len(sheet.tables) == 1:
            title = schema.TABLES[sheet.tables[0]].title or sheet.name
        else:
            title = sheet.name
        ws.write_string(0, 0, title, f.title)
        if generated:
            note = f"{sheet.purpose} Written by pmo-xl: edits here are replaced on the next run."
        else:
            note = sheet.purpose
        if len(sheet.tables) == 1:
            ws.write_string(1, 0, note, f.note)
        else:
            ws.write_string(0, 2, note, f.note)
            for name in sheet.tables:
                r, c = xl_cell_to_rowcol(TABLE_ANCHORS[name])
                ws.write_string(r - 1, c, schema.TABLES[name].title, f.table_title)
        for name in sheet.tables:
            self._write_table(name, ws, _GENERATED_STYLE if generated else _INPUT_STYLE)
        ws.set_row(_HDR, 30)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # one page wide
        ws.repeat_rows(_HDR)
        if sheet.name == "Plan":
            ws.freeze_panes(HEADER_ROW, 3)
        else:
            ws.freeze_panes(HEADER_ROW, 0)
        self._conditional_formats(sheet.name, ws)
        if sheet.name == "Changes":
            self._write_change_form(ws)
            # printed: the register, one page wide, without the form beside it. Not whole
            # columns ("$A:$R", which openpyxl cannot read back): all rows but the last.
            ws.print_area(0, 0, _MAX_ROW - 1, _CHANGES_LAST_COL)

    # ------------------------------------------------------------------ change form

    def _write_change_form(self, ws: Worksheet) -> None:
        """The change-request form right of tblChanges (:data:`NEW_REQUEST_FORM`,
        :data:`DECISION_FORM`, :data:`FORM_RESULT_NAME`): one labelled, shaded input cell
        per workbook-level name, with drop-downs and input messages. Nothing of it is
        below the table, so the table grows freely."""
        f = self.f
        lc, vc, hc = FORM_LABEL_COL, FORM_VALUE_COL, FORM_HELP_COL
        ws.set_column(lc - 1, lc - 1, 3)
        ws.set_column(lc, lc, 20)
        ws.set_column(vc, vc, 34)
        ws.set_column(hc, hc, 60)
        ws.write_string(_HDR - 1, lc, "Change request form", f.table_title)
        ws.write_url(0, 3, f"internal:Changes!{xl_rowcol_to_cell(_HDR, lc)}", f.link,
                     f"Change request form → {xl_col_to_name(lc)}{HEADER_ROW}",
                     "The form for new change requests and decisions, right of the register")
        blocks = (
            (NEW_REQUEST_ROW, "New change request", NEW_REQUEST_FORM,
             "Fill in, then press New change request on the Dashboard: the request is added "
             "(Draft, next CR ID) and the form cleared. Same as pmo-xl change add."),
            (DECISION_ROW, "Decision on a change request", DECISION_FORM,
             "Fill in, then press Decide change request on the Dashboard. Same as pmo-xl change decide."),
        )
        help_format = self.wb.add_format({"italic": True, "font_color": "#595959", "valign": "top"})
        label_format = self.wb.add_format({"bold": True, "valign": "top"})
        for first, title, fields, note in blocks:
            for col, text in ((lc, title), (vc, "Value"), (hc, "About")):
                ws.write_string(first, col, text, f.header)
            ws.set_row(first, 30)
            for i, field in enumerate(fields):
                row = first + 1 + i
                ws.write_string(row, lc, field.label + (" *" if field.required else ""), label_format)
                ws.write_blank(row, vc, None, f.setting(field.num_format if field.kind != "text" else None,
                                                        wrap=field.kind == "text"))
                about = field.help or ("Pick from the list." if field.kind == "choice" else "")
                if about:
                    ws.write_string(row, hc, about, help_format)
                if field.name in _TALL_FIELDS:
                    ws.set_row(row, 30)
                self.wb.define_name(field.name, f"=Changes!${xl_col_to_name(vc)}${row + 1}")
                self._form_validation(ws, row, vc, field)
            ws.write_string(first + 1 + len(fields), lc, note + "  * required", f.note)
        ws.write_string(FORM_RESULT_ROW, lc, "Result", label_format)
        ws.write_blank(FORM_RESULT_ROW, vc, None, f.result)
        ws.write_string(FORM_RESULT_ROW, hc, "What the last button press did (written by pmo-xl).", help_format)
        ws.set_row(FORM_RESULT_ROW, 45)
        self.wb.define_name(FORM_RESULT_NAME, f"=Changes!${xl_col_to_name(vc)}${FORM_RESULT_ROW + 1}")

    def _form_validation(self, ws: Worksheet, row: int, col: int, field: FormField) -> None:
        message = field.help
        opts: dict[str, Any]
        if field.kind == "choice":
            if isinstance(field.choices, str):
                items = self.lists[field.choices]
                source: Any = "=" + list_name(field.choices)
            else:
                items = tuple(field.choices or ())
                source = list(items)
            opts = {"validate": "list", "source": source, "error_message": f"Pick one of: {', '.join(items)}."[:255]}
            message = message or "Pick from the list."
        elif field.kind == "date":
            opts = {"validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1),
                    "error_message": "Enter a date, e.g. 2026-03-31."}
            message = message or "A date, e.g. 2026-03-31."
        elif field.kind == "number":
            opts = {"validate": "decimal", "criteria": "between", "minimum": -1e12, "maximum": 1e12,
                    "error_message": "Enter a number."}
            message = message or "A number."
        else:
            opts = {"validate": "any"}
        if field.required:
            message = (message + " Required.").strip()
        opts["input_title"] = field.label[:32]
        opts["input_message"] = (message or field.label)[:255]
        opts.setdefault("error_title", field.label[:32])
        ws.data_validation(row, col, row, col, opts)

    def _write_table(self, name: str, ws: Worksheet, style: str) -> None:
        t = schema.TABLES[name]
        r0, c0, r1, c1 = table_range(name, self.n_rows(name))
        fmts = [self.f.number(col.format) for col in t.columns]
        for i, col in enumerate(t.columns):
            ws.set_column(c0 + i, c0 + i, col.width, fmts[i])
        if name in self.data:
            self._write_rows(ws, t, r0 + 1, c0, fmts)
        ws.add_table(
            r0,
            c0,
            r1,
            c1,
            {
                "name": name,
                "style": style,
                "columns": [{"header": h, "header_format": self.f.header} for h in t.headers],
            },
        )
        if name in schema.INPUT_TABLES and name != "tblChangeLog":
            self._column_validations(ws, t, r0 + 1, c0)

    def _write_rows(self, ws: Worksheet, t: schema.Table, first_row: int, c0: int, fmts: list[Any]) -> None:
        n, columns = self.data[t.name]
        date_fmt = self.f.number("yyyy-mm-dd")
        for i, col in enumerate(t.columns):
            values = columns[col.name]
            c = c0 + i
            fmt = fmts[i]
            kind = col.kind
            write_number = ws.write_number
            write_string = ws.write_string
            for j, v in enumerate(values):
                if v is None or _is_missing(v):
                    continue
                r = first_row + j
                if isinstance(v, str):
                    write_string(r, c, v, fmt)
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v, fmt)
                elif isinstance(v, dt.date):
                    dfmt = fmt if kind in ("date", "datetime") else date_fmt
                    write_number(r, c, _excel_serial(v), dfmt)
                elif isinstance(v, (int, float)):
                    write_number(r, c, v, fmt)
                elif hasattr(v, "item"):  # numpy scalar
                    item = v.item()
                    if isinstance(item, bool):
                        ws.write_boolean(r, c, item, fmt)
                    elif isinstance(item, (int, float)):
                        write_number(r, c, item, fmt)
                    else:
                        write_string(r, c, str(item), fmt)
                else:
                    write_string(r, c, str(v), fmt)

    def _column_validations(self, ws: Worksheet, t: schema.Table, first_row: int, c0: int) -> None:
        """Drop-downs, type checks and input messages for every column (whole column)."""
        for i, col in enumerate(t.columns):
            c = c0 + i
            message = col.help
            opts: dict[str, Any]
            if col.kind == "choice" and col.choices:
                items = self.lists[col.choices]
                opts = {"validate": "list", "source": "=" + list_name(col.choices),
                        "error_message": f"Pick one of: {', '.join(items)}."[:255]}
                message = message or "Pick from the list."
            elif col.kind in ("date", "datetime"):
                opts = {"validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1),
                        "error_message": "Enter a date, e.g. 2026-03-31."}
                message = message or "A date, e.g. 2026-03-31."
            elif col.kind == "percent":
                lo = col.minimum if col.minimum is not None else 0
                hi = col.maximum if col.maximum is not None else 1
                opts = {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": hi,
                        "error_message": f"Enter a percentage from {lo:.0%} to {hi:.0%}."}
                message = message or f"{lo:.0%} to {hi:.0%}."
            elif col.kind in ("int", "number"):
                validate = "integer" if col.kind == "int" else "decimal"
                what = "a whole number" if col.kind == "int" else "a number"
                if col.minimum is not None and col.maximum is not None:
                    opts = {"validate": validate, "criteria": "between", "minimum": col.minimum,
                            "maximum": col.maximum, "error_message": f"Enter {what} from {col.minimum:g} to {col.maximum:g}."}
                    message = message or f"{what.capitalize()} from {col.minimum:g} to {col.maximum:g}."
                elif col.minimum is not None:
                    opts = {"validate": validate, "criteria": ">=", "value": col.minimum,
                            "error_message": f"Enter {what} ≥ {col.minimum:g}."}
                    message = message or f"{what.capitalize()} ≥ {col.minimum:g}."
                else:
                    opts = {"validate": validate, "criteria": "between", "minimum": -1e12, "maximum": 1e12,
                            "error_message": f"Enter {what}."}
                    message = message or f"{what.capitalize()}."
            elif message:
                opts = {"validate": "any"}
            else:
                continue
            if col.required:
                message = (message + " Required.").strip()
            opts["input_title"] = col.name[:32]
            opts["input_message"] = message[:255]
            opts.setdefault("error_title", col.name[:32])
            ws.data_validation(first_row, c, _MAX_ROW, c, opts)

    # ------------------------------------------------------------------ conditional formats

    def _col(self, table: str, column: str) -> tuple[int, str]:
        """(0-based column, letter) of ``column`` in ``table``."""
        _, c0 = xl_cell_to_rowcol(TABLE_ANCHORS[table])
        c = c0 + schema.TABLES[table].headers.index(column)
        return c, xl_col_to_name(c)

    def _conditional_formats(self, sheet: str, ws: Worksheet) -> None:
        f = self.f
        first = _HDR + 1  # first data row, 0-based
        row1 = first + 1  # ... 1-based, for relative formula references
        if sheet == "Plan":
            t = "tblPlan"
            c0, _ = self._col(t, "ID")
            _, last = self._col(t, "Notes")
            _, finish = self._col(t, "Finish")
            _, pct = self._col(t, "% Complete")
            _, typ = self._col(t, "Type")
            _, status = self._col(t, "Status")
            late = (
                f"=AND(ISNUMBER(${finish}{row1}),${finish}{row1}<IF(ISNUMBER(StatusDate),StatusDate,TODAY()),"
                f"N(${pct}{row1})<1,${typ}{row1}<>\"Summary\",${status}{row1}<>\"Cancelled\")"
            )
            ws.conditional_format(first, c0, _MAX_ROW, xl_cell_to_rowcol(last + "1")[1],
                                  {"type": "formula", "criteria": late, "format": f.late})
        elif sheet == "Rollup":
            # rows whose actual cost is over budget, from the key column to % Spent
            for t, key in (("tblRollupTask", "Task ID"), ("tblRollupCategory", "Category")):
                c0, _ = self._col(t, key)
                c1, _ = self._col(t, "% Spent")
                _, budget = self._col(t, "Budget")
                _, ac = self._col(t, "AC")
                over = f"=AND(ISNUMBER(${ac}{row1}),${ac}{row1}>N(${budget}{row1}))"
                ws.conditional_format(first, c0, _MAX_ROW, c1, {"type": "formula", "criteria": over, "format": f.over})
        elif sheet == "Changes":
            c, _ = self._col("tblChanges", "Status")
            colours = {
                "Approved": f.good, "Implemented": f.blue, "Closed": f.grey, "Rejected": f.late,
                "Withdrawn": f.grey, "Submitted": f.amber, "Under Review": f.amber, "Deferred": f.grey,
            }
            for status in schema.LISTS["CRStatus"]:
                if status in colours:
                    ws.conditional_format(first, c, _MAX_ROW, c, {"type": "cell", "criteria": "==",
                                                                  "value": f'"{status}"', "format": colours[status]})
        elif sheet == "Validation":
            c, _ = self._col("tblFindings", "Severity")
            for sev, fmt in (("error", f.late), ("warning", f.amber), ("info", f.blue)):
                ws.conditional_format(first, c, _MAX_ROW, c, {"type": "cell", "criteria": "==",
                                                              "value": f'"{sev}"', "format": fmt})
        elif sheet == "Schedule":
            c0, _ = self._col("tblSchedule", "ID")
            c1, crit = self._col("tblSchedule", "Critical")
            ws.conditional_format(first, c0, _MAX_ROW, c1, {"type": "formula", "criteria": f"=${crit}{row1}=TRUE",
                                                            "format": f.critical})

    # ------------------------------------------------------------------ Dashboard

    def _define_chart_names(self) -> None:
        counts = {t: self.n_rows(t) for t, _ in CHART_SERIES.values()}
        for name, formula in chart_name_formulas(counts).items():
            self.wb.define_name(name, formula)

    def _write_dashboard(self) -> None:
        ws = self.sheets["Dashboard"]
        f = self.f
        ws.hide_gridlines(2)
        ws.set_column(0, 0, 2)
        ws.set_column(1, 8, 15)
        ws.set_column(9, 9, 2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 1)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

        name = self.settings.get("ProjectName") or ""
        ws.write_formula("B1", '=IF(ProjectName="","Project dashboard",ProjectName&" · dashboard")', f.title,
                         f"{name} · dashboard" if name else "Project dashboard")
        code, pm, cur = (self.settings.get(k) or "" for k in ("ProjectCode", "ProjectManager", "Currency"))
        ws.write_formula(
            "B2",
            '="Code: "&ProjectCode&"   ·   Manager: "&ProjectManager&"   ·   Amounts in "&Currency',
            f.subtitle,
            f"Code: {code}   ·   Manager: {pm}   ·   Amounts in {cur}",
        )
        # As-of date: the status date, or today while none is set.
        asof = "$C$5"
        status = self.settings.get("StatusDate")

        def evm(metric: str) -> str:
            return f'=IFERROR(INDEX(tblEVM[Value],MATCH("{metric}",tblEVM[Metric],0)),"")'

        labour = (
            f"SUMPRODUCT((tblTimesheet[Date]<={asof})*tblTimesheet[Hours]"
            "*SUMIF(tblResources[Person],tblTimesheet[Person],tblResources[Rate]))"
        )
        costs = f'SUMIFS(tblCosts[Amount],tblCosts[Date],"<="&{asof})'
        late = (
            f'=SUMPRODUCT(ISNUMBER(tblPlan[Finish])*(tblPlan[Finish]<{asof})*(tblPlan[% Complete]<1)'
            '*(tblPlan[Type]<>"Summary")*(tblPlan[Status]<>"Cancelled"))'
        )
        block_row = 28  # 0-based row of the CR status block header
        open_rows = [block_row + 2 + schema.LISTS["CRStatus"].index(s) for s in OPEN_CR_STATUSES]
        tiles = [
            # (label, formula, format, cached value)
            ("Budget (BAC)", "=SUM(tblBudget[Amount])", "#,##0", 0),
            ("Status date", "=IF(ISNUMBER(StatusDate),StatusDate,TODAY())", "yyyy-mm-dd",
             _excel_serial(status) if status else 0),
            ("Actual cost to date", f"={labour}+{costs}", "#,##0", 0),
            ("Variance (BAC − AC)", "=B5-D5", "#,##0", 0),
            ("% of budget spent", '=IFERROR(D5/B5,"")', "0%", ""),
            ("CPI", evm("CPI"), "0.00", ""),
            ("SPI", evm("SPI"), "0.00", ""),
            ("Open change requests", "=" + "+".join(f"C{r}" for r in open_rows), "0", 0),
            ("Planned value (PV)", evm("PV"), "#,##0", ""),
            ("Earned value (EV)", evm("EV"), "#,##0", ""),
            ("Estimate at completion", evm("EAC"), "#,##0", ""),
            ("Variance at completion", evm("VAC"), "#,##0", ""),
            ("Tasks", "=COUNT(tblPlan[ID])", "0", 0),
            ("Late tasks", late, "0", 0),
            ("Hours booked to date", f'=SUMIFS(tblTimesheet[Hours],tblTimesheet[Date],"<="&{asof})', "#,##0.0", 0),
            ("Change requests raised", '=COUNTIF(tblChanges[CR ID],"?*")', "0", 0),
        ]
        for r in range(_DASH_FIRST, _DASH_LAST + 1):
            ws.set_row(r, DASHBOARD_ROW_PT)
        for i, (label, formula, fmt, cached) in enumerate(tiles):
            row = 3 + 3 * (i // 8)
            col = 1 + i % 8
            ws.write_string(row, col, label, f.tile_label)
            ws.write_formula(row + 1, col, formula, f.tile_value[fmt], cached)
        ws.write_string(9, 1, "Amounts read the input tables directly; PV, EV, CPI, SPI, EAC and VAC appear "
                        "after pmo-xl rollup (Rollup sheet).", f.note)

        # CR status block (the changes chart reads it)
        ws.write_string(block_row - 1, 1, "Change requests by status", f.table_title)
        ws.write_string(block_row, 1, "Status", f.block_header)
        ws.write_string(block_row, 2, "Count", f.block_header)
        statuses = schema.LISTS["CRStatus"]
        for i, s in enumerate(statuses):
            r = block_row + 1 + i
            ws.write_string(r, 1, s, f.block_cell)
            ws.write_formula(r, 2, f'=COUNTIFS(tblChanges[Status],"{s}")', f.block_cell, 0)
        total_row = block_row + 1 + len(statuses)
        ws.write_string(total_row, 1, "Total", f.block_total)
        ws.write_formula(total_row, 2, f"=SUM(C{block_row + 2}:C{total_row})", f.block_total, 0)

        self._dashboard_charts(ws, block_row, len(statuses))
        self._help_panel(ws, block_row - 1)
        self._action_panel(ws)
        # the printed page is the dashboard itself, not the buttons beside it
        ws.print_area(0, 0, block_row + len(statuses) + 3, 8)

    def _action_panel(self, ws: Worksheet) -> None:
        """Column K: the xlwings Lite / Server buttons (:data:`LITE_BUTTONS`, shapes with a
        hyperlink to the cell each covers) and, under them, the ``pmoStatus`` cell where
        the scripts report. In the .xlsm the form buttons of the VBA macros stand in
        column L, row for row (:func:`pmo_xl.io.xlsm.add_macros`), and ``pmoStatus``
        spans both columns."""
        f = self.f
        ws.set_column(ACTION_COL, ACTION_COL, ACTION_COL_WIDTH)
        if self.macros:
            ws.set_column(MACRO_COL, MACRO_COL, ACTION_COL_WIDTH)
        ws.write_string(BUTTON_FIRST_ROW - 2, ACTION_COL, "Actions", f.table_title)
        ws.write_string(BUTTON_FIRST_ROW - 1, ACTION_COL, "xlwings Lite / Server", f.subtitle)
        for i, b in enumerate(LITE_BUTTONS):
            row, col = xl_cell_to_rowcol(b.cell)
            ws.insert_textbox(row, col, b.caption, {
                "width": BUTTON_WIDTH,
                "height": BUTTON_HEIGHT,
                "x_offset": BUTTON_X_OFFSET,
                "y_offset": 0,
                "url": f"internal:Dashboard!{b.cell}",
                "tip": f"Runs {b.script} (xlwings Lite / Server)",
                "description": f"Button: {b.caption}",
                "fill": {"color": "#1F3864"},
                "line": {"color": "#1F3864"},
                "font": {"color": "#FFFFFF", "bold": True, "size": 10},
                "align": {"vertical": "middle", "horizontal": "center"},
                "object_position": 2,  # move with its cell, never resized
            })
        last_col = MACRO_COL if self.macros else ACTION_COL
        ws.write_string(STATUS_ROW - 1, ACTION_COL, "Result of the last action", f.label)
        ws.merge_range(STATUS_ROW, ACTION_COL, STATUS_ROW + STATUS_ROWS - 1, last_col, "", f.result)
        self.wb.define_name(STATUS_NAME, f"=Dashboard!${xl_col_to_name(ACTION_COL)}${STATUS_ROW + 1}")

    def _dashboard_charts(self, ws: Worksheet, block_row: int, n_status: int) -> None:
        wb = self.wb
        axis_font = {"size": 8}
        scurve = wb.add_chart({"type": "line"})
        for name, series, colour in (("Planned (PV)", "chart_CumPV", "#4472C4"),
                                     ("Earned (EV)", "chart_CumEV", "#70AD47"),
                                     ("Actual (AC)", "chart_CumAC", "#C00000")):
            scurve.add_series({"name": name, "categories": "=[0]!chart_Month", "values": f"=[0]!{series}",
                               "line": {"color": colour, "width": 2.25}, "marker": {"type": "none"}})
        scurve.set_title({"name": "S-curve: cumulative PV, EV, AC", "name_font": {"size": 11}})
        scurve.set_x_axis({"num_format": "mmm yy", "num_font": axis_font})
        scurve.set_y_axis({"num_format": "#,##0", "num_font": axis_font, "major_gridlines": {"visible": True,
                                                                                          "line": {"color": "#D9D9D9"}}})
        scurve.set_legend({"position": "bottom"})
        scurve.show_blanks_as("gap")
        scurve.set_size({"width": 436, "height": 300})
        ws.insert_chart("B12", scurve, {"x_offset": 0, "y_offset": 4})

        cat = wb.add_chart({"type": "column"})
        cat.add_series({"name": "Budget", "categories": "=[0]!chart_Category", "values": "=[0]!chart_CatBudget",
                        "fill": {"color": "#4472C4"}})
        cat.add_series({"name": "Actual (AC)", "categories": "=[0]!chart_Category", "values": "=[0]!chart_CatAC",
                        "fill": {"color": "#ED7D31"}})
        cat.set_title({"name": "Budget vs actual by category", "name_font": {"size": 11}})
        cat.set_x_axis({"num_font": axis_font})
        cat.set_y_axis({"num_format": "#,##0", "num_font": axis_font, "major_gridlines": {"visible": True,
                                                                                       "line": {"color": "#D9D9D9"}}})
        cat.set_legend({"position": "bottom"})
        cat.set_size({"width": 436, "height": 300})
        ws.insert_chart("F12", cat, {"x_offset": 4, "y_offset": 4})

        ch = wb.add_chart({"type": "bar"})
        first, last = block_row + 2, block_row + 1 + n_status
        ch.add_series({"name": "Change requests", "categories": f"=Dashboard!$B${first}:$B${last}",
                       "values": f"=Dashboard!$C${first}:$C${last}", "fill": {"color": "#5B9BD5"},
                       "data_labels": {"value": True, "font": axis_font}})
        ch.set_title({"name": "Change requests by status", "name_font": {"size": 11}})
        ch.set_x_axis({"num_font": axis_font, "num_format": "0", "major_gridlines": {"visible": False}})
        ch.set_y_axis({"num_font": axis_font, "reverse": True})
        ch.set_legend({"none": True})
        ch.set_size({"width": 318, "height": 240})
        ws.insert_chart(f"D{block_row}", ch, {"x_offset": 6, "y_offset": 0})

    def _help_panel(self, ws: Worksheet, row: int) -> None:
        f = self.f
        lines = [
            "1. Project: name, code, dates, status date.",
            "2. Plan: one row per task; use the drop-downs.",
            "3. Resources: people and their hourly rates.",
            "4. Budget: amount per task and cost category.",
            "5. Timesheet: date, person, task ID, hours.",
            "6. Costs: invoices and other non-labour costs.",
            "7. Changes: the register; its form is at T3.",
            "Validation, Schedule and Rollup are written",
            "by pmo-xl: do not edit them.",
            "Select a cell to see its input help.",
        ]
        ws.merge_range(row, 6, row, 8, "How to fill this in", f.panel_title)
        for i, text in enumerate(lines):
            fmt = f.panel_last if i == len(lines) - 1 else f.panel
            ws.merge_range(row + 1 + i, 6, row + 1 + i, 8, text, fmt)
