"""Build the board pack (a tagged PDF/UA document), keep it, and hand kept packs back.

`build_pack` gathers the content from the views (`tracker.report.content`), draws each chart as SVG through
kaleido (`tracker.charts.export`; without a browser each chart becomes its data table), renders the Jinja2
template with the print stylesheet through WeasyPrint, and stores the PDF's bytes with its period, author,
time, SHA-256 and page count, with an audit event in the same transaction.

Example:
    >>> from tracker.db import open_engine
    >>> from tracker.auth import Actor
    >>> with Session(open_engine("sqlite://")) as s:
    ...     list_packs(session=s, actor=Actor("b@uni.ac.uk", "board"))
    []
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
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
from tracker.report.content import PackChart, PackContent, PackRound, Previous, gather, round_name
from tracker.summary import plan_info
from tracker.text import day
from tracker.views.changes import round_marks, since_last_round

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "pack.css"
PDF_VARIANT = "pdf/ua-1"
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


CHART_SCHEME = "tracker-chart:"
CHART_WAIT = 180.0  # seconds the pack waits for one chart (export.to_svg has its own, shorter, time limits)


class ChartsFailed(RuntimeError):
    """A chart could not be drawn: the pack is laid out again with data tables in place of the charts."""


class ChartDrawer:
    """Draws the pack's charts as SVG in a background thread, in document order, while WeasyPrint lays the pages
    out, so the layout never waits for the browser.

    WeasyPrint is handed a blank SVG of each chart's exact size when it builds the page boxes (`fetch`); once every
    page is laid out and before anything is painted, `swap_in` waits for each drawn chart and puts it in place of
    its blank (same size, so the layout holds). A failure is raised as ChartsFailed, and the pack is then laid
    out again with data tables in place of the charts.

    Fetching anything but a chart is refused: the pack reads no file and no URL.
    """

    def __init__(self, content: PackContent, progress: Progress) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        from tracker.charts.export import export_size

        self.progress = progress
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-pack-chart")
        self._futures: dict[str, Future[str]] = {}
        self._sizes: dict[str, tuple[int, int]] = {}
        for i, ch in enumerate(content.all_charts(), start=1):
            ch.src = f"{CHART_SCHEME}c{i}"
            self._sizes[ch.src] = export_size(ch.chart.figure)
            self._futures[ch.src] = self._pool.submit(self._draw, i, ch)

    @staticmethod
    def _draw(i: int, ch: PackChart) -> str:
        from tracker.charts.export import accessible_svg, to_svg

        return accessible_svg(to_svg(ch.chart.figure), label=f"{ch.title}. {ch.summary}", ident=f"c{i}")

    def fetch(self, url: str) -> bytes:
        """A blank SVG the size of the chart at `url`, for WeasyPrint's layout; ValueError for anything else."""
        size = self._sizes.get(url)
        if size is None:
            raise ValueError(f"the board pack fetches nothing but its own charts, not {url[:80]!r}")
        w, h = size
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"/>'.encode()

    def swap_in(self, document: Any) -> None:
        """Put each drawn chart in place of its blank in the laid-out `document`, waiting for it if need be."""
        from xml.etree import ElementTree

        from weasyprint.formatting_structure.boxes import ReplacedBox
        from weasyprint.images import SVGImage

        # Every copy of a chart's box (layout copies boxes) shares one image object: replace its content once.
        blanks: dict[str, Any] = {}
        for page in document.pages:
            for box in page._page_box.descendants():
                if isinstance(box, ReplacedBox) and isinstance(box.replacement, SVGImage):
                    url = getattr(box.replacement, "_base_url", None)
                    if url in self._futures:
                        blanks.setdefault(url, box.replacement)
        for n, (url, future) in enumerate(self._futures.items(), start=1):
            self.progress(f"Placing chart {n} of {len(self._futures)}", 0.55 + 0.2 * n / len(self._futures))
            try:
                svg = future.result(timeout=CHART_WAIT)
                image = blanks[url]
            except KeyError:
                raise ChartsFailed("a chart could not be placed on its page") from None
            except Exception as exc:  # ChartsUnavailable, or a timeout
                raise ChartsFailed(str(exc) or type(exc).__name__) from exc
            tree = _styles_as_attributes(ElementTree.fromstring(svg.encode("utf-8")))
            # The same constructor WeasyPrint used for the blank, now with the drawn chart.
            SVGImage.__init__(image, tree, url, image._url_fetcher, image._context)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _styles_as_attributes(tree: Any) -> Any:
    """Move each element's `style="a: b; c: d"` into attributes `a="b" c="d"` (style winning over an attribute).

    WeasyPrint applies an SVG's style attributes exactly so, after parsing each one as CSS while painting: plotly
    gives nearly every element one, and parsing them was a large part of painting the pack's charts. An SVG with
    a stylesheet of its own is left alone (there, a style attribute must also win over the stylesheet's rules).
    """
    if any(el.tag.rsplit("}", 1)[-1] == "style" and (el.text or "").strip() for el in tree.iter()):
        return tree
    for el in tree.iter():
        style = el.attrib.pop("style", None)
        if not style:
            continue
        for declaration in style.split(";"):
            name, colon, value = declaration.partition(":")
            name = name.strip().lower()
            if not colon or not name or name.startswith("-"):  # WeasyPrint ignores these too
                continue
            if "!" in value:  # !important: left to WeasyPrint's CSS parser
                el.set("style", f"{el.get('style', '')}{declaration.strip()};")
            else:
                el.set(name, value.strip())
    return tree


