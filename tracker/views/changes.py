"""The What changed page: everything that moved between two dates (or two update rounds).

A window runs from just after `start` to the end of `end`: a thing dated `start` itself belongs to the
earlier period (it is part of the state *on* `start`), one dated `end` belongs to this one. Statuses are
compared as they stood on `start` and on `end`; evidence, measure values and plan changes are the ones
dated inside the window; the workforce is compared between the latest snapshots on or before each date,
HESA-rounded.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     page = changes_view(session=s, start=date(2020, 1, 1), end=date(2020, 6, 30))
    >>> page.summary
    'Between 2 Jan 2020 and 30 Jun 2020: nothing changed.'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, case, func, select
from sqlmodel import Session, col

from tracker import queries
from tracker.charts import STATUS_STYLE, Chart, listing, plural
from tracker.charts.changes import status_movement
from tracker.disclosure import SUPPRESSED, percent, round5
from tracker.ingest.cells import add_months
from tracker.load import ACTION_FIELDS
from tracker.models import (
    Action,
    ActionRevision,
    Evidence,
    Measure,
    MeasureValue,
    ProgressUpdate,
    Upload,
    WorkforceRecord,
)
from tracker.plans import current_plan
from tracker.text import day

# Leads date their updates over a few days before a meeting: as-of dates no more than ROUND_GAP_DAYS apart
# (and no more than ROUND_SPAN_DAYS from the first) are one round, dated by its last update.
ROUND_GAP_DAYS = 14
ROUND_SPAN_DAYS = 31
PRESETS = ("Since the last round", "Last 3 months", "Last 12 months", "Custom")
NOT_STARTED = "not started"


def status_text(status: str) -> str:
    """The status as its symbol and word, so it never rests on colour.

    Example:
        >>> status_text("delayed"), status_text("on track")
        ('✕ Delayed', '● On track')
    """
    style = STATUS_STYLE.get(status, STATUS_STYLE[NOT_STARTED])
    return f"{style.symbol} {style.label}"


# Evidence kinds whose plural is not the word plus "s" ("other" stays "other": "3 other").
KIND_PLURALS = {"policy": "policies", "other": "other"}


# --- what the page holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    """An action whose status on `end` differs from its status on `start`; who/when/note are the later update's."""

    ref: str
    theme: str
    from_status: str
    to_status: str
    from_percent: int | None
    to_percent: int | None
    reported_by: str
    as_of: date
    note: str


@dataclass(frozen=True)
class NewEvidence:
    """An item of evidence dated inside the window (corrected items are left out; corrections are marked)."""

    ref: str
    date: date
    kind: str
    description: str
    added_by: str
    link: str
    correction: bool


@dataclass(frozen=True)
class ActionChange:
    """An action added, withdrawn, changed or restored by a plan import inside the window."""

    ref: str
    change: str  # added, withdrawn, changed, restored
    when: date
    fields: tuple[str, ...]  # for "changed": what the import changed
    detail: str
    source: str  # the plan file that did it ("" when unknown)


@dataclass(frozen=True)
class MeasureChange:
    """A measure value dated inside the window, with the latest value before the window."""

    ref: str
    measure: str
    unit: str
    as_of: date
    value: float
    previous: float | None
    baseline: float | None
    target: float | None


@dataclass(frozen=True)
class WorkforceFigures:
    """HESA-rounded headcount and FTE, and % female of headcount (`..` where suppressed)."""

    headcount: int
    fte: int
    female_pct: float | str


@dataclass(frozen=True)
class FacultyMovement:
    faculty: str
    before: WorkforceFigures | None  # None: the faculty is new in the later snapshot
    after: WorkforceFigures | None  # None: the faculty has gone from the later snapshot


@dataclass(frozen=True)
class WorkforceMovement:
    """The latest snapshot on or before `start` (`from_date`, None if there was none) against the one on or
    before `end`; every figure rounded by the HESA method."""

    from_date: date | None
    to_date: date
    before: WorkforceFigures | None
    after: WorkforceFigures
    faculties: tuple[FacultyMovement, ...]

    @property
    def direction(self) -> str:
        """'up', 'down' or 'no change': the rounded FTE's movement."""
        if self.before is None or self.after.fte == self.before.fte:
            return "no change"
        return "up" if self.after.fte > self.before.fte else "down"


