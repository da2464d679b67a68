"""Reader speed: ``pmo_xl.load`` on the large demo workbook vs a plain fastexcel read.

Run from a fresh clone: ``.venv/bin/python benchmarks/read.py``. The big workbook
(5,000 tasks, 200,000 timesheet rows) is generated once and cached under
``benchmarks/.cache/`` (git-ignored): with ``pmo-xl demo`` when that command exists,
otherwise from the schema with the template builder and synthetic rows.

Prints ``reader 0.84 s  fastexcel 0.70 s  ratio 1.20`` (best of ``--repeat`` runs each),
plus python-calamine for reference. The goal is a ratio <= 1.3 (docs/reader.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: where the generated workbooks are kept (``PMO_BENCH_CACHE`` sets another folder)
CACHE = Path(os.environ.get("PMO_BENCH_CACHE") or ROOT / "benchmarks" / ".cache")
TASKS = 5_000
TIMESHEET_ROWS = 200_000


def _synthetic_rows(tasks: int, timesheet_rows: int, seed: int = 1) -> tuple[dict, dict]:
    rng = random.Random(seed)
    start = dt.date(2026, 1, 5)
    people = [f"Person {i:03d}" for i in range(60)]
    plan = []
    for i in range(1, tasks + 1):
        s = start + dt.timedelta(days=rng.randrange(0, 700))
        d = rng.randrange(1, 30)
        plan.append(
            {
                "ID": i,
                "WBS": f"{(i - 1) // 50 + 1}.{(i - 1) % 50 + 1}",
                "Task": f"Task {i}",
                "Type": "Task",
                "Owner": rng.choice(people),
                "Duration": d,
                "Start": s,
                "Finish": s + dt.timedelta(days=d),
                "Predecessors": str(i - 1) if i > 1 and rng.random() < 0.8 else None,
                "Constraint": "ASAP",
                "Baseline Start": s,
                "Baseline Finish": s + dt.timedelta(days=d),
                "% Complete": rng.choice([0, 0.25, 0.5, 1]),
                "Status": "In Progress",
                "Notes": None,
            }
        )
    timesheet = [
        {
            "Date": start + dt.timedelta(days=rng.randrange(0, 700)),
            "Person": rng.choice(people),
            "Task ID": rng.randrange(1, tasks + 1),
            "Hours": rng.choice([1, 2, 4, 6, 7.5, 8]),
            "Note": None,
        }
        for _ in range(timesheet_rows)
    ]
    resources = [{"Person": p, "Role": "Engineer", "Rate": 80 + i, "Category": "Labour"} for i, p in enumerate(people)]
    budget = [{"Task ID": i, "Category": "Labour", "Amount": 1000.0 * (i % 7 + 1)} for i in range(1, tasks + 1)]
    settings = {"ProjectName": "Benchmark", "ProjectCode": "BENCH", "StartDate": start, "StatusDate": dt.date(2026, 9, 30)}
    return settings, {"tblPlan": plan, "tblTimesheet": timesheet, "tblResources": resources, "tblBudget": budget}


def big_workbook(tasks: int = TASKS, timesheet_rows: int = TIMESHEET_ROWS) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    demo = importlib.util.find_spec("pmo_xl.commands.demo") is not None
    path = CACHE / f"{'demo' if demo else 'synthetic'}_{tasks}_{timesheet_rows}.xlsx"
    if path.exists():
        return path
    print(f"building {path.name} (once) ...", file=sys.stderr)
    if demo:
        pmo = Path(sys.executable).with_name("pmo-xl")
        subprocess.run(
            [str(pmo), "demo", str(path), "--tasks", str(tasks), "--timesheet-rows", str(timesheet_rows)],
            check=True,
        )
    else:
        from pmo_xl.io.template import build_workbook

        settings, rows = _synthetic_rows(tasks, timesheet_rows)
        build_workbook(path, settings, rows)
    return path


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--path", type=Path, help="a workbook to measure instead of the big demo")
    args = parser.parse_args()

    import fastexcel
    from python_calamine import CalamineWorkbook

    import pmo_xl

    path = args.path or big_workbook()
    book = pmo_xl.load(path)
    tables = [t for t in book.tables.values() if t.present]
    sheets = sorted({t.sheet for t in tables})

    def fastexcel_tables() -> None:
        reader = fastexcel.read_excel(path)
        for t in tables:
            reader.load_table(t.name, eager=True).to_pandas()

    def fastexcel_sheets() -> None:
        reader = fastexcel.read_excel(path)
        for s in sheets:
            reader.load_sheet(s, header_row=None, eager=True).to_pandas()

    def calamine_sheets() -> None:
        wb = CalamineWorkbook.from_path(str(path))
        for s in sheets:
            wb.get_sheet_by_name(s).to_python()

    # interleaved, best of --repeat each: fairer on a machine shared with other jobs
    fns = {"reader": lambda: pmo_xl.load(path), "fe_tables": fastexcel_tables, "fe_sheets": fastexcel_sheets, "cal": calamine_sheets}
    best = {name: float("inf") for name in fns}
    for _ in range(args.repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], _best(fn, 1))
    reader_s, fe_tables, fe_sheets, cal = best["reader"], best["fe_tables"], best["fe_sheets"], best["cal"]
    baseline = min(fe_tables, fe_sheets)
    rows = sum(len(t) for t in tables)
    print(f"{path.name}: {len(tables)} tables, {rows:,} rows, {len(book.issues)} cell issues, template v{book.template_version}")
    print(f"reader {reader_s:.2f} s  fastexcel {baseline:.2f} s  ratio {reader_s / baseline:.2f}")
    print(f"  fastexcel load_table+to_pandas {fe_tables:.2f} s, load_sheet+to_pandas {fe_sheets:.2f} s")
    print(f"  python-calamine to_python {cal:.2f} s")


if __name__ == "__main__":
    main()
