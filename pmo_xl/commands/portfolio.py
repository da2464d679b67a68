"""``portfolio``: one row per project workbook of a folder, and a portfolio workbook (SPEC §8).

>>> for row in portfolio(["projects/"], jobs=2):            # doctest: +SKIP
...     print(row["project_code"], row["cpi"], row["rag"])
CRM-0001 0.97 Green

Each workbook is read once and validated, rolled up and scheduled by ONE function,
:func:`project_record`, run in a process pool (``jobs`` processes; ``jobs=1`` runs in this
process). Workers return small plain dicts — the project's row and the detail rows of the
consolidated sheets — never DataFrames. An unreadable workbook becomes a ``failed`` entry
and the batch goes on.

Per project (JSON field names, SPEC §8): ``path, project_code, project_name, status_date,
bac, ev, ac, cpi, spi, eac, rag, errors, warnings, open_changes``, plus ``pv``,
``currency``, ``forecast_finish`` (the CPM forecast), ``baseline_finish`` (the latest
Baseline Finish of the plan) and ``finish_variance_days`` (forecast − baseline in working
days on the project calendar; positive = late). ``open_changes`` counts change requests in
an open status (:data:`pmo_xl.engine.changes.OPEN_STATUSES`). Order: sorted paths.

The whole result: ``{"projects": [...], "failed": [{path, error}], "warnings": [...]}``;
warnings name duplicate or missing ProjectCodes and mixed currencies.
"""

from __future__ import annotations

import datetime as _dt
import functools
import glob
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, overload

from ..errors import PmoError

if TYPE_CHECKING:
    import pandas as pd

#: Workbook files a portfolio folder is searched for.
EXTENSIONS = (".xlsx", ".xlsm")

#: The project row: JSON key, column header in the workbook, column kind.
PROJECT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("project_code", "Project Code", "text"),
    ("project_name", "Project Name", "text"),
    ("status_date", "Status Date", "date"),
    ("currency", "Currency", "text"),
    ("bac", "BAC", "money"),
    ("pv", "PV", "money"),
    ("ev", "EV", "money"),
    ("ac", "AC", "money"),
    ("cpi", "CPI", "index"),
    ("spi", "SPI", "index"),
    ("eac", "EAC", "money"),
    ("rag", "RAG", "text"),
    ("errors", "Errors", "int"),
    ("warnings", "Warnings", "int"),
    ("open_changes", "Open CRs", "int"),
    ("forecast_finish", "Forecast Finish", "date"),
    ("baseline_finish", "Baseline Finish", "date"),
    ("finish_variance_days", "Finish Variance (days)", "days"),
    ("path", "File", "text"),
)

_DATE_FIELDS = ("status_date", "forecast_finish", "baseline_finish")


# --------------------------------------------------------------------------- files


def _is_workbook(p: Path) -> bool:
    name = p.name
    return (p.suffix.lower() in EXTENSIONS and not name.startswith("~$") and not name.startswith(".")
            and p.is_file())


def collect_paths(inputs: Iterable[str | os.PathLike[str]], *, recursive: bool = False,
                  exclude: Iterable[str | os.PathLike[str]] = ()) -> tuple[list[Path], list[dict[str, str]]]:
    """The workbooks named by ``inputs`` (folders, globs or files), sorted, without Excel
    ``~$`` lock files, hidden/temporary files and ``exclude`` (e.g. the output file).

    Returns ``(paths, failed)``: an explicit file that does not exist is a failed entry.
    A folder or glob that matches no workbook is a :class:`PmoError` only when nothing at
    all was found.
    """
    skip = {Path(p).resolve() for p in exclude}
    found: dict[Path, Path] = {}
    failed: list[dict[str, str]] = []
    empty: list[str] = []
    for item in inputs:
        text = os.fspath(item)
        p = Path(text)
        if p.is_dir():
            pattern = "**/*" if recursive else "*"
            hits = [q for q in p.glob(pattern) if _is_workbook(q)]
        elif glob.has_magic(text):
            hits = [Path(q) for q in glob.glob(text, recursive=recursive) if _is_workbook(Path(q))]
        elif p.exists():
            hits = [p]
        else:
            failed.append({"path": text, "error": "no such file or folder"})
            continue
        real = [(q.resolve(), q) for q in hits]  # (each path resolved once: a stat per folder level)
        real = [(r, q) for r, q in real if r not in skip]
        if not real:
            empty.append(text)
        for r, q in real:
            found.setdefault(r, q)
    if not found and not failed:
        raise PmoError(f"no workbooks (.xlsx, .xlsm) found in {', '.join(empty) or 'the arguments'}")
    return sorted(found.values(), key=lambda q: str(q)), failed


