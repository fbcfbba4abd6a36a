"""An update round walked in Debian's Chromium, as the coordinator and a lead would (issue 15, point 5).

The administrator opens a round on the Update rounds page (name and dates typed into the form); the lead who owns
D2 signs in, sees on Home that the round waits on D2, downloads the template pre-filled for exactly D2 (read back
with openpyxl), fills it in as they would in Excel and uploads it; the administrator, back on the page, sees the
lead and D2 reported. Screenshots go to `artifacts/screenshots/rounds-*.png`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    FILE_INPUT,
    MAIN,
    SUCCESS_BOX,
    DemoSite,
    app_pages,
    assert_no_errors,
    click_nav,
    demo_site,
    new_context,
    runs_so_far,
    screenshot,
    sign_in,
    wait_for_run,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser

ADMIN = "admin@demo.ac.uk"
LEAD = "careers.lead@demo.ac.uk"  # owns D2
ROUND = "December 2020 board"
# After the demo plan's last quarterly round and within its reach (updates far outside the plan are refused); so
# long ago that the round is overdue, and says so.
START, DUE = date(2020, 12, 1), date(2020, 12, 18)
REPORTED_ON = date(2020, 12, 10)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {p.title: p for p in app_pages()}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site("rounds", tmp_path_factory.mktemp("rounds"), [ADMIN, LEAD]) as s:
        yield s


def run_and_wait(tab: Page, action: object) -> None:
    before = runs_so_far(tab)
    action()  # type: ignore[operator]
    wait_for_run(tab, before)
    wait_until_drawn(tab)


def type_date(tab: Page, label: str, value: date) -> None:
    """Type a date into a form's date field as a person would: each part (day, month, year) in turn."""
    group = tab.locator(MAIN).get_by_role("group", name=label, exact=True)
    for part, text in (("day", f"{value:%d}"), ("month", f"{value:%m}"), ("year", f"{value:%Y}")):
        group.get_by_role("spinbutton", name=f"{part}, {label}").click()
        tab.keyboard.type(text)


def test_admin_opens_a_round_a_lead_reports_and_the_admin_sees_it(browser: Browser, site: DemoSite) -> None:
    from playwright.sync_api import expect

    admin_ctx, lead_ctx = new_context(browser), new_context(browser)
    try:
        admin = admin_ctx.new_page()
        sign_in(admin, site.server.url, ADMIN, site.passwords[ADMIN])
        click_nav(admin, PAGES["Update rounds"])
        main = admin.locator(MAIN)
        main.get_by_text("Open a round", exact=True).first.click()  # an expander: no script run
        form = main.locator('[data-testid="stForm"]')
        form.get_by_label("Name", exact=True).fill(ROUND)
        type_date(admin, "From", START)
        type_date(admin, "Due", DUE)
        fields = form.locator('[data-testid="stDateInputField"]')
        for i, d in enumerate((START, DUE)):  # DD/MM/YYYY, as the widget shows it
            expect(fields.nth(i)).to_have_text(re.compile(rf"^\W*{d:%d}\W*{d:%m}\W*{d:%Y}\W*$"))
        run_and_wait(admin, lambda: form.get_by_role("button", name="Open the round").click())
        expect(admin.locator(SUCCESS_BOX)).to_contain_text(f"Opened round {ROUND}")
        expect(main).to_contain_text("0 of 3 actions reported; outstanding, overdue since 18 Dec 2020: D2, D3 and V2.")
        assert_no_errors(admin, "the round just opened")
        screenshot(admin, "rounds-1-opened")

        lead = lead_ctx.new_page()
        sign_in(lead, site.server.url, LEAD, site.passwords[LEAD])
        expect(lead.locator(MAIN)).to_contain_text(f"Round {ROUND}: your action overdue, was due by 18 Dec 2020 (D2).")
        screenshot(lead, "rounds-2-lead-home")
        with lead.expect_download() as got:
            lead.locator(MAIN).get_by_role("button", name="Download your template for D2").click()
        data = Path(got.value.path()).read_bytes()
        wb = openpyxl.load_workbook(io.BytesIO(data))
        progress = wb["Progress"]
        assert [r[0] for r in progress.iter_rows(min_row=2, values_only=True) if r[0]] == ["D2"]
        # Filled in as in Excel: the date, the status word from the drop-down, the percent and a note.
        progress["B2"], progress["C2"], progress["D2"] = REPORTED_ON, "On track", 85
        progress["E2"] = "Pathways agreed with the faculty managers."
        buf = io.BytesIO()
        wb.save(buf)

        from playwright.sync_api import FilePayload

        click_nav(lead, PAGES["Upload"])
        before = runs_so_far(lead)
        lead.locator(FILE_INPUT).set_input_files(
            files=[FilePayload(name="d2.xlsx", mimeType=XLSX, buffer=buf.getvalue())]
        )
        wait_for_run(lead, before)
        confirm = lead.locator(MAIN).get_by_role("button", name=re.compile("Confirm and load"))
        expect(confirm).to_be_enabled()
        run_and_wait(lead, confirm.click)
        expect(lead.locator(SUCCESS_BOX).filter(has_text="Loaded d2.xlsx")).to_have_count(1)
        # The Upload page says so at once: the round now has what it waited for from this lead.
        expect(lead.locator(SUCCESS_BOX).filter(has_text=f"Round {ROUND}: your action reported")).to_have_count(1)
        click_nav(lead, PAGES["Home"])
        expect(lead.locator(MAIN)).to_contain_text(f"Round {ROUND}: your action reported. Thank you.")
        screenshot(lead, "rounds-3-lead-reported")

        click_nav(admin, PAGES["Home"])
        click_nav(admin, PAGES["Update rounds"])
        expect(main).to_contain_text("1 of 3 actions reported; outstanding, overdue since 18 Dec 2020: D3 and V2.")
        by_lead = main.locator('[data-testid="stTable"]').first
        expect(by_lead.locator("tr").filter(has_text=LEAD)).to_contain_text("✔ All reported")
        by_action = main.locator('[data-testid="stTable"]').nth(1)
        expect(by_action.locator("tr").filter(has_text="D2").first).to_contain_text(
            f"✔ Reported {REPORTED_ON.day} {REPORTED_ON:%b %Y}"
        )
        assert_no_errors(admin, "the round after the lead's upload")
        screenshot(admin, "rounds-4-admin-sees-reported")
    finally:
        admin_ctx.close()
        lead_ctx.close()
