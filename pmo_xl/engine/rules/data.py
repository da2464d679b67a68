"""DT — data: every cell against its column's declaration in :mod:`pmo_xl.schema`.

Types (what the reader could not coerce), required values, drop-down lists, unique keys,
minimum and maximum — all driven by ``schema.TABLES``, so a column declared there is
checked here without code. A few columns have a dedicated rule in another family, with a
more useful message (:data:`OWNED_ELSEWHERE`); the generic rule skips them there.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ... import schema
from ...model import Finding
from . import checks, declare
from ._context import RuleContext, fmt

# Masks are tested with np.count_nonzero and their positions taken with .nonzero()[0]: on
# short arrays .any()/.all() and np.flatnonzero cost more (docs/performance.md).

#: (table, column, check) -> the rule that checks it instead of the generic DT rule.
OWNED_ELSEWHERE: dict[tuple[str, str, str], str] = {
    ("tblChanges", "CR ID", "unique"): "CR002",
    ("tblChanges", "Status", "choice"): "CR003",
    ("tblPlan", "% Complete", "range"): "PL012",
    ("tblTimesheet", "Hours", "range"): "FN005",
    ("tblBudget", "Category", "choice"): "FN015",
    ("tblCosts", "Category", "choice"): "FN015",
}

#: The row key of tables whose contract declares none.
ROW_KEY: dict[str, str] = {
    "tblBudget": "Task ID",
    "tblTimesheet": "Task ID",
    "tblCosts": "Task ID",
    "tblChangeLog": "CR ID",
}

_KIND_WORDS = {
    "int": "a whole number",
    "number": "a number",
    "percent": "a percentage",
    "date": "a date",
    "datetime": "a date and time",
    "text": "text",
    "choice": "a value from the list",
    "bool": "TRUE or FALSE",
}

#: DT001's hint by the type its column expects (the rule's own hint is the date one)
_KIND_HINTS = {
    "int": "Type a whole number, without text or decimals (e.g. 12).",
    "number": "Type a number, without text or units (e.g. 1500, not '1,500 EUR').",
    "percent": "Type a percentage (e.g. 50%).",
    "text": "Type the value again as plain text.",
    "choice": "Pick a value from the drop-down.",
    "bool": "Type TRUE or FALSE.",
}

declare(
    "DT001", "error", "Wrong type",
    "A cell holds a value of the wrong type for its column (text in a date or number "
    "column, a number where a date is expected…). The value is ignored by every other rule "
    "and calculation until it is fixed.",
    ("Plan!G12 holds the text 'next week', expected a date.",
     "Type a real date (e.g. 2026-03-02) or pick one; Excel shows a date right-aligned."),
)
declare(
    "DT002", "warning", "Date typed as text",
    "A date column holds text that reads as a date (e.g. '2026-03-02' typed with a leading "
    "apostrophe or pasted as text): it is used, but Excel's formulas and filters ignore it.",
    ("Plan!G12 holds the text '2026-03-02', a date typed as text.",
     "Re-enter it as a date (Data > Text to Columns converts a whole column)."),
)
declare(
    "DT003", "error", "Required value missing",
    "A column the contract marks as required is empty on a row that has other data.",
    ("Plan!C14 (Task) is empty; every row of tblPlan needs one.",
     "Fill in the value, or delete the row if it is not needed."),
)
declare(
    "DT004", "error", "Value not in its list",
    "A drop-down column holds a value that is not in its list (Type, Constraint, Status, "
    "Priority, Funding…). Case differences are reported too: lists are exact.",
    ("Plan!J9 (Constraint) is 'asap', not one of ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO.",
     "Pick a value from the drop-down: 'ASAP'."),
)
declare(
    "DT005", "error", "Duplicate key",
    "A column that must be unique (task ID, WBS, person, holiday date) repeats a value.",
    ("Plan!A18 (ID) repeats 12, already used on row 9.",
     "Give each row its own value; references (predecessors, timesheet) use it."),
)
declare(
    "DT006", "error", "Below minimum",
    "A number is below its column's minimum (task ID ≥ 1, duration ≥ 0, rate ≥ 0…).",
    ("Plan!F7 (Duration) is -3, below the minimum 0.",
     "Enter a value of at least the minimum."),
)
declare(
    "DT007", "error", "Above maximum",
    "A number is above its column's maximum.",
    ("Resources!E5 (Capacity) is 30, above the maximum 24.",
     "Enter a value of at most the maximum."),
)
declare(
    "DT008", "error", "Required project setting empty",
    "A required project setting (ProjectName, ProjectCode, StartDate) is empty.",
    ("StartDate (Project!C8) is empty.",
     "Fill in the project settings on sheet Project."),
)
declare(
    "DT009", "error", "Invalid project setting",
    "A project setting has a value that cannot be used: WorkWeek not 7 characters of 0/1 "
    "with a working day, HolidayCountry unknown, Currency not a 3-letter code, HoursPerDay "
    "not in 0..24, a negative reserve, PlannedFinish before StartDate.",
    ("WorkWeek (Project!C13) is '11111', not 7 characters of 0 and 1 (Monday..Sunday).",
     "Use 7 characters Mon..Sun, 1 = working day, e.g. 1111100."),
)


def row_key(table: str) -> str | None:
    return schema.TABLES[table].key or ROW_KEY.get(table)


def _key(frame: pd.DataFrame, table: str, row: Any) -> Any:
    k = row_key(table)
    return frame.at[row, k] if k and k in frame.columns else ""


@checks
def wrong_types(ctx: RuleContext) -> list[Finding]:
    from . import RULES

    out: list[Finding] = []
    for issue in ctx.book.issues:
        as_text_date = issue.expected in ("date", "datetime") and isinstance(issue.raw, str) and _reads_as_date(issue.raw)
        rid = "DT002" if as_text_date else "DT001"
        where = f"{issue.sheet}!{issue.cell}" if issue.cell else issue.sheet
        raw = issue.raw
        shown = f"the text '{raw}'" if isinstance(raw, str) else f"{fmt(raw) or repr(raw)}"
        if rid == "DT002":
            message = f"{where} holds the text '{raw}', a date typed as text."
        else:
            message = f"{where} holds {shown}, expected {_KIND_WORDS.get(issue.expected, issue.expected)}."
        key = ""
        if issue.table in schema.TABLES and ctx.has(issue.table):
            key = _raw_key(ctx.table(issue.table).frame, row_key(issue.table), issue.row)
        elif not issue.table:
            key = issue.column
        r = RULES[rid]
        hint = r.hint if rid == "DT002" else _KIND_HINTS.get(issue.expected, r.hint)
        out.append(Finding(r.severity, rid, issue.sheet, issue.cell, key, message, hint))
    return out


def _raw_key(frame: pd.DataFrame, k: str | None, row: Any) -> str:
    """``fmt(frame.at[row, k])`` of the reader's frame ("" when the row or the column is
    not there): by position (``iat``), without the hash table ``.at`` and ``in`` build on
    the frame's index; the label way when the row or the column is not there once."""
    if not k or k not in frame.columns:
        return ""
    at = np.flatnonzero(frame.index.to_numpy() == row)
    loc = frame.columns.get_loc(k)
    if len(at) == 1 and isinstance(loc, int):
        return fmt(frame.iat[int(at[0]), loc])
    return fmt(frame.at[row, k]) if row in frame.index else ""


