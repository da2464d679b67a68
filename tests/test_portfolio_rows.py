"""The portfolio record's fast paths. Its detail rows converted a column at a time (``portfolio._rows``,
``portfolio_book.plain_column``) and the roll-up's month and category rows taken from
its columns before their frames exist (``portfolio._result_rows``,
``RollupResult.table_columns``): the same values, of the same types, as the frame's
object array with ``plain`` per value (tests/support/portfolio_rows.py). The latest
Baseline Finish by numpy and the CR counts by status from Arrow's list: what the Series
gave."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.commands.portfolio import _count_statuses, _latest, _result_rows, _rows
from pmo_xl.engine import finance as F
from pmo_xl.engine.calendar import Calendar
from pmo_xl.io.portfolio_book import plain_column
from support.frames import frame
from support.portfolio_rows import count_statuses_by_series, latest_by_pandas, rows_by_value

D = dt.date
HEADERS = ["A", "B", "C", "D"]


def same(got: list[list], want: list[list]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert [type(v) for v in g] == [type(v) for v in w], (g, w)
        assert all(u is v or u == v for u, v in zip(g, w)), (g, w)


floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.5, np.nan]))
stamps = st.one_of(
    st.none(),
    st.integers(min_value=-(2**62), max_value=2**62).map(lambda i: np.datetime64(i, "ns")),
    st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)).map(np.datetime64),
)
wide_stamps = st.one_of(st.none(), st.integers(min_value=-(2**50), max_value=2**50))
texts = st.one_of(st.none(), st.text(max_size=4), st.just(""), st.just(" x "))
objects = st.one_of(texts, st.floats(allow_nan=True), st.integers(-5, 5), st.booleans(), st.just(pd.NA),
                    st.just(pd.NaT), st.just(pd.Timestamp("2026-03-02 10:00")), st.just(D(2026, 3, 2)),
                    st.just(np.float64(2.5)), st.just(np.int64(3)), st.just(np.datetime64("NaT")))


@st.composite
def columns(draw, n: int, kinds: tuple[str, ...] = (
        "float", "int", "bool", "ns", "unit", "str", "string_na", "object", "Int64", "Float64", "boolean",
        "category", "tz", "timedelta", "float32", "npext")):
    kind = draw(st.sampled_from(kinds))
    if kind == "npext":  # (pandas 2's text result column)
        return pd.arrays.NumpyExtensionArray(np.array(draw(st.lists(texts, min_size=n, max_size=n)) + [0], dtype=object)[:n])
    if kind == "float":
        return np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    if kind == "float32":
        return np.array(draw(st.lists(st.floats(width=32), min_size=n, max_size=n)), dtype=np.float32)
    if kind == "int":
        return np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)), dtype=np.int64)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "ns":
        values = draw(st.lists(stamps, min_size=n, max_size=n))
        return pd.array([np.datetime64("NaT", "ns") if v is None else np.datetime64(v, "ns") for v in values],
                        dtype="datetime64[ns]")
    if kind == "unit":
        unit = draw(st.sampled_from(["s", "ms", "us"]))
        values = draw(st.lists(wide_stamps, min_size=n, max_size=n))
        a = np.array([np.datetime64("NaT", unit) if v is None else np.datetime64(v, unit) for v in values],
                     dtype=f"datetime64[{unit}]")
        return pd.arrays.DatetimeArray._from_sequence(a, dtype=a.dtype) if draw(st.booleans()) else a
    if kind == "str":
        return pd.array(draw(st.lists(texts, min_size=n, max_size=n)), dtype="str")
    if kind == "string_na":
        return pd.array(draw(st.lists(texts, min_size=n, max_size=n)), dtype="string")
    if kind == "object":
        return np.array(draw(st.lists(objects, min_size=n, max_size=n)) + [0], dtype=object)[:n]
    if kind == "Int64":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.integers(-9, 9)), min_size=n, max_size=n)), dtype="Int64")
    if kind == "Float64":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.floats(-9, 9)), min_size=n, max_size=n)), dtype="Float64")
    if kind == "boolean":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)), dtype="boolean")
    if kind == "category":
        return pd.Categorical(draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n, max_size=n)))
    if kind == "tz":
        return pd.array(pd.to_datetime(draw(st.lists(stamps, min_size=n, max_size=n))).tz_localize("UTC"))
    return pd.array(pd.to_timedelta(draw(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=n,
                                                           max_size=n)), unit="s"))


@st.composite
def frames(draw):
    n = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from(HEADERS + ["X"]), min_size=0, max_size=5))
    cols = [draw(columns(n)) for _ in names]
    f = pd.DataFrame({i: c for i, c in enumerate(cols)}) if cols else pd.DataFrame(index=range(n))
    f.columns = names
    f.index = range(5, 5 + n)
    return f


@settings(max_examples=400, deadline=None)
@given(frames(), st.lists(st.sampled_from(HEADERS), max_size=4, unique=True))
def test_rows_are_the_per_value_rows(frame: pd.DataFrame, headers: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (to_pydatetime warns on nanoseconds: both ways)
        want = rows_by_value(frame, headers)
        got = _rows(frame, headers)
    same(got, want)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_plain_column_is_plain_of_each_value(data) -> None:
    n = data.draw(st.integers(0, 6))
    frame = pd.DataFrame({"A": data.draw(columns(n))})
    column = frame._get_column_array(0)  # (as the frame holds it: an object column may become dates)
    out = plain_column(column)
    if out is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = rows_by_value(frame, ["A"])
        same([[v] for v in out], want)


def test_dates_out_of_datetime_years_and_nanoseconds_go_value_by_value() -> None:
    assert plain_column(np.array(["10000-01-01", "NaT"], dtype="datetime64[s]")) is None
    assert plain_column(np.array(["-0001-01-01"], dtype="datetime64[s]")) is None
    assert plain_column(np.array(["2026-01-01T00:00:00.000000001"], dtype="datetime64[ns]")) is None
    assert plain_column(np.array(["2026-01-01", "NaT"], dtype="datetime64[D]")) is None
    assert plain_column(np.array(["9999-12-31T23:59:59", "0001-01-01"], dtype="datetime64[s]")) == [
        dt.datetime(9999, 12, 31, 23, 59, 59), dt.datetime(1, 1, 1)]


def test_the_reader_s_changes_table_goes_column_by_column() -> None:
    from pmo_xl.io.reader import load

    path = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    changes = load(path).frame("tblChanges")
    headers = schema.TABLES["tblChanges"].headers
    assert all(plain_column(changes[h]._values) is not None for h in headers)
    same(_rows(changes, headers), rows_by_value(changes, headers))


# --------------------------------------------------------------------------- the roll-up's rows


def _project(status: D, budget_period: bool = True) -> tuple[dict, dict]:
    mon = D(2026, 3, 2)
    budget = [
        {"Task ID": 2, "Category": "Labour", "Amount": 1000.0},
        {"Task ID": 3, "Category": "Hardware", "Amount": 500.0},
        {"Category": "Travel", "Period": D(2026, 3, 1), "Amount": 200.0},
    ]
    tables = {
        "tblPlan": frame("tblPlan", [
            {"ID": 1, "WBS": "1", "Task": "Phase", "Type": "Summary", "Start": mon, "Finish": D(2026, 3, 20)},
            {"ID": 2, "WBS": "1.1", "Task": "Build", "Type": "Task", "Start": mon, "Finish": D(2026, 3, 13),
             "% Complete": 0.5},
            {"ID": 3, "WBS": "1.2", "Task": "Test", "Type": "Task", "Start": D(2026, 3, 16), "Finish": D(2026, 5, 20)},
        ]),
        "tblBudget": frame("tblBudget", budget if budget_period else budget[:2]),
        "tblResources": frame("tblResources", [{"Person": "Ann", "Role": "Dev", "Rate": 50.0}, {"Person": "Bob"}]),
        "tblTimesheet": frame("tblTimesheet", [
            {"Date": D(2026, 3, 3), "Person": "Ann", "Task ID": 2, "Hours": 8.0},
            {"Date": D(2026, 3, 4), "Person": "Bob", "Task ID": 2, "Hours": 4.0},
            {"Date": D(2026, 3, 30), "Person": "Ann", "Task ID": 3, "Hours": 6.0},
        ]),
        "tblCosts": frame("tblCosts", [
            {"Date": D(2026, 3, 6), "Category": "Travel", "Amount": 120.0},
            {"Date": D(2026, 4, 6), "Category": "Hardware", "Task ID": 3, "Amount": 80.0},
        ]),
    }
    return tables, {"StartDate": mon, "StatusDate": status}


STATUSES = [D(2026, 2, 1), D(2026, 3, 2), D(2026, 3, 18), D(2026, 4, 30), D(2027, 1, 1)]
MONTH_CAT = (("by_month", "tblRollupMonth"), ("by_category", "tblRollupCategory"))


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("budget_period", [True, False])
def test_month_and_category_rows_before_and_after_the_frames(status, budget_period) -> None:
    tables, settings_ = _project(status, budget_period)
    r = F.rollup(tables, settings_, Calendar(D(2026, 3, 2)))
    for name, table in MONTH_CAT:
        headers = schema.TABLES[table].headers
        assert r.table_columns(name) is not None
        early = _result_rows(r, name, headers)
        assert type(r.__dict__[name]) is F._Later  # no frame built for the rows
        want = rows_by_value(getattr(r, name), headers)
        same(early, want)
        assert r.table_columns(name) is None  # a frame now: its rows come from the frame
        same(_result_rows(r, name, headers), want)


def test_empty_roll_up_rows() -> None:
    empty = {name: pd.DataFrame({h: pd.Series(dtype=object) for h in schema.TABLES[name].headers})
             for name in ("tblBudget", "tblTimesheet", "tblCosts")}
    tables, settings_ = _project(D(2026, 3, 18))
    tables.update(empty)
    r = F.rollup(tables, settings_, Calendar(D(2026, 3, 2)))
    for name, table in MONTH_CAT:
        headers = schema.TABLES[table].headers
        same(_result_rows(r, name, headers), rows_by_value(F._built(r.__dict__[name]), headers))


def test_example_workbook_record_rows() -> None:
    from pmo_xl.commands.portfolio import project_record
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.io.reader import load

    path = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"
    detail = project_record(path)["detail"]
    money = rollup_book(load(path))
    for name, table in MONTH_CAT:
        want = rows_by_value(getattr(money, name), schema.TABLES[table].headers)
        assert want
        same(detail[name], want)


# --------------------------------------------------------------------------- the record's other columns


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_latest_baseline_finish_is_the_series_max(data) -> None:
    n = data.draw(st.integers(0, 6))
    kind = data.draw(st.sampled_from(["ns", "unit", "object", "str", "float", "missing", "repeated"]))
    if kind in ("ns", "unit"):
        column = data.draw(columns(n, (kind,)))
    elif kind == "object":
        column = np.array(data.draw(st.lists(st.one_of(st.none(), st.just(pd.Timestamp("2026-03-02")),
                                                       st.just(D(2026, 1, 1))), min_size=n, max_size=n)) + [0],
                          dtype=object)[:n]
    elif kind == "str":
        column = pd.array(data.draw(st.lists(texts, min_size=n, max_size=n)), dtype="str")
    else:
        column = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    f = pd.DataFrame({"Baseline Finish": column} if kind != "missing" else {"X": column})
    if kind == "repeated":
        f = pd.concat([f, f], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = latest_by_pandas(f, "Baseline Finish")
        except Exception as exc:  # (text beside dates: the same error either way)
            with pytest.raises(type(exc)):
                _latest(f, "Baseline Finish")
            return
        got = _latest(f, "Baseline Finish")
    if isinstance(want, pd.Series):
        assert isinstance(got, pd.Series) and got.equals(want)
        return
    assert type(got) is type(want) and (got is want or got == want or (got != got and want != want))


def test_latest_baseline_finish_examples() -> None:
    f = pd.DataFrame({"Baseline Finish": pd.to_datetime(["2026-03-02 18:00", None, "2026-05-01 01:00"])})
    assert _latest(f, "Baseline Finish") == D(2026, 5, 1) and type(_latest(f, "Baseline Finish")) is D
    assert _latest(f.iloc[1:2], "Baseline Finish") is None
    assert _latest(pd.DataFrame({"X": [1]}), "Baseline Finish") is None
    old = pd.DataFrame({"Baseline Finish": np.array(["1969-12-31T12:00", "1500-06-01"], dtype="datetime64[s]")})
    assert _latest(old, "Baseline Finish") == latest_by_pandas(old, "Baseline Finish") == D(1969, 12, 31)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(texts, st.sampled_from(["Approved", " Closed ", "Submitted", "draft"])), max_size=8),
       st.sampled_from(["str", "object", "string"]))
def test_statuses_are_counted_as_from_the_series(statuses, dtype) -> None:
    changes = pd.DataFrame({"CR ID": ["x"] * len(statuses), "Status": pd.array(statuses, dtype=dtype)})
    assert _count_statuses(changes) == count_statuses_by_series(changes)
