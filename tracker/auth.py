"""Who is acting, and may they: password hashing, sign-in with a delay after failures, roles and permissions.

Passwords are stored only as salted scrypt hashes (memory-hard; standard library). After `FREE_FAILURES` wrong
passwords an account waits before the next try, doubling each time up to `MAX_DELAY` (5 minutes, so nobody can
keep the owner out for long); after `SOURCE_FREE_FAILURES` from one source address that source waits, up to an
hour. Both are counted in the database with one atomic statement per attempt, before the password is checked,
so every replica agrees and parallel tries cannot slip past the count. An unknown email is counted and answered
exactly like a real one. A password change raises the account's `session_version`, which signs out its other
sessions. Permissions are checked here, in `tracker`, not by hiding pages: every write path calls `require`.

Example:
    >>> h = hash_password("correct horse battery staple")
    >>> h.startswith("scrypt$"), verify_password("correct horse battery staple", h), verify_password("nope", h)
    (True, True, False)
    >>> require(Actor("v@uni.ac.uk", "viewer"), "load_updates")
    Traceback (most recent call last):
    ...
    tracker.auth.PermissionDenied: v@uni.ac.uk is a viewer: viewers can read the dashboard but not load updates
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, case, inspect, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from tracker.db import begin_write
from tracker.models import Action, SignInAttempt, User, UserAction, utcnow

# scrypt cost: 2**15 × 8 × 1 uses 32 MB and ~0.1 s per check: slow for a guesser, quick for a person.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
FREE_FAILURES = 3
# Per account the delay stops growing here: whoever knows an email can keep its owner out for minutes at most.
MAX_DELAY = timedelta(minutes=5)
# Per source address: more free failures (several people may share one address), a far longer cap: this is the
# delay that stops a guesser, whichever accounts they try. A source's count starts again after a quiet day.
SOURCE_FREE_FAILURES = 10
SOURCE_MAX_DELAY = timedelta(hours=1)
SOURCE_FORGET = timedelta(hours=24)
WRONG_ANSWER = "wrong email or password"
# At most this many scrypt checks at once in one process (32 MB each): a flood of sign-ins queues here rather
# than taking the server's memory.
SCRYPT_SLOTS = 4
_scrypt_slots = threading.BoundedSemaphore(SCRYPT_SLOTS)
# The tables as SQLAlchemy Core sees them: counts are bumped with Core statements, which carry no ORM state.
_USERS = cast(Table, inspect(User).local_table)
_ATTEMPTS = cast(Table, inspect(SignInAttempt).local_table)
MIN_PASSWORD = 10

OPERATIONS: dict[str, tuple[str, ...]] = {
    "read": ("viewer", "lead", "board", "admin"),
    "build_pack": ("board", "admin"),
    "load_updates": ("lead", "admin"),
    "load_plan": ("admin",),
    "load_workforce": ("admin",),
    "manage_users": ("admin",),
    "manage_rounds": ("admin",),
    "read_audit": ("admin",),
    "see_exact_figures": ("admin",),
    "download_any_upload": ("admin",),
}
WHAT = {
    "read": "read the dashboard",
    "build_pack": "build board packs",
    "load_updates": "load updates",
    "load_plan": "load action plans",
    "load_workforce": "load workforce extracts",
    "manage_users": "manage users",
    "manage_rounds": "open, close or send reminders for update rounds",
    "read_audit": "read the audit log",
    "see_exact_figures": "see unrounded staff figures",
    "download_any_upload": "download other people's uploads",
}
ROLE_CAN = {
    "viewer": "viewers can read the dashboard",
    "lead": "leads can read the dashboard and load updates for their own actions",
    "board": "board members can read the dashboard and build board packs",
    "admin": "administrators can do everything",
}


class PermissionDenied(Exception):
    """The actor's role does not allow the operation; the message says why."""


class SignInError(Exception):
    """Sign-in refused: "wrong email or password", or "too many failed attempts: try again in N seconds" (from the
    account's count or the source's; an unknown email gets the same answers as a real one)."""


@dataclass(frozen=True)
class Actor:
    """Someone acting: their email, role, and (for leads) the refs of the actions they own."""

    email: str
    role: str
    # The refs of the actions they own in the current plan only: ownership is held by action (UserAction), so a
    # later plan that reuses a ref (a new D1) is not theirs until an administrator assigns it.
    owns: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    def can(self, operation: str) -> bool:
        return self.role in OPERATIONS[operation]


# The command line without --as: whoever can run it has the database itself, so it acts as an administrator.
SYSTEM = Actor("system", "admin", name="command line")


def require(actor: Actor, operation: str) -> None:
    """Raise PermissionDenied (saying why) unless `actor` may do `operation`."""
    if not actor.can(operation):
        raise PermissionDenied(f"{actor.email} is a {actor.role}: {ROLE_CAN[actor.role]} but not {WHAT[operation]}")


