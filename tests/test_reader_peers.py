"""read_workbook and load_file on other projects' test spreadsheets (tests/data/peers/, see its README), and on
what those files showed the reader had to learn: merged cells, .xlsb, password-protected .xls and .ods, and a
CSV ending in Ctrl-Z.

Every peer file is read and loaded in a separate Python process (a few at a time, each with an address-space
limit): calamine aborts the whole process on some hostile dimensions, and such an abort must show as this
file's failure, not end the test session.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tracker.config import load_settings
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import MAX_CELLS, Sheet, read_workbook

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "tests" / "data" / "peers"
PEER_FILES = sorted(p for p in PEERS.rglob("*") if p.is_file() and p.name != "README.md")
MEMORY_LIMIT = 1536 * 1024 * 1024  # as the command line's in test_bad_inputs
TIME_LIMIT = 300  # seconds for one worker: a bound on termination, not a speed test
PASSWORD = "is password-protected: save a copy without a password and try again"

# What a refusal must never show: Python's own words (a traceback, an exception's class, an object's repr).
PYTHON_INTERNALS = re.compile(
    r"Traceback|\b[A-Z]\w*(?:Error|Exception)\b|object at 0x|NoneType|\bself\b|__\w+__|File \"|line \d+, in|"
    r"panicked|\.rs:\d"
)

# A worker reads and loads each file named on its command line, printing a JSON line before (the file it is
# on, should it die) and after (what happened). Only UnreadableFile is an expected exception.
WORKER = r"""
import json, sys
from sqlmodel import Session
from tracker.db import open_engine
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.load import load_file

def outcome(call):
    try:
        return {"ok": call()}
    except UnreadableFile as exc:
        return {"unreadable": exc.code, "message": str(exc)}
    except BaseException as exc:
        return {"raised": f"{type(exc).__name__}: {str(exc)[:300]}"}

def read(path):
    wb = read_workbook(path)
    return [{"name": s.name, "rows": len(s.rows), "merged": s.merged} for s in wb.sheets]

def load(path):
    with Session(open_engine("sqlite://")) as s:
        return load_file(path, session=s).outcome

def command_line(path):
    # The command line's own door: its arguments, its messages and its exit code, on a fresh database.
    import contextlib, io, tempfile
    from tracker.cli import main
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", f"sqlite:///{d}/t.db", "load", path])
    return {"code": code, "output": (out.getvalue() + err.getvalue())[-2000:]}

for path in sys.argv[1:]:
    print(json.dumps({"start": path}), flush=True)
    print(json.dumps({"file": path, "read": outcome(lambda: read(path)), "load": outcome(lambda: load(path)),
                      "cli": outcome(lambda: command_line(path))}), flush=True)
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_workers(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """{path: {"read": outcome, "load": outcome}} for each file, an outcome being {"ok": ...},
    {"unreadable": code, "message": ...} or {"raised": ...}; a file its worker died on has {"crashed": ...}
    and the files after it go to a new worker."""
    results: dict[str, dict[str, Any]] = {}
    todo = [str(p) for p in paths]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | {"PYTHONPATH": str(ROOT)}
    while todo:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", WORKER, *todo],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIME_LIMIT,
                preexec_fn=_limit_memory,
            )
            out, err, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err, rc = "timed out", -1
        current = None
        for line in out.splitlines():
            record = json.loads(line)
            if "start" in record:
                current = record["start"]
            else:
                results[record["file"]] = record
                current = None
        if current is None and rc == 0:
            break
        dead = current or todo[0]
        results[dead] = {"crashed": f"worker ended with {rc}: {err.strip()[-500:]}"}
        todo = todo[todo.index(dead) + 1 :]
    return results


