"""Chart details that a reader would notice: labels and the target line of the measures chart."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.charts import contrast
from tracker.charts.evidence import measures_progress
from tracker.views.evidence import MeasureStatus


def measure(latest: float, target: float | None, unit: str, progress: float | None) -> MeasureStatus:
    return MeasureStatus("U1", "A measure", unit, 0, target, latest=latest, as_of=date(2020, 10, 1), progress=progress)


@pytest.mark.parametrize(
    ("m", "label"),
    [
        (measure(58, 50, "%", 116), "58% (target 50%) ✔ met"),
        (measure(18, 20, "people", 90), "18 people (target 20 people) 90% of the way"),
        (measure(3, 4, "", 75), "3 (target 4) 75% of the way"),
        (measure(7, None, "events", None), "7 events (no target)"),
    ],
    ids=["percent", "people", "no-unit", "no-target"],
)
def test_measure_labels_read_as_written(m: MeasureStatus, label: str) -> None:
    chart = measures_progress([m])
    (bar,) = chart.figure.data
    # The words sit under the measure's name in the axis label, in dark text on white: no bar or target line
    # crosses them.
    assert bar.y == (f"U1 · A measure<br><b>{label}</b>",)
    assert not bar.text
    assert contrast(chart.figure.layout.yaxis.tickfont.color, "#FFFFFF") >= 4.5


def test_the_target_line_is_drawn_under_the_bars() -> None:
    chart = measures_progress([measure(58, 50, "%", 116)])
    (line,) = chart.figure.layout.shapes
    assert (line.x0, line.x1, line.layer) == (100, 100, "below")
