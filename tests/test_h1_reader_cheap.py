"""The reader's cheap paths against what they replace: dates floored to midnight by a cast
to days (the earlier int64 remainder), and a table's first column found full from its
null count, mask or NaT (the earlier pd.isna)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.io.reader import DATE_DTYPE, _full, _midnight

_DAY_US = 86_400_000_000


def _midnight_before(stamps: np.ndarray) -> np.ndarray:
    ticks = stamps.view("int64")
    out = (ticks - ticks % _DAY_US).view(DATE_DTYPE)
    out[np.isnat(stamps)] = np.datetime64("NaT")
    return out


_TICKS = st.integers(min_value=-2_209_161_600_000_000, max_value=7_258_118_400_000_000)  # 1900..2200


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_TICKS, st.none()), max_size=40))
def test_midnight_matches_the_remainder(values):
    stamps = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "us") for v in values], dtype=DATE_DTYPE)
    got, want = _midnight(stamps), _midnight_before(stamps)
    assert got.dtype == want.dtype
    assert got.view("int64").tolist() == want.view("int64").tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=20), st.sampled_from(["int", "text", "date", "float", "object"]))
def test_full_only_when_nothing_is_missing(values, kind):
    if kind == "int":
        arr = pd.array(values, dtype="Int64")
    elif kind == "text":
        arr = pd.array([None if v is None else str(v) for v in values], dtype="str")
    elif kind == "date":
        arr = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values], dtype=DATE_DTYPE)
    elif kind == "float":
        arr = np.array([np.nan if v is None else v for v in values], dtype="float64")
    else:
        arr = np.array(values, dtype=object)
    if _full(arr):
        assert not np.asarray(pd.isna(arr), dtype=bool).any()
    if kind in ("int", "date") or (kind == "text" and type(arr).__name__ == "ArrowStringArray"):
        assert _full(arr) == (not np.asarray(pd.isna(arr), dtype=bool).any())
