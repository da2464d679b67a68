"""CR — the change register (tblChanges) and its audit trail (tblChangeLog).

The workflow itself (allowed moves, decisions) lives in :mod:`pmo_xl.engine.changes`;
these rules check that what is in the workbook is consistent with it: IDs, statuses,
decisions, rationale, affected tasks, budget lines, and that the register agrees with the
log that ``pmo-xl change`` keeps (a status edited by hand leaves no log entry).
"""

from __future__ import annotations

import re

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


@checks
def change_register(ctx: RuleContext) -> list[Finding]:
    if not ctx.has(T):
        return []
    reg = ctx.frame(T)
    out: list[Finding] = []
    spec = schema.TABLES[T]
    if reg.empty:
        return _orphan_log(ctx, reg)

    ids = reg["CR ID"]
    for row in reg.index[ids.notna() & ~ids.astype(str).str.match(_CR_ID)]:
        out.append(ctx.finding("CR001", T, row, "CR ID", ids.at[row],
                               f"{ctx.where(T, row, 'CR ID')} (CR ID) is '{ids.at[row]}', not of the form CR-0001."))
    out.extend(duplicate_findings(ctx, "CR002", T, "CR ID", reg))
    out.extend(choice_findings(ctx, "CR003", T, spec.column("Status"), reg))

    status = reg["Status"]
    decided = status.isin(DECIDED_STATUSES)
    for row in reg.index[decided & reg["Decision Date"].isna()]:
        if (T, int(row), "Decision Date") not in ctx.issue_cells:
            out.append(ctx.finding("CR004", T, row, "Decision Date", ids.at[row],
                                   f"{ctx.where(T, row, 'Decision Date')}: {fmt(ids.at[row])} is {status.at[row]} "
                                   "but has no Decision Date."))
    for row in reg.index[decided & reg["Decision By"].isna()]:
        out.append(ctx.finding("CR005", T, row, "Decision By", ids.at[row],
                               f"{ctx.where(T, row, 'Decision By')}: {fmt(ids.at[row])} is {status.at[row]} "
                               "but has no Decision By."))
    early = reg["Decision Date"] < reg["Date Raised"]
    for row in reg.index[early]:
        out.append(ctx.finding("CR006", T, row, "Decision Date", ids.at[row],
                               f"{ctx.where(T, row, 'Decision Date')}: {fmt(ids.at[row])} was decided on "
                               f"{fmt(reg.at[row, 'Decision Date'])}, before it was raised on {fmt(reg.at[row, 'Date Raised'])}."))
    no_why = status.notna() & ~status.isin(["Draft", "Withdrawn"]) & reg["Rationale"].isna()
    for row in reg.index[no_why]:
        out.append(ctx.finding("CR007", T, row, "Rationale", ids.at[row],
                               f"{ctx.where(T, row, 'Rationale')}: {fmt(ids.at[row])} ({status.at[row]}) has no rationale."))

    approved = status.isin(_APPROVED)
    for col in ("Cost Impact", "Schedule Impact"):
        for row in reg.index[approved & reg[col].isna()]:
            if (T, int(row), col) not in ctx.issue_cells:
                out.append(ctx.finding("CR013", T, row, col, ids.at[row],
                                       f"{ctx.where(T, row, col)}: {fmt(ids.at[row])} is {status.at[row]} but has no {col}."))
    for row in reg.index[(status == "Implemented") & reg["Implemented Date"].isna()]:
        out.append(ctx.finding("CR014", T, row, "Implemented Date", ids.at[row],
                               f"{ctx.where(T, row, 'Implemented Date')}: {fmt(ids.at[row])} is Implemented but has no "
                               "Implemented Date."))
    for row in reg.index[reg["Implemented Date"] < reg["Decision Date"]]:
        out.append(ctx.finding("CR015", T, row, "Implemented Date", ids.at[row],
                               f"{ctx.where(T, row, 'Implemented Date')}: {fmt(ids.at[row])} was implemented on "
                               f"{fmt(reg.at[row, 'Implemented Date'])}, before its decision on {fmt(reg.at[row, 'Decision Date'])}."))

    # ---- affected tasks
    if ctx.has("tblPlan"):
        known = ctx.task_ids
        for row in reg.index[reg["Affected Tasks"].notna()]:
            value = reg.at[row, "Affected Tasks"]
            try:
                tasks = parse_task_ids(value)
            except RefusedChange as exc:
                out.append(ctx.finding("CR009", T, row, "Affected Tasks", ids.at[row],
                                       f"{ctx.where(T, row, 'Affected Tasks')}: {exc.message}."))
                continue
            unknown = [t for t in tasks if t not in known]
            if unknown:
                names = ", ".join(str(t) for t in unknown)
                which = "task" if len(unknown) == 1 else "tasks"
                verb = "is" if len(unknown) == 1 else "are"
                out.append(ctx.finding("CR008", T, row, "Affected Tasks", ids.at[row],
                                       f"{ctx.where(T, row, 'Affected Tasks')}: {fmt(ids.at[row])} affects {which} "
                                       f"{names}, which {verb} not in the plan."))

    if not ctx.errors_only:  # CR016, CR017 are warnings
        out.extend(_budget_sources(ctx, reg))
    out.extend(_against_log(ctx, reg))
    if not ctx.errors_only:  # CR012 is a warning
        out.extend(_orphan_log(ctx, reg))
    return out


