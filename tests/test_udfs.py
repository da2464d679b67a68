"""Custom worksheet functions (udfs/pmo_udfs.py), called exactly as Excel calls them:
numbers as floats, dates as datetimes (or date serials, as xlwings Lite/Server pass
them), ranges as 2-D lists with their header row, empty cells as None.

Reference values: SPEC §5 (EVM case) and SPEC §3 (the 14-task network). The registration
test runs xlwings' own classic decorators (``xlwings.udfs``, BSD) over the module in a
subprocess, as Excel's "Import Python UDFs" does on Windows.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pmo_udfs
from pmo_xl import schema
from pmo_xl.engine import evm
from pmo_xl.io.reader import excel_serial_to_datetime

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

ERR = "#PMO!"


def is_error(v: object, *words: str) -> bool:
    return isinstance(v, str) and v.startswith(ERR) and all(w in v for w in words)


# --------------------------------------------------------------------------- EVM (SPEC §5)


def test_evm_reference_case():
    bac, pv, ev, ac = 4000.0, 3000.0, 2500.0, 2800.0
    assert round(pmo_udfs.pmo_cpi(ev, ac), 4) == 0.8929
    assert round(pmo_udfs.pmo_spi(ev, pv), 4) == 0.8333
    assert pmo_udfs.pmo_eac(bac, ev, ac) == pytest.approx(4480)
    assert pmo_udfs.pmo_eac(bac, ev, ac, "cpi") == pytest.approx(4480)
    assert pmo_udfs.pmo_eac(bac, ev, ac, "cpi_spi", pv) == pytest.approx(4816)
    assert pmo_udfs.pmo_eac(bac, ev, ac, "remaining") == pytest.approx(ac + (bac - ev))
    assert pmo_udfs.pmo_tcpi(bac, ev, ac) == pytest.approx(1.25)
    assert pmo_udfs.pmo_tcpi(bac, ev, ac, 4480.0) == pytest.approx((bac - ev) / (4480 - ac))
    assert pmo_udfs.pmo_vac(bac, 4480.0) == pytest.approx(-480)
    assert pmo_udfs.pmo_variance(1000.0, 1200.0) == pytest.approx(-200)


def test_rag():
    assert pmo_udfs.pmo_rag(0.96, 0.97) == "Green"
    assert pmo_udfs.pmo_rag(0.96, 0.97, 1.0) == "Amber"  # validation errors bar Green
    assert pmo_udfs.pmo_rag(0.91, 0.99) == "Amber"
    assert pmo_udfs.pmo_rag(0.8929, 0.8333) == "Red"
    assert pmo_udfs.pmo_rag(None, 1.0) == "Amber"  # not measurable yet


@given(st.one_of(st.none(), st.floats(-1e6, 1e6)), st.one_of(st.none(), st.floats(0.5, 1.5)))
def test_rag_is_the_engines(cpi, spi):
    assert pmo_udfs.pmo_rag(cpi, spi) == evm.rag(cpi, spi)


def test_division_by_zero_is_an_empty_cell():
    assert pmo_udfs.pmo_cpi(100.0, 0.0) == ""
    assert pmo_udfs.pmo_spi(100.0, 0.0) == ""
    assert pmo_udfs.pmo_eac(1000.0, 0.0, 100.0) == ""  # CPI 0
    assert pmo_udfs.pmo_tcpi(1000.0, 500.0, 1000.0) == ""  # BAC = AC
    assert pmo_udfs.pmo_tcpi(1000.0, 500.0, 700.0, 700.0) == ""  # EAC = AC


def test_empty_cells_give_empty_results():
    assert pmo_udfs.pmo_cpi(None, 100.0) == ""
    assert pmo_udfs.pmo_spi(100.0, None) == ""
    assert pmo_udfs.pmo_vac(None, None) == ""
    assert pmo_udfs.pmo_variance("", 5.0) == ""
    assert pmo_udfs.pmo_workdays(None, dt.datetime(2026, 1, 9)) == ""
    assert pmo_udfs.pmo_add_workdays(dt.datetime(2026, 1, 9), None) == ""


def test_bad_arguments_are_readable_cell_errors():
    assert is_error(pmo_udfs.pmo_cpi("lots", 100.0), "ev must be a number", "lots")
    assert is_error(pmo_udfs.pmo_spi(1.0, True), "pv must be a number")
    assert is_error(pmo_udfs.pmo_eac(1.0, 1.0, 1.0, "guess"), "method must be one of cpi, remaining, cpi_spi")
    assert is_error(pmo_udfs.pmo_eac(1.0, 1.0, 1.0, "cpi_spi"), "needs pv")
    assert is_error(pmo_udfs.pmo_workdays("next week", dt.datetime(2026, 1, 9)), "start must be a date")
    assert is_error(pmo_udfs.pmo_workdays(dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 9), None, "0000000"), "no working day")
    assert is_error(pmo_udfs.pmo_add_workdays(dt.datetime(2026, 1, 5), 1.5), "whole number")
    assert is_error(pmo_udfs.pmo_critical_path([["not", "a", "plan"], [1.0, 2.0, 3.0]]), "header row")
    assert is_error(pmo_udfs.pmo_critical_path(7.0), "table range")


def test_numbers_typed_as_text_are_read():
    assert pmo_udfs.pmo_cpi("2500", " 2800 ") == pytest.approx(2500 / 2800)


@given(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9))
def test_cpi_spi_are_the_ratio(ev, ac):
    want = "" if abs(ac) < 1e-9 else ev / ac
    got = pmo_udfs.pmo_cpi(ev, ac)
    assert got == want if want == "" else got == pytest.approx(want)
    assert pmo_udfs.pmo_spi(ev, ac) == got


# --------------------------------------------------------------------------- calendar


def test_workdays_like_networkdays_and_workday():
    fri, tue, wed = dt.datetime(2025, 1, 3), dt.datetime(2025, 1, 7), dt.datetime(2025, 1, 8)
    assert pmo_udfs.pmo_workdays(fri, wed) == 4
    assert pmo_udfs.pmo_workdays(fri, wed, [[tue]]) == 3  # a holiday range (one column)
    assert pmo_udfs.pmo_workdays(wed, fri, tue) == -3
    assert pmo_udfs.pmo_add_workdays(fri, 2.0, [[tue], [None]]) == dt.datetime(2025, 1, 8)
    assert pmo_udfs.pmo_add_workdays(wed, -2.0, tue) == dt.datetime(2025, 1, 3)
    assert pmo_udfs.pmo_add_workdays(fri, 0.0) == fri
    # a Sunday-to-Thursday week, typed as a number in the cell (0 dropped by Excel)
    assert pmo_udfs.pmo_workdays(fri, wed, None, 111001.0) == pmo_udfs.pmo_workdays(fri, wed, None, "0111001")


def test_dates_as_serials_as_lite_passes_them():
    start, end = dt.datetime(2026, 3, 2), dt.datetime(2026, 4, 17)
    serial = lambda d: float((d - dt.datetime(1899, 12, 30)).days)  # noqa: E731
    assert pmo_udfs.pmo_workdays(serial(start), serial(end), [[serial(dt.datetime(2026, 4, 3))]]) == \
        pmo_udfs.pmo_workdays(start, end, [[dt.datetime(2026, 4, 3)]])


@given(st.floats(0, 2_958_465))
def test_serial_dates_agree_with_the_reader(serial):
    assert pmo_udfs._serial_date(serial) == excel_serial_to_datetime(serial).date()


weekmasks = st.text(alphabet="01", min_size=7, max_size=7).filter(lambda w: "1" in w)


@settings(max_examples=60, deadline=None)
@given(
    st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
    st.integers(-60, 60),
    weekmasks,
    st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)), max_size=6),
)
def test_workdays_against_a_day_by_day_count(a, span, workweek, holidays):
    b = a + dt.timedelta(days=span)
    hol = [[dt.datetime(h.year, h.month, h.day)] for h in holidays]

    def working(d: dt.date) -> bool:
        return workweek[d.weekday()] == "1" and d not in holidays

    lo, hi = min(a, b), max(a, b)
    count = sum(working(lo + dt.timedelta(days=i)) for i in range((hi - lo).days + 1))
    want = count if b >= a else -count
    got = pmo_udfs.pmo_workdays(dt.datetime(a.year, a.month, a.day), dt.datetime(b.year, b.month, b.day), hol, workweek)
    assert got == want
    n = abs(span) // 3 + 1
    end = pmo_udfs.pmo_add_workdays(dt.datetime(a.year, a.month, a.day), float(n), hol, workweek)
    assert working(end.date()) and end.date() > a
    assert pmo_udfs.pmo_workdays(dt.datetime(a.year, a.month, a.day) + dt.timedelta(days=1), end, hol, workweek) == n


# --------------------------------------------------------------------------- the plan (SPEC §3)

DURATIONS = dict(A=2, B=10, C=13, D=12, E=12, F=7, G=10, H=16, I=6, J=12, K=5, L=8, M=5, N=3)
LINKS = dict(B="A", C="A", D="A", E="B", F="B", G="D", H="D", I="F", J="C,G", K="I", L="E,K", M="H", N="J,L,M")
ID = {k: i for i, k in enumerate(DURATIONS, start=1)}
START = dt.datetime(2026, 1, 5)


def spec_plan(columns: list[str] | None = None, serial_dates: bool = False) -> list[list[object]]:
    """tblPlan[#All] of the SPEC §3 network as Excel hands it over: a 2-D list."""
    headers = columns or schema.TABLES["tblPlan"].headers
    start = float((START - dt.datetime(1899, 12, 30)).days) if serial_dates else START
    rows = []
    for k, d in DURATIONS.items():
        preds = ", ".join(str(ID[p]) for p in LINKS.get(k, "").split(",") if p)
        values = {"ID": float(ID[k]), "WBS": str(ID[k]), "Task": f"Task {k}", "Type": "Task", "Owner": "Ana",
                  "Duration": float(d), "Start": start, "Predecessors": preds or None, "Status": "Not Started",
                  "% Complete": 0.0}
        rows.append([values.get(h) for h in headers])
    return [list(headers)] + rows


CRITICAL = [ID[k] for k in "ABFIKLN"]
TOTAL_FLOAT = dict(C=11, D=2, E=6, G=2, H=3, J=2, M=3)
FREE_FLOAT = dict(C=9, E=6, J=2, M=3)


def test_critical_path_of_the_spec_network():
    plan = spec_plan()
    assert pmo_udfs.pmo_critical_path(plan) == [[i] for i in CRITICAL]  # a spilled column
    assert pmo_udfs.pmo_critical_path(plan, None, None, "1111100", None, "-") == "1-2-6-9-11-12-14"


def test_floats_of_the_spec_network():
    plan = spec_plan()
    for k, f in TOTAL_FLOAT.items():
        assert pmo_udfs.pmo_float(plan, float(ID[k])) == f, k
    for k, f in FREE_FLOAT.items():
        assert pmo_udfs.pmo_float(plan, float(ID[k]), "free") == f, k
    for k in "ABFIKLN":
        assert pmo_udfs.pmo_float(plan, float(ID[k])) == 0
    assert is_error(pmo_udfs.pmo_float(plan, 99.0), "task 99 is not in the plan")
    assert is_error(pmo_udfs.pmo_float(plan, 1.0, "late"), "which must be total or free")


def test_plan_columns_in_any_order_and_serial_dates():
    headers = schema.TABLES["tblPlan"].headers
    shuffled = headers[::-1] + ["My notes"]
    assert pmo_udfs.pmo_critical_path(spec_plan(shuffled)) == [[i] for i in CRITICAL]
    assert pmo_udfs.pmo_critical_path(spec_plan(serial_dates=True)) == [[i] for i in CRITICAL]
    assert pmo_udfs.pmo_float(spec_plan(shuffled, serial_dates=True), float(ID["C"])) == 11


def test_float_column_computes_the_schedule_once():
    plan = spec_plan()
    pmo_udfs._schedules.clear()
    for k in DURATIONS:
        pmo_udfs.pmo_float(plan, float(ID[k]))
    assert len(pmo_udfs._schedules) == 1


def test_findings_name_the_cells_of_the_template_table():
    plan = spec_plan()
    headers = plan[0]
    five = plan[1 + 4]  # task 5 (E), on Excel row 3 + 5 = 8 when tblPlan's header is A3
    five[headers.index("Predecessors")] = "2, 5"
    out = pmo_udfs.pmo_findings(plan)
    assert out[0] == ["Severity", "Rule", "Cell", "Key", "Message"]
    letter = chr(ord("A") + headers.index("Predecessors"))
    self_links = [r for r in out[1:] if r[1] == "PL006"]
    assert self_links == [["error", "PL006", f"{letter}8", "5", self_links[0][4]]]
    assert "itself" in self_links[0][4]
    moved = pmo_udfs.pmo_findings(plan, None, "C10")  # the same range placed elsewhere
    assert [r[2] for r in moved[1:] if r[1] == "PL006"] == [f"{chr(ord(letter) + 2)}15"]


def test_findings_of_a_dated_plan_have_no_error():
    plan = spec_plan()
    headers = plan[0]
    result = pmo_udfs._schedule(plan, None, None, "1111100", None)
    for row in plan[1:]:
        t = result.task(int(row[0]))
        for col, d in (("Start", result.start_date(t)), ("Finish", result.finish_date(t))):
            row[headers.index(col)] = dt.datetime(d.year, d.month, d.day)
    out = pmo_udfs.pmo_findings(plan)
    assert out[0] == ["Severity", "Rule", "Cell", "Key", "Message"]
    assert not [r for r in out[1:] if r[0] == "error"]


# --------------------------------------------------------------------------- tables of the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from pmo_xl.commands.demo import demo_workbook

    path = demo_workbook(tmp_path_factory.mktemp("udfs") / "demo.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)

    def table(name: str) -> list[list[object]]:
        spec = schema.TABLES[name]
        ws = wb[spec.sheet]
        ref = ws.tables[name].ref
        rows = [[c.value for c in r] for r in ws[ref]]
        # as xlwings hands them over: numbers are floats
        return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r] for r in rows]

    from pmo_xl.io.reader import load

    return path, load(path), table


