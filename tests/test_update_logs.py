"""Leads' own progress and evidence logs (issue 17): read by what their columns say and hold, through the command
line and load_file, on SQLite and PostgreSQL.

The corpus (tests/data/update_logs/) was transcribed from published layouts with its expected rows decided before
the loader read it (expected.json; make_logs.py writes the files): an evidence log under title rows, RAG updates
and evidence on two sheets, one progress log carrying evidence with Excel hyperlinks, a lead's log with dates as
text, an engagement tracker with pillar words and kinds the tracker does not know, a lead's minutes with
hyperlinks, a lead's CSV status update, and an action log with a spacer column.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from tests.conftest import DemoCopies
from tests.test_cli import run
from tracker.auth import SYSTEM, actor_for
from tracker.db import open_engine
from tracker.ingest.updates import FIELD_HELP as UPDATE_FIELD_HELP
from tracker.load import UpdateOptions, load_file
from tracker.models import ColumnMapping, Evidence, ProgressUpdate, Upload

HERE = Path(__file__).parent / "data" / "update_logs"
EXPECTED: list[dict[str, Any]] = json.loads((HERE / "expected.json").read_text())
CAREERS, EVENTS = "careers.lead@demo.ac.uk", "events.lead@demo.ac.uk"


def backend_url(demo_copies: DemoCopies, backend: str) -> str:
    return demo_copies.sqlite_url() if backend == "sqlite" else demo_copies.pg_url()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def loaded_upload(stdout: str) -> int:
    m = re.search(r"\(upload (\d+)\)", stdout)
    assert m, stdout
    return int(m.group(1))


def stored(url: str, upload_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The progress updates and evidence an upload wrote, as expected.json writes them, in file order."""
    from tracker.models import Action

    with Session(open_engine(url)) as s:
        refs = {a.id: a.ref for a in s.exec(select(Action)).scalars()}  # type: ignore[call-overload]
        pq = select(ProgressUpdate).where(col(ProgressUpdate.upload_id) == upload_id).order_by(col(ProgressUpdate.id))
        eq = select(Evidence).where(col(Evidence.upload_id) == upload_id).order_by(col(Evidence.id))
        progress = [
            {
                "ref": refs[u.action_id],
                "as_of": u.as_of.isoformat(),
                "status": u.status,
                "percent": u.percent_complete,
                "note": u.note,
            }
            for u in s.exec(pq).scalars()  # type: ignore[call-overload]
        ]
        evidence = [
            {
                "ref": refs[e.action_id],
                "date": e.date.isoformat(),
                "description": e.description,
                "kind": e.kind,
                "link": e.link,
                "pillars": "".join(e.pillars),
            }
            for e in s.exec(eq).scalars()  # type: ignore[call-overload]
        ]
    return progress, evidence


