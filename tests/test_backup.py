"""Backup and restore (`python -m tracker backup --out FILE`, `restore FILE [--force]`), on SQLite and PostgreSQL.

The demo data set is loaded, backed up, restored into an empty database, and every table's SHA-256 digest
(its rows ordered by primary key) compared: equal. A target holding data is refused unless --force; the
restored database takes new uploads.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

import tracker.config
from tracker import cli
from tracker.auth import SYSTEM
from tracker.backup import server_major, table_digests, tool_major
from tracker.db import dispose_all, make_engine, migrate
from tracker.demo import load_demo
from tracker.load import load_file

HR = b"As at,Faculty,Sex,FTE\r\n31/01/2021,Engineering,F,1\r\n31/01/2021,Engineering,M,0.5\r\n"
EXPECTED_TABLES = {"plan", "action", "progressupdate", "evidence", "upload", "user", "auditevent", "alembic_version"}


def demo(url: str) -> dict[str, str]:
    """Load the demo data set into the (migrated) database at `url`; its digests."""
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        load_demo(session=s, today=date(2020, 11, 1))
    digests = table_digests(engine)
    engine.dispose()
    return digests


def digests(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        return table_digests(engine)
    finally:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    dispose_all()
    return code, out, err


def empty_digests() -> dict[str, str]:
    engine = make_engine("sqlite://")
    migrate(engine)
    return table_digests(engine)


def test_the_digest_sees_every_table_and_every_row(sqlite_engine: Engine) -> None:
    before = table_digests(sqlite_engine)
    assert set(before) >= EXPECTED_TABLES
    assert set(before) == set(inspect(sqlite_engine).get_table_names())  # every table in the database
    with Session(sqlite_engine) as s:
        load_file(HR, filename="hr.csv", session=s, actor=SYSTEM)
    after = table_digests(sqlite_engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"upload", "workforcerecord", "auditevent"}


# --- SQLite ------------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_demo(demo_file_2020_11_01: Path, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A copy of the demo (as `demo` loads it) in live.db; its digests."""
    live = tmp_path / "live.db"
    shutil.copy(demo_file_2020_11_01, live)
    url = f"sqlite:///{live}"
    return url, digests(url)


def test_sqlite_backup_then_restore_into_an_empty_database(
    sqlite_demo: tuple[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, held = sqlite_demo
    out = tmp_path / "tracker.backup"
    code, said, err = run(capsys, "--db", url, "backup", "--out", out)
    assert (code, err) == (0, "")
    assert said.startswith(f"backed up {tmp_path / 'live.db'} to {out} (") and "SQLite" in said
    # One self-contained file: not in WAL mode, nothing beside it, and it passes SQLite's own check.
    with contextlib.closing(sqlite3.connect(out)) as b:
        assert b.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert b.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("tracker.backup")) == ["tracker.backup"]

    target = f"sqlite:///{tmp_path / 'restored' / 'new.db'}"  # a database that does not exist yet
    code, said, err = run(capsys, "--db", target, "restore", out)
    assert (code, err) == (0, "")
    assert said.strip() == f"restored {out} into {tmp_path / 'restored' / 'new.db'}; migrated to the newest schema"
    got = digests(target)
    assert got == held
    empty = empty_digests()
    assert {t for t in held if held[t] != empty[t]} >= EXPECTED_TABLES - {"alembic_version"}  # real data compared

    # The restored database works: it takes a new upload, with the next id.
    engine = make_engine(target)
    with Session(engine) as s:
        top = s.exec(text('SELECT max(id) FROM "upload"')).scalar_one()  # type: ignore[call-overload]
        outcome = load_file(HR, filename="hr.csv", session=s, actor=SYSTEM)
    engine.dispose()
    assert top > 5 and (outcome.outcome, outcome.upload_id) == ("loaded", top + 1)


def test_sqlite_restore_refuses_a_database_with_data_unless_forced(
    sqlite_demo: tuple[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, held = sqlite_demo
    out = tmp_path / "b.backup"
    assert run(capsys, "--db", url, "backup", "--out", out)[0] == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    engine = make_engine(other)
    migrate(engine)
    with Session(engine) as s:
        load_file(HR, filename="hr.csv", session=s, actor=SYSTEM)
    engine.dispose()
    theirs = digests(other)
    assert theirs != held

    code, said, err = run(capsys, "--db", other, "restore", out)
    assert (code, said) == (2, "")
    assert err.startswith(f"error: {tmp_path / 'other.db'} already holds data: restoring would replace all of it.")
    assert "--force" in err
    assert digests(other) == theirs  # untouched

    code, said, err = run(capsys, "--db", other, "restore", out, "--force")
    assert (code, err) == (0, "")
    assert digests(other) == held


def test_sqlite_restore_into_an_empty_migrated_database_needs_no_force(
    sqlite_demo: tuple[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, held = sqlite_demo
    out = tmp_path / "b.backup"
    assert run(capsys, "--db", url, "backup", "--out", out)[0] == 0
    target = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate(make_engine(target))  # what the app's first start leaves: every table, no rows
    assert run(capsys, "--db", target, "restore", out)[0] == 0
    assert digests(target) == held


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not a database"), "is not a SQLite backup"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(), "not a tracker backup"),
        (lambda p: None, "there is no backup file"),
    ],
    ids=["text", "other-sqlite", "missing"],
)
def test_sqlite_restore_refuses_what_is_not_a_tracker_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, message: str
) -> None:
    bad = tmp_path / "bad.backup"
    make(bad)  # type: ignore[operator]
    target = tmp_path / "t.db"
    code, said, err = run(capsys, "--db", f"sqlite:///{target}", "restore", bad)
    assert (code, said) == (2, "")
    assert err.startswith("error: ") and message in err
    assert not target.exists()


def test_backup_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", "sqlite://", "backup", "--out", tmp_path / "x")
    assert (code, err.strip()) == (2, "error: an in-memory SQLite database has nothing to back up or restore into")
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'a.db'}", "backup", "--out", tmp_path / "no" / "x")
    assert (code, err.strip()) == (2, f"error: the folder {tmp_path / 'no'} does not exist")
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'a.db'}", "--as", "a@b.c", "backup", "--out", "x")
    assert code == 2 and "--as does not apply" in err


