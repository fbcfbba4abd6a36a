"""Headline figures for the Home page and the board pack.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     headline(session=s)["actions"]
    0
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker import queries
from tracker.models import STATUSES, Upload, WorkforceRecord
from tracker.plans import current_plan, plan_end


def data_version(*, session: Session) -> int:
    """A number that changes whenever a file is loaded: the UI keys its caches on it.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     data_version(session=s)
        0
    """
    return int(session.exec(select(func.coalesce(func.max(Upload.id), 0))).one()[0])  # type: ignore[call-overload]


def plan_info(*, session: Session) -> dict[str, Any] | None:
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
    end = plan_end(plan)
    return {
        "id": plan.id,
        "institution": plan.institution,
        "title": plan.title,
        "start": plan.start_date,
        "end": end,
        "months": plan.months,
    }


def headline(*, session: Session, today: date | None = None) -> dict[str, Any]:
    """Plan, action counts by status, time elapsed vs work complete, evidence, and the latest workforce figures."""
    today = today or date.today()
    plan = current_plan(session=session)
    out: dict[str, Any] = {"plan": None, "actions": 0, "by_status": dict.fromkeys(STATUSES, 0)}
    if plan is None:
        return out
    end = plan_end(plan)
    actions = queries.list_actions(session=session, plan_id=plan.id, include_withdrawn=False, as_of=today)
    counts = Counter(a["status"] for a in actions)
    span = (end - plan.start_date).days or 1
    elapsed = min(max((today - plan.start_date).days, 0), span)
    promised = sum(len(a["expected_evidence"]) for a in actions)
    received = queries.count_evidence(session=session, plan_id=plan.id, as_of=today)
    snap = session.exec(  # type: ignore[call-overload]
        select(col(WorkforceRecord.as_of), func.sum(WorkforceRecord.fte), func.sum(WorkforceRecord.headcount))
        .where(col(WorkforceRecord.as_of) <= today)
        .group_by(col(WorkforceRecord.as_of))
        .order_by(col(WorkforceRecord.as_of).desc())
        .limit(1)
    ).first()
    out.update(
        plan={
            "institution": plan.institution,
            "title": plan.title,
            "start": plan.start_date,
            "end": end,
            "months": plan.months,
        },
        actions=len(actions),
        by_status={s: counts.get(s, 0) for s in STATUSES},
        time_elapsed_pct=round(100 * elapsed / span),
        work_complete_pct=round(sum(a["percent_complete"] for a in actions) / len(actions)) if actions else 0,
        evidence_promised=promised,
        evidence_received=received,
        workforce=({"as_of": snap[0], "fte": round(float(snap[1]), 1), "headcount": int(snap[2])} if snap else None),
    )
    return out
