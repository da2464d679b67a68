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


def latest_by_pandas(frame: pd.DataFrame, column: str) -> Any:
    """The record's Baseline Finish as it was taken: the Series' dropna().max(), plain."""
    import datetime as dt

    if column not in frame.columns:
        return None
    finishes = frame[column].dropna()
    if not len(finishes):
        return None
    latest = plain(finishes.max())
    return latest.date() if isinstance(latest, dt.datetime) else latest


def count_statuses_by_series(changes: pd.DataFrame) -> dict[str, int]:
    """The record's CR counts by status as they were taken: the Series' tolist()."""
    from collections import Counter

    from pmo_xl.engine.changes import STATUSES

    out = {s: 0 for s in STATUSES}
    if "Status" not in changes.columns or not len(changes):
        return out
    counts = Counter((str(v).strip() or "Draft") if not (v is None or v is pd.NA or v != v) else "Draft"
                     for v in changes["Status"].tolist())
    for s, n in counts.items():
        key = s if s in out else "(other)"
        out[key] = out.get(key, 0) + int(n)
    return out
