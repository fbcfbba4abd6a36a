"""Representation (issue 16, point 2): the working group's members per faculty beside each faculty's share of
technician FTE; faculty names matched exactly, as acronyms and singular for plural, a near spelling offered and not
counted; faculties with technicians and no member flagged in words. The Workforce page's section and the Admin
page's editing, in AppTest."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tracker.audit import list_events
from tracker.auth import SYSTEM, Actor
from tracker.db import open_engine
from tracker.demo import DEMO_DIR, GROUP_FILE
from tracker.group import MemberEdit, list_group, save_group
from tracker.load import load_file
from tracker.profile import get_text
from tracker.text import unescape_literal
from tracker.views.group import match_faculty, representation

VIEWER = Actor("viewer@uni.ac.uk", "viewer")
ADMIN = Actor("admin@uni.ac.uk", "admin")
HR_2020 = DEMO_DIR / "hr_technicians_2020-07-31.xlsx"
SNAP = date(2020, 7, 31)
MAPS = "Mathematical & Physical Sciences"


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """The demo's 2020 HR extract and its working group."""
    with Session(engine) as s:
        for path in (HR_2020, GROUP_FILE):
            assert load_file(path, session=s, today=date(2020, 11, 1)).outcome == "loaded"
    return engine


def _row(rep: Any, faculty: str) -> Any:
    return next(r for r in rep.rows if r.faculty == faculty)


def test_matching_rules() -> None:
    hr = [MAPS, "Engineering Sciences", "Brain Sciences", "IOE (Education)", "Social & Historical Sciences", "Laws"]
    got = {w: (m.faculty, m.how, m.suggestion) for w in (
        "mathematical and physical sciences", "MAPS", "MPS", "Engineering Science", "IOE", "Faculty of Laws",
        "Social and Historical Science", "Brian Sciences", "Catering", "",
    ) for m in [match_faculty(w, hr)]}  # fmt: skip
    assert got == {
        "mathematical and physical sciences": (MAPS, "exact", None),
        "MAPS": (MAPS, "acronym", None),
        "MPS": (MAPS, "acronym", None),
        "Engineering Science": ("Engineering Sciences", "plural", None),
        "IOE": ("IOE (Education)", "exact", None),
        "Faculty of Laws": ("Laws", "exact", None),
        "Social and Historical Science": ("Social & Historical Sciences", "plural", None),
        "Brian Sciences": (None, "near", "Brain Sciences"),
        "Catering": (None, "none", None),
        "": (None, "none", None),
    }


def test_representation_on_the_demo(loaded: Engine) -> None:
    with Session(loaded) as s:
        rep = representation(session=s, actor=VIEWER, as_of=date(2020, 11, 1))
        exact = representation(session=s, actor=ADMIN, as_of=date(2020, 11, 1))
    assert rep.snapshot == SNAP and rep.members == 10 and rep.rounded and not exact.rounded
    hows = {m.written: m.how for m in rep.matches}
    assert hows == {
        "MAPS": "acronym",
        "Brain Sciences": "exact",
        "Brian Sciences": "near",
        "Engineering Science": "plural",
        "Life Sciences": "exact",
    }
    assert _row(rep, MAPS).members == ["John Bowles", "Dr Dimitra Stamogiannou", "Dr Roger Woodliffe"]
    assert _row(rep, "Engineering Sciences").members == ["Peter Kelly", "Ian Seaton"]
    assert _row(rep, "Brain Sciences").members == ["Dr Steve Bunting"]  # the misspelt one is not counted
    assert len(_row(rep, "Life Sciences").members) == 3
    brian = _row(rep, "Brian Sciences")
    assert (brian.in_workforce, brian.suggestion, brian.members, brian.fte) == (
        False,
        "Brain Sciences",
        ["Dr Jacques Gianino"],
        None,
    )
    assert brian.text.startswith("Brian Sciences: did you mean Brain Sciences?")
    flagged = {r.faculty for r in rep.flagged}
    assert {"Medical Sciences", "Social & Historical Sciences"} <= flagged
    assert not flagged & {MAPS, "Engineering Sciences", "Brain Sciences", "Life Sciences"}
    med = _row(rep, "Medical Sciences")
    assert med.fte % 5 == 0 and med.text == f"Medical Sciences: {med.fte:,} FTE, no working-group member"
    assert med.text in rep.sentences()
    # Shares come from exact figures and add up to the whole; FTE is rounded for a viewer, exact for an admin.
    assert sum(r.fte_share for r in rep.rows if r.in_workforce) == pytest.approx(1, abs=0.001)
    assert [r.fte_share for r in rep.rows] == [r.fte_share for r in exact.rows]
    assert all(isinstance(r.fte, int) and r.fte % 5 == 0 for r in rep.rows if r.in_workforce)
    assert any(not float(r.fte).is_integer() or r.fte % 5 for r in exact.rows if r.in_workforce)
    assert [r.faculty for r in rep.rows if r.in_workforce] == sorted(
        (r.faculty for r in exact.rows if r.in_workforce), key=lambda f: -_row(exact, f).fte
    )


