"""One test per HESA rounding rule (PRODUCT.md, "Board pack")."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.disclosure import SUPPRESSED, average, percent, round5, rounded_rows, shown
from tracker.records import WorkforceCell


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [(0, 0), (1, 0), (2, 0), (2.4, 0), (2.49, 0), (3, 5), (7.4, 5), (12, 10), (13, 15), (1044.6, 1045), (1047, 1045)],
)
def test_counts_and_fte_round_to_the_nearest_5(exact: float, rounded: int) -> None:
    assert round5(exact) == rounded


@pytest.mark.parametrize(("exact", "rounded"), [(2.5, 5), (7.5, 10), (12.5, 15), (1042.5, 1045)])
def test_halves_round_up(exact: float, rounded: int) -> None:
    assert round5(exact) == rounded


def test_under_two_and_a_half_becomes_zero_even_with_float_dust() -> None:
    assert round5(0.1 + 0.2 + 2.0) == 0  # 2.3000000000000003
    assert round5(sum([0.5] * 5)) == 5  # exactly 2.5 built from parts
    assert round5(2.4999999997) == 5  # 2.5 that arrived as float dust from summed FTE


@pytest.mark.parametrize(
    ("part", "population", "expected"),
    [(5, 22, SUPPRESSED), (5, 22.4, SUPPRESSED), (0, 0, SUPPRESSED), (9, 22.5, 40.0), (30, 120, 25.0)],
)
def test_percentages_suppressed_under_22_5(part: float, population: float, expected: object) -> None:
    assert percent(part, population) == expected


@pytest.mark.parametrize(("values", "expected"), [([30.0] * 7, SUPPRESSED), ([30.0] * 8, 30.0), ([], SUPPRESSED)])
def test_averages_suppressed_on_7_or_fewer_people(values: list[float], expected: object) -> None:
    assert average(values) == expected


def test_average_uses_the_people_it_rests_on() -> None:
    assert average([40.0, 42.0], people=3) == SUPPRESSED
    assert average([40.0, 42.0], people=8) == 41.0


def test_suppressed_cells_show_as_two_dots() -> None:
    assert shown(SUPPRESSED) == ".."
    assert shown(None) == ".."
    assert shown(1045) == "1,045"
    assert shown(42.5, suffix="%") == "42.5%"


def test_rounded_rows_round_only_count_columns() -> None:
    rows = [WorkforceCell(date(2018, 7, 31), "Laws", "Female", 7, 6.2)]
    assert rounded_rows(rows) == [WorkforceCell(date(2018, 7, 31), "Laws", "Female", 5, 5)]
    assert rows[0].headcount == 7  # copies: the exact figures are untouched
