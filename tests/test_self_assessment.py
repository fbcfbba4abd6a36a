"""The self-assessment draft (issue 16, point 3): `tracker.selfassessment.build_self_assessment`, read back with
python-docx; `python -m tracker self-assessment`; the Board report page's button (AppTest).

The demo's draft has the form's sections as Word headings, Table 1 with the Workforce page's rounded figures,
every action's ref, and a next action plan that loads back as a plan with the refs carried forward.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.apputil import ROOT, open_app
from tracker.auth import SYSTEM, Actor, PermissionDenied
from tracker.cli import main
from tracker.db import open_engine
from tracker.disclosure import shown
from tracker.group import list_group
from tracker.models import Action, Plan
from tracker.profile import set_text
from tracker.queries import list_actions
from tracker.selfassessment import (
    PLAN_COLUMNS,
    REFLECTION_COLUMNS,
    SelfAssessment,
    build_self_assessment,
    clean,
    next_window,
)
from tracker.summary import plan_info
from tracker.views.group import representation
from tracker.views.workforce import workforce_view

AS_OF = date(2020, 10, 31)  # the demo plan's last day
BOARD = Actor("board@demo.ac.uk", "board")
SECTIONS_2 = [
    "Profile of the organisation",
    "How the organisation defines its technicians",
    "How many technicians there are",
    "Initiatives and progress since the last submission",
    "Reflection on the previous action plan",
    "36-month action plan",
    "The technician voice",
    "Publication and sign-off",
]


def docx_of(sa: SelfAssessment) -> Any:
    return Document(io.BytesIO(sa.docx))


def headings(doc: Any, level: int = 1) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def table_after(doc: Any, caption_start: str) -> list[list[str]]:
    """The rows (cell texts) of the table that follows the caption starting with `caption_start`."""
    body = doc.element.body
    found = False
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p" and "".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")).startswith(caption_start):
            found = True
        elif tag == "tbl" and found:
            table = next(t for t in doc.tables if t._tbl is el)
            return [[c.text for c in r.cells] for r in table.rows]
    raise AssertionError(f"no table after a caption starting {caption_start!r}")


def text_of(doc: Any) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for r in t.rows for c in r.cells]
    return "\n".join(parts)


@pytest.fixture
def demo(demo_engine: Engine) -> Engine:
    """The demo loaded into a fresh database on each backend (a copy of one loaded once)."""
    return demo_engine


@pytest.fixture
def demo_copy(db: str) -> Engine:
    """A copy of the demo in SQLite (quicker: for what does not depend on the backend)."""
    return open_engine(db)


# --- the demo's draft ------------------------------------------------------------------------------------------


def test_the_demo_draft_reads_back_with_its_sections_tables_and_refs(demo: Engine) -> None:
    with Session(demo) as s:
        sa = build_self_assessment(session=s, actor=BOARD, as_of=AS_OF)
        page = workforce_view(session=s, as_of=AS_OF, rounded=True)
        actions = list_actions(session=s, as_of=AS_OF)
    doc = docx_of(sa)
    # The form's sections as real Word headings, in order; the title block first.
    assert headings(doc) == sa.sections == SECTIONS_2
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == "Technician Commitment"
    assert "Organisation: University College London" in [p.text for p in doc.paragraphs]
    assert f"Date: {AS_OF.day} Oct 2020" in [p.text for p in doc.paragraphs]
    assert headings(doc, 2) == ["Visibility", "Recognition", "Career development", "Sustainability"]
    # Table 1: exactly the Workforce page's rounded rows (each faculty, then the total), with a header row.
    table1 = table_after(doc, "Table 1 – Technical staff FTE")
    assert table1[0] == ["Faculty", "FTE", "Headcount"]
    assert table1[1:] == [[r.faculty, shown(r.fte), shown(r.headcount)] for r in page.table1]
    assert sa.tables[0] == f"Table 1 – Technical staff FTE University College London total {shown(page.fte)}"
    table2 = table_after(doc, "Table 2 – Gender")
    assert table2[0][0] == "Faculty" and table2[0][-2:] == ["% female", "% male"]
    assert [r[0] for r in table2[1:]] == [r.name for r in page.gender_by_faculty]
    assert [r[-3] for r in table2[1:]] == [shown(r.headcount) for r in page.gender_by_faculty]
    # Every action's ref in the reflection table, with its status and whether it carries forward.
    reflection = table_after(doc, "Reflection on the previous action plan:")
    assert tuple(reflection[0]) == REFLECTION_COLUMNS
    assert [r[0] for r in reflection[1:]] == [a.ref for a in actions] == ["U1", "D1", "D2", "D3", "V1", "V2"]
    by_ref = {r[0]: r for r in reflection[1:]}
    assert by_ref["U1"][2] == "Complete (100%)" and by_ref["U1"][5] == "No: complete"
    assert by_ref["D2"][2] == "Delayed (75%)" and by_ref["D2"][5].startswith("Yes")
    assert "1 of 1 promised" in by_ref["D2"][4] and "Career Pathway Advisory Groups" in by_ref["D2"][4]
    # The next plan: the seed's columns (and a Ref), pre-filled with what carries forward: not complete, not withdrawn.
    plan = table_after(doc, "36-month action plan, November 2020 – October 2023")
    assert tuple(plan[0]) == PLAN_COLUMNS
    assert [r[0] for r in plan[1:]] == sa.carried_forward == ["D2", "D3", "V2"]
    d2 = plan[1]
    assert d2[1] == "Develop" and d2[6:] == ["", "X", "X", "X"]
    assert d2[4].endswith("(Evidence: Career Pathway Advisory Groups)")
    # Per pillar: complete and in-progress actions with their evidence and measures.
    text = text_of(doc)
    assert "Revised UCL Research Strategy names the Technician Commitment." in text
    assert "Measure: Apprentices started:" in text


def test_the_header_rows_repeat_and_the_plan_tables_are_landscape(demo_copy: Engine) -> None:
    with Session(demo_copy) as s:
        doc = docx_of(build_self_assessment(session=s, actor=SYSTEM, as_of=AS_OF))
    for t in doc.tables:
        assert t.rows[0]._tr.trPr is not None and t.rows[0]._tr.trPr.xpath("./w:tblHeader"), "header row repeats"
        assert t.style.name == "Table Grid"
    orientations = [sec.page_width > sec.page_height for sec in doc.sections]
    assert orientations == [False, True, False]


def test_the_working_group_is_the_technician_voice(demo_copy: Engine) -> None:
    with Session(demo_copy) as s:
        members = list_group(session=s, as_of=AS_OF)
        rep = representation(session=s, as_of=AS_OF, rounded=True)
        sa = build_self_assessment(session=s, actor=BOARD, as_of=AS_OF)
    doc = docx_of(sa)
    rows = table_after(doc, "Technician Commitment Working Group")
    assert rows[0] == ["Name", "Title", "Faculty", "Technician"]
    assert len(rows) - 1 == len(members) == 10  # the seed's ten
    assert [r[:3] for r in rows[1:]] == [[m.name, m.job_title, m.faculty] for m in members]
    assert rows[1][:3] == ["John Bowles", "Head of Laboratories", "MAPS"]
    # The representation figures: the Workforce page's table, FTE HESA-rounded.
    figures = table_after(doc, "Representation:")
    assert figures[0] == list(rep.table_rows()[0])
    assert [r[0] for r in figures[1:]] == [r.faculty for r in rep.rows]
    assert [r[1] for r in figures[1:]] == [shown(r.fte) if r.fte is not None else "" for r in rep.rows]
    assert all(sentence in text_of(doc) for sentence in rep.sentences())
    assert not any("working-group member" in n for n in sa.notes)


def test_the_stored_texts_fill_their_sections(demo_copy: Engine) -> None:
    with Session(demo_copy) as s:
        set_text(session=s, actor=SYSTEM, key="institutional_lead", text="Fiona Ryland, Executive Director")
        set_text(
            session=s, actor=SYSTEM, key="technician_definition", text="Technical Staff on the HR system.\n\nAnd more."
        )
        s.commit()
        sa = build_self_assessment(session=s, actor=BOARD, as_of=AS_OF)
    paragraphs = [p.text for p in docx_of(sa).paragraphs]
    assert "Name of Institutional Lead: Fiona Ryland, Executive Director" in paragraphs
    assert "Signed: Fiona Ryland, Executive Director (Technician Commitment Nominated Institutional Lead)" in paragraphs
    assert "Technical Staff on the HR system." in paragraphs and "And more." in paragraphs
    assert any("organisation profile" in n for n in sa.notes)
    assert not any("technician definition" in n or "institutional lead" in n for n in sa.notes)


# --- stages ----------------------------------------------------------------------------------------------------


def test_stage_1_is_the_interim_self_assessment_with_a_24_month_plan(demo_copy: Engine) -> None:
    with Session(demo_copy) as s:
        one = build_self_assessment(session=s, actor=BOARD, as_of=date(2019, 10, 31), stage=1)
        three = build_self_assessment(session=s, actor=BOARD, as_of=AS_OF, stage=3)
    assert one.sections == [
        "Profile of the organisation",
        "How the organisation defines its technicians",
        "How many technicians there are",
        "Initiatives in place before becoming a signatory",
        "Initiatives since becoming a signatory",
        "Progress on the current action plan",
        "24-month action plan",
        "The technician voice",
        "Publication and sign-off",
    ]
    doc = docx_of(one)
    assert "Interim self-assessment and 24-month action plan (stage 1)" in [p.text for p in doc.paragraphs]
    # What was in place before signing: the evidence dated before the plan began (the HEaTED event of Oct 2018).
    assert "HEaTED London and South East network event" in text_of(doc)
    assert table_after(doc, "24-month action plan, November 2019 – October 2021")[0] == list(PLAN_COLUMNS)
    assert one.filename == "self-assessment-draft_stage-1_2019-10-31.docx"
    # Stage 3, a renewal: the same sections as stage 2 under its own title.
    assert three.sections == SECTIONS_2
    assert any(p.text.startswith("Renewal self-assessment") for p in docx_of(three).paragraphs)


def test_a_stage_other_than_1_2_3_is_refused(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s, pytest.raises(ValueError, match="stage must be 1, 2 or 3"):
        build_self_assessment(session=s, actor=BOARD, stage=4)


def test_the_next_plan_starts_after_the_current_one() -> None:
    with Session(open_engine("sqlite://")) as s:
        assert plan_info(session=s) is None
    assert next_window(2, None, date(2026, 12, 7)) == (date(2027, 1, 1), date(2029, 12, 31))


# --- permissions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "lead"])
def test_viewers_and_leads_are_refused(sqlite_engine: Engine, role: str) -> None:
    with Session(sqlite_engine) as s, pytest.raises(PermissionDenied, match="build board packs"):
        build_self_assessment(session=s, actor=Actor(f"{role}@uni.ac.uk", role))


# --- an empty database, hostile text ---------------------------------------------------------------------------


def test_a_draft_for_an_empty_database(engine: Engine) -> None:
    with Session(engine) as s:
        sa = build_self_assessment(session=s, actor=SYSTEM, as_of=date(2024, 5, 1))
    doc = docx_of(sa)
    assert headings(doc) == SECTIONS_2
    assert sa.carried_forward == []
    assert sa.tables == ["36-month action plan, June 2024 – May 2027"]  # no workforce, no actions: the plan to fill
    assert [[c.text for c in r.cells] for r in doc.tables[0].rows] == [list(PLAN_COLUMNS)]
    text = text_of(doc)
    assert "No HR workforce extract is loaded yet." in text and "No action plan is loaded yet." in text
    assert "[To write: the organisation's name]" in text
    assert any("No HR workforce extract" in n for n in sa.notes)


def test_text_people_supplied_is_written_literally_less_what_xml_cannot_hold(demo: Engine) -> None:
    with Session(demo) as s:
        d2 = s.exec(select(Action).where(Action.ref == "D2")).scalars().one()  # type: ignore[call-overload]
        d2.activity = "Career paths\x0b for <b>R&D</b> staff\x1f & ‘technicians’ 👩‍🔬\r\nSecond line"
        d2.owners = ["Head of <HR> & \x07OD"]
        d2.theme = "Develop\x0c"
        s.add(d2)
        s.commit()
        sa = build_self_assessment(session=s, actor=BOARD, as_of=AS_OF)
    plan = table_after(docx_of(sa), "36-month action plan")
    d2_row = next(r for r in plan if r[0] == "D2")
    assert d2_row[1] == "Develop"
    assert d2_row[3] == "Career paths for <b>R&D</b> staff & ‘technicians’ 👩‍🔬\nSecond line"
    assert d2_row[5] == "Head of <HR> & OD"
    assert clean("a\ud800b\ufffe\x00c\x0bd") == "abcd"  # NUL: PostgreSQL cannot hold it, Word neither


# --- the round trip ---------------------------------------------------------------------------------------------


def test_the_next_plan_loads_back_as_a_plan_with_the_carried_forward_refs(
    demo_copy: Engine, engine: Engine, tmp_path: Path
) -> None:
    from tracker.load import load_file

    with Session(demo_copy) as s:
        sa = build_self_assessment(session=s, actor=SYSTEM, as_of=AS_OF)
    path = tmp_path / sa.filename
    path.write_bytes(sa.docx)
    with Session(engine) as s:
        outcome = load_file(path, session=s, kind="plan")
        assert outcome.outcome == "loaded", outcome.message
        plan = s.exec(select(Plan)).scalars().one()  # type: ignore[call-overload]
        assert (plan.start_date, plan.months) == (date(2020, 11, 1), 36)
        loaded = list_actions(session=s)
    assert [a.ref for a in loaded] == sa.carried_forward == ["D2", "D3", "V2"]
    by_ref = {a.ref: a for a in loaded}
    assert by_ref["D2"].pillars == ["R", "C", "S"] and by_ref["V2"].pillars == ["V", "R"]
    assert by_ref["D2"].expected_evidence == ["Career Pathway Advisory Groups"]
    assert by_ref["D3"].owners == ["OD", "Heads of HR", "Technician Commitment Working Group"]


# --- the command line -------------------------------------------------------------------------------------------


def test_cli_writes_the_draft(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "draft.docx"
    assert main(["--db", db, "self-assessment", "--out", str(out), "--as-of", "2020-10-31", "--stage", "1"]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}: stage 1 self-assessment draft as of 2020-10-31" in said
    assert "carried forward: D2, D3, V2" in said
    doc = Document(str(out))
    assert "24-month action plan" in headings(doc)


def test_cli_refuses_a_missing_folder_a_bad_stage_and_a_viewer(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "draft.docx"
    assert main(["--db", db, "self-assessment", "--out", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()
    with pytest.raises(SystemExit) as bad:
        main(["--db", db, "self-assessment", "--out", str(tmp_path / "x.docx"), "--stage", "4"])
    assert bad.value.code == 2
    out = tmp_path / "viewer.docx"
    assert main(["--db", db, "--as", "viewer@demo.ac.uk", "self-assessment", "--out", str(out)]) == 2
    assert "refused: viewer@demo.ac.uk is a viewer" in capsys.readouterr().err
    assert not out.exists()


# --- the page ---------------------------------------------------------------------------------------------------


PAGE = "pages/board_report.py"


@pytest.mark.usefixtures("fresh_streamlit_caches")
@pytest.mark.parametrize(("user", "role"), [("board@demo.ac.uk", "board"), ("admin@demo.ac.uk", "admin")])
def test_the_board_report_page_offers_the_draft(monkeypatch: pytest.MonkeyPatch, db: str, user: str, role: str) -> None:
    at = open_app(monkeypatch, db, as_user=user, role=role, page=PAGE)
    assert "Self-assessment draft" in [h.value for h in at.subheader]
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith("dl_self_assessment")]
    assert len(buttons) == 1
    assert buttons[0].proto.label == "Self-assessment draft (Word)"
    assert at.selectbox(key="sa_stage").value == 2
    at.selectbox(key="sa_stage").set_value(1).run()
    assert not at.exception and not at.error
    assert len([b for b in at.get("download_button") if b.proto.id.endswith("dl_self_assessment")]) == 1


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_a_viewer_sent_to_the_page_gets_no_draft(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    # The page is not in a viewer's navigation; run it directly, as a crafted request would.
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACKER_DATABASE_URL", db)
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.session_state["signed_in_as"] = "viewer@demo.ac.uk"
    at.run()
    assert not at.exception
    assert "but not build board packs" in at.error[0].value
    assert not at.get("download_button") and not at.selectbox
