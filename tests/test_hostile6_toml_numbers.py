"""A pmo.toml number that is not finite (1e400, inf, nan) is named as such; the message
was "must be a number, not a number"."""

from __future__ import annotations

import tomllib

import pytest

from pmo_xl.config import parse_config
from pmo_xl.errors import PmoError


@pytest.mark.parametrize(("text", "shown"), [("1e400", "inf"), ("-inf", "-inf"), ("nan", "nan")])
def test_a_non_finite_number_is_refused_with_a_clear_message(text: str, shown: str) -> None:
    with pytest.raises(PmoError) as err:
        parse_config(tomllib.loads(f"[organization]\nhours_per_day = {text}\n"), source="pmo.toml")
    message = str(err.value)
    assert "hours_per_day" in message and f"must be a finite number, not {shown}" in message, message
    assert "not a number" not in message
