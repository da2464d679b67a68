"""Helpers for rule tests: break one thing in the clean project, look at one rule."""

from __future__ import annotations

import copy
from typing import Any, Callable

from pmo_xl.engine.rules import run_rules
from pmo_xl.model import Finding

from .books import clean_tables, make_book


def broken(mutate: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    tables = copy.deepcopy(clean_tables())
    if mutate is not None:
        mutate(tables)
    return tables


def findings(tables: dict[str, Any], rule: str | None = None, status_date: Any = None, **book: Any) -> list[Finding]:
    out = run_rules(make_book(**tables, **book), status_date)
    return [f for f in out if rule is None or f.rule == rule]


def where(fs: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.sheet, f.cell, f.key) for f in fs]


def row_of(tables: dict[str, Any], table: str, **match: Any) -> dict[str, Any]:
    """The first row of ``table`` (a make_book keyword) whose fields equal ``match``."""
    for r in tables[table]:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    raise KeyError(match)
