"""The speed bars of SPEC §9, each as a ratio against a raw read measured in the same run.

    .venv/bin/python benchmarks/run.py            # the full set (first run builds the files)
    .venv/bin/python benchmarks/run.py --quick    # fewer, smaller files: a quick check
    .venv/bin/python benchmarks/run.py --profile  # also pyinstrument profiles of the slow parts

Workbooks are made with ``pmo-xl demo`` and cached under ``benchmarks/.cache/``
(git-ignored): a folder of 200 typical projects (200 tasks, 5,000 timesheet rows each) and
one large project (5,000 tasks, 200,000 timesheet rows; the same file benchmarks/read.py
uses). Figures, goals and how they were measured: docs/performance.md.

| figure | measured against | goal |
|---|---|---|
| portfolio of 200 files, N processes (median ratio of 7 alternating pairs) | fastexcel reading the same tables, N processes | ≤ 1.3 |
| validate / rollup of the large file (load + compute; rollup counts the validation errors for the RAG) | fastexcel reading its tables | ≤ 1.5 |
| rollup --write of the large file | openpyxl load + save of it | ≤ 1/30 |
| ``pmo-xl --help`` | wall time | (fast) |
| ``pmo_cpi(ev, ac)`` UDF | per call | (fast) |
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "udfs"))

from read import CACHE, _best, big_workbook  # noqa: E402  (the reader helper's benchmark; CACHE: PMO_BENCH_CACHE or .cache/)

PMO = str(Path(sys.executable).with_name("pmo-xl"))

import logging  # noqa: E402

logging.getLogger("fastexcel").setLevel(logging.ERROR)  # "could not determine dtype" of empty generated tables

FULL = {"files": 200, "tasks": 200, "rows": 5_000, "big_tasks": 5_000, "big_rows": 200_000, "repeat": 3, "pairs": 7}
QUICK = {"files": 20, "tasks": 60, "rows": 1_200, "big_tasks": 1_000, "big_rows": 40_000, "repeat": 1, "pairs": 2}


# --------------------------------------------------------------------------- workbooks


def _shown(path: Path) -> str:
    """``path`` relative to the clone when it lies in it (the cache may be elsewhere)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _demo(path: Path, seed: int, tasks: int, rows: int) -> None:
    subprocess.run([PMO, "demo", str(path), "--seed", str(seed), "--tasks", str(tasks), "--timesheet-rows", str(rows),
                    "--force"], check=True, capture_output=True)


