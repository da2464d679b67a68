"""``validate``: every rule and the DCMA 14-point assessment on one or many workbooks.

>>> report = validate_book(book)            # doctest: +SKIP
>>> report.summary                          # doctest: +SKIP
{'error': 2, 'warning': 5, 'info': 1}
>>> report.frame                            # doctest: +SKIP  (one row per finding)

The JSON of one file (SPEC §8) is ``report.to_dict()``: ``findings``, ``summary``, ``dcma``.
Renderers (text, JUnit XML) live here too so the CLI stays a thin face.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import for_each_file

if TYPE_CHECKING:
    import pandas as pd

    from ..engine.cpm import ScheduleResult
    from ..engine.dcma import DcmaCheck, DcmaThresholds
    from ..engine.rules._context import RuleContext
    from ..model import Book, Finding

FINDING_COLUMNS = ["Severity", "Rule", "Sheet", "Cell", "Key", "Message", "Hint"]
DCMA_COLUMNS = ["Check", "Name", "Value", "Threshold", "Passed", "Detail"]


@dataclass
class ValidationReport:
    """Findings and DCMA checks of one workbook."""

    findings: list["Finding"]
    dcma: list["DcmaCheck"] = field(default_factory=list)
    status_date: _dt.date | None = None
    #: the CPM schedule the rules and DCMA checks ran on (rows with a task ID, on the
    #: project calendar); None when the plan is empty or the calendar unusable
    schedule: "ScheduleResult | None" = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    @property
    def errors(self) -> int:
        return self.summary["error"]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return self.errors == 0

    @property
    def frame(self) -> "pd.DataFrame":
        """One row per finding, columns as ``tblFindings`` (Severity, Rule, Sheet, Cell…)."""
        import pandas as pd

        rows = [[f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint] for f in self.findings]
        return pd.DataFrame(rows, columns=FINDING_COLUMNS)

    @property
    def dcma_frame(self) -> "pd.DataFrame":
        """One row per DCMA check, columns as ``tblDCMA``; Passed is PASS / FAIL / N/A."""
        import pandas as pd

        rows = [[c.check, c.name, c.value, c.threshold, _passed_text(c.passed), c.detail] for c in self.dcma]
        return pd.DataFrame(rows, columns=DCMA_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """SPEC §8: ``{findings: [...], summary: {error, warning, info}, dcma: [...]}``."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
            "dcma": [c.to_dict() for c in self.dcma],
        }


def _passed_text(passed: bool | None) -> str:
    return "N/A" if passed is None else ("PASS" if passed else "FAIL")


def validate_book(
    book: "Book",
    status_date: Any = None,
    *,
    thresholds: "DcmaThresholds | None" = None,
    dcma: bool = True,
    context: "RuleContext | None" = None,
) -> ValidationReport:
    """All rules (docs/rules.md) and the DCMA 14-point checks on ``book``.

    ``status_date`` (a date or ISO text) overrides the workbook's ``StatusDate``.
    ``dcma=False`` skips the DCMA checks (``report.dcma`` is then empty) for callers that
    read only the findings, such as the portfolio; the findings are the same either way.
    ``context``: a ``RuleContext(book, status_date)`` the caller made to reuse its coded
    columns afterwards (the portfolio's roll-up does); one is made when it is None.
    """
    from ..engine.cpm import collector_paused

    with collector_paused():  # the whole validation: see collector_paused
        return _validate_book(book, status_date, thresholds, dcma, context)