def _plain(frame):
    return [[None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in r]
            for r in frame.astype(object).itertuples(index=False, name=None)]


def _cells(rows):
    return [["" if v is None else v for v in r] for r in rows]


def test_rollup_by_person_equals_the_cli(demo):
    from pmo_xl.commands.rollup import rollup_book

    path, book, table = demo
    status = dt.datetime.combine(book.settings["StatusDate"], dt.time())
    out = pmo_udfs.pmo_rollup(table("tblTimesheet"), table("tblCosts"), table("tblResources"), "person", status)
    want = rollup_book(book).tables()["tblRollupPerson"]
    assert out[0] == list(want.columns)
    assert out[1:] == _cells(_plain(want))


def test_rollup_by_category_budget_and_actuals_equal_the_cli(demo):
    from pmo_xl.commands.rollup import rollup_book

    path, book, table = demo
    status = dt.datetime.combine(book.settings["StatusDate"], dt.time())
    out = pmo_udfs.pmo_rollup(table("tblTimesheet"), table("tblCosts"), table("tblResources"), "category", status,
                              table("tblBudget"), table("tblPlan"))
    want = rollup_book(book).tables()["tblRollupCategory"]
    assert out[0] == list(want.columns)
    cols = [out[0].index(c) for c in ("Category", "Budget", "AC", "Variance")]
    got = [[r[i] for i in cols] for r in out[1:]]
    expected = [[r[i] for i in cols] for r in _cells(_plain(want))]
    assert [g[0] for g in got] == [e[0] for e in expected]
    for g, e in zip(got, expected):
        assert g[1:] == pytest.approx(e[1:])
    assert is_error(pmo_udfs.pmo_rollup(table("tblTimesheet"), None, None, "week"), "group must be one of")