_ISO = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$")
_DMY = re.compile(r"^\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s*$")


def _reads_as_date(text: str) -> bool:
    if not (_ISO.match(text) or _DMY.match(text)):
        return False
    try:
        pd.Timestamp(text.strip())
    except (ValueError, TypeError):
        return False
    return True


@checks
def table_values(ctx: RuleContext) -> list[Finding]:
    # Each check is a numpy test on the column's array (ctx.array, ctx.isna on the text
    # codes); findings, and any pandas, only for the few cells that fail.
    out: list[Finding] = []
    for name in schema.INPUT_TABLES:
        if not ctx.has(name):
            continue
        spec = schema.TABLES[name]
        frame = ctx.frame(name)
        if not len(frame.index) or not len(frame.columns):  # frame.empty, without pandas' generic one
            continue
        letters = ctx.table(name).letters
        for col in spec.columns:
            if col.name not in letters:
                continue  # a missing column is WB003
            if col.required:
                out.extend(_required(ctx, name, col))
            if col.kind == "choice" and col.choices and (name, col.name, "choice") not in OWNED_ELSEWHERE:
                out.extend(choice_findings(ctx, "DT004", name, col, frame))
            if col.unique and (name, col.name, "unique") not in OWNED_ELSEWHERE:
                out.extend(duplicate_findings(ctx, "DT005", name, col.name, frame))
            if (col.minimum is not None or col.maximum is not None) and (name, col.name, "range") not in OWNED_ELSEWHERE:
                out.extend(_range(ctx, name, col))
    return out


