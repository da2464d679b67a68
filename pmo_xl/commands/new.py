"""``pmo-xl new``: stamp a fresh project workbook from the standard template (SPEC §1, §8)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..errors import PmoError

#: Command-line option -> the setting (defined name) it fills.
OPTION_SETTINGS: dict[str, str] = {
    "project_name": "ProjectName",
    "project_code": "ProjectCode",
    "manager": "ProjectManager",
    "sponsor": "Sponsor",
    "start": "StartDate",
    "currency": "Currency",
}


def _iso_date(text: Any, option: str) -> dt.date:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise PmoError(f"--{option}: {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-02") from None


def new_workbook(path: str | Path, settings: dict[str, Any], force: bool = False, config: Any = None) -> Path:
    """Create ``path`` from the standard template with the given settings.

    ``config``: the organisation's settings (:class:`pmo_xl.config.OrgConfig`, from
    ``pmo.toml``), stored in the workbook (see :mod:`pmo_xl.config`).

    ``settings`` uses the command-line option names (``project_name``, ``project_code``,
    ``manager``, ``sponsor``, ``start`` as ISO text, ``currency``); the setting names
    themselves (``ProjectName``...) are accepted too. Refuses to replace an existing file
    unless ``force``.
    """
    from ..io.template import build_workbook

    values: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None:
            continue
        name = OPTION_SETTINGS.get(key, key)
        if name == "StartDate":
            value = _iso_date(value, "start")
        elif name == "Currency":
            value = str(value).strip().upper()
            if len(value) != 3 or not value.isalpha():
                raise PmoError(f"--currency: {settings[key]!r} is not an ISO 4217 code such as EUR or USD")
        values[name] = value
    return build_workbook(path, values, overwrite=force, config=config)
