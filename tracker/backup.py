"""Backing up and restoring the whole database: `python -m tracker backup --out FILE`, `restore FILE`.

SQLite: SQLite's online backup API (a consistent copy while the app keeps running, WAL included) into a single
self-contained database file; restore copies it back the same way. PostgreSQL: `pg_dump --format=custom`
and `pg_restore --clean --if-exists --no-owner --single-transaction`, PostgreSQL's documented route; a URL
whose `options` set a `search_path` (one schema per deployment) backs up and restores that schema only. The
client tools must be at least the server's major version (`apt-get install postgresql-client-15`).

A restore refuses a target that already holds data unless `force=True` (the command's `--force`), and
applies the migrations afterwards, so a backup taken by an older version opens in this one.

Example:
    >>> import tempfile, pathlib
    >>> from tracker.db import open_engine
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> src, dst = f"sqlite:///{folder}/a.db", f"sqlite:///{folder}/b.db"
    >>> _ = open_engine(src)
    >>> backup(src, folder / "a.backup").startswith("backed up")
    True
    >>> restore(dst, folder / "a.backup").startswith("restored")
    True
    >>> table_digests(make_engine(src)) == table_digests(make_engine(dst))
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.db import dispose_all, make_engine, migrate

PG_TIMEOUT = 3600  # seconds: a large database takes a while, a hung one should not hang a scheduler for ever


class BackupError(Exception):
    """A backup or restore could not be done; the message says why (the command exits 2)."""


# --- which database ----------------------------------------------------------------------------------------


def _url(url: str) -> URL:
    u = make_url(url)
    if u.drivername.split("+")[0] not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {u.drivername} database: only SQLite and PostgreSQL")
    return u


def _sqlite_path(u: URL) -> Path:
    if not u.database or u.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(u.database)


def _schema(u: URL) -> str | None:
    """The schema a PostgreSQL URL's `options=-csearch_path=…` selects (the first one), or None."""
    options = u.query.get("options")
    for opt in [options] if isinstance(options, str) else list(options or ()):
        m = re.search(r"(?:-c\s*|--)search_path=([^\s,]+)", unquote(opt))
        if m:
            return m.group(1).strip('"')
    return None


def _libpq(u: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore (the password goes in PGPASSWORD, not on the command
    line, where `ps` would show it), and the environment to run them in."""
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install PostgreSQL's client tools of the server's major version "
            "(e.g. apt-get install postgresql-client-15) and try again"
        )
    return found


def tool_major(name: str) -> int:
    """The major version of a PostgreSQL client tool on PATH (`pg_dump (PostgreSQL) 15.20` → 15)."""
    out = subprocess.run([_tool(name), "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    m = re.search(r"\)\s*(\d+)", out)
    if not m:
        raise BackupError(f"cannot tell {name}'s version from {out.strip()!r}")
    return int(m.group(1))


def server_major(engine: Engine) -> int:
    """The PostgreSQL server's major version."""
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _check_versions(engine: Engine, name: str) -> None:
    tool, server = tool_major(name), server_major(engine)
    if tool < server:
        raise BackupError(
            f"{name} is version {tool} but the server is PostgreSQL {server}: {name} must be at least the "
            f"server's version (apt-get install postgresql-client-{server})"
        )


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} took longer than {PG_TIMEOUT} seconds and was stopped") from None
    if p.returncode != 0:
        lines = [x for x in p.stderr.strip().splitlines() if x.strip()]
        raise BackupError(f"{what} failed: " + ("; ".join(lines[:3]) or f"exit code {p.returncode}"))


# --- what a database holds ---------------------------------------------------------------------------------


def _data_tables(engine: Engine) -> list[str]:
    names = set(inspect(engine).get_table_names())
    return [t.name for t in SQLModel.metadata.sorted_tables if t.name in names]


def holds_data(engine: Engine) -> bool:
    """True when any of the tracker's tables has a row (an empty, freshly migrated database has none)."""
    with engine.connect() as conn:
        for name in _data_tables(engine):
            table = SQLModel.metadata.tables[name]
            if conn.execute(select(text("1")).select_from(table).limit(1)).first() is not None:
                return True
    return False


def table_digests(engine: Engine) -> dict[str, str]:
    """SHA-256 of every table's rows, ordered by primary key (alembic_version included): equal digests,
    equal contents.

    Example:
        >>> from tracker.db import open_engine
        >>> d = table_digests(open_engine("sqlite://"))
        >>> "action" in d and "alembic_version" in d
        True
    """
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for name in _data_tables(engine):
            table = SQLModel.metadata.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            h = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*order)):
                h.update(repr(tuple(_canonical(v) for v in row)).encode())
                h.update(b"\n")
            out[name] = h.hexdigest()
        if "alembic_version" in inspect(engine).get_table_names():
            versions = conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1")).scalars().all()
            out["alembic_version"] = hashlib.sha256(repr(list(versions)).encode()).hexdigest()
    return out


