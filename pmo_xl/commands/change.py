"""``pmo-xl change``: the change register (SPEC §6) — add, set-status, decide, list, show.

Each writing command holds the workbook's pmo-xl lock (:mod:`pmo_xl.io.lock`) from before
it reads until after it saves, computes its edit with the pure engine
(:mod:`pmo_xl.engine.changes`) and applies the register cells, the log rows and any budget
line in ONE atomic, lossless save (:class:`pmo_xl.io.writer.WorkbookEditor`). A refused
action raises a :class:`~pmo_xl.errors.RefusedChange` (exit 2) before anything is written:
the file stays byte-identical.

Python::

    from pmo_xl.commands.change import ChangeRegister
    reg = ChangeRegister("project.xlsx", user="ana")
    cr = reg.add(title="Extra reports", requested_by="Finance")["cr_id"]
    reg.set_status(cr, "Submitted")
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import NotAPmoWorkbook, PmoError

if TYPE_CHECKING:
    from ..engine.changes import RegisterEdit
    from ..model import Book

#: CLI/Python keyword -> register header, for ``change add``.
ADD_OPTIONS: dict[str, str] = {
    "title": "Title",
    "description": "Description",
    "requested_by": "Requested By",
    "date_raised": "Date Raised",
    "type": "Type",
    "priority": "Priority",
    "rationale": "Rationale",
    "cost_impact": "Cost Impact",
    "schedule_impact": "Schedule Impact",
    "affected_tasks": "Affected Tasks",
    "funding": "Funding",
    "owner": "Owner",
}


def default_user() -> str:
    """The OS user name (``getpass.getuser()``), or ``unknown`` when there is none."""
    try:
        name = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers, services)
        name = os.environ.get("USERNAME", "")
    return name.strip() or "unknown"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# --------------------------------------------------------------------------- plumbing


def _load(path: Path) -> "Book":
    from ..io.reader import load

    book = load(path)
    for name in ("tblChanges", "tblChangeLog"):
        table = book.tables.get(name)
        if table is None or not table.present:
            raise NotAPmoWorkbook(
                f"the workbook has no table {name} (sheet {'Changes' if name == 'tblChanges' else 'Change Log'}); "
                "run `pmo-xl upgrade` to add it",
                path=str(path),
            )
    return book


def _known_tasks(book: "Book") -> list[int] | None:
    plan = book.tables.get("tblPlan")
    if plan is None or not plan.present:
        return None
    return [int(v) for v in plan.frame["ID"].dropna().tolist()]


def workbook_lists(book: "Book") -> dict[str, tuple[str, ...]]:
    """The drop-down lists the workbook uses: the standard's, extended by the organisation's
    ``pmo.toml`` when the workbook was stamped with one (:func:`pmo_xl.config.thresholds_for`)."""
    from ..config import thresholds_for

    return thresholds_for(book).lists


def apply_edit(editor: Any, book: "Book", edit: "RegisterEdit") -> None:
    """Write a change-register ``edit`` through ``editor``: the register row (appended) or
    cells (set), the log rows and any budget lines.

    ``editor`` is a :class:`~pmo_xl.io.writer.WorkbookEditor` (a file; the caller saves)
    or a :class:`~pmo_xl.io.livebook.LiveBook` (a workbook open in Excel): both have
    ``append_rows`` and ``set_cells``, so the CLI and the Excel buttons write an edit the
    same way. ``book`` is the workbook as read (checked for tblBudget before anything is
    written).
    """
    if edit.empty:
        return
    if edit.budget_rows:
        budget = book.tables.get("tblBudget")
        if budget is None or not budget.present:
            raise NotAPmoWorkbook(
                "the workbook has no table tblBudget (sheet Budget) for the approved cost impact; "
                "run `pmo-xl upgrade` to add it",
                path=str(getattr(editor, "path", "") or book.path),
            )
    if edit.new_change is not None:
        editor.append_rows("tblChanges", [edit.new_change])
    elif edit.cells:
        assert edit.row is not None
        editor.set_cells("tblChanges", edit.row, edit.cells)
    if edit.log_rows:
        editor.append_rows("tblChangeLog", edit.log_rows)
    if edit.budget_rows:
        editor.append_rows("tblBudget", edit.budget_rows)


def _apply(path: Path, book: "Book", edit: "RegisterEdit") -> None:
    """Write ``edit`` into the workbook in one atomic save."""
    if edit.empty:
        return
    from ..io.writer import WorkbookEditor

    editor = WorkbookEditor.open(path)
    apply_edit(editor, book, edit)
    editor.save()


def _write(
    path: str | os.PathLike[str],
    compute: Callable[["Book"], "RegisterEdit"],
    *,
    wait: float | None,
) -> dict[str, Any]:
    """Lock, load, compute, apply, unlock; the result record of the edit."""
    from ..engine.changes import change_record, log_record
    from ..io.lock import workbook_lock
    from ._common import refuse_newer_template

    target = Path(path)
    if not target.exists():
        raise PmoError("no such file", path=str(target))
    with workbook_lock(target, wait=wait):
        book = _load(target)
        refuse_newer_template(book)
        edit = compute(book)
        _apply(target, book, edit)
    if edit.new_change is not None:
        record = change_record(edit.new_change)
    else:
        frame = book.frame("tblChanges")
        row = dict(frame.loc[edit.row]) if edit.row is not None else {}
        row.update(edit.cells)
        record = change_record(row)
    return {
        "path": str(target),
        "cr_id": edit.cr_id,
        "action": edit.action,
        "message": edit.message,
        "change": record,
        "log": [log_record(r) for r in edit.log_rows],
        "budget": [_budget_record(r) for r in edit.budget_rows],
    }


def _budget_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "task_id": row.get("Task ID"),
        "category": row.get("Category"),
        "period": None,
        "amount": row.get("Amount"),
        "source": row.get("Source"),
        "note": row.get("Note"),
    }


# --------------------------------------------------------------------------- commands


def change_add(
    path: str | os.PathLike[str],
    fields: Mapping[str, Any],
    user: str | None = None,
    *,
    wait: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Add a CR (status Draft, next CR ID). ``fields``: register headers or the snake_case
    keywords of :data:`ADD_OPTIONS`; None values are ignored."""
    from ..engine import changes as engine

    values = {ADD_OPTIONS.get(k, k): v for k, v in fields.items() if v is not None}
    stamp = now or utc_now()

    def compute(book: "Book") -> "RegisterEdit":
        return engine.add(
            book.frame("tblChanges"), book.frame("tblChangeLog"), values,
            user=user or default_user(), now=stamp, today=dt.date.today() if now is None else None,
            known_tasks=_known_tasks(book), lists=workbook_lists(book),
        )

    return _write(path, compute, wait=wait)


