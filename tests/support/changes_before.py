"""The register-against-budget and register-against-log checks of
``pmo_xl.engine.rules.changes`` (CR010-CR012, CR016, CR017) before they read the log's
Action/Field and the budget's Source on their distinct texts, frozen as the reference
the fast ones are tested against."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pmo_xl.engine.changes import DECIDED_STATUSES
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.engine.rules.changes import LOG, T
from pmo_xl.model import Finding


def _budget_sources(ctx: RuleContext, rows: list[int], ids: list[Any], status: list[Any], approved: list[bool],
                    cost: np.ndarray) -> list[Finding]:
    """CR016, CR017 on the register's columns (as lists) and tblBudget's Source."""
    if not ctx.has("tblBudget"):
        return []
    name = "tblBudget"
    budget = ctx.frame(name)
    out: list[Finding] = []
    status_by_cr: dict[str, Any] = {}  # the first row of each CR ID
    for cr, s in zip(ids, status):
        if type(cr) is str and cr not in status_by_cr:
            status_by_cr[cr] = s
    # Source on its distinct texts: a large budget has thousands of lines, a few sources
    codes, texts = ctx.codes(name, "Source")
    from_cr = np.array([t.upper().startswith("CR") for t in texts] + [False], dtype=bool)[codes]
    where = ctx.table(name).where
    budget_rows = budget.index
    for k in np.flatnonzero(from_cr).tolist():
        row, cr = budget_rows[k], texts[codes[k]]
        if cr not in status_by_cr:
            msg = f"{where(int(row), 'Source')}: Source {cr} is not in the change register."
        elif status_by_cr[cr] not in ("Approved", "Implemented", "Closed"):
            msg = f"{where(int(row), 'Source')}: Source {cr} is {status_by_cr[cr]}, not approved."
        else:
            continue
        out.append(ctx.finding("CR016", name, row, "Source", cr, msg))
    lined = {texts[c] for c in np.unique(codes[codes >= 0]).tolist()}
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
    added = {cr for cr, a in zip(log_ids, ctx.array(LOG, "Action").tolist())
             if type(cr) is str and type(a) is str and a.strip().lower().startswith("add")}
    # the latest entry: by timestamp (ISO text sorts), then by row order (append-only);
    # as groupby(...).last(): the last non-empty New Value, NaN when a CR has none
    entries = sorted(
        (ts if type(ts) is str else "", r, cr, new)
        for ts, r, cr, f, new in zip(ctx.array(LOG, "Timestamp").tolist(), ctx.rows(LOG).tolist(), log_ids,
                                     ctx.array(LOG, "Field").tolist(), ctx.array(LOG, "New Value").tolist())
        if type(cr) is str and type(f) is str and f.strip().lower() == "status"
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
    where = ctx.table(LOG).where
    out: list[Finding] = []
    seen: set[str] = set()  # the first log row of each unknown CR ID
    for r, cr in zip(ctx.rows(LOG).tolist(), ctx.array(LOG, "CR ID").tolist()):
        if type(cr) is str and cr not in known and cr not in seen:
            seen.add(cr)
            out.append(ctx.finding("CR012", LOG, r, "CR ID", cr,
                                   f"{where(r, 'CR ID')}: {cr} has log entries but is not in the register."))
    return out