def test_the_help_lists_backup_and_restore() -> None:
    text = cli.build_parser().format_help()
    assert "backup" in text and "restore" in text
    assert "backup --out FILE" in (cli.__doc__ or "")


# --- PostgreSQL --------------------------------------------------------------------------------------------


@pytest.fixture
def new_database(_pg_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server (CREATE DATABASE), dropped afterwards."""
    name = f"tracker_restore_{uuid.uuid4().hex[:12]}"
    with _pg_admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield name
    dispose_all()
    with _pg_admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _in(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.mark.pg
def test_pg_dump_matches_the_servers_major_version(pg_engine: Engine) -> None:
    server = server_major(pg_engine)
    assert server >= 13
    assert tool_major("pg_dump") == tool_major("pg_restore") == server


@pytest.mark.pg
def test_postgresql_backup_then_restore_into_an_empty_database(
    pg_url: str, new_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fixture's database is one schema per test (search_path in the URL): the backup holds that schema,
    and restores into a new, empty database under the same schema."""
    held = demo(pg_url)
    out = tmp_path / "tracker.dump"
    code, said, err = run(capsys, "--db", pg_url, "backup", "--out", out)
    assert (code, err) == (0, ""), err
    schema = make_url(pg_url).query["options"].split("=", 1)[1]  # type: ignore[union-attr]
    assert said.startswith(f"backed up test, schema {schema} to {out} (") and "pg_dump custom format" in said
    assert out.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    target = _in(pg_url, new_database)
    code, said, err = run(capsys, "--db", target, "restore", out)
    assert (code, err) == (0, ""), err
    assert said.strip() == f"restored {out} into {new_database}, schema {schema}; migrated to the newest schema"
    assert digests(target) == held

    # Sequences came back too: a new upload takes the next id, not one already used.
    engine = make_engine(target)
    with Session(engine) as s:
        top = s.exec(text('SELECT max(id) FROM "upload"')).scalar_one()  # type: ignore[call-overload]
        outcome = load_file(HR, filename="hr.csv", session=s, actor=SYSTEM)
    engine.dispose()
    assert top > 5 and (outcome.outcome, outcome.upload_id) == ("loaded", top + 1)


@pytest.mark.pg
def test_postgresql_public_schema_round_trip_and_refusal(
    _pg_admin: Engine, new_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database used without a search_path (the usual deployment): dump the public schema, restore it into
    an empty database; a second restore onto it is refused without --force and replaces it with."""
    base = _pg_admin.url.render_as_string(hide_password=False)
    source_name = f"tracker_source_{uuid.uuid4().hex[:12]}"
    with _pg_admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{source_name}"'))
    try:
        source = _in(base, source_name)
        held = demo(source)
        out = tmp_path / "public.dump"
        code, said, err = run(capsys, "--db", source, "backup", "--out", out)
        assert (code, err) == (0, ""), err
        assert said.startswith(f"backed up {source_name} to {out}")

        target = _in(base, new_database)
        assert run(capsys, "--db", target, "restore", out)[0] == 0
        assert digests(target) == held

        code, said, err = run(capsys, "--db", target, "restore", out)
        assert (code, said) == (2, "")
        assert f"the database {new_database} already holds data" in err and "--force" in err
        code, said, err = run(capsys, "--db", target, "restore", out, "--force")
        assert (code, err) == (0, ""), err
        assert digests(target) == held
    finally:
        dispose_all()
        with _pg_admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{source_name}" WITH (FORCE)'))


@pytest.mark.pg
def test_a_dump_of_one_schema_is_not_restored_into_another(
    pg_url: str, new_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo(pg_url)
    out = tmp_path / "s.dump"
    assert run(capsys, "--db", pg_url, "backup", "--out", out)[0] == 0
    target = _in(pg_url, new_database)
    elsewhere = make_url(target).update_query_dict({"options": "-csearch_path=somewhere_else"})
    code, said, err = run(capsys, "--db", elsewhere.render_as_string(hide_password=False), "restore", out)
    assert (code, said) == (2, "")
    assert "but the target uses somewhere_else" in err


@pytest.mark.pg
def test_without_pg_dump_the_command_says_so(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(make_engine(pg_url))
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no PostgreSQL client tools on it
    code, said, err = run(capsys, "--db", pg_url, "backup", "--out", tmp_path / "x.dump")
    assert (code, said) == (2, "")
    assert err.startswith("error: pg_dump was not found: install PostgreSQL's client tools")
    code, _, err = run(capsys, "--db", pg_url, "restore", tmp_path / "x.dump")
    assert code == 2
    tracker.config.get_settings.cache_clear()
