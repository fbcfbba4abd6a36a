"""The working group (issue 16, point 1): the loader over the layouts people use, detection, loading and replacing
the list (members left out leave on the load date), the command line, the demo's ten members, the institution's
texts, and who may change them; on SQLite and PostgreSQL where a database is involved."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tracker.audit import list_events
from tracker.auth import SYSTEM, Actor, PermissionDenied
from tracker.db import open_engine
from tracker.demo import GROUP_FILE, load_demo
from tracker.group import GroupError, MemberEdit, list_group, member_edits, save_group
from tracker.ingest.group import load_group
from tracker.ingest.reader import read_workbook
from tracker.load import detect_kind, load_file
from tracker.models import ProfileText, Upload, WorkingGroupMember
from tracker.profile import ProfileTextError, get_text, set_text

ROOT = Path(__file__).resolve().parent.parent
SEED = Path("/work/shared/seeds/003_985865300ef51abd.txt")
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
ADMIN = Actor("admin@uni.ac.uk", "admin")
LEAD = Actor("lead@uni.ac.uk", "lead", frozenset({"D1"}))
LEAD_IN = (
    "This interim self-assessment and 24-month action plan has been produced in consultation with the following "
    "members of the Technician Commitment Working Group:"
)
SEED_ROWS = [
    ["John Bowles", "Head of Laboratories", "MAPS"],
    ["Dr Dimitra Stamogiannou", "Departmental Administrator", "MAPS"],
    ["Dr Roger Woodliffe", "Computer Services Manager", "MAPS"],
    ["Dr Steve Bunting", "Institute Manager", "Brain Sciences"],
    ["Dr Jacques Gianino", "Manager", "Brian Sciences"],
    ["Peter Kelly", "Departmental Superintendent", "Engineering Science"],
    ["Ian Seaton", "Technical Resources Manager", "Engineering Science"],
    ["Isabel Goncalves", "Departmental Laboratory Manager", "Life Sciences"],
    ["Dr Lisa Sanderson", "Teaching Laboratory Manager", "Life Sciences"],
    ["Prupti Malde", "Unit Manager Cruciform Teaching Facilities", "Life Sciences"],
]


def _seed_text() -> bytes:
    """The seed's lines 111-129 as published (tab-separated), lead-in sentence and the notes under it included."""
    if SEED.exists():
        lines = SEED.read_text(encoding="utf-8").splitlines()[110:129]
    else:  # the seed lives beside the project; the same table typed out
        lines = [LEAD_IN, "", "\t".join(["Name", "Title", "Faculty"]), *("\t".join(r) for r in SEED_ROWS)]
    return "\n".join(lines).encode()


def _read(data: bytes, name: str) -> Any:
    return load_group(read_workbook(data, filename=name), today=date(2020, 1, 15))


# --- the loader over the layouts people use ------------------------------------------------------------


def test_the_seed_table_as_published_with_its_lead_in_and_notes_under_it() -> None:
    data = _seed_text().replace(b"\t", b",")
    r = _read(data, "seed.csv")
    assert r.valid, r.issue_lines()
    assert [[m.name, m.job_title, m.faculty] for m in r.rows] == SEED_ROWS
    assert all(m.technician and m.joined is None and m.left is None for m in r.rows)
    assert r.meta["header_row"] == 5 and r.meta["load_date"] == date(2020, 1, 15)
    # The sentences under the table are passed over, each with a warning naming its row.
    if SEED.exists():
        assert [(i.code, i.row, i.severity) for i in r.issues] == [
            ("not_a_member", 17, "warning"),
            ("not_a_member", 19, "warning"),
        ]
    assert any("every member is counted as a technician" in n.message for n in r.notes)


def test_seed_layout_in_xlsx_with_a_title_row_blank_rows_and_the_header_repeated(make_xlsx: MakeXlsx) -> None:
    data = make_xlsx(
        {
            "Working group": [
                ["Technician Commitment Working Group, October 2018"],
                [LEAD_IN],
                [],
                ["Name", "Title", "Faculty"],
                *SEED_ROWS[:5],
                [],
                ["Name", "Title", "Faculty"],
                *SEED_ROWS[5:],
            ]
        }
    )
    r = _read(data, "group.xlsx")
    assert r.valid and not r.issues, r.issue_lines()
    assert [m.name for m in r.rows] == [row[0] for row in SEED_ROWS]


