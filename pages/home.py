"""Home: where the plan stands, at a glance."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, require_actor, round_notice, show_chart, view
from tracker.text import day, literal
from tracker.views.home import home_view

actor = require_actor()
st.title("Technician Commitment Tracker")
page = view(home_view, as_of=as_of())
if page.plan is None:
    empty_state(NO_PLAN)

plan = page.plan
# The plan's title and institution are as the plan file gave them: shown literally, never as Markdown.
st.subheader(literal(plan.heading))
# The sidebar gives the plan's window, and the heading usually names it too.
st.caption(f"Status as of {day(page.as_of)}.")
round_notice(actor, key="home")

for col, fig in zip(st.columns(len(page.figures)), page.figures, strict=True):
    col.metric(fig.label, fig.value)
    col.caption(fig.explanation)

left, right = st.columns([3, 2])
with left:
    show_chart(page.by_status, key="by_status")
with right:
    st.markdown("**Pillar gaps**")
    if page.gaps:
        for g in page.gaps:
            st.markdown(f"- ⚠ {g.text}")
    else:
        st.markdown("✔ Every pillar has actions and recent evidence.")
    st.page_link("pages/action_plan.py", label="See every action on the timeline", icon=":material/checklist:")
    st.page_link("pages/changes.py", label="What changed since the last meeting", icon=":material/compare_arrows:")
