"""The change register (SPEC §6): workflow, CR IDs, decisions, audit log, statistics.

Pure functions over the register (``tblChanges``) and its log (``tblChangeLog``) as pandas
frames indexed by Excel row number (see :class:`pmo_xl.model.Book`). Nothing here reads or
writes a file: each action returns a :class:`RegisterEdit` — the row to append or the cells
to set, the log rows and the budget lines — which the command applies in ONE atomic write.
A refused action raises :class:`~pmo_xl.errors.RefusedChange` before anything is written.

Workflow (``TRANSITIONS``)::

    Draft -> Submitted -> Under Review -> Approved | Rejected | Deferred
    Deferred -> Submitted
    Approved -> Implemented -> Closed
    Rejected -> Closed
    Draft | Submitted | Under Review | Deferred -> Withdrawn

Approved, Rejected and Deferred are *decisions*: they are reached with :func:`decide`
(which records Decision By and Decision Date), never with :func:`set_status`.

The log (``tblChangeLog``) gets one row per field that an action changes: Timestamp (UTC,
ISO 8601 ``2026-11-27T18:05:00Z``), CR ID, Action, Field, Old Value, New Value, User, with
Action one of :data:`ACTIONS`. Replaying a CR's ``Added``/``Status``/``Decision``/``Edit``
rows in order rebuilds its register row; ``Note`` and ``Budget`` rows are commentary.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

from .. import schema
from ..errors import RefusedChange
from .calendar import to_date as _calendar_to_date

# --------------------------------------------------------------------------- vocabulary

STATUSES: tuple[str, ...] = schema.LISTS["CRStatus"]
TYPES: tuple[str, ...] = schema.LISTS["CRType"]
PRIORITIES: tuple[str, ...] = schema.LISTS["Priority"]
FUNDING: tuple[str, ...] = schema.LISTS["Funding"]
COST_CATEGORIES: tuple[str, ...] = schema.LISTS["CostCategory"]

#: Every allowed move, from each status (SPEC §6). Anything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "Draft": ("Submitted", "Withdrawn"),
    "Submitted": ("Under Review", "Withdrawn"),
    "Under Review": ("Approved", "Rejected", "Deferred", "Withdrawn"),
    "Deferred": ("Submitted", "Withdrawn"),
    "Approved": ("Implemented",),
    "Implemented": ("Closed",),
    "Rejected": ("Closed",),
    "Closed": (),
    "Withdrawn": (),
}

#: Statuses reached by a decision (need Decision By and Decision Date).
DECISION_STATUSES: tuple[str, ...] = ("Approved", "Rejected", "Deferred")
#: ``decide`` verbs -> the status they set.
DECISIONS: dict[str, str] = {"approve": "Approved", "reject": "Rejected", "defer": "Deferred"}
#: Undecided statuses: the CR still awaits a final decision (it may be withdrawn). These
#: are the *open* CRs of the statistics (open ageing, portfolio ``open_changes``).
OPEN_STATUSES: tuple[str, ...] = schema.OPEN_CR_STATUSES
#: Statuses that carry a decision (cycle time is measured on these).
DECIDED_STATUSES: tuple[str, ...] = ("Approved", "Rejected", "Deferred", "Implemented", "Closed")

#: Log actions: ``Added`` (one row per field filled when the CR is added), ``Status``
#: (set-status: the Status and, for Implemented, the Implemented Date), ``Decision``
#: (decide: Status, Decision By/Date/Notes and impacts), ``Edit`` (a field changed
#: outside the workflow), ``Note`` (a note given with set-status; Field ``Note``),
#: ``Budget`` (the tblBudget line an approval appended; Field ``tblBudget``).
ACTIONS: tuple[str, ...] = ("Added", "Status", "Decision", "Edit", "Note", "Budget")

#: Category of the tblBudget line an approval appends, unless the decision names one.
#: CR types (Scope, Schedule, Cost...) are not cost categories, so none is derived from it.
DEFAULT_BUDGET_CATEGORY = "Other"

#: Open-ageing buckets in calendar days since Date Raised: (label, lowest, highest).
AGEING_BUCKETS: tuple[tuple[str, int, float], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91+", 91, math.inf),
)

#: Fields ``add`` accepts (the register's user columns), and those ``edit`` may change.
ADD_FIELDS: tuple[str, ...] = (
    "Title",
    "Description",
    "Requested By",
    "Date Raised",
    "Type",
    "Priority",
    "Rationale",
    "Cost Impact",
    "Schedule Impact",
    "Affected Tasks",
    "Funding",
    "Owner",
)
#: Fields that may only change while the CR is undecided (they drive budget and reserves).
IMPACT_FIELDS: tuple[str, ...] = ("Cost Impact", "Schedule Impact", "Affected Tasks", "Funding")
#: Fields only the workflow sets.
WORKFLOW_FIELDS: tuple[str, ...] = (
    "CR ID",
    "Status",
    "Decision By",
    "Decision Date",
    "Decision Notes",
    "Implemented Date",
)

_CR_ID = re.compile(r"^\s*CR-(\d+)\s*$", re.IGNORECASE)

REGISTER_HEADERS: list[str] = schema.TABLES["tblChanges"].headers
LOG_HEADERS: list[str] = schema.TABLES["tblChangeLog"].headers
BUDGET_HEADERS: list[str] = schema.TABLES["tblBudget"].headers


# --------------------------------------------------------------------------- the edit


@dataclass
class RegisterEdit:
    """What one action writes, as data; the command applies it in one atomic save.

    ``new_change`` is a full tblChanges row to append (``add``); otherwise ``row`` is the
    CR's Excel row and ``cells`` the register cells to set there.
    """

    cr_id: str
    action: str
    new_change: dict[str, Any] | None = None
    row: int | None = None
    cells: dict[str, Any] = field(default_factory=dict)
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    budget_rows: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    @property
    def empty(self) -> bool:
        return self.new_change is None and not self.cells and not self.log_rows and not self.budget_rows


# --------------------------------------------------------------------------- small helpers


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_date(value: Any) -> dt.date | None:
    """A date from a date/datetime/Timestamp/ISO text; None when empty or unreadable."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    try:
        return _calendar_to_date(value)
    except TypeError:
        return None


