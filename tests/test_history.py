"""Upload history at the tracker layer: who sees which uploads, who may download which original file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tracker.auth import Actor, PermissionDenied, actor_for
from tracker.db import open_engine
from tracker.demo import DEMO_DIR
from tracker.history import issue_rows, list_uploads_for, template_for, upload_file, upload_issues
from tracker.ingest.base import Issue
from tracker.ingest.reader import read_workbook
from tracker.load import load_file
from tracker.models import Upload

ADMIN, CAREERS, COP, VIEWER = "admin@demo.ac.uk", "careers.lead@demo.ac.uk", "cop.lead@demo.ac.uk", "viewer@demo.ac.uk"
GOOD_D2 = b"Ref,As of,Status,Percent complete,Note\nD2,31/10/2020,On track,80,Back on plan\n"
GOOD_D1 = b"Ref,As of,Status,Percent complete,Note\nD1,31/10/2020,Complete,100,Done\n"
BAD_D2 = b"Ref,As of,Status\nD2,31/10/2020,Purple\n"


@pytest.fixture
def session(demo_file: Path, tmp_path: Path) -> Iterator[Session]:
    """A copy of the demo database per test, with three uploads by two leads on top."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_file, path)
    with Session(open_engine(f"sqlite:///{path}")) as s:
        yield s


def _actor(s: Session, email: str) -> Actor:
    actor = actor_for(session=s, email=email)
    assert actor is not None
    return actor


def _load(s: Session, email: str, data: bytes, name: str) -> int:
    out = load_file(data, session=s, actor=_actor(s, email), filename=name)
    assert out.upload_id is not None
    return out.upload_id


def test_a_lead_sees_only_their_own_uploads_and_an_admin_all(session: Session) -> None:
    mine = _load(session, CAREERS, GOOD_D2, "d2.csv")
    bad = _load(session, CAREERS, BAD_D2, "bad.csv")
    theirs = _load(session, COP, GOOD_D1, "d1.csv")
    careers = list_uploads_for(session=session, actor=_actor(session, CAREERS))
    assert [u.id for u in careers] == [bad, mine]  # newest first
    assert {u.uploaded_by for u in careers} == {CAREERS}
    assert careers[0].outcome == "rejected" and careers[0].issues_found == 1
    assert careers[1].outcome == "loaded" and careers[1].has_file is True
    assert careers[1].kind == "updates" and careers[1].duplicate_of is None
    assert [u.id for u in list_uploads_for(session=session, actor=_actor(session, COP))] == [theirs]
    everyone = list_uploads_for(session=session, actor=_actor(session, ADMIN))
    assert len(everyone) == 14 + 3  # the demo's 14 files and the three above
    assert {mine, bad, theirs} <= {u.id for u in everyone}
    assert list_uploads_for(session=session, actor=_actor(session, VIEWER)) == []
    assert len(list_uploads_for(session=session, actor=_actor(session, ADMIN), limit=5)) == 5


@pytest.mark.parametrize(
    ("who", "whose", "allowed"),
    [
        (CAREERS, CAREERS, True),  # their own
        (CAREERS, COP, False),  # another lead's
        (COP, CAREERS, False),
        (ADMIN, CAREERS, True),  # an administrator: any
        (ADMIN, ADMIN, True),
        (VIEWER, CAREERS, False),
        ("board@demo.ac.uk", CAREERS, False),
    ],
)
def test_downloading_the_original_file(session: Session, who: str, whose: str, allowed: bool) -> None:
    data = GOOD_D2 if whose != COP else GOOD_D1
    uid = _load(session, whose, data, "original.csv")
    actor = _actor(session, who)
    if allowed:
        assert upload_file(session=session, actor=actor, upload_id=uid) == ("original.csv", data)
        assert upload_issues(session=session, actor=actor, upload_id=uid) == []
    else:
        with pytest.raises(PermissionDenied, match=f"upload {uid} was sent by someone else"):
            upload_file(session=session, actor=actor, upload_id=uid)
        with pytest.raises(PermissionDenied):
            upload_issues(session=session, actor=actor, upload_id=uid)


def test_a_rejected_file_keeps_its_bytes_and_issues(session: Session) -> None:
    uid = _load(session, CAREERS, BAD_D2, "bad.csv")
    lead = _actor(session, CAREERS)
    assert upload_file(session=session, actor=lead, upload_id=uid) == ("bad.csv", BAD_D2)
    (issue,) = upload_issues(session=session, actor=lead, upload_id=uid)
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("bad", 2, "Status", "Purple")
    assert issue.severity == "error" and issue.code
    (row,) = issue_rows([issue])  # as the Uploads page shows it
    assert (row["Sheet"], row["Row"], row["Column"], row["Value"]) == ("bad", "2", "Status", "Purple")
    assert "not a status" in row["Problem"] and row["Severity"] == "error"


def test_a_duplicate_keeps_no_bytes(session: Session) -> None:
    demo = DEMO_DIR / "updates_2020-10.xlsx"
    out = load_file(demo, session=session, actor=_actor(session, ADMIN))
    assert out.outcome == "duplicate" and out.upload_id is not None
    admin = _actor(session, ADMIN)
    with pytest.raises(ValueError, match=r"kept no copy of updates_2020-10.xlsx: .* upload 13"):
        upload_file(session=session, actor=admin, upload_id=out.upload_id)
    assert upload_file(session=session, actor=admin, upload_id=13) == (demo.name, demo.read_bytes())


def test_a_missing_upload_is_a_clear_error(session: Session) -> None:
    top = session.exec(select(func.max(Upload.id))).one()[0]  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=f"there is no upload {top + 1}"):
        upload_file(session=session, actor=_actor(session, ADMIN), upload_id=top + 1)


@pytest.mark.parametrize(
    ("email", "prefilled", "name"),
    [
        (CAREERS, ["D2"], "update_template_D2.xlsx"),
        (COP, ["D1"], "update_template_D1.xlsx"),
        (ADMIN, ["U1", "D1", "D2", "D3", "V1", "V2"], "update_template.xlsx"),
    ],
)
def test_the_template_is_prefilled_with_the_users_actions(
    session: Session, email: str, prefilled: list[str], name: str
) -> None:
    got_name, data = template_for(session=session, actor=_actor(session, email))
    assert got_name == name
    wb = read_workbook(data, filename=got_name)
    progress, lists = wb.sheet("Progress"), wb.sheet("Lists")
    assert progress is not None and lists is not None
    assert [r[0] for r in progress.rows[1:] if r and r[0]] == prefilled
    # The Ref drop-down offers every action (the loader refuses the ones that are not the lead's).
    assert [r[0] for r in lists.rows[1:] if r and r[0]] == ["U1", "D1", "D2", "D3", "V1", "V2"]


def test_issue_rows_filter_by_severity() -> None:
    issues = [
        Issue("Progress", 7, "Note", None, "note_required", "a note is required"),
        Issue("Progress", 9, "Ref", "V9", "withdrawn", "withdrawn", "warning"),
    ]
    assert [r["Row"] for r in issue_rows(issues)] == ["7", "9"]
    assert [r["Row"] for r in issue_rows(issues, severity="error")] == ["7"]
    assert issue_rows([Issue("HR", None, None, None, "no_as_of", "no as-of date")])[0]["Row"] == ""
    assert issue_rows(issues, severity="warning")[0]["Value"] == "V9"
    assert issue_rows(issues)[0]["Value"] == ""
