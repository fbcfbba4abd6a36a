"""Figures for the Workforce & gender page: FTE by faculty, gender balance by faculty and by grade, trends.

The builders take figures that are already rounded (or exact) as the page shows them, and percentages
already computed on exact figures (or `..` where suppressed); they never round or compute shares themselves.

Example:
    >>> chart = gender_balance(
    ...     [Balance("Engineering", 155, {"Female": 18.7, "Male": 80.6, "Not known": 0.6}),
    ...      Balance("Laws", 5, {"Female": "..", "Male": "..", "Not known": ".."})],
    ...     category="faculty", flagged={"Engineering": ("Male", 80.6)}, threshold=0.7,
    ...     when=date(2018, 7, 31), rounded=True)
    >>> print(chart.summary.replace("; ", ";\\n"))
    1 faculty is past the 70% imbalance threshold at 31 Jul 2018: Engineering (81% male);
    Laws has fewer than 23 staff, so its percentages are not shown (..). Headcounts rounded to the nearest 5 (HESA);
    percentages from exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go

from tracker.charts import OKABE_ITO, PALETTE, SEX_COLOURS, Chart, listing, plural, styled, text_on
from tracker.disclosure import SUPPRESSED, shown
from tracker.text import day, plotted

ROUNDED_NOTE = "Figures rounded to the nearest 5 (HESA)."
SHARE_NOTE = "Headcounts rounded to the nearest 5 (HESA); percentages from exact figures."
SEX_SHORT = {"Female": "F", "Male": "M", "Other": "O", "Not known": "NK"}
SUPPRESSED_COLOUR = "#EDEDED"
TEXT_ANCHOR = {"Female": "start", "Male": "end"}
# Each line differs by marker and dash too, so a series never rests on colour alone.
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star", "triangle-down", "pentagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


@dataclass(frozen=True)
class Balance:
    """One bar of a gender-balance chart: a faculty or grade, its headcount as shown, and each sex's share
    of headcount in percent (computed on exact figures) or `..` when the group is too small to show."""

    name: str
    headcount: int | float
    percents: dict[str, float | str]

    @property
    def suppressed(self) -> bool:
        return any(v == SUPPRESSED for v in self.percents.values())


@dataclass(frozen=True)
class TrendPoint:
    """One snapshot of one series (all faculties, or one faculty), figures as shown."""

    series: str
    as_of: date
    fte: int | float
    headcount: int | float
    pct_female: float | str


def pct_text(p: float | str, *, digits: int = 1) -> str:
    """'47.3%', or `..` for a suppressed percentage.

    Example:
        >>> pct_text(47.25), pct_text(".."), pct_text(80.6, digits=0)
        ('47.2%', '..', '81%')
    """
    return SUPPRESSED if p == SUPPRESSED or p is None else f"{float(p):.{digits}f}%"


def _bar_height(n: int) -> int:
    return 90 + 30 * max(n, 1)


def fte_by_faculty(rows: list[dict[str, Any]], *, total: int | float, when: date, rounded: bool, scope: str) -> Chart:
    """Horizontal bars of FTE per faculty, largest at the top, each labelled with its value.

    `rows` hold "Faculty", "FTE" and "Headcount" as shown; `total` is the total FTE as shown (rounded from the
    exact total, not summed from rounded parts); `scope` names what the faculties are ("11 faculties").

    Example:
        >>> c = fte_by_faculty([{"Faculty": "Laws", "FTE": 5, "Headcount": 5},
        ...                     {"Faculty": "Life Sciences", "FTE": 210, "Headcount": 220}],
        ...                    total=215, when=date(2018, 7, 31), rounded=True, scope="2 faculties")
        >>> print(c.summary.replace("; ", ";\\n"))
        215 technical staff FTE at 31 Jul 2018 across 2 faculties;
        Life Sciences is largest (210 FTE). Figures rounded to the nearest 5 (HESA).
    """
    ordered = sorted(rows, key=lambda r: (-float(r["FTE"]), r["Faculty"]))
    fig = go.Figure(
        go.Bar(
            y=[plotted(r["Faculty"]) for r in ordered],  # an HR extract's text: plotly reads HTML in it
            x=[r["FTE"] for r in ordered],
            orientation="h",
            marker={"color": OKABE_ITO["blue"]},
            text=[shown(r["FTE"]) for r in ordered],
            textposition="outside",
            cliponaxis=False,
            customdata=[[shown(r["Headcount"])] for r in ordered],
            hovertemplate="%{y}: %{text} FTE (headcount %{customdata[0]})<extra></extra>",
            name="FTE",
        )
    )
    top = max((float(r["FTE"]) for r in ordered), default=0.0)
    styled(fig, height=_bar_height(len(ordered)), showlegend=False, xaxis_title="FTE", margin={"r": 40})
    fig.update_xaxes(range=[0, top * 1.15 or 1], rangemode="tozero")
    fig.update_yaxes(autorange="reversed", automargin=True)
    if ordered:
        first = ordered[0]
        summary = (
            f"{shown(total)} technical staff FTE at {day(when)} across {scope}; "
            f"{first['Faculty']} is largest ({shown(first['FTE'])} FTE)."
        )
    else:
        summary = f"No technical staff recorded at {day(when)} in {scope}."
    if rounded:
        summary += " " + ROUNDED_NOTE
    data = [{"Faculty": r["Faculty"], "FTE": r["FTE"], "Headcount": r["Headcount"]} for r in ordered]
    return Chart("Technical staff FTE by faculty", fig, summary, data)


def _balance_figure(bars: list[Balance], sexes: list[str], *, threshold: float | None) -> go.Figure:
    fig = go.Figure()
    # Faculty and grade names are an HR extract's text: plotly would read <a href>, <img> or $…$ in them.
    names = [plotted(b.name) for b in bars]
    for sex in sexes:
        values = [b.percents.get(sex, 0.0) for b in bars]
        xs = [0.0 if v == SUPPRESSED else float(v) for v in values]
        fig.add_bar(
            y=names,
            x=xs,
            orientation="h",
            name=sex,
            marker={"color": SEX_COLOURS.get(sex, OKABE_ITO["grey"]), "line": {"color": "white", "width": 1}},
            # The share and the sex's initial on the bar itself: colour is never the only signal.
            text=["" if v == SUPPRESSED else f"{float(v):.0f}% {SEX_SHORT.get(sex, sex)}" for v in values],
            textposition="inside",
            # Black or white, whichever reads at 4.5:1 or better on this sex's colour.
            textfont={"color": text_on(SEX_COLOURS.get(sex, OKABE_ITO["grey"]))},
            # Female reads from the left edge, Male from the right: clear of the threshold lines at 30% and 70%.
            insidetextanchor=TEXT_ANCHOR.get(sex, "middle"),
            hovertemplate=f"%{{y}}: {sex} %{{x:.1f}}%<extra></extra>",
        )
    hidden = [b for b in bars if b.suppressed]
    if hidden:
        fig.add_bar(
            y=[plotted(b.name) for b in hidden],
            x=[100.0] * len(hidden),
            orientation="h",
            name="Too few to show (..)",
            marker={"color": SUPPRESSED_COLOUR, "line": {"color": "#BBBBBB", "width": 1}},
            text=[f"{SUPPRESSED}  fewer than 23 staff"] * len(hidden),
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": "#262730"},
            hovertemplate="%{y}: fewer than 23 staff, percentages not shown<extra></extra>",
        )
    styled(
        fig,
        height=_bar_height(len(bars)) + 30,
        barmode="stack",
        uniformtext={"minsize": 10, "mode": "hide"},
        xaxis_title="Share of headcount",
        legend={"traceorder": "normal"},
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%", dtick=20)
    fig.update_yaxes(autorange="reversed", automargin=True, categoryorder="array", categoryarray=names)
    if threshold is not None:
        lines = sorted({round(100 * (1 - threshold), 1), round(100 * threshold, 1)})
        for x in lines:
            fig.add_vline(x=x, line={"color": "#555555", "dash": "dot", "width": 1})
        marks = " and ".join(f"{x:g}%" for x in lines)
        fig.update_xaxes(title_text=f"Share of headcount (dotted lines: the {marks} imbalance thresholds)")
    return fig


def _balance_data(bars: list[Balance], sexes: list[str], category: str) -> list[dict[str, Any]]:
    return [
        {category.capitalize(): b.name, "Headcount": b.headcount}
        | {f"% {s.lower()}": pct_text(b.percents.get(s, 0.0)) for s in sexes}
        for b in bars
    ]


def _sexes(bars: list[Balance]) -> list[str]:
    present = {s for b in bars for s, v in b.percents.items() if v != SUPPRESSED and float(v) > 0}
    return [s for s in SEX_COLOURS if s in ("Female", "Male") or s in present]


def gender_balance(
    bars: list[Balance],
    *,
    category: str,
    when: date,
    rounded: bool,
    threshold: float | None = None,
    flagged: dict[str, tuple[str, float]] | None = None,
) -> Chart:
    """100% stacked horizontal bars of each sex's share of headcount per faculty (or grade), in the order given.

    `flagged` maps the faculties past `threshold` to their dominant sex and its percentage (("Male", 80.6));
    when it is given the summary
    lists them, otherwise it names the groups with the highest and lowest share of women. Groups whose
    percentages are suppressed get one pale bar labelled `..`.
    """
    sexes = _sexes(bars)
    fig = _balance_figure(bars, sexes, threshold=threshold)
    plural_cat = "faculties" if category == "faculty" else category + "s"
    hidden = [b.name for b in bars if b.suppressed]
    if flagged is not None and threshold is not None:
        t = f"{100 * threshold:.0f}%"
        parts = [f"{name} ({pct_text(p, digits=0)} {sex.lower()})" for name, (sex, p) in flagged.items()]
        if parts:
            verb = "is" if len(parts) == 1 else "are"
            lead = (
                f"{plural(len(parts), category, plural_cat)} {verb} past the {t} imbalance threshold at "
                f"{day(when)}: {listing(parts, limit=6)}"
            )
        else:
            lead = f"No {category} is past the {t} imbalance threshold at {day(when)}"
    else:
        shown_bars = [b for b in bars if not b.suppressed]
        if shown_bars:
            hi = max(shown_bars, key=lambda b: float(b.percents.get("Female", 0.0)))
            lo = min(shown_bars, key=lambda b: float(b.percents.get("Female", 0.0)))
            lead = f"At {day(when)} women are {pct_text(hi.percents.get('Female', 0.0), digits=0)} of {hi.name} staff"
            if lo is not hi:
                lead += f" and {pct_text(lo.percents.get('Female', 0.0), digits=0)} of {lo.name} staff"
        else:
            lead = f"At {day(when)} no {category} has enough staff to show percentages"
    if hidden:
        verb = "has" if len(hidden) == 1 else "have"
        its = "its" if len(hidden) == 1 else "their"
        names = listing(hidden, limit=3)
        lead += f"; {names} {verb} fewer than 23 staff, so {its} percentages are not shown ({SUPPRESSED})"
    summary = lead + "."
    if rounded:
        summary += " " + SHARE_NOTE
    title = f"Gender balance by {category}"
    return Chart(title, fig, summary, _balance_data(bars, sexes, category))


def _series_style(i: int) -> dict[str, Any]:
    colour = OKABE_ITO["black"] if i == 0 else PALETTE[(i - 1) % len(PALETTE)]
    return {
        "line": {"color": colour, "dash": DASHES[i % len(DASHES)], "width": 3 if i == 0 else 2},
        "marker": {"color": colour, "symbol": MARKERS[i % len(MARKERS)], "size": 9},
    }


def _series(points: list[TrendPoint]) -> dict[str, list[TrendPoint]]:
    out: dict[str, list[TrendPoint]] = {}
    for p in points:
        out.setdefault(p.series, []).append(p)
    return out


def _snapshot_axis(fig: go.Figure, points: list[TrendPoint]) -> None:
    """One tick per snapshot, labelled with its month (snapshots are dates, not calendar years)."""
    dates = sorted({p.as_of for p in points})
    fig.update_xaxes(
        type="date", tickvals=[d.isoformat() for d in dates], ticktext=[f"{d:%b %Y}" for d in dates], showgrid=False
    )


def _trend_data(points: list[TrendPoint]) -> list[dict[str, Any]]:
    return [
        {
            "Snapshot": p.as_of,
            "Series": p.series,
            "FTE": p.fte,
            "Headcount": p.headcount,
            "% female": pct_text(p.pct_female),
        }
        for p in points
    ]


def fte_trend(points: list[TrendPoint], *, rounded: bool) -> Chart:
    """Lines with markers: FTE at each snapshot, one line per series (the first is all faculties).

    Example:
        >>> pts = [TrendPoint("All faculties", date(2018, 7, 31), 1045, 1100, 47.4),
        ...        TrendPoint("All faculties", date(2019, 7, 31), 1070, 1130, 47.9)]
        >>> print(fte_trend(pts, rounded=True).summary.replace(". ", ".\\n"))
        Technical staff FTE went from 1,045 at 31 Jul 2018 to 1,070 at 31 Jul 2019 (2 snapshots).
        Figures rounded to the nearest 5 (HESA).
    """
    fig = go.Figure()
    groups = _series(points)
    for i, (name, pts) in enumerate(groups.items()):
        fig.add_scatter(
            x=[p.as_of.isoformat() for p in pts],
            y=[p.fte for p in pts],
            mode="lines+markers",
            name=plotted(name),
            # The name by reference, not inside the template: a "%{y}" in a faculty's name would be filled in.
            hovertemplate="%{fullData.name}, %{x|%d %b %Y}: %{y:,} FTE<extra></extra>",
            **_series_style(i),
        )
    styled(fig, height=320, yaxis_title="FTE", showlegend=len(groups) > 1)
    _snapshot_axis(fig, points)
    fig.update_yaxes(rangemode="tozero")
    first_series = next(iter(groups.values()), [])
    if len(first_series) > 1:
        a, b = first_series[0], first_series[-1]
        summary = (
            f"Technical staff FTE went from {shown(a.fte)} at {day(a.as_of)} to {shown(b.fte)} at "
            f"{day(b.as_of)} ({plural(len(first_series), 'snapshot')})."
        )
    elif first_series:
        a = first_series[0]
        summary = (
            f"Only one snapshot is loaded ({day(a.as_of)}: {shown(a.fte)} FTE); load another HR extract to see a trend."
        )
    else:
        summary = "No workforce snapshot is loaded."
    if rounded:
        summary += " " + ROUNDED_NOTE
    return Chart("Technical staff FTE over time", fig, summary, _trend_data(points))


def female_share_trend(points: list[TrendPoint], *, rounded: bool, threshold: float | None = None) -> Chart:
    """Lines with markers: women's share of headcount at each snapshot per series; suppressed points are gaps.

    Example:
        >>> pts = [TrendPoint("All faculties", date(2018, 7, 31), 1045, 1100, 47.4),
        ...        TrendPoint("All faculties", date(2019, 7, 31), 1070, 1130, 47.9)]
        >>> female_share_trend(pts, rounded=False).summary
        'Women were 47.4% of technical staff headcount at 31 Jul 2018 and 47.9% at 31 Jul 2019.'
    """
    fig = go.Figure()
    groups = _series(points)
    for i, (name, pts) in enumerate(groups.items()):
        fig.add_scatter(
            x=[p.as_of.isoformat() for p in pts],
            y=[None if p.pct_female == SUPPRESSED else p.pct_female for p in pts],
            mode="lines+markers",
            name=plotted(name),
            connectgaps=False,
            hovertemplate="%{fullData.name}, %{x|%d %b %Y}: %{y:.1f}% female<extra></extra>",
            **_series_style(i),
        )
    styled(fig, height=360, yaxis_title="Women, % of headcount", showlegend=len(groups) > 1)
    _snapshot_axis(fig, points)
    fig.update_yaxes(range=[0, 100], ticksuffix="%", dtick=10)
    fig.add_hline(y=50, line={"color": "#999999", "width": 1})
    if threshold is not None:
        for y in sorted({round(100 * (1 - threshold), 1), round(100 * threshold, 1)}):
            fig.add_hline(y=y, line={"color": "#262730", "dash": "dot", "width": 1})
    parts, small = [], []
    for name, pts in groups.items():
        known = [p for p in pts if p.pct_female != SUPPRESSED]
        who = "technical staff headcount" if name == "All faculties" else f"{name} staff"
        if not known:
            small.append(name)
        elif len(known) == 1:
            parts.append(f"{pct_text(known[0].pct_female)} of {who} at {day(known[0].as_of)}")
        else:
            a, b = known[0], known[-1]
            parts.append(
                f"{pct_text(a.pct_female)} of {who} at {day(a.as_of)} and {pct_text(b.pct_female)} at {day(b.as_of)}"
            )
    if parts:
        summary = "Women were " + "; ".join(parts[:4])
        if small:
            summary += f" ({listing(small)}: fewer than 23 staff, not shown)"
        summary += "."
    elif small:
        summary = f"{listing(small)}: fewer than 23 staff, so women's share is not shown."
    else:
        summary = "No workforce snapshot is loaded."
    if rounded:
        summary += " " + SHARE_NOTE
    return Chart("Women's share of headcount over time", fig, summary, _trend_data(points))
