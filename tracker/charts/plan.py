"""Figures for the action plan: the timeline and actions by status.

Example:
    >>> chart = status_counts({"on track": 4, "delayed": 1, "complete": 1}, total=6)
    >>> chart.summary
    '6 actions: 4 on track, 1 delayed, 1 complete.'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tracker.charts import STATUS_STYLE, TEXT_DARK, Chart, bar_marker, count_axis, listing, plural, styled
from tracker.records import UpdateRow
from tracker.text import day, plotted

if TYPE_CHECKING:
    from tracker.views.plan import ScheduledAction

_MS_PER_DAY = 86_400_000
# Leads report quarterly and their percentages are estimates; a quarter is 12.5% of a 24-month plan, so an action
# is called behind only when its work done trails the time gone by more than this many points.
BEHIND_MARGIN = 10


def status_label(status: str) -> str:
    """'✕ Delayed': the symbol and the word, so status never rests on colour."""
    st = STATUS_STYLE.get(status, STATUS_STYLE["not started"])
    return f"{st.symbol} {st.label}"


def status_counts(counts: dict[str, int], *, total: int) -> Chart:
    """Actions by status as labelled horizontal bars (zero statuses left out)."""
    rows = [{"status": STATUS_STYLE[s].label, "actions": counts.get(s, 0)} for s in STATUS_STYLE if counts.get(s, 0)]
    fig = go.Figure()
    for s, style in STATUS_STYLE.items():
        n = counts.get(s, 0)
        if not n:
            continue
        fig.add_bar(
            y=[status_label(s)],
            x=[n],
            orientation="h",
            name=style.label,
            marker=bar_marker(style.colour, style.pattern),
            text=[f"{n}"],
            textposition="outside",
            hovertemplate=f"{style.label}: %{{x}}<extra></extra>",
        )
    parts = [f"{counts[s]} {STATUS_STYLE[s].label.lower()}" for s in STATUS_STYLE if counts.get(s)]
    summary = f"{plural(total, 'action')}: " + (", ".join(parts) if parts else "none with a status yet") + "."
    styled(
        fig,
        height=60 + 42 * max(len(rows), 1),
        showlegend=False,
        xaxis=count_axis("Actions", max(counts.values(), default=0)),
    )
    fig.update_yaxes(autorange="reversed")
    return Chart("Actions by status", fig, summary, rows)


def timeline(
    actions: Sequence[ScheduledAction],
    *,
    plan_start: date,
    plan_end: date,
    today: date,
    months: int,
    updates: Mapping[str, Sequence[UpdateRow]] | None = None,
) -> Chart:
    """Where each action stands against its time, so a reader sees who is behind.

    Actions with dates of their own are drawn as a schedule (a Gantt): a bar from start to due, patterned by
    status, a dark line inside it for the share of the work done, the as-of line, ⚠ at overdue due dates.
    Actions that share the plan's window would all be the same full-width bar there, so they are drawn as work
    against time instead: a bar for the percent complete, a tick for the percent of the window gone on `today`,
    a dotted line over the shortfall of those behind (more than BEHIND_MARGIN points short), and each progress
    update in `updates` (by ref, oldest first) as a mark at its percent, its date in the hover and the data
    table. A plan with both kinds gets both panels, the schedule on top. Every row's label gives its status in
    words and a symbol; no text is drawn on a bar (labels sit on white, in the charts' dark text colour).

    Example:
        >>> from tracker.records import PlanInfo, ActionRow
        >>> from tracker.views.plan import scheduled
        >>> p = PlanInfo(1, "UCL", "Plan", date(2018, 11, 1), date(2020, 10, 31), 24)
        >>> def act(ref, status, pct):
        ...     row = ActionRow(ref, "", "", "", "", [], [], [], None, None, status, pct, None, "", False)
        ...     return scheduled(row, p, date(2020, 8, 31))
        >>> chart = timeline([act("D1", "on track", 95), act("D2", "delayed", 40), act("D3", "at risk", 10)],
        ...                  plan_start=p.start, plan_end=p.end, today=date(2020, 8, 31), months=24)
        >>> chart.title
        'Work done against time'
        >>> chart.summary.split(". ")[0]
        'D2 and D3 are behind: 40% and 10% done with 92% of the time gone'
    """
    updates = updates or {}
    dated = [a for a in actions if a.own_dates]
    shared = [a for a in actions if not a.own_dates]
    both = bool(dated and shared)
    height = max(260, 110 + 40 * len(actions) + (100 if both else 0))
    plot_height = height - 110  # about: the template's top margin, the tick labels and the axis title below
    fig = make_subplots(
        rows=2 if both else 1,
        cols=1,
        # Rows equally tall in both panels; the space between them holds the schedule's dates and the lower title.
        row_heights=[len(dated) + 1, len(shared) + 1] if both else None,
        vertical_spacing=80 / plot_height if both else 0.0,
    )
    if dated:
        _schedule(fig, dated, row=1, plan_start=plan_start, plan_end=plan_end, today=today, as_of_label=not both)
    if shared:
        _work_against_time(fig, shared, updates, row=2 if both else 1, today=today, axis_title=not both)
    styled(fig, height=height, barmode="overlay", bargap=0.3, legend_title_text="", hovermode="closest")
    if both:
        # Each panel's title on its own line above it, left-aligned with the row labels; the legend above that.
        for row, text in (
            (1, f"Actions with dates of their own: the schedule (dashed line: {day(today)})"),
            (2, f"Actions over the plan's whole window: % complete against % of the time gone, {day(today)}"),
        ):
            fig.add_annotation(
                text=f"<b>{text}</b>",
                x=0,
                xref="paper",
                xanchor="left",
                y=1,
                yref=f"y{'' if row == 1 else row} domain",
                yanchor="bottom",
                yshift=6,
                showarrow=False,
                font={"color": TEXT_DARK, "size": 13},
            )
        fig.update_layout(legend_y=1 + 34 / plot_height)
    title = "Timeline" if not shared else ("Work done against time" if not dated else "Timeline and work done")
    return Chart(
        title,
        fig,
        _summary(actions, today=today, plan_start=plan_start, plan_end=plan_end, months=months),
        _rows(actions, updates),
    )


def _row_label(a: ScheduledAction) -> str:
    """'D2 · ✕ Delayed · 75%': each row's status in words beside the chart, never only the bar's colour."""
    return f"{plotted(a.ref)} · {status_label(a.status)} · {a.percent_complete}%"


def _rows_axis(actions: Sequence[ScheduledAction]) -> dict[str, object]:
    refs = [plotted(a.ref) for a in actions]
    return {
        "categoryorder": "array",
        "categoryarray": list(reversed(refs)),  # plan order, top to bottom
        "tickmode": "array",
        "tickvals": refs,
        "ticktext": [_row_label(a) for a in actions],
        "title": None,
    }


def _status_bars(
    fig: go.Figure,
    actions: Sequence[ScheduledAction],
    *,
    row: int,
    seen: set[str],
    hovertemplate: str,
    **bar: Callable[[list[ScheduledAction]], list[Any]],
) -> None:
    """One bar trace per status (its colour, pattern and legend entry, once per figure: `seen`); `bar` maps trace
    properties (x, base, customdata) to a function of the status group."""
    for s, style in STATUS_STYLE.items():
        group = [a for a in actions if a.status == s]
        if not group:
            continue
        fig.add_bar(
            y=[plotted(a.ref) for a in group],
            orientation="h",
            name=f"{style.symbol} {style.label}",
            legendgroup=s,
            showlegend=s not in seen,
            marker=bar_marker(style.colour, style.pattern),
            # For the hover only: text drawn on a coloured, patterned bar is hard to read.
            text=[f"{style.symbol} {style.label} · {a.percent_complete}%" for a in group],
            textposition="none",
            hovertemplate=hovertemplate,
            row=row,
            col=1,
            **{k: f(group) for k, f in bar.items()},
        )
        seen.add(s)


def _schedule(
    fig: go.Figure,
    actions: Sequence[ScheduledAction],
    *,
    row: int,
    plan_start: date,
    plan_end: date,
    today: date,
    as_of_label: bool,
) -> None:
    """The Gantt: start to due per action, the work done as a line inside the bar, the as-of line (labelled
    when `as_of_label`: else the panel's title names the date), ⚠ overdue."""
    seen: set[str] = set()

    def span_ms(a: ScheduledAction) -> int:
        return ((a.window_end - a.window_start).days + 1) * _MS_PER_DAY

    _status_bars(
        fig,
        actions,
        row=row,
        seen=seen,
        base=lambda g: [a.window_start.isoformat() for a in g],
        x=lambda g: [span_ms(a) for a in g],
        customdata=lambda g: [
            [plotted(a.ref), plotted(a.activity[:90]), day(a.window_start), day(a.window_end), a.time_elapsed_pct]
            for a in g
        ],
        hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>%{customdata[2]} → %{customdata[3]}"
        "<br>%{text} done, %{customdata[4]}% of its time gone<extra></extra>",
    )
    # Work done as a share of the window, from the start: its end left of the as-of line is work behind time.
    fig.add_bar(
        y=[plotted(a.ref) for a in actions],
        base=[a.window_start.isoformat() for a in actions],
        x=[round(span_ms(a) * a.percent_complete / 100) for a in actions],
        width=0.18,
        orientation="h",
        name="Work done (share of the window)",
        marker={"color": "#1F2024", "line": {"width": 0}},
        hovertemplate="%{y}: %{customdata}% done<extra></extra>",
        customdata=[a.percent_complete for a in actions],
        row=row,
        col=1,
    )
    overdue = [a for a in actions if a.overdue]
    if overdue:
        fig.add_scatter(
            y=[plotted(a.ref) for a in overdue],
            x=[a.window_end.isoformat() for a in overdue],
            mode="markers+text",
            name="⚠ Overdue",
            marker={"symbol": "triangle-left", "size": 14, "color": "#D55E00", "line": {"color": "black", "width": 1}},
            text=["⚠ overdue"] * len(overdue),
            textposition="middle right",
            textfont={"color": TEXT_DARK},
            customdata=[day(a.window_end) for a in overdue],
            hovertemplate="%{y} was due %{customdata}<extra></extra>",
            row=row,
            col=1,
        )
    # A line shape and a separate annotation: plotly's add_vline cannot place its annotation on a date axis.
    lo = min([plan_start] + [a.window_start for a in actions]) - timedelta(days=15)
    hi = max([plan_end, today] + [a.window_end for a in actions]) + timedelta(days=45)
    fig.add_vline(x=today.isoformat(), line={"color": TEXT_DARK, "width": 2, "dash": "dash"}, row=row, col=1)
    if as_of_label:
        fig.add_annotation(
            x=today.isoformat(),
            y=1,
            yref="y domain",
            text=f"Today: {day(today)}" if today == date.today() else f"As of {day(today)}",
            showarrow=False,
            yanchor="bottom",
            # Beside the line on the side with room: centred on a line near the end it ran off the chart.
            xanchor="right" if today - lo > hi - today else "left",
            font={"size": 12, "color": TEXT_DARK},
            row=row,
            col=1,
        )
    fig.update_xaxes(type="date", range=[lo.isoformat(), hi.isoformat()], title=None, row=row, col=1)
    fig.update_yaxes(**_rows_axis(actions), row=row, col=1)


def _work_against_time(
    fig: go.Figure,
    actions: Sequence[ScheduledAction],
    updates: Mapping[str, Sequence[UpdateRow]],
    *,
    row: int,
    today: date,
    axis_title: bool,
) -> None:
    """Per action: a bar for the work done, a tick for the time gone, the shortfall of those behind, the updates."""
    seen = {t.legendgroup for t in fig.data if t.legendgroup}
    _status_bars(
        fig,
        actions,
        row=row,
        seen=seen,
        x=lambda g: [a.percent_complete for a in g],
        customdata=lambda g: [[plotted(a.ref), plotted(a.activity[:90]), a.time_elapsed_pct] for a in g],
        hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>%{text} done, %{customdata[2]}% of the time gone"
        "<extra></extra>",
    )
    behind = [a for a in actions if a.behind]
    if behind:
        xs: list[int | None] = []
        ys: list[str | None] = []
        for a in behind:
            xs += [a.percent_complete, a.time_elapsed_pct, None]
            ys += [plotted(a.ref), plotted(a.ref), None]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name="Behind: work short of the time gone",
            line={"color": TEXT_DARK, "width": 2, "dash": "dot"},
            hoverinfo="skip",
            row=row,
            col=1,
        )
    marks = [(a, u) for a in actions for u in updates.get(a.ref, []) if u.percent_complete is not None]
    if marks:
        fig.add_scatter(
            x=[u.percent_complete for _, u in marks],
            y=[plotted(a.ref) for a, _ in marks],
            mode="markers",
            name="A progress update, at the percent it reported",
            # White with a dark ring: it shows on every status colour and on white.
            marker={"symbol": "circle", "size": 8, "color": "white", "line": {"color": TEXT_DARK, "width": 1.5}},
            customdata=[[day(u.as_of), status_label(u.status)] for _, u in marks],
            hovertemplate="%{y}, %{customdata[0]}: %{customdata[1]} · %{x}%<extra></extra>",
            row=row,
            col=1,
        )
    # Taller than the bar, so the tick shows above and below it whatever the bar's colour.
    fig.add_scatter(
        x=[a.time_elapsed_pct for a in actions],
        y=[plotted(a.ref) for a in actions],
        mode="markers",
        name=f"Time gone by {day(today)}",
        marker={"symbol": "line-ns", "size": 30, "line": {"color": TEXT_DARK, "width": 3}},
        hovertemplate="%{y}: %{x}% of the time gone<extra></extra>",
        row=row,
        col=1,
    )
    fig.update_xaxes(
        # 0-100% whatever the data, by autorange rather than a fixed range: the board pack widens a timeline's
        # first x range, reading it as dates.
        autorangeoptions={"include": [0, 103]},  # 103: room for the 100% tick label
        tick0=0,
        dtick=25,
        ticksuffix="%",
        title=f"As of {day(today)}: % complete (bars) against % of the time gone (black ticks)" if axis_title else None,
        row=row,
        col=1,
    )
    fig.update_yaxes(**_rows_axis(actions), row=row, col=1)


def _summary(actions: Sequence[ScheduledAction], *, today: date, plan_start: date, plan_end: date, months: int) -> str:
    """Who is behind first, then the statuses; the plan's time gone when no row said it already."""
    behind = [a for a in actions if a.behind]
    gone = {a.time_elapsed_pct for a in behind}
    if not behind:
        summary = f"No action is behind (more than {BEHIND_MARGIN} points short of its share of the time gone)."
    elif len(behind) > 4:
        worst = sorted(behind, key=lambda a: a.percent_complete - a.time_elapsed_pct)[:3]
        summary = (
            f"{len(behind)} actions are behind; furthest: "
            + listing([f"{a.ref} ({a.percent_complete}% done, {a.time_elapsed_pct}% of its time gone)" for a in worst])
            + "."
        )
    elif len(gone) == 1:
        summary = (
            f"{listing([a.ref for a in behind])} {'is' if len(behind) == 1 else 'are'} behind: "
            f"{listing([f'{a.percent_complete}%' for a in behind])} done with {gone.pop()}% of the time gone."
        )
    else:
        summary = (
            f"{listing([a.ref for a in behind])} are behind: "
            + listing(
                [f"{a.ref} {a.percent_complete}% done with {a.time_elapsed_pct}% of its time gone" for a in behind]
            )
            + "."
        )
    counts = {s: sum(a.status == s for a in actions) for s in STATUS_STYLE}
    good = counts["on track"] + counts["complete"]
    bad = [f"{a.ref} is {a.status}" for a in actions if a.status in ("delayed", "at risk")]
    overdue = [a.ref for a in actions if a.overdue]
    summary += f" {good} of {plural(len(actions), 'action')} on track or complete"
    summary += ("; " + listing(bad)) if bad else ""
    summary += f"; {len(overdue)} overdue ({listing(overdue)})." if overdue else "; none overdue."
    if not behind or any(a.own_dates for a in actions):
        elapsed = max(0, min((today - plan_start).days, (plan_end - plan_start).days))
        pct = round(100 * elapsed / max((plan_end - plan_start).days, 1))
        summary += f" {pct}% of the {months}-month plan has elapsed."
    return summary


def _rows(actions: Sequence[ScheduledAction], updates: Mapping[str, Sequence[UpdateRow]]) -> list[dict[str, Any]]:
    """The chart's data table: one row per action, its progress updates in date order in the last column."""
    return [
        {
            "ref": a.ref,
            "status": status_label(a.status),
            "percent_complete": a.percent_complete,
            "time_gone_pct": a.time_elapsed_pct,
            "behind": f"yes: {a.time_elapsed_pct - a.percent_complete} points short" if a.behind else "",
            "start": day(a.window_start),
            "due": day(a.window_end),
            "own_dates": "yes" if a.own_dates else "the plan's window",
            "overdue": "⚠ yes" if a.overdue else "",
            "updates": "; ".join(
                f"{day(u.as_of)}: {'–' if u.percent_complete is None else f'{u.percent_complete}%'}"
                for u in updates.get(a.ref, [])
            ),
        }
        for a in actions
    ]
