"""Workforce & gender: FTE by faculty, gender balance by faculty and grade, imbalance flags, trend."""

import streamlit as st

from pages.common import as_of, empty_state, qp_date, qp_list, qp_str, require_actor, set_qp, show_chart, view
from tracker.charts.workforce import pct_text
from tracker.disclosure import shown
from tracker.text import day, literal
from tracker.views.group import representation
from tracker.views.workforce import snapshot_for, workforce_choices, workforce_view

NO_WORKFORCE = (
    "No workforce data is loaded yet. An administrator can load an HR extract (one row per person, or "
    "aggregated rows) on the Upload page or with `python -m tracker load HR.xlsx --kind workforce`; "
    "to explore first, `python -m tracker init --demo` loads the demo data."
)
ROUNDING = (
    "HESA rounding: counts and FTE to the nearest 5 (under 2.5 shows as 0), totals rounded from the exact "
    "total; percentages computed on exact figures and shown as `..` where fewer than 23 people."
)
EXACT = "Exact figures: for internal use only. Anything published or exported keeps HESA rounding."


def _change(value: float | None, *, suffix: str = "") -> str | None:
    if value is None:
        return None
    return f"{value:+,.1f}{suffix}" if not float(value).is_integer() else f"{int(value):+,}{suffix}"


actor = require_actor()
st.title("Workforce & gender")
choices = view(workforce_choices)
snapshots, faculties = choices["snapshots"], choices["faculties"]
if not snapshots:
    empty_state(NO_WORKFORCE)

# The snapshot follows the sidebar's as-of date unless one was chosen here (then it is in the URL).
default_snap = snapshot_for(snapshots, as_of())
url_snap = qp_date("snapshot")
initial = url_snap if url_snap in snapshots else default_snap
c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
snap = c1.selectbox(
    "Snapshot",
    snapshots,
    index=snapshots.index(initial),
    format_func=day,
    key=f"wf_snapshot_{default_snap}",
    help="HR extract date; defaults to the latest one on or before the sidebar's as-of date",
)
chosen = c2.multiselect(
    "Faculties", faculties, default=qp_list("faculty", faculties), key="wf_faculty", placeholder="All faculties"
)
# Only roles allowed unrounded staff figures get the toggle; ?exact=1 in anyone else's link is ignored.
if actor.can("see_exact_figures"):
    exact = c3.toggle("Show exact figures", value=qp_str("exact") == "1", key="wf_exact")
else:
    exact = False
set_qp("snapshot", snap if snap != default_snap else None)
set_qp("faculty", chosen)
set_qp("exact", "1" if exact else None)
st.caption(EXACT if exact else ROUNDING)

page = view(workforce_view, as_of=snap, rounded=not exact, faculty=tuple(chosen))
if page.snapshot is None:
    empty_state(NO_WORKFORCE)
if len(page.table1) <= 1:
    empty_state(f"None of the chosen faculties has staff in the {day(page.snapshot)} snapshot.")

since = f" since {page.previous:%b %Y}" if page.previous else ""
m1, m2, m3, m4 = st.columns(4)
m1.metric(
    "Technical staff FTE",
    shown(page.fte),
    delta=_change(page.fte_change, suffix=since),
    delta_color="off",
    help="Full-time equivalent at the snapshot date",
)
m2.metric("Headcount", shown(page.headcount), delta=_change(page.headcount_change, suffix=since), delta_color="off")
m3.metric(
    "Women, % of headcount",
    pct_text(page.pct_female),
    delta=_change(page.pct_female_change, suffix=f" points{since}"),
    delta_color="off",
    help="Computed on exact figures; not shown where fewer than 23 people",
)
m4.metric(
    "Faculties flagged",
    len(page.flags),
    help=f"Faculties where either sex is at least {100 * page.threshold:.0f}% of headcount",
)
# Faculty names are the HR extract's text: shown literally, never as Markdown.
scope = literal(", ".join(page.selected)) if page.selected else "all faculties"
st.caption(f"At {day(page.snapshot)}, {scope}.")

fte_chart, faculty_chart, grade_chart, fte_trend, share_trend = page.charts
left, right = st.columns(2)
with left:
    show_chart(fte_chart, key="wf_fte_by_faculty")
with right:
    show_chart(fte_trend, key="wf_fte_trend")

st.subheader("Gender balance")
show_chart(faculty_chart, key="wf_gender_by_faculty")
t = f"{100 * page.threshold:.0f}%"
if page.flags:
    st.markdown(f"**Imbalance flags**: faculties where one sex is at least {t} of technical staff headcount")
    st.dataframe(page.flag_rows(), hide_index=True, width="content")
else:
    st.markdown(f"**Imbalance flags**: no faculty is past the {t} threshold at this snapshot.")
if page.suppressed:
    st.caption(f"Not assessed, fewer than 23 staff (percentages shown as `..`): {literal(', '.join(page.suppressed))}.")

left, right = st.columns(2)
with left:
    show_chart(grade_chart, key="wf_gender_by_grade")
with right:
    show_chart(share_trend, key="wf_female_trend")

st.subheader("Working group representation")
rep = view(representation, as_of=as_of(), actor=actor, snapshot=snap, rounded=not exact)
if not rep.members:
    st.markdown(
        "No working-group members are held. An administrator can load the list (`python -m tracker load FILE "
        "--kind group`, or the Upload page) or enter it on the Admin page."
    )
else:
    covered = sum(1 for r in rep.rows if r.in_workforce and r.members)
    with_staff = sum(1 for r in rep.rows if r.in_workforce)
    st.markdown(
        f"The working group's {rep.members} members on {day(rep.as_of)} come from {covered} of the "
        f"{with_staff} faculties with technical staff at {day(page.snapshot)}."
    )
    # Faculty and member names are people's text: shown literally, never as Markdown.
    if rep.sentences():
        st.markdown("\n".join(f"- {literal(sentence)}" for sentence in rep.sentences()))
    st.dataframe(rep.table_rows(), hide_index=True, width="content")

st.subheader("Tables")
tab1, tab2, tab3, tab4 = st.tabs(["Table 1: FTE by faculty", "Table 2: gender by faculty", "Gender by grade", "Trend"])
with tab1:
    st.dataframe(page.table1_rows(), hide_index=True, width="content")
with tab2:
    st.dataframe(page.gender_by_faculty_rows(), hide_index=True, width="content")
with tab3:
    st.dataframe(page.gender_by_grade_rows(), hide_index=True, width="content")
with tab4:
    st.dataframe(page.trend_rows(), hide_index=True, width="content")
