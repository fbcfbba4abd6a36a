"""Ownership is of actions, not refs (issue 13), on SQLite and PostgreSQL.

A lead owns the actions an administrator assigned them in the current plan: a later plan that reuses a ref (a
new `D1`) is nobody's until it is assigned, `unassign` takes away what `assign` gave there, and re-importing a
plan whose refs the reader made up (no Ref column) matches its actions to the held ones by their text, so an
action inserted above others never moves their refs, owners, history or updates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tracker.auth import Actor, actor_for
from tracker.history import template_for
from tracker.ingest.updates import PROGRESS_COLUMNS
from tracker.load import PlanOptions, load_file
from tracker.load.preview import Match, match_actions
from tracker.models import Action, ActionCreate, ProgressUpdate
from tracker.users import add_user, assign_actions, owned_refs, unassign_actions

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
P = list(PROGRESS_COLUMNS)
HEADER = ["Theme", "Activity", "Who"]
OLD_PLAN = [  # no Ref column: the reader numbers each theme's actions (D1, D2, V1)
    ["Plan 2021-2023"],
    HEADER,
    ["Develop", "Communities of practice", "Jo Bloggs"],
    ["Develop", "Career pathways", "HR"],
    ["Value", "Annual awards", "OD"],
]
NEW_PLAN = [  # a later plan: its D1 is another action altogether
    ["Plan 2024-2026"],
    HEADER,
    ["Develop", "Technician apprenticeships", "Sam Other"],
    ["Value", "Technician of the year", "OD"],
]
TODAY = date(2024, 7, 1)
LEAD, OTHER = "cop.lead@uni.ac.uk", "careers.lead@uni.ac.uk"


def progress(make_xlsx: MakeXlsx, ref: str, when: datetime) -> bytes:
    return make_xlsx({"Progress": [P, [ref, when, "On track", 50, "Going well", None]]})


def load_plan_file(s: Session, make_xlsx: MakeXlsx, rows: list[list[Any]], name: str) -> Any:
    out = load_file(make_xlsx({"Plan": rows}), filename=name, session=s)
    assert out.outcome == "loaded", out.result and out.result.issue_lines()
    return out


def who(s: Session, email: str) -> Actor:
    found = actor_for(session=s, email=email)
    assert found is not None
    return found


def action(s: Session, ref: str) -> Action:
    """The current plan's action `ref` (the newest plan has the largest id)."""
    q = select(Action).where(col(Action.ref) == ref).order_by(col(Action.plan_id).desc()).limit(1)
    return s.exec(q).scalars().one()  # type: ignore[call-overload,no-any-return]


def updates_on(s: Session) -> list[int]:
    """The action id of every progress update held."""
    return list(s.exec(select(col(ProgressUpdate.action_id))).scalars())  # type: ignore[call-overload]


# --- a new plan reusing a ref ----------------------------------------------------------------------------


def test_a_new_plans_d1_is_not_owned_by_the_lead_of_the_old_d1(engine: Engine, make_xlsx: MakeXlsx) -> None:
    """Failed before: the lead's refs were matched in every plan, so the old D1's lead wrote to the new D1."""
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, OLD_PLAN, "old.xlsx")
        add_user(session=s, email=LEAD, role="lead", actions=["D1"])
        s.commit()
        snapshot = who(s, LEAD)  # signed in before the new plan arrives
        assert snapshot.owns == {"D1"}
        load_plan_file(s, make_xlsx, NEW_PLAN, "new.xlsx")
        s.commit()

        lead = who(s, LEAD)
        assert lead.owns == frozenset()
        assert owned_refs(session=s, email=LEAD) == []
        name, _ = template_for(session=s, actor=lead)
        assert name == "update_template.xlsx"  # nothing of the new plan pre-filled as theirs
        for actor in (lead, snapshot):  # a snapshot of the old ownership counts for nothing in the new plan
            out = load_file(
                progress(make_xlsx, "D1", datetime(2024, 6, 30)),
                filename="d1.xlsx",
                session=s,
                actor=actor,
                today=TODAY,
            )
            assert out.outcome == "rejected" and out.result is not None
            assert [i.code for i in out.result.errors] == ["not_your_action"]
        assert updates_on(s) == []


