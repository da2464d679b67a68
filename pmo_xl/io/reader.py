"""The reader: a workbook file -> :class:`~pmo_xl.model.Book` (typed tables + settings).

How a workbook is read (docs/reader.md has the measurements behind these choices):

1. :func:`~pmo_xl.io.package.open_package` checks the package (zip bombs, hostile XML,
   encrypted or broken files) and lxml reads the small parts: sheets, table parts (name,
   range, headers), defined names, the date system.
2. Tables are found by **name** (:data:`schema.TABLES`) and columns by **header**, in
   any order; extra columns and sheets are kept/tolerated; what is missing becomes a
   :class:`~pmo_xl.model.StructureIssue` and an empty, typed stand-in.
3. Cells are bulk-read with fastexcel (Rust, Arrow) over each table's data range, with
   the column types *inferred from every row*. A column whose inferred type already is
   the contract's (numbers in a number column, date cells in a date column, text in a
   text column) is converted vectorised. A column with mixed content falls back to the
   exact cell values (python-calamine's, rebuilt from typed fastexcel reads of the open
   book, or python-calamine's own read when that cannot be proven for every cell) and
   is coerced cell by cell, so that every cell
   that does not fit becomes an empty value plus a :class:`~pmo_xl.model.CellIssue`
   naming the cell (``Plan!G12 holds the text 'next week', expected a date``).

Typed frames: index = Excel row numbers; ``date``/``datetime`` -> ``datetime64[us]``
(dates normalised to midnight), ``number``/``percent`` -> ``float64``, ``int`` ->
``Int64``, ``text``/``choice`` -> ``str``, ``bool`` -> ``boolean``. Fully blank rows are
dropped. Formulas give their cached values.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:  # once here, not in each column's call (the reader types ~70 columns a workbook)
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - Pyodide (xlwings Lite): no Arrow, no file reading
    pa = pc = None

from .. import schema
from ..errors import NotAPmoWorkbook, NotAWorkbook
from ..model import Book, CellIssue, Deferred, StructureIssue, TableData
from .package import Package, TablePart, column_letter, open_package, split_cell
from .rust_notes import is_panic as _is_panic
from .rust_notes import rust_notes_quiet

# Masks are tested with np.count_nonzero: on short arrays .any()/.all() cost more (docs/performance.md).

# fastexcel logs a warning for every all-empty column ("Could not determine dtype").
logging.getLogger("fastexcel").setLevel(logging.ERROR)

DATE_DTYPE = "datetime64[us]"
TEXT_DTYPE: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object

#: pandas dtype of each column kind.
DTYPES: dict[str, Any] = {
    "int": "Int64",
    "number": "float64",
    "percent": "float64",
    "date": DATE_DTYPE,
    "datetime": DATE_DTYPE,
    "text": TEXT_DTYPE,
    "choice": TEXT_DTYPE,
    "bool": "boolean",
}

EXPECTED: dict[str, str] = {
    "int": "a whole number",
    "number": "a number",
    "percent": "a percentage",
    "date": "a date",
    "datetime": "a date and time",
    "text": "text",
    "choice": "a value from its list",
    "bool": "TRUE or FALSE",
}

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31
#: The largest whole number an "int" column takes: 2**53, the last a double (an Excel
#: number) holds exactly; beyond it (1e20) the value is a cell issue, not an int64 overflow.
_MAX_WHOLE = 2**53
#: Dates pmo-xl accepts in a date column: a plan or booking outside these years is a
#: placeholder (9999-12-31) or a typing slip, reported at its cell and read as empty.
_FIRST_YEAR, _LAST_YEAR = 1900, 2199
_DATE_LO = np.datetime64(f"{_FIRST_YEAR}-01-01", "us")
_DATE_HI = np.datetime64(f"{_LAST_YEAR + 1}-01-01", "us")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?$")

#: Tables whose absence is only a warning: pmo_xl (re)generates them.
_GENERATED = frozenset(t for s in schema.SHEETS if s.owner == "pmo" for t in s.tables) - {"tblChangeLog"}


# --------------------------------------------------------------------------- values


def excel_serial_to_datetime(serial: float, date1904: bool = False) -> dt.datetime:
    """An Excel date serial -> datetime, in the 1900 or 1904 date system.

    1900 system: serial 1 = 1900-01-01 and Excel's phantom 1900-02-29 (serial 60), so
    serials from 61 on count from 1899-12-30 (ECMA-376 §18.17.4.1).
    """
    if date1904:
        return _EPOCH_1904 + dt.timedelta(days=serial)
    if serial < 61:
        return _EPOCH_1900 + dt.timedelta(days=serial + 1) if serial >= 1 else _EPOCH_1900 + dt.timedelta(days=serial)
    return _EPOCH_1900 + dt.timedelta(days=serial)


def number_text(value: float | int) -> str:
    """A number as Excel shows it in General format: 3.0 -> "3", 1.2 -> "1.2".

    (Annotated ``float | int``, not ``float``: an int or a bool must reach the checks
    below as itself, which a compiled ``float`` argument would not.)"""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(value, ".15g")
    return text


def _describe(raw: Any) -> str:
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, str):
        return f"the text {raw!r}"
    if isinstance(raw, dt.datetime):
        return f"the date {raw.date().isoformat()}" if raw.time() == dt.time(0) else f"the date and time {raw.isoformat(sep=' ')}"
    if isinstance(raw, dt.date):
        return f"the date {raw.isoformat()}"
    if isinstance(raw, (int, float)):
        return f"the number {number_text(raw)}"
    return f"the value {raw!r}"


class _Bad(Exception):
    """A value that cannot be coerced; ``converted`` is set when it was coerced anyway."""

    def __init__(self, message: str, converted: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.converted = converted


def _parse_iso(text: str) -> dt.datetime | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T") if "T" not in text else text)
    except ValueError:
        try:
            y, m, d = (int(p) for p in text[:10].split("-"))
            return dt.datetime(y, m, d)
        except ValueError:
            return None


def _parse_number_text(text: str) -> float | None:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER_TEXT.match(t):
        return None
    percent = t.endswith("%")
    t = t.rstrip("%").replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return None
    return v / 100 if percent else v


def coerce(value: Any, kind: str, date1904: bool = False) -> Any:
    """Coerce one raw cell value to ``kind``; raise :class:`_Bad` (with a message and,
    for a value read anyway such as an ISO date typed as text, the converted value).

    Empty cells (None, "") give None.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if kind in ("date", "datetime"):
        d = _coerce_date(value, kind, date1904)
        if not _FIRST_YEAR <= d.year <= _LAST_YEAR:
            raise _Bad(f"holds the date {d.date().isoformat()}, outside the years {_FIRST_YEAR}–{_LAST_YEAR}")
        return d
    return _coerce_other(value, kind)


def _out_of_years(stamps: np.ndarray) -> bool:
    """Whether a date column holds a date outside the accepted years (NaT ignored)."""
    return bool(np.count_nonzero((stamps < _DATE_LO) | (stamps >= _DATE_HI)))