@pytest.fixture(scope="module")
def peer_results() -> dict[str, dict[str, Any]]:
    """What reading and loading every peer file gave, four workers at a time."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [PEER_FILES[i::4] for i in range(4)]
    results: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(4) as pool:
        for part in pool.map(run_workers, batches):
            results.update(part)
    return results


def assert_clean_refusal(outcome: dict[str, Any], filename: str) -> None:
    message = outcome["message"]
    assert "\n" not in message and len(message) < 700, message
    assert message.startswith(f"{filename}: "), message
    assert not PYTHON_INTERNALS.search(message.removeprefix(f"{filename}: ")), message


@pytest.mark.parametrize("path", PEER_FILES, ids=[str(p.relative_to(PEERS)) for p in PEER_FILES])
def test_peer_file_is_read_or_refused(path: Path, peer_results: dict[str, dict[str, Any]]) -> None:
    """Read or refused with UnreadableFile and a one-line reason; loaded or refused the same way. Never
    another exception, never a crash."""
    result = peer_results[str(path)]
    assert "crashed" not in result, result
    for step in ("read", "load"):
        outcome = result[step]
        assert "raised" not in outcome, f"{step}: {outcome['raised']}"
        if "unreadable" in outcome:
            assert_clean_refusal(outcome, path.name)
    assert ("unreadable" in result["read"]) == ("unreadable" in result["load"]), result
    cli = result["cli"]
    assert "ok" in cli, cli  # the command line caught what it was given: no exception escaped main()
    assert cli["ok"]["code"] in (0, 1, 2), cli
    assert cli["ok"]["code"] == 2 or "unreadable" not in result["read"], cli  # unreadable: exit 2
    assert not PYTHON_INTERNALS.search(cli["ok"]["output"].replace(str(PEERS), "")), cli


@pytest.mark.usefixtures("fresh_streamlit_caches")
@pytest.mark.parametrize("path", PEER_FILES, ids=[str(p.relative_to(PEERS)) for p in PEER_FILES])
def test_peer_file_through_the_upload_page(
    path: Path, peer_results: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third door: an administrator chooses the file on the Upload page. The page says what became of it,
    never with a traceback, and offers no confirmation for a file that cannot be read."""
    if "crashed" in peer_results[str(path)]:
        pytest.fail("the worker died on this file: not sent to the page")
    from streamlit.testing.v1 import AppTest

    from tests.apputil import open_app

    at: AppTest = open_app(monkeypatch, f"sqlite:///{tmp_path / 't.db'}", page="pages/upload.py")
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info, *at.success])
    assert not PYTHON_INTERNALS.search(shown), shown
    if "unreadable" in peer_results[str(path)]["read"]:
        assert at.error and "not loaded" in at.status[0].label, shown
        assert not [b for b in at.button if b.label == "Confirm and load"]


# --- merged cells ------------------------------------------------------------------------------------

S = load_settings({})


def peer(path: str) -> Path:
    return PEERS / path


def sheet(source: Path | bytes, name: str, filename: str | None = None) -> Sheet:
    wb = read_workbook(source, filename, settings=S)
    found = wb.sheet(name)
    assert found is not None, [s.name for s in wb.sheets]
    return found


