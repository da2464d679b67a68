"""A VBA project writer: ``vbaProject.bin`` from module source text (MS-OVBA, MS-CFB).

No Python library writes VBA projects (XlsxWriter only embeds an existing
``vbaProject.bin``; olefile/oletools only read), so this module encodes one itself, in
the shape of the format:

* :func:`compress` / :func:`decompress` — the MS-OVBA §2.4.1 CompressedContainer
  (signature byte 0x01; chunks of up to 4096 decompressed bytes, each with a 12-bit
  size header; flag bytes announcing 8 tokens; literal bytes and 16-bit copy tokens
  whose offset/length split depends on the position in the chunk, §2.4.1.3.19.1).
* :func:`dir_stream` — the ``VBA/dir`` stream, §2.3.4.2: PROJECTINFORMATION,
  PROJECTREFERENCES, PROJECTMODULES (stored compressed).
* :func:`project_stream` — the ``PROJECT`` text stream, §2.3.1, with the CMG/DPB/GC
  values of an unprotected, visible project encrypted as §2.4.3 says (:func:`encrypt`).
* :func:`projectwm_stream` (§2.3.3) and :func:`vba_project_stream` (§2.3.4.1: the
  version-independent header with ``Version = 0xFFFF``, so the host ignores the absent
  p-code and compiles the project from its source).
* Module streams: the compressed source alone (MODULEOFFSET 0: no p-code, §2.3.4.3).
* :func:`write_cfb` — a minimal MS-CFB version 3 writer (512-byte sectors, FAT, mini
  FAT and mini stream for streams under 4096 bytes, a red-black directory tree);
  :func:`read_cfb` reads one back (used to take xlwings' own modules from the files
  it ships).

:func:`vba_project_bin` puts it together. Output is deterministic: the project ID and
the encryption seeds are derived from the content, never random or time-based.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- compression

_CHUNK = 4096


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    """(length mask, offset shift, maximum length) at ``difference`` bytes into a chunk.

    MS-OVBA §2.4.1.3.19.1 CopyToken Help: BitCount = max(ceil(log2(difference)), 4),
    LengthMask = 0xFFFF >> BitCount, MaximumLength = LengthMask + 3.
    """
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return length_mask, 16 - bit_count, length_mask + 3


def compress(data: bytes) -> bytes:
    """MS-OVBA §2.4.1.3.6 Compression: ``data`` as a CompressedContainer.

    Matches are found with hash chains over 3-byte prefixes (at most 512 candidates a
    position, nearest first; any match is valid, the spec's exhaustive search only
    finds longer ones). A chunk that would not fit in 4098 bytes is stored raw
    (§2.4.1.3.10): 4096 bytes, the last raw chunk padded with zeros.
    """
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data, start, min(start + _CHUNK, len(data)))
    return bytes(out)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    body = bytearray()
    chains: dict[bytes, list[int]] = {}
    pos = start
    while pos < end:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            length, offset = 0, 0
            if pos - start >= 1 and end - pos >= 3:
                _, _, max_len = _copy_token_help(pos - start)
                limit = min(max_len, end - pos)
                for cand in reversed(chains.get(data[pos : pos + 3], ())[-512:]):
                    n = 3
                    while n < limit and data[cand + n] == data[pos + n]:
                        n += 1
                    if n > length:
                        length, offset = n, pos - cand
                        if n == limit:
                            break
            if length >= 3:
                mask, shift, _ = _copy_token_help(pos - start)
                body += struct.pack("<H", ((offset - 1) << shift) | (length - 3))
                flags |= 1 << bit
                step = length
            else:
                body.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                if end - p >= 3:
                    chains.setdefault(data[p : p + 3], []).append(p)
            pos += step
        body[flag_at] = flags
    if len(body) + 2 <= 4098:
        return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + bytes(body)
    raw = data[start:end].ljust(_CHUNK, b"\x00")
    return struct.pack("<H", 0x3000 | (_CHUNK + 2 - 3)) + raw


def decompress(container: bytes) -> bytes:
    """MS-OVBA §2.4.1.3.1 Decompression of a CompressedContainer."""
    container = bytes(container)
    if not container or container[0] != 0x01:
        raise ValueError("not a compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise ValueError(f"truncated chunk header at byte {pos}")
        (header,) = struct.unpack_from("<H", container, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        chunk_end = min(pos + size, len(container))
        pos += 2
        chunk_start = len(out)
        if not header & 0x8000:  # raw chunk
            out += container[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", container, pos)
                pos += 2
                mask, shift, _ = _copy_token_help(len(out) - chunk_start)
                length = (token & mask) + 3
                offset = (token >> shift) + 1
                src = len(out) - offset
                if src < chunk_start:
                    raise ValueError(f"copy token reaches before its chunk at byte {pos - 2}")
                for i in range(length):  # byte by byte: a copy may overlap itself
                    out.append(out[src + i])
        pos = chunk_end
    return bytes(out)


# --------------------------------------------------------------------------- encryption


def _project_key(project_id: str) -> int:
    return sum(project_id.encode("latin-1")) & 0xFF


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """MS-OVBA §2.4.3.2 Encryption, as the hex text of a CMG/DPB/GC value.

    ``project_id`` is the ``ID="{...}"`` GUID text of the PROJECT stream (with braces);
    ``seed`` any byte (it fixes how many ignored bytes follow: (seed & 6) / 2).
    """
    version = 2
    key = _project_key(project_id)
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted_1, encrypted_1, encrypted_2 = key, seed ^ key, seed ^ version

    def put(byte: int) -> None:
        nonlocal unencrypted_1, encrypted_1, encrypted_2
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte

    for _ in range((seed & 6) // 2):
        put(0x00)  # ignored bytes: arbitrary, fixed here for deterministic output
    for byte in struct.pack("<I", len(data)) + bytes(data):
        put(byte)
    return out.hex().upper()


def decrypt(text: str) -> tuple[bytes, int]:
    """MS-OVBA §2.4.3.3 Decryption of a CMG/DPB/GC value: (data, project key)."""
    raw = bytes.fromhex(text)
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("not an MS-OVBA encrypted value (version is not 2)")
    key = seed ^ key_enc
    unencrypted_1, encrypted_1, encrypted_2 = key, key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 : ignored + 4 + length])
    if len(data) != length:
        raise ValueError("encrypted value shorter than its data length")
    return data, key


# --------------------------------------------------------------------------- the project


#: MS-OVBA §2.3.4.2.3.2.8 MODULETYPE record ids.
PROCEDURAL = 0x21
DOCUMENT = 0x22  # document and class modules

#: VB_Base of Excel's document modules (the Excel type library's Workbook, Worksheet).
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind and source text (the ``Attribute`` lines included,
    as in an exported ``.bas``/``.cls`` file without the ``VERSION``/``BEGIN`` header).

    ``kind`` is ``"procedural"`` (a standard module, ``Module=`` in PROJECT),
    ``"document"`` (ThisWorkbook, a sheet: ``Document=``) or ``"class"`` (``Class=``).
    """

    name: str
    source: str
    kind: str = "procedural"

    def __post_init__(self) -> None:
        if self.kind not in ("procedural", "document", "class"):
            raise ValueError(f"module {self.name}: kind must be procedural, document or class")
        if not self.name or not self.name.isascii() or len(self.name) > 31:
            raise ValueError(f"module name {self.name!r}: 1 to 31 ASCII characters")

    @property
    def type_id(self) -> int:
        return PROCEDURAL if self.kind == "procedural" else DOCUMENT

    def source_bytes(self, codepage: str = "cp1252") -> bytes:
        """The source in the project's code page with CRLF line ends."""
        text = self.source.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        return text.encode(codepage)


