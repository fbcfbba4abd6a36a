"""`python -m tracker users ...` and `--as EMAIL` end to end, in a subprocess, on SQLite files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

import tracker.db
from tracker.auth import SignInError, actor_for, sign_in
from tracker.demo import DEMO_USERS
from tracker.ingest.updates import PROGRESS_COLUMNS
from tracker.models import AuditEvent, Plan, ProgressUpdate, Upload, User
from tracker.users import owned_refs

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "plan" / "ucl_2018_action_plan.xlsx"
LEAD = "careers.lead@demo.ac.uk"  # owns D2
P = list(PROGRESS_COLUMNS)
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
ACCOUNT = re.compile(r"^  (\S+@\S+)\s+(\S+)$")


def run(db: str, *args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, *map(str, args)],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def ok(db: str, *args: str | Path, stdin: str | None = None) -> str:
    p = run(db, *args, stdin=stdin)
    assert p.returncode == 0, p.stderr
    return p.stdout


@contextmanager
def session(db: str) -> Iterator[Session]:
    engine = tracker.db.make_engine(db)
    try:
        with Session(engine) as s:
            yield s
    finally:
        engine.dispose()


def count(db: str, table: Any) -> int:
    with session(db) as s:
        return int(s.exec(select(func.count()).select_from(table)).scalar_one())  # type: ignore[call-overload]


def users(db: str) -> dict[str, tuple[str, str | None, list[str]]]:
    """Every user's role, password hash and owned actions, as stored."""
    with session(db) as s:
        return {
            u.email: (u.role, u.password_hash, owned_refs(session=s, email=u.email))
            for u in s.exec(select(User)).scalars()  # type: ignore[call-overload]
        }


def last_event(db: str) -> AuditEvent | None:
    with session(db) as s:
        return s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).scalars().first()  # type: ignore[call-overload,no-any-return]


def demo_passwords(stdout: str) -> dict[str, str]:
    """The accounts `init --demo` printed, in order."""
    tail = stdout.split("demo accounts", 1)[1].splitlines()[1:]
    return dict(m.groups() for line in tail if (m := ACCOUNT.match(line)))  # type: ignore[misc]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo database made once by `init --demo` (copied for each test), and what it printed."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    out = ok(f"sqlite:///{path}", "init", "--demo")
    return path, out