def test_correcting_a_faculty_counts_the_member(loaded: Engine) -> None:
    with Session(loaded) as s:
        members = list_group(session=s)
        edits = [
            MemberEdit(m.id, m.name, m.job_title, "Brain Sciences" if m.faculty == "Brian Sciences" else m.faculty)
            for m in members
        ]
        save_group(session=s, actor=ADMIN, members=edits)
        s.commit()
        rep = representation(session=s, actor=VIEWER)
    assert _row(rep, "Brain Sciences").members == ["Dr Steve Bunting", "Dr Jacques Gianino"]
    assert rep.unmatched == []


def test_no_workforce_or_no_group(engine: Engine) -> None:
    with Session(engine) as s:
        empty = representation(session=s, actor=VIEWER)
        assert (empty.snapshot, empty.rows, empty.members) == (None, [], 0)
        load_file(GROUP_FILE, session=s)
        only_group = representation(session=s, actor=VIEWER)
    assert only_group.members == 10 and all(not r.in_workforce for r in only_group.rows)
    assert {r.faculty for r in only_group.rows} == {
        "MAPS",
        "Brain Sciences",
        "Brian Sciences",
        "Engineering Science",
        "Life Sciences",
    }


# --- the pages -----------------------------------------------------------------------------------------


pages = pytest.mark.usefixtures("fresh_streamlit_caches")


def _texts(at: AppTest) -> list[str]:
    """Every line of every Markdown element, as a viewer reads it."""
    return [line for m in at.markdown for line in unescape_literal(m.value).splitlines()]


@pages
def test_workforce_page_shows_representation(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/workforce.py", as_user="viewer@demo.ac.uk", role="viewer")
    assert not at.exception and not at.error
    assert "Working group representation" in [h.value for h in at.subheader]
    texts = _texts(at)
    assert any(re.fullmatch(r"- Medical Sciences: [\d,]+ FTE, no working-group member", t) for t in texts), texts
    assert any(t.startswith("- Social & Historical Sciences: ") for t in texts)
    assert any(t.startswith("- Brian Sciences: did you mean Brain Sciences?") for t in texts)
    assert any("working group's 10 members" in t for t in texts)
    table = next(df.value for df in at.dataframe if "Share of FTE" in df.value.columns)
    rows = table.set_index("Faculty").to_dict("index")
    assert rows["Mathematical & Physical Sciences"]["Members"] == 3
    assert rows["Medical Sciences"]["Note"] == "no working-group member"
    assert rows["Brian Sciences"]["Note"] == "did you mean Brain Sciences?"
    assert all(int(v) % 5 == 0 for v in table["Technician FTE"] if v != "")  # HESA-rounded for a viewer


@pages
def test_admin_page_edits_the_group_and_the_definition(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/admin.py")
    assert not at.exception
    assert "Working group" in [h.value for h in at.subheader]
    assert any("Brian Sciences: did you mean Brain Sciences?" in t for t in _texts(at))
    editor = at.data_editor(key="group_editor")
    assert list(editor.value["name"]) == [
        "John Bowles",
        "Dr Dimitra Stamogiannou",
        "Dr Roger Woodliffe",
        "Dr Steve Bunting",
        "Dr Jacques Gianino",
        "Peter Kelly",
        "Ian Seaton",
        "Isabel Goncalves",
        "Dr Lisa Sanderson",
        "Prupti Malde",
    ]
    # Correct the misspelt faculty, delete Prupti Malde's row and add a member from Medical Sciences.
    at.session_state["group_editor"] = {
        "edited_rows": {4: {"faculty": "Brain Sciences"}},
        "added_rows": [{"name": "Dr New Member", "job_title": "Lab Manager", "faculty": "Medical Sciences"}],
        "deleted_rows": [9],
    }
    at.run()
    at.button(key="group_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Working group saved" in s.value for s in at.success), [s.value for s in at.success]
    with Session(open_engine(db)) as s:
        current = {m.name: m for m in list_group(session=s)}
        everyone = {m.name: m for m in list_group(session=s, include_left=True)}
        events = [(e.action, e.target) for e in list_events(session=s, actor=SYSTEM)]
    assert current["Dr Jacques Gianino"].faculty == "Brain Sciences"
    assert current["Dr New Member"].faculty == "Medical Sciences" and current["Dr New Member"].technician
    assert "Prupti Malde" not in current and everyone["Prupti Malde"].left == date.today()
    assert ("group_member_left", "Prupti Malde") in events and ("group_member_added", "Dr New Member") in events
    assert not any("did you mean" in t for t in _texts(at))  # corrected

    at.text_area(key="tech_definition").input("Staff in technical roles, grades 5-8, in every faculty").run()
    at.button(key="tech_definition_save").click().run()
    assert not at.exception and not at.error
    with Session(open_engine(db)) as s:
        assert get_text(session=s, key="technician_definition").startswith("Staff in technical roles")


@pages
def test_a_lead_is_not_offered_the_admin_page(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    # (tracker refuses a lead's save_group and set_text too: tests/test_group.py)
    at = open_app(monkeypatch, db, as_user="cop.lead@demo.ac.uk", role="lead")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py")
