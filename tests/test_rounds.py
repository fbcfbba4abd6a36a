"""Update rounds (issue 15), on SQLite and PostgreSQL: opening, closing, who has reported, who may do what, and
what a round refuses. Mail is in tests/test_round_mail.py.

Each test gets a small plan of its own, written straight to a fresh database: D1 and D2 led by one lead, V1 by
another, V2 by nobody, and S1 complete before any round opens (so a round expects D1, D2, V1 and V2 by default).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

import tracker.rounds
from tracker.auth import SYSTEM, Actor, PermissionDenied, actor_for
from tracker.ingest.updates import PROGRESS_COLUMNS
from tracker.load import load_file
from tracker.models import Action, AuditEvent, Plan, ProgressUpdate, Round, RoundAction, RoundReminder
from tracker.rounds import (
    RoundError,
    RoundNotFound,
    close_round,
    find_round,
    lead_round,
    list_rounds,
    open_round,
    reminders,
    round_status,
    round_template,
)
from tracker.users import add_user

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
ADMIN, LEAD_A, LEAD_B = "admin@uni.ac.uk", "lead.a@uni.ac.uk", "lead.b@uni.ac.uk"
VIEWER, BOARD = "viewer@uni.ac.uk", "board@uni.ac.uk"
ACTIONS = [  # ref, theme, activity, in plan order
    ("D1", "Develop", "Communities of practice"),
    ("D2", "Develop", "Career pathways"),
    ("V1", "Value", "Annual awards"),
    ("V2", "Value", "Technician of the year"),
    ("S1", "Sustain", "Sustain the network"),
]
START, DUE, MEETING = date(2024, 5, 1), date(2024, 5, 24), date(2024, 5, 31)


def progress(make_xlsx: MakeXlsx, *rows: tuple[str, date, str, int]) -> bytes:
    """A Progress sheet with one row per (ref, as of, status, percent)."""
    body = [[ref, datetime.combine(when, time()), status, pct, "note", None] for ref, when, status, pct in rows]
    return make_xlsx({"Progress": [list(PROGRESS_COLUMNS), *body]})


def add_updates(s: Session, *rows: tuple[str, date, str, int]) -> None:
    """Progress updates written straight to the database (the loader has tests of its own; loading a file takes a
    child process, and only one test here needs it)."""
    ids = {a.ref: a.id for a in s.exec(select(Action)).scalars()}  # type: ignore[call-overload]
    for ref, when, status, pct in rows:
        s.add(ProgressUpdate(action_id=ids[ref], as_of=when, status=status, percent_complete=pct, note="note"))
    s.commit()


def setup_plan(s: Session) -> None:
    """The small plan, its users, and S1 complete in March 2024."""
    plan = Plan(institution="Round University", start_date=date(2024, 1, 1), months=24)
    s.add(plan)
    s.flush()
    assert plan.id is not None
    for position, (ref, theme, activity) in enumerate(ACTIONS):
        s.add(Action(plan_id=plan.id, ref=ref, theme=theme, activity=activity, position=position))
    s.commit()
    add_user(session=s, email=ADMIN, role="admin", name="Ada Admin")
    add_user(session=s, email=LEAD_A, role="lead", name="Lead A", actions=["D1", "D2"])
    add_user(session=s, email=LEAD_B, role="lead", name="Lead B", actions=["V1"])
    add_user(session=s, email=VIEWER, role="viewer")
    add_user(session=s, email=BOARD, role="board")
    s.commit()
    add_updates(s, ("S1", date(2024, 3, 1), "complete", 100))


def who(s: Session, email: str) -> Actor:
    found = actor_for(session=s, email=email)
    assert found is not None
    return found


def open_may(s: Session, **kw: Any) -> Any:
    info = open_round(
        session=s,
        actor=who(s, ADMIN),
        name=kw.pop("name", "May 2024"),
        start=kw.pop("start", START),
        due=kw.pop("due", DUE),
        meeting=kw.pop("meeting", MEETING),
        today=kw.pop("today", START),
        **kw,
    )
    s.commit()
    return info


def events(s: Session, action: str) -> list[AuditEvent]:
    q = select(AuditEvent).where(col(AuditEvent.action) == action).order_by(col(AuditEvent.id))
    return list(s.exec(q).scalars())  # type: ignore[call-overload]


def count(s: Session, model: Any) -> int:
    return int(s.exec(select(func.count()).select_from(model)).one()[0])  # type: ignore[call-overload]


@pytest.fixture
def s(engine: Engine) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        setup_plan(session)
        yield session


# --- opening ------------------------------------------------------------------------------------------------


def test_a_round_expects_every_action_not_complete_or_withdrawn_by_default(s: Session) -> None:
    info = open_may(s)
    assert (info.name, info.start, info.due, info.meeting, info.is_open) == ("May 2024", START, DUE, MEETING, True)
    assert (info.expected, info.reported, info.opened_by) == (4, 0, ADMIN)
    status = round_status(session=s, today=START)
    assert [a.ref for a in status.actions] == ["D1", "D2", "V1", "V2"]  # S1 is complete; plan order
    assert [e.target for e in events(s, "round_opened")] == ["May 2024"]
    assert "expects D1, D2, V1, V2" in events(s, "round_opened")[0].detail
    assert [r.name for r in list_rounds(session=s)] == ["May 2024"]
    assert find_round(session=s).name == "May 2024"
    # Completion is judged on the day a round opens: D1 completes in June, so a July round does not expect it.
    add_updates(s, ("D1", date(2024, 6, 15), "complete", 100))
    july = open_may(
        s, name="July 2024", start=date(2024, 7, 1), due=date(2024, 7, 24), meeting=None, today=date(2024, 7, 1)
    )
    assert july.expected == 3
    assert [a.ref for a in round_status(session=s, name="July 2024").actions] == ["D2", "V1", "V2"]
    assert [a.ref for a in round_status(session=s, name="May 2024").actions] == ["D1", "D2", "V1", "V2"]
    assert find_round(session=s).name == "July 2024"  # the newest open round


def test_named_actions_in_any_case_once_each_in_plan_order_complete_or_not(s: Session) -> None:
    info = open_may(s, refs=["s1", "v1", " D2 ", "V1"])
    assert info.expected == 3
    assert [a.ref for a in round_status(session=s, today=START).actions] == ["D2", "V1", "S1"]  # S1 is complete
    assert count(s, RoundAction) == 3


BAD_REQUESTS: list[tuple[dict[str, Any], str]] = [
    ({"due": date(2024, 4, 30)}, "the due date 30 Apr 2024 is before the round's first day 1 May 2024"),
    ({"meeting": date(2024, 5, 23)}, "the meeting on 23 May 2024 is before the due date 24 May 2024"),
    ({"name": "   "}, "needs a name"),
    ({"name": "x" * 121}, "is 121 characters long: at most 120"),
    ({"refs": ["D1", "Z9", "q7"]}, "no action Z9, q7 in the current plan"),
    ({"refs": ["", " "]}, "no actions named"),
]


def test_a_bad_request_says_why_and_opens_nothing(s: Session) -> None:
    for change, words in BAD_REQUESTS:
        with pytest.raises(RoundError, match=words):
            open_may(s, **change)
        s.rollback()
    assert list_rounds(session=s) == []
    assert count(s, Round) == 0 and count(s, RoundAction) == 0
    assert events(s, "round_opened") == []
    # At the limits: due on the first day, the meeting on the due date, a name of 120 characters.
    info = open_may(s, name="y" * 120, due=START, meeting=START)
    assert (len(info.name), info.start, info.due, info.meeting) == (120, START, START, START)
    # A name is taken whatever its case and spacing, and stays taken once the round is closed.
    open_may(s)
    with pytest.raises(RoundError, match="already a round called 'may 2024'"):
        open_may(s, name="  may   2024 ")
    s.rollback()
    close_round(session=s, actor=SYSTEM, name="May 2024")
    s.commit()
    with pytest.raises(RoundError, match="already a round called 'May 2024' in this plan"):
        open_may(s)
    s.rollback()
    assert sorted(r.name for r in list_rounds(session=s)) == ["May 2024", "y" * 120]


def test_withdrawn_and_complete_actions(s: Session) -> None:
    """A withdrawn action is never expected and cannot be named; when every other one is complete, the round must
    name what it expects."""
    v2 = s.exec(select(Action).where(col(Action.ref) == "V2")).scalars().one()  # type: ignore[call-overload]
    v2.withdrawn = True
    s.add(v2)
    s.commit()
    with pytest.raises(RoundError, match="V2 is withdrawn"):
        open_may(s, refs=["D1", "V2"])
    s.rollback()
    open_may(s)
    assert [a.ref for a in round_status(session=s, today=START).actions] == ["D1", "D2", "V1"]
    add_updates(s, *[(r, date(2024, 6, 1), "complete", 100) for r in ("D1", "D2", "V1")])
    with pytest.raises(RoundError, match="every action is complete or withdrawn: name the actions"):
        open_may(
            s, name="June 2024", start=date(2024, 6, 1), due=date(2024, 6, 24), meeting=None, today=date(2024, 6, 2)
        )
    s.rollback()
    info = open_may(s, name="June 2024", start=date(2024, 6, 1), due=date(2024, 6, 24), meeting=None, refs=["D1"])
    assert info.expected == 1


# --- who has reported -------------------------------------------------------------------------------------


def test_reported_means_an_update_dated_within_the_round_both_ends_included(s: Session) -> None:
    open_may(s)
    add_updates(
        s,
        ("D1", date(2024, 4, 30), "on track", 40),  # the day before: not for this round
        ("D2", START, "at risk", 20),  # the first day
        ("V1", date(2024, 5, 25), "on track", 60),  # the day after the due date
        ("V2", DUE, "delayed", 10),  # the due date
    )
    status = round_status(session=s, today=date(2024, 5, 10))
    by = {a.ref: a for a in status.actions}
    assert {r: a.reported for r, a in by.items()} == {"D1": False, "D2": True, "V1": False, "V2": True}
    assert (by["D2"].reported_on, by["V2"].reported_on, by["D1"].reported_on) == (START, DUE, None)
    # Latest update and its words, whether it counts for the round or not.
    assert {r: (a.last_update, a.status) for r, a in by.items()} == {
        "D1": (date(2024, 4, 30), "on track"),
        "D2": (START, "at risk"),
        "V1": (None, None),  # the round sees updates dated up to its due date
        "V2": (DUE, "delayed"),
    }
    assert {r: a.state for r, a in by.items()} == {
        "D1": "awaiting",
        "D2": "reported",
        "V1": "awaiting",
        "V2": "reported",
    }
    assert by["V2"].leads == () and status.unled == []  # V2 has no lead but has reported
    # The counts listed agree with the status, counted another way (in SQL).
    assert (list_rounds(session=s)[0].expected, list_rounds(session=s)[0].reported) == (4, 2)
    leads = {lead.email: lead for lead in status.leads}
    assert (leads[LEAD_A].refs, leads[LEAD_A].outstanding) == (("D1", "D2"), ("D1",))
    assert (leads[LEAD_B].refs, leads[LEAD_B].outstanding) == (("V1",), ("V1",))
    assert [lead.email for lead in status.leads] == [LEAD_A, LEAD_B]
    assert "2 of 4 actions reported" in status.summary and "D1 and V1" in status.summary


def test_an_update_in_an_earlier_round_does_not_count_for_a_later_one(s: Session) -> None:
    open_may(s, name="April 2024", start=date(2024, 4, 1), due=date(2024, 4, 24), meeting=None, today=date(2024, 4, 1))
    add_updates(s, ("D1", date(2024, 4, 10), "on track", 30))
    close_round(session=s, actor=SYSTEM)
    s.commit()
    open_may(s)
    assert [a.ref for a in round_status(session=s, name="April 2024").actions if a.reported] == ["D1"]
    assert [a.ref for a in round_status(session=s, today=START).actions if a.reported] == []
    assert find_round(session=s).name == "May 2024"  # the open one, not the newest closed one
    # Names are matched whatever their case and spacing.
    assert find_round(session=s, name=" april  2024").name == "April 2024"
    with pytest.raises(RoundNotFound, match=r"no round called 'June 2024' .*'May 2024', 'April 2024'"):
        round_status(session=s, name="June 2024")


def test_a_lead_who_reports_everything_is_all_reported(s: Session, make_xlsx: MakeXlsx) -> None:
    open_may(s)
    lead_a = who(s, LEAD_A)
    mine = lead_round(session=s, actor=lead_a, today=date(2024, 5, 25))
    assert mine is not None
    assert (mine.refs, mine.outstanding, mine.overdue) == (("D1", "D2"), ("D1", "D2"), True)
    assert "overdue" in mine.text and "D1 and D2" in mine.text
    assert lead_round(session=s, actor=who(s, VIEWER)) is None
    # The lead's own upload, through the loader as the Upload page sends it.
    upload = progress(make_xlsx, ("D1", date(2024, 5, 3), "On track", 50), ("D2", date(2024, 5, 4), "On track", 30))
    out = load_file(upload, filename="mine.xlsx", session=s, actor=lead_a)
    assert out.outcome == "loaded", out.result and out.result.issue_lines()
    status = round_status(session=s, today=date(2024, 5, 5))
    row = next(lead for lead in status.leads if lead.email == LEAD_A)
    assert (row.outstanding, row.state, row.state_text) == ((), "reported", "✔ All reported")
    assert [lead.email for lead in status.leads] == [LEAD_B, LEAD_A]  # those with something outstanding first
    mine_now = lead_round(session=s, actor=lead_a, today=date(2024, 5, 5))
    assert mine_now is not None and mine_now.outstanding == () and "reported" in mine_now.text
    other = lead_round(session=s, actor=who(s, LEAD_B), today=date(2024, 5, 5))
    assert other is not None and other.outstanding == ("V1",) and "V1" in other.text
    _, planned = reminders(session=s, actor=SYSTEM, today=date(2024, 5, 5))
    assert [(r.to, r.refs) for r in planned] == [(LEAD_B, ("V1",))]


def test_awaiting_then_overdue_then_missed(s: Session) -> None:
    open_may(s)
    assert {a.state for a in round_status(session=s, today=DUE).actions} == {"awaiting"}
    late = round_status(session=s, today=date(2024, 5, 25))
    assert {a.state for a in late.actions} == {"overdue"}
    assert "overdue since 24 May 2024" in late.summary
    assert late.unled == ["V2"]
    closed = close_round(session=s, actor=SYSTEM, at=datetime(2024, 6, 1, 12, tzinfo=UTC))
    s.commit()
    assert not closed.is_open and closed.closed_by == "system"
    after = round_status(session=s, name="May 2024", today=date(2030, 1, 1))
    assert {a.state for a in after.actions} == {"missed"}
    assert after.as_of == date(2024, 6, 1)  # a closed round is seen as of the day it closed


# --- closing ----------------------------------------------------------------------------------------------


def test_close_the_open_round_once(s: Session) -> None:
    open_may(s)
    add_updates(s, ("D2", date(2024, 5, 2), "on track", 30))
    info = close_round(session=s, actor=who(s, ADMIN))
    s.commit()
    assert (info.is_open, info.closed_by, info.reported, info.expected) == (False, ADMIN, 1, 4)
    [event] = events(s, "round_closed")
    assert (event.actor, event.target, event.detail) == (ADMIN, "May 2024", "1 of 4 expected actions reported")
    with pytest.raises(RoundNotFound, match="no round is open"):
        close_round(session=s, actor=SYSTEM)
    s.rollback()
    with pytest.raises(RoundError, match=f"'May 2024' was closed on .* by {ADMIN}"):
        close_round(session=s, actor=SYSTEM, name="May 2024")
    s.rollback()
    assert len(events(s, "round_closed")) == 1
    with pytest.raises(RoundError, match="is closed"):
        reminders(session=s, actor=SYSTEM, name="May 2024")


def test_of_two_closing_at_once_one_closes(engine: Engine, s: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first finds the round open, then another administrator closes it before the first's UPDATE: the first
    is told who closed it, and only one close is recorded."""
    open_may(s)
    real_find = tracker.rounds._find
    raced: list[str] = []

    def find_then_lose_the_race(session: Session, name: str | None) -> Round:
        row = real_find(session, name)
        if not raced:
            raced.append(row.name)
            assert row.closed_at is None
            with Session(engine) as other:
                close_round(session=other, actor=who(other, ADMIN))
                other.commit()
        return row

    monkeypatch.setattr(tracker.rounds, "_find", find_then_lose_the_race)
    with pytest.raises(RoundError, match=f"'May 2024' was closed on .* by {ADMIN}"):
        close_round(session=s, actor=SYSTEM)
    s.rollback()
    assert raced == ["May 2024"]
    assert [(e.actor, e.target) for e in events(s, "round_closed")] == [(ADMIN, "May 2024")]
    assert find_round(session=s, name="May 2024").closed_by == ADMIN


