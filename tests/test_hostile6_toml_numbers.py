"""A pmo.toml number that is not finite (1e400, inf, nan) is named as such; the message
was "must be a number, not a number"."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_xl.config import load_config
from pmo_xl.errors import PmoError


@pytest.mark.parametrize(("text", "shown"), [("1e400", "inf"), ("-inf", "-inf"), ("nan", "nan")])
def test_a_non_finite_number_is_refused_with_a_clear_message(text: str, shown: str, tmp_path: Path) -> None:
    path = tmp_path / "pmo.toml"  # (read by load_config: tomllib, or tomli on Python 3.10)
    path.write_text(f"[organization]\nhours_per_day = {text}\n", encoding="utf-8")
    with pytest.raises(PmoError) as err:
        load_config(path)
    message = str(err.value)
    assert "hours_per_day" in message and f"must be a finite number, not {shown}" in message, message
    assert "not a number" not in message
