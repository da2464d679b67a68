"""pmo_xl in Excel: custom worksheet functions and button scripts (SPEC §7, docs/excel.md).

One module serves the three ways Excel runs Python through xlwings:

* classic desktop Excel with the xlwings add-in: ``UDF Modules = pmo_udfs`` imports the
  functions (``=PMO_CPI(...)``); the macro-enabled template's buttons run
  ``RunPython "import pmo_udfs; pmo_udfs.validate_workbook()"`` (the scripts then find
  their workbook with ``xw.Book.caller()``);
* xlwings Lite and xlwings Server: ``main.py`` / ``custom_functions`` /
  ``custom_scripts`` re-export these names (``from pmo_udfs import *``); the runtime
  injects the ``book`` of a script (its ``xw.Book`` annotation) and binds the sheet
  buttons declared with ``@script(button=...)``.

Only xlwings' BSD-licensed decorators are used: ``xlwings.func``, ``arg``, ``ret``,
``script`` (nothing needs a PRO licence key). They do something only where Excel calls
Python — Windows (the COM UDF server), xlwings Server (``XLWINGS_ON_SERVER=true``) and
xlwings Lite (Pyodide, ``sys.platform == "emscripten"``); elsewhere xlwings defines them
as no-ops. So ``import pmo_udfs`` imports xlwings (and with it pandas, ~0.5 s) only when
it is already loaded or on those platforms; otherwise the same no-op decorators are used
and the import stays fast (docs/excel.md has the figures).

Parameter names avoid VBA keywords (``End``, ``Type``, ``Date``…): classic xlwings writes a
VBA wrapper with the same names, and one keyword would break every function's import.

Custom functions take what Excel hands over — numbers as floats, dates as datetimes (or
as date serials in Lite/Server), ranges as 2-D lists with their header row, empty cells
as None — and return a scalar or a 2-D list that spills. A bad argument gives a readable
``#PMO! …`` text in the cell, never a traceback; a division by zero gives an empty cell.

Scripts read the open workbook's tables once (:class:`pmo_xl.io.livebook.LiveBook`), run
the same commands as ``pmo-xl validate|schedule|rollup|change`` and write each generated
table once, through :func:`pmo_xl.commands.results.write_results` — the code that writes
the results into a file.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import os
import sys
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable

from pmo_xl.engine import evm as _evm

if TYPE_CHECKING:
    import pandas as pd

    from pmo_xl.io.livebook import LiveBook
    from pmo_xl.model import Book


# --------------------------------------------------------------------------- xlwings


class _NoXlwings:
    """xlwings' decorators where they are no-ops (Linux, macOS without xlwings Server),
    without importing xlwings: the functions are plain Python functions either way."""

    class Book:  # only a type annotation here; scripts need a real book
        pass

    @staticmethod
    def func(f: Any = None, **_: Any) -> Any:
        return f if f is not None else (lambda g: g)

    script = func

    @staticmethod
    def arg(*_: Any, **__: Any) -> Any:
        return lambda g: g

    ret = arg


def _xlwings() -> Any:
    """The xlwings module when its decorators matter (or it is loaded anyway)."""
    loaded = sys.modules.get("xlwings")
    if loaded is not None:
        return loaded
    if (
        sys.platform in ("win32", "emscripten")
        or os.environ.get("XLWINGS_ON_SERVER") == "true"
        or os.environ.get("PMO_UDFS_XLWINGS") == "1"
    ):
        import xlwings

        return xlwings
    return _NoXlwings


xw = _xlwings()

#: Function category in Excel's function wizard (classic xlwings).
CATEGORY = "PMO"

#: Sheet buttons of xlwings Lite/Server: script -> "[shape name]Sheet!Cell". The template
#: needs, on the Dashboard, a shape of each name with a hyperlink to its cell.
BUTTONS: dict[str, str] = {
    "validate_workbook": "[btnValidate]Dashboard!K4",
    "refresh_rollup": "[btnRollup]Dashboard!K6",
    "refresh_schedule": "[btnSchedule]Dashboard!K8",
    "new_change_request": "[btnNewChange]Dashboard!K10",
    "decide_change_request": "[btnDecideChange]Dashboard!K12",
    "refresh_all": "[btnRefreshAll]Dashboard!K14",
}

#: Form cells on the Changes sheet (workbook-level defined names) -> tblChanges header.
NEW_CHANGE_FORM: dict[str, str] = {
    "frmTitle": "Title",
    "frmDescription": "Description",
    "frmRequestedBy": "Requested By",
    "frmType": "Type",
    "frmPriority": "Priority",
    "frmRationale": "Rationale",
    "frmCostImpact": "Cost Impact",
    "frmScheduleImpact": "Schedule Impact",
    "frmAffectedTasks": "Affected Tasks",
    "frmFunding": "Funding",
    "frmOwner": "Owner",
}

#: Form cells of a decision -> argument of :func:`pmo_xl.engine.changes.decide`.
DECISION_FORM: dict[str, str] = {
    "frmCrId": "cr_id",
    "frmDecision": "decision",
    "frmDecisionBy": "by",
    "frmDecisionDate": "date",
    "frmDecisionNotes": "note",
    "frmDecisionCostImpact": "cost_impact",
    "frmDecisionScheduleImpact": "schedule_impact",
}

#: Where the scripts report (a defined name on the Dashboard; optional) and where the
#: change forms report (on the Changes sheet; optional).
STATUS_CELL = "pmoStatus"
FORM_RESULT_CELL = "frmResult"

_ERROR = "#PMO!"


# --------------------------------------------------------------------------- arguments


class _Problem(Exception):
    """A bad argument: shown in the cell as ``#PMO! <message>``."""