def as_number(value: Any) -> float | None:
    """A float from a number or numeric text; None when empty or not a number."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def tidy_number(value: float | None) -> int | float | None:
    """``12000.0`` -> ``12000`` (whole numbers are stored and shown as integers)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def log_text(value: Any) -> str:
    """How a value appears in the log's Old Value / New Value (always text)."""
    if is_blank(value):
        return ""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        d = as_date(value)
        if d is not None and (value.hour, value.minute, value.second) == (0, 0, 0):
            return d.isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    number = as_number(value) if not isinstance(value, str) else None
    if number is not None:
        return str(tidy_number(number))
    return str(value).strip()


def timestamp(now: dt.datetime) -> str:
    """UTC, ISO 8601, whole seconds: ``2026-11-27T18:05:00Z``."""
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=0).isoformat() + "Z"


def _choice(value: Any, choices: Iterable[str], what: str) -> str | None:
    """Canonical spelling of ``value`` in ``choices`` (case and -/_ insensitive)."""
    if is_blank(value):
        return None
    key = re.sub(r"[\s_-]+", " ", str(value)).strip().lower()
    for choice in choices:
        if choice.lower() == key:
            return choice
    options = ", ".join(choices)
    raise RefusedChange(f"{what} {str(value).strip()!r} is not one of: {options}")


def parse_status(value: str) -> str:
    """``under-review`` -> ``Under Review``; RefusedChange for an unknown status."""
    status = _choice(value, STATUSES, "status")
    if status is None:
        raise RefusedChange(f"a status is needed, one of: {', '.join(STATUSES)}")
    return status


def parse_decision(value: str) -> str:
    """``approve``/``Approved`` -> ``Approved`` (also reject, defer)."""
    key = str(value).strip().lower()
    if key in DECISIONS:
        return DECISIONS[key]
    for status in DECISION_STATUSES:
        if status.lower() == key:
            return status
    raise RefusedChange(f"decision {value!r} is not one of: approve, reject, defer")