def document_module(name: str, base: str = WORKSHEET_BASE, code: str = "") -> Module:
    """A document module (ThisWorkbook, a sheet) with the attribute lines Excel writes."""
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "\r\n".join(lines) + "\r\n" + code, "document")


@dataclass(frozen=True)
class Reference:
    """A registered type-library reference (REFERENCENAME + REFERENCEREGISTERED)."""

    name: str
    libid: str


#: The references of a new Excel project (VBA and Excel themselves are implicit).
DEFAULT_REFERENCES: tuple[Reference, ...] = (
    Reference("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    Reference(
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
        r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)


@dataclass(frozen=True)
class Project:
    """A VBA project: its modules (ThisWorkbook and the sheets as document modules)."""

    modules: tuple[Module, ...]
    name: str = "VBAProject"
    references: tuple[Reference, ...] = DEFAULT_REFERENCES
    codepage: int = 1252
    lcid: int = 0x0409
    syskind: int = 3  # 64-bit Windows, as current Excel writes; the host recompiles anyway

    def __post_init__(self) -> None:
        names = [m.name.upper() for m in self.modules]
        if len(set(names)) != len(names):
            raise ValueError("module names must be unique (case-insensitive)")

    @property
    def encoding(self) -> str:
        return f"cp{self.codepage}"

    @property
    def project_id(self) -> str:
        """A GUID derived from the content (deterministic output), as ``{...}`` text."""
        digest = hashlib.sha256()
        digest.update(self.name.encode())
        for m in self.modules:
            digest.update(b"\0" + m.name.encode() + b"\0" + m.kind.encode() + b"\0" + m.source.encode("utf-8"))
        return "{" + str(uuid.UUID(bytes=digest.digest()[:16], version=4)).upper() + "}"


def _record(rid: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def dir_stream(project: Project) -> bytes:
    """The decompressed ``VBA/dir`` stream (MS-OVBA §2.3.4.2)."""
    enc = project.encoding
    name = project.name.encode(enc)
    out = bytearray()
    # PROJECTINFORMATION (§2.3.4.2.1)
    out += _record(0x0001, _u32(project.syskind))  # PROJECTSYSKIND
    out += _record(0x0002, _u32(project.lcid))  # PROJECTLCID
    out += _record(0x0014, _u32(project.lcid))  # PROJECTLCIDINVOKE
    out += _record(0x0003, _u16(project.codepage))  # PROJECTCODEPAGE
    out += _record(0x0004, name)  # PROJECTNAME
    out += _record(0x0005) + _record(0x0040)  # PROJECTDOCSTRING (+ unicode)
    out += _record(0x0006) + _record(0x003D)  # PROJECTHELPFILEPATH (both copies)
    out += _record(0x0007, _u32(0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, _u32(0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: reserved 4, major, minor
    out += _record(0x000C) + _record(0x003C)  # PROJECTCONSTANTS (+ unicode)
    # PROJECTREFERENCES (§2.3.4.2.2)
    for ref in project.references:
        out += _record(0x0016, ref.name.encode(enc)) + _record(0x003E, ref.name.encode("utf-16-le"))
        libid = ref.libid.encode(enc)
        out += _record(0x000D, _u32(len(libid)) + libid + _u32(0) + _u16(0))
    # PROJECTMODULES (§2.3.4.2.3)
    out += _record(0x000F, _u16(len(project.modules)))
    out += _record(0x0013, _u16(0xFFFF))  # PROJECTCOOKIE
    for m in project.modules:
        out += _record(0x0019, m.name.encode(enc)) + _record(0x0047, m.name.encode("utf-16-le"))
        out += _record(0x001A, m.name.encode(enc)) + _record(0x0032, m.name.encode("utf-16-le"))  # STREAMNAME
        out += _record(0x001C) + _record(0x0048)  # MODULEDOCSTRING (+ unicode)
        out += _record(0x0031, _u32(0))  # MODULEOFFSET: the stream is the compressed source
        out += _record(0x001E, _u32(0))  # MODULEHELPCONTEXT
        out += _record(0x002C, _u16(0xFFFF))  # MODULECOOKIE
        out += _record(m.type_id)  # MODULETYPE
        out += _record(0x002B)  # terminator
    out += _record(0x0010)  # dir terminator (Reserved = 0)
    return bytes(out)


#: [Host Extender Info] of an Excel project (the VBE host extender, §2.3.1.18).
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"


def project_stream(project: Project) -> bytes:
    """The ``PROJECT`` stream text (MS-OVBA §2.3.1), CRLF-terminated lines.

    CMG/DPB/GC hold, encrypted (§2.4.3), an unprotected project: protection state 0,
    no password (one 0x00 byte), visibility 0xFF.
    """
    pid = project.project_id
    seed = hashlib.sha256(pid.encode()).digest()
    unprotected, no_password, visible = _u32(0), b"\x00", b"\xff"
    lines = [f'ID="{pid}"']
    for m in project.modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{project.name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(unprotected, pid, seed[0])}"',
        f'DPB="{encrypt(no_password, pid, seed[1])}"',
        f'GC="{encrypt(visible, pid, seed[2])}"',
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in project.modules]
    return ("\r\n".join(lines) + "\r\n").encode(project.encoding)


def projectwm_stream(project: Project) -> bytes:
    """``PROJECTwm`` (MS-OVBA §2.3.3): each module name in MBCS and UTF-16, then 0x0000."""
    out = bytearray()
    for m in project.modules:
        out += m.name.encode(project.encoding) + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project_stream() -> bytes:
    """``VBA/_VBA_PROJECT`` (MS-OVBA §2.3.4.1): Reserved1 0x61CC, Version 0xFFFF (so the
    host ignores the missing performance cache and compiles from source), Reserved2 0x00,
    Reserved3 (ignored; 0x0001 as in the projects xlwings ships)."""
    return struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)


def project_streams(project: Project) -> dict[str, bytes]:
    """Every stream of the compound file, by path (``"VBA/dir"``...)."""
    streams = {
        "PROJECT": project_stream(project),
        "PROJECTwm": projectwm_stream(project),
        "VBA/_VBA_PROJECT": vba_project_stream(),
        "VBA/dir": compress(dir_stream(project)),
    }
    for m in project.modules:
        streams[f"VBA/{m.name}"] = compress(m.source_bytes(project.encoding))
    return streams


def vba_project_bin(project: Project) -> bytes:
    """The ``vbaProject.bin`` of ``project`` (an MS-CFB compound file)."""
    return write_cfb(project_streams(project))


# --------------------------------------------------------------------------- MS-CFB

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREESECT, _ENDOFCHAIN, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


def cfb_name_key(name: str) -> tuple[int, str]:
    """MS-CFB §2.6.4 order of sibling names: shorter first, then by upper-case text."""
    return len(name.encode("utf-16-le")), name.upper()


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN
    size: int = 0


def _tree(entries: list[_Entry]) -> int:
    """Link ``entries`` (sorted) as a balanced binary search tree; return the root's id.

    Each node's subtrees differ in size by at most one, so every level but the last is
    full: all black with the last level red (when it is partial) is a valid red-black
    tree (MS-CFB §2.6.4).
    """
    if not entries:
        return _NOSTREAM
    depth_of: dict[int, int] = {}

    def link(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return _NOSTREAM
        mid = (lo + hi) // 2
        e = entries[mid]
        depth_of[mid] = depth
        e.left = link(lo, mid, depth + 1)
        e.right = link(mid + 1, hi, depth + 1)
        return e.sid

    root = link(0, len(entries), 0)
    max_depth = max(depth_of.values())
    perfect = len(entries) == 2 ** (max_depth + 1) - 1
    for i, e in enumerate(entries):
        e.color = _RED if not perfect and depth_of[i] == max_depth and max_depth > 0 else _BLACK
    return root


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """An MS-CFB version 3 compound file holding ``streams`` (paths with ``/``).

    Storages are created from the paths. Streams under 4096 bytes live in the mini
    stream (64-byte mini sectors); the others in 512-byte sectors. Layout: FAT sectors,
    directory, mini FAT, mini stream, big streams. Times and CLSIDs are zero.
    """
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            found = next((c for c in node.children if c.name == part), None)
            if found is None:
                found = _Entry(part, _STORAGE)
                node.children.append(found)
            elif found.kind != _STORAGE:
                raise ValueError(f"{path}: {part} is a stream, not a storage")
            node = found
        if any(c.name == parts[-1] for c in node.children):
            raise ValueError(f"{path}: duplicate name")
        if len(parts[-1]) > 31:
            raise ValueError(f"{path}: a CFB name has at most 31 characters")
        node.children.append(_Entry(parts[-1], _STREAM, bytes(data)))

    # directory ids: depth-first, the root first
    entries: list[_Entry] = []

    def number(e: _Entry) -> None:
        e.sid = len(entries)
        entries.append(e)
        e.children.sort(key=lambda c: cfb_name_key(c.name))
        for c in e.children:
            number(c)

    number(root)
    for e in entries:
        if e.kind in (_STORAGE, _ROOT):
            e.child = _tree(e.children)

    # mini stream and mini FAT
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != _STREAM:
            continue
        e.size = len(e.data)
        if e.size == 0:
            e.start = _ENDOFCHAIN
        elif e.size < _MINI_CUTOFF:
            first = len(minifat)
            n = -(-e.size // _MINI_SECTOR)
            minifat += [first + i + 1 for i in range(n - 1)] + [_ENDOFCHAIN]
            mini += e.data.ljust(n * _MINI_SECTOR, b"\x00")
            e.start = first
        else:
            big.append(e)

    def sectors(nbytes: int) -> int:
        return -(-nbytes // _SECTOR)

    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_big = [sectors(e.size) for e in big]
    n_data = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (_SECTOR // 4) < n_fat + n_data:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT (over ~6.8 MB)")

    fat: list[int] = [_FATSECT] * n_fat
    out_sectors: list[bytes] = []

    def place(blob: bytes, count: int) -> int:
        if count == 0:
            return _ENDOFCHAIN
        first = len(fat)
        fat.extend([first + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN])
        padded = blob.ljust(count * _SECTOR, b"\x00")
        out_sectors.extend(padded[i * _SECTOR : (i + 1) * _SECTOR] for i in range(count))
        return first

    # the directory is written last (it needs every start sector) into reserved sectors
    dir_first = place(b"", n_dir)
    minifat_bytes = b"".join(_u32(x) for x in minifat)
    minifat_first = place(minifat_bytes + b"\xff" * (n_minifat * _SECTOR - len(minifat_bytes)), n_minifat)
    root.start = place(bytes(mini), n_mini)
    root.size = len(mini)
    for e, n in zip(big, n_big):
        e.start = place(e.data, n)

    directory = bytearray()
    for e in entries:
        name = e.name.encode("utf-16-le") + b"\x00\x00"
        directory += name.ljust(64, b"\x00")
        directory += struct.pack("<HBB", len(name), e.kind, e.color)
        directory += struct.pack("<III", e.left, e.right, e.child)
        directory += bytes(16) + _u32(0) + bytes(16)  # CLSID, state bits, times
        directory += struct.pack("<IQ", e.start if e.kind != _STORAGE else 0, e.size)
    unused = bytes(64) + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", _NOSTREAM, _NOSTREAM, _NOSTREAM)
    unused += bytes(128 - len(unused))
    while len(directory) < n_dir * _SECTOR:
        directory += unused
    for i in range(n_dir):
        out_sectors[dir_first - n_fat + i] = bytes(directory[i * _SECTOR : (i + 1) * _SECTOR])

    fat += [_FREESECT] * (n_fat * (_SECTOR // 4) - len(fat))
    fat_bytes = b"".join(_u32(x) for x in fat)

    header = bytearray()
    header += _SIGNATURE + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
    header += bytes(6)
    header += struct.pack("<IIIIIIIII", 0, n_fat, dir_first, 0, _MINI_CUTOFF,
                          minifat_first, n_minifat, _ENDOFCHAIN, 0)
    difat = list(range(n_fat)) + [_FREESECT] * (109 - n_fat)
    header += b"".join(_u32(x) for x in difat)
    assert len(header) == _SECTOR
    return bytes(header) + fat_bytes + b"".join(out_sectors)


def read_cfb(blob: bytes) -> dict[str, bytes]:
    """Every stream of an MS-CFB compound file (v3 or v4), by path (``"VBA/dir"``).

    A small reader, enough for the VBA projects xlwings ships (used to take modules
    from them) and for checking :func:`write_cfb`.
    """
    if blob[:8] != _SIGNATURE:
        raise ValueError("not a compound file (bad signature)")
    sector_shift, mini_shift = struct.unpack_from("<HH", blob, 30)
    ssize, msize = 1 << sector_shift, 1 << mini_shift
    (n_fat, dir_first, _, cutoff, minifat_first, n_minifat, difat_first, n_difat) = struct.unpack_from(
        "<IIIIIIII", blob, 44)
    difat = list(struct.unpack_from("<109I", blob, 76))
    nxt = difat_first
    for _ in range(n_difat):
        words = struct.unpack_from(f"<{ssize // 4}I", blob, ssize + nxt * ssize)
        difat += words[:-1]
        nxt = words[-1]
    fat: list[int] = []
    for s in difat[:n_fat]:
        fat += struct.unpack_from(f"<{ssize // 4}I", blob, ssize + s * ssize)

    def chain(first: int) -> bytes:
        out, s, seen = bytearray(), first, set()
        while s < 0xFFFFFFFA:
            if s in seen:
                raise ValueError("loop in a sector chain")
            seen.add(s)
            out += blob[ssize + s * ssize : ssize + (s + 1) * ssize]
            s = fat[s]
        return bytes(out)

    directory = chain(dir_first)
    ents = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    minifat_raw = chain(minifat_first) if n_minifat else b""
    minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw))
    root_start, root_size = struct.unpack_from("<IQ", ents[0], 116)
    ministream = chain(root_start)[:root_size] if root_size else b""

    def stream(e: bytes) -> bytes:
        start, size = struct.unpack_from("<IQ", e, 116)
        if ssize == 512:  # v3: the high 32 bits may hold garbage (MS-CFB §2.6.3)
            size &= 0xFFFFFFFF
        if size >= cutoff:
            return chain(start)[:size]
        out, s = bytearray(), start
        while s < 0xFFFFFFFA and len(out) < size:
            out += ministream[s * msize : (s + 1) * msize]
            s = minifat[s]
        return bytes(out[:size])

    result: dict[str, bytes] = {}

    def walk(sid: int, prefix: str) -> None:
        if sid == _NOSTREAM:
            return
        e = ents[sid]
        name_len, kind = struct.unpack_from("<HB", e, 64)
        left, right, child = struct.unpack_from("<III", e, 68)
        name = e[: max(name_len - 2, 0)].decode("utf-16-le")
        walk(left, prefix)
        if kind == _STREAM:
            result[prefix + name] = stream(e)
        elif kind == _STORAGE:
            walk(child, prefix + name + "/")
        walk(right, prefix)

    walk(struct.unpack_from("<I", ents[0], 76)[0], "")
    return result


def module_source(streams: Mapping[str, bytes], name: str, codepage: str = "cp1252") -> str:
    """Source text of module ``name`` of a project read with :func:`read_cfb` (the
    stream from its MODULEOFFSET, decompressed)."""
    offset = _module_offsets(decompress(streams["VBA/dir"]))[name]
    return decompress(streams[f"VBA/{name}"][offset:]).decode(codepage)


def _module_offsets(dir_data: bytes) -> dict[str, int]:
    """{module name: MODULEOFFSET} from a decompressed dir stream."""
    offsets: dict[str, int] = {}
    pos, current = 0, ""
    while pos + 6 <= len(dir_data):
        rid, size = struct.unpack_from("<HI", dir_data, pos)
        if rid == 0x0009:  # PROJECTVERSION: its "size" is a reserved field, 6 bytes follow
            size = 6
        payload = dir_data[pos + 6 : pos + 6 + size]
        if rid == 0x0019:
            current = payload.decode("latin-1")
        elif rid == 0x0031:
            offsets[current] = struct.unpack("<I", payload)[0]
        elif rid == 0x0010:
            break
        pos += 6 + size
    return offsets


def parse_dir_records(dir_data: bytes) -> list[tuple[int, bytes]]:
    """The (record id, payload) sequence of a decompressed dir stream, in order."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 6 <= len(dir_data):
        rid, size = struct.unpack_from("<HI", dir_data, pos)
        if rid == 0x0009:
            size = 6
        out.append((rid, dir_data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
        if rid == 0x0010:
            break
    return out


__all__ = [
    "DOCUMENT", "PROCEDURAL", "WORKBOOK_BASE", "WORKSHEET_BASE", "Module", "Project", "Reference",
    "compress", "decompress", "decrypt", "dir_stream", "document_module", "encrypt", "module_source",
    "parse_dir_records", "project_stream", "project_streams", "projectwm_stream", "read_cfb",
    "vba_project_bin", "vba_project_stream", "write_cfb",
]
