"""The fast paths of validation agree with the plain definitions they replace.

Validation of a 5,000-task / 200,000-row workbook takes whole-column and cached shortcuts
(benchmarks/validate.py); each is checked here against the straightforward computation,
on random inputs, and the DT005 crash found on the way is pinned with the real reader.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pmo_xl
from pmo_xl.commands.validate import validate_book
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import CpmTask, schedule
from pmo_xl.engine.dcma import _inherits
from pmo_xl.engine.links import Link, parse_predecessors
from pmo_xl.engine.rules._context import _normalise, fmt
from pmo_xl.engine.rules.finance import _bincount_sums, _plain_sums_exact
from pmo_xl.schema import Column, Table

ROOT = Path(__file__).resolve().parents[1]
DAYS = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2028, 12, 31))


# ---------------------------------------------------------------- calendar
@settings(max_examples=200, deadline=None)
@given(start=DAYS, days=st.lists(DAYS, min_size=1, max_size=20), country=st.sampled_from([None, "DE", "US"]))
def test_indices_of_forward_is_index_of_next_working(start, days, country):
    holidays = [dt.date(2025, 12, 24), dt.date(2026, 5, 4)]
    cal = Calendar(start, holidays=holidays, country=country)
    fast = cal.indices_of(np.array(days, dtype="datetime64[D]"), roll="forward")
    slow = Calendar(start, holidays=holidays, country=country)  # one date at a time
    assert fast.tolist() == [float(slow.index_of(slow.next_working(d))) for d in days]
    back = cal.indices_of(np.array(days + [None], dtype="datetime64[D]"))
    assert back[:-1].tolist() == [float(slow.index_of(d)) for d in days] and np.isnan(back[-1])


def test_indices_of_rejects_an_unknown_rounding():
    with pytest.raises(ValueError):
        Calendar(dt.date(2025, 3, 3)).indices_of([dt.date(2025, 3, 3)], roll="nearest")


# ---------------------------------------------------------------- links
def test_parse_predecessors_hands_out_fresh_lists():
    links, problems = parse_predecessors("3, 5SS+2, x")
    links.append(Link(99))
    problems.clear()
    again = parse_predecessors("3, 5SS+2, x")
    assert [str(link) for link in again[0]] == ["3", "5SS+2"] and [p.text for p in again[1]] == ["x"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["1", " 2 ", "0", "3SS+1", "4ff-2", "x", "", "5 days", "١٢", "6", "1"]), max_size=5))
def test_bare_ids_parse_like_the_grammar(parts):
    """A bare ID skips the regular expression; spelled out as ``ID FS`` it goes through
    it: the links are the same."""
    def spelled(part):
        return part + "FS" if part.strip().isdecimal() and int(part) > 0 else part

    for text, full in ((",".join(parts), ",".join(spelled(p) for p in parts)), (parts[0] if parts else "", "")):
        links, problems = parse_predecessors(text)
        if full:
            ref_links, ref_problems = parse_predecessors(full)
            assert links == ref_links and len(problems) == len(ref_problems)


# ---------------------------------------------------------------- CPM what-if
def _random_plan(rng: random.Random) -> list[CpmTask]:
    n = rng.randrange(1, 30)
    tasks = []
    for i in range(1, n + 1):
        links = [Link(rng.randrange(1, n + 1), rng.choice(["FS", "FS", "SS", "FF", "SF"]), rng.choice([0, 0, 2, -1]))
                 for _ in range(rng.choice([0, 1, 1, 2]))]
        tasks.append(CpmTask(
            i, rng.choice([0, 1, 3, 5, 12]), links, rng.choice(["Task"] * 6 + ["Milestone", "Summary"]),
            rng.choice(["1", "1.1", "1.2", "1.1.1", "2", "2.1", ""]),
            rng.choice(["ASAP"] * 5 + ["ALAP", "SNET", "FNLT", "MSO"]), rng.choice([None, rng.randrange(1, 40)]),
            rng.choice([0, 0, 0.5, 1.0]), rng.choice([None, None, rng.randrange(1, 10)]), None,
        ))
    return tasks


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.sampled_from([None, 1, 8]), st.sampled_from([0, 5, 600]))
def test_delayed_finish_is_the_delayed_schedules_finish(seed, status_day, days):
    rng = random.Random(seed)
    result = schedule(_random_plan(rng), status_day=status_day)
    for t in result.tasks[:5]:
        delayed = result.delay(t.id, days)
        assert result.delayed_finish(t.id, days) == delayed.project_finish
        again = schedule(result._inputs[0], status_day=status_day, extra={t.id: days})  # from scratch
        assert delayed.tasks == again.tasks  # (dataclasses: every field equal)
        assert delayed.critical_paths == again.critical_paths and delayed.problems == again.problems


# ---------------------------------------------------------------- normalised text
TEXT = Table("tblT", "Sheet", (Column("A", "text"), Column("N", "number")))


def _plain_text(v):
    """The definition: text stripped, blank is empty, other values as fmt writes them."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
        return np.nan
    text = v.strip() if isinstance(v, str) else fmt(v).strip()
    return text or np.nan


