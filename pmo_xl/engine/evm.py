"""Earned value metrics at one status date (SPEC §5), earned schedule and RAG.

Pure arithmetic on a handful of numbers: the roll-up (:mod:`pmo_xl.engine.finance`)
computes BAC, PV, EV, AC and the cumulative PV curve from the workbook's tables and hands
them to :func:`compute_evm`; the Excel functions can call the same formulas directly.

Sources:

* PMI, *Practice Standard for Earned Value Management*, 2nd ed. (2011) — PV, EV, AC, CV,
  SV, CPI, SPI, EAC (and its variants), ETC, VAC, TCPI.
* W. Lipke, "Schedule is Different", *The Measurable News*, March 2003, and the PMI
  *Practice Standard for Earned Value Management*, 2nd ed., Appendix D — earned schedule
  ES, SV(t), SPI(t), IEAC(t).

A ratio whose denominator is zero (or a value that cannot be computed because an input is
missing) is ``None`` — an empty cell, never an error, an infinity or a NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Sequence

from pmo_xl._native import python_class


#: The keys of ``evm`` in the ``rollup`` JSON (SPEC §8), in order.
EVM_KEYS: tuple[str, ...] = (
    "bac",
    "pv",
    "ev",
    "ac",
    "cv",
    "sv",
    "cpi",
    "spi",
    "eac",
    "eac_ac_plus_remaining",
    "eac_cpi_spi",
    "etc",
    "vac",
    "tcpi",
    "es",
    "sv_t",
    "spi_t",
    "ieac_t",
)

#: One line per metric for the Rollup sheet's ``tblEVM`` (Metric, Description).
EVM_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "bac": ("BAC", "Budget at completion: sum of all budget lines"),
    "pv": ("PV", "Planned value: phased budget up to the status date"),
    "ev": ("EV", "Earned value: task budget × % complete; project level = PV"),
    "ac": ("AC", "Actual cost up to the status date"),
    "cv": ("CV", "Cost variance = EV − AC"),
    "sv": ("SV", "Schedule variance = EV − PV"),
    "cpi": ("CPI", "Cost performance index = EV / AC"),
    "spi": ("SPI", "Schedule performance index = EV / PV"),
    "eac": ("EAC", "Estimate at completion = BAC / CPI"),
    "eac_ac_plus_remaining": ("EAC (AC+BAC−EV)", "EAC = AC + (BAC − EV): remaining work at plan"),
    "eac_cpi_spi": ("EAC (CPI×SPI)", "EAC = AC + (BAC − EV) / (CPI × SPI)"),
    "etc": ("ETC", "Estimate to complete = EAC − AC"),
    "vac": ("VAC", "Variance at completion = BAC − EAC"),
    "tcpi": ("TCPI", "To-complete performance index = (BAC − EV) / (BAC − AC)"),
    "es": ("ES", "Earned schedule (working days): when PV reached today's EV"),
    "sv_t": ("SV(t)", "Schedule variance in time = ES − AT (working days)"),
    "spi_t": ("SPI(t)", "Schedule performance index in time = ES / AT"),
    "ieac_t": ("IEAC(t)", "Forecast duration = planned duration / SPI(t) (working days)"),
}

_EPS = 1e-9


def _num(x: Any) -> float | None:
    """A plain float, or None for None/NaN/inf."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; None when either is missing or the denominator is 0."""
    n, d = _num(numerator), _num(denominator)
    if n is None or d is None or abs(d) < _EPS:
        return None
    return _num(n / d)


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _mul(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a * b


# --------------------------------------------------------------------------- formulas
# One small function per metric, so the Excel layer can call the same code.


def cv(ev: float | None, ac: float | None) -> float | None:
    """Cost variance CV = EV − AC (PMI Practice Standard for EVM)."""
    return _sub(_num(ev), _num(ac))


def sv(ev: float | None, pv: float | None) -> float | None:
    """Schedule variance SV = EV − PV (PMI Practice Standard for EVM)."""
    return _sub(_num(ev), _num(pv))


def cpi(ev: float | None, ac: float | None) -> float | None:
    """Cost performance index CPI = EV / AC (PMI Practice Standard for EVM)."""
    return ratio(ev, ac)


def spi(ev: float | None, pv: float | None) -> float | None:
    """Schedule performance index SPI = EV / PV (PMI Practice Standard for EVM)."""
    return ratio(ev, pv)


def eac(bac: float | None, cpi_: float | None) -> float | None:
    """Estimate at completion EAC = BAC / CPI (PMI Practice Standard for EVM)."""
    return ratio(bac, cpi_)


def eac_ac_plus_remaining(bac: float | None, ev: float | None, ac: float | None) -> float | None:
    """EAC = AC + (BAC − EV): the remaining work done at the budgeted rate (PMI)."""
    return _add(_num(ac), _sub(_num(bac), _num(ev)))


def eac_cpi_spi(bac: float | None, ev: float | None, ac: float | None, cpi_: float | None,
                spi_: float | None) -> float | None:
    """EAC = AC + (BAC − EV) / (CPI × SPI): cost and schedule both weigh (PMI)."""
    return _add(_num(ac), ratio(_sub(_num(bac), _num(ev)), _mul(_num(cpi_), _num(spi_))))


def tcpi(bac: float | None, ev: float | None, ac: float | None) -> float | None:
    """To-complete performance index TCPI = (BAC − EV) / (BAC − AC) (PMI, BAC based)."""
    return ratio(_sub(_num(bac), _num(ev)), _sub(_num(bac), _num(ac)))


def earned_schedule(cum_pv: Sequence[float], ev: float | None) -> float | None:
    """Earned schedule ES in working days (Lipke 2003).

    ``cum_pv[j]`` is the cumulative PV at the end of working day ``j + 1`` of the plan
    (day 1 is the project's first working day; the last entry is the last day that carries
    budget, so its value is BAC). ES = C + I where C is the number of whole days whose
    cumulative PV is ≤ EV and I = (EV − PV_C) / (PV_{C+1} − PV_C) interpolates linearly
    within the next day. ES is capped at the planned duration. None when there is no plan.
    A curve that dips (negative budget lines) is read through its running maximum.
    """
    import numpy as np

    ev_ = _num(ev)
    curve = np.maximum.accumulate(np.asarray(cum_pv, dtype=float)) if len(cum_pv) else None
    if ev_ is None or curve is None:
        return None
    tol = _EPS * max(1.0, float(np.abs(curve).max()))
    c = int(np.searchsorted(curve, ev_ + tol, side="right"))
    if c >= len(curve):
        return float(len(curve))
    before = float(curve[c - 1]) if c > 0 else 0.0
    step = float(curve[c]) - before
    within = (ev_ - before) / step if step > tol else 0.0
    return float(c + min(max(within, 0.0), 1.0))


def sv_t(es: float | None, at: float | None) -> float | None:
    """Schedule variance in time SV(t) = ES − AT, working days (Lipke 2003)."""
    return _sub(_num(es), _num(at))


def spi_t(es: float | None, at: float | None) -> float | None:
    """Schedule performance index in time SPI(t) = ES / AT (Lipke 2003)."""
    return ratio(es, at)


def ieac_t(planned_duration: float | None, spi_t_: float | None) -> float | None:
    """Independent estimate of duration IEAC(t) = PD / SPI(t), working days (Lipke 2003)."""
    return ratio(planned_duration, spi_t_)


# --------------------------------------------------------------------------- the set


@python_class  # (frozen: see python_class)
@dataclass(frozen=True)
class EVM:
    """Earned value metrics at the status date. Money in the project currency; ES, SV(t),
    IEAC(t) in working days. A metric that cannot be computed (division by zero) is None."""

    bac: float | None
    pv: float | None
    ev: float | None
    ac: float | None
    cv: float | None
    sv: float | None
    cpi: float | None
    spi: float | None
    eac: float | None
    eac_ac_plus_remaining: float | None
    eac_cpi_spi: float | None
    etc: float | None
    vac: float | None
    tcpi: float | None
    es: float | None
    sv_t: float | None
    spi_t: float | None
    ieac_t: float | None

    def to_dict(self) -> dict[str, float | None]:
        """The SPEC §8 ``evm`` object: exactly :data:`EVM_KEYS`, plain floats or None."""
        # (the fields read directly: dataclasses.asdict deep-copies, ~10x the cost)
        return {k: _num(getattr(self, k)) for k in EVM_KEYS}

    def to_frame(self):
        """Rows for the Rollup sheet's ``tblEVM`` (Metric, Value, Description)."""
        import pandas as pd

        d = self.to_dict()
        rows = [(EVM_DESCRIPTIONS[k][0], d[k], EVM_DESCRIPTIONS[k][1]) for k in EVM_KEYS]
        return pd.DataFrame(rows, columns=["Metric", "Value", "Description"])


assert tuple(f.name for f in fields(EVM)) == EVM_KEYS


def compute_evm(
    bac: float | None,
    pv: float | None,
    ev: float | None,
    ac: float | None,
    cum_pv: Sequence[float] = (),
    at: float | None = None,
) -> EVM:
    """All SPEC §5 metrics from BAC, PV, EV, AC at the status date.

    ``cum_pv`` is the cumulative PV per working day of the plan (see
    :func:`earned_schedule`); its length is the planned duration PD. ``at`` is the actual
    time: working days from the project's first working day through the status date.
    Without ``cum_pv``/``at`` the earned schedule metrics are None.

    >>> m = compute_evm(4000, 3000, 2500, 2800, [1000, 2000, 3000, 4000], at=3)
    >>> round(m.cpi, 4), round(m.spi, 4), m.eac, m.es, round(m.ieac_t, 2)
    (0.8929, 0.8333, 4480.0, 2.5, 4.8)
    """
    m = cost_metrics(bac, pv, ev, ac)
    pd_ = float(len(cum_pv)) if len(cum_pv) else None
    es_ = earned_schedule(cum_pv, m["ev"]) if pd_ else None
    spi_t_ = spi_t(es_, at)
    return EVM(**m, es=es_, sv_t=sv_t(es_, at), spi_t=spi_t_, ieac_t=ieac_t(pd_, spi_t_))


#: The metrics of :func:`cost_metrics`: every EVM field but the earned schedule's.
COST_KEYS: tuple[str, ...] = EVM_KEYS[:EVM_KEYS.index("es")]


def cost_metrics(bac: float | None, pv: float | None, ev: float | None, ac: float | None) -> dict[str, float | None]:
    """The :func:`compute_evm` metrics that need no PV curve (:data:`COST_KEYS`: BAC, PV,
    EV, AC, the variances, indices and estimates), by name: what a caller reading only
    those takes without the earned schedule."""
    bac_, pv_, ev_, ac_ = _num(bac), _num(pv), _num(ev), _num(ac)
    cpi_ = cpi(ev_, ac_)
    spi_ = spi(ev_, pv_)
    eac_ = eac(bac_, cpi_)
    return {
        "bac": bac_,
        "pv": pv_,
        "ev": ev_,
        "ac": ac_,
        "cv": cv(ev_, ac_),
        "sv": sv(ev_, pv_),
        "cpi": cpi_,
        "spi": spi_,
        "eac": eac_,
        "eac_ac_plus_remaining": eac_ac_plus_remaining(bac_, ev_, ac_),
        "eac_cpi_spi": eac_cpi_spi(bac_, ev_, ac_, cpi_, spi_),
        "etc": _sub(eac_, ac_),
        "vac": _sub(bac_, eac_),
        "tcpi": tcpi(bac_, ev_, ac_),
    }


# --------------------------------------------------------------------------- RAG


@python_class  # (frozen: see python_class)
@dataclass(frozen=True)
class RagThresholds:
    """RAG limits on CPI and SPI (SPEC §5): Green when both ≥ ``green`` and there are no
    validation errors; Amber when both ≥ ``amber``; else Red."""

    green: float = 0.95
    amber: float = 0.90


def rag(cpi_: float | None, spi_: float | None, error_count: int = 0, thresholds: RagThresholds | None = None) -> str:
    """"Green", "Amber" or "Red" (SPEC §5).

    * Green: CPI ≥ green and SPI ≥ green and no validation errors;
    * Amber: CPI ≥ amber and SPI ≥ amber (validation errors alone never make it Red);
    * Red: otherwise.

    An index that cannot be measured (None: no actual cost yet, or nothing planned yet)
    cannot be Green: if the measurable index is below ``amber`` the result is Red,
    otherwise Amber ("not measurable yet").
    """
    t = thresholds or RagThresholds()
    values = [_num(cpi_), _num(spi_)]
    known = [v for v in values if v is not None]
    if any(v < t.amber for v in known):
        return "Red"
    if len(known) < len(values):
        return "Amber"
    if all(v >= t.green for v in known) and not error_count:
        return "Green"
    return "Amber"
