"""The one figure the board pack needs that no page draws: actions per theme, stacked by status.

Built like `tracker.charts.pillars.coverage` (same status colours, patterns and symbols, so status never rests
on colour), from counts the pack takes from `plan_view`.

Example:
    >>> chart = status_by_theme({"Develop": {"on track": 1, "delayed": 1, "complete": 1}, "Value": {"complete": 2}})
    >>> chart.summary
    '5 actions across 2 themes: Develop 3 (1 on track, 1 delayed, 1 complete); Value 2 (2 complete).'
    >>> chart.data[0]
    {'theme': 'Develop', 'On track': 1, 'Delayed': 1, 'Complete': 1, 'total': 3}
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tracker.charts import STATUS_STYLE, Chart, bar_marker, count_axis, listing, plural, stack_totals, styled
from tracker.text import plotted


def status_by_theme(counts: dict[str, dict[str, int]]) -> Chart:
    """Actions per theme (in the order given), stacked by status, each segment labelled with its count and
    the status symbol."""
    themes = list(counts)
    present = [s for s in STATUS_STYLE if any(counts[t].get(s) for t in themes)]
    fig = go.Figure()
    for s in present:
        style = STATUS_STYLE[s]
        xs = [counts[t].get(s, 0) for t in themes]
        fig.add_bar(
            y=[plotted(t) for t in themes],  # plan themes as people wrote them: text, not plotly markup
            x=xs,
            orientation="h",
            name=f"{style.symbol} {style.label}",
            marker=bar_marker(style.colour, style.pattern),
            hovertemplate="%{y}: %{x} " + style.label.lower() + "<extra></extra>",
        )
    totals = {t: sum(counts[t].values()) for t in themes}
    stack_totals(fig, [plotted(t) for t in themes], list(totals.values()))
    styled(
        fig,
        height=110 + 40 * max(len(themes), 1),
        barmode="stack",
        xaxis=count_axis("Actions", max(totals.values(), default=0)),
        legend_title_text="",
    )
    fig.update_yaxes(autorange="reversed", automargin=True)

    def parts(t: str) -> str:
        return ", ".join(f"{counts[t][s]} {STATUS_STYLE[s].label.lower()}" for s in present if counts[t].get(s))

    if themes:
        summary = (
            f"{plural(sum(totals.values()), 'action')} across {plural(len(themes), 'theme')}: "
            + "; ".join(f"{t} {totals[t]} ({parts(t)})" for t in themes[:6])
            + (f"; and {listing(themes[6:], limit=3)}" if len(themes) > 6 else "")
            + "."
        )
    else:
        summary = "No actions to show."
    data: list[dict[str, Any]] = [
        {"theme": t, **{STATUS_STYLE[s].label: counts[t].get(s, 0) for s in present}, "total": totals[t]}
        for t in themes
    ]
    return Chart("Actions per theme, by status", fig, summary, data)
