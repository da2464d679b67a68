"""Column letters <-> numbers for the test helpers (written here, independently of
:func:`pmo_xl.io.package.column_letter`, so the helpers do not lean on the code under test)."""

from __future__ import annotations


def letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def col_number(letters: str) -> int:
    """A -> 1, AA -> 27 (either case)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n
