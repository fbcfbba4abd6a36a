"""Uploads: the files this user sent (an administrator: everyone's), what became of each, its issues and the
original file to download again."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from pages.common import db_session, empty_state, qp_str, require_actor, set_qp, view
from tracker.auth import PermissionDenied
from tracker.history import KIND_LABELS, OUTCOME_LABELS, issue_rows, list_uploads_for, upload_file, upload_issues
from tracker.text import literal as md

actor = require_actor()
st.title("Uploads")
admin = actor.can("download_any_upload")
st.caption(
    "Every file anyone has uploaded, newest first: what became of it, its issues, and the original file."
    if admin
    else "The files you have uploaded, newest first: what became of each, its issues, and the original file."
)
rows = view(list_uploads_for, actor=actor)
if not rows:
    if actor.can("load_updates"):
        st.page_link("pages/upload.py", label="Upload a file", icon=":material/upload:")
    empty_state(
        "Nothing has been uploaded yet: files uploaded on the Upload page appear here, with what became of them."
        if admin
        else "Nothing has been uploaded by you yet: the files you upload on the Upload page appear here."
    )

columns = ["id", "uploaded_at", "filename", *(["uploaded_by"] if admin else []), "kind", "outcome"]
columns += ["rows_accepted", "issues_found", "message"]
st.dataframe(
    [asdict(r) for r in rows],  # the fields as columns, named and formatted below
    hide_index=True,
    width="stretch",
    column_order=columns,
    column_config={
        "id": st.column_config.NumberColumn("Upload", format="%d"),
        "uploaded_at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY, HH:mm"),
        "filename": "File",
        "kind": "Kind",
        "outcome": "Outcome",
        "rows_accepted": st.column_config.NumberColumn("Rows accepted", format="%d"),
        "issues_found": st.column_config.NumberColumn("Issues found", format="%d"),
        "message": st.column_config.TextColumn("Message", width="large"),
        "uploaded_by": "Who",
    },
)

st.subheader("Issues and the original file")
by_id = {r.id: r for r in rows}
ids = list(by_id)
wanted = qp_str("upload")
chosen = st.selectbox(
    "Choose an upload",
    ids,
    index=ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in by_id else 0,
    format_func=lambda i: f"{i} · {by_id[i].filename} · {by_id[i].outcome}",
    key="upload_pick",
)
set_qp("upload", str(chosen) if chosen != ids[0] else None)
row = by_id[chosen]

try:
    with db_session() as s:
        issues = issue_rows(upload_issues(session=s, actor=actor, upload_id=chosen))
except (PermissionDenied, ValueError) as exc:
    st.error(str(exc))
    st.stop()

kind = KIND_LABELS.get(row.kind, "Unrecognised file")
who = f" · sent by {md(row.uploaded_by) or 'the command line'}" if admin else ""
st.markdown(f"**{md(row.filename)}** · {kind} · {OUTCOME_LABELS.get(row.outcome, row.outcome)}{who}")
if row.message:
    st.caption(md(row.message))


def original() -> bytes:
    """The file's bytes, read only when the button is clicked (an upload may be 20 MB)."""
    with db_session() as s:
        return upload_file(session=s, actor=actor, upload_id=chosen)[1]


if row.has_file:
    st.download_button(
        f"Download {md(row.filename)}",
        original,
        file_name=row.filename,
        on_click="ignore",
        icon=":material/download:",
        key="dl_original",
    )
elif row.duplicate_of:
    st.caption(f"No copy kept: this was the same file as upload {row.duplicate_of}, which has it.")
else:
    st.caption("No copy of this file was kept (it was empty or over the size limit).")

if len(issues) > 30:  # many: a scrolling grid
    st.dataframe(
        issues, hide_index=True, width="stretch", column_config={"Problem": st.column_config.TextColumn(width="large")}
    )
elif issues:  # a few: a plain table, so long messages wrap
    st.table([{k: md(v) for k, v in i.items()} for i in issues], hide_index=True)  # st.table cells are Markdown
else:
    st.caption("No issues were found in this file.")
