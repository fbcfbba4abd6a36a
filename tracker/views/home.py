"""The Home page: where the plan stands, at a glance.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     home_view(session=s).plan is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from tracker.charts import Chart, listing, plural
from tracker.charts.plan import status_counts
from tracker.disclosure import round5
from tracker.records import PlanInfo
from tracker.summary import headline, pace
from tracker.text import day
from tracker.views.evidence import evidence_tally
from tracker.views.pillars import RECENT_MONTHS, PillarGap, pillar_gaps


@dataclass
class Figure:
    """One headline figure: its label, value, and the sentence that explains it."""

    label: str
    value: str
    explanation: str


@dataclass
class HomePage:
    plan: PlanInfo | None
    as_of: date
    figures: list[Figure] = field(default_factory=list)
    by_status: Chart | None = None
    gaps: list[PillarGap] = field(default_factory=list)


def home_view(*, session: Session, as_of: date | None = None) -> HomePage:
    """Headline figures as they stood on `as_of` (default today), each with a one-line explanation.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     home_view(session=s, as_of=date(2020, 1, 1)).figures
        []
    """
    as_of = as_of or date.today()
    h = headline(session=session, today=as_of)
    if h.plan is None:
        return HomePage(plan=None, as_of=as_of)
    st = h.by_status
    done, on_track = st["complete"], st["on track"]
    troubled = st["at risk"] + st["delayed"]
    pace_words = {"ahead": "ahead of", "behind": "behind", "in step": "in step with"}
    judged = pace_words[pace(h.work_complete_pct, h.time_elapsed_pct)]
    gaps = pillar_gaps(session=session, as_of=as_of)
    ev = evidence_tally(session=session, as_of=as_of)
    assert ev is not None  # there is a plan
    wf = h.workforce
    figures = [
        Figure(
            "Actions",
            str(h.actions),
            f"{done} complete and {on_track} on track; {plural(troubled, 'action')} at risk or delayed.",
        ),
        Figure(
            "Work complete",
            f"{h.work_complete_pct}%",
            f"Average percent complete, {judged} the {h.time_elapsed_pct}% of the plan's time elapsed.",
        ),
        Figure(
            "Evidence in full",
            f"{len(ev.complete)} of {len(ev.promising)}",
            f"{ev.headline}"
            + (f"; short: {listing([f'{a.ref} ({a.against})' for a in ev.short], limit=3)}" if ev.short else "")
            + f". {plural(ev.items, 'item')} received in all"
            + (f", {ev.before_plan} dated before the plan." if ev.before_plan else "."),
        ),
        Figure(
            "Pillars lacking evidence",
            str(len(gaps)),
            "; ".join(g.text for g in gaps) + "."
            if gaps
            else f"All four pillars have evidence from the last {RECENT_MONTHS} months.",
        ),
        Figure(
            "Technical staff",
            f"{round5(wf.fte):,} FTE" if wf else "–",
            f"HR snapshot of {day(wf.as_of)}, rounded to the nearest 5."
            if wf
            else "No HR workforce extract loaded yet.",
        ),
    ]
    return HomePage(plan=h.plan, as_of=as_of, figures=figures, by_status=status_counts(st, total=h.actions), gaps=gaps)
