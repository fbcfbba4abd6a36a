"""Build the bad-input corpus in this folder: files the tracker must refuse, each with a clear message.

    .venv/bin/python tests/data/bad/make_bad.py      # (re)writes every file listed in CASES, byte for byte

The output is deterministic (fixed zip timestamps, seeded "random" bytes for the encrypted workbook), so
running it again changes nothing. openpyxl writes its XML through lxml when lxml is installed (requirements-dev
brings it, through pdfua's pikepdf) and through the standard library otherwise, with the same content in
different bytes: the kept files are those made with lxml, as on CI. `tests/test_bad_inputs.py` loads every file
through the tracker API, the command line and the Upload page. One case is too big to keep here:
`gigabyte_bomb()` (2 GiB of XML in a 2 MB .xlsx) is built by the test into its temporary folder.

The "good shape, bad content" files start from the product's own templates (`tracker.templates`), filled
in against the demo plan (refs U1, D1, D2, D3, V1, V2; November 2018 to October 2020).
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from tracker.templates import plan_template, updates_template, workforce_template  # noqa: E402

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
DEMO_REFS = ("U1", "D1", "D2", "D3", "V1", "V2")
MiB = 1024 * 1024


# --- building blocks --------------------------------------------------------------------------------


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps (openpyxl stamps the current time), so equal inputs give equal
    bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes the time of saving as "modified"
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def _save(wb: Any) -> bytes:
    wb.properties.created = wb.properties.modified = datetime(*FIXED_TIME)
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue())


def _fill(template: bytes, sheets: dict[str, Sequence[Any]]) -> bytes:
    """A template with rows written under each sheet's header (row 2 on). Text beginning with '=' is written as
    text, not as a formula, unless it is wrapped as Formula("...")."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    for name, rows in sheets.items():
        ws = wb[name]
        first = 5 if name == "Action plan" else 2  # the plan template has a title block and its example row
        for r, row in enumerate(rows, start=first):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c)
                if isinstance(value, Formula):
                    cell.value = "=" + value.text
                elif value is not None:
                    cell.value = value
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # text that looks like a formula, as a user typed it with '
    return _save(wb)


class Formula:
    """A real formula for `_fill` (openpyxl writes it with no saved result, as any program but Excel does)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _updates(**sheets: Sequence[Any]) -> bytes:
    return _fill(updates_template(refs=DEMO_REFS), sheets)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)


def _workbook_parts(names: list[str]) -> dict[str, bytes]:
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, start=1))
    rels = "".join(
        f'<Relationship Id="rId{i}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    return {
        "[Content_Types].xml": _CONTENT_TYPES.encode(),
        "_rels/.rels": _RELS.encode(),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>"
        ).encode(),
    }


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _esc(s: str) -> str:
    """Text for an XML element as Excel writes it: control characters as _xHHHH_ escapes."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 and ch not in "\t\n\r" else ch for ch in s)


def _cell(ref: str, value: Any) -> str:
    """One <c> element: str → inline text; int/float → number; ("f", formula, cached, type) → a formula with
    its saved result (type "str" for text, "e" for an error, "n" for a number)."""
    if isinstance(value, tuple):
        _, formula, cached, typ = value
        t = "" if typ == "n" else f' t="{typ}"'
        return f'<c r="{ref}"{t}><f>{_esc(formula)}</f><v>{_esc(str(cached))}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(value)}</t></is></c>'


def _letters(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _sheet_xml(rows: Sequence[Any]) -> bytes:
    body = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_letters(j)}{i}", v) for j, v in enumerate(row) if v is not None)
        body.append(f'<row r="{i}">{cells}</row>')
    return SHEET_HEAD + "".join(body).encode() + SHEET_TAIL


