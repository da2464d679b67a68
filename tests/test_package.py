"""Safe opening of OOXML packages: every hostile or broken input is a NotAWorkbook with
one plain line naming the file, the file is left byte-identical, and nothing big is
inflated before the checks."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.errors import NotAWorkbook
from pmo_xl.io import package as pk
from pmo_xl.io.package import open_package, parse_reference, parse_xml

ROOT = Path(__file__).resolve().parents[1]
PMO_XL = Path(sys.executable).with_name("pmo-xl")  # the pmo-xl of the venv running the tests


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_workbook(path: Path, *, date_1904: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    ws = wb.add_worksheet("Project")
    ws.write("B4", "Code")
    ws.write("C4", "CRM-2026")
    wb.define_name("ProjectCode", "=Project!$C$4")
    plan = wb.add_worksheet("Change Log")
    plan.add_table("B3:D6", {"name": "tblLog", "columns": [{"header": h} for h in ("When", "What", "Who")]})
    wb.define_name("Quoted", "='Change Log'!$B$4:$C$5")
    wb.close()
    return path


def rewrite(src: Path, dst: Path, replace: dict[str, bytes | None] | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """Copy a package, replacing (or dropping, with None) some parts and adding others."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    zout.writestr(info.filename, replace[info.filename])
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def refused(path: Path, *needles: str) -> str:
    """open_package(path) raises NotAWorkbook, one line naming the file; file unchanged."""
    before = _digest(path) if path.is_file() else None
    with pytest.raises(NotAWorkbook) as err:
        open_package(path).close()
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    if before is not None:
        assert _digest(path) == before
    return message


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "good.xlsx")


# --------------------------------------------------------------------------- good files


def test_good_workbook_parts(good: Path) -> None:
    before = _digest(good)
    with open_package(good) as pkg:
        assert pkg.workbook_part == "xl/workbook.xml"
        assert [s.name for s in pkg.sheets] == ["Project", "Change Log"]
        assert pkg.sheets[1].part == "xl/worksheets/sheet2.xml"
        assert pkg.date1904 is False
        assert pkg.strict is False
        table = pkg.table("TBLLOG")
        assert table is not None
        assert table.name == "tblLog"
        assert table.sheet == "Change Log"
        assert table.ref == "B3:D6"
        assert table.columns == ("When", "What", "Who")
        assert table.header_row == 3
        assert table.first_data_row == 4
        assert table.last_data_row == 6
        assert table.letters == {"When": "B", "What": "C", "Who": "D"}
        assert pkg.defined_name("projectcode").target() == ("Project", "C4")
        assert pkg.defined_name("Quoted").target() == ("Change Log", "B4")
        assert pkg.defined_name("Nope") is None
    assert _digest(good) == before


def test_date1904_flag(tmp_path: Path) -> None:
    with open_package(make_workbook(tmp_path / "d.xlsx", date_1904=True)) as pkg:
        assert pkg.date1904 is True