def test_change_stats_equal_the_cli(demo):
    from pmo_xl.engine.changes import change_stats, stats_table

    path, book, table = demo
    as_of = book.settings["StatusDate"]
    out = pmo_udfs.pmo_cr_stats(table("tblChanges"), dt.datetime.combine(as_of, dt.time()))
    want = stats_table(change_stats(book.frame("tblChanges"), as_of=as_of))
    assert out[0] == ["Metric", "Value"]
    assert out[1:] == [[m, "" if v is None else v] for m, v in want]


def test_critical_path_of_the_demo_plan_equals_the_cli(demo):
    """The demo's calendar has public holidays: passed as the holidays argument, the
    function gives the CLI's critical path and floats."""
    from pmo_xl.commands._common import calendar_for
    from pmo_xl.commands.schedule import schedule_book

    path, book, table = demo
    result = schedule_book(book)
    cal = calendar_for(book)
    days = [d for d in cal.holidays if cal.start.year - 1 <= d.year <= cal.start.year + 2]
    hol = [[dt.datetime(d.year, d.month, d.day)] for d in days]
    start = dt.datetime.combine(book.settings["StartDate"], dt.time())
    status = dt.datetime.combine(book.settings["StatusDate"], dt.time())
    plan = table("tblPlan")
    got = pmo_udfs.pmo_critical_path(plan, start, hol, book.settings["WorkWeek"], status)
    assert got == [[i] for i in result.critical_path]
    for t in result.tasks[:10]:
        assert pmo_udfs.pmo_float(plan, float(t.id), "total", start, hol, book.settings["WorkWeek"], status) == t.total_float


