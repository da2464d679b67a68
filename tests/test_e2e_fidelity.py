"""SPEC §9 "never lose data", end to end through the real command line.

A rich PMO workbook (``tests/support/richbook.py``: the demo project in the macro-enabled
template with a VBA project, form buttons, charts, a chartsheet, pictures, text boxes,
comments, user validations and conditional formats, a user sheet and table, a user column
in tblPlan, custom XML and a pivot table) goes through every ``--write`` command and a
whole change-request life cycle, one ``pmo-xl`` invocation per step. After each step:

* every package part pmo_xl does not own for that step is byte-identical after
  decompression, and no part appears or disappears except the owned ones (SPEC §9,
  docs/fidelity.md). Owned: the registration parts, plus the sheet, its ``.rels`` and its
  table parts of the generated sheet a ``--write`` replaces, or of the Changes / Change Log
  sheets a change command writes (and Budget when an approval adds a budget line);
* the registration parts keep what they had (relationships, content types, the pivot
  cache list, the user's defined names, the sheet list);
* the sheets written to keep their drawings, comments (VML), data validations and
  conditional formats;
* the VBA project is byte-identical and olevba still extracts its modules;
* the workbook reads with ``pmo_xl.load``, openpyxl and python-calamine, and the text a
  user typed (starting ``=``, ``+``, ``-``, ``@``) is text in all three and in the XML;
* the change log only grows, its earlier rows unchanged.

At the end LibreOffice opens the workbook and recalculates it without a formula error
(template Dashboard, user formulas over tblPlan/tblEVM/tblBudget, the refreshed pivot).
Refused commands (a forbidden status move, a decision without ``--by``, deciding a CR that
is not under review) exit 2 and leave the file byte-identical (sha256).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from pmo_xl.cli import cli
from support import richbook
from support.richbook import NS_MAIN, NS_R, M, Parts

NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

#: Parts any write may rewrite to register what it wrote (SPEC §9, docs/fidelity.md).
REGISTRATION = frozenset(
    {
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/sharedStrings.xml",
        "docProps/app.xml",
        "xl/calcChain.xml",  # dropped when formula cells go away (docs/fidelity.md)
    }
)

CHANGE_SHEETS = ("Changes", "Change Log")
APPROVE_SHEETS = ("Changes", "Change Log", "Budget")

# Text a user types that spreadsheet software would take for a formula (SPEC §9).
TITLE_A = "=HYPERLINK(\"http://evil.example\",\"click\")"
TITLE_B = "+cmd|' /C calc'!A0"
TITLE_C = "@SUM(A1:A9)"
DESC = "-2+3 more licences"
REQUESTER = "@ops-team"
USER = "=whoami()"
APPROVED_COST = 1500.0


@dataclass
class Step:
    """One ``pmo-xl`` invocation: arguments (``{path}``, ``{A}``... filled in), the sheets
    it may write, its exit codes, and which CR it adds (a letter) if any."""

    id: str
    args: list[str]
    owned_sheets: tuple[str, ...]
    exit_codes: tuple[int, ...] = (0,)
    adds: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # tblChanges column -> typed text


CHANGE_OPTS = ["--format", "json", "--user", USER, "--wait", "0"]

STEPS: list[Step] = [
    Step("validate-write", ["validate", "{path}", "--write", "--format", "json"], ("Validation",), (0, 1)),
    Step("schedule-write", ["schedule", "{path}", "--write", "--format", "json"], ("Schedule",)),
    Step("rollup-write", ["rollup", "{path}", "--write", "--format", "json"], ("Rollup",)),
    Step(
        "add-A",
        ["change", "add", "{path}", "--title", TITLE_A, "--requested-by", REQUESTER, "--description", DESC,
         "--rationale", "=1/0", "--cost-impact", str(APPROVED_COST), "--schedule-impact", "2",
         "--funding", "Contingency", "--type", "Scope", "--priority", "High", "--affected-tasks", "{task}",
         *CHANGE_OPTS],
        CHANGE_SHEETS,
        adds="A",
        texts={"Title": TITLE_A, "Requested By": REQUESTER, "Description": DESC, "Rationale": "=1/0"},
    ),
    Step("submit-A", ["change", "set-status", "{path}", "{A}", "Submitted", "--note", "+ready", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("review-A", ["change", "set-status", "{path}", "{A}", "Under Review", *CHANGE_OPTS], CHANGE_SHEETS),
    Step(
        "approve-A",
        ["change", "decide", "{path}", "{A}", "approve", "--by", "-Steering Committee",
         "--note", "=approved with conditions", "--category", "Hardware", *CHANGE_OPTS],
        APPROVE_SHEETS,
    ),
    Step(
        "add-B",
        ["change", "add", "{path}", "--title", TITLE_B, "--requested-by", "Finance", "--cost-impact", "900",
         "--funding", "Management Reserve", *CHANGE_OPTS],
        CHANGE_SHEETS,
        adds="B",
        texts={"Title": TITLE_B},
    ),
    Step("submit-B", ["change", "set-status", "{path}", "{B}", "Submitted", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("review-B", ["change", "set-status", "{path}", "{B}", "Under Review", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("reject-B", ["change", "decide", "{path}", "{B}", "reject", "--by", "@board", "--note", "-too costly", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("close-B", ["change", "set-status", "{path}", "{B}", "Closed", *CHANGE_OPTS], CHANGE_SHEETS),
    Step(
        "add-C",
        ["change", "add", "{path}", "--title", TITLE_C, "--requested-by", "Sales", "--schedule-impact", "5", *CHANGE_OPTS],
        CHANGE_SHEETS,
        adds="C",
        texts={"Title": TITLE_C},
    ),
    Step("submit-C", ["change", "set-status", "{path}", "{C}", "Submitted", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("review-C", ["change", "set-status", "{path}", "{C}", "Under Review", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("defer-C", ["change", "decide", "{path}", "{C}", "defer", "--by", "Sponsor", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("resubmit-C", ["change", "set-status", "{path}", "{C}", "Submitted", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("implement-A", ["change", "set-status", "{path}", "{A}", "Implemented", *CHANGE_OPTS], CHANGE_SHEETS),
    Step("close-A", ["change", "set-status", "{path}", "{A}", "Closed", *CHANGE_OPTS], CHANGE_SHEETS),
    # the generated sheets written again over a workbook the change commands edited
    Step("validate-write-again", ["validate", "{path}", "--write", "--format", "json"], ("Validation",), (0, 1)),
    Step("rollup-write-again", ["rollup", "{path}", "--write", "--format", "json"], ("Rollup",)),
]


# --------------------------------------------------------------------------- package helpers


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unzip(path: Path) -> dict[str, bytes]:
    """Every part, decompressed."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