def _row_keys(ctx: RuleContext, name: str, positions: np.ndarray) -> list[Any]:
    """:func:`_key` of the rows at these positions of ``ctx.frame(name)``."""
    k = row_key(name)
    frame = ctx.frame(name)
    if not (k and k in frame.columns):
        return [""] * len(positions)
    values = ctx.array(name, k)
    if values.dtype.kind in "fO":  # the Python floats and objects Series.tolist gives, without a Series
        return values[positions].tolist()
    return frame[k].iloc[positions].tolist()


def _required(ctx: RuleContext, name: str, col: schema.Column) -> list[Finding]:
    missing = ctx.isna(name, col.name)
    if not np.count_nonzero(missing):
        return []
    positions = missing.nonzero()[0]
    issue_cells = ctx.issue_cells
    rows = ctx.rows(name)[positions].tolist()
    kept = [j for j, row in enumerate(rows) if (name, int(row), col.name) not in issue_cells]
    if not kept:  # (a cell the reader could not type is DT001's: its row's key is not needed)
        return []
    out = []
    for row, key in zip([rows[j] for j in kept], _row_keys(ctx, name, positions[kept])):
        out.append(ctx.finding(
            "DT003", name, row, col.name, key,
            f"{ctx.where(name, row, col.name)} ({col.name}) is empty; every row of {name} needs one.",
        ))
    return out


def choice_findings(ctx: RuleContext, rid: str, name: str, col: schema.Column, frame: pd.DataFrame) -> list[Finding]:
    cfg = ctx.book.config  # organisation lists stored in the workbook (pmo.toml), if read
    allowed = cfg.lists[col.choices or ""] if cfg is not None else schema.LISTS[col.choices or ""]
    if frame is ctx.frame(name):  # on the distinct texts
        if _all_allowed(ctx.array(name, col.name), allowed):
            return []
        bad = ~ctx.isna(name, col.name) & ~ctx.isin(name, col.name, allowed)
        if not np.count_nonzero(bad):
            return []
        s = frame[col.name]
    else:
        s = frame[col.name]
        bad = (s.notna() & ~s.isin(allowed)).to_numpy()
    out = []
    lower = {a.lower(): a for a in allowed}
    for row in s.index[bad]:
        value = s.at[row]
        close = lower.get(str(value).lower())
        hint = f"Pick a value from the drop-down: '{close}'." if close else f"Pick one of: {', '.join(allowed)}."
        out.append(ctx.finding(
            rid, name, row, col.name, _key(frame, name, row),
            f"{ctx.where(name, row, col.name)} ({col.name}) is '{value}', not one of {', '.join(allowed)}.",
            hint,
        ))
    return out


def _all_allowed(values: np.ndarray, allowed: Any) -> bool:
    """True when every value of a normalised text column is in ``allowed`` or NaN (no
    finding): a set of the column's values, cheaper than coding it to test each code."""
    if values.dtype != object:
        return False
    wanted = set(allowed)
    return all(v in wanted or v != v for v in set(values.tolist()))


def duplicate_findings(ctx: RuleContext, rid: str, name: str, column: str, frame: pd.DataFrame) -> list[Finding]:
    if frame is ctx.frame(name) and not _may_repeat(ctx, name, column):
        return []
    s = frame[column]
    present = s[s.notna()]
    dup = present.duplicated(keep="first")
    if not dup.any():
        return []
    # the first row of each repeated value (the reader's index is named "row", so not
    # via reset_index()["index"])
    first_row = dict(zip(present[~dup].tolist(), present.index[~dup].tolist()))
    out = []
    for row in present.index[dup]:
        value = present.at[row]
        key = _key(frame, name, row) if row_key(name) else value
        out.append(ctx.finding(
            rid, name, row, column, key,
            f"{ctx.where(name, row, column)} ({column}) repeats {fmt(value)}, already used on row {first_row[value]}.",
        ))
    return out


def _may_repeat(ctx: RuleContext, name: str, column: str) -> bool:
    """False when ``ctx.frame(name)[column]`` surely has no value twice: its texts or its
    sorted values (equal values are equal for pandas' ``duplicated`` too) all differ.
    True sends the column to pandas, which finds the repeats."""
    values = ctx.array(name, column)
    if schema.TABLES[name].column(column).kind not in _NOT_TEXT:  # str or NaN: a set of the texts,
        present = values[~ctx.isna(name, column)].tolist()  # cheaper than making codes to count
        return len(set(present)) < len(present)
    if values.dtype.kind not in "fM":
        return True
    values = values[~ctx.isna(name, column)]
    if len(values) < 2 or np.count_nonzero(values[1:] > values[:-1]) == len(values) - 1:  # increasing (IDs as plans number them): no repeat
        return False
    return len(np.unique(values)) < len(values)


