"""The table-numbered codes of the finance rules against pd.factorize."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.rules.finance import _factorize_ids, _first_seen

_IDS = st.lists(st.one_of(st.integers(-5, 40).map(float), st.sampled_from([np.nan, -0.0, 2.5, 1e300, -np.inf])),
                max_size=60)


@settings(max_examples=300, deadline=None)
@given(_IDS)
def test_factorize_ids_is_pd_factorize(values):
    v = np.array(values, dtype=float)
    codes, uniques = _factorize_ids(v)
    want_codes, want_uniques = pd.factorize(v)
    assert np.array_equal(codes, want_codes)
    assert np.array_equal(uniques, want_uniques, equal_nan=True)
    assert np.array_equal(np.signbit(uniques), np.signbit(want_uniques))  # -0.0 as first seen


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 29), max_size=80))
def test_first_seen_numbers_in_order_of_appearance(keys):
    k = np.array(keys, dtype=np.int64)
    codes, first_at = _first_seen(k, 30)
    assert np.array_equal(codes, pd.factorize(k)[0])
    assert first_at.tolist() == [keys.index(x) for x in dict.fromkeys(keys)]