def parse_task_ids(value: Any) -> list[int]:
    """``"3, 5"`` / ``"3;5"`` / ``3`` -> ``[3, 5]``; RefusedChange when not whole numbers."""
    if is_blank(value):
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if not number.is_integer() or number < 1:
            raise RefusedChange(f"affected task {value!r} is not a task ID (a whole number > 0)")
        return [int(number)]
    ids: list[int] = []
    for part in re.split(r"[,;\s]+", str(value).strip()):
        if not part:
            continue
        number = as_number(part)
        if number is None or not number.is_integer() or number < 1:
            raise RefusedChange(
                f"affected tasks {str(value)!r}: {part!r} is not a task ID (use whole numbers, e.g. \"3, 5\")"
            )
        if int(number) not in ids:
            ids.append(int(number))
    return ids


def format_cr_id(number: int) -> str:
    return f"CR-{number:04d}"


def cr_number(value: Any) -> int | None:
    """``"CR-0012"`` -> 12; None when the text is not a CR ID."""
    if is_blank(value):
        return None
    match = _CR_ID.match(str(value))
    return int(match.group(1)) if match else None


def next_cr_id(register: pd.DataFrame, log: pd.DataFrame | None = None) -> str:
    """The next CR ID: the highest number ever used in the register *or* the log, + 1.

    IDs are never reused: a CR deleted from the register still has its rows in the
    append-only log, so its number stays taken. Gaps are not filled.
    """
    numbers = [0]
    for frame in (register, log):
        if frame is not None and "CR ID" in frame.columns:
            numbers.extend(n for n in map(cr_number, frame["CR ID"].tolist()) if n is not None)
    return format_cr_id(max(numbers) + 1)


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def check_move(cr_id: str, current: str, target: str) -> None:
    """Refuse ``current -> target`` unless the workflow allows it, naming the allowed moves."""
    if current not in TRANSITIONS:
        raise RefusedChange(
            f"{cr_id} has status {current!r}, which is not a register status "
            f"({', '.join(STATUSES)}); correct it on sheet Changes first"
        )
    if target in TRANSITIONS[current]:
        return
    moves = allowed_moves(current)
    allowed = f"allowed from {current}: {', '.join(moves)}" if moves else f"{current} is final: no further moves"
    raise RefusedChange(f"{cr_id}: {current} -> {target} is not allowed ({allowed})")


def find_change(register: pd.DataFrame, cr_id: str) -> tuple[int, pd.Series]:
    """The Excel row and the row of ``cr_id`` in the register; RefusedChange when absent
    or duplicated."""
    number = cr_number(cr_id)
    if number is None:
        raise RefusedChange(f"{cr_id!r} is not a CR ID (expected e.g. CR-0001)")
    ids = register["CR ID"].map(cr_number) if len(register) else pd.Series([], dtype=object)
    hits = [row for row, n in ids.items() if n == number]
    if not hits:
        raise RefusedChange(f"{format_cr_id(number)} is not in the register (sheet Changes)")
    if len(hits) > 1:
        rows = ", ".join(str(r) for r in hits)
        raise RefusedChange(f"{format_cr_id(number)} appears more than once in the register (rows {rows}); fix the duplicate first")
    row = int(hits[0])
    return row, register.loc[row]


def _status_of(change: pd.Series) -> str:
    value = change.get("Status")
    return "Draft" if is_blank(value) else str(value).strip()


def _log_row(now: dt.datetime, cr_id: str, action: str, field_: str, old: Any, new: Any, user: str) -> dict[str, Any]:
    return {
        "Timestamp": timestamp(now),
        "CR ID": cr_id,
        "Action": action,
        "Field": field_,
        "Old Value": log_text(old),
        "New Value": log_text(new),
        "User": user,
    }


def _same(old: Any, new: Any) -> bool:
    return log_text(old) == log_text(new)


