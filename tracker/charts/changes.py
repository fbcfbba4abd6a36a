"""Figure for the What changed page: actions by status on the two dates being compared.

Example:
    >>> from datetime import date
    >>> chart = status_movement({"on track": 5, "at risk": 1}, {"on track": 4, "delayed": 1, "at risk": 1},
    ...                         start=date(2019, 12, 31), end=date(2020, 7, 31))
    >>> chart.summary
    'From 31 Dec 2019 to 31 Jul 2020: on track 5 → 4, delayed 0 → 1; unchanged: at risk 1.'
"""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go

from tracker.charts import OKABE_ITO, STATUS_STYLE, Chart, bar_marker, count_axis, styled


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def status_movement(at_start: dict[str, int], at_end: dict[str, int], *, start: date, end: date) -> Chart:
    """Actions per status on `start` (hatched) and on `end` (solid), side by side, each bar labelled with its
    count and each status with its symbol and word (never colour alone)."""
    statuses = [s for s in STATUS_STYLE if at_start.get(s) or at_end.get(s)]
    labels = [f"{STATUS_STYLE[s].symbol} {STATUS_STYLE[s].label}" for s in statuses]
    before = [at_start.get(s, 0) for s in statuses]
    after = [at_end.get(s, 0) for s in statuses]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=before,
        orientation="h",
        name=f"On {_day(start)}",
        marker=bar_marker(OKABE_ITO["sky"], "/"),
        text=[str(n) for n in before],
        textposition="outside",
        hovertemplate="%{y}: %{x} on " + _day(start) + "<extra></extra>",
    )
    fig.add_bar(
        y=labels,
        x=after,
        orientation="h",
        name=f"On {_day(end)}",
        marker={"color": OKABE_ITO["blue"]},
        text=[str(n) for n in after],
        textposition="outside",
        hovertemplate="%{y}: %{x} on " + _day(end) + "<extra></extra>",
    )
    styled(
        fig,
        height=110 + 56 * max(len(statuses), 1),
        barmode="group",
        legend_traceorder="normal",
    )
    fig.update_yaxes(autorange="reversed")
    top = max([*before, *after, 1])
    # Room on the right for the outside labels; ticks every 1 only while there are few (a large plan has 100s).
    fig.update_xaxes(**count_axis("Actions", top), range=[0, top * 1.2])

    moved = [
        f"{STATUS_STYLE[s].label.lower()} {b} → {a}" for s, b, a in zip(statuses, before, after, strict=True) if a != b
    ]
    same = [f"{STATUS_STYLE[s].label.lower()} {b}" for s, b, a in zip(statuses, before, after, strict=True) if a == b]
    if not statuses:
        summary = "No actions to compare."
    elif not moved:
        summary = f"Actions by status are the same on {_day(start)} and {_day(end)}: " + ", ".join(same) + "."
    else:
        kept = f"; unchanged: {', '.join(same)}" if same else ""
        summary = f"From {_day(start)} to {_day(end)}: " + ", ".join(moved) + kept + "."
    rows = [
        {"Status": lab, f"On {_day(start)}": b, f"On {_day(end)}": a, "Change": a - b}
        for lab, b, a in zip(labels, before, after, strict=True)
    ]
    return Chart("Actions by status on the two dates", fig, summary, rows)
