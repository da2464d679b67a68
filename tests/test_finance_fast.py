"""The roll-up's array shortcuts agree with the pandas operations they replace.

``pmo_xl.engine.finance`` sums groups without building frames (:func:`_group_sums`),
cleans small text columns in plain Python (:func:`_text_list`) and looks task IDs up by
binary search (:meth:`_Tasks.find`); each is checked here against the pandas definition,
to the last digit and on random inputs (sorted and unsorted groups, NaN, -0.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.finance import (
    _group_sums,
    _memo_prefixes,
    _task_windows,
    _text_list,
    _texts,
    _wbs_key,
    _wbs_prefixes,
    _wbs_sorted,
    rollup,
)

MONEY = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False) | st.sampled_from([0.1, 0.2, 447.9, 258.86, -0.0, 1e-9])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), MONEY, MONEY, st.booleans()), max_size=60),
    sort=st.booleans(),
    nan=st.booleans(),
)
def test_group_sums_are_pandas_group_by_sums(rows, sort, nan):
    if sort:  # rows sorted by group: pandas >= 3.1 sums them another way
        rows = sorted(rows, key=lambda r: r[0])
    keys = np.array([r[0] for r in rows], dtype=np.intp)
    a = np.array([r[1] for r in rows], dtype=float)
    b = np.array([np.nan if nan and r[3] else r[2] for r in rows], dtype=float)
    frame = pd.DataFrame({"a": a, "b": b}).groupby(keys).sum()
    series = pd.Series(a).groupby(keys).sum()
    groups = np.unique(keys)
    codes = np.searchsorted(groups, keys)  # the group-by's numbering: ranks of the keys
    got = _group_sums(codes, np.column_stack([a, b]), len(groups))
    got_one = _group_sums(codes, a, len(groups))
    assert got.shape == (len(groups), 2)
    np.testing.assert_array_equal(got, frame.to_numpy())  # NaN skipped, like pandas
    np.testing.assert_array_equal(got_one, series.to_numpy())
    assert [str(x) for x in got.ravel()] == [str(x) for x in frame.to_numpy().ravel()]  # -0.0 too


def test_group_sums_add_in_pandas_order_to_the_last_digit():
    x = np.array([447.9, 258.86, 1090.56, 614.61, 994.34])  # sums differ by order and method
    for codes in (np.zeros(5, dtype=np.intp), np.array([0, 1, 0, 0, 0])):
        want = pd.Series(x).groupby(codes).sum().to_numpy()
        assert _group_sums(codes, x, int(codes.max()) + 1).tolist() == want.tolist()


def test_group_sums_skip_negative_codes_and_fill_empty_groups():
    got = _group_sums(np.array([-1, 2, 2]), np.array([5.0, 1.0, 2.0]), 4)
    assert got.tolist() == [0.0, 0.0, 3.0, 0.0]


TEXT = st.one_of(st.none(), st.text(alphabet=" \t\nab\u00a0\u2003é", max_size=5))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(TEXT, max_size=12), empty=st.sampled_from(["", "Labour"]), dtype=st.sampled_from(["str", object]))
def test_text_list_is_texts(values, empty, dtype):
    s = pd.Series(values, dtype=dtype)
    assert _text_list(s, empty) == _texts(s, empty).tolist()


def test_text_list_of_other_values_is_texts():
    s = pd.Series([1, 2.5, None, " x "], dtype=object)
    assert _text_list(s) == _texts(s).tolist()


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.integers(-3, 8)), max_size=15),
       probe=st.lists(st.one_of(st.just(float("nan")), st.integers(-4, 9).map(float)), max_size=10))
def test_task_find_is_first_row_of_each_id(ids, probe):
    plan = pd.DataFrame({
        "ID": pd.array(ids, dtype="Int64"),
        "% Complete": np.arange(len(ids), dtype=float),
        **{c: pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[us]")
           for c in ("Baseline Start", "Baseline Finish", "Start", "Finish", "Actual Start", "Actual Finish")},
    })
    tasks = _task_windows(plan)
    first = pd.Series(range(len(ids)), index=pd.Index(ids, dtype="Float64")).dropna()
    first = first[~first.index.isna() & ~first.index.duplicated()]
    assert tasks.ids.tolist() == first.index.astype(float).tolist()
    assert tasks.pct.tolist() == [float(i) for i in first.to_list()]
    pos = tasks.find(np.array(probe))
    want = [first.index.astype(float).tolist().index(p) if p in set(tasks.ids.tolist()) else -1 for p in probe]
    assert pos.tolist() == want


def test_rollup_frames_are_typed_as_before_with_empty_tables():
    """Text columns of the roll-up's frames keep the types the stacked frames had: str
    only where a non-empty table gave them text (object where pandas 3 stacks an empty
    frame, or tblCosts' missing Person, under them)."""
    settings_ = {"StartDate": "2025-01-06", "StatusDate": "2025-02-28", "WorkWeek": "1111100"}
    plan = pd.DataFrame({"ID": pd.array([1], dtype="Int64"), "WBS": ["1"], "Task": ["A"],
                         "Start": pd.to_datetime(["2025-01-06"]), "Finish": pd.to_datetime(["2025-03-28"]),
                         "% Complete": [0.5]})
    costs = pd.DataFrame({"Date": pd.to_datetime(["2025-06-01"]), "Task ID": pd.array([1], dtype="Int64"),
                          "Category": ["Travel"], "Amount": [10.0]})
    ts = pd.DataFrame({"Date": pd.to_datetime(["2025-01-07", "2025-06-01"]), "Person": ["Zed", "Ann"],
                       "Task ID": pd.array([1, 1], dtype="Int64"), "Hours": [8.0, 4.0]})
    text = pd.Series(["x"]).astype("str").dtype
    r = rollup({"tblPlan": plan, "tblCosts": costs, "tblTimesheet": ts}, settings_)
    assert r.after_status_date["Table"].tolist() == ["tblTimesheet", "tblCosts"]
    assert r.after_status_date["Person"].tolist() == ["Ann", None]
    assert r.after_status_date["Person"].dtype == object and r.after_status_date["Category"].dtype == text
    assert r.by_person["Person"].tolist() == ["Zed"] and r.by_person["Person"].dtype == object
    assert r.unrated_people["Person"].tolist() == ["Zed"] and r.unrated_people["Reason"].tolist() == ["not in tblResources"]
    r = rollup({"tblPlan": plan, "tblCosts": costs}, settings_)
    assert r.after_status_date["Category"].dtype == object  # under an empty timesheet's frame
    assert r.unrated_people.dtypes.tolist() == [object, np.dtype(float), np.dtype(float)]
    assert len(r.by_person) == 0 and len(r.by_category) == 0 and r.by_category["Category"].dtype == object


WBS = st.lists(st.sampled_from(["1", "2", "10", "01", "a", "", "B", "1a"]), min_size=1, max_size=5).map(".".join)


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(WBS, max_size=30))
def test_wbs_order_and_prefixes_are_the_plain_definitions(codes):
    assert _wbs_sorted(codes) == sorted(codes, key=_wbs_key)
    memo: dict[str, list[str]] = {}
    for w in codes:
        assert _memo_prefixes(memo, w) == _wbs_prefixes(w)


@settings(max_examples=100, deadline=None)
@given(codes=st.lists(st.lists(st.integers(0, 120).map(str), min_size=1, max_size=4).map(".".join), max_size=30))
def test_numbered_wbs_order_is_the_plain_definition(codes):
    assert _wbs_sorted(codes) == sorted(codes, key=_wbs_key)
