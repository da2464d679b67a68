"""Plan validation rules (SPEC §4): every rule declared once, in one registry.

A rule is an ID (stable: ``WB001``, ``DT003``, ``PL012``…), a severity, a title, a
description of what it checks, an example finding (message and hint) and the function
that checks it. ``docs/rules.md`` is generated from this registry
(:func:`rules_markdown`), and a test keeps the two equal.

Families, one module each:

* ``WB`` workbook structure (:mod:`.structure`) — from ``book.structure``;
* ``DT`` data (:mod:`.data`) — driven by the column declarations of :mod:`pmo_xl.schema`;
* ``PL`` plan logic (:mod:`.plan`) — calendar, predecessors, CPM, progress;
* ``FN`` finance (:mod:`.finance`) — resources, budget, timesheet, costs;
* ``CR`` change register (:mod:`.changes`) — register and its audit log.

Findings are data (:class:`pmo_xl.model.Finding`); whoever needs them renders them.

>>> from pmo_xl.engine.rules import RULES
>>> RULES["PL001"].severity
'error'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ...model import SEVERITIES, Book, Finding

if TYPE_CHECKING:
    from ._context import RuleContext

__all__ = ["Rule", "RULES", "FAMILIES", "rule", "run_rules", "rules_markdown"]

FAMILIES: dict[str, str] = {
    "WB": "Workbook structure",
    "DT": "Data",
    "PL": "Plan logic",
    "FN": "Finance",
    "CR": "Change register",
}

Check = Callable[["RuleContext"], "list[Finding] | None"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    checks: str  # what the rule checks, in plain words (for docs/rules.md)
    example: tuple[str, str]  # (message, hint) of a typical finding
    hint: str  # the default hint for findings of this rule
    check: Check | None = None  # None: the rule is checked by another rule's function
    sheet: str = ""  # the sheet its example is about

    @property
    def family(self) -> str:
        return self.id[:2]


RULES: dict[str, Rule] = {}
_CHECKS: list[Check] = []


def declare(
    id: str,
    severity: str,
    title: str,
    checks: str,
    example: tuple[str, str],
    hint: str | None = None,
) -> Rule:
    """Declare a rule checked by a shared function (one pass emitting several rule IDs)."""
    if id in RULES:
        raise ValueError(f"rule {id} declared twice")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: unknown severity {severity!r}")
    if id[:2] not in FAMILIES:
        raise ValueError(f"rule {id}: unknown family")
    r = Rule(id, severity, title, checks, example, hint if hint is not None else example[1])
    RULES[id] = r
    return r


def rule(
    id: str,
    severity: str,
    title: str,
    checks: str,
    example: tuple[str, str],
    hint: str | None = None,
) -> Callable[[Check], Check]:
    """Decorator: declare a rule and register its check function."""

    def wrap(fn: Check) -> Check:
        declare(id, severity, title, checks, example, hint)
        RULES[id] = Rule(**{**RULES[id].__dict__, "check": fn})
        _CHECKS.append(fn)
        return fn

    return wrap


def checks(fn: Check) -> Check:
    """Register a check function that emits findings of several declared rules."""
    _CHECKS.append(fn)
    return fn


def _load_families() -> None:
    from . import changes, data, finance, plan, structure  # noqa: F401  (they register)


def run_rules(book: Book, status_date: Any = None, *, context: "RuleContext | None" = None) -> list[Finding]:
    """Every rule on ``book``; findings sorted by sheet order, row, column.

    ``status_date`` overrides the workbook's ``StatusDate``.
    """
    from ..cpm import collector_paused
    from ._context import RuleContext

    _load_families()
    ctx = context or RuleContext(book, status_date)
    out: list[Finding] = []
    with collector_paused():  # findings by the thousand (see collector_paused)
        for fn in _CHECKS:
            out.extend(fn(ctx) or ())
        return sort_findings(out)


def count_errors(book: Book, status_date: Any = None) -> int:
    """The number of error findings :func:`run_rules` gives on ``book`` (what bars a Green
    RAG), without the checks that can only warn (the CPM-based PL029) and without sorting."""
    from ..cpm import collector_paused
    from ._context import RuleContext

    _load_families()
    ctx = RuleContext(book, status_date, errors_only=True)
    n = 0
    with collector_paused():
        for fn in _CHECKS:
            n += sum(1 for f in fn(ctx) or () if f.severity == "error")
    return n


def sort_findings(findings: list[Finding]) -> list[Finding]:
    from ...schema import SHEET_NAMES

    order = {s: i for i, s in enumerate(SHEET_NAMES)}
    sev = {s: i for i, s in enumerate(SEVERITIES)}

    def key(f: Finding) -> tuple:
        col, row = _cell_parts(f.cell)
        return (order.get(f.sheet, len(order)), f.sheet, row, len(col), col, sev.get(f.severity, 9), f.rule)

    return sorted(findings, key=key)


_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")



def _cell_parts(cell: str) -> tuple[str, int]:
    """("AB", 12) for "AB12" (or "$AB$12"); ("", 0) for anything else."""
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters):]
    if 0 < len(letters) <= 3 and digits and letters.isascii() and letters.isalpha() and letters.isupper():
        return letters, int(digits)  # the cells findings are made with: no regular expression
    m = _CELL.match(cell)
    return (m.group(1), int(m.group(2))) if m else ("", 0)


def all_rules() -> list[Rule]:
    _load_families()
    return sorted(RULES.values(), key=lambda r: (list(FAMILIES).index(r.family), r.id))


def rules_markdown() -> str:
    """``docs/rules.md``: every rule with its severity, what it checks and an example."""
    from ..dcma import DCMA_CHECKS, DcmaThresholds

    lines = [
        "# Validation rules",
        "",
        "<!-- Generated from pmo_xl/engine/rules (the registry) by",
        "     `python -m pmo_xl.engine.rules > docs/rules.md`; do not edit by hand:",
        "     tests/test_rules_registry.py keeps this file equal to the registry. -->",
        "",
        "`pmo-xl validate` checks a workbook against these rules (SPEC §4). Every finding has a",
        "severity, the rule ID, the sheet, the cell (A1), the row key (task ID, CR ID, person…),",
        "a message and a hint. Rule IDs are stable. Exit code 1 when a file has any *error*.",
        "",
    ]
    rules = all_rules()
    for fam, title in FAMILIES.items():
        members = [r for r in rules if r.family == fam]
        lines += [f"## {fam} — {title}", ""]
        lines += ["| rule | severity | title |", "|---|---|---|"]
        lines += [f"| [{r.id}](#{r.id.lower()}) | {r.severity} | {r.title} |" for r in members]
        lines.append("")
        for r in members:
            msg, hint = r.example
            lines += [
                f"### {r.id}",
                "",
                f"**{r.title}** — *{r.severity}*",
                "",
                r.checks,
                "",
                f"> Example: {msg}  ",
                f"> Hint: {hint}",
                "",
            ]
    t = DcmaThresholds()
    lines += [
        "## DCMA — 14-point schedule assessment",
        "",
        "Reported beside the findings (`dcma` in the JSON, table `tblDCMA` on the Validation",
        "sheet): each check's value, threshold and pass/fail. A check that cannot apply (no",
        "incomplete tasks, no baseline finish before the status date…) is reported as not",
        "applicable (`passed: null`) with the reason, never as a pass. Thresholds are",
        "configurable (`pmo_xl.engine.dcma.DcmaThresholds`).",
        "",
        "| check | name | threshold (default) | what it measures |",
        "|---|---|---|---|",
    ]
    for c in DCMA_CHECKS:
        lines.append(f"| {c.check} | {c.name} | {c.threshold(t)} | {c.measures} |")
    lines.append("")
    return "\n".join(lines)
