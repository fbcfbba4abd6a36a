"""What changed between two dates, on the demo data (tracker.views.changes)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tracker.demo import PLAN_FILE
from tracker.load import load_file
from tracker.models import Action, Evidence
from tracker.views.changes import changes_view, group_rounds, meeting_dates, preset_windows, status_text

if TYPE_CHECKING:
    from tests.conftest import DemoCopies

D = date.fromisoformat


@pytest.fixture(scope="module")
def shared_demo(demo_file: Path, sqlite_memory_copy: Callable[[Path], Engine]) -> Iterator[Engine]:
    """One demo database for the read-only tests of this module (an in-memory copy of the session's)."""
    engine = sqlite_memory_copy(demo_file)
    yield engine
    engine.dispose()


@pytest.fixture
def demo(shared_demo: Engine) -> Iterator[Session]:
    with Session(shared_demo) as s:
        yield s


@pytest.fixture
def sqlite_demo(demo_copies: DemoCopies) -> Engine:
    """The demo in a fresh in-memory SQLite database of this test's own."""
    return demo_copies.sqlite_memory_engine()


# --- statuses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Spring 2020 round against the one before: COVID-19 hits three actions.
        (
            "2020-01-17",
            "2020-04-24",
            {"D2": ("on track", "delayed"), "D3": ("on track", "at risk"), "V2": ("on track", "suspended")},
        ),
        # Across the first half of 2020: D3 went at risk and back, so it is not a change between the dates.
        (
            "2019-12-31",
            "2020-07-31",
            {"D2": ("on track", "delayed"), "V1": ("at risk", "complete"), "V2": ("on track", "suspended")},
        ),
        # From the plan's start: no update means "not started", so D2 and V2 reporting "not started" is no change.
        (
            "2018-11-01",
            "2019-01-31",
            {r: ("not started", "on track") for r in ("U1", "D1", "D3", "V1")},
        ),
        ("2020-07-17", "2020-10-16", {"D1": ("on track", "complete"), "V2": ("suspended", "on track")}),
        ("2021-01-01", "2021-06-30", {}),
    ],
)
def test_status_changes_between_two_dates(demo: Session, start: str, end: str, expected: dict) -> None:
    page = changes_view(session=demo, start=D(start), end=D(end))
    got = {c.ref: (c.from_status, c.to_status) for c in page.status_changes}
    assert got == expected
    # In plan order, each with the later update's date inside the window.
    order = ["U1", "D1", "D2", "D3", "V1", "V2"]
    assert [c.ref for c in page.status_changes] == [r for r in order if r in expected]
    assert all(D(start) < c.as_of <= D(end) for c in page.status_changes)


def test_status_change_carries_who_when_note_and_percent(demo: Session) -> None:
    page = changes_view(session=demo, start=D("2020-01-17"), end=D("2020-04-24"))
    d2 = next(c for c in page.status_changes if c.ref == "D2")
    assert (d2.reported_by, d2.as_of) == ("careers.lead@demo.ac.uk", D("2020-04-21"))
    assert (d2.from_percent, d2.to_percent) == (50, 55)
    assert "paused" in d2.note
    row = page.status_rows()[0]
    assert (row["Ref"], row["From"], row["To"], row["% complete"]) == ("D2", "● On track", "✕ Delayed", "50% → 55%")
    assert page.updates_received == 5  # U1 was complete by October 2019 and sent no more
    # Counts on each date, withdrawn actions aside: all six counted on both dates.
    assert page.status_at_start == {"on track": 5, "complete": 1}
    assert page.status_at_end == {"on track": 2, "at risk": 1, "delayed": 1, "complete": 1, "suspended": 1}
    assert page.status_chart is not None
    assert page.status_chart.summary.startswith("From 17 Jan 2020 to 24 Apr 2020: on track 5 → 2, at risk 0 → 1")


def test_summary_names_the_changes(demo: Session) -> None:
    page = changes_view(session=demo, start=D("2019-12-31"), end=D("2020-07-31"))
    assert page.summary.startswith(
        "Between 1 Jan 2020 and 31 Jul 2020: 3 status changes (D2 on track → delayed, V1 at risk → complete and "
        "V2 on track → suspended), 3 new evidence items, no actions added or withdrawn, 3 new measure values"
    )
    assert "FTE 1,070 → 1,095" in page.summary


