"""The Action plan page: the filtered table, the timeline, and one action's full history.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     plan_view(session=s).plan is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker import queries
from tracker.charts import Chart
from tracker.charts.plan import status_counts, status_label, timeline
from tracker.models import PILLAR_NAMES, PILLARS, STATUSES, Action, ActionRevision, Upload
from tracker.summary import plan_info

DONE = ("complete", "suspended")


@dataclass
class PlanPage:
    """Everything the Action plan page shows."""

    plan: dict[str, Any] | None
    as_of: date
    actions: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    options: dict[str, list[str]] = field(default_factory=dict)
    timeline: Chart | None = None
    by_status: Chart | None = None


def _dated(a: dict[str, Any], plan: dict[str, Any], as_of: date) -> dict[str, Any]:
    a = dict(a)
    a["start"] = date.fromisoformat(a["start"]) if a["start"] else plan["start"]
    a["due"] = date.fromisoformat(a["due"]) if a["due"] else plan["end"]
    a["overdue"] = a["due"] < as_of and a["status"] not in DONE and not a["withdrawn"]
    a["status_label"] = status_label(a["status"])
    return a


def plan_view(
    *,
    session: Session,
    as_of: date | None = None,
    themes: tuple[str, ...] = (),
    pillars: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
    search: str = "",
    include_withdrawn: bool = False,
) -> PlanPage:
    """Actions as they stood on `as_of` (default today), filtered; each filter keeps actions matching any
    of its values, and `search` looks in ref, purpose, activity, impact and owners.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     plan_view(session=s, themes=("Develop",)).actions
        []
    """
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return PlanPage(plan=None, as_of=as_of)
    every = [
        _dated(a, plan, as_of)
        for a in queries.list_actions(session=session, plan_id=plan["id"], as_of=as_of)
        if include_withdrawn or not a["withdrawn"]
    ]
    options = {
        "themes": sorted({a["theme"] for a in every if a["theme"]}),
        "pillars": [p for p in PILLARS if any(p in a["pillars"] for a in every)],
        "owners": sorted({o for a in every for o in a["owners"]}, key=str.lower),
        "statuses": [s for s in STATUSES if any(a["status"] == s for a in every)],
    }
    needle = search.strip().lower()

    def keep(a: dict[str, Any]) -> bool:
        if themes and a["theme"] not in themes:
            return False
        if pillars and not set(pillars) & set(a["pillars"]):
            return False
        if owners and not set(owners) & set(a["owners"]):
            return False
        if statuses and a["status"] not in statuses:
            return False
        hay = " ".join([a["ref"], a["purpose"], a["activity"], a["impact"], " ".join(a["owners"])]).lower()
        return not needle or needle in hay

    shown = [a for a in every if keep(a)]
    counts = {s: sum(a["status"] == s for a in shown) for s in STATUSES}
    return PlanPage(
        plan=plan,
        as_of=as_of,
        actions=shown,
        total=len(every),
        options=options,
        timeline=timeline(shown, plan_start=plan["start"], plan_end=plan["end"], today=as_of, months=plan["months"])
        if shown
        else None,
        by_status=status_counts(counts, total=len(shown)) if shown else None,
    )


def action_detail(*, session: Session, ref: str, plan_id: int | None = None) -> dict[str, Any] | None:
    """One action with its every progress update, its evidence (corrections marked), its measures and the
    plan re-imports that changed it; None when the ref is unknown.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     action_detail(session=s, ref="D1") is None
        True
    """
    plan = plan_info(session=session) if plan_id is None else {"id": plan_id}
    if plan is None:
        return None
    act = (
        session.exec(  # type: ignore[call-overload]
            select(Action).where(col(Action.plan_id) == plan["id"], col(Action.ref) == ref)
        )
        .scalars()
        .first()
    )
    if act is None:
        return None
    updates = queries.list_updates(session=session, plan_id=plan["id"], ref=ref)
    for u in updates:
        u["status_label"] = status_label(u["status"])
    evidence = queries.list_evidence(session=session, plan_id=plan["id"], current_only=False, ref=ref)
    corrected = {e["supersedes_id"] for e in evidence if e["supersedes_id"]}
    for e in evidence:
        e["current"] = e["id"] not in corrected
    measures = queries.list_measures(session=session, plan_id=plan["id"], ref=ref)
    revisions = [
        {
            "when": r.changed_at.date().isoformat() if r.changed_at else "",
            "change": r.change,
            "file": fname or "",
            "before": r.before,
        }
        for r, fname in session.exec(  # type: ignore[call-overload]
            select(ActionRevision, col(Upload.filename))
            .join(Upload, col(Upload.id) == col(ActionRevision.upload_id), isouter=True)
            .where(col(ActionRevision.action_id) == act.id)
            .order_by(col(ActionRevision.id))
        ).all()
    ]
    return {
        "ref": act.ref,
        "theme": act.theme,
        "purpose": act.purpose,
        "activity": act.activity,
        "impact": act.impact,
        "expected_evidence": list(act.expected_evidence),
        "owners": list(act.owners),
        "pillars": [f"{p} ({PILLAR_NAMES[p]})" for p in PILLARS if p in act.pillars],
        "start": act.start,
        "due": act.due,
        "withdrawn": act.withdrawn,
        "success_measures": act.success_measures,
        "updates": list(reversed(updates)),
        "evidence": evidence,
        "measures": measures,
        "revisions": revisions,
    }
