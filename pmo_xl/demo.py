"""A realistic example project: a CRM roll-out, generated deterministically from a seed.

:func:`make_demo` returns plain data (settings and the rows of every input table, keyed by
the table's headers exactly as :mod:`pmo_xl.schema` declares them) plus a manifest of the
deliberate defects planted in it, so the validator's tests can check that each one is
reported at its exact cell. No file I/O: :func:`pmo_xl.commands.demo.demo_workbook` writes
the workbook.

How the project is made (SPEC §2, §3):

* **Plan**: nine phases (initiation … hypercare). Each phase is a summary row holding either
  a few tasks directly (in one or two parallel chains) or, when the plan is large, work
  packages (summaries) of 2–7 chained tasks that run in parallel; every phase ends with a
  gate milestone. Phases follow each other (build ∥ data migration, testing ∥ training).
  Links are mostly FS, with some SS+lag and FF, FS+lag, one lead (FS−2) and one SF (the
  legacy system's parallel run finishes when go-live starts). Dates are the CPM forward
  pass on the working-day calendar (``WorkWeek`` minus country and company holidays): a
  task with early start *t* working days after ``StartDate`` and duration *D* occupies
  working days *t+1 … t+D*; a milestone at *t* is dated on day *t* (day 1 when *t = 0*).
* **Baseline vs current**: the baseline is the forward pass with the original durations;
  the current plan re-runs it after started tasks took longer or shorter and approved
  change requests added days. Progress follows the current plan and ``StatusDate``:
  finished by then → Complete, 100 %, actual dates; spanning it → In Progress, actual
  start, % complete = elapsed working days ÷ duration; later → Not Started, 0 %.
* **Timesheet**: people book only on started tasks, on working days from the task's actual
  start to its finish or the status date, at most their capacity (8 h) a day, preferring the
  phases of their role. Built with numpy so 200,000 rows take well under a second.
* **Money**: labour budget per task (spread over its baseline), monthly licence lines with
  a Period, contractor/hardware/training lines on tasks, a project-level travel line, and
  one line per approved change with a cost impact (Source = CR ID). The labour budget is
  calibrated so the project's cost performance index lands between 0.88 and 1.04.
* **Change register**: ≥ 8 requests across ≥ 4 statuses, each one's history played through
  the change engine (add, set-status, edit of the impact at review, decide), so the register,
  its log and the approved changes' budget lines are what ``pmo-xl change`` writes.

Calendar: :class:`pmo_xl.engine.calendar.Calendar` (WorkWeek, HolidayCountry, tblHolidays),
so the engine recomputes exactly these dates from the workbook.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from . import schema
from .engine import changes as engine_changes
from .engine.calendar import Calendar

__all__ = ["DemoProject", "make_demo", "DEFAULT_TASKS", "DEFAULT_TIMESHEET_ROWS", "MIN_TASKS"]

DEFAULT_TASKS = 60  # about; the exact count varies a little with the seed
DEFAULT_TIMESHEET_ROWS = 1200  # about
MIN_TASKS = 40

_KMAX = 4  # at most this many task rows per person and day in the timesheet
_CANDIDATES = 12  # tasks considered per person and day when many run in parallel


@dataclass
class DemoProject:
    """A generated example project.

    ``settings``: values for the defined names of :data:`pmo_xl.schema.SETTINGS`.
    ``rows``: input table name -> rows (a list of dicts, or a DataFrame for the timesheet),
    each keyed by that table's headers exactly.
    ``defects``: the deliberate defects, one dict each: ``table``, ``index`` (0-based data
    row in ``rows[table]``), ``key`` (the row's key value, e.g. task ID, or None),
    ``column``, ``value`` (what was written), ``problem`` (plain words) and ``rule`` (the
    rule family that should report it: DT, PL, FN or CR).
    """

    settings: dict[str, Any]
    rows: dict[str, Any]
    defects: list[dict[str, Any]] = field(default_factory=list)

    def frame(self, table: str) -> pd.DataFrame:
        """``rows[table]`` as a DataFrame with the schema's columns in order."""
        data = self.rows[table]
        if isinstance(data, pd.DataFrame):
            return data
        return pd.DataFrame(data, columns=schema.table(table).headers)


# --------------------------------------------------------------------------- calendar


class _WorkDays:
    """0-based working-day indices (0 = the first working day) over the engine's 1-based
    :class:`~pmo_xl.engine.calendar.Calendar`, so the demo's dates are exactly what the
    engine computes from the workbook's WorkWeek, HolidayCountry and tblHolidays."""

    def __init__(self, start: dt.date, workweek: str, holidays: Iterable[dt.date], country: str | None):
        self.calendar = Calendar(start, workweek, holidays=holidays, country=country)

    def dates(self, idx: Any) -> np.ndarray:
        """datetime64[D] dates of an array of working-day indices."""
        return self.calendar.dates_of(np.asarray(idx, dtype=np.int64) + 1)

    def date(self, i: int) -> dt.date:
        return self.calendar.date_of(int(i) + 1)

    def index(self, d: dt.date) -> int:
        """Index of ``d`` (of the previous working day when ``d`` is not one)."""
        return self.calendar.index_of(d) - 1


def _dates(cal: _WorkDays, idx: Any) -> list[dt.date]:
    return list(cal.dates(idx).astype(object))


def _date(cal: _WorkDays, i: int) -> dt.date:
    return cal.date(i)


# --------------------------------------------------------------------------- catalogue

_FIRST = {
    "DE": ["Anna", "Lukas", "Sophie", "Jonas", "Lea", "Felix", "Marie", "Maximilian", "Laura", "Paul",
           "Hannah", "Tim", "Julia", "Niklas", "Katharina", "Stefan", "Sabine", "Thomas", "Petra", "Michael"],
    "GB": ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophia",
           "James", "Grace", "William", "Lily", "Thomas", "Chloe", "Daniel", "Ella", "Samuel", "Ruby"],
}
_LAST = {
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
           "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
           "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Clarke"],
}
_COMPANIES = {
    "DE": ["Nordwind Logistik", "Bergmann Maschinenbau", "Rheinland Versicherung", "Alpen Energie",
           "Hansa Medizintechnik", "Elbtal Verlag", "Südstern Bank", "Isar Mobility"],
    "GB": ["Thames Valley Housing", "Northgate Retail", "Pennine Water", "Albion Insurance",
           "Kestrel Logistics", "Severn Utilities", "Harbour Bank", "Chiltern Publishing"],
}
_CRM_PRODUCTS = [
    ("Salesforce Sales Cloud", "Salesforce"),
    ("Microsoft Dynamics 365", "Microsoft"),
    ("HubSpot Enterprise", "HubSpot"),
    ("Zoho CRM Plus", "Zoho"),
    ("SAP Sales Cloud", "SAP"),
]
_PARTNERS = {
    "DE": ["Consultix GmbH", "Brückner & Partner IT", "Datenwerk Solutions GmbH"],
    "GB": ["Brightwave Consulting Ltd", "Ashdown Digital", "Meridian CRM Partners"],
}
_TRAVEL = {
    "DE": [("Deutsche Bahn", "Train to the Hamburg office"), ("Lufthansa", "Flight to the Munich branch"),
           ("Motel One", "Hotel, 2 nights"), ("Sixt", "Rental car for branch visits")],
    "GB": [("Avanti West Coast", "Train to the Manchester office"), ("British Airways", "Flight to the Edinburgh branch"),
           ("Premier Inn", "Hotel, 2 nights"), ("Enterprise", "Rental car for branch visits")],
}


@dataclass(frozen=True)
class _Role:
    key: str
    title: str
    rate: float
    category: str = "Labour"


_CORE_ROLES = (
    _Role("PM", "Project Manager", 95),
    _Role("BA", "Business Analyst", 80),
    _Role("ARCH", "Solution Architect", 110),
    _Role("DEV", "CRM Developer", 85),
    _Role("TEST", "Test Manager", 75),
    _Role("TRAIN", "Training & Change Lead", 70),
)
_EXTRA_ROLES = (
    _Role("DATA", "Data Migration Specialist", 90),
    _Role("DEV", "CRM Developer", 80),
    _Role("INT", "Integration Developer", 95),
    _Role("CONS", "External CRM Consultant", 140, "Contractors"),
)
# Roles added when a big timesheet needs a bigger team, in this rotation.
_SCALE_ROLES = ("DEV", "BA", "TEST", "DEV", "DATA", "INT", "ARCH", "TRAIN", "DEV", "CONS")
_ROLE_BY_KEY = {r.key: r for r in _CORE_ROLES + _EXTRA_ROLES}


