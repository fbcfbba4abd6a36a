"""Upload: leads send their progress and evidence; administrators load plans and workforce extracts.

A new file is checked first (a dry run that writes nothing) and the page shows exactly what it would write;
nothing is written until the user confirms, and then in one transaction. Permissions are checked in tracker.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any, Literal

import streamlit as st

from pages.common import db_session, require_actor, view
from tracker.auth import PermissionDenied, require
from tracker.config import get_settings
from tracker.history import (
    KIND_LABELS,
    change_counts,
    change_rows,
    follow_ups,
    issue_rows,
    kinds_for,
    option_hints,
    template_for,
)
from tracker.ingest.base import UnreadableFile
from tracker.load import LoadOutcome, load_file
from tracker.templates import plan_template, workforce_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = ["xlsx", "xls", "ods", "csv"]
AUTO = ""
LINK_PAGES = {
    "action_plan": ("pages/action_plan.py", ":material/checklist:"),
    "evidence": ("pages/evidence.py", ":material/fact_check:"),
    "workforce": ("pages/workforce.py", ":material/groups:"),
}
WRAP_ISSUES = 30  # up to this many issues in a plain table (messages wrap); more in a scrolling grid
ISSUE_CONFIG = {
    "Sheet": st.column_config.TextColumn("Sheet", width="small"),
    "Row": st.column_config.TextColumn("Row", width="small", alignment="right", help="The row as Excel numbers it"),
    "Column": st.column_config.TextColumn("Column", width="small"),
    "Value": st.column_config.TextColumn("Value", width="small"),
    "Problem": st.column_config.TextColumn("Problem", width="large"),
}

actor = require_actor()
st.title("Upload")
try:
    require(actor, "load_updates")
except PermissionDenied as exc:  # the page is not offered to viewers or the board; a direct visit lands here
    st.error(str(exc))
    st.stop()

state = st.session_state
kinds = kinds_for(actor)


def md(text: str) -> str:
    """Text a user chose (a file name, a message quoting it) shown literally: Markdown, colour and maths
    marks escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:])", r"\\\1", text)


def size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(n / 1024, 0.1):.1f} KB"


def issue_table(rows: list[dict[str, str]]) -> None:
    """A few issues as a plain table, so long messages wrap; many in a scrolling grid."""
    if len(rows) <= WRAP_ISSUES:
        st.table(rows, hide_index=True)
    else:
        st.dataframe(rows, hide_index=True, width="stretch", column_config=ISSUE_CONFIG)


def show_issues(out: LoadOutcome) -> None:
    """Errors (if any) and warnings, each as a table a user can fix the file from."""
    if out.result is None:
        return
    errors = issue_rows(out.result.issues, severity="error")
    warnings = issue_rows(out.result.issues, severity="warning")
    if errors:
        issue_table(errors)
    for hint in option_hints(out.result.issues):
        st.caption(hint)
    if warnings:
        st.warning(
            f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}: worth a look, but they do not stop the "
            "file loading."
        )
        issue_table(warnings)


def show_changes(out: LoadOutcome) -> None:
    if out.changes:
        st.dataframe(
            change_rows(out.kind, out.changes),
            hide_index=True,
            width="stretch",
            column_config={"Details": st.column_config.TextColumn("Details", width="large")},
        )


