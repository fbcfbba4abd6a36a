"""The plan mapping step in Debian's Chromium (issue 12, point 5): an administrator uploads a plan, changes one
column's field, sees the preview of the actions change, confirms, and sees the plan loaded.

One Streamlit server on an empty database with one administrator (password generated for the run). Each step is
photographed into `artifacts/screenshots/mapping-*.png`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    FILE_INPUT,
    MAIN,
    ROOT,
    SUCCESS_BOX,
    Server,
    app_pages,
    assert_heading,
    assert_no_errors,
    click_nav,
    finish_init,
    init_db,
    new_password,
    runs_so_far,
    screenshot,
    set_passwords,
    sign_in,
    wait_for_run,
)
from tests.test_browser_flows import TABLES_JS  # noqa: E402
from tests.test_upload_mapping import ACTIONS, HEADER  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser, browser_context, page

ADMIN = "plans.admin@example.ac.uk"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {p.title: p for p in app_pages()}


def plan_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Action plan"
    for row in [["Technician Commitment action plan, January 2021 – December 2022"], [None], HEADER, *ACTIONS]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class Site:
    server: Server
    password: str


@pytest.fixture(scope="module")
def site(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on an empty database with one administrator."""
    url = f"sqlite:///{tmp_path_factory.mktemp('mapping') / 'empty.db'}"
    server = Server("mapping", url)
    try:
        finish_init("mapping", init_db(url, demo=False))
        password = new_password()
        set_passwords(url, {ADMIN: password}, add_role="admin")
        server.wait_ready()
        yield Site(server, password)
    finally:
        server.stop()


@pytest.fixture
def admin_tab(browser_context: BrowserContext, site: Site) -> Iterator[Page]:
    tab = browser_context.new_page()
    sign_in(tab, site.server.url, ADMIN, site.password)
    yield tab
    tab.close()


def preview_pillars(tab: Page, want: dict[str, str]) -> dict[str, str]:
    """{ref: pillars} from the preview of the actions once it shows `want` (the grid redraws its cells a moment
    after the run), or what it shows after the wait."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def shown() -> dict[str, str]:
        tables: list[list[dict[str, str]]] = tab.evaluate(TABLES_JS, ["Pillars"])
        return {r["Ref"]: r["Pillars"] for r in tables[0]} if tables else {}

    with contextlib.suppress(PlaywrightTimeout):
        tab.wait_for_function(
            f"""() => {{
              const want = {json.dumps(want)};
              const got = ({TABLES_JS})(['Pillars'])[0] || [];
              return got.length === Object.keys(want).length && got.every((r) => want[r.Ref] === r.Pillars);
            }}""",
            timeout=10_000,
        )
    return shown()


def field_select(tab: Page, letter: str) -> Any:
    """The field select of column `letter`, by its accessible name."""
    return tab.locator(MAIN).get_by_role("combobox", name=f"Field for column {letter}", exact=True)


def field_value(tab: Page, letter: str) -> str:
    """What the field select of column `letter` shows chosen (the combobox's value)."""
    return str(field_select(tab, letter).input_value())


def held_actions(site: Site) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "tracker", "--db", site.server.db_url, "show", "actions", "--format", "json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_an_admin_maps_a_column_sees_the_preview_change_and_loads(admin_tab: Page, site: Site) -> None:
    from playwright.sync_api import FilePayload, expect

    tab = admin_tab
    click_nav(tab, PAGES["Upload"])
    assert_heading(tab, PAGES["Upload"])
    before = runs_so_far(tab)
    tab.locator(FILE_INPUT).set_input_files(files=[FilePayload(name="plan.xlsx", mimeType=XLSX, buffer=plan_xlsx())])
    wait_for_run(tab, before)
    main = tab.locator(MAIN)
    expect(main).to_contain_text("3. Check how the plan was read")
    expect(main).to_contain_text("Read from sheet Action plan, header row 3")
    as_read = {"U1": "V, C", "D1": "V, C, S", "V1": "R"}
    assert preview_pillars(tab, as_read) == as_read
    expect(main).to_contain_text("H · C")  # the column's header beside its select
    column_c = field_select(tab, "H")
    expect(column_c).to_have_count(1)
    assert "C (Career development)" in field_value(tab, "H")
    assert_no_errors(tab, "the mapping step")
    screenshot(tab, "mapping-1-as-read")

    before = runs_so_far(tab)
    column_c.click()
    tab.get_by_role("option", name="Ignore (not read)", exact=True).click()
    wait_for_run(tab, before)
    assert "Ignore (not read)" in field_value(tab, "H")
    without_c = {"U1": "V", "D1": "V, S", "V1": "R"}
    assert preview_pillars(tab, without_c) == without_c
    assert_no_errors(tab, "the mapping step after a change")
    assert held_actions(site) == [], "the mapping step wrote something before the confirmation"
    screenshot(tab, "mapping-2-column-ignored")

    before = runs_so_far(tab)
    main.get_by_role("button", name=re.compile("Confirm and load")).click()
    wait_for_run(tab, before)
    expect(tab.locator(SUCCESS_BOX)).to_contain_text("Loaded plan.xlsx")
    expect(tab.locator(SUCCESS_BOX)).to_contain_text("3 actions added")
    assert_no_errors(tab, "after Confirm and load")
    screenshot(tab, "mapping-3-loaded")
    held = held_actions(site)
    assert [(a["ref"], "".join(a["pillars"])) for a in held] == [("U1", "V"), ("D1", "VS"), ("V1", "R")]


def test_an_admin_loads_a_real_published_plan_as_read(admin_tab: Page, site: Site) -> None:
    """Cardiff's 2020-23 plan as published: a heading merged over two columns, themes in words, timescales in words,
    an action merged over two rows. The step shows what was read and every guess; confirming stores it."""
    from playwright.sync_api import FilePayload, expect

    from tests.data.plans.make_plans import HERE

    tab = admin_tab
    click_nav(tab, PAGES["Upload"])
    before = runs_so_far(tab)
    data = (HERE / "cardiff_2020_23.xlsx").read_bytes()
    tab.locator(FILE_INPUT).set_input_files(files=[FilePayload(name="cardiff.xlsx", mimeType=XLSX, buffer=data)])
    wait_for_run(tab, before)
    main = tab.locator(MAIN)
    expect(main).to_contain_text("3. Check how the plan was read")
    expect(main).to_contain_text("1 August 2020 – 31 July 2023")
    want = {"V1": "V, S", "E1": "", "E2": "", "Vi1": "V, C, S"}
    assert preview_pillars(tab, want) == want
    main.get_by_text(re.compile(r"How the file was read")).click()
    expect(main).to_contain_text("merged with the action above")
    assert_no_errors(tab, "a real plan in the mapping step")
    screenshot(tab, "mapping-4-real-plan")
    before = runs_so_far(tab)
    main.get_by_role("button", name=re.compile("Confirm and load")).click()
    wait_for_run(tab, before)
    expect(tab.locator(SUCCESS_BOX)).to_contain_text("4 actions added")