@pytest.mark.parametrize(
    ("start", "end", "head"),
    [
        ("2020-04-23", "2020-04-24", "On 24 Apr 2020: 1 status change (V2 on track → suspended)"),
        # D3's update dated 22 April is part of the state on the start date, not a change after it.
        ("2020-04-22", "2020-04-24", "Between 23 Apr 2020 and 24 Apr 2020: 1 status change (V2 on track → suspended)"),
        (
            "2020-04-21",
            "2020-04-24",
            "Between 22 Apr 2020 and 24 Apr 2020: 2 status changes (D3 on track → at risk and V2 on track → suspended)",
        ),
    ],
)
def test_summary_says_which_days_it_covers(demo: Session, start: str, end: str, head: str) -> None:
    assert changes_view(session=demo, start=D(start), end=D(end)).summary.startswith(head)


# --- evidence and measures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "refs"),
    [
        ("2019-12-31", "2020-07-31", ["D1", "V1", "V1"]),
        # The start is outside the window (the 28 June survey), the end inside (the 3 October report).
        ("2019-06-28", "2019-10-03", ["V2", "U1"]),
        ("2020-10-05", "2020-10-15", ["V2"]),
        ("2018-11-01", "2019-01-31", []),
    ],
)
def test_new_evidence_in_the_window(demo: Session, start: str, end: str, refs: list[str]) -> None:
    page = changes_view(session=demo, start=D(start), end=D(end))
    assert [e.ref for e in page.evidence] == refs
    assert all(D(start) < e.date <= D(end) for e in page.evidence)


def test_evidence_detail_and_kinds(demo: Session) -> None:
    page = changes_view(session=demo, start=D("2019-12-31"), end=D("2020-07-31"))
    award = page.evidence[-1]
    assert (award.kind, award.date, award.added_by) == ("award", D("2020-07-08"), "recognition.lead@demo.ac.uk")
    assert "Employer Champion" in award.description
    assert page.evidence_kinds_text == "2 documents and 1 award"


def test_a_corrected_item_is_replaced_by_its_correction(sqlite_demo: Engine) -> None:
    with Session(sqlite_demo) as s:
        old = s.exec(select(Evidence).where(col(Evidence.date) == D("2020-01-16"))).scalars().one()  # type: ignore[call-overload]
        s.add(
            Evidence(
                action_id=old.action_id,
                date=D("2020-01-20"),
                description="Employer Champion application submitted (corrected date)",
                kind="document",
                supersedes_id=old.id,
            )
        )
        s.commit()
        page = changes_view(session=s, start=D("2019-12-31"), end=D("2020-07-31"))
    assert [(e.date, e.correction) for e in page.evidence] == [
        (D("2020-01-10"), False),
        (D("2020-01-20"), True),
        (D("2020-07-08"), False),
    ]
    assert page.evidence_rows()[1]["Description"].startswith("Correction: ")


def test_new_measure_values_with_the_value_before(demo: Session) -> None:
    page = changes_view(session=demo, start=D("2019-12-31"), end=D("2020-07-31"))
    got = [(m.ref, m.measure, m.previous, m.value, m.target) for m in page.measures]
    assert got == [
        ("D1", "Communities of practice launched", 5.0, 6.0, 6.0),
        ("V1", "Technicians professionally registered", 71.0, 78.0, 150.0),
        ("V1", "Technicians professionally registered", 78.0, 92.0, 150.0),
    ]
    assert page.measure_rows()[1]["Value"] == "71 people → 78 people"


# --- workforce ---------------------------------------------------------------------------------------


def test_workforce_movement_2018_to_2019_is_rounded(demo: Session) -> None:
    # Exact: headcount 1,101 → 1,132, FTE 1,045.0 → 1,071.1, women 526 → 552.
    wf = changes_view(session=demo, start=D("2018-07-31"), end=D("2019-07-31")).workforce
    assert wf is not None
    assert (wf.from_date, wf.to_date) == (D("2018-07-31"), D("2019-07-31"))
    assert wf.before is not None
    assert (wf.before.headcount, wf.before.fte, wf.before.female_pct) == (1100, 1045, 47.8)
    assert (wf.after.headcount, wf.after.fte, wf.after.female_pct) == (1130, 1070, 48.8)
    assert wf.direction == "up"
    assert len(wf.faculties) == 11
    # Every count a multiple of 5; small faculties' percentages suppressed.
    figures = [f for fm in wf.faculties for f in (fm.before, fm.after) if f is not None]
    assert all(f.headcount % 5 == 0 and f.fte % 5 == 0 for f in figures)
    laws = next(fm for fm in wf.faculties if fm.faculty == "Laws")
    assert laws.after is not None and laws.after.female_pct == ".."