def check(data: bytes, name: str, *, dry_run: bool, options: dict[str, Any]) -> dict[str, Any]:
    """Run the loader inside a status box that says what is happening; returns what the page shows."""
    doing, shown = ("Checking" if dry_run else "Loading"), md(name)
    steps = [f"Reading {shown} ({size(len(data))})…"]
    with st.status(f"{doing} {shown} ({size(len(data))})…", expanded=True) as box:
        st.write(steps[0])
        if len(data) > 2**20:
            st.write("A large file: reading and checking every row takes a little while.")
        try:
            with db_session() as s:
                out = load_file(data, session=s, actor=actor, dry_run=dry_run, filename=name, **options)
        except (UnreadableFile, PermissionDenied) as exc:
            message = f"{exc.filename} {exc.message}" if isinstance(exc, UnreadableFile) else str(exc)
            box.update(label=f"{shown} was not loaded", state="error", expanded=False)
            return {"error": message, "steps": steps, "label": f"{shown} was not loaded", "state": "error"}
        if out.result is not None:
            errors, warnings = len(out.result.errors), len(out.result.issues) - len(out.result.errors)
            kind = KIND_LABELS.get(out.kind, "unrecognised file").lower()
            steps.append(
                f"Read as a {kind}: {len(out.result.rows):,} good rows, {errors:,} problems, {warnings:,} warnings."
            )
            st.write(steps[-1])
        label = {
            "ready": f"Checked {shown}: ready to load",
            "loaded": f"Loaded {shown}",
            "duplicate": f"{shown} was loaded before",
            "rejected": f"Checked {shown}: problems found",
        }.get(out.outcome, shown)
        done: Literal["complete", "error"] = "complete" if out.outcome in ("ready", "loaded", "duplicate") else "error"
        box.update(label=label, state=done, expanded=False)
    return {"outcome": out, "steps": steps, "label": label, "state": done}


def replay_status(result: dict[str, Any]) -> None:
    """The finished status box again on later reruns (the check itself is not repeated)."""
    with st.status(result["label"], state=result["state"], expanded=False):
        for line in result["steps"]:
            st.write(line)


def restart() -> None:
    """Forget the file: a fresh uploader (a new key), so the same file is not loaded twice by accident."""
    state["upload_gen"] = state.get("upload_gen", 0) + 1
    for k in ("upload_check", "upload_store", "upload_confirm"):
        state.pop(k, None)


def confirm_clicked(sha: str) -> None:
    """A callback, not the button's return value: the click survives any rerun before the page reaches it."""
    state["upload_confirm"] = sha


def show_outcome(result: dict[str, Any], *, name: str) -> None:
    """Rejected, duplicate or refused: the same words whether it was the check or the load that said so."""
    if result.get("error"):
        st.error(md(result["error"]))
        return
    out: LoadOutcome = result["outcome"]
    if out.outcome == "duplicate":
        st.info(f"{md(name)} was {out.message}.", icon=":material/content_copy:")
    elif out.outcome == "rejected":
        n = len(out.result.errors) if out.result else 0
        st.error(
            f"{n} problem{'s' if n != 1 else ''}: nothing was written. Fix {'them' if n != 1 else 'it'} in the "
            "file (sheet, row as Excel numbers it, and column below) and upload it again."
        )
        show_issues(out)


# --- 1. the template --------------------------------------------------------------------------------

st.subheader("1. Download the update template")
template_name, template = view(template_for, actor=actor)
if actor.can("load_plan"):
    hint = "Pre-filled with every action in the plan: delete the rows you are not updating."
elif actor.owns:
    hint = f"Pre-filled with your actions ({', '.join(sorted(actor.owns))}): one row per update."
else:
    hint = "You do not own any actions yet: an administrator assigns them (Admin page)."
with st.container(horizontal=True):
    st.download_button(
        "Download the update template",
        template,
        file_name=template_name,
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="dl_updates_template",
    )
    if "plan" in kinds:
        st.download_button(
            "Plan template",
            plan_template,
            file_name="plan_template.xlsx",
            mime=XLSX,
            on_click="ignore",
            icon=":material/download:",
        )
    if "workforce" in kinds:
        st.download_button(
            "Workforce template",
            workforce_template,
            file_name="workforce_template.xlsx",
            mime=XLSX,
            on_click="ignore",
            icon=":material/download:",
        )
st.caption(f"{hint} Progress, evidence and measures each have their own sheet; the README sheet explains every column.")

# --- 2. the file --------------------------------------------------------------------------------------