def test_strict_namespaces_are_read_as_transitional(good: Path, tmp_path: Path) -> None:
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(strict, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            data = data.replace(pk.NS_MAIN.encode(), pk.STRICT_MAIN.encode())
            data = data.replace(pk.NS_R.encode(), pk.STRICT_R.encode())
            zout.writestr(info.filename, data)
    with open_package(strict) as pkg:
        assert pkg.strict is True
        assert [s.name for s in pkg.sheets] == ["Project", "Change Log"]
        assert pkg.table("tblLog").columns == ("When", "What", "Who")


def test_corpus_packages_open(corpus: Path) -> None:
    files = sorted(p for p in corpus.iterdir() if p.suffix in (".xlsx", ".xlsm"))
    assert len(files) > 900
    tables = 0
    for f in files:
        with open_package(f) as pkg:
            assert pkg.sheets
            tables += len(pkg.tables_by_name())
            pkg.defined_names, pkg.date1904
    assert tables > 0
    with open_package(corpus / "date_1904_02.xlsx") as pkg:
        assert pkg.date1904 is True


@given(
    sheet=st.text(alphabet=st.characters(blacklist_characters="[]:*?/\\", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=31),
    col=st.integers(1, 16384),
    row=st.integers(1, 1_048_576),
)
@settings(max_examples=200, deadline=None)
def test_parse_reference_round_trip(sheet: str, col: int, row: int) -> None:
    quoted = "'" + sheet.replace("'", "''") + "'"
    cell = f"{pk.column_letter(col)}{row}"
    assert parse_reference(f"{quoted}!${pk.column_letter(col)}${row}") == (sheet, cell)
    assert pk.split_cell(cell) == (row, col)
    assert pk.column_index(pk.column_letter(col)) == col


def test_parse_reference_rejects_non_references() -> None:
    assert parse_reference('"EUR"') is None
    assert parse_reference("Project!#REF!") is None
    assert parse_reference("SUM(A1:A3)") is None


# --------------------------------------------------------------------------- broken files


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nope.xlsx", "not found")


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    refused(folder, "folder")


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.xlsx"
    f.write_bytes(b"")
    refused(f, "empty")


def test_random_bytes(tmp_path: Path) -> None:
    f = tmp_path / "random.xlsx"
    f.write_bytes(os.urandom(4096))
    refused(f, "not an Excel workbook")


def test_csv_renamed(tmp_path: Path) -> None:
    f = tmp_path / "plan.xlsx"
    f.write_text("ID,WBS,Task\n1,1,Kick-off\n", encoding="utf-8")
    refused(f, "CSV")


def test_ole_file_is_encrypted_or_xls(tmp_path: Path) -> None:
    f = tmp_path / "secret.xlsx"
    f.write_bytes(pk.OLE_MAGIC + b"\x00" * 4088)
    refused(f, "password-protected", "save it as .xlsx")


def test_truncated_workbook(good: Path, tmp_path: Path) -> None:
    data = good.read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        f = tmp_path / f"cut{cut}.xlsx"
        f.write_bytes(data[:cut])
        refused(f, "damaged")


def test_corrupt_part_data(good: Path, tmp_path: Path) -> None:
    data = bytearray(good.read_bytes())
    info = zipfile.ZipFile(good).getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start, start + info.compress_size):
        data[i] ^= 0x5A
    f = tmp_path / "corrupt.xlsx"
    f.write_bytes(bytes(data))
    refused(f, "damaged")


def test_zip_without_workbook(tmp_path: Path) -> None:
    f = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("notes.txt", "hello")
    refused(f, "not an Excel workbook", "[Content_Types].xml")


def test_zip_with_content_types_but_no_workbook(good: Path, tmp_path: Path) -> None:
    f = rewrite(good, tmp_path / "nowb.xlsx", {"xl/workbook.xml": None})
    refused(f, "no workbook part")


def test_empty_zip(tmp_path: Path) -> None:
    f = tmp_path / "empty.xlsx"
    zipfile.ZipFile(f, "w").close()
    refused(f)


@pytest.mark.parametrize("name", ["../evil", "xl/../../evil.xml", "/etc/evil", "xl\\evil.xml", "C:/evil.xml"])
def test_path_traversal_names(good: Path, tmp_path: Path, name: str) -> None:
    f = rewrite(good, tmp_path / "evil.xlsx", extra={name: b"x"})
    refused(f, "unsafe part name")


def _zeros_entry(path: Path, name: str, size: int) -> None:
    """Append an entry of ``size`` zero bytes, streamed so memory stays small."""
    chunk = b"\x00" * (16 * 1024**2)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            left = size
            while left:
                n = min(left, len(chunk))
                fh.write(chunk[:n])
                left -= n


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bomb")
    f = make_workbook(folder / "bomb.xlsx")
    _zeros_entry(f, "xl/media/zeros.bin", 1024**3)  # 1 GiB of zeros, ~1 MiB compressed
    return f


def test_zip_bomb_refused_before_inflating(bomb: Path) -> None:
    assert bomb.stat().st_size < 5 * 1024**2
    message = refused(bomb, "zip bomb", "xl/media/zeros.bin")
    assert "compressed" in message


def test_total_size_limit(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = rewrite(good, tmp_path / "big.xlsx", extra={"xl/media/noise.bin": os.urandom(300_000)})
    with open_package(f):
        pass
    monkeypatch.setattr(pk, "MAX_TOTAL_SIZE", 200_000)
    refused(f, "would inflate to more than")


def test_entry_count_limit(good: Path, tmp_path: Path) -> None:
    f = rewrite(good, tmp_path / "many.xlsx", extra={f"xl/media/e{i}.bin": b"" for i in range(pk.MAX_ENTRIES + 1)})
    refused(f, "parts", "limit")


def _patch_sizes(path: Path, name: str, new_size: int) -> None:
    """Make the local and central headers of ``name`` declare ``new_size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, new_size)  # local header
    central = data.find(b"PK\x01\x02")
    while central != -1:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + n] == name.encode():
            struct.pack_into("<I", data, central + 24, new_size)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    else:  # pragma: no cover - the fixture always has the entry
        raise AssertionError("central header not found")
    path.write_bytes(bytes(data))


def test_lying_header_is_stopped(good: Path, tmp_path: Path) -> None:
    """A header declaring fewer bytes than the data holds: the read stops and refuses."""
    f = rewrite(good, tmp_path / "liar.xlsx", extra={"xl/media/liar.bin": b"\x00" * 5_000_000})
    _patch_sizes(f, "xl/media/liar.bin", 1000)
    with open_package(f) as pkg:
        assert pkg.info("xl/media/liar.bin").file_size == 1000
        before = _digest(f)
        with pytest.raises(NotAWorkbook) as err:
            pkg.read("xl/media/liar.bin")
        assert str(f) in str(err.value) and "\n" not in str(err.value)
    assert _digest(f) == before


def test_lying_header_on_workbook_part(good: Path, tmp_path: Path) -> None:
    f = tmp_path / "liar2.xlsx"
    f.write_bytes(good.read_bytes())
    _patch_sizes(f, "xl/workbook.xml", 100)
    refused(f, "damaged")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/><x>&lol4;</x></workbook>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x>&xxe;</x></workbook>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_refused_in_package(good: Path, tmp_path: Path, payload: bytes) -> None:
    f = rewrite(good, tmp_path / "xxe.xlsx", {"xl/workbook.xml": payload})
    refused(f, "DTD")


@pytest.mark.parametrize(
    "payload",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"),
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
    ],
    ids=["billion-laughs", "external-entity", "utf16", "external-dtd"],
)
def test_parse_xml_refuses_dtd(payload: bytes) -> None:
    with pytest.raises(NotAWorkbook, match="DTD"):
        parse_xml(payload, part="x.xml", path="book.xlsx")


def test_parse_xml_bad_xml_is_damaged() -> None:
    with pytest.raises(NotAWorkbook, match="not well-formed"):
        parse_xml(b"<a><b></a>", part="x.xml", path="book.xlsx")


def test_broken_xml_in_workbook_part(good: Path, tmp_path: Path) -> None:
    f = rewrite(good, tmp_path / "badxml.xlsx", {"xl/workbook.xml": b"<workbook><sheets>"})
    refused(f, "damaged", "xl/workbook.xml")


# --------------------------------------------------------------------------- the CLI


def test_cli_info_one_line_exit_2(tmp_path: Path, bomb: Path) -> None:
    bad = {
        "random.xlsx": os.urandom(2048),
        "secret.xlsx": pk.OLE_MAGIC + b"\x00" * 600,
        "empty.xlsx": b"",
    }
    paths = []
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    paths.append(bomb)
    for p in paths:
        before = _digest(p)
        run = subprocess.run([str(PMO_XL), "info", str(p)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr + run.stdout
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, run.stderr
        assert _digest(p) == before
