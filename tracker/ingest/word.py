"""Word documents (.docx) read as workbooks: each table of the document is a sheet ("Table 1", "Table 2", …).

Institutions publish action plans in Word, and a draft's "next action plan" table is saved from Word: the plan
reader reads such a table as it reads a sheet. A table's rows are its rows; a cell's paragraphs are joined with
line breaks (so a bullet list typed in a cell stays one item a line); a cell spanning columns (gridSpan) or rows
(vMerge) is a merged range, so the columns line up as Excel would show them. The paragraphs just before a table
(the nearest ten, and the document's first two) are rows above it, one a row in column A: the title block the
plan reader takes the plan's name and window from ("24-month action plan, November 2018 – October 2020"). Tables
one after another with the same header row (one table per pillar, or a table cut by a page) are one sheet ("Tables
1-3"), the headings between them section rows merged across it ("Visibility", then its actions). Word's
automatic bullets and numbers (a list style, or numbering.xml) are no text in the file: they are put before the
paragraph's text as Word shows them ("•", "1.", "a)"), counted per list as Word counts them.

word/document.xml is read with expat, a chunk at a time, refusing any DTD (no entity is expanded, none fetched);
only the standard library is used, so the sandboxed child (`tracker.ingest.sandbox`) runs it within its memory
and time limits, after the reader's checks of the archive (size, inflate ratio). Text in text boxes, deleted text
of tracked changes and field codes are not table text and are left out.

Example:
    >>> import io, zipfile
    >>> body = ('<w:p><w:r><w:t>Action plan 2021-2023</w:t></w:r></w:p><w:tbl>'
    ...         '<w:tr><w:tc><w:p><w:r><w:t>Action</w:t></w:r></w:p></w:tc></w:tr>'
    ...         '<w:tr><w:tc><w:p><w:r><w:t>Set up a network</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    >>> doc = f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as zf:
    ...     zf.writestr("word/document.xml", doc)
    >>> read_tables(buf.getvalue(), "plan.docx", max_rows=100)
    [('Table 1', [['Action plan 2021-2023'], ['Action'], ['Set up a network']], [])]
"""

from __future__ import annotations

import io
import pyexpat
import re
import zipfile
import zlib
from typing import Any

from tracker.ingest.base import UnreadableFile