@dataclass
class ChangesPage:
    """Everything the What changed page shows for one window."""

    start: date
    end: date
    plan_id: int | None
    status_changes: list[StatusChange] = field(default_factory=list)
    status_at_start: dict[str, int] = field(default_factory=dict)
    status_at_end: dict[str, int] = field(default_factory=dict)
    updates_received: int = 0
    evidence: list[NewEvidence] = field(default_factory=list)
    actions_added: list[ActionChange] = field(default_factory=list)
    actions_withdrawn: list[ActionChange] = field(default_factory=list)
    actions_changed: list[ActionChange] = field(default_factory=list)  # changed or restored
    measures: list[MeasureChange] = field(default_factory=list)
    workforce: WorkforceMovement | None = None
    status_chart: Chart | None = None
    summary: str = ""

    @property
    def first_day(self) -> date:
        """The first day inside the window."""
        return self.start + timedelta(days=1)

    @property
    def evidence_by_kind(self) -> dict[str, int]:
        return dict(Counter(e.kind for e in self.evidence).most_common())

    @property
    def evidence_kinds_text(self) -> str:
        """'2 documents and 1 award'."""
        return listing([plural(n, k, KIND_PLURALS.get(k)) for k, n in self.evidence_by_kind.items()], limit=7)

    # Display rows (column names as the page shows them), so the page only renders.

    def status_rows(self, *, dates_as_text: bool = False) -> list[dict[str, Any]]:
        """One row per status change; `dates_as_text` gives '14 Jul 2020' instead of a date (plain tables)."""
        return [
            {
                "Ref": c.ref,
                "From": status_text(c.from_status),
                "To": status_text(c.to_status),
                "% complete": _arrow(c.from_percent, c.to_percent, suffix="%"),
                "Reported by": c.reported_by,
                "As of": day(c.as_of) if dates_as_text else c.as_of,
                "Note": c.note,
            }
            for c in self.status_changes
        ]

    def evidence_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "Date": e.date,
                "Ref": e.ref,
                "Kind": e.kind.capitalize(),
                "Description": ("Correction: " if e.correction else "") + e.description,
                "Added by": e.added_by,
                "Link": e.link or None,
            }
            for e in self.evidence
        ]

    def action_rows(self) -> list[dict[str, Any]]:
        every = self.actions_added + self.actions_withdrawn + self.actions_changed
        return [
            {
                "When": a.when,
                "Ref": a.ref,
                "Change": a.change.capitalize(),
                "What": a.detail,
                "Plan file": a.source,
            }
            for a in sorted(every, key=lambda a: a.when)
        ]

    def measure_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "As of": m.as_of,
                "Ref": m.ref,
                "Measure": m.measure,
                "Value": _arrow(m.previous, m.value, suffix=_unit(m.unit)),
                "Target": "–" if m.target is None else _num(m.target) + _unit(m.unit),
            }
            for m in self.measures
        ]

    def workforce_rows(self) -> list[dict[str, Any]]:
        """Total first, then each faculty: headcount, FTE and % female, earlier → later (all rounded)."""
        wf = self.workforce
        if wf is None:
            return []
        rows = [_wf_row("All faculties", wf.before, wf.after)]
        rows += [_wf_row(f.faculty, f.before, f.after) for f in wf.faculties]
        return rows


