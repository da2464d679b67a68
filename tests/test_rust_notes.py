"""Rust's panic notes stay off stderr while a workbook is read (pmo_xl/io/rust_notes.py).

The reader turns a panic of fastexcel or python-calamine into one clear line; the note
Rust's panic hook writes straight to descriptor 2 (a stack backtrace of ninety lines with
``RUST_BACKTRACE=1``) is caught and dropped, and everything else written meanwhile still
reaches stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io import rust_notes
from pmo_xl.io.reader import load
from pmo_xl.io.rust_notes import rust_notes_quiet, without_panic_notes

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"

SHORT = (
    "\nthread '<unnamed>' (26521) panicked at /root/.cargo/registry/src/chrono-0.4.41/src/lib.rs:709:17:\n"
    "TimeDelta::milliseconds out of bounds\n"
    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
)
LONG = (
    "\nthread '<unnamed>' (26524) panicked at /root/.cargo/registry/src/chrono-0.4.41/src/lib.rs:709:17:\n"
    "TimeDelta::milliseconds out of bounds\n"
    "stack backtrace:\n"
    "   0: __rustc::rust_begin_unwind\n"
    "   1: core::panicking::panic_fmt\n"
    "  14: method_vectorcall_FASTCALL_KEYWORDS\n"
    "             at ./Python-3.11.7/Objects/descrobject.c:426:24\n"
    "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n"
)
LATER = "thread 'main' panicked at src/lib.rs:1:1:\nboom\n"  # a second panic: no note (older Rust: no id)


def test_the_notes_rust_writes_are_dropped_and_other_lines_kept() -> None:
    assert without_panic_notes("before\n" + SHORT + "after\n") == "before\nafter\n"
    assert without_panic_notes(LONG + LATER + "warning: kept\n") == "warning: kept\n"
    assert without_panic_notes("no newline at the end") == "no newline at the end"
    assert without_panic_notes("a thread 'x' panicked at y mentioned mid-line\n") == (
        "a thread 'x' panicked at y mentioned mid-line\n")


#: lines another writer could put on stderr: not empty, not indented, not a note, not a panic head
_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                min_size=1).filter(lambda s: not s[0].isspace() and not s.startswith(("note: ", "thread '")))


@given(st.lists(st.one_of(_LINE.map(lambda s: s + "\n"), st.sampled_from([SHORT, LONG, LATER]))))
def test_any_mix_of_output_and_panic_notes_keeps_exactly_the_output(parts: list[str]) -> None:
    assert without_panic_notes("".join(parts)) == "".join(p for p in parts if p not in (SHORT, LONG, LATER))


def test_what_is_written_to_descriptor_2_meanwhile_comes_back_without_the_notes(capfdbinary) -> None:
    with rust_notes_quiet():
        os.write(2, b"warning: kept\n")
        os.write(2, LONG.encode())
        os.write(2, b"\xff not utf-8\n")
        assert capfdbinary.readouterr().err == b""  # (held back while the block runs)
    assert capfdbinary.readouterr().err == b"warning: kept\n\xff not utf-8\n"


def test_python_writes_to_stderr_keep_their_order_around_the_block() -> None:
    code = "\n".join([
        "import os, sys",
        "from pmo_xl.io.rust_notes import rust_notes_quiet",
        "print('before', file=sys.stderr, end='')  # (no newline: still out before the block)",
        "with rust_notes_quiet():",
        "    print(' inside', file=sys.stderr)",
        f"    os.write(2, {SHORT.encode()!r})",
        "    print('inside again', file=sys.stderr)",
        "print('after', file=sys.stderr)",
    ])
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PMO_XL_DEBUG"})
    assert run.returncode == 0
    assert run.stderr == "before inside\ninside again\nafter\n"


def test_overlapping_blocks_in_threads_restore_descriptor_2_once(capfdbinary) -> None:
    before = os.fstat(2)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with rust_notes_quiet():
            os.write(2, b"one\n")
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with rust_notes_quiet():
            second_in.set()
            first_out.wait(5)
            os.write(2, b"two\n" + SHORT.encode())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
    assert capfdbinary.readouterr().err == b"one\ntwo\n"
    assert rust_notes._depth == 0 and rust_notes._saved is None


def test_debug_keeps_the_notes(capfdbinary, monkeypatch) -> None:
    monkeypatch.setenv("PMO_XL_DEBUG", "1")
    with rust_notes_quiet():
        os.write(2, SHORT.encode())
    assert capfdbinary.readouterr().err == SHORT.encode()


def _far_date(tmp_path: Path) -> Path:
    """The example workbook with a date-formatted -1e20 in Timesheet: fastexcel panics on it."""
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["Timesheet"]
    ws["A5"] = -1e20
    ws["A5"].number_format = "yyyy-mm-dd"
    path = tmp_path / "far.xlsx"
    wb.save(path)
    return path


def test_load_of_a_panicking_file_writes_nothing_to_stderr(tmp_path: Path, capfdbinary) -> None:
    path = _far_date(tmp_path)
    with pytest.raises(NotAWorkbook, match="Timesheet.*cannot be read"):
        load(path)
    assert capfdbinary.readouterr().err == b""


@pytest.mark.parametrize("backtrace", ["0", "1"])
def test_the_commands_print_one_line_and_no_rust_note(tmp_path: Path, backtrace: str) -> None:
    far = _far_date(tmp_path)
    (tmp_path / "ok.xlsx").write_bytes(EXAMPLE.read_bytes())
    env = {**os.environ, "RUST_BACKTRACE": backtrace}
    env.pop("PMO_XL_DEBUG", None)
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "validate", str(far)], capture_output=True, text=True,
                         env=env)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"pmo-xl: {far}: sheet 'Timesheet' cannot be read (a cell's value is outside "
                                       "what the reader handles, e.g. a date-formatted number far beyond Excel's "
                                       "dates: TimeDelta::milliseconds out of bounds)"]
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "portfolio", str(tmp_path), "--jobs", "2", "--format",
                          "json"], capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "panicked" not in run.stderr and "backtrace" not in run.stderr, run.stderr
    assert [f["path"] for f in json.loads(run.stdout)["failed"]] == [str(far)]


def test_stored_settings_the_rust_reader_panics_on_are_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    """A ``cfg…`` name on a Lists sheet holding a date-formatted -1e20: python-calamine
    panics reading that sheet. ``read_stored`` says so as NotAWorkbook; the commands fall
    back to the standard's limits, as for any unreadable stored block."""
    from openpyxl.workbook.defined_name import DefinedName

    from pmo_xl.config import STORED_SHEET, read_stored

    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb[STORED_SHEET]
    ws["Z1"] = 0.9
    ws["Z2"] = -1e20
    ws["Z2"].number_format = "yyyy-mm-dd"
    wb.defined_names["cfgRagGreen"] = DefinedName("cfgRagGreen", attr_text=f"{STORED_SHEET}!$Z$1")
    path = tmp_path / "cfg.xlsx"
    wb.save(path)
    with pytest.raises(NotAWorkbook, match="stored settings cannot be read"):
        read_stored(path)
    env = {k: v for k, v in os.environ.items() if k != "PMO_XL_DEBUG"}
    run = subprocess.run([sys.executable, "-m", "pmo_xl", "rollup", str(path), "--format", "json"],
                         capture_output=True, text=True, env={**env, "RUST_BACKTRACE": "1"})
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert json.loads(run.stdout)["files"][0]["ok"] is True
