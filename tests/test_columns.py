"""``column_array`` (pmo_xl.engine._columns) gives what ``frame[name]._values`` gives, for
every column type the reader and the rule context make (Arrow text, Int64, naive and
zoned datetimes, objects, floats, categories), repeated headers (the fallback) and
frames whose pandas has no column accessor; a missing column is a KeyError, as
``frame[name]`` makes it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine._columns import column_array, positions
from pmo_xl.engine.cpm import _values as cpm_values
from pmo_xl.engine.finance import _table

N = 3
DAYS = [dt.datetime(2025, 1, 6), None, dt.datetime(2025, 2, 28)]
COLUMNS = {
    "arrow text": lambda: pd.array(["a", None, " b "], dtype=pd.StringDtype("pyarrow")),
    "text": lambda: pd.Series(["a", None, "c"]).array,
    "Int64": lambda: pd.array([1, None, 3], dtype="Int64"),
    "Float64": lambda: pd.array([1.5, None, 3.0], dtype="Float64"),
    "boolean": lambda: pd.array([True, None, False], dtype="boolean"),
    "float": lambda: np.array([1.0, np.nan, 2.5]),
    "int": lambda: np.array([1, 2, 3]),
    "bool": lambda: np.array([True, False, True]),
    "object": lambda: np.array([1, "x", None], dtype=object),
    "datetime64[ns]": lambda: pd.to_datetime(pd.Series(DAYS)).astype("datetime64[ns]").array,
    "datetime64[us]": lambda: pd.Series(DAYS, dtype="datetime64[us]").array,
    "datetime UTC": lambda: pd.Series(DAYS, dtype="datetime64[us]").dt.tz_localize("UTC").array,
    "category": lambda: pd.Categorical(["a", "b", None]),
}


def _same(a, b) -> None:
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    if a.ndim == 1:
        assert pd.Series(a, copy=False).equals(pd.Series(b, copy=False))
    else:
        assert pd.DataFrame(a).equals(pd.DataFrame(b))


class _NoAccessor:
    """A frame as a pandas without ``_get_column_array`` shows it."""

    def __init__(self, frame: pd.DataFrame):
        self.columns = frame.columns
        self._frame = frame

    def __getitem__(self, name):
        return self._frame[name]


@st.composite
def frames(draw) -> pd.DataFrame:
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=6))
    # few labels, so that some repeat; text and numbers, as hand-made frames have them
    labels = draw(st.lists(st.sampled_from(["ID", "Start", "Task", 0, 1]), min_size=len(kinds), max_size=len(kinds)))
    return pd.concat([pd.DataFrame({label: COLUMNS[kind]()}) for label, kind in zip(labels, kinds)], axis=1)


@settings(max_examples=150, deadline=None)
@given(frames())
def test_column_array_is_the_series_values(frame):
    at = positions(frame)
    labels = frame.columns.tolist()
    assert (at is not None) == (len(set(labels)) == len(labels))
    for name in labels:
        want = frame[name]._values
        _same(column_array(frame, name), want)
        _same(column_array(_NoAccessor(frame), name), want)
        if at is not None:
            _same(column_array(frame, name, at), want)
        _same(cpm_values(frame, name), want)


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_each_column_type_by_position(kind):
    frame = pd.DataFrame({"Note": ["x"] * N, kind: COLUMNS[kind]()})
    at = positions(frame)
    assert at == {"Note": 0, kind: 1}
    _same(column_array(frame, kind, at), frame[kind]._values)


def test_a_repeated_header_reads_both_columns():
    frame = pd.concat([pd.DataFrame({"Start": COLUMNS["datetime64[us]"]()}),
                       pd.DataFrame({"Start": COLUMNS["text"](), "Task": COLUMNS["Int64"]()})], axis=1)
    assert positions(frame) is None
    _same(column_array(frame, "Start"), frame["Start"]._values)  # a 2-D array of both
    assert column_array(frame, "Start").shape == (N, 2)
    _same(column_array(frame, "Task"), frame["Task"]._values)  # the others by the accessor


def test_a_missing_column_is_a_key_error():
    frame = pd.DataFrame({"ID": [1, 2]})
    for args in ((frame, "Task"), (frame, "Task", positions(frame)), (_NoAccessor(frame), "Task")):
        with pytest.raises(KeyError):
            column_array(*args)
    assert cpm_values(frame, "Task") is None


def test_without_the_accessor_there_are_no_positions():
    frame = pd.DataFrame({"ID": [1, 2]})
    assert positions(_NoAccessor(frame)) is None


def test_the_roll_up_table_reads_the_same_columns():
    """finance's table: its contract's missing columns added, every column as ``frame[name]._values``."""
    plan = pd.DataFrame({"ID": pd.array([1, 2], dtype="Int64"), "Start": pd.Series(DAYS[:2], dtype="datetime64[us]")})
    table = _table({"tblPlan": plan}, "tblPlan")
    assert table["ID"] is not None and len(table) == 2
    for name in table.frame.columns:
        _same(table[name], table.frame[name]._values)
    with pytest.raises(KeyError):
        table["No such column"]
