"""The portfolio's record of one workbook runs with Python's cyclic garbage collector paused
(its objects make no cycle and are freed by reference counting before it resumes), and
leaves the collector as it found it, also when the record fails."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Iterator

import pytest

from pmo_xl.commands import portfolio as pf


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmo_xl.commands.demo import demo_workbook

    return demo_workbook(tmp_path_factory.mktemp("collector") / "project.xlsx", seed=7, tasks=40, timesheet_rows=400)


@pytest.fixture
def eager_collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A collector that would run every 50 net allocations, and the generations of the
    collections it runs while a record is being made."""
    seen: list[int] = []
    busy: list[bool] = [False]
    inner = pf._project_record

    def record(*args: Any) -> dict[str, Any]:
        busy[0] = True
        try:
            return inner(*args)
        finally:
            busy[0] = False

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and busy[0]:
            seen.append(info["generation"])

    monkeypatch.setattr(pf, "_project_record", record)
    before = gc.get_threshold()
    was_on = gc.isenabled()
    gc.enable()
    gc.set_threshold(50, *before[1:])
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*before)
        if not was_on:
            gc.disable()


def test_a_record_runs_no_collection(workbook: Path, eager_collector: list[int]) -> None:
    record = pf.project_record(workbook)
    assert record["ok"], record
    assert record["project"]["bac"] > 0
    # reading the workbook alone makes thousands of tracked objects: with the collector
    # running, a threshold of 50 would have collected many times on the way
    assert eager_collector == []
    assert gc.isenabled()


def test_the_record_is_the_same_with_the_collector_off(workbook: Path) -> None:
    on = pf.project_record(workbook)
    gc.disable()
    try:
        off = pf.project_record(workbook)
        assert not gc.isenabled()  # (left off: it was off)
    finally:
        gc.enable()
    assert on == off


def test_a_failing_record_resumes_the_collector(monkeypatch: pytest.MonkeyPatch, eager_collector: list[int]) -> None:
    inside: list[bool] = []

    def boom(path: Path, status_date: Any, detail: bool) -> dict[str, Any]:
        inside.append(gc.isenabled())
        raise RuntimeError("a bug")

    monkeypatch.setattr(pf, "_project_record", boom)
    record = pf.project_record("x.xlsx")
    assert record == {"ok": False, "path": "x.xlsx", "error": "internal error: RuntimeError: a bug"}
    assert inside == [False]
    assert gc.isenabled()
