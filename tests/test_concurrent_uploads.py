"""Concurrent uploads on a SQLite file (WAL) and on PostgreSQL, checked row by row.

Two uploads at the same moment (threads, and separate processes through the command line), the same bytes sent
twice at the same moment, and 50 different files in parallel: every upload is recorded with the right outcome,
every row it carries is in the database exactly once and attributed to its upload, measures that parallel files
race to create are created once, and no lock, deadlock or serialization error reaches the user. The processes
start together: each opens the database and reads its file, says it is ready, and loads only when the test
releases all of them at once (no sleeps). Also: the database itself refuses a second 'loaded' record of the same
bytes, the migration that adds that rule keeps a database that already lost the race, and the write lock and
`run_in_transaction` retry a lock error instead of showing it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from tracker.db import MIGRATIONS, is_transient, lock_for_write, make_engine, open_engine, run_in_transaction
from tracker.demo import PLAN_FILE
from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import LoadOutcome, load_file
from tracker.models import (
    Action,
    AuditEvent,
    Evidence,
    Measure,
    MeasureValue,
    Plan,
    ProgressUpdate,
    Upload,
    WorkforceRecord,
)

ROOT = Path(__file__).resolve().parents[1]
MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
T = TypeVar("T")
REFS = ("U1", "D1", "D2", "D3", "V1", "V2")  # the demo plan's actions
TODAY = date(2020, 12, 31)
STATUS_WORDS = (("On track", "on track"), ("At risk", "at risk"), ("Delayed", "delayed"))
WAIT = 240  # seconds: generous, for a loaded two-core machine; nothing here is timed

# A worker process: open (and migrate) the database, say "ready", then on "go" run the command line's `load` for
# each file given, exactly as `python -m tracker --db URL load FILE` does.
WORKER = """
import sys
from tracker.cli import main
from tracker.db import open_engine
url, files = sys.argv[1], sys.argv[2:]
open_engine(url)
print("ready", flush=True)
sys.stdin.readline()
codes = [main(["--db", url, "load", f]) for f in files]
sys.exit(max(codes))
"""


# --- the database and the files ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database holding the demo plan: a SQLite file (WAL) or a fresh PostgreSQL schema."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with Session(open_engine(url)) as s:
        out = load_file(PLAN_FILE, session=s, kind="plan")
    assert (out.outcome, out.counts["added"]) == ("loaded", len(REFS))
    return url


def as_of(i: int) -> date:
    return date(2019, 1, 1) + timedelta(days=i)


def update_rows(i: int) -> dict[str, list[list[Any]]]:
    """File i: a progress row for every action, two evidence items and one measure value, all its own.

    The measure names repeat across files (12 distinct action × measure pairs in 50 files), so parallel files
    race to create the same measure.
    """
    d = datetime.combine(as_of(i), datetime.min.time())
    word = STATUS_WORDS[i % len(STATUS_WORDS)][0]
    return {
        "Progress": [list(PROGRESS_COLUMNS), *[[ref, d, word, i, f"note {i} {ref}", None] for ref in REFS]],
        "Evidence": [
            list(EVIDENCE_COLUMNS),
            *[[REFS[(i + k) % len(REFS)], d, f"evidence {i}.{k}", "document", None, None, None, None] for k in (0, 1)],
        ],
        "Measures": [list(MEASURE_COLUMNS), [REFS[i % 3], f"measure {i % 4}", "people", 0, 100, d, float(i)]],
    }


def in_threads(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released at the same moment; any exception fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=WAIT)
            results[k] = calls[k]()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a load did not finish"
    if errors:
        raise errors[0]
    return results


def loader(url: str, data: bytes, name: str) -> Callable[[], LoadOutcome]:
    """One upload as a page does it: a session of its own on the process's shared engine."""

    def load() -> LoadOutcome:
        with Session(open_engine(url), expire_on_commit=False) as s:
            return load_file(data, filename=name, session=s, today=TODAY, uploaded_by=f"lead@{name}")

    return load


