"""HESA rounding for staff figures in anything shown or exported (PRODUCT.md, "Board pack").

Counts and FTE are rounded to the nearest 5 (under 2.5 becomes 0, halves round up); a percentage is
suppressed where its population is under 22.5; an average is suppressed where it rests on 7 or fewer
people. Suppressed cells are shown as `..`. Totals are rounded from the exact total, never summed from
rounded parts.

Example:
    >>> round5(2.4), round5(2.5), round5(7.5), round5(1044.6)
    (0, 5, 10, 1045)
    >>> percent(7, 20), percent(30, 120)
    ('..', 25.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

SUPPRESSED = ".."
MIN_PERCENT_POPULATION = 22.5
MAX_AVERAGE_SUPPRESSED = 7


def round5(x: float | int | None) -> int:
    """Round a count or FTE to the nearest 5; under 2.5 is 0 and halves go up (2.5 → 5, 7.5 → 10)."""
    if x is None:
        return 0
    # Sums of FTE carry float dust (2.4999999997): settle to 6 places before deciding the half.
    v = round(float(x), 6)
    if v < 2.5:
        return 0
    return int(math.floor(v / 5 + 0.5) * 5)


def percent(part: float, population: float, *, digits: int = 1) -> float | str:
    """`part` as a percentage of `population`, or `..` when the population is under 22.5."""
    if population < MIN_PERCENT_POPULATION or population <= 0:
        return SUPPRESSED
    return round(100 * part / population, digits)


def average(values: Sequence[float], *, people: int | None = None, digits: int = 1) -> float | str:
    """The mean of `values`, or `..` when it rests on 7 or fewer people (`people` defaults to len)."""
    n = len(values) if people is None else people
    if n <= MAX_AVERAGE_SUPPRESSED or not values:
        return SUPPRESSED
    return round(sum(values) / len(values), digits)


def rounded_rows(rows: Iterable[R], *, counts: Sequence[str] = ("headcount", "fte")) -> list[R]:
    """Copies of the records `rows` (frozen dataclasses) with their `counts` fields rounded by `round5`
    (other fields, and counts that are None, untouched).

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Cell:
        ...     faculty: str
        ...     headcount: int
        ...     fte: float
        >>> rounded_rows([Cell("Laws", 6, 5.4)])
        [Cell(faculty='Laws', headcount=5, fte=5)]
    """
    out = []
    for r in rows:
        values = {c: round5(v) for c in counts if (v := getattr(r, c, None)) is not None}
        out.append(replace(r, **values))
    return out


def shown(v: float | int | str | None, *, suffix: str = "") -> str:
    """Display text for a possibly suppressed value: `..` stays `..`; numbers get thousands separators."""
    if v is None or v == SUPPRESSED:
        return SUPPRESSED
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}{suffix}"
    return f"{int(v):,}{suffix}" if isinstance(v, (int, float)) else f"{v}{suffix}"
