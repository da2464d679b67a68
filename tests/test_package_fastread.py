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
