"""Safe opening of an OOXML package (.xlsx / .xlsm), shared by the reader and the writer.

Everything a hostile or broken file can do is checked *before* anything is inflated, and
again while inflating, because zip headers can lie (SPEC §9 "bad input gets a clear
message, never a traceback"):

- not a file / empty / not a zip / an OLE compound file (encrypted workbook or old .xls) /
  a truncated or corrupt zip / a zip that is not a workbook;
- unsafe part names (``..``, absolute paths, backslashes, drive letters);
- zip bombs: entry count, total declared uncompressed size and per-entry compression
  ratio are checked from the central directory; :meth:`Package.read` then inflates in
  chunks and stops as soon as an entry yields more than it declared or the package
  more than :data:`MAX_TOTAL_SIZE`;
- XML with a DTD or entity declarations (billion laughs, external entities) is refused by
  :func:`parse_xml`; the parser never touches the network.

Each failure is a :class:`~pmo_xl.errors.NotAWorkbook` whose one-line message names the
file. The small parts both the reader and the writer need (workbook part, sheets, tables,
defined names, the 1904 date system) are parsed here with lxml; strict-OOXML namespaces
are mapped to transitional ones when reading.

Example::

    with open_package("project.xlsx") as pkg:
        pkg.sheets[0].name, pkg.date1904, pkg.tables_by_name()["tblPlan"].ref
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, cast

from lxml import etree

from ..errors import NotAWorkbook

# --------------------------------------------------------------------------- limits

#: Most entries a package may have (a big workbook has a few hundred).
MAX_ENTRIES = 10_000
#: Most bytes the whole package may inflate to (declared, and actually inflated).
MAX_TOTAL_SIZE = 2 * 1024**3
#: Highest compression ratio (uncompressed / compressed) of one entry ...
MAX_RATIO = 200
#: ... enforced for entries that inflate to more than this (small parts compress wildly).
RATIO_MIN_SIZE = 8 * 1024**2
#: Chunk size used while inflating.
CHUNK = 1024**2
#: Parts up to this size are read in one go (:meth:`Package._read_small`).
_SMALL_PART = 4 * 1024**2
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip entry's local header (zipfile's own layout)
_pread = getattr(os, "pread", None)  # POSIX; elsewhere every part is read through zipfile

# --------------------------------------------------------------------------- namespaces

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_R = "http://purl.oclc.org/ooxml/officeDocument/relationships"

_STRICT_TO_TRANSITIONAL = (
    (STRICT_MAIN.encode(), NS_MAIN.encode()),
    (STRICT_R.encode(), NS_R.encode()),
)

M = f"{{{NS_MAIN}}}"  # Clark-notation prefix for spreadsheetml elements
R = f"{{{NS_R}}}"
PR = f"{{{NS_PKG_REL}}}"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# --------------------------------------------------------------------------- XML


def _refuse(message: str, path: Any = None) -> NotAWorkbook:
    return NotAWorkbook(message, path=str(path) if path is not None else None)


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,
    remove_blank_text=False,
)


def parse_xml(data: bytes, *, part: str = "", path: Any = None, transitional: bool = True) -> etree._Element:
    """Parse one XML part safely and return its root element.

    A DTD or entity declaration anywhere is refused (:class:`NotAWorkbook`): a workbook
    never needs one, and it is how entity-expansion and external-entity attacks work.
    With ``transitional`` (the default), strict-OOXML namespaces are read as the
    transitional ones, so callers look for one set of names.
    """
    where = f"part {part!r}" if part else "an XML part"
    if any(marker in data for marker in _DTD_MARKERS):
        raise _refuse(f"refused: {where} declares a DTD or entities, which a workbook never needs", path)
    if transitional and b"purl.oclc.org/ooxml" in data:
        for strict, trans in _STRICT_TO_TRANSITIONAL:
            data = data.replace(strict, trans)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _refuse(f"the workbook is damaged: {where} is not well-formed XML ({_one_line(exc)})", path) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _refuse(f"refused: {where} declares a DTD or entities, which a workbook never needs", path)
    return root


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --------------------------------------------------------------------------- part records


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # full type URI; compare with :func:`rel_kind`
    target: str  # resolved part name (no leading "/"), or the raw target when external
    external: bool = False

    @property
    def kind(self) -> str:
        return rel_kind(self.type)


@dataclass(frozen=True)
class SheetRef:
    """One sheet of workbook.xml, in workbook order."""

    name: str
    part: str  # e.g. "xl/worksheets/sheet3.xml" ("" when the relationship is broken)
    sheet_id: int
    rid: str
    index: int  # 0-based position (localSheetId of defined names)
    state: str = "visible"  # visible | hidden | veryHidden
    kind: str = "worksheet"  # worksheet | chartsheet | dialogsheet | macrosheet


@dataclass(frozen=True)
class TablePart:
    """An Excel table (ListObject) as declared in ``xl/tables/tableN.xml``."""

    name: str  # displayName: the name formulas and pmo_xl use
    ref: str  # e.g. "A4:R60", header and totals rows included
    columns: tuple[str, ...]  # header texts, in sheet order
    sheet: str
    sheet_part: str
    part: str
    id: int = 0
    internal_name: str = ""  # the ``name`` attribute (usually equal to displayName)
    header_row_count: int = 1
    totals_row_count: int = 0
    #: (row, column) 1-based of the top-left and bottom-right cells of ``ref``, parsed
    #: when the part is made (the reader asks for them a dozen times per table; a bad
    #: ``ref`` raises ValueError there)
    first_cell: tuple[int, int] = field(init=False, repr=False, compare=False)
    last_cell: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # (frozen: set as dataclasses set a frozen instance's fields)
        object.__setattr__(self, "first_cell", split_cell(self.ref.split(":")[0]))
        object.__setattr__(self, "last_cell", split_cell(self.ref.split(":")[-1]))

    @property
    def header_row(self) -> int:
        """Excel row of the header (0 when the table has no header row)."""
        return self.first_cell[0] if self.header_row_count else 0

    @property
    def first_data_row(self) -> int:
        return self.first_cell[0] + (1 if self.header_row_count else 0)

    @property
    def last_data_row(self) -> int:
        return self.last_cell[0] - (1 if self.totals_row_count else 0)

    @property
    def letters(self) -> dict[str, str]:
        """Header -> column letter."""
        first = self.first_cell[1]
        return {name: column_letter(first + i) for i, name in enumerate(self.columns)}


@dataclass(frozen=True)
class DefinedName:
    name: str
    formula: str  # e.g. "Project!$C$4" (may be a constant or any formula)
    local_sheet_id: int | None = None  # None = workbook scope
    hidden: bool = False

    def target(self) -> tuple[str, str] | None:
        """(sheet, "C4") of the first cell the name refers to, or None when it is not a
        plain reference (a constant, a formula, #REF!...)."""
        return parse_reference(self.formula)


# --------------------------------------------------------------------------- cell helpers

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!:]+))!(\$?[A-Za-z]{1,3}\$?\d{1,7})(?::\$?[A-Za-z]{1,3}\$?\d{1,7})?$")


