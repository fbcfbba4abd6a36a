"""The Board report page (AppTest) and `python -m tracker report` (a subprocess): build, keep, download again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.apputil import ROOT, open_app
from tracker.db import open_engine
from tracker.models import AuditEvent, BoardPack

PAGE = "pages/board_report.py"
BOARD, ADMIN, VIEWER = "board@demo.ac.uk", "admin@demo.ac.uk", "viewer@demo.ac.uk"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def packs(url: str) -> list[BoardPack]:
    with Session(open_engine(url)) as s:
        return list(s.exec(select(BoardPack).order_by(BoardPack.id)).scalars())  # type: ignore[call-overload,arg-type]


# --- the page --------------------------------------------------------------------------------------------


def test_the_page_offers_the_default_period_and_no_past_packs(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_user=BOARD, role="board", page=PAGE)
    assert at.title[0].value == "Board report"
    # The demo plan ended in October 2020: with no pack yet, the period is the whole plan.
    assert [d.value for d in at.date_input if d.key in ("pack_from", "pack_to")] == [
        date(2018, 11, 1),
        date(2020, 10, 31),
    ]
    assert "No pack has been built yet" in " ".join(c.value for c in at.caption)
    assert not at.error


def test_a_board_member_builds_a_pack_that_is_kept_and_listed(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_user=BOARD, role="board", page=PAGE)
    at.checkbox(key="pack_charts").uncheck()  # tables for charts: the browser path is tested in test_report
    at.date_input(key="pack_from").set_value(date(2019, 11, 1))
    at.date_input(key="pack_to").set_value(date(2020, 4, 30))
    at.button[0].click().run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    kept = packs(db)
    assert len(kept) == 1
    pack = kept[0]
    assert (pack.period_start, pack.period_end, pack.built_by) == (date(2019, 11, 1), date(2020, 4, 30), BOARD)
    assert not pack.has_charts
    assert bytes(pack.content).startswith(b"%PDF")
    success = at.success[0].value
    assert f"{pack.pages} pages" in success and "charts as tables" in success
    assert "1 Nov 2019 to 30 Apr 2020" in success
    # Listed under past packs, with a download for it, and the next period starts where this one ended.
    assert at.selectbox(key="pack_pick").value == pack.id
    assert pack.sha256 in " ".join(c.value for c in at.caption)
    at2 = open_app(monkeypatch, db, as_user=ADMIN, page=PAGE)
    assert at2.date_input(key="pack_from").value == date(2020, 4, 30)
    with Session(open_engine(db)) as s:
        n = s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pack_built")).one()
    assert n == (1,)


def test_a_period_ending_before_it_starts_is_an_error_and_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    at = open_app(monkeypatch, db, as_user=ADMIN, page=PAGE)
    at.date_input(key="pack_from").set_value(date(2020, 5, 1))
    at.date_input(key="pack_to").set_value(date(2020, 1, 31))
    at.button[0].click().run()
    assert not at.exception
    assert "after it ends on" in at.error[0].value
    assert packs(db) == []


def test_a_viewer_sent_to_the_page_is_refused(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    # The page is not in a viewer's navigation; run it directly, as a crafted request would.
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACKER_DATABASE_URL", db)
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.session_state["signed_in_as"] = VIEWER
    at.run()
    assert not at.exception
    assert "viewers can read the dashboard but not build board packs" in at.error[0].value
    assert not at.button


def test_without_a_browser_the_page_says_what_to_install(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/usr/local/bin:/bin")  # no chromium on it
    at = open_app(monkeypatch, db, as_user=BOARD, role="board", page=PAGE)
    info = " ".join(i.value for i in at.info)
    if "cannot draw charts" not in info:
        pytest.skip("a browser was found outside PATH on this machine")
    assert "apt-get install chromium" in info
    assert at.checkbox(key="pack_charts").value is False


# --- the command line -----------------------------------------------------------------------------------


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", db, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_report_writes_the_pack_and_keeps_it(db: str, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    p = cli(db, "report", "--from", "2019-01-01", "--to", "2019-12-31", "--no-charts", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "charts as tables; kept as pack 1" in p.stdout
    (pack,) = packs(db)
    assert out.read_bytes() == bytes(pack.content)
    assert (pack.period_start, pack.period_end, pack.built_by) == (date(2019, 1, 1), date(2019, 12, 31), "system")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "1 Jan 2019 to 31 Dec 2019" in " ".join(text.split())
    # The kept pack comes back byte for byte.
    again = tmp_path / "again.pdf"
    p = cli(db, "report", "--pack", "1", "--out", str(again))
    assert p.returncode == 0, p.stderr
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2020-05-01", "--to", "2020-01-01"], "after it ends on 1 Jan 2020"),
        (["--pack", "7"], "no board pack with id 7"),
        (["--to", "31/01/2020"], "is not YYYY-MM-DD"),
    ],
    ids=["backwards-period", "unknown-pack", "bad-date"],
)
def test_cli_report_bad_usage_exits_2_and_keeps_nothing(db: str, tmp_path: Path, args: list[str], message: str) -> None:
    p = cli(db, "report", *args, "--out", str(tmp_path / "x.pdf"))
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "x.pdf").exists()
    assert packs(db) == []


@pytest.mark.parametrize("email", [VIEWER, "careers.lead@demo.ac.uk"])
def test_cli_report_is_refused_to_other_roles(db: str, tmp_path: Path, email: str) -> None:
    p = cli(db, "--as", email, "report", "--out", str(tmp_path / "x.pdf"))
    assert p.returncode == 2
    assert p.stderr.startswith(f"refused: {email} is a ")
    assert "but not build board packs" in p.stderr
    assert packs(db) == []