@functools.lru_cache(maxsize=64)
def read_parts(path: Path) -> dict[str, bytes]:
    """:func:`unzip`, cached: the step snapshots never change (treat as read-only)."""
    return unzip(path)


def sheet_owned_parts(book: Parts, sheet: str) -> set[str]:
    """The sheet part, its .rels and the table parts it points to."""
    part = book.sheet_part(sheet)
    rels = rels_of(part)
    owned = {part, rels}
    if rels in book.parts:
        for r in book.xml(rels):
            if r.get("Type", "").endswith("/table"):
                owned.add(resolve(part, r.get("Target")))
    return owned


def rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def resolve(source: str, target: str) -> str:
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relationships(book: Parts, rels: str) -> set[tuple[str, str, str]]:
    if rels not in book.parts:
        return set()
    return {(r.get("Id"), r.get("Type"), r.get("Target")) for r in book.xml(rels)}


def sheet_features(book: Parts, sheet: str) -> dict[str, Any]:
    """Drawings, comments, validations and conditional formats of a sheet, comparable."""
    part = book.sheet_part(sheet)
    root = book.xml(part)
    rels = {r.get("Id"): (r.get("Type").rsplit("/", 1)[1], resolve(part, r.get("Target")))
            for r in (book.xml(rels_of(part)) if rels_of(part) in book.parts else [])}
    linked = set()
    for tag in ("drawing", "legacyDrawing", "legacyDrawingHF", "picture"):
        for el in root.iter(M + tag):
            linked.add((tag, rels[el.get(f"{{{NS_R}}}id")]))
    for kind, target in rels.values():  # comments parts hang off the rels only
        if kind in ("comments", "vmlDrawing", "drawing", "hyperlink"):
            linked.add(("rel", (kind, target)))
    validations = []
    for dv in root.iter(M + "dataValidation"):
        formulas = tuple(etree.tostring(f) for f in dv if f.tag in (M + "formula1", M + "formula2"))
        attrs = tuple(sorted((k, v) for k, v in dv.attrib.items() if k != "sqref"))
        validations.append((attrs, formulas, dv.get("sqref")))
    formats = []
    for cf in root.iter(M + "conditionalFormatting"):
        rules = tuple(
            (tuple(sorted((k, v) for k, v in rule.attrib.items() if k != "priority")),
             tuple(etree.tostring(c) for c in rule))
            for rule in cf.findall(M + "cfRule")
        )
        formats.append((rules, cf.get("sqref")))
    ext_cf = len(root.xpath("//*[local-name()='conditionalFormatting' and namespace-uri()!=$ns]", ns=NS_MAIN))
    return {"linked": linked, "validations": validations, "formats": formats, "ext_cf": ext_cf}


