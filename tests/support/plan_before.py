"""Checks of ``pmo_xl.engine.rules.plan`` as they were before their fast rewrites, frozen
as the references the fast ones are tested against: the WBS checks (PL008-PL011) before
the one-regex and sorted-codes search, the predecessor checks before the cycle search
was skipped for plans without a link to a higher task ID, PL029 before it picked its
candidates off the first rows' positions."""

from __future__ import annotations

import re

import numpy as np

from pmo_xl.engine.rules._context import RuleContext, fmt
from pmo_xl.engine.rules.plan import P, _cmp, _cycles, _day_texts, _f, _Plan
from pmo_xl.model import Finding

_WBS = re.compile(r"^\d+(\.\d+)*$")


def _wbs(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    ids, rows = t.ids, t.rows
    wbs = t.text["WBS"]
    present = np.flatnonzero(~t.text_na["WBS"]).tolist()
    texts = [v if type(v) is str else str(v) for v in wbs[present].tolist()]  # as astype(str)
    ok = [_WBS.match(v) is not None for v in texts]
    code_ks: list[int] = []  # plan position of each well-formed code
    code_list: list[str] = []
    for k, text, good in zip(present, texts, ok):
        if good:
            code_ks.append(k)
            code_list.append(text)
            continue
        row = rows[k]
        out.append(_f(ctx, "PL009", row, "WBS", ids[k],
                      f"{ctx.where(P, row, 'WBS')}: WBS '{text}' is not of the form 1, 1.2, 1.2.3."))
    known = set(code_list)
    # Python strings and sets: 5,000 look-ups, cheaper than rpartition/isin on Arrow text
    parent_list = [c.rpartition(".")[0] for c in code_list]
    for j, parent in enumerate(parent_list):
        if parent != "" and parent not in known:
            k = code_ks[j]
            row = rows[k]
            out.append(_f(ctx, "PL008", row, "WBS", ids[k],
                          f"{ctx.where(P, row, 'WBS')}: WBS {code_list[j]} has no parent {parent} in the plan."))
    if ctx.errors_only:  # PL011 and PL010 (below) are warnings
        return out
    # children of each code: rows whose WBS starts with code + "."
    has_child = {p for p in parent_list if p != ""}
    summary = t.summary
    for j, code in enumerate(code_list):
        k = code_ks[j]
        if code in has_child and not summary[k]:
            row = rows[k]
            out.append(_f(ctx, "PL011", row, "Type", ids[k],
                          f"{ctx.where(P, row, 'Type')}: task {fmt(ids[k])} (WBS {code}) has children "
                          f"({code}.1…) but its Type is {t.typ(k)}."))
    summaries = [j for j, k in enumerate(code_ks) if summary[k]]
    if summaries:
        out += _summary_spans(ctx, t, code_ks, code_list, summaries)
    return out


def _summary_spans(ctx: RuleContext, t: _Plan, code_ks: list[int], code_list: list[str], summary_js: list[int]) -> list[Finding]:
    """Summary Start/Finish against the earliest Start / latest Finish of the rows under
    it (every row whose WBS has the summary's WBS as a prefix; ties: the first row), in
    one pass over the codes (``code_ks[j]``: plan position of ``code_list[j]``;
    ``summary_js``: the codes of Summary rows)."""
    ids, rows = t.ids, t.rows
    summaries = {code_list[j] for j in summary_js}
    start_ns = t.dates["Start"].view("int64").tolist()  # Python ints: cheap to index
    finish_ns = t.dates["Finish"].view("int64").tolist()
    has_start, has_finish = (~t.nat["Start"]).tolist(), (~t.nat["Finish"]).tolist()
    first: dict[str, tuple[int, int, int]] = {}  # summary code -> (start, row, k) of its earliest child
    last: dict[str, tuple[int, int, int]] = {}  # summary code -> (-finish, row, k) of its latest child
    above: dict[str, list[str]] = {"": []}  # code -> the summaries among it and its prefixes (once per code)
    for k, code in zip(code_ks, code_list):
        parent = code[:max(code.rfind("."), 0)]
        ancestors = above.get(parent)
        if ancestors is None:
            ancestors = _summaries_above(parent, summaries, above)
        if not ancestors:
            continue
        row = rows[k]
        if has_start[k]:
            key = (start_ns[k], row, k)
            for ancestor in ancestors:
                got = first.get(ancestor)
                if got is None or key < got:
                    first[ancestor] = key
        if has_finish[k]:
            key = (-finish_ns[k], row, k)
            for ancestor in ancestors:
                got = last.get(ancestor)
                if got is None or key < got:
                    last[ancestor] = key
    if not first and not last:
        return []
    out: list[Finding] = []
    own = [(code_ks[j], code_list[j]) for j in summary_js]
    for k, code in own:
        child = first.get(code)
        if child is None or not has_start[k] or not start_ns[k] > start_ns[child[2]]:
            continue
        row, c = rows[k], child[2]
        out.append(_f(ctx, "PL010", row, "Start", ids[k],
                      f"{ctx.where(P, row, 'Start')}: summary {fmt(ids[k])} starts on {fmt(t.ts('Start', k))} but its "
                      f"child {fmt(ids[c])} starts on {fmt(t.ts('Start', c))}."))
    for k, code in own:
        child = last.get(code)
        if child is None or not has_finish[k] or not finish_ns[k] < finish_ns[child[2]]:
            continue
        row, c = rows[k], child[2]
        out.append(_f(ctx, "PL010", row, "Finish", ids[k],
                      f"{ctx.where(P, row, 'Finish')}: summary {fmt(ids[k])} finishes on {fmt(t.ts('Finish', k))} but its "
                      f"child {fmt(ids[c])} finishes on {fmt(t.ts('Finish', c))}."))
    return out


def _summaries_above(code: str, summaries: set[str], above: dict[str, list[str]]) -> list[str]:
    """The summary codes among ``code`` and its prefixes (1.2.3, 1.2, 1), memoised in
    ``above`` for every prefix on the way (``above[""]`` must be ``[]``)."""
    chain = []  # the prefixes not yet in ``above``, longest first
    while code not in above:
        chain.append(code)
        cut = code.rfind(".")
        code = code[:cut] if cut >= 0 else ""
    got = above[code]
    for c in reversed(chain):
        got = [c] + got if c in summaries else got
        above[c] = got
    return got


def _predecessors(ctx: RuleContext, t: _Plan) -> list[Finding]:
    out: list[Finding] = []
    known = ctx.task_ids
    id_of = dict(zip(t.rows, t.ids))
    for row, (links, problems) in ctx.links.items():
        tid = id_of[row]
        if not problems:
            own = int(tid) if links and tid == tid else None
            for link in links:
                if link.pred == own or link.pred not in known:
                    break
            else:
                continue  # the common case: nothing to report on this row
        where = ctx.where(P, row, "Predecessors")
        for p in problems:
            out.append(_f(ctx, "PL004", row, "Predecessors", tid,
                          f"{where}: task {fmt(tid)} predecessor {p.message}."
                          if p.message.startswith(repr(p.text)) else
                          f"{where}: task {fmt(tid)} predecessor '{p.text}': {p.message}."))
        for link in links:
            if tid == tid and link.pred == int(tid):
                out.append(_f(ctx, "PL006", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} lists itself as a predecessor."))
            elif link.pred not in known:
                out.append(_f(ctx, "PL005", row, "Predecessors", tid,
                              f"{where}: task {fmt(tid)} depends on task {link.pred}, which is not in the plan."))
    out += _cycles(ctx, t)
    return out


def _logic_start(ctx: RuleContext, t: _Plan) -> list[Finding]:
    """Start < CPM early start, for tasks not yet started (their Start is a forecast)."""
    if ctx.errors_only:  # PL029 is a warning: no schedule needed to count errors
        return []
    res = ctx.cpm
    if res is None or res.calendar is None:
        return []
    cal = res.calendar
    es = {task.id: (task.early_start, task.early_finish) for task in res.tasks if task.status == "not started" and not task.in_cycle}
    if not es:
        return []
    ok = t.work & t.nat["Actual Start"] & ~t.nat["Start"]
    if ctx.status_ts is not None:  # a start already past is PL020's: the schedule moves it after the status date
        ok &= _cmp(t.dates["Start"], "__gt__", ctx.status_ts)
    ok_list = ok.tolist()
    cand = [(tid, row, k) for tid, row, k in t.by_id(ctx) if ok_list[k] and tid in es]
    if not cand:
        return []
    times = np.array([es[tid] for tid, _row, _k in cand], dtype=float)
    day = np.where(times[:, 0] == times[:, 1], np.maximum(times[:, 0], 1), times[:, 0] + 1)
    early = cal.dates_of(day)
    start = t.dates["Start"][[k for _tid, _row, k in cand]]
    late = start < early
    if not late.any():
        return []
    out = []
    picked = [c for c, is_late in zip(cand, late.tolist()) if is_late]
    for (tid, row, _k), s, e in zip(picked, _day_texts(start[late]), _day_texts(early[late])):
        out.append(_f(ctx, "PL029", row, "Start", tid,
                      f"{ctx.where(P, row, 'Start')}: task {tid} starts on {s} but its predecessors "
                      f"and constraints allow {e} at the earliest."))
    return out
