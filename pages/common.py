"""UI-layer helpers shared by the pages: the engine, caches keyed on the data version, URL state, charts."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from tracker import summary
from tracker.auth import Actor, SignInError, actor_for, sign_in
from tracker.charts import Chart
from tracker.config import get_settings
from tracker.db import new_session, open_engine


def ensure_app_navigation() -> None:
    """Run through app.py's navigation even when Streamlit ran this page file directly.

    Streamlit starts each server in its legacy "pages/ folder" mode until app.py has called st.navigation: a
    shared link to /action_plan opened first on a fresh server would run the page without app.py (no sidebar,
    no URL state). Every page calls `view`, which calls this, so the page switches mode and reruns via app.py.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later Streamlit without the legacy mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return open_engine(url)


def engine() -> Engine:
    """The migrated engine for the configured database (made once per server process)."""
    return _engine(get_settings().database_url)


def db_session() -> Session:
    """A session on the app's database (`with db_session() as s:`); tracker functions that write commit."""
    return new_session(engine())


def data_version() -> int:
    """Changes whenever a file is loaded; one indexed MAX() per rerun, so caches never go stale."""
    with db_session() as s:
        return summary.data_version(session=s)


# cache_resource, not cache_data: views are read-only, and unpickling a copy of every plotly figure on each
# rerun was most of a warm page's time. Keyed on the data version, so a new upload shows at once.
@st.cache_resource(show_spinner=False, max_entries=256)
def _cached(_fn: Callable[..., Any], name: str, version: int, key: tuple[tuple[str, Any], ...]) -> Any:
    # `_fn` is not hashed (Streamlit cannot); its qualified `name` stands in for it in the cache key.
    with db_session() as s:
        return _fn(session=s, **dict(key))


def view(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """`fn(session=..., **kwargs)` cached until the data changes (tracker functions stay cache-free).

    The result is shared between sessions: pages must not modify it.
    """
    ensure_app_navigation()
    # Fill in defaults so view(f) and view(f, themes=()) share one cache entry.
    args = {
        n: p.default
        for n, p in inspect.signature(fn).parameters.items()
        if n != "session" and p.default is not inspect.Parameter.empty
    }
    args.update(kwargs)
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items()))
    return _cached(fn, f"{fn.__module__}.{fn.__qualname__}", data_version(), key)


# --- who is signed in ------------------------------------------------------------------------------------


def sso_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (the institution's single sign-on)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than returning empty
        return False


def current_actor() -> Actor | None:
    """The signed-in user, re-read from the database on every run so a role change or removal applies at once."""
    email = st.session_state.get("signed_in_as")
    if not email and sso_configured() and st.user.is_logged_in:
        email = str(st.user.get("email") or "")
    if not email:
        return None
    with db_session() as s:
        actor = actor_for(session=s, email=email)
    if actor is None:
        st.session_state.pop("signed_in_as", None)
        if sso_configured():
            st.session_state["sso_unregistered"] = email
    return actor


def sign_in_form() -> None:
    """Email and password; on success the session remembers the email (never the password) and reruns."""
    with st.form("sign_in"):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            with db_session() as s:
                actor = sign_in(session=s, email=email, password=password)
        except SignInError as exc:
            st.error(f"Not signed in: {exc}.")
            return
        st.session_state["signed_in_as"] = actor.email
        st.rerun()


def sign_in_page() -> None:
    """The only page for someone signed out. A function, not a file in pages/, so Streamlit's legacy pages
    mode can never run it on its own (and lose the submitted form in the rerun that leaves that mode)."""
    st.title("Technician Commitment Tracker")
    if sso_configured():
        st.write("Sign in with your institution's account.")
        st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
        if st.session_state.get("sso_unregistered"):
            st.error(
                f"{st.session_state['sso_unregistered']} signed in, but has no account here: ask an administrator "
                "to add you (python -m tracker users add EMAIL --role viewer)."
            )
            st.button("Sign out", on_click=st.logout)
    else:
        sign_in_form()


def sign_out() -> None:
    """Forget the signed-in user (and leave single sign-on too)."""
    st.session_state.pop("signed_in_as", None)
    if sso_configured() and st.user.is_logged_in:
        st.logout()


def require_actor() -> Actor:
    """The signed-in user; a page run without one (it cannot normally happen) stops here."""
    ensure_app_navigation()
    actor = current_actor()
    if actor is None:
        st.stop()
    return actor


# --- state in the URL, so a link reproduces the view -------------------------------------------------


def qp_list(name: str, choices: Sequence[str] | None = None) -> list[str]:
    """A list filter from the URL (?theme=Develop&theme=Value), keeping only known choices."""
    values = st.query_params.get_all(name)
    return [v for v in values if choices is None or v in choices]


def qp_str(name: str, default: str = "") -> str:
    """A single value from the URL."""
    return st.query_params.get(name, default)


def qp_date(name: str, default: date | None = None) -> date | None:
    """A date (YYYY-MM-DD) from the URL; a malformed one is ignored."""
    raw = st.query_params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return default


def set_qp(name: str, value: str | date | Sequence[str] | None) -> None:
    """Write a filter back to the URL (or drop it when empty)."""
    if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
        if name in st.query_params:
            del st.query_params[name]
        return
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, (list, tuple)):
        st.query_params[name] = list(value)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def as_of() -> date | None:
    """The as-of date chosen in the sidebar (None: today)."""
    value = st.session_state.get("as_of")
    return value if isinstance(value, date) else None


# --- drawing -----------------------------------------------------------------------------------------


def show_chart(chart: Chart, *, key: str) -> None:
    """The chart, its one-sentence summary, and its data one click away."""
    st.markdown(f"**{chart.title}**")
    st.plotly_chart(chart.figure, key=key, theme=None, config={"displaylogo": False})
    st.caption(chart.summary)
    with st.expander("Data table"):
        st.dataframe(chart.data, hide_index=True, width="stretch")


def empty_state(message: str) -> None:
    """A friendly stop for a page with nothing to show."""
    st.info(message)
    st.stop()


NO_PLAN = (
    "No action plan is loaded yet. An administrator loads the plan as the institution published it on the "
    "**Upload** page, or with `python -m tracker load PLAN.xlsx` (any of the usual layouts: see the README); "
    "to explore first, `python -m tracker init --demo` loads the demo data."
)
