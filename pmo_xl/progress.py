"""A progress bar for long batches, on stderr, only when stderr is a terminal (SPEC §8).

>>> with progress(len(paths), "Reading") as advance:      # doctest: +SKIP
...     for p in paths:
...         work(p)
...         advance()

Piped or redirected (CI logs, ``2>file``), it prints nothing: the callable it yields does
nothing. rich is imported only when a bar is actually shown.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _nothing(n: int = 1) -> None:
    return None


@contextlib.contextmanager
def progress(total: int, description: str = "Working", *, enabled: bool | None = None) -> Iterator[Callable[..., None]]:
    """Yield ``advance(n=1)``; shows "description ━━━━ 12/200 files · 0:00:03 · ETA 0:00:41".

    ``enabled``: None = only when stderr is a terminal and there is more than one item.
    """
    if enabled is None:
        enabled = total > 1 and stderr_is_terminal()
    if not enabled:
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files ·"),
        TimeElapsedColumn(),
        TextColumn("· ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance
