"""Reading .xlsx/.xls/.ods (python-calamine) and .csv into plain rows, refusing what cannot be read.

Rows keep their Excel numbering: `sheet.rows[i]` is Excel row `i + 1`. Cells are str, int, float,
bool, date, datetime or None (blank). Every refusal raises `UnreadableFile` with a clear message.

Example:
    >>> wb = read_workbook(b"Ref,Status\\nD1,On track\\n", filename="u.csv")
    >>> wb.sheets[0].rows
    [['Ref', 'Status'], ['D1', 'On track']]
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import python_calamine as pc

from tracker.config import Settings, get_settings
from tracker.exports import safe_cell
from tracker.ingest.base import UnreadableFile

Cell = str | int | float | bool | date | datetime | None
CSV_SUFFIXES = (".csv", ".txt", ".tsv")

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


@dataclass
class Sheet:
    name: str
    rows: list[list[Cell]]


@dataclass
class Workbook:
    filename: str
    content: bytes
    sha256: str
    sheets: list[Sheet]

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
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        _check_zip(data, name, settings)
        sheets = _read_calamine(data, name, settings)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            raise UnreadableFile(
                name, "encrypted", "is password-protected: save a copy without a password and try again"
            )
        sheets = _read_calamine(data, name, settings)
    else:
        for magic, what in _SIGNATURES:
            if data[:64].lstrip().lower().startswith(magic.lower()):
                raise UnreadableFile(name, "not_spreadsheet", f"is not a spreadsheet: it looks like {what}")
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            raise UnreadableFile(name, "corrupt", f"is not a valid {suffix} workbook (it may be damaged or renamed)")
        if suffix and suffix not in CSV_SUFFIXES:
            raise UnreadableFile(
                name,
                "not_spreadsheet",
                f"is not a spreadsheet ({suffix} files are not read: use .xlsx, .xls, .ods or .csv)",
            )
        sheets = [_read_csv(data, name, settings)]
    if not any(any(c not in (None, "") for c in row) for s in sheets for row in s.rows):
        raise UnreadableFile(name, "empty", "has no data in any sheet")
    return Workbook(filename=name, content=data, sha256=sha, sheets=sheets)


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
    """Refuse truncated archives and zip bombs before any XML is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
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
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names and "content.xml" not in names:
        raise UnreadableFile(name, "not_spreadsheet", "is a zip archive, not a spreadsheet")
    if "content.xml" not in names and not any(n.startswith("xl/") for n in names):
        raise UnreadableFile(name, "not_spreadsheet", "is an Office document but not a spreadsheet (no worksheets)")
    if "content.xml" not in names and "xl/workbook.xml" not in names:
        raise UnreadableFile(name, "corrupt", "is damaged: the workbook part (xl/workbook.xml) is missing")


def _read_calamine(data: bytes, name: str, settings: Settings) -> list[Sheet]:
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
                    f"sheet '{meta.name}' has {n_rows:,} rows, over the {settings.max_rows:,}-row limit",
                )
            # iter_rows keeps leading empty rows but drops leading empty columns: put them back.
            pad: list[Cell] = [None] * (sh.start[1] if sh.start else 0)
            rows = [pad + [_clean(c) for c in r] for r in sh.iter_rows()]
            sheets.append(Sheet(meta.name, rows))
        return sheets
    except UnreadableFile:
        raise
    except pc.PasswordError:
        raise UnreadableFile(
            name, "encrypted", "is password-protected: save a copy without a password and try again"
        ) from None
    except Exception as exc:  # calamine's errors are many and untyped: all mean "cannot read"
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None


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


def _read_csv(data: bytes, name: str, settings: Settings) -> Sheet:
    # Excel's "Unicode Text" is UTF-16 with a BOM; anything else with NUL bytes is binary.
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
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
    rows: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter, skipinitialspace=skip)
    for i, raw in enumerate(reader):
        if i >= settings.max_rows:
            raise UnreadableFile(name, "too_many_rows", f"has more rows than the {settings.max_rows:,}-row limit")
        rows.append([_csv_cell(c) for c in raw])
    sheet = Path(name).stem or "csv"
    return Sheet(sheet, rows)


def _csv_cell(c: str) -> Cell:
    s = unguard(c.strip())
    if not s:
        return None
    return s
