"""Board report: build the board pack PDF for a period, download it, and download any pack built before.

Board members and administrators only (checked again in tracker). Each pack is kept as built, so the list of
past packs hands back the same bytes, and the next pack's "what changed" starts where the last one ended. Once an
update round has ended, the period may be "since the last round" instead: the pack then names the rounds. The
self-assessment draft (a Word document, tracker.selfassessment) is built here too, when its button is clicked.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import streamlit as st

from pages.common import db_session, require_actor
from tracker.auth import PermissionDenied, require
from tracker.charts.export import INSTALL_HINT, charts_available, warm_up
from tracker.report import build_pack, default_period, list_packs, pack_pdf
from tracker.report.build import last_round
from tracker.selfassessment import DOCX_MIME, STAGES, build_self_assessment, draft_filename
from tracker.text import literal

actor = require_actor()
st.title("Board report")
try:
    require(actor, "build_pack")
except PermissionDenied as exc:  # the page is not offered to other roles; a direct visit lands here
    st.error(str(exc))
    st.stop()

st.caption(
    "The pack for the oversight board. Its first page is the verdict: where the plan stands, the actions at risk or "
    "delayed, what changed since the last pack and the pillar gaps; then headline figures, status by theme and "
    "pillar, every action, evidence and measures, and the workforce (HESA-rounded). Each pack is kept."
)

with db_session() as s:
    start_default, end_default = default_period(session=s)
    rounds = last_round(session=s)

# The period's first and last day, for each way of choosing it. Choosing one fills the From and To fields, which
# stay free to change for a period of one's own.
SINCE_PACK, SINCE_ROUND = "pack", "round"
windows: dict[str, tuple[date, date]] = {SINCE_PACK: (start_default, end_default)}
labels = {SINCE_PACK: "Since the last pack"}
if rounds is not None:
    windows[SINCE_ROUND] = (rounds.start, rounds.end)
    labels[SINCE_ROUND] = f"Since the last round: {rounds.span}"

# A new choice (or the first run, or a return to the page, which forgets the fields) fills the fields, before
# they are drawn, with the days as they are now (a pack just built moves the next one's start).
chosen = st.session_state.get("pack_period", SINCE_PACK)
if st.session_state.get("pack_period_filled") != chosen or any(
    k not in st.session_state for k in ("pack_from", "pack_to")
):
    st.session_state["pack_from"], st.session_state["pack_to"] = windows.get(chosen, windows[SINCE_PACK])
    st.session_state["pack_period_filled"] = chosen
period = SINCE_PACK
if rounds is not None:
    period = st.radio(
        "Period",
        list(windows),
        format_func=labels.__getitem__,
        key="pack_period",
        help="Since the last round: from the day the round before was due to the day the latest round that has "
        "ended was due; the pack names the rounds.",
    )

charts_ok, charts_why = charts_available()
if charts_ok:
    warm_up()  # the browser that draws the charts starts now, while the user picks the period
else:
    st.info(
        f"This server cannot draw charts: {charts_why} Packs are still built, with each chart's data table in "
        "its place.",
        icon=":material/info:",
    )

with st.form("build"):
    left, right = st.columns(2)
    start = left.date_input("From", format="DD/MM/YYYY", key="pack_from")
    end = right.date_input("To", format="DD/MM/YYYY", key="pack_to")
    if period == SINCE_ROUND and rounds is not None:
        st.caption(
            f'Figures are as they stood on the last day; "what changed" runs over the whole period. '
            f"{literal(rounds.since)}: the pack names the {literal(rounds.name)}. With other dates it covers "
            "a period of your own and names no round."
        )
    else:
        st.caption(
            'Figures are as they stood on the last day; "what changed" runs from the end of the previous pack '
            "(or the first day, for the first pack)."
        )
    charts = st.checkbox(
        "Draw charts",
        value=charts_ok,
        disabled=not charts_ok,
        key="pack_charts",
        help="Without charts, each chart's data table is printed instead" if charts_ok else INSTALL_HINT,
    )
    submitted = st.form_submit_button("Build the pack", type="primary", icon=":material/picture_as_pdf:")

if submitted:
    if not isinstance(start, date) or not isinstance(end, date):
        st.error("Choose both the first and the last day of the period.")
    else:
        bar = st.progress(0.0, text="Starting")

        def progress(step: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=step)

        # The round's own dates build the pack "since the last round" (named so); changed dates, a period of one's own.
        by_round = period == SINCE_ROUND and (start, end) == windows.get(SINCE_ROUND)
        try:
            with db_session() as s:
                pack = build_pack(
                    session=s,
                    actor=actor,
                    period_start=start,
                    period_end=end,
                    charts=bool(charts),
                    progress=progress,
                    since_round=by_round,
                )
        except (PermissionDenied, ValueError) as exc:
            bar.empty()
            st.error(f"The pack was not built: {literal(exc)}")
        except Exception as exc:  # a failure in layout or PDF writing: say so plainly, never a traceback
            bar.empty()
            st.error(f"The pack could not be built ({type(exc).__name__}: {literal(exc)}). Nothing was kept.")
        else:
            bar.empty()
            st.session_state["pack_built"] = {
                "id": pack.pack_id,
                "title": pack.title,
                "pages": pack.pages,
                "size": len(pack.pdf),
                "filename": pack.filename,
                "has_charts": pack.has_charts,
                "seconds": pack.seconds,
                "notes": pack.notes,
            }

built: dict[str, Any] | None = st.session_state.get("pack_built")


def kept(pack_id: int) -> bytes:
    """A kept pack's bytes, read only when its download button is clicked."""
    with db_session() as s:
        return pack_pdf(session=s, actor=actor, pack_id=pack_id)[1]