def change_set_status(
    path: str | os.PathLike[str],
    cr_id: str,
    status: str,
    note: str | None = None,
    user: str | None = None,
    *,
    date: dt.date | None = None,
    wait: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Move a CR along the workflow (Submitted, Under Review, Implemented, Closed,
    Withdrawn); decisions go through :func:`change_decide`."""
    from ..engine import changes as engine

    stamp = now or utc_now()

    def compute(book: "Book") -> "RegisterEdit":
        return engine.set_status(
            book.frame("tblChanges"), cr_id, status, user=user or default_user(), now=stamp,
            note=note, date=date or (dt.date.today() if now is None else None),
        )

    return _write(path, compute, wait=wait)


def change_decide(
    path: str | os.PathLike[str],
    cr_id: str,
    decision: str,
    by: str | None,
    date: dt.date | str | None = None,
    note: str | None = None,
    cost_impact: Any = None,
    schedule_impact: Any = None,
    user: str | None = None,
    *,
    category: str | None = None,
    wait: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Approve, reject or defer a CR Under Review (see :func:`pmo_xl.engine.changes.decide`)."""
    from ..engine import changes as engine

    stamp = now or utc_now()
    if isinstance(date, str):
        parsed = engine.as_date(date)
        if parsed is None:
            raise PmoError(f"decision date {date!r} is not a date (use YYYY-MM-DD)")
        date = parsed

    def compute(book: "Book") -> "RegisterEdit":
        return engine.decide(
            book.frame("tblChanges"), cr_id, decision, by=by, user=user or default_user(), now=stamp,
            date=date or (dt.date.today() if now is None else None), note=note,
            cost_impact=cost_impact, schedule_impact=schedule_impact, category=category,
            lists=workbook_lists(book),
        )

    return _write(path, compute, wait=wait)


def change_edit(
    path: str | os.PathLike[str],
    cr_id: str,
    fields: Mapping[str, Any],
    user: str | None = None,
    *,
    wait: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Change descriptive fields of a CR (log Action ``Edit``)."""
    from ..engine import changes as engine

    values = {ADD_OPTIONS.get(k, k): v for k, v in fields.items() if v is not None}
    stamp = now or utc_now()

    def compute(book: "Book") -> "RegisterEdit":
        return engine.edit(book.frame("tblChanges"), cr_id, values, user=user or default_user(), now=stamp,
                           known_tasks=_known_tasks(book), lists=workbook_lists(book))

    return _write(path, compute, wait=wait)


def change_list(
    path: str | os.PathLike[str], status: str | None = None, *, as_of: dt.date | None = None
) -> dict[str, Any]:
    """``{"path", "changes": [record...], "stats": {...}}``; ``status`` filters the list
    (the statistics always cover the whole register)."""
    from ..engine import changes as engine

    target = Path(path)
    book = _load(target)
    register = book.frame("tblChanges")
    records = [engine.change_record(dict(row)) for _, row in register.iterrows()]
    if status:
        wanted = engine.parse_status(status)
        records = [r for r in records if r["status"] == wanted]
    # Ageing is reported as of the workbook's data date (StatusDate), like every other
    # figure pmo-xl reports; today only when the workbook has no status date.
    status_date = book.settings.get("StatusDate")
    stats = engine.change_stats(register, as_of=as_of or status_date or dt.date.today())
    stats["reserves"] = engine.reserves(register, book.settings)
    return {"path": str(target), "changes": records, "stats": stats}


def change_show(path: str | os.PathLike[str], cr_id: str) -> dict[str, Any]:
    """``{"path", "change": record, "history": [log record...]}``."""
    from ..engine import changes as engine

    target = Path(path)
    book = _load(target)
    _, row = engine.find_change(book.frame("tblChanges"), cr_id)
    record = engine.change_record(dict(row))
    history = engine.history(book.frame("tblChangeLog"), record["cr_id"])
    return {
        "path": str(target),
        "change": record,
        "history": [engine.log_record(dict(r)) for _, r in history.iterrows()],
    }


class ChangeRegister:
    """The register of one workbook, for scripts (``pmo_xl.changes(path)``)."""

    def __init__(self, path: str | os.PathLike[str], *, user: str | None = None, wait: float | None = None):
        self.path = Path(path)
        self.user = user or default_user()
        self.wait = wait

    def add(self, **fields: Any) -> dict[str, Any]:
        return change_add(self.path, fields, self.user, wait=self.wait)

    def set_status(self, cr_id: str, status: str, note: str | None = None, **kw: Any) -> dict[str, Any]:
        return change_set_status(self.path, cr_id, status, note, self.user, wait=self.wait, **kw)

    def decide(self, cr_id: str, decision: str, by: str, **kw: Any) -> dict[str, Any]:
        return change_decide(self.path, cr_id, decision, by, user=self.user, wait=self.wait, **kw)

    def edit(self, cr_id: str, **fields: Any) -> dict[str, Any]:
        return change_edit(self.path, cr_id, fields, self.user, wait=self.wait)

    def list(self, status: str | None = None) -> dict[str, Any]:
        return change_list(self.path, status)

    def show(self, cr_id: str) -> dict[str, Any]:
        return change_show(self.path, cr_id)


# --------------------------------------------------------------------------- text output


def _money(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


def _e(value: Any) -> str:
    """User text, safe from rich markup (a title like ``[red]`` prints as typed)."""
    from rich.markup import escape

    return "" if value is None else escape(str(value))


def render_written(result: dict[str, Any]) -> None:
    from . import text_console

    out = text_console()
    out.print(f"[bold]{result['cr_id']}[/]  {_e(result['message'].split(': ', 1)[-1])}", highlight=False)
    for line in result["budget"]:
        where = f"task {line['task_id']}" if line["task_id"] else "project level"
        out.print(f"  budget line added: {_money(line['amount'])} {line['category']} on {where} (Source {line['source']})",
                  highlight=False)


_STATUS_STYLE = {
    "Draft": "dim", "Submitted": "cyan", "Under Review": "yellow", "Approved": "green",
    "Rejected": "red", "Deferred": "magenta", "Implemented": "bold green", "Closed": "dim",
    "Withdrawn": "dim",
}


def render_list(result: dict[str, Any]) -> None:
    from rich.table import Table

    from . import text_console

    out = text_console()
    wide = out.width >= 120  # Type, Priority and Owner only when there is room for them
    table = Table(title=f"Change register — {_e(result['path'])}", title_justify="left")
    columns = [("CR ID", "cr_id"), ("Title", "title"), ("Status", "status")]
    columns += [("Type", "type"), ("Priority", "priority")] if wide else []
    columns += [("Raised", "date_raised"), ("Cost", "cost_impact"), ("Days", "schedule_impact")]
    columns += [("Funding", "funding")] if out.width >= 100 else []
    columns += [("Owner", "owner")] if wide else []
    for name, key in columns:
        if key == "title":
            table.add_column(name, overflow="ellipsis", no_wrap=True, max_width=36)
        else:
            widths = {"cr_id": 7, "status": 12, "date_raised": 10, "cost_impact": 10, "schedule_impact": 4}
            table.add_column(
                name,
                no_wrap=True,
                min_width=widths.get(key),
                justify="right" if key in ("cost_impact", "schedule_impact") else "left",
            )
    for c in result["changes"]:
        cells = []
        for _, key in columns:
            value = c[key]
            if key == "status":
                style = _STATUS_STYLE.get(value, "")
                cells.append(f"[{style}]{_e(value)}[/]" if style else _e(value))
            elif key == "cost_impact":
                cells.append(_money(value))
            elif key == "schedule_impact":
                cells.append("" if value is None else f"{value:g}")
            else:
                cells.append(_e(value))
        table.add_row(*cells)
    if result["changes"]:
        out.print(table)
    else:
        out.print("No change requests.")
    s = result["stats"]
    counts = ", ".join(f"{k} {v}" for k, v in s["by_status"].items() if v)
    out.print(f"\n[bold]{s['total']}[/] CR(s) as of {s['as_of']}: {counts or 'none'}", highlight=False)
    o = s["open"]
    if o["count"]:
        buckets = ", ".join(f"{k}: {v}" for k, v in o["buckets"].items())
        out.print(f"Open {o['count']}: ageing mean {o['mean_days']} days, max {o['max_days']} ({buckets})",
                  highlight=False)
    c = s["decision_cycle"]
    if c["count"]:
        out.print(f"Decision cycle: mean {c['mean_days']} days, median {c['median_days']} ({c['count']} decided)",
                  highlight=False)
    a = s["approved"]
    out.print(f"Approved {a['count']}: cost impact {_money(a['cost_impact'])}, schedule impact "
              f"{a['schedule_impact']} working days", highlight=False)
    for r in s.get("reserves", []):
        remaining = _money(r["remaining"])
        if r["remaining"] < 0:
            remaining = f"[bold red]{remaining} (over-drawn)[/]"
        out.print(f"{r['reserve']}: {_money(r['amount'])}, drawn {_money(r['drawn'])}, remaining {remaining}",
                  highlight=False)


def render_show(result: dict[str, Any]) -> None:
    from rich.table import Table

    from . import text_console

    out = text_console()
    c = result["change"]
    style = _STATUS_STYLE.get(c["status"], "")
    out.print(f"[bold]{_e(c['cr_id'])}[/]  {_e(c['title'])}  [{style or 'none'}]{_e(c['status'])}[/]", highlight=False)
    fields = Table(show_header=False, box=None, pad_edge=False)
    for label, key in (("Description", "description"), ("Requested by", "requested_by"),
                       ("Date raised", "date_raised"), ("Type", "type"), ("Priority", "priority"),
                       ("Rationale", "rationale"), ("Cost impact", "cost_impact"),
                       ("Schedule impact", "schedule_impact"), ("Affected tasks", "affected_tasks"),
                       ("Funding", "funding"), ("Owner", "owner"), ("Decision by", "decision_by"),
                       ("Decision date", "decision_date"), ("Decision notes", "decision_notes"),
                       ("Implemented", "implemented_date")):
        value = c.get(key)
        if value in (None, [], ""):
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        elif key == "cost_impact":
            value = _money(value)
        fields.add_row(f"  {label}", _e(value))
    out.print(fields)
    history = Table(title="History", title_justify="left")
    history.add_column("When (UTC)", no_wrap=True)
    history.add_column("Action", no_wrap=True)
    history.add_column("Field")
    history.add_column("Old", overflow="fold", ratio=1)
    history.add_column("New", overflow="fold", ratio=1)
    history.add_column("User")
    for h in result["history"]:
        history.add_row(_e(h["timestamp"]), _e(h["action"]), _e(h["field"]), _e(h["old_value"]), _e(h["new_value"]),
                        _e(h["user"]))
    out.print(history)