# --------------------------------------------------------------------------- one project


def project_record(path: str | os.PathLike[str], status_date: _dt.date | None = None,
                   detail: bool = True) -> dict[str, Any]:
    """Read one workbook once; validate, roll up and schedule it.

    Returns ``{"ok": True, "project": {...}, "detail": {...}}`` or ``{"ok": False, "path",
    "error"}``. Runs in a worker process: everything returned is plain Python.
    """
    from ..engine import quiet_numbers
    from ..engine.cpm import collector_paused

    try:
        # The collector paused for the whole record: its objects make no cycle, and they are
        # freed (the book, the context, the roll-up) before it resumes, so no collection
        # walks them on the way (inner pauses ended with thousands alive, and the first
        # allocation after each then ran one that found nothing, every file).
        # (and numpy's floating-point warnings off: a worker's overflow to inf is in the
        # record, not for the terminal; the filter of pmo_xl.engine cannot see a compiled
        # module's lines)
        with collector_paused(), quiet_numbers():
            return _project_record(Path(path), status_date, detail)
    except PmoError as exc:
        return {"ok": False, "path": str(path), "error": exc.message}
    except Exception as exc:  # a bug on one file must not stop the batch
        return {"ok": False, "path": str(path), "error": f"internal error: {type(exc).__name__}: {exc}"}


def _project_record(path: Path, status_date: _dt.date | None, detail: bool) -> dict[str, Any]:
    from .. import schema
    from ..engine.changes import OPEN_STATUSES
    from ..io.reader import load
    from ._common import calendar_for, status_date_of
    from .rollup import rollup_book
    from .schedule import schedule_book

    book = load(path)
    day = status_date_of(book, status_date)
    report, context = _validated(book, day)
    summary = report.summary
    money = rollup_book(book, day, error_count=summary["error"], context=context)
    evm = dict(zip(_EVM_KEYS, money.evm_values(*_EVM_KEYS)))  # (no earned schedule: not in the record)

    forecast = baseline = variance = None
    plan = report.schedule  # the schedule validation ran on: the plan is scheduled once
    if plan is None:
        try:
            plan = schedule_book(book, day)
        except PmoError:
            plan = None  # an unusable calendar is reported by validate; the money still counts
    if plan is not None and plan.tasks:
        forecast = plan.project_finish_date
    baseline = _latest(book.frame("tblPlan"), "Baseline Finish")
    if forecast is not None and baseline is not None:
        cal = plan.calendar if plan is not None and plan.calendar is not None else calendar_for(book)
        variance = cal.index_of(forecast) - cal.index_of(baseline)

    changes = book.frame("tblChanges")
    by_status = _count_statuses(changes)
    settings = book.settings
    project = {
        "path": str(path),
        "project_code": _text(settings.get("ProjectCode")),
        "project_name": _text(settings.get("ProjectName")),
        "status_date": money.status_date,
        "currency": money.currency,
        "bac": evm["bac"], "pv": evm["pv"], "ev": evm["ev"], "ac": evm["ac"],
        "cpi": evm["cpi"], "spi": evm["spi"], "eac": evm["eac"],
        "rag": money.rag,
        "errors": summary["error"], "warnings": summary["warning"],
        "open_changes": sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        "forecast_finish": _date(forecast),
        "baseline_finish": _date(baseline),
        "finish_variance_days": variance,
    }
    out: dict[str, Any] = {"ok": True, "project": project}
    if detail:
        out["detail"] = {
            "findings": [[f.severity, f.rule, f.sheet, f.cell, f.key, f.message, f.hint] for f in report.findings],
            "changes": _rows(changes, schema.TABLES["tblChanges"].headers),
            "by_month": _result_rows(money, "by_month", schema.TABLES["tblRollupMonth"].headers),
            "by_category": _result_rows(money, "by_category", schema.TABLES["tblRollupCategory"].headers),
            "changes_by_status": by_status,
        }
    return out


#: The EVM metrics of the project record.
_EVM_KEYS = ("bac", "pv", "ev", "ac", "cpi", "spi", "eac")