def in_processes(url: str, batches: Sequence[Sequence[Path]]) -> list[subprocess.CompletedProcess[str]]:
    """One `python -m tracker load` process per batch of files, all released at the same moment."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, *map(str, files)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for files in batches
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()  # blocks until that process has opened the database
            assert line == "ready\n", (line, p.stderr.read() if p.stderr else "")
        for p in procs:  # the start line
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        done = []
        for p in procs:
            out, err = p.communicate(timeout=WAIT)
            done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
        return done
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


def uploads(url: str) -> list[Upload]:
    with Session(open_engine(url)) as s:
        return list(s.exec(select(Upload).order_by(col(Upload.id))).scalars())  # type: ignore[call-overload]


def count(s: Session, model: Any) -> int:
    return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def upload(sha: str, filename: str = "x.csv", outcome: str = "loaded") -> Upload:
    return Upload(filename=filename, sha256=sha, kind="workforce", outcome=outcome)


# --- two at once ------------------------------------------------------------------------------------------------


def test_two_threads_different_files_both_load(db_url: str, make_xlsx: MakeXlsx) -> None:
    a, b = make_xlsx(update_rows(1)), make_xlsx(update_rows(2))
    outs = in_threads([loader(db_url, a, "a.xlsx"), loader(db_url, b, "b.xlsx")])
    assert [(o.outcome, o.counts) for o in outs] == [
        ("loaded", {"progress_updates": 6, "evidence": 2, "measure_values": 1})
    ] * 2
    with Session(open_engine(db_url)) as s:
        assert (count(s, ProgressUpdate), count(s, Evidence), count(s, MeasureValue)) == (12, 4, 2)
        by_file = s.execute(
            select(Upload.filename, func.count(col(ProgressUpdate.id)))
            .join(ProgressUpdate, col(ProgressUpdate.upload_id) == col(Upload.id))
            .group_by(Upload.filename)
            .order_by(Upload.filename)
        ).all()
    assert [tuple(r) for r in by_file] == [("a.xlsx", 6), ("b.xlsx", 6)]


def test_same_bytes_from_two_threads_at_once_loads_once(db_url: str, make_xlsx: MakeXlsx) -> None:
    rounds = 4  # each round: one file, sent twice at the same moment
    for i in range(rounds):
        data = make_xlsx(update_rows(i))
        outs = in_threads([loader(db_url, data, f"r{i}-first.xlsx"), loader(db_url, data, f"r{i}-second.xlsx")])
        assert sorted(o.outcome for o in outs) == ["duplicate", "loaded"], [(o.outcome, o.message) for o in outs]
        won = next(o for o in outs if o.outcome == "loaded")
        lost = next(o for o in outs if o.outcome == "duplicate")
        assert lost.message == f"already loaded as upload {won.upload_id}: nothing changed"
    ups = uploads(db_url)[1:]  # after the plan
    assert sorted(u.outcome for u in ups) == ["duplicate"] * rounds + ["loaded"] * rounds
    loaded = {u.sha256: u.id for u in ups if u.outcome == "loaded"}
    assert len(loaded) == rounds
    assert all(u.duplicate_of == loaded[u.sha256] and u.content is None for u in ups if u.outcome == "duplicate")
    with Session(open_engine(db_url)) as s:
        held = (count(s, ProgressUpdate), count(s, Evidence), count(s, MeasureValue))
    assert held == (6 * rounds, 2 * rounds, rounds)


def test_two_processes_at_once_through_the_command_line(db_url: str, make_xlsx: MakeXlsx, tmp_path: Path) -> None:
    # Round 1: two different files; round 2: the same bytes under two names.
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(make_xlsx(update_rows(10)))
    b.write_bytes(make_xlsx(update_rows(11)))
    done = in_processes(db_url, [[a], [b]])
    for p in done:
        assert (p.returncode, p.stderr) == (0, "")
        assert "loaded as updates (upload " in p.stdout, p.stdout

    same = make_xlsx(update_rows(12))
    c, c2 = tmp_path / "c.xlsx", tmp_path / "c-copy.xlsx"
    c.write_bytes(same)
    c2.write_bytes(same)
    done = in_processes(db_url, [[c], [c2]])
    for p in done:
        assert (p.returncode, p.stderr) == (0, "")
    said = [p.stdout for p in done]
    assert sum("loaded as updates (upload " in s for s in said) == 1, said
    assert sum("already loaded as upload " in s and "nothing changed" in s for s in said) == 1, said

    ups = uploads(db_url)[1:]
    assert sorted((u.filename, u.outcome) for u in ups if u.filename in ("a.xlsx", "b.xlsx")) == [
        ("a.xlsx", "loaded"),
        ("b.xlsx", "loaded"),
    ]
    pair = [u for u in ups if u.filename in ("c.xlsx", "c-copy.xlsx")]
    assert sorted(u.outcome for u in pair) == ["duplicate", "loaded"]
    first = next(u for u in pair if u.outcome == "loaded")
    assert next(u for u in pair if u.outcome == "duplicate").duplicate_of == first.id
    with Session(open_engine(db_url)) as s:
        assert (count(s, ProgressUpdate), count(s, Evidence), count(s, MeasureValue)) == (18, 6, 3)


# --- fifty in parallel ------------------------------------------------------------------------------------------


def test_fifty_update_files_in_parallel_threads(db_url: str, make_xlsx: MakeXlsx) -> None:
    n = 50
    files = {f"u{i:02}.xlsx": make_xlsx(update_rows(i)) for i in range(n)}
    outs = in_threads([loader(db_url, data, name) for name, data in files.items()])

    assert [o.outcome for o in outs] == ["loaded"] * n, [(o.filename, o.outcome, o.message) for o in outs]
    assert len({o.upload_id for o in outs}) == n
    ups = uploads(db_url)[1:]
    assert sorted((u.filename, u.outcome, u.rows_accepted, u.uploaded_by) for u in ups) == [
        (name, "loaded", 9, f"lead@{name}") for name in sorted(files)
    ]
    assert all(u.content == files[u.filename] for u in ups)  # every file kept, byte for byte

    with Session(open_engine(db_url)) as s:
        fname = {u.id: u.filename for u in ups}
        refs: dict[int, str] = {a: r for a, r in s.execute(select(Action.id, Action.ref)).all()}
        progress = s.execute(
            select(ProgressUpdate.upload_id, ProgressUpdate.action_id, ProgressUpdate.as_of, ProgressUpdate.status)
        ).all()
        assert len(progress) == 6 * n
        assert {(fname[u], refs[a], d, st) for u, a, d, st in progress} == {
            (f"u{i:02}.xlsx", ref, as_of(i), STATUS_WORDS[i % 3][1]) for i in range(n) for ref in REFS
        }
        evidence = s.execute(select(Evidence.upload_id, Evidence.action_id, Evidence.description)).all()
        assert len(evidence) == 2 * n
        assert {(fname[u], refs[a], desc) for u, a, desc in evidence} == {
            (f"u{i:02}.xlsx", REFS[(i + k) % 6], f"evidence {i}.{k}") for i in range(n) for k in (0, 1)
        }
        measures = s.execute(select(Measure.id, Measure.action_id, Measure.name)).all()
        assert sorted((refs[a], name) for _, a, name in measures) == sorted(
            {(REFS[i % 3], f"measure {i % 4}") for i in range(n)}
        )
        assert len(measures) == 12  # created once each, although parallel files raced to create them
        mname = {m: (refs[a], name) for m, a, name in measures}
        values = s.execute(select(MeasureValue.upload_id, MeasureValue.measure_id, MeasureValue.value)).all()
        assert sorted((fname[u], *mname[m], v) for u, m, v in values) == [
            (f"u{i:02}.xlsx", REFS[i % 3], f"measure {i % 4}", float(i)) for i in range(n)
        ]
        load_events = (
            s.execute(select(AuditEvent.upload_id).where(col(AuditEvent.action) == "load_updates")).scalars().all()
        )
        assert sorted(load_events) == sorted(o.upload_id for o in outs)
        assert count(s, Plan) == 1


def test_fifty_workforce_extracts_from_five_processes(db_url: str, tmp_path: Path) -> None:
    n, procs = 50, 5
    paths = []
    for j in range(n):
        day = date(2010, 1, 31) + timedelta(days=7 * j)
        p = tmp_path / f"hr_{j:02}.csv"
        p.write_text(
            "As at,Faculty,Sex,FTE\n"
            f"{day:%d/%m/%Y},Engineering,F,1\n"
            f"{day:%d/%m/%Y},Engineering,M,0.{j % 9 + 1}\n"
            f"{day:%d/%m/%Y},Engineering,M,1\n"
            f"{day:%d/%m/%Y},Life Sciences,Female,0.5\n"
        )
        paths.append((p, day))
    done = in_processes(db_url, [[p for p, _ in paths[k::procs]] for k in range(procs)])
    for p in done:
        assert (p.returncode, p.stderr) == (0, "")
        assert p.stdout.count("loaded as workforce (upload ") == n // procs, p.stdout

    ups = uploads(db_url)[1:]
    assert sorted((u.filename, u.kind, u.outcome, u.rows_accepted) for u in ups) == [
        (p.name, "workforce", "loaded", 3) for p, _ in paths
    ]
    with Session(open_engine(db_url)) as s:
        rows = s.execute(
            select(WorkforceRecord.as_of, WorkforceRecord.faculty, WorkforceRecord.sex, WorkforceRecord.fte)
        ).all()
    assert len(rows) == 3 * n
    assert {tuple(r) for r in rows} == {
        row
        for j, (_, day) in enumerate(paths)
        for row in (
            (day, "Engineering", "Female", 1.0),
            (day, "Engineering", "Male", round(1 + (j % 9 + 1) / 10, 2)),
            (day, "Life Sciences", "Female", 0.5),
        )
    }


# --- the pieces that make it safe -------------------------------------------------------------------------------


def test_a_second_loaded_upload_of_the_same_bytes_is_refused_by_the_database(db_url: str) -> None:
    sha = "ab" * 32
    with Session(open_engine(db_url)) as s:
        s.add(upload(sha))
        s.commit()
        # The same bytes may be recorded any number of times as a duplicate or a rejection...
        s.add_all([upload(sha, outcome="duplicate"), upload(sha, outcome="rejected")])
        s.commit()
        # ...but loaded only once, whatever the code above the database does.
        s.add(upload(sha, "y.csv"))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        got = s.execute(select(Upload.outcome).where(col(Upload.sha256) == sha).order_by(col(Upload.id)))
        assert got.scalars().all() == ["loaded", "duplicate", "rejected"]


def test_migration_keeps_the_first_of_uploads_loaded_twice(db_url: str) -> None:
    """A database that already lost the race (two 'loaded' rows for the same bytes) still migrates: the later
    one is marked a duplicate of the first."""
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        sha = "cd" * 32
        with Session(engine) as s:
            for u in (upload(sha), upload(sha, "x2.csv"), upload(sha, outcome="rejected")):
                s.add(u)
                s.commit()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with Session(engine) as s:
            got = s.execute(
                select(Upload.id, Upload.filename, Upload.outcome, Upload.duplicate_of)
                .where(col(Upload.sha256) == sha)
                .order_by(col(Upload.id))
            ).all()
    finally:
        engine.dispose()
    first = got[0][0]
    assert [tuple(r[1:]) for r in got] == [
        ("x.csv", "loaded", None),
        ("x2.csv", "duplicate", first),
        ("x.csv", "rejected", None),
    ]


def test_a_load_retries_the_write_lock_instead_of_failing(tmp_path: Path, make_xlsx: MakeXlsx) -> None:
    """SQLite: a load that meets another connection's write transaction retries with backoff when the busy
    timeout runs out, and loads once the other writer commits; without the retries the caller gets the error."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = open_engine(url)
    with Session(engine) as s:
        assert load_file(PLAN_FILE, session=s, kind="plan").outcome == "loaded"

    release = threading.Event()
    holding = threading.Event()

    def hold_the_write_lock() -> None:
        other = make_engine(url)
        try:
            with other.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("UPDATE plan SET title = title || ' (held)'")
                holding.set()
                release.wait(WAIT)
                conn.exec_driver_sql("COMMIT")
        finally:
            other.dispose()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert holding.wait(WAIT)
        with Session(engine) as s:
            s.connection().exec_driver_sql("PRAGMA busy_timeout = 50")
            with pytest.raises(OperationalError) as exc:
                lock_for_write(s, attempts=1)
            assert is_transient(exc.value)
            assert "locked" in str(exc.value)
            # With retries, the same session waits for the other writer (released from a timer) and gets the lock.
            threading.Timer(0.3, release.set).start()
            lock_for_write(s, attempts=40)
            assert s.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
            s.connection().exec_driver_sql("PRAGMA busy_timeout = 30000")
            s.rollback()
            out = load_file(make_xlsx(update_rows(3)), filename="u.xlsx", session=s, today=TODAY)
    finally:
        release.set()
        holder.join(WAIT)
    assert (out.outcome, out.counts["progress_updates"]) == ("loaded", 6)
    with Session(engine) as s:
        assert s.execute(select(Plan.title)).scalar_one().endswith(" (held)")  # the other write kept too
        assert count(s, ProgressUpdate) == 6


def test_run_in_transaction_retries_a_transient_error_and_commits_once(db_url: str) -> None:
    engine = open_engine(db_url)
    calls: list[int] = []

    def work(s: Session) -> int:
        calls.append(1)
        s.add(upload("ef" * 32, f"t{len(calls)}.csv", "rejected"))
        s.flush()
        if len(calls) < 3:  # the first two attempts meet a lock error, as a busy database would give
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return len(calls)

    assert run_in_transaction(engine, work, attempts=5) == 3
    with Session(engine) as s:
        names = s.execute(select(Upload.filename).where(col(Upload.sha256) == "ef" * 32)).scalars().all()
    assert names == ["t3.csv"]  # the failed attempts were rolled back

    def broken(s: Session) -> None:
        raise OperationalError("INSERT", {}, Exception("no such table: nothing"))

    with pytest.raises(OperationalError):  # not a lock error: not retried
        run_in_transaction(engine, broken, attempts=5)
