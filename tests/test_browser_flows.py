"""Browser flows of sign-in, roles and the leads' upload workflow (issue 4, point 7), in Debian's Chromium.

One Streamlit server on the demo data for the module; the accounts used get passwords generated for the run.
A lead (careers.lead@demo.ac.uk, who owns D2) signs in once and, in that tab:

- uploads a good file (a Progress row and an Evidence row for D2, built here with openpyxl), sees the preview
  (nothing written yet), confirms, sees the success, and finds the new evidence on the Evidence page;
- uploads a file with errors (a status that is not a status word, a Delayed row with no note): the issue
  table names the Excel rows, and nothing changes;
- uploads a file touching D3 (apprentices.lead's action): refused, "not one of your actions".

A viewer has no Upload page, and asking for it directly does not bring it up; a wrong password is refused.
"Nothing changes" is checked with `python -m tracker show updates --format json` and on the Evidence page.
Each step is photographed into `artifacts/screenshots/flow-*.png`.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    ERROR_BOX,
    FILE_INPUT,
    MAIN,
    NAV_LINK,
    ROOT,
    SIDEBAR,
    SIGNED_IN,
    SUCCESS_BOX,
    AppPage,
    Server,
    app_pages,
    assert_heading,
    assert_no_errors,
    click_nav,
    finish_init,
    follow_link,
    init_db,
    nav_link,
    new_password,
    open_page,
    runs_so_far,
    screenshot,
    set_passwords,
    show,
    sign_in,
    sign_in_form,
    submit_sign_in,
    wait_for_run,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser, browser_context, page

LEAD = "careers.lead@demo.ac.uk"  # owns D2 in the demo
OTHER_LEADS_ACTION = "D3"  # apprentices.lead@demo.ac.uk's
VIEWER = "viewer@demo.ac.uk"
BOARD = "board@demo.ac.uk"
WRONG_PASSWORD_FOR = BOARD  # its password is generated for the run: any other guess is wrong
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IN_PLAN = date(2020, 10, 30)  # the demo plan runs November 2018 – October 2020
PROGRESS = ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"]
EVIDENCE = ["Ref", "Date", "Description", "Kind", "Link", "Pillars", "Added by", "Supersedes ID"]
ISSUE_COLUMNS = ["Sheet", "Row", "Column", "Value", "Problem"]
DATAFRAME = f'{MAIN} [data-testid="stDataFrame"]'

PAGES = {p.title: p for p in app_pages()}


def _page(title: str) -> AppPage:
    assert title in PAGES, f"app.py has no page titled {title!r} (it has {', '.join(PAGES)})"
    return PAGES[title]


# --- the server and the people ------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    server: Server
    passwords: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db_url(self) -> str:
        return self.server.db_url


@pytest.fixture(scope="module")
def site(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on a fresh copy of the demo data (the flows write to it). It starts while `init --demo` runs:
    a server reads nothing before its first request."""
    url = f"sqlite:///{tmp_path_factory.mktemp('flows') / 'demo.db'}"
    server = Server("flows", url)
    try:
        finish_init("flows", init_db(url, demo=True))
        passwords = {LEAD: new_password(), VIEWER: new_password(), BOARD: new_password()}
        set_passwords(url, passwords)
        server.wait_ready()
        yield Site(server, passwords)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def _lead_tab(browser_context: BrowserContext, site: Site) -> Iterator[Page]:
    """The lead, signed in once for the module's upload flows."""
    tab = browser_context.new_page()
    sign_in(tab, site.url, LEAD, site.passwords[LEAD])
    screenshot(tab, "flow-lead-1-signed-in")
    yield tab
    tab.close()


@pytest.fixture
def lead_tab(_lead_tab: Page) -> Page:
    _lead_tab.bring_to_front()  # Chromium hardly draws a tab that is not in front
    return _lead_tab


# --- files --------------------------------------------------------------------------------------------


def workbook(*, progress: Sequence[list[Any]] = (), evidence: Sequence[list[Any]] = ()) -> bytes:
    """An update file as a lead fills in the template: Progress and Evidence sheets, headers on row 1."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Progress"
    for row in [PROGRESS, *progress]:
        ws.append(row)
    ev = wb.create_sheet("Evidence")
    for row in [EVIDENCE, *evidence]:
        ev.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def distinctive(what: str) -> str:
    """A description no other row has: this run's token in it."""
    return f"{what} {new_password()[:10]}"


