"""The roll-up reads what validation already computed (``rollup_book(context=)``): the
timesheet's Person codes of the rule context, used only where they are the codes the
roll-up makes itself — the result is the same as without the context, whatever the
column holds (spaces, blank texts, missing cells, all-empty rows the validator drops,
non-Arrow text, numbers); the portfolio's validation is ``validate_book(dcma=False)``."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_xl.commands import portfolio as P
from pmo_xl.commands._common import calendar_for
from pmo_xl.commands.rollup import rollup_book
from pmo_xl.commands.validate import validate_book
from pmo_xl.config import stored_config, thresholds_for
from pmo_xl.engine import finance as F
from pmo_xl.engine.rules import run_rules
from pmo_xl.engine.rules._context import RuleContext
from support.books import make_book, task

ROOT = Path(__file__).resolve().parents[1]
ARROW = pd.StringDtype("pyarrow")
NAMES = ["Ann", " Ann", "Ann  ", "Bob", "Cy", "Dee", " ", "", None, "Zed\t"]


def _book(people: list, *, arrow: bool = True, empty_row: int | None = None):
    rows = [{"Date": dt.date(2026, 1, 5 + i % 20), "Person": p, "Task ID": 1 + i % 2, "Hours": float(1 + i % 7)}
            for i, p in enumerate(people)]
    if empty_row is not None and rows:
        rows[empty_row % len(rows)] = {}
    book = make_book(
        plan_rows=[task(1, "1", start="2026-01-05", finish="2026-01-30"), task(2, "2", start="2026-01-12", finish="2026-02-20")],
        resources=[{"Person": "Ann", "Role": "Dev", "Rate": 50.0}, {"Person": "Bob", "Role": "QA", "Rate": 40.0},
                   {"Person": "Cy", "Role": "PM"}],
        budget=[{"Task ID": 1, "Category": "Labour", "Amount": 1000.0}, {"Task ID": 2, "Amount": 500.0}],
        timesheet=rows,
        costs=[{"Date": dt.date(2026, 1, 9), "Category": "Travel", "Amount": 80.0}],
        settings={"StatusDate": dt.date(2026, 1, 23)},
    )
    if arrow:
        frame = book.tables["tblTimesheet"].frame
        frame["Person"] = frame["Person"].astype(ARROW)
    return book


def _validated(book):
    ctx = RuleContext(book, None)
    run_rules(book, context=ctx)
    return ctx


def _same(a, b) -> None:
    assert a.evm == b.evm
    assert repr(a.to_dict()) == repr(b.to_dict())
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_exact=True)
    for name in ("after_status_date", "unrated_people"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def _spy(monkeypatch) -> list:
    """Whether each roll-up took the context's Person codes: then it factorises no Person
    column of its own (``pd.factorize(..., use_na_sentinel=True)`` of the timesheet's
    rows). Spied on pandas and on the module attribute ``rollup_book`` calls, both looked
    up at each call: a compiled finance module's internal calls cannot be intercepted."""
    taken: list = []
    coded: list = []
    real_rollup, real_factorize = F.rollup, pd.factorize

    def factorize(values, *args, **kwargs):
        coded.append((len(values), kwargs.get("use_na_sentinel")))
        return real_factorize(values, *args, **kwargs)

    def rollup(tables, *args, **kwargs):
        coded.clear()
        got = real_rollup(tables, *args, **kwargs)
        rows = len(tables["tblTimesheet"].frame)
        taken.append((rows, True) not in coded)
        return got

    monkeypatch.setattr(F, "rollup", rollup)
    monkeypatch.setattr(pd, "factorize", factorize)
    return taken


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(st.sampled_from(NAMES), max_size=40), arrow=st.booleans(),
       empty_row=st.one_of(st.none(), st.integers(0, 40)))
def test_the_context_changes_nothing(monkeypatch, people, arrow, empty_row):
    book = _book(people, arrow=arrow, empty_row=empty_row)
    ctx = _validated(book)
    taken = _spy(monkeypatch)
    _same(rollup_book(book, error_count=0), rollup_book(book, error_count=0, context=ctx))
    # the codes stand in only for Arrow text without blank texts, every row kept by the validator
    # (an empty table is normalised as a copy: not shared, nothing to gain)
    blank_text = any(type(p) is str and not p.strip() for p in people)
    dropped = empty_row is not None and bool(people)
    assert taken[-1] == (arrow and bool(people) and not blank_text and not dropped)


def test_the_shared_codes_are_taken(monkeypatch):
    book = _book(["Ann", " Bob", None, "Cy ", "Ann", "Eve", None, "Bob"])
    taken = _spy(monkeypatch)
    _same(rollup_book(book, error_count=0), rollup_book(book, error_count=0, context=_validated(book)))
    assert taken == [False, True]


