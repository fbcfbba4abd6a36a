"""The board pack (tracker.report), read back as a board member's PDF reader would.

Built from the demo data, then checked with Debian's poppler-utils: `pdftotext` finds every action, every
section, the suppressed `..` cells and the page footer; `pdfinfo` shows a tagged A4 document with its title,
author, subject and the PDF/UA identification; `pdftoppm` renders every page (PNGs kept under
artifacts/report/ to look at). The same without a browser (each chart becomes its data table), for an empty
period and for an empty database. Packs are kept and come back byte for byte.

The first page is the verdict (the plan's status in one line, the actions at risk or delayed with their owners,
what changed, the pillar gaps); no page holds a chart alone (read from the PDF's structure tree and content
streams); every evidence figure agrees with the one tally; dates are written one way; the PDF passes PyPI's
`pdfua` checker with table header cells carrying /Scope.

The pack with charts needs Chrome/Chromium; without one those tests skip, unless `TRACKER_REQUIRE_BROWSER=1`
(CI), in which case they fail.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import tracker.config
import tracker.db
from tracker.auth import Actor, PermissionDenied, actor_for
from tracker.charts.export import accessible_svg, charts_available, flatten_pattern_opacity
from tracker.demo import DEMO_ADMIN
from tracker.models import Action, AuditEvent, BoardPack, Evidence, ProgressUpdate
from tracker.report import PackNotFound, PackResult, build_pack, default_period, list_packs, pack_pdf
from tracker.report.build import pack_data, print_fonts
from tracker.report.content import SECTIONS, gather
from tracker.summary import headline, plan_info
from tracker.text import day
from tracker.views.changes import changes_view
from tracker.views.evidence import evidence_tally
from tracker.views.home import home_view
from tracker.views.pillars import pillars_view
from tracker.views.plan import plan_view

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "report"
REFS = ["U1", "D1", "D2", "D3", "V1", "V2"]
PLAN_END = date(2020, 10, 31)
NO_CHROMIUM = "Charts need Chromium: apt-get install chromium"

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdftoppm")),
    reason="needs poppler-utils (pdftotext, pdfinfo, pdftoppm): apt-get install poppler-utils",
)


# --- reading a PDF back -----------------------------------------------------------------------------------


@dataclass
class Read:
    """A built pack and what poppler reads from it."""

    result: PackResult
    text: str  # pdftotext, reading order
    layout: str  # pdftotext -layout, for lines as printed
    info: dict[str, str]
    meta: str  # the XMP metadata stream
    path: Path


def read_pdf(result: PackResult, name: str) -> Read:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(result.pdf)

    def run(*args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    info = {}
    for line in run("pdfinfo", str(path)).splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return Read(
        result=result,
        text=run("pdftotext", str(path), "-"),
        layout=run("pdftotext", "-layout", str(path), "-"),
        info=info,
        meta=run("pdfinfo", "-meta", str(path)),
        path=path,
    )


def render_pages(read: Read, name: str) -> list[Path]:
    """Every page to PNG at 60 dpi under artifacts/report/ (to look at); returns the files."""

    def mine() -> list[Path]:
        return sorted(
            p for p in ARTIFACTS.glob(f"{name}-*.png") if re.fullmatch(rf"{re.escape(name)}-\d+\.png", p.name)
        )

    for old in mine():
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(read.path), str(ARTIFACTS / name)], check=True)
    return mine()


def page_text(read: Read, n: int) -> str:
    """pdftotext of page `n` alone, whitespace collapsed."""
    args = ["pdftotext", "-f", str(n), "-l", str(n), str(read.path), "-"]
    return flat(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


@dataclass
class Structure:
    """What the PDF's structure tree and content streams say, page by page."""

    charts: list[int]  # tagged /Figure elements on each page
    text: list[int]  # bytes of text shown on each page outside charts (their titles and captions), header and footer
    empty_headings: list[str]  # /H1–/H6 elements that mark no content
    th_without_scope: int  # /TH elements with no /Scope in their attributes


