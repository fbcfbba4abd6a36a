"""read_workbook: what it reads (cells, rows, encodings, sources) and what it refuses, with which code.

A refusal is always `UnreadableFile`; its `code` is checked exactly, and its text must name the file and say
what is wrong, because that text is what the upload page and the CLI show.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import time
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tracker.config import Settings, load_settings
from tracker.ingest import reader
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import Workbook, read_workbook

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
MiB = 1024 * 1024

# --- helpers -----------------------------------------------------------------------------------


def expect_unreadable(
    source: Any, filename: str | None, code: str, says: str, settings: Settings | None = None
) -> UnreadableFile:
    """Read `source`, expecting a refusal with `code` whose message names the file and matches `says`."""
    with pytest.raises(UnreadableFile) as exc_info:
        read_workbook(source, filename, settings=settings or load_settings({}))
    exc = exc_info.value
    shown = filename or exc.filename
    assert exc.code == code, f"expected {code}, got {exc.code}: {exc}"
    assert exc.filename == shown
    assert str(exc).startswith(f"{shown}: "), str(exc)
    assert re.search(says, exc.message, re.IGNORECASE), f"{exc.message!r} does not match {says!r}"
    return exc


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """Same as the make_xlsx fixture, for use inside parametrize lists."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def replace_in_zip(data: bytes, member: str, change: Callable[[bytes], bytes] | None) -> bytes:
    """A copy of a zip with one member changed (or dropped when `change` is None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == member:
                if change is None:
                    continue
                content = change(content)
            zout.writestr(info.filename, content)
    return out.getvalue()


# A minimal .xlsx written by hand, so a sheet's XML can be streamed in (for zip bombs).
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def hand_built_xlsx(filler: bytes = b"", repeat: int = 0) -> bytes:
    """A valid one-sheet .xlsx (A1 = "Ref") whose sheet XML carries `filler` * `repeat` after row 1.

    The sheet is streamed into the archive, so a bomb of hundreds of MB never sits in memory.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for _ in range(repeat):
                sheet.write(filler)
            sheet.write(_SHEET_TAIL)
    return buf.getvalue()


