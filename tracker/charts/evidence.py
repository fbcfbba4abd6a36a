"""Figures for the Evidence & impact page: evidence over time by kind, and measures against their targets.

Example:
    >>> m = [{"ref": "D3", "name": "Apprentices started", "unit": "people", "baseline": 0.0, "target": 20.0,
    ...       "latest": 13.0, "as_of": "2019-10-01", "progress": 65.0}]
    >>> measures_progress(m).summary
    '1 measure: none has reached its target yet; the furthest behind is Apprentices started (D3) at 65% of the way.'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from tracker.charts import OKABE_ITO, Chart, listing, plural, styled
from tracker.text import plotted

KIND_STYLE = {  # colour and marker shape both differ, so kinds are told apart without colour
    "document": (OKABE_ITO["blue"], "square"),
    "event": (OKABE_ITO["orange"], "circle"),
    "survey": (OKABE_ITO["green"], "diamond"),
    "policy": (OKABE_ITO["purple"], "triangle-up"),
    "award": (OKABE_ITO["vermillion"], "star"),
    "metric": (OKABE_ITO["sky"], "hexagon"),
    "other": (OKABE_ITO["grey"], "x"),
}


def evidence_timeline(items: list[dict[str, Any]], refs: list[str]) -> Chart:
    """Each evidence item as a mark at its date on its action's row; shape and colour by kind."""
    fig = go.Figure()
    for kind, (colour, symbol) in KIND_STYLE.items():
        group = [e for e in items if e["kind"] == kind]
        if not group:
            continue
        # numpy arrays: plotly validates a list element by element, which cost ~1 s for 4,000 items.
        fig.add_scatter(
            x=np.array([e["date"] for e in group], dtype="datetime64[D]"),
            # Refs and descriptions are people's text: plotly would read <a href>, <img> or $…$ in them.
            y=np.array([plotted(e["ref"]) for e in group], dtype=object),
            mode="markers",
            name=kind.capitalize(),
            marker={"symbol": symbol, "size": 13, "color": colour, "line": {"color": "black", "width": 0.6}},
            customdata=np.array([plotted(e["description"][:100]) for e in group], dtype=object).reshape(-1, 1),
            hovertemplate="<b>%{y}</b> %{x}<br>%{customdata[0]}<extra>" + kind + "</extra>",
        )
    styled(
        fig,
        height=max(240, 80 + 32 * len(refs)),
        yaxis={"categoryorder": "array", "categoryarray": [plotted(r) for r in reversed(refs)], "title": None},
        xaxis={"type": "date", "title": None},
    )
    kinds: dict[str, int] = {}
    for e in items:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])
    summary = (
        f"{plural(len(items), 'evidence item')} from {items[0]['date']} to {items[-1]['date']}"
        + (": " + ", ".join(f"{n} {k}" for k, n in top) + "." if top else ".")
        if items
        else "No evidence received yet."
    )
    rows = [{"date": e["date"], "ref": e["ref"], "kind": e["kind"], "description": e["description"]} for e in items]
    return Chart("Evidence received over time", fig, summary, rows)


def _unit(unit: str | None) -> str:
    """' people' after a number, but '%' straight after it: '58%', '18 people'."""
    unit = (unit or "").strip()
    return unit if unit == "%" else f" {unit}" if unit else ""


def measures_progress(measures: list[dict[str, Any]]) -> Chart:
    """How far each measure has come from its baseline to its target (100% = target met)."""
    fig = go.Figure()
    # A measure's ref, name and unit are a lead's text: escaped for plotly (the summary and data stay raw).
    labels = [f"{plotted(m['ref'])} · {plotted(m['name'])}" for m in measures]
    xs = [m["progress"] if m["progress"] is not None else 0 for m in measures]
    fig.add_bar(
        y=labels,
        x=xs,
        orientation="h",
        name="Progress to target",
        # The label says "✔ met" in words; a pattern here would only make the label harder to read.
        marker={"color": [OKABE_ITO["blue"] if x >= 100 else OKABE_ITO["sky"] for x in xs]},
        text=[
            f"{m['latest']:g} of {m['target']:g}{plotted(_unit(m['unit']))}"
            + (" ✔ met" if x >= 100 else f" ({x:.0f}%)")
            if m["target"] is not None
            else f"{m['latest']:g}{plotted(_unit(m['unit']))} (no target)"
            for m, x in zip(measures, xs, strict=True)
        ],
        textposition="auto",
        hovertemplate="%{y}: %{x:.0f}% of the way from baseline to target<extra></extra>",
    )
    # Below the bars, so a bar past its target hides the line rather than the line striking through its label.
    fig.add_shape(
        type="line", x0=100, x1=100, y0=0, y1=1, yref="paper", layer="below", line={"color": "black", "dash": "dash"}
    )
    fig.add_annotation(x=100, y=1, yref="paper", text="Target", showarrow=False, yanchor="bottom")
    styled(
        fig,
        height=max(220, 70 + 40 * len(measures)),
        showlegend=False,
        xaxis={"title": "% of the way from baseline to target", "range": [0, max([110, *xs]) * 1.05]},
    )
    fig.update_yaxes(autorange="reversed")
    met = [m for m, x in zip(measures, xs, strict=True) if m["target"] is not None and x >= 100]
    open_ = [m for m in measures if m["progress"] is not None and m["progress"] < 100]
    summary = f"{plural(len(measures), 'measure')}: "
    summary += (
        f"{listing([m['name'] for m in met])} {'has' if len(met) == 1 else 'have'} met the target"
        if met
        else "none has reached its target yet"
    )
    if open_:
        worst = min(open_, key=lambda m: m["progress"])
        summary += f"; the furthest behind is {worst['name']} ({worst['ref']}) at {worst['progress']:.0f}% of the way"
    summary += "."
    rows = [
        {k: m[k] for k in ("ref", "name", "unit", "baseline", "target", "latest", "as_of", "progress")}
        for m in measures
    ]
    return Chart("Measures against their targets", fig, summary, rows)
