"""A shared-strings part cut short: python-calamine's error text is the bare tag name
("t"); the message names the error kind instead of ending in "(t)"."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner

from pmo_xl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def test_a_truncated_shared_strings_part_is_named_an_xml_error(tmp_path: Path) -> None:
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"][:-30]
    path = tmp_path / "sst.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 2
    assert "cannot be read (XmlError: " in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert path.read_bytes() == before