#: Column kinds the normaliser does not make text of (every other kind is str or NaN).
_NOT_TEXT = ("date", "datetime", "int", "number", "percent", "bool")


def _range(ctx: RuleContext, name: str, col: schema.Column) -> list[Finding]:
    values = ctx.array(name, col.name)
    if values.dtype.kind != "f":  # the frame's numbers are float64: anything else the pandas way
        s = ctx.frame(name)[col.name]
        low = (s < col.minimum).to_numpy() if col.minimum is not None else None
        high = (s > col.maximum).to_numpy() if col.maximum is not None else None
    else:
        low = values < col.minimum if col.minimum is not None else None  # NaN compares False, as in pandas
        high = values > col.maximum if col.maximum is not None else None
    out = []
    for mask, rid, words, bound in ((low, "DT006", "below the minimum", col.minimum), (high, "DT007", "above the maximum", col.maximum)):
        if mask is None or not np.count_nonzero(mask):
            continue
        positions = mask.nonzero()[0]
        shown = values[positions].tolist() if values.dtype.kind == "f" else ctx.frame(name)[col.name].iloc[positions].tolist()
        for row, key, value in zip(ctx.rows(name)[positions].tolist(), _row_keys(ctx, name, positions), shown):
            out.append(ctx.finding(
                rid, name, row, col.name, key,
                f"{ctx.where(name, row, col.name)} ({col.name}) is {fmt(value)}, {words} {fmt(bound)}.",
            ))
    return out


_CURRENCY = re.compile(r"^[A-Z]{3}$")


@checks
def settings(ctx: RuleContext) -> list[Finding]:
    from . import RULES
    from ..calendar import Calendar, parse_workweek

    book = ctx.book
    missing_names = {i.name for i in book.structure if i.kind == "name"}
    out: list[Finding] = []

    def add(rid: str, name: str, message: str, hint: str | None = None) -> None:
        r = RULES[rid]
        cell = book.setting_cells.get(name, "")
        sheet, _, addr = cell.rpartition("!")
        out.append(Finding(r.severity, rid, sheet or "Project", addr, name, message, hint or r.hint))

    def where(name: str) -> str:
        c = book.setting_cells.get(name)
        return f"{name} ({c})" if c else name

    issue_names = {i.column for i in book.issues if not i.table}
    for s in schema.SETTINGS:
        if s.required and s.name not in missing_names and s.name not in issue_names and _empty(ctx.setting(s.name)):
            add("DT008", s.name, f"{where(s.name)} is empty.")
    ww = ctx.setting("WorkWeek")
    if ww is not None and "WorkWeek" not in missing_names:
        try:
            parse_workweek(str(ww))
        except ValueError as exc:
            add("DT009", "WorkWeek", f"{where('WorkWeek')}: {exc}.")
    country = ctx.setting("HolidayCountry")
    if country is not None and str(country).strip() and ctx.calendar is None:
        try:
            Calendar(ctx.start_date or _today(), country=str(country))
        except ValueError as exc:
            add("DT009", "HolidayCountry", f"{where('HolidayCountry')}: {exc}.",
                "Use an ISO 3166 code such as FR, DE, GB, US (or CC-SUBDIV, e.g. DE-BY), or leave it empty.")
    cur = ctx.setting("Currency")
    if cur is not None and str(cur).strip() and not _CURRENCY.match(str(cur).strip()):
        add("DT009", "Currency", f"{where('Currency')} is '{cur}', not a 3-letter ISO 4217 code.",
            "Use a code such as EUR, USD, GBP.")
    hpd = ctx.setting("HoursPerDay")
    if isinstance(hpd, (int, float)) and not 0 < hpd <= 24:
        add("DT009", "HoursPerDay", f"{where('HoursPerDay')} is {fmt(hpd)}, not between 0 and 24.",
            "Working hours in a day, e.g. 8.")
    for name in ("ContingencyReserve", "ManagementReserve"):
        v = ctx.setting(name)
        if isinstance(v, (int, float)) and v < 0:
            add("DT009", name, f"{where(name)} is {fmt(v)}, a negative reserve.", "A reserve is 0 or more.")
    pf = ctx.setting("PlannedFinish")
    start = ctx.start_date
    try:
        from ..calendar import to_date

        pf_date = to_date(pf)
    except TypeError:
        pf_date = None
    if pf_date and start and pf_date < start:
        add("DT009", "PlannedFinish", f"{where('PlannedFinish')} {pf_date} is before StartDate {start}.",
            "Correct StartDate or PlannedFinish.")
    return out


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _today():
    import datetime as dt

    return dt.date.today()
