"""Shared fixtures: fresh databases (SQLite and PostgreSQL) and in-memory workbooks.

PostgreSQL tests use `TRACKER_TEST_PG_URL` (default: the local trust-auth server's `test` database). Each
test gets its own schema, dropped afterwards. When the server cannot be reached those tests are skipped,
unless `TRACKER_REQUIRE_PG=1` (CI), in which case they fail.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set loaded once into a closed SQLite file; never written: tests work on copies (`db`)."""
    from tracker.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Session(tracker.db.open_engine(f"sqlite:///{path}")) as s:
        load_demo(session=s)
    tracker.db.dispose_all()  # closed, so the one file holds everything (no -wal beside it)
    return path


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
