"""Package._read_small looks the file and its size up once per package: reads after a close
still go the long way (and are refused there), and every part still reads as zipfile
reads it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io.package import open_package

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


def test_parts_read_as_zipfile_reads_them() -> None:
    with open_package(EXAMPLE) as pkg, zipfile.ZipFile(EXAMPLE) as zf:
        for name in pkg.names:
            assert pkg.read(name) == zf.read(name)
        assert pkg._fd is not None


@pytest.mark.parametrize("read_first", [False, True])
def test_read_after_close_is_refused(read_first: bool) -> None:
    pkg = open_package(EXAMPLE)
    if read_first:
        pkg.read("xl/workbook.xml")
    pkg.close()
    with pytest.raises(NotAWorkbook, match="cannot be read"):
        pkg.read("xl/tables/table1.xml")
