"""``pmo-xl``: the command line, a thin face over :mod:`pmo_xl.commands`.

Argument handling and presentation only. Heavy libraries (pandas, openpyxl, lxml...) are
imported inside the commands, so ``pmo-xl --help`` starts fast.

Exit codes: 0 ok, 1 findings of severity error (validate), 2 bad usage or unreadable
input. A :class:`~pmo_xl.errors.PmoError` is printed on one line, never as a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any

import click

from ._version import __version__
from .errors import PmoError

FORMATS_TEXT_JSON = click.Choice(["text", "json"])

_JOBS_OPTION = click.option(
    "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
    help="Worker processes for many files (results keep the order of the paths).",
)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _fail(message: str, code: int = 2) -> None:
    from .commands import printable

    click.echo(printable(f"pmo-xl: {message}"), err=True)
    sys.exit(code)


def _unreadable_to_stderr(files: Any) -> None:
    """One plain line per file that could not be processed, on stderr (text output: the
    report on stdout may be redirected, the terminal still shows what failed; json/junit
    carry it as an ``ok: false`` entry instead, so stdout stays parseable)."""
    from .commands import printable

    for f in files:
        if not f.get("ok", False):
            click.echo(printable(f"pmo-xl: {f['path']}: {f['error']}"), err=True)


def _show_files(
    files: list[dict[str, Any]],
    fmt: str,
    render_text: Any,
    *,
    echo: dict[str, Any] | None = None,
    unreadable_to_stderr: bool = True,
) -> None:
    """Print a per-file command's result (SPEC §8) and exit 2 when a file failed.

    ``fmt`` "json": the ``{"files": [...]}`` document; a format in ``echo``: that
    function's text (junit, csv) as is; otherwise ``render_text(files)``. Files that
    could not be processed also go to stderr, except in json and junit, which carry them
    (``unreadable_to_stderr=False`` for reports that already name them)."""
    if fmt == "json":
        _emit_json({"files": files})
    elif echo and fmt in echo:
        click.echo(echo[fmt](files), nl=False)
    else:
        render_text(files)
    if unreadable_to_stderr and fmt not in ("json", "junit"):
        _unreadable_to_stderr(files)
    if any(not f["ok"] for f in files):
        sys.exit(2)


class _Group(click.Group):
    """Turns user errors into one line and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PmoError as exc:
            _fail(str(exc), exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except OSError as exc:
            name = getattr(exc, "filename", None)
            _fail(f"{name}: {exc.strerror}" if name else str(exc), 2)
        except Exception as exc:  # a bug: still one line, traceback on request
            if os.environ.get("PMO_XL_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set PMO_XL_DEBUG=1 for details)", 2)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the version and the build (pure Python, or native and how much)."""
    if not value or ctx.resilient_parsing:
        return
    from ._native import build_description

    click.echo(f"pmo-xl, version {__version__} ({build_description()})")
    ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and the build (pure Python or native), and exit.")
def cli() -> None:
    """pmo-xl: validate plans, roll up actuals vs budget and keep the change register of
    the standard PMO workbook."""


# --------------------------------------------------------------------------- new / demo


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option("--project", "project_name", help="ProjectName.")
@click.option("--code", "project_code", help="ProjectCode (unique in the portfolio).")
@click.option("--manager", help="ProjectManager.")
@click.option("--sponsor", help="Sponsor.")
@click.option("--start", help="StartDate (YYYY-MM-DD).")
@click.option("--currency", help="Currency (ISO 4217, e.g. EUR).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Organisation settings (pmo.toml): defaults, extended lists, RAG and DCMA thresholds.")
@click.option("--from", "from_csv", type=click.Path(dir_okay=False),
              help="Make one workbook per row of this CSV (ProjectCode, ProjectName, ProjectManager, Sponsor, StartDate, ...).")
@click.option("--out", "out_folder", type=click.Path(file_okay=False), help="Folder for the workbooks made --from a CSV.")
@click.option("--macros", is_flag=True, help="With --from: make macro-enabled .xlsm workbooks.")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def new(path: str | None, force: bool, config_path: str | None, from_csv: str | None, out_folder: str | None,
        macros: bool, fmt: str, **settings: Any) -> None:
    """Create a fresh project workbook from the standard template (.xlsx, or .xlsm).

    With --from CSV --out FOLDER, one workbook per CSV row, named after its ProjectCode;
    the options above are defaults for every row. Bad rows are reported by line number
    and the good ones are still made; exit code 2 when any row failed.
    """
    config = None
    if config_path:
        from .config import load_config

        config = load_config(config_path)
    given = {k: v for k, v in settings.items() if v is not None}
    if from_csv is None:
        if path is None:
            raise click.UsageError("give the PATH of the new workbook, or --from CSV --out FOLDER")
        if out_folder is not None or macros:
            raise click.UsageError("--out and --macros go with --from CSV")
        from .commands.new import new_workbook

        out = new_workbook(path, given, force=force, config=config)
        if fmt == "json":
            _emit_json({"files": [{"path": str(out), "ok": True, "error": None}]})
        else:
            click.echo(f"Created {out}")
        return
    if path is not None:
        raise click.UsageError("give either PATH or --from CSV, not both")
    if out_folder is None:
        raise click.UsageError("--from CSV needs --out FOLDER")
    from .commands.new import OPTION_SETTINGS, _iso_date
    from .commands.stamp import render_text, stamp_projects

    defaults = {OPTION_SETTINGS[k]: v for k, v in given.items()}
    if "StartDate" in defaults:
        defaults["StartDate"] = _iso_date(defaults["StartDate"], "start")
    files = stamp_projects(from_csv, out_folder, config=config, defaults=defaults, force=force, macros=macros)
    _show_files(files, fmt, render_text, unreadable_to_stderr=False)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, default=1, show_default=True, help="Different seeds give different projects.")
@click.option("--tasks", type=click.IntRange(min=40), default=None, help="Number of plan rows (default about 60).")
@click.option("--timesheet-rows", type=click.IntRange(min=1), default=None, help="Timesheet rows (default about 1,200).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def demo(path: str, seed: int, tasks: int | None, timesheet_rows: int | None, force: bool) -> None:
    """Create a realistic example project workbook (a CRM roll-out)."""
    from .commands.demo import demo_workbook

    out = demo_workbook(path, seed=seed, tasks=tasks, timesheet_rows=timesheet_rows, force=force)
    click.echo(f"Created {out}")


# --------------------------------------------------------------------------- info


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)
@_JOBS_OPTION
def info(paths: tuple[str, ...], fmt: str, jobs: int) -> None:
    """Settings, table row counts and template version of each workbook."""
    from .commands.info import info_files, render_text

    result = {"files": info_files(paths, jobs)}
    if fmt == "json":
        _emit_json(result)
    else:
        render_text(result)
    if any(not f["ok"] for f in result["files"]):
        sys.exit(2)


# --------------------------------------------------------------------------- validate · schedule · rollup


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--status-date", help="Status date (YYYY-MM-DD); default: the workbook's StatusDate.")
@click.option("--write", is_flag=True, help="Store findings and DCMA checks in each workbook's Validation sheet.")
@_JOBS_OPTION
def validate(paths: tuple[str, ...], fmt: str, status_date: str | None, write: bool, jobs: int) -> None:
    """Validate plans: data, logic, finance, change register, DCMA 14-point.

    Exit code 0 when no file has an error finding, 1 when one has, 2 when a file cannot
    be read (or the usage is wrong). Rules: docs/rules.md.
    """
    from .commands._common import parse_status_date
    from .commands.validate import render_junit, render_text, validate_files

    try:
        day = parse_status_date(status_date)
    except PmoError as exc:  # a usage error, before any file
        raise click.BadParameter(exc.message.removeprefix("--status-date "), param_hint="--status-date") from None
    files = validate_files(paths, day, write=write, jobs=jobs)
    _show_files(files, fmt, render_text, echo={"junit": render_junit})
    if any(f["summary"]["error"] for f in files):
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)
@click.option("--status-date", help="Status date (YYYY-MM-DD); default: the workbook's StatusDate.")
@click.option("--write", is_flag=True, help="Store the schedule in each workbook's Schedule sheet (tblSchedule).")
@_JOBS_OPTION
def schedule(paths: tuple[str, ...], fmt: str, status_date: str | None, write: bool, jobs: int) -> None:
    """Critical path: early/late dates, floats, forecast finish.

    Exit code 0 when every file was scheduled, 2 when a file cannot be read (the others
    are still processed) or the usage is wrong.
    """
    from .commands.schedule import render_text, schedule_files

    files = schedule_files(paths, status_date, write=write, jobs=jobs)
    _show_files(files, fmt, render_text)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: the by-task table (a path column first when there are several files).")
@click.option("--status-date", help="Status date (YYYY-MM-DD); default: the workbook's StatusDate.")
@click.option("--write", is_flag=True, help="Store the roll-up in each workbook's Rollup sheet (the Dashboard reads it).")
@_JOBS_OPTION
def rollup(paths: tuple[str, ...], fmt: str, status_date: str | None, write: bool, jobs: int) -> None:
    """Actuals vs budget and earned value at the status date.

    Exit code 0 when every file was rolled up, 2 when a file cannot be read (the others
    are still processed) or the usage is wrong.
    """
    from .commands.rollup import render_csv, render_text, rollup_files

    files = rollup_files(paths, status_date, write=write, jobs=jobs)
    _show_files(files, fmt, render_text, echo={"csv": render_csv})


@cli.group()
def change() -> None:
    """The change register: add, set-status, decide, list, show."""


def _change_format(fn: Any) -> Any:
    return click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)(fn)


def _change_common(fn: Any) -> Any:
    """Options of the change commands that write: --user (recorded in the log) and --format."""
    fn = click.option("--user", default=None, help="Name recorded in the change log (default: the OS user).")(fn)
    return _change_format(fn)


class _FiniteFloat(click.ParamType):
    """A float option that refuses ``nan`` and ``inf`` (click's float takes them, and a
    NaN impact would then read as "not given")."""

    name = "number"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


_NUMBER = _FiniteFloat()

_WAIT_OPTION = click.option(
    "--wait", type=click.FloatRange(min=0), default=None,
    help="Seconds to wait for another pmo-xl process writing the same file (default 5, or PMO_XL_LOCK_WAIT).",
)


def _change_written(result: dict[str, Any], fmt: str) -> None:
    from .commands.change import render_written

    if fmt == "json":
        _emit_json(result)
    else:
        render_written(result)


@change.command("add")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--title", required=True, help="Short title of the change request.")
@click.option("--requested-by", required=True, help="Who asks for the change.")
@click.option("--description", help="What the change is.")
@click.option("--type", "type_", metavar="Scope|Schedule|Cost|Quality|Other", help="Type of change.")
@click.option("--priority", metavar="Low|Medium|High|Critical", help="Priority.")
@click.option("--rationale", help="Why the change is needed.")
@click.option("--cost-impact", type=_NUMBER, help="Cost impact in the project currency (may be negative).")
@click.option("--schedule-impact", type=_NUMBER, help="Schedule impact in working days.")
@click.option("--affected-tasks", help='Task IDs, e.g. "3,5".')
@click.option("--funding", metavar='"New Funding"|Contingency|"Management Reserve"', help="Who pays for it.")
@click.option("--owner", help="Who owns the change request.")
@_WAIT_OPTION
@_change_common
def change_add_cmd(path: str, fmt: str, user: str | None, wait: float | None, type_: str | None, **fields: Any) -> None:
    """Add a change request (status Draft); prints its new CR ID."""
    from .commands.change import change_add

    fields["type"] = type_
    result = change_add(path, fields, user, wait=wait)
    if fmt == "json":
        _emit_json(result)
    else:
        click.echo(result["cr_id"])


@change.command("set-status")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("cr_id")
@click.argument("status")
@click.option("--note", help="A note for the change log.")
@click.option("--date", "date_", help="Implemented Date when moving to Implemented (YYYY-MM-DD, default today).")
@_WAIT_OPTION
@_change_common
def change_set_status_cmd(path: str, cr_id: str, status: str, note: str | None, date_: str | None,
                          fmt: str, user: str | None, wait: float | None) -> None:
    """Move a change request: Submitted, Under Review, Implemented, Closed, Withdrawn."""
    from .commands.change import change_set_status
    from .engine.changes import as_date

    when = None
    if date_:
        when = as_date(date_)
        if when is None:
            raise PmoError(f"--date {date_!r} is not a date (use YYYY-MM-DD)")
    _change_written(change_set_status(path, cr_id, status, note, user, date=when, wait=wait), fmt)


@change.command("decide")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("cr_id")
@click.argument("decision", type=click.Choice(["approve", "reject", "defer"], case_sensitive=False))
@click.option("--by", "by", required=True, help="Who decided (Decision By).")
@click.option("--date", "date_", help="Decision Date (YYYY-MM-DD, default today).")
@click.option("--note", help="Decision Notes.")
@click.option("--cost-impact", type=_NUMBER, help="Approved cost impact (needed to approve unless in the register).")
@click.option("--schedule-impact", type=_NUMBER, help="Approved schedule impact in working days (likewise).")
@click.option("--category", metavar="CATEGORY", help="Cost category of the budget line an approval adds "
              "(Labour, Contractors, Hardware, Software, Travel, Training, Other; default Other).")
@_WAIT_OPTION
@_change_common
def change_decide_cmd(path: str, cr_id: str, decision: str, by: str, date_: str | None, note: str | None,
                      cost_impact: float | None, schedule_impact: float | None, category: str | None,
                      fmt: str, user: str | None, wait: float | None) -> None:
    """Approve, reject or defer a change request that is Under Review."""
    from .commands.change import change_decide

    result = change_decide(path, cr_id, decision, by, date_, note, cost_impact, schedule_impact, user,
                           category=category, wait=wait)
    _change_written(result, fmt)


@change.command("list")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--status", help="Only change requests in this status.")
@click.option("--as-of", "--status-date", "as_of", help="Date the open CRs are aged to (YYYY-MM-DD, default the workbook's StatusDate, else today).")
@_change_format
def change_list_cmd(path: str, status: str | None, as_of: str | None, fmt: str) -> None:
    """The register with its statistics (counts, ageing, cycle time, impacts, reserves)."""
    from .commands.change import change_list, render_list
    from .engine.changes import as_date

    day = None
    if as_of:
        day = as_date(as_of)
        if day is None:
            raise PmoError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)")
    result = change_list(path, status, as_of=day)
    if fmt == "json":
        _emit_json(result)
    else:
        render_list(result)


@change.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("cr_id")
@_change_format
def change_show_cmd(path: str, cr_id: str, fmt: str) -> None:
    """One change request with its history from the change log."""
    from .commands.change import change_show, render_show

    result = change_show(path, cr_id)
    if fmt == "json":
        _emit_json(result)
    else:
        render_show(result)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), help="Write the portfolio workbook (Dashboard and consolidated sheets) here.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of CPUs; 1 = no pool).")
@click.option("--status-date", help="Status date (YYYY-MM-DD) for every project; default: each workbook's StatusDate.")
@click.option("--recursive", is_flag=True, help="Also search the sub-folders of each FOLDER (and ** in globs).")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing --out file (never a project workbook).")
def portfolio(paths: tuple[str, ...], out: str | None, jobs: int | None, status_date: str | None,
              recursive: bool, fmt: str, force: bool) -> None:
    """Consolidate a folder of project workbooks into one portfolio workbook.

    PATHS are folders (their .xlsx/.xlsm files), globs or files. One row per project
    (EVM, RAG, findings, open change requests, forecast vs baseline finish). Exit code 0
    when every workbook was read, 2 when some could not be (they are listed; the others
    are still consolidated) or the usage is wrong.
    """
    from .commands.portfolio import check_output, portfolio as run, render_text, write_workbook

    if out:
        check_output(out, force)
    result = run(paths, jobs=jobs, status_date=status_date, recursive=recursive, exclude=[out] if out else (),
                 detail=bool(out))  # the consolidated sheets' rows only for the workbook
    for w in result.warnings:
        click.echo(f"pmo-xl: warning: {w}", err=True)
    if out:
        write_workbook(result, out)
    if fmt == "json":
        _emit_json(result.to_dict())
    else:
        render_text(result)
        _unreadable_to_stderr({**f, "ok": False} for f in result.failed)
        if out:
            click.echo(f"Wrote {out}")
    if result.failed:
        sys.exit(2)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True, help="List what would be added; write nothing.")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True)
@_JOBS_OPTION
def upgrade(paths: tuple[str, ...], dry_run: bool, fmt: str, jobs: int) -> None:
    """Bring workbooks to the current template version.

    Adds the sheets, tables, columns, defined names and drop-downs the template has and
    the workbook lacks, and records the new TemplateVersion; never removes or rewrites
    data, user columns or user sheets. A current workbook is not touched. Exit code 0
    when every file was upgraded (or was current), 2 when a file could not be (a newer
    template version, an unreadable file, something in the way); the others are still
    upgraded.
    """
    from .commands.upgrade import render_text, upgrade_files

    files = upgrade_files(paths, dry_run=dry_run, jobs=jobs)
    _show_files(files, fmt, render_text, unreadable_to_stderr=False)


def main() -> None:
    # numpy's floating-point warnings (a hostile 1e308 overflowing a sum to inf) are not for
    # the terminal: the results show inf/nan; pmo_xl.engine silences its own lines in any
    # process, this also numpy's reductions (forked workers inherit it)
    warnings.filterwarnings("ignore", message=r"(overflow|invalid value|divide by zero) encountered",
                            category=RuntimeWarning)
    cli(prog_name="pmo-xl")


if __name__ == "__main__":  # pragma: no cover
    main()
