"""``upgrade`` of a workbook whose TemplateVersion name is a constant too large for an
int (1E+400 is infinity: was an OverflowError, "internal error") or absurdly large (the
message printed its 300 digits)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _version_constant(tmp_path: Path, constant: str) -> Path:
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    old = parts["xl/workbook.xml"]
    parts["xl/workbook.xml"] = re.sub(rb'(<definedName name="TemplateVersion"[^>]*>)[^<]*', rb"\g<1>" + constant.encode(), old)
    assert parts["xl/workbook.xml"] != old
    out = tmp_path / "version.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


@pytest.mark.parametrize(("constant", "code", "words"), [
    ("1E+400", 0, "current"),  # not a version: the workbook's other records decide
    ("1E+300", 2, "template version 1e+300 is newer"),
])
def test_a_huge_template_version_constant(tmp_path: Path, constant: str, code: int, words: str) -> None:
    path = _version_constant(tmp_path, constant)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["upgrade", str(path)])
    out = result.stdout + result.stderr
    assert result.exit_code == code, out
    assert "internal error" not in out and words in out and len(out) < 300, out
    assert path.read_bytes() == before
