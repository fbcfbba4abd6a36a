"""The Action plan's timeline (issue 14, point 3): a schedule where actions have dates of their own, work done
against time gone where they share the plan's window, both panels for a plan with both; who is behind said in
the summary; every label readable (WCAG 4.5:1) and never on a coloured bar; the page in AppTest on the demo."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tracker.charts import STATUS_STYLE, contrast
from tracker.charts.plan import timeline
from tracker.db import open_engine
from tracker.records import ActionRow, PlanInfo, UpdateRow
from tracker.text import unescape_literal
from tracker.views.plan import ScheduledAction, plan_view, scheduled

PLAN = PlanInfo(1, "UCL", "Plan", date(2018, 11, 1), date(2020, 10, 31), 24)
AS_OF = date(2020, 8, 31)  # 92% of the plan's window gone
WHITE = "#FFFFFF"


def action(
    ref: str, status: str, pct: int, *, start: date | None = None, due: date | None = None, as_of: date = AS_OF
) -> ScheduledAction:
    row = ActionRow(ref, "Develop", "", f"Activity of {ref}", "", [], [], [], start, due, status, pct, None, "", False)
    return scheduled(row, PLAN, as_of)


def draw(actions: list[ScheduledAction], updates: dict[str, list[UpdateRow]] | None = None) -> Any:
    return timeline(actions, plan_start=PLAN.start, plan_end=PLAN.end, today=AS_OF, months=PLAN.months, updates=updates)


def update(ref: str, on: date, pct: int | None, status: str = "on track") -> UpdateRow:
    return UpdateRow(ref, on, status, pct, "", "lead@x", None)


# --- WCAG 2.x contrast ---------------------------------------------------------------------------------------


def test_contrast_is_computed_as_wcag_does() -> None:
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast(WHITE, STATUS_STYLE["at risk"].colour) < 2.5  # the white on orange: 2.3:1


def _text_colours(fig: Any) -> list[tuple[str, str]]:
    """(where, colour) of every text plotly draws: the layout's font (tick labels, legend, titles), each trace's
    drawn text and each annotation."""
    default = fig.layout.template.layout.font.color
    found = [("layout font", fig.layout.font.color or default)]
    for t in fig.data:
        mode = getattr(t, "mode", None) or ""
        drawn_bar_text = t.type == "bar" and t.text is not None and t.textposition != "none"
        if drawn_bar_text or "text" in mode:
            found.append((f"{t.type} {t.name}", (t.textfont.color if t.textfont else None) or default))
    for a in fig.layout.annotations:
        found.append((f"annotation {a.text}", (a.font.color if a.font else None) or default))
    return found


# --- which form ----------------------------------------------------------------------------------------------


def test_actions_sharing_the_plans_window_are_drawn_as_work_against_time() -> None:
    chart = draw([action("D1", "on track", 95), action("D2", "delayed", 40), action("D3", "at risk", 10)])
    fig = chart.figure
    assert chart.title == "Work done against time"
    assert fig.layout.xaxis.type != "date" and fig.layout.xaxis.ticksuffix == "%"
    bars = {y: x for t in fig.data if t.type == "bar" for y, x in zip(t.y, t.x, strict=True)}
    assert bars == {"D1": 95, "D2": 40, "D3": 10}  # the work done, not a full-width window
    (gone,) = [t for t in fig.data if t.name and t.name.startswith("Time gone")]
    assert list(gone.x) == [92, 92, 92] and gone.marker.symbol == "line-ns"
    # Every row says its status in words and a symbol, beside the chart.
    assert list(fig.layout.yaxis.ticktext) == ["D1 · ● On track · 95%", "D2 · ✕ Delayed · 40%", "D3 · ▲ At risk · 10%"]


def test_a_plan_whose_actions_have_their_own_dates_gets_the_schedule() -> None:
    acts = [
        action("A1", "complete", 100, due=date(2019, 4, 30)),
        action("A2", "on track", 30, start=date(2019, 6, 1), due=date(2020, 12, 31)),
        action("A3", "delayed", 20, due=date(2020, 3, 31)),
    ]
    assert all(a.own_dates for a in acts)
    chart = draw(acts)
    fig = chart.figure
    assert chart.title == "Timeline"
    assert fig.layout.xaxis.type == "date"
    windows = {
        y: (base, x)
        for t in fig.data
        if t.type == "bar" and t.legendgroup in STATUS_STYLE
        for y, base, x in zip(t.y, t.base, t.x, strict=True)
    }
    assert (
        windows["A2"][0] == "2019-06-01"
        and windows["A2"][1] == (date(2020, 12, 31) - date(2019, 6, 1)).days * 86_400_000 + 86_400_000
    )
    (done,) = [t for t in fig.data if t.name == "Work done (share of the window)"]
    assert dict(zip(done.y, done.customdata, strict=True)) == {"A1": 100, "A2": 30, "A3": 20}
    (overdue,) = [t for t in fig.data if t.name == "⚠ Overdue"]
    assert list(overdue.y) == ["A3"]
    assert [a.text for a in fig.layout.annotations] == ["As of 31 Aug 2020"]
    # The board pack widens this axis by reading its range as dates.
    assert [date.fromisoformat(str(v)[:10]) for v in fig.layout.xaxis.range]


def test_a_plan_with_both_kinds_gets_both_panels_each_action_once() -> None:
    acts = [
        action("A1", "complete", 100, due=date(2019, 4, 30)),
        action("A2", "on track", 50),
        action("A3", "delayed", 20),
    ]
    chart = draw(acts)
    fig = chart.figure
    assert chart.title == "Timeline and work done"
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis2.ticksuffix == "%"
    assert list(fig.layout.yaxis.tickvals) == ["A1"] and list(fig.layout.yaxis2.tickvals) == ["A2", "A3"]
    titles = [a.text for a in fig.layout.annotations]
    assert any("dates of their own" in t for t in titles) and any("whole window" in t for t in titles)
    # One legend entry per status across both panels.
    shown = [
        t.name for t in fig.data if t.type == "bar" and t.showlegend is not False and t.legendgroup in STATUS_STYLE
    ]
    assert len(shown) == len(set(shown))


def test_an_action_with_the_plans_own_window_shares_it() -> None:
    # The reader fills an undated action with the plan's window: those dates are not the action's own.
    assert not action("U1", "on track", 10, start=PLAN.start, due=PLAN.end).own_dates
    assert not action("U1", "on track", 10).own_dates
    assert action("U1", "on track", 10, due=date(2019, 12, 31)).own_dates


# --- who is behind -------------------------------------------------------------------------------------------


def test_the_summary_names_who_is_behind_with_their_work_and_time() -> None:
    chart = draw([action("D1", "on track", 95), action("D2", "delayed", 40), action("D3", "at risk", 10)])
    assert chart.summary.startswith("D2 and D3 are behind: 40% and 10% done with 92% of the time gone. ")
    assert "1 of 3 actions on track or complete; D2 is delayed and D3 is at risk; none overdue." in chart.summary
    dotted = [t for t in chart.figure.data if t.name and t.name.startswith("Behind")]
    assert dotted and [y for y in dotted[0].y if y] == ["D2", "D2", "D3", "D3"]


def test_behind_means_more_than_ten_points_short_and_not_complete() -> None:
    acts = [action("A1", "on track", 83), action("A2", "on track", 81), action("A3", "complete", 50)]
    assert [a.behind for a in acts] == [False, True, False]  # 92% gone: 83 is 9 short, 81 is 11
    assert draw(acts).summary.startswith("A2 is behind: 81% done with 92% of the time gone.")


def test_with_nobody_behind_the_summary_says_so() -> None:
    chart = draw([action("D1", "on track", 90), action("D2", "complete", 100)])
    assert chart.summary.startswith("No action is behind (more than 10 points short of its share of the time gone).")
    assert "92% of the 24-month plan has elapsed." in chart.summary


def test_actions_behind_on_their_own_windows_are_named_with_each_ones_time() -> None:
    acts = [
        action("A1", "on track", 10, due=date(2019, 10, 31)),  # its year is over
        action("A2", "on track", 20),  # 92% of the plan's window
    ]
    assert draw(acts).summary.startswith(
        "A1 and A2 are behind: A1 10% done with 100% of its time gone and A2 20% done with 92% of its time gone."
    )


def test_many_behind_are_counted_and_the_furthest_named() -> None:
    acts = [action(f"D{i}", "on track", 10 * i) for i in range(1, 8)]
    summary = draw(acts).summary
    assert summary.startswith("7 actions are behind; furthest: D1 (10% done, 92% of its time gone), D2 (20% done")


# --- the updates as marks -------------------------------------------------------------------------------------


def test_each_update_is_a_mark_at_its_percent_with_its_date() -> None:
    updates = {
        "D2": [
            update("D2", date(2019, 1, 16), 0),
            update("D2", date(2019, 7, 11), 20),
            update("D2", date(2020, 4, 21), 55, "delayed"),
        ],
        "D1": [update("D1", date(2019, 1, 15), None)],  # no percent given: nowhere to put it on this axis
    }
    chart = draw([action("D1", "on track", 95), action("D2", "delayed", 40)], updates)
    (marks,) = [t for t in chart.figure.data if t.name and t.name.startswith("A progress update")]
    assert list(marks.x) == [0, 20, 55] and list(marks.y) == ["D2"] * 3
    assert [list(c) for c in marks.customdata][-1] == ["21 Apr 2020", "✕ Delayed"]
    rows = {r["ref"]: r for r in chart.data}
    assert rows["D2"]["updates"] == "16 Jan 2019: 0%; 11 Jul 2019: 20%; 21 Apr 2020: 55%"
    assert rows["D1"]["updates"] == "15 Jan 2019: –"
    assert rows["D2"]["behind"] == "yes: 52 points short" and rows["D1"]["behind"] == ""
    assert rows["D2"]["due"] == "31 Oct 2020" and rows["D2"]["time_gone_pct"] == 92


def test_the_board_packs_call_without_updates_still_draws() -> None:
    acts = [action("D1", "on track", 95), action("D2", "delayed", 40)]
    chart = timeline(acts, plan_start=PLAN.start, plan_end=PLAN.end, today=AS_OF, months=24)
    assert chart.summary.startswith("D2 is behind")
    assert not [t for t in chart.figure.data if t.name and t.name.startswith("A progress update")]
    # No fixed range on a percent axis: the pack's widening reads a timeline's first range as dates.
    assert chart.figure.layout.xaxis.range is None


# --- readable ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "acts",
    [
        [action(r, s, 40) for r, s in zip("ABCDEF", STATUS_STYLE, strict=True)],
        [action(r, s, 40, due=date(2019, 6, 30)) for r, s in zip("ABCDEF", STATUS_STYLE, strict=True)],
        [action("A", "at risk", 40, due=date(2019, 6, 30)), action("B", "delayed", 20)],
    ],
    ids=["work-against-time", "schedule", "both"],
)
def test_no_text_sits_on_a_bar_and_all_text_is_dark_on_white(acts: list[ScheduledAction]) -> None:
    fig = draw(acts, {"B": [update("B", date(2019, 5, 1), 10)]}).figure
    for t in fig.data:
        if t.type == "bar" and t.text is not None:
            assert t.textposition == "none", f"{t.name}: text drawn on the bar"
    assert fig.layout.paper_bgcolor in (None, "white") and fig.layout.plot_bgcolor in (None, "white")
    assert fig.layout.template.layout.plot_bgcolor == "white"
    for where, colour in _text_colours(fig):
        assert colour, where
        assert contrast(colour, WHITE) >= 4.5, f"{where}: {colour} on white is {contrast(colour, WHITE):.1f}:1"


def test_status_is_never_colour_alone() -> None:
    fig = draw([action(r, s, 40) for r, s in zip("ABCDEF", STATUS_STYLE, strict=True)]).figure
    for t in fig.data:
        if t.type == "bar":
            style = STATUS_STYLE[t.legendgroup]
            assert t.name == f"{style.symbol} {style.label}"
            assert t.marker.pattern.shape == style.pattern
    for label, s in zip(fig.layout.yaxis.ticktext, STATUS_STYLE, strict=True):
        assert f"{STATUS_STYLE[s].symbol} {STATUS_STYLE[s].label}" in label


def test_plan_text_in_refs_is_shown_as_text() -> None:
    fig = draw([action("<b>X</b>", "on track", 40)]).figure
    assert fig.layout.yaxis.ticktext[0].startswith("&lt;b&gt;X&lt;/b&gt;")


# --- the view -------------------------------------------------------------------------------------------------


def test_the_view_hands_the_chart_the_updates_made_by_the_as_of_date(db: str) -> None:
    with Session(open_engine(db)) as s:
        page = plan_view(session=s, as_of=date(2019, 8, 31))
    assert page.plan is not None
    assert not any(a.own_dates for a in page.actions)  # the demo's plan gives no dates per action
    assert max(u.as_of for us in page.updates.values() for u in us) <= date(2019, 8, 31)
    assert [u.percent_complete for u in page.updates["D2"]] == [0, 10, 20]
    assert page.timeline is not None
    assert page.timeline.summary.startswith("D2 and V1 are behind: 20% and 25% done with 42% of the time gone.")


def test_filters_keep_the_updates_of_the_actions_shown(db: str) -> None:
    with Session(open_engine(db)) as s:
        page = plan_view(session=s, as_of=date(2020, 10, 31), themes=("Value",))
    assert set(page.updates) == {"V1", "V2"}


# --- the page -------------------------------------------------------------------------------------------------


with_fresh_caches = pytest.mark.usefixtures("fresh_streamlit_caches")


def _table(at: AppTest, *columns: str) -> Any:
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


@with_fresh_caches
def test_the_page_leads_the_table_with_where_each_action_stands(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/action_plan.py")
    table = _table(at, "Ref", "Latest note", "Activity")
    assert list(table.columns) == [
        "Ref",
        "Status",
        "% complete",
        "Due",
        "Overdue",
        "Latest note",
        "Activity",
        "Owners",
        "Pillars",
        "Theme",
    ]
    assert table.set_index("Ref").loc["D2", "Status"] == "✕ Delayed"
    (grid,) = [df for df in at.dataframe if "Latest note" in df.value.columns]
    config = json.loads(grid.proto.columns)
    assert config["Due"]["type_config"]["format"] == "D MMM YYYY"  # one way of writing dates: "31 Oct 2020"
    assert config["Latest note"]["width"] <= 320
    assert "Showing 6 of 6 actions, status as of 31 Oct 2020." in [c.value for c in at.caption]


@with_fresh_caches
def test_the_page_draws_work_against_time_and_says_who_is_behind(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/action_plan.py")
    assert "**Work done against time**" in [m.value for m in at.markdown]
    (spec,) = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert spec["layout"]["xaxis"]["ticksuffix"] == "%"
    captions = " ".join(unescape_literal(c.value) for c in at.caption)
    assert "D2, D3 and V2 are behind: 75%, 85% and 80% done with 100% of the time gone." in captions
    data = _table(at, "ref", "time_gone_pct", "updates").set_index("ref")
    assert data.loc["D2", "behind"] == "yes: 25 points short"
    assert data.loc["D2", "updates"].startswith("16 Jan 2019: 0%; 11 Apr 2019: 10%")