VALUES = st.one_of(st.none(), st.sampled_from([" a", "a ", "a", "", "  ", "\tb\n", "Ä ", 3, 3.0, 2.5, True,
                                                float("nan"), dt.date(2026, 1, 2),
                                                pd.Timestamp("2026-01-02 10:00")]), st.text(max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=15), st.booleans())
def test_text_columns_normalise_value_by_value(values, arrow):
    rows = range(4, 4 + len(values))
    if arrow:
        values = [v if isinstance(v, str) else None for v in values]
        column = pd.Series(values, dtype="str", index=rows)
    else:
        column = pd.Series(values, dtype=object, index=rows)
    frame = pd.DataFrame({"A": column, "N": 1.0}, index=rows)
    codes: dict = {}
    out = _normalise(frame, TEXT, codes)
    expected = [_plain_text(v) for v in column.tolist()]
    got = out["A"].tolist()
    assert len(got) == len(expected)
    assert all((isinstance(e, float) and isinstance(g, float)) or e == g for e, g in zip(expected, got)), (expected, got)
    assert out["A"].dtype == object
    k, texts = codes["A"]
    assert len(set(texts)) == len(texts)
    for c, g in zip(k.tolist(), got):
        assert (texts[c] == g) if isinstance(g, str) else c == -1


def test_rows_without_any_value_are_dropped_with_their_codes():
    from pmo_xl.io.reader import TEXT_DTYPE  # the reader's text dtype: str (pandas 3), object (pandas 2)

    frame = pd.DataFrame({"A": pd.array([" x", None, "  ", "y"], dtype=TEXT_DTYPE), "N": [np.nan, np.nan, np.nan, 2.0]},
                         index=[4, 5, 6, 7])
    codes: dict = {}
    out = _normalise(frame, TEXT, codes)
    assert out.index.tolist() == [4, 7] and out["A"].tolist() == ["x", "y"]
    k, texts = codes["A"]
    assert [texts[c] for c in k.tolist()] == ["x", "y"]


# ---------------------------------------------------------------- sums
GRID = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.25, 7.5, 8.0, 12.0, -1.0, np.nan])
ANY = st.one_of(GRID, st.floats(allow_nan=True, allow_infinity=False, width=64), st.sampled_from([0.1, 8.1, 7.8, -0.0]))


@settings(max_examples=300)
@given(st.lists(st.tuples(ANY, st.integers(0, 5)), min_size=1, max_size=40))
def test_plain_sums_are_used_only_when_they_equal_pandas(rows):
    values = np.array([v for v, _ in rows], dtype=float)
    groups = pd.factorize(np.array([g for _, g in rows]))[0]
    if not _plain_sums_exact(values):
        return
    for sort in (True, False):
        expected = pd.Series(values).groupby(groups, sort=sort).sum().sort_index().to_numpy()
        got = _bincount_sums(values, groups, int(groups.max()) + 1)
        assert np.array_equal(expected, got) and (np.signbit(expected) == np.signbit(got)).all()


@given(st.lists(GRID, min_size=1, max_size=40))
def test_values_on_the_grid_take_the_plain_sums(values):
    v = np.array(values, dtype=float)
    assert _plain_sums_exact(v) == (not (np.signbit(v) & (v == 0)).any())


def test_off_grid_values_take_pandas():
    assert not _plain_sums_exact(np.array([0.1, 0.2, -0.3]))


# ---------------------------------------------------------------- DCMA check 1
WBS = st.one_of(st.none(), st.lists(st.sampled_from(["1", "2", ".", "12"]), max_size=5).map("".join))


@settings(max_examples=300)
@given(st.lists(st.tuples(WBS, st.sampled_from(["Summary", "Task"]), st.booleans()), min_size=1, max_size=12))
def test_tasks_under_a_linked_summary(rows):
    p = pd.DataFrame({"ID": range(1, len(rows) + 1), "WBS": pd.Series([r[0] for r in rows], dtype=object),
                      "_type": [r[1] for r in rows]})
    linked = {i + 1 for i, r in enumerate(rows) if r[2]}
    inc = p[p["_type"] == "Task"]
    codes = [str(w) for w, k, lk in zip(p["WBS"], p["_type"], p["ID"]) if k == "Summary" and lk in linked and w is not None]
    expected = [any(str(w if w is not None else "").startswith(c + ".") for c in codes) for w in inc["WBS"]]
    assert _inherits(p, inc, linked).tolist() == expected


