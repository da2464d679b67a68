"""The standard PMO workbook, declared once (SPEC §2).

This module is the single source of truth for the template: the sheets in order, every
table and its columns (type, rules, allowed values, format, width, input message), the
drop-down lists and the project settings (defined names). The template builder, the
reader's type coercion, the validator's data rules and ``docs/template.md`` are all
driven from these declarations, so a column is added or renamed here and nowhere else.

Pure data: no I/O, no heavy imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TEMPLATE_VERSION = 1

#: How a column's cells are typed.
#:
#: ``int``     whole number (IDs)
#: ``number``  any number (hours, amounts, working days)
#: ``percent`` a fraction 0..1, shown as percent
#: ``date``    a date (Excel serial or date cell; ISO text is accepted with a finding)
#: ``datetime``a timestamp (change log)
#: ``text``    free text; numbers typed into it are kept as their text (``1.2`` stays "1.2")
#: ``choice``  text that must be one of ``Column.choices`` (a list of :data:`LISTS`)
#: ``bool``    TRUE/FALSE (generated tables only)
Kind = Literal["int", "number", "percent", "date", "datetime", "text", "choice", "bool"]

Owner = Literal["template", "user", "user+pmo", "pmo", "hidden"]


@dataclass(frozen=True)
class Column:
    """One column of a table: its header is its identity (never its position)."""

    name: str
    kind: Kind = "text"
    required: bool = False
    unique: bool = False
    choices: str | None = None  # name of a list in LISTS, for kind == "choice"
    default: Any = None  # value assumed when the cell is empty
    minimum: float | None = None
    maximum: float | None = None
    width: float = 14
    num_format: str | None = None  # Excel number format; None = by kind
    help: str = ""  # input message shown by the template's data validation

    @property
    def format(self) -> str | None:
        if self.num_format is not None:
            return self.num_format
        return DEFAULT_FORMATS.get(self.kind)


@dataclass(frozen=True)
class Table:
    """An Excel table (ListObject), found by ``name``, on sheet ``sheet``."""

    name: str
    sheet: str
    columns: tuple[Column, ...]
    key: str | None = None  # the column that identifies a row in findings
    title: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


@dataclass(frozen=True)
class Sheet:
    name: str
    owner: Owner
    tables: tuple[str, ...] = ()
    purpose: str = ""


@dataclass(frozen=True)
class Setting:
    """A single value, stored as a workbook-scoped defined name on sheet Project."""

    name: str
    label: str
    kind: Kind = "text"
    required: bool = False
    default: Any = None
    help: str = ""
    read_only: bool = False


DEFAULT_FORMATS: dict[str, str] = {
    "int": "0",
    "number": "#,##0.00",
    "percent": "0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "text": "@",
}

MONEY = "#,##0.00"
DAYS = "0"
HOURS = "0.00"

# --------------------------------------------------------------------------- lists

LISTS: dict[str, tuple[str, ...]] = {
    "TaskType": ("Task", "Milestone", "Summary"),
    "Constraint": ("ASAP", "ALAP", "SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO"),
    "TaskStatus": ("Not Started", "In Progress", "Complete", "On Hold", "Cancelled"),
    "CostCategory": ("Labour", "Contractors", "Hardware", "Software", "Travel", "Training", "Other"),
    "CRType": ("Scope", "Schedule", "Cost", "Quality", "Other"),
    "Priority": ("Low", "Medium", "High", "Critical"),
    "CRStatus": (
        "Draft",
        "Submitted",
        "Under Review",
        "Approved",
        "Rejected",
        "Deferred",
        "Implemented",
        "Closed",
        "Withdrawn",
    ),
    "Funding": ("New Funding", "Contingency", "Management Reserve"),
    "Severity": ("error", "warning", "info"),
}

#: Change requests still awaiting a decision: counted as "open" everywhere (ageing,
#: the Dashboard tile, the portfolio's open_changes).
OPEN_CR_STATUSES: tuple[str, ...] = ("Draft", "Submitted", "Under Review", "Deferred")

#: Constraints that need a Constraint Date.
DATED_CONSTRAINTS = frozenset({"SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO"})
#: DCMA check 5's hard constraints.
HARD_CONSTRAINTS = frozenset({"MSO", "MFO", "SNLT", "FNLT"})

# --------------------------------------------------------------------------- settings

SETTINGS: tuple[Setting, ...] = (
    Setting("ProjectName", "Project name", required=True, help="The project's full name."),
    Setting("ProjectCode", "Project code", required=True, help="Unique in the portfolio, e.g. CRM-2026."),
    Setting("ProjectManager", "Project manager"),
    Setting("Sponsor", "Sponsor"),
    Setting("StartDate", "Start date", "date", required=True, help="The project's first working day."),
    Setting("PlannedFinish", "Planned finish", "date", help="The baseline finish of the project."),
    Setting("StatusDate", "Status date", "date", help="The data date: actuals and progress are as of the end of this day."),
    Setting("Currency", "Currency", default="EUR", help="ISO 4217 code, e.g. EUR, USD, GBP."),
    Setting("HoursPerDay", "Hours per day", "number", default=8, help="Working hours in a day."),
    Setting(
        "WorkWeek",
        "Work week",
        default="1111100",
        help="7 characters Mon..Sun, 1 = working day, e.g. 1111100.",
    ),
    Setting("HolidayCountry", "Holiday country", help="Optional ISO 3166 code (e.g. DE, GB, US): adds its public holidays."),
    Setting("ContingencyReserve", "Contingency reserve", "number", default=0, help="Reserve for known risks."),
    Setting("ManagementReserve", "Management reserve", "number", default=0, help="Reserve for unknown risks."),
    Setting("TemplateVersion", "Template version", "int", default=TEMPLATE_VERSION, read_only=True),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

# --------------------------------------------------------------------------- tables

_C = Column

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "tblHolidays",
            "Project",
            (
                _C("Date", "date", required=True, unique=True, width=12, help="A non-working day."),
                _C("Name", "text", width=28),
            ),
            key="Date",
            title="Project holidays",
        ),
        Table(
            "tblPlan",
            "Plan",
            (
                _C("ID", "int", required=True, unique=True, minimum=1, width=6, help="Whole number > 0, unique."),
                _C("WBS", "text", required=True, unique=True, width=8, help="1, 1.2, 1.2.3: the parent is the prefix."),
                _C("Task", "text", required=True, width=34),
                _C("Type", "choice", choices="TaskType", default="Task", width=11),
                _C("Owner", "text", width=16, help="Required for tasks and milestones."),
                _C("Duration", "number", minimum=0, width=9, num_format="0", help="Working days, 0 for a milestone."),
                _C("Start", "date", required=True, width=11),
                _C("Finish", "date", required=True, width=11),
                _C("Predecessors", "text", width=16, help="e.g. 3, 5SS+2, 7FF-1, 9SF (lags in working days)."),
                _C("Constraint", "choice", choices="Constraint", default="ASAP", width=10),
                _C("Constraint Date", "date", width=11, help="Required unless ASAP or ALAP."),
                _C("Baseline Start", "date", width=11),
                _C("Baseline Finish", "date", width=11),
                _C("% Complete", "percent", minimum=0, maximum=1, width=10, help="0% to 100%."),
                _C("Actual Start", "date", width=11),
                _C("Actual Finish", "date", width=11),
                _C("Status", "choice", choices="TaskStatus", width=12),
                _C("Notes", "text", width=30),
            ),
            key="ID",
            title="Plan",
        ),
        Table(
            "tblResources",
            "Resources",
            (
                _C("Person", "text", required=True, unique=True, width=20),
                _C("Role", "text", width=20),
                _C("Rate", "number", minimum=0, width=10, num_format=MONEY, help="Cost per hour, project currency."),
                _C("Category", "choice", choices="CostCategory", default="Labour", width=13),
                _C("Capacity", "number", minimum=0, width=10, num_format=HOURS, help="Hours per day (default HoursPerDay)."),
            ),
            key="Person",
            title="Resources",
        ),
        Table(
            "tblBudget",
            "Budget",
            (
                _C("Task ID", "int", minimum=1, width=8, help="Blank = project level."),
                _C("Category", "choice", choices="CostCategory", required=True, width=13),
                _C("Period", "date", width=11, num_format="yyyy-mm", help="First day of a month; blank = spread over the task's baseline."),
                _C("Amount", "number", required=True, width=12, num_format=MONEY),
                _C("Source", "text", default="Original", width=10, help="Original, or the CR ID that added it."),
                _C("Note", "text", width=30),
            ),
            title="Budget",
        ),
        Table(
            "tblTimesheet",
            "Timesheet",
            (
                _C("Date", "date", required=True, width=11),
                _C("Person", "text", required=True, width=20),
                _C("Task ID", "int", required=True, minimum=1, width=8),
                _C("Hours", "number", required=True, minimum=0, maximum=24, width=8, num_format=HOURS),
                _C("Note", "text", width=30),
            ),
            title="Timesheet",
        ),
        Table(
            "tblCosts",
            "Costs",
            (
                _C("Date", "date", required=True, width=11),
                _C("Task ID", "int", minimum=1, width=8, help="Blank = project level."),
                _C("Category", "choice", choices="CostCategory", required=True, width=13),
                _C("Vendor", "text", width=18),
                _C("Description", "text", width=30),
                _C("Amount", "number", required=True, width=12, num_format=MONEY),
                _C("Reference", "text", width=14),
            ),
            title="Costs",
        ),
        Table(
            "tblChanges",
            "Changes",
            (
                _C("CR ID", "text", required=True, unique=True, width=9, help="Assigned by pmo-xl: CR-0001."),
                _C("Title", "text", required=True, width=28),
                _C("Description", "text", width=30),
                _C("Requested By", "text", required=True, width=16),
                _C("Date Raised", "date", required=True, width=11),
                _C("Type", "choice", choices="CRType", width=10),
                _C("Priority", "choice", choices="Priority", width=10),
                _C("Rationale", "text", width=30),
                _C("Cost Impact", "number", width=12, num_format=MONEY),
                _C("Schedule Impact", "number", width=10, num_format=DAYS, help="Working days."),
                _C("Affected Tasks", "text", width=12, help="Task IDs, e.g. 3, 5."),
                _C("Funding", "choice", choices="Funding", width=18),
                _C("Status", "choice", choices="CRStatus", required=True, default="Draft", width=13),
                _C("Owner", "text", width=16),
                _C("Decision By", "text", width=16),
                _C("Decision Date", "date", width=11),
                _C("Decision Notes", "text", width=30),
                _C("Implemented Date", "date", width=11),
            ),
            key="CR ID",
            title="Change register",
        ),
        Table(
            "tblChangeLog",
            "Change Log",
            (
                _C("Timestamp", "text", required=True, width=21, help="UTC, ISO 8601."),
                _C("CR ID", "text", required=True, width=9),
                _C("Action", "text", required=True, width=12),
                _C("Field", "text", width=16),
                _C("Old Value", "text", width=22),
                _C("New Value", "text", width=22),
                _C("User", "text", width=14),
            ),
            title="Change log (append-only)",
        ),
        # ---- generated by pmo_xl (Validation, Schedule, Rollup) ----
        Table(
            "tblFindings",
            "Validation",
            (
                _C("Severity", "choice", choices="Severity", width=9),
                _C("Rule", "text", width=9),
                _C("Sheet", "text", width=12),
                _C("Cell", "text", width=10),
                _C("Key", "text", width=10),
                _C("Message", "text", width=60),
                _C("Hint", "text", width=50),
            ),
            title="Findings",
        ),
        Table(
            "tblDCMA",
            "Validation",
            (
                _C("Check", "int", width=7),
                _C("Name", "text", width=24),
                _C("Value", "number", width=10, num_format="0.00"),
                _C("Threshold", "text", width=12),
                _C("Passed", "text", width=9),
                _C("Detail", "text", width=50),
            ),
            title="DCMA 14-point assessment",
        ),
        Table(
            "tblSchedule",
            "Schedule",
            (
                _C("ID", "int", width=6),
                _C("WBS", "text", width=8),
                _C("Task", "text", width=34),
                _C("Duration", "number", width=9, num_format=DAYS),
                _C("Early Start", "date", width=11),
                _C("Early Finish", "date", width=11),
                _C("Late Start", "date", width=11),
                _C("Late Finish", "date", width=11),
                _C("Total Float", "number", width=9, num_format=DAYS),
                _C("Free Float", "number", width=9, num_format=DAYS),
                _C("Critical", "bool", width=8),
            ),
            key="ID",
            title="Schedule (critical path method)",
        ),
        Table(
            "tblEVM",
            "Rollup",
            (
                _C("Metric", "text", width=12),
                _C("Value", "number", width=14, num_format="#,##0.00"),
                _C("Description", "text", width=44),
            ),
            key="Metric",
            title="Earned value at the status date",
        ),
        Table(
            "tblRollupTask",
            "Rollup",
            (
                _C("Task ID", "int", width=8),
                _C("WBS", "text", width=8),
                _C("Task", "text", width=30),
                _C("Level", "int", width=6),
                _C("Summary", "bool", width=9),
                _C("Budget", "number", num_format=MONEY),
                _C("PV", "number", num_format=MONEY),
                _C("EV", "number", num_format=MONEY),
                _C("AC", "number", num_format=MONEY),
                _C("Hours", "number", num_format=HOURS),
                _C("Variance", "number", num_format=MONEY),
                _C("% Spent", "percent", width=9),
            ),
            key="Task ID",
            title="By task and WBS level",
        ),
        Table(
            "tblRollupCategory",
            "Rollup",
            (
                _C("Category", "text", width=13),
                _C("Budget", "number", num_format=MONEY),
                _C("PV", "number", num_format=MONEY),
                _C("AC", "number", num_format=MONEY),
                _C("Variance", "number", num_format=MONEY),
                _C("% Spent", "percent", width=9),
            ),
            key="Category",
            title="By cost category",
        ),
        Table(
            "tblRollupMonth",
            "Rollup",
            (
                _C("Month", "date", width=11, num_format="yyyy-mm"),
                _C("PV", "number", num_format=MONEY),
                _C("EV", "number", num_format=MONEY),
                _C("AC", "number", num_format=MONEY),
                _C("Cum PV", "number", num_format=MONEY),
                _C("Cum EV", "number", num_format=MONEY),
                _C("Cum AC", "number", num_format=MONEY),
            ),
            key="Month",
            title="By month (S-curve)",
        ),
        Table(
            "tblRollupPerson",
            "Rollup",
            (
                _C("Person", "text", width=20),
                _C("Role", "text", width=18),
                _C("Hours", "number", num_format=HOURS),
                _C("Cost", "number", num_format=MONEY),
            ),
            key="Person",
            title="By person",
        ),
        Table(
            "tblReserves",
            "Rollup",
            (
                _C("Reserve", "text", width=20),
                _C("Amount", "number", num_format=MONEY),
                _C("Drawn", "number", num_format=MONEY),
                _C("Remaining", "number", num_format=MONEY),
            ),
            key="Reserve",
            title="Reserves",
        ),
        Table(
            "tblChangeStats",
            "Rollup",
            (
                _C("Metric", "text", width=26),
                _C("Value", "number", width=12, num_format="#,##0.##"),
            ),
            key="Metric",
            title="Change register statistics",
        ),
    )
}

# --------------------------------------------------------------------------- sheets

SHEETS: tuple[Sheet, ...] = (
    Sheet("Dashboard", "template", (), "KPI tiles, charts and buttons; never rewritten by pmo_xl."),
    Sheet("Project", "user", ("tblHolidays",), "Project settings (defined names) and holidays."),
    Sheet("Plan", "user", ("tblPlan",), "The work breakdown and schedule."),
    Sheet("Resources", "user", ("tblResources",), "People, roles and hourly rates."),
    Sheet("Budget", "user+pmo", ("tblBudget",), "Time-phased budget; approved changes append lines."),
    Sheet("Timesheet", "user", ("tblTimesheet",), "Hours booked per person, task and day."),
    Sheet("Costs", "user", ("tblCosts",), "Non-labour costs."),
    Sheet("Changes", "user+pmo", ("tblChanges",), "The change-request register."),
    Sheet("Change Log", "pmo", ("tblChangeLog",), "Append-only audit trail of the register."),
    Sheet("Validation", "pmo", ("tblFindings", "tblDCMA"), "Generated: findings and DCMA checks."),
    Sheet("Schedule", "pmo", ("tblSchedule",), "Generated: CPM dates, floats, critical path."),
    Sheet(
        "Rollup",
        "pmo",
        (
            "tblEVM",
            "tblRollupTask",
            "tblRollupCategory",
            "tblRollupMonth",
            "tblRollupPerson",
            "tblReserves",
            "tblChangeStats",
        ),
        "Generated: earned value and roll-ups.",
    ),
    Sheet("Lists", "hidden", (), "Drop-down sources (hidden)."),
)

SHEET_NAMES: tuple[str, ...] = tuple(s.name for s in SHEETS)
#: Sheets whose whole content pmo_xl regenerates.
GENERATED_SHEETS: tuple[str, ...] = tuple(s.name for s in SHEETS if s.owner == "pmo" and s.name != "Change Log")
#: Tables the user fills in (read by every command).
INPUT_TABLES: tuple[str, ...] = (
    "tblHolidays",
    "tblPlan",
    "tblResources",
    "tblBudget",
    "tblTimesheet",
    "tblCosts",
    "tblChanges",
    "tblChangeLog",
)


def table(name: str) -> Table:
    """The declaration of table ``name`` (KeyError if unknown)."""
    return TABLES[name]


def list_name_for(column: Column) -> str | None:
    return column.choices if column.kind == "choice" else None


@dataclass(frozen=True)
class Contract:
    """The whole contract in one value, for code that wants to pass it around."""

    version: int = TEMPLATE_VERSION
    sheets: tuple[Sheet, ...] = SHEETS
    tables: dict[str, Table] = field(default_factory=lambda: TABLES)
    settings: tuple[Setting, ...] = SETTINGS
    lists: dict[str, tuple[str, ...]] = field(default_factory=lambda: LISTS)


CONTRACT = Contract()
