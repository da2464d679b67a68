"""Package.read's one-pread path for small parts: the same bytes as zipfile gives, and
anything off (CRC, size, local header) goes the long way with its usual refusal."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io import package as pk
from pmo_xl.io.package import open_package
from pmo_xl.io.template import build_workbook


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("fr") / "b.xlsx")


def test_every_part_reads_as_zipfile_reads_it(book: Path) -> None:
    with open_package(book) as pkg, zipfile.ZipFile(book) as zf:
        for name in pkg.names:
            info = pkg.info(name)
            fast = pkg._read_small(info)
            if pk._pread is not None:
                assert fast is not None, name
            if fast is not None:
                assert fast == zf.read(name), name
            assert pkg.read(name) == zf.read(name)


def test_stored_entries(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    with open_package(out) as pkg, zipfile.ZipFile(book) as zf:
        for name in pkg.names:
            assert pkg.read(name) == zf.read(name)
        assert pkg.tables_by_name()


def test_wrong_crc_is_damaged(book: Path) -> None:
    with open_package(book) as pkg:
        info = pkg.info("xl/workbook.xml")
        info.CRC ^= 1
        assert pkg._read_small(info) is None
        with pytest.raises(NotAWorkbook, match="damaged"):
            pkg.read("xl/workbook.xml")


def test_lying_size_is_refused(book: Path) -> None:
    with open_package(book) as pkg:
        info = pkg.info("xl/workbook.xml")
        info.file_size -= 5
        assert pkg._read_small(info) is None
        with pytest.raises(NotAWorkbook, match="damaged|declared size"):
            pkg.read("xl/workbook.xml")


def test_local_header_name_mismatch_goes_the_long_way(book: Path) -> None:
    with open_package(book) as pkg:
        info = pkg.info("xl/workbook.xml")
        info.orig_filename = "xl/workbook.xmm"
        assert pkg._read_small(info) is None


def test_package_limit_counts_small_parts(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_package(book) as pkg:
        monkeypatch.setattr(pk, "MAX_TOTAL_SIZE", pkg._inflated + 10)
        with pytest.raises(NotAWorkbook, match="inflates to more than"):
            pkg.read("xl/styles.xml")


def test_parts_seen_before_give_the_same_tables(book: Path) -> None:
    pk._RELS_SEEN.clear()
    pk._TABLES_SEEN.clear()
    with open_package(book) as pkg:
        first = pkg.tables_by_name()
        rels = pkg.rels(pkg.workbook_part)
    assert pk._TABLES_SEEN and pk._RELS_SEEN
    with open_package(book) as pkg:
        again = pkg.tables_by_name()
        assert pkg.rels(pkg.workbook_part) == rels
    assert again == first
    assert [t.first_cell for t in again.values()] == [t.first_cell for t in first.values()]


def test_a_hostile_part_is_refused_after_clean_ones(book: Path, tmp_path: Path) -> None:
    with open_package(book) as pkg:
        pkg.tables_by_name()  # the clean parts are remembered
        table_part = next(iter(pkg.tables_by_name().values())).part
        data = pkg.read(table_part)
    bad = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == table_part:
                body = body.replace(b"?>", b'?><!DOCTYPE table [<!ENTITY x "y">]>', 1)
                assert body != data
            dst.writestr(info.filename, body)
    with open_package(bad) as pkg, pytest.raises(NotAWorkbook, match="DTD"):
        pkg.tables_by_name()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_local_extra_field(book: Path, tmp_path: Path, method: int) -> None:
    out = tmp_path / "extra.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = method
            zi.extra = b"\xca\xfe\x08\x00" + b"12345678"  # an unknown extra block, in both headers
            dst.writestr(zi, src.read(info.filename))
    with open_package(out) as pkg, zipfile.ZipFile(book) as zf:
        for name in pkg.names:
            info = pkg.info(name)
            fast = pkg._read_small(info)
            if pk._pread is not None:
                assert fast == zf.read(name), name
            assert pkg.read(name) == zf.read(name)
        assert pkg.tables_by_name()


def test_workbook_facts_seen_before(book: Path) -> None:
    pk._WORKBOOKS_SEEN.clear()
    with open_package(book) as pkg:
        first = (pkg.date1904, pkg.sheets, pkg.defined_names)
    assert pk._WORKBOOKS_SEEN
    with open_package(book) as pkg:
        assert (pkg.date1904, pkg.sheets, pkg.defined_names) == first
        assert pkg.workbook.find(f"{pk.M}sheets") is not None  # the tree is still there for a writer
        assert pkg.defined_name("ProjectCode") is not None


def test_a_broken_workbook_part_is_refused_after_a_clean_one(book: Path, tmp_path: Path) -> None:
    with open_package(book):
        pass
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                body = body[: len(body) // 2]
            dst.writestr(info.filename, body)
    with pytest.raises(NotAWorkbook, match="not well-formed"):
        open_package(bad)


def test_a_lying_zip64_compressed_size_reserves_nothing(book: Path, tmp_path: Path) -> None:
    """A directory declaring a 32 TiB compressed size for a small part: the one-read path
    must not size its read by it (MemoryError, a traceback) -- the long way reads the part."""
    from pmo_xl.io.reader import load

    out = tmp_path / "zip64.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for info in dst.filelist:
            if info.filename == "xl/workbook.xml":
                info.compress_size = 2**45  # written to the central directory as ZIP64
    with open_package(out) as pkg:
        info = pkg.info("xl/workbook.xml")
        assert info.compress_size == 2**45
        assert pkg._read_small(info) is None
        with zipfile.ZipFile(book) as zf:
            assert pkg.read("xl/workbook.xml") == zf.read("xl/workbook.xml")
    assert load(out).sheets == load(book).sheets


def test_parsed_parts_are_remembered_only_when_small() -> None:
    cache: dict = {}
    pk._remember(cache, b"x" * 10, "small", 10)
    pk._remember(cache, b"y", "big", pk._SEEN_PART_MAX + 1)
    assert cache == {b"x" * 10: "small"}
