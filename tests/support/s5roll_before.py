"""``pmo_xl.engine.finance._actuals`` before it skipped the per-line rate flags when every
person met has a rate (and took the Person codes as the persons when the names are
distinct), frozen as the reference the fast one is tested against."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from pmo_xl.engine.finance import (DEFAULT_CATEGORY, NO_CATEGORY, Actuals, _built, _castable, _days, _excluded, _floats,
                                   _Later, _resource_people, _shared_person_codes, _text_list, _Unrated, _zero_nan)


def _actuals(
    timesheet: pd.DataFrame,
    costs: pd.DataFrame,
    resources: pd.DataFrame,
    status: np.datetime64,
    int_task_ids: bool = False,
    people_table: Mapping[str, tuple[float, str, str]] | None = None,
    person_codes: tuple[np.ndarray, list[str]] | None = None,
) -> tuple[Actuals, Any, Any, np.ndarray]:
    """:func:`actuals`, the two frames as :class:`_Later` (built when read), and the
    unrated frame's Hours column. ``person_codes``: see :func:`rollup`."""
    if people_table is None:
        people_table = _resource_people(resources)
    rate = {p: r for p, (r, _, _) in people_table.items()}
    category = {p: c for p, (_, c, _) in people_table.items()}

    # clean and look up each distinct name once (200,000 rows have a few dozen people);
    # names that clean to the same text share one code, blanks are the name ""
    # (a blank name: no rate, the default category)
    shared = _shared_person_codes(timesheet["Person"], person_codes)
    if shared is not None:  # the validator's codes (hashing 5,000 names cold: ~0.15 ms)
        codes, names = shared
    else:
        codes, distinct = pd.factorize(timesheet["Person"], use_na_sentinel=True)
        names = _text_list(distinct) + [""]  # (its values: str, or what the column holds)
    slot_rate = np.array([rate.get(n, np.nan) for n in names[:-1]] + [np.nan], dtype=float)
    slot_cat = [category.get(n, DEFAULT_CATEGORY) for n in names[:-1]] + [DEFAULT_CATEGORY]
    person_of: dict[str, int] = {}  # the distinct cleaned names in order of appearance
    name_code = np.array([person_of.setdefault(n, len(person_of)) for n in names], dtype=np.intp)
    people = np.array(list(person_of), dtype=object)
    person = name_code[codes]  # code -1 picks the appended slot
    cost_cat = _text_list(costs["Category"], NO_CATEGORY)
    category_of: dict[str, int] = {}
    cat_code = np.array([category_of.setdefault(c, len(category_of)) for c in slot_cat + cost_cat], dtype=np.intp)
    categories = np.array(list(category_of), dtype=object)
    n_slots = len(slot_cat)

    # (rates cleaned per name, then taken per row: the same values as cleaning every row's)
    row_rate = _zero_nan(slot_rate)[codes]
    row_unrated = np.isnan(slot_rate)[codes]
    hours = _zero_nan(_floats(timesheet["Hours"]))
    n_ts, n_co = len(timesheet), len(costs)
    is_ts = np.concatenate([np.ones(n_ts, dtype=bool), np.zeros(n_co, dtype=bool)])
    date = np.concatenate([_days(timesheet["Date"]), _days(costs["Date"])])
    task = np.concatenate([_floats(timesheet["Task ID"]), _floats(costs["Task ID"])])
    all_person = np.concatenate([person, np.full(n_co, -1, dtype=person.dtype)])
    all_cat = np.concatenate([cat_code[:n_slots][codes], cat_code[n_slots:]])
    all_hours = np.concatenate([hours, np.zeros(n_co)])
    all_amount = np.concatenate([hours * row_rate, _zero_nan(_floats(costs["Amount"]))])
    unrated_line = np.concatenate([row_unrated, np.zeros(n_co, dtype=bool)])

    ok = date <= status  # NaT compares False
    if np.count_nonzero(ok) == len(ok):  # every line counted (the usual case): the arrays themselves, no masked copies
        counted = Actuals(is_ts, date, task, all_person, all_cat, all_hours, all_amount, people, categories)
        counted_unrated = unrated_line
    else:
        counted = Actuals(is_ts[ok], date[ok], task[ok], all_person[ok], all_cat[ok], all_hours[ok], all_amount[ok],
                          people, categories)
        counted_unrated = unrated_line[ok]
    # (the arrays are the roll-up's own; _int_ids of IDs out of int64's range warns: built now)
    excluded = _Later(_excluded, ~ok, timesheet.index.to_numpy(), costs.index.to_numpy(), date, task, all_person,
                      all_cat, all_hours, all_amount, people, categories, int_task_ids)
    if int_task_ids and not _castable(task):
        excluded = _built(excluded)

    flagged = counted_unrated & (counted.hours != 0)
    # (who they are and their hours are worked out when the table or the roll-up's notes are read)
    booked = _Unrated(people, person_of, rate, counted.person[flagged], counted.hours[flagged], n_ts > 0 and not n_co)
    return counted, excluded, _Later(booked.frame), booked
