"""Action plan: filter the actions, see them on the timeline, open one for its whole history."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, qp_list, qp_str, require_actor, set_qp, show_chart, view
from tracker.models import PILLAR_NAMES
from tracker.text import DAY_FORMAT_JS, day, literal
from tracker.views.plan import action_detail, plan_view

require_actor()
st.title("Action plan")
full = view(plan_view, as_of=as_of())
if full.plan is None:
    empty_state(NO_PLAN)
opts = full.options

with st.container(horizontal=True):
    themes = st.multiselect("Theme", opts.themes, default=qp_list("theme", opts.themes), key="f_theme")
    pillars = st.multiselect(
        "Pillar",
        opts.pillars,
        default=qp_list("pillar", opts.pillars),
        format_func=lambda p: f"{p} – {PILLAR_NAMES[p]}",
        key="f_pillar",
    )
    owners = st.multiselect("Owner", opts.owners, default=qp_list("owner", opts.owners), key="f_owner")
    statuses = st.multiselect(
        "Status",
        opts.statuses,
        default=qp_list("status", opts.statuses),
        format_func=str.capitalize,
        key="f_status",
    )
    search = st.text_input("Search", value=qp_str("q"), placeholder="ref, words, owner…", key="f_q")
for name, value in (("theme", themes), ("pillar", pillars), ("owner", owners), ("status", statuses), ("q", search)):
    set_qp(name, value)

page = view(
    plan_view,
    as_of=as_of(),
    themes=tuple(themes),
    pillars=tuple(pillars),
    owners=tuple(owners),
    statuses=tuple(statuses),
    search=search,
)
st.caption(f"Showing {len(page.actions)} of {page.total} actions, status as of {day(page.as_of)}.")
if not page.actions:
    empty_state("No actions match these filters. Clear a filter to see more.")

show_chart(page.timeline, key="timeline")

# Where each action stands comes first, in columns that fit a 1,280-pixel screen with the sidebar open; the plan's
# own long texts follow. Notes wrap over four lines (the grid wraps only rows taller than 64 px); the whole note,
# activity and history are one click away: selecting a row opens it in the detail below.
# Four lines of a wrapped note; one line (the grid's default) when no note needs more.
ROW_PX = 92 if any(len(a.latest_note) > 45 for a in page.actions) else 35
table = [
    {
        "Ref": a.ref,
        "Status": a.status_label,
        "% complete": a.percent_complete,
        "Due": a.window_end,
        "Overdue": "⚠ overdue" if a.overdue else "",
        "Latest note": a.latest_note,
        "Activity": a.activity,
        "Owners": ", ".join(a.owners),
        "Pillars": " ".join(a.pillars),
        "Theme": a.theme,
    }
    for a in page.actions
]
st.caption("Select a row to open the action's whole note, activity and history in the detail below.")
picked = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    row_height=ROW_PX,
    # Every row in view up to eight (the grid's own default would show four rows this tall); more scroll inside.
    height=38 + ROW_PX * min(len(table), 8),
    on_select="rerun",
    selection_mode="single-row",
    key="actions_table",
    column_config={
        # Not pinned: the grid greys a pinned column's text below a readable contrast.
        "Ref": st.column_config.TextColumn("Ref", width=52),
        "Status": st.column_config.TextColumn("Status", width=112),
        # Dark grey, not the theme's red: a full bar is work done, not an alarm.
        "% complete": st.column_config.ProgressColumn(
            "% complete", min_value=0, max_value=100, format="%d%%", width=104, color="#595959"
        ),
        "Due": st.column_config.DateColumn("Due", format=DAY_FORMAT_JS, width=100),
        "Overdue": st.column_config.TextColumn("Overdue", width=88),
        "Latest note": st.column_config.TextColumn("Latest note", width=300),
        "Activity": st.column_config.TextColumn("Activity", width=320),
        "Owners": st.column_config.TextColumn("Owners", width=200),
        "Pillars": st.column_config.TextColumn("Pillars", width=64),
        "Theme": st.column_config.TextColumn("Theme", width=110),
    },
)

st.subheader("Action detail")
refs = [a.ref for a in page.actions]
wanted = qp_str("action")
# A row newly selected in the table opens that action; a selection already acted on leaves the box to the reader.
rows = list(picked.selection.rows) if picked is not None else []
if rows != st.session_state.get("actions_table_seen", []):
    st.session_state["actions_table_seen"] = rows
    if rows and rows[0] < len(refs):
        st.session_state["f_action"] = refs[rows[0]]
ref = st.selectbox(
    "Action",
    refs,
    # The box's own state already names the action when the table chose it: a default besides would be ignored.
    index=refs.index(wanted) if wanted in refs and "f_action" not in st.session_state else 0,
    format_func=lambda r: f"{r} – {next(a.activity for a in page.actions if a.ref == r)[:80]}",
    key="f_action",
)
set_qp("action", ref if ref != refs[0] else None)
detail = view(action_detail, ref=ref)
if detail:
    # Everything below but the page's own bold labels is the plan's or a lead's text: through `literal`, so a
    # Markdown image, link, colour or formula in it is shown as written, never rendered.
    left, right = st.columns([3, 2])
    with left:
        # No theme, no " · ": Markdown leaves "**A1 · **" unbolded, stars and all.
        heading = " · ".join(literal(t) for t in (detail.ref, detail.theme) if t)
        st.markdown(f"**{heading}**" + (" · withdrawn" if detail.withdrawn else ""))
        if detail.purpose:
            st.markdown(f"**Purpose.** {literal(detail.purpose)}")
        st.markdown("**Activity.**\n\n" + literal(detail.activity))
        if detail.impact:
            st.markdown(f"**Impact.** {literal(detail.impact)}")
    with right:
        st.markdown(f"**Owners:** {literal(', '.join(detail.owners)) or '–'}")
        st.markdown(f"**Pillars:** {', '.join(detail.pillar_names) or '–'}")
        st.markdown(f"**Window:** {day(detail.start)} – {day(detail.due)}")
        if detail.expected_evidence:
            st.markdown("**Evidence promised:**\n" + "\n".join(f"- {literal(e)}" for e in detail.expected_evidence))
    st.markdown("**Progress updates** (newest first)")
    if detail.updates:
        st.dataframe(
            [
                {
                    "As of": u.as_of,
                    "Status": u.status_label,
                    "% complete": u.percent_complete,
                    "Note": u.note,
                    "By": u.reported_by,
                }
                for u in detail.updates
            ],
            hide_index=True,
            width="stretch",
            column_config={"As of": st.column_config.DateColumn("As of", format=DAY_FORMAT_JS)},
        )
    else:
        st.caption("No progress updates yet.")
    st.markdown("**Evidence received**")
    if detail.evidence:
        st.dataframe(
            [
                {
                    "Date": e.date,
                    "Kind": e.kind,
                    "Description": e.description,
                    "Link": e.link,
                    "Current": "yes" if e.current else "corrected by a later item",
                }
                for e in detail.evidence
            ],
            hide_index=True,
            width="stretch",
            column_config={"Date": st.column_config.DateColumn("Date", format=DAY_FORMAT_JS)},
        )
    else:
        st.caption("No evidence received yet.")
    if detail.measures:
        st.markdown("**Measures**")
        for m in detail.measures:
            latest = m.values[-1]
            st.markdown(
                f"- {literal(m.name)}: {latest.value:g} {literal(m.unit)} as of {day(latest.as_of)}"
                + (f" (baseline {m.baseline:g}" if m.baseline is not None else " (")
                + (f", target {m.target:g})" if m.target is not None else ")")
            )
