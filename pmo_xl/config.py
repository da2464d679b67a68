"""Organisation settings: ``pmo.toml`` (SPEC §1 "template distribution", §5 RAG, §4 DCMA).

A PMO keeps one ``pmo.toml`` for all its projects::

    [organization]
    name = "Acme PMO"
    currency = "EUR"            # ISO 4217: default Currency of new workbooks
    hours_per_day = 8           # default HoursPerDay
    work_week = "1111100"       # default WorkWeek (Mon..Sun, 1 = working)
    holiday_country = "DE"      # default HolidayCountry (ISO 3166)

    [lists]                     # items ADDED to the standard drop-downs
    cost_categories = ["Facilities", "Licences"]
    cr_types = ["Regulatory"]
    priorities = []

    [thresholds]
    rag_green = 0.95            # CPI and SPI at or above: Green
    rag_amber = 0.90            # ... at or above: Amber, else Red

    [thresholds.dcma]           # any field of pmo_xl.engine.dcma.DcmaThresholds
    high_float_days = 44
    high_duration_days = 44
    logic_max = 5.0

Only the enumerations whose values the engine treats as plain labels may be extended
(:data:`EXTENSIBLE_LISTS`): cost categories, change-request types and priorities. Task
statuses, task types, constraints, change-request statuses (the workflow) and funding
sources (reserve draw-downs) carry meaning in the engine and stay as the standard defines
them.

``pmo-xl new --config pmo.toml`` stores the settings **in the workbook** (a block on the
hidden Lists sheet with ``cfg…`` defined names, and the extended lists feeding the
drop-downs), so ``validate``, ``rollup`` and the Excel buttons use the same thresholds
later without the file: :func:`thresholds_for` reads them back.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from . import schema
from .errors import PmoError

if TYPE_CHECKING:
    from .engine.dcma import DcmaThresholds
    from .engine.evm import RagThresholds
    from .model import Book

#: pmo.toml ``[lists]`` key -> the LISTS key it extends.
EXTENSIBLE_LISTS: dict[str, str] = {
    "cost_categories": "CostCategory",
    "cr_types": "CRType",
    "priorities": "Priority",
}
#: Lists that cannot be extended, with the reason given to the user.
FIXED_LISTS: dict[str, str] = {
    "task_statuses": "task statuses drive progress and scheduling rules",
    "task_types": "task types drive scheduling (Task / Milestone / Summary)",
    "constraints": "constraint types are those of the scheduling engine",
    "cr_statuses": "change-request statuses are the change workflow",
    "funding": "funding sources decide which reserve an approved change draws down",
}

_ORG_KEYS = ("name", "currency", "hours_per_day", "work_week", "holiday_country")
_RAG_KEYS = ("rag_green", "rag_amber")

#: Where the stored settings live in a workbook: a block on the hidden Lists sheet, one
#: empty column right of the drop-down lists (which use columns A.. of LISTS).
STORED_SHEET = "Lists"
STORED_LABEL_COL = len(schema.LISTS) + 2  # 1-based: K with 9 lists
STORED_FIRST_ROW = 3  # header on row 2 like the lists
STORED_PREFIX = "cfg"


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@dataclass(frozen=True)
class OrgConfig:
    """A parsed ``pmo.toml``. Every field has the standard's default, so ``OrgConfig()``
    is "no configuration"."""

    name: str = ""
    currency: str | None = None
    hours_per_day: float | None = None
    work_week: str | None = None
    holiday_country: str | None = None
    #: extra items per LISTS key (only those of :data:`EXTENSIBLE_LISTS`)
    extra_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rag_green: float = 0.95
    rag_amber: float = 0.90
    dcma: dict[str, float] = field(default_factory=dict)  # DcmaThresholds field -> value
    source: str = ""

    # ---------------------------------------------------------------- derived

    @property
    def lists(self) -> dict[str, tuple[str, ...]]:
        """Every drop-down list: the standard items, then the organisation's additions."""
        out = dict(schema.LISTS)
        for key, extra in self.extra_lists.items():
            out[key] = tuple(out[key]) + tuple(extra)
        return out

    def setting_defaults(self) -> dict[str, Any]:
        """Organisation defaults for the project settings (a project's own values win)."""
        out: dict[str, Any] = {}
        if self.currency:
            out["Currency"] = self.currency
        if self.hours_per_day is not None:
            out["HoursPerDay"] = self.hours_per_day
        if self.work_week:
            out["WorkWeek"] = self.work_week
        if self.holiday_country:
            out["HolidayCountry"] = self.holiday_country
        return out

    def rag_thresholds(self) -> RagThresholds:
        from .engine.evm import RagThresholds

        return RagThresholds(green=self.rag_green, amber=self.rag_amber)

    def dcma_thresholds(self) -> DcmaThresholds:
        from .engine.dcma import DcmaThresholds

        return DcmaThresholds(**self.dcma)

    def stored(self) -> list[tuple[str, str, Any]]:
        """(defined name, label, value) of every setting stored in a workbook, in order:
        ``cfgOrganization``, ``cfgRagGreen``, ``cfgRagAmber``, then ``cfgDcma<Field>`` for
        every DCMA threshold (all of them, defaults included, so a workbook carries the
        whole rule set it was stamped with)."""
        t = self.dcma_thresholds()
        rows: list[tuple[str, str, Any]] = [
            ("cfgOrganization", "Organisation", self.name),
            ("cfgRagGreen", "RAG green: CPI and SPI at least", self.rag_green),
            ("cfgRagAmber", "RAG amber: CPI and SPI at least", self.rag_amber),
        ]
        for f in dataclasses.fields(t):
            rows.append((STORED_PREFIX + "Dcma" + _camel(f.name), f"DCMA {f.name.replace('_', ' ')}", getattr(t, f.name)))
        return rows


