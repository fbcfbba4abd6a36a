"""Build the board pack (a tagged PDF/UA document), keep it, and hand kept packs back.

`build_pack` gathers the content from the views (`tracker.report.content`), asking the browser for each chart as
SVG as soon as its figure is made (`tracker.charts.export`, drawn while the rest is gathered, and kept by content
so the same figure is never drawn twice in a process; without a browser each chart becomes its data table), sets
the pages with Typst (`pack.typ`, fed the content as JSON data and the charts as SVG inputs: a tagged PDF/UA-1
file), and stores the PDF's bytes with its period, author, time, SHA-256 and page count, with an audit event in
the same transaction.

Example:
    >>> from tracker.db import open_engine
    >>> from tracker.auth import Actor
    >>> with Session(open_engine("sqlite://")) as s:
    ...     list_packs(session=s, actor=Actor("b@uni.ac.uk", "board"))
    []
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.audit import record
from tracker.auth import Actor, require
from tracker.config import get_settings
from tracker.models import BoardPack, utcnow
from tracker.records import PackInfo
from tracker.report.content import (
    CELL_PADDING_MM,
    CHAR_MM,
    COMPACT_PT,
    TABLE_MM,
    TABLE_PT,
    PackChart,
    PackContent,
    PackRound,
    Previous,
    Table,
    gather,
    round_name,
)
from tracker.summary import plan_info
from tracker.text import day
from tracker.views.changes import round_marks, since_last_round

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "pack.typ"
# A table of at most this many rows is kept on one page (with what it explains); a longer one may continue on the
# next page under its repeated header.
KEEP_ROWS = 15

Progress = Callable[[str, float], None]


class PackNotFound(LookupError):
    """No kept pack has that id."""


@dataclass
class PackResult:
    """A built (and kept) pack: the PDF, its id in the pack list, and what a page or the CLI tells the user."""

    pdf: bytes
    pack_id: int
    title: str
    pages: int
    has_charts: bool
    period_start: date
    period_end: date
    filename: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def pack_filename(period_start: date, period_end: date, pack_id: int | None = None) -> str:
    """A safe download name: 'board-pack_2018-11-01_to_2020-10-31_3.pdf'.

    Example:
        >>> pack_filename(date(2018, 11, 1), date(2020, 10, 31), 3)
        'board-pack_2018-11-01_to_2020-10-31_3.pdf'
    """
    tail = f"_{pack_id}" if pack_id is not None else ""
    return f"board-pack_{period_start.isoformat()}_to_{period_end.isoformat()}{tail}.pdf"


def _latest_pack_on_or_before(session: Session, on: date) -> BoardPack | None:
    q = (
        select(BoardPack)
        .where(col(BoardPack.period_end) <= on)
        .order_by(col(BoardPack.period_end).desc(), col(BoardPack.id).desc())
        .limit(1)
    )
    return session.exec(q).scalars().first()  # type: ignore[call-overload,no-any-return]


def default_period(*, session: Session, today: date | None = None) -> tuple[date, date]:
    """The period a pack covers unless told otherwise: it ends on the as-of date the sidebar would show (today,
    or the plan's last day once the plan is over) and starts where the previous pack ended (the plan's start
    for the first pack; the end date itself when there is neither plan nor pack).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     default_period(session=s, today=date(2024, 5, 1))
        (datetime.date(2024, 5, 1), datetime.date(2024, 5, 1))
    """
    today = today or date.today()
    plan = plan_info(session=session)
    end = min(today, plan.end) if plan else today
    previous = _latest_pack_on_or_before(session, end)
    if previous is not None:
        start = previous.period_end
    elif plan is not None:
        start = min(plan.start, end)
    else:
        start = end
    return start, end


def last_round(*, session: Session, today: date | None = None, period_end: date | None = None) -> PackRound | None:
    """The period a pack "since the last round" covers: from the due date of the round before to the due date of
    the latest update round that had ended by `period_end` (by default the as-of date `default_period` ends on:
    today, or the plan's last day once the plan is over). The rounds are those opened on the Rounds page, else
    those read from the updates' dates (`tracker.views.changes.round_marks`). None when no round had ended.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     last_round(session=s, today=date(2024, 5, 1)) is None
        True
    """
    marks = round_marks(session=session)
    if not marks:
        return None
    reference = period_end or default_period(session=session, today=today)[1]
    return PackRound.of(since_last_round(marks, reference=reference))


def previous_pack(*, session: Session, period_start: date) -> BoardPack | None:
    """The pack "what changed" compares with: the latest kept pack whose period ended on or before this period
    starts (so rebuilding a period compares with the pack before it, not with itself).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     previous_pack(session=s, period_start=date(2020, 1, 1)) is None
        True
    """
    return _latest_pack_on_or_before(session, period_start)


def _aware(ts: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def built_text(ts: datetime) -> str:
    """When a pack was built, in London time, dated as everywhere else ('7 Dec 2026 at 10:19 GMT').

    Example:
        >>> built_text(datetime(2020, 10, 5, 13, 30, tzinfo=UTC))
        '5 Oct 2020 at 14:30 BST'
    """
    try:
        from zoneinfo import ZoneInfo

        local = ts.astimezone(ZoneInfo("Europe/London"))
        return f"{day(local)} at {local:%H:%M %Z}"
    except Exception:  # no time-zone data on the machine: UTC says the same
        return f"{day(ts)} at {ts:%H:%M} UTC"


CHART_WAIT = 180.0  # seconds the pack waits for all its charts together (export has its own, shorter, limits)


class ChartsFailed(RuntimeError):
    """A chart could not be drawn: the pack is set with data tables in place of the charts."""


class ChartDrawer:
    """Asks the browser for each of the pack's charts as soon as its figure is made (`add`, handed to `gather`),
    so the charts are drawn while the rest of the content is gathered; `svgs` then waits for them all.

    Charts already drawn in this process for the same figure come from `tracker.charts.export`'s cache.

    Example:
        >>> drawer = ChartDrawer()
        >>> content = gather(..., on_chart=drawer.add)  # doctest: +SKIP
        >>> svgs = drawer.svgs(content, progress)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._futures: list[tuple[PackChart, Future[str]]] = []

    def add(self, ch: PackChart) -> None:
        from tracker.charts import export

        try:
            future = export.submit_svg(ch.chart.figure)
        except Exception as exc:  # handed on to `svgs`, which reports it
            future = Future()
            future.set_exception(exc)
        self._futures.append((ch, future))

    def svgs(self, content: PackContent, progress: Progress) -> dict[str, str]:
        """{input name: SVG} for every chart in `content`, each chart's `src` set to its input name; raises
        ChartsFailed when one could not be drawn."""
        from tracker.charts import export

        drawn = {id(ch): future for ch, future in self._futures}
        charts = content.all_charts()
        out: dict[str, str] = {}
        deadline = time.monotonic() + CHART_WAIT
        for n, ch in enumerate(charts, start=1):
            progress(f"Drawing chart {n} of {len(charts)}", 0.3 + 0.4 * n / max(len(charts), 1))
            future = drawn.get(id(ch))
            if future is None:  # a chart gather made without telling the drawer: ask for it now
                self.add(ch)
                future = self._futures[-1][1]
            try:
                if time.monotonic() > deadline:
                    raise ChartsFailed(f"the charts were not drawn within {CHART_WAIT:g} s")
                svg = export.wait_svg(future, first=n == 1)
            except ChartsFailed:
                raise
            except Exception as exc:  # ChartsUnavailable, or a timeout
                raise ChartsFailed(str(exc) or type(exc).__name__) from exc
            name = f"c{n}"
            ch.src = name
            out[name] = print_fonts(svg)
        return out


_FONT_FAMILY = re.compile(r"font-family:\s*[^;\"]*")
PRINT_FONTS = "font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif"
SYMBOL_FONTS = "font-family: 'DejaVu Sans', sans-serif; font-stretch: condensed"
# Symbols Liberation Sans lacks (‖, and the Miscellaneous Symbols and Dingbats blocks: ✔ ✕ ⚠ ✓ …).
_SYMBOLS = re.compile("[\u2016\u2600-\u27bf]")
_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(?=</text>)", re.S)


def print_fonts(svg: str) -> str:
    """The chart's text set in fonts as wide as those the browser drew it with, so a label the browser measured
    and placed (right-aligned against an axis, say) fits where it was put.

    plotly names 'Source Sans Pro', Helvetica, Arial, which Chromium finds as Liberation Sans (Arial's metrics)
    through fontconfig's aliases, taking each symbol Liberation lacks (✔ ✕ ⚠) from DejaVu Sans. Typst takes font
    names as written, so it is given Liberation Sans by name; and since it sets a whole text in one font that has
    every character in it (the wider DejaVu Sans, for a label holding a symbol), a text with a symbol is given
    DejaVu Sans Condensed, about as wide as Liberation Sans with DejaVu's symbols.

    Example:
        >>> print(print_fonts('<text style="font-family: Arial; font-size: 9px">D1 · ✔ Complete</text>'
        ...                   '<text style="font-family: Arial">Actions</text>'))  # doctest: +NORMALIZE_WHITESPACE
        <text style="font-family: 'DejaVu Sans', sans-serif; font-stretch: condensed; font-size: 9px">D1 · ✔
        Complete</text><text style="font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif">Actions</text>
    """

    def text(m: re.Match[str]) -> str:
        opening, body = m.group(1), m.group(2)
        fonts = SYMBOL_FONTS if _SYMBOLS.search(body) else PRINT_FONTS
        return _FONT_FAMILY.sub(fonts, opening) + _FONT_FAMILY.sub(fonts, body)

    return _TEXT.sub(text, _FONT_FAMILY.sub(PRINT_FONTS, svg))


def _no_charts(content: PackContent, why: str) -> None:
    for ch in content.all_charts():
        ch.src = None
    content.charts_note = f"{why} Each chart's data table is printed in its place."


@functools.cache
def _source() -> bytes:
    """The pack's Typst source, read once per process."""
    return SOURCE.read_bytes()


def _runs(*parts: tuple[str, str]) -> list[dict[str, str]]:
    """A table cell of several runs: (text, style) with style '' (plain), 'meta' (small, grey), 'strong' (bold,
    kept on one line), 'bold' or 'break' (a line break)."""
    return [{"text": t, "style": style} for t, style in parts if t or style == "break"]


def _what(what: str, overdue: bool) -> list[dict[str, str]]:
    """An action's text, with '⚠ overdue' after it (kept on one line) when it is."""
    return _runs((what, ""), (" ", "") if overdue else ("", ""), ("⚠ overdue" if overdue else "", "strong"))


TALL_ROW_MM = 150.0  # a row estimated taller than this may break across pages (a page's text is 260 mm tall)


def _cell_chars(cell: Any) -> int:
    return len(cell) if isinstance(cell, str) else sum(len(r["text"]) + 60 * (r["style"] == "break") for r in cell)


def tall_rows(widths: list[float], rows: list[list[Any]], size_pt: float) -> list[int]:
    """The rows (0-based) too tall to be kept whole on a page: a row is never split across pages, unless it
    would not fit on one (a note of thousands of characters), when it continues on the next page rather than
    run off the bottom of this one. Heights are estimated from the text's length, the column's share of the
    text width (180 mm) and the font size, generously.

    Example:
        >>> tall_rows([10, 90], [["D1", "short"], ["D2", "word " * 3000]], 8)
        [1]
    """
    total = sum(widths) or 1.0
    char_mm = CHAR_MM * size_pt
    line_mm = size_pt * 1.3 * 0.3528
    out = []
    for i, row in enumerate(rows):
        height = 0.0
        for w, cell in zip(widths, row, strict=False):
            room = max(TABLE_MM * w / total - CELL_PADDING_MM, 5.0)
            height = max(height, -(-_cell_chars(cell) * char_mm // room) * line_mm)
        if height > TALL_ROW_MM:
            out.append(i)
    return out


def _table(t: Table | None, *, bold: tuple[int, ...] = ()) -> dict[str, Any] | None:
    """A `Table` as the Typst template reads it."""
    if t is None:
        return None
    widths = [float(w.rstrip("%")) for w in t.widths] if t.widths else [1.0] * len(t.columns)
    return {
        "columns": t.columns,
        "rows": t.rows,
        "tall": tall_rows(widths, t.rows, COMPACT_PT if t.compact else TABLE_PT),
        "numeric": sorted(t.numeric),
        "nowrap": sorted(t.nowrap),
        "bold": list(bold),
        "widths": widths,
        "compact": t.compact,
        "classes": t.row_classes or [""] * len(t.rows),
        "keep": len(t.rows) <= KEEP_ROWS,
        "note": t.note,
        "empty": t.empty,
    }


def _rich_table(
    columns: list[str],
    widths: list[float],
    rows: list[list[Any]],
    *,
    numeric: tuple[int, ...] = (),
    bold: tuple[int, ...] = (),
    classes: list[str] | None = None,
    compact: bool = False,
    size: float | None = None,
) -> dict[str, Any]:
    return {
        "columns": columns,
        "rows": rows,
        "tall": tall_rows(widths, rows, size or (COMPACT_PT if compact else TABLE_PT)),
        "numeric": list(numeric),
        "nowrap": [],
        "bold": list(bold),
        "widths": widths,
        "compact": compact,
        "classes": classes or [""] * len(rows),
        "keep": len(rows) <= KEEP_ROWS,
        "note": "",
        "empty": "None.",
        "size": size,
    }


def _chart(ch: PackChart) -> dict[str, Any]:
    from tracker.charts.export import WIDTH, export_size

    w, h = export_size(ch.chart.figure)
    return {
        "title": ch.title,
        "summary": ch.summary,
        "alt": f"{ch.title}. {ch.summary}",
        "svg": ch.src,
        # Printed at the text's width (180 mm for WIDTH px), unless that would be taller than 200 mm.
        "tall": h * 180.0 / (w or WIDTH) > 200.0,
        "data": _table(ch.data),
    }


def pack_data(content: PackContent, *, author: str, author_full: str) -> dict[str, Any]:
    """Everything the Typst template (pack.typ) prints, as JSON-ready data: text stays text (it is never read as
    markup), each chart names the input its SVG comes in (`src`) or carries its data table instead.

    Example:
        >>> from tracker.report.content import gather
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     c = gather(session=s, period_start=date(2020, 1, 1), period_end=date(2020, 1, 1),
        ...                changes_from=date(2020, 1, 1), previous=None, title="Board pack",
        ...                built_at=datetime(2020, 1, 2, tzinfo=UTC), built_by="a@uni.ac.uk",
        ...                confidentiality="Confidential", plan=None)
        >>> d = pack_data(c, author="A", author_full="A (a@uni.ac.uk)")
        >>> d["title"], d["verdict"], d["sections"][0]
        ('Board pack', None, ('headline', 'Headline figures'))
    """
    c = content
    dates = f"{day(c.period_start)} to {day(c.period_end)}"
    period = f"the {c.round.name}, {dates}" if c.round is not None else dates
    if c.round is not None:
        compared = f"{c.round.since}: what changed after {day(c.period_start)} up to and including {day(c.period_end)}."
        since = c.round.since[:1].lower() + c.round.since[1:]
        changes_text = f"{since}: after {day(c.period_start)} up to and including {day(c.period_end)}"
    elif c.previous is not None:
        compared = (
            f"Compared with the previous pack (“{c.previous.title}”, built {day(c.previous.built_at)}): "
            f"what changed after {day(c.previous.period_end)} up to and including {day(c.period_end)}."
        )
        changes_text = f"since the previous pack, {day(c.previous.period_end)} to {day(c.period_end)}"
    else:
        start = c.changes_from or c.period_start
        compared = (
            f"This is the first pack kept for this period: what changed after {day(start)} up to and "
            f"including {day(c.period_end)}."
        )
        changes_text = f"{day(start)} to {day(c.period_end)} (no earlier pack)"
    running = " · ".join(
        x
        for x in (
            c.institution,
            "Board pack",
            c.round.name if c.round is not None else "",
            f"{day(c.period_start)} – {day(c.period_end)}",
        )
        if x
    )
    verdict: dict[str, Any] | None = None
    if c.verdict is not None:
        v = c.verdict
        attention = None
        if v.attention:
            attention = _rich_table(
                ["Ref", "Action", "Owners", "Status", "Done", "Latest note"],
                [6, 28, 19, 11, 6.5, 29.5],
                [
                    [
                        a.ref,
                        _what(a.what, a.overdue),
                        a.owners,
                        a.status,
                        a.percent,
                        _runs((a.note, ""), (f" ({a.note_date})", "meta")),
                    ]
                    for a in v.attention
                ],
                numeric=(4,),
                bold=(2, 3),
                size=7.8,
            )
        total = v.attention_total
        verdict = {
            "pace": v.pace,
            "status_line": v.status_line,
            "lines": [x for x in (v.actions_line, v.evidence_line, v.measures_line) if x],
            "attention_heading": f"At risk or delayed: {total:,} action{'' if total == 1 else 's'}"
            if total
            else "At risk or delayed: none",
            "attention": attention,
            "attention_more": v.attention_more,
            "changes_heading": f"What changed since the last {'round' if c.round else 'pack'}",
            "changes_window": v.changes_window,
            "changes": v.changes,
            "gaps": v.gaps,
        }
    actions = None
    if c.actions:
        if c.compact:
            actions = _rich_table(
                ["Ref", "Action", "Owners", "Status", "% done", "Latest note"],
                [6, 30, 17, 11.5, 7.5, 28],
                [
                    [
                        a.ref,
                        _what(a.what, a.overdue),
                        a.owners,
                        a.status,
                        a.percent,
                        _runs((a.note, ""), (f" ({a.note_date})", "meta")),
                    ]
                    for a in c.actions
                ],
                numeric=(4,),
                bold=(3,),
                classes=["troubled" if a.troubled else "" for a in c.actions],
                compact=True,
                size=7.3,
            )
        else:
            actions = _rich_table(
                ["Ref", "Action; owners, pillars and due date", "Status", "% complete", "Latest note"],
                [6.5, 42, 12.5, 9, 30],
                [
                    [
                        a.ref,
                        _runs(
                            (a.what, ""),
                            ("", "break"),
                            (f"{a.owners} · {a.pillars} · due {a.due}", "meta"),
                            (" ", "") if a.overdue else ("", ""),
                            ("⚠ overdue" if a.overdue else "", "strong"),
                        ),
                        a.status,
                        a.percent,
                        _runs((a.note, ""), (f" ({a.note_date})", "meta")),
                    ]
                    for a in c.actions
                ],
                numeric=(3,),
                bold=(2,),
                classes=["troubled" if a.troubled else "" for a in c.actions],
            )
        actions["keep"] = False
    n = len(c.actions or [])
    if c.troubled:
        order = f"the {c.troubled} at risk or delayed first, then the rest"
    else:
        order = "none is at risk or delayed; listed"
    overdue = f" {c.overdue} {'is' if c.overdue == 1 else 'are'} overdue (⚠)." if c.overdue else ""
    facts = [
        ("Reporting period", period),
        ("Figures as they stood on", day(c.period_end)),
        ("Changes reported", changes_text),
    ]
    if c.plan:
        facts.append(
            ("Action plan", f"{c.plan.title}: {c.plan.months} months, {day(c.plan.start)} to {day(c.plan.end)}")
        )
    facts += [("Built", built_text(c.built_at)), ("Built by", author_full)]
    ev = c.evidence
    workforce_lead = ""
    if c.changes and c.changes.workforce:
        wfc = c.changes.workforce
        workforce_lead = f"Snapshot of {day(wfc.from_date) if wfc.from_date else '(none)'} against {day(wfc.to_date)};"
    return {
        "title": c.title,
        "author": author,
        "subject": f"Technician Commitment board pack for {period}",
        "keywords": ["Technician Commitment", "board pack", *([c.institution] if c.institution else [])],
        "running_title": running,
        "confidentiality": c.confidentiality,
        "heading_who": c.institution or "Technician Commitment",
        "heading_what": f"Board pack for {period}",
        "plan_line": (
            f"The {c.plan.months}-month action plan runs from {day(c.plan.start)} to {day(c.plan.end)}. "
            f"Figures as they stood on {day(c.period_end)}."
            if c.plan
            else ""
        ),
        "plan": c.plan.title if c.plan else None,
        "in_brief": c.in_brief,
        "verdict": verdict,
        "sections": list(c.sections),
        "section_names": {key: f"{i}. {name}" for i, (key, name) in enumerate(c.sections, start=1)},
        "facts": facts,
        "charts_note": c.charts_note,
        "status_key": [f"{symbol} {label}" for symbol, label in c.status_key],
        "rounding_at": c.rounding_at,
        "rounding_note": c.rounding_note,
        "built_text": built_text(c.built_at),
        "chromium_hint": "Charts need Chromium: apt-get install chromium",
        "period_end_text": day(c.period_end),
        "figures": [{"label": f.label, "value": f.value, "explanation": f.explanation} for f in c.figures],
        "theme_table": _table(c.theme_table),
        "pillar_table": _table(c.pillar_table),
        "pillar_note": ev.pillar_note if ev else "",
        "timeline_note": c.timeline_note,
        "actions": actions,
        "actions_lead": (
            f"All {n} actions as they stood on {day(c.period_end)}: {order} in plan order.{overdue}" if n else ""
        ),
        "action_count": n,
        "compact": c.compact,
        "compared_text": compared,
        "changes_summary": c.changes.summary if c.changes else "Nothing to compare.",
        "status_changes": _table(c.status_changes),
        "new_evidence_lead": (
            f"{ev.since_last:,} item{'' if ev.since_last == 1 else 's'} dated in this window (a corrected item is "
            "counted once, as its correction)."
            if ev and ev.since_last
            else ""
        ),
        "new_evidence": _table(c.new_evidence),
        "action_changes": _table(c.action_changes),
        "measure_changes": _table(c.measure_changes),
        "workforce_lead": workforce_lead,
        "workforce_changes": _table(c.workforce_changes),
        "evidence_lead": (
            f"{ev.in_period:,} evidence item{'' if ev.in_period == 1 else 's'} received in the period ({period}). "
            f"To date: {c.evidence_summary}"
            if ev
            else ""
        ),
        "evidence_table": _table(c.evidence_table),
        "evidence_table_note": c.evidence_table_note,
        "evidence_chart_note": c.evidence_chart_note,
        "measures_table": _table(c.measures_table),
        "snapshot": day(c.snapshot) if c.snapshot else None,
        "snapshot_note": c.snapshot_note,
        "suppressed": ", ".join(c.suppressed),
        "workforce_figures": [
            {"label": f.label, "value": f.value, "explanation": f.explanation} for f in c.workforce_figures
        ],
        "fte_table": _table(c.fte_table),
        "gender_table": _table(c.gender_table),
        "flags_table": _table(c.flags_table),
        "grade_table": _table(c.grade_table),
        "trend_table": _table(c.trend_table),
        "charts": {key: [_chart(ch) for ch in group] for key, group in c.charts.items()},
    }


_compile_lock = threading.Lock()


def render_pdf(data: dict[str, Any], svgs: dict[str, str] | None = None, *, built_at: datetime | None = None) -> bytes:
    """The pack's PDF: pack.typ set by Typst with `data` (`pack_data`) and the charts' SVGs (by input name), as
    tagged PDF/UA-1, A4. It reads no file but its own template and fetches nothing.

    Example:
        >>> pdf = render_pdf(pack_data(c, author="A", author_full="A"))  # doctest: +SKIP
        >>> pdf[:5]  # doctest: +SKIP
        b'%PDF-'
    """
    import typst

    inputs = {"data": json.dumps(data, ensure_ascii=False, default=str), **(svgs or {})}
    with _compile_lock:  # one compile at a time per process: each already uses what the machine has
        pdf = typst.compile(
            _source(),
            sys_inputs=inputs,
            pdf_standards=["ua-1"],
            timestamp=built_at.replace(microsecond=0) if built_at is not None and built_at.tzinfo else None,
        )
    assert isinstance(pdf, bytes)
    return pdf


def row_headers(pdf: bytes) -> tuple[bytes, int]:
    """(the PDF, its page count): the PDF with the first cell of every table body row tagged as a row header
    (/TH with /Scope /Row), written with its objects compressed into object streams.

    Every table in the pack names its row in its first column (a ref, a theme, a faculty), as its header row
    names the columns; Typst tags the header row's cells /TH with /Scope /Column, but offers row headers only
    behind a feature flag the `typst` package cannot set, so they are tagged here, with pikepdf, after Typst.

    Example:
        >>> pdf, pages = row_headers(render_pdf(pack_data(content, author="A", author_full="A")))  # doctest: +SKIP
    """
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        root = doc.Root.get("/StructTreeRoot")
        todo = [root] if root is not None else []
        while todo:
            el = todo.pop()
            k = el.get("/K")
            kids: list[Any] = list(k) if isinstance(k, pikepdf.Array) else [k]
            elements = [x for x in kids if isinstance(x, pikepdf.Dictionary) and "/S" in x]
            role = el.get("/S")
            if role == "/TR":
                parent = el.get("/P")
                if parent is None or parent.get("/S") != "/THead":
                    cells = [k for k in elements if k.get("/S") in ("/TD", "/TH")]
                    if cells and cells[0].get("/S") == "/TD":
                        _make_row_header(cells[0])
                continue
            todo.extend(elements)
        pages = len(doc.pages)
        out = io.BytesIO()
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return out.getvalue(), pages


def _make_row_header(cell: Any) -> None:
    import pikepdf

    cell.S = pikepdf.Name("/TH")
    attributes = cell.get("/A")
    dicts = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes] if attributes else []
    table = next((a for a in dicts if isinstance(a, pikepdf.Dictionary) and a.get("/O") == "/Table"), None)
    if table is None:
        table = pikepdf.Dictionary(O=pikepdf.Name("/Table"))
        cell.A = pikepdf.Array([table, *dicts])
    table.Scope = pikepdf.Name("/Row")


def build_pack(
    *,
    session: Session,
    actor: Actor,
    period_start: date | None = None,
    period_end: date | None = None,
    charts: bool = True,
    today: date | None = None,
    progress: Progress | None = None,
    since_round: bool = False,
) -> PackResult:
    """Build the board pack for a period, keep it, and return it (board members and administrators only).

    The period defaults to `default_period` (from where the previous pack ended to the as-of date). Figures are
    as they stood on `period_end`; "what changed" runs from the previous pack's end (or `period_start` for the
    first pack) to `period_end`. `charts=False`, or no Chrome/Chromium on the machine, prints each chart's
    data table instead (`PackResult.has_charts` False, with a note). `progress(step, fraction)` is called as it
    goes. Raises PermissionDenied for other roles and ValueError when the period starts after it ends.

    `since_round=True` builds the pack "since the last round" (`last_round`): the period runs from the round
    before's due date to the due date of the latest round ended by `period_end` (default: the as-of date), so
    `period_end` picks the round; "what changed" runs over that same period, whatever packs were built before;
    the title, the first page and section 5 name the rounds. ValueError when no round had ended by then, or when
    a `period_start` other than the round before's due date is given. The pack is kept like any other.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import Actor
        >>> with Session(open_engine("sqlite://")) as s:
        ...     build_pack(session=s, actor=Actor("v@uni.ac.uk", "viewer"))
        Traceback (most recent call last):
        ...
        tracker.auth.PermissionDenied: v@uni.ac.uk is a viewer: viewers can read the dashboard but not build board packs
        >>> with Session(open_engine("sqlite://")) as s:  # doctest: +SKIP
        ...     build_pack(session=s, actor=Actor("a@uni.ac.uk", "admin"), charts=False).pages
        9
    """
    require(actor, "build_pack")
    t0 = time.perf_counter()
    report: Progress = progress or (lambda _step, _fraction: None)
    report("Reading the plan and the previous pack", 0.02)
    start_default, end_default = default_period(session=session, today=today)
    end = period_end or end_default
    start = period_start or (start_default if period_end is None or start_default <= end else end)
    rounds: PackRound | None = None
    if since_round:
        rounds = last_round(session=session, period_end=end)
        if rounds is None:
            raise ValueError(
                f"no update round had ended by {day(end)}, so there is no last round to report on: "
                "choose a period instead"
            )
        if period_start is not None and period_start != rounds.start:
            raise ValueError(
                f"since the last round, the period starts on {day(rounds.start)}, "
                + (f"when the {round_name(rounds.previous)} was due, " if rounds.previous else "")
                + f"not on {day(period_start)}: leave the start out, or build the pack for a period of your own"
            )
        start, end = rounds.start, rounds.end
    if start > end:
        raise ValueError(
            f"the period starts on {day(start)}, after it ends on {day(end)}: choose a start on or before the end"
        )
    plan = plan_info(session=session)
    # A pack since the last round reports what changed over the rounds' period, whatever packs came before.
    prev = previous_pack(session=session, period_start=start) if rounds is None else None
    previous = (
        Previous(
            id=int(prev.id or 0),
            title=prev.title,
            period_end=prev.period_end,
            built_at=_aware(prev.built_at),
            built_by=prev.built_by,
        )
        if prev is not None
        else None
    )
    changes_from = previous.period_end if previous is not None else start
    built_at = utcnow()
    author = actor.name or actor.email
    author_full = f"{actor.name} ({actor.email})" if actor.name else actor.email
    who = plan.institution if plan and plan.institution else ""
    named = f"{rounds.name}, " if rounds is not None else ""
    title = f"Board pack{': ' + who if who else ''}, {named}{day(start)} to {day(end)}"

    report("Gathering the figures", 0.08)
    drawer: ChartDrawer | None = None
    notes: list[str] = []
    if charts:
        from tracker.charts.export import charts_available, warm_up

        if charts_available()[0]:
            # The browser takes a second or more to start: let it start while the figures are gathered, and
            # draw each chart as soon as its figure is made.
            warm_up()
            drawer = ChartDrawer()
    content = gather(
        session=session,
        period_start=start,
        period_end=end,
        changes_from=changes_from,
        previous=previous,
        title=title,
        built_at=built_at,
        built_by=author_full,
        confidentiality=get_settings().confidentiality,
        plan=plan,
        since_round=rounds,
        on_chart=drawer.add if drawer is not None else None,
    )
    svgs: dict[str, str] = {}
    has_charts = False
    if content.all_charts():
        from tracker.charts.export import INSTALL_HINT, charts_available

        ok, why = charts_available() if charts else (False, "")
        if not charts:
            _no_charts(content, f"Charts were left out when this pack was built. {INSTALL_HINT}.")
            notes.append("Charts left out (charts=False): each chart's data table is printed instead.")
        elif drawer is None or not ok:
            _no_charts(content, why)
            notes.append(why)
        else:
            try:
                svgs = drawer.svgs(content, report)
                has_charts = True
            except ChartsFailed as exc:
                # A chart could not be drawn: every chart is printed as its data table.
                _no_charts(content, f"{exc}")
                notes.append(str(exc))
    if plan is None:
        notes.append("No action plan is loaded: the pack says so and reports only what is held.")

    report("Setting the pages", 0.75)
    try:
        pdf = render_pdf(pack_data(content, author=author, author_full=author_full), svgs, built_at=built_at)
    except Exception as exc:  # typst.TypstError: a drawn chart Typst could not read
        if not svgs:
            raise
        # Set the pages again with every chart as its data table.
        why = f"A chart could not be set on its page ({getattr(exc, 'message', '') or exc})."
        _no_charts(content, why)
        notes.append(why)
        has_charts, svgs = False, {}
        pdf = render_pdf(pack_data(content, author=author, author_full=author_full), svgs, built_at=built_at)
    pdf, pages = row_headers(pdf)
    report(f"Set {pages} pages", 0.9)

    report("Keeping the pack", 0.96)
    digest = hashlib.sha256(pdf).hexdigest()
    row = BoardPack(
        period_start=start,
        period_end=end,
        built_by=actor.email[:254],
        built_at=built_at,
        title=title[:300],
        sha256=digest,
        pages=pages,
        size_bytes=len(pdf),
        has_charts=has_charts,
        content=pdf,
    )
    session.add(row)
    session.flush()
    pack_id = int(row.id or 0)
    record(
        session,
        actor,
        "pack_built",
        title,
        after=f"{pages} pages",
        detail=f"pack {pack_id}; {named}{day(start)} to {day(end)}; sha256 {digest}; "
        + ("with charts" if has_charts else "charts as tables"),
        upload_id=None,
    )
    session.commit()
    report("Done", 1.0)
    return PackResult(
        pdf=pdf,
        pack_id=pack_id,
        title=title,
        pages=pages,
        has_charts=has_charts,
        period_start=start,
        period_end=end,
        filename=pack_filename(start, end, pack_id),
        seconds=time.perf_counter() - t0,
        notes=notes,
    )


def list_packs(*, session: Session, actor: Actor) -> list[PackInfo]:
    """Kept packs, newest first, without their bytes (board members and administrators only)."""
    require(actor, "build_pack")
    q = select(
        col(BoardPack.id),
        col(BoardPack.title),
        col(BoardPack.period_start),
        col(BoardPack.period_end),
        col(BoardPack.built_by),
        col(BoardPack.built_at),
        col(BoardPack.pages),
        col(BoardPack.size_bytes),
        col(BoardPack.sha256),
        col(BoardPack.has_charts),
    ).order_by(col(BoardPack.built_at).desc(), col(BoardPack.id).desc())
    return [
        PackInfo(i, title, start, end, by, _aware(at), pages, size, sha, charts, pack_filename(start, end, i))
        for i, title, start, end, by, at, pages, size, sha, charts in session.exec(q).all()  # type: ignore[call-overload]
    ]


def pack_pdf(*, session: Session, actor: Actor, pack_id: int) -> tuple[str, bytes]:
    """(file name, the kept PDF's bytes, exactly as built) for a past pack (board members and administrators).

    Raises PackNotFound for an unknown id, and ValueError if the stored bytes no longer match their SHA-256.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import Actor
        >>> with Session(open_engine("sqlite://")) as s:
        ...     pack_pdf(session=s, actor=Actor("b@uni.ac.uk", "board"), pack_id=1)
        Traceback (most recent call last):
        ...
        tracker.report.build.PackNotFound: no board pack with id 1
    """
    require(actor, "build_pack")
    pack = session.get(BoardPack, pack_id)
    if pack is None:
        raise PackNotFound(f"no board pack with id {pack_id}")
    data = bytes(pack.content)
    if hashlib.sha256(data).hexdigest() != pack.sha256:
        raise ValueError(f"board pack {pack_id} is damaged: its bytes no longer match the SHA-256 recorded")
    return pack_filename(pack.period_start, pack.period_end, pack.id), data