def _hand_xlsx(sheets: dict[str, bytes]) -> bytes:
    """An .xlsx written directly from worksheet XML (for what openpyxl will not write)."""
    parts = _workbook_parts(list(sheets))
    for i, xml in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _deflate(chunks: Callable[[], Any], level: int = 9) -> tuple[bytes, int, int]:
    """Raw deflate of the byte chunks `chunks()` yields: (compressed, CRC-32, uncompressed size)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for chunk in chunks():
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out), crc, size


def _raw_zip(members: list[tuple[str, bytes, int, int, int]], central: list[tuple[str, int]]) -> bytes:
    """A zip written field by field. `members`: (name, deflated data, crc, declared size, real size) stored in
    order; `central`: (name, index of the member whose data it points at), so entries may share data."""
    out = bytearray()
    offsets = []
    for name, data, crc, declared, _ in members:
        offsets.append(len(out))
        n = name.encode()
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), declared, len(n), 0)
        out += n + data
    cd_start = len(out)
    for name, index in central:
        _, data, crc, declared, _ = members[index]
        n = name.encode()
        out += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            declared,
            len(n),
            0,
            0,
            0,
            0,
            0,
            offsets[index],
        )
        out += n
    cd_size = len(out) - cd_start
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), cd_size, cd_start, 0)
    return bytes(out)


def _blank_sheet(mib: int) -> Callable[[], Any]:
    """A worksheet of `mib` MiB: one header cell, then spaces (valid XML, nothing in it)."""

    def chunks() -> Any:
        yield SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
        block = b" " * MiB
        for _ in range(mib):
            yield block
        yield SHEET_TAIL

    return chunks


def _workbook_members(sheet_names: list[str]) -> list[tuple[str, bytes, int, int, int]]:
    members = []
    for name, content in _workbook_parts(sheet_names).items():
        data, crc, size = _deflate(lambda c=content: [c])  # type: ignore[misc]
        members.append((name, data, crc, size, size))
    return members


# --- the cases -------------------------------------------------------------------------------------


def not_a_spreadsheet() -> bytes:
    return b"Ref,Status\nThis is a plain text file that someone saved with an .xlsx name.\n"


def png_image() -> bytes:
    """A real 16 x 16 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * 16 for _ in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def pdf_document() -> bytes:
    """A minimal one-page PDF."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def html_export() -> bytes:
    """What many HR systems call an Excel export: an HTML table saved as .xls."""
    return (
        b"<html><head><meta charset='utf-8'></head><body><table>"
        b"<tr><th>Faculty</th><th>Sex</th><th>FTE</th></tr><tr><td>Engineering</td><td>F</td><td>1</td></tr>"
        b"</table></body></html>"
    )


def word_document() -> bytes:
    """A .docx (a zip, but of a Word document) renamed .xlsx."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (
            ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
            ("word/document.xml", '<?xml version="1.0"?><document>Minutes of the steering group</document>'),
        ):
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), text, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def good_update() -> bytes:
    """A valid update (the base the truncated and encrypted cases damage)."""
    return _updates(Progress=[["D1", datetime(2020, 10, 31), "On track", 60, "Network meets monthly"]])


