"""Keep the Rust readers' panic notes off the user's terminal.

fastexcel and python-calamine are Rust. A cell they cannot handle (a date-formatted
number far beyond Excel's dates) makes them *panic*: pyo3 turns the panic into an
exception, which the reader reports in one clear line ("sheet 'Plan' cannot be read
(...)"), but Rust's panic hook has already written its own note straight to file
descriptor 2 -- three lines, or a stack backtrace of ninety when ``RUST_BACKTRACE`` is
set. No Python setting reaches that hook, so :func:`rust_notes_quiet` points descriptor 2
at a temporary file while a workbook is read, then writes back everything it caught
except the panic notes (:func:`without_panic_notes`): a warning printed meanwhile still
reaches stderr, after the read. ``PMO_XL_DEBUG=1`` leaves the notes in.

The redirection is process-wide, so it is counted: overlapping reads in several threads
redirect once and restore once, when the last one ends. Where descriptor 2 is not open
(``pythonw``, a service) nothing is redirected.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

__all__ = ["is_panic", "rust_notes_quiet", "without_panic_notes"]

#: the first line of a note of Rust's default panic hook (the thread id is new in Rust 1.89)
_HEAD = re.compile(r"thread '[^'\n]*'(?: \(\d+\))? panicked at ")
_FRAME = re.compile(r"\s")  # a backtrace line: "   0: ...", "             at ..."

_lock = threading.Lock()
_depth = 0
_saved: int | None = None  # descriptor 2 as it was, while redirected
_capture: tuple[int, IO[bytes]] | None = None  # (pid, file): a forked child makes its own


def is_panic(exc: BaseException) -> bool:
    """A panic of the Rust readers (fastexcel, python-calamine): pyo3 raises it as a
    ``BaseException``, which no ``except Exception`` catches."""
    return type(exc).__name__ == "PanicException"


def without_panic_notes(text: str) -> str:
    """``text`` without the notes Rust's panic hook writes: an empty line, the ``thread '…'
    panicked at …`` line and its message line, then a ``stack backtrace:`` and its frames
    when there is one, then a ``note: …`` line when there is one. Every other line is
    kept, in order."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _HEAD.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        if out and out[-1] in ("\n", "\r\n"):  # the hook starts its note on a new line
            out.pop()
        i += 2  # the head and the panic's message
        if i < len(lines) and lines[i].rstrip("\r\n") == "stack backtrace:":
            i += 1
            while i < len(lines) and _FRAME.match(lines[i]):
                i += 1
        if i < len(lines) and lines[i].startswith("note: "):
            i += 1
    return "".join(out)


@contextmanager
def rust_notes_quiet() -> Iterator[None]:
    """While the block runs, what is written to descriptor 2 is held back; afterwards it
    is written there without Rust's panic notes (see the module's docstring)."""
    if os.environ.get("PMO_XL_DEBUG") or not _enter():
        yield
        return
    try:
        yield
    finally:
        _leave()


def _enter() -> bool:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            try:
                capture = _capture_file()
                _flush_stderr()
                saved = os.dup(2)
            except OSError:  # no descriptor 2 (pythonw), no temporary folder: no redirection
                return False
            try:
                os.dup2(capture.fileno(), 2)
            except OSError:
                os.close(saved)
                return False
            _saved = saved
        _depth += 1
        return True


def _leave() -> None:
    global _depth, _saved
    with _lock:
        if _depth <= 0:  # (a block entered before a fork, left in the child: see _in_child)
            return
        _depth -= 1
        if _depth or _saved is None:
            return
        _flush_stderr()
        os.dup2(_saved, 2)
        os.close(_saved)
        _saved = None
        _forward()


def _in_child() -> None:
    """A child forked while descriptor 2 was redirected (by another thread) writes to the
    real stderr and starts uncounted, with a lock of its own."""
    global _lock, _depth, _saved
    _lock = threading.Lock()
    if _saved is not None:
        try:
            os.dup2(_saved, 2)
            os.close(_saved)
        except OSError:
            pass
    _saved, _depth = None, 0


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_in_child)


def _capture_file() -> IO[bytes]:
    global _capture
    if _capture is None or _capture[0] != os.getpid():
        _capture = (os.getpid(), tempfile.TemporaryFile())
    return _capture[1]


def _forward() -> None:
    """What the capture file caught, without panic notes, to descriptor 2; then empty it."""
    assert _capture is not None
    fd = _capture[1].fileno()
    size = os.lseek(fd, 0, os.SEEK_CUR)  # (descriptor 2 shared this file's offset)
    if not size:
        return
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    # surrogateescape: the bytes that are not UTF-8 go back as they came
    kept = without_panic_notes(b"".join(chunks).decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
    try:
        while kept:
            kept = kept[os.write(2, kept):]
    except OSError:
        pass


def _flush_stderr() -> None:
    stream = sys.stderr
    if stream is not None:
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
