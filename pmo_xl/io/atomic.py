"""Atomic saves: write a temporary file beside the target, fsync, then rename over it.

Kill the process at any moment and the target is either the old file or the new one,
whole. On any failure the temporary file is removed and the original left untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import FileInUse


def excel_lock_file(path: Path) -> Path:
    """Excel's owner file for ``path``: ``~$name.xlsx`` in the same folder."""
    return path.with_name("~$" + path.name)


def check_not_open(path: Path) -> None:
    """Refuse to write a workbook Excel has open (its ``~$`` lock file is present)."""
    lock = excel_lock_file(path)
    if lock.exists():
        raise FileInUse(
            f"the workbook is open in Excel ({lock.name} exists); close it in Excel and try again",
            path=str(path),
        )


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform/filesystem allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    The caller writes the whole file to the yielded path (and closes it). If the block
    raises, the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
