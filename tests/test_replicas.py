"""Several replicas (issue 7, point 3): two app servers on different ports against one PostgreSQL database.

Two `streamlit run app.py` servers, A and B, share one fresh PostgreSQL schema holding the demo data. Each runs in
a working directory, HOME and TMPDIR of its own, all empty, with the same cookie secret, as replicas behind a load
balancer would. In Chromium, a viewer signs in on B and opens Evidence & impact; a lead signs in on A, uploads an
update file for their action D2 (a status change and a new evidence item, built here with openpyxl) and confirms.
Then B, which rendered its page before the upload and holds its caches, navigates again and must show the new
evidence and the new status at once: the caches are keyed on the data version read from the database on every run,
never on anything a replica keeps to itself. Finally, neither server wrote anything to its own disk: the upload,
its bytes, the sign-in state and the caches' key all live in the database.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    FILE_INPUT,
    LOGS,
    MAIN,
    ROOT,
    SUCCESS_BOX,
    AppPage,
    Login,
    Server,
    _free_port,
    app_pages,
    assert_heading,
    assert_no_errors,
    click_nav,
    finish_init,
    init_db,
    new_context,
    new_password,
    runs_so_far,
    screenshot,
    set_passwords,
    sign_in_all,
    wait_for_run,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.pg]
pytest_plugins = ["tests.browser_util"]  # chromium, browser

LEAD = "careers.lead@demo.ac.uk"  # owns D2 in the demo
VIEWER = "viewer@demo.ac.uk"
REF = "D2"
IN_PLAN = date(2020, 10, 30)  # the demo plan runs November 2018 – October 2020
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {p.title: p for p in app_pages()}
# The checkout's own database, which a replica would fall back to without TRACKER_DATABASE_URL: must stay as it was.
LOCAL_DB = ROOT / "data" / "tracker.db"


def _page(title: str) -> AppPage:
    assert title in PAGES, f"app.py has no page titled {title!r} (it has {', '.join(PAGES)})"
    return PAGES[title]


# --- the replicas -----------------------------------------------------------------------------------------


class Replica(Server):
    """`streamlit run /path/to/app.py` started in an empty working directory with an empty HOME and TMPDIR of
    its own, configured on the command line (the checkout's .streamlit/config.toml is not in its directory)."""

    def __init__(self, label: str, db_url: str, local: Path, cookie_secret: str) -> None:
        self.local = local
        for sub in ("cwd", "home", "tmp"):
            (local / sub).mkdir(parents=True)
        self.label = label
        self.db_url = db_url
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"streamlit-{label}.log"
        self._log = self.log_path.open("wb")
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": db_url,
            "HOME": str(local / "home"),
            "TMPDIR": str(local / "tmp"),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # One secret for every replica, so a cookie one signs (st.login's) is good on the others.
            "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
        }
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
        cmd += ["--server.headless", "true", "--server.port", str(self.port), "--server.fileWatcherType", "none"]
        cmd += ["--browser.gatherUsageStats", "false", "--server.maxUploadSize", "20", "--theme.base", "light"]
        cmd += ["--client.toolbarMode", "viewer"]
        self.proc = subprocess.Popen(cmd, cwd=local / "cwd", env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def files_written(self) -> list[str]:
        """Every file and directory under the replica's working directory, HOME and TMPDIR."""
        return sorted(
            str(p.relative_to(self.local)) for sub in ("cwd", "home", "tmp") for p in (self.local / sub).rglob("*")
        )


@dataclass(frozen=True)
class Replicas:
    a: Replica
    b: Replica
    db_url: str
    passwords: dict[str, str]


def _local_db_state() -> dict[str, tuple[int, int] | None]:
    out: dict[str, tuple[int, int] | None] = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(LOCAL_DB) + suffix)
        out[p.name] = (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None
    return out


@pytest.fixture
def replicas(chromium: Path, pg_url: str, tmp_path: Path) -> Iterator[Replicas]:
    """Two replicas on one fresh PostgreSQL schema with the demo data; they start while `init --demo` runs."""
    secret = new_password()
    servers: list[Replica] = []
    try:
        servers.append(Replica("replica-a", pg_url, tmp_path / "a", secret))
        servers.append(Replica("replica-b", pg_url, tmp_path / "b", secret))
        finish_init("replicas", init_db(pg_url, demo=True))
        passwords = {LEAD: new_password(), VIEWER: new_password()}
        set_passwords(pg_url, passwords)
        for server in servers:
            server.wait_ready()
        yield Replicas(servers[0], servers[1], pg_url, passwords)
    finally:
        for server in servers:
            server.stop()


# --- the file and the pages ---------------------------------------------------------------------------------


def update_file(description: str, note: str) -> bytes:
    """The lead's update on the template's layout: D2 complete, and one new evidence item."""
    import openpyxl

    from tracker.ingest.updates import EVIDENCE_COLUMNS, PROGRESS_COLUMNS

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Progress"
    ws.append(list(PROGRESS_COLUMNS))
    ws.append([REF, IN_PLAN, "Complete", 100, note, None])
    ev = wb.create_sheet("Evidence")
    ev.append(list(EVIDENCE_COLUMNS))
    ev.append([REF, IN_PLAN, description, "event", None, "C", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def grid_cell(tab: Page, text: str) -> Any:
    return tab.locator(f'{MAIN} [data-testid="stDataFrame"] td').filter(has_text=text)


def wait_for_table(tab: Page, header: str) -> None:
    """Until a table with a column `header` has drawn a row (a dataframe's cells come after the run ends)."""
    tab.wait_for_function(
        """([header]) => [...document.querySelectorAll('[data-testid="stMain"] table')].some((t) =>
             [...t.querySelectorAll('thead th')].some((th) => th.textContent.trim() === header)
             && t.querySelector('tbody tr'))""",
        arg=[header],
    )


def evidence_shown(tab: Page, text: str) -> bool:
    """Evidence & impact through the sidebar, coming from Home (a new run of the page): is `text` received?"""
    click_nav(tab, _page("Home"))
    click_nav(tab, _page("Evidence & impact"))
    assert_heading(tab, _page("Evidence & impact"))
    wait_for_table(tab, "Description")
    assert_no_errors(tab, "Evidence & impact")
    return bool(grid_cell(tab, text).count())


_ROWS = """([header]) => {
  const out = [];
  for (const table of document.querySelectorAll('[data-testid="stMain"] table')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    if (!heads.includes(header)) continue;
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cells = [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim());
      const names = cells.length === heads.length ? heads : heads.slice(heads.length - cells.length);
      out.push(Object.fromEntries(names.map((h, i) => [h, cells[i]])));
    }
  }
  return out;
}"""


def latest_update(tab: Page) -> dict[str, str]:
    """The Action plan page (a new run of it) with D2 chosen for the detail, which lists its updates newest
    first: the newest one's columns (As of, Status, % complete, Note, By)."""
    from playwright.sync_api import expect

    click_nav(tab, _page("Home"))
    click_nav(tab, _page("Action plan"))
    assert_no_errors(tab, "Action plan")
    box = tab.locator(f'{MAIN} [data-testid="stSelectbox"]').filter(has=tab.get_by_text("Action", exact=True))
    box.locator("input").first.click()
    before = runs_so_far(tab)
    tab.get_by_role("option").filter(has_text=re.compile(rf"^{REF} –")).first.click()
    wait_for_run(tab, before)
    expect(tab.locator(MAIN)).to_contain_text(f"{REF} · ")
    # The grid fills its cells after the run has drawn: wait until they are D2's (every D2 update is its lead's).
    tab.wait_for_function(
        f"([header]) => {{ const rows = ({_ROWS})([header]); return rows.length > 0 && rows[0]['By'] === '{LEAD}'; }}",
        arg=["By"],
    )
    rows = tab.evaluate(_ROWS, ["By"])
    return {k: str(v) for k, v in rows[0].items()}


def upload_and_confirm(tab: Page, name: str, data: bytes) -> None:
    from playwright.sync_api import FilePayload, expect

    click_nav(tab, _page("Upload"))
    assert_heading(tab, _page("Upload"))
    before = runs_so_far(tab)
    tab.locator(FILE_INPUT).set_input_files(files=[FilePayload(name=name, mimeType=XLSX, buffer=data)])
    wait_for_run(tab, before)
    assert_no_errors(tab, "the preview on replica A")
    confirm = tab.locator(MAIN).get_by_role("button", name="Confirm and load")
    expect(confirm).to_be_enabled()
    before = runs_so_far(tab)
    confirm.click()
    wait_for_run(tab, before)
    expect(tab.locator(SUCCESS_BOX)).to_contain_text(f"Loaded {name}")
    wait_until_drawn(tab)


# --- the test ----------------------------------------------------------------------------------------------


def test_an_upload_through_one_replica_shows_at_once_on_the_other(browser: Browser, replicas: Replicas) -> None:
    local_db_before = _local_db_state()
    token = new_password()[:10]
    description = f"Replica drop-in for technicians {token}"
    note = f"Pathways signed off at the board {token}"
    data = update_file(description, note)

    ctx_a, ctx_b = new_context(browser), new_context(browser)
    try:
        tab_a, tab_b = ctx_a.new_page(), ctx_b.new_page()
        sign_in_all(
            Login(tab_a, replicas.a.url, LEAD, replicas.passwords[LEAD]),
            Login(tab_b, replicas.b.url, VIEWER, replicas.passwords[VIEWER]),
        )
        # B renders the pages before the upload: its caches now hold the old data.
        tab_b.bring_to_front()
        assert not evidence_shown(tab_b, description), "replica B shows the evidence before it was uploaded"
        latest = latest_update(tab_b)
        assert latest["Note"] != note and "Complete" not in latest["Status"], f"{REF} on B before: {latest}"
        screenshot(tab_b, "replicas-1-b-before")

        tab_a.bring_to_front()
        upload_and_confirm(tab_a, "d2-replica-update.xlsx", data)
        screenshot(tab_a, "replicas-2-a-loaded")
        assert evidence_shown(tab_a, description), "replica A does not show what it loaded"

        # B, its page already rendered before the upload, navigates again: the new evidence and status at once.
        tab_b.bring_to_front()
        assert evidence_shown(tab_b, description), "replica B still shows the evidence from before the upload"
        screenshot(tab_b, "replicas-3-b-after")
        latest = latest_update(tab_b)
        assert latest["Note"] == note, f"replica B does not show {REF}'s new update first: {latest}"
        assert "Complete" in latest["Status"], f"replica B shows {REF} as {latest['Status']!r}, not complete"
    finally:
        ctx_a.close()
        ctx_b.close()

    for server in (replicas.a, replicas.b):
        server.stop()
        assert server.files_written() == [], f"{server.label} wrote to its local disk: {server.files_written()}"
    assert _local_db_state() == local_db_before, f"{LOCAL_DB} was created or changed: the replicas must use only PG"
