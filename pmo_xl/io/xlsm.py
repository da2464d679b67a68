"""The macro-enabled template (.xlsm): VBA project, xlwings settings sheet, buttons (SPEC §7).

What the .xlsm adds to the standard template (:mod:`pmo_xl.io.template`):

* a VBA project (:mod:`pmo_xl.io.vba`) holding
  - ``xlwings``: xlwings' own VBA module (``RunPython``...), read from the INSTALLED
    xlwings package (``xlwings/xlwings.bas``) so it always matches the Python side;
  - ``Dictionary``: the class module xlwings' module needs on macOS (``#If Mac``), taken
    from the stand-alone quickstart workbook the same xlwings package ships;
  - ``PMO``: one Sub per button (:data:`MACROS`), each ``RunPython "import pmo_udfs;
    pmo_udfs.<script>()"``;
  - document modules ``ThisWorkbook`` and ``Sheet1``... whose names are the workbook's
    and sheets' ``codeName``.
* ``xlwings.conf`` (hidden): the sheet xlwings' VBA reads its settings from (the name is
  ``PROJECT_NAME & ".conf"`` in ``xlwings.bas``; quickstart workbooks ship it as
  ``_xlwings.conf``, which is *inactive* until renamed). Keys in column A from A1, values
  in column B, no header; only ``UDF Modules`` is set, so the interpreter and conda
  settings still come from the add-in/user config (an empty key here would override it).
* form buttons on the Dashboard, one per macro, in column L beside the xlwings Lite
  buttons of the same scripts (column K).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PmoError
from . import template as _template
from . import vba

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

#: The Python module the buttons import (the xlwings entry points, SPEC §7).
UDF_MODULE = "pmo_udfs"

#: Name of the VBA module holding the button macros.
MACRO_MODULE = "PMO"

#: The sheet xlwings reads workbook settings from (hidden in the template).
CONFIG_SHEET = "xlwings.conf"

#: Settings written to :data:`CONFIG_SHEET`, from A1 down.
CONFIG: tuple[tuple[str, str], ...] = (("UDF Modules", UDF_MODULE),)

#: Where the buttons go on the Dashboard: column L from row 4, one every two rows, each
#: beside the xlwings Lite / Server button of the same script in column K (the geometry
#: is the template's: :data:`pmo_xl.io.template.LITE_BUTTONS`).
BUTTON_ROW, BUTTON_COL = _template.BUTTON_FIRST_ROW, _template.MACRO_COL
BUTTON_WIDTH, BUTTON_HEIGHT = _template.BUTTON_WIDTH, _template.BUTTON_HEIGHT


@dataclass(frozen=True)
class Macro:
    """One button: the VBA Sub, its caption and the ``pmo_udfs`` script it runs."""

    sub: str
    caption: str
    script: str

    @property
    def python(self) -> str:
        return f"import {UDF_MODULE}; {UDF_MODULE}.{self.script}()"

    @property
    def qualified(self) -> str:
        """The macro as a button refers to it: ``PMO.ValidatePlan``."""
        return f"{MACRO_MODULE}.{self.sub}"


#: The buttons, in Dashboard order (SPEC §7 scripts).
MACROS: tuple[Macro, ...] = (
    Macro("ValidatePlan", "Validate plan", "validate_workbook"),
    Macro("RefreshRollup", "Refresh roll-up", "refresh_rollup"),
    Macro("RefreshSchedule", "Refresh schedule", "refresh_schedule"),
    Macro("NewChangeRequest", "New change request", "new_change_request"),
    Macro("DecideChangeRequest", "Decide change request", "decide_change_request"),
    Macro("RefreshAll", "Refresh all", "refresh_all"),
)


def pmo_module_source() -> str:
    """Source of the ``PMO`` module: one Sub per :data:`MACROS` entry."""
    lines = [
        f'Attribute VB_Name = "{MACRO_MODULE}"',
        "' PMO workbook buttons: each runs a pmo_udfs script through xlwings (SPEC section 7).",
        f"' Needs Python with pmo_xl and xlwings; settings on the hidden sheet {CONFIG_SHEET}.",
        "Option Explicit",
    ]
    for m in MACROS:
        lines += ["", f"Sub {m.sub}()", f'    RunPython "{m.python}"', "End Sub"]
    return "\r\n".join(lines) + "\r\n"


def _xlwings_dir() -> Path:
    try:
        import xlwings
    except ImportError:  # pragma: no cover - xlwings is a dependency
        raise PmoError("the .xlsm template needs the xlwings package (pip install xlwings)") from None
    return Path(xlwings.__file__).parent


def xlwings_module() -> vba.Module:
    """xlwings' VBA module from the installed package (``Attribute VB_Name = "xlwings"``)."""
    path = _xlwings_dir() / "xlwings.bas"
    if not path.exists():
        raise PmoError(f"{path}: not found; reinstall xlwings (pip install --force-reinstall xlwings)")
    source = path.read_bytes().decode("cp1252")
    if not source.startswith('Attribute VB_Name = "xlwings"'):
        raise PmoError(f"{path}: does not start with Attribute VB_Name = \"xlwings\"")
    return vba.Module("xlwings", source)


def dictionary_module() -> vba.Module | None:
    """The ``Dictionary`` class xlwings' module uses on macOS, from the stand-alone
    quickstart workbook of the installed xlwings (None if that package lacks it)."""
    path = _xlwings_dir() / "quickstart_standalone.xlsm"
    if not path.exists():
        return None
    with zipfile.ZipFile(path) as z:
        streams = vba.read_cfb(z.read("xl/vbaProject.bin"))
    if "VBA/Dictionary" not in streams:
        return None
    return vba.Module("Dictionary", vba.module_source(streams, "Dictionary"), "class")


def sheet_codenames(sheet_names: Sequence[str]) -> dict[str, str]:
    """Sheet name -> code name (``Sheet1``, ``Sheet2``... in workbook order, as Excel)."""
    return {name: f"Sheet{i}" for i, name in enumerate(sheet_names, start=1)}


def macro_project(sheet_names: Sequence[str]) -> vba.Project:
    """The template's VBA project for a workbook with these sheets (in order)."""
    modules = [vba.document_module("ThisWorkbook", vba.WORKBOOK_BASE)]
    modules += [vba.document_module(code) for code in sheet_codenames(sheet_names).values()]
    modules.append(xlwings_module())
    dictionary = dictionary_module()
    if dictionary is not None:
        modules.append(dictionary)
    modules.append(vba.Module(MACRO_MODULE, pmo_module_source()))
    return vba.Project(tuple(modules))


def add_macros(wb: Workbook, sheets: Mapping[str, Worksheet], dashboard: str = "Dashboard") -> None:
    """Turn the workbook being built into the macro-enabled template.

    Adds the hidden :data:`CONFIG_SHEET`, the code names, the Dashboard buttons and the
    VBA project. Call after every other sheet is added, before ``wb.close()``.
    """
    config = wb.add_worksheet(CONFIG_SHEET)
    for row, (key, value) in enumerate(CONFIG):
        config.write_string(row, 0, key)
        config.write_string(row, 1, value)
    note = wb.add_format({"italic": True, "font_color": "#595959"})
    notes = [
        "xlwings reads its settings from this sheet: keys in column A from A1, values in column B,",
        "no empty row between them. Add Interpreter_Win, Interpreter_Mac, Conda Path, Conda Env or",
        "PYTHONPATH rows right under the last one to override the xlwings add-in / xlwings.conf file.",
    ]
    for i, text in enumerate(notes):
        config.write_string(len(CONFIG) + 1 + i, 0, text, note)
    config.set_column(0, 0, 18)
    config.set_column(1, 1, 24)
    config.hide()

    all_sheets = [ws.get_name() for ws in wb.worksheets()]
    codes = sheet_codenames(all_sheets)
    wb.set_vba_name("ThisWorkbook")
    for ws in wb.worksheets():
        ws.set_vba_name(codes[ws.get_name()])

    ws = sheets[dashboard]
    subtitle = wb.add_format({"font_color": "#595959"})
    ws.write_string(BUTTON_ROW - 1, BUTTON_COL, "Excel desktop (xlwings add-in)", subtitle)
    for i, m in enumerate(MACROS):
        ws.insert_button(BUTTON_ROW + 2 * i, BUTTON_COL, {
            "macro": m.qualified,
            "caption": m.caption,
            "width": BUTTON_WIDTH,
            "height": BUTTON_HEIGHT,
            "x_offset": _template.BUTTON_X_OFFSET,
            "y_offset": 0,
        })

    wb.add_vba_project(io.BytesIO(vba.vba_project_bin(macro_project(all_sheets))), is_stream=True)
