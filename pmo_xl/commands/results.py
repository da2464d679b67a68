"""Engine results as the tables of pmo_xl's generated sheets (Validation, Schedule, Rollup).

Each ``*_blocks`` function turns one result into the :class:`~pmo_xl.io.writer.TableBlock`
list of its sheet, with the headers of :mod:`pmo_xl.schema` and every table at its
template anchor (:data:`pmo_xl.io.template.GENERATED_ANCHORS`); :func:`write_results`
stores any of the three sheets in a workbook in one lossless, atomic save.

Highlighting is written as row fills, because replacing a generated sheet drops the
template's conditional formats: critical tasks (Schedule), lines whose actual cost
exceeds their budget (Rollup: by task, by category), findings by severity and DCMA checks
by pass/fail (Validation).

The Dashboard is never rewritten: its tiles look tblEVM[Metric] up by name and its charts
read the workbook-level names ``chart_*`` (:data:`pmo_xl.io.template.CHART_SERIES`),
which :func:`write_results` redefines to the exact rows written to tblRollupMonth and
tblRollupCategory.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from ..engine.cpm import ScheduleResult
    from ..engine.finance import RollupResult
    from ..io.writer import TableBlock, WorkbookEditor

#: Row fill of a line whose actual cost exceeds its budget (the template's "over" colour).
OVER_BUDGET = "critical"


# --------------------------------------------------------------------------- Schedule


def schedule_frame(result: "ScheduleResult", plan: "pd.DataFrame | None" = None) -> "pd.DataFrame":
    """``tblSchedule`` rows: ID, WBS, Task (from ``plan``, the tblPlan frame), Duration,
    early/late dates, floats (working days) and the critical flag, in plan order."""
    import pandas as pd

    from .. import schema

    names: dict[int, tuple[Any, Any]] = {}
    if plan is not None and len(plan) and "ID" in plan.columns:
        ids = pd.to_numeric(plan["ID"], errors="coerce")
        wbs = plan["WBS"] if "WBS" in plan.columns else pd.Series(None, index=plan.index, dtype=object)
        task = plan["Task"] if "Task" in plan.columns else pd.Series(None, index=plan.index, dtype=object)
        for i, w, t in zip(ids, wbs, task):
            if pd.notna(i) and float(i).is_integer() and int(i) not in names:
                names[int(i)] = (_text(w), _text(t))
    tasks = result.tasks
    if result.calendar is not None and tasks:
        dates = {k: v.astype(object) for k, v in result.date_columns().items()}
    else:
        dates = {k: [None] * len(tasks) for k in ("early_start", "early_finish", "late_start", "late_finish")}
    frame = pd.DataFrame(
        {
            "ID": pd.array([t.id for t in tasks], dtype="Int64"),
            "WBS": [names.get(t.id, (None, None))[0] for t in tasks],
            "Task": [names.get(t.id, (None, None))[1] for t in tasks],
            "Duration": [float(t.duration) for t in tasks],
            "Early Start": list(dates["early_start"]),
            "Early Finish": list(dates["early_finish"]),
            "Late Start": list(dates["late_start"]),
            "Late Finish": list(dates["late_finish"]),
            "Total Float": [float(t.total_float) for t in tasks],
            "Free Float": [float(t.free_float) for t in tasks],
            "Critical": [bool(t.critical) for t in tasks],
        },
        columns=schema.TABLES["tblSchedule"].headers,
    )
    return frame


def schedule_summary(result: "ScheduleResult") -> str:
    """One line: forecast finish, length, critical path, loops."""
    parts = []
    if result.calendar is not None and result.tasks:
        parts.append(f"Forecast finish {result.project_finish_date.isoformat()}")
    parts.append(f"{result.duration_days} working days")
    if result.critical_path:
        parts.append("critical path " + "-".join(str(i) for i in result.critical_path))
    if result.cycles:
        parts.append(f"{len(result.cycles)} dependency loop(s) ignored")
    return " · ".join(parts)


def schedule_blocks(result: "ScheduleResult", plan: "pd.DataFrame | None" = None) -> list["TableBlock"]:
    """The Schedule sheet: ``tblSchedule``, critical rows filled."""
    from ..io.writer import TableBlock

    frame = schedule_frame(result, plan)
    fills = ["critical" if c else None for c in frame["Critical"]]
    return [TableBlock("tblSchedule", frame, title=schedule_summary(result), fills=fills)]


# --------------------------------------------------------------------------- Rollup


def change_stats_rows(register: "pd.DataFrame | None", as_of: _dt.date) -> list[tuple[str, float | None]]:
    """``tblChangeStats`` (Metric, Value) from the change register (SPEC §6 statistics),
    ageing counted to ``as_of`` (the status date)."""
    from ..engine.changes import change_stats, stats_table

    if register is None:
        import pandas as pd

        from .. import schema

        register = pd.DataFrame(columns=schema.TABLES["tblChanges"].headers)
    return stats_table(change_stats(register, as_of=as_of))


def _over_budget(frame: "pd.DataFrame") -> list[str | None]:
    import numpy as np

    ac = np.nan_to_num(frame["AC"].to_numpy(dtype=float, na_value=np.nan))
    budget = np.nan_to_num(frame["Budget"].to_numpy(dtype=float, na_value=np.nan))
    return [OVER_BUDGET if a > b + 0.005 else None for a, b in zip(ac, budget)]


def rollup_blocks(
    result: "RollupResult",
    change_stats: Sequence[tuple[str, float | None]] | None = None,
) -> list["TableBlock"]:
    """The Rollup sheet: tblEVM (the Dashboard tiles read it by Metric), by task, by
    category, by month (the S-curve), by person, reserves, change statistics."""
    from .. import schema
    from ..io.writer import TableBlock

    tables = result.tables()

    def block(name: str, rows: Any, **kw: Any) -> TableBlock:
        return TableBlock(name, rows, title=schema.TABLES[name].title, **kw)

    evm_title = f"Earned value at {result.status_date.isoformat()} · RAG {result.rag}"
    blocks = [
        TableBlock("tblEVM", tables["tblEVM"], title=evm_title),
        block("tblRollupTask", tables["tblRollupTask"], fills=_over_budget(tables["tblRollupTask"])),
        block("tblRollupCategory", tables["tblRollupCategory"], fills=_over_budget(tables["tblRollupCategory"])),
        block("tblRollupMonth", tables["tblRollupMonth"]),
        block("tblRollupPerson", tables["tblRollupPerson"]),
        block("tblReserves", tables["tblReserves"]),
    ]
    if change_stats is not None:
        blocks.append(block("tblChangeStats", [list(r) for r in change_stats]))
    return blocks


def chart_names(result: "RollupResult") -> dict[str, str]:
    """The Dashboard's chart series names for the rows :func:`rollup_blocks` writes."""
    from ..io.template import chart_name_formulas

    tables = result.tables()
    return chart_name_formulas({name: len(frame) for name, frame in tables.items()})


