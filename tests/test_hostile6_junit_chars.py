"""Cell text with characters XML 1.0 cannot carry (``_x0001_``, an ESC) reaches the
findings; ``validate --format junit`` still prints a well-formed document (it printed
the raw characters, and the CI's XML parser failed on the report)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner

from pmo_xl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def test_junit_output_stays_well_formed(tmp_path: Path) -> None:
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet3.xml"]  # Plan: % Complete of task 2 as text with control characters
    parts["xl/worksheets/sheet3.xml"] = re.sub(
        rb'<c r="N5"([^>]*)><v>[^<]*</v>', rb'<c r="N5"\1 t="inlineStr"><is><t>x_x0001_y_x001B_[2J</t></is>', sheet, count=1)
    assert parts["xl/worksheets/sheet3.xml"] != sheet
    path = tmp_path / "controls.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = CliRunner().invoke(cli, ["validate", "--format", "junit", str(path)])
    assert result.exit_code == 1, result.output
    root = ET.fromstring(result.stdout.encode("utf-8"))
    failures = [f.text or "" for f in root.iter("failure") if f.get("type") == "DT001"]
    assert any("Plan!N5" in text and "x\ufffdy\ufffd[2J" in text for text in failures), failures