@dataclass(frozen=True)
class _Phase:
    name: str
    gate: str  # the milestone that closes the phase
    weight: float  # share of the plan's rows
    durations: tuple[int, int]  # working days, min..max
    owners: tuple[str, ...]  # role keys, first available wins
    packages: tuple[str, ...]  # work-package names (summaries) for large plans
    tasks: tuple[str, ...]  # task names


_PHASES = (
    _Phase("Initiation", "Project charter approved", 0.7, (3, 10), ("PM",),
           ("Governance", "Commercials", "Mobilisation"),
           ("Draft project charter", "Stakeholder analysis", "Vendor contract finalisation",
            "Set up project governance", "Project plan and baseline", "Team onboarding")),
    _Phase("Requirements", "Requirements signed off", 1.4, (5, 15), ("BA", "PM"),
           ("Sales processes", "Service processes", "Marketing processes", "Reporting needs", "Partner portal"),
           ("Current-state process mapping", "Requirements workshops", "User stories and acceptance criteria",
            "Non-functional requirements", "Requirements review", "Prioritise the backlog")),
    _Phase("Solution design", "Design approved", 1.4, (5, 15), ("ARCH", "BA"),
           ("Solution architecture", "Integration design", "Security and access model", "Data model", "Reporting design"),
           ("High-level solution design", "Integration interface specification", "Security roles and sharing model",
            "Data model design", "Design authority review", "Environment strategy")),
    _Phase("Build and configuration", "Build complete", 2.8, (5, 20), ("DEV", "INT", "ARCH"),
           ("Accounts and contacts", "Opportunity pipeline", "Case management", "Email integration",
            "ERP integration", "Quotes and products", "Reports and dashboards", "Mobile app", "Marketing lists",
            "Territories", "Web-to-lead forms", "Knowledge base"),
           ("Refine the backlog", "Configure objects and layouts", "Develop customisations",
            "Build integration flows", "Unit testing", "Sprint review")),
    _Phase("Data migration", "Trial migration passed", 1.4, (5, 15), ("DATA", "DEV"),
           ("Customer data", "Sales history", "Service history", "Product data", "Marketing consents"),
           ("Data profiling", "Data cleansing", "Mapping rules", "Migration scripts", "Trial migration",
            "Reconciliation report")),
    _Phase("Testing", "UAT signed off", 1.9, (5, 20), ("TEST", "BA"),
           ("System integration testing", "User acceptance testing", "Performance testing", "Security testing",
            "Regression testing"),
           ("Test plan and cases", "System integration testing", "Defect fixing", "User acceptance testing",
            "Performance testing", "Regression testing")),
    _Phase("Training and change", "Users trained", 1.0, (3, 10), ("TRAIN", "BA"),
           ("Sales teams", "Service centre", "Marketing", "Managers", "Partners"),
           ("Training needs analysis", "Training materials", "Train-the-trainer", "End-user training",
            "Change communications", "Super-user network")),
    _Phase("Go-live", "Go-live", 0.9, (1, 5), ("PM", "DEV"),
           ("Cut-over", "Production readiness", "Support readiness"),
           ("Cut-over plan", "Cut-over rehearsal", "Production data load", "Go/no-go meeting",
            "Switch on integrations", "Smoke test in production")),
    _Phase("Hypercare and closure", "Project closed", 0.8, (5, 20), ("DEV", "BA", "PM"),
           ("Hypercare", "Handover", "Closure"),
           ("Hypercare support", "Handover to service desk", "Benefits tracking set-up", "Lessons learned",
            "Close contracts", "Project closure report")),
)
_P_INIT, _P_REQ, _P_DESIGN, _P_BUILD, _P_DATA, _P_TEST, _P_TRAIN, _P_GOLIVE, _P_HYPER = range(9)
#: Gates a phase waits for (its entry), with the lag of that link.
_ENTRY: dict[int, tuple[tuple[int, int], ...]] = {
    _P_REQ: ((_P_INIT, 0),),
    _P_DESIGN: ((_P_REQ, 0),),
    _P_BUILD: ((_P_DESIGN, 0),),
    _P_DATA: ((_P_DESIGN, 0),),
    _P_TEST: ((_P_BUILD, 0),),
    _P_TRAIN: ((_P_BUILD, 10),),  # FS+10: training starts two weeks after build
    _P_GOLIVE: ((_P_DATA, 0), (_P_TEST, 0), (_P_TRAIN, 0)),
    _P_HYPER: ((_P_GOLIVE, 0),),
}
#: How much each role works in each phase (timesheet preference).
_AFFINITY = {
    "PM": (1.0, 0.5, 0.3, 0.3, 0.3, 0.4, 0.3, 1.0, 0.6),
    "BA": (0.3, 1.0, 0.7, 0.3, 0.3, 0.8, 0.5, 0.3, 0.6),
    "ARCH": (0.1, 0.4, 1.0, 0.6, 0.4, 0.3, 0.05, 0.5, 0.2),
    "DEV": (0.05, 0.1, 0.4, 1.0, 0.5, 0.6, 0.05, 0.8, 0.8),
    "TEST": (0.05, 0.3, 0.3, 0.4, 0.3, 1.0, 0.1, 0.6, 0.4),
    "TRAIN": (0.1, 0.3, 0.1, 0.1, 0.05, 0.3, 1.0, 0.5, 0.4),
    "DATA": (0.05, 0.2, 0.4, 0.3, 1.0, 0.4, 0.05, 0.8, 0.3),
    "INT": (0.05, 0.1, 0.6, 1.0, 0.4, 0.5, 0.05, 0.7, 0.4),
    "CONS": (0.2, 0.6, 0.8, 0.9, 0.5, 0.4, 0.2, 0.6, 0.3),
}

