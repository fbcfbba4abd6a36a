"""The extent check's fast path (`_plain_sheet_fits`, C-speed searches over a plainly written sheet) against the
element-by-element scan (`_scan_xlsx_elements`): it answers only for sheets it reads exactly, hands every other
sheet to the scan, and never lets a far-reaching sheet through that the scan would refuse.

The sheets are hand-written XML: the forms real writers use (Excel, LibreOffice, openpyxl) and the forms an
attacker would try to slip past a pattern (a reference with leading zeros, an entity, single quotes, another
attribute first, a cell in a comment or CDATA).
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

import pytest

from tracker.config import load_settings
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import _plain_sheet_fits, _scan_xlsx_elements, read_workbook
from tracker.ingest.sandbox import column_letters

sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
import make_bad

PART = "xl/worksheets/sheet1.xml"
A1 = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'


def _xml(*rows: bytes) -> bytes:
    return make_bad.SHEET_HEAD + b"".join(rows) + make_bad.SHEET_TAIL


def _zip(xml: bytes) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(PART, xml)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def _fast(xml: bytes, max_cells: int = 10_000_000) -> bool:
    return _plain_sheet_fits(_zip(xml), PART, "Progress", "t.xlsx", max_cells)


def _outcome(check: object, xml: bytes, max_cells: int) -> str:
    """'fits' or the refusal's code, for one of the two checks."""
    try:
        check(_zip(xml), PART, "Progress", "t.xlsx", max_cells)  # type: ignore[operator]
    except UnreadableFile as exc:
        return exc.code
    return "fits"


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(
            (A1, b'<row r="2" spans="1:3"><c r="B2" s="1" t="s"><v>0</v></c><c r="C2"><v>1.5</v></c></row>'), id="excel"
        ),
        pytest.param(
            (A1, b'<row r="2"><c r="A2" t="inlineStr"><is><t>King\'s College</t></is></c></row>'),
            id="an-apostrophe-in-text",
        ),
        pytest.param((b'<row r="1"/>', A1), id="an-empty-row"),
        pytest.param((A1, b'<row r="3"><c r="zz3"><v>2</v></c></row>'), id="lower-case-letters"),
    ],
)
def test_plainly_written_sheets_take_the_fast_path(rows: tuple[bytes, ...]) -> None:
    assert _fast(_xml(*rows)) is True


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param((A1, b'<row r="2"><c r="B2"><f>1+1</f><v>2</v></c></row>'), id="a-formula"),
        pytest.param((A1, b'<row r="2"><c r="B2"><f t="shared" si="0"/></c></row>'), id="a-shared-formula"),
        pytest.param((A1, b"<!-- a note -->"), id="a-comment"),
        pytest.param(
            (A1, b'</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><sheetData>'),
            id="merged-cells",
        ),
        pytest.param((A1, b'<row r="2"><c t="n" r="B2"><v>1</v></c></row>'), id="another-attribute-first"),
        pytest.param((A1, b"<row r=\"2\"><c r='B2'><v>1</v></c></row>"), id="single-quotes"),
        pytest.param((A1, b'<row r="2"><c r="&#66;2"><v>1</v></c></row>'), id="an-entity"),
        pytest.param((A1, b'<row r="2"><c r="B02"><v>1</v></c></row>'), id="leading-zeros"),
        pytest.param((A1, b'<row r="2"><c><v>1</v></c></row>'), id="a-cell-without-r"),
        pytest.param((A1, b'<row><c r="B2"><v>1</v></c></row>'), id="a-row-without-r"),
        pytest.param((A1, b'<row r="2"><c  r="B2"><v>1</v></c></row>'), id="two-spaces"),
        pytest.param((A1, b'<row r="2"><c\nr="B2"><v>1</v></c></row>'), id="a-line-break"),
        pytest.param((b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>',), id="namespace-prefixes"),
        pytest.param((A1, b'<row r="2"><c r="AAAA2"><v>1</v></c></row>'), id="four-letters"),
        pytest.param((A1, b'<row r="2"><c r="B12345678"><v>1</v></c></row>'), id="eight-digits"),
    ],
)
def test_anything_else_goes_element_by_element(rows: tuple[bytes, ...]) -> None:
    assert _fast(_xml(*rows)) is False


@pytest.mark.parametrize(
    ("rows", "reach"),
    [
        pytest.param((A1, b'<row r="2"><c r="XFD1048576"><v>1</v></c></row>'), "XFD1048576", id="plain"),
        # The fast path must not read the small reference and miss the far one (or take a far one from text).
        pytest.param((A1, b'<row r="2"><c r="A0000002"/><c r="XFD1048576"/></row>'), "XFD1048576", id="zeros"),
        pytest.param((A1, b"<row r=\"2\"><c r='XFD1048576'/></row>"), "XFD1048576", id="single-quotes"),
        pytest.param((A1, b'<row r="2"><c s="1" r="XFD1048576"/></row>'), "XFD1048576", id="attribute-order"),
        pytest.param((A1, b'<row r="1048576"/>', b'<row r="2"><c r="XFD2"/></row>'), "XFD1048576", id="far-row"),
        pytest.param(
            (A1, b'<row r="2"><c r="B2"><f>1</f><v>1</v></c><c r="XFD999999"/></row>'),
            "XFD999999",
            id="after-a-formula",
        ),
    ],
)
def test_far_reaching_sheets_are_refused_on_either_path(rows: tuple[bytes, ...], reach: str) -> None:
    data = make_bad._hand_xlsx({"Progress": _xml(*rows)})
    with pytest.raises(UnreadableFile) as info:
        read_workbook(data, "far.xlsx", settings=load_settings({}))
    assert info.value.code == "too_many_cells"
    assert info.value.message.startswith(f"sheet 'Progress' reaches cell {reach} ("), info.value.message


def test_a_far_cell_in_a_comment_or_text_is_not_a_cell() -> None:
    comment = _xml(A1, b'<!-- <c r="XFD1048576"/> -->')
    text = _xml(A1, b'<row r="2"><c r="B2" t="inlineStr"><is><t>&lt;c r="XFD1048576"</t></is></c></row>')
    for xml in (comment, text):
        assert _outcome(_scan_xlsx_elements, xml, 10_000_000) == "fits"
        assert _outcome(lambda *a: _plain_sheet_fits(*a) or _scan_xlsx_elements(*a), xml, 10_000_000) == "fits"


def _random_plain_sheet(rng: random.Random) -> bytes:
    rows = []
    for r in sorted(rng.sample(range(1, 400), rng.randint(1, 30))):
        cols = sorted(rng.sample(range(1, 60), rng.randint(1, 6)))
        cells = b"".join(f'<c r="{column_letters(c - 1)}{r}"><v>{c}</v></c>'.encode() for c in cols)
        rows.append(f'<row r="{r}">'.encode() + cells + b"</row>")
    return _xml(*rows)


@pytest.mark.parametrize("seed", range(40))
def test_both_paths_agree_on_what_fits(seed: int) -> None:
    """Random plain sheets against limits around their size: the two checks refuse and accept alike."""
    rng = random.Random(seed)
    xml = _random_plain_sheet(rng)
    assert _fast(xml) is True
    for max_cells in (50, 500, 2_000, 10_000, 30_000):
        fast = _outcome(_plain_sheet_fits, xml, max_cells)
        slow = _outcome(_scan_xlsx_elements, xml, max_cells)
        assert fast == slow, (seed, max_cells)
