"""Shared by the browser tests (`test_browser.py`, `test_browser_flows.py`): Chromium, Streamlit servers, sign-in.

Debian's `/usr/bin/chromium` driven by Playwright (never Playwright's own browser downloads); without it the
browser tests skip, unless `TRACKER_REQUIRE_BROWSER=1` (CI), in which case they fail. Each server runs
`streamlit run app.py` on a database of its own, on a free port, with its output in `artifacts/logs/`;
screenshots go to `artifacts/screenshots/` (both git-ignored).

The app shows a signed-out visitor only its sign-in page, so every test signs in through the real form first:
`set_passwords` gives the accounts a password generated for the run (`secrets.token_urlsafe`, never a literal)
and `sign_in` fills in the form. Signing in lives in the Streamlit session, which is the tab: opening a URL
(`page.goto`) starts a new session, signed out, so a signed-in test moves through the sidebar instead.

The fixtures here reach a test module through `pytest_plugins = ["tests.browser_util"]`.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 2000}  # Streamlit scrolls inside its own container: a tall viewport instead
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LOGS = ROOT / "artifacts" / "logs"
SERVER_START_TIMEOUT = 60.0
RENDER_TIMEOUT_MS = 30_000

APP_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
CHART = '[data-testid="stPlotlyChart"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_BOX = '[data-testid="stAlertContentError"]'
SUCCESS_BOX = '[data-testid="stAlertContentSuccess"]'
ALERT = '[data-testid="stAlert"]'
METRIC = '[data-testid="stMetric"]'
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
SIGNED_IN = "Signed in as"


# --- the pages, as app.py lists them -------------------------------------------------------------------


@dataclass(frozen=True)
class AppPage:
    name: str  # file stem: pages/<name>.py
    title: str  # the navigation label
    path: str  # URL path: "/" for the default page, else "/<url_path>"
    heading: str | None  # the page's `st.title("...")` when it is a plain literal in the source

    @property
    def source(self) -> Path:
        return ROOT / "pages" / f"{self.name}.py"


def _literal(node: ast.expr | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def page_heading(source: Path) -> str | None:
    """The first `st.title("...")` of a page, read now (pages change under us), if it is a plain string."""
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "title"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "st"
            and node.args
        ):
            value = _literal(node.args[0])
            return value if isinstance(value, str) else None
    return None


def app_pages() -> list[AppPage]:
    """Every page of app.py's `PAGE_SPECS` (file, title, icon, operation), in order, the role-gated ones
    included (an administrator sees them all); Home is "/". The signed-out sign-in page is a function, not a
    file in pages/, so it is not among them."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    specs = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PAGE_SPECS" for t in node.targets)
    )
    pages = []
    for index, (path, title, *_rest) in enumerate(specs):
        name = re.fullmatch(r"pages/(\w+)\.py", path).group(1)  # type: ignore[union-attr]
        path_in_app = "/" if index == 0 else f"/{name}"
        pages.append(AppPage(name, title, path_in_app, page_heading(ROOT / "pages" / f"{name}.py")))
    return pages


# --- Chromium, or a skip -------------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (TRACKER_REQUIRE_BROWSER=1 makes the browser tests mandatory)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _unavailable("Debian's chromium is not installed: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed: pip install -r requirements-dev.txt")
    return CHROMIUM


@contextlib.contextmanager
def launch_chromium(path: Path) -> Iterator[Browser]:
    """Debian's Chromium at `path` through Playwright, with the suite's launch arguments; closed on leaving (the
    `browser` fixture, and bench/bench_browser.py)."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with launch_chromium(chromium) as b:
        yield b


# Counts changes of the app's script state, so a test can wait for the run its click started (before that run
# begins, the previous page still looks finished).
_COUNT_RUNS = """window.__scriptStateChanges = 0;
new MutationObserver((records) => { window.__scriptStateChanges += records.length; }).observe(document, {
  subtree: true, attributes: true, attributeFilter: ['data-test-script-state'],
});"""


def new_context(browser: Browser) -> BrowserContext:
    """A browser context (its own cookies, so its own Streamlit sessions) with the run counter installed."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    context.add_init_script(_COUNT_RUNS)
    return context


@pytest.fixture(scope="module")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for the module, so Streamlit's scripts and styles are fetched and compiled once."""
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    """A fresh tab, so a fresh Streamlit session (signed out)."""
    tab = browser_context.new_page()
    yield tab
    tab.close()


