"""Atomic saves: kill the writer at random moments; the workbook is always the old one or
the new one, whole, and nothing but (at most) the killed process's temp file is left."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pmo_xl.io.atomic import atomic_path
from pmo_xl.io.template import build_workbook

ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import sys
from pmo_xl.io.writer import TableBlock, WorkbookEditor
rows = [[i, "1.%d" % i, "Task %d" % i, 1, 0, 0, 0, 0, 2.5, 1.5, 1.0, 0.5] for i in range(int(sys.argv[2]))]
ed = WorkbookEditor.open(sys.argv[1])
ed.replace_sheet("Rollup", [TableBlock("tblRollupTask", rows)])
ed.append_rows("tblChangeLog", [{"Timestamp": "2026-01-01T00:00:00Z", "CR ID": "CR-0001", "Action": "add"}])
sys.stdout.write("S")
sys.stdout.flush()
ed.save()
"""

N_ROWS = 20_000


def _run_writer(path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(N_ROWS)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_killed_writer_leaves_old_or_new_workbook(tmp_path: Path) -> None:
    old_path = build_workbook(tmp_path / "old.xlsx", {"ProjectName": "K", "ProjectCode": "K1"})
    old = old_path.read_bytes()
    # the new file, written once to completion (the writer is deterministic)
    ref = tmp_path / "ref" / "p.xlsx"
    ref.parent.mkdir()
    shutil.copy(old_path, ref)
    proc = _run_writer(ref)
    assert proc.stdout is not None and proc.stdout.read(1) == b"S"
    start = time.monotonic()
    _, err = proc.communicate(timeout=120)
    full = time.monotonic() - start  # the save alone
    assert proc.returncode == 0, err.decode()
    new = ref.read_bytes()
    assert new != old
    with zipfile.ZipFile(ref) as zf:
        assert zf.testzip() is None

    work = tmp_path / "work"
    work.mkdir()
    target = work / "p.xlsx"
    rng = random.Random(20260301)
    # the first two kills land before the save and long after it; the others during it
    delays = [-1.0, full * 3 + 0.5] + [rng.uniform(0.0, full * 0.7) for _ in range(28)]
    outcomes = []
    caught_writing = 0
    for delay in delays:
        for stale in _temps(work):
            stale.unlink()
        shutil.copy(old_path, target)
        proc = _run_writer(target)
        if delay >= 0:
            assert proc.stdout is not None and proc.stdout.read(1) == b"S"
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        data = target.read_bytes()
        assert data in (old, new), f"a half-written workbook after a kill at {delay:.3f}s"
        outcomes.append("new" if data == new else "old")
        caught_writing += bool(leftovers := _temps(work))
        assert len(leftovers) <= 1, leftovers  # only the killed process's own temp file
        assert all(p.name.startswith(".p.xlsx.") for p in leftovers)
        assert sorted(p.name for p in work.iterdir() if not p.name.endswith(".tmp")) == ["p.xlsx"]
    assert outcomes[0] == "old" and outcomes[1] == "new"
    print(f"save {full:.2f}s; outcomes {outcomes.count('old')} old / {outcomes.count('new')} new; "
          f"{caught_writing} kills while the temp file existed")
    assert caught_writing >= 3  # kills did land in the middle of saves


def test_failure_inside_the_block_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"original")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"original"
    assert _temps(tmp_path) == []


def test_success_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"original")
    os.chmod(target, 0o640)
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert _temps(tmp_path) == []