def truncated() -> bytes:
    data = good_update()
    return data[: len(data) * 3 // 5]


def encrypted() -> bytes:
    """The valid update, password-protected by msoffcrypto-tool (Agile encryption, as Excel does it), with
    seeded salts and keys so the bytes are the same every time."""
    from msoffcrypto.format.ooxml import OOXMLFile
    from msoffcrypto.method import ecma376_agile
    from msoffcrypto.method.container import ecma376_encrypted

    class _Fixed(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # the container's timestamps
            return datetime(*FIXED_TIME)

    rng = random.Random(6)
    real_random, real_datetime = ecma376_agile._random_buffer, ecma376_encrypted.datetime  # type: ignore[attr-defined]
    ecma376_agile._random_buffer = rng.randbytes
    ecma376_encrypted.datetime = _Fixed  # type: ignore[attr-defined]
    try:
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(good_update())).encrypt("s3cret", out)
    finally:
        ecma376_agile._random_buffer = real_random
        ecma376_encrypted.datetime = real_datetime  # type: ignore[attr-defined]
    return out.getvalue()


def overlapping_bomb() -> bytes:
    """About 100 KB that inflates to 3 GiB: thirty worksheets whose zip entries all point at one 100 MiB
    stream (an "overlapping files" zip bomb: each sheet really is 100 MiB of XML)."""
    kernel, crc, size = _deflate(_blank_sheet(100))
    members = [
        *_workbook_members([f"Sheet{i}" for i in range(1, 31)]),
        ("xl/worksheets/sheet1.xml", kernel, crc, size, size),
    ]
    central = [(m[0], i) for i, m in enumerate(members[:-1])]
    central += [(f"xl/worksheets/sheet{i}.xml", len(members) - 1) for i in range(1, 31)]
    return _raw_zip(members, central)


def lying_bomb() -> bytes:
    """A 100 MiB worksheet whose zip headers say it is 4 KB: it passes any size check that trusts them."""
    kernel, crc, size = _deflate(_blank_sheet(100))
    members = [*_workbook_members(["Progress"]), ("xl/worksheets/sheet1.xml", kernel, crc, 4096, size)]
    return _raw_zip(members, [(m[0], i) for i, m in enumerate(members)])


def _deflate_repeated(head: bytes, block: bytes, times: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block * times + tail, compressing `block` once: after a full flush the compressor
    starts afresh, so every further copy compresses to the same bytes (seconds, not minutes, for gigabytes)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head + block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    assert comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH) == again
    end = comp.compress(tail) + comp.flush()
    crc = zlib.crc32(head + block)
    for _ in range(times - 1):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + again * (times - 1) + end, crc, len(head) + len(block) * times + len(tail)


def gigabyte_bomb() -> bytes:
    """2 GiB of worksheet XML in a 2 MB .xlsx, every size honest (built by the test: too big to keep)."""
    head = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
    kernel, crc, size = _deflate_repeated(head, b" " * MiB, 2048, SHEET_TAIL)
    members = [*_workbook_members(["Progress"]), ("xl/worksheets/sheet1.xml", kernel, crc, size, size)]
    return _raw_zip(members, [(m[0], i) for i, m in enumerate(members)])


def far_cell() -> bytes:
    """Two cells, A1 and XFD1048576: 2 KB that a dense reader turns into 17 billion cells."""
    return _hand_xlsx(
        {
            "Progress": SHEET_HEAD
            + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
            + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            + SHEET_TAIL
        }
    )


def ods_repeated() -> bytes:
    """An .ods whose one row, repeated a million times, repeats one cell 16,000 times: 16 billion cells."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Progress">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Ref</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16000" office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text, how in (
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
        ):
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), text, how)
    return buf.getvalue()


def too_many_rows_xlsx() -> bytes:
    """A Progress sheet whose last cell is on row 500,001, one past the default 500,000-row limit (2 KB)."""
    return _hand_xlsx(
        {
            "Progress": _sheet_xml([["Ref", "As of", "Status"], ["D1", 44135, "On track"]])[: -len(SHEET_TAIL)]
            + b'<row r="500001"><c r="A500001" t="inlineStr"><is><t>D2</t></is></c></row>'
            + SHEET_TAIL
        }
    )


def too_many_rows_csv() -> bytes:
    """1,001 rows: over the limit the test sets for it (TRACKER_MAX_ROWS=1000)."""
    return b"Ref,As of,Status\r\n" + b"D1,31/10/2020,On track\r\n" * 1000


def updates_formulas() -> bytes:
    """Formulas as a program other than Excel writes them: no saved results, so every one reads as blank."""
    return _updates(
        Progress=[
            ["D1", Formula("DATE(2020,10,31)"), Formula('"On"&" track"'), Formula("50+50"), Formula("Lists!A2")],
            ["D2", datetime(2020, 10, 31), Formula("Lists!B3"), 50, Formula('HYPERLINK("http://evil.example","x")')],
        ]
    )


def updates_formulas_cached() -> bytes:
    """Formulas with saved results, as Excel writes them: the saved results are what counts (never the formula
    text, never a fresh calculation); here those results are wrong."""
    rows = [
        ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"],
        [
            ("f", 'CONCAT("D","9")', "D9", "str"),
            ("f", "DATE(2020,10,31)", 44135, "n"),
            ("f", '"On"&" track"', "Purple", "str"),
            ("f", "50+50", 250, "n"),
            ("f", "cmd|' /C calc'!A0", "a DDE formula", "str"),
        ],
        ["D1", ("f", "1/0", "#DIV/0!", "e"), "On track", ("f", "NA()", "#N/A", "e"), "an error as a date"],
    ]
    return _hand_xlsx({"Progress": _sheet_xml(rows)})


FORMULA_TEXT_PROGRESS = [
    ["=D1", datetime(2020, 10, 31), "On track", 50, "=1+1"],
    ["D1", "+31/10/2020", "-On track", "=50", "@SUM(A1:A9)"],
    ["D2", datetime(2020, 10, 31), "@Complete", "-10", '=HYPERLINK("http://evil.example","Click")'],
]
FORMULA_TEXT_EVIDENCE = [
    ["D1", datetime(2020, 10, 1), '=HYPERLINK("http://evil.example","report")', "@document", "javascript:alert(1)"],
]


def updates_formula_text() -> bytes:
    """Text that begins with =, +, - or @ (typed with an apostrophe, so text, not formulas)."""
    return _updates(Progress=FORMULA_TEXT_PROGRESS, Evidence=FORMULA_TEXT_EVIDENCE)


def _csv(rows: Sequence[Any], encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow(["" if v is None else (f"{v:%d/%m/%Y}" if isinstance(v, datetime) else v) for v in row])
    return buf.getvalue().encode(encoding)


PROGRESS_HEADER = ["Ref", "As of", "Status", "Percent complete", "Note"]


def updates_formula_text_csv() -> bytes:
    return _csv([PROGRESS_HEADER, *FORMULA_TEXT_PROGRESS])


CONTROL_ROWS: list[list[Any]] = [
    PROGRESS_HEADER,
    ["D9\x1b[2J", 44135, "On track\x07", 50, "Progress\x0bsecond line\x00"],
    ["D1", 44135, "\x1b]0;owned\x07At risk", 40, "\x9b31mred"],
]


def updates_control_chars() -> bytes:
    """Control characters (ESC sequences, BEL, NUL, C1 CSI) as Excel stores them, _x001B_ escapes."""
    return _hand_xlsx({"Progress": _sheet_xml(CONTROL_ROWS)})


def updates_control_chars_csv() -> bytes:
    """The same in a CSV, past its first 4 KB (where a binary file would show them)."""
    rows: list[list[Any]] = [PROGRESS_HEADER, ["D2", "31/10/2020", "On track", 50, "long note " * 500]]
    rows += [[("31/10/2020" if v == 44135 else v) for v in r] for r in CONTROL_ROWS[1:]]
    return _csv(rows)


def _replace_text(data: bytes, marker: str, text: str) -> bytes:
    """`marker` replaced by `text` wherever it is in the archive (openpyxl cuts text to 32,767 characters)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename).replace(marker.encode(), text.encode()))
    return out.getvalue()


