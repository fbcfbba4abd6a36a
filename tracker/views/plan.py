"""The Action plan page: the filtered table, the timeline, and one action's full history.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     plan_view(session=s).plan is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from tracker import queries
from tracker.charts import Chart
from tracker.charts.plan import BEHIND_MARGIN, status_counts, status_label, timeline
from tracker.models import PILLAR_NAMES, PILLARS, STATUSES, Action, ActionRevision, Upload
from tracker.records import ActionRow, EvidenceRow, MeasureRow, PlanInfo, UpdateRow, field_values
from tracker.summary import elapsed_pct, plan_info

DONE = ("complete", "suspended")


@dataclass(frozen=True)
class ScheduledAction(ActionRow):
    """An action with its window filled in (the plan's own where the action gives none) and where it stands."""

    window_start: date
    window_end: date
    # The action's window differs from the plan's: the reader fills an undated action with the plan's window, so
    # "has a start or due" would be true of every loaded action.
    own_dates: bool
    overdue: bool
    status_label: str
    time_elapsed_pct: int  # of the action's own window, on the as-of date
    behind: bool  # not complete, and its percent complete trails time_elapsed_pct by more than BEHIND_MARGIN


@dataclass(frozen=True)
class FilterOptions:
    themes: list[str]
    pillars: list[str]
    owners: list[str]
    statuses: list[str]


@dataclass
class PlanPage:
    """Everything the Action plan page shows."""

    plan: PlanInfo | None
    as_of: date
    actions: list[ScheduledAction] = field(default_factory=list)
    total: int = 0
    options: FilterOptions = field(default_factory=lambda: FilterOptions([], [], [], []))
    timeline: Chart | None = None
    by_status: Chart | None = None
    # Each shown action's progress updates up to the as-of date, oldest first (the timeline's marks).
    updates: dict[str, list[UpdateRow]] = field(default_factory=dict)


def scheduled(a: ActionRow, plan: PlanInfo, as_of: date) -> ScheduledAction:
    """`a` with its window (its own dates, else the plan's), whether it is overdue on `as_of`, how much of its
    window has gone and whether its work done trails that by more than BEHIND_MARGIN points.

    Example:
        >>> p = PlanInfo(1, "UCL", "Plan", date(2020, 1, 1), date(2021, 12, 31), 24)
        >>> a = ActionRow("D1", "", "", "Map skills", "", [], [], [], None, date(2020, 6, 30), "delayed", 40,
        ...               None, "", False)
        >>> s = scheduled(a, p, date(2020, 9, 1))
        >>> s.window_start, s.own_dates, s.overdue, s.status_label, s.time_elapsed_pct, s.behind
        (datetime.date(2020, 1, 1), True, True, '✕ Delayed', 100, True)
    """
    start = a.start or plan.start
    due = a.due or plan.end
    # The one rule for time gone (the Home page's headline uses it for the plan), over this action's window.
    gone = elapsed_pct(replace(plan, start=start, end=due), as_of)
    return ScheduledAction(
        **field_values(a),
        window_start=start,
        window_end=due,
        own_dates=(start, due) != (plan.start, plan.end),
        overdue=due < as_of and a.status not in DONE and not a.withdrawn,
        status_label=status_label(a.status),
        time_elapsed_pct=gone,
        behind=a.status != "complete" and not a.withdrawn and a.percent_complete < gone - BEHIND_MARGIN,
    )


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
        scheduled(a, plan, as_of)
        for a in queries.list_actions(session=session, plan_id=plan.id, as_of=as_of)
        if include_withdrawn or not a.withdrawn
    ]
    options = FilterOptions(
        themes=sorted({a.theme for a in every if a.theme}),
        pillars=[p for p in PILLARS if any(p in a.pillars for a in every)],
        owners=sorted({o for a in every for o in a.owners}, key=str.lower),
        statuses=[s for s in STATUSES if any(a.status == s for a in every)],
    )
    needle = search.strip().lower()

    def keep(a: ScheduledAction) -> bool:
        if themes and a.theme not in themes:
            return False
        if pillars and not set(pillars) & set(a.pillars):
            return False
        if owners and not set(owners) & set(a.owners):
            return False
        if statuses and a.status not in statuses:
            return False
        hay = " ".join([a.ref, a.purpose, a.activity, a.impact, " ".join(a.owners)]).lower()
        return not needle or needle in hay

    shown = [a for a in every if keep(a)]
    counts = {s: sum(a.status == s for a in shown) for s in STATUSES}
    refs = {a.ref for a in shown}
    updates: dict[str, list[UpdateRow]] = {}
    for u in queries.list_updates(session=session, plan_id=plan.id):
        if u.ref in refs and u.as_of <= as_of:  # as the actions stood on as_of: later updates were not yet made
            updates.setdefault(u.ref, []).append(u)
    return PlanPage(
        plan=plan,
        as_of=as_of,
        actions=shown,
        total=len(every),
        options=options,
        timeline=timeline(
            shown, plan_start=plan.start, plan_end=plan.end, today=as_of, months=plan.months, updates=updates
        )
        if shown
        else None,
        by_status=status_counts(counts, total=len(shown)) if shown else None,
        updates=updates,
    )


