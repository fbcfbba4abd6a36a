"""Figures for the action plan: the timeline and actions by status.

Example:
    >>> chart = status_counts({"on track": 4, "delayed": 1, "complete": 1}, total=6)
    >>> chart.summary
    '6 actions: 4 on track, 1 delayed, 1 complete.'
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from tracker.charts import STATUS_STYLE, Chart, bar_marker, count_axis, listing, plural, styled
from tracker.text import plotted

_MS_PER_DAY = 86_400_000


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


def timeline(actions: list[dict[str, Any]], *, plan_start: date, plan_end: date, today: date, months: int) -> Chart:
    """One bar per action from start to due, coloured, patterned and labelled by status; today's line; overdue
    actions marked ⚠ at their due date."""
    fig = go.Figure()
    # Refs and activities are the plan's own text: plotly would read <a href>, <img> or $…$ in them.
    refs = [plotted(a["ref"]) for a in actions]
    for s, style in STATUS_STYLE.items():
        group = [a for a in actions if a["status"] == s]
        if not group:
            continue
        starts = [a["start"] for a in group]
        fig.add_bar(
            y=[plotted(a["ref"]) for a in group],
            base=[d.isoformat() for d in starts],
            x=[((a["due"] - a["start"]).days + 1) * _MS_PER_DAY for a in group],
            orientation="h",
            name=f"{style.symbol} {style.label}",
            marker=bar_marker(style.colour, style.pattern),
            text=[f"{style.symbol} {style.label} · {a['percent_complete']}%" for a in group],
            textposition="inside",
            insidetextanchor="start",
            textfont={"color": "white" if s not in ("not started",) else "#262730"},
            customdata=[
                [plotted(a["ref"]), plotted(a["activity"][:90]), a["start"].isoformat(), a["due"].isoformat()]
                for a in group
            ],
            hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>%{customdata[2]} → %{customdata[3]}"
            "<br>%{text}<extra></extra>",
        )
    overdue = [a for a in actions if a["overdue"]]
    if overdue:
        fig.add_scatter(
            y=[plotted(a["ref"]) for a in overdue],
            x=[a["due"].isoformat() for a in overdue],
            mode="markers+text",
            name="⚠ Overdue",
            marker={"symbol": "triangle-left", "size": 14, "color": "#D55E00", "line": {"color": "black", "width": 1}},
            text=["⚠ overdue"] * len(overdue),
            textposition="middle right",
            hovertemplate="%{y} was due %{x}<extra></extra>",
        )
    # A shape and an annotation rather than add_vline: date axes and vline annotations do not mix in plotly.
    fig.add_shape(
        type="line",
        x0=today.isoformat(),
        x1=today.isoformat(),
        y0=0,
        y1=1,
        yref="paper",
        line={"color": "#262730", "width": 2, "dash": "dash"},
    )
    fig.add_annotation(
        x=today.isoformat(),
        y=1,
        yref="paper",
        text=f"Today: {today:%d %b %Y}" if today == date.today() else f"As of {today:%d %b %Y}",
        showarrow=False,
        yanchor="bottom",
        font={"size": 12},
    )
    lo = min([plan_start] + [a["start"] for a in actions]) - timedelta(days=15)
    hi = max([plan_end, today] + [a["due"] for a in actions]) + timedelta(days=45)
    styled(
        fig,
        height=max(260, 90 + 34 * len(actions)),
        barmode="overlay",
        xaxis={"type": "date", "range": [lo.isoformat(), hi.isoformat()], "title": None},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(refs)), "title": None},
        bargap=0.25,
        legend_title_text="",
    )
    counts = {s: sum(a["status"] == s for a in actions) for s in STATUS_STYLE}
    good = counts["on track"] + counts["complete"]
    bad = [f"{a['ref']} is {a['status']}" for a in actions if a["status"] in ("delayed", "at risk")]
    summary = f"{good} of {plural(len(actions), 'action')} on track or complete"
    summary += ("; " + listing(bad)) if bad else ""
    summary += f"; {len(overdue)} overdue ({listing([a['ref'] for a in overdue])})" if overdue else "; none overdue"
    elapsed = max(0, min((today - plan_start).days, (plan_end - plan_start).days))
    summary += (
        f". {round(100 * elapsed / max((plan_end - plan_start).days, 1))}% of the {months}-month plan has elapsed."
    )
    rows = [
        {
            "ref": a["ref"],
            "start": a["start"].isoformat(),
            "due": a["due"].isoformat(),
            "status": status_label(a["status"]),
            "percent_complete": a["percent_complete"],
            "overdue": "⚠ yes" if a["overdue"] else "",
        }
        for a in actions
    ]
    return Chart("Timeline", fig, summary, rows)