def column_letter(index: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" -> 1, "AA" -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


#: text -> its parse: the references and cells of one template repeat in every workbook
#: (~60 parses a file); bounded like the parts seen before
_CELLS_SEEN: dict[str, tuple[int, int]] = {}
_REFS_SEEN: dict[str, tuple[str, str] | None] = {}


def split_cell(cell: str) -> tuple[int, int]:
    """"$C$4" -> (4, 3)."""
    hit = _CELLS_SEEN.get(cell)
    if hit is not None:
        return hit
    m = _CELL.match(cell.strip())
    if not m:
        raise ValueError(f"not a cell address: {cell!r}")
    out = int(m.group(2)), column_index(m.group(1))
    _remember(_CELLS_SEEN, cell, out, len(cell))
    return out


def parse_reference(formula: str) -> tuple[str, str] | None:
    """"Project!$C$4" / "'Change Log'!$A$1:$B$2" -> (sheet, first cell without $)."""
    hit = _REFS_SEEN.get(formula, _UNSEEN)
    if hit is not _UNSEEN:
        return hit  # type: ignore[return-value]
    m = _REF.match(formula.strip().lstrip("="))
    out = None
    if m:
        sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        out = sheet, m.group(3).replace("$", "").upper()
    _remember(_REFS_SEEN, formula, out, len(formula))
    return out


def rel_kind(type_uri: str) -> str:
    """The last segment of a relationship type: "worksheet", "table", "officeDocument"..."""
    return type_uri.rstrip("/").rsplit("/", 1)[-1]


def resolve_target(source_part: str, target: str) -> str:
    """Resolve a relationship target against the part that holds the relationship."""
    if target.startswith("/"):
        resolved = posixpath.normpath(target.lstrip("/"))
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))
    return "" if resolved.startswith("..") or resolved == "." else resolved


