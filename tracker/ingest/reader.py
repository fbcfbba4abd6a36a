"""Reading .xlsx/.xlsb/.xls/.ods (python-calamine), .csv and a Word document's tables (.docx: each table a sheet,
`tracker.ingest.word`) into plain rows, refusing what cannot be read.

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
import contextlib
import functools
import hashlib
import io
import pyexpat
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tracker.config import Settings, get_settings
from tracker.ingest.base import Issue, UnreadableFile
from tracker.ingest.sandbox import MAX_CELL_CHARS, Child, SheetRows, plain_text, shown_name, unguard
from tracker.ingest.sandbox import column_letters as _column_letters
from tracker.ingest.word import WORD_SUFFIXES, word_document

__all__ = ["Cell", "Sheet", "Workbook", "read_bytes", "read_workbook", "shown_name", "unguard"]

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
    # A cell's hyperlink address, {(row, column): url} 0-based as `rows` (.xlsx: 'Workshop report' linking to it).
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    # A streamed sheet's rows after `rows` (read_workbook(stream=True)), once; None when `rows` is all of it.
    rest: Callable[[], Iterator[list[Cell]]] | None = field(default=None, repr=False, compare=False)
    # What the reader's checks of single cells found in rows from `rest` and no loader has taken yet (a loader
    # reading `rest` takes them as it goes, so they come in row order).
    found: list[Issue] = field(default_factory=list, repr=False, compare=False)
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
    # Stops a streamed workbook's parse (read_workbook(stream=True)); None when everything is read already.
    closer: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Stop the parse of a streamed workbook (nothing for one read whole); safe to call twice."""
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

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
    stream: bool = False,
) -> Workbook:
    """Read every sheet of a spreadsheet, or raise UnreadableFile saying why not.

    With `stream`, an .xlsx without merged cells is read a row at a time: each sheet's `rows` are its first
    HEAD_ROWS (enough to find a header), `rest()` yields the others as they are parsed (what the reader finds
    in their cells goes to the sheet's `found`), and the workbook must be closed (`close`, or `with`) to stop
    the parse. A loader that sums rows (a workforce extract) then holds one batch at a time, whatever the
    file's length.

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
    closer: Callable[[], None] | None = None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        # The child interpreter starts now, so its start-up overlaps the checks; it is stopped if one refuses
        # the file (see PARSE_WHILE_CHECKING).
        with contextlib.ExitStack() as stack:
            child = stack.enter_context(Child())
            if _check_zip(data, name, settings):  # a Word document: its tables, parsed in the child as a workbook
                child.send("docx", data, name, max_rows=settings.max_rows)
                sheets = [Sheet(shown_name(n), rows, merged or []) for n, rows, merged in child.receive()[0]]
            else:
                streamed = stream and _streamable(data)

                def start_parsing() -> None:
                    child.send("stream" if streamed else "workbook", data, name, max_rows=settings.max_rows)

                links: dict[str, dict[tuple[int, int], str]] = {}
                merged: set[str] = set()
                issues, merges = _check_extent(
                    data, name, settings, start_parsing if PARSE_WHILE_CHECKING else None, links=links, merged=merged
                )
                sheets = []
                # Merged cells, or blank as far as the heads go: read whole, so merged values are copied as always
                # and the whole read says whether anything follows the blank.
                if streamed and not merged:
                    heads, rest = child.stream(data, name, max_rows=settings.max_rows)
                    if _has_data(row for _, rows in heads for row in rows):
                        sheets = [Sheet(shown_name(n), rows) for n, rows in heads]
                        for k, sheet in enumerate(sheets):
                            sheet.rest = functools.partial(_checked_rest, sheet, rest, k)
                        closer = stack.pop_all().close  # the child lives on until the rows are read
                if not sheets:
                    if streamed:  # the child was given the file to stream: a fresh one reads it whole
                        stack.close()
                        child = stack.enter_context(Child())
                    sheets = _read_calamine(data, name, settings, merges, child=child)
                for sheet in sheets:
                    sheet.links = links.get(sheet.name, {})
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        # An encrypted .xlsx/.xlsb is an OLE file with an EncryptionInfo stream; an encrypted .xls has a
        # FILEPASS record (calamine's own password error is lost when it is given bytes: it tries every format
        # and reports "Cannot detect file format").
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data or _xls_encrypted(data):
            raise UnreadableFile(
                name, "encrypted", "is password-protected: save a copy without a password and try again"
            )
        if suffix in WORD_SUFFIXES:
            raise UnreadableFile(
                name, "not_spreadsheet", f"is an older Office file (Word 97-2003?), not a {suffix}: save it as .docx"
            )
        sheets = _read_calamine(data, name, settings, {})
    else:
        for magic, what in _SIGNATURES:
            if data[:64].lstrip().lower().startswith(magic.lower()):
                raise UnreadableFile(name, "not_spreadsheet", f"is not a spreadsheet: it looks like {what}")
        if suffix in WORKBOOK_SUFFIXES:
            raise UnreadableFile(name, "corrupt", f"is not a valid {suffix} workbook (it may be damaged or renamed)")
        if suffix in WORD_SUFFIXES:
            raise UnreadableFile(name, "corrupt", f"is not a valid {suffix} document (it may be damaged or renamed)")
        if suffix and suffix not in CSV_SUFFIXES:
            raise UnreadableFile(
                name,
                "not_spreadsheet",
                f"is not a spreadsheet ({suffix} files are not read: use .xlsx, .xlsb, .xls, .ods, .csv or .docx)",
            )
        sheet, issues = _read_csv(data, name, settings)
        sheets = [sheet]
    if not _has_data(row for s in sheets for row in s.rows):
        raise UnreadableFile(name, "empty", "has no data in any sheet")
    for sheet in sheets:
        issues += _check_cells(sheet)
    max_cells = max(MAX_CELLS, settings.max_rows * 20)
    for sheet in sheets:
        # After the cells are checked, so a value merged over many cells is cleaned (and reported) once.
        _fill_merges(sheet, name, max_cells)
    return Workbook(filename=name, content=data, sha256=sha, sheets=sheets, issues=issues, closer=closer)


def _has_data(rows: Iterable[list[Cell]]) -> bool:
    """Whether any cell of `rows` holds something (not None, not empty text)."""
    return any(any(c not in (None, "") for c in row) for row in rows)


def _checked_rest(sheet: Sheet, rest: SheetRows, k: int) -> Iterator[list[Cell]]:
    """Sheet k's rows after its head, each row the child found odd text in cleaned by `check_row` (its issues
    put in `sheet.found` before the row is yielded)."""
    r = len(sheet.rows)
    for row, odd in rest.rows(k):
        r += 1
        if odd:
            sheet.found += check_row(sheet.name, r, row)
        yield row


def _streamable(data: bytes) -> bool:
    """Whether an .xlsx can be streamed: worksheets in the package's own XML, no .xlsb or .ods parts beside."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = _zip_names(zf)
            package = _xlsx_package(zf, names)
            return bool(package.sheets) and not package.bin_sheets and "content.xml" not in names
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, pyexpat.ExpatError, _XmlRefused):
        return False  # the checks that follow say what is wrong with it


