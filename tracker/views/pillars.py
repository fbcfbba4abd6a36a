"""The Pillars page: actions × V/R/C/S, evidence per pillar over time, and the gaps.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     pillars_view(session=s).plan is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlmodel import Session, col

from tracker import queries
from tracker.charts import Chart
from tracker.charts.pillars import coverage, evidence_over_time
from tracker.charts.plan import status_label
from tracker.ingest.cells import add_months
from tracker.models import PILLAR_NAMES, PILLARS, Action, Evidence
from tracker.summary import plan_info

RECENT_MONTHS = 6


@dataclass
class PillarsPage:
    """Everything the Pillars page shows."""

    plan: dict[str, Any] | None
    as_of: date
    matrix: list[dict[str, Any]] = field(default_factory=list)
    pillars: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def quarter(d: date) -> str:
    """'2019 Q3'."""
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def quarters_between(a: date, b: date) -> list[str]:
    """Every quarter label from the one holding `a` to the one holding `b`."""
    out, d = [], date(a.year, (a.month - 1) // 3 * 3 + 1, 1)
    while d <= b:
        out.append(quarter(d))
        d = add_months(d, 3)
    return out


def pillars_view(*, session: Session, as_of: date | None = None) -> PillarsPage:
    """Pillar coverage and evidence as they stood on `as_of` (default today). A pillar is a gap when no action
    serves it, when nothing has evidenced it yet, or when nothing has in the last six months.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     pillars_view(session=s, as_of=date(2020, 1, 1)).gaps
        []
    """
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return PillarsPage(plan=None, as_of=as_of)
    actions = [a for a in queries.list_actions(session=session, plan_id=plan["id"], as_of=as_of) if not a["withdrawn"]]
    evidence = [e for e in queries.list_evidence(session=session, plan_id=plan["id"]) if e["date"] <= as_of.isoformat()]
    per_action: dict[str, int] = {}
    for e in evidence:
        per_action[e["ref"]] = per_action.get(e["ref"], 0) + 1
    matrix = [
        {
            "Ref": a["ref"],
            "Theme": a["theme"],
            **{p: "✓" if p in a["pillars"] else "" for p in PILLARS},
            "Status": status_label(a["status"]),
            "Evidence items": per_action.get(a["ref"], 0),
            "Activity": a["activity"],
        }
        for a in actions
    ]
    recent_from = add_months(as_of, -RECENT_MONTHS)
    by_status: dict[str, dict[str, int]] = {p: {} for p in PILLARS}
    for a in actions:
        for p in a["pillars"]:
            by_status[p][a["status"]] = by_status[p].get(a["status"], 0) + 1
    start = min([plan["start"]] + [date.fromisoformat(e["date"]) for e in evidence])
    quarters = quarters_between(start, min(as_of, max(plan["end"], as_of)))
    per_quarter: dict[str, dict[str, int]] = {p: {} for p in PILLARS}
    rows, gaps = [], []
    for p in PILLARS:
        items = [e for e in evidence if p in e["pillars"]]
        for e in items:
            q = quarter(date.fromisoformat(e["date"]))
            per_quarter[p][q] = per_quarter[p].get(q, 0) + 1
        recent = [e for e in items if e["date"] > recent_from.isoformat()]
        n_actions = sum(by_status[p].values())
        last = max((e["date"] for e in items), default=None)
        gap = _gap(n_actions, len(items), len(recent), last)
        if gap:
            gaps.append(f"{PILLAR_NAMES[p]}: {gap}")
        rows.append(
            {
                "Pillar": f"{p} – {PILLAR_NAMES[p]}",
                "Actions": n_actions,
                "Complete or on track": by_status[p].get("complete", 0) + by_status[p].get("on track", 0),
                "Evidence items": len(items),
                f"In the last {RECENT_MONTHS} months": len(recent),
                "Latest evidence": last or "–",
                "Gap": f"⚠ {gap}" if gap else "",
            }
        )
    return PillarsPage(
        plan=plan,
        as_of=as_of,
        matrix=matrix,
        pillars=rows,
        gaps=gaps,
        charts=[coverage(by_status), evidence_over_time(per_quarter, quarters)] if actions else [],
    )


def _gap(n_actions: int, n_items: int, n_recent: int, last: str | None) -> str:
    """Why a pillar is a gap ('' when it is not): no action serves it, nothing has evidenced it yet, or nothing
    has in the last RECENT_MONTHS months (`last`: the newest item's ISO date)."""
    if not n_actions:
        return "no actions serve this pillar"
    if not n_items:
        return "no evidence received yet"
    if not n_recent:
        return f"no evidence in the last {RECENT_MONTHS} months (last {date.fromisoformat(last or ''):%d %b %Y})"
    return ""


def pillar_gaps(*, session: Session, as_of: date | None = None) -> list[str]:
    """`pillars_view(...).gaps` from two aggregate queries, without reading every evidence item: the Home page
    needs only the gaps, and reading the whole evidence list was most of its cold time on a large institution.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     pillar_gaps(session=s, as_of=date(2020, 1, 1))
        []
    """
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return []
    recent_from = add_months(as_of, -RECENT_MONTHS)

    def has(column: Any, p: str) -> Any:
        # Pillars are stored as upper-case letters ("VRC"): a plain substring test, as `p in pillars` is.
        return func.coalesce(func.length(column), 0) > func.coalesce(func.length(func.replace(column, p, "")), 0)

    n_actions = session.exec(  # type: ignore[call-overload]
        select(*[func.coalesce(func.sum(case((has(col(Action.pillars), p), 1), else_=0)), 0) for p in PILLARS]).where(
            col(Action.plan_id) == plan["id"], col(Action.withdrawn).is_(False)
        )
    ).one()
    superseded = select(col(Evidence.supersedes_id)).where(col(Evidence.supersedes_id).is_not(None))
    per_pillar = []
    for p in PILLARS:
        hit = has(col(Evidence.pillars), p)
        per_pillar += [
            func.coalesce(func.sum(case((hit, 1), else_=0)), 0).cast(Integer),
            func.coalesce(func.sum(case((hit & (col(Evidence.date) > recent_from), 1), else_=0)), 0).cast(Integer),
            func.max(case((hit, col(Evidence.date)), else_=None)),
        ]
    ev = session.exec(  # type: ignore[call-overload]
        select(*per_pillar)
        .join(Action, col(Action.id) == col(Evidence.action_id))
        .where(
            col(Action.plan_id) == plan["id"],
            col(Evidence.date) <= as_of,
            col(Evidence.id).not_in(superseded),
        )
    ).one()
    gaps = []
    for i, p in enumerate(PILLARS):
        n_items, n_recent, last = ev[3 * i], ev[3 * i + 1], ev[3 * i + 2]
        last_iso = last.isoformat() if isinstance(last, date) else (str(last)[:10] if last else None)
        gap = _gap(int(n_actions[i] or 0), int(n_items or 0), int(n_recent or 0), last_iso)
        if gap:
            gaps.append(f"{PILLAR_NAMES[p]}: {gap}")
    return gaps
