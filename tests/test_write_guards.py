"""Guards on every write path: a newer template version is never written into, and the
validate --write path holds the workbook lock like the other writers."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pmo_xl
from pmo_xl.cli import cli
from pmo_xl.io.lock import lock_path

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def newer(tmp_path_factory) -> Path:
    """The example project claiming template version 9 (made with openpyxl: a test fixture,
    not a user's workbook)."""
    path = tmp_path_factory.mktemp("newer") / "v9.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    sheet, cell = next(iter(wb.defined_names["TemplateVersion"].destinations))
    wb[sheet][cell.replace("$", "")] = 9
    wb.save(path)
    assert pmo_xl.load(path).template_version == 9
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--write"],
        ["schedule", "--write"],
        ["rollup", "--write"],
        ["change", "add", "--title", "T", "--requested-by", "P"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_newer_template_is_never_written(newer, tmp_path, args):
    target = tmp_path / "v9.xlsx"
    shutil.copy(newer, target)
    before = _digest(target)
    argv = [*args[:2], str(target), *args[2:]] if args[0] == "change" else [*args, str(target)]
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 2, r.output
    assert "newer" in r.output and "v9.xlsx" in r.output
    assert _digest(target) == before


def test_newer_template_is_still_read(newer):
    r = CliRunner().invoke(cli, ["rollup", str(newer), "--format", "json"])
    assert r.exit_code == 0, r.output


def test_python_write_refuses_newer_template(newer, tmp_path):
    target = tmp_path / "v9.xlsx"
    shutil.copy(newer, target)
    report = pmo_xl.validate(target)
    with pytest.raises(pmo_xl.PmoError, match="newer"):
        pmo_xl.write(target, report)


def test_validate_write_waits_for_the_lock(tmp_path, monkeypatch):
    """Another pmo-xl process holding the lock: validate --write refuses (exit 2), writes nothing."""
    import json
    import os
    import socket
    import time

    target = tmp_path / "p.xlsx"
    shutil.copy(EXAMPLE, target)
    before = _digest(target)
    lock = lock_path(target)
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}))
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "0.2")
    r = CliRunner().invoke(cli, ["validate", "--write", str(target), "--format", "json"])
    assert r.exit_code == 2, r.output
    entry = json.loads(r.output)["files"][0]
    assert entry["ok"] is False and "in use" in entry["error"]
    assert _digest(target) == before