LONG_TEXT = "All going well. " * 6250  # 100,000 characters


def updates_long_cell() -> bytes:
    """A 100,000-character note (Excel holds 32,767 in a cell)."""
    data = _updates(Progress=[["D1", datetime(2020, 10, 31), "On track", 50, "LONG_CELL"]])
    return _replace_text(data, "LONG_CELL", LONG_TEXT)


def updates_dates_1900_2100() -> bytes:
    return _updates(
        Progress=[
            ["D1", datetime(1900, 1, 1), "On track", 10, "the first day Excel has"],
            ["D2", datetime(2100, 12, 31), "On track", 90, "a century ahead"],
        ],
        Evidence=[["D1", "29/02/1900", "Excel's phantom leap day", "document"]],
        Measures=[["D3", "Apprentices started", "people", 0, 10, datetime(2100, 1, 1), 5]],
    )


def updates_duplicates() -> bytes:
    progress = ["D1", datetime(2020, 10, 31), "On track", 60, "Same row twice"]
    evidence = ["D1", datetime(2020, 10, 1), "Network launch event", "event", "https://example.ac.uk/e"]
    measure = ["D3", "Apprentices started", "people", 0, 10, datetime(2020, 10, 31), 5]
    return _updates(Progress=[progress, progress], Evidence=[evidence, evidence], Measures=[measure, measure])


