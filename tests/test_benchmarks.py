"""The benchmark scripts run, from a clone, end to end (``make bench``; docs/performance.md).

They are what #8's figures come from, so a change that breaks one must fail here, not at
the next measurement. Each runs as a user runs it, on small inputs (``--quick``, ``--path``
a default demo workbook, workbooks generated into a temporary ``PMO_BENCH_CACHE``). Only
that each prints its figures is checked: the speed itself is the benchmarks' business,
not a unit test's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
NUMBER = r"\d+(?:\.\d+)?"


def _run(script: str, *args: str, cache: Path) -> str:
    env = dict(os.environ, PMO_BENCH_CACHE=str(cache))
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, f"{script} {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default demo workbook (58 tasks)."""
    path = tmp_path_factory.mktemp("bench") / "small.xlsx"
    pmo = Path(sys.executable).with_name("pmo-xl")
    subprocess.run([str(pmo), "demo", str(path)], check=True, capture_output=True)
    return path


def test_read_benchmark_prints_its_ratio(small: Path, tmp_path: Path) -> None:
    out = _run("read.py", "--path", str(small), "--repeat", "1", cache=tmp_path)
    assert re.search(rf"^reader {NUMBER} s  fastexcel {NUMBER} s  ratio {NUMBER}$", out, re.M), out


def test_validate_benchmark_prints_its_stages(small: Path, tmp_path: Path) -> None:
    out = _run("validate.py", "--path", str(small), "--repeat", "2", cache=tmp_path)
    assert re.search(rf"ratio \(read \+ validate\) / fastexcel {NUMBER}$", out, re.M), out
    assert re.search(rf"frames {NUMBER} s  cpm {NUMBER} s  rules {NUMBER} s  dcma {NUMBER} s", out), out


def test_validate_benchmark_starts_each_run_without_the_parse_caches() -> None:
    """Each timed run is a first validation: the Predecessors parse caches are emptied
    (the benchmark broke when the one cache became two)."""
    check = "\n".join([
        "import sys",
        f"sys.path.insert(0, {str(BENCH)!r})",
        "import validate",
        "from pmo_xl.engine import links",
        "links.parse_predecessors('3, 5SS+2')",
        "before = links._remembered_text.cache_info().currsize, links._remembered_part.cache_info().currsize",
        "validate._cold()",
        "after = links._remembered_text.cache_info().currsize, links._remembered_part.cache_info().currsize",
        "print(before, after)",
    ])  # (in a process of its own: the benchmark puts benchmarks/ on sys.path)
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["(1,", "2)", "(0,", "0)"], proc.stdout


def test_contention_benchmark_prints_a_ratio_for_each_neighbour(small: Path, tmp_path: Path) -> None:
    """``contention.py`` measures the record and the raw read in turn beside each neighbour
    (started, warm, then stopped: none is left running)."""
    import shutil

    folder = tmp_path / "books"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsx"):
        shutil.copy(small, folder / name)
    out = _run("contention.py", "--folder", str(folder), "--repeat", "1", "--neighbours", "idle,spin,stream,record",
               cache=tmp_path)
    for name in ("idle", "spin", "stream", "record"):
        assert re.search(rf"^{name} +record {NUMBER} ms  raw read {NUMBER} ms  ratio {NUMBER}$", out, re.M), out
    assert re.search(r"^1 file of .*books, CPU per file, median of 1 round$", out, re.M), out
    assert _neighbours_running(folder) == [], "a neighbour is still running"


def _neighbours_running(folder: Path) -> list[str]:
    """The command lines of contention.py neighbours on ``folder``'s workbooks still alive
    (Linux: /proc; another run's neighbours, on their own files, are not this test's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # (a process that ended meanwhile)
            continue
        if "deadline = time.time" in text and str(folder) in text:
            found.append(text)
    return found


def test_contention_benchmark_refuses_an_unknown_neighbour(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "contention.py"), "--neighbours", "idle,loud"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=dict(os.environ, PMO_BENCH_CACHE=str(tmp_path)))
    assert proc.returncode == 2
    assert "unknown neighbour 'loud'" in proc.stderr


@pytest.mark.slow
def test_quick_run_prints_every_figure(tmp_path: Path) -> None:
    """``run.py --quick`` builds its workbooks into the cache it is given and prints each
    figure of docs/performance.md with its ratio."""
    out = _run("run.py", "--quick", cache=tmp_path)
    expected = [
        r"^pmo-xl, version \S+ \((pure Python|native: \d+ of \d+ modules compiled with mypyc)\)$",
        rf"^help +pmo-xl --help {NUMBER} ms",
        rf"^udf +pmo_cpi\(ev, ac\) {NUMBER} µs per call",
        rf"^portfolio +20 files, \d+ processes, 2 pairs: .* ratio {NUMBER} \(goal <= 1\.3",
        rf"^  CPU per file inside the pool: .* ratio {NUMBER}$",
        rf"^  validate \(load \+ rules \+ DCMA\) {NUMBER} s  ratio {NUMBER} \(goal <= 1\.5\)",
        rf"^  rollup \(load \+ error count for the RAG \+ EVM\) {NUMBER} s  ratio {NUMBER} \(goal <= 1\.5\)",
        rf"^write +rollup --write {NUMBER} s  openpyxl load\+save {NUMBER} s  ratio {NUMBER} = 1/\d+",
    ]
    for pattern in expected:
        assert re.search(pattern, out, re.M), f"{pattern!r} not in:\n{out}"
    assert len(list((tmp_path / "portfolio_60_1200").glob("*.xlsx"))) == 20
