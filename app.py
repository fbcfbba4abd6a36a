"""Technician Commitment Tracker: the Streamlit entry point (`streamlit run app.py`)."""

from datetime import date
from pathlib import Path

# Imported here, once, before any page runs: on a cold server two sessions' first page runs could otherwise
# import these heavy packages at the same moment and one would see a partly initialised module.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

from tracker.config import ConfigError
from tracker.text import literal

# Everything the browser loads comes from this server (no icon or font from a CDN): the icon is a file of the app's.
ASSETS = Path(__file__).resolve().parent / "assets"
st.set_page_config(page_title="Technician Commitment Tracker", page_icon=str(ASSETS / "icon.png"), layout="wide")
# The app's one stylesheet, for what the theme (.streamlit/config.toml) cannot do (WCAG target size).
st.html(ASSETS / "app.css")

try:
    from pages.common import current_actor, engine, qp_date, run_page, set_qp, sign_in_page, sign_out, view
    from tracker.summary import plan_info

    engine()
except ConfigError as exc:
    st.error(f"The tracker is not configured correctly: {exc}")
    st.stop()

# (file, title, icon, operation needed or None). Hiding a page is for convenience only: tracker checks the role
# again on every write.
PAGE_SPECS = [
    ("pages/home.py", "Home", ":material/home:", None),
    ("pages/action_plan.py", "Action plan", ":material/checklist:", None),
    ("pages/pillars.py", "Pillars", ":material/view_column:", None),
    ("pages/evidence.py", "Evidence & impact", ":material/fact_check:", None),
    ("pages/workforce.py", "Workforce & gender", ":material/groups:", None),
    ("pages/changes.py", "What changed", ":material/compare_arrows:", None),
    ("pages/rounds.py", "Update rounds", ":material/event_note:", None),
    ("pages/upload.py", "Upload", ":material/upload:", "load_updates"),
    ("pages/uploads.py", "Uploads", ":material/upload_file:", "load_updates"),
    ("pages/board_report.py", "Board report", ":material/picture_as_pdf:", "build_pack"),
    ("pages/admin.py", "Admin", ":material/manage_accounts:", "manage_users"),
    ("pages/audit.py", "Audit log", ":material/history:", "read_audit"),
]

actor = current_actor()
if actor is None:
    # Signed out: the sign-in form is the only page there is, so no other page's script can run. It answers at
    # every page's address too, so a shared link (/action_plan?theme=Value) asks for sign-in rather than
    # "Page not found", and the rerun after sign-in opens the linked page (same address, same query).
    sign_in_pages = [st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path="sign_in", default=True)]
    sign_in_pages += [
        st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path=path.split("/")[-1][:-3])
        for path, *_ in PAGE_SPECS[1:]
    ]
    run_page(st.navigation(sign_in_pages, position="hidden"))
    st.stop()

PAGES = [
    st.Page(path, title=title, icon=icon, default=path == "pages/home.py")
    for path, title, icon, needs in PAGE_SPECS
    if needs is None or actor.can(needs)
]
nav = st.navigation(PAGES)

with st.sidebar:
    st.caption(f"Signed in as **{literal(actor.name or actor.email)}** ({actor.role})")
    st.button("Sign out", on_click=sign_out, icon=":material/logout:", key="sign_out")
    plan = view(plan_info)
    if plan:
        st.markdown(f"**{literal(plan.institution) or 'Action plan'}**")
        st.caption(f"{plan.months}-month plan, {plan.start:%b %Y} – {plan.end:%b %Y}")
        # The as-of date lives in the URL too, so a shared link shows the same moment. A link's date outside the
        # widget's bounds would make it raise: qp_date ignores one (with a notice) instead.
        low, high = plan.start, max(date.today(), plan.end)
        today = max(low, min(date.today(), plan.end))
        default = qp_date("as_of", min_value=low, max_value=high) or today
        chosen = st.date_input(
            "Status as of",
            value=default,
            min_value=low,
            max_value=high,
            format="DD/MM/YYYY",
            key="as_of",
            help="Statuses and figures as they stood on this date",
        )
        set_qp("as_of", chosen if chosen != today else None)

# Through run_page, so the page knows it came through here (pages.common.ensure_app_navigation).
run_page(nav)
