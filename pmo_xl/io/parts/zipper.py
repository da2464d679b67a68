"""The zip container: read entries, copy untouched ones raw, deflate edited ones.

Untouched entries are copied as their original compressed bytes (no decompression, no
recompression): their content, CRC, sizes and timestamps stay exactly as they were. Only
the local header is written afresh (same values; a trailing data descriptor folded in).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterable

_LOCAL = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL = struct.Struct("<4sHHHHHHLLLHHHHHLL")
_END = struct.Struct("<4sHHHHLLH")
_LIMIT = 0xFFFFFFFF

#: New parts from this size on are deflated at level 1 (speed), smaller ones at 6 (size).
BIG_PART = 1 << 20

#: Timestamp of parts pmo_xl adds (as XlsxWriter does): keeps saves deterministic.
NEW_PART_TIME = (1980, 1, 1, 0, 0, 0)


class ZipProblem(ValueError):
    """The container is not a zip we can safely read or write."""


@dataclass
class Entry:
    """One zip entry as it will be written."""

    name: str
    info: zipfile.ZipInfo | None = None  # original entry (raw copy) or None
    data: bytes | None = None  # new content (deflated on write)


class SourceZip:
    """Raw access to the entries of a zip held in memory (``infos`` from its central
    directory, already checked by :func:`pmo_xl.io.package.open_package`)."""

    def __init__(self, blob: bytes, infos: list[zipfile.ZipInfo]) -> None:
        self.blob = blob
        self.infos = infos
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise ZipProblem("the zip holds the same part twice")
        self.by_name = {i.filename: i for i in infos}

    def raw(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's compressed bytes, as stored."""
        off = info.header_offset
        head = self.blob[off : off + _LOCAL.size]
        if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
            raise ZipProblem(f"bad local header for {info.filename}")
        fields = _LOCAL.unpack(head)
        start = off + _LOCAL.size + fields[9] + fields[10]
        data = self.blob[start : start + info.compress_size]
        if len(data) != info.compress_size:
            raise ZipProblem(f"part {info.filename} is truncated")
        return data


def _dos_time(dt: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    y = max(y, 1980)
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def write_zip(out: BinaryIO, source: SourceZip | None, entries: Iterable[Entry]) -> None:
    """Write ``entries`` in order: raw copies of original entries, deflated new data."""
    central = []
    offset = 0
    count = 0
    for e in entries:
        name_bytes = e.name.encode("utf-8")
        if e.data is None:
            assert source is not None and e.info is not None
            info = e.info
            payload = source.raw(info)
            method, crc, usize = info.compress_type, info.CRC, info.file_size
            flags = info.flag_bits & ~0x08
            if not name_bytes.isascii():
                flags |= 0x800
            dtime, ddate = _dos_time(info.date_time)
            external, internal = info.external_attr, info.internal_attr
            needed = 20 if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else info.extract_version
            made = (info.create_system << 8) | needed
        else:
            raw = e.data
            # a big part (a generated sheet of thousands of rows) at level 1: ~3x faster
            # than 6, ~30 % larger; any valid deflate stream reads the same
            comp = zlib.compressobj(6 if len(raw) < BIG_PART else 1, zlib.DEFLATED, -15)
            payload = comp.compress(raw) + comp.flush()
            method, crc, usize = zipfile.ZIP_DEFLATED, zlib.crc32(raw) & _LIMIT, len(raw)
            flags = 0x800 if not name_bytes.isascii() else 0
            if e.info is not None:
                dtime, ddate = _dos_time(e.info.date_time)
                external, internal = e.info.external_attr, e.info.internal_attr
            else:
                dtime, ddate = _dos_time(NEW_PART_TIME)
                external, internal = 0, 0
            needed = 20
            made = ((e.info.create_system << 8) if e.info is not None else 0) | needed
        if flags & 0x01:
            raise ZipProblem(f"part {e.name} is encrypted")
        if usize > _LIMIT or len(payload) > _LIMIT or offset > _LIMIT:
            raise ZipProblem(f"part {e.name} needs zip64, which pmo_xl does not write")
        out.write(
            _LOCAL.pack(
                b"PK\x03\x04", needed, flags, method, dtime, ddate, crc, len(payload), usize, len(name_bytes), 0
            )
        )
        out.write(name_bytes)
        out.write(payload)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02", made, needed, flags, method, dtime, ddate, crc, len(payload), usize,
                len(name_bytes), 0, 0, 0, internal, external, offset,
            )
            + name_bytes
        )
        offset += _LOCAL.size + len(name_bytes) + len(payload)
        count += 1
    if count > 0xFFFF or offset > _LIMIT:
        raise ZipProblem("the package needs zip64, which pmo_xl does not write")
    cd = b"".join(central)
    out.write(cd)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, len(cd), offset, 0))
