"""The Evidence & impact page: evidence promised against received per action, the evidence timeline, and
measures against baseline and target.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     evidence_view(session=s).plan is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from tracker import queries
from tracker.charts import Chart, listing, plural
from tracker.charts.evidence import evidence_timeline, measures_progress
from tracker.models import EVIDENCE_KINDS
from tracker.summary import plan_info


@dataclass
class EvidencePage:
    """Everything the Evidence & impact page shows."""

    plan: dict[str, Any] | None
    as_of: date
    summary: str = ""
    per_action: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def _progress(m: dict[str, Any], latest: float) -> float | None:
    if m["target"] is None:
        return None
    base = m["baseline"] or 0.0
    if m["target"] == base:
        return 100.0 if latest >= m["target"] else 0.0
    return round(max(0.0, 100 * (latest - base) / (m["target"] - base)), 1)


def evidence_view(
    *,
    session: Session,
    as_of: date | None = None,
    kinds: tuple[str, ...] = (),
    pillars: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
) -> EvidencePage:
    """Evidence received up to `as_of` (default today), optionally only of some kinds, pillars or actions.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     evidence_view(session=s, kinds=("award",)).items
        []
    """
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return EvidencePage(plan=None, as_of=as_of)
    actions = [a for a in queries.list_actions(session=session, plan_id=plan["id"], as_of=as_of) if not a["withdrawn"]]
    every = [e for e in queries.list_evidence(session=session, plan_id=plan["id"]) if e["date"] <= as_of.isoformat()]
    items = [
        e
        for e in every
        if (not kinds or e["kind"] in kinds)
        and (not pillars or set(pillars) & set(e["pillars"]))
        and (not refs or e["ref"] in refs)
    ]
    received: dict[str, list[dict[str, Any]]] = {}
    for e in every:
        received.setdefault(e["ref"], []).append(e)
    per_action = []
    for a in actions:
        got = received.get(a["ref"], [])
        promised = a["expected_evidence"]
        per_action.append(
            {
                "Ref": a["ref"],
                "Promised": len(promised),
                "Evidence promised": "; ".join(promised),
                "Received": len(got),
                "Kinds received": ", ".join(sorted({e["kind"] for e in got})),
                "Latest": max((e["date"] for e in got), default="–"),
                "Gap": "⚠ promised, none received" if promised and not got else "",
            }
        )
    measures = []
    for m in queries.list_measures(session=session, plan_id=plan["id"]):
        values = [v for v in m["values"] if v["as_of"] <= as_of.isoformat()]
        if not values:
            continue
        latest = values[-1]
        measures.append(
            {
                **m,
                "latest": latest["value"],
                "as_of": latest["as_of"],
                "progress": _progress(m, latest["value"]),
                "history": values,
            }
        )
    gaps = [r["Ref"] for r in per_action if r["Gap"]]
    promised_total = sum(r["Promised"] for r in per_action)
    summary = (
        f"{plural(len(every), 'evidence item')} received against {promised_total} promised across "
        f"{plural(len(actions), 'action')}; "
        + (
            f"{plural(len(gaps), 'action')} promised evidence but has none yet ({listing(gaps)})."
            if gaps
            else "every action that promised evidence has received some."
        )
    )
    charts = [evidence_timeline(items, [a["ref"] for a in actions])]
    if measures:
        charts.append(measures_progress(measures))
    return EvidencePage(
        plan=plan,
        as_of=as_of,
        summary=summary,
        per_action=per_action,
        items=items,
        measures=measures,
        charts=charts,
        kinds=[k for k in EVIDENCE_KINDS if any(e["kind"] == k for e in every)],
    )
