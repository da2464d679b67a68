"""The rule context's block normalisation checked against its pandas route: the same frame
(values and each text's Python type) and the same text codes, for any table spec."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from pmo_xl.engine.rules import _context
from pmo_xl.engine.rules._context import RuleContext, _normalised, _normalised_by_pandas
from pmo_xl.model import Book, TableData


def assert_normalised_as_pandas(frame: pd.DataFrame, spec: Any, texts: Iterable[str]) -> tuple[pd.DataFrame, dict]:
    """Asserts ``_normalised`` equals ``_normalised_by_pandas`` on ``frame``, with the same
    value types in the ``texts`` columns and the same int64 codes; returns the pandas
    route's frame and codes."""
    fast_codes: dict = {}
    slow_codes: dict = {}
    fast = _normalised(frame, spec, fast_codes)
    slow = _normalised_by_pandas(frame, spec, slow_codes)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for c in texts:
        assert [type(v) for v in fast[c].tolist()] == [type(v) for v in slow[c].tolist()]
    assert fast_codes.keys() == slow_codes.keys()
    for k, (codes, uniques) in fast_codes.items():
        assert np.array_equal(codes, slow_codes[k][0]) and codes.dtype == np.int64 and uniques == slow_codes[k][1], k
    return slow, slow_codes


@contextmanager
def plan_context(frame: pd.DataFrame, spec: Any) -> Iterator[RuleContext]:
    """A rule context over a book whose tblPlan is ``frame``, read with ``spec`` as
    tblPlan's contract while the block is open."""
    book = Book("t.xlsx", {}, tables={"tblPlan": TableData("tblPlan", "Plan", frame, {})})
    ctx = RuleContext(book)
    saved = _context.schema.TABLES["tblPlan"]
    _context.schema.TABLES["tblPlan"] = spec
    try:
        yield ctx
    finally:
        _context.schema.TABLES["tblPlan"] = saved
