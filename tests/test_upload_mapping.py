"""AppTest flows for the plan mapping step on the Upload page (issue 12, point 5): the sheet and header row, a
field per column pre-set to the reader's guess, the plan's start and length, the actions as they will be stored
and every guess; each change checks the file again, and "Confirm and load" writes exactly what was previewed.

Small plans are built here with openpyxl; real published plans come from tests/data/plans/ (their expected
actions were decided from the published text, see tests/data/plans/spec.py).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tests.data.plans.make_plans import HERE, all_plans
from tests.data.plans.spec import PlanSpec
from tests.test_plans_corpus import KNOWN_MISSES
from tests.test_upload_page import plain, table, upload
from tracker.db import open_engine
from tracker.models import Action, Plan, Upload
from tracker.plans import window_end

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = "admin@demo.ac.uk"
UPLOAD = "pages/upload.py"
PREVIEW = ("Ref", "Theme", "Activity", "Pillars", "Owners", "Start", "Due", "Promised evidence")

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

TITLE = "Technician Commitment action plan, January 2021 – December 2022"
HEADER = ["Ref", "Theme", "Activity", "Lead", "Impact", "V", "R", "C", "S"]
ACTIONS = [
    [
        "U1",
        "Understand",
        "Survey every technician on skills and careers",
        "HR",
        "A baseline of skills",
        "X",
        "",
        "X",
        "",
    ],
    ["D1", "Develop", "Set up communities of practice across faculties", "Deans", "Shared practice", "X", "", "X", "X"],
    ["V1", "Value", "Create annual technician awards", "OD", "Recognition of technicians", "", "X", "", ""],
]


def plan_xlsx(rows: list[list[Any]], *, title: str | None = TITLE, sheet: str = "Action plan") -> bytes:
    """A plan workbook: the title (if any) on row 1, a blank row, then `rows` from row 3 (row 1 without a title)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([None])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def empty(tmp_path: Path) -> str:
    """A database with no plan (open_app adds the administrator)."""
    return f"sqlite:///{tmp_path / 'empty.db'}"


def preview(at: AppTest) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = table(at, *PREVIEW).to_dict("records")
    return rows


def field(at: AppTest, j: int) -> str:
    return str(at.selectbox(key=f"upload_map_col_{j}").value)


def choose(at: AppTest, j: int, value: str) -> AppTest:
    at.selectbox(key=f"upload_map_col_{j}").set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def confirm_button(at: AppTest) -> list[Any]:
    return [b for b in at.button if b.label == "Confirm and load"]


def confirm(at: AppTest) -> AppTest:
    (button,) = confirm_button(at)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    shown = [m.value for m in at.markdown] + [w.value for w in at.warning] + [e.value for e in at.error]
    return plain(" ".join(shown).replace("**", ""))


def stored(url: str, plan_id: int | None = None) -> list[dict[str, Any]]:
    """The actions held, as the preview names them (active ones, in ref order of loading)."""
    with Session(open_engine(url)) as s:
        q = select(Action).where(col(Action.withdrawn).is_(False)).order_by(col(Action.id))
        if plan_id is not None:
            q = q.where(col(Action.plan_id) == plan_id)
        return [
            {"Ref": a.ref, "Pillars": ", ".join(a.pillars), "Owners": "; ".join(a.owners), "due": a.due}
            for a in s.exec(q).scalars()  # type: ignore[call-overload]
        ]


def uploads(url: str) -> int:
    with Session(open_engine(url)) as s:
        return int(s.exec(select(func.count()).select_from(Upload)).one()[0])  # type: ignore[call-overload]