def test_workforce_rows_say_from_and_to(demo: Session) -> None:
    rows = changes_view(session=demo, start=D("2018-07-31"), end=D("2019-07-31")).workforce_rows()
    assert rows[0] == {
        "Faculty": "All faculties",
        "Headcount": "1,100 → 1,130",
        "Headcount change": 30,
        "FTE": "1,045 → 1,070",
        "FTE change": 25,
        "% female": "47.8% → 48.8%",
    }


@pytest.mark.parametrize(
    ("start", "end", "snapshots"),
    [
        ("2018-08-01", "2019-06-30", None),  # no snapshot inside the window
        ("2019-07-31", "2019-12-31", None),  # the start's own snapshot belongs to the earlier period
        ("2018-01-01", "2018-12-31", (None, "2018-07-31")),  # the first snapshot has nothing before it
        ("2018-07-31", "2021-12-31", ("2018-07-31", "2021-07-31")),
    ],
)
def test_workforce_compares_the_latest_snapshots(demo: Session, start: str, end: str, snapshots: tuple | None) -> None:
    wf = changes_view(session=demo, start=D(start), end=D(end)).workforce
    if snapshots is None:
        assert wf is None
    else:
        assert wf is not None
        assert (wf.from_date, wf.to_date) == tuple(D(s) if s else None for s in snapshots)


# --- plan re-imports -----------------------------------------------------------------------------


def _plan_without_v2_and_new_owner_for_d1() -> bytes:
    wb = openpyxl.load_workbook(PLAN_FILE)
    ws = wb.active
    assert ws.cell(14, 3).value.startswith("Annual Technician Conference")  # V2, the last action
    ws.delete_rows(14)
    assert ws.cell(9, 3).value.startswith("• Set up communities of practice")  # D1
    ws.cell(9, 5).value = "Head of Technical Communities"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_reimported_plan_shows_withdrawn_and_changed_actions(demo_engine: Engine) -> None:
    """On both backends: the revision history is read with a window function over a JSON column."""
    with Session(demo_engine) as s:
        out = load_file(_plan_without_v2_and_new_owner_for_d1(), filename="plan_v2.xlsx", kind="plan", session=s)
        assert out.outcome == "loaded", out.message
        assert out.counts["withdrawn"] == 1
        today = datetime.now(UTC).date()
        page = changes_view(session=s, start=today - timedelta(days=2), end=today)
        earlier = changes_view(session=s, start=D("2019-12-31"), end=D("2020-07-31"))
        v2 = s.exec(select(Action).where(col(Action.ref) == "V2")).scalars().one()  # type: ignore[call-overload]
        assert v2.withdrawn
    assert [a.ref for a in page.actions_withdrawn] == ["V2"]
    assert page.actions_withdrawn[0].source == "plan_v2.xlsx"
    assert page.actions_withdrawn[0].detail.startswith("Annual Technician Conference")
    assert [(a.ref, a.fields) for a in page.actions_changed] == [("D1", ("owners",))]
    # The demo plan itself was loaded today too: its six actions were added in this window.
    assert [a.ref for a in page.actions_added] == ["U1", "D1", "D2", "D3", "V1", "V2"]
    assert "1 withdrawn (V2)" in page.summary
    assert "1 action changed by a plan re-import" in page.summary
    changes = {(r["Ref"], r["Change"]) for r in page.action_rows()}
    assert {("V2", "Withdrawn"), ("D1", "Changed")} <= changes
    # A window in 2020 knows nothing of today's import, and V2 is still there to compare.
    assert earlier.actions_withdrawn == [] and earlier.actions_added == []
    assert "V2" in {c.ref for c in earlier.status_changes}


