"""An import killed in the middle of writing leaves the database exactly as it was, on SQLite and PostgreSQL.

`python -m tracker load` is started on a large workforce extract (100,000 aggregated rows, replacing a snapshot the
database already holds). The test watches the database until the load has begun writing (SQLite: its write
transaction has spilled megabytes into the WAL; PostgreSQL: its transaction has written and is inserting the
snapshot's rows), pauses the process to confirm from outside that the transaction is still open, and kills it with
SIGKILL. Then every table, digested row by row in primary-key order, is what it was before; SQLite's WAL left by
the kill is recovered with `PRAGMA integrity_check` 'ok'; and the next start (open_engine, migrate, a normal load)
works.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from tracker.db import make_engine, open_engine
from tracker.demo import load_demo

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and SIGSTOP")

ROOT = Path(__file__).resolve().parents[1]
BIG_ROWS = 100_000
SNAPSHOT = "31/07/2019"  # the demo holds a snapshot for this date: the big extract replaces it
WAIT = 240.0  # seconds: generous, for a loaded two-core machine; nothing here is timed
POLL = 0.01


def big_extract(path: Path, rows: int = BIG_ROWS) -> Path:
    """An aggregated extract: one row per department, so every row is a snapshot cell of its own (~5 MB)."""
    lines = ["As at,Faculty,Department,Grade,Sex,Headcount,FTE"]
    lines += [
        f"{SNAPSHOT},Faculty {i % 20},Department {i},Grade {i % 9 + 1},{'FM'[i % 2]},{n},{n * 0.8:.1f}"
        for i in range(rows)
        for n in [i % 5 + 1]
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def digest(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every table of the database: (rows, SHA-256 of its rows in primary-key order)."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = Table(name, MetaData(), autoload_with=conn)
            order = list(table.primary_key.columns) or list(table.columns)
            h, n = hashlib.sha256(), 0
            for row in conn.execute(select(table).order_by(*order)):
                h.update(repr(tuple(row)).encode())
                n += 1
            out[name] = (n, h.hexdigest())
    return out


def start_load(url: str, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", url, "load", str(path), "--kind", "workforce"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(what: str, proc: subprocess.Popen[bytes] | None, check: Callable[[], bool]) -> None:
    """Poll `check` until it holds; fail if `proc` (when given) ends first."""
    deadline = time.monotonic() + WAIT
    while not check():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the load ended (exit {proc.returncode}) before {what}: {out!r} {err!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(POLL)


def kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(WAIT)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def killed() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by the test, killed and reaped whatever happens."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


def seed(url: str) -> None:
    with Session(open_engine(url)) as s:
        counts = load_demo(session=s)
    assert counts["workforce"] >= 3


def cli_load(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", url, "load", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )


def next_start_is_clean(url: str, tmp_path: Path) -> None:
    """What a restart does: open (and migrate) the database, then load a file as usual."""
    engine = open_engine(url)
    small = tmp_path / "hr_2022.csv"
    small.write_text("As at,Faculty,Sex,FTE\n31/07/2022,Engineering,F,1\n31/07/2022,Engineering,M,0.5\n")
    done = cli_load(url, small)
    assert done.returncode == 0, done.stderr
    assert "loaded as workforce (upload " in done.stdout
    with Session(engine) as s:
        rows = s.execute(text("SELECT sex, fte FROM workforcerecord WHERE as_of = '2022-07-31' ORDER BY sex")).all()
        outcome = s.execute(text("SELECT outcome FROM upload WHERE filename = 'hr_2022.csv'")).scalars().all()
    assert [tuple(r) for r in rows] == [("Female", 1.0), ("Male", 0.5)]
    assert outcome == ["loaded"]


def snapshot_2019(engine: Engine) -> tuple[int, float]:
    with engine.connect() as conn:
        n, fte = conn.execute(text("SELECT COUNT(*), SUM(fte) FROM workforcerecord WHERE as_of = '2019-07-31'")).one()
    return int(n), round(float(fte), 2)


# --- SQLite ------------------------------------------------------------------------------------------------------


def test_sqlite_import_killed_mid_write_leaves_the_database_as_it_was(
    tmp_path: Path, killed: list[subprocess.Popen[bytes]]
) -> None:
    db = tmp_path / "tracker.db"
    url = f"sqlite:///{db}"
    seed(url)
    wal = Path(f"{db}-wal")
    engine = make_engine(url)
    with engine.connect() as conn:  # start from an empty WAL, so any growth is the killed load's writing
        assert conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0] == 0
    before = digest(engine)
    held = snapshot_2019(engine)
    engine.dispose()
    assert held[0] > 0 and before["upload"][0] > 0
    assert wal.stat().st_size == 0

    big = big_extract(tmp_path / "hr_big.csv")
    proc = start_load(url, big)
    killed.append(proc)

    def writer_holds_lock() -> bool:
        probe = sqlite3.connect(db, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return True
        finally:
            probe.close()

    # Writing has begun once the transaction spills pages (the file's 5 MB, the new rows) into the WAL.
    wait_for("the load to write into the WAL", proc, lambda: wal.exists() and wal.stat().st_size > 2**20)
    os.kill(proc.pid, signal.SIGSTOP)
    assert writer_holds_lock(), "the write transaction should still be open (not committed)"
    kill(proc)

    left = wal.stat().st_size
    assert left > 2**20, "the kill should leave the uncommitted writes in the WAL"
    # A fresh connection recovers: the uncommitted frames are ignored, the database is intact.
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()
    engine = make_engine(url)
    try:
        assert digest(engine) == before
        assert snapshot_2019(engine) == held
    finally:
        engine.dispose()

    next_start_is_clean(url, tmp_path)
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        raw.close()


# --- PostgreSQL --------------------------------------------------------------------------------------------------


@pytest.mark.pg
def test_postgresql_import_killed_mid_write_leaves_the_database_as_it_was(
    pg_url: str, tmp_path: Path, killed: list[subprocess.Popen[bytes]]
) -> None:
    seed(pg_url)
    engine = open_engine(pg_url)
    before = digest(engine)
    held = snapshot_2019(engine)
    assert held[0] > 0

    app = f"tracker_crash_{uuid.uuid4().hex[:12]}"
    url = make_url(pg_url).update_query_dict({"application_name": app}).render_as_string(hide_password=False)
    big = big_extract(tmp_path / "hr_big.csv")
    proc = start_load(url, big)
    killed.append(proc)

    watcher = create_engine(make_url(pg_url).set(query={}), isolation_level="AUTOCOMMIT")
    try:

        def backend() -> Any:
            with watcher.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT pid, state, backend_xid IS NOT NULL AS wrote, query FROM pg_stat_activity "
                        "WHERE application_name = :app"
                    ),
                    {"app": app},
                ).first()

        def inserting() -> bool:
            b = backend()
            return b is not None and b.wrote and b.query.lstrip().upper().startswith("INSERT INTO WORKFORCERECORD")

        wait_for("the load to insert the snapshot's rows", proc, inserting)
        os.kill(proc.pid, signal.SIGSTOP)
        # Paused, the load cannot send its COMMIT: the server is still on the snapshot's INSERTs (or reading the
        # rest of one from the paused client), or has finished them and waits in the open transaction.
        b = backend()
        assert b is not None and b.wrote, b
        assert b.state == "idle in transaction" or (
            b.state == "active" and b.query.lstrip().upper().startswith("INSERT INTO WORKFORCERECORD")
        ), b
        kill(proc)
        wait_for("the server to end the killed load's session", None, lambda: backend() is None)
    finally:
        watcher.dispose()

    after = digest(engine)
    assert after == before
    assert snapshot_2019(engine) == held
    next_start_is_clean(pg_url, tmp_path)
