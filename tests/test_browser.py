"""Browser tests: every page of the running app in Debian's Chromium, driven by Playwright.

Two Streamlit servers are started once for the module (one on the demo data, one on an empty database) and
one headless Chromium is shared by every test. The app requires sign-in, so each database gets an
administrator with a password generated for the run, and each module-scoped tab signs in through the real
form before visiting pages. Each page is brought up through the sidebar in one tab per database (as a user
moves around; a fresh tab per page costs four times as much), waited on until the script has finished and
every plotly chart is drawn, checked for exception and error blocks, and photographed into
`artifacts/screenshots/` (git-ignored; server output in `artifacts/logs/`) so the pages can be looked at after
a run. A signed-out visitor opening any page's URL gets the sign-in form and nothing of the page; a link with
the as-of date in it keeps the date through sign-in.

The page list is read from `app.py` (every `st.Page("pages/NAME.py", ...)`, the role-gated ones included: an
administrator sees them all), so new or renamed pages are covered without editing this file. Page-specific
content is not asserted here (the AppTest tests do that), only each page's heading.

Needs `/usr/bin/chromium` (`apt-get install chromium`); Playwright's own browser downloads are never used.
Without it these tests skip, unless `TRACKER_REQUIRE_BROWSER=1` (CI), in which case they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    ALERT,
    CHART,
    MAIN,
    METRIC,
    NAV_LINK,
    SIDEBAR,
    SIGNED_IN,
    AppPage,
    Login,
    Server,
    app_pages,
    assert_heading,
    assert_no_errors,
    click_nav,
    copy_database,
    finish_init,
    init_db,
    new_password,
    open_page,
    page_heading,
    page_not_found,
    screenshot,
    set_passwords,
    show,
    sign_in_all,
    sign_in_form,
    submit_sign_in,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser, browser_context, page

PAGES = app_pages()
assert PAGES, "no st.Page('pages/NAME.py', ...) found in app.py"
DEMO_ADMIN = "admin@demo.ac.uk"  # one of the demo's accounts
EMPTY_ADMIN = "admin@empty.example.ac.uk"  # added to the empty database by the test


@dataclass(frozen=True)
class Site:
    """A running server and the administrator who signs in to it."""

    server: Server
    email: str
    password: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def sites(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Site]]:
    """Servers on the demo data, on an empty database, and on a copy of the demo data that nobody opens before
    the fresh-server test. They start while the databases are made (a server reads nothing before its first
    request), side by side: each costs a few seconds on a 2-core machine."""
    tmp = tmp_path_factory.mktemp("browser")
    urls = {label: f"sqlite:///{tmp / label}.db" for label in ("demo", "empty", "fresh")}
    servers: dict[str, Server] = {}
    try:
        for label, url in urls.items():
            servers[label] = Server(label, url)
        inits = {label: init_db(urls[label], demo=label == "demo") for label in ("demo", "empty")}
        for label, proc in inits.items():
            finish_init(label, proc)
        passwords = {"demo": new_password(), "empty": new_password()}
        set_passwords(urls["demo"], {DEMO_ADMIN: passwords["demo"]})
        set_passwords(urls["empty"], {EMPTY_ADMIN: passwords["empty"]}, add_role="admin")
        copy_database(urls["demo"], urls["fresh"])  # the demo administrator's password included
        for server in servers.values():
            server.wait_ready()
        yield {
            "demo": Site(servers["demo"], DEMO_ADMIN, passwords["demo"]),
            "empty": Site(servers["empty"], EMPTY_ADMIN, passwords["empty"]),
            "fresh": Site(servers["fresh"], DEMO_ADMIN, passwords["demo"]),
        }
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="module")
def demo(sites: dict[str, Site]) -> Site:
    return sites["demo"]


@pytest.fixture(scope="module")
def empty(sites: dict[str, Site]) -> Site:
    return sites["empty"]


# One signed-in tab per database, kept for the module: moving between pages through the sidebar, as a user
# does, costs about a second, where opening each page in a new tab (a new session, so signed out, and plotly's
# code loaded again) costs four. Both sign in at once, so the two cold servers warm up side by side.


@pytest.fixture(scope="module")
def _tabs(browser_context: BrowserContext, demo: Site, empty: Site) -> Iterator[dict[str, Page]]:
    tabs = {"demo": browser_context.new_page(), "empty": browser_context.new_page()}
    try:
        sign_in_all(
            Login(tabs["demo"], demo.url, demo.email, demo.password),
            Login(tabs["empty"], empty.url, empty.email, empty.password),
        )
        yield tabs
    finally:
        for tab in tabs.values():
            tab.close()


# Chromium throttles drawing in a tab that is not in front (a screenshot there waits seconds for a frame).


@pytest.fixture
def demo_tab(_tabs: dict[str, Page]) -> Page:
    _tabs["demo"].bring_to_front()
    return _tabs["demo"]


@pytest.fixture
def empty_tab(_tabs: dict[str, Page]) -> Page:
    _tabs["empty"].bring_to_front()
    return _tabs["empty"]


@pytest.fixture(scope="module")
def _signed_out_tab(browser_context: BrowserContext) -> Iterator[Page]:
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture
def signed_out_tab(_signed_out_tab: Page) -> Page:
    _signed_out_tab.bring_to_front()
    return _signed_out_tab


def _ids(pages: list[AppPage]) -> list[str]:
    return [p.name for p in pages]


def _has_empty_state(app_page: AppPage) -> bool:
    """Pages that stop with an info box when there is nothing to show (pages/common.py's `empty_state`)."""
    return "empty_state(" in app_page.source.read_text(encoding="utf-8")


# --- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_page", PAGES, ids=_ids(PAGES))
def test_page_renders_on_demo_data(demo_tab: Page, demo: Site, app_page: AppPage) -> None:
    show(demo_tab, demo.url, app_page)
    screenshot(demo_tab, app_page.name)
    assert_no_errors(demo_tab, app_page.path)
    assert_heading(demo_tab, app_page)


@pytest.mark.parametrize("app_page", PAGES, ids=_ids(PAGES))
def test_page_shows_empty_state_on_empty_database(empty_tab: Page, empty: Site, app_page: AppPage) -> None:
    show(empty_tab, empty.url, app_page)
    screenshot(empty_tab, f"empty-{app_page.name}")
    assert_no_errors(empty_tab, f"{app_page.path} (empty database)")
    assert_heading(empty_tab, app_page)
    if _has_empty_state(app_page):
        alerts = empty_tab.locator(f"{MAIN} {ALERT}")
        assert alerts.count() > 0, f"{app_page.path}: an empty database should show what to do (an info box)"


def test_sidebar_navigation_opens_the_action_plan(demo_tab: Page, demo: Site) -> None:
    from playwright.sync_api import expect

    home = next(p for p in PAGES if p.path == "/")
    target = next((p for p in PAGES if p.title == "Action plan"), None)
    assert target is not None, "app.py has no page titled 'Action plan'"
    show(demo_tab, demo.url, home)
    click_nav(demo_tab, target)
    expect(demo_tab).to_have_url(re.compile(re.escape(target.path) + r"(\?.*)?$"))
    expect(demo_tab.locator(f"{MAIN} h1").first).to_have_text(page_heading(target.source) or target.title)
    assert_no_errors(demo_tab, f"{target.path} (after navigation)")


@pytest.mark.parametrize("app_page", PAGES, ids=_ids(PAGES))
def test_a_signed_out_visitor_gets_only_the_sign_in_form(signed_out_tab: Page, demo: Site, app_page: AppPage) -> None:
    """Every page's URL, opened without signing in: the sign-in form, and nothing of the page."""
    from playwright.sync_api import expect

    tab = signed_out_tab
    open_page(tab, demo.url + app_page.path)
    expect(sign_in_form(tab)).to_be_visible()
    assert_no_errors(tab, f"{app_page.path} (signed out)")
    assert tab.locator(METRIC).count() == 0, f"{app_page.path}: a metric is shown to a signed-out visitor"
    assert tab.locator(CHART).count() == 0, f"{app_page.path}: a chart is shown to a signed-out visitor"
    assert tab.locator(f'{MAIN} [data-testid="stDataFrame"]').count() == 0, f"{app_page.path}: a table is shown"
    assert tab.locator(NAV_LINK).count() == 0, f"{app_page.path}: the navigation is shown to a signed-out visitor"
    expect(tab.locator(SIDEBAR)).to_have_count(0)
    heading = page_heading(app_page.source)
    home_heading = page_heading(next(p for p in PAGES if p.path == "/").source)
    if heading and heading != home_heading:  # the sign-in page has the app's name as its heading, as Home does
        expect(tab.locator(MAIN)).not_to_contain_text(heading)
    if app_page.name == "workforce":
        screenshot(tab, "signed-out-workforce")


def test_a_shared_link_is_the_first_request_on_a_fresh_server(page: Page, sites: dict[str, Site]) -> None:
    """Streamlit starts in its legacy pages-folder mode: a link to a page, the first request on a fresh server,
    must still go through app.py, so to the sign-in page (not run the page file unguarded); after signing in
    the navigation is app.py's and the link's as-of date (in its query, which survives sign-in) is shown."""
    from playwright.sync_api import expect

    fresh = sites["fresh"]
    link = "/action_plan?theme=Value&as_of=2019-06-30"
    open_page(page, fresh.url + link)
    expect(sign_in_form(page)).to_be_visible()
    expect(page.locator(MAIN)).not_to_contain_text("Showing")  # nothing of the action plan
    assert page.locator(NAV_LINK).count() == 0, "a signed-out visitor should see no page list"
    assert_no_errors(page, f"{link} on a fresh server, signed out")
    screenshot(page, "fresh-link-signed-out")

    submit_sign_in(page, fresh.email, fresh.password)
    expect(page.locator(SIDEBAR)).to_contain_text(SIGNED_IN)
    # Home's first run on a cold server imports plotly and pandas; a click that starts another run before it has
    # finished has been seen to fail with "partially initialized module 'pandas'" (two runs importing at once).
    wait_until_drawn(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav).to_contain_text("Workforce & gender")  # app.py's titles, not file names
    expect(nav).not_to_contain_text("common")
    field = page.locator(f'{SIDEBAR} [data-testid="stDateInputField"]').first
    expect(field).to_have_text(re.compile(r"^\W*30\W*06\W*2019\W*$"))  # DD/MM/YYYY, as the widget shows it
    assert "as_of=2019-06-30" in page.url, f"the as-of date should stay in the URL (at {page.url})"
    assert_no_errors(page, "the fresh server after sign-in")
    target = next(p for p in PAGES if p.title == "Action plan")
    # The rerun after sign-in opened the link's page itself (no click: a click on the page already shown can land
    # in the run that writes the query back, and be dropped).
    assert urlsplit(page.url).path == target.path, page.url
    assert_heading(page, target)
    assert_no_errors(page, "/action_plan on a fresh server")
    screenshot(page, "fresh-link-signed-in")


# A shared link works for a colleague who is not signed in yet: app.py answers every page's address with the
# sign-in form while signed out, so the link's page (and query) open after sign-in.


def test_a_page_link_opened_signed_out_shows_no_page_not_found_dialog(signed_out_tab: Page, demo: Site) -> None:
    from playwright.sync_api import expect

    open_page(signed_out_tab, demo.url + "/action_plan?theme=Value")
    expect(sign_in_form(signed_out_tab)).to_be_visible()
    screenshot(signed_out_tab, "signed-out-link")
    assert page_not_found(signed_out_tab).count() == 0, "'Page not found' is shown over the sign-in form"


def test_a_shared_link_opens_its_page_after_sign_in(page: Page, demo: Site) -> None:
    from playwright.sync_api import expect

    open_page(page, demo.url + "/action_plan?theme=Value")
    submit_sign_in(page, demo.email, demo.password)
    expect(page.locator(SIDEBAR)).to_contain_text(SIGNED_IN)
    screenshot(page, "link-after-sign-in")
    assert re.search(r"/action_plan\?", page.url), f"the link's page was not opened: at {page.url}"
    expect(page.locator(MAIN)).to_contain_text("Showing 2 of 6 actions", timeout=2000)  # the link's filter
