"""A contract table as the reader gives it, from a few rows written as dicts."""

from __future__ import annotations

import pandas as pd

from pmo_xl.schema import TABLES


def frame(name: str, rows: list[dict], first_row: int = 5) -> pd.DataFrame:
    """A table as the reader gives it: contract columns, Excel row numbers as index."""
    cols = TABLES[name].headers
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    for c in TABLES[name].columns:
        if c.kind == "date":
            df[c.name] = pd.to_datetime(df[c.name])
        elif c.kind == "int":
            df[c.name] = pd.array([None if pd.isna(v) else int(v) for v in df[c.name]], dtype="Int64")
        elif c.kind in ("number", "percent"):
            df[c.name] = pd.to_numeric(df[c.name]).astype(float)
    df.index = range(first_row, first_row + len(df))
    return df
