"""The board pack (tracker.report), read back as a board member's PDF reader would.

Built from the demo data, then checked with Debian's poppler-utils: `pdftotext` finds every action, every
section, the suppressed `..` cells and the page footer; `pdfinfo` shows a tagged A4 document with its title,
author, subject and the PDF/UA identification; `pdftoppm` renders every page (PNGs kept under
artifacts/report/ to look at). The same without a browser (each chart becomes its data table), for an empty
period and for an empty database. Packs are kept and come back byte for byte.

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
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import tracker.config
import tracker.db
from tracker.auth import Actor, PermissionDenied, actor_for
from tracker.charts.export import accessible_svg, charts_available, flatten_pattern_opacity
from tracker.demo import DEMO_ADMIN, load_demo
from tracker.models import Action, AuditEvent, BoardPack, ProgressUpdate
from tracker.report import PackNotFound, PackResult, build_pack, default_period, list_packs, pack_pdf
from tracker.report.build import render_html
from tracker.report.content import SECTIONS, gather
from tracker.summary import plan_info

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


def demo_engine_at(path: Path) -> Engine:
    engine = tracker.db.make_engine(f"sqlite:///{path}")
    tracker.db.migrate(engine)
    with Session(engine) as s:
        load_demo(session=s)
    return engine


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One demo database for this module (packs built here are kept in it)."""
    engine = demo_engine_at(tmp_path_factory.mktemp("report") / "demo.db")
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
    assert "1 November 2018 to 31 October 2020" in text
    assert "Demo Administrator (admin@demo.ac.uk)" in text


def test_demo_pack_shows_status_in_words_and_at_risk_first(demo_pack: Read) -> None:
    text = flat(demo_pack.text)
    section = text[text.index("All 6 actions as they stood on 31 October 2020") :]
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
    assert "1 November 2018 to 31 October 2020" in info["Subject"]
    assert info["Tagged"] == "yes"
    assert "(A4)" in info["Page size"]
    assert 'pdfuaid:part="1"' in demo_pack.meta  # PDF/UA-1


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
        ch.src = f"tracker-chart:c{i}"
    html = render_html(content, author="a", author_full="a")
    assert html.count("<figure") == html.count("<figcaption>") == len(charts) >= 10
    text = unescape(html)
    for ch in charts:
        assert f'alt="{ch.title}. {ch.summary}"' in text
        assert f"<figcaption>{ch.summary}</figcaption>" in text


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
        assert [p["id"] for p in list_packs(session=s, actor=board)] == [result.pack_id]
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
        listed = {p["id"]: p for p in list_packs(session=s, actor=board)}
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
    assert listed[result.pack_id]["built_at"].tzinfo is not None
    assert listed[result.pack_id]["title"] == result.title and "content" not in listed[result.pack_id]
    assert any(e.target == result.title and e.actor == DEMO_ADMIN and e.upload_id is None for e in events)


def test_a_second_pack_reports_changes_since_the_first(tmp_path: Path) -> None:
    engine = demo_engine_at(tmp_path / "second.db")
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
    assert "what changed after 31 July 2020 up to and including 31 October 2020" in text
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
        assert [p["id"] for p in listed] == [first.pack_id] and listed[0]["built_at"].tzinfo is not None
        assert default_period(session=s, today=date(2025, 6, 1)) == (date(2025, 3, 1), date(2025, 6, 1))


def test_a_chart_that_fails_to_draw_gives_a_pack_with_tables(
    demo_engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.charts.export as export

    def broken(fig: object, **_: object) -> str:
        raise export.ChartsUnavailable(f"{export.INSTALL_HINT} (drawing charts failed: the browser crashed).")

    monkeypatch.setattr(export, "charts_available", lambda: (True, "a browser"))
    monkeypatch.setattr(export, "to_svg", broken)
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
    text = flat(read_pdf(result, "compact").text)
    for i in range(45):
        assert re.search(rf"\bA{i + 1}\b", text)
    assert "Grouped by what changed" in text and "○ Not started → ● On track" in text
    assert "the timeline shows the 18 that need attention" in text
    assert "the chart of each action's evidence over time would run to 2 pages, so it is left out" in text


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        # style declarations become attributes, and win over an attribute of the same name
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="red" style="fill: rgb(1, 2, 3); Stroke-Width: 1px;"/>'
            "</svg>",
            {"fill": "rgb(1, 2, 3)", "stroke-width": "1px"},
        ),
        # url() values (plotly's patterns) keep their quotes; vendor-prefixed names are dropped, as WeasyPrint does
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(\'#p-1\'); -webkit-x: 1;"/></svg>',
            {"fill": "url('#p-1')"},
        ),
        # !important stays in the style attribute for WeasyPrint's own CSS parser
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect style="opacity: 0.5 !important; fill: none"/></svg>',
            {"fill": "none", "style": "opacity: 0.5 !important;"},
        ),
        # an SVG with a stylesheet is left alone: there a style attribute must also win over the sheet's rules
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: red }</style><rect style="fill: blue"/></svg>',
            {"style": "fill: blue"},
        ),
    ],
)
def test_chart_styles_become_attributes(svg: str, expected: dict[str, str]) -> None:
    from xml.etree import ElementTree

    from tracker.report.build import _styles_as_attributes

    tree = _styles_as_attributes(ElementTree.fromstring(svg))
    rect = next(el for el in tree.iter() if el.tag.endswith("rect"))
    assert dict(rect.attrib) == expected
