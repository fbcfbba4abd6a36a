"""Plans published in Word (issue 16, point 4): a .docx is read as a workbook whose sheets are its tables, and the
plan reader does the rest, unchanged.

The real published plans of the corpus (tests/data/plans/) are written again as Word documents laid out as
published (the title block as paragraphs, the plan as a table, merged cells as Word merges them) with python-docx,
and must load exactly as their workbooks do: the same refs, themes, pillars, owners and due dates, and the values
each must load as. Hostile documents are refused with one line and nothing written.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.data.plans import plans_a, plans_b, plans_c
from tests.data.plans.make_plans import HERE, all_plans
from tests.data.plans.spec import PlanSpec
from tests.test_cli import run as cli
from tests.test_plans_corpus import PERSON_SAYS, check_loaded, cli_in_process
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.ingest.word import W, read_tables
from tracker.load import LoadOutcome, load_file
from tracker.models import Action, Upload

ROOT = Path(__file__).resolve().parent.parent
UCL = ROOT / "plan" / "ucl_2018_action_plan.xlsx"
PLANS = all_plans()
BY_SLUG = {p.slug: p for p in PLANS}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- Word documents laid out as the plans were published -------------------------------------------------------


class WordPlan:
    """The corpus's SheetWriter (tests/data/plans/build.py), writing a Word document instead: the title lines are
    paragraphs, the header and every row after it a table, a section row a cell spanning the table (gridSpan) and a
    cell merged down a vertical merge (vMerge), each made with python-docx's own `merge`."""

    def __init__(self, title: str = "Action plan") -> None:
        self.paragraphs: list[tuple[str, bool]] = []
        self.rows: list[list[str | None]] = []
        self.merges: list[tuple[int, int, int, int]] = []  # first row, first column, last row, last column (1-based)
        self.first: int | None = None  # the sheet row the table starts on
        self.r = 1
        self.width = 1

    def _next(self) -> int:
        self.r += 1
        return self.r - 1

    def line(self, text: str = "", bold: bool = False) -> int:
        if self.first is None:
            self.paragraphs.append((text, bold))
        else:
            self.rows.append([text or None])
        return self._next()

    def header(self, cells: list[str]) -> int:
        self.width = len(cells)
        return self.row(list(cells))

    def section(self, text: str) -> int:
        if self.width > 1:
            self.merges.append((self.r, 1, self.r, self.width))
        return self.row([text])

    def row(self, cells: list[str | None], bold: bool = False) -> int:
        if self.first is None:
            self.first = self.r
        self.rows.append([c or None for c in cells])
        return self._next()

    def merge_down(self, col: int, first: int, last: int) -> None:
        self.merges.append((first, col, last, col))

    def merge(self, ref: str) -> None:
        m = re.fullmatch(r"([A-Z])(\d+):([A-Z])(\d+)", ref)
        assert m is not None
        self.merges.append((int(m[2]), ord(m[1]) - 64, int(m[4]), ord(m[3]) - 64))

    def save(self, widths: list[int] | None = None) -> bytes:
        return word_document(
            self.paragraphs,
            self.rows,
            [(a - (self.first or 1), b, c - (self.first or 1), d) for a, b, c, d in self.merges],
        )