def _num(v: float | int | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _unit(unit: str) -> str:
    return "%" if unit == "%" else (f" {unit}" if unit else "")


def _arrow(before: float | int | None, after: float | int | None, *, suffix: str = "") -> str:
    a = "–" if before is None else _num(before) + suffix
    b = "–" if after is None else _num(after) + suffix
    return b if a == b else f"{a} → {b}"


def _pct(v: float | str | None) -> str:
    if v is None:
        return "–"
    return SUPPRESSED if v == SUPPRESSED else f"{v:.1f}%"


def _wf_row(name: str, before: WorkforceFigures | None, after: WorkforceFigures | None) -> dict[str, Any]:
    def moved(attr: str, fmt: Any) -> str:
        a = fmt(getattr(before, attr)) if before else "–"
        b = fmt(getattr(after, attr)) if after else "–"
        return b if a == b else f"{a} → {b}"

    def change(attr: str) -> int | None:
        return getattr(after, attr) - getattr(before, attr) if before and after else None

    return {
        "Faculty": name,
        "Headcount": moved("headcount", _num),
        "Headcount change": change("headcount"),
        "FTE": moved("fte", _num),
        "FTE change": change("fte"),
        "% female": moved("female_pct", _pct),
    }


# --- building it -------------------------------------------------------------------------------------


def changes_view(*, session: Session, start: date, end: date, plan_id: int | None = None) -> ChangesPage:
    """What changed after `start` up to and including `end` in the current (or given) plan.

    Statuses compare the latest update on or before `start` ("not started" without one) with the latest on
    or before `end`. Evidence, measure values and plan-import changes count when dated after `start` and on
    or before `end`. Workforce compares the latest snapshots on or before each date, HESA-rounded (counts
    and FTE to the nearest 5, % female suppressed under a population of 22.5). Raises ValueError when `start`
    is after `end`; `start == end` is an empty window.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     changes_view(session=s, start=date(2020, 7, 1), end=date(2020, 1, 1))
        Traceback (most recent call last):
        ...
        ValueError: the window starts on 1 Jul 2020, after it ends on 1 Jan 2020: choose a start on or before the end
    """
    if start > end:
        raise ValueError(
            f"the window starts on {day(start)}, after it ends on {day(end)}: choose a start on or before the end"
        )
    if plan_id is None:
        plan = current_plan(session=session)
        plan_id = plan.id if plan else None
    page = ChangesPage(start=start, end=end, plan_id=plan_id)
    if plan_id is not None:
        _statuses(session, page, plan_id)
        page.status_chart = status_movement(page.status_at_start, page.status_at_end, start=start, end=end)
        page.evidence = _evidence(session, plan_id, start, end)
        _plan_changes(session, page, plan_id)
        page.measures = _measures(session, plan_id, start, end)
    page.workforce = _workforce(session, start, end)
    page.summary = _summary(page)
    return page


def _statuses(session: Session, page: ChangesPage, plan_id: int) -> None:
    before = queries.latest_updates(session=session, plan_id=plan_id, as_of=page.start)
    after = queries.latest_updates(session=session, plan_id=plan_id, as_of=page.end)
    actions = session.exec(  # type: ignore[call-overload]
        select(col(Action.id), col(Action.ref), col(Action.theme), col(Action.withdrawn))
        .where(col(Action.plan_id) == plan_id)
        .order_by(col(Action.position), col(Action.id))
    ).all()
    at_start: Counter[str] = Counter()
    at_end: Counter[str] = Counter()
    for aid, ref, theme, withdrawn in actions:
        u0, u1 = before.get(aid), after.get(aid)
        s0 = u0.status if u0 else NOT_STARTED
        s1 = u1.status if u1 else NOT_STARTED
        if not withdrawn:
            at_start[s0] += 1
            at_end[s1] += 1
        if s0 != s1 and u1 is not None:
            page.status_changes.append(
                StatusChange(
                    ref=ref,
                    theme=theme,
                    from_status=s0,
                    to_status=s1,
                    from_percent=u0.percent_complete if u0 else None,
                    to_percent=u1.percent_complete,
                    reported_by=u1.reported_by,
                    as_of=u1.as_of,
                    note=u1.note,
                )
            )
    page.status_at_start = {s: at_start[s] for s in STATUS_STYLE if at_start[s]}
    page.status_at_end = {s: at_end[s] for s in STATUS_STYLE if at_end[s]}
    page.updates_received = int(
        session.exec(  # type: ignore[call-overload]
            select(func.count())
            .select_from(ProgressUpdate)
            .join(Action, col(Action.id) == col(ProgressUpdate.action_id))
            .where(
                col(Action.plan_id) == plan_id,
                col(ProgressUpdate.as_of) > page.start,
                col(ProgressUpdate.as_of) <= page.end,
            )
        ).one()[0]
    )


def _evidence(session: Session, plan_id: int, start: date, end: date) -> list[NewEvidence]:
    q = (
        select(
            col(Action.ref),
            col(Evidence.date),
            col(Evidence.kind),
            col(Evidence.description),
            col(Evidence.added_by),
            col(Evidence.link),
            col(Evidence.supersedes_id),
        )
        .join(Action, col(Action.id) == col(Evidence.action_id))
        .where(
            col(Action.plan_id) == plan_id,
            col(Evidence.date) > start,
            col(Evidence.date) <= end,
            queries.current_evidence(),
        )
        .order_by(col(Evidence.date), col(Evidence.id))
    )
    return [
        NewEvidence(ref, d, kind, desc, who or "", link or "", sup is not None)
        for ref, d, kind, desc, who, link, sup in session.exec(q).all()  # type: ignore[call-overload]
    ]


def _window_ts(d: date) -> datetime:
    """The first instant after day `d` (UTC): plan-import timestamps are compared against these."""
    return datetime.combine(d + timedelta(days=1), time(), tzinfo=UTC)


def _plan_changes(session: Session, page: ChangesPage, plan_id: int) -> None:
    lo, hi = _window_ts(page.start), _window_ts(page.end)
    in_window = (
        select(col(ActionRevision.id))
        .join(Action, col(Action.id) == col(ActionRevision.action_id))
        .where(
            col(Action.plan_id) == plan_id,
            col(ActionRevision.changed_at) >= lo,
            col(ActionRevision.changed_at) < hi,
        )
    )
    # Each revision's "after" is the next revision's "before", or the action as it is now.
    nxt = (
        func.lead(col(ActionRevision.before), type_=JSON)
        .over(
            partition_by=col(ActionRevision.action_id),
            order_by=(col(ActionRevision.changed_at), col(ActionRevision.id)),
        )
        .label("after")
    )
    revs = (
        select(
            col(ActionRevision.id).label("rid"),
            col(ActionRevision.action_id).label("aid"),
            col(ActionRevision.change).label("change"),
            col(ActionRevision.before).label("before"),
            col(ActionRevision.changed_at).label("changed_at"),
            col(ActionRevision.upload_id).label("upload_id"),
            nxt,
        )
        .where(col(ActionRevision.action_id).in_(select(col(Action.id)).where(col(Action.plan_id) == plan_id)))
        .subquery()
    )
    rows = session.exec(  # type: ignore[call-overload]
        select(revs, Action, col(Upload.filename))
        .join(Action, col(Action.id) == revs.c.aid)
        .outerjoin(Upload, col(Upload.id) == revs.c.upload_id)
        .where(revs.c.rid.in_(in_window))
        .order_by(revs.c.changed_at, revs.c.rid)
    ).all()
    seen_added: set[int] = set()
    seen_withdrawn: set[int] = set()
    for _rid, aid, change, before, changed_at, _up, after, action, filename in rows:
        when = changed_at.date()
        source = filename or ""
        if change == "added":
            seen_added.add(aid)
            page.actions_added.append(ActionChange(action.ref, "added", when, (), _short(action.activity), source))
        elif change == "withdrawn":
            seen_withdrawn.add(aid)
            text = _short(str((before or {}).get("activity", "")) or action.activity)
            page.actions_withdrawn.append(ActionChange(action.ref, "withdrawn", when, (), text, source))
        else:
            now = after if after else _snapshot(action)
            fields = tuple(f for f in ACTION_FIELDS if (before or {}).get(f) != now.get(f))
            detail = _fields_detail(fields, before or {}, now)
            if change == "restored":
                detail = "back in the plan" + (f"; {detail}" if fields else "")
            page.actions_changed.append(ActionChange(action.ref, change, when, fields, detail, source))
    # Actions made or withdrawn without a revision row (older databases, other tools): their own timestamps.
    extra = session.exec(  # type: ignore[call-overload]
        select(Action).where(
            col(Action.plan_id) == plan_id,
            (
                (col(Action.created_at) >= lo) & (col(Action.created_at) < hi)
                | (col(Action.withdrawn_at) >= lo) & (col(Action.withdrawn_at) < hi)
            ),
        )
    ).scalars()
    for a in extra:
        if lo <= _aware(a.created_at) < hi and a.id not in seen_added and not _has_revision(session, a.id, "added"):
            page.actions_added.append(ActionChange(a.ref, "added", a.created_at.date(), (), _short(a.activity), ""))
        if a.withdrawn_at is not None and lo <= _aware(a.withdrawn_at) < hi and a.id not in seen_withdrawn:
            page.actions_withdrawn.append(
                ActionChange(a.ref, "withdrawn", a.withdrawn_at.date(), (), _short(a.activity), "")
            )


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _has_revision(session: Session, action_id: int | None, change: str) -> bool:
    q = select(func.count()).where(col(ActionRevision.action_id) == action_id, col(ActionRevision.change) == change)
    return bool(session.exec(q).one()[0])  # type: ignore[call-overload]


def _snapshot(a: Action) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in ACTION_FIELDS:
        v = getattr(a, f)
        out[f] = v.isoformat() if isinstance(v, date) else (list(v) if isinstance(v, list) else v)
    return out


def _short(text: str, limit: int = 90) -> str:
    """One line of an action's text: bullets become semicolons, long text is cut with an ellipsis."""
    items = [" ".join(part.split()) for part in str(text).split("•")]
    text = "; ".join(i for i in items if i)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fields_detail(fields: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]) -> str:
    if not fields:
        return "re-imported with no visible change"
    parts = []
    for f in fields:
        name = f.replace("_", " ")
        if f in ("start", "due", "pillars"):
            a, b = before.get(f) or "–", after.get(f) or "–"
            parts.append(f"{name} {a} → {b}")
        else:
            parts.append(name)
    return "changed: " + ", ".join(parts)


