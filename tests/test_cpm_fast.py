"""``tasks_from_plan`` on whole columns (pmo_xl.engine.cpm) builds exactly the tasks and
problems the row-by-row version built (tests/support/cpm_rows.py), on random plans typed
as the reader types them (Arrow text, Int64, datetime64[us]) and as the rule context
normalises them (objects, floats, datetime64[ns]), calendars with a country's holidays."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.engine.calendar import Calendar
from pmo_xl.engine.cpm import tasks_from_plan
from support import cpm_rows
from support.frames import PLAN_DATES, plan_frame

START = dt.date(2025, 12, 15)
DAY = st.one_of(st.none(), st.integers(-20, 60).map(lambda n: dt.datetime(2025, 12, 15) + dt.timedelta(days=n)))
TEXT = st.sampled_from([None, "", " ", "Task", " milestone ", "SUMMARY", "Other"])
ROW = st.fixed_dictionaries({
    "ID": st.one_of(st.none(), st.integers(1, 12)),
    "WBS": st.sampled_from([None, "", "1", "1.1", " 1.2 ", "2"]),
    "Task": st.sampled_from([None, "Build", "  Test  ", ""]),
    "Type": TEXT,
    "Duration": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, 10.0, -1.0])),
    "Start": DAY, "Finish": DAY,
    "Predecessors": st.one_of(st.none(), st.sampled_from(["1", "2, 3SS+1", "x", "4FF-2", "5, 5", "1w"])),
    "Constraint": st.sampled_from([None, "asap", "ALAP", "snet", "SNLT", "FNET", "FNLT", "MSO", "MFO", "XYZ"]),
    "Constraint Date": DAY,
    "% Complete": st.one_of(st.none(), st.sampled_from([0.0, 0.4, 1.0, 1.5, -0.2])),
    "Actual Start": DAY, "Actual Finish": DAY,
    "Status": st.sampled_from([None, "Complete", "complete ", "In Progress"]),
})
DATES = PLAN_DATES
frame_of = plan_frame


def same(frame: pd.DataFrame, country: str | None) -> None:
    holidays = [dt.date(2025, 12, 31)]
    fast = tasks_from_plan(frame, Calendar(START, holidays=holidays, country=country))
    slow = cpm_rows.tasks_from_plan(frame, Calendar(START, holidays=holidays, country=country))
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(ROW, min_size=0, max_size=12), reader=st.booleans(), country=st.sampled_from([None, "DE"]))
def test_column_tasks_are_the_row_tasks(rows, reader, country):
    same(frame_of(rows, reader), country)


def test_dates_that_are_not_a_date_column():
    # text dates are read where they are used: Start..Finish of a Task without Duration,
    # the date of a dated constraint, actual dates
    rows = [{"ID": 1, "Type": "Task", "Duration": None, "Start": dt.date(2025, 12, 15), "Finish": dt.date(2025, 12, 19),
             "Constraint": "MSO", "Constraint Date": dt.date(2025, 12, 20), "Actual Start": None, "Actual Finish": None},
            {"ID": 2, "Type": "Task", "Duration": 3.0, "Start": "garbage", "Finish": None, "Constraint": "ASAP",
             "Constraint Date": "ignored", "Actual Start": pd.Timestamp(2025, 12, 16), "Actual Finish": None}]
    frame = pd.DataFrame(rows, index=[4, 5])
    for name in DATES:
        frame[name] = frame[name].astype(object)
    same(frame, None)


def test_python_strips_what_arrow_strips():
    # a text column typed by pandas (Arrow) is stripped by str.strip: the same characters
    import pyarrow as pa
    import pyarrow.compute as pc

    chars = [chr(i) for i in range(0x3100) if not 0xD800 <= i <= 0xDFFF] + ["\U000e0020", "\U0001f600"]
    texts = [f"{c}a{c}" for c in chars]
    assert pc.utf8_trim_whitespace(pa.array(texts)).to_pylist() == [t.strip() for t in texts]