st.subheader("2. Upload the filled-in file")
gen = state.get("upload_gen", 0)
limit = get_settings().max_upload_bytes
with st.container(horizontal=True):
    kind = st.selectbox(
        "What is the file?",
        [AUTO, *kinds],
        format_func=lambda k: KIND_LABELS.get(k, "Detect automatically"),
        key="upload_kind",
        help="Left on Detect automatically, the tracker tells from the columns.",
    )
    plan_start: date | None = None
    as_at: date | None = None
    if kind == "plan" or (kind == AUTO and "plan" in kinds):
        plan_start = st.date_input(
            "Plan start (action plans only)",
            value=None,
            format="DD/MM/YYYY",
            key="upload_plan_start",
            help="The month the plan starts; blank: read from the plan's title block.",
        )
    if kind == "workforce" or (kind == AUTO and "workforce" in kinds):
        as_at = st.date_input(
            "As at (workforce extracts only)",
            value=None,
            format="DD/MM/YYYY",
            key="upload_as_of",
            help="The date the HR extract describes; blank: the date in the file.",
        )
file = st.file_uploader(
    "Spreadsheet (.xlsx, .xls, .ods or .csv)",
    type=TYPES,
    key="upload_file" if gen == 0 else f"upload_file_{gen}",
    max_upload_size=-(-limit // 2**20),
    help="Nothing is written until you have seen what the file changes and confirmed.",
)

if file is None:
    for k in ("upload_check", "upload_store", "upload_confirm"):
        state.pop(k, None)
    done = state.get("upload_done")
    if done:
        result, name = done["result"], done["name"]
        out = result.get("outcome")
        if out is not None and out.outcome == "loaded":
            moves = [
                f"{r['Action']} {r['From']} → {r['To']}"
                for r in change_rows(out.kind, out.changes)
                if r["Change"] == "Status change"
            ]
            st.success(
                f"Loaded {md(name)} (upload {out.upload_id}): {change_counts(out.changes)}."
                + (f" Status: {'; '.join(moves[:10])}." if moves else ""),
                icon=":material/check_circle:",
            )
            for link in follow_ups(out.kind, out.changes):
                path, icon = LINK_PAGES[link["page"]]
                st.page_link(path, label=link["label"], icon=icon, query_params=link["params"] or None)
            st.page_link("pages/uploads.py", label="See your uploads", icon=":material/upload_file:")
            with st.expander("What was written"):
                show_changes(out)
                show_issues(out)
        else:
            show_outcome(result, name=name)
    st.stop()

# A new file: the last load's message belongs to the last file.
state.pop("upload_done", None)
data = file.getvalue()
sha = hashlib.sha256(data).hexdigest()
state["upload_store"] = {sha: (file.name, data)}  # one file at a time; survives reruns until confirmed
# A plan starts on the first of its month, whichever day was picked.
options: dict[str, Any] = {"kind": kind or None, "plan_start": plan_start and plan_start.replace(day=1), "as_of": as_at}
key = (sha, file.name, kind, plan_start, as_at)
result = state.get("upload_check")
if result is None or result["key"] != key:
    # Checked once per file and options: a rejected check is recorded as an upload, so not on every rerun.
    result = {"key": key, **check(data, file.name, dry_run=True, options=options)}
    state["upload_check"] = result
else:
    replay_status(result)

out = result.get("outcome")
if out is None or out.outcome != "ready":
    show_outcome(result, name=file.name)
    st.stop()

if state.pop("upload_confirm", None) == sha:
    name, stored = state["upload_store"][sha]  # the very bytes the preview was made from
    loaded = check(stored, name, dry_run=False, options=options)
    restart()
    state["upload_done"] = {"result": loaded, "name": name}
    st.rerun()

# --- 3. the preview and the confirmation ----------------------------------------------------------------

st.subheader("3. Check what will change, then confirm")
what = KIND_LABELS.get(out.kind, out.kind).lower()
if out.changes:
    st.markdown(f"**{md(file.name)}** is a {what}. Loading it will write: **{change_counts(out.changes)}**.")
else:
    st.markdown(f"**{md(file.name)}** is a {what}. It changes nothing that is held now.")
st.caption("Nothing has been written yet.")
show_changes(out)
show_issues(out)
with st.container(horizontal=True):
    st.button(
        "Confirm and load",
        type="primary",
        key=f"confirm_{sha[:16]}",
        icon=":material/publish:",
        on_click=confirm_clicked,
        args=(sha,),
    )
    st.button("Cancel", key=f"cancel_{sha[:16]}", on_click=restart)