def _canonical(v: Any) -> Any:
    return bytes(v) if isinstance(v, memoryview) else v


# --- backup ------------------------------------------------------------------------------------------------


def backup(url: str, out: Path) -> str:
    """Write a backup of the database at `url` to `out` (replacing it); returns a one-line description."""
    u = _url(url)
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    if u.drivername.startswith("sqlite"):
        return _backup_sqlite(_sqlite_path(u), out)
    return _backup_pg(u, out)


def _backup_sqlite(path: Path, out: Path) -> str:
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    if path.resolve() == out.resolve():
        raise BackupError("the backup file would overwrite the database itself")
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=out.parent)
    os.close(fd)
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            check = dst.execute("PRAGMA integrity_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return f"backed up {path} to {out} ({out.stat().st_size:,} bytes, SQLite)"


def _backup_pg(u: URL, out: Path) -> str:
    dump = _tool("pg_dump")
    engine = make_engine(u.render_as_string(hide_password=False))
    try:
        _check_versions(engine, "pg_dump")
    finally:
        engine.dispose()
    conn, env = _libpq(u)
    schema = _schema(u)
    tmp = out.with_name(f".{out.name}.part")
    cmd = [dump, "--format=custom", "--no-owner", f"--file={tmp}", *([f"--schema={schema}"] if schema else []), conn]
    try:
        _run(cmd, env, "pg_dump")
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    where = f"{u.database}" + (f", schema {schema}" if schema else "")
    return f"backed up {where} to {out} ({out.stat().st_size:,} bytes, pg_dump custom format)"


# --- restore -----------------------------------------------------------------------------------------------


def restore(url: str, src: Path, *, force: bool = False) -> str:
    """Replace the database at `url` with the backup `src`, then migrate it; returns a one-line description.

    Refuses (BackupError) when the target already holds data, unless `force`.
    """
    u = _url(url)
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"there is no backup file {src}")
    dispose_all()  # this process's pooled connections must not hold the old database open
    if u.drivername.startswith("sqlite"):
        said = _restore_sqlite(u, _sqlite_path(u), src, force)
    else:
        said = _restore_pg(u, src, force)
    engine = make_engine(u.render_as_string(hide_password=False))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return said + "; migrated to the newest schema"


def _refuse_if_full(engine: Engine, force: bool, where: str) -> None:
    if not force and holds_data(engine):
        raise BackupError(
            f"{where} already holds data: restoring would replace all of it. Restore into an empty database, "
            "or add --force to replace it"
        )


def _restore_sqlite(u: URL, path: Path, src: Path, force: bool) -> str:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as b:
            names = {r[0] for r in b.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            ok = b.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{src} is not a SQLite backup ({exc})") from None
    if "alembic_version" not in names or "action" not in names:
        raise BackupError(f"{src} is a SQLite database but not a tracker backup (it has no tracker tables)")
    if ok is None or ok[0] != "ok":
        raise BackupError(f"{src} fails SQLite's integrity check: {ok}")
    if path.exists():
        engine = make_engine(u.render_as_string(hide_password=False))
        try:
            _refuse_if_full(engine, force, str(path))
        finally:
            engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as b,
        contextlib.closing(sqlite3.connect(path, timeout=30)) as dst,
    ):
        b.backup(dst)
    return f"restored {src} into {path}"


def _dumped_schemas(src: Path) -> set[str]:
    """The schemas a pg_dump archive's tables live in (from `pg_restore --list`)."""
    p = subprocess.run([_tool("pg_restore"), "--list", str(src)], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise BackupError(f"{src} is not a pg_dump archive: {p.stderr.strip().splitlines()[:1]}")
    # "215; 1259 16390 TABLE myschema action postgres" (the owner may be absent)
    return {m.group(1) for m in re.finditer(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+\S+", p.stdout, re.M)}


def _restore_pg(u: URL, src: Path, force: bool) -> str:
    restore_tool = _tool("pg_restore")
    schemas = _dumped_schemas(src)
    target = _schema(u) or "public"
    if schemas and schemas != {target}:
        raise BackupError(
            f"{src} holds schema {', '.join(sorted(schemas))} but the target uses {target}: restore into a "
            "database whose URL selects the same schema (options=-csearch_path=...)"
        )
    engine = make_engine(u.render_as_string(hide_password=False))
    try:
        _check_versions(engine, "pg_restore")
        _refuse_if_full(engine, force, f"the database {u.database}" + (f" (schema {target})" if _schema(u) else ""))
    finally:
        engine.dispose()
    conn, env = _libpq(u)
    cmd = [
        restore_tool,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={conn}",
        str(src),
    ]
    _run(cmd, env, "pg_restore")
    return f"restored {src} into {u.database}" + (f", schema {target}" if _schema(u) else "")
