"""One writer at a time: a lock file next to the workbook.

A pmo-xl command that reads, edits and saves a workbook holds ``.NAME.xlsx.pmo-lock``
(in the workbook's folder) from before it reads until after it has saved, so two writers
never interleave (the second would otherwise save over the first's edits). The lock file
is created with ``O_CREAT | O_EXCL`` — atomic on local and network file systems — and
holds the owner's pid, host and time (JSON) so that a message can say who holds it.

A second writer waits (``wait`` seconds, default :data:`DEFAULT_WAIT`, or the
``PMO_XL_LOCK_WAIT`` environment variable), then fails with
:class:`~pmo_xl.errors.FileInUse`. A lock left behind by a process that died on *this*
host is stale and broken at once; a lock from another host is respected (we cannot see
its processes) unless it is older than :data:`STALE_AFTER`.

Excel's own lock (``~$NAME.xlsx``) is reported first as "open in Excel"
(:func:`pmo_xl.io.atomic.check_not_open`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import FileInUse
from .atomic import check_not_open

DEFAULT_WAIT = 5.0  # seconds
STALE_AFTER = 6 * 3600.0  # seconds: a lock of another host older than this is broken
_POLL = 0.05


def lock_path(workbook: str | os.PathLike[str]) -> Path:
    """``/x/plan.xlsx`` -> ``/x/.plan.xlsx.pmo-lock``."""
    path = Path(workbook)
    return path.with_name(f".{path.name}.pmo-lock")


def default_wait() -> float:
    value = os.environ.get("PMO_XL_LOCK_WAIT", "")
    try:
        return max(0.0, float(value)) if value.strip() else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (sends no signal)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return bool(ok) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def read_owner(lock: Path) -> dict[str, Any] | None:
    """The lock's content (pid, host, time), or None when unreadable/half-written."""
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_stale(lock: Path, owner: dict[str, Any] | None) -> bool:
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return False  # vanished: the next attempt will tell
    if owner is None:
        # being written this instant, or garbage left behind: give a writer a moment
        return age > 2.0
    if owner.get("host") == socket.gethostname():
        try:
            return not pid_alive(int(owner.get("pid", 0)))
        except (TypeError, ValueError):
            return age > 2.0
    return age > STALE_AFTER


def _describe(owner: dict[str, Any] | None) -> str:
    if not owner:
        return "another pmo-xl process"
    return f"another pmo-xl process (pid {owner.get('pid')} on {owner.get('host')}, since {owner.get('time')})"


def _try_create(lock: Path, content: bytes) -> bool:
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, content)
    finally:
        os.close(fd)
    return True


@contextlib.contextmanager
def workbook_lock(workbook: str | os.PathLike[str], *, wait: float | None = None) -> Iterator[Path]:
    """Hold the workbook's pmo-xl lock for the duration of the block.

    Raises :class:`FileInUse` when the workbook is open in Excel, or when another pmo-xl
    process still holds the lock after ``wait`` seconds.
    """
    path = Path(workbook)
    check_not_open(path)
    lock = lock_path(path)
    wait = default_wait() if wait is None else max(0.0, wait)
    content = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        }
    ).encode()
    deadline = time.monotonic() + wait
    while not _try_create(lock, content):
        owner = read_owner(lock)
        if _is_stale(lock, owner):
            with contextlib.suppress(FileNotFoundError):
                # only remove what we judged stale: re-read right before unlinking
                if read_owner(lock) == owner:
                    lock.unlink()
            continue
        if time.monotonic() >= deadline:
            raise FileInUse(
                f"the workbook is in use by {_describe(owner)}; try again in a moment "
                f"(if no pmo-xl is running, delete {lock.name})",
                path=str(path),
            )
        time.sleep(_POLL)
    try:
        yield lock
    finally:
        # remove only our own lock (it may have been broken and retaken meanwhile)
        if lock.exists():
            with contextlib.suppress(OSError):
                if lock.read_bytes() == content:
                    lock.unlink()
