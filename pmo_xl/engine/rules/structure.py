"""WB — workbook structure: what the template expects and the workbook lacks.

The reader records these as :class:`~pmo_xl.model.StructureIssue` (kind sheet, table,
column, name, version); a file that is not a workbook at all never gets here (the reader
raises a :class:`~pmo_xl.errors.PmoError`, reported as an unreadable file).
"""

from __future__ import annotations

from ... import schema
from ...model import Finding
from . import checks, declare
from ._context import RuleContext

declare(
    "WB001", "error", "Missing sheet",
    "A sheet of the standard template is missing (renamed or deleted).",
    ("The workbook has no sheet 'Timesheet'.",
     "Restore the sheet from the template (pmo-xl upgrade adds what is missing) or rename it back."),
)
declare(
    "WB002", "error", "Missing table",
    "An Excel table (ListObject) of the template is missing: code finds tables by name, "
    "so a table converted to a plain range or renamed is not seen.",
    ("Sheet 'Plan' has no table named tblPlan.",
     "Select the plan range, Insert > Table, and name it tblPlan (Table Design > Table Name)."),
)
declare(
    "WB003", "error", "Missing column",
    "A column of a template table is missing (its header was renamed or the column deleted).",
    ("Table tblPlan has no column 'Baseline Finish'.",
     "Add the column back with exactly this header; columns are found by header, in any order."),
)
declare(
    "WB004", "error", "Missing required defined name",
    "A required project setting (a defined name on sheet Project) is missing.",
    ("The workbook has no defined name StartDate (project setting 'Start date').",
     "Formulas > Name Manager: define StartDate on sheet Project, or run pmo-xl upgrade."),
)
declare(
    "WB005", "warning", "Missing optional defined name",
    "An optional project setting is missing; its default is used.",
    ("The workbook has no defined name StatusDate (project setting 'Status date'); the default is used.",
     "Formulas > Name Manager: define it on sheet Project, or run pmo-xl upgrade."),
)
declare(
    "WB006", "error", "Newer template version",
    "TemplateVersion is newer than this pmo_xl understands: results may be wrong.",
    ("TemplateVersion is 2, newer than this pmo-xl (1).",
     "Upgrade pmo-xl (pip install -U pmo-xl)."),
)
declare(
    "WB007", "warning", "Unknown template version",
    "TemplateVersion is missing or not a version this pmo_xl knows.",
    ("TemplateVersion is 'abc', not a known template version.",
     "Run pmo-xl upgrade to bring the workbook to the current template."),
)

_KIND_RULE = {"sheet": "WB001", "table": "WB002", "column": "WB003"}


@checks
def structure(ctx: RuleContext) -> list[Finding]:
    from . import RULES

    book = ctx.book
    out: list[Finding] = []
    newer = isinstance(book.template_version, int) and book.template_version > schema.TEMPLATE_VERSION
    saw_version = False
    for issue in book.structure:
        if issue.kind == "name":
            setting = schema.SETTINGS_BY_NAME.get(issue.name)
            rid = "WB004" if setting is not None and setting.required else "WB005"
            label = f" (project setting '{setting.label}')" if setting else ""
            default = "" if rid == "WB004" else "; the default is used"
            message = issue.message or f"The workbook has no defined name {issue.name}{label}{default}."
        elif issue.kind == "version":
            saw_version = True
            rid = "WB006" if newer else "WB007"
            message = issue.message or _version_message(book.template_version)
        else:
            rid = _KIND_RULE.get(issue.kind, "WB002")
            message = issue.message or _default_message(issue.kind, issue.name, issue.sheet)
        r = RULES[rid]
        out.append(Finding(r.severity, rid, issue.sheet or (issue.name if issue.kind == "sheet" else ""),
                           issue.cell, issue.name, message, r.hint))
    if newer and not saw_version:
        r = RULES["WB006"]
        cell = book.setting_cells.get("TemplateVersion", "")
        sheet, _, addr = cell.rpartition("!")
        out.append(Finding(r.severity, "WB006", sheet or "Project", addr, "TemplateVersion",
                           _version_message(book.template_version), r.hint))
    return out


def _version_message(version: object) -> str:
    if isinstance(version, int) and version > schema.TEMPLATE_VERSION:
        return f"TemplateVersion is {version}, newer than this pmo-xl ({schema.TEMPLATE_VERSION})."
    if version is None:
        return "TemplateVersion is missing or empty."
    return f"TemplateVersion is {version!r}, not a known template version."


def _default_message(kind: str, name: str, sheet: str) -> str:
    if kind == "sheet":
        return f"The workbook has no sheet '{name}'."
    if kind == "table":
        return f"Sheet '{sheet}' has no table named {name}."
    if kind == "column":
        return f"A table on sheet '{sheet}' has no column '{name}'."
    return f"Missing {kind} {name}."