def updates_unknown_refs() -> bytes:
    return _updates(
        Progress=[
            ["D99", datetime(2020, 10, 31), "On track", 50, "no such action"],
            ["X1", datetime(2020, 10, 31), "On track", 50, "nor this"],
        ],
        Evidence=[["U1.1", datetime(2020, 10, 1), "A report", "document", "", "", "", 999999]],
        Measures=[["ZZ9", "Apprentices started", "people", 0, 10, datetime(2020, 10, 31), 5]],
    )


def updates_long_cell_csv() -> bytes:
    """A 200,000-character note in a CSV: past the csv module's own 131,072-character field limit too."""
    return _csv([PROGRESS_HEADER, ["D1", "31/10/2020", "On track", 50, LONG_TEXT * 2]])


def updates_unclosed_quote_csv() -> bytes:
    """A note whose opening quote is never closed: read as Excel reads it, the rows after it would become part
    of that note, and load silently."""
    good = _csv([PROGRESS_HEADER, ["D1", "31/10/2020", "On track", 50, "fine"]])
    return good + b'D2,31/10/2020,At risk,40,"Waiting for HR, who said\r\nD3,31/10/2020,On track,55,Cohort 2\r\n'


def updates_not_numbers() -> bytes:
    """Numbers Python parses but nothing can store or compare: 'inf', 'nan', 1e400 (they used to crash the load)."""
    when = datetime(2020, 10, 31)
    return _updates(
        Progress=[["D1", when, "On track", "inf", "x"], ["D2", when, "On track", "1e400%", "y"]],
        Evidence=[["D1", datetime(2020, 10, 1), "A report", "document", "", "", "", "inf"]],
        Measures=[["D3", "Apprentices started", "people", "1e400", "-inf", when, "nan"]],
    )


def workforce_huge_numbers() -> bytes:
    """Headcounts whose sum a database integer cannot hold (it used to crash the load), and an FTE of 1e308."""
    when = datetime(2022, 7, 31)
    return _fill(
        workforce_template(),
        {
            "Workforce": [
                [when, "Engineering", "", "", "7", "Female", 5e18, 5e18],
                [when, "Engineering", "", "", "7", "Female", 5e18, 5e18],
                [when, "Engineering", "", "", "6", "Male", 1e308, 2],
            ]
        },
    )


def updates_sheet_name_controls() -> bytes:
    """A sheet named with a line break and an ESC sequence (character references in the workbook's XML): every
    message quotes the sheet, and must stay one line, with nothing a terminal acts on."""
    rows = [PROGRESS_HEADER, ["D9", 44135, "On track", 50, "no such action"]]
    return _hand_xlsx({"Progress&#x1B;[2J&#xA;fake.xlsx:Progress:1:A: all fine": _sheet_xml(rows)})


def updates_bad_links() -> bytes:
    """Evidence links a browser would run or open as a page (the link is shown as a clickable link), some written
    to slip past a check for "javascript:", among links that are fine."""
    links = [
        "java\tscript:alert(document.cookie)",  # a browser drops the tab
        " JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "https://example.ac.uk/report.pdf",
        "\\\\fileserver\\tc\\report.pdf",
        "C:\\Reports\\survey.pdf",
    ]
    when = datetime(2020, 10, 1)
    return _updates(Evidence=[["D1", when, f"Report {i}", "document", link] for i, link in enumerate(links, 1)])


JAPANESE = [PROGRESS_HEADER, ["D1", "31/10/2020", "順調", 50, "技術者のネットワークを立ち上げました"]]


def updates_shift_jis_csv() -> bytes:
    return _csv(JAPANESE, "shift_jis")


def updates_utf16_no_bom_csv() -> bytes:
    return _csv(JAPANESE, "utf-16-le")


def updates_utf16_csv() -> bytes:
    """UTF-16 with its BOM (Excel's "Unicode Text") is read: the status in Japanese is not a status."""
    return _csv(JAPANESE, "utf-16")


PLAN_ROW = ["U2", "Understand", "Know the technical workforce", "• Survey technicians", "Skills mapped", "HR"]


def plan_formula_text() -> bytes:
    return _fill(
        plan_template(),
        {
            "Action plan": [
                [*PLAN_ROW, "=TODAY()", "+Dec 2019", "", "=X", None, None, "@"],
                ["U3", "Understand", "p", "=cmd|' /C calc'!A0", "-", "HR", "@Nov 2018", "-Oct 2019"],
            ]
        },
    )