def test_unassign_takes_away_the_new_plans_action(engine: Engine, make_xlsx: MakeXlsx) -> None:
    """Failed before: `unassign D1` removed only the new D1's link, and the old plan's D1 kept the lead in."""
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, OLD_PLAN, "old.xlsx")
        add_user(session=s, email=LEAD, role="lead", actions=["D1"])
        load_plan_file(s, make_xlsx, NEW_PLAN, "new.xlsx")
        assert assign_actions(session=s, email=LEAD, refs=["D1"]) == ["D1"]  # the new D1, by an administrator
        s.commit()
        update = progress(make_xlsx, "D1", datetime(2024, 6, 30))
        out = load_file(update, filename="d1.xlsx", session=s, actor=who(s, LEAD), today=TODAY)
        assert out.outcome == "loaded", out.result and out.result.issue_lines()
        assert updates_on(s) == [action(s, "D1").id]

        assert unassign_actions(session=s, email=LEAD, refs=["D1"]) == []
        s.commit()
        assert who(s, LEAD).owns == frozenset()
        again = progress(make_xlsx, "D1", datetime(2024, 6, 29))
        out = load_file(again, filename="d1-again.xlsx", session=s, actor=who(s, LEAD), today=TODAY)
        assert out.outcome == "rejected" and out.result is not None
        assert [i.code for i in out.result.errors] == ["not_your_action"]


def test_a_lead_matched_by_name_gets_only_the_current_plans_actions(engine: Engine, make_xlsx: MakeXlsx) -> None:
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, OLD_PLAN, "old.xlsx")
        load_plan_file(s, make_xlsx, NEW_PLAN, "new.xlsx")
        add_user(session=s, email=LEAD, role="lead", name="Jo Bloggs")  # the old plan's D1 owner: not here
        add_user(session=s, email=OTHER, role="lead", name="sam other")  # the new plan's D1 owner
        s.commit()
        assert (who(s, LEAD).owns, who(s, OTHER).owns) == (frozenset(), {"D1"})


# --- a re-import without a Ref column --------------------------------------------------------------------

INSERTED = [  # the old plan again, with a new action above the two Develop ones
    ["Plan 2021-2023"],
    HEADER,
    ["Develop", "Mentoring scheme", "Ali New"],
    ["Develop", "Communities of practice", "Jo Bloggs"],
    ["Develop", "Career pathways", "HR"],
    ["Value", "Annual awards", "OD"],
]


def test_a_reimport_that_shifts_refs_keeps_each_action_its_ref_and_owner(engine: Engine, make_xlsx: MakeXlsx) -> None:
    """Failed before: the new row took D1, Communities of practice became D2 and Career pathways D3, and the
    owners (held by action) ended up owning whatever text now sat at their old ref."""
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, OLD_PLAN, "old.xlsx")
        add_user(session=s, email=LEAD, role="lead", actions=["D1"])
        add_user(session=s, email=OTHER, role="lead", actions=["D2"])
        s.commit()
        ids = {ref: action(s, ref).id for ref in ("D1", "D2", "V1")}
        update = progress(make_xlsx, "D2", datetime(2021, 6, 30))
        assert load_file(update, filename="d2.xlsx", session=s, actor=who(s, OTHER), today=TODAY).outcome == "loaded"

        preview = load_file(make_xlsx({"Plan": INSERTED}), filename="v2.xlsx", session=s, dry_run=True)
        assert preview.outcome == "ready"
        shown = {(c["change"], c["target"]): c for c in preview.changes}
        assert shown["action_matched", "D1"]["detail"] == "matched to D1 by its activity text (read as D2)"
        assert shown["action_matched", "D2"]["detail"] == "matched to D2 by its activity text (read as D3)"
        assert shown["action_added", "D3"]["after"] == "Mentoring scheme"
        assert "numbered D3 (read as D1" in shown["action_added", "D3"]["detail"]
        assert not [c for c in preview.changes if c["change"] in ("action_changed", "action_withdrawn")]

        out = load_plan_file(s, make_xlsx, INSERTED, "v2.xlsx")
        assert out.counts == {"added": 1, "changed": 0, "withdrawn": 0, "restored": 0, "unchanged": 3}
        s.commit()
        assert {ref: action(s, ref).id for ref in ("D1", "D2", "V1")} == ids
        assert [(a.ref, a.activity) for a in s.exec(select(Action).order_by(col(Action.position))).scalars()] == [  # type: ignore[call-overload]
            ("D3", "Mentoring scheme"),
            ("D1", "Communities of practice"),
            ("D2", "Career pathways"),
            ("V1", "Annual awards"),
        ]
        assert (owned_refs(session=s, email=LEAD), owned_refs(session=s, email=OTHER)) == (["D1"], ["D2"])
        # The update stays with Career pathways, and its lead still reports on it (and on nothing else).
        assert updates_on(s) == [ids["D2"]]
        mine = progress(make_xlsx, "D2", datetime(2021, 7, 31))
        assert load_file(mine, filename="d2b.xlsx", session=s, actor=who(s, OTHER), today=TODAY).outcome == "loaded"
        theirs = progress(make_xlsx, "D3", datetime(2021, 7, 31))
        refused = load_file(theirs, filename="d3.xlsx", session=s, actor=who(s, OTHER), today=TODAY)
        assert refused.result is not None and [i.code for i in refused.result.errors] == ["not_your_action"]


