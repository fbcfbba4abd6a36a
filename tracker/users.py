"""Users, their roles, their passwords, and the actions a lead owns (administrators only).

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     user, password = add_user(session=s, email="Lead@Uni.ac.uk", role="lead", password="generate")
    ...     user.email, len(password)
    ('lead@uni.ac.uk', 16)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from tracker import audit
from tracker.auth import SYSTEM, Actor, check_password_strength, hash_password, new_password
from tracker.db import begin_write
from tracker.models import ROLES, Action, User, UserAction
from tracker.plans import current_plan


class UserError(ValueError):
    """A user operation that cannot be done (unknown role, unknown action ref, no such user)."""


def _get(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(col(User.email) == email.strip().lower())).scalars().first()  # type: ignore[call-overload,no-any-return]


def _refuse_losing_last_admin(session: Session, user: User, doing: str) -> None:
    """Keep at least one administrator: without one, nobody could manage users from the app.

    Counted under a lock held until the caller commits, so two administrators demoting (or removing) each other
    at once cannot both pass: SQLite's write lock from here on (`begin_write`), and on PostgreSQL every
    administrator's row (`SELECT ... FOR UPDATE`). The second then counts what the first left, and is refused.
    The count is read under the lock, not from `user` (which may have been read before someone else's change).
    """
    begin_write(session)
    admins = set(
        session.exec(select(col(User.id)).where(col(User.role) == "admin").with_for_update()).scalars()  # type: ignore[call-overload]
    )
    if user.id in admins and not admins - {user.id}:
        raise UserError(f"{user.email} is the only administrator: make someone else an administrator before {doing}")


def _refs_to_ids(session: Session, refs: Iterable[str]) -> dict[str, int]:
    """The action ids of these refs in the current plan (a ref names an action only within one plan)."""
    plan = current_plan(session=session)
    q = select(col(Action.ref), col(Action.id)).where(col(Action.plan_id) == (plan.id if plan else -1))
    ids: dict[str, int] = {r: i for r, i in session.exec(q).all()}  # type: ignore[call-overload]
    missing = [r for r in refs if r not in ids]
    if missing:
        raise UserError(f"no action {', '.join(missing)} in the current plan")
    return {r: ids[r] for r in refs}


def add_user(
    *,
    session: Session,
    email: str,
    role: str,
    name: str = "",
    actions: Iterable[str] = (),
    password: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[User, str | None]:
    """Create a user (or change an existing one's role and name) and give a lead their actions.

    `password="generate"` makes a new password and returns it (shown once, never stored in clear); another
    string sets that password; None leaves it as it is. A lead given no actions is matched to the plan's
    owners by name. Returns the user and the generated password, if any.
    """
    audit.require_logged(session, actor, "manage_users", email)
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserError(f"'{email}' is not an email address")
    if role not in ROLES:
        raise UserError(f"'{role}' is not a role: use one of {', '.join(ROLES)}")
    user = _get(session, email)
    before = user.role if user else ""
    if user is None:
        user = User(email=email, role=role, name=name)
    else:
        # A demotion is checked under a lock; a promotion can never lose an administrator.
        if role != user.role and role != "admin":
            _refuse_losing_last_admin(session, user, "changing their role")
        user.role = role
        user.name = name or user.name
    generated = None
    if password is not None:
        generated = new_password() if password == "generate" else None
        plain = generated or password
        check_password_strength(plain)
        user.password_hash = hash_password(plain)
    session.add(user)
    session.flush()
    refs = list(actions)
    if role == "lead" and not refs and user.name:
        refs = _owned_by_name(session, user.name)
    if refs:
        assign_actions(session=session, email=email, refs=refs, actor=actor)
    audit.record(session, actor, "user_added" if not before else "user_changed", email, before=before, after=role)
    session.flush()
    return user, generated


def _owned_by_name(session: Session, name: str) -> list[str]:
    """Refs of the current plan's actions whose owners include `name` (case-insensitive). Only the current plan:
    its refs are what `assign_actions` resolves, and an older plan's owner text gives nothing in this one."""
    plan = current_plan(session=session)
    if plan is None:
        return []
    acts = session.exec(select(Action).where(col(Action.plan_id) == plan.id)).scalars()  # type: ignore[call-overload]
    return [a.ref for a in acts if name.strip().lower() in (o.strip().lower() for o in a.owners)]


def assign_actions(*, session: Session, email: str, refs: Iterable[str], actor: Actor = SYSTEM) -> list[str]:
    """Give a user (a lead) these actions in addition to any they own; returns the refs now owned."""
    audit.require_logged(session, actor, "manage_users", email)
    user = _get(session, email)
    if user is None or user.id is None:
        raise UserError(f"no user {email}")
    for ref, action_id in _refs_to_ids(session, list(refs)).items():
        if session.get(UserAction, (user.id, action_id)) is None:
            session.add(UserAction(user_id=user.id, action_id=action_id))
            audit.record(session, actor, "action_assigned", email, after=ref)
    session.flush()
    return owned_refs(session=session, email=email)


def unassign_actions(*, session: Session, email: str, refs: Iterable[str], actor: Actor = SYSTEM) -> list[str]:
    """Take these actions away from a user; returns the refs still owned."""
    audit.require_logged(session, actor, "manage_users", email)
    user = _get(session, email)
    if user is None:
        raise UserError(f"no user {email}")
    for ref, action_id in _refs_to_ids(session, list(refs)).items():
        link = session.get(UserAction, (user.id, action_id))
        if link is not None:
            session.delete(link)
            audit.record(session, actor, "action_unassigned", email, before=ref)
    session.flush()
    return owned_refs(session=session, email=email)


def owned_refs(*, session: Session, email: str, plan_id: int | None = None) -> list[str]:
    """The refs of the actions a user owns in the current plan (or in plan `plan_id`).

    Ownership is of an action, not of a ref: an assignment in an earlier plan says nothing about a later plan's
    action that reuses its ref.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     owned_refs(session=s, email="lead@uni.ac.uk")
        []
    """
    if plan_id is None:
        plan = current_plan(session=session)
        plan_id = plan.id if plan else -1
    q = (
        select(col(Action.ref))
        .join(UserAction, col(UserAction.action_id) == col(Action.id))
        .join(User, col(User.id) == col(UserAction.user_id))
        .where(col(User.email) == email.strip().lower(), col(Action.plan_id) == plan_id)
    )
    return sorted(session.exec(q).scalars())  # type: ignore[call-overload]


def set_password(*, session: Session, email: str, password: str | None = None, actor: Actor = SYSTEM) -> str | None:
    """Set a user's password (None: generate one and return it). An administrator may set anyone's; others
    only their own. Clears the account's sign-in delay and raises its session version, so every session signed
    in before (a thief's too) is signed out on its next run. The caller commits."""
    if actor.email != email.strip().lower():
        audit.require_logged(session, actor, "manage_users", email)
    user = _get(session, email)
    if user is None:
        raise UserError(f"no user {email}")
    generated = new_password() if password is None else None
    plain = generated or password or ""
    check_password_strength(plain)
    user.password_hash = hash_password(plain)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    session.flush()
    # Raised in SQL, not as read + 1: two resets at once both count, and neither leaves an old session valid.
    session.execute(update(User).where(col(User.id) == user.id).values(session_version=col(User.session_version) + 1))
    audit.record(session, actor, "password_set", user.email)  # never the password itself
    session.flush()
    return generated


def remove_user(*, session: Session, email: str, actor: Actor = SYSTEM) -> None:
    """Delete a user and their action assignments (their uploads and audit entries stay, by email)."""
    audit.require_logged(session, actor, "manage_users", email)
    user = _get(session, email)
    if user is None:
        raise UserError(f"no user {email}")
    if user.email == actor.email:
        raise UserError("you cannot remove your own account")
    _refuse_losing_last_admin(session, user, "removing them")
    session.execute(delete(UserAction).where(col(UserAction.user_id) == user.id))
    session.delete(user)
    audit.record(session, actor, "user_removed", user.email, before=user.role)
    session.flush()


def list_users(*, session: Session, actor: Actor = SYSTEM) -> list[dict[str, object]]:
    """Every user with the refs of the actions they own (administrators only)."""
    audit.require_logged(session, actor, "manage_users", "users")
    owned: dict[int, list[str]] = {}
    q = select(col(UserAction.user_id), col(Action.ref)).join(Action, col(Action.id) == UserAction.action_id)
    plan = current_plan(session=session)
    # Ownership is per plan: the refs listed are those of the current plan (an old plan's D1 is not this one's).
    q = q.where(col(Action.plan_id) == (plan.id if plan else -1))
    for uid, ref in session.exec(q).all():  # type: ignore[call-overload]
        owned.setdefault(uid, []).append(ref)
    return [
        {
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "actions": sorted(owned.get(u.id, [])),
            "has_password": bool(u.password_hash),
        }
        for u in session.exec(select(User).order_by(col(User.email))).scalars()  # type: ignore[call-overload]
    ]