def _measures(session: Session, plan_id: int, start: date, end: date) -> list[MeasureChange]:
    rn = (
        func.row_number()
        .over(
            partition_by=col(MeasureValue.measure_id),
            order_by=(col(MeasureValue.as_of).desc(), col(MeasureValue.id).desc()),
        )
        .label("rn")
    )
    prev = (
        select(col(MeasureValue.measure_id).label("mid"), col(MeasureValue.value).label("value"), rn)
        .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        .join(Action, col(Action.id) == col(Measure.action_id))
        .where(col(Action.plan_id) == plan_id, col(MeasureValue.as_of) <= start)
        .subquery()
    )
    previous: dict[int, float] = {
        mid: v
        for mid, v in session.exec(select(prev.c.mid, prev.c.value).where(prev.c.rn == 1)).all()  # type: ignore[call-overload]
    }
    q = (
        select(
            col(Measure.id),
            col(Action.ref),
            col(Measure.name),
            col(Measure.unit),
            col(Measure.baseline),
            col(Measure.target),
            col(MeasureValue.as_of),
            col(MeasureValue.value),
        )
        .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        .join(Action, col(Action.id) == col(Measure.action_id))
        .where(col(Action.plan_id) == plan_id, col(MeasureValue.as_of) > start, col(MeasureValue.as_of) <= end)
        .order_by(col(MeasureValue.as_of), col(Action.position), col(Measure.id), col(MeasureValue.id))
    )
    out = []
    last: dict[int, float | None] = dict(previous)
    for mid, ref, name, unit, baseline, target, as_of, value in session.exec(q).all():  # type: ignore[call-overload]
        out.append(MeasureChange(ref, name, unit or "", as_of, value, last.get(mid), baseline, target))
        last[mid] = value
    return out