class Reading:
    """A file being read by `read_workbook` in a background thread, started at once, for a caller with other
    work to do meanwhile: the command line imports the database layer while the sandboxed child parses the
    file. `result()` is the Workbook, or raises what `read_workbook` raised (`stream` as there). The bytes are
    read from `source` before this returns (UnreadableFile if that fails).

    Example:
        >>> reading = Reading(b"Ref,Status\\nD1,On track\\n", "u.csv")
        >>> reading.name, reading.result().sheets[0].rows
        ('u.csv', [['Ref', 'Status'], ['D1', 'On track']])
    """

    def __init__(
        self,
        source: str | Path | bytes | bytearray | memoryview | BinaryIO,
        filename: str | None = None,
        *,
        settings: Settings | None = None,
        stream: bool = False,
    ) -> None:
        self.data, self.name = read_bytes(source, filename)
        self._settings = settings
        self._stream = stream
        self._outcome: Workbook | BaseException | None = None
        self._thread = threading.Thread(target=self._read, name=f"read {self.name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self._outcome = read_workbook(self.data, self.name, settings=self._settings, stream=self._stream)
        except BaseException as exc:  # handed to whoever asks for the result, in their thread
            self._outcome = exc

    def result(self) -> Workbook:
        """The workbook, once read (waiting for it)."""
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome


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


def _check_zip(data: bytes, name: str, settings: Settings) -> bool:
    """Refuse truncated archives, zip bombs and encrypted .ods before any XML is parsed; True for a Word document
    (named .docx, .docm, .dotx, .dotm or nothing) whose tables are to be read, False for a workbook."""
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
            word = word_document(zf)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None
    suffix = Path(name).suffix.lower()
    # LibreOffice keeps an encrypted .ods a zip, its parts encrypted and described in the manifest.
    if b"encryption-data" in manifest:
        raise UnreadableFile(name, "encrypted", "is password-protected: save a copy without a password and try again")
    if "[content_types].xml" not in names and "content.xml" not in names:
        if suffix in WORD_SUFFIXES:
            raise UnreadableFile(name, "not_spreadsheet", f"is a zip archive, not a Word document ({suffix})")
        raise UnreadableFile(name, "not_spreadsheet", "is a zip archive, not a spreadsheet")
    workbook = "content.xml" in names or package.workbook is not None or any(n.startswith("xl/") for n in names)
    if suffix in WORD_SUFFIXES and workbook:
        raise UnreadableFile(
            name, "not_spreadsheet", f"is a spreadsheet renamed {suffix}, not a Word document: give it its own name"
        )
    if word is not None and not workbook:
        if suffix in WORD_SUFFIXES or not suffix:
            return True
        raise UnreadableFile(
            name,
            "not_spreadsheet",
            "is an Office document but not a spreadsheet (a Word document: name it .docx to read its tables)",
        )
    if suffix in WORD_SUFFIXES:
        raise UnreadableFile(name, "corrupt", "is damaged: the document part (word/document.xml) is missing")
    if "content.xml" in names:
        return False
    if package.workbook is None and not any(n.startswith("xl/") for n in names):
        raise UnreadableFile(name, "not_spreadsheet", "is an Office document but not a spreadsheet (no worksheets)")
    if package.workbook is None and "xl/workbook.bin" not in names:
        raise UnreadableFile(name, "corrupt", "is damaged: the workbook part (xl/workbook.xml) is missing")
    return False


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
    shared_strings: list[str]  # the shared-strings parts calamine may read


class _XmlRefused(ValueError):
    """XML that declares a DTD or entities: no spreadsheet part does, and expanding them is how a small part
    becomes a huge one (the "billion laughs"), so such a part is refused, never expanded."""


def _no_dtd(*_args: object) -> None:
    raise _XmlRefused("the XML declares a DTD or entities")


def _parser(start: Callable[[str, Any], None]) -> Any:
    """An expat parser calling `start(tag, attributes)` for each element (tags as written, prefix and all),
    refusing any DTD: no entity is ever expanded, and no external one fetched."""
    p = pyexpat.ParserCreate()
    p.StartDoctypeDeclHandler = _no_dtd
    p.EntityDeclHandler = _no_dtd
    p.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartElementHandler = start
    return p


def _local(tag: str) -> str:
    """An element's or attribute's name without its namespace prefix (calamine matches local names)."""
    return tag.rpartition(":")[2]


def _elements(xml: bytes, wanted: tuple[str, ...]) -> list[dict[str, str]]:
    """The attributes of each element of a small part (relationships, the workbook) named one of `wanted`
    (local names), keyed by their local names. A part cut short or malformed gives the elements before the
    fault: what calamine could read of it."""
    found: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) in wanted:
            found.append({_local(k): _CHAR_REF.sub(_char, v) for k, v in attrs.items()})

    p = _parser(start)
    with contextlib.suppress(pyexpat.ExpatError):
        # A character reference XML 1.0 forbids (&#x1B; in a sheet's name) stops expat, not calamine: each
        # "&#" is passed through as a marked "#" and turned into its character afterwards.
        p.Parse(xml.replace(b"&#", b"&#xE000;#"), True)
    return found