@pytest.fixture
def demo(demo_template: tuple[Path, str], tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A fresh copy of the demo database for this test: (URL, the demo passwords)."""
    src, out = demo_template
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", tmp_path / f"t.db{suffix}")
    return f"sqlite:///{tmp_path / 't.db'}", demo_passwords(out)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 't.db'}"
    ok(url, "init")
    return url


# --- users add / list ------------------------------------------------------------------------------------


def test_add_a_lead_prints_a_password_once_and_lists_them(db: str, tmp_path: Path) -> None:
    ok(db, "load", DEMO_PLAN)
    out = ok(db, "users", "add", "X@Uni.ac.uk", "--role", "lead", "--actions", "D1", "--name", "Ex Lead")
    lines = out.splitlines()
    assert lines[0] == "x@uni.ac.uk: lead, owns D1"
    shown = [line for line in lines if line.startswith("password (shown once): ")]
    assert len(shown) == 1 and len(lines) == 2
    password = shown[0].removeprefix("password (shown once): ")
    assert len(password) == 16 and re.fullmatch(r"[A-Za-z0-9_-]+", password)

    listed = ok(db, "users", "list")
    header, rule, *rows = listed.splitlines()
    assert header.split() == ["email", "name", "role", "actions", "has_password"]
    assert set(rule) == {"-", " "}
    assert [r.split() for r in rows] == [["x@uni.ac.uk", "Ex", "Lead", "lead", "D1", "True"]]
    assert password not in listed

    # Never again, and never in clear: not in the database file, not in the audit log.
    assert password not in ok(db, "show", "users", "--format", "json")
    for f in tmp_path.glob("t.db*"):
        assert password.encode() not in f.read_bytes(), f.name
    with session(db) as s:
        signed_in = sign_in(session=s, email="x@uni.ac.uk", password=password)
        events = [(e.actor, e.action, e.target, e.after) for e in s.exec(select(AuditEvent)).scalars()]  # type: ignore[call-overload]
    assert (signed_in.role, signed_in.owns, signed_in.name) == ("lead", frozenset({"D1"}), "Ex Lead")
    assert ("system", "user_added", "x@uni.ac.uk", "lead") in events
    assert ("system", "action_assigned", "x@uni.ac.uk", "D1") in events


def test_add_again_changes_the_role_and_keeps_the_password(db: str) -> None:
    out = ok(db, "users", "add", "v@uni.ac.uk", "--role", "viewer")
    password = out.splitlines()[1].removeprefix("password (shown once): ")
    out = ok(db, "users", "add", "v@uni.ac.uk", "--role", "board", "--no-password")
    assert out == "v@uni.ac.uk: board\n"
    with session(db) as s:
        assert sign_in(session=s, email="v@uni.ac.uk", password=password).role == "board"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["users", "add", "x@uni.ac.uk", "--role", "lead", "--actions", "Z9"],
            "error: no action Z9 in the current plan",
        ),
        (["users", "add", "not-an-email", "--role", "viewer"], "error: 'not-an-email' is not an email address"),
        (["users", "remove", "nobody@uni.ac.uk"], "error: no user nobody@uni.ac.uk"),
        (["users", "set-password", "nobody@uni.ac.uk"], "error: no user nobody@uni.ac.uk"),
    ],
)
def test_a_bad_user_command_exits_2_and_writes_nothing(db: str, args: list[str], message: str) -> None:
    ok(db, "load", DEMO_PLAN)
    p = run(db, *args)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr.strip() == message
    assert count(db, User) == 0


def test_an_unknown_role_is_a_usage_error(db: str) -> None:
    p = run(db, "users", "add", "x@uni.ac.uk", "--role", "superuser")
    assert p.returncode == 2
    assert "invalid choice: 'superuser'" in p.stderr
    assert count(db, User) == 0


# --- --as: the same checks as the pages ------------------------------------------------------------------


@pytest.mark.parametrize("email", ["viewer@demo.ac.uk", "board@demo.ac.uk", LEAD])
@pytest.mark.parametrize(
    "args",
    [
        ["users", "list"],
        ["show", "users"],
        ["users", "add", "x@uni.ac.uk", "--role", "admin"],
        ["users", "remove", "admin@demo.ac.uk"],
        ["users", "set-password", "admin@demo.ac.uk"],
    ],
    ids=["list", "show", "add", "remove", "set-password"],
)
def test_only_an_administrator_manages_users(demo: tuple[str, dict[str, str]], email: str, args: list[str]) -> None:
    db, _ = demo
    role = next(r for e, _, r, _ in DEMO_USERS if e == email)
    users_before = users(db)
    p = run(db, "--as", email, *args)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr.startswith(f"refused: {email} is a {role}: ")
    assert p.stderr.rstrip().endswith("but not manage users")
    assert users(db) == users_before
    event = last_event(db)
    assert event is not None and (event.actor, event.action) == (email, "refused")


def test_an_administrator_manages_users_with_as(demo: tuple[str, dict[str, str]]) -> None:
    db, _ = demo
    out = ok(db, "--as", "admin@demo.ac.uk", "users", "add", "new@uni.ac.uk", "--role", "viewer")
    assert out.startswith("new@uni.ac.uk: viewer\npassword (shown once): ")
    assert "new@uni.ac.uk" in ok(db, "--as", "Admin@Demo.ac.uk", "users", "list")
    event = last_event(db)
    assert event is not None and (event.actor, event.action, event.target) == (
        "admin@demo.ac.uk",
        "user_added",
        "new@uni.ac.uk",
    )


@pytest.mark.parametrize("kind", [[], ["--kind", "plan"]], ids=["detected", "given"])
def test_a_lead_cannot_load_a_plan(demo: tuple[str, dict[str, str]], kind: list[str]) -> None:
    db, _ = demo
    plans, uploads = count(db, Plan), count(db, Upload)
    p = run(db, "load", DEMO_PLAN, "--as", LEAD, *kind)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        f"refused: {LEAD} is a lead: leads can read the dashboard and load updates for their own actions "
        "but not load action plans\n"
    )
    assert (count(db, Plan), count(db, Upload)) == (plans, uploads)
    event = last_event(db)
    assert event is not None and (event.actor, event.action, event.target) == (LEAD, "refused", DEMO_PLAN.name)


@pytest.mark.parametrize("where", ["global", "load"])
def test_a_lead_loads_only_their_own_actions(
    demo: tuple[str, dict[str, str]], tmp_path: Path, make_xlsx: MakeXlsx, where: str
) -> None:
    db, _ = demo
    when = datetime(2020, 10, 20)
    theirs = tmp_path / "d3.xlsx"
    theirs.write_bytes(make_xlsx({"Progress": [P, ["D3", when, "On track", 85, None, None]]}))
    mine = tmp_path / "d2.xlsx"
    mine.write_bytes(make_xlsx({"Progress": [P, ["D2", when, "On track", 60, None, None]]}))
    as_lead = (lambda *a: ["--as", LEAD, "load", *a]) if where == "global" else (lambda *a: ["load", *a, "--as", LEAD])
    updates = count(db, ProgressUpdate)

    p = run(db, *as_lead(theirs))
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr.splitlines() == [
        "d3.xlsx:Progress:2:Ref: D3 is not one of your actions (yours: D2): its lead or an administrator updates it",
        "d3.xlsx: 1 problem found: nothing was written",
    ]
    assert count(db, ProgressUpdate) == updates
    event = last_event(db)
    assert event is not None and (event.actor, event.action, event.target) == (LEAD, "upload_rejected", "d3.xlsx")

    out = ok(db, *as_lead(mine))
    assert re.fullmatch(
        r"d2\.xlsx: loaded as updates \(upload \d+\): 1 progress update, 0 evidence items, 0 measure values\n", out
    )
    assert count(db, ProgressUpdate) == updates + 1
    with session(db) as s:
        up = s.exec(select(Upload).order_by(col(Upload.id).desc()).limit(1)).scalars().one()  # type: ignore[call-overload]
        assert (up.filename, up.uploaded_by, up.outcome) == ("d2.xlsx", LEAD, "loaded")


@pytest.mark.parametrize("email", ["viewer@demo.ac.uk", "board@demo.ac.uk"])
def test_a_viewer_or_board_member_loads_nothing(demo: tuple[str, dict[str, str]], email: str) -> None:
    db, _ = demo
    uploads = count(db, Upload)
    p = run(db, "--as", email, "load", DEMO_PLAN)
    assert p.returncode == 2
    assert p.stderr.startswith(f"refused: {email} is a ") and "but not load updates" in p.stderr
    assert count(db, Upload) == uploads


@pytest.mark.parametrize(
    "args",
    [
        ["--as", "nobody@x", "users", "list"],
        ["--as", "nobody@x", "show", "actions"],
        ["load", str(DEMO_PLAN), "--as", "nobody@x"],
    ],
    ids=["users", "show", "load"],
)
def test_as_an_unknown_user_is_refused(demo: tuple[str, dict[str, str]], args: list[str]) -> None:
    db, _ = demo
    uploads = count(db, Upload)
    p = run(db, *args)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == "error: --as nobody@x: no such user (python -m tracker users list)\n"
    assert count(db, Upload) == uploads


# --- set-password / remove -------------------------------------------------------------------------------


@pytest.mark.parametrize("short", ["", "short", "123456789"])
def test_a_short_password_from_stdin_is_refused(demo: tuple[str, dict[str, str]], short: str) -> None:
    db, passwords = demo
    p = run(db, "users", "set-password", LEAD, "--stdin", stdin=short + "\n")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == "error: a password needs at least 10 characters\n"
    with session(db) as s:
        assert sign_in(session=s, email=LEAD, password=passwords[LEAD]).email == LEAD


@pytest.mark.parametrize("as_", [[], ["--as", "admin@demo.ac.uk"], ["--as", LEAD]], ids=["cli", "admin", "self"])
def test_a_long_password_from_stdin_is_set(demo: tuple[str, dict[str, str]], as_: list[str]) -> None:
    db, passwords = demo
    chosen = "a long and private passphrase"
    out = ok(db, *as_, "users", "set-password", LEAD, "--stdin", stdin=chosen + "\n")
    assert out == f"{LEAD}: password set\n"
    assert chosen not in out
    with session(db) as s:
        assert sign_in(session=s, email=LEAD, password=chosen).owns == {"D2"}
        with pytest.raises(SignInError, match="wrong email or password"):
            sign_in(session=s, email=LEAD, password=passwords[LEAD])
    event = last_event(db)
    assert event is not None
    assert (event.actor, event.action, event.target) == (as_[1] if as_ else "system", "password_set", LEAD)
    assert chosen not in f"{event.before}{event.after}{event.detail}"


def test_set_password_without_stdin_generates_one(demo: tuple[str, dict[str, str]]) -> None:
    db, passwords = demo
    out = ok(db, "users", "set-password", LEAD)
    m = re.fullmatch(rf"{re.escape(LEAD)}: password set \(shown once\): (\S+)\n", out)
    assert m and m.group(1) != passwords[LEAD] and len(m.group(1)) == 16
    with session(db) as s:
        assert sign_in(session=s, email=LEAD, password=m.group(1)).email == LEAD


def test_remove_a_user(demo: tuple[str, dict[str, str]]) -> None:
    db, passwords = demo
    assert ok(db, "users", "remove", LEAD) == f"{LEAD}: removed\n"
    assert LEAD not in ok(db, "users", "list")
    with session(db) as s:
        assert actor_for(session=s, email=LEAD) is None
        with pytest.raises(SignInError):
            sign_in(session=s, email=LEAD, password=passwords[LEAD])
    p = run(db, "--as", LEAD, "users", "list")
    assert (p.returncode, "no such user" in p.stderr) == (2, True)
    p = run(db, "users", "remove", LEAD)
    assert (p.returncode, p.stderr) == (2, f"error: no user {LEAD}\n")


def test_an_administrator_cannot_remove_themselves(demo: tuple[str, dict[str, str]]) -> None:
    db, _ = demo
    p = run(db, "--as", "admin@demo.ac.uk", "users", "remove", "admin@demo.ac.uk")
    assert (p.returncode, p.stderr) == (2, "error: you cannot remove your own account\n")
    assert "admin@demo.ac.uk" in ok(db, "users", "list")


# --- init --demo -----------------------------------------------------------------------------------------


def test_init_demo_prints_each_account_once_with_its_own_password(demo: tuple[str, dict[str, str]]) -> None:
    db, passwords = demo
    assert list(passwords) == [email for email, *_ in DEMO_USERS]
    assert len(passwords) == 9
    assert len(set(passwords.values())) == 9
    assert all(len(p) == 16 for p in passwords.values())
    with session(db) as s:
        for email in ("admin@demo.ac.uk", "apprentices.lead@demo.ac.uk"):
            actor = sign_in(session=s, email=email, password=passwords[email])
            assert actor.email == email
        # One account's password is not another's.
        with pytest.raises(SignInError):
            sign_in(session=s, email="board@demo.ac.uk", password=passwords["admin@demo.ac.uk"])


def test_init_demo_again_prints_no_passwords_and_changes_none(demo: tuple[str, dict[str, str]]) -> None:
    db, passwords = demo
    out = ok(db, "init", "--demo")
    assert "the database already holds a plan: demo data not loaded" in out
    assert "demo accounts" not in out
    assert not any(p in out for p in passwords.values())
    with session(db) as s:
        assert sign_in(session=s, email="viewer@demo.ac.uk", password=passwords["viewer@demo.ac.uk"]).role == "viewer"


def test_each_demo_database_gets_its_own_passwords(tmp_path: Path, demo: tuple[str, dict[str, str]]) -> None:
    _, first = demo
    second = demo_passwords(ok(f"sqlite:///{tmp_path / 'other.db'}", "init", "--demo"))
    assert set(first) == set(second)
    assert not set(first.values()) & set(second.values())
