"""A DataFrame column's array by name, without building a Series.

The engine reads its tables column by column, a few dozen columns per command, and wants
only the array a Series would wrap. ``frame[name]`` builds that Series first (~7–18 µs
on a first read); pandas' own column accessor gives the array in ~1 µs.

That accessor is private: ``DataFrame._get_column_array(i)``, the numpy array or extension
array of the column at position ``i``: what ``frame[name]._values`` gives. It is
there in every pandas the project allows (2.1 to 3.1: it caps pandas below 3.2 for this
and its other fast paths). Where it is missing, or where a header repeats (``frame[name]``
is then a DataFrame), the reading falls back to ``frame[name]._values`` itself.
tests/test_columns.py holds the two equal.

:func:`column_array` reads one column; :func:`positions` maps the headers to their
positions once, for a caller that reads many columns of one table.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any


def positions(frame: Any, labels: Sequence[Hashable] | None = None) -> dict[Hashable, int] | None:
    """Each column's position by header, for :func:`column_array`'s ``at``; None when a
    header repeats or pandas has no column accessor (then each read takes the fallback).
    ``labels`` are the frame's headers as a list, when the caller has them already."""
    if not hasattr(frame, "_get_column_array"):
        return None
    if labels is None:
        labels = frame.columns.tolist()
    at = {c: k for k, c in enumerate(labels)}  # (a dict: Index lookups cost microseconds each)
    return at if len(at) == len(labels) else None


def column_array(frame: Any, name: Hashable, at: dict[Hashable, int] | None = None) -> Any:
    """``frame[name]._values``: the numpy array or extension array of column ``name``
    (KeyError when there is none). ``at`` is :func:`positions` of this frame, if known."""
    if at is not None:
        return frame._get_column_array(at[name])
    get = getattr(frame, "_get_column_array", None)
    if get is not None:
        loc = frame.columns.get_loc(name)
        if type(loc) is int:  # (a repeated header gives a slice or a mask)
            return get(loc)
    return frame[name]._values
