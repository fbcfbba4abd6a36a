"""Reading .xlsx/.xlsb/.xls/.ods (python-calamine) and .csv into plain rows, refusing what cannot be read.

Rows keep their Excel numbering: `sheet.rows[i]` is Excel row `i + 1`. Cells are str, int, float,
bool, date, datetime or None (blank); a merged range's value is in each of its cells (`Sheet.merged`). Every
refusal raises `UnreadableFile` with a clear message.

Example:
    >>> wb = read_workbook(b"Ref,Status\\nD1,On track\\n", filename="u.csv")
    >>> wb.sheets[0].rows
    [['Ref', 'Status'], ['D1', 'On track']]
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import python_calamine as pc

from tracker.config import Settings, get_settings
from tracker.exports import safe_cell
from tracker.ingest.base import Issue, UnreadableFile

Cell = str | int | float | bool | date | datetime | None
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")

_SIGNATURES = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"<!DOCTYPE html", "an HTML page"),
    (b"<html", "an HTML page"),
]


Merge = tuple[int, int, int, int]  # first row, first column, last row, last column: 0-based, inclusive


@dataclass
class Sheet:
    """One sheet's rows (`rows[i][j]` is Excel row i + 1, column j + 1) and its merged ranges.

    A merged range's top-left value is copied into every cell of it, so a theme merged down three rows reads
    in all three; `merged` lists the ranges (cut to the sheet's used extent) and `merge_at` says whether a
    cell is part of one.

    Example:
        >>> s = Sheet("Plan", [["Theme", "Action"], ["Data", "a"], ["Data", "b"]], merged=[(1, 0, 2, 0)])
        >>> s.merge_at(2, 0), s.merge_at(2, 1)
        ((1, 0, 2, 0), None)
    """

    name: str
    rows: list[list[Cell]]
    merged: list[Merge] = field(default_factory=list)
    # {row: (first columns, ranges)} sorted by first column, built on the first merge_at: a dict per cell would
    # cost a hundred bytes a cell for a merge across a whole sheet.
    _by_row: dict[int, tuple[list[int], list[Merge]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def merge_at(self, i: int, j: int) -> Merge | None:
        """The merged range containing row `i`, column `j` (0-based, as `rows`), or None.

        A cell for which this is not None and differs from the range's first cell is a continuation: its value
        was copied from the range's top-left cell.

        Example:
            >>> s = Sheet("S", [["a", "a", "b"]], merged=[(0, 0, 0, 1)])
            >>> s.merge_at(0, 1), s.merge_at(0, 2), s.merge_at(5, 5)
            ((0, 0, 0, 1), None, None)
        """
        if self._by_row is None:
            by_row: dict[int, list[Merge]] = {}
            for m in self.merged:
                for r in range(m[0], m[2] + 1):
                    by_row.setdefault(r, []).append(m)
            self._by_row = {}
            for r, ms in by_row.items():
                ms.sort(key=lambda m: m[1])
                self._by_row[r] = ([m[1] for m in ms], ms)
        starts, ranges = self._by_row.get(i, ((), ()))
        k = bisect.bisect_right(starts, j) - 1
        if k >= 0 and ranges[k][3] >= j:
            return ranges[k]
        return None


@dataclass
class Workbook:
    filename: str
    content: bytes
    sha256: str
    sheets: list[Sheet]
    # Problems in single cells found while reading (control characters, overlong text, formulas without a
    # saved value): every loader reports them with its own.
    issues: list[Issue] = field(default_factory=list)

    def sheet(self, name: str) -> Sheet | None:
        """The sheet whose name matches `name` ignoring case and spaces, if any."""
        want = name.replace(" ", "").lower()
        return next((s for s in self.sheets if s.name.replace(" ", "").lower() == want), None)


def read_bytes(
    source: str | Path | bytes | bytearray | memoryview | BinaryIO, filename: str | None = None
) -> tuple[bytes, str]:
    """The raw bytes and a display name for a path, bytes, or file-like object (read from its start)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or "upload"
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as exc:
            raise UnreadableFile(filename or path.name, "not_found", f"cannot open the file ({exc.strerror})") from None
    if hasattr(source, "seek") and getattr(source, "seekable", lambda: False)():
        source.seek(0)
    data: bytes | str = source.read()
    if isinstance(data, str):  # a file opened in text mode
        data = data.encode("utf-8")
    name = filename or Path(str(getattr(source, "name", None) or "upload")).name
    return bytes(data), name


def read_workbook(
    source: str | Path | bytes | bytearray | memoryview | BinaryIO,
    filename: str | None = None,
    *,
    settings: Settings | None = None,
) -> Workbook:
    """Read every sheet of a spreadsheet, or raise UnreadableFile saying why not.

    Example:
        >>> read_workbook(b"%PDF-1.7 ...", filename="plan.xlsx")
        Traceback (most recent call last):
        ...
        tracker.ingest.base.UnreadableFile: plan.xlsx: is not a spreadsheet: it looks like a PDF document
    """
    settings = settings or get_settings()
    data, name = read_bytes(source, filename)
    if len(data) > settings.max_upload_bytes:
        raise UnreadableFile(
            name,
            "too_large",
            f"is {_size(len(data), settings.max_upload_bytes)}, over the "
            f"{_size(settings.max_upload_bytes, len(data))} limit",
        )
    if not data.strip():
        raise UnreadableFile(name, "empty", "is empty")
    sha = hashlib.sha256(data).hexdigest()
    suffix = Path(name).suffix.lower()
    issues: list[Issue] = []
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        _check_zip(data, name, settings)
        issues, merges = _check_extent(data, name, settings)
        sheets = _read_calamine(data, name, settings, merges)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        # An encrypted .xlsx/.xlsb is an OLE file with an EncryptionInfo stream; an encrypted .xls has a
        # FILEPASS record (calamine's own password error is lost when it is given bytes: it tries every format
        # and reports "Cannot detect file format").
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data or _xls_encrypted(data):
            raise UnreadableFile(
                name, "encrypted", "is password-protected: save a copy without a password and try again"
            )
        sheets = _read_calamine(data, name, settings, {})
    else:
        for magic, what in _SIGNATURES:
            if data[:64].lstrip().lower().startswith(magic.lower()):
                raise UnreadableFile(name, "not_spreadsheet", f"is not a spreadsheet: it looks like {what}")
        if suffix in WORKBOOK_SUFFIXES:
            raise UnreadableFile(name, "corrupt", f"is not a valid {suffix} workbook (it may be damaged or renamed)")
        if suffix and suffix not in CSV_SUFFIXES:
            raise UnreadableFile(
                name,
                "not_spreadsheet",
                f"is not a spreadsheet ({suffix} files are not read: use .xlsx, .xlsb, .xls, .ods or .csv)",
            )
        sheet, issues = _read_csv(data, name, settings)
        sheets = [sheet]
    if not any(any(c not in (None, "") for c in row) for s in sheets for row in s.rows):
        raise UnreadableFile(name, "empty", "has no data in any sheet")
    for sheet in sheets:
        issues += _check_cells(sheet)
    max_cells = max(MAX_CELLS, settings.max_rows * 20)
    for sheet in sheets:
        # After the cells are checked, so a value merged over many cells is cleaned (and reported) once.
        _fill_merges(sheet, name, max_cells)
    return Workbook(filename=name, content=data, sha256=sha, sheets=sheets, issues=issues)


def _size(n: int, other: int | None = None) -> str:
    """A human size; exact bytes when rounding would make `n` and `other` look equal."""
    if n < 1024:
        shown = f"{n:,} bytes"
    elif n < 1024 * 1024:
        shown = f"{n / 1024:.0f} KB"
    else:
        shown = f"{n / 1024 / 1024:.1f} MB"
    if other is not None and other != n and shown == _size(other):
        return f"{n:,} bytes"
    return shown


# Below this much XML any file is cheap to parse whatever its ratio; small files compress unusually well.
INFLATE_FLOOR = 10 * 1024 * 1024


def _check_zip(data: bytes, name: str, settings: Settings) -> None:
    """Refuse truncated archives, zip bombs and encrypted .ods before any XML is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise UnreadableFile(
            name, "truncated", "is damaged or incomplete (the workbook archive is truncated)"
        ) from None
    total = sum(i.file_size for i in infos)
    limit = min(settings.max_uncompressed_bytes, max(len(data) * settings.max_inflate_ratio, INFLATE_FLOOR))
    if total > limit:
        raise UnreadableFile(
            name,
            "inflated",
            f"would expand to {_size(total)} from {_size(len(data))}: refused as a likely zip bomb",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = _zip_names(zf)
            manifest = _read_member(zf, names.get("meta-inf/manifest.xml"), 4 * _CHUNK)
            package = _xlsx_package(zf, names)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None
    # LibreOffice keeps an encrypted .ods a zip, its parts encrypted and described in the manifest.
    if b"encryption-data" in manifest:
        raise UnreadableFile(name, "encrypted", "is password-protected: save a copy without a password and try again")
    if "[content_types].xml" not in names and "content.xml" not in names:
        raise UnreadableFile(name, "not_spreadsheet", "is a zip archive, not a spreadsheet")
    if "content.xml" in names:
        return
    if package.workbook is None and not any(n.startswith("xl/") for n in names):
        raise UnreadableFile(name, "not_spreadsheet", "is an Office document but not a spreadsheet (no worksheets)")
    if package.workbook is None and "xl/workbook.bin" not in names:
        raise UnreadableFile(name, "corrupt", "is damaged: the workbook part (xl/workbook.xml) is missing")


def _zip_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """{member name in lower case with '/' for '\\': member name}: calamine finds parts that way, so files
    written with Windows separators or odd case are read, and have to be checked, like any other."""
    return {n.replace("\\", "/").lower(): n for n in zf.namelist()}


def _read_member(zf: zipfile.ZipFile, member: str | None, limit: int) -> bytes:
    """The first `limit` bytes of a member (b"" when there is none): enough for any relationships part."""
    if member is None:
        return b""
    with zf.open(member) as f:
        return f.read(limit)


@dataclass
class _Package:
    workbook: str | None  # the workbook part calamine reads as .xlsx (a member name), if there is one
    sheets: dict[str, str]  # {worksheet member: sheet name} for .xlsx
    bin_sheets: dict[str, str]  # {worksheet member: sheet name} for .xlsb


def _rel_targets(rels: bytes) -> dict[str, str]:
    text = rels.decode("utf-8", "replace")
    targets: dict[str, str] = {}
    for tag in _REL_TAG.findall(text):
        rid, target = _attr(tag, "Id"), _attr(tag, "Target")
        if rid and target is not None:
            targets[rid] = target
    return targets


def _xlsx_package(zf: zipfile.ZipFile, names: dict[str, str]) -> _Package:
    """The parts calamine will read, found as it finds them (MS-OPC): the workbook's folder from the package
    relationships, `workbook.xml` there, the sheets from its relationships; and an .xlsb's binary sheets.

    Every worksheet calamine may open has to be found here, or its extent would go unchecked: the parts named
    by the relationships (wherever they are) and any `xl/worksheets/*.xml|bin` besides (a bad relationship
    part, and calamine falling back to another format, must not let one through).
    """
    folder = "xl/"
    for tag in _REL_TAG.findall(_read_member(zf, names.get("_rels/.rels"), 4 * _CHUNK).decode("utf-8", "replace")):
        target = _attr(tag, "Target")
        if target is not None and (_attr(tag, "Type") or "").endswith("/relationships/officeDocument"):
            folder = target.lstrip("/")[: target.lstrip("/").rfind("/") + 1]
    workbook = names.get((folder + "workbook.xml").lower())
    sheets: dict[str, str] = {}
    if workbook is not None:
        book = _read_member(zf, workbook, 4 * _CHUNK).decode("utf-8", "replace")
        targets = _rel_targets(_read_member(zf, names.get(f"{folder}_rels/workbook.xml.rels".lower()), 4 * _CHUNK))
        for tag in _SHEET_TAG.findall(book):
            sheet, target = _attr(tag, "name"), targets.get(_attr(tag, "r:id") or "")
            if target:
                part = names.get((target[1:] if target.startswith("/") else folder + target).lower())
                if part is not None:
                    sheets.setdefault(part, sheet or part)
    bin_sheets: dict[str, str] = {}
    if "xl/workbook.bin" in names:
        targets = _rel_targets(_read_member(zf, names.get("xl/_rels/workbook.bin.rels"), 4 * _CHUNK))
        for rid, sheet in _xlsb_sheet_ids(zf, names["xl/workbook.bin"]):
            part = names.get(("xl/" + targets.get(rid, "")).lower())
            if part is not None and rid in targets:
                bin_sheets.setdefault(part, sheet)
    for low, part in names.items():
        if re.fullmatch(r"xl/worksheets/[^/]+\.xml", low):
            sheets.setdefault(part, part)
        elif re.fullmatch(r"xl/worksheets/(?!binaryindex)[^/]+\.bin", low):  # not the row-index parts
            bin_sheets.setdefault(part, part)
    return _Package(workbook, sheets, bin_sheets)


# calamine holds a sheet as one dense block from its first to its last cell (32 bytes a cell) before any row
# can be counted: cells at A1 and XFD1048576 in a 2 KB file ask for 550 GB and abort the whole process, and
# an .ods row repeated a million times over 16,000 repeated cells does the same. So the sheets' XML is scanned
# (streamed, a chunk at a time) for how far it reaches before calamine sees it.
MAX_CELLS = 10_000_000
_CHUNK = 1024 * 1024
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=[\"'](\d+)[\"']")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=[\"']([A-Z]{1,3})(\d+)[\"']")
_FAR_CELL = re.compile(rb'<c r="([A-Z]{2,3}(?=\d)|[A-Z](?=\d{6}))(\d+)"')  # past column Z or row 99,999
_FAR_ROW = re.compile(rb'<row r="(\d{6,})"')
_ANY_ROW = re.compile(rb'<(?:row|c) r="[A-Z]{0,3}(\d+)"')
# A formula with no saved value: <c r="D2"><f>A1*2</f></c>, or <v/> / <v></v> after it.
_UNSAVED_FORMULA = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\sr=[\"']([A-Z]{1,3}\d+)[\"'][^>]*>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)"
    rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")
_ODS_TOKEN = re.compile(
    rb"<table:table\s([^>]*)>|<table:table-row\b([^>]*?)(/?)>|<table:(covered-)?table-cell\b([^>]*?)(/?)>"
)


def _attr(tag: str, name: str) -> str | None:
    m = re.search(r"\s" + re.escape(name) + r"\s*=\s*(\"[^\"]*\"|'[^']*')", tag)
    return html.unescape(m.group(1)[1:-1]) if m else None


def _battr(tag: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"(?:^|\s)" + re.escape(name) + rb"\s*=\s*[\"']([^\"']*)[\"']", tag)
    return m.group(1) if m else None


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _column_letters(j: int) -> str:
    """Excel column letters for a 0-based index (0 → A, 27 → AB)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _chunks(zf: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """A member's bytes a chunk at a time, each chunk cut after its last complete tag (the rest carries over)."""
    carry = b""
    with zf.open(part) as f:
        while block := f.read(_CHUNK):
            buf = carry + block
            cut = buf.rfind(b"<")
            if cut <= 0 or len(buf) - cut > 64 * 1024:  # no tag start, or a very long tag: take it all
                cut = len(buf)
            carry = buf[cut:]
            yield buf[:cut]
    if carry:
        yield carry


def _check_extent(data: bytes, name: str, settings: Settings) -> tuple[list[Issue], dict[str, list[Merge]]]:
    """Refuse a sheet reaching further than MAX_CELLS before calamine builds it; warn of formulas with no
    saved value (calamine reads only saved values, so those cells read as blank). Also the merged ranges of
    the formats calamine reports none for (.ods, .xlsb), {sheet name: ranges}.

    calamine tries each format in turn (.xls, .xlsx, .xlsb, .ods) and reads the first that opens, so every
    format whose parts the archive holds is checked, not only the one it looks like.
    """
    max_cells = max(MAX_CELLS, settings.max_rows * 20)
    issues: list[Issue] = []
    merges: dict[str, list[Merge]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = _zip_names(zf)
            package = _xlsx_package(zf, names)
            for part, sheet in package.sheets.items():
                issues += _check_xlsx_sheet(zf, part, sheet, name, max_cells)
            for part, sheet in package.bin_sheets.items():
                merges.setdefault(sheet, _check_xlsb_sheet(zf, part, sheet, name, max_cells))
            if "content.xml" in names:
                ods = _check_ods_extent(zf, names["content.xml"], name, max_cells)
                merges = ods if "[content_types].xml" not in names else merges
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, KeyError, NotImplementedError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None
    return issues, merges


def _too_many_cells(name: str, sheet: str, what: str, max_cells: int) -> UnreadableFile:
    return UnreadableFile(
        name,
        "too_many_cells",
        f"sheet '{shown_name(sheet)}' {what}, more than the {max_cells:,} cells the tracker reads: delete the rows and "
        "columns far outside the table (or stray cells there) and save it again",
    )


def _check_xlsx_sheet(zf: zipfile.ZipFile, part: str, sheet: str, name: str, max_cells: int) -> list[Issue]:
    # Excel, LibreOffice and openpyxl write <row r="7"> and <c r="B7": those are matched by fast patterns, for
    # columns past Z and rows past 99,999 only (ordinary files have none). A chunk with tags in any other form
    # (attributes in another order, namespace prefixes, no r) is read with the slow, general patterns.
    max_row = max_col = tagged_rows = tagged_cells = unsaved = 0
    exact = False  # every row number seen, not only those past 99,999
    first_unsaved = ""
    for chunk in _chunks(zf, part):
        rows_here = chunk.count(b"<row ") + chunk.count(b"<row>")
        cells_here = chunk.count(b"<c ") + chunk.count(b"<c>")
        tagged_rows, tagged_cells = tagged_rows + rows_here, tagged_cells + cells_here
        usual = (
            chunk.count(b'<row r="') == rows_here
            and chunk.count(b'<c r="') == cells_here
            and b":row" not in chunk
            and b":c " not in chunk
        )
        if usual:
            for letters, row in _FAR_CELL.findall(chunk):
                max_col, max_row = max(max_col, _column_number(letters)), max(max_row, int(row))
            for row in _FAR_ROW.findall(chunk):
                max_row = max(max_row, int(row))
        else:
            exact = True
            for row in _ROW_NUMBER.findall(chunk):
                max_row = max(max_row, int(row))
            for letters, row in _CELL_REF.findall(chunk):
                max_col, max_row = max(max_col, _column_number(letters)), max(max_row, int(row))
        n_rows, n_cols = max(max_row, tagged_rows), max(max_col, 1)
        if n_rows * n_cols > max_cells:
            reach = f"{_column_letters(n_cols - 1)}{n_rows}"
            raise _too_many_cells(
                name, sheet, f"reaches cell {reach} ({n_rows:,} rows × {n_cols:,} columns)", max_cells
            )
        if tagged_cells > max_cells:
            raise _too_many_cells(name, sheet, f"has over {tagged_cells:,} cells", max_cells)
        if b"<f" in chunk:
            for m in _UNSAVED_FORMULA.finditer(chunk):
                unsaved += 1
                first_unsaved = first_unsaved or m.group(1).decode()
    if not exact and max_col < 26 and max(max_row, tagged_rows) * 26 > max_cells:
        # Columns A to Z were not looked at (it only matters with this many rows): find the last one used.
        for chunk in _chunks(zf, part):
            max_col = max(max_col, next((i for i in range(26, 0, -1) if b'<c r="' + bytes([64 + i]) in chunk), 0))
        n_rows = max(max_row, tagged_rows)
        if n_rows * max_col > max_cells:
            reach = f"{_column_letters(max_col - 1)}{n_rows}"
            raise _too_many_cells(
                name, sheet, f"reaches cell {reach} ({n_rows:,} rows × {max_col:,} columns)", max_cells
            )
    if not exact and max_col * 99_999 > max_cells:
        # Wide enough that rows below 100,000 matter too: read every row number once more.
        for chunk in _chunks(zf, part):
            for row in _ANY_ROW.findall(chunk):
                if int(row) * max_col > max_cells:
                    reach = f"{_column_letters(max_col - 1)}{int(row)}"
                    what = f"reaches cell {reach} ({int(row):,} rows × {max_col:,} columns)"
                    raise _too_many_cells(name, sheet, what, max_cells)
    if not unsaved:
        return []
    where = re.fullmatch(r"([A-Z]+)(\d+)", first_unsaved)
    assert where is not None
    return [
        Issue(
            sheet,
            int(where.group(2)),
            where.group(1),
            None,
            "formula_not_saved",
            f"{_plural(unsaved, 'formula')} with no saved result (first: {first_unsaved}), read as blank: the "
            "tracker reads the values a spreadsheet saved, never the formulas; open the file in Excel or "
            "LibreOffice and save it, or type the values",
            "warning",
        )
    ]


# .xlsb (MS-XLSB) is a stream of records: a type (7 bits a byte, 1 or 2 bytes), a size (7 bits a byte, 1 to
# 4 bytes), then the payload. calamine builds the same dense block from its cells as for .xlsx (and reads the
# column of each cell as a 32-bit number, unchecked), so the cells are located here the same way: a row header
# gives the row, the first 4 bytes of a cell record its column. The sheet's dimension record is not trusted:
# calamine itself only uses it as a hint.
_BRT_ROW_HDR, _BRT_END_SHEET_DATA, _BRT_MERGE_CELL, _BRT_BUNDLE_SH = 0x0000, 0x0092, 0x00B0, 0x009C
_BRT_CELLS = range(0x0002, 0x000C)  # the value cells calamine reads (rk, error, bool, real, text, isst, formulas)
_XLSB_MAX_ROW = 0x10_0000  # calamine ends the sheet at a row past Excel's last


def _bin_records(zf: zipfile.ZipFile, part: str, whole: tuple[int, ...] = ()) -> Iterator[tuple[int, bytes]]:
    """(record type, payload) for each record of an .xlsb part: the whole payload for the types in `whole`,
    else its first 16 bytes (all the checks need), so a huge record is skipped, never held."""
    with zf.open(part) as f:
        buf, pos = b"", 0
        while True:
            if len(buf) - pos < 32:  # a record's type and size take at most 6 bytes, and 16 are looked at
                buf, pos = buf[pos:] + f.read(_CHUNK), 0
                if not buf:
                    return
            start = pos
            typ = buf[pos]
            pos += 1
            if typ & 0x80:
                typ = (typ & 0x7F) | ((buf[pos] & 0x7F) << 7) if pos < len(buf) else -1
                pos += 1
            size = shift = 0
            for _ in range(4):
                if pos >= len(buf):
                    return  # cut short: calamine stops there too
                b = buf[pos]
                pos += 1
                size |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            if typ < 0:
                return
            if pos + size <= len(buf) or (typ in whole and size <= 4 * _CHUNK):
                while len(buf) - pos < size:
                    more = f.read(max(_CHUNK, size))
                    if not more:
                        return
                    buf, pos, start = buf[start:] + more, pos - start, 0
                yield typ, buf[pos : pos + size] if typ in whole else buf[pos : pos + min(size, 16)]
                pos += size
            else:  # a long record: keep its head, skip the rest without holding it
                head = buf[pos : pos + 16]
                skip = size - (len(buf) - pos)
                buf, pos = b"", 0
                while skip > 0:
                    got = len(f.read(min(skip, _CHUNK)))
                    if not got:
                        return
                    skip -= got
                yield typ, head


def _wide_string(payload: bytes, at: int) -> tuple[str | None, int]:
    """An XLWideString (a 32-bit character count, then UTF-16) at `at`, and the offset after it."""
    if at + 4 > len(payload):
        return None, len(payload)
    n = int.from_bytes(payload[at : at + 4], "little")
    if n == 0xFFFF_FFFF:  # the nullable form's "none"
        return None, at + 4
    end = at + 4 + 2 * n
    return payload[at + 4 : end].decode("utf-16-le", "replace"), end


def _xlsb_sheet_ids(zf: zipfile.ZipFile, workbook: str) -> list[tuple[str, str]]:
    """(relationship id, sheet name) of each sheet in an .xlsb's workbook part (its BrtBundleSh records)."""
    sheets: list[tuple[str, str]] = []
    for typ, payload in _bin_records(zf, workbook, whole=(_BRT_BUNDLE_SH,)):
        if typ == _BRT_BUNDLE_SH:
            rid, at = _wide_string(payload, 8)  # after the sheet's state and tab id
            sheet, _ = _wide_string(payload, at)
            if rid is not None:
                sheets.append((rid, sheet if sheet is not None else rid))
    return sheets


def _check_xlsb_sheet(zf: zipfile.ZipFile, part: str, sheet: str, name: str, max_cells: int) -> list[Merge]:
    """Refuse an .xlsb sheet whose cells span more than `max_cells` (as _check_xlsx_sheet); its merged ranges."""
    row, cells, in_data = 0, 0, True
    first_row = first_col = 1 << 32
    last_row = last_col = -1
    merges: list[Merge] = []
    for typ, head in _bin_records(zf, part):
        if in_data and typ in _BRT_CELLS and len(head) >= 4:
            col = int.from_bytes(head[:4], "little")
            first_row, last_row = min(first_row, row), max(last_row, row)
            first_col, last_col = min(first_col, col), max(last_col, col)
            cells += 1
            n_rows, n_cols = last_row - first_row + 1, last_col - first_col + 1
            if n_rows * n_cols > max_cells:
                reach = f"{_column_letters(min(last_col, 16_383))}{last_row + 1}"
                raise _too_many_cells(
                    name, sheet, f"reaches cell {reach} ({n_rows:,} rows × {n_cols:,} columns)", max_cells
                )
        elif in_data and typ == _BRT_ROW_HDR and len(head) >= 4:
            row = int.from_bytes(head[:4], "little")
            in_data = row <= _XLSB_MAX_ROW
        elif typ == _BRT_END_SHEET_DATA:
            in_data = False
        elif typ == _BRT_MERGE_CELL and len(head) >= 16:
            r0, r1, c0, c1 = (int.from_bytes(head[k : k + 4], "little") for k in range(0, 16, 4))
            merges.append((r0, c0, r1, c1))
            if len(merges) > max_cells // 10:
                raise _too_many_cells(name, sheet, f"has over {len(merges):,} merged ranges", max_cells)
    return merges


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def _check_ods_extent(zf: zipfile.ZipFile, part: str, name: str, max_cells: int) -> dict[str, list[Merge]]:
    """Count the cells with content an .ods repeats (number-rows-repeated × number-columns-repeated); and
    collect each table's merged ranges (number-rows-spanned / number-columns-spanned), which calamine does not
    report for .ods. Covered cells (those a merge hides) take their place in the row like any other."""
    table, total, row_repeat, row_cells = "content.xml", 0, 1, 0
    merges: dict[str, list[Merge]] = {}
    n_merges = 0
    row, col, next_row = -1, 0, 0  # the current row, the column of the next cell, the row after this one
    for chunk in _chunks(zf, part):
        for m in _ODS_TOKEN.finditer(chunk):
            table_attrs, row_attrs, row_empty, covered, cell_attrs, cell_empty = m.groups()
            if table_attrs is not None:
                raw = _battr(table_attrs, b"table:name")
                table = html.unescape(raw.decode("utf-8", "replace")) if raw else table
                row, col, next_row = -1, 0, 0
            elif row_attrs is not None:
                total += row_repeat * row_cells  # the row before this one
                row_repeat, row_cells = int(_battr(row_attrs, b"table:number-rows-repeated") or 1), 0
                row, col, next_row = next_row, 0, next_row + row_repeat
                if row_empty:
                    row_repeat = 0
            elif cell_attrs is not None:
                repeat = int(_battr(cell_attrs, b"table:number-columns-repeated") or 1)
                if not cell_empty or b"office:value-type" in cell_attrs:
                    row_cells += repeat
                if not covered and b"-spanned" in cell_attrs and row >= 0:
                    rows_spanned = int(_battr(cell_attrs, b"table:number-rows-spanned") or 1)
                    cols_spanned = int(_battr(cell_attrs, b"table:number-columns-spanned") or 1)
                    if rows_spanned > 1 or cols_spanned > 1:
                        merges.setdefault(table, []).append((row, col, row + rows_spanned - 1, col + cols_spanned - 1))
                        n_merges += 1
                        if n_merges > max_cells // 10:
                            raise _too_many_cells(name, table, f"has over {n_merges:,} merged ranges", max_cells)
                col += repeat
            if total + row_repeat * row_cells > max_cells:
                raise _too_many_cells(
                    name, table, f"repeats rows and cells to over {total + row_repeat * row_cells:,} cells", max_cells
                )
    return merges


# Control characters other than tab, line feed and carriage return: invisible in a spreadsheet, and a terminal
# acts on some of them (ESC starts a colour or clear-screen sequence) when a message quoting them is printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_CELL_CHARS = 32_767  # what an Excel cell holds


def shown_name(name: str, limit: int = 100) -> str:
    """A sheet's name as every message shows it: control characters (a line break, ESC) become a space, so a
    name cannot break the one-line-per-problem output or drive a terminal, and a name longer than any
    spreadsheet allows is cut.

    Example:
        >>> shown_name("Prog\\nress\\x1b[2J"), shown_name("P" * 120)[-3:], len(shown_name("P" * 120))
        ('Prog ress [2J', 'PP…', 101)
    """
    name = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", name)
    return name if len(name) <= limit else name[:limit] + "…"


def _check_cells(sheet: Sheet) -> list[Issue]:
    """Remove control characters from text cells (a warning each) and refuse text longer than a cell holds."""
    issues: list[Issue] = []
    for i, row in enumerate(sheet.rows):
        for j, c in enumerate(row):
            if c.__class__ is not str or (c.isprintable() and len(c) <= MAX_CELL_CHARS):  # type: ignore[union-attr]
                continue
            s = str(c)
            where = (sheet.name, i + 1, _column_letters(j))
            found = sorted(set(_CONTROL.findall(s)))
            if found:
                s = _CONTROL.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", s).strip()
                row[j] = s or None
                codes = ", ".join(f"U+{ord(ch):04X}" for ch in found)
                issues.append(
                    Issue(
                        *where,
                        s[:200],
                        "control_character",
                        f"invisible control character(s) {codes} removed from the text: check it reads as meant",
                        "warning",
                    )
                )
            if len(s) > MAX_CELL_CHARS:
                issues.append(
                    Issue(
                        *where,
                        s[:200],
                        "too_long",
                        f"the text is {len(s):,} characters long, more than a spreadsheet cell holds "
                        f"({MAX_CELL_CHARS:,}): shorten it",
                    )
                )
    return issues


def _xls_encrypted(data: bytes) -> bool:
    """Whether an .xls (BIFF5/8) is encrypted: its FILEPASS record (0x002F) follows the workbook globals' BOF.

    The Workbook stream starts a 512-byte sector of the compound file (it is too large for the mini-stream),
    and a BOF record (0x0809) of the globals (type 0x0005) starts it: found there, the records after it are
    read up to the first sheet (BOUNDSHEET, 0x0085). No compound-file parsing is needed for that.
    """
    for at in range(512, len(data) - 8, 512):
        typ, size = struct.unpack_from("<HH", data, at)
        if typ != 0x0809 or size not in (8, 16) or data[at + 6 : at + 8] != b"\x05\x00":
            continue
        at += 4 + size
        for _ in range(16):
            if at + 4 > len(data):
                break
            typ, size = struct.unpack_from("<HH", data, at)
            if typ == 0x002F:
                return True
            if typ in (0x0085, 0x000A):  # a sheet's BOUNDSHEET, or EOF: no FILEPASS
                break
            at += 4 + size
    return False


def _read_calamine(data: bytes, name: str, settings: Settings, merges: dict[str, list[Merge]]) -> list[Sheet]:
    """Every worksheet, with its merged ranges: calamine's for .xlsx and .xls, else those in `merges` (read
    from the file by _check_extent: calamine gives none for .ods and .xlsb)."""
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: list[Sheet] = []
        for meta in wb.sheets_metadata:
            if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet") and "WorkSheet" not in str(meta.typ):
                continue
            sh = wb.get_sheet_by_name(meta.name)
            n_rows = sh.end[0] + 1 if sh.end else 0  # calamine's end is the last used row, 0-based
            if n_rows > settings.max_rows:
                raise UnreadableFile(
                    name,
                    "too_many_rows",
                    f"sheet '{shown_name(meta.name)}' has {n_rows:,} rows, over the {settings.max_rows:,}-row limit",
                )
            # iter_rows keeps leading empty rows but drops leading empty columns: put them back.
            pad: list[Cell] = [None] * (sh.start[1] if sh.start else 0)
            rows = [pad + [_clean(c) for c in r] for r in sh.iter_rows()]
            # calamine's ranges are ((first row, first column), (last row, last column)) in the sheet's own
            # coordinates (A1 is (0, 0)), the same as `rows` once padded.
            found = sh.merged_cell_ranges
            ranges = [(a[0], a[1], b[0], b[1]) for a, b in found] if found is not None else merges.get(meta.name, [])
            sheets.append(Sheet(shown_name(meta.name), rows, ranges))
        return sheets
    except UnreadableFile:
        raise
    except pc.PasswordError:
        raise UnreadableFile(
            name, "encrypted", "is password-protected: save a copy without a password and try again"
        ) from None
    except BaseException as exc:
        # calamine's errors are many and untyped: all mean "cannot read". A panic inside it (a malformed
        # record it indexes past) reaches Python as pyo3's PanicException, which is not an Exception.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None


def _fill_merges(sheet: Sheet, name: str, max_cells: int) -> None:
    """Copy each merged range's top-left value into all its cells, keeping only ranges that reach into the
    cells the sheet uses, cut to them: a merge over A1:XFD1048576 in a tiny file fills the used rows and
    columns, not 17 billion cells. Refuses a sheet whose (cut) ranges add up to more than `max_cells`."""
    if not sheet.merged:
        return
    n_rows, n_cols = len(sheet.rows), max((len(r) for r in sheet.rows), default=0)
    kept: list[Merge] = []
    filled = 0
    for r0, c0, r1, c1 in sheet.merged:
        if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0 or r0 >= n_rows or c0 >= n_cols:
            continue  # backwards (a damaged file), or wholly outside the cells in use: nothing to fill
        r1, c1 = min(r1, n_rows - 1), min(c1, n_cols - 1)
        if (r0, c0) == (r1, c1):
            continue  # cut to one cell: nothing continues it
        filled += (r1 - r0 + 1) * (c1 - c0 + 1)
        if filled > max_cells:
            raise _too_many_cells(name, sheet.name, f"has merged ranges covering over {filled:,} cells", max_cells)
        kept.append((r0, c0, r1, c1))
    for r0, c0, r1, c1 in kept:
        top = sheet.rows[r0]
        value = top[c0] if c0 < len(top) else None
        for i in range(r0, r1 + 1):
            row = sheet.rows[i]
            if len(row) <= c1:  # a CSV-like ragged row; calamine's are all one width
                row.extend([None] * (c1 + 1 - len(row)))
            row[c0 : c1 + 1] = [value] * (c1 - c0 + 1)
    sheet.merged = kept
    sheet._by_row = None


def unguard(s: str) -> str:
    """Text without the one apostrophe that guards a formula-like cell (=, +, -, @, tab or CR next).

    The product's exports (`tracker.exports.safe_cell`) write "'=1+1" so a spreadsheet shows text, not a
    formula, and "''=1+1" for text that itself began "'=": reading either back gives exactly the text that
    was exported. A person typing '=1+1 in Excel means the same (text, not a formula). Any other apostrophe
    is kept.

    Example:
        >>> unguard("'=1+1"), unguard("'-3"), unguard("''=x"), unguard("'quoted'"), unguard("''x"), unguard("=x")
        ('=1+1', '-3', "'=x", "'quoted'", "''x", '=x')
    """
    if s[:1] == "'" and safe_cell(s[1:]) == s:  # exactly what safe_cell would have written
        return s[1:]
    return s


def _clean(c: object) -> Cell:
    if c == "" or c is None:
        return None
    if isinstance(c, time):
        return c.isoformat()
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return int(c)
    if isinstance(c, str):
        s = unguard(c.strip())
        return s or None
    return c  # type: ignore[return-value]


def _read_csv(data: bytes, name: str, settings: Settings) -> tuple[Sheet, list[Issue]]:
    """The one sheet of a CSV file, and an error for a quoted cell that is never closed."""
    # Excel's "Unicode Text" is UTF-16 with a BOM; anything else with NUL bytes is binary.
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    if encodings != ("utf-16",):
        # DOS programs (and some exports still) end a text file with Ctrl-Z (0x1A): an end mark, not data.
        data = data.rstrip(b"\x1a")
    if encodings != ("utf-16",) and b"\x00" in data[:4096]:
        raise UnreadableFile(name, "not_spreadsheet", "is not a spreadsheet or CSV file (it contains binary data)")
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 fails only on its 5 unassigned bytes; broken UTF-16 too
        raise UnreadableFile(name, "encoding", "is not text in UTF-8, UTF-16 or Windows-1252")
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text[:4096]):
        raise UnreadableFile(
            name, "not_spreadsheet", "is not a spreadsheet or CSV file (it contains control characters)"
        )
    sample = text[:8192]
    # Only the separator (and spaces after it) are guessed: the quote is always '"', doubled inside, as Excel
    # writes it. Left to guess the quote too, the sniffer takes the apostrophes of formula-safe cells ('=1+1,
    # the product's own exports) or of ordinary text for quotes, and splits cells in the wrong places.
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter, skip = sniffed.delimiter, bool(sniffed.skipinitialspace)
    except csv.Error:
        delimiter, skip = ",", False
    # The csv module refuses a cell over 131,072 characters with an exception; let any cell the file can hold be
    # read, so an over-long one is reported like any other (too_long, naming the cell). The limit only grows.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    rows: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter, skipinitialspace=skip)
    try:
        for i, raw in enumerate(reader):
            if i >= settings.max_rows:
                raise UnreadableFile(name, "too_many_rows", f"has more rows than the {settings.max_rows:,}-row limit")
            rows.append([_csv_cell(c) for c in raw])
    except csv.Error as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as CSV (line {reader.line_num}: {exc})") from None
    sheet = Sheet(shown_name(Path(name).stem) or "csv", rows)
    return sheet, _unclosed_quote(text, sheet, delimiter, skip)


def _unclosed_quote(text: str, sheet: Sheet, delimiter: str, skip: bool) -> list[Issue]:
    """An error for a quote opened and never closed: the csv module (as Excel) then reads the rest of the file,
    rows and all, into that one cell, and would load it silently as a long note."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=skip, strict=True):
            pass
        return []
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return []  # something the lenient reader reads as Excel does (a stray quote inside a cell)
    if not sheet.rows or not sheet.rows[-1]:
        return []
    last = sheet.rows[-1]
    j = len(last) - 1
    swallowed = str(last[j] or "").count("\n")
    return [
        Issue(
            sheet.name,
            len(sheet.rows),
            _column_letters(j),
            str(last[j] or "")[:200],
            "unclosed_quote",
            f'a quote (") opens this cell and is never closed, so the rest of the file ({swallowed:,} more '
            f"line{'s' * (swallowed != 1)}) was read into it: close the quote or remove it",
        )
    ]


def _csv_cell(c: str) -> Cell:
    s = unguard(c.strip())
    if not s:
        return None
    return s