_CHAR_REF = re.compile("\ue000#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));")  # over a decoded value, not over XML


def _char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return chr(code) if code <= 0x10FFFF else "\ufffd"


def _feed(zf: zipfile.ZipFile, part: str, parser: Any) -> None:
    """Stream a member through `parser` a chunk at a time (never the whole part in memory)."""
    with zf.open(part) as f:
        while block := f.read(_CHUNK):
            parser.Parse(block, False)
    parser.Parse(b"", True)


def _rel_targets(rels: bytes) -> dict[str, tuple[str, str]]:
    """{relationship id: (target, type)} of a relationships part."""
    return {
        a["Id"]: (a["Target"], a.get("Type", ""))
        for a in _elements(rels, ("Relationship",))
        if "Id" in a and "Target" in a
    }


def _xlsx_package(zf: zipfile.ZipFile, names: dict[str, str]) -> _Package:
    """The parts calamine will read, found as it finds them (MS-OPC): the workbook's folder from the package
    relationships, `workbook.xml` there, the sheets from its relationships; and an .xlsb's binary sheets.

    Every worksheet calamine may open has to be found here, or its extent would go unchecked: the parts named
    by the relationships (wherever they are) and any `xl/worksheets/…/*.xml|bin` besides (a bad relationship
    part, and calamine falling back to another format, must not let one through).
    """
    folder = "xl/"
    for target, typ in _rel_targets(_read_member(zf, names.get("_rels/.rels"), 4 * _CHUNK)).values():
        if typ.endswith("/relationships/officeDocument"):
            folder = target.lstrip("/")[: target.lstrip("/").rfind("/") + 1]
    workbook = names.get((folder + "workbook.xml").lower())
    sheets: dict[str, str] = {}
    shared: list[str] = []

    def part_of(target: str, base: str) -> str | None:
        return names.get((target[1:] if target.startswith("/") else base + target).lower())

    if workbook is not None:
        book = _read_member(zf, workbook, 4 * _CHUNK)
        targets = _rel_targets(_read_member(zf, names.get(f"{folder}_rels/workbook.xml.rels".lower()), 4 * _CHUNK))
        for attrs in _elements(book, ("sheet",)):
            # The relationship id is r:id; any prefix bound to that namespace is accepted (the local name "id").
            target = targets.get(attrs.get("id", ""), ("", ""))[0]
            part = part_of(target, folder) if target else None
            if part is not None:
                sheets.setdefault(part, attrs.get("name") or part)
        shared += [p for t, typ in targets.values() if typ.endswith("/sharedStrings") and (p := part_of(t, folder))]
    bin_sheets: dict[str, str] = {}
    if "xl/workbook.bin" in names:
        bin_targets = _rel_targets(_read_member(zf, names.get("xl/_rels/workbook.bin.rels"), 4 * _CHUNK))
        for rid, sheet in _xlsb_sheet_ids(zf, names["xl/workbook.bin"]):
            part = names.get(("xl/" + bin_targets.get(rid, ("", ""))[0]).lower())
            if part is not None and rid in bin_targets:
                bin_sheets.setdefault(part, sheet)
    for low, part in names.items():
        if low.startswith("xl/worksheets/") and low.endswith(".xml"):
            sheets.setdefault(part, part)
        elif low.startswith("xl/worksheets/") and low.endswith(".bin") and "/binaryindex" not in low:
            bin_sheets.setdefault(part, part)  # not the row-index parts
        elif low.rpartition("/")[2] == "sharedstrings.xml" and part not in shared:
            shared.append(part)
    return _Package(workbook, sheets, bin_sheets, shared)


