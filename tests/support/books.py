"""Build :class:`pmo_xl.model.Book` objects by hand, the way the reader would.

Every table of the contract is present (empty unless rows are given), its frame has the
schema's headers in order, typed by column kind, indexed by Excel row number (the header
sits on ``header_row``, data from the row below), and ``letters`` follow the header order
from column A. Rows are dicts keyed by header; dates may be ``date`` objects or ISO text.

>>> book = make_book(plan_rows=[task(1, "1", start="2026-01-05", finish="2026-01-09")])
>>> book.table("tblPlan").cell(5, "Start")
'G5'
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import pandas as pd

from pmo_xl import schema
from pmo_xl.model import Book, CellIssue, StructureIssue, TableData

from .cells import letter

HEADER_ROW = 4

DEFAULT_SETTINGS: dict[str, Any] = {
    "ProjectName": "Test project",
    "ProjectCode": "TST-1",
    "ProjectManager": "Pat Manager",
    "StartDate": dt.date(2026, 1, 5),  # a Monday
    "PlannedFinish": None,
    "StatusDate": None,
    "Currency": "EUR",
    "HoursPerDay": 8,
    "WorkWeek": "1111100",
    "HolidayCountry": None,
    "ContingencyReserve": 0,
    "ManagementReserve": 0,
    "TemplateVersion": schema.TEMPLATE_VERSION,
}


def _date(v: Any) -> Any:
    if isinstance(v, str) and v:
        return pd.Timestamp(v)
    return v


def typed_frame(table: schema.Table, rows: Iterable[dict[str, Any]], header_row: int = HEADER_ROW) -> pd.DataFrame:
    rows = list(rows)
    for r in rows:
        unknown = set(r) - set(table.headers)
        if unknown:
            raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    data: dict[str, Any] = {}
    for col in table.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind in ("date", "datetime"):
            data[col.name] = pd.to_datetime(pd.Series([_date(v) for v in values], dtype=object))
        elif col.kind == "int":
            data[col.name] = pd.Series(values, dtype="Int64") if values else pd.Series([], dtype="Int64")
        elif col.kind in ("number", "percent"):
            data[col.name] = pd.Series(values, dtype="float64")
        else:
            data[col.name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data, columns=table.headers)
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(rows))
    return frame


def table_data(name: str, rows: Iterable[dict[str, Any]] = (), header_row: int = HEADER_ROW) -> TableData:
    t = schema.TABLES[name]
    frame = typed_frame(t, rows, header_row)
    letters = {h: letter(i + 1) for i, h in enumerate(t.headers)}
    last = header_row + max(len(frame), 1)
    ref = f"A{header_row}:{letter(len(t.headers))}{last}"
    return TableData(name, t.sheet, frame, letters, ref=ref, header_row=header_row)


def make_book(
    *,
    plan_rows: Iterable[dict[str, Any]] = (),
    resources: Iterable[dict[str, Any]] = (),
    budget: Iterable[dict[str, Any]] = (),
    timesheet: Iterable[dict[str, Any]] = (),
    costs: Iterable[dict[str, Any]] = (),
    changes: Iterable[dict[str, Any]] = (),
    changelog: Iterable[dict[str, Any]] = (),
    holidays: Iterable[dict[str, Any]] = (),
    settings: dict[str, Any] | None = None,
    issues: Iterable[CellIssue] = (),
    structure: Iterable[StructureIssue] = (),
    template_version: int | None = schema.TEMPLATE_VERSION,
    path: str = "test.xlsx",
) -> Book:
    """A Book with every input table (and the settings) as the reader would give it."""
    given = {
        "tblPlan": plan_rows,
        "tblResources": resources,
        "tblBudget": budget,
        "tblTimesheet": timesheet,
        "tblCosts": costs,
        "tblChanges": changes,
        "tblChangeLog": changelog,
        "tblHolidays": holidays,
    }
    s = dict(DEFAULT_SETTINGS)
    s.update(settings or {})
    for k, v in list(s.items()):
        if isinstance(v, str) and schema.SETTINGS_BY_NAME.get(k) and schema.SETTINGS_BY_NAME[k].kind == "date":
            s[k] = dt.date.fromisoformat(v)
    cells = {st.name: f"Project!C{i + 4}" for i, st in enumerate(schema.SETTINGS)}
    return Book(
        path=path,
        settings=s,
        setting_cells=cells,
        tables={name: table_data(name, rows) for name, rows in given.items()},
        sheets=list(schema.SHEET_NAMES),
        issues=list(issues),
        structure=list(structure),
        template_version=template_version,
    )


def task(
    id: int,
    wbs: str | None = None,
    name: str | None = None,
    *,
    start: Any = "2026-01-05",
    finish: Any = None,
    duration: float | None = None,
    type: str = "Task",
    owner: str | None = "Ann",
    preds: str | None = None,
    pct: float = 0.0,
    status: str = "Not Started",
    **other: Any,
) -> dict[str, Any]:
    """A tblPlan row; Finish and Duration default to a consistent 1-day task (Mon-Fri calendar)."""
    if finish is None:
        finish = start
    if duration is None:
        if type == "Milestone":
            duration = 0
        else:
            duration = float(pd.bdate_range(pd.Timestamp(start), pd.Timestamp(finish)).size)
    row = {
        "ID": id,
        "WBS": wbs if wbs is not None else str(id),
        "Task": name or f"Task {id}",
        "Type": type,
        "Owner": owner,
        "Duration": duration,
        "Start": start,
        "Finish": finish,
        "Predecessors": preds,
        "Constraint": "ASAP",
        "Baseline Start": start,
        "Baseline Finish": finish,
        "% Complete": pct,
        "Status": status,
    }
    for k, v in other.items():
        row[k if k in schema.TABLES["tblPlan"].headers else k.replace("_", " ")] = v
    return row


# --------------------------------------------------------------------------- a clean project

def clean_tables() -> dict[str, Any]:
    """Keyword arguments of :func:`make_book` for a small, consistent project that no rule
    flags: a summary, a start milestone, two finished tasks, two to come, a finish
    milestone; resources with rates, budget on every task, timesheet and costs before the
    status date, an approved change with its budget line and a full change log.

    Status date Friday 2026-01-09: tasks 2 and 3 are done, 4 and 5 start the week after.
    Tests copy it, break one thing and check the one finding it causes.
    """
    done = {"status": "Complete", "pct": 1.0}
    plan = [
        task(1, "1", "Project", type="Summary", start="2026-01-05", finish="2026-01-23", owner=None, duration=15),
        task(2, "1.1", "Kick-off", type="Milestone", start="2026-01-05", **done,
             Actual_Start="2026-01-05", Actual_Finish="2026-01-05"),
        task(3, "1.2", "Design", start="2026-01-05", finish="2026-01-09", preds="2", **done,
             Actual_Start="2026-01-05", Actual_Finish="2026-01-09"),
        task(4, "1.3", "Build", start="2026-01-12", finish="2026-01-16", preds="3", owner="Bob"),
        task(5, "1.4", "Test", start="2026-01-19", finish="2026-01-23", preds="4"),
        task(6, "1.5", "Go-live", type="Milestone", start="2026-01-23", preds="5"),
    ]
    resources = [
        {"Person": "Ann", "Role": "Analyst", "Rate": 100.0, "Category": "Labour", "Capacity": 8.0},
        {"Person": "Bob", "Role": "Developer", "Rate": 80.0, "Category": "Labour"},
    ]
    budget = [
        {"Task ID": 3, "Category": "Labour", "Amount": 4000.0, "Source": "Original"},
        {"Task ID": 3, "Category": "Software", "Period": "2026-01-01", "Amount": 500.0, "Source": "Original"},
        {"Task ID": 4, "Category": "Labour", "Amount": 3200.0, "Source": "Original"},
        {"Task ID": 5, "Category": "Labour", "Amount": 4000.0, "Source": "Original"},
        {"Task ID": 4, "Category": "Other", "Amount": 1000.0, "Source": "CR-0001"},
        {"Category": "Other", "Amount": 800.0, "Source": "Original", "Note": "project management"},
    ]
    timesheet = [
        {"Date": f"2026-01-0{d}", "Person": "Ann", "Task ID": 3, "Hours": 8.0} for d in range(5, 10)
    ] + [{"Date": "2026-01-09", "Person": "Bob", "Task ID": 3, "Hours": 4.0, "Note": "review"}]
    costs = [
        {"Date": "2026-01-07", "Task ID": 3, "Category": "Software", "Vendor": "Acme",
         "Description": "Design tool licence", "Amount": 450.0, "Reference": "INV-1"},
    ]
    changes = [
        {"CR ID": "CR-0001", "Title": "Extra interface", "Requested By": "Sue", "Date Raised": "2026-01-06",
         "Type": "Scope", "Priority": "High", "Rationale": "Needed by finance", "Cost Impact": 1000.0,
         "Schedule Impact": 0.0, "Affected Tasks": "4", "Funding": "Contingency", "Status": "Approved",
         "Owner": "Ann", "Decision By": "Board", "Decision Date": "2026-01-08"},
        {"CR ID": "CR-0002", "Title": "Nicer report", "Requested By": "Tom", "Date Raised": "2026-01-08",
         "Type": "Quality", "Priority": "Low", "Status": "Draft"},
    ]

    def log(ts: str, cr: str, action: str, fld: str, old: Any, new: Any) -> dict[str, Any]:
        return {"Timestamp": ts, "CR ID": cr, "Action": action, "Field": fld, "Old Value": old,
                "New Value": new, "User": "pmo"}

    changelog = [
        log("2026-01-06T09:00:00Z", "CR-0001", "Added", "Title", None, "Extra interface"),
        log("2026-01-06T09:00:00Z", "CR-0001", "Added", "Status", None, "Draft"),
        log("2026-01-06T10:00:00Z", "CR-0001", "Status", "Status", "Draft", "Submitted"),
        log("2026-01-07T10:00:00Z", "CR-0001", "Status", "Status", "Submitted", "Under Review"),
        log("2026-01-08T10:00:00Z", "CR-0001", "Decision", "Status", "Under Review", "Approved"),
        log("2026-01-08T10:00:00Z", "CR-0001", "Budget", "tblBudget", None, "Other 1000"),
        log("2026-01-08T11:00:00Z", "CR-0002", "Added", "Title", None, "Nicer report"),
        log("2026-01-08T11:00:00Z", "CR-0002", "Added", "Status", None, "Draft"),
    ]
    holidays = [{"Date": "2026-12-25", "Name": "Christmas"}]
    return {
        "plan_rows": plan,
        "resources": resources,
        "budget": budget,
        "timesheet": timesheet,
        "costs": costs,
        "changes": changes,
        "changelog": changelog,
        "holidays": holidays,
        "settings": {"StatusDate": "2026-01-09", "PlannedFinish": "2026-01-30"},
    }


_KEYWORD_TABLE = {
    "plan_rows": "tblPlan",
    "resources": "tblResources",
    "budget": "tblBudget",
    "timesheet": "tblTimesheet",
    "costs": "tblCosts",
    "changes": "tblChanges",
    "changelog": "tblChangeLog",
    "holidays": "tblHolidays",
}


def workbook_inputs(tables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(settings, rows by table name) for ``pmo_xl.io.template.build_workbook`` from
    :func:`make_book` keywords: ISO text in date columns becomes real dates."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for kw, name in _KEYWORD_TABLE.items():
        spec = schema.TABLES[name]
        dates = {c.name for c in spec.columns if c.kind in ("date", "datetime")}
        out = []
        for r in tables.get(kw, ()):
            r = dict(r)
            for k in dates & set(r):
                v = r[k]
                if isinstance(v, str) and v:
                    r[k] = dt.date.fromisoformat(v[:10])
                elif isinstance(v, pd.Timestamp):
                    r[k] = v.date()
            out.append(r)
        rows[name] = out
    settings = {k: v for k, v in {**DEFAULT_SETTINGS, **tables.get("settings", {})}.items()
                if v is not None and k != "TemplateVersion"}
    for k, v in list(settings.items()):
        if isinstance(v, str) and schema.SETTINGS_BY_NAME[k].kind == "date":
            settings[k] = dt.date.fromisoformat(v)
    return settings, rows


def write_workbook(path: Any, tables: dict[str, Any]) -> Any:
    """A real .xlsx from the template builder, filled with ``tables`` (make_book keywords)."""
    from pmo_xl.io.template import build_workbook

    settings, rows = workbook_inputs(tables)
    return build_workbook(path, settings, rows, overwrite=True)
