"""The Workforce & gender page: FTE and headcount by faculty (the seed's Table 1), gender balance by faculty and
by grade (Table 2), faculties past the imbalance threshold, and the trend across snapshots.

Figures follow the HESA rounding methodology unless exact figures are asked for: counts and FTE rounded to the
nearest 5 (totals from the exact total), percentages computed on exact figures and suppressed (`..`) where the
population is under 22.5. Everything is aggregated in SQL (GROUP BY), so the page stays fast with years of
snapshots.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     workforce_view(session=s).snapshot is None
    True
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.charts import Chart, plural
from tracker.charts.workforce import (
    Balance,
    TrendPoint,
    female_share_trend,
    fte_by_faculty,
    fte_trend,
    gender_balance,
    pct_text,
)
from tracker.config import get_settings
from tracker.disclosure import MIN_PERCENT_POPULATION, SUPPRESSED, percent, round5
from tracker.models import SEXES, WorkforceRecord
from tracker.queries import distinct_values

ALL_FACULTIES = "All faculties"
NO_GRADE = "(grade not recorded)"


@dataclass(frozen=True)
class Flag:
    """A faculty where one sex's share of headcount is at or past the imbalance threshold."""

    faculty: str
    sex: str  # the dominant sex
    share: float  # its share of the faculty's headcount, 0–1, from exact figures
    headcount: int | float  # the faculty's headcount as shown (rounded when the page is)

    @property
    def text(self) -> str:
        """'80.6% male': which way the imbalance goes, in words."""
        return f"{100 * self.share:.1f}% {self.sex.lower()}"


@dataclass(frozen=True)
class FteRow:
    """One row of Table 1: a faculty's FTE and headcount as shown (the last row of the table is the total)."""

    faculty: str
    fte: int | float
    headcount: int | float

    def cells(self) -> dict[str, Any]:
        return {"Faculty": self.faculty, "FTE": self.fte, "Headcount": self.headcount}


@dataclass(frozen=True)
class GenderRow:
    """One row of a gender table: a faculty or grade (or the total), its headcount per sex as shown, in column
    order (every sex the table shows, 0 included), its headcount, and the female and male shares of headcount
    from exact figures (`..` where suppressed)."""

    name: str
    by_sex: dict[str, int | float]
    headcount: int | float
    pct_female: float | str
    pct_male: float | str

    def cells(self, label: str) -> dict[str, Any]:
        """The row under the table's headings: `label` ("Faculty" or "Grade") heads the name."""
        return {
            label: self.name,
            **self.by_sex,
            "Headcount": self.headcount,
            "% female": pct_text(self.pct_female),
            "% male": pct_text(self.pct_male),
        }


@dataclass(frozen=True)
class TrendRow:
    """One snapshot of one series (all faculties, or a selected faculty), figures as shown."""

    as_of: date
    series: str
    fte: int | float
    headcount: int | float
    female: int | float
    male: int | float
    pct_female: float | str

    @property
    def point(self) -> TrendPoint:
        """The row as the trend charts take it."""
        return TrendPoint(self.series, self.as_of, self.fte, self.headcount, self.pct_female)

    def cells(self) -> dict[str, Any]:
        return {
            "Snapshot": self.as_of,
            "Series": self.series,
            "FTE": self.fte,
            "Headcount": self.headcount,
            "Female": self.female,
            "Male": self.male,
            "% female": pct_text(self.pct_female),
        }


