"""`pmo-xl change` end to end: real workbooks (template builder), real readers (openpyxl,
python-calamine), the workbook lock, refusals that leave the file byte-identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmo_xl.cli import cli
from pmo_xl.errors import FileInUse
from pmo_xl.io import lock as lk


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the lock


def test_lock_is_exclusive_and_released(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    with lk.workbook_lock(book, wait=0) as lock:
        assert lock == tmp_path / ".p.xlsx.pmo-lock"
        owner = lk.read_owner(lock)
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        with pytest.raises(FileInUse, match="in use by another pmo-xl process") as info:
            with lk.workbook_lock(book, wait=0.3):
                pass
        assert f"pid {os.getpid()}" in str(info.value) and "p.xlsx" in str(info.value)
    assert not lock.exists()
    with lk.workbook_lock(book, wait=0):  # free again
        pass


def test_second_writer_waits_then_gets_the_lock(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from pmo_xl.io.lock import workbook_lock\n"
         "with workbook_lock(sys.argv[1], wait=0):\n print('held', flush=True); time.sleep(0.8)",
         str(book)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with lk.workbook_lock(book, wait=10):
            waited = time.monotonic() - start
        assert 0.1 < waited < 9
    finally:
        holder.wait(timeout=10)


def test_stale_lock_of_dead_pid_is_broken(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = lk.lock_path(book)
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "time": "2020-01-01T00:00:00Z"}))
    with lk.workbook_lock(book, wait=0):
        assert lk.read_owner(lock)["pid"] == os.getpid()
    assert not lock.exists()


def test_lock_of_other_host_is_respected(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    lock = lk.lock_path(book)
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "time": "2026-11-27T18:00:00Z"}))
    with pytest.raises(FileInUse, match="pid 1 on elsewhere.example"):
        with lk.workbook_lock(book, wait=0.1):
            pass
    assert lock.exists()  # not ours: left alone


def test_excel_lock_is_reported_as_open_in_excel(tmp_path):
    book = tmp_path / "p.xlsx"
    book.write_bytes(b"x")
    (tmp_path / "~$p.xlsx").write_bytes(b"owner")
    with pytest.raises(FileInUse, match="open in Excel"):
        with lk.workbook_lock(book, wait=0):
            pass


def test_wait_from_environment(monkeypatch):
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "1.5")
    assert lk.default_wait() == 1.5
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "soon")
    assert lk.default_wait() == lk.DEFAULT_WAIT


def test_change_help_lists_subcommands():
    result = CliRunner().invoke(cli, ["change", "--help"])
    assert result.exit_code == 0
    for name in ("add", "set-status", "decide", "list", "show"):
        assert f"  {name} " in result.output
