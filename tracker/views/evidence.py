"""The Evidence & impact page: evidence promised against received per action, the evidence timeline, and
measures against baseline and target. `evidence_tally` is the one count of evidence every page and the board
pack use.

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

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from tracker import queries
from tracker.charts import Chart, listing, plural
from tracker.charts.evidence import evidence_timeline, measures_progress
from tracker.models import EVIDENCE_KINDS, Action, Evidence
from tracker.records import EvidenceRow, MeasurePoint, MeasureRow, PlanInfo
from tracker.summary import plan_info


@dataclass(frozen=True)
class ActionEvidence:
    """What one action promised as evidence and what it has received.

    `received` counts items dated within the plan (from its start); items dated before the plan began are
    counted apart (`before_plan`): they may be context, but they are not evidence of the plan's impact.
    """

    ref: str
    activity: str
    promised: list[str]
    received: int
    before_plan: int
    kinds: list[str]
    latest: date | None

    @property
    def has_all(self) -> bool:
        """It promised evidence and has received at least as many items as it promised."""
        return bool(self.promised) and self.received >= len(self.promised)

    @property
    def short(self) -> bool:
        return bool(self.promised) and self.received < len(self.promised)

    @property
    def against(self) -> str:
        """'1 of 2', or '3 (none promised)'."""
        return f"{self.received} of {len(self.promised)}" if self.promised else f"{self.received} (none promised)"

    @property
    def gap(self) -> str:
        """'' when nothing is missing; else how many promised items are missing: '⚠ 2 missing'."""
        return f"⚠ {len(self.promised) - self.received} missing" if self.short else ""


@dataclass(frozen=True)
class EvidenceTally:
    """The one count of evidence: every page and the board pack quote these figures."""

    actions: list[ActionEvidence]
    items: int  # current items received up to the date, each counted once (in the plan or before it)
    in_plan: int  # of which dated within the plan
    before_plan: int  # of which dated before the plan began
    multi_pillar: int  # items serving two or more pillars

    @property
    def promising(self) -> list[ActionEvidence]:
        return [a for a in self.actions if a.promised]

    @property
    def complete(self) -> list[ActionEvidence]:
        return [a for a in self.actions if a.has_all]

    @property
    def short(self) -> list[ActionEvidence]:
        return [a for a in self.actions if a.short]

    @property
    def headline(self) -> str:
        """'3 of 5 actions have all the evidence they promised'."""
        n, m = len(self.complete), len(self.promising)
        if not m:
            return "No action promised evidence"
        verb, who = ("has", "it") if m == 1 else ("have", "they")
        return f"{n} of {plural(m, 'action')} {verb} all the evidence {who} promised"

    @property
    def items_sentence(self) -> str:
        """'12 evidence items received (1 dated before the plan began); 8 serve two or more pillars.'"""
        text = f"{plural(self.items, 'evidence item')} received"
        if self.before_plan:
            text += f" ({self.before_plan:,} dated before the plan began)"
        if self.multi_pillar:
            text += f"; {self.multi_pillar:,} {'serves' if self.multi_pillar == 1 else 'serve'} two or more pillars"
        return text + "."


def evidence_tally(*, session: Session, as_of: date | None = None) -> EvidenceTally | None:
    """The current plan's evidence as it stood on `as_of` (default today), per action (withdrawn actions left
    out): received against promised, items dated before the plan counted apart. None when no plan is loaded.
    Counted in the database (Home and the board pack need only these figures, not every item).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     evidence_tally(session=s) is None
        True
    """
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    if plan is None:
        return None
    before = col(Evidence.date) < plan.start
    per_kind = session.exec(  # type: ignore[call-overload]
        select(
            col(Evidence.action_id),
            col(Evidence.kind),
            func.sum(case((before, 0), else_=1)),
            func.sum(case((before, 1), else_=0)),
            func.max(col(Evidence.date)),
            # An item's pillars are stored as letters ("VC"): two or more letters, two or more pillars.
            func.sum(case((func.length(col(Evidence.pillars)) > 1, 1), else_=0)),
        )
        .join(Action, col(Action.id) == col(Evidence.action_id))
        .where(col(Action.plan_id) == plan.id, col(Evidence.date) <= as_of, queries.current_evidence())
        .group_by(col(Evidence.action_id), col(Evidence.kind))
    ).all()
    got: dict[int, list[tuple[str, int, int, date | None]]] = {}
    multi = 0
    for action_id, kind, in_plan, early, latest, n_multi in per_kind:
        # SQLite gives MAX(date) back as text.
        last = latest if isinstance(latest, date) or latest is None else date.fromisoformat(str(latest)[:10])
        got.setdefault(action_id, []).append((kind, int(in_plan or 0), int(early or 0), last))
        multi += int(n_multi or 0)
    actions = session.exec(  # type: ignore[call-overload]
        select(col(Action.id), col(Action.ref), col(Action.activity), col(Action.expected_evidence))
        .where(col(Action.plan_id) == plan.id, col(Action.withdrawn).is_(False))
        .order_by(col(Action.position), col(Action.id))
    ).all()
    rows = []
    for action_id, ref, activity, promised in actions:
        kinds = got.get(action_id, [])
        rows.append(
            ActionEvidence(
                ref=ref,
                activity=activity,
                promised=list(promised or []),
                received=sum(k[1] for k in kinds),
                before_plan=sum(k[2] for k in kinds),
                kinds=sorted(k[0] for k in kinds),
                latest=max((k[3] for k in kinds if k[3] is not None), default=None),
            )
        )
    everything = [k for ks in got.values() for k in ks]
    in_plan, early = sum(k[1] for k in everything), sum(k[2] for k in everything)
    return EvidenceTally(actions=rows, items=in_plan + early, in_plan=in_plan, before_plan=early, multi_pillar=multi)


@dataclass(frozen=True)
class MeasureStatus(MeasureRow):
    """A measure with its newest value up to the page's date and how far it has come to its target."""

    latest: float = 0.0
    as_of: date | None = None
    progress: float | None = None  # % of the way from baseline to target; None without a target

    @property
    def met(self) -> bool:
        return self.progress is not None and self.progress >= 100

    @property
    def text(self) -> str:
        """'58% (target 50%) ✔ met', '13 people (target 20 people), 65% of the way', '4 (no target)'."""
        unit = (self.unit or "").strip()

        def amount(x: float) -> str:
            return f"{x:g}%" if unit == "%" else f"{x:g} {unit}".strip()

        if self.target is None:
            return f"{amount(self.latest)} (no target)"
        state = "✔ met" if self.met else f"{self.progress or 0:.0f}% of the way"
        return f"{amount(self.latest)} (target {amount(self.target)}) {state}"


