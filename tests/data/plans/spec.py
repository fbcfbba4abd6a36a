"""The shape of one transcribed real plan in the corpus: how to build its workbook, and what loading it must give.

Each `plans_*.py` module beside this one defines `PLANS: list[PlanSpec]`. Expected values are decided from the
published text *before* the loader is run on the workbook, and never adjusted to match what the loader gives.
`make_plans.py` writes every workbook to this folder (`<slug>.xlsx`) and `expected.json`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ExpectedAction:
    """One action as the loader must store it. `activity` is the start of the activity text as published
    (enough to tell the actions apart); `pillars` the letters in VRCS order ("" when the plan gives none);
    `due` the due date the published timescale means (None: the plan's end, i.e. no timescale given)."""

    activity: str
    pillars: str
    due: date | None = None
    ref: str | None = None  # only when the published plan numbers its actions
    owners: tuple[str, ...] = ()  # a few owners as published (a subset is enough), when the plan names them


@dataclass(frozen=True)
class PlanSpec:
    slug: str  # file name stem, e.g. "cardiff_2020_23"
    institution: str
    source: str  # the URL of the published page it was transcribed from
    tests: str  # one line: what this layout tests (merged theme cells, pillar words, section rows, …)
    build: Callable[[], bytes]  # makes the .xlsx bytes (openpyxl), laid out as published
    start: date  # the plan's first day the loader must store (from the title block, or `cli_args`)
    months: int  # 24 or 36 (or what the plan says)
    actions: tuple[ExpectedAction, ...]
    cli_args: tuple[str, ...] = ()  # e.g. ("--plan-start", "2021-01") when the plan states no start at all
    warnings: tuple[str, ...] = field(default=())  # issue codes the load must warn of (e.g. "unread_timescale")
