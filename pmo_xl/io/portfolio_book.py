"""The portfolio workbook: a Dashboard and consolidated tables, written with XlsxWriter.

The command (:mod:`pmo_xl.commands.portfolio`) decides *what* goes in — which columns,
which tiles, which charts — as plain declarations (:class:`Col`, :class:`Block`,
:class:`Tile`, :class:`ChartSpec`); this module decides *how* it looks in Excel and knows
nothing of earned value. Layout::

    Dashboard   title · KPI tiles (formulas with cached results) · RAG table · charts
    <sheets>    one Excel table (ListObject) per sheet, header in row 1, frozen, filtered

Every formula is a plain A1 formula (SUM, COUNTIF, IFERROR) whose cached result is
written too, so readers that do not recalculate (openpyxl, python-calamine) see the
numbers and LibreOffice/Excel recompute the same ones. Text is always written as text
(a value starting with ``=`` never becomes a formula). The save is atomic.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .atomic import atomic_path, check_not_open

#: Number formats by column kind.
FORMATS = {
    "text": None,
    "int": "0",
    "number": "#,##0.00",
    "money": "#,##0",
    "index": "0.00",
    "percent": "0%",
    "days": "+0;-0;0",  # a variance in days: late is positive
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}

_RAG_FILLS = {"Green": ("#C6EFCE", "#006100"), "Amber": ("#FFEB9C", "#9C5700"), "Red": ("#FFC7CE", "#9C0006")}
_TABLE_STYLE = "Table Style Medium 2"
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


@dataclass
class Col:
    """A column: its header, kind (a key of :data:`FORMATS`) and presentation.

    ``rag``: fill the cell green/amber/red by its text. ``good_above``: (green, amber)
    thresholds for an index where higher is better (CPI, SPI). ``bad_above``: a value
    above this is shown red (a late finish).
    """

    header: str
    kind: str = "text"
    width: float | None = None
    rag: bool = False
    good_above: tuple[float, float] | None = None
    bad_above: float | None = None


@dataclass
class Block:
    """One Excel table: ``name`` (ListObject name), columns and rows (lists of values)."""

    name: str
    columns: list[Col]
    rows: list[list[Any]]
    sheet: str = ""
    title: str = ""

    def index(self, header: str) -> int:
        for i, c in enumerate(self.columns):
            if c.header == header:
                return i
        raise KeyError(f"{self.name} has no column {header!r}")

    def values(self, header: str) -> list[Any]:
        i = self.index(header)
        return [r[i] for r in self.rows]


@dataclass
class Tile:
    """A KPI tile on the Dashboard: ``how`` over columns of the dashboard table.

    ``how``: ``("count",)`` rows; ``("sum", header)``; ``("countif", header, text)``;
    ``("ratio", numerator header, denominator header)`` = SUM(num)/SUM(den), empty when
    the denominator is 0.
    """

    label: str
    how: tuple[str, ...]
    kind: str = "money"


@dataclass
class ChartSpec:
    """A chart over a block: categories from one column, one series per other column."""

    title: str
    block: str  # name of a block on the Dashboard (the RAG table or a side block)
    categories: str
    series: list[str]
    kind: str = "column"  # column | bar
    y_title: str = ""
    number_format: str = "#,##0"
    by_rows: bool = False  # width grows with the number of categories


@dataclass
class Dashboard:
    title: str
    subtitle: str
    tiles: list[Tile]
    table: Block  # the RAG table
    charts: list[ChartSpec] = field(default_factory=list)
    side: list[Block] = field(default_factory=list)  # small tables beside the charts


def plain(value: Any) -> Any:
    """NaN/NaT/None -> None; numpy scalars -> Python; pandas timestamps -> datetime."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.date) and value != value:  # pandas NaT is a datetime
        return None
    if isinstance(value, (str, bool, int)) or type(value) in (dt.date, dt.datetime):
        return value
    item = getattr(value, "item", None)  # numpy scalar
    if item is not None and not hasattr(value, "to_pydatetime"):
        try:
            return plain(item())
        except (TypeError, ValueError):
            pass
    to_py = getattr(value, "to_pydatetime", None)  # pandas Timestamp / NaT
    if to_py is not None:
        try:
            out = to_py()
        except (TypeError, ValueError):
            return None
        return None if out != out else out  # NaT
    return value


