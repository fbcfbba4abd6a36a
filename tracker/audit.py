"""The audit log: every write, who made it, when, what, and the before → after where something changed.

Events are added in the same transaction as the change they describe, so the log never claims a write that
was rolled back.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> from tracker.auth import SYSTEM
    >>> with Session(open_engine("sqlite://")) as s:
    ...     record(s, SYSTEM, "user_added", "a@uni.ac.uk", after="viewer")
    ...     [(e.action, e.target, e.after) for e in list_events(session=s, actor=SYSTEM)]
    [('user_added', 'a@uni.ac.uk', 'viewer')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from tracker.auth import Actor, PermissionDenied, require
from tracker.models import AuditEvent, utcnow

Ts = TypeVarTuple("Ts")


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str = "",
    *,
    before: str = "",
    after: str = "",
    detail: str = "",
    upload_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Add one event to the session (the caller commits it with the change)."""
    session.add(
        AuditEvent(
            at=at or utcnow(),
            actor=actor.email[:254],
            action=action[:40],
            target=str(target)[:300],
            before=str(before)[:300],
            after=str(after)[:300],
            detail=detail,
            upload_id=upload_id,
        )
    )


def require_logged(session: Session, actor: Actor, operation: str, target: str = "") -> None:
    """`require`, but a refusal is logged first (it is a security event) and committed, since the caller's
    transaction will not be; then PermissionDenied is raised, saying why.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     try:
        ...         require_logged(s, Actor("v@uni.ac.uk", "viewer"), "manage_users", "a@uni.ac.uk")
        ...     except PermissionDenied:
        ...         pass
        ...     [(e.actor, e.action, e.target) for e in list_events(session=s, actor=SYSTEM)]
        [('v@uni.ac.uk', 'refused', 'a@uni.ac.uk')]
    """
    try:
        require(actor, operation)
    except PermissionDenied as exc:
        record(session, actor, "refused", target, detail=str(exc))
        session.commit()
        raise


def _filtered(
    q: Select[*Ts], *, who: str, action: str, since: date | None, until: date | None, text: str
) -> Select[*Ts]:
    """`q` narrowed to the events matching the filters (shared by listing and counting)."""
    if who:
        q = q.where(col(AuditEvent.actor) == who)
    if action:
        q = q.where(col(AuditEvent.action) == action)
    if since:
        q = q.where(col(AuditEvent.at) >= datetime.combine(since, time.min))
    if until:
        q = q.where(col(AuditEvent.at) < datetime.combine(until + timedelta(days=1), time.min))
    if text:
        like = f"%{text}%"
        q = q.where(col(AuditEvent.target).ilike(like) | col(AuditEvent.detail).ilike(like))
    return q


@dataclass(frozen=True)
class AuditEntry:
    """One event of the log as read back; `at` is when it was recorded (UTC)."""

    id: int
    at: datetime | None
    actor: str
    action: str  # what was done: load_updates, user_added, refused, …
    target: str
    before: str
    after: str
    detail: str
    upload_id: int | None

    @property
    def when(self) -> str:
        """'2020-10-31 12:00:05', as the log shows and exports it ('' if no time was recorded)."""
        return self.at.isoformat(sep=" ", timespec="seconds") if self.at else ""

    @property
    def change(self) -> str:
        """'before → after', or the one side there is.

        Example:
            >>> from dataclasses import replace
            >>> e = AuditEntry(1, None, "system", "user_changed", "a@uni.ac.uk", "viewer", "lead", "", None)
            >>> e.change, replace(e, before="").change, replace(e, after="").change
            ('viewer → lead', '→ lead', 'viewer →')
        """
        if self.before and self.after:
            return f"{self.before} → {self.after}"
        return f"→ {self.after}" if self.after else (f"{self.before} →" if self.before else "")

    def export_row(self) -> dict[str, Any]:
        """The event for a CSV or Excel export: its fields under their own names, the time as `when` gives it."""
        return {
            "id": self.id,
            "at": self.when,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "upload_id": self.upload_id,
        }

    def display_row(self) -> dict[str, str]:
        """The event as the Audit log page's table shows it, under its column headings."""
        return {
            "When": self.when,
            "Who": self.actor,
            "Action": self.action,
            "Target": self.target,
            "Before → after": self.change,
            "Upload": str(self.upload_id or ""),
            "Detail": self.detail,
        }


def list_events(
    *,
    session: Session,
    actor: Actor,
    who: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    text: str = "",
    limit: int = 2000,
) -> list[AuditEntry]:
    """Events newest first, filtered (administrators only).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import Actor
        >>> with Session(open_engine("sqlite://")) as s:
        ...     list_events(session=s, actor=Actor("a@uni.ac.uk", "admin"), action="status")
        []
    """
    require_logged(session, actor, "read_audit", "audit log")
    q = select(
        col(AuditEvent.id),
        col(AuditEvent.at),
        col(AuditEvent.actor),
        col(AuditEvent.action),
        col(AuditEvent.target),
        col(AuditEvent.before),
        col(AuditEvent.after),
        col(AuditEvent.detail),
        col(AuditEvent.upload_id),
    )
    q = _filtered(q, who=who, action=action, since=since, until=until, text=text)
    q = q.order_by(col(AuditEvent.id).desc()).limit(limit)
    return [AuditEntry(*r) for r in session.exec(q).all()]  # type: ignore[call-overload]


def audit_actions(*, session: Session) -> list[str]:
    """The distinct kinds of event recorded so far (for a filter)."""
    return sorted(session.exec(select(col(AuditEvent.action)).distinct()).scalars())  # type: ignore[call-overload]


def count_events(
    *,
    session: Session,
    actor: Actor,
    who: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    text: str = "",
) -> int:
    """How many events match the filters, however many `list_events` would show (administrators only).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     record(s, SYSTEM, "user_added", "a@uni.ac.uk", after="viewer")
        ...     record(s, SYSTEM, "password_set", "a@uni.ac.uk")
        ...     count_events(session=s, actor=SYSTEM), count_events(session=s, actor=SYSTEM, action="password_set")
        (2, 1)
    """
    require_logged(session, actor, "read_audit", "audit log")
    q = _filtered(
        select(func.count()).select_from(AuditEvent), who=who, action=action, since=since, until=until, text=text
    )
    return int(session.exec(q).scalar_one())  # type: ignore[call-overload]


def audit_actors(*, session: Session, actor: Actor) -> list[str]:
    """Everyone who has an event in the log, by email, sorted (administrators only; for a filter).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM, Actor
        >>> with Session(open_engine("sqlite://")) as s:
        ...     record(s, Actor("b@uni.ac.uk", "lead"), "load_updates", "u.xlsx")
        ...     record(s, SYSTEM, "user_added", "a@uni.ac.uk", after="viewer")
        ...     audit_actors(session=s, actor=SYSTEM)
        ['b@uni.ac.uk', 'system']
    """
    require_logged(session, actor, "read_audit", "audit log")
    return sorted(session.exec(select(col(AuditEvent.actor)).distinct()).scalars())  # type: ignore[call-overload]
