"""``pmo-xl demo``: write a realistic example project workbook (a CRM roll-out, SPEC §8).

The data comes from :func:`pmo_xl.demo.make_demo` (deterministic per seed, with a few
deliberate defects for the validator to find); the workbook from the standard template
builder, :func:`pmo_xl.io.template.build_workbook`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PmoError


def demo_workbook(
    path: str | Path,
    seed: int = 1,
    tasks: int | None = None,
    timesheet_rows: int | None = None,
    force: bool = False,
) -> Path:
    """Write the example project for ``seed`` to ``path`` and return the path.

    ``tasks``: plan rows (at least 40; default about 60). ``timesheet_rows``: timesheet
    rows (default about 1,200). Refuses to replace an existing file unless ``force``.
    """
    from ..demo import MIN_TASKS, make_demo
    from ..io.template import build_workbook

    if tasks is not None and tasks < MIN_TASKS:
        raise PmoError(f"--tasks: at least {MIN_TASKS} plan rows, got {tasks}")
    if timesheet_rows is not None and timesheet_rows < 1:
        raise PmoError(f"--timesheet-rows: at least 1, got {timesheet_rows}")
    path = Path(path)
    if path.exists() and not force:  # before the work of generating the data
        raise PmoError(f"{path} already exists; use --force to replace it")
    demo = make_demo(seed, tasks=tasks, timesheet_rows=timesheet_rows)
    return build_workbook(path, demo.settings, demo.rows, overwrite=force)
