"""Workforce extracts read a batch of rows at a time (`read_workbook(stream=True)`, python-calamine-plus in the
sandboxed child) give exactly what reading the whole workbook gives: the same snapshot cells, the same issues at
the same rows (in row order when streamed), the same counts; a file the stream cannot read as the whole read
would (merged cells) is read whole; a refusal half-way through the rows is recorded and writes nothing.

Memory is the point of streaming, and memory is measured in the bench (`bench/bench_import.py`, 1,000,000 rows),
not in a test.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, func, select

from tracker.config import load_settings
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.ingest.sandbox import HEAD_ROWS
from tracker.ingest.workforce import load_workforce
from tracker.load import load_file
from tracker.models import Upload, WorkforceRecord

HEADER = ["Staff Number", "Faculty", "Department", "Job Family", "Grade", "Sex", "FTE", "As at"]
FACULTIES = ["Engineering", "Life Sciences", "Laws", "Medical Sciences"]
SEXES = ["F", "M", "Female", "Man", "Not known", "X", None, "Prefer not to say"]


def _person(rng: random.Random, i: int) -> list[Any]:
    return [
        f"{100000 + i}",
        rng.choice(FACULTIES),
        rng.choice(["Civil", "Biosciences", ""]),
        rng.choice(["Laboratory", "Workshop", "IT"]),
        f"Grade {rng.randint(4, 8)}",
        rng.choice(SEXES),
        rng.choice([1, 0.8, 0.5, "0.6", 1.0]),
        date(2024, 7, 31),
    ]


def _mischief(rng: random.Random, row: list[Any], i: int) -> list[Any]:
    """One of the things real extracts hold, well past the head rows."""
    kind = rng.randrange(9)
    if kind == 0:
        row[6] = "n/a"  # bad FTE
    elif kind == 1:
        row[5] = "Q"  # bad sex code
    elif kind == 2:
        row[0] = "100003"  # a staff number seen before
    elif kind == 3:
        return ["Engineering total", None, None, None, None, None, 123, None]
    elif kind == 4:
        return list(HEADER)  # the header printed again after a page break
    elif kind == 5:
        return [None] * len(HEADER)  # a blank row
    elif kind == 6:
        row[1] = "Eng\x7fineering"  # a control character (DEL), removed with a warning
    elif kind == 7:
        row[7] = "31/07/2023"  # a second snapshot, the date as text
    else:
        row[6] = 7  # over 1.5 FTE for one person
    return row


def _extract(seed: int, rows: int) -> bytes:
    """A per-person extract behind a cover sheet, with a title above its header and trouble after the head."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Cover"
    cover.append(["Technical staff census", "prepared by HR"])
    ws = wb.create_sheet("Technical staff")
    ws.append(["Technical staff as at 31 July 2024"])
    ws.append([])
    ws.append(HEADER)
    for i in range(rows):
        row = _person(rng, i)
        if i > HEAD_ROWS and rng.random() < 0.04:
            row = _mischief(rng, row, i)
        ws.append(row)
    if seed % 3 == 0:  # another sheet that looks like workforce data: flagged, not read
        other = wb.create_sheet("Last year")
        other.append(HEADER)
        other.append(_person(rng, 0))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _outcome(data: bytes, *, stream: bool) -> tuple[Any, ...]:
    with read_workbook(data, filename="hr.xlsx", settings=load_settings({}), stream=stream) as wb:
        streamed = any(s.rest is not None for s in wb.sheets)
        result = load_workforce(wb)
    # The same issues either way; their order differs: the whole read reports what the reader found in single
    # cells (a control character) before the loader's findings, a streamed read as each row comes.
    return (
        streamed,
        [r.model_dump() for r in result.rows],
        sorted(
            (i.sheet, i.row or 0, i.column or "", i.value or "", i.code, i.message, i.severity) for i in result.issues
        ),
        {k: v for k, v in result.meta.items()},
        result.valid,
    )


@pytest.mark.parametrize("seed", range(12))
def test_a_streamed_extract_reads_as_the_whole_workbook_does(seed: int) -> None:
    data = _extract(seed, rows=HEAD_ROWS * 4 + seed * 37)
    whole = _outcome(data, stream=False)
    streamed = _outcome(data, stream=True)
    assert whole[0] is False and streamed[0] is True
    assert streamed[1:] == whole[1:]
    assert whole[2], "the extract holds trouble past the head rows, reported at its rows"
    assert max(i[1] for i in whole[2]) > HEAD_ROWS


def test_short_extracts_and_exactly_the_head() -> None:
    for rows in (0, 1, HEAD_ROWS - 4, HEAD_ROWS - 3, HEAD_ROWS - 2, HEAD_ROWS + 1):
        data = _extract(1, rows=rows)
        assert _outcome(data, stream=True)[1:] == _outcome(data, stream=False)[1:], rows


