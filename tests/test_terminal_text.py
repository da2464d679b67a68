"""A workbook's text cannot drive the terminal: control characters in cells (ESC starts
the sequences that clear the screen, move the cursor or set the window's title) are shown
as U+FFFD in every text report and error line; JSON keeps the text as it is (escaped)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_xl.commands import printable, text_console

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
CLEAR = "\x1b[2J\x1b]0;pwned\x07"  # clear the screen, set the window title


@given(st.text())
def test_printable_keeps_every_printable_character_and_no_control(text: str) -> None:
    out = printable(text)
    assert not any(c != "\t" and c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) for c in out)
    assert out == "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F else c
                          for c in text if c != "\r")


def test_the_console_renders_cell_text_without_its_control_sequences() -> None:
    from rich.table import Table

    buffer = io.StringIO()
    con = text_console(file=buffer, force_terminal=True, width=120)
    table = Table()
    table.add_column("Task")
    table.add_row(f"Build{CLEAR}")
    con.print(table)
    con.print(f"[bold]CR-001[/bold] title{CLEAR}")
    out = buffer.getvalue()
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out
    assert "\x1b[1m" in out  # (rich's own bold still reaches the terminal)
    assert "Build\ufffd[2J\ufffd]0;pwned\ufffd" in out


#: CLEAR as a cell holds it in the sheet XML (OOXML's _xHHHH_ escapes; openpyxl refuses
#: the control characters themselves, Excel writes them so)
CLEAR_XML = "_x001B_[2J_x001B_]0;pwned_x0007_"


def _hostile(tmp_path: Path) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["Project"]["B4"] = f"CRM roll-out{CLEAR_XML}"  # ProjectName: info, portfolio
    wb["Plan"]["C5"] = f"Design{CLEAR_XML}"
    wb["Changes"]["B5"] = f"Scope{CLEAR_XML}"
    path = tmp_path / "hostile.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("args", [["info"], ["validate"], ["schedule"], ["rollup"], ["change", "list"],
                                  ["portfolio"]])
def test_text_reports_carry_no_control_character(tmp_path: Path, args: list[str]) -> None:
    path = _hostile(tmp_path)
    run = subprocess.run([sys.executable, "-m", "pmo_xl", *args, str(path)], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PMO_XL_DEBUG"}, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    for stream in (run.stdout, run.stderr):
        assert "\x1b" not in stream and "\x07" not in stream


def test_json_keeps_the_text_escaped(tmp_path: Path) -> None:
    path = _hostile(tmp_path)
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "change", "list", str(path), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert "\x1b" not in run.stdout  # (json.dumps writes \u001b)
    titles = [c["title"] for c in json.loads(run.stdout)["changes"]]
    assert f"Scope{CLEAR}" in titles
