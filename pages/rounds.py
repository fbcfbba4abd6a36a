"""Update rounds: who has reported and who has not; administrators open and close rounds and remind the leads.

Read straight from the database on every run, not from the data-version cache: opening, closing or reminding
loads no file, so the cache would not notice it. Permissions are checked again in tracker.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from pages.common import NO_PLAN, db_session, empty_state, qp_str, require_actor, set_qp, view
from tracker.auth import PermissionDenied
from tracker.config import get_settings
from tracker.mail import MailError
from tracker.rounds import RoundError, close_round, open_round, reminders, round_template, send_reminders
from tracker.summary import plan_info
from tracker.text import day, listing, literal
from tracker.views.rounds import default_round, rounds_view

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHORT_TABLE = 30  # rows: up to this many as a plain table whose text wraps, more in a scrolling grid

actor = require_actor()
st.title("Update rounds")
st.caption(
    "Before each working-group meeting the coordinator asks every lead for a progress update by a due date. An "
    "action has reported when a progress update dated within the round was loaded for it."
)
plan = view(plan_info)
if plan is None:
    empty_state(NO_PLAN)
admin = actor.can("manage_rounds")
today = date.today()
flash = st.session_state.pop("rounds_flash", None)
if flash:
    st.success(literal(flash), icon=":material/check_circle:")

with db_session() as s:
    page = rounds_view(session=s, actor=actor, name=qp_str("round") or None, today=today)


def open_form() -> None:
    """A new round: its name, dates and the actions it expects (by default those not complete or withdrawn)."""
    start = today
    with st.form("open_round"):
        st.markdown("**Open a round**")
        name = st.text_input("Name", placeholder=f"e.g. {today:%B %Y}", max_chars=120, key="round_name")
        c1, c2, c3 = st.columns(3)
        first = c1.date_input("From", value=start, format="DD/MM/YYYY", key="round_from")
        due = c2.date_input(
            "Due", value=start + timedelta(days=21), format="DD/MM/YYYY", key="round_due", help="The last day counted"
        )
        meeting = c3.date_input("Meeting (optional)", value=None, format="DD/MM/YYYY", key="round_meeting")
        refs = st.multiselect(
            "Actions expected to report",
            page.refs,
            default=[r for r in page.suggested if r in page.refs],
            key="round_refs",
            help="By default every action that is not complete or withdrawn.",
        )
        if st.form_submit_button("Open the round", type="primary", icon=":material/event_available:"):
            if not isinstance(first, date) or not isinstance(due, date):
                st.error("Choose the round's first day and its due date.")
                return
            try:
                with db_session() as s:
                    info = open_round(
                        session=s,
                        actor=actor,
                        name=name,
                        start=first,
                        due=due,
                        meeting=meeting if isinstance(meeting, date) else None,
                        refs=list(refs),
                    )
                    s.commit()
            except (RoundError, PermissionDenied) as exc:
                st.error(literal(str(exc)))
                return
            st.session_state["rounds_flash"] = f"Opened round {info.name}: {info.dates}; {info.expected} actions."
            set_qp("round", info.name)
            st.rerun()


if admin:
    with st.expander("Open a round", expanded=not page.open_rounds, icon=":material/add:"):
        open_form()

if not page.rounds or page.status is None:
    st.info("No update round yet." + ("" if admin else " An administrator opens one on this page."))
    st.stop()

# --- the chosen round --------------------------------------------------------------------------------------

labels = {r.name: r.label for r in page.rounds}
default = default_round(page.rounds)


def round_chosen() -> None:
    """Another round picked: into the URL (a link shows it), read by rounds_view on the run this starts."""
    name = st.session_state["round_choice"]
    set_qp("round", None if default and name == default.name else name)


# The widget shows the round the page was built for (the URL's, or a round just opened), whatever it held before.
st.session_state["round_choice"] = page.status.round.name
st.selectbox("Round", list(labels), format_func=lambda n: labels[n], key="round_choice", on_change=round_chosen)

status = page.status
r = status.round
st.caption(literal(f"{r.name}: {r.dates}." + (f" Closed {day(r.closed_at)}." if r.closed_at else "")))
with st.container(border=True):
    st.markdown(f"**{literal(status.summary)}**")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Expected", len(status.actions))
m2.metric("Reported", len(status.actions) - len(status.outstanding))
m3.metric("Outstanding", len(status.outstanding))
late = r.is_open and today > r.due
m4.metric(
    "Due",
    day(r.due),
    delta="✕ overdue" if late and status.outstanding else None,
    delta_color="inverse",
    delta_arrow="off",
)

# A lead's own part, with the template for exactly what the round still waits on from them.
if page.mine:
    if page.my_outstanding and r.is_open:
        them = "it" if len(page.my_outstanding) == 1 else "them"
        st.warning(
            literal(
                f"Yours: {listing(list(page.my_outstanding))}, {'overdue: due' if late else 'due'} by {day(r.due)}. "
                f"Download your template pre-filled for {them}, fill it in and upload it on the Upload page."
            ),
            icon=":material/assignment_late:",
        )
        with db_session() as s:
            fname, data = round_template(session=s, refs=list(page.my_outstanding), round_name=r.name)
        st.download_button(
            f"Download the template for {', '.join(page.my_outstanding)}",
            data,
            file_name=fname,
            mime=XLSX,
            icon=":material/download:",
            on_click="ignore",
            key="round_my_template",
        )
        st.page_link("pages/upload.py", label="Go to the Upload page", icon=":material/upload:")
    elif not page.my_outstanding:
        st.success(
            f"Your actions in this round ({', '.join(page.mine)}) have all reported.", icon=":material/done_all:"
        )


def table(rows: list[dict[str, str]], *, wide: str) -> None:
    """A short table plainly (its text wraps); a long one in a scrolling grid."""
    if len(rows) <= SHORT_TABLE:
        # st.table renders cells as Markdown: names, refs and activities are people's text, so literally.
        st.table([{k: literal(v) for k, v in row.items()} for row in rows], hide_index=True, border="horizontal")
    else:
        st.dataframe(
            rows, hide_index=True, width="stretch", column_config={wide: st.column_config.TextColumn(width="large")}
        )


st.subheader("By lead")
if status.leads:
    table(status.lead_rows(), wide="Lead")
else:
    st.markdown("_No lead is assigned to any action this round expects: an administrator assigns them (Admin page)._")
if status.unled:
    st.caption(f"No lead assigned, so nobody to remind: {', '.join(status.unled)}.")

st.subheader("By action")
table(status.action_rows(), wide="Activity")
st.caption("✔ reported · ○ awaiting (not yet due) · ✕ overdue, or not reported when the round closed.")

# --- the administrator's tools -----------------------------------------------------------------------------

if admin and r.is_open:
    st.subheader("Remind the leads")
    try:
        with db_session() as s:
            _, planned = reminders(session=s, actor=actor, name=r.name, today=today)
    except (RoundError, PermissionDenied) as exc:
        st.error(literal(str(exc)))
        planned = []
    to_send = [p for p in planned if p.reminded_today is None]
    if not planned:
        st.markdown("_Nobody to remind: every lead has reported everything this round expects of them._")
    else:
        for p in planned:
            already = f" (reminded today at {p.reminded_today:%H:%M}: not again today)" if p.reminded_today else ""
            # The label names the lead, not their address: an address in it becomes a link, and a link inside the
            # expander's toggle is a control inside a control to a screen reader.
            who = p.name or p.to.split("@")[0]
            with st.expander(literal(f"To {who}: {', '.join(p.refs)}{already}")):
                st.markdown(f"**To:** {literal(p.to)}  \n**Subject:** {literal(p.subject)}")
                st.text(p.text)
                st.download_button(
                    f"Attachment: {p.attachment_name}",
                    p.attachment,
                    file_name=p.attachment_name,
                    mime=XLSX,
                    icon=":material/attach_file:",
                    on_click="ignore",
                    key=f"attachment_{p.to}",
                )
        configured = bool(get_settings().smtp_url)
        if not configured:
            st.info(
                "Reminders need the institution's mail server: set TRACKER_SMTP_URL (e.g. "
                "smtp://mail.uni.ac.uk:587) where the app runs. Until then, the previews above are what would go.",
                icon=":material/mail:",
            )
        elif to_send and st.button(
            f"Send {len(to_send)} reminder{'s' if len(to_send) != 1 else ''}",
            type="primary",
            icon=":material/send:",
            key="send_reminders",
        ):
            try:
                with db_session() as s:
                    result = send_reminders(session=s, actor=actor, name=r.name, today=today)
            except (MailError, RoundError, PermissionDenied) as exc:
                st.error(literal(f"No reminder was sent: {exc}"))
            else:
                sent = ", ".join(p.to for p in result.sent) or "nobody"
                msg = f"Sent {len(result.sent)} reminder{'s' if len(result.sent) != 1 else ''}: {sent}."
                for p, why in result.failed:
                    st.error(literal(f"Not sent to {p.to}: {why}"))
                if result.sent:
                    st.session_state["rounds_flash"] = msg
                    st.rerun()

    st.subheader("Close the round")
    with st.popover("Close this round", icon=":material/event_busy:"):
        st.markdown(
            literal(
                f"Closing {r.name} keeps it as it stands now ({status.summary}) and stops reminders. Updates "
                "loaded later still count for their own dates."
            )
        )
        if st.button("Close it", type="primary", key="close_round"):
            try:
                with db_session() as s:
                    info = close_round(session=s, actor=actor, name=r.name)
                    s.commit()
            except (RoundError, PermissionDenied) as exc:
                st.error(literal(str(exc)))
            else:
                st.session_state["rounds_flash"] = (
                    f"Closed round {info.name}: {info.reported} of {info.expected} expected actions reported."
                )
                st.rerun()
