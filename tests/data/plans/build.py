"""Writing a transcribed plan's sheet as Excel stores it: title lines, a header row, section rows merged across the
table, cells merged down with the value in the top-left cell only; saved with fixed timestamps so a build repeats.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


# --- building blocks --------------------------------------------------------------------------------------


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps (openpyxl stamps the time of saving), so a build is repeatable."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


class SheetWriter:
    """Writes one sheet top to bottom: title lines, a header row, section rows merged across the table, rows."""

    def __init__(self, title: str = "Action plan") -> None:
        self.wb = openpyxl.Workbook()
        self.ws = self.wb.active
        self.ws.title = title
        self.r = 1
        self.width = 1

    def _put(self, row: int, col: int, value: str | None, bold: bool = False) -> None:
        if value is None or value == "":
            return
        cell = self.ws.cell(row=row, column=col, value=value)
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True)

    def line(self, text: str = "", bold: bool = False) -> int:
        """A title-block line in column A (an empty string leaves a blank row)."""
        self._put(self.r, 1, text, bold)
        self.r += 1
        return self.r - 1

    def header(self, cells: list[str]) -> int:
        self.width = len(cells)
        for c, text in enumerate(cells, start=1):
            self._put(self.r, c, text, bold=True)
        self.r += 1
        return self.r - 1

    def section(self, text: str) -> int:
        """A section row: the text in column A, merged across the table (what Excel stores for a spanning cell)."""
        self._put(self.r, 1, text, bold=True)
        if self.width > 1:
            self.ws.merge_cells(start_row=self.r, start_column=1, end_row=self.r, end_column=self.width)
        self.r += 1
        return self.r - 1

    def row(self, cells: list[str | None], bold: bool = False) -> int:
        for c, text in enumerate(cells, start=1):
            self._put(self.r, c, text, bold)
        self.r += 1
        return self.r - 1

    def merge_down(self, col: int, first: int, last: int) -> None:
        """Merge one column over rows first..last; only the top cell holds the value."""
        self.ws.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)

    def merge(self, ref: str) -> None:
        self.ws.merge_cells(ref)

    def save(self, widths: list[int] | None = None) -> bytes:
        for c, w in enumerate(widths or [], start=1):
            self.ws.column_dimensions[get_column_letter(c)].width = w
        self.wb.properties.created = self.wb.properties.modified = datetime(*FIXED_TIME)
        buf = io.BytesIO()
        self.wb.save(buf)
        return fixed_zip(buf.getvalue())
