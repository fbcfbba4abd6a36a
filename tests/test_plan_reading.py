"""Plans read by meaning: headers nobody listed, merged cells, pillar words, timescales in words, the plan's own
window, the column mapping remembered, and no silent withdrawal (issue 12)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.test_cli import run
from tracker.ingest.plan import FIELD_HELP, find_plan_table, headers_seen, load_plan, read_window
from tracker.ingest.reader import read_workbook
from tracker.load import PlanOptions, load_file
from tracker.queries import list_actions

ROOT = Path(__file__).resolve().parent.parent
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
START = date(2021, 1, 1)


def plan(data: bytes, name: str = "plan.xlsx", **kw: Any) -> Any:
    kw.setdefault("plan_start", START)
    return load_plan(read_workbook(data, filename=name), **kw)


def merged_xlsx(rows: list[list[Any]], merges: list[str]) -> bytes:
    """An .xlsx with merged ranges as Excel stores them: the value in the top-left cell only."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    for m in merges:
        ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- columns by meaning -----


@pytest.mark.parametrize(
    ("activity", "owner", "when"),
    [
        ("Planned action/objective", "Lead", "Timescale"),
        ("Activity to be explored", "Owner", "When"),
        ("We commit to:", "Responsibility", "Deadline"),
        ("Objective", "Who", "By when"),
        ("What we do", "Accountable person", "Target date"),
        ("Goal", "Action lead", "Completion"),
        ("Action plan item", "Sponsor", "Timing"),
    ],
)
def test_headers_nobody_listed_are_read_by_meaning(make_xlsx: MakeXlsx, activity: str, owner: str, when: str) -> None:
    rows = [["Our plan"], [activity, owner, when], ["Run a skills survey", "HR / Deans", "Y1"], ["Awards", "OD", "Y2"]]
    r = plan(make_xlsx({"Plan": rows}))
    assert r.valid, r.issue_lines()
    assert r.meta["columns"]["activity"] == activity.strip()
    assert r.meta["columns"]["owner"] == owner
    assert [(a.activity, a.owners, a.due) for a in r.rows] == [
        ("Run a skills survey", ["HR", "Deans"], date(2021, 12, 31)),
        ("Awards", ["OD"], date(2022, 12, 31)),
    ]


def test_a_column_is_read_by_what_it_holds(make_xlsx: MakeXlsx) -> None:
    """'Key challenge' is a theme; 'Notes' full of pillar words is the pillars; 'Date' of timescales is the due."""
    rows = [
        ["Key challenge", "Action", "Notes", "Date", "Who"],
        ["Visibility of technicians", "Web pages", "Visibility and sustainability", "Y1", "Comms"],
        [None, "Profiles", "Recognition", "End of November 2021", "Comms"],
    ]
    r = plan(make_xlsx({"Plan": rows}))
    assert r.valid, r.issue_lines()
    assert r.meta["columns"] == {
        "theme": "Key challenge",
        "activity": "Action",
        "pillars": "Notes",
        "due": "Date",
        "owner": "Who",
    }
    assert [(a.theme, a.pillars, a.due) for a in r.rows] == [
        ("Visibility of technicians", "VS", date(2021, 12, 31)),
        ("Visibility of technicians", "R", date(2021, 11, 30)),
    ]


def test_cd_column_beside_v_r_s(make_xlsx: MakeXlsx) -> None:
    rows = [["Action", "V", "R", "CD", "S"], ["Career pathways", None, "x", "✓", "Yes"]]
    r = plan(make_xlsx({"Plan": rows}))
    assert r.meta["columns"]["pC"] == "CD"
    assert r.rows[0].pillars == "RCS"


@pytest.mark.parametrize(
    "rows",
    [
        [["ID", "Name", "Description", "Price"], [1, "Kettle", "A kettle for the lab", 20], [2, "Mug", "Blue", 3]],
        [["Product list"], ["ID", "Name", "Description", "Price"], [1, "Kettle", "A kettle for the lab", 20]],
        [["Name", "Email"], ["Ann", "ann@uni.ac.uk"]],
    ],
    ids=["product-list", "product-list-titled", "contacts"],
)
def test_a_file_that_is_not_a_plan_is_not_read_as_one(make_xlsx: MakeXlsx, rows: list[list[Any]]) -> None:
    wb = read_workbook(make_xlsx({"Sheet": rows}), filename="x.xlsx")
    assert find_plan_table(wb) is None
    assert find_plan_table(wb, lenient=True) is None
    r = load_plan(wb, plan_start=START)
    assert [i.code for i in r.errors] == ["unrecognised_layout"]


