"""A status date outside the years the reader accepts (1900–2199) is a usage error on every
command and API verb that takes one, before any file is read: ``--status-date 9999-12-31``
had ``validate`` count working days to the year 9999 for over ten minutes, and
``0001-01-01`` ended ``rollup`` in an internal AttributeError."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_xl.commands._common import STATUS_YEARS, parse_status_date
from pmo_xl.errors import PmoError

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


@given(st.dates())
def test_a_status_date_is_accepted_exactly_within_the_years(day: dt.date) -> None:
    if STATUS_YEARS[0] <= day.year <= STATUS_YEARS[1]:
        assert parse_status_date(day) == day
        assert parse_status_date(day.isoformat()) == day
    else:
        with pytest.raises(PmoError, match=f"--status-date {day.isoformat()} is outside the years 1900–2199"):
            parse_status_date(day.isoformat())


@pytest.mark.parametrize("command", ["validate", "schedule", "rollup", "portfolio"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_the_commands_refuse_it_with_exit_2_and_one_line(command: str, day: str, tmp_path: Path) -> None:
    book = tmp_path / "p.xlsx"
    book.write_bytes(EXAMPLE.read_bytes())
    run = subprocess.run([sys.executable, "-m", "pmo_xl", command, str(book), "--status-date", day],
                         capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "PMO_XL_DEBUG"})
    assert run.returncode == 2
    assert f"{day}' is outside the years 1900–2199" in run.stderr or f"{day} is outside the years 1900–2199" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert book.read_bytes() == EXAMPLE.read_bytes()


def test_the_api_verbs_refuse_it() -> None:
    import pmo_xl

    book = pmo_xl.load(EXAMPLE)
    far = dt.date(9999, 12, 31)
    for verb in (pmo_xl.validate, pmo_xl.schedule, pmo_xl.rollup):
        with pytest.raises(PmoError, match="outside the years"):
            verb(book, status_date=far)


def test_the_last_accepted_year_still_runs() -> None:
    import pmo_xl

    book = pmo_xl.load(EXAMPLE)
    assert pmo_xl.schedule(book, status_date=dt.date(2199, 12, 31)).to_dict()["project_finish"]
