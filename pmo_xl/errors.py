"""Errors meant for the user: one line, what is wrong and where, exit code 2."""

from __future__ import annotations

import re

#: A quoted value (a cell's text as ``repr`` gives it) longer than this is cut in messages:
#: a 32,767-character cell must not turn the one-line message into a page.
_LONG_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.){200,}'" + r'|"(?:[^"\\\n]|\\.){200,}"')


def _short(message: str) -> str:
    return _LONG_QUOTED.sub(lambda m: f"{m.group(0)[:61]}…{m.group(0)[0]}", message) if len(message) > 200 else message


class PmoError(Exception):
    """A problem the user can fix (bad input, unreadable file, refused action).

    The command line prints ``str(error)`` on one line and exits with ``exit_code``;
    it never shows a traceback for these.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        message = _short(message)
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message


class NotAWorkbook(PmoError):
    """The file is not a readable .xlsx/.xlsm package (corrupt, encrypted, hostile...)."""


class NotAPmoWorkbook(PmoError):
    """A readable workbook that does not follow the PMO template."""


class RefusedChange(PmoError):
    """A change-register action that the workflow does not allow; nothing is written."""


class FileInUse(PmoError):
    """The workbook is open in Excel or locked by another pmo-xl process."""
