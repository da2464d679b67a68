"""``pmo-xl upgrade``: bring workbooks to the current template version (SPEC §1, §9).

>>> upgrade_file("old.xlsx", dry_run=True)["changes"]   # doctest: +SKIP
[{'kind': 'sheet', 'name': 'Costs', ...}, {'kind': 'column', 'name': 'tblPlan[Constraint Date]', ...}]

Adds what the template has and the workbook lacks (sheets, tables, columns, defined
names, drop-downs) and records the new ``TemplateVersion``; never removes, reorders or
rewrites what is there (:mod:`pmo_xl.io.upgrade`). A workbook that is already current
is not written at all; one of a newer template version is refused.

Per file (SPEC §8 ``files`` entry): ``{path, ok, error, from_version, to_version,
changed, dry_run, changes: [{kind, name, sheet, where, detail}], notes: [...]}``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Iterable

from . import for_each_file


def upgrade_file(path: str | Path, *, dry_run: bool = False, wait: float | None = None) -> dict[str, Any]:
    """Upgrade one workbook (atomic, lossless save; nothing written for a dry run or when
    nothing is missing)."""
    from ..io.upgrade import UpgradeEditor, plan_upgrade

    def run() -> dict[str, Any]:
        ed = UpgradeEditor.open(path)
        plan = plan_upgrade(ed)
        changes = [c for c in plan.changes if c.kind != "note"]
        if plan.needed and not dry_run:
            ed.save()
        return {
            "from_version": plan.from_version,
            "to_version": plan.to_version,
            "changed": plan.needed and not dry_run,
            "dry_run": dry_run,
            "changes": [c.to_dict() for c in changes],
            "notes": [c.detail for c in plan.changes if c.kind == "note"],
        }

    if dry_run:
        return run()
    from ._common import writing

    with writing(path, wait):
        return run()


def upgrade_files(paths: Iterable[str | Path], *, dry_run: bool = False, jobs: int | None = 1) -> list[dict[str, Any]]:
    """SPEC §8 ``files`` entries; a file that cannot be upgraded is ``ok: false`` with its
    error and the others are still upgraded."""
    return for_each_file(paths, functools.partial(upgrade_file, dry_run=dry_run), jobs, "Upgrading")


def render_text(files: list[dict[str, Any]]) -> None:
    import click

    from ..io.upgrade import Change
    from . import printable

    for f in files:
        if not f["ok"]:
            click.echo(printable(f"pmo-xl: {f['path']}: {f['error']}"), err=True)
            continue
        old = "unversioned" if f["from_version"] is None else f"version {f['from_version']}"
        if not f["changes"]:
            click.echo(f"{f['path']}: current (template version {f['to_version']}), nothing to do")
        else:
            verb = "would be upgraded" if f["dry_run"] else "upgraded"
            click.echo(f"{f['path']}: {verb} from {old} to version {f['to_version']}:")
            for c in f["changes"]:
                click.echo(f"  {Change(**c)}")
        for note in f["notes"]:
            click.echo(printable(f"  note: {note}"))
