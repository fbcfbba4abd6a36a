"""Sign-in under attack: parallel guesses are all counted and none slips past the delay, an unknown email cannot be
told from a real one (same answers, same time), a source address is slowed across accounts, the owner is kept
out for minutes at most, and a password reset or a removal signs out the sessions already open.

Races use real threads, each with its own session, on a file SQLite database (an in-memory one is a single
connection shared by every thread) and on PostgreSQL.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

import tracker.auth
import tracker.db
from tests.apputil import open_app
from tracker.auth import (
    FREE_FAILURES,
    MAX_DELAY,
    SOURCE_FREE_FAILURES,
    SignInError,
    sign_in,
)
from tracker.models import User
from tracker.users import add_user, remove_user, set_password

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

EMAIL = "lead@uni.ac.uk"
OTHER = "board@uni.ac.uk"
PASSWORD = "correct horse battery staple"
WRONG = "incorrect horse battery staple"
T0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
WRONG_ANSWER = "wrong email or password"
PARALLEL = 30


def with_users(engine: Engine) -> Engine:
    with Session(engine) as s:
        add_user(session=s, email=EMAIL, role="lead", password=PASSWORD)
        add_user(session=s, email=OTHER, role="board", password=PASSWORD)
        s.commit()
    return engine


def stored(engine: Engine, email: str = EMAIL) -> tuple[int, datetime | None]:
    with Session(engine) as s:
        row = s.exec(select(User.failed_logins, User.locked_until).where(col(User.email) == email)).one()  # type: ignore[call-overload]
    until = row[1]
    return row[0], until if until is None or until.tzinfo else until.replace(tzinfo=UTC)


def answer(engine: Engine, email: str, password: str, at: datetime, source: str = "") -> str:
    """What a sign-in says, in a session of its own: 'ok', or the refusal's words."""
    with Session(engine) as s:
        try:
            sign_in(session=s, email=email, password=password, source=source, now=at)
        except SignInError as exc:
            return str(exc)
    return "ok"


def in_parallel(n: int, attempt: Callable[[int], str]) -> list[str]:
    """`attempt(i)` for i in range(n), in n threads released together; their answers."""
    barrier = threading.Barrier(n)
    answers: list[str] = [""] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            answers[i] = attempt(i)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return answers


# --- the count is atomic, and the delay cannot be bypassed by parallel tries -------------------------------