def word_document(
    paragraphs: list[tuple[str, bool]],
    rows: list[list[str | None]],
    merges: list[tuple[int, int, int, int]] = (),  # type: ignore[assignment]
    *,
    before: list[list[str | None]] | None = None,
) -> bytes:
    """A .docx: `paragraphs` (text, bold), then a table of `rows` (a cell's lines are its paragraphs) with `merges`
    (first row 0-based within the table, first column 1-based, last row, last column); `before`, a table first."""
    doc = docx.Document()
    if before:
        other = doc.add_table(rows=len(before), cols=max(len(r) for r in before))
        for i, r in enumerate(before):
            for j, v in enumerate(r):
                other.cell(i, j).text = v or ""
    for text, bold in paragraphs:
        p = doc.add_paragraph()
        if text:
            p.add_run(text).bold = bold
    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = "Table Grid"
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v:
                first, *rest = v.split("\n")
                cell = table.cell(i, j)
                cell.paragraphs[0].text = first
                for line in rest:
                    cell.add_paragraph(line)
    for r0, c0, r1, c1 in merges:
        table.cell(r0, c0 - 1).merge(table.cell(r1, c1 - 1))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def word_from_workbook(path: Path) -> bytes:
    """A workbook's plan as Word: the lines down to the first blank row are paragraphs, the rest a table whose
    merged ranges are Word merges (for the plans whose builders write the sheet directly, and UCL's seed)."""
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    values = [[None if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
    blank = next(i for i, r in enumerate(values) if not any(r))
    paragraphs = [(r[0] or "", False) for r in values[:blank]]
    rows = values[blank + 1 :]
    merges = [(m.min_row - blank - 2, m.min_col, m.max_row - blank - 2, m.max_col) for m in ws.merged_cells.ranges]
    return word_document(paragraphs, rows, merges)


def word_plan(spec: PlanSpec) -> bytes:
    """The corpus plan `spec` as a Word document laid out as published."""
    for module in (plans_a, plans_c):
        if spec in module.PLANS:
            real = module._Sheet
            module._Sheet = WordPlan  # type: ignore[misc,assignment]
            try:
                return spec.build()
            finally:
                module._Sheet = real  # type: ignore[misc]
    assert spec in plans_b.PLANS
    return word_from_workbook(HERE / f"{spec.slug}.xlsx")


def grid(rows: list[list[Any]]) -> list[list[Any]]:
    """A sheet's non-blank rows without trailing blanks (Word has no blank rows between title and table)."""
    out = []
    for r in rows:
        r = list(r)
        while r and r[-1] is None:
            r.pop()
        if r:
            out.append(r)
    return out


def options(spec: PlanSpec) -> dict[str, Any]:
    """What the corpus's command-line arguments say, as load_file's keywords."""
    kw: dict[str, Any] = {}
    args = [*spec.cli_args, *PERSON_SAYS.get(spec.slug, ())]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag == "--plan-start":
            y, m = map(int, value.split("-"))
            kw["plan_start"] = date(y, m, 1)
        elif flag == "--map":
            field, _, header = value.partition("=")
            kw["mapping"] = {field: header}
    return kw


def dry(data: bytes, filename: str, engine: Engine, **kw: Any) -> LoadOutcome:
    with Session(engine) as s:
        return load_file(data, session=s, filename=filename, kind="plan", dry_run=True, **kw)


def actions(out: LoadOutcome) -> list[dict[str, Any]]:
    assert out.result is not None and out.ok, out.result and out.result.issue_lines()
    return [r.model_dump() for r in out.result.rows]


WORD_PLANS = [pytest.param(p, id=p.slug) for p in PLANS]


# --- every corpus plan, as Word -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", WORD_PLANS)
def test_a_word_plan_reads_as_its_workbook_cell_for_cell(spec: PlanSpec) -> None:
    word = read_workbook(word_plan(spec), filename=f"{spec.slug}.docx")
    book = read_workbook(HERE / f"{spec.slug}.xlsx")
    assert [s.name for s in word.sheets] == ["Table 1"]
    assert grid(word.sheets[0].rows) == grid(book.sheets[0].rows)


@pytest.mark.parametrize("spec", WORD_PLANS)
def test_a_word_plan_loads_the_same_actions_as_its_workbook(spec: PlanSpec, sqlite_engine: Engine) -> None:
    word = dry(word_plan(spec), f"{spec.slug}.docx", sqlite_engine, **options(spec))
    book = dry((HERE / f"{spec.slug}.xlsx").read_bytes(), f"{spec.slug}.xlsx", sqlite_engine, **options(spec))
    assert actions(word) == actions(book)
    assert word.result and book.result
    for key in ("start_date", "months", "title", "institution", "refs_assigned"):
        assert word.result.meta.get(key) == book.result.meta.get(key), key
    got = [
        {
            "activity": a["activity"],
            "pillars": list(a["pillars"]),
            "due": a["due"].isoformat(),
            "ref": a["ref"],
            "owners": a["owners"],
        }
        for a in actions(word)
    ]
    plan = {"start_date": word.result.meta["start_date"].isoformat(), "months": word.result.meta["months"]}
    check_loaded(spec, plan, got)


def test_ucl_seed_plan_in_word_loads_as_its_workbook(sqlite_engine: Engine) -> None:
    # The seed: a blank theme heading over Understand/Develop/…, Purpose, Activity (bullets), Impact with its
    # (Evidence: …), Who, and V R C S ticks; the window in the title ('24-month action plan, November 2018 – …').
    data = word_from_workbook(UCL)
    word, book = dry(data, "ucl.docx", sqlite_engine), dry(UCL.read_bytes(), "ucl.xlsx", sqlite_engine)
    assert actions(word) == actions(book)
    got = actions(word)
    assert [a["ref"] for a in got][:3] == ["U1", "D1", "D2"]
    assert got[0]["theme"] == "Understand" and got[0]["pillars"] == "VS"
    assert got[0]["activity"].startswith("• Agree scope") and "\n• Undertake a survey" in got[0]["activity"]
    assert got[0]["expected_evidence"][0] == "Technician Commitment recognised in Research Strategy"
    assert {a["due"] for a in got} == {date(2020, 10, 31)} and word.result is not None
    assert (word.result.meta["start_date"], word.result.meta["months"]) == (date(2018, 11, 1), 24)


# --- the command line -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["cardiff_2020_23", "unidentified_two_year", "jic_2021_2023"])
def test_word_plans_load_through_the_command_line(slug: str, tmp_path: Path) -> None:
    # Cardiff: a heading merged over two columns, an action merged down over two timescales, the window in the
    # title ('2020-23'); the unidentified two-year plan: no header, key areas merged down; JIC: the window in a
    # sentence ('three years from 1 January 2021 until 31 December 2023'), numbered objectives as section rows.
    spec = BY_SLUG[slug]
    path = tmp_path / f"{slug}.docx"
    path.write_bytes(word_plan(spec))
    db = f"sqlite:///{tmp_path / 't.db'}"
    # The dry run and the show commands run the command line's code in this process; the load is a real process.
    dry_run = cli_in_process(db, "load", path, "--kind", "plan", "--dry-run", *spec.cli_args)
    assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
    assert "sheet 'Table 1'" in dry_run.stdout and "would write" in dry_run.stdout
    assert json.loads(cli_in_process(db, "show", "actions", "--format", "json").stdout) == []
    done = cli(db, "load", path, *spec.cli_args)  # the kind detected
    assert done.returncode == 0, done.stdout + done.stderr
    assert "loaded as plan" in done.stdout
    plans = json.loads(cli_in_process(db, "show", "plans", "--format", "json").stdout)
    check_loaded(spec, plans[0], json.loads(cli_in_process(db, "show", "actions", "--format", "json").stdout))


def test_ucl_in_word_through_the_command_line_stores_what_the_workbook_does(tmp_path: Path) -> None:
    path = tmp_path / "ucl_2018_action_plan.docx"
    path.write_bytes(word_from_workbook(UCL))
    stored = []
    for n, source in enumerate((path, UCL)):
        db = f"sqlite:///{tmp_path / f'{n}.db'}"
        p = cli(db, "load", source, "--kind", "plan")
        assert p.returncode == 0, p.stdout + p.stderr
        stored.append(json.loads(cli_in_process(db, "show", "actions", "--format", "json").stdout))
    assert stored[0] == stored[1] and len(stored[0]) >= 6


# --- a draft's "next action plan" table saved from Word ------------------------------------------------------

SEED_COLUMNS = ["Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"]
NEXT_PLAN = [
    SEED_COLUMNS,
    [
        "Understand",
        "Know our technicians",
        "• Map the technical community\n• Survey skills",
        "A skills map (Evidence: survey report)",
        "HR; Technician Working Group",
        "X",
        None,
        None,
        "X",
    ],
    [
        "Develop",
        "Career paths",
        "Publish career pathways for three job families",
        "Clear progression",
        "Head of Career Pathways",
        None,
        "X",
        "X",
        None,
    ],
    [None, "Apprenticeships", "Open two apprenticeship routes", "New entry points", "OD", None, None, "X", "X"],
]


def next_plan_document() -> bytes:
    """A draft's next action plan as Word saves it: a document-control table first, headings, then the plan's
    table with the theme merged down over its two actions."""
    return word_document(
        [
            ("Technician Commitment: self-assessment and next action plan", True),
            ("Next action plan: 24-month action plan, November 2020 – October 2022", True),
            ("", False),
        ],
        NEXT_PLAN,
        [(2, 1, 3, 1)],
        before=[["Version", "Date", "Author"], ["0.3", "1 October 2020", "Technician Working Group"]],
    )


def test_a_next_action_plan_saved_from_word_loads_as_a_plan(engine: Engine) -> None:
    data = next_plan_document()
    assert [s.name for s in read_workbook(data, filename="draft.docx").sheets] == ["Table 1", "Table 2"]
    with Session(engine) as s:
        out = load_file(data, session=s, filename="draft.docx")  # no kind: detected
        assert out.outcome == "loaded" and out.kind == "plan", out.result and out.result.issue_lines()
        assert out.result is not None and out.result.meta["sheet"] == "Table 2"
    with Session(engine) as s:
        got = s.exec(select(Action).order_by(col(Action.id))).all()
        assert [(a.ref, a.theme, "".join(a.pillars), a.due) for a in got] == [
            ("U1", "Understand", "VS", date(2022, 10, 31)),
            ("D1", "Develop", "RC", date(2022, 10, 31)),
            ("D2", "Develop", "CS", date(2022, 10, 31)),
        ]
        assert got[0].activity == "• Map the technical community\n• Survey skills"
        assert got[0].owners == ["HR", "Technician Working Group"]
        assert got[0].expected_evidence == ["survey report"]
        assert s.exec(select(Upload)).one().filename == "draft.docx"


def test_a_word_plan_is_detected_without_a_kind(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        out = load_file(word_plan(BY_SLUG["cardiff_2020_23"]), session=s, filename="plan.docx", dry_run=True)
    assert (out.outcome, out.kind) == ("ready", "plan")


@pytest.mark.parametrize("filename", ["draft.docm", "draft.dotx", "draft.dotm", "upload"])
def test_macro_enabled_documents_templates_and_unnamed_files_are_read_by_the_same_rules(filename: str) -> None:
    # A macro is never run (only word/document.xml and its lists are read); a template's tables are a document's.
    book = read_workbook(next_plan_document(), filename=filename)
    assert [s.name for s in book.sheets] == ["Table 1", "Table 2"] and book.sheets[1].rows[2][0] == "Theme"


def test_a_word_document_is_parsed_in_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_SANDBOX_SECONDS", "0.001")
    with pytest.raises(UnreadableFile, match="could not be read safely: it took longer than"):
        read_workbook(next_plan_document(), filename="draft.docx")


# --- how the document's XML is read --------------------------------------------------------------------------


def document(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        zf.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/'
            f'markup-compatibility/2006"><w:body>{body}</w:body></w:document>',
        )
    return buf.getvalue()


def p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def tc(*paragraphs: str, pr: str = "") -> str:
    return f"<w:tc><w:tcPr>{pr}</w:tcPr>{''.join(paragraphs) or '<w:p/>'}</w:tc>"


TAB_STOPS = "<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr></w:p>"  # a blank line


def test_merged_cells_line_up_and_text_is_what_word_shows() -> None:
    body = (
        p("Plan 2021-2023")
        + "<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
        + "<w:tr>"
        + tc(p("Theme"))
        + tc(p("Action"), pr="<w:gridSpan w:val='2'/>")
        + "</w:tr>"
        + "<w:tr>"
        + tc(p("Visibility"), pr="<w:vMerge w:val='restart'/>")
        + tc(p("1."))
        + tc(p("Web"), TAB_STOPS + p("pages"))
        + "</w:tr>"
        + "<w:tr>"
        + tc(pr="<w:vMerge/>")
        + tc(p("2."))
        + tc(
            "<w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C</w:t></w:r>"
            "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del>"
            "<w:r><w:instrText> HYPERLINK x </w:instrText></w:r>"
            "<w:r><mc:AlternateContent><mc:Choice><w:txbxContent>" + p("box") + "</w:txbxContent></mc:Choice>"
            "<mc:Fallback>" + p("fallback") + "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
        )
        + "</w:tr>"
        + "<w:tr><w:trPr><w:gridBefore w:val='1'/></w:trPr>"
        + tc(p("3."))
        + tc("<w:tbl><w:tr>" + tc(p("nested")) + tc(p("table")) + "</w:tr></w:tbl>")
        + "</w:tr>"
        + "</w:tbl>"
        + p("Between")
        + "<w:tbl><w:tr>"
        + tc(p("x"))
        + "</w:tr></w:tbl>"
    )
    (_, rows1, merges1), (_, rows2, merges2) = read_tables(document(body), "t.docx", max_rows=100)
    assert rows1 == [
        ["Plan 2021-2023"],
        ["Theme", "Action", None],
        ["Visibility", "1.", "Web\n\npages"],
        [None, "2.", "A\tB\nC"],
        [None, "3.", "nested\ntable"],
    ]
    assert sorted(merges1 or []) == [(1, 1, 1, 2), (2, 0, 3, 0)]
    assert rows2 == [["Plan 2021-2023"], ["Between"], ["x"]] and merges2 == []
    book = read_workbook(document(body), filename="t.docx")
    assert book.sheets[0].rows[3][0] == "Visibility"  # a merge down fills the cells it covers, as in a workbook


# --- hostile and wrong documents ------------------------------------------------------------------------------


def bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body>' + " " * 60_000_000 + "</w:body>")
    return buf.getvalue()


ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<w:document xmlns:w="{W}"><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:tc></w:tr>'
    "</w:tbl></w:body></w:document>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    f'<w:document xmlns:w="{W}"><w:body>{p("&lol2;")}</w:body></w:document>'
)


def raw_document(xml: str, numbering: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", xml)
        if numbering is not None:
            zf.writestr("word/numbering.xml", numbering)
    return buf.getvalue()


def entity_in_numbering() -> bytes:
    table = f'<w:document xmlns:w="{W}"><w:body><w:tbl><w:tr>{tc(p("x"))}</w:tr></w:tbl></w:body></w:document>'
    return raw_document(table, LAUGHS.replace("<w:document", "<w:numbering").replace("</w:document>", "</w:numbering>"))


def no_tables() -> bytes:
    doc = docx.Document()
    doc.add_paragraph("Minutes of the steering group, 3 March 2021")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


HOSTILE = [
    pytest.param("bomb.docx", bomb, "inflated", r"refused as a likely zip bomb", id="zip-bomb"),
    pytest.param("xxe.docx", lambda: raw_document(ENTITY), "corrupt", r"declares a DTD or entities", id="entity"),
    pytest.param("lol.docx", lambda: raw_document(LAUGHS), "corrupt", r"declares a DTD or entities", id="laughs"),
    pytest.param("num.docx", entity_in_numbering, "corrupt", r"declares a DTD or entities", id="entity-in-lists"),
    pytest.param("cut.docx", lambda: next_plan_document()[:3000], "truncated", r"truncated", id="truncated"),
    pytest.param("plan.docx", UCL.read_bytes, "not_spreadsheet", r"is a spreadsheet renamed \.docx", id="renamed-xlsx"),
    pytest.param(
        "plan.docx", lambda: b"%PDF-1.7\n" + bytes(200), "not_spreadsheet", r"looks like a PDF document", id="pdf"
    ),
    pytest.param(
        "old.docx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000),
        "not_spreadsheet",
        r"older Office file",
        id="word-97",
    ),
    pytest.param("notes.docx", lambda: b"just some text\n", "corrupt", r"not a valid \.docx document", id="text"),
    pytest.param("minutes.docx", no_tables, "no_tables", r"has no tables", id="no-tables"),
    pytest.param(
        "wide.docx",
        lambda: document("<w:tbl><w:tr>" + tc(p("x"), pr="<w:gridSpan w:val='99999999'/>") + "</w:tr></w:tbl>"),
        "too_many_cells",
        r"columns wide",
        id="huge-span",
    ),
    pytest.param("minutes.xlsx", no_tables, "not_spreadsheet", r"Word document: name it \.docx", id="docx-as-xlsx"),
]


@pytest.mark.parametrize(("filename", "make", "code", "says"), HOSTILE)
def test_hostile_documents_are_refused_in_one_line_and_nothing_is_written(
    filename: str, make: Any, code: str, says: str, engine: Engine
) -> None:
    data = make()
    with Session(engine) as s, pytest.raises(UnreadableFile) as caught:
        load_file(data, session=s, filename=filename, kind="plan")
    assert caught.value.code == code, caught.value.message
    assert re.search(says, caught.value.message) and "\n" not in caught.value.message
    with Session(engine) as s:
        assert s.exec(select(Action)).all() == []
        (upload,) = s.exec(select(Upload)).all()  # the attempt is recorded, nothing else
        assert (upload.filename, upload.outcome) == (filename, "unreadable")


def test_a_hostile_document_through_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "xxe.docx"
    path.write_bytes(raw_document(ENTITY))
    db = f"sqlite:///{tmp_path / 't.db'}"
    p = cli(db, "load", path, "--kind", "plan", "--dry-run")
    assert p.returncode != 0 and "Traceback" not in p.stderr
    said = [ln for ln in (p.stdout + p.stderr).splitlines() if "xxe.docx" in ln]
    assert said and "declares a DTD or entities" in said[0] and "root:" not in p.stdout + p.stderr
    assert json.loads(cli(db, "show", "actions", "--format", "json").stdout) == []


# --- the Upload page -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_the_upload_page_takes_a_word_plan(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    from tests.apputil import open_app
    from tests.test_upload_page import ADMIN, UPLOAD, table, upload

    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    assert ".docx" in at.file_uploader[0].label or "docx" in str(at.file_uploader[0].proto.type)
    assert "docx" in list(at.file_uploader[0].proto.type) or ".docx" in list(at.file_uploader[0].proto.type)
    at.selectbox(key="upload_kind").set_value("plan").run()
    upload(at, "next_plan.docx", next_plan_document(), DOCX)
    assert not at.error, [e.value for e in at.error]
    preview = table(at, "Change", "Action", "From", "To")
    assert "Action added" in set(preview["Change"])


def test_word_bullets_and_numbers_are_read_as_word_shows_them(
    sqlite_engine: Engine, make_xlsx: Callable[[dict[str, list[list[Any]]]], bytes]
) -> None:
    # A plan typed in Word: each action an item of one numbered list ('List Number', numbered on through the
    # table as Word numbers it), its measures a bullet list ('List Bullet'): the numbers and bullets are no text
    # in the file, only Word's numbering, and are read as Word shows them.
    doc = docx.Document()
    doc.add_paragraph("Technician Commitment action plan 2021-2023", style="Title")
    table = doc.add_table(rows=4, cols=3)
    for j, head in enumerate(["Action", "Success measures", "Lead"]):
        table.cell(0, j).text = head
    for i, (action, measures, lead) in enumerate(
        [
            ("Set up a technician network", ["Network launched", "Meets termly"], "HR"),
            ("Publish career pathways", ["Pathways published"], "OD"),
            ("Fund professional registration", ["50 registrations", "Fund renewed"], "Research Office"),
        ],
        start=1,
    ):
        table.cell(i, 0).paragraphs[0].text = action
        table.cell(i, 0).paragraphs[0].style = "List Number"
        first = table.cell(i, 1).paragraphs[0]
        first.text, first.style = measures[0], "List Bullet"
        for m in measures[1:]:
            table.cell(i, 1).add_paragraph(m, style="List Bullet")
        table.cell(i, 2).text = lead
    buf = io.BytesIO()
    doc.save(buf)
    rows = read_workbook(buf.getvalue(), filename="plan.docx").sheets[0].rows
    assert rows[1:3] == [
        ["Action", "Success measures", "Lead"],
        ["1. Set up a technician network", "• Network launched\n• Meets termly", "HR"],
    ]
    assert rows[4][0] == "3. Fund professional registration"
    got = actions(dry(buf.getvalue(), "plan.docx", sqlite_engine))
    assert got == actions(dry(make_xlsx({"Plan": rows}), "plan.xlsx", sqlite_engine))  # as the same cells in Excel
    assert got[0]["activity"] == "Set up a technician network" and got[0]["due"] == date(2023, 12, 31)
    assert got[0]["impact"] == "• Network launched\n• Meets termly" and len(got) == 3


def test_a_plan_set_out_as_one_table_per_pillar_is_one_plan(sqlite_engine: Engine) -> None:
    # Each pillar its own heading and table, every table with the same header: one plan, each heading a section
    # row giving its actions their pillar (as a pillar row merged across a sheet does).
    doc = docx.Document()
    doc.add_heading("Technician Commitment action plan 2021-2023", level=1)
    for pillar, items in (
        ("Visibility", [("Launch a technician web page", "Comms", "July 2021"), ("Annual showcase", "OD", "2022")]),
        ("Recognition", [("Technician awards", "HR", "December 2021")]),
    ):
        doc.add_heading(pillar, level=2)
        table = doc.add_table(rows=len(items) + 1, cols=3)
        for j, head in enumerate(["Action", "Lead", "Timescale"]):
            table.cell(0, j).text = head
        for i, item in enumerate(items, start=1):
            for j, text in enumerate(item):
                table.cell(i, j).text = text
    doc.add_paragraph("Approved by the Technician Working Group.")
    buf = io.BytesIO()
    doc.save(buf)
    (sheet,) = read_workbook(buf.getvalue(), filename="plan.docx").sheets
    assert sheet.name == "Tables 1-2"
    assert sheet.rows == [
        ["Technician Commitment action plan 2021-2023"],
        ["Visibility"],
        ["Action", "Lead", "Timescale"],
        ["Launch a technician web page", "Comms", "July 2021"],
        ["Annual showcase", "OD", "2022"],
        ["Recognition", "Recognition", "Recognition"],  # a section row: merged across the table
        ["Action", "Lead", "Timescale"],
        ["Technician awards", "HR", "December 2021"],
    ]
    got = actions(dry(buf.getvalue(), "plan.docx", sqlite_engine))
    assert [(a["activity"], a["pillars"], a["owners"], a["due"]) for a in got] == [
        ("Launch a technician web page", "V", ["Comms"], date(2021, 7, 31)),
        ("Annual showcase", "V", ["OD"], date(2022, 12, 31)),
        ("Technician awards", "R", ["HR"], date(2021, 12, 31)),
    ]