def structure(path: Path) -> Structure:
    """Walk the structure tree from its root: each marked-content id is a chart's (a /Figure, or anything in the
    element holding one: its title and caption) or not; content the tree does not reach is the running header
    and footer. Then count the text each page shows under the ids that are not a chart's. Charts are drawn as
    form XObjects, so the text inside them (axis labels) is never counted."""
    pikepdf = pytest.importorskip("pikepdf")
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        charts = [0] * len(pdf.pages)
        in_chart: dict[tuple[int, int], bool] = {}
        empty: list[str] = []
        no_scope = 0

        def kids(el: object) -> list[object]:
            k = el.get("/K")  # type: ignore[attr-defined]
            return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]

        def visit(el: object, chart: bool, page: int | None) -> bool:
            """Marks what `el` holds; True when it marks any content."""
            nonlocal no_scope
            if isinstance(el, int) and not isinstance(el, bool):
                if page is not None:
                    in_chart[(page, el)] = chart
                return True
            if not isinstance(el, pikepdf.Dictionary):
                return False
            if "/Pg" in el:
                page = pages.get(el.Pg.objgen, page)
            if el.get("/Type") == pikepdf.Name("/MCR"):
                return visit(int(el.MCID), chart, page)
            role = str(el.get("/S", ""))
            if role == "/Figure" and page is not None:
                charts[page] += 1
            if role == "/TH" and not any("/Scope" in a for a in attribute_objects(el)):
                no_scope += 1
            children = kids(el)
            holds_figure = any(isinstance(k, pikepdf.Dictionary) and k.get("/S") == "/Figure" for k in children)
            marks = [visit(k, chart or holds_figure or role == "/Figure", page) for k in children]
            if re.fullmatch(r"/H[1-6]", role) and not any(marks):
                empty.append(role)
            return any(marks)

        visit(pdf.Root.StructTreeRoot, False, None)
        text = [0] * len(pdf.pages)
        for i, page in enumerate(pdf.pages):
            open_ids: list[int | None] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    props = operands[1] if op == "BDC" and len(operands) > 1 else None
                    mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
                    open_ids.append(int(mcid) if mcid is not None else None)
                elif op == "EMC" and open_ids:
                    open_ids.pop()
                elif op in ("Tj", "TJ", "'", '"'):
                    mcid = next((m for m in reversed(open_ids) if m is not None), None)
                    if mcid is None or in_chart.get((i, mcid), True):  # a chart's, or the header and footer
                        continue
                    shown = operands[-1]
                    parts = list(shown) if isinstance(shown, pikepdf.Array) else [shown]
                    text[i] += sum(len(bytes(x)) for x in parts if isinstance(x, pikepdf.String))
        return Structure(charts=charts, text=text, empty_headings=empty, th_without_scope=no_scope)


def attribute_objects(el: object) -> list[object]:
    """A structure element's attribute objects: /A holds one, or an array of them (one per owner: /Table, /Layout)."""
    pikepdf = pytest.importorskip("pikepdf")
    a = el.get("/A")  # type: ignore[attr-defined]
    found = list(a) if isinstance(a, pikepdf.Array) else [a]
    return [x for x in found if isinstance(x, pikepdf.Dictionary)]


def pdf_objects(pdf: bytes) -> bytes:
    """Every compressed stream of the PDF, inflated (the structure tree lives in object streams)."""
    out = []
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            out.append(zlib.decompress(pdf[m.end() : end]))
        except zlib.error:
            continue
    return b"".join(out)


def flat(text: str) -> str:
    """Whitespace collapsed, so a phrase wrapped across lines still matches."""
    return " ".join(text.split())


# --- databases ---------------------------------------------------------------------------------------------


def demo_engine_at(path: Path, demo_file: Path) -> Engine:
    """An engine on a copy of the demo database (`demo_file`, loaded once per session) at `path`."""
    shutil.copy(demo_file, path)
    return tracker.db.make_engine(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory, demo_file: Path) -> Iterator[Engine]:
    """One demo database for this module (packs built here are kept in it)."""
    engine = demo_engine_at(tmp_path_factory.mktemp("report") / "demo.db", demo_file)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def admin(demo_engine: Engine) -> Actor:
    with Session(demo_engine) as s:
        actor = actor_for(session=s, email=DEMO_ADMIN)
    assert actor is not None and actor.role == "admin"
    return actor


def need_browser() -> None:
    ok, why = charts_available()
    if not ok:
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{why} (TRACKER_REQUIRE_BROWSER=1 makes the chart tests mandatory)", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def demo_pack(demo_engine: Engine, admin: Actor) -> Read:
    """The demo pack with charts, for the plan's whole window (the first pack kept)."""
    need_browser()
    steps: list[tuple[str, float]] = []
    with Session(demo_engine) as s:
        result = build_pack(session=s, actor=admin, today=date(2026, 1, 1), progress=lambda a, f: steps.append((a, f)))
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) > 5
    assert any(re.search(r"chart \d+ of \d+", a) for a, _ in steps)
    return read_pdf(result, "demo")


