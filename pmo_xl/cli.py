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
from typing import Any

import click

from ._version import __version__
from .errors import PmoError

FORMATS_TEXT_JSON = click.Choice(["text", "json"])


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"pmo-xl: {message}", err=True)
    sys.exit(code)


def _not_built(name: str, issue: int) -> None:
    _fail(f"'{name}' is not built yet (tracked in issue {issue}).", 2)


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
            _fail(f"internal error: {type(exc).__name__}: {exc} (set PMO_XL_DEBUG=1 for details)", 3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmo-xl")
def cli() -> None:
    """pmo-xl: validate plans, roll up actuals vs budget and keep the change register of
    the standard PMO workbook."""


# --------------------------------------------------------------------------- new / demo


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--project", "project_name", help="ProjectName.")
@click.option("--code", "project_code", help="ProjectCode (unique in the portfolio).")
@click.option("--manager", help="ProjectManager.")
@click.option("--sponsor", help="Sponsor.")
@click.option("--start", help="StartDate (YYYY-MM-DD).")
@click.option("--currency", help="Currency (ISO 4217, e.g. EUR).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(path: str, force: bool, **settings: Any) -> None:
    """Create a fresh project workbook from the standard template (.xlsx, or .xlsm)."""
    from .commands.new import new_workbook

    out = new_workbook(path, {k: v for k, v in settings.items() if v is not None}, force=force)
    click.echo(f"Created {out}")


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
def info(paths: tuple[str, ...], fmt: str) -> None:
    """Settings, table row counts and template version of each workbook."""
    from .commands.info import info_files, render_text

    result = {"files": info_files(paths)}
    if fmt == "json":
        _emit_json(result)
    else:
        render_text(result)
    if any(not f["ok"] for f in result["files"]):
        sys.exit(2)


# --------------------------------------------------------------------------- not built yet


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def validate() -> None:
    """Validate plans: data, logic, finance, change register, DCMA 14-point."""
    _not_built("validate", 3)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def schedule() -> None:
    """Critical path: early/late dates, floats, forecast finish."""
    _not_built("schedule", 3)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def rollup() -> None:
    """Actuals vs budget and earned value at the status date."""
    _not_built("rollup", 4)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def change() -> None:
    """The change register: add, set-status, decide, list, show."""
    _not_built("change", 5)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def portfolio() -> None:
    """Consolidate a folder of project workbooks into one portfolio workbook."""
    _not_built("portfolio", 8)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def upgrade() -> None:
    """Bring workbooks to the current template version."""
    _not_built("upgrade", 9)


def main() -> None:
    cli(prog_name="pmo-xl")


if __name__ == "__main__":  # pragma: no cover
    main()
