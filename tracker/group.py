"""The working group (the "technician voice"): who is a member, since when, and until when.

A member is never deleted: replacing the list (loading a group file, or saving the Admin page's table) keeps
the members still listed (matched by id, else by name ignoring case and honorifics), adds the new ones, and
gives every current member left out of the new list `left` = that day, so the group as it stood on any date can
be read back (`list_group(as_of=...)`). A member new to a group that already had members joins on that day
unless a Joined date is given; the first list loaded into an empty group has no joining dates unless it gives
them (its members count as members on every earlier date).

Example:
    >>> from datetime import date
    >>> from sqlmodel import Session
    >>> from tracker.auth import SYSTEM
    >>> from tracker.db import open_engine
    >>> with Session(open_engine("sqlite://")) as s:
    ...     _ = save_group(session=s, actor=SYSTEM, members=[MemberEdit(None, "Ada Lovelace", "Manager", "Laws")],
    ...                    today=date(2020, 1, 1))
    ...     [(m.name, m.faculty, m.left) for m in list_group(session=s)]
    [('Ada Lovelace', 'Laws', None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from tracker import audit
from tracker.auth import Actor
from tracker.ingest.group import MAX_LEN, member_key
from tracker.models import WorkingGroupMember, WorkingGroupMemberCreate, utcnow
from tracker.records import GroupMember

ChangeCode = Literal["group_member_added", "group_member_changed", "group_member_left"]
FIELDS = ("name", "job_title", "faculty", "technician", "joined", "left")


class GroupError(ValueError):
    """A working-group list that cannot be saved as given (a member without a name, a name twice, ...)."""


@dataclass(frozen=True)
class MemberEdit:
    """A member as a person edits them: `id` None for someone new (matched to a held member by name)."""

    id: int | None
    name: str
    job_title: str = ""
    faculty: str = ""
    technician: bool = True
    joined: date | None = None
    left: date | None = None


@dataclass(frozen=True)
class MemberChange:
    """One change replacing the list makes: who, the member's values before and after (as text), and the new
    values to write (None for a member who leaves)."""

    change: ChangeCode
    target: str
    before: str
    after: str
    member_id: int | None
    values: WorkingGroupMemberCreate | None

    def as_dict(self) -> dict[str, str]:
        """The change as tracker.load's previews and the audit log take it."""
        return {"change": self.change, "target": self.target, "before": self.before, "after": self.after, "detail": ""}


def _record(m: WorkingGroupMember) -> GroupMember:
    assert m.id is not None
    return GroupMember(m.id, m.name, m.job_title, m.faculty, m.technician, m.joined, m.left)


def _is_current(m: WorkingGroupMember | GroupMember, on: date) -> bool:
    return (m.joined is None or m.joined <= on) and (m.left is None or m.left > on)


def list_group(*, session: Session, as_of: date | None = None, include_left: bool = False) -> list[GroupMember]:
    """The working group's members on `as_of` (default: today), in the order they were listed: joined on or
    before that day (or with no joining date) and not yet left. `include_left`: every member ever held.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     s.add(WorkingGroupMember(name="Ann", faculty="Laws", joined=date(2019, 1, 1), left=date(2020, 1, 1)))
        ...     s.flush()
        ...     [m.name for m in list_group(session=s, as_of=date(2019, 6, 1))], list_group(session=s)
        (['Ann'], [])
    """
    held = session.exec(select(WorkingGroupMember).order_by(col(WorkingGroupMember.id))).all()
    on = as_of or date.today()
    return [_record(m) for m in held if include_left or _is_current(m, on)]


def _describe(v: WorkingGroupMemberCreate | WorkingGroupMember) -> str:
    tech = "technician" if v.technician else "not a technician"
    parts = [v.name, v.job_title, v.faculty, tech]
    if v.joined:
        parts.append(f"joined {v.joined:%d/%m/%Y}")
    if v.left:
        parts.append(f"left {v.left:%d/%m/%Y}")
    return ", ".join(p for p in parts if p)


def _validate(members: Sequence[MemberEdit]) -> None:
    seen: set[str] = set()
    for m in members:
        name = m.name.strip()
        if not name:
            raise GroupError("every member needs a name")
        for f, limit in MAX_LEN.items():
            if len(getattr(m, f).strip()) > limit:
                raise GroupError(f"{f.replace('_', ' ')} of {name} is over {limit} characters")
        if m.joined and m.left and m.left < m.joined:
            raise GroupError(f"{name} left ({m.left:%d/%m/%Y}) before joining ({m.joined:%d/%m/%Y})")
        key = member_key(name)
        if key in seen:
            raise GroupError(f"{name} is listed twice")
        seen.add(key)


def plan_changes(*, session: Session, members: Sequence[MemberEdit], today: date) -> list[MemberChange]:
    """What replacing the current list with `members` on `today` changes: members added, changed, and current
    members not in `members` leaving on `today`. Nothing is written.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     [c.change for c in plan_changes(session=s, members=[MemberEdit(None, "Ann")], today=date(2020, 1, 1))]
        ['group_member_added']
    """
    _validate(members)
    held = list(session.exec(select(WorkingGroupMember).order_by(col(WorkingGroupMember.id))).all())
    current = [m for m in held if m.left is None or m.left > today]
    by_id = {m.id: m for m in current}
    by_key = {member_key(m.name): m for m in current}
    founding = not current
    matched: set[int] = set()
    out: list[MemberChange] = []
    for e in members:
        old = by_id.get(e.id) if e.id is not None else None
        if old is None:
            old = by_key.get(member_key(e.name))
        if old is not None and old.id in matched:
            old = None
        values = WorkingGroupMemberCreate(
            name=e.name.strip(),
            job_title=e.job_title.strip(),
            faculty=e.faculty.strip(),
            technician=e.technician,
            joined=e.joined,
            left=e.left,
        )
        if old is None:
            if values.joined is None and not founding:
                values.joined = today
            out.append(MemberChange("group_member_added", values.name, "", _describe(values), None, values))
            continue
        assert old.id is not None
        matched.add(old.id)
        if values.joined is None:
            values.joined = old.joined  # a list without a Joined column keeps the date held
        if any(getattr(old, f) != getattr(values, f) for f in FIELDS):
            out.append(
                MemberChange("group_member_changed", values.name, _describe(old), _describe(values), old.id, values)
            )
    for m in current:
        if m.id not in matched:
            out.append(MemberChange("group_member_left", m.name, _describe(m), f"left {today:%d/%m/%Y}", m.id, None))
    return out