def declared_size(data: bytes, member: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.getinfo(member).file_size


SPACES_1MIB = b" " * MiB
EMPTY_ROWS_1MIB = b"<row/>" * (MiB // 6)


@pytest.fixture(scope="module")
def bomb_default_limits() -> bytes:
    """160 MiB of sheet XML (over the 100 MB any small file may expand to) in about 160 KB."""
    return hand_built_xlsx(SPACES_1MIB, 160)


@pytest.fixture
def no_xml_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the reader gets as far as handing the archive to the spreadsheet parser."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the workbook XML was parsed; the archive should have been refused first")

    monkeypatch.setattr(reader, "_read_calamine", refuse)


# --- refusals: not a spreadsheet at all -----------------------------------------------------------

DOCX_LIKE = zip_of(
    {
        "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
        "word/document.xml": '<?xml version="1.0"?><document/>',
    }
)
ANY_ZIP = zip_of({"readme.txt": "hello", "photos/a.jpg": b"\xff\xd8\xff\xe0" + bytes(100)})


@pytest.mark.parametrize(
    ("filename", "data", "code", "says"),
    [
        pytest.param(
            "plan.xlsx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            "not_spreadsheet",
            r"not a spreadsheet.*PDF",
            id="pdf-renamed-xlsx",
        ),
        pytest.param("plan.csv", b"%PDF-1.4\n", "not_spreadsheet", r"not a spreadsheet.*PDF", id="pdf-renamed-csv"),
        pytest.param(
            "plan.xlsx",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(20),
            "not_spreadsheet",
            r"PNG image",
            id="png",
        ),
        pytest.param(
            "plan.xlsx",
            b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(20),
            "not_spreadsheet",
            r"JPEG image",
            id="jpeg",
        ),
        pytest.param("plan.xlsx", b"\x1f\x8b\x08\x00" + bytes(20), "not_spreadsheet", r"gzip archive", id="gzip"),
        pytest.param(
            "plan.xls",
            b"<!DOCTYPE html>\n<html><body><table></table></body></html>",
            "not_spreadsheet",
            r"HTML page",
            id="html-as-xls",
        ),
        pytest.param(
            "plan.xlsx",
            b"Ref,Status\nD1,On track\n",
            "corrupt",
            r"not a valid \.xlsx workbook",
            id="text-named-xlsx",
        ),
        pytest.param("plan.xls", b"just some text\n", "corrupt", r"not a valid \.xls workbook", id="text-named-xls"),
        pytest.param("plan.ods", b"just some text\n", "corrupt", r"not a valid \.ods workbook", id="text-named-ods"),
        pytest.param(
            "report.xlsx",
            DOCX_LIKE,
            "not_spreadsheet",
            r"Office document but not a spreadsheet",
            id="docx-like-zip",
        ),
        pytest.param("plan.xlsx", ANY_ZIP, "not_spreadsheet", r"zip archive, not a spreadsheet", id="arbitrary-zip"),
        pytest.param(
            "plan.zip",
            ANY_ZIP,
            "not_spreadsheet",
            r"zip archive, not a spreadsheet",
            id="arbitrary-zip-named-zip",
        ),
        pytest.param("plan.pdf", b"Ref,Status\n", "not_spreadsheet", r"\.pdf files are not read", id="unknown-suffix"),
        pytest.param("plan.csv", b"Ref,\x00\x01\x02\x00", "not_spreadsheet", r"binary data", id="binary-named-csv"),
        pytest.param(
            "plan.csv",
            b"Ref,Status\x07\x08\n",
            "not_spreadsheet",
            r"control characters",
            id="control-chars-csv",
        ),
        pytest.param(
            "plan.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
            "corrupt",
            r"cannot be read as a spreadsheet",
            id="ole-not-excel",
        ),
    ],
)
def test_not_a_spreadsheet(filename: str, data: bytes, code: str, says: str) -> None:
    expect_unreadable(data, filename, code, says)


def test_broken_sheet_xml_is_corrupt(make_xlsx: MakeXlsx) -> None:
    good = make_xlsx({"Plan": [["Ref"], ["D1"]]})
    broken = replace_in_zip(good, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    expect_unreadable(broken, "plan.xlsx", "corrupt", r"cannot be read as a spreadsheet \(.+\)")


def test_damaged_deflate_stream_is_corrupt(make_xlsx: MakeXlsx) -> None:
    good = make_xlsx({"Plan": [["Ref"], ["D1"]] * 50})
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(good)
    start = info.header_offset + 30 + len(info.filename.encode()) + 4
    for i in range(start, start + 16):
        data[i] ^= 0xFF
    expect_unreadable(bytes(data), "plan.xlsx", "corrupt", r"cannot be read as a spreadsheet")


def test_missing_file(tmp_path: Path) -> None:
    expect_unreadable(tmp_path / "nope.xlsx", None, "not_found", r"cannot open the file")
    exc = expect_unreadable(str(tmp_path / "nope.xlsx"), "shown.xlsx", "not_found", r"No such file")
    assert exc.filename == "shown.xlsx"


# --- refusals: empty, truncated, encrypted --------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "build", "says"),
    [
        pytest.param("plan.xlsx", lambda: b"", r"^is empty$", id="no-bytes"),
        pytest.param("plan.csv", lambda: b"", r"^is empty$", id="no-bytes-csv"),
        pytest.param("plan.xlsx", lambda: b"  \r\n\t \n", r"^is empty$", id="whitespace"),
        pytest.param("plan.csv", lambda: b"\xef\xbb\xbf", r"no data in any sheet", id="bom-only-csv"),
        pytest.param("plan.csv", lambda: b",,,\n,,\n,\n", r"no data in any sheet", id="delimiters-only-csv"),
        pytest.param("plan.xlsx", lambda: xlsx_bytes({"Plan": []}), r"no data in any sheet", id="empty-sheet"),
        pytest.param(
            "plan.xlsx",
            lambda: xlsx_bytes({"A": [], "B": [[None, None]]}),
            r"no data in any sheet",
            id="two-empty-sheets",
        ),
        pytest.param(
            "plan.xlsx",
            lambda: xlsx_bytes({"A": [["   ", ""]]}),
            r"no data in any sheet",
            id="only-blank-strings",
        ),
    ],
)
def test_empty(filename: str, build: Callable[[], bytes], says: str) -> None:
    expect_unreadable(build(), filename, "empty", says)


def test_one_empty_sheet_among_others_is_fine(make_xlsx: MakeXlsx) -> None:
    wb = read_workbook(make_xlsx({"Notes": [], "Plan": [["Ref"], ["D1"]]}), "plan.xlsx")
    assert [s.name for s in wb.sheets] == ["Notes", "Plan"]
    assert wb.sheets[0].rows == []
    assert wb.sheets[1].rows == [["Ref"], ["D1"]]


@pytest.mark.parametrize("keep", [100, 0.5, 0.9, -1], ids=["first-100-bytes", "half", "90pct", "all-but-last-byte"])
def test_truncated(make_xlsx: MakeXlsx, keep: float) -> None:
    good = make_xlsx({"Plan": [["Ref", "Status"]] + [[f"D{i}", "on track"] for i in range(50)]})
    cut = int(keep) if keep >= 1 or keep < 0 else int(len(good) * keep)
    expect_unreadable(good[:cut], "plan.xlsx", "truncated", r"damaged or incomplete")


def test_password_protected_xlsx(make_xlsx: MakeXlsx) -> None:
    msoffcrypto_ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = make_xlsx({"Plan": [["Ref"], ["D1"]]})
    encrypted = io.BytesIO()
    msoffcrypto_ooxml.OOXMLFile(io.BytesIO(plain)).encrypt("s3cret", encrypted)
    data = encrypted.getvalue()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an encrypted .xlsx is an OLE container, not a zip
    expect_unreadable(data, "plan.xlsx", "encrypted", r"password-protected.*without a password")


# --- refusals: size limits and zip bombs ----------------------------------------------------------


def test_hand_built_xlsx_is_valid() -> None:
    """The bomb's container, without the bomb, reads: so a refusal below is about size, not form."""
    wb = read_workbook(hand_built_xlsx(SPACES_1MIB, 2), "small.xlsx", settings=load_settings({}))
    assert wb.sheets[0].name == "Sheet1"
    assert wb.sheets[0].rows == [["Ref"]]


def test_zip_bomb_default_limits(bomb_default_limits: bytes, no_xml_parsing: None) -> None:
    data = bomb_default_limits
    assert len(data) < 1 * MiB
    assert declared_size(data, "xl/worksheets/sheet1.xml") > 160 * MiB
    started = time.perf_counter()
    exc = expect_unreadable(data, "bomb.xlsx", "inflated", r"would expand to [\d.]+ MB .*zip bomb")
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"refusal took {elapsed:.2f}s"
    assert "would expand to 160.0 MB" in exc.message  # the declared size, as a user would see it


@pytest.mark.parametrize(
    ("filler", "repeat", "env"),
    [
        pytest.param(SPACES_1MIB, 32, {"TRACKER_MAX_UNCOMPRESSED_BYTES": str(16 * MiB)}, id="32MiB-spaces-16MiB-cap"),
        pytest.param(
            EMPTY_ROWS_1MIB,
            32,
            {"TRACKER_MAX_UNCOMPRESSED_BYTES": str(16 * MiB)},
            id="32MiB-empty-rows-16MiB-cap",
        ),
    ],
)
def test_zip_bomb_configured_cap(filler: bytes, repeat: int, env: dict[str, str], no_xml_parsing: None) -> None:
    data = hand_built_xlsx(filler, repeat)
    assert len(data) < 100 * 1024  # tens of MB squeezed into tens of KB
    started = time.perf_counter()
    expect_unreadable(data, "bomb.xlsx", "inflated", r"zip bomb", settings=load_settings(env))
    assert time.perf_counter() - started < 2


def test_small_file_inflating_a_thousandfold_is_refused() -> None:
    data = hand_built_xlsx(SPACES_1MIB, 40)
    assert len(data) < 50 * 1024
    expect_unreadable(data, "bomb.xlsx", "inflated", r"zip bomb")


def test_zip_with_understated_sizes_is_refused_quickly() -> None:
    """A bomb that lies about its sizes in the zip headers gets past the size check, but not the parser."""
    member = "xl/worksheets/sheet1.xml"
    sheet = _SHEET_HEAD + SPACES_1MIB * 8 + _SHEET_TAIL
    honest = zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES,
            "_rels/.rels": _RELS,
            "xl/workbook.xml": _WORKBOOK,
            "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
            member: sheet,
        }
    )
    settings = load_settings({"TRACKER_MAX_UNCOMPRESSED_BYTES": str(4 * MiB)})
    expect_unreadable(honest, "honest.xlsx", "inflated", r"zip bomb", settings)

    lie = 4096
    data = bytearray(honest)
    with zipfile.ZipFile(io.BytesIO(honest)) as zf:
        local = zf.getinfo(member).header_offset
    central = honest.index(b"PK\x01\x02")
    while honest[central + 46 : central + 46 + len(member)] != member.encode():  # name follows the header
        central = honest.index(b"PK\x01\x02", central + 4)
    assert data[local : local + 4] == b"PK\x03\x04"
    assert struct.unpack_from("<I", data, local + 22)[0] == len(sheet)
    assert struct.unpack_from("<I", data, central + 24)[0] == len(sheet)
    struct.pack_into("<I", data, local + 22, lie)  # uncompressed size, local file header
    struct.pack_into("<I", data, central + 24, lie)  # uncompressed size, central directory
    assert declared_size(bytes(data), member) == lie

    started = time.perf_counter()
    expect_unreadable(bytes(data), "liar.xlsx", "corrupt", r"cannot be read as a spreadsheet", settings)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("filename", "build"),
    [
        pytest.param("big.csv", lambda: b"Ref,Status\n" + b"D1,on track\n" * (2 * MiB // 12), id="csv"),
        pytest.param("big.xlsx", lambda: b"PK\x03\x04" + bytes(2 * MiB), id="xlsx"),
        pytest.param("big.pdf", lambda: b"%PDF" + bytes(2 * MiB), id="checked-before-anything-else"),
    ],
)
def test_too_large(filename: str, build: Callable[[], bytes]) -> None:
    settings = load_settings({"TRACKER_MAX_UPLOAD_BYTES": str(1 * MiB)})
    exc = expect_unreadable(build(), filename, "too_large", r"^is 2\.0 MB, over the 1\.0 MB limit$", settings)
    assert "1.0 MB" in str(exc)


def test_at_the_size_limit_is_fine() -> None:
    data = b"Ref,Status\nD1,on track\n"
    settings = load_settings({"TRACKER_MAX_UPLOAD_BYTES": str(len(data))})
    assert read_workbook(data, "plan.csv", settings=settings).sheets[0].rows[1] == ["D1", "on track"]


ROWS_200 = [["Ref", "Status"]] + [[f"D{i}", "on track"] for i in range(199)]


@pytest.mark.parametrize(
    ("filename", "build", "says"),
    [
        pytest.param(
            "plan.xlsx",
            lambda: xlsx_bytes({"Plan": ROWS_200}),
            r"sheet 'Plan' has 200 rows, over the 100-row limit",
            id="xlsx",
        ),
        pytest.param(
            "plan.csv",
            lambda: "".join(",".join(r) + "\n" for r in ROWS_200).encode(),
            r"more rows than the 100-row limit",
            id="csv",
        ),
    ],
)
def test_too_many_rows(filename: str, build: Callable[[], bytes], says: str) -> None:
    settings = load_settings({"TRACKER_MAX_ROWS": "100"})
    expect_unreadable(build(), filename, "too_many_rows", says, settings)


def test_too_many_rows_message_counts_rows_as_excel_does() -> None:
    settings = load_settings({"TRACKER_MAX_ROWS": "100"})
    data = xlsx_bytes({"Plan": ROWS_200})
    expect_unreadable(data, "plan.xlsx", "too_many_rows", r"has 200 rows", settings)


def test_rows_at_the_limit_are_fine(make_xlsx: MakeXlsx) -> None:
    settings = load_settings({"TRACKER_MAX_ROWS": "100"})
    rows = ROWS_200[:100]
    assert len(read_workbook(make_xlsx({"Plan": rows}), "p.xlsx", settings=settings).sheets[0].rows) == 100
    text = "".join(",".join(r) + "\n" for r in rows).encode()
    assert len(read_workbook(text, "p.csv", settings=settings).sheets[0].rows) == 100


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            "Ref,Name,Note\nD1,Zoë,a – b\n".encode(),
            [["Ref", "Name", "Note"], ["D1", "Zoë", "a – b"]],
            id="utf8",
        ),
        pytest.param("\ufeffRef,Name\r\nD1,Zoë\r\n".encode(), [["Ref", "Name"], ["D1", "Zoë"]], id="utf8-bom"),
        pytest.param(
            "Ref,Cost,Note\r\nD1,£5,a – b\r\n".encode("cp1252"),
            [["Ref", "Cost", "Note"], ["D1", "£5", "a – b"]],
            id="cp1252",
        ),
        pytest.param(
            b"Ref;Status;Owner\nD1;On track;Ann\nD2;Delayed;Bob\n",
            [["Ref", "Status", "Owner"], ["D1", "On track", "Ann"], ["D2", "Delayed", "Bob"]],
            id="semicolon",
        ),
        pytest.param(
            'Ref;Note;Cost\nD1;"a, b";£1,50\n'.encode("cp1252"),
            [["Ref", "Note", "Cost"], ["D1", "a, b", "£1,50"]],
            id="semicolon-cp1252-decimal-comma",
        ),
        pytest.param(b"Ref\tStatus\nD1\tOn track\n", [["Ref", "Status"], ["D1", "On track"]], id="tab"),
        pytest.param(
            b'Ref,Note\nD1,"said ""yes"", then left"\n',
            [["Ref", "Note"], ["D1", 'said "yes", then left']],
            id="quoted",
        ),
        pytest.param(
            b"Ref,Status,Owner\n  D1 , ,Ann  \n",
            [["Ref", "Status", "Owner"], ["D1", None, "Ann"]],
            id="stripped-and-blank",
        ),
        pytest.param(b"Ref\nD1\nD2\n", [["Ref"], ["D1"], ["D2"]], id="one-column"),
    ],
)
def test_csv(data: bytes, expected: list[list[Any]]) -> None:
    wb = read_workbook(data, "updates.csv", settings=load_settings({}))
    assert [s.name for s in wb.sheets] == ["updates"]
    assert wb.sheets[0].rows == expected


