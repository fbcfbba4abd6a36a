"""Pillars: which of Visibility, Recognition, Career development and Sustainability the plan serves, and
which have evidence."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, require_actor, show_chart, view
from tracker.views.pillars import pillars_view

require_actor()
st.title("Pillars")
page = view(pillars_view, as_of=as_of())
if page.plan is None:
    empty_state(NO_PLAN)
if not page.matrix:
    empty_state("The plan has no actions yet.")

st.caption(f"As of {page.as_of:%d %B %Y}. An action serving two pillars counts under both.")
if page.gaps:
    st.warning("**Gaps**\n\n" + "\n".join(f"- {g}" for g in page.gaps), icon=":material/warning:")
else:
    st.success("Every pillar has actions and recent evidence.", icon=":material/check_circle:")

st.dataframe(
    page.pillars,
    hide_index=True,
    width="stretch",
    column_config={"Gap": st.column_config.TextColumn("Gap", width="large")},
)
left, right = st.columns(2)
with left:
    show_chart(page.charts[0], key="coverage")
with right:
    show_chart(page.charts[1], key="evidence_over_time")

st.subheader("Actions × pillars")
st.dataframe(
    page.matrix,
    hide_index=True,
    width="stretch",
    column_config={"Activity": st.column_config.TextColumn("Activity", width="large")},
)