def _validated(book: Any, day: _dt.date | None) -> tuple[Any, Any]:
    """``validate_book(book, day, dcma=False)`` (the record counts findings; DCMA is not in
    it) and the rule context it ran on, which the roll-up reads the validator's coded
    columns from (``rollup_book(context=)``)."""
    from ..engine.rules._context import RuleContext
    from .validate import validate_book

    ctx = RuleContext(book, day)
    return validate_book(book, day, dcma=False, context=ctx), ctx


def _latest(frame: "pd.DataFrame", column: str) -> Any:
    """The latest value of a date column (a date; None when the column is missing or
    blank): ``plain(column.dropna().max())``, a datetime as its date."""
    import numpy as np

    from ..engine._columns import column_array

    try:
        a = column_array(frame, column)
    except KeyError:  # (no such column)
        return None
    if isinstance(a.dtype, np.dtype) and a.dtype.kind == "M" and a.ndim == 1:  # (the reader's dates: numpy's max)
        dates = a._ndarray if hasattr(a, "_ndarray") else np.asarray(a)
        latest = np.fmax.reduce(dates) if len(dates) else None  # (fmax skips NaT: no mask first)
        if latest is None or np.isnat(latest):
            return None
        day = latest.astype("datetime64[D]").astype(object)
        if type(day) is _dt.date:  # (numpy gives an int for a day outside date's years 1..9999)
            return day
    from ..io.portfolio_book import plain

    finishes = frame[column].dropna()
    if not len(finishes):
        return None
    latest = plain(finishes.max())
    return latest.date() if isinstance(latest, _dt.datetime) else latest


def _count_statuses(changes: "pd.DataFrame") -> dict[str, int]:
    """CRs by status, as :func:`pmo_xl.engine.changes.change_stats` counts them (a blank
    status is Draft; unknown ones are "(other)") without its per-row ageing work."""
    import pandas as pd

    from ..engine._columns import column_array
    from ..engine.changes import STATUSES

    out = {s: 0 for s in STATUSES}
    if not len(changes):
        return out
    try:
        status = column_array(changes, "Status")
    except KeyError:  # (no Status column)
        return out
    # (Arrow text's own list: str, None for a blank; else the Series' list)
    values = status._pa_array.to_pylist() if hasattr(status, "_pa_array") else changes["Status"].tolist()
    for v in values:
        # str.strip() strips what pandas' .str.strip() does; a missing status is blank
        s = "Draft" if v is None or v is pd.NA or v != v else (str(v).strip() or "Draft")
        key = s if s in out else "(other)"
        out[key] = out.get(key, 0) + 1
    return out


def _text(v: Any) -> str | None:
    from ..io.portfolio_book import plain

    v = plain(v)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip() or None


def _date(v: Any) -> _dt.date | None:
    if isinstance(v, _dt.datetime):
        return v.date()
    return v if isinstance(v, _dt.date) else None


def _result_rows(money: Any, name: str, headers: list[str]) -> list[list[Any]]:
    """:func:`_rows` of the roll-up's table ``name``, from its columns while its frame has
    not been built (the portfolio never reads these frames)."""
    columns = money.table_columns(name, text_lists=True)
    if columns and headers:
        rows = _column_rows(columns, headers, len(next(iter(columns.values()))))
        if rows is not None:
            return rows
    return _rows(getattr(money, name), headers)


def _column_rows(columns: dict[Any, Any], headers: list[str], n: int) -> list[list[Any]] | None:
    """The rows of ``headers`` (a missing column: None) from the table's ``columns`` (by
    header, arrays of ``n`` values, or lists of str/None: text as it is) converted column
    by column (``plain_column``); None when a column needs the per-value way."""
    lists = []
    for h in headers:
        c = columns.get(h)
        values = [None] * n if c is None else c if type(c) is list else _plain_values(c)
        if values is None:
            return None
        lists.append(values)
    return [list(row) for row in zip(*lists)]


#: datetime64 types whose ``tolist()`` gives datetime objects (None for NaT) in datetime's years
_DATETIME_TYPES = ("<M8[s]", "<M8[ms]", "<M8[us]")


@functools.cache
def _plain_kit() -> tuple[Any, Any, Any]:
    """numpy, :func:`~pmo_xl.io.portfolio_book.plain_column` and pandas' StringDtype,
    imported on first use (the module loads without them; ~30 columns a record)."""
    import numpy as np
    import pandas as pd

    from ..io.portfolio_book import plain_column

    return np, plain_column, pd.StringDtype