def _coerce_date(value: Any, kind: str, date1904: bool) -> dt.datetime:
    """The date (or timestamp) a date cell holds, before the year check of :func:`coerce`."""
    if isinstance(value, dt.datetime):
        return value.replace(hour=0, minute=0, second=0, microsecond=0) if kind == "date" else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise _Bad(f"holds {_describe(value)}")
    if isinstance(value, (int, float)):
        if not 0 <= value <= _MAX_SERIAL:
            raise _Bad(f"holds {_describe(value)}, which is not a date serial")
        d = excel_serial_to_datetime(float(value), date1904)
        return d.replace(hour=0, minute=0, second=0, microsecond=0) if kind == "date" else d
    if isinstance(value, str):
        parsed = _parse_iso(value.strip())
        if parsed is not None:
            if kind == "date":
                parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
            if not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
                raise _Bad(f"holds the text {value!r}, a date outside the years {_FIRST_YEAR}–{_LAST_YEAR}")
            raise _Bad(f"holds a date typed as text {value!r}; read as {parsed.date().isoformat()}", parsed)
    raise _Bad(f"holds {_describe(value)}")


def _coerce_other(value: Any, kind: str) -> Any:
    if kind in ("int", "number", "percent"):
        if isinstance(value, bool) or isinstance(value, (dt.date, dt.time, dt.timedelta)):
            raise _Bad(f"holds {_describe(value)}")
        if isinstance(value, (int, float)):
            if kind == "int":
                if not float(value).is_integer():
                    raise _Bad(f"holds {_describe(value)}")
                if abs(value) > _MAX_WHOLE:  # past int64 (and past what a double holds exactly)
                    raise _Bad(f"holds {_describe(value)}")
                return int(value)
            return float(value)
        if isinstance(value, str):
            number = _parse_number_text(value)
            if number is not None and (kind != "int" or (number.is_integer() and abs(number) <= _MAX_WHOLE)):
                converted = int(number) if kind == "int" else number
                raise _Bad(f"holds a number typed as text {value!r}; read as {number_text(converted)}", converted)
        raise _Bad(f"holds {_describe(value)}")
    if kind in ("text", "choice"):
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return number_text(value)
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE"
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise _Bad(f"holds {_describe(value)}")
    return value


# --------------------------------------------------------------------------- frames


#: The dtype objects of :data:`DTYPES`, resolved once (a dtype *string* costs a registry
#: search on every Series built with it).
_DTYPE: dict[str, Any] = {kind: pd.api.types.pandas_dtype(d) for kind, d in DTYPES.items()}
_STR = _DTYPE["text"]
_OBJECT = np.dtype(object)
#: empty_frame templates: id(table) -> (table, extras, frame); a copy is handed out.
_COW = int(pd.__version__.split(".")[0]) >= 3  # pandas 3: copy-on-write always
_EMPTY: dict[tuple[int, tuple[str, ...]], tuple[schema.Table, tuple[str, ...], pd.DataFrame]] = {}


def empty_frame(table: schema.Table, extra: list[str] | None = None) -> pd.DataFrame:
    """A zero-row frame with the contract's columns (and ``extra`` text columns), typed."""
    extras = tuple(extra or ())
    key = (id(table), extras)
    hit = _EMPTY.get(key)
    if hit is None or hit[0] is not table:
        cols = {c.name: pd.Series([], dtype=DTYPES[c.kind]) for c in table.columns}
        for name in extras:
            cols[name] = pd.Series([], dtype=object)
        frame = pd.DataFrame(cols, index=pd.Index([], dtype="int64", name="row"))
        if len(_EMPTY) > 256:  # tables made on the fly (tests): keep the cache small
            _EMPTY.clear()
        hit = _EMPTY[key] = (table, extras, frame)
    if _COW:  # copy-on-write: a new frame over the template's (never written) blocks, a third of copy()
        return pd.DataFrame._from_mgr(hit[2]._mgr.copy(deep=False), axes=hit[2]._mgr.axes)
    return hit[2].copy()


_UNIX_EPOCH = dt.datetime(1970, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)
_NAT_TICKS = int(np.iinfo(np.int64).min)  # NaT's int64


def _stamps(values: list[dt.datetime | None]) -> np.ndarray:
    """Datetimes (None = empty) as ``datetime64[us]``, what ``np.array(values, dtype=...)``
    gives, from their microseconds since 1970 (a fifth of numpy's per-object conversion)."""
    try:
        ticks = [_NAT_TICKS if v is None else (v - _UNIX_EPOCH) // _ONE_US for v in values]
    except TypeError:  # an aware datetime: numpy's own conversion
        return np.array(values, dtype=DATE_DTYPE)
    return np.array(ticks, dtype=np.int64).view(DATE_DTYPE)


def _typed_array(values: list[Any], kind: str) -> Any:
    """``values`` (Python objects, None = empty) as the column kind's array."""
    if kind in ("date", "datetime"):
        if all(v is None or type(v) is dt.datetime for v in values):  # what coerce gives: converted exactly
            return _stamps(values)
        stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").astype(DATE_DTYPE)
        return stamps.to_numpy()
    if kind in ("number", "percent"):
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    return pd.array(values, dtype=_DTYPE.get(kind, _STR))


def _typed_series(values: list[Any], kind: str, index: pd.Index) -> pd.Series:
    return pd.Series(_typed_array(values, kind), index=index, copy=False)


def _null_array(kind: str, n: int) -> Any:
    """``n`` empty cells of ``kind`` (as :func:`_typed_array` makes ``[None] * n``)."""
    if kind in ("date", "datetime"):
        return np.full(n, np.datetime64("NaT"), dtype=DATE_DTYPE)
    if kind in ("number", "percent"):
        return np.full(n, np.nan)
    if kind == "int":
        return pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))
    if kind == "bool":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    return pd.array([None] * n, dtype=_STR)


def _full(values: Any) -> bool:
    """Whether a typed column surely holds no empty value, told from its null count, mask
    or NaT (a table's first column, its key, mostly is full: then no row is blank and no
    ``pd.isna`` is needed); False when unsure."""
    if type(values) is _ARROW_STR:
        return values._pa_array.null_count == 0
    if isinstance(values, pd.arrays.IntegerArray):
        return not np.count_nonzero(values._mask)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":  # (a first column: a date key)
        return not np.count_nonzero(np.isnat(values))
    return False


_DAY_US = 86_400_000_000
_DATE_LO_US = int(_DATE_LO.astype("int64"))
_DATE_HI_US = int(_DATE_HI.astype("int64"))


_DAY_DTYPE = np.dtype("datetime64[D]")


def _midnight(stamps: np.ndarray) -> np.ndarray:
    """datetime64[us] floored to midnight, NaT kept (``Series.dt.normalize`` without its
    frequency inference): numpy's cast to days floors (before 1970 too) and keeps NaT, in
    two calls instead of six."""
    return stamps.astype(_DAY_DTYPE).astype(_DTYPE["date"])


def _has_empty_text(arr: Any) -> bool:
    """Whether an Arrow (large_)string array holds "" (a valid value of length 0), read
    from its offsets and validity buffers (most text columns hold none: no rewrite)."""
    validity, offsets = arr.buffers()[:2]
    n, start = len(arr), arr.offset
    wide = str(arr.type) == "large_string"
    ends = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32, count=start + n + 1)[start:]
    empty = ends[1:] == ends[:-1]
    if validity is None or not np.count_nonzero(empty):
        return bool(np.count_nonzero(empty))
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[start : start + n]
    return bool(np.count_nonzero(empty & valid.astype(bool)))


