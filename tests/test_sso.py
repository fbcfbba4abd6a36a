"""Single sign-on end to end (issue 13, point 8): the app's `[auth]` path against a real OpenID provider, in Chromium.

The provider is npm's `oidc-provider` (tests/oidc/provider.mjs, installed by `npm ci` in tests/oidc), started on a
free 127.0.0.1 port with one client, whose redirect URI is the app's `/oauth2callback`, and four accounts: one whose
email is registered here as an administrator, one whose email is not, one whose email claim is the administrator's
but marked unverified, one whose ID token has no email. The app runs in a working directory of its
own whose `.streamlit/secrets.toml` holds the `[auth]` section an institution would write (and the checkout's
config.toml), on an empty database holding only the registered user, who has no password.

- The registered email signs in through the provider's own page and comes back signed in with its role; the
  Admin page is reachable. Signing out leaves the app and the provider (the next "Sign in" asks for a password).
- The unregistered email comes back to a message telling them to ask an administrator, with nothing else of the
  app; signing out leaves the app and the provider too.
- The unverified email (the administrator's address) and the token without an email are both refused with a reason
  (the provider must send a verified email), never signed in, and never offered a "Sign in" that only loops.

Without Node.js (or without `npm ci` in tests/oidc) these tests skip, unless TRACKER_REQUIRE_BROWSER=1 (CI).
Screenshots: `artifacts/screenshots/sso-*.png`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    LOGS,
    MAIN,
    NAV_LINK,
    ROOT,
    SIDEBAR,
    SIGNED_IN,
    Server,
    _free_port,
    _unavailable,
    app_pages,
    assert_heading,
    assert_no_errors,
    click_nav,
    finish_init,
    init_db,
    new_context,
    new_password,
    screenshot,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser

OIDC_DIR = ROOT / "tests" / "oidc"
REGISTERED = "sso.admin@example.ac.uk"
UNREGISTERED = "stranger@example.ac.uk"
# An account at the provider whose email claim is the administrator's address, marked unverified (providers that let
# people type in an address say so with email_verified false): it must not sign in as the administrator.
IMPOSTOR = "impostor"
NO_EMAIL = "no.email"  # an account whose ID token carries no email claim
PROVIDER_START_TIMEOUT = 30.0
ADMIN = next(p for p in app_pages() if p.name == "admin")
ASK_AN_ADMINISTRATOR = "ask an administrator"


# --- the OpenID provider -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    sub: str
    login: str  # what is typed on the provider's sign-in page
    email: str | None  # the ID token's email claim; None: no email claim at all
    name: str
    password: str
    email_verified: bool = True


class OpenIDProvider:
    """tests/oidc/provider.mjs on a free port; its output goes to artifacts/logs/oidc-provider.log."""

    def __init__(self, node: str, *, client_id: str, client_secret: str, redirect_uri: str, accounts: list[Account]):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / "oidc-provider.log"
        config = {
            "port": 0,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "accounts": [a.__dict__ for a in accounts],
        }
        # The configuration (with its passwords) goes in the environment, not on a command line others can read.
        env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)}
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [node, "provider.mjs"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        self.issuer = self._wait_ready()

    def _wait_ready(self) -> str:
        # The script prints `ready <issuer>` once listening; read it on a thread so a hung start times out.
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(PROVIDER_START_TIMEOUT)
        found = re.fullmatch(r"ready (http://127\.0\.0\.1:\d+)\s*", line[0]) if line else None
        if not found:
            self.stop()
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"the OpenID provider did not start (said {line!r}):\n{log[-3000:]}")
        return found.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _unavailable("Node.js is not installed (the OpenID provider runs on it): apt-get install nodejs npm")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        _unavailable("the test OpenID provider is not installed: cd tests/oidc && npm ci")
    return str(found)


# --- the app, with single sign-on ----------------------------------------------------------------------


class SSOServer(Server):
    """`streamlit run /path/to/app.py` on `port`, in `workdir` (its .streamlit/ holds secrets.toml with [auth])
    and with HOME there too, so no secrets.toml of the machine's user is read."""

    def __init__(self, label: str, db_url: str, workdir: Path, port: int) -> None:
        self.label = label
        self.db_url = db_url
        self.port = port
        self.url = f"http://localhost:{port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"streamlit-{label}.log"
        self._log = self.log_path.open("wb")
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": db_url,
            "HOME": str(workdir),
            "PYTHONPATH": str(ROOT),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
        cmd += ["--server.port", str(port), "--server.fileWatcherType", "none"]
        self.proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT)


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def add_sso_admin(db_url: str, email: str) -> None:
    """Register `email` as an administrator with no password: single sign-on is their only way in."""
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.users import add_user

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            add_user(session=s, email=email, role="admin", name="SSO Admin")
            s.commit()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Site:
    app: SSOServer
    provider: OpenIDProvider
    accounts: dict[str, Account]

    @property
    def url(self) -> str:
        return self.app.url