if built:
    st.success(
        f"Built **{literal(built['title'])}**: {built['pages']} pages, {built['size'] / 1024:,.0f} KB, "
        f"{'with charts' if built['has_charts'] else 'charts as tables'}, in {built['seconds']:.1f} s.",
        icon=":material/check_circle:",
    )
    for note in built["notes"]:  # a note may quote an error's text
        st.caption(literal(note))
    st.download_button(
        "Download the pack (PDF)",
        lambda pack_id=built["id"]: kept(pack_id),
        file_name=built["filename"],
        mime="application/pdf",
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        key="dl_built",
    )

st.subheader("Self-assessment draft")
st.caption(
    "The Technician Commitment self-assessment as a Word document to edit: the form's sections with real headings "
    "and tables, filled from what is held today (Tables 1 and 2 HESA-rounded as on the Workforce page, initiatives "
    "and evidence per pillar, each action's outcome, the working group) and the next action plan pre-filled with "
    "the actions that carry forward. Built when you click."
)
sa_stage = st.selectbox(
    "Stage",
    STAGES,
    index=1,
    format_func=lambda n: {
        1: "1: interim, a year after signing (24-month plan)",
        2: "2: reflection on the first plan (36-month plan)",
        3: "3: renewal (36-month plan)",
    }[n],
    key="sa_stage",
    help="Stage 1, a year after signing: what was in place before, progress so far, a 24-month plan. Stages 2 and "
    "3: reflection on the previous plan and a 36-month plan.",
)


def self_assessment(stage: int) -> bytes:
    """The draft's bytes, built only when the button is clicked."""
    with db_session() as s:
        return build_self_assessment(session=s, actor=actor, stage=stage).docx


st.download_button(
    "Self-assessment draft (Word)",
    lambda stage=sa_stage: self_assessment(stage),
    file_name=draft_filename(sa_stage, date.today()),
    mime=DOCX_MIME,
    on_click="ignore",
    icon=":material/description:",
    key="dl_self_assessment",
)

st.subheader("Past packs")
with db_session() as s:
    packs = list_packs(session=s, actor=actor)
if not packs:
    st.caption("No pack has been built yet: the first one covers the plan from its start.")
    st.stop()

st.dataframe(
    [asdict(p) for p in packs],  # the fields as columns, named and formatted below
    hide_index=True,
    width="stretch",
    column_order=["id", "period_start", "period_end", "built_at", "built_by", "pages", "has_charts"],
    column_config={
        "id": st.column_config.NumberColumn("Pack", format="%d"),
        "period_start": st.column_config.DateColumn("From", format="D MMM YYYY"),
        "period_end": st.column_config.DateColumn("To", format="D MMM YYYY"),
        "built_at": st.column_config.DatetimeColumn("Built (UTC)", format="D MMM YYYY, HH:mm"),
        "built_by": "Built by",
        "pages": st.column_config.NumberColumn("Pages", format="%d"),
        "has_charts": st.column_config.CheckboxColumn("Charts"),
    },
)
by_id = {p.id: p for p in packs}
chosen = st.selectbox(
    "Download a past pack",
    list(by_id),
    format_func=lambda i: f"{i} · {by_id[i].title} · built {by_id[i].built_at:%d %b %Y %H:%M}",
    key="pack_pick",
)
st.download_button(
    f"Download pack {chosen}",
    lambda pack_id=chosen: kept(pack_id),
    file_name=by_id[chosen].filename,
    mime="application/pdf",
    on_click="ignore",
    icon=":material/download:",
    key="dl_past",
)
st.caption(f"SHA-256 of pack {chosen}: `{by_id[chosen].sha256}` (the bytes handed back are checked against it).")