# Change-request catalogue: title, type, description, rationale, phase, cost range,
# schedule range (working days), budget category.
_CRS = (
    ("WhatsApp channel for customer service", "Scope",
     "Add WhatsApp Business as an inbound channel in case management.",
     "Customer survey: 38 % of service contacts prefer messaging.", _P_BUILD, (18000, 35000), (5, 10), "Contractors"),
    ("Migrate five years of sales history", "Scope",
     "Extend the migration scope from three to five years of closed opportunities.",
     "Key-account managers need the full contract history for renewals.", _P_DATA, (12000, 25000), (4, 8), "Labour"),
    ("Single sign-on with the corporate identity provider", "Quality",
     "Replace CRM-local passwords with SSO and multi-factor authentication.",
     "Security audit finding: local passwords violate the access policy.", _P_BUILD, (6000, 12000), (2, 5), "Contractors"),
    ("Additional sales dashboards", "Scope",
     "Four extra dashboards for regional sales directors.",
     "Sales leadership wants pipeline reviews in the CRM instead of spreadsheets.", _P_BUILD, (8000, 15000), (3, 5), "Labour"),
    ("Extra UAT cycle for the service centre", "Schedule",
     "A second user-acceptance cycle for the service-centre processes.",
     "First UAT cycle found 42 defects in case routing.", _P_TEST, (10000, 20000), (5, 10), "Labour"),
    ("GDPR consent tracking", "Quality",
     "Record marketing consents with source and timestamp per contact.",
     "Data protection officer: consent proof is mandatory before go-live.", _P_BUILD, (9000, 18000), (3, 6), "Contractors"),
    ("Mobile app offline mode", "Scope",
     "Let field sales capture visits without network coverage.",
     "Field sales work in rural areas with poor coverage.", _P_BUILD, (30000, 60000), (10, 20), "Contractors"),
    ("Additional end-user training sessions", "Scope",
     "Six extra classroom sessions for the branch network.",
     "Training needs analysis found more users than planned.", _P_TRAIN, (5000, 12000), (2, 5), "Training"),
    ("Marketing automation connector", "Scope",
     "Connect the CRM to the marketing automation platform.",
     "Marketing campaigns need CRM segments without manual exports.", _P_BUILD, (15000, 30000), (5, 10), "Software"),
    ("Extend hypercare by two weeks", "Schedule",
     "Keep the hypercare team two more weeks after go-live.",
     "Go-live moved into the holiday season with reduced support staff.", _P_HYPER, (8000, 16000), (10, 10), "Labour"),
    ("Duplicate-check rules for accounts", "Quality",
     "Matching rules to block duplicate accounts and contacts.",
     "Data profiling found 11 % duplicate customer records.", _P_DATA, (3000, 7000), (1, 3), "Labour"),
    ("Territory management for field sales", "Scope",
     "Assign accounts to sales territories automatically.",
     "Manual account assignment costs each regional manager a day a month.", _P_BUILD, (10000, 22000), (4, 8), "Contractors"),
    ("Upgrade sandbox licences", "Cost",
     "Upgrade the partial-copy sandbox to a full sandbox for UAT.",
     "UAT needs production-sized data to test performance.", _P_TEST, (4000, 9000), (0, 0), "Software"),
    ("Defer quote PDF templates to release 2", "Scope",
     "Move the quote PDF templates out of this release.",
     "Frees build capacity for the consent tracking change.", _P_BUILD, (0, 0), (-3, 0), "Labour"),
)
_CR_SUFFIXES = ("", " (DACH)", " (UK and Ireland)", " (Nordics)", " (Benelux)", " (France)", " (Iberia)", " (Italy)")
_CR_DECISIONS = {
    "Approved": "Approved by the change board; funded as proposed.",
    "Rejected": "Rejected: benefit does not justify the cost in this release.",
    "Deferred": "Deferred to release 2; revisit after go-live.",
}
_STAKEHOLDER_TITLES = ("Head of Sales", "Service Centre Manager", "Marketing Director", "IT Operations Lead",
                       "Data Protection Officer", "Regional Sales Director")


# --------------------------------------------------------------------------- helpers


def _row(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """A row of ``table`` with every header of the schema, in order (missing ones empty)."""
    headers = schema.table(table).headers
    unknown = set(values) - set(headers)
    if unknown:  # a bug in this module, never user input
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    return {h: values.get(h) for h in headers}


def _username(name: str) -> str:
    folded = name.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(a, b)
    parts = [p for p in folded.replace(".", "").split() if p]
    return (parts[0][0] + parts[-1]) if parts else "user"


def _round_to(x: float, step: float) -> float:
    return float(round(x / step) * step)


def _project_code(seed: int) -> str:
    return f"CRM-{seed:04d}" if seed >= 0 else f"CRM-N{-seed:04d}"


class _Names:
    """Unique person names for a country: team members first, stakeholders from the end."""

    def __init__(self, rnd: random.Random, country: str):
        pairs = list(itertools.product(_FIRST[country], _LAST[country]))
        rnd.shuffle(pairs)
        self._stake = pairs[-len(_STAKEHOLDER_TITLES) - 1:]
        self._team = pairs[: -len(_STAKEHOLDER_TITLES) - 1]

    def team(self, i: int) -> str:
        first, last = self._team[i % len(self._team)]
        k = i // len(self._team)
        if k == 0:
            return f"{first} {last}"
        if k <= 26:
            return f"{first} {chr(64 + k)}. {last}"
        return f"{first} {last} {k}"

    def stakeholder(self, i: int) -> str:
        first, last = self._stake[i % len(self._stake)]
        return f"{first} {last}"


# --------------------------------------------------------------------------- the plan


@dataclass
class _Node:
    kind: str  # Summary | Task | Milestone
    name: str
    wbs: str
    phase: int
    parent: int  # row index of the parent summary, -1 for a phase
    duration: int = 0  # baseline working days
    preds: list[tuple[int, str, int]] = field(default_factory=list)  # (row, type, lag)
    snet: int | None = None  # SNET constraint as a working-day index (elapsed time)
    role: str = "PM"
    note: str | None = None


def _allocate(total: int, weights: list[float], minimum: list[int]) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), each part at least its minimum."""
    rest = total - sum(minimum)
    wsum = sum(weights)
    raw = [rest * w / wsum for w in weights]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + m for p, m in zip(parts, minimum)]


def _link(rnd: random.Random, prev: _Node, node: _Node) -> tuple[str, int]:
    """A realistic link from the previous task of a chain: mostly FS."""
    p = rnd.random()
    if p < 0.07:
        return "SS", rnd.randint(1, max(1, prev.duration // 2))
    if p < 0.11 and node.duration <= prev.duration:
        return "FF", rnd.randint(0, 2)
    if p < 0.13:
        return "FS", rnd.randint(1, 3)
    return "FS", 0


def _build_structure(rnd: random.Random, n_rows: int) -> list[_Node]:
    """The WBS with links and baseline durations; every predecessor precedes its successor."""
    n_phases = len(_PHASES)
    fixed = n_phases + n_phases + 1  # phase summaries, gates, kick-off
    minimum = [2] * n_phases
    minimum[_P_GOLIVE] = minimum[_P_HYPER] = 3  # + the parallel run / the decommissioning
    rows_per_phase = _allocate(n_rows - fixed, [p.weight for p in _PHASES], minimum)

    nodes: list[_Node] = []
    gates: dict[int, int] = {}
    forced = {"SS": False, "FF": False, "lead": False}

    def dur(ph: _Phase) -> int:
        lo, hi = ph.durations
        return rnd.randint(lo, hi)

    for k, (ph, r) in enumerate(zip(_PHASES, rows_per_phase)):
        role = ph.owners[0]
        top = len(nodes)
        nodes.append(_Node("Summary", ph.name, str(k + 1), k, -1, role=role))
        child = itertools.count(1)
        entry = [(gates[g], "FS", lag) for g, lag in _ENTRY.get(k, ())]
        if k == _P_INIT:
            nodes.append(_Node("Milestone", "Project kick-off", f"{k + 1}.{next(child)}", k, top, role="PM"))
            entry = [(len(nodes) - 1, "FS", 0)]
        special = 1 if k in (_P_GOLIVE, _P_HYPER) else 0
        n_tasks = r - special

        chains: list[list[int]] = []
        if n_tasks <= 7:  # tasks directly under the phase, in one or two parallel chains
            split = [n_tasks] if n_tasks <= 3 else [n_tasks - n_tasks // 2, n_tasks // 2]
            names = [f"Build: {w.lower()}" for w in ph.packages] if k == _P_BUILD else list(ph.tasks)
            t = 0
            for size in split:
                chain = []
                for _ in range(size):
                    name = names[t % len(names)] + ("" if t < len(names) else f" ({t // len(names) + 1})")
                    t += 1
                    nodes.append(_Node("Task", name, f"{k + 1}.{next(child)}", k, top, dur(ph), role=role))
                    chain.append(len(nodes) - 1)
                chains.append(chain)
        else:  # work packages of 2..7 chained tasks, in parallel
            n_wp = max(2, round(n_tasks / 6))
            while n_tasks - n_wp < 2 * n_wp:
                n_wp -= 1
            sizes = _allocate(n_tasks - n_wp, [1.0 + rnd.random() * 0.5 for _ in range(n_wp)], [2] * n_wp)
            for j, size in enumerate(sizes):
                base = ph.packages[j % len(ph.packages)]
                name = base if j < len(ph.packages) else f"{base} {j // len(ph.packages) + 1}"
                if k == _P_BUILD:
                    name = f"Sprint {j + 1}: {name}"
                wbs = f"{k + 1}.{next(child)}"
                wp = len(nodes)
                nodes.append(_Node("Summary", name, wbs, k, top, role=role))
                chain = []
                for m in range(size):
                    nodes.append(_Node("Task", ph.tasks[m % len(ph.tasks)], f"{wbs}.{m + 1}", k, wp, dur(ph), role=role))
                    chain.append(len(nodes) - 1)
                chains.append(chain)

        ends: list[int] = []
        for chain in chains:
            first = nodes[chain[0]]
            first.preds = list(entry)
            for a, b in zip(chain, chain[1:]):
                prev, node = nodes[a], nodes[b]
                typ, lag = _link(rnd, prev, node)
                if k == _P_REQ and not forced["SS"]:
                    typ, lag, forced["SS"] = "SS", 2, True
                elif k == _P_DESIGN and not forced["FF"]:
                    node.duration = min(node.duration, prev.duration)
                    typ, lag, forced["FF"] = "FF", 0, True
                elif k == _P_TEST and not forced["lead"]:
                    typ, lag, forced["lead"] = "FS", -2, True
                    node.note = "Starts two days before test preparation ends (lead)."
                node.preds = [(a, typ, lag)]
                if typ == "SS":  # its finish drives nothing else: tie it to the gate
                    ends.append(a)
            ends.append(chain[-1])

        if k == _P_HYPER:  # decommission the legacy CRM after its parallel run
            run = next(i for i, n in enumerate(nodes) if n.note == "parallel-run")
            nodes[run].note = "Legacy CRM runs until go-live starts (SF)."
            nodes.append(_Node("Task", "Decommission the legacy CRM", f"{k + 1}.{next(child)}", k, top, dur(ph),
                               preds=[(run, "FS", 0)], role="DEV"))
            ends.append(len(nodes) - 1)
        if k == _P_DATA:  # the source extract is promised for a fixed date: SNET
            nodes[chains[0][0]].snet = -1  # resolved after the baseline pass
            nodes[chains[0][0]].note = "ERP team delivers the source extract (SNET)."

        nodes.append(_Node("Milestone", ph.gate, f"{k + 1}.{next(child)}", k, top,
                           preds=[(e, "FS", 0) for e in sorted(set(ends))], role="PM"))
        gates[k] = len(nodes) - 1
        if k == _P_GOLIVE:
            nodes.append(_Node("Task", "Legacy CRM parallel run", f"{k + 1}.{next(child)}", k, top,
                               rnd.randint(5, 10), preds=[(gates[k], "SF", 0)], role="DEV", note="parallel-run"))
    assert len(nodes) == n_rows, (len(nodes), n_rows)
    return nodes


def _forward_pass(nodes: list[_Node], durations: np.ndarray, snet: np.ndarray) -> np.ndarray:
    """Early start (working days elapsed since StartDate) of every row; summaries get 0.

    ES = max(constraint, over predecessors p: FS: ES_p + D_p + lag; SS: ES_p + lag;
    FF: ES_p + D_p + lag − D; SF: ES_p + lag − D), never below 0 (SPEC §3). Rows are in
    topological order by construction.
    """
    es = np.zeros(len(nodes), dtype=np.int64)
    for i, node in enumerate(nodes):
        if node.kind == "Summary":
            continue
        d = int(durations[i])
        t = max(0, int(snet[i]))
        for j, typ, lag in node.preds:
            if typ == "FS":
                c = es[j] + durations[j] + lag
            elif typ == "SS":
                c = es[j] + lag
            elif typ == "FF":
                c = es[j] + durations[j] + lag - d
            else:  # SF
                c = es[j] + lag - d
            t = max(t, int(c))
        es[i] = t
    return es


def _span(nodes: list[_Node], es: np.ndarray, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and finish working-day indices of every row (summaries span their children)."""
    n = len(nodes)
    start = es.copy()
    finish = es + durations - 1
    ms = durations == 0
    start[ms] = np.maximum(es[ms] - 1, 0)
    finish[ms] = start[ms]
    summary = np.array([nd.kind == "Summary" for nd in nodes])
    start[summary] = np.iinfo(np.int64).max
    finish[summary] = np.iinfo(np.int64).min
    for i in range(n - 1, -1, -1):  # children come after their parents
        p = nodes[i].parent
        if p >= 0:
            start[p] = min(start[p], start[i])
            finish[p] = max(finish[p], finish[i])
    return start, finish


