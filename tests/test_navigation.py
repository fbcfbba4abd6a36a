"""Every page goes through app.py, even when Streamlit's legacy pages/ mode runs the page's file itself.

A fresh server is in that mode until the first st.navigation (the folder beside app.py is called pages/), so a
shared link that is a fresh server's first request runs the linked page's file without app.py;
`pages.common.ensure_app_navigation` then runs app.py in its place. AppTest re-enters the mode before every run,
and these tests (marked `legacy_pages_mode`, so conftest leaves it on) see what such a first request gets. In
Chromium: tests/test_browser.py::test_a_shared_link_is_the_first_request_on_a_fresh_server.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from tests.apputil import open_app
from tests.test_access import assert_only_sign_in

if TYPE_CHECKING:
    from tests.conftest import DemoCopies

pytestmark = [pytest.mark.legacy_pages_mode, pytest.mark.usefixtures("fresh_streamlit_caches")]

VIEWER = "viewer@demo.ac.uk"


@pytest.fixture
def db(demo_copies: DemoCopies) -> str:
    """The demo data as of 1 November 2020, in a database of this test's own."""
    return demo_copies.sqlite_url(date(2020, 11, 1))


def page_hashes(monkeypatch: pytest.MonkeyPatch, db: str) -> dict[str, str]:
    """Every page's address and what a browser asks for at it (signed out, the app registers them all)."""
    at = open_app(monkeypatch, db, as_user=None)
    return {str(info.get("url_pathname")): h for h, info in at._registered_pages.items()}


def test_a_page_the_legacy_mode_runs_comes_through_app_py(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_of="2019-06-30")  # app.py: the legacy mode's main page
    at.switch_page("pages/action_plan.py").run()  # the legacy mode runs pages/action_plan.py itself
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Action plan"]  # the page, once
    assert any("Signed in as" in c.value for c in at.sidebar.caption)  # app.py's sidebar
    assert at.date_input(key="as_of").value.isoformat() == "2019-06-30"  # and its URL state
    # A widget's change on such a run is the page's, as on any run.
    at.text_input(key="f_q").input("Champion").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("q") in ("Champion", ["Champion"])


def test_signed_out_the_legacy_mode_gives_the_sign_in_form(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    hashes = page_hashes(monkeypatch, db)
    at = open_app(monkeypatch, db, as_user=None)
    at._page_hash = hashes["action_plan"]  # what a browser opening /action_plan asks for
    at.run()
    assert_only_sign_in(at)


def test_a_page_the_role_lacks_gives_home_in_the_legacy_mode(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    hashes = page_hashes(monkeypatch, db)
    at = open_app(monkeypatch, db, as_user=VIEWER, role="viewer")
    at._page_hash = hashes["admin"]  # a viewer's link to /admin, which their navigation does not have
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Technician Commitment Tracker"]  # Home
    assert not at.error  # not even admin.py's own refusal: the file stopped before drawing anything
