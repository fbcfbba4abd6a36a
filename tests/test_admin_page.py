"""AppTest of the Admin page: adding, changing, resetting and removing users as an administrator, the one-time
display of generated passwords, refusals shown as messages, and no way in for anyone else."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

import tracker.queries
from tests.apputil import ADMIN, open_app
from tracker.audit import AuditEntry, list_events
from tracker.auth import SYSTEM, PermissionDenied, SignInError, actor_for, sign_in
from tracker.db import open_engine
from tracker.models import User
from tracker.records import ActionRow
from tracker.text import unescape_literal
from tracker.users import add_user, list_users, owned_refs, set_password

PAGE = "pages/admin.py"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    """This test's own copy of the demo data (conftest's, loaded once per session): these tests write."""
    copy = tmp_path / "demo.db"
    with sqlite3.connect(demo_file) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


def _session(url: str) -> Session:
    return Session(open_engine(url))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]  # e.g. Streamlit's complaint about a widget's default


def _users(at: AppTest) -> dict[str, dict[str, Any]]:
    """The Users table, by email."""
    df = at.dataframe[0].value
    assert list(df.columns) == ["Email", "Name", "Role", "Actions owned", "Has password"]
    return {r["Email"]: r for r in df.to_dict("records")}


def _button(at: AppTest, label: str) -> Any:
    (b,) = [b for b in at.button if b.label == label]
    return b


def _add(at: AppTest, email: str, *, role: str = "viewer", name: str = "", refs: tuple[str, ...] = ()) -> None:
    at.text_input(key="add_email").input(email)
    at.text_input(key="add_name").input(name)
    at.selectbox(key="add_role").select(role)
    at.multiselect(key="add_actions").set_value(list(refs))
    _button(at, "Add user").click().run()
    _ok(at)


def _events(url: str, action: str) -> list[AuditEntry]:
    with _session(url) as s:
        return list_events(session=s, actor=SYSTEM, action=action)


def test_the_page_lists_every_user(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    assert at.title[0].value == "Admin"
    users = _users(at)
    assert len(users) == 9
    assert users["careers.lead@demo.ac.uk"]["Role"] == "lead"
    assert users["careers.lead@demo.ac.uk"]["Actions owned"] == "D2"
    assert users["viewer@demo.ac.uk"]["Actions owned"] == ""
    assert users[ADMIN]["Has password"] is False  # the demo load sets none; `init --demo` generates them
    assert not at.code  # no password on show until one is generated


def test_add_a_lead_shows_the_generated_password_once(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    _add(at, "New.Lead@Demo.ac.uk", role="lead", name="New Lead", refs=("D1", "V2"))
    assert not at.error
    assert "Added new.lead@demo.ac.uk (lead)" in unescape_literal(at.success[0].value)
    assert "shown once" in unescape_literal(at.success[0].value)
    (code,) = at.code
    password = code.value
    assert len(password) >= 16
    assert password not in unescape_literal(at.success[0].value)
    row = _users(at)["new.lead@demo.ac.uk"]
    assert (row["Name"], row["Role"], row["Actions owned"], row["Has password"]) == ("New Lead", "lead", "D1, V2", True)
    assert at.text_input(key="add_email").value == ""  # the form starts afresh

    with _session(db) as s:
        actor = sign_in(session=s, email="new.lead@demo.ac.uk", password=password)
    assert (actor.role, actor.owns) == ("lead", frozenset({"D1", "V2"}))
    added = [e for e in _events(db, "user_added") if e.target == "new.lead@demo.ac.uk"]
    assert [(e.actor, e.after) for e in added] == [(ADMIN, "lead")]
    every_event = " ".join(str(v) for e in _events(db, "") for v in e.export_row().values())
    assert password not in every_event  # never in the audit log

    at.run()  # any later run: the password is gone from the page for good
    _ok(at)
    assert not at.code
    assert not at.success


def test_add_without_a_password_means_single_sign_on_only(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    at.checkbox(key="add_generate").uncheck()
    _add(at, "sso.only@demo.ac.uk", role="board")
    assert not at.code
    assert "without a password" in unescape_literal(at.success[0].value)
    assert _users(at)["sso.only@demo.ac.uk"]["Has password"] is False


def test_add_refuses_a_bad_email_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    _add(at, "not-an-email", role="lead", refs=("D1",))
    assert "'not-an-email' is not an email address" in unescape_literal(at.error[0].value)
    assert not at.success and not at.code
    assert len(_users(at)) == 9
    assert at.text_input(key="add_email").value == "not-an-email"  # kept, to be corrected
    assert _events(db, "user_added")[0].actor == "system"  # only the demo's own


def test_add_refuses_an_existing_email(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    _add(at, "Viewer@demo.ac.uk", role="admin")
    assert "viewer@demo.ac.uk already has an account" in unescape_literal(at.error[0].value)
    with _session(db) as s:
        assert actor_for(session=s, email="viewer@demo.ac.uk").role == "viewer"  # type: ignore[union-attr]


def test_add_refuses_an_unknown_ref_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    """A ref the plan no longer has (the page was drawn before a new plan was loaded): refused, no user made."""
    real = tracker.queries.list_actions

    def with_stale_ref(
        *, session: Session, plan_id: int | None = None, include_withdrawn: bool = True, as_of: Any = None
    ) -> list[ActionRow]:
        rows = real(session=session, plan_id=plan_id, include_withdrawn=include_withdrawn, as_of=as_of)
        return [*rows, replace(rows[0], ref="Z9")]

    monkeypatch.setattr(tracker.queries, "list_actions", with_stale_ref)
    at = open_app(monkeypatch, db, page=PAGE)
    assert "Z9" in at.multiselect(key="add_actions").options
    _add(at, "stale@demo.ac.uk", role="lead", refs=("D1", "Z9"))
    assert "no action Z9 in the current plan" in unescape_literal(at.error[0].value)
    assert not at.code
    with _session(db) as s:
        assert actor_for(session=s, email="stale@demo.ac.uk") is None
        assert s.exec(select(User).where(col(User.email) == "stale@demo.ac.uk")).first() is None  # type: ignore[call-overload]
    assert not [e for e in _events(db, "") if "stale@" in e.target]


def test_change_a_role_and_the_actions_owned(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    at.selectbox(key="chg_user").select("viewer@demo.ac.uk").run()
    _ok(at)
    assert at.selectbox(key="chg_role").value == "viewer"  # pre-set to what they have
    assert at.multiselect(key="chg_actions").value == []
    at.selectbox(key="chg_role").select("lead")
    at.multiselect(key="chg_actions").set_value(["D3"])
    at.button(key="chg_save").click().run()
    _ok(at)
    assert not at.error
    assert "Saved viewer@demo.ac.uk: lead, owning D3" in unescape_literal(at.success[0].value)
    assert _users(at)["viewer@demo.ac.uk"]["Role"] == "lead"
    with _session(db) as s:
        assert actor_for(session=s, email="viewer@demo.ac.uk").role == "lead"  # type: ignore[union-attr]
        assert owned_refs(session=s, email="viewer@demo.ac.uk") == ["D3"]
    changed = [e for e in _events(db, "user_changed") if e.target == "viewer@demo.ac.uk"]
    assert [(e.actor, e.before, e.after) for e in changed] == [(ADMIN, "viewer", "lead")]

    # A lead's actions: pre-set to what they own; take D2 away, give D1.
    at.selectbox(key="chg_user").select("careers.lead@demo.ac.uk").run()
    assert at.multiselect(key="chg_actions").value == ["D2"]
    at.multiselect(key="chg_actions").set_value(["D1"])
    at.button(key="chg_save").click().run()
    _ok(at)
    with _session(db) as s:
        assert owned_refs(session=s, email="careers.lead@demo.ac.uk") == ["D1"]
    assert [e.before for e in _events(db, "action_unassigned")] == ["D2"]
    assert _users(at)["careers.lead@demo.ac.uk"]["Actions owned"] == "D1"


def test_saving_with_nothing_changed_writes_nothing(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    at.selectbox(key="chg_user").select("board@demo.ac.uk").run()
    at.button(key="chg_save").click().run()
    _ok(at)
    assert unescape_literal(at.info[0].value) == "Nothing to change."
    assert not _events(db, "user_changed")


def test_reset_a_password(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    with _session(db) as s:
        set_password(session=s, email="board@demo.ac.uk", password="the old board password")
        s.commit()
    at = open_app(monkeypatch, db, page=PAGE)
    assert at.button(key="rst_go").disabled  # nobody chosen yet
    at.selectbox(key="rst_user").select("board@demo.ac.uk").run()
    at.button(key="rst_go").click().run()
    _ok(at)
    assert "New password for board@demo.ac.uk" in unescape_literal(at.success[0].value)
    (code,) = at.code
    with _session(db) as s:
        with pytest.raises(SignInError):
            sign_in(session=s, email="board@demo.ac.uk", password="the old board password")
        assert sign_in(session=s, email="board@demo.ac.uk", password=code.value).role == "board"
    assert at.selectbox(key="rst_user").value is None
    at.run()
    assert not at.code


def test_remove_a_user_but_not_yourself(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    at.selectbox(key="rm_user").select("events.lead@demo.ac.uk").run()
    assert at.button(key="rm_go").disabled  # not until the box is ticked
    at.checkbox(key="rm_confirm").check().run()
    at.button(key="rm_go").click().run()
    _ok(at)
    assert unescape_literal(at.success[0].value) == "Removed events.lead@demo.ac.uk."
    assert "events.lead@demo.ac.uk" not in _users(at)
    with _session(db) as s:
        assert actor_for(session=s, email="events.lead@demo.ac.uk") is None
    assert at.checkbox(key="rm_confirm").value is False  # the confirmation does not carry over

    at.selectbox(key="rm_user").select(ADMIN).run()
    at.checkbox(key="rm_confirm").check().run()
    at.button(key="rm_go").click().run()
    _ok(at)
    assert "you cannot remove your own account" in unescape_literal(at.error[0].value)
    assert ADMIN in _users(at)


@pytest.mark.parametrize("email", ["viewer@demo.ac.uk", "board@demo.ac.uk", "careers.lead@demo.ac.uk"])
def test_no_one_else_reaches_the_page(monkeypatch: pytest.MonkeyPatch, db: str, email: str) -> None:
    at = open_app(monkeypatch, db, as_user=email)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_tracker_refuses_a_lead_managing_users(db: str) -> None:
    with _session(db) as s:
        lead = actor_for(session=s, email="careers.lead@demo.ac.uk")
        assert lead is not None
        with pytest.raises(PermissionDenied, match=r"careers\.lead@demo\.ac\.uk is a lead: .* but not manage users"):
            add_user(session=s, email="x@demo.ac.uk", role="admin", password="generate", actor=lead)
        with pytest.raises(PermissionDenied):
            list_users(session=s, actor=lead)
        with pytest.raises(PermissionDenied):
            set_password(session=s, email=ADMIN, actor=lead)