# --------------------------------------------------------------------------- generator


def make_demo(seed: int = 1, tasks: int | None = None, timesheet_rows: int | None = None) -> DemoProject:
    """Generate the example CRM roll-out for ``seed``.

    ``tasks``: plan rows (summaries and milestones included; at least 40, default about
    60). ``timesheet_rows``: exact number of timesheet rows (default about 1,200); the team
    grows beyond 10 people when the timesheet needs it. Same arguments, same project.
    """
    if tasks is not None and tasks < MIN_TASKS:
        raise ValueError(f"tasks must be at least {MIN_TASKS}, got {tasks}")
    if timesheet_rows is not None and timesheet_rows < 1:
        raise ValueError(f"timesheet_rows must be at least 1, got {timesheet_rows}")
    rnd = random.Random(seed)
    rng = np.random.default_rng(abs(seed) * 2 + (seed < 0))
    n_rows = tasks if tasks is not None else DEFAULT_TASKS + rnd.randint(-4, 4)

    # -- settings and calendar
    country = rnd.choice(["DE", "GB"])
    currency = {"DE": "EUR", "GB": "GBP"}[country]
    company = rnd.choice(_COMPANIES[country])
    product, vendor = rnd.choice(_CRM_PRODUCTS)
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randint(0, 720))
    start += dt.timedelta(days=(7 - start.weekday()) % 7)  # projects start on a Monday
    years = range(start.year, start.year + 8)
    country_days = set(_country_holidays(country, years))
    company_days = _company_holidays(rnd, years, country_days)
    cal = _WorkDays(start, "1111100", [d for d, _ in company_days], country)
    start = _date(cal, 0)

    # -- plan structure and baseline
    nodes = _build_structure(rnd, n_rows)
    n = len(nodes)
    kind = np.array([nd.kind for nd in nodes])
    leaf = kind != "Summary"
    work = kind == "Task"
    phase = np.array([nd.phase for nd in nodes])
    base_dur = np.array([nd.duration for nd in nodes], dtype=np.int64)
    snet = np.zeros(n, dtype=np.int64)
    es0 = _forward_pass(nodes, base_dur, snet)
    for i, nd in enumerate(nodes):  # the SNET date: a week after logic allows, at baseline
        if nd.snet is not None:
            snet[i] = es0[i] + 5
    base_es = _forward_pass(nodes, base_dur, snet)
    base_start, base_finish = _span(nodes, base_es, base_dur)
    base_length = int(base_finish.max()) + 1
    s = int(base_length * (0.52 + 0.1 * rnd.random()))  # status date index: mid-project
    status_date = _date(cal, s)
    golive = next(i for i, nd in enumerate(nodes) if nd.kind == "Milestone" and nd.name == "Go-live")
    golive_buffer = rnd.randint(2, 8)

    # -- people (owners need them; the timesheet may grow the team later)
    names = _Names(rnd, country)
    n_base = rnd.randint(6, 10)
    extras = list(_EXTRA_ROLES)
    roles = list(_CORE_ROLES) + extras[: n_base - len(_CORE_ROLES)]
    rate_factor = {"DE": 1.0, "GB": 0.9}[country] * (0.9 + 0.2 * rnd.random())

    # -- change requests (they change the current plan and the budget)
    changes, log, cr_budget, cr_days = _changes(rnd, cal, nodes, base_start, s, names)

    # -- current plan: started tasks took longer or shorter; approved changes add days
    cur_dur = base_dur.copy()
    started_base = work & (base_start <= s)
    delta = rng.choice(np.array([-2, -1, 0, 0, 0, 1, 1, 2, 3, 5]), size=n)
    cur_dur[started_base] = np.maximum(1, cur_dur[started_base] + delta[started_base])
    for i, days in cr_days.items():
        cur_dur[i] = max(1, cur_dur[i] + days)
    cur_es = _forward_pass(nodes, cur_dur, snet)
    cur_start, cur_finish = _span(nodes, cur_es, cur_dur)

    # -- progress at the status date
    complete = leaf & (cur_finish <= s)
    in_progress = leaf & (cur_start <= s) & ~complete
    pct = np.zeros(n)
    pct[complete] = 1.0
    ip = np.flatnonzero(in_progress)
    # elapsed ÷ duration, rounded UP to a whole percent: the remaining work the CPM derives,
    # ceil(D × (1 − %)), is then exactly D − elapsed (for D < 100)
    pct[ip] = np.ceil(100 * (s - cur_start[ip] + 1) / cur_dur[ip] - 1e-9) / 100
    weights = np.where(work, cur_dur, 0).astype(float)
    summary_pct, summary_actual = _summaries(nodes, weights, pct, cur_start, complete | in_progress)

    # -- team, owners, timesheet
    roles = _grow_team(roles, timesheet_rows, work, cur_start, cur_finish, s)
    keys = [r.key for r in roles]
    people = _people(rnd, names, roles, rate_factor)
    people[-1]["Rate"] = None  # a defect: the latest joiner has no rate yet (see _plant_defects)
    owners = _owners(nodes, people, keys)
    if timesheet_rows is None:
        room = int(0.8 * len(people) * _capacity_per_person(work, cur_start, cur_finish, s))
        n_ts = min(DEFAULT_TIMESHEET_ROWS + rnd.randint(-100, 100), room)
    else:
        n_ts = timesheet_rows
    timesheet = _timesheet(rng, cal, people, keys, nodes, work, phase, cur_start, cur_finish, s, n_ts)

    # -- budget and costs
    cpi_target = 0.88 + 0.16 * rnd.random()
    rates = {p["Person"]: (p["Rate"] or 0.0) for p in people}
    ac_labour = float((timesheet["Hours"] * timesheet["Person"].map(rates)).sum())
    budget, costs = _money(rnd, cal, nodes, work, phase, base_start, base_finish, base_dur, cur_start,
                                     cur_finish, pct, s, ac_labour, cpi_target, country, product, vendor)
    bac = sum(b["Amount"] for b in budget)
    budget.extend(cr_budget)

    # -- plan rows
    plan = []
    start_dates = _dates(cal, cur_start)
    finish_dates = _dates(cal, cur_finish)
    bstart_dates = _dates(cal, base_start)
    bfinish_dates = _dates(cal, base_finish)
    for i, nd in enumerate(nodes):
        if nd.kind == "Summary":
            p = summary_pct[i]
            a_start = summary_actual.get(i)
            status = "Complete" if p >= 1 else ("In Progress" if a_start is not None else "Not Started")
            values = {"% Complete": p, "Actual Start": _date(cal, a_start) if a_start is not None else None,
                      "Actual Finish": finish_dates[i] if p >= 1 else None, "Status": status,
                      "Duration": int(cur_finish[i] - cur_start[i] + 1)}
        else:
            status = "Complete" if complete[i] else ("In Progress" if in_progress[i] else "Not Started")
            values = {"% Complete": float(pct[i]),
                      "Actual Start": start_dates[i] if (complete[i] or in_progress[i]) else None,
                      "Actual Finish": finish_dates[i] if complete[i] else None, "Status": status,
                      "Duration": int(cur_dur[i])}
        constraint, cdate = "ASAP", None
        if nd.snet is not None:
            constraint, cdate = "SNET", _date(cal, snet[i])
        elif i == golive:  # the board's go-live commitment, a few days after the forecast
            constraint, cdate = "FNLT", _date(cal, int(cur_finish[i]) + golive_buffer)
        plan.append(_row("tblPlan", {
            "ID": i + 1, "WBS": nd.wbs, "Task": nd.name, "Type": nd.kind, "Owner": owners[i],
            "Start": start_dates[i], "Finish": finish_dates[i], "Predecessors": _pred_text(nd.preds),
            "Constraint": constraint, "Constraint Date": cdate,
            "Baseline Start": bstart_dates[i], "Baseline Finish": bfinish_dates[i],
            "Notes": nd.note, **values,
        }))

    last = max(_date(cal, int(cur_finish.max())), _date(cal, int(base_finish.max())))
    holidays_rows = [_row("tblHolidays", {"Date": d, "Name": name}) for d, name in company_days
                     if start <= d and d.year <= last.year]
    pm = next(p["Person"] for p in people if p["Role"] == "Project Manager")
    settings = {
        "ProjectName": f"{company}: {product} roll-out",
        "ProjectCode": _project_code(seed),
        "ProjectManager": pm,
        "Sponsor": names.stakeholder(0),
        "StartDate": start,
        "PlannedFinish": _date(cal, int(base_finish.max())),
        "StatusDate": status_date,
        "Currency": currency,
        "HoursPerDay": 8,
        "WorkWeek": "1111100",
        "HolidayCountry": country,
        "ContingencyReserve": _round_to(bac * 0.08, 1000),
        "ManagementReserve": _round_to(bac * 0.05, 1000),
        "TemplateVersion": schema.TEMPLATE_VERSION,
    }
    rows: dict[str, Any] = {
        "tblHolidays": holidays_rows,
        "tblPlan": plan,
        "tblResources": people,
        "tblBudget": budget,
        "tblTimesheet": timesheet,
        "tblCosts": costs,
        "tblChanges": changes,
        "tblChangeLog": log,
    }
    # Size each reserve to what approved changes draw from it, with headroom, so the demo
    # shows a reserve being used rather than one already over-drawn.
    draws = engine_changes.reserve_draws(pd.DataFrame(changes, columns=list(engine_changes.REGISTER_HEADERS)))
    for setting, key in (("ContingencyReserve", "contingency"), ("ManagementReserve", "management_reserve")):
        needed = math.ceil(draws[key] * 1.4 / 1000) * 1000
        settings[setting] = max(settings[setting], float(needed))
    project = DemoProject(settings, rows)
    _plant_defects(rnd, project, cal, complete, in_progress, work, cur_start)
    return project


