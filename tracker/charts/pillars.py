"""Figures for the Pillars page: coverage by status, and evidence per pillar over time.

Example:
    >>> c = evidence_over_time({"V": {"2019 Q1": 2}, "R": {}, "C": {"2019 Q1": 1}, "S": {}}, ["2019 Q1"])
    >>> c.summary
    '3 evidence items over 1 quarter: Visibility 2, Recognition 0, Career development 1, Sustainability 0.'
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tracker.charts import PILLAR_COLOURS, STATUS_STYLE, Chart, bar_marker, count_axis, plural, styled
from tracker.models import PILLAR_NAMES, PILLARS

# Each pillar's line differs by dash and marker as well as colour.
_LINE = {"V": ("solid", "circle"), "R": ("dash", "square"), "C": ("dot", "diamond"), "S": ("dashdot", "triangle-up")}


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
            text=[f"{n} {style.symbol}" if n else "" for n in xs],
            textposition="inside",
            hovertemplate="%{y}: %{x} " + style.label.lower() + "<extra></extra>",
        )
    totals = {p: sum(by_pillar[p].values()) for p in PILLARS}
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
    """Evidence items per pillar per quarter (an item evidencing two pillars counts under both)."""
    fig = go.Figure()
    for p in PILLARS:
        dash, symbol = _LINE[p]
        fig.add_scatter(
            x=quarters,
            y=[per_quarter[p].get(q, 0) for q in quarters],
            mode="lines+markers",
            name=f"{p} – {PILLAR_NAMES[p]}",
            line={"color": PILLAR_COLOURS[p], "dash": dash, "width": 2.5},
            marker={"symbol": symbol, "size": 9},
            hovertemplate=f"{PILLAR_NAMES[p]}, %{{x}}: %{{y}}<extra></extra>",
        )
    styled(
        fig,
        height=340,
        yaxis=count_axis("Evidence items", max((n for p in PILLARS for n in per_quarter[p].values()), default=0)),
        xaxis={"type": "category", "title": None},
    )
    totals = {p: sum(per_quarter[p].values()) for p in PILLARS}
    summary = (
        f"{plural(sum(totals.values()), 'evidence item')} over {plural(len(quarters), 'quarter')}: "
        + ", ".join(f"{PILLAR_NAMES[p]} {totals[p]}" for p in PILLARS)
        + "."
    )
    rows: list[dict[str, Any]] = [
        {"quarter": q, **{PILLAR_NAMES[p]: per_quarter[p].get(q, 0) for p in PILLARS}} for q in quarters
    ]
    return Chart("Evidence per pillar over time", fig, summary, rows)