@dataclass
class WorkforcePage:
    """Everything the Workforce & gender page shows; `snapshot` is None when no workforce data is loaded."""

    snapshot: date | None
    snapshots: list[date] = field(default_factory=list)
    faculties: list[str] = field(default_factory=list)  # every faculty in any snapshot: the filter's choices
    selected: tuple[str, ...] = ()
    rounded: bool = True
    threshold: float = 0.7
    fte: int | float = 0
    headcount: int | float = 0
    pct_female: float | str = SUPPRESSED
    previous: date | None = None  # the snapshot before this one, for the changes below
    fte_change: int | float | None = None
    headcount_change: int | float | None = None
    pct_female_change: float | None = None
    table1: list[FteRow] = field(default_factory=list)  # each faculty, then the total
    gender_by_faculty: list[GenderRow] = field(default_factory=list)  # each faculty, then the total
    gender_by_grade: list[GenderRow] = field(default_factory=list)  # each grade, then the total
    flags: list[Flag] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)  # faculties whose percentages are not shown
    trend: list[TrendRow] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    # Display rows (column names as the page and the board pack show them), so they only render.

    def table1_rows(self) -> list[dict[str, Any]]:
        """Table 1: Faculty, FTE, Headcount; the total last."""
        return [r.cells() for r in self.table1]

    def gender_by_faculty_rows(self) -> list[dict[str, Any]]:
        """Table 2: Faculty, a column per sex, Headcount, % female, % male; the total last."""
        return [r.cells("Faculty") for r in self.gender_by_faculty]

    def gender_by_grade_rows(self) -> list[dict[str, Any]]:
        return [r.cells("Grade") for r in self.gender_by_grade]

    def trend_rows(self) -> list[dict[str, Any]]:
        return [r.cells() for r in self.trend]

    def flag_rows(self) -> list[dict[str, Any]]:
        """The flags as a table whose text says which way each imbalance goes (never colour alone)."""
        return [
            {
                "Faculty": f.faculty,
                "Imbalance": f"{f.text} (threshold {100 * self.threshold:.0f}%)",
                "Mostly": f.sex,
                "Headcount": f.headcount,
            }
            for f in self.flags
        ]


@dataclass
class _Group:
    """Exact figures for one faculty, grade or snapshot."""

    fte: float = 0.0
    by_sex: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def headcount(self) -> int:
        return sum(self.by_sex.values())

    def add(self, sex: str, fte: float, headcount: int) -> None:
        self.fte += fte
        self.by_sex[sex if sex in SEXES else "Not known"] += headcount

    def pct(self, sex: str) -> float | str:
        return percent(self.by_sex.get(sex, 0), self.headcount)


def _n(x: float, rounded: bool, *, fte: bool = False) -> int | float:
    """A count or FTE as shown: rounded to the nearest 5, or exact (FTE to 2 places)."""
    if rounded:
        return round5(x)
    return round(float(x), 2) if fte else int(x)


