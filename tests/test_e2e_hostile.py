"""SPEC §9 "bad input gets a clear message, never a traceback", for every command that
takes workbook paths, through the real command line.

Each bad input below meets each command (every output format, the ``--write`` variants,
the change register verbs, ``portfolio`` and ``upgrade``). Batch commands get the bad file
*and* a good PMO workbook, in that order. Whatever the case:

* the exit code is 2 (an unreadable file, or a readable workbook that is not a usable PMO
  workbook); :data:`READABLE` lists the cases where another code is right and why;
* no ``Traceback`` in stdout or stderr, and no internal error (exit 3);
* the message names the file and is one line: on stderr for the human formats (text,
  csv) and the single-file change verbs; for the machine formats (json, junit) stdout
  stays parseable and carries the file as an entry ``ok: false`` with a one-line
  ``error`` (SPEC §8), so that scripts are not handed a stderr line mixed into the JSON;
* the bad input is byte-identical afterwards (or still absent, or still a folder), and
  no temporary or lock file is left beside it;
* in a batch the good workbook is still processed (and written, for ``--write``).

Most cases run in-process (``CliRunner``); ``test_no_traceback_reaches_a_real_terminal``
runs the installed entry point in a subprocess for a few of them.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import random
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from lxml import etree

from pmo_xl.cli import cli

# --------------------------------------------------------------------------- inputs

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    + "]>"
)


def make_good(path: Path) -> Path:
    """A small, valid PMO workbook (the demo generator at its smallest)."""
    from pmo_xl.demo import make_demo
    from pmo_xl.io.template import build_workbook

    demo = make_demo(seed=5, tasks=40, timesheet_rows=30)
    return build_workbook(path.with_suffix(".xlsx"), demo.settings, demo.rows, overwrite=True)


def _parts(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i, z.read(i.filename)) for i in z.infolist()]


def _write_parts(path: Path, parts: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def _edited(base: Path, path: Path, edit: Callable[[dict[str, bytes]], None]) -> Path:
    parts = {i.filename: data for i, data in _parts(base)}
    edit(parts)
    return _write_parts(path, list(parts.items()))


def bad_empty(base: Path, path: Path) -> Path:
    path.write_bytes(b"")
    return path


def bad_random(base: Path, path: Path) -> Path:
    path.write_bytes(b"\x00\x9f" + random.Random(7).randbytes(4094))
    return path


def bad_text(base: Path, path: Path) -> Path:
    path.write_text("ID,Task,Start\n1,Kick-off,2026-01-05\n", encoding="utf-8")
    return path


def bad_truncated(base: Path, path: Path) -> Path:
    data = base.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_plain_zip(base: Path, path: Path) -> Path:
    return _write_parts(path, [("readme.txt", b"not a workbook"), ("data/plan.csv", b"ID,Task\n1,A\n")])


def bad_ole(base: Path, path: Path) -> Path:
    """What Excel saves for a password-protected workbook: an OLE compound file holding
    EncryptionInfo and EncryptedPackage streams."""
    from pmo_xl.io.vba import write_cfb

    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"<encryption/>"
    package = len(b"x" * 4096).to_bytes(8, "little") + random.Random(1).randbytes(4096)
    path.write_bytes(write_cfb({"EncryptionInfo": info, "EncryptedPackage": package}))
    return path


def bad_zip_bomb(base: Path, path: Path) -> Path:
    """A PMO workbook carrying a 64 MiB part that compresses ~1000:1."""
    def edit(parts: dict[str, bytes]) -> None:
        parts["xl/media/filler.bin"] = bytes(64 * 1024**2)

    return _edited(base, path, edit)


def bad_entities_workbook(base: Path, path: Path) -> Path:
    """Billion laughs in the workbook part."""
    def edit(parts: dict[str, bytes]) -> None:
        head, sep, rest = parts["xl/workbook.xml"].partition(b"?>")
        parts["xl/workbook.xml"] = head + sep + BILLION_LAUGHS.encode() + rest

    return _edited(base, path, edit)


def _sheet_part(parts: dict[str, bytes], sheet: str) -> str:
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    for s in wb.iter(f"{{{NS_MAIN}}}sheet"):
        if s.get("name") == sheet:
            return "xl/" + rels[s.get(f"{{{NS_R}}}id")].lstrip("/").removeprefix("xl/")
    raise KeyError(sheet)


def bad_entities_sheet(base: Path, path: Path) -> Path:
    """Billion laughs and an external entity in the Plan sheet, used in a cell."""
    def edit(parts: dict[str, bytes]) -> None:
        part = _sheet_part(parts, "Plan")
        head, sep, rest = parts[part].partition(b"?>")
        dtd = BILLION_LAUGHS.replace("]>", '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
        rest = rest.replace(b"<sheetData>", b'<sheetData><row r="1"><c r="Z1" t="inlineStr"><is><t>&lol9;&xxe;</t></is></c></row>', 1)
        parts[part] = head + sep + dtd.encode() + rest

    return _edited(base, path, edit)


def bad_traversal(base: Path, path: Path) -> Path:
    """A part whose name climbs out of the package (zip slip)."""
    def edit(parts: dict[str, bytes]) -> None:
        parts["../../pmo-evil.txt"] = b"escaped"

    return _edited(base, path, edit)


def not_pmo(base: Path, path: Path) -> Path:
    """A real workbook with a table, but not the PMO template."""
    import openpyxl
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Item", "Qty"])
    ws.append(["Chairs", 4])
    ws.add_table(Table(displayName="Table1", ref="A1:B2"))
    wb.save(path)
    return path


def bad_missing(base: Path, path: Path) -> Path:
    return path


def bad_folder(base: Path, path: Path) -> Path:
    path.mkdir()
    (path / "inside.txt").write_text("a folder named like a workbook")
    return path


def empty_plan(base: Path, path: Path) -> Path:
    """The blank template: a PMO workbook with no plan rows (and nothing else)."""
    from pmo_xl.io.template import build_workbook

    return build_workbook(path, {"ProjectName": "Blank", "ProjectCode": "BLANK-1"}, overwrite=True)


def no_plan_sheet(base: Path, path: Path) -> Path:
    """A PMO workbook whose Plan sheet (and with it tblPlan) was deleted in Excel."""
    def edit(parts: dict[str, bytes]) -> None:
        part = _sheet_part(parts, "Plan")
        wb = etree.fromstring(parts["xl/workbook.xml"])
        sheets = wb.find(f"{{{NS_MAIN}}}sheets")
        plan = next(s for s in sheets if s.get("name") == "Plan")
        rid, index = plan.get(f"{{{NS_R}}}id"), list(sheets).index(plan)
        sheets.remove(plan)
        names = wb.find(f"{{{NS_MAIN}}}definedNames")
        for n in list(names if names is not None else []):
            local = n.get("localSheetId")
            if "Plan!" in (n.text or "") or "tblPlan" in (n.text or "") or local == str(index):
                names.remove(n)
            elif local is not None and int(local) > index:
                n.set("localSheetId", str(int(local) - 1))
        parts["xl/workbook.xml"] = etree.tostring(wb, xml_declaration=True, encoding="UTF-8", standalone=True)
        rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        rels.remove(next(r for r in rels if r.get("Id") == rid))
        parts["xl/_rels/workbook.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
        folder, _, name = part.rpartition("/")
        srels = f"{folder}/_rels/{name}.rels"
        dropped = {part, srels}
        for r in etree.fromstring(parts[srels]) if srels in parts else []:
            if r.get("Type", "").endswith("/table"):
                dropped.add(posixpath.normpath(posixpath.join(folder, r.get("Target"))))
        for d in dropped:
            parts.pop(d, None)
        ct = etree.fromstring(parts["[Content_Types].xml"])
        for o in list(ct):
            if o.get("PartName", "").lstrip("/") in dropped:
                ct.remove(o)
        parts["[Content_Types].xml"] = etree.tostring(ct, xml_declaration=True, encoding="UTF-8", standalone=True)
        parts.pop("xl/calcChain.xml", None)

    return _edited(base, path, edit)


#: name -> builder(good workbook, target path) -> the path to give the command.
BAD_INPUTS: dict[str, Callable[[Path, Path], Path]] = {
    "empty-file": bad_empty,
    "random-bytes": bad_random,
    "csv-as-xlsx": bad_text,
    "truncated-zip": bad_truncated,
    "zip-not-workbook": bad_plain_zip,
    "ole-encrypted": bad_ole,
    "zip-bomb": bad_zip_bomb,
    "entities-workbook": bad_entities_workbook,
    "entities-sheet": bad_entities_sheet,
    "path-traversal": bad_traversal,
    "not-pmo": not_pmo,
    "missing-file": bad_missing,
    "folder": bad_folder,
    "empty-plan": empty_plan,
    "no-plan-sheet": no_plan_sheet,
}

# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Cmd:
    """A command line; ``{bad}`` is the bad input. ``batch``: the good workbook is given
    after it. ``fmt``: text (human), json, junit, csv. ``writes``: the good file is written
    (``--write``). ``mutates``: the command may write a workbook it can use (``--write``,
    the change verbs, ``upgrade``)."""

    id: str
    args: tuple[str, ...]
    batch: bool = True
    fmt: str = "text"
    writes: bool = False
    mutates: bool = False

    def __post_init__(self) -> None:
        if self.writes:
            object.__setattr__(self, "mutates", True)

    def argv(self, bad: Path, good: Path | None) -> list[str]:
        out = [a.replace("{bad}", str(bad)) for a in self.args]
        if self.batch and good is not None:
            out.append(str(good))
        return out


COMMANDS: list[Cmd] = [
    Cmd("info", ("info", "{bad}")),
    Cmd("info-json", ("info", "{bad}", "--format", "json"), fmt="json"),
    Cmd("validate", ("validate", "{bad}")),
    Cmd("validate-json", ("validate", "{bad}", "--format", "json"), fmt="json"),
    Cmd("validate-junit", ("validate", "{bad}", "--format", "junit"), fmt="junit"),
    Cmd("validate-write", ("validate", "{bad}", "--write", "--format", "json"), fmt="json", writes=True),
    Cmd("schedule", ("schedule", "{bad}")),
    Cmd("schedule-json", ("schedule", "{bad}", "--format", "json"), fmt="json"),
    Cmd("schedule-write", ("schedule", "{bad}", "--write"), writes=True),
    Cmd("rollup", ("rollup", "{bad}")),
    Cmd("rollup-json", ("rollup", "{bad}", "--format", "json"), fmt="json"),
    Cmd("rollup-csv", ("rollup", "{bad}", "--format", "csv"), fmt="csv"),
    Cmd("rollup-write", ("rollup", "{bad}", "--write", "--format", "json"), fmt="json", writes=True),
    Cmd("change-list", ("change", "list", "{bad}"), batch=False),
    Cmd("change-list-json", ("change", "list", "{bad}", "--format", "json"), batch=False),
    Cmd("change-show", ("change", "show", "{bad}", "CR-0001"), batch=False),
    Cmd("change-add", mutates=True, args=("change", "add", "{bad}", "--title", "=1+1", "--requested-by", "me", "--wait", "0"), batch=False),
    Cmd("change-set-status", mutates=True, args=("change", "set-status", "{bad}", "CR-0001", "Submitted", "--wait", "0"), batch=False),
    Cmd("change-decide", mutates=True, args=("change", "decide", "{bad}", "CR-0001", "approve", "--by", "PMO", "--wait", "0"), batch=False),
    Cmd("portfolio", ("portfolio", "{bad}", "--jobs", "1")),
    Cmd("portfolio-json", ("portfolio", "{bad}", "--jobs", "1", "--format", "json"), fmt="json"),
    Cmd("upgrade", ("upgrade", "{bad}"), mutates=True),
    Cmd("upgrade-json", ("upgrade", "{bad}", "--format", "json"), fmt="json", mutates=True),
]

#: Where exit 2 is not the answer, per case and command, and why:
#:
#: * ``empty-plan``, the blank template: a valid workbook with nothing to schedule or roll
#:   up yet, which is not an error (exit 0); validate exits 0 or 1 by what its rules find;
#:   the change register works (add writes CR-0001); show/set-status/decide of CR-0001,
#:   which does not exist, exit 2.
#: * ``no-plan-sheet``: a PMO workbook whose Plan sheet was deleted. ``info`` describes it
#:   (exit 0, with its structure issues counted); ``validate`` reports WB001/WB002 errors
#:   (exit 1); ``schedule`` and ``rollup`` (and ``portfolio``, which rolls up) refuse it
#:   (exit 2); the change register does not need the plan (list/show/add work; CR-0001 is
#:   Approved, so the move to Submitted and a new decision are refused: exit 2);
#:   ``upgrade`` puts the missing sheet back (exit 0).
#: * ``folder`` for ``portfolio``: a folder is what portfolio takes (it has no workbook in
#:   it; the good one is consolidated: exit 0).
READABLE: dict[str, dict[str, tuple[int, ...]]] = {
    "empty-plan": {
        "info": (0,), "info-json": (0,),
        "validate": (0, 1), "validate-json": (0, 1), "validate-junit": (0, 1), "validate-write": (0, 1),
        "schedule": (0,), "schedule-json": (0,), "schedule-write": (0,),
        "rollup": (0,), "rollup-json": (0,), "rollup-csv": (0,), "rollup-write": (0,),
        "change-list": (0,), "change-list-json": (0,), "change-add": (0,),
        "portfolio": (0,), "portfolio-json": (0,), "upgrade": (0,), "upgrade-json": (0,),
    },
    "no-plan-sheet": {
        "info": (0,), "info-json": (0,),
        "validate": (1,), "validate-json": (1,), "validate-junit": (1,), "validate-write": (1,),
        "change-list": (0,), "change-list-json": (0,), "change-show": (0,), "change-add": (0,),
        "upgrade": (0,), "upgrade-json": (0,),
    },
    "folder": {"portfolio": (0,), "portfolio-json": (0,)},
}


#: Readable workbooks the change register refuses (CR-0001 missing, or a forbidden move).
REGISTER_REFUSALS = {
    ("empty-plan", "change-show"), ("empty-plan", "change-set-status"), ("empty-plan", "change-decide"),
    ("no-plan-sheet", "change-set-status"), ("no-plan-sheet", "change-decide"),
}


def expected_codes(case: str, cmd: Cmd) -> tuple[int, ...]:
    return READABLE.get(case, {}).get(cmd.id, (2,))


# --------------------------------------------------------------------------- fixtures


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(path: Path) -> object:
    """What 'unchanged' means for an input: its bytes, or that it is a folder / absent."""
    if path.is_dir():
        return ("folder", sorted(p.name for p in path.iterdir()))
    if not path.exists():
        return "absent"
    return sha(path)


@pytest.fixture(scope="module")
def good_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_good(tmp_path_factory.mktemp("good") / "Good.xlsx")


@pytest.fixture(scope="module")
def bad_masters(good_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    return {case: build(good_master, folder / f"{case}.xlsx") for case, build in BAD_INPUTS.items()}


@pytest.fixture
def files(request: pytest.FixtureRequest, tmp_path: Path, good_master: Path, bad_masters: dict[str, Path]) -> tuple[Path, Path, Path]:
    """(bad input, good workbook, the folder holding only them) — fresh copies per test."""
    case = request.param
    bad_dir, good_dir = tmp_path / "in", tmp_path / "ok"
    bad_dir.mkdir()
    good_dir.mkdir()
    src = bad_masters[case]
    bad = bad_dir / src.name
    if src.is_dir():
        shutil.copytree(src, bad)
    elif src.exists():
        shutil.copy2(src, bad)
    good = good_dir / "Good.xlsx"
    shutil.copy2(good_master, good)
    return bad, good, bad_dir


def run(argv: list[str]):
    return CliRunner().invoke(cli, argv)


# --------------------------------------------------------------------------- the matrix


def _one_line(text: str) -> bool:
    return bool(text) and "\n" not in text.strip()


def _names(line: str, path: Path) -> bool:
    return path.name in line


@pytest.mark.parametrize("files", list(BAD_INPUTS), indirect=True)
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.id)
def test_bad_input(files: tuple[Path, Path, Path], cmd: Cmd, request: pytest.FixtureRequest) -> None:
    bad, good, bad_dir = files
    case = request.node.callspec.params["files"]
    before, good_before = state(bad), sha(good)
    result = run(cmd.argv(bad, good))
    out, err = result.stdout, result.stderr
    context = f"{cmd.id} on {case}: exit {result.exit_code}\nstdout: {out[-2000:]}\nstderr: {err}"

    # never a crash, never a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), context
    assert "Traceback" not in out + err and "internal error" not in err, context
    assert result.exit_code in expected_codes(case, cmd), context

    # the input is untouched unless a writing command could use it; nothing left beside it
    if result.exit_code == 2 or not cmd.mutates:
        assert state(bad) == before, context
    assert sorted(p.name for p in bad_dir.iterdir()) == ([bad.name] if before != "absent" else []), context

    if result.exit_code == 2:
        # a readable workbook refused by the change register (no such CR, a move the
        # workflow forbids) gets a line naming the CR; anything else names the file
        entry = _failed_entry(cmd, bad, out, err, context, names_file=(case, cmd.id) not in REGISTER_REFUSALS)
        assert _one_line(entry) and "Traceback" not in entry, context

    # in a batch the good workbook is still processed
    if cmd.batch:
        _good_processed(cmd, good, out, context)
        if cmd.writes:
            assert sha(good) != good_before, f"{context}\nthe good workbook was not written"
        else:
            assert sha(good) == good_before, context


def _failed_entry(cmd: Cmd, bad: Path, out: str, err: str, context: str, names_file: bool = True) -> str:
    """The message about the bad file: the stderr line (human formats), the entry's error
    (machine formats)."""
    if cmd.fmt == "json":
        data = json.loads(out)
        if "files" in data:
            (entry,) = [f for f in data["files"] if Path(f["path"]).name == bad.name]
            assert entry["ok"] is False and entry["error"], context
            return entry["error"]
        (entry,) = [f for f in data["failed"] if Path(f["path"]).name == bad.name]  # portfolio
        return entry["error"]
    if cmd.fmt == "junit":
        root = ET.fromstring(out)
        (suite,) = [s for s in root.iter("testsuite") if Path(s.get("name")).name == bad.name]
        (error,) = suite.iter("error")
        return error.get("message")
    lines = [line for line in err.splitlines() if line.strip()]
    if lines and lines[0].startswith("Usage:") and bad.is_dir():
        # the single-file verbs take a file (click.Path(dir_okay=False)): click refuses a
        # folder as bad usage before pmo-xl runs; its "Error:" line names the folder
        lines = [line for line in lines if line.startswith("Error:")]
    assert len(lines) == 1, context
    assert _names(lines[0], bad) if names_file else "CR-0001" in lines[0], context
    return lines[0]


def _good_processed(cmd: Cmd, good: Path, out: str, context: str) -> None:
    if cmd.fmt == "json":
        data = json.loads(out)
        if "files" in data:
            (entry,) = [f for f in data["files"] if Path(f["path"]).name == good.name]
            assert entry["ok"] is True, context
        else:
            assert [p["path"] for p in data["projects"] if Path(p["path"]).name == good.name], context
    elif cmd.fmt == "junit":
        suites = [s for s in ET.fromstring(out).iter("testsuite") if Path(s.get("name")).name == good.name]
        assert suites and not list(suites[0].iter("error")), context
    elif cmd.fmt == "csv":
        assert any(line.startswith(str(good)) for line in out.splitlines()), context
    elif cmd.id.startswith("portfolio"):
        from pmo_xl import load

        assert load(good).settings["ProjectCode"] in out and " projects" in out, context
    else:
        assert good.name in out, context


# --------------------------------------------------------------------------- a few more


@pytest.mark.parametrize("case", ["truncated-zip", "entities-workbook", "zip-bomb", "no-plan-sheet"])
def test_no_traceback_reaches_a_real_terminal(case: str, bad_masters: dict[str, Path], good_master: Path, tmp_path: Path) -> None:
    """The installed entry point in a child process: one line on stderr, exit 2."""
    bad = tmp_path / bad_masters[case].name
    shutil.copy2(bad_masters[case], bad)
    digest = sha(bad)
    commands = [["schedule", str(bad)], ["rollup", str(bad), "--write"]]
    if case != "no-plan-sheet":  # (the change register does not need the plan)
        commands.append(["change", "add", str(bad), "--title", "x", "--requested-by", "y", "--wait", "0"])
    for argv in commands:
        proc = subprocess.run([sys.executable, "-m", "pmo_xl", *argv], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and bad.name in lines[0], proc.stderr
        assert sha(bad) == digest


def test_portfolio_folder_with_bad_files_still_consolidates(bad_masters: dict[str, Path], good_master: Path, tmp_path: Path) -> None:
    """A folder holding every bad file beside one good workbook: the good one is a project,
    each bad one is in ``failed`` with a one-line error; exit 2; the portfolio is written."""
    folder = tmp_path / "projects"
    folder.mkdir()
    expected_failed = set()
    for case, src in bad_masters.items():
        if src.is_file() and case != "empty-plan":
            shutil.copy2(src, folder / src.name)
            expected_failed.add(src.name)
    shutil.copy2(good_master, folder / "Good.xlsx")
    digests = {p.name: sha(p) for p in folder.iterdir()}
    out = tmp_path / "Portfolio.xlsx"
    result = run(["portfolio", str(folder), "--jobs", "2", "--format", "json", "--out", str(out)])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert [Path(p["path"]).name for p in data["projects"]] == ["Good.xlsx"]
    failed = {Path(f["path"]).name: f["error"] for f in data["failed"]}
    assert set(failed) == expected_failed
    assert all(_one_line(e) and "Traceback" not in e for e in failed.values())
    assert {p.name: sha(p) for p in folder.iterdir()} == digests
    from python_calamine import CalamineWorkbook

    assert CalamineWorkbook.from_path(str(out)).sheet_names


def test_hostile_inputs_are_what_they_claim(bad_masters: dict[str, Path]) -> None:
    """Guard the fixtures: each bad input really is the hostile thing it is named after."""
    m = bad_masters
    assert m["empty-file"].stat().st_size == 0
    assert m["ole-encrypted"].read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(m["truncated-zip"]).testzip()
    with zipfile.ZipFile(m["zip-bomb"]) as z:
        info = z.getinfo("xl/media/filler.bin")
        assert info.file_size >= 64 * 1024**2 and info.file_size / info.compress_size > 500
    with zipfile.ZipFile(m["entities-workbook"]) as z:
        assert b"<!ENTITY lol9" in z.read("xl/workbook.xml")
    with zipfile.ZipFile(m["path-traversal"]) as z:
        assert "../../pmo-evil.txt" in z.namelist()
    with zipfile.ZipFile(m["no-plan-sheet"]) as z:
        assert b'name="Plan"' not in z.read("xl/workbook.xml")
        assert not any(b"tblPlan" in z.read(n) for n in z.namelist() if n.startswith("xl/tables/"))
    import openpyxl

    assert "Plan" not in openpyxl.load_workbook(m["no-plan-sheet"]).sheetnames
    assert not m["missing-file"].exists() and m["folder"].is_dir()
