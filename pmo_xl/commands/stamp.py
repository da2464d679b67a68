"""``pmo-xl new --from projects.csv --out FOLDER``: one project workbook per CSV row (SPEC §1).

The CSV has a header row of setting names (``ProjectCode, ProjectName, ProjectManager,
Sponsor, StartDate`` and optionally any other project setting: ``PlannedFinish``,
``Currency``, ``HolidayCountry``…; case and spaces in the header do not matter). Each row
becomes ``FOLDER/<ProjectCode>.xlsx`` with its settings filled in (dates as real dates)
and the organisation's ``pmo.toml`` applied when one is given.

A bad row (missing code, bad date, duplicate code, a code that is not a safe file name,
an existing file without ``--force``) is reported with its line number and the good rows
are still made. Every row is an entry ``{path, ok, error, line}`` (SPEC §8 ``files``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PmoError

if TYPE_CHECKING:
    from ..config import OrgConfig

#: Windows device names that cannot be file names, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def parse_date(text: Any) -> dt.date:
    """A date from a CSV cell: ISO ``2026-03-02`` (or ``2026/03/02``), ``02.03.2026``,
    ``2 Mar 2026`` / ``2 March 2026`` / ``March 2, 2026``, and ``dd/mm/yyyy`` or
    ``mm/dd/yyyy`` only when the day is above 12 (otherwise it is ambiguous and refused).
    Raises ValueError with the reason."""
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]00:00(?::00)?)?", s)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", s)
    if m:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -,]*(\d{4})", s)
    if m and m[2][:3].lower() in _MONTHS:
        return dt.date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    m = re.fullmatch(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})", s)
    if m and m[1][:3].lower() in _MONTHS:
        return dt.date(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if a > 12 >= b:
            return dt.date(year, b, a)
        if b > 12 >= a:
            return dt.date(year, a, b)
        raise ValueError(f"{s!r} is ambiguous (day/month or month/day?); write it as YYYY-MM-DD")
    raise ValueError(f"{s!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02")


def safe_file_stem(code: str) -> str:
    """``code`` as a file name stem, or ValueError saying why it cannot be one.

    The code is kept as it is (no silent renaming, so the file is found by its code):
    characters Windows forbids, control characters, device names (CON, NUL…), leading or
    trailing dots and spaces, and names over 100 characters are refused.
    """
    if _UNSAFE.search(code):
        bad = _UNSAFE.search(code).group(0)  # type: ignore[union-attr]
        shown = repr(bad) if bad.isprintable() else f"U+{ord(bad):04X}"
        raise ValueError(f"project code {code!r} cannot be a file name (it contains {shown})")
    if code != code.strip(" .") or code.startswith("~$"):
        raise ValueError(f"project code {code!r} cannot be a file name (leading or trailing dot or space)")
    if code.split(".")[0].upper() in _RESERVED:
        raise ValueError(f"project code {code!r} cannot be a file name on Windows (a device name)")
    if len(code) > 100:
        raise ValueError(f"project code {code[:20]!r}… is longer than 100 characters")
    return code


def _setting_for_header(header: str) -> str | None:
    from .. import schema

    key = re.sub(r"[\s_]", "", header).lower()
    for s in schema.SETTINGS:
        if s.name.lower() == key:
            return s.name
    return None


def read_projects_csv(path: str | Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(setting names of the columns, [(line number, {setting: text})]) of a projects CSV.

    UTF-8 (with or without BOM) or Windows-1252 (what Excel's plain "CSV" saves);
    comma, semicolon or tab separated. Blank lines are skipped. An unknown column or a
    missing ProjectCode column is a :class:`PmoError` for the whole file.
    """
    import csv
    import io

    from .. import schema
    from ..config import read_user_file

    path = Path(path)
    raw = read_user_file(path, "a CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise PmoError(f"{path}: the file is empty; it needs a header row (ProjectCode, ProjectName, …)") from None
    except csv.Error as exc:
        raise PmoError(f"{path}: not a readable CSV file ({exc})") from None
    names: list[str] = []
    for h in header:
        name = _setting_for_header(h)
        if name is None:
            if not h.strip():
                raise PmoError(f"{path}: line 1 has an empty column header")
            known = ", ".join(s.name for s in schema.SETTINGS if not s.read_only)
            raise PmoError(f"{path}: unknown column {h.strip()!r}; the columns are project settings: {known}")
        if schema.SETTINGS_BY_NAME[name].read_only:
            raise PmoError(f"{path}: column {name} is set by pmo-xl, not by the CSV")
        if name in names:
            raise PmoError(f"{path}: column {name} appears twice")
        names.append(name)
    if "ProjectCode" not in names:
        raise PmoError(f"{path}: no ProjectCode column (each workbook is named after its project code)")
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(names) and any(c.strip() for c in record[len(names):]):
                rows.append((line, {"__error__": f"has {len(record)} values for {len(names)} columns"}))
                continue
            rows.append((line, {n: (record[i].strip() if i < len(record) else "") for i, n in enumerate(names)}))
    except csv.Error as exc:
        raise PmoError(f"{path}: line {reader.line_num}: {exc}") from None
    return names, rows


def row_settings(values: dict[str, str]) -> dict[str, Any]:
    """The typed settings of one CSV row (ValueError with the column named)."""
    from .. import schema

    out: dict[str, Any] = {}
    for name, text in values.items():
        if text == "":
            continue
        s = schema.SETTINGS_BY_NAME[name]
        if s.kind == "date":
            try:
                out[name] = parse_date(text)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        elif s.kind in ("number", "int"):
            try:
                out[name] = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
            except ValueError:
                raise ValueError(f"{name}: {text!r} is not a number") from None
        elif name == "Currency":
            cur = text.upper()
            if not re.fullmatch(r"[A-Z]{3}", cur):
                raise ValueError(f"Currency: {text!r} is not an ISO 4217 code such as EUR")
            out[name] = cur
        elif name == "WorkWeek":
            if not re.fullmatch(r"[01]{7}", text):
                raise ValueError(f"WorkWeek: {text!r} must be 7 characters 0/1 for Mon..Sun, e.g. 1111100")
            out[name] = text
        elif name == "HolidayCountry":
            out[name] = text.upper()
        else:
            out[name] = text
    return out


def stamp_projects(
    csv_path: str | Path,
    out: str | Path,
    *,
    config: OrgConfig | None = None,
    defaults: dict[str, Any] | None = None,
    force: bool = False,
    macros: bool = False,
) -> list[dict[str, Any]]:
    """Make one workbook per row of ``csv_path`` in folder ``out`` (created if needed).

    ``defaults``: settings for every row (a row's own cells win), e.g. from command-line
    options. Returns one entry per row: ``{path, ok, error, line, project_code}``.
    """
    from ..io.template import build_workbook

    _, rows = read_projects_csv(csv_path)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise PmoError(f"--out {folder}: is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsm" if macros else ".xlsx"
    seen: dict[str, int] = {}
    files: list[dict[str, Any]] = []
    for line, values in rows:
        code = values.get("ProjectCode", "")
        entry: dict[str, Any] = {"path": None, "ok": False, "error": None, "line": line, "project_code": code or None}
        files.append(entry)
        try:
            if "__error__" in values:
                raise ValueError(values["__error__"])
            if not code:
                raise ValueError("ProjectCode is empty")
            stem = safe_file_stem(code)
            if stem.lower() in seen:
                raise ValueError(f"project code {code!r} repeats line {seen[stem.lower()]}")
            seen[stem.lower()] = line
            target = folder / (stem + suffix)
            entry["path"] = str(target)
            settings = {**(defaults or {}), **row_settings(values)}
            if target.exists() and not force:
                raise ValueError(f"{target} already exists; use --force to replace it")
            build_workbook(target, settings, overwrite=force, config=config)
        except (ValueError, PmoError) as exc:
            entry["error"] = f"line {line}: {exc}"
            continue
        entry["ok"] = True
    return files


def render_text(files: list[dict[str, Any]]) -> None:
    import click

    from . import printable

    for f in files:
        if f["ok"]:
            click.echo(f"Created {f['path']}")
        else:
            click.echo(printable(f"pmo-xl: {f['error']}"), err=True)
    made = sum(f["ok"] for f in files)
    failed = len(files) - made
    click.echo(f"{made} workbook(s) created" + (f", {failed} row(s) failed" if failed else ""))
