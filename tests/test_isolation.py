"""Issue 13, point 1: a hostile workbook cannot take the server down.

Each hostile file is read by `read_workbook` in a process of its own (standing in for the Streamlit server or the
command line, with a 2 GB address-space limit of its own so a regression aborts it, not the machine): it must be
refused with a clear reason, that process must live on, its own peak memory stay small, and the sandboxed
child's peak memory (RUSAGE_CHILDREN) stay under the child's 1 GB limit. Then the sandbox itself: a real calamine
abort, a timeout, an allocation failure and a child answering garbage are each a refusal ("unsafe").
"""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.apputil import ROOT
from tracker.ingest import reader
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.ingest.sandbox import Child, _Unpickler, memory_limit, time_limit

sys.path.insert(0, str(ROOT / "tests" / "data" / "bad"))
import make_bad

MB = 1024 * 1024
PARENT_LIMIT = 2048 * MB  # the stand-in server's own address space
PARENT_PEAK = 400 * MB  # what reading (and refusing) one hostile file may cost the server
CHILD_PEAK = 1024 * MB

# Reads one file as the server would, then reports the outcome and both peaks as JSON. With --no-precheck the
# parent's checks are switched off, so the file reaches calamine in the sandbox: only the sandbox stands between
# it and the process.
HARNESS = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from tracker.ingest import reader
from tracker.ingest.base import UnreadableFile
if "--no-precheck" in sys.argv:
    reader._check_extent = lambda *a, **k: ([], {{}})
try:
    reader.read_workbook(sys.argv[1])
    out = {{"code": None, "message": ""}}
except UnreadableFile as exc:
    out = {{"code": exc.code, "message": exc.message}}