def rels_part(part: str) -> str:
    """"xl/workbook.xml" -> "xl/_rels/workbook.xml.rels"; "" (package) -> "_rels/.rels"."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _unsafe_name(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or "\x00" in name:
        return True
    if _DRIVE.match(name):
        return True
    return ".." in name and ".." in name.split("/")


_DRIVE = re.compile(r"[A-Za-z]:")


# --------------------------------------------------------------------------- parsed parts seen before

#: Relationship lists and table parts by the exact bytes they were parsed from (and where
#: they sit): workbooks made from one template repeat most of these small parts, and a
#: portfolio reads hundreds of them. Only parts that parsed cleanly are remembered, so a
#: hostile or broken part is checked (and refused) every time.
_RELS_SEEN: dict[tuple[str, bytes], tuple[Relationship, ...]] = {}
_TABLES_SEEN: dict[tuple[bytes, str, str, str], TablePart | None] = {}
_WORKBOOKS_SEEN: dict[bytes, Any] = {}
_SEEN_MAX = 2048
_UNSEEN = object()


_SEEN_PART_MAX = 64 * 1024  # bytes: a template's parts are a few KiB; a larger one is parsed each time


def _remember(cache: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Remember ``value`` under ``key`` (which holds a part's ``size`` bytes): at most
    _SEEN_MAX entries of at most _SEEN_PART_MAX bytes each, so a long-lived process (an
    Excel session, a 10,000-file portfolio) keeps at most ~128 MiB per cache."""
    if size > _SEEN_PART_MAX:
        return
    if len(cache) >= _SEEN_MAX:
        cache.clear()
    cache[key] = value


# --------------------------------------------------------------------------- the package