def _workforce(session: Session, start: date, end: date) -> WorkforceMovement | None:
    def latest(on: date) -> date | None:
        q = select(func.max(col(WorkforceRecord.as_of))).where(col(WorkforceRecord.as_of) <= on)
        return session.exec(q).one()[0]  # type: ignore[call-overload,no-any-return]

    d0, d1 = latest(start), latest(end)
    if d1 is None or d0 == d1:
        return None
    dates = [d for d in (d0, d1) if d is not None]
    female = func.sum(case((col(WorkforceRecord.sex) == "Female", col(WorkforceRecord.headcount)), else_=0))
    q = (
        select(
            col(WorkforceRecord.as_of),
            col(WorkforceRecord.faculty),
            func.sum(col(WorkforceRecord.headcount)),
            func.sum(col(WorkforceRecord.fte)),
            female,
        )
        .where(col(WorkforceRecord.as_of).in_(dates))
        .group_by(col(WorkforceRecord.as_of), col(WorkforceRecord.faculty))
    )
    exact: dict[date, dict[str, tuple[float, float, float]]] = {d: {} for d in dates}
    for as_of, faculty, hc, fte, fem in session.exec(q).all():  # type: ignore[call-overload]
        exact[as_of][faculty] = (float(hc or 0), float(fte or 0), float(fem or 0))

    def figures(cells: list[tuple[float, float, float]]) -> WorkforceFigures:
        # Totals are rounded from exact sums, never summed from rounded parts.
        hc, fte, fem = (sum(c[i] for c in cells) for i in range(3))
        return WorkforceFigures(round5(hc), round5(fte), percent(fem, hc))

    after = exact[d1]
    before = exact[d0] if d0 is not None else None
    names = sorted(set(after) | set(before or {}))
    faculties = tuple(
        FacultyMovement(
            n,
            figures([before[n]]) if before is not None and n in before else None,
            figures([after[n]]) if n in after else None,
        )
        for n in names
    )
    return WorkforceMovement(
        from_date=d0,
        to_date=d1,
        before=figures(list(before.values())) if before is not None else None,
        after=figures(list(after.values())),
        faculties=faculties,
    )