def plan_dates_1900_2100() -> bytes:
    return _fill(
        plan_template(),
        {
            "Action plan": [
                [*PLAN_ROW, datetime(1900, 1, 1), datetime(1900, 3, 1)],
                ["U3", *PLAN_ROW[1:], datetime(2100, 1, 1), datetime(2100, 12, 31)],
            ]
        },
    )


def plan_duplicates() -> bytes:
    return _fill(plan_template(), {"Action plan": [["U1", *PLAN_ROW[1:], "Nov 2018", "Oct 2019"]] * 2})


def plan_long_cell() -> bytes:
    data = _fill(plan_template(), {"Action plan": [["U2", "Understand", "p", "LONG_CELL", "i", "HR"]]})
    return _replace_text(data, "LONG_CELL", LONG_TEXT)


def workforce_formula_text() -> bytes:
    return _fill(
        workforce_template(),
        {
            "Workforce": [
                [datetime(2021, 7, 31), "Engineering", "", "", "7", "=F", "+1", "-3"],
                [datetime(2021, 7, 31), "Life Sciences", "", "", "6", "@M", "=2", 2],
            ]
        },
    )


def workforce_dates_1900_2100() -> bytes:
    return _fill(
        workforce_template(),
        {
            "Workforce": [
                [datetime(1900, 1, 1), "Engineering", "", "", "7", "Female", 10, 11],
                [datetime(2100, 12, 31), "Engineering", "", "", "7", "Male", 12, 13],
            ]
        },
    )


def workforce_duplicates() -> bytes:
    """One row per person (no Headcount), with a staff number given twice."""
    row = [datetime(2021, 7, 31), "Engineering", "Mechanical", "", "7", "Female", 1, None, "S100"]
    other = [datetime(2021, 7, 31), "Engineering", "Civil", "", "6", "Male", 0.5, None, "S101"]
    data = _fill(workforce_template(), {"Workforce": [row, other, row]})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Workforce"]
    ws.delete_cols(8)  # Headcount: one row per person
    ws["H1"] = "Staff number"
    return _save(wb)


def workforce_shift_jis_csv() -> bytes:
    rows = [["As at", "Faculty", "Sex", "FTE", "Headcount"], ["31/07/2021", "工学部", "女性", 10, 11]]
    return _csv(rows, "shift_jis")


# --- valid but odd: files that load, their odd text kept exactly as text ------------------------------------

ODD_NOTES = ("=1+1", "-10% on last quarter; @HR to reply", '=HYPERLINK("http://evil.example","Click")')


def updates_formula_text_ok() -> bytes:
    """A valid update whose free text begins with =, +, - or @ (typed as text): it loads, the text kept as is."""
    return _updates(
        Progress=[
            ["D1", datetime(2020, 10, 31), "On track", 60, ODD_NOTES[0]],
            ["D2", datetime(2020, 10, 31), "At risk", 40, ODD_NOTES[1]],
            ["D3", datetime(2020, 10, 31), "On track", 55, ODD_NOTES[2]],
        ],
        Evidence=[["D1", datetime(2020, 10, 1), "+44 helpline launched", "event", "https://example.ac.uk/e"]],
    )


def updates_formula_text_ok_csv() -> bytes:
    """The same in a CSV, some cells guarded with the apostrophe the product's own exports add ('=1+1): that one
    apostrophe is taken off, any other kept."""
    return _csv(
        [
            PROGRESS_HEADER,
            ["D1", "31/10/2020", "On track", 60, "'=1+1"],
            ["D2", "31/10/2020", "At risk", 40, "''=SUM(A1:A9)"],
            ["V1", "31/10/2020", "On track", 55, "@HR: -5 days, +2 staff"],
        ]
    )


