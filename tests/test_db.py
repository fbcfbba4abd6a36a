"""Engines, migrations and sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.db import MIGRATIONS, dispose_all, make_engine, migrate, open_engine, session_scope
from tracker.models import Action, Plan, ProgressUpdate


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def count(engine: Engine, model: type[SQLModel]) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_migrations_create_every_table_at_head(engine: Engine) -> None:
    tables = table_names(engine)
    expected = set(SQLModel.metadata.tables)
    assert expected, "no tables registered"
    assert expected <= tables, f"missing: {sorted(expected - tables)}"
    assert "alembic_version" in tables
    assert current_revision(engine) == head_revision()


def test_migrated_columns_match_models(engine: Engine) -> None:
    insp = inspect(engine)
    for name, table in SQLModel.metadata.tables.items():
        have = {c["name"] for c in insp.get_columns(name)}
        want = {c.name for c in table.columns}
        assert have == want, f"{name}: missing {sorted(want - have)}, extra {sorted(have - want)}"


def test_migrate_twice_is_a_no_op(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Plan(start_date=date(2026, 1, 1)))
    before = table_names(engine)

    migrate(engine)

    assert table_names(engine) == before
    assert current_revision(engine) == head_revision()
    assert count(engine, Plan) == 1


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(ProgressUpdate(action_id=999_999, as_of=date(2026, 3, 1), status="on track"))
    assert count(engine, ProgressUpdate) == 0


def test_progress_update_for_existing_action_is_accepted(engine: Engine) -> None:
    with session_scope(engine) as session:
        plan = Plan(start_date=date(2026, 1, 1))
        session.add(plan)
        session.flush()
        assert plan.id is not None
        action = Action(plan_id=plan.id, ref="D1")
        session.add(action)
        session.flush()
        assert action.id is not None
        session.add(ProgressUpdate(action_id=action.id, as_of=date(2026, 3, 1), status="on track"))
    assert count(engine, ProgressUpdate) == 1


def test_session_scope_commits_on_success(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Plan(start_date=date(2026, 1, 1), institution="A"))
    with session_scope(engine) as session:
        assert [p.institution for p in session.execute(select(Plan)).scalars()] == ["A"]


def test_session_scope_rolls_back_on_exception(engine: Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), session_scope(engine) as session:
        session.add(Plan(start_date=date(2026, 1, 1)))
        session.flush()  # the row reached the database inside the transaction
        raise Boom
    assert count(engine, Plan) == 0


def test_file_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "tracker.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
        assert db.exists()  # the parent folder was made
        # Pragmas are per connection: check two distinct connections.
        with engine.connect() as a, engine.connect() as b:
            for conn in (a, b):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(IntegrityError), session_scope(engine) as session:
            session.add(ProgressUpdate(action_id=12345, as_of=date(2026, 3, 1), status="on track"))
        assert count(engine, ProgressUpdate) == 0
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_shared_database(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        session.add(Plan(start_date=date(2026, 1, 1)))
    assert count(sqlite_engine, Plan) == 1


def test_open_engine_is_cached_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    first = open_engine(url)
    assert open_engine(url) is first
    other = open_engine(f"sqlite:///{tmp_path / 'b.db'}")
    assert other is not first
    assert current_revision(first) == head_revision()  # open_engine migrates

    dispose_all()
    assert open_engine(url) is not first


def test_open_engine_defaults_to_configured_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "configured.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{db}")
    engine = open_engine()
    assert engine.url.database == str(db)
    assert open_engine() is engine
    assert open_engine(f"sqlite:///{db}") is engine
    assert db.exists()


@pytest.mark.pg
def test_open_engine_treats_postgresql_scheme_as_psycopg(pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    engine = open_engine(pg_url)
    plain = "postgresql://" + pg_url[len("postgresql+psycopg://") :]
    assert open_engine(plain) is engine
    assert engine.dialect.driver == "psycopg"
    assert current_revision(engine) == head_revision()


@pytest.mark.pg
def test_replicas_starting_together_on_a_new_postgresql_schema_both_migrate(pg_url: str) -> None:
    """Four servers opening one new database at the same moment: each finds it at head, none fails."""
    import threading

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        engine = make_engine(pg_url)
        try:
            barrier.wait(timeout=30)
            migrate(engine)
        except BaseException as exc:  # collected: a thread's exception would otherwise be lost
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    engine.dispose()
    assert versions == [ScriptDirectory(str(MIGRATIONS)).get_current_head()]
