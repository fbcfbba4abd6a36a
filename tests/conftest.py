"""Shared fixtures: fresh databases (SQLite and PostgreSQL) and in-memory workbooks.

PostgreSQL tests use `TRACKER_TEST_PG_URL` (default: the local trust-auth server's `test` database). Each
test gets its own schema, dropped afterwards. When the server cannot be reached those tests are skipped,
unless `TRACKER_REQUIRE_PG=1` (CI), in which case they fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

import tracker.config
import tracker.db
from tests import smtputil

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNECT_TIMEOUT = 3


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg: needs a PostgreSQL server (TRACKER_TEST_PG_URL)")
    config.addinivalue_line("markers", "legacy_pages_mode: AppTest left in Streamlit's legacy pages/ mode")


@pytest.fixture(autouse=True)
def _reset_tracker_caches() -> Iterator[None]:
    """Every test starts and ends with no cached settings and no cached engines."""
    tracker.config.get_settings.cache_clear()
    yield
    tracker.db.dispose_all()
    tracker.config.get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _navigation_mode_as_on_a_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Take AppTest out of Streamlit's legacy pages/ mode, as a server is after app.py's first st.navigation.

    A server enters that mode once, on start (pages/ is beside app.py), and leaves it for good at the first
    st.navigation; AppTest re-enters it before every run (streamlit/testing/v1/app_test.py, `_run`:
    `PagesManager.uses_pages_directory = None`, then a new PagesManager looks for pages/). In it a switched-to
    page runs its own file, which `pages.common.ensure_app_navigation` stops after running app.py in its place:
    right for a server's first request, but every AppTest run would be such a stopped run (and a stopped run
    skips the end-of-run tidying that drops widgets no longer drawn). Only Streamlit's private class attribute
    can say so, and only tests touch it. Tests marked `legacy_pages_mode` (tests/test_navigation.py) keep the
    mode, to check what a fresh server's first request gets."""
    if request.node.get_closest_marker("legacy_pages_mode"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    real_init = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def sqlite_engine() -> Iterator[Engine]:
    """A fresh, migrated in-memory SQLite database (not the open_engine cache)."""
    engine = tracker.db.make_engine("sqlite://")
    tracker.db.migrate(engine)
    yield engine
    engine.dispose()


def _pg_base_url() -> str:
    url = os.environ.get("TRACKER_TEST_PG_URL") or DEFAULT_PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(scope="session")
def _pg_admin() -> Iterator[Engine]:
    """An engine on the test server, or a skip (a failure under TRACKER_REQUIRE_PG=1) if it is not there."""
    url = _pg_base_url()
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT}, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, ImportError) as exc:  # refused, timed out, bad URL, no driver
        engine.dispose()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"PostgreSQL not reachable at {shown}: {reason}"
        if os.environ.get("TRACKER_REQUIRE_PG") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(_pg_admin: Engine) -> Iterator[str]:
    """A URL on the test server whose connections see only a fresh, empty schema of their own."""
    schema = f"t_{uuid.uuid4().hex}"
    with _pg_admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(_pg_base_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    # Engines cached by open_engine during the test hold connections on the schema: let them go first.
    tracker.db.dispose_all()
    with _pg_admin.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL schema."""
    engine = tracker.db.make_engine(pg_url)
    tracker.db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A fresh migrated database on each backend, for tests about the database itself."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def shared_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database that many connections share: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_engine")
        return
    engine = tracker.db.make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    tracker.db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_streamlit_caches() -> Iterator[None]:
    """Streamlit's caches outlive an AppTest run: each AppTest module asks for this (`pytestmark`), so every
    test sees its own database, not a page cached from the test before."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


# --- the demo data set: loaded once per backend and load date, copied for each test -------------------------
# Loading the demo reads and checks every demo file (seconds each time); a copy of a database it was loaded into
# once is the same database, row for row, for a fraction of that. Templates are never written.


def _load_demo(engine: Engine, today: date | None) -> None:
    from tracker.demo import load_demo

    with Session(engine) as s:
        load_demo(session=s, today=today)


def copy_sqlite_into_memory(path: Path) -> Engine:
    """A new in-memory SQLite engine (as `sqlite_engine`, one shared connection) holding a copy of the database
    file at `path` (SQLite's backup, page for page)."""
    engine = tracker.db.make_engine("sqlite://")
    raw = engine.raw_connection()  # the engine's one connection (StaticPool)
    try:
        with contextlib.closing(sqlite3.connect(path)) as src:
            src.backup(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()
    return engine


@pytest.fixture(scope="session")
def demo_sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> Callable[[date | None], Path]:
    """`get(today)`: the demo loaded (as of `today`, default today) into a closed SQLite file, made once."""
    made: dict[date | None, Path] = {}

    def get(today: date | None = None) -> Path:
        if today not in made:
            path = tmp_path_factory.mktemp("demo") / "demo.db"
            engine = tracker.db.make_engine(f"sqlite:///{path}")
            tracker.db.migrate(engine)
            _load_demo(engine, today)
            engine.dispose()  # closed, so the one file holds everything (no -wal beside it)
            assert not path.with_name("demo.db-wal").exists()
            made[today] = path
        return made[today]

    return get


def _pg_database_url(name: str) -> str:
    return make_url(_pg_base_url()).set(database=name).render_as_string(hide_password=False)


def _pg_run(admin: Engine, sql: str) -> None:
    """CREATE/DROP DATABASE, which cannot run inside a transaction."""
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(sql))


@pytest.fixture(scope="session")
def _demo_pg_templates(_pg_admin: Engine) -> Iterator[Callable[[date | None], str]]:
    """`get(today)`: the name of a PostgreSQL database the demo was loaded into (as of `today`), made once; only
    ever used as a template (CREATE DATABASE ... TEMPLATE), so nothing connects to it after the load."""
    made: dict[date | None, str] = {}

    def get(today: date | None = None) -> str:
        if today not in made:
            name = f"tracker_demo_{uuid.uuid4().hex}"
            _pg_run(_pg_admin, f'CREATE DATABASE "{name}"')
            made[today] = name
            engine = tracker.db.make_engine(_pg_database_url(name))
            try:
                tracker.db.migrate(engine)
                _load_demo(engine, today)
            finally:
                engine.dispose()
        return made[today]

    yield get
    for name in made.values():
        _pg_run(_pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DemoCopies:
    """Fresh copies of the demo database for one test, each exactly as the demo was just after loading it."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self._request = request
        self._tmp_path = tmp_path
        self._engines: list[Engine] = []
        self._pg_databases: list[str] = []
        self._pg_admin: Engine | None = None

    def sqlite_file(self, today: date | None = None) -> Path:
        """A copy of the demo in a SQLite file of this test's own."""
        template = self._request.getfixturevalue("demo_sqlite_templates")(today)
        copy = self._tmp_path / f"demo-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(template, copy)
        return copy

    def sqlite_url(self, today: date | None = None) -> str:
        return f"sqlite:///{self.sqlite_file(today)}"

    def sqlite_memory_engine(self, today: date | None = None) -> Engine:
        """An in-memory SQLite engine (as `sqlite_engine`) holding a copy of the demo."""
        engine = copy_sqlite_into_memory(self._request.getfixturevalue("demo_sqlite_templates")(today))
        self._engines.append(engine)
        return engine

    def pg_url(self, today: date | None = None) -> str:
        """A URL to a new PostgreSQL database made from the demo's (dropped after the test)."""
        self._pg_admin = admin = self._request.getfixturevalue("_pg_admin")
        template = self._request.getfixturevalue("_demo_pg_templates")(today)
        name = f"tracker_test_{uuid.uuid4().hex}"
        _pg_run(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._pg_databases.append(name)
        return _pg_database_url(name)

    def engine(self, backend: str, today: date | None = None) -> Engine:
        """An engine on a fresh copy of the demo: in-memory SQLite, or a PostgreSQL database of its own."""
        if backend == "sqlite":
            return self.sqlite_memory_engine(today)
        engine = tracker.db.make_engine(self.pg_url(today))
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if self._pg_admin is not None:
            tracker.db.dispose_all()  # engines cached by open_engine during the test hold connections
            for name in self._pg_databases:
                _pg_run(self._pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_copies(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoCopies]:
    """Make fresh copies of the demo database (SQLite or PostgreSQL), each cleaned up after the test."""
    copies = DemoCopies(request, tmp_path)
    yield copies
    copies.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def demo_engine(request: pytest.FixtureRequest, demo_copies: DemoCopies) -> Engine:
    """The demo data set (loaded as of today) in a fresh database on each backend: as `engine` with `load_demo`
    run on it, but copied from a database it was loaded into once."""
    return demo_copies.engine(request.param)


@pytest.fixture(scope="session")
def demo_file(demo_sqlite_templates: Callable[[date | None], Path]) -> Path:
    """The demo data set loaded once into a closed SQLite file; never written: tests work on copies (`db`)."""
    return demo_sqlite_templates(None)


@pytest.fixture(scope="session")
def demo_file_2020_11_01(demo_sqlite_templates: Callable[[date | None], Path]) -> Path:
    """As `demo_file`, loaded as of 1 November 2020 (the demo's open round)."""
    return demo_sqlite_templates(date(2020, 11, 1))


@pytest.fixture(scope="session")
def sqlite_memory_copy() -> Callable[[Path], Engine]:
    """`copy(path)`: an in-memory SQLite engine holding a copy of the file (the caller disposes of it)."""
    return copy_sqlite_into_memory


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    """A URL to this test's own copy of the demo database (modules needing another database override it)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def make_xlsx() -> Callable[[dict[str, list[list[Any]]]], bytes]:
    """Build an .xlsx in memory: `make_xlsx({"Plan": [["Ref", "Due"], ["D1", date(2026, 3, 1)]]})`.

    Sheets come in the order given; an empty row list gives an empty sheet, and `[]` as a row leaves that
    Excel row blank (so six `[]` then a row puts the data on Excel row 7).
    """

    def build(sheets: dict[str, list[list[Any]]]) -> bytes:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        ws.cell(row=r, column=c, value=value)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    return build


# --- a real SMTP server ------------------------------------------------------------------------------------


@pytest.fixture
def start_mailbox() -> Iterator[Callable[..., smtputil.Mailbox]]:
    """Start a real SMTP server (`smtputil.Mailbox`, configured per call); all are stopped afterwards."""
    started: list[smtputil.Mailbox] = []

    def start(**kw: Any) -> smtputil.Mailbox:
        box = smtputil.Mailbox(**kw)
        box.controller.start()
        started.append(box)
        return box

    yield start
    for box in started:
        box.controller.stop()


@pytest.fixture
def mailbox(start_mailbox: Callable[..., smtputil.Mailbox]) -> smtputil.Mailbox:
    return start_mailbox()
