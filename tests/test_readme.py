"""The README's Python examples run as written (on copies of the example workbook)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "Example_Project.xlsx"


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_the_api_examples():
    blocks = _python_blocks()
    assert len(blocks) >= 2
    assert any("pmo_xl.load" in b and "pmo_xl.write" in b for b in blocks)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    shutil.copy(EXAMPLE, tmp_path / "project.xlsx")
    projects = tmp_path / "projects"
    projects.mkdir()
    shutil.copy(EXAMPLE, projects / "a.xlsx")
    (projects / "broken.xlsx").write_bytes(b"not a workbook")
    monkeypatch.chdir(tmp_path)
    for block in _python_blocks():
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "skipped:" in out and "broken.xlsx" in out
    assert "CRM-" in out
