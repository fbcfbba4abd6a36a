"""UI-layer helpers shared by the pages: the engine, caches keyed on the data version, URL state, charts."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from tracker import summary
from tracker.auth import Actor, SignInError, actor_for, session_version, sign_in_with_version
from tracker.charts import Chart
from tracker.config import get_settings
from tracker.db import new_session, open_engine
from tracker.text import DAY_FORMAT_JS, literal

# --- every page through app.py's navigation ----------------------------------------------------------------

_HERE = Path(__file__).resolve()
PAGES_DIR = _HERE.parent
APP = PAGES_DIR.parent / "app.py"  # the script the server runs: sign-in, the role's pages, the sidebar, URL state
# Set while app.py runs the page its navigation chose (run_page), in that script run's thread only.
_through_app: ContextVar[bool] = ContextVar("through_app", default=False)


@functools.lru_cache(maxsize=256)
def _resolved(filename: str) -> Path:
    return Path(filename).resolve()


def run_page(page: st.Page) -> None:
    """Run the page app.py's navigation chose, marked as come through app.py (see ensure_app_navigation)."""
    token = _through_app.set(True)
    try:
        page.run()
    finally:
        _through_app.reset(token)


def ensure_app_navigation() -> None:
    """Run app.py in place of a page file that Streamlit started without it.

    The pages live in pages/ beside app.py, and that folder name starts every server in Streamlit's legacy
    "pages/ folder" mode, which lasts until a session calls st.navigation ("As soon as any session of your app
    executes the st.navigation command, your app will ignore the pages/ directory (across all sessions)", its
    documentation); no setting turns it off. In that mode a link to /action_plan, the first request on a fresh
    server, runs pages/action_plan.py without app.py: no sign-in, no sidebar, no URL state. Every page's first
    statement (`require_actor`) calls this. When the page did not come through app.py (`run_page`), app.py runs
    now, in this same run: its st.navigation ends the legacy mode for every session and decides what the address
    shows (the sign-in form, the linked page, or the home page for a page the role lacks), and this unguarded
    run of the page file stops there. Only for the body of a page file while app.py is the script the server
    runs: a page script run on its own (a test of its own checks), app.py's own body, fragments and callbacks
    are left alone.
    """
    if _through_app.get():
        return
    main = sys.modules.get("__main__")  # the module Streamlit runs its main script in
    main_file = getattr(main, "__file__", None)
    if main is None or not main_file or _resolved(main_file) != APP:
        return
    frame = inspect.currentframe()
    while frame is not None and _resolved(frame.f_code.co_filename) == _HERE:
        frame = frame.f_back
    if frame is None or frame.f_code.co_name != "<module>" or _resolved(frame.f_code.co_filename).parent != PAGES_DIR:
        return
    exec(compile(APP.read_bytes(), str(APP), "exec"), main.__dict__)
    st.stop()


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


# Session-state flag: signed on at the provider, but its token gave no verified email to match an account by.
SSO_NO_VERIFIED_EMAIL = "sso_no_verified_email"


# Session-state keys: the account's session version read at sign-in, and a notice for the sign-in page.
SESSION_VERSION = "session_version"
SIGNED_OUT_NOTICE = "signed_out_notice"
PASSWORD_CHANGED = "You were signed out because this account's password was changed. Please sign in again."
ACCOUNT_REMOVED = "You were signed out because this account was removed."


def current_actor() -> Actor | None:
    """The signed-in user, re-read from the database on every run so a role change or removal applies at once.

    A local sign-in also keeps the account's session version: when a password change has raised it since, this
    session is signed out (with a notice on the sign-in page), so a reset shuts out whoever had the old password.
    A session holding no version yet (one a test set up) takes the current one.
    """
    email = st.session_state.get("signed_in_as")
    local = bool(email)
    if not email and sso_configured() and st.user.is_logged_in:
        email = str(st.user.get("email") or "").strip()
        # An address the provider itself marks unverified (some let people type one in) could be anyone's, an
        # administrator's included; a token with no email (Streamlit reads only the ID token, never the userinfo
        # endpoint) names nobody. Neither signs in, and the sign-in page says why instead of offering "Sign in"
        # again, which would only bring the same token back.
        if not email or str(st.user.get("email_verified", True)).lower() == "false":
            st.session_state[SSO_NO_VERIFIED_EMAIL] = True
            return None
    if not email:
        return None
    with db_session() as s:
        actor = actor_for(session=s, email=email)
        version = session_version(session=s, email=email) if local and actor is not None else None
    if actor is None:
        st.session_state.pop("signed_in_as", None)
        st.session_state.pop(SESSION_VERSION, None)
        if local:
            st.session_state[SIGNED_OUT_NOTICE] = ACCOUNT_REMOVED
        if sso_configured():
            st.session_state["sso_unregistered"] = email
    elif local:
        held = st.session_state.setdefault(SESSION_VERSION, version)
        if held != version:
            sign_out()
            st.session_state[SIGNED_OUT_NOTICE] = PASSWORD_CHANGED
            return None
    return actor


