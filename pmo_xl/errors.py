"""Errors meant for the user: one line, what is wrong and where, exit code 2."""

from __future__ import annotations


class PmoError(Exception):
    """A problem the user can fix (bad input, unreadable file, refused action).

    The command line prints ``str(error)`` on one line and exits with ``exit_code``;
    it never shows a traceback for these.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
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
