"""Checks followed by writes hold under concurrency, and a failed statement's message carries none of its values.

Real threads with sessions of their own, on a file SQLite database and on PostgreSQL; no database is mocked.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col

import tracker.db
from tracker.auth import actor_for, hash_password
from tracker.models import User
from tracker.users import UserError, add_user, remove_user

A, B = "a.admin@uni.ac.uk", "b.admin@uni.ac.uk"


def _admins(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return set(s.exec(select(col(User.email)).where(col(User.role) == "admin")).scalars())  # type: ignore[call-overload]


def _at_once(engine: Engine, work: dict[str, object]) -> dict[str, str]:
    """Each admin's change in a thread and session of its own, released together, held open a moment before the
    commit (so, without a lock, both checks would pass before either write lands); what each one got."""
    barrier = threading.Barrier(len(work))
    outcome: dict[str, str] = {}

    def run(me: str, change: object) -> None:
        with Session(engine) as s:
            actor = actor_for(session=s, email=me)
            assert actor is not None
            barrier.wait()
            try:
                change(s, actor)  # type: ignore[operator]
                time.sleep(0.3)
                s.commit()
                outcome[me] = "done"
            except UserError as exc:
                s.rollback()
                outcome[me] = str(exc)

    threads = [threading.Thread(target=run, args=item) for item in work.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcome


@pytest.fixture
def two_admins(shared_engine: Engine) -> Engine:
    with Session(shared_engine) as s:
        add_user(session=s, email=A, role="admin")
        add_user(session=s, email=B, role="admin")
        s.commit()
    return shared_engine


def test_two_admins_demoting_each_other_at_once_leave_one(two_admins: Engine) -> None:
    outcome = _at_once(
        two_admins,
        {
            A: lambda s, me: add_user(session=s, email=B, role="viewer", actor=me),
            B: lambda s, me: add_user(session=s, email=A, role="viewer", actor=me),
        },
    )
    assert list(outcome.values()).count("done") == 1, outcome
    assert any("is the only administrator" in v for v in outcome.values()), outcome
    assert len(_admins(two_admins)) == 1


def test_two_admins_removing_each_other_at_once_leave_one(two_admins: Engine) -> None:
    outcome = _at_once(
        two_admins,
        {
            A: lambda s, me: remove_user(session=s, email=B, actor=me),
            B: lambda s, me: remove_user(session=s, email=A, actor=me),
        },
    )
    assert list(outcome.values()).count("done") == 1, outcome
    assert len(_admins(two_admins)) == 1


def test_a_demotion_and_a_removal_at_once_leave_one(two_admins: Engine) -> None:
    outcome = _at_once(
        two_admins,
        {
            A: lambda s, me: remove_user(session=s, email=B, actor=me),
            B: lambda s, me: add_user(session=s, email=A, role="board", actor=me),
        },
    )
    assert list(outcome.values()).count("done") == 1, outcome
    assert len(_admins(two_admins)) == 1


# --- errors carry no data ----------------------------------------------------------------------------------


def test_a_failed_statement_does_not_show_its_parameters(engine: Engine) -> None:
    """A duplicate email, written with a password hash: the error names the statement, never the values."""
    secret = hash_password("a passphrase nobody should see")
    with Session(engine) as s:
        add_user(session=s, email=A, role="admin")
        s.commit()
        s.add(User(email=A, role="viewer", password_hash=secret))
        with pytest.raises(IntegrityError) as exc:
            s.flush()
        s.rollback()
    message = str(exc.value)
    assert "INSERT INTO" in message and "SQL parameters hidden" in message
    assert secret not in message and secret.split("$")[-1] not in message
    assert A not in message.split("[SQL:")[1]  # the statement part: values would follow it
    assert engine.hide_parameters


def test_a_write_that_times_out_does_not_show_its_parameters(shared_engine: Engine) -> None:
    """The issue's case: a write waiting on a lock gives up; its message must not carry the hash it wrote."""
    engine = shared_engine
    secret = hash_password("another passphrase nobody should see")
    with Session(engine) as s:
        add_user(session=s, email=A, role="admin")
        s.commit()
    holder = engine.connect()
    holder.begin()
    holder.execute(text("UPDATE \"user\" SET name = 'held'"))  # holds the row (PostgreSQL) or the database (SQLite)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET lock_timeout = '200ms'")
            else:
                conn.exec_driver_sql("PRAGMA busy_timeout = 200")
            with pytest.raises(DBAPIError) as exc:
                conn.execute(text('UPDATE "user" SET password_hash = :h WHERE email = :e'), {"h": secret, "e": A})
            conn.rollback()
    finally:
        holder.rollback()
        holder.close()
    message = str(exc.value)
    assert tracker.db.is_transient(exc.value), message
    assert secret not in message and A not in message
    assert "SQL parameters hidden" in message


def test_every_engine_the_tracker_makes_hides_parameters(tmp_path: Path) -> None:
    assert tracker.db.make_engine(f"sqlite:///{tmp_path / 'x.db'}").hide_parameters
    assert tracker.db.make_engine("sqlite://").hide_parameters
    assert tracker.db.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none").hide_parameters