def _changed_cells(
    change: pd.Series, updates: Mapping[str, Any], *, now: dt.datetime, cr_id: str, action: str, user: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The cells that really change and one log row for each, in register column order."""
    cells: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for header in REGISTER_HEADERS:
        if header not in updates:
            continue
        old, new = change.get(header), updates[header]
        if _same(old, new):
            continue
        cells[header] = new
        rows.append(_log_row(now, cr_id, action, header, old, new, user))
    return cells, rows


def _items(lists: Mapping[str, Iterable[str]] | None, key: str) -> tuple[str, ...]:
    """The allowed values of drop-down list ``key``: the organisation's (``lists``, e.g.
    :attr:`pmo_xl.config.Thresholds.lists` of a workbook stamped with ``pmo.toml``) or the
    standard's (:data:`pmo_xl.schema.LISTS`)."""
    if lists is not None and lists.get(key):
        return tuple(lists[key])
    return tuple(schema.LISTS[key])


def _clean_fields(
    fields: Mapping[str, Any],
    known_tasks: Iterable[int] | None,
    lists: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """Typed, canonical register values from user input; RefusedChange on bad values.
    Type and Priority are checked against ``lists`` (the workbook's lists) when given."""
    unknown = [k for k in fields if k not in ADD_FIELDS]
    if unknown:
        raise RefusedChange(
            f"{', '.join(unknown)}: not a field you can set here (fields: {', '.join(ADD_FIELDS)})"
        )
    out: dict[str, Any] = {}
    for header, value in fields.items():
        if is_blank(value):
            out[header] = None
        elif header == "Type":
            out[header] = _choice(value, _items(lists, "CRType"), "type")
        elif header == "Priority":
            out[header] = _choice(value, _items(lists, "Priority"), "priority")
        elif header == "Funding":
            out[header] = _choice(value, FUNDING, "funding")
        elif header in ("Cost Impact", "Schedule Impact"):
            number = as_number(value)
            if number is None:
                raise RefusedChange(f"{header} {value!r} is not a number")
            out[header] = tidy_number(number)
        elif header == "Date Raised":
            date = as_date(value)
            if date is None:
                raise RefusedChange(f"Date Raised {value!r} is not a date (use YYYY-MM-DD)")
            out[header] = date
        elif header == "Affected Tasks":
            ids = parse_task_ids(value)
            if known_tasks is not None:
                known = set(known_tasks)
                missing = [i for i in ids if i not in known]
                if missing:
                    raise RefusedChange(
                        f"affected task(s) {', '.join(map(str, missing))} not in the plan (tblPlan ID)"
                    )
            out[header] = ", ".join(map(str, ids)) if ids else None
        else:
            out[header] = str(value).strip()
    return out


# --------------------------------------------------------------------------- actions


def add(
    register: pd.DataFrame,
    log: pd.DataFrame,
    fields: Mapping[str, Any],
    *,
    user: str,
    now: dt.datetime,
    today: dt.date | None = None,
    known_tasks: Iterable[int] | None = None,
    lists: Mapping[str, Iterable[str]] | None = None,
) -> RegisterEdit:
    """A new CR in status Draft with the next CR ID (:func:`next_cr_id`).

    ``fields`` maps register headers (:data:`ADD_FIELDS`) to values; Title and Requested
    By are required, Date Raised defaults to ``today``. Log: one ``Added`` row per filled
    field (Old Value empty), Status ``Draft`` included. ``lists``: the workbook's
    drop-down lists (an organisation's extended CR types and priorities); default the
    standard's.
    """
    values = _clean_fields(fields, known_tasks, lists)
    for required in ("Title", "Requested By"):
        if is_blank(values.get(required)):
            raise RefusedChange(f"a new change request needs a {required}")
    cr_id = next_cr_id(register, log)
    row: dict[str, Any] = {h: None for h in REGISTER_HEADERS}
    row.update(values)
    row["CR ID"] = cr_id
    row["Status"] = "Draft"
    if is_blank(row.get("Date Raised")):
        row["Date Raised"] = today or now.date()
    log_rows = [
        _log_row(now, cr_id, "Added", header, None, row[header], user)
        for header in REGISTER_HEADERS
        if header != "CR ID" and not is_blank(row[header])
    ]
    return RegisterEdit(
        cr_id=cr_id,
        action="Added",
        new_change=row,
        log_rows=log_rows,
        message=f"{cr_id} added (Draft): {row['Title']}",
    )


def set_status(
    register: pd.DataFrame,
    cr_id: str,
    status: str,
    *,
    user: str,
    now: dt.datetime,
    note: str | None = None,
    date: dt.date | None = None,
) -> RegisterEdit:
    """Move a CR along the workflow (not to a decision: that is :func:`decide`).

    Implemented also sets Implemented Date (``date``, default today). A ``note`` goes to
    the log as a ``Note`` row (the register has no general notes column).
    """
    target = parse_status(status)
    row, change = find_change(register, cr_id)
    cr_id = str(change["CR ID"]).strip()
    current = _status_of(change)
    check_move(cr_id, current, target)
    if target in DECISION_STATUSES:
        verb = {v: k for k, v in DECISIONS.items()}[target]
        raise RefusedChange(
            f"{cr_id}: {target} is a decision; record it with `pmo-xl change decide PATH {cr_id} {verb} --by NAME`"
        )
    updates: dict[str, Any] = {"Status": target}
    if target == "Implemented":
        updates["Implemented Date"] = date or now.date()
    cells, log_rows = _changed_cells(change, updates, now=now, cr_id=cr_id, action="Status", user=user)
    if not is_blank(note):
        log_rows.append(_log_row(now, cr_id, "Note", "Note", None, str(note).strip(), user))
    return RegisterEdit(
        cr_id=cr_id, action="Status", row=row, cells=cells, log_rows=log_rows,
        message=f"{cr_id}: {current} -> {target}",
    )


def decide(
    register: pd.DataFrame,
    cr_id: str,
    decision: str,
    *,
    by: str | None,
    user: str,
    now: dt.datetime,
    date: dt.date | None = None,
    note: str | None = None,
    cost_impact: Any = None,
    schedule_impact: Any = None,
    category: str | None = None,
    lists: Mapping[str, Iterable[str]] | None = None,
) -> RegisterEdit:
    """Approve, reject or defer a CR that is Under Review.

    Needs Decision By (``by``) and Decision Date (``date``, default today, not before
    Date Raised). Approval also needs Cost Impact and Schedule Impact (0 allowed): the
    values given here, else those already in the register. Values given here replace the
    register's (logged). ``note`` becomes Decision Notes.

    Approving a non-zero Cost Impact appends one tblBudget line: Task ID = first affected
    task (blank = project level), Category = ``category`` or :data:`DEFAULT_BUDGET_CATEGORY`,
    Period blank, Amount = Cost Impact, Source = CR ID, Note = Title. ``category`` is
    checked against ``lists["CostCategory"]`` (the workbook's cost categories, which an
    organisation's ``pmo.toml`` may extend), by default the standard's.
    """
    target = parse_decision(decision)
    row, change = find_change(register, cr_id)
    cr_id = str(change["CR ID"]).strip()
    current = _status_of(change)
    check_move(cr_id, current, target)
    if is_blank(by):
        raise RefusedChange(f"{cr_id}: a decision needs Decision By (--by NAME)")
    decided_on = as_date(date) if date is not None else now.date()
    if decided_on is None:
        raise RefusedChange(f"{cr_id}: decision date {date!r} is not a date (use YYYY-MM-DD)")
    raised = as_date(change.get("Date Raised"))
    if raised is not None and decided_on < raised:
        raise RefusedChange(f"{cr_id}: decision date {decided_on} is before Date Raised {raised}")
    updates: dict[str, Any] = {
        "Status": target,
        "Decision By": str(by).strip(),
        "Decision Date": decided_on,
    }
    if not is_blank(note):
        updates["Decision Notes"] = str(note).strip()
    for header, given in (("Cost Impact", cost_impact), ("Schedule Impact", schedule_impact)):
        if not is_blank(given):
            number = as_number(given)
            if number is None:
                raise RefusedChange(f"{cr_id}: {header} {given!r} is not a number")
            updates[header] = tidy_number(number)
        elif target == "Approved":
            existing = change.get(header)
            if is_blank(existing):
                option = "--cost-impact N" if header == "Cost Impact" else "--schedule-impact DAYS"
                raise RefusedChange(f"{cr_id}: approval needs the {header} (give {option}; 0 is allowed)")
            if as_number(existing) is None:
                raise RefusedChange(f"{cr_id}: {header} {existing!r} in the register is not a number")
    cells, log_rows = _changed_cells(change, updates, now=now, cr_id=cr_id, action="Decision", user=user)
    budget_rows: list[dict[str, Any]] = []
    if target == "Approved":
        cost = as_number(updates.get("Cost Impact", change.get("Cost Impact")))
        if cost:
            tasks = parse_task_ids(change.get("Affected Tasks"))
            budget = {
                "Task ID": tasks[0] if tasks else None,
                "Category": _choice(category, _items(lists, "CostCategory"), "category") or DEFAULT_BUDGET_CATEGORY,
                "Period": None,
                "Amount": tidy_number(cost),
                "Source": cr_id,
                "Note": str(change.get("Title") or "").strip() or None,
            }
            budget_rows.append(budget)
            where = f"task {budget['Task ID']}" if budget["Task ID"] else "project level"
            log_rows.append(
                _log_row(now, cr_id, "Budget", "tblBudget", None,
                         f"{log_text(budget['Amount'])} {budget['Category']} on {where}", user)
            )
    return RegisterEdit(
        cr_id=cr_id, action="Decision", row=row, cells=cells, log_rows=log_rows,
        budget_rows=budget_rows, message=f"{cr_id}: {current} -> {target} by {updates['Decision By']} on {decided_on}",
    )


def edit(
    register: pd.DataFrame,
    cr_id: str,
    fields: Mapping[str, Any],
    *,
    user: str,
    now: dt.datetime,
    known_tasks: Iterable[int] | None = None,
    lists: Mapping[str, Iterable[str]] | None = None,
) -> RegisterEdit:
    """Change descriptive fields of a CR outside the workflow (log Action ``Edit``).

    Workflow fields (Status, decision fields, CR ID) are refused: use set-status/decide.
    Impact fields (:data:`IMPACT_FIELDS`) change only while the CR is undecided, because
    an approval has already turned them into budget lines and reserve draws.
    """
    bad = [k for k in fields if k in WORKFLOW_FIELDS]
    if bad:
        raise RefusedChange(f"{', '.join(bad)}: set by the workflow (use set-status or decide), not by an edit")
    values = _clean_fields(fields, known_tasks, lists)
    row, change = find_change(register, cr_id)
    cr_id = str(change["CR ID"]).strip()
    current = _status_of(change)
    locked = [k for k in values if k in IMPACT_FIELDS and current not in OPEN_STATUSES]
    if locked:
        raise RefusedChange(f"{cr_id} is {current}: {', '.join(locked)} can no longer change")
    for required in ("Title", "Requested By"):
        if required in values and is_blank(values[required]):
            raise RefusedChange(f"{cr_id}: {required} cannot be emptied")
    cells, log_rows = _changed_cells(change, values, now=now, cr_id=cr_id, action="Edit", user=user)
    return RegisterEdit(
        cr_id=cr_id, action="Edit", row=row, cells=cells, log_rows=log_rows,
        message=f"{cr_id}: {len(cells)} field(s) changed" if cells else f"{cr_id}: nothing to change",
    )


# --------------------------------------------------------------------------- reading


def history(log: pd.DataFrame, cr_id: str) -> pd.DataFrame:
    """The log rows of one CR, in the order they were appended."""
    number = cr_number(cr_id)
    if log is None or not len(log):
        return pd.DataFrame(columns=LOG_HEADERS)
    mask = log["CR ID"].map(cr_number) == number
    return log[mask]


def approved_mask(register: pd.DataFrame) -> pd.Series:
    """CRs whose approval stands: Approved, Implemented, or Closed after implementation
    (a Closed CR with an Implemented Date; Rejected -> Closed has none)."""
    if not len(register):
        return pd.Series([], dtype=bool)
    status = register["Status"].map(lambda v: "" if is_blank(v) else str(v).strip())
    implemented = register["Implemented Date"].map(lambda v: as_date(v) is not None)
    return status.isin(["Approved", "Implemented"]) | ((status == "Closed") & implemented)


def reserve_draws(register: pd.DataFrame) -> dict[str, float]:
    """Approved cost impact by funding source: ``contingency``, ``management_reserve``,
    ``new_funding``, ``unfunded`` (Funding blank). A reserve's *drawn* amount is its sum."""
    out = {"contingency": 0.0, "management_reserve": 0.0, "new_funding": 0.0, "unfunded": 0.0}
    if not len(register):
        return out
    keys = {"Contingency": "contingency", "Management Reserve": "management_reserve", "New Funding": "new_funding"}
    for _, change in register[approved_mask(register)].iterrows():
        cost = as_number(change.get("Cost Impact")) or 0.0
        funding = "" if is_blank(change.get("Funding")) else str(change["Funding"]).strip()
        out[keys.get(funding, "unfunded")] += cost
    return out


def reserves(register: pd.DataFrame, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tblReserves rows: each reserve's amount (settings), drawn by approved CRs, and
    remaining = amount - drawn."""
    draws = reserve_draws(register)
    rows = []
    for name, setting, key in (
        ("Contingency", "ContingencyReserve", "contingency"),
        ("Management Reserve", "ManagementReserve", "management_reserve"),
    ):
        amount = as_number(settings.get(setting)) or 0.0
        rows.append({"reserve": name, "amount": amount, "drawn": draws[key], "remaining": amount - draws[key]})
    return rows


def change_stats(register: pd.DataFrame, *, as_of: dt.date) -> dict[str, Any]:
    """Register statistics (SPEC §6), all in calendar days.

    - ``by_status``: count of CRs in each status (every status listed, 0 included).
    - ``open``: open CRs (:data:`OPEN_STATUSES`) — ``count``; ageing = ``as_of`` − Date
      Raised (0 when raised after ``as_of``): ``mean_days``, ``max_days`` and ``buckets``
      (:data:`AGEING_BUCKETS`).
    - ``decision_cycle``: Decision Date − Date Raised over CRs in a decided status
      (:data:`DECIDED_STATUSES`) with both dates: ``count``, ``mean_days``, ``median_days``.
    - ``approved``: ``count``, ``cost_impact`` and ``schedule_impact`` (working days)
      summed over CRs whose approval stands (:func:`approved_mask`).
    - ``reserves_drawn``: :func:`reserve_draws`.

    Means and medians are None (JSON null) when there is nothing to average.
    """
    statuses = register["Status"].map(lambda v: "Draft" if is_blank(v) else str(v).strip()) if len(register) else pd.Series([], dtype=object)
    by_status = {s: int((statuses == s).sum()) for s in STATUSES}
    other = int((~statuses.isin(STATUSES)).sum())
    if other:
        by_status["(other)"] = other

    ages: list[int] = []
    cycles: list[int] = []
    for row, change in register.iterrows():
        status = statuses.loc[row]
        raised = as_date(change.get("Date Raised"))
        if raised is None:
            continue
        if status in OPEN_STATUSES:
            ages.append(max(0, (as_of - raised).days))  # raised after as_of: age 0
        elif status in DECIDED_STATUSES:
            decided = as_date(change.get("Decision Date"))
            if decided is not None:
                cycles.append((decided - raised).days)
    open_count = int(statuses.isin(OPEN_STATUSES).sum())
    buckets = {label: sum(1 for a in ages if lo <= a <= hi) for label, lo, hi in AGEING_BUCKETS}

    approved = register[approved_mask(register)] if len(register) else register
    cost = sum(as_number(v) or 0.0 for v in approved.get("Cost Impact", []))
    days = sum(as_number(v) or 0.0 for v in approved.get("Schedule Impact", []))
    return {
        "as_of": as_of.isoformat(),
        "total": int(len(register)),
        "by_status": by_status,
        "open": {
            "count": open_count,
            "mean_days": _round(sum(ages) / len(ages)) if ages else None,
            "max_days": max(ages) if ages else None,
            "buckets": buckets,
        },
        "decision_cycle": {
            "count": len(cycles),
            "mean_days": _round(sum(cycles) / len(cycles)) if cycles else None,
            "median_days": _round(float(pd.Series(cycles).median())) if cycles else None,
        },
        "approved": {
            "count": int(len(approved)),
            "cost_impact": _round(cost),
            "schedule_impact": _round(days),
        },
        "reserves_drawn": {k: _round(v) for k, v in reserve_draws(register).items()},
    }


def stats_table(stats: Mapping[str, Any]) -> list[tuple[str, float | None]]:
    """The statistics as (Metric, Value) rows for tblChangeStats."""
    rows: list[tuple[str, float | None]] = [("Total CRs", stats["total"])]
    rows += [(f"Status: {s}", n) for s, n in stats["by_status"].items()]
    o = stats["open"]
    rows += [("Open CRs", o["count"]), ("Open ageing mean (days)", o["mean_days"]), ("Open ageing max (days)", o["max_days"])]
    rows += [(f"Open aged {label} days", n) for label, n in o["buckets"].items()]
    c = stats["decision_cycle"]
    rows += [("Decision cycle mean (days)", c["mean_days"]), ("Decision cycle median (days)", c["median_days"])]
    a = stats["approved"]
    rows += [
        ("Approved CRs", a["count"]),
        ("Approved cost impact", a["cost_impact"]),
        ("Approved schedule impact (days)", a["schedule_impact"]),
        ("Contingency drawn", stats["reserves_drawn"]["contingency"]),
        ("Management reserve drawn", stats["reserves_drawn"]["management_reserve"]),
    ]
    return rows


def _round(value: float) -> float | int:
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def change_record(change: Mapping[str, Any]) -> dict[str, Any]:
    """One register row as the JSON record of ``change list`` (snake_case, ISO dates,
    None for empty cells)."""

    def text(header: str) -> str | None:
        v = change.get(header)
        return None if is_blank(v) else str(v).strip()

    def date(header: str) -> str | None:
        d = as_date(change.get(header))
        return d.isoformat() if d else None

    def number(header: str) -> float | int | None:
        return tidy_number(as_number(change.get(header)))

    try:
        tasks: list[int] | None = parse_task_ids(change.get("Affected Tasks"))
    except RefusedChange:
        tasks = None
    return {
        "cr_id": text("CR ID"),
        "title": text("Title"),
        "status": text("Status") or "Draft",
        "cost_impact": number("Cost Impact"),
        "schedule_impact": number("Schedule Impact"),
        "type": text("Type"),
        "priority": text("Priority"),
        "requested_by": text("Requested By"),
        "date_raised": date("Date Raised"),
        "owner": text("Owner"),
        "decision_by": text("Decision By"),
        "decision_date": date("Decision Date"),
        "funding": text("Funding"),
        "affected_tasks": tasks if tasks is not None else text("Affected Tasks"),
        "description": text("Description"),
        "rationale": text("Rationale"),
        "decision_notes": text("Decision Notes"),
        "implemented_date": date("Implemented Date"),
    }


def log_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One log row as JSON (snake_case, text values)."""
    return {
        "timestamp": log_text(entry.get("Timestamp")),
        "cr_id": log_text(entry.get("CR ID")),
        "action": log_text(entry.get("Action")),
        "field": log_text(entry.get("Field")) or None,
        "old_value": log_text(entry.get("Old Value")) or None,
        "new_value": log_text(entry.get("New Value")) or None,
        "user": log_text(entry.get("User")) or None,
    }
