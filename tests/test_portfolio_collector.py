"""The portfolio's record of one workbook runs with Python's cyclic garbage collector paused
(its objects make no cycle and are freed by reference counting before it resumes), and
leaves the collector as it found it, also when the record fails."""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from pmo_xl.commands import portfolio as pf


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmo_xl.commands.demo import demo_workbook

    return demo_workbook(tmp_path_factory.mktemp("collector") / "project.xlsx", seed=7, tasks=40, timesheet_rows=400)


@contextlib.contextmanager
def _eager_collector() -> Iterator[list[int]]:
    """A collector that would run every 50 net allocations, and the generations of the
    collections it runs from now on."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    before = gc.get_threshold()
    was_on = gc.isenabled()
    gc.enable()
    gc.set_threshold(50, *before[1:])
    gc.collect()
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*before)
        if not was_on:
            gc.disable()


class _Watched(os.PathLike):  # type: ignore[type-arg]
    """A path that notes whether the collector is on when the record opens it (the record's
    first step, inside its pause of the collector), or fails there with ``error``: what the
    record does inside is seen without patching its functions, which a compiled build calls
    directly."""

    def __init__(self, path: str, inside: list[bool], error: Exception | None = None) -> None:
        self.path, self.inside, self.error = path, inside, error

    def __fspath__(self) -> str:
        self.inside.append(gc.isenabled())
        if self.error is not None:
            raise self.error
        return self.path

    def __str__(self) -> str:
        return self.path


def test_a_record_runs_no_collection(workbook: Path) -> None:
    pf.project_record(workbook)  # (the first record imports the engine, before its pause)
    inside: list[bool] = []
    with _eager_collector() as collections:
        record = pf.project_record(_Watched(str(workbook), inside))
        seen = list(collections)
    assert record["ok"], record
    assert record["project"]["bac"] > 0
    assert inside == [False]  # the record takes its path with the collector paused
    # reading the workbook alone makes thousands of tracked objects: with the collector
    # running, a threshold of 50 would have collected many times on the way; paused, at
    # most the one collection due when it resumes (the objects the record keeps count
    # towards it) runs
    assert len(seen) <= 1, seen
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


def test_a_failing_record_resumes_the_collector() -> None:
    inside: list[bool] = []
    with _eager_collector():
        record = pf.project_record(_Watched("x.xlsx", inside, RuntimeError("a bug")))
    assert record == {"ok": False, "path": "x.xlsx", "error": "internal error: RuntimeError: a bug"}
    assert inside == [False]
    assert gc.isenabled()
