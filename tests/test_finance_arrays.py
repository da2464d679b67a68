"""The roll-up's second round of shortcuts agree with what they replace.

``pmo_xl.engine.finance`` reads its tables' columns as arrays (:class:`_Table`), builds
its result frames from their blocks (:func:`_result_frame`, :func:`_text_column`) and
lays out tblRollupTask from index arrays (:func:`_by_task`, :func:`_wbs_tree`); each is
checked here against the pandas operations or the row-by-row version it replaces, on
random inputs, to the last digit and the last dtype.
"""

from __future__ import annotations

from itertools import compress

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.finance import (
    NOT_IN_PLAN,
    ON_SUMMARY,
    PROJECT_KEY,
    PROJECT_LEVEL,
    _by_task,
    _day,
    _days,
    _floats,
    _int_ids,
    _memo_prefixes,
    _notna_list,
    _Objects,
    _result_frame,
    _steps,
    _Table,
    _task_windows,
    _text_column,
    _text_list,
    _unique_inverse,
    _variance,
    _zero_nan,
    _wbs_sorted,
)

TEXT = st.one_of(st.none(), st.text(alphabet=" \t\nab\u00a0é", max_size=4))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal frames: columns, dtypes, index (type too) and every value, floats bit for bit."""
    assert a.columns.tolist() == b.columns.tolist() and a.columns.dtype == b.columns.dtype
    assert a.dtypes.tolist() == b.dtypes.tolist()
    assert type(a.index) is type(b.index) and a.index.equals(b.index)
    for c in a.columns:
        x, y = a[c].tolist(), b[c].tolist()
        assert [type(v) for v in x] == [type(v) for v in y], c
        assert [repr(v) for v in x] == [repr(v) for v in y], c


# --------------------------------------------------------------------------- _result_frame


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 6), data=st.data())
def test_result_frame_is_the_constructor(n, data):
    kinds = data.draw(st.lists(st.sampled_from(["float", "int", "bool", "date", "Int64", "text", "text_list", "objects",
                                                 "object_array", "none_list", "float_list"]), min_size=1, max_size=8))
    words = st.text(alphabet="ab é", max_size=3)
    columns: dict[str, object] = {}
    for k, kind in enumerate(kinds):
        name = f"c{k}"
        if kind == "float":
            columns[name] = np.array(data.draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n)), dtype=float)
        elif kind == "int":
            columns[name] = np.arange(n, dtype=np.int64) * 7
        elif kind == "bool":
            columns[name] = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        elif kind == "date":
            columns[name] = (np.datetime64("2025-01-01") + np.arange(n)).astype("datetime64[s]")
        elif kind == "Int64":
            columns[name] = _int_ids(np.where(np.arange(n) % 2 == 0, np.arange(n, dtype=float), np.nan))
        elif kind == "text":
            columns[name] = _text_column(data.draw(st.lists(st.none() | words, min_size=n, max_size=n)))
        elif kind == "text_list":
            columns[name] = data.draw(st.lists(words, min_size=n, max_size=n))
        elif kind == "objects":
            columns[name] = _Objects(data.draw(st.lists(st.none() | words, min_size=n, max_size=n)))
        elif kind == "object_array":  # % Spent: floats and None
            values = data.draw(st.lists(st.none() | st.floats(0, 2), min_size=n, max_size=n))
            columns[name] = np.array(values + [object()], dtype=object)[:-1]
        elif kind == "none_list":
            columns[name] = [None] * n
        else:
            columns[name] = [float(i) for i in range(n)]
    want = pd.DataFrame({k: pd.Series(v.values, dtype=object) if isinstance(v, _Objects) else v for k, v in columns.items()})
    _same(_result_frame(columns), want)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.none() | st.text(max_size=4), max_size=10), as_array=st.booleans())
def test_text_column_is_pd_array(values, as_array):
    text = pd.Series(["x"]).astype("str").dtype
    given_ = np.array(values + [0], dtype=object)[:-1] if as_array else values
    got, want = _text_column(given_), pd.array(values, dtype=text)
    assert got.dtype == want.dtype and type(got) is type(want)
    assert pd.Series(got).tolist() == pd.Series(want).tolist() or all(
        (x is y) or (x == y) or (x != x and y != y) for x, y in zip(pd.Series(got).tolist(), pd.Series(want).tolist()))


# --------------------------------------------------------------------------- columns as arrays


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=8), data=st.data())
def test_table_columns_read_as_the_series_are(texts, data):
    n = len(texts)
    numbers = data.draw(st.lists(st.none() | st.integers(-5, 5), min_size=n, max_size=n))
    frame = pd.DataFrame({
        "T": pd.Series(texts, dtype="str"),
        "O": pd.Series(texts, dtype=object),
        "I": pd.array(numbers, dtype="Int64"),
        "F": pd.array(numbers, dtype="Int64").astype(float),
        "D": pd.Series(pd.to_datetime(["2025-01-02" if v is not None and v > 0 else None for v in numbers])).astype("datetime64[us]"),
        "X": pd.Series([str(v) if v is not None else None for v in numbers], dtype=object),
    })
    table = _Table(frame)
    for c in frame.columns:
        assert _text_list(table[c]) == _text_list(frame[c])
        assert _notna_list(table[c]) == _notna_list(frame[c])
    for c in ("I", "F", "X"):
        np.testing.assert_array_equal(_floats(table[c]), _floats(frame[c]))
    np.testing.assert_array_equal(_days(table["D"]), _days(frame["D"]))


# --------------------------------------------------------------------------- tblRollupTask


def _by_task_rows(plan: pd.DataFrame, tasks, dkeys: np.ndarray, dmat: np.ndarray) -> pd.DataFrame:
    """tblRollupTask row by row (the round-1 version of :func:`_by_task`)."""
    values = ["Budget", "PV", "EV", "AC", "Hours"]
    keep = tasks.keep.tolist()
    wbs = list(compress(_text_list(plan["WBS"]), keep))
    names = list(compress(_text_list(plan["Task"]), keep))
    pid = tasks.ids.tolist()
    node_of: dict[str, int] = {}
    nodes: list[list] = []
    for i, w in enumerate(wbs):
        if w and w not in node_of:
            node_of[w] = len(nodes)
            nodes.append([pid[i], w, names[i]])
    prefixes: dict[str, list[str]] = {}
    for w in list(node_of):
        for a in _memo_prefixes(prefixes, w):
            if a not in node_of:
                node_of[a] = len(nodes)
                nodes.append([np.nan, a, f"WBS {a} (not in plan)"])
    anc_list: list[int] = []
    node_list: list[int] = []
    for w, j in node_of.items():
        pre = prefixes[w]
        anc_list += [node_of[a] for a in pre]
        node_list += [j] * len(pre)
    anc_idx = np.array(anc_list, dtype=np.intp)
    node_idx = np.array(node_list, dtype=np.intp)
    has_child = np.zeros(len(nodes), dtype=bool)
    has_child[anc_idx] = True
    drow = {k: i for i, k in enumerate(dkeys.tolist())}
    node_tid = np.array([n[0] for n in nodes], dtype=float)
    at = np.full(len(nodes), -1, dtype=np.intp)
    if len(dkeys) and len(nodes):
        pos = np.minimum(np.searchsorted(dkeys, node_tid), len(dkeys) - 1)
        at = np.where(dkeys[pos] == node_tid, pos, -1)
    own = np.zeros((len(nodes), len(values)))
    own[at >= 0] = dmat[at[at >= 0]]
    plan_ids = set(node_tid[at >= 0].tolist())
    total = own.copy()
    if len(anc_idx):
        np.add.at(total, anc_idx, own[node_idx])
    own_nonzero = (own != 0).any(axis=1).tolist()
    summary = has_child.tolist()
    n_nodes, zero = len(nodes), 2 * len(nodes) + len(dmat)
    mat = np.vstack([own, total, dmat, np.zeros((1, len(values)))])
    src: list[int] = []
    meta: list[tuple] = []
    for w in _wbs_sorted(node_of):
        j = node_of[w]
        tid, _, name = nodes[j]
        level = w.count(".") + 1
        if summary[j]:
            src.append(n_nodes + j)
            meta.append((tid, w, name, level, True))
            if own_nonzero[j]:
                src.append(j)
                meta.append((tid, w, name + ON_SUMMARY, level + 1, False))
        else:
            src.append(j)
            meta.append((tid, w, name, level, False))
    for i in [i for i, w in enumerate(wbs) if not w]:
        tid = pid[i]
        src.append(2 * n_nodes + drow[tid] if tid in drow and tid not in plan_ids else zero)
        plan_ids.add(tid)
        meta.append((tid, "", names[i], 0, False))
    for tid, i in drow.items():
        if tid != PROJECT_KEY and tid not in plan_ids:
            src.append(2 * n_nodes + i)
            meta.append((tid, "", NOT_IN_PLAN, 0, False))
    if PROJECT_KEY in drow:
        src.append(2 * n_nodes + drow[PROJECT_KEY])
        meta.append((np.nan, "", PROJECT_LEVEL, 0, False))
    tid_col, wbs_col, name_col, level_col, summary_col = (list(c) for c in zip(*meta)) if meta else ([],) * 5
    vals = mat[np.array(src, dtype=np.intp)] if src else np.zeros((0, len(values)))
    return pd.DataFrame({
        "Task ID": _int_ids(np.array(tid_col, dtype=float)),
        "WBS": wbs_col,
        "Task": name_col,
        "Level": np.array(level_col, dtype=np.int64),
        "Summary": np.array(summary_col, dtype=bool),
        **{v: vals[:, k] for k, v in enumerate(values)},
        **_variance(vals[:, 0], vals[:, 3]),
    })


PART = st.sampled_from(["1", "2", "3", "10", "01", "a", "", "B"])
CODE = st.lists(PART, min_size=1, max_size=4).map(".".join)
NUMBERED = st.lists(st.sampled_from(["1", "2", "3", "10", "01"]), min_size=1, max_size=4).map(".".join)


def _plan_and_amounts(codes, ids, direct, extra_keys, project, data):
    n = len(codes)
    plan = pd.DataFrame({
        "ID": pd.array(ids, dtype="Int64"),
        "WBS": pd.Series(codes, dtype="str"),
        "Task": pd.Series([f"T{i}" for i in range(n)], dtype="str"),
        "% Complete": np.zeros(n),
        **{c: pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
           for c in ("Baseline Start", "Baseline Finish", "Start", "Finish", "Actual Start", "Actual Finish")},
    })
    tasks = _task_windows(plan)
    keys = {float(i) for i, d in zip(ids, direct) if i is not None and d} | {float(k) for k in extra_keys}
    if project:
        keys.add(PROJECT_KEY)
    dkeys = np.array(sorted(keys), dtype=float)
    money = st.sampled_from([0.0, 0.1, 0.2, 447.9, 258.86, -3.5, 1e-9])
    dmat = np.array(data.draw(st.lists(st.lists(money, min_size=5, max_size=5), min_size=len(dkeys), max_size=len(dkeys))),
                    dtype=float).reshape(len(dkeys), 5)
    return plan, tasks, dkeys, dmat


@settings(max_examples=300, deadline=None)
@given(codes=st.lists(CODE | NUMBERED, max_size=14), data=st.data())
def test_by_task_is_the_row_by_row_version(codes, data):
    n = len(codes)
    ids = data.draw(st.lists(st.none() | st.integers(1, 20), min_size=n, max_size=n))
    direct = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    extra = data.draw(st.lists(st.integers(15, 25), max_size=3))
    plan, tasks, dkeys, dmat = _plan_and_amounts(codes, ids, direct, extra, data.draw(st.booleans()), data)
    _same(_by_task(plan, tasks, dkeys, dmat), _by_task_rows(plan, tasks, dkeys, dmat))
    _same(_by_task(_Table(plan), tasks, dkeys, dmat), _by_task_rows(plan, tasks, dkeys, dmat))


@settings(max_examples=150, deadline=None)
@given(depths=st.lists(st.integers(1, 4), min_size=1, max_size=25), data=st.data())
def test_by_task_of_an_ordered_numbered_plan_is_the_row_by_row_version(depths, data):
    """The usual plan (each code's parent listed before it, numbered parts), in and out of
    WBS order: the fast way through the tree."""
    codes: list[str] = []
    counters: list[int] = []
    for d in depths:
        d = min(d, len(counters) + 1)
        counters = counters[:d]
        if len(counters) < d:
            counters.append(0)
        counters[-1] += data.draw(st.integers(1, 12))
        codes.append(".".join(map(str, counters)))
    if data.draw(st.booleans()):  # parents first, children shuffled among later rows
        tail = data.draw(st.permutations(codes[1:])) if len(codes) > 1 else []
        seen: set[str] = {codes[0]}
        ordered = [codes[0]]
        pending = list(tail)
        while pending:
            for c in list(pending):
                if c.rpartition(".")[0] in seen or "." not in c:
                    ordered.append(c)
                    seen.add(c)
                    pending.remove(c)
        codes = ordered
    n = len(codes)
    ids = list(range(1, n + 1))
    direct = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    plan, tasks, dkeys, dmat = _plan_and_amounts(codes, ids, direct, [], data.draw(st.booleans()), data)
    _same(_by_task(plan, tasks, dkeys, dmat), _by_task_rows(plan, tasks, dkeys, dmat))


@settings(max_examples=100, deadline=None)
@given(codes=st.lists(st.sampled_from(["1", "2", "1.1", "1\n2", "2.1\n3", "1.2", "10", "3", "\n"]), max_size=8, unique=True),
       data=st.data())
def test_by_task_with_newlines_in_codes_is_the_row_by_row_version(codes, data):
    n = len(codes)
    plan, tasks, dkeys, dmat = _plan_and_amounts(codes, list(range(1, n + 1)), [True] * n, [], True, data)
    _same(_by_task(plan, tasks, dkeys, dmat), _by_task_rows(plan, tasks, dkeys, dmat))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.just(-0.0), max_size=12))
def test_zero_nan_is_nan_to_num(values):
    x = np.array(values, dtype=float)
    got, want = _zero_nan(x.copy()), np.nan_to_num(x)
    assert got.dtype == want.dtype and [repr(v) for v in got.tolist()] == [repr(v) for v in want.tolist()]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.none() | st.integers(-2**60, 2**60), max_size=10), dtype=st.sampled_from(["Int64", "Float64", "Int32"]))
def test_floats_of_a_masked_column_are_its_to_numpy(values, dtype):
    s = pd.Series(pd.array(values, dtype="Int64").astype(dtype) if dtype != "Int64" else pd.array(values, dtype="Int64"))
    want = s.to_numpy(dtype=float, na_value=np.nan, copy=True)
    got = _floats(s)
    assert [repr(v) for v in got.tolist()] == [repr(v) for v in want.tolist()]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from([1.0, 2.0, 3.0, -0.5, 0.0, -0.0, 10.0, 1e15, -7.0, 2.5, 0.25, 4000.0]), max_size=40)
       | st.lists(st.integers(-50, 5000).map(float) | st.just(-0.5), max_size=60))
def test_unique_inverse_is_np_unique(values):
    x = np.array(values, dtype=float)
    got, want = _unique_inverse(x), np.unique(x, return_inverse=True)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].reshape(-1).tolist() and got[1].dtype == np.intp


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.just(-0.0), min_size=1, max_size=12))
def test_steps_are_np_diff(values):
    x = np.array(values, dtype=float)
    assert [repr(v) for v in _steps(x).tolist()] == [repr(v) for v in np.diff(x, prepend=0.0).tolist()]


@settings(max_examples=200, deadline=None)
@given(value=st.dates(min_value=__import__("datetime").date(1, 1, 1)) | st.datetimes(timezones=st.none() | st.timezones()))
def test_day_of_a_date_is_the_timestamps(value):
    try:
        ts = pd.Timestamp(value)
        want = None if pd.isna(ts) else np.datetime64(ts.date(), "D")
    except (TypeError, ValueError):
        want = None
    assert _day(value) == want and type(_day(value)) is type(want)


def test_result_frames_never_share_their_column_index() -> None:
    """The labels are cached; the Index object is not: naming one frame's columns must
    not name the next roll-up's."""
    from pmo_xl.engine import finance as F

    first = F._result_frame({"Person": F._text_column(["a"]), "Hours": np.array([1.0])})
    first.columns.name = "renamed by a caller"
    second = F._result_frame({"Person": F._text_column(["b"]), "Hours": np.array([2.0])})
    assert second.columns.name is None and list(second.columns) == ["Person", "Hours"]
