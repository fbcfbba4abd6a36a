"""`python -m tracker --as EMAIL …` gives what the pages give that user (issue 13), end to end in a subprocess on a
copy of the demo database: HESA-rounded staff figures for anyone who may not see exact ones, only one's own
uploads unless an administrator, a lead's own actions pre-filled in the update template.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.test_cli import run
from tracker.disclosure import round5
from tracker.ingest.updates import PROGRESS_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
ADMIN, VIEWER, BOARD = "admin@demo.ac.uk", "viewer@demo.ac.uk", "board@demo.ac.uk"
LEAD = "careers.lead@demo.ac.uk"  # owns D2 in the demo
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]


def shown(db: str, what: str, *as_user: str) -> Any:
    """`show WHAT --format json`, as `as_user` when given (else as the command line itself)."""
    p = run(db, *(("--as", as_user[0]) if as_user else ()), "show", what, "--format", "json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("who", [VIEWER, BOARD, LEAD])
def test_workforce_is_rounded_for_anyone_who_may_not_see_exact_figures(db: str, who: str) -> None:
    """Failed before: `--as VIEWER show workforce` printed the exact headcounts the pages round."""
    exact = shown(db, "workforce")
    assert any(r["headcount"] % 5 for r in exact)  # the demo has figures rounding would change
    p = run(db, "--as", who, "show", "workforce", "--format", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [{**r, "headcount": round5(r["headcount"]), "fte": round5(r["fte"])} for r in exact]
    assert "HESA-rounded" in p.stderr
    table = run(db, "--as", who, "show", "workforce", "--format", "csv").stdout
    assert all(int(line.split(",")[3]) % 5 == 0 for line in table.splitlines()[1:])


def test_an_administrator_sees_exact_workforce_figures(db: str) -> None:
    p = run(db, "--as", ADMIN, "show", "workforce", "--format", "json")
    assert p.returncode == 0 and "HESA" not in p.stderr
    assert json.loads(p.stdout) == shown(db, "workforce")


def test_uploads_are_ones_own_unless_an_administrator(db: str, tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    """Failed before: `--as VIEWER show uploads` listed everyone's uploads."""
    everyone = shown(db, "uploads")
    assert everyone and {u["uploaded_by"] for u in everyone} == {ADMIN}
    assert shown(db, "uploads", VIEWER) == []
    assert shown(db, "uploads", BOARD) == []
    assert shown(db, "uploads", LEAD) == []

    own = tmp_path / "d2.xlsx"
    own.write_bytes(
        make_xlsx({"Progress": [list(PROGRESS_COLUMNS), ["D2", datetime(2020, 10, 20), "On track", 60, None, None]]})
    )
    loaded = run(db, "--as", LEAD, "load", own)
    assert loaded.returncode == 0, loaded.stderr
    mine = shown(db, "uploads", LEAD)
    assert [(u["filename"], u["uploaded_by"], u["outcome"]) for u in mine] == [("d2.xlsx", LEAD, "loaded")]
    assert shown(db, "uploads", VIEWER) == []
    assert len(shown(db, "uploads", ADMIN)) == len(everyone) + 1 == len(shown(db, "uploads"))


@pytest.mark.parametrize("what", ["actions", "updates", "evidence", "measures", "plans"])
def test_what_every_page_shows_everyone_is_the_same_for_a_viewer(db: str, what: str) -> None:
    assert shown(db, what, VIEWER) == shown(db, what)


def test_users_are_for_administrators_only(db: str) -> None:
    p = run(db, "--as", VIEWER, "show", "users")
    assert p.returncode == 2 and "refused" in p.stderr and "manage users" in p.stderr and not p.stdout


def test_a_leads_update_template_is_prefilled_with_their_own_actions(db: str, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert run(db, "--as", LEAD, "template", "updates", "--out", out).returncode == 0
    progress = openpyxl.load_workbook(out)["Progress"]
    refs = [row[0] for row in progress.iter_rows(min_row=2, values_only=True) if row[0]]
    assert refs == ["D2"]
    blank = tmp_path / "blank.xlsx"
    assert run(db, "template", "updates", "--out", blank).returncode == 0  # the command line itself: no rows
    assert [
        r[0] for r in openpyxl.load_workbook(blank)["Progress"].iter_rows(min_row=2, values_only=True) if r[0]
    ] == []


def test_init_demo_as_someone_who_may_not_load_plans_is_refused(db: str) -> None:
    p = run(db, "--as", VIEWER, "init", "--demo")
    assert p.returncode == 2 and "refused" in p.stderr and "load action plans" in p.stderr
    assert "demo accounts" not in p.stdout