@pytest.mark.parametrize(
    ("title", "faculty"),
    [("Job title", "School"), ("Role", "Department"), ("Position", "Division"), ("Post", "Area")],
)
def test_title_and_faculty_headers_as_institutions_write_them(make_xlsx: MakeXlsx, title: str, faculty: str) -> None:
    data = make_xlsx({"Members": [["Member name", title, faculty], ["Ann Jones", "Lab Manager", "Chemistry"]]})
    r = _read(data, "g.xlsx")
    assert r.valid, r.issue_lines()
    assert [(m.name, m.job_title, m.faculty) for m in r.rows] == [("Ann Jones", "Lab Manager", "Chemistry")]
    assert detect_kind(read_workbook(data, filename="g.xlsx")) == "group"


def test_a_csv_with_technician_joined_and_left_columns() -> None:
    data = (
        "\ufeffName,Role,School,Technician?,Joined,Left\r\n"
        "Ann Jones,Lab Manager,Chemistry,Y,01/10/2018,\r\n"
        "Bob Smith,HR Partner,Central,N,October 2018,31/07/2020\r\n"
        "Cat Lee,Technician,Physics,yes,,\r\n"
        "Dan Roe,Workshop Manager,Physics,,,\r\n"
    ).encode()
    r = _read(data, "group.csv")
    assert r.valid, r.issue_lines()
    assert [(m.name, m.technician, m.joined, m.left) for m in r.rows] == [
        ("Ann Jones", True, date(2018, 10, 1), None),
        ("Bob Smith", False, date(2018, 10, 1), date(2020, 7, 31)),
        ("Cat Lee", True, None, None),
        ("Dan Roe", True, None, None),  # blank: counted as a technician
    ]
    assert not r.notes


def test_bad_rows_are_named_by_sheet_row_column_and_value_and_nothing_is_written(
    engine: Engine, make_xlsx: MakeXlsx
) -> None:
    data = make_xlsx(
        {
            "Group": [
                ["Working group"],
                ["Name", "Title", "Faculty", "Technician", "Joined", "Left"],
                ["Ann Jones", "Manager", "Laws", "perhaps", None, None],
                [None, "Manager", "Laws", "Y", None, None],
                ["Bob Smith", "Manager", "Laws", "Y", "someday", None],
                ["Cat Lee", "Manager", "Laws", "Y", date(2020, 1, 1), date(2019, 1, 1)],
                ["Dr Ann Jones", "Manager", "Laws", "Y", None, None],
                ["Dan Roe", "x" * 201, "Laws", "Y", None, None],
            ]
        }
    )
    r = _read(data, "bad.xlsx")
    assert not r.valid
    assert [(i.sheet, i.row, i.column, i.value, i.code) for i in r.errors] == [
        ("Group", 3, "Technician", "perhaps", "bad_technician"),
        ("Group", 4, "Name", None, "required"),
        ("Group", 5, "Joined", "someday", "bad_date"),
        ("Group", 6, "Left", "2019-01-01", "left_before_joined"),
        ("Group", 7, "Name", "Dr Ann Jones", "duplicate"),
        ("Group", 8, "Title", "x" * 200, "too_long"),
    ]
    assert "rows 3 and 7" in r.errors[4].message
    with Session(engine) as s:
        out = load_file(data, filename="bad.xlsx", session=s, kind="group")
        assert out.outcome == "rejected"
        assert list_group(session=s, include_left=True) == []
        assert s.exec(select(Upload.outcome)).all() == ["rejected"]


def test_a_sheet_that_is_not_a_group_list_says_what_it_needs(make_xlsx: MakeXlsx) -> None:
    r = _read(make_xlsx({"S": [["Who", "What"], ["a", "b"]]}), "x.xlsx")
    assert [i.code for i in r.errors] == ["unrecognised_layout"]
    assert "needs a Name column" in r.errors[0].message and "'Who', 'What'" in r.errors[0].message


# --- detection ------------------------------------------------------------------------------------------


def test_detection_of_the_seed_layout_and_the_demo_file() -> None:
    assert detect_kind(read_workbook(_seed_text().replace(b"\t", b","), filename="seed.csv")) == "group"
    assert detect_kind(read_workbook(GROUP_FILE)) == "group"


def test_no_plan_update_or_workforce_file_in_tests_data_is_detected_as_a_group() -> None:
    seen = 0
    for path in sorted((ROOT / "tests" / "data").rglob("*")):
        if path.suffix.lower() not in (".xlsx", ".csv", ".xls", ".ods", ".xlsb"):
            continue
        try:
            wb = read_workbook(path)
        except Exception:  # the bad corpus: unreadable on purpose
            continue
        seen += 1
        assert detect_kind(wb) != "group", path
    assert seen > 50


# --- loading replaces the list -------------------------------------------------------------------------