def test_an_edited_activity_is_matched_by_its_theme_and_place(engine: Engine, make_xlsx: MakeXlsx) -> None:
    edited = [*OLD_PLAN[:3], ["Develop", "Career pathways for every technician", "HR"], OLD_PLAN[4]]
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, OLD_PLAN, "old.xlsx")
        add_user(session=s, email=OTHER, role="lead", actions=["D2"])
        d2 = action(s, "D2").id
        out = load_plan_file(s, make_xlsx, edited, "v2.xlsx")
        assert out.counts == {"added": 0, "changed": 1, "withdrawn": 0, "restored": 0, "unchanged": 2}
        (changed,) = [c for c in out.changes if c["change"] == "action_changed"]
        assert (changed["target"], changed["after"]) == ("D2", "Career pathways for every technician")
        assert changed["detail"] == "matched to D2 by its theme and place in the plan; changed: activity"
        assert action(s, "D2").id == d2 and owned_refs(session=s, email=OTHER) == ["D2"]


def test_a_reimport_with_a_ref_column_still_goes_by_ref(engine: Engine, make_xlsx: MakeXlsx) -> None:
    with_refs = [["Plan 2021-2023"], ["Ref", *HEADER], ["D1", "Develop", "Communities of practice", "HR"]]
    renamed = [["Plan 2021-2023"], ["Ref", *HEADER], ["D9", "Develop", "Communities of practice", "HR"]]
    with Session(engine) as s:
        load_plan_file(s, make_xlsx, with_refs, "a.xlsx")
        out = load_file(
            make_xlsx({"Plan": renamed}), filename="b.xlsx", session=s, plan=PlanOptions(allow_withdraw=True)
        )
        assert out.outcome == "loaded"
        assert {(c["change"], c["target"]) for c in out.changes} == {("action_added", "D9"), ("action_withdrawn", "D1")}


# --- the matching itself ---------------------------------------------------------------------------------


def _held(*rows: tuple[str, str, str]) -> list[Action]:
    return [Action(plan_id=1, ref=r, theme=t, activity=a, position=n) for n, (r, t, a) in enumerate(rows)]


def _incoming(*rows: tuple[str, str, str]) -> list[ActionCreate]:
    return [ActionCreate(ref=r, theme=t, activity=a) for r, t, a in rows]


@pytest.mark.parametrize(
    ("held", "incoming", "want"),
    [
        pytest.param(  # text wins over place; punctuation, case and spacing are not text
            [("D1", "Develop", "Run a survey"), ("D2", "Develop", "Share practice")],
            [("D1", "Develop", "Share practice."), ("D2", "Develop", "run a  SURVEY")],
            {0: Match("D2", "text"), 1: Match("D1", "text")},
            id="swapped",
        ),
        pytest.param(  # the same text twice: the one with the same made-up ref first
            [("A1", "", "Workshop"), ("A2", "", "Workshop")],
            [("A1", "", "Workshop"), ("A2", "", "Workshop")],
            {0: Match("A1", "text"), 1: Match("A2", "text")},
            id="duplicate-text",
        ),
        pytest.param(  # an insertion and an edit in one gap: too few held to pair one to one, so no guess
            [("D1", "Develop", "Alpha"), ("D2", "Develop", "Beta")],
            [("D1", "Develop", "Alpha"), ("D2", "Develop", "New one"), ("D3", "Develop", "Beta edited")],
            {0: Match("D1", "text")},
            id="no-guess",
        ),
        pytest.param(  # between two anchors, one edited action each side
            [("D1", "Develop", "Alpha"), ("D2", "Develop", "Beta"), ("D3", "Develop", "Gamma")],
            [("D1", "Develop", "Alpha"), ("D2", "Develop", "Beta, edited"), ("D3", "Develop", "Gamma")],
            {0: Match("D1", "text"), 1: Match("D2", "position"), 2: Match("D3", "text")},
            id="between-anchors",
        ),
        pytest.param(  # place counts only within a theme
            [("D1", "Develop", "Alpha")],
            [("V1", "Value", "Alpha edited")],
            {},
            id="other-theme",
        ),
    ],
)
def test_match_actions(
    held: list[tuple[str, str, str]], incoming: list[tuple[str, str, str]], want: dict[int, Match]
) -> None:
    assert match_actions(_held(*held), _incoming(*incoming)) == want