# --------------------------------------------------------------------------- Validation


def validation_blocks(report: Any, sheets: Iterable[str] | None = None) -> list["TableBlock"]:
    """The Validation sheet: ``tblFindings`` (each Cell an internal hyperlink to
    ``Sheet!Cell``, rows coloured by severity) and ``tblDCMA`` (PASS green, FAIL red).

    ``report`` is a :class:`pmo_xl.commands.validate.ValidationReport` (``findings``:
    :class:`~pmo_xl.model.Finding` s; ``dcma``: checks with check, name, value,
    threshold, passed, detail). ``sheets``: the workbook's sheet names; a finding on a
    sheet the workbook lacks gets no link (it would point nowhere).
    """
    from .. import schema
    from ..io.writer import TableBlock

    known = None if sheets is None else {s.lower() for s in sheets}
    findings = list(report.findings)
    rows, links, fills = [], [], []
    for f in findings:
        rows.append([f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint])
        ok = bool(f.cell) and bool(f.sheet) and (known is None or f.sheet.lower() in known)
        links.append(f"{f.sheet}!{f.cell}" if ok else None)
        fills.append(f.severity if f.severity in ("error", "warning", "info") else None)
    summary = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        summary[f.severity] = summary.get(f.severity, 0) + 1
    title = f"Findings: {summary['error']} errors, {summary['warning']} warnings, {summary['info']} info"
    checks = list(getattr(report, "dcma", []) or [])
    drows, dfills = [], []
    for c in checks:
        passed = c.passed
        drows.append([c.check, c.name, c.value, c.threshold,
                      "N/A" if passed is None else ("PASS" if passed else "FAIL"), getattr(c, "detail", "")])
        dfills.append(None if passed is None else ("pass" if passed else "fail"))
    n_pass = sum(1 for c in checks if c.passed)
    n_fail = sum(1 for c in checks if c.passed is False)
    dcma_title = schema.TABLES["tblDCMA"].title + (f": {n_pass} passed, {n_fail} failed" if checks else "")
    return [
        TableBlock("tblFindings", rows, title=title, links=links, link_column="Cell", fills=fills),
        TableBlock("tblDCMA", drows, title=dcma_title, fills=dfills),
    ]