@dataclass(frozen=True)
class Revision:
    when: date | None
    change: str
    file: str
    before: dict[str, object] | None


@dataclass(frozen=True)
class DetailUpdate(UpdateRow):
    status_label: str


@dataclass(frozen=True)
class DetailEvidence(EvidenceRow):
    current: bool  # False: a later item corrected this one


@dataclass(frozen=True)
class ActionDetail(ActionRow):
    """One action as it stands now, with its whole history."""

    success_measures: str
    updates: list[DetailUpdate]  # newest first
    evidence: list[DetailEvidence]
    measures: list[MeasureRow]
    revisions: list[Revision]

    @property
    def pillar_names(self) -> list[str]:
        """'V (Visibility)' for each pillar the action serves."""
        return [f"{p} ({PILLAR_NAMES[p]})" for p in self.pillars]


def action_detail(*, session: Session, ref: str, plan_id: int | None = None) -> ActionDetail | None:
    """One action with its every progress update, its evidence (corrections marked), its measures and the
    plan re-imports that changed it; None when the ref is unknown.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     action_detail(session=s, ref="D1") is None
        True
    """
    if plan_id is None:
        plan = plan_info(session=session)
        if plan is None:
            return None
        plan_id = plan.id
    act = (
        session.exec(  # type: ignore[call-overload]
            select(Action).where(col(Action.plan_id) == plan_id, col(Action.ref) == ref)
        )
        .scalars()
        .first()
    )
    # The action as every list shows it (its latest status and note), then its history.
    row = next(iter(queries.list_actions(session=session, plan_id=plan_id, ref=ref)), None)
    if act is None or row is None:
        return None
    updates = [
        DetailUpdate(**field_values(u), status_label=status_label(u.status))
        for u in queries.list_updates(session=session, plan_id=plan_id, ref=ref)
    ]
    every = queries.list_evidence(session=session, plan_id=plan_id, current_only=False, ref=ref)
    corrected = {e.supersedes_id for e in every if e.supersedes_id}
    evidence = [DetailEvidence(**field_values(e), current=e.id not in corrected) for e in every]
    measures = queries.list_measures(session=session, plan_id=plan_id, ref=ref)
    revisions = [
        Revision(r.changed_at.date() if r.changed_at else None, r.change, fname or "", r.before)
        for r, fname in session.exec(  # type: ignore[call-overload]
            select(ActionRevision, col(Upload.filename))
            .join(Upload, col(Upload.id) == col(ActionRevision.upload_id), isouter=True)
            .where(col(ActionRevision.action_id) == act.id)
            .order_by(col(ActionRevision.id))
        ).all()
    ]
    return ActionDetail(
        **field_values(row),
        success_measures=act.success_measures,
        updates=list(reversed(updates)),
        evidence=evidence,
        measures=measures,
        revisions=revisions,
    )