# calamine holds a sheet as one dense block from its first to its last cell (32 bytes a cell) before any row
# can be counted: cells at A1 and XFD1048576 in a 2 KB file ask for 550 GB and abort the whole process, and
# an .ods row repeated a million times over 16,000 repeated cells does the same. So the sheets' XML is parsed
# (expat, streamed a chunk at a time, every attribute read as XML defines it: any spacing, either quote) for
# how far it reaches before calamine sees it. Shared strings are bounded too: calamine keeps every one (24
# bytes each even when empty) and reserves room for as many as the part's uniqueCount claims.
MAX_CELLS = 10_000_000
# The sandboxed child parses the file while the parent scans the sheets (the two take about as long on a large
# sheet, and a server has the cores); the archive, package and shared-strings checks come first. A file the scan
# refuses is refused with its message, and the child, whatever it was doing, is stopped: calamine then does see
# a sheet the scan would refuse, but only inside the child's memory and time limits (a far cell aborts it at
# once). False: the child gets the file only after every check has passed (slower by the scan's time on a
# large file: about 1.5 s more for 100,000 rows).
PARSE_WHILE_CHECKING = True
MAX_SHARED_TEXT = 100_000_000  # characters of shared strings, all told
_CHUNK = 1024 * 1024
_DIGITS = "0123456789"


def _attribute(attrs: list[str], key: str) -> str | None:
    """An attribute's value from expat's ordered list [name, value, name, value, …], or None."""
    for k in range(0, len(attrs) - 1, 2):
        if attrs[k] == key:
            return attrs[k + 1]
    return None


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_extent(
    data: bytes,
    name: str,
    settings: Settings,
    sheets_next: Callable[[], None] | None = None,
    *,
    links: dict[str, dict[tuple[int, int], str]] | None = None,
    merged: set[str] | None = None,
) -> tuple[list[Issue], dict[str, list[Merge]]]:
    """Refuse a sheet reaching further than MAX_CELLS before calamine builds it, and shared strings past their
    bounds; warn of formulas with no saved value (calamine reads only saved values, so those cells read as
    blank). Also the merged ranges of the formats calamine reports none for (.ods, .xlsb), {sheet name: ranges}.

    calamine tries each format in turn (.xls, .xlsx, .xlsb, .ods) and reads the first that opens, so every
    format whose parts the archive holds is checked, not only the one it looks like.

    `sheets_next` is called once the package and its shared strings have passed, before the sheets are scanned
    (the reader starts the sandboxed parse then). `links` is filled with each .xlsx sheet's hyperlinks, {sheet
    name: {(row, column): address}}, and `merged` with the .xlsx sheets that merge cells, found in the same pass.
    """
    max_cells = max(MAX_CELLS, settings.max_rows * 20)
    issues: list[Issue] = []
    merges: dict[str, list[Merge]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = _zip_names(zf)
            package = _xlsx_package(zf, names)
            for part in package.shared_strings:
                _check_shared_strings(zf, part, name, max_cells)
            if sheets_next is not None:
                sheets_next()
            for part, sheet in package.sheets.items():
                found: list[tuple[str, str]] = []
                issues += _check_xlsx_sheet(zf, part, sheet, name, max_cells, found, merged)
                if found and links is not None:
                    links[shown_name(sheet)] = _hyperlinks(zf, names, part, found)
            for part, sheet in package.bin_sheets.items():
                merges.setdefault(sheet, _check_xlsb_sheet(zf, part, sheet, name, max_cells))
            if "content.xml" in names:
                ods = _check_ods_extent(zf, names["content.xml"], name, max_cells, links)
                merges = ods if "[content_types].xml" not in names else merges
    except UnreadableFile:
        raise
    except _XmlRefused as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({exc})") from None
    except pyexpat.ExpatError as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet (malformed XML: {exc})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, KeyError, NotImplementedError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})") from None
    return issues, merges


