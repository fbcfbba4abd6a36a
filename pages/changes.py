"""What changed: status changes, new evidence, plan changes, measures and workforce movement between two dates."""

from datetime import date

import streamlit as st

from pages.common import NO_PLAN, as_of, db_session, empty_state, qp_date, require_actor, set_qp, show_chart, view
from tracker.summary import plan_info
from tracker.text import day, literal
from tracker.views.changes import PRESETS, changes_view, preset_windows, round_marks, since_last_round

require_actor()
st.title("What changed")
plan = view(plan_info)
if plan is None:
    empty_state(NO_PLAN)

# The sidebar's date, or the default the sidebar would show when it has not run.
reference = as_of() or qp_date("as_of") or min(date.today(), plan.end)
# Not cached: a round opened or closed on the Rounds page changes no upload, so no cache key would notice.
with db_session() as s:
    marks = round_marks(session=s, plan_id=plan.id)
since_round = since_last_round(marks, reference=reference)
windows = {
    **preset_windows([m.day for m in marks], reference=reference),
    PRESETS[0]: (since_round.start, since_round.end),
}
CUSTOM = PRESETS[-1]

# First visit in this session: the URL's dates (a shared link) pick the preset they match, or Custom.
url_from, url_to = qp_date("from"), qp_date("to")
if "changes_preset" not in st.session_state:
    match = [name for name, w in windows.items() if w == (url_from, url_to)]
    st.session_state["changes_preset"] = match[0] if match else (CUSTOM if url_from or url_to else PRESETS[0])

preset = st.radio(
    "Compare",
    PRESETS,
    horizontal=True,
    key="changes_preset",
    help="An update round is the set of progress updates leads send in before a working-group meeting (the Rounds "
    "page). Since the last round runs from the due date of the round before to that of the latest round. Other "
    f"presets end on the sidebar's date ({day(reference)}).",
)
if preset == CUSTOM:
    default_from, default_to = windows[PRESETS[0]]
    c1, c2, _ = st.columns([1, 1, 2])
    start = c1.date_input(
        "From",
        value=url_from or default_from,
        min_value=date(2000, 1, 1),
        max_value=date(2100, 12, 31),
        format="DD/MM/YYYY",
        key="changes_from",
        help="Statuses as they stood on this date; things dated after it count as changes",
    )
    end = c2.date_input(
        "To",
        value=url_to or default_to,
        min_value=date(2000, 1, 1),
        max_value=date(2100, 12, 31),
        format="DD/MM/YYYY",
        key="changes_to",
        help="Up to and including this date",
    )
else:
    start, end = windows[preset]
set_qp("from", start)
set_qp("to", end)

try:
    page = view(changes_view, start=start, end=end, plan_id=plan.id)
except ValueError as exc:
    st.error(f"Cannot compare these dates: {exc}.")
    st.stop()

if preset == PRESETS[0]:
    # Names the rounds (people's text: literally).
    st.caption(literal(f"{since_round.text} Anything dated after {day(start)} up to and including {day(end)}."))
else:
    st.caption(f"From {day(start)} to {day(end)}: statuses on the two dates, and anything dated in between.")

with st.container(border=True):
    st.markdown(f"**{literal(page.summary)}**")  # it names the plan's refs

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Status changes", len(page.status_changes), help="Actions whose status differs between the two dates")
m2.metric("Progress updates", page.updates_received, help="Progress updates dated in this period")
m3.metric("New evidence", len(page.evidence))
m4.metric(
    "Plan changes",
    len(page.actions_added) + len(page.actions_withdrawn) + len(page.actions_changed),
    help="Actions added, withdrawn, changed or restored by loading the plan again",
)
m5.metric("Measure values", len(page.measures))

DATE = st.column_config.DateColumn(format="D MMM YYYY")
SHORT_TABLE = 30  # rows: up to this many status changes show as a plain table with notes in full

st.subheader("Status changes")
if len(page.status_changes) > SHORT_TABLE:
    st.dataframe(
        page.status_rows(),
        hide_index=True,
        width="stretch",
        column_config={"As of": DATE, "Note": st.column_config.TextColumn(width="large")},
    )
elif page.status_changes:
    # A short list as a plain table, so every note can be read in full.
    # st.table renders every cell as Markdown: the notes, refs and names are people's text, so literally.
    rows = [{k: literal(v) for k, v in r.items()} for r in page.status_rows(dates_as_text=True)]
    st.table(rows, hide_index=True, border="horizontal")
if page.status_changes:
    st.caption("Who and when are the later update's; the note is what that update said.")
else:
    st.markdown("_No status changes in this period._")
if page.status_chart is not None:
    left, _ = st.columns([3, 2])
    with left:
        show_chart(page.status_chart, key="changes_status_chart")

st.subheader("New evidence")
if page.evidence:
    st.dataframe(
        page.evidence_rows(),
        hide_index=True,
        width="stretch",
        column_config={
            "Date": DATE,
            "Description": st.column_config.TextColumn(width="large"),
            "Link": st.column_config.LinkColumn(display_text="open"),
        },
        placeholder="",
    )
    st.caption(f"By kind: {page.evidence_kinds_text}.")
else:
    st.markdown("_No new evidence in this period._")

st.subheader("Actions added, withdrawn or changed")
if page.actions_added or page.actions_withdrawn or page.actions_changed:
    st.dataframe(page.action_rows(), hide_index=True, width="stretch", column_config={"When": DATE})
else:
    st.markdown("_No actions added, withdrawn or changed in this period._")

st.subheader("Measures")
if page.measures:
    st.dataframe(page.measure_rows(), hide_index=True, width="stretch", column_config={"As of": DATE})
    st.caption("Each value with the one before it; the target is the measure's target for the plan.")
else:
    st.markdown("_No new measure values in this period._")

st.subheader("Workforce movement")
wf = page.workforce
if wf is None:
    st.markdown("_No new workforce snapshot in this period._")
else:
    if wf.from_date is None:
        st.caption(f"The first snapshot, {day(wf.to_date)}: there is no earlier one to compare with.")
    else:
        st.caption(f"From the snapshot of {day(wf.from_date)} to that of {day(wf.to_date)}.")
    st.dataframe(page.workforce_rows(), hide_index=True, width="stretch", height="content")
    st.caption(
        "Rounded by the HESA method: headcount and FTE to the nearest 5, changes are between rounded figures, "
        "and % female (of headcount) is shown as .. where fewer than 22.5 people."
    )
