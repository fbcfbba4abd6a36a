"""Pillars: which of Visibility, Recognition, Career development and Sustainability the plan serves, and
which have evidence."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, require_actor, show_chart, view
from tracker.models import PILLARS
from tracker.text import DAY_FORMAT_JS, day
from tracker.views.pillars import pillars_view

require_actor()
st.title("Pillars")
page = view(pillars_view, as_of=as_of())
if page.plan is None:
    empty_state(NO_PLAN)
if not page.matrix:
    empty_state("The plan has no actions yet.")

st.markdown(f"As of {day(page.as_of)}. {page.note}")
if page.gaps:
    st.warning("**Gaps**\n\n" + "\n".join(f"- {g.text}" for g in page.gaps), icon=":material/warning:")
else:
    st.success("Every pillar has actions and recent evidence.", icon=":material/check_circle:")

st.dataframe(
    page.pillar_rows(),
    hide_index=True,
    width="stretch",
    column_config={
        "Gap": st.column_config.TextColumn("Gap", width="large"),
        "Latest evidence": st.column_config.DateColumn("Latest evidence", format=DAY_FORMAT_JS),
    },
)
left, right = st.columns(2)
with left:
    show_chart(page.charts[0], key="coverage")
with right:
    show_chart(page.charts[1], key="evidence_over_time")

st.subheader("Actions × pillars")
st.dataframe(
    [
        {
            "Ref": r.ref,
            "Theme": r.theme,
            **{p: "✓" if p in r.pillars else "" for p in PILLARS},
            "Status": r.status_label,
            "Evidence items": r.evidence_items,
            "Activity": r.activity,
        }
        for r in page.matrix
    ],
    hide_index=True,
    width="stretch",
    column_config={"Activity": st.column_config.TextColumn("Activity", width="large")},
)
