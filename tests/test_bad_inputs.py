"""The bad-input corpus (tests/data/bad/, made by make_bad.py there) through every door: the tracker API, the
command line and the Upload page.

Each file must be refused with a clear message naming it (and, for a file that could be read, the sheet, the
row as Excel numbers it and the column of every problem), with no traceback, in bounded time and memory, and
with the database unchanged but for the record the product keeps of every attempt: exactly one new `upload`
row (outcome "unreadable" or "rejected", the file's name and bytes) and exactly one new `auditevent` row
saying so. "Unchanged" is checked on every table's full contents (a SHA-256 of its sorted rows), not counts.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

import tracker.db
from tests.apputil import ROOT, open_app
from tests.dbdigest import Snapshot, changes, snapshot
from tests.test_upload_page import confirm, plain, upload
from tracker.config import load_settings
from tracker.db import open_engine
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.load import load_file
from tracker.models import Action
from tracker.text import unescape_literal

BAD = ROOT / "tests" / "data" / "bad"
sys.path.insert(0, str(BAD))
import make_bad  # noqa: E402

UPLOAD_PAGE = "pages/upload.py"
TIME_LIMIT = 120  # seconds: a bound on termination, not a speed test
MEMORY_LIMIT = 1536 * 1024 * 1024  # the CLI's address space
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
GIGABYTE_BOMB = "bomb_2gib.xlsx"  # built by the test (make_bad.gigabyte_bomb): 2 MB, too big to keep


@dataclass(frozen=True)
class Case:
    """A corpus file and how it must be refused: `code` for a file that cannot be read (with `says`, a pattern
    its message must match), else the exact errors (sheet, Excel row, column, code) of a rejection."""

    file: str
    code: str = ""
    says: str = ""
    errors: frozenset[tuple[str, int | None, str | None, str]] = frozenset()
    warnings: frozenset[tuple[str, int | None, str | None, str]] = frozenset()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def unreadable(self) -> bool:
        return bool(self.code)


def rejected(file: str, *errors: tuple[str, int | None, str | None, str], warnings: tuple = ()) -> Case:  # type: ignore[type-arg]
    return Case(file, errors=frozenset(errors), warnings=frozenset(warnings))


CASES = [
    Case("not_a_spreadsheet.xlsx", "corrupt", r"^is not a valid \.xlsx workbook"),
    Case("image.xlsx", "not_spreadsheet", r"^is not a spreadsheet: it looks like a PNG image$"),
    Case("document.xlsx", "not_spreadsheet", r"^is not a spreadsheet: it looks like a PDF document$"),
    Case("html_export.xls", "not_spreadsheet", r"^is not a spreadsheet: it looks like an HTML page$"),
    Case("word_document.xlsx", "not_spreadsheet", r"^is an Office document but not a spreadsheet"),
    Case("empty.xlsx", "empty", r"^is empty$"),
    Case("empty.csv", "empty", r"^is empty$"),
    Case("truncated.xlsx", "truncated", r"^is damaged or incomplete"),
    Case("password.xlsx", "encrypted", r"^is password-protected: save a copy without a password"),
    Case("bomb_overlapping.xlsx", "inflated", r"^would expand to 3000\.0 MB from 103 KB: refused as a likely zip bomb"),
    Case(GIGABYTE_BOMB, "inflated", r"^would expand to 2048\.0 MB from 2\.0 MB: refused as a likely zip bomb"),
    Case("bomb_lying_sizes.xlsx", "corrupt", r"^cannot be read as a spreadsheet \(Bad CRC-32"),
    Case("far_cell.xlsx", "too_many_cells", r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows × 16,384 col"),
    Case("repeated_cells.ods", "too_many_cells", r"^sheet 'Progress' repeats rows and cells to over 16,000,000,001"),
    Case("too_many_rows.xlsx", "too_many_rows", r"^sheet 'Progress' has 500,001 rows, over the 500,000-row limit$"),
    Case("too_many_rows.csv", "too_many_rows", r"more rows than the 1,000-row limit", env={"TRACKER_MAX_ROWS": "1000"}),
    Case("updates_shift_jis.csv", "encoding", r"^is not text in UTF-8, UTF-16 or Windows-1252$"),
    Case("workforce_shift_jis.csv", "encoding", r"^is not text in UTF-8, UTF-16 or Windows-1252$"),
    Case("updates_utf16_no_bom.csv", "not_spreadsheet", r"it contains binary data"),
    rejected("updates_utf16.csv", ("updates_utf16", 2, "Status", "bad_status")),
    rejected(
        "updates_formulas.xlsx",
        ("Progress", 3, "Status", "required"),
        warnings=(("Progress", 2, "B", "formula_not_saved"),),
    ),
    rejected(
        "updates_formulas_saved.xlsx",
        ("Progress", 2, "Ref", "unknown_ref"),
        ("Progress", 2, "Status", "bad_status"),
        ("Progress", 2, "Percent complete", "bad_percent"),
        ("Progress", 3, "As of", "required"),
    ),
    rejected(
        "updates_formula_text.xlsx",
        ("Progress", 2, "Ref", "unknown_ref"),
        ("Progress", 3, "As of", "bad_date"),
        ("Progress", 3, "Percent complete", "bad_percent"),
        ("Progress", 4, "Percent complete", "bad_percent"),
        ("Evidence", 2, "Link", "bad_link"),
        warnings=(("Progress", 4, "Percent complete", "complete_not_100"),),
    ),
    rejected(
        "updates_formula_text.csv",
        ("updates_formula_text", 2, "Ref", "unknown_ref"),
        ("updates_formula_text", 3, "As of", "bad_date"),
        ("updates_formula_text", 3, "Percent complete", "bad_percent"),
        ("updates_formula_text", 4, "Percent complete", "bad_percent"),
        warnings=(("updates_formula_text", 4, "Percent complete", "complete_not_100"),),
    ),
    rejected(
        "updates_control_chars.xlsx",
        ("Progress", 2, "Ref", "unknown_ref"),
        ("Progress", 3, "Status", "bad_status"),
        warnings=tuple(
            ("Progress", r, c, "control_character") for r, c in ((2, "A"), (2, "C"), (2, "E"), (3, "C"), (3, "E"))
        ),
    ),
    rejected(
        "updates_control_chars.csv",
        ("updates_control_chars", 3, "Ref", "unknown_ref"),
        ("updates_control_chars", 4, "Status", "bad_status"),
        warnings=tuple(
            ("updates_control_chars", r, c, "control_character")
            for r, c in ((3, "A"), (3, "C"), (3, "E"), (4, "C"), (4, "E"))
        ),
    ),
    rejected("updates_long_cell.xlsx", ("Progress", 2, "E", "too_long")),
    rejected("updates_long_cell.csv", ("updates_long_cell", 2, "E", "too_long")),
    rejected("updates_unclosed_quote.csv", ("updates_unclosed_quote", 3, "E", "unclosed_quote")),
    rejected(
        "updates_dates_1900_2100.xlsx",
        ("Progress", 2, "As of", "date_out_of_range"),
        ("Progress", 3, "As of", "future_date"),
        ("Evidence", 2, "Date", "bad_date"),
        ("Measures", 2, "As of", "future_date"),
    ),
    rejected(
        "updates_duplicates.xlsx",
        ("Progress", 3, "Ref", "duplicate"),
        ("Evidence", 3, "Description", "duplicate"),
        ("Measures", 3, "Measure", "duplicate"),
    ),
    rejected(
        "updates_unknown_refs.xlsx",
        ("Progress", 2, "Ref", "unknown_ref"),
        ("Progress", 3, "Ref", "unknown_ref"),
        ("Evidence", 2, "Ref", "unknown_ref"),
        ("Evidence", 2, "Supersedes ID", "unknown_evidence"),
        ("Measures", 2, "Ref", "unknown_ref"),
    ),
    rejected(
        "updates_not_numbers.xlsx",
        ("Progress", 2, "Percent complete", "bad_percent"),
        ("Progress", 3, "Percent complete", "bad_percent"),
        ("Evidence", 2, "Supersedes ID", "unknown_evidence"),
        ("Measures", 2, "Baseline", "bad_number"),
        ("Measures", 2, "Target", "bad_number"),
        ("Measures", 2, "Value", "bad_number"),
    ),
    rejected(
        "updates_bad_links.xlsx",  # javascript: however written, data:, vbscript:; the web and file links are fine
        *(("Evidence", r, "Link", "bad_link") for r in (2, 3, 4, 5)),
    ),
    rejected(
        "updates_sheet_name_controls.xlsx",  # the line break and ESC in the sheet's name shown as spaces
        ("Progress [2J fake.xlsx:Progress:1:A: all fine", 2, "Ref", "unknown_ref"),
    ),
    rejected(
        "workforce_huge_numbers.xlsx",
        ("Workforce", 2, "FTE", "bad_fte"),
        ("Workforce", 2, "Headcount", "bad_headcount"),
        ("Workforce", 3, "FTE", "bad_fte"),
        ("Workforce", 3, "Headcount", "bad_headcount"),
        ("Workforce", 4, "FTE", "bad_fte"),
    ),
    # A plan's dates are what it published: a date that cannot be read, or one far outside the window, is a warning
    # (never a refusal). These two files are refused because, loaded over the demo plan, they would withdraw all
    # six of its actions without being told to.
    rejected(
        "plan_formula_text.xlsx",
        ("Action plan", None, None, "mass_withdrawal"),
        warnings=(
            ("Action plan", 5, "Start", "unread_timescale"),
            ("Action plan", 5, "Due", "unread_timescale"),
            ("Action plan", 5, "V", "unusual_mark"),
            ("Action plan", 6, "Start", "unread_timescale"),
            ("Action plan", 6, "Due", "unread_timescale"),
        ),
    ),
    rejected(
        "plan_dates_1900_2100.xlsx",
        ("Action plan", None, None, "mass_withdrawal"),
        warnings=(("Action plan", 5, "Start", "start_before_window"), ("Action plan", 6, "Due", "due_after_window")),
    ),
    rejected("plan_duplicates.xlsx", ("Action plan", 6, "Ref", "duplicate")),
    rejected("plan_long_cell.xlsx", ("Action plan", 5, "D", "too_long")),
    rejected(
        "workforce_formula_text.xlsx",
        ("Workforce", 2, "Headcount", "bad_headcount"),
        ("Workforce", 3, "FTE", "bad_fte"),
    ),
    rejected(
        "workforce_dates_1900_2100.xlsx",
        ("Workforce", 2, "As at", "date_out_of_range"),
        ("Workforce", 3, "As at", "date_out_of_range"),
    ),
    rejected("workforce_duplicates.xlsx", ("Workforce", 4, "Staff number", "duplicate")),
    # Issue 13: valid XML a pattern over the sheet missed reached calamine, which aborted the whole process.
    Case("far_cell_spaced.xlsx", "too_many_cells", r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows"),
    Case("far_cell_newline.xlsx", "too_many_cells", r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows"),
    Case("far_cell_lower_case.xlsx", "too_many_cells", r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows"),
    Case("far_cell_subfolder.xlsx", "too_many_cells", r"^sheet 'Progress' reaches cell XFD1048576 \(1,048,576 rows"),
    Case("shared_strings_count.xlsx", "too_many_cells", r"^holds a shared-strings table claiming 4000000000 strings"),
]
IDS = [c.file for c in CASES]


def test_the_corpus_is_what_make_bad_builds_and_small() -> None:
    """Every kept file is exactly what the script makes now, every case is tested, and the lot stays small."""
    kept = {p.name for p in BAD.iterdir() if p.name != "make_bad.py" and p.is_file()}
    assert kept == set(make_bad.CASES)
    assert {c.file for c in CASES} | {c.file for c in LOADS} == kept | {GIGABYTE_BOMB}
    for name, build in make_bad.CASES.items():
        assert (BAD / name).read_bytes() == build(), f"{name} differs from what make_bad.py builds: run it"
    assert sum((BAD / n).stat().st_size for n in kept) < 2 * 1024 * 1024


# --- fixtures ---------------------------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def gigabyte_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / GIGABYTE_BOMB
    path.write_bytes(make_bad.gigabyte_bomb())
    return path


def corpus_path(case: Case, request: pytest.FixtureRequest) -> Path:
    if case.file == GIGABYTE_BOMB:
        path: Path = request.getfixturevalue("gigabyte_bomb")
        return path
    return BAD / case.file


# --- what every door must leave behind ----------------------------------------------------------------


def assert_only_the_attempt_recorded(before: Snapshot, after: Snapshot, case: Case, data: bytes) -> None:
    """Every table byte for byte as it was, but one new upload row for this attempt and one audit row."""
    diff = changes(before, after)
    assert set(diff) == {"upload", "auditevent"}, f"tables changed: {sorted(diff)}"
    assert all(not d["removed"] for d in diff.values())
    (up,) = diff["upload"]["added"]
    outcome = "unreadable" if case.unreadable else "rejected"
    assert (up["filename"], up["outcome"], up["rows_accepted"]) == (case.file, outcome, 0)
    assert up["content"] == (data or None) and up["size_bytes"] == len(data)  # kept whole (an empty file: none)
    assert up["sha256"] == hashlib.sha256(data).hexdigest()
    if case.unreadable:
        assert case.file not in up["message"] and re.search(case.says, up["message"])
    else:
        assert up["message"].endswith("found: nothing was written")
        assert up["issues_found"] == len(case.errors)
    (event,) = diff["auditevent"]["added"]
    assert (event["action"], event["target"], event["upload_id"]) == (f"upload_{outcome}", case.file, up["id"])


def assert_clean_text(text: str) -> None:
    assert "Traceback" not in text and "Error:" not in text, text[-2000:]
    assert not re.search(r"\d{25}", text), "a number quoted as hundreds of digits"
    assert not CONTROL.search(text), "control characters reached the output"


# --- door (a): the tracker API ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_api(case: Case, db: str, request: pytest.FixtureRequest) -> None:
    path = corpus_path(case, request)
    data = path.read_bytes()
    before = snapshot(db)
    started = time.monotonic()
    with Session(open_engine(db)) as s:
        if case.unreadable:
            with pytest.raises(UnreadableFile) as info:
                load_file(path, session=s, settings=load_settings(case.env))
            exc = info.value
            assert (exc.code, exc.filename) == (case.code, case.file)
            assert str(exc) == f"{case.file}: {exc.message}" and re.search(case.says, exc.message), exc.message
        else:
            out = load_file(path, session=s, settings=load_settings(case.env))
            assert (out.outcome, out.filename, out.upload_id) == ("rejected", case.file, out.upload_id)
            assert out.result is not None
            errors = {(i.sheet, i.row, i.column, i.code) for i in out.result.errors}
            warnings = {(i.sheet, i.row, i.column, i.code) for i in out.result.issues if i.severity == "warning"}
            assert errors == case.errors
            assert warnings == case.warnings
            assert out.message == f"{len(case.errors)} problem{'s' * (len(case.errors) > 1)} found: nothing was written"
            for line in out.result.issue_lines():
                assert_clean_text(line)
                assert line.startswith(f"{case.file}:") and len(line) < 700
    assert time.monotonic() - started < TIME_LIMIT
    tracker.db.dispose_all()
    assert_only_the_attempt_recorded(before, snapshot(db), case, data)


# --- door (b): the command line -----------------------------------------------------------------------


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass(frozen=True)
class CliRun:
    """One `python -m tracker load FILE` on a database of its own: the database's contents before, and the
    process."""

    db: str
    before: Snapshot
    proc: subprocess.CompletedProcess[str]
    seconds: float


def _run_cli(db: str, path: Path, env: dict[str, str]) -> CliRun:
    before = snapshot(db)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, "load", str(path)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")} | env,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limit_memory,
    )
    return CliRun(db, before, proc, time.monotonic() - started)


CLI_TESTS = ("test_cli", "test_odd_but_valid_loads_through_the_cli")


@pytest.fixture(scope="module")
def cli_runs(
    request: pytest.FixtureRequest, demo_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CliRun]:
    """Every command-line case this session runs, two at a time, each on its own copy of the demo database
    (starting Python is most of a case's time). The tests then check each one's output and database."""
    wanted: dict[str, tuple[Path, dict[str, str]]] = {}
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and getattr(item, "originalname", "") in CLI_TESTS:
            case = spec.params["case"] if spec else None
            if isinstance(case, Case):
                wanted[case.file] = (corpus_path(case, request), case.env)
            elif isinstance(case, Loads):
                wanted[case.file] = (BAD / case.file, {})

    def run(name: str) -> tuple[str, CliRun]:
        folder = tmp_path_factory.mktemp("cli")
        shutil.copy(demo_file, folder / "demo.db")
        path, env = wanted[name]
        return name, _run_cli(f"sqlite:///{folder / 'demo.db'}", path, env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, sorted(wanted)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli(case: Case, cli_runs: dict[str, CliRun], request: pytest.FixtureRequest) -> None:
    path = corpus_path(case, request)
    run = cli_runs[case.file]
    proc = run.proc
    assert run.seconds < TIME_LIMIT
    output = proc.stdout + proc.stderr
    assert_clean_text(output)
    if case.unreadable:
        assert proc.returncode == 2, output
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"{case.file}: cannot read: ")
        assert re.search(case.says, line.removeprefix(f"{case.file}: cannot read: ")), line
    else:
        assert proc.returncode == 1, output
        lines = proc.stderr.splitlines()
        for sheet, row, column, _ in case.errors | case.warnings:
            prefix = f"{case.file}:{sheet}:{row or ''}:{column or ''}: "
            assert any(line.startswith(prefix) for line in lines), (prefix, lines)
        assert lines[-1].startswith(f"{case.file}: {len(case.errors)} problem")
        assert len(lines) == len(case.errors) + len(case.warnings) + 1  # one line per problem, and the total
        assert proc.stdout == ""
    assert_only_the_attempt_recorded(run.before, snapshot(run.db), case, path.read_bytes())


# --- door (c): the Upload page --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_upload_page(case: Case, db: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus_path(case, request)
    data = path.read_bytes()
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    at = open_app(monkeypatch, db, page=UPLOAD_PAGE)
    before = snapshot(db)
    started = time.monotonic()
    upload(at, case.file, data)
    assert time.monotonic() - started < TIME_LIMIT
    shown = [plain(e.value) for e in at.error]
    assert_clean_text(" ".join(shown))
    assert not [b for b in at.button if b.label == "Confirm and load"]
    if case.unreadable:
        (message,) = shown
        assert message.startswith(f"{case.file} ") and re.search(case.says, message.removeprefix(f"{case.file} "))
        assert plain(at.status[0].label) == f"{case.file} was not loaded"
    else:
        n = len(case.errors)
        # A plan opens the mapping step, where a problem may be fixed in place rather than in the file.
        said = "nothing can be loaded yet" if case.file.startswith("plan_") else "nothing was written"
        assert shown[0].startswith(f"{n} problem{'s' * (n > 1)}: {said}")
        assert plain(at.status[0].label) == f"Checked {case.file}: problems found"
        tables = [df.value for df in [*at.table, *at.dataframe] if {"Sheet", "Row", "Column"} <= set(df.value.columns)]
        # A plain table's cells are Markdown (the file's text in them escaped): read as a viewer reads them.
        tables = [t.map(lambda v: unescape_literal(v) if isinstance(v, str) else v) for t in tables]
        listed = {(r.Sheet, r.Row, r.Column) for t in tables for r in t.itertuples()}
        for sheet, row, column, _ in case.errors | case.warnings:
            assert (sheet, str(row or ""), column or "") in listed  # a whole-file problem names no row or column
        for t in tables:
            said = t["Problem"] if "Problem" in t.columns else t["How it was read"]  # issues, or the reader's notes
            for value in [*t["Value"], *said]:
                assert_clean_text(str(value))
    at.run()  # a rerun does not check (and record) the file again
    tracker.db.dispose_all()
    assert_only_the_attempt_recorded(before, snapshot(db), case, data)


# --- valid but odd: files that load through every door, their odd text stored exactly as text -----------------


@dataclass(frozen=True)
class Loads:
    """A corpus file that must load: the kind, the rows each table gains (`stored`: table → (columns, rows)) and
    the audit events (action, target) written with them."""

    file: str
    kind: str
    stored: dict[str, tuple[tuple[str, ...], frozenset[tuple[object, ...]]]]
    audit: tuple[tuple[str, str], ...]


OCT_2020 = date(2020, 10, 31)
NOTE = ("ref", "as_of", "status", "percent_complete", "note")
LOADS = [
    Loads(
        "updates_formula_text_ok.xlsx",
        "updates",
        {
            "progressupdate": (
                NOTE,
                frozenset(
                    {
                        ("D1", OCT_2020, "on track", 60, "=1+1"),
                        ("D2", OCT_2020, "at risk", 40, "-10% on last quarter; @HR to reply"),
                        ("D3", OCT_2020, "on track", 55, '=HYPERLINK("http://evil.example","Click")'),
                    }
                ),
            ),
            "evidence": (
                ("ref", "date", "description", "kind", "link"),
                frozenset({("D1", date(2020, 10, 1), "+44 helpline launched", "event", "https://example.ac.uk/e")}),
            ),
        },
        (("evidence", "D1"), ("progress", "D3"), ("status", "D1"), ("status", "D2")),
    ),
    Loads(
        "updates_formula_text_ok.csv",
        "updates",
        {
            "progressupdate": (
                NOTE,
                frozenset(
                    {
                        ("D1", OCT_2020, "on track", 60, "=1+1"),  # the exports' guard taken off
                        ("D2", OCT_2020, "at risk", 40, "'=SUM(A1:A9)"),  # one of two taken off
                        ("V1", OCT_2020, "on track", 55, "@HR: -5 days, +2 staff"),
                    }
                ),
            ),
        },
        (("status", "D1"), ("status", "D2"), ("status", "V1")),
    ),
    Loads(
        "updates_formulas_saved_ok.xlsx",
        "updates",
        {
            "progressupdate": (
                NOTE,
                frozenset(
                    {
                        ("D1", OCT_2020, "on track", 70, "Pathways agreed"),  # saved results, never the formulas
                        ("D2", OCT_2020, "at risk", 0, "=2+2"),  # a saved result that looks like a formula: text
                    }
                ),
            )
        },
        (("status", "D1"), ("status", "D2")),
    ),
    Loads(
        "workforce_formula_text_ok.xlsx",
        "workforce",
        {
            "workforcerecord": (
                ("as_of", "faculty", "department", "job_family", "grade", "sex", "fte", "headcount"),
                frozenset(
                    {
                        (date(2022, 7, 31), "@Life Sciences", "-Neuroscience", "=Technical", "+7", "Female", 2.5, 3),
                        (date(2022, 7, 31), "@Life Sciences", "-Neuroscience", "=Technical", "+7", "Male", 1.0, 1),
                    }
                ),
            )
        },
        (("snapshot", "2022-07-31"),),
    ),
    Loads(
        "plan_formula_text_ok.xlsx",
        "plan",
        {
            "plan": (
                ("institution", "start_date", "months"),
                frozenset({("Example University", date(2021, 11, 1), 24)}),
            ),
            "action": (
                ("ref", "purpose", "activity", "impact", "owners", "success_measures", "pillars", "start", "due"),
                frozenset(
                    {
                        (
                            "U1",
                            "=Know the workforce",
                            "-Survey technicians",
                            "+20% response",
                            ("@HR",),
                            "=COUNT(staff)",
                            "VS",
                            date(2021, 11, 1),
                            date(2022, 10, 31),
                        )
                    }
                ),
            ),
            "actionrevision": (("change",), frozenset({("added",)})),
        },
        (("action_added", "U1"),),
    ),
]
LOAD_IDS = [c.file for c in LOADS]


def test_every_file_that_loads_is_in_the_corpus() -> None:
    assert {c.file for c in LOADS} == {n for n in make_bad.CASES if "_ok." in n}
    assert not {c.file for c in LOADS} & {c.file for c in CASES}


def _refs(db: str) -> dict[int, str]:
    with Session(open_engine(db)) as s:
        return {a.id: a.ref for a in s.exec(select(Action))}  # type: ignore[misc]


def assert_loaded_as_text(before: Snapshot, db: str, case: Loads, data: bytes, also: set[str] | None = None) -> None:
    """The tables `case` names gain exactly its rows (the odd text as sent), one upload row says "loaded", and
    nothing else changes (but the tables in `also`); no row anywhere is removed."""
    tracker.db.dispose_all()
    diff = changes(before, snapshot(db))
    assert set(diff) == {*case.stored, "upload", "auditevent", *(also or set())}, f"tables changed: {sorted(diff)}"
    assert all(not d["removed"] for d in diff.values()), {t: d["removed"] for t, d in diff.items() if d["removed"]}
    (up,) = diff["upload"]["added"]
    assert (up["filename"], up["kind"], up["outcome"], up["issues_found"]) == (case.file, case.kind, "loaded", 0)
    assert up["content"] == data and up["sha256"] == hashlib.sha256(data).hexdigest()
    refs = _refs(db)
    for table, (columns, rows) in case.stored.items():
        added = diff[table]["added"]
        for r in added:
            r["ref"] = r.get("ref") or refs.get(r.get("action_id", -1))
            r["owners"] = tuple(r.get("owners") or ())
            if table == "plan":
                assert up["plan_id"] == r["id"]
            else:
                assert up["id"] in (r.get("upload_id"), r.get("source_upload_id")), (table, r)
        got = [tuple(r[c] for c in columns) for r in added]
        assert len(got) == len(rows) and set(got) == rows, got
    events = sorted((e["action"], e["target"]) for e in diff["auditevent"]["added"])
    assert events == sorted([(f"load_{case.kind}", case.file), *case.audit])
    assert all(e["upload_id"] == up["id"] for e in diff["auditevent"]["added"])


@pytest.mark.parametrize("case", LOADS, ids=LOAD_IDS)
def test_odd_but_valid_loads_through_the_api(case: Loads, db: str) -> None:
    data = (BAD / case.file).read_bytes()
    before = snapshot(db)
    with Session(open_engine(db)) as s:
        out = load_file(BAD / case.file, session=s, settings=load_settings({}))
    assert (out.outcome, out.kind, out.filename) == ("loaded", case.kind, case.file), out.message
    assert out.result is not None and out.result.issues == []
    assert_loaded_as_text(before, db, case, data)


@pytest.mark.parametrize("case", LOADS, ids=LOAD_IDS)
def test_odd_but_valid_loads_through_the_cli(case: Loads, cli_runs: dict[str, CliRun]) -> None:
    run = cli_runs[case.file]
    proc = run.proc
    assert_clean_text(proc.stdout + proc.stderr)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"{case.file}: loaded as {case.kind} (upload 15): ")
    assert_loaded_as_text(run.before, run.db, case, (BAD / case.file).read_bytes())


@pytest.mark.parametrize("case", LOADS, ids=LOAD_IDS)
def test_odd_but_valid_loads_through_the_upload_page(case: Loads, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (BAD / case.file).read_bytes()
    at = open_app(monkeypatch, db, page=UPLOAD_PAGE)
    before = snapshot(db)
    upload(at, case.file, data)
    assert not at.error, [e.value for e in at.error]
    assert plain(at.status[0].label) == f"Checked {case.file}: ready to load"
    tracker.db.dispose_all()
    assert changes(before, snapshot(db)) == {}  # the preview writes nothing
    confirm(at)
    assert plain(at.success[0].value).startswith(f"Loaded {case.file} (upload 15)")
    # A plan confirmed on the page keeps its column mapping for the next file with the same headers.
    assert_loaded_as_text(before, db, case, data, also={"columnmapping"} if case.kind == "plan" else set())


# --- the sheet-extent check, against files written to slip past it ----------------------------------------


def _sheet(*rows: bytes) -> bytes:
    return make_bad._hand_xlsx({"Progress": make_bad.SHEET_HEAD + b"".join(rows) + make_bad.SHEET_TAIL})


A1 = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c></row>'


@pytest.mark.parametrize(
    ("data", "reach"),
    [
        pytest.param(
            _sheet(A1, b'<row r="2"><c t="n" r="XFD2"><v>1</v></c></row><row r="99999"/>'),
            "XFD99999",
            id="attributes-in-another-order",
        ),
        pytest.param(
            _sheet(
                b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', b'<x:row r="2000"><x:c r="XFD2000"/></x:row>'
            ),
            "XFD2000",
            id="namespace-prefixes",
        ),
        pytest.param(
            _sheet(
                b'<row r="99999"><c r="A99999"><v>1</v></c></row>', A1, b'<row r="2"><c r="XFD2"><v>1</v></c></row>'
            ),
            "XFD99999",
            id="rows-out-of-order",
        ),
        pytest.param(
            _sheet(b'<row r="1"><c r="A1"><v>1</v></c><c r="Z450000"><v>1</v></c></row>'),
            "Z450000",
            id="a-cell-far-below-its-row",
        ),
    ],
)
def test_far_reaching_sheets_are_refused_however_written(data: bytes, reach: str) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_workbook(data, "far.xlsx", settings=load_settings({}))
    assert info.value.code == "too_many_cells"
    assert info.value.message.startswith(f"sheet 'Progress' reaches cell {reach} ("), info.value.message


def test_a_wide_or_long_sheet_within_the_limit_is_read() -> None:
    wide = b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>edge</t></is></c></row>'  # 3 x 16,384 cells
    wb = read_workbook(_sheet(A1, wide), "wide.xlsx", settings=load_settings({}))
    assert wb.sheets[0].rows[2][16383] == "edge" and len(wb.sheets[0].rows) == 3
    long = b'<row r="400000"><c r="H400000"><v>7</v></c></row>'  # 400,000 x 8: 3.2 million cells
    wb = read_workbook(_sheet(A1, long), "long.xlsx", settings=load_settings({}))
    assert wb.sheets[0].rows[-1][7] == 7 and len(wb.sheets[0].rows) == 400_000


def test_control_characters_alone_are_removed_with_a_warning_and_the_file_loads(db: str) -> None:
    rows = [make_bad.PROGRESS_HEADER, ["D1", 44135, "On\x07 track", 50, "line one\x0bline two\x1b[0m"]]
    data = make_bad._hand_xlsx({"Progress": make_bad._sheet_xml(rows)})
    with Session(open_engine(db)) as s:
        out = load_file(data, filename="ok.xlsx", session=s, settings=load_settings({}))
    assert out.outcome == "loaded", out.result and out.result.issue_lines()
    assert out.result is not None
    assert {(i.row, i.column, i.code, i.severity) for i in out.result.issues} == {
        (2, "C", "control_character", "warning"),
        (2, "E", "control_character", "warning"),
    }
    (row,) = out.result.rows
    assert (row.status, row.note) == ("on track", "line one\nline two[0m")


@pytest.mark.parametrize(
    ("data", "cells"),
    [
        pytest.param(b'Ref,Note\r\nD1,a 3" pipe\r\n', ["D1", 'a 3" pipe'], id="a-quote-inside-a-cell"),
        pytest.param(b'Ref,Note\r\nD1,"a ""b"", c"\r\n', ["D1", 'a "b", c'], id="doubled-quotes"),
        pytest.param(b'Ref;Note\r\nD1;"one; two\r\nthree"', ["D1", "one; two\r\nthree"], id="a-closed-multi-line-cell"),
    ],
)
def test_quotes_that_are_closed_or_inside_a_cell_are_no_problem(data: bytes, cells: list[str]) -> None:
    """The unclosed-quote error is for a quote that runs to the end of the file, nothing the lenient reader (as
    Excel) reads as meant."""
    wb = read_workbook(data, "q.csv", settings=load_settings({}))
    assert (wb.sheets[0].rows[1], wb.issues) == (cells, [])


def test_a_sheet_name_is_shown_on_one_line() -> None:
    rows = [make_bad.PROGRESS_HEADER, ["D1", 44135, "On track", 50, "x"]]
    wb = read_workbook(make_bad._hand_xlsx({"A&#xD;&#xA;B&#x9B;C" + "x" * 200: make_bad._sheet_xml(rows)}), "n.xlsx")
    assert wb.sheets[0].name == "A  B C" + "x" * 94 + "…"
    far = make_bad.SHEET_HEAD + A1 + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + make_bad.SHEET_TAIL
    with pytest.raises(UnreadableFile) as info:
        read_workbook(make_bad._hand_xlsx({"P&#xA;&#x1B;[2Jx": far}), "far.xlsx")
    message = info.value.message
    assert message.isprintable() and re.match(r"sheet 'P +\[2Jx' reaches cell XFD1048576 \(", message), message
    many = make_bad.SHEET_HEAD + A1 + b'<row r="30"><c r="A30"><v>1</v></c></row>' + make_bad.SHEET_TAIL
    with pytest.raises(UnreadableFile) as info:
        read_workbook(
            make_bad._hand_xlsx({"P&#xD;&#xA;x": many}), "n.xlsx", settings=load_settings({"TRACKER_MAX_ROWS": "20"})
        )
    assert info.value.message == "sheet 'P  x' has 30 rows, over the 20-row limit"
