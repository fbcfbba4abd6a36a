"""Permissions at the tracker layer: every role against every operation, on SQLite and PostgreSQL.

The demo data set gives one account per role. Each cell of `MATRIX` runs one operation as one role on a fresh
database and checks the outcome: allowed (and what it wrote), refused (PermissionDenied saying why, nothing
written, the refusal logged) or rejected (a lead's file touching another lead's action: nothing written, the
issue code on the row, the attempt kept as a rejected upload).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel, col

from tracker import audit, queries
from tracker.auth import OPERATIONS, ROLE_CAN, SYSTEM, WHAT, Actor, PermissionDenied, actor_for, require, sign_in
from tracker.demo import DEMO_USERS
from tracker.ingest.updates import EVIDENCE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import LoadOutcome, load_file
from tracker.models import (
    Action,
    ActionRevision,
    AuditEvent,
    Evidence,
    Measure,
    MeasureValue,
    Plan,
    ProgressUpdate,
    Round,
    RoundAction,
    Upload,
    User,
    UserAction,
    WorkforceRecord,
)
from tracker.rounds import close_round, open_round, reminders, round_status
from tracker.users import add_user, assign_actions, list_users, remove_user, set_password, unassign_actions

if TYPE_CHECKING:
    from tests.conftest import DemoCopies

try:
    from tracker import history
except ImportError:  # being written: its cells skip until it lands
    history = None  # type: ignore[assignment]

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
DATA_TABLES: tuple[type[SQLModel], ...] = (
    Plan,
    Action,
    ActionRevision,
    ProgressUpdate,
    Evidence,
    Measure,
    MeasureValue,
    WorkforceRecord,
    User,
    UserAction,
    Round,
    RoundAction,
)
EMAILS = {
    "viewer": "viewer@demo.ac.uk",
    "lead": "careers.lead@demo.ac.uk",  # owns D2
    "board": "board@demo.ac.uk",
    "admin": "admin@demo.ac.uk",
}
ROLES = tuple(EMAILS)
OTHER_LEAD = "apprentices.lead@demo.ac.uk"  # owns D3
NEW_PASSWORD = "a long enough new passphrase"
P = list(PROGRESS_COLUMNS)
E = list(EVIDENCE_COLUMNS)
OCT = datetime(2020, 10, 20)
OWN_UPDATE = {  # D2: careers.lead's action
    "Progress": [P, ["D2", OCT, "On track", 60, "Pathways agreed", None]],
    "Evidence": [E, ["D2", OCT, "Career pathways published", "document", None, None, None, None]],
}
OTHER_UPDATE = {  # D3: apprentices.lead's action
    "Progress": [P, ["D3", OCT, "On track", 85, None, None]],
    "Evidence": [E, ["D3", OCT, "Apprentice cohort started", "event", None, None, None, None]],
}
MIXED_UPDATE = {"Progress": [P, ["D2", OCT, "On track", 60, None, None], ["D3", OCT, "On track", 85, None, None]]}
PLAN = {
    "Plan": [
        ["Organisation: Test University"],
        ["24-month action plan, November 2018 – October 2020"],
        [],
        ["Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"],
        ["Understand", "Know our skills", "Skills survey", "Skills mapped", "HR", "X", None, None, "X"],
        ["Develop", "Share practice", "Communities of practice", "More CPD", "HR", "X", None, "X", "X"],
        ["Develop", "Progression", "Career pathways", "Clarity", "HR", None, "X", "X", "X"],
    ]
}
WORKFORCE_CSV = (
    b"As at,Faculty,Sex,FTE\r\n"
    b"31/01/2019,Engineering,M,1\r\n"
    b"31/01/2019,Engineering,M,0.5\r\n"
    b"31/01/2019,Engineering,F,1\r\n"
    b"31/01/2019,Life Sciences,Female,0.8\r\n"
)

ALLOWED, REFUSED, REJECTED = "allowed", "refused", "rejected (not_your_action)"
A, R, X = ALLOWED, REFUSED, REJECTED

# The specification: what each role may do. Columns in the order of ROLES: viewer, lead, board, admin.
MATRIX: dict[str, tuple[str, str, str, str]] = {
    "read the dashboard": (A, A, A, A),
    "load a plan file": (R, R, R, A),
    "load a workforce file": (R, R, R, A),
    "load updates for one's own action": (R, A, R, A),
    "load updates for another lead's action": (R, X, R, A),
    "load a file mixing own and another's action": (R, X, R, A),
    "add a user": (R, R, R, A),
    "make oneself an administrator": (R, R, R, A),
    "change someone's role": (R, R, R, A),
    "assign an action to a lead": (R, R, R, A),
    "take an action from a lead": (R, R, R, A),
    "remove a user": (R, R, R, A),
    "set someone else's password": (R, R, R, A),
    "set one's own password": (A, A, A, A),
    "list users": (R, R, R, A),
    "read the audit log": (R, R, R, A),
    "count audit events": (R, R, R, A),
    "list who is in the audit log": (R, R, R, A),
    "build a board pack": (R, R, A, A),
    "see exact figures": (R, R, R, A),
    "download another's upload": (R, R, R, A),
    "download one's own upload": (A, A, A, A),
    "open an update round": (R, R, R, A),
    "close an update round": (R, R, R, A),
    "preview a round's reminders": (R, R, R, A),
    "read an update round": (A, A, A, A),
}
# Checks that touch no database (the role alone decides) run on SQLite only; the rest on both backends.
PURE = ("read the dashboard", "build a board pack", "see exact figures")


def _cells(ops: list[str]) -> list[Any]:
    return [pytest.param(op, role, MATRIX[op][i], id=f"{op}|{role}") for op in ops for i, role in enumerate(ROLES)]


CELLS = _cells([op for op in MATRIX if op not in PURE])
PURE_CELLS = _cells(list(PURE))


# --- fixtures and helpers --------------------------------------------------------------------------------


@dataclass
class Ctx:
    engine: Engine
    make_xlsx: MakeXlsx
    own_upload: dict[str, int]  # email → an upload they sent
    other_upload: int  # an upload OTHER_LEAD sent


@pytest.fixture
def ctx(demo_engine: Engine, make_xlsx: MakeXlsx) -> Ctx:
    """The demo data set on a fresh database, plus one kept upload per account (for the download cells)."""
    return demo_ctx(demo_engine, make_xlsx)


@pytest.fixture
def sqlite_demo(demo_copies: DemoCopies) -> Engine:
    """The demo data set on a fresh in-memory SQLite database."""
    return demo_copies.sqlite_memory_engine()


@pytest.fixture
def sqlite_ctx(sqlite_demo: Engine, make_xlsx: MakeXlsx) -> Ctx:
    return demo_ctx(sqlite_demo, make_xlsx)


def demo_ctx(engine: Engine, make_xlsx: MakeXlsx) -> Ctx:
    """`engine` (holding the demo) with one kept upload per account added."""
    with Session(engine) as s:
        ids = {}
        for email in [*EMAILS.values(), OTHER_LEAD]:
            content = f"the file {email} sent".encode()
            sha = hashlib.sha256(content).hexdigest()  # loaded bytes are unique: each user sent a different file
            up = Upload(filename=f"{email}.xlsx", sha256=sha, kind="updates", uploaded_by=email, outcome="loaded")
            up.content = content
            s.add(up)
            s.flush()
            assert up.id is not None
            ids[email] = up.id
        s.commit()
    return Ctx(engine, make_xlsx, ids, ids[OTHER_LEAD])


def actor(engine: Engine, email: str) -> Actor:
    with Session(engine) as s:
        found = actor_for(session=s, email=email)
    assert found is not None, email
    return found


def state(engine: Engine) -> dict[str, Any]:
    """Everything a write could change (read in a fresh session: only what was committed)."""
    with Session(engine) as s:
        counts = {t.__name__: s.exec(select(func.count()).select_from(t)).scalar_one() for t in DATA_TABLES}  # type: ignore[call-overload]
        users = {
            u.email: (u.role, u.name, u.password_hash, u.failed_logins, u.locked_until)
            for u in s.exec(select(User)).scalars()  # type: ignore[call-overload]
        }
        uploads = s.exec(select(func.count()).select_from(Upload)).scalar_one()  # type: ignore[call-overload]
        last_event = s.exec(select(func.max(AuditEvent.id))).scalar_one() or 0  # type: ignore[call-overload]
    return {"counts": counts, "users": users, "uploads": uploads, "last_event": last_event}


def events_since(engine: Engine, last: int) -> list[AuditEvent]:
    with Session(engine) as s:
        q = select(AuditEvent).where(col(AuditEvent.id) > last).order_by(col(AuditEvent.id))
        return list(s.exec(q).scalars())  # type: ignore[call-overload]


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {k: after["counts"][k] - v for k, v in before["counts"].items() if after["counts"][k] != v}


def latest_status(engine: Engine, ref: str) -> str:
    with Session(engine) as s:
        return next(a.status for a in queries.list_actions(session=s) if a.ref == ref)


def load(c: Ctx, who: Actor, data: bytes, filename: str, **kw: Any) -> LoadOutcome:
    with Session(c.engine) as s:
        return load_file(data, filename=filename, session=s, actor=who, **kw)


def in_tx(c: Ctx, fn: Callable[[Session], Any]) -> Any:
    """Run `fn` the way the command line and the Admin page do: one session, committed if it returns."""
    with Session(c.engine) as s:
        result = fn(s)
        s.commit()
        return result


def download(c: Ctx, who: Actor, upload_id: int) -> tuple[str, bytes]:
    if history is None:
        pytest.skip("tracker.history is not there yet")
    with Session(c.engine) as s:
        return history.upload_file(session=s, actor=who, upload_id=upload_id)


# --- the operations --------------------------------------------------------------------------------------
# Each runs the operation as `who`; `check` asserts the effect of an allowed run from (result, before, after).


@dataclass
class Op:
    run: Callable[[Ctx, Actor], Any]
    check: Callable[[Ctx, Actor, Any, dict[str, Any], dict[str, Any]], None]
    # In a refusal's message: what the actor may not do (viewers and board members are refused any load
    # before the file is read, so for them a load is refused as "load updates").
    refused_as: str
    logged: bool = True  # whether a refusal can be logged: pure checks have no database to log to


def _loaded(kind: str, want: dict[str, int]) -> Callable[[Ctx, Actor, Any, dict[str, Any], dict[str, Any]], None]:
    def check(c: Ctx, who: Actor, out: LoadOutcome, before: dict[str, Any], after: dict[str, Any]) -> None:
        assert (out.outcome, out.kind) == ("loaded", kind), out.result and out.result.issue_lines()
        assert delta(before, after) == want
        assert after["uploads"] == before["uploads"] + 1
        with Session(c.engine) as s:
            up = s.get(Upload, out.upload_id)
            assert up is not None and (up.outcome, up.uploaded_by) == ("loaded", who.email)
        events = events_since(c.engine, before["last_event"])
        assert events[0].action == f"load_{kind}" and {e.actor for e in events} == {who.email}
        assert {e.upload_id for e in events} == {out.upload_id}
        assert [(e.action, e.target, e.before, e.after) for e in events[1:]] == [
            (ch["change"], ch["target"], ch["before"], ch["after"]) for ch in out.changes
        ]

    return check


def _check_own_update(c: Ctx, who: Actor, out: LoadOutcome, before: dict[str, Any], after: dict[str, Any]) -> None:
    _loaded("updates", {"ProgressUpdate": 1, "Evidence": 1})(c, who, out, before, after)
    assert [(ch["change"], ch["target"], ch["before"], ch["after"]) for ch in out.changes] == [
        ("status", "D2", "delayed", "on track"),
        ("evidence", "D2", "", "document"),
    ]
    assert latest_status(c.engine, "D2") == "on track"


def _check_user_added(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    _, password = result
    assert delta(before, after) == {"User": 1}
    assert after["users"]["new.viewer@uni.ac.uk"][:2] == ("viewer", "New Viewer")
    with Session(c.engine) as s:
        assert sign_in(session=s, email="new.viewer@uni.ac.uk", password=password).role == "viewer"
    assert [(e.action, e.actor, e.target, e.after) for e in events_since(c.engine, before["last_event"])] == [
        ("user_added", who.email, "new.viewer@uni.ac.uk", "viewer")
    ]


def _check_self_admin(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after["users"] == before["users"] and delta(before, after) == {}
    assert actor(c.engine, who.email).role == "admin"


def _check_role_changed(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after["users"][OTHER_LEAD][0] == "viewer" and before["users"][OTHER_LEAD][0] == "lead"
    assert actor(c.engine, OTHER_LEAD).role == "viewer"
    assert [(e.action, e.before, e.after) for e in events_since(c.engine, before["last_event"])] == [
        ("user_changed", "lead", "viewer")
    ]


def _check_assigned(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert result == ["D1", "D2"]
    assert delta(before, after) == {"UserAction": 1}
    assert actor(c.engine, EMAILS["lead"]).owns == {"D1", "D2"}


def _check_unassigned(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert result == []
    assert delta(before, after) == {"UserAction": -1}
    assert actor(c.engine, OTHER_LEAD).owns == frozenset()


def _check_removed(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert delta(before, after) == {"User": -1, "UserAction": -1}
    assert OTHER_LEAD not in after["users"]
    with Session(c.engine) as s:
        assert actor_for(session=s, email=OTHER_LEAD) is None


def _password_changed(email: str) -> Callable[[Ctx, Actor, Any, dict[str, Any], dict[str, Any]], None]:
    def check(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
        assert result is None
        assert delta(before, after) == {}
        changed = {e for e in after["users"] if after["users"][e] != before["users"][e]}
        assert changed == {email}
        with Session(c.engine) as s:
            assert sign_in(session=s, email=email, password=NEW_PASSWORD).email == email
        assert [(e.action, e.actor, e.target) for e in events_since(c.engine, before["last_event"])] == [
            ("password_set", who.email, email)
        ]

    return check


def _check_users_listed(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert sorted(u["email"] for u in result) == sorted(e for e, *_ in DEMO_USERS)
    assert {u["email"]: u["actions"] for u in result}[EMAILS["lead"]] == ["D2"]
    assert after == before


def _check_round_opened(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert (result.name, result.expected) == (
        "Q1 2021",
        3,
    )  # the demo's D2, D3 and V2 are neither complete nor withdrawn
    assert delta(before, after) == {"Round": 1, "RoundAction": 3}
    assert [(e.action, e.actor, e.target) for e in events_since(c.engine, before["last_event"])] == [
        ("round_opened", who.email, "Q1 2021")
    ]


def _check_round_closed(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert (result.name, result.is_open) == ("November 2020", False)
    assert delta(before, after) == {}
    assert [(e.action, e.actor, e.target) for e in events_since(c.engine, before["last_event"])] == [
        ("round_closed", who.email, "November 2020")
    ]


def _check_audit_read(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert len(result) == before["last_event"] > 0
    assert result[0].id == before["last_event"]
    assert after == before


def _check_unchanged(expected: Any) -> Callable[[Ctx, Actor, Any, dict[str, Any], dict[str, Any]], None]:
    def check(c: Ctx, who: Actor, result: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
        assert result == expected(c, who) if callable(expected) else result == expected
        assert after == before

    return check


def _can(operation: str) -> Callable[[Ctx, Actor], bool]:
    def run(c: Ctx, who: Actor) -> bool:
        require(who, operation)  # raises PermissionDenied when the role may not
        return who.can(operation)

    return run


OPS: dict[str, Op] = {
    "read the dashboard": Op(_can("read"), _check_unchanged(True), WHAT["read"], logged=False),
    "load a plan file": Op(
        lambda c, who: load(c, who, c.make_xlsx(PLAN), "plan.xlsx"),
        _loaded("plan", {"Plan": 1, "Action": 3, "ActionRevision": 3}),
        WHAT["load_plan"],
    ),
    "load a workforce file": Op(
        lambda c, who: load(c, who, WORKFORCE_CSV, "hr.csv"),
        _loaded("workforce", {"WorkforceRecord": 3}),
        WHAT["load_workforce"],
    ),
    "load updates for one's own action": Op(
        lambda c, who: load(c, who, c.make_xlsx(OWN_UPDATE), "d2.xlsx"), _check_own_update, WHAT["load_updates"]
    ),
    "load updates for another lead's action": Op(
        lambda c, who: load(c, who, c.make_xlsx(OTHER_UPDATE), "d3.xlsx"),
        _loaded("updates", {"ProgressUpdate": 1, "Evidence": 1}),
        WHAT["load_updates"],
    ),
    "load a file mixing own and another's action": Op(
        lambda c, who: load(c, who, c.make_xlsx(MIXED_UPDATE), "mixed.xlsx"),
        _loaded("updates", {"ProgressUpdate": 2}),
        WHAT["load_updates"],
    ),
    "add a user": Op(
        lambda c, who: in_tx(
            c,
            lambda s: add_user(
                session=s,
                email="New.Viewer@uni.ac.uk",
                role="viewer",
                name="New Viewer",
                password="generate",
                actor=who,
            ),
        ),
        _check_user_added,
        WHAT["manage_users"],
    ),
    "make oneself an administrator": Op(
        lambda c, who: in_tx(c, lambda s: add_user(session=s, email=who.email, role="admin", actor=who)),
        _check_self_admin,
        WHAT["manage_users"],
    ),
    "change someone's role": Op(
        lambda c, who: in_tx(c, lambda s: add_user(session=s, email=OTHER_LEAD, role="viewer", actor=who)),
        _check_role_changed,
        WHAT["manage_users"],
    ),
    "assign an action to a lead": Op(
        lambda c, who: in_tx(c, lambda s: assign_actions(session=s, email=EMAILS["lead"], refs=["D1"], actor=who)),
        _check_assigned,
        WHAT["manage_users"],
    ),
    "take an action from a lead": Op(
        lambda c, who: in_tx(c, lambda s: unassign_actions(session=s, email=OTHER_LEAD, refs=["D3"], actor=who)),
        _check_unassigned,
        WHAT["manage_users"],
    ),
    "remove a user": Op(
        lambda c, who: in_tx(c, lambda s: remove_user(session=s, email=OTHER_LEAD, actor=who)),
        _check_removed,
        WHAT["manage_users"],
    ),
    "set someone else's password": Op(
        lambda c, who: in_tx(c, lambda s: set_password(session=s, email=OTHER_LEAD, password=NEW_PASSWORD, actor=who)),
        _password_changed(OTHER_LEAD),
        WHAT["manage_users"],
    ),
    "set one's own password": Op(
        lambda c, who: in_tx(c, lambda s: set_password(session=s, email=who.email, password=NEW_PASSWORD, actor=who)),
        lambda c, who, result, before, after: _password_changed(who.email)(c, who, result, before, after),
        WHAT["manage_users"],
    ),
    "list users": Op(
        lambda c, who: in_tx(c, lambda s: list_users(session=s, actor=who)), _check_users_listed, WHAT["manage_users"]
    ),
    "open an update round": Op(
        lambda c, who: in_tx(
            c, lambda s: open_round(session=s, actor=who, name="Q1 2021", start=date(2021, 1, 1), due=date(2021, 1, 22))
        ),
        _check_round_opened,
        WHAT["manage_rounds"],
    ),
    "close an update round": Op(
        lambda c, who: in_tx(c, lambda s: close_round(session=s, actor=who)), _check_round_closed, WHAT["manage_rounds"]
    ),
    "preview a round's reminders": Op(
        lambda c, who: in_tx(c, lambda s: [r.to for r in reminders(session=s, actor=who)[1]]),
        _check_unchanged(["apprentices.lead@demo.ac.uk", "careers.lead@demo.ac.uk", "events.lead@demo.ac.uk"]),
        WHAT["manage_rounds"],
    ),
    "read an update round": Op(
        lambda c, who: in_tx(c, lambda s: [a.ref for a in round_status(session=s).actions]),
        _check_unchanged(["D2", "D3", "V2"]),
        WHAT["read"],
    ),
    "read the audit log": Op(
        lambda c, who: in_tx(c, lambda s: audit.list_events(session=s, actor=who)),
        _check_audit_read,
        WHAT["read_audit"],
    ),
    "count audit events": Op(
        lambda c, who: in_tx(c, lambda s: audit.count_events(session=s, actor=who)),
        lambda c, who, result, before, after: _check_unchanged(before["last_event"])(c, who, result, before, after),
        WHAT["read_audit"],
    ),
    "list who is in the audit log": Op(
        lambda c, who: in_tx(c, lambda s: audit.audit_actors(session=s, actor=who)),
        _check_unchanged(["system"]),  # the demo data was loaded by the command line
        WHAT["read_audit"],
    ),
    "build a board pack": Op(_can("build_pack"), _check_unchanged(True), WHAT["build_pack"], logged=False),
    "see exact figures": Op(_can("see_exact_figures"), _check_unchanged(True), WHAT["see_exact_figures"], logged=False),
    "download another's upload": Op(
        lambda c, who: download(c, who, c.other_upload),
        _check_unchanged((f"{OTHER_LEAD}.xlsx", f"the file {OTHER_LEAD} sent".encode())),
        "download",
        logged=False,  # tracker.history does not log a refused download (see the report)
    ),
    "download one's own upload": Op(
        lambda c, who: download(c, who, c.own_upload[who.email]),
        lambda c, who, result, before, after: _check_unchanged(
            (f"{who.email}.xlsx", f"the file {who.email} sent".encode())
        )(c, who, result, before, after),
        "download",
    ),
}


# --- the matrix ------------------------------------------------------------------------------------------


def test_the_matrix_covers_every_operation_and_role() -> None:
    assert set(OPS) == set(MATRIX)
    assert set(ROLES) == set(ROLE_CAN)
    named = {"read", "build_pack", "load_plan", "load_workforce", "load_updates", "manage_users", "read_audit"}
    named |= {"see_exact_figures", "download_any_upload", "manage_rounds"}
    assert set(OPERATIONS) == named, "a new operation: add it to MATRIX"
    # The single-operation rows agree with OPERATIONS (the rest are checked cell by cell below).
    for row, operation in (
        ("read the dashboard", "read"),
        ("build a board pack", "build_pack"),
        ("load a plan file", "load_plan"),
        ("load a workforce file", "load_workforce"),
        ("list users", "manage_users"),
        ("read the audit log", "read_audit"),
        ("see exact figures", "see_exact_figures"),
        ("download another's upload", "download_any_upload"),
        ("open an update round", "manage_rounds"),
    ):
        assert [r for r, outcome in zip(ROLES, MATRIX[row], strict=True) if outcome == ALLOWED] == list(
            OPERATIONS[operation]
        ), row


@pytest.mark.parametrize(("op", "role", "expected"), PURE_CELLS)
def test_permission_by_role_alone(sqlite_ctx: Ctx, op: str, role: str, expected: str) -> None:
    test_permission(sqlite_ctx, op, role, expected)


@pytest.mark.parametrize(("op", "role", "expected"), CELLS)
def test_permission(ctx: Ctx, op: str, role: str, expected: str) -> None:
    spec = OPS[op]
    who = actor(ctx.engine, EMAILS[role])
    assert who.role == role
    before = state(ctx.engine)

    if expected == ALLOWED:
        result = spec.run(ctx, who)
        spec.check(ctx, who, result, before, state(ctx.engine))
        return

    if expected == REJECTED:
        out = spec.run(ctx, who)
        assert isinstance(out, LoadOutcome) and out.result is not None
        assert out.outcome == "rejected"
        errors = [(i.sheet, i.row, i.column, i.value, i.code) for i in out.result.errors]
        assert errors == [
            (sheet, 3 if op.startswith("load a file mixing") else 2, "Ref", "D3", "not_your_action")
            for sheet in (("Progress",) if "mixing" in op else ("Progress", "Evidence"))
        ]
        for issue in out.result.errors:
            assert issue.message == "D3 is not one of your actions (yours: D2): its lead or an administrator updates it"
        after = state(ctx.engine)
        # Nothing written but the record of the attempt.
        assert (after["counts"], after["users"]) == (before["counts"], before["users"])
        assert after["uploads"] == before["uploads"] + 1
        with Session(ctx.engine) as s:
            up = s.get(Upload, out.upload_id)
            assert up is not None
            assert (up.outcome, up.uploaded_by, up.issues_found) == ("rejected", who.email, len(errors))
            assert {i["code"] for i in up.issues} == {"not_your_action"}
        assert [(e.action, e.actor, e.upload_id) for e in events_since(ctx.engine, before["last_event"])] == [
            ("upload_rejected", who.email, out.upload_id)
        ]
        assert latest_status(ctx.engine, "D3") == "on track" and latest_status(ctx.engine, "D2") == "delayed"
        return

    assert expected == REFUSED
    with pytest.raises(PermissionDenied) as exc:
        spec.run(ctx, who)
    message = str(exc.value)
    # It says why: who, their role, what the role can do, and what it cannot.
    assert f"{who.email} is a {role}" in message
    assert ROLE_CAN[role] in message
    assert (
        WHAT["load_updates"] if op.startswith("load") and role in ("viewer", "board") else spec.refused_as
    ) in message
    # Nothing written: not a row, not an upload record, not a user.
    after = state(ctx.engine)
    assert after["counts"] == before["counts"]
    assert after["users"] == before["users"]
    assert after["uploads"] == before["uploads"]
    events = [(e.action, e.actor, e.detail) for e in events_since(ctx.engine, before["last_event"])]
    assert events == ([("refused", who.email, message)] if spec.logged else [])


# --- ownership and roles change with the next actor ------------------------------------------------------


def test_a_removed_user_has_no_actor_and_cannot_sign_in(demo_engine: Engine) -> None:
    engine = demo_engine
    with Session(engine) as s:
        set_password(session=s, email=OTHER_LEAD, password=NEW_PASSWORD)
        s.commit()
        assert sign_in(session=s, email=OTHER_LEAD, password=NEW_PASSWORD).owns == {"D3"}
        remove_user(session=s, email=OTHER_LEAD)
        s.commit()
    with Session(engine) as s:
        assert actor_for(session=s, email=OTHER_LEAD) is None
        with pytest.raises(Exception, match="wrong email or password"):
            sign_in(session=s, email=OTHER_LEAD, password=NEW_PASSWORD)
        # Their uploads and audit entries stay, by email; their actions are free for another lead.
        assert s.exec(select(func.count()).select_from(UserAction)).scalar_one() == 5  # type: ignore[call-overload]


def test_an_administrator_cannot_remove_their_own_account(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        admin = actor_for(session=s, email=EMAILS["admin"])
        assert admin is not None
        with pytest.raises(ValueError, match="you cannot remove your own account"):
            remove_user(session=s, email="Admin@Demo.ac.uk", actor=admin)
        s.rollback()
        assert actor_for(session=s, email=EMAILS["admin"]) == admin


@pytest.mark.parametrize(
    ("email", "new_role", "actions", "may_load_d1"),
    [
        ("viewer@demo.ac.uk", "lead", ["D1"], True),  # promoted: loads their new action
        ("careers.lead@demo.ac.uk", "viewer", [], False),  # demoted: loads nothing
        ("board@demo.ac.uk", "admin", [], True),  # promoted: loads anything
        ("admin@demo.ac.uk", "board", [], False),  # demoted
    ],
)
def test_a_role_change_takes_effect_for_the_next_actor(
    sqlite_demo: Engine, make_xlsx: MakeXlsx, email: str, new_role: str, actions: list[str], may_load_d1: bool
) -> None:
    engine = sqlite_demo
    old = actor(engine, email)
    with Session(engine) as s:
        if email == EMAILS["admin"]:  # the last administrator cannot be demoted: appoint another first
            add_user(session=s, email="deputy.admin@demo.ac.uk", role="admin")
        add_user(session=s, email=email, role=new_role, actions=actions)
        s.commit()
    new = actor(engine, email)
    assert (new.role, new.email) == (new_role, email)
    assert new.owns >= set(actions)
    assert old.role != new.role  # an Actor is a snapshot: the pages ask actor_for again on every run

    d1 = make_xlsx({"Progress": [P, ["D1", OCT, "Complete", 100, None, None]]})
    with Session(engine) as s:
        try:
            out = load_file(d1, filename="d1.xlsx", session=s, actor=new)
        except PermissionDenied as exc:
            assert not may_load_d1, exc
            assert f"is a {new_role}" in str(exc)
        else:
            assert (out.outcome == "loaded") is may_load_d1, out.result and out.result.issue_lines()
            if not may_load_d1:
                assert out.result and [i.code for i in out.result.errors] == ["not_your_action"]


def test_taking_an_action_from_a_lead_stops_their_next_upload(sqlite_demo: Engine, make_xlsx: MakeXlsx) -> None:
    engine = sqlite_demo
    with Session(engine) as s:
        assert unassign_actions(session=s, email=EMAILS["lead"], refs=["D2"]) == []
        s.commit()
    lead = actor(engine, EMAILS["lead"])
    assert lead.owns == frozenset()
    with Session(engine) as s:
        out = load_file(make_xlsx(OWN_UPDATE), filename="d2.xlsx", session=s, actor=lead)
    assert out.outcome == "rejected" and out.result
    assert {(i.code, i.message) for i in out.result.errors} == {
        ("not_your_action", "D2 is not one of your actions (yours: none yet): its lead or an administrator updates it")
    }


def test_the_command_line_without_as_acts_as_an_administrator() -> None:
    assert SYSTEM.role == "admin"
    assert all(SYSTEM.can(op) for op in OPERATIONS)


@pytest.mark.parametrize("role", ["viewer", "board"])
@pytest.mark.parametrize(
    ("kind", "data", "operation"),
    [("plan", "plan", "load_plan"), ("workforce", "hr", "load_workforce"), ("updates", "own", "load_updates")],
)
def test_a_load_refused_before_reading_names_the_kind_when_it_is_given(
    sqlite_demo: Engine, make_xlsx: MakeXlsx, role: str, kind: str, data: str, operation: str, tmp_path: Any
) -> None:
    """Told the kind (the command line's --kind), a refusal says which load the role may not do, and the log
    names the file."""
    engine = sqlite_demo
    path = tmp_path / {"plan": "plan.xlsx", "hr": "hr.csv", "own": "d2.xlsx"}[data]
    path.write_bytes({"plan": make_xlsx(PLAN), "hr": WORKFORCE_CSV, "own": make_xlsx(OWN_UPDATE)}[data])
    who = actor(engine, EMAILS[role])
    before = state(engine)
    with Session(engine) as s, pytest.raises(PermissionDenied) as exc:
        load_file(path, session=s, actor=who, kind=kind)
    assert str(exc.value) == f"{who.email} is a {role}: {ROLE_CAN[role]} but not {WHAT[operation]}"
    after = state(engine)
    assert (after["counts"], after["uploads"]) == (before["counts"], before["uploads"])
    assert [(e.action, e.target) for e in events_since(engine, before["last_event"])] == [("refused", path.name)]


# --- dry runs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "data", "filename", "changes"),
    [
        ("admin", "plan", "plan.xlsx", [("action_added", r, "") for r in ("U1", "D1", "D2")]),
        ("admin", "hr", "hr.csv", [("snapshot", "2019-01-31", "none")]),
        ("admin", "own", "d2.xlsx", [("status", "D2", "delayed"), ("evidence", "D2", "")]),
        ("admin", "other", "d3.xlsx", [("progress", "D3", ""), ("evidence", "D3", "")]),
        ("lead", "own", "d2.xlsx", [("status", "D2", "delayed"), ("evidence", "D2", "")]),
    ],
)
def test_a_dry_run_writes_nothing_and_lists_the_changes(
    ctx: Ctx, role: str, data: str, filename: str, changes: list[tuple[str, str, str]]
) -> None:
    content = {
        "plan": ctx.make_xlsx(PLAN),
        "hr": WORKFORCE_CSV,
        "own": ctx.make_xlsx(OWN_UPDATE),
        "other": ctx.make_xlsx(OTHER_UPDATE),
    }[data]
    who = actor(ctx.engine, EMAILS[role])
    before = state(ctx.engine)
    dry = load(ctx, who, content, filename, dry_run=True)
    assert (dry.outcome, dry.upload_id) == ("ready", None), dry.result and dry.result.issue_lines()
    assert [(c["change"], c["target"], c["before"]) for c in dry.changes] == changes
    assert state(ctx.engine) == before  # not a row, not an upload record, not an audit event

    # Loading it for real writes exactly what the dry run listed, and the audit log records each change.
    real = load(ctx, who, content, filename)
    assert real.outcome == "loaded"
    assert real.changes == dry.changes
    events = events_since(ctx.engine, before["last_event"])
    assert [(e.action, e.target, e.before, e.after) for e in events[1:]] == [
        (c["change"], c["target"], c["before"], c["after"]) for c in dry.changes
    ]


def test_a_dry_run_of_another_leads_action_is_still_rejected(ctx: Ctx) -> None:
    lead = actor(ctx.engine, EMAILS["lead"])
    before = state(ctx.engine)
    out = load(ctx, lead, ctx.make_xlsx(MIXED_UPDATE), "mixed.xlsx", dry_run=True)
    assert out.outcome == "rejected" and out.result is not None
    assert [(i.row, i.code) for i in out.result.errors] == [(3, "not_your_action")]
    assert out.changes == []
    assert state(ctx.engine)["counts"] == before["counts"]


@pytest.mark.parametrize("role", ["viewer", "board"])
def test_a_dry_run_is_refused_like_a_load(ctx: Ctx, role: str) -> None:
    who = actor(ctx.engine, EMAILS[role])
    before = state(ctx.engine)
    with pytest.raises(PermissionDenied, match=f"is a {role}"):
        load(ctx, who, ctx.make_xlsx(OWN_UPDATE), "d2.xlsx", dry_run=True)
    after = state(ctx.engine)
    assert (after["counts"], after["uploads"]) == (before["counts"], before["uploads"])
    assert [e.action for e in events_since(ctx.engine, before["last_event"])] == ["refused"]