def updates_formulas_saved_ok() -> bytes:
    """Formulas with saved results, as Excel writes them, every result valid: the results are what is stored
    (the formula text, a DDE command among them, is never read or run)."""
    rows = [
        [*PROGRESS_HEADER, "Updated by"],
        [
            ("f", 'CONCAT("D","1")', "D1", "str"),
            ("f", "DATE(2020,10,31)", 44135, "n"),
            ("f", '"On"&" track"', "On track", "str"),
            ("f", "50+20", 70, "n"),
            ("f", "cmd|' /C calc'!A0", "Pathways agreed", "str"),
        ],
        ["D2", 44135, "At risk", ("f", "D2*0", 0, "n"), ("f", '"="&"2+2"', "=2+2", "str")],
    ]
    return _hand_xlsx({"Progress": _sheet_xml(rows)})


def workforce_formula_text_ok() -> bytes:
    """A valid extract whose labels begin with =, +, - or @: loaded, the labels kept as text."""
    return _fill(
        workforce_template(),
        {
            "Workforce": [
                [datetime(2022, 7, 31), "@Life Sciences", "-Neuroscience", "=Technical", "+7", "Female", 2.5, 3],
                [datetime(2022, 7, 31), "@Life Sciences", "-Neuroscience", "=Technical", "+7", "Male", 1, 1],
            ]
        },
    )


def plan_formula_text_ok() -> bytes:
    """A new plan (another institution's) whose text cells begin with =, +, - or @: loaded, the text kept."""
    wb = openpyxl.load_workbook(io.BytesIO(plan_template()))
    ws = wb["Action plan"]
    ws["A2"], ws["A3"] = "Organisation: Example University", "Plan start: November 2021"
    row: list[str | None] = ["U1", "Understand", "=Know the workforce", "-Survey technicians", "+20% response"]
    row += ["@HR", "Nov 2021"]
    row += ["Oct 2022", "=COUNT(staff)", "X", None, None, "X"]
    for c, value in enumerate(row, start=1):
        ws.cell(row=5, column=c).value = value
        if isinstance(value, str) and value.startswith("="):
            ws.cell(row=5, column=c).data_type = "s"
    return _save(wb)


def _far_cell_written(cell: bytes) -> Callable[[], bytes]:
    """far_cell with the far cell's tag written another valid way, which a pattern over the XML missed."""

    def build() -> bytes:
        return _hand_xlsx(
            {
                "Progress": SHEET_HEAD
                + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
                + b'<row r="1048576">'
                + cell
                + b' t="inlineStr"><is><t>x</t></is></c></row>'
                + SHEET_TAIL
            }
        )

    return build


