"""What the board pack says: page-ready data from `tracker.views`, arranged into the pack's sections.

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
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from tracker.charts import STATUS_STYLE, Chart
from tracker.charts.evidence import measures_progress
from tracker.charts.plan import status_label, timeline
from tracker.disclosure import MAX_AVERAGE_SUPPRESSED, MIN_PERCENT_POPULATION, SUPPRESSED
from tracker.views.changes import ChangesPage, changes_view, day
from tracker.views.evidence import evidence_view
from tracker.views.home import home_view
from tracker.views.pillars import pillars_view
from tracker.views.plan import plan_view
from tracker.views.workforce import workforce_view

# A chart never runs past a page: charts with a row per action or measure are drawn in parts of at most
# ROWS_PER_CHART rows, and past FULL_ROWS rows each row gets ROW_PX pixels instead of the builder's own.
ROWS_PER_CHART = 36
FULL_ROWS = 20
ROW_PX = 22
# Past this many actions the pack is set compactly: long texts are shortened (the app holds them whole) and
# the per-action evidence chart, which would run to many pages, is left out.
COMPACT_OVER = 40
# Listings that can run to thousands of rows (evidence items, chart data in the no-browser fallback) stop here.
MAX_LISTED = 80
TROUBLED = ("at risk", "delayed")

SECTIONS = (
    ("headline", "Headline figures"),
    ("status", "Status by theme and pillar"),
    ("timeline", "Timeline"),
    ("actions", "Every action"),
    ("changes", "What changed since the previous pack"),
    ("evidence", "Evidence received against what was promised"),
    ("measures", "Measures against targets"),
    ("workforce", "Workforce and gender"),
    ("rounding", "About the staff figures"),
)

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
    """CSS percentages for a fixed table layout (far faster for WeasyPrint than measuring every cell).

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
    src: str | None = None  # where WeasyPrint fetches the drawn chart (None: print the data table instead)


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


