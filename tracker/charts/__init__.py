"""Every figure the product draws (pages now, the board pack too), in one colour-blind-safe style.

Figures come from page data built in `tracker.views`; each builder returns a `Chart`: the plotly figure,
a one-sentence summary computed from the data (shown beside the chart and used as alternative text), and
the data table behind it. Status is never shown by colour alone: every status mark carries its word or a
symbol too. Each figure sets the `tracker` template itself, so exporting it from inside the app does not
pick up Streamlit's placeholder colours.

Example:
    >>> STATUS_STYLE["delayed"].label, STATUS_STYLE["delayed"].symbol
    ('Delayed', '✕')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

# Count wording is one helper for the whole product (tracker.text); charts' summaries import it from here too.
from tracker.text import listing, plural

__all__ = ["listing", "plural"]

# Okabe & Ito (2008): distinguishable with every common form of colour blindness, and in greyscale print.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#8C8C8C",
}
PALETTE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]


@dataclass(frozen=True)
class StatusStyle:
    label: str
    colour: str
    symbol: str  # text symbol, for labels and tables
    marker: str  # plotly marker symbol
    pattern: str  # plotly bar pattern, so bars differ in print and without colour


STATUS_STYLE: dict[str, StatusStyle] = {
    "not started": StatusStyle("Not started", OKABE_ITO["grey"], "○", "circle-open", "."),
    "on track": StatusStyle("On track", OKABE_ITO["green"], "●", "circle", ""),
    "at risk": StatusStyle("At risk", OKABE_ITO["orange"], "▲", "triangle-up", "/"),
    "delayed": StatusStyle("Delayed", OKABE_ITO["vermillion"], "✕", "x", "x"),
    "complete": StatusStyle("Complete", OKABE_ITO["blue"], "✔", "star", "+"),
    "suspended": StatusStyle("Suspended", OKABE_ITO["purple"], "‖", "diamond", "-"),
}
PILLAR_COLOURS = {"V": OKABE_ITO["blue"], "R": OKABE_ITO["orange"], "C": OKABE_ITO["green"], "S": OKABE_ITO["purple"]}
SEX_COLOURS = {
    "Female": OKABE_ITO["orange"],
    "Male": OKABE_ITO["blue"],
    "Other": OKABE_ITO["green"],
    "Not known": OKABE_ITO["grey"],
}

pio.templates["tracker"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 13, "color": "#262730"},
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis={"gridcolor": "#E5E5E5", "linecolor": "#888", "zerolinecolor": "#BBB", "automargin": True},
        yaxis={"gridcolor": "#E5E5E5", "linecolor": "#888", "zerolinecolor": "#BBB", "automargin": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"font_size": 13},
    )
)
TEMPLATE = "tracker"


@dataclass
class Chart:
    """A figure with the sentence that says what it shows and the rows it was drawn from."""

    title: str
    figure: go.Figure
    summary: str
    data: list[dict[str, Any]] = field(default_factory=list)


def styled(fig: go.Figure, *, height: int = 380, **layout: Any) -> go.Figure:
    """Apply the tracker template and common layout (every builder ends with this)."""
    fig.update_layout(template=TEMPLATE, height=height, **layout)
    return fig


TEXT_DARK = "#1F2024"  # the charts' label colour on white and on light fills (16:1 on white)


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a '#RRGGBB' colour."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two '#RRGGBB' colours (1 to 21); text needs 4.5.

    Example:
        >>> round(contrast("#FFFFFF", "#E69F00"), 1), round(contrast(TEXT_DARK, "#E69F00"), 1)
        (2.3, 7.2)
    """
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(fill: str) -> str:
    """The label colour for text on a solid `fill`: black or white, whichever contrasts more (one of them
    always reaches 4.5:1; on the palette's vermillion only black does).

    Example:
        >>> text_on("#E69F00"), text_on("#0072B2"), text_on("#D55E00")
        ('#000000', '#FFFFFF', '#000000')
    """
    return "#000000" if contrast("#000000", fill) >= contrast("#FFFFFF", fill) else "#FFFFFF"


def bar_marker(colour: str, pattern: str) -> dict[str, Any]:
    """A bar fill of `colour` with a white `pattern` drawn over it (overlay: 'replace' would hide the colour)."""
    return {
        "color": colour,
        "line": {"color": "white", "width": 0.5},
        "pattern": {
            "shape": pattern,
            "fgcolor": "rgba(255,255,255,0.75)",
            "fillmode": "overlay",
            "size": 7,
            "solidity": 0.25,
        },
    }


def stack_totals(fig: go.Figure, labels: list[str], totals: list[int]) -> None:
    """Write each stacked bar's total just past its end, in dark text on the white plot: a count inside a
    hatched or coloured segment cannot reach 4.5:1 everywhere (the segments' counts are in the data table)."""
    fig.add_scatter(
        y=labels,
        x=totals,
        mode="text",
        text=[f" {n}" for n in totals],
        textposition="middle right",
        textfont={"color": TEXT_DARK},
        showlegend=False,
        hoverinfo="skip",
        cliponaxis=False,
    )


def count_axis(title: str, top: float) -> dict[str, Any]:
    """An axis for whole counts: integer ticks only (no '0 1 1 2 2' from rounded half-steps)."""
    axis: dict[str, Any] = {"title": title, "tickformat": ",d", "rangemode": "tozero"}
    if top <= 10:
        axis["dtick"] = 1
    return axis