def _plain_values(values: Any) -> list[Any] | None:
    """:func:`~pmo_xl.io.portfolio_book.plain_column` of a column; a short float or date
    column in plain Python (a few hundred values cost less than numpy's dispatch of the
    finiteness and date-range tests), Arrow text whose blank is NaN by its own list (as
    there, without its checks): the same values."""
    np, plain_column, string_dtype = _plain_kit()
    a = values
    dtype = a.dtype
    if type(dtype) is string_dtype and isinstance(dtype.na_value, float) and hasattr(a, "_pa_array"):
        return a._pa_array.to_pylist()
    if not isinstance(a, np.ndarray) and isinstance(dtype, np.dtype) and dtype.kind == "M" and hasattr(a, "_ndarray"):
        a = a._ndarray  # (dates without a time zone: their numpy array, as plain_column takes it)
    if type(a) is np.ndarray and a.ndim == 1 and len(a) <= 512:
        kind = a.dtype.kind
        if kind == "f":
            isfinite = math.isfinite
            return [v if isfinite(v) else None for v in a.tolist()]
        if kind == "M" and a.dtype.str in _DATETIME_TYPES:
            dates = a.tolist()
            if all(type(v) is _dt.datetime or v is None for v in dates):  # (else years out of datetime's)
                return dates
    return plain_column(values)


def _rows(frame: "pd.DataFrame", headers: list[str]) -> list[list[Any]]:
    from ..engine._columns import positions

    if not headers:
        return []
    at = positions(frame)  # (None when a header repeats)
    if at is not None:
        rows = _column_rows({c: frame._get_column_array(k) for c, k in at.items()}, headers, len(frame))
        if rows is not None:
            return rows
    # the other kinds of column: one object array for the whole table, plain() per value
    # (a missing column comes back as NaN, which plain() turns into None)
    from ..io.portfolio_book import plain

    if list(frame.columns) == list(headers):
        sub = frame
    elif frame.columns.is_unique:
        sub = frame.reindex(columns=headers)
    else:  # repeated headers (a hand-made frame): pick the first of each
        sub = frame.loc[:, ~frame.columns.duplicated()].reindex(columns=headers)
    return [[plain(v) for v in row] for row in sub.to_numpy(dtype=object).tolist()]


# --------------------------------------------------------------------------- the batch


@dataclass
class Portfolio:
    """The projects of a portfolio (iterate it for the rows), the failures and warnings.

    ``details`` maps each project's path to its detail rows (findings, changes, actuals by
    month and category) for the consolidated sheets.
    """

    projects: list[dict[str, Any]]
    failed: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.projects)

    def __len__(self) -> int:
        return len(self.projects)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.projects[i]  # (a slice too, as a list: so annotated for a compiled build)

    @property
    def ok(self) -> bool:
        """True when every workbook was read."""
        return not self.failed

    @property
    def frame(self) -> "pd.DataFrame":
        """One row per project, columns = the JSON keys."""
        import pandas as pd

        return pd.DataFrame(self.projects, columns=[k for k, _h, _kind in PROJECT_FIELDS])

    def to_dict(self) -> dict[str, Any]:
        """SPEC §8: ``{"projects": [...], "failed": [{path, error}], "warnings": [...]}``."""
        projects = [{k: (v.isoformat() if k in _DATE_FIELDS and v is not None else v) for k, v in p.items()}
                    for p in self.projects]
        return {"projects": projects, "failed": list(self.failed), "warnings": list(self.warnings)}


def _warm_imports() -> None:
    """Import the engine once: in the parent (forked workers start with it loaded) and as
    each worker's initializer (spawned workers)."""
    from ..io import reader  # noqa: F401
    from . import rollup, schedule, validate  # noqa: F401
    from ..engine import cpm, dcma, finance, rules  # noqa: F401


def _pool_context() -> Any:
    import multiprocessing as mp

    ctx = mp.get_context()
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__, "pmo_xl.io.reader", "pmo_xl.commands.validate",
                                    "pmo_xl.commands.rollup", "pmo_xl.commands.schedule"])
    return ctx


