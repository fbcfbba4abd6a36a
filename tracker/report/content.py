"""What the board pack says: page-ready data from `tracker.views`, arranged into the pack's sections, with the
verdict (`Verdict`) that opens it.

Nothing here is computed afresh: figures, statuses, evidence, measures and workforce tables come from the
views the dashboard pages use (so the pack and the app always agree), with staff figures HESA-rounded there
(`tracker.disclosure`). This module only chooses, orders and formats them as text cells, and turns every chart
into a `PackChart` holding the figure, its one-sentence summary and its data table (printed instead of the
chart when no browser can draw it).

Example:
    >>> cell(1045.0), cell(12.5), cell(None), cell(".."), cell(date(2020, 10, 31)), cell(["OD", "Deans"])
    ('1,045', '12.5', '–', '..', '31 Oct 2020', 'OD; Deans')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from tracker.charts import STATUS_STYLE, Chart, listing, plural
from tracker.charts.evidence import measures_progress
from tracker.charts.plan import status_label, timeline
from tracker.disclosure import MAX_AVERAGE_SUPPRESSED, MIN_PERCENT_POPULATION, SUPPRESSED
from tracker.records import PlanInfo
from tracker.summary import headline, pace
from tracker.text import day
from tracker.views.changes import ChangesPage, RoundMark, SinceRound, changes_view
from tracker.views.evidence import EvidenceTally, evidence_tally, evidence_view
from tracker.views.home import Figure, home_view
from tracker.views.pillars import pillars_view
from tracker.views.plan import ScheduledAction, plan_view
from tracker.views.workforce import workforce_view

# A chart never runs past a page: charts with a row per action or measure are drawn in parts of at most
# ROWS_PER_CHART rows, and past FULL_ROWS rows each row gets ROW_PX pixels instead of the builder's own.
ROWS_PER_CHART = 36
FULL_ROWS = 20
ROW_PX = 22
# The measures chart labels each row with two lines (the measure, then its figures): those rows get more.
TWO_LINE_ROW_PX = 36
# Past this many actions the pack is set compactly: long texts are shortened (the app holds them whole) and
# the per-action evidence chart, which would run to many pages, is left out.
COMPACT_OVER = 40
# A large plan's timeline shows at most this many of the actions needing attention, and its measures chart this
# many of the measures furthest from target: one chart of about two thirds of a page each, so what follows shares
# its page instead of a chart standing alone.
COMPACT_CHART_ROWS = 24
# Listings that can run to thousands of rows (evidence items, chart data in the no-browser fallback) stop here.
MAX_LISTED = 80
TROUBLED = ("at risk", "delayed")
# The verdict page lists at most this many of the actions at risk or delayed (delayed first), each note cut to
# VERDICT_NOTE characters, so the verdict stays on its one page; section 4 lists every action in full.
VERDICT_ROWS = 5
VERDICT_NOTE = 120
# How the verdict counts the actions: done first, then the rest as a reader weighs them.
VERDICT_ORDER = ("complete", "on track", "at risk", "delayed", "not started", "suspended")
# Work complete within this many points of the plan's time elapsed is "in step" (the Home page's rule).

# The numbered sections, after the verdict (page 1) and the contents (page 2).
SECTIONS = (
    ("headline", "Headline figures"),
    ("status", "Status by theme and pillar"),
    ("timeline", "Timeline"),
    ("actions", "Every action"),
    ("changes", "What changed since the previous pack"),
    ("evidence", "Evidence received against what was promised"),
    ("measures", "Measures against targets"),
    ("workforce", "Workforce and gender"),
)
# Section 5's name in a pack built "since the last round".
ROUND_CHANGES = "What changed since the last round"

ROUNDING_NOTE = (
    "Staff figures in this pack follow the HESA rounding methodology. Counts and FTE are rounded to the nearest 5 "
    "(values under 2.5 become 0; halves round up), and each total is rounded from the exact total, so rounded "
    "parts may not add up to the total shown. Percentages are computed on exact figures and suppressed where the "
    f"population is under {MIN_PERCENT_POPULATION:g} people; averages are suppressed where they rest on "
    f"{MAX_AVERAGE_SUPPRESSED} or fewer people. A suppressed value is shown as “{SUPPRESSED}”."
)


def cell(v: Any) -> str:
    """A value as the pack prints it: thousands separators, dates as '31 Oct 2020', '–' for nothing, `..` kept."""
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return day(v.date())
    if isinstance(v, date):
        return day(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v) or "–"
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return day(date.fromisoformat(v))
        except ValueError:
            return v
    return str(v)


SHORT_TEXT = 16  # characters: a column whose values are all this short is set on one line
# For sizing table columns (pack.css): text width 180 mm, table text 8 pt (7.5 pt compact), an average
# Liberation Sans character about 0.18 mm per point of size, bold about 10% wider, 2.8 mm of cell padding.
TABLE_MM = 180.0
TABLE_PT, COMPACT_PT = 8.0, 7.5
CHAR_MM = 0.185
BOLD = 1.2
CELL_PADDING_MM = 3.2
LONGEST_WORD = 30  # longer words (URLs, long emails) may break rather than take the table
_NUMBER_TEXT = re.compile(r"^[+\-−]?[\d,]+(?:\.\d+)?%?$")


def _numeric(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and (v == SUPPRESSED or bool(_NUMBER_TEXT.match(v.strip())))


def column_widths(columns: list[str], rows: list[list[str]], *, compact: bool = False) -> list[str]:
    """CSS percentages for a fixed table layout (the columns are set from the text, not measured cell by cell).

    Each column first gets the room its longest word needs (and its bold heading's), or its longest value when
    every value is short (dates, statuses, counts: kept on one line); what is left of the page's width goes to
    the columns of longer text, in proportion to how much more they hold.

    Example:
        >>> column_widths(["Ref", "Description"], [["D1", "A long description of the evidence received"]])
        ['5.5%', '94.5%']
    """
    char = CHAR_MM * (COMPACT_PT if compact else TABLE_PT)
    minimum, extra = [], []
    for i, name in enumerate(columns):
        values = [r[i] for r in rows]
        longest = max((len(v) for v in values), default=0)
        word = min(max((len(w) for v in values for w in v.split()), default=1), LONGEST_WORD)
        head = max((len(w) for w in name.split()), default=1)
        need = max(word, longest if longest <= SHORT_TEXT else 0) * char
        low = max(need, head * char * BOLD, 4.5 * char) + CELL_PADDING_MM
        lengths = sorted(len(v) for v in values) or [0]
        typical = lengths[len(lengths) // 2]
        wish = 0.0 if longest <= SHORT_TEXT else min(typical + 0.35 * (longest - typical), 90.0) * char
        minimum.append(low)
        extra.append(max(wish + CELL_PADDING_MM - low, 0.0))
    spare = TABLE_MM - sum(minimum)
    if spare > 0 and sum(extra) > 0:
        widths = [m + spare * e / sum(extra) for m, e in zip(minimum, extra, strict=True)]
    elif spare > 0:
        widths = [m + spare * m / sum(minimum) for m in minimum]
    else:  # more columns than fit: shrink them all alike (long words then wrap)
        widths = minimum
    total = sum(widths) or 1.0
    return [f"{100 * w / total:.1f}%" for w in widths]


def heading(key: str) -> str:
    """'percent_complete' → 'Percent complete' (chart data keys as column headings)."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass
class Table:
    """A table as printed: column headings, rows of text cells, which columns are numbers (right-aligned)."""

    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    note: str = ""  # under the table, e.g. "… and 40 more"
    empty: str = "None."  # printed instead of an empty table
    row_classes: list[str] = field(default_factory=list)  # one per row ("" or e.g. "total", "troubled")
    widths: list[str] = field(default_factory=list)  # CSS widths per column, optional
    compact: bool = False
    nowrap: set[int] = field(default_factory=set)  # columns of short values, kept on one line


def table(
    rows: list[dict[str, Any]],
    *,
    columns: list[str] | None = None,
    limit: int | None = None,
    more: str = "rows",
    empty: str = "None.",
    total_label: str | None = None,
    widths: list[str] | None = None,
    compact: bool = False,
) -> Table:
    """A `Table` from dict rows (keys as headings unless `columns` is given); at most `limit` rows, with a note
    saying how many more there are; a row whose first cell is `total_label` is styled as a total.

    Example:
        >>> t = table([{"ref": "D1", "n": 3}, {"ref": "D2", "n": 1000}], limit=1, more="actions")
        >>> t.columns, t.rows, t.numeric, t.note
        (['Ref', 'N'], [['D1', '3']], {1}, '… and 1 more of 2 actions not listed here.')
        >>> table([{"Faculty": "Laws", "% female": ".."}, {"Faculty": "Total", "% female": "48.6%"}]).numeric
        {1}
    """
    keys = columns or (list(rows[0]) if rows else [])
    shown = rows if limit is None else rows[:limit]
    numeric = {
        i
        for i, k in enumerate(keys)
        if any(r.get(k) not in (None, "") for r in rows)
        and all(_numeric(r.get(k)) for r in rows if r.get(k) not in (None, ""))
    }
    cells = [[cell(r.get(k)) for k in keys] for r in shown]
    names = [heading(k) for k in keys]
    out = Table(
        columns=names,
        rows=cells,
        numeric=numeric,
        empty=empty,
        widths=widths or column_widths(names, cells, compact=compact),
        compact=compact,
        nowrap={i for i in range(len(keys)) if cells and max(len(r[i]) for r in cells) <= SHORT_TEXT},
    )
    if total_label is not None:
        out.row_classes = ["total" if r.get(keys[0]) == total_label else "" for r in shown]
    if limit is not None and len(rows) > limit:
        out.note = f"… and {len(rows) - limit:,} more of {len(rows):,} {more} not listed here."
    return out


@dataclass
class PackChart:
    """A chart in the pack: the figure (drawn to SVG later), its summary (caption and alternative text) and its
    data table (printed in place of the chart when there is no browser)."""

    title: str
    summary: str
    chart: Chart
    data: Table
    src: str | None = None  # the Typst input holding the drawn chart's SVG (None: print the data table instead)


def pack_chart(chart: Chart, *, title: str | None = None) -> PackChart:
    return PackChart(
        title=title or chart.title,
        summary=chart.summary,
        chart=chart,
        data=table(chart.data, limit=MAX_LISTED, more="data rows", compact=True),
    )


@dataclass
class ActionRow:
    """One action in the "Every action" table."""

    ref: str
    what: str
    owners: str
    pillars: str
    status: str  # symbol and word
    percent: str
    due: str
    overdue: bool
    note: str
    note_date: str
    troubled: bool


@dataclass
class Previous:
    """The pack "what changed" compares with (None for the first pack)."""

    id: int
    title: str
    period_end: date
    built_at: datetime
    built_by: str


def round_name(mark: RoundMark) -> str:
    """A round as a pack names it: 'October 2020 round' ('Autumn round' stays so), or 'update round of 16 Oct
    2020' for a round read from the updates' dates (no round opened on the Rounds page).

    Example:
        >>> round_name(RoundMark("October 2020", date(2020, 10, 24))), round_name(RoundMark("", date(2020, 10, 16)))
        ('October 2020 round', 'update round of 16 Oct 2020')
    """
    if not mark.name:
        return f"update round of {day(mark.day)}"
    return mark.name if mark.name.casefold().split()[-1:] == ["round"] else f"{mark.name} round"


@dataclass(frozen=True)
class PackRound:
    """What a pack built "since the last round" covers: from the due date of the round before (`previous`; None
    when `latest` was the first round) to the due date of the latest round that had ended (`latest`), and how
    the pack and the Board report page name them.

    Example:
        >>> r = PackRound.of(SinceRound(date(2020, 7, 24), date(2020, 10, 24), RoundMark("October 2020",
        ...     date(2020, 10, 24)), RoundMark("July 2020", date(2020, 7, 24))))
        >>> r.name, r.span
        ('October 2020 round', 'July 2020 → October 2020 round')
        >>> r.since
        'Since the July 2020 round (due 24 Jul 2020), up to the October 2020 round (due 24 Oct 2020)'
    """

    start: date
    end: date
    latest: RoundMark
    previous: RoundMark | None

    @classmethod
    def of(cls, window: SinceRound) -> PackRound | None:
        """The window `tracker.views.changes.since_last_round` gives; None when no round had ended by then."""
        if window.latest is None:
            return None
        return cls(start=window.start, end=window.end, latest=window.latest, previous=window.previous)

    @property
    def name(self) -> str:
        """The round the pack reports on: 'October 2020 round'."""
        return round_name(self.latest)

    @property
    def span(self) -> str:
        """From which round to which, briefly: 'July 2020 → October 2020 round' (for a choice on a page)."""
        if self.previous is None:
            return f"up to the {self.name}, the first"
        if self.previous.name and self.latest.name:
            return f"{self.previous.name} → {self.name}"
        return f"{round_name(self.previous)} → {self.name}"

    @property
    def since(self) -> str:
        """'Since the July 2020 round (due 24 Jul 2020), up to the October 2020 round (due 24 Oct 2020)'."""
        latest = _round_text(self.latest)
        if self.previous is None:
            return f"Up to the {latest}, the first round"
        return f"Since the {_round_text(self.previous)}, up to the {latest}"


def _round_text(mark: RoundMark) -> str:
    """'October 2020 round (due 24 Oct 2020)', or 'update round of 16 Oct 2020'."""
    return f"{round_name(mark)} (due {day(mark.day)})" if mark.name else round_name(mark)


@dataclass(frozen=True)
class AttentionRow:
    """An action at risk or delayed, as the verdict page lists it: what, who, where it stands, the latest word."""

    ref: str
    what: str
    owners: str
    status: str  # symbol and word
    percent: str
    overdue: bool
    note: str
    note_date: str  # '13 Oct 2020', or 'no update yet'


@dataclass
class Verdict:
    """The pack's first page: where the plan stands, who must act, what moved, and which pillars lack evidence.

    Example:
        >>> v = Verdict(status_line=status_line(62, 75), pace=pace(62, 75))
        >>> v.status_line
        "Work is 62% complete with 75% of the plan's time gone: behind."
    """

    status_line: str
    pace: str  # 'behind', 'ahead' or 'in step'
    actions_line: str = ""  # '6 actions: 3 ✔ complete, 2 ● on track and 1 ✕ delayed; none overdue.'
    evidence_line: str = ""  # from the one evidence tally
    measures_line: str = ""  # how many measures have met their targets
    attention: list[AttentionRow] = field(default_factory=list)
    attention_total: int = 0
    attention_more: str = ""  # '… and 51 more at risk or delayed, listed first in section 4 …' ('' when all are)
    changes_window: str = ""  # which days "what changed" covers
    changes: list[str] = field(default_factory=list)  # one sentence per kind of change
    gaps: list[str] = field(default_factory=list)  # PillarGap.text, one per pillar lacking evidence


@dataclass(frozen=True)
class EvidenceCounts:
    """Every evidence figure the pack prints, from the one tally (`tracker.views.evidence.evidence_tally`): the
    tally at the period's end, and items received in a window as the tally at its end less the tally at its start
    (so "received in the period" and "new since the last pack" count the very items the tally counts).

    Example:
        >>> EvidenceCounts(to_date=None, in_period=10, since_last=10, pillar_entries=20).in_period
        10
    """

    to_date: EvidenceTally | None
    in_period: int  # dated after the period's start, on or before its end
    since_last: int  # dated after the previous pack's end (or the period's start), on or before the period's end
    pillar_entries: int  # items counted once under each pillar they serve: the pillar table's column adds up to this

    @property
    def pillar_note(self) -> str:
        """Why the pillar table's evidence column adds up to more than the items received ('' when it does not)."""
        t = self.to_date
        if t is None or not t.multi_pillar:
            return ""
        serve = "serves" if t.multi_pillar == 1 else "serve"
        count = "counts" if t.multi_pillar == 1 else "count"
        return (
            f"Of the {plural(t.items, 'evidence item')} received, {t.multi_pillar:,} {serve} two or more pillars and "
            f"{count} under each, so the pillars' evidence items add up to {self.pillar_entries:,}."
        )


def status_line(work_pct: int, time_pct: int) -> str:
    """The plan's status in one line.

    Example:
        >>> status_line(100, 100)
        "Work is 100% complete with 100% of the plan's time gone: in step."
    """
    return f"Work is {work_pct}% complete with {time_pct}% of the plan's time gone: {pace(work_pct, time_pct)}."


@dataclass
class PackContent:
    """Everything the template prints, section by section."""

    title: str
    institution: str
    plan: PlanInfo | None
    period_start: date
    period_end: date
    built_at: datetime
    built_by: str
    confidentiality: str
    charts_note: str = ""  # why there are no charts ("" when there are)
    previous: Previous | None = None
    changes_from: date | None = None
    round: PackRound | None = None  # a pack built "since the last round": the rounds it reports on
    sections: tuple[tuple[str, str], ...] = SECTIONS
    rounding_note: str = ROUNDING_NOTE
    status_key: list[tuple[str, str]] = field(default_factory=list)
    # the first page
    verdict: Verdict | None = None
    # where the rounding note is printed in full: the section where HESA-rounded staff figures first appear
    # ("headline", "changes" or "workforce"; "" when the pack holds none)
    rounding_at: str = ""
    # headline
    figures: list[Figure] = field(default_factory=list)
    in_brief: str = ""
    gaps: list[str] = field(default_factory=list)
    # status by theme and pillar
    theme_table: Table | None = None
    pillar_table: Table | None = None
    # every action
    actions: list[ActionRow] | None = None
    troubled: int = 0
    overdue: int = 0
    # what changed
    changes: ChangesPage | None = None
    status_changes: Table | None = None
    new_evidence: Table | None = None
    action_changes: Table | None = None
    measure_changes: Table | None = None
    workforce_changes: Table | None = None
    compact: bool = False  # long texts shortened (a large plan)
    timeline_note: str = ""
    # evidence and measures
    evidence_chart_note: str = ""
    evidence_summary: str = ""
    evidence: EvidenceCounts | None = None
    evidence_table: Table | None = None
    evidence_table_note: str = ""
    measures_table: Table | None = None
    measures_line: str = ""  # for the verdict: how many measures have met their targets
    # workforce
    snapshot: date | None = None
    snapshot_note: str = ""
    workforce_figures: list[Figure] = field(default_factory=list)
    fte_table: Table | None = None
    gender_table: Table | None = None
    flags_table: Table | None = None
    grade_table: Table | None = None
    trend_table: Table | None = None
    suppressed: list[str] = field(default_factory=list)
    # charts, by section
    charts: dict[str, list[PackChart]] = field(default_factory=dict)
    # told of each chart as it is added (the pack starts drawing it at once); not printed
    on_chart: Callable[[PackChart], None] | None = None

    def all_charts(self) -> list[PackChart]:
        return [c for group in self.charts.values() for c in group]

    def add_chart(self, key: str, chart: PackChart) -> None:
        """Add a chart to section `key`, its figure final, and tell `on_chart` of it."""
        self.charts.setdefault(key, []).append(chart)
        if self.on_chart is not None:
            self.on_chart(chart)


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    return [items[i : i + n] for i in range(0, len(items), n)] or [[]]


def _part(title: str, parts: int, first: int, last: int, total: int, noun: str) -> str:
    return title if parts == 1 else f"{title} ({noun} {first}–{last} of {total})"


def gather(
    *,
    session: Session,
    period_start: date,
    period_end: date,
    changes_from: date,
    previous: Previous | None,
    title: str,
    built_at: datetime,
    built_by: str,
    confidentiality: str,
    plan: PlanInfo | None,
    since_round: PackRound | None = None,
    on_chart: Callable[[PackChart], None] | None = None,
) -> PackContent:
    """The pack's content for the period, the state of things as they stood on `period_end`, and what changed
        after `changes_from` up to `period_end`. `since_round` names the update rounds a pack built "since the last
        round" covers (its "what changed" is then titled and worded by round, not by pack). `on_chart(chart)` is
    called for each chart as soon as its figure is final (the pack starts drawing it then).

        Example:
            >>> from tracker.db import open_engine
            >>> with Session(open_engine("sqlite://")) as s:
            ...     c = gather(session=s, period_start=date(2020, 1, 1), period_end=date(2020, 1, 1),
            ...                changes_from=date(2020, 1, 1), previous=None, title="Board pack",
            ...                built_at=datetime(2020, 1, 2), built_by="a@uni.ac.uk", confidentiality="Confidential",
            ...                plan=None)
            >>> c.actions is None, c.in_brief
            (True, 'No action plan is loaded yet, so there is no progress to report.')
    """
    c = PackContent(
        title=title,
        institution=plan.institution if plan else "",
        plan=plan,
        period_start=period_start,
        period_end=period_end,
        built_at=built_at,
        built_by=built_by,
        confidentiality=confidentiality,
        previous=previous,
        changes_from=changes_from,
        round=since_round,
        status_key=[(s.symbol, s.label) for s in STATUS_STYLE.values()],
        on_chart=on_chart,
    )
    if since_round is not None:
        c.sections = tuple((k, ROUND_CHANGES if k == "changes" else name) for k, name in SECTIONS)
    as_of = period_end
    c.charts = {key: [] for key, _ in SECTIONS}
    actions: list[ScheduledAction] = []
    h = headline(session=session, today=as_of)
    if plan is None:
        c.in_brief = "No action plan is loaded yet, so there is no progress to report."
    else:
        actions = _plan_sections(session, c, as_of)
    _changes(session, c, changes_from, period_end)
    if plan is not None:
        c.verdict = _verdict(c, actions, h.work_complete_pct, h.time_elapsed_pct)
    _workforce(session, c, as_of)
    # The rounding note goes where HESA-rounded staff figures first appear: the headline figures (their staff
    # FTE, from the same snapshot), else the workforce movement in "what changed", else the workforce section.
    if plan is not None and h.workforce is not None:
        c.rounding_at = "headline"
    elif c.workforce_changes is not None and c.workforce_changes.rows:
        c.rounding_at = "changes"
    elif c.snapshot is not None:
        c.rounding_at = "workforce"
    return c


def _plan_sections(session: Session, c: PackContent, as_of: date) -> list[ScheduledAction]:
    """Sections 1 to 4, 6 and 7 (everything that needs a plan); returns the plan's actions for the verdict."""
    assert c.plan is not None
    home = home_view(session=session, as_of=as_of)
    c.figures = list(home.figures)
    c.gaps = [g.text for g in home.gaps]
    if home.by_status is not None:
        c.add_chart("headline", pack_chart(home.by_status))

    pv = plan_view(session=session, as_of=as_of)
    actions = pv.actions
    # Status by theme: counts from the plan view's actions (themes in plan order).
    by_theme: dict[str, dict[str, int]] = {}
    pct: dict[str, list[int]] = {}
    for a in actions:
        t = a.theme or "(no theme)"
        by_theme.setdefault(t, {})
        by_theme[t][a.status] = by_theme[t].get(a.status, 0) + 1
        pct.setdefault(t, []).append(int(a.percent_complete or 0))
    present = [s for s in STATUS_STYLE if any(v.get(s) for v in by_theme.values())]
    theme_rows = [
        {
            "Theme": t,
            "Actions": sum(v.values()),
            **{f"{STATUS_STYLE[s].symbol} {STATUS_STYLE[s].label}": v.get(s, 0) for s in present},
            "Average % complete": round(sum(pct[t]) / len(pct[t])) if pct[t] else 0,
        }
        for t, v in by_theme.items()
    ]
    c.theme_table = table(theme_rows, columns=list(theme_rows[0]) if theme_rows else None, empty="No actions.")
    if by_theme:
        from tracker.report.charts import status_by_theme

        c.add_chart("status", pack_chart(status_by_theme(by_theme)))

    pillars = pillars_view(session=session, as_of=as_of)
    c.pillar_table = table(pillars.pillar_rows(), empty="No actions.")
    for ch in pillars.charts:
        c.add_chart("status", pack_chart(ch))
    pillar_entries = sum(r.evidence_items for r in pillars.pillars)

    # The timeline: one chart per ROWS_PER_CHART actions, so no chart is taller than a page. A large plan's
    # timeline shows the actions that need the board's attention (all of them are listed in "Every action").
    compact = len(actions) > COMPACT_OVER
    c.compact = compact
    on_timeline = actions
    if compact:
        # Who is behind, worst first: delayed, then at risk, then overdue, each in plan order; one chart short
        # enough to share its page with what follows.
        need = (
            [a for a in actions if a.status == "delayed"]
            + [a for a in actions if a.status == "at risk"]
            + [a for a in actions if a.overdue and a.status not in TROUBLED]
        )
        on_timeline = need[:COMPACT_CHART_ROWS]
        c.timeline_note = (
            f"With {len(actions):,} actions, the timeline shows those that need attention: "
            + (
                f"the first {len(on_timeline)} of the {len(need):,} at risk, delayed or overdue (delayed first, then "
                "at risk, then overdue, each in plan order)"
                if len(need) > len(on_timeline)
                else f"the {len(need):,} at risk, delayed or overdue"
            )
            + ". Section 4 lists every action, and the Action plan page draws the whole timeline."
        )
    if on_timeline:
        plan = c.plan
        parts = _chunks(on_timeline, ROWS_PER_CHART)
        for i, chunk in enumerate(parts):
            if not compact and len(parts) == 1 and pv.timeline is not None:
                ch = pv.timeline
            else:
                ch = timeline(chunk, plan_start=plan.start, plan_end=plan.end, today=as_of, months=plan.months)
            _fit(ch, len(chunk))
            _room_on_the_right(ch)
            first = i * ROWS_PER_CHART + 1
            # The chart's own title says how it is drawn (a schedule, or work done against time).
            name = ch.title + (": actions needing attention" if compact else "")
            title = _part(name, len(parts), first, first + len(chunk) - 1, len(on_timeline), "actions")
            c.add_chart("timeline", pack_chart(ch, title=title))

    # Every action: at risk and delayed first, then the rest, each group in plan order.
    ordered = [a for a in actions if a.status in TROUBLED] + [a for a in actions if a.status not in TROUBLED]
    c.troubled = sum(a.status in TROUBLED for a in actions)
    c.overdue = sum(bool(a.overdue) for a in actions)
    c.actions = [
        ActionRow(
            ref=a.ref,
            what=_short(a.purpose or a.activity, 90 if compact else 170),
            owners=_short("; ".join(a.owners), 45 if compact else 200) or "–",
            pillars=("pillars " + " ".join(a.pillars)) if a.pillars else "no pillar",
            status=status_label(a.status),
            percent=f"{a.percent_complete}%",
            due=cell(a.window_end),
            overdue=bool(a.overdue),
            note=(_short(a.latest_note, 110) if compact else a.latest_note) or "No note.",
            note_date=cell(a.last_update) if a.last_update else "no update yet",
            troubled=a.status in TROUBLED,
        )
        for a in ordered
    ]

    # Evidence: every figure from the one tally. Received in a window = the tally at its end less the tally at
    # its start, per action too, so section 6, the verdict and "what changed" count the same items.
    ev = evidence_view(session=session, as_of=as_of)
    at_start = evidence_tally(session=session, as_of=c.period_start)
    changes_from = c.changes_from or c.period_start
    at_last = at_start if changes_from == c.period_start else evidence_tally(session=session, as_of=changes_from)
    before = {a.ref: a.received + a.before_plan for a in (at_start.actions if at_start else [])}
    c.evidence = EvidenceCounts(
        to_date=ev.tally,
        in_period=(ev.tally.items if ev.tally else 0) - (at_start.items if at_start else 0),
        since_last=(ev.tally.items if ev.tally else 0) - (at_last.items if at_last else 0),
        pillar_entries=pillar_entries,
    )
    per_action = ev.per_action
    if compact:
        # Hundreds of actions: list those short of what they promised (where the board looks); the Evidence &
        # impact page has every action's count.
        per_action = [r for r in per_action if r.short]
        others = len(ev.per_action) - len(per_action)
        c.evidence_table_note = (
            f"The other {plural(others, 'action')} {'is' if others == 1 else 'are'} not listed: each has all the "
            "evidence it promised, or promised none. The Evidence & impact page gives every action's count."
            if per_action
            else "The Evidence & impact page gives every action's count."
        )
    ev_rows = [
        {
            "Ref": r.ref,
            "Evidence promised": "; ".join(r.promised) or "–",
            "Received of promised": r.against,
            "Received in the period": r.received + r.before_plan - before.get(r.ref, 0),
            "Dated before the plan": r.before_plan,
            "Latest": r.latest,
            "Gap": r.gap,
        }
        for r in per_action
    ]
    if compact:
        # One line per action: what each promised is in the plan (and on the Evidence & impact page).
        for r in ev_rows:
            del r["Evidence promised"], r["Latest"], r["Dated before the plan"]
    c.evidence_summary = ev.summary
    c.evidence_table = table(
        ev_rows,
        limit=MAX_LISTED if compact else None,
        more="actions short of their evidence",
        empty="No action is short of the evidence it promised." if compact else "No actions.",
        compact=compact,
    )
    if len(actions) <= ROWS_PER_CHART:
        ch = ev.charts[0]
        _fit(ch, len(actions))
        c.add_chart("evidence", pack_chart(ch))
    else:
        c.evidence_chart_note = (
            f"With {len(actions):,} actions, the chart of each action's evidence over time would run to "
            f"{-(-len(actions) // ROWS_PER_CHART)} pages, so it is left out: the table gives each action's evidence, "
            "section 2 charts evidence per pillar over time, and the Evidence & impact page shows every item."
        )

    # Measures against targets.
    m_rows = [
        {
            "Ref": m.ref,
            "Measure": m.name,
            "Unit": m.unit,
            "Baseline": m.baseline,
            "Target": m.target,
            "Latest": m.latest,
            "As of": m.as_of,
            "Progress to target": "–"
            if m.progress is None
            else ("✔ met" if m.met else f"{m.progress:.0f}% of the way"),
        }
        for m in ev.measures
    ]
    if compact:
        # One line per measure: unit folded into the figures.
        m_rows = [
            {
                "Ref": m.ref,
                "Measure": m.name,
                "Baseline → target": (
                    f"{cell(m.baseline)}% → {cell(m.target)}%"
                    if m.unit == "%"
                    else f"{cell(m.baseline)} → {cell(m.target)} {m.unit}".strip()
                ),
                "Latest (as of)": f"{cell(m.latest)} ({cell(m.as_of)})",
                "Progress to target": r["Progress to target"],
            }
            for m, r in zip(ev.measures, m_rows, strict=True)
        ]
    c.measures_table = table(m_rows, empty="No measure has a value yet.", compact=compact)
    targeted = [m for m in ev.measures if m.target is not None]
    if targeted:
        met = sum(m.met for m in targeted)
        worst = min(targeted, key=lambda m: m.progress or 0.0)
        c.measures_line = (
            f"Measures: {met:,} of {plural(len(targeted), 'measure')} with a target {'has' if met == 1 else 'have'} "
            "met it"
            + ("" if worst.met else f"; furthest behind: {worst.ref} {_short(worst.name, 60)}, {worst.text}")
            + "."
        )
    if ev.measures and len(ev.measures) <= ROWS_PER_CHART and len(ev.charts) > 1:
        ch = ev.charts[1]
        _fit(ch, len(ev.measures), row_px=TWO_LINE_ROW_PX)
        c.add_chart("measures", pack_chart(ch))
    elif ev.measures:
        # Too many for one chart: the ones furthest from their targets, which is where a board looks.
        behind = sorted(ev.measures, key=lambda m: (m.progress is None, m.progress or 0.0))[:COMPACT_CHART_ROWS]
        ch = measures_progress(behind)
        _fit(ch, len(behind), row_px=TWO_LINE_ROW_PX)
        title = f"The {len(behind)} measures furthest from their targets (of {len(ev.measures):,})"
        c.add_chart("measures", pack_chart(ch, title=title))
    return actions


def _room_on_the_right(chart: Chart) -> None:
    """Widen a timeline's date axis by a tenth on the right, so the "⚠ overdue" labels of actions due near
    the end, and the as-of label, are not cut off at the edge of the printed chart."""
    xrange = chart.figure.layout.xaxis.range
    if xrange and len(xrange) == 2:
        try:
            lo, hi = (date.fromisoformat(str(v)[:10]) for v in xrange)
        except ValueError:  # not a date axis (work against time runs from 0% to 100%): nothing to widen
            return
        chart.figure.update_xaxes(range=[lo.isoformat(), (hi + (hi - lo) / 10).isoformat()])


def _fit(chart: Chart, rows: int, *, row_px: int = ROW_PX) -> None:
    """Past FULL_ROWS rows, give each row `row_px` pixels, so a part of up to ROWS_PER_CHART rows fits a page
    (a chart taller than 200 mm as printed is scaled down to that)."""
    if rows > FULL_ROWS:
        chart.figure.update_layout(height=110 + row_px * rows)


def _short(text: str, limit: int) -> str:
    """One paragraph: bullets become semicolons; long text is cut at a word with an ellipsis."""
    items = [" ".join(part.split()) for part in str(text).replace("\n", "•").split("•")]
    text = "; ".join(i for i in items if i)
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(";,") + "…"


def _changes(session: Session, c: PackContent, start: date, end: date) -> None:
    page = changes_view(session=session, start=start, end=end)
    c.changes = page
    if c.plan is not None:
        c.in_brief = page.summary
    rows = page.status_rows(dates_as_text=True)
    if c.compact:
        # Hundreds of changes read best grouped by what changed: one row per (from, to), with the refs; each
        # action's own status, percent and note are in "Every action".
        groups: dict[str, list[str]] = {}
        for r in rows:
            groups.setdefault(f"{r['From']} → {r['To']}", []).append(r["Ref"])
        rows = [
            {"Change": change, "Actions": len(refs), "Which actions": ", ".join(refs)}
            for change, refs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
    c.status_changes = table(rows, empty="No action changed status.", compact=c.compact)
    listed = MAX_LISTED // 2 if c.compact else MAX_LISTED
    c.new_evidence = table(
        [{k: v for k, v in r.items() if k != "Link"} for r in page.evidence_rows()],
        limit=listed,
        more="evidence items",
        empty="No new evidence.",
    )
    c.action_changes = table(page.action_rows(), empty="No actions were added, withdrawn or changed.")
    c.measure_changes = table(page.measure_rows(), limit=listed, more="measure values", empty="No new measure values.")
    c.workforce_changes = table(
        page.workforce_rows(), total_label="All faculties", empty="No new workforce snapshot in this window."
    )
    if page.status_chart is not None and (page.status_at_start or page.status_at_end) and start < end:
        most = max([*page.status_at_start.values(), *page.status_at_end.values(), 0])
        if most > 10:
            # The builder ticks every whole number (dtick=1): with hundreds of actions that is hundreds of
            # overlapping labels, so let plotly choose the ticks.
            page.status_chart.figure.update_xaxes(dtick=None)
        c.add_chart("changes", pack_chart(page.status_chart))


def _verdict(c: PackContent, actions: list[ScheduledAction], work_pct: int, time_pct: int) -> Verdict:
    """The first page, from what the sections hold: the headline's work and time, the plan view's actions, the
    evidence tally, the changes view and the pillar gaps."""
    v = Verdict(status_line=status_line(work_pct, time_pct), pace=pace(work_pct, time_pct))
    counts = {s: sum(a.status == s for a in actions) for s in VERDICT_ORDER}
    parts = [f"{n:,} {STATUS_STYLE[s].symbol} {STATUS_STYLE[s].label.lower()}" for s, n in counts.items() if n]
    overdue = sum(a.overdue for a in actions)
    v.actions_line = (
        f"{plural(len(actions), 'action')}: {listing(parts, limit=len(parts))}; "
        + (f"{overdue:,} ⚠ overdue." if overdue else "none overdue.")
        if actions
        else "The plan has no actions."
    )
    t = c.evidence.to_date if c.evidence else None
    if t is not None:
        short = [f"{a.ref} ({a.against})" for a in t.short]
        said = t.headline if t.promising else t.headline[:1].lower() + t.headline[1:]  # 'no action promised …'
        v.evidence_line = f"Evidence: {said}" + (f"; short of it: {listing(short, limit=4)}" if short else "") + "."

    v.measures_line = c.measures_line

    # Who must act: delayed first, then at risk, each in plan order.
    troubled = [a for a in actions if a.status == "delayed"] + [a for a in actions if a.status == "at risk"]
    v.attention_total = len(troubled)
    v.attention = [
        AttentionRow(
            ref=a.ref,
            what=_short(a.purpose or a.activity, 90),
            owners=_short("; ".join(a.owners), 70) or "no owner named",
            status=status_label(a.status),
            percent=f"{a.percent_complete}%",
            overdue=a.overdue,
            note=_short(a.latest_note, VERDICT_NOTE) or "No note.",
            note_date=day(a.last_update) if a.last_update else "no update yet",
        )
        for a in troubled[:VERDICT_ROWS]
    ]
    if len(troubled) > VERDICT_ROWS:
        rest = len(troubled) - VERDICT_ROWS
        v.attention_more = (
            f"… and {rest:,} more at risk or delayed, listed first in section 4 with their owners and latest notes"
        )

    # What changed since the last pack (or over the period, for the first): one line per kind of change.
    page = c.changes
    if page is not None:
        start, end = page.start, page.end
        if start == end:
            v.changes_window = f"The period is the single day {day(end)}: nothing can have changed in it."
        elif c.round is not None:
            v.changes_window = f"{c.round.since}: changes after {day(start)} up to and including {day(end)}."
        elif c.previous is not None:
            v.changes_window = (
                f"Since the previous pack, which ran to {day(start)}: changes after that day up to and including "
                f"{day(end)}."
            )
        else:
            v.changes_window = f"No earlier pack: changes after {day(start)} up to and including {day(end)}."
        moves = page.status_changes
        # The changes view also reports actions withdrawn since: counted apart, so the "now" figures agree with
        # the actions line above (which, like the plan view, leaves withdrawn actions out).
        current = {a.ref for a in actions}
        gone = [m for m in moves if m.ref not in current]
        if not moves:
            v.changes.append("No action changed status.")
        elif len(moves) <= 6:
            v.changes.append(
                f"{plural(len(moves), 'status change')}: "
                + listing(
                    [
                        f"{m.ref} {STATUS_STYLE[m.from_status].label.lower()} → "
                        f"{STATUS_STYLE[m.to_status].label.lower()}"
                        + (" (since withdrawn)" if m.ref not in current else "")
                        for m in moves
                    ],
                    limit=6,
                )
                + "."
            )
        else:
            to = {s: sum(m.to_status == s and m.ref in current for m in moves) for s in VERDICT_ORDER}
            now = [f"{n:,} now {STATUS_STYLE[s].label.lower()}" for s, n in to.items() if n]
            if gone:
                now.append(f"{len(gone):,} in {'an action' if len(gone) == 1 else 'actions'} since withdrawn")
            v.changes.append(f"{plural(len(moves), 'status change')}: " + listing(now, limit=7) + ".")
        if page.updates_received:
            v.changes.append(f"{plural(page.updates_received, 'progress update')} received.")
        new = c.evidence.since_last if c.evidence else 0
        v.changes.append(
            f"{plural(new, 'new evidence item')} ({page.evidence_kinds_text})." if new else "No new evidence."
        )
        added, withdrawn, changed = page.actions_added, page.actions_withdrawn, page.actions_changed
        if added or withdrawn or changed:
            bits = []
            if added:
                bits.append(f"{plural(len(added), 'action')} added ({listing([a.ref for a in added], limit=6)})")
            if withdrawn:
                refs = listing([a.ref for a in withdrawn], limit=6)
                bits.append(f"{plural(len(withdrawn), 'action')} withdrawn ({refs})")
            if changed:
                bits.append(f"{plural(len(changed), 'action')} changed by a new version of the plan")
            v.changes.append("; ".join(bits) + ".")
        else:
            v.changes.append("No actions added or withdrawn.")
        v.changes.append(
            f"{plural(len(page.measures), 'new measure value')}." if page.measures else "No new measure values."
        )
    v.gaps = list(c.gaps)
    return v


def _workforce(session: Session, c: PackContent, as_of: date) -> None:
    wf = workforce_view(session=session, as_of=as_of, rounded=True)
    if wf.snapshot is None:
        c.snapshot_note = "No HR workforce extract is loaded yet."
        return
    c.snapshot = wf.snapshot
    later = wf.snapshot > as_of
    c.snapshot_note = f"HR snapshot of {day(wf.snapshot)}" + (
        f": every snapshot held is later than {day(as_of)}, so the earliest is shown."
        if later
        else f", the latest on or before {day(as_of)}."
    )
    change = ""
    if wf.previous is not None and wf.fte_change is not None:
        change = f"{wf.fte_change:+,.0f} since {day(wf.previous)}"
    hc_change = (
        f"{wf.headcount_change:+,.0f} since {day(wf.previous)}"
        if wf.previous is not None and wf.headcount_change is not None
        else ""
    )
    pct = wf.pct_female
    pct_change = (
        f"{wf.pct_female_change:+.1f} points since {day(wf.previous)}"
        if wf.previous is not None and wf.pct_female_change is not None
        else ""
    )
    c.workforce_figures = [
        Figure("Technical staff FTE", cell(wf.fte), change or "Rounded to the nearest 5."),
        Figure("Headcount", cell(wf.headcount), hc_change or "Rounded to the nearest 5."),
        Figure(
            "Women, % of headcount",
            SUPPRESSED if pct == SUPPRESSED else f"{float(pct):.1f}%",
            pct_change or "From exact figures.",
        ),
    ]
    total_label = wf.table1[-1].faculty if wf.table1 else "Total"
    c.fte_table = table(wf.table1_rows(), total_label=total_label)
    c.gender_table = table(wf.gender_by_faculty_rows(), total_label=total_label)
    c.flags_table = table(wf.flag_rows(), empty="No faculty is past the imbalance threshold.")
    c.grade_table = table(wf.gender_by_grade_rows(), total_label=total_label)
    c.trend_table = table(wf.trend_rows())
    c.suppressed = list(wf.suppressed)
    for ch in wf.charts:
        c.add_chart("workforce", pack_chart(ch))