_CELL_REF = re.compile(r"^([A-Za-z]{1,3})([0-9]{1,7})$")


def _hyperlinks(
    zf: zipfile.ZipFile, names: dict[str, str], part: str, found: list[tuple[str, str]]
) -> dict[tuple[int, int], str]:
    """{(row, column): address} of a sheet's hyperlinks to outside the workbook (a range's first cell), their
    addresses from the sheet's relationships part."""
    folder, _, base = part.rpartition("/")
    try:
        rels = _rel_targets(_read_member(zf, names.get(f"{folder}/_rels/{base}.rels".lower()), 4 * _CHUNK))
    except pyexpat.ExpatError:
        return {}  # a damaged relationships part loses the links, not the file
    out: dict[tuple[int, int], str] = {}
    for ref, rid in found:
        m = _CELL_REF.match(ref.split(":")[0].strip())
        target = rels.get(rid, ("", ""))[0]
        if m and target and len(target) <= 2000:
            out[(int(m.group(2)) - 1, _column_number(m.group(1).upper()) - 1)] = target
    return out


def _too_many_cells(name: str, sheet: str, what: str, max_cells: int) -> UnreadableFile:
    return UnreadableFile(
        name,
        "too_many_cells",
        f"sheet '{shown_name(sheet)}' {what}, more than the {max_cells:,} cells the tracker reads: delete the rows and "
        "columns far outside the table (or stray cells there) and save it again",
    )