def apply_changes(
    session: Session, changes: Sequence[MemberChange], *, today: date, who: str, upload_id: int | None = None
) -> dict[str, int]:
    """Write `changes` (from `plan_changes`) in the caller's transaction; the counts of members added, changed
    and left. No role check: `save_group` and `tracker.load.load_file` check before calling it."""
    counts = {"members_added": 0, "members_changed": 0, "members_left": 0}
    now = utcnow()
    for c in changes:
        if c.change == "group_member_added":
            assert c.values is not None
            session.add(
                WorkingGroupMember(**c.values.model_dump(), upload_id=upload_id, updated_by=who[:254], updated_at=now)
            )
            counts["members_added"] += 1
            continue
        m = session.get(WorkingGroupMember, c.member_id)
        assert m is not None
        if c.change == "group_member_left":
            m.left = today
            counts["members_left"] += 1
        else:
            assert c.values is not None
            for f in FIELDS:
                setattr(m, f, getattr(c.values, f))
            counts["members_changed"] += 1
        m.updated_by, m.updated_at = who[:254], now
        if upload_id is not None:
            m.upload_id = upload_id
        session.add(m)
    session.flush()
    return counts


def save_group(
    *, session: Session, actor: Actor, members: Sequence[MemberEdit], today: date | None = None
) -> list[MemberChange]:
    """Replace the working group with `members` (the Admin page's table): an administrator only. Members left out
    leave today (never deleted); each change is in the audit log. The caller commits. Raises GroupError for a
    list that cannot be saved (no name, a name twice, left before joined), PermissionDenied for anyone else.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     first = save_group(session=s, actor=SYSTEM, members=[MemberEdit(None, "Ann", faculty="Laws")])
        ...     second = save_group(session=s, actor=SYSTEM, members=[])
        ...     [c.change for c in first + second], list_group(session=s)
        (['group_member_added', 'group_member_left'], [])
    """
    audit.require_logged(session, actor, "load_plan", "working group")
    today = today or date.today()
    changes = plan_changes(session=session, members=members, today=today)
    apply_changes(session, changes, today=today, who=actor.email)
    for c in changes:
        audit.record(session, actor, c.change, c.target, before=c.before, after=c.after)
    return changes


def members_from_rows(rows: Sequence[WorkingGroupMemberCreate]) -> list[MemberEdit]:
    """A loaded file's rows as edits (no ids: matched by name)."""
    return [MemberEdit(None, r.name, r.job_title, r.faculty, r.technician, r.joined, r.left) for r in rows]


# The Admin page's table: one dict per member under these keys (`id` hidden; None for a row added there).
MEMBER_COLUMNS = ("name", "job_title", "faculty", "technician", "joined", "left")


def member_rows(members: Sequence[GroupMember]) -> list[dict[str, object]]:
    """Members as the rows of an editable table (`id` and MEMBER_COLUMNS).

    Example:
        >>> member_rows([GroupMember(3, "Ann", "Manager", "Laws", True, None, None)])
        [{'id': 3, 'name': 'Ann', 'job_title': 'Manager', 'faculty': 'Laws', 'technician': True, 'joined': None, \
'left': None}]
    """
    return [{"id": m.id} | {c: getattr(m, c) for c in MEMBER_COLUMNS} for m in members]


def _cell_date(v: object, name: str, what: str) -> date | None:
    if v is None or v == "" or v != v:  # None, blank, NaN / NaT
        return None
    if isinstance(v, date):
        return v.date() if hasattr(v, "date") and callable(v.date) else v  # a datetime or a pandas Timestamp
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        raise GroupError(f"{what} of {name or 'a member'} is not a date: {v}") from None


def _cell_text(v: object) -> str:
    return "" if v is None or v != v else str(v).strip()


def member_edits(rows: Sequence[dict[str, object]]) -> list[MemberEdit]:
    """The rows of an edited table (`member_rows`, changed by a person) as edits; rows left wholly blank are
    dropped. Raises GroupError for a date that is not one.

    Example:
        >>> member_edits([{"id": None, "name": " Ann ", "faculty": "Laws", "joined": "2020-01-31"}, {"name": None}])
        [MemberEdit(id=None, name='Ann', job_title='', faculty='Laws', technician=True, \
joined=datetime.date(2020, 1, 31), left=None)]
    """
    out = []
    for r in rows:
        name = _cell_text(r.get("name"))
        texts = [name, _cell_text(r.get("job_title")), _cell_text(r.get("faculty"))]
        if not any(texts) and not r.get("joined") and not r.get("left"):
            continue
        raw_id = r.get("id")
        member_id = int(raw_id) if isinstance(raw_id, int | float) and raw_id == raw_id else None
        tech = r.get("technician")
        out.append(
            MemberEdit(
                member_id,
                name,
                texts[1],
                texts[2],
                True if tech is None or tech != tech else bool(tech),
                _cell_date(r.get("joined"), name, "Joined"),
                _cell_date(r.get("left"), name, "Left"),
            )
        )
    return out
