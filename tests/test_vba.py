"""pmo_xl.io.vba: MS-OVBA compression, encryption, dir/PROJECT streams and the MS-CFB writer.

Independent readers: oletools (``decompress_stream``, ``VBA_Parser``) and olefile; real
Excel-made VBA projects: the ones the installed xlwings package ships in its quickstart
workbooks.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from pmo_xl.io import vba

XLWINGS = Path(xlwings.__file__).parent
EXCEL_MADE = [XLWINGS / "quickstart.xlsm", XLWINGS / "quickstart_standalone.xlsm"]


def _excel_project(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def _ole_streams(blob: bytes) -> dict[str, bytes]:
    ole = olefile.OleFileIO(io.BytesIO(blob))
    return {"/".join(p): ole.openstream("/".join(p)).read() for p in ole.listdir()}


# --------------------------------------------------------------------------- compression


@pytest.mark.parametrize(
    ("text", "compressed"),
    [
        # MS-OVBA §3.2.1 "No Compression Example"
        (b"abcdefghijklmnopqrstuv.", "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
        # MS-OVBA §3.2.2 "Normal Compression Example"
        (b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
         "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F 70 06 71"
         " 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"),
    ],
)
def test_spec_examples_decompress(text: bytes, compressed: str) -> None:
    blob = bytes.fromhex(compressed)
    assert vba.decompress(blob) == text
    assert vba.decompress(vba.compress(text)) == text
    assert len(vba.compress(text)) <= len(blob)  # as good as the spec's own output


def test_no_match_is_all_literals_as_in_the_spec() -> None:
    text = b"abcdefghijklmnopqrstuv."
    assert vba.compress(text).hex(" ").upper() == (
        "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E")


def test_run_is_one_copy_token() -> None:
    # "a" then one token (offset 1, length 14) at difference 1: BitCount 4, so 0x000B
    assert vba.compress(b"a" * 15) == bytes.fromhex("01 03 B0 02 61 0B 00")


@pytest.mark.parametrize(
    ("difference", "bit_count"), [(1, 4), (2, 4), (16, 4), (17, 5), (32, 5), (33, 6), (2048, 11), (2049, 12), (4095, 12)]
)
def test_copy_token_help(difference: int, bit_count: int) -> None:
    # MS-OVBA §2.4.1.3.19.1: BitCount = max(ceil(log2(difference)), 4)
    mask, shift, max_len = vba._copy_token_help(difference)
    assert shift == 16 - bit_count
    assert mask == 0xFFFF >> bit_count
    assert max_len == mask + 3


def _chunks(container: bytes) -> list[tuple[int, bool]]:
    """(chunk size, compressed flag) of every chunk, walking the headers."""
    out, pos = [], 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        assert header >> 12 & 0b111 == 0b011, "chunk signature"
        size = (header & 0xFFF) + 3
        out.append((size, bool(header & 0x8000)))
        pos += size
    assert pos == len(container)
    return out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=20_000))
def test_round_trip_text(text: str) -> None:
    data = text.encode("ascii")
    packed = vba.compress(data)
    assert vba.decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data
    chunks = _chunks(packed)
    assert len(chunks) == -(-len(data) // 4096)
    assert all(size <= 4098 for size, _ in chunks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=12_000), st.lists(st.sampled_from([b"ab", b"\x00", b"Sub ", b"xyz\r\n"]),
                                                      max_size=3000).map(b"".join)))
def test_round_trip_bytes_and_agreement_with_oletools(data: bytes) -> None:
    packed = vba.compress(data)
    mine = vba.decompress(packed)
    assert mine == bytes(decompress_stream(bytearray(packed)))
    chunks = _chunks(packed)
    if chunks and not chunks[-1][1]:
        # a raw last chunk holds 4096 bytes, zero-padded (MS-OVBA §2.4.1.3.10)
        assert mine == data + bytes(len(mine) - len(data))
        assert len(mine) % 4096 == 0
    else:
        assert mine == data


def test_incompressible_chunk_is_raw() -> None:
    data = random.Random(7).randbytes(4096)
    packed = vba.compress(data)
    assert _chunks(packed) == [(4098, False)]
    assert vba.decompress(packed) == data


@pytest.mark.parametrize("path", EXCEL_MADE, ids=lambda p: p.name)
def test_decompressor_reads_excel_made_streams(path: Path) -> None:
    streams = vba.read_cfb(_excel_project(path))
    assert vba.decompress(streams["VBA/dir"]) == bytes(decompress_stream(bytearray(streams["VBA/dir"])))
    parser = VBA_Parser(path.name, data=_excel_project(path))
    extracted = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    for name, code in extracted.items():
        assert vba.module_source(streams, name) == code


def test_bad_container_is_refused() -> None:
    with pytest.raises(ValueError, match="signature"):
        vba.decompress(b"\x02\x00")


# --------------------------------------------------------------------------- encryption


@pytest.mark.parametrize("path", EXCEL_MADE, ids=lambda p: p.name)
def test_decrypts_excel_made_protection_values(path: Path) -> None:
    text = vba.read_cfb(_excel_project(path))["PROJECT"].decode("cp1252")
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    project_id = values["ID"].strip('"')
    want = {"CMG": bytes(4), "DPB": b"\x00", "GC": b"\xff"}  # unprotected, no password, visible
    for key, data in want.items():
        got, project_key = vba.decrypt(values[key].strip('"'))
        assert got == data
        assert project_key == sum(project_id.encode()) & 0xFF


@given(st.binary(max_size=64), st.integers(0, 255), st.uuids())
def test_encrypt_round_trip(data: bytes, seed: int, guid: object) -> None:
    project_id = "{" + str(guid).upper() + "}"
    text = vba.encrypt(data, project_id, seed)
    assert len(text) == 2 * (3 + (seed & 6) // 2 + 4 + len(data))
    assert vba.decrypt(text) == (data, sum(project_id.encode()) & 0xFF)


# --------------------------------------------------------------------------- project streams


PMO_SOURCE = 'Attribute VB_Name = "PMO"\r\nSub Hello()\r\n    MsgBox "hi"\r\nEnd Sub\r\n'


def _project() -> vba.Project:
    return vba.Project((
        vba.document_module("ThisWorkbook", vba.WORKBOOK_BASE),
        vba.document_module("Sheet1"),
        vba.Module("PMO", PMO_SOURCE),
        vba.Module("Klass", 'Attribute VB_Name = "Klass"\r\nPublic X As Long\r\n', "class"),
    ))


PROJECT_INFORMATION = [0x01, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C]
MODULE_RECORDS = [0x19, 0x47, 0x1A, 0x32, 0x1C, 0x48, 0x31, 0x1E, 0x2C, None, 0x2B]


def test_dir_stream_records() -> None:
    records = vba.parse_dir_records(vba.dir_stream(_project()))
    ids = [rid for rid, _ in records]
    assert ids[: len(PROJECT_INFORMATION)] == PROJECT_INFORMATION
    payload = dict(records[: len(PROJECT_INFORMATION)])
    assert len(payload[0x01]) == 4 and len(payload[0x02]) == 4 and len(payload[0x14]) == 4
    assert payload[0x03] == struct.pack("<H", 1252)
    assert payload[0x04] == b"VBAProject"
    assert len(payload[0x09]) == 6  # PROJECTVERSION: Reserved 4, then major (4) and minor (2)
    rest = ids[len(PROJECT_INFORMATION):]
    # two references: REFERENCENAME (0x16, 0x3E) + REFERENCEREGISTERED (0x0D)
    assert rest[:6] == [0x16, 0x3E, 0x0D, 0x16, 0x3E, 0x0D]
    registered = [p for rid, p in records if rid == 0x0D]
    for p in registered:
        (n,) = struct.unpack_from("<I", p)
        assert len(p) == 4 + n + 6 and p[4 + n:] == bytes(6)
        assert p[4:4 + n].startswith(b"*\\G{")
    assert rest[6:8] == [0x0F, 0x13]
    assert dict(records)[0x0F] == struct.pack("<H", 4)  # PROJECTMODULES count
    modules = rest[8:-1]
    assert rest[-1] == 0x10 and records[-1][1] == b""  # terminator, Reserved 0
    assert len(modules) == 4 * len(MODULE_RECORDS)
    types = []
    for i in range(4):
        block = modules[i * len(MODULE_RECORDS):(i + 1) * len(MODULE_RECORDS)]
        types.append(block[9])
        assert [b if j != 9 else None for j, b in enumerate(block)] == MODULE_RECORDS
    assert types == [0x22, 0x22, 0x21, 0x22]
    assert [p for rid, p in records if rid == 0x31] == [bytes(4)] * 4  # MODULEOFFSET 0: no p-code
    names = [p for rid, p in records if rid == 0x19]
    assert names == [b"ThisWorkbook", b"Sheet1", b"PMO", b"Klass"]
    assert [p for rid, p in records if rid == 0x47] == [n.decode().encode("utf-16-le") for n in names]


@pytest.mark.parametrize("path", EXCEL_MADE, ids=lambda p: p.name)
def test_dir_stream_has_the_record_layout_excel_writes(path: Path) -> None:
    excel = vba.parse_dir_records(vba.decompress(vba.read_cfb(_excel_project(path))["VBA/dir"]))
    ids = [rid for rid, _ in excel if rid != 0x4A]  # PROJECTCOMPATVERSION: optional, newer Excel only
    assert ids[: len(PROJECT_INFORMATION)] == PROJECT_INFORMATION
    first_module = ids.index(0x19)
    block = ids[first_module:first_module + len(MODULE_RECORDS)]
    assert [b if j != 9 else None for j, b in enumerate(block)] == MODULE_RECORDS


def test_project_stream() -> None:
    p = _project()
    text = vba.project_stream(p).decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == f'ID="{p.project_id}"'
    assert lines[1:5] == ["Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000", "Module=PMO", "Class=Klass"]
    values = dict(line.split("=", 1) for line in lines if "=" in line)
    assert values["Name"] == '"VBAProject"'
    assert vba.decrypt(values["CMG"].strip('"'))[0] == bytes(4)
    assert vba.decrypt(values["DPB"].strip('"'))[0] == b"\x00"
    assert vba.decrypt(values["GC"].strip('"'))[0] == b"\xff"
    assert "[Host Extender Info]" in lines and lines[-6:-1] == [
        "[Workspace]", "ThisWorkbook=0, 0, 0, 0, C", "Sheet1=0, 0, 0, 0, C", "PMO=0, 0, 0, 0, C", "Klass=0, 0, 0, 0, C"]


def test_projectwm_and_vba_project() -> None:
    wm = vba.projectwm_stream(_project())
    assert wm.startswith(b"ThisWorkbook\x00" + "ThisWorkbook".encode("utf-16-le") + b"\x00\x00Sheet1\x00")
    assert wm.endswith("Klass".encode("utf-16-le") + b"\x00\x00\x00\x00")
    head = vba.vba_project_stream()
    assert struct.unpack("<HH", head[:4]) == (0x61CC, 0xFFFF) and head[4] == 0


def test_document_module_attributes_match_excel() -> None:
    excel = vba.read_cfb(_excel_project(EXCEL_MADE[0]))
    assert vba.document_module("ThisWorkbook", vba.WORKBOOK_BASE).source == vba.module_source(excel, "ThisWorkbook")
    assert vba.document_module("Sheet1").source == vba.module_source(excel, "Sheet1")


def test_module_names_are_checked() -> None:
    with pytest.raises(ValueError, match="unique"):
        vba.Project((vba.Module("A", ""), vba.Module("a", "")))
    with pytest.raises(ValueError, match="kind"):
        vba.Module("A", "", "form")


# --------------------------------------------------------------------------- the whole project


def test_olevba_extracts_every_module_exactly() -> None:
    p = _project()
    blob = vba.vba_project_bin(p)
    parser = VBA_Parser("vbaProject.bin", data=blob)
    assert parser.detect_vba_macros()
    got = {name.rsplit(".", 1)[0]: (stream, code) for _, stream, name, code in parser.extract_macros()}
    assert set(got) == {m.name for m in p.modules}
    for m in p.modules:
        stream, code = got[m.name]
        assert stream == f"VBA/{m.name}"
        assert code == m.source


def test_olefile_lists_the_streams() -> None:
    p = _project()
    blob = vba.vba_project_bin(p)
    ole = olefile.OleFileIO(io.BytesIO(blob))
    assert sorted("/".join(x) for x in ole.listdir()) == sorted(
        ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"] + [f"VBA/{m.name}" for m in p.modules])
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    assert _ole_streams(blob) == vba.project_streams(p)


def test_output_is_deterministic() -> None:
    assert vba.vba_project_bin(_project()) == vba.vba_project_bin(_project())


# --------------------------------------------------------------------------- MS-CFB


_names = st.text(alphabet=st.sampled_from("abcXYZ_019"), min_size=1, max_size=12)
_sizes = st.sampled_from([0, 1, 63, 64, 65, 511, 512, 4095, 4096, 4097, 9000, 70_000])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.tuples(st.sampled_from(["", "VBA/", "VBA/Sub/", "Other/"]), _names).map("".join),
                       _sizes.flatmap(lambda n: st.binary(min_size=n, max_size=n) if n < 600
                                      else st.just(bytes(range(256)) * (n // 256) + bytes(n % 256))),
                       min_size=1, max_size=40))
def test_cfb_round_trip_with_olefile(streams: dict[str, bytes]) -> None:
    # a name can't be both a stream and a storage
    storages = {p.rsplit("/", 1)[0] for p in streams if "/" in p} | {"VBA"}
    streams = {k: v for k, v in streams.items() if k not in storages}
    blob = vba.write_cfb(streams)
    assert len(blob) % 512 == 0
    assert _ole_streams(blob) == streams
    assert vba.read_cfb(blob) == streams
    _check_directory_trees(blob)


def _check_directory_trees(blob: bytes) -> None:
    """Every storage's children form a binary search tree in CFB name order that is a
    valid red-black tree (black root, no red-red, equal black height)."""
    ole = olefile.OleFileIO(io.BytesIO(blob))
    entries = ole.direntries

    def walk(sid: int) -> tuple[list[str], int]:
        if sid == olefile.NOSTREAM:
            return [], 1
        e = entries[sid]
        left, lh = walk(e.sid_left)
        right, rh = walk(e.sid_right)
        assert lh == rh, "black height"
        if e.color == 0:  # red
            for child in (e.sid_left, e.sid_right):
                assert child == olefile.NOSTREAM or entries[child].color == 1, "red child of red"
        return left + [e.name] + right, lh + (e.color == 1)

    for e in entries:
        if e is not None and e.entry_type in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT) and e.sid_child != olefile.NOSTREAM:
            assert entries[e.sid_child].color == 1, "black root"
            names, _ = walk(e.sid_child)
            assert names == sorted(names, key=vba.cfb_name_key)


@pytest.mark.parametrize("path", EXCEL_MADE, ids=lambda p: p.name)
def test_cfb_reader_agrees_with_olefile_on_excel_files(path: Path) -> None:
    blob = _excel_project(path)
    assert vba.read_cfb(blob) == _ole_streams(blob)


def test_cfb_name_order() -> None:
    # MS-CFB §2.6.4: length first, then case-insensitive
    names = ["dir", "PMO", "Sheet10", "Sheet2", "_VBA_PROJECT", "xlwings", "ThisWorkbook"]
    assert sorted(names, key=vba.cfb_name_key) == ["dir", "PMO", "Sheet2", "Sheet10", "xlwings", "ThisWorkbook",
                                                   "_VBA_PROJECT"]


def test_cfb_refuses_bad_paths() -> None:
    with pytest.raises(ValueError, match="storage"):
        vba.write_cfb({"A": b"x", "A/B": b"y"})
    with pytest.raises(ValueError, match="31"):
        vba.write_cfb({"x" * 32: b""})