@pytest.fixture(scope="module")
def plain_pack(demo_engine: Engine, admin: Actor) -> Read:
    """The demo pack on a machine without a browser (BROWSER_PATH names nothing), with its own footer line."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BROWSER_PATH", "/nonexistent/chromium")
        mp.setenv("TRACKER_CONFIDENTIALITY", "Restricted: board members only & <nobody else>")
        tracker.config.get_settings.cache_clear()
        assert charts_available()[0] is False
        with Session(demo_engine) as s:
            result = build_pack(
                session=s, actor=admin, period_start=date(2018, 11, 1), period_end=PLAN_END, today=date(2026, 1, 1)
            )
        tracker.config.get_settings.cache_clear()
    return read_pdf(result, "demo-no-browser")


def expected_charts(engine: Engine) -> list[str]:
    """The titles of the charts the demo pack draws (from the same content the pack is built from)."""
    with Session(engine) as s:
        plan = plan_info(session=s)
        content = gather(
            session=s,
            period_start=date(2018, 11, 1),
            period_end=PLAN_END,
            changes_from=date(2018, 11, 1),
            previous=None,
            title="t",
            built_at=datetime(2026, 1, 1),
            built_by="t",
            confidentiality="t",
            plan=plan,
        )
    return [c.title for c in content.all_charts()]


# --- the demo pack, with charts ----------------------------------------------------------------------------


def test_demo_pack_names_every_action_and_section(demo_pack: Read) -> None:
    text = flat(demo_pack.text)
    for ref in REFS:
        assert re.search(rf"\b{ref}\b", text), ref
    for _, title in SECTIONS:
        assert title in text, title
    assert "University College London" in text
    assert "1 Nov 2018 to 31 Oct 2020" in text
    assert "Demo Administrator (admin@demo.ac.uk)" in text


def test_demo_pack_shows_status_in_words_and_at_risk_first(demo_pack: Read) -> None:
    text = flat(demo_pack.text)
    section = text[text.index("All 6 actions as they stood on 31 Oct 2020") :]
    # D2 is the one delayed action: it comes before U1 although U1 is first in the plan.
    assert section.index("D2") < section.index("U1")
    assert "✕ Delayed" in text and "✔ Complete" in text and "● On track" in text


def test_demo_pack_suppresses_small_figures_and_explains_rounding(demo_pack: Read) -> None:
    lines = [line for line in demo_pack.layout.splitlines() if line.strip().startswith("Laws")]
    assert any(".." in line for line in lines), lines  # Laws has fewer than 23 staff: its percentages are `..`
    text = flat(demo_pack.text)
    assert "HESA rounding methodology" in text
    assert "rounded to the nearest 5" in text
    # Rounded, never exact: the demo's 2020 snapshot totals 1,095 FTE (exact 1,093.4).
    assert "1,095" in text


def test_demo_pack_footer_on_every_page(demo_pack: Read) -> None:
    pages = demo_pack.result.pages
    assert pages == int(demo_pack.info["Pages"]) and pages >= 8
    for n in (1, pages):
        assert f"Page {n} of {pages}" in demo_pack.text
    confidentiality = tracker.config.get_settings().confidentiality
    assert demo_pack.text.count(confidentiality) == pages


def test_demo_pack_is_tagged_a4_with_metadata(demo_pack: Read) -> None:
    info = demo_pack.info
    assert info["Title"] == demo_pack.result.title
    assert info["Title"].startswith("Board pack: University College London")
    assert info["Author"] == "Demo Administrator"
    assert "1 Nov 2018 to 31 Oct 2020" in info["Subject"]
    assert info["Tagged"] == "yes"
    assert "(A4)" in info["Page size"]
    assert re.search(r'pdfuaid:part(="1"|>1</pdfuaid:part>)', demo_pack.meta)  # PDF/UA-1 (an XMP attribute or element)


def test_demo_pack_charts_are_vector(demo_pack: Read) -> None:
    assert demo_pack.result.has_charts is True and demo_pack.result.notes == []
    images = subprocess.run(["pdfimages", "-list", str(demo_pack.path)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) <= 2  # header lines only: no raster images, the charts are SVG
    text = flat(demo_pack.text)
    assert NO_CHROMIUM not in text
    assert "6 actions: 2 on track, 1 delayed, 3 complete." in text  # a chart's summary, printed as its caption
    # Text drawn inside the charts themselves (an axis title, the timeline's as-of line): each drawn chart took
    # the place of the blank of its size that the pages were laid out with.
    assert "Share of headcount (dotted lines: the 30% and 70% imbalance thresholds)" in text
    assert "As of 31 Oct 2020" in text


def test_demo_pack_charts_are_tagged_figures_with_alternative_text(demo_pack: Read, demo_engine: Engine) -> None:
    objects = pdf_objects(demo_pack.result.pdf)
    assert objects.count(b"/Alt ") == len(expected_charts(demo_engine))  # (text) or <UTF-16 hex>
    assert b"/Alt (Actions by status. 6 actions: 2 on track, 1 delayed, 3 complete.)" in objects
    assert b"/S /Figure" in objects and b"/S /Caption" in objects and b"/S /TH" in objects
    assert b"/Lang (en-GB)" in objects


def test_every_page_of_the_demo_pack_renders(demo_pack: Read) -> None:
    pngs = render_pages(demo_pack, "demo")
    assert len(pngs) == demo_pack.result.pages
    assert all(p.stat().st_size > 5_000 for p in pngs)


# --- the verdict, the pages, the evidence figures, dates, PDF/UA ------------------------------------------------


def test_the_first_page_is_the_verdict(demo_pack: Read, demo_engine: Engine) -> None:
    first, second = page_text(demo_pack, 1), page_text(demo_pack, 2)
    with Session(demo_engine) as s:
        h = headline(session=s, today=PLAN_END)
        actions = plan_view(session=s, as_of=PLAN_END).actions
        gaps = home_view(session=s, as_of=PLAN_END).gaps
    # Who and when, then the plan's status in one line: the demo ends with its plan, 90% of the work done.
    assert first.index("University College London") < first.index("Board pack for 1 Nov 2018 to 31 Oct 2020")
    assert (h.work_complete_pct, h.time_elapsed_pct) == (90, 100)
    assert "Work is 90% complete with 100% of the plan's time gone: behind." in first
    assert "6 actions: 3 ✔ complete, 2 ● on track and 1 ✕ delayed; none overdue." in first
    # Every action at risk or delayed, with its owners and its latest note and that note's date.
    troubled = [a for a in actions if a.status in ("at risk", "delayed")]
    assert [a.ref for a in troubled] == ["D2"]
    for a in troubled:
        assert re.search(rf"\b{a.ref}\b", first)
        assert a.owners and all(owner in first for owner in a.owners), a.owners
        assert flat(a.latest_note)[:60] in first and f"({day(a.last_update)})" in first
    # What changed since the last pack, and the pillar gaps in the words the views give them.
    assert "What changed since the last pack" in first
    assert "No earlier pack: changes after 1 Nov 2018 up to and including 31 Oct 2020." in first
    assert "6 status changes: U1 not started → complete" in first
    assert "10 new evidence items (4 documents" in first
    assert gaps and all(f"⚠ {g.text}" in first for g in gaps)
    # The contents come after the verdict, with every section and its page.
    assert "Reading the pack" not in first and "Contents" in second and "About this pack" in second
    for i, (_, name) in enumerate(SECTIONS, start=1):
        assert re.search(rf"{i}\. {re.escape(name)} ?\.* \d+", second), name


def test_no_page_holds_a_chart_alone(demo_pack: Read, demo_engine: Engine) -> None:
    found = structure(demo_pack.path)
    assert len(found.charts) == demo_pack.result.pages
    assert sum(found.charts) == len(expected_charts(demo_engine)) >= 10
    # A page with one chart also carries text of its own (a table, a section's paragraphs): more than a couple
    # of lines (a chart's title and caption are the chart's, and are not counted).
    alone = [(n, found.text[n - 1]) for n, k in enumerate(found.charts, start=1) if k == 1 and found.text[n - 1] < 300]
    assert not alone, f"pages holding one chart and little else (page, bytes of other text): {alone}"


def test_every_evidence_figure_agrees_with_the_one_tally(demo_pack: Read, demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        tally = evidence_tally(session=s, as_of=PLAN_END)
        before = evidence_tally(session=s, as_of=date(2018, 11, 1))
        changes = changes_view(session=s, start=date(2018, 11, 1), end=PLAN_END)
        pillars = pillars_view(session=s, as_of=PLAN_END)
    assert tally is not None and before is not None
    new = tally.items - before.items
    assert new == len(changes.evidence) == 10  # the "what changed" listing holds exactly the items counted
    entries = sum(r.evidence_items for r in pillars.pillars)
    assert tally.multi_pillar and entries > tally.items  # an item serving two pillars counts under each...
    text = flat(demo_pack.text)
    # ... and the pack says so where the pillars' counts are printed.
    assert (
        f"Of the {tally.items} evidence items received, {tally.multi_pillar} serve two or more pillars and count "
        f"under each, so the pillars' evidence items add up to {entries}." in text
    )
    assert f"{new} new evidence items" in text  # the verdict and section 5's summary
    assert f"{new} items dated in this window" in text  # section 5
    assert f"{new} evidence items received in the period" in text  # section 6
    assert f"{tally.headline}." in text and tally.items_sentence in text
    # Every count of evidence items in the pack is the tally's, to date or in the period.
    counts = {int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) (?:new )?evidence items?\b", text)}
    assert counts == {tally.items, new}, counts


LONG_MONTHS = "January|February|March|April|June|July|August|September|October|November|December"


def test_dates_are_written_one_way(demo_pack: Read, demo_engine: Engine) -> None:
    text = flat(demo_pack.text)
    with Session(demo_engine) as s:  # what people wrote (notes, evidence, plan text) keeps their own dates
        written = " ".join(
            str(v or "")
            for field in (ProgressUpdate.note, Evidence.description, Action.activity, Action.impact, Action.purpose)
            for v in s.exec(select(field)).scalars()  # type: ignore[call-overload]
        )
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)  # no ISO dates
    long_dates = set(re.findall(rf"\b\d{{1,2}} (?:{LONG_MONTHS}) \d{{4}}\b", text))
    assert {d for d in long_dates if d not in flat(written)} == set()  # no '31 October 2020' of the pack's own
    assert "31 Oct 2020" in text and "13 Oct 2020" in text  # tracker.text.day, as the app writes them
    assert re.search(r"Built \d{1,2} [A-Z][a-z]{2} \d{4} at \d{2}:\d{2} [A-Z]+", text)  # the build time keeps its time


def test_the_rounding_note_sits_where_rounded_figures_first_appear(demo_pack: Read) -> None:
    pages = [page_text(demo_pack, n) for n in range(1, demo_pack.result.pages + 1)]
    assert "FTE" not in pages[0]  # the verdict holds no staff figures
    first = next(n for n, t in enumerate(pages, start=1) if "1,095 FTE" in t)  # the headline's staff figure
    assert "About the staff figures" in pages[first - 1] and "HESA rounding methodology" in pages[first - 1]
    assert sum("HESA rounding methodology" in t for t in pages) == 1  # in full once; elsewhere a pointer to it
    later = " ".join(pages[first:])
    assert f"see “About the staff figures”, page {first})" in later
    assert "rounded parts may not add up to the total" in pages[first - 1]


def test_the_demo_pack_passes_pdfua(demo_pack: Read) -> None:
    pdfua = pytest.importorskip("pdfua")
    report = pdfua.validate(str(demo_pack.path))
    flagged = [(f.rule_id, f.severity.name, f.message) for f in report.findings if f.severity >= pdfua.Severity.WARNING]
    assert not flagged
    assert not any("Scope" in f.message for f in report.findings)
    found = structure(demo_pack.path)
    assert found.th_without_scope == 0  # every header cell says whether it heads a column or a row
    objects = pdf_objects(demo_pack.result.pdf)
    assert b"/Scope /Column" in objects and b"/Scope /Row" in objects
    # pdfua runs each rule on its own and reports a rule that raised as skipped. 0.1.3's UA-14-001 (empty
    # headings) raises ValueError on any heading whose /K is an array (pikepdf raises ValueError, not
    # AttributeError, for getattr(array, "is_integer")): the same check is made here instead.
    skipped = {o.rule_id: o.skipped_reason for o in report.skipped}
    assert set(skipped) <= {"UA-14-001"}, skipped
    assert found.empty_headings == []


def test_every_table_header_cell_has_a_scope(demo_pack: Read) -> None:
    """In the PDF's structure tree: every cell of a table's header row is a /TH with /Scope /Column, and every
    body row starts with its row header, a /TH with /Scope /Row (build.row_headers); data cells stay /TD."""
    pikepdf = pytest.importorskip("pikepdf")
    cells: list[tuple[str, str, str | None, bool]] = []  # (part, role, scope, first in its row)

    def scope(el: object) -> str | None:
        found = [str(a.Scope) for a in attribute_objects(el) if "/Scope" in a]  # type: ignore[attr-defined]
        return found[0] if found else None

    def visit(el: object, part: str) -> None:
        if not isinstance(el, pikepdf.Dictionary):
            return
        role = str(el.get("/S", ""))
        k = el.get("/K")
        kids = [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]
        if role == "/TR":
            row = [x for x in kids if isinstance(x, pikepdf.Dictionary) and str(x.get("/S")) in ("/TH", "/TD")]
            cells.extend((part, str(c.S), scope(c), i == 0) for i, c in enumerate(row))
            return
        for x in kids:
            visit(x, "head" if role == "/THead" else part or ("body" if role in ("/TBody", "/Table") else ""))

    with pikepdf.open(demo_pack.path) as pdf:
        visit(pdf.Root.StructTreeRoot, "")
    assert len(cells) > 100
    assert {(role, sc) for part, role, sc, _ in cells if part == "head"} == {("/TH", "/Column")}
    assert {(role, sc) for part, role, sc, first in cells if part == "body" and first} == {("/TH", "/Row")}
    assert {(role, sc) for part, role, sc, first in cells if part == "body" and not first} == {("/TD", None)}


def test_charts_carry_their_summary_as_alternative_text(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        plan = plan_info(session=s)
        content = gather(
            session=s,
            period_start=date(2020, 7, 31),
            period_end=PLAN_END,
            changes_from=date(2020, 7, 31),
            previous=None,
            title="t",
            built_at=datetime(2026, 1, 1),
            built_by="t",
            confidentiality="t",
            plan=plan,
        )
    charts = content.all_charts()
    for i, ch in enumerate(charts, start=1):
        ch.src = f"c{i}"
    data = pack_data(content, author="a", author_full="a")
    printed = [ch for group in data["charts"].values() for ch in group]
    assert len(printed) == len(charts) >= 10
    for ch, shown in zip(charts, printed, strict=True):
        # pack.typ sets `alt` as the image's alternative text (/Alt) and `summary` as its caption.
        assert shown["alt"] == f"{ch.title}. {ch.summary}"
        assert shown["summary"] == ch.summary and shown["svg"] == ch.src


# --- without a browser -------------------------------------------------------------------------------------


def test_without_a_browser_the_pack_has_every_chart_as_a_table(plain_pack: Read, demo_engine: Engine) -> None:
    result = plain_pack.result
    assert result.has_charts is False
    assert any("Chromium" in n for n in result.notes)
    text = flat(plain_pack.text)
    assert NO_CHROMIUM in text
    titles = expected_charts(demo_engine)
    assert len(titles) >= 10
    assert text.count("Chart not drawn.") == len(titles)
    for title in titles:
        assert title in text, title
    # The data behind "Actions by status", and the timeline's rows, are printed.
    assert re.search(r"Status Actions On track 2 Delayed 1 Complete 3", text)
    for ref in REFS:
        assert re.search(rf"\b{ref}\b", text)
    images = subprocess.run(["pdfimages", "-list", str(plain_pack.path)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) <= 2


def test_without_a_browser_the_pack_is_complete_and_renders(plain_pack: Read) -> None:
    text = flat(plain_pack.text)
    for _, title in SECTIONS:
        assert title in text
    assert "Restricted: board members only & <nobody else>" in plain_pack.text  # the setting, escaped, in the footer
    assert plain_pack.info["Tagged"] == "yes"
    pngs = render_pages(plain_pack, "demo-no-browser")
    assert len(pngs) == plain_pack.result.pages


# --- periods, empty packs, keeping packs -------------------------------------------------------------------


def test_a_pack_for_an_empty_period_says_nothing_changed(demo_engine: Engine, admin: Actor) -> None:
    with Session(demo_engine) as s:
        result = build_pack(session=s, actor=admin, period_start=PLAN_END, period_end=PLAN_END, charts=False)
    read = read_pdf(result, "empty-period")
    text = flat(read.text)
    assert "nothing changed" in text
    assert "No action changed status." in text and "No new evidence." in text
    for ref in REFS:  # the state of every action is still reported
        assert re.search(rf"\b{ref}\b", text)
    assert read.info["Tagged"] == "yes"
    assert len(render_pages(read, "empty-period")) == result.pages


def test_a_pack_from_an_empty_database(tmp_path: Path) -> None:
    engine = tracker.db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    tracker.db.migrate(engine)
    board = Actor("chair@uni.ac.uk", "board", name="Board Chair")
    with Session(engine) as s:
        assert default_period(session=s, today=date(2025, 3, 1)) == (date(2025, 3, 1), date(2025, 3, 1))
        result = build_pack(session=s, actor=board, today=date(2025, 3, 1), charts=False)
        assert [p.id for p in list_packs(session=s, actor=board)] == [result.pack_id]
    engine.dispose()
    read = read_pdf(result, "empty-database")
    text = flat(read.text)
    assert "No action plan is loaded yet" in text
    assert "No HR workforce extract is loaded yet" in text
    assert f"Page 1 of {result.pages}" in text
    assert read.info["Tagged"] == "yes" and "(A4)" in read.info["Page size"]
    assert read.info["Author"] == "Board Chair"
    assert len(render_pages(read, "empty-database")) == result.pages


@pytest.mark.parametrize("role", ["viewer", "lead"])
def test_only_board_and_admin_build_or_fetch_packs(demo_engine: Engine, role: str) -> None:
    who = Actor(f"{role}@demo.ac.uk", role, frozenset({"D1"}) if role == "lead" else frozenset())
    with Session(demo_engine) as s:
        with pytest.raises(PermissionDenied, match="build board packs"):
            build_pack(session=s, actor=who, charts=False)
        with pytest.raises(PermissionDenied):
            list_packs(session=s, actor=who)
        with pytest.raises(PermissionDenied):
            pack_pdf(session=s, actor=who, pack_id=1)


def test_a_kept_pack_comes_back_byte_for_byte(plain_pack: Read, demo_engine: Engine) -> None:
    board = Actor("board@demo.ac.uk", "board")
    result = plain_pack.result
    with Session(demo_engine) as s:
        name, data = pack_pdf(session=s, actor=board, pack_id=result.pack_id)
        listed = {p.id: p for p in list_packs(session=s, actor=board)}
        row = s.get(BoardPack, result.pack_id)
        events = s.exec(select(AuditEvent).where(col(AuditEvent.action) == "pack_built")).scalars().all()  # type: ignore[call-overload]
        with pytest.raises(PackNotFound):
            pack_pdf(session=s, actor=board, pack_id=10_000)
    assert data == result.pdf and name == result.filename == f"board-pack_2018-11-01_to_2020-10-31_{result.pack_id}.pdf"
    assert row is not None
    assert row.sha256 == hashlib.sha256(result.pdf).hexdigest()
    assert (row.period_start, row.period_end, row.pages, row.size_bytes) == (
        date(2018, 11, 1),
        PLAN_END,
        result.pages,
        len(result.pdf),
    )
    assert row.built_by == DEMO_ADMIN and row.has_charts is False
    kept = listed[result.pack_id]
    assert kept.built_at.tzinfo is not None and kept.filename == result.filename
    assert (kept.title, kept.sha256, kept.pages, kept.has_charts) == (result.title, row.sha256, result.pages, False)
    assert not hasattr(kept, "content")  # listed without its bytes
    assert any(e.target == result.title and e.actor == DEMO_ADMIN and e.upload_id is None for e in events)


def test_a_second_pack_reports_changes_since_the_first(tmp_path: Path, demo_file: Path) -> None:
    engine = demo_engine_at(tmp_path / "second.db", demo_file)
    with Session(engine) as s:
        admin = actor_for(session=s, email=DEMO_ADMIN)
        assert admin is not None
        assert default_period(session=s, today=date(2026, 1, 1)) == (date(2018, 11, 1), PLAN_END)
        # A lead's note with markup in it: printed as text, never interpreted.
        d3 = s.exec(select(Action).where(col(Action.ref) == "D3")).scalars().one()  # type: ignore[call-overload]
        s.add(
            ProgressUpdate(
                action_id=d3.id,
                as_of=date(2020, 10, 20),
                status="on track",
                percent_complete=90,
                note='<b>Intake 4</b> & "fees" agreed <script>alert(1)</script>',
                reported_by="apprentices.lead@demo.ac.uk",
            )
        )
        s.commit()
        first = build_pack(session=s, actor=admin, period_end=date(2020, 7, 31), charts=False)
        assert (first.period_start, first.period_end) == (date(2018, 11, 1), date(2020, 7, 31))
        assert default_period(session=s, today=date(2026, 1, 1)) == (date(2020, 7, 31), PLAN_END)
        second = build_pack(session=s, actor=admin, today=date(2026, 1, 1), charts=False)
    engine.dispose()
    assert (second.period_start, second.period_end) == (date(2020, 7, 31), PLAN_END)
    text = flat(read_pdf(second, "second-pack").text)
    assert "Compared with the previous pack" in text
    assert "what changed after 31 Jul 2020 up to and including 31 Oct 2020" in text
    # The verdict's "what changed" covers the same days, since the previous pack.
    assert (
        "Since the previous pack, which ran to 31 Jul 2020: changes after that day up to and including 31 Oct 2020"
        in text
    )
    assert "Between 1 Aug 2020 and 31 Oct 2020" in text
    assert "D1 on track → complete" in text  # from the October 2020 round
    assert '<b>Intake 4</b> & "fees" agreed <script>alert(1)</script>' in text


def test_a_period_that_ends_before_it_starts_is_refused(demo_engine: Engine, admin: Actor) -> None:
    with Session(demo_engine) as s, pytest.raises(ValueError, match="choose a start on or before the end"):
        build_pack(session=s, actor=admin, period_start=date(2020, 5, 1), period_end=date(2020, 4, 1), charts=False)


# --- chart export helpers -----------------------------------------------------------------------------------


def test_accessible_svg_gets_role_label_title_and_unique_ids() -> None:
    svg = (
        '<svg class="main-svg" width="700" height="300" viewBox="0 0 700 300"><defs><clipPath id="clip1">'
        '<rect/></clipPath></defs><g clip-path="url(#clip1)" style="fill: url(\'#clip1\')"/></svg>'
    )
    out = accessible_svg(svg, label="Staff <by> faculty & grade", ident="c7")
    assert 'role="img"' in out and 'aria-label="Staff &lt;by&gt; faculty &amp; grade"' in out
    assert "<title>Staff &lt;by&gt; faculty &amp; grade</title>" in out
    assert 'id="c7-clip1"' in out and "url(#c7-clip1)" in out and "url('#c7-clip1')" in out
    assert 'id="clip1"' not in out


def test_pattern_marks_are_baked_to_solid_colours() -> None:
    tile = (
        '<pattern id="p"><rect width="7px" fill="rgb(213, 94, 0)" fill-opacity="1"/>'
        '<path d="M0,0" opacity="0.375" stroke="rgb(255, 255, 255)"/>'
        '<circle r="2" opacity="0.375" fill="rgb(255, 255, 255)"/></pattern>'
    )
    out = flatten_pattern_opacity(tile)
    assert 'opacity="0.375"' not in out
    assert 'stroke="rgb(229, 154, 96)"' in out and 'fill="rgb(229, 154, 96)"' in out


@pytest.mark.pg
def test_packs_are_kept_on_postgresql(pg_engine: Engine) -> None:
    board = Actor("chair@uni.ac.uk", "board", name="Board Chair")
    with Session(pg_engine) as s:
        first = build_pack(session=s, actor=board, today=date(2025, 3, 1), charts=False)
        name, data = pack_pdf(session=s, actor=board, pack_id=first.pack_id)
        assert data == first.pdf and name == first.filename
        listed = list_packs(session=s, actor=board)
        assert [p.id for p in listed] == [first.pack_id] and listed[0].built_at.tzinfo is not None
        assert default_period(session=s, today=date(2025, 6, 1)) == (date(2025, 3, 1), date(2025, 6, 1))


def test_a_chart_that_fails_to_draw_gives_a_pack_with_tables(
    demo_engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.charts.export as export

    def broken(fig: object, **_: object) -> str:
        raise export.ChartsUnavailable(f"{export.INSTALL_HINT} (drawing charts failed: the browser crashed).")

    monkeypatch.setattr(export, "charts_available", lambda: (True, "a browser"))
    monkeypatch.setattr(export, "submit_svg", broken)
    with Session(demo_engine) as s:
        result = build_pack(session=s, actor=admin, period_start=date(2020, 7, 31), period_end=PLAN_END)
    assert result.has_charts is False
    assert any("the browser crashed" in n for n in result.notes)
    text = flat(read_pdf(result, "chart-failure").text)
    assert "the browser crashed" in text and "Chart not drawn." in text
    assert f"Page {result.pages} of {result.pages}" in text


def test_a_large_plan_is_set_compactly(tmp_path: Path) -> None:
    """Past 40 actions: changes grouped by kind, the timeline limited to actions needing attention, and the
    per-action evidence chart left out (with a note); every action still listed."""
    from tracker.models import Plan

    engine = tracker.db.make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    tracker.db.migrate(engine)
    statuses = ["on track", "complete", "delayed", "at risk", "on track"]
    with Session(engine) as s:
        plan = Plan(institution="Big University", title="Big plan", start_date=date(2023, 11, 1), months=36)
        s.add(plan)
        s.flush()
        for i in range(45):
            a = Action(plan_id=plan.id, ref=f"A{i + 1}", theme=["Grow", "Keep"][i % 2], purpose=f"Purpose {i + 1}",
                       owners=["Head of Technical Services"], pillars="VR", position=i)  # fmt: skip
            s.add(a)
            s.flush()
            s.add(ProgressUpdate(action_id=a.id, as_of=date(2025, 6, 1), status=statuses[i % 5], percent_complete=50,
                                 note=f"Note {i + 1}", reported_by="lead@big.ac.uk"))  # fmt: skip
        s.commit()
        result = build_pack(session=s, actor=Actor("a@big.ac.uk", "admin"), today=date(2025, 7, 1), charts=False)
    engine.dispose()
    read = read_pdf(result, "compact")
    text = flat(read.text)
    # The verdict keeps to its page: the first few actions at risk or delayed, the rest pointed to.
    first = page_text(read, 1)
    assert "At risk or delayed: 18 actions" in first and "Pillar gaps" in first
    assert "… and 13 more at risk or delayed, listed first in section 4" in first
    assert "Contents" in page_text(read, 2)
    for i in range(45):
        assert re.search(rf"\bA{i + 1}\b", text)
    assert "Grouped by what changed" in text and "○ Not started → ● On track" in text
    assert "the timeline shows those that need attention: the 18 at risk, delayed or overdue" in text
    assert "the chart of each action's evidence over time would run to 2 pages, so it is left out" in text


def test_chart_text_is_set_in_the_browser_s_fonts() -> None:
    """Typst takes font names as written: plotly's are replaced by Liberation Sans (what Chromium draws Helvetica
    and Arial with), and a text holding a symbol Liberation lacks by DejaVu Sans, condensed (as wide)."""
    svg = (
        "<svg><text style=\"font-family: 'Source Sans Pro', Helvetica, Arial, sans-serif; font-size: 13px\">Actions"
        '</text><text data-unformatted="D1 ✔" style="font-family: Arial">D1 · <tspan>✔ Complete</tspan></text></svg>'
    )
    out = print_fonts(svg)
    assert "Source Sans Pro" not in out and "Arial" not in out
    first, second = out.split("</text>")[:2]
    assert "font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif; font-size: 13px\">Actions" in first
    assert "font-family: 'DejaVu Sans', sans-serif; font-stretch: condensed\">D1 · <tspan>✔ Complete</tspan>" in second