def test_headers_seen_is_one_line(make_xlsx: MakeXlsx) -> None:
    wb = read_workbook(make_xlsx({"Sheet": [["Col\n1", "Col\r\n2"], ["1", "2"]]}), filename="x.xlsx")
    assert headers_seen(wb) == "'Sheet': Col 1, Col 2"
    r = load_plan(wb, plan_start=START)
    assert "\n" not in r.errors[0].message and "Col 1, Col 2" in r.errors[0].message


# --- merged cells -----


def test_merged_theme_owner_and_pillar_word_apply_to_every_row() -> None:
    rows = [
        ["Theme", "Action", "Pillar", "Lead"],
        ["Visibility", "Web pages", "Visibility and sustainability", "Comms"],
        [None, "Profiles", None, None],
        [None, "Open days", None, None],
        ["Develop", "Career pathways", "Career development", "HR"],
    ]
    r = plan(merged_xlsx(rows, ["A2:A4", "C2:C4", "D2:D4"]))
    assert r.valid, r.issue_lines()
    assert [(a.ref, a.theme, a.pillars, a.owners) for a in r.rows] == [
        ("V1", "Visibility", "VS", ["Comms"]),
        ("V2", "Visibility", "VS", ["Comms"]),
        ("V3", "Visibility", "VS", ["Comms"]),
        ("D1", "Develop", "C", ["HR"]),
    ]


def test_a_merged_action_over_two_rows_is_one_action() -> None:
    rows = [
        ["Action", "Timescale", "Lead"],
        ["Career pathway proposal", "End of January 2021", "HR"],
        [None, "End of December 2022", "Career Pathway Sub-Group"],
        ["Annual conference", "Summer 2021", "OD"],
    ]
    r = plan(merged_xlsx(rows, ["A2:A3"]))
    assert r.valid, r.issue_lines()
    assert [(a.activity, a.owners, a.due) for a in r.rows] == [
        ("Career pathway proposal", ["HR", "Career Pathway Sub-Group"], date(2022, 12, 31)),
        ("Annual conference", ["OD"], date(2021, 8, 31)),
    ]
    assert any(n.row == 3 and "merged" in n.message for n in r.notes)


@pytest.mark.parametrize(
    ("heading", "merge"),
    [
        ("Reinstating the annual Technicians' Conference from 2021", None),
        ("2 – Continue to increase the awareness of technical roles across the whole Institute and beyond", "A3:C3"),
    ],
    ids=["short-action-stays-an-action", "long-heading-merged-across"],
)
def test_section_row_or_action_by_where_it_sits(heading: str, merge: str | None) -> None:
    rows = [
        ["Action", "Lead", "Timescale"],
        ["Technician profiles", "Comms", "Y1"],
        [heading, None, None],
        ["Ensure technicians are in external communications", "Comms", "Y1-3"],
    ]
    r = plan(merged_xlsx(rows, [merge] if merge else []))
    assert r.valid, r.issue_lines()
    activities = [a.activity for a in r.rows]
    if merge:
        assert heading not in activities and len(activities) == 2
        assert r.rows[1].theme == heading
    else:
        assert heading in activities and len(activities) == 3


def test_pillar_section_rows_and_a_key_area_word_carried_down(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Key area", "Action", "Lead"],
        ["Visibility", "Web pages", "Comms"],
        [None, "Profiles", "Comms"],
        [None, "Newsletter", "Comms"],
        ["Recognition", "Awards", "OD"],
        [None, "Registration", "OD"],
        [None, "Long service", "OD"],
    ]
    r = plan(make_xlsx({"Plan": rows}))
    assert r.valid, r.issue_lines()
    assert [a.pillars for a in r.rows] == ["V", "V", "V", "R", "R", "R"]
    assert sum("carried down" in n.message for n in r.notes) == 4  # each guess is shown


