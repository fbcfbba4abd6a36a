"""Every label on every chart the app and the board pack draw reads at 4.5:1 or better (WCAG 2.2 AA, 1.4.3).

axe-core cannot see text inside plotly's SVG, so this test reads the figures themselves, on the demo data: a
bar's label drawn inside the bar must be in a colour set for that fill that reaches 4.5:1 against it, and never
on a patterned (hatched) fill, whose white marks cut through the letters; a label outside the bars, or a text
trace, must reach 4.5:1 against the chart's white background.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import plotly.graph_objects as go
import pytest
from sqlmodel import Session

from tracker.charts import Chart, contrast
from tracker.db import make_engine
from tracker.views.changes import changes_view
from tracker.views.evidence import evidence_view
from tracker.views.home import home_view
from tracker.views.pillars import pillars_view
from tracker.views.plan import plan_view
from tracker.views.workforce import workforce_view

AS_OF = date(2020, 10, 31)  # the demo's last update round
MINIMUM = 4.5
BACKGROUND = "#FFFFFF"  # every chart's paper and plot (the tracker template)


def _hex(colour: Any) -> str | None:
    """'#RRGGBB' for a plotly colour given as hex or rgb()/rgba() (None for anything else)."""
    if not isinstance(colour, str):
        return None
    c = colour.strip()
    if c.startswith("#") and len(c) == 7:
        return c.upper()
    if c.startswith("rgb"):
        parts = [p.strip() for p in c[c.index("(") + 1 : c.index(")")].split(",")][:3]
        return "#" + "".join(f"{int(float(p)):02X}" for p in parts)
    if c.lower() == "white":
        return "#FFFFFF"
    if c.lower() == "black":
        return "#000000"
    return None


def _each(value: Any, n: int) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return list(value)
    except ImportError:  # pragma: no cover
        pass
    return [value] * n


def labels(fig: go.Figure) -> Iterator[tuple[str, str, str | None, str | None, bool]]:
    """(trace name, label, text colour, colour behind it, behind-is-patterned) for every visible text label."""
    template_text = _hex(fig.layout.font.color) or _hex(fig.layout.template.layout.font.color) or "#444444"
    for trace in fig.data:
        texts = getattr(trace, "text", None)
        if texts is None:
            continue
        n = (
            len(texts)
            if isinstance(texts, (list, tuple)) or (hasattr(texts, "__len__") and not isinstance(texts, str))
            else 1
        )
        texts = _each(texts, n)
        font = getattr(trace, "textfont", None)
        colours = _each(font.color if font is not None and font.color is not None else None, n)
        if trace.type == "bar":
            position = trace.textposition or "auto"
            positions = _each(position, n)
            marker = trace.marker
            fills = _each(marker.color, n)
            patterned = bool(marker.pattern and marker.pattern.shape not in (None, "", [""]))
            for i, text in enumerate(texts):
                if not text:
                    continue
                inside = positions[i] in ("inside", "auto")
                if inside:
                    yield trace.name or "", str(text), _hex(colours[i]), _hex(fills[i]), patterned
                else:
                    yield trace.name or "", str(text), _hex(colours[i]) or template_text, BACKGROUND, False
        elif "text" in (getattr(trace, "mode", "") or ""):
            for i, text in enumerate(texts):
                if text:
                    yield trace.name or "", str(text), _hex(colours[i]) or template_text, BACKGROUND, False


def demo_charts(url: str) -> list[Chart]:
    with Session(make_engine(url)) as s:
        charts: list[Chart] = []
        home = home_view(session=s, as_of=AS_OF)
        charts += [home.by_status] if home.by_status else []
        plan = plan_view(session=s, as_of=AS_OF)
        charts += [c for c in (plan.timeline, plan.by_status) if c is not None]
        charts += pillars_view(session=s, as_of=AS_OF).charts
        charts += evidence_view(session=s, as_of=AS_OF).charts
        charts += workforce_view(session=s).charts
        changes = changes_view(session=s, start=date(2019, 10, 31), end=AS_OF)
        charts += [changes.status_chart] if changes.status_chart else []
        from tracker.report.charts import status_by_theme

        by_theme: dict[str, dict[str, int]] = {}
        for a in plan.actions:
            by_theme.setdefault(a.theme, {})[a.status] = by_theme.get(a.theme, {}).get(a.status, 0) + 1
        charts.append(status_by_theme(by_theme))
    return charts


@pytest.fixture(scope="module")
def charts(demo_file: Any) -> list[Chart]:
    return demo_charts(f"sqlite:///{demo_file}")


def test_the_demo_draws_the_charts_this_test_reads(charts: list[Chart]) -> None:
    titles = {c.title for c in charts}
    assert len(charts) >= 8, titles
    assert sum(1 for c in charts for _ in labels(c.figure)) >= 20, "too few labels found: the reader is broken"


def test_every_chart_label_reads_at_4_5_to_1(charts: list[Chart]) -> None:
    bad = []
    for chart in charts:
        for name, text, fg, bg, patterned in labels(chart.figure):
            where = f"{chart.title} / {name or 'trace'}: {text!r}"
            if patterned:
                bad.append(f"{where} is drawn on a hatched fill")
            elif fg is None or bg is None:
                bad.append(f"{where}: text colour {fg} on {bg} is not set explicitly (plotly would choose it)")
            elif contrast(fg, bg) < MINIMUM:
                bad.append(f"{where}: {fg} on {bg} is {contrast(fg, bg):.1f}:1")
    assert not bad, "labels under 4.5:1:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("fg", "bg", "ok"),
    [("#FFFFFF", "#E69F00", False), ("#000000", "#E69F00", True), ("#FFFFFF", "#0072B2", True)],
)
def test_the_contrast_check_itself(fg: str, bg: str, ok: bool) -> None:
    assert (contrast(fg, bg) >= MINIMUM) is ok