def _ranges(sqref: str) -> list[tuple[int, int, int, int]]:
    out = []
    for ref in sqref.split():
        a, _, b = ref.partition(":")
        b = b or a
        (c1, r1), (c2, r2) = (_cell(a), _cell(b))
        out.append((c1, r1, c2, r2))
    return out


def _cell(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
    assert m, ref
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n, int(m.group(2))


def covers(after: str, before: str) -> bool:
    """Every range of ``before`` lies inside a range of ``after`` with the same top-left
    corner and columns (a range that ended on a table's last row grows with the table)."""
    new = _ranges(after)
    for c1, r1, c2, r2 in _ranges(before):
        if not any((a1, b1, a2) == (c1, r1, c2) and b2 >= r2 for a1, b1, a2, b2 in new):
            return False
    return True


def assert_features_kept(before: dict[str, Any], after: dict[str, Any], sheet: str) -> None:
    assert before["linked"] <= after["linked"], f"{sheet}: lost {before['linked'] - after['linked']}"
    assert after["ext_cf"] == before["ext_cf"], f"{sheet}: x14 conditional formats changed"
    for kind in ("validations", "formats"):
        unmatched = list(after[kind])
        for key, sqref in ((b[:-1], b[-1]) for b in before[kind]):
            hit = next((a for a in unmatched if a[:-1] == key and covers(a[-1], sqref)), None)
            assert hit is not None, f"{sheet}: {kind[:-1]} {sqref} {key!r} lost or changed"
            unmatched.remove(hit)
        assert not unmatched, f"{sheet}: unexpected new {kind}: {unmatched}"


# --------------------------------------------------------------------------- readers


@functools.lru_cache(maxsize=64)
def olevba_modules(path: Path) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


@functools.lru_cache(maxsize=8)
def openpyxl_cells(path: Path) -> Any:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension is not supported" for x14 parts
        return openpyxl.load_workbook(path, keep_vba=True)


@functools.lru_cache(maxsize=64)
def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


# --------------------------------------------------------------------------- the journey


@dataclass
class Outcome:
    step: Step
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    before: Path
    after: Path


def run_cli(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rich") / "Project.xlsm"
    return richbook.build_rich_workbook(path)


@pytest.fixture(scope="module")
def journey(rich: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Run every step on one copy of the rich workbook, keeping a copy after each."""
    folder = tmp_path_factory.mktemp("journey")
    work = folder / "Project.xlsm"
    shutil.copy2(rich, work)
    import pmo_xl

    first_task = str(int(pmo_xl.load(work).frame("tblPlan").query("Type == 'Task'")["ID"].iloc[0]))
    ids: dict[str, str] = {"path": str(work), "task": first_task}
    outcomes: dict[str, Outcome] = {}
    previous = folder / "00-start.xlsm"
    shutil.copy2(work, previous)
    for i, step in enumerate(STEPS, start=1):
        args = [a.format(**ids) for a in step.args]
        result = run_cli(args)
        after = folder / f"{i:02d}-{step.id}.xlsm"
        shutil.copy2(work, after)
        outcomes[step.id] = Outcome(step, args, result.exit_code, result.stdout, result.stderr, previous, after)
        if step.adds and result.exit_code == 0:
            ids[step.adds] = json.loads(result.stdout)["cr_id"]
        previous = after
    outcomes["_final"] = Outcome(STEPS[-1], [], 0, "", "", previous, work)
    return outcomes


@pytest.fixture(scope="module")
def final(journey: dict[str, Outcome]) -> Path:
    return journey["_final"].after


def outcome(journey: dict[str, Outcome], step_id: str) -> Outcome:
    out = journey[step_id]
    assert out.exit_code in out.step.exit_codes, f"{out.args}: exit {out.exit_code}\n{out.stdout}\n{out.stderr}"
    return out


STEP_IDS = [s.id for s in STEPS]


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_step_changes_only_what_pmo_xl_owns(journey: dict[str, Outcome], step_id: str) -> None:
    out = outcome(journey, step_id)
    before, after = Parts(read_parts(out.before)), Parts(read_parts(out.after))
    assert before.parts != after.parts, f"{step_id} wrote nothing"
    owned = set(REGISTRATION)
    for sheet in out.step.owned_sheets:
        owned |= sheet_owned_parts(before, sheet) | sheet_owned_parts(after, sheet)
    changed = sorted(n for n in before.parts if n not in owned and after.parts.get(n) != before.parts[n])
    assert not changed, f"{step_id} changed or dropped parts it does not own: {changed}"
    new = sorted(set(after.parts) - set(before.parts) - owned)
    assert not new, f"{step_id} added parts outside what it owns: {new}"
    # the owned parts that did change are the ones the step is about
    touched = {n for n in owned if before.parts.get(n) != after.parts.get(n)}
    for sheet in out.step.owned_sheets:
        if sheet != "Budget" or step_id.startswith("approve"):
            assert sheet_owned_parts(after, sheet) & touched, f"{step_id} did not write {sheet}"


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_registration_parts_keep_what_they_had(journey: dict[str, Outcome], step_id: str) -> None:
    out = outcome(journey, step_id)
    before, after = Parts(read_parts(out.before)), Parts(read_parts(out.after))
    owned_before: set[str] = set()
    for sheet in out.step.owned_sheets:
        owned_before |= sheet_owned_parts(before, sheet)
    # workbook relationships: all kept (same id, type, target), incl. VBA, custom XML, pivot cache
    lost = relationships(before, "xl/_rels/workbook.xml.rels") - relationships(after, "xl/_rels/workbook.xml.rels")
    assert not lost, lost
    # content types: every override kept unless its part was an owned table part replaced
    def overrides(book: Parts) -> set[tuple[str, str]]:
        return {(o.get("PartName"), o.get("ContentType")) for o in book.xml("[Content_Types].xml").iter(f"{{{NS_CT}}}Override")}

    gone = {p for p, _ in overrides(before) - overrides(after)}
    assert {p.lstrip("/") for p in gone} <= owned_before | {"xl/calcChain.xml"}, gone
    defaults = lambda book: {(d.get("Extension"), d.get("ContentType")) for d in book.xml("[Content_Types].xml").iter(f"{{{NS_CT}}}Default")}  # noqa: E731
    assert defaults(before) <= defaults(after)
    # workbook.xml: same sheets in the same order with the same ids, the pivot caches, the user's names
    wb0, wb1 = before.xml("xl/workbook.xml"), after.xml("xl/workbook.xml")
    sheets = lambda wb: [(s.get("name"), s.get("sheetId"), s.get(f"{{{NS_R}}}id"), s.get("state")) for s in wb.iter(M + "sheet")]  # noqa: E731
    assert sheets(wb1) == sheets(wb0)
    caches = lambda wb: [etree.tostring(c) for c in wb.iter(M + "pivotCache")]  # noqa: E731
    assert caches(wb1) == caches(wb0) and caches(wb0)
    names = lambda wb: {(n.get("name"), n.get("localSheetId"), n.text) for n in wb.iter(M + "definedName")}  # noqa: E731
    user_names = {n for n in names(wb0) if not n[0].startswith(("chart_", "_xlnm"))}
    assert user_names <= names(wb1)
    assert wb1.find(M + "fileVersion") is None or etree.tostring(wb1.find(M + "fileVersion")) == etree.tostring(wb0.find(M + "fileVersion"))
    code0 = wb0.find(M + "workbookPr")
    assert code0 is not None and wb1.find(M + "workbookPr").get("codeName") == code0.get("codeName") == "ThisWorkbook"


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_written_sheets_keep_drawings_comments_validations_formats(journey: dict[str, Outcome], step_id: str) -> None:
    out = outcome(journey, step_id)
    before, after = Parts(read_parts(out.before)), Parts(read_parts(out.after))
    for sheet in ("Budget", "Changes", "Change Log", "Plan", *out.step.owned_sheets):
        assert_features_kept(sheet_features(before, sheet), sheet_features(after, sheet), sheet)
    # and the sheet XML still carries its code name and the VML/drawing links
    for sheet in out.step.owned_sheets:
        root = after.xml(after.sheet_part(sheet))
        assert root.find(f"{M}sheetPr").get("codeName", "").startswith("Sheet")


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_readers_and_vba_after_step(journey: dict[str, Outcome], step_id: str) -> None:
    import pmo_xl

    out = outcome(journey, step_id)
    before_parts, after_parts = read_parts(out.before), read_parts(out.after)
    assert after_parts["xl/vbaProject.bin"] == before_parts["xl/vbaProject.bin"]
    modules = olevba_modules(out.after)
    assert "RunPython" in modules["PMO.bas"] and "Sub ValidatePlan()" in modules["PMO.bas"]
    assert modules == olevba_modules(out.before)

    book0, book1 = pmo_xl.load(out.before), pmo_xl.load(out.after)
    assert book1.settings == book0.settings
    for name in ("tblPlan", "tblResources", "tblTimesheet", "tblCosts", "tblHolidays"):
        assert book1.frame(name).equals(book0.frame(name)), name
    log0, log1 = book0.frame("tblChangeLog"), book1.frame("tblChangeLog")
    assert log1.iloc[: len(log0)].equals(log0), "the change log was edited"
    if out.step.owned_sheets == CHANGE_SHEETS or out.step.owned_sheets == APPROVE_SHEETS:
        assert len(log1) > len(log0), "a change command appended nothing to the log"
    else:
        assert len(log1) == len(log0)
    budget0, budget1 = book0.frame("tblBudget"), book1.frame("tblBudget")
    assert budget1.iloc[: len(budget0)].equals(budget0)

    wb = openpyxl_cells(out.after)
    assert wb.sheetnames == openpyxl_cells(out.before).sheetnames
    assert richbook.USER_PLAN_COLUMN in [c.value for c in wb["Plan"][3]]
    assert wb["Plan"].tables["tblPlan"].ref == openpyxl_cells(out.before)["Plan"].tables["tblPlan"].ref
    for sheet in out.step.owned_sheets:
        rows = calamine_rows(out.after, sheet)
        assert rows, sheet


@pytest.mark.parametrize("step", [s for s in STEPS if s.texts], ids=lambda s: s.id)
def test_typed_text_stays_text(journey: dict[str, Outcome], step: Step) -> None:
    import pmo_xl

    out = outcome(journey, step.id)
    cr_id = json.loads(out.stdout)["cr_id"]
    table = pmo_xl.load(out.after).table("tblChanges")
    row = int(table.frame.index[table.frame["CR ID"] == cr_id][0])
    assert table.frame.loc[row, "Status"] == "Draft"
    wb = openpyxl_cells(out.after)
    ws = wb["Changes"]
    grid = calamine_rows(out.after, "Changes")
    after = Parts(read_parts(out.after))
    sheet = after.xml(after.sheet_part("Changes"))
    assert not sheet.xpath(f"//m:row[@r='{row}']/m:c/m:f", namespaces={"m": NS_MAIN}), "a formula in the new CR row"
    for header, text in step.texts.items():
        assert table.frame.loc[row, header] == text
        cell = ws[table.cell(row, header)]
        assert cell.data_type in ("s", "inlineStr") and cell.value == text
        col = ord(table.letters[header]) - 65 if len(table.letters[header]) == 1 else None
        assert col is not None and grid[row - 1][col] == text
    # the change log records the text as typed, as text, by the (formula-like) user name
    log = pmo_xl.load(out.after).frame("tblChangeLog")
    mine = log[log["CR ID"] == cr_id]
    assert set(step.texts.values()) <= set(mine["New Value"].dropna())
    assert set(mine["User"]) == {USER}


def test_approval_adds_the_budget_line_and_draws_contingency(journey: dict[str, Outcome]) -> None:
    import pmo_xl

    out = outcome(journey, "approve-A")
    cr_id = json.loads(outcome(journey, "add-A").stdout)["cr_id"]
    b0, b1 = pmo_xl.load(out.before).frame("tblBudget"), pmo_xl.load(out.after).frame("tblBudget")
    assert len(b1) == len(b0) + 1
    line = b1.iloc[-1]
    assert line["Source"] == cr_id and line["Amount"] == APPROVED_COST and line["Category"] == "Hardware"

    def drawn(path: Path) -> float:
        result = run_cli(["change", "list", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        reserves = {r["reserve"]: r for r in json.loads(result.stdout)["stats"]["reserves"]}
        return reserves["Contingency"]["drawn"]

    assert drawn(out.after) == pytest.approx(drawn(out.before) + APPROVED_COST)
    changes = pmo_xl.load(out.after).frame("tblChanges").set_index("CR ID")
    assert changes.loc[cr_id, "Status"] == "Approved"
    assert changes.loc[cr_id, "Decision By"] == "-Steering Committee"
    assert changes.loc[cr_id, "Decision Notes"] == "=approved with conditions"


def test_life_cycle_ends_where_the_spec_says(journey: dict[str, Outcome], final: Path) -> None:
    import pmo_xl

    ids = {s.adds: json.loads(outcome(journey, s.id).stdout)["cr_id"] for s in STEPS if s.adds}
    changes = pmo_xl.load(final).frame("tblChanges").set_index("CR ID")
    assert changes.loc[ids["A"], "Status"] == "Closed"
    assert changes.loc[ids["B"], "Status"] == "Closed"
    assert changes.loc[ids["C"], "Status"] == "Submitted"
    assert len(set(ids.values())) == 3


def test_final_workbook_reads_everywhere(final: Path, rich: Path) -> None:
    import pmo_xl

    book = pmo_xl.load(final)
    assert not book.structure
    wb = openpyxl_cells(final)
    assert richbook.CHARTSHEET in wb.sheetnames and wb["Plan"]._charts and wb[richbook.USER_SHEET]._charts
    risks = calamine_rows(final, richbook.USER_SHEET)
    assert risks[3][3] == richbook.FORMULA_LIKE_NOTE
    parts0, parts1 = read_parts(rich), read_parts(final)
    for name in parts0:
        if name.startswith(("customXml/", "xl/pivot", "xl/charts/", "xl/chartsheets/", "xl/media/", "xl/drawings/", "xl/comments")):
            assert parts1[name] == parts0[name], name


def test_final_workbook_recalculates_in_libreoffice(final: Path, soffice: str, tmp_path: Path) -> None:
    import pmo_xl
    from support.libreoffice import formula_errors, recalculated_values

    values = recalculated_values(final, tmp_path / "lo")
    assert formula_errors(values) == []
    book = pmo_xl.load(final)
    risks = values[richbook.USER_SHEET]
    assert risks["B8"] == len(book.frame("tblPlan"))
    assert risks["B10"] == pytest.approx(book.frame("tblBudget")["Amount"].sum())
    cpi = book.frame("tblEVM").set_index("Metric").loc["CPI", "Value"]
    assert risks["B9"] == pytest.approx(cpi)
    pivot = values[richbook.PIVOT_SHEET]
    total = next(v for k, v in pivot.items() if k.startswith("B") and isinstance(v, (int, float)) and k != "B3"
                 and pivot.get("A" + k[1:]) in ("Total Result", "Grand Total"))
    assert total == pytest.approx(book.frame("tblBudget")["Amount"].sum())


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "case",
    ["forbidden-move", "decide-without-by", "decide-not-under-review", "unknown-cr", "add-without-title"],
)
def test_refused_commands_leave_the_file_byte_identical(journey: dict[str, Outcome], final: Path, tmp_path: Path, case: str) -> None:
    ids = {s.adds: json.loads(outcome(journey, s.id).stdout)["cr_id"] for s in STEPS if s.adds}
    work = tmp_path / "Project.xlsm"
    shutil.copy2(final, work)
    digest = sha(work)
    args = {
        "forbidden-move": ["change", "set-status", str(work), ids["B"], "Under Review"],  # Closed -> Under Review
        "decide-without-by": ["change", "decide", str(work), ids["C"], "approve"],
        "decide-not-under-review": ["change", "decide", str(work), ids["C"], "approve", "--by", "Sponsor"],  # Submitted
        "unknown-cr": ["change", "set-status", str(work), "CR-9999", "Submitted"],
        "add-without-title": ["change", "add", str(work), "--requested-by", "x"],
    }[case]
    result = run_cli(args)
    assert result.exit_code == 2, result.output
    assert sha(work) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Project.xlsm"], "a temporary or lock file was left"
    assert "Traceback" not in result.output
    if case in ("forbidden-move", "decide-not-under-review", "unknown-cr"):
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and re.search(r"CR-\d{4}", lines[0]), result.stderr


def test_a_real_subprocess_run_keeps_the_vba_and_user_parts(rich: Path, tmp_path: Path) -> None:
    """The installed entry point (``python -m pmo_xl``), not just the in-process runner."""
    work = tmp_path / "Project.xlsm"
    shutil.copy2(rich, work)
    before = unzip(work)
    proc = subprocess.run(
        [sys.executable, "-m", "pmo_xl", "change", "add", str(work), "--title", "=2*3", "--requested-by", "+x", "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    after = unzip(work)
    book = Parts(after)
    owned = set(REGISTRATION)
    for sheet in CHANGE_SHEETS:
        owned |= sheet_owned_parts(book, sheet)
    assert [n for n in before if n not in owned and after.get(n) != before[n]] == []
    assert set(after) - set(before) <= owned


def test_upgrade_and_portfolio_leave_the_rich_workbook_alone(final: Path, tmp_path: Path) -> None:
    """``upgrade`` on a current workbook touches nothing; ``portfolio`` only reads it."""
    work = tmp_path / "projects" / "Project.xlsm"
    work.parent.mkdir()
    shutil.copy2(final, work)
    digest = sha(work)
    result = run_cli(["upgrade", str(work), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sha(work) == digest
    out = tmp_path / "Portfolio.xlsx"
    result = run_cli(["portfolio", str(work.parent), "--jobs", "1", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (project,) = json.loads(result.stdout)["projects"]
    assert Path(project["path"]).name == work.name and project["open_changes"] >= 1
    assert sha(work) == digest and out.exists()