@dataclass(frozen=True)
class _Layout:
    """Where a table's contract columns are (found by header), worked out once per table
    shape: the tables of workbooks made from one template repeat the same headers at the
    same columns."""

    contract: tuple[tuple[str, str, int | None], ...]  # (name, kind, 1-based sheet column or None)
    extras: list[str]  # headers outside the contract, in sheet order
    extra_cols: tuple[int, ...]
    letters: dict[str, str]  # column name -> letter (copied for each TableData)
    missing: tuple[schema.Column, ...]  # contract columns the table lacks
    labels: pd.Index  # the frame's column labels


#: id(spec) -> (spec, {(columns, first col): layout})
_LAYOUTS: dict[int, tuple[schema.Table, dict[tuple[tuple[str, ...], int], _Layout]]] = {}


def _layout(spec: schema.Table, part: TablePart) -> _Layout:
    first_col = part.first_cell[1]
    key = (part.columns, first_col)
    hit = _LAYOUTS.get(id(spec))
    if hit is None or hit[0] is not spec:
        if len(_LAYOUTS) > 256:  # tables made on the fly (tests): keep the cache small
            _LAYOUTS.clear()
        hit = _LAYOUTS[id(spec)] = (spec, {})
    shapes = hit[1]
    lay = shapes.get(key)
    if lay is None:
        if len(shapes) > 64:
            shapes.clear()
        lay = shapes[key] = _make_layout(spec, part.columns, first_col)
    return lay


def _make_layout(spec: schema.Table, columns: tuple[str, ...], first_col: int) -> _Layout:
    # columns by header: exact, then case/space-insensitive
    def norm(h: str) -> str:
        return " ".join(h.split()).casefold()

    position = {h: i for i, h in enumerate(columns)}
    by_norm = {norm(h): h for h in columns}
    header_of: dict[str, str] = {}
    for c in spec.columns:
        h = c.name if c.name in position else by_norm.get(norm(c.name))
        if h is not None:
            header_of[c.name] = h
    used = set(header_of.values())
    extras = list(dict.fromkeys(h for h in columns if h not in used))  # a repeated header once, as a dict keeps it
    letters = {name: column_letter(first_col + position[h]) for name, h in header_of.items()}
    letters.update({h: column_letter(first_col + position[h]) for h in extras})
    contract = tuple(
        (c.name, c.kind, first_col + position[header_of[c.name]] if c.name in header_of else None) for c in spec.columns
    )
    return _Layout(
        contract=contract,
        extras=extras,
        extra_cols=tuple(first_col + position[h] for h in extras),
        letters=letters,
        missing=tuple(c for c in spec.columns if c.name not in header_of),
        labels=pd.Index([c.name for c in spec.columns] + extras),
    )


#: pandas' Arrow-backed string array when ``str`` is that dtype (pandas 3), else None
_ARROW_STR: Any = getattr(pd.arrays, "ArrowStringArray", None) if getattr(_STR, "storage", None) == "pyarrow" else None


def _arrow_text(arr: Any) -> Any:
    """An Arrow string column as the ``str`` array ``_STR.__from_arrow__`` makes of it with
    every "" made empty (large_string, same values), its offsets widened by numpy instead
    of an Arrow cast (a third of the cost, for the ~40 text columns of a workbook) and a ""
    made empty by clearing its validity bit (a tenth of ``if_else``); None when its
    buffers are not the plain layout."""
    validity, offsets, data = arr.buffers()
    n, start = len(arr), arr.offset
    if offsets is None or data is None:
        return None
    wide = pa.types.is_large_string(arr.type)
    ends = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32, count=start + n + 1)
    empty = ends[start + 1 :] == ends[start:-1]
    if np.count_nonzero(empty):
        valid = np.ones(n, dtype=bool) if validity is None else \
            np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[start : start + n].astype(bool)
        if np.count_nonzero(empty & valid):  # a "" (not an empty cell): empty from now on, its bytes (none) stay
            keep = valid & ~empty
            bits = pa.py_buffer(np.packbits(keep, bitorder="little"))
            own = pa.py_buffer(ends[start:].astype(np.int64))  # (offsets from this array's first value)
            arr = pa.Array.from_buffers(pa.large_string(), n, [bits, own, data], n - int(np.count_nonzero(keep)), 0)
            wide = True
    if not wide:
        arr = pa.Array.from_buffers(pa.large_string(), n, [validity, pa.py_buffer(ends.astype(np.int64)), data],
                                    arr.null_count, start)
    # what _ARROW_STR(arr, dtype=_STR) sets, without its type checks and throw-away ArrowDtype
    out = _ARROW_STR.__new__(_ARROW_STR)
    out._pa_array, out._dtype, out._cache = pa.chunked_array([arr]), _STR, {}
    return out


try:  # pandas >= 3: a frame straight from its blocks (see _frame_of)
    from pandas._libs.internals import BlockPlacement as _Placement
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks  # (present: pandas 3)
    from pandas.core.arrays import DatetimeArray as _DatetimeArray
    from pandas.core.internals.blocks import get_block_type as _block_type
    from pandas.core.internals.managers import BlockManager as _BlockManager
except ImportError:  # pragma: no cover - pandas 2
    _from_blocks = None


