"""Who is acting, and may they: password hashing, sign-in with a delay after failures, roles and permissions.

Passwords are stored only as salted scrypt hashes (memory-hard; standard library). After `FREE_FAILURES` wrong
passwords an account waits before the next try, doubling each time (kept in the database, so every replica
agrees). Permissions are checked here, in `tracker`, not by hiding pages: every write path calls `require`.

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
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.models import Action, User, UserAction, utcnow

# scrypt cost: 2**15 × 8 × 1 uses 32 MB and ~0.1 s per check: slow for a guesser, quick for a person.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
FREE_FAILURES = 3
MAX_DELAY = timedelta(minutes=15)
MIN_PASSWORD = 10

OPERATIONS: dict[str, tuple[str, ...]] = {
    "read": ("viewer", "lead", "board", "admin"),
    "build_pack": ("board", "admin"),
    "load_updates": ("lead", "admin"),
    "load_plan": ("admin",),
    "load_workforce": ("admin",),
    "manage_users": ("admin",),
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
    """Sign-in refused: wrong email or password, or too many recent failures (the message says which)."""


@dataclass(frozen=True)
class Actor:
    """Someone acting: their email, role, and (for leads) the refs of the actions they own."""

    email: str
    role: str
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


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


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


def sign_in(*, session: Session, email: str, password: str, now: datetime | None = None) -> Actor:
    """The actor for a correct email and password; SignInError otherwise. Commits the failure count.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     sign_in(session=s, email="nobody@uni.ac.uk", password="x")
        Traceback (most recent call last):
        ...
        tracker.auth.SignInError: wrong email or password
    """
    now = _aware(now or utcnow()).astimezone(UTC)  # SQLite keeps no time zone: store the lock in UTC
    user = session.exec(select(User).where(col(User.email) == email.strip().lower())).scalars().first()  # type: ignore[call-overload]
    if user is None or not user.password_hash:
        verify_password(password, _DUMMY_HASH)  # the same time spent, so emails cannot be probed by timing
        raise SignInError("wrong email or password")
    if user.locked_until and _aware(user.locked_until) > now:
        wait = math.ceil((_aware(user.locked_until) - now).total_seconds())
        raise SignInError(f"too many failed attempts: try again in {wait} seconds")
    if not verify_password(password, user.password_hash):
        user.failed_logins += 1
        if user.failed_logins >= FREE_FAILURES:
            delay = min(timedelta(seconds=2 ** (user.failed_logins - FREE_FAILURES + 2)), MAX_DELAY)
            user.locked_until = now + delay
        session.add(user)
        session.commit()
        raise SignInError("wrong email or password")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        session.add(user)
        session.commit()
    return actor_for(session=session, email=user.email)  # type: ignore[return-value]


def actor_for(*, session: Session, email: str) -> Actor | None:
    """The actor for a registered email (single sign-on gives the email; the role comes from here), or None."""
    user = session.exec(select(User).where(col(User.email) == email.strip().lower())).scalars().first()  # type: ignore[call-overload]
    if user is None:
        return None
    owns = session.exec(  # type: ignore[call-overload]
        select(col(Action.ref))
        .join(UserAction, col(UserAction.action_id) == col(Action.id))
        .where(col(UserAction.user_id) == user.id)
    ).scalars()
    return Actor(user.email, user.role, frozenset(owns), user.name)
