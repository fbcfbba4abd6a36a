"""The one place that makes engines and sessions; every open applies pending Alembic migrations.

One rule for transactions. A function in `tracker` that takes a `session` does its reads and writes through it
and leaves the commit (or rollback) to its caller, who owns the unit of work: the page (`with db_session() as
s: ...; s.commit()`), the command line, `session_scope` or `run_in_transaction`. So several calls (add a user,
then give them actions) commit together or not at all, and the audit entry commits with its write. The
exceptions commit on their own, because what they record must be kept even when the caller's work is not:

- `auth.sign_in` commits each attempt's count before it checks the password (a failed sign-in raises, and its
  count must stay), and clears the count after a success;
- `audit.require_logged` commits the record of a refusal before raising PermissionDenied;
- `load.load_file` commits the upload record of every attempt, loaded or not, and the load all or nothing;
- `report.build_pack` commits the pack it keeps; `demo.load_demo` commits the demo data set;
- `rounds.send_reminders` commits each reminder as its email is sent (one the server refused is never recorded,
  one sent before a later failure always is).

A check followed by a write that depends on it (is this the last administrator? is this account locked? is this
file loaded already?) is done under a lock, never as read-then-write in Python: a counter is bumped in SQL
(`UPDATE user SET failed_logins = failed_logins + 1 ... RETURNING`); `begin_write` makes the transaction
SQLite's one writer from its first statement (BEGIN IMMEDIATE), and on PostgreSQL the rows the check reads are
locked (`UPDATE`, or `SELECT ... FOR UPDATE`); `lock_for_write` goes further and makes the transaction the only
writer of its kind on PostgreSQL too (an advisory lock), for loads. `run_in_transaction` runs a whole unit of
work again when it meets a lock or conflict error.

Errors carry no data: engines are made with `hide_parameters=True`, so a failed statement's message (shown on a
page, written to a log) names the statement but not its values, a password hash among them.

Example:
    >>> from tracker.db import open_engine, session_scope
    >>> engine = open_engine("sqlite://")
    >>> with session_scope(engine) as session:
    ...     pass
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from tracker.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()
T = TypeVar("T")

# How many times a write meeting a lock is tried before the error is let through. Each SQLite attempt first waits
# out the busy timeout (30 s), so this is minutes of contention, far beyond any one upload's write.
WRITE_ATTEMPTS = 6
# PostgreSQL advisory lock for loads: (this namespace, a hash of the schema), so trackers kept in different schemas
# of one database do not wait for each other.
PG_WRITE_LOCK_NAMESPACE = 7472
PG_MIGRATE_LOCK_NAMESPACE = 7473
# PostgreSQL: serialization failure, deadlock detected, lock not available.
_PG_TRANSIENT = {"40001", "40P01", "55P03"}
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database schema is locked", "busy")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # WAL lets readers (the dashboard) carry on while an upload commits; not for :memory:.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """A new engine for `url` (SQLite gets WAL and foreign keys; PostgreSQL through psycopg 3).

    `hide_parameters=True`: a failed statement's message shows `[SQL parameters hidden due to
    hide_parameters=True]` rather than the values, which may be a password hash or a person's data.

    Example:
        >>> make_engine("sqlite://").hide_parameters
        True
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        memory = path in ("", ":memory:")
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if memory:
            kwargs["poolclass"] = StaticPool  # one shared connection, or each session sees an empty db
        engine = create_engine(url, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (safe to call on every start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting at once on a new database take turns: the second finds the schema at head. The
            # lock is released with this transaction (PostgreSQL migrates inside it).
            conn.exec_driver_sql(
                f"SELECT pg_advisory_xact_lock({PG_MIGRATE_LOCK_NAMESPACE}, hashtext(current_schema()))"
            )
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


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a lock or conflict that trying the transaction again can get past.

    Example:
        >>> is_transient(OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")))
        True
        >>> is_transient(OperationalError("SELECT", {}, Exception("no such table: upload")))
        False
    """
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT or getattr(orig, "pgcode", None) in _PG_TRANSIENT:
        return True
    said = str(orig if orig is not None else exc).lower()
    return isinstance(exc, OperationalError) and any(s in said for s in _SQLITE_TRANSIENT)


def backoff(attempt: int, *, base: float = 0.05, cap: float = 2.0) -> float:
    """Seconds to wait before try `attempt + 2`: exponential from `base` up to `cap`, with jitter (half to all
    of it) so that writers that met the same lock do not all come back at the same moment."""
    return min(cap, base * 2**attempt) * random.uniform(0.5, 1.0)


def lock_for_write(session: Session, *, attempts: int = WRITE_ATTEMPTS) -> None:
    """Make the session's transaction the database's writer from now until it commits or rolls back.

    Call it before reading what a write depends on (is this file already loaded? which measures exist?): writers
    then take turns, each seeing everything the one before committed. SQLite: BEGIN IMMEDIATE, which waits out
    the busy timeout for the write lock, tried again with jittered exponential backoff up to `attempts` times
    (a connection already inside a write transaction holds the lock and is left as it is). PostgreSQL: a
    transaction-level advisory lock, released by the commit or rollback; it waits as long as it takes.

    Example:
        >>> with Session(open_engine("sqlite://")) as s:
        ...     lock_for_write(s)
        ...     s.connection().connection.dbapi_connection.in_transaction
        True
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_NAMESPACE}, hashtext(current_schema()))")
        return
    begin_write(session, attempts=attempts)


def begin_write(session: Session, *, attempts: int = WRITE_ATTEMPTS) -> None:
    """Make the session's transaction a writer from its first statement, for a check-then-write on a few rows.

    SQLite: BEGIN IMMEDIATE (tried again with jittered backoff like `lock_for_write`), so what the transaction
    reads next is what it writes against: no other writer commits in between, and the later write cannot fail on
    a stale snapshot. PostgreSQL: nothing here; the caller locks the rows it checks (`UPDATE ... RETURNING` or
    `SELECT ... FOR UPDATE`), so unrelated writers (an upload, another user's sign-in) do not wait.

    Example:
        >>> with Session(open_engine("sqlite://")) as s:
        ...     begin_write(s)
        ...     s.connection().connection.dbapi_connection.in_transaction
        True
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is None or getattr(raw, "in_transaction", False):
        return
    for attempt in range(attempts):
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if attempt + 1 >= attempts or not is_transient(exc):
                raise
        time.sleep(backoff(attempt))


def run_in_transaction(engine: Engine, fn: Callable[[Session], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
    """`fn(session)` in a transaction of its own, committed; run again in a new transaction (after jittered
    exponential backoff) when it meets a lock, deadlock or serialization error, up to `attempts` times.

    `fn` must do all of its work through the session it is given, so that a failed try leaves nothing behind.

    Example:
        >>> from tracker.models import Plan
        >>> from datetime import date
        >>> run_in_transaction(open_engine("sqlite://"), lambda s: s.add(Plan(start_date=date(2026, 1, 1))))
    """
    for attempt in range(attempts):
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = fn(session)
                session.commit()
                return result
            except Exception as exc:
                session.rollback()
                if attempt + 1 >= attempts or not is_transient(exc):
                    raise
        time.sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def new_session(engine: Engine) -> Session:
    """A session on `engine` for the caller to close, and to commit if it writes (see the module's rule for
    transactions: tracker functions leave the commit to the caller, with the few exceptions listed). The UI
    gets every session here, so sessions are made in this one module.

    Example:
        >>> from tracker.summary import data_version
        >>> with new_session(open_engine("sqlite://")) as s:
        ...     data_version(session=s)
        0
    """
    return Session(engine)


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