def _excel(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure of a custom function into a ``#PMO! …`` cell text."""

    @functools.wraps(f)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except (_Problem, ValueError) as exc:
            return f"{_ERROR} {exc}"
        except Exception as exc:  # never a traceback in a cell
            from pmo_xl.errors import PmoError

            if isinstance(exc, PmoError):
                return f"{_ERROR} {exc}"
            return f"{_ERROR} {type(exc).__name__}: {exc}"

    return call


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip()) or (isinstance(x, float) and math.isnan(x))


def _number(x: Any, name: str) -> float | None:
    """A number from a cell: None when empty; text holding a number is read."""
    if _blank(x):
        return None
    if isinstance(x, bool):
        raise _Problem(f"{name} must be a number, not {'TRUE' if x else 'FALSE'}")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x.strip().replace(",", "."))
        except ValueError:
            raise _Problem(f"{name} must be a number, not {x.strip()!r}") from None
    raise _Problem(f"{name} must be a number")


def _value(x: float | None) -> Any:
    """An engine result for a cell: empty ("") for None (e.g. a division by zero)."""
    return "" if x is None else x


_EPOCH_1900 = _dt.datetime(1899, 12, 30)


def _serial_date(serial: float) -> _dt.date:
    """A 1900-system date serial (what Lite/Server hand over for a date) -> date; as
    :func:`pmo_xl.io.reader.excel_serial_to_datetime` (tests check they agree)."""
    if not 0 <= serial <= 2_958_465:
        raise _Problem(f"{serial:g} is not a date")
    days = serial + 1 if 1 <= serial < 61 else serial  # Excel's phantom 1900-02-29
    return (_EPOCH_1900 + _dt.timedelta(days=days)).date()


def _date(x: Any, name: str) -> _dt.date | None:
    if _blank(x):
        return None
    if isinstance(x, _dt.datetime):
        return x.date()
    if isinstance(x, _dt.date):
        return x
    if isinstance(x, bool):
        raise _Problem(f"{name} must be a date")
    if isinstance(x, (int, float)):
        return _serial_date(float(x))
    if isinstance(x, str):
        try:
            return _dt.date.fromisoformat(x.strip()[:10])
        except ValueError:
            pass
    raise _Problem(f"{name} must be a date, not {x!r}")