# --------------------------------------------------------------------------- parsing


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - Python 3.10
        import tomli

        return tomli
    except ImportError:  # pragma: no cover
        raise PmoError("reading pmo.toml on Python 3.10 needs the 'tomli' package (pip install tomli)") from None


def read_user_file(path: Path, what: str) -> bytes:
    """The bytes of a file the user named; a missing file or a folder (``what`` says
    what was expected, e.g. "a CSV file") is a :class:`PmoError`."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PmoError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PmoError(f"{path}: is a folder, not {what}") from None


def load_config(path: str | Path) -> OrgConfig:
    """Read and check ``pmo.toml``; every mistake is a :class:`PmoError` naming the key."""
    path = Path(path)
    data = read_user_file(path, "a pmo.toml file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PmoError(f"{path}: not a text file (expected TOML, UTF-8)") from None
    toml = _toml()
    try:
        parsed = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise PmoError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(parsed, source=str(path))


def parse_config(data: Mapping[str, Any], source: str = "pmo.toml") -> OrgConfig:
    """Check a parsed ``pmo.toml`` mapping and return the :class:`OrgConfig`."""

    def fail(key: str, message: str) -> PmoError:
        return PmoError(f"{source}: {key}: {message}")

    _no_unknown(data, ("organization", "lists", "thresholds"), "", fail)
    org = _section(data, "organization", fail)
    lists = _section(data, "lists", fail)
    thresholds = _section(data, "thresholds", fail)
    _no_unknown(org, _ORG_KEYS, "organization.", fail)
    kwargs: dict[str, Any] = {"source": source}

    # [organization]
    if "name" in org:
        kwargs["name"] = _text(org["name"], "organization.name", fail)
    if "currency" in org:
        cur = _text(org["currency"], "organization.currency", fail).upper()
        if not re.fullmatch(r"[A-Z]{3}", cur):
            raise fail("organization.currency", f"{org['currency']!r} is not an ISO 4217 code such as EUR or USD")
        kwargs["currency"] = cur
    if "hours_per_day" in org:
        hpd = _number(org["hours_per_day"], "organization.hours_per_day", fail)
        if not 0 < hpd <= 24:
            raise fail("organization.hours_per_day", f"{hpd:g} is not between 0 and 24 hours")
        kwargs["hours_per_day"] = int(hpd) if float(hpd).is_integer() else hpd
    if "work_week" in org:
        ww = org["work_week"]
        if isinstance(ww, int) and not isinstance(ww, bool):
            raise fail("organization.work_week", f"{ww} must be quoted text, e.g. \"1111100\" (a number loses its leading zeros)")
        ww = _text(ww, "organization.work_week", fail)
        if not re.fullmatch(r"[01]{7}", ww):
            raise fail("organization.work_week", f"{ww!r} must be 7 characters 0/1 for Mon..Sun, e.g. \"1111100\"")
        if "1" not in ww:
            raise fail("organization.work_week", f"{ww!r} has no working day")
        kwargs["work_week"] = ww
    if "holiday_country" in org:
        country = _text(org["holiday_country"], "organization.holiday_country", fail).upper()
        if country:
            _check_country(country, fail)
            kwargs["holiday_country"] = country

    # [lists]
    extra: dict[str, tuple[str, ...]] = {}
    for key, value in lists.items():
        if key in FIXED_LISTS:
            raise fail(f"lists.{key}", f"cannot be extended: {FIXED_LISTS[key]}")
        if key not in EXTENSIBLE_LISTS:
            raise fail(f"lists.{key}", f"unknown list; the lists an organisation may extend are {', '.join(EXTENSIBLE_LISTS)}")
        if not isinstance(value, list):
            raise fail(f"lists.{key}", f"must be a list of names, e.g. [\"Facilities\"], not {_type(value)}")
        list_key = EXTENSIBLE_LISTS[key]
        seen = {x.lower() for x in schema.LISTS[list_key]}
        items: list[str] = []
        for i, item in enumerate(value):
            where = f"lists.{key}[{i}]"
            if not isinstance(item, str):
                raise fail(where, f"must be text, not {_type(item)}")
            item = item.strip()
            if not item:
                raise fail(where, "is empty")
            if len(item) > 60 or item[0] in "=+-@" or any(ch in item for ch in ",\"\t\n\r"):
                raise fail(where, f"{item!r}: use plain names of at most 60 characters (no commas, quotes or leading = + - @)")
            if item.lower() in seen:
                if item.lower() in {x.lower() for x in schema.LISTS[list_key]}:
                    continue  # already standard: nothing to add
                raise fail(where, f"{item!r} is listed twice")
            seen.add(item.lower())
            items.append(item)
        total = len(",".join((*schema.LISTS[list_key], *items)))
        if total > 255 or len(schema.LISTS[list_key]) + len(items) > 200:
            raise fail(f"lists.{key}", "too many items for an Excel drop-down (keep the list short)")
        if items:
            extra[list_key] = tuple(items)
    kwargs["extra_lists"] = extra

    # [thresholds]
    from .engine.dcma import DcmaThresholds

    _no_unknown(thresholds, (*_RAG_KEYS, "dcma"), "thresholds.", fail)
    for key in _RAG_KEYS:
        if key in thresholds:
            v = _number(thresholds[key], f"thresholds.{key}", fail)
            if not 0 < v <= 10:
                raise fail(f"thresholds.{key}", f"{v:g} is not a CPI/SPI limit (e.g. 0.95)")
            kwargs[key] = float(v)
    green = kwargs.get("rag_green", OrgConfig.rag_green)
    amber = kwargs.get("rag_amber", OrgConfig.rag_amber)
    if amber > green:
        raise fail("thresholds.rag_amber", f"{amber:g} is above rag_green {green:g}")
    dcma_in = thresholds.get("dcma", {})
    if not isinstance(dcma_in, Mapping):
        raise fail("thresholds.dcma", f"must be a table ([thresholds.dcma]), not {_type(dcma_in)}")
    fields = {f.name: f for f in dataclasses.fields(DcmaThresholds)}
    _no_unknown(dcma_in, tuple(fields), "thresholds.dcma.", fail)
    dcma: dict[str, float] = {}
    for key, value in dcma_in.items():
        where = f"thresholds.dcma.{key}"
        v = _number(value, where, fail)
        default = fields[key].default
        if isinstance(default, int) and not isinstance(default, bool):
            if not float(v).is_integer() or v < (1 if key.endswith("_days") or key.endswith("_delay") else 0):
                raise fail(where, f"{v:g} must be a whole number" + (" of working days ≥ 1" if key.endswith("_days") else " ≥ 0"))
            dcma[key] = int(v)
        elif key.endswith("_min") and key in ("cpli_min", "bei_min"):
            if not 0 < v <= 10:
                raise fail(where, f"{v:g} is not an index limit (e.g. 0.95)")
            dcma[key] = float(v)
        else:
            if not 0 <= v <= 100:
                raise fail(where, f"{v:g} is not a percentage 0..100")
            dcma[key] = float(v)
    kwargs["dcma"] = dcma
    return OrgConfig(**kwargs)


def _no_unknown(data: Mapping[str, Any], known: tuple[str, ...], prefix: str, fail: Any) -> None:
    for key in data:
        if key not in known:
            raise fail(f"{prefix}{key}", f"unknown key; expected one of {', '.join(known)}")


def _section(data: Mapping[str, Any], key: str, fail: Any) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise fail(key, f"must be a table ([{key}]), not {_type(value)}")
    return value


def _type(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}.get(type(value), type(value).__name__)


def _text(value: Any, key: str, fail: Any) -> str:
    if not isinstance(value, str):
        raise fail(key, f"must be text (in quotes), not {_type(value)}")
    return value.strip()


def _number(value: Any, key: str, fail: Any) -> float:
    if isinstance(value, float) and not math.isfinite(value):  # TOML's inf, nan, 1e400
        raise fail(key, f"must be a finite number, not {value}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(key, f"must be a number, not {_type(value)}" + (f" {value!r}" if isinstance(value, str) else ""))
    return value


def _check_country(country: str, fail: Any) -> None:
    try:
        import holidays
    except ImportError:  # pragma: no cover - a test dependency of pmo_xl
        return
    if country not in holidays.list_supported_countries():
        raise fail("organization.holiday_country", f"{country!r} is not a country code the holidays calendar knows (e.g. DE, GB, US)")


# --------------------------------------------------------------------------- stored in a workbook


def stored_names() -> list[str]:
    """The ``cfg…`` defined names a configured workbook carries."""
    return [name for name, _, _ in OrgConfig().stored()]


@functools.lru_cache(maxsize=1)
def _stored_name_set() -> frozenset[str]:
    return frozenset(stored_names())


def config_from_values(values: Mapping[str, Any], source: str = "") -> OrgConfig:
    """Rebuild an :class:`OrgConfig` from the ``cfg…`` values read from a workbook.
    Values that are missing or not numbers keep the standard default."""
    import dataclasses as dc

    from .engine.dcma import DcmaThresholds

    kwargs: dict[str, Any] = {"source": source}
    name = values.get("cfgOrganization")
    if isinstance(name, str):
        kwargs["name"] = name

    def num(key: str) -> float | None:
        v = values.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        return float(v)

    green, amber = num("cfgRagGreen"), num("cfgRagAmber")
    if green is not None and green > 0:
        kwargs["rag_green"] = green
    if amber is not None and amber > 0:
        kwargs["rag_amber"] = amber
    dcma: dict[str, float] = {}
    for f in dc.fields(DcmaThresholds):
        v = num(STORED_PREFIX + "Dcma" + _camel(f.name))
        if v is None:
            continue
        dcma[f.name] = int(v) if isinstance(f.default, int) else v
    kwargs["dcma"] = dcma
    return OrgConfig(**kwargs)


def read_stored(path: str | Path, lists: bool = True) -> OrgConfig | None:
    """The organisation settings stored in the workbook at ``path`` (None when it has none).

    Reads the ``cfg…`` defined names (cells on the Lists sheet, or constants) and, with
    ``lists``, the drop-down lists ``lst_<key>`` where they extend the standard ones.
    """
    from .io.package import open_package

    path = Path(path)
    names = set(stored_names())
    with open_package(path) as pkg:
        found = {d.name: d for d in pkg.defined_names if d.local_sheet_id is None and d.name in names}
        list_names = {d.name[4:]: d for d in pkg.defined_names
                      if d.local_sheet_id is None and d.name.startswith("lst_") and d.name[4:] in EXTENSIBLE_LISTS.values()}
        if not found:
            return None
        targets: dict[str, tuple[str, str]] = {}
        values: dict[str, Any] = {}
        for n, d in found.items():
            t = d.target()
            if t is None:
                from .io.reader import _NOT_CONSTANT, _constant

                c = _constant(d.formula)
                if c is not _NOT_CONSTANT:
                    values[n] = c
            else:
                targets[n] = t
    sheets_needed = {s for s, _ in targets.values()}
    list_ranges = {k: d.formula for k, d in list_names.items()} if lists else {}
    cells = _cells(path, sheets_needed | ({STORED_SHEET} if list_ranges else set()))
    for n, (sheet, cell) in targets.items():
        values[n] = cells.get(sheet.lower(), {}).get(cell.replace("$", "").upper())
    cfg = config_from_values(values, source=str(path))
    extra: dict[str, tuple[str, ...]] = {}
    for key, formula in list_ranges.items():
        items = _range_values(cells, formula)
        standard = {x.lower() for x in schema.LISTS[key]}
        add = tuple(x for x in items if isinstance(x, str) and x and x.lower() not in standard)
        if add:
            extra[key] = add
    return dataclasses.replace(cfg, extra_lists=extra)


def _cells(path: Path, sheets: set[str]) -> dict[str, dict[str, Any]]:
    """{sheet (lower case): {"A1": value}} for the given sheets, read with python-calamine."""
    from python_calamine import CalamineWorkbook

    from .errors import NotAWorkbook
    from .io.package import column_letter
    from .io.rust_notes import is_panic, rust_notes_quiet

    out: dict[str, dict[str, Any]] = {}
    if not sheets:
        return out
    try:
        with rust_notes_quiet():
            wb = CalamineWorkbook.from_path(str(path))
            by_lower = {n.lower(): n for n in wb.sheet_names}
            for sheet in sheets:
                real = by_lower.get(sheet.lower())
                if real is None:
                    continue
                rows = wb.get_sheet_by_name(real).to_python(skip_empty_area=False)
                grid: dict[str, Any] = {}
                for i, row in enumerate(rows):
                    for j, v in enumerate(row):
                        if v != "":
                            grid[f"{column_letter(j + 1)}{i + 1}"] = v
                out[sheet.lower()] = grid
    except Exception as exc:
        raise NotAWorkbook(f"the stored settings cannot be read ({exc})", path=str(path)) from None
    except BaseException as exc:  # a panic of the Rust reader (a date-formatted -1e20)
        if not is_panic(exc):
            raise
        raise NotAWorkbook(f"the stored settings cannot be read ({exc})", path=str(path)) from None
    return out


def _range_values(cells: dict[str, dict[str, Any]], formula: str) -> list[Any]:
    m = re.fullmatch(r"=?(?:'?([^'!]+)'?)!\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)", formula.strip())
    if not m:
        return []
    sheet, c1, r1, c2, r2 = m.groups()
    if c1 != c2:
        return []
    grid = cells.get(sheet.lower(), {})
    return [grid.get(f"{c1}{r}") for r in range(int(r1), int(r2) + 1)]


@dataclass(frozen=True)
class Thresholds:
    """The limits a workbook is judged by: RAG (SPEC §5) and DCMA (SPEC §4)."""

    rag: RagThresholds
    dcma: DcmaThresholds
    lists: dict[str, tuple[str, ...]]
    source: str = ""  # the workbook they were read from ("" = the standard's defaults)


def thresholds_for(book: Book) -> Thresholds:
    """The RAG and DCMA thresholds (and drop-down lists) stored in ``book``'s workbook by
    ``pmo-xl new --config``; the standard's defaults when it stores none or cannot be
    read again. Cached on the book (``book.config``)."""
    cfg = stored_config(book)
    return Thresholds(cfg.rag_thresholds(), cfg.dcma_thresholds(), cfg.lists, cfg.source)


def stored_config(book: Book) -> OrgConfig:
    """The :class:`OrgConfig` :func:`thresholds_for` reads its limits from (``book.config``,
    read from the workbook on the first call): a caller wanting one limit (the roll-up's
    RAG) takes it from here without building the DCMA limits and the lists."""
    cfg = getattr(book, "config", None)
    if not isinstance(cfg, OrgConfig):
        cfg = None
        path = Path(book.path) if getattr(book, "path", "") else None
        names = getattr(book, "defined_names", None)
        if names is not None and names.keys().isdisjoint(_stored_name_set()):
            path = None  # the reader saw every workbook-scoped name: no cfg… name, nothing stored
        if path is not None and path.is_file():
            try:
                cfg = read_stored(path)
            except Exception:  # noqa: BLE001 - best effort: an unreadable block means the standard's limits
                cfg = None
        cfg = cfg or OrgConfig()
        try:
            book.config = cfg  # type: ignore[attr-defined]
        except AttributeError:  # pragma: no cover - a Book with slots
            pass
    return cfg


__all__ = [
    "EXTENSIBLE_LISTS",
    "FIXED_LISTS",
    "OrgConfig",
    "Thresholds",
    "config_from_values",
    "load_config",
    "parse_config",
    "read_stored",
    "stored_config",
    "stored_names",
    "thresholds_for",
]