def _country_holidays(country: str, years: Iterable[int]) -> list[dt.date]:
    import holidays as hol

    return sorted(hol.country_holidays(country, years=list(years)).keys())


def _company_holidays(rnd: random.Random, years: Iterable[int], official: set[dt.date]) -> list[tuple[dt.date, str]]:
    """Company closure days (tblHolidays): Christmas Eve, New Year's Eve and a summer day."""
    out = []
    for y in years:
        summer = dt.date(y, 7, 1) + dt.timedelta(days=rnd.randint(0, 50))
        summer += dt.timedelta(days=(4 - summer.weekday()) % 7)  # a Friday
        for d, name in ((summer, "Company day"), (dt.date(y, 12, 24), "Christmas Eve (office closed)"),
                        (dt.date(y, 12, 31), "New Year's Eve (office closed)")):
            if d.weekday() < 5 and d not in official:
                out.append((d, name))
    return sorted(out)


def _pred_text(preds: list[tuple[int, str, int]]) -> str | None:
    parts = []
    for j, typ, lag in preds:
        text = str(j + 1)
        if typ != "FS" or lag:
            text += typ
        if lag:
            text += f"{lag:+d}"
        parts.append(text)
    return ", ".join(parts) or None


def _summaries(nodes: list[_Node], weights: np.ndarray, pct: np.ndarray, start: np.ndarray,
               started: np.ndarray) -> tuple[dict[int, float], dict[int, int]]:
    """% complete (duration-weighted over leaf tasks) and actual start of each summary."""
    done: dict[int, float] = {}
    total: dict[int, float] = {}
    actual: dict[int, int] = {}
    for i, nd in enumerate(nodes):
        if nd.kind == "Summary":
            continue
        p = nd.parent
        while p >= 0:
            total[p] = total.get(p, 0.0) + weights[i]
            done[p] = done.get(p, 0.0) + weights[i] * pct[i]
            if started[i]:
                actual[p] = min(actual.get(p, int(start[i])), int(start[i]))
            p = nodes[p].parent
    out = {}
    for i, nd in enumerate(nodes):
        if nd.kind == "Summary":
            out[i] = round(done.get(i, 0.0) / total[i], 2) if total.get(i) else 0.0
    # a summary is 100 % only when every leaf below it is complete (rounding must not lie)
    incomplete = set()
    for i, nd in enumerate(nodes):
        if nd.kind != "Summary" and pct[i] < 1:
            p = nd.parent
            while p >= 0:
                incomplete.add(p)
                p = nodes[p].parent
    for i in out:
        if i in incomplete and out[i] >= 1:
            out[i] = 0.99
        elif i not in incomplete:
            out[i] = 1.0
    return out, actual


