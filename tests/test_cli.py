"""`python -m tracker` end to end, in a subprocess, as an administrator or a scheduler would run it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "plan" / "ucl_2018_action_plan.xlsx"
SEED_REFS = ["U1", "D1", "D2", "D3", "V1", "V2"]
SEED_PILLARS = [["V", "S"], ["V", "C", "S"], ["R", "C", "S"], ["C", "S"], ["V", "R", "C"], ["V", "R"]]
ACTION_KEYS = {
    "ref",
    "theme",
    "purpose",
    "activity",
    "impact",
    "expected_evidence",
    "owners",
    "pillars",
    "start",
    "due",
    "status",
    "percent_complete",
    "withdrawn",
}
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]


def run(db: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def ok(db: str, *args: str | Path) -> str:
    p = run(db, *args)
    assert p.returncode == 0, p.stderr
    return p.stdout


def show_json(db: str, what: str) -> Any:
    return json.loads(ok(db, "show", what, "--format", "json"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


def test_init_load_and_show_actions(db: str, tmp_path: Path) -> None:
    assert "database ready" in ok(db, "init")
    assert (tmp_path / "t.db").exists()
    assert "password (shown once): " in ok(db, "users", "add", "admin@uni.ac.uk", "--role", "admin")
    out = ok(db, "load", "plan/ucl_2018_action_plan.xlsx", "--as", "admin@uni.ac.uk")
    assert "ucl_2018_action_plan.xlsx: loaded as plan (upload 1): 6 added" in out

    actions = show_json(db, "actions")
    assert isinstance(actions, list)
    assert [a["ref"] for a in actions] == SEED_REFS
    assert all(a.keys() >= ACTION_KEYS for a in actions)
    assert [a["pillars"] for a in actions] == SEED_PILLARS
    assert [a["theme"] for a in actions] == ["Understand", "Develop", "Develop", "Develop", "Value", "Value"]
    d3 = actions[3]
    assert d3["owners"] == ["OD", "Heads of HR", "Technician Commitment Working Group"]
    assert d3["expected_evidence"] == ["COP Sponsors", "Research & Innovation Operations Oversight Board"]
    assert d3["purpose"] == "Succession planning for key skills"
    assert d3["activity"].startswith("• Workforce planning\n• ")
    assert "(Evidence" not in d3["impact"]
    assert {(a["start"], a["due"]) for a in actions} == {("2018-11-01", "2020-10-31")}
    assert {(a["status"], a["percent_complete"], a["withdrawn"]) for a in actions} == {("not started", 0, False)}

    table = ok(db, "show", "actions")
    assert "U1" in table and "Understand" in table and "V2" in table

    (up,) = show_json(db, "uploads")
    assert (up["filename"], up["kind"], up["outcome"], up["uploaded_by"], up["rows_accepted"]) == (
        "ucl_2018_action_plan.xlsx",
        "plan",
        "loaded",
        "admin@uni.ac.uk",
        6,
    )

    again = run(db, "load", DEMO_PLAN)
    assert again.returncode == 0
    assert "already loaded as upload 1: nothing changed" in again.stdout
    assert len(show_json(db, "actions")) == 6


def test_bad_update_file_exits_1_and_writes_nothing(db: str, tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    ok(db, "load", DEMO_PLAN)
    bad = tmp_path / "bad_updates.xlsx"
    bad.write_bytes(
        make_xlsx(
            {
                "Progress": [
                    ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"],
                    ["U1", datetime(2019, 1, 31), "On track", 20, None, None],
                    ["D3", datetime(2019, 1, 31), "Purple", 20, None, None],
                    [],
                    ["Z9", datetime(2019, 1, 31), "Amber", 140, None, None],
                ],
            }
        )
    )
    p = run(db, "load", bad)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert (
        "bad_updates.xlsx:Progress:3:Status: 'Purple' is not a status: use Not started, On track, At risk, "
        "Delayed, Complete or Suspended (or Green, Amber, Red, Blue)" in lines
    )
    assert [ln.split(": ", 1)[0] for ln in lines[:-1]] == [
        "bad_updates.xlsx:Progress:3:Status",
        "bad_updates.xlsx:Progress:5:Ref",
        "bad_updates.xlsx:Progress:5:Percent complete",
        "bad_updates.xlsx:Progress:5:Note",
    ]
    assert lines[-1] == "bad_updates.xlsx: 4 problems found: nothing was written"
    assert "Traceback" not in p.stderr
    assert show_json(db, "updates") == []
    uploads = show_json(db, "uploads")
    assert [(u["filename"], u["outcome"], u["issues_found"]) for u in uploads] == [
        ("bad_updates.xlsx", "rejected", 4),
        ("ucl_2018_action_plan.xlsx", "loaded", 0),
    ]


def test_good_update_file_then_show(db: str, tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    ok(db, "load", DEMO_PLAN)
    ok(db, "users", "add", "apprentices.lead@demo.ac.uk", "--role", "lead", "--actions", "D3")
    good = tmp_path / "updates.xlsx"
    good.write_bytes(
        make_xlsx(
            {
                "Progress": [
                    ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"],
                    ["D3", datetime(2019, 1, 31), "Amber", "40%", "Levy delayed", None],
                ],
                "Evidence": [
                    ["Ref", "Date", "Description", "Kind", "Link", "Pillars", "Added by", "Supersedes ID"],
                    [
                        "D3",
                        datetime(2018, 9, 30),
                        "Seven apprentices started",
                        "metric",
                        None,
                        None,
                        None,
                        None,
                    ],
                ],
            }
        )
    )
    out = ok(db, "load", good, "--kind", "updates", "--as", "apprentices.lead@demo.ac.uk")
    assert "1 progress update, 1 evidence item, 0 measure values" in out
    (u,) = show_json(db, "updates")
    assert (u["ref"], u["as_of"], u["status"], u["percent_complete"], u["reported_by"]) == (
        "D3",
        "2019-01-31",
        "at risk",
        40,
        "apprentices.lead@demo.ac.uk",
    )
    (e,) = show_json(db, "evidence")
    assert (e["ref"], e["kind"], e["pillars"]) == ("D3", "metric", ["C", "S"])
    d3 = next(a for a in show_json(db, "actions") if a["ref"] == "D3")
    assert (d3["status"], d3["percent_complete"]) == ("at risk", 40)


def test_pdf_renamed_xlsx_exits_2(db: str, tmp_path: Path) -> None:
    fake = tmp_path / "action plan.xlsx"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    p = run(db, "load", fake)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "action plan.xlsx: cannot read: is not a spreadsheet: it looks like a PDF document"
    ]
    assert p.stdout == ""
    (up,) = show_json(db, "uploads")
    assert (up["filename"], up["outcome"]) == ("action plan.xlsx", "unreadable")
    assert show_json(db, "actions") == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["load", "plan/ucl_2018_action_plan.xlsx", "--kind", "bogus"], "invalid choice: 'bogus'"),
        (["load", "plan/ucl_2018_action_plan.xlsx", "--plan-start", "Nov 2018"], "'Nov 2018' is not YYYY-MM"),
        (
            ["load", "plan/ucl_2018_action_plan.xlsx", "--as-of", "31/07/2018"],
            "'31/07/2018' is not YYYY-MM-DD",
        ),
        (["load", "plan/ucl_2018_action_plan.xlsx", "--map", "activity"], "should be FIELD=HEADER"),
        (["show", "nothing"], "invalid choice: 'nothing'"),
        (["template", "updates"], "--out"),
        (["load", "no/such/file.xlsx"], "file.xlsx: cannot read: cannot open the file"),
    ],
    ids=["bad-kind", "bad-plan-start", "bad-as-of", "bad-map", "bad-show", "no-out", "missing-file"],
)
def test_bad_usage_exits_2(db: str, args: list[str], needle: str) -> None:
    p = run(db, *args)
    assert p.returncode == 2
    assert needle in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("mysql://nope", "argument --db: Value error, must start with sqlite:// or postgresql://"),
        (
            "postgresql://postgres:secret@127.0.0.1:1/none",
            "error: cannot open the database postgresql+psycopg://postgres:***@127.0.0.1:1/none: connection failed",
        ),
    ],
    ids=["not-a-backend", "server-down"],
)
def test_bad_database_exits_2(url: str, needle: str) -> None:
    p = run(url, "show", "actions")
    assert p.returncode == 2
    assert needle in p.stderr
    assert "secret" not in p.stderr
    assert "Traceback" not in p.stderr


def test_workforce_and_uploads_csv(db: str, tmp_path: Path) -> None:
    hr = tmp_path / "hr_extract.csv"
    hr.write_bytes(
        b"Faculty,Gender,FTE\r\nEngineering,F,1\r\nEngineering,Male,0.5\r\nEngineering,M,1\r\nLife Sciences,F,0.6\r\n"
    )
    out = ok(db, "load", hr, "--kind", "workforce", "--as-of", "2018-07-31")
    assert "loaded as workforce" in out
    rows = show_json(db, "workforce")
    assert all(set(r) >= {"as_of", "faculty", "sex", "headcount", "fte"} for r in rows)
    assert [(r["as_of"], r["faculty"], r["sex"], r["headcount"], r["fte"]) for r in rows] == [
        ("2018-07-31", "Engineering", "Female", 1, 1.0),
        ("2018-07-31", "Engineering", "Male", 2, 1.5),
        ("2018-07-31", "Life Sciences", "Female", 1, 0.6),
    ]
    text = ok(db, "show", "uploads", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 1
    assert (table[0]["filename"], table[0]["kind"], table[0]["outcome"]) == (
        "hr_extract.csv",
        "workforce",
        "loaded",
    )
    assert {"id", "uploaded_at", "sha256", "rows_accepted", "issues_found"} <= set(table[0])


def test_template_updates_lists_the_plans_refs(db: str, tmp_path: Path) -> None:
    ok(db, "load", DEMO_PLAN)
    out_file = tmp_path / "X.xlsx"
    assert f"wrote {out_file}" in ok(db, "template", "updates", "--out", out_file)
    wb = openpyxl.load_workbook(out_file)
    assert wb.sheetnames == ["README", "Progress", "Evidence", "Measures", "Lists"]
    assert [c.value for c in wb["Progress"][1]] == [
        "Ref",
        "As of",
        "Status",
        "Percent complete",
        "Note",
        "Updated by",
    ]
    lists = wb["Lists"]
    assert [lists.cell(row=r, column=1).value for r in range(2, 8)] == SEED_REFS
    assert lists.cell(row=8, column=1).value is None


@pytest.mark.parametrize("kind", ["plan", "workforce"])
def test_other_templates(db: str, tmp_path: Path, kind: str) -> None:
    out_file = tmp_path / f"{kind}.xlsx"
    ok(db, "template", kind, "--out", out_file)
    wb = openpyxl.load_workbook(out_file)
    header_row = 4 if kind == "plan" else 1
    first = [c.value for c in wb.active[header_row]][:3]  # type: ignore[index]
    assert first == (["Ref", "Theme", "Purpose"] if kind == "plan" else ["As at", "Faculty", "Department"])


def test_init_demo_then_show_actions(db: str) -> None:
    out = ok(db, "init", "--demo")
    assert "demo data loaded: 1 plan file, 4 workforce files, 8 updates files" in out
    actions = show_json(db, "actions")
    assert [a["ref"] for a in actions] == SEED_REFS
    assert all(a["status"] != "not started" for a in actions)
    users = show_json(db, "users")
    assert sorted(u["role"] for u in users if u["role"] != "lead") == ["admin", "board", "viewer"]
    again = ok(db, "init", "--demo")
    assert "already holds a plan: demo data not loaded" in again
    assert len(show_json(db, "uploads")) == 14  # the demo's 14 files (the working group's included)


def test_load_plan_csv_with_plan_start_and_map(db: str, tmp_path: Path) -> None:
    plan = tmp_path / "our_plan.csv"
    plan.write_text("Thing,Person,Finish\nRun a skills survey,HR / Deans,Y1\n", encoding="utf-8-sig")
    p = run(db, "load", plan, "--kind", "plan", "--plan-start", "2019-01")
    assert p.returncode == 2  # the file is fine: the command needs --map
    assert p.stderr.splitlines()[0].startswith("our_plan.csv:our_plan::: could not find the action plan's table")
    out = ok(
        db,
        "load",
        plan,
        "--kind",
        "plan",
        "--plan-start",
        "2019-01",
        "--map",
        "activity=Thing",
        "--map",
        "owner=Person",
        "--map",
        "timescale=Finish",
    )
    assert "1 added" in out
    (a,) = show_json(db, "actions")
    assert (a["ref"], a["activity"], a["owners"], a["start"], a["due"]) == (
        "A1",
        "Run a skills survey",
        ["HR", "Deans"],
        "2019-01-01",
        "2019-12-31",
    )
    (plan_row,) = show_json(db, "plans")
    assert (plan_row["start_date"], plan_row["months"]) == ("2019-01-01", 24)


@pytest.mark.pg
def test_cli_on_postgresql(pg_url: str) -> None:
    assert "database ready" in ok(pg_url, "init")
    assert "6 added" in ok(pg_url, "load", DEMO_PLAN)
    actions = show_json(pg_url, "actions")
    assert [a["ref"] for a in actions] == SEED_REFS
    assert [a["pillars"] for a in actions] == SEED_PILLARS
    assert actions[3]["owners"] == ["OD", "Heads of HR", "Technician Commitment Working Group"]
    (up,) = show_json(pg_url, "uploads")
    assert (up["kind"], up["outcome"], up["rows_accepted"]) == ("plan", "loaded", 6)


def test_the_parser_offers_every_template_and_loads_nothing_heavy() -> None:
    """--help and usage errors answer from the standard library and tracker.vocab alone (no database library,
    no spreadsheet or chart library), and offer exactly the templates there are."""
    from tracker.templates import TEMPLATES
    from tracker.vocab import TEMPLATE_KINDS

    assert set(TEMPLATE_KINDS) == set(TEMPLATES)
    probe = (
        "import sys, tracker.cli; tracker.cli.build_parser().format_help(); "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'openpyxl', 'plotly', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "tracker", "load", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--map FIELD=HEADER" in helped.stdout, helped.stderr
