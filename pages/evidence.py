"""Evidence & impact: what the plan promised as evidence against what arrived, and measures against targets."""

import streamlit as st

from pages.common import NO_PLAN, as_of, empty_state, qp_list, require_actor, set_qp, show_chart, view
from tracker.models import PILLAR_NAMES, PILLARS
from tracker.text import DAY_FORMAT_JS, day, literal
from tracker.views.evidence import evidence_view

require_actor()
st.title("Evidence & impact")
full = view(evidence_view, as_of=as_of())
if full.plan is None:
    empty_state(NO_PLAN)

st.markdown(f"As of {day(full.as_of)}. {literal(full.summary)}")  # the summary names the plan's refs
refs = [a.ref for a in full.per_action]
with st.container(horizontal=True):
    kinds = st.multiselect("Kind", full.kinds, default=qp_list("kind", full.kinds), key="f_kind")
    pillars = st.multiselect(
        "Pillar",
        list(PILLARS),
        default=qp_list("pillar", PILLARS),
        format_func=lambda p: f"{p} – {PILLAR_NAMES[p]}",
        key="f_pillar",
    )
    chosen = st.multiselect("Action", refs, default=qp_list("ref", refs), key="f_ref")
for name, value in (("kind", kinds), ("pillar", pillars), ("ref", chosen)):
    set_qp(name, value)
page = view(evidence_view, as_of=as_of(), kinds=tuple(kinds), pillars=tuple(pillars), refs=tuple(chosen))

st.subheader("Promised against received")
st.dataframe(
    [
        {
            "Ref": a.ref,
            "Received of promised": a.against,
            "Gap": a.gap,
            "Dated before the plan": a.before_plan,
            "Kinds received": ", ".join(a.kinds),
            "Latest": a.latest,
            "Evidence promised": "; ".join(a.promised),
        }
        for a in full.per_action
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "Gap": st.column_config.TextColumn("Gap", width=110),
        "Evidence promised": st.column_config.TextColumn("Evidence promised", width="large"),
        "Latest": st.column_config.DateColumn("Latest", format=DAY_FORMAT_JS),
    },
)

if page.items:
    show_chart(page.charts[0], key="evidence_timeline")
else:
    st.info("No evidence matches these filters.")

st.subheader("Measures")
if page.measures:
    show_chart(page.charts[1], key="measures")
else:
    st.markdown("No measures have been reported yet. Leads add them on the Measures sheet of the update template.")

st.subheader("Evidence received")
st.dataframe(
    [
        {
            "Date": e.date,
            "Ref": e.ref,
            "Kind": e.kind,
            "Description": e.description,
            "Pillars": " ".join(e.pillars),
            "Link": e.link,
            "Added by": e.added_by,
        }
        for e in reversed(page.items)
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "Date": st.column_config.DateColumn("Date", format=DAY_FORMAT_JS),
        "Link": st.column_config.LinkColumn("Link"),
        "Description": st.column_config.TextColumn("Description", width="large"),
    },
)
