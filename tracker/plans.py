"""Read-side plan helpers both the loader and the pages use: which plan is current, and where it ends.

Example:
    >>> from datetime import date
    >>> plan_end(Plan(institution="UCL", title="Plan", start_date=date(2018, 11, 1), months=24))
    datetime.date(2020, 10, 31)
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.ingest.cells import add_months
from tracker.models import Plan


def current_plan(*, session: Session) -> Plan | None:
    """The plan updates apply to: the most recently started one.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     print(current_plan(session=s))
        None
    """
    q = select(Plan).order_by(col(Plan.start_date).desc(), col(Plan.id).desc()).limit(1)
    return session.exec(q).scalars().first()  # type: ignore[call-overload,no-any-return]


def window_end(start: date, months: int) -> date:
    """The last day of a plan window of `months` months from `start`.

    Example:
        >>> window_end(date(2021, 1, 1), 36)
        datetime.date(2023, 12, 31)
    """
    return add_months(start, months) - timedelta(days=1)


def plan_end(plan: Plan) -> date:
    """The last day of `plan` (its start plus its length, less a day)."""
    return window_end(plan.start_date, plan.months)