def _summary(page: ChangesPage) -> str:
    if page.start == page.end:
        return f"Between {day(page.start)} and {day(page.end)}: nothing changed (the period is empty)."
    head = f"Between {day(page.first_day)} and {day(page.end)}" if page.first_day < page.end else f"On {day(page.end)}"
    added, withdrawn, changed = page.actions_added, page.actions_withdrawn, page.actions_changed
    nothing = not (
        page.status_changes
        or page.evidence
        or added
        or withdrawn
        or changed
        or page.measures
        or page.workforce
        or page.updates_received
    )
    if nothing:
        return f"{head}: nothing changed."
    parts = []
    if page.status_changes:
        moves = [
            f"{c.ref} {STATUS_STYLE[c.from_status].label.lower()} → {STATUS_STYLE[c.to_status].label.lower()}"
            for c in page.status_changes
        ]
        parts.append(f"{plural(len(moves), 'status change')} ({listing(moves, limit=3)})")
    else:
        parts.append("no status changes")
    parts.append(f"{plural(len(page.evidence), 'new evidence item')}" if page.evidence else "no new evidence")
    if added or withdrawn:
        bits = []
        if added:
            bits.append(f"{plural(len(added), 'action')} added ({listing([a.ref for a in added])})")
        if withdrawn:
            n = len(withdrawn)
            bits.append(f"{n if added else plural(n, 'action')} withdrawn ({listing([a.ref for a in withdrawn])})")
        parts.append(" and ".join(bits))
    else:
        parts.append("no actions added or withdrawn")
    if changed:
        parts.append(f"{plural(len(changed), 'action')} changed by a plan re-import")
    if page.measures:
        parts.append(plural(len(page.measures), "new measure value"))
    wf = page.workforce
    if wf is not None and wf.before is not None:
        parts.append(
            f"technical staff FTE {wf.before.fte:,} → {wf.after.fte:,} "
            f"({day(wf.from_date or wf.to_date)} → {day(wf.to_date)} snapshots, rounded to 5)"
        )
    elif wf is not None:
        parts.append(f"a first workforce snapshot ({day(wf.to_date)}: {wf.after.fte:,} FTE, rounded to 5)")
    text = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"{head}: {text}."


# --- choosing the window ---------------------------------------------------------------------------


def meeting_dates(*, session: Session, plan_id: int | None = None) -> list[date]:
    """The update rounds of the current (or given) plan, oldest first: each round dated by its last as-of date.

    Progress updates dated within ROUND_GAP_DAYS of each other (and within ROUND_SPAN_DAYS of the round's
    first) belong to one round, since leads date their returns over the days before a meeting.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     meeting_dates(session=s)
        []
        >>> group_rounds([date(2019, 1, 14), date(2019, 1, 21), date(2019, 4, 8), date(2019, 4, 16)])
        [datetime.date(2019, 1, 21), datetime.date(2019, 4, 16)]
    """
    if plan_id is None:
        plan = current_plan(session=session)
        if plan is None:
            return []
        plan_id = plan.id
    q = (
        select(col(ProgressUpdate.as_of))
        .join(Action, col(Action.id) == col(ProgressUpdate.action_id))
        .where(col(Action.plan_id) == plan_id)
        .group_by(col(ProgressUpdate.as_of))
        .order_by(col(ProgressUpdate.as_of))
    )
    return group_rounds([d for (d,) in session.exec(q).all()])  # type: ignore[call-overload]


def group_rounds(dates: list[date]) -> list[date]:
    """Sorted distinct as-of dates grouped into rounds; each round is given by its last date."""
    rounds: list[date] = []
    first: date | None = None
    for d in dates:
        if (
            rounds
            and first is not None
            and (d - rounds[-1]).days <= ROUND_GAP_DAYS
            and (d - first).days <= ROUND_SPAN_DAYS
        ):
            rounds[-1] = d
        else:
            rounds.append(d)
            first = d
    return rounds