def _validate_book(book: "Book", status_date: Any, thresholds: "DcmaThresholds | None",
                   with_dcma: bool = True, ctx: "RuleContext | None" = None) -> ValidationReport:
    from ..config import stored_config, thresholds_for
    from ..engine.dcma import assess
    from ..engine.rules import run_rules
    from ..engine.rules._context import RuleContext
    from ._common import parse_status_date

    status_date = parse_status_date(status_date)  # (None stays None)
    if ctx is not None and ctx.book is not book:
        raise ValueError("validate_book: the context was made for another book")
    if ctx is not None and ctx.status_date != RuleContext(book, status_date).status_date:
        raise ValueError("validate_book: the context was made for another status date")
    # pmo.toml settings stored in the workbook: the lists, and the DCMA limits when checked
    stored = thresholds_for(book) if with_dcma else stored_config(book)
    ctx = ctx or RuleContext(book, status_date)
    findings = run_rules(book, context=ctx)
    plan_ok = ctx.has("tblPlan")
    if not with_dcma:
        return ValidationReport(findings, [], ctx.status_date, ctx.cpm if plan_ok else None)
    thresholds = thresholds or stored.dcma
    dcma = assess(
        ctx.plan if plan_ok else _empty_plan(),
        ctx.cpm if plan_ok else None,
        status_date=ctx.status_date,
        budget=ctx.frame("tblBudget") if ctx.has("tblBudget") else None,
        planned_finish=_date(ctx.setting("PlannedFinish")),
        calendar=ctx.calendar,
        thresholds=thresholds,
    )
    return ValidationReport(findings, dcma, ctx.status_date, ctx.cpm if plan_ok else None)


def _empty_plan() -> "pd.DataFrame":
    from ..engine.rules._context import _normalise
    from ..schema import TABLES
    import pandas as pd

    return _normalise(pd.DataFrame(columns=TABLES["tblPlan"].headers), TABLES["tblPlan"])


def _date(v: Any) -> _dt.date | None:
    from ..engine.rules._context import _safe_date

    return _safe_date(v)


def validate_files(
    paths: Iterable[str | Path],
    status_date: Any = None,
    *,
    write: bool = False,
    thresholds: "DcmaThresholds | None" = None,
    jobs: int | None = 1,
) -> list[dict[str, Any]]:
    """SPEC §8 ``files`` entries: ``{path, ok, error, findings, summary, dcma}``.

    An unreadable file is an entry with ``ok: false`` and a plain-words ``error``; the
    other files are still validated. ``write`` stores the results in each workbook's
    Validation sheet (``tblFindings``, ``tblDCMA``).
    """
    one = functools.partial(validate_file, status_date=status_date, write=write, thresholds=thresholds)
    return for_each_file(paths, one, jobs, "Validating")


def validate_file(
    path: str | Path,
    status_date: Any = None,
    *,
    write: bool = False,
    thresholds: "DcmaThresholds | None" = None,
    wait: float | None = None,
) -> dict[str, Any]:
    """The SPEC §8 fields of one workbook; ``write`` also stores the Validation sheet,
    holding the workbook's pmo-xl lock from read to save (like schedule and rollup)."""
    from ..io.reader import load

    if not write:
        return validate_book(load(path), status_date, thresholds=thresholds).to_dict()
    from ._common import book_for_writing

    with book_for_writing(path, wait) as book:
        report = validate_book(book, status_date, thresholds=thresholds)
        write_report(path, report)
    return report.to_dict()


def write_report(path: str | Path, report: ValidationReport) -> None:
    """Store the findings (each cell a hyperlink) and the DCMA checks in the workbook's
    Validation sheet, in one lossless, atomic save (:mod:`pmo_xl.commands.results`)."""
    from .results import write_results

    write_results(path, validation=report)


# --------------------------------------------------------------------------- renderers

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_text(files: list[dict[str, Any]], *, console: Any = None) -> None:
    """Findings grouped by file and sheet, then the DCMA table and the counts."""
    from rich.markup import escape

    from . import text_console

    con = console or text_console(highlight=False, soft_wrap=True)
    for entry in files:
        con.print(f"[bold]{escape(entry['path'])}[/bold]")
        if not entry["ok"]:
            con.print(f"  [bold red]unreadable:[/bold red] {escape(str(entry['error']))}")
            con.print()
            continue
        sheet = None
        for f in entry["findings"]:
            if f["sheet"] != sheet:
                sheet = f["sheet"]
                con.print(f"  [bold]{escape(sheet or '(workbook)')}[/bold]")
            style = _STYLE.get(f["severity"], "")
            where = f"{f['cell']:<6}" if f["cell"] else "      "
            con.print(f"    [{style}]{f['severity']:<7}[/{style}] {f['rule']}  {escape(where)} {escape(f['message'])}")
            if f.get("hint"):
                con.print(f"                    [dim]→ {escape(f['hint'])}[/dim]")
        if entry.get("dcma"):
            con.print("  [bold]DCMA 14-point[/bold]")
            for c in entry["dcma"]:
                mark = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]", None: "[dim]N/A [/dim]"}[c["passed"]]
                value = "" if c["value"] is None else f"{c['value']:g}"
                con.print(f"    {c['check']:>2} {escape(c['name']):<20} {mark} {value:>9}  ({escape(c['threshold'])})")
        s = entry["summary"]
        colour = "red" if s["error"] else ("yellow" if s["warning"] else "green")
        con.print(f"  [{colour}]{s['error']} errors, {s['warning']} warnings, {s['info']} info[/{colour}]")
        con.print()