@pytest.fixture(scope="module")
def site(chromium: Path, node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("sso")
    db_url = f"sqlite:///{work / 'tracker.db'}"
    init = init_db(db_url, demo=False)
    port = _free_port()
    redirect_uri = f"http://localhost:{port}/oauth2callback"  # Streamlit's callback path
    client_id, client_secret = "tracker-test", secrets.token_urlsafe(24)
    accounts = {
        a.login: a
        for a in [
            Account("u0", REGISTERED, REGISTERED, "SSO Admin", new_password()),
            Account("u1", UNREGISTERED, UNREGISTERED, "A Stranger", new_password()),
            Account("u2", IMPOSTOR, REGISTERED, "An Impostor", new_password(), email_verified=False),
            Account("u3", NO_EMAIL, None, "No Email", new_password()),
        ]
    }
    provider = OpenIDProvider(
        node,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        accounts=list(accounts.values()),
    )
    app: SSOServer | None = None
    try:
        streamlit_dir = work / ".streamlit"
        streamlit_dir.mkdir()
        shutil.copy(ROOT / ".streamlit" / "config.toml", streamlit_dir / "config.toml")
        # What an institution writes (README, "Sign-in, roles and the audit log"): Streamlit's [auth] settings.
        (streamlit_dir / "secrets.toml").write_text(
            "[auth]\n"
            f"redirect_uri = {_toml(redirect_uri)}\n"
            f"cookie_secret = {_toml(secrets.token_urlsafe(32))}\n"
            f"client_id = {_toml(client_id)}\n"
            f"client_secret = {_toml(client_secret)}\n"
            f"server_metadata_url = {_toml(provider.issuer + '/.well-known/openid-configuration')}\n",
            encoding="utf-8",
        )
        finish_init("sso", init)
        add_sso_admin(db_url, REGISTERED)
        app = SSOServer("sso", db_url, work, port)
        app.wait_ready()
        yield Site(app, provider, accounts)
    finally:
        if app is not None:
            app.stop()
        provider.stop()


@pytest.fixture(scope="module")
def _admin_tab(browser: Browser) -> Iterator[Page]:
    """The registered user's tab, in a context (cookies) of its own, kept from signing in to signing out."""
    context: BrowserContext = new_context(browser)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def fresh_tab(browser: Browser) -> Iterator[Page]:
    """A tab in a context of its own: no cookie of the app's or the provider's from another test."""
    context: BrowserContext = new_context(browser)
    tab = context.new_page()
    yield tab
    context.close()


# --- steps ---------------------------------------------------------------------------------------------


def wait_for_app(tab: Page, site: Site) -> None:
    """Wait until `tab` is back on the app (after a trip to the provider) and the page is drawn."""
    tab.wait_for_url(f"{site.url}/**")
    wait_until_drawn(tab)


def open_sign_in_page(tab: Page, site: Site) -> None:
    tab.goto(site.url)
    wait_until_drawn(tab)


def click_sign_in(tab: Page, site: Site) -> None:
    """Click the app's "Sign in" and wait for the provider's sign-in page."""
    tab.locator(MAIN).get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{site.provider.issuer}/interaction/**")


def sign_in_at_provider(tab: Page, site: Site, login: str) -> None:
    """Sign in on the provider's own page and wait until the app has drawn the page it lands on."""
    tab.get_by_label("Email or username").fill(login)
    tab.get_by_label("Password").fill(site.accounts[login].password)
    tab.get_by_role("button", name="Continue").click()
    wait_for_app(tab, site)


def sign_out_at_provider(tab: Page, site: Site) -> None:
    """Confirm on the provider's sign-out page, and wait until back on the app."""
    tab.wait_for_url(f"{site.provider.issuer}/session/end**")
    tab.get_by_role("button", name="Yes, sign me out").click()
    wait_for_app(tab, site)


def assert_signed_out(tab: Page, site: Site, where: str) -> None:
    """The app's single sign-on page and nothing else: no sidebar, no pages, no message about anyone."""
    assert tab.locator(MAIN).get_by_role("button", name="Sign in").is_visible(), f"{where}: no Sign in button"
    assert tab.locator(SIDEBAR).count() == 0 or SIGNED_IN not in tab.locator(SIDEBAR).inner_text(), where
    assert tab.locator(NAV_LINK).count() == 0, f"{where}: page links shown to someone signed out"
    assert ASK_AN_ADMINISTRATOR not in tab.locator(MAIN).inner_text(), f"{where}: still names someone"
    assert_no_errors(tab, where)


def assert_provider_asks_again(tab: Page, site: Site) -> None:
    """A new "Sign in" reaches the provider's password page: the provider's own session has ended too."""
    click_sign_in(tab, site)
    assert tab.get_by_label("Password").is_visible(), "the provider did not ask for a password again"
    open_sign_in_page(tab, site)


# --- the tests -----------------------------------------------------------------------------------------


def test_a_registered_email_signs_in_through_the_provider_with_its_role(_admin_tab: Page, site: Site) -> None:
    tab = _admin_tab
    open_sign_in_page(tab, site)
    main = tab.locator(MAIN)
    assert main.get_by_role("button", name="Sign in").is_visible()
    assert main.get_by_label("Password").count() == 0, "single sign-on is on: no local password form"
    screenshot(tab, "sso-1-sign-in-page")

    click_sign_in(tab, site)
    screenshot(tab, "sso-2-provider-sign-in")
    sign_in_at_provider(tab, site, REGISTERED)

    sidebar = tab.locator(SIDEBAR)
    assert SIGNED_IN in sidebar.inner_text(), f"not signed in after the provider: {main.inner_text()[:500]}"
    assert "SSO Admin" in sidebar.inner_text() and "(admin)" in sidebar.inner_text(), sidebar.inner_text()
    assert_no_errors(tab, "signed in through single sign-on")
    screenshot(tab, "sso-3-signed-in")

    click_nav(tab, ADMIN)
    assert_heading(tab, ADMIN)
    assert_no_errors(tab, "Admin page, signed in through single sign-on")
    screenshot(tab, "sso-4-admin-page")


def test_signing_out_leaves_the_app_and_the_provider(_admin_tab: Page, site: Site) -> None:
    tab = _admin_tab
    if SIGNED_IN not in (tab.locator(SIDEBAR).inner_text() if tab.locator(SIDEBAR).count() else ""):
        pytest.skip("the sign-in test did not leave this tab signed in")
    tab.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
    sign_out_at_provider(tab, site)
    assert_signed_out(tab, site, "after signing out")
    # A new session (a reload) is signed out too: the app's sign-on cookie is gone.
    open_sign_in_page(tab, site)
    assert_signed_out(tab, site, "a new session after signing out")
    assert_provider_asks_again(tab, site)
    screenshot(tab, "sso-5-signed-out")


def assert_refused_then_signs_out(tab: Page, site: Site, login: str, says: list[str], name: str) -> None:
    """`login` signs in at the provider and comes back to the sign-in page saying `says` (and photographed as
    `name`), with nothing of the app, also at a page's own address; its "Sign out" leaves the app and the provider."""
    open_sign_in_page(tab, site)
    click_sign_in(tab, site)
    sign_in_at_provider(tab, site, login)

    main = tab.locator(MAIN)
    for page_address in ("/", ADMIN.path):
        if page_address != "/":  # a new session, still signed on at the provider: the same answer
            tab.goto(site.url + page_address)
            wait_until_drawn(tab)
        text = main.inner_text()
        for words in says:
            assert words in text, f"{login} at {page_address}: {words!r} not said:\n{text[:500]}"
        assert ASK_AN_ADMINISTRATOR in text, f"{login} at {page_address}: {text[:500]}"
        assert tab.locator(SIDEBAR).count() == 0 or SIGNED_IN not in tab.locator(SIDEBAR).inner_text()
        assert tab.locator(NAV_LINK).count() == 0, f"{login} at {page_address}: page links shown"
        assert main.locator("h1").first.inner_text() != ADMIN.heading, f"{login}: the Admin page was drawn"
        # Signed on at the provider, a new "Sign in" would only bring the same account back: sign out instead.
        assert main.get_by_role("button", name="Sign in").count() == 0, f"{login}: a Sign in button that loops"
        if page_address == "/":
            screenshot(tab, name)

    main.get_by_role("button", name="Sign out").click()
    sign_out_at_provider(tab, site)
    assert_signed_out(tab, site, f"{login}, after signing out")
    open_sign_in_page(tab, site)
    assert_signed_out(tab, site, f"{login}, a new session after signing out")
    assert_provider_asks_again(tab, site)


def test_an_unregistered_email_is_told_to_ask_an_administrator(fresh_tab: Page, site: Site) -> None:
    assert_refused_then_signs_out(
        fresh_tab, site, UNREGISTERED, [UNREGISTERED, "no account here"], "sso-6-unregistered"
    )


def test_an_unverified_email_does_not_sign_in_as_its_owner(fresh_tab: Page, site: Site) -> None:
    """The provider's email claim is the administrator's, but the provider itself says it is unverified."""
    assert_refused_then_signs_out(fresh_tab, site, IMPOSTOR, ["verified email"], "sso-7-unverified-email")


def test_a_token_without_an_email_is_explained_not_looped(fresh_tab: Page, site: Site) -> None:
    """A provider that leaves the email out of the ID token (Streamlit reads nothing else) gets a reason, not the
    same "Sign in" button again."""
    assert_refused_then_signs_out(fresh_tab, site, NO_EMAIL, ["verified email"], "sso-8-no-email")
