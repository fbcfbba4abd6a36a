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
from tracker.charts import Chart, plural
from tracker.charts.pillars import coverage, evidence_over_time
from tracker.charts.plan import status_label
from tracker.ingest.cells import add_months
from tracker.models import PILLAR_NAMES, PILLARS, Action, Evidence
from tracker.records import PlanInfo
from tracker.summary import plan_info
from tracker.text import day

RECENT_MONTHS = 6


@dataclass(frozen=True)
class PillarGap:
    """A pillar that lacks actions or recent evidence, and why, in words that are true of it."""

    pillar: str  # V, R, C or S
    reason: str
    short: str  # the reason in a table cell's few words

    @property
    def name(self) -> str:
        return PILLAR_NAMES[self.pillar]

    @property
    def text(self) -> str:
        """'Sustainability: no evidence since 3 Oct 2019 (none in the last 6 months)'."""
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class MatrixRow:
    """One action against the four pillars."""

    ref: str
    theme: str
    pillars: list[str]
    status_label: str
    evidence_items: int
    activity: str


@dataclass(frozen=True)
class PillarRow:
    """One pillar: its actions and its evidence."""

    pillar: str
    actions: int
    complete_or_on_track: int
    evidence_items: int
    recent: int  # items in the last RECENT_MONTHS months
    latest: date | None
    gap: PillarGap | None

    @property
    def name(self) -> str:
        return f"{self.pillar} – {PILLAR_NAMES[self.pillar]}"


@dataclass
class PillarsPage:
    """Everything the Pillars page shows."""

    plan: PlanInfo | None
    as_of: date
    matrix: list[MatrixRow] = field(default_factory=list)
    pillars: list[PillarRow] = field(default_factory=list)
    gaps: list[PillarGap] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    note: str = ""  # how the evidence counts add up (an item serving two pillars counts under each)

    def pillar_rows(self) -> list[dict[str, object]]:
        """One display row per pillar (column names as the page and the pack show them)."""
        return [
            {
                "Pillar": r.name,
                "Actions": r.actions,
                "Complete or on track": r.complete_or_on_track,
                "Evidence items": r.evidence_items,
                f"In the last {RECENT_MONTHS} months": r.recent,
                "Latest evidence": r.latest,
                "Gap": f"⚠ {r.gap.short}" if r.gap else "",
            }
            for r in self.pillars
        ]


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
    actions = [a for a in queries.list_actions(session=session, plan_id=plan.id, as_of=as_of) if not a.withdrawn]
    evidence = [e for e in queries.list_evidence(session=session, plan_id=plan.id) if e.date <= as_of]
    per_action: dict[str, int] = {}
    for e in evidence:
        per_action[e.ref] = per_action.get(e.ref, 0) + 1
    matrix = [
        MatrixRow(a.ref, a.theme, a.pillars, status_label(a.status), per_action.get(a.ref, 0), a.activity)
        for a in actions
    ]
    recent_from = add_months(as_of, -RECENT_MONTHS)
    by_status: dict[str, dict[str, int]] = {p: {} for p in PILLARS}
    for a in actions:
        for p in a.pillars:
            by_status[p][a.status] = by_status[p].get(a.status, 0) + 1
    start = min([plan.start] + [e.date for e in evidence])
    quarters = quarters_between(start, min(as_of, max(plan.end, as_of)))
    per_quarter: dict[str, dict[str, int]] = {p: {} for p in PILLARS}
    rows, gaps = [], []
    for p in PILLARS:
        items = [e for e in evidence if p in e.pillars]
        for e in items:
            q = quarter(e.date)
            per_quarter[p][q] = per_quarter[p].get(q, 0) + 1
        recent = [e for e in items if e.date > recent_from]
        n_actions = sum(by_status[p].values())
        last = max((e.date for e in items), default=None)
        gap = _gap(p, n_actions, len(items), len(recent), last)
        if gap:
            gaps.append(gap)
        rows.append(
            PillarRow(
                pillar=p,
                actions=n_actions,
                complete_or_on_track=by_status[p].get("complete", 0) + by_status[p].get("on track", 0),
                evidence_items=len(items),
                recent=len(recent),
                latest=last,
                gap=gap,
            )
        )
    multi = sum(len(e.pillars) > 1 for e in evidence)
    counted = sum(r.evidence_items for r in rows)
    note = (
        f"{plural(len(evidence), 'evidence item')} in all"
        + (
            f"; {multi:,} {'serves' if multi == 1 else 'serve'} two or more pillars and "
            f"{'counts' if multi == 1 else 'count'} under each, so the pillars' counts add up to {counted:,}"
            if multi
            else ""
        )
        + ". An action serving two pillars counts under both."
    )
    return PillarsPage(
        plan=plan,
        as_of=as_of,
        matrix=matrix,
        pillars=rows,
        gaps=gaps,
        charts=[coverage(by_status), evidence_over_time(per_quarter, quarters)] if actions else [],
        note=note,
    )


def _gap(p: str, n_actions: int, n_items: int, n_recent: int, last: date | None) -> PillarGap | None:
    """Why pillar `p` is a gap (None when it is not): no action serves it, nothing has evidenced it yet, or
    nothing has in the last RECENT_MONTHS months (`last`: the newest item's date)."""
    if not n_actions:
        return PillarGap(p, "no actions serve this pillar", "no actions")
    if not n_items:
        return PillarGap(p, "no evidence received yet", "no evidence yet")
    if not n_recent:
        return PillarGap(
            p,
            f"no evidence since {day(last)} (none in the last {RECENT_MONTHS} months)",
            f"none in {RECENT_MONTHS} months",
        )
    return None


def pillar_gaps(*, session: Session, as_of: date | None = None) -> list[PillarGap]:
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
            col(Action.plan_id) == plan.id, col(Action.withdrawn).is_(False)
        )
    ).one()
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
            col(Action.plan_id) == plan.id,
            col(Evidence.date) <= as_of,
            queries.current_evidence(),
        )
    ).one()
    gaps = []
    for i, p in enumerate(PILLARS):
        n_items, n_recent, last = ev[3 * i], ev[3 * i + 1], ev[3 * i + 2]
        # SQLite gives MAX(date) back as text.
        last_day = last if isinstance(last, date) else (date.fromisoformat(str(last)[:10]) if last else None)
        gap = _gap(p, int(n_actions[i] or 0), int(n_items or 0), int(n_recent or 0), last_day)
        if gap:
            gaps.append(gap)
    return gaps