def _check_shared_strings(zf: zipfile.ZipFile, part: str, name: str, max_cells: int) -> None:
    """Refuse shared strings calamine would hold at great cost: more of them than cells the tracker reads (or
    a uniqueCount claiming so, which calamine reserves room for), or over MAX_SHARED_TEXT characters."""
    count = chars = 0

    def refuse(what: str) -> UnreadableFile:
        return UnreadableFile(
            name,
            "too_many_cells",
            f"holds {what}, more than the tracker reads: save the workbook again from Excel or LibreOffice, or "
            "copy the table into a new workbook",
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        local = _local(tag)
        if local == "si":
            count += 1
            if count > max_cells:
                raise refuse(f"over {max_cells:,} shared strings")
        elif local == "sst":
            for key in ("uniqueCount", "count"):
                claimed = attrs.get(key, "").strip()
                if claimed and (not claimed.isdigit() or int(claimed) > max_cells):
                    raise refuse(f"a shared-strings table claiming {claimed[:20]} strings")

    def text(data: str) -> None:
        nonlocal chars
        chars += len(data)
        if chars > MAX_SHARED_TEXT:
            raise refuse(f"over {MAX_SHARED_TEXT:,} characters of shared strings")

    p = _parser(start)
    p.CharacterDataHandler = text
    _feed(zf, part, p)


def _check_xlsx_sheet(
    zf: zipfile.ZipFile,
    part: str,
    sheet: str,
    name: str,
    max_cells: int,
    hyperlinks: list[tuple[str, str]] | None = None,
    merged: set[str] | None = None,
) -> list[Issue]:
    """Refuse a worksheet reaching further than calamine should build; warn of formulas with no saved value;
    collect its hyperlinks as (cell reference, relationship id) into `hyperlinks` (the first 10,000), and add
    `sheet` to `merged` if it merges cells.

    A plainly written sheet is checked by `_plain_sheet_fits` at C speed; any other by `_scan_xlsx_elements`."""
    if _plain_sheet_fits(zf, part, sheet, name, max_cells):  # no formulas, hyperlinks or merges: nothing to note
        return []
    return _scan_xlsx_elements(zf, part, sheet, name, max_cells, hyperlinks, merged)


def _scan_xlsx_elements(
    zf: zipfile.ZipFile,
    part: str,
    sheet: str,
    name: str,
    max_cells: int,
    hyperlinks: list[tuple[str, str]] | None = None,
    merged: set[str] | None = None,
) -> list[Issue]:
    """`_check_xlsx_sheet` element by element, for any sheet however written.

    Cells are placed as calamine places them: by a cell's `r` (letters in either case, as calamine takes them,
    then the row) or, without one, after the cell before it; rows by their `r`, or after the row before. The
    sheet is refused as soon as the rows reached × the columns reached pass `max_cells` (the dense block
    calamine would build), or its cells outnumber them. Only element starts are handled, with the state in
    local variables (one cheap Python call per element keeps a 100,000-row sheet to about a second); a cell
    ends where the next cell or row starts.
    """
    row = col = max_row = max_col = cells = unsaved = 0
    in_formula = saved = capturing = False
    cell_row = 0
    first_unsaved: tuple[int, int] | None = None
    columns: dict[str, int] = {}  # a cell's letters → its column number, as met

    def column(letters: str) -> int:
        """The column of a cell's letters as calamine reads them (a-z as A-Z); letters it does not take (the
        whole sheet then fails to read) count as the column after the last."""
        upper = letters.upper()
        if not (upper.isascii() and upper.isalpha()):
            return col + 1
        n = _column_number(upper)
        if len(columns) < 100_000:
            columns[letters] = n
        return n

    def text(data: str) -> None:
        nonlocal saved
        if data.strip():
            saved = True

    def check() -> None:
        _refuse_reach(name, sheet, max_row, max_col, max_cells)

    def start(tag: str, attrs: list[str]) -> None:
        nonlocal row, col, max_row, max_col, cells, unsaved, in_formula, saved, capturing, cell_row, first_unsaved
        if capturing:  # the text of a formula cell's <v> ends where the next element starts
            capturing = False
            p.CharacterDataHandler = None
        if tag == "c":
            if in_formula:  # the formula cell before this one ends here
                end_formula()
            cells += 1
            # Attributes as [name, value, …]; writers put r first, so that is looked at before the rest.
            ref = attrs[1] if attrs and attrs[0] == "r" else _attribute(attrs, "r")
            if ref is None:
                col += 1
                cell_row = row
            else:
                letters = ref.rstrip(_DIGITS)
                # ASCII digits only (rstrip took exactly those); calamine refuses a ref with anything else.
                cell_row = int(ref[len(letters) :]) if len(letters) < len(ref) else row
                col = (columns.get(letters) or column(letters)) if letters else col + 1
            if cell_row > max_row:
                max_row = cell_row
            if col > max_col:
                max_col = col
            if cells > max_cells:
                raise _too_many_cells(name, sheet, f"has over {cells:,} cells", max_cells)
        elif tag == "v":
            if in_formula:
                capturing = True
                p.CharacterDataHandler = text
        elif tag == "row":
            if in_formula:
                end_formula()
            check()
            ref = attrs[1] if attrs and attrs[0] == "r" else _attribute(attrs, "r")
            row = int(ref) if ref and not ref.strip(_DIGITS) else row + 1
            col = 0
            if row > max_row:
                max_row = row
        elif tag == "f":
            in_formula = True
        elif tag == "mergeCell" and merged is not None:
            merged.add(sheet)
        elif tag == "hyperlink" and hyperlinks is not None and len(hyperlinks) < 10_000:
            # The relationship id is r:id under whatever prefix the writer bound to the namespace.
            rid = next((attrs[k + 1] for k in range(0, len(attrs) - 1, 2) if attrs[k].endswith(":id")), "")
            hyperlinks.append((_attribute(attrs, "ref") or "", rid))
        elif ":" in tag:  # a namespace prefix (x:c, x:row): the same elements
            start(_local(tag), attrs)

    def end_formula() -> None:
        nonlocal unsaved, in_formula, saved, first_unsaved
        if not saved:
            unsaved += 1
            first_unsaved = first_unsaved or (cell_row, col)
        in_formula = saved = False

    p = _parser(start)
    p.ordered_attributes = True
    _feed(zf, part, p)
    if in_formula:
        end_formula()
    check()
    if first_unsaved is None:
        return []
    r, c = first_unsaved
    return [
        Issue(
            sheet,
            r,
            _column_letters(c - 1),
            None,
            "formula_not_saved",
            f"{_plural(unsaved, 'formula')} with no saved result (first: {_column_letters(c - 1)}{r}), read as "
            "blank: the tracker reads the values a spreadsheet saved, never the formulas; open the file in Excel "
            "or LibreOffice and save it, or type the values",
            "warning",
        )
    ]


def _refuse_reach(name: str, sheet: str, max_row: int, max_col: int, max_cells: int) -> None:
    """Refuse a sheet whose dense block (rows reached × columns reached) is over `max_cells`."""
    n_cols = max(max_col, 1)
    if max_row * n_cols > max_cells:
        reach = f"{_column_letters(n_cols - 1)}{max_row}" if n_cols <= 16_384 else f"column {n_cols:,}"
        raise _too_many_cells(name, sheet, f"reaches cell {reach} ({max_row:,} rows × {n_cols:,} columns)", max_cells)


# A sheet as Excel, LibreOffice and openpyxl write one: each cell and row opens with its reference as its first
# attribute, in double quotes, no leading zeros. Counted with C-speed searches rather than a Python call per
# element (0.6 s against 1.9 s on a 100,000-row extract).
_PLAIN_CELL_COLUMNS = re.compile(rb'<c r="([A-Za-z]{1,3})[1-9][0-9]{0,6}"')
_PLAIN_CELL_ROWS = re.compile(rb'<c r="[A-Za-z]{1,3}([1-9][0-9]{0,6})"')
_PLAIN_ROWS = re.compile(rb'<row r="([1-9][0-9]{0,6})"')
_ROW_START = re.compile(rb"<row[\s/>]")
_OTHER_C = re.compile(rb"<c[\w.:-]")  # <col>, <cols>, <cfRule>: elements that are not cells
# What only the element-by-element scan reads rightly: formulas (saved values or not), hyperlinks, merged cells,
# comments and CDATA (their text is not markup), namespace prefixes on the sheet's own elements.
_NOT_PLAIN = (re.compile(rb"<f[\s/>]"), re.compile(rb":(?:c|row|f|v|is)[\s/>]"))
_NOT_PLAIN_TEXT = (b"<!", b"<hyperlink", b"mergeCell")


def _plain_sheet_fits(zf: zipfile.ZipFile, part: str, sheet: str, name: str, max_cells: int) -> bool:
    """True when a plainly written worksheet fits (refused, as `_check_xlsx_sheet` refuses, when it does not);
    False when anything in it is not plain, and `_check_xlsx_sheet` must scan it element by element.

    Conservative by construction: every `<c` must be a cell whose reference the pattern reads in full, every
    `<row` a row with its number, else None; a reference a pattern could misread (leading zeros, an entity,
    single quotes, another attribute first) fails the count, never lowers the reach.
    """
    cells = max_row = max_col = 0
    letters: set[bytes] = set()
    tail = b""
    with zf.open(part) as f:
        while True:
            block = f.read(_CHUNK)
            buf = tail + block
            if block:  # cut after the last '>', so no tag is split between two pieces
                cut = buf.rfind(b">") + 1
                buf, tail = buf[:cut], buf[cut:]
                if len(tail) > 4 * _CHUNK:
                    return False
            if any(t in buf for t in _NOT_PLAIN_TEXT) or any(p.search(buf) for p in _NOT_PLAIN):
                return False
            n = buf.count(b"<c") - len(_OTHER_C.findall(buf))
            columns = _PLAIN_CELL_COLUMNS.findall(buf)
            rows = _PLAIN_ROWS.findall(buf)
            if len(columns) != n or len(rows) != len(_ROW_START.findall(buf)):
                return False
            cells += n
            if cells > max_cells:
                raise _too_many_cells(name, sheet, f"has over {max_cells:,} cells", max_cells)
            new = set(columns) - letters
            if new:
                letters |= new
                max_col = max(max_col, *(_column_number(x.decode().upper()) for x in new))
            numbers = set(_PLAIN_CELL_ROWS.findall(buf))
            numbers.update(rows)
            if numbers:
                max_row = max(max_row, max(map(int, numbers)))
            # Each piece, as the element scan checks each row: a zip bomb is refused within its first megabytes.
            _refuse_reach(name, sheet, max_row, max_col, max_cells)
            if not block:
                return True


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


def _check_ods_extent(
    zf: zipfile.ZipFile,
    part: str,
    name: str,
    max_cells: int,
    links: dict[str, dict[tuple[int, int], str]] | None = None,
) -> dict[str, list[Merge]]:
    """Count the cells with content an .ods repeats (number-rows-repeated × number-columns-repeated); and
    collect each table's merged ranges (number-rows-spanned / number-columns-spanned), which calamine does not
    report for .ods. Covered cells (those a merge hides) take their place in the row like any other; a cell
    counts when it has a value type or anything inside it. A cell's hyperlink (text:a) goes into `links`."""
    table, total, row_repeat, row_cells = "content.xml", 0, 1, 0
    cell_col = 0  # the column of the cell being read
    merges: dict[str, list[Merge]] = {}
    n_merges = 0
    row, col, next_row = -1, 0, 0  # the current row, the column of the next cell, the row after this one
    open_cell = 0  # the repeat of the cell being read while nothing inside it has been seen yet, else 0

    def number(attrs: dict[str, str], key: str) -> int:
        return int(attrs.get(key) or 1)

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal table, total, row_repeat, row_cells, n_merges, row, col, next_row, open_cell, cell_col
        if open_cell:  # an element inside the cell: it has content
            row_cells += open_cell
            open_cell = 0
        if tag == "text:a" and links is not None and row >= 0 and "xlink:href" in attrs:
            found = links.setdefault(shown_name(table), {})
            if len(found) < 10_000 and len(attrs["xlink:href"]) <= 2000:
                found.setdefault((row, cell_col), attrs["xlink:href"])
        if tag == "table:table":
            table = attrs.get("table:name") or table
            row, col, next_row = -1, 0, 0
        elif tag == "table:table-row":
            total += row_repeat * row_cells  # the row before this one
            row_repeat, row_cells = number(attrs, "table:number-rows-repeated"), 0
            row, col, next_row = next_row, 0, next_row + row_repeat
        elif tag in ("table:table-cell", "table:covered-table-cell"):
            repeat = number(attrs, "table:number-columns-repeated")
            cell_col = col
            if "office:value-type" in attrs:
                row_cells += repeat
            else:
                open_cell = repeat
            spans = "table:number-rows-spanned" in attrs or "table:number-columns-spanned" in attrs
            if tag == "table:table-cell" and spans and row >= 0:
                rows_spanned = number(attrs, "table:number-rows-spanned")
                cols_spanned = number(attrs, "table:number-columns-spanned")
                if rows_spanned > 1 or cols_spanned > 1:
                    merges.setdefault(table, []).append((row, col, row + rows_spanned - 1, col + cols_spanned - 1))
                    n_merges += 1
                    if n_merges > max_cells // 10:
                        raise _too_many_cells(name, table, f"has over {n_merges:,} merged ranges", max_cells)
            col += repeat
        if total + row_repeat * (row_cells + open_cell) > max_cells:
            reached = total + row_repeat * (row_cells + open_cell)
            raise _too_many_cells(name, table, f"repeats rows and cells to over {reached:,} cells", max_cells)

    def end(tag: str) -> None:
        nonlocal open_cell
        if tag in ("table:table-cell", "table:covered-table-cell"):
            open_cell = 0

    p = _parser(start)
    p.EndElementHandler = end
    _feed(zf, part, p)
    return merges


# Control characters other than tab, line feed and carriage return: invisible in a spreadsheet, and a terminal
# acts on some of them (ESC starts a colour or clear-screen sequence) when a message quoting them is printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _check_cells(sheet: Sheet) -> list[Issue]:
    """Remove control characters from text cells (a warning each) and refuse text longer than a cell holds."""
    issues: list[Issue] = []
    for i, row in enumerate(sheet.rows):
        issues += check_row(sheet.name, i + 1, row)
    return issues


def check_row(sheet: str, r: int, row: list[Cell]) -> list[Issue]:
    """`_check_cells` for one row (Excel's row `r`), cleaned in place: what a loader reading a streamed sheet's
    `rest()` calls on each row.

    Example:
        >>> row = ["ok", "a bell\\x07 rang"]
        >>> [i.code for i in check_row("S", 9, row)], row
        (['control_character'], ['ok', 'a bell rang'])
    """
    issues: list[Issue] = []
    for j, c in enumerate(row):
        if c.__class__ is not str or plain_text(c):  # type: ignore[arg-type]
            continue
        s = str(c)
        where = (sheet, r, _column_letters(j))
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


def _read_calamine(
    data: bytes, name: str, settings: Settings, merges: dict[str, list[Merge]], *, child: Child | None = None
) -> list[Sheet]:
    """Every worksheet, with its merged ranges: calamine's for .xlsx and .xls, else those in `merges` (read
    from the file by _check_extent: calamine gives none for .ods and .xlsb). Parsed in a sandboxed child
    (`tracker.ingest.sandbox`): a file that crashes or exhausts the parser is refused, the server lives on."""
    if child is None:
        with Child() as own:
            return _read_calamine(data, name, settings, merges, child=own)
    if not child.sent:
        child.send("workbook", data, name, max_rows=settings.max_rows)
    raw, _ = child.receive()
    return [Sheet(shown_name(n), rows, merges.get(n, []) if merged is None else merged) for n, rows, merged in raw]


def _read_csv(data: bytes, name: str, settings: Settings) -> tuple[Sheet, list[Issue]]:
    """The one sheet of a CSV file, and an error for a quoted cell that is never closed (parsed in a sandboxed
    child, as workbooks are)."""
    with Child() as child:
        raw, issues = child.parse("csv", data, name, max_rows=settings.max_rows)
    (n, rows, _), *_ = raw
    return Sheet(n, rows), issues


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