# --- Streamlit servers and their databases -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`streamlit run app.py` on a database of its own, on a free port; output goes to artifacts/logs/."""

    def __init__(self, label: str, db_url: str) -> None:
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
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
        cmd += ["--server.port", str(self.port), "--server.fileWatcherType", "none"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def _log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit ({self.label}) exited with {self.proc.returncode}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        pytest.fail(f"streamlit ({self.label}) not healthy after {timeout:.0f} s:\n{self._log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def init_db(url: str, *, demo: bool) -> subprocess.Popen[bytes]:
    """`python -m tracker init [--demo]` on `url`, started (the caller waits: inits can run side by side).
    Its output, with the demo's generated passwords, is read by nobody: the tests set their own."""
    cmd = [sys.executable, "-m", "tracker", "--db", url, "init", *(["--demo"] if demo else [])]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish_init(label: str, proc: subprocess.Popen[bytes]) -> None:
    out, _ = proc.communicate(timeout=120)
    if proc.returncode != 0:
        pytest.fail(f"python -m tracker init ({label}) failed:\n{out.decode(errors='replace')}")


def new_password() -> str:
    """A password for one test run: generated, never written down anywhere."""
    return secrets.token_urlsafe(16)


def set_passwords(db_url: str, passwords: Mapping[str, str], *, add_role: str | None = None) -> None:
    """Give each email its password (tracker.users, as `users set-password` does), adding the user first with
    `add_role` when given (an empty database has no users)."""
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.users import add_user, set_password

    engine = make_engine(db_url)  # not open_engine's process-wide cache: this engine is closed here
    try:
        with Session(engine) as s:
            for email, password in passwords.items():
                if add_role:
                    add_user(session=s, email=email, role=add_role)
                set_password(session=s, email=email, password=password)
            s.commit()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class DemoSite:
    """A running server on its own copy of the demo data, and the passwords made for this run."""

    server: Server
    db_url: str
    passwords: dict[str, str]


@contextlib.contextmanager
def demo_site(label: str, folder: Path, emails: Iterable[str]) -> Iterator[DemoSite]:
    """`streamlit run app.py` on a fresh demo database in `folder` (the server starts while the data is made);
    each of `emails` gets a password generated for the run. The server stops on leaving."""
    url = f"sqlite:///{folder / 'demo.db'}"
    server = Server(label, url)
    try:
        finish_init(label, init_db(url, demo=True))
        passwords = {email: new_password() for email in emails}
        set_passwords(url, passwords)
        server.wait_ready()
        yield DemoSite(server, url, passwords)
    finally:
        server.stop()


def copy_database(src_url: str, dst_url: str) -> None:
    """A consistent copy of a SQLite database, even while a server has it open (SQLite's backup API)."""
    import sqlite3

    def path(url: str) -> str:
        assert url.startswith("sqlite:///"), url
        return url.removeprefix("sqlite:///")

    with sqlite3.connect(path(src_url)) as src, sqlite3.connect(path(dst_url)) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# --- waiting for Streamlit -----------------------------------------------------------------------------


def open_page(page: Page, url: str) -> None:
    """Go to `url` and wait until the script has run and every element, plotly charts included, is drawn."""
    page.goto(url)
    page.wait_for_selector(APP_DONE, state="attached")
    wait_until_drawn(page)


# `notRunning` comes before the browser has drawn everything: charts and tables are loaded lazily (a
# `stSkeleton` stands in for each until its code arrives), and plotly draws its `.main-svg` after that.
_DRAWN = """([chart]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')) return false;
  return [...document.querySelectorAll(chart)].every((c) => c.querySelector('.main-svg'));
}"""


def wait_until_drawn(page: Page) -> None:
    page.wait_for_function(_DRAWN, arg=[CHART], timeout=RENDER_TIMEOUT_MS)


def runs_so_far(page: Page) -> int:
    """How many script-state changes the tab has seen: take it before an action, then `wait_for_run`."""
    return int(page.evaluate("() => window.__scriptStateChanges"))


_RAN = """([before]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__scriptStateChanges > before && app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def wait_for_run(page: Page, before: int) -> None:
    """Wait until a run has started since `before` (from `runs_so_far`) and finished, then until drawn."""
    page.wait_for_function(_RAN, arg=[before], timeout=RENDER_TIMEOUT_MS)
    wait_until_drawn(page)


# After a click on a sidebar link the previous page still looks finished until the new run shows: wait until the
# URL names the new page and either the script state has changed since the click or (a run so quick that the
# state never visibly left `notRunning`) the heading has, or the query has (the link to the page already shown,
# from a shared link's address: same heading, and its run can be as quick); then until everything is drawn.
_SWITCHED = """([path, changes, heading, search]) => {
  if (location.pathname !== path) return false;
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  return window.__scriptStateChanges > changes || (h1 ? h1.innerText : '') !== heading || location.search !== search;
}"""


def nav_link(tab: Page, title: str) -> Locator:
    """The sidebar link labelled `title` exactly ("Upload" is not "Uploads"; the icon's name is not matched)."""
    return tab.locator(NAV_LINK).filter(has=tab.get_by_text(title, exact=True))


def follow_link(tab: Page, link: Locator, app_page: AppPage) -> None:
    """Click `link` (a sidebar or page link to `app_page`) and wait until that page is drawn."""
    before = tab.evaluate(
        """() => [window.__scriptStateChanges,
                  document.querySelector('[data-testid="stMain"] h1')?.innerText ?? '',
                  location.search]"""
    )
    link.click()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_function(_SWITCHED, arg=[app_page.path, *before])
    except PlaywrightTimeout:
        pytest.fail(f"the link to {app_page.title!r} did not bring up {app_page.path} (at {tab.url})")
    wait_until_drawn(tab)


def click_nav(tab: Page, app_page: AppPage) -> None:
    """Click `app_page`'s sidebar link and wait until that page is drawn."""
    follow_link(tab, nav_link(tab, app_page.title).first, app_page)


def show(tab: Page, base_url: str, app_page: AppPage) -> None:
    """Bring `app_page` up in `tab` through its sidebar link (opening its URL if there is no sidebar link)."""
    if urlsplit(tab.url).path == app_page.path and not urlsplit(tab.url).query:
        wait_until_drawn(tab)
    elif nav_link(tab, app_page.title).first.is_visible():
        click_nav(tab, app_page)
    else:
        open_page(tab, base_url + app_page.path)


# --- signing in ----------------------------------------------------------------------------------------


def sign_in_form(tab: Page) -> Locator:
    return tab.locator(f'{MAIN} [data-testid="stForm"]').filter(has=tab.get_by_label("Email", exact=True))


def page_not_found(tab: Page) -> Locator:
    """Streamlit's "Page not found" dialog: shown when the URL names a page the navigation does not have (to a
    signed-out visitor that is every page but the sign-in page; to a viewer, Upload). It makes the page behind
    it inert until closed."""
    return tab.get_by_role("dialog").filter(has_text="Page not found")


def close_page_not_found(tab: Page) -> bool:
    """Close the "Page not found" dialog if it is open, as a user would; True if it was."""
    dialog = page_not_found(tab)
    if not dialog.count():
        return False
    tab.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    return True


def _fill_and_submit(tab: Page, email: str, password: str) -> int:
    """Fill in the sign-in form `tab` shows and click "Sign in"; returns the run count from before the click."""
    form = sign_in_form(tab)
    form.wait_for(state="visible")
    close_page_not_found(tab)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    before = runs_so_far(tab)
    form.get_by_role("button", name="Sign in", exact=True).click()
    return before


def submit_sign_in(tab: Page, email: str, password: str) -> None:
    """Fill in the sign-in form that `tab` shows and submit it; wait until the run it starts has finished
    (whether it signed in or not: the caller checks which)."""
    wait_for_run(tab, _fill_and_submit(tab, email, password))


@dataclass(frozen=True)
class Login:
    tab: Page
    base_url: str
    email: str
    password: str
    path: str = "/"


def sign_in_all(*logins: Login) -> None:
    """Sign in on several tabs at once: each step is started on every tab before any is waited on, so the servers
    (cold, the first time: a few seconds of imports) work side by side."""
    from playwright.sync_api import expect

    for login in logins:
        login.tab.goto(login.base_url + login.path)
    for login in logins:
        login.tab.wait_for_selector(APP_DONE, state="attached")
        wait_until_drawn(login.tab)
        _fill_and_submit(login.tab, login.email, login.password)
    for login in logins:
        expect(login.tab.locator(SIDEBAR)).to_contain_text(SIGNED_IN, timeout=RENDER_TIMEOUT_MS)
        wait_until_drawn(login.tab)


def sign_in(tab: Page, base_url: str, email: str, password: str, *, path: str = "/") -> None:
    """Open `base_url + path` (a new session, so signed out), sign in through the form and wait until the sidebar
    says who and the page the app lands on is drawn."""
    sign_in_all(Login(tab, base_url, email, password, path))


# --- looking -------------------------------------------------------------------------------------------


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def assert_no_errors(page: Page, where: str) -> None:
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"{where}: exception shown:\n{exceptions.first.inner_text()}"
    tracebacks = page.get_by_text("Traceback")
    assert tracebacks.count() == 0, f"{where}: a traceback is shown:\n{tracebacks.first.inner_text()}"
    errors = page.locator(ERROR_BOX)
    assert errors.count() == 0, f"{where}: error box shown: {errors.first.inner_text()}"


def assert_heading(page: Page, app_page: AppPage) -> None:
    h1 = page.locator(f"{MAIN} h1").first
    assert h1.is_visible(), f"{app_page.path}: no visible h1 (st.title)"
    text = h1.inner_text().strip()
    assert text, f"{app_page.path}: the h1 is empty"
    expected = page_heading(app_page.source)  # read again: the page may have changed since collection
    if expected:
        assert text == expected, f"{app_page.path}: h1 is {text!r}, the page's st.title is {expected!r}"