def test_thirty_parallel_wrong_sign_ins_are_all_counted(shared_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the lock out of the way (more free failures than tries), every parallel failure is counted: the
    count is bumped in SQL, not read and written back (which ended at 2 of 30)."""
    engine = with_users(shared_engine)
    monkeypatch.setattr(tracker.auth, "FREE_FAILURES", PARALLEL + 1)
    answers = in_parallel(PARALLEL, lambda i: answer(engine, EMAIL, WRONG, T0))
    assert answers == [WRONG_ANSWER] * PARALLEL
    assert stored(engine) == (PARALLEL, None)


def test_thirty_parallel_wrong_sign_ins_get_only_the_free_checks(shared_engine: Engine) -> None:
    """Each attempt is counted before its password is checked, in the statement that checks the lock: of 30
    parallel tries only FREE_FAILURES are checked, the rest meet the lock the third one set (no bypass)."""
    engine = with_users(shared_engine)
    answers = in_parallel(PARALLEL, lambda i: answer(engine, EMAIL, WRONG, T0))
    assert answers.count(WRONG_ANSWER) == FREE_FAILURES
    assert answers.count("too many failed attempts: try again in 4 seconds") == PARALLEL - FREE_FAILURES
    assert stored(engine) == (FREE_FAILURES, T0 + timedelta(seconds=4))
    # ... and the right password, once the lock has passed, still works and clears the count.
    assert answer(engine, EMAIL, PASSWORD, T0 + timedelta(seconds=4)) == "ok"
    assert stored(engine) == (0, None)


def test_parallel_tries_from_one_source_are_all_counted(shared_engine: Engine) -> None:
    """The per-source count is atomic too: parallel guesses at many accounts from one address stop at its
    free failures."""
    engine = with_users(shared_engine)
    answers = in_parallel(PARALLEL, lambda i: answer(engine, f"guess{i}@uni.ac.uk", WRONG, T0, source="192.0.2.7"))
    assert answers.count(WRONG_ANSWER) == SOURCE_FREE_FAILURES
    assert all(a.startswith("too many failed attempts") for a in answers if a != WRONG_ANSWER)


# --- no enumeration: an unknown email, a wrong password and a locked account look alike ----------------------


def test_an_unknown_email_answers_exactly_as_a_real_one(engine: Engine) -> None:
    """The same sequence of tries gives the same sequence of answers, lock and wait included."""
    with_users(engine)
    times = [T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=4), T0 + timedelta(seconds=5)]
    real = [answer(engine, EMAIL, WRONG, at) for at in times]
    unknown = [answer(engine, "nobody@uni.ac.uk", WRONG, at) for at in times]
    assert real == unknown
    assert real[:3] == [WRONG_ANSWER] * 3
    assert real[3] == "too many failed attempts: try again in 3 seconds"
    # An account locked: the right password is refused with the same words as for the unknown email.
    assert answer(engine, EMAIL, PASSWORD, T0 + timedelta(seconds=6)) == answer(
        engine, "nobody@uni.ac.uk", PASSWORD, T0 + timedelta(seconds=6)
    )


def _median_seconds(attempt: Callable[[int], str], expected: str, tries: int = 5) -> float:
    times = []
    for i in range(tries):
        start = time.perf_counter()
        assert attempt(i) == expected
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_unknown_wrong_and_locked_take_the_same_time(engine: Engine) -> None:
    """Every case runs exactly one scrypt check (~0.1 s); an unknown email once answered in 88 ms and a locked
    account in 1 ms. Medians of a few tries, compared as a ratio (the machine's speed does not matter)."""
    with_users(engine)
    with Session(engine) as s:  # OTHER is locked for a day
        s.execute(
            update(User).where(col(User.email) == OTHER).values(failed_logins=40, locked_until=T0 + timedelta(days=1))
        )
        s.commit()
    hour = timedelta(hours=1)  # wrong passwords an hour apart: each finds the last one's lock passed
    answer(engine, EMAIL, PASSWORD, T0)  # warm up (first connection, first statements)
    unknown = _median_seconds(lambda i: answer(engine, f"nobody{i}@uni.ac.uk", WRONG, T0 + i * hour), WRONG_ANSWER)
    wrong = _median_seconds(lambda i: answer(engine, EMAIL, WRONG, T0 + (i + 1) * hour), WRONG_ANSWER)
    locked_msg = answer(engine, OTHER, PASSWORD, T0)
    assert locked_msg.startswith("too many failed attempts")
    locked = _median_seconds(lambda i: answer(engine, OTHER, PASSWORD, T0), locked_msg)
    fastest, slowest = min(unknown, wrong, locked), max(unknown, wrong, locked)
    assert slowest / fastest < 1.5, {"unknown": unknown, "wrong": wrong, "locked": locked}


# --- per source and per account ------------------------------------------------------------------------------


def test_a_source_is_slowed_whichever_accounts_it_tries(engine: Engine) -> None:
    with_users(engine)
    guesser, colleague = "198.51.100.9", "203.0.113.5"
    for i in range(SOURCE_FREE_FAILURES):
        # One try per account: no account's own count ever locks.
        assert answer(engine, f"guess{i}@uni.ac.uk", WRONG, T0, source=guesser) == WRONG_ANSWER
    # The next try from that source is refused unchecked, even with a real account's right password ...
    assert answer(engine, EMAIL, PASSWORD, T0, source=guesser) == "too many failed attempts: try again in 4 seconds"
    assert stored(engine) == (0, None)  # ... and counts against no account
    # Another address is not affected, and the guesser's delay grows while the owner's stays capped.
    assert answer(engine, EMAIL, PASSWORD, T0, source=colleague) == "ok"
    at = T0 + timedelta(seconds=4)
    assert answer(engine, "guess@uni.ac.uk", WRONG, at, source=guesser) == WRONG_ANSWER
    assert answer(engine, EMAIL, PASSWORD, at, source=guesser) == "too many failed attempts: try again in 8 seconds"


def test_right_passwords_do_not_use_up_a_sources_free_failures(engine: Engine) -> None:
    """Someone signing in many times a day from one address (or many people behind one) is never slowed."""
    with_users(engine)
    for i in range(3 * SOURCE_FREE_FAILURES):
        assert answer(engine, EMAIL, PASSWORD, T0 + timedelta(minutes=i), source="192.0.2.1") == "ok"


def test_a_lock_keeps_the_owner_out_for_five_minutes_at_most(engine: Engine) -> None:
    """Anyone who knows an email can lock it, but only for MAX_DELAY (5 minutes), however long they keep at it."""
    assert timedelta(minutes=1) <= MAX_DELAY <= timedelta(minutes=5)
    with_users(engine)
    at = T0
    for _ in range(40):  # a guesser trying every time the lock passes
        assert answer(engine, EMAIL, WRONG, at) == WRONG_ANSWER
        at = stored(engine)[1] or at
    assert stored(engine)[1] == at and at - T0 < 40 * MAX_DELAY
    assert answer(engine, EMAIL, PASSWORD, at - timedelta(seconds=1)).startswith("too many failed attempts")
    assert answer(engine, EMAIL, PASSWORD, at) == "ok"


# --- a password reset or a removal ends the sessions already open -------------------------------------------

VIEWER = "viewer@demo.ac.uk"


def _signed_in_through_the_form(monkeypatch: pytest.MonkeyPatch, db: str, password: str) -> AppTest:
    with Session(tracker.db.open_engine(db)) as s:
        set_password(session=s, email=VIEWER, password=password)
        s.commit()
    at = open_app(monkeypatch, db, as_user=None)
    at.text_input[0].input(VIEWER)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["signed_in_as"] == VIEWER
    return at


def _assert_signed_out_with(at: AppTest, notice: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "signed_in_as" not in at.session_state
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert notice in [w.value for w in at.warning]
    assert not at.metric


def test_a_password_reset_signs_out_an_open_session(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = _signed_in_through_the_form(monkeypatch, db, "the viewer's first passphrase")
    at.run()
    assert at.session_state["signed_in_as"] == VIEWER  # a plain rerun keeps the session
    with Session(tracker.db.open_engine(db)) as s:  # an administrator resets it elsewhere
        set_password(session=s, email=VIEWER, password="a brand new passphrase")
        s.commit()
    at.run()
    _assert_signed_out_with(
        at, "You were signed out because this account's password was changed. Please sign in again."
    )
    # The new password signs in again, and that session stays signed in.
    at.text_input[0].input(VIEWER)
    at.text_input[1].input("a brand new passphrase")
    at.button[0].click().run()
    assert at.session_state["signed_in_as"] == VIEWER
    assert not at.warning
    at.run()
    assert at.session_state["signed_in_as"] == VIEWER


def test_a_session_opened_without_a_version_is_signed_out_by_a_reset(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    """A session that holds no version yet (as tests set one up) takes the current one, then follows it."""
    at = open_app(monkeypatch, db, as_user=VIEWER)
    with Session(tracker.db.open_engine(db)) as s:
        set_password(session=s, email=VIEWER, password="a brand new passphrase")
        s.commit()
    at.run()
    _assert_signed_out_with(
        at, "You were signed out because this account's password was changed. Please sign in again."
    )


def test_removing_a_user_signs_out_their_open_session(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = _signed_in_through_the_form(monkeypatch, db, "the viewer's first passphrase")
    with Session(tracker.db.open_engine(db)) as s:
        remove_user(session=s, email=VIEWER)
        s.commit()
    at.run()
    _assert_signed_out_with(at, "You were signed out because this account was removed.")