def _cells(x: Any) -> list[Any]:
    """A range's values as one flat list (a scalar, a row, a column or a block)."""
    if x is None:
        return []
    if not isinstance(x, (list, tuple)):
        return [x]
    out: list[Any] = []
    for v in x:
        out.extend(v if isinstance(v, (list, tuple)) else [v])
    return out


def _holidays(x: Any) -> tuple[_dt.date, ...]:
    days = (_date(v, "holidays") for v in _cells(x))
    return tuple(sorted({d for d in days if d is not None}))


def _workweek(x: Any) -> str:
    """``"1111100"``; a work week typed as a number (1111100, or 111110 for 0111110)."""
    if _blank(x):
        return "1111100"
    if isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer():
        return f"{int(x):07d}"
    return str(x).strip()


@functools.lru_cache(maxsize=32)
def _calendar(workweek: str, holidays: tuple[_dt.date, ...]) -> Any:
    from pmo_xl.engine.calendar import Calendar

    return Calendar(_dt.date(2000, 1, 3), workweek=workweek, holidays=holidays)


def _out(v: Any) -> Any:
    """A table value for a spilled array: plain Python, "" for empty."""
    from pmo_xl.io.parts.cells import normalize

    v = normalize(v)
    if v is None:
        return ""
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return _dt.datetime(v.year, v.month, v.day)
    return v


def _table(frame: "pd.DataFrame", headers: list[str] | None = None) -> list[list[Any]]:
    """Header row + rows, ready to spill."""
    headers = list(frame.columns) if headers is None else headers
    rows = [[_out(v) for v in r] for r in frame[headers].itertuples(index=False, name=None)]
    return [list(headers)] + rows


def _range(x: Any, name: str) -> Any:
    if not isinstance(x, (list, tuple)) or not x or not isinstance(x[0], (list, tuple)) or len(x) < 1:
        raise _Problem(f"{name} must be a table range with its header row (e.g. tblPlan[#All])")
    return x


# --------------------------------------------------------------------------- earned value


@xw.func(category=CATEGORY)
@_excel
def pmo_cpi(ev, ac):
    """Cost performance index CPI = EV / AC (PMI Practice Standard for EVM).
    Empty when AC is 0."""
    return _value(_evm.cpi(_number(ev, "ev"), _number(ac, "ac")))


@xw.func(category=CATEGORY)
@_excel
def pmo_spi(ev, pv):
    """Schedule performance index SPI = EV / PV (PMI Practice Standard for EVM).
    Empty when PV is 0."""
    return _value(_evm.spi(_number(ev, "ev"), _number(pv, "pv")))


_EAC_METHODS = ("cpi", "remaining", "cpi_spi")


@xw.func(category=CATEGORY)
@_excel
def pmo_eac(bac, ev, ac, method="cpi", pv=None):
    """Estimate at completion (PMI): method "cpi" = BAC / CPI; "remaining" =
    AC + (BAC - EV); "cpi_spi" = AC + (BAC - EV) / (CPI x SPI), which needs pv."""
    bac_, ev_, ac_ = _number(bac, "bac"), _number(ev, "ev"), _number(ac, "ac")
    how = "cpi" if _blank(method) else str(method).strip().lower()
    if how == "cpi":
        return _value(_evm.eac(bac_, _evm.cpi(ev_, ac_)))
    if how == "remaining":
        return _value(_evm.eac_ac_plus_remaining(bac_, ev_, ac_))
    if how == "cpi_spi":
        pv_ = _number(pv, "pv")
        if pv_ is None:
            raise _Problem("method cpi_spi needs pv (the 5th argument)")
        return _value(_evm.eac_cpi_spi(bac_, ev_, ac_, _evm.cpi(ev_, ac_), _evm.spi(ev_, pv_)))
    raise _Problem(f"method must be one of {', '.join(_EAC_METHODS)}, not {method!r}")