def validation_heading(report: Any) -> str:
    s = report.summary
    when = getattr(report, "status_date", None)
    at = f" at {when.isoformat()}" if when else ""
    return f"Validation{at}: {s['error']} errors, {s['warning']} warnings, {s['info']} info"


# --------------------------------------------------------------------------- writing


def write_results(
    path: str | Path,
    *,
    validation: Any = None,
    schedule: "ScheduleResult | None" = None,
    plan: "pd.DataFrame | None" = None,
    rollup: "RollupResult | None" = None,
    change_stats: Sequence[tuple[str, float | None]] | None = None,
    editor: "WorkbookEditor | None" = None,
) -> Path:
    """Store results in the workbook's generated sheets; one atomic save.

    ``validation`` → Validation, ``schedule`` (with ``plan``, the tblPlan frame, for WBS
    and task names) → Schedule, ``rollup`` (with ``change_stats`` rows) → Rollup and the
    Dashboard's ``chart_*`` names. Every other part of the package is copied unchanged.
    """
    from ..engine.cpm import collector_paused

    with collector_paused():  # a generated sheet is tens of thousands of strings
        return _write_results(path, validation, schedule, plan, rollup, change_stats, editor)


def _write_results(path: str | Path, validation: Any, schedule: "ScheduleResult | None", plan: "pd.DataFrame | None",
                   rollup: "RollupResult | None", change_stats: Sequence[tuple[str, float | None]] | None,
                   editor: "WorkbookEditor | None") -> Path:
    from ..io.writer import WorkbookEditor

    ed = editor or WorkbookEditor.open(path)
    if validation is not None:
        sheets = [s[0] for s in ed.sheets()]
        ed.replace_sheet("Validation", validation_blocks(validation, sheets), heading=validation_heading(validation))
    if schedule is not None:
        ed.replace_sheet("Schedule", schedule_blocks(schedule, plan), heading="Schedule (critical path method)")
    if rollup is not None:
        ed.replace_sheet("Rollup", rollup_blocks(rollup, change_stats), heading="Rollup: earned value and roll-ups")
        for name, formula in chart_names(rollup).items():
            ed.set_defined_name(name, formula)
    return ed.save()


def write(path: str | Path, *results: Any, book: Any = None, wait: float | None = None) -> Path:
    """``pmo_xl.write(path, report, plan, money)`` (SPEC §8): store any of a validation
    report, a :class:`~pmo_xl.engine.cpm.ScheduleResult` and a
    :class:`~pmo_xl.engine.finance.RollupResult` in their sheets, in one atomic save,
    holding the workbook's pmo-xl lock.

    The Schedule sheet names tasks (WBS, Task) from tblPlan and the Rollup sheet's change
    statistics come from tblChanges: from ``book`` when given, else read from ``path``.
    """
    from ..engine.cpm import ScheduleResult
    from ..engine.finance import RollupResult
    from ..errors import PmoError
    from ._common import refuse_newer_template, writing

    found: dict[str, Any] = {}
    for r in results:
        kind = ("schedule" if isinstance(r, ScheduleResult) else "rollup" if isinstance(r, RollupResult)
                else "validation" if hasattr(r, "findings") and hasattr(r, "summary") else None)
        if kind is None:
            raise PmoError(f"pmo_xl.write: cannot store a {type(r).__name__} (give validate/schedule/rollup results)")
        if kind in found:
            raise PmoError(f"pmo_xl.write: two {kind} results")
        found[kind] = r
    with writing(path, wait):
        if book is None:
            from ..io.reader import load

            book = load(path)
        refuse_newer_template(book)
        kwargs: dict[str, Any] = dict(found)
        if "schedule" in found:
            kwargs["plan"] = book.frame("tblPlan")
        if "rollup" in found:
            kwargs["change_stats"] = change_stats_rows(book.frame("tblChanges"), found["rollup"].status_date)
        return write_results(path, **kwargs)


def _text(value: Any) -> Any:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value if isinstance(value, str) else str(value)