def _placed(first_row: int, first_col: int, rows: int) -> bytes:
    """A per-person extract whose header is at (first_row, first_col), 1-based, blank rows and columns before."""
    rng = random.Random(first_row * 100 + first_col)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for i, row in enumerate([HEADER] + [_person(rng, k) for k in range(rows)]):
        for j, value in enumerate(row):
            ws.cell(row=first_row + i, column=first_col + j, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("first_row", "first_col"), [(1, 3), (5, 1), (20, 4), (HEAD_ROWS + 5, 2)])
def test_a_table_away_from_a1_reads_the_same(first_row: int, first_col: int) -> None:
    """Blank rows and columns before the table: the same columns and row numbers either way (a header below
    the head rows is not found by either, and both say so alike)."""
    data = _placed(first_row, first_col, rows=120)
    assert _outcome(data, stream=True)[1:] == _outcome(data, stream=False)[1:]


def test_merged_cells_are_read_whole() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Faculty", "Sex", "Headcount", "FTE", "As at"])
    ws.append(["Engineering", "F", 3, 2.5, date(2024, 7, 31)])
    ws.append([None, "M", 4, 4, date(2024, 7, 31)])
    ws.merge_cells("A2:A3")  # the faculty once for both rows: the merged value is copied down
    buf = io.BytesIO()
    wb.save(buf)
    with read_workbook(buf.getvalue(), filename="agg.xlsx", stream=True) as book:
        assert book.sheets[0].rest is None
        result = load_workforce(book)
    assert result.valid and {(r.faculty, r.sex, r.headcount) for r in result.rows} == {
        ("Engineering", "Female", 3),
        ("Engineering", "Male", 4),
    }


def test_a_refusal_half_way_is_recorded_and_writes_nothing(engine: Any) -> None:
    data = _extract(5, rows=400)
    settings = load_settings({"TRACKER_MAX_ROWS": "200"})
    with read_workbook(data, filename="hr.xlsx", settings=settings, stream=True) as wb:
        assert len(wb.sheets[1].rows) == HEAD_ROWS  # the head came; the limit is passed in the rest
        with pytest.raises(UnreadableFile) as info:
            load_workforce(wb)
    assert info.value.code == "too_many_rows"
    with Session(engine) as s, pytest.raises(UnreadableFile):
        load_file(data, filename="hr.xlsx", kind="workforce", session=s, settings=settings)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(WorkforceRecord)).one() == 0
        assert [(u.filename, u.outcome) for u in s.exec(select(Upload)).all()] == [("hr.xlsx", "unreadable")]


def test_a_streamed_extract_loads_through_load_file(engine: Any) -> None:
    data = _extract(4, rows=300)
    whole = _outcome(data, stream=False)
    with Session(engine) as s:
        out = load_file(data, filename="hr.xlsx", kind="workforce", session=s)
        assert out.outcome == ("loaded" if whole[4] else "rejected"), out.message
        if whole[4]:
            held = s.exec(select(func.sum(WorkforceRecord.headcount))).one()
            assert held == sum(r["headcount"] for r in whole[1])


def _sandbox_children() -> list[int]:
    """Our own child processes still running the sandbox."""
    mine = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == os.getpid() and b"tracker.ingest.sandbox" in cmdline and fields[0] != "Z":
                mine.append(int(stat.parent.name))
    return mine


def test_a_stream_left_half_read_stops_its_child_and_threads() -> None:
    data = _extract(2, rows=HEAD_ROWS * 40)
    threads = threading.active_count()
    wb = read_workbook(data, filename="hr.xlsx", stream=True)
    rows = wb.sheets[1].rest
    assert rows is not None and next(iter(rows())) is not None
    # The child may already have written its last frame (2,000 rows are one batch) and be gone; if not, it is
    # the only one, and closing must stop it.
    assert len(_sandbox_children()) <= 1
    wb.close()
    deadline = time.monotonic() + 5
    while (threading.active_count() > threads or _sandbox_children()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == threads and _sandbox_children() == []


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        # A streamed parse holds one batch at a time, so only a limit below what the reader needs to start
        # stops it; 0.05 s stops it while the rows come.
        ("TRACKER_SANDBOX_MEMORY_MB", "25", "could not be read safely: "),
        ("TRACKER_SANDBOX_SECONDS", "0.05", "could not be read safely: it took longer than 0.05 seconds"),
    ],
)
def test_a_streamed_child_past_its_limits_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    """The child's memory and time limits hold for a streamed parse too: a refusal, the process lives on."""
    data = _extract(3, rows=HEAD_ROWS * 200)
    monkeypatch.setenv(variable, value)
    with pytest.raises(UnreadableFile) as info, read_workbook(data, filename="hr.xlsx", stream=True) as wb:
        load_workforce(wb)
    assert info.value.code == "unsafe" and why in info.value.message, info.value.message
