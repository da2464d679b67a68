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


#: The plan columns the CPM tests generate, and their kinds.
PLAN_COLUMNS = ["ID", "WBS", "Task", "Type", "Duration", "Start", "Finish", "Predecessors", "Constraint",
                "Constraint Date", "% Complete", "Actual Start", "Actual Finish", "Status"]
PLAN_DATES = ["Start", "Finish", "Constraint Date", "Actual Start", "Actual Finish"]
PLAN_TEXTS = ["WBS", "Task", "Type", "Predecessors", "Constraint", "Status"]


def plan_frame(rows: list[dict], reader: bool) -> pd.DataFrame:
    """A generated plan (rows over :data:`PLAN_COLUMNS`, Excel rows from 5) as the reader
    types it (Int64, Arrow-backed text, datetime64[us]) or, ``reader=False``, as the rule
    context normalises it (floats, objects, datetime64[ns])."""
    import numpy as np

    frame = pd.DataFrame(rows, index=range(5, 5 + len(rows)), columns=PLAN_COLUMNS)
    frame["ID"] = frame["ID"].astype("Int64") if reader else pd.to_numeric(frame["ID"]).astype(float)
    for name in ("Duration", "% Complete"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    for name in PLAN_DATES:
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]" if reader else "datetime64[ns]")
    for name in PLAN_TEXTS:
        column = frame[name].astype(object).where(frame[name].notna(), None)
        frame[name] = column.astype("str") if reader else column.where(column.notna(), np.nan)
    return frame