def _no_charts(content: PackContent, why: str) -> None:
    for ch in content.all_charts():
        ch.src = None
    content.charts_note = f"{why} Each chart's data table is printed in its place."


@functools.cache
def _template() -> Any:
    """The pack's Jinja2 template, compiled once per process."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    return env.get_template("pack.html.j2")


def _import_weasyprint() -> None:
    """Importing WeasyPrint takes most of a second: done on a thread while the figures are gathered."""
    with contextlib.suppress(Exception):  # render_pdf imports it again and reports any failure there
        import weasyprint  # noqa: F401


def render_html(content: PackContent, *, author: str, author_full: str) -> str:
    """The pack as HTML (Jinja2, autoescaped), ready for WeasyPrint."""
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
    return str(
        _template().render(
            c=c,
            author=author,
            author_full=author_full,
            subject=f"Technician Commitment board pack for {period}",
            built_iso=c.built_at.isoformat(timespec="seconds"),
            built_text=built_text(c.built_at),
            period_text=period,
            changes_text=changes_text,
            compared_text=compared,
            running_title=running,
            chromium_hint="Charts need Chromium: apt-get install chromium",
            day=day,
            keep_rows=KEEP_ROWS,
        )
    )


def header_scopes(_document: Any, pdf: Any) -> None:
    """Give each table header cell in the PDF's structure tree its /Scope: /Column for a header cell in a table's
    head, /Row for one in its body (the template writes `scope="col"` in `<thead>` and `scope="row"` in
    `<tbody>`, and nowhere else, so the two say the same).

    WeasyPrint 70 links data cells to their headers (/Headers and /ID) but writes no /Scope on the header cells,
    where PDF/UA checkers look for it (pdfua's rule UA-15-003). Passed to WeasyPrint's `write_pdf` as its
    `finisher`, which is handed the pydyf PDF just before it is written.

    Example:
        >>> import pydyf
        >>> pdf = pydyf.PDF()
        >>> head = pydyf.Dictionary({"Type": "/StructElem", "S": "/THead"}); pdf.add_object(head)
        >>> row = pydyf.Dictionary({"Type": "/StructElem", "S": "/TR", "P": head.reference}); pdf.add_object(row)
        >>> th = pydyf.Dictionary({"Type": "/StructElem", "S": "/TH", "P": row.reference, "A": pydyf.Dictionary()})
        >>> pdf.add_object(th)
        >>> header_scopes(None, pdf)
        >>> th["A"]["Scope"]
        '/Column'
    """
    import pydyf

    def parent(element: Any) -> Any:
        ref = element.get("P")
        return pdf.objects[int(ref.split()[0])] if isinstance(ref, bytes) else None

    for obj in pdf.objects:
        if not isinstance(obj, dict) or obj.get("Type") != "/StructElem" or obj.get("S") != "/TH":
            continue
        tr = parent(obj)
        group = parent(tr) if tr is not None else None
        in_head = group is not None and group.get("S") == "/THead"
        attributes = obj.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
        attributes["Scope"] = "/Column" if in_head else "/Row"


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while WeasyPrint works.

    Laying out a long pack makes hundreds of thousands of objects, and the collector scans them again and again
    as they pile up: measured at one to three seconds of the large institution's pack. Reference counting still
    frees nearly all of them (a pack leaves a few thousand cyclic objects, collected once it is resumed)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_pdf(
    html: str,
    *,
    charts: Callable[[str], bytes] | None = None,
    before_paint: Callable[[Any], None] | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, int]:
    """(PDF bytes, page count): WeasyPrint, A4 print stylesheet, tagged PDF/UA-1.

    The document fetches nothing but its charts, from `charts(url)` (SVG bytes): no file, no network.
    `before_paint(document)` runs once the pages are laid out, before they are painted into the PDF.

    Example:
        >>> pdf, pages = render_pdf('<html lang="en-GB"><title>t</title><p>Hello</p></html>')  # doctest: +SKIP
        >>> pdf[:5], pages  # doctest: +SKIP
        (b'%PDF-', 1)
    """
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartsOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if charts is None or not url.startswith(CHART_SCHEME):
                raise ValueError(f"the board pack fetches nothing but its own charts, not {url[:80]!r}")
            return URLFetcherResponse(url, charts(url), {"Content-Type": "image/svg+xml"})

    with _cycle_collector_paused():
        document = HTML(string=html, base_url=str(HERE), url_fetcher=ChartsOnly()).render(
            stylesheets=[CSS(filename=str(STYLESHEET))]
        )
        if before_paint is not None:
            before_paint(document)
        if progress is not None:
            progress(f"Writing the PDF ({len(document.pages)} pages)", 0.8)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=header_scopes)
    assert pdf is not None
    return bytes(pdf), len(document.pages)


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
    threading.Thread(target=_import_weasyprint, name="tracker-pack-import", daemon=True).start()
    if charts:
        # The browser takes a few seconds to start: let it start while the figures are gathered.
        from tracker.charts.export import warm_up

        warm_up()
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
    )
    notes: list[str] = []
    drawer: ChartDrawer | None = None
    if content.all_charts():
        from tracker.charts.export import INSTALL_HINT, charts_available

        ok, why = charts_available() if charts else (False, "")
        if not charts:
            _no_charts(content, f"Charts were left out when this pack was built. {INSTALL_HINT}.")
            notes.append("Charts left out (charts=False): each chart's data table is printed instead.")
        elif not ok:
            _no_charts(content, why)
            notes.append(why)
        else:
            drawer = ChartDrawer(content, report)
    if plan is None:
        notes.append("No action plan is loaded: the pack says so and reports only what is held.")

    report("Laying out the pages", 0.25)
    html = render_html(content, author=author, author_full=author_full)
    has_charts = drawer is not None
    try:
        try:
            pdf, pages = render_pdf(
                html,
                charts=drawer.fetch if drawer else None,
                before_paint=drawer.swap_in if drawer else None,
                progress=report,
            )
        except ChartsFailed as exc:
            # A chart could not be drawn: lay the pack out again with every chart as its data table.
            report("Laying out the pages again, with tables for the charts", 0.75)
            has_charts = False
            _no_charts(content, f"{exc}")
            notes.append(str(exc))
            html = render_html(content, author=author, author_full=author_full)
            pdf, pages = render_pdf(html, progress=report)
    finally:
        if drawer is not None:
            drawer.close()

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