# --------------------------------------------------------------------------- change register


def _cr_path(status: str, rnd: random.Random) -> list[str]:
    """The status moves (SPEC §6) that lead from Draft to ``status``."""
    review = ["Submitted", "Under Review"]
    return {
        "Draft": [],
        "Submitted": ["Submitted"],
        "Under Review": review,
        "Approved": review + ["Approved"],
        "Rejected": review + ["Rejected"],
        "Deferred": review + ["Deferred"],
        "Implemented": review + ["Approved", "Implemented"],
        "Closed": review + (["Approved", "Implemented", "Closed"] if rnd.random() < 0.6 else ["Rejected", "Closed"]),
        "Withdrawn": ["Submitted", "Withdrawn"],
    }[status]


_GAPS = {"Submitted": (1, 3), "Under Review": (2, 5), "Approved": (3, 10), "Rejected": (3, 10),
         "Deferred": (3, 10), "Implemented": (5, 15), "Closed": (3, 8), "Withdrawn": (2, 6)}


def _when(rnd: random.Random, cal: _WorkDays, day: int) -> dt.datetime:
    """A moment during office hours (UTC) of working day ``day``."""
    d = _date(cal, day)
    return dt.datetime(d.year, d.month, d.day, rnd.randint(7, 15), rnd.randint(0, 59), rnd.randint(0, 59))