def run_records(paths: list[Path], status_date: _dt.date | None, jobs: int,
                advance: Callable[..., None], detail: bool = True) -> list[dict[str, Any]]:
    """:func:`project_record` of every path, in ``jobs`` processes; results in path order."""
    if jobs <= 1 or len(paths) <= 1:
        out = []
        for p in paths:
            out.append(project_record(p, status_date, detail))
            advance()
        return out
    from concurrent.futures import ProcessPoolExecutor, as_completed

    import gc

    _warm_imports()
    results: dict[int, dict[str, Any]] = {}
    # Forked workers inherit the warm imports (spawned/forkserver ones import once each).
    # The parent's objects are frozen out of the garbage collector while the workers are
    # forked, as the gc module's documentation advises before a fork: a worker's full
    # collections then never walk (and write to) the tens of thousands of inherited
    # objects, so their pages stay shared instead of being copied into every worker.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=_pool_context(),
                                 initializer=_warm_imports) as pool:
            futures = {pool.submit(project_record, p, status_date, detail): i for i, p in enumerate(paths)}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:  # a worker that died (out of memory, killed)
                    results[i] = {"ok": False, "path": str(paths[i]),
                                  "error": f"worker failed: {type(exc).__name__}: {exc}"}
                advance()
    finally:
        gc.unfreeze()  # (the caller's objects are collectable again)
    return [results[i] for i in range(len(paths))]


def portfolio(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    jobs: int | None = None,
    status_date: Any = None,
    *,
    recursive: bool = False,
    exclude: Iterable[str | os.PathLike[str]] = (),
    show_progress: bool | None = None,
    detail: bool = True,
) -> Portfolio:
    """The portfolio of the workbooks in ``paths`` (folders, globs or files).

    ``jobs``: worker processes (default ``os.cpu_count()``; 1 = in this process).
    ``status_date`` (date or ``YYYY-MM-DD``) overrides every workbook's StatusDate.
    ``show_progress``: None = a bar on stderr when it is a terminal.
    ``detail``: also collect the rows of the consolidated sheets (``details``), which
    only the portfolio workbook needs.
    """
    from ..progress import progress
    from ._common import parse_status_date

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    day = parse_status_date(status_date)
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise PmoError(f"--jobs must be at least 1, got {jobs}")
    files, failed = collect_paths(paths, recursive=recursive, exclude=exclude)
    with progress(len(files), "Portfolio", enabled=show_progress) as advance:
        records = run_records(files, day, jobs, advance, detail)
    result = Portfolio([])
    for r in records:
        if r["ok"]:
            result.projects.append(r["project"])
            if detail:
                result.details[r["project"]["path"]] = r.get("detail", {})
        else:
            failed.append({"path": r["path"], "error": r["error"]})
    result.failed = sorted(failed, key=lambda f: f["path"])
    result.warnings = portfolio_warnings(result.projects)
    return result


def portfolio_warnings(projects: list[dict[str, Any]]) -> list[str]:
    """Duplicate or missing ProjectCodes (codes must be unique in a portfolio, SPEC §2),
    and amounts in several currencies (portfolio totals would mix them)."""
    by_code: dict[str, list[str]] = {}
    out = []
    for p in projects:
        code = p["project_code"]
        if code is None:
            out.append(f"{p['path']}: no ProjectCode (set it on the Project sheet)")
        else:
            by_code.setdefault(code, []).append(p["path"])
    for code, files in by_code.items():
        if len(files) > 1:
            out.append(f"ProjectCode {code} is used by {len(files)} workbooks: {', '.join(files)}"
                       " (a code must be unique in a portfolio)")
    currencies = sorted({p["currency"] for p in projects if p.get("currency")})
    if len(currencies) > 1:
        out.append(f"projects use several currencies ({', '.join(currencies)}): portfolio totals mix them")
    return out


# --------------------------------------------------------------------------- workbook


