"""Action plan: filter the actions, see them on the timeline, open one for its whole history."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, qp_list, qp_str, require_actor, set_qp, show_chart, view
from tracker.models import PILLAR_NAMES
from tracker.text import literal
from tracker.views.plan import action_detail, plan_view

require_actor()
st.title("Action plan")
full = view(plan_view, as_of=as_of())
if full.plan is None:
    empty_state(NO_PLAN)
opts = full.options

with st.container(horizontal=True):
    themes = st.multiselect("Theme", opts["themes"], default=qp_list("theme", opts["themes"]), key="f_theme")
    pillars = st.multiselect(
        "Pillar",
        opts["pillars"],
        default=qp_list("pillar", opts["pillars"]),
        format_func=lambda p: f"{p} – {PILLAR_NAMES[p]}",
        key="f_pillar",
    )
    owners = st.multiselect("Owner", opts["owners"], default=qp_list("owner", opts["owners"]), key="f_owner")
    statuses = st.multiselect(
        "Status",
        opts["statuses"],
        default=qp_list("status", opts["statuses"]),
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
st.caption(f"Showing {len(page.actions)} of {page.total} actions, status as of {page.as_of:%d %B %Y}.")
if not page.actions:
    empty_state("No actions match these filters. Clear a filter to see more.")

show_chart(page.timeline, key="timeline")

table = [
    {
        "Ref": a["ref"],
        "Theme": a["theme"],
        "Activity": a["activity"],
        "Owners": ", ".join(a["owners"]),
        "Pillars": " ".join(a["pillars"]),
        "Status": a["status_label"],
        "% complete": a["percent_complete"],
        "Due": a["due"],
        "Overdue": "⚠ overdue" if a["overdue"] else "",
        "Latest note": a["latest_note"],
    }
    for a in page.actions
]
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "% complete": st.column_config.ProgressColumn("% complete", min_value=0, max_value=100, format="%d%%"),
        "Due": st.column_config.DateColumn("Due", format="DD/MM/YYYY"),
        "Activity": st.column_config.TextColumn("Activity", width="large"),
    },
)

st.subheader("Action detail")
refs = [a["ref"] for a in page.actions]
wanted = qp_str("action")
ref = st.selectbox(
    "Action",
    refs,
    index=refs.index(wanted) if wanted in refs else 0,
    format_func=lambda r: f"{r} – {next(a['activity'] for a in page.actions if a['ref'] == r)[:80]}",
    key="f_action",
)
set_qp("action", ref if ref != refs[0] else None)
detail = view(action_detail, ref=ref)
if detail:
    # Everything below but the page's own bold labels is the plan's or a lead's text: through `literal`, so a
    # Markdown image, link, colour or formula in it is shown as written, never rendered.
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            f"**{literal(detail['ref'])} · {literal(detail['theme'])}**"
            + (" · withdrawn" if detail["withdrawn"] else "")
        )
        if detail["purpose"]:
            st.markdown(f"**Purpose.** {literal(detail['purpose'])}")
        st.markdown("**Activity.**\n\n" + literal(detail["activity"]))
        if detail["impact"]:
            st.markdown(f"**Impact.** {literal(detail['impact'])}")
    with right:
        st.markdown(f"**Owners:** {literal(', '.join(detail['owners'])) or '–'}")
        st.markdown(f"**Pillars:** {', '.join(detail['pillars']) or '–'}")
        st.markdown(f"**Window:** {detail['start']:%d %b %Y} – {detail['due']:%d %b %Y}")
        if detail["expected_evidence"]:
            st.markdown("**Evidence promised:**\n" + "\n".join(f"- {literal(e)}" for e in detail["expected_evidence"]))
    st.markdown("**Progress updates** (newest first)")
    if detail["updates"]:
        st.dataframe(
            [
                {
                    "As of": u["as_of"],
                    "Status": u["status_label"],
                    "% complete": u["percent_complete"],
                    "Note": u["note"],
                    "By": u["reported_by"],
                }
                for u in detail["updates"]
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No progress updates yet.")
    st.markdown("**Evidence received**")
    if detail["evidence"]:
        st.dataframe(
            [
                {
                    "Date": e["date"],
                    "Kind": e["kind"],
                    "Description": e["description"],
                    "Link": e["link"],
                    "Current": "yes" if e["current"] else "corrected by a later item",
                }
                for e in detail["evidence"]
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No evidence received yet.")
    if detail["measures"]:
        st.markdown("**Measures**")
        for m in detail["measures"]:
            latest = m["values"][-1]
            st.markdown(
                f"- {literal(m['name'])}: {latest['value']:g} {literal(m['unit'])} as of {latest['as_of']}"
                + (f" (baseline {m['baseline']:g}" if m["baseline"] is not None else " (")
                + (f", target {m['target']:g})" if m["target"] is not None else ")")
            )
