"""Commands: the only place that combines io (files) and the engine (calculations).

The command line (``pmo_xl.cli``), the Excel scripts (``udfs/pmo_udfs.py``) and the
portfolio batch all call these functions: one path for the data.

Per-file commands share one shape (SPEC §8): ``{"files": [{"path", "ok", "error", ...}]}``;
:func:`for_each_file` runs a per-file function over many paths so that an unreadable
file becomes an entry with ``ok: false`` and a plain-words error while the others are
still processed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import PmoError


def file_entry(path: str | Path, **fields: Any) -> dict[str, Any]:
    return {"path": str(path), "ok": True, "error": None, **fields}


def failed_entry(path: str | Path, error: str) -> dict[str, Any]:
    return {"path": str(path), "ok": False, "error": error}


def _one(fn: Callable[[Path], dict[str, Any]], path: Path) -> dict[str, Any]:
    try:
        fields = fn(path)
    except PmoError as exc:
        # The message already names the file when the raiser knew it; keep it plain.
        return failed_entry(path, exc.message)
    return file_entry(path, **fields)


def for_each_file(
    paths: Iterable[str | Path],
    fn: Callable[[Path], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Run ``fn(path) -> fields`` on every path; a PmoError becomes a failed entry."""
    return [_one(fn, Path(p)) for p in paths]