# --- empty windows and mistakes ------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [("2021-01-01", "2021-06-30"), ("2020-04-24", "2020-04-24")])
def test_a_window_where_nothing_happened(demo: Session, start: str, end: str) -> None:
    page = changes_view(session=demo, start=D(start), end=D(end))
    assert page.status_changes == [] and page.evidence == [] and page.measures == []
    assert page.actions_added == page.actions_withdrawn == page.actions_changed == []
    assert page.workforce is None and page.updates_received == 0
    assert "nothing changed" in page.summary
    assert page.status_rows() == page.evidence_rows() == page.workforce_rows() == []


def test_start_after_end_is_refused(demo: Session) -> None:
    with pytest.raises(ValueError, match="starts on 1 Jul 2020, after it ends on 1 Jan 2020"):
        changes_view(session=demo, start=D("2020-07-01"), end=D("2020-01-01"))


def test_an_empty_database_has_nothing_to_say(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        page = changes_view(session=s, start=D("2020-01-01"), end=D("2020-12-31"))
        assert meeting_dates(session=s) == []
    assert page.plan_id is None and page.status_chart is None
    assert page.summary == "Between 2 Jan 2020 and 31 Dec 2020: nothing changed."


# --- rounds and presets ----------------------------------------------------------------------------


def test_meeting_dates_are_the_eight_demo_rounds(demo: Session) -> None:
    rounds = meeting_dates(session=demo)
    assert rounds == [
        D(x)
        for x in (
            "2019-01-21",
            "2019-04-16",
            "2019-07-16",
            "2019-10-15",
            "2020-01-17",
            "2020-04-24",
            "2020-07-17",
            "2020-10-16",
        )
    ]


@pytest.mark.parametrize(
    ("dates", "rounds"),
    [
        ([], []),
        (["2020-01-01"], ["2020-01-01"]),
        (["2020-01-01", "2020-01-15", "2020-01-29"], ["2020-01-29"]),  # 14-day steps, 28-day span: one round
        (["2020-01-01", "2020-01-16"], ["2020-01-01", "2020-01-16"]),  # a 15-day gap starts a new round
        # Weekly updates for three months are not one endless round: a round spans at most 31 days.
        (
            [(D("2020-01-01") + timedelta(weeks=i)).isoformat() for i in range(12)],
            ["2020-01-29", "2020-03-04", "2020-03-18"],
        ),
    ],
)
def test_group_rounds(dates: list[str], rounds: list[str]) -> None:
    assert group_rounds([D(d) for d in dates]) == [D(r) for r in rounds]


@pytest.mark.parametrize(
    ("reference", "last_round"),
    [
        ("2020-10-31", ("2020-07-17", "2020-10-16")),
        ("2020-06-30", ("2020-01-17", "2020-04-24")),  # rounds after the reference date are not yet held
        ("2019-02-01", ("2018-12-20", "2019-01-21")),  # only one round so far
        ("2018-12-01", ("2018-09-01", "2018-12-01")),  # none yet: the last 3 months
    ],
)
def test_preset_windows(demo: Session, reference: str, last_round: tuple[str, str]) -> None:
    w = preset_windows(meeting_dates(session=demo), reference=D(reference))
    assert w["Since the last round"] == (D(last_round[0]), D(last_round[1]))
    ref = D(reference)
    assert w["Last 12 months"] == (ref.replace(year=ref.year - 1), ref)


def test_status_text_never_rests_on_colour() -> None:
    assert [status_text(s) for s in ("not started", "at risk", "complete", "suspended")] == [
        "○ Not started",
        "▲ At risk",
        "✔ Complete",
        "‖ Suspended",
    ]


@pytest.mark.parametrize(("count", "dtick"), [(4, 1), (10, 1), (11, None), (420, None)])
def test_status_movement_ticks_every_action_only_for_a_few(count: int, dtick: int | None) -> None:
    # A large plan has hundreds of actions: one tick per action would print an unreadable axis.
    from tracker.charts.changes import status_movement

    chart = status_movement({"on track": count}, {"complete": count}, start=D("2019-01-01"), end=D("2019-06-30"))
    axis = chart.figure.layout.xaxis
    assert axis.dtick == dtick
    assert (axis.title.text, axis.tickformat) == ("Actions", ",d")
    assert axis.range == (0, count * 1.2)
