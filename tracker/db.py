"""The one place that makes engines and sessions; every open applies pending Alembic migrations.

Example:
    >>> from tracker.db import open_engine, session_scope
    >>> engine = open_engine("sqlite://")
    >>> with session_scope(engine) as session:
    ...     pass
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from tracker.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # WAL lets readers (the dashboard) carry on while an upload commits; not for :memory:.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """A new engine for `url` (SQLite gets WAL and foreign keys; PostgreSQL through psycopg 3)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        memory = path in ("", ":memory:")
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if memory:
            kwargs["poolclass"] = StaticPool  # one shared connection, or each session sees an empty db
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (safe to call on every start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_engine(url: str | None = None) -> Engine:
    """The migrated engine for `url` (default: the configured database), made once per process.

    An in-memory SQLite URL is not cached: like SQLite itself, each open gives a new empty database.

    Example:
        >>> open_engine("sqlite://").dialect.name
        'sqlite'
    """
    url = url or get_settings().database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url in ("sqlite://", "sqlite:///:memory:"):
        fresh = make_engine(url)
        migrate(fresh)
        return fresh
    with _lock:
        cached = _engines.get(url)
        if cached is None:
            cached = make_engine(url)
            migrate(cached)
            _engines[url] = cached
        return cached


def dispose_all() -> None:
    """Forget every cached engine (tests, and the CLI before it exits)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
