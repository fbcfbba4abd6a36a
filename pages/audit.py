"""Audit log: every write, who made it, when, what, before → after; filtered and exported (administrators only)."""

from datetime import date

import streamlit as st

from pages.common import db_session, require_actor
from tracker.audit import audit_actions, audit_actors, count_events, list_events
from tracker.auth import ROLE_CAN, PermissionDenied
from tracker.exports import to_csv, to_xlsx

LIMIT = 2000

actor = require_actor()
st.title("Audit log")
# The navigation offers this page to administrators only; tracker checks again on every read below.
if not actor.can("read_audit"):
    st.error(
        f"You are signed in as a {actor.role}: {ROLE_CAN[actor.role]}, but only an administrator reads the audit log."
    )
    st.stop()

EVERYONE, ALL = "Everyone", "All kinds"
try:
    with db_session() as session:
        actors = audit_actors(session=session, actor=actor)
        kinds = audit_actions(session=session)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
if not actors:
    st.info("The audit log is empty: every load, refusal and change to users will be listed here.")
    st.stop()

cols = st.columns([1.8, 1.8, 1.4, 1.4, 2])
who = cols[0].selectbox("Who", [EVERYONE, *actors], key="audit_who")
kind = cols[1].selectbox("Action", [ALL, *kinds], key="audit_action")
since = cols[2].date_input("From", value=None, format="DD/MM/YYYY", key="audit_since")
until = cols[3].date_input("To", value=None, format="DD/MM/YYYY", key="audit_until")
text = cols[4].text_input(
    "Search", key="audit_text", placeholder="a ref, file name, email…", help="Matches the target or the detail"
)
if since and until and since > until:
    st.error("'From' is after 'To': no event can match.")
    st.stop()

by = "" if who == EVERYONE else who
kind_of = "" if kind == ALL else kind
start = since if isinstance(since, date) else None
end = until if isinstance(until, date) else None
try:
    with db_session() as session:
        events = list_events(
            session=session, actor=actor, who=by, action=kind_of, since=start, until=end, text=text.strip(), limit=LIMIT
        )
        total = count_events(
            session=session, actor=actor, who=by, action=kind_of, since=start, until=end, text=text.strip()
        )
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()

if not events:
    st.info("No events match these filters.")
    st.stop()
rows = [e.export_row() for e in events]  # what the exports hold

shown = f"{total:,} events" if total != 1 else "1 event"
if total > len(rows):
    shown += f"; the newest {len(rows):,} are shown and exported (narrow the filters to see older ones)"
st.markdown(f"**{shown}**, newest first. Times are UTC.")


st.dataframe(
    [e.display_row() for e in events],
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(events), 760),
    column_config={
        # Widths in proportion (the table stretches them to fit), leaving the detail the most room.
        "When": st.column_config.TextColumn("When", width=135),
        "Who": st.column_config.TextColumn("Who", width=140),
        "Action": st.column_config.TextColumn("Action", width=115),
        "Target": st.column_config.TextColumn("Target", width=130),
        "Before → after": st.column_config.TextColumn("Before → after", width=150),
        "Upload": st.column_config.TextColumn("Upload", width=55, help="The upload it came from (see Uploads)"),
        "Detail": st.column_config.TextColumn("Detail", width=210),
    },
)
with st.container(horizontal=True):
    st.download_button(
        "Export CSV",
        data=to_csv(rows),
        file_name=f"audit_log_{date.today():%Y-%m-%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_export",
        help="The events shown, as a spreadsheet-safe CSV (text that looks like a formula is kept as text)",
    )
    st.download_button(
        "Export Excel",
        data=lambda: to_xlsx(rows, sheet="Audit log"),  # built only when clicked
        file_name=f"audit_log_{date.today():%Y-%m-%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
        key="audit_export_xlsx",
        help="The events shown, as a spreadsheet-safe .xlsx (text that looks like a formula is kept as text)",
    )
