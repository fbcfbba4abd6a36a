"""Access: nobody signed out sees a page, the URL cannot sign anyone in or raise a role, every write in tracker
checks the role, and passwords and their hashes never reach a log, the terminal or a page.

(tests/test_permissions.py has each role against each operation; this file adds what it does not cover.)
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import logging
import pkgutil
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import tracker
import tracker.config
from tests.apputil import ADMIN, ROOT, open_app
from tracker import cli
from tracker.auth import Actor, PermissionDenied, actor_for
from tracker.db import make_engine
from tracker.models import BoardPack, User
from tracker.text import unescape_literal
from tracker.users import set_password

VIEWER = "viewer@demo.ac.uk"
PASSWORD = "correct horse battery staple 42"
WRONG = "incorrect donkey battery staple 17"
SPEC_PATHS = [
    "pages/home.py",
    "pages/action_plan.py",
    "pages/pillars.py",
    "pages/evidence.py",
    "pages/workforce.py",
    "pages/changes.py",
    "pages/rounds.py",
    "pages/upload.py",
    "pages/uploads.py",
    "pages/board_report.py",
    "pages/admin.py",
    "pages/audit.py",
]


def page_specs() -> list[str]:
    """The pages app.py registers (read from its PAGE_SPECS, so a new page is covered here at once)."""
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAGE_SPECS" for t in node.targets):
            return [spec[0] for spec in ast.literal_eval(node.value)]
    raise AssertionError("app.py has no PAGE_SPECS")


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory, demo_file_2020_11_01: Path) -> Path:
    """The demo as of 1 November 2020 (copied from the one loaded once per session), two known passwords."""
    path = tmp_path_factory.mktemp("access") / "demo.db"
    shutil.copy(demo_file_2020_11_01, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        set_password(session=s, email=ADMIN, password=PASSWORD)
        set_password(session=s, email=VIEWER, password=PASSWORD)
        s.commit()
    engine.dispose()
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    with contextlib.closing(sqlite3.connect(demo_file)) as src, contextlib.closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def rendered(at: AppTest) -> str:
    """Everything the app drew (main area and sidebar), as text; a password box's own value left out."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and not (type(node).__name__ == "TextInput" and node.label == "Password"):
            out.append(str(proto))
        if type(node).__name__ == "Dataframe":
            out.append(node.value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(out)


def assert_only_sign_in(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Technician Commitment Tracker"]
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert [b.label for b in at.button] == ["Sign in"]
    for kind in ("markdown", "caption", "dataframe", "table", "metric", "selectbox", "multiselect", "info"):
        assert not at.get(kind), (kind, [getattr(e, "value", e) for e in at.get(kind)])
    for kind in ("plotly_chart", "download_button", "page_link", "date_input", "file_uploader"):
        assert not at.get(kind), kind
    assert not at.sidebar.children, "the sidebar is empty for someone signed out"
    text = rendered(at)
    for leaked in ("D2", "Career", "demo.ac.uk", "Signed in as", "scrypt$"):
        assert leaked not in text, leaked


# --- signed out: every page -------------------------------------------------------------------------------


def test_the_list_of_pages_is_the_apps() -> None:
    assert page_specs() == SPEC_PATHS


def test_signed_out_the_app_shows_only_the_sign_in_form(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_user=None)
    assert_only_sign_in(at)


@pytest.mark.parametrize("page", SPEC_PATHS)
def test_a_page_run_on_its_own_signed_out_draws_nothing(monkeypatch: pytest.MonkeyPatch, db: str, page: str) -> None:
    """A page's script run without app.py (Streamlit's legacy pages mode) stops before drawing anything."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", db)
    tracker.config.get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.query_params["role"] = "admin"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.children and not at.sidebar.children
    assert "signed_in_as" not in at.session_state


@pytest.mark.parametrize("page", SPEC_PATHS)
def test_a_page_open_when_the_session_ends_falls_back_to_sign_in(
    monkeypatch: pytest.MonkeyPatch, db: str, page: str
) -> None:
    """An administrator on the page, then signed out (or their session forgotten): the same address now
    answers with the sign-in form only, whatever the URL carries."""
    at = open_app(monkeypatch, db, page=page, as_user=ADMIN, theme="Develop", ref="D2", as_of="2020-01-31")
    assert "Signed in as" in rendered(at)
    del at.session_state["signed_in_as"]
    at.run()
    assert_only_sign_in(at)


@pytest.mark.parametrize("page", [p.split("/")[-1][:-3] for p in SPEC_PATHS[1:]])
def test_every_page_address_answers_signed_out_with_sign_in(
    monkeypatch: pytest.MonkeyPatch, db: str, page: str
) -> None:
    """Signed out, each page's address (/admin, /audit, ...) is registered, and it is the sign-in form."""
    at = open_app(monkeypatch, db, as_user=None)
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    assert page in pages
    assert all(info.get("script_path") in (None, "") for info in at._registered_pages.values())  # no page file
    at._page_hash = pages[page]  # what a browser opening /<page> asks for
    at.run()
    assert_only_sign_in(at)


# --- the URL cannot sign anyone in or raise a role --------------------------------------------------------

FORGED = {
    "role": "admin",
    "user": ADMIN,
    "actor": ADMIN,
    "email": ADMIN,
    "signed_in_as": ADMIN,
    "session_state": "signed_in_as=admin@demo.ac.uk",
    "st.session_state.signed_in_as": ADMIN,
    "as_user": ADMIN,
}


def app_with(monkeypatch: pytest.MonkeyPatch, url: str, params: dict[str, str], as_user: str | None) -> AppTest:
    """The app with these query parameters on its first run (open_app's own keywords cannot be URL keys)."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    tracker.config.get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if as_user:
        at.session_state["signed_in_as"] = as_user
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_query_parameters_do_not_sign_anyone_in(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = app_with(monkeypatch, db, FORGED, None)
    assert_only_sign_in(at)
    assert "signed_in_as" not in at.session_state
    at.run()  # and not on the next run either
    assert_only_sign_in(at)


def test_query_parameters_do_not_raise_a_viewers_role(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = app_with(monkeypatch, db, FORGED, VIEWER)
    assert at.session_state["signed_in_as"] == VIEWER
    # The name is the user's own text, escaped in the Markdown caption: compared as a viewer reads it.
    shown = [unescape_literal(c.value) for c in at.sidebar.caption]
    assert "Signed in as **Demo Working-Group Member** (viewer)" in shown
    # The administrator's pages are not registered for a viewer: there is no address to open them at.
    for page in ("pages/admin.py", "pages/audit.py", "pages/upload.py", "pages/board_report.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    # A page's own script, run for the viewer with the forged URL, refuses on its own check.
    monkeypatch.setenv("TRACKER_DATABASE_URL", db)
    for page, says in (("pages/admin.py", "only an administrator manages users"), ("pages/audit.py", "audit log")):
        direct = AppTest.from_file(str(ROOT / page), default_timeout=60)
        direct.session_state["signed_in_as"] = VIEWER
        for k, v in FORGED.items():
            direct.query_params[k] = v
        direct.run()
        assert [e.value for e in direct.error] and says in direct.error[0].value
        assert not direct.get("dataframe") and not direct.get("download_button")


# --- every write in tracker checks the role ---------------------------------------------------------------

PLAN_CSV = b"Theme,Activity,Who\nValue,Annual awards,OD\n"
UPDATE_CSV = b"Ref,As of,Status,Percent,Note\nD2,20/10/2020,on track,80,x\n"
HR_CSV = b"As at,Faculty,Sex,FTE\n31/01/2021,Engineering,F,1\n"


def _writers() -> dict[str, Callable[[Session, Actor], Any]]:
    from tracker.group import save_group
    from tracker.load import load_file
    from tracker.mail import MailServer
    from tracker.profile import set_text
    from tracker.report import build_pack
    from tracker.rounds import close_round, open_round, send_reminders
    from tracker.users import add_user, assign_actions, remove_user, unassign_actions

    return {
        "tracker.load.core.load_file (plan)": lambda s, a: load_file(PLAN_CSV, filename="p.csv", session=s, actor=a),
        "tracker.load.core.load_file (updates)": lambda s, a: load_file(
            UPDATE_CSV, filename="u.csv", session=s, actor=a
        ),
        "tracker.load.core.load_file (workforce)": lambda s, a: load_file(
            HR_CSV, filename="hr.csv", session=s, actor=a, kind="workforce"
        ),
        "tracker.load.core.load_file (dry run)": lambda s, a: load_file(
            UPDATE_CSV, filename="u.csv", session=s, actor=a, dry_run=True
        ),
        "tracker.users.add_user": lambda s, a: add_user(session=s, email="x@uni.ac.uk", role="admin", actor=a),
        "tracker.users.assign_actions": lambda s, a: assign_actions(session=s, email=a.email, refs=["D1"], actor=a),
        "tracker.users.unassign_actions": lambda s, a: unassign_actions(
            session=s, email="careers.lead@demo.ac.uk", refs=["D2"], actor=a
        ),
        "tracker.users.set_password": lambda s, a: set_password(session=s, email=ADMIN, password=WRONG, actor=a),
        "tracker.users.remove_user": lambda s, a: remove_user(session=s, email=ADMIN, actor=a),
        "tracker.report.build.build_pack": lambda s, a: build_pack(session=s, actor=a, charts=False),
        "tracker.rounds.open_round": lambda s, a: open_round(
            session=s, actor=a, name="Q1", start=date(2020, 1, 1), due=date(2020, 1, 24)
        ),
        "tracker.rounds.close_round": lambda s, a: close_round(session=s, actor=a),
        # Refused before any connection: the port has no server, and none is needed to say no.
        "tracker.rounds.send_reminders": lambda s, a: send_reminders(
            session=s, actor=a, server=MailServer.parse("smtp://127.0.0.1:9")
        ),
        "tracker.load.core.load_file (group)": lambda s, a: load_file(
            b"Name,Title,Faculty\nAnn Jones,Manager,Laws\n", filename="g.csv", session=s, actor=a, kind="group"
        ),
        "tracker.group.save_group": lambda s, a: save_group(session=s, actor=a, members=[]),
        "tracker.profile.set_text": lambda s, a: set_text(session=s, actor=a, key="technician_definition", text="x"),
    }


# Public functions in tracker that write to the database without a role check, and why that is right.
NO_ROLE = {
    "tracker.auth.sign_in": "signing in is what gives a role (it counts failed attempts)",
    "tracker.audit.record": "adds an event to the caller's transaction; the caller checked the role",
    "tracker.audit.require_logged": "is the role check (it logs a refusal)",
    "tracker.demo.load_demo": "builds the demo database from the command line (init --demo)",
    "tracker.demo.set_demo_passwords": "the demo accounts' passwords, from the command line (init --demo)",
    "tracker.backup.restore": "the command line's restore, by whoever holds the database (no --as)",
    "tracker.db.session_scope": "commits the caller's own transaction; the caller checked the role",
    "tracker.db.run_in_transaction": "runs and commits the caller's own unit of work; the caller checked the role",
    # The loader's write steps: called only by tracker.load.core.load_file, inside its transaction, after its
    # role check (tracker.load.core.check_kind) and the lead's row-by-row ownership check.
    "tracker.load.write.record_upload": "records an attempt inside load_file's transaction, after its role check",
    "tracker.load.write.write_plan": "load_file's plan write, after its role check",
    "tracker.load.write.write_updates": "load_file's update write, after its role and ownership checks",
    "tracker.load.write.write_workforce": "load_file's workforce write, after its role check",
    "tracker.load.mapping.save_mapping": "keeps a plan's mapping inside load_file, after its role check",
    "tracker.group.apply_changes": "writes a working-group list for save_group or load_file, after their role check",
}
WRITE = re.compile(r"session\.(add|delete|commit)\(|execute\((insert|delete|update)\(|\bsrc\.backup\(|migrate\(")


def _public_writers() -> set[str]:
    """Every public function in tracker whose own source writes to the database."""
    found = set()
    for mod in pkgutil.walk_packages(tracker.__path__, "tracker."):
        if ".migrations" in mod.name or mod.name.endswith("__main__"):
            continue
        module = importlib.import_module(mod.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != mod.name:
                continue
            body = inspect.getsource(fn)
            body = "\n".join(x for x in body.splitlines() if not x.lstrip().startswith((">>>", "...", "#")))
            if WRITE.search(body) or (re.search(r"\bload_file\(", body) and mod.name != "tracker.cli"):
                found.add(f"{mod.name}.{name}")
    return found


def test_every_writing_function_is_in_the_table() -> None:
    writers = {k.split(" ")[0] for k in _writers()}
    found = _public_writers() - {"tracker.cli.main", "tracker.db.migrate", "tracker.db.open_engine"}
    found -= {"tracker.report.build.build_pack"} if "tracker.report.build.build_pack" in writers else set()
    assert found - writers - set(NO_ROLE) == set(), "a new writing function: add it to _writers() or NO_ROLE"
    assert "tracker.users.add_user" in found and "tracker.load.core.load_file" in found  # the scan sees them


@pytest.mark.parametrize("writer", list(_writers()))
def test_every_writing_function_refuses_a_viewer(db: str, writer: str) -> None:
    engine = make_engine(db)
    before = _snapshot(engine)
    with Session(engine) as s:
        viewer = actor_for(session=s, email=VIEWER)
        assert viewer is not None and viewer.role == "viewer"
        with pytest.raises(PermissionDenied, match=re.escape(f"{VIEWER} is a viewer: viewers can read the dashboard")):
            _writers()[writer](s, viewer)
        s.rollback()
    after = _snapshot(engine)
    assert {k: v for k, v in after.items() if k != "auditevent"} == {
        k: v for k, v in before.items() if k != "auditevent"
    }
    engine.dispose()


def _snapshot(engine: Any) -> dict[str, str]:
    from tracker.backup import table_digests

    return table_digests(engine)


WRITE_CALLS = {"load_file", "add_user", "assign_actions", "unassign_actions", "set_password", "remove_user"}
WRITE_CALLS |= {"build_pack", "upload_file", "list_users", "list_events", "count_events", "audit_actors"}
WRITE_CALLS |= {"pack_pdf", "list_packs", "upload_issues", "list_uploads_for", "template_for"}


def test_every_page_passes_the_signed_in_actor_to_tracker() -> None:
    """tracker's user functions default to the command line's administrator (no --as): a page that forgot
    `actor=` would act as one. Every such call in pages/ names the actor."""
    missing = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in WRITE_CALLS and not any(k.arg == "actor" for k in node.keywords):
                missing.append(f"{path.name}:{node.lineno}: {name}")
    assert missing == []


# --- passwords and secrets never reach logs, the terminal or a page --------------------------------------


class Logs:
    """Everything logged at DEBUG while inside: `all` from every logger (SQLAlchemy's engine too), `app` from
    tracker's, Streamlit's and the root logger only."""

    def __init__(self) -> None:
        self.all, self.app, self.streamlit_loggers = io.StringIO(), io.StringIO(), 0


@contextlib.contextmanager
def every_log() -> Iterator[Logs]:
    logs = Logs()
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s")
    everything = logging.StreamHandler(logs.all)
    app = logging.StreamHandler(logs.app)
    app.addFilter(lambda r: not r.name.startswith(("sqlalchemy", "alembic")))
    for h in (everything, app):
        h.setLevel(logging.DEBUG)
        h.setFormatter(fmt)
    # Streamlit's loggers do not propagate: each gets the handlers itself.
    names = ["", "tracker", "sqlalchemy", "alembic"]
    names += [n for n in list(logging.root.manager.loggerDict) if n.startswith("streamlit")]
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    logs.streamlit_loggers = sum(n.startswith("streamlit") for n in names)
    for logger, _ in saved:
        logger.addHandler(everything)
        logger.addHandler(app)
        logger.setLevel(logging.DEBUG)
    try:
        yield logs
    finally:
        for logger, level in saved:
            logger.removeHandler(everything)
            logger.removeHandler(app)
            logger.setLevel(level)


def test_the_command_line_shows_a_generated_password_once_and_a_chosen_one_never(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with every_log() as log:
        capsys.readouterr()
        assert cli.main(["--db", db, "users", "add", "new.lead@uni.ac.uk", "--role", "lead", "--actions", "D1"]) == 0
        out, err = capsys.readouterr()
        generated = re.search(r"password \(shown once\): (\S+)", out)
        assert generated, out
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD.upper() + "\n"))
        assert cli.main(["--db", db, "users", "set-password", "new.lead@uni.ac.uk", "--stdin"]) == 0
        out2, err2 = capsys.readouterr()
        assert cli.main(["--db", db, "users", "set-password", "viewer@demo.ac.uk"]) == 0
        out3, err3 = capsys.readouterr()
        reset = re.search(r"password set \(shown once\): (\S+)", out3)
        assert reset, out3
        assert cli.main(["--db", db, "users", "list"]) == 0
        listed, err4 = capsys.readouterr()
    assert "sqlalchemy.engine" in log.all.getvalue()  # the capture was on, down to every SQL statement
    assert out.count(generated.group(1)) == 1 and out3.count(reset.group(1)) == 1  # shown once, as promised
    assert out2.strip() == "new.lead@uni.ac.uk: password set"
    secrets = (generated.group(1), reset.group(1), PASSWORD.upper())
    for where in (err, err2, err3, err4, out2, listed, log.all.getvalue()):
        assert not any(p in where for p in secrets)
    # Hashes: not in what the product prints or logs (SQLAlchemy's own DEBUG echo of rows, off unless someone
    # turns it on, does show them).
    assert "scrypt$" not in listed + log.app.getvalue()
    _assert_nowhere_in_the_database(db, secrets)


def _assert_nowhere_in_the_database(db: str, secrets: tuple[str, ...]) -> None:
    """Not in any column of any table (a hash is a hash: scrypt$N$r$p$salt$digest, never the password)."""
    path = db.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in c.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    blob = v.decode("latin-1") if isinstance(v, bytes) else str(v)
                    assert not any(p in blob for p in secrets), t


def test_signing_in_logs_and_shows_no_password(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    with every_log() as log:
        at = open_app(monkeypatch, db, as_user=None)
        at.text_input[0].input(VIEWER)
        at.text_input[1].input(WRONG)
        at.button[0].click().run()
        refused = rendered(at)
        assert [e.value for e in at.error] == ["Not signed in: wrong email or password."]
        at.text_input[1].input(PASSWORD)
        at.button[0].click().run()
        assert at.session_state["signed_in_as"] == VIEWER
        signed_in = rendered(at)
    assert "Signed in as" in signed_in
    logged = log.all.getvalue()
    assert log.streamlit_loggers >= 10 and "sqlalchemy.engine" in logged  # the capture was on
    for where in (refused, signed_in, logged):
        assert WRONG not in where and PASSWORD not in where


def test_the_admin_page_never_shows_a_password_hash(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    with Session(make_engine(db)) as s:
        hashes = [u.password_hash for u in s.exec(select(User)).scalars() if u.password_hash]  # type: ignore[call-overload]
    assert len(hashes) >= 2
    at = open_app(monkeypatch, db, page="pages/admin.py", as_user=ADMIN)
    assert at.title[0].value == "Admin"
    text = rendered(at)
    assert VIEWER in text  # the users are listed
    assert "scrypt" not in text
    for h in hashes:
        assert h not in text and h.split("$")[-1] not in text and h.split("$")[-2] not in text


def test_a_refused_board_pack_writes_nothing(db: str) -> None:
    """build_pack's role check (test_permissions asks only the role): a viewer's attempt keeps no pack."""
    from tracker.report import build_pack

    engine = make_engine(db)
    with Session(engine) as s:
        viewer = actor_for(session=s, email=VIEWER)
        assert viewer is not None
        with pytest.raises(PermissionDenied, match="but not build board packs"):
            build_pack(session=s, actor=viewer, charts=False)
    with Session(engine) as s:
        assert s.exec(select(BoardPack)).first() is None  # type: ignore[call-overload]
    engine.dispose()