def _csv(*rows: str, header: str = "Name,Title,Faculty") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_loading_replaces_the_list_and_members_left_out_leave_on_the_load_date(engine: Engine) -> None:
    with Session(engine) as s:
        first = load_file(
            _csv("Ann Jones,Manager,Laws", "Bob Smith,Technician,Physics"),
            filename="g1.csv",
            session=s,
            today=date(2019, 1, 10),
        )
        assert (first.outcome, first.kind) == ("loaded", "group")  # detected
        assert first.counts == {"members_added": 2, "members_changed": 0, "members_left": 0, "unchanged": 0}
        second = load_file(
            _csv("Dr Ann Jones,Head of Labs,Laws", "Cat Lee,Technician,Chemistry"),
            filename="g2.csv",
            session=s,
            today=date(2020, 3, 1),
        )
        assert second.outcome == "loaded"
        assert second.counts == {"members_added": 1, "members_changed": 1, "members_left": 1, "unchanged": 0}
        assert sorted(c["change"] for c in second.changes) == [
            "group_member_added",
            "group_member_changed",
            "group_member_left",
        ]
        everyone = {m.name: m for m in list_group(session=s, include_left=True)}
        assert everyone["Bob Smith"].left == date(2020, 3, 1)  # kept, not deleted
        assert everyone["Dr Ann Jones"].job_title == "Head of Labs" and everyone["Dr Ann Jones"].joined is None
        assert everyone["Cat Lee"].joined == date(2020, 3, 1)  # new to a group that had members
        assert [m.name for m in list_group(session=s, as_of=date(2020, 6, 1))] == ["Dr Ann Jones", "Cat Lee"]
        assert [m.name for m in list_group(session=s, as_of=date(2019, 6, 1))] == ["Dr Ann Jones", "Bob Smith"]
        events = [(e.action, e.target) for e in list_events(session=s, actor=SYSTEM)]
        assert ("group_member_left", "Bob Smith") in events and ("load_group", "g2.csv") in events
        again = load_file(
            _csv("Dr Ann Jones,Head of Labs,Laws", "Cat Lee,Technician,Chemistry"),
            filename="g2.csv",
            session=s,
            today=date(2020, 3, 2),
        )
        assert again.outcome == "duplicate"


def test_a_lead_cannot_load_a_group_and_the_refusal_is_logged(engine: Engine) -> None:
    with Session(engine) as s:
        with pytest.raises(PermissionDenied, match="is a lead"):
            load_file(_csv("Ann Jones,Manager,Laws"), filename="g.csv", session=s, actor=LEAD, kind="group")
        with pytest.raises(PermissionDenied):
            load_file(_csv("Ann Jones,Manager,Laws"), filename="g.csv", session=s, actor=LEAD)  # detected
        assert list_group(session=s) == []
        assert [e.action for e in list_events(session=s, actor=SYSTEM)] == ["refused", "refused"]


# --- editing (the Admin page's calls) ------------------------------------------------------------------


def test_save_group_adds_changes_and_ends_memberships(engine: Engine) -> None:
    with Session(engine) as s:
        save_group(
            session=s,
            actor=ADMIN,
            members=[MemberEdit(None, "Ann Jones", "Manager", "Laws"), MemberEdit(None, "Bob Smith")],
            today=date(2020, 1, 1),
        )
        s.commit()
        held = list_group(session=s)
        ann = next(m for m in held if m.name == "Ann Jones")
        changes = save_group(
            session=s,
            actor=ADMIN,
            members=[MemberEdit(ann.id, "Ann Jones", "Manager", "Brain Sciences", technician=False)],
            today=date(2020, 2, 1),
        )
        s.commit()
        assert [(c.change, c.target) for c in changes] == [
            ("group_member_changed", "Ann Jones"),
            ("group_member_left", "Bob Smith"),
        ]
        assert [(m.name, m.faculty, m.technician) for m in list_group(session=s)] == [
            ("Ann Jones", "Brain Sciences", False)
        ]
        assert s.exec(select(WorkingGroupMember.updated_by)).all() == ["admin@uni.ac.uk"] * 2
        with pytest.raises(GroupError, match="listed twice"):
            save_group(session=s, actor=ADMIN, members=[MemberEdit(None, "Ann"), MemberEdit(None, "Dr Ann")])
        with pytest.raises(GroupError, match="needs a name"):
            save_group(session=s, actor=ADMIN, members=[MemberEdit(None, " ")])
        with pytest.raises(PermissionDenied):
            save_group(session=s, actor=LEAD, members=[])
        with pytest.raises(GroupError, match="not a date"):
            member_edits([{"name": "Ann", "joined": "soon"}])


