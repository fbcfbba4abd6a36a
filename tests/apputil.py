"""Opening the app in AppTest as a signed-in user (the app shows only its sign-in page otherwise)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import tracker.config
from tracker.auth import actor_for
from tracker.db import open_engine
from tracker.users import add_user

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin@demo.ac.uk"


def ensure_user(url: str, email: str, role: str = "admin", actions: tuple[str, ...] = ()) -> None:
    """Register `email` in the database at `url` unless it already is (the demo has one user per role)."""
    with Session(open_engine(url)) as s:
        if actor_for(session=s, email=email) is None:
            add_user(session=s, email=email, role=role, actions=actions)
            s.commit()


def open_app(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *,
    page: str | None = None,
    as_user: str | None = ADMIN,
    role: str = "admin",
    **params: Any,
) -> AppTest:
    """The app at `url`, signed in as `as_user` (None: signed out), on `page`, with URL `params`."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    tracker.config.get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if as_user:
        ensure_user(url, as_user, role)
        at.session_state["signed_in_as"] = as_user
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