@pytest.mark.parametrize("spec", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_a_log_as_people_keep_it_loads_through_the_command_line(db: str, spec: dict[str, Any]) -> None:
    path = HERE / spec["file"]
    who = ["--as", spec["lead"]] if spec["lead"] else []
    dry = run(db, *who, "load", path, "--dry-run")
    assert dry.returncode == 0, dry.stderr + dry.stdout
    # The dry run shows each table's mapping and the rows it would write, and writes nothing.
    assert "header row" in dry.stdout and "→ Ref" in dry.stdout and "→ Date" in dry.stdout
    n_rows = len(spec["progress"]) + len(spec["evidence"])
    assert len(re.findall(r"^  (?:progress|evidence) ", dry.stdout, re.M)) == n_rows, dry.stdout
    p = run(db, *who, "load", path, "--kind", "updates")
    assert p.returncode == 0, p.stderr + p.stdout
    progress, evidence = stored(db, loaded_upload(p.stdout))
    assert progress == spec["progress"]
    assert evidence == spec["evidence"]
    warnings = [line for line in p.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == len(spec["warnings"]), p.stdout
    # The same bytes again change nothing.
    again = run(db, *who, "load", path)
    assert again.returncode == 0 and "already loaded" in again.stdout, again.stdout
    assert stored(db, loaded_upload(p.stdout)) == (progress, evidence)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spec", [e for e in EXPECTED if e["file"].startswith(("progress_log", "evidence_log"))])
def test_a_log_loads_on_both_databases(demo_copies: DemoCopies, backend: str, spec: dict[str, Any]) -> None:
    url = backend_url(demo_copies, backend)
    with Session(open_engine(url)) as s:
        out = load_file(HERE / spec["file"], session=s, actor=SYSTEM, uploaded_by="admin@demo.ac.uk")
    assert out.outcome == "loaded", out.result and out.result.issue_lines()
    assert stored(url, out.upload_id or 0) == (spec["progress"], spec["evidence"])


def xlsx(rows: list[list[Any]], *, sheet: str = "Log", links: dict[str, str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for ref, url in (links or {}).items():
        ws[ref].hyperlink = url
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# A log whose date column says nothing the reader knows ('Reported'): no table is found until it is mapped.
ODD = [["Careers log"], ["Item", "Reported", "Colour", "Narrative"], ["D2", "14/01/2020", "Amber", "Mentors short"]]


def test_a_log_the_reader_cannot_place_is_mapped_with_map(db: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    path.write_bytes(xlsx(ODD))
    p = run(db, "--as", CAREERS, "load", path, "--kind", "updates")
    assert p.returncode == 2, p.stdout
    assert "no progress, evidence or measures table found" in p.stderr
    assert "'Item', 'Reported', 'Colour', 'Narrative'" in p.stderr  # the headers it can map
    dry = run(db, "--as", CAREERS, "load", path, "--kind", "updates", "--map", "date=Reported", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert re.search(r"column B +'Reported' +→ Date", dry.stdout), dry.stdout
    assert re.search(r"progress +D2 +14 Jan 2020 +at risk", dry.stdout), dry.stdout
    p = run(db, "--as", CAREERS, "load", path, "--map", "date=Reported")
    assert p.returncode == 0, p.stderr
    assert stored(db, loaded_upload(p.stdout))[0] == [
        {"ref": "D2", "as_of": "2020-01-14", "status": "at risk", "percent": None, "note": "Mentors short"}
    ]
    bad = run(db, "load", path, "--map", "colour=Colour")
    assert bad.returncode == 2 and "'colour' is not a field" in bad.stderr
    helped = run(db, "load", "--help")
    assert helped.returncode == 0, helped.stderr
    assert all(f"{field} (" in " ".join(helped.stdout.split()) for field in UPDATE_FIELD_HELP if field != "ignore")


def test_a_leads_file_that_is_plainly_a_plan_is_refused_with_the_reason(db: str) -> None:
    from tracker.auth import PermissionDenied
    from tracker.demo import PLAN_FILE

    with Session(open_engine(db)) as s:
        lead = actor_for(session=s, email=CAREERS)
        assert lead is not None
        with pytest.raises(PermissionDenied, match="not load action plans"):
            load_file(PLAN_FILE, session=s, actor=lead)
        # A log the reader cannot place is the lead's update all the same: the mapping step opens for it.
        out = load_file(xlsx(ODD), session=s, actor=lead, filename="odd.xlsx", kind="updates", dry_run=True)
        assert out.kind == "updates" and out.result is not None
        assert [i.code for i in out.result.errors] == ["unrecognised_layout"]


def test_a_lead_may_only_touch_their_own_actions_row_by_row_and_nothing_is_written(db: str) -> None:
    data = xlsx(
        [
            ["Action ref", "Date", "Evidence of impact", "Type"],
            ["D2", "3 March 2020", "Pathways workshop", "Workshop"],
            ["V2", "4 March 2020", "Awards evening", "Award"],
            ["D1", "5 March 2020", "CoP meeting", "Meeting"],
        ]
    )
    with Session(open_engine(db)) as s:
        lead = actor_for(session=s, email=CAREERS)
        assert lead is not None
        before = s.exec(select(Evidence)).scalars().all()  # type: ignore[call-overload]
        out = load_file(data, session=s, actor=lead, filename="mine.xlsx")
        assert out.outcome == "rejected"
        assert out.result is not None
        assert [(i.code, i.row, i.column, i.value) for i in out.result.errors] == [
            ("not_your_action", 3, "Action ref", "V2"),
            ("not_your_action", 4, "Action ref", "D1"),
        ]
        assert s.exec(select(Evidence)).scalars().all() == before  # type: ignore[call-overload]
        # The attempt is recorded with its bytes.
        up = s.exec(select(Upload).where(col(Upload.id) == out.upload_id)).scalars().one()  # type: ignore[call-overload]
        assert up.outcome == "rejected" and up.filename == "mine.xlsx"
        assert up.content == data


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_confirmed_mapping_is_remembered_for_that_leads_next_log(demo_copies: DemoCopies, backend: str) -> None:
    url = backend_url(demo_copies, backend)
    march = xlsx(ODD)
    april = xlsx([*ODD[:2], ["D2", "14/04/2020", "Green", "Mentors found"]])
    with Session(open_engine(url)) as s:
        lead = actor_for(session=s, email=CAREERS)
        events = actor_for(session=s, email=EVENTS)
        assert lead is not None and events is not None
        table = {"Log!2": {"ref": "Item", "date": "Reported", "status": "Colour", "note": "Narrative"}}
        out = load_file(march, session=s, actor=lead, filename="march.xlsx", updates=UpdateOptions(tables=table))
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        kept = s.exec(select(ColumnMapping).where(col(ColumnMapping.kind) == "updates")).scalars().all()  # type: ignore[call-overload]
        assert [(m.owner, m.mapping) for m in kept] == [(CAREERS, table["Log!2"])]
        # The lead's next log with the same headers is read with it, and says so.
        out = load_file(april, session=s, actor=lead, filename="april.xlsx")
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        assert out.result is not None
        (t,) = out.result.meta["tables"]
        assert t.mapped_by.startswith(CAREERS) and t.columns() == table["Log!2"]
        assert any("columns mapped as" in n.message for n in out.result.notes)
        # Another lead's log with the same headers is not read with it: theirs is not found until they map it.
        theirs = xlsx([*ODD[:2], ["V2", "14/04/2020", "Green", "Venue booked"]])
        out = load_file(theirs, session=s, actor=events, filename="v2.xlsx", kind="updates", dry_run=True)
        assert out.outcome == "rejected"
        assert out.result is not None and [i.code for i in out.result.errors] == ["unrecognised_layout"]


def test_links_in_cells_are_their_addresses_and_a_script_link_is_refused(db: str) -> None:
    rows = [
        ["Ref", "Date", "Evidence", "Where it is kept"],
        ["D1", "12/02/2020", "Network meeting minutes", "Minutes"],
        ["D1", "13/02/2020", "Poster", "Poster"],
    ]
    good = xlsx(rows, links={"D2": "https://demo.sharepoint.com/minutes.docx"})
    bad = xlsx(rows, links={"D2": "https://demo.sharepoint.com/minutes.docx", "D3": "javascript:alert(1)"})
    with Session(open_engine(db)) as s:
        out = load_file(good, session=s, filename="links.xlsx", dry_run=True)
        assert out.outcome == "ready", out.result and out.result.issue_lines()
        assert out.result is not None
        assert [(e.link) for e in out.result.rows] == ["https://demo.sharepoint.com/minutes.docx", "Poster"]
        out = load_file(bad, session=s, filename="links.xlsx", dry_run=True)
        assert out.result is not None
        assert [(i.code, i.row) for i in out.result.errors] == [("bad_link", 3)]


def test_a_lead_with_one_action_may_keep_a_log_with_no_ref_column(db: str) -> None:
    data = xlsx(
        [
            ["My apprenticeship log"],
            ["Date", "RAG", "Comment", "Evidence of impact"],
            ["14/01/2020", "Green", "Second cohort recruited", "Six apprentices started in January"],
            ["14/02/2020", "Amber", "Levy funds slow", None],
        ]
    )
    with Session(open_engine(db)) as s:
        lead = actor_for(session=s, email="apprentices.lead@demo.ac.uk")
        admin = actor_for(session=s, email="admin@demo.ac.uk")
        assert lead is not None and admin is not None
        out = load_file(data, session=s, actor=lead, filename="log.xlsx", dry_run=True)
        assert out.outcome == "ready", out.result and out.result.issue_lines()
        assert out.result is not None
        assert [(type(r).__name__, r.ref) for r in out.result.rows] == [
            ("ProgressUpdateCreate", "D3"),
            ("EvidenceCreate", "D3"),
            ("ProgressUpdateCreate", "D3"),
        ]
        assert any("every row read as D3" in n.message for n in out.result.notes)
        # Without one action to read it as, the same file is no update table.
        out = load_file(data, session=s, actor=admin, filename="log.xlsx", kind="updates", dry_run=True)
        assert out.result is not None and [i.code for i in out.result.errors] == ["unrecognised_layout"]


def ods(rows: list[list[str | tuple[str, str]]]) -> bytes:
    """A minimal OpenDocument spreadsheet, one sheet 'Log'; a (text, address) cell is a hyperlink, as LibreOffice
    writes one (text:a inside the cell's paragraph)."""
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    def cell(c: str | tuple[str, str]) -> str:
        if isinstance(c, tuple):
            body = f"<text:a xlink:href={quoteattr(c[1])} xlink:type='simple'>{escape(c[0])}</text:a>"
            c = c[0]
        else:
            body = escape(c)
        return f"<table:table-cell office:value-type='string'><text:p>{body}</text:p></table:table-cell>"

    table = "".join(f"<table:table-row>{''.join(cell(c) for c in row)}</table:table-row>" for row in rows)
    content = (
        "<?xml version='1.0' encoding='UTF-8'?><office:document-content "
        "xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0' "
        "xmlns:table='urn:oasis:names:tc:opendocument:xmlns:table:1.0' "
        "xmlns:text='urn:oasis:names:tc:opendocument:xmlns:text:1.0' xmlns:xlink='http://www.w3.org/1999/xlink' "
        "office:version='1.2'><office:body><office:spreadsheet>"
        f"<table:table table:name='Log'>{table}</table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        "<?xml version='1.0' encoding='UTF-8'?><manifest:manifest "
        "xmlns:manifest='urn:oasis:names:tc:opendocument:xmlns:manifest:1.0' manifest:version='1.2'>"
        "<manifest:file-entry manifest:full-path='/' "
        "manifest:media-type='application/vnd.oasis.opendocument.spreadsheet'/>"
        "<manifest:file-entry manifest:full-path='content.xml' manifest:media-type='text/xml'/></manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_an_ods_log_keeps_its_hyperlinks(db: str) -> None:
    data = ods(
        [
            ["Evidence log (LibreOffice)"],
            ["Action ref", "Date", "Evidence of impact", "Type", "Link"],
            ["V2", "05/03/2020", "Awards evening for 60 technicians", "Event", ("Photos", "https://demo.ac.uk/p")],
            ["V2", "06/03/2020", "Awards press release", "Report", "Intranet news"],
        ]
    )
    with Session(open_engine(db)) as s:
        out = load_file(data, session=s, filename="log.ods", dry_run=True)
    assert out.outcome == "ready", out.result and out.result.issue_lines()
    assert out.result is not None
    assert [(e.kind, e.link) for e in out.result.rows] == [
        ("event", "https://demo.ac.uk/p"),
        ("document", "Intranet news"),
    ]


@pytest.mark.parametrize("lead", ["apprentices.lead@demo.ac.uk", CAREERS])
def test_a_one_action_leads_filled_template_reads_only_its_tables(db: str, lead: str) -> None:
    """The template's README sheet lists its columns ('Date | When the evidence arose…'): never a log, even for a
    lead whose log may have no ref column."""
    from tracker.templates import updates_template

    with Session(open_engine(db)) as s:
        actor = actor_for(session=s, email=lead)
        assert actor is not None
        (ref,) = sorted(actor.owns)
        wb = openpyxl.load_workbook(
            io.BytesIO(updates_template(refs=["U1", "D1", "D2", "D3", "V1", "V2"], prefill=[ref]))
        )
        wb["Progress"]["B2"], wb["Progress"]["C2"], wb["Progress"]["D2"] = "10/10/2020", "On track", 85
        buf = io.BytesIO()
        wb.save(buf)
        out = load_file(buf.getvalue(), session=s, actor=actor, filename="t.xlsx", dry_run=True)
    assert out.outcome == "ready", out.result and out.result.issue_lines()
    assert out.result is not None
    assert [t.sheet for t in out.result.meta["tables"]] == ["Progress", "Evidence", "Measures"]
    assert [(r.ref, r.status, r.percent_complete) for r in out.result.rows] == [(ref, "on track", 85)]
