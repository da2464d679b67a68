"""LibreOffice headless as a real, independent reader of what pmo_xl writes.

LibreOffice keeps the cached values of an xlsx unless told otherwise; a throw-away user
profile whose registrymodifications.xcu sets OOXMLRecalcMode to 0 (always recalculate)
makes it recompute every formula on load. Converting back to xlsx then gives the values
LibreOffice computed, which tests read with openpyxl.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

FORMULA_ERRORS = ("#REF!", "#NAME?", "#VALUE!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(src: Path, outdir: Path, fmt: str = "xlsx", *, timeout: int = 180) -> Path:
    """Open ``src`` in LibreOffice (recalculating every formula) and save it as ``fmt``."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pmo-lo-profile-") as prof:
        user = Path(prof) / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
        cmd = [
            exe,
            f"-env:UserInstallation=file://{prof}",
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice failed on {src}: rc={proc.returncode} {proc.stdout} {proc.stderr}")
    return out


def recalculated_values(src: Path, outdir: Path) -> dict[str, dict[str, object]]:
    """Every non-empty cell value after LibreOffice recalculated the workbook.

    Returns ``{sheet: {"A1": value}}`` read with openpyxl from LibreOffice's own xlsx.
    """
    import openpyxl

    out = convert(src, outdir, "xlsx")
    wb = openpyxl.load_workbook(out, data_only=True, read_only=True)
    values: dict[str, dict[str, object]] = {}
    for ws in wb.worksheets:
        sheet: dict[str, object] = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None and hasattr(c, "coordinate"):
                    sheet[c.coordinate] = c.value
        values[ws.title] = sheet
    wb.close()
    return values


def formula_errors(values: dict[str, dict[str, object]]) -> list[str]:
    """``Sheet!A1 = #REF!`` for every cell LibreOffice computed as an error."""
    bad = []
    for sheet, cells in values.items():
        for addr, v in cells.items():
            if isinstance(v, str) and v.startswith(FORMULA_ERRORS):
                bad.append(f"{sheet}!{addr} = {v}")
    return bad
