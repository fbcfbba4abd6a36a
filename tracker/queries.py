"""Read-side queries shared by the CLI, the dashboard and the board pack.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session, col
    >>> with Session(open_engine("sqlite://")) as s:
    ...     list_actions(session=s)
    []
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from tracker.auth import SYSTEM, Actor
from tracker.disclosure import rounded_rows
from tracker.models import (
    PILLARS,
    Action,
    Evidence,
    Measure,
    MeasureValue,
    Plan,
    ProgressUpdate,
    Upload,
    WorkforceRecord,
)
from tracker.plans import current_plan
from tracker.records import (
    ActionRow,
    EvidenceRow,
    MeasurePoint,
    MeasureRow,
    UpdateRow,
    UploadRow,
    WorkforceCell,
)


def distinct_values(session: Session, column: Any) -> list[Any]:
    """The distinct values of an indexed `column`, in order, walked from one to the next through its index (a
    loose index scan: one seek per value, not a pass over every row; 1,000,000 workforce rows, 5 snapshots:
    0.2 s for SELECT DISTINCT on SQLite, a millisecond this way). NULL is left out.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.models import WorkforceRecord as W
        >>> with Session(open_engine("sqlite://")) as s:
        ...     s.add_all([W(as_of=date(2020, 7, 31), faculty=f, sex="Male", fte=1, headcount=1) for f in "BAB"])
        ...     s.flush()
        ...     distinct_values(s, W.faculty)
        ['A', 'B']
    """
    values = select(func.min(column).label("v")).cte("walk", recursive=True)
    step = select(func.min(column)).where(column > values.c.v).scalar_subquery()  # correlated: the value after v
    values = values.union_all(select(step).where(values.c.v.is_not(None)))
    return [v for (v,) in session.exec(select(values.c.v).where(values.c.v.is_not(None))).all()]  # type: ignore[call-overload]


def _plan_id(session: Session, plan_id: int | None) -> int | None:
    if plan_id is not None:
        return plan_id
    plan = current_plan(session=session)
    return plan.id if plan else None


def _latest_ids(pid: int, as_of: date | None, ref: str | None) -> Any:
    """The ids of the newest progress update per action of plan `pid` (by as-of date, then by arrival), up to
    `as_of` and of the action `ref` alone when given: a subquery for `latest_updates` and `list_actions`."""
    # GROUP BY with MAX walks the (action_id, as_of) index; a ranking window function over every update measured
    # two to five times slower on SQLite. The newest as-of date per action, then the last to arrive on it.
    pu = ProgressUpdate
    within = [col(Action.plan_id) == pid] + ([col(pu.as_of) <= as_of] if as_of is not None else [])
    if ref is not None:
        within.append(col(Action.ref) == ref)
    sub = (
        select(col(pu.action_id).label("aid"), func.max(col(pu.as_of)).label("d"))
        .join(Action, col(Action.id) == col(pu.action_id))
        .where(*within)
        .group_by(col(pu.action_id))
        .subquery()
    )
    return (
        select(func.max(col(pu.id)))
        .join(sub, and_(sub.c.aid == col(pu.action_id), sub.c.d == col(pu.as_of)))
        .group_by(col(pu.action_id))
    )


def latest_updates(
    *, session: Session, plan_id: int | None = None, as_of: date | None = None, ref: str | None = None
) -> dict[int, ProgressUpdate]:
    """The newest progress update per action (by as-of date, then by arrival), optionally up to `as_of`, and
    of the action `ref` alone when given.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     latest_updates(session=s)
        {}
    """
    pid = _plan_id(session, plan_id)
    if pid is None:
        return {}
    pu = ProgressUpdate
    rows = session.exec(select(pu).where(col(pu.id).in_(_latest_ids(pid, as_of, ref)))).scalars()  # type: ignore[call-overload]
    return {u.action_id: u for u in rows}


def list_actions(
    *,
    session: Session,
    plan_id: int | None = None,
    include_withdrawn: bool = True,
    as_of: date | None = None,
    ref: str | None = None,
) -> list[ActionRow]:
    """Actions of the current (or given) plan in plan order, with their latest status and percent
    (as they stood on `as_of`, when given); only the action `ref`, when given.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     list_actions(session=s, plan_id=1)
        []
    """
    pid = _plan_id(session, plan_id)
    if pid is None:
        return []
    q = select(Action).where(col(Action.plan_id) == pid).order_by(col(Action.position), col(Action.id))
    if not include_withdrawn:
        q = q.where(col(Action.withdrawn).is_(False))
    if ref is not None:
        q = q.where(col(Action.ref) == ref)
    # Only the four fields a row shows, not whole update objects: a tenth of the time on 5,000 actions.
    pu = ProgressUpdate
    latest = {
        r[0]: r[1:]
        for r in session.exec(  # type: ignore[call-overload]
            select(col(pu.action_id), col(pu.status), col(pu.percent_complete), col(pu.as_of), col(pu.note)).where(
                col(pu.id).in_(_latest_ids(pid, as_of, ref))
            )
        ).all()
    }
    out = []
    for a in session.exec(q).scalars():  # type: ignore[call-overload]
        u = latest.get(a.id)
        out.append(
            ActionRow(
                ref=a.ref,
                theme=a.theme,
                purpose=a.purpose,
                activity=a.activity,
                impact=a.impact,
                expected_evidence=list(a.expected_evidence),
                owners=list(a.owners),
                pillars=[p for p in PILLARS if p in a.pillars],
                start=a.start,
                due=a.due,
                status=u[0] if u else "not started",
                percent_complete=(u[1] if u and u[1] is not None else 0),
                last_update=u[2] if u else None,
                latest_note=u[3] if u else "",
                withdrawn=a.withdrawn,
            )
        )
    return out


def action_refs(*, session: Session, plan_id: int | None = None, include_withdrawn: bool = False) -> list[str]:
    """The refs of the current (or given) plan's actions in plan order, without their statuses (one light query:
    what a list of refs to choose from needs).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     action_refs(session=s)
        []
    """
    pid = _plan_id(session, plan_id)
    if pid is None:
        return []
    q = select(col(Action.ref)).where(col(Action.plan_id) == pid).order_by(col(Action.position), col(Action.id))
    if not include_withdrawn:
        q = q.where(col(Action.withdrawn).is_(False))
    return [r for (r,) in session.exec(q).all()]  # type: ignore[call-overload]


def list_updates(*, session: Session, plan_id: int | None = None, ref: str | None = None) -> list[UpdateRow]:
    """Every progress update of the plan (or of one action), oldest first."""
    pid = _plan_id(session, plan_id)
    q = (
        select(
            col(Action.ref),
            col(ProgressUpdate.as_of),
            col(ProgressUpdate.status),
            col(ProgressUpdate.percent_complete),
            col(ProgressUpdate.note),
            col(ProgressUpdate.reported_by),
            col(ProgressUpdate.upload_id),
        )
        .join(Action, col(Action.id) == col(ProgressUpdate.action_id))
        .where(col(Action.plan_id) == pid)
        .order_by(col(ProgressUpdate.as_of), col(ProgressUpdate.id))
    )
    if ref is not None:
        q = q.where(col(Action.ref) == ref)
    return [UpdateRow(*r) for r in session.exec(q).all()]  # type: ignore[call-overload]


def current_evidence() -> Any:
    """The condition "this evidence item has not been corrected by a later one": every count and list of
    evidence uses it, so a corrected item is never counted twice.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     s.exec(select(func.count()).select_from(Evidence).where(current_evidence())).one()[0]
        0
    """
    superseded = select(col(Evidence.supersedes_id)).where(col(Evidence.supersedes_id).is_not(None))
    return col(Evidence.id).not_in(superseded)


def list_evidence(
    *, session: Session, plan_id: int | None = None, current_only: bool = True, ref: str | None = None
) -> list[EvidenceRow]:
    """Evidence of impact (of the plan, or of one action), oldest first; corrected items are left out unless
    `current_only` is False."""
    pid = _plan_id(session, plan_id)
    # Columns, not ORM objects: building thousands of objects was most of the Evidence page's cost.
    q = (
        select(
            col(Evidence.id),
            col(Action.ref),
            col(Evidence.date),
            col(Evidence.description),
            col(Evidence.kind),
            col(Evidence.link),
            col(Evidence.pillars),
            col(Evidence.added_by),
            col(Evidence.supersedes_id),
            col(Evidence.upload_id),
        )
        .join(Action, col(Action.id) == col(Evidence.action_id))
        .where(col(Action.plan_id) == pid)
        .order_by(col(Evidence.date), col(Evidence.id))
    )
    if current_only:
        q = q.where(current_evidence())
    if ref is not None:
        q = q.where(col(Action.ref) == ref)
    ordered: dict[str, tuple[str, ...]] = {}  # 'RV' -> ('V', 'R'): once per combination, not per item
    return [
        EvidenceRow(
            i,
            ref_,
            d,
            desc,
            kind,
            link,
            list(ordered.get(pillars) or ordered.setdefault(pillars, tuple(p for p in PILLARS if p in pillars))),
            by,
            sup,
            up,
        )
        for i, ref_, d, desc, kind, link, pillars, by, sup, up in session.exec(q).all()  # type: ignore[call-overload]
    ]


def list_measures(*, session: Session, plan_id: int | None = None, ref: str | None = None) -> list[MeasureRow]:
    """Each measure (of the plan, or of one action) with its dated values, in plan order."""
    pid = _plan_id(session, plan_id)
    q = (
        select(Measure, col(Action.ref), col(MeasureValue.as_of), col(MeasureValue.value))
        .join(Action, col(Action.id) == col(Measure.action_id))
        .join(MeasureValue, col(MeasureValue.measure_id) == col(Measure.id))
        .where(col(Action.plan_id) == pid)
        .order_by(col(Action.position), col(Measure.id), col(MeasureValue.as_of), col(MeasureValue.id))
    )
    if ref is not None:
        q = q.where(col(Action.ref) == ref)
    out: dict[int, MeasureRow] = {}
    for m, ref, as_of, value in session.exec(q).all():  # type: ignore[call-overload]
        row = out.setdefault(m.id, MeasureRow(ref, m.name, m.unit, m.baseline, m.target))
        row.values.append(MeasurePoint(as_of, value))
    return list(out.values())


def workforce_by_faculty(*, session: Session, as_of: date | None = None, actor: Actor = SYSTEM) -> list[WorkforceCell]:
    """Headcount and FTE per snapshot, faculty and sex (all snapshots unless `as_of` is given): exact for an
    actor who may see exact figures (an administrator; the command line without --as), else HESA-rounded
    (each count and FTE to the nearest 5, under 2.5 as 0) as the pages and the board pack show them.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     workforce_by_faculty(session=s, actor=Actor("v@uni.ac.uk", "viewer"))
        []
    """
    q = (
        select(
            col(WorkforceRecord.as_of),
            col(WorkforceRecord.faculty),
            col(WorkforceRecord.sex),
            func.sum(col(WorkforceRecord.headcount)),
            func.sum(col(WorkforceRecord.fte)),
        )
        .group_by(col(WorkforceRecord.as_of), col(WorkforceRecord.faculty), col(WorkforceRecord.sex))
        .order_by(col(WorkforceRecord.as_of), col(WorkforceRecord.faculty), col(WorkforceRecord.sex))
    )
    if as_of is not None:
        q = q.where(col(WorkforceRecord.as_of) == as_of)
    rows = [
        WorkforceCell(d, f, s, int(h or 0), round(float(x or 0), 2))
        for d, f, s, h, x in session.exec(q).all()  # type: ignore[call-overload]
    ]
    # Rounded here, not by the caller: a faculty's handful of staff of one sex could name people.
    return rows if actor.can("see_exact_figures") else rounded_rows(rows)


def list_uploads(*, session: Session, limit: int = 200, actor: Actor = SYSTEM) -> list[UploadRow]:
    """Upload attempts, newest first (without the file bytes): every one for an actor who may download any upload
    (an administrator; the command line without --as), else only the actor's own, as the Uploads page shows.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     list_uploads(session=s, actor=Actor("l@uni.ac.uk", "lead"))
        []
    """
    q = select(
        col(Upload.id),
        col(Upload.uploaded_at),
        col(Upload.filename),
        col(Upload.kind),
        col(Upload.uploaded_by),
        col(Upload.outcome),
        col(Upload.rows_accepted),
        col(Upload.issues_found),
        col(Upload.size_bytes),
        col(Upload.sha256),
        col(Upload.message),
        col(Upload.duplicate_of),
        col(Upload.content).is_not(None),  # whether the bytes were kept, without reading them
    )
    if not actor.can("download_any_upload"):
        q = q.where(col(Upload.uploaded_by) == actor.email)
    q = q.order_by(col(Upload.id).desc()).limit(limit)
    rows = session.exec(q).all()  # type: ignore[call-overload]
    # has_file made a bool: SQLite answers 1 or 0.
    return [
        UploadRow(i, at, f, k, by, o, n, iss, size, sha, m, dup, bool(kept))
        for i, at, f, k, by, o, n, iss, size, sha, m, dup, kept in rows
    ]


def list_plans(*, session: Session) -> list[Plan]:
    """Every plan, newest start first."""
    return list(session.exec(select(Plan).order_by(col(Plan.start_date).desc())).scalars())  # type: ignore[call-overload]