def _zip_parts(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def far_cell_subfolder() -> bytes:
    """far_cell with its sheet at xl/worksheets/sub/sheet1.xml, where the relationships say it is."""
    parts = _workbook_parts(["Progress"])
    rels = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(b"worksheets/sheet1.xml", b"worksheets/sub/sheet1.xml")
    parts["xl/worksheets/sub/sheet1.xml"] = (
        SHEET_HEAD
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'
        + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        + SHEET_TAIL
    )
    return _zip_parts(parts)


SST_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _with_shared_strings(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Workbook parts whose one sheet (A1) takes shared string 0, and the relationship to the strings part."""
    rels = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="' + SST_TYPE + b'" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["xl/worksheets/sheet1.xml"] = SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL
    return parts


def shared_strings_count() -> bytes:
    """A shared-strings part claiming 4,000,000,000 strings: calamine reserves room for them all (96 GB) and
    aborts the process. 1 KB."""
    parts = _with_shared_strings(_workbook_parts(["Progress"]))
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" '
        b'uniqueCount="4000000000"><si><t>Ref</t></si></sst>'
    )
    return _zip_parts(parts)


def empty_shared_strings() -> bytes:
    """About 190 million empty shared strings (950 MB of <si/>) beside 17 MiB of incompressible padding, so the
    archive as a whole inflates less than 100 times: calamine took 4.8 GB for it. 18 MB (built by the test)."""
    parts = _with_shared_strings(_workbook_parts(["Progress"]))
    members = []
    for name, content in parts.items():
        data, crc, size = _deflate(lambda c=content: [c])  # type: ignore[misc]
        members.append((name, data, crc, size, size))
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    strings, crc, size = _deflate_repeated(head, b"<si/>" * (MiB // 5), 900, b"</sst>")
    members.append(("xl/sharedStrings.xml", strings, crc, size, size))
    padding = random.Random(13).randbytes(17 * MiB)
    data, crc, size = _deflate(lambda: [padding], level=1)
    members.append(("xl/media/padding.bin", data, crc, size, size))
    return _raw_zip(members, [(m[0], i) for i, m in enumerate(members)])


# File name → builder. Names say what each file is; the test states what each must be refused for.
CASES: dict[str, Callable[[], bytes]] = {
    "not_a_spreadsheet.xlsx": not_a_spreadsheet,
    "image.xlsx": png_image,
    "document.xlsx": pdf_document,
    "html_export.xls": html_export,
    "word_document.xlsx": word_document,
    "empty.xlsx": lambda: b"",
    "empty.csv": lambda: b"",
    "truncated.xlsx": truncated,
    "password.xlsx": encrypted,
    "bomb_overlapping.xlsx": overlapping_bomb,
    "bomb_lying_sizes.xlsx": lying_bomb,
    "far_cell.xlsx": far_cell,
    "repeated_cells.ods": ods_repeated,
    "too_many_rows.xlsx": too_many_rows_xlsx,
    "too_many_rows.csv": too_many_rows_csv,
    "updates_formulas.xlsx": updates_formulas,
    "updates_formulas_saved.xlsx": updates_formulas_cached,
    "updates_formula_text.xlsx": updates_formula_text,
    "updates_formula_text.csv": updates_formula_text_csv,
    "updates_control_chars.xlsx": updates_control_chars,
    "updates_control_chars.csv": updates_control_chars_csv,
    "updates_long_cell.xlsx": updates_long_cell,
    "updates_long_cell.csv": updates_long_cell_csv,
    "updates_unclosed_quote.csv": updates_unclosed_quote_csv,
    "updates_dates_1900_2100.xlsx": updates_dates_1900_2100,
    "updates_duplicates.xlsx": updates_duplicates,
    "updates_unknown_refs.xlsx": updates_unknown_refs,
    "updates_not_numbers.xlsx": updates_not_numbers,
    "updates_bad_links.xlsx": updates_bad_links,
    "updates_sheet_name_controls.xlsx": updates_sheet_name_controls,
    "workforce_huge_numbers.xlsx": workforce_huge_numbers,
    "updates_shift_jis.csv": updates_shift_jis_csv,
    "updates_utf16_no_bom.csv": updates_utf16_no_bom_csv,
    "updates_utf16.csv": updates_utf16_csv,
    "plan_formula_text.xlsx": plan_formula_text,
    "plan_dates_1900_2100.xlsx": plan_dates_1900_2100,
    "plan_duplicates.xlsx": plan_duplicates,
    "plan_long_cell.xlsx": plan_long_cell,
    "workforce_formula_text.xlsx": workforce_formula_text,
    "workforce_dates_1900_2100.xlsx": workforce_dates_1900_2100,
    "workforce_duplicates.xlsx": workforce_duplicates,
    "workforce_shift_jis.csv": workforce_shift_jis_csv,
    "updates_formula_text_ok.xlsx": updates_formula_text_ok,
    "updates_formula_text_ok.csv": updates_formula_text_ok_csv,
    "updates_formulas_saved_ok.xlsx": updates_formulas_saved_ok,
    "workforce_formula_text_ok.xlsx": workforce_formula_text_ok,
    "plan_formula_text_ok.xlsx": plan_formula_text_ok,
    "far_cell_spaced.xlsx": _far_cell_written(b'<c r = "XFD1048576"'),
    "far_cell_newline.xlsx": _far_cell_written(b'<c\nr\n=\n"XFD1048576"'),
    "far_cell_lower_case.xlsx": _far_cell_written(b"<c r='xfd1048576'"),
    "far_cell_subfolder.xlsx": far_cell_subfolder,
    "shared_strings_count.xlsx": shared_strings_count,
}


def main(out: Path = HERE) -> None:
    total = 0
    for name, build in CASES.items():
        data = build()
        (out / name).write_bytes(data)
        total += len(data)
        print(f"{name:34} {len(data):>9,} bytes")
    print(f"{len(CASES)} files, {total:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
