"""What the reader hands the engine: typed tables and settings, cell addresses kept.

A :class:`Book` is plain data. The reader (``pmo_xl.io.reader``) builds one from a file;
tests and the Excel layer can build one directly from DataFrames. The engine reads only
this, never a file.

Addresses: every table's DataFrame is indexed by the **Excel row number** of each data
row, and :attr:`TableData.letters` maps each header to its column letter, so
``table.cell(row, "Start")`` gives ``"G12"`` and ``table.where(row, "Start")`` gives
``"Plan!G12"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pandas is imported lazily by whoever builds frames
    import pandas as pd


@dataclass
class CellIssue:
    """A cell whose value does not have the type the contract declares.

    The typed frame holds an empty value there; the original is kept in ``raw``.
    """

    sheet: str
    cell: str  # A1 address, e.g. "G12"
    table: str
    column: str
    row: int  # Excel row number
    raw: Any
    expected: str  # the column's kind: date, int, number, percent...
    message: str


@dataclass
class StructureIssue:
    """Something the template expects that the workbook lacks (rule family WB)."""

    kind: str  # "sheet" | "table" | "column" | "name" | "version"
    name: str
    sheet: str = ""
    cell: str = ""
    message: str = ""
    severity: str = "error"


class Deferred:
    """A frame made on its first read: ``TableData(frame=Deferred(make, *args))`` calls
    ``make(*args)`` when (and only if) ``table.frame`` is read. The reader hands this for
    the empty tables nobody may look at (the generated ones, in a portfolio)."""

    __slots__ = ("make", "args")

    def __init__(self, make: Callable[..., "pd.DataFrame"], *args: Any) -> None:
        self.make, self.args = make, args


class _FrameField:
    """The ``frame`` field of :class:`TableData` (a dataclass field that is a descriptor):
    holds a frame, or a :class:`Deferred` one, made and kept on first read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            raise AttributeError(self.slot)  # no default: the dataclass field stays required
        value = instance.__dict__[self.slot]
        if type(value) is Deferred:
            value = instance.__dict__[self.slot] = value.make(*value.args)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.slot] = value


@dataclass
class TableData:
    name: str
    sheet: str
    frame: "pd.DataFrame" = _FrameField()  # type: ignore[assignment]  # index = Excel row numbers; columns = headers (typed)
    letters: dict[str, str] = field(default_factory=dict)  # header -> column letter
    ref: str = ""  # the table's range including its header row, e.g. "A4:R60"
    header_row: int = 0
    present: bool = True  # False when the workbook lacks the table (empty stand-in)

    def cell(self, row: int, column: str) -> str:
        letter = self.letters.get(column)
        return f"{letter}{row}" if letter else ""

    def where(self, row: int, column: str) -> str:
        c = self.cell(row, column)
        return f"{self.sheet}!{c}" if c else self.sheet

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class Book:
    path: str
    settings: dict[str, Any]  # typed values, defaults applied for missing optional ones
    setting_cells: dict[str, str] = field(default_factory=dict)  # name -> "Project!C4"
    tables: dict[str, TableData] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    issues: list[CellIssue] = field(default_factory=list)
    structure: list[StructureIssue] = field(default_factory=list)
    date1904: bool = False
    template_version: int | None = None
    #: organisation settings stored in the workbook (:class:`pmo_xl.config.OrgConfig`:
    #: thresholds, extended lists); None until :func:`pmo_xl.config.thresholds_for` reads them
    config: Any = None
    #: the workbook-scoped defined names as read from the file (name -> formula), so
    #: :func:`pmo_xl.config.thresholds_for` knows without reopening the file whether it
    #: stores organisation settings; None when the book was not read from a file
    defined_names: dict[str, str] | None = None

    def table(self, name: str) -> TableData:
        return self.tables[name]

    def frame(self, name: str) -> "pd.DataFrame":
        return self.tables[name].frame


SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    """One validation finding (SPEC §4): what is wrong, where, and how to fix it."""

    severity: str  # "error" | "warning" | "info"
    rule: str  # stable rule ID, e.g. "PL003" (docs/rules.md)
    sheet: str
    cell: str  # A1 address on ``sheet`` ("" when the finding is about a whole sheet/table)
    key: str  # row key: task ID, CR ID, person... ("" when none)
    message: str
    hint: str

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "sheet": self.sheet,
            "cell": self.cell,
            "key": self.key,
            "message": self.message,
            "hint": self.hint,
        }
