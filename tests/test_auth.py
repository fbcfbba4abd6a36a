"""Passwords and sign-in: salted scrypt hashes, a growing delay after repeated failures, no user enumeration."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tracker.auth import (
    FREE_FAILURES,
    MAX_DELAY,
    MIN_PASSWORD,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    SignInError,
    actor_for,
    hash_password,
    sign_in,
    verify_password,
)
from tracker.models import AuditEvent, User
from tracker.users import add_user, set_password

EMAIL = "lead@uni.ac.uk"
PASSWORD = "correct horse battery staple"
WRONG = "incorrect horse battery staple"
T0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
LOCKED = re.compile(r"^too many failed attempts: try again in (\d+) seconds$")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A database (SQLite and PostgreSQL) holding one lead with a known password."""
    with Session(engine) as s:
        add_user(session=s, email=EMAIL, role="lead", name="A Lead", password=PASSWORD)
        s.commit()
        yield s


def user_row(engine: Engine, email: str = EMAIL) -> User:
    """The user as stored (read in a fresh session, so only what was committed)."""
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(col(User.email) == email)).scalars().one()  # type: ignore[call-overload]
        s.expunge(user)
        return user  # type: ignore[no-any-return]


def utc(d: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC datetimes, PostgreSQL aware ones: compare them as aware."""
    return d if d is None or d.tzinfo else d.replace(tzinfo=UTC)


def fail(session: Session, at: datetime, password: str = WRONG) -> str:
    with pytest.raises(SignInError) as exc:
        sign_in(session=session, email=EMAIL, password=password, now=at)
    return str(exc.value)


# --- hashing ---------------------------------------------------------------------------------------------


def test_hash_format_names_scrypt_and_its_cost() -> None:
    h = hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = h.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert (int(n), int(r), int(p)) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    assert h.startswith("scrypt$32768$8$1$")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 64
    assert PASSWORD not in h


def test_two_hashes_of_one_password_differ_and_both_verify() -> None:
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a != b
    assert a.split("$")[4] != b.split("$")[4]  # the salt
    assert verify_password(PASSWORD, a) and verify_password(PASSWORD, b)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (PASSWORD, True),
        (WRONG, False),
        ("", False),
        (PASSWORD.upper(), False),
        (PASSWORD + " ", False),
        (PASSWORD[:-1], False),
    ],
)
def test_verify(candidate: str, expected: bool) -> None:
    assert verify_password(candidate, hash_password(PASSWORD)) is expected


def _good_parts() -> list[str]:
    return hash_password(PASSWORD).split("$")


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda p: "", id="empty"),
        pytest.param(lambda p: "not a hash", id="no-fields"),
        pytest.param(lambda p: "scrypt$32768$8$1", id="too-few-fields"),
        pytest.param(lambda p: "$".join([*p, "extra"]), id="too-many-fields"),
        pytest.param(lambda p: "$".join(["bcrypt", *p[1:]]), id="other-scheme"),
        pytest.param(lambda p: "$".join(["scrypt", "many", *p[2:]]), id="n-not-a-number"),
        pytest.param(lambda p: "$".join(["scrypt", "1000", *p[2:]]), id="n-not-a-power-of-two"),
        pytest.param(lambda p: "$".join(["scrypt", "-2", *p[2:]]), id="n-negative"),
        pytest.param(lambda p: "$".join(["scrypt", str(2**30), *p[2:]]), id="n-beyond-memory"),
        pytest.param(lambda p: "$".join([*p[:2], "0", *p[3:]]), id="r-zero"),
        pytest.param(lambda p: "$".join([*p[:4], "!!not base64!!", p[5]]), id="bad-salt"),
        pytest.param(lambda p: "$".join([*p[:5], "@@@"]), id="bad-digest"),
        pytest.param(lambda p: "$".join([*p[:5], ""]), id="empty-digest"),
    ],
)
def test_a_malformed_hash_is_false_not_an_exception(mangle: object) -> None:
    stored = mangle(_good_parts())  # type: ignore[operator]
    assert verify_password(PASSWORD, stored) is False


# --- sign-in ---------------------------------------------------------------------------------------------


def test_sign_in_gives_the_actor(session: Session, engine: Engine) -> None:
    actor = sign_in(session=session, email=EMAIL, password=PASSWORD, now=T0)
    assert (actor.email, actor.role, actor.name, actor.owns) == (EMAIL, "lead", "A Lead", frozenset())
    assert actor == actor_for(session=session, email=EMAIL)
    # The email is matched however it is typed.
    assert sign_in(session=session, email="  Lead@UNI.ac.uk ", password=PASSWORD, now=T0).email == EMAIL
    assert user_row(engine).failed_logins == 0


def test_wrong_password_is_refused_and_counted(session: Session, engine: Engine) -> None:
    for n in range(1, FREE_FAILURES):
        assert fail(session, T0) == "wrong email or password"
        stored = user_row(engine)
        assert (stored.failed_logins, stored.locked_until) == (n, None)
    # The free failures do not delay the right password.
    assert sign_in(session=session, email=EMAIL, password=PASSWORD, now=T0).email == EMAIL
    assert (user_row(engine).failed_logins, user_row(engine).locked_until) == (0, None)


def test_repeated_failures_lock_the_account_for_a_doubling_delay(session: Session, engine: Engine) -> None:
    for _ in range(FREE_FAILURES - 1):
        fail(session, T0)
    assert user_row(engine).locked_until is None

    # The FREE_FAILURES-th failure locks: first for 4 seconds, then 8, then 16 ...
    at = T0
    delays = []
    for n in range(FREE_FAILURES, FREE_FAILURES + 4):
        assert fail(session, at) == "wrong email or password"
        stored = user_row(engine)
        assert stored.failed_logins == n
        locked_until = utc(stored.locked_until)
        assert locked_until is not None
        delays.append(locked_until - at)
        # While locked even the right password is refused, says how long to wait, and is not counted.
        for waited, left in ((0, delays[-1]), (1.5, delays[-1] - timedelta(seconds=1.5))):
            message = fail(session, at + timedelta(seconds=waited), PASSWORD)
            m = LOCKED.match(message)
            assert m, message
            assert int(m.group(1)) == -(-left // timedelta(seconds=1))  # whole seconds, rounded up
        # A wrong password while locked is not counted either (nor does it extend the lock).
        fail(session, at + timedelta(seconds=1))
        assert (user_row(engine).failed_logins, utc(user_row(engine).locked_until)) == (n, locked_until)
        at = locked_until
    assert delays == [timedelta(seconds=s) for s in (4, 8, 16, 32)]

    # Once the lock has passed the right password works and clears the count.
    actor = sign_in(session=session, email=EMAIL, password=PASSWORD, now=at)
    assert actor.email == EMAIL
    stored = user_row(engine)
    assert (stored.failed_logins, stored.locked_until) == (0, None)
    # ... so the next wrong password is a free one again.
    assert fail(session, at) == "wrong email or password"
    assert (user_row(engine).failed_logins, user_row(engine).locked_until) == (1, None)


def test_the_delay_stops_growing_at_the_maximum(session: Session, engine: Engine) -> None:
    user = session.exec(select(User).where(col(User.email) == EMAIL)).scalars().one()  # type: ignore[call-overload]
    user.failed_logins = 40
    session.add(user)
    session.commit()
    fail(session, T0)
    assert utc(user_row(engine).locked_until) == T0 + MAX_DELAY
    assert LOCKED.match(fail(session, T0 + MAX_DELAY - timedelta(seconds=1), PASSWORD))
    assert sign_in(session=session, email=EMAIL, password=PASSWORD, now=T0 + MAX_DELAY).email == EMAIL


@pytest.mark.parametrize("hours", [2, -5])
def test_the_clock_used_is_the_moment_not_its_time_zone(session: Session, engine: Engine, hours: int) -> None:
    """A lock written at one instant ends at the same instant, whatever zone the times are given in."""
    elsewhere = T0.astimezone(timezone(timedelta(hours=hours)))
    for _ in range(FREE_FAILURES):
        fail(session, elsewhere)
    assert utc(user_row(engine).locked_until) == T0 + timedelta(seconds=4)
    m = LOCKED.match(fail(session, T0 + timedelta(seconds=1), PASSWORD))
    assert m and m.group(1) == "3"
    assert sign_in(session=session, email=EMAIL, password=PASSWORD, now=T0 + timedelta(seconds=4)).email == EMAIL


def test_setting_a_password_clears_the_lock(session: Session, engine: Engine) -> None:
    for _ in range(FREE_FAILURES):
        fail(session, T0)
    assert user_row(engine).locked_until is not None
    set_password(session=session, email=EMAIL, password="a brand new passphrase")
    session.commit()
    stored = user_row(engine)
    assert (stored.failed_logins, stored.locked_until) == (0, None)
    assert sign_in(session=session, email=EMAIL, password="a brand new passphrase", now=T0).email == EMAIL
    assert fail(session, T0, PASSWORD) == "wrong email or password"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("nobody@uni.ac.uk", PASSWORD),  # unknown email, a password that is right for someone else
        ("nobody@uni.ac.uk", WRONG),
        ("", PASSWORD),
        ("sso@uni.ac.uk", PASSWORD),  # a single sign-on user has no password: never signs in locally
        ("sso@uni.ac.uk", ""),
    ],
)
def test_unknown_email_gets_the_same_answer_as_a_wrong_password(session: Session, email: str, password: str) -> None:
    add_user(session=session, email="sso@uni.ac.uk", role="viewer")
    session.commit()
    with pytest.raises(SignInError) as unknown:
        sign_in(session=session, email=email, password=password, now=T0)
    with pytest.raises(SignInError) as wrong:
        sign_in(session=session, email=EMAIL, password=WRONG, now=T0)
    assert str(unknown.value) == str(wrong.value) == "wrong email or password"
    assert session.exec(select(User).where(col(User.email) == "nobody@uni.ac.uk")).first() is None  # type: ignore[call-overload]


def test_passwords_are_never_stored_or_logged_in_clear(
    session: Session, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chosen = "my very own passphrase"
    _, generated = add_user(session=session, email="new@uni.ac.uk", role="viewer", password="generate")
    assert generated
    set_password(session=session, email=EMAIL, password=chosen)
    session.commit()
    fail(session, T0, "a mistyped passphrase")
    sign_in(session=session, email=EMAIL, password=chosen, now=T0)

    secrets = (PASSWORD, chosen, generated, "a mistyped passphrase")
    with Session(engine) as s:
        users = list(s.exec(select(User)).scalars())  # type: ignore[call-overload]
        events = list(s.exec(select(AuditEvent)).scalars())  # type: ignore[call-overload]
    assert {u.email for u in users} == {EMAIL, "new@uni.ac.uk"}
    for u in users:
        assert u.password_hash and u.password_hash.startswith("scrypt$")
        for field in (u.password_hash, u.name, u.email):
            assert not any(p in field for p in secrets)
    assert {e.action for e in events} >= {"user_added", "password_set"}
    for e in events:
        for field in (e.target, e.before, e.after, e.detail):
            assert not any(p in field for p in secrets), (e.action, field)
    assert not any(p in caplog.text for p in secrets)


@pytest.mark.parametrize("short", ["", "short", "x" * (MIN_PASSWORD - 1)])
def test_a_short_password_is_not_set(session: Session, engine: Engine, short: str) -> None:
    before = user_row(engine).password_hash
    with pytest.raises(ValueError, match=f"at least {MIN_PASSWORD} characters"):
        set_password(session=session, email=EMAIL, password=short)
    with pytest.raises(ValueError, match=f"at least {MIN_PASSWORD} characters"):
        add_user(session=session, email="other@uni.ac.uk", role="viewer", password=short)
    session.rollback()
    assert user_row(engine).password_hash == before
    assert sign_in(session=session, email=EMAIL, password=PASSWORD, now=T0).email == EMAIL


def test_a_password_of_exactly_the_minimum_length_is_set(session: Session) -> None:
    exact = "y" * MIN_PASSWORD
    assert set_password(session=session, email=EMAIL, password=exact) is None
    session.commit()
    assert sign_in(session=session, email=EMAIL, password=exact, now=T0).email == EMAIL


def test_a_generated_password_is_returned_once_and_signs_in(session: Session) -> None:
    first = set_password(session=session, email=EMAIL)
    session.commit()
    assert first and len(first) >= MIN_PASSWORD
    assert sign_in(session=session, email=EMAIL, password=first, now=T0).email == EMAIL
    second = set_password(session=session, email=EMAIL)
    session.commit()
    assert second and second != first
    assert sign_in(session=session, email=EMAIL, password=second, now=T0).email == EMAIL
    assert fail(session, T0, first) == "wrong email or password"