# ---------------------------------------------------------------- DT005 on a real workbook
def test_repeated_task_id_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "dup.xlsx"
    shutil.copy(ROOT / "workbooks" / "Example_Project.xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Plan"]
    header = next(c for row in ws.iter_rows(min_row=1, max_row=10) for c in row if c.value == "ID")
    first, second = ws.cell(header.row + 1, header.column), ws.cell(header.row + 2, header.column)
    second.value = first.value
    wb.save(path)
    report = validate_book(pmo_xl.load(path))
    dt005 = [f for f in report.findings if f.rule == "DT005"]
    assert [(f.sheet, f.cell) for f in dt005] == [("Plan", second.coordinate)]
    assert f"row {first.row}" in dt005[0].message


# ---------------------------------------------------------------- normalised dates
DATED = Table("tblD", "Sheet", (Column("D", "date"), Column("T", "datetime")))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1))),
                min_size=1, max_size=10), st.sampled_from(["us", "ns", "s"]), st.booleans())
def test_date_columns_are_whole_days_datetimes_kept(values, unit, midnight):
    if midnight:
        values = [v.replace(hour=0, minute=0, second=0, microsecond=0) if v else v for v in values]
    column = pd.Series(pd.to_datetime(values), index=range(4, 4 + len(values))).astype(f"datetime64[{unit}]")
    frame = pd.DataFrame({"D": column, "T": column})
    out = _normalise(frame, DATED)
    kept = column[column.notna()]
    assert out["D"].tolist() == kept.dt.normalize().astype("datetime64[ns]").tolist()
    assert out["T"].tolist() == kept.astype("datetime64[ns]").tolist()
    assert out["D"].dtype == "datetime64[ns]"


# ---------------------------------------------------------------- findings by the thousand
@settings(max_examples=200)
@given(st.lists(st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)), max_size=8),
       st.booleans())
def test_fmt_dates_is_fmt_of_each(values, midnight):
    from pmo_xl.engine.rules._context import fmt_dates

    if midnight:
        values = [v.replace(hour=0, minute=0, second=0, microsecond=0) for v in values]
    dates = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    assert fmt_dates(dates) == [fmt(v) for v in dates.tolist()]


@settings(max_examples=2000)
@given(st.one_of(st.text(alphabet="ABZaz$019١\n ", max_size=7), st.text(max_size=5)))
def test_cell_parts_read_cells_as_the_pattern_does(cell):
    from pmo_xl.engine.rules import _CELL, _cell_parts

    m = _CELL.match(cell)
    assert _cell_parts(cell) == ((m.group(1), int(m.group(2))) if m else ("", 0))


# ---------------------------------------------------------------- the collector
def test_collector_paused_restores_the_collector_as_it_was():
    import gc

    from pmo_xl.engine.cpm import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left off: it was off
    finally:
        gc.enable()
    validate_book(pmo_xl.load(ROOT / "workbooks" / "Example_Project.xlsx"))
    assert gc.isenabled()


def test_count_errors_equals_the_full_validation():
    """rollup's RAG uses rules.count_errors (no DCMA, no warning-only checks): it must
    count exactly the error findings a full validation reports."""
    import shutil

    import openpyxl

    from pmo_xl.commands.validate import validate_book
    from pmo_xl.demo import make_demo
    from pmo_xl.engine.rules import count_errors
    from pmo_xl.io.reader import load
    from pmo_xl.io.template import build_workbook

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        books = []
        for seed in (1, 2, 5):
            demo = make_demo(seed)
            books.append(build_workbook(Path(tmp) / f"d{seed}.xlsx", demo.settings, demo.rows))
        # one more broken by hand: duplicate ID, text in Hours, a booking on an unknown person
        broken = Path(tmp) / "broken.xlsx"
        shutil.copy(books[0], broken)
        wb = openpyxl.load_workbook(broken)
        wb["Plan"]["A6"] = wb["Plan"]["A5"].value
        wb["Timesheet"]["D5"] = "lots"
        wb["Timesheet"]["B6"] = "Nobody Known"
        wb.save(broken)
        books.append(broken)
        for path in books:
            book = load(path)
            assert count_errors(book) == validate_book(book).summary["error"], path.name