@pytest.mark.parametrize(
    ("words", "letters"),
    [
        ("Visibility and sustainability", "VS"),
        ("Visibility, development, sustainability", "VCS"),
        ("Career Development", "C"),
        ("Evaluating impact", ""),
    ],
)
def test_pillar_words(make_xlsx: MakeXlsx, words: str, letters: str) -> None:
    rows = [["Action", "Pillar", "Lead"], ["Survey", words, "HR"], ["Awards", "Recognition", "OD"]]
    assert plan(make_xlsx({"Plan": rows})).rows[0].pillars == letters


# --- dates and the window -----


@pytest.mark.parametrize(
    ("title", "start", "months"),
    [
        ("Technician Commitment action plan 2021-2023", date(2021, 1, 1), 36),
        ("Action Plan 2021-23", date(2021, 1, 1), 36),
        ("Technician Commitment action plan 2020-23", date(2020, 8, 1), 36),
        ("This plan runs for three years from 1 January 2021 until 31 December 2023", date(2021, 1, 1), 36),
        ("Our 24-month action plan, November 2018 – October 2020", date(2018, 11, 1), 24),
        ("A 3 year action plan", None, 36),
        ("Reporting period 31 June 2018 – 31 June 2020", date(2018, 7, 1), 24),
        ("Technician Commitment", None, None),
    ],
)
def test_the_window_from_the_title(title: str, start: date | None, months: int | None) -> None:
    w = read_window([[title], ["Technicians at the Institute"]])
    assert (w.start, w.months) == (start, months)


@pytest.mark.parametrize(
    ("timescale", "due"),
    [
        ("End of November 2021", date(2021, 11, 30)),
        ("11 December 2021", date(2021, 12, 11)),
        ("Year 2", date(2022, 12, 31)),
        ("Y1-3", date(2023, 12, 31)),
        ("Yr1-3", date(2023, 12, 31)),
        ("Y1, Y2, Y1-3", date(2023, 12, 31)),
        ("2021/22", date(2022, 7, 31)),
        ("Q2 2022", date(2022, 6, 30)),
        ("Summer 2023", date(2023, 8, 31)),
        ("By July 2022", date(2022, 7, 31)),
        ("Ongoing", date(2023, 12, 31)),
        ("Annually", date(2023, 12, 31)),
    ],
)
def test_timescales_as_written(make_xlsx: MakeXlsx, timescale: str, due: date) -> None:
    rows = [["Plan 2021-2023"], ["Action", "Timescale"], ["Survey", timescale]]
    r = load_plan(read_workbook(make_xlsx({"Plan": rows}), filename="p.xlsx"))
    assert r.valid, r.issue_lines()
    assert r.meta["start_date"] == START and r.meta["months"] == 36
    assert r.rows[0].due == due
    assert [i.code for i in r.issues] == []


def test_an_unread_timescale_or_one_past_the_window_is_a_warning(make_xlsx: MakeXlsx) -> None:
    rows = [["Plan 2021-2023"], ["Action", "Timescale"], ["Survey", "when funding allows"], ["Awards", "Dec 2025"]]
    r = load_plan(read_workbook(make_xlsx({"Plan": rows}), filename="p.xlsx"))
    assert r.valid
    assert [(i.code, i.row, i.severity) for i in r.issues] == [
        ("unread_timescale", 3, "warning"),
        ("due_after_window", 4, "warning"),
    ]
    assert r.rows[0].due == date(2023, 12, 31)  # the plan's end, and the warning says so
    assert "31 Dec 2023" in r.issues[0].message


def test_months_given_beat_the_title(make_xlsx: MakeXlsx) -> None:
    rows = [["Plan 2021-2023"], ["Action", "Lead"], ["Survey", "HR"]]
    r = load_plan(read_workbook(make_xlsx({"Plan": rows}), filename="p.xlsx"), months=24)
    assert (r.meta["start_date"], r.meta["months"], r.meta["end_date"]) == (START, 24, date(2022, 12, 31))


# --- through load_file: remembered mappings, the withdrawal guard -----

ODD = [["Our commitments"], ["Thing", "Person", "Finish"], ["Skills survey", "HR", "Y1"], ["Awards", "OD", "Y2"]]