#: numpy date units a datetime holds exactly (nanoseconds: when they are whole microseconds).
_DATE_UNITS = ("s", "ms", "us", "ns")


def plain_column(values: Any) -> list[Any] | None:
    """:func:`plain` of each value of a frame column, given as its array (numpy or pandas)
    and taken as the frame's ``to_numpy(dtype=object)`` hands the values over; a column at
    a time (that object array and ``plain`` per value cost ~20 µs for a 10-row, 18-column
    table). None for a kind of column not covered here: convert those value by value."""
    import numpy as np
    import pandas as pd

    a = values
    if not isinstance(a, np.ndarray):
        dtype = a.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "M" and hasattr(a, "_ndarray"):
            a = a._ndarray  # dates without a time zone: their numpy array
        elif isinstance(a, pd.arrays.NumpyExtensionArray):  # (pandas 2's text result column)
            a = a.to_numpy()
        elif (isinstance(dtype, pd.StringDtype) and hasattr(a, "_pa_array")
              and isinstance(dtype.na_value, float)):  # Arrow text whose blank is NaN: str or None
            return a._pa_array.to_pylist()
        else:
            return None
    kind = a.dtype.kind
    if kind == "f":
        finite = np.isfinite(a)
        return a.tolist() if finite.all() else np.where(finite, a.astype(object), None).tolist()
    if kind in "iub":
        return a.tolist()
    if kind == "O":
        return [plain(v) for v in a.tolist()]
    if kind == "M":
        unit = np.datetime_data(a.dtype)[0]
        if unit not in _DATE_UNITS:
            return None
        dated = a[~np.isnat(a)]
        if unit == "ns":  # (always within datetime's years)
            if (dated.view(np.int64) % 1000).any():
                return None  # (Timestamp.to_pydatetime drops the nanoseconds with a warning)
        elif len(dated) and not (np.datetime64("0001-01-01", unit) <= dated.min()
                                 and dated.max() < np.datetime64("9999-12-31", unit) + np.timedelta64(1, "D")):
            return None
        return a.astype("datetime64[us]").astype(object).tolist()  # (NaT: None)
    return None


# --------------------------------------------------------------------------- writer


