"""Headline figures for the Home page and the board pack.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     headline(session=s).actions
    0
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker import queries
from tracker.models import STATUSES, Upload, WorkforceRecord
from tracker.plans import current_plan, plan_end
from tracker.records import Headline, PlanInfo, WorkforceSnapshot


def data_version(*, session: Session) -> int:
    """A number that changes whenever a file is loaded: the UI keys its caches on it.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     data_version(session=s)
        0
    """
    return int(session.exec(select(func.coalesce(func.max(Upload.id), 0))).one()[0])  # type: ignore[call-overload]


def plan_info(*, session: Session) -> PlanInfo | None:
    """The current plan's institution, title, window and length, or None when no plan is loaded.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     plan_info(session=s) is None
        True
    """
    plan = current_plan(session=session)
    if plan is None:
        return None
    assert plan.id is not None  # a stored plan
    return PlanInfo(plan.id, plan.institution, plan.title, plan.start_date, plan_end(plan), plan.months)


def headline(*, session: Session, today: date | None = None) -> Headline:
    """Plan, action counts by status, time elapsed vs work complete, and the latest workforce figures (evidence:
    `tracker.views.evidence.evidence_tally`, the one count of it)."""
    today = today or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return Headline(plan=None, by_status=dict.fromkeys(STATUSES, 0))
    actions = queries.list_actions(session=session, plan_id=plan.id, include_withdrawn=False, as_of=today)
    counts = Counter(a.status for a in actions)
    snap = session.exec(  # type: ignore[call-overload]
        select(col(WorkforceRecord.as_of), func.sum(WorkforceRecord.fte), func.sum(WorkforceRecord.headcount))
        .where(col(WorkforceRecord.as_of) <= today)
        .group_by(col(WorkforceRecord.as_of))
        .order_by(col(WorkforceRecord.as_of).desc())
        .limit(1)
    ).first()
    return Headline(
        plan=plan,
        actions=len(actions),
        by_status={s: counts.get(s, 0) for s in STATUSES},
        time_elapsed_pct=elapsed_pct(plan, today),
        work_complete_pct=round(sum(a.percent_complete for a in actions) / len(actions)) if actions else 0,
        workforce=WorkforceSnapshot(snap[0], round(float(snap[1]), 1), int(snap[2])) if snap else None,
    )


def elapsed_pct(plan: PlanInfo, today: date) -> int:
    """How much of the plan's window has passed on `today`, in whole percent (0 before it, 100 after it).

    Example:
        >>> p = PlanInfo(1, "UCL", "Plan", date(2020, 1, 1), date(2020, 12, 31), 12)
        >>> elapsed_pct(p, date(2020, 7, 1)), elapsed_pct(p, date(2019, 1, 1)), elapsed_pct(p, date(2022, 1, 1))
        (50, 0, 100)
    """
    span = (plan.end - plan.start).days or 1
    return round(100 * min(max((today - plan.start).days, 0), span) / span)


# Within this many points of the time gone, work is "in step" with it: percentages are leads' estimates.
PACE_POINTS = 5


def pace(work_pct: int, time_pct: int) -> str:
    """Work complete against the share of the plan's time gone: 'behind', 'ahead' or 'in step' (within
    PACE_POINTS points): the one judgement Home and the board pack both give.

    Example:
        >>> pace(62, 75), pace(80, 70), pace(50, 52)
        ('behind', 'ahead', 'in step')
    """
    gap = time_pct - work_pct
    return "behind" if gap > PACE_POINTS else "ahead" if gap < -PACE_POINTS else "in step"