def load_with_c_ignored(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    """The three-action plan, uploaded with the kind detected; column H ('C') mapped to ignore; confirmed."""
    at = open_app(monkeypatch, url, page=UPLOAD, as_user=ADMIN)
    upload(at, "plan.xlsx", plan_xlsx([HEADER, *ACTIONS]))
    choose(at, 7, "ignore")
    return confirm(at)


# --- the step -------------------------------------------------------------------------------------------


def test_the_step_shows_the_guesses_and_the_preview_follows_a_change(
    monkeypatch: pytest.MonkeyPatch, empty: str
) -> None:
    at = open_app(monkeypatch, empty, page=UPLOAD, as_user=ADMIN)
    upload(at, "plan.xlsx", plan_xlsx([HEADER, *ACTIONS]))  # the kind left on "Detect automatically"
    assert at.subheader[2].value == "3. Check how the plan was read"
    assert "Read from sheet Action plan, header row 3" in texts(at)
    assert "1 January 2021 – 31 December 2022" in texts(at)
    assert [field(at, j) for j in range(9)] == ["ref", "theme", "activity", "owner", "impact", "pV", "pR", "pC", "pS"]
    assert at.number_input(key="upload_map_header").value == 3
    assert at.date_input(key="upload_map_start").value == date(2021, 1, 1)
    assert at.selectbox(key="upload_map_months").value == 24
    rows = preview(at)
    assert [(r["Ref"], r["Pillars"], r["Owners"]) for r in rows] == [
        ("U1", "V, C", "HR"),
        ("D1", "V, C, S", "Deans"),
        ("V1", "R", "OD"),
    ]
    assert rows[0]["Start"] == "1 Jan 2021" and rows[0]["Due"] == "31 Dec 2022"
    assert confirm_button(at)
    before = uploads(empty)

    choose(at, 7, "ignore")  # column H, headed C: not read
    assert [(r["Ref"], r["Pillars"]) for r in preview(at)] == [("U1", "V"), ("D1", "V, S"), ("V1", "R")]
    assert field(at, 7) == "ignore" and field(at, 5) == "pV"
    choose(at, 4, "owner")  # Impact as the owner: Lead, which held it, is ignored now (one column per field)
    assert field(at, 3) == "ignore"
    assert [r["Owners"] for r in preview(at)] == [
        "A baseline of skills",
        "Shared practice",
        "Recognition of technicians",
    ]
    choose(at, 3, "owner")  # and back
    assert field(at, 4) == "ignore"
    shown = preview(at)
    assert [r["Owners"] for r in shown] == ["HR", "Deans", "OD"]
    at.run()  # a rerun checks nothing again
    assert uploads(empty) == before  # the checks wrote nothing, not even an upload record

    confirm(at)
    assert "Loaded plan.xlsx" in plain(at.success[0].value)
    assert stored(empty) == [
        {"Ref": r["Ref"], "Pillars": r["Pillars"], "Owners": r["Owners"], "due": date(2022, 12, 31)} for r in shown
    ]
    # Loaded: the uploader is a fresh one and the step is gone.
    assert [u.key for u in at.file_uploader] == ["upload_file_1"]
    assert not [s for s in at.selectbox if str(s.key).startswith("upload_map_")]


def test_a_second_file_with_the_same_headers_offers_the_remembered_mapping(
    monkeypatch: pytest.MonkeyPatch, empty: str
) -> None:
    at = load_with_c_ignored(monkeypatch, empty)
    v2 = plan_xlsx([HEADER, *ACTIONS, ["V2", "Value", "Publish technician profiles", "Comms", "", "X", "X", "X", ""]])
    upload(at, "plan_v2.xlsx", v2)
    assert f"with the columns as {ADMIN} on" in texts(at) and "mapped them for these headers" in texts(at)
    assert field(at, 7) == "ignore" and field(at, 2) == "activity"
    assert [(r["Ref"], r["Pillars"]) for r in preview(at)][-1] == ("V2", "V, R")  # C is not read
    assert table(at, "Change", "Action")["Change"].tolist() == ["Action added"]
    confirm(at)
    assert [a["Ref"] for a in stored(empty)] == ["U1", "D1", "V1", "V2"]


def test_a_plan_with_no_start_asks_for_it(monkeypatch: pytest.MonkeyPatch, empty: str) -> None:
    at = open_app(monkeypatch, empty, page=UPLOAD, as_user=ADMIN)
    data = plan_xlsx(
        [["Activity", "Who"], ["Run a skills survey", "HR"], ["Hold a technicians' day", "OD"]], title=None
    )
    upload(at, "nostart.xlsx", data)
    assert at.date_input(key="upload_map_start").value is None
    assert "1 problem: nothing can be loaded yet" in texts(at)
    issues = table(at, "Sheet", "Row", "Problem")
    assert "start date is not in its title block" in " ".join(issues["Problem"])
    assert not confirm_button(at)
    assert [field(at, 0), field(at, 1)] == ["activity", "owner"]

    at.date_input(key="upload_map_start").set_value(date(2021, 3, 15)).run()  # any day of the month
    assert not at.error
    rows = preview(at)
    assert [(r["Ref"], r["Start"], r["Due"]) for r in rows] == [
        ("A1", "1 Mar 2021", "28 Feb 2023"),
        ("A2", "1 Mar 2021", "28 Feb 2023"),
    ]
    at.selectbox(key="upload_map_months").set_value(36).run()
    assert [r["Due"] for r in preview(at)] == ["29 Feb 2024", "29 Feb 2024"]  # a leap year
    confirm(at)
    with Session(open_engine(empty)) as s:
        (plan,) = s.exec(select(Plan)).scalars()  # type: ignore[call-overload]
        assert (plan.start_date, plan.months) == (date(2021, 3, 1), 36)
    assert [a["Ref"] for a in stored(empty)] == ["A1", "A2"]


def test_a_table_the_reader_cannot_find_is_mapped_by_hand(monkeypatch: pytest.MonkeyPatch, empty: str) -> None:
    at = open_app(monkeypatch, empty, page=UPLOAD, as_user=ADMIN)
    at.selectbox(key="upload_kind").set_value("plan").run()
    rows = [["Plans", "Person in charge", "Remarks"], ["Run a skills survey", "HR", "first"], ["Awards", "OD", ""]]
    upload(at, "odd.xlsx", plan_xlsx(rows))
    assert "The plan's table was not found" in texts(at)
    assert at.number_input(key="upload_map_header").value == 3  # the first row with two headers
    assert [field(at, j) for j in range(3)] == ["ignore", "ignore", "ignore"]
    assert [s.label for s in at.selectbox if str(s.key).startswith("upload_map_col_")] == [
        "Field for column A",
        "Field for column B",
        "Field for column C",
    ]
    assert "A · Plans B · Person in charge C · Remarks" in texts(at)
    assert not confirm_button(at)

    choose(at, 0, "activity")
    assert field(at, 0) == "activity" and field(at, 1) == "ignore"
    choose(at, 1, "owner")
    assert "Read from sheet Action plan, header row 3" in texts(at)
    assert [(r["Ref"], r["Owners"]) for r in preview(at)] == [("A1", "HR"), ("A2", "OD")]
    assert field(at, 2) == "ignore"
    confirm(at)
    assert [(a["Ref"], a["Owners"]) for a in stored(empty)] == [("A1", "HR"), ("A2", "OD")]


def test_a_header_row_can_be_chosen(monkeypatch: pytest.MonkeyPatch, empty: str) -> None:
    at = open_app(monkeypatch, empty, page=UPLOAD, as_user=ADMIN)
    upload(at, "plan.xlsx", plan_xlsx([HEADER, *ACTIONS]))
    at.number_input(key="upload_map_header").set_value(4).run()  # the first action's row, as headers
    assert at.number_input(key="upload_map_header").value == 4
    assert not confirm_button(at)
    at.number_input(key="upload_map_header").set_value(3).run()
    assert at.number_input(key="upload_map_header").value == 3 and field(at, 2) == "activity"
    assert len(preview(at)) == 3 and confirm_button(at)


def test_a_reimport_withdrawing_most_actions_needs_the_box_ticked(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    at.selectbox(key="upload_kind").set_value("plan").run()
    at.date_input(key="upload_plan_start").set_value(date(2018, 11, 1)).run()
    with Session(open_engine(db)) as s:
        active = [a.ref for a in s.exec(select(Action).where(col(Action.withdrawn).is_(False))).scalars()]  # type: ignore[call-overload]
    upload(at, "plan.xlsx", plan_xlsx([["Ref", "Theme", "Activity", "Who"], ["U1", "Understand", "Map skills", "HR"]]))
    assert not confirm_button(at)
    issues = table(at, "Sheet", "Row", "Problem")
    assert "would withdraw" in " ".join(issues["Problem"])
    box = at.checkbox(key="upload_map_withdraw")
    assert box.label == "Withdraw these actions: I mean to replace the plan" and not box.value
    assert {a["Ref"] for a in stored(db)} == set(active)

    box.check().run()
    assert not at.exception
    changes = table(at, "Change", "Action")
    assert set(changes[changes["Change"] == "Action withdrawn"]["Action"]) == set(active) - {"U1"}
    confirm(at)
    assert "Loaded plan.xlsx" in plain(at.success[0].value)
    assert [a["Ref"] for a in stored(db)] == ["U1"]


# --- real published plans -------------------------------------------------------------------------------

# Every real plan of the corpus but its known misses (tests/test_plans_corpus.py says why each is missed).
REAL = [p for p in all_plans() if p.slug not in KNOWN_MISSES]
# What a person sets in the step for a layout no reader settles alone: {slug: {column index: field}}.
PERSON_SETS = {"cccu_24m": {0: "activity"}}


def given_start(spec: PlanSpec) -> date | None:
    if "--plan-start" not in spec.cli_args:
        return None
    year, month = spec.cli_args[spec.cli_args.index("--plan-start") + 1].split("-")
    return date(int(year), int(month), 1)


@pytest.mark.parametrize("spec", REAL, ids=[p.slug for p in REAL])
def test_a_real_plan_loads_as_its_preview_shows(monkeypatch: pytest.MonkeyPatch, empty: str, spec: PlanSpec) -> None:
    at = open_app(monkeypatch, empty, page=UPLOAD, as_user=ADMIN)
    upload(at, f"{spec.slug}.xlsx", (HERE / f"{spec.slug}.xlsx").read_bytes())
    start = given_start(spec)
    if start is not None:  # the plan states no start: given in the step, as --plan-start on the command line
        at.date_input(key="upload_map_start").set_value(start).run()
        assert not at.exception, [e.value for e in at.exception]
    for j, field in PERSON_SETS.get(spec.slug, {}).items():
        at.selectbox(key=f"upload_map_col_{j}").set_value(field).run()
        assert not at.exception, [e.value for e in at.exception]
    assert at.date_input(key="upload_map_start").value == spec.start
    assert at.selectbox(key="upload_map_months").value == spec.months, f"{spec.slug}: months"
    rows = preview(at)
    want = [a.pillars for a in spec.actions]
    assert len(rows) == len(spec.actions), f"{spec.slug}: {[r['Activity'][:50] for r in rows]}"
    assert [r["Pillars"].replace(", ", "") for r in rows] == want, f"{spec.slug}: pillars"
    confirm(at)
    assert "Loaded" in plain(at.success[0].value)
    held = stored(empty)
    assert [(a["Ref"], a["Pillars"]) for a in held] == [(r["Ref"], r["Pillars"]) for r in rows]
    assert ["".join(a["Pillars"].split(", ")) for a in held] == want
    end = window_end(spec.start, spec.months)
    assert [a["due"] for a in held] == [w.due or end for w in spec.actions], f"{spec.slug}: due dates"