def test_another_books_context_is_not_read(monkeypatch):
    book = _book(["Ann", "Bob", "Cy"])
    other = _book(["Bob", "Cy", "Ann"])
    taken = _spy(monkeypatch)
    _same(rollup_book(book, error_count=0), rollup_book(book, error_count=0, context=_validated(other)))
    # nor after the timesheet frame was replaced
    ctx = _validated(book)
    changed = copy.copy(book.tables["tblTimesheet"])
    changed.frame = book.tables["tblTimesheet"].frame.iloc[::-1]
    book.tables["tblTimesheet"] = changed
    rollup_book(book, error_count=0, context=ctx)
    assert taken == [False, False, False]


def test_no_person_column():
    book = _book(["Ann", "Bob"])
    t = copy.copy(book.tables["tblTimesheet"])
    t.frame = t.frame.drop(columns=["Person"])
    book.tables["tblTimesheet"] = t
    _same(rollup_book(book, error_count=0), rollup_book(book, error_count=0, context=_validated(book)))


@pytest.mark.parametrize("name", ["Example_Project.xlsx", "PMO_Template.xlsx"])
def test_portfolio_validation_is_validate_book(name):
    from pmo_xl.io.reader import load

    path = ROOT / "workbooks" / name
    book = load(path)
    want = validate_book(load(path), None, dcma=False)
    got, ctx = P._validated(book, None)
    assert ctx.book is book
    assert got.findings == want.findings and got.summary == want.summary and got.dcma == []
    assert got.status_date == want.status_date
    assert (got.schedule is None) == (want.schedule is None)
    if got.schedule is not None:
        assert got.schedule.project_finish_date == want.schedule.project_finish_date
    assert book.config == stored_config(load(path))


def test_stored_config_is_what_thresholds_for_reads():
    book = _book(["Ann"])
    cfg = stored_config(book)
    assert book.config is cfg and stored_config(book) is cfg
    t = thresholds_for(book)
    assert t.rag == cfg.rag_thresholds() and t.dcma == cfg.dcma_thresholds() and t.lists == cfg.lists


def test_calendar_for_reads_the_holiday_column_as_before():
    book = _book(["Ann"])
    hol = pd.DataFrame({"Date": np.array(["2026-01-06", "NaT"], dtype="datetime64[us]"), "Name": ["x", None]},
                       index=pd.RangeIndex(5, 7))
    t = copy.copy(book.tables["tblHolidays"])
    t.frame = hol
    book.tables["tblHolidays"] = t
    cal = calendar_for(book)
    assert cal.explicit_holidays == {dt.date(2026, 1, 6)}
    # text dates: the long way (project_calendar), as before
    t2 = copy.copy(t)
    t2.frame = hol.assign(Date=pd.Series(["2026-01-06", None], index=hol.index, dtype=object))
    book.tables["tblHolidays"] = t2
    assert calendar_for(book).explicit_holidays == cal.explicit_holidays


@pytest.mark.parametrize("how", ["loc", "assign", "astype"])
def test_a_person_column_changed_after_validation_is_coded_again(how):
    """An edit of the book between validation and roll-up (a column assigned in place keeps
    the frame and its index) must not reuse the validator's codes of the old names."""
    from pmo_xl.io.reader import load

    book = load(ROOT / "workbooks" / "Example_Project.xlsx")
    ctx = RuleContext(book, None)
    validate_book(book, None, dcma=False, context=ctx)
    table = book.tables["tblTimesheet"]
    if how == "loc":
        table.frame.loc[:, "Person"] = "Nobody"
    elif how == "assign":
        table.frame = table.frame.assign(Person="Nobody")
    else:
        table.frame["Person"] = table.frame["Person"].astype(object).astype(ARROW)
    fresh = rollup_book(book, None, error_count=0)
    _same(rollup_book(book, None, error_count=0, context=ctx), fresh)
    if how != "astype":
        assert fresh.evm.ac < rollup_book(load(ROOT / "workbooks" / "Example_Project.xlsx"), None, error_count=0).evm.ac
    assert ctx.unchanged_since_coded("tblTimesheet", "Person") is False


def test_an_unchanged_book_reuses_the_codes():
    from pmo_xl.io.reader import load

    book = load(ROOT / "workbooks" / "Example_Project.xlsx")
    ctx = RuleContext(book, None)
    validate_book(book, None, dcma=False, context=ctx)
    arrow = getattr(book.frame("tblTimesheet")["Person"].array, "_pa_array", None) is not None
    assert ctx.unchanged_since_coded("tblTimesheet", "Person") is arrow  # (pandas 2 reads object text)
    assert ctx.unchanged_since_coded("tblPlan", "Task") is False  # (only the kept columns are tracked)
