"""``finance._factorize_ids`` (Task IDs numbered through a table of slots, empty cells
left out) against ``pd.factorize`` on random ID columns: empty cells anywhere, all
empty, -0.0 and 0.0, fractions, infinities, IDs too far apart for a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules.finance import _factorize_ids

VALUES = st.sampled_from([np.nan, np.nan, 1.0, 2.0, 3.0, 7.0, 0.0, -0.0, -4.0, 2.5, np.inf, 1e17, 2.0 ** 53])


def _same(a, b):
    return a[0].tolist() == b[0].tolist() and [repr(v) for v in a[1].tolist()] == [repr(v) for v in b[1].tolist()]


@settings(max_examples=500, deadline=None)
@given(st.lists(VALUES, max_size=30))
def test_factorize_ids_is_pandas_factorize(values):
    v = np.array(values, dtype=float)
    assert _same(_factorize_ids(v), pd.factorize(v))


def test_empty_cells_among_whole_ids():
    v = np.array([np.nan, 5.0, 3.0, np.nan, 5.0, 4.0])
    codes, uniques = _factorize_ids(v)
    assert codes.tolist() == [-1, 0, 1, -1, 0, 2] and uniques.tolist() == [5.0, 3.0, 4.0]
    assert _same(_factorize_ids(np.array([np.nan, np.nan])), pd.factorize(np.array([np.nan, np.nan])))
