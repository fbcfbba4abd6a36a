"""Nothing from outside: every request the browser makes goes to the app's own server.

The tracker must work on a campus network with no way out, and tell no third party who reads it: no icon or font
from a CDN, no analytics. Chromium records every request and WebSocket while a colleague follows a shared link
(the first request on a freshly started server), signs in, and opens every page as the administrator (who sees
them all); any request to another host fails the test, named. `data:` and `blob:` addresses are not requests.

The page icon is the app's own file (`assets/icon.png`, given to `st.set_page_config`), served by the app; the
sidebar's `:material/…:` icons are drawn with the Material Symbols font that Streamlit serves itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.browser_util import (
    Server,
    app_pages,
    assert_no_errors,
    demo_site,
    new_context,
    show,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser

ADMIN = "admin@demo.ac.uk"
NOT_REQUESTS = ("data:", "blob:", "about:")


@pytest.fixture(scope="module")
def site(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server on the demo data that no browser has visited yet; the administrator's password for this run."""
    with demo_site("offline", tmp_path_factory.mktemp("offline"), [ADMIN]) as demo:
        yield demo.server, demo.passwords[ADMIN]


def test_every_request_goes_to_the_apps_own_server(browser: Browser, site: tuple[Server, str]) -> None:
    server, password = site
    own = urlsplit(server.url)
    requests: list[str] = []
    context = new_context(browser)
    context.on("request", lambda request: requests.append(request.url))
    try:
        tab = context.new_page()
        tab.on("websocket", lambda ws: requests.append(ws.url))
        sign_in(tab, server.url, ADMIN, password, path="/action_plan?as_of=2019-06-30")
        for app_page in app_pages():
            show(tab, server.url, app_page)
            assert_no_errors(tab, app_page.path)
        icons = tab.locator('link[rel~="icon"]').evaluate_all("(links) => links.map((link) => link.href)")
    finally:
        context.close()

    sent = [url for url in requests if not url.startswith(NOT_REQUESTS)]
    assert any(urlsplit(url).path.startswith("/_stcore/") for url in sent), f"nothing recorded: {requests[:5]}"
    outside = sorted({url for url in sent if (urlsplit(url).hostname, urlsplit(url).port) != (own.hostname, own.port)})
    assert not outside, "requests that left the app's own server:\n" + "\n".join(outside)
    # The page icon is the app's file, not the Material icon Streamlit would fetch from fonts.gstatic.com.
    assert icons and all(href.startswith((server.url, "data:image/png")) for href in icons), icons
    assert any(url.endswith(".png") and "/media/" in url for url in sent), "the app's icon was not fetched"
    # The sidebar's :material/ icons: Streamlit's own copy of the Material Symbols font.
    assert any("MaterialSymbols" in url for url in sent), "no Material Symbols font from the app's server"