@xw.func(category=CATEGORY)
@_excel
def pmo_tcpi(bac, ev, ac, eac=None):
    """To-complete performance index (PMI): (BAC - EV) / (BAC - AC); with eac,
    (BAC - EV) / (EAC - AC)."""
    bac_, ev_, ac_ = _number(bac, "bac"), _number(ev, "ev"), _number(ac, "ac")
    eac_ = _number(eac, "eac")
    if eac_ is None:
        return _value(_evm.tcpi(bac_, ev_, ac_))
    if bac_ is None or ev_ is None or ac_ is None:
        return ""
    return _value(_evm.ratio(bac_ - ev_, eac_ - ac_))


@xw.func(category=CATEGORY)
@_excel
def pmo_vac(bac, eac):
    """Variance at completion VAC = BAC - EAC (PMI)."""
    bac_, eac_ = _number(bac, "bac"), _number(eac, "eac")
    return "" if bac_ is None or eac_ is None else bac_ - eac_


@xw.func(category=CATEGORY)
@_excel
def pmo_variance(budget, actual):
    """Variance = budget - actual (positive: under budget), as on the Rollup sheet."""
    b, a = _number(budget, "budget"), _number(actual, "actual")
    return "" if b is None or a is None else b - a


@xw.func(category=CATEGORY)
@_excel
def pmo_rag(cpi, spi, errors=0):
    """RAG status (SPEC §5): Green when CPI and SPI >= 0.95 and no validation errors;
    Amber when both >= 0.90; else Red."""
    n = _number(errors, "errors")
    return _evm.rag(_number(cpi, "cpi"), _number(spi, "spi"), int(n or 0))


# --------------------------------------------------------------------------- calendar


@xw.func(category=CATEGORY)
@_excel
def pmo_workdays(start, finish, holidays=None, workweek="1111100"):
    """Working days from start to finish, both included (like NETWORKDAYS.INTL);
    negative when finish is before start. workweek: 7 characters Mon..Sun, 1 = working."""
    a, b = _date(start, "start"), _date(finish, "finish")
    if a is None or b is None:
        return ""
    return _calendar(_workweek(workweek), _holidays(holidays)).networkdays(a, b)


@xw.func(category=CATEGORY)
@_excel
def pmo_add_workdays(start, days, holidays=None, workweek="1111100"):
    """The date days working days after start (before it when days < 0), like
    WORKDAY.INTL; format the cell as a date."""
    a, n = _date(start, "start"), _number(days, "days")
    if a is None or n is None:
        return ""
    if not n.is_integer():
        raise _Problem(f"days must be a whole number, not {n:g}")
    d = _calendar(_workweek(workweek), _holidays(holidays)).add(a, int(n))
    return _dt.datetime(d.year, d.month, d.day)


# --------------------------------------------------------------------------- the plan


#: Template position of tblPlan's header row: findings name real cells when the range is
#: the template's table.
_PLAN_ANCHOR = "A3"
_schedules: "OrderedDict[Any, Any]" = OrderedDict()


