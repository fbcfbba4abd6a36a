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
import html
import io
import re
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
        issues += _check_extent(data, name, settings)
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
        sheet, issues = _read_csv(data, name, settings)
        sheets = [sheet]
    if not any(any(c not in (None, "") for c in row) for s in sheets for row in s.rows):
        raise UnreadableFile(name, "empty", "has no data in any sheet")
    for sheet in sheets:
        issues += _check_cells(sheet)
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
    rb"<table:table\s([^>]*)>|<table:table-row\b([^>]*?)(/?)>|<table:(?:covered-)?table-cell\b([^>]*?)(/?)>"
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


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """{worksheet part: sheet name} from xl/workbook.xml and its relationships (the part's path otherwise)."""
    parts = [n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)]
    names: dict[str, str] = {}
    try:
        with zf.open("xl/workbook.xml") as f:
            book = f.read(4 * _CHUNK).decode("utf-8", "replace")
        with zf.open("xl/_rels/workbook.xml.rels") as f:
            rels = f.read(4 * _CHUNK).decode("utf-8", "replace")
    except KeyError:
        return {p: p for p in parts}
    targets: dict[str, str] = {}
    for tag in _REL_TAG.findall(rels):
        rid, target = _attr(tag, "Id"), _attr(tag, "Target")
        if rid and target:
            targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    for tag in _SHEET_TAG.findall(book):
        sheet, rid = _attr(tag, "name"), _attr(tag, "r:id")
        if sheet and rid and rid in targets:
            names[targets[rid]] = sheet
    return {p: names.get(p, p) for p in parts}


def _check_extent(data: bytes, name: str, settings: Settings) -> list[Issue]:
    """Refuse a sheet reaching further than MAX_CELLS before calamine builds it; warn of formulas with no
    saved value (calamine reads only saved values, so those cells read as blank)."""
    max_cells = max(MAX_CELLS, settings.max_rows * 20)
    issues: list[Issue] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "content.xml" in names and not any(n.startswith("xl/") for n in names):
                _check_ods_extent(zf, name, max_cells)
                return []
            for part, sheet in _xlsx_sheet_parts(zf).items():
                issues += _check_xlsx_sheet(zf, part, sheet, name, max_cells)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, KeyError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None
    return issues


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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def _check_ods_extent(zf: zipfile.ZipFile, name: str, max_cells: int) -> None:
    """Count the cells with content an .ods repeats (number-rows-repeated × number-columns-repeated)."""
    table, total, row_repeat, row_cells = "content.xml", 0, 1, 0
    for chunk in _chunks(zf, "content.xml"):
        for m in _ODS_TOKEN.finditer(chunk):
            table_attrs, row_attrs, row_empty, cell_attrs, cell_empty = m.groups()
            if table_attrs is not None:
                raw = _battr(table_attrs, b"table:name")
                table = html.unescape(raw.decode("utf-8", "replace")) if raw else table
            elif row_attrs is not None:
                total += row_repeat * row_cells  # the row before this one
                row_repeat, row_cells = int(_battr(row_attrs, b"table:number-rows-repeated") or 1), 0
                if row_empty:
                    row_repeat = 0
            elif cell_attrs is not None and (not cell_empty or b"office:value-type" in cell_attrs):
                row_cells += int(_battr(cell_attrs, b"table:number-columns-repeated") or 1)
            if total + row_repeat * row_cells > max_cells:
                raise _too_many_cells(
                    name, table, f"repeats rows and cells to over {total + row_repeat * row_cells:,} cells", max_cells
                )


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
                    f"sheet '{shown_name(meta.name)}' has {n_rows:,} rows, over the {settings.max_rows:,}-row limit",
                )
            # iter_rows keeps leading empty rows but drops leading empty columns: put them back.
            pad: list[Cell] = [None] * (sh.start[1] if sh.start else 0)
            rows = [pad + [_clean(c) for c in r] for r in sh.iter_rows()]
            sheets.append(Sheet(shown_name(meta.name), rows))
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


def _read_csv(data: bytes, name: str, settings: Settings) -> tuple[Sheet, list[Issue]]:
    """The one sheet of a CSV file, and an error for a quoted cell that is never closed."""
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
