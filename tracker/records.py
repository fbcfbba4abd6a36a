"""Typed rows that cross layers: what `tracker.queries` and `tracker.summary` return to the views, the CLI and the
board pack. Dates are `date` objects (formatted once, by `tracker.text.day`), lists are lists, codes are the
models' own words.

Example:
    >>> from datetime import date
    >>> p = PlanInfo(id=1, institution="UCL", title="Plan", start=date(2018, 11, 1), end=date(2020, 10, 31), months=24)
    >>> p.period
    '24-month plan, November 2018 – October 2020'
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

UploadKind = Literal["plan", "updates", "workforce", "group", ""]  # "": a file that could not be read as any kind
UploadOutcome = Literal["loaded", "rejected", "duplicate", "unreadable"]


def as_row(obj: Any, *, omit: Collection[str] = ()) -> dict[str, Any]:
    """A record's fields (less those in `omit`) as a dict for the command line's JSON, CSV and tables: dates as
    ISO text (what a script reading the output expects), times to the second, nested records as dicts too.

    Example:
        >>> as_row(MeasurePoint(as_of=date(2020, 1, 1), value=3.0))
        {'as_of': '2020-01-01', 'value': 3.0}
        >>> as_row(WorkforceCell(date(2020, 7, 31), "Laws", "Female", 6, 5.4), omit={"sex"})
        {'as_of': '2020-07-31', 'faculty': 'Laws', 'headcount': 6, 'fte': 5.4}
    """
    out: dict[str, Any] = {}
    for f in fields(obj):
        if f.name in omit:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, list) and value and hasattr(value[0], "__dataclass_fields__"):
            value = [as_row(v) for v in value]
        elif isinstance(value, datetime):
            value = value.isoformat(timespec="seconds")
        elif isinstance(value, date):
            value = value.isoformat()
        out[f.name] = value
    return out


def field_values(record: Any) -> dict[str, Any]:
    """A record's fields by name, as they are (no copies, no conversion): to build a richer record from it,
    `ScheduledAction(**field_values(row), overdue=...)`.

    Example:
        >>> field_values(MeasurePoint(as_of=date(2020, 1, 1), value=3.0))
        {'as_of': datetime.date(2020, 1, 1), 'value': 3.0}
    """
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True)
class PlanInfo:
    """The current plan: who published it and its window."""

    id: int
    institution: str
    title: str
    start: date
    end: date
    months: int

    @property
    def period(self) -> str:
        """'24-month plan, November 2018 – October 2020'."""
        return f"{self.months}-month plan, {self.start:%B %Y} – {self.end:%B %Y}"

    @property
    def heading(self) -> str:
        """The title, with the institution in front unless the title names it already."""
        if self.institution and self.institution.lower() not in self.title.lower():
            return f"{self.institution}: {self.title}"
        return self.title


@dataclass(frozen=True)
class ActionRow:
    """One action of the plan with its latest status and percent (as they stood on a given date)."""

    ref: str
    theme: str
    purpose: str
    activity: str
    impact: str
    expected_evidence: list[str]
    owners: list[str]
    pillars: list[str]
    start: date | None
    due: date | None
    status: str
    percent_complete: int
    last_update: date | None
    latest_note: str
    withdrawn: bool


@dataclass(frozen=True)
class UpdateRow:
    """One progress update as loaded."""

    ref: str
    as_of: date
    status: str
    percent_complete: int | None
    note: str
    reported_by: str
    upload_id: int | None


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence item; `supersedes_id` names the item it corrects."""

    id: int
    ref: str
    date: date
    description: str
    kind: str
    link: str
    pillars: list[str]
    added_by: str
    supersedes_id: int | None
    upload_id: int | None


@dataclass(frozen=True)
class MeasurePoint:
    as_of: date
    value: float


@dataclass(frozen=True)
class MeasureRow:
    """One measure of an action with its dated values, oldest first."""

    ref: str
    name: str
    unit: str
    baseline: float | None
    target: float | None
    values: list[MeasurePoint] = field(default_factory=list)


@dataclass(frozen=True)
class WorkforceSnapshot:
    """The newest HR snapshot's totals (exact: callers round for display)."""

    as_of: date
    fte: float
    headcount: int


@dataclass(frozen=True)
class Headline:
    """The plan's headline figures as they stood on a date."""

    plan: PlanInfo | None
    actions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    time_elapsed_pct: int = 0
    work_complete_pct: int = 0
    workforce: WorkforceSnapshot | None = None


@dataclass(frozen=True)
class WorkforceCell:
    """Headcount and FTE of one snapshot, faculty and sex: exact (FTE to 2 places), or HESA-rounded
    (`tracker.disclosure.rounded_rows`)."""

    as_of: date
    faculty: str
    sex: str
    headcount: int
    fte: float  # an int once rounded


@dataclass(frozen=True)
class UploadRow:
    """One upload attempt, without the file's bytes: `has_file` says whether they were kept (a duplicate keeps
    none; `duplicate_of` names the upload that has them)."""

    id: int
    uploaded_at: datetime | None
    filename: str
    kind: UploadKind
    uploaded_by: str
    outcome: UploadOutcome
    rows_accepted: int
    issues_found: int
    size_bytes: int
    sha256: str
    message: str
    duplicate_of: int | None
    has_file: bool


@dataclass(frozen=True)
class PackInfo:
    """A kept board pack, without its bytes; `filename` is the name it downloads under."""

    id: int
    title: str
    period_start: date
    period_end: date
    built_by: str
    built_at: datetime
    pages: int
    size_bytes: int
    sha256: str
    has_charts: bool
    filename: str


@dataclass(frozen=True)
class GroupMember:
    """A working-group member as held (tracker.group.list_group): `left` is None while they are a member."""

    id: int
    name: str
    job_title: str
    faculty: str
    technician: bool
    joined: date | None
    left: date | None
