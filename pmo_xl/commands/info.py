"""``pmo-xl info``: what a workbook holds — settings, table row counts, template version."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Iterable

from . import for_each_file


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: ISO dates, no NaN/NaT, no numpy types."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return value


def book_info(book: Any) -> dict[str, Any]:
    """The ``info`` fields of one loaded :class:`~pmo_xl.model.Book`."""
    from .. import schema

    return {
        "template_version": book.template_version,
        "settings": {s.name: _plain(book.settings.get(s.name)) for s in schema.SETTINGS},
        "tables": {
            name: (len(t.frame) if t.present else None) for name, t in sorted(book.tables.items())
        },
        "sheets": list(book.sheets),
        "cell_issues": len(book.issues),
        "structure_issues": [
            {"kind": s.kind, "name": s.name, "sheet": s.sheet, "message": s.message} for s in book.structure
        ],
    }


def info_file(path: Path) -> dict[str, Any]:
    from ..io.reader import load

    return book_info(load(path))


def info_files(paths: Iterable[str | Path], jobs: int | None = 1) -> list[dict[str, Any]]:
    return for_each_file(paths, info_file, jobs, "Reading")


def render_text(result: dict[str, Any]) -> None:
    """Human-readable ``info`` (rich tables on a terminal, plain text when piped)."""
    import click
    from rich.table import Table

    from . import printable, text_console

    out = text_console()
    for entry in result["files"]:
        if not entry["ok"]:
            # One plain line per unreadable file, never wrapped (scripts grep these).
            click.echo(printable(f"pmo-xl: {entry['path']}: {entry['error']}"), err=True)
            continue
        s = entry["settings"]
        out.print(
            f"[bold]{entry['path']}[/]  {s.get('ProjectCode') or '?'} — {s.get('ProjectName') or '?'}"
            f"  (template v{entry['template_version']})",
            highlight=False,
        )
        settings = Table(show_header=False, box=None, pad_edge=False)
        for name, value in s.items():
            settings.add_row(f"  {name}", "" if value is None else str(value))
        out.print(settings)
        counts = Table("table", "rows", box=None, pad_edge=False)
        for name, n in entry["tables"].items():
            counts.add_row(f"  {name}", "missing" if n is None else f"{n:,}")
        out.print(counts)
        if entry["cell_issues"] or entry["structure_issues"]:
            out.print(
                f"  {entry['cell_issues']} cell(s) with unexpected types, "
                f"{len(entry['structure_issues'])} structure issue(s) — run `pmo-xl validate` for details",
                highlight=False,
            )
