"""The portfolio's process pool and the garbage collector: the parent's objects are frozen
while the workers are forked (so a worker's collections never walk, and copy, the pages it
inherited), and the caller's collector is left as it was, also when a worker fails."""

from __future__ import annotations

import gc
import multiprocessing as mp
from pathlib import Path
from typing import Any

import pytest

from pmo_xl.commands import portfolio as pf

pytestmark = pytest.mark.skipif(mp.get_start_method(allow_none=False) != "fork",
                                reason="the pool forks its workers only where fork is the start method")


def _frozen_in_worker(path: Path, status_date: Any, detail: bool) -> dict[str, Any]:
    """A stand-in for project_record: what a worker sees of the collector."""
    if path.name == "boom":
        raise RuntimeError("a worker's bug")
    return {"ok": True, "project": {"path": str(path), "frozen": gc.get_freeze_count()}}


def test_workers_inherit_the_parent_frozen_and_the_parent_is_unfrozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pf, "project_record", _frozen_in_worker)
    assert gc.get_freeze_count() == 0
    records = pf.run_records([Path("a"), Path("b"), Path("c")], None, 2, lambda: None)
    assert [r["project"]["path"] for r in records] == ["a", "b", "c"]
    # every object the parent had when it forked is out of the workers' collections
    assert all(r["project"]["frozen"] > 1000 for r in records)
    assert gc.get_freeze_count() == 0


def test_the_parent_is_unfrozen_when_a_worker_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pf, "project_record", _frozen_in_worker)
    records = pf.run_records([Path("a"), Path("boom")], None, 2, lambda: None)
    assert records[0]["ok"] and not records[1]["ok"]
    assert "a worker's bug" in records[1]["error"]
    assert gc.get_freeze_count() == 0


def test_the_parent_is_unfrozen_when_the_caller_is_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pf, "project_record", _frozen_in_worker)

    def stop() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pf.run_records([Path("a"), Path("b")], None, 2, stop)
    assert gc.get_freeze_count() == 0
