"""The board pack "since the last round" (issue 15): built on the demo, whose rounds "January 2019" … "October 2020"
are closed (each due on the 24th) and "November 2020" is open, the pack runs from the July 2020 round's due date to
the October 2020 round's, reports what changed over exactly that period (not since the previous pack), names the
rounds in its title, first page and section 5, and is kept like any other pack. Through `build_pack` (SQLite and
PostgreSQL), the Board report page (AppTest) and `python -m tracker report --since-round`.

PDFs are read back with poppler's `pdftotext` and `pdfinfo`, as tests/test_report.py does.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

import tracker.db
from tests.apputil import open_app
from tests.test_board_report_page import cli
from tracker.auth import Actor, actor_for
from tracker.db import open_engine
from tracker.demo import DEMO_ADMIN
from tracker.models import AuditEvent, BoardPack
from tracker.report import build_pack, default_period, list_packs, pack_pdf
from tracker.report.build import last_round
from tracker.report.content import PackRound, round_name
from tracker.text import plural
from tracker.views.changes import RoundMark, changes_view

PAGE = "pages/board_report.py"
BOARD = "board@demo.ac.uk"
JULY, OCTOBER = date(2020, 7, 24), date(2020, 10, 24)
AFTER_THE_PLAN = date(2026, 1, 1)  # the demo plan ended on 31 Oct 2020: packs default to that day
TITLE = "Board pack: University College London, October 2020 round, 24 Jul 2020 to 24 Oct 2020"
SINCE = "Since the July 2020 round (due 24 Jul 2020), up to the October 2020 round (due 24 Oct 2020)"

pytestmark = [
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("pdftotext", "pdfinfo")),
        reason="needs poppler-utils (pdftotext, pdfinfo): apt-get install poppler-utils",
    ),
    pytest.mark.usefixtures("fresh_streamlit_caches"),
]


def packs(url: str) -> list[BoardPack]:
    with Session(open_engine(url)) as s:
        return list(s.exec(select(BoardPack).order_by(BoardPack.id)).scalars())  # type: ignore[call-overload,arg-type]


def pdf_text(pdf: bytes, tmp_path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """pdftotext of the PDF (or of pages `first` to `last`), whitespace collapsed."""
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    out = subprocess.run(["pdftotext", *pages, str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def pdf_file(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    return path


def pdf_title(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return next(line.partition(":")[2].strip() for line in out.splitlines() if line.startswith("Title:"))


@pytest.fixture
def demo(demo_engine: Engine) -> Engine:
    """The demo data set in a fresh database on each backend (a copy of one loaded once)."""
    return demo_engine


def admin_of(engine: Engine) -> Actor:
    with Session(engine) as s:
        actor = actor_for(session=s, email=DEMO_ADMIN)
    assert actor is not None
    return actor


# --- build_pack ------------------------------------------------------------------------------------------


def test_a_pack_since_the_last_round_names_the_rounds_and_counts_changes_over_them(
    demo: Engine, tmp_path: Path
) -> None:
    admin = admin_of(demo)
    with Session(demo) as s:
        # A pack already kept up to 30 Sep 2020, inside the round's period: "what changed" must not start there.
        build_pack(session=s, actor=admin, period_end=date(2020, 9, 30), charts=False, today=AFTER_THE_PLAN)
        pack = build_pack(session=s, actor=admin, since_round=True, charts=False, today=AFTER_THE_PLAN)
        moved = changes_view(session=s, start=JULY, end=OCTOBER)
    assert (pack.period_start, pack.period_end) == (JULY, OCTOBER)
    assert pack.title == TITLE
    assert pdf_title(pack.pdf, tmp_path) == TITLE

    first = pdf_text(pack.pdf, tmp_path, first=1, last=1)
    assert "Board pack for the October 2020 round, 24 Jul 2020 to 24 Oct 2020" in first
    assert "Figures as they stood on 24 Oct 2020." in first
    assert "What changed since the last round" in first and "since the last pack" not in first
    assert f"{SINCE}: changes after 24 Jul 2020 up to and including 24 Oct 2020." in first
    # Counted over the rounds' period, as the changes view counts it (the demo: 2 status changes).
    assert moved.status_changes and f"{plural(len(moved.status_changes), 'status change')}:" in first

    text = pdf_text(pack.pdf, tmp_path)
    assert "5. What changed since the last round" in text
    assert f"{SINCE}: what changed after 24 Jul 2020 up to and including 24 Oct 2020." in text
    changes_reported = (
        "since the July 2020 round (due 24 Jul 2020), up to the October 2020 round (due 24 Oct 2020): after "
        "24 Jul 2020 up to and including 24 Oct 2020"
    )
    assert changes_reported in text
    assert "previous pack" not in text and "30 Sep 2020" not in first

    # Kept like any other pack: listed, handed back byte for byte, audited, and the next pack starts after it.
    with Session(demo) as s:
        listed = list_packs(session=s, actor=admin)
        assert listed[0].id == pack.pack_id and listed[0].title == TITLE
        assert pack_pdf(session=s, actor=admin, pack_id=pack.pack_id)[1] == pack.pdf
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "pack_built")).scalars().all()  # type: ignore[call-overload]
        assert any("October 2020 round, 24 Jul 2020 to 24 Oct 2020" in (e.detail or "") for e in audit)
        assert default_period(session=s, today=AFTER_THE_PLAN) == (OCTOBER, date(2020, 10, 31))

    # Still a PDF/UA document, as every pack is (tests/test_report.py checks the rest).
    pdfua = pytest.importorskip("pdfua")
    report = pdfua.validate(str(pdf_file(pack.pdf, tmp_path)))
    assert not [f.rule_id for f in report.findings if f.severity >= pdfua.Severity.WARNING]


def test_the_last_round_is_the_latest_ended_by_the_period_end(demo: Engine) -> None:
    with Session(demo) as s:
        # By default, the as-of date (the plan's end): November 2020 is open and due after it.
        r = last_round(session=s, today=AFTER_THE_PLAN)
        assert r is not None and (r.start, r.end, r.name, r.span) == (
            JULY,
            OCTOBER,
            "October 2020 round",
            "July 2020 → October 2020 round",
        )
        assert r.since == SINCE
        # The period's end picks the round: a week after the July round, that is the last.
        r = last_round(session=s, period_end=date(2020, 7, 31))
        assert r is not None and (r.start, r.end, r.name) == (date(2020, 4, 24), JULY, "July 2020 round")
        # The first round has none before it.
        r = last_round(session=s, period_end=date(2019, 2, 1))
        assert r is not None and r.previous is None and r.end == date(2019, 1, 24) and r.start < r.end
        assert r.span == "up to the January 2019 round, the first"
        assert r.since == "Up to the January 2019 round (due 24 Jan 2019), the first round"
        # Before any round was due there is none.
        assert last_round(session=s, period_end=date(2019, 1, 10)) is None


def test_since_the_last_round_refuses_what_it_cannot_name(demo: Engine) -> None:
    admin = admin_of(demo)
    with Session(demo) as s:
        with pytest.raises(ValueError, match="no update round had ended by 10 Jan 2019"):
            build_pack(session=s, actor=admin, since_round=True, period_end=date(2019, 1, 10), charts=False)
        with pytest.raises(ValueError, match="starts on 24 Jul 2020, when the July 2020 round was due, not on 1 Jan"):
            build_pack(session=s, actor=admin, since_round=True, period_start=date(2020, 1, 1), today=AFTER_THE_PLAN)
        assert list_packs(session=s, actor=admin) == []


def test_rounds_read_from_update_dates_are_named_by_their_day() -> None:
    r = PackRound(
        start=date(2020, 7, 17),
        end=date(2020, 10, 16),
        latest=RoundMark("", date(2020, 10, 16)),
        previous=RoundMark("", date(2020, 7, 17)),
    )
    assert r.name == "update round of 16 Oct 2020"
    assert r.span == "update round of 17 Jul 2020 → update round of 16 Oct 2020"
    assert r.since == "Since the update round of 17 Jul 2020, up to the update round of 16 Oct 2020"
    assert round_name(RoundMark("Autumn round", date(2020, 10, 1))) == "Autumn round"


# --- the Board report page ---------------------------------------------------------------------------------


def test_the_page_builds_a_pack_since_the_last_round(monkeypatch: pytest.MonkeyPatch, db: str, tmp_path: Path) -> None:
    at = open_app(monkeypatch, db, as_user=BOARD, role="board", page=PAGE)
    radio = at.radio(key="pack_period")
    assert radio.value == "pack"
    assert list(radio.options) == [
        "Since the last pack",
        "Since the last round: July 2020 → October 2020 round",
    ]
    dates = ("pack_from", "pack_to")
    assert [at.date_input(key=k).value for k in dates] == [date(2018, 11, 1), date(2020, 10, 31)]

    at.radio(key="pack_period").set_value("round").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [at.date_input(key=k).value for k in dates] == [JULY, OCTOBER]
    assert "the pack names the October 2020 round" in " ".join(c.value for c in at.caption)

    at.checkbox(key="pack_charts").uncheck()
    at.button[0].click().run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    (pack,) = packs(db)
    assert (pack.period_start, pack.period_end, pack.title) == (JULY, OCTOBER, TITLE)
    assert "October 2020 round" in at.success[0].value
    assert SINCE in pdf_text(bytes(pack.content), tmp_path, first=1, last=1)

    # Back to "since the last pack": the fields follow (the next pack starts where this one ended).
    at.radio(key="pack_period").set_value("pack").run()
    assert [at.date_input(key=k).value for k in dates] == [OCTOBER, date(2020, 10, 31)]
    # Away to another page and back: the fields hold the default period again (not today).
    at.radio(key="pack_period").set_value("round").run()
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="pack_period").value == "pack"
    assert [at.date_input(key=k).value for k in dates] == [OCTOBER, date(2020, 10, 31)]


def test_on_the_page_changed_dates_are_a_period_of_ones_own(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_user=BOARD, role="board", page=PAGE)
    at.radio(key="pack_period").set_value("round").run()
    at.checkbox(key="pack_charts").uncheck()
    at.date_input(key="pack_from").set_value(date(2020, 8, 1))
    at.button[0].click().run(timeout=120)
    assert not at.error, [e.value for e in at.error]
    (pack,) = packs(db)
    assert (pack.period_start, pack.period_end) == (date(2020, 8, 1), OCTOBER)
    assert "round" not in pack.title


def test_the_page_offers_no_round_when_there_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    tracker.db.migrate(open_engine(url))
    at = open_app(monkeypatch, url, as_user=BOARD, role="board", page=PAGE)
    assert not at.radio
    assert at.date_input(key="pack_from").value is not None and not at.error


# --- the command line ------------------------------------------------------------------------------------


def test_cli_report_since_the_last_round(db: str, tmp_path: Path) -> None:
    out = tmp_path / "round.pdf"
    p = cli(db, "report", "--since-round", "--no-charts", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert f"wrote {out}: {TITLE};" in p.stdout
    (pack,) = packs(db)
    assert (pack.period_start, pack.period_end, pack.title) == (JULY, OCTOBER, TITLE)
    assert out.read_bytes() == bytes(pack.content)
    assert SINCE in pdf_text(out.read_bytes(), tmp_path, first=1, last=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "2019-01-10"], "no update round had ended by 10 Jan 2019"),
        (["--from", "2020-01-01"], "the period starts on 24 Jul 2020, when the July 2020 round was due"),
    ],
    ids=["no-round-yet", "another-start"],
)
def test_cli_since_round_bad_usage_exits_2_and_keeps_nothing(
    db: str, tmp_path: Path, args: list[str], message: str
) -> None:
    p = cli(db, "report", "--since-round", *args, "--no-charts", "--out", str(tmp_path / "x.pdf"))
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr
    assert packs(db) == []
