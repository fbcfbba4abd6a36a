"""A lead loads their own evidence log in Debian's Chromium (issue 17): the careers lead signs in, uploads the log
they keep (a title row, then Action ref | Date | Evidence of impact | Type | Pillar(s) | Where it is kept), sees
each column's field and the evidence as it will be stored, corrects one column, confirms, and finds it loaded.

Each step is photographed into `artifacts/screenshots/update-log-*.png`.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    FILE_INPUT,
    MAIN,
    ROOT,
    SUCCESS_BOX,
    DemoSite,
    app_pages,
    assert_no_errors,
    click_nav,
    demo_site,
    runs_so_far,
    screenshot,
    sign_in,
    wait_for_run,
)
from tests.test_browser_flows import TABLES_JS  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser, browser_context, page

LEAD = "careers.lead@demo.ac.uk"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {p.title: p for p in app_pages()}
LOG = [
    ["Career pathways (D2): evidence of impact"],
    [],
    ["Action ref", "Date", "Evidence of impact", "Type", "Pillar(s)", "Where it is kept"],
    ["D2", "3rd March 2020", "Career pathways workshop with the NTDC: 40 technicians", "Workshop", "Career", "Report"],
    ["D2", "12 Feb 2020", "Pathways article in the staff newsletter", "Newsletter article", "Visibility", "Intranet"],
]
REPORT = "https://sharepoint.demo.ac.uk/tc/pathways-workshop.pdf"


def log_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Evidence log"
    for row in LOG:
        ws.append(row)
    ws["F4"].hyperlink = REPORT
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def site(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site("update-logs", tmp_path_factory.mktemp("update-logs"), [LEAD]) as s:
        yield s


@pytest.fixture
def lead_tab(browser_context: BrowserContext, site: DemoSite) -> Iterator[Page]:
    tab = browser_context.new_page()
    sign_in(tab, site.server.url, LEAD, site.passwords[LEAD])
    yield tab
    tab.close()


def evidence_rows(tab: Page, want: int) -> list[dict[str, str]]:
    """The evidence preview's rows, once it shows `want` of them."""
    tab.wait_for_function(f"() => (({TABLES_JS})(['Evidence'])[0] || []).length === {want}", timeout=15_000)
    tables: list[list[dict[str, str]]] = tab.evaluate(TABLES_JS, ["Evidence"])
    return tables[0]


def held_evidence(site: DemoSite) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "tracker", "--db", site.db_url, "show", "evidence", "--format", "json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_lead_loads_their_own_evidence_log(lead_tab: Page, site: DemoSite) -> None:
    from playwright.sync_api import FilePayload, expect

    tab = lead_tab
    held = len(held_evidence(site))
    click_nav(tab, PAGES["Upload"])
    before = runs_so_far(tab)
    tab.locator(FILE_INPUT).set_input_files(files=[FilePayload(name="my log.xlsx", mimeType=XLSX, buffer=log_xlsx())])
    wait_for_run(tab, before)
    main = tab.locator(MAIN)
    expect(main).to_contain_text("3. Check how your file was read")
    expect(main).to_contain_text("Sheet Evidence log, header row 3: read as evidence of impact")
    kind = main.get_by_role("combobox", name="Field for column D", exact=True)
    assert "Kind" in kind.input_value()
    rows = evidence_rows(tab, 2)
    assert [(r["Ref"], r["Date"], r["Kind"], r["Pillars"]) for r in rows] == [
        ("D2", "3 Mar 2020", "Event", "C"),
        ("D2", "12 Feb 2020", "Other", "V"),
    ]
    expect(main).to_contain_text("is not a kind the tracker knows: stored as other")
    assert_no_errors(tab, "the log mapping step")
    screenshot(tab, "update-log-1-as-read")

    # The pillar column is not what the lead meant: ignored, the evidence takes its action's pillars.
    before = runs_so_far(tab)
    main.get_by_role("combobox", name="Field for column E", exact=True).click()
    tab.get_by_role("option", name="Ignore (not read)", exact=True).click()
    wait_for_run(tab, before)
    tab.wait_for_function(f"() => (({TABLES_JS})(['Evidence'])[0] || []).every((r) => r.Pillars === 'R, C, S')")
    assert held_evidence(site).__len__() == held, "the mapping step wrote something before the confirmation"
    screenshot(tab, "update-log-2-column-ignored")

    before = runs_so_far(tab)
    main.get_by_role("button", name=re.compile("Confirm and load")).click()
    wait_for_run(tab, before)
    expect(tab.locator(SUCCESS_BOX)).to_contain_text("Loaded my log.xlsx")
    expect(tab.locator(SUCCESS_BOX)).to_contain_text("2 new evidence items")
    assert_no_errors(tab, "after Confirm and load")
    screenshot(tab, "update-log-3-loaded")
    mine = [e for e in held_evidence(site) if e["added_by"] == LEAD and e["date"] in ("2020-02-12", "2020-03-03")]
    assert sorted((e["date"], e["kind"], "".join(e["pillars"]), e["link"]) for e in mine) == [
        ("2020-02-12", "other", "RCS", "Intranet"),
        ("2020-03-03", "event", "RCS", REPORT),
    ]
