"""The ``Predecessors`` column: ``3, 5SS+2, 7FF-1, 9SF`` (SPEC §2 tblPlan, §3).

Grammar of one part (case-insensitive, spaces allowed anywhere between the pieces)::

    ID [TYPE] [(+|-) N [UNIT]]

* ``ID``: the predecessor's task ID, a whole number.
* ``TYPE``: ``FS`` (default), ``SS``, ``FF`` or ``SF``.
* ``N``: the lag in whole working days; ``-N`` is a lead. ``5+2`` (no type) means
  ``5FS+2``.
* ``UNIT``: optional ``d``, ``day`` or ``days`` (as Microsoft Project writes
  ``5FS+2 days``); the lag is always in working days. Other units (``w``, ``h``, ``ed``,
  ``%``) and fractional lags are reported, not guessed.

Parts are separated by commas; semicolons are accepted too (the list separator of
European Excel and Microsoft Project locales). Empty parts (``3, , 5`` or a trailing
comma) are ignored. A predecessor named twice keeps its first link and the second is
reported (Microsoft Project allows one link per pair of tasks).

Parsing never raises: :func:`parse_predecessors` returns the links it understood and a
list of :class:`LinkProblem` naming the offending text.

>>> links, problems = parse_predecessors("3, 5ss+2, 7FF-1 , 9SF, x")
>>> [str(link) for link in links], [p.text for p in problems]
(['3', '5SS+2', '7FF-1', '9SF'], ['x'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["LINK_TYPES", "Link", "LinkProblem", "clear_parse_caches", "format_links", "parse_predecessors"]

LINK_TYPES: tuple[str, ...] = ("FS", "SS", "FF", "SF")

_PART = re.compile(
    r"""^\s*(?P<id>\d+)\s*
        (?P<type>[a-z]{2})?\s*
        (?:(?P<sign>[+-])\s*(?P<lag>\d+(?:\.\d*)?)\s*(?P<unit>[a-z%]+)?)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_DAY_UNITS = {"d", "day", "days", "wd", "wday", "wdays"}
_SEPARATOR = re.compile(r"[,;]")


@dataclass(frozen=True)
class Link:
    """A dependency on task ``pred``: type FS/SS/FF/SF, lag in working days (< 0 = lead)."""

    pred: int
    type: str = "FS"
    lag: int = 0

    def __str__(self) -> str:
        lag = f"{self.lag:+d}" if self.lag else ""
        kind = "" if self.type == "FS" and not lag else self.type
        return f"{self.pred}{kind}{lag}"


@dataclass(frozen=True)
class LinkProblem:
    """A part of the Predecessors text that is not a valid link."""

    text: str
    message: str


def parse_predecessors(text: Any) -> tuple[list[Link], list[LinkProblem]]:
    """Parse a Predecessors cell into links and problems (never raises).

    ``text`` may be a string, a number (a cell holding ``3`` reads as 3 or 3.0) or empty
    (None, NaN, ``""``).
    """
    if type(text) is str:  # the common case first (validation reads each cell three times)
        links, problems = _parse_text(text)
        return list(links), list(problems)
    if text is None:
        return [], []
    if isinstance(text, bool):
        return [], [LinkProblem(str(text), "not a predecessor list")]
    if isinstance(text, (int, float)):
        if text != text:  # NaN
            return [], []
        if float(text).is_integer() and text > 0:
            return [Link(int(text))], []
        return [], [LinkProblem(str(text), "a predecessor must be a task ID, a whole number > 0")]
    links, problems = _parse_text(str(text))
    return list(links), list(problems)


#: The longest Predecessors text, and part, the parse caches keep: a longer one (longer
#: than any real predecessor list) is parsed each time, so the caches are bounded in size,
#: not only in count.
_REMEMBERED_TEXT, _REMEMBERED_PART = 512, 64


def _parse_text(text: str) -> tuple[tuple[Link, ...], tuple[LinkProblem, ...]]:
    """Parse one text, remembered when short: validation reads each Predecessors cell
    three times (CPM, rules, DCMA). Links and problems are immutable, so the results are
    shared."""
    return (_remembered_text if len(text) <= _REMEMBERED_TEXT else _parse_text_now)(text)


def _parse_text_now(text: str) -> tuple[tuple[Link, ...], tuple[LinkProblem, ...]]:
    """:func:`_parse_text` without the cache."""
    bare = text.strip()
    if bare.isdecimal() and int(bare) > 0:  # the common case: one FS link, no lag
        link = _part(bare)[0]
        assert link is not None  # (a bare ID > 0 is always a link)
        return (link,), ()
    links: list[Link] = []
    problems: list[LinkProblem] = []
    seen: set[int] = set()
    for raw in _SEPARATOR.split(text):
        part = raw.strip()
        if not part:
            continue
        # each part remembered too: ``4, 8, 11`` is new in each workbook, ``4``, ``8``
        # and ``11SS+1`` are not (a regex match and a Link each, ~5 µs, saved)
        link, message = _part(part)
        if link is None:
            problems.append(LinkProblem(part, message))
        elif link.pred in seen:
            problems.append(LinkProblem(part, f"task {link.pred} is already a predecessor; only the first link is used"))
        else:
            seen.add(link.pred)
            links.append(link)
    return tuple(links), tuple(problems)


def _part(part: str) -> tuple[Link | None, str]:
    """:func:`_parse_part`, remembered when ``part`` is short (any real link is)."""
    return (_remembered_part if len(part) <= _REMEMBERED_PART else _parse_part)(part)


def _parse_part(part: str) -> tuple[Link | None, str]:
    """One stripped, non-empty part: its link, or None and what is wrong with it."""
    if part.isdecimal() and int(part) > 0:  # a bare ID: FS, no lag
        return Link(int(part)), ""
    m = _PART.match(part)
    if m is None:
        return None, (
            f"{part!r} is not a link: write ID[FS|SS|FF|SF][+N|-N], e.g. 5, 5SS+2, 7FF-1 (N in working days)"
        )
    pred = int(m["id"])
    if pred <= 0:
        return None, f"{part!r}: a task ID is a whole number > 0"
    kind = (m["type"] or "FS").upper()
    if kind not in LINK_TYPES:
        return None, f"{part!r}: link type {m['type']!r} is not one of FS, SS, FF, SF"
    lag = 0
    if m["lag"] is not None:
        unit = (m["unit"] or "d").lower()
        if unit not in _DAY_UNITS:
            return None, f"{part!r}: lags are in working days (e.g. +2 or +2d), not {m['unit']!r}"
        value = float(m["lag"])
        if not value.is_integer():
            return None, f"{part!r}: a lag is a whole number of working days"
        lag = int(value) * (-1 if m["sign"] == "-" else 1)
    return Link(pred, kind, lag), ""


_remembered_text = lru_cache(maxsize=1 << 16)(_parse_text_now)
_remembered_part = lru_cache(maxsize=1 << 16)(_parse_part)


def clear_parse_caches() -> None:
    """Forget every Predecessors text and part parsed so far (what a benchmark does before
    each run, so that each is a first validation)."""
    _remembered_text.cache_clear()
    _remembered_part.cache_clear()


def format_links(links: list[Link]) -> str:
    """The canonical Predecessors text: ``3, 5SS+2, 7FF-1, 9SF`` (FS without lag is bare)."""
    return ", ".join(str(link) for link in links)