# --- the institution's texts ---------------------------------------------------------------------------


def test_profile_texts_are_set_by_an_administrator_and_audited(engine: Engine) -> None:
    with Session(engine) as s:
        assert get_text(session=s, key="technician_definition") == ""
        assert set_text(session=s, actor=ADMIN, key="technician_definition", text=" Technical staff in grades 5-8 ")
        s.commit()
        assert get_text(session=s, key="technician_definition") == "Technical staff in grades 5-8"
        assert not set_text(session=s, actor=ADMIN, key="technician_definition", text="Technical staff in grades 5-8")
        row = s.get(ProfileText, "technician_definition")
        assert row is not None and row.updated_by == "admin@uni.ac.uk"
        events = [(e.action, e.target, e.after) for e in list_events(session=s, actor=SYSTEM)]
        assert events == [("profile_text_set", "technician_definition", "Technical staff in grades 5-8")]
        with pytest.raises(PermissionDenied):
            set_text(session=s, actor=LEAD, key="technician_definition", text="x")
        with pytest.raises(ProfileTextError, match="not one of the texts"):
            set_text(session=s, actor=ADMIN, key="motto", text="x")  # type: ignore[arg-type]
        with pytest.raises(ProfileTextError, match="over the"):
            set_text(session=s, actor=ADMIN, key="organisation_profile", text="x" * 20_001)


# --- the demo ------------------------------------------------------------------------------------------


def test_the_demo_holds_the_seeds_ten_members(engine: Engine) -> None:
    with Session(engine) as s:
        counts = load_demo(session=s, today=date(2020, 11, 1))
        assert counts["group"] == 1
        members = list_group(session=s, as_of=date(2018, 10, 31))
    assert [[m.name, m.job_title, m.faculty] for m in members] == SEED_ROWS


def test_the_demo_file_is_laid_out_as_the_seed(make_xlsx: MakeXlsx) -> None:
    r = load_group(read_workbook(GROUP_FILE))
    assert r.valid and not r.issues
    assert r.meta["sheet"] == "Working group" and r.meta["header_row"] == 3
    wb = read_workbook(GROUP_FILE)
    assert wb.sheets[0].rows[0][0] == LEAD_IN


# --- the command line ----------------------------------------------------------------------------------


def _cli(db: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_load_and_show_group(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/t.db"
    path = tmp_path / "group.csv"
    path.write_bytes(_seed_text().replace(b"\t", b","))
    done = _cli(db, "load", path, "--kind", "group")
    assert done.returncode == 0, done.stderr
    assert "loaded as group" in done.stdout and "10 members added" in done.stdout
    shown = _cli(db, "show", "group", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert [r["name"] for r in rows] == [r[0] for r in SEED_ROWS]
    assert set(rows[0]) == {"id", "name", "job_title", "faculty", "technician", "joined", "left"}
    assert rows[4]["faculty"] == "Brian Sciences" and rows[0]["technician"] is True and rows[0]["left"] is None
    csv_out = _cli(db, "show", "group", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "id,name,job_title,faculty,technician,joined,left"
    detected = tmp_path / "group2.csv"
    detected.write_text("Name,Role,School\nAnn Jones,Manager,Laws\n")
    out = _cli(db, "load", detected)
    assert out.returncode == 0 and "loaded as group" in out.stdout, out.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Title,Faculty,Technician?\nAnn,Manager,Laws,perhaps\n")
    refused = _cli(db, "load", bad, "--kind", "group")
    assert refused.returncode == 1
    assert "bad.csv:bad:2:Technician?: 'perhaps' is not yes or no" in refused.stderr


# --- the Upload page -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_an_administrator_loads_a_group_list_on_the_upload_page(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    from tests.apputil import open_app

    at = open_app(monkeypatch, db, page="pages/upload.py")
    data = _csv("Dr Steve Bunting,Institute Manager,Brain Sciences", "Ann Jones,Lab Manager,Medical Sciences")
    at.file_uploader[0].set_value(("group.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    preview = next(df.value for df in at.dataframe if "Member" in df.value.columns)
    changes = sorted(zip(preview["Change"], preview["Member"], strict=True))
    assert ("Working-group member added", "Ann Jones") in changes
    assert ("Working-group member left", "Prupti Malde") in changes
    assert len(changes) == 10  # Ann added, nine of the demo's ten left (Dr Steve Bunting stays, unchanged)
    (button,) = [b for b in at.button if b.label == "Confirm and load"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    with Session(open_engine(db)) as s:
        assert [m.name for m in list_group(session=s)] == ["Dr Steve Bunting", "Ann Jones"]