def _frame_of(arrays: list[Any], columns: pd.Index, index: pd.Index) -> pd.DataFrame:
    """The frame of these columns, each array already of its final dtype and length (an
    extra column's bare object array stays object, as it must), as ``DataFrame(dict)``
    consolidates them: one 2-D block per numpy dtype (the columns copied into it, so a
    view of Arrow memory becomes the frame's own), one block per extension array. Built
    from the blocks at once: without the constructor's per-column checks and inference,
    a quarter of ``DataFrame._from_arrays``; the blocks made as
    ``pandas.api.internals.create_dataframe_from_blocks`` makes them, without its checks
    of what is true by construction here (equal lengths, every column placed once: half
    its time)."""
    groups: dict[Any, list[int]] = {}
    blocks: list[Any] = []
    plain = _from_blocks is not None and _COW
    for k, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            groups.setdefault(a.dtype, []).append(k)
            plain = plain and (a.dtype.kind in "fiubO" or a.dtype in _DATETIMES)
        elif isinstance(a.dtype, np.dtype) or getattr(a.dtype, "_supports_2d", True):
            plain = False  # (a numpy-dtype or 2-D extension array: pandas decides)
        elif plain:
            blocks.append(_block_type(a.dtype)(a, ndim=2, placement=_Placement(slice(k, k + 1))))
    if not plain:
        arrays = [a.copy() if isinstance(a, np.ndarray) and not a.flags.writeable else a for a in arrays]
        return pd.DataFrame._from_arrays(arrays, columns=columns, index=index, verify_integrity=False)
    for dtype, ks in groups.items():
        # the columns copied into one 2-D block (np.stack's result, without its Python-level checks)
        block: Any = np.concatenate([arrays[k] for k in ks]).reshape(len(ks), len(index))
        if dtype.kind == "M":
            block = _DatetimeArray._simple_new(block, dtype=dtype)
        blocks.append(_block_type(dtype)(block, ndim=2, placement=_Placement(np.array(ks, dtype=np.intp))))
    mgr = _BlockManager(tuple(blocks), [columns, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(mgr, mgr.axes)


_DATETIMES = frozenset(np.dtype(f"datetime64[{unit}]") for unit in ("s", "ms", "us", "ns"))

# ---- a cell's python-calamine value from fastexcel reads (see _Reader.cells)

#: fastexcel's report of a cell its boolean read cannot type: the cell's calamine value
#: (Rust ``Debug``, a long text cut): text or an error (group 1), or a date-formatted
#: number with its serial (group 2; a duration format says ``TimeDelta``: not matched).
#: One pattern, so that each of a date column's cells is matched once.
_NOT_BOOL = re.compile(
    r"Expected boolean but got '(?:(String|Error)\(|DateTime\(ExcelDateTime \{ value: ([^,]+), "
    r"datetime_type: DateTime, is_1904: (?:true|false) \}\)'?\Z)"
)
#: calamine's datetime of a serial as fastexcel's string read gives it (chrono's ``Display``)
_STAMP = re.compile(r"([+-]?\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{3}|\d{6}))?\Z")
_UNKNOWN = object()


_FAST_CELLS: list[bool] = []


def _fast_cells() -> bool:
    """Whether this fastexcel has what :meth:`_Reader.cells` relies on: typed reads with
    their cell errors, in the report format of the releases it was built and tested
    against (0.21 on); python-calamine reads the exact cells otherwise."""
    if not _FAST_CELLS:
        import fastexcel

        try:
            version = tuple(int(p) for p in fastexcel.__version__.split(".")[:2])
        except (AttributeError, ValueError):
            version = (0, 0)
        sheet = getattr(fastexcel, "ExcelSheet", None)
        _FAST_CELLS.append(version >= (0, 21) and hasattr(sheet, "to_arrow_with_errors"))
    return _FAST_CELLS[0]


def _calamine_serial(serial: float, stamp: str | None) -> Any:
    """python-calamine's value of a date-formatted cell holding ``serial``, given ``stamp``,
    calamine's datetime of it as text (None when it has none): a time below 1, a date when
    whole, else a datetime -- the serial itself when there is no datetime or its year lies
    outside 1..9999. :data:`_UNKNOWN` for a stamp of another shape."""
    if stamp is None:
        return serial
    if len(stamp) in (19, 23) and stamp[4] == "-" and stamp[:4].isdigit() and stamp[:4] != "0000":
        # the usual stamp (a year 1..9999, whole seconds or milliseconds): Python's ISO
        # parser reads it in a fifth of the time
        try:
            if serial < 1.0:
                return dt.time.fromisoformat(stamp[11:])
            return dt.date.fromisoformat(stamp[:10]) if serial.is_integer() else dt.datetime.fromisoformat(stamp)
        except ValueError:
            return _UNKNOWN
    m = _STAMP.match(stamp)
    if m is None:
        return _UNKNOWN
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if second > 59:
        return _UNKNOWN
    frac = m.group(7)
    micro = int(frac.ljust(6, "0")) if frac else 0
    if serial < 1.0:
        return dt.time(hour, minute, second, micro)
    if not 1 <= year <= 9999:
        return serial
    if serial.is_integer():
        return dt.date(year, month, day)
    return dt.datetime(year, month, day, hour, minute, second, micro)


# --------------------------------------------------------------------------- the reader

#: Sheet parts up to this size are looked at for blank rows before a generated table is
#: bulk-read (:meth:`_Reader._blank_in_xml`); a larger one is simply bulk-read.
_BLANK_CHECK_MAX = 64 * 1024
#: Settings cells further apart than this in one column are not read ahead together.
_READ_AHEAD_ROWS = 256
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')


@dataclass
class _Reader:
    path: Path
    pkg: Package
    date1904: bool
    issues: list[CellIssue] = field(default_factory=list)
    structure: list[StructureIssue] = field(default_factory=list)
    _fast: Any = None
    _calamine: Any = None
    _exact_sheets: dict[str, tuple[tuple[int, int], list[list[Any]]]] = field(default_factory=dict)
    #: (sheet, row, col) -> the cell's exact value, read ahead for the settings (:meth:`cells`)
    _exact_cells: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    #: (sheet, 1-based column) fastexcel refuses to type as one column (a duration among
    #: numbers, ...): the bulk read holds its text only, its values come cell by cell
    _refused: set[tuple[str, int]] = field(default_factory=set)
    #: (sheet, first data row, {col: Arrow array}) of the table being typed (:meth:`_frame`)
    _bulk_read: tuple[str, int, dict[int, Any]] | None = None
    #: (sheet, first data row, rows) -> (first col, last col) of the tables sharing those
    #: rows on one sheet: they are bulk-read in one go (see :meth:`share_loads`).
    _spans: dict[tuple[str, int, int], tuple[int, int]] = field(default_factory=dict)
    _loaded: dict[tuple[str, int, int], dict[int, Any]] = field(default_factory=dict)
    #: sheet part -> the numbers of its row elements, None when unknown (:meth:`_blank_in_xml`)
    _rows_present: dict[str, frozenset[int] | None] = field(default_factory=dict)
    raw_settings: dict[str, Any] = field(default_factory=dict)  # as read, before defaults

    # ---- raw access

    @property
    def fast(self) -> Any:
        if self._fast is None:
            import fastexcel

            try:
                self._fast = fastexcel.read_excel(str(self.path))
            except Exception as exc:  # the package passed our checks, so it is damaged
                raise NotAWorkbook(f"the workbook cannot be read ({_one_line(exc)})", path=str(self.path)) from None
        return self._fast

    def exact_sheet(self, sheet: str) -> tuple[tuple[int, int], list[list[Any]]]:
        """Every cell of ``sheet`` with its own type (python-calamine), and the (row, col)
        0-based origin of that range."""
        if sheet not in self._exact_sheets:
            from python_calamine import CalamineWorkbook

            try:
                if self._calamine is None:
                    self._calamine = CalamineWorkbook.from_path(str(self.path))
                ws = self._calamine.get_sheet_by_name(sheet)
                rows = ws.to_python(skip_empty_area=False)
                start = (0, 0)
            except Exception as exc:
                raise NotAWorkbook(f"sheet {sheet!r} cannot be read ({_one_line(exc)})", path=str(self.path)) from None
            except BaseException as exc:
                if not _is_panic(exc):
                    raise
                raise NotAWorkbook(f"sheet {sheet!r} cannot be read ({_panic_text(exc)})", path=str(self.path)) from None
            self._exact_sheets[sheet] = (start, rows)
        return self._exact_sheets[sheet]

    def cells(self, sheet: str, first_row: int, n: int, col: int, text: list[Any] | None = None) -> list[Any] | None:
        """The exact value of each of the ``n`` cells from ``first_row`` down column ``col``
        (1-based) -- what :meth:`exact_sheet` gives, None or "" when empty -- from the book
        fastexcel already has open, or None when that cannot be told for every cell (a
        duration, an ISO date cell, a read that fails): the caller then reads the sheet
        with python-calamine. ``text``: the column's string read, when the caller has it.

        A boolean read types numbers and TRUE/FALSE; for every other cell fastexcel reports
        the calamine value it could not type: text, an error, or a date-formatted number with
        its serial. The string read gives the text (and calamine's datetime of a serial,
        which python-calamine turns into a time, date or datetime by the serial), the float
        read the numbers; a number's text is never "true" or "false", a boolean's is."""
        import fastexcel

        if not _fast_cells():
            return None
        options = dict(header_row=None, skip_rows=first_row - 1, n_rows=n, use_columns=column_letter(col))
        try:
            fast = self.fast
        except NotAWorkbook:  # python-calamine's read reports the damage, as it always did
            return None
        try:
            batch, errors = fast.load_sheet(sheet, dtypes="boolean", **options).to_arrow_with_errors()
            if batch.num_columns != 1 or batch.num_rows > n:
                return None
            flags = batch.column(0).to_pylist()
            out: list[Any] = [None] * n
            serials: dict[int, float | None] = {}  # row offset -> serial, None for text
            for error in errors.errors if errors is not None else ():
                i, detail = error.offset_position[0], error.detail
                m = _NOT_BOOL.match(detail)
                if m is None or not 0 <= i < len(flags):
                    return None
                kind, serial = m.groups()
                if serial is not None:
                    serials[i] = float(serial)
                elif kind == "String":
                    serials[i] = None
                # an error cell: empty, as python-calamine gives it
            typed = [i for i, flag in enumerate(flags) if flag is not None]
            if (serials or typed) and (text is None or len(text) < len(flags)):
                text = fast.load_sheet(sheet, dtypes="string", eager=True, **options).column(0).to_pylist()
            if typed:
                numbers = fast.load_sheet(sheet, dtypes="float", eager=True, **options).column(0).to_pylist()
                for i in typed:
                    t = text[i]  # type: ignore[index]
                    out[i] = (t == "true") if t in ("true", "false") else numbers[i]
        except fastexcel.FastExcelError:
            return None
        except BaseException as exc:  # a panic of fastexcel's Rust code (a date-formatted -1e20)
            if not _is_panic(exc):
                raise
            # python-calamine would panic on the same cell (and print Rust's note again)
            raise NotAWorkbook(f"sheet {sheet!r} cannot be read ({_panic_text(exc)})", path=str(self.path)) from None
        for i, serial in serials.items():
            value = text[i] if serial is None else _calamine_serial(serial, text[i])  # type: ignore[index]
            if value is _UNKNOWN:
                return None
            out[i] = value
        return out

    def read_ahead(self, targets: list[tuple[str, int, int]]) -> None:
        """Read the exact values of these (sheet, row, col) cells a column at a time
        (:meth:`cells`; :meth:`exact_cell` then finds them)."""
        rows: dict[tuple[str, int], list[int]] = {}
        for sheet, row, col in targets:
            if row >= 1:
                rows.setdefault((sheet, col), []).append(row)
        for (sheet, col), numbers in rows.items():
            first, last = min(numbers), max(numbers)
            if last - first >= _READ_AHEAD_ROWS:
                continue
            values = self.cells(sheet, first, last - first + 1, col)
            if values is not None:
                for row in numbers:
                    self._exact_cells[(sheet, row, col)] = values[row - first]

    def exact_cell(self, sheet: str, row: int, col: int) -> Any:
        """The value of one cell (1-based row and column), None when empty."""
        if (sheet, row, col) in self._exact_cells:
            v = self._exact_cells[(sheet, row, col)]
            return None if v == "" else v
        (r0, c0), rows = self.exact_sheet(sheet)
        r, c = row - 1 - r0, col - 1 - c0
        if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
            v = rows[r][c]
            return None if v == "" else v
        return None

    def cell_issue(self, sheet: str, table: str, column: str, row: int, col: int, raw: Any, kind: str, message: str) -> None:
        cell = f"{column_letter(col)}{row}"
        self.issues.append(
            CellIssue(
                sheet=sheet,
                cell=cell,
                table=table,
                column=column,
                row=row,
                raw=raw,
                expected=kind,
                message=cell_issue_text(sheet, cell, message, kind),
            )
        )

    # ---- tables

    def read_table(self, spec: schema.Table, part: TablePart) -> TableData:
        lay = _layout(spec, part)
        header_row = part.header_row
        for c in lay.missing:
            cell = f"{column_letter(part.last_cell[1])}{header_row}" if header_row else ""
            self.structure.append(missing_column_issue(spec.name, c, part.sheet, cell))

        issues_before = len(self.issues)
        first, last = part.first_data_row, part.last_data_row
        n = max(0, last - first + 1)
        # a generated table as the template ships it (no row elements in its data rows) is
        # known empty from its sheet's XML: no fastexcel parse of that sheet (three of a
        # typical file's eleven)
        blank = spec.name in _GENERATED and self._blank_in_xml(part.sheet_part, first, last)
        raw = self._bulk(part, n) if n and not blank else {}
        height = max((len(a) for a in raw.values()), default=0)
        frame: Any
        if not height or all(a.null_count == len(a) for a in raw.values()):
            # no rows, or every cell empty (a generated table's blank row): nothing to type,
            # and its empty frame made only if someone reads it (a portfolio never does)
            frame = Deferred(empty_frame, spec, list(lay.extras))
        else:
            frame = self._frame(spec, part, raw, height, lay, issues_before)
        return TableData(
            name=spec.name,
            sheet=part.sheet,
            frame=frame,
            letters=dict(lay.letters),
            ref=part.ref,
            header_row=header_row,
            present=True,
        )

    def _frame(self, spec: schema.Table, part: TablePart, raw: dict[int, Any], height: int, lay: _Layout,
               issues_before: int) -> pd.DataFrame:
        """The typed frame of a table's ``height`` data rows, fully blank rows dropped."""
        first = part.first_data_row
        rows = np.arange(first, first + height, dtype="int64")
        self._bulk_read = (part.sheet, first, raw)
        arrays: list[Any] = []
        for name, kind, col in lay.contract:
            if col is None:
                arrays.append(_null_array(kind, height))
                continue
            arrays.append(self._column(spec.name, part.sheet, name, kind, col, raw.get(col), rows))
        for col in lay.extra_cols:
            arrays.append(self._extra_column(raw.get(col), height))
        self._bulk_read = None
        # a row is blank when every cell is empty (none is when the first column, mostly
        # the key, is full: no scan then); a cell whose value did not fit its column is
        # empty in the frame but not blank
        blank = None if arrays and _full(arrays[0]) else np.ones(height, dtype=bool)
        if blank is not None:
            for values in arrays:
                blank &= np.asarray(pd.isna(values), dtype=bool)
                if not np.count_nonzero(blank):
                    break
        if blank is not None and np.count_nonzero(blank):
            with_issue = {i.row for i in self.issues[issues_before:]}
            if with_issue:
                blank &= ~np.isin(rows, list(with_issue))
            if np.count_nonzero(blank) == len(blank):
                return empty_frame(spec, lay.extras)
            keep = ~blank
            rows = rows[keep]
            arrays = [values[keep] for values in arrays]
        index = pd.Index._simple_new(rows, name="row")  # rows: this frame's own int64 array (no checks needed)
        # the column labels are the layout's Index, viewed (a frame's own Index object, same labels)
        return _frame_of(arrays, lay.labels.view(), index)

    def _blank_in_xml(self, sheet_part: str, first: int, last: int) -> bool:
        """Whether the sheet's XML has no row element at all among rows ``first``..``last``
        (then a bulk read gives no cell there). False whenever in doubt -- a large or
        unreadable part, a row element without its number first -- so that the bulk read
        decides."""
        if sheet_part not in self._rows_present:
            self._rows_present[sheet_part] = self._row_numbers(sheet_part)
        numbers = self._rows_present[sheet_part]
        return numbers is not None and not any(first <= r <= last for r in numbers)

    def _row_numbers(self, sheet_part: str) -> frozenset[int] | None:
        """The numbers of the row elements of ``sheet_part``'s ``<sheetData>``, or None when
        the part is not a small transitional sheet whose every ``<row`` tag starts with its
        number (what Excel, openpyxl and XlsxWriter write): a text scan, no XML parse."""
        name = self.pkg.find(sheet_part) if sheet_part else None
        if name is None or self.pkg.info(name).file_size > _BLANK_CHECK_MAX:
            return None
        try:
            data = self.pkg.read(name)
        except NotAWorkbook:  # the bulk read reports damage in its own words
            return None
        if b"purl.oclc.org/ooxml" in data:  # strict OOXML: the bulk read decides
            return None
        start = data.find(b"<sheetData")
        if start < 0 or data.find(b"<sheetData", start + 1) >= 0:
            return None
        if data.startswith(b"<sheetData/>", start):
            return frozenset()
        end = data.find(b"</sheetData>", start)
        if end < 0:
            return None
        body = data[start:end]
        numbers = _ROW_NUMBER.findall(body)
        if len(numbers) != body.count(b"<row"):
            return None
        return frozenset(int(n) for n in numbers)

    def share_loads(self, parts: list[TablePart]) -> None:
        """Tables on one sheet over the same data rows (the Rollup sheet's seven one-row
        tables) are bulk-read by one ``load_sheet`` over their columns together: each
        column's type is inferred from its own cells, so each table gets what a read of
        its own range gives, for one parse of the sheet instead of one per table."""
        spans: dict[tuple[str, int, int], list[tuple[int, int]]] = {}
        for part in parts:
            n = max(0, part.last_data_row - part.first_data_row + 1)
            if n:
                spans.setdefault((part.sheet, part.first_data_row, n), []).append((part.first_cell[1], part.last_cell[1]))
        for key, cols in spans.items():
            if len(cols) > 1:
                self._spans[key] = (min(c[0] for c in cols), max(c[1] for c in cols))

    def _bulk(self, part: TablePart, n: int) -> dict[int, Any]:
        """{1-based sheet column: Arrow array} of the table's data rows (types inferred
        over every row). Columns absent from the sheet's used range are left out."""
        first_col, last_col = part.first_cell[1], part.last_cell[1]
        key = (part.sheet, part.first_data_row, n)
        span = self._spans.get(key)
        if span is None:
            loaded = self._load_rows(part.sheet, part.first_data_row, n, first_col, last_col)
        else:
            if key not in self._loaded:
                self._loaded[key] = self._load_rows(part.sheet, part.first_data_row, n, *span)
            loaded = self._loaded[key]
        return {col: arr for col, arr in loaded.items() if first_col <= col <= last_col}

    def _load_rows(self, sheet_name: str, first_row: int, n: int, first_col: int, last_col: int) -> dict[int, Any]:
        """{1-based sheet column: Arrow array} of ``n`` rows from ``first_row`` over the
        columns ``first_col``..``last_col`` (those inside the sheet's used range)."""
        import fastexcel

        options = dict(header_row=None, skip_rows=first_row - 1, n_rows=n, schema_sample_rows=None)

        width = last_col - first_col + 1

        def load(use_columns: str | None) -> dict[int, Any]:
            if use_columns is not None:
                # eager: fastexcel builds the Arrow batch at once (a tenth less than a lazy
                # sheet + to_arrow). A column range either comes whole, in sheet order,
                # or raises ColumnNotFoundError, so the i-th column is sheet column first + i
                try:
                    batch = self.fast.load_sheet(sheet_name, use_columns=use_columns, eager=True, **options)
                except TypeError:  # an old fastexcel without eager loading
                    batch = None
                if batch is not None and batch.num_columns == width:
                    return {first_col + i: batch.column(i) for i in range(width)}
            sheet = self.fast.load_sheet(sheet_name, use_columns=use_columns, **options)
            batch = sheet.to_arrow()
            return {
                info.absolute_index + 1: batch.column(i)
                for i, info in enumerate(sheet.selected_columns)
                if first_col <= info.absolute_index + 1 <= last_col
            }

        def one_by_one() -> dict[int, Any]:
            # a column whose cells fastexcel cannot type together (a duration among numbers):
            # each column on its own, a refused one as text, its values then cell by cell
            out: dict[int, Any] = {}
            for col in range(first_col, last_col + 1):
                letter = column_letter(col)
                try:
                    try:
                        out[col] = self.fast.load_sheet(sheet_name, use_columns=letter, eager=True, **options).column(0)
                    except fastexcel.UnsupportedColumnTypeCombinationError:
                        out[col] = self.fast.load_sheet(sheet_name, use_columns=letter, eager=True, dtypes="string",
                                                        **options).column(0)
                        self._refused.add((sheet_name, col))
                except fastexcel.ColumnNotFoundError:  # outside the used range
                    continue
            return out

        # one column is asked as "D": fastexcel rejects the range "D:D" (InvalidParametersError,
        # which would read as rows past the used range: a one-column table read as empty)
        columns = column_letter(first_col) if width == 1 else f"{column_letter(first_col)}:{column_letter(last_col)}"
        try:
            try:
                try:
                    return load(columns)
                except fastexcel.ColumnNotFoundError:  # some columns lie outside the used range
                    return load(None)
            except fastexcel.UnsupportedColumnTypeCombinationError:
                return one_by_one()
        except fastexcel.InvalidParametersError:  # the rows lie past the sheet's used range
            return {}
        except fastexcel.FastExcelError as exc:
            raise NotAWorkbook(f"sheet {sheet_name!r} cannot be read ({_one_line(exc)})", path=str(self.path)) from None
        except BaseException as exc:
            if not _is_panic(exc):
                raise
            raise NotAWorkbook(f"sheet {sheet_name!r} cannot be read ({_panic_text(exc)})", path=str(self.path)) from None

    def _column(self, table: str, sheet: str, name: str, kind: str, col: int, arr: Any, rows: np.ndarray) -> Any:
        """One contract column as the array of its kind (``rows``: the Excel row of each
        value); the fast path when the inferred type fits."""
        height = len(rows)
        if arr is None or arr.null_count == len(arr):
            return _null_array(kind, height)
        if (sheet, col) in self._refused:
            return self._exact_column(table, sheet, name, kind, col, rows)
        t = arr.type
        if kind in ("number", "percent") and pa.types.is_floating(t):
            return arr.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        if kind == "int" and pa.types.is_floating(t):
            values = arr.to_numpy(zero_copy_only=False)
            if not arr.null_count and np.count_nonzero(values == np.floor(values)) == len(values) and np.abs(values).max(initial=0) <= _MAX_WHOLE:
                # no empty cell, all whole (what most ID columns are): the general path's answer
                return pd.arrays.IntegerArray(values.astype("int64"), np.zeros(len(values), dtype=bool))
            missing = np.isnan(values)
            huge = ~missing & (np.abs(np.where(missing, 0, values)) > _MAX_WHOLE)  # 1e20, inf: past int64
            whole = missing | ((values == np.floor(values)) & ~huge)
            if np.count_nonzero(whole) < len(whole):
                for i in np.flatnonzero(~whole):
                    self.cell_issue(sheet, table, name, int(rows[i]), col, float(values[i]), kind, f"holds {_describe(float(values[i]))}")
                missing = ~whole | missing
            return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int64"), missing)
        if pa.types.is_integer(t):
            arr, t = arr.cast(pa.float64()), pa.float64()
        if kind in ("date", "datetime") and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            if pa.types.is_timestamp(t) and t.tz is None and t.unit in ("s", "ms", "us"):
                # numpy widens s/ms/us to us exactly (null -> NaT), for a fifth of Arrow's cast
                stamps = arr.to_numpy(zero_copy_only=False).astype(DATE_DTYPE)
            else:
                stamps = arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False).astype(DATE_DTYPE, copy=False)
            if not arr.null_count:
                # no NaT: the year check on the extremes, midnight by one remainder
                ticks = stamps.view("int64")
                if ticks.min() < _DATE_LO_US or ticks.max() >= _DATE_HI_US:
                    return self._exact_column(table, sheet, name, kind, col, rows)
                if kind == "date":
                    rem = ticks % _DAY_US
                    if np.count_nonzero(rem):
                        ticks -= rem  # stamps is this column's own array (astype copied it)
                return stamps
            if _out_of_years(stamps):
                return self._exact_column(table, sheet, name, kind, col, rows)
            return _midnight(stamps) if kind == "date" else stamps
        if kind in ("date", "datetime") and pa.types.is_floating(t):
            values = arr.to_numpy(zero_copy_only=False)
            nan = np.isnan(values)
            ok = nan | ((values >= 0) & (values <= _MAX_SERIAL))
            if np.count_nonzero(ok) == len(ok):
                epoch = np.datetime64("1904-01-01") if self.date1904 else np.datetime64("1899-12-30")
                if not self.date1904 and np.nanmin(values) < 61:
                    return self._exact_column(table, sheet, name, kind, col, rows)
                micros = np.round(values * 86_400_000_000)
                stamps = epoch.astype(DATE_DTYPE) + np.where(nan, 0, micros).astype("int64").astype("timedelta64[us]")
                stamps[nan] = np.datetime64("NaT")
                if _out_of_years(stamps):
                    return self._exact_column(table, sheet, name, kind, col, rows)
                return _midnight(stamps) if kind == "date" else stamps
        if kind in ("text", "choice"):
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                if _ARROW_STR is not None:
                    fast = _arrow_text(arr)
                    if fast is not None:
                        return fast
                blanked = pc.if_else(pc.equal(arr, ""), pa.scalar(None, t), arr) if _has_empty_text(arr) else arr
                if hasattr(_STR, "__from_arrow__"):  # pandas 3's str dtype
                    return _STR.__from_arrow__(blanked)
                return np.asarray(blanked.to_pylist(), dtype=object)  # pandas 2: object text
            if pa.types.is_floating(t):
                return pd.array([None if v is None else number_text(v) for v in arr.to_pylist()], dtype=_STR)
        if kind == "bool" and pa.types.is_boolean(t):
            return pd.array(arr.to_pylist(), dtype=_DTYPE["bool"])
        return self._exact_column(table, sheet, name, kind, col, rows)

    def _exact_column(self, table: str, sheet: str, name: str, kind: str, col: int, rows: np.ndarray) -> Any:
        """Cell-by-cell coercion from the exact cell values; every misfit is a CellIssue."""
        n = len(rows)
        first = int(rows[0]) if n else 1
        text = None
        bulk = self._bulk_read
        if bulk is not None and bulk[:2] == (sheet, first):
            arr = bulk[2].get(col)  # the column's bulk read: its text spares cells() a string read
            if arr is not None and len(arr) == n and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                text = arr.to_pylist()
        raws = self.cells(sheet, first, n, col, text) if n else []
        if raws is None:  # python-calamine's read of the sheet
            (r0, c0), cells = self.exact_sheet(sheet)
            c = col - 1 - c0
            raws = [row[c] if 0 <= c < len(row) else None for row in _rows_from(cells, first - 1 - r0, n)]
        # the types that need no coercion pass straight through (most cells)
        plain = {"number": float, "percent": float, "text": str, "choice": str, "bool": bool}.get(kind)
        dates = kind in ("date", "datetime")
        out: list[Any] = []
        for row, raw in zip(rows.tolist(), raws):
            if raw is None or raw == "":
                out.append(None)
            elif plain is not None and type(raw) is plain:
                out.append(raw)
            elif dates and type(raw) is dt.date and _FIRST_YEAR <= raw.year <= _LAST_YEAR:
                out.append(dt.datetime(raw.year, raw.month, raw.day))  # coerce's answer for a date cell, a third of its cost
            else:
                try:
                    out.append(coerce(raw, kind, self.date1904))
                except _Bad as bad:
                    out.append(bad.converted)
                    self.cell_issue(sheet, table, name, row, col, raw, kind, bad.message)
        return _typed_array(out, kind)

    @staticmethod
    def _extra_column(arr: Any, height: int) -> np.ndarray:
        """A user column outside the contract, as the bulk read typed it (a column mixing
        numbers and text comes out as text)."""
        out = np.empty(height, dtype=object)
        if arr is not None:
            out[:] = [None if v == "" else v for v in arr.to_pylist()]
        return out

    # ---- settings

    def read_settings(self, book: Book) -> None:
        # the settings' cells read ahead a column at a time from the fastexcel book (no
        # python-calamine open of the workbook for them); each name, its target and the
        # target's sheet looked up once
        pkg = self.pkg
        found = []
        targets = []
        for s in schema.SETTINGS:
            dn = pkg.defined_name(s.name)
            target = dn.target() if dn is not None else None
            ref = pkg.sheet(target[0]) if target is not None else None
            found.append((s, dn, target, ref))
            if ref is not None:
                targets.append((ref.name, *split_cell(target[1])))  # type: ignore[index]
        self.read_ahead(targets)
        for s, dn, target, ref in found:
            value: Any = None
            if dn is None:
                self.structure.append(missing_name_issue(s))
            else:
                if target is None:
                    constant = _constant(dn.formula)
                    if constant is _NOT_CONSTANT:
                        self.structure.append(
                            StructureIssue(
                                kind="name",
                                name=s.name,
                                message=f"the defined name {s.name} refers to {dn.formula!r}, not to a cell",
                                severity="error" if s.required else "warning",
                            )
                        )
                    else:
                        value = setting_value(s, constant, "", "", 0, self.issues, self.date1904)
                else:
                    sheet, cell = target
                    book.setting_cells[s.name] = f"{_quote(sheet)}!{cell}"
                    if ref is None:
                        self.structure.append(
                            StructureIssue(
                                kind="name",
                                name=s.name,
                                sheet=sheet,
                                cell=cell,
                                message=f"the defined name {s.name} refers to sheet {sheet!r}, which does not exist",
                                severity="error" if s.required else "warning",
                            )
                        )
                    else:
                        sheet = ref.name
                        row, col = split_cell(cell)
                        raw = self.exact_cell(sheet, row, col)
                        value = setting_value(s, raw, sheet, cell, row, self.issues, self.date1904)
            self.raw_settings[s.name] = value
            if value is None:
                value = s.default
            book.settings[s.name] = value


def setting_value(
    s: schema.Setting, raw: Any, sheet: str, cell: str, row: int, issues: list[CellIssue], date1904: bool = False
) -> Any:
    """One setting's cell value typed as its kind (a date as ``date``, a whole number as
    ``int``), None when empty. A value that does not fit becomes a :class:`CellIssue` in
    ``issues`` and its best conversion (or None) is returned. The file reader and the live
    book (:mod:`pmo_xl.io.livebook`) both type settings here."""
    kind = s.kind
    try:
        v = coerce(raw, kind, date1904)
    except _Bad as bad:
        v = bad.converted
        issues.append(
            CellIssue(
                sheet=sheet,
                cell=cell,
                table="",
                column=s.name,
                row=row,
                raw=raw,
                expected=kind,
                message=cell_issue_text(sheet, cell, f"({s.name}) {bad.message}", kind),
            )
        )
    if v is None:
        return None
    if kind == "date":
        return v.date() if isinstance(v, dt.datetime) else v
    if kind == "number":
        return int(v) if float(v).is_integer() else float(v)
    return v


def cell_issue_text(sheet: str, cell: str, message: str, kind: str) -> str:
    """A cell issue's message: ``Plan!G12 <message>, expected a date`` (no "expected …"
    after a value that is only typed as text)."""
    text = f"{_quote(sheet)}!{cell} {message}"
    return text if "typed as text" in message else f"{text}, expected {EXPECTED.get(kind, kind)}"


def missing_column_issue(table: str, c: schema.Column, sheet: str, cell: str) -> StructureIssue:
    """Table ``table`` lacks contract column ``c`` (``cell``: where it would go)."""
    return StructureIssue(
        kind="column",
        name=c.name,
        sheet=sheet,
        cell=cell,
        message=f"table {table} on sheet {sheet} has no column {c.name!r}",
        severity="error" if c.required and table not in _GENERATED else "warning",
    )


def missing_name_issue(s: schema.Setting) -> StructureIssue:
    """The workbook lacks the defined name of setting ``s`` (its default is used)."""
    return StructureIssue(
        kind="name",
        name=s.name,
        sheet="Project",
        message=f"the workbook has no defined name {s.name}"
        + (f"; using the default {s.default!r}" if s.default is not None else ""),
        severity="error" if s.required else "warning",
    )


def missing_sheet_issues(sheet_names: list[str]) -> list[StructureIssue]:
    """One issue per contract sheet absent from ``sheet_names`` (compared case-blind)."""
    present = {n.lower() for n in sheet_names}
    return [
        StructureIssue(
            kind="sheet",
            name=sheet.name,
            sheet=sheet.name,
            message=f"the workbook has no sheet {sheet.name!r}",
            severity="warning" if sheet.owner in ("pmo", "template", "hidden") else "error",
        )
        for sheet in schema.SHEETS
        if sheet.name.lower() not in present
    ]


def missing_table(name: str, spec: schema.Table) -> tuple[StructureIssue, TableData]:
    """The workbook lacks table ``name``: its issue and its empty stand-in."""
    issue = StructureIssue(
        kind="table",
        name=name,
        sheet=spec.sheet,
        message=f"the workbook has no table {name} (expected on sheet {spec.sheet})",
        severity="warning" if name in _GENERATED else "error",
    )
    return issue, TableData(name=name, sheet=spec.sheet, frame=Deferred(empty_frame, spec), present=False)


def _rows_from(rows: list[list[Any]], first: int, n: int) -> list[list[Any]]:
    """``rows[first:first + n]`` padded with empty rows to ``n`` (negative ``first`` too)."""
    head: list[list[Any]] = [[] for _ in range(max(0, -first))]
    body = rows[max(0, first) : max(0, first + n)]
    out = head + body
    return out + [[] for _ in range(n - len(out))]


_NOT_CONSTANT = object()


def _constant(formula: str) -> Any:
    """The value of a defined name that is a constant (``="EUR"``, ``8``), else a marker."""
    f = formula.strip().lstrip("=").strip()
    if len(f) >= 2 and f[0] == f[-1] == '"':
        return f[1:-1].replace('""', '"')
    try:
        return float(f)
    except ValueError:
        pass
    if f.upper() in ("TRUE", "FALSE"):
        return f.upper() == "TRUE"
    return _NOT_CONSTANT


_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _quote(sheet: str) -> str:
    """A sheet name as it appears in a reference: quoted when it needs to be."""
    if _PLAIN_SHEET.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _panic_text(exc: BaseException) -> str:
    return f"a cell's value is outside what the reader handles, e.g. a date-formatted number far beyond Excel's dates: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if " " not in text and text != type(exc).__name__:  # a bare token (python-calamine's XmlError "t"): say what failed
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 200 else text[:197] + "..."


# --------------------------------------------------------------------------- load


def load(path: str | Path) -> Book:
    """Read a PMO workbook (.xlsx/.xlsm) into a :class:`~pmo_xl.model.Book`.

    Raises :class:`~pmo_xl.errors.NotAWorkbook` for an unreadable or hostile file and
    :class:`~pmo_xl.errors.NotAPmoWorkbook` for a workbook with none of the template's
    tables and none of its defined names. Everything else the template expects but the
    file lacks is a :class:`~pmo_xl.model.StructureIssue` in ``book.structure``; cells
    whose value does not fit their column are :class:`~pmo_xl.model.CellIssue` s in
    ``book.issues``.

    >>> book = load("project.xlsx")  # doctest: +SKIP
    >>> book.table("tblPlan").where(12, "Start")  # doctest: +SKIP
    'Plan!G12'
    """
    path = Path(path)
    with rust_notes_quiet(), open_package(path) as pkg:  # (a Rust reader's panic is our one-line error)
        found = {name: pkg.table(name) for name in schema.TABLES}
        names = {s.name for s in schema.SETTINGS if pkg.defined_name(s.name) is not None}
        if not any(found.values()) and not names:
            raise NotAPmoWorkbook("not a PMO workbook: no tblPlan table and no ProjectCode name", path=str(path))
        reader = _Reader(path=path, pkg=pkg, date1904=pkg.date1904)
        sheet_names = [s.name for s in pkg.sheets]
        book = Book(path=str(path), settings={}, sheets=sheet_names, date1904=pkg.date1904)
        book.defined_names = {d.name: d.formula for d in pkg.defined_names if d.local_sheet_id is None}
        reader.structure += missing_sheet_issues(sheet_names)
        reader.read_settings(book)
        reader.share_loads([part for part in found.values() if part is not None])
        for name, spec in schema.TABLES.items():
            part = found[name]
            if part is None:
                issue, book.tables[name] = missing_table(name, spec)
                reader.structure.append(issue)
                continue
            book.tables[name] = reader.read_table(spec, part)
        _check_version(book, reader)
        book.issues = reader.issues
        book.structure = reader.structure
        return book


def _check_version(book: Book, reader: _Reader) -> None:
    raw = reader.raw_settings.get("TemplateVersion")
    has_name = reader.pkg.defined_name("TemplateVersion") is not None
    if not has_name:
        book.template_version = None
        return
    version = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    book.template_version = version
    cell = book.setting_cells.get("TemplateVersion", "").split("!")[-1]

    def issue(message: str, cell: str = "") -> None:
        reader.structure.append(
            StructureIssue(kind="version", name="TemplateVersion", sheet="Project", cell=cell, message=message)
        )

    if version is None:
        cells = [i.raw for i in reader.issues if i.table == "" and i.column == "TemplateVersion"]
        raw = cells[0] if cells else raw
        issue(f"unknown template version {raw!r}; this pmo-xl reads version {schema.TEMPLATE_VERSION}", cell)
    elif version > schema.TEMPLATE_VERSION:
        issue(f"template version {version} is newer than this pmo-xl ({schema.TEMPLATE_VERSION}): upgrade pmo-xl", cell)
    elif version < 1:
        issue(f"unknown template version {version}")


__all__ = ["load", "coerce", "empty_frame", "excel_serial_to_datetime", "number_text", "DTYPES"]