def _progress(m: MeasureRow, latest: float) -> float | None:
    if m.target is None:
        return None
    base = m.baseline or 0.0
    if m.target == base:
        return 100.0 if latest >= m.target else 0.0
    return round(max(0.0, 100 * (latest - base) / (m.target - base)), 1)


def measure_status(m: MeasureRow, as_of: date) -> MeasureStatus | None:
    """`m` as it stood on `as_of` (None when it had no value yet)."""
    values: list[MeasurePoint] = [v for v in m.values if v.as_of <= as_of]
    if not values:
        return None
    latest = values[-1]
    return MeasureStatus(
        ref=m.ref,
        name=m.name,
        unit=m.unit,
        baseline=m.baseline,
        target=m.target,
        values=values,
        latest=latest.value,
        as_of=latest.as_of,
        progress=_progress(m, latest.value),
    )


@dataclass
class EvidencePage:
    """Everything the Evidence & impact page shows."""

    plan: PlanInfo | None
    as_of: date
    summary: str = ""
    tally: EvidenceTally | None = None
    items: list[EvidenceRow] = field(default_factory=list)
    measures: list[MeasureStatus] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def per_action(self) -> list[ActionEvidence]:
        return self.tally.actions if self.tally else []


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
    actions = queries.list_actions(session=session, plan_id=plan.id, as_of=as_of)
    every = [e for e in queries.list_evidence(session=session, plan_id=plan.id) if e.date <= as_of]
    t = evidence_tally(session=session, as_of=as_of)
    assert t is not None  # there is a plan
    items = [
        e
        for e in every
        if (not kinds or e.kind in kinds)
        and (not pillars or set(pillars) & set(e.pillars))
        and (not refs or e.ref in refs)
    ]
    measures = [
        s
        for m in queries.list_measures(session=session, plan_id=plan.id)
        if (s := measure_status(m, as_of)) is not None
    ]
    short = t.short
    summary = f"{t.headline}. {t.items_sentence}"
    if short:
        summary += " Short of what was promised: " + listing([f"{a.ref} ({a.against})" for a in short], limit=6) + "."
    active_refs = [a.ref for a in actions if not a.withdrawn]
    charts = [evidence_timeline(items, active_refs, plan_start=plan.start)]
    if measures:
        charts.append(measures_progress(measures))
    return EvidencePage(
        plan=plan,
        as_of=as_of,
        summary=summary,
        tally=t,
        items=items,
        measures=measures,
        charts=charts,
        kinds=[k for k in EVIDENCE_KINDS if any(e.kind == k for e in every)],
    )