class _Writer:
    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self._formats: dict[Any, Any] = {}
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F3864"})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#595959"})
        self.heading = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        self.tile_label = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "align": "center", "valign": "vcenter",
             "border": 1, "border_color": "#1F3864"})
        self.rag_fmt = {k: wb.add_format({"bg_color": bg, "font_color": fg, "bold": True}) for k, (bg, fg) in _RAG_FILLS.items()}
        self.font = {c: wb.add_format({"font_color": fg, "bold": True}) for c, (_bg, fg) in _RAG_FILLS.items()}
        # explicit header cells: LibreOffice does not paint table styles
        self.header = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#4472C4", "text_wrap": True,
                                     "valign": "top", "border": 1, "border_color": "#8EA9DB"})

    def fmt(self, kind: str, **extra: Any) -> Any:
        key = (kind, tuple(sorted(extra.items())))
        if key not in self._formats:
            props = dict(extra)
            if FORMATS.get(kind):
                props["num_format"] = FORMATS[kind]
            self._formats[key] = self.wb.add_format(props) if props else None
        return self._formats[key]

    def tile_value(self, kind: str) -> Any:
        return self.fmt(kind, bold=True, font_size=12, align="center", valign="vcenter", border=1,
                        border_color="#1F3864", bg_color="#F2F2F2")

    # ------------------------------------------------------------------ tables
    def table(self, ws: Any, block: Block, row: int, col: int) -> tuple[int, int, int, int]:
        """Write ``block`` as a ListObject with its header at (row, col); returns its range."""
        n = max(len(block.rows), 1)  # an Excel table needs one data row, even an empty one
        last_row, last_col = row + n, col + len(block.columns) - 1
        for j, c in enumerate(block.columns):
            width = c.width if c.width is not None else _auto_width(c, block.values(c.header))
            ws.set_column(col + j, col + j, width)
        ws.add_table(row, col, last_row, last_col, {
            "name": block.name,
            "style": _TABLE_STYLE,
            "columns": [{"header": c.header, "header_format": self.header} for c in block.columns],
        })
        for i, values in enumerate(block.rows):
            for j, c in enumerate(block.columns):
                self.cell(ws, row + 1 + i, col + j, values[j], c.kind)
        self.conditional(ws, block, row + 1, col, last_row)
        return row, col, last_row, last_col

    def cell(self, ws: Any, r: int, c: int, value: Any, kind: str) -> None:
        value = plain(value)
        f = self.fmt(kind)
        if value is None or value == "":
            ws.write_blank(r, c, None, f)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, f)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, f)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(r, c, value, self.fmt("datetime" if kind == "datetime" else "date"))
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), self.fmt("date"))
        else:
            ws.write_string(r, c, str(value), f)

    def conditional(self, ws: Any, block: Block, first: int, col: int, last: int) -> None:
        if not block.rows:
            return
        for j, c in enumerate(block.columns):
            rng = (first, col + j, last, col + j)
            if c.rag:
                for text, f in self.rag_fmt.items():
                    ws.conditional_format(*rng, {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": f})
            if c.good_above:
                green, amber = c.good_above
                ws.conditional_format(*rng, {"type": "cell", "criteria": ">=", "value": green, "format": self.font["Green"]})
                ws.conditional_format(*rng, {"type": "cell", "criteria": "between", "minimum": amber,
                                             "maximum": green, "format": self.font["Amber"]})
                ws.conditional_format(*rng, {"type": "cell", "criteria": "between", "minimum": -1e300,
                                             "maximum": amber, "format": self.font["Red"]})
            if c.bad_above is not None:
                ws.conditional_format(*rng, {"type": "cell", "criteria": ">", "value": c.bad_above, "format": self.font["Red"]})

    # ------------------------------------------------------------------ dashboard
    def dashboard(self, ws: Any, d: Dashboard, sheet: str) -> None:
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_zoom(90)
        ws.write_string(0, 0, d.title, self.title)
        ws.write_string(1, 0, d.subtitle, self.subtitle)
        ws.set_row(3, 20)
        ws.set_row(4, 30)

        table_row, table_col = 7, 0
        ws.write_string(table_row - 1, table_col, d.table.title or "Projects", self.heading)
        t_first, _c0, t_last, t_lastcol = self.table(ws, d.table, table_row, table_col)
        ws.set_row(table_row, 30)
        ws.freeze_panes(table_row + 1, 0)
        ranges = {c.header: _range(sheet, t_first + 1, table_col + j, t_last) for j, c in enumerate(d.table.columns)}

        for k, tile in enumerate(d.tiles):
            c = table_col + k
            ws.write_string(3, c, tile.label, self.tile_label)
            formula, value = _tile_formula(tile, ranges, d.table)
            ws.write_formula(4, c, formula, self.tile_value(tile.kind), "" if value is None else value)

        # charts and side tables to the right of the RAG table
        x_col = t_lastcol + 2
        ws.set_column(t_lastcol + 1, t_lastcol + 1, 2)
        blocks = {d.table.name: (d.table, t_first, table_col)}
        side = {b.name: b for b in d.side}
        y = 3
        for spec in d.charts:
            chart_col, rows_used = x_col, 0
            if spec.block not in blocks:  # a small table first, its chart beside it
                b = side[spec.block]
                ws.write_string(y, x_col, b.title or b.name, self.heading)
                first, c0, _last, last_col = self.table(ws, b, y + 1, x_col)
                blocks[b.name] = (b, first, c0)
                chart_col, rows_used = last_col + 2, len(b.rows) + 3
            block, first, c0 = blocks[spec.block]
            chart, height = self.chart(sheet, spec, block, first, c0)
            ws.insert_chart(y, chart_col, chart, {"x_offset": 4, "y_offset": 4})
            y += max(height // 20 + 2, rows_used)
        for b in d.side:
            if b.name not in blocks:
                ws.write_string(y, x_col, b.title or b.name, self.heading)
                self.table(ws, b, y + 1, x_col)
                y += len(b.rows) + 4

    def chart(self, sheet: str, spec: ChartSpec, block: Block, header_row: int, col: int) -> tuple[Any, int]:
        chart = self.wb.add_chart({"type": spec.kind})
        n = max(len(block.rows), 1)
        cat = block.index(spec.categories)
        colours = ["#4472C4", "#ED7D31", "#A5A5A5", "#70AD47", "#FFC000"]
        for k, header in enumerate(spec.series):
            j = block.index(header)
            chart.add_series({
                "name": [sheet, header_row, col + j],
                "categories": [sheet, header_row + 1, col + cat, header_row + n, col + cat],
                "values": [sheet, header_row + 1, col + j, header_row + n, col + j],
                "fill": {"color": colours[k % len(colours)]},
                "border": {"none": True},
                "gap": 60,
            })
        chart.set_title({"name": spec.title, "name_font": {"size": 12, "bold": True}})
        chart.set_y_axis({"name": spec.y_title, "num_format": spec.number_format,
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_x_axis({"num_font": {"rotation": -45} if len(block.rows) > 8 else {}})
        chart.set_legend({"position": "bottom"} if len(spec.series) > 1 else {"none": True})
        width = max(640, min(40 + 28 * n * max(len(spec.series), 1), 4000)) if spec.by_rows else 480
        height = 300
        chart.set_size({"width": width, "height": height})
        return chart, height


def _auto_width(c: Col, values: Sequence[Any]) -> float:
    longest = max(len(c.header) + 3, 10)  # room for the filter button
    if c.kind in ("date",):
        longest = max(longest, 11)
    elif c.kind in ("money", "number"):
        longest = max(longest, 12)
    else:
        for v in values[:500]:
            if v is not None:
                longest = max(longest, min(len(str(v)), 60))
    return min(longest + 1, 62)


def _range(sheet: str, first: int, col: int, last: int) -> str:
    from xlsxwriter.utility import xl_range_abs

    quoted = "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{xl_range_abs(first, col, last, col)}"


def _numbers(values: list[Any]) -> list[float]:
    return [float(v) for v in (plain(x) for x in values) if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _tile_formula(tile: Tile, ranges: dict[str, str], table: Block) -> tuple[str, Any]:
    """The tile's formula over the table's columns and the value it computes (cached)."""
    how = tile.how
    if how[0] == "count":
        rng = ranges[table.columns[0].header]
        return f"=COUNTA({rng})", sum(1 for v in table.values(table.columns[0].header) if plain(v) not in (None, ""))
    if how[0] == "sum":
        return f"=SUM({ranges[how[1]]})", sum(_numbers(table.values(how[1])))
    if how[0] == "countif":
        text = how[2].replace('"', '""')
        return f'=COUNTIF({ranges[how[1]]},"{text}")', sum(1 for v in table.values(how[1]) if v == how[2])
    if how[0] == "ratio":
        num, den = sum(_numbers(table.values(how[1]))), sum(_numbers(table.values(how[2])))
        return f'=IFERROR(SUM({ranges[how[1]]})/SUM({ranges[how[2]]}),"")', (num / den if den else None)
    raise ValueError(f"unknown tile {how!r}")


def write_portfolio_book(path: str | Path, dashboard: Dashboard, sheets: list[Block]) -> Path:
    """Write the Dashboard and one sheet per block to ``path`` (atomic); returns the path.

    Each block of ``sheets`` goes on the sheet named ``block.sheet`` as an Excel table
    with its header in row 1 (panes frozen below it).
    """
    import xlsxwriter

    path = Path(path)
    check_not_open(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
        })
        wb.set_properties({"title": dashboard.title, "comments": "Created by pmo-xl portfolio"})
        w = _Writer(wb)
        dash = wb.add_worksheet("Dashboard")
        for block in sheets:
            ws = wb.add_worksheet(block.sheet)
            w.table(ws, block, 0, 0)
            ws.set_row(0, 30)
            ws.freeze_panes(1, 0)
        w.dashboard(dash, dashboard, "Dashboard")
        dash.activate()
        wb.close()
    return path