def portfolio_folder(files: int, tasks: int, rows: int) -> Path:
    """``files`` demo projects (seeds 1..files) in a cached folder."""
    folder = CACHE / f"portfolio_{tasks}_{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [(folder / f"project-{s:03d}.xlsx", s) for s in range(1, files + 1)]
    missing = [(p, s) for p, s in wanted if not p.exists()]
    if missing:
        print(f"building {len(missing)} demo workbooks in {_shown(folder)} (once) ...", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each is a pmo-xl process
            list(pool.map(lambda ps: _demo(ps[0], ps[1], tasks, rows), missing))
    return folder


# --------------------------------------------------------------------------- baselines


def fastexcel_read(path: str | Path) -> int:
    """The raw read: every table of the workbook with fastexcel, as pandas frames."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    n = 0
    for name in reader.table_names():
        n += len(reader.load_table(name, eager=True).to_pandas())
    return n


def _cpu_of(args: tuple[str, Path]) -> float:
    """CPU seconds one worker spends on one file: the raw read or the portfolio's record."""
    kind, path = args
    c0 = time.process_time()
    if kind == "fastexcel":
        fastexcel_read(path)
    else:
        from pmo_xl.commands.portfolio import project_record

        project_record(path)
    return time.process_time() - c0


def cpu_in_pool(kind: str, paths: list[Path], jobs: int) -> float:
    """Mean CPU seconds per file inside a pool of ``jobs`` processes (what each worker
    really spends, without the pool's start-up and the parent's share)."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        times = list(pool.map(_cpu_of, [(kind, p) for p in paths]))
    return sum(times) / len(times)


def fastexcel_folder(paths: list[Path], jobs: int) -> None:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(fastexcel_read, paths))


# --------------------------------------------------------------------------- measures


def measure_portfolio(cfg: dict, jobs: int, out: dict) -> None:
    from pmo_xl.commands.portfolio import collect_paths, portfolio, project_record, write_workbook

    folder = portfolio_folder(cfg["files"], cfg["tasks"], cfg["rows"])
    paths, _ = collect_paths([folder])
    fastexcel_read(paths[0])  # imports and file cache warm for both sides
    project_record(paths[0])
    holder: dict = {}

    def run() -> None:
        holder["result"] = portfolio(folder, jobs=jobs, show_progress=False)

    # Pairs, the two sides in turn (A B, B A, A B ...), each ratio taken within its pair:
    # a shared machine's speed drifts by tens of per cent within a minute, and a drift
    # between two blocks of runs would land on one side only.
    ours, theirs = [], []
    for i in range(cfg["pairs"]):
        sides = [(ours, run), (theirs, lambda: fastexcel_folder(paths, jobs))]
        for times, fn in sides if i % 2 == 0 else sides[::-1]:
            times.append(_best(fn, 1))
    ratios = sorted(a / b for a, b in zip(ours, theirs))
    ratio = statistics.median(ratios)
    with tempfile.TemporaryDirectory() as tmp:
        t_write = _best(lambda: write_workbook(holder["result"], Path(tmp) / "portfolio.xlsx"), cfg["repeat"])
    n = len(paths)
    t_port, t_fe = statistics.median(ours), statistics.median(theirs)
    out["portfolio"] = (t_port, t_fe, ratio)
    print(f"portfolio  {n} files, {jobs} processes, {len(ratios)} pairs: {t_port:.2f} s  fastexcel {t_fe:.2f} s  "
          f"ratio {ratio:.2f} (goal <= 1.3; pairs {ratios[0]:.2f}-{ratios[-1]:.2f}, fastest of each side "
          f"{min(ours):.2f} / {min(theirs):.2f} s = {min(ours) / min(theirs):.2f})   + workbook write {t_write:.2f} s")

    cpu_pr, cpu_fe = cpu_in_pool("portfolio", paths, jobs), cpu_in_pool("fastexcel", paths, jobs)
    print(f"  CPU per file inside the pool: portfolio {cpu_pr * 1000:.1f} ms  fastexcel {cpu_fe * 1000:.1f} ms  "
          f"ratio {cpu_pr / cpu_fe:.2f}")

    # where a file's time goes (in this process, one file after another)
    sample = paths[: min(10, n)]
    parts = _split(sample)
    total = sum(parts.values())
    print("  per file (mean of %d): " % len(sample)
          + "  ".join(f"{k} {v / len(sample) * 1000:.1f} ms" for k, v in parts.items())
          + f"  = {total / len(sample) * 1000:.1f} ms")
    fe = _best(lambda: [fastexcel_read(p) for p in sample], 1) / len(sample)
    print(f"  fastexcel read alone {fe * 1000:.1f} ms per file")


def _split(paths: list[Path]) -> dict[str, float]:
    """Where a file's time goes in :func:`project_record` (one file after another, each
    read and processed once, as a worker does), by the record's own steps: load, validate
    (the rules and the CPM the forecast comes from; no DCMA, which the record does not
    read), roll-up (given the validator's context), and the rest of the record (portfolio
    row, detail rows)."""
    from pmo_xl.commands.portfolio import project_record
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.commands.validate import validate_book
    from pmo_xl.engine.rules._context import RuleContext
    from pmo_xl.io.reader import load

    parts = {"load": 0.0, "validate": 0.0, "rollup": 0.0, "rest": 0.0}
    for p in paths:
        t0 = time.perf_counter()
        book = load(p)
        t1 = time.perf_counter()
        ctx = RuleContext(book)
        report = validate_book(book, dcma=False, context=ctx)
        t2 = time.perf_counter()
        rollup_book(book, error_count=report.errors, context=ctx)
        t3 = time.perf_counter()
        del book, ctx, report  # (freed outside the figures)
        t4 = time.perf_counter()
        project_record(p)
        t5 = time.perf_counter()
        parts["load"] += t1 - t0
        parts["validate"] += t2 - t1
        parts["rollup"] += t3 - t2
        parts["rest"] += max(0.0, (t5 - t4) - (t3 - t0))  # the whole record minus the three
    return parts


def measure_large(cfg: dict, out: dict) -> Path:
    from pmo_xl.commands.rollup import rollup_book, validation_errors
    from pmo_xl.commands.validate import validate_book
    from pmo_xl.io.reader import load

    path = big_workbook(cfg["big_tasks"], cfg["big_rows"])
    fastexcel_read(path)
    t_fe = _best(lambda: fastexcel_read(path), cfg["repeat"])
    t_load = _best(lambda: load(path), cfg["repeat"])
    book = load(path)
    t_val = _best(lambda: validate_book(book), cfg["repeat"])
    errors = validate_book(book).errors
    t_roll = _best(lambda: rollup_book(book, error_count=errors), cfg["repeat"])
    t_count = _best(lambda: validation_errors(book), cfg["repeat"])
    t_cmd = t_count + t_roll  # what rollup_book(book) does: count the errors, then roll up
    out["large"] = (t_fe, t_load, t_val, t_cmd)
    print(f"large      {path.name}: fastexcel {t_fe:.2f} s  load {t_load:.2f} s  validate {t_val:.2f} s  "
          f"error count {t_count:.2f} s  rollup {t_roll:.2f} s (given the error count)")
    print(f"  validate (load + rules + DCMA) {t_load + t_val:.2f} s  ratio {(t_load + t_val) / t_fe:.2f}"
          f" (goal <= 1.5)")
    print(f"  rollup (load + error count for the RAG + EVM) {t_load + t_cmd:.2f} s  "
          f"ratio {(t_load + t_cmd) / t_fe:.2f} (goal <= 1.5)")
    return path


def measure_write(path: Path, cfg: dict, out: dict) -> None:
    import openpyxl

    from pmo_xl.commands.rollup import rollup_file

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work.xlsx"

        def write() -> None:
            shutil.copy(path, work)
            rollup_file(work, write=True)

        t_copy = _best(lambda: shutil.copy(path, work), cfg["repeat"])
        t_write = _best(write, cfg["repeat"]) - t_copy
        t0 = time.perf_counter()
        wb = openpyxl.load_workbook(path)
        wb.save(Path(tmp) / "openpyxl.xlsx")
        t_opx = time.perf_counter() - t0
    out["write"] = (t_write, t_opx)
    print(f"write      rollup --write {t_write:.2f} s  openpyxl load+save {t_opx:.2f} s  "
          f"ratio {t_write / t_opx:.3f} = 1/{t_opx / t_write:.0f} (goal <= 1/30)")


def measure_help(out: dict) -> None:
    def once() -> None:
        subprocess.run([PMO, "--help"], check=True, capture_output=True)

    once()
    t = _best(once, 5)
    t_py = _best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)
    out["help"] = t
    print(f"help       pmo-xl --help {t * 1000:.0f} ms (python -c pass {t_py * 1000:.0f} ms)")


def measure_udf(out: dict) -> None:
    t0 = time.perf_counter()
    try:
        import pmo_udfs
    except ImportError as exc:
        print(f"udf        skipped: udfs/pmo_udfs.py cannot be imported ({exc})")
        return
    t_import = time.perf_counter() - t0
    fn = getattr(pmo_udfs, "pmo_cpi", None)
    if fn is None:
        print("udf        skipped: udfs/pmo_udfs.py has no pmo_cpi yet")
        return
    fn(2500.0, 2800.0)
    n = 20_000
    t0 = time.perf_counter()
    for i in range(n):
        fn(2500.0 + i, 2800.0)
    per = (time.perf_counter() - t0) / n
    out["udf"] = per
    print(f"udf        pmo_cpi(ev, ac) {per * 1e6:.1f} µs per call (import of udfs/pmo_udfs.py {t_import * 1000:.0f} ms)")


# --------------------------------------------------------------------------- profiles


def profile(cfg: dict, large: Path) -> None:
    """pyinstrument text profiles: one portfolio worker file, and the large validate/rollup."""
    from pyinstrument import Profiler

    from pmo_xl.commands.portfolio import collect_paths, project_record
    from pmo_xl.commands.rollup import rollup_book
    from pmo_xl.commands.validate import validate_book
    from pmo_xl.io.reader import load

    folder = portfolio_folder(cfg["files"], cfg["tasks"], cfg["rows"])
    paths, _ = collect_paths([folder])
    project_record(paths[0])
    report = CACHE / "profiles"
    report.mkdir(exist_ok=True)
    for name, fn in (
        ("portfolio_files", lambda: [project_record(p) for p in paths[:10]]),
        ("large_validate", lambda: validate_book(load(large))),
        ("large_rollup", lambda: rollup_book(load(large))),
    ):
        prof = Profiler(interval=0.001)
        prof.start()
        fn()
        prof.stop()
        text = prof.output_text(unicode=True, color=False, show_all=False)
        (report / f"{name}.txt").write_text(text, encoding="utf-8")
        print(f"profile    {name}: {_shown(report / f'{name}.txt')}")


# --------------------------------------------------------------------------- main


def machine() -> str:
    import importlib.metadata as md

    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 ** 2:.0f} GiB RAM"
    except OSError:
        pass
    libs = []
    for lib in ("pmo_xl", "pandas", "numpy", "fastexcel", "python-calamine", "openpyxl", "XlsxWriter", "lxml"):
        try:
            libs.append(f"{lib} {md.version(lib)}")
        except md.PackageNotFoundError:
            pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average %.1f" % os.getloadavg()[0]
    # which build the figures are of: pure Python, or native (docs/native.md)
    build = subprocess.run([PMO, "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.platform()}, {os.cpu_count()} CPUs{mem}{load}, Python {platform.python_version()}\n"
            f"{', '.join(libs)}\n{build}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 small files and a 1,000-task file: a fast check")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the folder (default: CPUs)")
    parser.add_argument("--profile", action="store_true", help="write pyinstrument profiles of the slow parts")
    parser.add_argument("--skip", default="", help="comma-separated: portfolio,large,write,help,udf")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    skip = set(filter(None, args.skip.split(",")))
    print(machine())
    out: dict = {}
    if "help" not in skip:
        measure_help(out)
    if "udf" not in skip:
        measure_udf(out)
    if "portfolio" not in skip:
        measure_portfolio(cfg, args.jobs, out)
    large = None
    if "large" not in skip:
        large = measure_large(cfg, out)
    if "write" not in skip:
        measure_write(large or big_workbook(cfg["big_tasks"], cfg["big_rows"]), cfg, out)
    if args.profile:
        profile(cfg, large or big_workbook(cfg["big_tasks"], cfg["big_rows"]))


if __name__ == "__main__":
    main()