def _grade_key(grade: str) -> tuple[Any, ...]:
    """Natural order: Grade 5 before Grade 10; the unrecorded grade last."""
    if grade == NO_GRADE:
        return (1,)
    return (0, *[(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.findall(r"\d+|\D+", grade)])


def snapshot_for(snapshots: list[date], as_of: date | None) -> date | None:
    """The latest snapshot on or before `as_of` (None: the latest); the earliest when all come after it.

    Example:
        >>> snaps = [date(2018, 7, 31), date(2019, 7, 31)]
        >>> snapshot_for(snaps, date(2019, 1, 1)), snapshot_for(snaps, None), snapshot_for(snaps, date(2000, 1, 1))
        (datetime.date(2018, 7, 31), datetime.date(2019, 7, 31), datetime.date(2018, 7, 31))
        >>> snapshot_for([], None) is None
        True
    """
    if not snapshots:
        return None
    if as_of is None:
        return snapshots[-1]
    before = [d for d in snapshots if d <= as_of]
    return before[-1] if before else snapshots[0]


def workforce_choices(*, session: Session) -> dict[str, list[Any]]:
    """What the page's filters offer: every snapshot date held (oldest first) and every faculty in any snapshot.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     workforce_choices(session=s)
        {'snapshots': [], 'faculties': []}
    """
    W = WorkforceRecord
    return {"snapshots": distinct_values(session, W.as_of), "faculties": distinct_values(session, W.faculty)}


def _gender_rows(groups: dict[str, _Group], sexes: list[str], rounded: bool, total_label: str) -> list[GenderRow]:
    rows = []
    total = _Group()
    for name, g in groups.items():
        rows.append(_gender_row(name, g, sexes, rounded))
        for s, n in g.by_sex.items():
            total.add(s, 0.0, n)
    rows.append(_gender_row(total_label, total, sexes, rounded))
    return rows


def _gender_row(name: str, g: _Group, sexes: list[str], rounded: bool) -> GenderRow:
    return GenderRow(
        name=name,
        by_sex={s: _n(g.by_sex.get(s, 0), rounded) for s in sexes},
        headcount=_n(g.headcount, rounded),
        pct_female=g.pct("Female"),
        pct_male=g.pct("Male"),
    )


def workforce_view(
    *,
    session: Session,
    as_of: date | None = None,
    rounded: bool = True,
    faculty: tuple[str, ...] = (),
    threshold: float | None = None,
) -> WorkforcePage:
    """The workforce page for the latest snapshot on or before `as_of` (None: the latest snapshot; the earliest
    when every snapshot comes after `as_of`), limited to the `faculty` names given (none: every faculty).

    `rounded` applies HESA rounding to every count and FTE; percentages are always computed on exact figures
    and suppressed (`..`) where fewer than 22.5 people. `threshold` (default: the `imbalance_threshold` setting)
    flags faculties where either sex is at least that share of headcount. The trend runs over every snapshot
    up to the one shown: all faculties, and each selected faculty.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.models import WorkforceRecord as W
        >>> with Session(open_engine("sqlite://")) as s:
        ...     s.add_all([W(as_of=date(2024, 7, 31), faculty="Engineering", sex="Male", fte=30.5, headcount=32),
        ...                W(as_of=date(2024, 7, 31), faculty="Engineering", sex="Female", fte=8, headcount=8)])
        ...     s.commit()
        ...     page = workforce_view(session=s)
        ...     exact = workforce_view(session=s, rounded=False)
        >>> page.fte, exact.fte, page.headcount, exact.headcount, page.pct_female
        (40, 38.5, 40, 40, 20.0)
        >>> [(f.faculty, f.text) for f in page.flags]
        [('Engineering', '80.0% male')]
    """
    threshold = get_settings().imbalance_threshold if threshold is None else float(threshold)
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a share between 0 and 1, not {threshold}")
    W = WorkforceRecord
    # Trend first: one pass over every snapshot, grouped to (snapshot, faculty, sex).
    trend_q = (
        select(col(W.as_of), col(W.faculty), col(W.sex), func.sum(col(W.fte)), func.sum(col(W.headcount)))
        .group_by(col(W.as_of), col(W.faculty), col(W.sex))
        .order_by(col(W.as_of))
    )
    trend_cells = session.exec(trend_q).all()  # type: ignore[call-overload]
    snapshots = sorted({d for d, *_ in trend_cells})
    snap = snapshot_for(snapshots, as_of)
    if snap is None:
        return WorkforcePage(snapshot=None, rounded=rounded, threshold=threshold)
    faculties = sorted({f for _, f, *_ in trend_cells})
    selected = tuple(dict.fromkeys(faculty))
    wanted = set(selected)

    def in_scope(f: str) -> bool:
        return not wanted or f in wanted

    # The snapshot shown, grouped to (faculty, grade, sex), only for the faculties in scope.
    cell_q = (
        select(col(W.faculty), col(W.grade), col(W.sex), func.sum(col(W.fte)), func.sum(col(W.headcount)))
        .where(col(W.as_of) == snap)
        .group_by(col(W.faculty), col(W.grade), col(W.sex))
    )
    if wanted:
        cell_q = cell_q.where(col(W.faculty).in_(sorted(wanted)))
    cells = session.exec(cell_q).all()  # type: ignore[call-overload]

    by_faculty: dict[str, _Group] = defaultdict(_Group)
    by_grade: dict[str, _Group] = defaultdict(_Group)
    total = _Group()
    for fac, grade, sex, fte, hc in cells:
        fte, hc = float(fte or 0), int(hc or 0)
        by_faculty[fac].add(sex, fte, hc)
        by_grade[grade.strip() or NO_GRADE].add(sex, fte, hc)
        total.add(sex, fte, hc)
    fac_names = sorted(by_faculty)
    grade_names = sorted(by_grade, key=_grade_key)
    present = {s for g in by_faculty.values() for s, n in g.by_sex.items() if n}
    sexes = [s for s in SEXES if s in ("Female", "Male") or s in present]
    total_label = "Total" if not wanted else "Total (selected faculties)"

    table1 = [
        FteRow(f, _n(by_faculty[f].fte, rounded, fte=True), _n(by_faculty[f].headcount, rounded)) for f in fac_names
    ]
    table1.append(FteRow(total_label, _n(total.fte, rounded, fte=True), _n(total.headcount, rounded)))
    gender_by_faculty = _gender_rows({f: by_faculty[f] for f in fac_names}, sexes, rounded, total_label)
    gender_by_grade = _gender_rows({g: by_grade[g] for g in grade_names}, sexes, rounded, total_label)

    flags = []
    suppressed = []
    for f in fac_names:
        g = by_faculty[f]
        if g.headcount < MIN_PERCENT_POPULATION:
            suppressed.append(f)
            continue
        for s in ("Female", "Male"):
            share = g.by_sex.get(s, 0) / g.headcount
            if share >= threshold:
                flags.append(Flag(f, s, share, _n(g.headcount, rounded)))
    flags.sort(key=lambda x: (-x.share, x.faculty))

    # Trend: all faculties, each selected faculty, and the selection's totals (for the changes since last time).
    series: dict[str, dict[date, _Group]] = defaultdict(lambda: defaultdict(_Group))
    scope: dict[date, _Group] = defaultdict(_Group)
    for d, fac, sex, fte, hc in trend_cells:
        if d > snap:
            continue
        fte, hc = float(fte or 0), int(hc or 0)
        series[ALL_FACULTIES][d].add(sex, fte, hc)
        if fac in wanted:
            series[fac][d].add(sex, fte, hc)
        if in_scope(fac):
            scope[d].add(sex, fte, hc)
    trend = [
        TrendRow(
            as_of=d,
            series=name,
            fte=_n(g.fte, rounded, fte=True),
            headcount=_n(g.headcount, rounded),
            female=_n(g.by_sex.get("Female", 0), rounded),
            male=_n(g.by_sex.get("Male", 0), rounded),
            pct_female=g.pct("Female"),
        )
        for name in (ALL_FACULTIES, *selected)
        if name in series
        for d, g in sorted(series[name].items())
    ]
    points = [r.point for r in trend]

    page = WorkforcePage(
        snapshot=snap,
        snapshots=snapshots,
        faculties=faculties,
        selected=selected,
        rounded=rounded,
        threshold=threshold,
        fte=_n(total.fte, rounded, fte=True),
        headcount=_n(total.headcount, rounded),
        pct_female=total.pct("Female"),
        table1=table1,
        gender_by_faculty=gender_by_faculty,
        gender_by_grade=gender_by_grade,
        flags=flags,
        suppressed=suppressed,
        trend=trend,
    )
    earlier = [d for d in snapshots if d < snap]
    if earlier:
        prev = scope[earlier[-1]]
        page.previous = earlier[-1]
        page.fte_change = round(page.fte - _n(prev.fte, rounded, fte=True), 2)
        page.headcount_change = page.headcount - _n(prev.headcount, rounded)
        before, now = prev.pct("Female"), page.pct_female
        if not isinstance(before, str) and not isinstance(now, str):
            page.pct_female_change = round(now - before, 1)

    n_fac = len(fac_names)
    where = (
        plural(n_fac, "faculty", "faculties") if not wanted else plural(n_fac, "selected faculty", "selected faculties")
    )
    flagged = {f.faculty: (f.sex, round(100 * f.share, 1)) for f in flags}
    page.charts = [
        fte_by_faculty([r.cells() for r in table1[:-1]], total=page.fte, when=snap, rounded=rounded, scope=where),
        gender_balance(
            [
                Balance(f, _n(by_faculty[f].headcount, rounded), {s: by_faculty[f].pct(s) for s in sexes})
                for f in sorted(fac_names, key=lambda f: _female_order(by_faculty[f]))
            ],
            category="faculty",
            when=snap,
            rounded=rounded,
            threshold=threshold,
            flagged=flagged,
        ),
        gender_balance(
            [
                Balance(g, _n(by_grade[g].headcount, rounded), {s: by_grade[g].pct(s) for s in sexes})
                for g in grade_names
            ],
            category="grade",
            when=snap,
            rounded=rounded,
        ),
        fte_trend(points, rounded=rounded),
        female_share_trend(points, rounded=rounded, threshold=threshold),
    ]
    return page


def _female_order(g: _Group) -> tuple[int, float]:
    """Most female first; groups too small to show percentages last."""
    p = g.pct("Female")
    return (1, 0.0) if isinstance(p, str) else (0, -p)
