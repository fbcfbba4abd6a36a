"""Figures for the Evidence & impact page: evidence over time by kind, and measures against their targets.

Example:
    >>> from datetime import date
    >>> from tracker.views.evidence import MeasureStatus
    >>> m = MeasureStatus("D3", "Apprentices started", "people", 0.0, 20.0, latest=13.0, as_of=date(2019, 10, 1),
    ...                   progress=65.0)
    >>> measures_progress([m]).summary
    '1 measure: none has reached its target yet; the furthest behind is Apprentices started (D3) at 65% of the way.'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from tracker.charts import OKABE_ITO, TEXT_DARK, Chart, listing, plural, styled
from tracker.records import EvidenceRow
from tracker.text import day, plotted

if TYPE_CHECKING:
    from tracker.views.evidence import MeasureStatus

KIND_STYLE = {  # colour and marker shape both differ, so kinds are told apart without colour
    "document": (OKABE_ITO["blue"], "square"),
    "event": (OKABE_ITO["orange"], "circle"),
    "survey": (OKABE_ITO["green"], "diamond"),
    "policy": (OKABE_ITO["purple"], "triangle-up"),
    "award": (OKABE_ITO["vermillion"], "star"),
    "metric": (OKABE_ITO["sky"], "hexagon"),
    "other": (OKABE_ITO["grey"], "x"),
}


def evidence_timeline(items: Sequence[EvidenceRow], refs: list[str], *, plan_start: date | None = None) -> Chart:
    """Each evidence item as a mark at its date on its action's row; shape and colour by kind; a line where the
    plan began, so items from before it are seen as such."""
    fig = go.Figure()
    for kind, (colour, symbol) in KIND_STYLE.items():
        group = [e for e in items if e.kind == kind]
        if not group:
            continue
        # numpy arrays: plotly validates a list element by element, which cost ~1 s for 4,000 items.
        fig.add_scatter(
            x=np.array([e.date for e in group], dtype="datetime64[D]"),
            # Refs and descriptions are people's text: plotly would read <a href>, <img> or $…$ in them.
            y=np.array([plotted(e.ref) for e in group], dtype=object),
            mode="markers",
            name=kind.capitalize(),
            marker={"symbol": symbol, "size": 13, "color": colour, "line": {"color": "black", "width": 0.6}},
            customdata=np.array([plotted(e.description[:100]) for e in group], dtype=object).reshape(-1, 1),
            hovertemplate="<b>%{y}</b> %{x|%-d %b %Y}<br>%{customdata[0]}<extra>" + kind + "</extra>",
        )
    before = [e for e in items if plan_start is not None and e.date < plan_start]
    if plan_start is not None and items:
        fig.add_shape(
            type="line",
            x0=plan_start.isoformat(),
            x1=plan_start.isoformat(),
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#262730", "width": 1.5, "dash": "dot"},
        )
        # At the foot of the line: the legend runs along the top.
        fig.add_annotation(
            x=plan_start.isoformat(),
            y=0,
            yref="paper",
            text=" Plan starts",
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"color": TEXT_DARK},
        )
    styled(
        fig,
        height=max(240, 80 + 32 * len(refs)),
        yaxis={"categoryorder": "array", "categoryarray": [plotted(r) for r in reversed(refs)], "title": None},
        xaxis={"type": "date", "title": None, "tickformat": "%b %Y"},
    )
    kinds: dict[str, int] = {}
    for e in items:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])
    summary = (
        f"{plural(len(items), 'evidence item')} from {day(items[0].date)} to {day(items[-1].date)}"
        + (": " + ", ".join(f"{n} {k}" for k, n in top) if top else "")
        + (f"; {len(before)} dated before the plan began" if before else "")
        + "."
        if items
        else "No evidence received yet."
    )
    rows = [{"date": e.date, "ref": e.ref, "kind": e.kind, "description": e.description} for e in items]
    return Chart("Evidence received over time", fig, summary, rows)


def measures_progress(measures: Sequence[MeasureStatus]) -> Chart:
    """How far each measure has come from its baseline to its target (100% = target met). Each row's label says
    the value and the target in words under the measure's name ("58% (target 50%) ✔ met"), in the axis's dark
    text: inside a pale bar white text is unreadable, and beside a short bar the target line would cross it."""
    fig = go.Figure()
    # A measure's ref, name and unit are a lead's text: escaped for plotly (the summary and data stay raw).
    labels = [f"{plotted(m.ref)} · {plotted(m.name)}<br><b>{plotted(m.text)}</b>" for m in measures]
    xs = [m.progress if m.progress is not None else 0 for m in measures]
    fig.add_bar(
        y=labels,
        x=xs,
        orientation="h",
        name="Progress to target",
        # The label says "✔ met" in words; a pattern here would only make the bar harder to read.
        marker={"color": [OKABE_ITO["blue"] if m.met else OKABE_ITO["sky"] for m in measures]},
        hovertemplate="%{y}: %{x:.0f}% of the way from baseline to target<extra></extra>",
    )
    # Below the bars, so a bar past its target hides the line rather than the line crossing it.
    fig.add_shape(
        type="line", x0=100, x1=100, y0=0, y1=1, yref="paper", layer="below", line={"color": "black", "dash": "dash"}
    )
    fig.add_annotation(x=100, y=1, yref="paper", text="Target", showarrow=False, yanchor="bottom")
    styled(
        fig,
        height=max(220, 70 + 52 * len(measures)),
        showlegend=False,
        xaxis={"title": "% of the way from baseline to target", "range": [0, max([110, *xs]) * 1.05]},
        yaxis={"tickfont": {"color": TEXT_DARK}},
    )
    fig.update_yaxes(autorange="reversed")
    met = [m for m in measures if m.met]
    open_ = [m for m in measures if m.progress is not None and m.progress < 100]
    summary = f"{plural(len(measures), 'measure')}: "
    summary += (
        f"{listing([m.name for m in met])} {'has' if len(met) == 1 else 'have'} met the target"
        if met
        else "none has reached its target yet"
    )
    if open_:
        worst = min(open_, key=lambda m: m.progress or 0.0)
        summary += f"; the furthest behind is {worst.name} ({worst.ref}) at {worst.progress or 0:.0f}% of the way"
    summary += "."
    rows = [
        {
            "ref": m.ref,
            "name": m.name,
            "latest": m.text,
            "as_of": m.as_of,
            "baseline": m.baseline,
            "target": m.target,
            "progress": m.progress,
        }
        for m in measures
    ]
    return Chart("Measures against their targets", fig, summary, rows)
