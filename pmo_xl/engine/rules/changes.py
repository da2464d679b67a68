"""CR — the change register (tblChanges) and its audit trail (tblChangeLog).

The workflow itself (allowed moves, decisions) lives in :mod:`pmo_xl.engine.changes`;
these rules check that what is in the workbook is consistent with it: IDs, statuses,
decisions, rationale, affected tasks, budget lines, and that the register agrees with the
log that ``pmo-xl change`` keeps (a status edited by hand leaves no log entry).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ... import schema
from ...errors import RefusedChange
from ...model import Finding
from ..changes import DECIDED_STATUSES, parse_task_ids
from . import checks, declare
from ._context import RuleContext, fmt
from .data import choice_findings, duplicate_findings

T = "tblChanges"
LOG = "tblChangeLog"
_CR_ID = re.compile(r"^CR-\d{4,}$")

declare(
    "CR001", "error", "Malformed CR ID",
    "A CR ID does not follow the pattern CR-0001 (CR, a hyphen, at least four digits).",
    ("Changes!A7 (CR ID) is 'CR12', not of the form CR-0001.",
     "CR IDs are assigned by pmo-xl change add; restore the original ID (e.g. CR-0012)."),
)
declare(
    "CR002", "error", "Duplicate CR ID",
    "Two register rows have the same CR ID (IDs are never reused).",
    ("Changes!A9 (CR ID) repeats CR-0003, already used on row 7.",
     "Give the second request its own ID (pmo-xl change add assigns the next one)."),
)
declare(
    "CR003", "error", "Invalid CR status",
    "A CR's Status is not one of the workflow's statuses.",
    ("Changes!M7 (Status) is 'Done', not one of Draft, Submitted, Under Review, Approved, "
     "Rejected, Deferred, Implemented, Closed, Withdrawn.",
     "Use pmo-xl change set-status / decide, which keep the log in step."),
)
declare(
    "CR004", "error", "Decided without decision date",
    "A CR that carries a decision (Approved, Rejected, Deferred, Implemented, Closed) has no Decision Date.",
    ("Changes!P7: CR-0002 is Approved but has no Decision Date.",
     "Enter the date of the decision (pmo-xl change decide records it)."),
)
declare(
    "CR005", "error", "Decided without decider",
    "A CR that carries a decision has no Decision By.",
    ("Changes!O7: CR-0002 is Approved but has no Decision By.",
     "Enter who decided (the change board or sponsor)."),
)
declare(
    "CR006", "error", "Decision before raised",
    "A CR's Decision Date is before its Date Raised.",
    ("Changes!P7: CR-0002 was decided on 2026-02-01, before it was raised on 2026-02-10.",
     "Correct the Decision Date or the Date Raised."),
)
declare(
    "CR007", "warning", "Missing rationale",
    "A CR past Draft has no Rationale: the change board decides without the why.",
    ("Changes!H8: CR-0003 (Submitted) has no rationale.",
     "Say why the change is needed and what happens without it."),
)
declare(
    "CR008", "error", "Unknown affected task",
    "Affected Tasks names a task ID that is not in tblPlan.",
    ("Changes!K7: CR-0002 affects task 99, which is not in the plan.",
     "List existing task IDs, e.g. 3, 5."),
)
declare(
    "CR009", "error", "Malformed affected tasks",
    "Affected Tasks is not a list of task IDs.",
    ("Changes!K7: affected tasks 'design': 'design' is not a task ID (use whole numbers, e.g. \"3, 5\").",
     "List task IDs separated by commas, e.g. 3, 5."),
)
declare(
    "CR010", "warning", "CR not in the log",
    "A register row has no 'Added' entry in tblChangeLog: it was typed in by hand, so its history is unknown.",
    ("Changes!A9: CR-0004 has no 'Added' entry in the change log.",
     "Add change requests with pmo-xl change add (or the New change button) so the log records them."),
)
declare(
    "CR011", "error", "Status differs from the log",
    "A CR's Status is not the New Value of the latest Status entry of tblChangeLog for it "
    "(a status edited by hand, without a log entry), or a decided CR has no status entry at all.",
    ("Changes!M7: CR-0002 is Approved but the change log's latest status is Under Review.",
     "Change statuses with pmo-xl change set-status / decide; restore the logged status, then redo the move."),
)
declare(
    "CR012", "warning", "Log entry for an unknown CR",
    "tblChangeLog has entries for a CR ID that is not in the register (a row deleted from the register?).",
    ("Change Log!B12: CR-0007 has log entries but is not in the register.",
     "Restore the register row; CR IDs are never reused and the register keeps every request."),
)
declare(
    "CR013", "warning", "Approved without impact",
    "An Approved or Implemented CR has no Cost Impact or no Schedule Impact (0 is allowed, empty is not).",
    ("Changes!I7: CR-0002 is Approved but has no Cost Impact.",
     "Enter the approved impact (0 if none)."),
)
declare(
    "CR014", "warning", "Implemented without date",
    "An Implemented CR has no Implemented Date.",
    ("Changes!R7: CR-0002 is Implemented but has no Implemented Date.",
     "Enter the date it was implemented (pmo-xl change set-status records it)."),
)
declare(
    "CR015", "error", "Implemented before decided",
    "A CR's Implemented Date is before its Decision Date.",
    ("Changes!R7: CR-0002 was implemented on 2026-02-01, before its decision on 2026-02-10.",
     "Correct the Implemented Date or the Decision Date."),
)
declare(
    "CR016", "warning", "Budget line from an unknown or unapproved CR",
    "A tblBudget line's Source names a CR that is not in the register, or that was not approved.",
    ("Budget!E21: Source CR-0009 is not in the change register.",
     "Budget lines come from approved changes (Source = its CR ID) or are 'Original'."),
)
declare(
    "CR017", "warning", "Approved cost impact without budget line",
    "An approved CR with a non-zero Cost Impact has no tblBudget line with Source = its CR ID, "
    "so BAC does not include it.",
    ("Changes!I7: CR-0002 approved a cost impact of 12,000.00 but no budget line has Source CR-0002.",
     "Add the budget line (pmo-xl change decide adds it on approval)."),
)

_APPROVED = ("Approved", "Implemented")
_NOT_DRAFT = ("Draft", "Withdrawn")


@checks
def change_register(ctx: RuleContext) -> list[Finding]:
    if not ctx.has(T):
        return []
    reg = ctx.frame(T)
    out: list[Finding] = []
    spec = schema.TABLES[T]
    if reg.empty:
        return _orphan_log(ctx, reg)

    # A register has tens of rows: its columns once as Python lists / numpy arrays, the
    # rules row by row (a pandas mask costs more than the whole loop), on the context's
    # cached arrays (no Series). Text cells are str or NaN in the normalised frame, so
    # "present" is ``type(v) is str``.
    rows = ctx.rows(T).tolist()
    ids = ctx.array(T, "CR ID").tolist()
    status = ctx.array(T, "Status").tolist()
    has_id = [type(v) is str for v in ids]
    where = ctx.table(T).where
    issue_cells = ctx.issue_cells

    for row, v, ok in zip(rows, ids, has_id):
        if ok and not _CR_ID.match(v):
            out.append(ctx.finding("CR001", T, row, "CR ID", v,
                                   f"{where(row, 'CR ID')} (CR ID) is '{v}', not of the form CR-0001."))
    present = [v for v, ok in zip(ids, has_id) if ok]
    if len(set(present)) < len(present):  # only then the generic rule's search
        out.extend(duplicate_findings(ctx, "CR002", T, "CR ID", reg))
    out.extend(choice_findings(ctx, "CR003", T, spec.column("Status"), reg))

    raised = ctx.array(T, "Date Raised")
    decision = ctx.array(T, "Decision Date")
    implemented = ctx.array(T, "Implemented Date")
    no_decision = np.isnat(decision).tolist()
    no_implemented = np.isnat(implemented).tolist()
    decided = [s in DECIDED_STATUSES for s in status]
    for k, row in enumerate(rows):
        if decided[k] and no_decision[k] and (T, int(row), "Decision Date") not in issue_cells:
            out.append(ctx.finding("CR004", T, row, "Decision Date", ids[k],
                                   f"{where(row, 'Decision Date')}: {fmt(ids[k])} is {status[k]} "
                                   "but has no Decision Date."))
    for row, d, v, s, by in zip(rows, decided, ids, status, ctx.array(T, "Decision By").tolist()):
        if d and type(by) is not str:
            out.append(ctx.finding("CR005", T, row, "Decision By", v,
                                   f"{where(row, 'Decision By')}: {fmt(v)} is {s} "
                                   "but has no Decision By."))
    for k in (decision < raised).nonzero()[0].tolist():  # NaT compares False
        row = rows[k]
        out.append(ctx.finding("CR006", T, row, "Decision Date", ids[k],
                               f"{where(row, 'Decision Date')}: {fmt(ids[k])} was decided on "
                               f"{fmt(pd.Timestamp(decision[k]))}, before it was raised on {fmt(pd.Timestamp(raised[k]))}."))
    for row, v, s, why in zip(rows, ids, status, ctx.array(T, "Rationale").tolist()):
        if type(s) is str and s not in _NOT_DRAFT and type(why) is not str:
            out.append(ctx.finding("CR007", T, row, "Rationale", v,
                                   f"{where(row, 'Rationale')}: {fmt(v)} ({s}) has no rationale."))

    approved = [s in _APPROVED for s in status]
    cost = ctx.array(T, "Cost Impact")
    for col, values in (("Cost Impact", cost), ("Schedule Impact", ctx.array(T, "Schedule Impact"))):
        missing = np.isnan(values).tolist()
        for k, row in enumerate(rows):
            if approved[k] and missing[k] and (T, int(row), col) not in issue_cells:
                out.append(ctx.finding("CR013", T, row, col, ids[k],
                                       f"{where(row, col)}: {fmt(ids[k])} is {status[k]} but has no {col}."))
    for k, row in enumerate(rows):
        if status[k] == "Implemented" and no_implemented[k]:
            out.append(ctx.finding("CR014", T, row, "Implemented Date", ids[k],
                                   f"{where(row, 'Implemented Date')}: {fmt(ids[k])} is Implemented but has no "
                                   "Implemented Date."))
    for k in (implemented < decision).nonzero()[0].tolist():
        row = rows[k]
        out.append(ctx.finding("CR015", T, row, "Implemented Date", ids[k],
                               f"{where(row, 'Implemented Date')}: {fmt(ids[k])} was implemented on "
                               f"{fmt(pd.Timestamp(implemented[k]))}, before its decision on {fmt(pd.Timestamp(decision[k]))}."))

    # ---- affected tasks
    if ctx.has("tblPlan"):
        known = ctx.task_ids
        for row, v, value in zip(rows, ids, ctx.array(T, "Affected Tasks").tolist()):
            if type(value) is not str:
                continue
            try:
                tasks = _task_ids(value)
            except RefusedChange as exc:
                out.append(ctx.finding("CR009", T, row, "Affected Tasks", v,
                                       f"{where(row, 'Affected Tasks')}: {exc.message}."))
                continue
            unknown = [t for t in tasks if t not in known]
            if unknown:
                names = ", ".join(str(t) for t in unknown)
                which = "task" if len(unknown) == 1 else "tasks"
                verb = "is" if len(unknown) == 1 else "are"
                out.append(ctx.finding("CR008", T, row, "Affected Tasks", v,
                                       f"{where(row, 'Affected Tasks')}: {fmt(v)} affects {which} "
                                       f"{names}, which {verb} not in the plan."))

    if not ctx.errors_only:  # CR016, CR017 are warnings
        out.extend(_budget_sources(ctx, rows, ids, status, approved, cost))
    out.extend(_against_log(ctx, rows, ids, status))
    if not ctx.errors_only:  # CR012 is a warning
        out.extend(_orphan_log(ctx, reg))
    return out


def _task_ids(text: str) -> list[int]:
    """:func:`parse_task_ids` of a text: plain digits ("3, 5", "3;5") read here, anything
    else (signs, decimals, zero, Unicode digits, numbers a float rounds, an error to
    report) by parse_task_ids."""
    parts = text.replace(",", " ").replace(";", " ").split()  # (split's whitespace is the regex's \s)
    if all(p.isascii() and p.isdigit() and len(p) <= 15 and p.strip("0") for p in parts):
        return list(dict.fromkeys(int(p) for p in parts))
    return parse_task_ids(text)


def _budget_sources(ctx: RuleContext, rows: list[int], ids: list[Any], status: list[Any], approved: list[bool],
                    cost: np.ndarray) -> list[Finding]:
    """CR016, CR017 on the register's columns (as lists) and tblBudget's Source."""
    if not ctx.has("tblBudget"):
        return []
    name = "tblBudget"
    out: list[Finding] = []
    status_by_cr: dict[str, Any] = {}  # the first row of each CR ID
    for cr, s in zip(ids, status):
        if type(cr) is str and cr not in status_by_cr:
            status_by_cr[cr] = s
    # Source on its distinct texts (str or NaN): a large budget has thousands of lines, a few sources
    sources = ctx.array(name, "Source").tolist()
    lined = {t for t in set(sources) if type(t) is str}
    from_cr = {t for t in lined if t.upper().startswith("CR")}
    where = ctx.table(name).where
    budget_rows = ctx.rows(name).tolist()
    cited = [k for k, t in enumerate(sources) if t in from_cr] if from_cr else []
    for k in cited:
        row, cr = budget_rows[k], sources[k]
        if cr not in status_by_cr:
            msg = f"{where(int(row), 'Source')}: Source {cr} is not in the change register."
        elif status_by_cr[cr] not in ("Approved", "Implemented", "Closed"):
            msg = f"{where(int(row), 'Source')}: Source {cr} is {status_by_cr[cr]}, not approved."
        else:
            continue
        out.append(ctx.finding("CR016", name, row, "Source", cr, msg))
    where = ctx.table(T).where
    for k, row in enumerate(rows):
        c = cost[k]
        if approved[k] and c == c and c != 0 and type(ids[k]) is str and ids[k] not in lined:
            cr = ids[k]
            out.append(ctx.finding("CR017", T, row, "Cost Impact", cr,
                                   f"{where(row, 'Cost Impact')}: {cr} approved a cost impact of "
                                   f"{c:,.2f} but no budget line has Source {cr}."))
    return out


def _log(ctx: RuleContext) -> pd.DataFrame | None:
    if not ctx.has(LOG):
        return None
    return ctx.frame(LOG)


def _against_log(ctx: RuleContext, rows: list[int], ids: list[Any], status: list[Any]) -> list[Finding]:
    """CR010, CR011: the register (as lists) against the log, in plain Python (a log has
    hundreds of entries)."""
    log = _log(ctx)
    if log is None:
        return []
    out: list[Finding] = []
    log_ids = ctx.array(LOG, "CR ID").tolist()
    # Action and Field tested on their distinct texts (a log has a handful), each row then
    # a set look-up
    actions = ctx.array(LOG, "Action").tolist()
    adds = {a for a in set(actions) if type(a) is str and a.strip().lower().startswith("add")}
    added = {cr for cr, a in zip(log_ids, actions) if a in adds and type(cr) is str}
    fields = ctx.array(LOG, "Field").tolist()
    status_fields = {f for f in set(fields) if type(f) is str and f.strip().lower() == "status"}
    at = [k for k, (cr, f) in enumerate(zip(log_ids, fields)) if f in status_fields and type(cr) is str]
    # the latest entry: by timestamp (ISO text sorts), then by row order (append-only);
    # as groupby(...).last(): the last non-empty New Value, NaN when a CR has none
    stamps, log_rows, news = ctx.array(LOG, "Timestamp"), ctx.rows(LOG), ctx.array(LOG, "New Value")
    entries = sorted(
        (ts if type(ts) is str else "", r, log_ids[k], new)
        for k, ts, r, new in zip(at, stamps[at].tolist(), log_rows[at].tolist(), news[at].tolist())
    )
    latest: dict[str, Any] = {}
    for _ts, _r, cr, new in entries:
        if type(new) is str:
            latest[cr] = new
        else:
            latest.setdefault(cr, new)

    where = ctx.table(T).where
    for row, cr, s in zip(rows, ids, status):
        if type(cr) is not str:
            continue
        if cr not in added:
            out.append(ctx.finding("CR010", T, row, "CR ID", cr,
                                   f"{where(row, 'CR ID')}: {cr} has no 'Added' entry in the change log."))
        if type(s) is not str:
            continue
        if cr in latest:
            logged = latest[cr]
            logged_text = logged.strip() if type(logged) is str else ""
            if logged_text != s:
                out.append(ctx.finding("CR011", T, row, "Status", cr,
                                       f"{where(row, 'Status')}: {cr} is {s} but the change log's latest "
                                       f"status is {logged_text or 'empty'}."))
        elif s in DECIDED_STATUSES and cr in added:
            out.append(ctx.finding("CR011", T, row, "Status", cr,
                                   f"{where(row, 'Status')}: {cr} is {s} but the change log has no status "
                                   "entry for it."))
    return out


def _orphan_log(ctx: RuleContext, reg: pd.DataFrame) -> list[Finding]:
    log = _log(ctx)
    if log is None or log.empty:
        return []
    known = {v for v in ctx.array(T, "CR ID").tolist() if type(v) is str}
    log_ids = ctx.array(LOG, "CR ID").tolist()
    if not any(type(cr) is str for cr in set(log_ids).difference(known)):  # the usual case: every log entry's CR is known
        return []
    where = ctx.table(LOG).where
    out: list[Finding] = []
    seen: set[str] = set()  # the first log row of each unknown CR ID
    for r, cr in zip(ctx.rows(LOG).tolist(), log_ids):
        if type(cr) is str and cr not in known and cr not in seen:
            seen.add(cr)
            out.append(ctx.finding("CR012", LOG, r, "CR ID", cr,
                                   f"{where(r, 'CR ID')}: {cr} has log entries but is not in the register."))
    return out
