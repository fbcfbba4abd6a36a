"""The cell parsers every loader shares: dates, periods, pillars, owners, bullets, header text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker.ingest.cells import (
    clean_bullets,
    col_letter,
    is_mark,
    norm,
    parse_date,
    parse_period,
    pillars_from_words,
    split_evidence,
    split_owners,
)
from tracker.ingest.updates import parse_percent

START = date(2018, 11, 1)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        (datetime(2019, 5, 17, 0, 0), date(2019, 5, 17), date(2019, 5, 17)),
        ("31/10/2018", date(2018, 10, 31), date(2018, 10, 31)),
        ("31/07/2019 00:00", date(2019, 7, 31), date(2019, 7, 31)),
        ("31/07/2019 13:45:10", date(2019, 7, 31), date(2019, 7, 31)),
        ("2019-05-01", date(2019, 5, 1), date(2019, 5, 1)),
        ("May-19", date(2019, 5, 1), date(2019, 5, 31)),
        ("Dec 2019", date(2019, 12, 1), date(2019, 12, 31)),
        ("Sept 2019", date(2019, 9, 1), date(2019, 9, 30)),
        ("1 March 2020", date(2020, 3, 1), date(2020, 3, 1)),
        ("Q3 2019", date(2019, 7, 1), date(2019, 9, 30)),
        ("Y1", date(2018, 11, 1), date(2019, 10, 31)),
        ("Y2", date(2019, 11, 1), date(2020, 10, 31)),
        (43500, date(2019, 2, 4), date(2019, 2, 4)),
        ("31/02/2019", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_parse_date(value: object, start: date | None, end: date | None) -> None:
    assert parse_date(value, plan_start=START) == start  # type: ignore[arg-type]
    assert parse_date(value, end=True, plan_start=START) == end  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jan 2019 – Dec 2019", (date(2019, 1, 1), date(2019, 12, 31))),
        ("May-19 - Dec-19", (date(2019, 5, 1), date(2019, 12, 31))),
        ("Sept 2019 to March 2020", (date(2019, 9, 1), date(2020, 3, 31))),
        ("Y1-Y2", (date(2018, 11, 1), date(2020, 10, 31))),
        ("Y1/Y2", (date(2018, 11, 1), date(2020, 10, 31))),
        ("Y1-2", (date(2018, 11, 1), date(2020, 10, 31))),
        ("By Dec 2019", (None, date(2019, 12, 31))),
        ("before 31/10/2019", (None, date(2019, 10, 31))),
        ("In Q3 2019", (date(2019, 7, 1), date(2019, 9, 30))),
        ("Ongoing", (None, None)),
        ("when funding allows", None),
    ],
)
def test_parse_period(value: str, expected: tuple[date | None, date | None] | None) -> None:
    assert parse_period(value, plan_start=START) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Département", "departement"),
        ("Pillar(s)", "pillars"),
        ("Delivery & Success", "delivery and success"),
        ("% complete", "percent complete"),
        ("  Who?  ", "who"),
    ],
)
def test_norm_header_text(header: str, expected: str) -> None:
    assert norm(header) == expected


@pytest.mark.parametrize(
    ("words", "letters"),
    [
        ("Career Development", "C"),
        ("Visibility and sustainability", "VS"),
        ("V, R", "VR"),
        ("CD", "C"),
        ("R/S", "RS"),
        ("Sustainability; Recognition; Visibility", "VRS"),
        ("", ""),
    ],
)
def test_pillars_from_words(words: str, letters: str) -> None:
    assert pillars_from_words(words) == letters


@pytest.mark.parametrize(
    ("mark", "ticked"),
    [
        ("X", True),
        ("x", True),
        ("✓", True),
        ("Yes", True),
        (1, True),
        (True, True),
        ("No", False),
        (None, False),
        (0, False),
    ],
)
def test_is_mark(mark: object, ticked: bool) -> None:
    assert is_mark(mark) is ticked  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "owners"),
    [
        (
            "OD/Heads of HR/Technician Commitment Working Group",
            ["OD", "Heads of HR", "Technician Commitment Working Group"],
        ),
        ("VP Research, Deans; HR and Estates", ["VP Research", "Deans", "HR", "Estates"]),
        ("Research & Innovation", ["Research & Innovation"]),
        ("OD/ COP Sponsors/OD", ["OD", "COP Sponsors"]),
    ],
)
def test_split_owners(cell: str, owners: list[str]) -> None:
    assert split_owners(cell) == owners


def test_bullets_and_evidence() -> None:
    assert clean_bullets('<ul style="list-style-type: none"> Agree scope') == "Agree scope"
    assert clean_bullets("- one\n* two\n1. three") == "• one\n• two\n• three"
    text, items = split_evidence("Develop skills (Evidence: from COP Sponsors; R&I Board)")
    assert (text, items) == ("Develop skills", ["COP Sponsors", "R&I Board"])
    assert split_evidence("Clarity. (Evidence from Career Pathway Advisory Groups)")[1] == [
        "Career Pathway Advisory Groups"
    ]


@pytest.mark.parametrize(
    ("value", "percent"), [(40, 40), ("40%", 40), (0.4, 40), ("0.4", 40), ("0.4%", 0), ("100", 100), (None, None)]
)
def test_parse_percent(value: object, percent: int | None) -> None:
    assert parse_percent(value) == percent  # type: ignore[arg-type]


def test_col_letter() -> None:
    assert [col_letter(j) for j in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
