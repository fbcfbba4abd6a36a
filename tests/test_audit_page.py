"""AppTest of the Audit log page: what a load and a user change leave in the log, the filters, the count, the
formula-safe CSV export, the empty log, and no way in for anyone but an administrator."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.apputil import ADMIN, open_app
from tracker.audit import audit_actors, count_events, list_events, record
from tracker.auth import SYSTEM, Actor, PermissionDenied, actor_for
from tracker.db import make_engine, open_engine
from tracker.exports import to_csv
from tracker.load import load_file
from tracker.models import AuditEvent
from tracker.users import add_user

PAGE = "pages/audit.py"
LEAD = "careers.lead@demo.ac.uk"
HEADER = "id,at,actor,action,target,before,after,detail,upload_id"
COLUMNS = ["When", "Who", "Action", "Target", "Before → after", "Upload", "Detail"]


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def logged_file(tmp_path_factory: pytest.TempPathFactory, demo_file: Path) -> Path:
    """The demo, then a lead's update (D2 delayed → on track) and an administrator's change to a user."""
    path = tmp_path_factory.mktemp("audit") / "demo.db"
    shutil.copy(demo_file, path)  # the demo, loaded once per session
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        lead = actor_for(session=s, email=LEAD)
        assert lead is not None
        update = b"Ref,As of,Status,Percent,Note\nD2,20/10/2020,on track,80,IT pathway drafted\n"
        out = load_file(update, filename="d2_october.csv", session=s, actor=lead)
        assert out.outcome == "loaded", out.message
        admin = actor_for(session=s, email=ADMIN)
        assert admin is not None
        add_user(session=s, email="viewer@demo.ac.uk", role="board", actor=admin)
        s.commit()
    engine.dispose()
    return path


@pytest.fixture
def db(logged_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    with sqlite3.connect(logged_file) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]  # e.g. Streamlit's complaint about a widget's default


def _rows(at: AppTest) -> list[dict[str, Any]]:
    df = at.dataframe[0].value
    assert list(df.columns) == COLUMNS
    return df.to_dict("records")  # type: ignore[no-any-return]


def _count(at: AppTest) -> int:
    """The count the page states above the table ("1,234 events")."""
    (line,) = [m.value for m in at.markdown if " event" in m.value]
    return int(line.strip("*").split(" ")[0].replace(",", ""))


def test_the_log_shows_the_load_and_the_user_change_newest_first(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    assert at.title[0].value == "Audit log"
    rows = _rows(at)
    with Session(open_engine(db)) as s:
        total = count_events(session=s, actor=SYSTEM)
        upload_id = list_events(session=s, actor=SYSTEM, action="load_updates")[0].upload_id
    assert _count(at) == total == len(rows) > 100
    newest = rows[0]
    assert (newest["Who"], newest["Action"], newest["Target"], newest["Before → after"]) == (
        ADMIN,
        "user_changed",
        "viewer@demo.ac.uk",
        "viewer → board",
    )
    (status,) = [r for r in rows if r["Who"] == LEAD and r["Action"] == "status"]
    assert (status["Target"], status["Before → after"], status["Upload"]) == (
        "D2",
        "delayed → on track",
        str(upload_id),
    )
    assert newest["Upload"] == ""  # a change to a user comes from no upload
    assert "IT pathway drafted" in status["Detail"]
    assert [r["When"] for r in rows] == sorted((r["When"] for r in rows), reverse=True)
    assert any(b.label == "Export CSV" for b in at.get("download_button"))  # type: ignore[union-attr]


def test_filters_narrow_the_rows(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    everyone = _count(at)
    assert at.selectbox(key="audit_who").options == ["Everyone", ADMIN, LEAD, "system"]

    at.selectbox(key="audit_who").select(LEAD).run()
    _ok(at)
    rows = _rows(at)
    assert {r["Who"] for r in rows} == {LEAD}
    assert [r["Action"] for r in rows] == ["status", "load_updates"]
    assert _count(at) == 2 < everyone

    at.selectbox(key="audit_action").select("status").run()
    assert [(r["Target"], r["Before → after"]) for r in _rows(at)] == [("D2", "delayed → on track")]

    at.selectbox(key="audit_who").select("Everyone").run()
    rows = _rows(at)
    assert {r["Action"] for r in rows} == {"status"}
    assert len(rows) > 1  # the demo's own status changes too
    assert _count(at) == len(rows)

    at.selectbox(key="audit_action").select("All kinds").run()
    at.text_input(key="audit_text").input("d2_october").run()
    assert [(r["Action"], r["Target"]) for r in _rows(at)] == [("load_updates", "d2_october.csv")]

    at.text_input(key="audit_text").input("").run()
    at.date_input(key="audit_since").set_value(date.today() + timedelta(days=1)).run()
    _ok(at)
    assert not at.dataframe
    assert at.info[0].value == "No events match these filters."

    at.date_input(key="audit_since").set_value(date.today()).run()
    at.date_input(key="audit_until").set_value(date.today()).run()
    assert _count(at) == everyone  # everything here was written today


def test_from_after_to_says_so(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    at.date_input(key="audit_since").set_value(date(2026, 2, 1))
    at.date_input(key="audit_until").set_value(date(2026, 1, 1)).run()
    _ok(at)
    assert "'From' is after 'To'" in at.error[0].value
    assert not at.dataframe


def test_the_csv_export_is_formula_safe(db: str) -> None:
    with Session(open_engine(db)) as s:
        record(s, SYSTEM, "user_added", '=HYPERLINK("http://evil.example","click")', after="viewer", detail="+1")
        s.commit()
        rows = [e.export_row() for e in list_events(session=s, actor=SYSTEM, who="system", action="user_added")]
    text = to_csv(rows)
    assert text.splitlines()[0] == HEADER
    first = next(csv.DictReader(io.StringIO(text)))
    assert first["target"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["detail"] == "'+1"
    assert first["after"] == "viewer"
    assert len(text.splitlines()) == 1 + len(rows)


def test_the_page_shows_an_injected_target_as_text(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    with Session(open_engine(db)) as s:
        record(s, SYSTEM, "user_added", "=1+1")
        s.commit()
    at = open_app(monkeypatch, db, page=PAGE)
    assert _rows(at)[0]["Target"] == "=1+1"  # on screen as typed; only the export is neutralised


def test_an_empty_log_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with Session(open_engine(url)) as s:
        add_user(session=s, email=ADMIN, role="admin")
        s.execute(delete(AuditEvent))
        s.commit()
    at = open_app(monkeypatch, url, page=PAGE)
    assert "The audit log is empty" in at.info[0].value
    assert not at.dataframe


@pytest.mark.parametrize("email", ["viewer@demo.ac.uk", "board@demo.ac.uk", LEAD])
def test_no_one_else_reaches_the_page(monkeypatch: pytest.MonkeyPatch, db: str, email: str) -> None:
    at = open_app(monkeypatch, db, as_user=email)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


@pytest.mark.parametrize("role", ["viewer", "board", "lead"])
def test_tracker_refuses_the_log_to_anyone_else(db: str, role: str) -> None:
    who = Actor(f"{role}@demo.ac.uk", role)
    with Session(open_engine(db)) as s:
        with pytest.raises(PermissionDenied, match=f"is a {role}: .* but not read the audit log"):
            list_events(session=s, actor=who)
        with pytest.raises(PermissionDenied):
            count_events(session=s, actor=who)
        with pytest.raises(PermissionDenied):
            audit_actors(session=s, actor=who)