def test_csv_bom_does_not_reach_first_header() -> None:
    wb = read_workbook("\ufeffRef,Status\nD1,x\n".encode(), "u.csv", settings=load_settings({}))
    first = wb.sheets[0].rows[0][0]
    assert first == "Ref"
    assert isinstance(first, str) and not first.startswith("\ufeff")


def test_csv_keeps_line_numbers_across_blank_lines() -> None:
    wb = read_workbook(b"Ref,Status\n\n\nD3,late\n", "u.csv", settings=load_settings({}))
    assert wb.sheets[0].rows[3] == ["D3", "late"]


def test_bytes_without_a_name_are_read_as_csv() -> None:
    wb = read_workbook(b"Ref,Status\nD1,x\n", settings=load_settings({}))
    assert wb.filename == "upload"
    assert wb.sheets[0].rows == [["Ref", "Status"], ["D1", "x"]]


# --- xlsx cells and row numbers -------------------------------------------------------------------


def test_xlsx_cell_types(make_xlsx: MakeXlsx) -> None:
    row = [
        "  D1  ",
        date(2026, 3, 1),
        datetime(2026, 3, 1, 14, 30),
        3,
        2.5,
        4.0,
        None,
        "",
        True,
        "   ",
    ]
    wb = read_workbook(make_xlsx({"Plan": [row]}), "plan.xlsx", settings=load_settings({}))
    got = wb.sheets[0].rows[0]
    text, day, moment, integer, real, whole, blank, empty, flag, spaces = got
    assert text == "D1"
    assert type(day) is date and day == date(2026, 3, 1)
    assert type(moment) is datetime and moment == datetime(2026, 3, 1, 14, 30)
    assert type(integer) is int and integer == 3
    assert type(real) is float and real == 2.5
    assert type(whole) is int and whole == 4  # Excel stores every number as a float
    assert blank is None
    assert empty is None
    assert flag is True
    assert spaces is None


