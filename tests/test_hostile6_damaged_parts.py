"""Damage the readers take but the writer's raw zip copy or sheet editor does not: a
central directory overstating a part's compressed size, a cell whose ``r`` is not a cell
reference. The writing commands refuse the file with one line (exit 2) and leave it
byte for byte; before, each was an "internal error" (ZipProblem, ValueError)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _size_lie(tmp_path: Path) -> Path:
    """The first central-directory entry claims a compressed size of 1e9 bytes."""
    data = bytearray(EXAMPLE.read_bytes())
    i = data.find(b"PK\x01\x02")
    data[i + 20 : i + 24] = (10**9).to_bytes(4, "little")
    out = tmp_path / "size-lie.xlsx"
    out.write_bytes(bytes(data))
    return out


def _bad_ref(tmp_path: Path, sheet_part: str, cell: str) -> Path:
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    old = parts[sheet_part]
    parts[sheet_part] = re.sub(rb'<c r="%s"' % cell.encode(), b'<c r="5C"', old, count=1)
    assert parts[sheet_part] != old
    out = tmp_path / "bad-ref.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


ADD = ["change", "add", "{f}", "--title", "T", "--requested-by", "R"]
WRITERS = [["validate", "--write", "{f}"], ["schedule", "--write", "{f}"], ["rollup", "--write", "{f}"], ADD]


def _refused(argv: list[str], path: Path, words: str) -> None:
    before = path.read_bytes()
    result = CliRunner().invoke(cli, [a.format(f=path) for a in argv])
    out = result.stdout + result.stderr
    assert result.exit_code == 2, out
    assert "internal error" not in out and "Traceback" not in out, out
    assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("argv", WRITERS, ids=lambda a: "-".join(a[:2]))
def test_a_lying_central_directory_is_a_damaged_workbook(tmp_path: Path, argv: list[str]) -> None:
    _refused(argv, _size_lie(tmp_path), "is truncated")


def test_upgrade_of_a_sheet_with_a_bad_cell_reference_is_refused(tmp_path: Path) -> None:
    _refused(["upgrade", "{f}"], _bad_ref(tmp_path, "xl/worksheets/sheet3.xml", "C5"), "not a cell reference")


def test_content_types_named_in_another_case_is_written_under_its_own_name(tmp_path: Path) -> None:
    """OPC part names are case-insensitive: "[CONTENT_TYPES].XML" passes the package check,
    and the writer used the exact name ("internal error: KeyError '[Content_Types].xml'")."""
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts["[CONTENT_TYPES].XML"] = parts.pop("[Content_Types].xml")
    path = tmp_path / "upper.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = CliRunner().invoke(cli, ["validate", "--write", str(path)])
    assert result.exit_code == 1, result.stdout + result.stderr
    with zipfile.ZipFile(path) as z:
        names = [i.filename for i in z.infolist()]
        assert names.count("[CONTENT_TYPES].XML") == 1 and "[Content_Types].xml" not in names
        assert b"/xl/worksheets/sheet10.xml" in z.read("[CONTENT_TYPES].XML")