@dataclass
class PackContent:
    """Everything the template prints, section by section."""

    title: str
    institution: str
    plan: dict[str, Any] | None
    period_start: date
    period_end: date
    built_at: datetime
    built_by: str
    confidentiality: str
    charts_note: str = ""  # why there are no charts ("" when there are)
    previous: Previous | None = None
    changes_from: date | None = None
    sections: tuple[tuple[str, str], ...] = SECTIONS
    rounding_note: str = ROUNDING_NOTE
    status_key: list[tuple[str, str]] = field(default_factory=list)
    # headline
    figures: list[dict[str, str]] = field(default_factory=list)
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
    evidence_in_period: int = 0
    evidence_table: Table | None = None
    measures_table: Table | None = None
    # workforce
    snapshot: date | None = None
    snapshot_note: str = ""
    workforce_figures: list[dict[str, str]] = field(default_factory=list)
    fte_table: Table | None = None
    gender_table: Table | None = None
    flags_table: Table | None = None
    grade_table: Table | None = None
    trend_table: Table | None = None
    suppressed: list[str] = field(default_factory=list)
    # charts, by section
    charts: dict[str, list[PackChart]] = field(default_factory=dict)

    def all_charts(self) -> list[PackChart]:
        return [c for group in self.charts.values() for c in group]


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
    plan: dict[str, Any] | None,
) -> PackContent:
    """The pack's content for the period, the state of things as they stood on `period_end`, and what changed
    after `changes_from` up to `period_end`.

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
        institution=(plan or {}).get("institution", "") or "",
        plan=plan,
        period_start=period_start,
        period_end=period_end,
        built_at=built_at,
        built_by=built_by,
        confidentiality=confidentiality,
        previous=previous,
        changes_from=changes_from,
        status_key=[(s.symbol, s.label) for s in STATUS_STYLE.values()],
    )
    as_of = period_end
    c.charts = {key: [] for key, _ in SECTIONS}
    if plan is None:
        c.in_brief = "No action plan is loaded yet, so there is no progress to report."
    else:
        _plan_sections(session, c, as_of)
    _changes(session, c, changes_from, period_end)
    _workforce(session, c, as_of)
    return c


def _plan_sections(session: Session, c: PackContent, as_of: date) -> None:
    assert c.plan is not None
    home = home_view(session=session, as_of=as_of)
    c.figures = [{"label": f.label, "value": f.value, "explanation": f.explanation} for f in home.figures]
    c.gaps = list(home.gaps)
    if home.by_status is not None:
        c.charts["headline"].append(pack_chart(home.by_status))

    pv = plan_view(session=session, as_of=as_of)
    actions = pv.actions
    # Status by theme: counts from the plan view's actions (themes in plan order).
    by_theme: dict[str, dict[str, int]] = {}
    pct: dict[str, list[int]] = {}
    for a in actions:
        t = a["theme"] or "(no theme)"
        by_theme.setdefault(t, {})
        by_theme[t][a["status"]] = by_theme[t].get(a["status"], 0) + 1
        pct.setdefault(t, []).append(int(a["percent_complete"] or 0))
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

        c.charts["status"].append(pack_chart(status_by_theme(by_theme)))

    pillars = pillars_view(session=session, as_of=as_of)
    c.pillar_table = table(pillars.pillars, empty="No actions.")
    c.charts["status"] += [pack_chart(ch) for ch in pillars.charts]

    # The timeline: one chart per ROWS_PER_CHART actions, so no chart is taller than a page. A large plan's
    # timeline shows the actions that need the board's attention (all of them are listed in "Every action").
    compact = len(actions) > COMPACT_OVER
    c.compact = compact
    on_timeline = actions
    if compact:
        on_timeline = [a for a in actions if a["status"] in TROUBLED or a["overdue"]][: 2 * ROWS_PER_CHART]
        attention = sum(1 for a in actions if a["status"] in TROUBLED or a["overdue"])
        c.timeline_note = (
            f"With {len(actions):,} actions, the timeline shows the {attention:,} that need attention (at risk, "
            "delayed or overdue)"
            + (f", the first {len(on_timeline)} of them in plan order" if attention > len(on_timeline) else "")
            + "; every action is listed in section 4, and the Action plan page draws the whole timeline."
        )
    if on_timeline:
        plan = c.plan
        parts = _chunks(on_timeline, ROWS_PER_CHART)
        name = f"The {plan['months']}-month timeline" + (": actions needing attention" if compact else "")
        for i, chunk in enumerate(parts):
            if not compact and len(parts) == 1 and pv.timeline is not None:
                ch = pv.timeline
            else:
                ch = timeline(chunk, plan_start=plan["start"], plan_end=plan["end"], today=as_of, months=plan["months"])
            _fit(ch, len(chunk))
            _room_on_the_right(ch)
            first = i * ROWS_PER_CHART + 1
            title = _part(name, len(parts), first, first + len(chunk) - 1, len(on_timeline), "actions")
            c.charts["timeline"].append(pack_chart(ch, title=title))

    # Every action: at risk and delayed first, then the rest, each group in plan order.
    ordered = [a for a in actions if a["status"] in TROUBLED] + [a for a in actions if a["status"] not in TROUBLED]
    c.troubled = sum(a["status"] in TROUBLED for a in actions)
    c.overdue = sum(bool(a["overdue"]) for a in actions)
    c.actions = [
        ActionRow(
            ref=a["ref"],
            what=_short(a["purpose"] or a["activity"], 90 if compact else 170),
            owners=_short("; ".join(a["owners"]), 45 if compact else 200) or "–",
            pillars=("pillars " + " ".join(a["pillars"])) if a["pillars"] else "no pillar",
            status=status_label(a["status"]),
            percent=f"{a['percent_complete']}%",
            due=cell(a["due"]),
            overdue=bool(a["overdue"]),
            note=(_short(a["latest_note"], 110) if compact else a["latest_note"]) or "No note.",
            note_date=cell(a["last_update"]) if a["last_update"] else "no update yet",
            troubled=a["status"] in TROUBLED,
        )
        for a in ordered
    ]

    # Evidence received in the period against what was promised (promised and received-to-date from the view).
    ev = evidence_view(session=session, as_of=as_of)
    lo, hi = c.period_start.isoformat(), as_of.isoformat()
    in_period: dict[str, int] = {}
    for e in ev.items:
        if lo < e["date"] <= hi:
            in_period[e["ref"]] = in_period.get(e["ref"], 0) + 1
    c.evidence_in_period = sum(in_period.values())
    ev_rows = [
        {
            "Ref": r["Ref"],
            "Evidence promised": r["Evidence promised"] or "–",
            "Promised": r["Promised"],
            "Received in the period": in_period.get(r["Ref"], 0),
            "Received to date": r["Received"],
            "Latest": r["Latest"],
            "Gap": r["Gap"],
        }
        for r in ev.per_action
    ]
    if compact:
        # One line per action: what each promised is in the plan (and on the Evidence & impact page).
        no_gaps = not any(r["Gap"] for r in ev_rows)
        for r in ev_rows:
            del r["Evidence promised"], r["Latest"]
            if no_gaps:
                del r["Gap"]
    c.evidence_summary = ev.summary
    c.evidence_table = table(ev_rows, empty="No actions.", compact=compact)
    if len(actions) <= ROWS_PER_CHART:
        ch = ev.charts[0]
        _fit(ch, len(actions))
        c.charts["evidence"].append(pack_chart(ch))
    else:
        c.evidence_chart_note = (
            f"With {len(actions):,} actions, the chart of each action's evidence over time would run to "
            f"{-(-len(actions) // ROWS_PER_CHART)} pages, so it is left out: the table gives each action's evidence, "
            "section 2 charts evidence per pillar over time, and the Evidence & impact page shows every item."
        )

    # Measures against targets.
    m_rows = [
        {
            "Ref": m["ref"],
            "Measure": m["name"],
            "Unit": m["unit"],
            "Baseline": m["baseline"],
            "Target": m["target"],
            "Latest": m["latest"],
            "As of": m["as_of"],
            "Progress to target": "–"
            if m["progress"] is None
            else f"{m['progress']:.0f}%" + (" ✔ met" if m["progress"] >= 100 else ""),
        }
        for m in ev.measures
    ]
    if compact:
        # One line per measure: unit folded into the figures.
        m_rows = [
            {
                "Ref": m["ref"],
                "Measure": m["name"],
                "Baseline → target": (
                    f"{cell(m['baseline'])}% → {cell(m['target'])}%"
                    if m["unit"] == "%"
                    else f"{cell(m['baseline'])} → {cell(m['target'])} {m['unit']}".strip()
                ),
                "Latest (as of)": f"{cell(m['latest'])} ({cell(m['as_of'])})",
                "Progress to target": r["Progress to target"],
            }
            for m, r in zip(ev.measures, m_rows, strict=True)
        ]
    c.measures_table = table(m_rows, empty="No measure has a value yet.", compact=compact)
    if ev.measures and len(ev.measures) <= ROWS_PER_CHART and len(ev.charts) > 1:
        ch = ev.charts[1]
        _fit(ch, len(ev.measures))
        c.charts["measures"].append(pack_chart(ch))
    elif ev.measures:
        # Too many for one chart: the ones furthest from their targets, which is where a board looks.
        behind = sorted(ev.measures, key=lambda m: (m["progress"] is None, m["progress"] or 0.0))[:ROWS_PER_CHART]
        ch = measures_progress(behind)
        _fit(ch, len(behind))
        title = f"The {len(behind)} measures furthest from their targets (of {len(ev.measures):,})"
        c.charts["measures"].append(pack_chart(ch, title=title))


def _room_on_the_right(chart: Chart) -> None:
    """Widen a timeline's date axis by a tenth on the right, so the "⚠ overdue" labels of actions due near
    the end, and the as-of label, are not cut off at the edge of the printed chart."""
    xrange = chart.figure.layout.xaxis.range
    if xrange and len(xrange) == 2:
        lo, hi = (date.fromisoformat(str(v)[:10]) for v in xrange)
        chart.figure.update_xaxes(range=[lo.isoformat(), (hi + (hi - lo) / 10).isoformat()])


def _fit(chart: Chart, rows: int) -> None:
    """Past FULL_ROWS rows, give each row ROW_PX pixels, so a part of up to ROWS_PER_CHART rows fits a page."""
    if rows > FULL_ROWS:
        chart.figure.update_layout(height=110 + ROW_PX * rows)


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
        c.charts["changes"].append(pack_chart(page.status_chart))


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
        {"label": "Technical staff FTE", "value": cell(wf.fte), "explanation": change or "Rounded to the nearest 5."},
        {"label": "Headcount", "value": cell(wf.headcount), "explanation": hc_change or "Rounded to the nearest 5."},
        {
            "label": "Women, % of headcount",
            "value": SUPPRESSED if pct == SUPPRESSED else f"{float(pct):.1f}%",
            "explanation": pct_change or "From exact figures.",
        },
    ]
    total_label = wf.table1[-1]["Faculty"] if wf.table1 else "Total"
    c.fte_table = table(wf.table1, total_label=total_label)
    c.gender_table = table(wf.gender_by_faculty, total_label=total_label)
    c.flags_table = table(wf.flag_rows, empty="No faculty is past the imbalance threshold.")
    c.grade_table = table(wf.gender_by_grade, total_label=total_label)
    c.trend_table = table(wf.trend)
    c.suppressed = list(wf.suppressed)
    c.charts["workforce"] = [pack_chart(ch) for ch in wf.charts]
