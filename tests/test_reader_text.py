"""The reader's text-column shortcut (offsets widened by numpy) against pandas' own
conversion, on random Arrow string columns: nulls, "" values, sliced arrays."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.io import reader as rd

# pandas 2 has no Arrow-backed str dtype: the shortcut does not exist there (the CI leg on
# Python 3.10 runs pandas 2), so only its test is skipped
needs_arrow_str = pytest.mark.skipif(rd._ARROW_STR is None, reason="pandas 2: no Arrow str dtype, no shortcut to test")


def _reference(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    blanked = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr) if rd._has_empty_text(arr) else arr
    return rd._STR.__from_arrow__(blanked)


values = st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "x", "Täsk 1"])), min_size=1, max_size=30)


@needs_arrow_str
@settings(max_examples=200, deadline=None)
@given(values=values, large=st.booleans(), cut=st.integers(0, 5))
def test_same_as_pandas(values: list[str | None], large: bool, cut: int) -> None:
    arr = pa.array(values, type=pa.large_string() if large else pa.string())
    if cut and len(arr) > cut:
        arr = arr.slice(cut // 2, len(arr) - cut)
    fast = rd._arrow_text(arr)
    want = _reference(arr)
    if fast is None:  # only when a "" has to be blanked
        assert any(v == "" for v in arr.to_pylist())
        return
    assert fast.dtype == want.dtype and type(fast) is type(want)
    assert fast._pa_array.type == want._pa_array.type
    assert fast.to_numpy(na_value=None).tolist() == want.to_numpy(na_value=None).tolist()
    pd.testing.assert_series_equal(pd.Series(fast), pd.Series(want))


def test_duplicate_extra_headers_are_one_column() -> None:
    from pmo_xl import schema
    from pmo_xl.io.package import TablePart

    spec = schema.TABLES["tblResources"]
    headers = tuple(c.name for c in spec.columns) + ("Notes", "Notes")
    part = TablePart(name="tblResources", ref="A3:G5", columns=headers, sheet="Resources", sheet_part="", part="")
    lay = rd._layout(spec, part)
    assert lay.extras == ["Notes"] and list(lay.labels).count("Notes") == 1
    assert lay.extra_cols == (7,) and lay.letters["Notes"] == "G"
