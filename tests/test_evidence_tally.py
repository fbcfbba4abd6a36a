"""One count of evidence, true per action, on both databases.

The demo's figures were decided by reading its evidence files, before running the code: six actions promise
evidence; U1 (3 items against 2 promised), D1 (2 of 1, plus a launch event dated before the plan began on
1 November 2018), D2 (1 of 1) and V1 (2 of 1) have all they promised; D3's only item (a September 2018 metric)
predates the plan, so it has none of its 2; V2 has 2 of 3. Twelve items in all, two before the plan, eight of
them serving two or more pillars.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tracker.models import Action, Evidence
from tracker.views.evidence import evidence_tally, evidence_view
from tracker.views.home import home_view
from tracker.views.pillars import pillars_view

END = date(2020, 10, 31)


@pytest.fixture
def demo(demo_engine: Engine) -> Engine:
    """The demo data set in a fresh database on each backend (a copy of one loaded once)."""
    return demo_engine


def test_received_against_promised_per_action(demo: Engine) -> None:
    with Session(demo) as s:
        t = evidence_tally(session=s, as_of=END)
    assert t is not None
    by_ref = {a.ref: a for a in t.actions}
    assert {r: a.against for r, a in by_ref.items()} == {
        "U1": "3 of 2",
        "D1": "2 of 1",
        "D2": "1 of 1",
        "D3": "0 of 2",
        "V1": "2 of 1",
        "V2": "2 of 3",
    }
    assert (by_ref["D3"].before_plan, by_ref["D1"].before_plan) == (1, 1)
    assert [a.ref for a in t.short] == ["D3", "V2"]
    assert (by_ref["D3"].gap, by_ref["V2"].gap, by_ref["U1"].gap) == ("⚠ 2 missing", "⚠ 1 missing", "")
    assert t.headline == "4 of 6 actions have all the evidence they promised"
    assert (t.items, t.in_plan, t.before_plan, t.multi_pillar) == (12, 10, 2, 8)


def test_every_page_quotes_the_same_count(demo: Engine) -> None:
    with Session(demo) as s:
        t = evidence_tally(session=s, as_of=END)
        ev = evidence_view(session=s, as_of=END)
        home = home_view(session=s, as_of=END)
        pillars = pillars_view(session=s, as_of=END)
    assert t is not None and ev.tally == t
    assert len(ev.items) == t.items == 12  # the page's list of items is the count
    figure = next(f for f in home.figures if f.label == "Evidence in full")
    assert figure.value == "4 of 6" and "12 items received in all, 2 dated before the plan" in figure.explanation
    assert pillars.note.startswith("12 evidence items in all; 8 serve two or more pillars")
    assert sum(r.evidence_items for r in pillars.pillars) == 20  # and the page says so
    assert "add up to 20" in pillars.note


def test_a_corrected_item_counts_once_and_a_withdrawn_action_not_at_all(demo: Engine) -> None:
    with Session(demo) as s:
        v2 = s.exec(select(Action).where(col(Action.ref) == "V2")).scalars().one()  # type: ignore[call-overload]
        old = s.exec(select(Evidence).where(col(Evidence.action_id) == v2.id)).scalars().first()  # type: ignore[call-overload]
        assert old is not None
        s.add(
            Evidence(
                action_id=v2.id,
                date=old.date,
                description=old.description + " (corrected)",
                kind=old.kind,
                pillars=old.pillars,
                supersedes_id=old.id,
            )
        )
        d2 = s.exec(select(Action).where(col(Action.ref) == "D2")).scalars().one()  # type: ignore[call-overload]
        d2.withdrawn = True
        s.commit()
        t = evidence_tally(session=s, as_of=END)
    assert t is not None
    by_ref = {a.ref: a for a in t.actions}
    assert by_ref["V2"].against == "2 of 3"  # the correction replaces the item it corrects
    assert "D2" not in by_ref  # withdrawn: it promises nothing any more
    assert t.headline == "3 of 5 actions have all the evidence they promised"


def test_an_item_on_the_plans_first_day_counts_in_the_plan(demo: Engine) -> None:
    with Session(demo) as s:
        d3 = s.exec(select(Action).where(col(Action.ref) == "D3")).scalars().one()  # type: ignore[call-overload]
        s.add(Evidence(action_id=d3.id, date=date(2018, 11, 1), description="Intake", kind="metric", pillars="C"))
        s.add(Evidence(action_id=d3.id, date=date(2018, 10, 31), description="Pilot", kind="metric", pillars="C"))
        s.commit()
        t = evidence_tally(session=s, as_of=END)
    assert t is not None
    d3_row = next(a for a in t.actions if a.ref == "D3")
    assert (d3_row.received, d3_row.before_plan) == (1, 2)


def test_the_count_follows_the_date(demo: Engine) -> None:
    with Session(demo) as s:
        early = evidence_tally(session=s, as_of=date(2019, 8, 31))
    assert early is not None
    assert early.headline == "2 of 6 actions have all the evidence they promised"
    assert [a.ref for a in early.complete] == ["U1", "D1"]