# --------------------------------------------------------------------------- registration with xlwings

_STUB_WINDOWS = textwrap.dedent(
    """
    import io, json, sys, types, typing
    # pywin32 stand-ins, so xlwings' own classic UDF decorators (xlwings/udfs.py, BSD) import here
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["win32com.client"].Dispatch = None
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    import xlwings, xlwings.udfs as udfs
    # what xlwings/__init__.py binds on Windows
    xlwings.func, xlwings.arg, xlwings.ret, xlwings.script = udfs.xlfunc, udfs.xlarg, udfs.xlret, udfs.xlsub
    import pmo_udfs
    assert pmo_udfs.xw is xlwings
    class Workbook:
        Name = "PMO_Template.xlsm"
    buf = io.StringIO()
    udfs.generate_vba_wrapper("pmo_udfs", pmo_udfs, buf, Workbook())
    import copy
    out = {}
    for f in pmo_udfs.FUNCTIONS + pmo_udfs.SCRIPTS:
        meta = copy.deepcopy(f.__xlfunc__)
        meta.pop("argmap")
        meta["ret"] = {"options": {k: str(v) for k, v in meta["ret"]["options"].items()}}
        for a in meta["args"]:
            a["options"] = {k: str(v) for k, v in a["options"].items()}
            a["optional"] = "optional" in a; a.pop("default", None)
        out[f.__name__] = meta
    hints = typing.get_type_hints(pmo_udfs.validate_workbook)
    print(json.dumps({"meta": out, "vba": buf.getvalue(),
                      "book_hint": repr(hints["book"]), "book_is_xlwings": hints["book"] == typing.Optional[xlwings.Book]}))
    """
)