def _freeze(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def _plan_book(plan: Any, start: Any = None, holidays: Any = None, workweek: Any = None,
               status_date: Any = None, anchor: str = _PLAN_ANCHOR) -> "Book":
    from pmo_xl.io.livebook import book_from_tables

    days = _holidays(holidays)
    tables = {"tblPlan": _range(plan, "plan"), "tblHolidays": [["Date", "Name"]] + [[d, None] for d in days]}
    settings = {"StartDate": _date(start, "start"), "WorkWeek": _workweek(workweek),
                "StatusDate": _date(status_date, "status_date")}
    book = book_from_tables(tables, settings, anchors={"tblPlan": anchor})
    if not book.tables["tblPlan"].letters.get("ID"):
        raise _Problem("plan must start with tblPlan's header row (ID, WBS, Task, ...): pass tblPlan[#All]")
    return book


def _schedule(plan: Any, start: Any, holidays: Any, workweek: Any, status_date: Any) -> Any:
    """:func:`pmo_xl.commands.schedule.schedule_book` of the plan range; the last few
    results are kept, so a column of =PMO_FLOAT(...) computes the schedule once."""
    key = (_freeze(plan), _freeze(start), _freeze(holidays), _freeze(workweek), _freeze(status_date))
    try:
        hit = _schedules.get(key)
    except TypeError:  # an unhashable value: no caching
        key, hit = None, None
    if hit is not None:
        _schedules.move_to_end(key)
        return hit
    from pmo_xl.commands.schedule import schedule_book

    book = _plan_book(plan, start, holidays, workweek, status_date)
    result = schedule_book(book)
    if key is not None:
        _schedules[key] = result
        while len(_schedules) > 8:
            _schedules.popitem(last=False)
    return result


@xw.func(category=CATEGORY)
@xw.arg("plan", ndim=2, doc="tblPlan[#All]: the plan table with its header row")
@_excel
def pmo_critical_path(plan, start=None, holidays=None, workweek="1111100", status_date=None, separator=None):
    """The critical path's task IDs in order, as a spilled column (or one text joined
    by separator, e.g. "-"). Calendar: start (default: the earliest Start), holidays,
    workweek; status_date schedules remaining work from that date."""
    path = _schedule(plan, start, holidays, workweek, status_date).critical_path
    if not path:
        return ""
    if not _blank(separator):
        return str(separator).join(str(i) for i in path)
    return [[i] for i in path]


@xw.func(category=CATEGORY)
@xw.arg("plan", ndim=2, doc="tblPlan[#All]: the plan table with its header row")
@_excel
def pmo_float(plan, task_id, which="total", start=None, holidays=None, workweek="1111100", status_date=None):
    """Float of one task in working days: which = "total" (default) or "free"."""
    tid = _number(task_id, "task_id")
    if tid is None:
        return ""
    if not tid.is_integer():
        raise _Problem(f"task_id must be a whole number, not {tid:g}")
    kind = "total" if _blank(which) else str(which).strip().lower()
    if kind not in ("total", "free"):
        raise _Problem(f"which must be total or free, not {which!r}")
    result = _schedule(plan, start, holidays, workweek, status_date)
    try:
        task = result.task(int(tid))
    except KeyError:
        raise _Problem(f"task {int(tid)} is not in the plan") from None
    return float(task.total_float if kind == "total" else task.free_float)


FINDING_COLUMNS = ["Severity", "Rule", "Cell", "Key", "Message"]


@xw.func(category=CATEGORY)
@xw.arg("plan", ndim=2, doc="tblPlan[#All]: the plan table with its header row")
@_excel
def pmo_findings(plan, status_date=None, anchor=_PLAN_ANCHOR):
    """The plan's validation findings (rules DT and PL of docs/rules.md) as a spilled
    table: Severity, Rule, Cell, Key, Message. anchor: the cell of the range's first
    header (default A3, tblPlan's place in the template), so Cell names the real cell."""
    from pmo_xl.commands.validate import validate_book

    book = _plan_book(plan, status_date=status_date, anchor=str(anchor or _PLAN_ANCHOR))
    report = validate_book(book, _date(status_date, "status_date"))
    rows = [[f.severity, f.rule, f.cell, f.key, f.message] for f in report.findings if f.sheet == "Plan"]
    return [list(FINDING_COLUMNS)] + rows


# --------------------------------------------------------------------------- roll-ups


_ROLLUPS = {"category": "tblRollupCategory", "person": "tblRollupPerson", "task": "tblRollupTask",
            "month": "tblRollupMonth"}


@xw.func(category=CATEGORY)
@xw.arg("timesheet", ndim=2, doc="tblTimesheet[#All]")
@xw.arg("costs", ndim=2, doc="tblCosts[#All]")
@xw.arg("resources", ndim=2, doc="tblResources[#All]")
@_excel
def pmo_rollup(timesheet, costs, resources, group="category", status_date=None, budget=None, plan=None):
    """A roll-up table from the table ranges (with headers), as on the Rollup sheet:
    group = "category" (Budget, PV, AC, Variance, % Spent), "person" (Hours, Cost),
    "task" or "month". Actuals up to status_date (default today); budget and plan
    (tblBudget[#All], tblPlan[#All]) give the budget and planned value columns."""
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.io.livebook import book_from_tables

    key = "category" if _blank(group) else str(group).strip().lower()
    if key not in _ROLLUPS:
        raise _Problem(f"group must be one of {', '.join(_ROLLUPS)}, not {group!r}")
    tables = {"tblTimesheet": timesheet, "tblCosts": costs, "tblResources": resources, "tblBudget": budget,
              "tblPlan": plan}
    given = {k: _range(v, k[3:].lower()) for k, v in tables.items() if not _blank(v)}
    day = _date(status_date, "status_date") or _dt.date.today()
    book = book_from_tables(given, {"StatusDate": day})
    result = rollup_book(book, day, error_count=0)
    return _table(result.tables()[_ROLLUPS[key]])


@xw.func(category=CATEGORY)
@xw.arg("changes", ndim=2, doc="tblChanges[#All]")
@_excel
def pmo_cr_stats(changes, as_of=None):
    """Change register statistics (SPEC §6) as a spilled table (Metric, Value): counts
    by status, open ageing, decision cycle time, approved impact. as_of: default today."""
    from pmo_xl.engine.changes import change_stats, stats_table
    from pmo_xl.io.livebook import frame_from_values

    frame = frame_from_values(_range(changes, "changes"), "tblChanges")
    day = _date(as_of, "as_of") or _dt.date.today()
    return [["Metric", "Value"]] + [[m, _out(v)] for m, v in stats_table(change_stats(frame, as_of=day))]


# --------------------------------------------------------------------------- scripts


def _live(book: Any) -> "LiveBook":
    from pmo_xl.errors import PmoError
    from pmo_xl.io.livebook import LiveBook

    if book is None:  # RunPython from the classic add-in: the workbook that called
        try:
            import xlwings

            book = xlwings.Book.caller()
        except Exception as exc:
            raise PmoError(f"no calling workbook ({exc}): run this from Excel, or pass the book") from None
    return LiveBook(book)


def _tell(live: "LiveBook", message: str, *, error: bool = False, form: bool = False) -> str:
    """Show a script's outcome: in the status cells the workbook has (pmoStatus,
    frmResult), as an alert for an error, and on stdout (xlwings Lite's console)."""
    shown = live.put(STATUS_CELL, message)
    if form:
        shown = live.put(FORM_RESULT_CELL, message) or shown
    if error:
        try:
            live.book.app.alert(message, title="pmo-xl")
        except Exception:  # no app object (or no alert) in this runtime
            pass
    print(message)
    return message


def _run(book: Any, action: Callable[["LiveBook"], str], *, form: bool = False) -> str:
    from pmo_xl.errors import PmoError

    live = _live(book)
    try:
        message = action(live)
    except (PmoError, _Problem) as exc:
        return _tell(live, f"pmo-xl: {exc}", error=True, form=form)
    return _tell(live, message, form=form)


def _validate(live: "LiveBook") -> str:
    from pmo_xl.commands.results import validation_heading, write_results
    from pmo_xl.commands.validate import validate_book

    report = validate_book(live.read())
    write_results(live.path, validation=report, editor=live)
    return validation_heading(report)


def _schedule_script(live: "LiveBook") -> str:
    from pmo_xl.commands.results import schedule_summary, write_results
    from pmo_xl.commands.schedule import schedule_book

    data = live.read()
    result = schedule_book(data)
    write_results(live.path, schedule=result, plan=data.frame("tblPlan"), editor=live)
    return "Schedule: " + schedule_summary(result)


def _rollup_summary(result: Any) -> str:
    e = result.evm
    idx = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    return f"Roll-up at {result.status_date.isoformat()}: CPI {idx(e.cpi)}, SPI {idx(e.spi)}, RAG {result.rag}"


def _rollup_script(live: "LiveBook") -> str:
    from pmo_xl.commands.results import change_stats_rows, write_results
    from pmo_xl.commands.rollup import rollup_book

    data = live.read()
    result = rollup_book(data)
    stats = change_stats_rows(data.frame("tblChanges"), result.status_date)
    write_results(live.path, rollup=result, change_stats=stats, editor=live)
    return _rollup_summary(result)


def _refresh_all(live: "LiveBook") -> str:
    from pmo_xl.commands.results import change_stats_rows, validation_heading, write_results
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.commands.schedule import schedule_book
    from pmo_xl.commands.validate import validate_book

    data = live.read()
    report = validate_book(data)
    plan = schedule_book(data)
    money = rollup_book(data, error_count=report.errors)
    stats = change_stats_rows(data.frame("tblChanges"), money.status_date)
    write_results(live.path, validation=report, schedule=plan, plan=data.frame("tblPlan"), rollup=money,
                  change_stats=stats, editor=live)
    return f"{validation_heading(report)} · Schedule: {plan.duration_days} working days · {_rollup_summary(money)}"


@xw.script(button=BUTTONS["validate_workbook"], show_taskpane=False)
def validate_workbook(book: xw.Book | None = None) -> str:
    """Validate the workbook (every rule and the DCMA 14-point checks) and write the
    Validation sheet, as `pmo-xl validate --write`."""
    return _run(book, _validate)


@xw.script(button=BUTTONS["refresh_rollup"], show_taskpane=False)
def refresh_rollup(book: xw.Book | None = None) -> str:
    """Earned value and roll-ups at the status date, written to the Rollup sheet, as
    `pmo-xl rollup --write`."""
    return _run(book, _rollup_script)


@xw.script(button=BUTTONS["refresh_schedule"], show_taskpane=False)
def refresh_schedule(book: xw.Book | None = None) -> str:
    """Critical path method on the plan, written to the Schedule sheet, as
    `pmo-xl schedule --write`."""
    return _run(book, _schedule_script)


@xw.script(button=BUTTONS["refresh_all"], show_taskpane=False)
def refresh_all(book: xw.Book | None = None) -> str:
    """Validation, schedule and roll-up from one read of the workbook."""
    return _run(book, _refresh_all)


def _form(live: "LiveBook", names: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The values of the form cells that exist (by target), and the names missing."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    for name, target in names.items():
        rng = live.name_range(name)
        if rng is None:
            missing.append(name)
            continue
        v = rng.value
        if not _blank(v):
            values[target] = v.strip() if isinstance(v, str) else v
    return values, missing


def _no_form(missing: list[str]) -> str:
    from pmo_xl.errors import PmoError

    raise PmoError(
        "the Changes sheet has no change-request form (defined names "
        + ", ".join(missing)
        + "); fill in the script's arguments instead, or see docs/excel.md"
    )


@xw.script(button=BUTTONS["new_change_request"], show_taskpane=False)
def new_change_request(
    book: xw.Book | None = None,
    title: str = "",
    requested_by: str = "",
    description: str = "",
    change_type: str = "",
    priority: str = "",
    rationale: str = "",
    cost_impact: float | None = None,
    schedule_impact: float | None = None,
    affected_tasks: str = "",
    funding: str = "",
    owner: str = "",
) -> str:
    """Add a change request (status Draft, next CR ID) from the form on the Changes
    sheet (frmTitle, frmRequestedBy, ...) or from the arguments (xlwings Lite App
    Mode); a filled argument wins over its form cell. Logs every field."""
    from pmo_xl.commands.change import ADD_OPTIONS, _known_tasks, apply_edit, default_user, utc_now, workbook_lists
    from pmo_xl.engine import changes as engine

    given = {"title": title, "requested_by": requested_by, "description": description, "type": change_type,
             "priority": priority, "rationale": rationale, "cost_impact": cost_impact,
             "schedule_impact": schedule_impact, "affected_tasks": affected_tasks, "funding": funding,
             "owner": owner}

    def action(live: "LiveBook") -> str:
        values, missing = _form(live, NEW_CHANGE_FORM)
        args = {ADD_OPTIONS[k]: v for k, v in given.items() if not _blank(v)}
        if len(missing) == len(NEW_CHANGE_FORM) and not args:
            _no_form(missing)
        values.update(args)
        data = live.read()
        edit = engine.add(data.frame("tblChanges"), data.frame("tblChangeLog"), values, user=default_user(),
                          now=utc_now(), today=_dt.date.today(), known_tasks=_known_tasks(data),
                          lists=workbook_lists(data))
        apply_edit(live, data, edit)
        live.clear(n for n in NEW_CHANGE_FORM if n not in missing)
        return edit.message

    return _run(book, action, form=True)


@xw.script(button=BUTTONS["decide_change_request"], show_taskpane=False)
def decide_change_request(
    book: xw.Book | None = None,
    cr_id: str = "",
    decision: str = "",
    decision_by: str = "",
    decision_date: _dt.date | None = None,
    notes: str = "",
    cost_impact: float | None = None,
    schedule_impact: float | None = None,
) -> str:
    """Approve, reject or defer a change request that is Under Review, from the form
    (frmCrId, frmDecision, frmDecisionBy, frmDecisionDate, ...) or the arguments.
    Approval needs the cost and schedule impact (0 allowed); an approved cost impact
    adds a tblBudget line, as `pmo-xl change decide`."""
    from pmo_xl.commands.change import apply_edit, default_user, utc_now, workbook_lists
    from pmo_xl.engine import changes as engine
    from pmo_xl.errors import PmoError

    given = {"cr_id": cr_id, "decision": decision, "by": decision_by, "date": decision_date, "note": notes,
             "cost_impact": cost_impact, "schedule_impact": schedule_impact}

    def action(live: "LiveBook") -> str:
        values, missing = _form(live, DECISION_FORM)
        args = {k: v for k, v in given.items() if not _blank(v)}
        if len(missing) == len(DECISION_FORM) and not args:
            _no_form(missing)
        values.update(args)
        for needed, label in (("cr_id", "frmCrId (the CR ID)"), ("decision", "frmDecision (Approve, Reject or Defer)")):
            if _blank(values.get(needed)):
                raise PmoError(f"a decision needs {label}")
        day = values.get("date")
        if day is not None:
            day = _date(day, "decision date")
        data = live.read()
        edit = engine.decide(
            data.frame("tblChanges"), str(values["cr_id"]), str(values["decision"]), by=values.get("by"),
            user=default_user(), now=utc_now(), date=day or _dt.date.today(), note=values.get("note"),
            cost_impact=values.get("cost_impact"), schedule_impact=values.get("schedule_impact"),
            lists=workbook_lists(data),
        )
        apply_edit(live, data, edit)
        live.clear(n for n in DECISION_FORM if n not in missing)
        return edit.message

    return _run(book, action, form=True)


FUNCTIONS = (pmo_cpi, pmo_spi, pmo_eac, pmo_tcpi, pmo_vac, pmo_variance, pmo_rag, pmo_workdays, pmo_add_workdays,
             pmo_critical_path, pmo_float, pmo_findings, pmo_rollup, pmo_cr_stats)
SCRIPTS = (validate_workbook, refresh_rollup, refresh_schedule, new_change_request, decide_change_request, refresh_all)

__all__ = [f.__name__ for f in FUNCTIONS + SCRIPTS]