def _budget_sources(ctx: RuleContext, reg: pd.DataFrame) -> list[Finding]:
    if not ctx.has("tblBudget"):
        return []
    budget = ctx.frame("tblBudget")
    out: list[Finding] = []
    status_of = reg.dropna(subset=["CR ID"]).drop_duplicates("CR ID").set_index("CR ID")["Status"]
    src = budget["Source"]
    from_cr = src.notna() & src.astype(str).str.upper().str.startswith("CR")
    status_by_cr = status_of.to_dict()  # CR IDs are unique here
    for row, cr in zip(budget.index[from_cr], src[from_cr].tolist()):
        if cr not in status_by_cr:
            msg = f"{ctx.where('tblBudget', row, 'Source')}: Source {cr} is not in the change register."
        elif status_by_cr[cr] not in ("Approved", "Implemented", "Closed"):
            msg = f"{ctx.where('tblBudget', row, 'Source')}: Source {cr} is {status_by_cr[cr]}, not approved."
        else:
            continue
        out.append(ctx.finding("CR016", "tblBudget", row, "Source", cr, msg))
    lined = set(src.dropna())
    cost = reg["Cost Impact"]
    need = reg["Status"].isin(_APPROVED) & cost.notna() & (cost != 0) & reg["CR ID"].notna()
    for row in reg.index[need]:
        cr = reg.at[row, "CR ID"]
        if cr not in lined:
            out.append(ctx.finding("CR017", T, row, "Cost Impact", cr,
                                   f"{ctx.where(T, row, 'Cost Impact')}: {cr} approved a cost impact of "
                                   f"{cost.at[row]:,.2f} but no budget line has Source {cr}."))
    return out


def _log(ctx: RuleContext) -> pd.DataFrame | None:
    if not ctx.has(LOG):
        return None
    return ctx.frame(LOG)


def _against_log(ctx: RuleContext, reg: pd.DataFrame) -> list[Finding]:
    log = _log(ctx)
    if log is None:
        return []
    out: list[Finding] = []
    action = log["Action"].fillna("").astype(str).str.strip().str.lower()
    added = set(log.loc[action.str.startswith("add"), "CR ID"].dropna())
    field = log["Field"].fillna("").astype(str).str.strip().str.lower()
    st = log[(field == "status") & log["CR ID"].notna()]
    # the latest entry: by timestamp (ISO text sorts), then by row order (append-only)
    st = st.assign(_ts=st["Timestamp"].fillna("").astype(str), _row=st.index).sort_values(["_ts", "_row"])
    latest = st.groupby("CR ID")["New Value"].last()

    for row in reg.index[reg["CR ID"].notna()]:
        cr = reg.at[row, "CR ID"]
        if cr not in added:
            out.append(ctx.finding("CR010", T, row, "CR ID", cr,
                                   f"{ctx.where(T, row, 'CR ID')}: {cr} has no 'Added' entry in the change log."))
        status = reg.at[row, "Status"]
        if pd.isna(status):
            continue
        if cr in latest.index:
            logged = latest[cr]
            logged_text = "" if pd.isna(logged) else str(logged).strip()
            if logged_text != status:
                out.append(ctx.finding("CR011", T, row, "Status", cr,
                                       f"{ctx.where(T, row, 'Status')}: {cr} is {status} but the change log's latest "
                                       f"status is {logged_text or 'empty'}."))
        elif status in DECIDED_STATUSES and cr in added:
            out.append(ctx.finding("CR011", T, row, "Status", cr,
                                   f"{ctx.where(T, row, 'Status')}: {cr} is {status} but the change log has no status "
                                   "entry for it."))
    return out


def _orphan_log(ctx: RuleContext, reg: pd.DataFrame) -> list[Finding]:
    log = _log(ctx)
    if log is None or log.empty:
        return []
    known = set(reg["CR ID"].dropna())
    ids = log["CR ID"]
    orphan = ids.notna() & ~ids.isin(list(known))
    first = log[orphan].assign(_row=log.index[orphan]).drop_duplicates("CR ID")
    return [
        ctx.finding("CR012", LOG, r, "CR ID", cr,
                    f"{ctx.where(LOG, r, 'CR ID')}: {cr} has log entries but is not in the register.")
        for r, cr in zip(first["_row"], first["CR ID"])
    ]