#: Words VBA reserves: a UDF parameter with one of these names breaks the generated module.
VBA_KEYWORDS = {"and", "as", "boolean", "byref", "byte", "byval", "call", "case", "const", "currency", "date",
                "debug", "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum",
                "eqv", "erase", "error", "event", "exit", "false", "for", "friend", "function", "get", "global",
                "gosub", "goto", "if", "imp", "implements", "in", "integer", "is", "let", "lib", "like", "long",
                "loop", "lset", "me", "mod", "new", "next", "not", "nothing", "null", "object", "on", "option",
                "optional", "or", "paramarray", "preserve", "private", "property", "public", "raiseevent",
                "redim", "rem", "resume", "return", "rset", "select", "set", "single", "static", "step", "stop",
                "string", "sub", "then", "to", "true", "type", "typeof", "until", "variant", "wend", "while",
                "with", "xor", "name", "input", "open", "close", "print", "line", "width", "string"}


@pytest.fixture(scope="module")
def registered():
    run = subprocess.run([PY, "-c", _STUB_WINDOWS], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_functions_are_registered_by_xlwings(registered):
    meta = registered["meta"]
    for f in pmo_udfs.FUNCTIONS:
        m = meta[f.__name__]
        assert m["sub"] is False and m["category"] == "PMO"
        assert [a["name"] for a in m["args"]] == list(inspect.signature(f).parameters)
    args = {a["name"]: a for a in meta["pmo_critical_path"]["args"]}
    assert args["plan"]["options"] == {"ndim": "2"} and "tblPlan" in args["plan"]["doc"]
    assert {a["name"]: a["options"] for a in meta["pmo_rollup"]["args"]}["timesheet"] == {"ndim": "2"}
    for s in pmo_udfs.SCRIPTS:
        assert meta[s.__name__]["sub"] is True


def test_vba_wrappers_as_excel_imports_them(registered):
    vba = registered["vba"]
    assert "Function pmo_eac(bac, ev, ac, Optional method, Optional pv)" in vba
    assert "Function pmo_workdays(start, finish, Optional holidays, Optional workweek)" in vba
    assert "Sub validate_workbook(Optional book)" in vba
    for f in pmo_udfs.FUNCTIONS + pmo_udfs.SCRIPTS:
        for a in registered["meta"][f.__name__]["args"]:
            assert a["name"].lower() not in VBA_KEYWORDS, (f.__name__, a["name"])


def test_scripts_take_the_book_as_lite_and_server_inject_it(registered):
    # Lite/Server inject the parameter annotated xw.Book (Optional allowed)
    assert registered["book_is_xlwings"], registered["book_hint"]
    import re

    assert set(pmo_udfs.BUTTONS) == {s.__name__ for s in pmo_udfs.SCRIPTS}
    for ref in pmo_udfs.BUTTONS.values():
        assert re.fullmatch(r"\[btn\w+\]Dashboard![A-Z]+\d+", ref)
    assert len(set(pmo_udfs.BUTTONS.values())) == len(pmo_udfs.BUTTONS)


def test_no_pro_module_is_imported():
    code = "import sys, pmo_udfs; print(json.dumps(sorted(m for m in sys.modules if m.startswith('xlwings'))))"
    run = subprocess.run([PY, "-c", "import json;" + code], capture_output=True, text=True, cwd=ROOT,
                         env={"PMO_UDFS_XLWINGS": "1", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}, timeout=120)
    assert run.returncode == 0, run.stderr
    mods = json.loads(run.stdout)
    assert "xlwings" in mods and not any(m.startswith(("xlwings.server", "xlwings.pro.udfs")) for m in mods)


# --------------------------------------------------------------------------- light import


def test_import_loads_no_heavy_module():
    # (the import and call times are measured by benchmarks/run.py, not here)
    code = "import sys, pmo_udfs; pmo_udfs.pmo_cpi(2500.0, 2800.0); " \
           "print(','.join(sorted(m for m in ('pandas', 'numpy', 'xlwings', 'openpyxl') if m in sys.modules)))"
    run = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""  # no pandas/numpy/xlwings at import on Linux
