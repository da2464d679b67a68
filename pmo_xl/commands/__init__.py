"""Commands: the only place that combines io (files) and the engine (calculations).

The command line (``pmo_xl.cli``), the Excel scripts (``udfs/pmo_udfs.py``) and the
portfolio batch all call these functions: one path for the data.

Per-file commands share one shape (SPEC §8): ``{"files": [{"path", "ok", "error", ...}]}``;
:func:`for_each_file` runs a per-file function over many paths so that an unreadable
file becomes an entry with ``ok: false`` and a plain-words error while the others are
still processed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import PmoError

#: What a workbook's text must not send to a terminal: the C0 controls but tab and newline,
#: DEL and the C1 controls (ESC and CSI start the sequences that move the cursor, clear the
#: screen or set the window's title).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` for a terminal: each control character shown as U+FFFD, a carriage
    return dropped (a cell's Windows line break stays one line break)."""
    return _CONTROL.sub(lambda m: "" if m.group() == "\r" else "\ufffd", text)


def text_console(**options: Any) -> Any:
    """A rich ``Console`` for the text reports: every string it renders (a cell's text in
    a table, a finding, a CR title) goes through :func:`printable` first, so a workbook
    cannot drive the terminal; rich's own colours are added after, as ever."""
    return _safe_console_class()(**options)


@functools.cache
def _safe_console_class() -> type:
    from rich.console import Console

    class SafeConsole(Console):
        def render_str(self, text: str, **options: Any) -> Any:
            return super().render_str(printable(text), **options)

    return SafeConsole


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
    jobs: int | None = 1,
    description: str = "Working",
) -> list[dict[str, Any]]:
    """Run ``fn(path) -> fields`` on every path; a PmoError becomes a failed entry.

    ``jobs``: worker processes (1, the default, runs here; None = one per CPU). With
    several, ``fn`` must be picklable (a module-level function or a ``functools.partial``
    of one). Entries come back in the order of ``paths`` either way. A progress bar shows
    on stderr when it is a terminal and there is more than one file (SPEC §8).
    """
    import os

    from ..progress import progress

    todo = [Path(p) for p in paths]
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise PmoError(f"--jobs must be at least 1, got {jobs}")
    jobs = min(jobs, len(todo)) or 1
    with progress(len(todo), description) as advance:
        if jobs == 1:
            out = []
            for p in todo:
                out.append(_one(fn, p))
                advance()
            return out
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_one, fn, p) for p in todo]
            out = []
            for f in futures:
                out.append(f.result())
                advance()
            return out


def print_heading(con: Any, entry: dict[str, Any]) -> bool:
    """Text output of a per-file command: the file's name in bold and, for a file that
    could not be processed, its error. True when the entry has results to render."""
    from rich.markup import escape

    con.print(f"[bold]{escape(entry['path'])}[/bold]")
    if entry["ok"]:
        return True
    con.print(f"  [bold red]error:[/bold red] {escape(str(entry['error']))}")
    con.print()
    return False