# --- passwords -------------------------------------------------------------------------------------------


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form `scrypt$N$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 << 20)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        with _scrypt_slots:
            got = hashlib.scrypt(
                password.encode(),
                salt=base64.b64decode(salt),
                n=int(n),
                r=int(r),
                p=int(p),
                maxmem=64 << 20,
                dklen=len(want),
            )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for an unknown email so that it takes as long as a known one's
    (made on first use, not at import: a command that signs nobody in does not pay for an scrypt)."""
    return hash_password(secrets.token_urlsafe(16))


def new_password() -> str:
    """A generated password for a new account: 16 URL-safe characters (~96 bits)."""
    return secrets.token_urlsafe(12)


def check_password_strength(password: str) -> None:
    """Raise ValueError when a chosen password is too weak to set."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")


# --- sign-in ---------------------------------------------------------------------------------------------


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=utcnow().tzinfo)


def _delay(failures: int, free: int, cap: timedelta) -> timedelta | None:
    """How long a count of failures locks for: none up to `free`, then 4 s doubling each time, up to `cap`.

    Example:
        >>> [_delay(n, 3, MAX_DELAY) for n in (2, 3, 4)]
        [None, datetime.timedelta(seconds=4), datetime.timedelta(seconds=8)]
        >>> _delay(10**6, 3, MAX_DELAY) == MAX_DELAY
        True
    """
    if failures < free:
        return None
    return min(timedelta(seconds=2 ** min(failures - free + 2, 40)), cap)


def _attempt_key(kind: str, value: str) -> str:
    """The SignInAttempt key: a SHA-256, so an email field holding a pasted password is not kept as typed."""
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def _seconds_left(until: datetime | None, now: datetime) -> int:
    return max(1, math.ceil((_aware(until) - now).total_seconds())) if until else 1


def _claim(session: Session, row: _Counter, now: datetime) -> int:
    """Count one attempt against `row` unless it is locked; 0 when counted, else the whole seconds to wait.

    One `UPDATE ... SET n = n + 1 WHERE not locked ... RETURNING n`: the check and the count are a single
    statement holding the row's lock, so parallel attempts each see the count the one before left, and an
    attempt that finds the row locked is neither checked nor counted.
    """
    t, where, n = row.table, row.where, row.table.c[row.count]
    unlocked = or_(t.c.locked_until.is_(None), t.c.locked_until <= now)
    values: dict[str, Any] = {row.count: n + 1}
    if row.forget is not None:  # a source's count starts again after a long quiet spell
        values = {row.count: case((t.c.last_at < now - row.forget, 1), else_=n + 1), "last_at": now}
    count = session.execute(update(t).where(where, unlocked).values(values).returning(n)).scalar_one_or_none()
    if count is None:
        return _seconds_left(session.execute(select(t.c.locked_until).where(where)).scalar_one_or_none(), now)
    lock = _delay(count, row.free, row.cap)
    if lock is not None:  # still under the row's lock (PostgreSQL) or SQLite's write lock: no one else in between
        session.execute(update(t).where(where).values(locked_until=now + lock))
    return 0


@dataclass(frozen=True)
class _Counter:
    """A row counting failed sign-ins: which table, which row, its count column, and its limits."""

    table: Table
    where: ColumnElement[bool]
    count: str
    free: int
    cap: timedelta
    forget: timedelta | None = None


def _attempt_row(session: Session, kind: str, value: str, now: datetime, **limits: Any) -> _Counter:
    """The SignInAttempt row for (kind, value), made if missing (ON CONFLICT DO NOTHING: two first attempts at
    once make one row)."""
    t = _ATTEMPTS
    key = _attempt_key(kind, value)
    insert = pg_insert if session.connection().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(t).values(key=key, failures=0, last_at=now).on_conflict_do_nothing(index_elements=[t.c.key]))
    return _Counter(t, t.c.key == key, "failures", **limits)


def sign_in(*, session: Session, email: str, password: str, source: str = "", now: datetime | None = None) -> Actor:
    """The actor for a correct email and password; SignInError otherwise. Commits the attempt's count.

    `source` is where the attempt comes from (the page passes the client's address): failures are counted per
    account AND per source, so a guesser spreading tries over many accounts is slowed too, while the account's
    own delay stays short (`MAX_DELAY`). An unknown email, a wrong password and a locked account cost the same:
    the same count, the same one scrypt check, the same answer.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     sign_in(session=s, email="nobody@uni.ac.uk", password="x", source="192.0.2.1")
        Traceback (most recent call last):
        ...
        tracker.auth.SignInError: wrong email or password
    """
    return sign_in_with_version(session=session, email=email, password=password, source=source, now=now)[0]


def sign_in_with_version(
    *, session: Session, email: str, password: str, source: str = "", now: datetime | None = None
) -> tuple[Actor, int]:
    """`sign_in`, also giving the account's session version as read with the password hash that matched.

    The page keeps the version in the signed-in session and compares it on every run (`session_version`): a
    password change raises it, so every session signed in before the change is signed out.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.users import add_user
        >>> with Session(open_engine("sqlite://")) as s:
        ...     _ = add_user(session=s, email="v@uni.ac.uk", role="viewer", password="a long passphrase")
        ...     s.commit()
        ...     actor, version = sign_in_with_version(session=s, email="v@uni.ac.uk", password="a long passphrase")
        ...     actor.email, version == session_version(session=s, email="v@uni.ac.uk")
        ('v@uni.ac.uk', True)
    """
    return _sign_in(session, email, password, source, now)


def _sign_in(session: Session, email: str, password: str, source: str, now: datetime | None) -> tuple[Actor, int]:
    now = _aware(now or utcnow()).astimezone(UTC)  # SQLite keeps no time zone: store the lock in UTC
    email = email.strip().lower()
    users = _USERS
    user = session.execute(
        select(users.c.id, users.c.password_hash, users.c.session_version).where(users.c.email == email)
    ).first()
    stored = user.password_hash if user is not None and user.password_hash else None

    # 1. Count this attempt against its source and its account, or find one of them locked: one transaction, the
    # source first (every attempt takes its rows in the same order, so two cannot deadlock).
    begin_write(session)
    wait = 0
    if source:
        wait = _claim(
            session,
            _attempt_row(
                session, "source", source, now, free=SOURCE_FREE_FAILURES, cap=SOURCE_MAX_DELAY, forget=SOURCE_FORGET
            ),
            now,
        )
    if not wait:
        if stored is not None:
            account = _Counter(users, users.c.id == user.id, "failed_logins", FREE_FAILURES, MAX_DELAY)  # type: ignore[union-attr]
        else:  # no local account: counted all the same, so it answers as one would
            account = _attempt_row(session, "account", email, now, free=FREE_FAILURES, cap=MAX_DELAY)
        wait = _claim(session, account, now)
    if wait:
        session.rollback()  # a refused attempt counts nowhere, nor extends a lock
    else:
        session.commit()

    # 2. Exactly one scrypt check whatever the case, so the answer's timing tells nothing.
    right = verify_password(password, stored or _dummy_hash()) and stored is not None and not wait
    if wait:
        raise SignInError(f"too many failed attempts: try again in {wait} seconds")
    if not right:
        raise SignInError(WRONG_ANSWER)

    # 3. The right password: the account starts afresh, and this attempt is taken off its source's count.
    assert user is not None
    begin_write(session)
    session.execute(update(users).where(users.c.id == user.id).values(failed_logins=0, locked_until=None))
    if source:
        t, key = _ATTEMPTS, _attempt_key("source", source)
        session.execute(
            update(t)
            .where(t.c.key == key, t.c.failures > 0)
            .values(
                failures=t.c.failures - 1,
                locked_until=case((t.c.failures - 1 < SOURCE_FREE_FAILURES, None), else_=t.c.locked_until),
            )
        )
    session.commit()
    actor = actor_for(session=session, email=email)
    if actor is None:  # removed in the meantime
        raise SignInError(WRONG_ANSWER)
    return actor, int(user.session_version)


def session_version(*, session: Session, email: str) -> int | None:
    """The account's current session version (None: no such account); see `sign_in_with_version`.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     session_version(session=s, email="nobody@uni.ac.uk") is None
        True
    """
    users = _USERS
    version = session.execute(
        select(users.c.session_version).where(users.c.email == email.strip().lower())
    ).scalar_one_or_none()
    return None if version is None else int(version)


def actor_for(*, session: Session, email: str) -> Actor | None:
    """The actor for a registered email (single sign-on gives the email; the role comes from here), or None.

    `owns` holds the refs of the actions assigned to them in the current plan: an assignment is to an action, so
    one in an earlier plan gives nothing in a later plan that happens to reuse its ref.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     print(actor_for(session=s, email="nobody@uni.ac.uk"))
        None
    """
    # Imported here: tracker.plans pulls in the spreadsheet reader, which signing in should not have to load.
    from tracker.plans import current_plan

    user = session.exec(select(User).where(col(User.email) == email.strip().lower())).scalars().first()  # type: ignore[call-overload]
    if user is None:
        return None
    plan = current_plan(session=session)
    owns = session.exec(  # type: ignore[call-overload]
        select(col(Action.ref))
        .join(UserAction, col(UserAction.action_id) == col(Action.id))
        .where(col(UserAction.user_id) == user.id, col(Action.plan_id) == (plan.id if plan else -1))
    ).scalars()
    return Actor(user.email, user.role, frozenset(owns), user.name)