def sign_in_form() -> None:
    """Email and password; on success the session remembers the email (never the password) and reruns."""
    with st.form("sign_in"):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        # The client's address, so repeated failures from one place are slowed whichever accounts they try
        # (None on localhost and in tests: then only the account's own count applies).
        source = st.context.ip_address or ""
        try:
            with db_session() as s:
                actor, version = sign_in_with_version(session=s, email=email, password=password, source=source)
        except SignInError as exc:
            st.error(f"Not signed in: {exc}.")
            return
        st.session_state.pop(SIGNED_OUT_NOTICE, None)
        st.session_state["signed_in_as"] = actor.email
        st.session_state[SESSION_VERSION] = version
        st.rerun()


def sign_in_page() -> None:
    """The only page for someone signed out. A function, not a file in pages/, so Streamlit's legacy pages
    mode can never run it on its own (and lose the submitted form in the rerun that leaves that mode)."""
    st.title("Technician Commitment Tracker")
    notice = st.session_state.get(SIGNED_OUT_NOTICE)
    if notice:
        st.warning(notice, icon=":material/lock:")
    if sso_configured():
        unregistered = st.session_state.get("sso_unregistered")
        if unregistered or st.session_state.get(SSO_NO_VERIFIED_EMAIL):
            # Signed on at the provider but not let in here: "Sign in" would only bring the same account back, so
            # the way on is to sign out (then in with another account, or once an administrator has added this one).
            if unregistered:
                # In code format: the address is the provider's text, and Markdown would read its _ or * as styling.
                st.error(
                    f"`{unregistered.replace('`', '')}` is signed in with your institution, but has no account here: "
                    "ask an administrator to add you (Admin page, or python -m tracker users add EMAIL)."
                )
            else:
                st.error(
                    "Your institution's sign-in did not give this app a verified email address, so it cannot tell who "
                    "you are: ask an administrator (the provider must send a verified email claim in the ID token)."
                )
            st.button("Sign out", type="primary", on_click=st.logout, icon=":material/logout:")
        else:
            st.write("Sign in with your institution's account.")
            st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
    else:
        sign_in_form()


def sign_out() -> None:
    """Forget the signed-in user (and leave single sign-on too)."""
    st.session_state.pop("signed_in_as", None)
    st.session_state.pop(SESSION_VERSION, None)
    st.session_state.pop(SIGNED_OUT_NOTICE, None)
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

# A link's values are checked before use: anything else is ignored with a notice, never a traceback. No filter
# value is longer than this, and no list filter has more values.
MAX_QP_LENGTH = 200
MAX_QP_VALUES = 100
# Dates outside these are nobody's plan (and would make a date widget raise).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _ignore(name: str, why: str) -> None:
    """Say that the link's `name` was ignored, and drop it from the URL so the notice shows once. The value
    itself is never echoed: it is whatever someone put in a link, and the notice is rendered as Markdown."""
    if name in st.query_params:
        del st.query_params[name]
    st.warning(f"The link's “{name}” was ignored: {why}.", icon=":material/link_off:")


def _printable(value: str) -> bool:
    return value.isprintable() and len(value) <= MAX_QP_LENGTH


def qp_list(name: str, choices: Sequence[str] | None = None) -> list[str]:
    """A list filter from the URL (?theme=Develop&theme=Value), keeping only known choices.

    Unknown, overlong or unprintable values (and more than MAX_QP_VALUES of them) are dropped with a notice.

    Example (the page's URL is `?theme=Develop&theme=Nonsense`):
        qp_list("theme", ["Develop", "Value"]) -> ["Develop"], and a notice that "theme" was partly ignored
    """
    values = st.query_params.get_all(name)
    kept = [v for v in values[:MAX_QP_VALUES] if (v in choices if choices is not None else _printable(v))]
    if len(kept) != len(values):
        _ignore(name, "it named something this page does not have")
        if kept:
            st.query_params[name] = kept
    return kept