def render_junit(files: list[dict[str, Any]]) -> str:
    """JUnit XML: one testsuite per file, one testcase per rule (DCMA checks too).

    A rule fails when it has error findings (the messages are the failure text), as the
    exit code does; a rule with only warnings/infos passes with them in ``system-out``.
    DCMA checks are an assessment: a failed check is reported in ``system-out``, a check
    that does not apply is skipped. An unreadable file is a suite with one erroring
    testcase.
    """
    from xml.sax.saxutils import escape, quoteattr

    from ..engine.rules import all_rules

    rules = all_rules()
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    suites = []
    total = fails = errs = 0
    for entry in files:
        name = quoteattr(entry["path"])
        if not entry["ok"]:
            suites.append(
                f'  <testsuite name={name} tests="1" failures="0" errors="1">\n'
                f'    <testcase classname={name} name="read">\n'
                f'      <error message={quoteattr(str(entry["error"]))}>{escape(str(entry["error"]))}</error>\n'
                "    </testcase>\n  </testsuite>"
            )
            total += 1
            errs += 1
            continue
        by_rule: dict[str, list[dict[str, Any]]] = {}
        for f in entry["findings"]:
            by_rule.setdefault(f["rule"], []).append(f)
        cases = []
        n_fail = 0
        for r in rules:
            found = by_rule.get(r.id, [])
            errors = [f for f in found if f["severity"] == "error"]
            lines = "\n".join(f"{f['sheet']}!{f['cell']} [{f['key']}] {f['message']}" if f["cell"]
                              else f"{f['sheet']} [{f['key']}] {f['message']}" for f in found)
            label = f"{r.id} {r.title}"
            case = f"    <testcase classname={name} name={quoteattr(label)}"
            if errors:
                n_fail += 1
                case += (f">\n      <failure message={quoteattr(f'{len(errors)} error(s)')} type={quoteattr(r.id)}>"
                         f"{escape(lines)}</failure>\n    </testcase>")
            elif found:
                case += f">\n      <system-out>{escape(lines)}</system-out>\n    </testcase>"
            else:
                case += "/>"
            cases.append(case)
        for c in entry.get("dcma", []):
            label = "DCMA%02d %s" % (c["check"], c["name"])
            case = f"    <testcase classname={name} name={quoteattr(label)}"
            value = "" if c["value"] is None else f"{c['value']:g}"
            if c["passed"] is False:  # an assessment, not an error: reported, not failed
                text = f"FAIL: value {value}, threshold {c['threshold']}"
                case += f">\n      <system-out>{escape(text)}</system-out>\n    </testcase>"
            elif c["passed"] is None:
                case += '>\n      <skipped message="not applicable"/>\n    </testcase>'
            else:
                case += "/>"
            cases.append(case)
        suites.append(f'  <testsuite name={name} tests="{len(cases)}" failures="{n_fail}" errors="0">\n'
                      + "\n".join(cases) + "\n  </testsuite>")
        total += len(cases)
        fails += n_fail
    out.append(f'<testsuites name="pmo-xl validate" tests="{total}" failures="{fails}" errors="{errs}">')
    out += suites
    out.append("</testsuites>")
    # cell text may hold characters XML 1.0 cannot carry (a _x0001_ or ESC in a cell):
    # shown as U+FFFD so the report stays well-formed for the CI that parses it
    return _NOT_XML_CHAR.sub("\ufffd", "\n".join(out)) + "\n"


_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