def check_output(out: str | os.PathLike[str], force: bool = False) -> None:
    """Refuse an ``--out`` that would destroy something: an existing file unless ``force``,
    and never a PMO project workbook (one that has a tblPlan table or a ProjectCode name),
    even with ``force`` — the portfolio must not overwrite a project it may have read."""
    target = Path(out)
    if not target.parent.is_dir():
        raise PmoError(f"--out {out}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise PmoError(f"--out {out}: is a folder; give a file name such as portfolio.xlsx")
    if not target.exists():
        return
    if not force:
        raise PmoError(f"--out {out}: the file already exists; use --force to replace it")
    from ..io.package import open_package

    try:
        with open_package(target) as pkg:
            is_project = pkg.table("tblPlan") is not None or pkg.defined_name("ProjectCode") is not None
    except PmoError:
        return  # not a readable workbook: --force may replace it
    if is_project:
        raise PmoError(f"--out {out}: is a PMO project workbook; write the portfolio to another file")


def write_workbook(result: Portfolio, out: str | os.PathLike[str], *, generated: _dt.datetime | None = None) -> Path:
    """The portfolio workbook: Dashboard (tiles, RAG table, charts) and the consolidated
    Projects, Findings, Changes, Actuals by Month, Actuals by Category and Issues sheets,
    each detail row tagged with its project code and file."""
    if result.projects and not result.details:
        raise PmoError("this portfolio was collected without detail rows: run portfolio(..., detail=True) "
                       "to write its workbook")
    from .. import schema
    from ..engine.changes import STATUSES
    from ..io.portfolio_book import Block, ChartSpec, Col, Dashboard, Tile, write_portfolio_book

    def cols_of(table: str) -> list[Col]:
        kinds = {"int": "int", "number": "number", "percent": "percent", "date": "date", "datetime": "datetime"}
        out = []
        for c in schema.TABLES[table].columns:
            kind = kinds.get(c.kind, "text")
            if kind == "number" and c.format and "0.00" not in c.format:
                kind = "money"
            out.append(Col(c.name, kind))
        return out

    tag = [Col("Project Code", "text"), Col("File", "text")]
    projects = result.projects
    names = {p["path"]: (p["project_code"] or "", Path(p["path"]).name) for p in projects}

    def detail_rows(key: str) -> list[list[Any]]:
        rows = []
        for p in projects:
            code, name = names[p["path"]]
            rows += [[code, name, *r] for r in result.details.get(p["path"], {}).get(key, [])]
        return rows

    def project_col(key: str, header: str, kind: str) -> Col:
        return Col(header, kind, rag=key == "rag", good_above=(0.95, 0.90) if key in ("cpi", "spi") else None,
                   bad_above=0 if key == "finish_variance_days" else None)

    all_cols = [project_col(k, h, kind) for k, h, kind in PROJECT_FIELDS]
    all_rows = [[p.get(k) if k != "path" else Path(p["path"]).name for k, _h, _kind in PROJECT_FIELDS] for p in projects]
    rag_keys = ("project_code", "rag", "cpi", "spi", "bac", "ev", "ac", "eac", "errors", "open_changes",
                "forecast_finish", "baseline_finish", "finish_variance_days", "project_name")
    fields_by_key = {k: (h, kind) for k, h, kind in PROJECT_FIELDS}
    rag_cols = [project_col(k, *fields_by_key[k]) for k in rag_keys]
    for c in rag_cols:  # the KPI tiles sit above these columns
        c.width = 14
    rag_cols[-1].width = 44
    rag_rows = [[p.get(k) for k in rag_keys] for p in projects]

    status_counts = {s: 0 for s in STATUSES}
    for d in result.details.values():
        for s, n in d.get("changes_by_status", {}).items():
            status_counts[s] = status_counts.get(s, 0) + n
    change_block = Block("tblChangesByStatus", [Col("Status", "text", width=14), Col("CRs", "int", width=8)],
                         [[s, n] for s, n in status_counts.items()], title="Changes by status")

    currencies = sorted({p["currency"] for p in projects if p.get("currency")})
    money_note = f" · amounts in {currencies[0]}" if len(currencies) == 1 else (
        f" · amounts in {', '.join(currencies)} (mixed)" if currencies else "")
    when = (generated or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    failed_note = f" · {len(result.failed)} file(s) could not be read (sheet Issues)" if result.failed else ""
    dashboard = Dashboard(
        title="Portfolio dashboard",
        subtitle=f"{len(projects)} projects · generated {when} by pmo-xl{money_note}{failed_note}",
        tiles=[
            Tile("Projects", ("count",), "int"),
            Tile("BAC", ("sum", "BAC")),
            Tile("EV", ("sum", "EV")),
            Tile("AC", ("sum", "AC")),
            Tile("CPI", ("ratio", "EV", "AC"), "index"),
            Tile("EAC", ("sum", "EAC")),
            Tile("Green", ("countif", "RAG", "Green"), "int"),
            Tile("Amber", ("countif", "RAG", "Amber"), "int"),
            Tile("Red", ("countif", "RAG", "Red"), "int"),
            Tile("Errors", ("sum", "Errors"), "int"),
            Tile("Open CRs", ("sum", "Open CRs"), "int"),
        ],
        table=Block("tblRAG", rag_cols, rag_rows, title="Projects by RAG"),
        charts=[
            ChartSpec("CPI and SPI by project", "tblRAG", "Project Code", ["CPI", "SPI"], y_title="index",
                      number_format="0.00", by_rows=True),
            ChartSpec("Budget vs actual by project", "tblRAG", "Project Code", ["BAC", "EV", "AC"],
                      y_title=currencies[0] if len(currencies) == 1 else "", by_rows=True),
            ChartSpec("Changes by status", "tblChangesByStatus", "Status", ["CRs"], y_title="change requests",
                      number_format="0"),
        ],
        side=[change_block],
    )
    issues = [["failed", f["path"], f["error"]] for f in result.failed] + [["warning", "", w] for w in result.warnings]
    sheets = [
        Block("tblProjects", all_cols, all_rows, sheet="Projects"),
        Block("tblAllFindings", tag + cols_of("tblFindings"), detail_rows("findings"), sheet="Findings"),
        Block("tblAllChanges", tag + cols_of("tblChanges"), detail_rows("changes"), sheet="Changes"),
        Block("tblActualsMonth", tag + cols_of("tblRollupMonth"), detail_rows("by_month"), sheet="Actuals by Month"),
        Block("tblActualsCategory", tag + cols_of("tblRollupCategory"), detail_rows("by_category"),
              sheet="Actuals by Category"),
        Block("tblIssues", [Col("Kind", "text"), Col("File", "text", width=50), Col("Message", "text", width=100)],
              issues, sheet="Issues"),
    ]
    return write_portfolio_book(Path(out), dashboard, sheets)


# --------------------------------------------------------------------------- text

_RAG_STYLE = {"Green": "bold green", "Amber": "bold yellow", "Red": "bold red"}


def render_text(result: Portfolio, *, console: Any = None) -> None:
    """A table of the projects (RAG, CPI and SPI in colour on a terminal), then failures."""
    from rich.markup import escape
    from rich.table import Table, box

    from . import text_console

    import sys

    if console is None:  # piped: wide enough that nothing is cut (no terminal to fit)
        console = text_console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
    con = console

    def money(v: Any) -> str:
        return "" if v is None else f"{v:,.0f}"

    def index(v: Any) -> str:
        if v is None:
            return ""
        colour = "green" if v >= 0.95 else ("yellow" if v >= 0.90 else "red")
        return f"[{colour}]{v:.2f}[/{colour}]"

    def variance(v: Any) -> str:
        return "" if v is None else (f"[red]+{v}[/red]" if v > 0 else str(v))

    columns: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        ("Code", "left", lambda p: escape(p["project_code"] or "?")),
        ("Project", "left", lambda p: escape(p["project_name"] or "")),
        ("Status date", "left", lambda p: str(p["status_date"] or "")),
        ("RAG", "left", lambda p: f"[{_RAG_STYLE.get(p['rag'], 'bold')}]{p['rag']}[/]"),
        ("BAC", "right", lambda p: money(p["bac"])),
        ("EV", "right", lambda p: money(p["ev"])),
        ("AC", "right", lambda p: money(p["ac"])),
        ("CPI", "right", lambda p: index(p["cpi"])),
        ("SPI", "right", lambda p: index(p["spi"])),
        ("EAC", "right", lambda p: money(p["eac"])),
        ("Err", "right", lambda p: str(p["errors"])),
        ("Warn", "right", lambda p: str(p["warnings"])),
        ("Open CRs", "right", lambda p: str(p["open_changes"])),
        ("Forecast", "left", lambda p: str(p["forecast_finish"] or "")),
        ("Δ days", "right", lambda p: variance(p["finish_variance_days"])),
    ]
    if con.width < 150:  # a narrow terminal: the essentials
        keep = {"Code", "RAG", "BAC", "AC", "CPI", "SPI", "Err", "Open CRs", "Δ days"}
        columns = [c for c in columns if c[0] in keep]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for h, justify, _fn in columns:
        table.add_column(h, justify=justify, no_wrap=h != "Project")
    for p in result.projects:
        table.add_row(*[fn(p) for _h, _j, fn in columns])
    con.print(table)
    con.print(f"{len(result.projects)} projects", end="")
    con.print(f", [bold red]{len(result.failed)} unreadable[/bold red]" if result.failed else "")
    for f in result.failed:
        con.print(f"  [bold red]unreadable:[/bold red] {escape(f['path'])}: {escape(f['error'])}")