def theme_xlsx(change: Callable[[bytes], bytes] | None = None) -> bytes:
    """A plan whose theme (C3) is merged down three rows, starting in column C (A and B empty), and a title
    merged across; `change` edits the worksheet XML."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws["C1"] = "Action plan"
    ws.merge_cells("C1:E1")
    ws.append([None, None, "Theme", "Action", "Who"])
    for action, who in (("Awards", "OD"), ("Mentoring", "HR"), ("Training", "OD")):
        ws.append([None, None, None, action, who])
    ws["C3"] = "Culture"
    ws.merge_cells("C3:C5")
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if change is None:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            zout.writestr(info.filename, content)
    return out.getvalue()


def test_merged_theme_reads_in_every_row_of_its_range() -> None:
    s = sheet(theme_xlsx(), "Plan", "plan.xlsx")
    assert [r[2] for r in s.rows[2:5]] == ["Culture"] * 3
    assert s.rows[0][2:5] == ["Action plan"] * 3
    assert sorted(s.merged) == [(0, 2, 0, 4), (2, 2, 4, 2)]
    assert s.merge_at(3, 2) == (2, 2, 4, 2)  # a continuation
    assert s.merge_at(2, 2) == (2, 2, 4, 2)  # the first cell
    assert s.merge_at(3, 3) is None and s.merge_at(0, 1) is None and s.merge_at(99, 99) is None


def test_a_merge_over_the_whole_sheet_fills_only_the_used_cells() -> None:
    """A1:XFD1048576 in a small file: filled over the 5 rows × 5 columns in use, not 17 billion cells."""
    data = theme_xlsx(lambda x: re.sub(rb"(<mergeCell ref=\"C3:C5\"\s*/>)", rb'\1<mergeCell ref="A7:XFD1048576"/>', x))
    s = sheet(data, "Plan", "plan.xlsx")
    assert len(s.rows) == 5 and {len(r) for r in s.rows} == {5}
    assert (6, 0, 1048575, 16383) not in s.merged and len(s.merged) == 2

    # Reaching into the used cells, it is cut to them: its top-left value everywhere in that part.
    data = theme_xlsx(lambda x: re.sub(rb"(<mergeCell ref=\"C3:C5\"\s*/>)", rb'\1<mergeCell ref="D4:XFD1048576"/>', x))
    s = sheet(data, "Plan", "plan.xlsx")
    assert (3, 3, 4, 4) in s.merged
    assert [r[3:5] for r in s.rows[3:5]] == [["Mentoring", "Mentoring"]] * 2


def test_overlapping_merges_past_the_cell_limit_are_refused() -> None:
    """Each cut to the used cells, thousands of merges over a used block still add up: refused, not filled."""
    many = b"".join(b'<mergeCell ref="A1:XFD1048576"/>' for _ in range(3000))
    settings = load_settings({})

    def change(x: bytes) -> bytes:
        x = x.replace(
            b"</sheetData>", b'<row r="4000"><c r="CV4000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
        )
        return re.sub(rb"(<mergeCell ref=\"C3:C5\"\s*/>)", rb"\1" + many, x)

    with pytest.raises(UnreadableFile) as exc_info:
        read_workbook(theme_xlsx(change), "plan.xlsx", settings=settings)
    assert exc_info.value.code == "too_many_cells"
    assert "merged ranges covering over" in exc_info.value.message
    assert f"{MAX_CELLS:,}" in exc_info.value.message


def test_calamine_merges_per_format() -> None:
    """calamine reports merges for .xlsx and .xls; for .ods and .xlsb the reader finds them in the file."""
    for path in ("calamine/merged_range.xlsx", "calamine/merged_range.xls"):
        s = sheet(peer(path), "Sheet2")
        assert (0, 0, 3, 0) in s.merged and [r[0] for r in s.rows] == ["A1"] * 4, path
        assert s.rows[3][2:4] == s.rows[2][2:4] == ["C3", "C3"], path
    for path in ("calamine/merged_cells.ods", "calamine/covered.ods"):
        s = read_workbook(peer(path), settings=S).sheets[0]
        assert s.merged == [(1, 0, 2, 0)], path
        assert s.rows[2][0] == s.rows[1][0], path  # covered.ods hides "a3" under the merge: what shows is "a2"
    assert sheet(peer("calamine/covered.ods"), "sheet1").rows == [["a1"], ["a2"], ["a2"]]


def test_ods_merges_count_repeated_rows_and_cells(tmp_path: Path) -> None:
    """Row and column numbers of an .ods merge account for repeated rows, repeated cells and covered cells."""
    src = peer("calamine/merged_cells.ods")
    with zipfile.ZipFile(src) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    content = parts["content.xml"]
    first_row = content.index(b"<table:table-row")
    extra = (
        b'<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        b'<table:table-row><table:table-cell table:number-columns-repeated="1"/>'
        b'<table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>T</text:p>'
        b"</table:table-cell><table:covered-table-cell/></table:table-row>"
    )
    parts["content.xml"] = content[:first_row] + extra + content[first_row:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name, data in parts.items():
            zout.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    s = read_workbook(out.getvalue(), "m.ods", settings=S).sheets[0]
    assert sorted(s.merged) == [(2, 1, 2, 2), (4, 0, 5, 0)]
    assert s.rows[2] == [None, "T", "T"] and s.rows[5][0] == "A"


# --- .xlsb ---------------------------------------------------------------------------------------------


def test_xlsb_values_are_read() -> None:
    wb = read_workbook(peer("calamine/issues.xlsb"), settings=S)
    assert [s.name for s in wb.sheets][:3] == ["datatypes", "issue2", "Sheet1"]
    assert wb.sheets[0].rows == [[1], [1.5], ["ab"], [False], ["test"], [date(2016, 10, 20)]]
    assert wb.sheets[1].rows == [[1, "a"], [2, "b"], [3, "c"]]
    assert sheet(peer("calamine/date.xlsb"), "Sheet1").rows == sheet(peer("calamine/date.xlsx"), "Sheet1").rows
    base = read_workbook(peer("python-calamine/base.xlsb"), settings=S)
    assert [(s.name, s.rows) for s in base.sheets] == [
        (s.name, s.rows) for s in read_workbook(peer("python-calamine/base.xlsx"), settings=S).sheets
    ]


def _far_cell_xlsb(row: int, col: int) -> bytes:
    """python-calamine's base.xlsb with two more cells: A1 and one at (row, col), 0-based."""

    def real(c: int) -> bytes:  # BrtCellReal: column, style (3 bytes), flags, the number
        return b"\x05\x10" + c.to_bytes(4, "little") + b"\x00" * 4 + struct.pack("<d", 1.5)

    def row_header(r: int) -> bytes:  # BrtRowHdr: the row, then what calamine does not read
        return b"\x00\x11" + r.to_bytes(4, "little") + b"\x00" * 13

    added = row_header(0) + real(0) + row_header(row) + real(col)
    out = io.BytesIO()
    with zipfile.ZipFile(peer("python-calamine/base.xlsb")) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.bin":  # an empty sheet: its data starts and ends at once
                at = content.index(b"\x91\x01\x00") + 3  # after BrtBeginSheetData
                content = content[:at] + added + content[at:]
            zout.writestr(info, content)
    return out.getvalue()