__all__ = ["WORD_SUFFIXES", "W", "read_tables", "word_document"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_OFFICE_DOCUMENT = ("/relationships/officeDocument", "/officedocument")  # transitional and strict relationship types
WORD_SUFFIXES = (".docx", ".docm", ".dotx", ".dotm")
MAX_COLUMNS = 16_384  # Excel's widest sheet: a row reaching past it is no table
MAX_CELLS = 10_000_000  # as the reader's limit for a sheet
TITLE_NEAR, TITLE_HEAD = 10, 2  # paragraphs kept above a table: the nearest ones, and the document's first ones
_CHUNK = 1024 * 1024

Cell = str | None
Merge = tuple[int, int, int, int]
RawSheet = tuple[str, list[list[Cell]], list[Merge] | None]


class _Refused(ValueError):
    """XML declaring a DTD or entities: no Word part needs one, and expanding them is how a small part explodes."""


def _no_dtd(*_args: object) -> None:
    raise _Refused("the XML declares a DTD or entities")


def _parser() -> Any:
    """A namespace-aware expat parser (tags arrive as 'uri local') that refuses any DTD."""
    p = pyexpat.ParserCreate(namespace_separator=" ")
    p.StartDoctypeDeclHandler = _no_dtd
    p.EntityDeclHandler = _no_dtd
    p.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


def word_document(zf: zipfile.ZipFile) -> str | None:
    """The member holding a Word package's main document (its officeDocument relationship, else
    word/document.xml, in any case), or None when the archive is no Word document.

    Example:
        >>> buf = io.BytesIO()
        >>> with zipfile.ZipFile(buf, "w") as out:
        ...     out.writestr("Word/Document.xml", "<document/>")
        >>> word_document(zipfile.ZipFile(buf))
        'Word/Document.xml'
    """
    names = {n.replace("\\", "/").lower(): n for n in zf.namelist()}
    rels = names.get("_rels/.rels")
    if rels is not None:
        targets: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag.rpartition(" ")[2] == "Relationship" and attrs.get("Type", "").lower().endswith(
                tuple(t.lower() for t in _OFFICE_DOCUMENT)
            ):
                targets.append(attrs.get("Target", ""))

        p = _parser()
        p.StartElementHandler = start
        try:
            with zf.open(rels) as f:
                p.Parse(f.read(4 * _CHUNK), True)
        except (pyexpat.ExpatError, _Refused, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
            targets = []
        for target in targets:
            part = names.get(target.lstrip("/").lower())
            if part is not None and part.lower().startswith("word/"):
                return part
    return names.get("word/document.xml")


def read_tables(data: bytes, name: str, max_rows: int, max_cells: int = MAX_CELLS) -> list[RawSheet]:
    """Each table of a Word document as a sheet (name, rows, merged ranges), with the paragraphs before it as
    rows above it; UnreadableFile for a document with no tables, a damaged one, or one too large to read.

    Example:
        >>> read_tables(b"PK\\x05\\x06" + bytes(18), "notes.docx", max_rows=10)
        Traceback (most recent call last):
        ...
        tracker.ingest.base.UnreadableFile: notes.docx: is damaged: it has no document part (word/document.xml)
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = word_document(zf)
            if part is None:
                raise UnreadableFile(name, "corrupt", "is damaged: it has no document part (word/document.xml)")
            reader = _Reader(name, max_rows, max_cells)
            reader.lists = _Lists.read(zf, part)
            p = _parser()
            p.StartElementHandler = reader.start
            p.EndElementHandler = reader.end
            p.CharacterDataHandler = reader.text
            with zf.open(part) as f:
                while block := f.read(_CHUNK):
                    p.Parse(block, False)
            p.Parse(b"", True)
    except UnreadableFile:
        raise
    except _Refused as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as a Word document ({exc})") from None
    except pyexpat.ExpatError as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as a Word document (malformed XML: {exc})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, KeyError, NotImplementedError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise UnreadableFile(name, "corrupt", f"cannot be read as a Word document ({detail})") from None
    return reader.sheets()


class _Table:
    """One top-level table as it is read: its rows, merged ranges and the vertical merges still open."""

    def __init__(self, before: int) -> None:
        self.before = before  # how many body paragraphs precede it
        self.rows: list[list[Cell]] = []
        self.merges: list[Merge] = []
        self.open: dict[int, list[int]] = {}  # {first column: [first row, first column, last row, last column]}


class _Reader:
    """expat handlers building the tables of word/document.xml (see the module's docstring)."""

    def __init__(self, name: str, max_rows: int, max_cells: int) -> None:
        self.name, self.max_rows, self.max_cells = name, max_rows, max_cells
        self.paragraphs: list[str] = []  # body paragraphs outside any table
        self.tables: list[_Table] = []
        self.depth = 0  # tables open (a table inside a cell adds its text to that cell)
        self.skip = 0  # inside a text box, deleted or moved-away text, a field code, markup's fallback
        self.in_text = False
        self.lists = _Lists()
        self.style: str | None = None  # the paragraph's style, and its own list (numId, level), as read
        self.num: str | None = None
        self.level = 0
        self.runs = 0  # runs open (the text of a paragraph is in its runs)
        self.para: list[str] | None = None  # the paragraph being read
        self.cell: list[str] | None = None  # the paragraphs of the top-level cell being read
        self.row: list[Cell] = []
        self.col = 0
        self.span = 1
        self.vmerge: str | None = None  # "restart", "continue", or None
        self.hmerge = False
        self.first: int | None = None  # the first column of the row's last cell
        self.wide: dict[int, int] = {}  # {first column: last column} of the row's cells wider than a column
        self.cells = 0

    # -- expat handlers ---------------------------------------------------------------------------------

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        uri, _, local = tag.rpartition(" ")
        if (uri == _MC and local == "Fallback") or (uri in (W, _STRICT_W) and local in _SKIPPED):
            self.skip += 1
            return
        if self.skip or uri not in (W, _STRICT_W):
            return
        if local == "t":
            self.in_text = True
        elif local == "p":
            self.para, self.style, self.num, self.level = [], None, None, 0
        elif local == "pStyle" and self.para is not None and not self.runs:
            self.style = _val(attrs)
        elif local == "numId" and self.para is not None and not self.runs:
            self.num = _val(attrs)
        elif local == "ilvl" and self.para is not None and not self.runs:
            self.level = _level(_val(attrs))
        elif local == "r":
            self.runs += 1
        elif local in ("tab", "br", "cr", "noBreakHyphen") and self.runs and self.para is not None:
            # In a run only: a paragraph's properties list its tab stops as <w:tab> too.
            self.para.append({"tab": "\t", "noBreakHyphen": "-"}.get(local, "\n"))
        elif local == "tbl":
            self.depth += 1
            if self.depth == 1:
                self.tables.append(_Table(len(self.paragraphs)))
        elif self.depth != 1:
            return
        elif local == "tr":
            self.row, self.col, self.first, self.wide = [], 0, None, {}
        elif local in ("gridBefore", "gridAfter") and self.cell is None:
            n = self._number(attrs)
            if local == "gridBefore":
                self._place(None, n)
        elif local == "tc":
            self.cell, self.span, self.vmerge, self.hmerge = [], 1, None, False
        elif local == "gridSpan" and self.cell is not None:
            self.span = self._number(attrs)
        elif local == "vMerge" and self.cell is not None:
            self.vmerge = "restart" if _val(attrs) == "restart" else "continue"
        elif local == "hMerge" and self.cell is not None:
            self.hmerge = _val(attrs) != "restart"

    def end(self, tag: str) -> None:
        uri, _, local = tag.rpartition(" ")
        if (uri == _MC and local == "Fallback") or (uri in (W, _STRICT_W) and local in _SKIPPED):
            self.skip -= 1
            return
        if self.skip or uri not in (W, _STRICT_W):
            return
        if local == "t":
            self.in_text = False
        elif local == "r":
            self.runs -= 1
        elif local == "p" and self.para is not None:
            text = "".join(self.para)
            self.para = None
            label = self.lists.label(self.num, self.level, self.style) if text.strip() else ""
            if label:  # Word's automatic bullet or number, shown before the text
                text = f"{label} {text.lstrip()}"
            if self.cell is not None:
                self.cell.append(text)
            elif self.depth == 0:
                self.paragraphs.append(text)
        elif local == "tbl":
            if self.depth == 1:
                table = self.tables[-1]
                table.merges += [(m[0], m[1], m[2], m[3]) for m in table.open.values() if m[2] > m[0] or m[3] > m[1]]
                table.open = {}
            self.depth -= 1
        elif self.depth != 1:
            return
        elif local == "tc" and self.cell is not None:
            # Blank paragraphs before and after the text are no part of it (strip); those between are kept.
            text = "\n".join(self.cell).strip()
            self.cell = None
            self._cell(text or None)
        elif local == "tr":
            table = self.tables[-1]
            if len(table.rows) >= self.max_rows:
                raise UnreadableFile(
                    self.name,
                    "too_many_rows",
                    f"table {len(self.tables)} has more rows than the {self.max_rows:,}-row limit",
                )
            r = len(table.rows)
            table.merges += [(r, c0, r, c1) for c0, c1 in self.wide.items()]
            table.rows.append(self.row)

    def text(self, data: str) -> None:
        if self.in_text and not self.skip and self.para is not None:
            self.para.append(data)

    # -- building rows --------------------------------------------------------------------------------------

    def _number(self, attrs: dict[str, str]) -> int:
        value = _val(attrs) or "1"
        if not value.isdigit():
            return 1
        return min(int(value), MAX_COLUMNS + 1)

    def _place(self, value: Cell, span: int) -> int:
        """Put a cell `span` columns wide at the next column of the row; its first column."""
        at = self.col
        self.col += max(span, 1)
        self.cells += max(span, 1)
        if self.col > MAX_COLUMNS or self.cells > self.max_cells:
            wide = self.col > MAX_COLUMNS
            what = f"has a row {self.col:,} columns wide" if wide else f"has over {self.cells:,} cells"
            raise UnreadableFile(
                self.name,
                "too_many_cells",
                f"table {len(self.tables)} {what}, more than the tracker reads",
            )
        self.row.extend([None] * (self.col - len(self.row)))
        self.row[at] = value
        return at

    def _cell(self, value: Cell) -> None:
        table = self.tables[-1]
        r = len(table.rows)
        at = self.col
        if self.hmerge and self.first is not None:
            # A legacy horizontal merge's continuation: the cell before it grows over this one.
            self._place(None, self.span)
            self.wide[self.first] = self.col - 1
            return
        self.first = at
        opened = table.open.get(at)
        if self.vmerge == "continue" and opened is not None and opened[2] == r - 1:
            opened[2] = r
            self._place(None, self.span)
            return
        if opened is not None:  # a merge down this column ends above this cell
            del table.open[at]
            if opened[2] > opened[0] or opened[3] > opened[1]:
                table.merges.append((opened[0], opened[1], opened[2], opened[3]))
        self._place(value, self.span)
        if self.vmerge is not None:
            table.open[at] = [r, at, r, at + self.span - 1]
        elif self.span > 1:
            self.wide[at] = at + self.span - 1

    def sheets(self) -> list[RawSheet]:
        if not self.tables:
            raise UnreadableFile(
                self.name,
                "no_tables",
                "has no tables: a plan in a Word document is read from its table (one action a row)",
            )
        head = [i for i, text in enumerate(self.paragraphs[: self.tables[0].before]) if text.strip()][:TITLE_HEAD]
        out: list[RawSheet] = []
        previous = 0
        n = 0
        while n < len(self.tables):
            table = self.tables[n]
            near = [i for i in range(previous, table.before) if self.paragraphs[i].strip()][-TITLE_NEAR:]
            rows: list[list[Cell]] = [[self.paragraphs[i].strip()] for i in sorted(set(head) | set(near))]
            merges: list[Merge] = []
            group = self._group(n)
            width = max((len(r) for t in group for r in t.rows), default=1)
            for k, part in enumerate(group):
                if k:  # the headings between two parts of one table: section rows across it
                    for i in range(group[k - 1].before, part.before):
                        if self.paragraphs[i].strip():
                            merges.append((len(rows), 0, len(rows), width - 1))
                            rows.append([self.paragraphs[i].strip()])
                top = len(rows)
                merges += [(r0 + top, c0, r1 + top, c1) for r0, c0, r1, c1 in part.merges]
                rows += part.rows
            name = f"Table {n + 1}" if len(group) == 1 else f"Tables {n + 1}-{n + len(group)}"
            out.append((name, rows, merges))
            previous = group[-1].before
            n += len(group)
        return out

    def _group(self, n: int) -> list[_Table]:
        """Table `n` and the tables right after it that repeat its header row (a plan set out as one table per
        pillar or theme, or cut by a page): one table, read as one sheet."""
        header = _header(self.tables[n])
        group = [self.tables[n]]
        while header and n + len(group) < len(self.tables) and _header(self.tables[n + len(group)]) == header:
            group.append(self.tables[n + len(group)])
        return group


def _header(table: _Table) -> tuple[str, ...] | None:
    """A table's first row as a header (its texts, spacing and case aside), when it has two or more."""
    if not table.rows:
        return None
    texts = tuple(" ".join(c.split()).lower() for c in table.rows[0] if c)
    return texts if len(texts) >= 2 else None


class _Lists:
    """Word's automatic bullets and numbers (numbering.xml, and the list styles of styles.xml): the label a list
    paragraph shows ("•", "1.", "2.", "a)"), counted per list as Word counts them."""

    def __init__(self) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # {(abstract, level): (format, text, start)}
        self.nums: dict[str, str] = {}  # {numId: abstractNumId}
        self.styles: dict[str, tuple[str | None, int | None, str | None]] = {}  # {style: (numId, level, based on)}
        self.counts: dict[str, list[int]] = {}  # {numId: the count at each level}

    @classmethod
    def read(cls, zf: zipfile.ZipFile, document: str) -> _Lists:
        """The lists of the package holding `document` (beside it: word/numbering.xml, word/styles.xml)."""
        lists = cls()
        names = {n.replace("\\", "/").lower(): n for n in zf.namelist()}
        folder = document[: document.rfind("/") + 1].lower()
        for part, handler in (("numbering.xml", lists._numbering()), ("styles.xml", lists._styles())):
            member = names.get(folder + part)
            if member is None:
                continue
            p = _parser()
            p.StartElementHandler = handler
            try:
                with zf.open(member) as f:
                    p.Parse(f.read(16 * _CHUNK), True)  # the lists and styles of any real document fit
            except pyexpat.ExpatError:
                pass  # a damaged part: what was read of it counts; the text is read all the same
        return lists

    def _numbering(self) -> Any:
        abstract, level = "", 0

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal abstract, level
            local = tag.rpartition(" ")[2]
            if local == "abstractNum":
                abstract = attrs.get(f"{W} abstractNumId", attrs.get(f"{_STRICT_W} abstractNumId", ""))
            elif local == "lvl":
                level = _level(attrs.get(f"{W} ilvl", attrs.get(f"{_STRICT_W} ilvl")))
                self.levels.setdefault((abstract, level), ("decimal", f"%{level + 1}.", 1))
            elif local in ("numFmt", "lvlText", "start") and (abstract, level) in self.levels:
                fmt, text, first = self.levels[(abstract, level)]
                value = _val(attrs) or ""
                if local == "numFmt":
                    fmt = value
                elif local == "lvlText":
                    text = value
                else:
                    first = int(value) if value.isdigit() and len(value) < 6 else 1
                self.levels[(abstract, level)] = (fmt, text, first)
            elif local == "num":
                abstract = "#" + attrs.get(f"{W} numId", attrs.get(f"{_STRICT_W} numId", ""))
            elif local == "abstractNumId" and abstract.startswith("#"):
                self.nums[abstract[1:]] = _val(attrs) or ""

        return start

    def _styles(self) -> Any:
        style = ""

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal style
            local = tag.rpartition(" ")[2]
            if local == "style":
                style = attrs.get(f"{W} styleId", attrs.get(f"{_STRICT_W} styleId", ""))
                self.styles[style] = (None, None, None)
            elif style and local in ("numId", "ilvl", "basedOn"):
                num, level, based = self.styles[style]
                value = _val(attrs)
                if local == "numId":
                    num = value
                elif local == "ilvl":
                    level = _level(value)
                else:
                    based = value
                self.styles[style] = (num, level, based)

        return start

    def label(self, num: str | None, level: int, style: str | None) -> str:
        """The label of a paragraph of list `num` at `level` (its own, else its style's), counted; "" for none."""
        for _ in range(20):  # a style takes its list from the style it is based on, if not its own
            if num is not None or style is None:
                break
            num, style_level, style = self.styles.get(style, (None, None, None))
            level = style_level if num is not None and style_level is not None and not level else level
        if num is None or num == "0" or num not in self.nums:
            return ""
        abstract = self.nums[num]
        counts = self.counts.setdefault(num, [0] * 9)
        level = min(level, 8)
        counts[level] += 1
        for deeper in range(level + 1, 9):
            counts[deeper] = 0
        fmt, text, _ = self.levels.get((abstract, level), ("bullet", "", 1))
        if fmt == "bullet":
            return "•"
        if fmt == "none":
            return ""

        def shown(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            k_fmt, _, first = self.levels.get((abstract, k), ("decimal", "", 1))
            return _numeral(counts[k] + first - 1 if k <= level else first, k_fmt)

        return re.sub(r"%([1-9])", shown, text).strip()


def _level(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() and len(value) < 3 else 0


def _numeral(n: int, fmt: str) -> str:
    """A list number as Word shows it in format `fmt` (decimal, lowerLetter, upperRoman, …)."""
    n = max(n, 0)
    if fmt in ("lowerLetter", "upperLetter") and n > 0:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        out = ""
        for value, numeral in zip(_ROMAN_VALUES, _ROMAN, strict=True):
            while n >= value:
                out, n = out + numeral, n - value
        return out.lower() if fmt == "lowerRoman" else out
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


_ROMAN_VALUES = (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1)
_ROMAN = ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I")
_SKIPPED = frozenset({"txbxContent", "delText", "instrText", "delInstrText", "moveFrom", "del"})


def _val(attrs: dict[str, str]) -> str | None:
    """The w:val attribute (in either namespace), if any."""
    return attrs.get(f"{W} val", attrs.get(f"{_STRICT_W} val"))