# --- what the tracker holds, through its command line ---------------------------------------------------


def count_updates(site: Site) -> int:
    cmd = [sys.executable, "-m", "tracker", "--db", site.db_url, "show", "updates", "--format", "json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return len(json.loads(out.stdout))


# --- the Upload page ----------------------------------------------------------------------------------


def open_upload_page(tab: Page) -> None:
    """Upload through the sidebar, as a fresh page (coming from Home if it is already showing)."""
    if tab.url.split("?")[0].endswith("/upload"):
        click_nav(tab, _page("Home"))
    click_nav(tab, _page("Upload"))
    assert_heading(tab, _page("Upload"))
    assert tab.locator(FILE_INPUT).count() == 1, "the Upload page has no file uploader"


def upload(tab: Page, name: str, data: bytes) -> None:
    """Drop the file on the uploader and wait until the page has checked it and drawn the result."""
    from playwright.sync_api import FilePayload

    before = runs_so_far(tab)
    tab.locator(FILE_INPUT).set_input_files(files=[FilePayload(name=name, mimeType=XLSX, buffer=data)])
    wait_for_run(tab, before)


def confirm_button(tab: Page) -> Any:
    return tab.locator(MAIN).get_by_role("button", name=re.compile("Confirm and load"))


# Tables drawn by st.dataframe are canvas; the grid keeps the visible cells in an accessible <table> inside it,
# which is read here (so is an st.table's). Rows become {header: text}.
TABLES_JS = """([header]) => {
  const out = [];
  for (const table of document.querySelectorAll('[data-testid="stMain"] table')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    if (!heads.includes(header)) continue;
    const rows = [];
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cells = [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim());
      const names = cells.length === heads.length ? heads : heads.slice(heads.length - cells.length);
      rows.push(Object.fromEntries(names.map((h, i) => [h, cells[i]])));
    }
    out.push(rows);
  }
  return out;
}"""


def wait_for_table(tab: Page, header: str) -> None:
    """Until a table with a column `header` has drawn a row (a dataframe's canvas is sized, then filled, after
    the run has finished)."""
    tab.wait_for_function(
        """([header]) => [...document.querySelectorAll('[data-testid="stMain"] table')].some((t) =>
             [...t.querySelectorAll('thead th')].some((th) => th.textContent.trim() === header)
             && t.querySelector('tbody tr'))""",
        arg=[header],
    )


def tables_with(tab: Page, header: str) -> list[list[dict[str, str]]]:
    """Every table on the page that has a column `header`, waited for until one has a row."""
    wait_for_table(tab, header)
    return tab.evaluate(TABLES_JS, [header])  # type: ignore[no-any-return]


def grid_cell(tab: Page, text: str) -> Any:
    return tab.locator(f"{DATAFRAME} td").filter(has_text=text)


def evidence_page_shows(tab: Page, site: Site, text: str) -> bool:
    """Evidence & impact, through the sidebar: is `text` among the evidence received (newest first, so a new
    item is in the rows the grid has drawn)?"""
    show(tab, site.url, _page("Evidence & impact"))
    assert_heading(tab, _page("Evidence & impact"))
    wait_for_table(tab, "Description")
    return grid_cell(tab, text).count() > 0


# --- the flows ----------------------------------------------------------------------------------------


def test_a_lead_uploads_a_good_file_confirms_and_sees_the_new_evidence(lead_tab: Page, site: Site) -> None:
    from playwright.sync_api import expect

    tab = lead_tab
    description = distinctive("Career pathways drop-in for technicians, browser flow")
    data = workbook(
        progress=[["D2", IN_PLAN, "On track", 100, "Pathways reviewed with the job-family leads.", None]],
        evidence=[["D2", IN_PLAN, description, "event", None, "C", None, None]],
    )
    updates_before = count_updates(site)

    open_upload_page(tab)
    screenshot(tab, "flow-lead-2-upload-page")
    upload(tab, "d2-update.xlsx", data)
    screenshot(tab, "flow-lead-3-preview")
    assert_no_errors(tab, "the preview of a good file")
    expect(confirm_button(tab)).to_be_enabled()
    main = tab.locator(MAIN)
    expect(main).to_contain_text("Nothing has been written yet")
    expect(main).to_contain_text(re.compile(r"1 new evidence item"))
    changes = tables_with(tab, "Change")
    assert any(r.get("Action") == "D2" for t in changes for r in t), f"the preview names D2: {changes}"
    assert count_updates(site) == updates_before, "the preview wrote something before the confirmation"

    before = runs_so_far(tab)
    confirm_button(tab).click()
    wait_for_run(tab, before)
    success = tab.locator(SUCCESS_BOX)
    expect(success).to_contain_text("Loaded d2-update.xlsx")
    wait_until_drawn(tab)
    screenshot(tab, "flow-lead-4-loaded")
    assert_no_errors(tab, "after Confirm and load")
    assert count_updates(site) == updates_before + 1, "one progress update should have been written"

    # The page links to what changed: the evidence for D2.
    link = tab.locator('[data-testid="stPageLink-NavLink"]').filter(has_text="See the evidence for D2")
    expect(link).to_have_count(1)
    follow_link(tab, link, _page("Evidence & impact"))
    wait_for_table(tab, "Description")
    expect(grid_cell(tab, description).first).to_be_attached()
    screenshot(tab, "flow-lead-5-evidence-for-d2")

    # And the Evidence page itself through the sidebar, coming from Home so no filter is left from the link.
    click_nav(tab, _page("Home"))
    click_nav(tab, _page("Evidence & impact"))
    assert "ref=" not in tab.url, f"the Evidence page is still filtered: {tab.url}"
    wait_for_table(tab, "Description")
    expect(grid_cell(tab, description).first).to_be_attached()
    assert_no_errors(tab, "Evidence & impact after the upload")
    screenshot(tab, "flow-lead-6-evidence")


def test_a_file_with_errors_shows_the_issue_table_and_changes_nothing(lead_tab: Page, site: Site) -> None:
    from playwright.sync_api import expect

    tab = lead_tab
    description = distinctive("Evidence that must not be loaded")
    data = workbook(
        progress=[
            ["D2", IN_PLAN, "Going swimmingly", 60, "Some note.", None],  # Excel row 2: not a status
            ["D2", date(2020, 10, 29), "Delayed", 40, None, None],  # Excel row 3: Delayed needs a note
        ],
        evidence=[["D2", IN_PLAN, description, "document", None, "C", None, None]],
    )
    updates_before = count_updates(site)

    open_upload_page(tab)
    upload(tab, "d2-with-errors.xlsx", data)
    screenshot(tab, "flow-errors-1-issues")
    expect(tab.locator(ERROR_BOX).first).to_contain_text("nothing was written")
    assert confirm_button(tab).count() == 0, "a file with errors must not be offered for loading"
    tables = tables_with(tab, "Problem")
    assert tables, "no issue table"
    issues = tables[0]
    assert set(ISSUE_COLUMNS) <= set(issues[0]), f"the issue table's columns: {list(issues[0])}"
    by_row = {(r["Sheet"], r["Row"], r["Column"]): r for r in issues}
    assert ("Progress", "2", "Status") in by_row, f"the bad status on Excel row 2 is not named: {issues}"
    assert "Going swimmingly" in by_row[("Progress", "2", "Status")]["Value"]
    assert ("Progress", "3", "Note") in by_row, f"the missing note on Excel row 3 is not named: {issues}"
    assert "note" in by_row[("Progress", "3", "Note")]["Problem"].lower()

    assert count_updates(site) == updates_before, "a file with errors changed the progress updates"
    assert not evidence_page_shows(tab, site, description), "the evidence of a rejected file is on the Evidence page"
    screenshot(tab, "flow-errors-2-evidence-unchanged")


def test_a_file_touching_another_leads_action_is_refused(lead_tab: Page, site: Site) -> None:
    from playwright.sync_api import expect

    tab = lead_tab
    data = workbook(progress=[[OTHER_LEADS_ACTION, IN_PLAN, "Complete", 100, "Not mine to report.", None]])
    updates_before = count_updates(site)

    open_upload_page(tab)
    upload(tab, "d3-not-mine.xlsx", data)
    screenshot(tab, "flow-other-lead-refused")
    expect(tab.locator(MAIN)).to_contain_text("not one of your actions")  # the issue table's Problem cell
    expect(tab.locator(ERROR_BOX).first).to_contain_text("nothing was written")
    assert confirm_button(tab).count() == 0, "another lead's action must not be offered for loading"
    rows = [r for t in tables_with(tab, "Problem") for r in t]
    assert any(r["Value"] == OTHER_LEADS_ACTION and "not one of your actions" in r["Problem"] for r in rows), rows
    assert count_updates(site) == updates_before, "a refused file changed the progress updates"


def test_a_viewer_has_no_upload_page_and_cannot_reach_it(page: Page, site: Site) -> None:
    from playwright.sync_api import expect

    sign_in(page, site.url, VIEWER, site.passwords[VIEWER])
    expect(page.locator(SIDEBAR)).to_contain_text("(viewer)")
    assert nav_link(page, "Upload").count() == 0, "a viewer is offered the Upload page"
    assert page.locator(NAV_LINK).count() > 0, "the viewer should still have the dashboard pages"
    screenshot(page, "flow-viewer-1-signed-in")

    # Asking for /upload within the signed-in session (as the browser's back and forward buttons do): the
    # viewer's navigation has no such page, so Streamlit runs the default page (Home, at "/").
    before = runs_so_far(page)
    page.evaluate("() => { history.pushState({}, '', '/upload'); dispatchEvent(new PopStateEvent('popstate')); }")
    wait_for_run(page, before)
    screenshot(page, "flow-viewer-2-direct-upload")
    assert page.locator(FILE_INPUT).count() == 0, "a viewer reached a file uploader"
    expect(page.locator(f"{MAIN} h1").first).not_to_have_text(_page("Upload").heading or "Upload")
    assert not page.url.split("?")[0].endswith("/upload"), f"the viewer is still at {page.url}"
    expect(page.locator(SIDEBAR)).to_contain_text(SIGNED_IN)

    # The URL in a new session (a link, a reload): signed out, so only the sign-in form.
    open_page(page, site.url + "/upload")
    expect(sign_in_form(page)).to_be_visible()
    assert page.locator(FILE_INPUT).count() == 0, "the upload page's URL showed a file uploader"
    screenshot(page, "flow-viewer-3-upload-url")


def test_a_wrong_password_is_refused(page: Page, site: Site) -> None:
    from playwright.sync_api import expect

    open_page(page, site.url + "/")
    submit_sign_in(page, WRONG_PASSWORD_FOR, new_password())
    expect(page.locator(ERROR_BOX).first).to_contain_text(re.compile("wrong email or password", re.IGNORECASE))
    screenshot(page, "flow-wrong-password")
    expect(sign_in_form(page)).to_be_visible()
    assert page.locator(NAV_LINK).count() == 0, "a refused sign-in should show no pages"
    expect(page.get_by_text(SIGNED_IN)).to_have_count(0)


def test_a_board_member_builds_the_pack_and_downloads_it(page: Page, site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sign_in(page, site.url, BOARD, site.passwords[BOARD])
    expect(page.locator(SIDEBAR)).to_contain_text("(board)")
    assert nav_link(page, "Upload").count() == 0, "a board member is offered the Upload page"
    click_nav(page, _page("Board report"))
    assert_heading(page, _page("Board report"))
    screenshot(page, "flow-board-1-report-page")
    main = page.locator(MAIN)
    main.get_by_role("button", name=re.compile("Build the pack")).click()
    # Charts are drawn by a second browser on the server: the first build starts it (seconds, not minutes).
    expect(page.locator(SUCCESS_BOX).first).to_contain_text("Built", timeout=120_000)
    success = page.locator(SUCCESS_BOX).first.inner_text()
    assert "with charts" in success, success
    wait_until_drawn(page)  # the past-packs list below the download button, too
    screenshot(page, "flow-board-2-built")
    with page.expect_download() as info:
        main.get_by_role("button", name=re.compile("Download the pack")).click()
    download = info.value
    assert re.fullmatch(r"board-pack_2018-11-01_to_2020-10-31_\d+\.pdf", download.suggested_filename)
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "UNIVERSITY COLLEGE LONDON · BOARD PACK · 1 NOV 2018 – 31 OCT 2020" in " ".join(text.split())
    pages = re.search(r"(\d+) pages", success)
    assert pages is not None
    info_out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Pages:\s+{pages.group(1)}$", info_out, re.M), info_out
    assert re.search(r"^Title:\s+Board pack: University College London", info_out, re.M), info_out
    # The pack is listed among past packs for the next visit.
    expect(main.get_by_text("Past packs")).to_be_visible()
    expect(main.get_by_role("button", name=re.compile(r"Download pack \d+"))).to_be_visible()
