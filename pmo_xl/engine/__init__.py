"""engine: pure calculations on plain tables and settings. Never imports xlwings,
openpyxl or touches the file system; testable with no workbook at all."""

import warnings as _warnings
from typing import Any

# Hostile numbers (a % Complete of 1e308, an amount of 1e300) overflow to inf/nan in the
# engine's numpy arithmetic; the results show them as such. numpy's floating-point
# RuntimeWarnings from pmo_xl's own lines are not for the user's terminal (SPEC §9).
# (All of pmo_xl, not only the engine: in the native build a compiled module has no
# Python frame, so its warnings are attributed to its pure-Python caller: the API or a
# command, docs/native.md.)
_warnings.filterwarnings(
    "ignore",
    message=r"(overflow|invalid value|divide by zero) encountered",
    category=RuntimeWarning,
    module=r"pmo_xl(\.|$)",
)


def quiet_numbers() -> Any:
    """A context in which numpy's floating-point warnings are off (``np.errstate``). The
    filter above sees only pmo_xl's own lines, and not numpy's reductions or the native
    build's compiled modules, which have no Python frame (docs/native.md); the API, the
    roll-up's lazily built tables and the portfolio record run in this instead."""
    import numpy as np

    return np.errstate(over="ignore", invalid="ignore", divide="ignore")