# VmHWM, not RUSAGE_SELF: Linux carries ru_maxrss over an exec, so it would report pytest's own size.
status = open("/proc/self/status").read()
out["parent_kb"] = int(status.split("VmHWM:")[1].split()[0])
out["child_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(out))
"""


def read_elsewhere(path: Path, *flags: str) -> dict[str, object]:
    """read_workbook(path) in a fresh process: its outcome and peaks; fails the test if that process died."""
    proc = subprocess.run(
        [sys.executable, "-c", HARNESS.format(limit=PARENT_LIMIT), str(path), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the reading process died ({proc.returncode}): {proc.stderr[-1500:]}"
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


FAR = r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows × 16,384 columns\)"
HOSTILE = {
    # name: (builder, code, message pattern)
    "far_cell_spaced.xlsx": (make_bad.CASES["far_cell_spaced.xlsx"], "too_many_cells", FAR),
    "far_cell_newline.xlsx": (make_bad.CASES["far_cell_newline.xlsx"], "too_many_cells", FAR),
    "far_cell_lower_case.xlsx": (make_bad.CASES["far_cell_lower_case.xlsx"], "too_many_cells", FAR),
    "far_cell_subfolder.xlsx": (make_bad.far_cell_subfolder, "too_many_cells", FAR),
    "shared_strings_count.xlsx": (
        make_bad.shared_strings_count,
        "too_many_cells",
        r"^holds a shared-strings table claiming 4000000000 strings",
    ),
    "empty_shared_strings.xlsx": (
        make_bad.empty_shared_strings,
        "too_many_cells",
        r"^holds over 10,000,000 shared strings",
    ),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name, (build, _, _) in HOSTILE.items():
        paths[name] = folder / name
        paths[name].write_bytes(build())
    return paths


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_and_the_server_lives(name: str, hostile: dict[str, Path]) -> None:
    _, code, says = HOSTILE[name]
    out = read_elsewhere(hostile[name])
    assert out["code"] == code, out
    assert isinstance(out["message"], str) and re.search(says, out["message"]), out["message"]
    assert int(str(out["parent_kb"])) * 1024 < PARENT_PEAK, out
    assert int(str(out["child_kb"])) * 1024 < CHILD_PEAK, out


def test_the_empty_shared_strings_file_is_the_one_of_the_issue(hostile: dict[str, Path]) -> None:
    """18 MB on disk, under the upload limit, inflating under the zip-bomb ratio: only its strings give it away."""
    size = hostile["empty_shared_strings.xlsx"].stat().st_size
    assert 17 * MB < size < 20 * MB


@pytest.mark.parametrize("name", ["far_cell_spaced.xlsx", "shared_strings_count.xlsx"])
def test_a_real_calamine_abort_is_a_refusal(name: str, hostile: dict[str, Path]) -> None:
    """With the parent's checks off the file reaches calamine, which asks for hundreds of gigabytes and aborts
    (SIGABRT): the child dies, the reading process lives and refuses the file."""
    out = read_elsewhere(hostile[name], "--no-precheck")
    assert out["code"] == "unsafe", out
    message = str(out["message"])
    assert message.startswith("could not be read safely: it needs more than the 1,024 MB of memory"), message
    assert message.endswith("(SIGABRT)"), message
    assert int(str(out["child_kb"])) * 1024 < CHILD_PEAK, out
    assert int(str(out["parent_kb"])) * 1024 < PARENT_PEAK, out


def test_the_child_is_stopped_at_its_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(UnreadableFile) as info, Child(seconds=0.01) as child:
        child.parse("csv", b"a,b\n1,2\n", "slow.csv", max_rows=10)
    assert (info.value.code, info.value.message) == (
        "unsafe",
        "could not be read safely: it took longer than 0.01 seconds",
    )
    assert time.monotonic() - started < 10


def test_an_allocation_failure_in_the_child_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRACKER_SANDBOX_MEMORY_MB is honoured: 2 million cells do not fit in 120 MB, whichever way it fails (a
    MemoryError the child reports, or the child dying)."""
    monkeypatch.setenv("TRACKER_SANDBOX_MEMORY_MB", "120")
    assert memory_limit() == 120 * MB
    data = b"".join(b"%d,x%d,y,z\n" % (i, i) for i in range(500_000))
    with pytest.raises(UnreadableFile) as info:
        read_workbook(data, filename="big.csv")
    assert info.value.code == "unsafe", info.value.message
    assert info.value.message.startswith("could not be read safely: it needs more than the 120 MB"), info.value.message


def test_the_limit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_SANDBOX_SECONDS", raising=False)
    monkeypatch.delenv("TRACKER_SANDBOX_MEMORY_MB", raising=False)
    assert (time_limit(), memory_limit()) == (120.0, 1024 * MB)
    monkeypatch.setenv("TRACKER_SANDBOX_SECONDS", "7.5")
    assert time_limit() == 7.5


def test_xml_declaring_entities_is_refused_not_expanded() -> None:
    """A "billion laughs" sheet: expat is never allowed to expand an entity, so the part is refused outright."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(UnreadableFile) as info:
        read_workbook(make_bad._hand_xlsx({"Progress": laughs}), filename="laughs.xlsx")
    assert (info.value.code, info.value.message) == (
        "corrupt",
        "cannot be read as a spreadsheet (the XML declares a DTD or entities)",
    )


@pytest.mark.parametrize("overlap", [True, False])
def test_the_checks_decide_whether_or_not_the_child_parses_meanwhile(
    overlap: bool, hostile: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In both orders a file the checks refuse gets their message (the child, aborting or not, is stopped), and
    an ordinary file reads the same."""
    monkeypatch.setattr(reader, "PARSE_WHILE_CHECKING", overlap)
    with pytest.raises(UnreadableFile) as info:
        read_workbook(hostile["far_cell_spaced.xlsx"])
    assert info.value.code == "too_many_cells"
    rows = read_workbook(make_bad.CASES["updates_formulas_saved_ok.xlsx"](), filename="ok.xlsx").sheets[0].rows
    assert rows[0][:2] == ["Ref", "As of"]


def test_what_the_child_sends_back_is_data_only() -> None:
    """A child that is not our code any more (a parser taken over by a file) cannot make the parent run code."""
    assert _Unpickler(io.BytesIO(pickle.dumps([["a", 1, None, 2.5]]))).load() == [["a", 1, None, 2.5]]
    with pytest.raises(pickle.UnpicklingError):
        _Unpickler(io.BytesIO(pickle.dumps(subprocess.CompletedProcess))).load()
    with pytest.raises(pickle.UnpicklingError):
        _Unpickler(io.BytesIO(pickle.dumps(UnreadableFile("a", "b", "c")))).load()


def test_ordinary_files_still_read_the_same(tmp_path: Path) -> None:
    """Dates, numbers, merged cells and the reader's own warnings come back from the child as they were."""
    sheet = (
        make_bad.SHEET_HEAD
        + (
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c><c r="B1"><v>45000</v></c>'
            b'<c r="C1"><f>1+1</f></c></row>'
            b'<row r = "2"><c r = "a2" t="inlineStr"><is><t>D1</t></is></c><c r="B2"><v>2.5</v></c></row>'
        )
        + make_bad.SHEET_TAIL
    )
    wb = read_workbook(make_bad._hand_xlsx({"Progress": sheet}), filename="ok.xlsx")
    assert wb.sheets[0].rows == [["Ref", 45000], ["D1", 2.5]]
    assert [(i.sheet, i.row, i.column, i.code) for i in wb.issues] == [("Progress", 1, "C", "formula_not_saved")]

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Plan"
    ws.append(["Theme", "Due", "Done"])
    ws.append(["Data", date(2024, 7, 31), True])
    ws.append([None, datetime(2024, 8, 1, 9, 30), False])
    ws.merge_cells("A2:A3")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    sheet_read = read_workbook(path).sheets[0]
    assert sheet_read.rows == [
        ["Theme", "Due", "Done"],
        ["Data", date(2024, 7, 31), True],
        ["Data", datetime(2024, 8, 1, 9, 30), False],
    ]
    assert sheet_read.merged == [(1, 0, 2, 0)]
