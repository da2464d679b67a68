"""How the portfolio's work on one file, and the raw read it is measured against, take a
busy neighbour on the next core (docs/performance.md: why the portfolio figure moves with
the host).

    .venv/bin/python benchmarks/contention.py            # 40 typical files, every neighbour
    .venv/bin/python benchmarks/contention.py --quick    # 10 small files, one round each
    .venv/bin/python benchmarks/contention.py --folder DIR --neighbours idle,stream

One process measures, file after file, the CPU time of the portfolio's record of each
workbook (read, validate, roll up, schedule: ``project_record``) and of the raw read of
``run.py`` (every table with fastexcel into pandas), the two in turn, while a second
process runs one neighbour:

- ``idle``: no neighbour;
- ``spin``: a pure CPU loop (no memory traffic);
- ``stream``: a numpy sum over a 64 MB array, again and again (memory traffic only);
- ``record``: the portfolio's record of other workbooks (what the pool's other worker does).

It prints each side's CPU per file (the median of ``--repeat`` rounds) and their ratio. On a
machine with two cores the neighbour has the other core to itself; on a larger one it
shares the caches and memory all cores share.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from run import FULL, QUICK, fastexcel_read, machine, portfolio_folder  # noqa: E402

#: each neighbour's program: it says "ready" once warm, then works until its deadline
#: (so that a neighbour left behind by a killed benchmark stops by itself)
NEIGHBOURS = {
    "idle": None,
    "spin": "x = 0\nprint('ready', flush=True)\nwhile time.time() < deadline:\n    x += 1",
    "stream": (
        "import numpy as np\na = np.ones(64 * 1024 * 1024 // 8)\nprint('ready', flush=True)\n"
        "while time.time() < deadline:\n    a.sum()"
    ),
    "record": (
        "import logging\nlogging.getLogger('fastexcel').setLevel(logging.ERROR)\n"
        "from pmo_xl.commands.portfolio import project_record\n"
        "paths = sys.argv[2:]\nproject_record(paths[0])\nprint('ready', flush=True)\n"
        "while time.time() < deadline:\n    for p in paths:\n        project_record(p)"
    ),
}


def _neighbour(name: str, paths: list[Path]) -> subprocess.Popen | None:
    body = NEIGHBOURS[name]
    if body is None:
        return None
    code = f"import sys, time\nsys.path.insert(0, {str(ROOT)!r})\ndeadline = time.time() + float(sys.argv[1])\n{body}"
    proc = subprocess.Popen([sys.executable, "-c", code, "900", *map(str, paths)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit(f"the {name} neighbour did not start")
    return proc


def _cpu_per_file(fn, paths: list[Path]) -> float:
    t0 = time.process_time()
    for p in paths:
        fn(p)
    return (time.process_time() - t0) / len(paths)


def measure(name: str, paths: list[Path], others: list[Path], repeat: int) -> tuple[float, float]:
    """CPU seconds per file of the record and of the raw read with neighbour ``name``."""
    from pmo_xl.commands.portfolio import project_record

    proc = _neighbour(name, others)
    try:
        ours, raw = [], []
        for i in range(repeat):  # in turn, each round starting with the other side
            sides = [(ours, project_record), (raw, fastexcel_read)]
            for times, fn in sides if i % 2 == 0 else sides[::-1]:
                times.append(_cpu_per_file(fn, paths))
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
    return statistics.median(ours), statistics.median(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 small files, one round each")
    parser.add_argument("--files", type=int, help="files measured (default 40; --quick 10)")
    parser.add_argument("--repeat", type=int, help="rounds of each side (default 3; --quick 1)")
    parser.add_argument("--neighbours", default=",".join(NEIGHBOURS), help="comma-separated: " + ",".join(NEIGHBOURS))
    parser.add_argument("--folder", type=Path, help="the workbooks (*.xlsx) to use instead of run.py's typical ones")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    n = args.files or (10 if args.quick else 40)
    repeat = args.repeat or (1 if args.quick else 3)
    names = [s for s in args.neighbours.split(",") if s]
    unknown = [s for s in names if s not in NEIGHBOURS]
    if unknown:
        parser.error(f"unknown neighbour {unknown[0]!r}: one of {', '.join(NEIGHBOURS)}")
    if n < 1 or repeat < 1:
        parser.error("--files and --repeat must be at least 1")

    from pmo_xl.commands.portfolio import project_record

    folder = args.folder or portfolio_folder(cfg["files"], cfg["tasks"], cfg["rows"])
    every = sorted(folder.glob("*.xlsx"))
    if not every:
        parser.error(f"no workbooks (*.xlsx) in {folder}")
    half = max(1, len(every) // 2)
    paths = every[:min(n, half)]  # measured here; the record neighbour works on the others
    others = every[half:] or every
    print(machine())
    what = f"of {folder}" if args.folder else f"of {cfg['tasks']} tasks and {cfg['rows']:,} timesheet rows"
    files = f"{len(paths)} file" + ("s" if len(paths) != 1 else "")
    rounds = f"{repeat} round" + ("s" if repeat != 1 else "")
    print(f"{files} {what}, CPU per file, median of {rounds}")
    project_record(paths[0])  # imports and caches warm for both sides
    fastexcel_read(paths[0])
    for name in names:
        ours, raw = measure(name, paths, others, repeat)
        print(f"{name:<8} record {ours * 1000:.1f} ms  raw read {raw * 1000:.1f} ms  ratio {ours / raw:.2f}")


if __name__ == "__main__":
    main()
