"""Writing tables out (CSV, XLSX, table text) without letting a user's text become a spreadsheet formula.

Every CSV and XLSX the product hands out goes through here (`to_csv`, `to_xlsx`, `append_row`): a text cell
that begins with =, +, -, @, a tab or a carriage return gets one leading apostrophe, so Excel, LibreOffice and
Google Sheets show it as text rather than run it; everything else is written exactly, and numbers and dates
stay numbers and dates. The product's own reader takes that one apostrophe off again
(`tracker.ingest.reader.unguard`), so an exported-then-reloaded file gives back the text that was exported.

Example:
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-3"), safe_cell(-3), safe_cell("plain")
    ('\\'=HYPERLINK("http://x")', "'-3", -3, 'plain')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGERS = FORMULA_TRIGGERS
# What .xlsx cannot hold at all (openpyxl's ILLEGAL_CHARACTERS_RE): control characters but tab, LF and CR.
_ILLEGAL_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")
_XLSX_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def safe_cell(v: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers pass through.

    Text that already begins with apostrophes and then a formula character ("'=x") gets one more, so that
    the reader's `unguard`, which takes exactly one off, gives the text back exactly.

    Example:
        >>> safe_cell("'=x"), safe_cell("'quoted'"), safe_cell("@SUM(A1)")
        ("''=x", "'quoted'", "'@SUM(A1)")
    """
    if isinstance(v, str) and v.lstrip("'").startswith(_TRIGGERS):
        return "'" + v
    return v


def _flat(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return "" if v is None else v


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    r"""CSV text of `rows` (lists joined with '; '), formula-safe.

    Lines end in CRLF, as RFC 4180 and Excel have it: then a cell holding a lone CR is quoted too (with a bare
    LF line end Python's writer leaves it unquoted, and every reader splits the row there).

    Example:
        >>> to_csv([{"a": "x\ry", "b": 1}])
        'a,b\r\n"x\ry",1\r\n'
    """
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: safe_cell(_flat(v)) for k, v in r.items()})
    return buf.getvalue()


def _xlsx_value(v: Any) -> Any:
    if v is None:
        return None  # an empty cell, not an empty string
    v = safe_cell(_flat(v))
    if isinstance(v, datetime) and v.tzinfo is not None:  # .xlsx has no time zones: UTC, as the pages show
        v = v.astimezone(UTC).replace(tzinfo=None)
    if isinstance(v, str):
        # Control characters other than tab/newline/CR cannot be stored in .xlsx at all: shown as U+FFFD.
        # A CR is written as Excel writes it, _x000D_ (XML reads a bare CR as LF).
        # Text that itself looks like such an escape gets its "_" escaped, as Excel does (_x005F_).
        v = _XLSX_ESCAPE.sub(r"_x005F_\1", _ILLEGAL_XLSX.sub("\ufffd", v)).replace("\r", "_x000D_")
    return v


def append_row(ws: Worksheet, values: Sequence[Any]) -> None:
    """`ws.append(values)`, formula-safe: no text becomes a formula (openpyxl stores any string starting
    with '=' as one), numbers and dates stay typed.

    Example:
        >>> from openpyxl import Workbook
        >>> ws = Workbook().active
        >>> append_row(ws, ["=1+1", -3, "plain"])
        >>> [(c.value, c.data_type) for c in ws[1]]
        [("'=1+1", 's'), (-3, 'n'), ('plain', 's')]
    """
    from openpyxl.cell.cell import Cell

    cells = []
    for v in values:
        cell = Cell(ws, value=_xlsx_value(v))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # belt and braces: never 'f' (formula), whatever the text
        cells.append(cell)
    # Cells handed to append keep their type; reading the row back (ws[ws.max_row]) would scan the whole sheet
    # on every call and make a 5,000-row template quadratic.
    ws.append(cells)


def to_xlsx(rows: Sequence[dict[str, Any]], *, sheet: str = "Export") -> bytes:
    """An .xlsx of `rows` (header row, then one row each; lists joined with '; '), formula-safe like `to_csv`.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> data = to_xlsx([{"note": "=SUM(A1)", "n": 2}])
        >>> read_workbook(data, filename="x.xlsx").sheets[0].rows
        [['note', 'n'], ['=SUM(A1)', 2]]
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    if rows:
        cols = list(rows[0])
        append_row(ws, cols)
        for r in rows:
            append_row(ws, [r.get(c) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_table(rows: Sequence[dict[str, Any]], *, max_width: int = 40) -> str:
    """A plain fixed-width text table for the terminal."""
    if not rows:
        return "(none)"
    cols = list(rows[0])
    cells = [[str(_flat(r.get(c))).replace("\n", " ")[:max_width] for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)
