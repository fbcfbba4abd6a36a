"""Chart details that a reader would notice: labels and the target line of the measures chart."""

from __future__ import annotations

from typing import Any

import pytest

from tracker.charts.evidence import measures_progress


def measure(latest: float, target: float | None, unit: str, progress: float | None) -> dict[str, Any]:
    return {
        "ref": "U1",
        "name": "A measure",
        "baseline": 0,
        "latest": latest,
        "target": target,
        "unit": unit,
        "progress": progress,
        "as_of": None,
    }


@pytest.mark.parametrize(
    ("m", "label"),
    [
        (measure(58, 50, "%", 116), "58 of 50% ✔ met"),
        (measure(18, 20, "people", 90), "18 of 20 people (90%)"),
        (measure(3, 4, "", 75), "3 of 4 (75%)"),
        (measure(7, None, "events", None), "7 events (no target)"),
    ],
    ids=["percent", "people", "no-unit", "no-target"],
)
def test_measure_labels_read_as_written(m: dict[str, Any], label: str) -> None:
    chart = measures_progress([m])
    assert chart.figure.data[0].text == (label,)


def test_the_target_line_is_drawn_under_the_bars() -> None:
    chart = measures_progress([measure(58, 50, "%", 116)])
    (line,) = chart.figure.layout.shapes
    assert (line.x0, line.x1, line.layer) == (100, 100, "below")