class Package:
    """An open, checked OOXML package. Use :func:`open_package` to get one."""

    def __init__(self, path: Path, zf: zipfile.ZipFile) -> None:
        self.path = path
        self._zip = zf
        self._infos: dict[str, zipfile.ZipInfo] = {i.filename: i for i in zf.infolist()}
        self.names: list[str] = list(self._infos)
        self._inflated = 0
        self._xml_cache: dict[str, etree._Element] = {}
        self._lower: dict[str, str] = {}
        for n in self._infos:
            self._lower.setdefault(n.lower(), n)
        self._tables: dict[tuple[str, str], list[TablePart]] = {}
        self._rels: dict[str, tuple[Relationship, ...]] = {}
        self._by_name: dict[str, TablePart] | None = None
        self._lookup: dict[str, TablePart] | None = None
        self._fd: tuple[int, int] | None = None  # (file descriptor, file size): see _read_small
        # what the workbook part says, worked out on first use (the properties below)
        self._workbook_part: str | None = None
        self._strict: bool | None = None
        self._facts_known: tuple[bool, tuple[tuple[int, str, str, str, str], ...], tuple[DefinedName, ...]] | None = None
        self._sheets: list[SheetRef] | None = None
        self._sheet_by_name: dict[str, SheetRef] | None = None
        self._defined_names: list[DefinedName] | None = None
        self._names_by_name: dict[str, DefinedName] | None = None

    # ---- raw access

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def zip(self) -> zipfile.ZipFile:
        """The underlying zip (read-only), e.g. for a writer copying entries unchanged."""
        return self._zip

    def has(self, name: str) -> bool:
        return name in self._infos

    def info(self, name: str) -> zipfile.ZipInfo:
        return self._infos[name]

    def find(self, name: str) -> str | None:
        """The stored name matching ``name`` case-insensitively (OPC names are)."""
        if name in self._infos:
            return name
        return self._lower.get(name.lower())

    def read(self, name: str) -> bytes:
        """Inflate one part, refusing to go past its declared size or the package limit."""
        found = self.find(name)
        if found is None:
            raise _refuse(f"the workbook is damaged: part {name!r} is missing", self.path)
        info = self._infos[found]
        if info.file_size <= _SMALL_PART:
            data = self._read_small(info)
            if data is not None:
                return data
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as fh:
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    self._inflated += len(chunk)
                    if size > info.file_size:
                        raise _refuse(f"refused: part {found!r} inflates past its declared size (a lying zip header)", self.path)
                    if self._inflated > MAX_TOTAL_SIZE:
                        raise _refuse(f"refused: the package inflates to more than {_size(MAX_TOTAL_SIZE)}", self.path)
                    chunks.append(chunk)
        except NotAWorkbook:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise _refuse(f"the workbook is damaged: part {found!r} cannot be read ({_one_line(exc)})", self.path) from None
        if size != info.file_size:
            raise _refuse(f"the workbook is damaged: part {found!r} is shorter than declared", self.path)
        return b"".join(chunks)

    def _read_small(self, info: zipfile.ZipInfo) -> bytes | None:
        """A small part read with one ``pread`` and one inflate (a fifth of what a
        ``ZipExtFile`` costs: the reader reads ~30 such parts per workbook), or None to let
        :meth:`read` do it the long way -- which also gives its exact error for anything
        off: a local header that disagrees, bad data, a wrong size or CRC."""
        if _pread is None or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None
        # the one read is sized by the *compressed* size the directory declares: a lying
        # (ZIP64) directory must not make it reserve terabytes -- deflate never grows a
        # small part by more than a few bytes per 16 KiB block
        if info.compress_size > info.file_size + info.file_size // 1000 + 64:
            return None
        try:
            if self._zip.fp is None:  # closed: the long way says so
                return None
            if self._fd is None:  # the file and its size, looked up once for all its small parts
                fd = self._zip.fp.fileno()
                self._fd = fd, os.fstat(fd).st_size
            fd, file_size = self._fd
            if info.header_offset + info.compress_size > file_size:
                return None
            text = info.orig_filename
            # an ASCII name is the same bytes in both encodings: the C codec, not cp437's Python one
            name = text.encode("utf-8" if info.flag_bits & 0x800 or text.isascii() else "cp437")
            size = _LOCAL_HEADER.size + len(name) + info.compress_size
            # one read when the local header has no extra field (the usual case), else a second
            raw = _pread(fd, size, info.header_offset)
            if len(raw) < _LOCAL_HEADER.size:
                return None
            magic, *_fields, n_len, x_len = _LOCAL_HEADER.unpack_from(raw)
            if magic != b"PK\x03\x04" or n_len != len(name):
                return None
            if x_len:
                raw += _pread(fd, x_len, info.header_offset + size)
            if len(raw) != size + x_len or raw[_LOCAL_HEADER.size : _LOCAL_HEADER.size + n_len] != name:
                return None
            raw = raw[_LOCAL_HEADER.size + n_len + x_len :]
            if info.compress_type == zipfile.ZIP_STORED:
                data = raw
            else:
                inflater = zlib.decompressobj(-15)
                data = inflater.decompress(raw, info.file_size + 1)
                if not inflater.eof:
                    return None
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                return None
        except (OSError, ValueError, AttributeError, MemoryError, zlib.error, struct.error):
            return None
        if self._inflated + len(data) > MAX_TOTAL_SIZE:
            return None  # the long way refuses it with its message
        self._inflated += len(data)
        return data

    def xml(self, name: str, *, transitional: bool = True) -> etree._Element:
        """Read and safely parse one XML part (cached when ``transitional``)."""
        if transitional and name in self._xml_cache:
            return self._xml_cache[name]
        root = parse_xml(self.read(name), part=name, path=self.path, transitional=transitional)
        if transitional:
            self._xml_cache[name] = root
        return root

    def rels(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` ("" for the package's own ``_rels/.rels``)."""
        name = "_rels/.rels" if part == "" else rels_part(part)
        if self.find(name) is None:
            return []
        if name not in self._rels:
            data = self.read(name)
            key = (part, data)
            hit = _RELS_SEEN.get(key)
            if hit is None:  # bytes parsed before (another workbook of the same template) give the same list
                hit = tuple(self._parse_rels(part, parse_xml(data, part=name, path=self.path)))
                _remember(_RELS_SEEN, key, hit, len(data))
            self._rels[name] = hit
        return list(self._rels[name])

    @staticmethod
    def _parse_rels(part: str, root: etree._Element) -> list[Relationship]:
        out = []
        for el in root.iter(f"{PR}Relationship"):
            target = el.get("Target", "")
            external = el.get("TargetMode") == "External"
            out.append(
                Relationship(
                    id=el.get("Id", ""),
                    type=el.get("Type", ""),
                    target=target if external else resolve_target(part, target),
                    external=external,
                )
            )
        return out

    # ---- the workbook

    @property
    def workbook_part(self) -> str:
        """Name of the workbook part (normally ``xl/workbook.xml``)."""
        if self._workbook_part is None:
            self._workbook_part = self._find_workbook_part()
        return self._workbook_part

    def _find_workbook_part(self) -> str:
        for rel in self.rels(""):
            if rel.kind == "officeDocument" and not rel.external and rel.target:
                found = self.find(rel.target)
                if found:
                    return found
        found = self.find("xl/workbook.xml")
        if found:
            return found
        raise _refuse("a zip file but not an Excel workbook (no workbook part)", self.path)

    @property
    def workbook(self) -> etree._Element:
        return self.xml(self.workbook_part)

    @property
    def strict(self) -> bool:
        """True for a strict-OOXML workbook (ISO 29500 strict namespaces)."""
        if self._strict is None:
            self._strict = b"purl.oclc.org/ooxml/spreadsheetml" in self.read(self.workbook_part)[:4096]
        return self._strict

    @property
    def _facts(self) -> tuple[bool, tuple[tuple[int, str, str, str, str], ...], tuple[DefinedName, ...]]:
        """What the workbook part says: (date1904, its sheets as (position, name, r:id,
        sheetId, state), its defined names). Remembered by the part's exact bytes, so a
        workbook part seen before (the same template) is not parsed again."""
        if self._facts_known is None:
            self._facts_known = self._read_facts()
        return self._facts_known

    def _read_facts(self) -> tuple[bool, tuple[tuple[int, str, str, str, str], ...], tuple[DefinedName, ...]]:
        data = self.read(self.workbook_part)
        known = _WORKBOOKS_SEEN.get(data)
        if known is not None:
            return known
        root = parse_xml(data, part=self.workbook_part, path=self.path)
        self._xml_cache.setdefault(self.workbook_part, root)
        pr = root.find(f"{M}workbookPr")
        date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true", "on")
        sheets_el = root.find(f"{M}sheets")
        sheets = tuple(
            (index, el.get("name", ""), el.get(f"{R}id", ""), el.get("sheetId", "0"), el.get("state", "visible"))
            for index, el in enumerate(sheets_el if sheets_el is not None else ())
            if el.tag == f"{M}sheet"
        )
        names = []
        names_el = root.find(f"{M}definedNames")
        for el in names_el if names_el is not None else ():
            if el.tag != f"{M}definedName":
                continue
            local = el.get("localSheetId")
            names.append(
                DefinedName(
                    name=el.get("name", ""),
                    formula=(el.text or "").strip(),
                    local_sheet_id=int(local) if local and local.isdigit() else None,
                    hidden=(el.get("hidden") or "").lower() in ("1", "true"),
                )
            )
        facts = (date1904, sheets, tuple(names))
        _remember(_WORKBOOKS_SEEN, data, facts, len(data))
        return facts

    @property
    def date1904(self) -> bool:
        """True when the workbook uses the 1904 date system."""
        return self._facts[0]

    @property
    def sheets(self) -> list[SheetRef]:
        """The sheets in workbook order, with their part names."""
        if self._sheets is None:
            self._sheets = self._read_sheets()
        return self._sheets

    def _read_sheets(self) -> list[SheetRef]:
        rels = {r.id: r for r in self.rels(self.workbook_part)}
        out = []
        for index, name, rid, sheet_id_text, state in self._facts[1]:
            rel = rels.get(rid)
            part = self.find(rel.target) if rel and not rel.external and rel.target else None
            try:
                sheet_id = int(sheet_id_text)
            except ValueError:
                sheet_id = 0
            out.append(
                SheetRef(
                    name=name,
                    part=part or "",
                    sheet_id=sheet_id,
                    rid=rid,
                    index=index,
                    state=state,
                    kind=rel.kind if rel else "worksheet",
                )
            )
        return out

    def sheet(self, name: str) -> SheetRef | None:
        """The sheet called ``name`` (Excel sheet names are case-insensitive)."""
        index = self._sheet_by_name
        if index is None:
            index = self._sheet_by_name = self._sheet_index()
        return index.get(name.lower())

    def _sheet_index(self) -> dict[str, SheetRef]:
        index: dict[str, SheetRef] = {}
        for s in self.sheets:
            index.setdefault(s.name.lower(), s)  # the first of equal names, as a scan finds it
        return index

    @property
    def defined_names(self) -> list[DefinedName]:
        if self._defined_names is None:
            self._defined_names = list(self._facts[2])
        return self._defined_names

    def defined_name(self, name: str) -> DefinedName | None:
        """The workbook-scoped defined name ``name`` (case-insensitive), else a sheet-scoped one."""
        index = self._names_by_name
        if index is None:
            index = self._names_by_name = self._name_index()
        return index.get(name.lower())

    def _name_index(self) -> dict[str, DefinedName]:
        """Lower-case name -> what :meth:`defined_name` answers: the first workbook-scoped
        definition, else the first sheet-scoped one."""
        index: dict[str, DefinedName] = {}
        for d in self.defined_names:
            low = d.name.lower()
            known = index.get(low)
            if known is None or (known.local_sheet_id is not None and d.local_sheet_id is None):
                index[low] = d
        return index

    def tables(self, sheet: SheetRef) -> list[TablePart]:
        """The tables on ``sheet``, in the order of its relationships (parsed once)."""
        if not sheet.part:
            return []
        key = (sheet.name, sheet.part)
        if key not in self._tables:
            self._tables[key] = self._read_tables(sheet)
        return list(self._tables[key])

    def _read_tables(self, sheet: SheetRef) -> list[TablePart]:
        out: list[TablePart] = []
        for rel in self.rels(sheet.part):
            if rel.kind != "table" or rel.external or not rel.target:
                continue
            part = self.find(rel.target)
            if part is None:
                continue
            data = self.read(part)
            key = (data, sheet.name, sheet.part, part)
            known = _TABLES_SEEN.get(key, _UNSEEN)
            if known is not _UNSEEN:  # the same bytes parsed before: the same table (or not a table)
                if known is not None:
                    out.append(cast(TablePart, known))
                continue
            el = parse_xml(data, part=part, path=self.path)
            if el.tag != f"{M}table":
                _remember(_TABLES_SEEN, key, None, len(data))
                continue
            cols_el = el.find(f"{M}tableColumns")
            columns = tuple(
                c.get("name", "") for c in (cols_el if cols_el is not None else ()) if c.tag == f"{M}tableColumn"
            )
            try:
                table = TablePart(
                    name=el.get("displayName") or el.get("name") or "",
                    ref=el.get("ref", ""),
                    columns=columns,
                    sheet=sheet.name,
                    sheet_part=sheet.part,
                    part=part,
                    id=int(el.get("id", "0") or 0),
                    internal_name=el.get("name", ""),
                    header_row_count=int(el.get("headerRowCount", "1") or 1),
                    totals_row_count=int(el.get("totalsRowCount", "0") or 0),
                )  # (its ref parsed: a bad one raises ValueError)
            except ValueError:
                raise _refuse(f"the workbook is damaged: table part {part!r} has a bad range {el.get('ref')!r}", self.path) from None
            _remember(_TABLES_SEEN, key, table, len(data))
            out.append(table)
        return out

    def tables_by_name(self) -> dict[str, TablePart]:
        """Every table in the workbook by display name (case kept; see :meth:`table`)."""
        if self._by_name is None:
            out: dict[str, TablePart] = {}
            for sheet in self.sheets:
                for t in self.tables(sheet):
                    out.setdefault(t.name, t)
            self._by_name = out
        return dict(self._by_name)

    def table(self, name: str) -> TablePart | None:
        """Table ``name`` (display or internal name, case-insensitive, as Excel treats them)."""
        if self._lookup is None:
            lookup: dict[str, TablePart] = {}
            for t in self.tables_by_name().values():  # the first table with either name wins
                lookup.setdefault(t.name.lower(), t)
                lookup.setdefault(t.internal_name.lower(), t)
            self._lookup = lookup
        return self._lookup.get(name.lower())


# --------------------------------------------------------------------------- opening


def _size(n: int) -> str:
    size = float(n)  # (a float from the start: "5 bytes" reads the same)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _sniff(path: Path) -> None:
    """Checks on the raw file before it is treated as a zip."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _refuse("file not found", path) from None
    except OSError as exc:
        raise _refuse(f"cannot be read ({exc.strerror or exc})", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse("is a folder, not a workbook file", path)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse("is not a regular file", path)
    if st.st_size == 0:
        raise _refuse("the file is empty (0 bytes), not a workbook", path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise _refuse(f"cannot be read ({exc.strerror or exc})", path) from None
    if head.startswith(OLE_MAGIC):
        raise _refuse("password-protected (encrypted) workbook or old .xls: save it as .xlsx without a password", path)
    if not head.startswith(ZIP_MAGICS):
        what = "looks like text (CSV?)" if _looks_like_text(path) else "is not a zip package"
        raise _refuse(f"not an Excel workbook (.xlsx/.xlsm): the file {what}", path)


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        sample = fh.read(2048)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


def _check_entries(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Central-directory checks, before anything is inflated."""
    if len(infos) > MAX_ENTRIES:
        raise _refuse(f"refused: the package has {len(infos):,} parts (limit {MAX_ENTRIES:,}), a possible zip bomb", path)
    total = 0
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise _refuse(f"refused: unsafe part name {name!r} in the package", path)
        if info.flag_bits & 0x1:
            raise _refuse("password-protected (encrypted) zip entries: save it as .xlsx without a password", path)
        total += info.file_size
        if total > MAX_TOTAL_SIZE:
            raise _refuse(
                f"refused: the package would inflate to more than {_size(MAX_TOTAL_SIZE)} (a possible zip bomb)", path
            )
        if info.file_size > RATIO_MIN_SIZE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise _refuse(
                    f"refused: part {name!r} is compressed {ratio:,.0f}:1 (limit {MAX_RATIO}:1), a possible zip bomb",
                    path,
                )


def open_package(path: str | Path) -> Package:
    """Open ``path`` as an OOXML workbook package, refusing anything unsafe or broken.

    Raises :class:`~pmo_xl.errors.NotAWorkbook` (one line naming the file). Nothing is
    inflated before the central directory has passed the zip-bomb and name checks. The
    file is opened read-only and never modified.
    """
    path = Path(path)
    _sniff(path)
    try:
        zf = zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as exc:
        raise _refuse(f"the workbook is damaged (truncated or corrupt zip: {_one_line(exc)})", path) from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _refuse(f"the workbook is damaged (cannot read the zip: {_one_line(exc)})", path) from None
    try:
        infos = zf.infolist()
        _check_entries(path, infos)
        pkg = Package(path, zf)
        if pkg.find("[Content_Types].xml") is None:
            if pkg.find("mimetype") is not None:
                raise _refuse("an OpenDocument file, not an Excel workbook: save it as .xlsx", path)
            raise _refuse("a zip file but not an Excel workbook (no [Content_Types].xml)", path)
        part = pkg.workbook_part
        if part.lower().endswith(".bin"):
            raise _refuse("a binary workbook (.xlsb) is not supported: save it as .xlsx", path)
        pkg._facts  # noqa: B018 - parse now so a broken workbook part fails here
    except BaseException:
        zf.close()
        raise
    return pkg


def iter_parts(pkg: Package, prefix: str = "") -> Iterator[str]:
    """Part names starting with ``prefix``, in package order."""
    for n in pkg.names:
        if n.startswith(prefix):
            yield n
