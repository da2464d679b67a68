"""The reader's frames are built from their blocks (``reader._frame_of``): the same frame,
block for block, as pandas' own ``create_dataframe_from_blocks`` (and as the
``DataFrame`` constructor, value for value) on random columns of every kind the reader
makes, its numpy columns copied into its blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.io import reader as rd

pytestmark = pytest.mark.skipif(rd._from_blocks is None or not rd._COW, reason="pandas 2: the constructor's path")


def _array(kind: str, values: list[float | None]) -> object:
    n = len(values)
    missing = np.array([v is None for v in values], dtype=bool)
    nums = np.array([0.0 if v is None else v for v in values], dtype="float64")
    if kind == "float":
        return np.where(missing, np.nan, nums)
    if kind == "date":
        out = (np.datetime64("2024-01-01", "us") + (nums * 86_400e6).astype("int64").astype("timedelta64[us]")).astype(rd.DATE_DTYPE)
        out[missing] = np.datetime64("NaT")
        return out
    if kind == "int":
        return pd.arrays.IntegerArray(nums.astype("int64"), missing)
    if kind == "bool":
        return pd.arrays.BooleanArray(nums > 0, missing)
    if kind == "object":
        out = np.empty(n, dtype=object)
        out[:] = [None if v is None else f"t{v}" for v in values]
        return out
    return pd.array([None if v is None else f"t{v}" for v in values], dtype=rd._STR)


@settings(max_examples=80, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["float", "date", "int", "bool", "object", "text"]), min_size=1, max_size=12),
    values=st.lists(st.one_of(st.none(), st.integers(-5, 500).map(float)), max_size=30),
)
def test_same_blocks_as_pandas(kinds: list[str], values: list[float | None]) -> None:
    arrays = [_array(k, values) for k in kinds]
    columns = pd.Index([f"c{i}" for i in range(len(kinds))])
    index = pd.Index(np.arange(4, 4 + len(values), dtype="int64"), name="row")
    frame = rd._frame_of(arrays, columns.view(), index)
    frame._mgr._verify_integrity()
    # the reference: pandas' public block constructor, blocks in the same order
    groups: dict[object, list[int]] = {}
    blocks: list[tuple[object, np.ndarray]] = []
    for k, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            groups.setdefault(a.dtype, []).append(k)
        else:
            blocks.append((a, np.array([k], dtype=np.intp)))
    for dtype, ks in groups.items():
        block: object = np.stack([arrays[k] for k in ks])
        if dtype.kind == "M":
            block = rd._DatetimeArray._simple_new(block, dtype=dtype)
        blocks.append((block, np.array(ks, dtype=np.intp)))
    want = rd._from_blocks(blocks, index=index, columns=columns)

    def layout(f: pd.DataFrame) -> list[tuple[str, tuple[int, ...], list[int], str]]:
        return [(type(b).__name__, b.shape, list(b.mgr_locs.as_array), str(b.dtype)) for b in f._mgr.blocks]

    assert layout(frame) == layout(want)
    pd.testing.assert_frame_equal(frame, want, check_exact=True)
    by_constructor = pd.DataFrame({c: pd.Series(a, dtype=a.dtype, index=index) for c, a in zip(columns, arrays)}, index=index)
    pd.testing.assert_frame_equal(frame, by_constructor, check_exact=True)
    # numpy columns are copied into the frame's blocks (a view of Arrow memory becomes its own)
    for b in frame._mgr.blocks:
        if isinstance(b.values, np.ndarray):
            assert not any(np.shares_memory(b.values, a) for a in arrays if isinstance(a, np.ndarray))