def _changes(rnd: random.Random, cal: _WorkDays, nodes: list[_Node], base_start: np.ndarray, s: int,
             names: _Names):
    """tblChanges, tblChangeLog, the budget lines of approved changes and their schedule days.

    Each request's history is played through the change engine (:mod:`pmo_xl.engine.changes`:
    ``add``, ``set_status``, ``edit``, ``decide``) in time order, so the register, the log
    and the budget lines are exactly what ``pmo-xl change`` would have written.
    """
    n_cr = rnd.randint(9, 12) + len(nodes) // 200
    open_statuses = ["Under Review", "Submitted", "Draft"]  # the newest requests
    decided = ["Approved", "Approved", "Implemented", "Rejected", "Deferred"]
    pool = ["Approved", "Implemented", "Rejected", "Closed", "Withdrawn", "Deferred", "Approved"]
    while len(decided) < n_cr - len(open_statuses):
        decided.append(rnd.choice(pool))
    rnd.shuffle(decided)
    catalogue = list(_CRS)
    rnd.shuffle(catalogue)

    sponsor = names.stakeholder(0)
    requesters = [names.stakeholder(i) for i in range(1, len(_STAKEHOLDER_TITLES))]
    owners = [names.team(0), names.team(1)]  # the project manager and the business analyst
    leaves_by_phase: dict[int, list[int]] = {}
    for i, nd in enumerate(nodes):
        if nd.kind == "Task":
            leaves_by_phase.setdefault(nd.phase, []).append(i)

    plans = []
    lo = min(10, s // 5)
    for k, status in enumerate(decided + open_statuses):
        path = _cr_path(status, rnd)
        gaps = [rnd.randint(*_GAPS[step]) for step in path]
        if k < len(decided):
            raised = rnd.randint(lo, max(lo, s - 45))
        else:
            raised = rnd.randint(max(lo, s - 25), max(lo, s - 10))
        room = s - raised
        if sum(gaps) > room:  # squeeze the history so it ends by the status date
            gaps = [max(1, g * room // max(1, sum(gaps))) for g in gaps]
            raised = min(raised, s - sum(gaps))
        plans.append((raised, path, gaps))
    plans.sort(key=lambda p: p[0])

    # what each request is about, and its history as dated events
    specs, events = [], []
    for k, (raised, path, gaps) in enumerate(plans):
        title, typ, desc, why, ph, cost_rng, days_rng, category = catalogue[k % len(catalogue)]
        title += _CR_SUFFIXES[(k // len(catalogue)) % len(_CR_SUFFIXES)]
        candidates = [i for i in leaves_by_phase.get(ph, []) if base_start[i] > raised] or leaves_by_phase.get(ph, [])
        affected = sorted(rnd.sample(candidates, min(len(candidates), rnd.randint(1, 2))))
        requester = rnd.choice(requesters)
        specs.append({
            "fields": {"Title": title, "Description": desc, "Requested By": requester, "Date Raised": _date(cal, raised),
                       "Type": typ, "Priority": rnd.choice(["Low", "Medium", "Medium", "High", "Critical"]),
                       "Rationale": why, "Affected Tasks": ", ".join(str(i + 1) for i in affected),
                       "Owner": rnd.choice(owners)},
            "impact": {"Cost Impact": _round_to(rnd.uniform(*cost_rng), 100), "Schedule Impact": rnd.randint(*days_rng),
                       "Funding": rnd.choice(["Contingency", "Contingency", "Contingency", "Management Reserve", "New Funding"])},
            "category": category, "affected": affected, "requester": requester,
        })
        events.append((_when(rnd, cal, raised), k, "Added", raised))
        day = raised
        for step, gap in zip(path, gaps):
            day += gap
            when = _when(rnd, cal, day)
            events.append((when, k, step, day))
            if step == "Under Review":  # the impact assessment, later that day
                events.append((when + dt.timedelta(minutes=rnd.randint(20, 90)), k, "Assessed", day))
    events.sort(key=lambda e: (e[0], e[1]))

    headers = engine_changes.REGISTER_HEADERS
    register: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    budget: list[dict[str, Any]] = []
    cr_days: dict[int, int] = {}
    ids: dict[int, str] = {}
    verbs = {v: k for k, v in engine_changes.DECISIONS.items()}
    for when, k, step, day in events:
        spec = specs[k]
        frame = pd.DataFrame(register, columns=headers, dtype=object)
        owner = _username(spec["fields"]["Owner"])
        edits = []
        if step == "Added":
            edit = engine_changes.add(frame, None, spec["fields"], user=_username(spec["requester"]), now=when,
                                      today=_date(cal, day), known_tasks=range(1, len(nodes) + 1))
            ids[k] = edit.cr_id
            register.append(dict(edit.new_change))
            edits.append(edit)
        elif step in verbs:
            edits.append(engine_changes.decide(
                frame, ids[k], verbs[step], by=sponsor, user=_username(sponsor), now=when, date=_date(cal, day),
                note=_CR_DECISIONS[step], category=spec["category"]))
            impact = spec["impact"]["Schedule Impact"]
            first = spec["affected"][0] if spec["affected"] else None
            if step == "Approved" and impact and first is not None and base_start[first] > day:
                cr_days[first] = cr_days.get(first, 0) + impact
        elif step == "Assessed":
            edits.append(engine_changes.edit(frame, ids[k], spec["impact"], user=owner, now=when))
        else:
            edits.append(engine_changes.set_status(frame, ids[k], step, user=owner, now=when, date=_date(cal, day)))
        for edit in edits:
            if edit.row is not None:
                register[edit.row].update(edit.cells)
            log.extend(_row("tblChangeLog", r) for r in edit.log_rows)
            budget.extend(_row("tblBudget", r) for r in edit.budget_rows)
    changes = [_row("tblChanges", r) for r in register]
    return changes, log, budget, cr_days


# --------------------------------------------------------------------------- people


def _active_days(work: np.ndarray, start: np.ndarray, finish: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """(day, task) pairs: every working day ≤ ``s`` on which a started task runs, by day."""
    tasks = np.flatnonzero(work & (start <= s))
    a = start[tasks]
    length = np.minimum(finish[tasks], s) - a + 1
    first = np.repeat(np.cumsum(length) - length, length)
    day = np.repeat(a, length) + (np.arange(int(length.sum())) - first)
    task = np.repeat(tasks, length)
    order = np.lexsort((task, day))
    return day[order], task[order]


def _capacity_per_person(work: np.ndarray, start: np.ndarray, finish: np.ndarray, s: int) -> int:
    """Most timesheet rows one person can have: Σ over days of min(tasks running, KMAX)."""
    day, _ = _active_days(work, start, finish, s)
    _, cnt = np.unique(day, return_counts=True)
    return int(np.minimum(cnt, _KMAX).sum())


def _grow_team(roles: list[_Role], timesheet_rows: int | None, work: np.ndarray, start: np.ndarray,
               finish: np.ndarray, s: int) -> list[_Role]:
    """Add people when the requested timesheet needs more person-days than the team has."""
    if timesheet_rows is None:
        return roles
    per_person = max(1, _capacity_per_person(work, start, finish, s))
    needed = math.ceil(timesheet_rows / (0.8 * per_person))
    roles = list(roles)
    k = 0
    while len(roles) < needed:
        roles.insert(len(roles) - 1, _ROLE_BY_KEY[_SCALE_ROLES[k % len(_SCALE_ROLES)]])  # the last joiner stays last
        k += 1
    return roles


def _people(rnd: random.Random, names: _Names, roles: list[_Role], rate_factor: float) -> list[dict[str, Any]]:
    rows = []
    for i, role in enumerate(roles):
        rate = _round_to(role.rate * rate_factor * (0.93 + 0.14 * rnd.random()), 5)
        capacity = 4.0 if role.key == "TRAIN" and i < len(_CORE_ROLES) else None  # part-time on this project
        rows.append(_row("tblResources", {"Person": names.team(i), "Role": role.title, "Rate": rate,
                                          "Category": role.category, "Capacity": capacity}))
    return rows


def _owners(nodes: list[_Node], people: list[dict[str, Any]], keys: list[str]) -> list[str]:
    by_role: dict[str, list[str]] = {}
    for p, key in zip(people, keys):
        by_role.setdefault(key, []).append(p["Person"])
    turn: dict[str, int] = {}
    out = []
    for nd in nodes:
        wanted = ("PM",) if nd.kind == "Milestone" else (nd.role,) + _PHASES[nd.phase].owners + ("PM",)
        key = next(k for k in wanted if k in by_role)
        if nd.kind == "Summary":
            out.append(by_role[key][0])
        else:
            n = turn.get(key, 0)
            turn[key] = n + 1
            out.append(by_role[key][n % len(by_role[key])])
    return out


# --------------------------------------------------------------------------- timesheet


def _timesheet(rng: np.random.Generator, cal: _WorkDays, people: list[dict[str, Any]], keys: list[str],
               nodes: list[_Node], work: np.ndarray, phase: np.ndarray, start: np.ndarray, finish: np.ndarray,
               s: int, n_rows: int) -> pd.DataFrame:
    """Exactly ``n_rows`` bookings, vectorised.

    1. person-days: every person on every working day ≤ the status date on which started
       tasks run; the busiest ones (weighted by how much the person's role works in the
       phases running that day) are booked;
    2. each booked person-day gets 1..KMAX task rows, among the tasks running that day,
       preferring the person's phases;
    3. hours: the day's total (≤ the person's capacity, at most 8) split in half hours,
       at least half an hour a row.
    """
    headers = schema.table("tblTimesheet").headers
    pair_day, pair_task = _active_days(work, start, finish, s)
    days, off, cnt = np.unique(pair_day, return_index=True, return_counts=True)
    n_days, n_people = len(days), len(people)
    if n_rows == 0 or n_days == 0:
        return pd.DataFrame({h: [] for h in headers})
    aff = np.array([_AFFINITY[k] for k in keys])  # people × phases
    day_pos = np.repeat(np.arange(n_days), cnt)
    hist = np.zeros((n_days, len(_PHASES)))
    np.add.at(hist, (day_pos, phase[pair_task]), 1.0)
    fit = (hist / cnt[:, None]) @ aff.T  # days × people: how much the day's work suits the person

    slot_day = np.tile(np.arange(n_days), n_people)
    slot_person = np.repeat(np.arange(n_people), n_days)
    slot_cap = np.minimum(cnt[slot_day], _KMAX)
    key = np.log(fit[slot_day, slot_person] + 0.02) + rng.gumbel(size=len(slot_day))
    order = np.argsort(-key, kind="stable")
    cumcap = np.cumsum(slot_cap[order])
    if cumcap[-1] < n_rows:
        raise ValueError(f"{n_people} people cannot book {n_rows} timesheet rows on this plan")
    least = int(np.searchsorted(cumcap, n_rows)) + 1  # fewest person-days that can hold the rows
    n_slots = int(min(max(round(n_rows / 1.35), least), len(order), n_rows))
    chosen = order[:n_slots]
    sd, sp = slot_day[chosen], slot_person[chosen]
    k = np.ones(n_slots, dtype=np.int64)
    spare = np.repeat(np.arange(n_slots), slot_cap[chosen] - 1)
    extra = n_rows - n_slots
    if extra:
        k += np.bincount(spare[rng.permutation(len(spare))[:extra]], minlength=n_slots)

    # which tasks: the best-suited k of up to _CANDIDATES running that day (a random window)
    m = np.minimum(cnt[sd], _CANDIDATES)
    rep = np.repeat(np.arange(n_slots), m)
    group = np.repeat(np.cumsum(m) - m, m)
    j = np.arange(int(m.sum())) - group
    window = rng.integers(0, cnt[sd])
    task = pair_task[off[sd][rep] + (window[rep] + j) % cnt[sd][rep]]
    pref = np.log(aff[sp[rep], phase[task]] + 0.01) + rng.gumbel(size=len(rep))
    ranked = np.lexsort((-pref, rep))
    keep = ranked[(np.arange(len(ranked)) - group) < k[rep]]
    slot, task = rep[keep], task[keep]

    # hours: the day's total, split in half hours
    capacity = np.array([min(8.0, p["Capacity"] or 8.0) for p in people])
    total = np.minimum(rng.choice(np.array([8, 8, 8, 8, 8, 7.5, 7.5, 7, 6, 5, 4]), size=n_slots), capacity[sp])
    units = (2 * total).astype(np.int64)
    w = rng.uniform(0.5, 1.5, size=len(slot))
    wsum = np.bincount(slot, weights=w, minlength=n_slots)
    share = np.floor((units[slot] - k[slot]) * w / wsum[slot]).astype(np.int64)
    hours = (1 + share) / 2.0

    person_names = np.array([p["Person"] for p in people], dtype=object)
    day_idx = days[sd[slot]]
    order = np.lexsort((task, sp[slot], day_idx))
    notes = np.array([None, "Workshop", "Review meeting", "Defect fixing", "Documentation", "Vendor call"], dtype=object)
    note = notes[np.where(rng.random(len(slot)) < 0.04, rng.integers(1, len(notes), size=len(slot)), 0)]
    frame = pd.DataFrame({
        "Date": pd.to_datetime(cal.dates(day_idx[order]).astype("datetime64[ns]")),
        "Person": person_names[sp[slot][order]],
        "Task ID": (task[order] + 1).astype(np.int64),
        "Hours": hours[order],
        "Note": note,
    })
    return frame[headers]


# --------------------------------------------------------------------------- budget and costs


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], dt.date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _money(rnd: random.Random, cal: _WorkDays, nodes: list[_Node], work: np.ndarray, phase: np.ndarray,
           base_start: np.ndarray, base_finish: np.ndarray, base_dur: np.ndarray, start: np.ndarray,
           finish: np.ndarray, pct: np.ndarray, s: int, ac_labour: float, cpi_target: float, country: str,
           product: str, vendor: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """tblBudget (original lines) and tblCosts, consistent with the plan and the timesheet."""
    fx = {"DE": 1.0, "GB": 0.85}[country]
    budget: list[dict[str, Any]] = []
    costs: list[tuple[int, dict[str, Any]]] = []
    tasks = np.flatnonzero(work)
    status_date = _date(cal, s)

    # labour, calibrated so EV / AC lands near the target CPI
    staffing = np.array([1.0 + 1.5 * rnd.random() for _ in tasks])
    weight = base_dur[tasks] * staffing
    earned = float((weight * pct[tasks]).sum())
    scale = ac_labour * cpi_target / earned if earned > 0 and ac_labour > 0 else 8 * 85.0
    for i, w in zip(tasks, weight):
        budget.append(_row("tblBudget", {"Task ID": int(i) + 1, "Category": "Labour",
                                         "Amount": max(100.0, _round_to(w * scale, 100)), "Source": "Original",
                                         "Note": "Team effort"}))

    # implementation partner on some design, build and migration tasks
    partner = rnd.choice(_PARTNERS[country])
    day_rate = rnd.choice([1100, 1250, 1400]) * fx
    ref = itertools.count(1)
    for i in tasks:
        if phase[i] not in (_P_DESIGN, _P_BUILD, _P_DATA) or rnd.random() >= 0.35:
            continue
        amount = _round_to(base_dur[i] * day_rate * rnd.uniform(0.5, 1.0), 100)
        budget.append(_row("tblBudget", {"Task ID": int(i) + 1, "Category": "Contractors", "Amount": amount,
                                         "Source": "Original", "Note": f"{partner}: partner services"}))
        if start[i] <= s and pct[i] > 0:
            day = int(min(finish[i], s))
            costs.append((day, _row("tblCosts", {
                "Date": _date(cal, day), "Task ID": int(i) + 1, "Category": "Contractors", "Vendor": partner,
                "Description": f"{nodes[i].name}: partner services",
                "Amount": round(amount * float(pct[i]) * rnd.uniform(0.9, 1.15), 2),
                "Reference": f"{partner[:3].upper()}-{next(ref):04d}"})))

    # hardware for the build, training for the end users
    build = [int(i) for i in tasks if phase[i] == _P_BUILD]
    training = [int(i) for i in tasks if phase[i] == _P_TRAIN]
    for items, category, lo, hi, note, seller in (
        (build, "Hardware", 8000, 25000, "Test devices and integration server", rnd.choice(["Dell Technologies", "Lenovo"])),
        (training, "Training", 15000, 40000, "Training venues and materials", rnd.choice(["Regus", "IWG Meeting Rooms"])),
    ):
        if not items:
            continue
        i = next((t for t in items if nodes[t].name == "End-user training"), items[0])
        amount = _round_to(rnd.uniform(lo, hi) * fx, 500)
        budget.append(_row("tblBudget", {"Task ID": i + 1, "Category": category, "Amount": amount,
                                         "Source": "Original", "Note": note}))
        if start[i] <= s:
            share = 1.0 if category == "Hardware" else 0.2
            costs.append((int(start[i]), _row("tblCosts", {
                "Date": _date(cal, int(start[i])), "Task ID": i + 1, "Category": category, "Vendor": seller,
                "Description": note if share == 1 else f"{note} (deposit)",
                "Amount": round(amount * share * rnd.uniform(0.9, 1.1), 2), "Reference": f"PO-{next(ref):05d}"})))

    # travel: one project-level line spread over the project, and the trips so far
    finish_all = _date(cal, int(base_finish.max()))
    months = _month_starts(_date(cal, 0), finish_all)
    budget.append(_row("tblBudget", {"Category": "Travel", "Amount": _round_to(len(months) * rnd.uniform(1500, 3000) * fx, 500),
                                     "Source": "Original", "Note": "Workshops at the branches"}))
    trips = _TRAVEL[country]
    day = rnd.randint(3, 8)
    while day <= s:
        seller, what = rnd.choice(trips)
        running = [int(t) for t in tasks if start[t] <= day <= finish[t]]
        task = rnd.choice(running) + 1 if running and rnd.random() < 0.5 else None
        costs.append((day, _row("tblCosts", {
            "Date": _date(cal, day), "Task ID": task, "Category": "Travel", "Vendor": seller, "Description": what,
            "Amount": round(rnd.uniform(120, 1100) * fx, 2), "Reference": f"EXP-{next(ref):05d}"})))
        day += rnd.randint(12, 25)

    # go-live communications in the go-live month
    golive_start = min((int(base_start[i]) for i in tasks if phase[i] == _P_GOLIVE), default=int(base_finish.max()))
    gm = _date(cal, golive_start)
    budget.append(_row("tblBudget", {"Category": "Other", "Period": dt.date(gm.year, gm.month, 1),
                                     "Amount": _round_to(rnd.uniform(3000, 8000) * fx, 500), "Source": "Original",
                                     "Note": "Go-live communications and launch event"}))

    # licences: a Period line per month from the start of the build, invoiced monthly
    users = rnd.choice([50, 80, 120, 150, 200, 300])
    price = _round_to(rnd.choice([55, 75, 95, 120, 150]) * fx, 1)
    first = _date(cal, min((int(base_start[i]) for i in build), default=0))
    licences = _month_starts(first, finish_all)
    for month in licences:
        budget.append(_row("tblBudget", {"Category": "Software", "Period": month, "Amount": users * price,
                                         "Source": "Original", "Note": f"{product}: {users} licences"}))
    for month in licences:
        day = cal.index(month)
        if month > status_date:
            break
        if day < 0 or _date(cal, day) < month:
            day += 1
        if day > s:
            break
        costs.append((day, _row("tblCosts", {
            "Date": _date(cal, day), "Category": "Software", "Vendor": vendor,
            "Description": f"{product}: {users} licences, {month:%B %Y}", "Amount": float(users * price),
            "Reference": f"INV-{month:%Y%m}"})))
    costs.sort(key=lambda c: (c[0], c[1]["Reference"]))
    return budget, [c for _, c in costs]


# --------------------------------------------------------------------------- defects


def _plant_defects(rnd: random.Random, project: DemoProject, cal: _WorkDays, complete: np.ndarray,
                   in_progress: np.ndarray, work: np.ndarray, cur_start: np.ndarray) -> None:
    """Plant a few realistic mistakes and record each one in ``project.defects``."""
    rows = project.rows
    plan = rows["tblPlan"]
    n = len(plan)
    defects = project.defects

    def note(table: str, index: int, key: Any, column: str, value: Any, problem: str, rule: str) -> None:
        defects.append({"table": table, "index": index, "key": key, "column": column, "value": value,
                        "problem": problem, "rule": rule})

    future = [int(i) for i in np.flatnonzero(work & ~complete & ~in_progress)]
    if len(future) < 3:
        future = [int(i) for i in np.flatnonzero(work)]
    a, b, c = rnd.sample(future, 3)

    ghost = n + 3
    text = ", ".join(x for x in (plan[a]["Predecessors"], str(ghost)) if x)
    plan[a]["Predecessors"] = text
    note("tblPlan", a, a + 1, "Predecessors", text, f"predecessor {ghost} is not a task in the plan", "PL")

    wrong = _date(cal, int(cur_start[b]) - 3)
    plan[b]["Finish"] = wrong
    note("tblPlan", b, b + 1, "Finish", wrong, "finish is before the start", "PL")

    plan[c]["Owner"] = None
    note("tblPlan", c, c + 1, "Owner", None, "task without an owner", "PL")

    running = [int(i) for i in np.flatnonzero(work & in_progress)]
    if running:
        d = rnd.choice(running)
        plan[d]["% Complete"] = 1.0
        note("tblPlan", d, d + 1, "% Complete", 1.0, "100 % complete but the status is In Progress", "PL")
    else:
        d = rnd.choice([int(i) for i in np.flatnonzero(work & complete)])
        plan[d]["Status"] = "In Progress"
        note("tblPlan", d, d + 1, "Status", "In Progress", "100 % complete but the status is In Progress", "PL")

    people = rows["tblResources"]
    note("tblResources", len(people) - 1, people[-1]["Person"], "Rate", None, "person without an hourly rate", "FN")

    ts = rows["tblTimesheet"]
    if len(ts):
        i = len(ts) // 3
        ts.iat[i, ts.columns.get_loc("Task ID")] = n + 7
        note("tblTimesheet", i, None, "Task ID", n + 7, f"hours booked on task {n + 7}, which is not in the plan", "FN")

    costs = rows["tblCosts"]
    if costs:
        costs[-1]["Date"] = "next week"
        note("tblCosts", len(costs) - 1, None, "Date", "next week", "a date typed as text", "DT")

    changes = rows["tblChanges"]
    i = next(i for i, r in enumerate(changes) if r["Status"] == "Rejected")
    changes[i]["Decision Date"] = None
    note("tblChanges", i, changes[i]["CR ID"], "Decision Date", None, "rejected without a decision date", "CR")