def qp_str(name: str, default: str = "") -> str:
    """A single value from the URL: one of at most MAX_QP_LENGTH printable characters, else `default` and a notice.

    Example: `?q=awards` gives qp_str("q") == "awards"; a 10,000-character `?q=` gives "" and a notice.
    """
    value = st.query_params.get(name, default)
    if value != default and not _printable(value):
        _ignore(name, f"it is longer than {MAX_QP_LENGTH} characters or holds control characters")
        return default
    return value


def qp_date(
    name: str, default: date | None = None, *, min_value: date | None = None, max_value: date | None = None
) -> date | None:
    """A date (YYYY-MM-DD) from the URL, between `min_value` and `max_value` (at the widest 2000-01-01 to
    2100-12-31); a malformed or out-of-range one is ignored with a notice and `default` is given.

    Example: with the plan's window as the bounds, `?as_of=1900-01-01` and `?as_of=not-a-date` both give the
    default and a notice, where they once reached the date widget and raised.
    """
    raw = st.query_params.get(name)
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw) if len(raw) <= 10 else None
    except ValueError:
        value = None
    if value is None:
        _ignore(name, "it is not a date written YYYY-MM-DD")
        return default
    low, high = max(EARLIEST, min_value or EARLIEST), min(LATEST, max_value or LATEST)
    if not low <= value <= high:
        _ignore(name, f"it is outside {low:%d/%m/%Y} – {high:%d/%m/%Y}")
        return default
    return value


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
    """The as-of date chosen in the sidebar (None: today). The widget bounds it; a value that is not a date in
    range (none the page sets) counts as none."""
    value = st.session_state.get("as_of")
    return value if isinstance(value, date) and EARLIEST <= value <= LATEST else None


# --- drawing -----------------------------------------------------------------------------------------


def show_chart(chart: Chart, *, key: str) -> None:
    """The chart, its one-sentence summary, and its data one click away."""
    # Summaries name measures, faculties and refs from people's files: shown literally, never as Markdown.
    st.markdown(f"**{literal(chart.title)}**")
    st.plotly_chart(chart.figure, key=key, theme=None, config={"displaylogo": False})
    st.caption(literal(chart.summary))
    with st.expander("Data table"):
        # Dates as the rest of the app writes them ("5 Oct 2020"), not as ISO text.
        first = chart.data[0] if chart.data else {}
        dates = {
            k: st.column_config.DateColumn(k, format=DAY_FORMAT_JS) for k, v in first.items() if isinstance(v, date)
        }
        st.dataframe(chart.data, hide_index=True, width="stretch", column_config=dates)


def empty_state(message: str) -> None:
    """A friendly stop for a page with nothing to show."""
    st.info(message)
    st.stop()


NO_PLAN = (
    "No action plan is loaded yet. An administrator loads the plan as the institution published it on the "
    "**Upload** page, or with `python -m tracker load PLAN.xlsx` (any of the usual layouts: see the README); "
    "to explore first, `python -m tracker init --demo` loads the demo data."
)


# --- the open update round ----------------------------------------------------------------------------------

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def round_notice(actor: Actor, *, key: str) -> None:
    """Home and Upload: a lead sees what the open round expects of them, with their template pre-filled for
    exactly the actions still outstanding; anyone else sees where the open round stands. Nothing without an open
    round. Read afresh (not cached): opening a round loads no file."""
    from tracker.rounds import RoundNotFound, lead_round, round_status, round_template

    template: tuple[str, bytes] | None = None
    with db_session() as s:
        mine = lead_round(session=s, actor=actor)
        if mine is not None and mine.outstanding:
            template = round_template(session=s, refs=list(mine.outstanding), round_name=mine.round.name)
        try:
            status = round_status(session=s) if mine is None else None
        except RoundNotFound:
            return
    if mine is not None:
        if template is None:
            st.success(literal(mine.text), icon=":material/done_all:")
            return
        st.warning(literal(mine.text), icon=":material/assignment_late:")
        name, data = template
        st.download_button(
            f"Download your template for {', '.join(mine.outstanding)}",
            data,
            file_name=name,
            mime=XLSX_MIME,
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_round_template",
            help="The update template with exactly these actions filled in: add the date, status, % and a note.",
        )
        return
    if status is not None:
        st.info(literal(f"Round {status.round.name} is open: {status.summary}"), icon=":material/event_note:")
        st.page_link("pages/rounds.py", label="See the round", icon=":material/event_note:")
