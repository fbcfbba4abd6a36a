"""The Action plan page's table in Debian's Chromium (issue 14, point 2): where each action stands is on screen.

At 1,280 and 1,400 pixels wide with the sidebar open, the columns that say where an action stands (Ref, Status,
% complete, Due, Overdue, Latest note) are in view without scrolling, ahead of the plan's long texts; selecting a
row opens that action in the detail below. One Streamlit server on the demo data; a viewer signs in.

Streamlit's st.dataframe draws its cells on a canvas (glide-data-grid). Beside it the grid keeps an accessible
table for screen readers holding the header cells of the columns in its visible region only (a column scrolled
out of view, or past the right edge, is not in it): so a column whose header is there, followed by another
whose header is there too, ends inside the grid. That, the grid's box within the window and its horizontal scroll
at zero, is what "in view" is tested as. Screenshots: `artifacts/screenshots/action-table-*.png`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    MAIN,
    SIDEBAR,
    AppPage,
    Server,
    app_pages,
    assert_no_errors,
    click_nav,
    demo_site,
    runs_so_far,
    screenshot,
    sign_in,
    wait_for_run,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Locator, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser, browser_context, page

VIEWER = "viewer@demo.ac.uk"
WHERE_IT_STANDS = ["Ref", "Status", "% complete", "Due", "Overdue", "Latest note"]
GRID = f'{MAIN} [data-testid="stDataFrame"]'
HEADER = '[role="columnheader"]'
HEADER_ROW_PX = 36  # Streamlit's grid header; rows below it are the page's ROW_PX tall


def _page(title: str) -> AppPage:
    pages = {p.title: p for p in app_pages()}
    assert title in pages, f"app.py has no page titled {title!r}"
    return pages[title]


@dataclass(frozen=True)
class Site:
    server: Server
    password: str


@pytest.fixture(scope="module")
def site(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site("action-table", tmp_path_factory.mktemp("action_table"), [VIEWER]) as demo:
        yield Site(demo.server, demo.passwords[VIEWER])


def _open_action_plan(tab: Page, site: Site, width: int) -> None:
    tab.set_viewport_size({"width": width, "height": 1600})
    sign_in(tab, site.server.url, VIEWER, site.password)
    click_nav(tab, _page("Action plan"))
    assert_no_errors(tab, f"/action_plan at {width} px")


def _actions_grid(tab: Page) -> Locator:
    """The table of actions: the grid whose headers start with Ref and Status."""
    from playwright.sync_api import expect

    grids = tab.locator(GRID).filter(has=tab.locator(HEADER, has_text="Latest note"))
    # The grid fills its accessible table a moment after the page is drawn.
    expect(grids, "no single table of actions with a 'Latest note' column").to_have_count(1)
    return grids.first


def _headers(grid: Locator) -> list[tuple[int, str]]:
    """(aria-colindex, text) of the header cells in the grid's accessible table: the columns in its visible region."""
    cells = grid.locator(HEADER)
    return sorted(
        (int(cells.nth(i).get_attribute("aria-colindex") or 0), cells.nth(i).inner_text().strip())
        for i in range(cells.count())
    )


@pytest.mark.parametrize("width", [1280, 1400])
def test_where_each_action_stands_is_in_view(browser_context: BrowserContext, site: Site, width: int) -> None:
    tab = browser_context.new_page()
    try:
        _open_action_plan(tab, site, width)
        sidebar = tab.locator(SIDEBAR).bounding_box()
        assert sidebar and sidebar["width"] > 200, "the sidebar is not open"
        grid = _actions_grid(tab)
        grid.scroll_into_view_if_needed()
        screenshot(tab, f"action-table-{width}")
        box = grid.bounding_box()
        assert box is not None
        assert box["x"] >= sidebar["x"] + sidebar["width"], "the table sits under the sidebar"
        assert box["x"] + box["width"] <= width, f"the table's right edge is at {box['x'] + box['width']} px"
        scrolled = grid.evaluate("g => Math.max(0, ...[...g.querySelectorAll('.dvn-scroller')].map(s => s.scrollLeft))")
        assert scrolled == 0, "the table opened scrolled sideways"

        shown = _headers(grid)
        names = [name for _, name in shown]
        assert names[: len(WHERE_IT_STANDS)] == WHERE_IT_STANDS, f"the first columns in view are {names}"
        # The glide grid lists a column in its accessible table when any of it is in view: one more column listed
        # after the last of these means the last of these ends inside the grid.
        assert len(names) > len(WHERE_IT_STANDS), f"'Latest note' may run past the right edge: in view {names}"
        assert [i for i, _ in shown[: len(WHERE_IT_STANDS)]] == list(range(1, len(WHERE_IT_STANDS) + 1))
    finally:
        tab.close()


def test_selecting_a_row_opens_that_action(browser_context: BrowserContext, site: Site) -> None:
    tab = browser_context.new_page()
    try:
        _open_action_plan(tab, site, 1280)
        grid = _actions_grid(tab)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None
        row_px = (box["height"] - HEADER_ROW_PX) / 6  # the demo's six actions, all in view
        before = runs_so_far(tab)
        # D2 is the third row; the row-selection box is the grid's first, narrow column.
        tab.mouse.click(box["x"] + 14, box["y"] + HEADER_ROW_PX + row_px * 2.5)
        wait_for_run(tab, before)
        chosen = tab.locator(MAIN).get_by_role("combobox", name="Action", exact=True).input_value()
        assert chosen.startswith("D2 – "), f"the detail's box shows {chosen!r}"
        assert tab.locator(MAIN).get_by_text("D2 · Develop", exact=True).count() == 1, "the detail is not D2's"
        screenshot(tab, "action-table-row-selected")
    finally:
        tab.close()
