"""The native build: the modules mypyc compiles, and which of them this installation runs
compiled.

pmo-xl is pure Python. Building it with ``PMO_XL_MYPYC=1`` (``make native``; setup.py)
compiles the modules below with mypyc, as mypy and black ship themselves: the same source,
type-checked and turned into C extensions that sit beside it and are imported instead of
it. The pure source stays the reference and the fallback wherever no build exists
(docs/native.md). This module imports nothing heavy: setup.py reads :data:`COMPILED`
without the package's dependencies installed.
"""

from __future__ import annotations

from typing import TypeVar

#: What the native build compiles, by module name. Each must type-check under
#: pyproject's ``[tool.mypy]`` and pass the whole suite compiled (``make test-native``).
COMPILED: tuple[str, ...] = (
    "pmo_xl.commands.portfolio",
    "pmo_xl.engine._columns",
    "pmo_xl.engine.calendar",
    "pmo_xl.engine.cpm",
    "pmo_xl.engine.evm",
    "pmo_xl.engine.finance",
    "pmo_xl.engine.links",
    "pmo_xl.engine.rules._context",
    "pmo_xl.engine.rules.changes",
    "pmo_xl.engine.rules.data",
    "pmo_xl.engine.rules.finance",
    "pmo_xl.engine.rules.plan",
    "pmo_xl.io.package",
    "pmo_xl.io.reader",
)


_C = TypeVar("_C")


def python_class(cls: _C) -> _C:
    """The class itself. As a class decorator in a compiled module it keeps the class a
    plain Python class (mypyc makes a class native only when it has no decorator but
    ``dataclass``): for a frozen dataclass (its ``__setattr__`` refuses a compiled
    ``__init__``), a descriptor (no ``__set__`` slot when compiled), or a class whose
    instances keep a ``__dict__``."""
    return cls


def compiled_modules() -> list[str]:
    """The modules of :data:`COMPILED` that this installation imports compiled."""
    from importlib.util import find_spec

    found = []
    for name in COMPILED:
        spec = find_spec(name)
        if spec is not None and spec.origin is not None and not spec.origin.endswith(".py"):
            found.append(name)
    return found


def build_description() -> str:
    """One line for ``pmo-xl --version``: which build runs."""
    done = len(compiled_modules())
    if done == 0:
        return "pure Python"
    return f"native: {done} of {len(COMPILED)} modules compiled with mypyc"
