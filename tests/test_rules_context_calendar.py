"""The rules' calendar and calendar_for share one construction: same calendars as the
constructor called the way each did before (the rules from their frames, calendar_for
through project_calendar), copies independent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.commands import _common
from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.finance import project_calendar
from pmo_xl.engine.rules import _context
from pmo_xl.engine.rules._context import RuleContext
from pmo_xl.errors import PmoError
from pmo_xl.model import Book, TableData


def _state(cal: Calendar | None) -> object:
    if cal is None:
        return None
    return (cal.start, cal.first_day, cal.workweek, list(cal.weekmask), cal.explicit_holidays, cal.country,
            cal._subdiv, cal._years, dict(cal._country_holidays), cal._busdaycal.holidays.tolist(),
            cal._busdaycal.weekmask.tolist())


def _book(settings_: dict, holidays: list, starts: list) -> Book:
    hol = pd.DataFrame({"Date": pd.Series(holidays, dtype="datetime64[us]"), "Name": ["x"] * len(holidays)},
                       index=pd.RangeIndex(5, 5 + len(holidays), name="row"))
    plan = pd.DataFrame({"ID": pd.Series(range(1, len(starts) + 1), dtype="Int64"),
                         "Start": pd.Series(starts, dtype="datetime64[us]")}, index=pd.RangeIndex(5, 5 + len(starts), name="row"))
    return Book("x.xlsx", dict(settings_), tables={
        "tblHolidays": TableData("tblHolidays", "Project", hol, {"Date": "B", "Name": "C"}),
        "tblPlan": TableData("tblPlan", "Plan", plan, {"ID": "A", "Start": "G"}),
    })


def _ctx_reference(book: Book) -> Calendar | None:
    """RuleContext.calendar as it was: Series minimum, list of Timestamps."""
    ctx = RuleContext(book)
    start = ctx.start_date
    if start is None:
        starts = ctx.frame("tblPlan")["Start"].dropna()
        if starts.empty:
            return None
        start = starts.min().date()
    holidays = ctx.frame("tblHolidays")["Date"].dropna() if ctx.has("tblHolidays") else []
    try:
        return Calendar(start, workweek=ctx.setting("WorkWeek") or "1111100", holidays=list(holidays),
                        country=ctx.setting("HolidayCountry"))
    except ValueError:
        return None


def _for_reference(book: Book) -> object:
    """calendar_for without the shared construction (PmoError's message when it raises)."""
    settings_ = dict(book.settings)
    start = _common._day(settings_.get("StartDate"))
    if start is None:
        starts = book.frame("tblPlan")["Start"].dropna()
        if len(starts):
            start = starts.min().date()
    if start is not None:
        settings_["StartDate"] = start
    try:
        return _state(project_calendar(settings_, book.frame("tblHolidays")))
    except PmoError as e:
        return e.message


def _calendar_for(book: Book) -> object:
    try:
        return _state(_common.calendar_for(book))
    except PmoError as e:
        return e.message


_days = st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31))


@settings(max_examples=60, deadline=None)
@given(
    start=st.one_of(st.none(), _days, st.just("2025-03-03"), st.just(float("nan"))),
    workweek=st.sampled_from([None, "1111100", "0111110", "1111111", "0000000", "11", 1111100, float("nan")]),
    country=st.sampled_from([None, "", "DE", "FR", "US-CA", "XX", float("nan")]),
    holidays=st.lists(st.one_of(st.none(), _days), max_size=6),
    starts=st.lists(st.one_of(st.none(), _days), max_size=4),
)
def test_shared_calendar_is_each_callers_own(start, workweek, country, holidays, starts):
    settings_ = {"StartDate": start, "WorkWeek": workweek, "HolidayCountry": country, "StatusDate": dt.date(2025, 6, 2)}
    book = _book(settings_, holidays, starts)
    for _ in range(2):  # built, then from the shared one
        assert _state(RuleContext(book).calendar) == _state(_ctx_reference(book))
        assert _calendar_for(book) == _for_reference(book)


def test_rules_and_rollup_calendars_are_built_once_and_copied(monkeypatch):
    monkeypatch.setattr(_context, "_CALENDARS", {})
    book = _book({"StartDate": dt.date(2025, 1, 6), "WorkWeek": "1111100", "HolidayCountry": "DE"},
                 [dt.date(2025, 7, 11)], [dt.date(2025, 1, 6)])
    a = RuleContext(book).calendar
    b = _common.calendar_for(book)
    assert len(_context._CALENDARS) == 1
    assert a is not b and _state(a) == _state(b)
    a.index_of(dt.date(2040, 1, 2))  # extends a's years: b and the shared one keep theirs
    assert a._years != b._years
    assert _state(RuleContext(book).calendar) == _state(b)


def test_unhashable_setting_is_not_shared():
    book = _book({"StartDate": dt.date(2025, 1, 6), "WorkWeek": ["1111100"]}, [], [])
    assert RuleContext(book).calendar is None  # (a list is no WorkWeek: as before)
    with pytest.raises(PmoError):
        _common.calendar_for(book)