def test_xlsx_rows_keep_excel_numbering(make_xlsx: MakeXlsx) -> None:
    rows: list[list[Any]] = [[] for _ in range(6)] + [["Ref", "Status"], [], ["D1", "on track"]]
    wb = read_workbook(make_xlsx({"Plan": rows}), "plan.xlsx", settings=load_settings({}))
    sheet = wb.sheets[0]
    assert sheet.rows[6] == ["Ref", "Status"]  # Excel row 7
    assert sheet.rows[8] == ["D1", "on track"]  # Excel row 9
    assert all(all(c is None for c in r) for r in sheet.rows[:6])
    assert all(c is None for c in sheet.rows[7])


def test_xlsx_columns_keep_excel_numbering(make_xlsx: MakeXlsx) -> None:
    wb = read_workbook(make_xlsx({"Plan": [[None, "Ref", "Status"]]}), "plan.xlsx", settings=load_settings({}))
    assert wb.sheets[0].rows[0] == [None, "Ref", "Status"]


def test_sheet_lookup_ignores_case_and_spaces(make_xlsx: MakeXlsx) -> None:
    wb = read_workbook(make_xlsx({"Action Plan": [["Ref"]], "Updates": [["Ref"]]}), "p.xlsx")
    assert [s.name for s in wb.sheets] == ["Action Plan", "Updates"]
    found = wb.sheet("actionplan")
    assert found is not None and found.name == "Action Plan"
    assert wb.sheet("Missing") is None