# --- who may ----------------------------------------------------------------------------------------------


def test_only_administrators_open_close_and_remind(s: Session) -> None:
    for email in (VIEWER, BOARD, LEAD_A):
        with pytest.raises(PermissionDenied, match=f"{email} is a .* but not open, close or send reminders"):
            open_round(session=s, actor=who(s, email), name="May 2024", start=START, due=DUE)
    assert list_rounds(session=s) == []
    open_may(s)
    for email in (VIEWER, BOARD, LEAD_A):
        with pytest.raises(PermissionDenied):
            close_round(session=s, actor=who(s, email))
        with pytest.raises(PermissionDenied):
            reminders(session=s, actor=who(s, email))
    # Each refusal is a security event, kept though the refused work is not.
    assert sorted(e.actor for e in events(s, "refused")) == sorted([VIEWER, BOARD, LEAD_A] * 3)
    assert find_round(session=s).is_open
    # Everyone may read a round.
    assert [a.ref for a in round_status(session=s, today=START).actions] == ["D1", "D2", "V1", "V2"]


# --- reminders as planned (nothing sent) and the once-a-day guard -----------------------------------------


def test_reminders_are_one_per_lead_with_their_outstanding_actions_template(s: Session) -> None:
    d2 = s.exec(select(Action).where(col(Action.ref) == "D2")).scalars().one()  # type: ignore[call-overload]
    d2.activity = '<a href="http://evil.example">Career</a> & pathways\nsecond line'  # the plan's own words
    s.add(d2)
    s.commit()
    open_may(s)
    add_updates(s, ("D1", date(2024, 5, 2), "on track", 30))
    status, planned = reminders(session=s, actor=who(s, ADMIN), today=date(2024, 5, 10))
    assert [(r.to, r.refs) for r in planned] == [(LEAD_A, ("D2",)), (LEAD_B, ("V1",))]
    assert status.unled == ["V2"]
    for r in planned:
        assert r.reminded_today is None
        assert all(ref in r.text and ref in r.html and ref in r.subject for ref in r.refs)
        assert "24 May 2024" in r.text and "31 May 2024" in r.text
        wb = openpyxl.load_workbook(io.BytesIO(r.attachment))
        assert tuple(row[0] for row in wb["Progress"].iter_rows(min_row=2, values_only=True) if row[0]) == r.refs
    # The plan's words are text in the email, never markup, and one line in it.
    html_d2 = planned[0].html
    assert "&lt;a href=&quot;http://evil.example&quot;&gt;Career&lt;/a&gt; &amp; pathways" in html_d2
    assert 'evil.example"' not in html_d2 and "second line" not in html_d2
    assert '  D2: <a href="http://evil.example">Career</a> & pathways (no update yet)' in planned[0].text
    # Planning writes nothing.
    assert count(s, RoundReminder) == 0 and events(s, "reminder_sent") == []
    # The template lists every ref of the plan in its drop-down, and pre-fills only the named ones.
    name, data = round_template(session=s, refs=["D2", "V1"], round_name="May 2024")
    assert name == "update_May_2024_D2_V1.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [row[0] for row in wb["Progress"].iter_rows(min_row=2, values_only=True) if row[0]] == ["D2", "V1"]
    listed = [row[0] for row in wb["Lists"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert listed == ["D1", "D2", "V1", "V2", "S1"]


def test_one_reminder_per_lead_round_and_day_is_the_databases_rule(s: Session) -> None:
    info = open_may(s)
    s.add(RoundReminder(round_id=info.id, email=LEAD_A, sent_on=START, refs=["D1"]))
    s.add(RoundReminder(round_id=info.id, email=LEAD_A, sent_on=date(2024, 5, 2), refs=["D1"]))
    s.add(RoundReminder(round_id=info.id, email=LEAD_B, sent_on=START, refs=["V1"]))
    s.commit()
    s.add(RoundReminder(round_id=info.id, email=LEAD_A, sent_on=START, refs=["D2"]))
    with pytest.raises(IntegrityError):
        s.commit()
    s.rollback()
    assert count(s, RoundReminder) == 3
    _, planned = reminders(session=s, actor=SYSTEM, today=START)
    assert {r.to: r.reminded_today is not None for r in planned} == {LEAD_A: True, LEAD_B: True}
    _, later = reminders(session=s, actor=SYSTEM, today=date(2024, 5, 3))
    assert {r.to: r.reminded_today is not None for r in later} == {LEAD_A: False, LEAD_B: False}
