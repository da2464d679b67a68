"""Helpers shared by the command tests: run the CLI in-process, parse its JSON strictly,
and look at a workbook's zip parts."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from pmo_xl.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    """``pmo-xl ARGS`` in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def strict_json(text: str) -> dict:
    """JSON with NaN/Infinity refused (they are not JSON)."""

    def refuse(name: str):
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def zip_parts(path: Path) -> dict[str, bytes]:
    """Every part of a workbook (a zip package): name -> bytes."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_parts(path: Path, sheet: str) -> set[str]:
    """The sheet's part, its rels and its table parts."""
    from pmo_xl.io.package import open_package

    with open_package(path) as pkg:
        ref = pkg.sheet(sheet)
        assert ref is not None
        out = {ref.part, f"{Path(ref.part).parent}/_rels/{Path(ref.part).name}.rels"}
        return out | {t.part for t in pkg.tables(ref)}