# --- .ods ------------------------------------------------------------------------------------------


def _ods(cells_xml: Iterable[str]) -> bytes:
    """A minimal OpenDocument spreadsheet by hand (calamine wants no whitespace between elements)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Plan">'
        + "".join(f"<table:table-row>{row}</table:table-row>" for row in cells_xml)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        # The mimetype entry comes first and is stored uncompressed, as the ODF spec requires.
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _s(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def test_ods_reads() -> None:
    data = _ods(
        [
            _s("Ref") + _s("Due") + _s("Count"),
            _s("D1") + '<table:table-cell office:value-type="date" office:date-value="2026-03-01">'
            "<text:p>01/03/2026</text:p></table:table-cell>"
            '<table:table-cell office:value-type="float" office:value="3">'
            "<text:p>3</text:p></table:table-cell>",
        ]
    )
    wb = read_workbook(data, "plan.ods", settings=load_settings({}))
    assert [s.name for s in wb.sheets] == ["Plan"]
    assert wb.sheets[0].rows == [["Ref", "Due", "Count"], ["D1", date(2026, 3, 1), 3]]


# --- sources ----------------------------------------------------------------------------------------


def test_path_bytes_and_filelike_agree(make_xlsx: MakeXlsx, tmp_path: Path) -> None:
    data = make_xlsx({"Plan": [["Ref", "Due"], ["D1", date(2026, 3, 1)]], "Notes": [["x"]]})
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    settings = load_settings({})

    results: list[Workbook] = [
        read_workbook(path, settings=settings),
        read_workbook(str(path), settings=settings),
        read_workbook(data, "plan.xlsx", settings=settings),
        read_workbook(io.BytesIO(data), "plan.xlsx", settings=settings),
    ]
    with path.open("rb") as fh:
        results.append(read_workbook(fh, settings=settings))  # name taken from the file object

    expected_sha = hashlib.sha256(data).hexdigest()
    for wb in results:
        assert wb.sha256 == expected_sha
        assert wb.content == data
        assert wb.sheets == results[0].sheets
    assert [wb.filename for wb in results[:4]] == ["plan.xlsx"] * 4
    assert results[4].filename.endswith("plan.xlsx")
    assert read_workbook(io.BytesIO(data), settings=settings).filename == "upload"


def test_same_content_same_sha_whatever_the_name(make_xlsx: MakeXlsx) -> None:
    data = make_xlsx({"Plan": [["Ref"], ["D1"]]})
    a = read_workbook(data, "a.xlsx", settings=load_settings({}))
    b = read_workbook(data, "b.xlsx", settings=load_settings({}))
    assert a.sha256 == b.sha256 and len(a.sha256) == 64
