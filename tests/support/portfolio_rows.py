"""The portfolio's detail rows as they were made before the column-wise conversion
(commands/portfolio.py ``_rows`` up to the sixth round): the reference the fast path is
tested against (tests/test_portfolio_rows.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_xl.io.portfolio_book import plain


def rows_by_value(frame: pd.DataFrame, headers: list[str]) -> list[list[Any]]:
    """One object array for the whole table, :func:`plain` per value."""
    if not headers:
        return []
    if list(frame.columns) == list(headers):
        sub = frame
    elif frame.columns.is_unique:
        sub = frame.reindex(columns=headers)
    else:  # repeated headers (a hand-made frame): pick the first of each
        sub = frame.loc[:, ~frame.columns.duplicated()].reindex(columns=headers)
    return [[plain(v) for v in row] for row in sub.to_numpy(dtype=object).tolist()]
