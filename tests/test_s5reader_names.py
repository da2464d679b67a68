"""A small part's local-header name check (``Package._read_small``): an ASCII name is
encoded by the C codec whatever the zip's UTF-8 flag says, which is right because ASCII
is the same bytes in cp437 and UTF-8; other names keep the encoding the flag names."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pmo_xl.io.package import Package


def test_ascii_is_the_same_bytes_in_cp437_and_utf8() -> None:
    text = "".join(chr(i) for i in range(128))
    assert text.encode("cp437") == text.encode("utf-8") == text.encode("ascii")


@pytest.mark.parametrize("name", ["xl/tables/table1.xml", "xl/tables/täble ✓.xml", "xl/Ärger.xml"])
def test_small_part_reads_as_zipfile_reads_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / "names.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, b"<table/>" * 50)
        z.writestr("plain.xml", b"<x/>")
    with zipfile.ZipFile(path) as z:
        pkg = Package(path, z)
        for info in z.infolist():
            assert pkg._read_small(info) == z.read(info)


def test_cp437_name_without_the_utf8_flag(tmp_path: Path) -> None:
    """A non-ASCII name stored as cp437 (no UTF-8 flag, as old zip tools write it)."""
    path = tmp_path / "cp437.zip"
    name = "xl/Ärger.xml"
    # zipfile writes a non-ASCII name as UTF-8 with the flag: write a stand-in of the same
    # length and put the cp437 bytes in its place (local header and central directory)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/Xrger.xml", b"<x/>" * 40)
    data = path.read_bytes()
    assert data.count(b"xl/Xrger.xml") == 2
    path.write_bytes(data.replace(b"xl/Xrger.xml", name.encode("cp437")))
    with zipfile.ZipFile(path) as z:
        (info,) = z.infolist()
        assert not info.flag_bits & 0x800 and info.filename == name
        pkg = Package(path, z)
        assert pkg._read_small(info) == z.read(info)
