"""Figures for the Pillars page: coverage by status, and evidence per pillar over time.

Example:
    >>> c = evidence_over_time({"V": {"2019 Q1": 2}, "R": {}, "C": {"2019 Q1": 1}, "S": {}}, ["2019 Q1"])
    >>> c.summary.split(": ")[1].split(" (")[0]
    'Visibility 2, Recognition 0, Career development 1, Sustainability 0'
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tracker.charts import (
    PILLAR_COLOURS,
    STATUS_STYLE,
    TEXT_DARK,
    Chart,
    bar_marker,
    count_axis,
    plural,
    stack_totals,
    styled,
)
from tracker.models import PILLAR_NAMES, PILLARS


def coverage(by_pillar: dict[str, dict[str, int]]) -> Chart:
    """Actions per pillar, stacked by status (an action serving two pillars counts under both)."""
    fig = go.Figure()
    names = [f"{p} – {PILLAR_NAMES[p]}" for p in PILLARS]
    for s, style in STATUS_STYLE.items():
        xs = [by_pillar[p].get(s, 0) for p in PILLARS]
        if not any(xs):
            continue
        fig.add_bar(
            y=names,
            x=xs,
            orientation="h",
            name=f"{style.symbol} {style.label}",
            marker=bar_marker(style.colour, style.pattern),
            hovertemplate="%{y}: %{x} " + style.label.lower() + "<extra></extra>",
        )
    totals = {p: sum(by_pillar[p].values()) for p in PILLARS}
    stack_totals(fig, names, list(totals.values()))
    styled(
        fig,
        height=300,
        barmode="stack",
        xaxis=count_axis("Actions", max(totals.values(), default=0)),
        legend_title_text="",
    )
    fig.update_yaxes(autorange="reversed")
    empty = [PILLAR_NAMES[p] for p in PILLARS if not totals[p]]
    top = max(PILLARS, key=lambda p: totals[p])
    summary = f"{PILLAR_NAMES[top]} has the most actions ({totals[top]})" + (
        f"; {', '.join(empty)} {'has' if len(empty) == 1 else 'have'} none."
        if empty
        else "; every pillar has at least one action."
    )
    rows = [
        {
            "pillar": PILLAR_NAMES[p],
            **{STATUS_STYLE[s].label: by_pillar[p].get(s, 0) for s in STATUS_STYLE},
            "total": totals[p],
        }
        for p in PILLARS
    ]
    return Chart("Actions per pillar, by status", fig, summary, rows)


def evidence_over_time(per_quarter: dict[str, dict[str, int]], quarters: list[str]) -> Chart:
    """Evidence items per quarter as small multiples: one row of bars per pillar on a shared quarter axis, each
    bar labelled with its count (an item evidencing two pillars counts under both)."""
    from plotly.subplots import make_subplots

    totals = {p: sum(per_quarter[p].values()) for p in PILLARS}
    fig = make_subplots(
        rows=len(PILLARS),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[f"{p} – {PILLAR_NAMES[p]} ({plural(totals[p], 'item')})" for p in PILLARS],
    )
    top = max((n for p in PILLARS for n in per_quarter[p].values()), default=0)
    for i, p in enumerate(PILLARS, start=1):
        ys = [per_quarter[p].get(q, 0) for q in quarters]
        fig.add_bar(
            x=quarters,
            y=ys,
            name=PILLAR_NAMES[p],
            marker={"color": PILLAR_COLOURS[p]},
            # Counts above the bars, in the chart's dark text (never white on a coloured bar).
            text=[str(n) if n else "" for n in ys],
            textposition="outside",
            cliponaxis=False,
            textfont={"color": TEXT_DARK},
            hovertemplate=f"{PILLAR_NAMES[p]}, %{{x}}: %{{y}}<extra></extra>",
            row=i,
            col=1,
        )
        fig.update_yaxes(
            range=[0, max(top, 1) * 1.35], tickformat=",d", dtick=max(1, -(-top // 2)), row=i, col=1, title=None
        )
    fig.update_xaxes(type="category")
    styled(fig, height=110 + 95 * len(PILLARS), showlegend=False, bargap=0.3)
    fig.update_annotations(font={"size": 13, "color": TEXT_DARK}, x=0, xanchor="left")
    summary = (
        f"Evidence items per pillar over {plural(len(quarters), 'quarter')}: "
        + ", ".join(f"{PILLAR_NAMES[p]} {totals[p]}" for p in PILLARS)
        + " (an item serving two pillars counts under each)."
    )
    rows: list[dict[str, Any]] = [
        {"quarter": q, **{PILLAR_NAMES[p]: per_quarter[p].get(q, 0) for p in PILLARS}} for q in quarters
    ]
    return Chart("Evidence per pillar, quarter by quarter", fig, summary, rows)