def test_a_confirmed_mapping_is_offered_for_the_same_headers(engine: Engine, make_xlsx: MakeXlsx) -> None:
    mapping = {"activity": "Thing", "owner": "Person", "timescale": "Finish"}
    with Session(engine) as s:
        out = load_file(
            make_xlsx({"Plan": ODD}),
            filename="p.xlsx",
            session=s,
            kind="plan",
            plan=PlanOptions(start=START, mapping=mapping),
        )
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        later = [*ODD[:2], ["Skills survey", "HR", "Y1"], ["Awards", "OD", "Y2"], ["Conference", "Comms", "Y3"]]
        again = load_file(make_xlsx({"Plan": later}), filename="p2.xlsx", session=s, kind="plan")
        assert again.outcome == "loaded", again.result and again.result.issue_lines()
        assert again.result is not None and again.result.meta["columns"] == mapping
        assert any("mapped as" in n.message for n in again.result.notes)
        assert [(a.activity, a.owners) for a in list_actions(session=s)][-1] == ("Conference", ["Comms"])


def test_a_reimport_that_withdraws_most_of_the_plan_needs_a_yes(engine: Engine, make_xlsx: MakeXlsx) -> None:
    full = [["Plan 2021-2023"], ["Action", "Lead"]] + [[f"Action {n}", "HR"] for n in range(1, 7)]
    few = [["Plan 2021-2023"], ["Action", "Lead"], ["Action 1", "HR"], ["Action 2", "HR"]]
    with Session(engine) as s:
        assert load_file(make_xlsx({"Plan": full}), filename="a.xlsx", session=s).outcome == "loaded"
        out = load_file(make_xlsx({"Plan": few}), filename="b.xlsx", session=s)
        assert out.outcome == "rejected"
        assert out.result is not None and [i.code for i in out.result.errors] == ["mass_withdrawal"]
        assert "withdraw 4 of the plan's 6 actions" in out.result.errors[0].message
        assert [a.withdrawn for a in list_actions(session=s)] == [False] * 6  # nothing written
        yes = load_file(make_xlsx({"Plan": few}), filename="b.xlsx", session=s, plan=PlanOptions(allow_withdraw=True))
        assert yes.outcome == "loaded"
        assert [a.withdrawn for a in list_actions(session=s)] == [False, False, True, True, True, True]


# --- the command line -----


def cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run(f"sqlite:///{tmp_path / 't.db'}", *args)


def test_cli_map_rejects_an_unknown_field_and_help_lists_them(tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    f = tmp_path / "p.xlsx"
    f.write_bytes(make_xlsx({"Plan": ODD}))
    bad = cli(tmp_path, "load", f, "--map", "actvity=Thing")
    assert bad.returncode == 2
    assert "'actvity' is not a field" in bad.stderr and "activity" in bad.stderr and "owner" in bad.stderr
    helped = cli(tmp_path, "load", "--help")
    assert all(field in helped.stdout for field in FIELD_HELP)


def test_cli_dry_run_shows_the_mapping_and_writes_nothing(tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    f = tmp_path / "p.xlsx"
    f.write_bytes(make_xlsx({"Plan": [["Plan 2021-2023"], ["What we do", "Lead", "When"], ["Survey", "HR", "Y2"]]}))
    p = cli(tmp_path, "load", f, "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "header row 2" in p.stdout and "'What we do'" in p.stdout and "→ Activity" in p.stdout
    assert "Survey" in p.stdout and "31 Dec 2022" in p.stdout
    assert cli(tmp_path, "show", "actions", "--format", "json").stdout.strip() == "[]"


def test_cli_without_a_start_anywhere_says_so(tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    f = tmp_path / "p.xlsx"
    f.write_bytes(make_xlsx({"Plan": [["Action", "Lead"], ["Survey", "HR"]]}))
    p = cli(tmp_path, "load", f)
    assert p.returncode == 2
    assert "--plan-start" in p.stderr
    ok = cli(tmp_path, "load", f, "--plan-start", "2021-01", "--months", "36")
    assert ok.returncode == 0, ok.stderr


def test_cli_unrecognised_layout_names_map_and_the_fields(tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    f = tmp_path / "p.xlsx"
    f.write_bytes(make_xlsx({"Plan": [["Col 1", "Col 2"], ["1", "2"]]}))
    p = cli(tmp_path, "load", f, "--kind", "plan", "--plan-start", "2021-01")
    assert p.returncode == 2
    assert "--map" in p.stderr and "activity" in p.stderr and "owner" in p.stderr