def test_xlsb_sheet_reaching_too_far_is_refused_before_calamine(tmp_path: Path) -> None:
    near = _far_cell_xlsb(2, 3)
    rows = sheet(near, "Sheet2", "near.xlsb").rows
    assert rows[0][0] == rows[2][3] == 1.5 and len(rows) == 3
    path = tmp_path / "far.xlsb"
    path.write_bytes(_far_cell_xlsb(1_048_575, 16_383))
    result = run_workers([path])[str(path)]
    assert result["read"].get("unreadable") == "too_many_cells", result
    assert "reaches cell XFD1048576" in result["read"]["message"]
    path.write_bytes(_far_cell_xlsb(0, 4_000_000_000))  # calamine reads a column as any 32-bit number
    result = run_workers([path])[str(path)]
    assert result["read"].get("unreadable") == "too_many_cells", result


def test_xlsx_sheet_in_an_unusual_folder_is_still_checked(tmp_path: Path) -> None:
    """The extent check follows the relationships to wherever the worksheet is, as calamine does."""
    data = theme_xlsx(
        lambda x: x.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            name = info.filename
            if name == "xl/worksheets/sheet1.xml":
                name = "xl/Other\\Sheet.xml"
            if name == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"worksheets/sheet1.xml", b"other/sheet.xml")
            zout.writestr(name, content)
    path = tmp_path / "moved.xlsx"
    path.write_bytes(out.getvalue())
    result = run_workers([path])[str(path)]
    assert result["read"].get("unreadable") == "too_many_cells", result


# --- password-protected, Ctrl-Z --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "python-calamine/password.xls",
        "calamine/issue_385.xls",
        "python-calamine/password.ods",
        "calamine/pass_protected.ods",
        "python-calamine/password.xlsx",
        "python-calamine/password.xlsb",
        "calamine/pass_protected.xlsx",
        "calamine/pass_protected.xlsb",
    ],
)
def test_password_protected_files_say_so(path: str) -> None:
    with pytest.raises(UnreadableFile) as exc_info:
        read_workbook(peer(path), settings=S)
    assert exc_info.value.code == "encrypted"
    assert exc_info.value.message == PASSWORD


@pytest.mark.parametrize("ending", [b"\x1a", b"\r\n\x1a", b"\x1a\x1a"])
def test_csv_ending_in_ctrl_z_loads(ending: bytes) -> None:
    wb = read_workbook(b"Ref,Status\r\nD1,On track" + ending, filename="u.csv", settings=S)
    assert wb.sheets[0].rows == [["Ref", "Status"], ["D1", "On track"]]
    assert wb.issues == []


def test_ctrl_z_inside_a_csv_is_still_refused() -> None:
    with pytest.raises(UnreadableFile) as exc_info:
        read_workbook(b"Ref,Status\r\nD1\x1a,On track\r\n", filename="u.csv", settings=S)
    assert exc_info.value.code == "not_spreadsheet"