def preset_windows(rounds: list[date], *, reference: date) -> dict[str, tuple[date, date]]:
    """(start, end) for each preset as of `reference` (the sidebar date or today); "Custom" is not included.

    "Since the last round" compares the round before the latest (on or before `reference`) with the latest;
    with only one round it covers the ROUND_SPAN_DAYS + 1 days up to it, with none it is the last 3 months.

    Example:
        >>> w = preset_windows([date(2020, 4, 24), date(2020, 7, 17)], reference=date(2020, 10, 1))
        >>> [f"{a} → {b}" for a, b in (w["Since the last round"], w["Last 3 months"])]
        ['2020-04-24 → 2020-07-17', '2020-07-01 → 2020-10-01']
    """
    past = [r for r in rounds if r <= reference]
    three = (add_months(reference, -3), reference)
    if len(past) >= 2:
        last_round = (past[-2], past[-1])
    elif past:
        last_round = (past[-1] - timedelta(days=ROUND_SPAN_DAYS + 1), past[-1])
    else:
        last_round = three
    return {
        PRESETS[0]: last_round,
        PRESETS[1]: three,
        PRESETS[2]: (add_months(reference, -12), reference),
    }


@dataclass(frozen=True)
class RoundMark:
    """A round as "since the last round" counts it: its name ("" for a round inferred from update dates, when no
    round was ever opened) and the day it ended, its due date (or its last update's date)."""

    name: str
    day: date
    start: date | None = None  # a recorded round's first day

    @property
    def text(self) -> str:
        """'the July 2020 round (due 24 Jul 2020)', or 'the update round of 17 Jul 2020'."""
        return f"the {self.name} round (due {day(self.day)})" if self.name else f"the update round of {day(self.day)}"


def round_marks(*, session: Session, plan_id: int | None = None) -> list[RoundMark]:
    """The plan's update rounds, oldest first: the rounds opened on the Rounds page, each ending on its due date;
    for a plan that never had one, the rounds read from the updates' dates (`meeting_dates`).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     round_marks(session=s)
        []
    """
    from tracker.rounds import list_rounds

    recorded = list_rounds(session=session, plan_id=plan_id)
    if recorded:
        return sorted((RoundMark(r.name, r.due, r.start) for r in recorded), key=lambda m: (m.day, m.name))
    return [RoundMark("", d) for d in meeting_dates(session=session, plan_id=plan_id)]


@dataclass(frozen=True)
class SinceRound:
    """The "since the last round" window: from the end of the round before (`previous`) to the end of the latest
    round that has ended by the reference date (`latest`)."""

    start: date
    end: date
    latest: RoundMark | None
    previous: RoundMark | None

    @property
    def text(self) -> str:
        """'From the July 2020 round (due 24 Jul 2020) to the October 2020 round (due 24 Oct 2020).'"""
        if self.latest is None:
            return f"No update round has ended yet: the last 3 months, {day(self.start)} to {day(self.end)}."
        if self.previous is None:
            return f"Up to {self.latest.text}, the first round: {day(self.start)} to {day(self.end)}."
        return f"From {self.previous.text} to {self.latest.text}."


def since_last_round(marks: list[RoundMark], *, reference: date) -> SinceRound:
    """The window the "Since the last round" preset (and the board pack's round period) covers on `reference`.

    Example:
        >>> w = since_last_round([RoundMark("July 2020", date(2020, 7, 24)), RoundMark("October 2020",
        ...     date(2020, 10, 24))], reference=date(2020, 10, 31))
        >>> w.start, w.end, w.text
        (datetime.date(2020, 7, 24), datetime.date(2020, 10, 24), 'From the July 2020 round (due 24 Jul 2020) to \
the October 2020 round (due 24 Oct 2020).')
    """
    start, end = preset_windows([m.day for m in marks], reference=reference)[PRESETS[0]]
    past = [m for m in marks if m.day <= reference]
    latest = past[-1] if past else None
    previous = past[-2] if len(past) >= 2 else None
    if latest is not None and previous is None and latest.start is not None:
        start = latest.start - timedelta(days=1)  # the first recorded round: from its own first day
    return SinceRound(start=start, end=end, latest=latest, previous=previous)
